"""The GL tie-out: aging total vs control accounts with explanation lines
(cuadre.reconcile.gl.tie_out, close_movements)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.model.tables import ALLOCATIONS, TRIAL_BALANCE
from cuadre.reconcile.gl import close_movements, tie_out
from cuadre.reconcile.tables import GL_POSTINGS
from helpers import frame, open_items, payments
from recon_props import assert_controls_balance, shuffled

AS_OF = dt.date(2026, 10, 31)


def tb(mxn: int) -> pd.DataFrame:
    return frame(
        TRIAL_BALANCE,
        [
            {"account": "1105-01", "currency": "MXN", "balance": mxn, "is_ar_control": "yes"},
            {"account": "1102-01", "currency": "MXN", "balance": 999, "is_ar_control": ""},
        ],
    )


def gl(rows: list[dict]) -> pd.DataFrame:
    base = {"account": "1105-01", "currency": "MXN", "posting_date": "2026-10-20"}
    return frame(GL_POSTINGS, [{**base, **r} for r in rows])


SUBLEDGER = open_items(
    [
        {"customer_id": "C1", "document_id": "F-1", "amount_open": 100_000},
        {
            "customer_id": "C1",
            "document_id": "F-2",
            "amount_open": 50_000,
            "document_date": "2026-10-31",
        },
        {"customer_id": "C2", "document_id": "F-3", "amount_open": 30_000},
    ]
)
LINES = gl(
    [
        {"posting_id": "AR-1", "document_id": "F-1", "amount": 100_000, "source": "AR"},
        {
            "posting_id": "AR-2",
            "document_id": "F-2",
            "amount": 50_000,
            "source": "AR",
            "posting_date": "2026-11-02",
        },  # posted after the cut-off
        {"posting_id": "JE-9", "amount": 2_000, "source": "MANUAL", "description": "ajuste"},
        {
            "posting_id": "FX-10",
            "amount": 500,
            "source": "REVAL",
            "description": "Revaluación cartera (diferencia cambiaria)",
        },
        {"posting_id": "GL-7", "document_id": "FA-999", "amount": 8_000, "source": "GL"},
        {"posting_id": "OUT-1", "account": "4100-01", "amount": -9_999},  # not the control account
    ]
)


def test_explanation_lines_add_up_to_the_difference() -> None:
    # GL: the subledger without F-2 (posted late) plus the three GL-only lines, plus 3.00
    g = 180_000 - 50_000 + 2_000 + 500 + 8_000 + 300
    r = tie_out(SUBLEDGER, tb(g), as_of=AS_OF, gl_lines=LINES)
    assert_controls_balance(r)
    causes = dict(zip(r.breakdown["cause"], r.breakdown["amount"], strict=True))
    assert causes == {
        "timing": 50_000,
        "gl_only_manual": -2_000,
        "gl_only_fx": -500,
        "gl_only": -8_000,
        "unexplained": -300,
    }
    st_ = r.statement
    assert st_["label"].tolist()[:3] == [
        "Aging total (AR subledger after this close)",
        "Balance per GL control accounts (1105-01)",
        "Difference (aging - GL)",
    ]
    assert st_.iloc[-1]["label"] == "Unexplained remainder"
    assert int(st_.iloc[-1]["amount"]) == -300
    assert [f.code for f in r.findings] == ["GL_DIFFERENCE"]
    failed = [c for c in r.controls if c.check is False]
    assert [c.section for c in failed] == ["Reconciliation statement"]
    gl_only = r.right_only[r.right_only["cause"].eq("gl_only")].iloc[0]
    assert "the subledger has no document FA-999" in gl_only["explanation"]


def test_nothing_to_explain_when_the_gl_agrees() -> None:
    r = tie_out(SUBLEDGER, tb(180_000), as_of=AS_OF, gl_lines=LINES.iloc[:1])
    assert r.differences.empty and r.left_only.empty and r.right_only.empty
    assert not r.findings
    assert all(c.check is not False for c in r.controls)


def test_the_cash_application_of_the_close_is_a_timing_line_until_posted() -> None:
    pays = payments(
        [
            {"payment_id": "P1", "amount": 40_000, "value_date": "2026-10-30"},
            {"payment_id": "P2", "amount": 5_000, "value_date": "2026-10-30"},
        ]
    )
    alloc = frame(
        ALLOCATIONS,
        [
            {
                "payment_id": "P1",
                "document_id": "F-1",
                "customer_id": "C1",
                "currency": "MXN",
                "amount_applied": 40_000,
                "status": "auto",
                "confidence": 1.0,
            },
            {
                "payment_id": "P2",
                "document_id": "",
                "customer_id": "C2",
                "currency": "MXN",
                "amount_applied": 5_000,
                "status": "on_account",
                "confidence": 0.8,
            },
        ],
    )
    moves = close_movements(pays, alloc)
    assert moves["transaction_id"].tolist() == ["P1", "P2"]
    assert moves["amount"].tolist() == [-40_000, -5_000]
    after = open_items(
        [
            {"customer_id": "C1", "document_id": "F-1", "amount_open": 60_000},
            {
                "customer_id": "C2",
                "document_id": "P2",
                "document_type": "payment",
                "amount_open": -5_000,
            },
        ]
    )
    r = tie_out(after, tb(100_000), as_of=AS_OF, pending=moves)
    assert_controls_balance(r)
    assert r.breakdown["cause"].tolist() == ["cash_not_posted"]
    assert int(r.breakdown["amount"].iloc[0]) == -45_000
    assert r.left_only["left_ids"].tolist() == ["P1", "P2"]
    assert all(c.check is not False for c in r.controls)
    # once the GL names the receipt, it is no longer a timing line
    posted = gl([{"posting_id": "RC-1", "reference": "P1", "amount": -40_000, "source": "AR"}])
    r = tie_out(after, tb(60_000), as_of=AS_OF, pending=moves, gl_lines=posted)
    assert r.left_only["left_ids"].tolist() == ["P2"]
    assert all(c.check is not False for c in r.controls)


def test_documents_known_elsewhere_are_not_gl_only() -> None:
    lines = gl([{"posting_id": "AR-5", "document_id": "F-0", "amount": 7_000, "source": "AR"}])
    r = tie_out(SUBLEDGER, tb(187_000), as_of=AS_OF, gl_lines=lines)
    assert r.breakdown["cause"].tolist() == ["gl_only"]
    r = tie_out(SUBLEDGER, tb(187_000), as_of=AS_OF, gl_lines=lines, known=["F0"])
    assert r.breakdown["cause"].tolist() == ["unexplained"]


def test_no_control_account_is_reported() -> None:
    flagless = tb(0).assign(is_ar_control="")
    r = tie_out(SUBLEDGER, flagless, as_of=AS_OF)
    assert "NO_CONTROL_ACCOUNT" in [f.code for f in r.findings]
    assert_controls_balance(r)


amounts = st.lists(st.integers(-50_000, 500_000), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None)
@given(amounts, st.lists(st.integers(-9_000, 9_000), max_size=5), st.integers(0, 99))
def test_controls_balance_and_order_does_not_matter(docs, journals, seed) -> None:
    sub = open_items(
        [
            {"customer_id": f"C{i % 3}", "document_id": f"F-{i}", "amount_open": a}
            for i, a in enumerate(docs)
        ]
    )
    lines = gl(
        [{"posting_id": f"JE-{i}", "amount": a, "source": "MANUAL"} for i, a in enumerate(journals)]
        + [
            {"posting_id": f"AR-{i}", "document_id": f"F-{i}", "amount": a, "source": "AR"}
            for i, a in enumerate(docs)
        ]
    )
    total = sum(docs) + sum(journals)
    first = tie_out(sub, tb(total), as_of=AS_OF, gl_lines=lines)
    assert_controls_balance(first)
    assert all(c.check is not False for c in first.controls)  # explained to the cent
    again = tie_out(shuffled(sub, seed), tb(total), as_of=AS_OF, gl_lines=shuffled(lines, seed))
    pd.testing.assert_frame_equal(first.items(), again.items())
    pd.testing.assert_frame_equal(first.statement, again.statement)


@settings(max_examples=10, deadline=None)
@given(amounts)
def test_a_ledger_tied_out_to_itself_leaves_nothing(docs) -> None:
    sub = open_items(
        [
            {"customer_id": "C", "document_id": f"F-{i}", "amount_open": a}
            for i, a in enumerate(docs)
        ]
    )
    r = tie_out(sub, tb(sum(docs)), as_of=AS_OF)
    assert r.differences.empty and r.left_only.empty and r.right_only.empty
    assert (r.totals["difference"] == 0).all()
