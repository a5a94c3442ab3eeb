"""The demo company: deterministic, in the contract's engine representation, and
internally consistent (statements balance, GL ties to the ledger, truth sums to lines)."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from cuadre.demo.generator import (
    SCENARIOS,
    TRUTH_COLUMNS,
    DemoCompany,
    generate_company,
    payments_from_bank_lines,
)
from cuadre.model.tables import (
    BANK_LINES,
    CUSTOMERS,
    OPEN_ITEMS,
    PAYMENTS,
    STATEMENTS,
    TRIAL_BALANCE,
    Kind,
    TableSchema,
)

FRAMES = (
    ("customers", CUSTOMERS),
    ("open_items", OPEN_ITEMS),
    ("bank_lines", BANK_LINES),
    ("statements", STATEMENTS),
    ("trial_balance", TRIAL_BALANCE),
)


@pytest.fixture(scope="module")
def demo() -> DemoCompany:
    return generate_company()


@pytest.fixture(scope="module")
def receipts(demo: DemoCompany) -> pd.DataFrame:
    b = demo.bank_lines
    return b[b["amount"] > 0]


def _clabe_ok(clabe: str) -> bool:
    """DOMAIN.md: 18 digits, weights 3, 7, 1 repeating, products mod 10."""
    if not re.fullmatch(r"\d{18}", clabe):
        return False
    weights = [3, 7, 1] * 6
    total = sum(int(d) * w % 10 for d, w in zip(clabe[:17], weights, strict=False))
    return (10 - total % 10) % 10 == int(clabe[17])


def _nit_ok(nit: str) -> bool:
    """DOMAIN.md: weights 3, 7, 13, ... from the rightmost digit; DV = r or 11 - r."""
    m = re.fullmatch(r"(\d{9})-(\d)", nit)
    if not m:
        return False
    weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71]
    r = sum(int(d) * w for d, w in zip(reversed(m.group(1)), weights, strict=False)) % 11
    return int(m.group(2)) == (r if r < 2 else 11 - r)


def _rfc_ok(rfc: str) -> bool:
    """12-character company RFC; check character as in python-stdnum's mx.rfc."""
    if not re.fullmatch(r"[A-Z&Ñ]{3}\d{6}[1-9A-V][1-9A-Z][0-9A]", rfc):
        return False
    alphabet = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
    padded = (" " + rfc[:-1])[-12:]
    check = sum(alphabet.index(ch) * (13 - i) for i, ch in enumerate(padded))
    return alphabet[(11 - check) % 11] == rfc[-1]


