"""Indexes built once per run: open documents by key, customer and amount; customers by
account, tax id and name (with a token index so that fuzzy names scale)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cuadre.matching.references import document_keys
from cuadre.text import compact, normalize_name, split_list, strip_cut_legal_form


class KeyIndex:
    """Many documents per key, built with one hash pass (no dict of lists per row)."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray) -> None:
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
        self._order = rows[np.argsort(codes, kind="stable")]
        counts = np.bincount(codes, minlength=len(uniques)) if len(codes) else np.zeros(0, int)
        starts = np.concatenate([[0], np.cumsum(counts)])
        self._span = dict(
            zip(
                uniques.tolist(),
                zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True),
                strict=True,
            )
        )

    def get(self, key: str) -> list[int]:
        span = self._span.get(key)
        return [] if span is None else self._order[span[0] : span[1]].tolist()

    def __contains__(self, key: str) -> bool:
        return key in self._span


_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class Docs:
    """The open documents, positions 0..n-1; ``remaining`` falls as payments apply."""

    frame: pd.DataFrame
    remaining: np.ndarray
    ids: list[str]
    cust: list[str]
    cur: list[str]
    kind: list[str]
    due: np.ndarray  # days since the epoch, for order and proximity
    core: list[str]  # numeric core of each id: FA-0104233 -> 104233
    prefixes: frozenset[str]  # series letters of the ids: FA, F, INV, FV, NC
    by_compact: KeyIndex
    by_core: KeyIndex
    by_reference: KeyIndex
    by_reference_core: KeyIndex
    customer_span: dict[tuple[str, str], tuple[int, int]]
    customer_order: np.ndarray  # positions sorted by customer, currency, due, id
    threshold: float = 0.9
    by_amount: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    core3: dict[str, list[int]] | None = None  # 3-digit numbers, built when first needed
    _provenance: dict[str, np.ndarray] | None = None

    def of_customer(self, cust: str, cur: str) -> np.ndarray:
        """The customer's documents in ``cur``, oldest due first (settled ones too)."""
        span = self.customer_span.get((cust, cur))
        return _EMPTY if span is None else self.customer_order[span[0] : span[1]]

    def open_of(self, cust: str, cur: str) -> np.ndarray:
        docs = self.of_customer(cust, cur)
        return docs[self.remaining[docs] != 0]

    def src(self, d: int) -> str:
        """``file:Sheet!row`` of document ``d`` (empty when the table has no provenance)."""
        if self._provenance is None:
            self._provenance = {
                c: self.frame[c].to_numpy(dtype=object)
                for c in ("source_path", "source_sheet", "source_row")
                if c in self.frame
            }
        prov = self._provenance
        if "source_path" not in prov:
            return ""
        return source_of({c: v[d] for c, v in prov.items()})


def source_of(row: Mapping[str, Any]) -> str:
    f = row.get("source_path", "") or ""
    if not f:
        return ""
    sheet = row.get("source_sheet", "") or ""
    r = row.get("source_row", pd.NA)
    where = f"{sheet}!" if sheet else ""
    return f"{f}:{where}{'' if pd.isna(r) else int(r)}"


