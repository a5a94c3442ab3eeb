"""The reconciliation sheets (cuadre.workbook.reconcile_sheets): golden sheets from small
readable inputs, controls that balance (in Python and recalculated by a spreadsheet
engine), a ledger reconciled with itself, row order, the input sheets."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    FISCAL_DOCS,
    PAYMENT_COMPLEMENTS,
    STATEMENTS,
    TRIAL_BALANCE,
)
from cuadre.reconcile.tables import CUSTOMER_STATEMENT, GL_POSTINGS
from cuadre.workbook.reconcile_sheets import (
    INPUT_TABLES,
    RECON_SHEETS,
    ReconcileInputs,
    reconcile_input_sheets,
    reconcile_sheets,
)
from cuadre.workbook.writer import SheetSpec, write_workbook
from golden_util import assert_golden, sheet_snapshot
from helpers import frame, open_items, payments
from recalc_util import assert_formulas_recalculate, recalculate
from recon_props import shuffled

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "workbook" / "reconcile"
AS_OF = dt.date(2026, 10, 31)
U1 = "11111111-1111-4111-8111-000000000001"
U2 = "11111111-1111-4111-8111-000000000002"
U3 = "11111111-1111-4111-8111-000000000003"
NC = "11111111-1111-4111-8111-000000000004"
REP = "22222222-2222-4222-8222-000000000001"
REP_BAD = "22222222-2222-4222-8222-000000000002"
CUFE = "c" * 96


def small_inputs() -> ReconcileInputs:
    """Two Mexican customers and one Colombian, one month, everything readable."""
    oi = open_items(
        [
            {
                "customer_id": "ALFA",
                "customer_name": "Alfa SA",
                "document_id": "A-1",
                "document_date": "2026-10-01",
                "due_date": "2026-10-31",
                "amount_open": 100_000,
                "amount_original": 100_000,
                "fiscal_uuid": U1,
                "tax_id": "AAA010101AAA",
            },
            {
                "customer_id": "ALFA",
                "customer_name": "Alfa SA",
                "document_id": "A-2",
                "document_date": "2026-10-05",
                "due_date": "2026-11-04",
                "amount_open": 40_000,
                "amount_original": 50_000,
                "fiscal_uuid": U2,
                "tax_id": "AAA010101AAA",
            },
            {
                "customer_id": "ALFA",
                "customer_name": "Alfa SA",
                "document_id": "NC-1",
                "document_type": "credit_note",
                "document_date": "2026-10-06",
                "due_date": "2026-10-06",
                "amount_open": -5_000,
                "amount_original": -5_000,
                "fiscal_uuid": NC,
                "tax_id": "AAA010101AAA",
                "reference": "A-2",
            },
            {
                "customer_id": "BETA",
                "customer_name": "Beta SA",
                "document_id": "A-3",
                "document_date": "2026-10-10",
                "due_date": "2026-11-09",
                "amount_open": 80_000,
                "amount_original": 80_000,
                "fiscal_uuid": U3,
                "tax_id": "BBB010101BBB",
            },
            {
                "customer_id": "GAMA",
                "customer_name": "Gama SAS",
                "document_id": "FV1",
                "document_date": "2026-10-12",
                "due_date": "2026-11-11",
                "currency": "COP",
                "amount_open": 1_190_000,
                "amount_original": 1_190_000,
                "fiscal_uuid": CUFE,
                "tax_id": "900123456-7",
            },
        ]
    )
    pays = payments(
        [
            {
                "payment_id": "B-1",
                "amount": 100_000,
                "value_date": "2026-10-20",
                "payer_name": "ALFA SA",
                "remittance": "A-1",
            },
            {
                "payment_id": "B-2",
                "amount": 20_000,
                "value_date": "2026-10-28",
                "payer_name": "BETA SA",
            },
        ]
    )
    alloc = frame(
        ALLOCATIONS,
        [
            {
                "payment_id": "B-1",
                "document_id": "A-1",
                "customer_id": "ALFA",
                "currency": "MXN",
                "amount_applied": 100_000,
                "status": "auto",
                "confidence": 1.0,
                "reason": "remittance names A-1; amount equal",
            },
            {
                "payment_id": "B-2",
                "document_id": "",
                "customer_id": "BETA",
                "currency": "MXN",
                "amount_applied": 20_000,
                "status": "on_account",
                "confidence": 0.8,
                "reason": "payer known, no document",
            },
        ],
    )
    tb = frame(
        TRIAL_BALANCE,
        [
            {
                "account": "1105-01",
                "currency": "MXN",
                "balance": 215_000 + 1_500,
                "is_ar_control": "yes",
            },
            {"account": "1305-05", "currency": "COP", "balance": 1_190_000, "is_ar_control": "yes"},
        ],
    )
    gl_lines = frame(
        GL_POSTINGS,
        [
            {
                "posting_id": "AR-1",
                "account": "1105-01",
                "posting_date": "2026-10-01",
                "currency": "MXN",
                "amount": 100_000,
                "document_id": "A-1",
                "source": "AR",
            },
            {
                "posting_id": "JE-7",
                "account": "1105-01",
                "posting_date": "2026-10-31",
                "currency": "MXN",
                "amount": 1_500,
                "source": "MANUAL",
                "description": "ajuste manual",
            },
        ],
    )
    bank = frame(
        BANK_LINES,
        [
            {
                "line_id": "L1",
                "statement_id": "S1",
                "account": "BBVA",
                "currency": "MXN",
                "booking_date": "2026-10-20",
                "amount": 100_000,
                "counterparty_name": "ALFA SA",
                "bank_reference": "R1",
            },
            {
                "line_id": "L2",
                "statement_id": "S1",
                "account": "BBVA",
                "currency": "MXN",
                "booking_date": "2026-10-28",
                "amount": 20_000,
                "counterparty_name": "BETA SA",
                "bank_reference": "R2",
            },
            {
                "line_id": "L3",
                "statement_id": "S1",
                "account": "BBVA",
                "currency": "MXN",
                "booking_date": "2026-10-31",
                "amount": -1_160,
                "remittance": "COMISION SPEI",
                "type_code": "FEE",
            },
        ],
    )
    statements = frame(
        STATEMENTS,
        [
            {
                "statement_id": "S1",
                "account": "BBVA",
                "currency": "MXN",
                "opening_date": "2026-10-01",
                "opening_balance": 500_000,
                "closing_date": "2026-10-31",
                "closing_balance": 618_840,
                "line_count": 3,
            },
        ],
    )
    cash_book = frame(
        GL_POSTINGS,
        [
            {
                "posting_id": "CB-1",
                "account": "1102-01",
                "posting_date": "2026-10-21",
                "currency": "MXN",
                "amount": 100_000,
                "reference": "R1",
            },
            {
                "posting_id": "CB-2",
                "account": "1102-01",
                "posting_date": "2026-10-28",
                "currency": "MXN",
                "amount": 20_000,
                "reference": "R2",
            },
            {
                "posting_id": "CB-3",
                "account": "1102-01",
                "posting_date": "2026-10-31",
                "currency": "MXN",
                "amount": 35_000,
                "reference": "DEP-9",
                "description": "deposito en transito",
            },
        ],
    )
    theirs = frame(
        CUSTOMER_STATEMENT,
        [
            {
                "document_id": "A2",
                "document_date": "2026-10-05",
                "currency": "MXN",
                "amount": 38_500,
                "note": "precio según lista",
                "customer_id": "ALFA",
            },
            {
                "document_id": "NC1",
                "document_date": "2026-10-06",
                "currency": "MXN",
                "amount": -5_000,
                "customer_id": "ALFA",
            },
            {
                "document_id": "A9",
                "document_date": "2026-10-30",
                "currency": "MXN",
                "amount": 7_000,
                "customer_id": "ALFA",
            },
        ],
    )
    docs = frame(
        FISCAL_DOCS,
        [
            {
                "uuid": U1,
                "kind": "invoice",
                "series": "A",
                "folio": "1",
                "issuer_tax_id": "EKU9003173C9",
                "receiver_tax_id": "AAA010101AAA",
                "receiver_name": "Alfa SA",
                "issue_date": "2026-10-01",
                "currency": "MXN",
                "total": 100_000,
                "payment_method": "PPD",
                "status": "valid",
            },
            {
                "uuid": U2,
                "kind": "invoice",
                "series": "A",
                "folio": "2",
                "issuer_tax_id": "EKU9003173C9",
                "receiver_tax_id": "AAA010101AAA",
                "receiver_name": "Alfa SA",
                "issue_date": "2026-10-05",
                "currency": "MXN",
                "total": 50_000,
                "payment_method": "PPD",
                "status": "valid",
            },
            {
                "uuid": NC,
                "kind": "credit_note",
                "series": "NC",
                "folio": "1",
                "issuer_tax_id": "EKU9003173C9",
                "receiver_tax_id": "AAA010101AAA",
                "receiver_name": "Alfa SA",
                "issue_date": "2026-10-06",
                "currency": "MXN",
                "total": 5_000,
                "payment_method": "PUE",
                "status": "valid",
                "related_uuids": f"04:{U2}",
            },
            {
                "uuid": U3,
                "kind": "invoice",
                "series": "A",
                "folio": "3",
                "issuer_tax_id": "EKU9003173C9",
                "receiver_tax_id": "BBB010101BBB",
                "receiver_name": "Beta SA",
                "issue_date": "2026-10-10",
                "currency": "MXN",
                "total": 80_000,
                "payment_method": "PPD",
                "status": "cancelled",
                "cancellation_date": "2026-10-25",
            },
            {
                "uuid": REP,
                "kind": "payment",
                "series": "P",
                "folio": "1",
                "issuer_tax_id": "EKU9003173C9",
                "receiver_tax_id": "AAA010101AAA",
                "issue_date": "2026-10-22",
                "currency": "XXX",
                "total": 0,
                "status": "valid",
            },
            {
                "uuid": REP_BAD,
                "kind": "payment",
                "series": "P",
                "folio": "2",
                "issuer_tax_id": "EKU9003173C9",
                "receiver_tax_id": "AAA010101AAA",
                "issue_date": "2026-10-29",
                "currency": "XXX",
                "total": 0,
                "status": "valid",
            },
            {
                "uuid": CUFE,
                "kind": "invoice",
                "series": "FV",
                "folio": "1",
                "document_number": "FV1",
                "issuer_tax_id": "900555123",
                "receiver_tax_id": "900123456",
                "receiver_name": "Gama SAS",
                "issue_date": "2026-10-12",
                "currency": "COP",
                "total": 1_190_000,
                "payment_method": "2",
                "status": "rejected",
            },
        ],
    )
    comps = frame(
        PAYMENT_COMPLEMENTS,
        [
            {
                "complement_uuid": REP,
                "payment_index": 1,
                "payment_date": "2026-10-20",
                "payment_currency": "MXN",
                "payment_amount": 100_000,
                "related_index": 1,
                "related_uuid": U1,
                "currency": "MXN",
                "equivalence": "1",
                "installment": 1,
                "balance_before": 100_000,
                "amount_paid": 100_000,
                "balance_after": 0,
            },
            {
                "complement_uuid": REP_BAD,
                "payment_index": 1,
                "payment_date": "2026-10-28",
                "payment_currency": "MXN",
                "payment_amount": 10_000,
                "related_index": 1,
                "related_uuid": U2,
                "currency": "MXN",
                "equivalence": "1",
                "installment": 2,
                "balance_before": 50_000,
                "amount_paid": 10_000,
                "balance_after": 40_000,
            },
        ],
    )
    return ReconcileInputs(
        as_of=AS_OF,
        open_items=oi,
        payments=pays,
        allocations=alloc,
        trial_balance=tb,
        bank_lines=bank,
        statements=statements,
        cash_book=cash_book,
        gl_lines=gl_lines,
        customer_statement=theirs,
        fiscal_docs=docs,
        complements=comps,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    sheets, findings = reconcile_sheets(small_inputs())
    path = tmp_path_factory.mktemp("recon") / "recon.xlsx"
    write_workbook(path, sheets, properties={"created": "2024-01-01T00:00:00"})
    return path, sheets, findings


def test_the_sheets_in_order(built) -> None:
    path, sheets, _ = built
    assert [s.name for s in sheets] == list(RECON_SHEETS)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(RECON_SHEETS)
    tables = {name for ws in wb.worksheets for name in ws.tables}
    assert tables == {
        "recon_gl",
        "recon_bank",
        "recon_customer",
        "recon_sat",
        "complement_checks",
        "recon_dian",
        "advances",
    }


@pytest.mark.parametrize("sheet", RECON_SHEETS)
def test_sheets_match_golden(built, sheet) -> None:
    path, _, _ = built
    assert_golden(sheet_snapshot(path, sheet), GOLDEN / f"{sheet}.csv")


def test_what_the_small_case_finds(built) -> None:
    _, sheets, findings = built
    by = {s.name: s.frame for s in sheets}
    causes = {name: set(f["cause"]) - {""} for name, f in by.items() if "cause" in f}
    assert causes["ReconGL"] == {"cash_not_posted", "gl_only_manual"}
    assert causes["ReconBank"] == {"bank_fee", "deposit_in_transit"}
    assert causes["ReconCustomer"] == {"pricing", "unknown_to_us"}
    assert causes["ReconSAT"] == {"cancelled_open", "relation"}
    assert causes["ReconDIAN"] == {"cancelled_open"}
    assert set(by["REPChecks"]["check"]) == {"REP_REJECTED", "PPD_WITHOUT_REP"}
    codes = {f.code for f in findings}
    assert {"CREDIT_NOTE_RELATION", "REP_REJECTED", "CANCELLED_BUT_OPEN"} <= codes


def _checks(spec: SheetSpec) -> list[tuple[str, object]]:
    return [(c.label, c.value) for c in spec.controls if c.check]


def test_every_control_balances(built) -> None:
    _, sheets, _ = built
    for spec in sheets:
        for label, value in _checks(spec):
            assert value == "OK", f"{spec.name}: {label}"
    # each items sheet proves in = out for both sides, and the breakdown
    for spec in sheets:
        if spec.table_name == "complement_checks":
            continue
        labels = [c.label for c in spec.controls]
        assert any("= matched + differences + only here" in x for x in labels), spec.name
        assert any(x.startswith("Difference = reconciling items") for x in labels), spec.name


def test_the_bank_statement_and_the_gl_lines_are_live(built) -> None:
    _, sheets, _ = built
    by = {s.name: s for s in sheets}
    bank = {c.label: c for c in by["ReconBank"].controls}
    adj = bank["Adjusted bank balance"]
    assert adj.formula.startswith("=6188.40+SUMIFS(recon_bank[right_amount]")
    assert adj.value == 618_840 + 35_000
    assert bank["Adjusted book balance"].value == 655_000 - 1_160
    gl = {c.label: c for c in by["ReconGL"].controls}
    assert gl["Unexplained remainder"].value == 0
    assert (
        'recon_gl[cause],"=gl_only_manual"'
        in gl["Explained: manual journals to the control account"].formula
    )


def test_a_spreadsheet_engine_gets_the_same_figures(built, tmp_path) -> None:
    """LibreOffice recalculates every formula (cached values poisoned to 0) and must get
    the engine's values."""
    path, _, _ = built
    sheets = recalculate(path, tmp_path, at_least=100)
    assert assert_formulas_recalculate(path, sheets) > 100
    assert not any("DIFFERENCE" in c for rows in sheets.values() for r in rows for c in r)


