"""Golden cases of the reconciliations, the accrual and the provision.

Each case is a folder under tests/golden/reconcile/<case>/ with its inputs as the user
writes them (CSV, read through cuadre.io.tables.read_table: decimal commas, dd/mm/yyyy
dates, thousands separators...), a ``case.json`` naming the inputs' tables and the
parameters, and the expected outputs under ``expected/`` as the CSV writer writes them.
``CUADRE_UPDATE_GOLDEN=1`` rewrites the expected files (review the diff).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from cuadre.accruals import AccrualPolicy, accrue_unbilled
from cuadre.findings import Finding
from cuadre.io.tables import read_table, to_csv_frame, write_table
from cuadre.model.tables import TABLES as CONTRACT
from cuadre.model.tables import TableSchema
from cuadre.money import to_minor
from cuadre.provision import (
    ProvisionPolicy,
    compute_provision,
    flat_matrix,
    matrix_from_roll_rates,
)
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.advances import reconcile_advances
from cuadre.reconcile.bank import reconcile_bank
from cuadre.reconcile.customer import reconcile_customer
from cuadre.reconcile.dian import reconcile_dian
from cuadre.reconcile.fiscal import FiscalPolicy
from cuadre.reconcile.gl import reconcile_gl
from cuadre.reconcile.sat import SatPolicy, reconcile_sat
from cuadre.reconcile.tables import (
    ACCRUALS,
    ALLOWANCE_MOVEMENT,
    COMPLEMENT_CHECKS,
    CREDIT_BALANCES,
    JOURNAL_LINES,
    PROVISION,
    PROVISION_MATRIX,
    RECON_BREAKDOWN,
    RECON_ITEMS,
    RECON_STATEMENT,
    RECON_TOTALS,
    REIMBURSEMENTS,
    SALES_CUTOFF,
    SEND_COPIES,
    UNBILLED,
)
from cuadre.reconcile.tables import TABLES as OURS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "reconcile"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "case.json").exists())
SCHEMAS: dict[str, TableSchema] = {**CONTRACT, **OURS}

Outputs = dict[str, tuple[pd.DataFrame, TableSchema | None]]


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _money(values: dict[str, str]) -> dict[str, int]:
    return {cur: to_minor(v, cur) for cur, v in values.items()}


def findings_table(findings: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame(
        [(f.severity.value, f.code, str(f.location), f.message) for f in findings],
        columns=["severity", "code", "location", "message"],
    )


def reconciliation_outputs(r: Reconciliation) -> Outputs:
    out: Outputs = {
        "items": (r.items(), RECON_ITEMS),
        "totals": (r.totals, RECON_TOTALS),
        "breakdown": (r.breakdown, RECON_BREAKDOWN),
        "controls": (controls_table(r.controls), None),
        "findings": (findings_table(r.findings), None),
    }
    if r.statement is not None:
        out["statement"] = (r.statement, RECON_STATEMENT)
    schemas = {
        "complement_checks": COMPLEMENT_CHECKS,
        "credit_balances": CREDIT_BALANCES,
        "reimbursements": REIMBURSEMENTS,
        "rollforward": RECON_STATEMENT,
        "send_copies": SEND_COPIES,
    }
    for name, frame in r.extra.items():
        out[name] = (frame, schemas.get(name))
    return out


def controls_table(controls: list) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (c.section, c.label, c.currency, c.value, "" if c.check is None else c.check)
            for c in controls
        ],
        columns=["section", "label", "currency", "value", "check"],
    )


def run_case(case: Path) -> Outputs:
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    tables = {}
    for name, (file, schema) in spec["inputs"].items():
        table, problems = read_table(case / file, SCHEMAS[schema])
        assert not [f for f in problems if f.is_error], problems
        table["source_path"] = file  # relative, so the expected files do not name this machine
        tables[name] = table
    p = spec["params"]
    kind = spec["kind"]
    if kind == "bank":
        r = reconcile_bank(
            tables["bank_lines"],
            tables["book"],
            as_of=_date(p["as_of"]),
            bank_balance=_money(p["bank_balance"]),
            book_balance=_money(p["book_balance"]),
        )
        return reconciliation_outputs(r)
    if kind == "gl":
        period = tuple(_date(d) for d in p["period"]) if "period" in p else None
        r = reconcile_gl(
            tables["open_items"],
            tables["trial_balance"],
            transactions=tables.get("transactions"),
            postings=tables.get("postings"),
            period=period,  # type: ignore[arg-type]
            opening_balance=_money(p["opening_balance"]) if "opening_balance" in p else None,
        )
        return reconciliation_outputs(r)
    if kind == "customer":
        r = reconcile_customer(
            tables["ours"], tables["theirs"], customer_id=p["customer_id"], as_of=_date(p["as_of"])
        )
        out = reconciliation_outputs(r)
        return out
    if kind in ("sat", "dian"):
        period = tuple(_date(d) for d in p["period"]) if "period" in p else None
        if kind == "sat":
            r = reconcile_sat(
                tables["fiscal_docs"],
                tables["erp_documents"],
                payment_complements=tables["payment_complements"],
                policy=SatPolicy(company_tax_ids=p["company_tax_ids"], period=period),
            )
        else:
            r = reconcile_dian(
                tables["fiscal_docs"],
                tables["erp_documents"],
                policy=FiscalPolicy(company_tax_ids=p["company_tax_ids"], period=period),
            )
        return reconciliation_outputs(r)
    if kind == "advances":
        return reconciliation_outputs(reconcile_advances(tables["open_items"], _date(p["as_of"])))
    if kind == "accrual":
        a = accrue_unbilled(
            tables["operations"],
            tables["invoices"],
            _date(p["period_end"]),
            policy=AccrualPolicy(cutoff_days=p["cutoff_days"]),
        )
        return {
            "accruals": (a.accruals, ACCRUALS),
            "unbilled": (a.unbilled, UNBILLED),
            "journal": (a.journal, JOURNAL_LINES),
            "cutoff": (a.cutoff, SALES_CUTOFF),
            "controls": (controls_table(a.controls), None),
            "findings": (findings_table(a.findings), None),
        }
    if kind == "provision":
        policy = ProvisionPolicy(
            buckets=tuple(p["buckets"]), forward_factor=p.get("forward_factor", 1.0)
        )
        findings: list[Finding] = []
        if "flat" in p:
            matrix = flat_matrix(p["flat"], policy.buckets)
        else:
            matrix, findings = matrix_from_roll_rates(tables["snapshots"], policy)
        res = compute_provision(
            tables["open_items"],
            _date(p["as_of"]),
            matrix,
            specific=tables.get("specific"),
            opening_allowance=_money(p["opening_allowance"]),
            write_offs=tables.get("write_offs"),
            policy=policy,
        )
        return {
            "matrix": (res.matrix, PROVISION_MATRIX),
            "provision": (res.provision, PROVISION),
            "movement": (res.movement, ALLOWANCE_MOVEMENT),
            "journal": (res.journal, JOURNAL_LINES),
            "controls": (controls_table(res.controls), None),
            "findings": (findings_table(findings + res.findings), None),
        }
    raise AssertionError(f"unknown kind {kind}")


def _normalise(frame: pd.DataFrame, schema: TableSchema | None) -> pd.DataFrame:
    text = to_csv_frame(frame.reset_index(drop=True), schema)
    return text.astype(str).reset_index(drop=True)


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    case = GOLDEN / name
    outputs = run_case(case)
    expected_dir = case / "expected"
    if os.environ.get("CUADRE_UPDATE_GOLDEN") == "1":
        expected_dir.mkdir(exist_ok=True)
        for old in expected_dir.glob("*.csv"):
            old.unlink()
        for out, (frame, schema) in outputs.items():
            write_table(frame.reset_index(drop=True), expected_dir / f"{out}.csv", schema)
        return
    written = {p.stem for p in expected_dir.glob("*.csv")}
    assert written == set(outputs), f"outputs {sorted(outputs)} != expected {sorted(written)}"
    for out, (frame, schema) in outputs.items():
        expected = pd.read_csv(
            expected_dir / f"{out}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        actual = _normalise(frame, schema)
        if expected.empty and actual.empty:
            continue
        pd.testing.assert_frame_equal(
            actual, expected, check_dtype=False, obj=f"{name}/{out}", check_column_type=False
        )
