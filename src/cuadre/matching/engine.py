"""The decisions: which documents each payment settles, with confidence and reason.

Two passes, as an accountant works a bank statement: first the payments whose
remittance names their documents (certain), then the payments that must be placed by
amount (the documents taken by the first pass are no longer candidates). Within a
pass, payments go by value date, then payment id; every application lowers the
document's remaining amount, so nothing is applied twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cuadre.findings import Finding, Location, warning
from cuadre.matching.checks import check_conservation, check_over_application
from cuadre.matching.identify import (
    MIN_PREFIX,
    identify,
    name_candidates,
    named_at_cut,
    named_in_remittance,
)
from cuadre.matching.index import (
    Customers,
    Docs,
    index_customers,
    index_documents,
    name_key,
    source_of,
)
from cuadre.matching.policy import MatchPolicy
from cuadre.matching.references import (
    BANK_WORDS,
    PO_WORDS,
    cut_tail,
    looks_cut,
    one_edit,
    ref_keys,
    says_advance,
    says_deduction,
    says_partial,
    split_id,
    tokens,
)
from cuadre.matching.search import (
    explain_shortfall,
    find_runs,
    find_runs_two_holes,
    find_subsets,
    subset_sums,
)
from cuadre.model.tables import ALLOCATIONS
from cuadre.money import exponent, format_amount
from cuadre.text import compact

Payment = dict[str, Any]
"""One payments row as a plain dict (row access on a DataFrame is 50x slower)."""
Row = dict[str, object]

# Confidence of the evidence about the documents, before the identification's own.
REFERENCE = 0.97
"""The remittance names the documents exactly as the ERP writes them."""
WRITTEN_OTHERWISE = 0.02
"""Named another way (no prefix, leading zeros, a PO): a little less certain."""
OTHER_PARTY = 0.04
"""Paid by someone who is not the customer of the named documents."""
BY_AMOUNT = 0.03
"""No reference: placed by the customer's identity and an exact amount or sum."""
SPECIFIC_DIFFERENCE = 0.04
"""No reference: an invoice less a known deduction (fee, discount, withholding)."""
SPECIFIC_KINDS = ("early payment discount", "withholding tax", "bank fee")
LOOSE = "; the remittance's numbers are a loose link: review"
TWO_HOLES_MAX_DOCUMENTS = 400
"""Runs with two invoices left out are searched for customers with at most this many
open documents (the search grows with the square of the run length per document)."""
NAME_SHARED = 0.94
"""The payer name fits a few customers and only one has open documents that make the
amount (before the amount's own evidence is counted)."""
NUMBER_AND_AMOUNT = 0.92
NAME_AND_AMOUNT = 0.91
"""Payer name fits several customers (or is cut), and the only open document in the
ledger with exactly this amount belongs to one of them."""
"""Payer unknown, but the remittance's number is the document's and the amount is its."""


@dataclass
class _Read:
    """What a payment says, independent of what is still open."""

    cust: str
    how: str
    id_conf: float
    refs: list[int] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    weak: list[bool] = field(default_factory=list)  # linked by the bare number only
    other_cur: list[int] = field(default_factory=list)
    unread: int = 0  # invoice-like numbers that named nothing


