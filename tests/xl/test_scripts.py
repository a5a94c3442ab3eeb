"""The ribbon scripts on the close template filled with the demo company, headless.

Golden-ish: the sheets a script writes hold the same answer as ``cuadre close`` gives
on the same data read from CSV files (the file-mode shell), and re-running replaces
Cuadre's sheets without touching any other.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cuadre.workbook.close_book import run_close_files, write_demo_inputs
from cuadre.xl import scripts
from cuadre.xl.engine import open_book
from cuadre.xl.run import SCRIPTS, run_script
from cuadre.xl.sheets import find_table

SEED, N_CUSTOMERS = 2026, 30


def table_frame(path: Path, name: str) -> pd.DataFrame:
    book, _ = open_book(path)
    try:
        table = find_table(book, name)
        assert table is not None, f"no table {name}"
        return table.range.options(pd.DataFrame, index=False).value
    finally:
        book.app.quit()


@pytest.fixture(scope="module")
def file_mode(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The same close run by the file-mode shell (CSV inputs -> run_close_files)."""
    tmp = tmp_path_factory.mktemp("files")
    files, period_end = write_demo_inputs(tmp, SEED, N_CUSTOMERS)
    result, _findings = run_close_files(files, tmp / "close.xlsx", as_of=period_end)
    assert result is not None
    return result


def test_close_writes_the_same_matches_and_aging_as_the_file_shell(
    close_book: Path, file_mode
) -> None:  # type: ignore[no-untyped-def]
    findings = run_script("close", close_book)
    assert not [f for f in findings if f.is_error], findings
    matches = table_frame(close_book, "allocations")
    want = file_mode.allocations
    assert list(matches["payment_id"]) == list(want["payment_id"])
    assert list(matches["document_id"].fillna("")) == list(want["document_id"])
    assert list(matches["status"]) == list(want["status"])
    cur = want["currency"].map({"JPY": 1}).fillna(100).to_numpy()
    assert (matches["amount_applied"].to_numpy() * cur).round().astype("int64").tolist() == want[
        "amount_applied"
    ].astype("int64").tolist()
    aging = table_frame(close_book, "aging")
    assert list(aging["customer_id"]) == list(file_mode.aging["customer_id"])
    assert (aging["total"] * 100).round().astype("int64").tolist() == file_mode.aging[
        "total"
    ].astype("int64").tolist()
    unapplied = table_frame(close_book, "unapplied")
    assert list(unapplied["payment_id"]) == list(file_mode.unapplied["payment_id"])


def test_match_writes_only_its_sheets_and_reruns_replace_them(close_book: Path) -> None:
    wb = openpyxl.load_workbook(close_book)
    notes = wb.create_sheet("My notes")
    notes["A1"] = "=COUNTA(OpenItems!A:A)"
    notes["A2"] = "keep me"
    wb.save(close_book)
    before = openpyxl.load_workbook(close_book)
    aging_before = [[c.value for c in r] for r in before["Aging"].iter_rows()]

    run_script("match", close_book)
    first = openpyxl.load_workbook(close_book)
    run_script("match", close_book)
    second = openpyxl.load_workbook(close_book)

    assert first.sheetnames == second.sheetnames == before.sheetnames
    assert second["My notes"]["A1"].value == "=COUNTA(OpenItems!A:A)"
    assert second["My notes"]["A2"].value == "keep me"
    assert [[c.value for c in r] for r in second["Aging"].iter_rows()] == aging_before
    for sheet in ("Matches", "Unapplied"):
        rows1 = [[c.value for c in r] for r in first[sheet].iter_rows()]
        rows2 = [[c.value for c in r] for r in second[sheet].iter_rows()]
        assert rows1 == rows2, sheet
        assert len(second[sheet].tables) == 1
    matches = second["Matches"]
    assert set(matches.tables) == {"allocations"}
    header = matches.tables["allocations"].ref.split(":")[0]
    assert matches[header].value == "payment_id"


