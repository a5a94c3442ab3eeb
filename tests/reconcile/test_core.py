"""Shared machinery (cuadre.reconcile.core): pairing, candidates, the items table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cuadre.reconcile.core import items_table, pair_one_to_one, window_candidates
from cuadre.reconcile.tables import RECON_ITEMS


def test_pairing_uses_each_item_once_and_prefers_the_best() -> None:
    cands = pd.DataFrame(
        {"l": [0, 0, 1, 1], "r": [0, 1, 0, 1], "score": [5, 9, 9, 1], "tie": [0, 0, 0, 0]}
    )
    got = pair_one_to_one(cands).sort_values("l")
    assert got[["l", "r"]].values.tolist() == [[0, 1], [1, 0]]


def test_ties_pair_by_rank_in_one_round() -> None:
    n = 50
    cands = pd.DataFrame(
        [(i, j, 0, abs(i - j)) for i in range(n) for j in range(n)],
        columns=["l", "r", "score", "tie"],
    )
    got = pair_one_to_one(cands, max_rounds=1)
    assert sorted(got[["l", "r"]].values.tolist()) == [[i, i] for i in range(n)]


def test_window_candidates_stay_linear_for_a_repeated_amount() -> None:
    n = 5000
    days = pd.Timestamp("2026-10-01") + pd.to_timedelta(np.arange(n) % 28, unit="D")
    side = pd.DataFrame({"currency": "MXN", "amount": 100000, "date": days})
    cands = window_candidates(side, side, ["currency", "amount"], 3, neighbours=3)
    assert len(cands) <= n * 7
    assert set(cands["days"]) <= {0, 1, 2, 3}


def test_window_candidates_cross_small_groups_in_full() -> None:
    left = pd.DataFrame(
        {
            "currency": ["MXN"] * 2,
            "amount": [5, 5],
            "date": pd.to_datetime(["2026-10-01", "2026-10-03"]),
        }
    )
    right = pd.DataFrame(
        {
            "currency": ["MXN"] * 3,
            "amount": [5, 5, 6],
            "date": pd.to_datetime(["2026-10-02", "2026-10-20", "2026-10-01"]),
        }
    )
    cands = window_candidates(left, right, ["currency", "amount"], 5)
    assert sorted(cands[["l", "r"]].values.tolist()) == [[0, 0], [1, 0]]


def test_items_table_types_and_unknown_columns() -> None:
    t = items_table(2, section="matched", currency="MXN", left_amount=[1, None], left_date=None)
    assert list(t.columns) == RECON_ITEMS.names
    assert str(t["left_amount"].dtype) == "Int64" and t["left_amount"].isna().tolist() == [
        False,
        True,
    ]
    assert t["right_ids"].tolist() == ["", ""]
    with pytest.raises(KeyError):
        items_table(1, not_a_column=1)