def test_known_check_digits() -> None:
    assert _nit_ok("900123456-8") and not _nit_ok("900123456-7")
    assert _nit_ok("800197268-4")  # DIAN's own NIT
    assert _rfc_ok("MAB9307148T4")  # python-stdnum's example company RFC
    assert _clabe_ok("032180000118359719")  # Banxico's published example


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_company() -> None:
    a = generate_company(seed=11, n_customers=80)
    b = generate_company(seed=11, n_customers=80)
    for name in ("customers", "open_items", "bank_lines", "statements", "trial_balance", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.period_end == b.period_end == date(2026, 10, 31)


def test_other_seed_other_company() -> None:
    a = generate_company(seed=11, n_customers=80)
    b = generate_company(seed=12, n_customers=80)
    assert not a.customers["customer_name"].equals(b.customers["customer_name"])
    assert not a.bank_lines["amount"].equals(b.bank_lines["amount"])


# --------------------------------------------------------------------------- schema


def _check_schema(df: pd.DataFrame, schema: TableSchema) -> None:
    assert list(df.columns) == schema.names, schema.name
    assert isinstance(df.index, pd.RangeIndex)
    for col in schema.columns:
        s = df[col.name]
        where = f"{schema.name}.{col.name}"
        if col.kind == Kind.DATE:
            assert s.dtype == "datetime64[ns]", where
            assert (s.dropna() == s.dropna().dt.normalize()).all(), where
            if col.required:
                assert s.notna().all(), where
        elif col.kind in (Kind.MONEY, Kind.INT):
            assert isinstance(s.dtype, pd.Int64Dtype), where
            if col.required:
                assert s.notna().all(), where
        else:
            assert s.dtype == object, where
            assert s.map(type).eq(str).all(), where
            if col.required:
                assert s.ne("").all(), where
            if col.allowed:
                assert s.isin(col.allowed).all(), where


@pytest.mark.parametrize(("name", "schema"), FRAMES)
def test_schema(demo: DemoCompany, name: str, schema: TableSchema) -> None:
    df = getattr(demo, name)
    assert len(df) > 0
    _check_schema(df, schema)


def test_truth_schema(demo: DemoCompany) -> None:
    t = demo.truth
    assert list(t.columns) == list(TRUTH_COLUMNS)
    assert isinstance(t["amount_applied"].dtype, pd.Int64Dtype)
    assert t["amount_applied"].notna().all()
    for col in ("line_id", "document_id", "customer_id", "currency", "scenario"):
        assert t[col].dtype == object and t[col].map(type).eq(str).all(), col
    assert t["scenario"].isin(SCENARIOS).all()


def test_payments_from_bank_lines(demo: DemoCompany, receipts: pd.DataFrame) -> None:
    p = payments_from_bank_lines(demo.bank_lines)
    _check_schema(p, PAYMENTS)
    assert len(p) == len(receipts)
    assert set(p["payment_id"]) == set(receipts["line_id"])
    assert (p["amount"] > 0).all()


def test_identifiers(demo: DemoCompany) -> None:
    c = demo.customers
    assert c["customer_id"].str.fullmatch(r"C\d{5}").all() and c["customer_id"].is_unique
    assert c["customer_name"].is_unique
    assert set(c["currency"]) == {"MXN", "USD", "COP"}
    assert (c["currency"] == "MXN").mean() > 0.5
    assert c["payment_terms_days"].isin([0, 15, 30, 45, 60, 90]).all()
    oi = demo.open_items
    assert oi["document_id"].is_unique
    assert oi["due_date"].isna().sum() >= 1  # a handful of documents without due date
    inv = oi[oi["document_type"] == "invoice"]
    mx = inv[inv["currency"] == "MXN"]
    uuid4 = r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}"
    assert mx["fiscal_uuid"].str.fullmatch(uuid4).all()
    assert mx["document_id"].str.fullmatch(r"FA?-\d+").all()
    assert inv.loc[inv["currency"] == "USD", "document_id"].str.fullmatch(r"INV-\d+").all()
    assert inv.loc[inv["currency"] == "COP", "document_id"].str.fullmatch(r"FV \d{6,}").all()
    assert (inv["amount_original"] >= inv["amount_open"]).all()
    assert (inv["amount_original"] > inv["amount_open"]).any()
    assert (oi.loc[oi["document_type"] == "credit_note", "amount_open"] < 0).all()
    assert (oi.loc[oi["document_type"].isin(["payment", "advance"]), "amount_open"] < 0).all()
    company = {"MXN": "MX01", "USD": "US01", "COP": "CO01"}
    assert (oi["company"] == oi["currency"].map(company)).all()
    tax = c.set_index("customer_id")["tax_id"]
    assert (oi["tax_id"] == oi["customer_id"].map(tax)).all()


def test_tax_ids_and_accounts_are_valid(demo: DemoCompany) -> None:
    c = demo.customers
    by_ccy = {ccy: g for ccy, g in c.groupby("currency")}
    assert by_ccy["MXN"]["tax_id"].map(_rfc_ok).all()
    assert by_ccy["COP"]["tax_id"].map(_nit_ok).all()
    assert by_ccy["USD"]["tax_id"].str.fullmatch(r"\d{2}-\d{7}").all()
    clabes = [a for s in by_ccy["MXN"]["bank_accounts"] for a in s.split(";") if a]
    assert clabes and all(_clabe_ok(a) for a in clabes)
    mxn = demo.bank_lines[demo.bank_lines["currency"] == "MXN"]
    assert _clabe_ok(mxn["account"].iloc[0])
    spei = mxn[(mxn["type_code"] == "SPEI") & (mxn["counterparty_account"] != "")]
    assert spei["counterparty_account"].map(_clabe_ok).all()
    n_accounts = c["bank_accounts"].map(lambda s: len(s.split(";")) if s else 0)
    assert {0, 1, 2} <= set(n_accounts)
    assert (c["aliases"] != "").any()
    assert c["customer_name"].str.contains("[ÁÉÍÓÚÑáéíóúñ]").any()


