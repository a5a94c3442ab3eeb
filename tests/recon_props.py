"""Checks every reconciliation's property tests share (imported by the test modules)."""

from __future__ import annotations

import pandas as pd

from cuadre.reconcile import Reconciliation


def assert_controls_balance(r: Reconciliation) -> None:
    """Every check of the control block passed, and the totals agree with the items.

    (The statement's check, adjusted balances agree, depends on the balances given, not
    on the engine: the tests that give balances check it.)"""
    failed = [c for c in r.controls if c.check is False and c.section != "Reconciliation statement"]
    assert not failed, failed
    assert not [f for f in r.findings if f.code == "CONTROL_FAILED"]
    items = r.items()
    for _, t in r.totals.iterrows():
        cur = t["currency"]
        mine = items[items["currency"].eq(cur)]
        assert int(mine["left_amount"].fillna(0).sum()) == int(t["left_total"])
        assert int(mine["right_amount"].fillna(0).sum()) == int(t["right_total"])
        assert int(mine["left_count"].fillna(0).sum()) == int(t["left_items"])
        assert int(mine["right_count"].fillna(0).sum()) == int(t["right_items"])
        explained = int(r.breakdown.loc[r.breakdown["currency"].eq(cur), "amount"].sum())
        assert explained == int(t["difference"])


def assert_nothing_to_explain(r: Reconciliation) -> None:
    """Reconciling a ledger with itself: everything matched, nothing left over."""
    assert r.differences.empty, r.differences
    assert r.left_only.empty, r.left_only
    assert r.right_only.empty, r.right_only
    assert r.breakdown.empty or int(r.breakdown["amount"].abs().sum()) == 0
    assert (r.totals["difference"] == 0).all()
    assert_controls_balance(r)


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def same_result(a: Reconciliation, b: Reconciliation) -> None:
    pd.testing.assert_frame_equal(a.items(), b.items())
    pd.testing.assert_frame_equal(a.totals, b.totals)
    pd.testing.assert_frame_equal(a.breakdown, b.breakdown)
    if a.statement is not None and b.statement is not None:
        pd.testing.assert_frame_equal(a.statement, b.statement)
    for name in a.extra:
        pd.testing.assert_frame_equal(a.extra[name], b.extra[name])
