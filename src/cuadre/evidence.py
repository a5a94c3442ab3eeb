"""Audit evidence: what went into a run, so an auditor can re-perform it.

For each input: the file, its SHA-256, its row count and its control total per currency
(the sum of the table's main amount column). With the parameters, the package version
and the run time, this is the Evidence sheet. Pure: hashing the bytes is the caller's
job (:func:`cuadre.io.tables.sha256_file`).
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass

import pandas as pd

from cuadre import __version__
from cuadre.model.tables import EVIDENCE

MAIN_AMOUNT = {
    "open_items": "amount_open",
    "payments": "amount",
    "bank_lines": "amount",
    "customers": "credit_limit",
    "trial_balance": "balance",
}
"""The column whose sum is the control total of each input table."""


@dataclass(frozen=True)
class InputRecord:
    table: str
    file: str
    sha256: str
    frame: pd.DataFrame


def evidence_table(inputs: list[InputRecord]) -> pd.DataFrame:
    """One row per input and currency: file, SHA-256, rows, control total."""
    rows: list[dict[str, object]] = []
    for rec in inputs:
        col = MAIN_AMOUNT.get(rec.table)
        frame = rec.frame
        if col and col in frame and "currency" in frame and len(frame):
            sums = frame[col].fillna(0).astype("int64").groupby(frame["currency"]).agg(["sum", "size"])
            for cur, (total, size) in sums.iterrows():
                rows.append(
                    {
                        "input": rec.table,
                        "file": rec.file,
                        "sha256": rec.sha256,
                        "rows": int(size),
                        "currency": str(cur),
                        "control_total": int(total),
                    }
                )
        else:
            rows.append(
                {
                    "input": rec.table,
                    "file": rec.file,
                    "sha256": rec.sha256,
                    "rows": len(frame),
                    "currency": "",
                    "control_total": pd.NA,
                }
            )
    out = pd.DataFrame(rows, columns=EVIDENCE.names)
    out["rows"] = out["rows"].astype("Int64")
    out["control_total"] = out["control_total"].astype("Int64")
    return out


def run_facts(now: dt.datetime, seconds: float | None = None) -> list[tuple[str, str]]:
    """Version, time and platform of the run, as (label, value) pairs."""
    facts = [
        ("Cuadre version", __version__),
        ("Run at", now.isoformat(timespec="seconds")),
        ("Python", platform.python_version()),
        ("pandas", pd.__version__),
    ]
    if seconds is not None:
        facts.append(("Duration (s)", f"{seconds:.2f}"))
    return facts
