"""FBL5N "all items" exports: cleared items kept as document history (import_erp_history)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cuadre.aging_history import aging_as_of, build_ledger, history_from_tables
from cuadre.importers.erp import import_erp, import_erp_history

# An FBL5N "all items" export as a German GUI saves it (semicolons, decimal comma,
# dd.mm.yyyy): two open items, an invoice cleared by a payment on 20.10., the payment
# itself (cleared by the same document), a noted down-payment request (special G/L F)
# and the ALV total.
ALL_ITEMS = """\
Konto;Belegnummer;Belegart;Belegdatum;Nettofälligkeit;Betrag in Hauswährung;Hauswährung;SHBKz;Ausgleichsbeleg;Ausgleichsdatum
100123;1800000101;RV;01.10.2026;31.10.2026;1.190,00;EUR;;;
100123;1800000077;RV;01.09.2026;01.10.2026;238,00;EUR;;1400000050;20.10.2026
100123;1400000050;DZ;20.10.2026;20.10.2026;-238,00;EUR;;1400000050;20.10.2026
100123;1900000001;DA;02.10.2026;02.10.2026;500,00;EUR;F;;
100456;1700000012;DG;20.10.2026;20.10.2026;-119,00;EUR;;;
;;;;;1.071,00;EUR;;;
""".encode()


def test_cleared_items_come_back_as_history() -> None:
    open_items, cleared, findings = import_erp_history(ALL_ITEMS, "fbl5n.csv", "sap_fbl5n")
    assert sorted(open_items["document_id"]) == ["1700000012", "1800000101"]
    assert not [f for f in findings if f.is_error]
    assert "CLEARED_ITEMS" in {f.code for f in findings}
    by_doc = cleared.set_index("document_id")
    assert sorted(by_doc.index) == ["1400000050", "1800000077"]  # not the noted item
    assert by_doc.loc["1800000077", "amount_original"] == 23800
    assert by_doc.loc["1400000050", "amount_original"] == -23800
    assert (cleared["amount_open"] == 0).all()
    assert set(by_doc["clearing_document"]) == {"1400000050"}
    assert (cleared["clearing_date"] == pd.Timestamp("2026-10-20")).all()
    assert cleared["source_row"].tolist() == [3, 4]  # provenance: the file's rows
    assert cleared["document_type"].tolist() == ["invoice", "payment"]


def test_the_open_table_is_what_import_erp_gives() -> None:
    open_items, _cleared, findings = import_erp_history(ALL_ITEMS, "fbl5n.csv", "sap_fbl5n")
    alone, alone_findings = import_erp(ALL_ITEMS, "fbl5n.csv", "sap_fbl5n")
    pd.testing.assert_frame_equal(open_items, alone)
    assert [f.code for f in findings] == [f.code for f in alone_findings]


def test_history_rebuilds_the_aging_before_the_clearing() -> None:
    """As of 15.10. the invoice cleared on 20.10. was still open and overdue."""
    open_items, cleared, _ = import_erp_history(ALL_ITEMS, "fbl5n.csv", "sap_fbl5n")
    ledger, problems = build_ledger(history_from_tables(open_items, cleared))
    assert not [f for f in problems if f.is_error]
    before, _ = aging_as_of(ledger, dt.date(2026, 10, 15))
    after, _ = aging_as_of(ledger, dt.date(2026, 10, 31))
    first = before.set_index("customer_id").loc["100123"]
    assert first["total"] == 119000 + 23800
    assert first["1-30"] == 23800  # due 01.10., 14 days late
    assert after.set_index("customer_id").loc["100123", "total"] == 119000


def test_an_export_without_cleared_items_gives_an_empty_history() -> None:
    lines = ALL_ITEMS.decode().splitlines()
    only_open = "\n".join(ln for ln in lines if "1400000050" not in ln).encode()
    open_items, cleared, _ = import_erp_history(only_open, "fbl5n.csv", "sap_fbl5n")
    assert len(open_items) == 2 and cleared.empty
    assert {"clearing_document", "clearing_date", "amount_original"} <= set(cleared.columns)


def test_unreadable_file_is_a_finding_not_a_traceback() -> None:
    open_items, cleared, findings = import_erp_history(b"\x00\x01", "x.csv", "sap_fbl5n")
    assert open_items.empty and cleared.empty
    assert any(f.is_error for f in findings)
