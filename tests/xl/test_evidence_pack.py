"""The Evidence pack button and :mod:`cuadre.evidence_pack`: a zip beside the workbook
with every table as CSV and a manifest whose SHA-256 an auditor can check."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cuadre.evidence_pack import (
    MANIFEST,
    PackTable,
    cells_csv,
    pack_members,
    pack_path,
    table_csv,
    write_pack,
    zip_bytes,
)
from cuadre.io.tables import read_table
from cuadre.model.tables import OPEN_ITEMS
from cuadre.xl import scripts
from cuadre.xl.engine import new_app, open_book
from cuadre.xl.run import run_script
from cuadre.xl.sheets import find_table


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_manifest_lists_every_member_with_its_sha256() -> None:
    tables = [
        PackTable("open_items", "input", "OpenItems", 1, b"a,b\n1,2\n"),
        PackTable("aging", "output", "Aging", 0, b"x\n"),
    ]
    members = pack_members(tables, [("Cuadre version", "1.0")])
    assert set(members) == {"inputs/open_items.csv", "outputs/aging.csv", "facts.csv", MANIFEST}
    rows = read_csv(members[MANIFEST])
    assert rows[0] == ["member", "kind", "table", "sheet", "rows", "sha256"]
    listed = {r[0]: r for r in rows[1:]}
    assert set(listed) == set(members) - {MANIFEST}
    for name, row in listed.items():
        assert row[5] == hashlib.sha256(members[name]).hexdigest()
    assert listed["inputs/open_items.csv"][1:5] == ["input", "open_items", "OpenItems", "1"]
    with pytest.raises(ValueError):
        pack_members([tables[0], tables[0]], [])


def test_same_tables_same_zip_bytes(tmp_path: Path) -> None:
    members = pack_members([PackTable("t", "output", "S", 1, b"a\n1\n")], [("x", "y")])
    assert zip_bytes(members) == zip_bytes(dict(reversed(list(members.items()))))
    path = tmp_path / "p.zip"
    digest = write_pack(path, members)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist()[0] == MANIFEST
        assert zf.testzip() is None


def test_cells_csv_keeps_numbers_exact_and_dates_iso() -> None:
    data = cells_csv(
        ["a", "b", "c", "d"],
        [[1234.5, dt.datetime(2026, 10, 31), None, "=HYPERLINK(1)"], [3.0, True, 0.1, "x"]],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_csv(data) == [
        ["a", "b", "c", "d"],
        ["1234.5", "2026-10-31", "", "=HYPERLINK(1)"],
        ["3", "TRUE", "0.1", "x"],
    ]


def test_input_csv_is_the_contract_form(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["007"],
            "document_id": ["F-1"],
            "document_type": ["invoice"],
            "document_date": pd.to_datetime(["2026-10-01"]),
            "due_date": pd.to_datetime(["2026-10-31"]),
            "currency": ["JPY"],
            "amount_open": pd.array([1500], dtype="Int64"),
        }
    )
    path = tmp_path / "oi.csv"
    path.write_bytes(table_csv(frame, OPEN_ITEMS))
    back, findings = read_table(path, OPEN_ITEMS)
    assert not [f for f in findings if f.is_error]
    assert back["customer_id"].tolist() == ["007"]
    assert back["amount_open"].tolist() == [1500]


def test_pack_path_is_beside_the_workbook() -> None:
    got = pack_path(Path("/x/Close.xlsx"), dt.datetime(2026, 11, 1, 9, 30, 5))
    assert got == Path("/x/Close evidence 2026-11-01 093005.zip")


def test_the_button_writes_the_pack_and_the_evidence_sheet(close_book: Path) -> None:
    assert not [f for f in run_script("close", close_book) if f.is_error]
    findings = run_script("evidence", close_book)
    assert not [f for f in findings if f.is_error], findings
    packs = list(close_book.parent.glob("Close evidence *.zip"))
    assert len(packs) == 1
    with zipfile.ZipFile(packs[0]) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = read_csv(members[MANIFEST])
    listed = {r[0]: r for r in manifest[1:]}
    assert set(listed) == set(members) - {MANIFEST}
    for name, row in listed.items():
        assert row[5] == hashlib.sha256(members[name]).hexdigest(), name
    for table in ("open_items", "bank_lines", "customers", "trial_balance", "settings"):
        assert f"inputs/{table}.csv" in members, table
    for table in ("allocations", "unapplied", "aging", "issues"):
        assert f"outputs/{table}.csv" in members, table
    assert "outputs/evidence.csv" not in members and "outputs/readme.csv" not in members
    # the input CSV is the contract table: the command line reads it back as it is
    path = close_book.parent / "oi.csv"
    path.write_bytes(members["inputs/open_items.csv"])
    oi, problems = read_table(path, OPEN_ITEMS)
    assert not [f for f in problems if f.is_error]
    assert int(listed["inputs/open_items.csv"][4]) == len(oi) > 0
    # the Evidence sheet: one row per input (and currency) with the member and its SHA-256
    book, _ = open_book(close_book)
    try:
        table = find_table(book, "evidence")
        assert table is not None
        rows = table.range.options(pd.DataFrame, index=False).value
        for member, sha in zip(rows["file"], rows["sha256"], strict=True):
            assert listed[member][5] == sha
        facts = table.parent.range((1, 1), (table.range.row, 1)).value
        assert "Evidence pack" in facts and "Pack SHA-256" in facts
    finally:
        book.app.quit()
    assert hashlib.sha256(packs[0].read_bytes()).hexdigest() in " ".join(
        f.message for f in findings
    )


def test_an_unsaved_workbook_gets_no_pack() -> None:
    app = new_app()
    try:
        book = app.books.add()
        findings = scripts.xl_evidence(book)
        assert [f.code for f in findings if f.is_error] == ["WORKBOOK_NOT_SAVED"]
        assert "Save the workbook" in findings[-1].hint
        assert "no pack" in book.app.impl.alerts[-1][1]
    finally:
        app.quit()


def test_input_errors_stop_the_pack(close_book: Path) -> None:
    book, _ = open_book(close_book)
    try:
        table = find_table(book, "open_items")
        assert table is not None
        table.data_body_range[0, 7].value = "12x"
        findings = scripts.xl_evidence(book)
        assert any(f.code == "NOT_A_NUMBER" for f in findings)
    finally:
        book.app.quit()
    assert not list(close_book.parent.glob("*.zip"))


def test_settings_button_checks_and_adds_the_sheet(close_book: Path, tmp_path: Path) -> None:
    book, _ = open_book(close_book)
    try:
        settings = find_table(book, "settings")
        assert settings is not None
        body = settings.data_body_range
        rows = body.options(ndim=2).value
        i = next(i for i, r in enumerate(rows) if r[0] == "functional_currency")
        body[i, 1].value = "PESOS"
        j = next(j for j, r in enumerate(rows) if r[0] == "date_order")
        body[j, 0].value = "date_ordr"
        findings = scripts.xl_settings(book)
        codes = {f.code: f for f in findings}
        assert codes["BAD_SETTING"].location.excel() == f"Settings!B{body.row + i}"
        assert codes["UNKNOWN_SETTING"].location.excel() == f"Settings!A{body.row + j}"
        assert codes["SETTING_DEFAULT"].message.startswith('"date_order"')
        assert "problem(s) in the settings" in book.app.impl.alerts[-1][1]
        assert book.sheets.active.name == "Settings"
    finally:
        book.app.quit()
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    findings = run_script("settings", empty)
    assert "SETTINGS_ADDED" in [f.code for f in findings]
    wb = openpyxl.load_workbook(empty)
    assert "settings" in wb["Settings"].tables
