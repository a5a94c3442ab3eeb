"""Reading any file Cuadre knows, by its content: :mod:`cuadre.importers.auto` (no Excel)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cuadre.importers.auto import SOURCE_FILE, SOURCE_LINE, detect_kind, import_files

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers"
CAMT = GOLDEN / "camt" / "hand_camt053_v08" / "input.xml"
SAP = GOLDEN / "erp" / "sap_de_csv" / "input.csv"
CFDI_INVOICE = GOLDEN / "cfdi" / "cfdi33_pagos10" / "invoice_usd.xml"


def test_detection_is_by_content_not_by_name(tmp_path: Path) -> None:
    renamed = tmp_path / "statement.csv"  # a camt.053 under a misleading name
    shutil.copyfile(CAMT, renamed)
    kind, why = detect_kind(renamed.read_bytes(), str(renamed))
    assert kind == "bank" and "camt" in why
    assert detect_kind(CFDI_INVOICE.read_bytes(), "x.txt")[0] == "fiscal"
    assert detect_kind(CAMT.read_bytes(), str(CAMT), "erp") == (None, "")  # the button limits it


def test_each_file_lands_in_its_table_with_its_source(tmp_path: Path) -> None:
    batch = import_files([CAMT, SAP, CFDI_INVOICE])
    assert batch.kinds == {str(CAMT): "bank", str(SAP): "erp", str(CFDI_INVOICE): "fiscal"}
    assert not batch.failed and not [f for f in batch.findings if f.is_error]
    assert set(batch.tables) == {
        "bank_lines",
        "statements",
        "open_items",
        "fiscal_docs",
        "payment_complements",
    }
    oi = batch.tables["open_items"]
    assert len(oi) and set(oi[SOURCE_FILE]) == {str(SAP)} and oi[SOURCE_LINE].notna().all()
    assert set(batch.tables["bank_lines"][SOURCE_FILE]) == {str(CAMT)}


def test_a_file_with_an_error_gives_no_rows_and_holds_back_no_other(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(CAMT.read_bytes().replace(b"</Document>", b""))
    missing = tmp_path / "gone.csv"
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello", encoding="utf-8")
    batch = import_files([broken, SAP, missing, unknown])
    codes = {f.location.file: f.code for f in batch.findings if f.is_error}
    assert codes[str(missing)] == "FILE_NOT_READABLE"
    assert codes[str(unknown)] == "UNKNOWN_FORMAT"
    assert str(broken) in batch.failed and str(SAP) not in batch.failed
    assert not len(batch.tables.get("bank_lines", []))
    assert len(batch.tables["open_items"])
