"""Customer statement / balance confirmation: our ledger against the customer's list.

``reconcile_customer(ours, theirs, *, customer_id, as_of, policy) -> Reconciliation``

Left: our open items of the customer (``open_items``). Right: the customer's statement
or remittance listing our documents with *their* amounts (``customer_statement``), in
our signs (+ they owe us); an accounts-payable export, where our invoices are credits,
is turned with ``policy.their_signs = "reversed"``.

Pairing, in order: the document number (as letters and digits: ``FA-0104233`` =
``fa 0104233``), then its numeric core when that is unique on both sides (``104233``),
then their reference (our PO / order reference), then, last and weakest, the amount
alone with dates within ``date_window_days`` (confidence 0.6). Installments of one
document are summed.

Differences (ours - theirs) are classified: ``rounding`` (a unit per document),
``tax`` (they hold the amount without VAT, or the VAT alone differs), ``discount`` and
``withholding`` (:func:`cuadre.matching.explain_shortfall`: an early-payment discount,
Colombian retenciones), ``freight`` / ``pricing`` / ``quantity`` / ``return`` when their
note says so, else ``pricing_quantity_freight`` (send the invoice copy and the proof of
delivery). Unpaired: our invoices they do not have (``not_received``: send a copy), our
credit notes they have not taken (``credit_not_taken``), our unapplied cash
(``unapplied_cash``), recent documents (``timing``); their documents we do not have
(``unknown_to_us``) and their payments or credits we have not recorded
(``payment_not_applied``). ``extra["send_copies"]`` lists the invoices to send.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.findings import Finding, Location, info, warning
from cuadre.matching import MatchPolicy, explain_shortfall
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.core import (
    canonical,
    concat_items,
    finish,
    items_table,
    join_ids,
    money,
    pair_one_to_one,
    provenance,
    show,
    side_totals,
    text,
    window_candidates,
)
from cuadre.reconcile.tables import SEND_COPIES
from cuadre.text import compact, numeric_core, strip_accents

CAUSES = {
    "rounding": "rounding",
    "tax": "VAT recorded differently",
    "discount": "early-payment discount taken",
    "withholding": "withholding taxes deducted",
    "freight": "freight",
    "pricing": "pricing",
    "quantity": "quantity (shortage, damaged goods)",
    "return": "goods returned",
    "pricing_quantity_freight": "amount differs: pricing, quantity or freight",
    "not_received": "our invoices they do not have",
    "credit_not_taken": "our credit notes they have not taken",
    "unapplied_cash": "our unapplied cash (they consider it paid)",
    "timing": "recent documents, not yet in their books",
    "unknown_to_us": "their documents we do not have",
    "payment_not_applied": "their payments or credits we have not recorded",
}

NOTE_WORDS = {
    "freight": ("FLETE", "FREIGHT", "ENVIO", "SHIPPING", "TRANSPORT"),
    "pricing": ("PRECIO", "PRICE", "PRICING", "TARIFA"),
    "quantity": ("CANTIDAD", "QUANTITY", "FALTANTE", "SHORT", "DANADO", "DAMAGED", "MERMA"),
    "return": ("DEVOLUCION", "RETURN", "DEVUELTO"),
}


NO_COPY = ("rounding", "discount", "withholding")
"""Differences settled without sending the invoice again."""


class CustomerPolicy(BaseModel):
    their_signs: Literal["ours", "reversed"] = Field(
        "ours", description="'reversed' for an AP export where our invoices are negative"
    )
    date_window_days: int = Field(10, ge=0, description="for the amount-only pairing")
    transit_days: int = Field(5, ge=0, description="our documents this recent may be in transit")
    vat_rates: list[float] = Field(default_factory=lambda: [16.0, 8.0, 19.0, 21.0, 10.0, 5.0, 4.0])
    match: MatchPolicy = Field(default_factory=MatchPolicy, description="discounts, withholdings")


# --------------------------------------------------------------------------- sides


def _ours(open_items: pd.DataFrame) -> pd.DataFrame:
    oi = open_items.assign(_row=provenance(open_items), _amt=money(open_items, "amount_open"))
    g = oi.groupby([text(oi, "currency").rename("currency"), text(oi, "document_id").rename("id")])
    side = g.agg(
        amount=("_amt", "sum"),
        date=("document_date", "min"),
        kind=("document_type", "first"),
        reference=("reference", "first"),
        uuid=("fiscal_uuid", "first"),
        party=("customer_name", "first"),
        count=("_amt", "size"),
        row=("_row", lambda s: join_ids(s)),
    ).reset_index()
    return _keys(side)


def _theirs(statement: pd.DataFrame, policy: CustomerPolicy) -> pd.DataFrame:
    amount = money(statement, "amount")
    if policy.their_signs == "reversed":
        amount = -amount
    side = pd.DataFrame(
        {
            "currency": text(statement, "currency"),
            "id": text(statement, "document_id"),
            "amount": amount,
            "date": pd.to_datetime(statement["document_date"])
            if "document_date" in statement
            else pd.NaT,
            "reference": text(statement, "reference"),
            "note": text(statement, "note"),
            "party": text(statement, "customer_id"),
            "count": 1,
            "row": provenance(statement),
        }
    )
    return _keys(side)


def _keys(side: pd.DataFrame) -> pd.DataFrame:
    side["date"] = pd.to_datetime(side["date"]).astype("datetime64[ns]")
    side["number"] = side["id"].map(compact)
    side["core"] = side["id"].map(numeric_core)
    side["ref"] = side["reference"].map(compact)
    return canonical(side, ["currency", "date", "id", "amount"])


# --------------------------------------------------------------------------- pairing


def _unique_merge(left: pd.DataFrame, right: pd.DataFrame, key: str) -> pd.DataFrame:
    """Pairs equal on ``key`` (and currency) that are unique on both sides."""
    lk = left[left[key].ne("")].assign(l=lambda f: f.index)
    rk = right[right[key].ne("")].assign(r=lambda f: f.index)
    c = lk[["l", key, "currency"]].merge(rk[["r", key, "currency"]], on=[key, "currency"])
    return c[~c["l"].duplicated(keep=False) & ~c["r"].duplicated(keep=False)][["l", "r"]]


def _pairs(ours: pd.DataFrame, theirs: pd.DataFrame, policy: CustomerPolicy) -> pd.DataFrame:
    found = []
    free_l, free_r = ours, theirs
    for key, rule, conf in (
        ("number", "document number", 1.0),
        ("core", "document number (digits)", 0.9),
        ("ref", "their reference = our reference", 0.85),
    ):
        p = _unique_merge(free_l, free_r, key).assign(rule=rule, confidence=conf)
        found.append(p)
        free_l, free_r = free_l.drop(index=p["l"]), free_r.drop(index=p["r"])
    fl, fr = free_l.reset_index(), free_r.reset_index()
    if len(fl) and len(fr):
        cands = window_candidates(fl, fr, ["currency", "amount"], policy.date_window_days)
        if len(cands):
            chosen = pair_one_to_one(cands.assign(score=-cands["days"], tie=cands["rank_gap"]))
            found.append(
                pd.DataFrame(
                    {
                        "l": fl["index"].to_numpy()[chosen["l"].to_numpy()],
                        "r": fr["index"].to_numpy()[chosen["r"].to_numpy()],
                        "rule": f"amount and date within {policy.date_window_days} days only",
                        "confidence": 0.6,
                    }
                )
            )
    return pd.concat(found, ignore_index=True)


# --------------------------------------------------------------------------- classify


def _vat_difference(ours: int, theirs: int, rates: list[float]) -> float | None:
    """The VAT rate at which one amount is the other without VAT (1 unit of slack)."""
    for rate in rates:
        factor = Decimal(1) + Decimal(str(rate)) / 100
        for gross, net in ((ours, theirs), (theirs, ours)):
            expected = (Decimal(net) * factor).quantize(Decimal(1), ROUND_HALF_UP)
            if net and abs(int(expected) - gross) <= 1:
                return rate
    return None


def classify(
    ours: int, theirs: int, note: str, currency: str, policy: CustomerPolicy
) -> tuple[str, str]:
    """(cause, words) of an amount difference between our document and their line."""
    diff = ours - theirs
    f = show
    if abs(diff) <= 1:
        return "rounding", f"a rounding difference of {f(diff, currency)}"
    rate = _vat_difference(ours, theirs, policy.vat_rates)
    if rate is not None:
        who = "they" if theirs < ours else "we"
        return "tax", (
            f"{who} hold the amount without {rate:g}% VAT: send the invoice (and "
            "the e-invoice XML) showing the tax"
        )
    upper = strip_accents(note).upper()
    for cause, words in NOTE_WORDS.items():
        if any(re.search(rf"\b{w}", upper) for w in words):
            return cause, (
                f"their note says '{note}': a {CAUSES[cause]} difference of "
                f"{f(diff, currency)}; agree it and issue a credit or debit note"
            )
    if diff > 0:
        explained = explain_shortfall(diff, [ours], currency, policy.match)
        if explained is not None and explained[1] in ("early payment discount", "withholding tax"):
            if explained[1] == "early payment discount":
                return "discount", (
                    f"they took the {explained[0].replace(' taken', '')}: agree it and issue the "
                    "credit note, or claim it back"
                )
            return "withholding", (
                f"they deducted {explained[0]}: ask for the withholding certificate and record it"
            )
    more = "less" if diff > 0 else "more"
    return "pricing_quantity_freight", (
        f"they hold {f(abs(diff), currency)} {more} than our invoice: a pricing, quantity or "
        "freight difference; send the invoice copy and the proof of delivery"
    )


def _pair_items(
    ours: pd.DataFrame, theirs: pd.DataFrame, pairs: pd.DataFrame, policy: CustomerPolicy
) -> pd.DataFrame:
    rows = []
    for li, ri, rule, conf in zip(
        pairs["l"], pairs["r"], pairs["rule"], pairs["confidence"], strict=True
    ):
        a, b = ours.loc[li], theirs.loc[ri]
        diff = int(a["amount"]) - int(b["amount"])
        cause, words = (
            ("", "")
            if diff == 0
            else classify(
                int(a["amount"]), int(b["amount"]), str(b["note"]), str(a["currency"]), policy
            )
        )
        rows.append(
            {
                "section": "matched" if diff == 0 else "difference",
                "rule": rule,
                "confidence": conf,
                "party": a["party"] or b["party"],
                "currency": a["currency"],
                "left_ids": a["id"],
                "left_count": a["count"],
                "left_date": a["date"],
                "left_amount": a["amount"],
                "right_ids": b["id"],
                "right_count": 1,
                "right_date": b["date"],
                "right_amount": b["amount"],
                "difference": diff,
                "cause": cause,
                "explanation": words,
                "left_rows": a["row"],
                "right_rows": b["row"],
            }
        )
    if not rows:
        return items_table(0)
    return items_table(len(rows), **{k: [r[k] for r in rows] for k in rows[0]})


def _ours_only(
    ours: pd.DataFrame, as_of: pd.Timestamp | None, policy: CustomerPolicy
) -> pd.DataFrame:
    kind = ours["kind"].astype(str)
    recent = (
        ours["date"].gt(as_of - pd.Timedelta(days=policy.transit_days))
        if as_of is not None
        else pd.Series(False, index=ours.index)
    )
    cause = np.select(
        [recent, kind.isin(["payment", "advance"]), ours["amount"].lt(0)],
        ["timing", "unapplied_cash", "credit_not_taken"],
        "not_received",
    )
    words = {
        "timing": "issued in the last days: probably not in their books yet",
        "unapplied_cash": "a payment we hold unapplied: they consider something paid with "
        "it; ask which invoices and apply it",
        "credit_not_taken": "our credit note is not in their books: send it so they take it",
        "not_received": "not in their books: send the invoice copy (PDF and XML) and the "
        "proof of delivery",
    }
    return items_table(
        len(ours),
        section="left_only",
        party=ours["party"].to_numpy(),
        currency=ours["currency"].to_numpy(),
        left_ids=ours["id"].to_numpy(),
        left_count=ours["count"].to_numpy(),
        left_date=ours["date"].to_numpy(),
        left_amount=ours["amount"].to_numpy(),
        cause=cause,
        explanation=[words[c] for c in cause],
        left_rows=ours["row"].to_numpy(),
    )


def _theirs_only(theirs: pd.DataFrame) -> pd.DataFrame:
    cause = np.where(theirs["amount"].lt(0), "payment_not_applied", "unknown_to_us")
    words = {
        "payment_not_applied": "a payment or credit in their books that we have not "
        "recorded: look for it in unapplied cash and pending credit notes",
        "unknown_to_us": "a document we do not have: ask them for the copy (another of our "
        "companies, or a cancelled invoice)",
    }
    return items_table(
        len(theirs),
        section="right_only",
        party=theirs["party"].to_numpy(),
        currency=theirs["currency"].to_numpy(),
        right_ids=theirs["id"].to_numpy(),
        right_count=1,
        right_date=theirs["date"].to_numpy(),
        right_amount=theirs["amount"].to_numpy(),
        cause=cause,
        explanation=[words[c] for c in cause],
        right_rows=theirs["row"].to_numpy(),
    )


def _send_copies(items: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """Our invoices to send: those they lack and those whose amount they dispute."""
    want = items[
        (
            items["section"].eq("left_only")
            & items["cause"].isin(["not_received", "credit_not_taken"])
        )
        | (items["section"].eq("difference") & ~items["cause"].isin(NO_COPY))
    ]
    uuid = ours.set_index("id")["uuid"]
    out = pd.DataFrame(
        {
            "document_id": want["left_ids"].to_numpy(),
            "document_date": want["left_date"].to_numpy(),
            "currency": want["currency"].to_numpy(),
            "amount": want["left_amount"].to_numpy(),
            "fiscal_uuid": want["left_ids"].map(lambda d: uuid.get(d, "")).to_numpy(),
            "reason": want["explanation"].to_numpy(),
        }
    )
    out["amount"] = out["amount"].astype("Int64")
    out["document_date"] = pd.to_datetime(out["document_date"]).astype("datetime64[ns]")
    out = out.sort_values(list(SEND_COPIES.sort_by), kind="stable")
    return out[SEND_COPIES.names].reset_index(drop=True)


def reconcile_customer(
    ours: pd.DataFrame,
    theirs: pd.DataFrame,
    *,
    customer_id: str | None = None,
    as_of: dt.date | None = None,
    policy: CustomerPolicy | None = None,
) -> Reconciliation:
    """Our open items vs the customer's statement; see the module doc."""
    policy = policy or CustomerPolicy()
    findings: list[Finding] = []
    if customer_id is not None:
        ours = ours[text(ours, "customer_id").eq(customer_id)]
        if "customer_id" in theirs:
            theirs = theirs[text(theirs, "customer_id").isin(["", customer_id])]
    elif text(ours, "customer_id").nunique() > 1:
        findings.append(
            info(
                Location("open_items"),
                "SEVERAL_CUSTOMERS",
                f"our side holds {text(ours, 'customer_id').nunique()} customers; give "
                "customer_id to confirm one",
                "",
            )
        )
    left, right = _ours(ours), _theirs(theirs, policy)
    if (
        len(right)
        and policy.their_signs == "ours"
        and int(right["amount"].sum()) < 0 < int(left["amount"].sum())
    ):
        findings.append(
            warning(
                Location("customer_statement"),
                "SIGNS_REVERSED",
                "their statement adds up to a negative amount while we show a receivable",
                "An accounts-payable export shows our invoices as credits: set their_signs to "
                "'reversed'.",
            )
        )
    pairs = _pairs(left, right, policy)
    cut = pd.Timestamp(as_of) if as_of else None
    items = concat_items(
        [
            _pair_items(left, right, pairs, policy),
            _ours_only(left.drop(index=pairs["l"]), cut, policy),
            _theirs_only(right.drop(index=pairs["r"])),
        ]
    )
    result = finish(
        "customer",
        "Our ledger",
        "Customer",
        side_totals(left, "amount"),
        side_totals(right, "amount"),
        items,
        CAUSES,
        findings,
    )
    result.extra["send_copies"] = _send_copies(result.items(), left)
    return result


__all__ = ["CAUSES", "CustomerPolicy", "classify", "reconcile_customer"]
