"""The collections sheets of the close workbook: who to chase, what to send, what to hold.

What
    :func:`run_collections` runs the collections engine (:mod:`cuadre.collections`) on
    the close's result: the open items after cash application plus the unapplied cash
    (as credits: exactly what the Aging sheet ages), the payments applied (for the
    promises and the releases) and the optional inputs of :data:`INPUT_TABLES`
    (promises to pay, the dispute log, the current hold list, the open sales orders).
    :func:`collections_sheets` turns it into six output sheets (green tabs), each a
    :class:`~cuadre.workbook.writer.SheetSpec` that :func:`~cuadre.workbook.writer.write_workbook`
    and the Excel add-in write the same way:

    ================== ==================== ===========================================
    sheet              table                one row per
    ================== ==================== ===========================================
    Worklist           worklist             customer and currency to chase, by priority
    Dunning            dunning_notices      letter (to send, or skipped and why)
    PromiseStatus      promise_status       promise to pay: kept, partially kept...
    Credit             credit               customer: exposure, utilisation, hold
    DisputeLog         dispute_log          open dispute, with its document
    AccountStatements  account_statements   statement of account, with its aging strip
    ================== ==================== ===========================================

    :func:`collections_input_sheets` gives the input sheets (blue tabs: Promises,
    Disputes, CreditHolds, OpenOrders), empty for the template. Credit limits are the
    ``credit_limit`` column of the Customers sheet.

Controls
    Every output sheet ties back to the Aging sheet (table ``aging``) or to its own
    input, per currency, as live formulas over the tables with the engine's figures
    cached: the worklist's overdue + the overdue in dispute + the overdue credits = the
    aging's overdue; the statements' closing balances + the unidentified payments = the
    aging total; the credit sheet's open AR + the unidentified payments + items in
    another currency than the customer's limit = the aging total; every promise and
    every dispute of the input accounted for; no letter claims a disputed amount. A
    control that fails is also reported (``COLLECTIONS_CONTROL``, an error: the sheets
    disagree with each other and must not be sent out as they are).

Why the unapplied cash is included
    A customer's money on account is a credit it has with us: it reduces what a letter
    claims and what counts against its credit limit, and it prints on its statement.
    Money nobody can place (customer ``(unidentified)``) is on no statement, no letter
    and no credit line; the controls show it on a line of its own.

Reference: shared DOMAIN.md (people 2-5: worklist, dunning, statements, promises,
credit holds, disputes); docs/collections.md for the engine's rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS, bucket_labels, effective_due_dates
from cuadre.close import UNIDENTIFIED, CloseResult, unapplied_as_open_items, unapplied_cash
from cuadre.collections.credit import (
    CREDIT,
    CREDIT_HOLDS,
    CREDIT_STATUSES,
    OPEN_ORDERS,
    CreditPolicy,
    credit_status,
)
from cuadre.collections.disputes import DISPUTE_LOG, DISPUTES, dispute_log, split_disputed
from cuadre.collections.dunning import (
    NOTICE_ITEMS,
    NOTICES,
    DunningPolicy,
    DunningRun,
    Letter,
    dunning_run,
    load_policy,
    render_letters,
)
from cuadre.collections.promises import (
    PROMISE_STATUS,
    PROMISE_STATUSES,
    PROMISES,
    RECEIPTS,
    evaluate_promises,
    receipts_from_allocations,
)
from cuadre.collections.statements import Statement, open_item_statements, statement_tables
from cuadre.collections.worklist import WORKLIST, collection_worklist
from cuadre.findings import Finding, Location, info
from cuadre.model.tables import (
    CUSTOMERS,
    OPEN_ITEMS,
    Column,
    Kind,
    TableSchema,
    empty_table,
)
from cuadre.money import format_amount
from cuadre.workbook.formulas import (
    Controls,
    counta,
    countifs,
    if_zero,
    major,
    money_sum,
    nonempty,
    sumifs,
)
from cuadre.workbook.inputs import PER_CURRENCY, input_sheet
from cuadre.workbook.writer import SheetSpec

__all__ = [
    "INPUT_TABLES",
    "OUTPUT_SHEETS",
    "SHEETS_GUIDE",
    "CollectionsInputs",
    "CollectionsResult",
    "account_statements_schema",
    "collections_input_sheets",
    "collections_sheets",
    "result_sheets",
    "run_collections",
]

INPUT_TABLES: dict[str, TableSchema] = {
    t.name: t for t in (PROMISES, DISPUTES, CREDIT_HOLDS, OPEN_ORDERS)
}
"""The collections inputs, by table name: ``promises`` (sheet Promises), ``disputes``
(Disputes), ``credit_holds`` (CreditHolds: the customers on hold now) and
``open_orders`` (OpenOrders: orders not yet invoiced, part of the credit exposure)."""

OUTPUT_SHEETS = (
    "Worklist",
    "Dunning",
    "PromiseStatus",
    "Credit",
    "DisputeLog",
    "AccountStatements",
)
"""The output sheets, in the order :func:`result_sheets` gives them."""

AGING_TABLE = "aging"
"""The Aging sheet's table, which the controls tie back to."""

