"""SAP FBL5N "Customer Line Item Display" exports -> open_items.

What
    The customer line items of SAP ECC / S/4HANA (transaction FBL5N; also the Fiori app
    "Manage Customer Line Items", F0711), as the user exports them:

    - *Spreadsheet* (XLSX): header in row 1-5, real numbers and dates, ALV subtotal and
      total rows inline (no document number, only the summed amount);
    - *List > Export > Local File > Unconverted* (.txt): a title block ("Customer Line
      Item Display", customer and company-code lines), dashed rules, ``|``-separated
      columns with the short labels, data rows, and ``*``/``**`` subtotal lines; the
      block repeats per customer and per page; negative amounts with a trailing minus
      (``1.190,00-``);
    - *text with tabs* / ``;``-separated CSV (German GUIs: decimal comma, dd.mm.yyyy).

    Headers are recognised in English, German, Spanish and Dutch, long and short labels
    (``Amount in local currency`` / ``Amt in loc.cur.``, ``Belegnummer``, ``Nº doc.``,
    ``Vencimiento neto``...): the ALV layout is user-configurable, so no column is
    assumed to be in a fixed place.

Rules (data in ``cuadre/data/erp/sap_fbl5n.toml``)
    - document_type from BLART: DR/RV invoice (a negative RV is an SD credit memo),
      DG credit note, DZ/ZP payment, AB/SA/DA adjustment; else from the posting key
      (01 invoice, 11 credit memo, 15 payment, 09/19 special G/L) or the sign;
      "RV - Billing doc.transfer" and "RV (Billing doc.transfer)" give the code RV;
    - sign: DMSHB amounts are signed already; where the layout has the posting key
      (BSCHL 11-19) or the debit/credit indicator (SHKZG H, Haben, C) a credit written
      without a minus is made negative;
    - special G/L A (down payment) -> advance; F (down-payment request, a noted item)
      is left out; cleared items (clearing document/date, status icon ``@5B@``) are
      left out;
    - due date: "Net due date" (NETDT/FAEDT), else baseline date + net days;
    - amounts: the document-currency amount when the layout has it, else the
      local-currency amount with its currency, reported;
    - subtotal rows (``*``, ``**``, or an amount without a document number) are
      checked against the items above them and left out.

Reference
    SAP FBL5N ALV list; data elements BELNR, BLART, BSCHL, SHKZG, UMSKZ, NETDT,
    DMSHB/WRSHB, AUGBL/AUGDT; shared/ERP_LAYOUTS.md section 1. No public FBL5N sample
    file exists: the golden tests use hand-made exports in each notation.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cuadre.findings import Finding
from cuadre.importers import erp
from cuadre.model.validate import ReadOptions

FORMAT = "sap_fbl5n"
TITLE = "SAP FBL5N (Customer Line Item Display)"


def detect(data: bytes, name: str) -> bool:
    """The file's header fits FBL5N better than any other profile. Never raises."""
    return erp.detects_as(FORMAT, data, name)


def read(
    data: bytes,
    source: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """FBL5N export -> (open_items, findings); never raises on bad data."""
    return erp.read_profile(FORMAT, data, source, mapping, options)
