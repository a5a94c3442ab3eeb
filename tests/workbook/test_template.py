"""The committed close workbook is exactly what ``cuadre.workbook.template`` generates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from cuadre.aging import DEFAULT_BUCKETS, aging_schema
from cuadre.model.tables import TABLES
from cuadre.workbook.template import (
    DEFAULT_PATH,
    MATCHES,
    SETTING_ROWS,
    build_template,
    step_input_sheets,
    template_sheet,
)
from golden_util import assert_golden, sheet_snapshot

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "workbooks" / "Cuadre Close.xlsx"
GOLDEN = ROOT / "tests" / "golden" / "template"

SHEETS = {
    "README": "readme",
    "Settings": "settings",
    "Customers": "customers",
    "OpenItems": "open_items",
    "Bank": "bank_lines",
    "Statements": "statements",
    "GL": "trial_balance",
    "FiscalDocs": "fiscal_docs",
    "PaymentComplements": "payment_complements",
    **{spec.name: spec.table_name for spec in step_input_sheets()},
    "Matches": "allocations",
    "Unapplied": "unapplied",
    "Aging": "aging",
    "Issues": "issues",
    "Evidence": "evidence",
}
INPUTS = (
    "Settings",
    "Customers",
    "OpenItems",
    "Bank",
    "Statements",
    "GL",
    "FiscalDocs",
    "PaymentComplements",
    *(spec.name for spec in step_input_sheets()),
)
OUTPUTS = ("Matches", "Unapplied", "Aging")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "Cuadre Close.xlsx"
    build_template(path)
    return path


def formulas(path: Path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {
        c.coordinate: c.value
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.data_type == "f"
    }


def test_default_path_is_the_committed_workbook() -> None:
    assert DEFAULT_PATH == COMMITTED


def test_sheets_and_tables(fresh: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    assert wb.sheetnames == list(SHEETS)
    for sheet, table in SHEETS.items():
        assert list(wb[sheet].tables) == [table], sheet


def test_tables_have_the_contract_columns(fresh: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    expected = {
        "customers": TABLES["customers"].names,
        "open_items": TABLES["open_items"].names,
        "bank_lines": TABLES["bank_lines"].names,
        "statements": TABLES["statements"].names,
        "trial_balance": TABLES["trial_balance"].names,
        "fiscal_docs": TABLES["fiscal_docs"].names,
        "payment_complements": TABLES["payment_complements"].names,
        "allocations": MATCHES.names,
        "unapplied": TABLES["unapplied"].names,
        "aging": aging_schema(DEFAULT_BUCKETS).names,
        "issues": TABLES["issues"].names,
        "evidence": TABLES["evidence"].names,
        "settings": TABLES["settings"].names,
    }
    for sheet, name in SHEETS.items():
        if name in expected:
            table = wb[sheet].tables[name]
            assert [c.name for c in table.tableColumns] == expected[name], name
    aging = [c.name for c in wb["Aging"].tables["aging"].tableColumns]
    assert aging[:10] == [
        "customer_id",
        "customer_name",
        "currency",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "121+",
        "total",
    ]
    assert MATCHES.names[: len(TABLES["allocations"].names)] == TABLES["allocations"].names


def test_template_sheet_finds_each_table() -> None:
    for sheet, table in SHEETS.items():
        assert template_sheet(table).name == sheet
    with pytest.raises(KeyError):
        template_sheet("nope")


def test_settings_rows(fresh: Path) -> None:
    ws = openpyxl.load_workbook(fresh)["Settings"]
    table = ws.tables["settings"]
    first, last = table.ref.split(":")
    rows = [[c.value for c in row] for row in ws[first:last]][1:]
    assert [tuple("" if v is None else v for v in r) for r in rows] == list(SETTING_ROWS)
    settings = {r[0]: r[1] for r in rows}
    assert settings == {
        "as_of": None,
        "buckets": "30,60,90,120",
        "match_threshold": "0.9",
        "tolerance_pct": "0.5",
        "decimal_separator": ".",
        "date_order": "auto",
        "functional_currency": "MXN",
        "language": "es",
        "provision_method": "roll_rates",
        "forward_factor": "1",
        "receivable_account": "1105-01",
        "allowance_account": "1109-01",
        "bad_debt_expense_account": "6105-01",
        "unbilled_account": "1105-90",
        "revenue_account": "4100-01",
    }


def test_tab_colours_tell_inputs_from_outputs(fresh: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    colour = {name: wb[name].sheet_properties.tabColor.rgb for name in SHEETS}
    assert len({colour[s] for s in INPUTS}) == 1
    assert len({colour[s] for s in OUTPUTS}) == 1
    assert colour["Settings"] != colour["Matches"] != colour["README"]


def test_output_tables_have_totals_rows(fresh: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    for sheet in OUTPUTS:
        assert wb[sheet].tables[SHEETS[sheet]].totalsRowCount == 1, sheet
    for sheet in INPUTS:  # accountants paste into these: no totals row in the way
        assert not wb[sheet].tables[SHEETS[sheet]].totalsRowCount, sheet


def test_readme_explains_the_close(fresh: Path) -> None:
    text = " ".join(str(v) for _, v, _ in sheet_snapshot(fresh, "README"))
    for words in (
        "Match payments",
        "Matches",
        "accept or reject",
        "Aging",
        "Issues",
        "Evidence",
        "cartera",
        "antigüedad de saldos",
        "pagos no identificados",
        "Import",
        "FiscalDocs",
        "CFDI",
    ):
        assert words in text, words


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_committed_workbook_matches_a_fresh_build(fresh: Path, sheet: str) -> None:
    assert COMMITTED.exists(), "run: python -m cuadre.workbook.template"
    assert sheet_snapshot(COMMITTED, sheet) == sheet_snapshot(fresh, sheet), (
        f"workbooks/Cuadre Close.xlsx is stale ({sheet}): run python -m cuadre.workbook.template"
    )
    assert formulas(COMMITTED, sheet) == formulas(fresh, sheet)
    committed = openpyxl.load_workbook(COMMITTED)[sheet]
    built = openpyxl.load_workbook(fresh)[sheet]
    assert {t.name: t.ref for t in committed.tables.values()} == {
        t.name: t.ref for t in built.tables.values()
    }
    assert committed.freeze_panes == built.freeze_panes


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_golden(fresh: Path, sheet: str) -> None:
    assert_golden(sheet_snapshot(fresh, sheet), GOLDEN / f"{sheet}.csv")


def test_build_is_reproducible(fresh: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    build_template(again)
    assert again.read_bytes() == fresh.read_bytes()


def test_module_entry_point_writes_the_template(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "Close.xlsx"
    subprocess.run(
        [sys.executable, "-m", "cuadre.workbook.template", str(out)],
        check=True,
        capture_output=True,
    )
    assert openpyxl.load_workbook(out).sheetnames == list(SHEETS)
