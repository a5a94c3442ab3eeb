-- generic_open_items: open items from a view (or table) the database team creates once.
--
-- Cuadre reads every column of the view CUADRE_OPEN_ITEMS. Its columns carry the
-- contract's open_items names (docs/contract.md): customer_id, customer_name,
-- document_id, document_type, document_date, due_date, currency, amount_open,
-- amount_original, reference, tax_id, fiscal_uuid, company. Optional columns may be
-- left out; extra columns are carried through as text. One row per open document or
-- installment, amounts signed (receivables positive, credits negative).
-- How to write the view for a given ERP: docs/pull.md.
SELECT *
FROM cuadre_open_items