SHEETS_GUIDE: tuple[tuple[str, str, str, str], ...] = (
    (
        "Promises",
        "input",
        "Promises to pay (promesas de pago): customer, amount, currency, the date promised.",
        "Add each commitment when the customer makes it; Cuadre checks the payments.",
    ),
    (
        "Disputes",
        "input",
        "Dispute log (aclaraciones): document, reason, amount, owner, status.",
        "Open disputes stay out of dunning; close them (resolved, rejected) when settled.",
    ),
    (
        "CreditHolds",
        "input",
        "The customers on credit hold now (clientes bloqueados), with the day they were held.",
        "Paste the last hold list; Cuadre says whom to keep on hold and whom to release.",
    ),
    (
        "OpenOrders",
        "input",
        "Sales orders not yet invoiced (pedidos por facturar); they add to the exposure.",
        "Optional; paste the open orders report at the close date.",
    ),
    (
        "Worklist",
        "result",
        "Customers to chase, highest priority first, with the score, next action and contact.",
        "Work it from the top: call, write or wait as next_action says.",
    ),
    (
        "Dunning",
        "result",
        "One letter per customer and currency: level, overdue items, fee, interest.",
        "Send the rows marked send; skipped rows say why they were skipped.",
    ),
    (
        "PromiseStatus",
        "result",
        "Each promise: kept, partially kept, broken or open, from the payments applied.",
        "Call the customers with broken promises; they rise on the Worklist.",
    ),
    (
        "Credit",
        "result",
        "Credit limit, exposure and utilisation per customer; hold and release lists.",
        "Give sales the new_hold and on_hold rows (hold) and the release rows (release).",
    ),
    (
        "DisputeLog",
        "result",
        "Open disputes with their document's open amount, days open and days past due.",
        "Each owner resolves theirs; the amounts are kept out of dunning meanwhile.",
    ),
    (
        "AccountStatements",
        "result",
        "One statement of account per customer and currency: charges, credits, aging strip.",
        "Send them with the PDF statements (cuadre.collections.statements).",
    ),
)
"""README rows (sheet, kind, holds, what_to_do) for the collections sheets."""


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class CollectionsInputs:
    """What the collections sheets are built from.

    ``open_items`` are the open items after cash application
    (:attr:`cuadre.close.CloseResult.open_after`) and ``aging`` the close's aging;
    ``payments`` and ``allocations`` give the money applied to each customer (for the
    promises and the release list); ``unapplied`` is the unapplied cash (``None``: from
    ``payments`` and ``allocations``). ``promises``, ``disputes``, ``credit_holds`` and
    ``open_orders`` are the optional inputs of :data:`INPUT_TABLES` (``None`` or empty:
    none). ``language`` (``es`` or ``en``) is the letters' default language when no
    ``dunning_policy`` is given (a policy says its own); ``company`` (``name``,
    ``email``, ``phone``) signs the letters. ``functional_currency`` comes first in the
    per-currency controls.
    """

    as_of: dt.date
    open_items: pd.DataFrame
    aging: pd.DataFrame
    customers: pd.DataFrame | None = None
    payments: pd.DataFrame | None = None
    allocations: pd.DataFrame | None = None
    unapplied: pd.DataFrame | None = None
    promises: pd.DataFrame | None = None
    disputes: pd.DataFrame | None = None
    credit_holds: pd.DataFrame | None = None
    open_orders: pd.DataFrame | None = None
    buckets: tuple[int, ...] = DEFAULT_BUCKETS
    functional_currency: str = "MXN"
    language: str = "es"
    company: Mapping[str, str] = field(default_factory=dict)
    dunning_policy: DunningPolicy | None = None
    credit_policy: CreditPolicy | None = None

    def __post_init__(self) -> None:
        if self.language not in ("es", "en"):
            raise ValueError(f"language must be es or en; yours is {self.language!r}")

    @classmethod
    def from_close(
        cls,
        result: CloseResult,
        as_of: dt.date,
        customers: pd.DataFrame | None = None,
        tables: Mapping[str, pd.DataFrame | None] | None = None,
        **options: object,
    ) -> CollectionsInputs:
        """Inputs from a close's result plus the collections tables (keys of
        :data:`INPUT_TABLES`); ``options`` are the other fields (``buckets``,
        ``language``, ``company``...)."""
        tables = dict(tables or {})
        unknown = sorted(set(tables) - set(INPUT_TABLES))
        if unknown:
            raise ValueError(
                f"unknown collections tables {unknown}; expected some of {sorted(INPUT_TABLES)}"
            )
        return cls(
            as_of=as_of,
            open_items=result.open_after,
            aging=result.aging,
            customers=customers,
            payments=result.payments,
            allocations=result.allocations,
            unapplied=result.unapplied,
            promises=tables.get("promises"),
            disputes=tables.get("disputes"),
            credit_holds=tables.get("credit_holds"),
            open_orders=tables.get("open_orders"),
            **options,  # type: ignore[arg-type]
        )