# --------------------------------------------------------------------------- balances


def test_statements_balance(demo: DemoCompany) -> None:
    s = demo.statements
    assert sorted(s["currency"]) == ["COP", "MXN", "USD"]
    lines = demo.bank_lines.groupby("statement_id")["amount"].agg(["sum", "count"])
    for row in s.itertuples():
        assert row.opening_balance + lines.loc[row.statement_id, "sum"] == row.closing_balance
        assert row.line_count == lines.loc[row.statement_id, "count"]


def test_ar_control_equals_open_items(demo: DemoCompany) -> None:
    tb = demo.trial_balance
    control = tb[tb["is_ar_control"] == "yes"]
    assert sorted(control["currency"]) == ["COP", "MXN", "USD"]
    ledger = demo.open_items.groupby("currency")["amount_open"].sum()
    for row in control.itertuples():
        assert row.balance == ledger[row.currency]
    assert tb["account"].is_unique
    cash = demo.statements.set_index("currency")["closing_balance"]
    for ccy, account in (("MXN", "1102-01"), ("USD", "1102-02"), ("COP", "1110-05")):
        assert tb.loc[tb["account"] == account, "balance"].iloc[0] == cash[ccy]


# --------------------------------------------------------------------------- bank lines


def test_bank_lines(demo: DemoCompany, receipts: pd.DataFrame) -> None:
    b = demo.bank_lines
    assert b["line_id"].is_unique
    assert b["line_id"].str.fullmatch(r"(BBVA-MXN|CHASE-USD|BANCOLOMBIA-COP)-2026-10-\d{4}").all()
    assert (b["source_file"] == "demo").all()
    month = (b["booking_date"] >= "2026-10-01") & (b["booking_date"] <= "2026-10-31")
    assert month.all() and (b["value_date"] >= b["booking_date"]).all()
    assert (b["value_date"] <= "2026-10-31").all()
    assert (b["amount"] < 0).any() and (b["amount"] != 0).all()
    assert {"SPEI", "TRF", "CHQ", "FEE"} <= set(b["type_code"])
    assert (b["counterparty_name"].str.len() <= 35).all()
    names = receipts["counterparty_name"]
    assert names.ne("").mean() > 0.8
    assert (names == names.str.upper()).all()
    assert not names.str.contains("[ÁÉÍÓÚÜÑáéíóúüñ]").any()


def test_empty_remittance_share(receipts: pd.DataFrame) -> None:
    share = (receipts["remittance"] == "").mean()
    assert 0.25 <= share <= 0.45


# --------------------------------------------------------------------------- truth


def test_truth_sums_to_lines(demo: DemoCompany, receipts: pd.DataFrame) -> None:
    t = demo.truth
    assert set(t["line_id"]) == set(receipts["line_id"])
    sums = t.groupby("line_id")["amount_applied"].sum()
    amounts = receipts.set_index("line_id")["amount"]
    assert (sums.reindex(amounts.index) == amounts).all()
    assert (t.groupby("line_id")["scenario"].nunique() == 1).all()
    currency = receipts.set_index("line_id")["currency"]
    assert (t["currency"] == t["line_id"].map(currency)).all()


