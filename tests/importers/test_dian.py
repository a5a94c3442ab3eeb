"""DIAN UBL 2.1 Invoice / CreditNote / DebitNote / AttachedDocument (cuadre.importers.dian)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.importers import dian
from cuadre.importers.fiscal import import_fiscal
from fiscal_golden import GOLDEN, assert_golden, case_inputs, codes, real
from golden_util import REALDATA

SAMPLE = "dian/ubl21dian_invoice_unsigned_dian_v2.xml"
SAMPLE_BYTES = (REALDATA / SAMPLE).read_bytes() if (REALDATA / SAMPLE).exists() else b""
needs_sample = pytest.mark.skipif(not SAMPLE_BYTES, reason="realdata absent")
CUFE = (
    "e633d09279badff1414e7e00f0c9322c01879754c0349e2ea8acd357a474962e"
    "17729d393a8bb4094ff3f29dbf0e3af1"
)


def wrap(inner: bytes, code: str = "02", uuid: str = CUFE) -> bytes:
    """An AttachedDocument carrying ``inner`` in CDATA, as the DIAN delivers it."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<AttachedDocument xmlns="urn:oasis:names:specification:ubl:schema:xsd:AttachedDocument-2"'
        b' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
        b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        b"<cbc:ID>1</cbc:ID><cac:Attachment><cac:ExternalReference><cbc:Description>\n"
        b"<![CDATA[" + inner + b"]]></cbc:Description></cac:ExternalReference></cac:Attachment>"
        b"<cac:ParentDocumentLineReference><cac:DocumentReference>"
        b"<cbc:UUID>" + uuid.encode() + b"</cbc:UUID><cac:ResultOfVerification>"
        b"<cbc:ValidationResultCode>" + code.encode() + b"</cbc:ValidationResultCode>"
        b"</cac:ResultOfVerification></cac:DocumentReference></cac:ParentDocumentLineReference>"
        b"</AttachedDocument>"
    )


# --------------------------------------------------------------------------- golden


@pytest.mark.realdata
def test_golden_realdata_invoice(realdata):
    docs, comps, found = import_fiscal(real(SAMPLE))
    assert_golden(GOLDEN / "dian" / "realdata_invoice", docs, comps, found)
    doc = docs.iloc[0]
    assert doc["uuid"] == CUFE
    assert (doc["series"], doc["folio"], doc["document_number"]) == (
        "SETP",
        "990000008",
        "SETP990000008",
    )
    assert (doc["issuer_tax_id"], doc["issuer_name"]) == ("901210113", "FACTURADOR DE EJEMPLO")
    assert (doc["subtotal"], doc["discount"], doc["taxes_transferred"], doc["total"]) == (
        172000000,
        5900000,
        34206000,
        202306000,
    )
    # the DIAN example's DueDate (2019-04-04) is before its IssueDate (2019-06-12)
    assert codes(found) == {"DUE_BEFORE_ISSUE"}


@pytest.mark.parametrize("case", ["credit_note", "debit_note", "attached_document"])
def test_golden_hand_written(case):
    folder = GOLDEN / "dian" / case
    assert_golden(folder, *import_fiscal(case_inputs(folder)))


def test_hand_written_values():
    docs, _, found = import_fiscal(case_inputs(GOLDEN / "dian" / "credit_note"))
    note = docs.iloc[0]
    assert note["kind"] == "credit_note" and note["related_uuids"] == f"1:{CUFE}"
    assert note["series"] == "" and note["folio"] == "NC77"
    assert [f.code for f in found] == ["NIT_CHECK_DIGIT"]
    assert "carries check digit 2, but its check digit is 7" in found[0].message

    docs, _, found = import_fiscal(case_inputs(GOLDEN / "dian" / "debit_note"))
    note = docs.iloc[0]
    assert (note["kind"], note["currency"], note["exchange_rate"]) == (
        "debit_note",
        "USD",
        "4012.35",
    )
    assert str(note["due_date"].date()) == "2026-11-21"  # PaymentMeans/PaymentDueDate
    assert note["taxes_withheld"] == 1000
    assert codes(found) == {"NIT_CHECK_DIGIT", "DIAN_TOTAL_MISMATCH"}

    docs, _, found = import_fiscal(case_inputs(GOLDEN / "dian" / "attached_document"))
    invoice = docs.iloc[0]
    assert not found
    assert (invoice["status"], invoice["series"], invoice["folio"]) == ("valid", "FE", "1200")
    assert invoice["total"] == 413500000  # payable includes the third-party charges


# --------------------------------------------------------------------------- wrapper


@needs_sample
def test_attached_document_reads_like_the_bare_invoice():
    bare, _, _ = import_fiscal([(SAMPLE_BYTES, "f.xml")])
    wrapped, _, found = import_fiscal([(wrap(SAMPLE_BYTES), "f.xml")])
    assert wrapped["status"].iloc[0] == "valid"
    drop = ["status", "source_line"]
    assert wrapped.drop(columns=drop).equals(bare.drop(columns=drop))
    assert codes(found) == {"DUE_BEFORE_ISSUE"}


