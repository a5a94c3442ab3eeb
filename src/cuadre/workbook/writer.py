"""Formatted workbooks: engine tables written as Excel tables an accountant can read.

Each sheet has the same shape: a title, one line saying what the sheet is and what to do
with it, a block of control figures (label in column A, value in B, currency in C; check
rows show a green ``OK`` or a red ``DIFFERENCE``), free notes, one blank row and then an
Excel table (ListObject) named after the contract table (``allocations``, ``aging``...)
so that formulas, Power Query and the ribbon scripts can address it by name.

Number formats follow the column's :class:`~cuadre.model.tables.Kind`. Money leaves the
engine as integer minor units and is converted here, once, to the double Excel stores
(:func:`cuadre.money.minor_to_float`), each row formatted with its currency's decimals
(MXN 2, JPY 0, KWD 3). Totals rows use ``SUBTOTAL(109, ...)`` so that a filtered table
(one currency, one customer) totals only what is visible.

Text is hostile until proven otherwise: every text cell is written with
``write_string``, never ``write``, so a payer name such as ``=HYPERLINK(...)`` or a
remittance starting with ``+``, ``-`` or ``@`` stays a literal string and is never
evaluated (OWASP "CSV/formula injection"). Live formulas only come from the code, through
``ControlRow.formula``, with the value computed in Python cached beside them so that
readers without a calculation engine (openpyxl ``data_only=True``, previews, the
``cuadre`` command line) see the same figures as Excel.

Pictures (charts drawn by :mod:`cuadre.charts`, as PNG) sit in a band between the
control block and the table, side by side from column A and wrapping after
:data:`BAND_WIDTH_PX`; the table starts below the band, so a picture never covers a
figure. :func:`picture_layout` computes the places once for both writers (this one and
:func:`cuadre.xl.sheets.write_sheets`), in pixels of a default-height row (20 px) from
an anchor cell, so Excel, xlsxwriter and the headless engine put them in the same spot.
Each picture has a name (the add-in replaces it by name on a re-run) and alt text.

The file is written atomically (:func:`cuadre.io.atomic.write_atomic`): a failure leaves
an existing workbook untouched. ``constant_memory`` is not used because xlsxwriter does
not support tables in that mode; speed comes from converting whole columns at once and
from a worksheet subclass that stores and serialises plain cells in bulk
(``_FastWorksheet``): 100,000 rows x 12 columns take about 7 s on a slow 2-core machine,
against 12 s through xlsxwriter's per-cell API. The output is the same XML either way.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet as _xlsx_worksheet
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from cuadre.io.atomic import write_atomic
from cuadre.model.tables import Kind, TableSchema
from cuadre.money import UnknownCurrencyError, exponent, exponents_for, minor_to_float

__all__ = [
    "DATE_FORMAT",
    "TEXT_FORMAT",
    "ControlRow",
    "Picture",
    "PicturePlacement",
    "SheetSpec",
    "column_ref",
    "money_format",
    "picture_layout",
    "png_size",
    "write_workbook",
]

DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
INT_FORMAT = "0"
RATIO_FORMAT = "0.00"
TABLE_STYLE = "Table Style Medium 2"
DEFAULT_EXPONENT = 2
"""Decimals used for money when a row's currency is unknown or the frame has none."""

TAB_COLOURS = {"input": "#2F75B5", "output": "#548235", "info": "#7F7F7F"}
SHEET_KINDS = frozenset(TAB_COLOURS)

MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
LABEL_MAX_WIDTH = 45.0

_EXCEL_MAX_ROWS = 1_048_576
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Excel's serial numbers count 1900-02-29, which never existed; from 1900-03-01 on, a
# serial is the day count since 1899-12-30. Earlier dates are written as ISO text.
_FIRST_SAFE_DATE = pd.Timestamp("1900-03-01")
_DATE_TYPES = (dt.date, np.datetime64)

_PROPERTY_KEYS = frozenset(
    {
        "title",
        "subject",
        "author",
        "manager",
        "company",
        "category",
        "keywords",
        "comments",
        "status",
        "hyperlink_base",
        "created",
    }
)


@dataclass(frozen=True)
class ControlRow:
    """One control figure above a table: a label and its value (optionally live).

    ``value`` is what Python computed. With ``currency``, an ``int`` is minor units
    (``150050, "MXN"`` shows ``1,500.50`` and ``MXN`` beside it); a ``Decimal`` or
    ``float`` is already in major units. With ``formula``, the cell holds the live
    formula and ``value`` as its cached result. With ``check``, ``True``/``"OK"`` shows
    a green ``OK`` and anything else a red ``DIFFERENCE`` (or the given text).
    """

    label: str
    value: object
    formula: str | None = None
    currency: str | None = None
    check: bool = False


