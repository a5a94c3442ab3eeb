"""Helpers for tests of workbook packages: PNG images made by hand (fast, no plotting)
and the minimal parts of a pivot table, as Excel stores them."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30), dpi=None):  # type: ignore[no-untyped-def]
    """A solid RGB PNG of ``width`` x ``height`` pixels, with a pHYs chunk when ``dpi``."""
    row = b"\x00" + bytes(colour) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header)]
    if dpi:
        ppm = round(dpi / 0.0254)
        parts.append(_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
    parts += [_chunk(b"IDAT", zlib.compress(raw)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def add_pivot_parts(path: Path) -> None:
    """A pivot cache and pivot table, as Excel stores them (minimal parts)."""
    parts = {
        "xl/pivotCache/pivotCacheDefinition1.xml": '<pivotCacheDefinition xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main" refreshOnLoad="1" recordCount="0"><cacheSource '
        'type="worksheet"><worksheetSource ref="A1:B3" sheet="Data"/></cacheSource><cacheFields '
        'count="0"/></pivotCacheDefinition>',
        "xl/pivotTables/pivotTable1.xml": '<pivotTableDefinition xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" name="PivotTable1" cacheId="1" dataCaption="Values"><location '
        'ref="D1:E3" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/></pivotTableDefinition>',
    }
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/pivotCache/pivotCacheDefinition1.xml" ContentType="'
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition"
                    b'+xml"/><Override PartName="/xl/pivotTables/pivotTable1.xml" ContentType="'
                    b'application/vnd.openxmlformats-officedocument.spreadsheetml.pivotTable+xml"/></Types>',
                )
            zout.writestr(item, data)
        for name, xml in parts.items():
            zout.writestr(name, xml)
    tmp.replace(path)
