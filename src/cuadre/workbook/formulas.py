"""Formula text for the control blocks of the output sheets, and the blocks themselves.

What
    Small builders of Excel formula text over the sheet tables (``SUMIFS``,
    ``COUNTIFS``, ``COUNTA`` by structured reference, :func:`if_zero` checks, decimal
    and date literals), the per-currency sum the engine caches beside each formula
    (:func:`money_sum`), and :class:`Controls`, the control rows of one sheet whose
    failed checks are also error findings. Every sheet builder (close book,
    collections, accruals, reconciliations, KPIs) uses these, so that a criterion is
    written one way everywhere.

Why
    Criteria hold data (currencies, customer ids, journal ids, statuses) and data must
    never become code: a text criterion is always an exact-match string literal, ``=``
    first (so ``>5`` or ``<>x`` in the data is not a comparison), quotes doubled (so
    ``"),1+1,("`` cannot close the string) and the ``SUMIFS`` wildcards ``~ * ?``
    escaped with ``~`` (so ``A*`` does not match ``AB``). A comparison is written only
    through :class:`Criterion` (:func:`other_than`, :func:`above`, :func:`below`).

Reference: Microsoft, "SUMIFS function" (criteria, wildcards and the ``~`` escape);
the LibreOffice recalculation tests (tests/workbook/test_recalc.py) prove the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from cuadre.findings import Finding, Location, error
from cuadre.money import UnknownCurrencyError, exponent
from cuadre.workbook.writer import DEFAULT_EXPONENT, ControlRow, column_ref

__all__ = [
    "Controls",
    "Criterion",
    "Value",
    "above",
    "below",
    "counta",
    "countifs",
    "criteria",
    "date",
    "decimals",
    "if_zero",
    "literal",
    "major",
    "money_sum",
    "nonempty",
    "other_than",
    "string",
    "sumifs",
]

_WILDCARDS = str.maketrans({"~": "~~", "*": "~*", "?": "~?"})


def string(value: str) -> str:
    """A text as a formula string literal, quotes doubled: ``a"b`` -> ``"a""b"``."""
    return '"' + value.replace('"', '""') + '"'


def _escape(value: str) -> str:
    return value.translate(_WILDCARDS)


def literal(value: str) -> str:
    """A text as an exact-match criterion literal: ``A*`` -> ``"=A~*"``.

    ``=`` first, ``~ * ?`` escaped, quotes doubled: any text, even ``=1+1*"?``, matches
    only the cells holding exactly that text (Excel compares text case-insensitively)."""
    return string("=" + _escape(value))


@dataclass(frozen=True)
class Criterion:
    """A ``SUMIFS`` / ``COUNTIFS`` condition other than "equals this text".

    ``op`` is ``=`` (a date), ``<>`` (a text), or ``>`` / ``<`` (a number); build it with
    :func:`other_than`, :func:`above`, :func:`below` or pass a date to :func:`sumifs`."""

    op: str
    value: str | int | Decimal | dt.date

    def __post_init__(self) -> None:
        ok = {
            "=": isinstance(self.value, dt.date),
            "<>": isinstance(self.value, str),
            ">": _is_number(self.value),
            "<": _is_number(self.value),
        }
        if not ok.get(self.op, False):
            raise ValueError(f"not a criterion: {self.op!r} {self.value!r}")

    def formula(self) -> str:
        """The criterion as formula text."""
        value = self.value
        if self.op == "<>":
            assert isinstance(value, str)
            return string("<>" + _escape(value))
        if isinstance(value, dt.date):
            return date(value)
        return string(f"{self.op}{value}")


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int)


def other_than(value: str) -> Criterion:
    """Cells not equal to ``value`` (``other_than("")``: cells not empty)."""
    return Criterion("<>", value)


def above(number: int | Decimal) -> Criterion:
    """Numbers greater than ``number`` (in the table's units: major units for money)."""
    return Criterion(">", number)


def below(number: int | Decimal) -> Criterion:
    """Numbers smaller than ``number``."""
    return Criterion("<", number)


Value = str | dt.date | Criterion
"""A criterion value: a text (exact match), a date (that day) or a :class:`Criterion`."""


