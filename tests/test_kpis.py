"""Receivables KPIs (cuadre.kpis): formulas by hand, and the IBM sample recomputed."""

import csv
import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from cuadre.aging import bucket_labels
from cuadre.aging_history import AR_HISTORY, aging_as_of, build_ledger, sample_history
from cuadre.demo.generator import generate_company
from cuadre.fx import FX_RATES
from cuadre.io.tables import read_table
from cuadre.kpis import (
    BALANCES,
    KPIS,
    countback_dso,
    kpi_table,
    kpi_trend,
    month_ends,
    monthly_balances,
)
from helpers import frame

IBM = "ar_tabular/pthiagu2-datamining/WA_Fn-UseC_-Accounts-Receivable.csv"
IBM_HEAD = "ar_tabular/WA_Fn-UseC_-Accounts-Receivable.HEAD-177rows.csv"


def balances(rows: list[dict]) -> pd.DataFrame:
    return frame(BALANCES, [{"currency": "MXN", **r} for r in rows]).drop(
        columns=["source_path", "source_sheet", "source_row"]
    )


def test_countback_by_hand():
    # AR 1,000: this month's 400 (30 days) and last month's 300 (31 days) are all still
    # open, plus 300 of the 500 sold two months ago (30 days): 30 + 31 + 300/500 x 30
    assert countback_dso(1000, [400, 300, 500], [30, 31, 30]) == pytest.approx(79.0)
    assert countback_dso(300, [400], [30]) == pytest.approx(22.5)
    assert countback_dso(400, [400, 100], [30, 31]) == pytest.approx(30.0)
    assert countback_dso(0, [400], [30]) == 0.0 and countback_dso(-5, [], []) == 0.0
    assert math.isnan(countback_dso(1000, [400, 300], [30, 31]))  # history too short


def test_formulas_by_hand():
    table = balances(
        [
            {
                "month": "2026-09-30",
                "days": 30,
                "credit_sales": 40_000_00,
                "ar_opening": 45_000_00,
                "ar_total": 50_000_00,
                "ar_current": 30_000_00,
            },
            {
                "month": "2026-10-31",
                "days": 31,
                "credit_sales": 31_000_00,
                "ar_opening": 50_000_00,
                "ar_total": 40_000_00,
                "ar_current": 25_000_00,
            },
        ]
    )
    kpis, findings = kpi_table(table)
    assert list(kpis.columns) == KPIS.names
    oct_ = kpis.iloc[1]
    assert oct_["ar_overdue"] == 15_000_00
    assert oct_["dso_simple"] == pytest.approx(40.0)  # 40,000 / 31,000 x 31
    assert oct_["best_possible_dso"] == pytest.approx(25.0)  # 25,000 / 31,000 x 31
    assert oct_["average_days_delinquent"] == pytest.approx(15.0)
    # CEI = (50,000 + 31,000 - 40,000) / (50,000 + 31,000 - 25,000) x 100
    assert oct_["cei"] == pytest.approx(41_000 / 56_000 * 100)
    assert oct_["pct_current"] == pytest.approx(62.5)
    # countback: 40,000 - 31,000 (31 days) = 9,000 < 40,000 of September: 9/40 x 30
    assert oct_["dso_countback"] == pytest.approx(31 + 9 / 40 * 30)
    sep = kpis.iloc[0]
    assert math.isnan(sep["dso_countback"])  # 50,000 > the only month's 40,000
    assert [f.code for f in findings] == ["DSO_COUNTBACK_SHORT_HISTORY"]
    assert "MXN 2026-09" in findings[0].message


def test_zero_sales_and_zero_ar_give_empty_ratios():
    table = balances(
        [
            {
                "month": "2026-10-31",
                "days": 31,
                "credit_sales": 0,
                "ar_opening": 0,
                "ar_total": 0,
                "ar_current": 0,
            }
        ]
    )
    k = kpi_table(table)[0].iloc[0]
    assert math.isnan(k["dso_simple"]) and math.isnan(k["cei"]) and math.isnan(k["pct_current"])
    assert k["dso_countback"] == 0.0


def test_month_ends():
    assert month_ends(dt.date(2025, 12, 15), dt.date(2026, 2, 1)) == [
        pd.Timestamp("2025-12-31"),
        pd.Timestamp("2026-01-31"),
        pd.Timestamp("2026-02-28"),
    ]


