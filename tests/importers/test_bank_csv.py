"""Bank CSV importer: golden cases in the banks' own notation (Mexico, Spain, US,
Colombia), the realdata exports, sign conventions, running balances, fuzzing.

Golden cases live in ``tests/golden/importers/bank_csv/<case>/``: ``input.csv`` (hand-
written cases only; realdata files are read from ``../shared/realdata``) and the expected
``bank_lines.csv``, ``statements.csv`` and ``findings.csv``. ``CUADRE_UPDATE_GOLDEN=1``
rewrites them on purpose.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.findings import Severity, findings_frame
from cuadre.importers import bai2, bank_csv, ofx
from cuadre.importers.bank import read_bank_bytes
from cuadre.model.tables import BANK_LINES, STATEMENTS
from golden_util import assert_golden_table

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers" / "bank_csv"
UPDATE = os.environ.get("CUADRE_UPDATE_GOLDEN") == "1"
HAND_CASES = sorted(p.parent.name for p in GOLDEN.glob("*/input.csv"))
REALDATA = {
    "realdata_caisse_epargne": "erp_exports/OCA_caisse_epargne_test_statement_import_version_D.csv",
    "realdata_paypal": "erp_exports/OCA_paypal_statement_en.csv",
}


def assert_golden_import(data: bytes, source: str, case: str) -> None:
    result = read_bank_bytes(data, source)
    assert result.format == "bank_csv"
    assert_golden_table(result.bank_lines, BANK_LINES, GOLDEN / case / "bank_lines.csv")
    assert_golden_table(result.statements, STATEMENTS, GOLDEN / case / "statements.csv")
    assert_golden_table(findings_frame(result.findings), None, GOLDEN / case / "findings.csv")


def read(text: str, **kw: str) -> bank_csv.BankImport:
    return bank_csv.read(text.encode("utf-8"), "movs.csv", **kw)


def codes(result: bank_csv.BankImport) -> list[str]:
    return [f.code for f in result.findings]


def warnings_or_worse(result: bank_csv.BankImport) -> list[str]:
    return [f.code for f in result.findings if f.severity in (Severity.ERROR, Severity.WARNING)]


@pytest.mark.parametrize("case", HAND_CASES)
def test_hand_written_golden(case: str) -> None:
    assert_golden_import((GOLDEN / case / "input.csv").read_bytes(), "input.csv", case)


@pytest.mark.realdata
@pytest.mark.parametrize("case", sorted(REALDATA))
def test_realdata_golden(realdata: Path, case: str) -> None:
    path = realdata / REALDATA[case]
    assert_golden_import(path.read_bytes(), path.name, case)


@pytest.mark.realdata
@pytest.mark.parametrize("case", sorted(REALDATA))
def test_realdata_imports_without_errors(realdata: Path, case: str) -> None:
    result = read_bank_bytes((realdata / REALDATA[case]).read_bytes(), "x.csv")
    assert not [f for f in result.findings if f.is_error]
    assert "STATEMENT_NOT_BALANCED" not in codes(result)
    assert "RUNNING_BALANCE" not in codes(result)
    assert result.bank_lines["line_id"].is_unique


def test_paypal_gives_one_balanced_statement_per_currency(realdata: Path) -> None:
    result = bank_csv.read((realdata / REALDATA["realdata_paypal"]).read_bytes(), "p.csv")
    st_ = result.statements.set_index("currency")
    assert sorted(st_.index) == ["EUR", "USD"]
    lines = result.bank_lines
    for cur in ("EUR", "USD"):
        moved = int(lines.loc[lines["currency"].eq(cur), "amount"].sum())
        assert int(st_.loc[cur, "opening_balance"]) + moved == st_.loc[cur, "closing_balance"]
    assert st_.loc["USD", "closing_balance"] == 28119  # the last USD Balance, 281.19
    # Net (what reached the balance), not Gross
    assert lines.loc[lines["bank_reference"].eq("TID9"), "amount"].item() == 126104


# --------------------------------------------------------------------------- conventions


def test_newest_first_export_is_read_in_time_order() -> None:
    result = bank_csv.read((GOLDEN / "mx_bbva_newest_first" / "input.csv").read_bytes(), "x")
    st_ = result.statements.iloc[0]
    assert (st_["opening_balance"], st_["closing_balance"]) == (4500580, 6126594)
    assert st_["account"] == "0123456789" and st_["currency"] == "MXN"  # from title rows
    assert result.bank_lines["booking_date"].is_monotonic_increasing
    assert "RUNNING_BALANCE" not in codes(result)


def test_single_signed_amount_with_decimal_comma() -> None:
    result = read(
        "Fecha;Concepto;Importe;Moneda\n31/01/2026;Cobro;1.234,56;EUR\n01/02/2026;Pago;-20,00;EUR\n"
    )
    assert result.bank_lines["amount"].tolist() == [123456, -2000]
    assert not [c for c in warnings_or_worse(result)]


def test_debit_column_with_minus_signs_is_money_out() -> None:
    result = read(
        "Date;Libelle;Debit;Credit;Devise\n02/05/2026;A;-500,00;;EUR\n03/05/2026;B;;+1500,75;EUR\n"
    )
    assert result.bank_lines["amount"].tolist() == [-50000, 150075]


def test_cargo_abono_indicator_reads_c_as_cargo() -> None:
    result = read(
        "Fecha,Importe,C/A,Moneda\n13/01/2026,100.00,C,MXN\n14/01/2026,250.00,A,MXN\n".replace(
            "C/A", "Cargo/Abono"
        )
    )
    assert result.bank_lines["amount"].tolist() == [-10000, 25000]


def test_dc_indicator_reads_c_as_credit() -> None:
    result = read("Date,Amount,D/C,Currency\n01/13/2026,100.00,D,USD\n01/14/2026,250.00,C,USD\n")
    assert result.bank_lines["amount"].tolist() == [-10000, 25000]


def test_type_column_that_is_not_an_indicator_is_the_type_code() -> None:
    result = read("Date,Amount,Type,Currency\n2026-01-13,-100.00,ACH_DEBIT,USD\n")
    assert result.bank_lines["type_code"].tolist() == ["ACH_DEBIT"]
    assert result.bank_lines["amount"].tolist() == [-10000]


def test_month_first_dates_are_detected() -> None:
    result = read(
        "Date,Description,Amount,Currency\n01/13/2026,A,1.00,USD\n02/03/2026,B,2.00,USD\n"
    )
    assert result.bank_lines["booking_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-01-13",
        "2026-02-03",
    ]
    assert "AMBIGUOUS_DATE_ORDER" not in codes(result)


def test_ambiguous_dates_are_read_day_first_and_reported() -> None:
    result = read("Fecha,Concepto,Importe,Moneda\n02/03/2026,A,1.00,MXN\n")
    assert result.bank_lines["booking_date"].iloc[0] == pd.Timestamp("2026-03-02")
    assert "AMBIGUOUS_DATE_ORDER" in codes(result)


def test_currency_given_by_the_caller_and_from_the_euro_sign() -> None:
    assert read("Fecha,Importe\n13/01/2026,5.00\n", currency="MXN").bank_lines[
        "currency"
    ].tolist() == ["MXN"]
    assert read("Fecha;Importe\n13/01/2026;5,00 €\n").bank_lines["currency"].tolist() == ["EUR"]


def test_running_balance_break_is_reported_at_its_row() -> None:
    result = bank_csv.read((GOLDEN / "co_debito_credito_break" / "input.csv").read_bytes(), "x")
    found = [f for f in result.findings if f.code == "RUNNING_BALANCE"]
    assert len(found) == 1 and found[0].location.row == 6 and found[0].location.column == 6


def test_rows_with_errors_are_located_and_left_out() -> None:
    result = bank_csv.read((GOLDEN / "bad_rows" / "input.csv").read_bytes(), "x")
    errors = sorted((f.code, f.location.row) for f in result.findings if f.is_error)
    assert errors == [
        ("NOT_A_DATE", 3),
        ("NOT_A_DATE", 6),
        ("NOT_A_NUMBER", 4),
        ("UNKNOWN_CURRENCY", 5),
    ]
    assert result.bank_lines["remittance"].tolist() == ["GOOD"]


def test_no_header_is_an_error() -> None:
    result = read("hello\nworld\n")
    assert codes(result) == ["NO_HEADER"]


def test_reimport_gives_the_same_ids() -> None:
    data = (GOLDEN / "es_santander_saldo_inicial" / "input.csv").read_bytes()
    assert (
        bank_csv.read(data, "a").bank_lines["line_id"].tolist()
        == bank_csv.read(data, "b").bank_lines["line_id"].tolist()
    )


# --------------------------------------------------------------------------- detection


def test_detect_needs_a_date_and_an_amount_column() -> None:
    assert bank_csv.detect(b"Title\n\nFecha;Concepto;Cargo;Abono\n", "x")
    assert not bank_csv.detect(b"Fecha;Concepto;Cargo\n", "x")  # debit without credit
    assert not bank_csv.detect(b"customer_id,document_date,amount_open\n", "x")
    assert not bank_csv.detect(b"\x00\x01\x02", "x")


def test_detect_leaves_other_formats_alone(realdata: Path) -> None:
    for folder in ("bai2", "ofx", "mt940", "camt", "cfdi", "ar_tabular"):
        for path in (realdata / folder).rglob("*.*"):
            assert not bank_csv.detect(path.read_bytes(), path.name), path.name
    for path in list(GOLDEN.glob("*/input.csv")) + [realdata / p for p in REALDATA.values()]:
        data = path.read_bytes()
        assert bank_csv.detect(data, "x"), path
        assert not bai2.detect(data, "x") and not ofx.detect(data, "x"), path


# --------------------------------------------------------------------------- corruption


def test_a_changed_amount_is_caught(realdata: Path) -> None:
    text = (realdata / REALDATA["realdata_paypal"]).read_text()
    changed = text.replace('"3,698.20","3,699.13"', '"3,689.20","3,699.13"', 1)
    assert changed != text
    result = read_bank_bytes(changed.encode(), "x.csv")
    assert {"RUNNING_BALANCE", "STATEMENT_NOT_BALANCED"} <= set(warnings_or_worse(result))


SAMPLES = [
    GOLDEN / "mx_bbva_newest_first" / "input.csv",
    GOLDEN / "es_santander_saldo_inicial" / "input.csv",
    GOLDEN / "us_dr_cr_indicator" / "input.csv",
    GOLDEN / "co_debito_credito_break" / "input.csv",
]
# Its SALDO INICIAL row anchors the running balance, so every movement is checked. Without
# such a row the opening is derived from the first movement (first balance - its amount),
# and that one movement cannot be verified by any balance.
ANCHORED = GOLDEN / "es_santander_saldo_inicial" / "input.csv"


@functools.cache
def amounts_of(data: bytes) -> list[int]:
    return bank_csv.read(data, "x").bank_lines["amount"].astype(int).tolist()


def damage(data: bytes, position: int, byte: int, cut: bool) -> bytes:
    position %= len(data)
    return data[:position] if cut else data[:position] + bytes([byte]) + data[position + 1 :]


@settings(max_examples=30, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    position=st.integers(min_value=0),
    byte=st.integers(min_value=0, max_value=255),
    cut=st.booleans(),
)
def test_corruption_never_raises(sample: Path, position: int, byte: int, cut: bool) -> None:
    result = read_bank_bytes(damage(sample.read_bytes(), position, byte, cut), "x.csv")
    assert not any(f.code == "IMPORT_FAILED" for f in result.findings)
    assert list(result.bank_lines.columns[: len(BANK_LINES.names)]) == BANK_LINES.names
    assert result.bank_lines["line_id"].is_unique


@settings(max_examples=60, deadline=None)
@given(
    position=st.integers(min_value=0),
    byte=st.sampled_from(b'0123456789,;.-\t"\n x'),
    cut=st.booleans(),
)
def test_a_damaged_anchored_statement_never_changes_the_total_silently(
    position: int, byte: int, cut: bool
) -> None:
    original = ANCHORED.read_bytes()
    result = read_bank_bytes(damage(original, position, byte, cut), "x.csv")
    before, after = amounts_of(original), result.bank_lines["amount"].astype(int).tolist()
    # a cut file is a shorter export: its movements must be the first ones, unchanged
    if after != (before[: len(after)] if cut else before):
        assert warnings_or_worse(result), "a changed total went unreported"


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = bank_csv.read(b"Fecha;Concepto;Importe;Saldo\n" + data, "x")
    assert isinstance(result.findings, list)
    bank_csv.detect(data, "x")
