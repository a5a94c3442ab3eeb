"""The demo company's collections inputs: deterministic, typed, and every planted case
shows where the collector looks (Worklist, Dunning, PromiseStatus, Credit, DisputeLog)."""

import dataclasses

import pandas as pd
import pytest

from cuadre.close import run_close
from cuadre.demo.collections_data import demo_collections_tables
from cuadre.demo.generator import generate_company
from cuadre.model.convert import payments_from_bank_lines
from cuadre.workbook.collections_sheets import (
    INPUT_TABLES,
    CollectionsInputs,
    collections_sheets,
    run_collections,
)


def _close(seed: int, n_customers: int):
    company = generate_company(seed=seed, n_customers=n_customers)
    payments = payments_from_bank_lines(company.bank_lines)
    result = run_close(
        company.open_items,
        payments,
        company.customers,
        company.period_end,
        trial_balance=company.trial_balance,
    )
    return company, result


@pytest.fixture(scope="module")
def demo():
    company, result = _close(2026, 300)  # what `cuadre demo` uses
    tables = demo_collections_tables(company, result)
    inputs = CollectionsInputs.from_close(
        result, company.period_end, company.customers, tables, company={"name": "Demo"}
    )
    return company, result, tables, run_collections(inputs)


def test_tables_are_the_input_tables_typed(demo):
    _, _, tables, _ = demo
    assert list(tables) == list(INPUT_TABLES)
    for name, frame in tables.items():
        schema = INPUT_TABLES[name]
        assert list(frame.columns) == schema.names, name
        assert len(frame), name
        for col in schema.columns:
            dtype = str(frame[col.name].dtype)
            expected = {"money": "Int64", "int": "Int64", "date": "datetime64[ns]"}.get(
                col.kind, "object"
            )
            assert dtype == expected, (name, col.name, dtype)
        required = frame[schema.required]
        assert not required.isna().any().any() and not required.eq("").any().any(), name


def test_same_company_same_tables(demo):
    company, result, tables, _ = demo
    again = demo_collections_tables(company, result)
    for name in tables:
        pd.testing.assert_frame_equal(again[name], tables[name])
    other_company, other_result = _close(7, 60)
    other = demo_collections_tables(other_company, other_result)
    assert not other["promises"]["customer_id"].equals(tables["promises"]["customer_id"])


def test_promises_kept_partially_kept_broken_and_open(demo):
    _, _, _, r = demo
    counts = r.promise_status["status"].value_counts().to_dict()
    assert set(counts) == {"kept", "partially_kept", "broken", "open"}
    assert counts["kept"] >= 5 and counts["broken"] >= 3
    kept = r.promise_status[r.promise_status["status"].eq("kept")]
    # kept by payments of the bank file applied to the customer
    paid_by = set(r.receipts["customer_id"])
    assert set(kept["customer_id"]) <= paid_by
    partial = r.promise_status[r.promise_status["status"].eq("partially_kept")]
    assert (partial["paid"] > 0).all() and (partial["paid"] < partial["amount"]).all()


def test_a_broken_promise_raises_priority(demo):
    _, _, _, r = demo
    broken = r.promise_status.loc[r.promise_status["status"].eq("broken"), "customer_id"]
    without = dataclasses.replace(r.inputs, promises=None)
    plain = run_collections(without).worklist.set_index("customer_id")
    wl = r.worklist.set_index("customer_id")
    for cid in broken:
        assert wl.loc[cid, "score_promise"] == 20
        assert wl.loc[cid, "score"] == pytest.approx(plain.loc[cid, "score"] + 20)
        assert wl.loc[cid, "rank"] < plain.loc[cid, "rank"], cid
        assert wl.loc[cid, "next_action"] == "call: promise broken"


def test_open_promises_hold_the_letter(demo):
    _, _, _, r = demo
    waiting = set(r.promise_status.loc[r.promise_status["status"].eq("open"), "customer_id"])
    notices = r.dunning.notices.set_index("customer_id")
    held = [c for c in waiting if c in notices.index]
    assert held
    for cid in held:
        assert notices.loc[cid, "action"] == "skip"
        assert notices.loc[cid, "reason"].startswith("promise to pay open until")


