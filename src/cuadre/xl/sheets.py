"""Read the close workbook's input tables and write Cuadre's own sheets, through xlwings.

Everything here talks to an ``xw.Book`` through xlwings' public API only (sheets,
ranges, values, number formats, tables), so it behaves the same in Excel and on the
headless engine (:mod:`cuadre.xl.engine`).

Reading: a contract table is found by its Excel table name (``open_items``...),
else on the sheet named after it (``OpenItems``), its header located as the file
readers do. Rows pasted right under a table that did not grow are read too. The cells
(Excel doubles, datetimes, text; error cells as their text such as ``#N/A``) become a
:class:`~cuadre.model.validate.RawTable` and are typed by
:func:`~cuadre.model.validate.coerce_table`: Excel doubles become exact minor units
there, once, at the shell; every problem is a finding located ``OpenItems!H17``.

Writing: an output sheet (Matches, Unapplied, Aging, Issues, Evidence) is Cuadre's:
it is written again in place on every run (the same sheet and the same Excel table,
cleared and resized, so a re-run gives the same sheet, never a second one, and
formulas elsewhere that point at it keep working), with its title, controls and an
Excel table named as in the contract. No other sheet is touched. Text cells are formatted as text before
they are written, and text starting with ``=``, ``+``, ``-`` or ``@`` gets Excel's
text prefix (an apostrophe), so a payer name can never become a formula (OWASP "CSV
injection") and ids keep their leading zeros.

Pictures (:class:`~cuadre.workbook.writer.Picture`) are added with xlwings'
``sheet.pictures.add`` at the places :func:`~cuadre.workbook.writer.picture_layout`
gives (the same as in a file written by ``write_workbook``), under their own name: a
picture of that name already on the sheet is replaced, never duplicated. xlwings adds
pictures from a file, so each PNG goes through a temporary file, removed at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from cuadre.findings import Finding, Location, error
from cuadre.io.tables import raw_from_grid
from cuadre.model.tables import PROVENANCE, Kind, TableSchema
from cuadre.model.validate import RawTable, ReadOptions, coerce_table
from cuadre.money import exponents_for, minor_to_float
from cuadre.workbook.writer import (
    DATE_FORMAT,
    PX_PER_PT,
    TEXT_FORMAT,
    ControlRow,
    PicturePlacement,
    SheetSpec,
    money_format,
    picture_layout,
)

__all__ = ["InputTable", "find_table", "read_input", "write_picture", "write_sheets"]

_FORMULA_START = ("=", "+", "-", "@")
MAX_WIDTH = 60.0


@dataclass
class InputTable:
    """A contract table read from the workbook: typed frame, where it was, a digest."""

    frame: pd.DataFrame
    sheet: str
    sha256: str
    rows: int


def find_table(book: xw.Book, name: str) -> xw.main.Table | None:
    """The Excel table ``name`` (case-insensitive) on any sheet, or None."""
    for sheet in book.sheets:
        for table in sheet.tables:
            if table.name.lower() == name.lower():
                return table
    return None


def _sheet(book: xw.Book, name: str) -> xw.Sheet | None:
    for sheet in book.sheets:
        if sheet.name.lower() == name.lower():
            return sheet
    return None


def _blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _grid(rng: xw.Range) -> list[list[Any]]:
    """Cells as xlwings delivers them: doubles, datetimes, text, errors as text."""
    values = rng.options(ndim=2, err_to_str=True).value
    return [list(row) for row in values]


def _rows_below(sheet: xw.Sheet, last_row: int, first_col: int, last_col: int) -> list[list[Any]]:
    """Rows pasted under a table that did not grow (no totals row): up to a blank row."""
    used = sheet.used_range
    end = used.row + used.shape[0] - 1
    if end <= last_row:
        return []
    rows = _grid(sheet.range((last_row + 1, first_col), (end, last_col)))
    out = []
    for row in rows:
        if _blank(row):
            break
        out.append(row)
    return out


def _digest(header: list[Any], body: list[list[Any]]) -> str:
    def plain(v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date | dt.datetime) else v

    text = json.dumps([[plain(v) for v in r] for r in [header, *body]], default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _raw_from_table(table: xw.main.Table, label: str) -> tuple[RawTable, list[list[Any]]]:
    rng = table.range
    grid = _grid(rng)
    r1, c1 = rng.row, rng.column
    r2, c2 = r1 + rng.shape[0] - 1, c1 + rng.shape[1] - 1
    if table.show_totals:
        grid = grid[:-1]
    else:
        grid += _rows_below(table.parent, r2, c1, c2)
    header = ["" if h is None else str(h) for h in grid[0]]
    body = grid[1:]
    while body and _blank(body[-1]):  # the empty row an empty Excel table keeps
        body.pop()
    cells = pd.DataFrame(body or None, columns=pd.Index(header, dtype=object), dtype=object)
    rows = np.arange(r1 + 1, r1 + 1 + len(body))
    raw = RawTable(cells, rows, r1, list(range(c1, c2 + 1)), label, table.parent.name)
    return raw, [header, *body]


def read_input(
    book: xw.Book,
    schema: TableSchema,
    options: ReadOptions | None = None,
    *,
    required: bool = True,
) -> tuple[InputTable | None, list[Finding]]:
    """Read the contract table ``schema`` from ``book``; None when it is absent."""
    label = book.name
    table = find_table(book, schema.name)
    if table is not None:
        raw, grid = _raw_from_table(table, label)
    else:
        sheet = _sheet(book, schema.sheet)
        if sheet is None:
            if not required:
                return None, []
            return None, [
                error(
                    Location(label, sheet=schema.sheet),
                    "SHEET_NOT_FOUND",
                    f'no sheet "{schema.sheet}" and no table named {schema.name} in the workbook',
                    f"Paste the {schema.name} table on a sheet named {schema.sheet} "
                    "(start from the Cuadre Close template).",
                )
            ]
        used = sheet.used_range
        grid = _grid(used)
        raw = raw_from_grid(grid, label, sheet.name, schema, [], first_row=used.row)
        raw.column_numbers = [used.column + c - 1 for c in raw.column_numbers]
    if not required and raw.cells.empty:
        return None, []
    frame, findings = coerce_table(raw, schema, options)
    return InputTable(frame, raw.sheet or "", _digest(grid[0], grid[1:]), len(frame)), findings


# --------------------------------------------------------------------------- writing


def _safe_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _kind(schema: TableSchema | None, name: str) -> Kind | None:
    if schema is None:
        return None
    for c in schema.columns:
        if c.name == name:
            return c.kind
    return None


def _column_for_excel(frame: pd.DataFrame, name: str, kind: Kind | None) -> tuple[list[Any], str]:
    """One column as Excel values (doubles, datetimes, text) and its number format."""
    s = frame[name]
    if kind is Kind.MONEY:
        cur = frame["currency"] if "currency" in frame else pd.Series("", index=frame.index)
        floats = minor_to_float(s, cur).to_numpy()
        return [None if np.isnan(v) else float(v) for v in floats], money_format(2)
    if kind is Kind.DATE or pd.api.types.is_datetime64_any_dtype(s):
        stamps = pd.to_datetime(s, errors="coerce")
        return [None if pd.isna(v) else v.to_pydatetime() for v in stamps], DATE_FORMAT
    if kind in (Kind.INT, Kind.RATIO) or (
        kind is None and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    ):
        nums = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        fmt = "0" if kind is Kind.INT else ("0.00" if kind is Kind.RATIO else "General")
        return [None if np.isnan(v) else float(v) for v in nums], fmt
    texts = s.astype(object).where(s.notna(), "")
    return [_safe_text(str(v)) if v != "" else None for v in texts], TEXT_FORMAT


def _money_overrides(frame: pd.DataFrame, name: str) -> dict[int, list[int]]:
    """Rows (0-based) whose currency has other than 2 decimals, by exponent."""
    if "currency" not in frame:
        return {}
    exps = exponents_for(frame["currency"]).fillna(2).to_numpy(dtype=np.int64)
    out: dict[int, list[int]] = {}
    for i in np.flatnonzero(exps != 2):
        out.setdefault(int(exps[i]), []).append(int(i))
    return out


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _control_value(control: ControlRow) -> tuple[Any, str | None]:
    value = control.value
    if control.check:
        if isinstance(value, bool | np.bool_):
            return ("OK" if value else "DIFFERENCE"), None
        return str(value), None
    if control.currency and isinstance(value, int | np.integer) and not isinstance(value, bool):
        frame = pd.DataFrame(
            {"v": pd.Series([int(value)], dtype="Int64"), "currency": [control.currency]}
        )
        units = minor_to_float(frame["v"], frame["currency"]).iloc[0]
        exp = int(exponents_for(frame["currency"]).fillna(2).iloc[0])
        return float(units), money_format(exp)
    if isinstance(value, np.integer | np.floating):
        return float(value), None
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value), None
    return _safe_text(value) if isinstance(value, str) else value, None


def _replace_sheet(book: xw.Book, name: str, after: xw.Sheet | None) -> xw.Sheet:
    """Replace Cuadre's sheet ``name`` by a new one at the same place (or add it).

    The new sheet is added before the old one is deleted: a workbook must keep a
    sheet, and a workbook holding only Cuadre's sheet is still re-run."""
    old = _sheet(book, name)
    if old is None:
        return book.sheets.add(name, after=after or book.sheets[-1])
    taken = {s.name.lower() for s in book.sheets}
    temporary = next(
        t for i in itertools.count(1) if (t := f"~{i} {name}"[:31]).lower() not in taken
    )
    new = book.sheets.add(temporary, before=old)
    old.delete()
    new.name = name
    return new


