"""AR subledger vs GL (cuadre.reconcile.gl): balance, movements by cause, properties."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.model.tables import TRIAL_BALANCE
from cuadre.reconcile.gl import reconcile_gl
from cuadre.reconcile.tables import AR_TRANSACTIONS, GL_POSTINGS
from helpers import frame, open_items
from recon_props import assert_controls_balance, assert_nothing_to_explain, same_result, shuffled

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def tb(rows: list[dict]) -> pd.DataFrame:
    return frame(TRIAL_BALANCE, [{"currency": "MXN", "is_ar_control": "yes", **r} for r in rows])


def tx(rows: list[dict]) -> pd.DataFrame:
    base = {"currency": "MXN", "document_type": "invoice", "posting_date": "2026-10-10"}
    return frame(AR_TRANSACTIONS, [{**base, **r} for r in rows])


def gl(rows: list[dict]) -> pd.DataFrame:
    base = {"currency": "MXN", "account": "1105", "posting_date": "2026-10-10", "source": "AR"}
    return frame(GL_POSTINGS, [{**base, **r} for r in rows])


def oi(*amounts: int, currency: str = "MXN") -> pd.DataFrame:
    return open_items(
        [
            {
                "customer_id": "C1",
                "document_id": f"F{i}",
                "amount_open": a,
                "currency": currency,
                "due_date": "2026-11-30",
            }
            for i, a in enumerate(amounts)
        ]
    )


def test_balances_agree() -> None:
    r = reconcile_gl(oi(1000, 2000), tb([{"account": "1105", "balance": 3000}]))
    assert r.matched["rule"].tolist() == ["balances"] and r.balanced
    assert not [f for f in r.findings if f.code == "GL_DIFFERENCE"]


def test_balance_difference_is_reported_with_both_sides() -> None:
    r = reconcile_gl(oi(120433017), tb([{"account": "1105-01", "balance": 120413017}]))
    codes = [f.code for f in r.findings]
    assert codes == ["GL_DIFFERENCE"]
    msg = r.findings[0].message
    assert "AR ledger 1,204,330.17 MXN != GL 1105-01 1,204,130.17 MXN" in msg
    assert "ledger 200.00 MXN higher" in msg


def test_no_control_account_flagged() -> None:
    r = reconcile_gl(oi(1000), tb([{"account": "1105", "balance": 1000, "is_ar_control": ""}]))
    assert "NO_CONTROL_ACCOUNT" in [f.code for f in r.findings]


def test_company_filter() -> None:
    items = oi(1000, 500)
    items["company"] = ["MX01", "MX02"]
    t = tb([{"account": "1105", "balance": 1000}, {"account": "1106", "balance": 500}])
    t["company"] = ["MX01", "MX02"]
    r = reconcile_gl(items, t, company="MX01")
    assert int(r.totals["left_total"].iloc[0]) == 1000
    assert int(r.totals["right_total"].iloc[0]) == 1000


def test_movement_causes() -> None:
    transactions = tx(
        [
            {"transaction_id": "T1", "document_id": "F-1", "amount": 116000},
            {
                "transaction_id": "T2",
                "document_id": "F-2",
                "amount": 50000,
                "posting_date": "2026-10-31",
            },
            {"transaction_id": "T3", "document_id": "F-3", "amount": 30000},
            {"transaction_id": "T4", "document_id": "F-4", "amount": 7000},
        ]
    )
    postings = gl(
        [
            {"posting_id": "J1", "document_id": "F1", "amount": 116000},
            {
                "posting_id": "J2",
                "document_id": "F-2",
                "amount": 50000,
                "posting_date": "2026-11-01",
            },
            {"posting_id": "J3", "document_id": "F-3", "amount": 29000},
            {"posting_id": "J5", "amount": 3000, "source": "SA", "description": "Revaluación USD"},
            {"posting_id": "J6", "amount": 500, "source": "SA", "description": "ajuste"},
            {"posting_id": "J7", "document_id": "F-99", "amount": 800},
            {"posting_id": "J8", "document_id": "F-5", "amount": 900, "account": "4100"},
        ]
    )
    t = tb([{"account": "1105", "balance": 0}])
    r = reconcile_gl(oi(0), t, transactions=transactions, postings=postings, period=OCT)
    left = dict(zip(r.left_only["left_ids"], r.left_only["cause"], strict=True))
    right = dict(zip(r.right_only["right_ids"], r.right_only["cause"], strict=True))
    assert left == {"T2": "timing", "T4": "not_posted"}
    assert right == {"J5": "gl_only_fx", "J6": "gl_only_manual", "J7": "gl_only"}
    assert r.differences["cause"].tolist() == ["amount"]
    assert r.matched["left_ids"].tolist() == ["T1"]
    assert_controls_balance(r)
    statement = r.statement.set_index("line")
    explained = int(
        statement.loc[statement["label"].str.startswith("Explained by"), "amount"].iloc[0]
    )
    assert explained == int(r.breakdown["amount"].sum())


def test_rollforward() -> None:
    transactions = tx(
        [
            {"transaction_id": "T1", "document_id": "F1", "amount": 1000},
            {
                "transaction_id": "T2",
                "document_id": "R1",
                "document_type": "payment",
                "amount": -400,
            },
            {
                "transaction_id": "T3",
                "document_id": "N1",
                "document_type": "credit_note",
                "amount": -100,
            },
        ]
    )
    r = reconcile_gl(
        oi(700),
        tb([{"account": "1105", "balance": 700}]),
        transactions=transactions,
        postings=gl([]),
        period=OCT,
        opening_balance={"MXN": 200},
    )
    roll = r.extra["rollforward"].set_index("label")["amount"]
    assert int(roll["Computed closing receivables"]) == 700
    assert int(roll["Difference (computed - open items)"]) == 0


# --------------------------------------------------------------------------- properties

moves_st = st.lists(
    st.tuples(
        st.integers(1, 31),
        st.integers(-500_000, 500_000).filter(lambda a: a != 0),
        st.sampled_from(["invoice", "payment", "credit_note"]),
        st.booleans(),
    ),
    max_size=10,
)


def _sides(spec: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = tx(
        [
            {
                "transaction_id": f"T{i}",
                "document_id": f"D{i}" if named else "",
                "amount": a,
                "document_type": kind,
                "posting_date": f"2026-10-{d:02d}",
            }
            for i, (d, a, kind, named) in enumerate(spec)
        ]
    )
    p = gl(
        [
            {
                "posting_id": f"J{i}",
                "document_id": f"D{i}" if named else "",
                "amount": a,
                "posting_date": f"2026-10-{d:02d}",
            }
            for i, (d, a, _kind, named) in enumerate(spec)
        ]
    )
    return t, p


@settings(max_examples=15, deadline=None)
@given(moves_st)
def test_a_ledger_reconciled_with_itself_leaves_nothing(spec) -> None:
    t, p = _sides(spec)
    total = sum(a for _d, a, _k, _n in spec)
    r = reconcile_gl(
        oi(total),
        tb([{"account": "1105", "balance": total}]),
        transactions=t,
        postings=p,
        period=OCT,
    )
    assert_nothing_to_explain(r)
    assert int(r.statement.loc[r.statement["kind"].eq("check"), "amount"].iloc[0]) == 0


@settings(max_examples=10, deadline=None)
@given(moves_st, moves_st, st.integers(0, 100))
def test_shuffling_rows_changes_nothing_and_controls_balance(a, b, seed) -> None:
    t, _ = _sides(a)
    _, p = _sides(b)
    ledger, trial = oi(1000, 2000), tb([{"account": "1105", "balance": 2500}])
    first = reconcile_gl(ledger, trial, transactions=t, postings=p, period=OCT)
    again = reconcile_gl(
        shuffled(ledger, seed),
        trial,
        transactions=shuffled(t, seed),
        postings=shuffled(p, seed + 1),
        period=OCT,
    )
    assert_controls_balance(first)
    same_result(first, again)
