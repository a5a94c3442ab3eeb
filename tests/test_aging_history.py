"""As-of aging from the history and the roll-forward (cuadre.aging_history)."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuadre.aging import age_receivables, bucket_labels
from cuadre.aging_history import (
    AR_APPLICATIONS,
    AR_HISTORY,
    aging_as_of,
    applications_from_allocations,
    build_ledger,
    compare_open_items,
    history_from_tables,
    roll_forward,
    sample_history,
)
from cuadre.demo.generator import generate_company
from helpers import frame

D = dt.date
OCT1, OCT31 = D(2026, 10, 1), D(2026, 10, 31)


def hist(rows: list[dict]) -> pd.DataFrame:
    base = {"customer_id": "C1", "document_type": "invoice", "currency": "MXN"}
    return frame(AR_HISTORY, [{**base, **r} for r in rows])


def apps(rows: list[dict]) -> pd.DataFrame:
    return frame(AR_APPLICATIONS, [{"currency": "MXN", **r} for r in rows])


def codes(findings) -> list[str]:
    return sorted(f.code for f in findings)


def row_of(aging: pd.DataFrame, customer: str = "C1") -> pd.Series:
    return aging.set_index("customer_id").loc[customer]


# --------------------------------------------------------------------------- by hand


def test_invoice_paid_since_is_in_the_past_aging_and_gone_today():
    h = hist(
        [
            {
                "document_id": "FA-1",
                "document_date": "2026-08-01",
                "due_date": "2026-08-31",
                "amount_original": 100_000,
                "clearing_date": "2026-10-10",
                "clearing_document": "REC-9",
            }
        ]
    )
    ledger, findings = build_ledger(h)
    assert findings == []
    past, _ = aging_as_of(ledger, D(2026, 9, 30))
    assert row_of(past)["1-30"] == 100_000 and row_of(past)["total"] == 100_000
    assert aging_as_of(ledger, D(2026, 10, 9))[0]["31-60"].tolist() == [100_000]
    assert aging_as_of(ledger, D(2026, 10, 10))[0].empty  # cleared at the end of that day
    assert aging_as_of(ledger, D(2026, 7, 31))[0].empty  # not posted yet
    rf, f = roll_forward(ledger, OCT1, OCT31)
    r = rf.iloc[0]
    assert (r["opening"], r["receipts"], r["closing"], r["aging_total"]) == (
        100_000,
        -100_000,
        0,
        0,
    )
    assert f == []


def test_partial_payment_with_a_date():
    h = hist(
        [
            {
                "document_id": "FA-2",
                "document_date": "2026-09-01",
                "due_date": "2026-09-30",
                "amount_original": 500,
                "amount_open": 300,
            }
        ]
    )
    a = apps(
        [
            {
                "document_id": "FA-2",
                "applied_date": "2026-09-15",
                "amount_applied": 200,
                "applying_document": "REC-1",
            }
        ]
    )
    ledger, findings = build_ledger(h, a)
    assert findings == []
    assert ledger.open_at(D(2026, 9, 14)).tolist() == [500]
    assert ledger.open_at(D(2026, 9, 15)).tolist() == [300]
    rf, _ = roll_forward(ledger, D(2026, 9, 1), D(2026, 9, 30))
    assert rf.loc[0, ["invoices", "receipts", "closing"]].tolist() == [500, -200, 300]


def test_partial_payment_without_its_date_is_reported_and_today_still_ties():
    h = hist(
        [
            {
                "document_id": "FA-3",
                "document_date": "2026-09-01",
                "due_date": "2026-09-30",
                "amount_original": 500,
                "amount_open": 300,
            }
        ]
    )
    ledger, findings = build_ledger(h)
    assert codes(findings) == ["UNDATED_SETTLEMENT"]
    assert "FA-3" in findings[0].message and "2.00 MXN" in findings[0].message
    assert ledger.open_at(OCT31).tolist() == [300]


def test_credit_note_cleared_against_invoice_nets_inside_the_ledger():
    h = hist(
        [
            {
                "document_id": "FA-4",
                "document_date": "2026-09-10",
                "due_date": "2026-10-10",
                "amount_original": 1_000,
                "clearing_date": "2026-10-05",
                "clearing_document": "NC-1",
            },
            {
                "document_id": "NC-1",
                "document_type": "credit_note",
                "document_date": "2026-10-05",
                "due_date": "2026-10-05",
                "amount_original": -1_000,
                "clearing_date": "2026-10-05",
                "clearing_document": "NC-1",
            },
        ]
    )
    ledger, _ = build_ledger(h)
    rf, _ = roll_forward(ledger, OCT1, OCT31)
    r = rf.iloc[0]
    assert (r["opening"], r["credit_notes"], r["receipts"], r["adjustments"], r["closing"]) == (
        1_000,
        -1_000,
        0,
        0,
        0,
    )


def test_unapplied_payment_then_cleared_and_a_clearing_difference():
    h = hist(
        [
            {
                "document_id": "FA-5",
                "document_date": "2026-09-01",
                "due_date": "2026-09-30",
                "amount_original": 10_000,
                "clearing_date": "2026-10-07",
                "clearing_document": "P-1",
            },
            {
                "document_id": "P-1",
                "document_type": "payment",
                "document_date": "2026-10-03",
                "due_date": "2026-10-03",
                "amount_original": -9_800,
                "clearing_date": "2026-10-07",
                "clearing_document": "P-1",
            },
        ]
    )
    ledger, _ = build_ledger(h)
    mid, _ = aging_as_of(ledger, D(2026, 10, 5))
    r = row_of(mid)
    assert (r["1-30"], r["current"], r["total"], r["credits"], r["items"]) == (
        200,
        0,
        200,
        -9_800,
        2,
    )
    rf, f = roll_forward(ledger, OCT1, OCT31)
    r = rf.iloc[0]
    assert (r["receipts"], r["adjustments"], r["closing"]) == (-9_800, -200, 0) and f == []
    flows = ledger.flows(OCT1, OCT31, settled_documents=True)
    assert flows["document_type"].tolist() == ["payment", "clearing"]
    assert flows["settles"].tolist() == ["", "FA-5; P-1"]


def test_aging_by_document_date():
    h = hist(
        [
            {
                "document_id": "FA-6",
                "document_date": "2026-09-01",
                "due_date": "2026-12-31",
                "amount_original": 700,
            }
        ]
    )
    ledger, _ = build_ledger(h)
    by_due, _ = aging_as_of(ledger, OCT31)
    by_doc, _ = aging_as_of(ledger, OCT31, basis="document_date")
    assert row_of(by_due)["current"] == 700 and row_of(by_doc)["31-60"] == 700
    with pytest.raises(ValueError):
        ledger.open_items_at(OCT31, basis="posting")  # type: ignore[arg-type]


def test_bad_history_rows_become_findings():
    h = hist(
        [
            {
                "document_id": "A",
                "document_date": "2026-09-01",
                "amount_original": 100,
                "clearing_date": "2026-08-01",
                "clearing_document": "R",
            },  # cleared before posted
            {"document_id": "B", "document_date": "2026-09-01"},  # no amount
            {
                "document_id": "C",
                "document_date": "2026-09-01",
                "amount_original": 50,
                "clearing_document": "R2",
            },  # clearing doc without a date
            {
                "document_id": "E",
                "document_date": "2026-09-01",
                "amount_original": 40,
                "amount_open": 40,
                "clearing_date": "2026-09-20",
            },  # cleared yet open
            {
                "document_id": "F",
                "document_date": "2026-09-01",
                "amount_original": 90,
                "clearing_date": "2026-09-30",
            },
        ]
    )
    a = apps(
        [
            {"document_id": "ZZ", "applied_date": "2026-09-02", "amount_applied": 1},
            {"document_id": "F", "applied_date": "2026-10-02", "amount_applied": 1},
            {"document_id": "F", "applied_date": "2026-08-02", "amount_applied": 10},
            {
                "document_id": "F",
                "currency": "USD",
                "applied_date": "2026-09-03",
                "amount_applied": 1,
            },
        ]
    )
    ledger, findings = build_ledger(h, a)
    assert codes(findings) == [
        "APPLICATION_AFTER_CLEARING",
        "APPLICATION_BEFORE_POSTING",
        "APPLICATION_CURRENCY",
        "APPLICATION_UNKNOWN_DOCUMENT",
        "CLEARED_BEFORE_POSTED",
        "CLEARED_WITH_OPEN_AMOUNT",
        "CLEARING_DATE_MISSING",
        "HISTORY_ROW_UNUSABLE",
    ]
    unusable = next(f for f in findings if f.code == "HISTORY_ROW_UNUSABLE")
    assert str(unusable.location) == "test.csv:3" and unusable.is_error
    assert ledger.items["document_id"].tolist() == ["A", "C", "E", "F"]
    # F: 90 posted 09-01, 10 applied (moved to 09-01), cleared 09-30
    assert ledger.open_at(D(2026, 9, 1)).tolist() == [0, 50, 40, 80]  # A cleared the day posted
    assert ledger.open_at(D(2026, 9, 30)).tolist() == [0, 50, 0, 0]


def test_installments_and_applications_by_due_date():
    h = hist(
        [
            {
                "document_id": "FA-7",
                "document_date": "2026-09-01",
                "due_date": "2026-10-01",
                "amount_original": 500,
            },
            {
                "document_id": "FA-7",
                "document_date": "2026-09-01",
                "due_date": "2026-11-01",
                "amount_original": 500,
            },
        ]
    )
    a = apps(
        [
            {
                "document_id": "FA-7",
                "due_date": "2026-11-01",
                "applied_date": "2026-10-05",
                "amount_applied": 100,
            },
            {"document_id": "FA-7", "applied_date": "2026-10-06", "amount_applied": 50},
        ]
    )
    ledger, findings = build_ledger(h, a)
    assert findings == []
    assert ledger.open_at(OCT31).tolist() == [450, 400]


def test_history_from_open_items_and_cleared_documents():
    oi = hist(
        [
            {
                "document_id": "FA-8",
                "document_date": "2026-10-01",
                "due_date": "2026-10-31",
                "amount_open": 300,
            }
        ]
    ).drop(columns=["clearing_date", "clearing_document"])
    cleared = hist(
        [
            {
                "document_id": "FA-9",
                "document_date": "2026-09-01",
                "due_date": "2026-09-30",
                "amount_original": 200,
                "clearing_date": "2026-10-15",
            }
        ]
    )
    h = history_from_tables(oi, cleared)
    assert set(AR_HISTORY.names) <= set(h.columns)
    assert h["clearing_document"].tolist() == ["", ""]
    ledger, findings = build_ledger(h)
    assert findings == []
    assert ledger.open_at(D(2026, 10, 1)).tolist() == [300, 200]


def test_applications_from_allocations():
    alloc = pd.DataFrame(
        {
            "payment_id": ["P1", "P1", "P2"],
            "document_id": ["FA-1", "", "FA-2"],
            "customer_id": ["C1", "C1", "C2"],
            "currency": ["MXN"] * 3,
            "amount_applied": pd.array([100, 0, 50], dtype="Int64"),
            "status": ["auto", "auto", "suggested"],
        }
    )
    pay = pd.DataFrame(
        {"payment_id": ["P1", "P2"], "value_date": pd.to_datetime(["2026-10-03", "2026-10-04"])}
    )
    out = applications_from_allocations(alloc, pay)
    assert list(out.columns) == AR_APPLICATIONS.names
    assert out[["document_id", "applying_document"]].values.tolist() == [["FA-1", "P1"]]
    assert out["applied_date"].tolist() == [pd.Timestamp("2026-10-03")]
    assert out["amount_applied"].tolist() == [100]


def test_by_customer_roll_forward_adds_up_to_the_currency_one():
    h = hist(
        [
            {
                "customer_id": "C1",
                "document_id": "A",
                "document_date": "2026-09-01",
                "amount_original": 100,
                "clearing_date": "2026-10-02",
                "clearing_document": "R1",
            },
            {
                "customer_id": "C2",
                "document_id": "B",
                "document_date": "2026-10-03",
                "due_date": "2026-11-03",
                "amount_original": 70,
            },
            {
                "customer_id": "C2",
                "customer_name": "Dos",
                "document_id": "C",
                "document_date": "2026-10-04",
                "due_date": "2026-11-03",
                "currency": "USD",
                "amount_original": 5,
            },
        ]
    )
    ledger, _ = build_ledger(h)
    by_cur, _ = roll_forward(ledger, OCT1, OCT31)
    by_cust, f = roll_forward(ledger, OCT1, OCT31, by=("currency", "customer_id"))
    assert f == []
    assert by_cust[["currency", "customer_id", "customer_name"]].values.tolist() == [
        ["MXN", "C1", ""],
        ["MXN", "C2", "Dos"],
        ["USD", "C2", "Dos"],
    ]
    summed = by_cust.groupby("currency")[["opening", "invoices", "receipts", "closing"]].sum()
    assert (
        summed.loc["MXN"].tolist()
        == by_cur.set_index("currency")
        .loc["MXN", ["opening", "invoices", "receipts", "closing"]]
        .tolist()
    )
    with pytest.raises(ValueError):
        roll_forward(ledger, OCT1, OCT31, by=("customer_id",))
    with pytest.raises(ValueError):
        roll_forward(ledger, OCT31, OCT1)


def test_compare_open_items_reports_what_the_history_does_not_explain():
    h = hist([{"document_id": "FA-1", "document_date": "2026-10-01", "amount_original": 100}])
    ledger, _ = build_ledger(h)
    same = hist([{"document_id": "FA-1", "document_date": "2026-10-01", "amount_open": 100}])
    diff, findings = compare_open_items(ledger, same, OCT31)
    assert diff.empty and findings == []
    other = hist([{"document_id": "FA-1", "document_date": "2026-10-01", "amount_open": 90}])
    diff, findings = compare_open_items(ledger, other, OCT31)
    assert diff[["document_id", "rebuilt", "exported", "difference"]].values.tolist() == [
        ["FA-1", 100, 90, 10]
    ]
    assert codes(findings) == ["REBUILD_DIFFERS"] and "1.00 MXN" in findings[0].message


# --------------------------------------------------------------------------- sample company


@pytest.fixture(scope="module")
def demo():
    company = generate_company(seed=7, n_customers=60)
    history, applications = sample_history(
        company.open_items, company.customers, company.period_end, months=12, seed=7
    )
    ledger, findings = build_ledger(history, applications)
    return company, history, applications, ledger, findings


def test_demo_history_rebuilds_todays_aging(demo):
    company, history, applications, ledger, findings = demo
    assert findings == []
    assert len(history) > 3 * len(company.open_items) and len(applications) > 0
    today, f1 = age_receivables(company.open_items, company.period_end, customers=company.customers)
    rebuilt, f2 = aging_as_of(ledger, company.period_end, customers=company.customers)
    pd.testing.assert_frame_equal(rebuilt, today)
    assert codes(f1) == codes(f2)
    diff, f3 = compare_open_items(ledger, company.open_items, company.period_end)
    assert diff.empty and f3 == []


def test_demo_roll_forward_ties_every_month(demo):
    _company, _, _, ledger, _ = demo
    closing_before = None
    for month in range(1, 11):
        start = D(2026, month, 1)
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        rf, findings = roll_forward(ledger, start, end)
        assert not [f for f in findings if f.code == "ROLL_FORWARD_DIFFERENCE"]
        assert (rf["difference"] == 0).all()
        assert (rf["receipts"] <= 0).all() and (rf["invoices"] > 0).all()
        closing = rf.set_index("currency")["closing"]
        if closing_before is not None:
            opening = rf.set_index("currency")["opening"]
            assert opening.to_dict() == closing_before.to_dict()
        closing_before = closing


# --------------------------------------------------------------------------- properties

DAY0 = pd.Timestamp("2026-01-01")


@st.composite
def histories(draw):
    n = draw(st.integers(1, 14))
    rows, truth = [], []
    for i in range(n):
        posted = draw(st.integers(0, 90))
        amount = draw(st.integers(-5_000, 20_000).filter(lambda v: v != 0))
        cleared = draw(st.one_of(st.none(), st.integers(posted, 120)))
        doc_type = "invoice" if amount > 0 else draw(st.sampled_from(["credit_note", "payment"]))
        rows.append(
            {
                "customer_id": draw(st.sampled_from(["C1", "C2", "C3"])),
                "document_id": f"D{i}",
                "document_type": doc_type,
                "document_date": DAY0 + pd.Timedelta(days=posted),
                "due_date": DAY0 + pd.Timedelta(days=posted + draw(st.integers(0, 60))),
                "currency": draw(st.sampled_from(["MXN", "USD"])),
                "amount_original": amount,
                "clearing_date": None if cleared is None else DAY0 + pd.Timedelta(days=cleared),
                "clearing_document": ""
                if cleared is None
                else draw(st.sampled_from(["", "R1", "R2", "D0", f"D{i}"])),
            }
        )
        truth.append((posted, amount, cleared))
    applications, effects = [], [[] for _ in range(n)]
    for _ in range(draw(st.integers(0, 10))):
        i = draw(st.integers(0, n - 1))
        posted, _amount, cleared = truth[i]
        last = cleared if cleared is not None else 130
        day = draw(st.integers(posted, last))
        value = draw(st.integers(-3_000, 3_000))
        applications.append(
            {
                "document_id": f"D{i}",
                "currency": rows[i]["currency"],
                "applied_date": DAY0 + pd.Timedelta(days=day),
                "amount_applied": value,
                "applying_document": draw(st.sampled_from(["", "R1", "D1"])),
            }
        )
        effects[i].append((day, -value))
    for i, r in enumerate(rows):  # items still open carry today's open amount
        if r["clearing_date"] is None and draw(st.booleans()):
            r["amount_open"] = truth[i][1] + sum(v for _, v in effects[i])
    return rows, applications, truth, effects


def naive_open(truth, effects, day: int) -> list[int]:
    """The rule in words: posted and not yet cleared -> amount less what was applied."""
    out = []
    for (posted, amount, cleared), moves in zip(truth, effects, strict=True):
        if day < posted or (cleared is not None and cleared <= day):
            out.append(0)
        else:
            out.append(amount + sum(v for d, v in moves if d <= day))
    return out


def to_day(n: int) -> dt.date:
    return (DAY0 + pd.Timedelta(days=n)).date()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.integers(0, 140), st.integers(0, 140))
def test_rebuild_and_roll_forward_match_the_rule(data, a, b):
    rows, applications, truth, effects = data
    h = frame(AR_HISTORY, rows)
    ap = frame(AR_APPLICATIONS, applications) if applications else None
    ledger, findings = build_ledger(h, ap)
    assert not [f for f in findings if f.is_error]
    start, end = min(a, b), max(a, b)

    # the as-of aging: buckets sum to the total, and the total is the rule's
    aging, _ = aging_as_of(ledger, to_day(end), buckets=(30, 60))
    labels = bucket_labels((30, 60))
    if len(aging):
        assert (aging[labels].sum(axis=1) == aging["total"]).all()
    want = pd.Series(naive_open(truth, effects, end), index=h.index).groupby(h["currency"]).sum()
    got = aging.groupby("currency")["total"].sum() if len(aging) else pd.Series(dtype="int64")
    assert want[want != 0].to_dict() == got[got != 0].astype(int).to_dict()

    # the roll-forward: opening + flows = closing = the rule at both ends
    rf, rf_findings = roll_forward(
        ledger, to_day(start), to_day(end), by=("currency", "customer_id")
    )
    assert not [f for f in rf_findings if f.code == "ROLL_FORWARD_DIFFERENCE"]
    assert (rf["difference"] == 0).all()
    keys = [h["currency"], h["customer_id"]]
    opening = pd.Series(naive_open(truth, effects, start - 1), index=h.index).groupby(keys).sum()
    closing = pd.Series(naive_open(truth, effects, end), index=h.index).groupby(keys).sum()
    got_rf = rf.set_index(["currency", "customer_id"])
    for key in got_rf.index:
        assert got_rf.loc[key, "opening"] == opening.get(key, 0)
        assert got_rf.loc[key, "closing"] == closing.get(key, 0)
    for key in set(opening.index) | set(closing.index):
        if opening.get(key, 0) or closing.get(key, 0):
            assert key in got_rf.index


@settings(max_examples=15, deadline=None)
@given(histories())
def test_rebuilding_on_the_last_day_gives_the_current_aging(data):
    rows, applications, _truth, _effects = data
    h = frame(AR_HISTORY, rows)
    ap = frame(AR_APPLICATIONS, applications) if applications else None
    ledger, _ = build_ledger(h, ap)
    last = to_day(140)
    current = ledger.open_items_at(last)
    today, _ = age_receivables(current, last)
    rebuilt, _ = aging_as_of(ledger, last)
    pd.testing.assert_frame_equal(rebuilt, today)
    # and an export of that day with the open amounts agrees with the history
    diff, f3 = compare_open_items(ledger, current, last)
    assert diff.empty and f3 == []
    # items still open with amount_open given are rebuilt at exactly that amount
    given_open = h[h["clearing_date"].isna() & h["amount_open"].notna()]
    if len(given_open):
        by_doc = current.set_index("document_id")["amount_open"]
        for doc, amount in zip(given_open["document_id"], given_open["amount_open"], strict=True):
            assert int(by_doc.get(doc, 0)) == int(amount)
