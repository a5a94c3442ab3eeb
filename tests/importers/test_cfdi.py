"""CFDI 3.3 / 4.0 and Pagos 1.0 / 2.0 (cuadre.importers.cfdi) and the fiscal dispatcher.

Golden cases live in tests/golden/importers/cfdi/<case>/: hand-written inputs (``*.xml``)
next to the expected ``fiscal_docs.csv``, ``payment_complements.csv`` and
``findings.csv``; cases named ``realdata_*`` read their inputs from the shared realdata
folder. ``CUADRE_UPDATE_GOLDEN=1`` rewrites the expected files (review the diff).
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuadre.importers import cfdi, fiscal
from cuadre.importers.fiscal import import_fiscal, read_fiscal_bytes
from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS
from fiscal_golden import GOLDEN, assert_golden, case_inputs, codes, real
from golden_util import REALDATA

# --------------------------------------------------------------------------- golden cases

HAND_CASES = ["cfdi33_pagos10", "credit_note", "broken_arithmetic"]


@pytest.mark.parametrize("case", HAND_CASES)
def test_golden_hand_written(case):
    folder = GOLDEN / "cfdi" / case
    assert_golden(folder, *import_fiscal(case_inputs(folder)))


REAL_CASES = {
    "realdata_invoice_and_payment": [
        "cfdi/satcfdi_h&e951128469_ingreso_iva16_stamped.xml",
        "cfdi/satcfdi_pago_h&e951128469_ingreso_iva16.xml",
    ],
    "realdata_pagos20_sat_example": ["cfdi/satcfdi_cfdv40-pagos20.xml"],
    "realdata_pagos20_all_placeholders": ["cfdi/satcfdi_cfdv40-pagos20-all.xml"],
    "realdata_cfdiutils_001_usd_payment": [
        "cfdi/cfdiutils/tests__assets__pagos20-calculator__001.xml"
    ],
    "realdata_cfdiutils_004_43_documents": [
        "cfdi/cfdiutils/tests__assets__pagos20-calculator__004.xml"
    ],
    "realdata_cfdiutils_cfdi40_valid": ["cfdi/cfdiutils/tests__assets__cfdi40-valid.xml"],
    "realdata_ejemplo_signed_tfd_bom": [
        "cfdi/satcfdi/tests__cfdi_ejemplos__comprobante40__cfdv40-ejemplo-signed-tfd.xml"
    ],
}


@pytest.mark.realdata
@pytest.mark.parametrize("case", sorted(REAL_CASES))
def test_golden_realdata(realdata, case):
    assert_golden(GOLDEN / "cfdi" / case, *import_fiscal(real(*REAL_CASES[case])))


def test_hand_written_values():
    """The golden files checked by hand once: the numbers a clerk would look at."""
    docs, comps, found = import_fiscal(case_inputs(GOLDEN / "cfdi" / "cfdi33_pagos10"))
    assert not found
    invoice = docs[docs["kind"].eq("invoice")].iloc[0]
    assert invoice["uuid"] == "3F2A8C1E-0B4D-4E7A-9C55-1D2E3F4A5B6C"
    assert (invoice["currency"], invoice["total"], invoice["discount"]) == ("USD", 150000, 690)
    assert invoice["exchange_rate"] == "20.0000"
    assert invoice["payment_method"] == "PPD"
    usd = comps[comps["currency"].eq("USD")].iloc[0]
    assert usd["related_uuid"] == invoice["uuid"]
    assert (usd["payment_amount"], usd["payment_currency"]) == (2348000, "MXN")
    assert (usd["balance_before"], usd["amount_paid"], usd["balance_after"]) == (
        150000,
        100000,
        50000,
    )
    assert usd["equivalence"] == "0.050000"

    docs, _, found = import_fiscal(case_inputs(GOLDEN / "cfdi" / "credit_note"))
    note = docs.iloc[0]
    assert note["kind"] == "credit_note"
    assert note["related_uuids"] == (
        "01:6D7434A6-E3F2-47AD-9E4C-08849946AFA0;07:5B64ADA3-AA4C-40B4-A2F5-572CED52BE31;"
        "07:0C9D8E7F-6A5B-4C3D-8E2F-1A0B9C8D7E6F"
    )
    assert (note["taxes_transferred"], note["taxes_withheld"], note["total"]) == (
        16000,
        10000,
        106000,
    )
    assert codes(found) == {"ROUNDED"}


# --------------------------------------------------------------------------- every real file

PLACEHOLDERS = {
    # SAT's schema examples carry placeholder amounts that do not add up (the document
    # of type P with SubTotal 1000 and Total 1500; implocal totals with a zero Total;
    # pagos20-all pays 1.00 of a 0.00 balance in ZWL; pagos20-min pays 1.00 of 6066.66
    # and leaves 0): the importer must say so.
    "cfdv40-ejemplo": {"CFDI_TOTAL_MISMATCH"},
    "cfdv40-min": {"CFDI_TOTAL_MISMATCH"},
    "cfdv40-implocal": {"CFDI_TOTAL_MISMATCH"},
    "cfdv40-pagos20-all": {
        "UNKNOWN_CURRENCY",
        "PAYMENT_BALANCE_MISMATCH",
        "PAYMENT_AMOUNT_MISMATCH",
    },
    "cfdv40-pagos20-min": {
        "PAYMENT_BALANCE_MISMATCH",
        "PAYMENT_AMOUNT_MISMATCH",
        "PAYMENT_TOTAL_MISMATCH",
    },
}
ARITHMETIC = {
    "CFDI_TOTAL_MISMATCH",
    "PAYMENT_BALANCE_MISMATCH",
    "PAYMENT_AMOUNT_MISMATCH",
    "PAYMENT_TOTAL_MISMATCH",
    "UNKNOWN_CURRENCY",
}
REAL_XML = sorted(p.relative_to(REALDATA).as_posix() for p in REALDATA.glob("cfdi/**/*.xml"))


@pytest.mark.realdata
@pytest.mark.parametrize("name", REAL_XML or ["(realdata absent)"])
def test_every_real_sample(realdata, name):
    """Each real CFDI imports without error, and adds up unless it is a known placeholder."""
    docs, comps, found = import_fiscal(real(name))
    assert not [f for f in found if f.is_error], found
    if "cancel" in name:  # cancellation requests: recognised, not documents
        assert codes(found) == {"NOT_A_CFDI"} and docs.empty
        return
    expected = set().union(*(v for k, v in PLACEHOLDERS.items() if k in name))
    assert codes(found) & ARITHMETIC == expected
    assert len(docs) == 1
    doc = docs.iloc[0]
    if "CFDI_TOTAL_MISMATCH" not in expected:
        zero = pd.Series([0]).astype("Int64")[0]
        computed = (
            doc["subtotal"]
            - (doc["discount"] if pd.notna(doc["discount"]) else zero)
            + (doc["taxes_transferred"] if pd.notna(doc["taxes_transferred"]) else zero)
            - (doc["taxes_withheld"] if pd.notna(doc["taxes_withheld"]) else zero)
        )
        assert computed == doc["total"]
    if "PAYMENT_BALANCE_MISMATCH" not in expected and len(comps):
        assert (comps["balance_before"] - comps["amount_paid"]).eq(comps["balance_after"]).all()
    if doc["kind"] == "payment" and "pagos" in name.lower():
        assert len(comps) >= 1


@pytest.mark.realdata
@pytest.mark.parametrize(
    "stem", ["pagos20", "pagos20-all", "pagos20-min", "min", "ejemplo-signed-tfd"]
)
def test_reserialised_layout_reads_the_same(realdata, stem):
    """satcfdi's round-trip outputs: other attribute order, prefixes and whitespace."""
    a = f"cfdi/satcfdi/tests__cfdi_ejemplos__comprobante40__cfdv40-{stem}.xml"
    b = f"cfdi/satcfdi/tests__test_cfdi__comprobante40__cfdv40-{stem}.xml.xml"
    first, second = import_fiscal(real(a)), import_fiscal(real(b))
    drop = ["source_file", "source_line"]
    for x, y in zip(first[:2], second[:2], strict=True):
        pd.testing.assert_frame_equal(x.drop(columns=drop), y.drop(columns=drop))
    assert [f.code for f in first[2]] == [f.code for f in second[2]]


