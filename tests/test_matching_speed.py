"""The fast paths of the matching search give the same answers as the general ones."""

from __future__ import annotations

import numpy as np
import pytest

from cuadre.matching import search
from cuadre.matching.index import name_key
from cuadre.matching.policy import MatchPolicy
from cuadre.matching.search import explain_shortfall, find_runs


def _numpy_runs(amounts: np.ndarray, target: int, max_len: int, holes: int) -> list[list[int]]:
    saved = search._SMALL
    search._SMALL = 0
    try:
        return find_runs(amounts, target, max_len, holes)
    finally:
        search._SMALL = saved


@pytest.mark.parametrize("seed", range(40))
def test_short_runs_same_as_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, search._SMALL + 1))
    # few distinct values, so that sums, skips and ties are frequent
    amounts = rng.choice([100, 250, 300, 550, 1000, 1250], size=n).astype(np.int64)
    for _ in range(25):
        a, b = sorted(rng.integers(0, n + 1, size=2).tolist())
        target = int(amounts[a:b].sum()) - int(rng.choice([0, 0, 100, 250, 300]))
        for max_len, holes in ((12, 1), (3, 1), (12, 0)):
            want = _numpy_runs(amounts, target, max_len, holes)
            assert find_runs(amounts, target, max_len, holes) == want


def test_short_runs_found() -> None:
    amounts = np.array([100, 200, 300, 400], dtype=np.int64)
    assert find_runs(amounts, 500, 12) == [[1, 2]]
    assert find_runs(amounts, 300, 12) == [[0, 1], [2]]
    # 100 + 300 + 400 skips the 200 the payer left out
    assert find_runs(amounts, 800, 12, holes=1) == [[0, 2, 3]]
    assert find_runs(amounts, 800, 12, holes=0) == []


def test_withholding_same_as_per_document_sum() -> None:
    policy = MatchPolicy()
    # 2.5 % income tax on the base of two COP invoices with 19 % VAT, no reteIVA
    docs = [119_000_00, 238_000_00]
    bases = [100_000_00, 200_000_00]
    short = sum(b * 25 // 1000 for b in bases)
    words, why = explain_shortfall(short, docs, "COP", policy) or ("", "")
    assert why == "withholding tax"
    assert words == "withholding: 2.5% income tax"


def test_name_key_cached_and_pure() -> None:
    first = name_key("Distribuidora Ñandú, S.A. de C.V.")
    assert first == name_key("Distribuidora Ñandú, S.A. de C.V.") == "DISTRIBUIDORA NANDU"