@dataclass
class _Pending:
    sheet: xw.Sheet
    row: int
    formula: str


def _write_controls(sheet: xw.Sheet, spec: SheetSpec, pending: list[_Pending]) -> int:
    """Title, subtitle, control rows and notes; returns the first row after them."""
    sheet["A1"].value = _safe_text(spec.title or spec.name)
    if spec.subtitle:
        sheet["A2"].value = _safe_text(spec.subtitle)
    row = 3
    if spec.controls or spec.notes:
        row += 1
        for control in spec.controls:
            value, fmt = _control_value(control)
            sheet.range((row, 1)).value = _safe_text(control.label)
            if fmt:
                sheet.range((row, 2)).number_format = fmt
            sheet.range((row, 2)).value = value
            if control.currency:
                sheet.range((row, 3)).value = control.currency
            if control.formula:
                pending.append(_Pending(sheet, row, control.formula))
            row += 1
        for note in spec.notes:
            sheet.range((row, 1)).value = _safe_text(note)
            row += 1
    return row


def _write_table(sheet: xw.Sheet, spec: SheetSpec, header_row: int) -> None:
    frame = spec.frame[[c for c in spec.frame.columns if c not in PROVENANCE]]
    names = [str(c) for c in frame.columns]
    n = len(frame)
    columns = []
    for j, name in enumerate(names, start=1):
        values, fmt = _column_for_excel(frame, name, _kind(spec.schema, name))
        columns.append(values)
        if n:
            body = sheet.range((header_row + 1, j), (header_row + n, j))
            body.number_format = fmt
            if fmt.startswith("#,##0"):
                for exp, rows in _money_overrides(frame, name).items():
                    for a, b in _runs(rows):
                        sheet.range(
                            (header_row + 1 + a, j), (header_row + 1 + b, j)
                        ).number_format = money_format(exp)
        widest = max([len(name) + 3] + [len(str(v)) + 2 for v in values[:2000] if v is not None])
        sheet.range((1, j)).column_width = min(float(widest), MAX_WIDTH)
    sheet.range((header_row, 1), (header_row, len(names))).number_format = TEXT_FORMAT
    sheet.range((header_row, 1)).value = [names]
    if n:
        cells = [list(r) for r in zip(*columns, strict=True)]
        sheet.range((header_row + 1, 1)).value = cells
    last = header_row + max(n, 1)
    sheet.tables.add(source=sheet.range((header_row, 1), (last, len(names))), name=spec.table_name)


