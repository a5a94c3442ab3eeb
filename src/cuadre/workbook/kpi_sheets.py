"""The KPIs sheet: receivables KPIs by month with their trend chart, and the aging chart.

What
    ``kpi_sheets(KpiInputs) -> (sheets, findings)`` builds one green ``KPIs`` sheet:

    - the table ``kpis`` (:data:`cuadre.kpis.KPIS`): per month and currency, credit
      sales, AR (opening, total, current, overdue), DSO simple and countback, best
      possible DSO, average days delinquent, CEI and % current, for the ``months``
      months up to the as-of date (the last one month-to-date when the as-of date is
      not a month end);
    - pictures above it (:mod:`cuadre.charts`, PNG): per currency the KPI trend and the
      aging of the largest customers (stacked buckets), then the share of each bucket
      per currency when there are several; each with its name and alt text;
    - controls: history rows read, used and left out; per currency the AR at the as-of
      date rebuilt from the history (a live ``SUMIFS`` over the table) against the aging
      (after this close's cash application) and the open items (before it), with a
      check that the history ties to one of them and a sentence saying which.

    ``aging_pictures(aging, ...)`` gives the aging charts alone (for the Aging sheet);
    ``kpi_input_sheets(tables)`` the blue input sheets ``History`` and ``Applications``
    (:data:`INPUT_TABLES`) where the user pastes the document history.

Why
    DSO and CEI need the months before the close: the receivables at each month end
    and the month's credit sales, which the open items alone cannot give (an invoice
    paid since has left them). The history (an SAP FBL5N "all items" export, or open
    items plus the items cleared since, :mod:`cuadre.aging_history`) rebuilds them.
    Without a history the sheet still shows the aging charts, an empty table and an
    info finding saying what to paste.

Rules
    Formulas and their edge cases: :mod:`cuadre.kpis` (shared DOMAIN.md). The history is
    expected to rebuild, at the as-of date, either the aging (an ERP export taken after
    the cash application was posted) or the open items (taken before): the check says
    which one it matches; when neither, a ``KPI_HISTORY_DIFFERS`` warning gives both
    sides, because the KPIs of the last month then do not describe the aged balance.
    Currencies are shown functional currency first, then by AR.

Reference: Credit Research Foundation (DSO countback, best possible DSO, CEI); SAP
FBL5N; docs/collections.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS
from cuadre.aging_history import AR_APPLICATIONS, AR_HISTORY, Ledger, aging_as_of, build_ledger
from cuadre.charts import aging_chart, aging_totals_chart, kpi_chart
from cuadre.findings import Finding, Location, info, warning
from cuadre.kpis import KPIS, kpi_trend
from cuadre.model.tables import AGING_FIXED, PROVENANCE, Kind, TableSchema, empty_table
from cuadre.money import format_amount
from cuadre.workbook.formulas import decimals, if_zero, major, sumifs
from cuadre.workbook.writer import ControlRow, Picture, SheetSpec

__all__ = [
    "INPUT_TABLES",
    "KPI_SHEET",
    "KpiInputs",
    "aging_pictures",
    "kpi_input_sheets",
    "kpi_sheets",
]

KPI_SHEET = "KPIs"
INPUT_TABLES: dict[str, TableSchema] = {
    AR_HISTORY.name: AR_HISTORY,
    AR_APPLICATIONS.name: AR_APPLICATIONS,
}
"""The inputs the monthly KPIs need: the document history and its dated partial
settlements (schemas of :mod:`cuadre.aging_history`), keyed by table name."""

CHART_WIDTH_PX = 620
"""Shown width of each chart: two side by side fit a laptop screen."""

_INPUT_SUBTITLES = {
    AR_HISTORY.name: "Every customer item of the last months, open or cleared, with its "
    "clearing date (SAP FBL5N 'all items', or open items plus the items cleared since).",
    AR_APPLICATIONS.name: "Partial payments of history items with their dates (optional).",
}


@dataclass(frozen=True)
class KpiInputs:
    """What the KPIs sheet is built from.

    ``open_items``: the open items at ``as_of`` before cash application (the OpenItems
    input). ``aging``: the aging after cash application (``CloseResult.aging``); when
    None it is rebuilt from the history with ``buckets``. ``history``: the history
    table (:data:`~cuadre.aging_history.AR_HISTORY`, with ``applications``) or a
    :class:`~cuadre.aging_history.Ledger` built already; None when the workbook has
    none. ``functional_currency`` is shown first. ``charts=False`` leaves the pictures
    out (drawing them takes about 0.3 s each).
    """

    as_of: dt.date
    open_items: pd.DataFrame
    aging: pd.DataFrame | None = None
    history: pd.DataFrame | Ledger | None = None
    applications: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    functional_currency: str | None = None
    buckets: tuple[int, ...] = DEFAULT_BUCKETS
    months: int = 12
    top_customers: int = 10
    charts: bool = True


# --------------------------------------------------------------------------- pictures


def _bucket_labels(aging: pd.DataFrame) -> list[str]:
    cols = [str(c) for c in aging.columns]
    return [c for c in cols[: cols.index("total")] if c not in AGING_FIXED]


def _ordered_currencies(amounts: dict[str, int], functional: str | None) -> list[str]:
    """Functional currency first, then by amount (largest first), then by code."""
    return sorted(amounts, key=lambda c: (c != functional, -abs(amounts[c]), c))


def _totals(aging: pd.DataFrame) -> dict[str, int]:
    if aging.empty:
        return {}
    sums = aging["total"].fillna(0).astype("int64").groupby(aging["currency"]).sum()
    return {str(k): int(v) for k, v in sums.items()}


def _aging_picture(aging: pd.DataFrame, cur: str, top: int, width: int) -> Picture | None:
    part = aging[aging["currency"] == cur]
    if part.empty:
        return None
    labels = _bucket_labels(aging)
    total = int(part["total"].fillna(0).sum())
    current = int(part[labels[0]].fillna(0).sum()) if labels else 0
    share = f"{current / total * 100:.1f} %" if total else "none"
    return Picture(
        f"cuadre_aging_{cur}",
        aging_chart(aging, cur, top=top),
        f"Stacked bar chart: aging of the {min(top, len(part))} largest of {len(part)} "
        f"customers in {cur} by bucket ({', '.join(labels)}), credits to the left of zero. "
        f"Total {format_amount(total, cur)}, {share} not yet due.",
        width=width,
    )


def _share_picture(aging: pd.DataFrame, width: int) -> Picture:
    return Picture(
        "cuadre_aging_currencies",
        aging_totals_chart(aging),
        "100 % stacked bar chart: the share of each aging bucket "
        f"({', '.join(_bucket_labels(aging))}) in the total of each currency "
        f"({', '.join(sorted(_totals(aging)))}).",
        width=width,
    )


def aging_pictures(
    aging: pd.DataFrame,
    currencies: list[str] | None = None,
    *,
    top: int = 10,
    functional: str | None = None,
    width: int = CHART_WIDTH_PX,
) -> tuple[Picture, ...]:
    """The aging charts of ``aging`` (the contract's table) as pictures, for any sheet:
    per currency (``currencies``, default all: functional first, then by total) the
    ``top`` customers by total as stacked buckets (``cuadre_aging_<CUR>``), then, with
    several currencies, each bucket's share per currency (``cuadre_aging_currencies``)."""
    totals = _totals(aging)
    chosen = currencies if currencies is not None else _ordered_currencies(totals, functional)
    out = [p for cur in chosen if (p := _aging_picture(aging, cur, top, width)) is not None]
    if len({*chosen} & {*totals}) > 1:
        out.append(_share_picture(aging, width))
    return tuple(out)


def _trend_picture(kpis: pd.DataFrame, cur: str, width: int) -> Picture:
    part = kpis[kpis["currency"] == cur].sort_values("month", kind="stable")
    last = part.iloc[-1]

    def num(value: Any, unit: str) -> str:
        return "n/a" if pd.isna(value) else f"{float(value):.1f}{unit}"

    return Picture(
        f"cuadre_kpi_trend_{cur}",
        kpi_chart(kpis, cur),
        f"Line chart of receivables KPIs in {cur} by month, "
        f"{pd.Timestamp(part['month'].iloc[0]):%Y-%m} to {pd.Timestamp(last['month']):%Y-%m}: "
        "DSO simple, DSO countback and best possible DSO in days, CEI and % current in "
        f"percent. Last month: DSO {num(last['dso_simple'], ' days')}, countback "
        f"{num(last['dso_countback'], ' days')}, best possible "
        f"{num(last['best_possible_dso'], ' days')}, CEI {num(last['cei'], ' %')}, "
        f"{num(last['pct_current'], ' %')} current.",
        width=width,
    )


# --------------------------------------------------------------------------- the sheet


def _ledger(inputs: KpiInputs) -> tuple[Ledger | None, int, list[Finding]]:
    """The ledger, the history rows read, and findings."""
    history = inputs.history
    if history is None or len(history) == 0:  # an empty History sheet is no history
        return None, 0, []
    if isinstance(history, Ledger):
        return history, len(history), []
    ledger, findings = build_ledger(history, inputs.applications)
    return ledger, len(history), findings


def _by_currency(frame: pd.DataFrame | None, column: str) -> dict[str, int]:
    if frame is None or frame.empty:
        return {}
    sums = frame[column].fillna(0).astype("int64").groupby(frame["currency"]).sum()
    return {str(k): int(v) for k, v in sums.items()}


def _sumifs_ar(cur: str, month: pd.Timestamp) -> str:
    return sumifs(KPIS.name, "ar_total", ("currency", cur), ("month", month))


def _tie_controls(
    inputs: KpiInputs,
    kpis: pd.DataFrame,
    ledger: Ledger | None,
    aging: pd.DataFrame,
    currencies: list[str],
) -> tuple[list[ControlRow], list[str], list[Finding]]:
    """Per currency: history at as-of against the aging and the open items."""
    rows: list[ControlRow] = []
    notes: list[str] = []
    findings: list[Finding] = []
    if ledger is None or kpis.empty:
        return rows, notes, findings
    last = pd.Timestamp(kpis["month"].max())
    rebuilt = _by_currency(kpis[kpis["month"] == last], "ar_total")
    aged = _by_currency(aging, "total")
    before = _by_currency(inputs.open_items, "amount_open")
    matched: dict[str, str] = {}
    for cur in currencies:
        h, a, o = rebuilt.get(cur, 0), aged.get(cur, 0), before.get(cur, 0)
        if h == a:
            target, matched[cur] = a, "aging"
        elif h == o:
            target, matched[cur] = o, "open items"
        else:
            target, matched[cur] = a, ""
        formula = _sumifs_ar(cur, last)
        rows += [
            ControlRow(
                f"AR at {inputs.as_of:%Y-%m-%d} rebuilt from the history",
                h,
                formula=f"={formula}",
                currency=cur,
            ),
            ControlRow("Aging total (after cash application)", a, currency=cur),
            ControlRow("Open items (before cash application)", o, currency=cur),
            ControlRow(
                f"History = {matched[cur] or 'aging'} ({cur})",
                "OK" if matched[cur] else "DIFFERENCE",
                formula=if_zero(f"{formula}-({major(target, cur)})", decimals(cur)),
                check=True,
            ),
        ]
        if not matched[cur]:
            findings.append(
                warning(
                    Location("", sheet=KPI_SHEET),
                    "KPI_HISTORY_DIFFERS",
                    f"the history rebuilt at {inputs.as_of:%Y-%m-%d} gives "
                    f"{format_amount(h, cur)}, but the aging shows {format_amount(a, cur)} and "
                    f"the open items {format_amount(o, cur)}: the KPIs of the last month do "
                    "not describe the aged balance",
                    "Export the history on the as-of date, with the items cleared since the "
                    "first month and the partial payments (Applications).",
                )
            )
    if any(m == "open items" for m in matched.values()):
        notes.append(
            "The history matches the open items before this close's cash application: the "
            "last month's AR does not yet include the receipts applied here."
        )
    return rows, notes, findings


def kpi_sheets(inputs: KpiInputs) -> tuple[list[SheetSpec], list[Finding]]:
    """The ``KPIs`` sheet (see the module docstring) and what was found on the way."""
    if inputs.months < 1:
        raise ValueError(f"months must be at least 1, not {inputs.months}")
    ledger, rows_read, findings = _ledger(inputs)
    as_of = pd.Timestamp(inputs.as_of)
    first = (as_of.replace(day=1) - pd.DateOffset(months=inputs.months - 1)).date()
    aging = inputs.aging
    if aging is None and ledger is not None:
        aging, more = aging_as_of(ledger, inputs.as_of, inputs.buckets, inputs.customers)
        findings.extend(more)
    if aging is None:
        aging = pd.DataFrame(columns=[*AGING_FIXED, "total"])

    if ledger is None:
        kpis = empty_table(KPIS)
        findings.append(
            info(
                Location("", sheet=AR_HISTORY.sheet),
                "KPI_NO_HISTORY",
                "no document history: the KPIs by month (DSO, CEI, % current) need the "
                "receivables at each month end and the credit sales of each month; the KPIs "
                "sheet shows the aging charts only",
                "Paste the customer items of the last months, open and cleared, with their "
                "clearing dates on the History sheet (SAP FBL5N 'all items').",
            )
        )
    else:
        kpis, more = kpi_trend(
            ledger,
            first,
            inputs.as_of,
            inputs.customers,
            lookback_months=12,
            through=inputs.as_of,
        )
        findings.extend(more)

    totals = _totals(aging)
    ar_last = _by_currency(kpis[kpis["month"] == kpis["month"].max()], "ar_total")
    currencies = _ordered_currencies(
        {c: totals.get(c, 0) or ar_last.get(c, 0) for c in {*totals, *ar_last}},
        inputs.functional_currency,
    )
    order = {c: i for i, c in enumerate(currencies)}
    kpis = kpis.sort_values(
        ["currency", "month"], key=lambda s: s.map(order) if s.name == "currency" else s
    ).reset_index(drop=True)

    pictures: list[Picture] = []
    for cur in currencies if inputs.charts else []:  # its trend and its aging, side by side
        if (kpis["currency"] == cur).any():
            pictures.append(_trend_picture(kpis, cur, CHART_WIDTH_PX))
        aged = _aging_picture(aging, cur, inputs.top_customers, CHART_WIDTH_PX)
        if aged is not None:
            pictures.append(aged)
    if len(totals) > 1 and inputs.charts:
        pictures.append(_share_picture(aging, CHART_WIDTH_PX))

    left_out = rows_read - (len(ledger) if ledger is not None else 0)
    controls = [
        ControlRow("Months", int(kpis["month"].nunique())),
        ControlRow("History rows read", rows_read),
        ControlRow("History rows used", len(ledger) if ledger is not None else 0),
        ControlRow("History rows left out (see Issues)", left_out),
    ]
    ties, notes, more = _tie_controls(inputs, kpis, ledger, aging, currencies)
    controls += ties
    findings.extend(more)
    last_label = f"{as_of:%Y-%m}" + ("" if as_of.is_month_end else f" (to {as_of:%d})")
    notes += [
        "DSO simple = AR / credit sales x days. Countback: months of sales back until the "
        "AR is absorbed. Best possible DSO = current AR / credit sales x days. Days "
        "delinquent = DSO - best possible. CEI = (opening AR + sales - closing AR) / "
        "(opening AR + sales - closing current AR) x 100.",
        "The charts are pictures drawn by Cuadre: run again to refresh them.",
    ]
    sheet = SheetSpec(
        KPI_SHEET,
        KPIS.name,
        kpis,
        KPIS,
        title="KPIs: DSO, days delinquent, collection effectiveness",
        subtitle=f"Receivables KPIs by month, {pd.Timestamp(first):%Y-%m} to {last_label}, "
        "rebuilt from the document history; aging charts from the Aging table.",
        controls=tuple(controls),
        notes=tuple(notes),
        pictures=tuple(pictures),
    )
    return [sheet], findings


def kpi_input_sheets(tables: dict[str, pd.DataFrame] | None = None) -> list[SheetSpec]:
    """The blue ``History`` and ``Applications`` sheets: the tables given (as read), or
    empty tables with their headers for the user to paste into (with no tables, the
    template, without a totals row: rows pasted under the header land in the table)."""
    sheets = []
    for name, schema in INPUT_TABLES.items():
        frame = (tables or {}).get(name)
        if frame is None:
            frame = empty_table(schema)
        frame = frame.drop(columns=[c for c in PROVENANCE if c in frame])
        money = tuple(c for c in schema.of_kind(Kind.MONEY) if c in frame)
        sheets.append(
            SheetSpec(
                schema.sheet,
                schema.name,
                frame,
                schema,
                title=schema.sheet,
                subtitle=_INPUT_SUBTITLES[name] + " Input for the KPIs sheet.",
                kind="input",
                totals=money if tables else (),
                controls=(ControlRow("Rows", len(frame)),),
            )
        )
    return sheets
