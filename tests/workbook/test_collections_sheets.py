"""The collections sheets built from a small, readable close (a distributor in Mexico
with one US customer): golden sheets (values and number formats), controls that hold
and that fail when the aging disagrees, hostile text kept as text, empty inputs.

Golden files: tests/golden/workbook/collections/ (CUADRE_UPDATE_GOLDEN=1 rewrites them).
"""

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cuadre.aging import DEFAULT_BUCKETS, age_receivables, aging_schema
from cuadre.close import CloseResult, unapplied_as_open_items, unapplied_cash
from cuadre.collections.credit import CREDIT_HOLDS, OPEN_ORDERS
from cuadre.collections.disputes import DISPUTES
from cuadre.collections.promises import PROMISES
from cuadre.matching import apply_allocations
from cuadre.model.tables import ALLOCATIONS, OPEN_ITEMS, empty_table
from cuadre.workbook.collections_sheets import (
    INPUT_TABLES,
    OUTPUT_SHEETS,
    CollectionsInputs,
    collections_input_sheets,
    collections_sheets,
    run_collections,
)
from cuadre.workbook.writer import SheetSpec, write_workbook
from golden_util import assert_golden, sheet_snapshot
from helpers import customers, frame, open_items, payments
from recalc_util import assert_formulas_recalculate, recalculate

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "workbook" / "collections"
AS_OF = dt.date(2026, 10, 31)
COMPANY = {"name": "Distribuidora Industrial del Bajío S.A. de C.V.", "email": "cobranza@dib.mx"}
HOSTILE_NAME = '=HYPERLINK("http://x.example","pague aquí")'
HOSTILE_NOTE = "=SUM(A1:A9)"
HOSTILE_DISPUTE = "-2,000 precio de lista anterior"


def _customers():
    return customers(
        [
            {
                "customer_id": "C1",
                "customer_name": "Ferretería La Paz S.A. de C.V.",
                "tax_id": "FLP900101AB1",
                "credit_limit": 5_000_000,
                "payment_terms_days": 30,
                "currency": "MXN",
                "email": "cxp@ferrelapaz.mx",
            },
            {
                "customer_id": "C2",
                "customer_name": "Abarrotes del Norte S. de R.L. de C.V.",
                "credit_limit": 20_000_000,
                "payment_terms_days": 30,
                "currency": "MXN",
                "email": "pagos@abanorte.mx",
            },
            {
                "customer_id": "C3",
                "customer_name": "Peachtree Supply LLC",
                "credit_limit": 1_000_000,
                "payment_terms_days": 30,
                "currency": "USD",
                "email": "ap@peachtreesupply.com",
            },
            {
                "customer_id": "C4",
                "customer_name": HOSTILE_NAME,
                "credit_limit": 2_000_000,
                "payment_terms_days": 30,
                "currency": "MXN",
            },
        ]
    )