@dataclass(eq=False)
class CollectionsResult:
    """Everything :func:`run_collections` computed; :func:`result_sheets` writes it.

    ``items`` are the receivables the aging aged (open items after cash application and
    the unapplied cash as credits, dated up to the as-of date); ``letters`` are the
    rendered letters to send (write them with
    :func:`cuadre.collections.dunning.write_letters`); ``statements`` the statements of
    account (PDF with :func:`cuadre.collections.statements.statements_pdf`).
    """

    inputs: CollectionsInputs
    items: pd.DataFrame
    receipts: pd.DataFrame
    disputed: pd.DataFrame
    promise_status: pd.DataFrame
    credit: pd.DataFrame
    worklist: pd.DataFrame
    dunning: DunningRun
    letters: list[Letter]
    dispute_log: pd.DataFrame
    statements: list[Statement]
    statement_summary: pd.DataFrame
    findings: list[Finding]


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """The engines re-split the disputes each: keep one copy of each finding."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.code, str(f.location), f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _names(items: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Series:
    named = items[items["customer_name"].ne("")].drop_duplicates("customer_id")
    names = named.set_index("customer_id")["customer_name"]
    if customers is not None and len(customers):
        master = customers.drop_duplicates("customer_id").set_index("customer_id")
        names = master["customer_name"].where(master["customer_name"].ne("")).combine_first(names)
    return names


def run_collections(inputs: CollectionsInputs) -> CollectionsResult:
    """Worklist, dunning and letters, promises, credit, disputes and statements at the
    as-of date (pure: no file is touched). See the module docstring."""
    as_of = inputs.as_of
    day = pd.Timestamp(as_of)
    findings: list[Finding] = []
    customers = nonempty(inputs.customers)
    master = customers if customers is not None else empty_table(CUSTOMERS)

    unapplied = inputs.unapplied
    if unapplied is None and inputs.payments is not None and inputs.allocations is not None:
        unapplied = unapplied_cash(inputs.payments, inputs.allocations)
    parts = [inputs.open_items[OPEN_ITEMS.names]]
    if unapplied is not None and len(unapplied):
        parts.append(unapplied_as_open_items(unapplied))
    items = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
    items = items[items["document_date"] <= day].reset_index(drop=True)
    known = items[items["customer_id"].ne(UNIDENTIFIED)].reset_index(drop=True)

    promises = nonempty(inputs.promises)
    disputes = nonempty(inputs.disputes)
    holds = nonempty(inputs.credit_holds)
    orders = nonempty(inputs.open_orders)

    if inputs.payments is not None and nonempty(inputs.allocations) is not None:
        receipts = receipts_from_allocations(inputs.allocations, inputs.payments)
    else:
        receipts = empty_table(RECEIPTS)
        if promises is not None or holds is not None:
            findings.append(
                info(
                    Location("payments"),
                    "COLLECTIONS_NO_PAYMENTS",
                    "no payments were given: promises are evaluated and holds reviewed "
                    "as if nothing had been received",
                    "Run the cash application first (Match payments), then Collections.",
                )
            )

    status = (
        evaluate_promises(promises, receipts, as_of)
        if promises is not None
        else empty_table(PROMISE_STATUS)
    )
    live_status = nonempty(status)

    disputed = known.iloc[0:0].assign(reason="", owner="")
    if disputes is not None:
        _undisputed, disputed, more = split_disputed(known, disputes, as_of)
        findings.extend(more)

    credit, more = credit_status(
        known,
        master,
        as_of,
        inputs.credit_policy,
        open_orders=orders,
        holds=holds,
        receipts=nonempty(receipts),
        disputed=nonempty(disputed),
    )
    findings.extend(more)
    names = _names(known, customers)
    blank = credit["customer_name"].eq("")
    credit.loc[blank, "customer_name"] = (
        credit.loc[blank, "customer_id"].map(names).fillna("").astype(object)
    )

    worklist, more = collection_worklist(
        known,
        as_of,
        customers,
        disputes=disputes,
        promises=live_status,
        credit=nonempty(credit),
    )
    findings.extend(more)
    if worklist.empty:
        worklist = empty_table(WORKLIST)

    policy = inputs.dunning_policy or dataclasses.replace(
        load_policy(), default_language=inputs.language
    )
    if known.empty:
        run = DunningRun(as_of, policy, empty_table(NOTICES), empty_table(NOTICE_ITEMS), [])
    else:
        run = dunning_run(known, as_of, policy, customers, disputes=disputes, promises=live_status)
    findings.extend(run.findings)
    letters = render_letters(run, inputs.company, customers)

    log = (
        dispute_log(disputes, known, as_of, customers)
        if disputes is not None
        else empty_table(DISPUTE_LOG)
    )

    statements, more = open_item_statements(known, as_of, customers, inputs.buckets)
    # the close already reported the aging's notes (no due date...); keep real errors only
    findings.extend(f for f in more if f.is_error)
    summary = _statement_summary(statements, inputs.buckets)

    return CollectionsResult(
        inputs=inputs,
        items=items,
        receipts=receipts,
        disputed=disputed,
        promise_status=status,
        credit=credit,
        worklist=worklist,
        dunning=run,
        letters=letters,
        dispute_log=log,
        statements=statements,
        statement_summary=summary,
        findings=_unique(findings),
    )


def account_statements_schema(
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
) -> TableSchema:
    """The AccountStatements table: one row per statement, with its aging strip."""
    strip = [Column(b, Kind.MONEY, True) for b in bucket_labels(buckets)]
    return TableSchema(
        name="account_statements",
        sheet="AccountStatements",
        description="One row per statement of account (customer and currency).",
        sort_by=("customer_id", "currency"),
        columns=(
            Column("customer_id", Kind.TEXT, True),
            Column("customer_name", Kind.TEXT),
            Column("currency", Kind.CURRENCY, True),
            Column("email", Kind.TEXT, False, "where to send it"),
            Column("items", Kind.INT, True, "open documents on the statement"),
            Column("charges", Kind.MONEY, True, "invoices and debit notes open"),
            Column("credits", Kind.MONEY, True, "credit notes, payments on account, advances"),
            Column("closing", Kind.MONEY, True, "charges + credits: the balance"),
            *strip,
        ),
    )


def _statement_summary(statements: list[Statement], buckets: tuple[int, ...]) -> pd.DataFrame:
    schema = account_statements_schema(buckets)
    if not statements:
        return empty_table(schema)
    summary, _lines = statement_tables(statements)
    summary["items"] = pd.array([len(s.lines) for s in statements], dtype="Int64")
    for label in bucket_labels(buckets):
        if label not in summary:
            summary[label] = pd.array([0] * len(summary), dtype="Int64")
    return summary[schema.names].reset_index(drop=True)


# --------------------------------------------------------------------------- formulas


_HINT = (
    "The collections sheets disagree with the Aging sheet or their inputs: run the close "
    "and Collections again on the same data; report it if it persists."
)


def _controls(sheet: str) -> Controls:
    """The control block of one collections sheet (a failure: COLLECTIONS_CONTROL)."""
    return Controls(sheet, "COLLECTIONS_CONTROL", _HINT, "collections")


def _currencies(functional: str, *columns: pd.Series) -> list[str]:
    found = sorted({str(c) for s in columns for c in s.dropna() if str(c)})
    return sorted(found, key=lambda c: (c != functional, c))


# --------------------------------------------------------------------------- sheets


def _worklist_sheet(r: CollectionsResult) -> tuple[SheetSpec, list[Finding]]:
    inp = r.inputs
    day = pd.Timestamp(inp.as_of)
    wl = r.worklist
    c = _controls("Worklist")
    c.figure("Customers to chase", len(wl), formula="=" + counta("worklist", "customer_id"))

    # the aging's overdue split three ways, computed here from the items themselves
    disputed = r.disputed
    d_days = (day - effective_due_dates(disputed, inp.customers)[0]).dt.days
    items = r.items
    i_days = (day - effective_due_dates(items, inp.customers)[0]).dt.days
    amount = items["amount_open"].fillna(0).astype("int64")
    credits_late = items.assign(amount_open=amount.where((amount < 0) & (i_days > 0), 0))
    # a disputed credit (rare) is in the dispute column, not twice
    if len(disputed):
        neg = disputed["amount_open"].fillna(0).astype("int64")
        credits_late = pd.concat(
            [credits_late, disputed.assign(amount_open=-neg.where((neg < 0) & (d_days > 0), 0))]
        )
    aging = inp.aging
    for cur in _currencies(
        inp.functional_currency, aging.get("currency", pd.Series()), wl["currency"]
    ):
        in_aging = money_sum(aging, "overdue", cur)
        in_dispute = money_sum(disputed, "amount_open", cur, d_days > 0)
        credits = money_sum(credits_late, "amount_open", cur)
        chased = money_sum(wl, "overdue", cur)
        aging_f = sumifs(AGING_TABLE, "overdue", ("currency", cur))
        chased_f = sumifs("worklist", "overdue", ("currency", cur))
        c.figure(f"Overdue in the aging ({cur})", in_aging, "=" + aging_f, cur)
        c.figure("  in dispute, not chased (DisputeLog)", in_dispute, currency=cur)
        c.figure("  credits past due: credit notes, unapplied cash", credits, currency=cur)
        c.figure("  to chase: undisputed overdue (this sheet)", chased, "=" + chased_f, cur)
        c.check(
            f"Aging overdue = to chase + in dispute + credits ({cur})",
            in_aging == chased + in_dispute + credits,
            if_zero(f"{aging_f}-({major(in_dispute, cur)})-({major(credits, cur)})-{chased_f}"),
            f"aging {format_amount(in_aging, cur)} != "
            f"{format_amount(chased + in_dispute + credits, cur)}",
        )
    spec = SheetSpec(
        "Worklist",
        WORKLIST.name,
        wl,
        WORKLIST,
        title="Collections worklist (cobranza: a quién llamar primero)",
        subtitle="Customers to chase, highest priority first: call, write or wait as "
        "next_action says.",
        totals=("overdue", "disputed", "due_soon"),
        controls=tuple(c.rows),
        notes=(
            "score (0-100) = score_amount (0-40: rank of the undisputed overdue among the "
            "customers in the same currency) + score_days (0-30: amount-weighted days past "
            "due, capped at 120) + score_promise (broken +20, partially kept +10, open -15) "
            "+ score_credit (on hold or over the limit +10, utilisation 90 % or more +5).",
            "next_action: wait for an open promise; call about a broken one; else the "
            "dunning level of the oldest overdue item; resolve a dispute with its owner; "
            "a courtesy reminder for items due within 7 days.",
            PER_CURRENCY,
        ),
    )
    return spec, c.findings


DUNNING_SHEET = TableSchema(
    name=NOTICES.name,
    sheet="Dunning",
    description=NOTICES.description,
    sort_by=NOTICES.sort_by,
    columns=(
        *NOTICES.columns,
        Column("subject", Kind.TEXT, False, "the letter's subject (e-mail subject line)"),
        Column("letter", Kind.TEXT, False, "file name of the letter written with the workbook"),
    ),
)
"""The Dunning sheet: the notices plus each letter's subject and file name."""


