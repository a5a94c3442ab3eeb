"""A user's formulas pointing at Cuadre's output sheets survive a re-run.

In Excel, deleting a sheet or a table turns every formula that points at it into
``#REF!``. ``write_sheets`` therefore never deletes an output sheet or its table once
they exist: it clears them and writes again in place, inserting rows above the table
when the control block grew. The headless engine cannot insert rows; a stand-in that
does it as Excel does (rows shift, tables move with them) checks that path too.
LibreOffice then recalculates the user's formulas on the saved file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from cuadre.xl import engine, scripts
from cuadre.xl.engine import open_book
from recalc_util import libreoffice_sheets, require_soffice

USER_FORMULAS = {
    "A1": "=SUM(aging[total])",
    "A2": "=COUNTA(allocations[payment_id])",
    "A3": "=Aging!A1",
}


def insert_rows_like_excel(self: engine.Range, shift: str, copy_origin: Any = None) -> None:
    """Excel's EntireRow.Insert: the rows below move down, tables with them."""
    assert shift == "down" and self.shape[1] == engine.MAX_COLUMNS
    ws, first, amount = self.ws, self.row, self.shape[0]
    ws.insert_rows(first, amount)
    for table in ws.tables.values():
        r1, c1, r2, c2 = engine._bounds(table.ref)
        if r1 >= first:
            table.ref = f"{get_column_letter(c1)}{r1 + amount}:{get_column_letter(c2)}{r2 + amount}"
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref


@pytest.fixture
def deletions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every sheet or table deleted through the xlwings API."""
    seen: list[str] = []
    sheet_delete, table_delete = engine.Sheet.delete, engine.Table.delete

    def delete_sheet(self: engine.Sheet) -> None:
        seen.append(f"sheet {self.name}")
        sheet_delete(self)

    def delete_table(self: engine.Table) -> None:
        seen.append(f"table {self.name}")
        table_delete(self)

    monkeypatch.setattr(engine.Sheet, "delete", delete_sheet)
    monkeypatch.setattr(engine.Table, "delete", delete_table)
    return seen


def add_user_sheet(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("My report")
    for cell, formula in USER_FORMULAS.items():
        ws[cell] = formula
    wb.save(path)


def run_close(path: Path) -> dict[str, int]:
    """Run the close on ``path``; the id() of each output sheet's worksheet and table."""
    book, _ = open_book(path)
    try:
        before = _objects(book)
        findings = scripts.xl_close(book)
        assert not [f for f in findings if f.is_error], findings
        after = _objects(book)
        book.save()
    finally:
        book.app.quit()
    kept = {k: v for k, v in before.items() if after.get(k) == v}
    return kept


def _objects(book: Any) -> dict[str, int]:
    out = {}
    for name in ("Matches", "Unapplied", "Aging", "Issues", "Evidence"):
        if name in [s.name for s in book.sheets]:
            ws = book.sheets[name].impl.ws
            out[f"sheet {name}"] = id(ws)
            for t in ws.tables.values():
                out[f"table {t.name}"] = id(t)
    return out


def test_reruns_keep_the_sheets_and_tables(close_book: Path, deletions: list[str]) -> None:
    run_close(close_book)  # from the template: the tables move down, the headless way
    add_user_sheet(close_book)
    deletions.clear()
    kept = run_close(close_book)
    assert deletions == []
    assert {"sheet Aging", "table aging", "sheet Matches", "table allocations"} <= set(kept)
    wb = openpyxl.load_workbook(close_book)
    assert wb.sheetnames[-1] == "My report"
    assert {c: wb["My report"][c].value for c in USER_FORMULAS} == USER_FORMULAS
    assert list(wb["Aging"].tables) == ["aging"]


def test_a_grown_control_block_moves_the_table_down_as_excel_does(
    close_book: Path, deletions: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.Range, "insert", insert_rows_like_excel, raising=False)
    add_user_sheet(close_book)
    run_close(close_book)  # the template's Aging has 2 control rows, the close's many
    assert deletions == []
    wb = openpyxl.load_workbook(close_book)
    ws = wb["Aging"]
    header = int("".join(ch for ch in ws.tables["aging"].ref.split(":")[0] if ch.isdigit()))
    assert ws.cell(header, 1).value == "customer_id"
    assert ws.cell(header - 1, 1).value is None  # the blank row above the table


def test_user_formulas_recalculate_to_the_new_run(
    close_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_soffice()
    monkeypatch.setattr(engine.Range, "insert", insert_rows_like_excel, raising=False)
    run_close(close_book)
    add_user_sheet(close_book)
    # the next run sees one open item fewer: the user's figures must follow
    wb = openpyxl.load_workbook(close_book)
    ws = wb["OpenItems"]
    table = ws.tables["open_items"]
    r1, c1, r2, c2 = engine._bounds(table.ref)
    for c in range(c1, c2 + 1):
        ws.cell(r2, c).value = None
    table.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2 - 1}"
    wb.save(close_book)
    run_close(close_book)

    wb = openpyxl.load_workbook(close_book)
    aging = wb["Aging"]
    a1, _c, a2, _d = engine._bounds(aging.tables["aging"].ref)
    head = [c.value for c in aging[a1]]
    total = head.index("total") + 1
    want_total = sum(aging.cell(r, total).value or 0 for r in range(a1 + 1, a2 + 1))
    matches = wb["Matches"].tables["allocations"]
    m1, _c, m2, _d = engine._bounds(matches.ref)
    sheets = libreoffice_sheets(close_book, tmp_path)
    mine = sheets["My report"]
    assert float(mine[0][0]) == pytest.approx(want_total, abs=0.005)
    assert float(mine[1][0]) == m2 - m1
    assert mine[2][0] == aging["A1"].value