@dataclass(frozen=True)
class Picture:
    """A picture on a sheet (a chart drawn as PNG by :mod:`cuadre.charts`).

    ``name`` is the picture's name in Excel, unique on its sheet (a re-run of the add-in
    replaces the picture of that name); ``description`` is its alt text (what a screen
    reader says; default the name). ``anchor`` is the cell of its top-left corner
    (``"H2"``); by default pictures go side by side in a band under the controls.
    ``width``/``height`` are the size shown, in pixels at 100 % zoom; by default the
    image's own size at its resolution (a 110 dpi PNG shows at 96/110 of its pixels, as
    Excel shows it); one of them alone keeps the aspect ratio.
    """

    name: str
    png: bytes
    description: str = ""
    anchor: str | None = None
    width: int | None = None
    height: int | None = None

    def __repr__(self) -> str:  # not the bytes
        return f"Picture({self.name!r}, {len(self.png):,} bytes, anchor={self.anchor!r})"


@dataclass(frozen=True)
class PicturePlacement:
    """Where :func:`picture_layout` puts a picture: ``row``/``col`` (0-based) of the anchor
    cell, offsets and size in pixels (20 px per default row, 96 dpi)."""

    picture: Picture
    row: int
    col: int
    x_offset: int
    y_offset: int
    width: int
    height: int


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: title, subtitle, controls, notes, pictures and the table itself.

    ``kind`` is ``input`` (blue tab), ``output`` (green) or ``info`` (grey). ``totals``
    names the columns summed in the table's totals row; ``column_widths`` overrides the
    fitted width of the named columns. ``pictures`` go between the controls and the
    table (see :func:`picture_layout`).
    """

    name: str
    table_name: str
    frame: pd.DataFrame
    schema: TableSchema | None = None
    title: str = ""
    subtitle: str = ""
    kind: str = "output"
    totals: tuple[str, ...] = ()
    controls: tuple[ControlRow, ...] = ()
    column_widths: dict[str, float] | None = None
    notes: tuple[str, ...] = ()
    pictures: tuple[Picture, ...] = ()


# --------------------------------------------------------------------------- pictures

ROW_PX = 20
"""Height of a default row (15 pt) in pixels at 96 dpi: the unit of the layout."""
PX_PER_PT = 4 / 3
GAP_PX = 16
BAND_WIDTH_PX = 1300
"""Pictures wrap to a new line of the band beyond this width (about a laptop screen)."""
SCREEN_DPI = 96.0

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ANCHOR = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})$")


def png_size(png: bytes) -> tuple[int, int, float, float]:
    """``(width_px, height_px, x_dpi, y_dpi)`` of a PNG, read from its header (IHDR,
    pHYs). The resolution is 96 dpi when the file does not give one. Raises
    ``ValueError`` for bytes that are not a PNG."""
    if not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("picture data is not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    x_dpi = y_dpi = SCREEN_DPI
    at = 8
    while at + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        if kind == b"pHYs" and length == 9:
            x_ppu, y_ppu, unit = struct.unpack(">IIB", png[at + 8 : at + 17])
            if unit == 1 and x_ppu and y_ppu:  # pixels per metre
                x_dpi, y_dpi = x_ppu * 0.0254, y_ppu * 0.0254
            break
        if kind in (b"IDAT", b"IEND"):
            break
        at += 12 + length
    return int(width), int(height), x_dpi, y_dpi


def _display_size(picture: Picture) -> tuple[int, int]:
    """The size a picture is shown at, in pixels (see :class:`Picture`)."""
    w, h, x_dpi, y_dpi = png_size(picture.png)
    native_w, native_h = w * SCREEN_DPI / x_dpi, h * SCREEN_DPI / y_dpi
    if picture.width and picture.height:
        return int(picture.width), int(picture.height)
    if picture.width:
        return int(picture.width), max(1, round(native_h * picture.width / native_w))
    if picture.height:
        return max(1, round(native_w * picture.height / native_h)), int(picture.height)
    return max(1, round(native_w)), max(1, round(native_h))


def _anchor_cell(anchor: str) -> tuple[int, int]:
    match = _ANCHOR.match(anchor.strip())
    if match is None:
        raise ValueError(f'picture anchor must be a cell such as "H2", not {anchor!r}')
    letters, digits = match.groups()
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


def _rows_for(px: int) -> int:
    return -(-px // ROW_PX)


def picture_layout(
    pictures: Sequence[Picture], next_free_row: int
) -> tuple[list[PicturePlacement], int]:
    """Place ``pictures`` under the controls; return the places and the table's header row.

    ``next_free_row`` (0-based) is the first row after the title, controls and notes.
    Pictures without an anchor go side by side from column A, one blank row below
    ``next_free_row``, wrapping to a new line past :data:`BAND_WIDTH_PX`; the table's
    header goes one blank row below the lowest picture, anchored ones included, so that
    no picture covers the table. Without pictures the header row is ``next_free_row + 1``.
    """
    header = next_free_row + 1
    if not pictures:
        return [], header
    names = [p.name.lower() for p in pictures]
    repeated = sorted({p.name for p in pictures if names.count(p.name.lower()) > 1})
    if repeated:
        raise ValueError(f"picture names must be unique on a sheet; repeated: {repeated}")
    top = next_free_row + 1
    placements: list[PicturePlacement] = []
    x = y = line_height = 0
    lowest = header
    for picture in pictures:
        width, height = _display_size(picture)
        if picture.anchor:
            row, col = _anchor_cell(picture.anchor)
            placements.append(PicturePlacement(picture, row, col, 0, 0, width, height))
            lowest = max(lowest, row + _rows_for(height) + 1)
            continue
        if x and x + width > BAND_WIDTH_PX:
            x, y, line_height = 0, y + line_height + GAP_PX, 0
        placements.append(PicturePlacement(picture, top, 0, x, y, width, height))
        x += width + GAP_PX
        line_height = max(line_height, height)
        lowest = max(lowest, top + _rows_for(y + height) + 1)
    return placements, lowest


def money_format(exp: int) -> str:
    """Excel number format for money with ``exp`` decimals, negatives in red."""
    body = "#,##0" if exp <= 0 else "#,##0." + "0" * exp
    return f"{body};[Red]-{body}"


_SPECIAL_IN_REFS = frozenset(" \t\n\r,:.[]#'\"{}$^&*+=-<>/")


def column_ref(table: str, column: str) -> str:
    """Structured reference to a table column, valid whatever the header holds.

    ``column_ref("aging", "1-30")`` is ``aging[[1-30]]``: Excel needs the inner brackets
    when a header holds a special character (``-``, ``+``, space...) and an apostrophe
    before ``[``, ``]``, ``#`` and ``'``. The table name is always given, as Excel itself
    stores it and as LibreOffice requires.
    """
    escaped = "".join("'" + ch if ch in "[]#'" else ch for ch in column)
    if any(ch in _SPECIAL_IN_REFS for ch in column):
        escaped = f"[{escaped}]"
    return f"{table}[{escaped}]"


def _currency_exponent(currency: str | None) -> int:
    if not currency:
        return DEFAULT_EXPONENT
    try:
        return exponent(currency)
    except UnknownCurrencyError:
        return DEFAULT_EXPONENT


class _Formats:
    """Workbook formats, created once each and shared by every sheet."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def get(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._workbook.add_format(props)
            self._cache[key] = fmt
        return fmt

    def money(self, exp: int) -> Format:
        return self.get(num_format=money_format(exp))

    @property
    def general(self) -> Format:
        return self.get(num_format="General")

    @property
    def text(self) -> Format:
        return self.get(num_format=TEXT_FORMAT)

    @property
    def date(self) -> Format:
        return self.get(num_format=DATE_FORMAT)

    @property
    def title(self) -> Format:
        return self.get(bold=True, font_size=14)

    @property
    def subtitle(self) -> Format:
        return self.get(italic=True, font_color="#595959")

    @property
    def label(self) -> Format:
        return self.get(num_format=TEXT_FORMAT)

    @property
    def note(self) -> Format:
        return self.get(italic=True, font_color="#595959", num_format=TEXT_FORMAT)

    @property
    def ok(self) -> Format:
        return self.get(bold=True, font_color="#006100", bg_color="#C6EFCE")

    @property
    def difference(self) -> Format:
        return self.get(bold=True, font_color="#9C0006", bg_color="#FFC7CE")

    def for_kind(self, kind: Kind | None) -> Format | None:
        """The column-level format: what a row typed or pasted into the table gets."""
        if kind is Kind.MONEY:
            return self.money(DEFAULT_EXPONENT)
        if kind is Kind.DATE:
            return self.date
        if kind is Kind.INT:
            return self.get(num_format=INT_FORMAT)
        if kind is Kind.RATIO:
            return self.get(num_format=RATIO_FORMAT)
        if kind in (Kind.TEXT, Kind.ENUM, Kind.CURRENCY):
            return self.text
        return None


