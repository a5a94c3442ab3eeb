"""Cash application: apply incoming payments to open invoices, and say why.

``match_payments(open_items, payments, customers, policy) -> (allocations, findings)``

Strict by default: a false automatic application is worse than an item left for
review. A payment is applied automatically (status ``auto``) only when its confidence
reaches ``policy.auto_threshold``; otherwise the best candidate is ``suggested`` with
the competitors named in the reason, or the money goes ``on_account`` (customer known,
no document fits) or ``unmatched`` (customer unknown).

How a payment is read, in order:

1. **Invoice references** in the remittance text, in the ways payers write them:
   ``FA-104233``, ``FA104233``, ``fact 0104233``, ``104233``, several in one text. A
   token is looked up by its compact form (letters and digits) and by its numeric core
   (digits without leading zeros); customer PO numbers printed on the invoice
   (``reference``) count too.
2. **The customer**: payer account known from the customer master, payer tax id, the
   customer of the referenced documents, the payer name (normalised: no accents, no
   legal form) equal to a customer name or alias, or close to one (rapidfuzz, with a
   margin over the runner-up).
3. **The allocation**: referenced documents settled in full when the amount equals
   their open total; short payments within ``policy.tolerance_pct`` settle them with
   the difference shown (bank fee / discount); smaller amounts are partial payments,
   oldest due first; larger ones leave the excess on account. Without references, an
   amount equal to exactly one open document of the identified customer, to the whole
   balance, or to the oldest invoices in due-date order is applied.

Payments are processed by value date, then payment id, and every application lowers
the document's remaining open amount, so nothing is applied twice. Conservation holds
by construction and is checked: per payment, applied + difference = amount.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from cuadre.findings import Finding, Location, Severity, error, warning
from cuadre.model.tables import ALLOCATIONS
from cuadre.money import exponent, format_amount, to_minor
from cuadre.text import compact, normalize_name, numeric_core, split_list, strip_accents


class MatchPolicy(BaseModel):
    """The knobs of cash application; defaults are strict."""

    auto_threshold: float = Field(0.9, ge=0, le=1, description="confidence needed for auto")
    tolerance_pct: float = Field(
        0.5, ge=0, le=100, description="short payment settled with a difference, % of open"
    )
    fuzzy_min_score: float = Field(90, ge=0, le=100, description="payer-name similarity floor")
    fuzzy_margin: float = Field(4, ge=0, le=100, description="lead over the next best name")
    max_oldest_prefix: int = Field(12, ge=1, description="oldest invoices tried as a block")
    bank_fees: dict[str, float] = Field(
        default_factory=lambda: {"MXN": 50.0, "USD": 35.0, "EUR": 30.0, "COP": 15_000.0},
        description="largest bank fee a payer deducts, per currency (major units)",
    )
    discount_rates: list[float] = Field(
        default_factory=lambda: [1, 1.5, 2, 2.5, 3, 5],
        description="early-payment discount rates offered, % of the invoices",
    )
    withholding: dict[str, list[float]] = Field(
        default_factory=lambda: {"COP": [2.5, 4, 3.5, 2, 1, 6, 10, 11]},
        description="income-tax withholding rates on the base, per currency (Colombia)",
    )
    vat_withholding: dict[str, tuple[float, list[float]]] = Field(
        default_factory=lambda: {"COP": (19.0, [0.0, 15.0])},
        description="VAT rate and VAT-withholding rates (reteIVA), per currency",
    )
    deduction_max_pct: float = Field(
        10, ge=0, le=100, description="unexplained shortfall below this % is a deduction to review"
    )
    subset_max_items: int = Field(18, ge=1, description="open documents searched for a sum")
    subset_max_size: int = Field(6, ge=1, description="documents in one payment without references")


Payment = dict[str, Any]
"""One payments row as a plain dict (row access on a DataFrame is 50x slower)."""

_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b")


@dataclass
class _Docs:
    frame: pd.DataFrame
    remaining: np.ndarray
    ids: list[str] = field(default_factory=list)
    cust: list[str] = field(default_factory=list)
    cur: list[str] = field(default_factory=list)
    due: list[pd.Timestamp] = field(default_factory=list)
    src: list[str] = field(default_factory=list)
    threshold: float = 0.9  # the policy's auto threshold
    by_compact: dict[str, list[int]] = field(default_factory=dict)
    by_core: dict[str, list[int]] = field(default_factory=dict)
    by_reference: dict[str, list[int]] = field(default_factory=dict)
    by_reference_core: dict[str, list[int]] = field(default_factory=dict)
    by_customer: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    by_amount: dict[tuple[str, int], list[int]] = field(default_factory=dict)


@dataclass
class _Customers:
    by_account: dict[str, str]
    by_tax: dict[str, str]
    by_name: dict[str, str]
    names: list[str]
    ids: list[str]
    display: dict[str, str]
    sorted_names: list[tuple[str, str]] = field(default_factory=list)

    def by_prefix(self, prefix: str) -> set[str]:
        """Customers whose normalised name starts with ``prefix`` (bank names are cut)."""
        i = bisect.bisect_left(self.sorted_names, (prefix, ""))
        found = set()
        while i < len(self.sorted_names) and self.sorted_names[i][0].startswith(prefix):
            found.add(self.sorted_names[i][1])
            i += 1
        return found


def _ref_keys(letters: str, digits: str) -> list[str]:
    """Lookup keys of a reference: ``FA`` + ``0104233`` -> FA0104233, FA104233."""
    core = digits.lstrip("0") or "0"
    keys = [letters + digits, letters + core] if letters else []
    return list(dict.fromkeys(keys))


_SPLIT = re.compile(r"([A-Z]*)(\d+)$")


def _doc_keys(doc_id: str) -> tuple[list[str], str]:
    """(exact keys, numeric core) of a document id."""
    c = compact(doc_id)
    m = _SPLIT.search(c)
    keys = [c]
    if m:
        keys += _ref_keys(m.group(1), m.group(2))
    return list(dict.fromkeys(keys)), numeric_core(doc_id)


def _index_docs(open_items: pd.DataFrame) -> _Docs:
    oi = open_items.reset_index(drop=True)
    due = oi["due_date"].fillna(oi["document_date"])
    oi = oi.assign(_due=due)
    docs = _Docs(
        oi,
        oi["amount_open"].fillna(0).to_numpy(dtype=np.int64).copy(),
        ids=oi["document_id"].tolist(),
        cust=oi["customer_id"].tolist(),
        cur=oi["currency"].tolist(),
        due=oi["_due"].tolist(),
        src=[_src(r) for r in oi.to_dict("records")] if "source_path" in oi else [""] * len(oi),
    )
    for i, (doc_id, ref, kind, cust, cur) in enumerate(
        zip(
            oi["document_id"],
            oi["reference"],
            oi["document_type"],
            oi["customer_id"],
            oi["currency"],
            strict=True,
        )
    ):
        keys, core = _doc_keys(doc_id)
        for k in keys:
            if len(k) >= 3:
                docs.by_compact.setdefault(k, []).append(i)
        if len(core) >= 4:
            docs.by_core.setdefault(core, []).append(i)
        # a credit note's reference names the invoice it corrects, not a PO the payer quotes
        if ref and kind in ("invoice", "debit_note"):
            rkeys, rcore = _doc_keys(ref)
            for k in rkeys:
                if len(k) >= 4:
                    docs.by_reference.setdefault(k, []).append(i)
            if len(rcore) >= 4:
                docs.by_reference_core.setdefault(rcore, []).append(i)
        docs.by_customer.setdefault((cust, cur), []).append(i)
    rank = np.empty(len(oi), dtype=np.int64)
    rank[np.lexsort((oi["document_id"].to_numpy(), oi["_due"].to_numpy()))] = np.arange(len(oi))
    for key, idx in docs.by_customer.items():
        docs.by_customer[key] = sorted(idx, key=lambda j: rank[j])
    return docs


def _index_customers(customers: pd.DataFrame | None, open_items: pd.DataFrame) -> _Customers:
    by_account: dict[str, str] = {}
    by_tax: dict[str, str] = {}
    by_name: dict[str, str] = {}
    display: dict[str, str] = {}
    if customers is not None and len(customers):
        for cid, name, tax, accounts, aliases in zip(
            customers["customer_id"],
            customers["customer_name"],
            customers.get("tax_id", pd.Series("", index=customers.index)),
            customers.get("bank_accounts", pd.Series("", index=customers.index)),
            customers.get("aliases", pd.Series("", index=customers.index)),
            strict=True,
        ):
            display[cid] = name
            for acc in split_list(accounts):
                by_account[compact(acc)] = cid
            if tax:
                by_tax[compact(tax)] = cid
            for n in [name, *split_list(aliases)]:
                if normalize_name(n):
                    by_name.setdefault(normalize_name(n), cid)
    names_oi = open_items[["customer_id", "customer_name", "tax_id"]].drop_duplicates("customer_id")
    for cid, name, tax in names_oi.itertuples(index=False):
        display.setdefault(cid, name)
        if tax:
            by_tax.setdefault(compact(tax), cid)
        if name and normalize_name(name):
            by_name.setdefault(normalize_name(name), cid)
    names = list(by_name)
    ids = [by_name[n] for n in names]
    return _Customers(
        by_account, by_tax, by_name, names, ids, display, sorted(zip(names, ids, strict=True))
    )


_REF_TOKEN = re.compile(r"(?<![A-Z0-9])([A-Z]{0,10})[ \-#./:°º]{0,3}(?<!\d)(\d{1,12})(?![\d.,]\d|\d)")
_RANGE = re.compile(
    r"(?<![A-Z0-9])([A-Z]{0,10})[ \-#./:°º]{0,3}(?<!\d)(\d{2,12})\s*(?:-|A|AL|TO|HASTA|THRU)\s*"
    r"(?:[A-Z]{0,10}[ \-]?)?(\d{1,12})\b"
)
MAX_RANGE = 50
CUT_REMITTANCE_LENGTH = 34
"""Remittance fields are cut at 35 (SWIFT) or 40 characters: a text this long may be cut."""


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """(as written, letters, digits) of every number in ``text``, ranges expanded."""
    upper = strip_accents(text.upper())
    found = [(m.group(0).strip(), m.group(1), m.group(2)) for m in _REF_TOKEN.finditer(upper)]
    for m in _RANGE.finditer(upper):
        first, last = m.group(2), m.group(3)
        if len(last) < len(first):  # "2291 A 95" -> 2295
            last = first[: len(first) - len(last)] + last
        lo, hi = int(first), int(last)
        if 0 < hi - lo <= MAX_RANGE:
            found += [
                (m.group(0).strip(), m.group(1), str(n).zfill(len(first)))
                for n in range(lo + 1, hi)
            ]
    return found


def _find_refs(
    text: str, docs: _Docs, currency: str, customer: str = ""
) -> tuple[list[int], list[str]]:
    """Documents named in ``text``; returns (doc indices, how each was written).

    Looked up in order: the document id as written (``FA-104233``, ``FA104233``,
    ``FA 0104233``), a customer PO printed on an invoice, and the bare number (numeric
    core). A token written like the id names it in any currency (the caller reports a
    mismatch). A bare number only names documents of the payment's currency, of the
    identified customer when there is one, and only when unambiguous: a guess is not a
    reference. Ranges (``F-2291 A 2295``) name every document between.
    """
    if not text:
        return [], []
    found: list[int] = []
    written: list[str] = []
    for token, letters, digits in _tokens(text):
        hits: list[int] = []
        for key in _ref_keys(letters, digits):
            hits = docs.by_compact.get(key, []) or docs.by_reference.get(key, [])
            if hits:
                break
        if not hits:
            hits = _by_number(digits.lstrip("0"), docs, currency, customer)
        for h in hits:
            if h not in found:
                found.append(h)
                written.append(token)
    return found, written


def _by_number(core: str, docs: _Docs, currency: str, customer: str) -> list[int]:
    """Documents a bare number names: its invoice number or PO number, unambiguous.

    With the customer identified, only that customer's documents count (short numbers
    too: "FRAS 267-268"); without, the number needs 4 digits (5 for a PO) and must name
    a single document in the payment's currency.
    """
    if customer:
        own = docs.by_customer.get((customer, currency), [])
        cands = [h for h in docs.by_core.get(core, []) if docs.cust[h] == customer]
        cands = cands or [
            h for h in docs.by_reference_core.get(core, []) if docs.cust[h] == customer
        ]
        if not cands and len(core) >= 2:
            cands = [h for h in own if numeric_core(docs.ids[h]) == core]
    else:
        cands = docs.by_core.get(core, []) if len(core) >= 4 else []
        cands = cands or (docs.by_reference_core.get(core, []) if len(core) >= 5 else [])
        cands = [h for h in cands if docs.cur[h] == currency]
    return cands if len({docs.ids[h] for h in cands}) == 1 else []


def _identify(
    payment: Payment, custs: _Customers, policy: MatchPolicy
) -> tuple[str, str, float]:
    """(customer_id, how, confidence of the identification); '' when unknown."""
    acc = compact(payment.get("payer_account", "") or "")
    if acc and acc in custs.by_account:
        return custs.by_account[acc], f"payer account {payment['payer_account']} is known", 0.98
    tax = compact(payment.get("payer_tax_id", "") or "")
    if tax and tax in custs.by_tax:
        return custs.by_tax[tax], f"payer tax id {payment['payer_tax_id']}", 0.97
    for m in _RFC.finditer(str(payment.get("remittance", "")).upper()):
        if compact(m.group(0)) in custs.by_tax:
            return custs.by_tax[compact(m.group(0))], f"tax id {m.group(0)} in remittance", 0.95
    name = normalize_name(str(payment.get("payer_name", "") or ""))
    if name:
        if name in custs.by_name:
            return custs.by_name[name], f'payer name "{payment["payer_name"]}" is the customer', 0.95
        if len(name) >= 12:
            prefixed = custs.by_prefix(name)
            if len(prefixed) == 1:
                cid = prefixed.pop()
                return cid, f'payer name "{payment["payer_name"]}" is the start of {custs.display.get(cid, cid)}', 0.93
        best = process.extract(
            name,
            custs.names,
            scorer=fuzz.token_sort_ratio,
            limit=2,
            score_cutoff=max(policy.fuzzy_min_score - policy.fuzzy_margin, 0),
        )
        if best and best[0][1] >= policy.fuzzy_min_score:
            runner = best[1][1] if len(best) > 1 else 0.0
            if best[0][1] - runner >= policy.fuzzy_margin or custs.ids[best[0][2]] == (
                custs.ids[best[1][2]] if len(best) > 1 else None
            ):
                cid = custs.ids[best[0][2]]
                score = best[0][1]
                return cid, f'payer name "{payment["payer_name"]}" ~ {custs.display.get(cid, cid)} ({score:.0f}%)', 0.80 + 0.1 * (score - 90) / 10
    return "", "", 0.0


def match_payments(
    open_items: pd.DataFrame,
    payments: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    policy: MatchPolicy | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Apply ``payments`` to ``open_items``; see the module docstring.

    ``progress(done)`` is called every 500 payments (status bar, progress bar)."""
    policy = policy or MatchPolicy()
    docs = _index_docs(open_items)
    docs.threshold = policy.auto_threshold
    custs = _index_customers(customers, open_items)
    findings: list[Finding] = []
    rows: list[dict[str, object]] = []
    pay = payments.reset_index(drop=True)
    order = pay.sort_values(["value_date", "payment_id"], kind="stable").index
    records = pay.to_dict("records")
    for done, pos in enumerate(order, start=1):
        if progress is not None and done % 500 == 0:
            progress(done)
        p = records[pos]
        before = len(rows)
        _apply_one(p, docs, custs, policy, rows, findings)
        for r in rows[before:]:
            r["payment_row"] = _src(p)
            d = r.pop("_doc", None)
            r["document_row"] = docs.src[int(d)] if isinstance(d, int) else ""
    alloc = pd.DataFrame(rows, columns=[*ALLOCATIONS.names, "payment_row", "document_row"])
    for c in ("amount_applied", "difference"):
        alloc[c] = alloc[c].astype("Int64")
    alloc["confidence"] = alloc["confidence"].astype("float64")
    findings.extend(check_conservation(pay, alloc))
    return alloc, findings


