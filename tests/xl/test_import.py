"""The Import buttons (``xl_import``) on the close template, headless, through xlwings' API.

Each format lands in its table and reads back (through the same reader the ribbon
scripts use) as the importer gave it; a re-import replaces the file's rows instead of
adding them twice; rows of other files, typed rows and the user's own columns stay; a
bad file is reported, located, on Issues and changes nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwings as xw

from cuadre.importers import auto, bank, erp, fiscal
from cuadre.model.tables import (
    BANK_LINES,
    FISCAL_DOCS,
    OPEN_ITEMS,
    PAYMENT_COMPLEMENTS,
    STATEMENTS,
    TableSchema,
)
from cuadre.workbook.template import DEFAULT_PATH
from cuadre.xl import scripts
from cuadre.xl.engine import open_book
from cuadre.xl.run import run_script
from cuadre.xl.sheets import find_table, read_input

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers"
CAMT = GOLDEN / "camt" / "hand_camt053_v08" / "input.xml"
MT940 = GOLDEN / "mt940" / "hand_german_gvc" / "input.sta"
SAP = GOLDEN / "erp" / "sap_de_csv" / "input.csv"
ORACLE = GOLDEN / "erp" / "oracle_txt" / "input.txt"
BBVA = GOLDEN / "bank_csv" / "mx_bbva_newest_first" / "input.csv"
CFDI_PAYMENT = GOLDEN / "cfdi" / "cfdi33_pagos10" / "payment.xml"
CFDI_INVOICE = GOLDEN / "cfdi" / "cfdi33_pagos10" / "invoice_usd.xml"
DIAN_NOTE = GOLDEN / "dian" / "credit_note" / "nc.xml"


@pytest.fixture
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "Close.xlsx"
    shutil.copyfile(DEFAULT_PATH, path)
    book, _ = open_book(path)
    yield book
    book.app.quit()


def rows(book: xw.Book, schema: TableSchema, allow: tuple[str, ...] = ()) -> pd.DataFrame:
    """The table as the ribbon scripts read it; no error but the ``allow``ed codes."""
    table, findings = read_input(book, schema)
    assert table is not None
    assert not [f for f in findings if f.is_error and f.code not in allow], findings
    return table.frame


def same_table(got: pd.DataFrame, want: pd.DataFrame, schema: TableSchema) -> None:
    """The contract columns read back from the workbook equal the importer's."""
    for name in schema.names:
        a = got[name].reset_index(drop=True)
        b = want[name].reset_index(drop=True)
        if a.dtype == object:
            a, b = a.fillna(""), b.fillna("")
        pd.testing.assert_series_equal(a, b, check_names=False, check_dtype=False, obj=name)


def snapshot(path: Path, skip: tuple[str, ...] = ("Issues",)) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [[c.value for c in row] for row in ws.iter_rows()]
        for ws in wb.worksheets
        if ws.title not in skip
    }


def test_bank_statements_land_on_bank_and_statements(book: xw.Book) -> None:
    findings = scripts.xl_import(book, paths=[CAMT, MT940], kind="bank")
    assert not [f for f in findings if f.is_error], findings
    want = bank.import_bank_files([CAMT, MT940])
    lines = rows(book, BANK_LINES)
    same_table(lines, want.bank_lines, BANK_LINES)
    same_table(rows(book, STATEMENTS), want.statements, STATEMENTS)
    assert set(lines["source_file"]) == {str(CAMT), str(MT940)}
    # progress per file in the status bar, a summary in a message box
    status = book.app.impl.status_history
    assert "Cuadre: importing file 1 of 2: input.xml..." in status
    assert "Cuadre: importing file 2 of 2: input.sta..." in status
    assert book.app.impl.status_bar is False
    summary = book.app.impl.alerts[-1][1]
    assert "imported 2 of 2" in summary and f"Bank: {len(lines)} row(s) imported" in summary


