"""ERPNext "Accounts Receivable" report exports -> open_items.

What
    The Frappe script report Accounts > Accounts Receivable, exported to CSV or XLSX:
    Posting Date, Party Type, Party, Receivable Account, (Customer Name), Voucher Type,
    Voucher No, Due Date, Invoiced Amount, Paid Amount, Credit Note, Outstanding Amount,
    Age (Days), the ageing ranges built from the range filter ("0-30", "31-60", "61-90",
    "91-120", "121-Above"), Currency, Customer LPO, Territory, Customer Group. With
    "Group By Party" a subtotal line per party (party name, no voucher) follows its
    vouchers; the total row reads "Total".

Rules (``cuadre/data/erp/erpnext.toml``)
    - customer_id = Party, customer_name = Customer Name, document_id = Voucher No,
      amount_open = Outstanding Amount (positive for invoices, negative for credit notes
      and advances, as ERPNext writes it), currency = Currency, reference = Customer LPO;
    - document_type from Voucher Type: Sales Invoice (a return, negative, is a credit
      note), Payment Entry (payment), Journal Entry (adjustment);
    - the ageing ranges of each row are checked against its Outstanding Amount, and the
      party and total rows against the vouchers.

Reference
    erpnext/accounts/report/accounts_receivable/accounts_receivable.py (get_columns,
    group_by_party subtotals); shared/ERP_LAYOUTS.md 4.2.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cuadre.findings import Finding
from cuadre.importers import erp
from cuadre.model.validate import ReadOptions

FORMAT = "erpnext"
TITLE = "ERPNext Accounts Receivable"


def detect(data: bytes, name: str) -> bool:
    """The file's header fits ERPNext's Accounts Receivable better than any other."""
    return erp.detects_as(FORMAT, data, name)


def read(
    data: bytes,
    source: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """ERPNext Accounts Receivable export -> (open_items, findings); never raises."""
    return erp.read_profile(FORMAT, data, source, mapping, options)
