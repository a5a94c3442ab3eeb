"""``cuadre run <script> --workbook FILE``: a ribbon script on a workbook file, no Excel.

The workbook is opened on the headless engine (:mod:`cuadre.xl.engine`), the script
runs exactly as behind its ribbon button, and the workbook is saved: in place when the
engine keeps everything in it, else as ``<name> (cuadre).xlsx`` beside it with a
``WORKBOOK_COPY`` warning saying why (charts, pivot tables... that openpyxl would drop).

``import`` takes the files to import (``files``), the ones the Import buttons ask for.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from cuadre.findings import Finding, Location, error
from cuadre.xl import scripts
from cuadre.xl.engine import new_app, open_book

__all__ = ["SCRIPTS", "run_script"]

SCRIPTS = {
    "match": scripts.xl_match,
    "aging": scripts.xl_aging,
    "close": scripts.xl_close,
    "import": scripts.xl_import,
    "post": scripts.xl_post,
    "collections": scripts.xl_collections,
    "reconcile": scripts.xl_reconcile,
    "accruals": scripts.xl_accruals,
    "evidence": scripts.xl_evidence,
    "settings": scripts.xl_settings,
}
"""Script names as typed after ``cuadre run``, each the function behind a ribbon button."""


def run_script(name: str, workbook: Path, files: Sequence[Path] | None = None) -> list[Finding]:
    """Run the ribbon script ``name`` on ``workbook``; returns every finding.

    ``files`` are the files ``import`` reads (the ones its buttons ask for); other
    scripts take none."""
    label = str(workbook)
    script = SCRIPTS.get(name)
    if script is None:
        return [
            error(
                Location(label),
                "UNKNOWN_SCRIPT",
                f'there is no script "{name}"',
                f"Use one of: {', '.join(SCRIPTS)}.",
            )
        ]
    if files and name != "import":
        return [
            error(
                Location(label),
                "NO_FILES_HERE",
                f'the "{name}" script reads the workbook only; files are for "import"',
                "Leave out the files, or run: cuadre run import --workbook BOOK FILE...",
            )
        ]
    if not workbook.is_file():
        return [
            error(
                Location(label),
                "FILE_NOT_FOUND",
                "workbook not found",
                "Check the path; the template is workbooks/Cuadre Close.xlsx.",
            )
        ]
    if workbook.suffix.lower() not in (".xlsx", ".xlsm"):
        return [
            error(
                Location(label),
                "NOT_XLSX",
                f"{workbook.name} is not an .xlsx or .xlsm workbook",
                "Save it as an Excel workbook (.xlsx) first.",
            )
        ]
    app = new_app()
    try:
        try:
            book, notes = open_book(workbook, app)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            return [
                error(
                    Location(label),
                    "BAD_WORKBOOK",
                    f"the workbook cannot be opened ({exc})",
                    "Open it in Excel and save it again as .xlsx.",
                )
            ]
        if name == "import":
            findings = scripts.xl_import(book, paths=list(files or []))
        else:
            findings = script(book)
        book.save()
        return notes + findings + book.impl.notes
    finally:
        app.quit()