# --------------------------------------------------------------------------- properties


def _frames(sheets: list[SheetSpec]) -> dict[str, pd.DataFrame]:
    return {s.name: s.frame.reset_index(drop=True) for s in sheets}


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 1_000))
def test_shuffling_the_input_rows_changes_nothing(seed) -> None:
    base = small_inputs()
    mixed = dataclasses.replace(
        base,
        **{
            f.name: shuffled(getattr(base, f.name), seed + i)
            for i, f in enumerate(dataclasses.fields(base))
            if isinstance(getattr(base, f.name), pd.DataFrame)
        },
    )
    a, fa = reconcile_sheets(base)
    b, fb = reconcile_sheets(mixed)
    for name, frame_a in _frames(a).items():
        pd.testing.assert_frame_equal(frame_a, _frames(b)[name], obj=name)
    assert [s.controls for s in a] == [s.controls for s in b]
    assert sorted(map(str, fa)) == sorted(map(str, fb))


ledger = st.lists(
    st.tuples(st.integers(1, 900_000), st.sampled_from(["MXN", "USD"])), min_size=1, max_size=8
)


@settings(max_examples=10, deadline=None)
@given(ledger)
def test_a_ledger_reconciled_with_itself_leaves_nothing(rows) -> None:
    oi = open_items(
        [
            {
                "customer_id": "C1",
                "document_id": f"F-{i}",
                "amount_open": a,
                "currency": c,
                "amount_original": a,
                "document_date": f"2026-10-{1 + i:02d}",
                "due_date": "2026-11-30",
            }
            for i, (a, c) in enumerate(rows)
        ]
    )
    totals = oi.groupby("currency")["amount_open"].sum()
    tb = frame(
        TRIAL_BALANCE,
        [
            {"account": f"1105-{c}", "currency": c, "balance": int(v), "is_ar_control": "yes"}
            for c, v in totals.items()
        ],
    )
    bank = frame(
        BANK_LINES,
        [
            {"line_id": f"L{i}", "currency": c, "amount": a, "booking_date": f"2026-10-{1 + i:02d}"}
            for i, (a, c) in enumerate(rows)
        ],
    )
    book = frame(
        GL_POSTINGS,
        [
            {
                "posting_id": f"B{i}",
                "currency": c,
                "amount": a,
                "posting_date": f"2026-10-{1 + i:02d}",
                "account": "1102",
            }
            for i, (a, c) in enumerate(rows)
        ],
    )
    theirs = frame(
        CUSTOMER_STATEMENT,
        [
            {"document_id": f"F{i}", "currency": c, "amount": a, "customer_id": "C1"}
            for i, (a, c) in enumerate(rows)
        ],
    )
    sheets, _ = reconcile_sheets(
        ReconcileInputs(
            as_of=AS_OF,
            open_items=oi,
            trial_balance=tb,
            bank_lines=bank,
            cash_book=book,
            customer_statement=theirs,
        )
    )
    for spec in sheets:
        if spec.name == "Advances":
            continue  # no credits: nothing in scope
        assert set(spec.frame["section"]) == {"matched"}, spec.name
        assert all(v == "OK" for _, v in _checks(spec)), spec.name


