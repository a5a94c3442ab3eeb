"""Land imported rows in a workbook's input tables, through xlwings.

What
    :func:`plan_landings` works out, for each contract table an import gave rows for
    (:data:`LANDED`), what the workbook's Excel table will hold afterwards
    (:class:`Landing`), checking everything before anything is written; :func:`land`
    writes one plan. Only the cells of the table itself change.

Rules
    Rows of a file imported again replace their old selves (found by ``source_file``);
    rows of other files and typed rows stay; an imported row whose contract key is
    already among them is not added twice (``ALREADY_IN_TABLE``). Columns the user
    added are kept and a calculated column is filled on the new rows. If the grown
    table would cover a non-empty cell nothing is written (``TABLE_BLOCKED``); a table
    with a totals row or a sheet without its table is refused too. All the tables or
    none: Bank and Statements belong together. See :func:`cuadre.xl.scripts.xl_import`.

The files are read by :mod:`cuadre.importers.auto` (pure); this module is the Excel side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import xlwings as xw

from cuadre import parsing
from cuadre.findings import Finding, Location, error, warning
from cuadre.importers.auto import SOURCE_FILE, ImportBatch
from cuadre.model.tables import (
    BANK_LINES,
    FISCAL_DOCS,
    OPEN_ITEMS,
    PAYMENT_COMPLEMENTS,
    STATEMENTS,
    TableSchema,
)
from cuadre.workbook.template import template_sheet
from cuadre.workbook.writer import money_format
from cuadre.xl.sheets import (
    _column_for_excel,
    _kind,
    _money_overrides,
    _runs,
    _safe_text,
    _sheet,
    find_table,
    write_sheets,
)

__all__ = [
    "LANDED",
    "Formula",
    "Landing",
    "blank_row",
    "grid",
    "land",
    "plan_landing",
    "plan_landings",
]

LANDED = (BANK_LINES, STATEMENTS, OPEN_ITEMS, FISCAL_DOCS, PAYMENT_COMPLEMENTS)
"""The input tables an import writes rows to, in this order."""

REFUSED = ("TABLE_BLOCKED", "TABLE_HAS_TOTALS", "NO_TABLE")
"""Findings of a table that cannot take the rows: then no table is written."""


class Formula(str):
    """A cell's formula, told apart from text that merely starts with '='."""


@dataclass
class Landing:
    """What one input table will hold after the import, computed before anything is written."""

    schema: TableSchema
    table: xw.main.Table | None
    """None: the table (and its sheet) is added from the template."""
    header: list[str]
    rows: list[list[Any]]
    formats: dict[int, str]
    """Column -> number format, for the columns the import fills."""
    old_rows: int
    frame: pd.DataFrame
    added: int = 0
    """Rows written from this import."""
    updated: int = 0
    """Of them, rows of a file imported before, written over their old selves."""
    removed: int = 0
    """Rows of a re-imported file that are no longer in it."""
    skipped: int = 0
    """Imported rows already in the table from another file or typed: not added."""


def grid(rng: xw.Range, rows: int, cols: int, formulas: bool = False) -> list[list[Any]]:
    """A rows x cols block as a list of lists, whatever shape xlwings returns."""
    if rows <= 0:
        return []
    if formulas:
        raw: Any = rng.formula
    else:
        raw = rng.options(ndim=2, err_to_str=True).value
    if not isinstance(raw, list | tuple):
        raw = [[raw]]
    elif raw and not isinstance(raw[0], list | tuple):
        raw = [raw] if rows == 1 else [[v] for v in raw]
    out = [list(r)[:cols] + [None] * (cols - len(r)) for r in raw][:rows]
    return out + [[None] * cols for _ in range(rows - len(out))]


