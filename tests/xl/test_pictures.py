"""Pictures through xlwings' API on the headless engine: add, replace by name, keep on save."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from openpyxl.chart import BarChart, Reference

from cuadre.workbook.writer import (
    ControlRow,
    Picture,
    PicturePlacement,
    SheetSpec,
    picture_layout,
    write_workbook,
)
from cuadre.xl.engine import copy_path, keep_pictures, new_app, open_book
from cuadre.xl.parts import inspect_package
from cuadre.xl.sheets import write_picture, write_sheets
from xlsx_util import add_pivot_parts, make_png

RED = make_png(120, 60)
BLUE = make_png(80, 40, colour=(0, 60, 200))


@pytest.fixture
def book():  # type: ignore[no-untyped-def]
    app = new_app()
    yield app.books.add()
    app.quit()


def report_sheet(png: bytes, title: str = "Report") -> SheetSpec:
    return SheetSpec(
        "Report",
        "report",
        pd.DataFrame({"customer_id": ["C1", "C2"], "amount": [1.5, 2.5]}),
        title=title,
        controls=(ControlRow("Rows", 2),),
        pictures=(
            Picture("cuadre_trend", png, "Line chart of DSO by month."),
            Picture("cuadre_aging", BLUE, "Stacked bars of the aging."),
        ),
    )


def state(sheet: xw.Sheet) -> list[tuple]:
    return [
        (p.name, round(p.left, 2), round(p.top, 2), p.width, p.height, p.impl.description)
        for p in sheet.pictures
    ]


def media(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        return sorted(zf.read(n) for n in zf.namelist() if n.startswith("xl/media/"))


def test_pictures_collection_through_xlwings(book: xw.Book, tmp_path: Path) -> None:
    sheet = book.sheets[0]
    png = tmp_path / "red.png"
    png.write_bytes(RED)
    pic = sheet.pictures.add(png, name="chart", left=30, top=45, width=90, height=45)
    assert isinstance(pic, xw.Picture) and "chart" in sheet.pictures and len(sheet.pictures) == 1
    assert (pic.left, pic.top, pic.width, pic.height) == (30, 45, 90, 45)
    assert sheet.pictures["chart"] == pic and sheet.pictures[0].name == "chart"
    natural = sheet.pictures.add(png)  # no size: its own, 120 x 60 px at 96 dpi
    assert natural.name == "Picture 1" and (natural.width, natural.height) == (90, 45)
    with pytest.raises(xw.ShapeAlreadyExists):
        sheet.pictures.add(png, name="chart")
    blue = tmp_path / "blue.png"
    blue.write_bytes(BLUE)
    pic.impl.description = "alt text"
    again = sheet.pictures.add(blue, name="chart", update=True)  # same place, new image
    assert len(sheet.pictures) == 2
    assert (again.left, again.top, again.width, again.height) == (30, 45, 90, 45)
    assert again.impl.description == "alt text"
    again.lock_aspect_ratio = True
    again.width = 180
    assert again.height == 90
    natural.delete()
    assert [p.name for p in sheet.pictures] == ["chart"]
    with pytest.raises(KeyError):
        sheet.pictures["nope"]


def test_range_geometry_follows_widths_and_heights(book: xw.Book) -> None:
    sheet = book.sheets[0]
    assert (sheet["A1"].left, sheet["A1"].top) == (0, 0)
    assert sheet["C1"].left == 2 * 48 and sheet["A3"].top == 2 * 15  # 64 px columns, 15 pt rows
    sheet.api.column_dimensions["A"].width = 20  # as stored in the file: 140 px (ECMA-376)
    sheet.api.row_dimensions[1].height = 30
    assert sheet["B2"].left == pytest.approx(140 * 0.75) and sheet["B2"].top == 30
    assert sheet["A1:B2"].width == pytest.approx((140 + 64) * 0.75)
    assert sheet["A1:B2"].height == 45


def test_write_sheets_adds_then_replaces_named_pictures(book: xw.Book, tmp_path: Path) -> None:
    write_sheets(book, [report_sheet(RED)])
    sheet = book.sheets["Report"]
    first = state(sheet)
    assert [s[0] for s in first] == ["cuadre_trend", "cuadre_aging"]
    assert first[0][5] == "Line chart of DSO by month."
    # the same place as in a file written by write_workbook: under the controls
    placements, header = picture_layout(report_sheet(RED).pictures, 4)
    assert first[0][1:5] == (0.0, sheet.range((placements[0].row + 1, 1)).top, 90, 45)
    assert first[1][1] == pytest.approx((120 + 16) * 0.75)
    assert sheet.tables["report"].range.row == header + 1

    write_sheets(book, [report_sheet(RED)])  # a re-run: same sheet, same pictures
    assert state(book.sheets["Report"]) == first
    # a picture of the same name on a sheet that stays: replaced, never duplicated
    sheet = book.sheets["Report"]
    write_picture(sheet, PicturePlacement(Picture("cuadre_trend", BLUE), 0, 5, 0, 0, 40, 20))
    assert [p.name for p in sheet.pictures] == ["cuadre_aging", "cuadre_trend"]
    assert state(sheet)[1][1:5] == (sheet["F1"].left, 0, 30, 15)

    path = tmp_path / "r.xlsx"
    book.save(str(path))
    assert media(path) == sorted([BLUE, BLUE])


def test_pictures_survive_saving_in_place(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    write_workbook(path, [report_sheet(RED)])  # xlsxwriter's pictures
    assert not inspect_package(path).safe  # parts.py alone would refuse them...
    book, notes = open_book(path)
    assert notes == [] and book.impl.report.safe  # ...the engine proves it keeps them
    sheet = book.sheets["Report"]
    assert [p.impl.description for p in sheet.pictures] == [
        "Line chart of DSO by month.",
        "Stacked bars of the aging.",
    ]
    write_sheets(book, [report_sheet(BLUE, title="again")])
    before = state(book.sheets["Report"])
    book.save()
    assert book.impl.saved_to == path.resolve() and not copy_path(path).exists()
    book.app.quit()

    for _ in range(2):  # what the engine wrote, it reads back whole, run after run
        book, notes = open_book(path)
        assert notes == []
        assert state(book.sheets["Report"]) == before
        book.save()
        book.app.quit()
    assert media(path) == sorted([BLUE, BLUE])
    wb = openpyxl.load_workbook(path)
    assert wb["Report"]["A1"].value == "again"


def _variant(path: Path, edits: dict[str, tuple[bytes, bytes]]) -> None:
    """Rewrite parts of the package: ``{part prefix: (old, new)}``."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            for prefix, (old, new) in edits.items():
                if item.filename.startswith(prefix):
                    assert old in data, (item.filename, old)
                    data = data.replace(old, new)
            zout.writestr(item, data)
    tmp.replace(path)