def _dunning_sheet(r: CollectionsResult) -> tuple[SheetSpec, list[Finding]]:
    inp = r.inputs
    notices = r.dunning.notices.copy()
    by_key = {(x.customer_id, x.currency): x for x in r.letters}
    keys = list(zip(notices["customer_id"], notices["currency"], strict=True))
    notices["subject"] = [by_key[k].subject if k in by_key else "" for k in keys]
    notices["letter"] = [by_key[k].file_name if k in by_key else "" for k in keys]
    notices = notices[DUNNING_SHEET.names]

    c = _controls("Dunning")
    send = notices["action"].eq("send")
    table = DUNNING_SHEET.name
    c.figure("Letters to send", int(send.sum()), "=" + countifs(table, ("action", "send")))
    c.figure(
        "Skipped (reason on the row)",
        int((~send).sum()),
        "=" + countifs(table, ("action", "skip")),
    )
    for cur in _currencies(inp.functional_currency, notices["currency"]):
        claimed = money_sum(notices, "total_due", cur, send)
        c.figure(
            f"Claimed in the letters to send ({cur})",
            claimed,
            "=" + sumifs(table, "total_due", ("currency", cur), ("action", "send")),
            cur,
        )
        parts = [money_sum(notices, col, cur) for col in ("overdue", "fee", "interest")]
        total = money_sum(notices, "total_due", cur)
        f = "+".join(
            sumifs(table, col, ("currency", cur)) for col in ("overdue", "fee", "interest")
        )
        c.check(
            f"Overdue + fees + interest = total due ({cur})",
            sum(parts) == total,
            if_zero(f"{f}-{sumifs(table, 'total_due', ('currency', cur))}"),
        )
        c.figure(
            "  disputed, left out of the letters",
            money_sum(notices, "disputed", cur),
            "=" + sumifs(table, "disputed", ("currency", cur)),
            cur,
        )
    # independent of the engine: no letter line takes the disputed part of a document
    letter_lines = r.dunning.items[r.dunning.items["level"].fillna(0) > 0]
    claimed_doc = letter_lines.groupby("document_id")["amount_open"].sum()
    disputed_doc = r.disputed.groupby("document_id")["amount_open"].sum()
    open_doc = r.items.groupby("document_id")["amount_open"].sum()
    docs = disputed_doc.index
    over = (
        claimed_doc.reindex(docs).fillna(0) + disputed_doc - open_doc.reindex(docs).fillna(0)
    ) > 0
    bad = sorted(docs[over.to_numpy(dtype=bool)])
    c.figure("Disputed documents (DisputeLog)", len(docs))
    c.check(
        "No letter claims a disputed amount",
        not bad,
        None,
        "claimed with their disputed part: " + ", ".join(bad[:5]),
    )
    spec = SheetSpec(
        "Dunning",
        table,
        notices,
        DUNNING_SHEET,
        title="Dunning (avisos de cobranza)",
        subtitle="One letter per customer and currency: send the rows marked send (the "
        "letter file is in the letters folder); skipped rows say why.",
        totals=("overdue", "disputed", "fee", "interest", "total_due"),
        controls=tuple(c.rows),
        notes=(
            "Levels by the oldest undisputed overdue item: 1 friendly reminder (1 day), 2 "
            "second notice (30), 3 final demand (60, with a fee), 4 escalation to external "
            "collections (90). Open credits reduce the claim; disputed amounts are left out.",
            "Skipped: overdue below the minimum for the currency, covered by credits, or a "
            "promise to pay still open.",
            PER_CURRENCY,
        ),
    )
    return spec, c.findings