def match_payments(
    open_items: pd.DataFrame,
    payments: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    policy: MatchPolicy | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Apply ``payments`` to ``open_items``; see the package docstring.

    Rows come out by value date, then payment id (each payment's rows together).
    ``progress(done)`` is called every 500 payments (status bar, progress bar)."""
    policy = policy or MatchPolicy()
    docs = index_documents(open_items)
    docs.threshold = policy.auto_threshold
    custs = index_customers(customers, open_items)
    findings: list[Finding] = []
    pay = payments.reset_index(drop=True)
    order = pay.sort_values(["value_date", "payment_id"], kind="stable").index.to_numpy()
    names = list(pay.columns)
    records: list[Payment] = [
        dict(zip(names, values, strict=True))
        for values in zip(*(pay[c].tolist() for c in names), strict=True)
    ]
    reads = [_read(records[i], docs, custs, policy, findings) for i in range(len(records))]
    first = [i for i in order if reads[i].refs]
    second = [i for i in order if not reads[i].refs]
    out: list[list[Row]] = [[] for _ in records]
    said: dict[int, list[Finding]] = {}  # per payment, so a retry replaces them
    undecided: list[int] = []
    for done, pos in enumerate((*first, *second), start=1):
        if progress is not None and done % 500 == 0:
            progress(done)
        out[pos], said[pos] = _decide(records[pos], reads[pos], docs, custs, policy)
        if not reads[pos].refs and not _applied(out[pos]):
            undecided.append(pos)
    # Once the other payments took their invoices, what was ambiguous (several runs,
    # identical amounts, a run broken by invoices another payment settles) may not be:
    # the payments without references that applied nothing are read again, in the
    # same order, until a round decides nothing more.
    for _ in range(policy.retry_rounds):
        again: list[int] = []
        for pos in undecided:
            rows, notes = _decide(records[pos], reads[pos], docs, custs, policy)
            if _applied(rows):
                out[pos], said[pos] = rows, notes
            else:
                again.append(pos)
        if len(again) == len(undecided):
            break
        undecided = again
    for pos in order:
        findings.extend(said.get(pos, ()))
        src = source_of(records[pos])
        for row in out[pos]:
            row["payment_row"] = src
            d = row.pop("_doc", None)
            row["document_row"] = docs.src(int(d)) if isinstance(d, int | np.integer) else ""
    flat = [row for pos in order for row in out[pos]]
    alloc = pd.DataFrame(flat, columns=[*ALLOCATIONS.names, "payment_row", "document_row"])
    for c in ("amount_applied", "difference"):
        alloc[c] = alloc[c].astype("Int64")
    alloc["confidence"] = alloc["confidence"].astype("float64")
    findings.extend(check_conservation(pay, alloc))
    findings.extend(check_over_application(open_items, alloc))
    return alloc, findings


def _decide(
    p: Payment, r: _Read, docs: Docs, custs: Customers, policy: MatchPolicy
) -> tuple[list[Row], list[Finding]]:
    """One payment's rows and findings (documents it applies are taken from ``docs``)."""
    rows: list[Row] = []
    notes: list[Finding] = []
    if r.refs:
        _by_references(p, r, docs, policy, rows, notes)
    elif r.cust:
        _by_amount(p, r.cust, r.how, r.id_conf, docs, policy, rows, notes)
    else:
        _unidentified(p, docs, custs, policy, rows, notes)
    return rows, notes


def _applied(rows: list[Row]) -> bool:
    """Something was applied to a document automatically (the documents changed)."""
    return any(row["status"] == "auto" and row["_doc"] is not None for row in rows)


# --------------------------------------------------------------------------- reading


def _read(
    p: Payment, docs: Docs, custs: Customers, policy: MatchPolicy, findings: list[Finding]
) -> _Read:
    cust, how, id_conf = identify(p, custs, policy)
    cur = p["currency"]
    text = str(p.get("remittance", "") or "")
    refs, written, weak, unread = read_refs(text, docs, cur, cust, int(p["amount"]))
    tail = cut_tail(text)
    if unread and tail and len(tail.lstrip("0")) >= 4:
        # the number the bank cut names nothing as it stands: not a sign of a list we
        # misread (the invoices after the cut are looked for where the text ends)
        last = tokens(text)[-1:]
        if last and last[0][2] == tail and last[0][0] not in written:
            unread -= 1
    r = _Read(cust, how, id_conf, unread=unread)
    for d, w, k in zip(refs, written, weak, strict=True):
        if docs.cur[d] == cur:
            r.refs.append(d)
            r.written.append(w)
            r.weak.append(k)
        else:
            r.other_cur.append(d)
    if r.other_cur:
        findings.append(
            warning(
                _loc(p),
                "CURRENCY_MISMATCH",
                f"payment {p['payment_id']} in {cur} names "
                + ", ".join(docs.ids[d] for d in r.other_cur)
                + " in another currency; not applied to them",
                "Check the payment's currency or convert it before applying.",
            )
        )
    return r


def find_refs(
    text: str, docs: Docs, currency: str, customer: str = ""
) -> tuple[list[int], list[str]]:
    """Documents named in ``text``; returns (doc positions, how each was written).

    Looked up in order: the document id as written (``FA-104233``, ``FA104233``,
    ``FA 0104233``), a customer PO printed on an invoice, and the bare number (numeric
    core). A token written like the id names it in any currency (the caller reports a
    mismatch). A bare number only names documents of the payment's currency, of the
    identified customer when there is one, and only when unambiguous: a guess is not a
    reference. Ranges (``F-2291 A 2295``) name every document between. Numbers after a
    bank word (``CHQ 004512``, ``REF 1234567``) are not references; numbers after a PO
    word (``PEDIDO 8433``) are looked up as purchase orders first.
    """
    found, written, _weak, _unread = read_refs(text, docs, currency, customer)
    return found, written


def read_refs(
    text: str, docs: Docs, currency: str, customer: str = "", amount: int | None = None
) -> tuple[list[int], list[str], list[bool], int]:
    """:func:`find_refs` plus, per document, whether only its bare number linked it
    (weak), and how many invoice-like numbers (4+ digits) named nothing."""
    if not text:
        return [], [], [], 0
    found: list[int] = []
    written: list[str] = []
    weak: list[bool] = []
    unread = 0
    seen: set[int] = set()
    for token, letters, digits in tokens(text):
        if letters in BANK_WORDS:
            continue
        hits: list[int] = []
        by_number = False
        for key in ref_keys(letters, digits):
            hits = docs.by_compact.get(key) or docs.by_reference.get(key)
            if hits:
                break
        if not hits:
            hits = _by_number(
                digits.lstrip("0"), docs, currency, customer, letters in PO_WORDS, amount
            )
            # written with another series' prefix (FA44927 is not F-44927)
            if letters and letters not in PO_WORDS:
                hits = [
                    h
                    for h in hits
                    if _letters(docs.ids[h]) in ("", letters) or letters not in docs.prefixes
                ]
            by_number = bool(hits)
        if not hits and len(digits.lstrip("0")) >= 4:
            unread += 1
        for h in hits:
            if h not in seen:
                seen.add(h)
                found.append(h)
                written.append(token)
                weak.append(by_number)
    return found, written, weak, unread


def _letters(doc_id: str) -> str:
    return split_id(doc_id)[1]


def _by_number(
    core: str,
    docs: Docs,
    currency: str,
    customer: str,
    po: bool = False,
    amount: int | None = None,
) -> list[int]:
    """Documents a bare number names: its invoice number or PO number, unambiguous.

    With the customer identified, its own documents first (short numbers too: "FRAS
    267-268"), and a PO printed on several of its invoices names them all; a number
    that is none of its own may be another customer's (a parent or factoring company
    that is a customer too pays for it), as without a customer: the number needs 4
    digits (5 for a PO) and must name a single document in the payment's currency, or
    a single one whose open amount is ``amount``. After a PO word the PO is looked up
    first.
    """
    if customer:
        own_po = [h for h in docs.by_reference_core.get(core) if docs.cust[h] == customer]
        if po and own_po:
            return own_po
        cands = [h for h in docs.by_core.get(core) if docs.cust[h] == customer]
        if not cands and own_po:
            return own_po
        if not cands and len(core) >= 2:
            own = docs.of_customer(customer, currency).tolist()
            cands = [h for h in own if docs.core[h] == core]
        if cands:
            return cands if len({docs.ids[h] for h in cands}) == 1 else []
    by_po = docs.by_reference_core.get(core) if len(core) >= (4 if po else 5) else []
    by_id = docs.by_core.get(core) if len(core) >= 4 else []
    cands = (by_po or by_id) if po else (by_id or by_po)
    cands = [h for h in cands if docs.cur[h] == currency]
    if len({docs.ids[h] for h in cands}) == 1:
        return cands
    if customer and amount is not None:
        same = [h for h in cands if docs.remaining[h] == amount]
        return same if len(same) == 1 else []
    return []


# --------------------------------------------------------------------------- rows


def _row(
    p: Payment,
    doc: int | None,
    docs: Docs,
    customer: str,
    amount: int,
    status: str,
    conf: float,
    reason: str,
    difference: int = 0,
    diff_reason: str = "",
) -> Row:
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


def _settle(
    p: Payment,
    doc_ids: list[int],
    docs: Docs,
    cust: str,
    status: str,
    conf: float,
    reason: str,
    rows: list[Row],
    difference: int = 0,
    diff_reason: str = "",
) -> None:
    """Settle ``doc_ids`` in full; the difference goes on the last row."""
    conf = round(conf, 6)
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


def _ambiguous(p: Payment, rows: list[Row], findings: list[Finding]) -> None:
    findings.append(
        warning(_loc(p), "AMBIGUOUS_MATCH", f"payment {p['payment_id']}: {rows[-1]['reason']}")
    )


def _loc(p: Payment) -> Location:
    sheet = p.get("source_sheet", "") or None
    row = p.get("source_row", pd.NA)
    return Location(
        str(p.get("source_path", "") or ""),
        None if pd.isna(row) else int(row),
        None,
        sheet,
    )


def _ids(docs: Docs, ds: list[int]) -> str:
    return ", ".join(docs.ids[d] for d in ds)


def _round(amount: int, cur: str) -> bool:
    """A whole number of 100 major units: how people pay on account or in part."""
    return amount % (100 * 10 ** exponent(cur)) == 0


def rounded_up(amount: int, excess: int, cur: str) -> bool:
    """The payer rounded the amount up: it is a whole number of 100, 1,000 or 10,000
    major units and the excess is less than one such step."""
    unit = 10 ** exponent(cur)
    return any(
        amount % (step * unit) == 0 and 0 < excess < step * unit for step in (10_000, 1_000, 100)
    )


# --------------------------------------------------------------------------- with references


def _by_references(
    p: Payment, r: _Read, docs: Docs, policy: MatchPolicy, rows: list[Row], findings: list[Finding]
) -> None:
    refs, written, weak, cust = r.refs, r.written, r.weak, r.cust
    ref_custs = {docs.cust[d] for d in refs}
    note = ""
    # an advance quotes the number of an order not yet invoiced: documents of others
    # that share the number are not what it pays
    advance = says_advance(str(p.get("remittance", "") or ""))
    if advance and cust and cust not in ref_custs:
        _by_amount(p, cust, r.how, r.id_conf, docs, policy, rows, findings)
        return
    if cust and len(ref_custs) > 1 and cust in ref_custs:
        keep = [
            (d, w, k) for d, w, k in zip(refs, written, weak, strict=True) if docs.cust[d] == cust
        ]
        refs, written, weak = (
            [d for d, _, _ in keep],
            [w for _, w, _ in keep],
            [k for _, _, k in keep],
        )
        ref_custs = {cust}
    if len(ref_custs) > 1:
        # a number (a PO most often) several customers use: the one document of them
        # whose open amount is the payment's
        same = [
            (d, w, k)
            for d, w, k in zip(refs, written, weak, strict=True)
            if docs.remaining[d] == int(p["amount"])
        ]
        if len(same) == 1:
            note = (
                f"; {same[0][1]} is also on {len(refs) - 1} documents of other customers, "
                f"only {docs.ids[same[0][0]]} has the payment's amount"
            )
            refs, written, weak = [same[0][0]], [same[0][1]], [same[0][2]]
            ref_custs = {docs.cust[refs[0]]}
    if len(ref_custs) > 1:
        rows.append(
            _row(
                p,
                None,
                docs,
                "",
                int(p["amount"]),
                "unmatched",
                0.3,
                "remittance names documents of several customers: "
                + ", ".join(f"{docs.ids[d]} ({docs.cust[d]})" for d in refs),
            )
        )
        _ambiguous(p, rows, findings)
        return
    ref_cust = ref_custs.pop()
    # a bare number is a firm link only for the payer's own documents; numbers that
    # named nothing mean the list we read is incomplete
    loose = all(weak) and cust != ref_cust
    firm = not loose and r.unread == 0
    if (loose or advance) and cust and not _exact_fit(p, refs, docs, policy):
        _by_amount(p, cust, r.how, r.id_conf, docs, policy, rows, findings)
        return
    _apply_refs(p, refs, written, ref_cust, cust, r.how, docs, policy, rows, firm, note)


def _exact_fit(p: Payment, refs: list[int], docs: Docs, policy: MatchPolicy) -> bool:
    """The amount equals the named documents' open total, or it less a known deduction."""
    open_refs = [d for d in refs if docs.remaining[d] != 0]
    total = int(docs.remaining[open_refs].sum()) if open_refs else 0
    amount = int(p["amount"])
    if not open_refs or amount > total:
        return False
    if amount == total:
        return True
    why = explain_shortfall(
        total - amount, docs.remaining[open_refs].tolist(), p["currency"], policy
    )
    return why is not None and why[1] in SPECIFIC_KINDS


def _apply_refs(
    p: Payment,
    refs: list[int],
    written: list[str],
    ref_cust: str,
    cust: str,
    how: str,
    docs: Docs,
    policy: MatchPolicy,
    rows: list[Row],
    firm: bool = True,
    note: str = "",
) -> None:
    """Settle the named documents. Only exact outcomes (amount equal, a known
    deduction, an open credit note, the named ones that make the sum) are automatic
    unless the link is ``firm``: the documents named as the ERP writes them or by the
    identified customer's own numbers, and nothing else in the text left unread."""
    loose = "" if firm else LOOSE
    maybe = "auto" if firm else "suggested"
    amount = int(p["amount"])
    cur = p["currency"]
    text = str(p.get("remittance", "") or "")

    def f(units: int) -> str:
        return format_amount(int(units), cur)

    open_refs = [d for d in refs if docs.remaining[d] != 0]
    as_id = [compact(w) == compact(docs.ids[d]) for d, w in zip(refs, written, strict=True)]
    names = ", ".join(
        docs.ids[d] + ("" if same else f" (written {w})")
        for d, w, same in zip(refs, written, as_id, strict=True)
    )
    base = f"remittance names {names}{note}"
    conf = REFERENCE
    if not all(as_id):
        conf -= WRITTEN_OTHERWISE
    if cust and cust != ref_cust:
        base += f"; paid by another party ({how})"
        conf -= OTHER_PARTY
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
    if amount == total:
        _settle(p, open_refs, docs, ref_cust, "auto", conf, f"{base}; amount equal", rows)
        return
    amounts = [int(docs.remaining[d]) for d in open_refs]
    if amount < total and len(open_refs) > 1 and all(a > 0 for a in amounts):
        # a PO printed on several invoices, or a list some of which are paid already
        sets = find_subsets(amounts, amount, len(amounts))
        if len(sets) == 1:
            chosen = [open_refs[i] for i in sets[0]]
            _settle(
                p,
                chosen,
                docs,
                ref_cust,
                "auto",
                conf - BY_AMOUNT,
                f"{base}; the amount equals {_ids(docs, chosen)} exactly, the only "
                "combination of the named documents that does",
                rows,
            )
            return
    explained = explain_shortfall(total - amount, amounts, cur, policy)
    if explained is not None:
        words, why = explained
        status = "auto" if why in SPECIFIC_KINDS else maybe
        _settle(
            p,
            open_refs,
            docs,
            ref_cust,
            status,
            conf - 0.02,
            f"{base}; {words}" + ("" if status == "auto" else loose),
            rows,
            amount - total,
            why,
        )
        return
    if amount < total:
        # the shortfall is exactly an open credit note of the customer, not named
        notes = [
            d
            for d in docs.open_of(ref_cust, cur).tolist()
            if docs.remaining[d] < 0 and d not in open_refs
        ]
        fit = [d for d in notes if total + int(docs.remaining[d]) == amount]
        if len(fit) == 1:
            _settle(
                p,
                [*open_refs, fit[0]],
                docs,
                ref_cust,
                "auto",
                conf - BY_AMOUNT,
                f"{base}; less open credit note {docs.ids[fit[0]]}, which is exactly the shortfall",
                rows,
            )
            return
    if amount > total:
        _overpaid(p, open_refs, total, ref_cust, base, conf, text, docs, policy, rows, firm)
        return
    short = total - amount
    partial_words = says_partial(text) and not says_deduction(text)
    if short < total * policy.deduction_max_pct / 100:
        # a small unexplained shortfall is a deduction (freight, shortage, pricing): the
        # invoices are cleared and the deduction stays open to investigate; not when the
        # payer calls it a part payment, nor when the bank cut the list of invoices
        # (a cut text that already says what was taken off lost nothing that matters)
        cut = looks_cut(text) and not says_deduction(text)
        auto = policy.auto_deductions and not partial_words and not cut and firm
        _settle(
            p,
            open_refs,
            docs,
            ref_cust,
            "auto" if auto else "suggested",
            conf - 0.05 if auto else conf - 0.2,
            f"{base}; paid {f(short)} short ({short / total:.1%}): "
            + (
                "deduction kept open to investigate"
                if auto
                else "a deduction to investigate, or a partial payment"
                + (" (the payer says partial)" if partial_words else "")
                + (" (the remittance may be cut)" if cut else "")
            ),
            rows,
            amount - total,
            "deduction",
        )
        return
    # partial payment: oldest due first (a cut remittance may name more: review then)
    # (another party paying part of a customer's invoice, or an advance, is for review)
    status = (
        "auto"
        if len(open_refs) == 1
        and not looks_cut(text)
        and firm
        and cust in ("", ref_cust)
        and not says_advance(text)
        else "suggested"
    )
    left = amount
    for d in open_refs:
        if left <= 0:
            break
        take = min(left, int(docs.remaining[d]))
        if take <= 0:
            continue
        remainder = int(docs.remaining[d]) - take
        reason = f"{base}; partial payment" + (f", {f(remainder)} stays open" if remainder else "")
        reason += "" if status == "auto" or firm else loose
        rows.append(_row(p, d, docs, ref_cust, take, status, conf - 0.07, reason))
        if status == "auto":
            docs.remaining[d] -= take
        left -= take
    if left > 0:
        rows.append(
            _row(
                p,
                None,
                docs,
                ref_cust,
                left,
                "suggested",
                0.5,
                "rest of the payment, pending review",
            )
        )


def _overpaid(
    p: Payment,
    open_refs: list[int],
    total: int,
    ref_cust: str,
    base: str,
    conf: float,
    text: str,
    docs: Docs,
    policy: MatchPolicy,
    rows: list[Row],
    firm: bool = True,
) -> None:
    amount = int(p["amount"])
    cur = p["currency"]
    excess = amount - total
    tail = cut_tail(text)
    cont = (
        None if tail is None else _continuation(p, excess, open_refs, ref_cust, tail, docs, policy)
    )
    if cont is not None:
        extra, difference, words, why = cont
        block = open_refs + [d for d in extra if docs.remaining[d] > 0]
        notes = [d for d in extra if docs.remaining[d] < 0]
        _settle(
            p,
            block + notes,
            docs,
            ref_cust,
            "auto",
            conf - BY_AMOUNT,
            f"{base}; the remittance was cut at {len(text.strip())} characters"
            + (f" (its last number, {tail}..., starts {docs.ids[extra[0]]})" if tail else "")
            + ": with the next invoices in due-date order, "
            + f"{_ids(docs, [d for d in extra if d not in notes])}, {words}",
            rows,
            min(difference, 0),  # short: the difference; over: on account, below
            why if difference < 0 else "",
        )
        if difference > 0:
            rows.append(
                _row(
                    p,
                    None,
                    docs,
                    ref_cust,
                    difference,
                    "on_account",
                    conf - BY_AMOUNT - 0.02,
                    f"overpayment of {format_amount(difference, cur)} left on account",
                )
            )
        return
    extra = _complete(p, excess, open_refs, ref_cust, docs, policy)
    if extra:
        why = "the remittance was cut short" if looks_cut(text) else "not named"
        _settle(
            p,
            open_refs + extra,
            docs,
            ref_cust,
            "auto",
            conf - BY_AMOUNT,
            f"{base}; with {_ids(docs, extra)} ({why}; the only invoices that make up "
            f"the other {format_amount(excess, cur)}) the amount is equal",
            rows,
        )
        return
    small = excess <= total * policy.overpayment_max_pct / 100 or rounded_up(amount, excess, cur)
    if looks_cut(text) or not small or not firm:
        why = (
            f"the remittance looks cut at {len(text.strip())} characters"
            if looks_cut(text)
            else "the excess is large"
            if not small
            else "the link is loose"
        )
        _settle(
            p,
            open_refs,
            docs,
            ref_cust,
            "suggested",
            conf - 0.2,
            f"{base}{'' if firm else LOOSE}; {why} and {format_amount(excess, cur)} more was "
            "paid: which other invoices?",
            rows,
        )
        rows.append(
            _row(
                p,
                None,
                docs,
                ref_cust,
                excess,
                "suggested",
                0.5,
                "rest of the payment, pending review",
            )
        )
        return
    _settle(
        p, open_refs, docs, ref_cust, "auto", conf - 0.02, f"{base}; documents paid in full", rows
    )
    rows.append(
        _row(
            p,
            None,
            docs,
            ref_cust,
            excess,
            "on_account",
            conf - 0.02,
            f"overpayment of {format_amount(excess, cur)} left on account",
        )
    )


def _continuation(
    p: Payment,
    excess: int,
    named: list[int],
    cust: str,
    tail: str,
    docs: Docs,
    policy: MatchPolicy,
) -> tuple[list[int], int, str, str] | None:
    """The bank cut the payer's list: the invoices it lost are the ones that follow the
    named ones in due-date order (payers list oldest first), starting with one whose
    number begins with the digits the text ends with. The run of them that makes up
    ``excess`` exactly, or less a known deduction (bank fee, discount, withholding), or
    net of an open credit note, or with the amount rounded up; the run nearest the
    named ones wins (the first invoice that fits the cut digits, nothing skipped), and
    a tie is no answer. Returns (documents, difference, words, why)."""
    cur = p["currency"]
    own = docs.of_customer(cust, cur)
    last = max(named, key=lambda d: (docs.due[d], docs.ids[d]))
    key = (docs.due[last], docs.ids[last])
    named_set = set(named)
    after = [
        d
        for d in own.tolist()
        if docs.remaining[d] > 0
        and d not in named_set
        and docs.kind[d] != "credit_note"
        and (docs.due[d], docs.ids[d]) > key
    ]
    if not after:
        return None
    starts = (
        [i for i, d in enumerate(after) if (docs.core[d] or "").startswith(tail)][:3]
        if len(tail) >= 2
        else [0]
    )
    if not starts or (tail and not (docs.core[after[0]] or "").startswith(tail[:1])):
        return None
    notes = [d for d in own.tolist() if docs.remaining[d] < 0 and d not in named_set]
    room = max(policy.run_max_size - len(named), 1)
    named_amounts = [int(docs.remaining[d]) for d in named]
    fits: dict[tuple[int, int], dict[tuple[int, ...], tuple[int, str, str]]] = {}

    def fit(run: list[int], distance: int) -> None:
        amounts = [int(docs.remaining[d]) for d in run]
        gap = excess - sum(amounts)
        if gap == 0:
            fits.setdefault((0, distance), {})[tuple(run)] = (0, "the amount is equal", "")
        elif gap < 0:
            explained = _specific(-gap, named_amounts + amounts, cur, policy)
            if explained is not None:
                fits.setdefault((1, distance), {})[tuple(run)] = (
                    gap,
                    f"less {explained[0]}",
                    explained[1],
                )
                return
            for n in notes:
                if int(docs.remaining[n]) == gap:
                    fits.setdefault((2, distance), {})[(*run, n)] = (
                        0,
                        f"net of open credit note {docs.ids[n]}, the amount is equal",
                        "",
                    )
        elif rounded_up(int(p["amount"]), gap, cur):
            fits.setdefault((3, distance), {})[tuple(run)] = (
                gap,
                f"the payer rounded up by {format_amount(gap, cur)}",
                "overpayment",
            )

    for rank, s0 in enumerate(starts):
        seq = after[s0 : s0 + room + 1]
        for k in range(1, min(room, len(seq)) + 1):
            fit(seq[:k], rank)
            if k < len(seq):
                for hole in range(1, k):  # one invoice skipped (disputed, paid apart)
                    fit([*seq[:hole], *seq[hole + 1 : k + 1]], rank + 1)
    if not fits:
        return None
    found = fits[min(fits)]
    if len(found) != 1:
        return None
    run, (difference, words, why) = next(iter(found.items()))
    return list(run), difference, words, why


def _complete(
    p: Payment, excess: int, named: list[int], cust: str, docs: Docs, policy: MatchPolicy
) -> list[int]:
    """The customer's other open invoices that make up ``excess`` exactly, if only one
    set does: the next ones in due-date order (payers list invoices oldest first and
    the bank cuts the list), or the numbers nearest the named ones."""
    others = [
        d
        for d in docs.open_of(cust, p["currency"]).tolist()
        if docs.remaining[d] > 0 and d not in named
    ]
    if not others:
        return []
    amounts = docs.remaining[others]
    sets = {tuple(others[i] for i in s) for s in find_runs(amounts, excess, policy.run_max_size)}
    numbers = [int(docs.core[d] or 0) for d in named]

    def distance(d: int) -> int:
        n = int(docs.core[d] or 0)
        return min(abs(n - k) for k in numbers) if numbers else 0

    pool = sorted(others, key=distance)[: min(policy.subset_max_items, 22)]
    for s in subset_sums(docs.remaining[pool], excess, policy.subset_max_size):
        sets.add(tuple(sorted((pool[i] for i in s), key=lambda d: (docs.due[d], docs.ids[d]))))
    return list(sets.pop()) if len(sets) == 1 else []


# --------------------------------------------------------------------------- by amount


def _by_amount(
    p: Payment,
    cust: str,
    how: str,
    id_conf: float,
    docs: Docs,
    policy: MatchPolicy,
    rows: list[Row],
    findings: list[Finding],
) -> bool:
    """No reference: the customer is known, the amount must say which documents.
    True when one document or one set of them fits (applied, or suggested when the
    confidence is under the threshold); False when ambiguous or left on account."""
    amount = int(p["amount"])
    cur = p["currency"]

    def f(units: int) -> str:
        return format_amount(int(units), cur)

    text = str(p.get("remittance", "") or "")
    if says_advance(text):
        rows.append(
            _row(
                p,
                None,
                docs,
                cust,
                amount,
                "on_account",
                min(id_conf, 0.95) - 0.02,
                f'{how}; the payer says it is an advance ("{text.strip()[:40]}"): left on account',
            )
        )
        return False
    all_open = docs.open_of(cust, cur)
    cands = all_open[docs.remaining[all_open] > 0]
    rem = docs.remaining[cands]
    conf = min(id_conf, 0.98) - BY_AMOUNT
    status = "auto" if conf >= policy.auto_threshold else "suggested"
    equal = cands[rem == amount].tolist()
    if len(equal) == 1:
        _settle(
            p,
            equal,
            docs,
            cust,
            status,
            conf,
            f"no reference; {how}; amount equals open {docs.ids[equal[0]]}, "
            "the customer's only document with that amount",
            rows,
        )
        return True
    if len(equal) > 1:
        # a number in the text one keystroke from one of them (and from no other)
        written = {
            digits.lstrip("0")
            for _, letters, digits in tokens(text)
            if letters not in BANK_WORDS and len(digits.lstrip("0")) >= 3
        }
        near = [d for d in equal if any(one_edit(w, docs.core[d]) for w in written)]
        if len(near) == 1:
            typed = next(w for w in written if one_edit(w, docs.core[near[0]]))
            _settle(
                p,
                near,
                docs,
                cust,
                status,
                conf - 0.01,
                f"no reference; {how}; {len(equal)} open documents have this amount, and "
                f"the remittance's {typed} is {docs.ids[near[0]]} mistyped (one digit), "
                "the only one of them it can be",
                rows,
            )
            return True
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
                f"({_ids(docs, equal[:12])}{', ...' if len(equal) > 12 else ''}): "
                "the oldest is suggested",
            )
        )
        _ambiguous(p, rows, findings)
        return False
    net = int(docs.remaining[all_open].sum())
    if len(all_open) > 1 and amount == net:
        _settle(
            p,
            all_open.tolist(),
            docs,
            cust,
            status,
            conf,
            f"no reference; {how}; amount equals the customer's whole open balance",
            rows,
        )
        return True
    sets = _sum_candidates(cands, rem, amount, policy)
    if len(sets) == 1:
        block, run = sets[0]
        what = "consecutive invoices in due-date order" if run else "open invoices"
        _settle(
            p,
            block,
            docs,
            cust,
            status,
            conf,
            f"no reference; {how}; amount equals the sum of {len(block)} {what} "
            f"({_ids(docs, block)}), the only combination that does",
            rows,
        )
        return True
    if not sets and len(cands) <= TWO_HOLES_MAX_DOCUMENTS:
        # a run the payer broke twice (two invoices it did not pay: disputed, or
        # settled by another payment), the only one
        sets = [
            ([int(cands[i]) for i in s], True)
            for s in find_runs_two_holes(rem.tolist(), amount, policy.run_max_size)
        ]
        if len(sets) == 1:
            block = sets[0][0]
            _settle(
                p,
                block,
                docs,
                cust,
                status,
                conf - 0.01,
                f"no reference; {how}; amount equals the sum of {len(block)} invoices in "
                f"due-date order ({_ids(docs, block)}), two left out between them, the "
                "only combination that does",
                rows,
            )
            return True
    if len(sets) > 1:
        first, second = sets[0][0], sets[1][0]
        rows.append(
            _row(
                p,
                first[0],
                docs,
                cust,
                min(amount, int(docs.remaining[first[0]])),
                "suggested",
                0.5,
                f"no reference; {how}; several combinations of open invoices make "
                f"{f(amount)}, e.g. {_ids(docs, first)} or {_ids(docs, second)}: review",
            )
        )
        if amount - int(docs.remaining[first[0]]) > 0:
            rows.append(
                _row(
                    p,
                    None,
                    docs,
                    cust,
                    amount - int(docs.remaining[first[0]]),
                    "suggested",
                    0.5,
                    "rest of the payment, pending review",
                )
            )
        _ambiguous(p, rows, findings)
        return False
    # invoices net of an open credit note of the customer (consecutive invoices only)
    notes = [d for d in all_open.tolist() if docs.kind[d] == "credit_note"][:5]
    netted = []
    for n in notes:
        for s in find_runs(rem, amount - int(docs.remaining[n]), policy.run_max_size, holes=0):
            netted.append([*(int(cands[i]) for i in s), n])
    if len(netted) == 1:
        block = netted[0]
        _settle(
            p,
            block,
            docs,
            cust,
            status,
            conf - 0.02,
            f"no reference; {how}; amount equals {_ids(docs, block[:-1])} less open credit "
            f"note {docs.ids[block[-1]]}, the only combination that does",
            rows,
        )
        return True
    # invoices less a known deduction (bank fee, discount, withholding)
    near = [] if _round(amount, cur) else _less_known_deduction(cands, rem, amount, cur, policy)
    if len(near) == 1:
        block, words, why = near[0]
        what = (
            f"open {docs.ids[block[0]]}"
            if len(block) == 1
            else (f"consecutive open invoices {_ids(docs, block)}")
        )
        _settle(
            p,
            block,
            docs,
            cust,
            status,
            conf - (SPECIFIC_DIFFERENCE - BY_AMOUNT) - (0 if len(block) == 1 else 0.01),
            f"no reference; {how}; {what} less {words}",
            rows,
            amount - int(docs.remaining[block].sum()),
            why,
        )
        return True
    balance = int(rem.sum())
    reason = f"{how}; no reference and no open document fits {f(amount)}"
    if balance:
        reason += f" (open balance {f(balance)})"
    rows.append(
        _row(
            p,
            None,
            docs,
            cust,
            amount,
            "on_account",
            min(id_conf, 0.9),
            reason + ": left on account",
        )
    )
    return False


