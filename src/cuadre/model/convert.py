"""Conversions between contract tables."""

from __future__ import annotations

import pandas as pd

from cuadre.model.tables import PAYMENTS, PROVENANCE


def payments_from_bank_lines(bank_lines: pd.DataFrame) -> pd.DataFrame:
    """Bank lines with amount > 0 are payments (contract: bank_lines as ``--payments``).

    payment_id = line_id, value_date = value_date or else booking_date,
    payer_name/account = counterparty_name/account, payer_tax_id empty. Provenance
    columns are kept; rows are sorted by value date, then payment id.
    """
    lines = bank_lines[bank_lines["amount"].fillna(0) > 0].reset_index(drop=True)

    def col(name: str) -> pd.Series:
        if name in lines:
            return lines[name].astype(object)
        return pd.Series([""] * len(lines), dtype=object)

    value_date = lines["value_date"] if "value_date" in lines else lines["booking_date"]
    out = pd.DataFrame(
        {
            "payment_id": col("line_id"),
            "value_date": value_date.fillna(lines["booking_date"]),
            "amount": lines["amount"],
            "currency": col("currency"),
            "payer_name": col("counterparty_name"),
            "payer_account": col("counterparty_account"),
            "payer_tax_id": pd.Series([""] * len(lines), dtype=object),
            "remittance": col("remittance"),
            "bank_reference": col("bank_reference"),
        }
    )
    provenance = [c for c in PROVENANCE if c in lines] if "source_row" in lines else []
    for c in provenance:
        out[c] = lines[c]
    out = out.sort_values(list(PAYMENTS.sort_by), kind="stable").reset_index(drop=True)
    return out[[*PAYMENTS.names, *provenance]]
