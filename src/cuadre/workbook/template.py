"""The empty month-end close workbook, ``workbooks/Cuadre Close.xlsx``.

One sheet per step of the close, each holding one Excel table named as in the contract
(``customers``, ``open_items``, ``bank_lines``, ``statements``, ``trial_balance``,
``fiscal_docs``, ``payment_complements``, ``allocations``, ``unapplied``, ``aging``,
``issues``, ``evidence``, ``settings``), so that the ribbon
scripts, Power Query and the ``cuadre`` command line all find the same tables. Blue tabs
are inputs the accountant fills, green tabs are results Cuadre writes, grey tabs are
notes and records.

The committed workbook is generated, never edited by hand::

    python -m cuadre.workbook.template            # rewrites workbooks/Cuadre Close.xlsx
    python -m cuadre.workbook.template OUT.xlsx

The file is reproducible: its creation date is fixed, so the same code gives the same
bytes, and ``tests/workbook/test_template.py`` checks the committed copy cell by cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS, aging_schema, bucket_labels
from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    CUSTOMERS,
    EVIDENCE,
    FISCAL_DOCS,
    ISSUES,
    OPEN_ITEMS,
    PAYMENT_COMPLEMENTS,
    SETTINGS,
    STATEMENTS,
    TRIAL_BALANCE,
    UNAPPLIED,
    Column,
    Kind,
    TableSchema,
    empty_table,
)
from cuadre.workbook.writer import ControlRow, SheetSpec, column_ref, write_workbook

Guide = tuple[tuple[str, str, str, str], ...]

__all__ = [
    "DEFAULT_PATH",
    "MATCHES",
    "OPTIONAL_SETTING_ROWS",
    "README",
    "SETTING_ROWS",
    "build_template",
    "step_input_sheets",
    "template_sheet",
    "template_sheets",
]

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "workbooks" / "Cuadre Close.xlsx"
"""Where the committed template lives in a source checkout."""

CREATED = "2024-01-01T00:00:00"
"""Fixed creation date: the template is byte-for-byte reproducible."""

README = TableSchema(
    name="readme",
    sheet="README",
    description="The sheets of the close workbook.",
    columns=(
        Column("sheet", Kind.TEXT, True),
        Column("kind", Kind.TEXT, True, "input, result or record"),
        Column("holds", Kind.TEXT, True),
        Column("what_to_do", Kind.TEXT),
    ),
)

MATCHES = TableSchema(
    name=ALLOCATIONS.name,
    sheet=ALLOCATIONS.sheet,
    description=ALLOCATIONS.description,
    sort_by=ALLOCATIONS.sort_by,
    columns=(
        *ALLOCATIONS.columns,
        Column("review", Kind.TEXT, False, "accept or reject, for suggested rows"),
    ),
)
"""The Matches table: the allocations plus the reviewer's ``review`` column."""