def _one_that_fits(
    p: Payment,
    shared: set[str],
    said: str,
    docs: Docs,
    custs: Customers,
    policy: MatchPolicy,
    rows: list[Row],
    findings: list[Finding],
) -> bool:
    """``said`` (a payer name, the end of a cut remittance) fits the few customers in
    ``shared``: the one whose open documents make the amount, when only one's do."""
    if not shared:
        return False
    fits = []
    saved, docs.threshold = docs.threshold, 2.0  # a probe: nothing is applied
    try:
        for c in sorted(shared):
            if _by_amount(p, c, "", 1.0, docs, policy, [], []):
                fits.append(c)
    finally:
        docs.threshold = saved
    if len(fits) != 1:
        return False
    others = ", ".join(c for c in sorted(shared) if c != fits[0])
    how = (
        f"{said} fits {len(shared)} customers; only {fits[0]} "
        f"({custs.display.get(fits[0], fits[0])}) has open documents that make the amount, "
        f"not {others}"
    )
    return _by_amount(p, fits[0], how, NAME_SHARED, docs, policy, rows, findings)


def _sum_candidates(
    cands: np.ndarray, rem: np.ndarray, amount: int, policy: MatchPolicy
) -> list[tuple[list[int], bool]]:
    """Distinct sets of the customer's open invoices whose total is ``amount``: runs in
    due-date order (perhaps skipping one), and any combination of the oldest ones."""
    found: dict[tuple[int, ...], bool] = {}
    for s in find_runs(rem, amount, policy.run_max_size):
        found.setdefault(tuple(int(cands[i]) for i in s), True)
    pool = rem[: min(policy.subset_max_items, 22)]
    for s in subset_sums(pool, amount, policy.subset_max_size):
        found.setdefault(tuple(int(cands[i]) for i in s), False)
    return [(list(k), v) for k, v in found.items()]