def test_monthly_balances_from_a_small_history():
    h = frame(
        AR_HISTORY,
        [
            {
                "customer_id": "C1",
                "document_id": "A",
                "document_type": "invoice",
                "document_date": "2026-08-20",
                "due_date": "2026-09-19",
                "currency": "MXN",
                "amount_original": 1000,
                "clearing_date": "2026-10-05",
            },
            {
                "customer_id": "C1",
                "document_id": "B",
                "document_type": "invoice",
                "document_date": "2026-09-10",
                "due_date": "2026-10-10",
                "currency": "MXN",
                "amount_original": 600,
            },
            {
                "customer_id": "C1",
                "document_id": "NC",
                "document_type": "credit_note",
                "document_date": "2026-09-15",
                "due_date": "2026-09-15",
                "currency": "MXN",
                "amount_original": -100,
            },
        ],
    )
    ledger, _ = build_ledger(h)
    b = monthly_balances(ledger, dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    assert b[["credit_sales", "ar_opening", "ar_total", "ar_current"]].values.tolist() == [
        [600, 1000, 1500, 600],  # September: A overdue, B not yet due, NC overdue
        [0, 1500, 500, 0],  # October: A paid, B overdue
    ]
    assert b["days"].tolist() == [30, 31]


# --------------------------------------------------------------------------- IBM sample


def ibm_rows(path: Path) -> list[dict]:
    """The raw columns, read with the csv module only (the independent side)."""

    def day(text: str) -> dt.date:
        m, d, y = (int(x) for x in text.split("/"))
        return dt.date(y, m, d)

    with open(path, newline="", encoding="utf-8") as fh:
        return [
            {
                "invoice": r["invoiceNumber"],
                "customer": r["customerID"],
                "issued": day(r["InvoiceDate"]),
                "due": day(r["DueDate"]),
                "settled": day(r["SettledDate"]),
                "cents": int(Decimal(r["InvoiceAmount"]) * 100),
                "disputed": r["Disputed"] == "Yes",
            }
            for r in csv.DictReader(fh)
        ]


def ibm_ledger(path: Path, tmp_path: Path):
    """The engine side: the file renamed to the history columns and read by read_table."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    renamed = pd.DataFrame(
        {
            "Customer ID": raw["customerID"],
            "Document ID": raw["invoiceNumber"],
            "Document Type": "Invoice",
            "Document Date": raw["InvoiceDate"],
            "Due Date": raw["DueDate"],
            "Currency": "USD",
            "Amount Original": raw["InvoiceAmount"],
            "Clearing Date": raw["SettledDate"],
        }
    )
    csv_path = tmp_path / "ibm_history.csv"
    renamed.to_csv(csv_path, index=False)
    history, findings = read_table(csv_path, AR_HISTORY)
    assert not [f for f in findings if f.is_error], findings
    assert history["document_id"].iloc[0] == raw["invoiceNumber"].iloc[0]  # zeros kept
    ledger, more = build_ledger(history)
    assert more == []
    return ledger


def independent(rows: list[dict], end: dt.date) -> dict:
    start = end.replace(day=1)
    open_ = [r for r in rows if r["issued"] <= end < r["settled"]]
    prev = start - dt.timedelta(days=1)
    return {
        "ar": sum(r["cents"] for r in open_),
        "current": sum(r["cents"] for r in open_ if r["due"] > end),
        "opening": sum(r["cents"] for r in rows if r["issued"] <= prev < r["settled"]),
        "sales": sum(r["cents"] for r in rows if start <= r["issued"] <= end),
        "days": (end - prev).days,
    }


def independent_countback(rows: list[dict], end: dt.date) -> float:
    remainder = independent(rows, end)["ar"]
    total = 0.0
    month_end = end
    while True:
        m = independent(rows, month_end)
        if remainder <= m["sales"]:
            return total + remainder / m["sales"] * m["days"]
        remainder -= m["sales"]
        total += m["days"]
        month_end = month_end.replace(day=1) - dt.timedelta(days=1)


@pytest.mark.realdata
@pytest.mark.parametrize("name", [IBM, IBM_HEAD])
def test_ibm_sample_dso_and_add_recomputed_from_the_raw_columns(realdata, tmp_path, name):
    path = realdata / name
    if not path.exists():
        pytest.skip(f"{name} is not present")
    rows = ibm_rows(path)
    ledger = ibm_ledger(path, tmp_path)
    first, last = (dt.date(2013, 1, 1), dt.date(2013, 12, 31))
    kpis, _findings = kpi_trend(ledger, first, last, lookback_months=12)
    assert len(kpis) == 12 and set(kpis["currency"]) == {"USD"}
    for k in kpis.itertuples(index=False):
        end = pd.Timestamp(k.month).date()
        want = independent(rows, end)
        assert (k.ar_total, k.ar_current, k.credit_sales, k.ar_opening) == (
            want["ar"],
            want["current"],
            want["sales"],
            want["opening"],
        )
        if not want["sales"]:
            continue
        dso = want["ar"] / want["sales"] * want["days"]
        best = want["current"] / want["sales"] * want["days"]
        assert k.dso_simple == pytest.approx(dso)
        assert k.average_days_delinquent == pytest.approx(dso - best)
        base = want["opening"] + want["sales"]
        assert k.cei == pytest.approx((base - want["ar"]) / (base - want["current"]) * 100)
        if name == IBM:
            assert k.dso_countback == pytest.approx(independent_countback(rows, end))


@pytest.mark.realdata
def test_ibm_sample_ages_like_the_raw_columns(realdata, tmp_path):
    path = realdata / IBM
    if not path.exists():
        pytest.skip("the full IBM sample is not present")
    rows = ibm_rows(path)
    ledger = ibm_ledger(path, tmp_path)
    as_of = dt.date(2013, 6, 30)
    aging, findings = aging_as_of(ledger, as_of)
    assert findings == []
    labels = bucket_labels((30, 60, 90, 120))
    want: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["issued"] <= as_of < r["settled"]:
            days = (as_of - r["due"]).days
            label = (
                "current"
                if days <= 0
                else next(
                    (
                        lab
                        for lab, hi in zip(labels[1:], (30, 60, 90, 120), strict=False)
                        if days <= hi
                    ),
                    "121+",
                )
            )
            want.setdefault(r["customer"], dict.fromkeys(labels, 0))[label] += r["cents"]
    indexed = aging.set_index("customer_id")
    got = {cid: {c: int(indexed.at[cid, c]) for c in labels} for cid in indexed.index}
    assert got == want
    assert (aging[labels].sum(axis=1) == aging["total"]).all()


# --------------------------------------------------------------------------- demo company


def test_demo_trend_per_currency_and_in_mxn():
    company = generate_company(seed=3, n_customers=40)
    history, applications = sample_history(
        company.open_items, company.customers, company.period_end, seed=3
    )
    ledger, _ = build_ledger(history, applications)
    first, last = dt.date(2026, 5, 1), dt.date(2026, 10, 31)
    kpis, _ = kpi_trend(ledger, first, last, company.customers)
    assert sorted(set(kpis["currency"])) == ["COP", "MXN", "USD"]
    assert len(kpis) == 18
    assert (kpis["dso_simple"] > 0).all() and (kpis["best_possible_dso"] >= 0).all()
    assert (kpis["pct_current"].between(0, 100)).all()
    days = pd.date_range("2025-04-01", "2026-10-31", freq="D")
    rates = frame(
        FX_RATES,
        [{"date": d, "currency": "USD", "rate": "18.50"} for d in days]
        + [{"date": d, "currency": "COP", "rate": "0.0045"} for d in days],
    )
    mxn, findings = kpi_trend(ledger, first, last, company.customers, rates=rates, functional="MXN")
    assert not [f for f in findings if f.is_error]
    assert mxn["currency"].tolist() == ["MXN"] * 6
    per = kpis[kpis["currency"] == "MXN"].reset_index(drop=True)
    assert (mxn["ar_total"] > per["ar_total"]).all()


def test_month_to_date_period():
    ends = month_ends(dt.date(2026, 8, 1), dt.date(2026, 10, 31), dt.date(2026, 10, 15))
    assert ends == [
        pd.Timestamp("2026-08-31"),
        pd.Timestamp("2026-09-30"),
        pd.Timestamp("2026-10-15"),
    ]
    with pytest.raises(ValueError, match="not in the last month"):
        month_ends(dt.date(2026, 8, 1), dt.date(2026, 10, 31), dt.date(2026, 9, 15))
