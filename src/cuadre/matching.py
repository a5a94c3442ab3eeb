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
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from cuadre.findings import Finding, Location, Severity, error, warning
from cuadre.model.tables import ALLOCATIONS
from cuadre.money import format_amount
from cuadre.text import compact, normalize_name, numeric_core, split_list


class MatchPolicy(BaseModel):
    """The knobs of cash application; defaults are strict."""

    auto_threshold: float = Field(0.9, ge=0, le=1, description="confidence needed for auto")
    tolerance_pct: float = Field(
        0.5, ge=0, le=100, description="short payment settled with a difference, % of open"
    )
    fuzzy_min_score: float = Field(90, ge=0, le=100, description="payer-name similarity floor")
    fuzzy_margin: float = Field(4, ge=0, le=100, description="lead over the next best name")
    max_oldest_prefix: int = Field(12, ge=1, description="oldest invoices tried as a block")


Payment = dict[str, Any]
"""One payments row as a plain dict (row access on a DataFrame is 50x slower)."""

_TOKEN = re.compile(r"[A-Z]{0,6}[ \-#./:]{0,2}\d[\d\- ]*\d|\d")
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
    by_compact: dict[str, list[int]] = field(default_factory=dict)
    by_core: dict[str, list[int]] = field(default_factory=dict)
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
    for i, (doc_id, ref, cust, cur) in enumerate(
        zip(oi["document_id"], oi["reference"], oi["customer_id"], oi["currency"], strict=True)
    ):
        keys = {compact(doc_id)}
        if ref:
            keys.add(compact(ref))
        for k in keys:
            if len(k) >= 3:
                docs.by_compact.setdefault(k, []).append(i)
        cores = {numeric_core(doc_id)}
        if ref:
            cores.add(numeric_core(ref))
        for c in cores:
            if len(c) >= 4:
                docs.by_core.setdefault(c, []).append(i)
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


def _find_refs(
    text: str, docs: _Docs, currency: str, customer: str = ""
) -> tuple[list[int], list[str]]:
    """Documents named in ``text``; returns (doc indices, how each was written).

    A token written like the document id (letters and digits equal) names it in any
    currency (a mismatch is reported by the caller). A bare number (its numeric core)
    only names documents of the payment's currency, of the identified customer when
    there is one, and only when it is unambiguous: strict, a guess is not a reference.
    """
    if not text:
        return [], []
    found: list[int] = []
    written: list[str] = []
    upper = text.upper()
    for m in _TOKEN.finditer(upper):
        token = m.group(0).strip()
        digits_only = re.sub(r"\D", "", token)
        if len(digits_only) > 12:
            continue  # account numbers, CLABEs, long bank references
        hits = docs.by_compact.get(compact(token), [])
        if not hits and len(digits_only.lstrip("0")) >= 4:
            core = docs.by_core.get(digits_only.lstrip("0"), [])
            core = [h for h in core if docs.cur[h] == currency]
            if customer:
                core = [h for h in core if docs.cust[h] == customer] or core
            ids = {docs.ids[h] for h in core}
            hits = core if len(ids) == 1 else []
        hits = [h for h in hits if h not in found]
        if hits:
            found.extend(hits)
            written.extend([token] * len(hits))
    return found, written


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
        best = process.extract(name, custs.names, scorer=fuzz.token_sort_ratio, limit=2)
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
    if 0 < total - amount <= total * policy.tolerance_pct / 100:
        diff = amount - total
        _settle(
            p,
            open_refs,
            docs,
            ref_cust,
            "auto",
            conf - 0.03,
            f"{base}; paid {f(-diff)} short (within {policy.tolerance_pct}% tolerance)",
            rows,
            diff,
            "short payment: bank fee or discount",
        )
        return
    if amount > total:
        _settle(p, open_refs, docs, ref_cust, "auto", conf - 0.02, f"{base}; documents paid in full", rows)
        rows.append(
            _row(
                p,
                None,
                docs,
                ref_cust,
                amount - total,
                "on_account",
                conf - 0.02,
                f"overpayment of {f(amount - total)} left on account",
            )
        )
        return
    # partial payment: oldest due first
    status = "auto" if len(open_refs) == 1 else "suggested"
    left = amount
    for d in open_refs:
        if left <= 0:
            break
        take = min(left, int(docs.remaining[d]))
        remainder = int(docs.remaining[d]) - take
        reason = f"{base}; partial payment" + (
            f", {f(remainder)} stays open" if remainder else ""
        )
        rows.append(_row(p, d, docs, ref_cust, take, status, conf - 0.07, reason))
        if status == "auto":
            docs.remaining[d] -= take
        left -= take


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
    if conf < 0.9 and status == "auto":
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
    if all_open and amount == net and len(all_open) > 1:
        _settle(p, all_open, docs, cust, "auto" if conf >= policy.auto_threshold else "suggested",
                conf - 0.02, f"no reference; {how}; amount equals the customer's whole open balance", rows)
        return
    running = 0
    for k, d in enumerate(cands[: policy.max_oldest_prefix]):
        running += int(docs.remaining[d])
        if running == amount and k > 0:
            block = cands[: k + 1]
            _settle(
                p,
                block,
                docs,
                cust,
                "suggested" if conf - 0.05 < policy.auto_threshold else "auto",
                conf - 0.05,
                f"no reference; {how}; amount equals the {k + 1} oldest open invoices",
                rows,
            )
            return
        if running > amount:
            break
    near = [
        d
        for d in cands
        if 0 < docs.remaining[d] - amount <= docs.remaining[d] * policy.tolerance_pct / 100
    ]
    if len(near) == 1:
        d = near[0]
        diff = amount - int(docs.remaining[d])
        _settle(
            p,
            near,
            docs,
            cust,
            "suggested",
            conf - 0.1,
            f"no reference; {how}; {f(-diff)} less than open {docs.ids[d]}",
            rows,
            diff,
            "short payment: bank fee or discount",
        )
        return
    reason = f"{how}; no reference and no open document fits {f(amount)}"
    if balance:
        reason += f" (open balance {f(balance)})"
    rows.append(_row(p, None, docs, cust, amount, "on_account", min(id_conf, 0.9), reason + ": left on account"))


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
