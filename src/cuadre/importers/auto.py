"""Import any file Cuadre reads: detect what it is from its content, read it whole.

What
    :func:`detect_kind` says whether a file is a bank statement, an ERP open-items
    report or an e-invoice (``bank``, ``erp``, ``fiscal``) and why;
    :func:`import_files` reads a set of files with the importer each one calls for and
    returns an :class:`ImportBatch`: the rows per contract table (``bank_lines``,
    ``statements``, ``open_items``, ``fiscal_docs``, ``payment_complements``), the kind
    of each file, the files that failed and every finding.

Why
    The Import buttons of the Excel add-in and the command line take whatever the
    accountant downloaded (a camt.053, an FBL5N export, a ZIP of CFDI) and must not ask
    which format it is. Detection is by content, never by the file name.

Rules
    Strict: a file with an error gives no rows at all (imported whole or not at all);
    the other files are not held back by it. Every row carries ``source_file`` (and
    ERP rows ``source_line``), so that a re-import can find the rows of the same file.

Pure apart from reading the files given: no Excel, no xlwings
(:mod:`cuadre.xl.landing` lands the rows in a workbook's tables).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cuadre.findings import Finding, Location, error, info
from cuadre.importers import bank, erp, fiscal
from cuadre.model.tables import PROVENANCE
from cuadre.model.validate import ReadOptions

__all__ = [
    "ERP_SURE",
    "KINDS",
    "SOURCE_FILE",
    "SOURCE_LINE",
    "ImportBatch",
    "detect_kind",
    "import_files",
]

KINDS = ("bank", "erp", "fiscal")
"""What an Import button asks for: bank statements, ERP open items, CFDI / DIAN."""

ERP_SURE = 0.75
"""An ERP profile scoring this much wins over a bank CSV reading of the same text file."""

SOURCE_FILE = "source_file"
SOURCE_LINE = "source_line"


@dataclass
class ImportBatch:
    """What a set of files gave: the rows per input table, and what happened to each file."""

    tables: dict[str, pd.DataFrame]
    kinds: dict[str, str]
    """Each file (as given) -> ``bank``, ``erp`` or ``fiscal``; unrecognised files are absent."""
    failed: set[str]
    """Files with an error: none of their rows is in ``tables``."""
    findings: list[Finding]


def _is_workbook(data: bytes) -> bool:
    """An .xlsx (a zip with [Content_Types].xml), not a zip of e-invoices."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "[Content_Types].xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def detect_kind(data: bytes, name: str, kind: str | None = None) -> tuple[str | None, str]:
    """``bank``, ``erp`` or ``fiscal`` (None when nothing reads the file), and why.

    Detection is by content, never by the file name. Only a bank CSV export and an ERP
    report (both text tables) can look alike: an ERP profile scoring at least
    :data:`ERP_SURE` wins, else the bank reading. ``kind`` limits the answer to one
    family (the button the accountant pressed)."""
    if kind in (None, "fiscal") and (
        (fiscal.is_zip(data) and not _is_workbook(data)) or fiscal.detect_format(data, name)
    ):
        return "fiscal", "an e-invoice (CFDI, SAT Metadata, DIAN) or a ZIP of them"
    bank_format = bank.detect_format(data, name) if kind in (None, "bank") else None
    if bank_format is not None and bank_format.FORMAT != "bank_csv":
        return "bank", f"a {bank_format.FORMAT} bank statement"
    best = erp.best_profile(data, name) if kind in (None, "erp") else None
    if best is not None and (bank_format is None or best.score >= ERP_SURE):
        return "erp", f"{best.profile} ({best.why})"
    if bank_format is not None:
        return "bank", "a bank CSV export"
    return None, ""


def _unknown_file(source: str, kind: str | None) -> Finding:
    wanted = {
        "bank": "a bank statement (camt.053/054, MT940, BAI2, OFX/QFX, bank CSV)",
        "erp": "an ERP open-items report (SAP FBL5N, Microsip, Oracle, Odoo, ERPNext)",
        "fiscal": "an e-invoice (CFDI XML, SAT Metadata .txt, DIAN XML, or a ZIP of them)",
        None: "a bank statement, an ERP open-items report or an e-invoice",
    }[kind]
    return error(
        Location(source),
        "UNKNOWN_FORMAT",
        f"not {wanted} that Cuadre reads",
        "Check that you picked the right file and the right Import button; an ERP export "
        "Cuadre does not know can be read with a mapping file: cuadre import erp FILE "
        "--profile generic --mapping MAP.toml, then paste the result on OpenItems.",
    )