def blank_row(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def table_rows(table: xw.main.Table) -> tuple[list[list[Any]], list[list[Any]], int]:
    """The table's rows as values and as cells (a formula as :class:`Formula`), rows
    pasted right under it included (as :func:`cuadre.xl.sheets.read_input` reads them),
    and how many rows of the sheet that is."""
    sheet = table.parent
    rng = table.range
    top, left = rng.row, rng.column
    width = rng.shape[1]
    used = sheet.used_range
    end = max(top + rng.shape[0] - 1, used.row + used.shape[0] - 1)
    if table.show_totals:
        end = top + rng.shape[0] - 2
    n = end - top
    block = sheet.range((top + 1, left), (max(end, top + 1), left + width - 1))
    values = grid(block, n, width)
    texts = grid(block, n, width, formulas=True)
    body_end = rng.shape[0] - 1 - int(table.show_totals)
    last = len(values)
    for i in range(body_end, len(values)):  # below the table: up to the first blank row
        if blank_row(values[i]):
            last = i
            break
    held = last
    while held and blank_row(values[held - 1]) and blank_row(texts[held - 1]):
        held -= 1  # the empty row an empty Excel table keeps
    cells = [
        [
            Formula(f) if isinstance(f, str) and f.startswith("=") and f != v else v
            for v, f in zip(vr, fr, strict=True)
        ]
        for vr, fr in zip(values[:held], texts[:held], strict=True)
    ]
    return values[:held], cells, last


def key_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def calculated(cells: list[list[Any]], j: int) -> Formula | None:
    """The formula of a calculated column (every row the same formula, written with
    structured references such as ``=[@amount]*2``, or repeated on several rows), else None."""
    texts = {str(r[j]) for r in cells if isinstance(r[j], Formula)}
    if len(texts) != 1 or any(not isinstance(r[j], Formula) for r in cells):
        return None
    text = texts.pop()
    return Formula(text) if "[" in text or len(cells) > 1 else None


def plan_landing(
    book: xw.Book, schema: TableSchema, frame: pd.DataFrame, sources: set[str]
) -> tuple[Landing | None, list[Finding]]:
    """Where the imported rows of one table go, checked before anything is written."""
    label = book.name
    table = find_table(book, schema.name)
    columns = [*schema.names, *[c for c in frame.columns if c not in schema.names]]
    if table is None:
        if _sheet(book, schema.sheet) is not None:
            return None, [
                error(
                    Location(label, sheet=schema.sheet),
                    "NO_TABLE",
                    f"the {schema.sheet} sheet has no Excel table named {schema.name}; "
                    "Cuadre writes imported rows only into that table",
                    f"Make the rows a table (Insert > Table) named {schema.name}, or rename "
                    f"the sheet and import again (Cuadre then adds a {schema.sheet} sheet).",
                )
            ]
        return Landing(schema, None, columns, [], {}, 0, frame, added=len(frame)), []
    sheet = table.parent
    where = Location(label, table.range.row, table.range.column, sheet.name)
    if table.show_totals:
        return None, [
            error(
                where,
                "TABLE_HAS_TOTALS",
                f"the {schema.name} table has a totals row; imported rows go at its end",
                "Turn the totals row off (Table Design > Total Row) and import again.",
            )
        ]
    rng = table.range
    first = grid(
        sheet.range((rng.row, rng.column), (rng.row, rng.column + rng.shape[1] - 1)),
        1,
        rng.shape[1],
    )
    header = ["" if h is None else str(h) for h in first[0]]
    norm = {parsing.normalize_header(h): j for j, h in enumerate(header) if h}
    values, cells, old_rows = table_rows(table)
    new_names = [c for c in columns if parsing.normalize_header(c) not in norm]
    width = len(header) + len(new_names)
    full = header + new_names
    position = {parsing.normalize_header(c): j for j, c in enumerate(full)}
    src_j = position.get(SOURCE_FILE)
    # rows of a file imported again go; rows of other files and typed rows stay
    key_js = [position[parsing.normalize_header(k)] for k in schema.key]

    def key_of(row: list[Any]) -> tuple[str, ...]:
        padded = row + [None] * (width - len(row))
        return tuple(key_text(padded[j]) for j in key_js)

    gone = {
        i
        for i, row in enumerate(values)
        if src_j is not None
        and src_j < len(header)
        and any((t := key_text(row[src_j])) == s or t.startswith(s + "!") for s in sources)
    }
    keep = [i for i in range(len(values)) if i not in gone]
    kept_keys: dict[tuple[str, ...], int] = {}
    for i in keep:
        kept_keys.setdefault(key_of(values[i]), i)
    excel: dict[int, list[Any]] = {}
    formats: dict[int, str] = {}
    for name in columns:
        j = position[parsing.normalize_header(name)]
        excel[j], formats[j] = _column_for_excel(frame, name, _kind(schema, name))
    formulas = {j: calculated([cells[i] for i in keep], j) for j in range(len(header))}
    fresh: dict[tuple[str, ...], list[Any]] = {}  # by key, in the file's order
    unkeyed: list[list[Any]] = []
    skipped: list[tuple[int, str]] = []
    for r in range(len(frame)):
        row: list[Any] = [formulas.get(j) if j not in excel else excel[j][r] for j in range(width)]
        key = key_of(row)
        if any(key) and key in kept_keys:
            skipped.append((r, ", ".join(k for k in key if k)))
        elif any(key) and key not in fresh:
            fresh[key] = row
        else:
            unkeyed.append(row)
    # a re-imported row takes the place of its old self (same key) and keeps the cells of
    # the user's own columns (a note, a formula); the file's new rows go at the end
    rows: list[list[Any]] = []
    placed: set[tuple[str, ...]] = set()
    for i in range(len(values)):
        old = cells[i] + [None] * (width - len(cells[i]))
        if i not in gone:
            rows.append(old)
            continue
        key = key_of(values[i])
        if key in fresh and key not in placed:
            placed.add(key)
            rows.append(
                [fresh[key][j] if j in excel or j >= len(header) else old[j] for j in range(width)]
            )
    rows += [row for key, row in fresh.items() if key not in placed] + unkeyed
    landing = Landing(
        schema,
        table,
        full,
        rows,
        formats,
        old_rows,
        frame,
        added=len(fresh) + len(unkeyed),
        updated=len(placed),
        removed=len(gone) - len(placed),
        skipped=len(skipped),
    )
    findings: list[Finding] = []
    if skipped:
        first_row, first_key = skipped[0]
        existing = kept_keys[tuple(key_text(x) for x in (excel[j][first_row] for j in key_js))]
        findings.append(
            warning(
                Location(label, table.range.row + 1 + existing, None, sheet.name),
                "ALREADY_IN_TABLE",
                f"{len(skipped)} imported row(s) are already in the {schema.name} table from "
                f"another file or typed by hand (first: {first_key}); they were not added "
                "twice",
                f"To replace them, delete the old rows (filter the {SOURCE_FILE} column) and "
                "import again.",
            )
        )
    cover = blocked(sheet, table, len(header), width, old_rows, len(rows))
    if cover is not None:
        return None, [
            error(
                Location(label, cover[0], cover[1], sheet.name),
                "TABLE_BLOCKED",
                f"the {schema.name} table must grow to {len(rows):,} rows, but this cell "
                "next to it is not empty; Cuadre never writes over it",
                "Move what is below or right of the table elsewhere, and import again.",
            )
        ]
    return landing, findings


def blocked(
    sheet: xw.Sheet, table: xw.main.Table, width: int, new_width: int, old_rows: int, rows: int
) -> tuple[int, int] | None:
    """The first non-empty cell the grown table would cover, or None."""
    top, left = table.range.row, table.range.column
    blocks = []
    if rows > old_rows:
        blocks.append(((top + old_rows + 1, left), (top + rows, left + width - 1)))
    if new_width > width:
        blocks.append(((top, left + width), (top + max(rows, old_rows, 1), left + new_width - 1)))
    for first, last in blocks:
        cells = grid(sheet.range(first, last), last[0] - first[0] + 1, last[1] - first[1] + 1)
        for i, row in enumerate(cells):
            for j, v in enumerate(row):
                if not (v is None or (isinstance(v, str) and not v.strip())):
                    return first[0] + i, first[1] + j
    return None


def land(book: xw.Book, landing: Landing) -> None:
    """Write the planned rows: only the table's own cells change."""
    table = landing.table
    if table is None:
        spec = template_sheet(landing.schema.name)
        write_sheets(
            book, [replace(spec, frame=landing.frame[[*landing.header]], schema=spec.schema)]
        )
        return
    sheet = table.parent
    top, left = table.range.row, table.range.column
    n, width = len(landing.rows), len(landing.header)
    old_width = table.range.shape[1]
    if width > old_width:
        header = sheet.range((top, left + old_width), (top, left + width - 1))
        header.number_format = "@"
        header.value = [landing.header[old_width:]]
    currencies = None
    if "currency" in landing.header:
        cj = landing.header.index("currency")
        currencies = pd.DataFrame({"currency": [key_text(r[cj]) for r in landing.rows]})
    for j in range(width):
        column = [
            v if isinstance(v, Formula) else _safe_text(v) for v in (r[j] for r in landing.rows)
        ]
        if not n:
            continue
        fmt = landing.formats.get(j)
        if fmt is not None:
            formula_rows = [i for i, v in enumerate(column) if isinstance(v, Formula)]
            plain = sorted(set(range(n)) - set(formula_rows))
            for a, b in _runs(plain if fmt == "@" else list(range(n))):
                sheet.range((top + 1 + a, left + j), (top + 1 + b, left + j)).number_format = fmt
            if fmt.startswith("#,##0") and currencies is not None:
                for exp, at in _money_overrides(currencies.assign(v=0), "v").items():
                    for a, b in _runs(at):
                        sheet.range(
                            (top + 1 + a, left + j), (top + 1 + b, left + j)
                        ).number_format = money_format(exp)
        sheet.range((top + 1, left + j), (top + n, left + j)).options(transpose=True).value = column
    if landing.old_rows > n:
        sheet.range(
            (top + n + 1, left), (top + landing.old_rows, left + width - 1)
        ).clear_contents()
    table.resize(sheet.range((top, left), (top + max(n, 1), left + width - 1)))


def plan_landings(book: xw.Book, batch: ImportBatch) -> tuple[list[Landing], list[Finding]]:
    """The plans for every table of ``batch``, or none at all when one table cannot
    take its rows (:data:`REFUSED`); the findings say why."""
    findings: list[Finding] = []
    landings: list[Landing] = []
    sources = {s for s in batch.kinds if s not in batch.failed}
    for schema in LANDED:
        frame = batch.tables.get(schema.name)
        if frame is None:
            continue
        if not len(frame) and find_table(book, schema.name) is None:
            continue
        landing, more = plan_landing(book, schema, frame, sources)
        findings += more
        if landing is not None:
            landings.append(landing)
    if any(f.code in REFUSED for f in findings):
        landings = []  # all the tables or none: Bank and Statements belong together
    return landings, findings
