"""The buttons after the close, headless: Collections, Accruals & provision, Reconcile, and
the KPIs sheet of Whole close, on the close template filled with a small demo company and
its planted inputs (:mod:`cuadre.demo`).

Each button writes its sheets with their controls OK, writes the same values again on a
re-run, copes with a missing optional input (a sensible sheet or an Issues row, never an
error) and, on a bad input cell, lists a located finding on Issues and changes no
result sheet. One sheet per button is compared with a golden file (values and number
formats).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cuadre.close import CloseResult, run_close
from cuadre.demo.accruals_data import demo_accruals_tables
from cuadre.demo.collections_data import demo_collections_tables
from cuadre.demo.generator import DemoCompany
from cuadre.demo.kpi_data import demo_kpi_tables
from cuadre.demo.reconcile_data import demo_reconcile_tables
from cuadre.model.convert import payments_from_bank_lines
from cuadre.model.tables import PAYMENT_COMPLEMENTS, SETTINGS, TableSchema
from cuadre.workbook import accruals_sheets as acc
from cuadre.workbook import collections_sheets as col
from cuadre.workbook import kpi_sheets as kpi
from cuadre.workbook import reconcile_sheets as rec
from cuadre.xl import scripts
from cuadre.xl.engine import open_book
from cuadre.xl.run import run_script
from cuadre.xl.sheets import find_table
from golden_util import assert_golden, sheet_snapshot

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "xl_steps"

RECONCILE_PASTED: dict[str, TableSchema] = {
    **rec.INPUT_TABLES,
    "fiscal_docs": scripts.RECONCILE_TABLES["fiscal_docs"],
    "complements": PAYMENT_COMPLEMENTS,
}


@pytest.fixture(scope="module")
def closed(company: DemoCompany) -> CloseResult:
    payments = payments_from_bank_lines(company.bank_lines)
    return run_close(
        company.open_items,
        payments,
        company.customers,
        company.period_end,
        trial_balance=company.trial_balance,
    )


@pytest.fixture(scope="module")
def full(
    tmp_path_factory: pytest.TempPathFactory,
    filled_template: Path,
    company: DemoCompany,
    closed: CloseResult,
    pasting,  # type: ignore[no-untyped-def]
) -> Path:
    """The filled close workbook plus every step's planted inputs, pasted as a user would
    (``filled_template`` alone has none of them)."""
    path = tmp_path_factory.mktemp("full") / "Full.xlsx"
    shutil.copyfile(filled_template, path)
    book, _ = open_book(path)
    pasted = [
        (col.INPUT_TABLES, demo_collections_tables(company, closed)),
        (acc.INPUT_TABLES, demo_accruals_tables(company, closed)),
        (kpi.INPUT_TABLES, demo_kpi_tables(company, closed)),
        (RECONCILE_PASTED, demo_reconcile_tables(company, closed)),
    ]
    for schemas, tables in pasted:
        for key, schema in schemas.items():
            if key in tables and len(tables[key]):
                pasting(book, schema, tables[key])
    settings = find_table(book, "settings")
    assert settings is not None
    rows = [r for r in settings.data_body_range.options(ndim=2).value if r[0]]
    rows += [  # optional settings: rows the user adds
        ["company_name", "Distribuidora Demo, S.A. de C.V.", ""],
        ["company_email", "cobranza@example.com", ""],
        ["sap_company_code", "1000", ""],
    ]
    frame = pd.DataFrame(rows, columns=SETTINGS.names).fillna("")
    pasting(book, SETTINGS, frame)
    book.save()
    book.app.quit()
    return path


@pytest.fixture
def book_copy(tmp_path: Path):  # type: ignore[no-untyped-def]
    def copy(source: Path, name: str = "Close.xlsx") -> Path:
        path = tmp_path / name
        shutil.copyfile(source, path)
        return path

    return copy


def values(path: Path, sheet: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows()]


def controls(path: Path, sheet: str) -> dict[str, object]:
    """The control block: label (column A) -> cached value (column B), above the table."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    table = next(iter(ws.tables.values()))
    top = int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit()))
    return {
        str(ws.cell(r, 1).value): ws.cell(r, 2).value
        for r in range(3, top)
        if ws.cell(r, 1).value is not None
    }


