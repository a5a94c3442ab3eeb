"""Unbilled revenue accrual and sales cut-off (cuadre.accruals)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.accruals import AccrualPolicy, accrue_unbilled, sales_cutoff
from cuadre.journals import check_balanced
from cuadre.reconcile.tables import OPERATIONS
from helpers import frame, open_items

END = dt.date(2026, 10, 31)


def ops(rows: list[dict]) -> pd.DataFrame:
    base = {"customer_id": "C1", "currency": "MXN", "completed_date": "2026-10-15"}
    return frame(OPERATIONS, [{**base, **r} for r in rows])


def invoices(rows: list[dict]) -> pd.DataFrame:
    return open_items([{"customer_id": "C1", "due_date": "2026-12-01", **r} for r in rows])


def test_what_is_accrued() -> None:
    a = accrue_unbilled(
        ops(
            [
                {"operation_id": "OP1", "amount": 1000, "invoice_id": "F1"},  # billed in time
                {"operation_id": "OP2", "amount": 2000},  # not billed
                {"operation_id": "OP3", "amount": 3000, "invoice_id": "F3"},  # billed late
                {
                    "operation_id": "OP4",
                    "amount": 4000,
                    "completed_date": "2026-11-01",
                },  # next month
                {"operation_id": "OP 5", "amount": 5000},  # billed by reference
                {"operation_id": "OP6", "quantity": "2.5", "rate": "100.01"},  # 250.025 -> 250.03
            ]
        ),
        invoices(
            [
                {"document_id": "F1", "document_date": "2026-10-20", "amount_open": 1160},
                {"document_id": "F3", "document_date": "2026-11-02", "amount_open": 3480},
                {
                    "document_id": "F5",
                    "document_date": "2026-10-30",
                    "amount_open": 5800,
                    "reference": "op-5",
                },
            ]
        ),
        END,
    )
    assert a.unbilled["operation_id"].tolist() == ["OP2", "OP3", "OP6"]
    assert a.unbilled["unbilled"].tolist() == [2000, 3000, 25003]
    assert a.accruals["amount"].tolist() == [30003]
    debit = a.journal[a.journal["journal_id"].eq("ACR-202610-MXN")]
    assert int(debit["debit"].sum()) == 30003
    reversal = a.journal[a.journal["reversal_of"].eq("ACR-202610-MXN")]
    assert set(reversal["date"]) == {pd.Timestamp("2026-11-01")}
    assert int(reversal["credit"].sum()) == 30003
    assert all(c.check is not False for c in a.controls)
    assert check_balanced(a.journal) == []


def test_missing_amount_is_reported() -> None:
    a = accrue_unbilled(ops([{"operation_id": "OP1", "rate": "x"}]), invoices([]), END)
    assert [f.code for f in a.findings] == ["NO_AMOUNT"]


def test_cutoff_results() -> None:
    table, findings = sales_cutoff(
        ops(
            [
                {
                    "operation_id": "A",
                    "amount": 1,
                    "completed_date": "2026-10-29",
                    "invoice_id": "F1",
                },
                {"operation_id": "B", "amount": 1, "completed_date": "2026-10-30"},
                {
                    "operation_id": "C",
                    "amount": 1,
                    "completed_date": "2026-11-02",
                    "invoice_id": "F2",
                },
                {"operation_id": "D", "amount": 1, "completed_date": "2026-11-03"},
                {"operation_id": "E", "amount": 1, "completed_date": "2026-10-01"},  # not near
            ]
        ),
        invoices(
            [
                {"document_id": "F1", "document_date": "2026-10-29", "amount_open": 1},
                {"document_id": "F2", "document_date": "2026-10-31", "amount_open": 1},
            ]
        ),
        END,
        5,
    )
    assert dict(zip(table["operation_id"], table["result"], strict=True)) == {
        "A": "ok",
        "B": "accrued",
        "C": "early_invoice",
        "D": "not_invoiced",
    }
    assert [f.code for f in findings] == ["CUTOFF_EARLY_INVOICE"]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", "C3"]),
            st.integers(0, 10**9),
            st.integers(1, 31),
            st.sampled_from(["MXN", "USD", "COP"]),
        ),
        max_size=12,
    )
)
def test_the_accrual_journal_always_balances(spec) -> None:
    o = ops(
        [
            {
                "operation_id": f"OP{i}",
                "customer_id": c,
                "amount": a,
                "currency": cur,
                "completed_date": f"2026-10-{d:02d}",
            }
            for i, (c, a, d, cur) in enumerate(spec)
        ]
    )
    a = accrue_unbilled(o, invoices([]), END, policy=AccrualPolicy())
    assert check_balanced(a.journal) == []
    assert all(c.check is not False for c in a.controls)
    assert int(a.accruals["amount"].sum()) == sum(x[1] for x in spec)


def test_an_invoice_not_in_the_list_is_dated_by_the_operation() -> None:
    """F7 was paid and left the open items: the operation's invoice_date says it was
    invoiced in time. F8 is unknown and undated: accrued, and reported."""
    o = ops(
        [
            {"operation_id": "OP7", "amount": 700, "invoice_id": "F7"},
            {"operation_id": "OP8", "amount": 800, "invoice_id": "F8"},
            {"operation_id": "OP9", "amount": 900, "invoice_id": "F9"},
        ]
    )
    o["invoice_date"] = pd.to_datetime(["2026-10-20", None, "2026-11-03"])
    a = accrue_unbilled(o, invoices([]), END)
    assert a.unbilled["operation_id"].tolist() == ["OP8", "OP9"]
    assert a.unbilled["reason"].tolist() == [
        "not invoiced",
        "invoiced on 2026-11-03, after the cut-off",
    ]
    assert [(f.code, f.location.row) for f in a.findings] == [("INVOICE_NOT_FOUND", 3)]
    # the invoice list wins over the operation's date
    listed = invoices([{"document_id": "F9", "document_date": "2026-10-30", "amount_open": 1}])
    assert accrue_unbilled(o, listed, END).unbilled["operation_id"].tolist() == ["OP8"]


def _read_operations(tmp_path, body: str, **options) -> pd.DataFrame:
    from cuadre.io.tables import read_table
    from cuadre.model.validate import ReadOptions

    path = tmp_path / "operations.csv"
    path.write_text(body, encoding="utf-8")
    table, findings = read_table(path, OPERATIONS, ReadOptions(**options))
    assert not [f for f in findings if f.is_error], findings
    return table


def test_quantity_and_rate_are_read_with_the_files_decimal_separator(tmp_path) -> None:
    """A decimal-comma file: 250.000,50 is 250000.50, not 250.0005; and 1.234 (two ways)
    follows the file's other numbers."""
    table = _read_operations(
        tmp_path,
        "operation_id;customer_id;completed_date;currency;amount;quantity;rate\n"
        "OP1;C1;15/10/2026;COP;;2;250.000,50\n"
        "OP2;C1;15/10/2026;COP;;1,5;1.234\n",
    )
    assert table["invoice_date"].dtype == "datetime64[ns]"  # the schema's own column
    a = accrue_unbilled(table, invoices([]), END)
    assert a.unbilled["unbilled"].tolist() == [50_000_100, 185_100]
    assert [f.code for f in a.findings] == []