def _specific(
    short: int, doc_amounts: list[int], cur: str, policy: MatchPolicy
) -> tuple[str, str] | None:
    """:func:`explain_shortfall` when a specific rule (bank fee, early-payment discount,
    withholding) explains ``short``, with nothing written to confirm it: banks charge
    whole fees (15.00, 25.00), so 3.35 short is something else."""
    explained = explain_shortfall(short, doc_amounts, cur, policy)
    if explained is None or explained[1] not in SPECIFIC_KINDS:
        return None
    if explained[1] == "bank fee" and short % 10 ** exponent(cur):
        return None
    return explained


def _less_known_deduction(
    cands: np.ndarray, rem: np.ndarray, amount: int, cur: str, policy: MatchPolicy
) -> list[tuple[list[int], str, str]]:
    """One invoice, or a run of consecutive ones, less a deduction a known rule
    (bank fee, early-payment discount, withholding) explains; at most two found."""
    n = len(rem)
    if n == 0:
        return []
    prefix = np.concatenate([[0], np.cumsum(rem, dtype=np.int64)])
    width = min(policy.run_max_size, n)
    starts = np.arange(n)[:, None]
    ends = starts + np.arange(1, width + 1)[None, :]
    valid = ends <= n
    short = np.where(valid, prefix[np.minimum(ends, n)] - prefix[starts], 0) - amount
    # withholdings and discounts stay well under 15 % of the payment
    hit = valid & (short > 0) & (short <= amount * 0.15)
    found: list[tuple[list[int], str, str]] = []
    for i, k in zip(*np.nonzero(hit), strict=True):
        i, j = int(i), int(ends[i, k])
        explained = _specific(int(short[i, k]), rem[i:j].tolist(), cur, policy)
        if explained is None:
            continue
        found.append(([int(c) for c in cands[i:j]], *explained))
        if len(found) > 1:
            return found
    return found


