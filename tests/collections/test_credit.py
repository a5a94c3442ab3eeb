"""Credit limits, exposure, hold and release lists (cuadre.collections.credit)."""

import datetime as dt

import pandas as pd

from cuadre.collections.credit import (
    CREDIT,
    CREDIT_HOLDS,
    OPEN_ORDERS,
    CreditPolicy,
    credit_status,
    hold_list,
    release_list,
)
from cuadre.fx import FX_RATES
from helpers import customers, frame, open_items

AS_OF = dt.date(2026, 10, 31)

CUSTOMERS = customers(
    [
        {"customer_id": "A", "customer_name": "Alfa", "credit_limit": 100_000, "currency": "MXN"},
        {"customer_id": "B", "customer_name": "Beta", "credit_limit": 100_000, "currency": "MXN"},
        {"customer_id": "C", "customer_name": "Gama", "credit_limit": 10_000, "currency": "USD"},
        {"customer_id": "D", "customer_name": "Delta", "currency": "MXN"},
    ]
)


def status(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["customer_id"], table["status"], strict=True))


def test_limits_orders_days_and_the_two_lists():
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "1",
                "due_date": "2026-10-20",
                "amount_open": 60_000,
            },
            {
                "customer_id": "B",
                "document_id": "2",
                "due_date": "2026-08-01",
                "amount_open": 5_000,
            },
            {
                "customer_id": "B",
                "document_id": "3",
                "due_date": "2026-11-30",
                "amount_open": 90_000,
            },
            {
                "customer_id": "C",
                "document_id": "4",
                "currency": "USD",
                "due_date": "2026-10-30",
                "amount_open": 9_500,
            },
            {"customer_id": "D", "document_id": "5", "due_date": "2026-07-01", "amount_open": 100},
        ]
    )
    orders = frame(
        OPEN_ORDERS, [{"customer_id": "A", "order_id": "PV-1", "currency": "MXN", "amount": 50_000}]
    )
    holds = frame(
        CREDIT_HOLDS,
        [
            {"customer_id": "D", "held_on": "2026-09-01"},
            {"customer_id": "A", "held_on": "2026-09-01"},
        ],
    )
    table, findings = credit_status(
        oi,
        CUSTOMERS,
        AS_OF,
        CreditPolicy(min_overdue_amount={"MXN": 1_000}),
        open_orders=orders,
        holds=holds,
    )
    assert findings == []
    assert list(table.columns) == CREDIT.names
    assert status(table) == {"A": "on_hold", "B": "new_hold", "D": "release", "C": "watch"}
    a = table.set_index("customer_id").loc["A"]
    assert (a["open_ar"], a["open_orders"], a["exposure"], a["available"]) == (
        60_000,
        50_000,
        110_000,
        -10_000,
    )
    assert a["utilisation"] == 1.1 and "over limit" in a["reason"]
    b = table.set_index("customer_id").loc["B"]
    assert b["max_days_overdue"] == 91 and "91 days overdue" in b["reason"]
    d = table.set_index("customer_id").loc["D"]
    assert pd.isna(d["utilisation"])  # no limit; 100 overdue is below the minimum
    assert hold_list(table)["customer_id"].tolist() == ["B", "A"]
    assert release_list(table)["customer_id"].tolist() == ["D"]


def test_release_names_the_money_received_since_the_hold():
    oi = open_items(
        [{"customer_id": "A", "document_id": "1", "due_date": "2026-11-20", "amount_open": 1_000}]
    )
    holds = frame(CREDIT_HOLDS, [{"customer_id": "A", "held_on": "2026-10-01"}])
    receipts = pd.DataFrame(
        {
            "customer_id": ["A", "A"],
            "currency": ["MXN", "MXN"],
            "date": pd.to_datetime(["2026-09-20", "2026-10-15"]),
            "amount": [500, 70_000],
        }
    )
    table, _ = credit_status(oi, CUSTOMERS, AS_OF, holds=holds, receipts=receipts)
    row = table.set_index("customer_id").loc["A"]
    assert row["status"] == "release" and row["received_since_hold"] == 70_000
    assert "700.00 MXN received since the hold" in row["reason"]


def test_disputed_items_do_not_trigger_the_days_rule():
    oi = open_items(
        [{"customer_id": "B", "document_id": "2", "due_date": "2026-07-01", "amount_open": 5_000}]
    )
    disputed = oi.copy()
    table, _ = credit_status(oi, CUSTOMERS, AS_OF, disputed=disputed)
    assert status(table)["B"] == "ok"
    assert table.set_index("customer_id").loc["B", "exposure"] == 5_000


def test_other_currencies_are_converted_or_reported():
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "1",
                "due_date": "2026-11-20",
                "amount_open": 10_000,
            },
            {
                "customer_id": "A",
                "document_id": "2",
                "currency": "USD",
                "due_date": "2026-11-20",
                "amount_open": 5_000,
            },
        ]
    )
    orders = frame(
        OPEN_ORDERS, [{"customer_id": "A", "order_id": "PV-9", "currency": "USD", "amount": 1}]
    )
    table, findings = credit_status(oi, CUSTOMERS, AS_OF, open_orders=orders)
    assert [f.code for f in findings] == ["CREDIT_OTHER_CURRENCY", "CREDIT_OTHER_CURRENCY"]
    assert table.set_index("customer_id").loc["A", "open_ar"] == 10_000
    rates = frame(FX_RATES, [{"date": "2026-10-30", "currency": "USD", "rate": "18.5"}])
    table, findings = credit_status(oi, CUSTOMERS, AS_OF, rates=rates)
    assert findings == []
    assert table.set_index("customer_id").loc["A", "open_ar"] == 10_000 + 92_500
