"""The allocation invariants, checked on every run, and open items after applying."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from cuadre.findings import Finding, Location, Severity, error


def check_over_application(open_items: pd.DataFrame, allocations: pd.DataFrame) -> list[Finding]:
    """No document receives more (toward zero) than it had open, across all payments."""
    auto = allocations[allocations["status"].eq("auto") & allocations["document_id"].ne("")]
    if auto.empty:
        return []
    applied = auto.groupby("document_id")["amount_applied"].sum().astype("int64")
    # only the documents something was applied to: a million-row groupby costs seconds
    hit = open_items[open_items["document_id"].isin(applied.index)]
    open_by_doc = hit.groupby("document_id")["amount_open"].sum()
    have = open_by_doc.reindex(applied.index).fillna(0).astype("int64")
    # signs compared, not multiplied: amounts in COP cents overflow a product
    over = (applied.abs() > have.abs()) | (np.sign(applied) * np.sign(have) < 0)
    return [
        error(
            Location("allocations"),
            "OVER_APPLIED",
            f"document {doc}: {int(applied[doc])} applied automatically but only "
            f"{int(have[doc])} was open",
        )
        for doc in over[over].index[:50]
    ]


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
    # money applied automatically is applied to a document: the rest is on account,
    # to review or unidentified, and shows on the Unapplied sheet
    if "status" not in allocations or "document_id" not in allocations:
        return findings
    loose = allocations["status"].eq("auto") & allocations["document_id"].eq("")
    for pid in allocations.loc[loose, "payment_id"].unique()[:50]:
        findings.append(
            error(
                Location("allocations"),
                "AUTO_WITHOUT_DOCUMENT",
                f"payment {pid}: a row applied automatically names no document",
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
