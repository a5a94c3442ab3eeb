"""Build, install and remove ``Cuadre.xlam``, the classic xlwings add-in, without Excel.

The add-in is assembled from xlwings' own custom add-in template shipped in the installed
package (``xlwings/quickstart_addin_ribbon.xlam``, the file ``xlwings quickstart
--addin --ribbon`` copies), so its VBA runtime (module ``xlwings``) is always the one of
the installed xlwings and calls the matching ``xlwings64-<version>.dll``. The build:

1. checks the template's runtime version (``'Version: x.y.z``) equals
   ``xlwings.__version__`` (a mismatch is an error: RunPython would fail in Excel);
2. replaces the template's ribbon by ``xlwings_addin/ribbon/customUI.xml`` (the Cuadre
   tab) and turns its config sheet ``_myaddin.conf`` into ``cuadre.conf`` with the
   interpreter and UDF module written as data (xlwings reads it as sheet config);
3. with pyOpenVBA (MIT, pure Python, writes MS-OVBA projects; oletools can only read),
   sets the runtime's ``PROJECT_NAME`` to ``cuadre``, removes the template's sample
   ribbon module and adds ``CuadreRibbon`` (``xlwings_addin/vba/CuadreRibbon.bas``) and
   ``CuadreFunctions`` (the UDF wrappers, generated from :data:`cuadre.xl.udfs.UDFS`
   the way xlwings' *Import Functions* writes them; kept in
   ``xlwings_addin/vba/CuadreFunctions.bas``). New modules are source only; Excel
   compiles them on first load, no "Trust access to the VBA project" needed.

Install puts the built file in Excel's per-user startup folder (XLSTART), so it opens
with Excel: on Windows ``%APPDATA%\\Microsoft\\Excel\\XLSTART``, on macOS
``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``.
Elsewhere there is no Excel: give ``out``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import zipfile
from io import StringIO
from pathlib import Path
from xml.sax.saxutils import escape

import xlwings
from pyopenvba import ExcelFile
from xlwings.utils import VBAWriter

from cuadre.findings import Finding, Location, error, info
from cuadre.io.atomic import write_atomic
from cuadre.xl.udfs import MODULE, UDFS, Udf

__all__ = [
    "ADDIN_NAME",
    "build_addin",
    "functions_module",
    "install_addin",
    "remove_addin",
    "startup_folder",
    "template_path",
]

ADDIN_NAME = "Cuadre.xlam"
PROJECT_NAME = "cuadre"
_PACKAGED = Path(__file__).resolve().parents[1] / "addin_sources"  # in an installed wheel
SOURCES = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[3] / "xlwings_addin"
"""The add-in sources (VBA .bas text, ribbon XML): packaged in the wheel, or the repo's."""
"""The add-in sources in a checkout (vba/*.bas, ribbon/customUI.xml)."""

_CONFIG_SHEET = "cuadre.conf"
_VERSION = re.compile(r"^'Version: (\S+)", re.MULTILINE)


def template_path() -> Path:
    """xlwings' custom add-in template with a ribbon, from the installed package."""
    return Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"


def runtime_version(vba_source: str) -> str | None:
    """The version an xlwings VBA runtime module declares (``'Version: 0.37.8``)."""
    m = _VERSION.search(vba_source)
    return m.group(1) if m else None


# --------------------------------------------------------------------------- VBA


def _vba_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _wrapper(vba: VBAWriter, udf: Udf) -> None:
    """One function as xlwings' generate_vba_wrapper writes it for an add-in."""
    params = ", ".join(("Optional " if a.optional else "") + a.name for a in udf.args)
    call_args = "Array(" + ", ".join(a.name for a in udf.args) + ")"
    with vba.block(f"Function {udf.name}({params})"):
        with vba.block('#If App = "Microsoft Excel" Then'):
            vba.writeln("If TypeOf Application.Caller Is Range Then On Error GoTo failed")
            vba.writeln(
                f'{udf.name} = XLPy.CallUDF("{MODULE}", "{udf.name}", {call_args}, '
                "ActiveWorkbook, Application.Caller)"
            )
            vba.writeln("Exit Function")
        with vba.block("#Else"):
            vba.writeln(f'{udf.name} = XLPy.CallUDF("{MODULE}", "{udf.name}", {call_args})')
            vba.writeln("Exit Function")
        vba.writeln("#End If")
        vba.write_label("failed")
        vba.writeln(f"{udf.name} = Err.Description")
    vba.writeln("End Function")
    vba.writeln("")