def assert_controls_ok(path: Path, sheet: str) -> None:
    block = controls(path, sheet)
    assert "DIFFERENCE" not in block.values(), (sheet, block)


def errors(findings):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.is_error]


def control_failures(findings):  # type: ignore[no-untyped-def]
    """Failed controls: the sheet builders report each as ``*_CONTROL``."""
    return [f for f in findings if f.code.endswith("_CONTROL")]


def snapshot(path: Path, sheets: tuple[str, ...]) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path)
    return {s: [[c.value for c in r] for r in wb[s].iter_rows()] for s in sheets if s in wb}


def test_collections_sheets_letters_and_statements(full: Path, book_copy) -> None:  # type: ignore[no-untyped-def]
    path = book_copy(full)
    findings = run_script("collections", path)
    assert not errors(findings) and not control_failures(findings), errors(findings)
    wb = openpyxl.load_workbook(path)
    for sheet in col.OUTPUT_SHEETS:
        assert len(wb[sheet].tables) == 1, sheet
        assert_controls_ok(path, sheet)
    letters = sorted((path.parent / "Close letters").glob("*.txt"))
    written = next(f for f in findings if f.code == "LETTERS_WRITTEN")
    assert letters and written.message.startswith(f"{len(letters)} dunning letter(s)")
    assert (path.parent / "Close statements.pdf").read_bytes().startswith(b"%PDF")
    assert "Distribuidora Demo" in letters[0].read_text(encoding="utf-8")
    first = snapshot(path, OUTPUT_COLLECTIONS)
    # re-run: the same values, the letters folder holds this run's letters only
    (path.parent / "Close letters" / "C99999_MXN_level9.txt").write_text("old", encoding="utf-8")
    run_script("collections", path)
    assert snapshot(path, OUTPUT_COLLECTIONS) == first
    assert sorted((path.parent / "Close letters").glob("*.txt")) == letters
    assert_golden(sheet_snapshot(path, "Worklist"), GOLDEN / "Worklist.csv")


OUTPUT_COLLECTIONS = ("Aging", *col.OUTPUT_SHEETS)


def test_accruals_sheets_and_rerun(full: Path, book_copy) -> None:  # type: ignore[no-untyped-def]
    path = book_copy(full)
    findings = run_script("accruals", path)
    assert not errors(findings) and not control_failures(findings), errors(findings)
    names = openpyxl.load_workbook(path).sheetnames
    assert set(acc.OUTPUT_SHEETS) <= set(names)  # AccrualUploadSAP: sap_company_code is set
    for sheet in acc.OUTPUT_SHEETS:
        assert_controls_ok(path, sheet)
    first = snapshot(path, acc.OUTPUT_SHEETS)
    run_script("accruals", path)
    assert snapshot(path, acc.OUTPUT_SHEETS) == first
    assert_golden(sheet_snapshot(path, "ProvisionMatrix"), GOLDEN / "ProvisionMatrix.csv")


def test_reconcile_every_sheet_with_its_inputs(full: Path, book_copy) -> None:  # type: ignore[no-untyped-def]
    path = book_copy(full)
    findings = run_script("reconcile", path)
    assert not control_failures(findings)
    # the planted cases are data errors (a CFDI cancelled by the SAT but open in the ERP,
    # a PPD invoice paid without its payment complement): reported, sheets written
    assert {f.code for f in errors(findings)} <= {
        "CANCELLED_BUT_OPEN",
        "PPD_WITHOUT_REP",
        "REP_REJECTED",
    }, errors(findings)
    names = openpyxl.load_workbook(path).sheetnames
    assert set(rec.RECON_SHEETS) <= set(names)
    assert "RECONCILIATIONS_SKIPPED" not in {f.code for f in findings}
    for sheet in rec.RECON_SHEETS:
        assert_controls_ok(path, sheet)
    assert_golden(sheet_snapshot(path, "Advances"), GOLDEN / "Advances.csv")


def test_close_adds_the_kpis_sheet(full: Path, book_copy) -> None:  # type: ignore[no-untyped-def]
    path = book_copy(full)
    findings = run_script("close", path)
    assert not errors(findings)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.index("KPIs") == wb.sheetnames.index("Aging") + 1
    block = controls(path, "KPIs")
    assert block["Months"] == 12 and block["History rows used"] == block["History rows read"]
    book, _ = open_book(path)
    try:
        assert [p.name for p in book.sheets["Aging"].pictures]  # the aging chart
        assert len(book.sheets["KPIs"].pictures) >= 2
    finally:
        book.app.quit()
    assert_golden(sheet_snapshot(path, "KPIs"), GOLDEN / "KPIs.csv")


