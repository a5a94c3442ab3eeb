"""What every importer shares: the result types, safe XML, and statement checks.

Every importer module offers the same small interface (one module per source format):

- ``FORMAT``: a short name (``"camt"``, ``"mt940"``...);
- ``detect(data: bytes, name: str) -> bool``: from the content, not the file name;
- ``read(data: bytes, source: str) -> BankImport`` (bank formats) or the module's own
  result type (ERP exports, e-invoices), never raising on bad data: problems are
  :class:`~cuadre.findings.Finding` objects located as ``file:line`` or ``Sheet!A1``.

Importers are I/O-free (they get bytes); :mod:`cuadre.importers.bank` reads the files.
XML is parsed only through :func:`parse_xml` (defusedxml: no external entities, no
entity expansion bombs, no DTD retrieval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DET
import pandas as pd
from defusedxml import DefusedXmlException

from cuadre.findings import Finding, Location, error, warning
from cuadre.model.tables import BANK_LINES, STATEMENTS, TableSchema, empty_table
from cuadre.money import format_amount, known_currencies


@dataclass
class BankImport:
    """Bank lines and statements read from one file, with their findings."""

    bank_lines: pd.DataFrame
    statements: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    format: str = ""


def typed_table(rows: list[dict[str, object]], schema: TableSchema) -> pd.DataFrame:
    """Records (money already in int minor units, dates as date/Timestamp) -> engine table.

    Columns missing from the records are filled empty; extra keys are kept after the
    schema's columns.
    """
    if not rows:
        return empty_table(schema)
    frame = pd.DataFrame(rows)
    out: dict[str, pd.Series] = {}
    for col in schema.columns:
        s = frame[col.name] if col.name in frame else pd.Series([None] * len(frame))
        if col.kind == "date":
            out[col.name] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
        elif col.kind in ("money", "int"):
            out[col.name] = pd.Series(
                [None if v is None or v is pd.NA or v != v else int(v) for v in s.tolist()],
                dtype="Int64",
            )
        elif col.kind == "ratio":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            out[col.name] = pd.Series(
                [
                    "" if v is None or (isinstance(v, float) and v != v) else str(v)
                    for v in s.tolist()
                ],
                dtype=object,
            )
    table = pd.DataFrame(out)
    for extra in frame.columns:
        if extra not in table:
            table[extra] = frame[extra].to_numpy()
    return table


def parse_xml(data: bytes, source: str) -> tuple[Element | None, list[Finding]]:
    """Parse XML safely; a hostile or broken document is a finding, never a traceback."""
    try:
        return DET.fromstring(data, forbid_dtd=False), []
    except DefusedXmlException as exc:
        return None, [
            error(
                Location(source),
                "XML_REFUSED",
                f"the XML was refused for safety ({type(exc).__name__}: entity declarations "
                "or external references are not allowed in statements and e-invoices)",
                "Ask the sender for the original file as issued by the bank or the tax authority.",
            )
        ]
    except Exception as exc:  # ParseError and friends from a corrupt file
        line = getattr(exc, "position", (None, None))[0]
        return None, [
            error(
                Location(source, line),
                "XML_INVALID",
                f"the file is not well-formed XML ({exc})",
                "Download the file again; it may be truncated or edited by hand.",
            )
        ]


def local(tag: str) -> str:
    """``{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}Stmt`` -> ``Stmt``."""
    return tag.rsplit("}", 1)[-1]


def check_balances(
    statements: pd.DataFrame, lines: pd.DataFrame, source: str
) -> list[Finding]:
    """Opening balance + the statement's lines = closing balance, where both are given."""
    found: list[Finding] = []
    if statements.empty:
        return found
    sums = lines.groupby("statement_id")["amount"].sum() if len(lines) else pd.Series(dtype="Int64")
    for st in statements.itertuples(index=False):
        if pd.isna(st.opening_balance) or pd.isna(st.closing_balance):
            continue
        moved = int(sums.get(st.statement_id, 0))
        expected = int(st.opening_balance) + moved
        if expected != int(st.closing_balance):
            cur = st.currency if st.currency in known_currencies() else "XXX"
            found.append(
                warning(
                    Location(source),
                    "STATEMENT_NOT_BALANCED",
                    f"statement {st.statement_id}: opening {format_amount(int(st.opening_balance), cur)}"
                    f" + lines {format_amount(moved, cur)} = {format_amount(expected, cur)}"
                    f" != closing {format_amount(int(st.closing_balance), cur)}"
                    f" (difference {format_amount(int(st.closing_balance) - expected, cur)})",
                    "Lines may be missing from the file, or it holds an interim statement.",
                )
            )
    return found


__all__ = [
    "BANK_LINES",
    "STATEMENTS",
    "BankImport",
    "check_balances",
    "empty_table",
    "local",
    "parse_xml",
    "typed_table",
]