def _src(row: Mapping[str, Any]) -> str:
    f = row.get("source_path", "") or ""
    sheet = row.get("source_sheet", "") or ""
    r = row.get("source_row", pd.NA)
    if not f:
        return ""
    where = f"{sheet}!" if sheet else ""
    return f"{f}:{where}{'' if pd.isna(r) else int(r)}"


def _row(
    p: Payment,
    doc: int | None,
    docs: _Docs,
    customer: str,
    amount: int,
    status: str,
    conf: float,
    reason: str,
    difference: int = 0,
    diff_reason: str = "",
) -> dict[str, object]:
    return {
        "payment_id": p["payment_id"],
        "document_id": docs.ids[doc] if doc is not None else "",
        "customer_id": customer,
        "currency": p["currency"],
        "amount_applied": int(amount),
        "status": status,
        "confidence": round(float(min(max(conf, 0.0), 1.0)), 3),
        "reason": reason,
        "difference": int(difference),
        "difference_reason": diff_reason,
        "_doc": doc,
    }


def _apply_one(
    p: Payment,
    docs: _Docs,
    custs: _Customers,
    policy: MatchPolicy,
    rows: list[dict[str, object]],
    findings: list[Finding],
) -> None:
    amount = int(p["amount"])
    cur = p["currency"]

    def fmt(units: int) -> str:
        return format_amount(int(units), cur)

    cust, how, id_conf = _identify(p, custs, policy)
    refs, written = _find_refs(str(p.get("remittance", "") or ""), docs, cur, cust)
    other_cur = [d for d in refs if docs.cur[d] != cur]
    same = [(d, w) for d, w in zip(refs, written, strict=True) if docs.cur[d] == cur]
    refs, written = [d for d, _ in same], [w for _, w in same]
    if other_cur:
        findings.append(
            warning(
                _loc(p),
                "CURRENCY_MISMATCH",
                f"payment {p['payment_id']} in {cur} names "
                + ", ".join(docs.ids[d] for d in other_cur)
                + " in another currency; not applied to them",
                "Check the payment's currency or convert it before applying.",
            )
        )
    if refs:
        ref_custs = {docs.cust[d] for d in refs}
        if cust and len(ref_custs) > 1 and cust in ref_custs:
            keep = [(d, w) for d, w in zip(refs, written, strict=True) if docs.cust[d] == cust]
            refs, written = [d for d, _ in keep], [w for _, w in keep]
            ref_custs = {cust}
        if len(ref_custs) == 1:
            _apply_refs(p, refs, written, ref_custs.pop(), cust, how, docs, policy, rows, fmt)
            return
        rows.append(
            _row(
                p,
                None,
                docs,
                "",
                amount,
                "unmatched",
                0.3,
                "remittance names documents of several customers: "
                + ", ".join(f"{docs.ids[d]} ({docs.cust[d]})" for d in refs),
            )
        )
        findings.append(
            warning(_loc(p), "AMBIGUOUS_MATCH", f"payment {p['payment_id']}: {rows[-1]['reason']}")
        )
        return
    if cust:
        _apply_by_amount(p, cust, how, id_conf, docs, policy, rows, fmt, findings)
        return
    cands = _global_amount(docs, cur, amount)
    if len(cands) == 1:
        d = cands[0]
        rows.append(
            _row(
                p,
                d,
                docs,
                docs.cust[d],
                amount,
                "suggested",
                0.5,
                f"payer not identified; amount {fmt(amount)} equals open {docs.ids[d]} "
                f"of {docs.cust[d]}, the only document with that amount",
            )
        )
        return
    reason = "payer not identified and no invoice reference in the remittance"
    if cands:
        reason += f"; {len(cands)} open documents have the same amount"
    rows.append(_row(p, None, docs, "", amount, "unmatched", 0.0, reason))


