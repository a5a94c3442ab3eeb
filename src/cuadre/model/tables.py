"""The interchange contract: the tables that flow between Cuadre's steps.

Each table is a ``TableSchema``: ordered columns with a kind, a required flag and, for
enumerations, the allowed values. Inside the engine a table is a pandas DataFrame with:

- ``text`` columns as Python strings (``""`` when empty): ids keep their leading zeros;
- ``date`` columns as ``datetime64`` (midnight, no time zone), ``NaT`` when empty;
- ``money`` columns as ``Int64`` integer minor units of the row's ``currency``
  (see :mod:`cuadre.money`), ``<NA>`` when empty;
- ``int`` columns as ``Int64``; ``ratio`` columns as ``float64`` (confidence only).

Provenance travels with every row read from a file in ``source_path`` (the file read,
as given), ``source_sheet`` (empty for CSV) and ``source_row`` (the 1-based row a
spreadsheet shows for it). (``source_file`` in bank_lines and statements is another
thing: the bank statement file a line was imported from.) Extra
columns from the input are carried through untouched as text.

See ``docs/contract.md`` for the tables in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    INT = "int"
    RATIO = "ratio"
    CURRENCY = "currency"
    ENUM = "enum"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    meaning: str = ""
    allowed: tuple[str, ...] = ()
    currency_column: str = "currency"


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    sheet: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    sort_by: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def of_kind(self, kind: Kind) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]


PROVENANCE = ("source_path", "source_sheet", "source_row")

DOCUMENT_TYPES = ("invoice", "credit_note", "debit_note", "payment", "advance", "adjustment")
ALLOCATION_STATUSES = ("auto", "suggested", "on_account", "unmatched")

C = Column
K = Kind

OPEN_ITEMS = TableSchema(
    name="open_items",
    sheet="OpenItems",
    description="What customers owe: one row per open document or installment.",
    key=("company", "document_id", "due_date"),
    sort_by=("customer_id", "due_date", "document_id"),
    columns=(
        C("customer_id", K.TEXT, True, "customer account number in the ERP"),
        C("customer_name", K.TEXT, False, "name as in the ERP"),
        C("document_id", K.TEXT, True, "invoice / credit note / payment number, unique per company"),
        C("document_type", K.ENUM, True, "kind of document", DOCUMENT_TYPES),
        C("document_date", K.DATE, True, "issue or posting date"),
        C("due_date", K.DATE, False, "net due date (required for invoices)"),
        C("currency", K.CURRENCY, True, "document currency (ISO 4217)"),
        C("amount_open", K.MONEY, True, "open amount in document currency, signed"),
        C("amount_original", K.MONEY, False, "original document amount, signed"),
        C("reference", K.TEXT, False, "customer PO, order or other reference"),
        C("tax_id", K.TEXT, False, "customer's tax id (RFC, NIT, VAT, EIN)"),
        C("fiscal_uuid", K.TEXT, False, "CFDI UUID, DIAN CUFE/CUDE"),
        C("company", K.TEXT, False, "company code"),
    ),
)

PAYMENTS = TableSchema(
    name="payments",
    sheet="Payments",
    description="Money received, to be applied: one row per bank line or receipt.",
    key=("payment_id",),
    sort_by=("value_date", "payment_id"),
    columns=(
        C("payment_id", K.TEXT, True, "unique id of the receipt"),
        C("value_date", K.DATE, True, "date the money arrived"),
        C("amount", K.MONEY, True, "amount received, positive"),
        C("currency", K.CURRENCY, True, "ISO 4217"),
        C("payer_name", K.TEXT, False, "ordering party as the bank reports it"),
        C("payer_account", K.TEXT, False, "ordering account: IBAN, CLABE, account number"),
        C("payer_tax_id", K.TEXT, False, "payer's tax id"),
        C("remittance", K.TEXT, False, "free text the payer sent"),
        C("bank_reference", K.TEXT, False, "bank's own reference"),
    ),
)

CUSTOMERS = TableSchema(
    name="customers",
    sheet="Customers",
    description="Customer master data (optional).",
    key=("customer_id",),
    sort_by=("customer_id",),
    columns=(
        C("customer_id", K.TEXT, True),
        C("customer_name", K.TEXT, True),
        C("tax_id", K.TEXT),
        C("bank_accounts", K.TEXT, False, "known payer accounts, ';'-separated"),
        C("aliases", K.TEXT, False, "other names the customer pays under, ';'-separated"),
        C("credit_limit", K.MONEY, False, "in the customer's currency"),
        C("payment_terms_days", K.INT),
        C("currency", K.CURRENCY),
        C("email", K.TEXT),
    ),
)

ALLOCATIONS = TableSchema(
    name="allocations",
    sheet="Matches",
    description="The result of payment matching: one row per payment-to-document application.",
    sort_by=("payment_id",),
    columns=(
        C("payment_id", K.TEXT, True),
        C("document_id", K.TEXT, False, "empty when nothing is applied"),
        C("customer_id", K.TEXT, False, "empty when unidentified"),
        C("currency", K.CURRENCY, True, "the payment's currency"),
        C("amount_applied", K.MONEY, True, "in the payment's currency"),
        C("status", K.ENUM, True, "auto, suggested, on_account, unmatched", ALLOCATION_STATUSES),
        C("confidence", K.RATIO, True, "0 to 1"),
        C("reason", K.TEXT, False, "why, in words a reviewer understands"),
        C("difference", K.MONEY, False, "part of the payment not explained by documents"),
        C("difference_reason", K.TEXT, False, "bank fee, early payment discount, ..."),
    ),
)

BANK_LINES = TableSchema(
    name="bank_lines",
    sheet="Bank",
    description="Every line of a bank statement.",
    key=("line_id",),
    sort_by=("booking_date", "line_id"),
    columns=(
        C("line_id", K.TEXT, True, "unique and stable across re-imports"),
        C("statement_id", K.TEXT, False),
        C("account", K.TEXT, False, "account holder's IBAN or account number"),
        C("currency", K.CURRENCY, True),
        C("booking_date", K.DATE, True),
        C("value_date", K.DATE, False),
        C("amount", K.MONEY, True, "signed: + money in, - money out"),
        C("counterparty_name", K.TEXT),
        C("counterparty_account", K.TEXT),
        C("remittance", K.TEXT),
        C("bank_reference", K.TEXT),
        C("end_to_end_id", K.TEXT),
        C("type_code", K.TEXT),
        C("source_file", K.TEXT),
    ),
)

STATEMENTS = TableSchema(
    name="statements",
    sheet="Statements",
    description="One row per bank statement in a file.",
    key=("statement_id",),
    sort_by=("statement_id",),
    columns=(
        C("statement_id", K.TEXT, True),
        C("account", K.TEXT),
        C("currency", K.CURRENCY, True),
        C("opening_date", K.DATE),
        C("opening_balance", K.MONEY),
        C("closing_date", K.DATE),
        C("closing_balance", K.MONEY),
        C("line_count", K.INT),
        C("source_file", K.TEXT),
    ),
)

TRIAL_BALANCE = TableSchema(
    name="trial_balance",
    sheet="GL",
    description="General-ledger balances at period end (for the AR control tie-out).",
    key=("account",),
    sort_by=("account",),
    columns=(
        C("account", K.TEXT, True, "GL account number"),
        C("account_name", K.TEXT),
        C("currency", K.CURRENCY, True),
        C("balance", K.MONEY, True, "debit positive, credit negative"),
        C("is_ar_control", K.TEXT, False, "'yes' for receivables control accounts"),
    ),
)

UNAPPLIED = TableSchema(
    name="unapplied",
    sheet="Unapplied",
    description="Money received and not applied to a document: on account, unmatched, or pending review.",
    sort_by=("status", "value_date", "payment_id"),
    columns=(
        C("payment_id", K.TEXT, True),
        C("value_date", K.DATE, True),
        C("customer_id", K.TEXT),
        C("payer_name", K.TEXT),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "the payment's full amount"),
        C("amount_unapplied", K.MONEY, True, "part not applied automatically"),
        C("status", K.ENUM, True, "suggested, on_account or unmatched", ALLOCATION_STATUSES),
        C("reason", K.TEXT),
        C("remittance", K.TEXT),
    ),
)

ISSUES = TableSchema(
    name="issues",
    sheet="Issues",
    description="Findings of the run: errors, warnings and notes, each located.",
    columns=(
        C("severity", K.TEXT, True),
        C("code", K.TEXT, True),
        C("location", K.TEXT),
        C("cell", K.TEXT),
        C("message", K.TEXT, True),
        C("hint", K.TEXT),
    ),
)

EVIDENCE = TableSchema(
    name="evidence",
    sheet="Evidence",
    description="What went into the run: each input with its SHA-256, rows and control total.",
    columns=(
        C("input", K.TEXT, True, "table name"),
        C("file", K.TEXT, True),
        C("sha256", K.TEXT, True),
        C("rows", K.INT, True),
        C("currency", K.CURRENCY),
        C("control_total", K.MONEY, False, "sum of the table's main amount column"),
    ),
)

SETTINGS = TableSchema(
    name="settings",
    sheet="Settings",
    description="Parameters of the run, one per row.",
    columns=(
        C("setting", K.TEXT, True),
        C("value", K.TEXT, True),
        C("meaning", K.TEXT),
    ),
)

FISCAL_DOCS = TableSchema(
    name="fiscal_docs",
    sheet="FiscalDocs",
    description="E-invoices as the tax authority has them (SAT CFDI, DIAN UBL): one row per document.",
    key=("uuid",),
    sort_by=("issue_date", "uuid"),
    columns=(
        C("uuid", K.TEXT, True, "CFDI UUID (TimbreFiscalDigital) or DIAN CUFE/CUDE"),
        C("kind", K.TEXT, True, "invoice, credit_note, debit_note, payment, other"),
        C("series", K.TEXT),
        C("folio", K.TEXT, False, "Folio as written, without the series"),
        C("document_number", K.TEXT, False, "the number as printed: Serie-Folio, DIAN cbc:ID"),
        C("issuer_tax_id", K.TEXT, True, "RFC / NIT of the issuer"),
        C("issuer_name", K.TEXT),
        C("receiver_tax_id", K.TEXT, True, "RFC / NIT of the customer"),
        C("receiver_name", K.TEXT),
        C("issue_date", K.DATE, True),
        C("due_date", K.DATE, False, "DIAN PaymentDueDate; empty for CFDI"),
        C("currency", K.CURRENCY, True),
        C("exchange_rate", K.TEXT, False, "TipoCambio as written (decimal text)"),
        C("subtotal", K.MONEY, False, "before taxes and discounts"),
        C("discount", K.MONEY),
        C("taxes_transferred", K.MONEY, False, "IVA, IEPS... added"),
        C("taxes_withheld", K.MONEY, False, "retenciones"),
        C("charges", K.MONEY, False, "DIAN ChargeTotalAmount"),
        C("prepaid", K.MONEY, False, "DIAN PrepaidAmount"),
        C("total", K.MONEY, True),
        C("payment_method", K.TEXT, False, "PUE or PPD (CFDI MetodoPago)"),
        C("payment_form", K.TEXT, False, "CFDI FormaPago / DIAN PaymentMeans"),
        C("status", K.TEXT, False, "valid, cancelled (SAT Metadata), rejected (DIAN), or empty"),
        C("cancellation_date", K.DATE, False, "SAT Metadata FechaCancelacion"),
        C("related_uuids", K.TEXT, False, "';'-separated, with the relation type: 01:UUID"),
        C("source_file", K.TEXT),
    ),
)

PAYMENT_COMPLEMENTS = TableSchema(
    name="payment_complements",
    sheet="PaymentComplements",
    description="CFDI Pagos 2.0: one row per paid document (DoctoRelacionado) of each payment.",
    key=("complement_uuid", "payment_index", "related_index"),
    sort_by=("payment_date", "complement_uuid", "payment_index"),
    columns=(
        C("complement_uuid", K.TEXT, True, "UUID of the Pago CFDI"),
        C("payment_index", K.INT, True, "1-based position of the pago:Pago node"),
        C("payment_date", K.DATE, True, "FechaPago"),
        C("payment_form", K.TEXT, False, "FormaDePagoP"),
        C("payment_currency", K.CURRENCY, True, "MonedaP"),
        C("payment_amount", K.MONEY, True, "Monto", currency_column="payment_currency"),
        C("related_index", K.INT, True, "1-based DoctoRelacionado in its pago"),
        C("related_uuid", K.TEXT, True, "IdDocumento: the invoice paid"),
        C("related_series", K.TEXT),
        C("related_folio", K.TEXT),
        C("currency", K.CURRENCY, True, "MonedaDR: the invoice's currency"),
        C("equivalence", K.TEXT, False, "EquivalenciaDR as written"),
        C("installment", K.INT, False, "NumParcialidad (optional in Pagos 1.0)"),
        C("balance_before", K.MONEY, True, "ImpSaldoAnt"),
        C("amount_paid", K.MONEY, True, "ImpPagado"),
        C("balance_after", K.MONEY, True, "ImpSaldoInsoluto"),
        C("issuer_tax_id", K.TEXT),
        C("receiver_tax_id", K.TEXT),
        C("source_file", K.TEXT),
    ),
)

JOURNAL_LINES = TableSchema(
    name="journal_lines",
    sheet="Journal",
    description="Balanced journal lines: cash postings, accruals, reversals, provisions.",
    sort_by=("journal_id", "line"),
    columns=(
        C("journal_id", K.TEXT, True),
        C("line", K.INT, True),
        C("date", K.DATE, True, "posting date"),
        C("account", K.TEXT, True),
        C("customer_id", K.TEXT),
        C("document_id", K.TEXT, False, "document the line concerns"),
        C("currency", K.CURRENCY, True),
        C("debit", K.MONEY, True, "0 when a credit line"),
        C("credit", K.MONEY, True, "0 when a debit line"),
        C("text", K.TEXT, False, "line text"),
        C("reversal_of", K.TEXT, False, "journal reversed by this one"),
    ),
)

AGING_FIXED = ("customer_id", "customer_name", "currency")
"""Aging columns before the buckets; ``total`` and informational columns follow them."""

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        OPEN_ITEMS,
        PAYMENTS,
        CUSTOMERS,
        ALLOCATIONS,
        BANK_LINES,
        STATEMENTS,
        TRIAL_BALANCE,
        UNAPPLIED,
        ISSUES,
        EVIDENCE,
        SETTINGS,
        FISCAL_DOCS,
        PAYMENT_COMPLEMENTS,
        JOURNAL_LINES,
    )
}


def empty_table(schema: TableSchema) -> pd.DataFrame:
    """A zero-row table with the schema's columns and engine dtypes."""
    data: dict[str, pd.Series] = {}
    for col in schema.columns:
        if col.kind == "date":
            data[col.name] = pd.Series(dtype="datetime64[ns]")
        elif col.kind in ("money", "int"):
            data[col.name] = pd.Series(dtype="Int64")
        elif col.kind == "ratio":
            data[col.name] = pd.Series(dtype="float64")
        else:
            data[col.name] = pd.Series(dtype=object)
    return pd.DataFrame(data)