def _register(vba: VBAWriter) -> None:
    """Function Wizard help: description, category and argument help of each function."""
    with vba.block("Public Sub RegisterCuadreFunctions()"):
        vba.writeln("On Error Resume Next")
        for udf in UDFS.values():
            docs = ", ".join(_vba_string(a.doc[:255]) for a in udf.args)
            vba.writeln(
                f"Application.MacroOptions Macro:={_vba_string(udf.name)}, "
                f'Description:={_vba_string(udf.description[:255])}, Category:="Cuadre", '
                f"ArgumentDescriptions:=Array({docs})"
            )
    vba.writeln("End Sub")


def functions_module() -> str:
    """The ``CuadreFunctions`` VBA module: every CUADRE_* function, as text (CRLF)."""
    buffer = StringIO()
    vba = VBAWriter(buffer)
    vba.writeln('Attribute VB_Name = "CuadreFunctions"')
    vba.writeln("' Generated by cuadre.xl.addin from cuadre.xl.udfs: do not edit by hand.")
    vba.writeln("' Regenerate with: python -m cuadre.xl.addin --vba")
    vba.writeln('#Const App = "Microsoft Excel" \'Adjust when using outside of Excel')
    vba.writeln("")
    for udf in UDFS.values():
        _wrapper(vba, udf)
    _register(vba)
    return buffer.getvalue().replace("\r\n", "\n").replace("\n", "\r\n")


def _module_body(source: str) -> str:
    """A .bas file's code without its ``Attribute VB_Name`` line, CRLF line ends."""
    lines = [ln for ln in source.splitlines() if not ln.startswith("Attribute VB_Name")]
    return "\r\n".join(lines) + "\r\n"


# --------------------------------------------------------------------------- package parts