def test_erp_export_lands_on_open_items_with_its_source(book: xw.Book) -> None:
    findings = scripts.xl_import(book, paths=[SAP])
    assert not [f for f in findings if f.is_error], findings
    want, _ = erp.import_erp(SAP.read_bytes(), str(SAP), "sap_fbl5n")
    got = rows(book, OPEN_ITEMS)
    same_table(got, want, OPEN_ITEMS)
    assert set(got["source_file"]) == {str(SAP)}
    assert list(got["source_line"]) == [str(r) for r in want["source_row"]]
    assert set(got["erp_document_type"]) == {"RV", "DZ", "DG", "DR"}
    kinds = {f.location.file: f.message for f in findings if f.code == "FILE_KIND"}
    assert "sap_fbl5n" in kinds[str(SAP)]


def test_e_invoices_land_on_fiscal_docs_and_payment_complements(book: xw.Book) -> None:
    paths = [CFDI_PAYMENT, CFDI_INVOICE, DIAN_NOTE]
    findings = scripts.xl_import(book, paths=paths, kind="fiscal")
    assert not [f for f in findings if f.is_error], findings
    docs, comps, _ = fiscal.import_fiscal([(p.read_bytes(), str(p)) for p in paths])
    same_table(rows(book, FISCAL_DOCS), docs, FISCAL_DOCS)
    same_table(rows(book, PAYMENT_COMPLEMENTS), comps, PAYMENT_COMPLEMENTS)
    # a warning of the DIAN note (its NIT check digit) is on Issues, located
    issues = find_table(book, "issues")
    assert issues is not None
    cells = issues.data_body_range.options(ndim=2).value
    assert any(r[1] == "NIT_CHECK_DIGIT" and str(DIAN_NOTE) in r[2] for r in cells)


def test_reimport_replaces_the_files_rows_and_keeps_everything_else(
    book: xw.Book, tmp_path: Path
) -> None:
    scripts.xl_import(book, paths=[CAMT, MT940])
    table = find_table(book, "bank_lines")
    assert table is not None
    n = table.data_body_range.shape[0]
    sheet = table.parent
    top, width = table.range.row, table.range.shape[1]
    # the accountant adds a note column, a calculated column and a row typed by hand
    sheet.range((top, width + 1)).value = ["note", "double"]
    sheet.range((top + 1, width + 1)).value = "checked with the bank"
    sheet.range((top + 1, width + 2), (top + n, width + 2)).formula = "=[@amount]*2"
    typed = top + n + 1
    header = [str(h) for h in sheet.range((top, 1), (top, width)).value]
    sheet.range((typed, header.index("line_id") + 1)).value = "TYPED-1"
    sheet.range((typed, header.index("currency") + 1)).value = "EUR"
    sheet.range((typed, header.index("amount") + 1)).value = 12.5
    sheet.range((typed, header.index("booking_date") + 1)).value = "2026-10-31"
    table.resize(sheet.range((top, 1), (typed, width + 2)))
    before_ids = [r[header.index("line_id")] for r in table.data_body_range.options(ndim=2).value]

    findings = scripts.xl_import(book, paths=[CAMT])  # the camt file again
    assert not [f for f in findings if f.is_error], findings
    lines = rows(book, BANK_LINES)
    assert len(lines) == n + 1  # nothing twice
    assert lines["line_id"].is_unique
    assert "TYPED-1" in set(lines["line_id"])
    assert set(lines["source_file"]) == {str(CAMT), str(MT940), ""}
    # every row kept its place: the re-imported camt rows went over their old selves,
    # keeping the note and the calculated column; the typed row is still last
    table = find_table(book, "bank_lines")
    assert table is not None
    body = table.data_body_range
    cells = body.options(ndim=2).value
    assert [r[header.index("line_id")] for r in cells] == before_ids
    assert cells[0][width] == "checked with the bank"
    assert all(f[width + 1] == "=[@amount]*2" for f in body.formula[:n])
    summary = book.app.impl.alerts[-1][1]
    assert "updated: imported before from the same file" in summary