def test_output_text_is_never_a_formula_and_ids_keep_zeros(tmp_path: Path) -> None:
    from cuadre.model.tables import UNAPPLIED
    from cuadre.workbook.writer import SheetSpec
    from cuadre.xl.engine import new_app
    from cuadre.xl.sheets import write_sheets

    hostile = ['=HYPERLINK("http://x")', "+52 55", "-abc", "@SUM(A1)", "00123"]
    frame = pd.DataFrame(
        {
            "payment_id": hostile,
            "payer_name": hostile,
            "currency": ["MXN"] * 5,
            "amount": pd.array([100, 200, 300, 400, 500], dtype="Int64"),
        }
    )
    app = new_app()
    book = app.books.add()
    write_sheets(book, [SheetSpec("Unapplied", "unapplied", frame, UNAPPLIED)])
    book.save(str(tmp_path / "o.xlsx"))
    app.quit()
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx")["Unapplied"]
    ref = ws.tables["unapplied"].ref
    first = int(ref.split(":")[0][1:]) + 1
    got = [ws.cell(first + i, 1) for i in range(5)]
    assert [c.value for c in got] == hostile
    assert all(c.data_type == "s" for c in got)
    assert [ws.cell(first + i, 4).value for i in range(5)] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert ws.cell(first, 4).number_format == "#,##0.00;[Red]-#,##0.00"


def test_input_errors_go_to_issues_and_a_message_box(close_book: Path) -> None:
    book, _ = open_book(close_book)
    table = find_table(book, "open_items")
    assert table is not None
    amount = table.data_body_range[2, 7]
    amount.value = "12x.50"
    row = amount.row
    findings = scripts.xl_match(book)
    errors = [f for f in findings if f.is_error]
    assert errors and errors[0].location.excel() == f"OpenItems!H{row}"
    issues = find_table(book, "issues")
    assert issues is not None
    cells = issues.data_body_range.options(ndim=2).value
    assert any(r[3] == f"OpenItems!H{row}" and r[0] == "error" for r in cells)
    alerts = book.app.impl.alerts
    assert alerts and "Issues sheet" in alerts[-1][1] and f"OpenItems!H{row}" in alerts[-1][1]
    assert find_table(book, "allocations").data_body_range.value[0] is None  # still empty
    assert book.app.impl.status_bar is False  # given back to Excel
    assert book.app.impl.status_history[0].startswith("Cuadre: reading")
    book.app.quit()


def test_unexpected_failure_is_reported_not_raised(
    close_book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scripts, "run_close", boom)
    book, _ = open_book(close_book)
    findings = scripts.xl_aging(book)
    assert [f.code for f in findings] == ["INTERNAL_ERROR"]
    assert "disk on fire" in book.app.impl.alerts[-1][1]
    assert find_table(book, "issues") is not None
    book.app.quit()


def test_bad_calls(tmp_path: Path) -> None:
    assert run_script("nope", tmp_path / "x.xlsx")[0].code == "UNKNOWN_SCRIPT"
    assert run_script("match", tmp_path / "x.xlsx")[0].code == "FILE_NOT_FOUND"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    assert run_script("match", bad)[0].code == "BAD_WORKBOOK"
    assert set(SCRIPTS) >= {"match", "aging", "close"}


def test_settings_errors_are_located(close_book: Path) -> None:
    book, _ = open_book(close_book)
    settings = find_table(book, "settings")
    assert settings is not None
    rows = settings.data_body_range.options(ndim=2).value
    i = next(i for i, r in enumerate(rows) if r[0] == "buckets")
    settings.data_body_range[i, 1].value = "30,20"
    findings = scripts.xl_aging(book)
    bad = [f for f in findings if f.code == "BAD_SETTING"]
    assert bad and bad[0].location.excel() == f"Settings!B{settings.data_body_range.row + i}"
    book.app.quit()


def test_post_accepted_matches_journal_complements_and_learning(close_book: Path) -> None:
    run_script("match", close_book)
    wb = openpyxl.load_workbook(close_book)
    ws = wb["Matches"]
    table = ws.tables["allocations"]
    first = table.ref.split(":")[0]
    header_row = int("".join(ch for ch in first if ch.isdigit()))
    headers = [c.value for c in ws[header_row]]
    review = headers.index("review") + 1
    status = headers.index("status") + 1
    accepted = 0
    for row in range(header_row + 1, ws.max_row + 1):
        if ws.cell(row, status).value == "suggested" and accepted < 3:
            ws.cell(row, review).value = "accept"
            accepted += 1
    wb.save(close_book)
    findings = run_script("post", close_book)
    assert not [f for f in findings if f.is_error]
    journal = table_frame(close_book, "journal_lines")
    sums = journal.groupby("journal_id")[["debit", "credit"]].sum()
    assert len(sums) > 10 and ((sums["debit"] - sums["credit"]).abs() < 0.005).all()
    assert not table_frame(close_book, "complement_data").empty
    learned = table_frame(close_book, "learned")
    assert set(learned["kind"]) <= {"account", "alias"}
    # the next match reads what was learned, and the Learned sheet survives re-runs
    run_script("match", close_book)
    assert "Learned" in openpyxl.load_workbook(close_book).sheetnames