def _global_amount(docs: _Docs, cur: str, amount: int) -> list[int]:
    if not docs.by_amount:
        for i, (c, a) in enumerate(zip(docs.frame["currency"], docs.remaining, strict=True)):
            docs.by_amount.setdefault((c, int(a)), []).append(i)
    return [d for d in docs.by_amount.get((cur, amount), []) if docs.remaining[d] == amount]


def _loc(p: Payment) -> Location:
    sheet = p.get("source_sheet", "") or None
    row = p.get("source_row", pd.NA)
    return Location(
        str(p.get("source_path", "") or ""),
        None if pd.isna(row) else int(row),
        None,
        sheet,
    )


def _apply_refs(
    p: Payment,
    refs: list[int],
    written: list[str],
    ref_cust: str,
    cust: str,
    how: str,
    docs: _Docs,
    policy: MatchPolicy,
    rows: list[dict[str, object]],
    fmt: Callable[[int], str],
) -> None:
    amount = int(p["amount"])
    open_refs = [d for d in refs if docs.remaining[d] != 0]
    names = ", ".join(
        docs.ids[d]
        + ("" if compact(w) == compact(docs.ids[d]) else f" (written {w})")
        for d, w in zip(refs, written, strict=True)
    )
    base = f"remittance names {names}"
    conf = 0.97
    if any(compact(w) != compact(docs.ids[d]) for d, w in zip(refs, written, strict=True)):
        conf -= 0.02
    if cust and cust != ref_cust:
        base += f"; paid by another party ({how})"
        conf -= 0.04
    elif cust:
        base += f"; {how}"
    if not open_refs:
        rows.append(
            _row(
                p,
                None,
                docs,
                ref_cust,
                amount,
                "on_account",
                0.7,
                f"{base}; but they are already settled (duplicate payment?): left on account",
            )
        )
        return
    open_refs.sort(key=lambda d: (docs.due[d], docs.ids[d]))
    total = int(sum(docs.remaining[d] for d in open_refs))
    f = fmt
    if amount == total:
        _settle(p, open_refs, docs, ref_cust, "auto", conf, f"{base}; amount equal", rows)
        return
    cur = p["currency"]
    amounts = [int(docs.remaining[d]) for d in open_refs]
    explained = explain_shortfall(total - amount, amounts, cur, policy)
    if explained is not None:
        words, why = explained
        _settle(p, open_refs, docs, ref_cust, "auto", conf - 0.02, f"{base}; {words}", rows,
                amount - total, why)
        return
    if amount > total:
        extra = _complete(p, amount - total, open_refs, ref_cust, docs, policy)
        if extra:
            names = ", ".join(docs.ids[d] for d in extra)
            _settle(p, open_refs + extra, docs, ref_cust, "auto", conf - 0.05,
                    f"{base}; with {names} (not named, the remittance was cut short) the amount "
                    "is equal", rows)
            return
        text = str(p.get("remittance", "") or "").strip()
        if len(text) >= CUT_REMITTANCE_LENGTH:
            # the bank cut the text: the excess probably pays invoices we cannot see
            _settle(p, open_refs, docs, ref_cust, "suggested", conf - 0.2,
                    f"{base}; the remittance looks cut at {len(text)} characters and "
                    f"{f(amount - total)} more was paid: which other invoices?", rows)
            rows.append(_row(p, None, docs, ref_cust, amount - total, "suggested", 0.5,
                             "rest of the payment, pending review"))
            return
        _settle(p, open_refs, docs, ref_cust, "auto", conf - 0.02,
                f"{base}; documents paid in full", rows)
        rows.append(
            _row(p, None, docs, ref_cust, amount - total, "on_account", conf - 0.02,
                 f"overpayment of {f(amount - total)} left on account")
        )
        return
    short = total - amount
    if short < total * policy.deduction_max_pct / 100:
        # a small unexplained shortfall is usually a deduction (freight, shortage, pricing)
        _settle(p, open_refs, docs, ref_cust, "suggested", conf - 0.2,
                f"{base}; paid {f(short)} short ({short / total:.1%}): a deduction to "
                "investigate, or a partial payment", rows, amount - total, "deduction")
        return
    # partial payment: oldest due first (a cut remittance may name more: review then)
    cut = len(str(p.get("remittance", "") or "").strip()) >= CUT_REMITTANCE_LENGTH
    status = "auto" if len(open_refs) == 1 and not cut else "suggested"
    left = amount
    for d in open_refs:
        if left <= 0:
            break
        take = min(left, int(docs.remaining[d]))
        remainder = int(docs.remaining[d]) - take
        reason = f"{base}; partial payment" + (f", {f(remainder)} stays open" if remainder else "")
        rows.append(_row(p, d, docs, ref_cust, take, status, conf - 0.07, reason))
        if status == "auto":
            docs.remaining[d] -= take
        left -= take


