"""Searching a customer's open documents for the ones a payment settles.

- :func:`find_runs`: consecutive invoices in due-date order (customers pay their
  oldest invoices first, so a batch payment is usually a run, perhaps skipping a
  disputed invoice) whose total equals the amount;
- :func:`find_subsets`: any combination, bounded, for the proof that a sum is or is not
  unique among the customer's oldest documents;
- :func:`explain_shortfall`: why a payment is short of its documents (bank fee,
  early-payment discount, Colombian withholdings, the tolerance).
"""

from __future__ import annotations

from bisect import bisect_left
from fractions import Fraction
from functools import lru_cache

import numpy as np

from cuadre.matching.policy import MatchPolicy
from cuadre.money import exponent, format_amount, to_minor


def find_runs(
    amounts: np.ndarray, target: int, max_len: int, holes: int = 1, limit: int = 3
) -> list[list[int]]:
    """Index sets of consecutive ``amounts`` (all positive) whose sum is ``target``.

    A run may skip up to ``holes`` items inside it (one disputed invoice the payer
    left out). Runs without a skip come first; at most ``limit`` distinct sets are
    returned (two are enough to know the sum is ambiguous)."""
    n = len(amounts)
    if n == 0 or target <= 0:
        return []
    if n <= _SMALL:
        values = [int(a) for a in amounts]
        if min(values) > 0:
            return _runs_small(values, target, max_len, holes, limit)
    prefix = np.concatenate([[0], np.cumsum(amounts, dtype=np.int64)])
    found: list[list[int]] = []
    # no skip: prefix[j] - prefix[i] == target, prefix is strictly increasing
    j = np.searchsorted(prefix, prefix[:-1] + target)
    i = np.arange(n)
    ok = (j <= n) & (j - i <= max_len)
    ok[ok] = prefix[j[ok]] == prefix[i[ok]] + target
    for a, b in zip(i[ok].tolist(), j[ok].tolist(), strict=True):
        found.append(list(range(a, b)))
        if len(found) >= limit:
            return found
    if holes < 1 or n < 3:
        return found
    # one skipped item k, a < k < b - 1: sum(a..b) - target == amounts[k]
    width = min(max_len + 1, n)
    starts = np.arange(n)[:, None]
    ends = starts + np.arange(3, width + 1)[None, :]  # exclusive end, run of >= 3 items
    valid = ends <= n
    sums = np.where(valid, prefix[np.minimum(ends, n)] - prefix[starts], 0)
    excess = sums - target
    ordered = np.sort(amounts)
    at = np.minimum(np.searchsorted(ordered, excess), n - 1)
    cand = valid & (excess > 0) & (ordered[at] == excess)
    for a, b in zip(*np.nonzero(cand), strict=True):
        a, b = int(a), int(ends[a, b])
        inner = np.flatnonzero(amounts[a + 1 : b - 1] == sums[a, b - a - 3] - target)
        for k in inner.tolist():
            chosen = [x for x in range(a, b) if x != a + 1 + k]
            if chosen not in found:
                found.append(chosen)
            if len(found) >= limit:
                return found
    return found


def find_runs_two_holes(
    amounts: list[int], target: int, max_len: int, limit: int = 2
) -> list[list[int]]:
    """Index sets of consecutive ``amounts`` that skip exactly two items inside the run
    (two invoices the payer left out: disputed, or paid apart) and sum to ``target``;
    at most ``limit``. Positive amounts; O(n * max_len^2) at worst, for the cases
    :func:`find_runs` does not settle."""
    n = len(amounts)
    found: list[list[int]] = []
    if n < 4 or target <= 0:
        return found
    prefix = [0] * (n + 1)
    for i, v in enumerate(amounts):
        prefix[i + 1] = prefix[i] + v
    top = sorted(amounts)[-2:]
    most = top[0] + top[1]  # no two items skip more than this
    for a in range(n):
        for b in range(a + 4, min(a + max_len + 2, n) + 1):  # exclusive end, 2 skipped
            excess = prefix[b] - prefix[a] - target
            if excess <= 0:
                continue
            if excess > most:
                break  # longer windows only skip more
            seen: dict[int, int] = {}
            for k in range(a + 1, b - 1):
                other = seen.get(excess - amounts[k])
                if other is not None:
                    chosen = [x for x in range(a, b) if x not in (other, k)]
                    if chosen not in found:
                        found.append(chosen)
                    if len(found) >= limit:
                        return found
                seen.setdefault(amounts[k], k)
    return found