SETTING_ROWS: tuple[tuple[str, str, str], ...] = (
    ("as_of", "", "Close date (fecha de corte), YYYY-MM-DD: the day aging counts from."),
    (
        "buckets",
        ",".join(str(b) for b in DEFAULT_BUCKETS),
        "Aging bucket limits in days past due: gives "
        + ", ".join(bucket_labels(DEFAULT_BUCKETS))
        + ".",
    ),
    (
        "match_threshold",
        "0.9",
        "Confidence (0 to 1) needed to apply a payment automatically; below it, a suggestion.",
    ),
    (
        "tolerance_pct",
        "0.5",
        "Short or over payment, in % of the invoice, still settled with a difference "
        "(bank fees, rounding).",
    ),
    (
        "decimal_separator",
        ".",
        'Decimal separator of pasted amounts: "." for 1,234.56 or "," for 1.234,56.',
    ),
    (
        "date_order",
        "auto",
        "Order of day and month in text dates: dmy (31/01/2024), mdy (01/31/2024) or auto.",
    ),
    (
        "functional_currency",
        "MXN",
        "Currency of the general ledger (moneda funcional), ISO 4217.",
    ),
    ("language", "es", "Language of the dunning letters and the statements of account: es or en."),
    (
        "provision_method",
        "roll_rates",
        "Loss rates of the provision: roll_rates (from AgingHistory), matrix (LossRates as "
        "given) or flat (flat_percentages, else LossRates).",
    ),
    (
        "forward_factor",
        "1",
        "Forward-looking factor on the roll-rate loss rates: 1 none, 1.1 a 10% worse outlook.",
    ),
    ("receivable_account", "1105-01", "GL account of trade receivables (clientes)."),
    (
        "allowance_account",
        "1109-01",
        "GL account of the allowance for doubtful accounts (estimación de cuentas incobrables).",
    ),
    ("bad_debt_expense_account", "6105-01", "GL account of the bad-debt expense."),
    (
        "unbilled_account",
        "1105-90",
        "GL account of unbilled receivables: the accrual's debit (provisión de ingresos).",
    ),
    ("revenue_account", "4100-01", "GL account of the revenue accrued (ingresos por servicios)."),
)
"""The Settings table: (setting, value, meaning)."""

OPTIONAL_SETTING_ROWS: tuple[tuple[str, str, str], ...] = (
    (
        "company_name",
        "",
        "Your company's name: signs the dunning letters and heads the statements of account.",
    ),
    (
        "company_email",
        "",
        "E-mail address the customers answer the letters to (cobranza@...).",
    ),
    (
        "flat_percentages",
        "",
        "Method flat: percent per aging bucket, such as 91-120:5, 121+:15 (buckets not "
        "named: 0%). Empty: the LossRates sheet.",
    ),
    (
        "sap_company_code",
        "",
        "SAP company code (BUKRS): adds the AccrualUploadSAP sheet. Empty: no SAP upload.",
    ),
    (
        "company_tax_ids",
        "",
        "Your company's RFC / NIT, ';'-separated: e-invoices you received are left out of the "
        "SAT and DIAN reconciliations.",
    ),
)
"""Settings without a default (setting, "", meaning): not on the template's Settings table
(every row there needs a value); the Settings sheet's notes list them, and a row added
with one of these names is read."""

_README_LINES = (
    "Cuadre closes accounts receivable (cartera) at month end: it applies the money in the "
    "bank to the open invoices,",
    "ages what customers still owe (antigüedad de saldos), ties the ledger out to the GL and "
    "keeps the evidence an auditor asks for.",
    "It never guesses: a payment it is not sure about is a suggestion for you to accept or "
    "reject, never a silent match.",
    "The close, step by step:",
    "1. Import (Cuadre tab > Import) or paste the inputs: Customers, OpenItems (what customers "
    "owe), Bank (the bank statement lines), GL (for the tie-out), FiscalDocs (CFDI / DIAN).",
    "2. Run Match payments. Cuadre fills Matches (payments applied to documents) and "
    "Unapplied (pagos no identificados y saldos a favor).",
    "3. Review Matches: write accept or reject in the review column of each suggested row; "
    "auto rows are already applied.",
    "4. Run Aging as of the close date in Settings; Aging shows the open balance per "
    "customer and currency by days past due.",
    "5. Check Issues (errors to fix, warnings to read) and Evidence (the files that went "
    "into the run), then file the workbook. Whole close also draws the KPIs sheet (DSO, CEI).",
    "6. Collections: Worklist (whom to call), Dunning (letters, written beside the workbook), "
    "PromiseStatus, Credit (holds and releases), DisputeLog, AccountStatements (and a PDF).",
    "7. Accruals & provision: Accruals of services not yet billed, the sales Cutoff test, the "
    "ProvisionMatrix (IFRS 9), the Provision per customer and the AccrualJournal.",
    "8. Reconcile: the aging to the GL, the bank to the books, a customer's statement, SAT / "
    "DIAN to the ERP, and the Advances and credit balances to apply.",
    "Blue tabs are inputs you fill, green tabs are results Cuadre writes, grey tabs are "
    "notes and records. Do not rename the tables.",
)

