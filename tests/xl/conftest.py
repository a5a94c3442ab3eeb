"""Fixtures for the Excel shell: the close template filled with the demo company."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import xlwings as xw

from cuadre.demo.generator import DemoCompany as Company
from cuadre.demo.generator import generate_company
from cuadre.model.tables import BANK_LINES, CUSTOMERS, OPEN_ITEMS, TRIAL_BALANCE, TableSchema
from cuadre.workbook.template import DEFAULT_PATH
from cuadre.xl.engine import open_book
from cuadre.xl.sheets import _column_for_excel, _kind, find_table

SEED = 2026
N_CUSTOMERS = 30


def paste_table(book: xw.Book, schema: TableSchema, frame) -> None:  # type: ignore[no-untyped-def]
    """Paste ``frame`` into the Excel table ``schema.name`` as a user would: typed cells
    (doubles, dates, text), the table grown to the data."""
    table = find_table(book, schema.name)
    assert table is not None
    header = table.header_row_range
    names = [c for c in header.value if c]
    first = header.row + 1
    for j, name in enumerate(names):
        values, fmt = (
            _column_for_excel(frame, name, _kind(schema, name))
            if name in frame
            else ([None] * len(frame), "General")
        )
        col = header.column + j
        rng = table.parent.range((first, col), (first + len(frame) - 1, col))
        rng.number_format = fmt
        rng.options(transpose=True).value = values
    table.resize(
        table.parent.range(
            (header.row, header.column), (first + len(frame) - 1, header.column + len(names) - 1)
        )
    )


def fill_close_book(path: Path, company: Company) -> None:
    book, _notes = open_book(path)
    paste_table(book, CUSTOMERS, company.customers)
    paste_table(book, OPEN_ITEMS, company.open_items)
    paste_table(book, BANK_LINES, company.bank_lines)
    paste_table(book, TRIAL_BALANCE, company.trial_balance)
    settings = find_table(book, "settings")
    assert settings is not None
    body = settings.data_body_range
    rows = body.options(ndim=2).value
    for i, row in enumerate(rows):
        if row[0] == "as_of":
            body[i, 1].value = company.period_end.isoformat()
    book.save()
    book.app.quit()


@pytest.fixture(scope="session")
def pasting():  # type: ignore[no-untyped-def]
    """:func:`paste_table` for test modules (a conftest is not importable by name)."""
    return paste_table


@pytest.fixture(scope="session")
def company() -> Company:
    return generate_company(seed=SEED, n_customers=N_CUSTOMERS)


@pytest.fixture(scope="session")
def filled_template(tmp_path_factory: pytest.TempPathFactory, company: Company) -> Path:
    path = tmp_path_factory.mktemp("close") / "Cuadre Close.xlsx"
    shutil.copyfile(DEFAULT_PATH, path)
    fill_close_book(path, company)
    return path


@pytest.fixture
def close_book(tmp_path: Path, filled_template: Path) -> Path:
    """A fresh copy of the filled close workbook for one test."""
    path = tmp_path / "Close.xlsx"
    shutil.copyfile(filled_template, path)
    return path
