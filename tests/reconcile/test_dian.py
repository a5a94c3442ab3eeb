"""DIAN vs ERP (cuadre.reconcile.dian) on the real UBL sample and written cases."""

from __future__ import annotations

import pandas as pd
import pytest

from cuadre.importers.fiscal import import_fiscal
from cuadre.model.tables import FISCAL_DOCS
from cuadre.reconcile.dian import reconcile_dian
from cuadre.reconcile.fiscal import FiscalPolicy, same_nit
from helpers import frame, open_items
from recon_props import assert_controls_balance, assert_nothing_to_explain

SAMPLE = "dian/ubl21dian_invoice_unsigned_dian_v2.xml"


def real_docs(realdata) -> pd.DataFrame:
    docs, _, findings = import_fiscal([((realdata / SAMPLE).read_bytes(), SAMPLE)])
    assert not [f for f in findings if f.is_error]
    return docs


def erp_row(docs: pd.DataFrame, **changes) -> pd.DataFrame:
    d = docs.iloc[0]
    row = {
        "customer_id": "CL-1",
        "document_id": d["document_number"],
        "document_date": d["issue_date"],
        "due_date": "2019-07-12",
        "currency": "COP",
        "tax_id": f"{d['receiver_tax_id']}-7",
        "fiscal_uuid": d["uuid"].upper(),
        "amount_original": int(d["total"]),
        "amount_open": int(d["total"]),
    }
    return open_items([{**row, **changes}])


@pytest.mark.realdata
def test_real_invoice_matches_its_erp_document(realdata) -> None:
    docs = real_docs(realdata)
    r = reconcile_dian(docs, erp_row(docs), policy=FiscalPolicy(company_tax_ids=["901210113"]))
    assert_nothing_to_explain(r)
    assert r.matched["rule"].tolist() == ["DIAN folio (UUID)"]


@pytest.mark.realdata
def test_real_invoice_amount_and_folio_problems(realdata) -> None:
    docs = real_docs(realdata)
    r = reconcile_dian(docs, erp_row(docs, amount_original=202_306_100, fiscal_uuid=""))
    assert r.differences["cause"].tolist() == ["amount"]
    assert r.differences["rule"].tolist() == ["document number and tax id"]
    assert "uuid_missing" not in r.differences["cause"].tolist()  # the first problem names it
    assert "the ERP document has no folio" in r.differences["explanation"].iloc[0]
    assert int(r.differences["difference"].iloc[0]) == -100


@pytest.mark.realdata
def test_rejected_invoice_still_open(realdata) -> None:
    docs = real_docs(realdata).assign(status="rejected")
    r = reconcile_dian(docs, erp_row(docs))
    assert r.differences["cause"].tolist() == ["cancelled_open"]
    assert "rejected by the DIAN" in r.differences["explanation"].iloc[0]


def test_nit_with_and_without_check_digit() -> None:
    assert same_nit("900123456", "900123456-7")
    assert same_nit("900123456", "9001234567")
    assert same_nit("800.197.268-4", "800197268")
    assert not same_nit("900123456", "900123457")


def test_credit_note_against_an_erp_invoice_is_a_kind_difference() -> None:
    docs = frame(
        FISCAL_DOCS,
        [
            {
                "uuid": "ab" * 48,
                "kind": "credit_note",
                "issuer_tax_id": "1",
                "receiver_tax_id": "2",
                "issue_date": "2026-10-01",
                "currency": "COP",
                "total": 5000,
            }
        ],
    )
    erp = open_items(
        [
            {
                "customer_id": "C",
                "document_id": "NC1",
                "fiscal_uuid": "AB" * 48,
                "document_type": "invoice",
                "currency": "COP",
                "amount_original": -5000,
                "amount_open": -5000,
                "due_date": "2026-10-01",
            }
        ]
    )
    r = reconcile_dian(docs, erp)
    assert r.differences["cause"].tolist() == ["kind"]
    assert_controls_balance(r)


def test_fiscal_documents_carry_their_provenance() -> None:
    """Written by hand (no source_file): the fiscal_docs row; imported from XML (file and
    line): the XML's; the finding of a document the ERP lacks points there, not at 'dian'."""
    base = {
        "kind": "invoice",
        "issuer_tax_id": "1",
        "receiver_tax_id": "2",
        "issue_date": "2026-10-01",
        "currency": "COP",
        "total": 5000,
    }
    docs = frame(
        FISCAL_DOCS,
        [
            {**base, "uuid": "ab" * 48, "document_number": "FV1"},
            {**base, "uuid": "cd" * 48, "document_number": "FV2", "source_file": "fv2.xml"},
        ],
    )
    docs["source_line"] = ["", "7"]
    r = reconcile_dian(docs, open_items([]))
    assert sorted(r.left_only["left_rows"]) == ["fv2.xml:7", "test.csv:2"]
    located = sorted(str(f.location) for f in r.findings if f.code == "MISSING_IN_ERP")
    assert located == ["fv2.xml:7", "test.csv:2"]
