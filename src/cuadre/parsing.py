"""Vectorised parsing of the numbers and dates that accountants' files really contain.

Pure functions over pandas Series of raw cell values (text from CSV, or the Python
objects a spreadsheet reader returns). Nothing here reads files.

Amounts
    ``1234.56``, ``1,234.56``, ``1.234,56``, ``1 234,56``, ``1'234.56``, ``$1,234.56``,
    ``MXN 1,234.56``, ``(1,234.56)``, ``1.234,56-`` (SAP's trailing minus) and doubles
    from Excel. Each value is classified on its own when its form says which separator
    is the decimal one (``1,234.56``, ``1234,5``); the rest (``1,234`` or ``1.234``) follow
    the decimal separator detected for the whole file, or the one given in the settings,
    or the contract's ``.``. Conversion to minor units is exact (string arithmetic, no
    floats); values with more decimals than the currency allows are rounded with the
    named rounding mode and flagged.

Dates
    Real dates from a workbook, ISO ``2026-10-31`` (with or without a time part),
    ``2026/10/31``, ``20261031``, ``31/10/2026``, ``10/31/2026``, ``31.10.26``,
    ``31-oct-2026`` / ``31-ene-2026`` (English and Spanish month names) and Excel serial
    numbers (``46326``). Whether ``03/04/2026`` is the 3rd of April or the 4th of March is
    decided once per file from the values that can only be read one way (a day above 12);
    when every value could be read both ways the file is *ambiguous*, the caller's
    setting or day-first (the convention in Mexico, Colombia and Spain) is used, and
    the caller reports it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from cuadre.money import DEFAULT_ROUNDING

# --------------------------------------------------------------------------- text


def cell_text(values: pd.Series) -> pd.Series:
    """Any raw cell values -> stripped text ("" for empty), ids keep their digits.

    A double that is a whole number (``1043.0`` from a spreadsheet) becomes ``"1043"``;
    dates become ISO text; non-breaking spaces become spaces.
    """
    if values.empty:
        return values.astype(object)

    def one(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            if v != v:  # NaN
                return ""
            if v.is_integer() and abs(v) < 1e15:
                return str(int(v))
            return repr(v)
        if isinstance(v, dt.datetime):
            return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
        if isinstance(v, dt.date):
            return v.isoformat()
        if v is pd.NaT or v is pd.NA:
            return ""
        return str(v)

    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        texts = values.tolist()  # CSV cells: all text already (checked in C, no Python loop)
    else:
        texts = [one(v) for v in values.tolist()]
    # str.strip also removes non-breaking and other Unicode spaces at both ends; a plain
    # loop is several times faster than Series.str.strip (no NA masks, no wrapping)
    return pd.Series([t.strip() for t in texts], index=values.index, dtype=object, name=values.name)


def per_unique(texts: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``fn`` applied to each distinct text once (a column of a few codes or types over
    many rows: far faster than ``Series.str`` methods, which visit every row)."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=False)
    mapped = np.array([fn(u) for u in uniques], dtype=object)
    return pd.Series(mapped[codes], index=texts.index, dtype=object, name=texts.name)


# --------------------------------------------------------------------------- amounts

_CURRENCY_NOISE = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[$€£¥]|\s|'|\u202f|\u2009")
_NEG_PARENS = re.compile(r"^\((.*)\)$")

# classification of the cleaned body (digits and separators only)
_PLAIN = r"^\d+$"
_DOT_DEC = r"^\d+\.\d+$"
_COMMA_DEC = r"^\d+,\d+$"
_AMBIG_DOT = r"^\d{1,3}\.\d{3}$"  # 1.234: thousands (comma-decimal files) or 3 decimals
_AMBIG_COMMA = r"^\d{1,3},\d{3}$"  # 1,234: thousands (dot-decimal files) or 3 decimals
_DOT_THOUSANDS = r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$"  # 1,234,567 or 1,234.5
_COMMA_THOUSANDS = r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$"  # 1.234.567 or 1.234,5


@dataclass
class AmountParse:
    """Result of :func:`parse_amounts`: minor units plus per-row flags."""

    units: pd.Series  # Int64, <NA> where empty or invalid
    invalid: pd.Series  # bool: not empty and not a number
    rounded: pd.Series  # bool: had more decimals than the currency allows
    empty: pd.Series  # bool
    votes: dict[str, int] = field(default_factory=dict)  # evidence for "." and ","
    ambiguous: int = 0  # values read by the file-level decimal separator


def decimal_votes(texts: pd.Series) -> dict[str, int]:
    """Count the values that can only be read with ``.`` or with ``,`` as decimal."""
    texts = texts.astype(object).fillna("").astype(str)
    plain = texts.str.fullmatch(r"-?\d*")
    simple_dot = texts.str.fullmatch(r"-?\d+\.\d+") & ~texts.str.fullmatch(r"-?\d{1,3}\.\d{3}")
    texts = texts[~plain & ~simple_dot]
    if texts.empty:
        return {".": int(simple_dot.sum()), ",": 0}
    body = _clean_body(texts)[0]
    dot = body.str.match(_DOT_DEC) & ~body.str.match(_AMBIG_DOT)
    dot |= body.str.match(_DOT_THOUSANDS) & ~body.str.match(_AMBIG_COMMA)
    comma = body.str.match(_COMMA_DEC) & ~body.str.match(_AMBIG_COMMA)
    comma |= body.str.match(_COMMA_THOUSANDS) & ~body.str.match(_AMBIG_DOT)
    return {".": int(dot.sum()) + int(simple_dot.sum()), ",": int(comma.sum())}


def _clean_body(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Strip signs, currency codes and spaces; return (body, negative flag)."""
    s = texts.astype(object).fillna("").astype(str).str.strip()
    paren = s.str.match(r"^\(.*\)$")
    s = s.where(~paren, s.str.slice(1, -1))
    s = s.str.replace(_CURRENCY_NOISE, "", regex=True)
    trailing = s.str.endswith("-") & (s.str.len() > 1)
    s = s.where(~trailing, s.str.slice(0, -1))
    leading = s.str.startswith("-")
    s = s.where(~leading, s.str.slice(1))
    plus = s.str.startswith("+")
    s = s.where(~plus, s.str.slice(1))
    # a currency symbol or code may stand after the sign: "-$1,234.56"
    s = s.str.replace(_CURRENCY_NOISE, "", regex=True)
    negative = paren | trailing | leading
    return s, negative