_SHEETS_GUIDE: tuple[tuple[str, str, str, str], ...] = (
    ("README", "notes", "This page.", ""),
    (
        "Settings",
        "input",
        "Close date, aging buckets, matching threshold and tolerance, number and date style.",
        "Set the close date (as_of) before each run.",
    ),
    (
        "Customers",
        "input",
        "Customer master: names, tax ids (RFC, NIT, NIF, EIN), known payer accounts, aliases.",
        "Optional; payer accounts and aliases help identify who paid.",
    ),
    (
        "OpenItems",
        "input",
        "Open invoices, credit notes and unapplied payments from the ERP (cartera abierta).",
        "Paste the open items report as of the close date.",
    ),
    (
        "Bank",
        "input",
        "Bank statement lines; money-in lines are the payments to apply.",
        "Import the statement (camt.053, MT940, BAI2, OFX, CSV) or paste it.",
    ),
    (
        "Statements",
        "input",
        "One row per imported bank statement: account, opening and closing balances.",
        "Filled by Import > Bank statement; check that every statement balances.",
    ),
    (
        "GL",
        "input",
        "Trial balance: the receivables control accounts (cuentas de clientes) at period end.",
        "Mark the AR control accounts with yes in is_ar_control.",
    ),
    (
        "FiscalDocs",
        "input",
        "E-invoices as the tax authority has them: CFDI (SAT) and DIAN documents, with status.",
        "Import > CFDI / DIAN: the XML, the SAT Metadata .txt or the ZIP as downloaded.",
    ),
    (
        "PaymentComplements",
        "input",
        "What each CFDI payment complement (REP, Pagos 2.0) paid: one row per invoice paid.",
        "Filled by Import > CFDI / DIAN from the payment CFDI (tipo P).",
    ),
    (
        "Matches",
        "result",
        "Each payment applied to the documents it settles, with confidence and reason.",
        "Accept or reject the suggested rows in the review column.",
    ),
    (
        "Unapplied",
        "result",
        "Money received and not applied: unidentified payers and payments on account.",
        "Investigate; apply or refund before the next close.",
    ),
    (
        "Aging",
        "result",
        "Open balance per customer and currency by days past due (antigüedad de saldos).",
        "Filter the currency column to read the totals per currency.",
    ),
    (
        "Issues",
        "record",
        "Errors, warnings and notes from the inputs and the run, each with where to look.",
        "Fix the errors and run again; read the warnings.",
    ),
    (
        "Evidence",
        "record",
        "The files that went into the run, with their SHA-256, rows and control totals.",
        "Keep with the close: it proves which data gave these results.",
    ),
)


_KPI_GUIDE: Guide = (
    (
        "History",
        "input",
        "Every customer item of the last months, open or cleared, with its clearing date.",
        "Optional; paste SAP FBL5N 'all items' (or open items plus the items cleared since).",
    ),
    (
        "Applications",
        "input",
        "Partial payments of History items, with their dates.",
        "Optional; only when partial payments must count in their month.",
    ),
)

_RECONCILE_GUIDE: Guide = (
    (
        "CashBook",
        "input",
        "GL postings of the bank (cash) accounts: the books' side of bank to book.",
        "Paste the bank account's ledger for the period; Reconcile compares it with Bank.",
    ),
    (
        "GLLines",
        "input",
        "Journal lines posted to the receivables control accounts in the period.",
        "Optional; they explain the difference between the aging and the GL.",
    ),
    (
        "ARTransactions",
        "input",
        "Subledger movements of the period: invoices, receipts, credit notes.",
        "Optional; for the GL tie-out's roll-forward.",
    ),
    (
        "CustomerStatement",
        "input",
        "A customer's statement of our documents, with their amounts.",
        "Paste the statement a customer sent; Reconcile compares it with our open items.",
    ),
)

