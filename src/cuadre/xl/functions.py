"""The worksheet functions' logic, on plain 2-D lists: no xlwings, no Excel.

Each function takes what Excel hands a function after xlwings' conversion with
``ndim=2`` (a list of rows: doubles, datetimes, text, ``None`` for empty and error
cells) and returns a list of rows that spills. The thin decorated wrappers are in
:mod:`cuadre.xl.udfs` (classic xlwings, ``CUADRE_<NAME>``) and
``xlwings_addin/lite/main.py`` (xlwings Lite, ``CUADRE.<NAME>``).

Dates may arrive as datetimes (date-formatted cells), Excel serial numbers (a number or
``DATE()``), or text (``2026-10-31``, ``31/10/2026``: read by :mod:`cuadre.parsing`).
Money comes in as Excel doubles and is made exact once, here, through
:func:`cuadre.model.validate.coerce_table` or :func:`cuadre.money.float_to_minor`.
A cell that cannot be read gives a short message in its place, never an exception:
one bad cell must not turn a whole spilled column into ``#VALUE!``.

rapidfuzz (compiled) is optional: without it, similarity falls back to the standard
library's ``difflib`` ratio on the same normalised names (less tolerant of reordered
words; said in the function's help), and the functions that run the matcher
(``REFERENCES``, ``SUGGEST``) say that they need it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from cuadre import ids, parsing
from cuadre.aging import DEFAULT_BUCKETS, age_receivables, assign_buckets, parse_buckets
from cuadre.findings import Finding
from cuadre.model.tables import OPEN_ITEMS, PAYMENTS, Kind, TableSchema
from cuadre.model.validate import RawTable, coerce_table
from cuadre.money import UnknownCurrencyError, exponent, float_to_minor, minor_to_float
from cuadre.text import compact, normalize_name, numeric_core

try:  # compiled: not everywhere (xlwings Lite/Pyodide may lack it)
    from rapidfuzz import fuzz as _fuzz
except ImportError:  # pragma: no cover - exercised by the Lite fallback test
    _fuzz = None  # type: ignore[assignment]

Grid = list[list[Any]]

__all__ = [
    "HAS_RAPIDFUZZ",
    "aging_bucket",
    "aging_table",
    "best_match",
    "clabe_valid",
    "days_past_due",
    "dso",
    "fx",
    "iban_valid",
    "nit_dv",
    "references",
    "rfc_valid",
    "similarity",
    "suggest",
]

HAS_RAPIDFUZZ = _fuzz is not None


# --------------------------------------------------------------------------- helpers


def grid(value: Any) -> Grid:
    """Any argument as a list of rows (a scalar is a 1x1 grid)."""
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], list | tuple):
            return [list(r) for r in value]
        return [list(value)]
    return [[value]]


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _map(values: Any, fn: Callable[[Any], Any]) -> Grid:
    """Apply ``fn`` to every non-empty cell; empty cells stay empty."""
    return [[None if _empty(v) else fn(v) for v in row] for row in grid(values)]


def _one(value: Any) -> Any:
    g = grid(value)
    return g[0][0] if g and g[0] else None


def _dates(values: Grid) -> tuple[list[list[pd.Timestamp | None]], list[list[bool]]]:
    """(dates, invalid) per cell: datetimes, serial numbers or text, read vectorised."""
    flat = pd.Series([v for row in values for v in row], dtype=object)
    parsed = parsing.parse_dates(flat.where(~flat.map(_empty), ""))
    width = len(values[0]) if values else 0
    dates = [None if pd.isna(d) else d for d in parsed.dates]
    bad = parsed.invalid.tolist()
    return (
        [dates[i * width : (i + 1) * width] for i in range(len(values))],
        [bad[i * width : (i + 1) * width] for i in range(len(values))],
    )


def _as_of(value: Any) -> pd.Timestamp | None:
    dates, _bad = _dates([[_one(value)]])
    return dates[0][0]


def _buckets(text: Any) -> tuple[int, ...]:
    if _empty(text):
        return DEFAULT_BUCKETS
    if isinstance(text, float):
        return (int(text),)
    return parse_buckets(str(text))


def _days(due: Any, as_of: Any) -> tuple[Grid, pd.Timestamp | None]:
    when = _as_of(as_of)
    values = grid(due)
    dates, bad = _dates(values)
    out: Grid = []
    for drow, brow, vrow in zip(dates, bad, values, strict=True):
        row: list[Any] = []
        for d, b, v in zip(drow, brow, vrow, strict=True):
            if b:
                row.append(f"not a date: {v}")
            elif d is None or when is None:
                row.append(None)
            else:
                row.append(float((when - d).days))
        out.append(row)
    return out, when


def _raw(table: Any, label: str = "range") -> RawTable:
    """A range with its header row as the RawTable the file readers build."""
    rows = grid(table)
    header = ["" if h is None else str(h) for h in rows[0]] if rows else []
    body = [r for r in rows[1:] if not all(_empty(v) for v in r)]
    cells = pd.DataFrame(body or None, columns=pd.Index(header, dtype=object), dtype=object)
    return RawTable(cells, np.arange(2, 2 + len(body)), 1, list(range(1, len(header) + 1)), label)


def _table_out(frame: pd.DataFrame, schema: TableSchema | None = None) -> Grid:
    """A result table as rows with its header: money as doubles, dates as datetimes."""
    kinds = {c.name: c.kind for c in schema.columns} if schema else {}
    cols: list[list[Any]] = []
    for name in frame.columns:
        s = frame[name]
        if kinds.get(name) is Kind.MONEY:
            f = minor_to_float(s, frame["currency"]).to_numpy()
            cols.append([None if np.isnan(v) else float(v) for v in f])
        elif pd.api.types.is_datetime64_any_dtype(s):
            cols.append([None if pd.isna(v) else v.to_pydatetime() for v in s])
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            f = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
            cols.append([None if np.isnan(v) else float(v) for v in f])
        else:
            cols.append([None if (v is None or v == "") else str(v) for v in s.astype(object)])
    rows = [list(r) for r in zip(*cols, strict=True)] if cols else []
    return [[str(c) for c in frame.columns], *rows]


def _first_error(findings: list[Finding]) -> str | None:
    for f in findings:
        if f.is_error:
            where = f.location.cell() or ""
            return f"{where}: {f.message}" if where else f.message
    return None


# --------------------------------------------------------------------------- dates


def days_past_due(due_dates: Any, as_of: Any) -> Grid:
    """Days past due (as-of date - due date) for each due date; negative: not yet due."""
    out, _when = _days(due_dates, as_of)
    return out


def aging_bucket(due_dates: Any, as_of: Any, buckets: Any = None) -> Grid:
    """The aging bucket (``current``, ``1-30``...) of each due date at ``as_of``."""
    limits = _buckets(buckets)
    days, _when = _days(due_dates, as_of)
    flat = [v for row in days for v in row]
    numbers = pd.Series([v if isinstance(v, float) else np.nan for v in flat], dtype="float64")
    labels = assign_buckets(numbers, limits).tolist()
    out_flat = [lab if isinstance(v, float) else v for v, lab in zip(flat, labels, strict=True)]
    width = len(days[0]) if days else 0
    return [out_flat[i * width : (i + 1) * width] for i in range(len(days))]


def aging_table(open_items: Any, as_of: Any, buckets: Any = None) -> Grid:
    """The aging table of an open-items range (with its header row)."""
    when = _as_of(as_of)
    if when is None:
        return [["as_of is not a date"]]
    frame, findings = coerce_table(_raw(open_items), OPEN_ITEMS)
    problem = _first_error(findings)
    if problem:
        return [[f"open items: {problem}"]]
    limits = _buckets(buckets)
    aging, _more = age_receivables(frame, when.date(), limits)
    from cuadre.aging import aging_schema

    return _table_out(aging, aging_schema(limits))


def dso(receivables: Any, sales: Any, days: Any = 90) -> float | str:
    """Days sales outstanding, simple method: receivables / sales x days in the period."""
    ar = sum(v for row in grid(receivables) for v in row if isinstance(v, int | float))
    sold = sum(v for row in grid(sales) for v in row if isinstance(v, int | float))
    period = _one(days)
    if not sold:
        return "no sales in the period"
    return round(float(ar) / float(sold) * float(period or 90), 1)


# --------------------------------------------------------------------------- names and references


def _matcher_missing() -> str:
    return "needs rapidfuzz (not installed here)"


def references(remittances: Any, document_ids: Any = None) -> Grid:
    """Invoice references named in each remittance text, ``; ``-separated.

    With ``document_ids`` (a range of your document numbers), only the documents it
    names are returned, written as in your ERP; without, every reference-like token."""
    try:
        from cuadre.matching import _tokens
    except ImportError:
        return [[_matcher_missing()]]
    keys: dict[str, str] = {}
    cores: dict[str, list[str]] = {}
    if document_ids is not None:
        for v in (v for row in grid(document_ids) for v in row):
            if _empty(v):
                continue
            doc = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
            keys.setdefault(compact(doc), doc)
            core = numeric_core(doc)
            if len(core) >= 4:
                cores.setdefault(core, []).append(doc)

    def found(text: Any) -> str | None:
        hits: list[str] = []
        for written, letters, digits in _tokens(str(text)):
            core = digits.lstrip("0") or "0"
            if document_ids is None:
                if (len(letters) >= 2 and len(core) >= 3) or len(core) >= 4:
                    hits.append(written.strip())
                continue
            doc = keys.get(letters + digits) or keys.get(letters + core)
            if doc is None and len(cores.get(core, [])) == 1:
                doc = cores[core][0]
            if doc is not None:
                hits.append(doc)
        return "; ".join(dict.fromkeys(hits)) or None

    return _map(remittances, found)


def _score(a: str, b: str) -> float:
    x, y = normalize_name(a), normalize_name(b)
    if not x or not y:
        return 0.0
    if _fuzz is not None:
        return round(float(_fuzz.token_sort_ratio(x, y)), 1)
    return round(
        100.0
        * difflib.SequenceMatcher(
            None, " ".join(sorted(x.split())), " ".join(sorted(y.split()))
        ).ratio(),
        1,
    )


def similarity(names: Any, others: Any) -> Grid:
    """Similarity (0-100) of two company names after normalisation (accents, legal
    forms, punctuation removed); ranges of the same shape compare cell by cell."""
    left, right = grid(names), grid(others)
    if len(right) == 1 and len(right[0]) == 1:
        right = [[right[0][0]] * len(left[0]) for _ in left]
    if len(left) != len(right) or len(left[0]) != len(right[0]):
        return [["the two ranges must have the same shape (or the second one cell)"]]
    return [
        [
            None if _empty(a) or _empty(b) else _score(str(a), str(b))
            for a, b in zip(ra, rb, strict=True)
        ]
        for ra, rb in zip(left, right, strict=True)
    ]


def best_match(names: Any, candidates: Any, min_score: Any = 80) -> Grid:
    """For each name: the closest candidate and its score (two columns), or empty
    when none reaches ``min_score``."""
    pool = [str(v) for row in grid(candidates) for v in row if not _empty(v)]
    floor = float(_one(min_score) if not _empty(_one(min_score)) else 80)
    out: Grid = []
    for row in grid(names):
        for name in row:
            if _empty(name):
                out.append([None, None])
                continue
            scored = sorted(((_score(str(name), c), c) for c in pool), key=lambda t: -t[0])
            if scored and scored[0][0] >= floor:
                out.append([scored[0][1], scored[0][0]])
            else:
                out.append([None, scored[0][0] if scored else None])
    return out


# --------------------------------------------------------------------------- identifiers


def _id_text(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def rfc_valid(values: Any, check_digit: Any = False) -> Grid:
    """TRUE when each value is a well-formed RFC (with ``check_digit``: its last
    character checked too)."""
    strict = bool(_one(check_digit))
    return _map(values, lambda v: ids.RFC.is_valid(_id_text(v), strict))


def nit_dv(values: Any) -> Grid:
    """The DIAN check digit (DV) of each NIT given without it."""

    def dv(v: Any) -> Any:
        try:
            return float(ids.NIT.check_digit(_id_text(v)))
        except ids.InvalidIdentifier as exc:
            return str(exc)

    return _map(values, dv)


def clabe_valid(values: Any) -> Grid:
    """TRUE when each value is an 18-digit CLABE with the right check digit."""
    return _map(values, lambda v: ids.CLABE.is_valid(_id_text(v)))


def iban_valid(values: Any) -> Grid:
    """TRUE when each value is an IBAN valid for its country (length, mod 97)."""
    return _map(values, lambda v: ids.IBAN.is_valid(_id_text(v)))


# --------------------------------------------------------------------------- money


def _rates(table: Any) -> tuple[pd.DataFrame, str | None]:
    rows = grid(table)
    header = [str(h).strip().lower() for h in rows[0]] if rows else []
    need = {"currency", "rate"}
    if not need <= set(header):
        return (
            pd.DataFrame(),
            "the rates range needs a header row with currency and rate (and date)",
        )
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    frame = frame[~frame["currency"].map(_empty)]
    frame["currency"] = frame["currency"].astype(str).str.strip().str.upper()
    frame["rate"] = pd.to_numeric(frame["rate"], errors="coerce")
    if "date" in frame:
        frame["date"] = parsing.parse_dates(
            frame["date"].where(~frame["date"].map(_empty), "")
        ).dates.to_numpy()
    return frame, None


def _rate(rates: pd.DataFrame, currency: str, on: pd.Timestamp | None) -> Decimal | None:
    rows = rates[rates["currency"].eq(currency)]
    if "date" in rates and on is not None:
        rows = rows[rows["date"].isna() | (rows["date"] <= on)].sort_values(
            "date", na_position="first"
        )
    if rows.empty or pd.isna(rows["rate"].iloc[-1]):
        return None
    return Decimal(repr(float(rows["rate"].iloc[-1])))


def fx(amounts: Any, from_currency: Any, to_currency: Any, rates: Any, on_date: Any = None) -> Grid:
    """Convert amounts between currencies with a rates range.

    The rates range has a header row: ``currency``, ``rate`` (units of your base currency
    per unit of ``currency``; the base currency itself is 1 or absent) and optionally
    ``date`` (the latest rate on or before ``on_date`` is used). The result is rounded
    half-up to the target currency's decimals (MXN 2, JPY 0)."""
    table, problem = _rates(rates)
    if problem:
        return [[problem]]
    src, dst = str(_one(from_currency)).strip().upper(), str(_one(to_currency)).strip().upper()
    on = _as_of(on_date) if not _empty(_one(on_date)) else None
    r_src = Decimal(1) if src not in set(table["currency"]) else _rate(table, src, on)
    r_dst = Decimal(1) if dst not in set(table["currency"]) else _rate(table, dst, on)
    if r_src is None or r_dst is None or r_dst == 0:
        return [[f"no rate for {src if r_src is None else dst}"]]
    try:
        exp_src, exp_dst = exponent(src), exponent(dst)
    except UnknownCurrencyError as exc:
        return [[f"unknown currency {exc}"]]
    quantum = Decimal(1).scaleb(-exp_dst)

    def convert(v: Any) -> Any:
        if not isinstance(v, int | float):
            return f"not an amount: {v}"
        exact = Decimal(float_to_minor(float(v), src)).scaleb(-exp_src)
        return float((exact * r_src / r_dst).quantize(quantum, rounding=ROUND_HALF_UP))

    return _map(amounts, convert)


