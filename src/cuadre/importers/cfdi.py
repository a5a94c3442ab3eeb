"""Mexican CFDI 3.3 / 4.0 XML (and its Pagos 1.0 / 2.0 complement) into fiscal_docs.

What: one fiscal_docs row per Comprobante (Serie, Folio, Fecha, Moneda, TipoCambio,
SubTotal, Descuento, Total, TipoDeComprobante, MetodoPago, FormaPago, Emisor and
Receptor Rfc + Nombre, Impuestos totals, CfdiRelacionados, TimbreFiscalDigital UUID) and
one payment_complements row per pago:DoctoRelacionado of a payment CFDI.

Checks (findings, never exceptions), each reported with both sides:

- ``CFDI_TOTAL_MISMATCH``: SubTotal - Descuento + TotalImpuestosTrasladados -
  TotalImpuestosRetenidos (+ implocal TotaldeTraslados - TotaldeRetenciones) != Total
  (compared in the currency's minor units);
- ``PAYMENT_BALANCE_MISMATCH``: ImpSaldoInsoluto != ImpSaldoAnt - ImpPagado, or negative;
- ``PAYMENT_AMOUNT_MISMATCH``: Monto outside the interval of the sum of ImpPagado /
  EquivalenciaDR (TipoCambioDR in Pagos 1.0), the bounds widened by half a unit of the
  last decimal written of each amount and rate (SAT rule CRP206 as CfdiUtils applies it);
- ``PAYMENT_TOTAL_MISMATCH``: Pagos 2.0 Totales/MontoTotalPagos != the sum of Monto x
  TipoCambioP in MXN (within a cent per pago);
- not stamped (no TimbreFiscalDigital, so the SAT does not know it), missing or malformed
  RFC, a DoctoRelacionado without IdDocumento, amounts with more decimals than the
  currency (``ROUNDED``: CFDI allows up to 6 in some fields).

Money: amounts parsed as exact ``Decimal`` from the attribute text, then minor units of
the row's currency (:mod:`cuadre.money`). Payment CFDI carry Moneda ``XXX`` and zero
totals by rule (the money is in the complement); XXX is kept as written. Dates keep the
day (Fecha's time is dropped: the tables hold dates).

Why not satcfdi (suggested by the issue): tried on the 62 real samples, it raised on 7
of the 8 CfdiUtils Pagos 2.0 files (KeyError on a missing Sello or IdDocumento: real,
anonymised payments that omit attributes the schema requires) where an importer must
report and go on; it parses XML with its own parser settings, outside our hardened
gate; and it brings about 30 packages (cryptography, pyOpenSSL, weasyprint, pillow,
requests...) to read a few dozen attributes. The reading here goes through
:func:`cuadre.importers.base.parse_xml` (hardened lxml), by local names, so 3.3 and 4.0 (and re-serialised
files with other prefixes) read the same.

Reference: SAT Anexo 20 (CFDI 4.0, ``http://www.sat.gob.mx/cfd/4``; 3.3,
``http://www.sat.gob.mx/cfd/3``), Complemento para recepción de Pagos 2.0
(``http://www.sat.gob.mx/Pagos20``) and 1.0 (``http://www.sat.gob.mx/Pagos``), Timbre
Fiscal Digital 1.1, implocal 1.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from cuadre.findings import Finding, Location, error
from cuadre.importers.base import XmlElement, local, parse_xml
from cuadre.importers.fiscal import (
    FiscalImport,
    Reader,
    child,
    children,
    decimal_text,
    descendants,
    exponent_or_2,
    fiscal_result,
    head_text,
    minor_units,
    namespace,
    nothing,
    show,
    tag_lines,
    xml_start,
)

FORMAT = "cfdi"

CFDI_NAMESPACES = {"http://www.sat.gob.mx/cfd/4": "4.0", "http://www.sat.gob.mx/cfd/3": "3.3"}
PAGOS_NAMESPACES = ("http://www.sat.gob.mx/Pagos20", "http://www.sat.gob.mx/Pagos")
TFD_NAMESPACE = "http://www.sat.gob.mx/TimbreFiscalDigital"

KINDS = {"I": "invoice", "E": "credit_note", "P": "payment", "T": "other", "N": "other"}
"""TipoDeComprobante (c_TipoDeComprobante): Ingreso, Egreso, Pago, Traslado, Nómina."""

RFC = re.compile(r"[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}")
"""12 characters for companies, 13 for individuals (the last three are the homoclave)."""

_ROOT = re.compile(r"<(?:[\w.-]+:)?Comprobante[\s>]")


def detect(data: bytes, name: str) -> bool:
    """A CFDI: a Comprobante element in the SAT cfd/3 or cfd/4 namespace."""
    head = head_text(data)
    return bool(_ROOT.search(head)) and any(ns in head for ns in CFDI_NAMESPACES)


def read(data: bytes, source: str) -> FiscalImport:
    root, problems = parse_xml(xml_start(data), source)
    if root is None:
        return nothing(problems, FORMAT)
    if local(root.tag) != "Comprobante" or namespace(root.tag) not in CFDI_NAMESPACES:
        return nothing([*problems, _not_cfdi(source, root)], FORMAT)
    lines = {name: tag_lines(data, name) for name in ("Comprobante", "Pago", "DoctoRelacionado")}
    r = Reader(source, lines["Comprobante"][0] if lines["Comprobante"] else None)
    doc = read_document(root, r)
    complements = read_payments(root, doc, r, lines)
    return fiscal_result([doc], complements, [*problems, *r.findings], FORMAT)


def _not_cfdi(source: str, root: XmlElement) -> Finding:
    return error(
        Location(source),
        "NOT_A_CFDI",
        f"the root element is {local(root.tag)} in {namespace(root.tag) or 'no namespace'}, "
        "not a cfdi:Comprobante of CFDI 3.3 or 4.0",
        "Give the stamped CFDI XML.",
    )


# --------------------------------------------------------------------------- the document


def read_document(root: XmlElement, r: Reader) -> dict[str, object]:
    a = root.attrib
    uuid = stamp_uuid(root)
    series, folio = a.get("Serie", "").strip(), a.get("Folio", "").strip()
    number = f"{series}-{folio}" if series and folio else series or folio
    r.what = f"CFDI {number or '(no folio)'}" + (f" (UUID {uuid})" if uuid else "")
    kind_code = a.get("TipoDeComprobante", "").strip().upper()
    kind = KINDS.get(kind_code, "other")
    if kind_code not in KINDS:
        r.warning(
            "UNKNOWN_KIND",
            f"TipoDeComprobante {kind_code!r} is not I, E, P, T or N; read as 'other'",
            "Check the document type in the XML.",
        )
    if not uuid:
        r.warning(
            "CFDI_NOT_STAMPED",
            "there is no TimbreFiscalDigital, so the SAT does not know this document and "
            "it has no UUID",
            "Import the stamped XML the PAC returned (it ends with the tfd:TimbreFiscalDigital).",
        )
    currency = r.currency(a.get("Moneda"), allow_xxx=kind in ("payment", "other"))
    amounts = document_amounts(root, currency, r)
    issuer, receiver = child(root, "Emisor"), child(root, "Receptor")
    return {
        "uuid": uuid,
        "kind": kind,
        "series": series,
        "folio": folio,
        "issuer_tax_id": rfc(issuer, "Emisor", r),
        "issuer_name": _attr(issuer, "Nombre"),
        "receiver_tax_id": rfc(receiver, "Receptor", r),
        "receiver_name": _attr(receiver, "Nombre"),
        "issue_date": issue_date(a.get("Fecha"), r),
        "due_date": None,
        "currency": currency,
        "exchange_rate": a.get("TipoCambio", "").strip(),
        **amounts,
        "payment_method": a.get("MetodoPago", "").strip().upper(),
        "payment_form": a.get("FormaPago", "").strip(),
        "status": "",
        "related_uuids": related_uuids(root),
        "source_file": r.source,
        "document_number": number,
        "source_line": r.line,
    }


def _attr(el: XmlElement | None, name: str) -> str:
    return el.get(name, "").strip() if el is not None else ""


def issue_date(text: str | None, r: Reader) -> object:
    if text is None or not text.strip():
        r.error("MISSING_DATE", "the document has no Fecha", "The file is incomplete.")
        return None
    return r.date(text, "Fecha")


def stamp_uuid(root: XmlElement) -> str:
    """The UUID the PAC assigned (tfd:TimbreFiscalDigital), upper case; '' if unstamped."""
    for el in descendants(root, "TimbreFiscalDigital"):
        if namespace(el.tag) == TFD_NAMESPACE and el.get("UUID", "").strip():
            return el.get("UUID", "").strip().upper()
    return ""


def rfc(party: XmlElement | None, role: str, r: Reader) -> str:
    raw = _attr(party, "Rfc")
    value = raw.replace(" ", "").upper()
    if not value:
        r.warning(
            "MISSING_TAX_ID",
            f"{role} has no Rfc",
            "Every CFDI names the issuer's and the receiver's RFC; the file is incomplete.",
        )
    elif not RFC.fullmatch(value):
        r.warning(
            "RFC_INVALID",
            f"{role} Rfc {raw!r} is not an RFC (12 characters for companies, 13 for individuals)",
            "Check the RFC in the XML against the party's tax certificate.",
        )
    return value


def related_uuids(root: XmlElement) -> str:
    """``01:UUID;04:UUID``: every CfdiRelacionados (4.0 allows several), with its type."""
    out: list[str] = []
    for group in children(root, "CfdiRelacionados"):
        kind = group.get("TipoRelacion", "").strip()
        for rel in children(group, "CfdiRelacionado"):
            uuid = rel.get("UUID", "").strip().upper()
            if uuid:
                out.append(f"{kind}:{uuid}" if kind else uuid)
    return ";".join(out)


def document_amounts(root: XmlElement, currency: str, r: Reader) -> dict[str, object]:
    """The money columns, and the check that the document adds up."""
    a = root.attrib
    taxes = child(root, "Impuestos")
    local_taxes = next(iter(descendants(root, "ImpuestosLocales")), None)
    subtotal = r.number(a.get("SubTotal"), "SubTotal")
    discount = r.number(a.get("Descuento"), "Descuento")
    transferred = _sum(
        r.number(_attr(taxes, "TotalImpuestosTrasladados"), "TotalImpuestosTrasladados"),
        r.number(_attr(local_taxes, "TotaldeTraslados"), "implocal TotaldeTraslados"),
    )
    withheld = _sum(
        r.number(_attr(taxes, "TotalImpuestosRetenidos"), "TotalImpuestosRetenidos"),
        r.number(_attr(local_taxes, "TotaldeRetenciones"), "implocal TotaldeRetenciones"),
    )
    total = r.number(a.get("Total"), "Total")
    if total is None and not any(f.code == "NOT_A_NUMBER" for f in r.findings):
        r.error("MISSING_TOTAL", "the document has no Total", "The file is incomplete.")
    check_total(subtotal, discount, transferred, withheld, total, currency, r)
    return {
        "subtotal": r.money(subtotal, currency, "SubTotal"),
        "discount": r.money(discount, currency, "Descuento"),
        "taxes_transferred": r.money(transferred, currency, "taxes transferred"),
        "taxes_withheld": r.money(withheld, currency, "taxes withheld"),
        "total": r.money(total, currency, "Total"),
    }


def _sum(*values: Decimal | None) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def check_total(
    subtotal: Decimal | None,
    discount: Decimal | None,
    transferred: Decimal | None,
    withheld: Decimal | None,
    total: Decimal | None,
    currency: str,
    r: Reader,
) -> None:
    """SubTotal - Descuento + traslados - retenciones = Total (Anexo 20, Total)."""
    if subtotal is None or total is None:
        return
    zero = Decimal(0)
    computed = subtotal - (discount or zero) + (transferred or zero) - (withheld or zero)
    if minor_units(computed, currency) == minor_units(total, currency):
        return
    c = currency
    r.warning(
        "CFDI_TOTAL_MISMATCH",
        f"Total {show(total, c)} != SubTotal {show(subtotal, c)} - Descuento "
        f"{show(discount or zero, c)} + taxes transferred {show(transferred or zero, c)} - "
        f"taxes withheld {show(withheld or zero, c)} = {show(computed, c)} "
        f"(difference {show(total - computed, c)})",
        "The document does not add up: ask the issuer to cancel and reissue it; do not "
        "book it at the Total without checking.",
    )


# --------------------------------------------------------------------------- payments


def read_payments(
    root: XmlElement, doc: dict[str, object], r: Reader, lines: dict[str, list[int]]
) -> list[dict[str, object]]:
    """Pagos 2.0 / 1.0: one row per DoctoRelacionado, with its pago:Pago.

    ``lines``: the line of each pago:Pago and DoctoRelacionado start tag, in order (used
    only when the counts agree with the tree)."""
    pagos = [p for p in descendants(root, "Pagos") if namespace(p.tag) in PAGOS_NAMESPACES]
    n_pago = sum(len(children(p, "Pago")) for p in pagos)
    n_docto = sum(len(descendants(p, "DoctoRelacionado")) for p in pagos)
    pago_lines = lines["Pago"] if len(lines["Pago"]) == n_pago else []
    docto_lines = lines["DoctoRelacionado"] if len(lines["DoctoRelacionado"]) == n_docto else []
    rows: list[dict[str, object]] = []
    index = 0
    for pagos_el in pagos:
        payments = children(pagos_el, "Pago")
        for pago in payments:
            index += 1
            line = pago_lines[index - 1] if pago_lines else None
            rows.extend(read_pago(pago, index, doc, r, (line, docto_lines), len(rows)))
        check_pagos_total(pagos_el, payments, r)
    if pagos and doc["kind"] != "payment":
        r.warning(
            "UNEXPECTED_COMPLEMENT",
            f"a Pagos complement in a CFDI of type {doc['kind']} (expected TipoDeComprobante P)",
            "Check the document type; its payments are imported as they are.",
        )
    if doc["kind"] == "payment" and not pagos:
        r.info(
            "NO_PAYMENTS",
            "a payment CFDI (type P) without a Pagos complement: nothing paid is listed",
            "",
        )
    return rows


def read_pago(
    pago: XmlElement,
    index: int,
    doc: dict[str, object],
    r: Reader,
    lines: tuple[int | None, list[int]],
    before: int,
) -> list[dict[str, object]]:
    a = pago.attrib
    pago_line, docto_lines = lines
    where = f"Pago {index}"
    currency = r.currency(a.get("MonedaP"), pago_line)
    monto = r.number(a.get("Monto"), f"{where} Monto", pago_line)
    shared = {
        "complement_uuid": doc["uuid"],
        "payment_index": index,
        "payment_date": r.date(a.get("FechaPago"), f"{where} FechaPago", pago_line),
        "payment_form": a.get("FormaDePagoP", "").strip(),
        "payment_currency": currency,
        "payment_amount": r.money(monto, currency, f"{where} Monto", pago_line),
        "issuer_tax_id": doc["issuer_tax_id"],
        "receiver_tax_id": doc["receiver_tax_id"],
        "source_file": r.source,
    }
    documents = children(pago, "DoctoRelacionado")
    # Pagos 1.0 lets a payment of one document in its own currency omit ImpPagado
    implied = monto if len(documents) == 1 else None
    rows: list[dict[str, object]] = []
    bounds: list[tuple[Decimal, Decimal]] = []
    for j, dr in enumerate(documents, start=1):
        position = before + j - 1
        line = docto_lines[position] if position < len(docto_lines) else None
        docto = Docto(f"{where}, DoctoRelacionado {j}", currency, implied, line)
        row, bound = read_docto(dr, docto, r)
        if bound is not None:
            bounds.append(bound)
        rows.append({**row, **shared, "related_index": j, "source_line": line})
    if monto is not None and bounds and len(bounds) == len(rows):
        check_pago_amount(monto, bounds, currency, where, r, pago_line)
    return rows


@dataclass(frozen=True)
class Docto:
    """Where a DoctoRelacionado sits, and what its pago:Pago says about it."""

    where: str
    payment_currency: str
    implied_paid: Decimal | None
    line: int | None


def read_docto(
    dr: XmlElement, d: Docto, r: Reader
) -> tuple[dict[str, object], tuple[Decimal, Decimal] | None]:
    """One DoctoRelacionado -> row fields, and the bounds of its ImpPagado in MonedaP."""
    a, where, line = dr.attrib, d.where, d.line
    uuid = a.get("IdDocumento", "").strip().upper()
    if not uuid:
        r.warning(
            "PAYMENT_DOCUMENT_UNKNOWN",
            f"{where} has no IdDocumento: the invoice it pays cannot be identified",
            "Ask the issuer for a payment complement that names the UUID of each invoice paid.",
            line,
        )
    currency = r.currency(a.get("MonedaDR") or d.payment_currency, line)
    rate_text = (a.get("EquivalenciaDR") or a.get("TipoCambioDR") or "").strip()
    before = r.number(a.get("ImpSaldoAnt"), f"{where} ImpSaldoAnt", line)
    paid = r.number(a.get("ImpPagado"), f"{where} ImpPagado", line)
    if paid is None and not a.get("ImpPagado") and d.implied_paid is not None and not rate_text:
        paid = d.implied_paid
        r.info(
            "IMPLIED_AMOUNT_PAID",
            f"{where} has no ImpPagado; taken as the payment's Monto {paid} (Pagos 1.0 "
            "allows it for a single document)",
            line=line,
        )
    after = r.number(a.get("ImpSaldoInsoluto"), f"{where} ImpSaldoInsoluto", line)
    installment = a.get("NumParcialidad", "").strip()
    if installment and not installment.isdigit():
        r.warning(
            "NOT_A_NUMBER",
            f"{where} NumParcialidad {installment!r} is not a whole number",
            "The installment number counts the payments of the invoice: 1, 2, 3...",
            line,
        )
    check_balance(before, paid, after, currency, where, r, line)
    row: dict[str, object] = {
        "related_uuid": uuid,
        "related_series": a.get("Serie", "").strip(),
        "related_folio": a.get("Folio", "").strip(),
        "currency": currency,
        "equivalence": rate_text,
        "installment": int(installment) if installment.isdigit() else None,
        "balance_before": r.money(before, currency, f"{where} ImpSaldoAnt", line),
        "amount_paid": r.money(paid, currency, f"{where} ImpPagado", line),
        "balance_after": r.money(after, currency, f"{where} ImpSaldoInsoluto", line),
    }
    bound = paid_bounds(paid, rate_text, currency, d.payment_currency, where, r, line)
    return row, bound


def check_balance(
    before: Decimal | None,
    paid: Decimal | None,
    after: Decimal | None,
    currency: str,
    where: str,
    r: Reader,
    line: int | None,
) -> None:
    """ImpSaldoInsoluto = ImpSaldoAnt - ImpPagado, and not negative (CRP226)."""
    if before is None or paid is None or after is None:
        return
    c = currency
    if after != before - paid:
        r.warning(
            "PAYMENT_BALANCE_MISMATCH",
            f"{where}: ImpSaldoInsoluto {show(after, c)} != ImpSaldoAnt {show(before, c)} - "
            f"ImpPagado {show(paid, c)} = {show(before - paid, c)}",
            "The complement's balances do not chain: ask the issuer to cancel and reissue it.",
            line,
        )
    elif after < 0:
        r.warning(
            "PAYMENT_BALANCE_MISMATCH",
            f"{where}: ImpSaldoInsoluto {show(after, c)} is negative (more paid than owed)",
            "An overpayment is not documented in a payment complement; check the amounts.",
            line,
        )


def paid_bounds(
    paid: Decimal | None,
    rate_text: str,
    currency: str,
    payment_currency: str,
    where: str,
    r: Reader,
    line: int | None,
) -> tuple[Decimal, Decimal] | None:
    """ImpPagado in the payment's currency, as an interval: the amount and the rate are
    each known to half a unit of their last decimal."""
    if paid is None:
        return None
    rate = r.number(rate_text, f"{where} EquivalenciaDR", line) if rate_text else None
    if rate is None:
        if currency != payment_currency and not rate_text:
            r.warning(
                "MISSING_EXCHANGE_RATE",
                f"{where}: the invoice is in {currency} and the payment in "
                f"{payment_currency}, but there is no EquivalenciaDR",
                "Without it the amount paid cannot be converted; ask for a corrected complement.",
                line,
            )
            return None
        rate = Decimal(1)
    if rate <= 0:
        r.warning(
            "NOT_A_NUMBER",
            f"{where}: EquivalenciaDR {rate_text} must be greater than zero",
            "",
            line,
        )
        return None
    if not rate_text or "." not in rate_text:
        return paid / rate, paid / rate  # an exact rate (1 when not written): no widening
    amount_half = Decimal(5).scaleb(_exp(paid) - 1)
    rate_half = Decimal(5).scaleb(_exp(rate) - 1)
    low = (paid - amount_half) / (rate + rate_half)
    high = (paid + amount_half) / max(rate - rate_half, Decimal("1e-12"))
    return low, high


def _exp(value: Decimal) -> int:
    exp = value.as_tuple().exponent
    return exp if isinstance(exp, int) else 0


def check_pago_amount(
    monto: Decimal,
    bounds: list[tuple[Decimal, Decimal]],
    currency: str,
    where: str,
    r: Reader,
    line: int | None,
) -> None:
    """Monto within [sum of low bounds, sum of high bounds], rounded to MonedaP (CRP206)."""
    exp = exponent_or_2(currency)
    quantum = Decimal(1).scaleb(-exp)
    low = sum((b[0] for b in bounds), Decimal(0)).quantize(quantum)
    high = sum((b[1] for b in bounds), Decimal(0)).quantize(quantum)
    if low <= monto <= high:
        return
    c = currency
    documents = f"{show(low, c)}" if low == high else f"{show(low, c)} to {show(high, c)}"
    if monto < low:
        problem = f"Monto {show(monto, c)} is less than the documents paid ({documents})"
    else:
        problem = (
            f"Monto {show(monto, c)} is more than the documents paid ({documents}); "
            f"{show(monto - high, c)} is not applied to any invoice"
        )
    r.warning(
        "PAYMENT_AMOUNT_MISMATCH",
        f"{where}: {problem} (sum of ImpPagado / EquivalenciaDR)",
        "The complement does not add up: ask the issuer to cancel and reissue it.",
        line,
    )


def check_pagos_total(pagos: XmlElement, payments: list[XmlElement], r: Reader) -> None:
    """Pagos 2.0 Totales/MontoTotalPagos = sum of Monto x TipoCambioP, in MXN."""
    totals = child(pagos, "Totales")
    stated = (
        r.number(totals.get("MontoTotalPagos"), "MontoTotalPagos") if totals is not None else None
    )
    if stated is None:
        return
    computed = Decimal(0)
    for p in payments:
        monto = decimal_text(p.get("Monto"))
        rate = decimal_text(p.get("TipoCambioP")) or Decimal(1)
        if monto is None:
            return
        computed += monto * rate
    if abs(computed - stated) <= Decimal("0.01") * max(len(payments), 1):
        return
    r.warning(
        "PAYMENT_TOTAL_MISMATCH",
        f"Totales MontoTotalPagos {show(stated, 'MXN')} != the sum of Monto x TipoCambioP "
        f"{show(computed, 'MXN')}",
        "The complement's totals do not add up: ask the issuer to cancel and reissue it.",
    )