# --------------------------------------------------------------------------- cells


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.floating):
        return bool(np.isnan(value))
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def _to_text(value: object) -> str:
    """Text for a non-string value found in a text column (``7`` not ``7.0``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp | dt.datetime) and value == value.replace(
        hour=0, minute=0, second=0, microsecond=0
    ):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _date_serial(value: object) -> float | None:
    """Excel serial number of a date, or ``None`` when Excel cannot hold it as a date."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if ts < _FIRST_SAFE_DATE or ts.year > 9999:
        return None
    return float((ts - _EXCEL_EPOCH) / pd.Timedelta(days=1))


def _write_value(ws: Worksheet, row: int, col: int, value: object, fmts: _Formats) -> None:
    """Write one value of unknown type: text stays text, numbers stay numbers.

    Every cell gets an explicit format, so that it never inherits the column's (a count
    written above a date column must not show as a date).
    """
    if _is_missing(value):
        return
    if isinstance(value, str):
        if value:
            ws.write_string(row, col, value, fmts.text)
    elif isinstance(value, bool | np.bool_):
        ws.write_boolean(row, col, bool(value), fmts.general)
    elif isinstance(value, int | np.integer):
        ws.write_number(row, col, int(value), fmts.general)
    elif isinstance(value, float | np.floating | Decimal):
        number = float(value)
        if math.isfinite(number):
            ws.write_number(row, col, number, fmts.general)
        else:
            ws.write_string(row, col, str(value), fmts.text)
    elif isinstance(value, _DATE_TYPES):
        serial = _date_serial(value)
        if serial is None:
            ws.write_string(row, col, _to_text(value), fmts.text)
        else:
            ws.write_number(row, col, serial, fmts.date)
    else:
        ws.write_string(row, col, _to_text(value), fmts.text)