@pytest.mark.realdata
def test_invoice_and_its_payment_chain(realdata):
    docs, comps, _ = import_fiscal(real(*REAL_CASES["realdata_invoice_and_payment"]))
    invoice = docs[docs["kind"].eq("invoice")].iloc[0]
    paid = comps[comps["related_uuid"].eq(invoice["uuid"])]
    assert len(paid) == 1
    assert paid["balance_before"].iloc[0] == invoice["total"] == 1785275
    assert paid["balance_after"].iloc[0] == 0
    assert invoice["payment_method"] == "PPD"


# --------------------------------------------------------------------------- findings


def _invoice(total: str = "1160.00", extra: str = "", tfd: bool = True) -> bytes:
    stamp = (
        '<tfd:TimbreFiscalDigital Version="1.1" UUID="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"/>'
        if tfd
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4"
 xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" Version="4.0" Serie="B" Folio="9"
 Fecha="2026-10-01T10:00:00" SubTotal="1000.00" Moneda="MXN" Total="{total}"
 TipoDeComprobante="I" MetodoPago="PUE" FormaPago="03" {extra}>
 <cfdi:Emisor Rfc="EKU9003173C9" Nombre="EMISOR"/>
 <cfdi:Receptor Rfc="KIJ0906199R1" Nombre="RECEPTOR"/>
 <cfdi:Impuestos TotalImpuestosTrasladados="160.00"/>
 <cfdi:Complemento>{stamp}</cfdi:Complemento>
</cfdi:Comprobante>""".encode()


def test_total_mismatch_shows_both_sides():
    docs, _, found = import_fiscal([(_invoice("1161.00"), "f.xml")])
    (mismatch,) = [f for f in found if f.code == "CFDI_TOTAL_MISMATCH"]
    assert "Total 1,161.00 MXN" in mismatch.message
    assert "= 1,160.00 MXN" in mismatch.message
    assert "difference 1.00 MXN" in mismatch.message
    assert str(mismatch.location) == "f.xml:2"
    assert docs["total"].iloc[0] == 116100  # the document's own Total is kept


def test_six_decimals_are_rounded_and_reported():
    data = _invoice("1160.004999")
    docs, _, found = import_fiscal([(data, "f.xml")])
    assert docs["total"].iloc[0] == 116000
    assert codes(found) == {"ROUNDED"}


def test_unstamped_and_garbage_values():
    data = _invoice("mil", extra='Descuento="1,000.00" TipoCambio="x"', tfd=False)
    docs, _, found = import_fiscal([(data, "f.xml")])
    assert {"CFDI_NOT_STAMPED", "NOT_A_NUMBER"} <= codes(found)
    assert docs["uuid"].iloc[0] == ""
    assert pd.isna(docs["total"].iloc[0])


def test_leading_whitespace_and_utf16():
    text = _invoice().decode()
    d1, _, f1 = import_fiscal([(b"\n\n  " + text.encode(), "ws.xml")])
    d2, _, f2 = import_fiscal(
        [(text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), "u16.xml")]
    )
    assert not f1 and not f2
    assert d1["total"].iloc[0] == d2["total"].iloc[0] == 116000


def test_detect_is_by_content():
    assert cfdi.detect(_invoice(), "whatever.txt")
    assert not cfdi.detect(b"<Invoice/>", "factura.xml")
    assert not cfdi.detect(b"\x00\xff" * 50, "x.xml")


def test_unknown_file_is_an_error_not_an_exception():
    _, _, found = import_fiscal([(b"%PDF-1.4 not an invoice", "factura.pdf")])
    assert [f.code for f in found] == ["UNKNOWN_FORMAT"]
    assert found[0].is_error


# --------------------------------------------------------------------------- merging


def test_same_document_twice_is_kept_once():
    docs, _, found = import_fiscal([(_invoice(), "a.xml"), (_invoice(), "b.xml")])
    assert len(docs) == 1 and docs["source_file"].iloc[0] == "a.xml"
    assert codes(found) == {"DUPLICATE_DOCUMENT"}


def test_two_documents_one_uuid_is_an_error():
    other = _invoice("1260.00").replace(b'SubTotal="1000.00"', b'SubTotal="1100.00"')
    docs, _, found = import_fiscal([(_invoice(), "a.xml"), (other, "b.xml")])
    (dup,) = [f for f in found if f.code == "DUPLICATE_UUID"]
    assert dup.is_error and "1,160.00 MXN" in dup.message and "1,260.00 MXN" in dup.message
    assert len(docs) == 1


@pytest.mark.realdata
def test_real_corpus_reuses_a_uuid(realdata):
    """satcfdi's generated invoices share UUID 6d7434a6-... with different totals."""
    names = [
        "cfdi/satcfdi_h&e951128469_ingreso_iva16_stamped.xml",
        "cfdi/satcfdi/tests__test_create_cfdi40__h&e951128469_ingreso_iva8_stamped.xml",
        "cfdi/satcfdi/tests__invoices__h&e951128469_ingreso_iva16_stamped.xml",
    ]
    docs, _, found = import_fiscal(real(*names))
    assert sorted(f.code for f in found) == ["DUPLICATE_DOCUMENT", "DUPLICATE_UUID"]
    assert len(docs) == 1


# --------------------------------------------------------------------------- ZIP


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_package_with_other_files_and_a_nested_zip():
    inner = _zip({"b.xml": _invoice("1160.00").replace(b"aaaaaaaa", b"bbbbbbbb")})
    package = _zip(
        {
            "folder/": b"",
            "a.xml": _invoice(),
            "a.pdf": b"%PDF-1.4",
            "../../etc/evil.xml": _invoice().replace(b"aaaaaaaa", b"cccccccc"),
            "more.zip": inner,
        }
    )
    docs, _, found = import_fiscal([(package, "pkg.zip")])
    assert sorted(docs["source_file"]) == [
        "pkg.zip!../../etc/evil.xml",  # read in memory: the name is only a label
        "pkg.zip!a.xml",
        "pkg.zip!more.zip!b.xml",
    ]
    assert [(f.code, str(f.location)) for f in found] == [("SKIPPED_MEMBER", "pkg.zip!a.pdf")]


def test_zip_bomb_is_refused():
    bomb = _zip({"a.xml": _invoice(), "bomb.xml": b"<a>" + b"0" * (20 * 2**20) + b"</a>"})
    docs, _, found = import_fiscal([(bomb, "bomb.zip")])
    assert len(docs) == 1
    (refused,) = [f for f in found if f.code == "ZIP_REFUSED"]
    assert refused.is_error and "bomb.xml" in str(refused.location)


def test_zip_limits(monkeypatch):
    monkeypatch.setattr(fiscal, "ZIP_MAX_MEMBER_BYTES", 100)
    _, _, found = import_fiscal([(_zip({"a.xml": _invoice()}), "z.zip")])
    assert [f.code for f in found] == ["ZIP_REFUSED"]
    monkeypatch.setattr(fiscal, "ZIP_MAX_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(fiscal, "ZIP_MAX_TOTAL_BYTES", len(_invoice()) + 10)
    two = _zip({"a.xml": _invoice(), "b.xml": _invoice().replace(b"aaaaaaaa", b"bbbbbbbb")})
    docs, _, found = import_fiscal([(two, "z.zip")])
    assert len(docs) == 1
    assert [(f.code, str(f.location)) for f in found] == [("ZIP_REFUSED", "z.zip!b.xml")]
    assert "allowed for all members" in found[0].message
    monkeypatch.setattr(fiscal, "ZIP_MAX_MEMBERS", 1)
    _, _, found = import_fiscal([(_zip({"a.xml": b"1", "b.xml": b"2"}), "z.zip")])
    assert [f.code for f in found] == ["ZIP_REFUSED"]


def test_zip_depth_and_encryption_and_corruption():
    deep = _zip({"1.zip": _zip({"2.zip": _zip({"a.xml": _invoice()})})})
    _, _, found = import_fiscal([(deep, "deep.zip")])
    assert [f.code for f in found] == ["ZIP_REFUSED"]
    locked = bytearray(_zip({"a.xml": _invoice()}))
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set the 'encrypted' flag bit
        at = locked.find(header)
        flag = at + (6 if header == b"PK\x03\x04" else 8)
        locked[flag] |= 0x1
    _, _, found = import_fiscal([(bytes(locked), "locked.zip")])
    assert [f.code for f in found] == ["ZIP_REFUSED"]
    assert "encrypted" in found[0].message
    _, _, found = import_fiscal([(_zip({"a.xml": _invoice()})[:60], "cut.zip")])
    assert [f.code for f in found] == ["ZIP_INVALID"]


# --------------------------------------------------------------------------- XML attacks

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" Total="&lol3;"/>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0">
<cfdi:Emisor Nombre="&xxe;"/></cfdi:Comprobante>"""


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_xml_attacks_are_refused(attack):
    docs, comps, found = import_fiscal([(attack, "evil.xml")])
    assert docs.empty and comps.empty
    assert [f.code for f in found] == ["XML_REFUSED"]
    assert cfdi.read(attack, "evil.xml").findings[0].code == "XML_REFUSED"


# --------------------------------------------------------------------------- fuzz

FUZZ_SAMPLES = [
    "cfdi/satcfdi_h&e951128469_ingreso_iva16_stamped.xml",
    "cfdi/satcfdi_pago_h&e951128469_ingreso_iva16.xml",
    "cfdi/cfdiutils/tests__assets__pagos20-calculator__001.xml",
    "cfdi/phpcfdi_descarga_masiva_metadata.txt",
    "dian/ubl21dian_invoice_unsigned_dian_v2.xml",
]
SAMPLE_BYTES = {n: (REALDATA / n).read_bytes() for n in FUZZ_SAMPLES if (REALDATA / n).exists()}
needs_samples = pytest.mark.skipif(len(SAMPLE_BYTES) < len(FUZZ_SAMPLES), reason="no realdata")


@needs_samples
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(FUZZ_SAMPLES),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
    cut=st.floats(0.05, 1),
)
def test_corrupted_samples_give_findings_never_exceptions(name, edits, cut):
    data = bytearray(SAMPLE_BYTES[name])
    for where, byte in edits:
        data[min(int(where * len(data)), len(data) - 1)] = byte
    data = data[: max(1, int(cut * len(data)))]
    docs, comps, found = import_fiscal([(bytes(data), "fuzz")])
    assert list(docs.columns)[: len(FISCAL_DOCS.names)] == FISCAL_DOCS.names
    assert list(comps.columns)[: len(PAYMENT_COMPLEMENTS.names)] == PAYMENT_COMPLEMENTS.names
    assert len(docs) or found  # nothing disappears silently
    assert not any(f.code == "IMPORT_FAILED" for f in found), found


def _change_digit(data: bytes, attribute: str, pick: int, digit: int) -> bytes | None:
    """Replace one digit of the first ``attribute="..."`` value by a different digit."""
    m = re.search(rb"\s" + attribute.encode() + rb'="([^"]+)"', data)
    assert m, attribute
    positions = [m.start(1) + i for i, c in enumerate(m.group(1)) if chr(c).isdigit()]
    at = positions[pick % len(positions)]
    new = ord("0") + (data[at] - ord("0") + 1 + digit % 9) % 10
    return data[:at] + bytes([new]) + data[at + 1 :]


@needs_samples
@settings(max_examples=40, deadline=None)
@given(
    target=st.sampled_from(
        [
            (FUZZ_SAMPLES[0], "Total", "CFDI_TOTAL_MISMATCH"),
            (FUZZ_SAMPLES[0], "SubTotal", "CFDI_TOTAL_MISMATCH"),
            (FUZZ_SAMPLES[0], "TotalImpuestosTrasladados", "CFDI_TOTAL_MISMATCH"),
            (FUZZ_SAMPLES[1], "ImpPagado", "PAYMENT_BALANCE_MISMATCH"),
            (FUZZ_SAMPLES[1], "ImpSaldoInsoluto", "PAYMENT_BALANCE_MISMATCH"),
            (FUZZ_SAMPLES[1], "Monto", "PAYMENT_AMOUNT_MISMATCH"),
            (FUZZ_SAMPLES[2], "ImpSaldoAnt", "PAYMENT_BALANCE_MISMATCH"),
        ]
    ),
    pick=st.integers(0, 20),
    digit=st.integers(0, 8),
)
def test_a_changed_amount_is_always_caught(target, pick, digit):
    name, attribute, code = target
    changed = _change_digit(SAMPLE_BYTES[name], attribute, pick, digit)
    assert changed is not None
    _, _, found = import_fiscal([(changed, "changed.xml")])
    assert code in codes(found)


def test_money_helpers():
    assert fiscal.decimal_text(" 12.50 ") == Decimal("12.50")
    for bad in ("1,000.00", "NaN", "1e5", "", "--1"):
        assert fiscal.decimal_text(bad) is None
    assert fiscal.minor_units(Decimal("0.005"), "MXN") == 1
    assert fiscal.minor_units(Decimal("2.5"), "JPY") == 3
    assert read_fiscal_bytes(b"", "empty.xml").findings[0].code == "UNKNOWN_FORMAT"


def test_pagos10_single_document_may_omit_imp_pagado():
    data = (GOLDEN / "cfdi" / "cfdi33_pagos10" / "payment.xml").read_bytes()
    start, end = data.index(b"<pago10:DoctoRelacionado"), data.index(b"</pago10:Pago>")
    second = data.index(b"<pago10:DoctoRelacionado", start + 1)
    one = data[:start] + data[second:end].replace(b' ImpPagado="3480.00"', b"") + data[end:]
    one = one.replace(b'Monto="23480.00"', b'Monto="3480.00"')
    _, comps, found = import_fiscal([(one, "p.xml")])
    assert comps["amount_paid"].tolist() == [348000]
    assert codes(found) == {"IMPLIED_AMOUNT_PAID"}