def test_disputes_every_reason_and_status(demo):
    _, _, tables, r = demo
    d = tables["disputes"]
    assert set(d["reason"]) == {"pricing", "quantity", "freight", "damaged_goods", "duplicate"}
    assert set(d["status"]) == {"open", "resolved", "rejected"}
    assert set(r.dispute_log["document_id"]) == set(d.loc[d["status"].eq("open"), "document_id"])
    assert not [f for f in r.findings if f.code.startswith("DISPUTE_")]


def test_a_disputed_invoice_is_not_dunned(demo):
    _, _, tables, r = demo
    d = tables["disputes"]
    whole = d[d["status"].eq("open") & d["amount"].isna()]
    in_letters = set(r.dunning.items["document_id"])
    due = r.items.set_index("document_id")["due_date"]
    as_of = pd.Timestamp(r.inputs.as_of)
    dunned_if_undisputed = [doc for doc in whole["document_id"] if (due.loc[[doc]] < as_of).any()]
    assert dunned_if_undisputed
    assert not set(dunned_if_undisputed) & in_letters
    # a customer whose only overdue invoice is disputed gets no letter, and the worklist
    # sends the collector to the dispute's owner
    wl = r.worklist.set_index("customer_id")
    resolving = wl[wl["next_action"].str.startswith("resolve dispute with")]
    assert len(resolving)
    assert not set(resolving.index) & set(r.dunning.notices["customer_id"])
    # a partial dispute: the rest of the invoice is still claimed, the disputed part is not
    part = d[d["status"].eq("open") & d["amount"].notna()]
    lines = r.dunning.items.set_index("document_id")["amount_open"]
    claimed = [doc for doc in part["document_id"] if doc in lines.index]
    assert claimed
    for doc in claimed:
        open_amount = int(r.items.loc[r.items["document_id"].eq(doc), "amount_open"].sum())
        disputed = int(part.loc[part["document_id"].eq(doc), "amount"].iloc[0])
        assert int(lines[doc]) == open_amount - disputed
    # a rejected dispute does not protect its invoice
    rejected = d.loc[d["status"].eq("rejected"), "document_id"]
    assert set(rejected) <= in_letters


def test_holds_and_releases(demo):
    _, _, tables, r = demo
    credit = r.credit.set_index("customer_id")
    statuses = set(credit["status"])
    assert {"new_hold", "on_hold", "release"} <= statuses
    released = credit[credit["status"].eq("release")]
    assert (released["received_since_hold"] > 0).all()
    assert set(released.index) <= set(tables["credit_holds"]["customer_id"])
    # an open order pushes a customer within its limit over it
    orders = credit[credit["open_orders"] > 0]
    pushed = orders[
        (orders["open_ar"] <= orders["credit_limit"])
        & (orders["exposure"] > orders["credit_limit"])
    ]
    assert len(pushed) >= 1
    assert pushed["reason"].str.contains("over limit").all()


def test_the_demo_sheets_tie_out(demo):
    _, _, _, r = demo
    sheets, findings = collections_sheets(r.inputs)
    checks = {f"{s.name}: {c.label}": c.value for s in sheets for c in s.controls if c.check}
    assert set(checks.values()) == {"OK"}, [k for k, v in checks.items() if v != "OK"]
    assert not [f for f in findings if f.is_error]


def test_a_small_company_still_gets_typed_tables():
    company, result = _close(3, 12)
    tables = demo_collections_tables(company, result)
    assert list(tables) == list(INPUT_TABLES)
    inputs = CollectionsInputs.from_close(result, company.period_end, company.customers, tables)
    sheets, findings = collections_sheets(inputs)
    assert not [f for f in findings if f.is_error]
    assert [len(s.frame) > 0 for s in sheets][:2] == [True, True]  # Worklist, Dunning
