"""The evidence pack: a close workbook's tables as CSV files in one zip, with a manifest.

What
    ``inputs/<table>.csv`` for every input table (open_items, bank_lines, customers,
    trial_balance, settings, fiscal_docs...), written in the contract's CSV form (ISO
    dates, money with the currency's decimals, UTF-8 with BOM: what ``cuadre import``
    writes), so an auditor can re-perform the close on them with the command line
    (``cuadre close --open-items inputs/open_items.csv --payments inputs/bank_lines.csv
    ...``); ``outputs/<table>.csv`` for every other table of the workbook (Matches,
    Unapplied, Aging, Issues, Journal...) as the workbook holds it (numbers as the
    doubles Excel stores, dates ISO); ``facts.csv`` (Cuadre version, run time, workbook);
    and ``manifest.csv``: one row per member with its kind, table, sheet, rows and
    SHA-256, so that a reviewer can check, file by file, that nothing was changed after
    the pack was made (``sha256sum``, ``Get-FileHash``).

Why a zip of CSV files
    Auditors keep evidence outside the workbook, in a form any tool reads; CSV is that
    form, and a single zip is one thing to file. Its bytes depend only on its content
    (members in a fixed order with a fixed date), so the same tables give the same zip
    and the same SHA-256.

Pure: :func:`pack_members` and :func:`zip_bytes` turn tables into bytes; only
:func:`write_pack` touches the disk (atomically: a reader never sees half a zip).
Reference: ISA 230 (audit documentation), ISA 500 A49-A51 (information produced by the
entity: completeness and accuracy of reports).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cuadre.io.atomic import write_bytes_atomic
from cuadre.io.tables import to_csv_frame
from cuadre.model.tables import TableSchema

__all__ = [
    "MANIFEST",
    "PackTable",
    "cells_csv",
    "member_name",
    "pack_members",
    "pack_path",
    "sha256",
    "table_csv",
    "write_pack",
    "zip_bytes",
]

MANIFEST = "manifest.csv"
FACTS = "facts.csv"
MANIFEST_COLUMNS = ("member", "kind", "table", "sheet", "rows", "sha256")
_BOM = b"\xef\xbb\xbf"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the bytes never depend on when


@dataclass(frozen=True)
class PackTable:
    """One table of the workbook, ready for the pack."""

    name: str
    """The Excel table's name (``open_items``)."""
    kind: str
    """``input`` or ``output``."""
    sheet: str
    rows: int
    data: bytes
    """The CSV file's bytes."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def member_name(table: PackTable) -> str:
    """``inputs/open_items.csv``, ``outputs/aging.csv``."""
    return f"{table.kind}s/{table.name}.csv"


def table_csv(frame: pd.DataFrame, schema: TableSchema | None) -> bytes:
    """An engine table in the contract's CSV form (as ``cuadre import`` writes it)."""
    text = to_csv_frame(frame, schema).to_csv(index=False, lineterminator="\n")
    return _BOM + text.encode("utf-8")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def cells_csv(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    """Cells as a workbook holds them: numbers exactly as stored, dates ISO, text as is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_cell_text(h) for h in header])
    writer.writerows([_cell_text(v) for v in row] for row in rows)
    return _BOM + buffer.getvalue().encode("utf-8")


def _csv(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return _BOM + buffer.getvalue().encode("utf-8")


def pack_members(tables: Sequence[PackTable], facts: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """Every member of the pack by name: the tables, ``facts.csv`` and ``manifest.csv``
    (which lists every other member with its SHA-256). Two tables with one name (an
    input and an output) keep apart by their folder; a repeated name is a programmer
    error."""
    members: dict[str, bytes] = {}
    rows: list[list[Any]] = [list(MANIFEST_COLUMNS)]
    for table in tables:
        name = member_name(table)
        if name in members:
            raise ValueError(f"two tables would both be {name}")
        members[name] = table.data
        rows.append([name, table.kind, table.name, table.sheet, table.rows, sha256(table.data)])
    members[FACTS] = _csv([["fact", "value"], *[list(f) for f in facts]])
    rows.append([FACTS, "facts", "", "", len(facts), sha256(members[FACTS])])
    members[MANIFEST] = _csv(rows)
    return members


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """The zip of ``members``: manifest first, then by name; same content, same bytes."""
    order = sorted(members, key=lambda n: (n != MANIFEST, n))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name])
    return buffer.getvalue()


def pack_path(workbook: Path, now: dt.datetime) -> Path:
    """Beside the workbook: ``Close evidence 2026-11-01 0930.zip`` (one per run, kept)."""
    return workbook.with_name(f"{workbook.stem} evidence {now:%Y-%m-%d %H%M%S}.zip")


def write_pack(path: Path, members: dict[str, bytes]) -> str:
    """Write the zip atomically; returns its SHA-256."""
    data = zip_bytes(members)
    write_bytes_atomic(path, data)
    return sha256(data)
