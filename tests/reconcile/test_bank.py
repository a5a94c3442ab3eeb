"""Bank to book (cuadre.reconcile.bank): passes, statement, strictness, properties."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.model.tables import BANK_LINES, PAYMENTS, STATEMENTS
from cuadre.reconcile.bank import BankPolicy, bank_balances, book_from_payments, reconcile_bank
from cuadre.reconcile.tables import GL_POSTINGS
from helpers import frame
from recon_props import assert_controls_balance, assert_nothing_to_explain, same_result, shuffled

AS_OF = dt.date(2026, 10, 31)


def bank(rows: list[dict]) -> pd.DataFrame:
    base = {"currency": "MXN", "statement_id": "S1", "account": "ACC"}
    return frame(BANK_LINES, [{**base, **r} for r in rows])


def book(rows: list[dict]) -> pd.DataFrame:
    base = {"currency": "MXN", "account": "1020"}
    return frame(GL_POSTINGS, [{**base, **r} for r in rows])


def line(i: int, day: int, amount: int, text: str = "") -> dict:
    return {
        "line_id": f"B{i}",
        "booking_date": f"2026-10-{day:02d}",
        "amount": amount,
        "remittance": text,
    }


def post(i: int, day: int, amount: int, ref: str = "", doc: str = "") -> dict:
    return {
        "posting_id": f"G{i}",
        "posting_date": f"2026-10-{day:02d}",
        "amount": amount,
        "reference": ref,
        "document_id": doc,
    }


def test_reference_breaks_a_tie_between_equal_amounts() -> None:
    b = bank([line(1, 5, 100000, "PAGO FACTURA 7788")])
    k = book([post(1, 5, 100000, "5511"), post(2, 6, 100000, "7788")])
    r = reconcile_bank(b, k, as_of=AS_OF)
    assert r.matched["right_ids"].tolist() == ["G2"]
    assert r.matched["rule"].iloc[0] == "amount, date and reference"
    assert r.right_only["right_ids"].tolist() == ["G1"]


def test_equal_candidates_are_paired_with_lower_confidence() -> None:
    b = bank([line(1, 5, 5000), line(2, 5, 5000)])
    k = book([post(1, 5, 5000), post(2, 5, 5000)])
    r = reconcile_bank(b, k, as_of=AS_OF)
    assert len(r.matched) == 2
    assert set(r.matched["confidence"]) == {0.7}
    assert r.matched["rule"].str.contains("one of equal candidates").all()


def test_dates_outside_the_window_do_not_pair() -> None:
    b = bank([line(1, 1, 5000)])
    k = book([post(1, 20, 5000)])
    r = reconcile_bank(b, k, as_of=AS_OF, policy=BankPolicy(date_window_days=5))
    assert r.matched.empty
    assert r.left_only["cause"].tolist() == ["unrecorded_receipt"]
    assert r.right_only["cause"].tolist() == ["book_receipt_not_in_bank"]


def test_deposit_of_several_receipts_and_split_transfer() -> None:
    b = bank([line(1, 3, 250000, "DEPOSITO"), line(2, 7, 70000), line(3, 7, 30000)])
    k = book([post(1, 3, 100000), post(2, 3, 150000), post(3, 7, 100000)])
    r = reconcile_bank(b, k, as_of=AS_OF)
    rules = dict(zip(r.matched["left_ids"], r.matched["rule"], strict=True))
    assert rules == {
        "B1": "bank line = sum of 2 book entries",
        "B2;B3": "book entry = sum of 2 bank lines",
    }
    assert r.left_only.empty and r.right_only.empty
    assert_controls_balance(r)


def test_two_combinations_are_left_for_review() -> None:
    # 300 = 100 + 200 = 120 + 180: strict, nothing is grouped
    b = bank([line(1, 3, 30000)])
    k = book([post(1, 3, 10000), post(2, 3, 20000), post(3, 3, 12000), post(4, 3, 18000)])
    r = reconcile_bank(b, k, as_of=AS_OF)
    assert r.matched.empty
    assert len(r.left_only) == 1 and len(r.right_only) == 4


def test_fee_deducted_and_unrecorded_items_are_classified() -> None:
    b = bank(
        [
            line(1, 6, 49000, "FACTURA FA-2001"),
            line(2, 8, -1500, "COMISION SPEI"),
            line(3, 9, -80000, "DEVOLUCION DOMICILIACION"),
            line(4, 31, 410, "INTERESES"),
            line(5, 12, 12345, ""),
        ]
    )
    k = book([post(1, 6, 50000, doc="FA-2001"), post(2, 30, 80000), post(3, 10, -20000, "CHQ 7")])
    r = reconcile_bank(b, k, as_of=AS_OF)
    assert r.differences["cause"].tolist() == ["fee_deducted"]
    assert int(r.differences["difference"].iloc[0]) == -1000
    causes = dict(zip(r.left_only["left_ids"], r.left_only["cause"], strict=True))
    assert causes == {
        "B2": "bank_fee",
        "B3": "returned_item",
        "B4": "bank_interest",
        "B5": "unrecorded_receipt",
    }
    causes = dict(zip(r.right_only["right_ids"], r.right_only["cause"], strict=True))
    assert causes == {"G2": "deposit_in_transit", "G3": "outstanding_payment"}


def test_statement_agrees_when_openings_agree() -> None:
    b = bank([line(1, 2, 100000, "1043"), line(2, 5, -1500, "COMISION"), line(3, 9, 7000)])
    k = book([post(1, 1, 100000, "1043"), post(2, 30, 80000), post(3, 10, -20000)])
    opening = 5_000_00
    bank_close = opening + int(b["amount"].sum())
    book_close = opening + int(k["amount"].sum())
    r = reconcile_bank(
        b, k, bank_balance={"MXN": bank_close}, book_balance={"MXN": book_close}, as_of=AS_OF
    )
    st_ = r.statement.set_index("line")["amount"]
    assert int(st_[10]) == 0
    assert int(st_[4]) == int(st_[9])
    assert r.balanced
    assert not [f for f in r.findings if f.code == "BANK_RECONCILIATION_DIFFERENCE"]


def test_statement_reports_an_opening_difference() -> None:
    b = bank([line(1, 2, 100000)])
    k = book([post(1, 2, 100000)])
    r = reconcile_bank(b, k, bank_balance={"MXN": 500000}, book_balance={"MXN": 499000})
    assert int(r.statement.set_index("line")["amount"][10]) == 1000
    assert [f.code for f in r.findings] == ["BANK_RECONCILIATION_DIFFERENCE"]
    assert not r.balanced  # the statement check fails; the item controls still balance
    assert all(c.check is not False for c in r.controls if c.section != "Reconciliation statement")


def test_bank_balance_from_statements() -> None:
    s = frame(
        STATEMENTS,
        [
            {
                "statement_id": "S1",
                "account": "A",
                "currency": "MXN",
                "closing_date": "2026-10-30",
                "closing_balance": 100,
            },
            {
                "statement_id": "S2",
                "account": "A",
                "currency": "MXN",
                "closing_date": "2026-10-31",
                "closing_balance": 250,
            },
        ],
    )
    balances, findings = bank_balances(s)
    assert balances == {"MXN": 250} and not findings
    r = reconcile_bank(
        bank([line(1, 2, 150)]), book([post(1, 2, 150)]), statements=s, book_balance={"MXN": 250}
    )
    assert int(r.statement.set_index("line")["amount"][1]) == 250


def test_erp_receipts_as_the_book_side() -> None:
    p = frame(
        PAYMENTS,
        [
            {
                "payment_id": "R1",
                "value_date": "2026-10-02",
                "amount": 5000,
                "currency": "MXN",
                "bank_reference": "881",
                "payer_name": "ACME",
            }
        ],
    )
    r = reconcile_bank(bank([line(1, 2, 5000, "SPEI 881")]), book_from_payments(p))
    assert r.matched["rule"].tolist() == ["amount, date and reference"]


def test_empty_sides() -> None:
    r = reconcile_bank(bank([]), book([]))
    assert r.items().empty and r.balanced


# --------------------------------------------------------------------------- properties

lines_st = st.lists(
    st.tuples(
        st.integers(1, 28),
        st.integers(-300_000, 300_000).filter(lambda a: a != 0),
        st.sampled_from(["", "PAGO 1043", "COMISION", "FAC 77", "DEPOSITO"]),
        st.sampled_from(["MXN", "USD"]),
    ),
    max_size=14,
)


def _bank_from(spec: list[tuple]) -> pd.DataFrame:
    return bank([{**line(i, d, a, t), "currency": c} for i, (d, a, t, c) in enumerate(spec)])


def _book_from(spec: list[tuple], shift: int = 0) -> pd.DataFrame:
    return book(
        [
            {**post(i, min(28, d + shift), a, t.split(" ")[-1] if t else ""), "currency": c}
            for i, (d, a, t, c) in enumerate(spec)
        ]
    )


@settings(max_examples=15, deadline=None)
@given(lines_st, st.integers(0, 3))
def test_a_ledger_reconciled_with_itself_leaves_nothing(spec, shift) -> None:
    r = reconcile_bank(_bank_from(spec), _book_from(spec, shift), as_of=AS_OF)
    assert_nothing_to_explain(r)


@settings(max_examples=10, deadline=None)
@given(lines_st, lines_st, st.integers(0, 1000))
def test_shuffling_rows_changes_nothing_and_controls_balance(a, b, seed) -> None:
    left, right = _bank_from(a), _book_from(b)
    first = reconcile_bank(left, right, as_of=AS_OF)
    again = reconcile_bank(shuffled(left, seed), shuffled(right, seed + 1), as_of=AS_OF)
    assert_controls_balance(first)
    same_result(first, again)
