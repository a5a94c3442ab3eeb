"""Read and write contract tables as .csv or .xlsx files.

Reading never modifies the file and never raises on bad data: it returns the typed
table and every problem as a located :class:`~cuadre.findings.Finding`.

CSV: UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252 (reported); the field
separator (``,`` ``;`` tab ``|``) is taken from the header line; a ``;`` file is read as
decimal-comma unless its amounts say otherwise. XLSX/XLSM/XLS/ODS: read with
python-calamine (fast, typed cells: real dates stay dates); the sheet is the one given,
else one named after the table (``OpenItems``, ``open_items``), else the only or first
sheet. In both, the header row is the first of the first 30 rows that holds the table's
required columns, so title rows above a header are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cuadre import parsing
from cuadre.findings import Finding, Location, error, info, warning
from cuadre.io.atomic import write_bytes_atomic
from cuadre.model.convert import payments_from_bank_lines
from cuadre.model.tables import BANK_LINES, PAYMENTS, PROVENANCE, Kind, TableSchema
from cuadre.model.validate import RawTable, ReadOptions, coerce_table
from cuadre.money import minor_to_text

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
HEADER_SCAN_ROWS = 30


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_table(
    path: str | Path, schema: TableSchema, options: ReadOptions | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read ``path`` as ``schema``; returns (typed table, findings). See module doc."""
    options = options or ReadOptions()
    label = str(path)
    p = Path(path)
    if not p.exists():
        return _nothing(schema), [
            error(
                Location(label),
                "FILE_NOT_FOUND",
                f"{schema.name} file not found",
                "Check the path and the file name.",
            )
        ]
    if p.is_dir():
        return _nothing(schema), [
            error(Location(label), "NOT_A_FILE", "this is a folder, not a file", "Give a file.")
        ]
    if p.suffix.lower() in EXCEL_SUFFIXES:
        raw, findings = _load_workbook(p, label, schema, options)
    else:
        raw, findings = _load_csv(p, label, schema)
        if (
            raw is not None
            and raw.notes
            and any(n.code == "SEMICOLON_SEPARATED" for n in raw.notes)
        ):
            options = ReadOptions(
                options.decimal_separator, options.date_order, options.rounding, ",", options.sheet
            )
    if raw is None:
        return _nothing(schema), findings
    table, more = coerce_table(raw, schema, options)
    return table, findings + more


