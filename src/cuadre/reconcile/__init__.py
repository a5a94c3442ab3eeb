"""Reconciliations: two lists that should agree, the items that explain why they do not.

Every reconciliation is a pure function shaped
``reconcile_<what>(left, right, ..., policy) -> Reconciliation``:

=====================  =====================  ==========================================
entry                  left                   right
=====================  =====================  ==========================================
``reconcile_gl``       AR subledger           GL control accounts (trial balance, postings)
``reconcile_bank``     bank statement lines   book cash postings (or ERP receipts)
``reconcile_customer`` our open items         the customer's statement of our documents
``reconcile_sat``      SAT CFDI registry      ERP documents (+ payment complement checks)
``reconcile_dian``     DIAN e-invoices        ERP documents
``reconcile_advances`` credits (advances...)  open invoices of the same customers
=====================  =====================  ==========================================

The result (:class:`Reconciliation`) holds both sides' totals per currency, the matched
groups (with the rule that paired them and a confidence), the differences (pairs that
disagree, classified by cause), the items found on one side only (each with a suggested
explanation), the reconciling difference broken down by cause, a control block and the
findings. The control block always balances by construction and is checked anyway:
per side and currency, total in = matched + differences + one side only (amounts and
item counts), and left - right = the sum of the breakdown.

Strict by default (as cash application): a pairing that is not certain is made only
when the amounts agree exactly, and says how it was made (``rule``, ``confidence``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cuadre.close import Control
from cuadre.findings import Finding


@dataclass
class Reconciliation:
    """The result of one reconciliation (see the module docstring).

    ``matched``, ``differences``, ``left_only`` and ``right_only`` are
    ``reconciliation_items`` tables (:data:`cuadre.reconcile.tables.RECON_ITEMS`);
    ``totals`` is ``reconciliation_totals``, ``breakdown`` ``reconciliation_breakdown``,
    ``statement`` ``reconciliation_statement`` (when the reconciliation has one: bank, GL).
    ``extra`` holds the tables particular to one reconciliation (``complement_checks``
    for SAT, ``credit_balances`` and ``reimbursements`` for advances, ``send_copies``
    for a customer confirmation).
    """

    kind: str
    left_name: str
    right_name: str
    totals: pd.DataFrame
    matched: pd.DataFrame
    differences: pd.DataFrame
    left_only: pd.DataFrame
    right_only: pd.DataFrame
    breakdown: pd.DataFrame
    controls: list[Control] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    statement: pd.DataFrame | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    def items(self) -> pd.DataFrame:
        """All four sections in one table, in the sheet's order."""
        parts = [self.matched, self.differences, self.left_only, self.right_only]
        return pd.concat(parts, ignore_index=True)

    @property
    def balanced(self) -> bool:
        """Every check of the control block passed."""
        return all(c.check is not False for c in self.controls)


_ENTRIES = {
    "reconcile_gl": "gl",
    "reconcile_bank": "bank",
    "reconcile_customer": "customer",
    "reconcile_sat": "sat",
    "reconcile_dian": "dian",
    "reconcile_advances": "advances",
}


def __getattr__(name: str) -> Any:
    """``from cuadre.reconcile import reconcile_bank`` without importing every module."""
    if name in _ENTRIES:
        module = importlib.import_module(f"cuadre.reconcile.{_ENTRIES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'cuadre.reconcile' has no attribute {name!r}")


__all__ = ["Reconciliation", *_ENTRIES]
