"""Tables of the reconciliations, accruals, provisions and journals (the contract's new part).

Same conventions as :mod:`cuadre.model.tables` (text as ``str`` with ``""`` for empty,
dates as ``datetime64``, money as ``Int64`` minor units of the row's currency, ratios as
``float64``). They live here until they are merged into ``model/tables.py``.

Inputs: ``gl_postings``, ``ar_transactions``, ``customer_statement``, ``operations``,
``aging_snapshots``, ``provision_matrix``, ``specific_provisions``, ``write_offs``.
Outputs: ``reconciliation_items`` (the matched / differences / only-left / only-right
rows of every reconciliation), ``reconciliation_totals``, ``reconciliation_breakdown``,
``reconciliation_statement``, ``complement_checks`` (SAT payment complements),
``credit_balances`` and ``reimbursements`` (advances), ``accruals``, ``unbilled``,
``sales_cutoff``, ``provision``, ``allowance_movement``, ``journal_lines``.
"""

from __future__ import annotations

from cuadre.model.tables import JOURNAL_LINES, Column, Kind, TableSchema

C = Column
K = Kind

SECTIONS = ("matched", "difference", "left_only", "right_only")

RECON_ITEMS = TableSchema(
    name="reconciliation_items",
    sheet="Reconciliation",
    description=(
        "One row per match group or unmatched item of a reconciliation: the left side "
        "(bank, subledger, SAT, ours...) against the right side (books, GL, ERP, theirs...)."
    ),
    sort_by=("section", "currency", "left_date", "right_date", "left_ids", "right_ids"),
    columns=(
        C("section", K.ENUM, True, "matched, difference, left_only, right_only", SECTIONS),
        C("rule", K.TEXT, False, "how the items were paired, in words"),
        C("confidence", K.RATIO, False, "0 to 1; empty for unmatched items"),
        C("party", K.TEXT, False, "customer or counterparty"),
        C("currency", K.CURRENCY, True),
        C("left_ids", K.TEXT, False, "ids of the left items, ';'-separated"),
        C("left_count", K.INT),
        C("left_date", K.DATE, False, "date of the (first) left item"),
        C("left_amount", K.MONEY, False, "sum of the left items, signed"),
        C("right_ids", K.TEXT, False, "ids of the right items, ';'-separated"),
        C("right_count", K.INT),
        C("right_date", K.DATE),
        C("right_amount", K.MONEY),
        C("difference", K.MONEY, False, "left - right"),
        C("cause", K.TEXT, False, "stable code of the cause (see docs/reconcile.md)"),
        C("explanation", K.TEXT, False, "what it is and what to do, in words"),
        C("left_rows", K.TEXT, False, "file:row of the left items"),
        C("right_rows", K.TEXT, False, "file:row of the right items"),
    ),
)

RECON_TOTALS = TableSchema(
    name="reconciliation_totals",
    sheet="ReconciliationTotals",
    description="Both sides' totals per currency (the items compared).",
    sort_by=("currency",),
    columns=(
        C("currency", K.CURRENCY, True),
        C("left_items", K.INT, True),
        C("left_total", K.MONEY, True),
        C("right_items", K.INT, True),
        C("right_total", K.MONEY, True),
        C("difference", K.MONEY, True, "left - right"),
    ),
)

RECON_BREAKDOWN = TableSchema(
    name="reconciliation_breakdown",
    sheet="ReconcilingItems",
    description="The reconciling difference (left - right) by cause, per currency.",
    sort_by=("currency", "cause"),
    columns=(
        C("currency", K.CURRENCY, True),
        C("cause", K.TEXT, True),
        C("label", K.TEXT, True, "the cause in words"),
        C("items", K.INT, True),
        C("amount", K.MONEY, True, "contribution to left - right"),
    ),
)

RECON_STATEMENT = TableSchema(
    name="reconciliation_statement",
    sheet="ReconciliationStatement",
    description="The reconciliation statement: balance per one side +/- items = the other.",
    sort_by=("currency", "line"),
    columns=(
        C("currency", K.CURRENCY, True),
        C("line", K.INT, True),
        C("label", K.TEXT, True),
        C("amount", K.MONEY, False, "empty when the balance was not given"),
        C("kind", K.TEXT, False, "balance, item, subtotal or check"),
    ),
)

