"""Golden files for workbooks: compare what a reader sees, not bytes.

``sheet_snapshot`` reads a sheet back with openpyxl (``data_only=True``, so formula cells
give their cached value) and lists every non-empty cell as ``(cell, value, number_format)``
with the value normalised to stable text:

- strings as their ``repr`` (``'=HYPERLINK("x")'``), so text ``'7'`` and number ``7``
  never compare equal;
- numbers as ``repr`` rounded to 10 decimals (integral floats as integers: ``1234``);
- dates as ISO (``2024-01-31``, with the time only when it is not midnight);
- booleans as ``TRUE`` / ``FALSE``.

``assert_golden`` compares such rows with a CSV under ``tests/golden/`` (columns
``cell,value,number_format``). Set ``CUADRE_UPDATE_GOLDEN=1`` to rewrite the files on
purpose, then review the diff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd

from cuadre.findings import Finding
from cuadre.model.tables import TableSchema

Row = tuple[str, str, str]
UPDATE_ENV = "CUADRE_UPDATE_GOLDEN"


def normalise(value: object) -> str:
    """Stable text for a cell value (see the module docstring)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float | Decimal):
        number = float(value)
        if number.is_integer():
            return repr(int(number))
        return repr(round(number, 10))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return repr(value)


def sheet_snapshot(
    path: str | Path,
    sheet: str,
    *,
    skip: Callable[[str, object], bool] | None = None,
) -> list[Row]:
    """``(cell, normalised value, number_format)`` for every non-empty cell, row by row."""
    workbook = openpyxl.load_workbook(path, data_only=True)
    try:
        ws = workbook[sheet]
        rows: list[Row] = []
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if value is None:
                    continue
                ref = cell.coordinate
                if skip is not None and skip(ref, value):
                    continue
                rows.append((ref, normalise(value), str(cell.number_format)))
        return rows
    finally:
        workbook.close()


def read_golden(golden_csv: Path) -> list[Row]:
    with open(golden_csv, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != ["cell", "value", "number_format"]:
            raise AssertionError(f"{golden_csv}: header must be cell,value,number_format")
        return [(r[0], r[1], r[2]) for r in reader]


def golden_text(rows: Sequence[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["cell", "value", "number_format"])
    writer.writerows(rows)
    return buffer.getvalue()


def diff_rows(actual: Sequence[Row], expected: Sequence[Row], limit: int = 20) -> list[str]:
    """Human-readable differences, cell by cell, in the order the cells appear."""
    got = {r[0]: r[1:] for r in actual}
    want = {r[0]: r[1:] for r in expected}
    order = list(dict.fromkeys([r[0] for r in expected] + [r[0] for r in actual]))
    lines: list[str] = []
    for ref in order:
        a, e = got.get(ref), want.get(ref)
        if a == e:
            continue
        if e is None and a is not None:
            lines.append(f"{ref}: unexpected {a[0]} [{a[1]}]")
        elif a is None and e is not None:
            lines.append(f"{ref}: missing, expected {e[0]} [{e[1]}]")
        elif a is not None and e is not None:
            lines.append(f"{ref}: got {a[0]} [{a[1]}], expected {e[0]} [{e[1]}]")
        if len(lines) >= limit:
            break
    return lines


def assert_golden(rows: Sequence[Row], golden_csv: Path) -> None:
    """Compare ``rows`` with ``golden_csv``; ``CUADRE_UPDATE_GOLDEN=1`` rewrites it instead."""
    golden_csv = Path(golden_csv)
    rows = [(str(c), str(v), str(f)) for c, v, f in rows]
    if os.environ.get(UPDATE_ENV) == "1":
        golden_csv.parent.mkdir(parents=True, exist_ok=True)
        golden_csv.write_text(golden_text(rows), encoding="utf-8", newline="")
        return
    if not golden_csv.exists():
        raise AssertionError(
            f"{golden_csv} does not exist; run with {UPDATE_ENV}=1 to create it, then review it"
        )
    expected = read_golden(golden_csv)
    if list(rows) == expected:
        return
    lines = diff_rows(rows, expected)
    if not lines:
        raise AssertionError(f"{golden_csv}: same cells in a different order")
    shown = f"first {len(lines)}" if len(lines) >= 20 else str(len(lines))
    raise AssertionError(
        f"{golden_csv}: {shown} differing cells (set {UPDATE_ENV}=1 to accept the new "
        "output, then review the diff):\n  " + "\n  ".join(lines)
    )


def assert_golden_table(frame: pd.DataFrame, schema: TableSchema | None, path: Path) -> None:
    """Compare a table, as the contract writes it in CSV, with a golden CSV file;
    ``CUADRE_UPDATE_GOLDEN=1`` rewrites the file instead."""
    from cuadre.io.tables import to_csv_frame, write_table

    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(frame, path, schema)
        return
    assert path.exists(), f"{path} missing: run with {UPDATE_ENV}=1"
    actual = to_csv_frame(frame, schema).reset_index(drop=True)
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(actual.astype(str), expected, check_dtype=False, obj=str(path))


def findings_table(
    findings: Iterable[Finding],
    columns: Sequence[str] = ("severity", "code", "location", "message"),
) -> pd.DataFrame:
    """Findings in the order found, one text column per ``Finding`` attribute named (the
    severity as its value, the location as ``file:row:col``): a compact golden form.
    (``cuadre.findings.findings_frame`` is the Issues-sheet form, errors first.)"""

    def text(f: Finding, name: str) -> str:
        value = getattr(f, name)
        return str(getattr(value, "value", value))

    rows = [[text(f, c) for c in columns] for f in findings]
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


def assert_golden_tables(
    tables: Mapping[str, tuple[pd.DataFrame, TableSchema | None]], folder: Path
) -> None:
    """:func:`assert_golden_table` for each ``file name -> (table, schema)`` in ``folder``."""
    for name, (frame, schema) in tables.items():
        assert_golden_table(frame, schema, Path(folder) / name)


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
"""The public sample files beside the repository (``../shared/realdata``), if present."""