def _complete(
    p: Payment, excess: int, named: list[int], cust: str, docs: _Docs, policy: MatchPolicy
) -> list[int]:
    """The customer's other open documents that make up ``excess`` exactly, if only one
    set does (a remittance cut at the bank's field length names only the first ones)."""
    numbers = [int(numeric_core(docs.ids[d]) or 0) for d in named]

    def distance(d: int) -> int:
        n = int(numeric_core(docs.ids[d]) or 0)
        return min(abs(n - k) for k in numbers) if numbers else 0

    others = [
        d
        for d in docs.by_customer.get((cust, p["currency"]), [])
        if docs.remaining[d] > 0 and d not in named
    ]
    # the invoices cut from a list are usually the next numbers of the same series
    pool = sorted(others, key=distance)[: policy.subset_max_items]
    sets = find_subsets([int(docs.remaining[d]) for d in pool], excess, policy.subset_max_size)
    return [pool[i] for i in sets[0]] if len(sets) == 1 else []


def _settle(
    p: Payment,
    doc_ids: list[int],
    docs: _Docs,
    cust: str,
    status: str,
    conf: float,
    reason: str,
    rows: list[dict[str, object]],
    difference: int = 0,
    diff_reason: str = "",
) -> None:
    if conf < docs.threshold and status == "auto":
        status = "suggested"
    for k, d in enumerate(doc_ids):
        last = k == len(doc_ids) - 1
        rows.append(
            _row(
                p,
                d,
                docs,
                cust,
                int(docs.remaining[d]),
                status,
                conf,
                reason,
                difference if last else 0,
                diff_reason if last else "",
            )
        )
        if status == "auto":
            docs.remaining[d] = 0