_RESULT_GUIDE: Guide = (
    (
        "KPIs",
        "result",
        "DSO, best possible DSO, days delinquent, CEI and % current by month, with charts.",
        "Whole close writes it; without History it shows the aging charts only.",
    ),
    (
        "ReconGL",
        "result",
        "The aging total against the GL control accounts, each difference explained.",
        "Book or explain the unexplained remainder.",
    ),
    (
        "ReconBank",
        "result",
        "Bank statement lines against the cash account postings; the bank reconciliation.",
        "Book the bank-only items; chase the book-only ones.",
    ),
    (
        "ReconCustomer",
        "result",
        "Our open items against a customer's statement, item by item.",
        "Send invoice copies of what the customer lacks; correct what we lack.",
    ),
    (
        "ReconSAT",
        "result",
        "SAT CFDI against the ERP's documents (REPChecks: the payment complements).",
        "Cancel, issue or correct the documents flagged; issue missing complements.",
    ),
    (
        "ReconDIAN",
        "result",
        "DIAN documents (CUFE / CUDE) against the ERP's documents.",
        "Resolve each document on one side only or with another amount.",
    ),
    (
        "Advances",
        "result",
        "Advances, unapplied cash and credit notes next to the same customer's open documents.",
        "Suggestions only: apply them in the ERP after review.",
    ),
)


def _guide() -> Guide:
    """README rows: the close's, then each later step's inputs and results, in sheet order."""
    from cuadre.workbook import accruals_sheets, collections_sheets

    steps = (*collections_sheets.SHEETS_GUIDE, *accruals_sheets.SHEETS_GUIDE)
    inputs = tuple(r for r in steps if r[1] == "input") + _KPI_GUIDE + _RECONCILE_GUIDE
    results = tuple(r for r in steps if r[1] != "input") + _RESULT_GUIDE
    names = [r[0] for r in _SHEETS_GUIDE]
    after_inputs = names.index("PaymentComplements") + 1
    after_results = names.index("Aging") + 1
    return (
        _SHEETS_GUIDE[:after_inputs]
        + inputs
        + _SHEETS_GUIDE[after_inputs:after_results]
        + results
        + _SHEETS_GUIDE[after_results:]
    )


def step_input_sheets() -> list[SheetSpec]:
    """The empty blue input sheets of collections, accruals, KPIs and reconcile (with no
    totals row, as every input sheet of the template: rows pasted under the table must
    land in it, not under a totals row)."""
    from cuadre.workbook import accruals_sheets, collections_sheets, kpi_sheets, reconcile_sheets

    return [
        *collections_sheets.collections_input_sheets(None),
        *accruals_sheets.accruals_input_sheets(None),
        *kpi_sheets.kpi_input_sheets(None),
        *reconcile_sheets.reconcile_input_sheets(None),
    ]


def _count(table: str, column: str) -> ControlRow:
    return ControlRow("Rows", 0, formula=f"=COUNTA({column_ref(table, column)})")


def _subtotal(table: str, column: str) -> str:
    return f"SUBTOTAL(109,{column_ref(table, column)})"


def readme_sheet() -> SheetSpec:
    """The README sheet for the accountant (also the first sheet of a close workbook)."""
    return template_sheets()[0]


