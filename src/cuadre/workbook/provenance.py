"""Provenance on sheets: the contract's three columns shown as one ``source`` cell.

Engine tables carry ``source_path``, ``source_sheet`` and ``source_row`` on every row
(:data:`cuadre.model.tables.PROVENANCE`). On a sheet an accountant reads one column,
``source``, written ``open_items.csv:17`` or ``erp.xlsx:OpenItems!17``: the file's
name (not its folder) and the row, so each figure can be traced back to the line it
came from.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from cuadre.model.tables import PROVENANCE, Column, Kind, TableSchema

__all__ = ["with_source", "with_source_column"]


def with_source_column(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace the provenance columns by one ``source`` column: ``file:row``."""
    if "source_row" not in frame:
        return frame
    name = frame["source_path"].map(lambda f: Path(f).name if f else "")
    sheet = frame["source_sheet"].map(lambda s: f"{s}!" if s else "")
    row = frame["source_row"].astype("string").fillna("")
    out = frame.drop(columns=[c for c in PROVENANCE if c in frame])
    out["source"] = (name + ":" + sheet + row).where(name.ne(""), "")
    return out


def with_source(frame: pd.DataFrame, schema: TableSchema) -> tuple[pd.DataFrame, TableSchema]:
    """The frame with its ``source`` column and the schema extended with it.

    A frame without provenance loses any partial provenance columns and keeps its schema.
    """
    if "source_row" not in frame:
        return frame.drop(columns=[c for c in PROVENANCE if c in frame]), schema
    extended = replace(schema, columns=(*schema.columns, Column("source", Kind.TEXT)))
    return with_source_column(frame), extended
