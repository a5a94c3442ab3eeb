"""Findings: data problems and notable facts, reported instead of raised.

A step in Cuadre is shaped ``inputs -> (outputs, findings)`` (the beancount model:
``entries -> (entries, errors)``). Exceptions are kept for programmer errors. A
``Finding`` says where (``Location``), what kind (a stable ``code`` such as
``NOT_A_NUMBER`` or ``AMBIGUOUS_MATCH``), how bad (``Severity``), what was found and
what was expected (``message``) and how to fix it (``hint``).

Locations render two ways: ``open_items.csv:17:5`` for the command line (file, row,
column, all 1-based as a spreadsheet shows them) and ``OpenItems!E17`` for the Issues
sheet of a workbook.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd


class Severity(StrEnum):
    ERROR = "error"  # the input cannot be used as it is; the step stops (exit code 1)
    WARNING = "warning"  # used, but a person should look (rounded amount, ambiguous date)
    INFO = "info"  # worth knowing (file read as cp1252, blank rows skipped)


def column_letter(index: int) -> str:
    """1-based column number -> Excel letters (1 -> A, 28 -> AB)."""
    if index < 1:
        raise ValueError(f"column index must be >= 1, got {index}")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: a file, optionally a sheet, row and column (1-based)."""

    file: str = ""
    row: int | None = None
    column: int | None = None
    sheet: str | None = None
    column_name: str | None = None

    def cell(self) -> str | None:
        """``E17`` when both row and column are known."""
        if self.row is None or self.column is None:
            return None
        return f"{column_letter(self.column)}{self.row}"

    def excel(self) -> str:
        """``Sheet!E17`` (or the best available part of it)."""
        sheet = self.sheet or ""
        quoted = f"'{sheet}'" if sheet and not sheet.replace("_", "").isalnum() else sheet
        cell = self.cell()
        if cell:
            return f"{quoted}!{cell}" if sheet else cell
        if self.row is not None:
            return f"{quoted}!{self.row}:{self.row}" if sheet else f"row {self.row}"
        return sheet or self.file

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.row is not None:
            parts.append(str(self.row))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class Finding:
    location: Location
    code: str
    severity: Severity
    message: str
    hint: str = ""
    details: dict[str, str] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity.value}: {self.message}"
        if self.location.sheet and self.location.cell():
            text = f"{self.location}: {self.severity.value}: {self.location.excel()}: {self.message}"
        if not self.hint:
            return text
        sep = " " if text.endswith((".", ";", ":")) else ". "
        return f"{text}{sep}{self.hint}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(loc: Location, code: str, message: str, hint: str = "") -> Finding:
    return Finding(loc, code, Severity.ERROR, message, hint)


def warning(loc: Location, code: str, message: str, hint: str = "") -> Finding:
    return Finding(loc, code, Severity.WARNING, message, hint)


def info(loc: Location, code: str, message: str, hint: str = "") -> Finding:
    return Finding(loc, code, Severity.INFO, message, hint)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


FINDING_COLUMNS = ["severity", "code", "location", "cell", "message", "hint"]


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as the ``issues`` table written to the Issues sheet (errors first)."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    rows = [
        {
            "severity": f.severity.value,
            "code": f.code,
            "location": str(f.location),
            "cell": f.location.excel() if f.location.sheet else "",
            "message": f.message,
            "hint": f.hint,
            "_order": order[f.severity],
        }
        for f in findings
    ]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
    frame = pd.DataFrame(rows).sort_values("_order", kind="stable")
    return frame[FINDING_COLUMNS].reset_index(drop=True)
