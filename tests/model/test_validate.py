"""coerce_table on raw cells as a workbook reader returns them (no files)."""

import datetime as dt

import numpy as np
import pandas as pd

from cuadre.model import CUSTOMERS, OPEN_ITEMS
from cuadre.model.document_types import canonical_document_type
from cuadre.model.validate import RawTable, ReadOptions, coerce_table


def raw(header, rows, sheet="OpenItems"):
    cells = pd.DataFrame(rows, columns=pd.Index(header, dtype=object), dtype=object)
    return RawTable(
        cells, np.arange(2, len(rows) + 2), 1, list(range(1, len(header) + 1)), "book.xlsx", sheet
    )


HEADER = [
    "Customer ID",
    "Document ID",
    "Type",
    "document_date",
    "due_date",
    "currency",
    "Amount Open",
    "Notes",
]


def test_workbook_values_are_typed_and_extras_kept():
    df, findings = coerce_table(
        raw(
            [*HEADER, "document_type"],
            [["C1", 1043.0, "", dt.datetime(2026, 10, 1), 46326, "mxn", 1160.5, "x", "Factura"]],
        ),
        OPEN_ITEMS,
    )
    assert not findings
    row = df.iloc[0]
    assert (row["document_id"], row["currency"], row["amount_open"]) == ("1043", "MXN", 116050)
    assert row["document_type"] == "invoice" and row["due_date"] == pd.Timestamp("2026-10-31")
    assert row["notes"] == "x" and row["source_sheet"] == "OpenItems"


def test_decimal_setting_overrides_detection():
    header = [
        "customer_id",
        "document_id",
        "document_type",
        "document_date",
        "currency",
        "amount_open",
    ]
    rows = [["C1", "A", "invoice", "2026-10-01", "MXN", "1,234"]]
    df, _ = coerce_table(raw(header, rows), OPEN_ITEMS, ReadOptions(decimal_separator=","))
    assert df["amount_open"].iloc[0] == 123
    df, _ = coerce_table(raw(header, rows), OPEN_ITEMS, ReadOptions(date_order="mdy"))
    assert df["amount_open"].iloc[0] == 123400


def test_duplicate_column_is_an_error():
    _, findings = coerce_table(
        raw(["customer_id", "Customer ID", "customer_name"], [["1", "2", "n"]]), CUSTOMERS
    )
    assert [f.code for f in findings] == ["DUPLICATE_COLUMN"]
    assert findings[0].location.excel() == "OpenItems!B1"


def test_document_type_aliases():
    assert canonical_document_type("Nota de Crédito") == "credit_note"
    assert canonical_document_type("DZ") == "payment"
    assert canonical_document_type("something") == "something"


def test_typed_columns_are_taken_as_they_are():
    """A reader may hand money over as Int64 minor units and dates as datetime64: the
    same table as from the text, with no parsing (see RawTable)."""
    header = [
        "customer_id",
        "document_id",
        "document_type",
        "document_date",
        "due_date",
        "currency",
        "amount_open",
    ]
    text_rows = [
        ["C1", "A", "invoice", "2026-10-01", "2026-10-31", "EUR", "12.30"],
        ["C1", "B", "credit_note", "2026-10-02", "", "EUR", "-0.05"],
        ["", "", "", "", "", "", ""],
    ]
    as_text, text_findings = coerce_table(raw(header, text_rows), OPEN_ITEMS)
    cells = pd.DataFrame(text_rows, columns=pd.Index(header, dtype=object), dtype=object)
    cells["amount_open"] = pd.array([1230, -5, None], dtype="Int64")
    cells["document_date"] = pd.to_datetime(["2026-10-01", "2026-10-02", None])
    cells["due_date"] = pd.to_datetime(["2026-10-31", None, None])
    typed = RawTable(cells, np.arange(2, 5), 1, list(range(1, 8)), "book.xlsx", "OpenItems")
    as_typed, typed_findings = coerce_table(typed, OPEN_ITEMS)
    pd.testing.assert_frame_equal(as_typed, as_text)
    assert [f.code for f in typed_findings] == [f.code for f in text_findings] == ["BLANK_ROWS"]


def test_typed_required_value_missing_is_reported():
    cells = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "document_id": ["A"],
            "document_type": ["invoice"],
            "currency": ["EUR"],
        },
        dtype=object,
    )
    cells["document_date"] = pd.to_datetime([None])
    cells["amount_open"] = pd.array([7], dtype="Int64")
    typed = RawTable(cells, np.arange(2, 3), 1, list(range(1, 7)), "book.xlsx", "OpenItems")
    df, findings = coerce_table(typed, OPEN_ITEMS)
    assert ("MISSING_VALUE", "OpenItems!E2") in {(f.code, f.location.excel()) for f in findings}
    assert df["amount_open"].iloc[0] == 7
