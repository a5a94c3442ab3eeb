-- odoo_open_items: unreconciled receivable lines of an Odoo 16/17/18 database (PostgreSQL).
--
-- One row per open receivable journal item (account.move.line), so an invoice with
-- payment terms in installments gives one row per installment (same document_id,
-- different due_date). Only posted entries on accounts of type 'asset_receivable'
-- with something left to reconcile are read.
--
-- Source of the field names: Odoo's ORM models account.move.line, account.move,
-- res.partner, account.account (account_type, Odoo 16 and later), res.currency,
-- res.company; the SQL tables are the model names with "_" for ".".
-- Background knowledge, not checked against every version [K]:
--   * amount_residual_currency is the residual in the line's own currency (always
--     filled from Odoo 16 on; before 16 it may be 0 for company-currency lines: use
--     amount_residual there);
--   * Odoo 15 and earlier have account_account.internal_type = 'receivable' instead
--     of account_type = 'asset_receivable';
--   * customer payments are entries of move_type 'entry'; an unreconciled credit line
--     on the receivable account is unapplied cash (document_type 'payment'), a debit
--     line on such an entry is read as an 'adjustment'.
-- The customer id is the partner's internal reference (res_partner.ref), or Odoo's
-- numeric id when the reference is empty. Amounts are signed as Odoo signs them:
-- receivables positive, credit notes and unapplied payments negative.
SELECT
    COALESCE(NULLIF(rp.ref, ''), CAST(rp.id AS varchar)) AS customer_id,
    rp.name                                               AS customer_name,
    am.name                                               AS document_id,
    CASE am.move_type
        WHEN 'out_invoice' THEN 'invoice'
        WHEN 'out_receipt' THEN 'invoice'
        WHEN 'out_refund'  THEN 'credit_note'
        WHEN 'entry' THEN CASE WHEN aml.balance < 0 THEN 'payment' ELSE 'adjustment' END
        ELSE 'adjustment'
    END                                                   AS document_type,
    COALESCE(am.invoice_date, am.date)                    AS document_date,
    COALESCE(aml.date_maturity, am.invoice_date_due)      AS due_date,
    cur.name                                              AS currency,
    aml.amount_residual_currency                          AS amount_open,
    aml.amount_currency                                   AS amount_original,
    am.ref                                                AS reference,
    rp.vat                                                AS tax_id,
    co.name                                               AS company,
    aml.id                                                AS odoo_line_id
FROM account_move_line aml
JOIN account_move am       ON am.id = aml.move_id
JOIN account_account acc   ON acc.id = aml.account_id
JOIN res_currency cur      ON cur.id = aml.currency_id
LEFT JOIN res_partner rp   ON rp.id = aml.partner_id
LEFT JOIN res_company co   ON co.id = aml.company_id
WHERE acc.account_type = 'asset_receivable'
  AND am.state = 'posted'
  AND aml.reconciled = false
  AND aml.amount_residual <> 0
ORDER BY rp.id NULLS LAST, COALESCE(aml.date_maturity, am.invoice_date_due), am.name, aml.id