def test_a_row_already_there_from_another_file_is_not_added_twice(
    book: xw.Book, tmp_path: Path
) -> None:
    copy = tmp_path / "statement copy.xml"
    shutil.copyfile(CAMT, copy)
    scripts.xl_import(book, paths=[CAMT])
    n = len(rows(book, BANK_LINES))
    findings = scripts.xl_import(book, paths=[copy])
    assert len(rows(book, BANK_LINES)) == n
    already = [f for f in findings if f.code == "ALREADY_IN_TABLE"]
    assert already and already[0].location.excel().startswith("Bank!")


def test_a_bad_file_is_reported_and_changes_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "Close.xlsx"
    shutil.copyfile(DEFAULT_PATH, path)
    run_script("import", path, [SAP])
    before = snapshot(path)
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>'
    )
    junk = tmp_path / "notes.txt"
    junk.write_text("nothing Cuadre reads\n")
    findings = run_script("import", path, [broken, junk])
    errors = [f for f in findings if f.is_error]
    assert {f.location.file for f in errors} >= {str(junk)}
    assert all(f.location.file in (str(broken), str(junk)) for f in errors)
    assert snapshot(path) == before  # every sheet but Issues as it was
    issues = openpyxl.load_workbook(path)["Issues"]
    text = " ".join(str(c.value) for row in issues.iter_rows() for c in row if c.value)
    assert "UNKNOWN_FORMAT" in text and str(junk) in text


def test_a_file_with_errors_lands_nothing_but_the_others_do(book: xw.Book, tmp_path: Path) -> None:
    broken = tmp_path / "bad.sta"
    broken.write_bytes(MT940.read_bytes().replace(b":60F:", b":60F:XX", 1))
    batch = auto.import_files([CAMT, broken])
    if str(broken) not in batch.failed:  # the MT940 reader may warn rather than fail
        pytest.skip("this corruption is only a warning for the MT940 reader")
    scripts.xl_import(book, paths=[CAMT, broken])
    assert set(rows(book, BANK_LINES)["source_file"]) == {str(CAMT)}


def test_paths_come_from_the_hidden_import_sheet(book: xw.Book) -> None:
    sheet = book.sheets.add(scripts.IMPORT_SHEET)
    sheet.range("A1").options(transpose=True).value = [str(CAMT), str(MT940)]
    sheet.visible = False
    scripts.xl_import(book, kind="bank")
    assert scripts.IMPORT_SHEET not in [s.name for s in book.sheets]
    assert len(rows(book, BANK_LINES)) == len(bank.import_bank_files([CAMT, MT940]).bank_lines)


def test_no_files_chosen_changes_nothing(book: xw.Book) -> None:
    assert scripts.xl_import(book) == []
    assert "No file" in book.app.impl.alerts[-1][1]


def test_the_button_limits_the_kind(book: xw.Book) -> None:
    findings = scripts.xl_import(book, paths=[SAP], kind="fiscal")
    assert [f.code for f in findings if f.is_error] == ["UNKNOWN_FORMAT"]
    assert "e-invoice" in next(f.message for f in findings if f.is_error)


def test_text_reports_go_to_the_importer_their_content_calls_for() -> None:
    assert auto.detect_kind(ORACLE.read_bytes(), str(ORACLE))[0] == "erp"
    assert auto.detect_kind(BBVA.read_bytes(), str(BBVA))[0] == "bank"
    assert auto.detect_kind(BBVA.read_bytes(), str(BBVA), "erp")[0] == "erp"
    assert auto.detect_kind(CFDI_INVOICE.read_bytes(), "x.xml")[0] == "fiscal"
    assert auto.detect_kind(b"hello", "x.txt") == (None, "")


