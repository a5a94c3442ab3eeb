"""DIAN (Colombia) e-invoices vs ERP: invoices (CUFE), credit and debit notes (CUDE).

``reconcile_dian(fiscal_docs, erp_documents, *, policy) -> Reconciliation``

The DIAN documents (UBL 2.1 Invoice / CreditNote / DebitNote, bare or in their
AttachedDocument, read by :func:`cuadre.importers.fiscal.import_fiscal`) against the
ERP's documents, with the categories of :mod:`cuadre.reconcile.fiscal`: missing in the
ERP, missing in the DIAN, amount / NIT / type differences, and documents the DIAN
*rejected* (AttachedDocument ValidationResultCode 04) still open in the ERP
(``cancelled_open``: a rejected invoice is not valid and must be re-issued).

Colombian specifics: CUFE / CUDE are compared in lower case (SHA-384 hex); NITs are
compared with or without their check digit (``900123456-7`` = ``900123456``).
Colombia has no payment complement, so there is no collections check here.

Reference: DIAN, Anexo técnico de factura electrónica de venta (UBL 2.1, CUFE/CUDE),
Resolución 000165 de 2023.
"""

from __future__ import annotations

import pandas as pd

from cuadre.reconcile import Reconciliation
from cuadre.reconcile.fiscal import COLOMBIA, FiscalPolicy, reconcile_fiscal


def reconcile_dian(
    fiscal_docs: pd.DataFrame,
    erp_documents: pd.DataFrame,
    *,
    policy: FiscalPolicy | None = None,
) -> Reconciliation:
    """DIAN documents vs ERP documents (``open_items`` shape, settled ones included)."""
    result, _ = reconcile_fiscal(
        fiscal_docs, erp_documents, COLOMBIA, policy or FiscalPolicy(), "dian"
    )
    return result


__all__ = ["reconcile_dian"]
