"""Foreign exchange: a rate table per currency and date, and exact conversion of amounts
into the functional currency with a named rounding.

What
    ``FX_RATES`` is the table: ``date``, ``currency``, ``rate`` (units of the
    functional currency for one unit of ``currency``, as written: ``18.3521``),
    optionally ``functional_currency`` when one file holds rates for several books.
    ``convert(amounts, currencies, dates, rates, functional)`` converts minor units of
    each row's currency into minor units of the functional currency at the rate of the
    row's date, or the last rate before it (weekends, holidays). ``age_in_functional``
    ages open items converted at the as-of date (the closing rate, IAS 21.23(a));
    ``convert_balances`` converts the monthly KPI balances at each month end.

Exactness
    Rates are decimals, never floats: ``18.3521`` is ``183521 / 10**4``. An amount is
    multiplied as an integer and divided once, rounded with a named mode
    (:data:`cuadre.money.ROUNDING_MODES`: ``half_up`` by default, ``half_even``,
    ``down``, ``up``). Work is vectorised per currency; Python integers take over
    (object arrays) only when a product could overflow 64 bits.

Findings
    ``FX_RATE_INVALID`` (a rate that is not a positive decimal), ``FX_RATE_DUPLICATE``
    (two different rates for one currency and date), ``FX_RATE_MISSING`` (no rate on
    or before the date: the row is not converted, an error), ``FX_RATE_STALE`` (the
    last rate is older than ``max_age_days``).

Reference: IAS 21 (closing rate for monetary items), ISO 4217 minor units; Banxico FIX,
Banco de la República TRM and the ECB reference rates publish such tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS, age_receivables
from cuadre.findings import Finding, Location, error, warning
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.money import exponent

Array = np.ndarray[Any, Any]

FX_RATES = TableSchema(
    name="fx_rates",
    sheet="FXRates",
    description="Exchange rates: functional currency units per unit of currency, by date.",
    key=("functional_currency", "currency", "date"),
    sort_by=("currency", "date"),
    columns=(
        Column("date", Kind.DATE, True, "the day the rate applies from"),
        Column("currency", Kind.CURRENCY, True, "the foreign currency"),
        Column("rate", Kind.TEXT, True, "functional units per 1 unit of currency, e.g. 18.3521"),
        Column("functional_currency", Kind.CURRENCY, False, "empty: the functional currency"),
        Column("source", Kind.TEXT, False, "Banxico FIX, TRM, ECB..."),
    ),
)

DEFAULT_MAX_AGE_DAYS = 7
_INT64_SAFE = 2**62
_INT64_MAX = 2**63 - 1


def _decimal(text: object) -> Decimal | None:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    raw = repr(float(text)) if isinstance(text, float) else str(text).strip()
    try:
        d = (
            Decimal(raw.replace(",", ""))
            if raw.count(",") and raw.count(".")
            else Decimal(raw.replace(",", "."))
        )
    except InvalidOperation:
        return None
    return d if d.is_finite() and d > 0 else None


def parse_rates(rates: pd.DataFrame, functional: str) -> tuple[pd.DataFrame, list[Finding]]:
    """FX_RATES -> ``currency``, ``date``, ``num`` (Python int), ``scale`` (decimals),
    sorted by currency and date; rows for another functional currency are dropped."""
    findings: list[Finding] = []
    r = rates.reset_index(drop=True)
    if "functional_currency" in r:
        fc = r["functional_currency"].fillna("").astype(str).str.upper()
        r = r[fc.isin(["", functional])].reset_index(drop=True)
    values = [_decimal(v) for v in r["rate"].tolist()]
    bad = np.array([v is None for v in values], dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        findings.append(
            error(
                _loc(r, first),
                "FX_RATE_INVALID",
                f"{int(bad.sum()):,} rates are not positive decimals "
                f"(first: {r['currency'].iloc[first]} {r['rate'].iloc[first]!r})",
                "Write the rate as a decimal number of functional currency units, e.g. 18.3521.",
            )
        )
    good = [v for v in values if v is not None]
    scale = max((max(-v.as_tuple().exponent, 0) for v in good), default=0)  # type: ignore[operator]
    out = pd.DataFrame(
        {
            "currency": r["currency"].astype(str).str.upper().to_numpy(),
            "date": pd.to_datetime(r["date"]).astype("datetime64[ns]").to_numpy(),
            "num": [None if v is None else int(v.scaleb(scale)) for v in values],
        }
    )[~bad]
    out = out[out["date"].notna()]
    dup = out.duplicated(["currency", "date"], keep=False)
    clash = out[dup].groupby(["currency", "date"])["num"].nunique()
    clash = clash[clash > 1]
    if len(clash):
        cur, day = clash.index[0]
        findings.append(
            error(
                Location("fx_rates"),
                "FX_RATE_DUPLICATE",
                f"{len(clash):,} currency-days have two different rates (first: {cur} "
                f"{pd.Timestamp(day):%Y-%m-%d}); the last one is used",
                "Keep one rate per currency and day.",
            )
        )
    out = out.drop_duplicates(["currency", "date"], keep="last")
    out["scale"] = scale
    return out.sort_values(["currency", "date"], kind="stable").reset_index(drop=True), findings


def _loc(frame: pd.DataFrame, i: int) -> Location:
    if "source_row" in frame and pd.notna(frame["source_row"].iloc[i]):
        return Location(str(frame["source_path"].iloc[i]), int(frame["source_row"].iloc[i]))
    return Location("fx_rates")


def div_round(x: Array, d: int, mode: str = "half_up") -> Array:
    """``x / d`` rounded to an integer with a named mode, for int64 or object arrays."""
    if d == 1:
        return x
    negative = x < 0
    a = np.where(negative, -x, x)
    q, r = a // d, a % d
    if mode == "half_up":
        q = q + (2 * r >= d)
    elif mode == "half_even":
        q = q + ((2 * r > d) | ((2 * r == d) & (q % 2 == 1)))
    elif mode == "up":
        q = q + (r > 0)
    elif mode != "down":
        raise ValueError(f"rounding must be half_up, half_even, down or up, not {mode!r}")
    return np.where(negative, -q, q)


def convert(
    amounts: pd.Series,
    currencies: pd.Series,
    dates: pd.Series | dt.date,
    rates: pd.DataFrame,
    functional: str,
    rounding: str = "half_up",
    max_age_days: int | None = DEFAULT_MAX_AGE_DAYS,
) -> tuple[pd.Series, list[Finding]]:
    """Minor units of each row's currency -> minor units of ``functional`` (Int64; empty
    where no rate applies). ``dates`` is one date for all rows or a date per row."""
    parsed, findings = parse_rates(rates, functional)
    index = amounts.index
    n = len(amounts)
    cur = currencies.astype(str).to_numpy()
    if isinstance(dates, pd.Series):
        when = pd.to_datetime(dates).astype("datetime64[ns]").to_numpy()
    else:
        when = np.full(n, np.datetime64(pd.Timestamp(dates), "ns"))
    units = amounts.astype("Int64")
    missing_amount = units.isna().to_numpy()
    raw = units.fillna(0).to_numpy(dtype=np.int64)
    out = np.zeros(n, dtype=object)
    done = np.zeros(n, dtype=bool)
    same = cur == functional
    out[same] = raw[same]
    done[same] = True
    exp_f = exponent(functional)
    no_rate: list[str] = []
    stale: list[str] = []
    huge = np.zeros(n, dtype=bool)
    for c in sorted(set(cur[~same])):
        rows = np.flatnonzero(cur == c)
        table = parsed[parsed["currency"] == c]
        if table.empty:
            no_rate.append(f"{c} (no rates at all)")
            continue
        dated = ~np.isnat(when[rows])
        left = pd.DataFrame({"date": when[rows][dated], "_row": rows[dated]})
        left = left.sort_values("date", kind="stable")
        right = pd.DataFrame(
            {
                "date": table["date"].to_numpy(),
                "rate_date": table["date"].to_numpy(),
                "num": table["num"].to_numpy(),
            }
        )
        found = pd.merge_asof(left, right, on="date", direction="backward")
        if (~dated).any():
            no_rate.append(f"{c} without a date")
        ok = found["num"].notna().to_numpy()
        if (~ok).any():
            first = pd.Timestamp(found["date"].to_numpy()[~ok][0])
            no_rate.append(f"{c} on {first:%Y-%m-%d}")
        if max_age_days is not None and ok.any():
            age = (found["date"] - found["rate_date"]).dt.days.to_numpy()
            old = ok & (age > max_age_days)
            if old.any():
                k = int(np.flatnonzero(old)[0])
                stale.append(
                    f"{c} on {pd.Timestamp(found['date'].iloc[k]):%Y-%m-%d} uses the rate of "
                    f"{pd.Timestamp(found['rate_date'].iloc[k]):%Y-%m-%d}"
                )
        target = found["_row"].to_numpy()[ok]
        nums = found["num"].to_numpy()[ok]
        scale = int(table["scale"].iloc[0])
        result = _multiply(raw[target], nums, exp_f - scale - exponent(c), rounding)
        if result.dtype == object:  # Python ints: the result itself may not fit int64
            big = (np.abs(result) > _INT64_MAX).astype(bool)
            huge[target[big]] = True
            target, result = target[~big], result[~big]
        out[target] = result
        done[target] = True
    if no_rate:
        findings.append(
            error(
                Location("fx_rates"),
                "FX_RATE_MISSING",
                f"no exchange rate to {functional} for {', '.join(no_rate[:5])}; "
                f"{int((~done).sum()):,} amounts are not converted",
                "Add the rates (functional currency units per unit) for those dates.",
            )
        )
    if stale:
        findings.append(
            warning(
                Location("fx_rates"),
                "FX_RATE_STALE",
                f"rates older than {max_age_days} days were used: {'; '.join(stale[:5])}",
                "Add the rate of the day (or of the last business day).",
            )
        )
    if huge.any():
        findings.append(
            error(
                Location("open_items"),
                "FX_AMOUNT_TOO_LARGE",
                f"{int(huge.sum()):,} converted amounts do not fit in 19 digits of minor units "
                f"of {functional}; they are not converted",
                "Check the rate: it is probably quoted the other way round.",
            )
        )
    keep = done & ~missing_amount
    values = np.zeros(n, dtype=np.int64)
    if keep.any():
        values[keep] = out[keep].astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(values, ~keep), index=index), findings


def _multiply(amounts: Array, nums: Array, shift: int, rounding: str) -> Array:
    """``amounts * nums * 10**shift`` rounded; int64 when safe, Python ints otherwise."""
    big_a = int(np.abs(amounts).max()) if len(amounts) else 0
    big_n = max((int(v) for v in nums), default=0)
    up = 10 ** max(shift, 0)
    if big_a * big_n * up < _INT64_SAFE:
        product = amounts.astype(np.int64) * nums.astype(np.int64) * up
    else:
        product = amounts.astype(object) * nums.astype(object) * up
    if shift >= 0:
        return product
    return div_round(product, 10 ** (-shift), rounding)


def age_in_functional(
    open_items: pd.DataFrame,
    as_of: dt.date,
    rates: pd.DataFrame,
    functional: str,
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
    customers: pd.DataFrame | None = None,
    *,
    rounding: str = "half_up",
    at: str = "as_of",
    max_age_days: int | None = DEFAULT_MAX_AGE_DAYS,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """Aging in the functional currency: every item converted, then aged.

    Items are converted one by one (so the buckets still sum to the total) at the rate
    of ``as_of`` (``at="as_of"``, the closing rate) or of their document date
    (``at="document_date"``, the historical rate). Returns ``(aging, converted items,
    findings)``; the converted items keep ``currency_document`` and
    ``amount_open_document``. Items that cannot be converted are left out (reported).
    """
    if at not in ("as_of", "document_date"):
        raise ValueError('at must be "as_of" or "document_date"')
    oi = open_items.reset_index(drop=True)
    dates: pd.Series | dt.date = as_of if at == "as_of" else oi["document_date"]
    converted, findings = convert(
        oi["amount_open"], oi["currency"], dates, rates, functional, rounding, max_age_days
    )
    items = oi.assign(
        currency_document=oi["currency"],
        amount_open_document=oi["amount_open"],
        amount_open=converted,
        currency=functional,
    )
    if "amount_original" in items:
        n = len(items)
        items["amount_original"] = pd.arrays.IntegerArray(
            np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
        )
    ok = converted.notna() | oi["amount_open"].isna()
    items = items[ok.to_numpy()].reset_index(drop=True)
    aging, more = age_receivables(items, as_of, buckets, customers)
    return aging, items, findings + more


def convert_balances(
    balances: pd.DataFrame,
    rates: pd.DataFrame,
    functional: str,
    rounding: str = "half_up",
) -> tuple[pd.DataFrame, list[Finding]]:
    """Monthly balances (:data:`cuadre.kpis.BALANCES`) -> one row per month in
    ``functional``: each money column converted at that month end's rate, then summed."""
    money = ["credit_sales", "ar_opening", "ar_total", "ar_current"]
    findings: list[Finding] = []
    out = balances.copy()
    for c in money:
        dates = out["month"] if c != "ar_opening" else out["month"] - pd.offsets.MonthEnd(1)
        out[c], f = convert(out[c], out["currency"], dates, rates, functional, rounding)
        findings.extend(x for x in f if x not in findings)
    summed = (
        out.groupby("month", as_index=False)
        .agg(days=("days", "first"), **{c: (c, "sum") for c in money})
        .assign(currency=functional)
    )
    return summed[balances.columns.tolist()], findings


__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "FX_RATES",
    "age_in_functional",
    "convert",
    "convert_balances",
    "div_round",
    "parse_rates",
]