def _with_name(
    frame: pd.DataFrame, schema: TableSchema, names: pd.Series
) -> tuple[pd.DataFrame, TableSchema]:
    """Insert ``customer_name`` after ``customer_id`` (a reader wants the name)."""
    out = frame.copy()
    out.insert(
        out.columns.get_loc("customer_id") + 1,
        "customer_name",
        out["customer_id"].map(names).fillna("").astype(object),
    )
    cols = list(schema.columns)
    at = schema.names.index("customer_id") + 1
    cols.insert(at, Column("customer_name", Kind.TEXT))
    return out, TableSchema(
        schema.name, schema.sheet, tuple(cols), schema.key, schema.description, schema.sort_by
    )


def _promise_sheet(r: CollectionsResult) -> tuple[SheetSpec, list[Finding]]:
    inp = r.inputs
    frame, schema = _with_name(r.promise_status, PROMISE_STATUS, _names(r.items, inp.customers))
    table = schema.name
    c = _controls("PromiseStatus")
    given = len(inp.promises) if inp.promises is not None else 0
    c.figure("Promises in (Promises sheet)", given)
    c.check(
        "Every promise evaluated",
        len(frame) == given,
        f'=IF({counta(table, "customer_id")}={given},"OK","DIFFERENCE")',
        f"{len(frame)} rows for {given} promises",
    )
    for status in PROMISE_STATUSES:
        c.figure(
            status.replace("_", " ").capitalize(),
            int(frame["status"].eq(status).sum()),
            "=" + countifs(table, ("status", status)),
        )
    for cur in _currencies(inp.functional_currency, frame["currency"]):
        promised, paid, short = (money_sum(frame, x, cur) for x in ("amount", "paid", "shortfall"))
        c.figure(
            f"Promised ({cur})", promised, "=" + sumifs(table, "amount", ("currency", cur)), cur
        )
        c.figure(
            "  paid toward the promises", paid, "=" + sumifs(table, "paid", ("currency", cur)), cur
        )
        c.check(
            f"Promised = paid + shortfall ({cur})",
            promised == paid + short,
            if_zero(
                f"{sumifs(table, 'amount', ('currency', cur))}"
                f"-{sumifs(table, 'paid', ('currency', cur))}"
                f"-{sumifs(table, 'shortfall', ('currency', cur))}"
            ),
        )
    spec = SheetSpec(
        "PromiseStatus",
        table,
        frame,
        schema,
        title="Promises to pay (promesas de pago)",
        subtitle="Each promise at the close date: kept, partially kept, broken or still "
        "open, from the payments applied to the customer.",
        totals=("amount", "paid", "shortfall"),
        controls=tuple(c.rows),
        notes=(
            "A payment counts for a promise from the day it was made to the promised date "
            "plus 2 days; each payment once, the earliest promise first.",
            "Broken and partially kept promises raise the customer on the Worklist (+20, "
            "+10); an open one holds the dunning letter until its date.",
            PER_CURRENCY,
        ),
    )
    return spec, c.findings


