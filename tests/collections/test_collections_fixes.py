"""Small engine fixes made for the collections sheets: items without a due date are
dated as the aging dates them; a document with two open disputes is counted once in
the log; receipts keep the payment they came from."""

import datetime as dt

import pandas as pd

from cuadre.aging import age_receivables
from cuadre.collections.credit import credit_status
from cuadre.collections.disputes import DISPUTES, dispute_log, split_disputed
from cuadre.collections.dunning import dunning_run
from cuadre.collections.promises import receipts_from_allocations
from cuadre.collections.worklist import collection_worklist
from helpers import customers, frame, open_items, payments

AS_OF = dt.date(2026, 10, 31)


def test_no_due_date_means_document_date_plus_terms_everywhere():
    # issued 20 days ago, 30 days of terms: current for the aging, so for collections too
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "F1",
                "document_date": "2026-10-11",
                "amount_open": 100_000,
            },
            {
                "customer_id": "A",
                "document_id": "F2",
                "document_date": "2026-08-01",
                "due_date": "2026-08-31",
                "amount_open": 50_000,
            },
        ]
    )
    cust = customers(
        [
            {
                "customer_id": "A",
                "customer_name": "Uno",
                "payment_terms_days": 30,
                "credit_limit": 1_000_000,
                "currency": "MXN",
            }
        ]
    )
    aging, _ = age_receivables(oi, AS_OF, customers=cust)
    assert int(aging["overdue"].sum()) == 50_000
    worklist, _ = collection_worklist(oi, AS_OF, cust)
    assert worklist["overdue"].tolist() == [50_000]
    run = dunning_run(oi, AS_OF, customers=cust)
    assert run.items["document_id"].tolist() == ["F2"]
    credit, _ = credit_status(oi, cust, AS_OF)
    assert credit["overdue"].tolist() == [50_000]
    # without the terms the invoice is due on its document date, as in the aging
    bare = cust.assign(payment_terms_days=pd.array([None], dtype="Int64"))
    worklist, _ = collection_worklist(oi, AS_OF, bare)
    assert worklist["overdue"].tolist() == [150_000]


def test_two_open_disputes_on_one_document_count_once():
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "F1",
                "due_date": "2026-09-30",
                "amount_open": 100_000,
            }
        ]
    )
    disputes = frame(
        DISPUTES,
        [
            {"document_id": "F1", "reason": "pricing", "amount": 10_000, "opened_on": "2026-10-01"},
            {"document_id": "F1", "reason": "freight", "amount": 3_000, "opened_on": "2026-10-05"},
        ],
    )
    _u, disputed, _ = split_disputed(oi, disputes, AS_OF)
    assert int(disputed["amount_open"].sum()) == 3_000  # the last one applies
    log = dispute_log(disputes, oi, AS_OF)
    assert log["amount_disputed"].tolist() == [0, 3_000]
    assert int(log["amount_disputed"].sum()) == int(disputed["amount_open"].sum())


def test_receipts_name_their_payment():
    alloc = pd.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "document_id": ["FA-1", ""],
            "customer_id": ["A", "B"],
            "currency": ["MXN", "MXN"],
            "amount_applied": pd.array([100, 70], dtype="Int64"),
            "status": ["auto", "on_account"],
            "difference": pd.array([None, None], dtype="Int64"),
        }
    )
    pay = payments([{"payment_id": "P1", "amount": 100}, {"payment_id": "P2", "amount": 70}])
    out = receipts_from_allocations(alloc, pay)
    assert out[["customer_id", "payment_id", "amount"]].values.tolist() == [
        ["A", "P1", 100],
        ["B", "P2", 70],
    ]