def parse_amounts(
    values: pd.Series,
    exponents: pd.Series,
    decimal_separator: str | None = None,
    rounding: str = DEFAULT_ROUNDING,
) -> AmountParse:
    """Raw cells -> integer minor units of each row's currency.

    ``exponents`` gives the currency exponent per row (``<NA>`` counts as 2).
    ``decimal_separator`` is the file's decision for ambiguous values; ``None`` decides
    from the values themselves and falls back to ``.``.
    """
    raw = values.astype(object)
    if raw.empty:
        nothing = pd.Series(False, index=values.index, dtype=bool)
        units = pd.Series(pd.NA, index=values.index, dtype="Int64")
        return AmountParse(units, nothing, nothing.copy(), nothing.copy(), {".": 0, ",": 0})
    is_float = raw.map(lambda v: isinstance(v, float | np.floating | int | np.integer))
    is_float &= ~raw.map(lambda v: isinstance(v, bool))
    texts = cell_text(raw.where(~is_float, ""))
    if is_float.any():
        # doubles from a workbook: their shortest repr is the value the user sees
        texts = texts.where(~is_float, raw[is_float].map(_float_text))
    empty = texts.eq("")
    # fast path: the contract's own form (-1234.56) needs none of the checks below
    simple = texts.str.fullmatch(r"-?\d+(?:\.\d+)?") & ~is_float
    simple &= ~texts.str.fullmatch(r"-?\d{1,3}\.\d{3}")  # 1.234: thousands or decimals?
    if simple.all():
        return _to_units(texts, exponents, rounding, empty)
    messy = ~simple
    if simple.any():
        if decimal_separator is None:
            v = decimal_votes(texts[messy & ~is_float])
            dots = v["."] + int((simple & texts.str.contains(".", regex=False)).sum())
            decimal_separator = "," if v[","] > dots else "."
        rest = parse_amounts(values[messy], exponents[messy], decimal_separator, rounding)
        fast = _to_units(texts[simple], exponents[simple], rounding, empty[simple])
        units = pd.concat([fast.units, rest.units]).reindex(values.index)

        def joined(name: str) -> pd.Series:
            return pd.concat([getattr(fast, name), getattr(rest, name)]).reindex(values.index)

        return AmountParse(
            units, joined("invalid"), joined("rounded"), joined("empty"), rest.votes, rest.ambiguous
        )
    body, negative = _clean_body(texts)
    votes = decimal_votes(texts.where(~is_float, ""))
    if decimal_separator is None:
        decimal_separator = "," if votes[","] > votes["."] else "."

    plain = body.str.match(_PLAIN)
    dot_dec = body.str.match(_DOT_DEC) & ~body.str.match(_AMBIG_DOT)
    comma_dec = body.str.match(_COMMA_DEC) & ~body.str.match(_AMBIG_COMMA)
    dot_th = body.str.match(_DOT_THOUSANDS) & ~body.str.match(_AMBIG_COMMA)
    comma_th = body.str.match(_COMMA_THOUSANDS) & ~body.str.match(_AMBIG_DOT)
    amb_dot = body.str.match(_AMBIG_DOT)
    amb_comma = body.str.match(_AMBIG_COMMA)
    # doubles never carry thousands separators: "1.234" from a float is 1.234
    amb_dot_float = amb_dot & is_float
    amb_dot &= ~is_float

    canon = pd.Series("", index=values.index, dtype=object)
    canon = canon.where(~plain, body)
    canon = canon.where(~(dot_dec | amb_dot_float), body)
    canon = canon.where(~comma_dec, body.str.replace(",", ".", regex=False))
    canon = canon.where(~dot_th, body.str.replace(",", "", regex=False))
    canon = canon.where(~comma_th, body.str.replace(".", "", regex=False).str.replace(",", "."))
    if decimal_separator == ",":
        canon = canon.where(~amb_dot, body.str.replace(".", "", regex=False))
        canon = canon.where(~amb_comma, body.str.replace(",", ".", regex=False))
    else:
        canon = canon.where(~amb_dot, body)
        canon = canon.where(~amb_comma, body.str.replace(",", "", regex=False))
    ambiguous = int((amb_dot | amb_comma).sum())

    invalid = canon.eq("") & ~empty
    parsed = _to_units(canon.where(~negative, "-" + canon), exponents, rounding, empty | invalid)
    invalid = invalid | parsed.invalid
    units = parsed.units.where(~invalid, pd.NA)
    return AmountParse(units, invalid, parsed.rounded, empty, votes, ambiguous)