def read_payments(
    path: str | Path, options: ReadOptions | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read payments, or bank lines (their money-in lines become payments)."""
    table, findings = read_table(path, PAYMENTS, options)
    missing = [f for f in findings if f.code == "MISSING_COLUMN"]
    if missing and "line_id" in table.columns:
        lines, line_findings = read_table(path, BANK_LINES, options)
        if not any(f.code == "MISSING_COLUMN" for f in line_findings):
            return payments_from_bank_lines(lines), line_findings
    return table, findings


def _nothing(schema: TableSchema) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in [*schema.names, *PROVENANCE]})


def decode_text(data: bytes, label: str) -> tuple[str, list[Finding]]:
    """Bytes -> text: BOMs honoured, UTF-8 tried, then Windows-1252 (reported)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            return data.decode("utf-16", errors="replace"), [
                warning(
                    Location(label),
                    "ENCODING",
                    f"the file says it is UTF-16 but some bytes are not ({exc.reason}); "
                    "they were replaced by \ufffd",
                    "The file may be cut or damaged: export it again.",
                )
            ]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
            enc = "Windows-1252 (cp1252)"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            enc = "Latin-1"
        note = info(
            Location(label, line),
            "ENCODING",
            f"the file is not UTF-8 (first non-UTF-8 byte on line {line}); read as {enc}",
            "Save as 'CSV UTF-8' to be sure accents are read right.",
        )
        return text, [note]


SEPARATORS = ("|", "\t", ";", ",")
"""Field separators, in the order that wins a tie: the ones least likely to stand inside
a field first (``01/10/2026;1.234,56`` is two fields split by ``;``, not by ``,``)."""

SNIFF_LINES = 60
"""Non-empty lines (of the first 200) the separator is sniffed over."""


def sniff_separator(text: str | Sequence[str]) -> str:
    """The field separator of a delimited text (or of its given lines): the one that
    splits the most lines the same way, scored as (its most common count per line) x
    (lines with that count). Blank lines and lines of separators only (``;;;``) do not
    vote, nor do lines without it (title lines); ties go by ``SEPARATORS``; ``,`` when
    nothing splits. One line is the common case: the separator it has most of."""
    lines = text.splitlines()[:200] if isinstance(text, str) else text
    sample = [ln for ln in lines if ln.strip().strip(",;\t|")][:SNIFF_LINES]
    best, best_score = ",", 0
    for sep in SEPARATORS:
        counts = Counter(_count_outside_quotes(line, sep) for line in sample)
        counts.pop(0, None)
        if not counts:
            continue
        modal, lines_with = counts.most_common(1)[0]
        score = modal * lines_with
        if score > best_score:
            best, best_score = sep, score
    return best


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            count += 1
    return count


def _load_csv(p: Path, label: str, schema: TableSchema) -> tuple[RawTable | None, list[Finding]]:
    data = p.read_bytes()
    if not data.strip():
        return None, [
            error(Location(label), "EMPTY_FILE", "the file is empty", "Export the table again.")
        ]
    if data[:4] == b"PK\x03\x04":
        return None, [
            error(
                Location(label),
                "NOT_CSV",
                "this is a workbook (zip) file, not CSV text",
                "Name it .xlsx, or save it as CSV.",
            )
        ]
    text, findings = decode_text(data, label)
    sep = sniff_separator(text)
    notes: list[Finding] = []
    if sep == ";":
        notes.append(
            info(
                Location(label, 1),
                "SEMICOLON_SEPARATED",
                'fields are separated by ";" (the European CSV style)',
            )
        )
    try:
        frame = _parse_csv(text, sep)
    except csv.Error as exc:
        return None, [
            *findings,
            error(Location(label), "BAD_CSV", f"the CSV cannot be read: {exc}", "Save it again."),
        ]
    return _raw_from_frame(frame, label, None, schema, notes), findings


def _parse_csv(text: str, sep: str) -> pd.DataFrame:
    """All cells as text. pandas' C parser; the csv module for ragged files it refuses.

    Row numbers count records, as a spreadsheet shows them (a quoted value holding a line
    break is still one row)."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        width = max((len(r) for r in records), default=0)
        frame = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object)
    return frame.astype(object).fillna("")


def raw_from_grid(
    grid: Sequence[Sequence[object]],
    label: str,
    sheet: str | None,
    schema: TableSchema,
    notes: list[Finding],
    first_row: int = 1,
) -> RawTable:
    width = max((len(r) for r in grid), default=0)
    frame = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in grid], dtype=object)
    return _raw_from_frame(frame, label, sheet, schema, notes, first_row)


def _raw_from_frame(
    frame: pd.DataFrame,
    label: str,
    sheet: str | None,
    schema: TableSchema,
    notes: list[Finding],
    first_row: int = 1,
) -> RawTable:
    """Cells (no header yet) -> RawTable: header found, empty trailing columns dropped."""
    header_idx = _find_header(frame.head(HEADER_SCAN_ROWS).to_numpy().tolist(), schema)
    if header_idx is None:
        filled = frame.apply(lambda c: c.astype(str).str.strip().ne("")).any(axis=1)
        header_idx = int(np.argmax(filled.to_numpy())) if filled.any() else 0
    header = parsing.cell_text(frame.iloc[header_idx]).tolist() if len(frame) else []
    if header_idx > 0:
        notes.append(
            info(
                Location(label, first_row + header_idx, None, sheet),
                "HEADER_BELOW_TITLE",
                f"header row found at row {first_row + header_idx}; the {header_idx} rows above "
                "it were skipped",
            )
        )
    body = frame.iloc[header_idx + 1 :]

    def used(i: int) -> bool:
        return bool(len(body)) and bool(body.iloc[:, i].astype(str).str.strip().ne("").any())

    keep = [i for i, h in enumerate(header) if h.strip() or used(i)]
    names = [header[i] if header[i].strip() else f"column_{i + 1}" for i in keep]
    cells = body.iloc[:, keep].reset_index(drop=True)
    cells.columns = pd.Index(names, dtype=object)
    rows = np.arange(first_row + header_idx + 1, first_row + header_idx + 1 + len(body))
    return RawTable(cells, rows, first_row + header_idx, [i + 1 for i in keep], label, sheet, notes)


def _nonblank(v: object) -> bool:
    return not (v is None or (isinstance(v, str) and not v.strip()))


def _find_header(grid: Sequence[Sequence[object]], schema: TableSchema) -> int | None:
    """The first row holding all required columns, else the one holding most; None when
    no row of the first ``HEADER_SCAN_ROWS`` holds any."""
    wanted = set(schema.required)
    best, best_hits = None, 0
    for idx, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        names = {parsing.normalize_header(c) for c in row if isinstance(c, str)}
        hits = len(wanted & names)
        if hits == len(wanted):
            return idx
        if hits > best_hits:
            best, best_hits = idx, hits
    return best


def _load_workbook(
    p: Path, label: str, schema: TableSchema, options: ReadOptions
) -> tuple[RawTable | None, list[Finding]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # calamine raises several types for broken files
        return None, [
            error(
                Location(label),
                "BAD_WORKBOOK",
                f"the workbook cannot be opened ({type(exc).__name__}: {exc})",
                "Open it in Excel and save it again as .xlsx; close it if it is password protected.",
            )
        ]
    names = list(wb.sheet_names)
    sheet = _pick_sheet(names, schema, options.sheet)
    if sheet is None:
        return None, [
            error(
                Location(label),
                "SHEET_NOT_FOUND",
                f'sheet "{options.sheet}" not found; the workbook has: {", ".join(names)}',
                "Give one of those sheet names.",
            )
        ]
    grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not any(any(_nonblank(c) for c in r) for r in grid):
        return None, [
            error(
                Location(label, None, None, sheet),
                "EMPTY_SHEET",
                f'sheet "{sheet}" is empty',
                "Paste the table with its header row.",
            )
        ]
    return raw_from_grid(grid, label, sheet, schema, []), []


def _pick_sheet(names: list[str], schema: TableSchema, wanted: str | None) -> str | None:
    if wanted:
        for n in names:
            if n == wanted or n.casefold() == wanted.casefold():
                return n
        return None
    targets = {parsing.normalize_header(schema.sheet), schema.name}
    for n in names:
        if parsing.normalize_header(n).replace("_", "") in {t.replace("_", "") for t in targets}:
            return n
    return names[0] if names else None


# --------------------------------------------------------------------------- writing


def to_csv_frame(df: pd.DataFrame, schema: TableSchema | None) -> pd.DataFrame:
    """Engine table -> text columns as the contract writes them in CSV."""
    out = pd.DataFrame(index=df.index)
    kinds = {c.name: c for c in schema.columns} if schema else {}
    for name in df.columns:
        if name in PROVENANCE:
            continue
        s = df[name]
        col = kinds.get(name)
        if col is not None and col.kind == Kind.MONEY:
            cur = (
                df[col.currency_column]
                if col.currency_column in df
                else pd.Series("", index=df.index)
            )
            out[name] = minor_to_text(s, cur)
        elif (col is not None and col.kind == Kind.DATE) or pd.api.types.is_datetime64_any_dtype(s):
            out[name] = pd.to_datetime(s).dt.strftime("%Y-%m-%d").fillna("")
        elif col is not None and col.kind == Kind.RATIO:
            out[name] = s.map(lambda v: "" if pd.isna(v) else f"{float(v):.4f}")
        else:
            out[name] = s.astype(object).where(s.notna(), "").astype(str)
    return out


def write_table(df: pd.DataFrame, path: str | Path, schema: TableSchema | None = None) -> None:
    """Write an engine table to .csv (UTF-8 with BOM, so Excel shows accents) or .xlsx,
    atomically."""
    p = Path(path)
    if p.suffix.lower() in EXCEL_SUFFIXES:
        from cuadre.workbook.writer import SheetSpec, write_workbook

        name = schema.sheet if schema else p.stem[:31]
        table = schema.name if schema else "table1"
        cols = [c for c in df.columns if c not in PROVENANCE]
        write_workbook(p, [SheetSpec(name=name, table_name=table, frame=df[cols], schema=schema)])
        return
    text = to_csv_frame(df, schema).to_csv(index=False, lineterminator="\n")
    write_bytes_atomic(p, b"\xef\xbb\xbf" + text.encode("utf-8"))