def _config_sheet(interpreter: str) -> bytes:
    rows: list[tuple[str, str | bool]] = [
        ("Interpreter_Win", interpreter if sys.platform.startswith("win") else ""),
        ("Interpreter_Mac", interpreter if sys.platform == "darwin" else ""),
        ("PYTHONPATH", ""),
        ("Conda Path", ""),
        ("Conda Env", ""),
        ("UDF Modules", MODULE),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
    ]
    cells = []
    for i, (key, value) in enumerate(rows, start=1):
        row = f'<c r="A{i}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
        if isinstance(value, bool):
            row += f'<c r="B{i}" t="b"><v>{int(value)}</v></c>'
        elif value:
            row += f'<c r="B{i}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
        cells.append(f'<row r="{i}">{row}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetPr codeName="Sheet2"/><dimension ref="A1:B9"/>'
        '<cols><col min="1" max="1" width="18" customWidth="1"/>'
        '<col min="2" max="2" width="60" customWidth="1"/></cols>'
        f"<sheetData>{''.join(cells)}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    ).encode()


def _rewrite_package(src: Path, dest: Path, ribbon: bytes, interpreter: str) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "customUI/customUI.xml":
                data = ribbon
            elif item.filename == "xl/workbook.xml":
                data = data.replace(b'name="_myaddin.conf"', f'name="{_CONFIG_SHEET}"'.encode())
            elif item.filename == "xl/worksheets/sheet1.xml":
                data = _config_sheet(interpreter)
            zout.writestr(item, data)


# --------------------------------------------------------------------------- build


def build_addin(
    out: Path, *, interpreter: str | None = None, sources: Path | None = None
) -> list[Finding]:
    """Assemble ``Cuadre.xlam`` at ``out``; returns findings (errors mean no file)."""
    sources = sources or SOURCES
    label = str(out)
    template = template_path()
    if not template.is_file():
        return [
            error(
                Location(str(template)),
                "ADDIN_TEMPLATE_MISSING",
                f"xlwings {xlwings.__version__} has no add-in template at {template}",
                "Reinstall xlwings: pip install --force-reinstall xlwings.",
            )
        ]
    ribbon_file = sources / "ribbon" / "customUI.xml"
    ribbon_bas = sources / "vba" / "CuadreRibbon.bas"
    for f in (ribbon_file, ribbon_bas):
        if not f.is_file():
            return [
                error(
                    Location(str(f)),
                    "ADDIN_SOURCE_MISSING",
                    f"add-in source {f.name} not found",
                    "Run the build from a Cuadre checkout (xlwings_addin/ beside src/).",
                )
            ]
    with ExcelFile(template) as wb:
        runtime = wb.get_module("xlwings")
    version = runtime_version(runtime)
    if version != xlwings.__version__:
        return [
            error(
                Location(str(template)),
                "XLWINGS_VERSION_MISMATCH",
                f"the add-in template's VBA runtime is {version}, the installed xlwings is "
                f"{xlwings.__version__}",
                "Reinstall xlwings so both match.",
            )
        ]
    runtime = runtime.replace(
        'Public Const PROJECT_NAME As String = "myaddin"',
        f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"',
    )
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / ADDIN_NAME
        _rewrite_package(template, staged, ribbon_file.read_bytes(), interpreter or sys.executable)
        with ExcelFile(staged) as wb:
            project = wb.vba_project()
            project.delete_module("RibbonMyAddin")
            wb.set_module("xlwings", runtime)
            project.add_module("CuadreRibbon", _module_body(ribbon_bas.read_text("utf-8")))
            project.add_module("CuadreFunctions", _module_body(functions_module()))
            built = Path(tmp) / "built.xlam"
            wb.save(built)
        write_atomic(out, lambda dest: _copy(built, dest))
    return [
        info(
            Location(label),
            "ADDIN_BUILT",
            f"{out.name} built on xlwings {xlwings.__version__} with {len(UDFS)} functions",
        )
    ]


def _copy(src: Path, dest: Path) -> None:
    shutil.copyfile(src, dest)


# --------------------------------------------------------------------------- install


def startup_folder() -> Path | None:
    """Excel's per-user startup folder (XLSTART) on this machine, or None."""
    if sys.platform.startswith("win"):
        appdata = os.environ.get("APPDATA")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART" if appdata else None
    if sys.platform == "darwin":
        return (
            Path.home()
            / "Library"
            / "Group Containers"
            / "UBF8T346G9.Office"
            / "User Content.localized"
            / "Startup.localized"
            / "Excel"
        )
    return None


def install_addin(out: Path | None = None) -> list[Finding]:
    """Build the add-in into ``out`` or, without it, into Excel's XLSTART folder."""
    target = out
    if target is None:
        folder = startup_folder()
        if folder is None:
            return [
                error(
                    Location(ADDIN_NAME),
                    "NO_EXCEL",
                    "there is no Excel on this system (Excel runs on Windows and macOS)",
                    "Give --out PATH to build the add-in file, then copy it to a Windows or "
                    "Mac with Excel.",
                )
            ]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / ADDIN_NAME
    findings = build_addin(target)
    if any(f.is_error for f in findings):
        return findings
    hint = "Restart Excel: the Cuadre tab appears on the ribbon." if out is None else ""
    return [
        *findings,
        info(Location(str(target)), "ADDIN_INSTALLED", f"add-in written to {target}", hint),
    ]


def remove_addin() -> list[Finding]:
    """Delete ``Cuadre.xlam`` from Excel's XLSTART folder."""
    folder = startup_folder()
    if folder is None:
        return [
            error(
                Location(ADDIN_NAME),
                "NO_EXCEL",
                "there is no Excel on this system",
                "Delete the .xlam file you built with --out.",
            )
        ]
    target = folder / ADDIN_NAME
    if not target.exists():
        return [info(Location(str(target)), "ADDIN_NOT_INSTALLED", "the add-in is not installed")]
    try:
        target.unlink()
    except OSError as exc:
        return [
            error(
                Location(str(target)),
                "ADDIN_IN_USE",
                f"cannot delete the add-in: {exc.strerror}",
                "Close Excel and try again.",
            )
        ]
    return [info(Location(str(target)), "ADDIN_REMOVED", "add-in removed; restart Excel")]


def main(argv: list[str] | None = None) -> int:
    """``python -m cuadre.xl.addin --vba`` rewrites xlwings_addin/vba/CuadreFunctions.bas;
    ``python -m cuadre.xl.addin OUT.xlam`` builds the add-in."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--vba":
        (SOURCES / "vba" / "CuadreFunctions.bas").write_bytes(functions_module().encode("utf-8"))
        return 0
    findings = build_addin(Path(args[0] if args else ADDIN_NAME))
    for f in findings:
        print(f)
    return 1 if any(f.is_error for f in findings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