def _to_units(
    canon: pd.Series, exponents: pd.Series, rounding: str, skip: pd.Series
) -> AmountParse:
    """Canonical text (``-1234.5678``) -> minor units, exactly, rounding where needed."""
    units = pd.Series(pd.NA, index=canon.index, dtype="Int64")
    rounded = pd.Series(False, index=canon.index)
    invalid = pd.Series(False, index=canon.index)
    exps = exponents.astype("Int64").fillna(2)
    # Fast exact path: a decimal text with at most `e` decimals and fewer than 15
    # significant digits converts to the nearest double, whose product by 10**e rounds
    # back to the exact integer (error < 2**-50 of a unit). Anything else goes through
    # exact string arithmetic below.
    dot = canon.str.find(".")
    length = canon.str.len()
    decimals = (length - dot - 1).where(dot >= 0, 0)
    digits_n = length - canon.str.startswith("-").astype(int) - (dot >= 0).astype(int)
    quick = ~skip & (decimals <= exps) & (digits_n <= 15)
    if quick.any():
        floats = pd.to_numeric(canon.where(quick), errors="coerce")
        scale = np.power(10.0, exps.to_numpy(dtype=np.int64))
        exact = np.rint(floats.to_numpy(dtype=np.float64) * scale)
        good = quick & floats.notna()
        units[good] = exact[good.to_numpy()].astype(np.int64)
        skip = skip | good
    if skip.all():
        return AmountParse(units, invalid, rounded, canon.eq(""))
    negative = canon.str.startswith("-")
    parts = canon.str.lstrip("-").str.partition(".")
    whole, frac = parts[0], parts[2]
    ok = ~skip
    for e in sorted(set(exps[ok].tolist())):
        sel = ok & exps.eq(e)
        if not sel.any():
            continue
        w = whole[sel]
        f = frac[sel]
        excess = (f.str.len() > e) & f.str.slice(int(e)).str.strip("0").ne("")
        f_cut = f.str.slice(0, int(e)).str.pad(int(e), side="right", fillchar="0")
        digits = (w + f_cut).str.lstrip("0").replace("", "0")
        too_big = digits.str.len() > 17
        vals = pd.to_numeric(digits.where(~too_big, "0"), errors="coerce").astype("Int64")
        if excess.any():
            for idx in excess[excess].index:
                q = Decimal(f"{whole[idx]}.{frac[idx]}").quantize(
                    Decimal(1).scaleb(-int(e)), rounding=rounding
                )
                vals[idx] = int(q.scaleb(int(e)))
            rounded[excess[excess].index] = True
        if too_big.any():
            invalid[too_big[too_big].index] = True
            vals[too_big] = pd.NA
        units[sel] = vals
    slow = ~skip
    units[slow] = units[slow].where(~negative[slow], -units[slow])
    return AmountParse(units, invalid, rounded, canon.eq(""))


