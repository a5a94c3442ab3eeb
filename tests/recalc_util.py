"""Recalculate a workbook in LibreOffice (headless) and compare every formula with Cuadre.

Every cached formula value is poisoned to 0, LibreOffice recalculates on load and exports
each sheet as CSV; each formula cell must come back equal to the value the engine cached.
This catches formulas Excel-compatible engines reject (#NAME?, Err:508) or compute
differently. Without LibreOffice the caller is skipped, except in CI, which installs it.
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

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
_CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def require_soffice() -> str:
    """The LibreOffice binary; skip the test without it (fail in CI, which installs it)."""
    if SOFFICE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is not installed in CI (.ci/run installs it)")
        pytest.skip("LibreOffice is not installed")
    return SOFFICE


def poison(src: Path, dst: Path) -> int:
    """Copy the workbook with every cached formula result replaced by 0; return how many."""
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


def libreoffice_sheets(book: Path, root: Path) -> dict[str, list[list[str]]]:
    """Open ``book`` in LibreOffice (recalculating on load) and return each sheet's cells
    as text, exported to CSV under ``root``."""
    soffice = require_soffice()
    profile = root / "profile" / "user"
    profile.mkdir(parents=True)
    (profile / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    out = root / "csv"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            _CSV_FILTER,
            "--outdir",
            str(out),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    sheets = {}
    for path in out.glob(f"{book.stem}-*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            sheets[path.stem.removeprefix(f"{book.stem}-")] = list(csv.reader(fh))
    return sheets


def recalculate(book: Path, root: Path, at_least: int = 1) -> dict[str, list[list[str]]]:
    """Poison ``book``, let LibreOffice recalculate it and return each sheet's cells."""
    require_soffice()
    poisoned = root / "poisoned.xlsx"
    assert poison(book, poisoned) >= at_least
    return libreoffice_sheets(poisoned, root)


def assert_formulas_recalculate(book: Path, sheets: dict[str, list[list[str]]]) -> int:
    """Every formula cell of ``book`` equals its recalculated value; returns how many."""
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
    return checked
