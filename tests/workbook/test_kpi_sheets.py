"""The KPIs sheet: golden cells and formats from a small history, one month by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cuadre.aging import age_receivables
from cuadre.aging_history import AR_APPLICATIONS, AR_HISTORY
from cuadre.model.tables import OPEN_ITEMS, empty_table
from cuadre.workbook.kpi_sheets import (
    INPUT_TABLES,
    KpiInputs,
    aging_pictures,
    kpi_input_sheets,
    kpi_sheets,
)
from cuadre.workbook.writer import write_workbook
from golden_util import assert_golden, sheet_snapshot
from helpers import frame

GOLDEN = Path(__file__).parents[1] / "golden" / "workbook" / "kpis"
AS_OF = dt.date(2026, 3, 31)

# document, type, currency, issued, due, amount (minor units), cleared on, open now
ROWS = [
    ("U1", "invoice", "USD", "2025-12-15", "2026-01-14", 1_000_00, "2026-01-20", 0),
    ("U2", "invoice", "USD", "2026-01-10", "2026-02-09", 2_000_00, "2026-02-25", 0),
    ("U3", "invoice", "USD", "2026-01-25", "2026-02-24", 500_00, None, 500_00),
    ("U4", "invoice", "USD", "2026-02-10", "2026-03-12", 1_500_00, None, 900_00),
    ("U5", "invoice", "USD", "2026-03-05", "2026-04-04", 3_000_00, None, 3_000_00),
    ("U6", "credit_note", "USD", "2026-03-20", "2026-03-20", -200_00, None, -200_00),
    ("J1", "invoice", "JPY", "2026-02-01", "2026-03-03", 100_000, None, 100_000),
    ("J2", "invoice", "JPY", "2026-03-10", "2026-04-09", 50_000, None, 50_000),
]
# U4 was partly paid on 5 March
APPLIED = [("U4", "USD", "2026-03-05", 600_00)]


def history() -> pd.DataFrame:
    return frame(
        AR_HISTORY,
        [
            {
                "customer_id": "C1" if cur == "USD" else "C2",
                "customer_name": "Alfa Inc." if cur == "USD" else "Beta KK",
                "document_id": doc,
                "document_type": kind,
                "document_date": issued,
                "due_date": due,
                "currency": cur,
                "amount_original": amount,
                "amount_open": open_now,
                "clearing_date": cleared,
                "clearing_document": "RC-" + doc if cleared else "",
            }
            for doc, kind, cur, issued, due, amount, cleared, open_now in ROWS
        ],
    )


def applications() -> pd.DataFrame:
    return frame(
        AR_APPLICATIONS,
        [
            {"document_id": d, "currency": c, "applied_date": on, "amount_applied": a}
            for d, c, on, a in APPLIED
        ],
    )


def open_items() -> pd.DataFrame:
    h = history()
    still = h[h["amount_open"].ne(0)]
    return still[[*OPEN_ITEMS.names, "source_path", "source_sheet", "source_row"]]


def inputs(**changes) -> KpiInputs:  # type: ignore[no-untyped-def]
    base = {
        "as_of": AS_OF,
        "open_items": open_items(),
        "history": history(),
        "applications": applications(),
        "functional_currency": "USD",
        "months": 3,
        "charts": False,
    }
    return KpiInputs(**{**base, **changes})


def by_hand(currency: str, month_end: str) -> dict[str, float]:
    """The KPIs of one month straight from ROWS and APPLIED, without Cuadre."""
    end = dt.date.fromisoformat(month_end)
    start = end.replace(day=1)
    before = start - dt.timedelta(days=1)
    days = end.day

    def open_at(day: dt.date, current_only: bool = False) -> int:
        total = 0
        for doc, _k, cur, issued, due, amount, cleared, _o in ROWS:
            if cur != currency or dt.date.fromisoformat(issued) > day:
                continue
            if cleared and dt.date.fromisoformat(cleared) <= day:
                continue
            if current_only and dt.date.fromisoformat(due) <= day:
                continue
            paid = sum(
                a for d, _c, on, a in APPLIED if d == doc and dt.date.fromisoformat(on) <= day
            )
            total += amount - paid
        return total

    def sales(first: dt.date, last: dt.date) -> int:
        return sum(
            amount
            for _d, kind, cur, issued, _due, amount, _c, _o in ROWS
            if cur == currency
            and kind == "invoice"
            and first <= dt.date.fromisoformat(issued) <= last
        )

    ar, current, opening, sold = (
        open_at(end),
        open_at(end, True),
        open_at(before),
        sales(start, end),
    )
    # countback: this month, then the month before
    prev_end = before
    prev_start = prev_end.replace(day=1)
    prev_sales = sales(prev_start, prev_end)
    countback = days + (ar - sold) / prev_sales * prev_end.day if ar > sold else ar / sold * days
    return {
        "ar_total": ar,
        "ar_current": current,
        "ar_opening": opening,
        "credit_sales": sold,
        "dso_simple": ar / sold * days,
        "best_possible_dso": current / sold * days,
        "average_days_delinquent": (ar - current) / sold * days,
        "cei": (opening + sold - ar) / (opening + sold - current) * 100,
        "pct_current": current / ar * 100,
        "dso_countback": countback,
    }


def test_one_month_recomputed_by_hand(tmp_path: Path) -> None:
    (sheet,), findings = kpi_sheets(inputs())
    assert [f.code for f in findings if f.severity.value != "info"] == []
    kpis = sheet.frame
    assert list(kpis["currency"].unique()) == ["USD", "JPY"]  # functional first
    march = kpis[(kpis["currency"] == "USD") & (kpis["month"] == "2026-03-31")].iloc[0]
    want = by_hand("USD", "2026-03-31")
    assert want["dso_simple"] == pytest.approx(43.4)  # 4,200 / 3,000 x 31
    assert want["dso_countback"] == pytest.approx(53.4)  # 31 + 1,200 / 1,500 x 28
    assert want["cei"] == pytest.approx(40.0)  # (2,000 + 3,000 - 4,200) / (2,000 + 3,000 - 3,000)
    for column, value in want.items():
        assert march[column] == pytest.approx(value), column
    # the cells say the same
    path = tmp_path / "k.xlsx"
    write_workbook(path, [sheet])
    ws = openpyxl.load_workbook(path, data_only=True)["KPIs"]
    (table,) = ws.tables.values()
    header_row = int("".join(c for c in table.ref.split(":")[0] if c.isdigit()))
    header = [c.value for c in ws[header_row]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=header_row + 1)]
    row = next(r for r in rows if r[1] == "USD" and r[0] == dt.datetime(2026, 3, 31))
    cells = dict(zip(header, row, strict=True))
    assert cells["ar_total"] == 4200 and cells["credit_sales"] == 3000
    assert cells["dso_simple"] == pytest.approx(43.4)


def test_golden_sheet_values_and_formats(tmp_path: Path) -> None:
    (sheet,), _findings = kpi_sheets(inputs())
    path = tmp_path / "kpis.xlsx"
    write_workbook(path, [sheet], properties={"created": "2026-04-01T00:00:00"})
    assert_golden(sheet_snapshot(path, "KPIs"), GOLDEN / "kpis_sheet.csv")
    # the control is a live formula over the table, the engine's figure cached
    ws = openpyxl.load_workbook(path)["KPIs"]
    formulas = [
        c.value for row in ws.iter_rows(max_col=2) for c in row if str(c.value).startswith("=")
    ]
    assert any(
        'SUMIFS(kpis[ar_total],kpis[currency],"=USD",kpis[month],DATE(2026,3,31))' in f for f in formulas
    )


@pytest.fixture(scope="module")
def with_charts():  # type: ignore[no-untyped-def]
    (sheet,), _ = kpi_sheets(inputs(charts=True))
    return sheet


def test_pictures_go_above_the_table(tmp_path: Path, with_charts) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kpis.xlsx"
    write_workbook(path, [with_charts])
    with zipfile.ZipFile(path) as zf:
        assert len([n for n in zf.namelist() if n.startswith("xl/media/")]) == 5
    # the same cells as without pictures, the table lower down
    plain = tmp_path / "plain.xlsx"
    write_workbook(plain, [dataclasses.replace(with_charts, pictures=())])
    shown, bare = sheet_snapshot(path, "KPIs"), sheet_snapshot(plain, "KPIs")
    assert [r[1:] for r in shown] == [r[1:] for r in bare]
    ws = openpyxl.load_workbook(path)["KPIs"]
    (table,) = ws.tables.values()
    lowest = max(
        img.anchor.to.row for img in ws._images
    )  # 0-based row of the lowest picture's bottom edge
    assert int("".join(c for c in table.ref.split(":")[0] if c.isdigit())) > lowest + 1


def test_pictures_and_their_alt_text(with_charts) -> None:  # type: ignore[no-untyped-def]
    sheet = with_charts
    names = [p.name for p in sheet.pictures]
    assert names == [
        "cuadre_kpi_trend_USD",
        "cuadre_aging_USD",
        "cuadre_kpi_trend_JPY",
        "cuadre_aging_JPY",
        "cuadre_aging_currencies",
    ]
    trend = sheet.pictures[0]
    assert trend.png.startswith(b"\x89PNG") and trend.width == 620
    assert "2026-01 to 2026-03" in trend.description
    assert "DSO 43.4 days" in trend.description and "CEI 40.0 %" in trend.description
    assert "Total 4,200.00 USD, 71.4 % not yet due" in sheet.pictures[1].description
    alone = aging_pictures(
        pd.DataFrame(
            {
                "customer_id": ["C1"],
                "customer_name": ["Alfa"],
                "currency": ["USD"],
                "current": pd.array([10_00], dtype="Int64"),
                "1-30": pd.array([5_00], dtype="Int64"),
                "total": pd.array([15_00], dtype="Int64"),
            }
        )
    )
    assert [p.name for p in alone] == ["cuadre_aging_USD"]
    assert kpi_sheets(inputs())[0][0].pictures == ()  # charts=False


def test_history_that_ties_to_neither_side_is_reported() -> None:
    (sheet,), _ = kpi_sheets(inputs())
    checks = {c.label: c.value for c in sheet.controls if c.check}
    assert checks == {"History = aging (USD)": "OK", "History = aging (JPY)": "OK"}

    short = open_items()
    short = short[short["document_id"] != "J2"]
    aged, _ = age_receivables(short, AS_OF)
    (sheet,), findings = kpi_sheets(inputs(aging=aged, open_items=short))
    checks = {c.label: c.value for c in sheet.controls if c.check}
    assert checks == {"History = aging (USD)": "OK", "History = aging (JPY)": "DIFFERENCE"}
    (differs,) = [f for f in findings if f.code == "KPI_HISTORY_DIFFERS"]
    assert "150,000 JPY" in differs.message and "100,000 JPY" in differs.message

    # the history taken before the cash application ties to the open items
    (sheet,), findings = kpi_sheets(inputs(aging=aged))
    checks = {c.label: c.value for c in sheet.controls if c.check}
    assert checks["History = open items (JPY)"] == "OK"
    assert any("before this close's cash application" in n for n in sheet.notes)


def test_month_to_date_and_no_history() -> None:
    (sheet,), _ = kpi_sheets(inputs(as_of=dt.date(2026, 3, 20), months=1))
    last = sheet.frame[sheet.frame["currency"] == "USD"].iloc[-1]
    assert last["month"] == pd.Timestamp("2026-03-20") and last["days"] == 20
    assert "2026-03 (to 20)" in sheet.subtitle

    for nothing in (None, empty_table(AR_HISTORY)):
        (sheet,), findings = kpi_sheets(inputs(history=nothing, applications=None))
        assert [f.code for f in findings] == ["KPI_NO_HISTORY"]
    assert sheet.frame.empty and list(sheet.frame.columns)[:3] == ["month", "currency", "days"]
    assert sheet.pictures == ()  # no history and no aging: nothing to draw


def test_input_sheets() -> None:
    empty = kpi_input_sheets(None)
    assert [(s.name, s.table_name, s.kind, len(s.frame)) for s in empty] == [
        ("History", "ar_history", "input", 0),
        ("Applications", "applications", "input", 0),
    ]
    assert list(empty[0].frame.columns) == AR_HISTORY.names
    assert set(INPUT_TABLES) == {"ar_history", "applications"}
    given = kpi_input_sheets({"ar_history": history()})
    assert len(given[0].frame) == len(ROWS) and "source_row" not in given[0].frame
    assert given[0].totals == ("amount_original", "amount_open")


def test_every_history_row_is_accounted_for() -> None:
    broken = history()
    broken.loc[0, "document_date"] = None  # U1 cannot be placed in time
    (sheet,), findings = kpi_sheets(inputs(history=broken))
    counts = {c.label: c.value for c in sheet.controls[:4]}
    assert counts == {
        "Months": 3,
        "History rows read": 8,
        "History rows used": 7,
        "History rows left out (see Issues)": 1,
    }
    assert "HISTORY_ROW_UNUSABLE" in [f.code for f in findings]
