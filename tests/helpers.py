"""Builders for engine tables in tests (the engine representation, not files)."""

from __future__ import annotations

import pandas as pd

from cuadre.model.tables import CUSTOMERS, OPEN_ITEMS, PAYMENTS, TableSchema


def frame(schema: TableSchema, rows: list[dict]) -> pd.DataFrame:
    """Rows with a few columns -> a full engine table (money given in minor units)."""
    data = {}
    for col in schema.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind in ("money", "int"):
            data[col.name] = pd.Series(values, dtype="Int64")
        elif col.kind == "date":
            data[col.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif col.kind == "ratio":
            data[col.name] = pd.Series(values, dtype="float64")
        else:
            data[col.name] = pd.Series(["" if v is None else v for v in values], dtype=object)
    out = pd.DataFrame(data)
    out["source_path"] = "test.csv"
    out["source_sheet"] = ""
    out["source_row"] = pd.Series(range(2, len(rows) + 2), dtype="Int64")
    return out


def open_items(rows: list[dict]) -> pd.DataFrame:
    base = {"document_type": "invoice", "document_date": "2026-09-01", "currency": "MXN"}
    return frame(OPEN_ITEMS, [{**base, **r} for r in rows])


def payments(rows: list[dict]) -> pd.DataFrame:
    base = {"value_date": "2026-10-15", "currency": "MXN"}
    return frame(PAYMENTS, [{**base, **r} for r in rows])


def customers(rows: list[dict]) -> pd.DataFrame:
    return frame(CUSTOMERS, rows)
