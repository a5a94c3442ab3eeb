"""ERP exports -> open_items: golden cases per ERP and notation, detection, totals,
signs, mappings, broken files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tomllib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cuadre.findings import Finding
from cuadre.importers import erp, generic_erp
from cuadre.io.tables import to_csv_frame
from cuadre.model.tables import OPEN_ITEMS
from cuadre.model.validate import ReadOptions

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers" / "erp"
UPDATE = os.environ.get("CUADRE_UPDATE_GOLDEN") == "1"

# case -> (input, profile, mapping): text inputs are files in the case folder
CASES: dict[str, tuple[str, str, dict | None]] = {
    "sap_de_csv": ("input.csv", "sap_fbl5n", None),
    "sap_unconverted_txt": ("input.txt", "sap_fbl5n", None),
    "sap_en_tabs": ("input.txt", "sap_fbl5n", None),
    "sap_es_xlsx": ("sap_es_xlsx", "sap_fbl5n", None),
    "microsip_aging_xlsx": ("microsip_aging_xlsx", "microsip", None),
    "microsip_summary_xlsx": ("microsip_summary_xlsx", "microsip", None),
    "oracle_txt": ("input.txt", "oracle_ar", {"currency": "USD"}),
    "odoo_xlsx": ("odoo_xlsx", "odoo", {"currency": "USD"}),
    "erpnext_csv": ("input.csv", "erpnext", None),
    "generic_mapping": ("input.csv", "generic", "mapping.toml"),  # type: ignore[dict-item]
}
DETECTED = {  # the profile detect_profiles must put first
    "sap_de_csv": "sap_fbl5n",
    "sap_unconverted_txt": "sap_fbl5n",
    "sap_en_tabs": "sap_fbl5n",
    "sap_es_xlsx": "sap_fbl5n",
    "microsip_aging_xlsx": "microsip",
    "microsip_summary_xlsx": "microsip",
    "oracle_txt": "oracle_ar",
    "odoo_xlsx": "odoo",
    "erpnext_csv": "erpnext",
    # a Spanish "cartera" export: Microsip's words fit it best; it is imported with a mapping
    "generic_mapping": "microsip",
}


def case_input(case: str) -> tuple[bytes, str]:
    source, _, _ = CASES[case]
    if source.startswith("input"):
        return (GOLDEN / case / source).read_bytes(), source
    return BUILDERS[source](), f"{case}.xlsx"


def case_mapping(case: str) -> dict | None:
    mapping = CASES[case][2]
    if isinstance(mapping, str):
        return tomllib.loads((GOLDEN / case / mapping).read_text("utf-8"))
    return mapping


def run_case(case: str) -> tuple[pd.DataFrame, list[Finding]]:
    data, name = case_input(case)
    return erp.import_erp(data, name, CASES[case][1], mapping=case_mapping(case))


def table_text(df: pd.DataFrame) -> str:
    out = to_csv_frame(df, OPEN_ITEMS)
    out["source_row"] = df["source_row"].astype(str).to_numpy()
    return out.to_csv(index=False, lineterminator="\n")


def findings_text(findings: list[Finding]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["severity", "code", "location", "message"])
    for f in findings:
        w.writerow([f.severity.value, f.code, str(f.location), f.message])
    return buf.getvalue()


def assert_golden_text(text: str, path: Path) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} missing: run with CUADRE_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs (CUADRE_UPDATE_GOLDEN=1)"


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    df, findings = run_case(case)
    assert_golden_text(table_text(df), GOLDEN / case / "expected.csv")
    assert_golden_text(findings_text(findings), GOLDEN / case / "findings.csv")
    assert list(df.columns[: len(OPEN_ITEMS.names)]) == OPEN_ITEMS.names
    assert {"source_path", "source_sheet", "source_row"} <= set(df.columns)


@pytest.mark.parametrize("case", sorted(DETECTED))
def test_detect_picks_the_profile(case: str) -> None:
    data, name = case_input(case)
    matches = erp.detect_profiles(data, name)
    assert matches[0].profile == DETECTED[case], matches
    assert matches[0].score >= erp.DETECT_THRESHOLD
    assert erp.PROFILES[DETECTED[case]].detect(data, name)
    others = [p for p in erp.PROFILES if p != DETECTED[case]]
    assert not any(erp.PROFILES[p].detect(data, name) for p in others)


def test_detect_explains_in_words() -> None:
    data, name = case_input("sap_es_xlsx")
    best = erp.detect_profiles(data, name)[0]
    assert "Cuenta, Sociedad, Asignación, Nº documento, Clase de documento" in best.why
    assert "SAP FBL5N (Spanish)" in best.why
    assert best.header_row == 4


def totals(df: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in df.groupby("currency")["amount_open"].sum().items()}


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --------------------------------------------------------------------------- SAP


def test_sap_german_csv_signs_subtotals_and_cleared_items() -> None:
    df, findings = run_case("sap_de_csv")
    # 1.190,00 - 500,00 (posting key 15, written without minus) - 119,00 + 2.380,00 + 12.345,67
    assert totals(df) == {"EUR": 119000 - 50000 - 11900 + 238000 + 1234567}
    assert df.set_index("document_id")["document_type"].to_dict() == {
        "1800000101": "invoice",
        "1400000055": "payment",
        "1700000012": "credit_note",
        "1800000102": "invoice",
        "1800000103": "invoice",
    }
    assert "1800000077" not in set(df["document_id"])  # cleared by 1400000050
    assert codes(findings).count("TOTAL_ROW") == 3
    assert "SUBTOTAL_MISMATCH" not in codes(findings)
    assert df["customer_name"].iloc[0] == "Müller & Söhne GmbH"  # cp1252 file
    assert list(df["source_row"]) == [2, 3, 4, 7, 8]


def test_sap_unconverted_list_customer_blocks_and_trailing_minus() -> None:
    df, findings = run_case("sap_unconverted_txt")
    assert list(df["customer_id"]) == ["100123", "100123", "100456"]
    assert list(df["customer_name"]) == ["ACME GmbH", "ACME GmbH", "Beta AG"]
    assert list(df["company"]) == ["1000"] * 3
    assert list(df["amount_open"]) == [119000, -50000, 238000]
    assert "HEADER_REPEATED" in codes(findings)
    assert "CLEARED_ITEMS" in codes(findings)  # the @5B@ line


def test_sap_tabs_indicator_special_gl_and_computed_due_dates() -> None:
    df, findings = run_case("sap_en_tabs")
    rows = df.set_index("document_id")
    assert rows.loc["0090001240", "currency"] == "EUR"  # document currency, not local USD
    assert rows.loc["0090001240", "amount_open"] == 98050
    assert str(rows.loc["0090001234", "due_date"].date()) == "2026-10-31"  # 10/01 + 30 (mdy)
    assert rows.loc["0190000001", "document_type"] == "advance"  # special G/L A
    assert rows.loc["0190000001", "amount_open"] == -30000  # H indicator
    assert rows.loc["0090001250", "document_type"] == "credit_note"  # RV negative
    assert "0190000002" not in rows.index  # special G/L F: noted item
    assert "0090001249" not in rows.index  # cleared
    assert "UNKNOWN_DOCUMENT_TYPE" in codes(findings)


def test_sap_spanish_xlsx_wrong_subtotal_is_a_located_warning() -> None:
    df, findings = run_case("sap_es_xlsx")
    bad = [f for f in findings if f.code == "SUBTOTAL_MISMATCH"]
    assert len(bad) == 1
    assert (bad[0].location.row, bad[0].location.column) == (12, 11)
    assert "3,000.00 EUR != the sum of its 3 items 2,920.55 EUR" in bad[0].message
    assert "1900000012" not in set(df["document_id"])


def test_changed_item_amount_is_caught_by_its_subtotal() -> None:
    data, name = case_input("sap_de_csv")
    changed = data.replace(b"12.345,67", b"12.354,67")
    _df, findings = erp.import_erp(changed, name, "sap_fbl5n")
    warned = [f for f in findings if f.code == "SUBTOTAL_MISMATCH"]
    assert [f.location.row for f in warned] == [9, 10]
    assert "difference -9.00 EUR" in warned[0].message


def test_mixed_currency_subtotal_is_not_checked() -> None:
    text = (
        "Account|Document Number|Document Type|Document Date|Amount in doc. curr.|Currency\n"
        "1|9001|DR|01.10.2026|100,00|EUR\n"
        "1|9002|DR|01.10.2026|50,00|USD\n"
        "1||||*|\n"
    )
    df, findings = erp.import_erp(text.encode(), "mixed.txt", "sap_fbl5n")
    assert len(df) == 2
    notes = [f.message for f in findings if f.code == "TOTAL_ROW"]
    assert notes and "not checked" in notes[0]


# --------------------------------------------------------------------------- others


def test_microsip_buckets_and_credits_written_positive() -> None:
    df, findings = run_case("microsip_aging_xlsx")
    assert totals(df) == {"MXN": 1160000 + 580050 - 116000 + 348000 - 200000}
    assert set(df["customer_id"]) == {"C0001", "C0002"}
    assert "SIGN_FROM_TYPE" in codes(findings)
    assert "REPORT_CURRENCY" in codes(findings)


def test_microsip_per_customer_report_says_documents_are_not_available() -> None:
    df, findings = run_case("microsip_summary_xlsx")
    assert df.empty
    assert codes(findings) == ["DOCUMENTS_NOT_AVAILABLE"]
    assert "no document numbers" in findings[0].message


def test_oracle_two_row_header_and_classes() -> None:
    df, findings = run_case("oracle_txt")
    assert list(df["document_type"]) == ["invoice", "invoice", "credit_note", "invoice", "payment"]
    assert set(df["customer_id"]) == {"1608", "1290"}
    assert [f.details.get("as_of") for f in findings if f.code == "REPORT_AS_OF"] == ["2026-10-31"]


def test_oracle_without_currency_is_one_clear_error() -> None:
    data, name = case_input("oracle_txt")
    df, findings = erp.import_erp(data, name, "oracle_ar")
    assert df.empty
    assert [f.code for f in findings if f.is_error] == ["NO_CURRENCY"]


def test_odoo_partner_lines_and_foreign_currency() -> None:
    df, findings = run_case("odoo_xlsx")
    assert totals(df) == {"USD": 150000 - 15000 + 120000 - 30000, "EUR": 50000}
    assert dict(zip(df["document_id"], df["document_type"], strict=True)) == {
        "INV/2026/00012": "invoice",
        "INV/2026/00007": "invoice",
        "RINV/2026/00002": "credit_note",
        "INV/2026/00001": "invoice",
        "BNK1/2026/00044": "payment",
    }
    assert codes(findings).count("TOTAL_ROW") == 3  # two partner lines, the Total line


def test_erpnext_group_by_party_and_buckets() -> None:
    df, findings = run_case("erpnext_csv")
    assert totals(df) == {"INR": 118000 + 39000 - 11800 + 236000 - 50000}
    assert df.set_index("document_id").loc["ACC-SINV-RET-2026-00003", "document_type"] == (
        "credit_note"
    )
    assert "BUCKETS_MISMATCH" not in codes(findings)


def test_erpnext_bucket_mismatch_is_reported() -> None:
    data, name = case_input("erpnext_csv")
    changed = data.replace(b"1180.0,16,1180.0", b"1180.0,16,1108.0", 1)
    _, findings = erp.import_erp(changed, name, "erpnext")
    bad = [f for f in findings if f.code == "BUCKETS_MISMATCH"]
    assert [f.location.row for f in bad] == [2]


def test_generic_mapping_file() -> None:
    df, findings = run_case("generic_mapping")
    assert totals(df) == {"MXN": 1160000 - 116000 + 522050 - 200000, "USD": 100000}
    assert df["fiscal_uuid"].iloc[0] == "6d7434a6-1b2c-4d5e-8f90-123456789abc"
    assert not [f for f in findings if f.is_error]


def test_generic_mapping_names_a_missing_column() -> None:
    data, name = case_input("generic_mapping")
    mapping = {"columns": {"document_id": "Folio", "amount_open": "Importe"}}
    df, findings = erp.import_erp(data, name, "generic", mapping=mapping)
    assert df.empty
    assert codes(findings) == ["MAPPED_COLUMN_NOT_FOUND"]
    assert "amount_open" in findings[0].message


def test_load_mapping_reports_every_problem() -> None:
    text = b'currency = "XXY"\nfoo = 1\n[columns]\nbogus = "A"\n[sign]\nmode = "up"\n'
    mapping, findings = generic_erp.load_mapping(text, "m.toml")
    assert mapping is None
    assert len(findings) == 4 and all(f.code == "BAD_MAPPING" for f in findings)
    mapping, findings = generic_erp.load_mapping(b"[columns\n", "m.toml")
    assert mapping is None and findings[0].location.row == 1
    mapping, findings = generic_erp.load_mapping(
        (GOLDEN / "generic_mapping" / "mapping.toml").read_bytes(), "mapping.toml"
    )
    assert mapping is not None and not findings


def test_options_override_the_mapping() -> None:
    data, name = case_input("generic_mapping")
    mapping = case_mapping("generic_mapping")
    df, _ = erp.import_erp(
        data, name, "generic", mapping=mapping, options=ReadOptions(date_order="mdy")
    )
    assert df["document_date"].isna().sum() > 0  # 15/10/2026 is not a month/day date


# --------------------------------------------------------------------------- broken input


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"PK\x03\x04 not really a zip", "BAD_WORKBOOK"),
        (
            b"MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n\r\n<html>",
            "UNSUPPORTED_SPREADSHEET",
        ),
        (b"hello\nworld\n", "NO_HEADER"),
    ],
)
def test_unreadable_files_are_findings(data: bytes, code: str) -> None:
    for profile in erp.PROFILES:
        df, findings = erp.import_erp(data, "f.xls", profile)
        assert df.empty and code in codes(findings), (profile, findings)
    assert erp.detect_profiles(data, "f.xls") == []


def test_every_profile_loads_and_has_a_module() -> None:
    for name in erp.PROFILE_NAMES:
        profile = erp.load_profile(name)
        module = erp.PROFILES[name]
        assert name == module.FORMAT and module.__doc__
        assert profile.labels and profile.core


def test_unknown_profile_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="unknown ERP profile"):
        erp.import_erp(b"x", "x", "sage")


# --------------------------------------------------------------------------- workbook inputs
# (built here with openpyxl; the text inputs are files in tests/golden/importers/erp/<case>/)

D = dt.datetime


def workbook(rows: list[list[object]], sheet: str = "Sheet1", number_format: str = "") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    if number_format:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, float | int) and not isinstance(cell.value, bool):
                    cell.number_format = number_format
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "dd.mm.yyyy"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sap_es_xlsx() -> bytes:
    """FBL5N Spreadsheet export, Spanish long labels, title rows, ALV subtotals (one of
    them wrong), document and local currency, special G/L A and F."""
    header = [
        "St", "Cuenta", "Sociedad", "Asignación", "Nº documento", "Clase de documento",
        "Fecha de documento", "Vencimiento neto", "Importe en moneda doc.",
        "Moneda del documento", "Importe en moneda local", "Moneda local",
        "Indicador CME", "Texto",
    ]  # fmt: skip
    return workbook(
        [
            ["Partidas individuales de deudores"],
            ["Sociedad 2000 - Comercial Ibérica SA", None, None, "Fecha clave: 31.10.2026"],
            [],
            header,
            ["@5C@", "4001", "2000", "PED-1", "1800004711", "RV", D(2026, 10, 1),
             D(2026, 10, 31), 1210.0, "EUR", 1210.0, "EUR", "", "Factura 4711"],
            ["@5C@", "4001", "2000", "PED-1", "1700000090", "DG", D(2026, 10, 10),
             D(2026, 10, 10), -121.0, "EUR", -121.0, "EUR", "", "Abono"],
            ["@5C@", "4001", "2000", "", "1800004800", "DR", D(2026, 10, 12),
             D(2026, 11, 11), 500.0, "USD", 463.5, "EUR", "", "Factura USD"],
            ["", "4001", "", "", "", "", None, None, None, "", 1552.5, "EUR", "", ""],
            ["@5C@", "4002", "2000", "", "1900000011", "DA", D(2026, 10, 15),
             D(2026, 10, 15), -300.0, "EUR", -300.0, "EUR", "A", "Anticipo"],
            ["@5C@", "4002", "2000", "", "1900000012", "DA", D(2026, 10, 16),
             D(2026, 10, 16), 800.0, "EUR", 800.0, "EUR", "F", "Solicitud anticipo"],
            ["@5C@", "4002", "2000", "", "1800004900", "RV", D(2026, 10, 20),
             D(2026, 11, 19), 2420.55, "EUR", 2420.55, "EUR", "", ""],
            ["", "4002", "", "", "", "", None, None, None, "", 3000.0, "EUR", "", ""],
            ["", "", "", "", "", "", None, None, None, "", 4473.05, "EUR", "", ""],
        ]
    )  # fmt: skip


def microsip_aging_xlsx() -> bytes:
    """Antigüedad de saldos by document: customer lines, buckets, credits positive."""
    header = ["Concepto", "Folio", "Fecha", "Vencimiento", "Días", "Por vencer", "1-30",
              "31-60", "61-90", "Más de 90"]  # fmt: skip
    return workbook(
        [
            ["DISTRIBUIDORA DEL BAJÍO SA DE CV"],
            ["Antigüedad de saldos de clientes"],
            ["Al 31/10/2026", None, None, "Moneda: MXN"],
            header,
            ["C0001 ABARROTES LA ESPERANZA SA DE CV"],
            ["Factura", "A-1001", "03/10/2026", "02/11/2026", -2, 11600.0, None, None, None, None],
            ["Factura", "A-0950", "15/08/2026", "14/09/2026", 47, None, None, 5800.5, None, None],
            ["Nota de crédito", "NC-17", "15/10/2026", "15/10/2026", 16, None, 1160.0, None,
             None, None],
            ["Total cliente", None, None, None, None, 11600.0, -1160.0, 5800.5, None, None],
            ["C0002 FERRETERIA DIAZ"],
            ["Factura", "A-0800", "10/06/2026", "10/07/2026", 113, None, None, None, None, 3480.0],
            ["Cobro", "P-88", "25/10/2026", "25/10/2026", 6, None, 2000.0, None, None, None],
            ["Total cliente", None, None, None, None, None, -2000.0, None, None, 3480.0],
            ["Total general", None, None, None, None, 11600.0, -3160.0, 5800.5, None, 3480.0],
        ]
    )  # fmt: skip


def microsip_summary_xlsx() -> bytes:
    """The same report per customer only: no documents."""
    return workbook(
        [
            ["Antigüedad de saldos de clientes (resumen)"],
            ["Clave cliente", "Nombre", "Saldo", "Por vencer", "1-30", "31-60", "Más de 90"],
            ["C0001", "ABARROTES LA ESPERANZA", 16240.5, 11600.0, -1160.0, 5800.5, None],
            ["C0002", "FERRETERIA DIAZ", 1480.0, None, -2000.0, None, 3480.0],
        ]
    )  # fmt: skip


def odoo_xlsx() -> bytes:
    """Aged Receivable (Odoo 16/17): partner lines above their move lines, a foreign-
    currency line, the final Total line; company currency not named."""
    header = ["", "Invoice Date", "Due Date", "Amount Currency", "Currency", "Account",
              "At Date", "1-30", "31-60", "61-90", "91-120", "Older", "Total"]  # fmt: skip
    return workbook(
        [
            ["My Company (San Francisco)"],
            ["Aged Receivable"],
            ["As of 10/31/2026"],
            [],
            header,
            ["Azure Interior", None, None, None, None, None, 1500.0, 400.0, None, None, None,
             None, 1900.0],
            ["INV/2026/00012", D(2026, 10, 5), D(2026, 11, 4), None, None, "121000", 1500.0,
             None, None, None, None, None, 1500.0],
            ["INV/2026/00007", D(2026, 9, 10), D(2026, 10, 10), 500.0, "EUR", "121000", None,
             550.0, None, None, None, None, 550.0],
            ["RINV/2026/00002", D(2026, 10, 12), D(2026, 10, 12), None, None, "121000", None,
             -150.0, None, None, None, None, -150.0],
            ["Deco Addict", None, None, None, None, None, -300.0, None, None, None, None, 1200.0,
             900.0],
            ["INV/2026/00001", D(2026, 5, 2), D(2026, 6, 1), None, None, "121000", None, None,
             None, None, None, 1200.0, 1200.0],
            ["BNK1/2026/00044", D(2026, 10, 30), D(2026, 10, 30), None, None, "121000", -300.0,
             None, None, None, None, None, -300.0],
            ["Total", None, None, None, None, None, 1200.0, 400.0, None, None, None, 1200.0,
             2800.0],
        ]
    )  # fmt: skip


BUILDERS = {
    "sap_es_xlsx": sap_es_xlsx,
    "microsip_aging_xlsx": microsip_aging_xlsx,
    "microsip_summary_xlsx": microsip_summary_xlsx,
    "odoo_xlsx": odoo_xlsx,
}


# --------------------------------------------------------------------------- typed cells
# Workbook doubles and dates reach coerce_table typed (Int64 units, datetime64) when no
# cell of the column needs coerce_table's own reading and report; else as text.


def _fbl5n(rows: list[list[object]]) -> bytes:
    header = ["Account", "Document Number", "Document Type", "Document Date", "Net due date",
              "Amount in document currency", "Document currency"]  # fmt: skip
    return workbook([header, *rows])


def test_workbook_doubles_and_dates_import_exactly() -> None:
    df, findings = erp.import_erp(
        _fbl5n(
            [
                ["1", "9001", "RV", D(2026, 10, 1), D(2026, 10, 31, 13, 5), 0.3, "EUR"],
                ["1", "9002", "DG", D(2026, 10, 2), None, -1234567.89, "EUR"],
                ["1", "9003", "RV", D(2026, 10, 3), D(2026, 11, 2), 1.005, "KWD"],
            ]
        ),
        "f.xlsx",
        "sap_fbl5n",
    )
    assert not [f for f in findings if f.is_error], findings
    assert list(df["amount_open"]) == [30, -123456789, 1005]
    assert list(df["due_date"].dt.strftime("%Y-%m-%d").fillna("")) == [
        "2026-10-31",
        "",
        "2026-11-02",
    ]
    assert str(df["document_date"].dtype) == "datetime64[ns]"
    assert str(df["amount_open"].dtype) == "Int64"


def test_workbook_cells_that_need_a_report_are_still_reported() -> None:
    df, findings = erp.import_erp(
        _fbl5n(
            [
                ["1", "9001", "RV", D(2026, 10, 1), "31.10.2026", 10.0, "EUR"],
                ["1", "9002", "RV", D(2026, 10, 2), "not a date", "ten", "EUR"],
                ["1", "9003", "RV", D(2026, 10, 3), D(2026, 11, 2), 1.005, "EUR"],
            ]
        ),
        "f.xlsx",
        "sap_fbl5n",
    )
    found = {(f.code, f.location.row) for f in findings}
    assert ("NOT_A_NUMBER", 3) in found and ("NOT_A_DATE", 3) in found
    assert ("ROUNDED", 4) in found  # 1.005 EUR: half up to 1.01
    rows = df.set_index("document_id")
    assert rows.loc["9001", "due_date"] == pd.Timestamp("2026-10-31")  # text date, read
    assert rows.loc["9003", "amount_open"] == 101


def test_unit_cells_typed_only_when_nothing_is_left_to_report() -> None:
    units = np.array([100, -5, 0])
    cur = np.array(["EUR", "EUR", "EUR"], dtype=object)
    clean = erp._unit_cells(
        units, np.array([False, False, True]), np.array([1.0, -0.05, ""], dtype=object), cur
    )
    assert str(clean.dtype) == "Int64" and list(pd.array(clean).fillna(-1)) == [100, -5, -1]
    bad = erp._unit_cells(
        units, np.array([False, False, True]), np.array([1.0, -0.05, "x"], dtype=object), cur
    )
    assert list(bad) == ["1.00", "-0.05", "x"]
    dates = erp._date_cells(np.array([D(2026, 1, 2, 10, 0), "", None], dtype=object))
    assert dates.dtype.kind == "M" and str(dates[0]) == "2026-01-02T00:00:00.000000000"
    mixed = erp._date_cells(np.array([D(2026, 1, 2), "03.01.2026"], dtype=object))
    assert list(mixed) == ["2026-01-02", "03.01.2026"]
