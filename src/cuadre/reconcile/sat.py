"""SAT (Mexico) registry vs ERP, and the payment complements (REP) against the collections.

``reconcile_sat(fiscal_docs, erp_documents, *, payment_complements, allocations,
payments, policy) -> Reconciliation``

Documents: the CFDI the SAT has (XML and bulk-download Metadata, read by
:func:`cuadre.importers.fiscal.import_fiscal`) against the ERP's invoices and credit
notes (Ingreso / Egreso), as :mod:`cuadre.reconcile.fiscal` does for both countries:
missing in the ERP, missing in the SAT, amount / RFC / type differences, cancelled in the
SAT but open in the ERP.

Payment complements (``extra["complement_checks"]``), the part no ERP does: for every
invoice, what the ERP applied (``amount_original - amount_open``, plus this run's
``auto`` allocations to it) against what the valid complements say was paid
(ImpPagado), and the complements among themselves:

- ``PPD_WITHOUT_REP``: a PPD invoice (MetodoPago from the CFDI, else the ERP's
  ``payment_method`` column) with money applied and no complement; the deadline is day
  5 of the month after the payment (RMF 2.7.1.35 / Anexo 20 Pagos 2.0 guide);
- ``REP_DISAGREES_WITH_ERP``: the complements paid a different amount, or leave a
  different balance (ImpSaldoInsoluto), than the ERP;
- ``REP_REJECTED``: a complement line (DoctoRelacionado) that cannot be applied to the
  invoice it names, the reasons in ``reason`` (codes, ``;``-separated) and in words:
  ``unknown_invoice`` (IdDocumento is a UUID neither the SAT download nor the ERP
  has), ``currency`` (MonedaDR is not the invoice's currency), ``equivalence``
  (EquivalenciaDR is not 1 while MonedaP = MonedaDR, or missing while they differ),
  ``overpaid`` (ImpPagado more than ImpSaldoAnt, or not positive), ``installment``
  (NumParcialidad is not the next one: the first is 1, each one the previous + 1;
  a repeat of the last one is a ``DUPLICATE_REP`` instead), ``pue_invoice`` (the
  invoice is PUE, paid at issue: it takes no complement). These are the grounds on
  which the SAT validation (CRP rules) and customers' portals refuse a complement, so a
  rejected line does *not* count as paid in the checks below: the payment it documents
  still needs a correct complement;
- ``REP_CHAIN_BROKEN``: the first ImpSaldoAnt is not the invoice total, an ImpSaldoAnt
  is not the previous ImpSaldoInsoluto, or ImpSaldoInsoluto != ImpSaldoAnt - ImpPagado;
- ``DUPLICATE_REP``: two valid complements for the same installment (or the same date
  and amount) of one invoice;
- ``REP_LATE``: the complement was issued after its deadline;
- ``REP_FOR_CANCELLED_INVOICE``: a valid complement pays an invoice the SAT cancelled.

Complements whose own CFDI the SAT cancelled are left out of the checks (counted).
Complements refused on a customer's portal for reasons of its own (a purchase order
missing, a portal rule) are in no SAT file and are not detected here.

Reference: SAT Anexo 20 CFDI 4.0 and Complemento para recepción de pagos 2.0 (guía de
llenado: NumParcialidad, ImpSaldoAnt, ImpPagado, ImpSaldoInsoluto), RMF rule 2.7.1.35.
"""

from __future__ import annotations

import pandas as pd

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import typed_table
from cuadre.posting import complement_deadline
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.core import money, show, text
from cuadre.reconcile.fiscal import MEXICO, FiscalPolicy, Paired, reconcile_fiscal
from cuadre.reconcile.tables import COMPLEMENT_CHECKS
from cuadre.text import compact

SEVERITY = {
    "PPD_WITHOUT_REP": "error",
    "REP_DISAGREES_WITH_ERP": "warning",
    "REP_REJECTED": "warning",
    "REP_CHAIN_BROKEN": "warning",
    "DUPLICATE_REP": "error",
    "REP_LATE": "warning",
    "REP_FOR_CANCELLED_INVOICE": "error",
}