def _write_mixed(
    ws: Worksheet, first_row: int, col: int, values: pd.Series, fmts: _Formats
) -> None:
    for i, value in enumerate(values.tolist()):
        _write_value(ws, first_row + i, col, value, fmts)


def _write_text(ws: Worksheet, first_row: int, col: int, values: pd.Series, fmt: Format) -> None:
    """Write a text column with ``write_string`` (never evaluated); empty cells stay empty."""
    rows: list[int]
    texts: list[str]
    if isinstance(values.dtype, pd.StringDtype):
        present = (values.notna() & (values != "")).to_numpy(dtype=bool)
        rows = np.flatnonzero(present).tolist()
        texts = values[present].tolist()
    else:
        rows = []
        texts = []
        for i, value in enumerate(values.tolist()):
            if value.__class__ is str:
                if value:
                    rows.append(i)
                    texts.append(value)
            elif not _is_missing(value):
                rows.append(i)
                texts.append(_to_text(value))
    if isinstance(ws, _FastWorksheet):
        ws.put_strings(first_row, col, rows, texts, fmt)
    else:
        write = ws.write_string
        for i, text in zip(rows, texts, strict=True):
            write(first_row + i, col, text, fmt)


def _write_numbers(
    ws: Worksheet,
    first_row: int,
    col: int,
    numbers: np.ndarray,
    fmt: Format | None,
    rows: np.ndarray | None = None,
) -> None:
    """Write the finite entries of ``numbers`` (float64); NaN cells stay empty."""
    if rows is None:
        rows = np.flatnonzero(np.isfinite(numbers))
    if isinstance(ws, _FastWorksheet):
        ws.put_numbers(first_row, col, rows.tolist(), numbers[rows].tolist(), fmt)
        return
    write = ws.write_number
    for i, number in zip(rows.tolist(), numbers[rows].tolist(), strict=True):
        write(first_row + i, col, number, fmt)