def test_growing_over_the_users_cells_is_refused(book: xw.Book) -> None:
    table = find_table(book, "bank_lines")
    assert table is not None
    below = table.range.row + 4
    table.parent.range((below, 2)).value = "my note under the table"
    findings = scripts.xl_import(book, paths=[CAMT, MT940])
    blocked = [f for f in findings if f.code == "TABLE_BLOCKED"]
    assert blocked and blocked[0].location.excel() == f"Bank!B{below}"
    assert table.parent.range((below, 2)).value == "my note under the table"
    assert find_table(book, "bank_lines").data_body_range.shape[0] == 1  # still empty
    assert find_table(book, "statements").data_body_range.shape[0] == 1  # all or nothing


def test_missing_input_sheets_are_added_from_the_template(tmp_path: Path) -> None:
    path = tmp_path / "Old.xlsx"
    shutil.copyfile(DEFAULT_PATH, path)
    wb = openpyxl.load_workbook(path)
    for name in ("FiscalDocs", "PaymentComplements", "Statements"):
        del wb[name]
    wb.save(path)
    findings = run_script("import", path, [CFDI_PAYMENT, CFDI_INVOICE, CAMT])
    assert not [f for f in findings if f.is_error], findings
    wb = openpyxl.load_workbook(path)
    for sheet, table in (
        ("FiscalDocs", "fiscal_docs"),
        ("PaymentComplements", "payment_complements"),
        ("Statements", "statements"),
    ):
        assert table in wb[sheet].tables, sheet
    book, _ = open_book(path)
    try:
        assert len(rows(book, FISCAL_DOCS)) == 2
        assert len(rows(book, PAYMENT_COMPLEMENTS)) >= 1
    finally:
        book.app.quit()


def test_a_sheet_without_its_table_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "Mine.xlsx"
    shutil.copyfile(DEFAULT_PATH, path)
    wb = openpyxl.load_workbook(path)
    del wb["FiscalDocs"]
    wb.create_sheet("FiscalDocs")["A1"] = "my own list of invoices"
    wb.save(path)
    findings = run_script("import", path, [CFDI_INVOICE])
    assert [f.code for f in findings if f.is_error] == ["NO_TABLE"]
    assert openpyxl.load_workbook(path)["FiscalDocs"]["A1"].value == "my own list of invoices"


# --------------------------------------------------------------------------- real samples

REAL = {
    "bank_lines": (
        "camt/OCA_test-camt053.xml",
        "camt/genkgo_camt054.v2.xml",
        "mt940/wolph_jejik_ing.sta",
        "mt940/jejik_commerzbank.txt",
        "bai2/moov_bai2_sample1.txt",
        "ofx/ofxparse_bank_medium.ofx",
        "erp_exports/OCA_paypal_statement_en.csv",
    ),
    "fiscal_docs": (
        "cfdi/satcfdi_h&e951128469_ingreso_iva16_stamped.xml",
        "cfdi/satcfdi_cfdv40-pagos20.xml",
        "cfdi/phpcfdi_descarga_masiva_metadata.txt",
        "dian/ubl21dian_invoice_unsigned_dian_v2.xml",
    ),
}


@pytest.mark.parametrize("table", list(REAL))
def test_real_samples_land_in_their_table(book: xw.Book, realdata: Path, table: str) -> None:
    paths = [realdata / p for p in REAL[table] if (realdata / p).is_file()]
    assert paths
    batch = auto.import_files(paths)
    findings = scripts.xl_import(book, paths=paths)
    landed = [p for p in map(str, paths) if p not in batch.failed]
    assert landed, batch.findings
    schema = BANK_LINES if table == "bank_lines" else FISCAL_DOCS
    # an unstamped CFDI has no UUID: the importer warns, the reader calls the cell missing
    allow = ("MISSING_VALUE",) if table == "fiscal_docs" else ()
    got = rows(book, schema, allow)
    same_table(got, batch.tables[table], schema)
    assert {str(s).split("!")[0] for s in got["source_file"]} == set(landed)
    assert not [f for f in findings if f.is_error and f.location.file in landed]
    again = scripts.xl_import(book, paths=paths)  # and once more: nothing twice
    assert len(rows(book, schema, allow)) == len(got), [f for f in again if f.is_error]