REJECT_REASONS = {
    "unknown_invoice": "IdDocumento is a UUID neither the SAT download nor the ERP has",
    "currency": "MonedaDR is not the invoice's currency",
    "equivalence": "EquivalenciaDR does not fit MonedaP and MonedaDR",
    "overpaid": "ImpPagado is more than ImpSaldoAnt, or not positive",
    "installment": "NumParcialidad out of sequence",
    "pue_invoice": "the invoice is PUE (paid at issue): it takes no complement",
}
"""Why a complement line cannot be applied (``REP_REJECTED``), in the order reported."""


class SatPolicy(FiscalPolicy):
    """The SAT reconciliation's knobs (those of :class:`FiscalPolicy` so far)."""


def rep_deadline(payment_date: pd.Timestamp) -> pd.Timestamp:
    """Day 5 of the month after the payment (:func:`cuadre.posting.complement_deadline`)."""
    return pd.Timestamp(complement_deadline(pd.Timestamp(payment_date).date()))


def reconcile_sat(
    fiscal_docs: pd.DataFrame,
    erp_documents: pd.DataFrame,
    *,
    payment_complements: pd.DataFrame | None = None,
    allocations: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    policy: SatPolicy | None = None,
) -> Reconciliation:
    """SAT CFDI vs ERP documents, and the payment complements; see the module doc.

    ``erp_documents``: ``open_items`` shape including settled documents (amount_open 0,
    amount_original given); an extra ``payment_method`` column (PUE / PPD) is used when
    the SAT side has no XML. ``allocations`` (cash application of this run) and
    ``payments`` (for the payment dates) are optional.
    """
    policy = policy or SatPolicy()
    result, paired = reconcile_fiscal(fiscal_docs, erp_documents, MEXICO, policy, "sat")
    if payment_complements is not None:
        checks, findings = check_complements(
            paired, fiscal_docs, payment_complements, allocations, payments, policy
        )
        result.extra["complement_checks"] = checks
        result.findings.extend(findings)
    return result


# --------------------------------------------------------------------------- invoices