_SMALL = 24
"""Up to this many amounts, plain Python beats numpy's per-call overhead (a customer
has a handful of open invoices); the results and their order are the same."""


def _runs_small(
    values: list[int], target: int, max_len: int, holes: int, limit: int
) -> list[list[int]]:
    """:func:`find_runs` on a short list of positive ints, same sets in the same order."""
    n = len(values)
    prefix = [0] * (n + 1)
    for i, v in enumerate(values):
        prefix[i + 1] = prefix[i] + v
    found: list[list[int]] = []
    for a in range(n):
        want = prefix[a] + target
        b = bisect_left(prefix, want)
        if b <= n and b - a <= max_len and prefix[b] == want:
            found.append(list(range(a, b)))
            if len(found) >= limit:
                return found
    if holes < 1 or n < 3:
        return found
    present = set(values)
    width = min(max_len + 1, n)
    for a in range(n):
        for b in range(a + 3, min(a + width, n) + 1):
            excess = prefix[b] - prefix[a] - target
            if excess <= 0 or excess not in present:
                continue
            for k in range(a + 1, b - 1):
                if values[k] != excess:
                    continue
                chosen = [x for x in range(a, b) if x != k]
                if chosen not in found:
                    found.append(chosen)
                if len(found) >= limit:
                    return found
    return found


_HALF_BITS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _half(h: int) -> tuple[np.ndarray, np.ndarray]:
    """(bit matrix of all subsets of h items, their sizes), cached per h."""
    if h not in _HALF_BITS:
        bits = ((np.arange(1 << h)[:, None] >> np.arange(h)[None, :]) & 1).astype(np.int64)
        _HALF_BITS[h] = (bits, bits.sum(axis=1))
    return _HALF_BITS[h]


def subset_sums(amounts: np.ndarray, target: int, max_size: int, limit: int = 2) -> list[list[int]]:
    """Every way (up to ``limit``) that at most ``max_size`` of ``amounts`` (at most 22
    items) sum exactly to ``target``: meet in the middle, complete, no step budget."""
    n = len(amounts)
    if n == 0 or target <= 0:
        return []
    if n > 22:
        raise ValueError(f"subset_sums searches at most 22 items; yours are {n}")
    h = n // 2
    lb, ls = _half(h)
    rb, rs = _half(n - h)
    left = lb @ amounts[:h]
    right = rb @ amounts[h:]
    order = np.argsort(right, kind="stable")
    rsorted = right[order]
    need = target - left
    lo = np.searchsorted(rsorted, need, "left")
    hi = np.searchsorted(rsorted, need, "right")
    found: list[list[int]] = []
    for i in np.flatnonzero(hi > lo).tolist():
        for k in order[lo[i] : hi[i]].tolist():
            if ls[i] + rs[k] == 0 or ls[i] + rs[k] > max_size:
                continue
            chosen = [j for j in range(h) if lb[i, j]] + [h + j for j in range(n - h) if rb[k, j]]
            found.append(chosen)
            if len(found) >= limit:
                return found
    return found