GL_POSTINGS = TableSchema(
    name="gl_postings",
    sheet="GLPostings",
    description="General-ledger postings (journal lines) of an account: AR control or cash.",
    key=("posting_id",),
    sort_by=("posting_date", "posting_id"),
    columns=(
        C("posting_id", K.TEXT, True, "journal entry + line, unique"),
        C("account", K.TEXT, True, "GL account"),
        C("posting_date", K.DATE, True),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "debit positive, credit negative"),
        C("document_id", K.TEXT, False, "subledger document posted (invoice, receipt...)"),
        C("reference", K.TEXT, False, "cheque number, bank reference, customer reference"),
        C("description", K.TEXT),
        C("source", K.TEXT, False, "subledger (AR), manual, revaluation... or SAP document type"),
        C("customer_id", K.TEXT),
        C("company", K.TEXT),
    ),
)

AR_TRANSACTIONS = TableSchema(
    name="ar_transactions",
    sheet="ARTransactions",
    description="Subledger movements of the period: invoices, receipts, credit notes...",
    key=("transaction_id",),
    sort_by=("posting_date", "transaction_id"),
    columns=(
        C("transaction_id", K.TEXT, True),
        C("document_id", K.TEXT, False, "the document (invoice number, receipt number)"),
        C("document_type", K.TEXT, True, "invoice, credit_note, debit_note, payment, write_off..."),
        C("customer_id", K.TEXT),
        C("posting_date", K.DATE, True),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "signed: + raises the receivable"),
        C("reference", K.TEXT),
        C("company", K.TEXT),
    ),
)

CUSTOMER_STATEMENT = TableSchema(
    name="customer_statement",
    sheet="CustomerStatement",
    description="The customer's list of our documents (their AP statement or remittance).",
    sort_by=("document_date", "document_id"),
    columns=(
        C("document_id", K.TEXT, True, "our invoice number as they wrote it"),
        C("document_date", K.DATE),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "what they say is open, in our signs (+ they owe us)"),
        C("reference", K.TEXT, False, "their PO or voucher number"),
        C("note", K.TEXT, False, "their comment (dispute, deduction...)"),
        C("customer_id", K.TEXT),
    ),
)

OPERATIONS = TableSchema(
    name="operations",
    sheet="Operations",
    description="Services delivered, shipments or customs operations completed, billable.",
    key=("operation_id",),
    sort_by=("completed_date", "operation_id"),
    columns=(
        C("operation_id", K.TEXT, True),
        C("customer_id", K.TEXT, True),
        C("customer_name", K.TEXT),
        C("completed_date", K.DATE, True, "service rendered / delivered / operation closed"),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, False, "billable amount (net of VAT); or quantity x rate"),
        # no decimal Kind yet: kept as the file wrote them, read exactly (with the file's
        # decimal separator) by cuadre.accruals.operation_amounts
        C("quantity", K.TEXT, False, "a decimal number (2.5, or 2,5 in a decimal-comma file)"),
        C("rate", K.TEXT, False, "price per unit, a decimal number (125050.50 or 125.050,50)"),
        C("invoice_id", K.TEXT, False, "invoice that billed it, when known"),
        C("description", K.TEXT),
        C("company", K.TEXT),
        C(
            "invoice_date",
            K.DATE,
            False,
            "date of invoice_id when that invoice is not in the invoice list",
        ),
    ),
)

ACCRUALS = TableSchema(
    name="accruals",
    sheet="Accruals",
    description="Unbilled revenue accrued at the cut-off, per customer and currency.",
    sort_by=("currency", "customer_id"),
    columns=(
        C("customer_id", K.TEXT, True),
        C("customer_name", K.TEXT),
        C("currency", K.CURRENCY, True),
        C("operations", K.INT, True),
        C("amount", K.MONEY, True, "revenue earned and not invoiced by the cut-off"),
        C("oldest", K.DATE, False, "oldest unbilled completion date"),
    ),
)

UNBILLED = TableSchema(
    name="unbilled",
    sheet="Unbilled",
    description="Each operation completed by the cut-off and not (fully) invoiced by then.",
    sort_by=("customer_id", "completed_date", "operation_id"),
    columns=(
        C("operation_id", K.TEXT, True),
        C("customer_id", K.TEXT, True),
        C("completed_date", K.DATE, True),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "billable amount"),
        C("invoiced", K.MONEY, True, "invoiced by the cut-off"),
        C("unbilled", K.MONEY, True, "accrued"),
        C("days", K.INT, False, "days from completion to the cut-off"),
        C("invoice_ids", K.TEXT, False, "invoices found for it (any date)"),
        C("reason", K.TEXT),
    ),
)

