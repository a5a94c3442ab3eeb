"""Which parts of a workbook file the headless engine can keep, and which it would lose.

The headless engine (:mod:`cuadre.xl.engine`) edits a workbook with openpyxl, which
rewrites the whole package on save and keeps only the parts it models. It silently
drops charts' formatting, images, pivot caches, slicers, timelines, the dynamic-array
metadata of spilled formulas, Power Query connections, the Data Model, threaded
comments, sparklines, and xlwings Lite's code (stored in web-extension and custom XML
parts). A workbook holding any of them must never be overwritten by the headless
engine: the caller writes to a new file beside it instead (and says why).

The check is an allowlist on the package's part names (ECMA-376 Part 2, Open Packaging
Conventions), plus a scan of each worksheet part for the ``extLst`` features openpyxl
drops (x14 sparklines, conditional formats and data validations). Anything not known to
round-trip is treated as lost: being wrong in that direction costs a copy, the other
direction costs the user's work.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PackageReport", "inspect_package"]

_SAFE = re.compile(
    r"^(\[Content_Types\]\.xml"
    r"|_rels/\.rels"
    r"|docProps/(app|core|custom)\.xml"
    r"|xl/workbook\.xml"
    r"|xl/_rels/workbook\.xml\.rels"
    r"|xl/styles\.xml"
    r"|xl/theme/theme\d+\.xml"
    r"|xl/sharedStrings\.xml"
    r"|xl/worksheets/sheet\d+\.xml"
    r"|xl/worksheets/_rels/sheet\d+\.xml\.rels"
    r"|xl/tables/table\d+\.xml"
    r")$"
)
"""Parts openpyxl reads into its model and writes back."""

_REBUILT = re.compile(
    r"^(xl/calcChain\.xml|xl/printerSettings/printerSettings\d+\.bin"
    r"|docProps/thumbnail\.(jpeg|jpg|png|wmf|emf))$"
)
"""Parts openpyxl drops that Excel rebuilds or never needed: the calculation chain
(rebuilt on the next calculation), printer driver settings (the page setup itself is
in the sheet), the file-browser thumbnail."""

_VBA = re.compile(r"^xl/vbaProject\.bin$")
"""Kept by openpyxl's ``keep_vba=True`` (macro-enabled workbooks)."""

_WHAT = (
    (r"xl/charts/|xl/chartsheets/", "a chart"),
    (r"xl/drawings/", "drawings (charts, shapes or pictures)"),
    (r"xl/media/", "pictures"),
    (r"xl/pivotCache/|xl/pivotTables/", "a pivot table"),
    (r"xl/slicers?/|xl/slicerCaches/", "slicers"),
    (r"xl/timeline", "timelines"),
    (r"xl/webextensions/|xl/webExtensions/", "an Office add-in part (such as xlwings Lite code)"),
    (r"customXml/", "custom XML parts (Power Query, add-in or document-library data)"),
    (r"xl/metadata\.xml", "dynamic-array formulas (spills)"),
    (r"xl/richData/", "data types or pictures in cells"),
    (r"xl/model/|xl/connections\.xml|xl/queryTables/", "Power Query / Data Model connections"),
    (r"xl/threadedComments/|xl/persons/", "threaded comments"),
    (r"xl/comments\d*\.xml|xl/drawings/vmlDrawing", "notes (comments)"),
    (r"xl/externalLinks/", "links to other workbooks"),
    (r"xl/activeX/|xl/ctrlProps/|xl/embeddings/", "form controls or embedded objects"),
    (r"customUI/", "a custom ribbon"),
    (r"xl/vbaProject", "macros"),
)

_SHEET_FEATURES = (
    (b"x14:sparklineGroup", "sparklines"),
    (b"x14:conditionalFormatting", "extended conditional formats (data bars, icon sets)"),
    (b"x14:dataValidation", "data validations that refer to other sheets"),
)


@dataclass
class PackageReport:
    """What a workbook package holds, from the headless engine's point of view."""

    path: Path
    parts: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    """Parts (or ``part: feature``) that a save through openpyxl would drop or damage."""
    reasons: list[str] = field(default_factory=list)
    """The same, in words: ``a chart``, ``a pivot table``..."""
    has_vba: bool = False

    @property
    def safe(self) -> bool:
        """True when saving through openpyxl keeps everything the user made."""
        return not self.lost

    def why(self) -> str:
        return ", ".join(dict.fromkeys(self.reasons))


def _reason(part: str) -> str:
    for pattern, words in _WHAT:
        if re.match(pattern, part):
            return words
    return f"a part Cuadre does not know ({part})"


def inspect_package(path: str | Path, keep_vba: bool = True) -> PackageReport:
    """List the parts of ``path`` that openpyxl would lose. Raises ``zipfile.BadZipFile``
    for a file that is not a workbook package (the caller reports it)."""
    report = PackageReport(Path(path))
    with zipfile.ZipFile(path) as zf:
        report.parts = zf.namelist()
        for part in report.parts:
            if part.endswith("/") or _SAFE.match(part) or _REBUILT.match(part):
                if re.match(r"xl/worksheets/sheet\d+\.xml$", part):
                    data = zf.read(part)
                    if b"extLst" in data:
                        for marker, words in _SHEET_FEATURES:
                            if marker in data:
                                report.lost.append(f"{part}: {words}")
                                report.reasons.append(words)
                continue
            if _VBA.match(part):
                report.has_vba = True
                if keep_vba:
                    continue
            report.lost.append(part)
            report.reasons.append(_reason(part))
    return report
