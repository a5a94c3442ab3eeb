"""Advances and credit balances (anticipos, saldos a favor), with suggested applications.

``reconcile_advances(open_items, as_of, *, customers, policy) -> Reconciliation``

Left: every credit in the open items (advances, unapplied payments, credit notes: the
negative items), as positive amounts. Right: the open invoices and debit notes of the
same customers (customers without credits are not in scope). Per customer, currency and
category, each credit (oldest first) is suggested for application:

1. to the one open document of exactly its amount (confidence 0.9; 0.7 when several
   have that amount, the oldest is taken and the others named);
2. to the only set of open documents that adds up to it exactly
   (:func:`cuadre.matching.find_subsets`; confidence 0.85);
3. else oldest due first, the last document partly (confidence 0.6).

These are *suggestions* (nothing is applied): the matched rows are the applications, a
credit or invoice can be split over several rows (its count is on its first row, so the
control block counts items once). What is left: credits with nothing to apply
(refund them, or keep them for the next invoice), invoices no credit covers.

Customs-agency reimbursements (pagos a terceros: duties and taxes paid on the client's
behalf and billed to them, not revenue) are tracked apart: an item is a reimbursement
when its ``category`` column says so (``reimbursement``, ``third_party``, ``reintegro``,
``terceros``) or its document id starts with one of ``policy.reimbursement_prefixes`` or
its reference names one of ``policy.reimbursement_words``. Reimbursement advances are
applied only to reimbursement invoices and service advances only to service invoices;
``extra["reimbursements"]`` sums them per customer, and ``extra["credit_balances"]``
lists each credit with its age (days since its document date, in aging buckets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.aging import DEFAULT_BUCKETS, assign_buckets, effective_due_dates
from cuadre.findings import Finding, Location, warning
from cuadre.matching import find_subsets
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.core import finish, items_table, money, provenance, show, text
from cuadre.reconcile.tables import CREDIT_BALANCES, REIMBURSEMENTS
from cuadre.text import strip_accents

CAUSES = {
    "unapplied_credit": "credits with no open document of the customer to apply",
    "credit_left": "credits left after the suggested applications",
    "uncovered": "open documents no credit covers",
    "reimbursement_credit": "reimbursement advances not applied (third-party payments)",
    "reimbursement_uncovered": "reimbursements billed, not covered by an advance",
}

REIMBURSEMENT_CATEGORIES = frozenset({"reimbursement", "third_party", "reintegro", "terceros"})


class AdvancesPolicy(BaseModel):
    buckets: tuple[int, ...] = Field(DEFAULT_BUCKETS, description="aging of the credits")
    stale_days: int = Field(180, ge=1, description="a credit older than this is reported")
    subset_max_items: int = Field(16, ge=1)
    subset_max_size: int = Field(6, ge=2)
    reimbursement_prefixes: list[str] = Field(
        default_factory=lambda: ["RT-", "REI-", "RC-"],
        description="document id prefixes of reimbursement (third-party) documents",
    )
    reimbursement_words: list[str] = Field(
        default_factory=lambda: [
            "REEMBOLSO",
            "REINTEGRO",
            "PAGOS A TERCEROS",
            "PAGO A TERCEROS",
            "TRIBUTOS",
            "DERECHOS ADUANEROS",
            "REIMBURSEMENT",
        ],
        description="words in the reference of reimbursement documents",
    )


def categories(open_items: pd.DataFrame, policy: AdvancesPolicy) -> pd.Series:
    """``reimbursement`` or ``revenue`` per open item (see the module doc)."""
    cat = text(open_items, "category").str.strip().str.lower()
    doc = text(open_items, "document_id").str.upper()
    ref = text(open_items, "reference").map(lambda s: strip_accents(s).upper())
    by_prefix = doc.map(
        lambda d: any(d.startswith(p.upper()) for p in policy.reimbursement_prefixes)
    )
    by_word = ref.map(lambda r: any(w in r for w in policy.reimbursement_words))
    is_reimb = cat.isin(REIMBURSEMENT_CATEGORIES) | by_prefix | by_word
    return pd.Series(
        np.where(is_reimb, "reimbursement", "revenue"), index=open_items.index, dtype=object
    )


_ROW_COLUMNS = (
    "customer_id",
    "currency",
    "document_id",
    "document_date",
    "_due",
    "_row",
    "_amount",
)


@dataclass
class _Ledger:
    """Working state of one (customer, currency, category) group."""

    credits: pd.DataFrame
    debits: pd.DataFrame
    left: dict[int, int] = field(default_factory=dict)  # credit index -> amount unapplied
    open: dict[int, int] = field(default_factory=dict)  # debit index -> amount uncovered
    rows: list[dict[str, object]] = field(default_factory=list)
    counted: set[tuple[str, int]] = field(default_factory=set)
    crec: dict[int, dict[str, object]] = field(default_factory=dict)  # credit rows by index
    drec: dict[int, dict[str, object]] = field(default_factory=dict)  # debit rows by index

    def __post_init__(self) -> None:
        # row lookups as dicts: a DataFrame row per lookup costs more than the work
        if not self.crec:
            self.crec = self.credits[list(_ROW_COLUMNS)].to_dict("index")
        if not self.drec:
            self.drec = self.debits[list(_ROW_COLUMNS)].to_dict("index")

    def count(self, side: str, idx: int) -> int:
        if (side, idx) in self.counted:
            return 0
        self.counted.add((side, idx))
        return 1


def _apply(
    ledger: _Ledger, ci: int, di: int, amount: int, rule: str, conf: float, why: str
) -> None:
    c, d = ledger.crec[ci], ledger.drec[di]
    ledger.rows.append(
        {
            "section": "matched",
            "rule": rule,
            "confidence": conf,
            "party": c["customer_id"],
            "currency": c["currency"],
            "left_ids": c["document_id"],
            "left_count": ledger.count("l", ci),
            "left_date": c["document_date"],
            "left_amount": amount,
            "right_ids": d["document_id"],
            "right_count": ledger.count("r", di),
            "right_date": d["_due"],
            "right_amount": amount,
            "difference": 0,
            "explanation": why,
            "left_rows": c["_row"],
            "right_rows": d["_row"],
        }
    )
    ledger.left[ci] -= amount
    ledger.open[di] -= amount


def _suggest(ledger: _Ledger, policy: AdvancesPolicy) -> None:
    for ci in ledger.credits.index:
        want = ledger.left[ci]
        free = [di for di in ledger.debits.index if ledger.open[di] > 0]
        if not free:
            break
        equal = [di for di in free if ledger.open[di] == want]
        if equal:
            others = ", ".join(str(ledger.drec[d]["document_id"]) for d in equal[1:])
            why = (
                "the only open document of that amount"
                if len(equal) == 1
                else (f"the oldest of {len(equal)} documents of that amount (also {others})")
            )
            _apply(ledger, ci, equal[0], want, "exact amount", 0.9 if len(equal) == 1 else 0.7, why)
            continue
        pool = free[: policy.subset_max_items]
        sets = find_subsets([ledger.open[d] for d in pool], want, policy.subset_max_size)
        if len(sets) == 1:
            for k in sets[0]:
                _apply(
                    ledger,
                    ci,
                    pool[k],
                    ledger.open[pool[k]],
                    "exact sum",
                    0.85,
                    f"the only set of {len(sets[0])} open documents that adds up to the credit",
                )
            continue
        for di in free:
            if ledger.left[ci] == 0:
                break
            take = min(ledger.left[ci], ledger.open[di])
            _apply(
                ledger,
                ci,
                di,
                take,
                "oldest first",
                0.6,
                "no exact amount: the oldest due documents first",
            )


def _leftovers(ledger: _Ledger, as_of: pd.Timestamp, category: str) -> None:
    reimb = category == "reimbursement"
    for ci, amount in ledger.left.items():
        if amount == 0:
            continue
        c = ledger.crec[ci]
        applied = -int(c["_amount"]) - amount  # type: ignore[call-overload]
        when = c["document_date"]
        days = (as_of - when).days if pd.notna(when) else None
        age = f"{days} days old" if days is not None else "undated"
        cause = (
            "reimbursement_credit" if reimb else ("credit_left" if applied else "unapplied_credit")
        )
        why = (
            f"{age}; after the suggestions {show(amount, str(c['currency']))} is left: refund it or "
            "keep it for the next invoice"
            if applied or reimb
            else f"{age}; the customer has no open document to apply it to: refund it, or keep it "
            "for the next invoice"
        )
        if reimb:
            why = "third-party payment advance (not revenue); " + why
        ledger.rows.append(
            {
                "section": "left_only",
                "party": c["customer_id"],
                "currency": c["currency"],
                "left_ids": c["document_id"],
                "left_count": ledger.count("l", ci),
                "left_date": c["document_date"],
                "left_amount": amount,
                "cause": cause,
                "explanation": why,
                "left_rows": c["_row"],
            }
        )
    for di, amount in ledger.open.items():
        if amount == 0:
            continue
        d = ledger.drec[di]
        why = "no credit of the customer left to cover it: collect it"
        ledger.rows.append(
            {
                "section": "right_only",
                "party": d["customer_id"],
                "currency": d["currency"],
                "right_ids": d["document_id"],
                "right_count": ledger.count("r", di),
                "right_date": d["_due"],
                "right_amount": amount,
                "cause": "reimbursement_uncovered" if reimb else "uncovered",
                "explanation": ("reimbursement billed (not revenue); " if reimb else "") + why,
                "right_rows": d["_row"],
            }
        )


def _credit_table(
    oi: pd.DataFrame, credits_left: dict[int, int], as_of: pd.Timestamp, policy: AdvancesPolicy
) -> pd.DataFrame:
    c = oi[oi["_amount"] < 0]
    days = (as_of - c["document_date"]).dt.days
    remaining = pd.Series([-credits_left.get(i, 0) for i in c.index], index=c.index, dtype="int64")
    out = pd.DataFrame(
        {
            "customer_id": text(c, "customer_id"),
            "customer_name": text(c, "customer_name"),
            "currency": text(c, "currency"),
            "document_id": text(c, "document_id"),
            "document_type": text(c, "document_type"),
            "category": c["_category"],
            "document_date": c["document_date"],
            "days": days.astype("Int64"),
            "bucket": assign_buckets(days, policy.buckets),
            "amount": c["_amount"].astype("Int64"),
            "suggested": (remaining - c["_amount"]).astype("Int64"),
            "remaining": remaining.astype("Int64"),
        }
    )
    return (
        out[CREDIT_BALANCES.names]
        .sort_values(list(CREDIT_BALANCES.sort_by), kind="stable")
        .reset_index(drop=True)
    )


def reimbursement_table(oi: pd.DataFrame) -> pd.DataFrame:
    """Per customer and currency: reimbursements billed and open, advances held, net."""
    r = oi[oi["_category"].eq("reimbursement")]
    if r.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REIMBURSEMENTS.names})
    g = r.groupby(
        [text(r, "customer_id").rename("customer_id"), text(r, "currency").rename("currency")]
    )
    out = g.agg(
        customer_name=("customer_name", "first"),
        billed_open=("_amount", lambda s: int(s[s > 0].sum())),
        advances=("_amount", lambda s: int(s[s < 0].sum())),
        net=("_amount", "sum"),
        items=("_amount", "size"),
    ).reset_index()
    for col in ("billed_open", "advances", "net", "items"):
        out[col] = out[col].astype("Int64")
    return out[REIMBURSEMENTS.names].sort_values(["currency", "customer_id"]).reset_index(drop=True)


def reconcile_advances(
    open_items: pd.DataFrame,
    as_of: dt.date,
    *,
    customers: pd.DataFrame | None = None,
    policy: AdvancesPolicy | None = None,
) -> Reconciliation:
    """Credits against the same customers' open documents; see the module doc."""
    policy = policy or AdvancesPolicy()
    cut = pd.Timestamp(as_of)
    findings: list[Finding] = []
    due, _ = effective_due_dates(open_items, customers)
    oi = open_items.assign(
        _amount=money(open_items, "amount_open"),
        _row=provenance(open_items),
        _due=pd.to_datetime(due).astype("datetime64[ns]"),
        _category=categories(open_items, policy),
        _id=text(open_items, "document_id"),
    )
    oi = oi.sort_values(["customer_id", "currency", "_due", "document_date", "_id"], kind="stable")
    with_credit = oi[oi["_amount"] < 0].groupby(["customer_id", "currency"]).size().index
    keys = pd.MultiIndex.from_arrays([oi["customer_id"], oi["currency"]])
    scope = oi[keys.isin(with_credit) & oi["_amount"].ne(0)]
    rows: list[dict[str, object]] = []
    credits_left: dict[int, int] = {}
    rows_of = scope[list(_ROW_COLUMNS)].to_dict("index")
    for (_cust, _cur, cat), g in scope.groupby(["customer_id", "currency", "_category"], sort=True):
        credits = g[g["_amount"] < 0].sort_values(["document_date", "_id"], kind="stable")
        debits = g[g["_amount"] > 0]
        ledger = _Ledger(credits, debits, crec=rows_of, drec=rows_of)
        ledger.left = {int(i): -int(a) for i, a in credits["_amount"].items()}
        ledger.open = {int(i): int(a) for i, a in debits["_amount"].items()}
        _suggest(ledger, policy)
        _leftovers(ledger, cut, str(cat))
        rows += ledger.rows
        credits_left.update(ledger.left)
    items = _rows(rows)
    credit_in = scope[scope["_amount"] < 0]
    debit_in = scope[scope["_amount"] > 0]
    left_in = _totals(credit_in, negate=True)
    right_in = _totals(debit_in, negate=False)
    credit_table = _credit_table(oi, credits_left, cut, policy)
    old = credit_table[credit_table["days"].fillna(0).astype("int64") > policy.stale_days]
    if len(old):
        findings.append(
            warning(
                Location("open_items"),
                "OLD_CREDIT_BALANCE",
                f"{len(old):,} credit balances are older than {policy.stale_days} days "
                f"(first: {', '.join(old['document_id'].head(5))})",
                "Refund them, apply them, or (after the legal period) take them to income.",
            )
        )
    result = finish(
        "advances", "Credits", "Open documents", left_in, right_in, items, CAUSES, findings
    )
    result.extra["credit_balances"] = credit_table
    result.extra["reimbursements"] = reimbursement_table(oi)
    return result


def _rows(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return items_table(0)
    names = sorted({k for r in rows for k in r})
    return items_table(len(rows), **{k: [r.get(k) for r in rows] for k in names})


def _totals(frame: pd.DataFrame, negate: bool) -> pd.DataFrame:
    amount = -frame["_amount"] if negate else frame["_amount"]
    g = amount.groupby(text(frame, "currency")).agg(["size", "sum"]).reset_index()
    g.columns = ["currency", "items", "total"]
    return g


__all__ = ["CAUSES", "AdvancesPolicy", "categories", "reconcile_advances", "reimbursement_table"]
