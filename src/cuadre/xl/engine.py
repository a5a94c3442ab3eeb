"""A headless xlwings engine over a real .xlsx file (openpyxl), registered as ``cuadre``.

Why: the ribbon scripts take an ``xw.Book`` and use xlwings' own Book/Sheet/Range API
and converters. Excel cannot run in CI or on a Linux server, and xlwings' file engines
(calamine reader, remote) are xlwings PRO, not licensed for business use here. This
engine implements xlwings' public engine interface (``xlwings.base_classes``: Apps,
App, Books, Book, Sheets, Sheet, Range, Tables, Table; registered with
``xw.engines.add``) on top of openpyxl, so the same script runs in Excel and on a file::

    from cuadre.xl.engine import open_book
    book, notes = open_book("Close.xlsx")     # an xw.Book on this engine
    book.sheets["OpenItems"]["A7"].expand().value
    book.save()                               # never over a workbook it would damage

What it does like Excel: values with xlwings' converters (numbers come back as floats,
dates as datetimes, error cells as ``None`` or their text with ``err_to_str``), a
string written with a leading ``=`` becomes a formula and one that looks like a number
becomes a number unless the cell is formatted as text (``@``), a leading apostrophe
keeps text as text; ``expand``, ``end``, ``current_region``, ``used_range``; number
formats; clearing; sheets added, renamed and deleted; Excel tables (ListObjects) read,
added, resized and updated, their column names kept in step with the header cells
(a mismatch makes Excel repair the file); the status bar and message boxes recorded.

Pictures: ``sheet.pictures`` adds (from a PNG, JPEG or GIF file, as xlwings does),
lists, renames, moves, resizes and deletes pictures; ``update=True`` replaces one by
name. A picture is an openpyxl ``Image`` whose anchor carries its name and alt text
(``picture.impl.description``); it is anchored to the cell under its top-left corner
(``oneCellAnchor``), positions in points computed from the column widths and row
heights as Excel does (default column 64 px, default row 15 pt). ``range.left``,
``top``, ``width`` and ``height`` give the same geometry.

What it does not do: calculate (formula cells read their value cached by Excel at the
last save, ``None`` for formulas written in this session), autofit, colours and fonts,
charts (the collection is empty).

Saving never damages a workbook: openpyxl drops parts it does not model (charts,
pivot tables, slicers, spills, xlwings Lite code...: see :mod:`cuadre.xl.parts`). When
the file holds any, ``save()`` writes a new file beside it (``<name> (cuadre).xlsx``)
and records why in ``book.impl.notes``; the original stays byte for byte as it was.
Every save is atomic. The one refinement to :mod:`cuadre.xl.parts`: a drawing holding
only plain pictures (what Cuadre, xlsxwriter or Excel write for an inserted picture)
is kept when openpyxl reads and writes it back without losing anything
(:func:`keep_pictures` proves it part by part: the drawing re-serialised by openpyxl
must contain every element and attribute of the original, except Excel's shape
creation ids and DPI flags; its relations must be embedded PNG, JPEG or GIF media).
A drawing with a chart, a shape, a linked or cropped-away picture, or anything else
stays "lost", and the workbook is then saved to the copy.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np
import openpyxl
import pandas as pd
import xlwings as xw
from defusedxml import ElementTree as SafeET
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.drawing.fill import Blip
from openpyxl.drawing.geometry import PresetGeometry2D
from openpyxl.drawing.image import Image as OpenpyxlImage
from openpyxl.drawing.picture import PictureFrame, PictureLocking
from openpyxl.drawing.spreadsheet_drawing import (
    AbsoluteAnchor,
    AnchorMarker,
    OneCellAnchor,
    SpreadsheetDrawing,
    TwoCellAnchor,
)
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook
from openpyxl.worksheet.table import Table as OpenpyxlTable
from openpyxl.worksheet.table import TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from xlwings import base_classes, utils

from cuadre.findings import Finding, Location, info, warning
from cuadre.io.atomic import write_atomic
from cuadre.xl.parts import PackageReport, inspect_package

__all__ = [
    "ENGINE_NAME",
    "CellError",
    "copy_path",
    "engine",
    "keep_pictures",
    "new_app",
    "open_book",
    "register",
]

ENGINE_NAME = "cuadre"
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_READ_CELLS = 5_000_000
COPY_SUFFIX = " (cuadre)"

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")


class CellError(str):
    """The raw value of an error cell (``#N/A``...), told apart from text."""


# --------------------------------------------------------------------------- values


def _to_datetime(value: dt.date | dt.time) -> dt.datetime | dt.time:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _clean_element(
    value: Any, datetime_builder: Any, empty_as: Any, number_builder: Any, err_to_str: bool
) -> Any:
    if value is None or value == "":
        return empty_as
    if isinstance(value, CellError):
        return str(value) if err_to_str else None
    if isinstance(value, dt.datetime):
        if datetime_builder is dt.datetime:
            return value
        return datetime_builder(
            year=value.year,
            month=value.month,
            day=value.day,
            hour=value.hour,
            minute=value.minute,
            second=value.second,
            microsecond=value.microsecond,
            tzinfo=None,
        )
    if number_builder is not None and isinstance(value, float):
        return number_builder(value)
    return value


class Engine:
    """The engine object xlwings wraps in ``xw.Engine``."""

    def __init__(self) -> None:
        self.apps = Apps()

    @property
    def name(self) -> str:
        return ENGINE_NAME

    @property
    def type(self) -> str:
        # Behaves as a desktop engine for xlwings' writers: every write lands at once.
        return "desktop"

    @staticmethod
    def clean_value_data(
        data: list[list[Any]],
        datetime_builder: Any,
        empty_as: Any,
        number_builder: Any,
        err_to_str: bool,
    ) -> list[list[Any]]:
        return [
            [_clean_element(c, datetime_builder, empty_as, number_builder, err_to_str) for c in row]
            for row in data
        ]

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any = None) -> Any:
        if x is None or x is pd.NaT:
            return None
        if isinstance(x, pd.Timestamp):
            return x.tz_localize(None).to_pydatetime() if x.tzinfo else x.to_pydatetime()
        if isinstance(x, np.datetime64):
            return None if np.isnat(x) else pd.Timestamp(x).to_pydatetime()
        if isinstance(x, dt.date | dt.time):
            return _to_datetime(x)
        if isinstance(x, bool | np.bool_):
            return bool(x)
        if isinstance(x, float | np.floating):
            return None if np.isnan(x) else float(x)
        if isinstance(x, int | np.integer):
            return int(x)
        if isinstance(x, Decimal):
            return float(x)
        if x is pd.NA:
            return None
        return x


# --------------------------------------------------------------------------- apps


class Apps(base_classes.Apps):
    def __init__(self) -> None:
        self._apps: list[App] = []

    def keys(self) -> list[int]:
        return [app.pid for app in self._apps]

    def add(
        self, spec: Any = None, add_book: Any = None, xl: Any = None, visible: Any = None
    ) -> App:
        app = App(self)
        self._apps.insert(0, app)
        if add_book:
            app.books.add()
        return app

    @staticmethod
    def cleanup() -> None:
        pass

    def __iter__(self) -> Iterator[App]:
        return iter(list(self._apps))

    def __len__(self) -> int:
        return len(self._apps)

    def __getitem__(self, pid: int) -> App:
        for app in self._apps:
            if app.pid == pid:
                return app
        raise KeyError(pid)