def template_sheets() -> list[SheetSpec]:
    """The sheets of the empty close workbook, in order."""
    aging = aging_schema(DEFAULT_BUCKETS)
    buckets = bucket_labels(DEFAULT_BUCKETS)
    money_in_aging = tuple(c.name for c in aging.columns if c.kind is Kind.MONEY)
    aging_check = (
        f"=IF(ROUND({'+'.join(_subtotal('aging', b) for b in buckets)}"
        f'-{_subtotal("aging", "total")},3)=0,"OK","DIFFERENCE")'
    )
    paste_note = "Paste below the header row: the table grows with the data. Ids stay text."
    per_currency = "Filter the currency column to read the totals per currency."

    readme_frame = pd.DataFrame(list(_guide()), columns=README.names, dtype="str")
    settings_frame = pd.DataFrame(list(SETTING_ROWS), columns=SETTINGS.names, dtype="str")

    return [
        SheetSpec(
            "README",
            "readme",
            readme_frame,
            README,
            title="Cuadre: month-end close of accounts receivable (cierre de cartera)",
            subtitle="Read this first. The steps of the close and what each sheet holds.",
            kind="info",
            notes=_README_LINES,
            column_widths={"sheet": 12, "kind": 9, "holds": 90, "what_to_do": 70},
        ),
        SheetSpec(
            "Settings",
            "settings",
            settings_frame,
            SETTINGS,
            title="Settings",
            subtitle="Parameters of the run, one per row. Change a value and run again.",
            kind="input",
            notes=(
                "Optional settings: add a row with the name and its value when you need one.",
                *(f"{name}: {meaning}" for name, _value, meaning in OPTIONAL_SETTING_ROWS),
            ),
            column_widths={"setting": 22, "value": 16, "meaning": 95},
        ),
        SheetSpec(
            "Customers",
            "customers",
            empty_table(CUSTOMERS),
            CUSTOMERS,
            title="Customers",
            subtitle="Customer master data (optional): names, tax ids, payer accounts, aliases.",
            kind="input",
            controls=(_count("customers", "customer_id"),),
            notes=(paste_note,),
        ),
        SheetSpec(
            "OpenItems",
            "open_items",
            empty_table(OPEN_ITEMS),
            OPEN_ITEMS,
            title="Open items (cartera abierta)",
            subtitle="What customers owe: one row per open invoice, credit note or installment.",
            kind="input",
            controls=(
                _count("open_items", "document_id"),
                ControlRow(
                    "Open amount (visible rows)",
                    0,
                    formula="=" + _subtotal("open_items", "amount_open"),
                ),
            ),
            notes=(paste_note, per_currency),
        ),
        SheetSpec(
            "Bank",
            "bank_lines",
            empty_table(BANK_LINES),
            BANK_LINES,
            title="Bank statement lines",
            subtitle="Every line of the bank statements; money-in lines are the payments.",
            kind="input",
            controls=(
                _count("bank_lines", "line_id"),
                ControlRow(
                    "Net amount (visible rows)",
                    0,
                    formula="=" + _subtotal("bank_lines", "amount"),
                ),
            ),
            notes=(paste_note, per_currency),
        ),
        SheetSpec(
            "Statements",
            "statements",
            empty_table(STATEMENTS),
            STATEMENTS,
            title="Bank statements",
            subtitle="One row per statement imported: opening + lines = closing, or Import "
            "reports it.",
            kind="input",
            controls=(_count("statements", "statement_id"),),
            notes=("Filled by Import > Bank statement, with the Bank sheet's lines.",),
        ),
        SheetSpec(
            "GL",
            "trial_balance",
            empty_table(TRIAL_BALANCE),
            TRIAL_BALANCE,
            title="General ledger (balanza de comprobación)",
            subtitle="Balances at period end; mark the receivables control accounts with yes.",
            kind="input",
            controls=(_count("trial_balance", "account"),),
            notes=(paste_note,),
        ),
        SheetSpec(
            "FiscalDocs",
            "fiscal_docs",
            empty_table(FISCAL_DOCS),
            FISCAL_DOCS,
            title="E-invoices (CFDI SAT, DIAN)",
            subtitle="Documents as the tax authority has them: one row per UUID / CUFE, with "
            "its status.",
            kind="input",
            controls=(
                _count("fiscal_docs", "uuid"),
                ControlRow(
                    "Total (visible rows)", 0, formula="=" + _subtotal("fiscal_docs", "total")
                ),
            ),
            notes=(
                "Filled by Import > CFDI / DIAN (XML, SAT Metadata .txt, ZIP). Amounts as the "
                "document writes them: unsigned; kind says invoice or credit note.",
                per_currency,
            ),
        ),
        SheetSpec(
            "PaymentComplements",
            "payment_complements",
            empty_table(PAYMENT_COMPLEMENTS),
            PAYMENT_COMPLEMENTS,
            title="Payment complements (REP, CFDI Pagos 2.0)",
            subtitle="What each payment CFDI paid: one row per invoice paid, with installment "
            "and balances.",
            kind="input",
            controls=(
                _count("payment_complements", "complement_uuid"),
                ControlRow(
                    "Amount paid (visible rows)",
                    0,
                    formula="=" + _subtotal("payment_complements", "amount_paid"),
                ),
            ),
            notes=("Filled by Import > CFDI / DIAN from the payment CFDI (tipo P).", per_currency),
        ),
        *step_input_sheets(),
        SheetSpec(
            "Matches",
            "allocations",
            empty_table(MATCHES),
            MATCHES,
            title="Matches: payments applied to documents",
            subtitle="Review the suggested rows: write accept or reject in the review column. "
            "Auto rows were applied.",
            totals=("amount_applied", "difference"),
            controls=(_count("allocations", "payment_id"),),
            notes=(per_currency,),
        ),
        SheetSpec(
            "Unapplied",
            "unapplied",
            empty_table(UNAPPLIED),
            UNAPPLIED,
            title="Unapplied cash (pagos no identificados y saldos a favor)",
            subtitle="Money received and not applied automatically: investigate, then apply.",
            totals=("amount", "amount_unapplied"),
            controls=(_count("unapplied", "payment_id"),),
            notes=(per_currency,),
        ),
        SheetSpec(
            "Aging",
            "aging",
            empty_table(aging),
            aging,
            title="Aging (antigüedad de saldos)",
            subtitle="Open receivables after cash application by days past due, per customer "
            "and currency.",
            totals=money_in_aging,
            controls=(
                _count("aging", "customer_id"),
                ControlRow("Buckets add up to the total", "OK", formula=aging_check, check=True),
            ),
            notes=(per_currency,),
        ),
        SheetSpec(
            "Issues",
            "issues",
            empty_table(ISSUES),
            ISSUES,
            title="Issues",
            subtitle="Problems and notes found in the inputs and the run, each with where to look.",
            kind="info",
            controls=tuple(
                ControlRow(
                    label, 0, formula=f'=COUNTIF({column_ref("issues", "severity")},"{severity}")'
                )
                for label, severity in (
                    ("Errors", "error"),
                    ("Warnings", "warning"),
                    ("Notes", "info"),
                )
            ),
        ),
        SheetSpec(
            "Evidence",
            "evidence",
            empty_table(EVIDENCE),
            EVIDENCE,
            title="Evidence",
            subtitle="What went into the run: each input file with its SHA-256, rows and "
            "control total.",
            kind="info",
        ),
    ]


def template_sheet(table_name: str) -> SheetSpec:
    """The template's sheet holding the Excel table ``table_name`` (an empty table)."""
    for spec in template_sheets():
        if spec.table_name == table_name:
            return spec
    raise KeyError(table_name)


def build_template(path: str | Path) -> None:
    """Write the empty month-end close workbook to ``path`` (atomically)."""
    write_workbook(
        path,
        template_sheets(),
        properties={
            "title": "Cuadre Close",
            "subject": "Accounts receivable month-end close",
            "comments": "Generated by python -m cuadre.workbook.template; do not edit by hand.",
            "created": CREATED,
        },
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_PATH
    build_template(out)
    print(f"Template written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
