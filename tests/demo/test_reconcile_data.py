"""The sample company's reconciliation inputs (cuadre.demo.reconcile_data): deterministic,
fast, and every planted case is found by the reconciliation sheets."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from cuadre.close import run_close
from cuadre.demo.generator import generate_company
from cuadre.demo.reconcile_data import demo_reconcile_data, demo_reconcile_tables
from cuadre.model.convert import payments_from_bank_lines
from cuadre.workbook.reconcile_sheets import ReconcileInputs, reconcile_sheets


@pytest.fixture(scope="module")
def demo():
    company = generate_company(seed=2026, n_customers=300)
    pays = payments_from_bank_lines(company.bank_lines)
    result = run_close(
        company.open_items,
        pays,
        company.customers,
        company.period_end,
        trial_balance=company.trial_balance,
    )
    start = time.perf_counter()
    tables, planted = demo_reconcile_data(company, result)
    seconds = time.perf_counter() - start
    inputs = ReconcileInputs.from_close(
        company.period_end,
        company.open_items,
        result,
        {
            "bank_lines": company.bank_lines,
            "statements": company.statements,
            "customers": company.customers,
            **tables,
        },
    )
    sheets, findings = reconcile_sheets(inputs)
    return company, result, tables, planted, {s.name: s for s in sheets}, findings, seconds


def test_the_tables_are_the_inputs_fields(demo) -> None:
    _, _, tables, _, _, _, _ = demo
    assert set(tables) == {
        "cash_book",
        "fiscal_docs",
        "complements",
        "customer_statement",
        "gl_lines",
        "trial_balance",
    }


def test_deterministic(demo) -> None:
    company, result, tables, planted, _, _, _ = demo
    again, planted_again = demo_reconcile_data(company, result)
    assert planted_again == planted
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
    assert set(demo_reconcile_tables(company, result)) == set(tables)


def test_fast(demo) -> None:
    *_, seconds = demo
    assert seconds < 6  # about 0.5 s on an idle laptop; the CI box is shared


def _rows(sheets, sheet: str, cause: str) -> pd.DataFrame:
    f = sheets[sheet].frame
    return f[f["cause"].eq(cause)]


def test_bank_to_book_finds_the_planted_items(demo) -> None:
    _, _, _, planted, sheets, _, _ = demo
    wrong = _rows(sheets, "ReconBank", "amount")
    assert wrong["left_ids"].tolist() == [planted.book_amount_difference]
    assert len(_rows(sheets, "ReconBank", "deposit_in_transit")) == 6
    assert len(_rows(sheets, "ReconBank", "outstanding_payment")) == 3
    fees = _rows(sheets, "ReconBank", "bank_fee")
    assert len(fees) > 0 and (fees["left_amount"] < 0).all()


def test_sat_finds_the_planted_cases(demo) -> None:
    _, _, _, planted, sheets, findings, _ = demo
    checks = sheets["REPChecks"].frame
    found = set(zip(checks["check"], checks["document_id"], strict=True))
    assert found == {
        ("PPD_WITHOUT_REP", planted.ppd_without_rep),
        ("REP_CHAIN_BROKEN", planted.rep_balance_disagrees),
        ("REP_DISAGREES_WITH_ERP", planted.rep_balance_disagrees),
        ("REP_REJECTED", planted.rejected_rep),
        ("PPD_WITHOUT_REP", planted.rejected_rep),  # a rejected REP is no REP
    }
    assert checks.loc[checks["check"].eq("REP_REJECTED"), "reason"].tolist() == ["currency"]
    assert _rows(sheets, "ReconSAT", "cancelled_open")["right_ids"].tolist() == [
        planted.cancelled_open
    ]
    assert _rows(sheets, "ReconSAT", "relation")["right_ids"].tolist() == [
        planted.credit_note_relation
    ]
    assert [f.code for f in findings].count("CREDIT_NOTE_RELATION") == 1


def test_dian_finds_the_planted_cases(demo) -> None:
    _, _, _, planted, sheets, _, _ = demo
    assert _rows(sheets, "ReconDIAN", "cancelled_open")["right_ids"].tolist() == [
        planted.dian_rejected_open
    ]
    assert _rows(sheets, "ReconDIAN", "missing_in_registry")["right_ids"].tolist() == [
        planted.dian_missing
    ]


def test_customer_statement_finds_the_planted_cases(demo) -> None:
    _, _, _, planted, sheets, _, _ = demo
    assert planted.statement_customer in sheets["ReconCustomer"].title
    assert _rows(sheets, "ReconCustomer", "pricing")["left_ids"].tolist() == [
        planted.statement_pricing
    ]
    assert _rows(sheets, "ReconCustomer", "unknown_to_us")["right_ids"].tolist() == [
        planted.statement_only_theirs
    ]


def test_gl_tie_out_explains_everything(demo) -> None:
    _, _, _, planted, sheets, _, _ = demo
    assert _rows(sheets, "ReconGL", "gl_only_manual")["right_ids"].tolist() == [planted.gl_manual]
    assert _rows(sheets, "ReconGL", "gl_only_fx")["right_ids"].tolist() == [planted.gl_fx]
    assert _rows(sheets, "ReconGL", "gl_only")["right_ids"].tolist() == [planted.gl_only]
    assert _rows(sheets, "ReconGL", "timing")["left_ids"].tolist() == [planted.gl_timing]
    assert len(_rows(sheets, "ReconGL", "cash_not_posted")) > 100
    assert _rows(sheets, "ReconGL", "unexplained").empty
    remainder = [c for c in sheets["ReconGL"].controls if c.label == "Unexplained remainder"]
    assert len(remainder) == 3 and all(c.value == 0 for c in remainder)


def test_every_control_of_every_sheet_balances(demo) -> None:
    *_, sheets, _, _ = demo
    for spec in sheets.values():
        for c in spec.controls:
            if c.check:
                assert c.value == "OK", f"{spec.name}: {c.label}"