def _open_items():
    ferre, abarrotes = "Ferretería La Paz S.A. de C.V.", "Abarrotes del Norte S. de R.L. de C.V."
    return open_items(
        [
            # C1: 92 and 47 days overdue, a credit note, one current, one without due
            # date (document date + 30 days of terms: current, as the aging has it)
            {
                "customer_id": "C1",
                "customer_name": ferre,
                "document_id": "FA-1001",
                "document_date": "2026-07-01",
                "due_date": "2026-07-31",
                "amount_open": 1_250_000,
                "reference": "OC-4410",
            },
            {
                "customer_id": "C1",
                "customer_name": ferre,
                "document_id": "FA-1002",
                "document_date": "2026-08-15",
                "due_date": "2026-09-14",
                "amount_open": 800_000,
            },
            {
                "customer_id": "C1",
                "customer_name": ferre,
                "document_id": "NC-501",
                "document_type": "credit_note",
                "document_date": "2026-09-20",
                "due_date": "2026-09-20",
                "amount_open": -100_000,
                "reference": "FA-1002",
            },
            {
                "customer_id": "C1",
                "customer_name": ferre,
                "document_id": "FA-1003",
                "document_date": "2026-10-15",
                "due_date": "2026-11-14",
                "amount_open": 500_000,
            },
            {
                "customer_id": "C1",
                "customer_name": ferre,
                "document_id": "FA-1004",
                "document_date": "2026-10-10",
                "amount_open": 200_000,
            },
            # C2: FA-1010 paid this month (it was the reason of the hold), the rest young
            {
                "customer_id": "C2",
                "customer_name": abarrotes,
                "document_id": "FA-1010",
                "document_date": "2026-07-21",
                "due_date": "2026-08-20",
                "amount_open": 3_000_000,
            },
            {
                "customer_id": "C2",
                "customer_name": abarrotes,
                "document_id": "FA-1011",
                "document_date": "2026-09-20",
                "due_date": "2026-10-20",
                "amount_open": 2_000_000,
            },
            {
                "customer_id": "C2",
                "customer_name": abarrotes,
                "document_id": "FA-1012",
                "document_date": "2026-10-01",
                "due_date": "2026-10-31",
                "amount_open": 1_000_000,
            },
            # C3 (USD): 61 days overdue, partly paid this month
            {
                "customer_id": "C3",
                "customer_name": "Peachtree Supply LLC",
                "document_id": "INV-2001",
                "document_date": "2026-08-01",
                "due_date": "2026-08-31",
                "currency": "USD",
                "amount_open": 450_000,
                "reference": "PO 88123",
            },
            {
                "customer_id": "C3",
                "customer_name": "Peachtree Supply LLC",
                "document_id": "INV-2002",
                "document_date": "2026-09-10",
                "due_date": "2026-10-10",
                "currency": "USD",
                "amount_open": 120_000,
            },
            # C4: its only overdue invoice is disputed
            {
                "customer_id": "C4",
                "document_id": "FA-2001",
                "document_date": "2026-09-25",
                "due_date": "2026-10-25",
                "amount_open": 232_000,
            },
            # C5: not in the customer master, due in four days
            {
                "customer_id": "C5",
                "customer_name": "Construcciones Ñandú S.A. de C.V.",
                "document_id": "FA-3001",
                "document_date": "2026-10-25",
                "due_date": "2026-11-04",
                "amount_open": 300_000,
            },
        ]
    )


def _payments():
    return payments(
        [
            {
                "payment_id": "P1",
                "value_date": "2026-10-20",
                "amount": 3_000_000,
                "payer_name": "ABARROTES DEL NORTE",
                "remittance": "FA-1010",
            },
            {
                "payment_id": "P2",
                "value_date": "2026-10-28",
                "amount": 150_000,
                "payer_name": "FERRETERIA LA PAZ",
            },
            {
                "payment_id": "P3",
                "value_date": "2026-10-12",
                "amount": 100_000,
                "currency": "USD",
                "payer_name": "PEACHTREE SUPPLY",
                "remittance": "INV-2001 partial",
            },
            {
                "payment_id": "P4",
                "value_date": "2026-10-30",
                "amount": 77_700,
                "payer_name": "@SUM(1+1)",
                "remittance": "=1+2",
            },
        ]
    )


def _allocations():
    rows = [
        ("P1", "FA-1010", "C2", "MXN", 3_000_000, "auto", 1.0, "remittance names FA-1010"),
        ("P2", "", "C1", "MXN", 150_000, "on_account", 0.8, "payer name known; no document"),
        ("P3", "INV-2001", "C3", "USD", 100_000, "auto", 0.95, "remittance names INV-2001"),
        ("P4", "", "", "MXN", 77_700, "unmatched", 0.0, "payer unknown"),
    ]
    keys = [
        "payment_id",
        "document_id",
        "customer_id",
        "currency",
        "amount_applied",
        "status",
        "confidence",
        "reason",
    ]
    return frame(ALLOCATIONS, [dict(zip(keys, r, strict=True)) for r in rows])


