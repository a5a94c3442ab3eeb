"""Unbilled revenue accrual (provisión de ingresos) and the sales cut-off test.

``accrue_unbilled(operations, invoices, period_end, *, policy) -> AccrualResult``

Revenue is earned when the service is rendered (the shipment delivered, the customs
operation closed), whether or not it has been invoiced (IFRS 15.31-38; the accrual basis
of every local GAAP). At the cut-off, each operation completed on or before
``period_end`` that no invoice dated on or before it bills is accrued:

- an operation is *billed* when an invoice (``invoices``: the ERP's invoices, open or
  not, ``open_items`` shape) names it: ``operations.invoice_id`` = the invoice's
  ``document_id``, or the invoice's ``reference`` = the ``operation_id`` (as letters and
  digits); an invoice dated after the cut-off does not bill it in this period. When the
  invoice named is not in ``invoices`` (paid and gone from the open items, or issued
  after the export), the operation's own ``invoice_date`` (an optional column) dates it;
  without one it is taken as not invoiced, accrued and reported (``INVOICE_NOT_FOUND``);
- its amount is ``amount``, else ``quantity x rate`` (exact decimals, read with the
  file's decimal separator: ``125.050,50`` is 125050.50; rounded half up to the
  currency), net of VAT as revenue is.

Out: the accrual per customer (``accruals``), the operations accrued (``unbilled``, with
the reason), and the journal (``journal_lines``): on ``period_end`` debit unbilled
receivables (one line per customer) and credit revenue, one journal per currency; and its
automatic reversal on the first day of the next period (the invoice, when issued, then
books the revenue once). Controls: accrued = sum of the operations = journal debits.

``sales_cutoff(operations, invoices, period_end, days)`` lists the deliveries within
``days`` of the period end on either side with where their invoice fell: ``ok``,
``accrued`` (delivered, invoiced later: in the accrual), ``early_invoice`` (invoiced in
this period, delivered after: revenue recognised too early, a cut-off error, reported
as ``CUTOFF_EARLY_INVOICE`` at the operation's ``file:row``) or ``not_invoiced``
(delivered after the period, not invoiced: nothing to do yet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre import parsing
from cuadre.close import Control
from cuadre.findings import Finding, Location, warning
from cuadre.importers.base import empty_table, typed_table
from cuadre.journals import Line, check_balanced, concat, entry, reverse
from cuadre.model.validate import ReadOptions
from cuadre.money import DEFAULT_ROUNDING, UnknownCurrencyError, to_minor
from cuadre.reconcile.core import show, text
from cuadre.reconcile.tables import ACCRUALS, SALES_CUTOFF, UNBILLED
from cuadre.text import compact


class AccrualPolicy(BaseModel):
    unbilled_account: str = Field("1105-90", description="unbilled receivables (asset)")
    revenue_account: str = Field("4100-01", description="revenue from services")
    journal_prefix: str = Field("ACR", description="journal ids: ACR-YYYYMM-CUR")
    cutoff_days: int = Field(5, ge=0, description="days either side of the period end")


@dataclass
class AccrualResult:
    accruals: pd.DataFrame
    unbilled: pd.DataFrame
    journal: pd.DataFrame
    cutoff: pd.DataFrame
    controls: list[Control] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


# --------------------------------------------------------------------------- amounts


QUANTITY_DECIMALS = 6
"""Decimals kept of a ``quantity`` or a ``rate`` (more are rounded half up, reported)."""


def operation_amounts(
    operations: pd.DataFrame, options: ReadOptions | None = None
) -> tuple[pd.Series, list[Finding]]:
    """``amount``, else ``quantity x rate`` rounded half up; 0 (reported) when neither.

    ``quantity`` and ``rate`` are decimal text as the file wrote it (``1.234,5``,
    ``1,234.5``, ``250000.50``): each value is read by its own form, and a value that can
    be read two ways (``1.234``) by the decimal separator of ``options``, else the one
    the other quantities and rates show, else ``options.fallback_decimal`` (reported:
    ``AMBIGUOUS_NUMBER``). Exact: no binary floats.
    """
    options = options or ReadOptions()
    findings: list[Finding] = []
    given = operations["amount"].astype("Int64") if "amount" in operations else None
    qty_text, rate_text = text(operations, "quantity"), text(operations, "rate")
    cur = text(operations, "currency")
    needed = (pd.Series(True, index=operations.index) if given is None else given.isna()).to_numpy(
        dtype=bool
    )
    separator, more = _separator(operations, needed, options)
    findings += more
    qty, qty_bad, qty_rounded = parse_decimals(qty_text, separator, options.rounding)
    rate, rate_bad, rate_rounded = parse_decimals(rate_text, separator, options.rounding)
    out = []
    for i, idx in enumerate(operations.index):
        if not needed[i]:
            out.append(int(given.iloc[i]))  # type: ignore[union-attr]
            continue
        q, r = qty.iloc[i], rate.iloc[i]
        try:
            if q is None or r is None:
                raise InvalidOperation
            out.append(to_minor(q * r, cur.iloc[i], options.rounding))
        except (InvalidOperation, ValueError, UnknownCurrencyError):
            out.append(0)
            bad = [
                f"{name} {value!r} is not a number"
                for name, value, wrong in (
                    ("quantity", qty_text.iloc[i], qty_bad.iloc[i]),
                    ("rate", rate_text.iloc[i], rate_bad.iloc[i]),
                )
                if wrong
            ]
            why = "; ".join(bad) or (f"quantity {qty_text.iloc[i]!r}, rate {rate_text.iloc[i]!r}")
            findings.append(
                warning(
                    _loc(operations, idx),
                    "NO_AMOUNT",
                    f"operation {operations.at[idx, 'operation_id']} has no amount and no "
                    f"quantity x rate ({why}); accrued as 0",
                    "Give the billable amount or the quantity and the rate "
                    "(numbers such as 2.5 and 125050.50, or 2,5 and 125.050,50).",
                )
            )
            continue
        for name, value, flag in (
            ("quantity", qty_text.iloc[i], qty_rounded.iloc[i]),
            ("rate", rate_text.iloc[i], rate_rounded.iloc[i]),
        ):
            if flag:
                findings.append(
                    warning(
                        _loc(operations, idx, name),
                        "ROUNDED",
                        f"operation {operations.at[idx, 'operation_id']}: {name} {value!r} has "
                        f"more than {QUANTITY_DECIMALS} decimals; rounded half up",
                        f"Round the {name} in the source, or give the amount.",
                    )
                )
    return pd.Series(out, index=operations.index, dtype="int64"), findings


def parse_decimals(
    values: pd.Series, separator: str, rounding: str = DEFAULT_ROUNDING
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Decimal text cells -> (exact ``Decimal`` or ``None`` when empty or not a number,
    invalid flag, rounded flag), read as :func:`cuadre.parsing.parse_amounts` reads
    amounts (``separator`` for the values that can be read two ways).

    Up to :data:`QUANTITY_DECIMALS` decimals, fewer for values so large that more would
    pass 15 significant digits (where the parser's exact fast path ends)."""
    whole = parsing.parse_amounts(values, pd.Series(0, index=values.index), separator, rounding)
    digits = whole.units.abs().astype("string").str.len().fillna(1).astype("int64")
    exps = (15 - digits).clip(lower=0, upper=QUANTITY_DECIMALS)
    exact = parsing.parse_amounts(values, exps, separator, rounding)
    invalid = (whole.invalid | exact.invalid).astype(bool)
    out = [
        None if bad or pd.isna(u) else Decimal(int(u)).scaleb(-int(e))
        for u, e, bad in zip(exact.units, exps, invalid, strict=True)
    ]
    return (
        pd.Series(out, index=values.index, dtype=object),
        invalid,
        exact.rounded.astype(bool) & ~invalid,
    )