def _stored(name: str, default: Any) -> Any:
    """A plain stored property (Excel's application switches have no effect here)."""

    def get(self: App) -> Any:
        return self._props.get(name, default)

    def put(self: App, value: Any) -> None:
        self._props[name] = value

    return property(get, put)


class App(base_classes.App):
    """An "application" holding open workbook files; nothing runs in the background."""

    screen_updating = _stored("screen_updating", True)
    display_alerts = _stored("display_alerts", True)
    enable_events = _stored("enable_events", True)
    interactive = _stored("interactive", True)
    calculation = _stored("calculation", "automatic")
    visible = _stored("visible", False)
    cut_copy_mode = _stored("cut_copy_mode", None)

    _pids = itertools.count(1)

    def __init__(self, apps: Apps) -> None:
        self.apps = apps
        self._pid = -next(App._pids)  # negative: no real process
        self._books = Books(self)
        self.status_history: list[str] = []
        """Every status bar text set, in order (Excel shows only the last)."""
        self.alerts: list[tuple[str, str]] = []
        """(title, prompt) of every message box a script showed."""
        self._status: str | bool = False
        self._props: dict[str, Any] = {}

    @property
    def engine(self) -> Engine:
        return engine

    @property
    def api(self) -> Any:
        return None

    @property
    def books(self) -> Books:
        return self._books

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def version(self) -> str:
        return "16.0"

    @property
    def path(self) -> str:
        return ""

    @property
    def startup_path(self) -> str:
        return ""

    @property
    def hwnd(self) -> None:
        return None

    @property
    def selection(self) -> None:
        return None

    def activate(self, steal_focus: bool = False) -> None:
        self.apps._apps.remove(self)
        self.apps._apps.insert(0, self)

    def calculate(self) -> None:
        """No calculation engine: formulas keep the values Excel cached."""

    @property
    def status_bar(self) -> str | bool:
        return self._status

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self._status = value
        if isinstance(value, str):
            self.status_history.append(value)

    def alert(self, prompt: str, title: str, buttons: str, mode: Any, callback: Any) -> str:
        self.alerts.append((title or "", prompt))
        return "ok" if buttons in (None, "ok", "ok_cancel") else "yes"

    def quit(self) -> None:
        for book in list(self._books):
            book.close()
        if self in self.apps._apps:
            self.apps._apps.remove(self)

    def kill(self) -> None:
        self.quit()

    def run(self, macro: str, args: Any) -> Any:
        raise NotImplementedError("the headless engine cannot run VBA macros")


# --------------------------------------------------------------------------- books


class Books(base_classes.Books):
    def __init__(self, app: App) -> None:
        self.app = app
        self.books: list[Book] = []
        self._counter = itertools.count(1)

    @property
    def api(self) -> None:
        return None

    @property
    def active(self) -> Book | None:
        return self.books[-1] if self.books else None

    def __call__(self, name_or_index: int | str) -> Book:
        if isinstance(name_or_index, int):
            return self.books[name_or_index - 1]
        for book in self.books:
            if name_or_index in (book.name, book.fullname):
                return book
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self.books)

    def __iter__(self) -> Iterator[Book]:
        return iter(list(self.books))

    def add(self) -> Book:
        wb = openpyxl.Workbook()
        book = Book(self, wb, f"Book{next(self._counter)}", None)
        self.books.append(book)
        return book

    def open(self, fullname: str, *args: Any, **kwargs: Any) -> Book:
        path = Path(fullname).resolve()
        report = keep_pictures(inspect_package(path))
        wb = openpyxl.load_workbook(path, keep_vba=report.has_vba, rich_text=False)
        book = Book(self, wb, path.name, path, report)
        self.books.append(book)
        return book


def copy_path(path: Path) -> Path:
    """Where a workbook the engine must not overwrite is saved instead."""
    return path.with_name(f"{path.stem}{COPY_SUFFIX}{path.suffix}")


class Book(base_classes.Book):
    def __init__(
        self,
        books: Books,
        wb: OpenpyxlWorkbook,
        name: str,
        path: Path | None,
        report: PackageReport | None = None,
    ) -> None:
        self.books = books
        self.wb = wb
        self._name = name
        self.path = path
        self.report = report
        self.notes: list[Finding] = []
        """What the engine did that the user should know (a copy written, and why)."""
        self._cached: OpenpyxlWorkbook | None = None
        self.saved_to: Path | None = None

    @property
    def api(self) -> OpenpyxlWorkbook:
        return self.wb

    @property
    def name(self) -> str:
        return self._name

    @property
    def fullname(self) -> str:
        return str(self.path) if self.path else self._name

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    @property
    def app(self) -> App:
        return self.books.app

    @property
    def names(self) -> Names:
        return Names(self)

    def activate(self) -> None:
        self.books.books.remove(self)
        self.books.books.append(self)

    def close(self) -> None:
        if self in self.books.books:
            self.books.books.remove(self)

    def cached_value(self, sheet: str, row: int, column: int) -> Any:
        """The value Excel cached for a formula cell at the last save."""
        if self.path is None:
            return None
        if self._cached is None:
            self._cached = openpyxl.load_workbook(self.path, data_only=True, read_only=False)
        if sheet not in self._cached.sheetnames:
            return None
        cell = self._cached[sheet]._cells.get((row, column))
        return None if cell is None else _cell_value(cell, None)

    def save(self, path: str | None = None, password: str | None = None) -> None:
        if password:
            raise NotImplementedError("the headless engine cannot write password-protected files")
        target = Path(path).resolve() if path else self.path
        if target is None:
            raise ValueError("a new workbook needs a path to be saved")
        report = self.report
        if (
            report is not None
            and not report.safe
            and self.path is not None
            and target in (self.path, copy_path(self.path))
        ):
            target = copy_path(self.path)
            self.notes.append(
                warning(
                    Location(str(self.path)),
                    "WORKBOOK_COPY",
                    f"{self.path.name} holds {report.why()}, which the headless mode "
                    f"cannot keep; the results were written to {target.name} and "
                    f"{self.path.name} was not changed",
                    "Run the button in Excel to update the workbook itself, or open "
                    f"{target.name} and copy the result sheets over.",
                )
            )
        _sync_tables(self.wb)
        _number_shapes(self.wb)
        # formulas written here have no cached value: Excel computes them on opening
        self.wb.calculation.fullCalcOnLoad = True
        write_atomic(target, lambda tmp: self.wb.save(tmp))
        self.saved_to = target
        if target != self.path and self.path is not None:
            self.notes.append(info(Location(str(target)), "WORKBOOK_SAVED", f"saved to {target}"))


class Names(base_classes.Names):
    """Workbook-level defined names (read only)."""

    def __init__(self, book: Book) -> None:
        self.book = book

    def _names(self) -> list[tuple[str, str]]:
        return [(n, d.attr_text) for n, d in self.book.wb.defined_names.items()]

    def __call__(self, name_or_index: int | str) -> tuple[str, str]:
        names = self._names()
        if isinstance(name_or_index, int):
            return names[name_or_index - 1]
        for n in names:
            if n[0] == name_or_index:
                return n
        raise KeyError(name_or_index)

    def contains(self, name_or_index: int | str) -> bool:
        try:
            self(name_or_index)
        except (KeyError, IndexError):
            return False
        return True

    def __len__(self) -> int:
        return len(self._names())


