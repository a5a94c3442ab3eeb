"""Promises to pay (cuadre.collections.promises)."""

import datetime as dt

import pandas as pd

from cuadre.aging_history import AR_HISTORY, build_ledger
from cuadre.collections.promises import (
    PROMISE_STATUS,
    PROMISES,
    RECEIPTS,
    evaluate_promises,
    promise_summary,
    receipts_from_allocations,
    receipts_from_ledger,
)
from helpers import frame

AS_OF = dt.date(2026, 10, 31)


def promises(rows):
    return frame(PROMISES, [{"currency": "MXN", **r} for r in rows])


def receipts(rows):
    return frame(RECEIPTS, [{"currency": "MXN", **r} for r in rows])


def status_of(p, r, **kw):
    out = evaluate_promises(p, r, AS_OF, **kw)
    return list(zip(out["status"], out["paid"].astype(int), strict=True))


def test_kept_partially_broken_open():
    p = promises(
        [
            {
                "customer_id": "A",
                "promise_date": "2026-10-10",
                "amount": 1000,
                "made_on": "2026-10-01",
            },
            {
                "customer_id": "B",
                "promise_date": "2026-10-10",
                "amount": 1000,
                "made_on": "2026-10-01",
            },
            {
                "customer_id": "C",
                "promise_date": "2026-10-10",
                "amount": 1000,
                "made_on": "2026-10-01",
            },
            {
                "customer_id": "D",
                "promise_date": "2026-11-10",
                "amount": 1000,
                "made_on": "2026-10-25",
            },
            {
                "customer_id": "E",
                "promise_date": "2026-11-10",
                "amount": 1000,
                "made_on": "2026-10-25",
            },
        ]
    )
    r = receipts(
        [
            {"customer_id": "A", "date": "2026-10-12", "amount": 1500},  # within 2 grace days
            {"customer_id": "B", "date": "2026-10-05", "amount": 400},
            {"customer_id": "C", "date": "2026-10-13", "amount": 1000},  # too late
            {"customer_id": "D", "date": "2026-10-28", "amount": 300},
            {"customer_id": "E", "date": "2026-10-30", "amount": 1000},  # kept early
            {"customer_id": "A", "currency": "USD", "date": "2026-10-05", "amount": 9999},
        ]
    )
    assert status_of(p, r) == [
        ("kept", 1000),
        ("partially_kept", 400),
        ("broken", 0),
        ("open", 300),
        ("kept", 1000),
    ]
    out = evaluate_promises(p, r, AS_OF)
    assert list(out.columns) == PROMISE_STATUS.names
    assert out["shortfall"].tolist() == [0, 600, 1000, 700, 0]
    assert out["last_payment"].iloc[0] == pd.Timestamp("2026-10-12")
    assert status_of(p, r, grace_days=0)[0] == ("broken", 0)


def test_one_payment_is_not_counted_twice_and_fifo():
    p = promises(
        [
            {
                "customer_id": "A",
                "promise_date": "2026-10-20",
                "amount": 600,
                "made_on": "2026-10-01",
            },
            {
                "customer_id": "A",
                "promise_date": "2026-10-10",
                "amount": 500,
                "made_on": "2026-10-01",
            },
        ]
    )
    r = receipts([{"customer_id": "A", "date": "2026-10-08", "amount": 800}])
    # the earlier promise (10-10) takes 500, the later one the other 300
    assert status_of(p, r) == [("kept", 500), ("partially_kept", 300)]


def test_payments_before_the_promise_or_after_as_of_do_not_count():
    p = promises([{"customer_id": "A", "promise_date": "2026-10-20", "amount": 100}])
    r = receipts(
        [
            {"customer_id": "A", "date": "2026-09-01", "amount": 100},  # > 30 days before
            {"customer_id": "A", "date": "2026-11-02", "amount": 100},  # after as_of
        ]
    )
    assert status_of(p, r) == [("broken", 0)]
    assert status_of(p, r, lookback_days=60) == [("kept", 100)]


def test_summary_for_the_worklist():
    p = promises(
        [
            {"customer_id": "A", "promise_date": "2026-10-10", "amount": 100},
            {"customer_id": "A", "promise_date": "2026-11-10", "amount": 200},
            {"customer_id": "B", "promise_date": "2026-04-10", "amount": 100},  # too old
        ]
    )
    status = evaluate_promises(p, receipts([]), AS_OF)
    s = promise_summary(status, AS_OF).set_index("customer_id")
    assert s.loc["A", "promise_status"] == "broken" and s.loc["A", "broken"] == 1
    assert s.loc["A", "open_promise_date"] == pd.Timestamp("2026-11-10")
    assert s.loc["A", "open_promise_amount"] == 200
    assert "B" not in s.index


def test_receipts_from_allocations_and_from_the_history():
    alloc = pd.DataFrame(
        {
            "payment_id": ["P1", "P1", "P2", "P3"],
            "document_id": ["FA-1", "FA-2", "", ""],
            "customer_id": ["A", "A", "B", ""],
            "currency": ["MXN"] * 4,
            "amount_applied": pd.array([100, 50, 70, 0], dtype="Int64"),
            "status": ["auto", "auto", "on_account", "unmatched"],
            "difference": pd.array([None, 5, None, None], dtype="Int64"),
        }
    )
    pay = pd.DataFrame(
        {"payment_id": ["P1", "P2", "P3"], "value_date": pd.to_datetime(["2026-10-03"] * 3)}
    )
    out = receipts_from_allocations(alloc, pay)
    assert out[["customer_id", "amount"]].values.tolist() == [["A", 155], ["B", 70]]
    h = frame(
        AR_HISTORY,
        [
            {
                "customer_id": "A",
                "document_id": "X",
                "document_type": "invoice",
                "document_date": "2026-09-01",
                "currency": "MXN",
                "amount_original": 100,
                "clearing_date": "2026-10-03",
                "clearing_document": "R1",
            },
        ],
    )
    ledger, _ = build_ledger(h)
    got = receipts_from_ledger(ledger, dt.date(2026, 10, 1), AS_OF)
    assert got[["customer_id", "amount"]].values.tolist() == [["A", 100]]