def _separator(
    operations: pd.DataFrame, needed: np.ndarray, options: ReadOptions
) -> tuple[str, list[Finding]]:
    """The decimal separator for quantities and rates that read two ways (``1.234``)."""
    if options.decimal_separator:
        return options.decimal_separator, []
    cells = pd.concat([text(operations, "quantity")[needed], text(operations, "rate")[needed]])
    votes = parsing.decimal_votes(cells)
    if votes[","] or votes["."]:
        return ("," if votes[","] > votes["."] else "."), []
    two_ways = cells.str.fullmatch(r"[-+(]?\s*\d{1,3}[.,]\d{3}\)?-?")
    if not two_ways.any():
        return options.fallback_decimal, []
    sep = options.fallback_decimal
    first = two_ways.index[two_ways.to_numpy(dtype=bool)][0]
    return sep, [
        warning(
            _loc(operations, first),
            "AMBIGUOUS_NUMBER",
            f"{int(two_ways.sum()):,} quantities or rates such as {cells[two_ways].iloc[0]!r} "
            f'could be read two ways; read with "{sep}" as decimal separator',
            "Set the decimal separator (--decimal-separator or Settings) to be sure.",
        )
    ]


def _loc(frame: pd.DataFrame, idx: object, column: str | None = None) -> Location:
    """The operation's ``file:row`` (its provenance), else the table's name."""
    if "source_path" in frame and "source_row" in frame and pd.notna(frame.at[idx, "source_row"]):
        return Location(
            str(frame.at[idx, "source_path"]),
            int(frame.at[idx, "source_row"]),
            column_name=column,
        )
    return Location("operations", column_name=column)


