"""Input sheets (blue tabs) of the steps after the close: one Excel table per input.

A table given (as read) is shown with its ``source`` column (``file:row``); without one
the sheet holds the empty table with its headers for the accountant to paste into. The
template's sheets (no tables given) have no totals row, so rows pasted right under the
header land in the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cuadre.model.tables import Kind, TableSchema, empty_table
from cuadre.workbook.formulas import counta
from cuadre.workbook.provenance import with_source
from cuadre.workbook.writer import ControlRow, SheetSpec

__all__ = ["PASTE_NOTE", "PER_CURRENCY", "input_sheet"]

PASTE_NOTE = "Paste below the header row: the table grows with the data. Ids stay text."
PER_CURRENCY = "Filter the currency column to read the totals per currency."


def input_sheet(
    schema: TableSchema,
    given: pd.DataFrame | None,
    title: str,
    subtitle: str,
    notes: Sequence[str] = (),
    *,
    totals: bool = True,
) -> SheetSpec:
    """The blue sheet of ``schema``'s table: ``given`` as read, or empty; a row count as
    a live formula over its first required column; ``totals`` adds the money totals row
    (left out of the template)."""
    frame = given if given is not None else empty_table(schema)
    frame, shown = with_source(frame, schema)
    first = (schema.required or schema.names)[0]  # an optional column may be empty
    money = tuple(c for c in schema.of_kind(Kind.MONEY) if c in frame)
    return SheetSpec(
        schema.sheet,
        schema.name,
        frame,
        shown,
        title=title,
        subtitle=subtitle,
        kind="input",
        totals=money if totals else (),
        controls=(ControlRow("Rows", len(frame), formula="=" + counta(schema.name, first)),),
        notes=(PASTE_NOTE, *notes, *((PER_CURRENCY,) if money else ())),
    )