SALES_CUTOFF = TableSchema(
    name="sales_cutoff",
    sheet="SalesCutoff",
    description="Deliveries within N days of the period end and the period their invoice fell in.",
    sort_by=("completed_date", "operation_id"),
    columns=(
        C("operation_id", K.TEXT, True),
        C("customer_id", K.TEXT),
        C("completed_date", K.DATE, True),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY),
        C("invoice_ids", K.TEXT),
        C("invoice_date", K.DATE),
        C("result", K.TEXT, True, "ok, accrued, early_invoice, not_invoiced"),
        C("explanation", K.TEXT),
    ),
)

AGING_SNAPSHOTS = TableSchema(
    name="aging_snapshots",
    sheet="AgingHistory",
    description="Month-end aging totals per bucket (and write-offs of the month) for roll rates.",
    sort_by=("as_of", "currency", "bucket"),
    columns=(
        C("as_of", K.DATE, True, "month end of the snapshot"),
        C("currency", K.CURRENCY, True),
        C("bucket", K.TEXT, True, "aging bucket label, or write_off for the month's write-offs"),
        C("amount", K.MONEY, True),
    ),
)

PROVISION_MATRIX = TableSchema(
    name="provision_matrix",
    sheet="ProvisionMatrix",
    description="Loss rate per aging bucket (IFRS 9 B5.5.35 provision matrix or flat rates).",
    sort_by=("currency", "order"),
    columns=(
        C("currency", K.TEXT, False, "empty: every currency"),
        C("order", K.INT, True, "bucket position, oldest last"),
        C("bucket", K.TEXT, True),
        C("roll_rate", K.RATIO, False, "share rolling to the next bucket (or written off)"),
        C("historical_loss_rate", K.RATIO, False, "product of roll rates to write-off"),
        C("loss_rate", K.RATIO, True, "rate applied, after the forward-looking adjustment"),
        C("basis", K.TEXT, False, "roll rates over N months, given, flat percentage"),
    ),
)

SPECIFIC_PROVISIONS = TableSchema(
    name="specific_provisions",
    sheet="SpecificProvisions",
    description="Customers in default provided for individually (overrides the matrix).",
    key=("customer_id",),
    sort_by=("customer_id",),
    columns=(
        C("customer_id", K.TEXT, True),
        C("rate", K.RATIO, False, "share of the customer's receivable provided (0 to 1)"),
        C("amount", K.MONEY, False, "or a fixed amount"),
        C("currency", K.CURRENCY, False, "of amount"),
        C("reason", K.TEXT),
    ),
)

WRITE_OFFS = TableSchema(
    name="write_offs",
    sheet="WriteOffs",
    description="Receivables written off (castigos) in the period, against the allowance.",
    sort_by=("date", "document_id"),
    columns=(
        C("document_id", K.TEXT, True),
        C("customer_id", K.TEXT),
        C("date", K.DATE, True),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "positive: receivable removed"),
        C("reason", K.TEXT),
    ),
)

PROVISION = TableSchema(
    name="provision",
    sheet="Provision",
    description="Expected credit loss per currency and bucket (and per specific customer).",
    sort_by=("currency", "order", "customer_id"),
    columns=(
        C("currency", K.CURRENCY, True),
        C("order", K.INT, True),
        C("bucket", K.TEXT, True, "aging bucket, or 'specific'"),
        C("customer_id", K.TEXT, False, "for specific provisions"),
        C("receivable", K.MONEY, True, "gross receivable (debit items) in the bucket"),
        C("loss_rate", K.RATIO, False),
        C("provision", K.MONEY, True, "receivable x loss rate, rounded half up"),
        C("basis", K.TEXT),
    ),
)

ALLOWANCE_MOVEMENT = TableSchema(
    name="allowance_movement",
    sheet="AllowanceMovement",
    description="Opening allowance + charge - write-offs = closing allowance (IFRS 7.35H).",
    sort_by=("currency", "line"),
    columns=(
        C("currency", K.CURRENCY, True),
        C("line", K.INT, True),
        C("label", K.TEXT, True),
        C("amount", K.MONEY, True, "allowance as a positive amount"),
    ),
)

