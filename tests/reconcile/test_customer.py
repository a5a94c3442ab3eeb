"""Customer statement / balance confirmation (cuadre.reconcile.customer)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.reconcile.customer import CustomerPolicy, classify, reconcile_customer
from cuadre.reconcile.tables import CUSTOMER_STATEMENT
from helpers import frame, open_items
from recon_props import assert_controls_balance, assert_nothing_to_explain, same_result, shuffled


def theirs(rows: list[dict]) -> pd.DataFrame:
    return frame(
        CUSTOMER_STATEMENT, [{"currency": "MXN", "document_date": "2026-09-01", **r} for r in rows]
    )


def ours(rows: list[dict]) -> pd.DataFrame:
    return open_items([{"customer_id": "C1", "due_date": "2026-10-01", **r} for r in rows])


def test_numbers_written_differently_pair() -> None:
    r = reconcile_customer(
        ours(
            [
                {"document_id": "FA-0104233", "amount_open": 1000},
                {"document_id": "FA-0104234", "amount_open": 2000},
            ]
        ),
        theirs(
            [
                {"document_id": "fa 0104234", "amount": 2000},
                {"document_id": "104233", "amount": 1000},
            ]
        ),
    )
    rules = dict(zip(r.matched["left_ids"], r.matched["rule"], strict=True))
    assert rules == {"FA-0104234": "document number", "FA-0104233": "document number (digits)"}


def test_ambiguous_digits_do_not_pair() -> None:
    # 104233 is the numeric core of two of our documents: not paired by digits
    r = reconcile_customer(
        ours(
            [
                {"document_id": "FA-104233", "amount_open": 1000},
                {"document_id": "NC-104233", "document_type": "credit_note", "amount_open": -10},
            ]
        ),
        theirs([{"document_id": "104233", "amount": 999}]),
    )
    assert r.matched.empty and r.differences.empty


def test_amount_only_pairing_is_weak() -> None:
    r = reconcile_customer(
        ours([{"document_id": "F1", "amount_open": 4321, "document_date": "2026-09-01"}]),
        theirs([{"document_id": "ZZ", "amount": 4321}]),
    )
    assert r.matched["confidence"].tolist() == [0.6]


def test_difference_classes() -> None:
    p = CustomerPolicy()
    assert classify(11600, 10000, "", "MXN", p)[0] == "tax"
    assert classify(10000, 11900, "", "COP", p)[0] == "tax"
    assert classify(10000, 9999, "", "MXN", p)[0] == "rounding"
    assert classify(10000, 9800, "", "MXN", p)[0] == "discount"
    assert classify(10000, 9000, "faltante de 3 piezas", "MXN", p)[0] == "quantity"
    assert classify(10000, 9000, "precio acordado", "MXN", p)[0] == "pricing"
    assert classify(10000, 9000, "devolución", "MXN", p)[0] == "return"
    assert classify(10000, 12345, "", "MXN", p)[0] == "pricing_quantity_freight"
    # Colombia: 2.5% retención en la fuente on the base of a 19% VAT invoice
    assert classify(1190000, 1190000 - 25000, "", "COP", p)[0] == "withholding"


def test_reversed_signs_of_an_ap_export() -> None:
    o = ours([{"document_id": "F1", "amount_open": 1000}])
    t = theirs([{"document_id": "F1", "amount": -1000}])
    r = reconcile_customer(o, t)
    assert "SIGNS_REVERSED" in [f.code for f in r.findings]
    r = reconcile_customer(o, t, policy=CustomerPolicy(their_signs="reversed"))
    assert len(r.matched) == 1 and r.differences.empty


def test_recent_documents_are_timing() -> None:
    r = reconcile_customer(
        ours([{"document_id": "F9", "amount_open": 100, "document_date": "2026-10-30"}]),
        theirs([]),
        as_of=dt.date(2026, 10, 31),
    )
    assert r.left_only["cause"].tolist() == ["timing"]
    assert r.extra["send_copies"].empty


# --------------------------------------------------------------------------- properties

docs_st = st.lists(
    st.tuples(
        st.integers(-100_000, 300_000).filter(lambda a: a != 0),
        st.integers(1, 28),
        st.sampled_from(["", "PO-1", "PO-2"]),
    ),
    max_size=10,
)


def _ours(spec: list[tuple]) -> pd.DataFrame:
    return ours(
        [
            {
                "document_id": f"FA-{i:05d}",
                "amount_open": a,
                "document_date": f"2026-09-{d:02d}",
                "reference": ref,
                "document_type": "invoice" if a > 0 else "credit_note",
            }
            for i, (a, d, ref) in enumerate(spec)
        ]
    )


def _theirs(spec: list[tuple]) -> pd.DataFrame:
    return theirs(
        [
            {"document_id": f"{i:05d}", "amount": a, "document_date": f"2026-09-{d:02d}"}
            for i, (a, d, _ref) in enumerate(spec)
        ]
    )


@settings(max_examples=15, deadline=None)
@given(docs_st)
def test_a_ledger_reconciled_with_itself_leaves_nothing(spec) -> None:
    assert_nothing_to_explain(reconcile_customer(_ours(spec), _theirs(spec)))


@settings(max_examples=10, deadline=None)
@given(docs_st, docs_st, st.integers(0, 100))
def test_shuffling_rows_changes_nothing_and_controls_balance(a, b, seed) -> None:
    o, t = _ours(a), _theirs(b)
    first = reconcile_customer(o, t)
    again = reconcile_customer(shuffled(o, seed), shuffled(t, seed + 1))
    assert_controls_balance(first)
    same_result(first, again)
