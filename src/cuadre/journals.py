"""Journal entries out: balanced lines for accruals, reversals, provisions and write-offs.

A journal is a ``journal_lines`` table (:data:`cuadre.reconcile.tables.JOURNAL_LINES`,
the columns of :data:`cuadre.posting.JOURNAL_LINES` plus ``reversal_of``, so the
clearing journals of cash application check and export the same way): one row per line, ``debit`` and ``credit`` as non-negative minor units (one of them 0),
one currency per journal (SAP and most ERPs post one currency per document).
:func:`check_balanced` proves in code that every journal balances (debits = credits per
journal and currency), that no line is both or neither, and that amounts are not
negative; the builders here only produce balanced journals, and say so with a test.

Layouts for upload:

- :func:`generic_layout`: the ``journal_lines`` columns, amounts as decimals (CSV via
  :func:`cuadre.io.tables.write_table` with the schema);
- :func:`sap_layout` / :func:`sap_upload_text`: the fields of an SAP G/L posting upload
  (transaction FB50 / F-02 templates, BAPI_ACC_DOCUMENT_POST): BUKRS, BLDAT, BUDAT,
  BLART, WAERS, XBLNR, BKTXT, BUZEI, BSCHL (posting key 40 debit / 50 credit), HKONT,
  WRBTR (positive, dot decimals), SGTXT, ZUONR; dates ``DD.MM.YYYY``; tab-separated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cuadre.findings import Finding, Location, error
from cuadre.importers.base import empty_table, typed_table
from cuadre.money import minor_to_text
from cuadre.reconcile.core import show
from cuadre.reconcile.tables import JOURNAL_LINES


@dataclass(frozen=True)
class Line:
    """One journal line before it becomes a row: a debit or a credit (minor units)."""

    account: str
    debit: int = 0
    credit: int = 0
    text: str = ""
    customer_id: str = ""
    document_id: str = ""


def entry(
    journal_id: str,
    date: dt.date | pd.Timestamp,
    currency: str,
    lines: Sequence[Line],
    *,
    reversal_of: str = "",
) -> pd.DataFrame:
    """A journal from its lines (zero lines are dropped); raises if it does not balance
    (a programmer error: the builders compute both sides from the same figures)."""
    kept = [ln for ln in lines if ln.debit or ln.credit]
    debits, credits = sum(ln.debit for ln in kept), sum(ln.credit for ln in kept)
    if debits != credits:
        raise ValueError(f"journal {journal_id}: debits {debits} != credits {credits}")
    rows = [
        {
            "journal_id": journal_id,
            "line": i,
            "date": pd.Timestamp(date),
            "account": ln.account,
            "customer_id": ln.customer_id,
            "document_id": ln.document_id,
            "currency": currency,
            "debit": ln.debit,
            "credit": ln.credit,
            "text": ln.text,
            "reversal_of": reversal_of,
        }
        for i, ln in enumerate(kept, start=1)
    ]
    return typed_table(rows, JOURNAL_LINES) if rows else empty_table(JOURNAL_LINES)


def signed(account: str, amount: int, **kw: str) -> Line:
    """A line from a signed amount: positive is a debit, negative a credit."""
    return Line(account, debit=max(amount, 0), credit=max(-amount, 0), **kw)


def reverse(journal: pd.DataFrame, journal_id: str, date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """The reversal of ``journal``: same lines, debits and credits swapped, on ``date``."""
    out = journal.copy()
    out["debit"], out["credit"] = journal["credit"].to_numpy(), journal["debit"].to_numpy()
    out["date"] = pd.Timestamp(date)
    out["reversal_of"] = journal["journal_id"].to_numpy()
    out["journal_id"] = journal_id
    out["text"] = ("Reversal: " + journal["text"].astype(str)).to_numpy()
    return out.reset_index(drop=True)


def concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_table(JOURNAL_LINES)
    return pd.concat(parts, ignore_index=True)


def check_balanced(lines: pd.DataFrame, source: str = "journal") -> list[Finding]:
    """Every journal balances per currency; each line is a debit or a credit, not
    negative, with an account. One finding per problem (nothing when all is right)."""
    findings: list[Finding] = []
    if lines.empty:
        return findings
    debit = lines["debit"].fillna(0).astype("int64")
    credit = lines["credit"].fillna(0).astype("int64")
    for idx in lines.index[(debit < 0) | (credit < 0)]:
        findings.append(
            _line_error(lines, idx, "NEGATIVE_AMOUNT", "a negative debit or credit", source)
        )
    for idx in lines.index[(debit != 0) & (credit != 0)]:
        findings.append(
            _line_error(lines, idx, "DEBIT_AND_CREDIT", "both a debit and a credit", source)
        )
    for idx in lines.index[(debit == 0) & (credit == 0)]:
        findings.append(
            _line_error(lines, idx, "EMPTY_LINE", "neither a debit nor a credit", source)
        )
    for idx in lines.index[lines["account"].astype(str).str.strip().eq("")]:
        findings.append(_line_error(lines, idx, "NO_ACCOUNT", "no account", source))
    sums = (
        pd.DataFrame({"j": lines["journal_id"], "c": lines["currency"], "d": debit, "k": credit})
        .groupby(["j", "c"])[["d", "k"]]
        .sum()
    )
    for (j, c), row in sums.iterrows():
        if int(row["d"]) != int(row["k"]):
            findings.append(
                error(
                    Location(source),
                    "JOURNAL_NOT_BALANCED",
                    f"journal {j}: debits {show(int(row['d']), str(c))} != credits "
                    f"{show(int(row['k']), str(c))}",
                    "A journal must balance in each currency before it is uploaded.",
                )
            )
    return findings


def _line_error(lines: pd.DataFrame, idx: object, code: str, what: str, source: str) -> Finding:
    row = lines.loc[idx]
    return error(
        Location(source, int(row["line"]) if pd.notna(row["line"]) else None),
        code,
        f"journal {row['journal_id']} line {row['line']} has {what}",
        "Each line debits or credits one account with a positive amount.",
    )


def generic_layout(lines: pd.DataFrame) -> pd.DataFrame:
    """The ``journal_lines`` columns in order, sorted by journal and line."""
    if lines.empty:
        return empty_table(JOURNAL_LINES)
    out = lines[JOURNAL_LINES.names].sort_values(["journal_id", "line"], kind="stable")
    return out.reset_index(drop=True)


SAP_COLUMNS = (
    "DOCUMENT",
    "BUKRS",
    "BLDAT",
    "BUDAT",
    "BLART",
    "WAERS",
    "XBLNR",
    "BKTXT",
    "BUZEI",
    "BSCHL",
    "HKONT",
    "WRBTR",
    "SGTXT",
    "ZUONR",
)


def sap_layout(
    lines: pd.DataFrame, *, company_code: str, document_type: str = "SA"
) -> pd.DataFrame:
    """SAP G/L upload rows (all text): posting key 40 for debits, 50 for credits."""
    if lines.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SAP_COLUMNS})
    g = generic_layout(lines)
    is_debit = g["debit"].fillna(0).astype("int64") > 0
    amount = g["debit"].where(is_debit, g["credit"]).astype("Int64")
    day = pd.to_datetime(g["date"]).dt.strftime("%d.%m.%Y")
    out = pd.DataFrame(
        {
            "DOCUMENT": g["journal_id"].astype(str),
            "BUKRS": company_code,
            "BLDAT": day,
            "BUDAT": day,
            "BLART": document_type,
            "WAERS": g["currency"].astype(str),
            "XBLNR": g["journal_id"].astype(str).str[:16],
            "BKTXT": g["text"].astype(str).str[:25],
            "BUZEI": g["line"].astype("Int64").astype(str).str.zfill(3),
            "BSCHL": is_debit.map({True: "40", False: "50"}),
            "HKONT": g["account"].astype(str),
            "WRBTR": minor_to_text(amount, g["currency"]),
            "SGTXT": g["text"].astype(str).str[:50],
            "ZUONR": g["customer_id"]
            .astype(str)
            .where(g["customer_id"].astype(str).ne(""), g["document_id"].astype(str))
            .str[:18],
        }
    )
    return out.astype(object)


def sap_upload_text(
    lines: pd.DataFrame, *, company_code: str, document_type: str = "SA", sep: str = "\t"
) -> str:
    """The SAP layout as text with a header row (what the upload program reads)."""
    frame = sap_layout(lines, company_code=company_code, document_type=document_type)
    rows = [sep.join(SAP_COLUMNS)]
    rows += [sep.join(str(v) for v in r) for r in frame.itertuples(index=False)]
    return "\n".join(rows) + "\n"


__all__ = [
    "SAP_COLUMNS",
    "Line",
    "check_balanced",
    "concat",
    "entry",
    "generic_layout",
    "reverse",
    "sap_layout",
    "sap_upload_text",
    "signed",
]
