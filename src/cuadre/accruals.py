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
- its amount is ``amount``, else ``quantity x rate`` (exact decimals, rounded half up to
  the currency), net of VAT as revenue is.

Out: the accrual per customer (``accruals``), the operations accrued (``unbilled``, with
the reason), and the journal (``journal_lines``): on ``period_end`` debit unbilled
receivables (one line per customer) and credit revenue, one journal per currency; and its
automatic reversal on the first day of the next period (the invoice, when issued, then
books the revenue once). Controls: accrued = sum of the operations = journal debits.

``sales_cutoff(operations, invoices, period_end, days)`` lists the deliveries within
``days`` of the period end on either side with where their invoice fell: ``ok``,
``accrued`` (delivered, invoiced later: in the accrual), ``early_invoice`` (invoiced in
this period, delivered after: revenue recognised too early, a cut-off error) or
``not_invoiced`` (delivered after the period, not invoiced: nothing to do yet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.close import Control
from cuadre.findings import Finding, Location, warning
from cuadre.importers.base import empty_table, typed_table
from cuadre.journals import Line, check_balanced, concat, entry, reverse
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


def operation_amounts(operations: pd.DataFrame) -> tuple[pd.Series, list[Finding]]:
    """``amount``, else ``quantity x rate`` rounded half up; 0 (reported) when neither."""
    findings: list[Finding] = []
    given = operations["amount"].astype("Int64") if "amount" in operations else None
    qty, rate, cur = (
        text(operations, "quantity"),
        text(operations, "rate"),
        text(operations, "currency"),
    )
    out = []
    for i, idx in enumerate(operations.index):
        if given is not None and pd.notna(given.iloc[i]):
            out.append(int(given.iloc[i]))
            continue
        try:
            value = Decimal(qty.iloc[i].replace(",", "")) * Decimal(rate.iloc[i].replace(",", ""))
            out.append(to_minor(value, cur.iloc[i], DEFAULT_ROUNDING))
        except (InvalidOperation, ValueError, UnknownCurrencyError):
            out.append(0)
            findings.append(
                warning(
                    _loc(operations, idx),
                    "NO_AMOUNT",
                    f"operation {operations.at[idx, 'operation_id']} has no amount and no "
                    f"quantity x rate (quantity {qty.iloc[i]!r}, rate {rate.iloc[i]!r}); "
                    "accrued as 0",
                    "Give the billable amount or the quantity and the rate.",
                )
            )
    return pd.Series(out, index=operations.index, dtype="int64"), findings


def _loc(frame: pd.DataFrame, idx: object) -> Location:
    if "source_path" in frame and "source_row" in frame and pd.notna(frame.at[idx, "source_row"]):
        return Location(str(frame.at[idx, "source_path"]), int(frame.at[idx, "source_row"]))
    return Location("operations")


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
) -> AccrualResult:
    """The unbilled revenue accrual at ``period_end`` and its reversal; see module doc."""
    policy = policy or AccrualPolicy()
    end = pd.Timestamp(period_end)
    amounts, findings = operation_amounts(operations)
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
    cutoff, more = sales_cutoff(operations, invoices, period_end, policy.cutoff_days)
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
    operations: pd.DataFrame, invoices: pd.DataFrame, period_end: dt.date, days: int = 5
) -> tuple[pd.DataFrame, list[Finding]]:
    """Deliveries within ``days`` of ``period_end`` and the period of their invoice."""
    end = pd.Timestamp(period_end)
    done = pd.to_datetime(operations["completed_date"]).astype("datetime64[ns]")
    near = done.between(end - pd.Timedelta(days=days), end + pd.Timedelta(days=days))
    ops = operations[near]
    if ops.empty:
        return empty_table(SALES_CUTOFF), []
    amounts, _ = operation_amounts(ops)
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
            Location("operations"),
            "CUTOFF_EARLY_INVOICE",
            f"operation {r['operation_id']} was invoiced ({r['invoice_ids']}) on "
            f"{r['invoice_date']:%Y-%m-%d} but delivered on {r['completed_date']:%Y-%m-%d}, "
            f"after the period end {end:%Y-%m-%d}: {show(int(r['amount']), r['currency'])} of "
            "revenue recognised too early",
            "Defer the revenue to the period of delivery (or correct the delivery date).",
        )
        for r in rows
        if r["result"] == "early_invoice"
    ]
    return table, findings


__all__ = ["AccrualPolicy", "AccrualResult", "accrue_unbilled", "billing", "sales_cutoff"]