def billing(operations: pd.DataFrame, invoices: pd.DataFrame) -> pd.DataFrame:
    """Per operation (index of ``operations``): the invoices naming it and the first date."""
    inv = pd.DataFrame(
        {
            "doc": text(invoices, "document_id"),
            "key": text(invoices, "document_id").map(compact),
            "ref": text(invoices, "reference").map(compact),
            "date": pd.to_datetime(invoices["document_date"]).astype("datetime64[ns]"),
        }
    )
    ops = pd.DataFrame(
        {
            "op": operations.index,
            "inv": text(operations, "invoice_id").map(compact),
            "id": text(operations, "operation_id").map(compact),
        }
    )
    a = ops[ops["inv"].ne("")].merge(inv, left_on="inv", right_on="key")[["op", "doc", "date"]]
    b = ops[ops["id"].ne("")].merge(inv[inv["ref"].ne("")], left_on="id", right_on="ref")[
        ["op", "doc", "date"]
    ]
    links = pd.concat([a, b], ignore_index=True).drop_duplicates(["op", "doc"])
    grouped = links.sort_values(["op", "date", "doc"]).groupby("op")
    out = pd.DataFrame(
        {
            "invoice_ids": grouped["doc"].agg(lambda s: ";".join(s)),
            "invoice_date": grouped["date"].min(),
        }
    )
    out = out.reindex(operations.index).assign(
        invoice_ids=lambda f: f["invoice_ids"].fillna("").astype(object)
    )
    # An invoice the list does not hold (paid since, or issued after the export) still
    # bills the operation on the date the operations table gives for it.
    given = pd.Series(pd.NaT, index=operations.index, dtype="datetime64[ns]")
    if "invoice_date" in operations:
        given = pd.to_datetime(operations["invoice_date"], errors="coerce").astype("datetime64[ns]")
    fill = out["invoice_ids"].eq("") & text(operations, "invoice_id").ne("") & given.notna()
    out.loc[fill, "invoice_ids"] = text(operations, "invoice_id")[fill]
    out.loc[fill, "invoice_date"] = given[fill]
    return out


# --------------------------------------------------------------------------- accrual


def accrue_unbilled(
    operations: pd.DataFrame,
    invoices: pd.DataFrame,
    period_end: dt.date,
    *,
    policy: AccrualPolicy | None = None,
    options: ReadOptions | None = None,
) -> AccrualResult:
    """The unbilled revenue accrual at ``period_end`` and its reversal; see module doc.

    ``options``: how the operations file writes decimals (the ``ReadOptions`` it was read
    with), for ``quantity`` and ``rate`` (:func:`operation_amounts`)."""
    policy = policy or AccrualPolicy()
    end = pd.Timestamp(period_end)
    amounts, findings = operation_amounts(operations, options)
    bills = billing(operations, invoices)
    done = pd.to_datetime(operations["completed_date"]).astype("datetime64[ns]")
    billed_by_cutoff = bills["invoice_date"].le(end).fillna(False).astype(bool)
    accrue = done.le(end).fillna(False).astype(bool) & ~billed_by_cutoff
    ops = operations[accrue]
    findings += _unknown_invoices(ops, bills[accrue])
    unbilled = _unbilled_table(ops, amounts[accrue], bills[accrue], done[accrue], end)
    accruals = _accruals_table(unbilled, ops)
    journal = _journals(accruals, end, policy)
    findings += check_balanced(journal, "accrual journal")
    cutoff, more = sales_cutoff(
        operations, invoices, period_end, policy.cutoff_days, options=options
    )
    findings += more
    controls = _controls(unbilled, accruals, journal, end)
    return AccrualResult(accruals, unbilled, journal, cutoff, controls, findings)


