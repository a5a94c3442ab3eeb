"""Golden helpers shared by the e-invoice importer tests (CFDI, SAT Metadata, DIAN)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from cuadre.findings import Finding
from cuadre.io.tables import to_csv_frame, write_table
from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS
from golden_util import REALDATA

GOLDEN = Path(__file__).resolve().parent / "golden" / "importers"
INPUTS = (".xml", ".txt", ".zip")


# --------------------------------------------------------------------------- golden helper


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame(
        [(f.severity.value, f.code, str(f.location), f.message) for f in findings],
        columns=["severity", "code", "location", "message"],
    )


def assert_golden(case: Path, docs: pd.DataFrame, comps: pd.DataFrame, found: list[Finding]):
    """Compare the three outputs with the case's CSVs (as the CSV writer writes them)."""
    tables = {
        "fiscal_docs.csv": (docs, FISCAL_DOCS),
        "payment_complements.csv": (comps, PAYMENT_COMPLEMENTS),
        "findings.csv": (findings_table(found), None),
    }
    for name, (frame, schema) in tables.items():
        target = case / name
        if os.environ.get("CUADRE_UPDATE_GOLDEN") == "1":
            case.mkdir(parents=True, exist_ok=True)
            write_table(frame, target, schema)
            continue
        assert target.exists(), f"{target} missing: run with CUADRE_UPDATE_GOLDEN=1"
        expected = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        actual = to_csv_frame(frame, schema).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            actual, expected, check_dtype=False, check_index_type=False, obj=str(target)
        )


def case_inputs(case: Path) -> list[tuple[bytes, str]]:
    return [(p.read_bytes(), p.name) for p in sorted(case.iterdir()) if p.suffix in INPUTS]


def real(*names: str) -> list[tuple[bytes, str]]:
    return [((REALDATA / n).read_bytes(), Path(n).name) for n in names]


def codes(found: list[Finding]) -> set[str]:
    return {f.code for f in found}