DRAWING = "xl/drawings/drawing"
RELS = "xl/drawings/_rels/"
CNVPR = b'descr="Line chart of DSO by month."/>'


def test_only_plain_pictures_are_kept(tmp_path: Path) -> None:
    base = tmp_path / "base.xlsx"
    write_workbook(base, [report_sheet(RED)])

    def kept(edits: dict[str, tuple[bytes, bytes]]) -> bool:
        path = tmp_path / "v.xlsx"
        path.write_bytes(base.read_bytes())
        _variant(path, edits)
        report = keep_pictures(inspect_package(path))
        return report.safe

    assert kept({})
    # Excel's own creation ids are harmless
    creation = (
        b'<a:extLst><a:ext uri="{FF2B5EF4-FFF2-40B4-BE49-F238E27FC236}"><a16:creationId '
        b'xmlns:a16="http://schemas.microsoft.com/office/drawing/2014/main" id="{0A}"/>'
        b"</a:ext></a:extLst>"
    )
    assert kept({DRAWING: (CNVPR, b'descr="x">' + creation + b"</xdr:cNvPr>")})
    # a shadow openpyxl would drop: the workbook goes to a copy
    shadow = b'<a:effectLst><a:outerShdw blurRad="50800"/></a:effectLst></xdr:spPr>'
    assert not kept({DRAWING: (b"</a:prstGeom></xdr:spPr>", b"</a:prstGeom>" + shadow)})
    # a picture that is a hyperlink (a relation that is not an image)
    link = (
        b'<a:hlinkClick xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships" r:id="rId9"/>'
    )
    hyperlink = (
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/hyperlink" Target="https://example.com" TargetMode="External"/>'
        b"</Relationships>"
    )
    assert not kept(
        {
            DRAWING: (CNVPR, b'descr="x">' + link + b"</xdr:cNvPr>"),
            RELS: (b"</Relationships>", hyperlink),
        }
    )
    # a shape next to the pictures
    shape = (
        b'<xdr:absoluteAnchor><xdr:pos x="0" y="0"/><xdr:ext cx="9525" cy="9525"/>'
        b'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="9" name="Box"/><xdr:cNvSpPr/>'
        b"</xdr:nvSpPr><xdr:spPr/></xdr:sp><xdr:clientData/></xdr:absoluteAnchor></xdr:wsDr>"
    )
    assert not kept({DRAWING: (b"</xdr:wsDr>", shape)})


def test_pictures_next_to_a_chart_and_a_pivot_table_never_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xlsx"
    write_workbook(path, [report_sheet(RED)])
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Chart data")
    for row in (("month", "cash"), ("Sep", 10), ("Oct", 12)):
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "D2")
    wb.save(path)
    add_pivot_parts(path)
    before = path.read_bytes()

    book, notes = open_book(path)
    why = notes[0].message
    assert "a chart" in why and "a pivot table" in why
    write_sheets(book, [report_sheet(BLUE)])
    book.save()
    book.app.quit()

    assert path.read_bytes() == before
    copy = copy_path(path)
    assert copy.is_file() and BLUE in media(copy)
    book, _ = open_book(copy)
    assert [p.name for p in book.sheets["Report"].pictures] == ["cuadre_trend", "cuadre_aging"]
    book.app.quit()