def _apply_by_amount(
    p: Payment,
    cust: str,
    how: str,
    id_conf: float,
    docs: _Docs,
    policy: MatchPolicy,
    rows: list[dict[str, object]],
    fmt: Callable[[int], str],
    findings: list[Finding],
) -> None:
    amount = int(p["amount"])
    f = fmt
    cands = [d for d in docs.by_customer.get((cust, p["currency"]), []) if docs.remaining[d] > 0]
    equal = [d for d in cands if docs.remaining[d] == amount]
    conf = min(id_conf, 0.98) - 0.04
    if len(equal) == 1:
        _settle(
            p,
            equal,
            docs,
            cust,
            "auto" if conf >= policy.auto_threshold else "suggested",
            conf,
            f"no reference; {how}; amount equals open {docs.ids[equal[0]]}, "
            "the customer's only document with that amount",
            rows,
        )
        return
    if len(equal) > 1:
        ids = ", ".join(docs.ids[d] for d in equal)
        rows.append(
            _row(
                p,
                equal[0],
                docs,
                cust,
                amount,
                "suggested",
                0.6,
                f"no reference; {how}; {len(equal)} open documents have this amount "
                f"({ids}): the oldest is suggested",
            )
        )
        findings.append(
            warning(_loc(p), "AMBIGUOUS_MATCH", f"payment {p['payment_id']}: {rows[-1]['reason']}")
        )
        return
    balance = int(sum(docs.remaining[d] for d in cands))
    all_open = [d for d in docs.by_customer.get((cust, p["currency"]), []) if docs.remaining[d] != 0]
    net = int(sum(docs.remaining[d] for d in all_open))
    status = "auto" if conf >= policy.auto_threshold else "suggested"
    if all_open and amount == net and len(all_open) > 1:
        _settle(p, all_open, docs, cust, status, conf - 0.02,
                f"no reference; {how}; amount equals the customer's whole open balance", rows)
        return
    pool = cands[: policy.subset_max_items]
    amounts = [int(docs.remaining[d]) for d in pool]
    sets = find_subsets(amounts, amount, policy.subset_max_size)
    if len(sets) == 1:
        block = [pool[i] for i in sets[0]]
        _settle(p, block, docs, cust, status, conf - 0.03,
                f"no reference; {how}; amount equals the sum of {len(block)} open invoices "
                f"({', '.join(docs.ids[d] for d in block)}), the only combination that does",
                rows)
        return
    if len(sets) > 1:
        first = [pool[i] for i in sets[0]]
        second = [pool[i] for i in sets[1]]
        rows.append(
            _row(p, first[0], docs, cust, int(docs.remaining[first[0]]), "suggested", 0.5,
                 f"no reference; {how}; several combinations of open invoices make "
                 f"{f(amount)}, e.g. {', '.join(docs.ids[d] for d in first)} or "
                 f"{', '.join(docs.ids[d] for d in second)}: review")
        )
        if amount - int(docs.remaining[first[0]]) > 0:
            rows.append(_row(p, None, docs, cust, amount - int(docs.remaining[first[0]]),
                             "suggested", 0.5, "rest of the payment, pending review"))
        findings.append(
            warning(_loc(p), "AMBIGUOUS_MATCH", f"payment {p['payment_id']}: {rows[-1]['reason']}")
        )
        return
    # one invoice less a known deduction (bank fee, discount, withholding)
    near = []
    for d in pool:
        explained = explain_shortfall(
            int(docs.remaining[d]) - amount, [int(docs.remaining[d])], p["currency"], policy
        )
        if explained is not None:
            near.append((d, explained))
    if len(near) == 1:
        d, (words, why) = near[0]
        _settle(p, [d], docs, cust, status if why != "short payment: bank fee or discount"
                else "suggested", conf - 0.05,
                f"no reference; {how}; open {docs.ids[d]} less {words}", rows,
                amount - int(docs.remaining[d]), why)
        return
    reason = f"{how}; no reference and no open document fits {f(amount)}"
    if balance:
        reason += f" (open balance {f(balance)})"
    rows.append(_row(p, None, docs, cust, amount, "on_account", min(id_conf, 0.9),
                     reason + ": left on account"))


