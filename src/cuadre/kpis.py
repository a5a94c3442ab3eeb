"""Receivables KPIs by month: DSO (simple and countback), best possible DSO, average days
delinquent, collection effectiveness index and percentage current.

What
    ``monthly_balances(ledger, first_month, last_month, customers)`` reads, for every
    month end, the AR balance (total and current) and the month's credit sales from the
    history ledger (:mod:`cuadre.aging_history`). ``kpi_table(balances)`` applies the
    formulas; ``kpi_trend(...)`` does both. One row per month and currency (or in the
    functional currency, converted at each month end's rate, with an FX table).

Formulas (shared DOMAIN.md; days = calendar days of the month)
    - DSO, simple = AR at month end / credit sales of the month x days.
    - DSO, countback: walk back month by month from the month end, subtracting each
      month's credit sales from the AR and adding that month's days, while the
      remainder is larger than the month's sales; then add remainder / that month's
      sales x its days. Empty (and reported) when the history is too short to absorb
      the AR.
    - Best possible DSO = current (not yet due) AR / credit sales x days.
    - Average days delinquent (ADD) = DSO simple - best possible DSO.
    - Collection effectiveness index (CEI) = (opening AR + credit sales - closing total
      AR) / (opening AR + credit sales - closing current AR) x 100.
    - Percentage current = current AR / total AR x 100.

    Credit sales = invoices and debit notes posted in the month (``sales_types``).
    AR is the net balance of every open item (credits included), as in the aging;
    "current" means not yet due at the month end (due date, or document date + terms
    when missing, as the aging ages it). A ratio with a zero denominator is empty.

Reference: shared DOMAIN.md (rules and formulas); Credit Research Foundation, "DSO,
countback method"; docs/collections.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cuadre.aging import effective_due_dates
from cuadre.aging_history import Ledger
from cuadre.findings import Finding, Location, info
from cuadre.model.tables import Column, Kind, TableSchema

SALES_TYPES = ("invoice", "debit_note")

BALANCES = TableSchema(
    name="monthly_balances",
    sheet="MonthlyAR",
    description="AR at each month end and the month's credit sales.",
    sort_by=("currency", "month"),
    columns=(
        Column("month", Kind.DATE, True, "month end"),
        Column("currency", Kind.CURRENCY, True),
        Column("days", Kind.INT, True, "calendar days of the month"),
        Column("credit_sales", Kind.MONEY, True, "invoices and debit notes posted in the month"),
        Column("ar_opening", Kind.MONEY, True, "AR at the previous month end"),
        Column("ar_total", Kind.MONEY, True, "AR at the month end"),
        Column("ar_current", Kind.MONEY, True, "of which not yet due"),
    ),
)

KPIS = TableSchema(
    name="kpis",
    sheet="KPIs",
    description="Receivables KPIs by month and currency.",
    sort_by=("currency", "month"),
    columns=(
        *BALANCES.columns,
        Column("ar_overdue", Kind.MONEY, True, "ar_total - ar_current"),
        Column("dso_simple", Kind.RATIO, False, "days"),
        Column("dso_countback", Kind.RATIO, False, "days"),
        Column("best_possible_dso", Kind.RATIO, False, "days"),
        Column("average_days_delinquent", Kind.RATIO, False, "days: dso_simple - best possible"),
        Column("cei", Kind.RATIO, False, "collection effectiveness index, %"),
        Column("pct_current", Kind.RATIO, False, "% of AR not yet due"),
    ),
)


def month_ends(first: dt.date, last: dt.date, through: dt.date | None = None) -> list[pd.Timestamp]:
    """Month ends from the month of ``first`` to the month of ``last``; with ``through``
    (a day of the last month), the last period ends that day instead (a month to date)."""
    periods = pd.period_range(pd.Timestamp(first), pd.Timestamp(last), freq="M")
    ends = [p.to_timestamp(how="end").normalize() for p in periods]
    if through is not None and ends:
        day = pd.Timestamp(through).normalize()
        if not ends[-1].replace(day=1) <= day <= ends[-1]:
            raise ValueError(f"through {through} is not in the last month {ends[-1]:%Y-%m}")
        ends[-1] = day
    return ends


def monthly_balances(
    ledger: Ledger,
    first_month: dt.date,
    last_month: dt.date,
    customers: pd.DataFrame | None = None,
    sales_types: Sequence[str] = SALES_TYPES,
    *,
    through: dt.date | None = None,
) -> pd.DataFrame:
    """One row per month end and currency (:data:`BALANCES`), read from the ledger.

    With ``through``, the last period ends that day: ``month`` is that day and ``days``
    its day of the month (a close as of the 15th counts 15 days of sales)."""
    items = ledger.items
    due, _derived = effective_due_dates(items, customers)
    due_ns = due.to_numpy(dtype="datetime64[ns]")
    posted = items["posted_on"].to_numpy(dtype="datetime64[ns]")
    posting = items["posting"].to_numpy(dtype=np.int64)
    is_sale = items["document_type"].isin(list(sales_types)).to_numpy()
    currency = items["currency"]
    ends = month_ends(first_month, last_month, through)
    previous = ends[0].replace(day=1) - pd.Timedelta(days=1)
    opening = pd.Series(ledger.open_at(previous)).groupby(currency.to_numpy()).sum()
    rows = []
    for end in ends:
        start = end.replace(day=1).to_datetime64()
        e = end.to_datetime64()
        amounts = ledger.open_at(end)
        current = np.where(due_ns > e, amounts, 0)
        sold = np.where(is_sale & (posted >= start) & (posted <= e), posting, 0)
        frame = pd.DataFrame(
            {"total": amounts, "current": current, "sales": sold}, index=currency.to_numpy()
        )
        sums = frame.groupby(level=0).sum()
        for cur in sums.index:
            rows.append(
                {
                    "month": end,
                    "currency": cur,
                    "days": end.day,
                    "credit_sales": int(sums.at[cur, "sales"]),
                    "ar_opening": int(opening.get(cur, 0)),
                    "ar_total": int(sums.at[cur, "total"]),
                    "ar_current": int(sums.at[cur, "current"]),
                }
            )
        opening = sums["total"]
    out = pd.DataFrame(rows, columns=BALANCES.names)
    return _typed_balances(out)


def _typed_balances(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["month"] = pd.to_datetime(out["month"]).astype("datetime64[ns]")
    out["currency"] = out["currency"].astype(object)
    out["days"] = out["days"].astype("Int64")
    for c in ("credit_sales", "ar_opening", "ar_total", "ar_current"):
        out[c] = out[c].astype("Int64")
    return out.sort_values(["currency", "month"], kind="stable").reset_index(drop=True)


def _ratio(num: float, den: float, scale: float = 1.0) -> float:
    return num / den * scale if den else math.nan


def countback_dso(ar: int, sales: Sequence[int], days: Sequence[int]) -> float:
    """Countback DSO of ``ar`` given the sales and days of this month and the months
    before it (most recent first). NaN when the months given cannot absorb the AR."""
    if ar <= 0:
        return 0.0
    remainder, total = ar, 0.0
    for s, d in zip(sales, days, strict=True):
        if remainder > s:
            remainder -= s
            total += d
        else:
            return total + remainder / s * d
    return math.nan


def kpi_table(
    balances: pd.DataFrame, report_from: dt.date | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """The formulas of the module docstring applied to a :data:`BALANCES` table.

    Countback looks back only over the months of the table (same currency); months
    before ``report_from`` are not reported when their countback is short.
    """
    findings: list[Finding] = []
    out = _typed_balances(balances)
    out["ar_overdue"] = (out["ar_total"] - out["ar_current"]).astype("Int64")
    cols: dict[str, list[float]] = {c: [] for c in KPIS.names[len(BALANCES.names) + 1 :]}
    short: list[str] = []
    for _cur, part in out.groupby("currency", sort=False):
        sales = part["credit_sales"].astype("int64").tolist()
        days = part["days"].astype("int64").tolist()
        for i, r in enumerate(part.itertuples(index=False)):
            ar, cur_ar, s, d = int(r.ar_total), int(r.ar_current), int(r.credit_sales), int(r.days)
            simple = _ratio(ar, s, d)
            best = _ratio(cur_ar, s, d)
            back = countback_dso(ar, sales[i::-1], days[i::-1])
            early = report_from is not None and r.month < pd.Timestamp(report_from)
            if math.isnan(back) and ar > 0 and not early:
                short.append(f"{r.currency} {pd.Timestamp(r.month):%Y-%m}")
            base = int(r.ar_opening) + s
            cols["dso_simple"].append(simple)
            cols["dso_countback"].append(back)
            cols["best_possible_dso"].append(best)
            cols["average_days_delinquent"].append(simple - best)
            cols["cei"].append(_ratio(base - ar, base - cur_ar, 100.0))
            cols["pct_current"].append(_ratio(cur_ar, ar, 100.0))
    for c, values in cols.items():
        out[c] = pd.Series(values, index=out.index, dtype="float64")
    if short:
        findings.append(
            info(
                Location("kpis"),
                "DSO_COUNTBACK_SHORT_HISTORY",
                f"countback DSO left empty for {len(short)} months: the months given do not "
                f"absorb the AR ({', '.join(short[:5])})",
                "Start the history earlier (the countback needs the sales of the months "
                "whose invoices are still open).",
            )
        )
    return out[KPIS.names], findings


def kpi_trend(
    ledger: Ledger,
    first_month: dt.date,
    last_month: dt.date,
    customers: pd.DataFrame | None = None,
    *,
    rates: pd.DataFrame | None = None,
    functional: str | None = None,
    lookback_months: int = 12,
    through: dt.date | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """KPIs by month from ``first_month`` to ``last_month`` (the last one to ``through``
    when given: see :func:`monthly_balances`).

    Balances are read from ``lookback_months`` before the first month so that the
    countback has the sales it needs; only the months asked for are returned. With
    ``rates`` and ``functional`` (:mod:`cuadre.fx`), each month's figures are converted
    at that month end's rate and summed into one row per month in ``functional``.
    """
    early = (pd.Timestamp(first_month) - pd.DateOffset(months=lookback_months)).date()
    balances = monthly_balances(ledger, early, last_month, customers, through=through)
    findings: list[Finding] = []
    if rates is not None and functional:
        from cuadre.fx import convert_balances

        balances, fx_findings = convert_balances(balances, rates, functional)
        findings.extend(fx_findings)
    first_end = min(month_ends(first_month, first_month)[0], balances["month"].max())
    table, more = kpi_table(balances, first_end.date())
    findings.extend(more)
    table = table[table["month"] >= first_end].reset_index(drop=True)
    return table, findings


__all__ = [
    "BALANCES",
    "KPIS",
    "SALES_TYPES",
    "countback_dso",
    "kpi_table",
    "kpi_trend",
    "month_ends",
    "monthly_balances",
]