def _erp_paid(
    paired: Paired, allocations: pd.DataFrame | None, payments: pd.DataFrame | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per ERP document: amount applied, amount still open after this run's automatic
    allocations, and the last payment date when known."""
    right = paired.right
    paid = (right["original"].fillna(right["open"]).astype("int64") - right["open"]).astype("int64")
    paid.index = right["id"]
    still_open = pd.Series(right["open"].astype("int64").to_numpy(), index=right["id"])
    last = pd.Series(pd.NaT, index=right["id"], dtype="datetime64[ns]")
    if allocations is not None and len(allocations):
        auto = allocations[
            text(allocations, "status").eq("auto") & text(allocations, "document_id").ne("")
        ]
        applied = money(auto, "amount_applied").groupby(text(auto, "document_id")).sum()
        now = applied.reindex(paid.index).fillna(0).astype("int64")
        paid = paid.add(now, fill_value=0)
        still_open = still_open - now
        if payments is not None and len(payments):
            dates = payments.drop_duplicates("payment_id").set_index("payment_id")["value_date"]
            when = text(auto, "payment_id").map(dates)
            latest = pd.to_datetime(when).groupby(text(auto, "document_id")).max()
            last = latest.reindex(last.index).astype("datetime64[ns]")
    return paid.astype("int64"), still_open.astype("int64"), last


def _lookup(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values[key]`` for each key (Int64, <NA> when absent), aligned on ``keys``."""
    return pd.Series(values.reindex(keys).to_numpy(), index=keys.index).astype("Int64")


def _invoices(paired: Paired, allocations, payments) -> pd.DataFrame:
    """One row per invoice UUID known to either side, with both sides' figures."""
    left, right, pairs = paired.left, paired.right, paired.pairs
    paid, still_open, last = _erp_paid(paired, allocations, payments)
    a = left.loc[pairs["l"]].reset_index(drop=True)
    b = right.loc[pairs["r"]].reset_index(drop=True)
    both = pd.DataFrame(
        {
            "uuid": a["id"],
            "kind": a["kind"],
            "status": a["status"],
            "currency": a["currency"],
            "sat_total": a["amount"].astype("Int64"),
            "pm": a["payment_method"].where(a["payment_method"].ne(""), b["payment_method"]),
            "document_id": b["id"],
            "customer": b["party"],
            "erp_open": _lookup(still_open, b["id"]),
            "erp_paid": _lookup(paid, b["id"]),
            "last_paid": last.reindex(b["id"]).to_numpy(),
        }
    )
    free_l = left.drop(index=pairs["l"])
    only_sat = pd.DataFrame(
        {
            "uuid": free_l["id"],
            "kind": free_l["kind"],
            "status": free_l["status"],
            "currency": free_l["currency"],
            "sat_total": free_l["amount"].astype("Int64"),
            "pm": free_l["payment_method"],
            "document_id": "",
            "customer": free_l["tax_id"],
            "erp_open": pd.NA,
            "erp_paid": pd.NA,
            "last_paid": pd.NaT,
        }
    )
    free_r = right.drop(index=pairs["r"])
    free_r = free_r[free_r["uuid"].ne("")]
    only_erp = pd.DataFrame(
        {
            "uuid": free_r["uuid"],
            "kind": free_r["kind"],
            "status": "",
            "currency": free_r["currency"],
            "sat_total": pd.NA,
            "pm": free_r["payment_method"],
            "document_id": free_r["id"],
            "customer": free_r["party"],
            "erp_open": _lookup(still_open, free_r["id"]),
            "erp_paid": _lookup(paid, free_r["id"]),
            "last_paid": last.reindex(free_r["id"]).to_numpy(),
        }
    )
    out = (
        pd.concat([x for x in (both, only_sat, only_erp) if len(x)], ignore_index=True)
        if (len(both) or len(only_sat) or len(only_erp))
        else both
    )
    out = out[out["kind"].eq("invoice")].drop_duplicates("uuid")
    for c in ("sat_total", "erp_open", "erp_paid"):
        out[c] = out[c].astype("Int64")
    out["last_paid"] = pd.to_datetime(out["last_paid"]).astype("datetime64[ns]")
    return out.set_index("uuid")


def _complements(
    complements: pd.DataFrame, fiscal_docs: pd.DataFrame, policy: SatPolicy
) -> tuple[pd.DataFrame, list[Finding]]:
    """Valid complement rows (their own CFDI not cancelled), with issue date and deadline."""
    findings: list[Finding] = []
    c = complements.copy()
    c["related"] = text(c, "related_uuid").str.strip().str.upper()
    c["complement"] = text(c, "complement_uuid").str.strip().str.upper()
    if policy.company_tax_ids:
        ours = {compact(t) for t in policy.company_tax_ids}
        c = c[text(c, "issuer_tax_id").map(compact).isin(ours) | text(c, "issuer_tax_id").eq("")]
    docs = fiscal_docs[text(fiscal_docs, "kind").eq("payment")]
    meta = docs.assign(u=text(docs, "uuid").str.upper()).drop_duplicates("u").set_index("u")
    status = c["complement"].map(text(meta, "status").str.lower())
    cancelled = status.eq("cancelled")
    if cancelled.any():
        findings.append(
            info(
                Location("payment_complements"),
                "REP_CANCELLED",
                f"{c.loc[cancelled, 'complement'].nunique():,} payment complements are "
                "cancelled in the SAT: their payments are not counted",
                "",
            )
        )
    c = c[~cancelled & c["related"].ne("")].copy()
    issued = pd.to_datetime(meta["issue_date"]).astype("datetime64[ns]")
    c["issued"] = issued.reindex(c["complement"]).to_numpy()
    paid_on = pd.to_datetime(c["payment_date"]).astype("datetime64[ns]")
    c["deadline"] = pd.Series(
        [rep_deadline(d) if pd.notna(d) else pd.NaT for d in paid_on],
        index=c.index,
        dtype="datetime64[ns]",
    )
    order = ["related", "payment_date", "installment", "complement", "payment_index"]
    c = c.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
    return c, findings


def _equivalence(reps: pd.DataFrame) -> pd.Series:
    """EquivalenciaDR (or TipoCambioDR) that does not fit the two currencies."""
    written = text(reps, "equivalence").str.strip()
    value = pd.to_numeric(written, errors="coerce")
    pay_cur = text(reps, "payment_currency").str.strip().str.upper()
    doc_cur = text(reps, "currency").str.strip().str.upper()
    known = pay_cur.ne("") & doc_cur.ne("")
    same = pay_cur.eq(doc_cur)
    not_one = written.ne("") & ~value.eq(1)
    unusable = written.eq("") | ~value.gt(0)
    return known & ((same & not_one) | (~same & unusable))


def _out_of_sequence(reps: pd.DataFrame, candidates: pd.Series) -> pd.Series:
    """The previous accepted NumParcialidad of each line out of sequence (else <NA>).

    Lines are taken in payment-date order per invoice, as a portal receives them: the
    first must be 1 and each next the previous accepted + 1; a repeat of the previous
    one is left to ``DUPLICATE_REP``."""
    out = pd.Series(pd.NA, index=reps.index, dtype="Int64")
    c = reps[candidates]
    last: dict[str, int] = {}
    inst = c["installment"].astype("Int64")
    for idx, rel, n in zip(c.index, c["related"], inst, strict=True):
        if n is pd.NA:
            continue
        prev = last.get(rel, 0)
        if n == prev + 1:
            last[rel] = int(n)
        elif not (n == prev and prev > 0):
            out[idx] = prev
    return out


def _rejections(reps: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per complement line: reason codes (``;``-separated, ``""`` when it can be
    applied) and the reasons in words."""
    paid, before = money(reps, "amount_paid"), money(reps, "balance_before")
    has_amounts = reps["amount_paid"].notna() & reps["balance_before"].notna()
    masks = {
        "unknown_invoice": ~reps["known"],
        "currency": reps["known"]
        & reps["inv_currency"].notna()
        & text(reps, "currency").ne(reps["inv_currency"].fillna("").astype(str)),
        "equivalence": _equivalence(reps),
        "overpaid": has_amounts & (paid.gt(before) | paid.le(0)),
        "pue_invoice": reps["known"] & reps["inv_pm"].fillna("").astype(str).eq("PUE"),
    }
    other = pd.concat(masks.values(), axis=1).any(axis=1)
    prev = _out_of_sequence(reps, reps["known"] & ~other)
    masks["installment"] = prev.notna()
    flagged = pd.concat(masks.values(), axis=1).any(axis=1)
    reasons = pd.Series("", index=reps.index, dtype=object)
    words = pd.Series("", index=reps.index, dtype=object)
    for idx in reps.index[flagged.to_numpy(dtype=bool)]:
        r = reps.loc[idx]
        codes = [k for k in REJECT_REASONS if bool(masks[k][idx])]
        reasons[idx] = ";".join(codes)
        words[idx] = "; ".join(_reject_words(code, r, prev[idx]) for code in codes)
    return reasons, words


def _reject_words(code: str, r: pd.Series, prev: object) -> str:
    cur = str(r["currency"])
    if code == "unknown_invoice":
        return (
            f"IdDocumento {r['related']} is a UUID neither the SAT download nor the ERP has "
            "(a typing error, or an invoice of a period not downloaded)"
        )
    if code == "currency":
        return f"MonedaDR {cur} but the invoice is in {r['inv_currency']}"
    if code == "equivalence":
        eq = str(r.get("equivalence", "") or "").strip() or "(missing)"
        if str(r.get("payment_currency", "")).strip().upper() == cur.strip().upper():
            return f"EquivalenciaDR {eq} while MonedaP and MonedaDR are both {cur} (must be 1)"
        return (
            f"EquivalenciaDR {eq} while MonedaP is {r.get('payment_currency')} and MonedaDR "
            f"{cur} (units of {cur} per {r.get('payment_currency')} needed)"
        )
    if code == "overpaid":
        return (
            f"ImpPagado {show(int(r['amount_paid']), cur)} with ImpSaldoAnt "
            f"{show(int(r['balance_before']), cur)}"
        )
    if code == "installment":
        return f"NumParcialidad {r['installment']} after {prev} (expected {int(str(prev)) + 1})"
    return "the invoice is PUE (paid at issue), which takes no payment complement"


# --------------------------------------------------------------------------- checks


def check_complements(
    paired: Paired,
    fiscal_docs: pd.DataFrame,
    complements: pd.DataFrame,
    allocations: pd.DataFrame | None,
    payments: pd.DataFrame | None,
    policy: SatPolicy,
) -> tuple[pd.DataFrame, list[Finding]]:
    """The ``complement_checks`` table and one finding per row (see the module doc).

    Vectorised: each check is a mask over all invoices or complement rows; words are
    written only for the rows flagged."""
    inv = _invoices(paired, allocations, payments)
    reps, findings = _complements(complements, fiscal_docs, policy)
    reps = reps.assign(
        known=reps["related"].isin(inv.index),
        inv_currency=inv["currency"].reindex(reps["related"]).to_numpy(),
        inv_total=inv["sat_total"].reindex(reps["related"]).to_numpy(),
        inv_pm=inv["pm"].reindex(reps["related"]).to_numpy(),
    )
    reasons, words = _rejections(reps)
    rejected = reasons.ne("").to_numpy(dtype=bool)
    valid = reps[~rejected]
    rows = _rejected(inv, reps[rejected], reasons, words)
    rows += _invoice_level(inv, valid)
    rows += _chain(inv, valid)
    rows += _duplicates(inv, valid)
    rows += _late(inv, valid)
    rows.sort(key=lambda r: (str(r["check"]), str(r["invoice_uuid"]), str(r.get("installment"))))
    findings += [_finding(r) for r in rows]
    return _table(rows), findings


def _rejected(
    inv: pd.DataFrame, reps: pd.DataFrame, reasons: pd.Series, words: pd.Series
) -> list[dict[str, object]]:
    """One ``REP_REJECTED`` row per complement line that cannot be applied."""
    out: list[dict[str, object]] = []
    for idx in reps.index:
        r = reps.loc[idx]
        uuid = str(r["related"])
        out.append(
            _row(
                "REP_REJECTED",
                uuid,
                inv.loc[uuid] if bool(r["known"]) else None,
                reps.loc[[idx]],
                f"complement {r['complement']} cannot be applied: {words[idx]}: "
                + (
                    "cancel it (or, if the invoice was in fact paid later, replace the invoice "
                    "by a PPD one)"
                    if reasons[idx] == "pue_invoice"
                    else "it does not count as paid; cancel it and issue a corrected complement"
                ),
                rep_paid=None if pd.isna(r["amount_paid"]) else int(r["amount_paid"]),
                reason=str(reasons[idx]),
            )
        )
    return out


def _invoice_level(inv: pd.DataFrame, reps: pd.DataFrame) -> list[dict[str, object]]:
    """PPD without complement, complement for a cancelled invoice, disagreement with the
    ERP (``reps``: the complement lines that can be applied)."""
    same = reps[reps["currency"].eq(reps["inv_currency"])]
    paid = money(same, "amount_paid").groupby(same["related"]).sum()
    last_after = money(same, "balance_after").groupby(same["related"]).last()
    has = inv.index.isin(reps["related"])
    rep_paid = paid.reindex(inv.index).fillna(0).astype("int64")
    after = last_after.reindex(inv.index)
    erp_paid, erp_open = inv["erp_paid"], inv["erp_open"]
    pm = inv["pm"].astype(str)
    no_rep = ~has & pm.eq("PPD").to_numpy() & erp_paid.fillna(0).gt(0).to_numpy()
    dead = has & inv["status"].eq("cancelled").to_numpy()
    differ = (erp_paid.notna() & erp_paid.ne(rep_paid)).fillna(False) | (
        erp_open.notna() & after.notna() & erp_open.ne(after)
    ).fillna(False)
    disagree = has & differ.to_numpy(dtype=bool)
    needed = reps[reps["related"].isin(set(inv.index[disagree | dead]))]
    by_uuid = {str(k): g for k, g in needed.groupby("related", sort=False)}
    out: list[dict[str, object]] = []
    for uuid in inv.index[no_rep]:
        i = inv.loc[uuid]
        cur = str(i["currency"])
        deadline = rep_deadline(i["last_paid"]) if pd.notna(i["last_paid"]) else pd.NaT
        by = f" by {deadline:%Y-%m-%d}" if pd.notna(deadline) else ""
        out.append(
            _row(
                "PPD_WITHOUT_REP",
                str(uuid),
                i,
                None,
                f"PPD invoice with {show(int(i['erp_paid']), cur)} applied in the ERP and no "
                f"payment complement: issue the REP{by} (day 5 of the month after the payment)",
                deadline=deadline,
            )
        )
    for uuid in inv.index[dead]:
        out.append(
            _row(
                "REP_FOR_CANCELLED_INVOICE",
                str(uuid),
                inv.loc[uuid],
                by_uuid[str(uuid)],
                "the SAT cancelled this invoice but a valid complement pays it: cancel the "
                "complement and issue it against the substitute invoice",
                rep_paid=int(rep_paid[uuid]),
            )
        )
    for uuid in inv.index[disagree]:
        i = inv.loc[uuid]
        cur = str(i["currency"])
        e_paid = int(i["erp_paid"])
        e_open = 0 if pd.isna(i["erp_open"]) else int(i["erp_open"])
        r_paid = int(rep_paid[uuid])
        r_after = None if pd.isna(after[uuid]) else int(after[uuid])
        words = (
            f"the ERP applied {show(e_paid, cur)} and leaves {show(e_open, cur)} open; the "
            f"complements paid {show(r_paid, cur)} and leave {show(r_after or 0, cur)}: "
        ) + (
            "issue a complement for the payments it lacks"
            if e_paid > r_paid
            else "a complement pays more than the ERP applied: correct the ERP or the REP"
            if e_paid < r_paid
            else "the amounts paid agree but the balance left does not: correct the "
            "ImpSaldoAnt / ImpSaldoInsoluto of the complement (cancel and issue it again)"
        )
        out.append(
            _row(
                "REP_DISAGREES_WITH_ERP",
                str(uuid),
                i,
                by_uuid[str(uuid)],
                words,
                rep_paid=r_paid,
                rep_balance=r_after,
            )
        )
    return out


def _chain(inv: pd.DataFrame, reps: pd.DataFrame) -> list[dict[str, object]]:
    """ImpSaldoAnt / ImpPagado / ImpSaldoInsoluto, installment by installment (a repeated
    complement is reported apart and skipped here; NumParcialidad out of sequence is a
    rejection)."""
    c = reps.drop_duplicates(["related", "installment", "amount_paid", "balance_before"])
    if c.empty:
        return []
    g = c.groupby("related", sort=False)
    before, paid, after = (
        money(c, "balance_before"),
        money(c, "amount_paid"),
        money(c, "balance_after"),
    )
    prev_after = g["balance_after"].shift()
    first = g.cumcount().eq(0)
    expected = prev_after.astype("Int64").where(~first, pd.array(c["inv_total"], dtype="Int64"))
    bad_before = (expected.notna() & expected.ne(before)).fillna(False)
    bad_math = after.ne(before - paid)
    out: list[dict[str, object]] = []
    flagged = (bad_before | bad_math).to_numpy(dtype=bool)
    for idx in c.index[flagged]:
        r = c.loc[idx]
        cur = str(r["currency"])
        problems = []
        if bad_before[idx]:
            what = "the invoice total" if first[idx] else "the previous ImpSaldoInsoluto"
            problems.append(
                f"ImpSaldoAnt {show(int(before[idx]), cur)} != {what} {show(int(expected[idx]), cur)}"
            )
        if bad_math[idx]:
            problems.append(
                f"ImpSaldoInsoluto {show(int(after[idx]), cur)} != ImpSaldoAnt - ImpPagado "
                f"{show(int(before[idx] - paid[idx]), cur)}"
            )
        out.append(
            _row(
                "REP_CHAIN_BROKEN",
                str(r["related"]),
                inv.loc[r["related"]],
                c.loc[[idx]],
                f"complement {r['complement']}: "
                + "; ".join(problems)
                + ": the complements must chain from the invoice total down to zero",
            )
        )
    return out


def _duplicates(inv: pd.DataFrame, reps: pd.DataFrame) -> list[dict[str, object]]:
    """Two valid complements for one installment, or one payment date and amount."""
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    for keys, why in (
        (["related", "installment"], "installment"),
        (["related", "payment_date", "amount_paid"], "payment date and amount"),
    ):
        dup = reps[reps.duplicated(keys, keep=False) & reps[keys[1]].notna()]
        for _, g in dup.groupby(keys, sort=True):
            ids = sorted(set(g["complement"]))
            uuid = str(g["related"].iloc[0])
            if len(ids) < 2 or (uuid, ";".join(ids)) in seen:
                continue
            seen.add((uuid, ";".join(ids)))
            out.append(
                _row(
                    "DUPLICATE_REP",
                    uuid,
                    inv.loc[uuid],
                    g,
                    f"{len(ids)} complements for the same {why} ({', '.join(ids)}): cancel "
                    "the repeated one",
                )
            )
    return out


def _late(inv: pd.DataFrame, reps: pd.DataFrame) -> list[dict[str, object]]:
    late = reps[
        reps["issued"].notna() & reps["deadline"].notna() & (reps["issued"] > reps["deadline"])
    ]
    return [
        _row(
            "REP_LATE",
            str(r["related"]),
            inv.loc[r["related"]],
            late.loc[[idx]],
            f"complement {r['complement']} for the payment of {r['payment_date']:%Y-%m-%d} "
            f"was issued on {r['issued']:%Y-%m-%d}, after {r['deadline']:%Y-%m-%d}",
        )
        for idx, r in late.iterrows()
    ]


# --------------------------------------------------------------------------- output


def _row(
    check: str,
    uuid: str,
    inv: pd.Series | None,
    reps: pd.DataFrame | None,
    words: str,
    *,
    rep_paid: int | None = None,
    rep_balance: int | None = None,
    deadline: object = None,
    reason: str = "",
) -> dict[str, object]:
    r: dict[str, object] = {
        "check": check,
        "severity": SEVERITY[check],
        "invoice_uuid": uuid,
        "explanation": words,
        "reason": reason,
    }
    if inv is not None:
        r.update(
            document_id=inv["document_id"],
            customer=inv["customer"],
            currency=inv["currency"],
            invoice_total=inv["sat_total"],
            erp_paid=inv["erp_paid"],
            erp_open=inv["erp_open"],
            payment_date=inv["last_paid"],
        )
    if reps is not None and len(reps):
        first = reps.iloc[0]
        r.update(
            complement_uuids=";".join(sorted(set(reps["complement"]))),
            installment=first["installment"],
            payment_date=first["payment_date"],
            deadline=first["deadline"],
        )
        r.setdefault("currency", first["currency"])
        line = first.get("source_line")
        r["_where"] = (
            str(first.get("source_file") or "payment_complements"),
            int(line) if line is not None and pd.notna(line) else None,
        )
    if rep_paid is not None:
        r["rep_paid"] = rep_paid
    if rep_balance is not None:
        r["rep_balance"] = rep_balance
    if deadline is not None and pd.notna(deadline):
        r["deadline"] = deadline
    return r


def _table(rows: list[dict[str, object]]) -> pd.DataFrame:
    table = typed_table(
        [{c: _plain(r.get(c)) for c in COMPLEMENT_CHECKS.names} for r in rows], COMPLEMENT_CHECKS
    )
    if table.empty:
        return table
    return table.sort_values(list(COMPLEMENT_CHECKS.sort_by), kind="stable").reset_index(drop=True)


def _plain(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if v is pd.NaT:
        return None
    return v


def _finding(r: dict[str, object]) -> Finding:
    make = {"error": error, "warning": warning, "info": info}[str(r["severity"])]
    doc = str(r.get("document_id") or "")
    what = f"invoice {doc} (UUID {r['invoice_uuid']})" if doc else f"UUID {r['invoice_uuid']}"
    where = r.get("_where")
    loc = Location(*where) if isinstance(where, tuple) else Location("payment_complements")
    return make(loc, str(r["check"]), f"{what}: {r['explanation']}")


__all__ = ["SatPolicy", "check_complements", "reconcile_sat", "rep_deadline"]