def _credit_sheet(r: CollectionsResult) -> tuple[SheetSpec, list[Finding]]:
    inp = r.inputs
    credit = r.credit
    table = CREDIT.name
    c = _controls("Credit")
    labels = {
        "new_hold": "Hold now (new)",
        "on_hold": "Keep on hold",
        "release": "Release: hold reasons gone",
        "watch": "Watch: utilisation 90 % or more",
        "ok": "Within limit",
    }
    for status in CREDIT_STATUSES:
        c.figure(
            labels[status],
            int(credit["status"].eq(status).sum()),
            "=" + countifs(table, ("status", status)),
        )
    aging = inp.aging
    limit_cur = credit.drop_duplicates("customer_id").set_index("customer_id")["currency"]
    if len(aging):
        rows = aging[aging["customer_id"].ne(UNIDENTIFIED)]
        other_mask = rows["customer_id"].map(limit_cur).fillna("").ne(rows["currency"])
        other = rows[other_mask]
    else:
        other = aging
    unidentified = r.items[r.items["customer_id"].eq(UNIDENTIFIED)]
    for cur in _currencies(
        inp.functional_currency, aging.get("currency", pd.Series()), credit["currency"]
    ):
        total = money_sum(aging, "total", cur)
        unplaced = money_sum(unidentified, "amount_open", cur)
        elsewhere = money_sum(other, "total", cur)
        open_ar = money_sum(credit, "open_ar", cur)
        total_f = sumifs(AGING_TABLE, "total", ("currency", cur))
        unplaced_f = sumifs(AGING_TABLE, "total", ("customer_id", UNIDENTIFIED), ("currency", cur))
        ar_f = sumifs(table, "open_ar", ("currency", cur))
        c.figure(f"Aging total ({cur})", total, "=" + total_f, cur)
        c.figure("  unidentified payments (no customer)", unplaced, "=" + unplaced_f, cur)
        c.figure("  in another currency than the customer's limit", elsewhere, currency=cur)
        c.figure("  open AR on this sheet", open_ar, "=" + ar_f, cur)
        c.check(
            f"Aging total = open AR + unidentified + other currency ({cur})",
            total == open_ar + unplaced + elsewhere,
            if_zero(f"{total_f}-{unplaced_f}-({major(elsewhere, cur)})-{ar_f}"),
            f"aging {format_amount(total, cur)} != "
            f"{format_amount(open_ar + unplaced + elsewhere, cur)}",
        )
        orders_f = sumifs(table, "open_orders", ("currency", cur))
        exposure_f = sumifs(table, "exposure", ("currency", cur))
        c.check(
            f"Exposure = open AR + open orders ({cur})",
            money_sum(credit, "exposure", cur) == open_ar + money_sum(credit, "open_orders", cur),
            if_zero(f"{ar_f}+{orders_f}-{exposure_f}"),
        )
    policy = inp.credit_policy or CreditPolicy()
    spec = SheetSpec(
        "Credit",
        table,
        credit,
        CREDIT,
        title="Credit control (límites de crédito y bloqueos)",
        subtitle="The sales team's view: hold the new_hold and on_hold customers, release "
        "the release ones; exposure against the credit limit.",
        totals=("open_ar", "open_orders", "exposure", "overdue"),
        controls=tuple(c.rows),
        notes=(
            "Exposure = open AR (credits and money on account included) + open orders "
            "(OpenOrders sheet); utilisation = exposure / credit limit (Customers sheet).",
            f"Hold when the exposure is over the limit or an undisputed item is more than "
            f"{policy.hold_days_overdue} days past due; release a customer of the "
            "CreditHolds sheet when no hold rule applies any more (received_since_hold: "
            "the money applied since).",
            PER_CURRENCY,
        ),
    )
    return spec, c.findings


