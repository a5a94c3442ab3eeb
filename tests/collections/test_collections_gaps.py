"""Gaps closed in the collections engine: schemas for the promise summary and the aging
with disputes, held_on of a new hold (the hold list is the next run's credit_holds), the
name of a customer whose items are all disputed, letters without a company e-mail."""

import datetime as dt

import pandas as pd
import pytest

from cuadre.collections.credit import CREDIT, CREDIT_HOLDS, credit_status, hold_list
from cuadre.collections.disputes import (
    DISPUTES,
    aging_with_disputes,
    aging_with_disputes_schema,
)
from cuadre.collections.dunning import dunning_run, render_letters
from cuadre.collections.promises import (
    PROMISE_SUMMARY,
    PROMISES,
    RECEIPTS,
    evaluate_promises,
    promise_summary,
)
from cuadre.collections.worklist import collection_worklist
from cuadre.io.tables import read_table, write_table
from cuadre.model.tables import Kind
from helpers import customers, frame, open_items

AS_OF = dt.date(2026, 10, 31)


def test_promise_summary_has_its_schema():
    p = frame(
        PROMISES,
        [
            {"customer_id": "B", "currency": "MXN", "promise_date": "2026-10-10", "amount": 500},
            {"customer_id": "A", "currency": "MXN", "promise_date": "2026-11-10", "amount": 700},
        ],
    )
    status = evaluate_promises(p, frame(RECEIPTS, []), AS_OF)
    summary = promise_summary(status, AS_OF)
    assert summary.columns.tolist() == PROMISE_SUMMARY.names
    assert summary["customer_id"].tolist() == ["A", "B"]  # sorted by the schema's key
    assert summary["promise_status"].tolist() == ["open", "broken"]
    for name in PROMISE_SUMMARY.of_kind(Kind.INT) + PROMISE_SUMMARY.of_kind(Kind.MONEY):
        assert summary[name].dtype == "Int64", name
    assert summary["open_promise_amount"].tolist()[0] == 700


def test_aging_with_disputes_has_its_schema():
    oi = open_items(
        [{"customer_id": "A", "document_id": "F1", "due_date": "2026-09-30", "amount_open": 900}]
    )
    log = frame(DISPUTES, [{"document_id": "F1", "reason": "pricing", "amount": 400}])
    aging, _, _ = aging_with_disputes(oi, AS_OF, log, (30, 60))
    schema = aging_with_disputes_schema((30, 60))
    assert aging.columns.tolist() == schema.names
    assert schema.column("disputed").kind == Kind.MONEY
    assert aging["disputed"].tolist() == [400]


def test_a_new_hold_is_held_on_the_as_of_date_and_feeds_the_next_run(tmp_path):
    cust = customers([{"customer_id": "A", "customer_name": "Alfa", "credit_limit": 1_000}])
    oi = open_items(
        [{"customer_id": "A", "document_id": "F1", "due_date": "2026-11-30", "amount_open": 5_000}]
    )
    credit, _ = credit_status(oi, cust, AS_OF)
    held = hold_list(credit)
    assert held["status"].tolist() == ["new_hold"]
    assert held["held_on"].tolist() == [pd.Timestamp(AS_OF)]
    path = tmp_path / "holds.csv"
    write_table(held, path, CREDIT)
    holds, findings = read_table(path, CREDIT_HOLDS)
    assert not [f for f in findings if f.is_error]
    later = dt.date(2026, 11, 15)
    again, _ = credit_status(oi, cust, later, holds=holds)
    assert again["status"].tolist() == ["on_hold"]
    assert again["held_on"].tolist() == [pd.Timestamp(AS_OF)]  # kept, not moved


def test_a_customer_with_only_disputed_items_keeps_its_name():
    oi = open_items(
        [
            {
                "customer_id": "A",
                "customer_name": "Alfa SA",
                "document_id": "F1",
                "due_date": "2026-09-30",
                "amount_open": 900,
            }
        ]
    )
    log = frame(DISPUTES, [{"document_id": "F1", "reason": "pricing", "owner": "sales"}])
    table, _ = collection_worklist(oi, AS_OF, disputes=log)
    assert table[["customer_id", "customer_name", "disputed"]].values.tolist() == [
        ["A", "Alfa SA", 900]
    ]
    assert table["next_action"].tolist() == ["resolve dispute with sales"]


@pytest.mark.parametrize(
    ("language", "with_mail", "without_mail"),
    [
        (
            "es",
            "envíenos el comprobante a cobranza@demo.mx para",
            "envíenos el comprobante para",
        ),
        (
            "en",
            "send the remittance advice to cobranza@demo.mx so that",
            "send us the remittance advice so that",
        ),
    ],
)
def test_letters_without_a_company_email(language, with_mail, without_mail):
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "F1",
                "due_date": "2026-10-20",
                "amount_open": 100_000,
            }
        ]
    )
    run = dunning_run(oi, AS_OF)
    mail = render_letters(run, {"name": "Demo", "email": "cobranza@demo.mx"}, language=language)
    bare = render_letters(run, {"name": "Demo"}, language=language)
    flat = [" ".join(x.body.split()) for x in (mail[0], bare[0])]
    assert with_mail in flat[0]
    assert without_mail in flat[1]
    line = next(x for x in bare[0].body.splitlines() if "comprobante" in x or "remittance" in x)
    assert "  " not in line and not line.endswith(" ")