# --------------------------------------------------------------------------- inputs


def test_input_tables_are_fields_of_the_inputs() -> None:
    fields = {f.name for f in dataclasses.fields(ReconcileInputs)}
    assert set(INPUT_TABLES) <= fields
    assert INPUT_TABLES["cash_book"].columns == GL_POSTINGS.columns
    assert INPUT_TABLES["gl_lines"].name == "gl_lines"


def test_empty_input_sheets_for_the_template(tmp_path) -> None:
    specs = reconcile_input_sheets(None)
    assert [s.name for s in specs] == ["CashBook", "GLLines", "ARTransactions", "CustomerStatement"]
    assert all(s.kind == "input" and s.frame.empty for s in specs)
    specs = reconcile_input_sheets(None, contract=True)
    assert [s.name for s in specs] == [
        "Statements",
        "CashBook",
        "GLLines",
        "ARTransactions",
        "CustomerStatement",
        "FiscalDocs",
        "PaymentComplements",
    ]
    skipped = reconcile_input_sheets(None, contract=True, skip={"FiscalDocs"})
    assert "FiscalDocs" not in [s.name for s in skipped]
    write_workbook(tmp_path / "t.xlsx", specs)
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert {n for ws in wb.worksheets for n in ws.tables} == {
        "statements",
        "cash_book",
        "gl_lines",
        "ar_transactions",
        "customer_statement",
        "fiscal_docs",
        "payment_complements",
    }


def test_input_sheets_of_the_tables_given() -> None:
    base = small_inputs()
    specs = reconcile_input_sheets({"cash_book": base.cash_book, "gl_lines": None})
    assert [s.name for s in specs] == ["CashBook"]
    assert "source_path" not in specs[0].frame
    assert specs[0].controls[0].value == 3