def _criterion(value: Value) -> str:
    if isinstance(value, Criterion):
        return value.formula()
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, dt.date):
        return date(value)
    raise TypeError(f"not a criterion value: {value!r}")


def criteria(table: str, pairs: tuple[tuple[str, Value], ...]) -> str:
    """``table[column],criterion,...`` for ``SUMIFS`` / ``COUNTIFS``."""
    return ",".join(f"{column_ref(table, column)},{_criterion(value)}" for column, value in pairs)


def sumifs(table: str, column: str, *pairs: tuple[str, Value]) -> str:
    """``SUMIFS(table[column],table[c1],v1,...)``: the sum of ``column`` where every
    ``(column, value)`` holds."""
    if not pairs:
        raise ValueError("sumifs needs at least one criterion")
    return f"SUMIFS({column_ref(table, column)},{criteria(table, pairs)})"


def countifs(table: str, *pairs: tuple[str, Value]) -> str:
    """``COUNTIFS(table[c1],v1,...)``: the rows where every ``(column, value)`` holds."""
    if not pairs:
        raise ValueError("countifs needs at least one criterion")
    return f"COUNTIFS({criteria(table, pairs)})"


def counta(table: str, column: str) -> str:
    """``COUNTA(table[column])``: the non-empty cells of a column."""
    return f"COUNTA({column_ref(table, column)})"


def if_zero(expression: str, places: int = 3) -> str:
    """The check formula ``=IF(ROUND(expression,places)=0,"OK","DIFFERENCE")``."""
    return f'=IF(ROUND({expression},{places})=0,"OK","DIFFERENCE")'


def major(units: int, currency: str) -> str:
    """Minor units as a decimal literal in major units, as the table holds them
    (``-123456, "MXN"`` -> ``-1234.56``); an unknown currency has 2 decimals, as the
    writer gives it."""
    return format(Decimal(int(units)).scaleb(-decimals(currency)), "f")


def decimals(currency: str) -> int:
    """The currency's decimals as the sheets hold it (an unknown currency: 2, as the
    writer gives it)."""
    try:
        return exponent(currency)
    except UnknownCurrencyError:
        return DEFAULT_EXPONENT


def date(day: dt.date) -> str:
    """``DATE(2026,3,31)``: a day as a formula (a number, so it matches date cells)."""
    return f"DATE({day.year},{day.month},{day.day})"


def money_sum(
    frame: pd.DataFrame, column: str, currency: str, mask: pd.Series | None = None
) -> int:
    """The sum of a money column (minor units) over the rows of ``currency`` (and
    ``mask``): the engine's figure cached beside a :func:`sumifs`. 0 when the frame is
    empty or has no such column."""
    if frame.empty or column not in frame:
        return 0
    keep = frame["currency"].eq(currency)
    if mask is not None:
        keep &= mask
    return int(frame.loc[keep, column].fillna(0).astype("int64").sum())


def nonempty(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` when it has rows, else ``None`` (an empty input sheet is no input)."""
    return None if frame is None or frame.empty else frame


class Controls:
    """The control rows of one sheet; a check that fails is also an error finding.

    ``code`` and ``hint`` are the finding's; ``location`` names the family of sheets in
    the finding's location (its sheet is ``sheet``)."""

    def __init__(self, sheet: str, code: str, hint: str, location: str = "") -> None:
        self.sheet = sheet
        self.code = code
        self.hint = hint
        self.location = Location(location, sheet=sheet)
        self.rows: list[ControlRow] = []
        self.findings: list[Finding] = []

    def figure(
        self, label: str, value: object, formula: str | None = None, currency: str | None = None
    ) -> None:
        """A figure row (with its live formula, when there is one)."""
        self.rows.append(ControlRow(label, value, formula=formula, currency=currency))

    def check(self, label: str, ok: bool, formula: str | None, detail: str = "") -> None:
        """A check row (``OK`` / ``DIFFERENCE``); a failure is also a finding."""
        self.rows.append(ControlRow(label, "OK" if ok else "DIFFERENCE", formula, check=True))
        if not ok:
            self.findings.append(
                error(
                    self.location,
                    self.code,
                    f"{self.sheet}: control failed: {label}" + (f" ({detail})" if detail else ""),
                    self.hint,
                )
            )
