import pandas as pd

from cuadre.learning import LEARNED, apply_learned, learn
from cuadre.matching import match_payments
from helpers import customers, open_items, payments

OI = open_items([{"customer_id": "C1", "customer_name": "Aceros del Norte S.A. de C.V.",
                  "document_id": "FA-1", "due_date": "2026-10-01", "amount_open": 5000}])
CUST = customers([{"customer_id": "C1", "customer_name": "Aceros del Norte S.A. de C.V."}])


def reviewed(alloc, verdict):
    out = alloc.copy()
    out["review"] = verdict
    return out


def test_an_accepted_suggestion_teaches_account_and_alias_and_then_matches_alone():
    pay = payments([{"payment_id": "P1", "amount": 5000, "payer_name": "GRUPO ACERERO NTE",
                     "payer_account": "012180001234567897", "remittance": "FA-1"}])
    first, _ = match_payments(OI, pay, CUST)
    learned, findings = learn(reviewed(first, "aceptar"), pay, CUST)
    assert not findings
    assert sorted(zip(learned["kind"], learned["value"], strict=True)) == [
        ("account", "012180001234567897"), ("alias", "GRUPO ACERERO NTE")
    ]
    smarter = apply_learned(CUST, learned)
    assert smarter.loc[0, "bank_accounts"] == "012180001234567897"
    nxt = payments([{"payment_id": "P2", "amount": 5000, "payer_name": "GRUPO ACERERO NTE"}])
    again, _ = match_payments(OI, nxt, smarter)
    assert again[["customer_id", "status"]].values.tolist() == [["C1", "auto"]]
    assert "is the customer" in again["reason"].iloc[0]


def test_rejected_rows_teach_nothing_and_conflicts_are_reported():
    pay = payments([
        {"payment_id": "P1", "amount": 1, "payer_account": "999"},
        {"payment_id": "P2", "amount": 2, "payer_account": "999"},
    ])
    alloc = pd.DataFrame({"payment_id": ["P1", "P2"], "customer_id": ["C1", "C2"],
                          "status": ["suggested", "suggested"], "review": ["x", "reject"]})
    learned, _ = learn(alloc, pay)
    assert learned["kind"].tolist() == ["account"]
    alloc["review"] = ["x", "x"]
    learned, findings = learn(alloc, pay)
    assert learned.empty and [f.code for f in findings] == ["LEARNED_CONFLICT"]


def test_known_facts_are_kept_once():
    pay = payments([{"payment_id": "P1", "amount": 1, "payer_account": "0121-8000"}])
    alloc = pd.DataFrame({"payment_id": ["P1"], "customer_id": ["C1"], "status": ["auto"],
                          "review": ["ok"]})
    known = pd.DataFrame([{"customer_id": "C1", "kind": "account", "value": "01218000",
                           "learned_from": "earlier"}], columns=LEARNED.names)
    learned, _ = learn(alloc, pay, known=known)
    assert len(learned) == 1 and learned["learned_from"].iloc[0] == "earlier"
