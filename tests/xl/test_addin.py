"""The built Cuadre.xlam, checked with oletools (olevba) as Excel would load it."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest
import xlwings
from defusedxml import ElementTree
from oletools.olevba import VBA_Parser

from cuadre.xl.addin import SOURCES, build_addin, functions_module, install_addin, runtime_version
from cuadre.xl.udfs import UDFS

NS = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addin") / "Cuadre.xlam"
    findings = build_addin(out, interpreter=r"C:\Python311\python.exe")
    assert not [f for f in findings if f.is_error], findings
    return out


@pytest.fixture(scope="module")
def modules(addin: Path) -> dict[str, str]:
    parser = VBA_Parser(str(addin))
    try:
        assert parser.detect_vba_macros()
        return {Path(name).stem: code for _f, _s, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_valid_package(addin: Path) -> None:
    with zipfile.ZipFile(addin) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert {"xl/vbaProject.bin", "customUI/customUI.xml", "xl/workbook.xml"} <= names
        assert b'name="cuadre.conf"' in zf.read("xl/workbook.xml")
        config = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "UDF Modules" in config and "cuadre.xl.udfs" in config


def test_every_ribbon_action_has_its_callback(addin: Path, modules: dict[str, str]) -> None:
    with zipfile.ZipFile(addin) as zf:
        root = ElementTree.fromstring(zf.read("customUI/customUI.xml"))
    actions = [el.get("onAction") for el in root.iter() if el.get("onAction")]
    assert len(actions) >= 15
    code = "\n".join(modules.values())
    for action in actions:
        name = action.split(".")[-1]
        assert re.search(rf"^Sub {name}\(control As IRibbonControl\)", code, re.MULTILINE), name
    groups = [g.get("label") for g in root.iter(f"{NS}group")]
    assert groups == [
        "Import",
        "Match payments",
        "Post accepted matches",
        "Aging",
        "Collections",
        "Reconcile",
        "Accruals & provision",
        "Evidence pack",
        "Settings",
        "Help",
    ]
    assert re.search(rf"^Sub {root.get('onLoad')}\(ribbon As IRibbonUI\)", code, re.MULTILINE)


def test_runtime_matches_the_installed_xlwings(modules: dict[str, str]) -> None:
    assert runtime_version(modules["xlwings"]) == xlwings.__version__
    assert f"xlwings64-{xlwings.__version__}.dll" in modules["xlwings"]
    assert 'Public Const PROJECT_NAME As String = "cuadre"' in modules["xlwings"]
    assert "RibbonMyAddin" not in modules


def test_every_function_is_declared(modules: dict[str, str]) -> None:
    code = modules["CuadreFunctions"]
    declared = re.findall(r"^Function (CUADRE_\w+)\(", code, re.MULTILINE)
    assert declared == list(UDFS)
    for name in UDFS:
        assert f'XLPy.CallUDF("cuadre.xl.udfs", "{name}"' in code
        assert f'Macro:="{name}"' in code


def test_committed_vba_is_up_to_date() -> None:
    committed = (SOURCES / "vba" / "CuadreFunctions.bas").read_bytes().decode("utf-8")
    assert committed == functions_module(), "run: python -m cuadre.xl.addin --vba"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Excel exists there")
def test_install_needs_out_without_excel(tmp_path: Path) -> None:
    assert install_addin(None)[0].code == "NO_EXCEL"
    found = install_addin(tmp_path / "x" / "Cuadre.xlam")
    assert (tmp_path / "x" / "Cuadre.xlam").is_file() and found[-1].code == "ADDIN_INSTALLED"


def test_every_button_has_help_text() -> None:
    root = ElementTree.fromstring((SOURCES / "ribbon" / "customUI.xml").read_bytes())
    buttons = list(root.iter(f"{NS}button"))
    assert len(buttons) >= 15
    for button in buttons:
        for attr in ("screentip", "supertip"):
            text = button.get(attr) or ""
            assert 10 <= len(text) <= 1024, (button.get("id"), attr)  # Office's limit


def test_import_buttons_hand_the_files_over_on_the_hidden_sheet(modules: dict[str, str]) -> None:
    from cuadre.xl.scripts import IMPORT_SHEET, KINDS

    code = modules["CuadreRibbon"]
    assert f'Private Const IMPORT_SHEET As String = "{IMPORT_SHEET}"' in code
    assert "MultiSelect:=True" in code and "xlSheetVeryHidden" in code
    for kind in KINDS:
        assert f'ImportFiles "{kind}"' in code
    assert 'RunCuadre "import", "kind=\'" & kind & "\'"' in code
    # macOS takes no Windows filter string: its call has no FileFilter
    mac = code[code.index("#If Mac Then", code.index("Function PickFiles")) :]
    mac = mac[: mac.index("#Else")]
    assert "GetOpenFilename(" in mac and "FileFilter" not in mac
    # every script the ribbon runs exists
    from cuadre.xl import scripts

    for verb in re.findall(r'RunCuadre "(\w+)"', code):
        assert callable(getattr(scripts, f"xl_{verb}")), verb


def test_cli_build_passes_the_structural_checks(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "x.xlam"
    done = subprocess.run(
        [sys.executable, "-m", "cuadre.xl.addin", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    parser = VBA_Parser(str(out))
    try:
        names = {Path(n).stem for _f, _s, n, _c in parser.extract_macros()}
    finally:
        parser.close()
    assert {"xlwings", "CuadreRibbon", "CuadreFunctions"} <= names
