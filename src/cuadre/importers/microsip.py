"""Microsip (Mexico) Cuentas por Cobrar reports -> open_items.

What
    Microsip's CxC reports exported to Excel or CSV:

    - "Antigüedad de saldos" by document: title rows (company, report name,
      "Al 31/10/2026"), a header such as ``Cliente | Nombre | Concepto | Folio | Fecha |
      Vencimiento | Saldo | Por vencer | 1-30 | 31-60 | 61-90 | Más de 90``, customer
      lines ("C0001 ACME SA DE CV") above their documents, "Total cliente" lines after
      them and a "Total general" line; each document's amount sits in one bucket column
      (the open amount is then the sum of the buckets) and/or in "Saldo";
    - the same report *per customer only* (one row per customer, no Folio): document-
      level items are not in it, and the import says so (DOCUMENTS_NOT_AVAILABLE);
    - "Saldos de clientes" / "Estado de cuenta" by document with Cargos/Abonos columns
      (open amount = cargos - abonos), or an export of the Firebird tables the reports
      are built from (FOLIO, FECHA, FECHA_VENCIMIENTO, NATURALEZA_CONCEPTO, IMPORTE_CARGO,
      SALDO_CARGO of DOCTOS_CC / XSP_CARGOS_CLIENTE).

Rules (``cuadre/data/erp/microsip.toml``)
    - document_type from the concept's wording (Factura, Nota de cargo, Nota de
      crédito, Devolución, Bonificación, Cobro, Anticipo...); concept *ids* differ per
      installation and are never used;
    - sign: Microsip keeps credits positive and gives the direction by concept or by
      NATURALEZA (C = cargo, R/A = crédito): credit notes, payments and advances
      written positive are made negative, and reported;
    - "Total cliente" and "Total general" lines are checked against the documents and
      left out; dates are day-first (dd/mm/yyyy) unless the file says otherwise.

Reference
    Microsip CxC; Firebird tables DOCTOS_CC, IMPORTES_DOCTOS_CC, CONCEPTOS_CC, SALDOS_CC
    and procedure XSP_CARGOS_CLIENTE (shared/ERP_LAYOUTS.md section 2). The printed
    report headers are not publicly documented: the labels are the report vocabulary
    and must be checked against a customer's real export.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cuadre.findings import Finding
from cuadre.importers import erp
from cuadre.model.validate import ReadOptions

FORMAT = "microsip"
TITLE = "Microsip CxC (antigüedad de saldos, saldos de clientes)"


def detect(data: bytes, name: str) -> bool:
    """The file's header fits Microsip better than any other profile. Never raises."""
    return erp.detects_as(FORMAT, data, name)


def read(
    data: bytes,
    source: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Microsip CxC export -> (open_items, findings); never raises on bad data."""
    return erp.read_profile(FORMAT, data, source, mapping, options)