def _close(oi=None, cust=None) -> CloseResult:
    """What run_close gives, with the allocations written by hand (no matcher involved)."""
    oi = _open_items() if oi is None else oi
    cust = _customers() if cust is None else cust
    pay, alloc = _payments(), _allocations()
    unapplied = unapplied_cash(pay, alloc)
    after = apply_allocations(oi, alloc)
    aged = pd.concat(
        [after[OPEN_ITEMS.names], unapplied_as_open_items(unapplied)], ignore_index=True
    )
    aging, _ = age_receivables(aged, AS_OF, DEFAULT_BUCKETS, cust)
    return CloseResult(pay, alloc, unapplied, after, aging)


def _tables() -> dict[str, pd.DataFrame]:
    return {
        "promises": frame(
            PROMISES,
            [
                {
                    "customer_id": "C1",
                    "promise_date": "2026-10-10",
                    "amount": 500_000,
                    "currency": "MXN",
                    "made_on": "2026-10-01",
                    "document_ids": "FA-1001",
                    "contact": "Lic. Ana Ruiz",
                    "note": "llamada",
                },
                {
                    "customer_id": "C2",
                    "promise_date": "2026-10-20",
                    "amount": 3_000_000,
                    "currency": "MXN",
                    "made_on": "2026-10-10",
                    "document_ids": "FA-1010",
                    "contact": "Jorge Treviño",
                    "note": "correo",
                },
                {
                    "customer_id": "C3",
                    "promise_date": "2026-10-15",
                    "amount": 300_000,
                    "currency": "USD",
                    "made_on": "2026-10-01",
                    "document_ids": "INV-2001",
                    "contact": "John Miller",
                    "note": "phone call",
                },
                {
                    "customer_id": "C5",
                    "promise_date": "2026-11-10",
                    "amount": 300_000,
                    "currency": "MXN",
                    "made_on": "2026-10-29",
                    "document_ids": "FA-3001",
                    "note": HOSTILE_NOTE,
                },
            ],
        ),
        "disputes": frame(
            DISPUTES,
            [
                {
                    "document_id": "FA-2001",
                    "customer_id": "C4",
                    "reason": "damaged_goods",
                    "currency": "MXN",
                    "owner": "logística",
                    "status": "open",
                    "opened_on": "2026-10-27",
                    "note": "mercancía dañada",
                },
                {
                    "document_id": "FA-1011",
                    "customer_id": "C2",
                    "reason": "pricing",
                    "amount": 200_000,
                    "currency": "MXN",
                    "owner": "ventas",
                    "status": "open",
                    "opened_on": "2026-10-22",
                    "note": HOSTILE_DISPUTE,
                },
                {
                    "document_id": "FA-1001",
                    "customer_id": "C1",
                    "reason": "freight",
                    "amount": 50_000,
                    "currency": "MXN",
                    "owner": "logística",
                    "status": "resolved",
                    "opened_on": "2026-09-05",
                    "resolved_on": "2026-09-20",
                },
                {
                    "document_id": "INV-2002",
                    "customer_id": "C3",
                    "reason": "quantity",
                    "currency": "USD",
                    "owner": "warehouse",
                    "status": "open",
                    "opened_on": "2026-11-03",
                },
            ],
        ),
        "credit_holds": frame(
            CREDIT_HOLDS,
            [
                {"customer_id": "C2", "held_on": "2026-09-25", "reason": "saldo vencido"},
                {"customer_id": "C3", "held_on": "2026-09-15", "reason": "past due"},
            ],
        ),
        "open_orders": frame(
            OPEN_ORDERS,
            [
                {
                    "customer_id": "C1",
                    "order_id": "PV-7701",
                    "currency": "MXN",
                    "amount": 3_000_000,
                    "order_date": "2026-10-28",
                },
            ],
        ),
    }


