from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cuadre.money import (
    Money,
    UnknownCurrencyError,
    exponent,
    float_to_minor,
    format_amount,
    from_minor,
    minor_to_float,
    minor_to_text,
    to_minor,
)


def test_exponents_come_from_the_table():
    assert exponent("MXN") == 2
    assert exponent("JPY") == 0
    assert exponent("KWD") == 3
    with pytest.raises(UnknownCurrencyError):
        exponent("ZZZ")


def test_to_minor_rounds_half_up_by_default_and_by_name():
    assert to_minor("10.005", "MXN") == 1001
    assert to_minor("10.005", "MXN", ROUND_HALF_EVEN) == 1000
    assert to_minor(Decimal("1234.5"), "JPY") == 1235
    assert to_minor("1.2345", "KWD") == 1235


def test_float_from_excel_uses_shortest_repr():
    assert float_to_minor(0.1 + 0.2, "USD") == 30
    assert float_to_minor(1234.565, "MXN") == 123457  # binary 1234.5649999... still half-up


def test_round_trip_and_format():
    assert from_minor(-123456, "MXN") == Decimal("-1234.56")
    assert format_amount(120433017, "MXN") == "1,204,330.17 MXN"
    assert str(Money.of("5", "JPY")) == "5 JPY"


def test_minor_to_text_and_float_vectorised():
    units = pd.Series([123456, -5, pd.NA, 7], dtype="Int64")
    cur = pd.Series(["MXN", "USD", "MXN", "JPY"])
    assert minor_to_text(units, cur).tolist() == ["1234.56", "-0.05", "", "7"]
    assert minor_to_float(units, cur).tolist()[:2] == [1234.56, -0.05]


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["MXN", "JPY", "KWD"]))
def test_text_round_trip_is_exact(units, cur):
    text = minor_to_text(pd.Series([units], dtype="Int64"), pd.Series([cur])).iloc[0]
    assert to_minor(text, cur) == units