class _FastWorksheet(Worksheet):
    """A worksheet that stores and serialises plain cells in bulk.

    xlsxwriter spends most of a large write in per-cell bookkeeping (argument
    conversion, bounds checks) and in building the XML of each cell through generic
    attribute lists. Table data is plain: strings and numbers with a format. This class
    stores such columns directly in xlsxwriter's cell table, with one bounds check per
    column, and writes their ``<c>`` elements with one formatted string each; everything
    else goes through xlsxwriter unchanged. It relies on xlsxwriter's cell tuples
    (stable since 1.0); when they are missing the writer falls back to the public API.
    """

    def put_strings(
        self, first_row: int, col: int, rows: list[int], texts: list[str], fmt: Format
    ) -> None:
        if not rows:
            return
        self._check_dimensions(first_row + rows[0], col)
        self._check_dimensions(first_row + rows[-1], col)
        table = self.table
        index = self.str_table._get_shared_string_index
        half = self.xls_strmax // 2
        cell = _STRING_CELL
        long_texts = []
        for i, text in zip(rows, texts, strict=True):
            if len(text) > half:
                long_texts.append((i, text))
            else:
                table[first_row + i][col] = cell(index(text), fmt)
        for i, text in long_texts:
            self._write_string(first_row + i, col, text, fmt)  # truncates at 32,767

    def put_numbers(
        self, first_row: int, col: int, rows: list[int], numbers: list[float], fmt: Format | None
    ) -> None:
        if not rows:
            return
        self._check_dimensions(first_row + rows[0], col)
        self._check_dimensions(first_row + rows[-1], col)
        table = self.table
        cell = _NUMBER_CELL
        for i, number in zip(rows, numbers, strict=True):
            table[first_row + i][col] = cell(number, fmt)

    def _calculate_spans(self) -> None:
        # Row spans are an optional hint (xlsxwriter omits them in constant_memory
        # mode too); computing them walks every cell once more.
        no_spans: dict[int, str] = {}
        self.row_spans = no_spans

    def _write_rows(self) -> None:
        # Same output as Worksheet._write_rows, minus spans, with the plain cells of a
        # plain row (no height, format or outline) serialised in one write.
        table = self.table
        row_info = self.row_info
        comments = self.comments
        write = self.fh.write
        string_cell = _STRING_CELL
        number_cell = _NUMBER_CELL
        plain_rows = (
            self.excel_version != 2010 and self.default_row_height == self.original_row_height
        )
        names = [xl_col_to_name(c) for c in range(self.dim_colmax + 1)]
        # '<c r="B' + row + '" s="7" t="s"><v>' per (column, format, type), built once.
        heads: dict[tuple[int, Format, bool], tuple[str, str]] = {}
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            if not cells:
                if row_num in comments or row_num in row_info:
                    self._write_empty_row(row_num, None, row_info.get(row_num))
                continue
            if plain_rows and row_num not in row_info:
                parts = [f'<row r="{row_num + 1}">']
            else:
                self._write_row(row_num, None, row_info.get(row_num))
                parts = []
            number = str(row_num + 1)
            for col_num in sorted(cells):
                cell = cells[col_num]
                kind = cell.__class__
                fmt = cell.format
                if fmt is not None and (kind is string_cell or kind is number_cell):
                    is_string = kind is string_cell
                    head = heads.get((col_num, fmt, is_string))
                    if head is None:
                        xf = fmt._get_xf_index()
                        tag = ' t="s"' if is_string else ""
                        head = (f'<c r="{names[col_num]}', f'" s="{xf}"{tag}><v>')
                        heads[(col_num, fmt, is_string)] = head
                    value = str(cell.string) if is_string else f"{cell.number:.16G}"
                    parts.append(f"{head[0]}{number}{head[1]}{value}</v></c>")
                else:
                    write("".join(parts))
                    parts.clear()
                    self._write_cell(row_num, col_num, cell)
            parts.append("</row>")
            write("".join(parts))
        table.clear()


_STRING_CELL: Any = getattr(_xlsx_worksheet, "CellStringTuple", None)
_NUMBER_CELL: Any = getattr(_xlsx_worksheet, "CellNumberTuple", None)
FAST_CELLS = _STRING_CELL is not None and _NUMBER_CELL is not None
"""Whether the bulk cell path is available (else every cell goes through the public API)."""


def _numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values of a column and the mask of non-missing cells that are not numbers."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(len(series), np.nan), series.notna().to_numpy()
    numbers = pd.to_numeric(series, errors="coerce")
    floats = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    rejected = (series.notna() & numbers.isna()).to_numpy(dtype=bool)
    return floats, rejected


