"""Pictures on sheets written by write_workbook: place, size, alt text, never on the table."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.drawing.spreadsheet_drawing import TwoCellAnchor

from cuadre.workbook.writer import (
    BAND_WIDTH_PX,
    GAP_PX,
    ROW_PX,
    ControlRow,
    Picture,
    SheetSpec,
    picture_layout,
    png_size,
    write_workbook,
)
from xlsx_util import make_png

EMU_PER_PX = 9525


def spec(*pictures: Picture, controls: int = 2) -> SheetSpec:
    return SheetSpec(
        "Report",
        "report",
        pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "days": [1, 2, 3]}),
        title="Report",
        subtitle="with pictures",
        controls=tuple(ControlRow(f"figure {i}", i) for i in range(controls)),
        pictures=pictures,
    )


def images(path: Path, sheet: str = "Report") -> list:
    ws = openpyxl.load_workbook(path)[sheet]
    return list(ws._images)


def table_top(path: Path, sheet: str = "Report") -> int:
    (table,) = openpyxl.load_workbook(path)[sheet].tables.values()
    return int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit()))


def test_png_size_reads_the_resolution() -> None:
    assert png_size(make_png(30, 20)) == (30, 20, 96.0, 96.0)
    w, h, x_dpi, y_dpi = png_size(make_png(220, 110, dpi=110))
    assert (w, h) == (220, 110) and x_dpi == pytest.approx(110, abs=0.01) == y_dpi
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a....")


def test_pictures_sit_between_the_controls_and_the_table(tmp_path: Path) -> None:
    first = make_png(300, 100)
    second = make_png(220, 110, colour=(0, 90, 200), dpi=110)  # shown at 96/110 of it
    path = tmp_path / "p.xlsx"
    write_workbook(
        path,
        [
            spec(
                Picture("cuadre_trend", first, "Line chart of DSO by month."),
                Picture("cuadre_aging", second),
            )
        ],
    )
    pics = images(path)
    assert len(pics) == 2
    a, b = (p.anchor for p in pics)
    assert isinstance(a, TwoCellAnchor) and isinstance(b, TwoCellAnchor)
    # title, subtitle, blank, 2 controls (rows 4-5), blank row 6: pictures at row 7
    assert (a._from.row, a._from.col, a._from.colOff, a._from.rowOff) == (6, 0, 0, 0)
    assert a._from.row == b._from.row
    assert a.pic.nvPicPr.cNvPr.descr == "Line chart of DSO by month."
    assert b.pic.nvPicPr.cNvPr.descr == "cuadre_aging"  # no description: the name
    ext_a, ext_b = a.pic.spPr.xfrm.ext, b.pic.spPr.xfrm.ext
    assert (ext_a.cx, ext_a.cy) == (300 * EMU_PER_PX, 100 * EMU_PER_PX)
    assert (ext_b.cx, ext_b.cy) == (192 * EMU_PER_PX, 96 * EMU_PER_PX)
    # side by side: the second starts where the first ends, plus the gap
    assert b.pic.spPr.xfrm.off.x == (300 + GAP_PX) * EMU_PER_PX
    # the table starts one blank row under the tallest picture (100 px = 5 rows)
    assert table_top(path) == 7 + 100 // ROW_PX + 1
    with zipfile.ZipFile(path) as zf:
        media = sorted(n for n in zf.namelist() if n.startswith("xl/media/"))
        assert {zf.read(n) for n in media} == {first, second}


def test_anchored_picture_and_explicit_size(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_workbook(
        path,
        [spec(Picture("logo", make_png(100, 100), "Company logo", anchor="H2", width=60))],
    )
    (pic,) = images(path)
    assert (pic.anchor._from.row, pic.anchor._from.col) == (1, 7)
    ext = pic.anchor.pic.spPr.xfrm.ext
    assert (ext.cx, ext.cy) == (60 * EMU_PER_PX, 60 * EMU_PER_PX)  # aspect kept
    # 60 px from row 2 ends in row 5; controls end at row 5: table after both
    assert table_top(path) == max(2 + 60 // ROW_PX + 1, 7)


def test_without_pictures_the_layout_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "n.xlsx"
    write_workbook(path, [spec()])
    assert images(path) == []
    assert table_top(path) == 7  # controls rows 4-5, blank 6


def test_layout_wraps_and_pushes_the_table_down() -> None:
    wide = Picture("a", make_png(800, 300))
    placements, header = picture_layout([wide, Picture("b", make_png(800, 200))], 5)
    assert [(p.row, p.x_offset, p.y_offset) for p in placements] == [
        (6, 0, 0),
        (6, 0, 300 + GAP_PX),  # 1600 px do not fit in BAND_WIDTH_PX: next line
    ]
    assert BAND_WIDTH_PX < 800 * 2
    assert header == 6 + -(-(300 + GAP_PX + 200) // ROW_PX) + 1
    assert picture_layout([], 5) == ([], 6)


def test_bad_pictures_are_programmer_errors(tmp_path: Path) -> None:
    png = make_png(10, 10)
    with pytest.raises(ValueError, match="unique"):
        picture_layout([Picture("x", png), Picture("X", png)], 3)
    with pytest.raises(ValueError, match="anchor"):
        picture_layout([Picture("x", png, anchor="not a cell")], 3)
    with pytest.raises(ValueError, match="not a PNG"):
        write_workbook(tmp_path / "bad.xlsx", [spec(Picture("x", b"JFIF..."))])
    assert not (tmp_path / "bad.xlsx").exists()  # nothing half written