def _inputs(**changes) -> CollectionsInputs:
    base = CollectionsInputs.from_close(_close(), AS_OF, _customers(), _tables(), company=COMPANY)
    return dataclasses.replace(base, **changes)


def _aging_sheet(aging: pd.DataFrame) -> SheetSpec:
    """The Aging sheet the controls refer to (the close workbook has it)."""
    return SheetSpec("Aging", "aging", aging, aging_schema(DEFAULT_BUCKETS))


def _checks(sheets: list[SheetSpec]) -> dict[str, object]:
    return {f"{s.name}: {c.label}": c.value for s in sheets for c in s.controls if c.check}


@pytest.fixture(scope="module")
def built():
    inputs = _inputs()
    sheets, findings = collections_sheets(inputs)
    return inputs, sheets, findings


@pytest.fixture(scope="module")
def workbook(built, tmp_path_factory):
    inputs, sheets, _ = built
    path = tmp_path_factory.mktemp("collections") / "collections.xlsx"
    write_workbook(
        path,
        [_aging_sheet(inputs.aging), *sheets, *collections_input_sheets(_tables())],
        properties={"created": "2026-11-01T09:00:00"},
    )
    return path


@pytest.mark.parametrize(
    "sheet", [*OUTPUT_SHEETS, "Promises", "Disputes", "CreditHolds", "OpenOrders"]
)
def test_sheets_match_golden(workbook, sheet):
    assert_golden(sheet_snapshot(workbook, sheet), GOLDEN / f"{sheet}.csv")


def test_the_cases_show_where_a_collector_looks(built):
    _, sheets, _ = built
    by = {s.name: s.frame for s in sheets}
    status = dict(
        zip(by["PromiseStatus"]["customer_id"], by["PromiseStatus"]["status"], strict=True)
    )
    assert status == {"C1": "broken", "C2": "kept", "C3": "partially_kept", "C5": "open"}
    credit = dict(zip(by["Credit"]["customer_id"], by["Credit"]["status"], strict=True))
    assert (credit["C1"], credit["C2"], credit["C3"]) == ("new_hold", "release", "on_hold")
    release = by["Credit"].set_index("customer_id").loc["C2"]
    assert release["received_since_hold"] == 3_000_000
    wl = by["Worklist"].set_index("customer_id")
    assert wl.loc["C1", "next_action"] == "call: promise broken"
    assert wl.loc["C4", "next_action"] == "resolve dispute with logística"
    assert wl.loc["C5", "next_action"].startswith("wait: promise of 3,000.00 MXN")
    # the invoice without a due date is current (document date + 30 days), as in the aging
    assert wl.loc["C1", "overdue"] == 1_250_000 + 800_000
    dunning = by["Dunning"].set_index("customer_id")
    assert "C4" not in dunning.index  # its only overdue invoice is disputed
    assert dunning.loc["C2", "disputed"] == 200_000
    # 92 days: escalation; the credit note and the money on account reduce the claim
    assert (dunning.loc["C1", "level"], dunning.loc["C1", "overdue"]) == (4, 1_800_000)
    assert dunning.loc["C1", "letter"] == "C1_MXN_level4.txt"
    assert dunning.loc["C1", "subject"].endswith(COMPANY["name"])
    log = by["DisputeLog"]
    assert log["document_id"].tolist() == ["FA-2001", "FA-1011"]  # by owner


def test_controls_hold(built):
    _, sheets, findings = built
    checks = _checks(sheets)
    assert checks and set(checks.values()) == {"OK"}, checks
    assert not [f for f in findings if f.code == "COLLECTIONS_CONTROL"]
    assert not [f for f in findings if f.is_error]
    worklist = next(s for s in sheets if s.name == "Worklist")
    formulas = [c.formula for c in worklist.controls if c.formula]
    assert '=SUMIFS(aging[overdue],aging[currency],"=MXN")' in formulas


