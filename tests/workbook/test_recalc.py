"""A real spreadsheet engine recalculates every formula Cuadre writes and gets Cuadre's numbers.

LibreOffice (headless) opens the close workbook with every cached formula value
poisoned to 0, recalculates on load, and exports each sheet; each formula cell must come
out equal to the value the engine computed. This catches formulas that Excel-compatible
engines reject (#NAME?, Err:508) or compute differently. Skipped where LibreOffice is not
installed, except in CI, which installs it.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cuadre.workbook.close_book import run_demo

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def _poison(src: Path, dst: Path) -> int:
    """Copy the workbook with every cached formula result replaced by 0."""
    count = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text, n = re.subn(r"(<f>[^<]*</f><v>)[^<]*(</v>)", r"\g<1>0\g<2>", data.decode())
                count += n
                data = text.encode()
            zout.writestr(item, data)
    return count


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    if SOFFICE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is not installed in CI (.ci/run installs it)")
        pytest.skip("LibreOffice is not installed")
    root = tmp_path_factory.mktemp("recalc")
    book = root / "close.xlsx"
    run_demo(book, root / "data", n_customers=40)
    poisoned = root / "poisoned.xlsx"
    assert _poison(book, poisoned) > 20
    profile = root / "profile" / "user"
    profile.mkdir(parents=True)
    (profile / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    out = root / "csv"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless",
         "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(out), str(poisoned)],
        check=True, capture_output=True, timeout=300,
    )
    sheets = {}
    for path in out.glob("poisoned-*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            sheets[path.stem.removeprefix("poisoned-")] = list(csv.reader(fh))
    return book, sheets


def test_every_formula_recalculates_to_the_engine_value(recalculated):
    book, sheets = recalculated
    formulas = openpyxl.load_workbook(book)
    values = openpyxl.load_workbook(book, data_only=True)
    checked = 0
    for ws in formulas.worksheets:
        grid = sheets[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                    continue
                want = values[ws.title][cell.coordinate].value
                got = grid[cell.row - 1][cell.column - 1]
                where = f"{ws.title}!{cell.coordinate} {cell.value[:80]}"
                if isinstance(want, int | float):
                    assert got not in ("", "0") or want == 0, where
                    assert abs(float(got) - float(want)) < 0.005, f"{where}: {got} != {want}"
                else:
                    assert got == str(want), f"{where}: {got} != {want}"
                checked += 1
    assert checked > 30
    assert not any("DIFFERENCE" in c for rows in sheets.values() for r in rows for c in r)
