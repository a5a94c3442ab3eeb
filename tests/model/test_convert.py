from cuadre.model import BANK_LINES
from cuadre.model.convert import payments_from_bank_lines
from helpers import frame


def test_money_in_lines_become_payments():
    lines = frame(
        BANK_LINES,
        [
            {"line_id": "L2", "currency": "MXN", "booking_date": "2026-10-02", "amount": 500,
             "counterparty_name": "ACME", "counterparty_account": "0121", "remittance": "FA-1"},
            {"line_id": "L1", "currency": "MXN", "booking_date": "2026-10-01", "amount": -15},
            {"line_id": "L3", "currency": "MXN", "booking_date": "2026-10-01",
             "value_date": "2026-10-01", "amount": 7},
        ],
    )
    p = payments_from_bank_lines(lines)
    assert p["payment_id"].tolist() == ["L3", "L2"]
    assert p.iloc[1][["payer_name", "payer_account", "remittance"]].tolist() == ["ACME", "0121",
                                                                                 "FA-1"]
    assert str(p.iloc[1]["value_date"].date()) == "2026-10-02"
    assert p["source_row"].tolist() == [4, 2]