def _dispute_sheet(r: CollectionsResult) -> tuple[SheetSpec, list[Finding]]:
    inp = r.inputs
    log = r.dispute_log
    table = DISPUTE_LOG.name
    c = _controls("DisputeLog")
    given = inp.disputes if inp.disputes is not None else empty_table(DISPUTES)
    status = given["status"].fillna("").astype(str) if "status" in given else pd.Series(dtype=str)
    closed = status.isin(["resolved", "rejected"])
    opened_after = 0
    if len(given) and "opened_on" in given:
        opened = pd.to_datetime(given["opened_on"])
        opened_after = int((~closed & (opened > pd.Timestamp(inp.as_of))).sum())
    c.figure("Disputes in (Disputes sheet)", len(given))
    c.figure("  resolved or rejected", int(closed.sum()))
    c.figure("  opened after the close date", opened_after)
    c.figure("  open at the close date (this sheet)", len(log), "=" + counta(table, "document_id"))
    c.check(
        "Every dispute accounted for",
        len(log) + int(closed.sum()) + opened_after == len(given),
        f"=IF({counta(table, 'document_id')}+{int(closed.sum())}+{opened_after}={len(given)},"
        '"OK","DIFFERENCE")',
    )
    wl = r.worklist
    for cur in _currencies(inp.functional_currency, log["currency"], wl["currency"]):
        here_f = sumifs(table, "amount_disputed", ("currency", cur))
        there_f = sumifs("worklist", "disputed", ("currency", cur))
        here, there = money_sum(log, "amount_disputed", cur), money_sum(wl, "disputed", cur)
        c.figure(f"Disputed ({cur})", here, "=" + here_f, cur)
        c.check(
            f"Disputed here = disputed on the Worklist ({cur})",
            here == there,
            if_zero(f"{here_f}-{there_f}"),
            f"{format_amount(here, cur)} != {format_amount(there, cur)}",
        )
    spec = SheetSpec(
        "DisputeLog",
        table,
        log,
        DISPUTE_LOG,
        title="Dispute log (aclaraciones abiertas)",
        subtitle="Open disputes at the close date: kept out of dunning and of the overdue "
        "hold rule, still in the aging total.",
        totals=("amount_disputed",),
        controls=tuple(c.rows),
        notes=(
            "amount_disputed: the amount of the dispute (empty in the log: the whole open "
            "amount), never more than is open.",
            PER_CURRENCY,
        ),
    )
    return spec, c.findings


