"""xlwings Lite's main.py: the CUADRE.<NAME> functions, with rapidfuzz missing (Pyodide)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LITE = Path(__file__).resolve().parents[2] / "xlwings_addin" / "lite"

BLOCKED = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "rapidfuzz":
            raise ImportError("rapidfuzz is not available here")
sys.meta_path.insert(0, Block())
sys.path.insert(0, {lite!r})
import main
assert main.__xlwings_func_namespace__ == "cuadre"
assert not main.F.HAS_RAPIDFUZZ
assert main.similarity([["ACME SA DE CV"]], [["Acme, S.A. de C.V."]]) == [[100.0]]
assert main.similarity([["ACME"]], [["Zeta Corp"]])[0][0] < 50
assert main.best_match([["Acme SA"]], [["Acme, S.A. de C.V."], ["Beta"]])[0][0] == "Acme, S.A. de C.V."
assert "rapidfuzz" in main.references("FA-1002")[0][0]
assert main.nit_dv(860002964.0) == [[4.0]]
print("ok")
"""


def test_main_imports_and_falls_back_without_rapidfuzz() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED.format(lite=str(LITE))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_same_functions_as_the_classic_add_in() -> None:
    sys.path.insert(0, str(LITE))
    try:
        import main
    finally:
        sys.path.remove(str(LITE))
    from cuadre.xl.udfs import UDFS

    assert {f"CUADRE_{name}" for name in main.FUNCTIONS} == set(UDFS)
    assert "rapidfuzz" in (LITE / "requirements.txt").read_text()