def test_truth_documents_exist(demo: DemoCompany, receipts: pd.DataFrame) -> None:
    t = demo.truth
    oi = demo.open_items.set_index("document_id")
    docs = t[t["document_id"] != ""]
    assert docs["document_id"].isin(oi.index).all()
    assert docs["document_id"].is_unique  # no document is paid twice
    assert (docs["customer_id"] == docs["document_id"].map(oi["customer_id"])).all()
    assert (docs["currency"] == docs["document_id"].map(oi["currency"])).all()
    open_ = docs["document_id"].map(oi["amount_open"])
    partial = docs["scenario"] == "partial"
    assert (docs.loc[~partial, "amount_applied"] == open_[~partial]).all()
    assert (docs.loc[partial, "amount_applied"] < open_[partial]).all()
    assert (docs.loc[partial, "amount_applied"] > 0).all()
    value = docs["line_id"].map(receipts.set_index("line_id")["value_date"])
    assert (docs["document_id"].map(oi["document_date"]) <= value).all()


def test_truth_differences_and_on_account(demo: DemoCompany) -> None:
    t = demo.truth
    blank = t[t["document_id"] == ""]
    unidentified = blank["scenario"] == "unidentified"
    assert (blank.loc[unidentified, "customer_id"] == "").all()
    assert (blank.loc[~unidentified, "customer_id"] != "").all()
    short = blank["scenario"].isin(["bank_fee", "early_discount", "deduction", "withholding"])
    assert (blank.loc[short, "amount_applied"] < 0).all()
    over = blank["scenario"].isin(["overpayment", "advance", "duplicate", "unidentified"])
    assert (blank.loc[over, "amount_applied"] > 0).all()
    fees = blank[blank["scenario"] == "bank_fee"].groupby("currency")["amount_applied"].min()
    assert fees.get("MXN", -1500) == -1500 and fees.get("USD", -2500) == -2500
    netted = t[(t["scenario"] == "credit_note") & (t["amount_applied"] < 0)]
    assert len(netted) and netted["document_id"].ne("").all()


def test_every_scenario_present(demo: DemoCompany) -> None:
    per_line = demo.truth.drop_duplicates("line_id")["scenario"]
    assert set(per_line) == set(SCENARIOS)


def test_unidentified_amounts_match_nothing(demo: DemoCompany, receipts: pd.DataFrame) -> None:
    lines = demo.truth[demo.truth["scenario"] == "unidentified"]
    for row in lines.itertuples():
        same = demo.open_items[demo.open_items["currency"] == row.currency]
        assert not (same["amount_open"] == row.amount_applied).any()


def test_no_remittance_lines_can_be_identified(demo: DemoCompany, receipts: pd.DataFrame) -> None:
    scen = demo.truth.drop_duplicates("line_id").set_index("line_id")["scenario"]
    r = receipts.assign(scenario=receipts["line_id"].map(scen))
    quiet = r[r["scenario"].isin(["no_remittance", "no_remittance_multi"])]
    assert ((quiet["counterparty_name"] != "") | (quiet["counterparty_account"] != "")).all()
    refs = r[r["scenario"] == "exact_ref"]
    assert refs["remittance"].ne("").all()


# --------------------------------------------------------------------------- scale


def test_scales() -> None:
    d = generate_company(seed=3, n_customers=2000, n_invoices=50_000)
    assert (d.open_items["document_type"] == "invoice").sum() == 50_000
    assert d.customers["customer_id"].is_unique and d.customers["customer_name"].is_unique
    assert d.open_items["document_id"].is_unique and d.bank_lines["line_id"].is_unique
    r = d.bank_lines[d.bank_lines["amount"] > 0]
    sums = d.truth.groupby("line_id")["amount_applied"].sum()
    assert (sums.reindex(r["line_id"]).to_numpy() == r["amount"].to_numpy()).all()


def test_other_period_end() -> None:
    d = generate_company(seed=5, n_customers=40, period_end=date(2025, 2, 28))
    b = d.bank_lines
    assert (b["booking_date"] >= "2025-02-01").all() and (b["booking_date"] <= "2025-02-28").all()
    assert b["line_id"].str.contains("-2025-02-").all()
    assert (d.open_items["document_date"] <= "2025-02-28").all()
