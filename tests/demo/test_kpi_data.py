"""The demo company's history: deterministic, fast, and it rebuilds the close's aging."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from cuadre.aging_history import (
    AR_APPLICATIONS,
    AR_HISTORY,
    aging_as_of,
    build_ledger,
    roll_forward,
)
from cuadre.close import CloseResult, run_close
from cuadre.demo.generator import DemoCompany, generate_company, payments_from_bank_lines
from cuadre.demo.kpi_data import demo_kpi_tables
from cuadre.workbook.kpi_sheets import KpiInputs, kpi_sheets


def close(n_customers: int, seed: int = 7) -> tuple[DemoCompany, CloseResult]:
    company = generate_company(seed=seed, n_customers=n_customers)
    payments = payments_from_bank_lines(company.bank_lines)
    result = run_close(company.open_items, payments, company.customers, company.period_end)
    return company, result


@pytest.fixture(scope="module")
def demo() -> tuple[DemoCompany, CloseResult, dict[str, pd.DataFrame]]:
    company, result = close(60)
    return company, result, demo_kpi_tables(company, result)


def test_tables_follow_their_schemas_and_are_deterministic(demo) -> None:  # type: ignore[no-untyped-def]
    company, result, tables = demo
    assert set(tables) == {"ar_history", "applications"}
    history, apps = tables["ar_history"], tables["applications"]
    assert list(history.columns) == AR_HISTORY.names
    assert list(apps.columns) == AR_APPLICATIONS.names
    assert (
        history["amount_open"].dtype == "Int64"
        and history["clearing_date"].dtype == "datetime64[ns]"
    )
    again = demo_kpi_tables(company, result)
    pd.testing.assert_frame_equal(again["ar_history"], history)
    pd.testing.assert_frame_equal(again["applications"], apps)
    # every open item is there, plus a year of cleared invoices and the unapplied cash
    assert set(company.open_items["document_id"]) <= set(history["document_id"])
    assert set(result.unapplied["payment_id"]) <= set(history["document_id"])
    first = history["document_date"].min()
    assert first <= pd.Timestamp(company.period_end) - pd.DateOffset(months=11)


def test_rebuilt_at_period_end_it_is_the_close_aging(demo) -> None:  # type: ignore[no-untyped-def]
    company, result, tables = demo
    ledger, findings = build_ledger(tables["ar_history"], tables["applications"])
    assert findings == []
    aging, _ = aging_as_of(ledger, company.period_end, customers=company.customers)
    keys = ["currency", "customer_id"]
    want = result.aging.sort_values(keys).reset_index(drop=True)
    got = aging[list(result.aging.columns)].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # this month's cash application shows as receipts in the roll-forward, which ties
    start = company.period_end.replace(day=1)
    table, found = roll_forward(ledger, start, company.period_end)
    assert [f.code for f in found if f.is_error] == []
    assert (table["difference"] == 0).all() and (table["receipts"] < 0).all()


def test_the_kpis_sheet_ties_to_the_aging(demo) -> None:  # type: ignore[no-untyped-def]
    company, result, tables = demo
    (sheet,), findings = kpi_sheets(
        KpiInputs(
            company.period_end,
            company.open_items,
            result.aging,
            tables["ar_history"],
            tables["applications"],
            company.customers,
            functional_currency="MXN",
            charts=False,
        )
    )
    assert [f.code for f in findings if f.code == "KPI_HISTORY_DIFFERS"] == []
    checks = {c.label: c.value for c in sheet.controls if c.check}
    assert checks == {f"History = aging ({c})": "OK" for c in ("MXN", "COP", "USD")}
    kpis = sheet.frame
    assert kpis["month"].nunique() == 12 and (kpis["dso_simple"] > 0).all()


def test_fast_at_the_default_size() -> None:
    company, result = close(300, seed=2026)
    start = time.perf_counter()
    tables = demo_kpi_tables(company, result)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, f"{elapsed:.2f} s"
    assert len(tables["ar_history"]) > 10_000
    assert tables["ar_history"]["document_date"].max() <= pd.Timestamp(dt.date(2026, 10, 31))