def _statements_sheet(r: CollectionsResult) -> tuple[SheetSpec, list[Finding]]:
    inp = r.inputs
    summary = r.statement_summary
    schema = account_statements_schema(inp.buckets)
    table = schema.name
    strip = bucket_labels(inp.buckets)
    c = _controls("AccountStatements")
    c.figure("Statements", len(summary), "=" + counta(table, "customer_id"))
    aging = inp.aging
    unidentified = r.items[r.items["customer_id"].eq(UNIDENTIFIED)]
    for cur in _currencies(
        inp.functional_currency, aging.get("currency", pd.Series()), summary["currency"]
    ):
        closing = money_sum(summary, "closing", cur)
        unplaced = money_sum(unidentified, "amount_open", cur)
        total = money_sum(aging, "total", cur)
        closing_f = sumifs(table, "closing", ("currency", cur))
        unplaced_f = sumifs(AGING_TABLE, "total", ("customer_id", UNIDENTIFIED), ("currency", cur))
        total_f = sumifs(AGING_TABLE, "total", ("currency", cur))
        c.figure(f"Closing balances ({cur})", closing, "=" + closing_f, cur)
        c.figure("  unidentified payments (on no statement)", unplaced, "=" + unplaced_f, cur)
        c.figure("  aging total (Aging sheet)", total, "=" + total_f, cur)
        c.check(
            f"Statements + unidentified = aging total ({cur})",
            closing + unplaced == total,
            if_zero(f"{closing_f}+{unplaced_f}-{total_f}"),
            f"{format_amount(closing + unplaced, cur)} != {format_amount(total, cur)}",
        )
        charges, credits = money_sum(summary, "charges", cur), money_sum(summary, "credits", cur)
        c.check(
            f"Charges + credits = closing ({cur})",
            charges + credits == closing,
            if_zero(
                f"{sumifs(table, 'charges', ('currency', cur))}"
                f"+{sumifs(table, 'credits', ('currency', cur))}-{closing_f}"
            ),
        )
        in_strip = sum(money_sum(summary, b, cur) for b in strip)
        c.check(
            f"Aging strip adds up to the closing balances ({cur})",
            in_strip == closing,
            if_zero("+".join(sumifs(table, b, ("currency", cur)) for b in strip) + f"-{closing_f}"),
        )
    spec = SheetSpec(
        "AccountStatements",
        table,
        summary,
        schema,
        title="Statements of account (estados de cuenta)",
        subtitle="One statement per customer and currency: its open documents at the close "
        "date, charges, credits and the aging strip.",
        totals=("charges", "credits", "closing", *strip),
        controls=tuple(c.rows),
        notes=(
            "The statements themselves (PDF, or one sheet per customer) come from "
            "cuadre.collections.statements: statements_pdf, write_statements_xlsx.",
            PER_CURRENCY,
        ),
    )
    return spec, c.findings


def result_sheets(result: CollectionsResult) -> tuple[list[SheetSpec], list[Finding]]:
    """The output sheets of :data:`OUTPUT_SHEETS` and the findings of failed controls."""
    sheets: list[SheetSpec] = []
    findings: list[Finding] = []
    for build in (
        _worklist_sheet,
        _dunning_sheet,
        _promise_sheet,
        _credit_sheet,
        _dispute_sheet,
        _statements_sheet,
    ):
        spec, found = build(result)
        sheets.append(spec)
        findings.extend(found)
    return sheets, findings


def collections_sheets(inputs: CollectionsInputs) -> tuple[list[SheetSpec], list[Finding]]:
    """Run collections and build its output sheets: ``(sheets, findings)``; the findings
    are the engine's (located in the inputs) and those of failed controls."""
    result = run_collections(inputs)
    sheets, failed = result_sheets(result)
    return sheets, [*result.findings, *failed]


# --------------------------------------------------------------------------- input sheets

_INPUT_TEXT: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "promises": (
        "Promises to pay (promesas de pago)",
        "One row per commitment: customer, amount, currency and the date they will have paid by.",
        (
            "made_on: the day the promise was made (empty: 30 days before the promised "
            "date). Status (kept, partially kept, broken, open) is on PromiseStatus.",
        ),
    ),
    "disputes": (
        "Dispute log (aclaraciones)",
        "Documents, or parts of them, the customer contests.",
        (
            "reason: pricing, quantity, freight, damaged_goods, duplicate or other; status: "
            "open (or empty), resolved, rejected; amount empty: the whole open amount.",
            "An open dispute keeps its amount out of dunning and of the overdue hold rule; "
            "it stays in the aging.",
        ),
    ),
    "credit_holds": (
        "Credit holds (clientes bloqueados)",
        "The customers on credit hold now: the last hold list, with the day each was held.",
        ("Credit says which to keep on hold and which to release.",),
    ),
    "open_orders": (
        "Open sales orders (pedidos por facturar)",
        "Orders not yet invoiced: they add to the customer's credit exposure.",
        ("amount in the currency of the customer's credit limit.",),
    ),
}


def collections_input_sheets(
    tables: Mapping[str, pd.DataFrame | None] | None = None,
) -> list[SheetSpec]:
    """The input sheets of :data:`INPUT_TABLES` (blue tabs): the tables given, as read
    (with a ``source`` column when they carry their file and row), empty otherwise;
    with no tables (the template) without a totals row, so that rows pasted under the
    header land in the table."""
    return [
        input_sheet(schema, (tables or {}).get(key), *_INPUT_TEXT[key], totals=bool(tables))
        for key, schema in INPUT_TABLES.items()
    ]