def test_missing_optional_inputs_give_sheets_not_errors(filled_template: Path, book_copy) -> None:  # type: ignore[no-untyped-def]
    """The close's inputs only: no promises, operations, cash book, statement..."""
    path = book_copy(filled_template)
    found = {}
    for name in ("collections", "accruals", "reconcile"):
        findings = run_script(name, path)
        assert not errors(findings), (name, errors(findings))
        found[name] = {f.code for f in findings}
    wb = openpyxl.load_workbook(path)
    assert set(col.OUTPUT_SHEETS) <= set(wb.sheetnames)
    assert wb["PromiseStatus"].tables["promise_status"]  # an empty table, with its header
    assert "NO_COMPANY_NAME" in found["collections"]
    assert {"NO_OPERATIONS", "NO_SNAPSHOTS"} <= found["accruals"]
    assert {"ProvisionMatrix", "Provision", "AccrualJournal"} <= set(wb.sheetnames)
    assert "Accruals" not in wb.sheetnames and "AccrualUploadSAP" not in wb.sheetnames
    assert "RECONCILIATIONS_SKIPPED" in found["reconcile"]
    assert {"ReconGL", "Advances"} <= set(wb.sheetnames)
    assert "ReconBank" not in wb.sheetnames


def _cell(book, table_name: str, column: str, row: int = 0):  # type: ignore[no-untyped-def]
    table = find_table(book, table_name)
    assert table is not None
    header = table.header_row_range.value
    return table.data_body_range[row, header.index(column)]


@pytest.mark.parametrize(
    ("script", "table", "column", "value", "sheets"),
    [
        ("collections", "promises", "amount", "12x.50", col.OUTPUT_SHEETS),
        ("accruals", "operations", "completed_date", "soon", acc.OUTPUT_SHEETS),
    ],
)
def test_bad_input_cell_is_located_and_changes_no_result_sheet(
    full: Path, book_copy, script: str, table: str, column: str, value: str, sheets
) -> None:  # type: ignore[no-untyped-def]
    path = book_copy(full)
    before = snapshot(path, ("Aging", *sheets))  # the template's Aging, no step sheet yet
    book, _ = open_book(path)
    cell = _cell(book, table, column)
    cell.value = value
    where = cell.get_address(False, False)
    sheet = cell.sheet.name
    findings = getattr(scripts, f"xl_{script}")(book)
    book.save()
    alerts = book.app.impl.alerts
    book.app.quit()
    bad = [f for f in errors(findings) if f.location.excel() == f"{sheet}!{where}"]
    assert bad, [str(f) for f in errors(findings)]
    assert "changed no result sheet" in alerts[-1][1] and f"{sheet}!{where}" in alerts[-1][1]
    assert snapshot(path, ("Aging", *sheets)) == before and list(before) == ["Aging"]
    issues = openpyxl.load_workbook(path)["Issues"]
    assert any(r[3] == f"{sheet}!{where}" for r in issues.iter_rows(values_only=True))


def test_bad_step_setting_is_located(full: Path, book_copy) -> None:  # type: ignore[no-untyped-def]
    path = book_copy(full)
    book, _ = open_book(path)
    settings = find_table(book, "settings")
    assert settings is not None
    rows = settings.data_body_range.options(ndim=2).value
    i = next(i for i, r in enumerate(rows) if r[0] == "provision_method")
    settings.data_body_range[i, 1].value = "magic"
    j = next(i for i, r in enumerate(rows) if r[0] == "language")
    settings.data_body_range[j, 1].value = "fr"
    top = settings.data_body_range.row
    accruals = scripts.xl_accruals(book)
    collections = scripts.xl_collections(book)
    names = [s.name for s in book.sheets]
    book.app.quit()
    assert [f.location.excel() for f in errors(accruals)] == [f"Settings!B{top + i}"]
    assert [f.location.excel() for f in errors(collections)] == [f"Settings!B{top + j}"]
    assert "ProvisionMatrix" not in names and "Worklist" not in names