# --------------------------------------------------------------------------- sheets


class Sheets(base_classes.Sheets):
    def __init__(self, book: Book) -> None:
        self.book = book

    @property
    def api(self) -> None:
        return None

    @property
    def active(self) -> Sheet:
        return Sheet(self.book, self.book.wb.active)

    def __call__(self, name_or_index: int | str) -> Sheet:
        wb = self.book.wb
        if isinstance(name_or_index, int):
            return Sheet(self.book, wb.worksheets[name_or_index - 1])
        for ws in wb.worksheets:
            if ws.title.lower() == str(name_or_index).lower():
                return Sheet(self.book, ws)
        raise KeyError(f"Sheet {name_or_index!r} doesn't exist.")

    def __len__(self) -> int:
        return len(self.book.wb.worksheets)

    def __iter__(self) -> Iterator[Sheet]:
        for ws in list(self.book.wb.worksheets):
            yield Sheet(self.book, ws)

    def __contains__(self, name: str) -> bool:
        return any(ws.title.lower() == name.lower() for ws in self.book.wb.worksheets)

    def add(
        self, before: Sheet | None = None, after: Sheet | None = None, name: str | None = None
    ) -> Sheet:
        wb = self.book.wb
        if before is not None:
            index = wb.worksheets.index(before.ws)
        elif after is not None:
            index = wb.worksheets.index(after.ws) + 1
        else:
            index = wb.worksheets.index(wb.active) if wb.active in wb.worksheets else 0
        title = name or _next_sheet_name(wb)
        ws = wb.create_sheet(title, index)
        wb.active = ws
        return Sheet(self.book, ws)


def _next_sheet_name(wb: OpenpyxlWorkbook) -> str:
    for i in itertools.count(1):
        if f"Sheet{i}" not in wb.sheetnames:
            return f"Sheet{i}"
    raise AssertionError("unreachable")


class Sheet(base_classes.Sheet):
    def __init__(self, book: Book, ws: Worksheet) -> None:
        self._book = book
        self.ws = ws

    @property
    def api(self) -> Worksheet:
        return self.ws

    @property
    def name(self) -> str:
        return str(self.ws.title)

    @name.setter
    def name(self, value: str) -> None:
        self.ws.title = value

    @property
    def book(self) -> Book:
        return self._book

    @property
    def index(self) -> int:
        return int(self._book.wb.worksheets.index(self.ws)) + 1

    def range(self, arg1: Any, arg2: Any = None) -> Range:
        return Range(self, arg1, arg2)

    @property
    def cells(self) -> Range:
        return Range(self, (1, 1), (MAX_ROWS, MAX_COLUMNS))

    @property
    def used_range(self) -> Range:
        ws = self.ws
        if not ws._cells:
            return Range(self, (1, 1))
        rows = [r for r, _c in ws._cells]
        cols = [c for _r, c in ws._cells]
        return Range(self, (min(rows), min(cols)), (max(rows), max(cols)))

    def activate(self) -> None:
        self._book.wb.active = self.ws

    def select(self) -> None:
        self.activate()

    def clear_contents(self) -> None:
        for cell in list(self.ws._cells.values()):
            if not isinstance(cell, MergedCell):
                cell.value = None

    def clear(self) -> None:
        for key in list(self.ws._cells):
            del self.ws._cells[key]
        self.ws.tables.clear()

    def delete(self) -> None:
        wb = self._book.wb
        if len(wb.worksheets) == 1:
            raise ValueError("a workbook must keep at least one sheet")
        wb.remove(self.ws)

    def autofit(self, axis: str | None = None) -> None:
        """Column widths from the longest text in each column (Excel measures pixels)."""
        if axis in ("r", "rows"):
            return
        widths: dict[int, int] = {}
        for (_r, c), cell in self.ws._cells.items():
            if cell.value is not None:
                widths[c] = max(widths.get(c, 0), len(str(cell.value)))
        for c, w in widths.items():
            self.ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), 60)

    @property
    def tables(self) -> Tables:
        return Tables(self)

    @property
    def pictures(self) -> Pictures:
        return Pictures(self)

    @property
    def charts(self) -> list[Any]:
        return []

    @property
    def shapes(self) -> list[Any]:
        return []

    @property
    def visible(self) -> bool:
        return str(self.ws.sheet_state) == "visible"

    @visible.setter
    def visible(self, value: bool) -> None:
        self.ws.sheet_state = "visible" if value else "hidden"


# --------------------------------------------------------------------------- ranges


def _cell_value(cell: Cell, book: Book | None, sheet: str = "") -> Any:
    value = cell.value
    if value is None:
        return None
    kind = cell.data_type
    if kind == "e":
        return CellError(str(value))
    if kind == "f" or not isinstance(
        value, str | int | float | bool | dt.date | dt.time | dt.timedelta
    ):
        # a formula (text or array formula object): Excel's value cached at the last save
        return book.cached_value(sheet, cell.row, cell.column) if book is not None else None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)  # Excel holds every number as a double
    if isinstance(value, dt.date | dt.time):
        return _to_datetime(value)
    if isinstance(value, str) and value in _ERRORS:
        return CellError(value)
    return value


def _parse_address(sheet: Sheet, text: str) -> tuple[tuple[int, int], tuple[int, int] | None]:
    text = text.replace("$", "").strip()
    if "!" in text:
        text = text.split("!", 1)[1]
    first, second = utils.a1_to_tuples(text)
    if not first:
        raise KeyError(f"The address/named range {text!r} doesn't exist.")
    return first, second