def suggest(
    amount: Any,
    currency: Any,
    remittance: Any,
    payer_name: Any,
    open_items: Any,
    value_date: Any = None,
) -> Grid:
    """How Cuadre would apply one payment to an open-items range (with its header).

    Returns a table: document_id, customer_id, amount_applied, status, confidence,
    reason, difference. Nothing is applied: it is the suggestion a reviewer reads."""
    try:
        from cuadre.matching import match_payments
    except ImportError:
        return [[_matcher_missing()]]
    items, findings = coerce_table(_raw(open_items), OPEN_ITEMS)
    problem = _first_error(findings)
    if problem:
        return [[f"open items: {problem}"]]
    when = _as_of(value_date) if not _empty(_one(value_date)) else pd.Timestamp(dt.date.today())
    cells = pd.DataFrame(
        [
            [
                "payment",
                when,
                _one(amount),
                _one(currency),
                _one(payer_name) or "",
                _one(remittance) or "",
            ]
        ],
        columns=pd.Index(
            ["payment_id", "value_date", "amount", "currency", "payer_name", "remittance"]
        ),
        dtype=object,
    )
    raw = RawTable(cells, np.array([1]), 0, [1, 2, 3, 4, 5, 6], "payment")
    payment, found = coerce_table(raw, PAYMENTS)
    problem = _first_error(found)
    if problem:
        return [[f"payment: {problem}"]]
    alloc, _more = match_payments(items, payment)
    cols = [
        "document_id",
        "customer_id",
        "amount_applied",
        "status",
        "confidence",
        "reason",
        "difference",
    ]
    from cuadre.model.tables import ALLOCATIONS

    table = _table_out(alloc[[*cols, "currency"]], ALLOCATIONS)
    return [row[:-1] for row in table]  # the currency column only served the conversion


def shape(values: Sequence[Sequence[Any]]) -> tuple[int, int]:
    """(rows, columns) of a result, for tests and the Lite wrapper."""
    return len(values), len(values[0]) if values else 0
