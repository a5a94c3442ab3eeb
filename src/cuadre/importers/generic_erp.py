"""Any ERP's open-items export, described by a mapping file -> open_items.

What
    A table with one row per open document, from any system, with the header row found
    below any title rows. Without a mapping the contract's own column names and the
    everyday English/Spanish words for them are recognised (``cuadre/data/erp/
    generic.toml``); a mapping file names the export's columns and says how to read it.

The mapping file (TOML)
    ::

        # cuadre ERP mapping for the "Cartera" export of our ERP
        currency = "MXN"           # when the export has no currency column
        decimal_separator = ","    # "." or ","; else detected from the amounts
        date_order = "dmy"         # "dmy", "mdy" or "auto"
        sheet = "Cartera"          # workbook sheet; else the one whose header fits
        header_row = 4             # 1-based; else found in the first 30 rows

        [columns]                  # contract column = header text as the export writes it
        customer_id = "Cliente"
        customer_name = "Razón social"
        document_id = "Folio"
        document_type = "Tipo"
        document_date = "Fecha"
        due_date = "Vence"
        amount_open = "Saldo"      # or a list: ["Saldo", "Saldo MN"]
        currency = "Moneda"
        reference = "OC"
        clearing_date = ""         # "" switches off a column the profile would recognise

        [document_types]           # the export's wording -> contract type
        FA = "invoice"
        NC = "credit_note"
        AB = "payment"
        RV = "invoice/credit_note" # positive invoice, negative credit note

        [sign]
        mode = "as_is"             # amounts signed already (receivables +, credits -)
        # mode = "by_type"         # credits written positive: credit notes, payments
        #                          # and advances are made negative
        # mode = "reversed"        # the export signs the other way round: all flipped
        column = "D/H"             # a debit/credit indicator column, with its values:
        credit = ["H", "Abono"]
        debit = ["D", "Cargo"]

    Besides the contract's open_items columns, ``columns`` accepts the helper columns
    the engine derives them from: ``amount_local``/``currency_local`` (company-currency
    amount), ``amount_debit``/``amount_credit`` (open = debit - credit),
    ``posting_date``, ``baseline_date`` + ``terms_days`` (due = baseline + days),
    ``assignment`` (reference when empty), ``clearing_doc``/``clearing_date`` (cleared
    rows are left out), ``posting_key``, ``dc_indicator``, ``special_gl``, ``status``.
    The same mapping works on top of any profile (``--profile sap_fbl5n --mapping``).

    :func:`load_mapping` reads and checks the file; every problem is a finding.

Reference
    docs/contract.md (open_items); shared/ERP_LAYOUTS.md section 7.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pandas as pd

from cuadre.findings import Finding, Location, error
from cuadre.importers import erp
from cuadre.model.validate import ReadOptions

FORMAT = "generic"
TITLE = "Generic open-items export (with a mapping file)"


def detect(data: bytes, name: str) -> bool:
    """No specific ERP fits, but the contract's columns (or their usual names) are there."""
    return erp.detects_as(FORMAT, data, name)


def load_mapping(data: bytes, source: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """A mapping file's bytes -> (mapping, findings); ``None`` when it cannot be used."""
    try:
        mapping = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, [
            error(Location(source), "BAD_MAPPING", "the mapping file is not UTF-8 text",
                  "Save it as UTF-8.")
        ]  # fmt: skip
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        return None, [
            error(
                Location(source, line),
                "BAD_MAPPING",
                f"the mapping file is not valid TOML ({exc})",
                'Write one setting per line, e.g. document_id = "Folio" under [columns].',
            )
        ]
    findings = erp.check_mapping(mapping, source)
    return (None if findings else mapping), findings


def read(
    data: bytes,
    source: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Generic export (+ mapping) -> (open_items, findings); never raises on bad data."""
    return erp.read_profile(FORMAT, data, source, mapping, options)
