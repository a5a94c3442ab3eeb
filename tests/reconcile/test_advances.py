"""Advances and credit balances (cuadre.reconcile.advances)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.reconcile.advances import AdvancesPolicy, categories, reconcile_advances
from helpers import open_items
from recon_props import assert_controls_balance, same_result, shuffled

AS_OF = dt.date(2026, 10, 31)


def items(rows: list[dict]) -> pd.DataFrame:
    return open_items([{"customer_id": "C1", "due_date": "2026-10-15", **r} for r in rows])


def credit(doc: str, amount: int, **kw) -> dict:
    return {
        "document_id": doc,
        "document_type": "advance",
        "amount_open": -amount,
        "document_date": "2026-09-01",
        "due_date": None,
        **kw,
    }


def test_exact_amount_then_exact_sum_then_oldest_first() -> None:
    r = reconcile_advances(
        items(
            [
                credit("A1", 500),
                {"document_id": "F1", "amount_open": 500},
                credit("A2", 700),
                {"document_id": "F2", "amount_open": 300, "due_date": "2026-10-01"},
                {"document_id": "F3", "amount_open": 400, "due_date": "2026-10-02"},
                credit("A3", 250),
                {"document_id": "F4", "amount_open": 900, "due_date": "2026-10-20"},
            ]
        ),
        AS_OF,
    )
    rules = set(zip(r.matched["left_ids"], r.matched["right_ids"], r.matched["rule"], strict=True))
    assert rules == {
        ("A1", "F1", "exact amount"),
        ("A2", "F2", "exact sum"),
        ("A2", "F3", "exact sum"),
        ("A3", "F4", "oldest first"),
    }
    assert r.right_only["right_ids"].tolist() == ["F4"]
    assert int(r.right_only["right_amount"].iloc[0]) == 650
    assert_controls_balance(r)


def test_credits_without_open_documents_are_aged() -> None:
    r = reconcile_advances(
        items([credit("P1", 700, document_type="payment", document_date="2026-01-10")]), AS_OF
    )
    assert r.left_only["cause"].tolist() == ["unapplied_credit"]
    table = r.extra["credit_balances"]
    assert table["days"].tolist() == [294] and table["bucket"].tolist() == ["121+"]
    assert "OLD_CREDIT_BALANCE" in [f.code for f in r.findings]


def test_reimbursements_are_kept_apart() -> None:
    oi = items(
        [
            credit("ANT-T", 1000, reference="anticipo pagos a terceros"),
            {"document_id": "F1", "amount_open": 1000},
            {"document_id": "RT-9", "amount_open": 800},
        ]
    )
    assert categories(oi, AdvancesPolicy()).tolist() == [
        "reimbursement",
        "revenue",
        "reimbursement",
    ]
    r = reconcile_advances(oi, AS_OF)
    assert r.matched[["left_ids", "right_ids"]].values.tolist() == [["ANT-T", "RT-9"]]
    assert r.left_only["cause"].tolist() == ["reimbursement_credit"]
    assert r.right_only["right_ids"].tolist() == ["F1"]
    reimb = r.extra["reimbursements"].iloc[0]
    assert (int(reimb["billed_open"]), int(reimb["advances"]), int(reimb["net"])) == (
        800,
        -1000,
        -200,
    )


def test_customers_without_credits_are_out_of_scope() -> None:
    r = reconcile_advances(items([{"document_id": "F1", "amount_open": 100}]), AS_OF)
    assert r.items().empty and r.totals.empty


# --------------------------------------------------------------------------- properties

book_st = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2"]),
        st.integers(-50_000, 80_000).filter(lambda a: a != 0),
        st.integers(1, 28),
        st.sampled_from(["", "pagos a terceros"]),
    ),
    max_size=12,
)


def _items(spec: list[tuple]) -> pd.DataFrame:
    return open_items(
        [
            {
                "customer_id": c,
                "document_id": f"D{i}",
                "amount_open": a,
                "reference": ref,
                "document_type": "invoice" if a > 0 else "advance",
                "document_date": f"2026-09-{d:02d}",
                "due_date": f"2026-10-{d:02d}",
            }
            for i, (c, a, d, ref) in enumerate(spec)
        ]
    )


@settings(max_examples=15, deadline=None)
@given(book_st, st.integers(0, 100))
def test_suggestions_never_over_apply_and_controls_balance(spec, seed) -> None:
    oi = _items(spec)
    r = reconcile_advances(oi, AS_OF)
    assert_controls_balance(r)
    amounts = dict(zip(oi["document_id"], oi["amount_open"].astype(int), strict=True))
    for doc, applied in r.matched.groupby("left_ids")["left_amount"].sum().items():
        assert 0 < applied <= -amounts[doc]
    for doc, applied in r.matched.groupby("right_ids")["right_amount"].sum().items():
        assert 0 < applied <= amounts[doc]
    same_result(r, reconcile_advances(shuffled(oi, seed), AS_OF))
