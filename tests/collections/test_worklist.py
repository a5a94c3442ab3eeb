"""The collector's worklist and its score (cuadre.collections.worklist)."""

import datetime as dt

import pandas as pd
import pytest

from cuadre.collections.worklist import WORKLIST, collection_worklist
from cuadre.demo.generator import generate_company
from helpers import customers, open_items

AS_OF = dt.date(2026, 10, 31)


def test_score_parts_by_hand():
    oi = open_items(
        [
            # A: 1,000 at 60 days and 3,000 at 20 days -> weighted 30 days
            {
                "customer_id": "A",
                "document_id": "1",
                "due_date": "2026-09-01",
                "amount_open": 1_000,
            },
            {
                "customer_id": "A",
                "document_id": "2",
                "due_date": "2026-10-11",
                "amount_open": 3_000,
            },
            # B: 2,000 at 240 days (capped at 120)
            {
                "customer_id": "B",
                "document_id": "3",
                "due_date": "2026-03-05",
                "amount_open": 2_000,
            },
            # C: nothing overdue, 500 due in 3 days
            {"customer_id": "C", "document_id": "4", "due_date": "2026-11-03", "amount_open": 500},
        ]
    )
    credit = pd.DataFrame(
        {"customer_id": ["A", "B"], "status": ["ok", "on_hold"], "utilisation": [0.95, 1.4]}
    )
    promises = pd.DataFrame(
        {
            "customer_id": ["B"],
            "currency": ["MXN"],
            "promise_date": pd.to_datetime(["2026-10-10"]),
            "amount": pd.array([100], dtype="Int64"),
            "deadline": pd.to_datetime(["2026-10-12"]),
            "shortfall": pd.array([100], dtype="Int64"),
            "status": ["broken"],
        }
    )
    cust = customers([{"customer_id": "A", "customer_name": "Alfa", "email": "a@alfa.mx"}])
    cust["contact_name"] = ["Ana"]
    cust["phone"] = ["555"]
    w, findings = collection_worklist(oi, AS_OF, cust, promises=promises, credit=credit)
    assert findings == [] and list(w.columns) == WORKLIST.names
    rows = w.set_index("customer_id")
    # A: amount rank 2 of 2 -> 40; days 30/120 x 30 = 7.5; utilisation 95 % -> 5
    assert rows.loc[
        "A", ["score_amount", "score_days", "score_promise", "score_credit", "score"]
    ].tolist() == [40.0, 7.5, 0.0, 5.0, 52.5]
    assert rows.loc["A", "avg_days_overdue"] == pytest.approx(30.0)
    # B: rank 1 of 2 -> 20; 120 capped -> 30; broken +20; on hold +10
    assert rows.loc[
        "B", ["score_amount", "score_days", "score_promise", "score_credit", "score"]
    ].tolist() == [20.0, 30.0, 20.0, 10.0, 80.0]
    assert w["customer_id"].tolist() == ["B", "A", "C"]
    assert w["rank"].tolist() == [1, 2, 3]
    assert rows.loc["B", "next_action"] == "call: promise broken"
    assert rows.loc["A", "next_action"] == "send final demand"  # oldest item 60 days
    assert rows.loc["C", "next_action"] == "courtesy reminder before due date"
    assert rows.loc["C", "due_soon"] == 500
    assert rows.loc["A", ["customer_name", "contact", "email"]].tolist() == [
        "Alfa",
        "Ana 555",
        "a@alfa.mx",
    ]


def test_open_promise_lowers_the_score_and_says_wait():
    oi = open_items(
        [{"customer_id": "A", "document_id": "1", "due_date": "2026-10-01", "amount_open": 1_000}]
    )
    promises = pd.DataFrame(
        {
            "customer_id": ["A"],
            "currency": ["MXN"],
            "promise_date": pd.to_datetime(["2026-11-05"]),
            "amount": pd.array([1_000], dtype="Int64"),
            "deadline": pd.to_datetime(["2026-11-07"]),
            "shortfall": pd.array([600], dtype="Int64"),
            "status": ["open"],
        }
    )
    w, _ = collection_worklist(oi, AS_OF, promises=promises)
    r = w.iloc[0]
    assert r["score_promise"] == -15.0 and r["score"] == 40 + 7.5 - 15
    assert r["next_action"] == "wait: promise of 6.00 MXN by 2026-11-05"


def test_nothing_to_chase_gives_an_empty_list():
    oi = open_items(
        [{"customer_id": "A", "document_id": "1", "due_date": "2026-12-31", "amount_open": 1_000}]
    )
    w, findings = collection_worklist(oi, AS_OF)
    assert w.empty and list(w.columns) == WORKLIST.names and findings == []


def test_demo_company_scores_are_in_range():
    company = generate_company(seed=11, n_customers=80)
    w, _ = collection_worklist(company.open_items, company.period_end, company.customers)
    assert len(w) > 40
    assert w["score"].between(0, 100).all()
    assert w["score"].is_monotonic_decreasing
    parts = w[["score_amount", "score_days", "score_promise", "score_credit"]].sum(axis=1)
    assert (parts.clip(0, 100).round(1) == w["score"]).all()
    assert w["next_action"].str.len().gt(0).all()