def _unknown_invoices(ops: pd.DataFrame, bills: pd.DataFrame) -> list[Finding]:
    """Operations naming an invoice that neither the invoices nor an invoice_date date."""
    named = text(ops, "invoice_id")
    unknown = named.ne("") & bills["invoice_ids"].eq("")
    return [
        warning(
            _loc(ops, idx),
            "INVOICE_NOT_FOUND",
            f"operation {ops.at[idx, 'operation_id']} names invoice {named[idx]}, which is "
            "not among the invoices given and has no invoice_date: taken as not invoiced "
            "and accrued",
            "Give every invoice issued (paid ones too) or the invoice_date on the operation; "
            "if it was invoiced by the cut-off, it must not be accrued.",
        )
        for idx in ops.index[unknown]
    ]


def _unbilled_table(
    ops: pd.DataFrame, amounts: pd.Series, bills: pd.DataFrame, done: pd.Series, end: pd.Timestamp
) -> pd.DataFrame:
    if ops.empty:
        return empty_table(UNBILLED)
    reason = [
        f"invoiced on {d:%Y-%m-%d}, after the cut-off" if pd.notna(d) else "not invoiced"
        for d in bills["invoice_date"]
    ]
    rows = pd.DataFrame(
        {
            "operation_id": text(ops, "operation_id"),
            "customer_id": text(ops, "customer_id"),
            "completed_date": done,
            "currency": text(ops, "currency"),
            "amount": amounts.astype("Int64"),
            "invoiced": pd.array([0] * len(ops), dtype="Int64"),
            "unbilled": amounts.astype("Int64"),
            "days": (end - done).dt.days.astype("Int64"),
            "invoice_ids": bills["invoice_ids"],
            "reason": reason,
        }
    )
    return (
        rows[UNBILLED.names]
        .sort_values(list(UNBILLED.sort_by), kind="stable")
        .reset_index(drop=True)
    )


def _accruals_table(unbilled: pd.DataFrame, ops: pd.DataFrame) -> pd.DataFrame:
    if unbilled.empty:
        return empty_table(ACCRUALS)
    names = (
        ops.assign(_c=text(ops, "customer_id"), _n=text(ops, "customer_name"))
        .drop_duplicates("_c")
        .set_index("_c")["_n"]
    )
    g = (
        unbilled.groupby(["currency", "customer_id"], sort=True)
        .agg(
            operations=("operation_id", "size"),
            amount=("unbilled", "sum"),
            oldest=("completed_date", "min"),
        )
        .reset_index()
    )
    g["customer_name"] = g["customer_id"].map(names).fillna("")
    g["operations"] = g["operations"].astype("Int64")
    g["amount"] = g["amount"].astype("Int64")
    return g[ACCRUALS.names].reset_index(drop=True)


def _journals(accruals: pd.DataFrame, end: pd.Timestamp, policy: AccrualPolicy) -> pd.DataFrame:
    parts = []
    for cur, g in accruals.groupby("currency", sort=True):
        jid = f"{policy.journal_prefix}-{end:%Y%m}-{cur}"
        total = int(g["amount"].sum())
        lines = [
            Line(
                policy.unbilled_account,
                debit=int(a),
                text=f"Unbilled revenue {end:%Y-%m}",
                customer_id=str(c),
            )
            for c, a in zip(g["customer_id"], g["amount"], strict=True)
        ]
        lines.append(
            Line(policy.revenue_account, credit=total, text=f"Unbilled revenue {end:%Y-%m}")
        )
        journal = entry(jid, end, str(cur), lines)
        parts += [journal, reverse(journal, f"{jid}-R", end + pd.Timedelta(days=1))]
    return concat(parts)


