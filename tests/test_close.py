import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.close import UNIDENTIFIED, run_close, unapplied_cash
from cuadre.model.tables import TRIAL_BALANCE
from helpers import customers, frame, open_items, payments

AS_OF = dt.date(2026, 10, 31)

docs_st = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2"]),
        st.integers(min_value=-50_000, max_value=300_000).filter(lambda a: a != 0),
        st.sampled_from(["MXN", "USD"]),
        st.integers(min_value=-200, max_value=60),
    ),
    min_size=1,
    max_size=15,
)
pays_st = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=400_000),
        st.sampled_from(["MXN", "USD"]),
        st.sampled_from(["", "D1", "D2 D3", "D4 menos D5", "0001", "D1 D1"]),
        st.sampled_from(["", "CLIENTE UNO", "OTRO", "012180001234567897"]),
    ),
    min_size=1,
    max_size=15,
)


def build(docs, pays):
    oi = open_items(
        [
            {"customer_id": c, "customer_name": "Cliente Uno" if c == "C1" else "Cliente Dos",
             "document_id": f"D{i}", "amount_open": a, "currency": cur,
             "document_type": "invoice" if a > 0 else "credit_note",
             "due_date": (AS_OF - dt.timedelta(days=d)).isoformat()}
            for i, (c, a, cur, d) in enumerate(docs, start=1)
        ]
    )
    p = payments(
        [
            {"payment_id": f"P{i}", "amount": a, "currency": cur, "remittance": r,
             "payer_name": n if not n.isdigit() else "", "payer_account": n if n.isdigit() else ""}
            for i, (a, cur, r, n) in enumerate(pays)
        ]
    )
    cust = customers([{"customer_id": "C1", "customer_name": "Cliente Uno",
                       "bank_accounts": "012180001234567897"}])
    return oi, p, cust


@settings(max_examples=60, deadline=None)
@given(docs_st, pays_st)
def test_every_control_holds(docs, pays):
    oi, p, cust = build(docs, pays)
    result = run_close(oi, p, cust, AS_OF)
    failed = [c for c in result.controls if c.check is False]
    assert not failed, failed
    assert not [f for f in result.findings if f.is_error]
    # nothing is lost: every payment is in the allocations
    assert set(result.allocations["payment_id"]) == set(p["payment_id"])


def test_unapplied_cash_is_aged_as_a_credit_of_its_customer():
    oi, p, cust = build([("C1", 1000, "MXN", 10)], [(777, "MXN", "", "OTRO")])
    result = run_close(oi, p, cust, AS_OF)
    un = unapplied_cash(p, result.allocations)
    assert un[["payment_id", "status", "amount_unapplied"]].values.tolist() == [
        ["P0", "unmatched", 777]
    ]
    row = result.aging.set_index("customer_id").loc[UNIDENTIFIED]
    assert row["current"] == -777 or row["1-30"] == -777


def test_gl_difference_is_reported():
    oi, p, cust = build([("C1", 1000, "MXN", 10)], [(5, "MXN", "", "OTRO")])
    tb = frame(TRIAL_BALANCE, [{"account": "1105", "currency": "MXN", "balance": 1200,
                                "is_ar_control": "yes"}])
    result = run_close(oi, p, cust, AS_OF, trial_balance=tb)
    gl = [c for c in result.controls if c.section == "GL tie-out"]
    assert [c.value for c in gl] == [1200, -200] and gl[1].check is False
    found = [f for f in result.findings if f.code == "GL_DIFFERENCE"]
    assert found and "-2.00 MXN" in found[0].message