def _currencies(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    return pd.Series([""] * len(frame), index=frame.index, dtype=object)


def _money_parts(
    frame: pd.DataFrame, name: str, currency_column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Series]:
    """Floats to write, each row's exponent, the non-numeric mask and the integer units."""
    series = frame[name]
    units = pd.to_numeric(series, errors="coerce")
    rejected = (series.notna() & units.isna()).to_numpy(dtype=bool)
    currencies = _currencies(frame, currency_column)
    floats = minor_to_float(units, currencies).to_numpy(dtype=np.float64, na_value=np.nan)
    exps = exponents_for(currencies).fillna(DEFAULT_EXPONENT).to_numpy(dtype=np.int64)
    return floats, exps, rejected, units


def _money_total(units: pd.Series, exps: np.ndarray) -> float:
    """Exact sum of minor units of mixed exponents, as the double Excel would show."""
    total = Decimal(0)
    valid = units.notna().to_numpy()
    for exp in np.unique(exps[valid]).tolist():
        part = units[valid & (exps == exp)]
        if pd.api.types.is_integer_dtype(part.dtype):
            units_sum = Decimal(int(part.sum()))
        else:
            units_sum = sum((Decimal(repr(float(v))) for v in part.tolist()), Decimal(0))
        total += units_sum.scaleb(-int(exp))
    return float(total)


def _text_width(series: pd.Series) -> float:
    if series.empty:
        return 0.0
    if isinstance(series.dtype, pd.StringDtype):
        longest = series.str.len().max()
        return 0.0 if pd.isna(longest) else float(longest)
    lengths = series.map(lambda v: 0 if _is_missing(v) else len(_to_text(v)))
    return float(lengths.max())


def _number_width(numbers: np.ndarray, decimals: int, thousands: bool) -> float:
    finite = numbers[np.isfinite(numbers)]
    if finite.size == 0:
        return 0.0
    widest = float(np.max(np.abs(finite)))
    text = f"{widest:,.{decimals}f}" if thousands else f"{widest:.{decimals}f}"
    return float(len(text) + (1 if (finite < 0).any() else 0))


# --------------------------------------------------------------------------- columns


@dataclass
class _Column:
    name: str
    kind: Kind | None
    column_format: Format | None
    width: float
    total_format: Format | None
    total_value: float


def _kind_of(schema: TableSchema | None, name: str) -> Kind | None:
    if schema is None:
        return None
    try:
        return schema.column(name).kind
    except KeyError:
        return None


def _write_column(
    ws: Worksheet,
    frame: pd.DataFrame,
    name: str,
    col: int,
    first_row: int,
    schema: TableSchema | None,
    fmts: _Formats,
) -> _Column:
    """Write one data column; return what the table and the layout need to know."""
    series = frame[name]
    kind = _kind_of(schema, name)
    width = 0.0
    total_value = 0.0
    total_format: Format | None = None
    column_format = fmts.for_kind(kind)

    if kind is Kind.MONEY:
        currency_column = schema.column(name).currency_column if schema else "currency"
        floats, exps, rejected, units = _money_parts(frame, name, currency_column)
        finite = np.isfinite(floats)
        for exp in np.unique(exps[finite]).tolist():
            rows = np.flatnonzero(finite & (exps == exp))
            _write_numbers(ws, first_row, col, floats, fmts.money(int(exp)), rows)
            width = max(width, _number_width(floats[rows], max(int(exp), 0), thousands=True))
        if rejected.any():
            _write_mixed(ws, first_row, col, series.where(rejected), fmts)
            width = max(width, _text_width(series[rejected]))
        total_value = _money_total(units, exps)
        total_format = fmts.money(DEFAULT_EXPONENT)
    elif kind is Kind.DATE or (kind is None and pd.api.types.is_datetime64_any_dtype(series)):
        if pd.api.types.is_datetime64_any_dtype(series):
            stamps = series.dt.tz_localize(None) if series.dt.tz is not None else series
            serials = ((stamps - _EXCEL_EPOCH) / pd.Timedelta(days=1)).to_numpy(
                dtype=np.float64, na_value=np.nan, copy=True
            )
            early = (
                stamps.notna() & ((stamps < _FIRST_SAFE_DATE) | (stamps.dt.year > 9999))
            ).to_numpy(dtype=bool)
            serials[early] = np.nan
            _write_numbers(ws, first_row, col, serials, fmts.date)
            if early.any():
                _write_text(ws, first_row, col, stamps.where(early).astype(object), fmts.text)
            width = 10.0
        else:
            _write_mixed(ws, first_row, col, series, fmts)
            width = _text_width(series)
        column_format = fmts.date
    elif kind in (Kind.INT, Kind.RATIO) or (
        kind is None
        and pd.api.types.is_numeric_dtype(series.dtype)
        and not pd.api.types.is_bool_dtype(series.dtype)
    ):
        floats, rejected = _numeric(series)
        fmt = column_format if kind is not None else fmts.general
        _write_numbers(ws, first_row, col, floats, fmt)
        decimals = 2 if kind is Kind.RATIO else 0
        if kind is None and not np.all(np.mod(floats[np.isfinite(floats)], 1) == 0):
            decimals = 4
        width = _number_width(floats, decimals, thousands=False)
        if rejected.any():
            _write_mixed(ws, first_row, col, series.where(rejected), fmts)
            width = max(width, _text_width(series[rejected]))
        finite = floats[np.isfinite(floats)]
        total_value = float(finite.sum()) if finite.size else 0.0
        total_format = fmt
    elif kind in (Kind.TEXT, Kind.ENUM, Kind.CURRENCY):
        _write_text(ws, first_row, col, series, fmts.text)
        width = _text_width(series)
    else:
        # Not in the schema: text stays text, numbers stay numbers.
        if isinstance(series.dtype, pd.StringDtype):
            _write_text(ws, first_row, col, series, fmts.text)
        else:
            _write_mixed(ws, first_row, col, series, fmts)
        width = _text_width(series)

    return _Column(str(name), kind, column_format, width, total_format, total_value)


def _fit(header: str, content: float) -> float:
    # +3 leaves room for the table's filter button next to the header.
    return float(min(max(len(header) + 3.0, content + 2.0, MIN_WIDTH), MAX_WIDTH))


# --------------------------------------------------------------------------- sheets


def _write_control(ws: Worksheet, row: int, control: ControlRow, fmts: _Formats) -> float:
    """Write one control row; return the width its value needs."""
    ws.write_string(row, 0, control.label, fmts.label)
    value = control.value
    formula = control.formula
    cell = xl_rowcol_to_cell(row, 1)

    if control.check:
        if isinstance(value, bool | np.bool_):
            text = "OK" if value else "DIFFERENCE"
        else:
            text = "" if _is_missing(value) else str(value)
        style = fmts.ok if text == "OK" else fmts.difference
        if formula:
            ws.write_formula(row, 1, formula, style, text)
            # The cached value is Python's; after a recalculation Excel's own result
            # must still show green or red.
            ws.conditional_format(
                cell,
                {"type": "cell", "criteria": "==", "value": '"OK"', "format": fmts.ok},
            )
            ws.conditional_format(
                cell,
                {
                    "type": "cell",
                    "criteria": "!=",
                    "value": '"OK"',
                    "format": fmts.difference,
                },
            )
        else:
            ws.write_string(row, 1, text, style)
        return float(len(text))

    number: float | None = None
    fmt: Format | None = None
    if control.currency is not None and not isinstance(value, bool) and not _is_missing(value):
        exp = _currency_exponent(control.currency)
        if isinstance(value, int | np.integer):
            number = float(Decimal(int(value)).scaleb(-exp))
        elif isinstance(value, float | np.floating | Decimal):
            number = float(value)
        fmt = fmts.money(exp)
        ws.write_string(row, 2, control.currency, fmts.text)
        if number is not None:
            width = len(f"{abs(number):,.{max(exp, 0)}f}") + (1 if number < 0 else 0)
            if formula:
                ws.write_formula(row, 1, formula, fmt, number)
            else:
                ws.write_number(row, 1, number, fmt)
            return float(width)

    if formula:
        if fmt is None:
            fmt = fmts.general
        cached: object
        if _is_missing(value):
            cached = ""
        elif isinstance(value, bool | np.bool_):
            cached = bool(value)
        elif isinstance(value, int | float | Decimal | np.integer | np.floating):
            cached = float(value)
        elif isinstance(value, _DATE_TYPES):
            serial = _date_serial(value)
            cached = serial if serial is not None else _to_text(value)
            fmt = fmts.date if serial is not None else fmts.general
        else:
            cached = str(value)
        ws.write_formula(row, 1, formula, fmt, cached)
    else:
        _write_value(ws, row, 1, value, fmts)
    return 0.0 if _is_missing(value) else float(len(_to_text(value)))


def _check_spec(spec: SheetSpec) -> None:
    if spec.kind not in SHEET_KINDS:
        raise ValueError(
            f"sheet {spec.name!r}: kind must be one of {sorted(SHEET_KINDS)}, got {spec.kind!r}"
        )
    if len(spec.frame.columns) == 0:
        raise ValueError(f"sheet {spec.name!r}: the frame has no columns")
    headers = [str(c) for c in spec.frame.columns]
    lowered = [h.lower() for h in headers]
    duplicates = sorted({h for h in headers if lowered.count(h.lower()) > 1})
    if duplicates:
        raise ValueError(
            f"sheet {spec.name!r}: Excel table column names must be unique "
            f"(ignoring case); repeated: {duplicates}"
        )
    missing = [t for t in spec.totals if t not in spec.frame.columns]
    if missing:
        raise ValueError(f"sheet {spec.name!r}: totals name unknown columns {missing}")


def _write_sheet(
    workbook: xlsxwriter.Workbook, spec: SheetSpec, fmts: _Formats, *, fast: bool = True
) -> None:
    _check_spec(spec)
    ws = workbook.add_worksheet(spec.name, _FastWorksheet if (fast and FAST_CELLS) else None)
    ws.set_tab_color(TAB_COLOURS[spec.kind])

    ws.write_string(0, 0, spec.title or spec.name, fmts.title)
    ws.set_row(0, 21)
    if spec.subtitle:
        ws.write_string(1, 0, spec.subtitle, fmts.subtitle)

    row = 2
    label_width = 0.0
    value_width = 0.0
    if spec.controls or spec.notes:
        row += 1  # blank row under the subtitle
        for control in spec.controls:
            value_width = max(value_width, _write_control(ws, row, control, fmts))
            label_width = max(label_width, float(len(control.label)))
            row += 1
        for note in spec.notes:
            ws.write_string(row, 0, note, fmts.note)
            row += 1
    placements, row = picture_layout(spec.pictures, row)  # a blank row before the table

    frame = spec.frame
    n_rows = len(frame)
    header_row = row
    first_data = header_row + 1
    last_row = header_row + max(n_rows, 1) + (1 if spec.totals else 0)
    if last_row >= _EXCEL_MAX_ROWS:
        raise ValueError(
            f"sheet {spec.name!r}: {n_rows:,} rows do not fit on one Excel sheet "
            f"(at most {_EXCEL_MAX_ROWS - first_data - 1:,} here)"
        )

    columns = [
        _write_column(ws, frame, name, j, first_data, spec.schema, fmts)
        for j, name in enumerate(frame.columns)
    ]

    table_columns: list[dict[str, Any]] = []
    for j, column in enumerate(columns):
        # Headers are text: without a format of their own they would take the
        # column's number format (a money format on the word "amount").
        options: dict[str, Any] = {"header": column.name, "header_format": fmts.text}
        if column.column_format is not None:
            options["format"] = column.column_format
        if column.name in spec.totals:
            options["total_function"] = "sum"
            options["total_value"] = column.total_value if n_rows else 0
            if column.total_format is not None:
                options["format"] = column.total_format
        elif j == 0 and spec.totals:
            options["total_string"] = "Total"
        table_columns.append(options)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ws.add_table(
            header_row,
            0,
            last_row,
            len(columns) - 1,
            {
                "name": spec.table_name,
                "style": TABLE_STYLE,
                "autofilter": True,
                "header_row": True,
                "total_row": bool(spec.totals),
                "columns": table_columns,
            },
        )
    if result != 0:
        why = "; ".join(str(w.message) for w in caught) or f"add_table returned {result}"
        raise ValueError(
            f"sheet {spec.name!r}: Excel refuses table {spec.table_name!r} ({why}); table "
            "names are letters, digits and underscores, start with a letter or underscore "
            "and do not look like a cell reference"
        )
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if spec.totals:
        # xlsxwriter writes SUBTOTAL(109,[name]): LibreOffice cannot read it and Excel
        # wants [[name]] for headers such as "1-30". Same function, qualified reference.
        for j, options in enumerate(table_columns):
            if options.get("total_function"):
                ws.write_formula(
                    last_row,
                    j,
                    f"=SUBTOTAL(109,{column_ref(spec.table_name, options['header'])})",
                    options.get("format"),
                    options["total_value"],
                )
    ws.freeze_panes(first_data, 0)
    # printable as evidence: landscape, one page wide, the header row on every page
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(first_data - 1)
    ws.set_footer(f"&L{spec.title or spec.name}&RPage &P of &N")

    widths = spec.column_widths or {}
    for j, column in enumerate(columns):
        width = _fit(column.name, column.width)
        if j == 0:
            width = max(width, min(label_width + 2.0, LABEL_MAX_WIDTH))
        elif j == 1:
            width = max(width, min(value_width + 2.0, MAX_WIDTH))
        width = float(widths.get(column.name, width))
        ws.set_column(j, j, width, column.column_format)
    if len(columns) == 1 and value_width:
        ws.set_column(1, 1, min(max(value_width + 2.0, MIN_WIDTH), MAX_WIDTH))
    for place in placements:
        _insert_picture(ws, place)


def _insert_picture(ws: Worksheet, place: PicturePlacement) -> None:
    """One picture at its place and size; xlsxwriter scales by 96/dpi itself."""
    picture = place.picture
    w, h, x_dpi, y_dpi = png_size(picture.png)
    ws.insert_image(
        place.row,
        place.col,
        f"{picture.name}.png",
        {
            "image_data": io.BytesIO(picture.png),
            "x_offset": place.x_offset,
            "y_offset": place.y_offset,
            "x_scale": place.width / (w * SCREEN_DPI / x_dpi),
            "y_scale": place.height / (h * SCREEN_DPI / y_dpi),
            "description": picture.description or picture.name,
        },
    )


def _document_properties(
    properties: dict[str, str] | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    props: dict[str, Any] = {"company": "Cuadre"}
    custom: dict[str, str] = {}
    for key, value in (properties or {}).items():
        if key == "created":
            props[key] = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        elif key in _PROPERTY_KEYS:
            props[key] = value
        else:
            custom[key] = value
    return props, custom


def write_workbook(
    path: str | Path,
    sheets: Sequence[SheetSpec],
    *,
    properties: dict[str, str] | None = None,
    _fast: bool = True,
) -> None:
    """Write ``sheets`` to ``path`` as one formatted workbook, atomically.

    ``properties`` sets the document properties (``title``, ``subject``, ``author``,
    ``company`` (default ``Cuadre``), ``created`` as ISO text for a reproducible file,
    ...); other keys become custom properties.
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    seen_sheets: set[str] = set()
    seen_tables: set[str] = set()
    for spec in sheets:
        if spec.name.lower() in seen_sheets:
            raise ValueError(f"sheet name {spec.name!r} is used twice")
        if spec.table_name.lower() in seen_tables:
            raise ValueError(f"table name {spec.table_name!r} is used twice")
        seen_sheets.add(spec.name.lower())
        seen_tables.add(spec.table_name.lower())
    props, custom = _document_properties(properties)

    def _write(tmp: Path) -> None:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "use_future_functions": True,
            },
        )
        fmts = _Formats(workbook)
        workbook.set_properties(props)
        for key, value in custom.items():
            workbook.set_custom_property(key, value)
        for spec in sheets:
            _write_sheet(workbook, spec, fmts, fast=_fast)
        workbook.close()

    write_atomic(path, _write)
