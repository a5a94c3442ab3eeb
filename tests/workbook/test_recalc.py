"""A real spreadsheet engine recalculates every formula Cuadre writes and gets Cuadre's numbers.

LibreOffice (headless) opens the close workbook with every cached formula value
poisoned to 0, recalculates on load, and exports each sheet; each formula cell must come
out equal to the value the engine computed. This catches formulas that Excel-compatible
engines reject (#NAME?, Err:508) or compute differently. Skipped where LibreOffice is not
installed, except in CI, which installs it.
"""

from __future__ import annotations

import pytest

from cuadre.workbook.close_book import run_demo
from recalc_util import assert_formulas_recalculate, recalculate


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    root = tmp_path_factory.mktemp("recalc")
    book = root / "close.xlsx"
    run_demo(book, root / "data", n_customers=40)
    return book, recalculate(book, root, at_least=21)


def test_every_formula_recalculates_to_the_engine_value(recalculated):
    book, sheets = recalculated
    assert assert_formulas_recalculate(book, sheets) > 30
    assert not any("DIFFERENCE" in c for rows in sheets.values() for r in rows for c in r)
