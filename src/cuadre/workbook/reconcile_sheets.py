"""The reconciliation sheets of the close workbook: one green sheet per reconciliation.

What
    :func:`reconcile_sheets` runs every reconciliation whose inputs are given
    (:class:`ReconcileInputs`) and returns one :class:`~cuadre.workbook.writer.SheetSpec`
    per reconciliation, in this order:

    ============== ==================================== =================================
    sheet          left                                 right
    ============== ==================================== =================================
    ReconGL        the aging total (subledger after     GL control accounts, explained by
                   this close's cash application)       the GL lines (``gl_lines``)
    ReconBank      bank statement lines                 cash-account postings (``cash_book``)
    ReconCustomer  our open items of the customer       the customer's statement
    ReconSAT       SAT CFDI (``fiscal_docs``)           ERP documents (+ ``REPChecks``)
    ReconDIAN      DIAN documents (``fiscal_docs``)     ERP documents
    Advances       credits (advances, unapplied cash,   open documents of the same customers
                   credit notes)
    ============== ==================================== =================================

    Each sheet holds one Excel table (``recon_gl``, ``recon_bank``, ``recon_customer``,
    ``recon_sat``, ``recon_dian``, ``advances``) with the ``reconciliation_items`` columns:
    one row per matched group, difference, or item found on one side only, with the rule
    that paired it, its cause and a suggested explanation. Above the table, the control
    block: each side's total (the engine's, from the inputs), then as live ``SUMIFS``
    over the table (the engine's value cached): matched, matched with differences and
    only-this-side amounts, the check *total in = matched + differences + only here*
    (amounts and item counts), the reconciling difference broken down by cause and the
    check *difference = reconciling items*. ReconBank adds the reconciliation statement
    (balance per bank +/- items = balance per books), ReconGL the tie-out lines (aging
    total, GL, difference, each explanation, unexplained remainder). The SAT's payment
    complement checks get a sheet of their own, ``REPChecks`` (table ``complement_checks``).

    :func:`reconcile_input_sheets` gives the blue input sheets of the tables these
    reconciliations read beyond the contract's (:data:`INPUT_TABLES`; on request also the
    contract tables ``statements``, ``fiscal_docs`` and ``payment_complements``); empty
    ones for the template.

Why
    The sheets are what the accountant and the auditor sign off: each difference has a
    cause in words, and the figures prove themselves live in Excel.

Inputs
    ``open_items`` are the open items *before* cash application (the ERP's ledger, as the
    close reads it); with ``payments`` and ``allocations`` (the close's result) the
    subledger after the close is rebuilt as the close does (open items less the ``auto``
    allocations, plus unapplied cash as credits), which is what ReconGL, ReconCustomer and
    Advances compare. The SAT and DIAN registries are compared with the ERP's documents
    (``open_items``, the allocations of this run counting as payments for the SAT): the
    fiscal documents are told apart by their folio (a CFDI UUID has 36 characters, a DIAN
    CUFE/CUDE 96 hex digits), and the ERP documents by the company whose documents carry
    that kind of folio (or, with no ``company`` column, by their own folio).

Reference: docs/reconcile.md (the reconciliations), docs/contract.md (the tables).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cuadre.close import CloseResult, aged_items
from cuadre.findings import Finding
from cuadre.model.tables import (
    FISCAL_DOCS,
    PAYMENT_COMPLEMENTS,
    PROVENANCE,
    STATEMENTS,
    Kind,
    TableSchema,
    empty_table,
)
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.advances import reconcile_advances
from cuadre.reconcile.bank import reconcile_bank
from cuadre.reconcile.core import text
from cuadre.reconcile.customer import reconcile_customer
from cuadre.reconcile.dian import reconcile_dian
from cuadre.reconcile.fiscal import FiscalPolicy
from cuadre.reconcile.gl import CAUSES as GL_CAUSES
from cuadre.reconcile.gl import TIE_OUT_ORDER, close_movements, tie_out
from cuadre.reconcile.sat import SatPolicy, reconcile_sat
from cuadre.reconcile.tables import (
    AR_TRANSACTIONS,
    COMPLEMENT_CHECKS,
    CUSTOMER_STATEMENT,
    GL_POSTINGS,
    RECON_ITEMS,
)
from cuadre.workbook.formulas import (
    Criterion,
    Value,
    above,
    below,
    if_zero,
    major,
    other_than,
    sumifs,
)
from cuadre.workbook.writer import ControlRow, SheetSpec, column_ref

__all__ = [
    "INPUT_TABLES",
    "LAYOUTS",
    "RECON_SHEETS",
    "ReconcileInputs",
    "reconcile_all",
    "reconcile_input_sheets",
    "reconcile_sheets",
    "reconciliation_sheets",
]

CASH_BOOK = dataclasses.replace(
    GL_POSTINGS,
    name="cash_book",
    sheet="CashBook",
    description="The books' side of bank to book: the GL postings of the bank (cash) "
    "accounts, debit (money in) positive.",
)
GL_LINES = dataclasses.replace(
    GL_POSTINGS,
    name="gl_lines",
    sheet="GLLines",
    description="GL journal lines posted to the receivables control accounts: they "
    "explain the difference between the aging and the GL.",
)

INPUT_TABLES: dict[str, TableSchema] = {
    "cash_book": CASH_BOOK,
    "gl_lines": GL_LINES,
    "ar_transactions": AR_TRANSACTIONS,
    "customer_statement": CUSTOMER_STATEMENT,
}
"""The reconciliations' input tables that are not contract tables, by ReconcileInputs
field: each schema is the one the reconcile modules define (cash_book and gl_lines are
``gl_postings`` under their own table names, as one workbook holds both)."""

_CONTRACT_INPUTS: dict[str, TableSchema] = {
    "statements": STATEMENTS,
    "fiscal_docs": FISCAL_DOCS,
    "complements": PAYMENT_COMPLEMENTS,
}

RECON_SHEETS = (
    "ReconGL",
    "ReconBank",
    "ReconCustomer",
    "ReconSAT",
    "REPChecks",
    "ReconDIAN",
    "Advances",
)
"""The sheets :func:`reconcile_sheets` can give, in order."""

_SUBTITLES = {
    "cash_book": "GL postings of the bank accounts (the books' side of bank to book).",
    "gl_lines": "Journal lines posted to the receivables control accounts, for the GL tie-out.",
    "ar_transactions": "Subledger movements of the period (invoices, receipts, credit notes).",
    "customer_statement": "The customer's statement of our documents, with their amounts.",
    "statements": "Bank statements: opening and closing balances per account.",
    "fiscal_docs": "E-invoices as the SAT (CFDI, Metadata) or the DIAN have them.",
    "complements": "CFDI payment complements (REP): one row per paid document.",
}


@dataclass(frozen=True)
class ReconcileInputs:
    """Everything the reconciliations read; the optional ones are ``None`` when absent.

    ``open_items``: before cash application (the close's input); ``payments`` and
    ``allocations``: the close's (both or neither). ``company_tax_ids``: the company's
    RFC / NIT, so that received e-invoices are left out of the SAT / DIAN
    reconciliations. ``period_start``: first day of the period (default: the first day
    of ``as_of``'s month). ``statement_customer``: whose statement ``customer_statement``
    is (default: the one customer_id it names).
    """

    as_of: dt.date
    open_items: pd.DataFrame
    payments: pd.DataFrame | None = None
    allocations: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    trial_balance: pd.DataFrame | None = None
    bank_lines: pd.DataFrame | None = None
    statements: pd.DataFrame | None = None
    cash_book: pd.DataFrame | None = None
    gl_lines: pd.DataFrame | None = None
    ar_transactions: pd.DataFrame | None = None
    customer_statement: pd.DataFrame | None = None
    fiscal_docs: pd.DataFrame | None = None
    complements: pd.DataFrame | None = None
    company_tax_ids: tuple[str, ...] = ()
    period_start: dt.date | None = None
    statement_customer: str | None = None

    @classmethod
    def from_close(
        cls,
        as_of: dt.date,
        open_items: pd.DataFrame,
        result: CloseResult,
        tables: Mapping[str, pd.DataFrame | None] | None = None,
        **options: object,
    ) -> ReconcileInputs:
        """The inputs of a close run plus further ``tables`` keyed by field name (the
        keys of :func:`cuadre.demo.reconcile_data.demo_reconcile_tables`)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        given = {k: v for k, v in (tables or {}).items() if k in fields}
        return cls(
            as_of=as_of,
            open_items=open_items,
            **{"payments": result.payments, "allocations": result.allocations, **given},
            **options,  # type: ignore[arg-type]
        )

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return (self.period_start or self.as_of.replace(day=1), self.as_of)

    def subledger(self) -> pd.DataFrame:
        """The open items after this close's cash application, unapplied cash as credits
        (what the close ages)."""
        if self.payments is None or self.allocations is None:
            return self.open_items
        return aged_items(self.open_items, self.payments, self.allocations)


# --------------------------------------------------------------------------- formulas


def _check(expression: str, ok: bool, label: str) -> ControlRow:
    """A check row: ``expression`` must round to zero."""
    return ControlRow(label, "OK" if ok else "DIFFERENCE", formula=if_zero(expression), check=True)


class _Table:
    """Live sums over one sheet table, with the same sums computed in numpy."""

    def __init__(self, name: str, items: pd.DataFrame) -> None:
        self.name = name
        self.items = items
        self._text: dict[str, np.ndarray] = {}
        self._units: dict[str, np.ndarray] = {}
        self._masks: dict[tuple[str, str], np.ndarray] = {}

    def _text_of(self, column: str) -> np.ndarray:
        if column not in self._text:
            values = self.items[column].astype(object).fillna("").astype(str)
            self._text[column] = values.to_numpy(dtype=object)
        return self._text[column]

    def _units_of(self, column: str) -> np.ndarray:
        if column not in self._units:
            self._units[column] = self.items[column].fillna(0).astype("int64").to_numpy()
        return self._units[column]

    def _mask(self, column: str, crit: Value) -> np.ndarray:
        """Where ``crit`` holds, as SUMIFS reads it (text compared exactly)."""
        key = (column, repr(crit))
        if key not in self._masks:
            if isinstance(crit, str):
                mask = self._text_of(column) == crit
            elif isinstance(crit, Criterion) and crit.op == "<>":
                mask = self._text_of(column) != crit.value
            elif isinstance(crit, Criterion) and crit.op in (">", "<"):
                limit = crit.value
                assert isinstance(limit, int) and limit == 0, "minor units compare to 0 only"
                units = self._units_of(column)
                mask = units > limit if crit.op == ">" else units < limit
            else:
                raise ValueError(f"no such criterion here: {crit!r}")
            self._masks[key] = np.asarray(mask, dtype=bool)
        return self._masks[key]

    def sum(self, column: str, *criteria: tuple[str, Value]) -> tuple[str, int]:
        """(SUMIFS formula, value) of ``column`` where every criterion holds (a text
        matches exactly; :func:`~cuadre.workbook.formulas.other_than`,
        :func:`~cuadre.workbook.formulas.above` and ``below`` 0 compare)."""
        mask = np.ones(len(self.items), dtype=bool)
        for col, crit in criteria:
            mask &= self._mask(col, crit)
        value = int(self._units_of(column)[mask].sum())
        return sumifs(self.name, column, *criteria), value


# --------------------------------------------------------------------------- controls

Builder = Callable[[str], tuple[str, int]]
"""A statement line's live formula and value, for a currency."""


def _side_controls(rec: Reconciliation, t: _Table) -> list[ControlRow]:
    """Per currency and side: total in, matched, with differences, only this side, and
    the check in = out (amounts and items); then the breakdown and its check."""
    rows: list[ControlRow] = []
    for tot in rec.totals.itertuples(index=False):
        cur = str(tot.currency)
        for side, name, total, count in (
            ("left", rec.left_name, int(tot.left_total), int(tot.left_items)),
            ("right", rec.right_name, int(tot.right_total), int(tot.right_items)),
        ):
            rows.append(ControlRow(f"{name}: total ({int(count):,} items)", total, currency=cur))
            amounts, counts, value = [], [], 0
            n_out = 0
            for section, label in (
                ("matched", "matched"),
                ("difference", "matched with differences"),
                (f"{side}_only", f"only in {name}"),
            ):
                where = (("currency", cur), ("section", section))
                f, v = t.sum(f"{side}_amount", *where)
                fc, vc = t.sum(f"{side}_count", *where)
                rows.append(ControlRow(f"  {label}", v, formula=f"={f}", currency=cur))
                amounts.append(f)
                counts.append(fc)
                value += v
                n_out += vc
            in_lit = major(total, cur)
            ok = value == total and n_out == count
            rows.append(
                ControlRow(
                    f"{name}: total = matched + differences + only here, amounts and items ({cur})",
                    "OK" if ok else "DIFFERENCE",
                    formula=f"=IF(AND(ROUND({in_lit}-({'+'.join(amounts)}),3)=0,"
                    f'{count}-({"+".join(counts)})=0),"OK","DIFFERENCE")',
                    check=True,
                )
            )
        diff = int(tot.left_total) - int(tot.right_total)
        rows.append(
            ControlRow(f"Difference ({rec.left_name} - {rec.right_name})", diff, currency=cur)
        )
        b = rec.breakdown[rec.breakdown["currency"].eq(cur)]
        parts: list[str] = []
        explained = 0
        for cause, label in zip(b["cause"], b["label"], strict=True):
            if cause == "unclassified":
                crit: tuple[tuple[str, Value], ...] = (("currency", cur), ("cause", ""))
            else:
                crit = (("currency", cur), ("cause", str(cause)))
            crit += (("section", other_than("matched")),)
            fl, vl = t.sum("left_amount", *crit)
            fr, vr = t.sum("right_amount", *crit)
            rows.append(ControlRow(f"  {label}", vl - vr, formula=f"={fl}-{fr}", currency=cur))
            parts.append(f"({fl}-{fr})")
            explained += vl - vr
        rest = "+".join(parts) or "0"
        rows.append(
            _check(
                f"{major(int(tot.left_total), cur)}-{major(int(tot.right_total), cur)}-({rest})",
                diff == explained,
                f"Difference = reconciling items ({cur})",
            )
        )
    return rows


def _statement_rows(rec: Reconciliation, builders: Mapping[int, Builder]) -> list[ControlRow]:
    """The statement's lines: a live formula where ``builders`` has one for the line
    number, else the engine's figure; ``check`` lines become checks."""
    rows: list[ControlRow] = []
    if rec.statement is None:
        return rows
    for line in rec.statement.itertuples(index=False):
        cur = str(line.currency)
        amount = None if pd.isna(line.amount) else int(line.amount)
        build = builders.get(int(line.line))
        if build is not None and amount is not None:
            formula, value = build(cur)
            if line.kind == "check":
                rows.append(ControlRow(str(line.label), value, formula=f"={formula}", currency=cur))
                rows.append(_check(formula, value == 0, f"{line.label} = 0 ({cur})"))
            else:
                rows.append(ControlRow(str(line.label), value, formula=f"={formula}", currency=cur))
        elif amount is None:
            rows.append(ControlRow(str(line.label), "not given"))
        else:
            rows.append(ControlRow(str(line.label), amount, currency=cur))
    return rows


def _statement_value(rec: Reconciliation, cur: str, line: int) -> int | None:
    assert rec.statement is not None
    s = rec.statement
    hit = s[s["currency"].eq(cur) & s["line"].eq(line)]["amount"]
    return None if hit.empty or pd.isna(hit.iloc[0]) else int(hit.iloc[0])


def _bank_statement(rec: Reconciliation, t: _Table) -> list[ControlRow]:
    """Balance per bank +/- items = balance per books (bank.statement_table's lines)."""

    def part(col: str, section: str, sign: Criterion) -> Builder:
        return lambda cur: t.sum(col, ("currency", cur), ("section", section), (col, sign))

    def diffs(cur: str) -> tuple[str, int]:
        return t.sum("difference", ("currency", cur), ("section", "difference"))

    def adjusted(balance_line: int, *terms: Builder) -> Builder:
        def build(cur: str) -> tuple[str, int]:
            base = _statement_value(rec, cur, balance_line) or 0
            pieces = [term(cur) for term in terms]
            formula = "+".join([major(base, cur), *(p[0] for p in pieces)])
            return formula, base + sum(p[1] for p in pieces)

        return build

    deposits = part("right_amount", "right_only", above(0))
    outstanding = part("right_amount", "right_only", below(0))
    received = part("left_amount", "left_only", above(0))
    charges = part("left_amount", "left_only", below(0))
    adj_bank = adjusted(1, deposits, outstanding)
    adj_book = adjusted(5, received, charges, diffs)

    def unexplained(cur: str) -> tuple[str, int]:
        fb, vb = adj_bank(cur)
        fk, vk = adj_book(cur)
        return f"({fb})-({fk})", vb - vk

    return _statement_rows(
        rec,
        {
            2: deposits,
            3: outstanding,
            4: adj_bank,
            6: received,
            7: charges,
            8: diffs,
            9: adj_book,
            10: unexplained,
        },
    )


def _gl_statement(rec: Reconciliation, t: _Table) -> list[ControlRow]:
    """Aging total, GL, difference, one line per cause, unexplained remainder
    (gl.tie_out_statement's lines)."""

    def by_cause(cause: str) -> Builder:
        def build(cur: str) -> tuple[str, int]:
            fl, vl = t.sum("left_amount", ("currency", cur), ("cause", cause))
            fr, vr = t.sum("right_amount", ("currency", cur), ("cause", cause))
            return f"{fl}-{fr}", vl - vr

        return build

    causes = [by_cause(c) for c in TIE_OUT_ORDER]

    def explained(cur: str) -> tuple[str, int]:
        pieces = [c(cur) for c in causes]
        return "+".join(f"({p[0]})" for p in pieces), sum(p[1] for p in pieces)

    def remainder(cur: str) -> tuple[str, int]:
        s = _statement_value(rec, cur, 1) or 0
        g = _statement_value(rec, cur, 2) or 0
        fe, ve = explained(cur)
        return f"{major(s, cur)}-{major(g, cur)}-({fe})", s - g - ve

    builders: dict[int, Builder] = {4 + i: c for i, c in enumerate(causes)}
    builders[4 + len(causes)] = explained
    builders[5 + len(causes)] = remainder
    return _statement_rows(rec, builders)


# --------------------------------------------------------------------------- sheets


def _items_sheet(
    rec: Reconciliation,
    sheet: str,
    table: str,
    title: str,
    subtitle: str,
    statement: Callable[[Reconciliation, _Table], list[ControlRow]] | None = None,
    notes: tuple[str, ...] = (),
) -> SheetSpec:
    items = rec.items()[RECON_ITEMS.names]
    t = _Table(table, items)
    controls = (statement(rec, t) if statement else []) + _side_controls(rec, t)
    return SheetSpec(
        sheet,
        table,
        items,
        dataclasses.replace(RECON_ITEMS, name=table, sheet=sheet),
        title=title,
        subtitle=subtitle,
        totals=("left_amount", "right_amount", "difference"),
        controls=tuple(controls),
        notes=(
            *notes,
            "section: matched, difference (paired, disagreeing), left_only, right_only "
            f"(left = {rec.left_name}, right = {rec.right_name}); filter the currency "
            "column to read the totals per currency.",
        ),
    )


_CFDI = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_DIAN = re.compile(r"^[0-9A-Fa-f]{96}$")


def _registry(uuids: pd.Series) -> pd.Series:
    """``sat``, ``dian`` or ``""`` per folio, by its shape."""
    u = uuids.astype(str).str.strip()
    out = pd.Series("", index=uuids.index, dtype=object)
    out[u.str.match(_CFDI)] = "sat"
    out[u.str.match(_DIAN)] = "dian"
    return out


def _erp_for(open_items: pd.DataFrame, registry: str) -> pd.DataFrame:
    """The ERP documents of the companies whose documents carry ``registry`` folios
    (with no company column: the rows with such a folio or none)."""
    kind = _registry(text(open_items, "fiscal_uuid"))
    company = text(open_items, "company")
    if company.eq("").all():
        return open_items[kind.isin([registry, ""])]
    companies = set(company[kind.eq(registry)])
    return open_items[company.isin(companies)]


def _gl_sheet(inputs: ReconcileInputs, subledger: pd.DataFrame) -> Reconciliation:
    assert inputs.trial_balance is not None
    pending = (
        close_movements(inputs.payments, inputs.allocations)
        if inputs.payments is not None and inputs.allocations is not None
        else None
    )
    known = set(text(inputs.open_items, "document_id"))
    if inputs.ar_transactions is not None:
        known |= set(text(inputs.ar_transactions, "document_id"))
    return tie_out(
        subledger,
        inputs.trial_balance,
        as_of=inputs.as_of,
        gl_lines=inputs.gl_lines,
        pending=pending,
        known=known,
    )


def _book_balance(inputs: ReconcileInputs) -> dict[str, int]:
    """The cash account at the cut-off: the statements' opening balance (the books
    agreed with the bank then) + the book postings up to the cut-off."""
    if inputs.statements is None or inputs.cash_book is None or inputs.statements.empty:
        return {}
    s = inputs.statements[inputs.statements["opening_balance"].notna()]
    s = s.sort_values(["currency", "account", "opening_date", "statement_id"], kind="stable")
    first = s.groupby(["currency", "account"], sort=True).head(1)
    opening = first["opening_balance"].astype("int64").groupby(first["currency"]).sum()
    book = inputs.cash_book
    upto = book[pd.to_datetime(book["posting_date"]).le(pd.Timestamp(inputs.as_of))]
    moved = upto["amount"].fillna(0).astype("int64").groupby(text(upto, "currency")).sum()
    return {str(c): int(opening.get(c, 0)) + int(moved.get(c, 0)) for c in opening.index}


def _statement_customer(inputs: ReconcileInputs) -> str | None:
    if inputs.statement_customer:
        return inputs.statement_customer
    assert inputs.customer_statement is not None
    named = sorted(set(text(inputs.customer_statement, "customer_id")) - {""})
    return named[0] if len(named) == 1 else None


def _rep_sheet(checks: pd.DataFrame) -> SheetSpec:
    counts = checks["check"].value_counts() if len(checks) else pd.Series(dtype="int64")
    ref = column_ref("complement_checks", "check")
    controls = [
        ControlRow(f"{code}", int(counts.get(code, 0)), formula=f'=COUNTIF({ref},"{code}")')
        for code in sorted(set(counts.index) | {"PPD_WITHOUT_REP", "REP_REJECTED"})
    ]
    return SheetSpec(
        "REPChecks",
        "complement_checks",
        checks,
        COMPLEMENT_CHECKS,
        title="Payment complements (REP) against the invoices and the collections",
        subtitle="PPD invoices paid without a complement, complements that cannot be "
        "applied (REP_REJECTED, with the reason), broken chains, duplicates, late ones.",
        controls=(ControlRow("Problems found", len(checks)), *controls),
        notes=(
            "deadline: day 5 of the month after the payment (RMF 2.7.1.35). A rejected "
            "complement does not count as paid.",
        ),
    )


@dataclass(frozen=True)
class _Layout:
    sheet: str
    table: str
    title: str
    subtitle: str
    statement: Callable[[Reconciliation, _Table], list[ControlRow]] | None = None
    notes: tuple[str, ...] = ()


_GL_SUBTITLE = (
    "The aging total against the receivables control accounts; the lines below explain "
    "the difference (timing, GL-only postings, manual journals, FX revaluation). The "
    "unexplained remainder must be zero."
)

LAYOUTS: dict[str, _Layout] = {
    "gl_tie_out": _Layout(
        "ReconGL",
        "recon_gl",
        "AR subledger (aging) vs GL control accounts",
        _GL_SUBTITLE,
        _gl_statement,
        tuple(f"{c}: {GL_CAUSES[c]}" for c in TIE_OUT_ORDER),
    ),
    "gl": _Layout(
        "ReconGL",
        "recon_gl",
        "AR subledger vs GL control accounts",
        "The open items against the receivables control accounts, the period's subledger "
        "movements against the GL postings, differences by cause.",
    ),
    "bank": _Layout(
        "ReconBank",
        "recon_bank",
        "Bank to book: bank statement vs cash account",
        "Balance per bank +/- items in transit = balance per books +/- items the books "
        "lack. Record the bank-only items; follow up what is in transit.",
        _bank_statement,
        (
            "Book balance: the statements' opening balance plus the cash-book postings up to "
            "the cut-off, unless given.",
        ),
    ),
    "customer": _Layout(
        "ReconCustomer",
        "recon_customer",
        "Customer statement: our ledger vs the customer's",
        "Our open items against the customer's statement: matched, in ours only (send the "
        "copies), in theirs only, and amount differences by cause.",
    ),
    "sat": _Layout(
        "ReconSAT",
        "recon_sat",
        "SAT registry (CFDI) vs ERP",
        "CFDI the SAT has against the ERP's documents: missing on either side, amount / RFC "
        "/ type differences, cancelled in the SAT but open in the ERP, credit notes not "
        "related to their invoice. Payment complements: see REPChecks.",
    ),
    "dian": _Layout(
        "ReconDIAN",
        "recon_dian",
        "DIAN e-invoices vs ERP",
        "Invoices (CUFE) and credit notes (CUDE) the DIAN has against the ERP's documents, "
        "rejected documents still open, credit notes without their invoice.",
    ),
    "advances": _Layout(
        "Advances",
        "advances",
        "Advances and credit balances (anticipos y saldos a favor)",
        "Each credit (advance, unapplied cash, credit note) with a suggested application to "
        "open documents of the same customer: suggestions only, nothing is applied.",
        notes=("Reimbursements (pagos a terceros) are applied only among themselves.",),
    ),
}
"""How each kind of :class:`~cuadre.reconcile.Reconciliation` is laid out as a sheet."""


def reconciliation_sheets(
    rec: Reconciliation, *, title: str | None = None, notes: tuple[str, ...] = ()
) -> list[SheetSpec]:
    """The sheet of one reconciliation (by its ``kind``), and for the SAT the REPChecks
    sheet: what ``cuadre reconcile ...`` can write as a workbook."""
    layout = LAYOUTS[rec.kind]
    if rec.kind == "customer" and "send_copies" in rec.extra:
        notes = (*notes, f"Invoice copies to send: {len(rec.extra['send_copies']):,}.")
    out = [
        _items_sheet(
            rec,
            layout.sheet,
            layout.table,
            title or layout.title,
            layout.subtitle,
            layout.statement,
            notes=(*layout.notes, *notes),
        )
    ]
    if rec.kind == "sat" and "complement_checks" in rec.extra:
        out.append(_rep_sheet(rec.extra["complement_checks"]))
    return out


def reconcile_all(inputs: ReconcileInputs) -> list[Reconciliation]:
    """Every reconciliation whose inputs are given, in the sheets' order."""
    out: list[Reconciliation] = []
    subledger = inputs.subledger()
    if inputs.trial_balance is not None:
        out.append(_gl_sheet(inputs, subledger))
    if inputs.bank_lines is not None and inputs.cash_book is not None:
        out.append(
            reconcile_bank(
                inputs.bank_lines,
                inputs.cash_book,
                statements=inputs.statements,
                book_balance=_book_balance(inputs) or None,
                as_of=inputs.as_of,
            )
        )
    if inputs.customer_statement is not None:
        out.append(
            reconcile_customer(
                subledger,
                inputs.customer_statement,
                customer_id=_statement_customer(inputs),
                as_of=inputs.as_of,
            )
        )
    if inputs.fiscal_docs is not None:
        kinds = _registry(text(inputs.fiscal_docs, "uuid"))
        tax_ids = list(inputs.company_tax_ids)
        if kinds.eq("sat").any():
            out.append(
                reconcile_sat(
                    inputs.fiscal_docs[kinds.ne("dian")],
                    _erp_for(inputs.open_items, "sat"),
                    payment_complements=inputs.complements,
                    allocations=inputs.allocations,
                    payments=inputs.payments,
                    policy=SatPolicy(company_tax_ids=tax_ids, period=inputs.period),
                )
            )
        if kinds.eq("dian").any():
            out.append(
                reconcile_dian(
                    inputs.fiscal_docs[kinds.eq("dian")],
                    _erp_for(inputs.open_items, "dian"),
                    policy=FiscalPolicy(company_tax_ids=tax_ids, period=inputs.period),
                )
            )
    out.append(reconcile_advances(subledger, inputs.as_of, customers=inputs.customers))
    return out


def reconcile_sheets(inputs: ReconcileInputs) -> tuple[list[SheetSpec], list[Finding]]:
    """One green sheet per reconciliation whose inputs are given (see the module doc),
    and every reconciliation's findings. Pure: nothing is read or written."""
    sheets: list[SheetSpec] = []
    findings: list[Finding] = []
    for rec in reconcile_all(inputs):
        title = None
        if rec.kind == "customer":
            who = _statement_customer(inputs)
            title = f"Customer statement: our ledger vs {who}'s" if who else None
        sheets += reconciliation_sheets(rec, title=title)
        findings += rec.findings
    return sheets, findings


def reconcile_input_sheets(
    tables: Mapping[str, pd.DataFrame | None] | None = None,
    *,
    contract: bool = False,
    skip: Collection[str] = (),
) -> list[SheetSpec]:
    """The blue input sheets of the reconciliations' own tables (:data:`INPUT_TABLES`:
    CashBook, GLLines, ARTransactions, CustomerStatement); with ``contract`` also the
    contract tables they read that the close does not (Statements, FiscalDocs,
    PaymentComplements: the template has them already).

    ``tables`` keyed by :class:`ReconcileInputs` field (``complements`` for the payment
    complements); ``None`` gives every sheet empty (the template); otherwise only the
    tables given. ``skip``: sheet names already in the workbook."""
    specs = {**_CONTRACT_INPUTS, **INPUT_TABLES}
    order = (
        "statements",
        "cash_book",
        "gl_lines",
        "ar_transactions",
        "customer_statement",
        "fiscal_docs",
        "complements",
    )
    out: list[SheetSpec] = []
    for key in order:
        schema = specs[key]
        if schema.sheet in skip or (key in _CONTRACT_INPUTS and not contract):
            continue
        if tables is None:
            frame = empty_table(schema)
        elif tables.get(key) is None:
            continue
        else:
            given = tables[key]
            assert given is not None
            frame = given.drop(columns=[c for c in PROVENANCE if c in given])
        money = tuple(c for c in schema.of_kind(Kind.MONEY) if c in ("amount", "total"))
        first = column_ref(schema.name, schema.columns[0].name)
        out.append(
            SheetSpec(
                schema.sheet,
                schema.name,
                frame,
                schema,
                title=schema.sheet,
                subtitle=_SUBTITLES[key] + " Input.",
                kind="input",
                totals=money if tables is not None else (),
                controls=(ControlRow("Rows", len(frame), formula=f"=COUNTA({first})"),),
                notes=("Paste below the header row: the table grows with the data.",),
            )
        )
    return out