def test_controls_fail_when_the_aging_disagrees(built):
    inputs, _, _ = built
    stale = inputs.aging[inputs.aging["customer_id"].ne("C3")].reset_index(drop=True)
    sheets, findings = collections_sheets(dataclasses.replace(inputs, aging=stale))
    checks = _checks(sheets)
    failed = sorted(k for k, v in checks.items() if v != "OK")
    assert failed == [
        "AccountStatements: Statements + unidentified = aging total (USD)",
        "Credit: Aging total = open AR + unidentified + other currency (USD)",
        "Worklist: Aging overdue = to chase + in dispute + credits (USD)",
    ]
    codes = [f.code for f in findings if f.is_error]
    assert codes == ["COLLECTIONS_CONTROL"] * 3
    assert findings[0].location.excel() == "Worklist"
    assert "aging 0.00 USD != 4,700.00 USD" in findings[0].message


def test_control_formulas_are_live_and_cached(workbook):
    wb = openpyxl.load_workbook(workbook)
    cached = openpyxl.load_workbook(workbook, data_only=True)
    ws, values = wb["AccountStatements"], cached["AccountStatements"]
    labels = {ws.cell(r, 1).value: r for r in range(1, 40) if ws.cell(r, 1).value}
    row = labels["Statements + unidentified = aging total (MXN)"]
    assert ws.cell(row, 2).value.startswith("=IF(ROUND(SUMIFS(account_statements[closing]")
    assert values.cell(row, 2).value == "OK"
    row = labels["Closing balances (MXN)"]
    assert values.cell(row, 2).value == pytest.approx(
        12_500 + 8_000 - 1_000 + 5_000 + 2_000 - 1_500 + 20_000 + 10_000 + 2_320 + 3_000
    )


def test_hostile_text_stays_text(workbook):
    wb = openpyxl.load_workbook(workbook)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in (HOSTILE_NAME, HOSTILE_NOTE, HOSTILE_DISPUTE):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    seen.add((ws.title, cell.value))
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    # the only formulas are the controls' and the totals rows'
                    assert cell.value.startswith(
                        ("=IF(", "=SUMIFS(", "=COUNTA(", "=COUNTIFS(", "=SUBTOTAL(")
                    ), (ws.title, cell.value)
    assert {t for t, _ in seen} >= {
        "Worklist",
        "Credit",
        "AccountStatements",
        "PromiseStatus",
        "Promises",
        "DisputeLog",
        "Disputes",
    }


