"""Colombian DIAN e-invoices (UBL 2.1 Invoice, CreditNote, DebitNote) into fiscal_docs.

What: one fiscal_docs row per document: cbc:UUID (CUFE for invoices, CUDE for notes,
SHA-384 hex, kept lower case), cbc:ID (``series`` is the authorised prefix from
DianExtensions when the number starts with it), IssueDate, DueDate or
PaymentMeans/PaymentDueDate, DocumentCurrencyCode, supplier and customer
PartyTaxScheme CompanyID + RegistrationName, LegalMonetaryTotal (RequestedMonetaryTotal
in debit notes), TaxTotal and WithholdingTaxTotal, PaymentMeans (``payment_method`` =
PaymentMeans/ID, 1 cash / 2 credit; ``payment_form`` = PaymentMeansCode) and, for notes,
BillingReference -> ``related_uuids`` (``CODE:CUFE``, CODE = DiscrepancyResponse/
ResponseCode, the note's concept).

The AttachedDocument wrapper (what the buyer receives by e-mail) carries the document as
text in cac:Attachment/cac:ExternalReference/cbc:Description (CDATA); it is parsed with
:func:`~cuadre.importers.base.parse_xml` too. Its ResultOfVerification/
ValidationResultCode gives ``status``: 02 validated by the DIAN -> ``valid``,
04 rejected -> ``rejected`` (reported).

Columns: ``subtotal`` = LineExtensionAmount, ``discount`` = AllowanceTotalAmount,
``taxes_transferred`` = sum of TaxTotal/TaxAmount, ``taxes_withheld`` = sum of
WithholdingTaxTotal/TaxAmount (informative: the DIAN does not subtract them from the
payable amount), ``total`` = PayableAmount. ChargeTotalAmount and PrepaidAmount have no
column yet (records carry them as ``charges`` and ``prepaid``, written once the schema
has them).

Checks, with both sides in the message:

- ``DIAN_TOTAL_MISMATCH``: TaxInclusiveAmount = LineExtensionAmount + taxes, and
  PayableAmount = TaxInclusiveAmount - AllowanceTotalAmount + ChargeTotalAmount -
  PrepaidAmount + PayableRoundingAmount (DIAN Anexo técnico, LegalMonetaryTotal rules).
  A UBL document without DIAN marks is checked with the EN 16931 rules instead
  (BR-CO-13..16: allowances and charges inside TaxExclusiveAmount);
- ``DIAN_LINES_MISMATCH``: the lines' LineExtensionAmount add up to the document's;
- ``NIT_CHECK_DIGIT``: CompanyID with schemeName 31 (NIT) and its schemeID (the check
  digit): weights 3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71 from the
  rightmost digit, r = sum mod 11, DV = r if r < 2 else 11 - r;
- a missing CUFE/CUDE, due date before the issue date, amounts in another currency
  than the document's.

Why own code: no Python package reads DIAN's UBL profile (the registries have API
clients of invoicing providers and NIT validators); the fields needed are a few dozen
paths, read by local name through the safe XML parser. python-stdnum's ``co.nit`` has
the same check digit; it is not a dependency for five lines, tested here against the
DIAN's own NIT (800197268-4) and the samples.

Reference: DIAN, *Anexo técnico de factura electrónica de venta* (UBL 2.1 profile
"DIAN 2.1": LegalMonetaryTotal rules, CUFE/CUDE SHA-384, AttachedDocument), OASIS UBL
2.1; EN 16931-1 business rules BR-CO-13 to BR-CO-16.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from cuadre.importers.base import XmlElement, local, parse_xml
from cuadre.importers.fiscal import (
    FiscalImport,
    Reader,
    child,
    children,
    descendants,
    fiscal_result,
    head_text,
    minor_units,
    nothing,
    path,
    show,
    tag_lines,
    text_at,
    xml_start,
)

FORMAT = "dian"

UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
KINDS = {"Invoice": "invoice", "CreditNote": "credit_note", "DebitNote": "debit_note"}
LINES = {"Invoice": "InvoiceLine", "CreditNote": "CreditNoteLine", "DebitNote": "DebitNoteLine"}
WRAPPER = "AttachedDocument"
VALIDATION = {"02": "valid", "04": "rejected"}

NIT_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
NIT_SCHEME = "31"
"""schemeName of CompanyID for a NIT (DIAN table 13.2.1, tipos de documento de identidad)."""

_ROOT = re.compile(r"<(?:[\w.-]+:)?(Invoice|CreditNote|DebitNote|AttachedDocument)[\s>]")
_HEX = re.compile(r"[0-9a-f]{96}")


def detect(data: bytes, name: str) -> bool:
    """A UBL 2.1 Invoice, CreditNote, DebitNote or AttachedDocument root element."""
    head = head_text(data)
    found = _ROOT.search(head)
    return bool(found) and f"{UBL}{found.group(1) if found else ''}-2" in head


def nit_check_digit(nit: str) -> int:
    """DIAN check digit of a NIT (digits only, at most 15).

    >>> nit_check_digit("901210113")
    3
    >>> nit_check_digit("800197268")
    4
    """
    total = sum(int(d) * w for d, w in zip(reversed(nit), NIT_WEIGHTS, strict=False))
    r = total % 11
    return r if r < 2 else 11 - r


def read(data: bytes, source: str) -> FiscalImport:
    root, problems = parse_xml(xml_start(data), source)
    if root is None:
        return nothing(problems, FORMAT)
    name = local(root.tag)
    lines = tag_lines(data, name)
    r = Reader(source, lines[0] if lines else None)
    status = ""
    if name == WRAPPER:
        inner, status = unwrap(root, r)
        if inner is None:
            return nothing([*problems, *r.findings], FORMAT)
        root, name = inner, local(inner.tag)
    if name not in KINDS:
        r.error(
            "NOT_A_DIAN_DOCUMENT",
            f"the document is a UBL {name}, not an Invoice, CreditNote or DebitNote",
            "Give the invoice or note XML, or the AttachedDocument that carries it.",
        )
        return nothing([*problems, *r.findings], FORMAT)
    doc = read_document(root, name, r)
    doc["status"] = status
    if status == "rejected":
        r.warning(
            "DIAN_REJECTED",
            "the DIAN rejected this document (ValidationResultCode 04): it is not a valid "
            "e-invoice",
            "Ask the issuer for a corrected document validated by the DIAN.",
        )
    return fiscal_result([doc], [], [*problems, *r.findings], FORMAT)


def unwrap(wrapper: XmlElement, r: Reader) -> tuple[XmlElement | None, str]:
    """AttachedDocument -> (the document inside its CDATA, validation status)."""
    description = path(wrapper, "Attachment/ExternalReference/Description")
    text = (description.text or "") if description is not None else ""
    if not text.strip():
        r.error(
            "ATTACHMENT_MISSING",
            "the AttachedDocument carries no document in Attachment/ExternalReference/Description",
            "Give the invoice XML itself, or the AttachedDocument as the issuer sent it.",
        )
        return None, ""
    inner, problems = parse_xml(xml_start(text.encode("utf-8")), f"{r.source}#Attachment")
    r.findings.extend(problems)
    reference = path(wrapper, "ParentDocumentLineReference/DocumentReference")
    code = text_at(reference, "ResultOfVerification/ValidationResultCode")
    wrapped = text_at(reference, "UUID").lower()
    if inner is not None and wrapped and wrapped != text_at(inner, "UUID").lower():
        r.warning(
            "ATTACHED_UUID_MISMATCH",
            f"the AttachedDocument validates CUFE/CUDE {wrapped} but carries a document "
            f"with {text_at(inner, 'UUID').lower() or 'none'}",
            "The wrapper and the document do not belong together; ask the issuer to resend it.",
        )
    return inner, VALIDATION.get(code, "")


# --------------------------------------------------------------------------- the document


def read_document(root: XmlElement, name: str, r: Reader) -> dict[str, object]:
    number = text_at(root, "ID")
    uuid = text_at(root, "UUID").lower()
    label = "CUFE" if name == "Invoice" else "CUDE"
    r.what = f"DIAN {name} {number or '(no number)'}"
    check_uuid(uuid, label, r)
    prefix = authorised_prefix(root)
    series = prefix if prefix and number.startswith(prefix) else ""
    currency = r.currency(text_at(root, "DocumentCurrencyCode"))
    issuer, issuer_name = party(root, "AccountingSupplierParty", "supplier", r)
    receiver, receiver_name = party(root, "AccountingCustomerParty", "customer", r)
    issued = r.date(text_at(root, "IssueDate"), "IssueDate")
    if issued is None and not text_at(root, "IssueDate"):
        r.error("MISSING_DATE", "the document has no IssueDate", "The file is incomplete.")
    return {
        "uuid": uuid,
        "kind": KINDS[name],
        "series": series,
        "folio": number[len(series) :],
        "issuer_tax_id": issuer,
        "issuer_name": issuer_name,
        "receiver_tax_id": receiver,
        "receiver_name": receiver_name,
        "issue_date": issued,
        "due_date": due_date(root, issued, r),
        "currency": currency,
        "exchange_rate": text_at(root, "PaymentExchangeRate/CalculationRate"),
        **amounts(root, name, currency, r),
        "payment_method": text_at(root, "PaymentMeans/ID"),
        "payment_form": text_at(root, "PaymentMeans/PaymentMeansCode"),
        "related_uuids": related(root),
        "source_file": r.source,
        "document_number": number,
        "source_line": r.line,
    }


def check_uuid(uuid: str, label: str, r: Reader) -> None:
    if not uuid:
        r.warning(
            "MISSING_CUFE",
            f"the document has no {label} (cbc:UUID): it was not generated for the DIAN",
            f"Import the document as validated by the DIAN (its cbc:UUID holds the {label}).",
        )
    elif not _HEX.fullmatch(uuid):
        r.warning(
            "CUFE_FORMAT",
            f"{label} {uuid!r} is not 96 hexadecimal characters (SHA-384)",
            "Check the cbc:UUID of the document.",
        )


def authorised_prefix(root: XmlElement) -> str:
    for ext in descendants(root, "DianExtensions"):
        for prefix in descendants(ext, "Prefix"):
            return (prefix.text or "").strip()
    return ""


def first(*elements: XmlElement | None) -> XmlElement | None:
    """The first element that exists (an element without children is falsy: no ``or``)."""
    return next((e for e in elements if e is not None), None)


def is_dian(root: XmlElement) -> bool:
    """DIAN's profile, as opposed to another country's UBL invoice."""
    return (
        "DIAN" in text_at(root, "ProfileID").upper()
        or bool(descendants(root, "DianExtensions"))
        or any(el.get("schemeAgencyID") == "195" for el in descendants(root, "CompanyID"))
    )


def party(root: XmlElement, role: str, label: str, r: Reader) -> tuple[str, str]:
    """(NIT or other id, registered name) of the supplier or customer; checks the NIT."""
    p = path(root, f"{role}/Party")
    scheme = child(p, "PartyTaxScheme")
    company = first(
        child(scheme, "CompanyID"),
        path(p, "PartyLegalEntity/CompanyID"),
        path(p, "PartyIdentification/ID"),
    )
    name = (
        text_at(scheme, "RegistrationName")
        or text_at(p, "PartyLegalEntity/RegistrationName")
        or text_at(p, "PartyName/Name")
    )
    if company is None or not (company.text or "").strip():
        r.warning(
            "MISSING_TAX_ID",
            f"the {label} has no CompanyID (NIT)",
            "Every DIAN document names the supplier's and the customer's identification.",
        )
        return "", name
    tax_id = (company.text or "").strip()
    if company.get("schemeName", "").strip() == NIT_SCHEME:
        check_nit(tax_id, company.get("schemeID", "").strip(), label, r)
    return tax_id, name


def check_nit(nit: str, given: str, label: str, r: Reader) -> None:
    digits = nit.replace(".", "").replace(" ", "")
    if not digits.isdigit() or len(digits) > len(NIT_WEIGHTS):
        r.warning(
            "NIT_INVALID",
            f"the {label} NIT {nit!r} is not a number of at most 15 digits",
            "Write the NIT without the check digit, dots or dashes (e.g. 900123456).",
        )
        return
    expected = nit_check_digit(digits)
    if not given:
        r.warning(
            "NIT_CHECK_DIGIT",
            f"the {label} NIT {nit} has no check digit (schemeID); it should be {expected}",
            "The DIAN requires the check digit in CompanyID/@schemeID.",
        )
    elif given != str(expected):
        r.warning(
            "NIT_CHECK_DIGIT",
            f"the {label} NIT {nit} carries check digit {given}, but its check digit is {expected}",
            "The NIT or its check digit was mistyped in the invoicing software; ask the "
            "issuer to correct it (check it against the RUT).",
        )


def due_date(root: XmlElement, issued: dt.date | None, r: Reader) -> dt.date | None:
    text = text_at(root, "DueDate") or text_at(root, "PaymentMeans/PaymentDueDate")
    due = r.date(text, "DueDate")
    if due is not None and issued is not None and due < issued:
        r.warning(
            "DUE_BEFORE_ISSUE",
            f"due date {due} is before the issue date {issued}",
            "Check the DueDate / PaymentDueDate of the document; aging uses it as written.",
        )
    return due


def related(root: XmlElement) -> str:
    """``CODE:CUFE`` of each referenced invoice (BillingReference), CODE = the note's
    DiscrepancyResponse/ResponseCode when there is one."""
    code = text_at(root, "DiscrepancyResponse/ResponseCode")
    out: list[str] = []
    for ref in children(root, "BillingReference"):
        for doc in ref:
            uuid = text_at(doc, "UUID").lower()
            if uuid:
                out.append(f"{code}:{uuid}" if code else uuid)
    return ";".join(out)


# --------------------------------------------------------------------------- money


def amounts(root: XmlElement, name: str, currency: str, r: Reader) -> dict[str, object]:
    totals = first(child(root, "LegalMonetaryTotal"), child(root, "RequestedMonetaryTotal"))
    if totals is None:
        r.error(
            "MISSING_TOTAL",
            "the document has no LegalMonetaryTotal",
            "The file is incomplete; download it again.",
        )
    v = {
        tag: amount(child(totals, tag), tag, currency, r)
        for tag in (
            "LineExtensionAmount",
            "TaxExclusiveAmount",
            "TaxInclusiveAmount",
            "AllowanceTotalAmount",
            "ChargeTotalAmount",
            "PrepaidAmount",
            "PayableRoundingAmount",
            "PayableAmount",
        )
    }
    taxes = tax_sum(root, "TaxTotal", currency, r)
    withheld = tax_sum(root, "WithholdingTaxTotal", currency, r)
    if totals is not None:
        check_totals(v, taxes, is_dian(root), currency, r)
        check_lines(root, LINES[name], v["LineExtensionAmount"], currency, r)

    def money(value: Decimal | None, label: str) -> int | None:
        return r.money(value, currency, label)

    return {
        "subtotal": money(v["LineExtensionAmount"], "LineExtensionAmount"),
        "discount": money(v["AllowanceTotalAmount"], "AllowanceTotalAmount"),
        "taxes_transferred": money(taxes, "TaxTotal"),
        "taxes_withheld": money(withheld, "WithholdingTaxTotal"),
        "total": money(v["PayableAmount"], "PayableAmount"),
        "charges": money(v["ChargeTotalAmount"], "ChargeTotalAmount"),
        "prepaid": money(v["PrepaidAmount"], "PrepaidAmount"),
    }


def amount(el: XmlElement | None, label: str, currency: str, r: Reader) -> Decimal | None:
    if el is None:
        return None
    given = el.get("currencyID", "").strip().upper()
    if given and currency and given != currency:
        r.warning(
            "CURRENCY_MISMATCH",
            f"{label} is in {given}, the document in {currency}",
            "Amounts of a document are in its DocumentCurrencyCode; check the file.",
        )
    return r.number(el.text, label)


def tax_sum(root: XmlElement, tag: str, currency: str, r: Reader) -> Decimal | None:
    """Sum of the document-level TaxAmount of each ``tag`` in the document currency."""
    found = [child(t, "TaxAmount") for t in children(root, tag)]
    values = [
        amount(el, f"{tag}/TaxAmount", currency, r)
        for el in found
        if el is not None and el.get("currencyID", currency).strip().upper() == currency
    ]
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def check_totals(
    v: dict[str, Decimal | None], taxes: Decimal | None, dian: bool, currency: str, r: Reader
) -> None:
    """DIAN: TaxInclusive = LineExtension + taxes; Payable = TaxInclusive - Allowance +
    Charge - Prepaid + Rounding. EN 16931: TaxExclusive = LineExtension - Allowance +
    Charge; TaxInclusive = TaxExclusive + taxes; Payable = TaxInclusive - Prepaid + Rounding."""
    adjustments = [("-", "AllowanceTotalAmount"), ("+", "ChargeTotalAmount")]
    settle = [("-", "PrepaidAmount"), ("+", "PayableRoundingAmount")]
    taxed = {**v, "taxes": taxes}
    if dian:
        rules = [
            ("TaxInclusiveAmount", "LineExtensionAmount", [("+", "taxes")]),
            ("PayableAmount", "TaxInclusiveAmount", adjustments + settle),
        ]
    else:
        rules = [
            ("TaxExclusiveAmount", "LineExtensionAmount", adjustments),
            ("TaxInclusiveAmount", "TaxExclusiveAmount", [("+", "taxes")]),
            ("PayableAmount", "TaxInclusiveAmount", settle),
        ]
    for stated, base, terms in rules:
        _agree(stated, base, terms, taxed, currency, r)


def _agree(
    stated_name: str,
    base_name: str,
    terms: list[tuple[str, str]],
    v: dict[str, Decimal | None],
    currency: str,
    r: Reader,
) -> None:
    stated, base = v[stated_name], v[base_name]
    if stated is None or base is None:
        return
    computed, formula = base, f"{base_name} {show(base, currency)}"
    for sign, name in terms:
        value = v[name]
        if value is None:
            continue
        computed = computed + value if sign == "+" else computed - value
        formula += f" {sign} {name} {show(value, currency)}"
    if minor_units(stated, currency) == minor_units(computed, currency):
        return
    r.warning(
        "DIAN_TOTAL_MISMATCH",
        f"{stated_name} {show(stated, currency)} != {formula} = {show(computed, currency)} "
        f"(difference {show(stated - computed, currency)})",
        "The document's totals do not add up: ask the issuer for a corrected document; "
        "do not book it without checking.",
    )


def check_lines(
    root: XmlElement, tag: str, stated: Decimal | None, currency: str, r: Reader
) -> None:
    lines = children(root, tag)
    if stated is None or not lines:
        return
    values = [
        r.number(text_at(line, "LineExtensionAmount"), f"{tag} LineExtensionAmount")
        for line in lines
    ]
    computed = sum((v for v in values if v is not None), Decimal(0))
    if minor_units(computed, currency) != minor_units(stated, currency):
        r.warning(
            "DIAN_LINES_MISMATCH",
            f"LineExtensionAmount {show(stated, currency)} != the sum of its {len(lines)} "
            f"lines {show(computed, currency)} (difference {show(stated - computed, currency)})",
            "Lines may be missing or the file was edited; ask the issuer for the original.",
        )