def find_subsets(
    amounts: list[int], target: int, max_size: int, limit: int = 2, budget: int = 20_000
) -> list[list[int]]:
    """Index sets of ``amounts`` (all positive) summing exactly to ``target``.

    At most ``max_size`` items per set and ``limit`` sets (two are enough to know a sum is
    ambiguous). Searched largest first with two bounds (an item larger than what is left
    is skipped; if the largest items that may still be added cannot reach it, the branch
    ends), and at most ``budget`` steps so that a pathological customer cannot stall a
    run. Each set is returned in the original order of ``amounts``.
    """
    order = sorted(range(len(amounts)), key=lambda i: -amounts[i])
    values = [amounts[i] for i in order]
    n = len(values)
    prefix = [0] * (n + 1)
    for i, v in enumerate(values):
        prefix[i + 1] = prefix[i] + v
    found: list[list[int]] = []
    steps = 0

    def walk(start: int, left: int, chosen: list[int]) -> None:
        nonlocal steps
        room = max_size - len(chosen)
        for i in range(start, n):
            steps += 1
            # the largest `room` items from i on cannot reach what is left: stop
            if len(found) >= limit or steps > budget or prefix[min(n, i + room)] - prefix[i] < left:
                return
            v = values[i]
            if v > left:
                continue
            if v == left:
                found.append(sorted(order[j] for j in [*chosen, i]))
                continue
            if room > 1:
                walk(i + 1, left - v, [*chosen, i])

    if target > 0:
        walk(0, target, [])
    return found


def _slack(cur: str, n_docs: int) -> int:
    """Rounding room when recomputing a deduction: payers in COP round to whole pesos."""
    unit = 10 ** exponent(cur) if cur in WHOLE_UNIT_CURRENCIES else 1
    return unit * (n_docs + 1)


WHOLE_UNIT_CURRENCIES = frozenset({"COP", "CLP", "PYG", "HUF"})


def _half_up(units: int, pct: float) -> int:
    """``units * pct / 100`` rounded half up (away from zero), exactly, as integers."""
    num, den = _ratio(pct)
    return _div_half_up(units * num, den * 100)


@lru_cache(maxsize=256)
def _ratio(value: float) -> tuple[int, int]:
    """A rate as written (``2.5``) as an exact fraction (5, 2)."""
    return Fraction(str(value)).limit_denominator(10**6).as_integer_ratio()


def _div_half_up(num: int, den: int) -> int:
    q, r = divmod(abs(num), den)
    q += 2 * r >= den
    return q if num >= 0 else -q


def explain_shortfall(
    short: int, doc_amounts: list[int], cur: str, policy: MatchPolicy
) -> tuple[str, str] | None:
    """Why a payment is ``short`` below its documents, when a known rule says so.

    Returns (words for the reason, difference_reason) or None. Tried in order: a bank
    fee (up to ``policy.bank_fees``), an early-payment discount (``discount_rates`` of
    the documents), Colombian withholdings (retención en la fuente on the base plus
    reteIVA on the VAT, per document), and the general tolerance.
    """
    if short <= 0:
        return None
    total = sum(doc_amounts)
    slack = _slack(cur, len(doc_amounts))
    for rate in policy.discount_rates:
        if abs(short - _half_up(total, rate)) <= slack:
            return f"{rate:g}% early-payment discount taken", "early payment discount"
    vat, vat_rates = policy.vat_withholding.get(cur, (0.0, [0.0]))
    rates = policy.withholding.get(cur, [])
    bases: list[int] = []
    on_vat: dict[float, int] = {}
    if rates:
        # per document: its base without VAT, and the VAT; then each rate's total
        vn, vd = _ratio(vat)
        bases = [_div_half_up(amount * 100 * vd, 100 * vd + vn) for amount in doc_amounts]
        vats = [amount - base for amount, base in zip(doc_amounts, bases, strict=True)]
        on_vat = {vr: sum(_half_up(v, vr) for v in vats) for vr in vat_rates}
    for rate in rates:
        on_base = sum(_half_up(base, rate) for base in bases)
        for vat_rate in vat_rates:
            withheld = on_base + on_vat[vat_rate]
            if abs(short - withheld) <= slack:
                words = f"withholding: {rate:g}% income tax" + (
                    f" + {vat_rate:g}% of the VAT" if vat_rate else ""
                )
                return words, "withholding tax"
    fee_max = policy.bank_fees.get(cur)
    if fee_max is not None and short <= to_minor(str(fee_max), cur) and short < total / 4:
        return f"bank fee of {format_amount(short, cur)} deducted", "bank fee"
    if short <= total * policy.tolerance_pct / 100:
        return (
            f"{format_amount(short, cur)} short (within {policy.tolerance_pct}% tolerance)",
            "short payment: bank fee or discount",
        )
    return None
