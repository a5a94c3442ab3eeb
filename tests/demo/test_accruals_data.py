"""The sample company's accrual and provision inputs (cuadre.demo.accruals_data)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from cuadre.close import run_close
from cuadre.demo.accruals_data import ROLL_RATES, demo_accruals_tables
from cuadre.demo.generator import generate_company
from cuadre.journals import check_balanced
from cuadre.model.convert import payments_from_bank_lines
from cuadre.provision import ProvisionPolicy, roll_rates
from cuadre.workbook.accruals_sheets import INPUT_TABLES, AccrualsInputs, accruals_sheets


def close(seed: int = 2026, n_customers: int = 300):
    company = generate_company(seed=seed, n_customers=n_customers)
    payments = payments_from_bank_lines(company.bank_lines)
    result = run_close(
        company.open_items,
        payments,
        company.customers,
        company.period_end,
        trial_balance=company.trial_balance,
    )
    return company, result


@pytest.fixture(scope="module")
def demo():
    company, result = close()
    start = time.perf_counter()
    tables = demo_accruals_tables(company, result)
    seconds = time.perf_counter() - start
    inputs = AccrualsInputs.from_close(result, company.period_end, company.customers, tables)
    sheets, findings = accruals_sheets(inputs)
    return company, result, tables, seconds, {s.name: s for s in sheets}, findings


def test_tables_follow_the_input_schemas(demo):
    _, _, tables, seconds, _, _ = demo
    assert seconds < 2.0
    assert set(tables) == set(INPUT_TABLES)
    for key, frame in tables.items():
        assert list(frame.columns[: len(INPUT_TABLES[key].names)]) == INPUT_TABLES[key].names
        assert len(frame), key
    assert tables["operations"]["operation_id"].is_unique


def test_deterministic(demo):
    _, _, tables, _, _, _ = demo
    again = demo_accruals_tables(*close())
    for key in tables:
        pd.testing.assert_frame_equal(tables[key], again[key], obj=key)
    other = demo_accruals_tables(*close(seed=7, n_customers=120))
    assert not other["operations"]["operation_id"].equals(tables["operations"]["operation_id"])


def test_the_accrual_is_not_trivial(demo):
    _, _, _, _, sheets, findings = demo
    accruals = sheets["Accruals"].frame
    assert set(accruals["currency"]) == {"MXN", "USD", "COP"}
    assert (accruals.groupby("currency")["amount"].sum() > 0).all()
    reasons = sheets["Unbilled"].frame["reason"]
    assert reasons.eq("not invoiced").any() and reasons.str.contains("after the cut-off").any()
    results = set(sheets["Cutoff"].frame["result"])
    assert results == {"ok", "accrued", "early_invoice", "not_invoiced"}
    codes = [f.code for f in findings]
    assert codes.count("CUTOFF_EARLY_INVOICE") in (1, 2)
    assert "INVOICE_NOT_FOUND" not in codes


def test_the_reversal_is_on_the_first_day_of_the_next_period(demo):
    company, _, _, _, sheets, _ = demo
    journal = sheets["AccrualJournal"].frame
    reversal = journal[journal["reversal_of"].ne("")]
    assert len(reversal) and set(reversal["date"]) == {
        pd.Timestamp(company.period_end) + pd.Timedelta(days=1)
    }
    assert pd.Timestamp(company.period_end).day == 31  # 2026-10-31: reversal 2026-11-01
    assert set(reversal["date"].dt.day) == {1}


def test_the_provision_is_not_trivial(demo):
    _, _, tables, _, sheets, findings = demo
    matrix = sheets["ProvisionMatrix"].frame
    for cur, g in matrix.groupby("currency"):
        rates = g.sort_values("order")["loss_rate"].tolist()
        assert rates == sorted(rates) and 0 < rates[0] < rates[-1] < 1, cur
    # the roll rates come back close to those the history was generated with
    found, months, _ = roll_rates(tables["aging_snapshots"], ProvisionPolicy().buckets)
    assert set(months.values()) == {11}
    for cur, want in ROLL_RATES.items():
        assert [float(r) for r in found[cur]] == pytest.approx(list(want), rel=0.15), cur
    provision = sheets["Provision"].frame
    specific = provision[provision["method"].eq("specific")]
    assert len(specific) == 1 and int(specific["provision"].iloc[0]) > 0
    assert specific["customer_id"].iloc[0] == tables["specific_provisions"]["customer_id"].iloc[0]
    assert (provision.groupby("currency")["provision"].sum() > 0).all()
    codes = {f.code for f in findings}
    assert not codes & {"ROLL_RATE_ABOVE_1", "NO_LOSS_RATE", "NOT_MONTHLY", "ACCRUALS_CONTROL"}


def test_every_control_is_ok_and_every_journal_balances(demo):
    _, _, _, _, sheets, findings = demo
    assert check_balanced(sheets["AccrualJournal"].frame) == []
    checks = {c.label: c.value for s in sheets.values() for c in s.controls if c.check}
    assert checks.pop("No revenue invoiced before delivery") == "REVIEW"  # planted
    assert set(checks.values()) == {"OK"}
    assert not [f for f in findings if f.severity == "error"]
