"""Conversions between contract tables."""

from __future__ import annotations

import pandas as pd

from cuadre.model.tables import PAYMENTS, PROVENANCE


def payments_from_bank_lines(bank_lines: pd.DataFrame) -> pd.DataFrame:
    """Bank lines with amount > 0 are payments (contract: bank_lines as ``--payments``).

    payment_id = line_id, value_date = value_date or else booking_date,
    payer_name/account = counterparty_name/account. Provenance is kept.
    """
    lines = bank_lines[bank_lines["amount"].fillna(0) > 0]
    value_date = lines["value_date"] if "value_date" in lines else lines["booking_date"]
    out = pd.DataFrame(
        {
            "payment_id": lines["line_id"],
            "value_date": value_date.fillna(lines["booking_date"]),
            "amount": lines["amount"],
            "currency": lines["currency"],
            "payer_name": lines.get("counterparty_name", ""),
            "payer_account": lines.get("counterparty_account", ""),
            "payer_tax_id": "",
            "remittance": lines.get("remittance", ""),
            "bank_reference": lines.get("bank_reference", ""),
        }
    )
    for c in PROVENANCE:
        if c in lines:
            out[c] = lines[c]
    return out[[*PAYMENTS.names, *[c for c in PROVENANCE if c in out]]].reset_index(drop=True)
