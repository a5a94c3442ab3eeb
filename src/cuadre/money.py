"""Exact money: integer minor units inside the engine, ``Decimal`` at the edges.

Every amount in a Cuadre DataFrame is an ``int64`` count of the currency's minor unit
(centavos, cents, fils): ``1234.56 MXN`` is stored as ``123456``. The exponent of each
currency (ISO 4217 "minor unit") comes from ``data/currencies.csv``, never from code.
Conversions from text or ``Decimal`` round with a *named* rounding mode,
``ROUND_HALF_UP`` by default (the rule for invoice amounts in MX, CO, ES and the US
unless a tax rule says otherwise). Floats only appear at the Excel shell and are
converted once, through their shortest ``repr`` so that ``0.1 + 0.2`` becomes ``0.30``.

Reference: ISO 4217, table A.1 (minor unit column).
"""

from __future__ import annotations

import csv
import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

DEFAULT_ROUNDING = ROUND_HALF_UP
"""Rounding mode used when an amount has more decimals than its currency allows."""

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}
"""Rounding modes by the names used in settings and on the command line."""


class UnknownCurrencyError(KeyError):
    """A currency code that is not in ``data/currencies.csv``."""


@lru_cache(maxsize=1)
def currency_table() -> dict[str, tuple[int, str]]:
    """ISO 4217 code -> (exponent, English name), read once from the package data."""
    text = resources.files("cuadre.data").joinpath("currencies.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["code"]: (int(r["exponent"]), r["name"]) for r in rows}


def known_currencies() -> frozenset[str]:
    return frozenset(currency_table())


def exponent(currency: str) -> int:
    """Number of decimals of ``currency`` (MXN 2, JPY 0, KWD 3)."""
    try:
        return currency_table()[currency][0]
    except KeyError:
        raise UnknownCurrencyError(currency) from None


def to_minor(value: Decimal | str | int, currency: str, rounding: str = DEFAULT_ROUNDING) -> int:
    """Decimal amount -> integer minor units, rounded to the currency's exponent."""
    exp = exponent(currency)
    d = Decimal(value) if not isinstance(value, Decimal) else value
    q = d.quantize(Decimal(1).scaleb(-exp), rounding=rounding)
    return int(q.scaleb(exp))


def from_minor(units: int, currency: str) -> Decimal:
    """Integer minor units -> ``Decimal`` with exactly the currency's decimals."""
    exp = exponent(currency)
    return Decimal(int(units)).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def float_to_minor(value: float, currency: str, rounding: str = DEFAULT_ROUNDING) -> int:
    """A double from Excel -> minor units, via its shortest repr (``0.30000000000000004`` -> 30)."""
    return to_minor(Decimal(repr(float(value))), currency, rounding)


def format_amount(units: int, currency: str, *, with_code: bool = True) -> str:
    """``123456, "MXN"`` -> ``"1,234.56 MXN"``: the form used in messages."""
    text = f"{from_minor(units, currency):,}"
    return f"{text} {currency}" if with_code else text


@dataclass(frozen=True, slots=True)
class Money:
    """An amount at the edges of the engine: minor units plus currency."""

    units: int
    currency: str

    @classmethod
    def of(cls, value: Decimal | str | int, currency: str) -> Money:
        return cls(to_minor(value, currency), currency)

    @property
    def amount(self) -> Decimal:
        return from_minor(self.units, self.currency)

    def __str__(self) -> str:
        return format_amount(self.units, self.currency)


def exponents_for(currencies: pd.Series) -> pd.Series:
    """Vectorised exponent lookup; unknown codes give ``<NA>``."""
    table = {code: exp for code, (exp, _name) in currency_table().items()}
    return currencies.map(table).astype("Int64")


def scale_for(currencies: pd.Series) -> np.ndarray:
    """``10 ** exponent`` per row as int64 (unknown currencies count as exponent 2)."""
    exps = exponents_for(currencies).fillna(2).to_numpy(dtype=np.int64)
    return np.power(10, exps).astype(np.int64)


def minor_to_float(units: pd.Series, currencies: pd.Series) -> pd.Series:
    """Minor units -> float, for writing to Excel cells only (the shell's one conversion)."""
    scale = scale_for(currencies)
    values = pd.to_numeric(units, errors="coerce").to_numpy(dtype=np.float64)
    return pd.Series(values / scale, index=units.index)


def minor_to_text(units: pd.Series, currencies: pd.Series) -> pd.Series:
    """Minor units -> exact decimal text (``-1234.50``), vectorised, for CSV output.

    Missing amounts give an empty string.
    """
    exps = exponents_for(currencies).fillna(2).to_numpy(dtype=np.int64)
    mask = units.isna().to_numpy()
    raw = pd.to_numeric(units, errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    sign = np.where(raw < 0, "-", "")
    absval = np.abs(raw)
    scale = np.power(10, exps).astype(np.int64)
    whole = (absval // scale).astype(str)
    frac = (absval % scale).astype(np.int64)
    out: list[str] = []
    for s, w, f, e, m in zip(sign, whole, frac, exps, mask, strict=True):
        if m:
            out.append("")
        elif e == 0:
            out.append(f"{s}{w}")
        else:
            out.append(f"{s}{w}.{int(f):0{int(e)}d}")
    return pd.Series(out, index=units.index, dtype=object)
