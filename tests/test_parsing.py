import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cuadre.parsing import (
    cell_text,
    date_order_votes,
    normalize_header,
    parse_amounts,
    parse_dates,
    parse_ints,
)


def amounts(values, decimal=None, exp=2):
    s = pd.Series(values, dtype=object)
    return parse_amounts(s, pd.Series([exp] * len(s)), decimal)


@pytest.mark.parametrize(
    "text, units",
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ("1.234,56", 123456),
        ("1 234,56", 123456),
        ("1'234.56", 123456),
        ("$1,234.56", 123456),
        ("MXN 1,234.56", 123456),
        ("1,234.56 USD", 123456),
        ("(1,234.56)", -123456),
        ("1.234,56-", -123456),
        ("-$5.00", -500),
        ("+7", 700),
        ("0,5", 50),
        ("1.234.567,8", 123456780),
        ("1,234,567", 123456700),
    ],
)
def test_amount_forms(text, units):
    assert amounts([text]).units.iloc[0] == units


def test_ambiguous_amounts_follow_the_file_decision():
    assert amounts(["1,234"], ".").units.iloc[0] == 123400
    assert amounts(["1,234"], ",").units.iloc[0] == 123
    assert amounts(["1.234"], ",").units.iloc[0] == 123400


def test_decimal_comma_detected_from_other_values():
    r = amounts(["1.234", "10,50"])
    assert r.votes[","] == 1
    assert r.units.tolist() == [123400, 1050]


def test_invalid_and_empty_are_told_apart():
    r = amounts(["abc", "", "12a", None])
    assert r.invalid.tolist() == [True, False, True, False]
    assert r.empty.tolist() == [False, True, False, True]


def test_excess_decimals_are_rounded_and_flagged():
    r = amounts(["10.005", "10.000"])
    assert r.units.tolist() == [1001, 1000]
    assert r.rounded.tolist() == [True, False]


def test_doubles_from_a_workbook():
    r = amounts([0.1 + 0.2, 1234.5, 3.0, 1.234])
    assert r.units.tolist() == [30, 123450, 300, 123]
    assert r.rounded.tolist() == [False, False, False, True]


@given(st.integers(min_value=-(10**12), max_value=10**12), st.booleans())
def test_formatted_amount_round_trip(units, comma):
    whole, frac = divmod(abs(units), 100)
    grouped = f"{whole:,}"
    text = f"{grouped}.{frac:02d}" if not comma else f"{grouped.replace(',', '.')},{frac:02d}"
    text = ("-" if units < 0 else "") + text
    assert amounts([text]).units.iloc[0] == units


def test_dates_in_many_forms():
    values = ["2026-10-31", "31/10/2026", "20261031", "31-oct-2026", "15-ene-26", 46326,
              "46326", "2026-10-31 00:00:00", "31.10.26", dt.date(2026, 10, 31),
              dt.datetime(2026, 10, 31, 13, 5)]
    r = parse_dates(pd.Series(values, dtype=object))
    assert not r.invalid.any()
    assert r.dates.dt.strftime("%Y-%m-%d").tolist()[:5] == ["2026-10-31"] * 4 + ["2026-01-15"]
    assert (r.dates.iloc[5:] == pd.Timestamp("2026-10-31")).all()


def test_date_order_votes_and_reading():
    s = pd.Series(["03/04/2026", "25/04/2026"], dtype=object)
    assert date_order_votes(s) == {"dmy": 1, "mdy": 0, "numeric": 2}
    assert parse_dates(s, "dmy").dates.iloc[0] == pd.Timestamp("2026-04-03")
    assert parse_dates(s, "mdy").dates.iloc[0] == pd.Timestamp("2026-03-04")
    assert parse_dates(s, "mdy").invalid.tolist() == [False, True]


def test_impossible_dates_are_invalid():
    r = parse_dates(pd.Series(["31/02/2026", "yesterday", ""], dtype=object))
    assert r.invalid.tolist() == [True, True, False]


def test_cell_text_keeps_ids():
    assert cell_text(pd.Series([1043.0, "00123", None, float("nan"), " x\u00a0"])).tolist() == [
        "1043", "00123", "", "", "x",
    ]


def test_ints_and_headers():
    ints, bad = parse_ints(pd.Series(["30", 45.0, "x", ""], dtype=object))
    assert ints.tolist()[:2] == [30, 45]
    assert bad.tolist() == [False, False, True, False]
    assert normalize_header("\ufeff Amount Open ") == "amount_open"
    assert normalize_header("Customer-ID") == "customer_id"


def test_empty_columns():
    r = amounts([])
    assert len(r.units) == 0
    assert len(parse_dates(pd.Series([], dtype=object)).dates) == 0