@needs_sample
def test_rejected_and_mismatched_wrappers():
    _, _, found = import_fiscal([(wrap(SAMPLE_BYTES, code="04"), "f.xml")])
    assert "DIAN_REJECTED" in codes(found)
    _, _, found = import_fiscal([(wrap(SAMPLE_BYTES, uuid="ab" * 48), "f.xml")])
    assert "ATTACHED_UUID_MISMATCH" in codes(found)
    _, _, found = import_fiscal([(wrap(b""), "f.xml")])
    assert codes(found) == {"ATTACHMENT_MISSING"}
    _, _, found = import_fiscal([(wrap(b"<Invoice><broken"), "f.xml")])
    assert codes(found) == {"XML_INVALID"}
    assert str(found[0].location).startswith("f.xml#Attachment")


# --------------------------------------------------------------------------- NIT


@pytest.mark.parametrize(
    ("nit", "dv"),
    [("800197268", 4), ("860034313", 7), ("901210113", 3), ("9000000", 3), ("830122566", 1)],
)
def test_nit_check_digit(nit, dv):
    assert dian.nit_check_digit(nit) == dv


@needs_sample
def test_wrong_check_digit_in_the_real_sample_is_reported():
    company = re.search(rb"<cbc:CompanyID[^>]*>901210113</cbc:CompanyID>", SAMPLE_BYTES)
    assert company
    tag = company.group(0)
    bad = SAMPLE_BYTES.replace(tag, tag.replace(b'schemeID="3"', b'schemeID="5"'), 1)
    _, _, found = import_fiscal([(bad, "f.xml")])
    (nit,) = [f for f in found if f.code == "NIT_CHECK_DIGIT"]
    assert "supplier NIT 901210113 carries check digit 5, but its check digit is 3" in nit.message
    letters = SAMPLE_BYTES.replace(b">901210113</cbc:CompanyID>", b">90121011A</cbc:CompanyID>", 1)
    assert "NIT_INVALID" in codes(import_fiscal([(letters, "f.xml")])[2])


# --------------------------------------------------------------------------- other UBL


GENERIC_UBL = b"""<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>INV-7</cbc:ID><cbc:IssueDate>2026-10-01</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>ESB12345678</cbc:CompanyID>
 </cac:PartyTaxScheme></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Cliente SL</cbc:RegistrationName>
 <cbc:CompanyID>ESB87654321</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">199.50</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">1000.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">950.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">1149.50</cbc:TaxInclusiveAmount>
  <cbc:AllowanceTotalAmount currencyID="EUR">50.00</cbc:AllowanceTotalAmount>
  <cbc:PrepaidAmount currencyID="EUR">100.00</cbc:PrepaidAmount>
  <cbc:PayableAmount currencyID="EUR">1049.50</cbc:PayableAmount>
 </cac:LegalMonetaryTotal></Invoice>"""


def test_other_ubl_invoices_use_the_en16931_rules():
    docs, _, found = import_fiscal([(GENERIC_UBL, "peppol.xml")])
    assert codes(found) == {"MISSING_CUFE"}
    assert docs["total"].iloc[0] == 104950 and docs["receiver_name"].iloc[0] == "Cliente SL"
    bad = GENERIC_UBL.replace(b">1049.50<", b">1149.50<")
    (mismatch,) = [f for f in import_fiscal([(bad, "p.xml")])[2] if f.code == "DIAN_TOTAL_MISMATCH"]
    assert "PayableAmount 1,149.50 EUR != TaxInclusiveAmount 1,149.50 EUR - PrepaidAmount" in (
        mismatch.message
    )


def test_detect():
    assert dian.detect(GENERIC_UBL, "x.txt")
    assert dian.detect(wrap(b"<x/>"), "x")
    assert not dian.detect(b"<Invoice><ID>1</ID></Invoice>", "factura.xml")


# --------------------------------------------------------------------------- attacks

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&c;</ID></Invoice>"""


def test_xml_attacks_are_refused_outside_and_inside_the_wrapper():
    docs, _, found = import_fiscal([(LAUGHS, "evil.xml")])
    assert docs.empty and codes(found) == {"XML_REFUSED"}
    xxe = LAUGHS.replace(b'<!ENTITY a "aaaaaaaaaa">', b'<!ENTITY a SYSTEM "file:///etc/passwd">')
    docs, _, found = import_fiscal([(wrap(xxe), "evil.xml")])
    assert docs.empty and codes(found) == {"XML_REFUSED"}
    assert str(found[0].location) == "evil.xml#Attachment"


# --------------------------------------------------------------------------- fuzz


def _change_element_digit(data: bytes, element: str, pick: int, step: int) -> bytes:
    m = re.search(rb"<cbc:" + element.encode() + rb"[^>]*>([^<]+)<", data)
    assert m, element
    digits = [m.start(1) + i for i, c in enumerate(m.group(1)) if chr(c).isdigit()]
    at = digits[pick % len(digits)]
    new = ord("0") + (data[at] - ord("0") + 1 + step % 9) % 10
    return data[:at] + bytes([new]) + data[at + 1 :]


@needs_sample
@settings(max_examples=40, deadline=None)
@given(
    element=st.sampled_from(
        [
            "PayableAmount",
            "TaxInclusiveAmount",
            "LineExtensionAmount",
            "TaxAmount",
            "AllowanceTotalAmount",
            "ChargeTotalAmount",
        ]
    ),
    pick=st.integers(0, 20),
    step=st.integers(0, 8),
)
def test_a_changed_amount_is_always_caught(element, pick, step):
    changed = _change_element_digit(SAMPLE_BYTES, element, pick, step)
    found = codes(import_fiscal([(changed, "f.xml")])[2])
    assert found & {"DIAN_TOTAL_MISMATCH", "DIAN_LINES_MISMATCH"}
