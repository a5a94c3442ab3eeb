"""Accrual and provision sheets (cuadre.workbook.accruals_sheets): a small case by hand.

Period end 2026-10-31, buckets current / 1-30 / 31-60 / 61+.

Operations (MXN unless said):

    OP1  C1  2026-10-15  1,000.00  invoice F1 (2026-10-01, open)   invoiced in time
    OP2  C2  2026-10-28  2,000.00  -                               accrued
    OP3  C2  2026-10-30  2.5 x 100.01 = 250.03 (half up)           accrued
    OP4  C1  2026-11-02    300.00  F5 dated 2026-10-30 (paid)      cut-off error
    OP5  U1  2026-10-29    700.00 USD  INV-9 dated 2026-11-03      accrued
    OP6  U1  2026-11-03    100.00 USD  -                           next period

Accrual: MXN 2,250.03 (C2), USD 700.00 (U1), reversed on 2026-11-01.

Provision: the roll rates of tests/test_provision.py (loss rates 1/60, 1/18, 7/45, 1/3),
forward-looking factor 1.1:

    current  C1 600.00            x 11/600  = 11.00
    1-30     C1 180.00, C3 60.00  x 11/180  = 14.67 (C1 11.00, C3 3.666 -> 3.67)
    31-60    C2  90.00            x 77/450  = 15.40
    61+      C2  30.00            x 11/30   = 11.00
    specific C9 200.00 at 50 %              = 100.00   (its credit note is not netted)

Closing allowance 152.07 = opening 100.00 - write-offs 25.00 + charge 77.07.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.accruals import AccrualPolicy
from cuadre.aging import age_receivables, aging_schema
from cuadre.journals import check_balanced
from cuadre.model.tables import OPEN_ITEMS, empty_table
from cuadre.provision import ProvisionPolicy
from cuadre.reconcile.tables import AGING_SNAPSHOTS, SPECIFIC_PROVISIONS, WRITE_OFFS
from cuadre.workbook.accruals_sheets import (
    INPUT_TABLES,
    OUTPUT_SHEETS,
    AccrualsInputs,
    accruals_input_sheets,
    accruals_sheets,
)
from cuadre.workbook.writer import SheetSpec, write_workbook
from golden_util import assert_golden, sheet_snapshot
from helpers import customers, frame, open_items
from recalc_util import assert_formulas_recalculate, recalculate

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "workbook" / "accruals"
END = dt.date(2026, 10, 31)
BUCKETS = (30, 60)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TAKEN = {
    *("README", "Settings", "Customers", "OpenItems", "Bank", "Payments", "Statements", "GL"),
    *("Matches", "Unapplied", "Aging", "Issues", "Evidence", "Learned", "FiscalDocs"),
    *("PaymentComplements", "Journal", "Worklist", "Dunning", "AccountStatements", "Advances"),
    "KPIs",
}
TAKEN_PREFIXES = ("Promise", "Credit", "Dispute", "Recon")


def receivables() -> pd.DataFrame:
    rows = [
        ("C1", "F1", 60000, "2026-10-31", "2026-10-01"),
        ("C1", "F2", 18000, "2026-10-10", "2026-09-10"),
        ("C3", "F6", 6000, "2026-10-20", "2026-09-20"),
        ("C2", "F3", 9000, "2026-09-10", "2026-08-10"),
        ("C2", "F4", 3000, "2026-06-10", "2026-05-10"),
        ("C9", "F9", 20000, "2026-06-10", "2026-05-10"),
    ]
    items = [
        {
            "customer_id": c,
            "document_id": d,
            "amount_open": a,
            "due_date": due,
            "document_date": doc,
        }
        for c, d, a, due, doc in rows
    ]
    items.append(
        {
            "customer_id": "C9",
            "document_id": "NC9",
            "document_type": "credit_note",
            "amount_open": -500,
            "due_date": "2026-06-10",
        }
    )
    return open_items(items)


def operations() -> pd.DataFrame:
    rows = [
        ("OP1", "C1", "2026-10-15", "MXN", 100000, "", "", "F1", None),
        ("OP2", "C2", "2026-10-28", "MXN", 200000, "", "", "", None),
        ("OP3", "C2", "2026-10-30", "MXN", None, "2.5", "100.01", "", None),
        ("OP4", "C1", "2026-11-02", "MXN", 30000, "", "", "F5", "2026-10-30"),
        ("OP5", "U1", "2026-10-29", "USD", 70000, "", "", "INV-9", "2026-11-03"),
        ("OP6", "U1", "2026-11-03", "USD", 10000, "", "", "", None),
    ]
    return frame(
        INPUT_TABLES["operations"],
        [
            {
                "operation_id": o,
                "customer_id": c,
                "completed_date": d,
                "currency": cur,
                "amount": a,
                "quantity": q,
                "rate": r,
                "invoice_id": inv,
                "invoice_date": idate,
                "description": f"service {o}",
            }
            for o, c, d, cur, a, q, r, inv, idate in rows
        ],
    )


def snapshots() -> pd.DataFrame:
    history = {
        "2026-07-31": (1000, 400, 200, 100, 0),
        "2026-08-31": (1200, 300, 100, 80, 40),
        "2026-09-30": (1100, 360, 150, 60, 20),
    }
    return frame(
        AGING_SNAPSHOTS,
        [
            {"as_of": day, "currency": "MXN", "bucket": b, "amount": v * 100}
            for day, values in history.items()
            for b, v in zip(["current", "1-30", "31-60", "61+", "write_off"], values, strict=True)
        ],
    )


def tables() -> dict[str, pd.DataFrame]:
    return {
        "operations": operations(),
        "aging_snapshots": snapshots(),
        "specific_provisions": frame(
            SPECIFIC_PROVISIONS,
            [{"customer_id": "C9", "rate": 0.5, "reason": "concurso mercantil"}],
        ),
        "write_offs": frame(
            WRITE_OFFS,
            [
                {
                    "document_id": "F0",
                    "customer_id": "C7",
                    "date": "2026-10-15",
                    "currency": "MXN",
                    "amount": 2500,
                    "reason": "customer dissolved",
                }
            ],
        ),
        "opening_allowance": frame(
            INPUT_TABLES["opening_allowance"], [{"currency": "MXN", "amount": 10000}]
        ),
    }


def master() -> pd.DataFrame:
    return customers(
        [
            {"customer_id": "C1", "customer_name": "Aceros del Norte"},
            {"customer_id": "C2", "customer_name": "Bodegas del Sur"},
            {"customer_id": "C3", "customer_name": "Café Tres Ríos"},
            {"customer_id": "C9", "customer_name": "Quebrada SA"},
            {"customer_id": "U1", "customer_name": "Union Freight Inc."},
        ]
    )


def case(**options: object) -> tuple[AccrualsInputs, pd.DataFrame]:
    oi = receivables()
    aging, _ = age_receivables(oi, END, BUCKETS)
    given = {**tables(), **options.pop("tables", {})}  # type: ignore[dict-item]
    inputs = AccrualsInputs(
        period_end=END,
        open_items=oi,
        aging=aging,
        customers=master(),
        provision_policy=ProvisionPolicy(buckets=BUCKETS, forward_factor=1.1),
        sap_company_code="MX01",
        **given,
        **options,  # type: ignore[arg-type]
    )
    return inputs, aging


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    inputs, aging = case()
    sheets, findings = accruals_sheets(inputs)
    aging_sheet = SheetSpec("Aging", "aging", aging, aging_schema(BUCKETS))
    path = tmp_path_factory.mktemp("accruals") / "accruals.xlsx"
    write_workbook(path, [*accruals_input_sheets(tables()), aging_sheet, *sheets])
    return path, {s.name: s for s in sheets}, findings


@pytest.mark.parametrize("sheet", OUTPUT_SHEETS)
def test_output_sheets_match_golden(built, sheet):
    path, _, _ = built
    assert_golden(sheet_snapshot(path, sheet), GOLDEN / f"{sheet}.csv")


def test_input_sheet_matches_golden(built):
    path, _, _ = built
    assert_golden(sheet_snapshot(path, "Operations"), GOLDEN / "Operations.csv")


def test_the_accrual_by_hand(built):
    _, sheets, findings = built
    acc = sheets["Accruals"].frame
    assert acc[["customer_id", "currency", "amount", "operation_ids"]].values.tolist() == [
        ["C2", "MXN", 225003, "OP2;OP3"],
        ["U1", "USD", 70000, "OP5"],
    ]
    assert acc["customer_name"].tolist() == ["Bodegas del Sur", "Union Freight Inc."]
    unbilled = sheets["Unbilled"].frame.set_index("operation_id")
    assert unbilled.loc["OP5", "reason"] == "invoiced on 2026-11-03, after the cut-off"
    assert unbilled.loc["OP2", "source"] == "test.csv:3"
    cutoff = sheets["Cutoff"].frame.set_index("operation_id")["result"].to_dict()
    assert cutoff == {
        "OP2": "accrued",
        "OP3": "accrued",
        "OP5": "accrued",
        "OP4": "early_invoice",
        "OP6": "not_invoiced",
    }
    assert [f.code for f in findings if f.severity != "info"] == ["CUTOFF_EARLY_INVOICE"]


def test_the_reversal_is_dated_the_first_day_of_the_next_period(built):
    _, sheets, _ = built
    j = sheets["AccrualJournal"].frame
    reversal = j[j["reversal_of"].ne("")]
    assert set(reversal["journal_id"]) == {"ACR-202610-MXN-R", "ACR-202610-USD-R"}
    assert set(reversal["date"]) == {pd.Timestamp("2026-11-01")}
    accrual = j[j["journal_id"].eq("ACR-202610-MXN")]
    assert set(accrual["date"]) == {pd.Timestamp(END)}
    assert int(reversal.loc[reversal["currency"].eq("MXN"), "credit"].sum()) == 225003


def test_the_provision_by_hand(built):
    _, sheets, _ = built
    m = sheets["ProvisionMatrix"].frame.set_index("bucket")
    assert m["provision"].to_dict() == {"current": 1100, "1-30": 1467, "31-60": 1540, "61+": 1100}
    assert m["historical_loss_rate"].tolist() == pytest.approx([1 / 60, 1 / 18, 7 / 45, 1 / 3])
    assert m["roll_rate"].tolist() == pytest.approx([3 / 10, 5 / 14, 7 / 15, 1 / 3])
    assert m["rr 2026-08"].tolist() == [0.3, 0.25, 0.4, 0.4]
    assert m["rr 2026-09"].tolist() == [0.3, 0.5, 0.6, 0.25]  # 360/1200, 150/300, 60/100, 20/80
    p = sheets["Provision"].frame.set_index("customer_id")
    assert p["provision"].to_dict() == {"C1": 2200, "C2": 2640, "C3": 367, "C9": 10000}
    assert p.loc["C9", ["method", "specific", "basis"]].tolist() == [
        "specific",
        10000,
        "concurso mercantil",
    ]
    j = sheets["AccrualJournal"].frame
    charge = j[j["journal_id"].eq("PRV-202610-MXN")]
    assert charge[["account", "debit", "credit"]].values.tolist() == [
        ["6105-01", 7707, 0],
        ["1109-01", 0, 7707],
    ]


def test_every_control_is_ok_and_the_journal_balances(built):
    path, sheets, findings = built
    assert "ACCRUALS_CONTROL" not in [f.code for f in findings]
    checks = [c for s in sheets.values() for c in s.controls if c.check]
    assert len(checks) > 15
    assert {c.value for c in checks} == {"OK", "REVIEW"}  # REVIEW: the cut-off error
    assert check_balanced(sheets["AccrualJournal"].frame) == []
    wb = openpyxl.load_workbook(path, data_only=True)
    cells = [c.value for name in OUTPUT_SHEETS for row in wb[name]["B1:B60"] for c in row]
    assert "DIFFERENCE" not in cells


def test_sheet_and_table_names_clash_with_nothing():
    names = [*INPUT_TABLES.values()]
    sheets = [s.sheet for s in names] + list(OUTPUT_SHEETS)
    assert len({s.lower() for s in sheets}) == len(sheets)
    for s in sheets:
        assert s not in TAKEN and not s.startswith(TAKEN_PREFIXES), s
    inputs, _ = case()
    out, _ = accruals_sheets(inputs)
    tables_ = [s.table_name for s in [*accruals_input_sheets(None), *out]]
    assert len(set(tables_)) == len(tables_)
    assert not {"journal_lines", "open_items", "aging", "customers"} & set(tables_)
    assert [s.name for s in out] == list(OUTPUT_SHEETS)


def test_the_template_input_sheets_are_empty(tmp_path):
    sheets = accruals_input_sheets(None)
    assert [s.name for s in sheets] == [t.sheet for t in INPUT_TABLES.values()]
    assert all(s.kind == "input" and s.frame.empty for s in sheets)
    write_workbook(tmp_path / "t.xlsx", sheets)
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert set(INPUT_TABLES) == {name for ws in wb.worksheets for name in ws.tables}


def test_flat_and_given_matrices():
    inputs, _ = case(method="flat", flat_percentages={"31-60": 10, "61+": 50})
    sheets, findings = accruals_sheets(inputs)
    m = {s.name: s for s in sheets}["ProvisionMatrix"].frame.set_index("bucket")
    assert m["provision"].tolist() == [0, 0, 900, 1500]
    assert "balance" not in m and "forward_factor" in m
    assert "FORWARD_NOT_APPLIED" in [f.code for f in findings]  # the case's factor 1.1
    given = frame(
        INPUT_TABLES["loss_rates"],
        [
            {"bucket": "current", "loss_rate": 0.01},
            {"bucket": "1-30", "loss_rate": 0.05},
            {"bucket": "31-60", "loss_rate": 0.2},
            {"bucket": "61+", "loss_rate": 15},  # typed as a percentage
        ],
    )
    inputs, _ = case(method="matrix", tables={"loss_rates": given})
    sheets, findings = accruals_sheets(inputs)
    m = {s.name: s for s in sheets}["ProvisionMatrix"].frame.set_index("bucket")
    assert m["provision"].tolist() == [600, 1200, 1800, 3000]  # 61+ capped at 100 %
    assert "LOSS_RATE_OUT_OF_RANGE" in [f.code for f in findings]
    inputs, _ = case(method="matrix")
    _, findings = accruals_sheets(inputs)
    assert "NO_LOSS_RATES" in [f.code for f in findings]
    with pytest.raises(ValueError, match="method"):
        case(method="guess")


def test_without_operations_or_history():
    inputs, _ = case(tables={"aging_snapshots": None})
    inputs = dataclasses.replace(inputs, operations=None)
    sheets, findings = accruals_sheets(inputs)
    assert [s.name for s in sheets] == [
        "ProvisionMatrix",
        "Provision",
        "AccrualJournal",
        "AccrualUploadSAP",
    ]
    assert "NO_SNAPSHOTS" in [f.code for f in findings]
    assert check_balanced(sheets[2].frame) == []


def test_nothing_pasted_gives_empty_sheets_and_says_what_is_missing(tmp_path):
    empty = {k: empty_table(v) for k, v in INPUT_TABLES.items()}
    inputs = AccrualsInputs(END, empty_table(OPEN_ITEMS), **empty)
    sheets, findings = accruals_sheets(inputs)
    assert [s.name for s in sheets] == list(OUTPUT_SHEETS[:-1])
    assert all(s.frame.empty for s in sheets)
    assert [f.code for f in findings] == ["NO_SNAPSHOTS"]
    write_workbook(tmp_path / "e.xlsx", sheets)
    _, findings = accruals_sheets(dataclasses.replace(inputs, method="matrix"))
    assert [f.code for f in findings] == ["NO_LOSS_RATES"]


def test_hostile_text_stays_text(tmp_path):
    ops = operations()
    ops.loc[1, "customer_id"] = '=HYPERLINK("http://x","y")'
    ops.loc[1, "currency"] = 'MXN"),1+1,("'
    inputs, _ = case(
        tables={"operations": ops},
        accrual_policy=AccrualPolicy(journal_prefix='A"C*R'),
    )
    sheets, _ = accruals_sheets(inputs)
    formulas = [c.formula for s in sheets for c in s.controls if c.formula]
    assert any('"=A""C~*R-202610-' in f for f in formulas)
    assert not any('"MXN"),1+1' in f for f in formulas)
    write_workbook(tmp_path / "h.xlsx", sheets)
    ws = openpyxl.load_workbook(tmp_path / "h.xlsx")["Unbilled"]
    hostile = [c for row in ws.iter_rows() for c in row if c.value == ops.loc[1, "customer_id"]]
    assert hostile and all(c.data_type == "s" for c in hostile)


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", "C3", "U1"]),
            st.integers(1, 10**9),
            st.integers(-40, 10),  # completed, days from the period end
            st.sampled_from([None, -20, -1, 0, 1, 5]),  # invoiced, days from the period end
        ),
        max_size=10,
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", "C9"]), st.integers(1, 10**8), st.integers(-30, 200)
        ),
        max_size=8,
    ),
    st.integers(0, 10**7),
    st.lists(st.integers(1, 10**6), max_size=3),
    st.lists(st.integers(0, 100), min_size=4, max_size=4),
)
def test_any_accrual_and_provision_journal_balances(ops_spec, items, opening, written, pcts):
    ops = frame(
        INPUT_TABLES["operations"],
        [
            {
                "operation_id": f"OP{i}",
                "customer_id": c,
                "currency": "USD" if c == "U1" else "MXN",
                "amount": a,
                "completed_date": (END + dt.timedelta(days=d)).isoformat(),
                "invoice_id": "" if inv is None else f"F{i}",
                "invoice_date": None if inv is None else (END + dt.timedelta(days=inv)).isoformat(),
            }
            for i, (c, a, d, inv) in enumerate(ops_spec)
        ],
    )
    oi = open_items(
        [
            {
                "customer_id": c,
                "document_id": f"D{i}",
                "amount_open": a,
                "due_date": (END - dt.timedelta(days=d)).isoformat(),
            }
            for i, (c, a, d) in enumerate(items)
        ]
    )
    inputs = AccrualsInputs(
        period_end=END,
        open_items=oi,
        operations=ops,
        write_offs=frame(
            WRITE_OFFS,
            [
                {"document_id": f"W{i}", "date": "2026-10-01", "currency": "MXN", "amount": w}
                for i, w in enumerate(written)
            ],
        ),
        opening_allowance=frame(
            INPUT_TABLES["opening_allowance"], [{"currency": "MXN", "amount": opening}]
        ),
        specific_provisions=frame(SPECIFIC_PROVISIONS, [{"customer_id": "C9", "rate": 0.4}]),
        method="flat",
        flat_percentages=dict(zip(["current", "1-30", "31-60", "61+"], pcts, strict=True)),
        provision_policy=ProvisionPolicy(buckets=BUCKETS),
    )
    sheets, findings = accruals_sheets(inputs)
    journal = {s.name: s for s in sheets}["AccrualJournal"].frame
    assert check_balanced(journal) == []
    sums = journal.groupby("journal_id")[["debit", "credit"]].sum()
    assert (sums["debit"] == sums["credit"]).all()
    assert "ACCRUALS_CONTROL" not in [f.code for f in findings]
    assert {c.value for s in sheets for c in s.controls if c.check} <= {"OK", "REVIEW"}
    accrued = {s.name: s for s in sheets}["Accruals"].frame
    expected = sum(a for _, a, d, inv in ops_spec if d <= 0 and (inv is None or inv > 0))
    assert int(accrued["amount"].sum()) == expected


# --------------------------------------------------------------------------- recalculation


@pytest.mark.slow
def test_libreoffice_recalculates_every_control_to_the_engine_value(built, tmp_path):
    """Every cached figure poisoned to 0, LibreOffice recalculates on load: each formula
    must come back to what the engine computed (no #NAME?, no Err:508, no DIFFERENCE)."""
    path, _, _ = built
    grids = recalculate(path, tmp_path, at_least=41)
    assert assert_formulas_recalculate(path, grids) > 40