# --------------------------------------------------------------------------- unidentified


def _unidentified(
    p: Payment,
    docs: Docs,
    custs: Customers,
    policy: MatchPolicy,
    rows: list[Row],
    findings: list[Finding],
) -> None:
    amount = int(p["amount"])
    cur = p["currency"]
    text = str(p.get("remittance", "") or "")
    shared, phrase = named_at_cut(text, custs)
    said = f'the remittance, cut at "{phrase}",'
    if _one_that_fits(p, shared, said, docs, custs, policy, rows, findings):
        return
    if text:
        cust, how, conf = named_in_remittance(text, custs, policy)
        if cust:
            _by_amount(p, cust, how, conf, docs, policy, rows, findings)
            return
        # a number in the text that is a document's number, and that document's amount
        hits = {
            d
            for _, _, digits in tokens(text)
            if len(digits.lstrip("0")) >= 3
            for d in (
                docs.by_core.get(digits.lstrip("0"))
                + docs.by_reference_core.get(digits.lstrip("0"))
                + _short_core(docs, digits)
            )
            if docs.cur[d] == cur and docs.remaining[d] == amount
        }
        why = ""
        if len(hits) == 1:
            why = (
                "the remittance writes the number (or PO) of {doc} and the amount equals it exactly"
            )
        else:
            # the bank cut the text inside the number: its start and the amount
            tail = cut_tail(text) or ""
            start = tail.lstrip("0")
            if len(start) >= 3:
                hits = {
                    d for d in _global_amount(docs, cur, amount) if docs.core[d].startswith(start)
                }
                why = (
                    f"the remittance was cut at {len(text.strip())} characters inside a number "
                    f"that starts {tail}: {{doc}} is the only open document whose number starts "
                    "so and whose amount equals the payment"
                )
        if len(hits) == 1:
            d = hits.pop()
            doc = f"{docs.ids[d]} ({docs.cust[d]})"
            _settle(
                p,
                [d],
                docs,
                docs.cust[d],
                "auto",
                NUMBER_AND_AMOUNT,
                "payer not identified; " + why.format(doc=doc),
                rows,
            )
            return
    said = f'payer name "{p.get("payer_name", "")}"'
    if _one_that_fits(p, name_candidates(p, custs), said, docs, custs, policy, rows, findings):
        return
    cands = _global_amount(docs, cur, amount)
    if len(cands) == 1:
        d = cands[0]
        said = _names_customer(p, docs.cust[d], custs)
        if said:
            _settle(
                p,
                [d],
                docs,
                docs.cust[d],
                "auto",
                NAME_AND_AMOUNT,
                f"{said}; amount {format_amount(amount, cur)} equals open {docs.ids[d]}, "
                "the only open document in the ledger with that amount",
                rows,
            )
            return
        rows.append(
            _row(
                p,
                d,
                docs,
                docs.cust[d],
                amount,
                "suggested",
                0.5,
                f"payer not identified; amount {format_amount(amount, cur)} equals open "
                f"{docs.ids[d]} of {docs.cust[d]}, the only document with that amount",
            )
        )
        return
    reason = "payer not identified and no invoice reference in the remittance"
    if cands:
        reason += f"; {len(cands)} open documents have the same amount"
    rows.append(_row(p, None, docs, "", amount, "unmatched", 0.0, reason))


