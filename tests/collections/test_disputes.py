"""The dispute log (cuadre.collections.disputes)."""

import datetime as dt

import pandas as pd

from cuadre.aging import bucket_labels
from cuadre.collections.disputes import (
    DISPUTE_LOG,
    DISPUTES,
    aging_with_disputes,
    dispute_log,
    open_disputes,
    split_disputed,
)
from helpers import frame, open_items

AS_OF = dt.date(2026, 10, 31)


def disputes(rows: list[dict]) -> pd.DataFrame:
    return frame(DISPUTES, [{"reason": "pricing", "status": "open", **r} for r in rows])


OI = open_items(
    [
        {
            "customer_id": "C1",
            "document_id": "FA-1",
            "due_date": "2026-09-15",
            "amount_open": 1_000,
        },
        {"customer_id": "C1", "document_id": "FA-2", "due_date": "2026-10-15", "amount_open": 500},
        {"customer_id": "C1", "document_id": "FA-3", "due_date": "2026-11-15", "amount_open": 300},
        {"customer_id": "C2", "document_id": "FA-4", "due_date": "2026-08-01", "amount_open": 800},
        {"customer_id": "C2", "document_id": "FA-4", "due_date": "2026-09-01", "amount_open": 800},
    ]
)


def test_whole_partial_and_installment_disputes():
    log = disputes(
        [
            {"document_id": "FA-1", "owner": "ventas"},  # whole document
            {"document_id": "FA-2", "amount": 200, "reason": "freight"},  # part of it
            {"document_id": "FA-4", "amount": 1_000, "reason": "quantity"},  # over installments
            {"document_id": "FA-3", "status": "resolved"},  # no longer counts
        ]
    )
    undisputed, disputed, findings = split_disputed(OI, log, AS_OF)
    assert findings == []
    assert disputed[["document_id", "amount_open", "reason"]].values.tolist() == [
        ["FA-1", 1_000, "pricing"],
        ["FA-2", 200, "freight"],
        ["FA-4", 800, "quantity"],
        ["FA-4", 200, "quantity"],
    ]
    assert undisputed[["document_id", "amount_open"]].values.tolist() == [
        ["FA-2", 300],
        ["FA-3", 300],
        ["FA-4", 600],
    ]
    total = int(OI["amount_open"].sum())
    assert int(undisputed["amount_open"].sum()) + int(disputed["amount_open"].sum()) == total


def test_disputes_opened_later_or_closed_do_not_count():
    log = disputes(
        [
            {"document_id": "FA-1", "opened_on": "2026-11-05"},
            {"document_id": "FA-2", "status": "rejected"},
        ]
    )
    assert open_disputes(log, AS_OF).empty
    undisputed, disputed, _ = split_disputed(OI, log, AS_OF)
    assert disputed.empty and len(undisputed) == len(OI)


def test_problems_are_reported():
    log = disputes(
        [
            {"document_id": "FA-9"},
            {"document_id": "FA-2", "amount": 900},
            {"document_id": "FA-1", "amount": 10, "currency": "USD"},
        ]
    )
    _u, disputed, findings = split_disputed(OI, log, AS_OF)
    assert sorted(f.code for f in findings) == [
        "DISPUTE_CURRENCY",
        "DISPUTE_DOCUMENT_NOT_OPEN",
        "DISPUTE_EXCEEDS_OPEN",
    ]
    not_open = next(f for f in findings if f.code == "DISPUTE_DOCUMENT_NOT_OPEN")
    assert str(not_open.location) == "test.csv:2" and "FA-9" in not_open.message
    assert disputed.set_index("document_id")["amount_open"].to_dict() == {
        "FA-1": 1_000,
        "FA-2": 500,
    }


def test_aging_keeps_the_total_and_shows_the_disputed_part():
    log = disputes([{"document_id": "FA-1"}, {"document_id": "FA-4", "amount": 300}])
    aging, disputed_aging, findings = aging_with_disputes(OI, AS_OF, log, (30, 60, 90))
    assert findings == []
    labels = bucket_labels((30, 60, 90))
    by = aging.set_index("customer_id")
    assert by.loc["C1", "total"] == 1_800 and by.loc["C1", "disputed"] == 1_000
    assert by.loc["C2", "disputed"] == 300
    assert (aging[labels].sum(axis=1) == aging["total"]).all()
    d = disputed_aging.set_index("customer_id")
    assert d.loc["C1", "31-60"] == 1_000 and d.loc["C2", "91+"] == 300


def test_dispute_log_for_the_owners():
    log = disputes(
        [
            {
                "document_id": "FA-2",
                "amount": 200,
                "owner": "logistica",
                "opened_on": "2026-10-20",
                "reason": "damaged_goods",
                "note": "caja dañada",
            },
            {"document_id": "FA-1", "owner": "ventas", "opened_on": "2026-10-01"},
        ]
    )
    out = dispute_log(log, OI, AS_OF)
    assert list(out.columns) == DISPUTE_LOG.names
    assert out[
        ["document_id", "owner", "days_open", "days_past_due", "amount_open", "amount_disputed"]
    ].values.tolist() == [
        ["FA-2", "logistica", 11, 16, 500, 200],
        ["FA-1", "ventas", 30, 46, 1_000, 1_000],
    ]
    assert out["note"].tolist() == ["caja dañada", ""]