def _float_text(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    if f != f:
        return ""
    # drop binary noise (0.30000000000000004) but keep every decimal a person typed
    text = repr(round(f, 9)) if abs(f) < 1e9 else repr(f)
    if "e" in text or "E" in text:
        try:
            text = format(Decimal(text), "f")
        except InvalidOperation:
            return ""
    if text.endswith(".0"):
        text = text[:-2]
    return text


# --------------------------------------------------------------------------- dates

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_MIN, SERIAL_MAX = 20_000, 80_000  # 1954-10-03 .. 2119-01-11: any plausible AR date

MONTHS = {
    "jan": 1, "ene": 1, "feb": 2, "mar": 3, "apr": 4, "abr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "ago": 8, "sep": 9, "set": 9, "oct": 10, "nov": 11, "dec": 12,
    "dic": 12, "mrz": 3, "mai": 5, "okt": 10, "dez": 12,
}  # fmt: skip

_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})$")
_NUMERIC = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_NAMED = re.compile(r"^(\d{1,2})[-/. ]([A-Za-z]{3})[A-Za-z]*\.?[-/. ](\d{4}|\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


@dataclass
class DateParse:
    dates: pd.Series  # datetime64, NaT where empty or invalid
    invalid: pd.Series  # bool
    empty: pd.Series  # bool
    serial: pd.Series  # bool: read from an Excel serial number


def date_order_votes(values: pd.Series) -> dict[str, int]:
    """Values that can only be day-first (``dmy``) or only month-first (``mdy``)."""
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = values.astype(object).where(~_is_temporal(values), "")
    texts = cell_text(values)
    texts = texts[texts.str.contains(r"\d[/.-]\d{1,2}[/.-]", regex=True)]
    m = texts.str.extract(_NUMERIC)
    a = pd.to_numeric(m[0], errors="coerce")
    b = pd.to_numeric(m[1], errors="coerce")
    return {
        "dmy": int(((a > 12) & (b <= 12)).sum()),
        "mdy": int(((b > 12) & (a <= 12)).sum()),
        "numeric": int(a.notna().sum()),
    }


def _is_temporal(values: pd.Series) -> pd.Series:
    return values.map(lambda v: isinstance(v, dt.date) and not isinstance(v, bool))


def _year(y: pd.Series) -> pd.Series:
    y = pd.to_numeric(y, errors="coerce")
    return y.where(y >= 100, y + 2000).where(~((y < 100) & (y >= 70)), y + 1900)


def _assemble(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    frame = pd.DataFrame(
        {
            "year": pd.to_numeric(year, errors="coerce"),
            "month": pd.to_numeric(month, errors="coerce"),
            "day": pd.to_numeric(day, errors="coerce"),
        }
    )
    return pd.to_datetime(frame, errors="coerce")


def parse_dates(values: pd.Series, order: str = "dmy") -> DateParse:
    """Raw cells -> dates; ``order`` (``dmy`` or ``mdy``) reads ``03/04/2026``."""
    raw = values.astype(object)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    temporal = _is_temporal(raw)
    if temporal.any():
        out[temporal] = pd.to_datetime(raw[temporal].map(_to_date)).astype("datetime64[ns]")
    numeric = raw.map(lambda v: isinstance(v, float | int | np.number) and not isinstance(v, bool))
    texts = cell_text(raw.where(~(temporal | numeric), ""))
    empty = texts.eq("") & ~temporal & ~numeric
    numeric_vals = pd.to_numeric(raw.where(numeric), errors="coerce")
    serial_text = texts.str.match(_SERIAL)
    serial_vals = numeric_vals.fillna(pd.to_numeric(texts.where(serial_text), errors="coerce"))
    serial = serial_vals.between(SERIAL_MIN, SERIAL_MAX)
    if serial.any():
        days = np.floor(serial_vals[serial].astype(float)).astype("int64")
        out[serial] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")

    rest = ~temporal & ~serial & ~empty
    iso_fast = pd.to_datetime(texts.where(rest), format="%Y-%m-%d", errors="coerce")
    fast_hit = iso_fast.notna()
    if fast_hit.any():
        out[fast_hit] = iso_fast[fast_hit].astype("datetime64[ns]")
        rest &= ~fast_hit
    if not rest.any():
        return DateParse(out, out.isna() & ~empty, empty, serial & ~temporal)
    t = texts.where(rest, "")
    iso = t.str.extract(_ISO)
    hit = iso[0].notna()
    if hit.any():
        out[hit] = _assemble(iso[0][hit], iso[1][hit], iso[2][hit])
    comp = t.str.extract(_COMPACT)
    hit = comp[0].notna()
    if hit.any():
        out[hit] = _assemble(comp[0][hit], comp[1][hit], comp[2][hit])
    num = t.str.extract(_NUMERIC)
    hit = num[0].notna()
    if hit.any():
        first, second = (num[0], num[1]) if order != "mdy" else (num[1], num[0])
        out[hit] = _assemble(_year(num[2][hit]), second[hit], first[hit])
    named = t.str.extract(_NAMED)
    hit = named[0].notna()
    if hit.any():
        month = named[1][hit].str.lower().map(MONTHS)
        out[hit] = _assemble(_year(named[2][hit]), month, named[0][hit])
    invalid = out.isna() & ~empty
    return DateParse(out, invalid, empty, serial & ~temporal)


def _to_date(v: object) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    assert isinstance(v, dt.date)
    return dt.datetime(v.year, v.month, v.day)


# --------------------------------------------------------------------------- other


def parse_ints(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Raw cells -> Int64 and an invalid flag (``30``, ``30.0``, ``"30 "`` are 30)."""
    texts = cell_text(values)
    empty = texts.eq("")
    nums = pd.to_numeric(texts.where(~empty), errors="coerce")
    whole = nums.notna() & (nums == np.floor(nums.fillna(0)))
    invalid = ~empty & ~whole
    return nums.where(whole).astype("Int64"), invalid


def parse_ratios(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    texts = cell_text(values).str.replace(",", ".", regex=False)
    empty = texts.eq("")
    pct = texts.str.endswith("%")
    nums = pd.to_numeric(texts.str.rstrip("%").where(~empty), errors="coerce")
    nums = nums.where(~pct, nums / 100)
    invalid = ~empty & nums.isna()
    return nums.astype("float64"), invalid


def normalize_header(name: object) -> str:
    """``" Amount Open "`` / ``"amount-open"`` / ``"\\ufeffAmount_Open"`` -> ``amount_open``."""
    text = str(name if name is not None else "").replace("\ufeff", "").strip().lower()
    text = re.sub(r"[\s\-./]+", "_", text)
    return text.strip("_")
