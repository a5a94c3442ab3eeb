"""What every reconciliation shares: the items table, totals, breakdown, controls, pairing.

- :func:`items_table` builds ``reconciliation_items`` rows from columns (vectorised);
- :func:`finish` turns the items of a reconciliation into a :class:`Reconciliation`:
  totals per currency from the *inputs* (not from the items, so the control means
  something), the breakdown of left - right by cause, and the control block;
- :func:`pair_one_to_one` chooses, among scored candidate pairs, a set where each item
  is used once (rounds of mutual best choices: vectorised, order-independent);
- :func:`window_candidates` proposes pairs with equal keys (currency + amount) whose
  dates are within a window, without the quadratic blow-up of a plain merge when many
  items share one amount.

Determinism: inputs are put in a canonical order (:func:`canonical`) before any choice
is made, and ties are broken by dates and ids, never by row position, so shuffling the
input rows gives the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from cuadre.close import Control
from cuadre.findings import Finding, Location, error
from cuadre.model.tables import Kind
from cuadre.money import UnknownCurrencyError, format_amount
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.tables import RECON_BREAKDOWN, RECON_ITEMS, RECON_TOTALS, SECTIONS

SECTION_ORDER = {s: i for i, s in enumerate(SECTIONS)}


# --------------------------------------------------------------------------- small helpers


def show(units: int, currency: str) -> str:
    """``1,234.56 MXN`` (2 decimals for a currency Cuadre does not know)."""
    try:
        return format_amount(int(units), currency)
    except UnknownCurrencyError:
        return f"{Decimal(int(units)).scaleb(-2):,.2f} {currency}"


def provenance(frame: pd.DataFrame) -> pd.Series:
    """``file:row`` of each row (``source_path`` + ``source_row``), ``""`` when unknown."""
    if "source_path" not in frame or "source_row" not in frame or frame.empty:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    path = frame["source_path"].astype(object).fillna("").astype(str)
    row = frame["source_row"].astype("Int64").astype(str).replace("<NA>", "")
    out = (path + ":" + row).where(path.ne("") & row.ne(""), path)
    return out.astype(object)


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column as object strings (``""`` when absent or empty)."""
    if column not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    s = frame[column]
    if s.dtype == object and not s.isna().any():
        return s
    return s.astype(object).where(s.notna(), "").astype(str).astype(object)


def money(frame: pd.DataFrame, column: str) -> pd.Series:
    """A money column as int64 (empty -> 0)."""
    if column not in frame:
        return pd.Series(0, index=frame.index, dtype="int64")
    return frame[column].astype("Int64").fillna(0).astype("int64")