COMPLEMENT_CHECKS = TableSchema(
    name="complement_checks",
    sheet="PaymentComplementChecks",
    description="CFDI payment complements (REP) checked against the invoices and the ERP.",
    sort_by=("check", "invoice_uuid", "installment"),
    columns=(
        C("check", K.TEXT, True, "code of the problem found"),
        C("severity", K.TEXT, True),
        C("invoice_uuid", K.TEXT),
        C("document_id", K.TEXT, False, "the ERP document"),
        C("customer", K.TEXT, False, "receiver RFC / ERP customer"),
        C("currency", K.CURRENCY),
        C("invoice_total", K.MONEY),
        C("erp_paid", K.MONEY, False, "applied in the ERP"),
        C("rep_paid", K.MONEY, False, "ImpPagado of the valid complements"),
        C("erp_open", K.MONEY),
        C("rep_balance", K.MONEY, False, "last ImpSaldoInsoluto"),
        C("complement_uuids", K.TEXT),
        C("installment", K.INT),
        C("payment_date", K.DATE),
        C("deadline", K.DATE, False, "day 5 of the month after the payment"),
        C(
            "reason",
            K.TEXT,
            False,
            "REP_REJECTED: why the complement cannot be applied, ';'-separated codes "
            "(unknown_invoice, currency, equivalence, overpaid, installment, pue_invoice)",
        ),
        C("explanation", K.TEXT),
    ),
)

SEND_COPIES = TableSchema(
    name="send_copies",
    sheet="SendCopies",
    description="Our documents to send to the customer: those they lack or dispute.",
    sort_by=("currency", "document_date", "document_id"),
    columns=(
        C("document_id", K.TEXT, True),
        C("document_date", K.DATE),
        C("currency", K.CURRENCY, True),
        C("amount", K.MONEY, True, "open amount in our books"),
        C("fiscal_uuid", K.TEXT, False, "to attach the e-invoice XML"),
        C("reason", K.TEXT),
    ),
)

CREDIT_BALANCES = TableSchema(
    name="credit_balances",
    sheet="CreditBalances",
    description="Advances, unapplied cash and credit notes (saldos a favor), aged.",
    sort_by=("currency", "customer_id", "document_date", "document_id"),
    columns=(
        C("customer_id", K.TEXT, True),
        C("customer_name", K.TEXT),
        C("currency", K.CURRENCY, True),
        C("document_id", K.TEXT, True),
        C("document_type", K.TEXT),
        C("category", K.TEXT, False, "revenue or reimbursement (third-party payments)"),
        C("document_date", K.DATE),
        C("days", K.INT, False, "age at the as-of date"),
        C("bucket", K.TEXT),
        C("amount", K.MONEY, True, "the credit, negative"),
        C("suggested", K.MONEY, False, "suggested for application, positive"),
        C("remaining", K.MONEY, False, "left after the suggestions, negative"),
    ),
)

REIMBURSEMENTS = TableSchema(
    name="reimbursements",
    sheet="Reimbursements",
    description="Third-party payments billed to clients (customs duties...): not revenue.",
    sort_by=("currency", "customer_id"),
    columns=(
        C("customer_id", K.TEXT, True),
        C("customer_name", K.TEXT),
        C("currency", K.CURRENCY, True),
        C("billed_open", K.MONEY, True, "reimbursement invoices still open"),
        C("advances", K.MONEY, True, "advances received for third-party payments (negative)"),
        C("net", K.MONEY, True),
        C("items", K.INT, True),
    ),
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        RECON_ITEMS,
        RECON_TOTALS,
        RECON_BREAKDOWN,
        RECON_STATEMENT,
        GL_POSTINGS,
        AR_TRANSACTIONS,
        CUSTOMER_STATEMENT,
        OPERATIONS,
        ACCRUALS,
        UNBILLED,
        SALES_CUTOFF,
        AGING_SNAPSHOTS,
        PROVISION_MATRIX,
        SPECIFIC_PROVISIONS,
        WRITE_OFFS,
        PROVISION,
        ALLOWANCE_MOVEMENT,
        COMPLEMENT_CHECKS,
        SEND_COPIES,
        CREDIT_BALANCES,
        REIMBURSEMENTS,
        JOURNAL_LINES,
    )
}