def _controls(
    unbilled: pd.DataFrame, accruals: pd.DataFrame, journal: pd.DataFrame, end: pd.Timestamp
) -> list[Control]:
    out = []
    section = "Unbilled revenue accrual"
    for cur in sorted(set(unbilled["currency"]) | set(accruals["currency"])):
        ops = int(unbilled.loc[unbilled["currency"].eq(cur), "unbilled"].sum())
        acc = int(accruals.loc[accruals["currency"].eq(cur), "amount"].sum())
        j = journal[journal["currency"].eq(cur) & journal["reversal_of"].eq("")]
        debits = int(j["debit"].sum())
        out += [
            Control(section, "Operations unbilled at the cut-off", cur, ops),
            Control(section, "Accrued (per customer)", cur, acc, acc == ops),
            Control(section, "Journal debits", cur, debits, debits == acc),
            Control(
                section,
                "Journal debits - credits",
                cur,
                debits - int(j["credit"].sum()),
                debits == int(j["credit"].sum()),
            ),
        ]
    return out


# --------------------------------------------------------------------------- cut-off


def sales_cutoff(
    operations: pd.DataFrame,
    invoices: pd.DataFrame,
    period_end: dt.date,
    days: int = 5,
    *,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Deliveries within ``days`` of ``period_end`` and the period of their invoice;
    ``CUTOFF_EARLY_INVOICE`` findings located at the operation's row."""
    end = pd.Timestamp(period_end)
    done = pd.to_datetime(operations["completed_date"]).astype("datetime64[ns]")
    near = done.between(end - pd.Timedelta(days=days), end + pd.Timedelta(days=days))
    ops = operations[near]
    if ops.empty:
        return empty_table(SALES_CUTOFF), []
    amounts, _ = operation_amounts(ops, options)
    bills = billing(ops, invoices)
    when = done[near]
    inv_date = bills["invoice_date"]
    before = when.le(end)
    invoiced_in = inv_date.le(end).fillna(False).astype(bool)
    result = np.select(
        [before & invoiced_in, before, invoiced_in],
        ["ok", "accrued", "early_invoice"],
        "not_invoiced",
    )
    words = {
        "ok": "delivered and invoiced in the period",
        "accrued": "delivered in the period, invoiced after: in the unbilled accrual",
        "early_invoice": "invoiced in the period but delivered after it: revenue recognised "
        "too early; defer it (a cut-off error)",
        "not_invoiced": "delivered after the period: next period's revenue",
    }
    rows = [
        {
            "operation_id": o,
            "customer_id": c,
            "completed_date": d,
            "currency": cur,
            "amount": a,
            "invoice_ids": ids,
            "invoice_date": idate,
            "result": r,
            "explanation": words[r],
        }
        for o, c, d, cur, a, ids, idate, r in zip(
            text(ops, "operation_id"),
            text(ops, "customer_id"),
            when,
            text(ops, "currency"),
            amounts,
            bills["invoice_ids"],
            inv_date,
            result,
            strict=True,
        )
    ]
    table = typed_table(rows, SALES_CUTOFF)
    table = table.sort_values(list(SALES_CUTOFF.sort_by), kind="stable").reset_index(drop=True)
    findings = [
        warning(
            _loc(ops, idx),
            "CUTOFF_EARLY_INVOICE",
            f"operation {r['operation_id']} was invoiced ({r['invoice_ids']}) on "
            f"{r['invoice_date']:%Y-%m-%d} but delivered on {r['completed_date']:%Y-%m-%d}, "
            f"after the period end {end:%Y-%m-%d}: {show(int(r['amount']), r['currency'])} of "
            "revenue recognised too early",
            "Defer the revenue to the period of delivery (or correct the delivery date).",
        )
        for idx, r in zip(ops.index, rows, strict=True)
        if r["result"] == "early_invoice"
    ]
    return table, findings


__all__ = [
    "QUANTITY_DECIMALS",
    "AccrualPolicy",
    "AccrualResult",
    "accrue_unbilled",
    "billing",
    "operation_amounts",
    "parse_decimals",
    "sales_cutoff",
]
