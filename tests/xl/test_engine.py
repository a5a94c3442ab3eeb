"""The headless xlwings engine: xlwings' own API over a workbook file, never damaging it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from openpyxl.chart import BarChart, Reference
from python_calamine import CalamineWorkbook

from cuadre.workbook.template import DEFAULT_PATH
from cuadre.xl.engine import ENGINE_NAME, copy_path, new_app, open_book
from cuadre.xl.parts import inspect_package
from cuadre.xl.run import run_script
from xlsx_util import add_pivot_parts


@pytest.fixture
def book():  # type: ignore[no-untyped-def]
    app = new_app()
    yield app.books.add()
    app.quit()


def test_registered_through_the_public_interface() -> None:
    assert xw.engines[ENGINE_NAME].name == ENGINE_NAME
    app = new_app()
    assert isinstance(app, xw.App) and app.engine.name == ENGINE_NAME
    app.quit()


def test_values_round_trip_as_excel_gives_them(book: xw.Book) -> None:
    sheet = book.sheets[0]
    sheet["A1"].value = [["text", 1, 2.5, dt.date(2026, 10, 31), None, True]]
    assert sheet["A1:F1"].value == ["text", 1.0, 2.5, dt.datetime(2026, 10, 31), None, True]
    sheet["A2"].value = "00123"  # General cell: Excel reads a number
    sheet["B2"].number_format = "@"
    sheet["B2"].value = "00123"  # text cell: stays text
    sheet["C2"].value = "'=not a formula"
    sheet["D2"].value = "=A2*2"  # a formula, no cached value without Excel
    assert sheet["A2:D2"].value == [123.0, "00123", "=not a formula", None]
    assert sheet["D2"].formula == "=A2*2"
    assert sheet["A1"].options(dates=dt.date).value == "text"
    assert sheet["D1"].options(dates=dt.date).value == dt.date(2026, 10, 31)
    assert sheet["B1:C1"].options(numbers=int).value == [1, 2]
    assert sheet["A1:B1"].options(ndim=2).value == [["text", 1.0]]


def test_error_cells_are_none_or_their_text(book: xw.Book) -> None:
    ws = book.sheets[0].api
    ws["A1"] = "#N/A"
    ws["A1"].data_type = "e"
    sheet = book.sheets[0]
    assert sheet["A1"].value is None
    assert sheet["A1"].options(err_to_str=True).value == "#N/A"


def test_navigation_like_excel(book: xw.Book) -> None:
    sheet = book.sheets[0]
    sheet["B2"].value = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert sheet["B2"].expand().address == "$B$2:$D$4"
    assert sheet["B2"].expand("down").address == "$B$2:$B$4"
    assert sheet["B2"].end("down").address == "$B$4"
    assert sheet["B2"].end("right").address == "$D$2"
    assert sheet["C3"].current_region.address == "$B$2:$D$4"
    assert sheet["B5"].end("up").address == "$B$4"
    assert sheet.used_range.address == "$B$2:$D$4"
    sheet["B2:D4"].clear_contents()
    assert sheet["B2"].value is None


def test_dataframes_tables_and_sheets(book: xw.Book, tmp_path: Path) -> None:
    sheet = book.sheets.add("Data")
    df = pd.DataFrame({"id": ["a", "b"], "amount": [1.5, 2.25]})
    sheet["A1"].options(index=False).value = df
    table = sheet.tables.add(sheet["A1"].expand(), name="things")
    table.update(pd.DataFrame({"id": ["a", "b", "c"], "amount": [1.0, 2.0, 3.0]}), index=False)
    assert table.range.address == "$A$1:$B$4"
    assert table.data_body_range.options(pd.DataFrame, header=False, index=False).value.shape == (
        3,
        2,
    )
    sheet["A1"].value = "renamed"  # header cell edited: the table column follows
    path = tmp_path / "t.xlsx"
    book.save(str(path))
    t = openpyxl.load_workbook(path)["Data"].tables["things"]
    assert [c.name for c in t.tableColumns] == ["renamed", "amount"] and t.ref == "A1:B4"
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()[3] == [
        "c",
        3.0,
    ]
    book.sheets["Data"].delete()
    assert "Data" not in [s.name for s in book.sheets]


def test_status_bar_and_alerts_are_recorded(book: xw.Book) -> None:
    book.app.status_bar = "working"
    assert book.app.status_bar == "working"
    book.app.alert("hello", title="Cuadre")
    assert book.app.impl.alerts == [("Cuadre", "hello")]


def test_the_template_is_safe_to_save_in_place(tmp_path: Path) -> None:
    assert inspect_package(DEFAULT_PATH).safe
    path = tmp_path / "c.xlsx"
    shutil.copyfile(DEFAULT_PATH, path)
    book, notes = open_book(path)
    assert notes == []
    book.save()
    assert book.impl.saved_to == path.resolve()
    tables = {t for ws in openpyxl.load_workbook(path).worksheets for t in ws.tables}
    assert {"open_items", "bank_lines", "settings", "allocations", "aging"} <= tables
    book.app.quit()


def test_a_workbook_with_a_chart_and_a_pivot_table_is_never_overwritten(close_book: Path) -> None:
    wb = openpyxl.load_workbook(close_book)
    ws = wb.create_sheet("Chart data")
    for row in (("month", "cash"), ("Sep", 10), ("Oct", 12)):
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "D2")
    wb.save(close_book)
    add_pivot_parts(close_book)
    report = inspect_package(close_book)
    assert not report.safe and "a chart" in report.why() and "a pivot table" in report.why()
    before = close_book.read_bytes()

    findings = run_script("close", close_book)

    assert close_book.read_bytes() == before
    copy = copy_path(close_book)
    assert copy.is_file()
    notes = [f for f in findings if f.code == "WORKBOOK_COPY"]
    assert notes and "a chart" in notes[0].message and copy.name in notes[0].message
    assert "allocations" in openpyxl.load_workbook(copy)["Matches"].tables
    # a second run still leaves the original alone and refreshes the copy
    run_script("match", close_book)
    assert close_book.read_bytes() == before


def test_sparklines_in_a_sheet_count_as_lost(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "s.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, [1, 2, 3])
    ws.add_sparkline("D1", {"range": "Sheet1!A1:C1"})
    wb.close()
    report = inspect_package(path)
    assert not report.safe and "sparklines" in report.why()
