"""Oracle Receivables aging reports -> open_items.

What
    Oracle E-Business Suite "Aging - 4 Buckets" / "Aging - 7 Buckets - By Account /
    By Salesperson" (ARXAGL, ARXAGS, ARXAGRW), Fusion "Receivables Aging by General
    Ledger Account" and the Enginatics "AR Aging" workbook, at invoice level, exported to
    text, CSV or XLSX: title lines (ledger, report name, "As of Date", "Aging Bucket
    Name"), a header with Customer / Customer Number / Invoice (Transaction) Number /
    Class or Type / Transaction Date / Due Date / Days Past Due / Outstanding Amount and
    one column per aging bucket, customer lines, "Customer Total" and "Report Total"
    lines. Bucket headings are data in Oracle (AR_AGING_BUCKET_LINES REPORT_HEADING1/2)
    and may span two header rows ("1-30" over "Days Past Due"): they are matched by
    pattern over one or two rows.

Rules (``cuadre/data/erp/oracle_ar.toml``)
    - document_type from the transaction class (INV, DM, CM, PMT, DEP, GUAR, CB, BR) or
      the seeded type names (Invoice, Credit Memo, Receipt, On Account...);
    - signs as Oracle writes them: credit memos, on-account credits and unapplied cash
      negative;
    - amounts are in the functional currency unless the report shows the entered
      currency: give --currency when the file names none;
    - a report at customer level (Customer Summary) has no documents: reported as
      DOCUMENTS_NOT_AVAILABLE.

Reference
    Oracle Receivables aging reports; AR_PAYMENT_SCHEDULES_ALL.CLASS;
    AR_AGING_BUCKET_LINES; Enginatics Oracle-EBS-SQL "AR Aging" (shared/ERP_LAYOUTS.md
    section 3). The printed labels are [K]: check them against a real export.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cuadre.findings import Finding
from cuadre.importers import erp
from cuadre.model.validate import ReadOptions

FORMAT = "oracle_ar"
TITLE = "Oracle Receivables aging (EBS / Fusion)"


def detect(data: bytes, name: str) -> bool:
    """The file's header fits an Oracle aging better than any other profile."""
    return erp.detects_as(FORMAT, data, name)


def read(
    data: bytes,
    source: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Oracle aging export -> (open_items, findings); never raises on bad data."""
    return erp.read_profile(FORMAT, data, source, mapping, options)