def _names_customer(p: Payment, cust: str, custs: Customers) -> str:
    """How the payer name, or a name in the remittance, fits ``cust`` when it did not
    identify anyone alone (shared by several customers, or cut): '' when it does not."""
    own = custs.names_of.get(cust, [])
    raw = str(p.get("payer_name", "") or "")
    name = name_key(raw)
    if name and len(name) >= 6 and any(n == name or n.startswith(name + " ") for n in own):
        return f'payer name "{raw}" fits {custs.display.get(cust, cust)} (shared or cut)'
    text = str(p.get("remittance", "") or "")
    words = name_key(text).split()
    for i in range(len(words) - 1):
        phrase = " ".join(words[i:])
        for n in own:
            k = min(len(n), len(phrase))
            if k >= MIN_PREFIX and " " in n[:k] and n[:k] == phrase[:k]:
                return f"remittance names {custs.display.get(cust, cust)} (paid on its behalf)"
    return ""


def _short_core(docs: Docs, digits: str) -> list[int]:
    """Documents whose number is a 3-digit ``digits`` (not in the 4-digit core index)."""
    core = digits.lstrip("0")
    if len(core) != 3:
        return []
    if docs.core3 is None:
        docs.core3 = {}
        for i, c in enumerate(docs.core):
            if len(c) == 3:
                docs.core3.setdefault(c, []).append(i)
    return docs.core3.get(core, [])


def _global_amount(docs: Docs, cur: str, amount: int) -> list[int]:
    """Open documents of any customer in ``cur`` whose remaining amount is ``amount``."""
    if not docs.by_amount:
        cur_arr = np.array(docs.cur, dtype=object)
        for c in dict.fromkeys(docs.cur):
            pos = np.flatnonzero(cur_arr == c)
            start = docs.remaining[pos]
            order = np.argsort(start, kind="stable")
            docs.by_amount[c] = (start[order], pos[order])
    if cur not in docs.by_amount:
        return []
    values, pos = docs.by_amount[cur]
    lo, hi = np.searchsorted(values, amount, "left"), np.searchsorted(values, amount, "right")
    return [int(d) for d in pos[lo:hi] if docs.remaining[d] == amount]


__all__ = ["find_refs", "match_payments", "rounded_up"]