def _slack(cur: str, n_docs: int) -> int:
    """Rounding room when recomputing a deduction: payers in COP round to whole pesos."""
    unit = 10 ** exponent(cur) if cur in WHOLE_UNIT_CURRENCIES else 1
    return unit * (n_docs + 1)


WHOLE_UNIT_CURRENCIES = frozenset({"COP", "CLP", "PYG", "HUF"})


def _half_up(units: int, pct: float) -> int:
    return int((Decimal(units) * Decimal(str(pct)) / 100).quantize(Decimal(1), ROUND_HALF_UP))


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
    for rate in policy.withholding.get(cur, []):
        for vat_rate in vat_rates:
            withheld = 0
            for amount in doc_amounts:
                base = int((Decimal(amount) * 100 / (100 + Decimal(str(vat)))).quantize(
                    Decimal(1), ROUND_HALF_UP))
                withheld += _half_up(base, rate) + _half_up(amount - base, vat_rate)
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

    def best(start: int, count: int) -> int:
        """Largest sum of ``count`` items from ``start`` on (they are sorted)."""
        return prefix[min(n, start + count)] - prefix[start]

    def walk(start: int, left: int, chosen: list[int]) -> None:
        nonlocal steps
        room = max_size - len(chosen)
        for i in range(start, n):
            steps += 1
            if len(found) >= limit or steps > budget or best(i, room) < left:
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