def test_written_workbook_has_the_tables_and_tabs(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == [
        "Aging",
        *OUTPUT_SHEETS,
        "Promises",
        "Disputes",
        "CreditHolds",
        "OpenOrders",
    ]
    tables = {name: ws.title for ws in wb.worksheets for name in ws.tables}
    assert tables == {
        "aging": "Aging",
        "worklist": "Worklist",
        "dunning_notices": "Dunning",
        "promise_status": "PromiseStatus",
        "credit": "Credit",
        "dispute_log": "DisputeLog",
        "account_statements": "AccountStatements",
        "promises": "Promises",
        "disputes": "Disputes",
        "credit_holds": "CreditHolds",
        "open_orders": "OpenOrders",
    }
    colours = {ws.title: ws.sheet_properties.tabColor.rgb for ws in wb.worksheets[1:]}
    assert {colours[s] for s in OUTPUT_SHEETS} == {"FF548235"}
    assert {colours[s] for s in ("Promises", "Disputes", "CreditHolds", "OpenOrders")} == {
        "FF2F75B5"
    }


def test_without_the_optional_inputs_the_sheets_are_still_sensible(tmp_path):
    close = _close()
    inputs = CollectionsInputs(AS_OF, close.open_after, close.aging, _customers())
    sheets, findings = collections_sheets(inputs)
    by = {s.name: s for s in sheets}
    assert [s.name for s in sheets] == list(OUTPUT_SHEETS)
    assert by["PromiseStatus"].frame.empty and by["DisputeLog"].frame.empty
    assert set(by["Credit"].frame["status"]) <= {"new_hold", "ok", "watch"}
    # without payments the unapplied cash is unknown: the controls say so, they do not hide it
    checks = _checks(sheets)
    assert checks["Worklist: Aging overdue = to chase + in dispute + credits (MXN)"] == "DIFFERENCE"
    with_cash = dataclasses.replace(inputs, unapplied=close.unapplied)
    sheets, findings = collections_sheets(with_cash)
    assert set(_checks(sheets).values()) == {"OK"}
    assert not [f for f in findings if f.is_error]
    write_workbook(tmp_path / "plain.xlsx", [_aging_sheet(close.aging), *sheets])
    assert openpyxl.load_workbook(tmp_path / "plain.xlsx").sheetnames[1:] == list(OUTPUT_SHEETS)


def test_an_empty_close_gives_empty_sheets_not_errors(tmp_path):
    aging, _ = age_receivables(empty_table(OPEN_ITEMS), AS_OF)
    inputs = CollectionsInputs(AS_OF, empty_table(OPEN_ITEMS), aging)
    sheets, findings = collections_sheets(inputs)
    assert [len(s.frame) for s in sheets] == [0] * len(OUTPUT_SHEETS)
    assert not [f for f in findings if f.is_error]
    assert set(_checks(sheets).values()) <= {"OK"}
    path = tmp_path / "empty.xlsx"
    write_workbook(path, [*sheets, *collections_input_sheets(None)])
    wb = openpyxl.load_workbook(path)
    assert len(wb.sheetnames) == len(OUTPUT_SHEETS) + len(INPUT_TABLES)


def test_input_sheets_for_the_template_and_with_their_source():
    empty = collections_input_sheets(None)
    assert [(s.name, s.table_name, s.kind) for s in empty] == [
        ("Promises", "promises", "input"),
        ("Disputes", "disputes", "input"),
        ("CreditHolds", "credit_holds", "input"),
        ("OpenOrders", "open_orders", "input"),
    ]
    assert all(s.frame.empty for s in empty)
    assert list(empty[0].frame.columns) == PROMISES.names
    given = collections_input_sheets({"disputes": _tables()["disputes"]})
    disputes = given[1].frame
    assert disputes["source"].tolist()[:2] == ["test.csv:2", "test.csv:3"]
    assert "source_row" not in disputes
    assert given[0].frame.empty


def test_letters_language_and_bad_options():
    result = run_collections(_inputs(language="en"))
    c1 = next(x for x in result.letters if x.customer_id == "C1")
    assert (c1.language, c1.subject.split(" - ")[0]) == (
        "en",
        "Notice of placement with external collections",
    )
    result = run_collections(_inputs())
    c1 = next(x for x in result.letters if x.customer_id == "C1")
    assert (c1.language, c1.subject.split(" - ")[0]) == ("es", "Aviso de turno a cobranza externa")
    c3 = next(x for x in result.letters if x.customer_id == "C3")
    assert c3.language == "en"  # USD letters are in English by the default policy
    with pytest.raises(ValueError, match="language must be es or en"):
        _inputs(language="fr")
    with pytest.raises(ValueError, match="unknown collections tables"):
        CollectionsInputs.from_close(_close(), AS_OF, None, {"promise": _tables()["promises"]})


@pytest.mark.slow
def test_libreoffice_recalculates_every_control_to_the_engine_value(workbook, tmp_path):
    """The same check as test_recalc.py, on the collections sheets: every cached formula
    value is poisoned to 0, LibreOffice recalculates, and each must come back."""
    grids = recalculate(workbook, tmp_path, at_least=81)
    assert assert_formulas_recalculate(workbook, grids) > 90
