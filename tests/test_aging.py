import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.aging import age_receivables, aging_schema, bucket_labels, parse_buckets
from helpers import customers, open_items

AS_OF = dt.date(2026, 10, 31)


def test_labels():
    assert bucket_labels((30, 60, 90)) == ["current", "1-30", "31-60", "61-90", "91+"]
    assert bucket_labels((30, 60, 90, 120))[-1] == "121+"
    assert parse_buckets("30,60,90") == (30, 60, 90)
    for bad in ("30,x", "60,30", "0,30", ""):
        with pytest.raises(ValueError):
            parse_buckets(bad)


def test_buckets_edges_and_credits():
    oi = open_items(
        [
            {"customer_id": "C1", "document_id": "A", "due_date": "2026-10-31", "amount_open": 100},
            {"customer_id": "C1", "document_id": "B", "due_date": "2026-10-30", "amount_open": 200},
            {"customer_id": "C1", "document_id": "C", "due_date": "2026-10-01", "amount_open": 400},
            {"customer_id": "C1", "document_id": "D", "due_date": "2026-09-30", "amount_open": 800},
            {"customer_id": "C1", "document_id": "NC", "document_type": "credit_note",
             "due_date": "2026-05-01", "amount_open": -50},
        ]
    )
    aging, findings = age_receivables(oi, AS_OF, (30, 60, 90, 120))
    row = aging.iloc[0]
    assert [row[c] for c in bucket_labels((30, 60, 90, 120))] == [100, 600, 800, 0, 0, -50]
    assert row["total"] == 1450 and row["credits"] == -50 and row["items"] == 5
    assert row["overdue"] == 1350
    assert not findings


def test_missing_due_date_uses_terms_and_is_reported():
    oi = open_items([{"customer_id": "C1", "document_id": "A", "document_date": "2026-10-01",
                      "amount_open": 100}])
    cust = customers([{"customer_id": "C1", "customer_name": "Uno", "payment_terms_days": 60}])
    aging, findings = age_receivables(oi, AS_OF, (30,), cust)
    assert aging.iloc[0]["current"] == 100
    assert aging.iloc[0]["customer_name"] == "Uno"
    assert [f.code for f in findings] == ["AGED_BY_DOCUMENT_DATE"]


def test_future_documents_are_reported_not_aged():
    oi = open_items([{"customer_id": "C1", "document_id": "A", "document_date": "2026-11-02",
                      "due_date": "2026-12-01", "amount_open": 100}])
    aging, findings = age_receivables(oi, AS_OF)
    assert aging.empty and [f.code for f in findings] == ["AFTER_AS_OF"]


def test_one_row_per_customer_and_currency():
    oi = open_items(
        [
            {"customer_id": "C1", "document_id": "A", "due_date": "2026-10-01", "amount_open": 1},
            {"customer_id": "C1", "document_id": "B", "due_date": "2026-10-01", "amount_open": 2,
             "currency": "USD"},
        ]
    )
    aging, _ = age_receivables(oi, AS_OF)
    assert aging[["customer_id", "currency", "total"]].values.tolist() == [
        ["C1", "MXN", 1], ["C1", "USD", 2]
    ]
    assert list(aging.columns) == aging_schema().names


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", "C3"]),
            st.integers(min_value=-10**9, max_value=10**9),
            st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
            st.sampled_from(["MXN", "USD"]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=6, unique=True),
)
def test_buckets_always_sum_to_total(items, limits):
    limits = sorted(limits)
    oi = open_items(
        [
            {"customer_id": c, "document_id": f"D{i}", "amount_open": a, "currency": cur,
             "document_date": "2026-01-01",
             "due_date": None if d is None else (AS_OF - dt.timedelta(days=d)).isoformat()}
            for i, (c, a, d, cur) in enumerate(items)
        ]
    )
    aging, findings = age_receivables(oi, AS_OF, limits)
    labels = bucket_labels(limits)
    assert (aging[labels].sum(axis=1) == aging["total"]).all()
    assert aging["total"].sum() == oi["amount_open"].sum()
    assert aging["items"].sum() == len(oi)
    assert not [f for f in findings if f.is_error]


def test_credit_notes_unapplied_cash_and_advances_in_their_own_columns():
    oi = open_items(
        [
            {"customer_id": "C1", "document_id": "A", "due_date": "2026-10-01", "amount_open": 900},
            {"customer_id": "C1", "document_id": "NC", "document_type": "credit_note",
             "due_date": "2026-10-01", "amount_open": -100},
            {"customer_id": "C1", "document_id": "P", "document_type": "payment",
             "due_date": "2026-09-01", "amount_open": -50},
            {"customer_id": "C1", "document_id": "AN", "document_type": "advance",
             "due_date": "2026-11-01", "amount_open": -20},
        ]
    )
    row = age_receivables(oi, AS_OF)[0].iloc[0]
    assert (row["credit_notes"], row["unapplied"], row["advances"]) == (-100, -50, -20)
    assert row["credits"] == -170 and row["total"] == 730