def index_documents(open_items: pd.DataFrame) -> Docs:
    oi = open_items.reset_index(drop=True)
    n = len(oi)
    due = oi["due_date"].fillna(oi["document_date"])
    missing = due.isna().to_numpy()
    due_days = due.to_numpy(dtype="datetime64[D]").astype(np.int64) if n else _EMPTY
    due_days = np.where(missing, np.iinfo(np.int64).max // 2, due_days)
    ids = oi["document_id"].tolist()
    pos, keys, core_list, letter_list = document_keys(ids, 3)
    by_compact = KeyIndex(keys, pos)
    cores = np.array(core_list, dtype=object)
    long = np.flatnonzero(np.fromiter(map(len, core_list), dtype=np.int64, count=n) >= 4)
    by_core = KeyIndex(cores[long], long)
    # a credit note's reference names the invoice it corrects, not a PO the payer quotes
    quoted = np.flatnonzero(
        (oi["reference"].ne("") & oi["document_type"].isin(["invoice", "debit_note"])).to_numpy()
    )
    rpos, rkeys, rcore_list, _ = document_keys(oi["reference"].iloc[quoted].tolist(), 4)
    by_reference = KeyIndex(rkeys, quoted[rpos])
    rcores = np.array(rcore_list, dtype=object)
    rlong = np.flatnonzero(
        np.fromiter(map(len, rcore_list), dtype=np.int64, count=len(quoted)) >= 4
    )
    by_reference_core = KeyIndex(rcores[rlong], quoted[rlong])
    # per customer and currency, oldest due first, then document id
    pair = oi["customer_id"].astype(str) + "\x1f" + oi["currency"].astype(str)
    codes, uniques = pd.factorize(pair)
    order = np.lexsort((due_days, codes)) if n else _EMPTY
    order = _ties_by_id(order, codes, due_days, ids)
    counts = np.bincount(codes, minlength=len(uniques)) if n else _EMPTY
    starts = np.concatenate([[0], np.cumsum(counts)])
    span = {
        tuple(u.split("\x1f", 1)): (int(a), int(b))
        for u, a, b in zip(uniques, starts[:-1], starts[1:], strict=True)
    }
    return Docs(
        oi,
        oi["amount_open"].fillna(0).to_numpy(dtype=np.int64).copy(),
        ids=ids,
        cust=oi["customer_id"].tolist(),
        cur=oi["currency"].tolist(),
        kind=oi["document_type"].tolist(),
        due=due_days,
        core=core_list,
        prefixes=frozenset(letter_list) - {""},
        by_compact=by_compact,
        by_core=by_core,
        by_reference=by_reference,
        by_reference_core=by_reference_core,
        customer_span=span,
        customer_order=order.astype(np.int64),
    )


def _ties_by_id(
    order: np.ndarray, codes: np.ndarray, due: np.ndarray, ids: list[str]
) -> np.ndarray:
    """``order`` (by customer, due) with documents due the same day ordered by id."""
    if len(order) < 2:
        return order
    c, d = codes[order], due[order]
    same = (c[1:] == c[:-1]) & (d[1:] == d[:-1])
    if not same.any():
        return order
    out = order.copy()
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    ends = np.concatenate([starts[1:], [len(order)]])
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a > 1:
            block = out[a:b].tolist()
            out[a:b] = sorted(block, key=lambda j: ids[j])
    return out


# --------------------------------------------------------------------------- customers


CUT_NAME_LENGTH = 30
"""Payer names this long may have been cut by the bank's field (35 characters in SWIFT
and most statement formats, 40 in SPEI): a legal form cut short at the end is dropped."""


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """A payer or customer name for lookups: :func:`cuadre.text.normalize_name`, then
    single letters left by a legal form cut short (``... S A D``) dropped. Cached: the
    same payer names come back payment after payment."""
    text = normalize_name(name)
    if len(name.strip()) >= CUT_NAME_LENGTH:
        text = strip_cut_legal_form(text)
    words = text.split()
    while len(words) > 1 and len(words[-1]) == 1 and words[-1].isalpha():
        words.pop()
    return " ".join(words)


@dataclass
class Customers:
    by_account: dict[str, str]
    by_tax: dict[str, str]
    by_name: dict[str, set[str]]
    by_squashed: dict[str, set[str]]  # names without spaces: O'MALLEY = OMALLEY
    display: dict[str, str]
    names: list[str]
    ids: list[str]
    sorted_names: list[tuple[str, str]]
    token_postings: dict[str, list[int]]
    names_of: dict[str, list[str]] = field(default_factory=dict)  # customer -> its name keys
    initials: dict[str, list[int]] = field(default_factory=dict)  # built when first needed
    _fuzzy_cache: dict[str, Any] = field(default_factory=dict)

    def exact(self, name: str) -> set[str]:
        """Customers with exactly this name key (spaces aside: O'MALLEY = OMALLEY)."""
        return self.by_name.get(name) or self.by_squashed.get(name.replace(" ", ""), set())

    def by_prefix(self, prefix: str, limit: int = 2) -> set[str]:
        """Customers whose name starts with ``prefix`` (bank fields cut names); the
        search stops at ``limit`` of them."""
        i = bisect.bisect_left(self.sorted_names, (prefix, ""))
        found = set()
        while i < len(self.sorted_names) and self.sorted_names[i][0].startswith(prefix):
            found.add(self.sorted_names[i][1])
            i += 1
            if len(found) >= limit:
                break
        return found

    def candidates(self, name: str, cap: int = 2000) -> list[int]:
        """Names sharing a word with ``name`` (rare words first): the fuzzy shortlist."""
        keys = {t for t in name.split()} | {"^" + t[:4] for t in name.split() if len(t) >= 4}
        lists = sorted((self.token_postings[t] for t in keys if t in self.token_postings), key=len)
        found: set[int] = set()
        for postings in lists:
            if found and len(found) + len(postings) > cap:
                break
            found.update(postings)
        return sorted(found)


def index_customers(customers: pd.DataFrame | None, open_items: pd.DataFrame) -> Customers:
    by_account: dict[str, str] = {}
    by_tax: dict[str, str] = {}
    by_name: dict[str, set[str]] = {}
    display: dict[str, str] = {}

    def add_name(n: str, cid: str) -> None:
        key = name_key(n)
        if key:
            by_name.setdefault(key, set()).add(cid)

    if customers is not None and len(customers):
        empty = pd.Series("", index=customers.index)
        for cid, name, tax, accounts, aliases in zip(
            customers["customer_id"],
            customers["customer_name"],
            customers.get("tax_id", empty),
            customers.get("bank_accounts", empty),
            customers.get("aliases", empty),
            strict=True,
        ):
            display[cid] = name
            for acc in split_list(accounts):
                by_account[compact(acc)] = cid
            if tax:
                by_tax[compact(tax)] = cid
            for n in [name, *split_list(aliases)]:
                add_name(n, cid)
    names_oi = open_items[["customer_id", "customer_name", "tax_id"]].drop_duplicates("customer_id")
    for cid, name, tax in names_oi.itertuples(index=False):
        display.setdefault(cid, name)
        if tax:
            by_tax.setdefault(compact(tax), cid)
        if name:
            add_name(name, cid)
    names = list(by_name)
    ids = [min(by_name[n]) for n in names]
    squashed: dict[str, set[str]] = {}
    for n, cids in by_name.items():
        squashed.setdefault(n.replace(" ", ""), set()).update(cids)
    postings: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        for t in set(n.split()):
            if len(t) >= 3:
                postings.setdefault(t, []).append(i)
            if len(t) > 4:  # a word mistyped after its first four letters
                postings.setdefault("^" + t[:4], []).append(i)
    sorted_names = sorted((n, c) for n, cids in by_name.items() for c in cids)
    names_of: dict[str, list[str]] = {}
    for n, cids in by_name.items():
        for c in cids:
            names_of.setdefault(c, []).append(n)
    return Customers(
        by_account,
        by_tax,
        by_name,
        squashed,
        display,
        names,
        ids,
        sorted_names,
        postings,
        names_of,
    )


def unique(values: Iterable[str]) -> str:
    """The only value, or '' when there are none or several."""
    s = set(values)
    return next(iter(s)) if len(s) == 1 else ""