class Range(base_classes.Range):
    def __init__(self, sheet: Sheet, arg1: Any, arg2: Any = None) -> None:
        self.sheet = sheet
        self.book = sheet.book
        self.options: dict[str, Any] = {}  # set by xw.Range
        if isinstance(arg1, Range):
            first = (arg1.row, arg1.column)
            if arg2 is None:
                arg2 = (arg1.row + arg1.shape[0] - 1, arg1.column + arg1.shape[1] - 1)
        elif isinstance(arg1, str):
            first, second = _parse_address(sheet, arg1)
            if arg2 is None:
                arg2 = second
        else:
            first = (int(arg1[0]), int(arg1[1]))
            if len(arg1) == 4 and arg2 is None:
                arg2 = (first[0] + int(arg1[2]) - 1, first[1] + int(arg1[3]) - 1)
        if isinstance(arg2, Range):
            arg2 = (arg2.row + arg2.shape[0] - 1, arg2.column + arg2.shape[1] - 1)
        elif isinstance(arg2, str):
            arg2 = _parse_address(sheet, arg2)[0]
        last = (int(arg2[0]), int(arg2[1])) if arg2 is not None else first
        self.arg1 = (min(first[0], last[0]), min(first[1], last[1]))
        self.arg2 = (max(first[0], last[0]), max(first[1], last[1]))
        if not (
            self.arg1[0] >= 1
            and self.arg2[0] <= MAX_ROWS
            and self.arg1[1] >= 1
            and self.arg2[1] <= MAX_COLUMNS
        ):
            raise ValueError(f"range {self.arg1}:{self.arg2} is outside the sheet")

    def __bool__(self) -> bool:
        return True

    @property
    def api(self) -> Range:
        return self

    @property
    def ws(self) -> Worksheet:
        return self.sheet.ws

    @property
    def row(self) -> int:
        return self.arg1[0]

    @property
    def column(self) -> int:
        return self.arg1[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.arg2[0] - self.arg1[0] + 1, self.arg2[1] - self.arg1[1] + 1

    @property
    def coords(self) -> tuple[str, int, int, int, int]:
        return (self.sheet.name, self.row, self.column, *self.shape)

    def __len__(self) -> int:
        rows, cols = self.shape
        return rows * cols

    @property
    def max_cells_per_read(self) -> None:
        return None

    @property
    def max_cells_per_write(self) -> None:
        return None

    def __call__(self, arg1: int, arg2: int | None = None) -> Range:
        if arg2 is None:
            col = (arg1 - 1) % self.shape[1]
            row = (arg1 - 1 - col) // self.shape[1]
            return self(row + 1, col + 1)
        return Range(self.sheet, (self.row + arg1 - 1, self.column + arg2 - 1))

    # -- values

    def _bounded(self) -> tuple[int, int, int, int]:
        """The range clipped to the sheet's used area (whole-column reads stay small)."""
        ws = self.ws
        r2 = min(self.arg2[0], max(ws.max_row, self.arg1[0]))
        c2 = min(self.arg2[1], max(ws.max_column, self.arg1[1]))
        return self.arg1[0], self.arg1[1], r2, c2

    @property
    def raw_value(self) -> Any:
        r1, c1, r2, c2 = self.arg1[0], self.arg1[1], *self.arg2
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_READ_CELLS:
            r1, c1, r2, c2 = self._bounded()
        cells = self.ws._cells
        name = self.sheet.name
        rows = []
        for r in range(r1, r2 + 1):
            row = []
            for c in range(c1, c2 + 1):
                cell = cells.get((r, c))
                row.append(None if cell is None else _cell_value(cell, self.book, name))
            rows.append(row)
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        return rows

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        if not isinstance(data, list | tuple):
            rows, cols = self.shape
            data = [[data] * cols for _ in range(rows)]
        elif data and not isinstance(data[0], list | tuple):
            data = [list(data)]
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                self._set_cell(self.row + i, self.column + j, value)

    def _set_cell(self, r: int, c: int, value: Any) -> None:
        cell = self.ws.cell(row=r, column=c)
        if isinstance(cell, MergedCell):
            return
        value = engine.prepare_xl_data_element(value)
        if isinstance(value, str):
            as_text = cell.number_format == "@"
            if value.startswith("'"):
                cell.value = value[1:]
                cell.data_type = "s"
                cell.quotePrefix = True
                return
            if value.startswith("=") and len(value) > 1 and not as_text:
                cell.value = value
                return
            if not as_text and _NUMBER.fullmatch(value.strip()):
                number = float(value)
                cell.value = int(number) if number.is_integer() and "." not in value else number
                return
            cell.value = value
            cell.data_type = "s"
            return
        cell.value = value
        if isinstance(value, dt.datetime) and cell.number_format == "General":
            cell.number_format = "yyyy-mm-dd" if value.time() == dt.time() else "yyyy-mm-dd hh:mm"

    def clear_contents(self) -> None:
        r1, c1, r2, c2 = self._bounded()
        for (r, c), cell in list(self.ws._cells.items()):
            if r1 <= r <= r2 and c1 <= c <= c2 and not isinstance(cell, MergedCell):
                cell.value = None

    def clear(self) -> None:
        r1, c1, r2, c2 = self._bounded()
        for key in [k for k in self.ws._cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]:
            del self.ws._cells[key]

    def clear_formats(self) -> None:
        r1, c1, r2, c2 = self._bounded()
        for (r, c), cell in list(self.ws._cells.items()):
            if r1 <= r <= r2 and c1 <= c <= c2:
                cell.style = "Normal"

    @property
    def formula(self) -> Any:
        r1, c1, r2, c2 = self._bounded()
        out = []
        for r in range(r1, r2 + 1):
            row = []
            for c in range(c1, c2 + 1):
                cell = self.ws._cells.get((r, c))
                v = None if cell is None else cell.value
                row.append(
                    "" if v is None else (v if isinstance(v, str) else getattr(v, "text", str(v)))
                )
            out.append(row)
        return out[0][0] if len(out) == 1 and len(out[0]) == 1 else out

    @formula.setter
    def formula(self, value: Any) -> None:
        self.raw_value = value

    # -- formats

    @property
    def number_format(self) -> str:
        cell = self.ws._cells.get(self.arg1)
        return "General" if cell is None else str(cell.number_format)

    @number_format.setter
    def number_format(self, value: str) -> None:
        for r in range(self.arg1[0], self.arg2[0] + 1):
            for c in range(self.arg1[1], self.arg2[1] + 1):
                self.ws.cell(row=r, column=c).number_format = value

    def set_style(
        self,
        *,
        bold: bool | None = None,
        fill: str | None = None,
        colour: str | None = None,
        wrap: bool | None = None,
        size: float | None = None,
    ) -> None:
        """Fonts and fills: what xlwings' ``font``/``color`` set in Excel (headless only)."""
        for r in range(self.arg1[0], self.arg2[0] + 1):
            for c in range(self.arg1[1], self.arg2[1] + 1):
                cell = self.ws.cell(row=r, column=c)
                if bold is not None or colour is not None or size is not None:
                    f = cell.font
                    cell.font = Font(
                        name=f.name,
                        size=size or f.size,
                        bold=f.bold if bold is None else bold,
                        color=colour.lstrip("#") if colour else f.color,
                    )
                if fill is not None:
                    cell.fill = PatternFill("solid", fgColor=fill.lstrip("#"))
                if wrap is not None:
                    cell.alignment = Alignment(wrap_text=wrap, vertical="top")

    @property
    def column_width(self) -> float:
        dim = self.ws.column_dimensions.get(get_column_letter(self.column))
        return float(dim.width) if dim is not None and dim.width else 8.43

    @column_width.setter
    def column_width(self, value: float) -> None:
        for c in range(self.arg1[1], self.arg2[1] + 1):
            self.ws.column_dimensions[get_column_letter(c)].width = value

    # -- geometry (points, as Excel gives them)

    @property
    def left(self) -> float:
        return _col_left(self.ws, self.column)

    @property
    def top(self) -> float:
        return _row_top(self.ws, self.row)

    @property
    def width(self) -> float:
        return _col_left(self.ws, self.arg2[1] + 1) - _col_left(self.ws, self.column)

    @property
    def height(self) -> float:
        return _row_top(self.ws, self.arg2[0] + 1) - _row_top(self.ws, self.row)

    # -- addresses

    def get_address(
        self, row_absolute: bool = True, col_absolute: bool = True, external: bool = False
    ) -> str:
        def one(r: int, c: int) -> str:
            return f"{'$' if col_absolute else ''}{get_column_letter(c)}{'$' if row_absolute else ''}{r}"

        text = one(*self.arg1) if self.arg1 == self.arg2 else f"{one(*self.arg1)}:{one(*self.arg2)}"
        if external:
            return f"[{self.book.name}]{self.sheet.name}!{text}"
        return text

    @property
    def address(self) -> str:
        return self.get_address()

    # -- navigation

    def _filled(self, r: int, c: int) -> bool:
        cell = self.ws._cells.get((r, c))
        return cell is not None and cell.value is not None and cell.value != ""

    def end(self, direction: str) -> Range:
        """Ctrl+arrow: to the edge of the block, or to the next filled cell."""
        dr, dc = {"down": (1, 0), "up": (-1, 0), "right": (0, 1), "left": (0, -1)}[direction]
        r, c = self.arg1
        limit_r = max(self.ws.max_row, r) if dr > 0 else 1
        limit_c = max(self.ws.max_column, c) if dc > 0 else 1

        def inside(rr: int, cc: int) -> bool:
            ok_r = (rr <= limit_r) if dr > 0 else (rr >= 1)
            ok_c = (cc <= limit_c) if dc > 0 else (cc >= 1)
            return ok_r and ok_c

        nr, nc = r + dr, c + dc
        if self._filled(r, c) and inside(nr, nc) and self._filled(nr, nc):
            while inside(nr + dr, nc + dc) and self._filled(nr + dr, nc + dc):
                nr, nc = nr + dr, nc + dc
            return Range(self.sheet, (nr, nc))
        while inside(nr, nc) and not self._filled(nr, nc):
            nr, nc = nr + dr, nc + dc
        if not inside(nr, nc):  # no filled cell ahead: Excel stops at the sheet's edge
            edge_r = MAX_ROWS if dr > 0 else (1 if dr < 0 else r)
            edge_c = MAX_COLUMNS if dc > 0 else (1 if dc < 0 else c)
            return Range(self.sheet, (edge_r, edge_c))
        return Range(self.sheet, (nr, nc))

    @property
    def current_region(self) -> Range:
        """The block around the range bounded by blank rows and columns (Ctrl+*)."""
        r1, c1 = self.arg1
        r2, c2 = self.arg2
        filled = {k for k, cell in self.ws._cells.items() if cell.value not in (None, "")}
        grown = True
        while grown:
            grown = False
            for r, c in filled:
                if (
                    r1 - 1 <= r <= r2 + 1
                    and c1 - 1 <= c <= c2 + 1
                    and not (r1 <= r <= r2 and c1 <= c <= c2)
                ):
                    r1, r2, c1, c2 = min(r1, r), max(r2, r), min(c1, c), max(c2, c)
                    grown = True
        return Range(self.sheet, (r1, c1), (r2, c2))

    @property
    def has_array(self) -> bool:
        return False

    @property
    def table(self) -> Table | None:
        for t in self.ws.tables.values():
            if _within(self.arg1, _bounds(t.ref)):
                return Table(self.sheet, t)
        return None

    def autofit(self, axis: Any = None) -> None:
        self.sheet.autofit(axis)


# --------------------------------------------------------------------------- pictures

EMU_PER_PT = 12_700
PT_PER_PX = 0.75
DEFAULT_COLUMN_PX = 64  # 8.43 characters of Calibri 11, Excel's default column
MAX_DIGIT_PX = 7
PICTURE_FORMATS = ("png", "jpeg", "gif")


def _column_px(width: float) -> int:
    """Pixels of a column ``width`` as stored in the file (ECMA-376 Part 1, 18.3.1.13)."""
    return int((256 * width + int(128 / MAX_DIGIT_PX)) / 256 * MAX_DIGIT_PX)


def _custom_columns(ws: Worksheet) -> dict[int, float]:
    """Width in points of every column whose width is not the default."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max:
            lo, hi = int(dim.min), int(dim.max)
        else:  # created in this session: not yet given its span
            lo = hi = column_index_from_string(dim.index)
        if dim.hidden:
            points = 0.0
        elif dim.customWidth and dim.width is not None:
            points = _column_px(float(dim.width)) * PT_PER_PX
        else:
            continue
        for c in range(lo, hi + 1):
            out[c] = points
    return out


def _default_column_pt(ws: Worksheet) -> float:
    width = ws.sheet_format.defaultColWidth
    return (_column_px(float(width)) if width else DEFAULT_COLUMN_PX) * PT_PER_PX


def _default_row_pt(ws: Worksheet) -> float:
    return float(ws.sheet_format.defaultRowHeight or 15.0)


def _custom_rows(ws: Worksheet) -> dict[int, float]:
    out: dict[int, float] = {}
    for r, dim in ws.row_dimensions.items():
        if dim.hidden:
            out[r] = 0.0
        elif dim.ht is not None:
            out[r] = float(dim.ht)
    return out


def _col_left(ws: Worksheet, column: int) -> float:
    """Points from the sheet's left edge to the left edge of ``column`` (1-based)."""
    default = _default_column_pt(ws)
    custom = _custom_columns(ws)
    return (column - 1) * default + sum(w - default for c, w in custom.items() if c < column)


def _row_top(ws: Worksheet, row: int) -> float:
    """Points from the sheet's top edge to the top edge of ``row`` (1-based)."""
    default = _default_row_pt(ws)
    custom = _custom_rows(ws)
    return (row - 1) * default + sum(h - default for r, h in custom.items() if r < row)


def _locate(
    position: float, sizes: dict[int, float], default: float, limit: int
) -> tuple[int, int]:
    """The 0-based column (or row) holding ``position`` points, and the offset in EMU."""
    position = max(position, 0.0)
    start, index = 0.0, 1
    while index < limit:
        size = sizes.get(index, default)
        if start + size > position:
            break
        start += size
        index += 1
    return index - 1, round((position - start) * EMU_PER_PT)


def _one_cell_anchor(
    ws: Worksheet, left: float, top: float, width: float, height: float
) -> OneCellAnchor:
    col, col_off = _locate(left, _custom_columns(ws), _default_column_pt(ws), MAX_COLUMNS)
    row, row_off = _locate(top, _custom_rows(ws), _default_row_pt(ws), MAX_ROWS)
    return OneCellAnchor(
        _from=AnchorMarker(col=col, colOff=col_off, row=row, rowOff=row_off),
        ext=XDRPositiveSize2D(round(width * EMU_PER_PT), round(height * EMU_PER_PT)),
    )


def _frame(image: OpenpyxlImage) -> PictureFrame | None:
    anchor = image.anchor
    pic = getattr(anchor, "pic", None)
    if pic is None and getattr(anchor, "groupShape", None) is not None:
        pic = anchor.groupShape.pic
    return pic


def _new_frame(name: str) -> PictureFrame:
    """A plain picture frame, as Excel writes an inserted picture."""
    pic = PictureFrame()
    pic.nvPicPr.cNvPr.name = name
    pic.nvPicPr.cNvPr.id = 0  # numbered on save
    pic.nvPicPr.cNvPicPr.picLocks = PictureLocking(noChangeAspect=True)
    pic.blipFill.blip = Blip()
    pic.spPr.prstGeom = PresetGeometry2D(prst="rect")
    pic.spPr.ln = None
    return pic


def _number_shapes(wb: OpenpyxlWorkbook) -> None:
    """Unique shape ids per drawing, as openpyxl numbers charts (1..n) and then pictures."""
    for ws in wb.worksheets:
        for i, image in enumerate(ws._images, start=len(ws._charts) + 1):
            pic = _frame(image)
            if pic is not None:
                pic.nvPicPr.cNvPr.id = i


def _read_picture(filename: str) -> tuple[OpenpyxlImage, float, float]:
    """An openpyxl image from a file, with its natural size in points (at its dpi)."""
    from PIL import Image as PILImage

    data = Path(filename).read_bytes()
    with PILImage.open(io.BytesIO(data)) as probe:
        kind = (probe.format or "").lower()
        dpi = probe.info.get("dpi") or (96.0, 96.0)
        px_w, px_h = probe.size
    if kind not in PICTURE_FORMATS:
        raise ValueError(
            f"the headless engine embeds PNG, JPEG or GIF pictures; {filename} is {kind or 'unknown'}"
        )
    image = OpenpyxlImage(io.BytesIO(data))
    x_dpi, y_dpi = (float(dpi[0]) or 96.0), (float(dpi[1]) or 96.0)
    return image, px_w * 72.0 / x_dpi, px_h * 72.0 / y_dpi


class Picture(base_classes.Picture):
    """A picture on a sheet: an openpyxl ``Image`` and its anchor (name, alt text, place)."""

    def __init__(self, sheet: Sheet, image: OpenpyxlImage) -> None:
        self.sheet = sheet
        self.image = image

    @property
    def api(self) -> OpenpyxlImage:
        return self.image

    @property
    def parent(self) -> Sheet:
        return self.sheet

    @property
    def name(self) -> str:
        pic = _frame(self.image)
        return "" if pic is None else str(pic.nvPicPr.cNvPr.name or "")

    @name.setter
    def name(self, value: str) -> None:
        pic = _frame(self.image)
        if pic is not None:
            pic.nvPicPr.cNvPr.name = value

    @property
    def description(self) -> str:
        """The alt text (Excel: Format Picture > Alt Text)."""
        pic = _frame(self.image)
        return "" if pic is None else str(pic.nvPicPr.cNvPr.descr or "")

    @description.setter
    def description(self, value: str) -> None:
        pic = _frame(self.image)
        if pic is not None:
            pic.nvPicPr.cNvPr.descr = value or None

    def _geometry(self) -> tuple[float, float, float, float]:
        ws = self.sheet.ws
        a = self.image.anchor
        if isinstance(a, AbsoluteAnchor):
            return (
                a.pos.x / EMU_PER_PT,
                a.pos.y / EMU_PER_PT,
                a.ext.width / EMU_PER_PT,
                a.ext.height / EMU_PER_PT,
            )
        if not isinstance(a, OneCellAnchor | TwoCellAnchor):  # a cell address string
            row, col = utils.a1_to_tuples(str(a))[0]
            return (
                _col_left(ws, col),
                _row_top(ws, row),
                self.image.width * PT_PER_PX,
                self.image.height * PT_PER_PX,
            )
        start = a._from
        left = _col_left(ws, start.col + 1) + start.colOff / EMU_PER_PT
        top = _row_top(ws, start.row + 1) + start.rowOff / EMU_PER_PT
        if isinstance(a, OneCellAnchor):
            return left, top, a.ext.width / EMU_PER_PT, a.ext.height / EMU_PER_PT
        end = a.to
        right = _col_left(ws, end.col + 1) + end.colOff / EMU_PER_PT
        bottom = _row_top(ws, end.row + 1) + end.rowOff / EMU_PER_PT
        return left, top, right - left, bottom - top

    def _place(self, left: float, top: float, width: float, height: float) -> None:
        """Anchor to the cell under the top-left corner, keeping the picture frame."""
        pic = _frame(self.image) or _new_frame(self.name or "Picture")
        anchor = _one_cell_anchor(self.sheet.ws, left, top, width, height)
        anchor.pic = pic
        xfrm = pic.spPr.xfrm if pic.spPr is not None else None
        if xfrm is not None and xfrm.off is not None and xfrm.ext is not None:
            xfrm.off.x, xfrm.off.y = round(left * EMU_PER_PT), round(top * EMU_PER_PT)
            xfrm.ext.width, xfrm.ext.height = anchor.ext.width, anchor.ext.height
        self.image.anchor = anchor
        self.image.width = round(width / PT_PER_PX)
        self.image.height = round(height / PT_PER_PX)

    @property
    def left(self) -> float:
        return self._geometry()[0]

    @left.setter
    def left(self, value: float) -> None:
        _l, t, w, h = self._geometry()
        self._place(float(value), t, w, h)

    @property
    def top(self) -> float:
        return self._geometry()[1]

    @top.setter
    def top(self, value: float) -> None:
        left, _t, w, h = self._geometry()
        self._place(left, float(value), w, h)

    @property
    def width(self) -> float:
        return self._geometry()[2]

    @width.setter
    def width(self, value: float) -> None:
        left, t, w, h = self._geometry()
        if self.lock_aspect_ratio and w:
            h = h * float(value) / w
        self._place(left, t, float(value), h)

    @property
    def height(self) -> float:
        return self._geometry()[3]

    @height.setter
    def height(self, value: float) -> None:
        left, t, w, h = self._geometry()
        if self.lock_aspect_ratio and h:
            w = w * float(value) / h
        self._place(left, t, w, float(value))

    @property
    def lock_aspect_ratio(self) -> bool:
        pic = _frame(self.image)
        locks = None if pic is None else pic.nvPicPr.cNvPicPr.picLocks
        return bool(locks is not None and locks.noChangeAspect)

    @lock_aspect_ratio.setter
    def lock_aspect_ratio(self, value: bool) -> None:
        pic = _frame(self.image)
        if pic is None:
            return
        if pic.nvPicPr.cNvPicPr.picLocks is None:
            pic.nvPicPr.cNvPicPr.picLocks = PictureLocking()
        pic.nvPicPr.cNvPicPr.picLocks.noChangeAspect = bool(value)

    def delete(self) -> None:
        images = self.sheet.ws._images
        for i, image in enumerate(images):
            if image is self.image:
                del images[i]
                return

    def update(self, filename: str) -> Picture:
        """xlwings' ``picture.update``: the new image at the old place, size, name and
        alt text."""
        description = self.description
        new: Picture = utils.excel_update_picture(self, filename)
        new.description = description
        return new

    def index(self) -> int:
        return [p.image for p in self.sheet.pictures].index(self.image) + 1


class Pictures(base_classes.Pictures):
    """The pictures of a sheet (openpyxl's ``ws._images``, in z-order)."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self) -> list[OpenpyxlImage]:
        return list(self.sheet.ws._images)

    @property
    def parent(self) -> Sheet:
        return self.sheet

    def _all(self) -> list[Picture]:
        return [Picture(self.sheet, image) for image in self.sheet.ws._images]

    def __call__(self, name_or_index: int | str) -> Picture:
        pictures = self._all()
        if isinstance(name_or_index, int):
            if not 1 <= name_or_index <= len(pictures):
                raise KeyError(name_or_index)
            return pictures[name_or_index - 1]
        for picture in pictures:
            if picture.name.lower() == str(name_or_index).lower():
                return picture
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self.sheet.ws._images)

    def __iter__(self) -> Iterator[Picture]:
        return iter(self._all())

    def __contains__(self, key: str) -> bool:
        return any(p.name.lower() == str(key).lower() for p in self._all())

    def add(
        self,
        filename: str,
        link_to_file: bool = False,
        save_with_document: bool = True,
        left: float | None = None,
        top: float | None = None,
        width: float | None = None,
        height: float | None = None,
        anchor: Any = None,
    ) -> Picture:
        """Embed the picture in ``filename`` (points; -1 or None: its natural size)."""
        if link_to_file:
            raise NotImplementedError("the headless engine embeds pictures; it cannot link them")
        image, natural_w, natural_h = _read_picture(str(filename))
        if width is None or width < 0:
            width = natural_w
        if height is None or height < 0:
            height = natural_h
        if anchor is not None:
            left, top = float(anchor.left), float(anchor.top)
        taken = {p.name.lower() for p in self._all()}
        name = next(f"Picture {i}" for i in itertools.count(1) if f"picture {i}" not in taken)
        ws = self.sheet.ws
        placed = _one_cell_anchor(ws, left or 0.0, top or 0.0, float(width), float(height))
        placed.pic = _new_frame(name)
        image.anchor = placed
        image.width, image.height = round(width / PT_PER_PX), round(height / PT_PER_PX)
        ws._images.append(image)
        return Picture(self.sheet, image)


# --------------------------------------------------------------------------- pictures kept

_DRAWING_PART = re.compile(r"^xl/drawings/drawing\d+\.xml$")
_MEDIA_PART = re.compile(r"^xl/media/[^/]+\.(png|jpe?g|gif)$", re.IGNORECASE)
_IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_HARMLESS_EXTENSIONS = frozenset(
    {
        "{FF2B5EF4-FFF2-40B4-BE49-F238E27FC236}",  # a16:creationId: an id Excel makes anew
        "{28A0092B-C50C-407E-A947-70E740481C1C}",  # a14:useLocalDpi: a compression hint
    }
)
_ADDED_BY_OPENPYXL = frozenset({"ln"})
"""openpyxl writes an empty outline (``<a:ln><a:prstDash val="solid"/></a:ln>``, no
fill: nothing drawn) on every picture."""
_ANCHOR_PARTS = frozenset({"from", "to", "pos", "ext", "pic", "clientData"})
_BOOLEAN = {"true": "1", "false": "0"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _harmless(element: Element) -> bool:
    return _local(element.tag) == "extLst" and all(
        _local(ext.tag) == "ext" and ext.get("uri") in _HARMLESS_EXTENSIONS for ext in element
    )


def _covers(again: Element, original: Element) -> bool:
    """True when ``again`` (openpyxl's re-serialisation) holds every element, attribute
    and text of ``original``, in order; it may add only :data:`_ADDED_BY_OPENPYXL`."""
    if _local(again.tag) != _local(original.tag):
        return False
    for key, value in original.attrib.items():
        other = again.get(key)
        if other is None or _BOOLEAN.get(other, other) != _BOOLEAN.get(value, value):
            return False
    if (original.text or "").strip() != (again.text or "").strip():
        return False
    wanted = [c for c in original if not _harmless(c)]
    given = list(again)
    i = 0
    for child in wanted:
        while i < len(given) and not _covers(given[i], child):
            if _local(given[i].tag) not in _ADDED_BY_OPENPYXL:
                return False
            i += 1
        if i == len(given):
            return False
        i += 1
    return all(_local(c.tag) in _ADDED_BY_OPENPYXL for c in given[i:])


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _picture_drawing(zf: zipfile.ZipFile, part: str) -> set[str] | None:
    """The media of ``part`` when it holds only pictures openpyxl keeps; else None."""
    from PIL import Image as PILImage

    names = set(zf.namelist())
    rels_part = _rels_part(part)
    if rels_part not in names:
        return None
    root = SafeET.fromstring(zf.read(part))
    rels = SafeET.fromstring(zf.read(rels_part))
    if _local(root.tag) != "wsDr" or not len(root):
        return None
    embeds: set[str] = set()
    for anchor in root:
        if _local(anchor.tag) not in ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor"):
            return None
        kinds = [_local(c.tag) for c in anchor]
        if kinds.count("pic") != 1 or not set(kinds) <= _ANCHOR_PARTS:
            return None
        blips = [e for e in anchor.iter() if _local(e.tag) == "blip"]
        if len(blips) != 1 or blips[0].get(f"{_REL_NS}embed") is None:
            return None
        if blips[0].get(f"{_REL_NS}link") is not None:
            return None
        embeds.add(str(blips[0].get(f"{_REL_NS}embed")))
    media: dict[str, str] = {}
    for rel in rels:
        given = str(rel.get("Target", ""))
        # relative to the drawing's folder, or absolute from the package root (openpyxl)
        target = posixpath.normpath(
            given[1:] if given.startswith("/") else posixpath.join(posixpath.dirname(part), given)
        )
        if (
            rel.get("Type") != _IMAGE_REL
            or rel.get("TargetMode") == "External"
            or not _MEDIA_PART.match(target)
            or target not in names
        ):
            return None
        media[str(rel.get("Id"))] = target
    if not embeds <= set(media):
        return None
    for target in set(media.values()):
        try:
            with PILImage.open(io.BytesIO(zf.read(target))) as probe:
                if (probe.format or "").lower() not in PICTURE_FORMATS:
                    return None
        except OSError:
            return None
    again = SpreadsheetDrawing.from_tree(root).to_tree()
    if not _covers(again, root):
        return None
    return {rels_part, *media.values()}


def keep_pictures(report: PackageReport) -> PackageReport:
    """``report`` without the drawings (and their media) that hold only pictures the
    engine keeps whole; see the module docstring. Everything else stays lost."""
    drawings = [p for p in report.lost if _DRAWING_PART.match(p)]
    if not drawings:
        return report
    kept: set[str] = set()
    with zipfile.ZipFile(report.path) as zf:
        for part in drawings:
            try:
                parts = _picture_drawing(zf, part)
            except (SafeET.ParseError, KeyError, ValueError, TypeError):
                parts = None
            if parts is not None:
                kept |= {part, *parts}
    if not kept:
        return report
    pairs = [(p, r) for p, r in zip(report.lost, report.reasons, strict=True) if p not in kept]
    return PackageReport(
        report.path,
        report.parts,
        [p for p, _r in pairs],
        [r for _p, r in pairs],
        report.has_vba,
    )


# --------------------------------------------------------------------------- tables


def _bounds(ref: str) -> tuple[int, int, int, int]:
    first, second = utils.a1_to_tuples(ref.replace("$", ""))
    second = second or first
    return first[0], first[1], second[0], second[1]


def _within(cell: tuple[int, int], b: tuple[int, int, int, int]) -> bool:
    return b[0] <= cell[0] <= b[2] and b[1] <= cell[1] <= b[3]


def _ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"


class Tables(base_classes.Collection):
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    @property
    def api(self) -> Any:
        return self.sheet.ws.tables

    @property
    def parent(self) -> Sheet:
        return self.sheet

    def _all(self) -> list[OpenpyxlTable]:
        return list(self.sheet.ws.tables.values())

    def __call__(self, name_or_index: int | str) -> Table:
        tables = self._all()
        if isinstance(name_or_index, int):
            return Table(self.sheet, tables[name_or_index - 1])
        for t in tables:
            if t.name.lower() == name_or_index.lower():
                return Table(self.sheet, t)
        raise KeyError(name_or_index)

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Table]:
        for t in self._all():
            yield Table(self.sheet, t)

    def __contains__(self, key: str) -> bool:
        return any(t.name.lower() == key.lower() for t in self._all())

    def add(
        self,
        source_type: Any = None,
        source: Any = None,
        link_source: Any = None,
        has_headers: bool = True,
        destination: Any = None,
        table_style_name: str = "TableStyleMedium2",
        name: str | None = None,
    ) -> Table:
        rng: Range = source.impl if hasattr(source, "impl") else source
        if not has_headers:
            raise NotImplementedError("the headless engine adds tables with a header row only")
        existing = {
            t.name.lower() for ws in self.sheet.book.wb.worksheets for t in ws.tables.values()
        }
        if name is None:
            name = next(f"Table{i}" for i in itertools.count(1) if f"table{i}" not in existing)
        elif name.lower() in existing:
            raise ValueError(f"A table named {name!r} already exists in the workbook")
        r1, c1, r2, c2 = rng.arg1[0], rng.arg1[1], rng.arg2[0], rng.arg2[1]
        if r2 == r1:
            r2 += 1  # Excel always keeps one (possibly empty) data row
        table = OpenpyxlTable(displayName=name, ref=_ref(r1, c1, r2, c2))
        table.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        self.sheet.ws.add_table(table)
        _sync_table(self.sheet.ws, table)
        return Table(self.sheet, table)


class Table:
    """An Excel table (ListObject) on a sheet."""

    def __init__(self, sheet: Sheet, table: OpenpyxlTable) -> None:
        self.sheet = sheet
        self.t = table

    @property
    def api(self) -> OpenpyxlTable:
        return self.t

    @property
    def parent(self) -> Sheet:
        return self.sheet

    @property
    def name(self) -> str:
        return str(self.t.displayName)

    @name.setter
    def name(self, value: str) -> None:
        ws = self.sheet.ws
        del ws.tables[self.t.name]
        self.t.displayName = value
        self.t.name = value
        ws.tables[value] = self.t

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def _totals(self) -> int:
        return int(self.t.totalsRowCount or 0)

    @property
    def _headers(self) -> int:
        return 0 if self.t.headerRowCount == 0 else 1

    @property
    def range(self) -> Range:
        r1, c1, r2, c2 = _bounds(self.t.ref)
        return Range(self.sheet, (r1, c1), (r2, c2))

    @property
    def header_row_range(self) -> Range | None:
        if not self._headers:
            return None
        r1, c1, _r2, c2 = _bounds(self.t.ref)
        return Range(self.sheet, (r1, c1), (r1, c2))

    @property
    def data_body_range(self) -> Range | None:
        r1, c1, r2, c2 = _bounds(self.t.ref)
        first, last = r1 + self._headers, r2 - self._totals
        if last < first:
            return None
        return Range(self.sheet, (first, c1), (last, c2))

    @property
    def totals_row_range(self) -> Range | None:
        if not self._totals:
            return None
        _r1, c1, r2, c2 = _bounds(self.t.ref)
        return Range(self.sheet, (r2, c1), (r2, c2))

    @property
    def insert_row_range(self) -> None:
        return None

    @property
    def show_headers(self) -> bool:
        return bool(self._headers)

    @property
    def show_totals(self) -> bool:
        return bool(self._totals)

    @show_totals.setter
    def show_totals(self, value: bool) -> None:
        r1, c1, r2, c2 = _bounds(self.t.ref)
        if value and not self._totals:
            self.t.totalsRowCount = 1
            self.t.ref = _ref(r1, c1, r2 + 1, c2)
        elif not value and self._totals:
            Range(self.sheet, (r2, c1), (r2, c2)).clear_contents()
            self.t.totalsRowCount = None
            self.t.ref = _ref(r1, c1, r2 - 1, c2)

    @property
    def table_style(self) -> str:
        return str(self.t.tableStyleInfo.name) if self.t.tableStyleInfo else ""

    @table_style.setter
    def table_style(self, value: str) -> None:
        self.t.tableStyleInfo = TableStyleInfo(name=value, showRowStripes=True)

    def resize(self, range: Any) -> None:
        """Excel's ListObject.Resize: the header stays on its row."""
        rng: Range = range.impl if hasattr(range, "impl") else range
        r1, _c1, _r2, _c2 = _bounds(self.t.ref)
        if rng.row != r1:
            raise ValueError("a table's header row cannot move when it is resized")
        r2 = max(rng.arg2[0], rng.arg1[0] + 1)
        self.t.ref = _ref(rng.arg1[0], rng.arg1[1], r2 + self._totals, rng.arg2[1])
        _sync_table(self.sheet.ws, self.t)

    def delete(self) -> None:
        del self.sheet.ws.tables[self.t.name]


def _sync_table(ws: Worksheet, table: OpenpyxlTable) -> None:
    """Column names from the header cells (unique, text), autofilter on the body."""
    r1, c1, r2, c2 = _bounds(table.ref)
    old = {col.name: col for col in (table.tableColumns or [])}
    names: list[str] = []
    for i, c in enumerate(range(c1, c2 + 1), start=1):
        cell = ws.cell(row=r1, column=c)
        text = "" if cell.value is None else str(cell.value)
        base = text or f"Column{i}"
        name, n = base, 2
        while name.lower() in (x.lower() for x in names):
            name, n = f"{base}{n}", n + 1
        if cell.value != name:
            cell.value = name
        cell.data_type = "s"
        names.append(name)
    table.tableColumns = [
        TableColumn(
            id=i,
            name=name,
            totalsRowFunction=getattr(old.get(name), "totalsRowFunction", None),
            totalsRowLabel=getattr(old.get(name), "totalsRowLabel", None),
        )
        for i, name in enumerate(names, start=1)
    ]
    body_end = r2 - int(table.totalsRowCount or 0)
    if table.autoFilter is not None:
        table.autoFilter.ref = _ref(r1, c1, body_end, c2)


def _sync_tables(wb: OpenpyxlWorkbook) -> None:
    for ws in wb.worksheets:
        for table in ws.tables.values():
            _sync_table(ws, table)


# --------------------------------------------------------------------------- entry points

engine = Engine()


def register() -> xw.Engine:
    """Add the engine to ``xw.engines`` once (idempotent); returns it."""
    if ENGINE_NAME not in xw.engines.engines_by_name:
        xw.engines.add(xw.Engine(impl=engine))
    return xw.engines[ENGINE_NAME]


def new_app() -> xw.App:
    """A fresh headless ``xw.App`` without books."""
    register()
    return xw.App(impl=engine.apps.add(add_book=False))


def open_book(path: str | Path, app: xw.App | None = None) -> tuple[xw.Book, list[Finding]]:
    """Open ``path`` as an ``xw.Book`` on the headless engine.

    Returns the book and what the user should know before anything is saved (the file
    holds parts the engine would lose: results will go to a copy).
    """
    app = app or new_app()
    book = app.books.open(str(path))
    impl: Book = book.impl
    notes: list[Finding] = []
    if impl.report is not None and not impl.report.safe:
        notes.append(
            info(
                Location(str(path)),
                "WORKBOOK_HAS_EXTRAS",
                f"{Path(path).name} holds {impl.report.why()}; the headless mode will not "
                f"overwrite it and writes its results to {copy_path(Path(path)).name}",
            )
        )
    return book, notes


register()
