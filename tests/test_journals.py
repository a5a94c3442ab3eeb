"""Journals (cuadre.journals): always balanced, checked in code, upload layouts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.journals import (
    SAP_COLUMNS,
    Line,
    check_balanced,
    concat,
    entry,
    generic_layout,
    reverse,
    sap_layout,
    sap_upload_text,
    signed,
)

DAY = dt.date(2026, 10, 31)


def sample() -> pd.DataFrame:
    return entry(
        "J1",
        DAY,
        "MXN",
        [
            Line("1105-90", debit=50000, text="Unbilled", customer_id="C1"),
            Line("1105-90", debit=12345, text="Unbilled", customer_id="C2"),
            Line("4100-01", credit=62345, text="Unbilled"),
        ],
    )


def test_an_unbalanced_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="debits 100 != credits 90"):
        entry("J", DAY, "MXN", [Line("1", debit=100), Line("2", credit=90)])


def test_check_balanced_finds_every_problem() -> None:
    bad = sample()
    bad.loc[0, "debit"] = 50001
    bad.loc[1, "credit"] = 5
    bad.loc[2, "account"] = " "
    codes = sorted(f.code for f in check_balanced(bad))
    assert codes == ["DEBIT_AND_CREDIT", "JOURNAL_NOT_BALANCED", "NO_ACCOUNT"]
    assert not check_balanced(sample())


def test_reversal_swaps_sides_on_the_next_day() -> None:
    j = sample()
    r = reverse(j, "J1-R", DAY + dt.timedelta(days=1))
    assert r["debit"].tolist() == j["credit"].tolist()
    assert set(r["reversal_of"]) == {"J1"} and set(r["date"]) == {pd.Timestamp("2026-11-01")}
    both = concat([j, r])
    assert not check_balanced(both)
    net = both.groupby("account")[["debit", "credit"]].sum()
    assert (net["debit"] == net["credit"]).all()


def test_sap_layout() -> None:
    sap = sap_layout(sample(), company_code="MX01")
    assert list(sap.columns) == list(SAP_COLUMNS)
    assert sap["BSCHL"].tolist() == ["40", "40", "50"]
    assert sap["WRBTR"].tolist() == ["500.00", "123.45", "623.45"]
    assert sap["BUDAT"].iloc[0] == "31.10.2026"
    text = sap_upload_text(sample(), company_code="MX01")
    assert text.splitlines()[0].split("\t") == list(SAP_COLUMNS)
    assert len(text.splitlines()) == 4


def test_generic_layout_order() -> None:
    j = concat([sample().iloc[::-1]])
    assert generic_layout(j)["line"].tolist() == [1, 2, 3]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["1105", "4100", "2105", "6105"]),
            st.integers(-(10**9), 10**9).filter(lambda a: a != 0),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["MXN", "COP", "JPY", "KWD"]),
)
def test_journals_built_from_signed_amounts_always_balance(lines, currency) -> None:
    balancing = -sum(a for _, a in lines)
    built = [signed(acc, a) for acc, a in lines]
    if balancing:
        built.append(signed("9999", balancing))
    j = entry("P", DAY, currency, built)
    assert check_balanced(j) == []
    assert int(j["debit"].sum()) == int(j["credit"].sum())
    assert ((j["debit"] == 0) ^ (j["credit"] == 0)).all()
    r = reverse(j, "P-R", DAY)
    assert check_balanced(concat([j, r])) == []