def check_conservation(payments: pd.DataFrame, allocations: pd.DataFrame) -> list[Finding]:
    """Every payment appears, and applied + difference = amount for each one."""
    findings: list[Finding] = []
    got = allocations.groupby("payment_id", sort=False).agg(
        applied=("amount_applied", "sum"), diff=("difference", "sum")
    )
    want = payments.set_index("payment_id")["amount"]
    missing = want.index.difference(got.index)
    for pid in missing[:50]:
        findings.append(
            error(Location("allocations"), "PAYMENT_LOST", f"payment {pid} has no allocation row")
        )
    common = want.index.intersection(got.index)
    total = got.loc[common, "applied"].fillna(0) + got.loc[common, "diff"].fillna(0)
    bad = total.ne(want.loc[common])
    for pid in bad[bad].index[:50]:
        findings.append(
            Finding(
                Location("allocations"),
                "NOT_CONSERVED",
                Severity.ERROR,
                f"payment {pid}: applied + difference {int(total[pid])} != amount {int(want[pid])}",
            )
        )
    return findings


def apply_allocations(open_items: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Open items after the ``auto`` allocations: each document reduced by what was
    applied to it (installments oldest due first); settled rows dropped. Pure."""
    auto = allocations[allocations["status"].eq("auto") & allocations["document_id"].ne("")]
    out = open_items.copy()
    if auto.empty:
        return out
    applied: dict[str, int] = defaultdict(int)
    for doc, amt in zip(auto["document_id"], auto["amount_applied"], strict=True):
        applied[doc] += int(amt)
    hit = out["document_id"].isin(list(applied))
    order = out[hit].sort_values(["document_id", "due_date"], kind="stable", na_position="last")
    new_open = out["amount_open"].copy()
    for idx, doc, amt in zip(order.index, order["document_id"], order["amount_open"], strict=True):
        left, amt = applied[doc], int(amt)
        # credit notes are applied with negative amounts: take toward zero, same sign only
        take = 0 if left * amt <= 0 else (1 if amt > 0 else -1) * min(abs(left), abs(amt))
        new_open.at[idx] = amt - take
        applied[doc] -= take
    out["amount_open"] = new_open
    return out[out["amount_open"].ne(0)].reset_index(drop=True)
