"""The accruals and provision sheets of the close workbook: what to book at month end.

What
    :func:`accruals_sheets` runs the month-end accrual engines on the close and returns
    their sheets (green tabs), each a :class:`~cuadre.workbook.writer.SheetSpec` that
    :func:`~cuadre.workbook.writer.write_workbook` and the Excel add-in write alike:

    ================= ===================== ===========================================
    sheet             table                 one row per
    ================= ===================== ===========================================
    Accruals          accruals              customer and currency accrued (provisión
                                            de ingresos), with its operations
    Unbilled          unbilled              operation completed by the cut-off and not
                                            invoiced by it (the accrual's source)
    Cutoff            sales_cutoff          delivery near the period end and where its
                                            invoice fell (sales cut-off test)
    ProvisionMatrix   provision_matrix      currency and aging bucket: receivable, loss
                                            rate, provision, and how the rate was
                                            derived (roll rate of each month pair)
    Provision         provision_by_customer customer and currency: provision per bucket
                                            or specific; the allowance movement on top
    AccrualJournal    accrual_journal       journal line: the accrual, its reversal on
                                            the first day of the next period, the
                                            provision charge and the write-offs
    AccrualUploadSAP  accrual_upload_sap    the same lines in an SAP G/L upload layout
                                            (only with ``sap_company_code``)
    ================= ===================== ===========================================

    :func:`accruals_input_sheets` gives the input sheets (blue tabs) of
    :data:`INPUT_TABLES`: Operations, AgingHistory, LossRates, SpecificProvisions,
    WriteOffs, OpeningAllowance (empty for the template).

Rules
    The accrual is :func:`cuadre.accruals.accrue_unbilled` (revenue earned by the
    cut-off and not invoiced by it; reversed on the day after ``period_end``). The
    allowance is :func:`cuadre.provision.compute_provision` on the open items after cash
    application (the IFRS 9 simplified approach: lifetime expected credit losses by a
    provision matrix, B5.5.35), with the loss rates chosen by ``method``:

    - ``roll_rates``: derived from the month-end agings of AgingHistory (roll rate of
      each bucket into the next one month later, the last one into write-off; loss rate
      = product of the roll rates to write-off), times the forward-looking factor;
    - ``matrix``: the loss rates of the LossRates sheet, as given (already adjusted);
    - ``flat``: flat percentages per bucket (``flat_percentages``, or the LossRates
      sheet), as many local GAAPs and tax rules prescribe.

    Customers on SpecificProvisions are provided individually instead of by the matrix.
    The movement: opening allowance (OpeningAllowance) - write-offs (WriteOffs) + charge
    = closing allowance; the charge is booked (debit bad-debt expense, credit allowance).

Controls
    Every sheet carries its control block as live formulas over the tables with the
    engine's figures cached: operations in = billed + accrued + completed later; per
    operation = per customer = journal debits; reversed in full on day 1 of the next
    period; each bucket's provision = receivable x loss rate, rounded; customers add up
    to the matrix; closing allowance = opening - write-offs + charge = the journal's
    charge; every journal balances (debits = credits), as :func:`cuadre.journals.
    check_balanced` also proves in code. A control that fails is also reported
    (``ACCRUALS_CONTROL``, an error).

Reference: IFRS 15.31-38 (revenue when the service is rendered); IFRS 9 5.5.15,
B5.5.35, IE Example 12; IFRS 7.35H (allowance movement); shared DOMAIN.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, get_args

import pandas as pd

from cuadre.accruals import AccrualPolicy, AccrualResult, accrue_unbilled, billing
from cuadre.aging import bucket_labels
from cuadre.close import CloseResult
from cuadre.findings import Finding, Location, warning
from cuadre.journals import SAP_COLUMNS, check_balanced, concat, sap_layout
from cuadre.model.tables import (
    JOURNAL_LINES,
    Column,
    Kind,
    TableSchema,
    empty_table,
)
from cuadre.provision import (
    ProvisionPolicy,
    ProvisionResult,
    compute_provision,
    flat_matrix,
    matrix_from_roll_rates,
    roll_rate_table,
)
from cuadre.reconcile.core import provenance, show, text
from cuadre.reconcile.tables import (
    ACCRUALS,
    AGING_SNAPSHOTS,
    OPERATIONS,
    SALES_CUTOFF,
    SPECIFIC_PROVISIONS,
    UNBILLED,
    WRITE_OFFS,
)
from cuadre.workbook.formulas import (
    Controls,
    countifs,
    decimals,
    if_zero,
    major,
    money_sum,
    nonempty,
    string,
    sumifs,
)
from cuadre.workbook.inputs import PER_CURRENCY, input_sheet
from cuadre.workbook.writer import ControlRow, SheetSpec, column_ref

__all__ = [
    "INPUT_TABLES",
    "METHODS",
    "OUTPUT_SHEETS",
    "SHEETS_GUIDE",
    "AccrualsInputs",
    "Method",
    "accruals_input_sheets",
    "accruals_sheets",
]

Method = Literal["roll_rates", "matrix", "flat"]
METHODS: tuple[str, ...] = get_args(Method)

# --------------------------------------------------------------------------- schemas

OPERATIONS_INPUT = OPERATIONS  # invoice_date is in the schema itself

LOSS_RATES = TableSchema(
    name="loss_rates",
    sheet="LossRates",
    description="Loss rate per aging bucket, given (method matrix) or flat (method flat).",
    sort_by=("currency", "bucket"),
    columns=(
        Column("currency", Kind.TEXT, False, "empty: every currency"),
        Column("bucket", Kind.TEXT, True, "aging bucket label: current, 1-30, ..., 121+"),
        Column("loss_rate", Kind.RATIO, True, "a ratio: 0.05 for 5%"),
        Column("basis", Kind.TEXT, False, "where the rate comes from"),
    ),
)

OPENING_ALLOWANCE = TableSchema(
    name="opening_allowance",
    sheet="OpeningAllowance",
    description="The allowance for doubtful accounts at the start of the period.",
    key=("currency",),
    sort_by=("currency",),
    columns=(
        Column("currency", Kind.CURRENCY, True),
        Column("amount", Kind.MONEY, True, "allowance balance, positive (last closing)"),
        Column("note", Kind.TEXT),
    ),
)

INPUT_TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        OPERATIONS_INPUT,
        AGING_SNAPSHOTS,
        LOSS_RATES,
        SPECIFIC_PROVISIONS,
        WRITE_OFFS,
        OPENING_ALLOWANCE,
    )
}
"""The accrual and provision inputs, by table name: ``operations`` (sheet Operations:
services, shipments, customs operations completed), ``aging_snapshots`` (AgingHistory:
month-end aging totals per bucket and each month's write-offs, for roll rates),
``loss_rates`` (LossRates: a given matrix or flat rates), ``specific_provisions``
(SpecificProvisions: customers in default), ``write_offs`` (WriteOffs: the period's
castigos) and ``opening_allowance`` (OpeningAllowance)."""

ACCRUALS_SHEET = dataclasses.replace(
    ACCRUALS,
    columns=(
        *ACCRUALS.columns,
        Column("operation_ids", Kind.TEXT, False, "the operations accrued, ';'-separated"),
        Column("journal_id", Kind.TEXT, False, "the accrual journal"),
    ),
)
UNBILLED_SHEET = dataclasses.replace(
    UNBILLED,
    columns=(
        *UNBILLED.columns,
        Column("description", Kind.TEXT),
        Column("source", Kind.TEXT, False, "file and row of the operation"),
    ),
)
JOURNAL_SHEET = dataclasses.replace(JOURNAL_LINES, name="accrual_journal", sheet="AccrualJournal")
OUTPUT_SHEETS = (
    "Accruals",
    "Unbilled",
    "Cutoff",
    "ProvisionMatrix",
    "Provision",
    "AccrualJournal",
    "AccrualUploadSAP",
)
"""The output sheets, in order (AccrualUploadSAP only with ``sap_company_code``)."""

AGING_TABLE = "aging"
"""The Aging sheet's table, which the Provision sheet ties back to."""

SHEETS_GUIDE: tuple[tuple[str, str, str, str], ...] = (
    (
        "Operations",
        "input",
        "Services delivered, shipments, customs operations completed: customer, date, "
        "amount (or quantity x rate), the invoice that billed it.",
        "Paste the operations of the period and the first days of the next one.",
    ),
    (
        "AgingHistory",
        "input",
        "Month-end aging totals per bucket and currency, and each month's write-offs "
        "(bucket write_off).",
        "Add last month's Aging totals every close; 6 to 12 month ends give the roll rates.",
    ),
    (
        "LossRates",
        "input",
        "Loss rate per bucket (a ratio): a given matrix, or flat percentages.",
        "Only for the methods matrix and flat (Settings).",
    ),
    (
        "SpecificProvisions",
        "input",
        "Customers in default (bankrupt, in litigation): rate or amount, and why.",
        "They are provided individually instead of by the matrix.",
    ),
    (
        "WriteOffs",
        "input",
        "Receivables written off in the period (castigos), against the allowance.",
        "One row per document written off.",
    ),
    (
        "OpeningAllowance",
        "input",
        "The allowance for doubtful accounts at the start of the period, per currency.",
        "Last period's closing allowance (Provision sheet).",
    ),
    (
        "Accruals",
        "result",
        "Unbilled revenue accrued per customer (provisión de ingresos), with its operations.",
        "Book the AccrualJournal; it reverses on the first day of next month.",
    ),
    (
        "Unbilled",
        "result",
        "Each operation completed by the cut-off and not invoiced by it, and why.",
        "Invoice them; the accrual is their sum.",
    ),
    (
        "Cutoff",
        "result",
        "Deliveries near the period end and where their invoice fell (sales cut-off test).",
        "Correct early_invoice rows: revenue invoiced before it was earned.",
    ),
    (
        "ProvisionMatrix",
        "result",
        "Loss rate per aging bucket and how it was derived (roll rates month by month).",
        "Review the rates and the forward-looking factor; sign off the matrix.",
    ),
    (
        "Provision",
        "result",
        "Expected credit loss per customer, specific provisions, allowance movement.",
        "Book the charge (AccrualJournal); keep it as the allowance working paper.",
    ),
    (
        "AccrualJournal",
        "result",
        "Journal lines: accrual, its reversal, provision charge, write-offs. Balanced.",
        "Upload to the ERP (cuadre writes the generic CSV and the SAP layout).",
    ),
)
"""README rows (sheet, kind, holds, what_to_do) for the accrual and provision sheets."""


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class AccrualsInputs:
    """What the accrual and provision sheets are built from.

    ``period_end`` is the cut-off of the accrual and the as-of date of the allowance.
    ``open_items`` are the open items after cash application
    (:attr:`cuadre.close.CloseResult.open_after`): the receivables provided for, and the
    invoices that bill the operations (``invoices`` when the ERP's full invoice list is
    at hand); ``aging`` is the close's aging (the Provision sheet ties to it). The
    tables of :data:`INPUT_TABLES` are optional (``None``: none; no ``operations``: no
    accrual sheets). ``method`` picks the loss rates (module doc);
    ``provision_policy`` holds the buckets, the forward-looking factor (overall and per
    bucket, roll rates only), the window and the GL accounts of the allowance,
    ``accrual_policy`` the accounts of the accrual and the cut-off window.
    ``sap_company_code`` adds the SAP upload sheet.
    """

    period_end: dt.date
    open_items: pd.DataFrame
    aging: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    invoices: pd.DataFrame | None = None
    operations: pd.DataFrame | None = None
    aging_snapshots: pd.DataFrame | None = None
    loss_rates: pd.DataFrame | None = None
    specific_provisions: pd.DataFrame | None = None
    write_offs: pd.DataFrame | None = None
    opening_allowance: pd.DataFrame | None = None
    method: Method = "roll_rates"
    flat_percentages: Mapping[str, float | str | Decimal] | None = None
    accrual_policy: AccrualPolicy = field(default_factory=AccrualPolicy)
    provision_policy: ProvisionPolicy = field(default_factory=ProvisionPolicy)
    sap_company_code: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; yours is {self.method!r}")

    @classmethod
    def from_close(
        cls,
        result: CloseResult,
        period_end: dt.date,
        customers: pd.DataFrame | None = None,
        tables: Mapping[str, pd.DataFrame | None] | None = None,
        **options: object,
    ) -> AccrualsInputs:
        """Inputs from a close's result plus the tables of :data:`INPUT_TABLES` (by
        name); ``options`` are the other fields (``method``, ``provision_policy``...)."""
        tables = dict(tables or {})
        unknown = sorted(set(tables) - set(INPUT_TABLES))
        if unknown:
            raise ValueError(
                f"unknown accrual tables {unknown}; expected some of {sorted(INPUT_TABLES)}"
            )
        return cls(
            period_end=period_end,
            open_items=result.open_after,
            aging=result.aging,
            customers=customers,
            **tables,  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )


# --------------------------------------------------------------------------- formulas


def _cur(currency: str) -> tuple[str, str]:
    return ("currency", currency)


_HINT = (
    "The accrual or provision sheets disagree with their inputs or with each other: do "
    "not book the journal; report it with the inputs."
)


def _controls(sheet: str) -> Controls:
    """The control block of one accruals sheet (a failure: ACCRUALS_CONTROL)."""
    return Controls(sheet, "ACCRUALS_CONTROL", _HINT, "accruals")


def _names(customers: pd.DataFrame | None, *frames: pd.DataFrame | None) -> dict[str, str]:
    """customer_id -> name: the master first, then the names the tables carry."""
    names: dict[str, str] = {}
    for f in (*frames, customers):
        if f is None or f.empty or "customer_name" not in f:
            continue
        pairs = zip(text(f, "customer_id"), text(f, "customer_name"), strict=True)
        names.update({c: n for c, n in pairs if c and n})
    return names


# --------------------------------------------------------------------------- accrual


def _accrual_sheets(
    inputs: AccrualsInputs, ops: pd.DataFrame, a: AccrualResult
) -> tuple[list[SheetSpec], list[Finding]]:
    end = pd.Timestamp(inputs.period_end)
    invoices = inputs.invoices if inputs.invoices is not None else inputs.open_items
    acc_j = a.journal[a.journal["reversal_of"].eq("")]
    rev_j = a.journal[a.journal["reversal_of"].ne("")]
    jid_of = dict(zip(acc_j["currency"], acc_j["journal_id"], strict=False))

    # Accruals: per customer, with the operations accrued and the journal.
    ops_of = a.unbilled.groupby(["currency", "customer_id"])["operation_id"].agg(";".join)
    accruals = a.accruals.copy()
    names = _names(inputs.customers, ops)
    accruals["customer_name"] = [
        n or names.get(c, "")
        for c, n in zip(accruals["customer_id"], accruals["customer_name"], strict=True)
    ]
    accruals["operation_ids"] = [
        ops_of.get((cur, c), "")
        for cur, c in zip(accruals["currency"], accruals["customer_id"], strict=True)
    ]
    accruals["journal_id"] = [jid_of.get(c, "") for c in accruals["currency"]]

    # Unbilled: each operation accrued, with its description and source row.
    unbilled = a.unbilled.copy()
    first = ops.assign(_id=text(ops, "operation_id")).drop_duplicates("_id").set_index("_id")
    described = dict(zip(first.index, text(first, "description"), strict=True))
    sources = dict(zip(first.index, provenance(first), strict=True))
    unbilled["description"] = [described.get(o, "") for o in unbilled["operation_id"]]
    unbilled["source"] = [sources.get(o, "") for o in unbilled["operation_id"]]

    # Operations in = billed by the cut-off + accrued + completed later (+ no date).
    done = pd.to_datetime(ops["completed_date"], errors="coerce")
    bills = billing(ops, invoices)
    billed = int((done.le(end) & bills["invoice_date"].le(end)).sum())
    later = int(done.gt(end).sum())
    undated = int(done.isna().sum())
    accrued = len(a.unbilled)
    count = f"COUNTA({column_ref('unbilled', 'operation_id')})"
    ctl = _controls("Accruals")
    ctl.figure("Operations in (Operations sheet)", len(ops))
    ctl.figure("Completed and invoiced by the cut-off", billed)
    ctl.figure("Accrued: completed, not invoiced by the cut-off", accrued, f"={count}")
    ctl.figure("Completed after the cut-off (next period)", later)
    if undated:
        ctl.figure("Without a completion date (not accrued)", undated)
    ctl.check(
        "Operations in = invoiced + accrued + later",
        len(ops) == billed + accrued + later + undated,
        f'=IF({len(ops)}={billed}+{count}+{later}+{undated},"OK","DIFFERENCE")',
    )
    for cur in sorted(set(a.unbilled["currency"]) | set(a.accruals["currency"])):
        per_op = money_sum(a.unbilled, "unbilled", cur)
        per_customer = money_sum(a.accruals, "amount", cur)
        f_op = sumifs("unbilled", "unbilled", _cur(cur))
        f_cust = sumifs("accruals", "amount", _cur(cur))
        ctl.figure("Accrued per operation (Unbilled sheet)", per_op, f"={f_op}", cur)
        ctl.figure("Accrued per customer (this sheet)", per_customer, f"={f_cust}", cur)
        ctl.check(
            f"Per operation = per customer ({cur})",
            per_op == per_customer,
            if_zero(f"{f_op}-{f_cust}"),
        )
        jid = jid_of.get(cur, "")
        debits = money_sum(a.journal, "debit", cur, a.journal["journal_id"].eq(jid))
        f_jd = sumifs("accrual_journal", "debit", ("journal_id", jid))
        ctl.figure(
            f"Journal {jid}: debit {inputs.accrual_policy.unbilled_account}",
            debits,
            f"={f_jd}",
            cur,
        )
        ctl.check(f"Journal = accrual ({cur})", debits == per_customer, if_zero(f"{f_jd}-{f_cust}"))
        rev = rev_j[rev_j["reversal_of"].eq(jid)]
        day = end + pd.Timedelta(days=1)
        on_day = int(rev.loc[rev["date"].eq(day), "credit"].sum())
        rid = str(rev["journal_id"].iloc[0]) if len(rev) else f"{jid}-R"
        f_rev = sumifs("accrual_journal", "credit", ("journal_id", rid), ("date", day))
        ctl.check(
            f"Reversed in full on {day:%Y-%m-%d}, day 1 of the next period ({cur})",
            on_day == per_customer and len(rev) > 0,
            if_zero(f"{f_rev}-{f_cust}"),
        )
    accruals_spec = SheetSpec(
        "Accruals",
        "accruals",
        accruals[ACCRUALS_SHEET.names],
        ACCRUALS_SHEET,
        title=f"Unbilled revenue accrual (provisión de ingresos) at {end:%Y-%m-%d}",
        subtitle="Revenue earned by the cut-off and not invoiced by it, per customer. Book "
        "the accrual journal; it reverses on the first day of the next period.",
        totals=("operations", "amount"),
        controls=tuple(ctl.rows),
        notes=(
            f"Debit {inputs.accrual_policy.unbilled_account} (unbilled receivables), credit "
            f"{inputs.accrual_policy.revenue_account} (revenue); see AccrualJournal.",
            PER_CURRENCY,
        ),
    )
    unbilled_spec = SheetSpec(
        "Unbilled",
        "unbilled",
        unbilled[UNBILLED_SHEET.names],
        UNBILLED_SHEET,
        title="Operations accrued: completed by the cut-off, not invoiced by it",
        subtitle="The source of the accrual, one row per operation; reason says why it is "
        "accrued. Invoice them.",
        totals=("amount", "unbilled"),
        controls=(ControlRow("Operations accrued", accrued, formula=f"={count}"),),
        notes=(PER_CURRENCY,),
    )
    return [accruals_spec, unbilled_spec, _cutoff_sheet(inputs, a.cutoff)], ctl.findings


def _cutoff_sheet(inputs: AccrualsInputs, cutoff: pd.DataFrame) -> SheetSpec:
    days = inputs.accrual_policy.cutoff_days
    end = pd.Timestamp(inputs.period_end)
    rows = [ControlRow(f"Deliveries within {days} days of {end:%Y-%m-%d}", len(cutoff))]
    for result in ("ok", "accrued", "early_invoice", "not_invoiced"):
        n = int(cutoff["result"].eq(result).sum())
        formula = "=" + countifs("sales_cutoff", ("result", result))
        rows.append(ControlRow(f"  {result}", n, formula=formula))
    early = cutoff["result"].eq("early_invoice")
    for cur in sorted(set(cutoff.loc[early, "currency"])):
        amount = money_sum(cutoff, "amount", cur, early)
        formula = sumifs("sales_cutoff", "amount", _cur(cur), ("result", "early_invoice"))
        rows.append(ControlRow("Revenue invoiced before delivery", amount, "=" + formula, cur))
    n_early = int(early.sum())
    rows.append(
        ControlRow(
            "No revenue invoiced before delivery",
            "OK" if n_early == 0 else "REVIEW",
            formula=f'=IF({countifs("sales_cutoff", ("result", "early_invoice"))}=0,"OK","REVIEW")',
            check=True,
        )
    )
    return SheetSpec(
        "Cutoff",
        "sales_cutoff",
        cutoff,
        SALES_CUTOFF,
        title="Sales cut-off test",
        subtitle=f"Deliveries from {days} days before to {days} days after the period end "
        "and the period their invoice fell in.",
        totals=("amount",),
        controls=tuple(rows),
        notes=(
            "ok: delivered and invoiced in the period; accrued: delivered, invoiced later "
            "(in the accrual); early_invoice: invoiced in the period, delivered after it "
            "(defer the revenue); not_invoiced: next period's revenue.",
            PER_CURRENCY,
        ),
    )


# --------------------------------------------------------------------------- provision


def _opening(frame: pd.DataFrame | None) -> tuple[dict[str, int], list[Finding]]:
    if frame is None or frame.empty:
        return {}, []
    findings: list[Finding] = []
    amounts = frame["amount"].astype("Int64")
    out: dict[str, int] = {}
    where = Location("opening_allowance", sheet=OPENING_ALLOWANCE.sheet)
    for cur, amount in zip(text(frame, "currency"), amounts, strict=True):
        if pd.isna(amount):
            findings.append(
                warning(
                    where,
                    "NO_AMOUNT",
                    f"opening allowance for {cur or '(no currency)'} has no amount; taken as 0",
                    "Give last period's closing allowance (Provision sheet).",
                )
            )
            continue
        if cur in out:
            findings.append(
                warning(
                    where,
                    "DUPLICATE_CURRENCY",
                    f"a second opening allowance for {cur}: the two are added",
                    "Keep one row per currency.",
                )
            )
        if int(amount) < 0:
            findings.append(
                warning(
                    where,
                    "NEGATIVE_ALLOWANCE",
                    f"opening allowance {show(int(amount), cur)} is negative; the allowance "
                    "is written as a positive balance",
                    "Give the allowance as a positive amount (it is a credit balance).",
                )
            )
        out[cur] = out.get(cur, 0) + int(amount)
    return out, findings


def _matrix(inputs: AccrualsInputs) -> tuple[pd.DataFrame, str, list[Finding]]:
    """The matrix the method gives, a sentence saying how, and findings."""
    policy = inputs.provision_policy
    adjusted = policy.forward_factor != 1 or bool(policy.forward_by_bucket)
    findings: list[Finding] = []
    if inputs.method != "roll_rates" and adjusted:
        findings.append(
            warning(
                Location("", sheet="Settings"),
                "FORWARD_NOT_APPLIED",
                f"the forward-looking factor adjusts rates derived from roll rates; with the "
                f"method {inputs.method} the rates are used as given",
                "Put the adjusted rates on LossRates, or use the method roll_rates.",
            )
        )
    if inputs.method == "roll_rates":
        snaps = nonempty(inputs.aging_snapshots)
        if snaps is None:
            findings.append(
                warning(
                    Location("", sheet=AGING_SNAPSHOTS.sheet),
                    "NO_SNAPSHOTS",
                    "the method roll_rates needs month-end agings on AgingHistory; none "
                    "given, so every loss rate is 0",
                    "Paste 6 to 12 month-end aging totals, or choose the method matrix or flat.",
                )
            )
            return flat_matrix({}, policy.buckets), "no aging history: rates 0", findings
        matrix, more = matrix_from_roll_rates(snaps, policy)
        dates = pd.to_datetime(snaps["as_of"])
        how = (
            f"roll rates from the month-end agings {dates.min():%Y-%m-%d} to "
            f"{dates.max():%Y-%m-%d}"
            + (f" (last {policy.window_months} months)" if policy.window_months else "")
            + f", forward-looking factor {policy.forward_factor:g}"
            + "".join(f", {b}: {f:g}" for b, f in sorted(policy.forward_by_bucket.items()))
        )
        return matrix, how, findings + more
    if inputs.method == "flat" and inputs.flat_percentages:
        try:
            return (
                flat_matrix(inputs.flat_percentages, policy.buckets),
                "flat percentages per bucket (Settings)",
                findings,
            )
        except ValueError as exc:
            findings.append(
                warning(
                    Location("", sheet="Settings"),
                    "UNKNOWN_BUCKET",
                    f"flat percentages: {exc}; every loss rate taken as 0",
                    "Name the buckets as the aging does (current, 1-30, ..., 121+).",
                )
            )
            return flat_matrix({}, policy.buckets), "flat percentages: invalid", findings
    given = nonempty(inputs.loss_rates)
    label = "flat percentage" if inputs.method == "flat" else "given matrix"
    if given is None:
        findings.append(
            warning(
                Location("", sheet=LOSS_RATES.sheet),
                "NO_LOSS_RATES",
                f"the method {inputs.method} needs the loss rates on LossRates; none given, "
                "so every loss rate is 0",
                "Fill LossRates (one rate per bucket, 0.05 for 5%).",
            )
        )
        return flat_matrix({}, policy.buckets), f"{label}: none given", findings
    matrix = given.copy()
    basis = text(matrix, "basis")
    matrix["basis"] = basis.where(basis.ne(""), label)
    matrix["order"] = text(matrix, "bucket").map(
        {b: i + 1 for i, b in enumerate(bucket_labels(policy.buckets))}
    )
    return matrix, f"{label} (LossRates sheet)", findings


def _matrix_frame(
    res: ProvisionResult, rolls: pd.DataFrame, policy: ProvisionPolicy, method: str
) -> tuple[pd.DataFrame, TableSchema, list[str]]:
    """The ProvisionMatrix table: per currency and bucket the derivation (one roll rate
    column per month pair), the receivable, the rate and the provision."""
    rows = res.provision[res.provision["bucket"].ne("specific")].reset_index(drop=True)
    m = res.matrix
    m_cur, m_bucket = text(m, "currency"), text(m, "bucket")

    def derived(cur: str, bucket: str, column: str) -> object:
        if column not in m:
            return None
        hit = m[m_cur.eq(cur) & m_bucket.eq(bucket)]
        if hit.empty:
            hit = m[m_cur.eq("") & m_bucket.eq(bucket)]
        return hit[column].iloc[-1] if len(hit) else None

    pairs: list[str] = []
    if len(rolls):
        pairs = sorted({f"rr {d:%Y-%m}" for d in rolls["to_date"]})
    out = pd.DataFrame(
        {
            "currency": rows["currency"],
            "order": rows["order"],
            "bucket": rows["bucket"],
        }
    )
    for name in pairs:
        when = pd.Timestamp(name[3:] + "-01")
        part = rolls[rolls["to_date"].dt.to_period("M").eq(when.to_period("M"))]
        rate = part.set_index(["currency", "bucket"])["roll_rate"]
        # shown to 4 decimals: the check below uses the window's sums, not these
        out[name] = pd.to_numeric(
            pd.Series(
                [rate.get((c, b)) for c, b in zip(rows["currency"], rows["bucket"], strict=True)],
                dtype=object,
            ),
            errors="coerce",
        ).round(4)
    sums = (
        rolls.groupby(["currency", "bucket"])[["balance", "rolled"]].sum() if len(rolls) else None
    )
    if sums is not None:
        out["balance"] = pd.array(
            [
                int(sums.at[(c, b), "balance"]) if (c, b) in sums.index else None
                for c, b in zip(rows["currency"], rows["bucket"], strict=True)
            ],
            dtype="Int64",
        )
        out["rolled"] = pd.array(
            [
                int(sums.at[(c, b), "rolled"]) if (c, b) in sums.index else None
                for c, b in zip(rows["currency"], rows["bucket"], strict=True)
            ],
            dtype="Int64",
        )
    for column in ("roll_rate", "historical_loss_rate"):
        out[column] = pd.to_numeric(
            pd.Series(
                [
                    derived(c, b, column)
                    for c, b in zip(rows["currency"], rows["bucket"], strict=True)
                ],
                dtype=object,
            ),
            errors="coerce",
        )
    factors = [
        policy.forward_by_bucket.get(b, policy.forward_factor) if method == "roll_rates" else None
        for b in rows["bucket"]
    ]
    # The ratio columns stay out of the schema, so they are written as plain numbers
    # (General): the writer's ratio format shows two decimals, and 0.1% would read 0.00.
    out["forward_factor"] = pd.to_numeric(pd.Series(factors, dtype=object), errors="coerce")
    out["loss_rate"] = rows["loss_rate"].astype("float64")
    out["receivable"] = rows["receivable"]
    out["provision"] = rows["provision"]
    out["basis"] = rows["basis"]
    columns = [
        Column("currency", Kind.CURRENCY, True),
        Column("order", Kind.INT, True),
        Column("bucket", Kind.TEXT, True),
        *(
            (Column("balance", Kind.MONEY), Column("rolled", Kind.MONEY))
            if sums is not None
            else ()
        ),
        Column("receivable", Kind.MONEY, True),
        Column("provision", Kind.MONEY, True),
        Column("basis", Kind.TEXT),
    ]
    schema = TableSchema("provision_matrix", "ProvisionMatrix", tuple(columns))
    return out, schema, pairs


def _provision_sheets(
    inputs: AccrualsInputs,
    res: ProvisionResult,
    rolls: pd.DataFrame,
    how: str,
) -> tuple[list[SheetSpec], list[Finding]]:
    policy = inputs.provision_policy
    labels = bucket_labels(policy.buckets)
    matrix, m_schema, pairs = _matrix_frame(res, rolls, policy, inputs.method)
    currencies = sorted(set(res.provision["currency"]) | set(res.movement["currency"]))

    # ---- ProvisionMatrix
    mc = _controls("ProvisionMatrix")
    mc.figure("Loss rates", how)
    for cur in sorted(set(matrix["currency"])):
        rec = money_sum(matrix, "receivable", cur)
        prov = money_sum(matrix, "provision", cur)
        f_rec = sumifs("provision_matrix", "receivable", _cur(cur))
        f_prov = sumifs("provision_matrix", "provision", _cur(cur))
        mc.figure("Gross receivable provided by the matrix", rec, f"={f_rec}", cur)
        mc.figure("Provision by the matrix", prov, f"={f_prov}", cur)
        half = Decimal(5).scaleb(-decimals(cur) - 1) * Decimal("1.000001")
        rec_c, lr_c, prov_c, cur_c = (
            column_ref("provision_matrix", c)
            for c in ("receivable", "loss_rate", "provision", "currency")
        )
        mine = matrix[matrix["currency"].eq(cur)]
        ok = all(
            abs(int(r) * Decimal(repr(float(lr))) - int(p)) <= Decimal("0.5000001")
            for r, lr, p in zip(
                mine["receivable"], mine["loss_rate"], mine["provision"], strict=True
            )
        )
        mc.check(
            f"Provision = receivable x loss rate, rounded ({cur})",
            ok,
            f"=IF(SUMPRODUCT(({cur_c}={string(cur)})*(ABS({rec_c}*{lr_c}-{prov_c})>{half:f}))=0,"
            '"OK","DIFFERENCE")',
        )
    if "balance" in matrix:
        bal_c, rolled_c, rr_c = (
            column_ref("provision_matrix", c) for c in ("balance", "rolled", "roll_rate")
        )
        bal = matrix["balance"].astype("Float64").fillna(0)
        rolled = matrix["rolled"].astype("Float64").fillna(0)
        rr = matrix["roll_rate"].fillna(0)
        capped = pd.concat([bal, rolled], axis=1).min(axis=1)
        ok = bool(((bal <= 0) | ((rr * bal - capped).abs() < 1)).all())
        mc.check(
            "Roll rate = rolled / balance (at most 1), every bucket",
            ok,
            f"=IF(SUMPRODUCT(({bal_c}>0)*(ROUND({rr_c}*{bal_c}-({rolled_c}+{bal_c}"
            f'-ABS({rolled_c}-{bal_c}))/2,2)<>0))=0,"OK","DIFFERENCE")',
        )
    m_notes = [
        "balance: the bucket summed over the month ends of the window; rolled: what was "
        "in the next bucket a month later (for the last bucket: written off), summed; "
        "roll_rate = rolled / balance (at most 1).",
        "historical_loss_rate: the product of the roll rates from the bucket to write-off; "
        "loss_rate = historical x forward_factor (at most 1). IFRS 9 B5.5.35.",
    ]
    if pairs:
        m_notes.insert(
            0,
            "rr YYYY-MM: the roll rate of that month: the share of the bucket's balance at "
            "the previous month end found in the next bucket at the end of YYYY-MM.",
        )
    matrix_spec = SheetSpec(
        "ProvisionMatrix",
        "provision_matrix",
        matrix,
        m_schema,
        title="Provision matrix (IFRS 9 simplified approach)",
        subtitle="Loss rate per aging bucket, how it was derived, and the expected credit "
        "loss it gives on the receivable of the bucket.",
        totals=("receivable", "provision"),
        controls=tuple(mc.rows),
        notes=(*m_notes, PER_CURRENCY),
    )

    # ---- Provision (per customer)
    table = _by_customer_frame(inputs, res, labels)
    pc = _controls("Provision")
    jid_of = dict(
        zip(
            res.journal.loc[res.journal["account"].eq(policy.expense_account), "currency"],
            res.journal.loc[res.journal["account"].eq(policy.expense_account), "journal_id"],
            strict=True,
        )
    )
    for cur in currencies:
        mv = res.movement[res.movement["currency"].eq(cur)].set_index("line")["amount"]
        opening, written, charge, closing = (int(mv.get(i, 0)) for i in (1, 2, 3, 4))
        f_rec = sumifs("provision_by_customer", "receivable", _cur(cur))
        rec = money_sum(table, "receivable", cur)
        pc.figure("Gross receivable (debit items)", rec, f"={f_rec}", cur)
        if inputs.aging is not None and "total" in inputs.aging:
            total = money_sum(inputs.aging, "total", cur)
            f_aging = sumifs(AGING_TABLE, "total", _cur(cur))
            pc.figure("Aging total (Aging sheet)", total, f"={f_aging}", cur)
            pc.figure(
                "Aging - gross receivable: credits, not netted",
                total - rec,
                f"={f_aging}-{f_rec}",
                cur,
            )
        f_matrix = sumifs("provision_by_customer", "provision", _cur(cur), ("method", "matrix"))
        f_pm = sumifs("provision_matrix", "provision", _cur(cur))
        by_matrix = money_sum(table, "provision", cur, table["method"].eq("matrix"))
        pc.check(
            f"Customers add up to the matrix (ProvisionMatrix) ({cur})",
            by_matrix == money_sum(matrix, "provision", cur),
            if_zero(f"{f_matrix}-{f_pm}"),
        )
        f_close = sumifs("provision_by_customer", "provision", _cur(cur))
        o, w = major(opening, cur), major(written, cur)
        pc.figure("Opening allowance (OpeningAllowance)", opening, currency=cur)
        pc.figure("Write-offs against the allowance (WriteOffs)", written, currency=cur)
        pc.figure(
            "Charge to profit or loss" if charge >= 0 else "Release to profit or loss",
            charge,
            f"={f_close}-({o})-({w})",
            cur,
        )
        pc.figure("Closing allowance (sum of the provisions)", closing, f"={f_close}", cur)
        jid = jid_of.get(cur, "")
        j = res.journal[res.journal["journal_id"].eq(jid)]
        expense = j["account"].eq(policy.expense_account)
        booked = money_sum(j, "debit", cur, expense) - money_sum(j, "credit", cur, expense)
        crit = (("journal_id", jid), ("account", policy.expense_account))
        f_booked = (
            f"{sumifs('accrual_journal', 'debit', *crit)}"
            f"-{sumifs('accrual_journal', 'credit', *crit)}"
        )
        pc.check(
            f"Closing = opening - write-offs + charge booked ({jid or 'no journal'}) ({cur})",
            closing == money_sum(table, "provision", cur) and opening + written + booked == closing,
            if_zero(f"{f_close}-(({o})+({w})+{f_booked})"),
        )
    ecl = [f"ecl {b}" for b in labels]
    p_schema = TableSchema(
        "provision_by_customer",
        "Provision",
        (
            Column("currency", Kind.CURRENCY, True),
            Column("customer_id", Kind.TEXT, True),
            Column("customer_name", Kind.TEXT),
            Column("method", Kind.TEXT, True, "matrix or specific"),
            Column("receivable", Kind.MONEY, True),
            *(Column(c, Kind.MONEY) for c in ecl),
            Column("specific", Kind.MONEY),
            Column("provision", Kind.MONEY, True),
            Column("basis", Kind.TEXT),
        ),
    )
    provision_spec = SheetSpec(
        "Provision",
        "provision_by_customer",
        table,
        p_schema,
        title="Allowance for doubtful accounts (estimación de cuentas incobrables)",
        subtitle="Expected credit loss per customer: by the matrix (per bucket) or specific. "
        "Above, the movement of the allowance: opening - write-offs + charge = closing.",
        totals=("receivable", *ecl, "specific", "provision"),
        controls=tuple(pc.rows),
        notes=(
            "Each bucket's provision (ProvisionMatrix) is shared among its customers by "
            "receivable (rounded down, the cents left to the largest remainders), so the "
            "customers add up to the bucket exactly.",
            "Credits (credit notes, unapplied cash, advances) are not netted: the allowance "
            "is on the gross receivable. rate = provision / receivable.",
            PER_CURRENCY,
        ),
    )
    return [matrix_spec, provision_spec], mc.findings + pc.findings


def _by_customer_frame(
    inputs: AccrualsInputs, res: ProvisionResult, labels: list[str]
) -> pd.DataFrame:
    long = res.by_customer
    names = _names(inputs.customers, inputs.open_items)
    columns = [
        "currency",
        "customer_id",
        "customer_name",
        "method",
        "receivable",
        *(f"ecl {b}" for b in labels),
        "specific",
        "provision",
        "rate",
        "basis",
    ]
    if long.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        for c in ("receivable", *(f"ecl {b}" for b in labels), "specific", "provision"):
            out[c] = out[c].astype("Int64")
        out["rate"] = out["rate"].astype("float64")
        return out
    spec = long["bucket"].eq("specific")
    keys = ["currency", "customer_id"]
    wide = (
        long[~spec]
        .astype({"provision": "int64"})
        .pivot_table(index=keys, columns="bucket", values="provision", aggfunc="sum", fill_value=0)
    )
    wide = wide.reindex(columns=labels, fill_value=0)
    wide.columns = [f"ecl {b}" for b in labels]
    groups = long.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "receivable": groups["receivable"].sum(),
            "provision": groups["provision"].sum(),
            "method": groups["bucket"].agg(
                lambda b: "specific" if (b == "specific").any() else "matrix"
            ),
            "basis": groups["basis"].agg(lambda b: "; ".join(dict.fromkeys(x for x in b if x))),
        }
    )
    specific = long[spec].set_index(keys)["provision"]
    out = out.join(wide).join(specific.rename("specific"))
    out = out.reset_index()
    out["customer_name"] = pd.Series(
        [names.get(c, "") for c in out["customer_id"]], index=out.index, dtype=object
    )
    matrix_rows = out["method"].eq("matrix")
    out.loc[matrix_rows, "basis"] = "matrix"
    for c in ("receivable", *(f"ecl {b}" for b in labels), "specific", "provision"):
        values = out[c].astype("Int64")
        out[c] = values.where(matrix_rows) if c.startswith("ecl ") else values
    out["rate"] = [
        float(Decimal(int(p)) / Decimal(int(r))) if r else None
        for p, r in zip(out["provision"], out["receivable"], strict=True)
    ]
    out["rate"] = pd.to_numeric(out["rate"], errors="coerce")
    return out[columns].sort_values(keys, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- journal


def _journal_sheets(
    inputs: AccrualsInputs, journal: pd.DataFrame
) -> tuple[list[SheetSpec], list[Finding]]:
    jc = _controls("AccrualJournal")
    problems = check_balanced(journal, "AccrualJournal")
    jc.figure("Journals", int(journal["journal_id"].nunique()))
    jc.figure("Lines", len(journal))
    jc.check(
        "Balanced, checked in code (journals.check_balanced)",
        not problems,
        None,
        "; ".join(p.message for p in problems[:3]),
    )
    d_c, c_c = (column_ref("accrual_journal", c) for c in ("debit", "credit"))
    if len(journal):
        both = int(((journal["debit"] != 0) == (journal["credit"] != 0)).sum())
        jc.check(
            "Each line a debit or a credit, not both",
            both == 0,
            f'=IF(SUMPRODUCT(--(({d_c}<>0)=({c_c}<>0)))=0,"OK","DIFFERENCE")',
        )
    for jid, g in journal.groupby("journal_id", sort=True):
        cur = str(g["currency"].iloc[0])
        debit, credit = int(g["debit"].sum()), int(g["credit"].sum())
        crit = ("journal_id", str(jid))
        f_d = sumifs("accrual_journal", "debit", crit)
        f_c = sumifs("accrual_journal", "credit", crit)
        jc.figure(f"{jid} ({g['date'].iloc[0]:%Y-%m-%d}) debits", debit, f"={f_d}", cur)
        jc.check(f"{jid}: debits = credits", debit == credit, if_zero(f"{f_d}-{f_c}"))
    notes = [
        f"{inputs.accrual_policy.journal_prefix}-: the unbilled revenue accrual; -R: its "
        "reversal on the first day of the next period; "
        f"{inputs.provision_policy.journal_prefix}-: the allowance charge (or release); "
        "WO-: write-offs against the allowance.",
        "Upload: cuadre writes these lines as the generic journal CSV or the SAP G/L "
        "upload layout (posting keys 40 debit, 50 credit).",
    ]
    sheets = [
        SheetSpec(
            "AccrualJournal",
            "accrual_journal",
            journal,
            JOURNAL_SHEET,
            title="Journal entries: accrual, reversal, provision, write-offs",
            subtitle="Balanced journal lines to book; one journal per purpose and currency.",
            totals=("debit", "credit"),
            controls=tuple(jc.rows),
            notes=(*notes, PER_CURRENCY),
        )
    ]
    if inputs.sap_company_code:
        sap = sap_layout(journal, company_code=inputs.sap_company_code)
        sheets.append(
            SheetSpec(
                "AccrualUploadSAP",
                "accrual_upload_sap",
                sap,
                TableSchema(
                    "accrual_upload_sap",
                    "AccrualUploadSAP",
                    tuple(Column(c, Kind.TEXT) for c in SAP_COLUMNS),
                ),
                title="SAP G/L upload (FB50 / F-02 template, BAPI_ACC_DOCUMENT_POST)",
                subtitle="The AccrualJournal lines in SAP's upload fields; amounts as text "
                "with a dot for decimals, dates DD.MM.YYYY.",
                controls=(ControlRow("Lines", len(sap)),),
            )
        )
    return sheets, jc.findings


# --------------------------------------------------------------------------- entry


def accruals_sheets(inputs: AccrualsInputs) -> tuple[list[SheetSpec], list[Finding]]:
    """The accrual and provision output sheets (green tabs), in the order of
    :data:`OUTPUT_SHEETS`, and the findings (engine findings first, then failed controls)."""
    findings: list[Finding] = []
    sheets: list[SheetSpec] = []
    journals: list[pd.DataFrame] = []
    ops = inputs.operations
    if ops is not None:
        invoices = inputs.invoices if inputs.invoices is not None else inputs.open_items
        a = accrue_unbilled(ops, invoices, inputs.period_end, policy=inputs.accrual_policy)
        findings += a.findings
        more_sheets, more = _accrual_sheets(inputs, ops, a)
        sheets += more_sheets
        findings += more
        journals.append(a.journal)
    matrix, how, more = _matrix(inputs)
    findings += more
    opening, more = _opening(inputs.opening_allowance)
    findings += more
    res = compute_provision(
        inputs.open_items,
        inputs.period_end,
        matrix,
        specific=nonempty(inputs.specific_provisions),
        opening_allowance=opening,
        write_offs=nonempty(inputs.write_offs),
        customers=inputs.customers,
        policy=inputs.provision_policy,
    )
    findings += res.findings
    rolls = (
        roll_rate_table(
            inputs.aging_snapshots,
            inputs.provision_policy.buckets,
            inputs.provision_policy.window_months,
        )
        if inputs.method == "roll_rates" and nonempty(inputs.aging_snapshots) is not None
        else roll_rate_table(empty_table(AGING_SNAPSHOTS))
    )
    more_sheets, more = _provision_sheets(inputs, res, rolls, how)
    sheets += more_sheets
    findings += more
    journals.append(res.journal)
    more_sheets, more = _journal_sheets(inputs, concat(journals))
    sheets += more_sheets
    findings += more
    return sheets, findings


_INPUT_TEXT: dict[str, tuple[str, str]] = {
    "operations": (
        "Operations: services delivered, shipments, customs operations",
        "Completed operations with their amount (or quantity x rate) and, once invoiced, "
        "the invoice and its date. Those completed by the period end and not invoiced by "
        "it are accrued.",
    ),
    "aging_snapshots": (
        "Aging history: month-end totals per bucket",
        "One row per month end, currency and bucket (and bucket write_off: that month's "
        "write-offs). The roll rates of the provision matrix come from here.",
    ),
    "loss_rates": (
        "Loss rates per bucket",
        "Used by the methods matrix (a matrix given) and flat (flat percentages). A ratio: "
        "0.05 for 5%. Empty currency: every currency.",
    ),
    "specific_provisions": (
        "Specific provisions: customers in default",
        "Customers provided for individually (bankrupt, in litigation): a rate of their "
        "receivable or an amount, and the reason. They leave the matrix.",
    ),
    "write_offs": (
        "Write-offs of the period (castigos)",
        "Documents written off against the allowance this period: the WO- journal debits "
        "the allowance and credits the receivables.",
    ),
    "opening_allowance": (
        "Opening allowance",
        "The allowance for doubtful accounts at the start of the period, per currency: last "
        "period's closing allowance.",
    ),
}


def accruals_input_sheets(
    tables: Mapping[str, pd.DataFrame | None] | None = None,
) -> list[SheetSpec]:
    """The input sheets of :data:`INPUT_TABLES` (blue tabs): the tables given, as read
    (with a ``source`` column when they carry their file and row), empty otherwise; with
    no tables (the template) without a totals row, so that rows pasted under the header
    land in the table."""
    return [
        input_sheet(schema, (tables or {}).get(key), *_INPUT_TEXT[key], totals=bool(tables))
        for key, schema in INPUT_TABLES.items()
    ]