def test_ambiguous_quantities_follow_the_options_and_are_reported(tmp_path) -> None:
    from cuadre.model.validate import ReadOptions

    body = "operation_id,customer_id,completed_date,currency,quantity,rate\nOP1,C1,2026-10-15,MXN,1,1.250\n"
    table = _read_operations(tmp_path, body)
    a = accrue_unbilled(table, invoices([]), END)
    assert a.unbilled["unbilled"].tolist() == [125]  # 1.250 read with "." by default
    assert [(f.code, f.location.row) for f in a.findings] == [("AMBIGUOUS_NUMBER", 2)]
    b = accrue_unbilled(table, invoices([]), END, options=ReadOptions(decimal_separator=","))
    assert b.unbilled["unbilled"].tolist() == [125_000]  # 1.250 is one thousand two hundred
    assert b.findings == []


def test_quantities_are_exact_and_bad_ones_are_located() -> None:
    a = accrue_unbilled(
        ops(
            [
                {"operation_id": "OP1", "quantity": "0.1", "rate": "0.3"},  # 0.03, no float noise
                {"operation_id": "OP2", "quantity": "3", "rate": "12,5,0"},
                {"operation_id": "OP3", "quantity": "1", "rate": "0.12345678"},
            ]
        ),
        invoices([]),
        END,
    )
    assert a.unbilled["unbilled"].tolist() == [3, 0, 12]
    found = [(f.code, f.location.file, f.location.row) for f in a.findings]
    assert found == [("NO_AMOUNT", "test.csv", 3), ("ROUNDED", "test.csv", 4)]
    assert "rate '12,5,0' is not a number" in a.findings[0].message


def test_early_invoice_is_located_at_the_operation_row() -> None:
    _, findings = sales_cutoff(
        ops(
            [
                {"operation_id": "A", "amount": 100, "completed_date": "2026-10-30"},
                {
                    "operation_id": "B",
                    "amount": 100,
                    "completed_date": "2026-11-02",
                    "invoice_id": "F2",
                },
            ]
        ),
        invoices([{"document_id": "F2", "document_date": "2026-10-31", "amount_open": 116}]),
        END,
    )
    assert [(f.code, str(f.location)) for f in findings] == [("CUTOFF_EARLY_INVOICE", "test.csv:3")]
