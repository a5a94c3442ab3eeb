"""ERP import on the public samples, and fuzzing: corrupt input gives findings, never a
traceback, and a changed amount never passes its subtotal silently.

What the samples are (shared/realdata/SOURCES.md):
- ar_tabular/WA_Fn-UseC_-Accounts-Receivable*.csv: IBM's "accounts receivable" sample
  (invoice history: customerID, invoiceNumber, InvoiceDate, DueDate, InvoiceAmount,
  SettledDate...). Detected as the generic profile; every invoice has a SettledDate, so
  as open items they are all cleared (reported); read as an invoice list with the
  clearing column switched off it imports every row, US m/d/yyyy dates, no currency
  column (the mapping gives USD).
- erp_exports/OCA_*: a PayPal activity statement and a Caisse d'Epargne bank statement,
  filed by their source as "ERP importer" fixtures but bank/processor statements, not
  receivables: no ERP profile claims them (they belong to ``cuadre import bank``), and
  importing them as ERP exports gives findings, never a wrong table without errors.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuadre.importers import erp

IBM = [
    "ar_tabular/WA_Fn-UseC_-Accounts-Receivable.HEAD-177rows.csv",
    "ar_tabular/pthiagu2-datamining/WA_Fn-UseC_-Accounts-Receivable.csv",
]
NOT_AR = [
    "erp_exports/OCA_paypal_statement_en.csv",
    "erp_exports/OCA_caisse_epargne_test_statement_import_version_D.csv",
]
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers" / "erp"


@pytest.mark.realdata
@pytest.mark.parametrize("name", IBM)
def test_ibm_sample_is_generic_and_fully_settled(realdata: Path, name: str) -> None:
    path = realdata / name
    data = path.read_bytes()
    best = erp.best_profile(data, path.name)
    assert best is not None and best.profile == "generic", erp.detect_profiles(data, path.name)
    assert "customerID, invoiceNumber, InvoiceDate, DueDate, InvoiceAmount" in best.why
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    df, findings = erp.import_erp(data, str(path), "generic", mapping={"currency": "USD"})
    assert df.empty and not [f for f in findings if f.is_error]
    cleared = [f for f in findings if f.code == "CLEARED_ITEMS"]
    assert cleared and cleared[0].message.startswith(f"{len(rows):,} items are cleared")


@pytest.mark.realdata
@pytest.mark.parametrize("name", IBM)
def test_ibm_sample_as_an_invoice_list(realdata: Path, name: str) -> None:
    path = realdata / name
    mapping = {"currency": "USD", "columns": {"clearing_date": ""}}
    df, findings = erp.import_erp(path.read_bytes(), str(path), "generic", mapping=mapping)
    assert not [f for f in findings if f.is_error], [str(f) for f in findings if f.is_error]
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(df) == len(rows)
    expected = sum(Decimal(r["InvoiceAmount"]) for r in rows)
    assert int(df["amount_open"].sum()) == int(expected * 100)
    assert list(df["document_id"][:2]) == [rows[0]["invoiceNumber"], rows[1]["invoiceNumber"]]
    assert df["document_id"].iloc[0].startswith("0000")  # leading zeros kept
    first = df.iloc[0]
    assert (first["document_date"].month, first["document_date"].day) == (1, 2)  # 1/2/2013
    assert set(df["document_type"]) == {"invoice"}
    assert list(df["source_row"][:2]) == [2, 3]


@pytest.mark.realdata
@pytest.mark.parametrize("name", NOT_AR)
def test_bank_statements_are_not_taken_for_erp_exports(realdata: Path, name: str) -> None:
    path = realdata / name
    data = path.read_bytes()
    assert erp.best_profile(data, path.name) is None, erp.detect_profiles(data, path.name)
    for profile in erp.PROFILES:
        df, findings = erp.import_erp(data, str(path), profile)
        assert [f for f in findings if f.is_error], (profile, len(df))


# --------------------------------------------------------------------------- fuzzing

SAMPLES = [
    (GOLDEN / "sap_de_csv" / "input.csv", "sap_fbl5n"),
    (GOLDEN / "sap_unconverted_txt" / "input.txt", "sap_fbl5n"),
    (GOLDEN / "erpnext_csv" / "input.csv", "erpnext"),
    (GOLDEN / "oracle_txt" / "input.txt", "oracle_ar"),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(SAMPLES),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=6),
)
def test_corrupt_exports_give_findings_not_tracebacks(
    sample: tuple[Path, str], cut: float, flips: list[tuple[float, int]]
) -> None:
    path, profile = sample
    data = bytearray(path.read_bytes())
    for where, byte in flips:
        data[int(where * (len(data) - 1))] = byte
    data = data[: max(1, int(cut * len(data)))] if cut < 0.98 else data
    _df, findings = erp.import_erp(bytes(data), path.name, profile)
    assert not [f for f in findings if f.code == "IMPORT_FAILED"], findings
    erp.detect_profiles(bytes(data), path.name)


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 4), digit=st.integers(1, 9))
def test_a_changed_amount_never_passes_its_subtotal(row: int, digit: int) -> None:
    path = GOLDEN / "sap_unconverted_txt" / "input.txt"
    lines = path.read_text("utf-8").splitlines()
    items = [i for i, ln in enumerate(lines) if ln.startswith("| @5C@")]
    i = items[row % len(items)]
    cells = lines[i].split("|")
    amount = cells[6]
    changed = amount.replace(amount.strip()[0], str(digit), 1)
    if changed == amount:
        return
    cells[6] = changed
    lines[i] = "|".join(cells)
    _df, findings = erp.import_erp("\n".join(lines).encode(), path.name, "sap_fbl5n")
    assert {"SUBTOTAL_MISMATCH"} & {f.code for f in findings}, changed
