import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.matching import match_payments
from cuadre.posting import clearing_journal, complement_data, complement_deadline, sap_upload
from helpers import open_items, payments

OI = open_items(
    [
        {"customer_id": "C1", "customer_name": "Uno", "document_id": "FA-1",
         "due_date": "2026-10-01", "amount_open": 100000, "amount_original": 100000,
         "fiscal_uuid": "aaaa-1"},
        {"customer_id": "C1", "customer_name": "Uno", "document_id": "FA-2",
         "due_date": "2026-10-05", "amount_open": 50000, "amount_original": 80000,
         "fiscal_uuid": "bbbb-2"},
    ]
)


def test_journal_balances_with_fee_and_on_account():
    pay = payments([
        {"payment_id": "P1", "amount": 98700, "remittance": "FA-1"},  # 13.00 bank fee
        {"payment_id": "P2", "amount": 60000, "remittance": "FA-2"},  # 100.00 on account
    ])
    alloc, _ = match_payments(OI, pay)
    journal, findings = clearing_journal(alloc, pay)
    assert not findings
    j1 = journal[journal["journal_id"].eq("CASH-P1")]
    assert j1[["account", "debit", "credit"]].values.tolist() == [
        ["1102", 98700, 0], ["1105", 0, 100000], ["6105", 1300, 0]
    ]
    j2 = journal[journal["journal_id"].eq("CASH-P2")]
    assert j2[["account", "debit", "credit"]].values.tolist() == [
        ["1102", 60000, 0], ["1105", 0, 50000], ["2205", 0, 10000]
    ]
    sap = sap_upload(journal)
    assert sap["NEWBS"].tolist()[:3] == ["40", "15", "40"]
    assert sap["REBZG"].tolist()[1] == "FA-1"


def test_rejected_and_unreviewed_suggestions_are_not_posted():
    pay = payments([{"payment_id": "P1", "amount": 100000, "remittance": "FA-1"}])
    alloc, _ = match_payments(OI, pay)
    alloc["review"] = "reject"
    journal, _ = clearing_journal(alloc, pay)
    assert journal.empty


def test_complement_data_numbers_installments_and_chains_balances():
    pay = payments([
        {"payment_id": "P1", "amount": 20000, "remittance": "FA-2", "value_date": "2026-10-10"},
        {"payment_id": "P2", "amount": 30000, "remittance": "FA-2", "value_date": "2026-10-20"},
    ])
    alloc, _ = match_payments(OI, pay)
    prev = pd.DataFrame({"related_uuid": ["BBBB-2"], "installment": pd.array([1], "Int64")})
    data, findings = complement_data(alloc, pay, OI, prev)
    assert not findings
    assert data[["installment", "balance_before", "amount_paid", "balance_after"]].values.tolist() == [
        [2, 50000, 20000, 30000], [3, 30000, 30000, 0]
    ]
    assert str(data["due_by"].iloc[0].date()) == "2026-11-05"
    # without the earlier complement, the installment is assumed and said so
    _, findings = complement_data(alloc, pay, OI)
    assert [f.code for f in findings] == ["INSTALLMENT_UNKNOWN"]


def test_deadline():
    assert complement_deadline(dt.date(2026, 12, 31)) == dt.date(2027, 1, 5)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300000), st.sampled_from(["", "FA-1", "FA-2", "FA-1 FA-2"])),
                min_size=1, max_size=8))
def test_every_journal_balances(pays):
    pay = payments([{"payment_id": f"P{i}", "amount": a, "remittance": r, "payer_name": "UNO"}
                    for i, (a, r) in enumerate(pays)])
    alloc, _ = match_payments(OI, pay)
    alloc["review"] = "ok"
    journal, findings = clearing_journal(alloc, pay)
    assert not findings
    sums = journal.groupby("journal_id")[["debit", "credit"]].sum()
    assert (sums["debit"] == sums["credit"]).all()