def _owner(location: str, sources: Sequence[str]) -> str | None:
    """The file a finding belongs to (a ZIP member ``pkg.zip!a.xml`` belongs to pkg.zip)."""
    for source in sources:
        if location == source or location.startswith(source + "!"):
            return source
    return None


def _from_file(column: pd.Series, source: str) -> pd.Series:
    text = column.astype(str)
    return text.eq(source) | text.str.startswith(source + "!")


def import_files(
    paths: Sequence[str | Path],
    kind: str | None = None,
    options: ReadOptions | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> ImportBatch:
    """Read every file with the importer its content calls for (see :func:`detect_kind`).

    Bank statements go through :func:`cuadre.importers.bank.import_bank_files`
    (duplicate statements across the files dropped), e-invoices through
    :func:`cuadre.importers.fiscal.import_fiscal` (an XML and its SAT Metadata row
    merged), ERP reports through :func:`cuadre.importers.erp.import_erp` with the profile
    that fits best. A file with an error gives no rows at all (strict: a file is
    imported whole or not at all); the others are not held back by it. ERP rows carry
    ``source_file`` and ``source_line`` like the other tables, so that a re-import can
    find them. ``progress(i, name)`` is called before each file is looked at.
    """
    sources = [str(p) for p in paths]
    findings: list[Finding] = []
    kinds: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    for i, source in enumerate(sources, start=1):
        if progress is not None:
            progress(i, Path(source).name)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            findings.append(
                error(
                    Location(source),
                    "FILE_NOT_READABLE",
                    f"cannot read the file ({exc.strerror or exc})",
                    "Check that the file exists and is not open in another program.",
                )
            )
            continue
        found, why = detect_kind(data, source, kind)
        if found is None:
            findings.append(_unknown_file(source, kind))
            continue
        kinds[source] = found
        blobs[source] = data
        findings.append(info(Location(source), "FILE_KIND", f"read as {why}"))
    tables: dict[str, pd.DataFrame] = {}
    bank_files = [s for s in sources if kinds.get(s) == "bank"]
    if bank_files:
        result = bank.import_bank_files([Path(s) for s in bank_files])
        findings.extend(result.findings)
        tables["bank_lines"], tables["statements"] = result.bank_lines, result.statements
    fiscal_files = [s for s in sources if kinds.get(s) == "fiscal"]
    if fiscal_files:
        docs, comps, more = fiscal.import_fiscal([(blobs[s], s) for s in fiscal_files])
        findings.extend(more)
        tables["fiscal_docs"], tables["payment_complements"] = docs, comps
    erp_frames = []
    for source in (s for s in sources if kinds.get(s) == "erp"):
        best = erp.best_profile(blobs[source], source)
        assert best is not None  # detect_kind said erp
        frame, more = erp.import_erp(blobs[source], source, best.profile, options=options)
        findings.extend(more)
        rows = frame["source_row"] if "source_row" in frame else pd.Series(pd.NA, index=frame.index)
        frame = frame.drop(columns=[c for c in PROVENANCE if c in frame])
        frame[SOURCE_FILE] = source
        frame[SOURCE_LINE] = pd.array(rows, dtype="Int64")
        erp_frames.append(frame)
    if erp_frames:
        tables["open_items"] = pd.concat(erp_frames, ignore_index=True)
    failed: set[str] = set()
    for f in findings:
        if f.is_error:
            owner = _owner(f.location.file, sources)
            failed |= {owner} if owner else set(kinds)  # an error of no one file: all of them
    for name, frame in tables.items():
        if failed and len(frame):
            gone = pd.Series(False, index=frame.index)
            for source in failed:
                gone |= _from_file(frame[SOURCE_FILE], source)
            tables[name] = frame[~gone].reset_index(drop=True)
    return ImportBatch(tables, kinds, failed, findings)
