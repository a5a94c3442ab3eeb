"""``cuadre import bank``: bank statements of any supported format into bank_lines.

The format is detected from each file's content by asking the format modules in turn
(``FORMATS``: camt.053/054, MT940, BAI2, OFX/QFX, bank CSV). Each file's statements
are balance-checked (opening + lines = closing). A statement already imported (same
statement id, account and lines, from this or another file) is reported as a duplicate
and not counted twice. ``line_id`` is stable across re-imports of the same file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd

from cuadre.findings import Finding, Location, error, warning
from cuadre.importers.base import BankImport, check_balances, empty_table
from cuadre.model.tables import BANK_LINES, STATEMENTS

FORMATS = ("camt", "mt940", "bai2", "ofx", "bank_csv")
"""Format modules under ``cuadre.importers``, asked in this order (CSV last: it is the
loosest)."""


def format_modules() -> list[ModuleType]:
    mods = []
    for name in FORMATS:
        try:
            mods.append(importlib.import_module(f"cuadre.importers.{name}"))
        except ModuleNotFoundError as exc:  # a format not built yet
            if exc.name != f"cuadre.importers.{name}":
                raise
    return mods


def detect_format(data: bytes, name: str) -> ModuleType | None:
    for mod in format_modules():
        try:
            if mod.detect(data, name):
                return mod
        except Exception:  # a detector must never stop the import of another format
            continue
    return None


def read_bank_bytes(data: bytes, source: str, currency: str | None = None) -> BankImport:
    """One file's lines and statements. ``currency`` is for formats that may not say it
    (bank CSV exports)."""
    mod = detect_format(data, source)
    if mod is None:
        known = ", ".join(m.FORMAT for m in format_modules())
        return BankImport(
            empty_table(BANK_LINES),
            empty_table(STATEMENTS),
            [
                error(
                    Location(source),
                    "UNKNOWN_FORMAT",
                    f"not a bank statement format Cuadre reads (it reads {known})",
                    "Export the statement from the bank portal as camt.053, MT940, BAI2, OFX or CSV.",
                )
            ],
        )
    try:
        if currency and mod.FORMAT == "bank_csv":
            result: BankImport = mod.read(data, source, currency=currency)
        else:
            result = mod.read(data, source)
    except Exception as exc:  # the last line of defence: a finding, never a traceback
        return BankImport(
            empty_table(BANK_LINES),
            empty_table(STATEMENTS),
            [
                error(
                    Location(source),
                    "IMPORT_FAILED",
                    f"the {mod.FORMAT} file could not be read ({type(exc).__name__}: {exc})",
                    "Please report this file to the Cuadre maintainers.",
                )
            ],
            mod.FORMAT,
        )
    result.format = mod.FORMAT
    result.findings.extend(check_balances(result.statements, result.bank_lines, source))
    return result


def import_bank_files(
    paths: list[Path],
    progress: Callable[[int], None] | None = None,
    currency: str | None = None,
) -> BankImport:
    """Read every file, drop duplicate statements, and concatenate."""
    lines: list[pd.DataFrame] = []
    statements: list[pd.DataFrame] = []
    findings: list[Finding] = []
    seen: dict[tuple[str, str, int, int], str] = {}
    for i, path in enumerate(paths, start=1):
        source = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            findings.append(
                error(Location(source), "FILE_NOT_READABLE", f"cannot read the file ({exc.strerror})")
            )
            continue
        result = read_bank_bytes(data, source, currency)
        findings.extend(result.findings)
        keep_st = []
        for st in result.statements.itertuples(index=False):
            st_lines = result.bank_lines[result.bank_lines["statement_id"].eq(st.statement_id)]
            key = (
                str(st.statement_id),
                str(st.account),
                len(st_lines),
                int(st_lines["amount"].fillna(0).sum()),
            )
            if key in seen:
                findings.append(
                    warning(
                        Location(source),
                        "DUPLICATE_STATEMENT",
                        f"statement {st.statement_id} of account {st.account} was already "
                        f"imported from {seen[key]}; not counted twice",
                        "Remove the repeated file from the import.",
                    )
                )
                continue
            seen[key] = source
            keep_st.append(st.statement_id)
        statements.append(result.statements[result.statements["statement_id"].isin(keep_st)])
        lines.append(result.bank_lines[result.bank_lines["statement_id"].isin(keep_st)])
        if progress is not None:
            progress(i)
    all_lines = pd.concat(lines, ignore_index=True) if lines else empty_table(BANK_LINES)
    all_st = pd.concat(statements, ignore_index=True) if statements else empty_table(STATEMENTS)
    dup = all_lines["line_id"].duplicated(keep="first")
    if dup.any():
        findings.append(
            error(
                Location("bank_lines"),
                "DUPLICATE_LINE_ID",
                f"{int(dup.sum())} bank lines share a line_id with another line "
                f"(first: {all_lines.loc[dup, 'line_id'].iloc[0]})",
                "This is a defect of the importer; please report the file.",
            )
        )
    return BankImport(all_lines, all_st, findings)
