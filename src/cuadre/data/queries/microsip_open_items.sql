-- microsip_open_items: open charges (cargos) of Microsip Cuentas por Cobrar (Firebird).
--
-- Microsip keeps receivables as documents (DOCTOS_CC) with amount lines
-- (IMPORTES_DOCTOS_CC): a charge (NATURALEZA_CONCEPTO 'C': factura, nota de cargo)
-- has a line of TIPO_IMPTE 'C'; every payment or credit note applied to it adds a
-- line of TIPO_IMPTE 'R' whose DOCTO_CC_ACR_ID points at the charge. The open amount
-- of a charge is what was charged minus what was credited against it.
--
-- What is known (see shared/ERP_LAYOUTS.md section 2.2):
--   [V] tables and columns DOCTOS_CC (DOCTO_CC_ID, FOLIO, NATURALEZA_CONCEPTO, FECHA,
--       CLIENTE_ID, CLAVE_CLIENTE, CANCELADO, DESCRIPCION), IMPORTES_DOCTOS_CC
--       (DOCTO_CC_ID, DOCTO_CC_ACR_ID, TIPO_IMPTE, IMPORTE, IMPUESTO, CANCELADO),
--       VENCIMIENTOS_CARGOS_CC (DOCTO_CC_ID, FECHA_VENCIMIENTO), CLIENTES
--       (CLIENTE_ID, NOMBRE, MONEDA_ID), DIRS_CLIENTES (CLIENTE_ID, RFC_CURP) and
--       MONEDAS (MONEDA_ID, ES_MONEDA_LOCAL, NOMBRE), from public reverse-engineered
--       models of the Microsip database.
--   [K] guesses, to check against a real database before trusting the totals:
--       * amounts are IMPORTE + IMPUESTO (VAT included) on both sides; withholdings
--         (IVA_RETENIDO, ISR_RETENIDO) and prompt-payment discounts (DSCTO_PPAG) are
--         not subtracted; some public code subtracts only IMPORTE of the credits;
--       * the currency is the customer's (CLIENTES.MONEDA_ID): the local currency is
--         read as MXN and names like "Dólar"/"Euro" as USD/EUR; any other name is
--         passed through and reported as an unknown currency (a customer with no
--         currency is reported as a missing value);
--       * a charge with several due dates (installments) is aged by the earliest;
--       * the 'C' line of a charge carries the charge's own id in DOCTO_CC_ACR_ID (as
--         public queries that join charges to their credits assume);
--       * every charge is read as an 'invoice' (concept ids differ per install);
--       * credits not applied to any charge (anticipos) are not read.
-- Written in SQL that Firebird 2.5+ and SQLite both run (the tests use SQLite).
WITH aplicado AS (
    SELECT
        i.DOCTO_CC_ACR_ID AS CARGO_ID,
        SUM(CASE WHEN i.TIPO_IMPTE = 'C'
                 THEN i.IMPORTE + COALESCE(i.IMPUESTO, 0) ELSE 0 END) AS CARGADO,
        SUM(CASE WHEN i.TIPO_IMPTE = 'R'
                 THEN i.IMPORTE + COALESCE(i.IMPUESTO, 0) ELSE 0 END) AS ACREDITADO
    FROM IMPORTES_DOCTOS_CC i
    WHERE COALESCE(i.CANCELADO, 'N') <> 'S'
    GROUP BY i.DOCTO_CC_ACR_ID
)
SELECT
    COALESCE(TRIM(d.CLAVE_CLIENTE), CAST(d.CLIENTE_ID AS VARCHAR(20))) AS customer_id,
    c.NOMBRE                                  AS customer_name,
    TRIM(d.FOLIO)                             AS document_id,
    'invoice'                                 AS document_type,
    d.FECHA                                   AS document_date,
    (SELECT MIN(v.FECHA_VENCIMIENTO)
       FROM VENCIMIENTOS_CARGOS_CC v
      WHERE v.DOCTO_CC_ID = d.DOCTO_CC_ID)    AS due_date,
    CASE
        WHEN m.ES_MONEDA_LOCAL = 'S' THEN 'MXN'
        WHEN UPPER(m.NOMBRE) LIKE 'D%LAR%' THEN 'USD'
        WHEN UPPER(m.NOMBRE) LIKE 'EURO%' THEN 'EUR'
        ELSE m.NOMBRE
    END                                       AS currency,
    a.CARGADO - a.ACREDITADO                  AS amount_open,
    a.CARGADO                                 AS amount_original,
    d.DESCRIPCION                             AS reference,
    (SELECT MAX(dc.RFC_CURP)
       FROM DIRS_CLIENTES dc
      WHERE dc.CLIENTE_ID = d.CLIENTE_ID)     AS tax_id,
    d.DOCTO_CC_ID                             AS microsip_docto_cc_id
FROM DOCTOS_CC d
JOIN aplicado a       ON a.CARGO_ID = d.DOCTO_CC_ID
JOIN CLIENTES c       ON c.CLIENTE_ID = d.CLIENTE_ID
LEFT JOIN MONEDAS m   ON m.MONEDA_ID = c.MONEDA_ID
WHERE d.NATURALEZA_CONCEPTO = 'C'
  AND COALESCE(d.CANCELADO, 'N') <> 'S'
  AND a.CARGADO - a.ACREDITADO <> 0
ORDER BY 1, 6, 3