def _set_alt_text(picture: xw.Picture, text: str) -> None:
    """Alt text: xlwings has no property for it. The headless engine keeps it as
    ``description``; in Excel it is the shape's ``AlternativeText`` (Windows COM)."""
    impl = picture.impl
    if hasattr(impl, "description"):
        impl.description = text
        return
    # Excel on macOS (appscript) has no such path: alt text is a nicety, never a failure.
    with contextlib.suppress(Exception):
        picture.api.ShapeRange.AlternativeText = text


def write_picture(sheet: xw.Sheet, place: PicturePlacement) -> xw.Picture:
    """Add (or replace, by name) one picture at its place; returns it."""
    picture = place.picture
    cell = sheet.range((place.row + 1, place.col + 1))
    left = float(cell.left) + place.x_offset / PX_PER_PT
    top = float(cell.top) + place.y_offset / PX_PER_PT
    width, height = place.width / PX_PER_PT, place.height / PX_PER_PT
    fd, path = tempfile.mkstemp(suffix=".png", prefix="cuadre-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(picture.png)
        added = sheet.pictures.add(
            path, name=picture.name, update=True, left=left, top=top, width=width, height=height
        )
    finally:
        with contextlib.suppress(OSError):  # Excel may still hold it: the temp dir is cleaned
            os.unlink(path)
    # update=True keeps a replaced picture's old place and size: set this run's
    added.left, added.top, added.width, added.height = left, top, width, height
    _set_alt_text(added, picture.description or picture.name)
    return added


class _TableInPlace:
    """A sheet as :func:`_write_table` sees it, except that ``tables.add`` resizes the
    table already there instead of adding a second one."""

    def __init__(self, sheet: xw.Sheet, table: xw.main.Table) -> None:
        self._sheet = sheet
        self._table = table
        self.tables = self

    def range(self, *args: Any) -> xw.Range:
        return self._sheet.range(*args)

    def add(self, source: xw.Range, name: str | None = None, **_: Any) -> xw.main.Table:
        self._table.resize(source)
        if name and self._table.name != name:
            self._table.name = name
        return self._table


def _own_table(sheet: xw.Sheet, name: str) -> xw.main.Table | None:
    for table in sheet.tables:
        if table.name.lower() == name.lower():
            return table
    return None


def _layout(spec: SheetSpec) -> tuple[list[PicturePlacement], int]:
    """Where the spec's pictures go and its table's header row (1-based), below the
    title, controls and notes :func:`_write_controls` writes from row 1."""
    next_free = 3 + (1 + len(spec.controls) + len(spec.notes) if spec.controls or spec.notes else 0)
    placements, header = picture_layout(spec.pictures, next_free - 1)
    return placements, header + 1


def _make_room(sheet: xw.Sheet, table: xw.main.Table, need: int) -> bool:
    """Move the table down to row ``need`` by inserting whole rows above it, as a user
    would: Excel shifts the table and every reference to it. False where the engine
    cannot insert rows (the headless engine: there references are text in the file)."""
    try:
        sheet.range(f"{table.range.row}:{need - 1}").insert(shift="down")
    except NotImplementedError:
        return False
    return True


def _rewrite(
    sheet: xw.Sheet, table: xw.main.Table, spec: SheetSpec, need: int, pending: list[_Pending]
) -> bool:
    """Write ``spec`` over its sheet in place: same sheet, same table (resized). False,
    nothing changed, when the table does not start in column A, or must move down and
    the engine cannot insert rows."""
    if table.range.column != 1:
        return False
    if need > table.range.row and not _make_room(sheet, table, need):
        return False
    if table.show_totals:  # written here without a totals row (the template has one)
        table.show_totals = False
    top = table.range.row
    old_width = table.range.shape[1]
    used = sheet.used_range
    width = max(used.column + used.shape[1] - 1, old_width)
    if top > 1:
        sheet.range((1, 1), (top - 1, width)).clear()  # title, controls, notes of the last run
    body = table.data_body_range
    if body is not None:
        body.clear()
    wanted = {picture.name.lower() for picture in spec.pictures}
    for picture in list(sheet.pictures):  # the last run's; same names are replaced later
        if picture.name.lower() not in wanted:
            picture.delete()
    _write_controls(sheet, spec, pending)
    _write_table(_TableInPlace(sheet, table), spec, top)  # type: ignore[arg-type]
    new_width = table.range.shape[1]
    if old_width > new_width:
        sheet.range((top, new_width + 1), (top, old_width)).clear()
    return True


def write_sheets(book: xw.Book, specs: Sequence[SheetSpec]) -> None:
    """Write ``specs`` (Cuadre's output sheets) into ``book``, replacing earlier runs'.

    A sheet written before is rewritten in place: the sheet and its Excel table are
    never deleted (in Excel that would turn every formula pointing at them, such as
    ``=SUM(aging[total])`` or ``=Matches!B5``, into ``#REF!``); its cells are cleared,
    the controls written again, the table resized (whole rows inserted above it when
    the control block grew), pictures replaced by name. Live control formulas are
    written last, once every table they name exists."""
    pending: list[_Pending] = []
    previous: xw.Sheet | None = None
    for spec in specs:
        sheet = _sheet(book, spec.name)
        table = _own_table(sheet, spec.table_name) if sheet is not None else None
        placements, header = _layout(spec)
        if sheet is None or table is None or not _rewrite(sheet, table, spec, header, pending):
            sheet = _replace_sheet(book, spec.name, previous)
            _write_controls(sheet, spec, pending)
            _write_table(sheet, spec, header)
        for place in placements:
            write_picture(sheet, place)
        previous = sheet
    for p in pending:
        p.sheet.range((p.row, 2)).formula = p.formula