def canonical(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Rows in a fixed order whatever order they came in (then numbered 0..n-1)."""
    cols = [c for c in by if c in frame]
    if not cols or frame.empty:
        return frame.reset_index(drop=True)
    return frame.sort_values(cols, kind="stable", na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------- items


def items_table(n: int, **columns: Any) -> pd.DataFrame:
    """``reconciliation_items`` rows from column values (sequences of length n or scalars)."""
    unknown = set(columns) - set(RECON_ITEMS.names)
    if unknown:
        raise KeyError(f"not reconciliation_items columns: {sorted(unknown)}")
    if n == 0:
        return _EMPTY_ITEMS.copy()
    data: dict[str, Any] = {}
    for col in RECON_ITEMS.columns:
        value = columns.get(col.name)
        if isinstance(value, pd.Series):
            value = value.to_numpy()
        scalar = value is None or np.isscalar(value)
        if col.kind in (Kind.MONEY, Kind.INT):
            data[col.name] = pd.array([value] * n if scalar else value, dtype="Int64")
        elif col.kind == Kind.DATE:
            data[col.name] = (
                np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
                if value is None
                else pd.to_datetime(pd.Series([value] * n if scalar else value), errors="coerce")
                .astype("datetime64[ns]")
                .to_numpy()
            )
        elif col.kind == Kind.RATIO:
            data[col.name] = (
                np.full(n, np.nan)
                if value is None
                else pd.to_numeric(pd.Series([value] * n if scalar else value), errors="coerce")
                .astype("float64")
                .to_numpy()
            )
        elif scalar:
            data[col.name] = np.full(n, "" if value is None else str(value), dtype=object)
        else:
            data[col.name] = np.array(
                ["" if v is None or v is pd.NA or v != v else str(v) for v in value],  # type: ignore[union-attr]
                dtype=object,
            )
    return pd.DataFrame(data)


def _empty_items() -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for col in RECON_ITEMS.columns:
        if col.kind in (Kind.MONEY, Kind.INT):
            data[col.name] = pd.Series(dtype="Int64")
        elif col.kind == Kind.DATE:
            data[col.name] = pd.Series(dtype="datetime64[ns]")
        elif col.kind == Kind.RATIO:
            data[col.name] = pd.Series(dtype="float64")
        else:
            data[col.name] = pd.Series(dtype=object)
    return pd.DataFrame(data)


_EMPTY_ITEMS = _empty_items()


def empty_items() -> pd.DataFrame:
    return items_table(0)


def concat_items(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_items()
    return pd.concat(parts, ignore_index=True)


def sort_items(items: pd.DataFrame) -> pd.DataFrame:
    if items.empty:
        return items.reset_index(drop=True)
    order = items["section"].map(SECTION_ORDER)
    keyed = items.assign(_order=order)
    cols = ["_order", "currency", "left_date", "right_date", "left_ids", "right_ids", "cause"]
    keyed = keyed.sort_values(cols, kind="stable", na_position="last")
    return keyed.drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- totals


def side_totals(frame: pd.DataFrame, amount: str, currency: str = "currency") -> pd.DataFrame:
    """Items and total per currency of one side's input: columns currency, items, total."""
    if frame.empty:
        return pd.DataFrame({"currency": pd.Series(dtype=object), "items": [], "total": []})
    values = money(frame, amount)
    grouped = values.groupby(text(frame, currency)).agg(["size", "sum"])
    out = grouped.reset_index()
    out.columns = ["currency", "items", "total"]
    return out


def _totals_by_cur(t: pd.DataFrame) -> dict[str, tuple[int, int]]:
    return {
        str(c): (int(i), int(v))
        for c, i, v in zip(t["currency"], t["items"], t["total"], strict=True)
    }


def _section_sums(items: pd.DataFrame, side: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(section, currency) -> (items, amount) of one side."""
    if items.empty:
        return {}
    amount = items[f"{side}_amount"].fillna(0).astype("int64")
    count = items[f"{side}_count"].fillna(0).astype("int64")
    frame = pd.DataFrame(
        {"section": items["section"], "currency": items["currency"], "a": amount, "n": count}
    )
    g = frame.groupby(["section", "currency"]).agg(n=("n", "sum"), a=("a", "sum"))
    return {(str(s), str(c)): (int(r.n), int(r.a)) for (s, c), r in g.iterrows()}


def breakdown_of(items: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """left - right by cause: + left-only amounts, - right-only amounts, + differences."""
    rest = items[items["section"].ne("matched")]
    if rest.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RECON_BREAKDOWN.names})
    contribution = rest["left_amount"].fillna(0).astype("int64") - rest["right_amount"].fillna(
        0
    ).astype("int64")
    frame = pd.DataFrame(
        {"currency": rest["currency"], "cause": rest["cause"].replace("", "unclassified")}
    ).assign(amount=contribution.to_numpy())
    g = frame.groupby(["currency", "cause"]).agg(items=("amount", "size"), amount=("amount", "sum"))
    out = g.reset_index()
    out["label"] = out["cause"].map(lambda c: labels.get(c, c.replace("_", " ")))
    out["items"] = out["items"].astype("Int64")
    out["amount"] = out["amount"].astype("Int64")
    return out[RECON_BREAKDOWN.names].reset_index(drop=True)


def totals_table(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    lt, rt = _totals_by_cur(left), _totals_by_cur(right)
    rows = []
    for cur in sorted(set(lt) | set(rt)):
        ln, la = lt.get(cur, (0, 0))
        rn, ra = rt.get(cur, (0, 0))
        rows.append(
            {
                "currency": cur,
                "left_items": ln,
                "left_total": la,
                "right_items": rn,
                "right_total": ra,
                "difference": la - ra,
            }
        )
    out = pd.DataFrame(rows, columns=RECON_TOTALS.names)
    for c in RECON_TOTALS.names[1:]:
        out[c] = out[c].astype("Int64")
    out["currency"] = out["currency"].astype(object)
    return out


def control_block(
    left_name: str,
    right_name: str,
    left: pd.DataFrame,
    right: pd.DataFrame,
    items: pd.DataFrame,
    breakdown: pd.DataFrame,
) -> list[Control]:
    """Per currency: each side's total in = matched + differences + only that side
    (amounts and item counts), and left - right = the breakdown."""
    lt, rt = _totals_by_cur(left), _totals_by_cur(right)
    sums = {"left": _section_sums(items, "left"), "right": _section_sums(items, "right")}
    explained: dict[str, int] = {}
    for cur, amount in zip(breakdown["currency"], breakdown["amount"], strict=True):
        explained[str(cur)] = explained.get(str(cur), 0) + int(amount)
    currencies = sorted(set(lt) | set(rt) | {c for s in sums.values() for _, c in s})
    out: list[Control] = []
    for cur in currencies:
        for side, name, totals, only in (
            ("left", left_name, lt, "left_only"),
            ("right", right_name, rt, "right_only"),
        ):
            n_in, a_in = totals.get(cur, (0, 0))
            part = {s: sums[side].get((s, cur), (0, 0)) for s in ("matched", "difference", only)}
            a_out = sum(v[1] for v in part.values())
            n_out = sum(v[0] for v in part.values())
            out += [
                Control(name, "Total", cur, a_in),
                Control(name, "Matched", cur, part["matched"][1]),
                Control(name, "Matched with differences", cur, part["difference"][1]),
                Control(name, f"Only in {name}", cur, part[only][1]),
                Control(
                    name,
                    "Total = matched + differences + only here",
                    cur,
                    a_in - a_out,
                    a_in == a_out,
                ),
                Control(
                    name,
                    "Items = matched + differences + only here",
                    cur,
                    n_in - n_out,
                    n_in == n_out,
                ),
            ]
        diff = lt.get(cur, (0, 0))[1] - rt.get(cur, (0, 0))[1]
        sec = "Reconciling difference"
        out += [
            Control(sec, f"{left_name} - {right_name}", cur, diff),
            Control(sec, "Explained by the reconciling items", cur, explained.get(cur, 0)),
            Control(
                sec,
                "Difference = reconciling items",
                cur,
                diff - explained.get(cur, 0),
                diff == explained.get(cur, 0),
            ),
        ]
    return out


def finish(
    kind: str,
    left_name: str,
    right_name: str,
    left_in: pd.DataFrame,
    right_in: pd.DataFrame,
    items: pd.DataFrame,
    labels: Mapping[str, str],
    findings: list[Finding],
    *,
    statement: pd.DataFrame | None = None,
    extra: dict[str, pd.DataFrame] | None = None,
) -> Reconciliation:
    """Assemble the result. ``left_in``/``right_in``: each side's input totals
    (:func:`side_totals`); ``items``: every row of the four sections."""
    items = sort_items(items)
    breakdown = breakdown_of(items, labels)
    controls = control_block(left_name, right_name, left_in, right_in, items, breakdown)
    for c in controls:
        if c.check is False:
            findings.append(
                error(
                    Location(kind),
                    "CONTROL_FAILED",
                    f"{c.section}: {c.label} fails in {c.currency} by {c.value:,}",
                    "This is a defect in Cuadre, not in your data: please report it.",
                )
            )

    def part(section: str) -> pd.DataFrame:
        return items[items["section"].eq(section)].reset_index(drop=True)

    return Reconciliation(
        kind=kind,
        left_name=left_name,
        right_name=right_name,
        totals=totals_table(left_in, right_in),
        matched=part("matched"),
        differences=part("difference"),
        left_only=part("left_only"),
        right_only=part("right_only"),
        breakdown=breakdown,
        controls=controls,
        findings=findings,
        statement=statement,
        extra=extra or {},
    )


# --------------------------------------------------------------------------- pairing


def pair_one_to_one(cands: pd.DataFrame, max_rounds: int = 64) -> pd.DataFrame:
    """Choose pairs from candidates so that each left ``l`` and right ``r`` is used once.

    ``cands`` has integer columns ``l``, ``r`` (positions in canonical order), ``score``
    (higher is better) and ``tie`` (lower is better, e.g. rank distance). Each round
    accepts the pairs that are each other's best choice (the best pair overall always
    is), removes their items from the other candidates, and repeats. Returns the
    accepted rows of ``cands``.
    """
    accepted: list[pd.DataFrame] = []
    rest = cands
    for _ in range(max_rounds):
        if rest.empty:
            break
        ordered = rest.sort_values(["score", "tie", "l", "r"], ascending=[False, True, True, True])
        best_l = ordered.drop_duplicates("l")
        best_r = rest.sort_values(
            ["score", "tie", "r", "l"], ascending=[False, True, True, True]
        ).drop_duplicates("r")
        mutual = best_l.merge(best_r[["l", "r"]], on=["l", "r"])
        if mutual.empty:  # pragma: no cover - the best pair overall is always mutual
            break
        accepted.append(mutual)
        rest = rest[~rest["l"].isin(mutual["l"]) & ~rest["r"].isin(mutual["r"])]
    else:
        accepted.append(_greedy(rest))
    if not accepted:
        return cands.iloc[0:0]
    return pd.concat(accepted, ignore_index=True)


def _greedy(rest: pd.DataFrame) -> pd.DataFrame:
    """The long tail after ``max_rounds``: plain greedy in score order."""
    ordered = rest.sort_values(["score", "tie", "l", "r"], ascending=[False, True, True, True])
    used_l: set[int] = set()
    used_r: set[int] = set()
    keep = []
    for idx, li, ri in zip(ordered.index, ordered["l"], ordered["r"], strict=True):
        if li in used_l or ri in used_r:
            continue
        used_l.add(li)
        used_r.add(ri)
        keep.append(idx)
    return ordered.loc[keep]


def window_candidates(
    left: pd.DataFrame,
    right: pd.DataFrame,
    keys: Sequence[str],
    window_days: int,
    *,
    full_limit: int = 64,
    neighbours: int = 3,
) -> pd.DataFrame:
    """Pairs ``(l, r)`` with equal ``keys`` and ``|date_l - date_r| <= window_days``.

    ``left``/``right`` need the ``keys`` and a ``date`` column; ``l``/``r`` are their
    positions. Groups small enough (``n_left x n_right <= full_limit``) are crossed in
    full; in bigger groups (a round amount paid a thousand times) each item is offered
    only its ``neighbours`` nearest by date rank on the other side, so the work stays
    linear. Returns columns l, r, days (absolute date distance), rank_gap.
    """
    lk = left[list(keys)].assign(l=np.arange(len(left)), date=left["date"].to_numpy())
    rk = right[list(keys)].assign(r=np.arange(len(right)), date=right["date"].to_numpy())
    lk["rank"] = lk.sort_values([*keys, "date", "l"]).groupby(list(keys)).cumcount()
    rk["rank"] = rk.sort_values([*keys, "date", "r"]).groupby(list(keys)).cumcount()
    nl = lk.groupby(list(keys)).size().rename("nl")
    nr = rk.groupby(list(keys)).size().rename("nr")
    sizes = pd.concat([nl, nr], axis=1, join="inner")
    big = sizes[sizes["nl"] * sizes["nr"] > full_limit].index
    lk_big = lk.set_index(list(keys)).index.isin(big)
    rk_big = rk.set_index(list(keys)).index.isin(big)
    parts = []
    small = lk[~lk_big].merge(rk[~rk_big], on=list(keys), suffixes=("_l", "_r"))
    parts.append(small.assign(rank_gap=(small["rank_l"] - small["rank_r"]).abs()))
    if len(big):
        lb, rb = lk[lk_big], rk[rk_big]
        # ranks on both sides are aligned by date order; offer nearby ranks only
        for shift in range(-neighbours, neighbours + 1):
            shifted = rb.assign(rank=rb["rank"] + shift)
            near = lb.merge(shifted, on=[*keys, "rank"], suffixes=("_l", "_r"))
            parts.append(near.assign(rank_gap=abs(shift)))
    cands = pd.concat(parts, ignore_index=True)
    if cands.empty:
        return pd.DataFrame({"l": [], "r": [], "days": [], "rank_gap": []}, dtype="int64")
    days = (cands["date_l"] - cands["date_r"]).dt.days.abs()
    out = pd.DataFrame(
        {"l": cands["l"], "r": cands["r"], "days": days, "rank_gap": cands["rank_gap"]}
    )
    out = out[out["days"].le(window_days)].drop_duplicates(["l", "r"])
    types = {"l": "int64", "r": "int64", "days": "int64", "rank_gap": "int64"}
    return out.astype(types).reset_index(drop=True)


def maximise_pairs(
    pairs: pd.DataFrame,
    left: pd.DataFrame,
    right: pd.DataFrame,
    keys: Sequence[str],
    window_days: int,
    keep: pd.Series | None = None,
) -> pd.DataFrame:
    """Pair as many items as possible where nearest-first choices left some out.

    Choosing the nearest date first can strand items (bank on the 1st and 4th, books on
    the 4th and 7th, a 5-day window: the 4th pairs with the 4th and the other two are
    more than 5 days apart). In each ``keys`` group with unpaired items on both sides,
    the group is paired again in date order, each left item with the earliest free
    right item within the window, which pairs the most items possible; that pairing is
    used when it pairs more. Pairs flagged in ``keep`` (e.g. found by reference) stay.
    Returns pairs ``l``, ``r`` (the input's other columns are dropped for re-paired
    groups and kept otherwise) with a boolean ``repaired``.
    """
    pairs = pairs.assign(repaired=False)
    kept = keep if keep is not None else pd.Series(False, index=pairs.index)
    lkey = _key(left, keys)
    rkey = _key(right, keys)
    used_l = np.zeros(len(left), dtype=bool)
    used_r = np.zeros(len(right), dtype=bool)
    used_l[pairs["l"].to_numpy(dtype="int64")] = True
    used_r[pairs["r"].to_numpy(dtype="int64")] = True
    both = set(lkey[~used_l]) & set(rkey[~used_r])
    if not both:
        return pairs
    pair_key = lkey[pairs["l"].to_numpy(dtype="int64")]
    fixed_l = set(pairs.loc[kept.to_numpy(dtype=bool), "l"])
    fixed_r = set(pairs.loc[kept.to_numpy(dtype=bool), "r"])
    ldays = _days(left["date"])
    rdays = _days(right["date"])
    out = [pairs]
    for group in sorted(both):
        ls = [int(i) for i in np.flatnonzero(lkey == group) if i not in fixed_l]
        rs = [int(i) for i in np.flatnonzero(rkey == group) if i not in fixed_r]
        ls.sort(key=lambda i: (ldays[i], i))
        rs.sort(key=lambda i: (rdays[i], i))
        new = _date_order_pairs(ls, rs, ldays, rdays, window_days)
        mine = (pair_key == group) & ~kept.to_numpy(dtype=bool)
        if len(new) > int(mine.sum()):
            out[0] = out[0][~(out[0]["l"].isin(ls) & ~kept.reindex(out[0].index, fill_value=False))]
            out.append(pd.DataFrame(new, columns=["l", "r"]).assign(repaired=True))
    return pd.concat(out, ignore_index=True)


def _key(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    parts = [frame[k].astype(str).to_numpy(dtype=object) for k in keys]
    return np.array(["\x1f".join(t) for t in zip(*parts, strict=True)], dtype=object)


def _days(dates: pd.Series) -> np.ndarray:
    values = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]")
    big = np.iinfo(np.int64).max // 4
    return np.where(np.isnat(values), big, values.astype("int64"))


def _date_order_pairs(
    ls: list[int], rs: list[int], ldays: np.ndarray, rdays: np.ndarray, window: int
) -> list[tuple[int, int]]:
    """Each left item (by date) with the earliest free right item within the window."""
    found = []
    j = 0
    for i in ls:
        while j < len(rs) and rdays[rs[j]] < ldays[i] - window:
            j += 1  # too early for this and every later left item
        if j < len(rs) and rdays[rs[j]] <= ldays[i] + window:
            found.append((i, rs[j]))
            j += 1
    return found


def join_ids(values: Sequence[str]) -> str:
    return ";".join(str(v) for v in values)


__all__ = [
    "canonical",
    "concat_items",
    "empty_items",
    "finish",
    "items_table",
    "join_ids",
    "maximise_pairs",
    "money",
    "pair_one_to_one",
    "provenance",
    "show",
    "side_totals",
    "text",
    "window_candidates",
]
