"""Odoo "Aged Receivable" report exports -> open_items.

What
    Accounting > Reporting > Aged Receivable (account_reports), exported to XLSX with
    the partners unfolded: title/filter rows, then a header whose first column has no
    heading, "Invoice Date", "Due Date" (v13/14: "Exp. Date"), "Amount Currency",
    "Currency", "Account", the buckets ("At Date" / "As of: <date>" / "Not due on:
    <date>", "1-30" ... "Older") and "Total". Below it, one *partner line* per customer
    (name in the first column, its totals in the bucket columns) followed by its move
    lines (entry name such as INV/2026/00012 in the first column), and a final "Total"
    line.

Rules (``cuadre/data/erp/odoo.toml``)
    - a line with a label and no dates is a partner line: it names the customer of the
      lines below it, and its totals are checked against them;
    - customer_id is the partner's name: the report shows no partner reference
      (reported, so matching can use the customers table by name);
    - amounts: "Amount Currency" with its "Currency" where Odoo fills them (foreign-
      currency items), else "Total" in the company currency, which the report does not
      name: give --currency (or currency in a mapping);
    - document_type from the journal-entry prefix (INV/ invoice, RINV/ credit note,
      BNK1/ CSH1/ PBNK1/ payment, MISC/ adjustment), else the sign;
    - the "Total" line and partner lines are checked and left out; the buckets of each
      line are checked against its Total.

Reference
    Odoo enterprise account_reports (aged_partner_balance), versions 12-17; OCA
    account_financial_report "Aged Partner Balance" (shared/ERP_LAYOUTS.md 4.1).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cuadre.findings import Finding
from cuadre.importers import erp
from cuadre.model.validate import ReadOptions

FORMAT = "odoo"
TITLE = "Odoo Aged Receivable"


def detect(data: bytes, name: str) -> bool:
    """The file's header fits Odoo's Aged Receivable better than any other profile."""
    return erp.detects_as(FORMAT, data, name)


def read(
    data: bytes,
    source: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Odoo Aged Receivable export -> (open_items, findings); never raises on bad data."""
    return erp.read_profile(FORMAT, data, source, mapping, options)
