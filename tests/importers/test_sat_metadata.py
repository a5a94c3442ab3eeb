"""SAT bulk-download Metadata (cuadre.importers.sat_metadata) and its merge with XML."""

from __future__ import annotations

import pytest

from cuadre.importers import sat_metadata
from cuadre.importers.fiscal import import_fiscal
from fiscal_golden import GOLDEN, assert_golden, case_inputs, codes, real

HEADER = (
    "Uuid~RfcEmisor~NombreEmisor~RfcReceptor~NombreReceptor~RfcPac~FechaEmision~"
    "FechaCertificacionSat~Monto~EfectoComprobante~Estatus~FechaCancelacion"
)


def metadata(*records: str, eol: str = "\r\n") -> bytes:
    return eol.join([HEADER, *records]).encode("utf-8")


def record(uuid: str, monto: str = "17852.75", estatus: str = "1", fecha_cancel: str = "") -> str:
    return (
        f"{uuid}~H&E951128469~HERRERIA & ELECTRICOS S DE CV~KIJ0906199R1~KIJ, S.A DE C.V.~"
        f"SAT970701NN3~2020-01-01 22:40:38~2020-01-11 00:00:00~{monto}~I~{estatus}~{fecha_cancel}"
    )


@pytest.mark.realdata
def test_golden_realdata(realdata):
    result = import_fiscal(real("cfdi/phpcfdi_descarga_masiva_metadata.txt"))
    assert_golden(GOLDEN / "sat_metadata" / "realdata_phpcfdi", *result)
    docs, _, found = result
    assert not found
    assert list(docs["status"]) == ["valid", "valid"]
    assert list(docs["total"]) == [148517, 112411]
    assert set(docs["currency"]) == {"MXN"}


def test_golden_messy():
    """CRLF with a bare LF inside a name, BOM, quoted field holding '~', cancelled row,
    unknown status, 3-decimal Monto, a truncated last record."""
    folder = GOLDEN / "sat_metadata" / "messy"
    docs, comps, found = import_fiscal(case_inputs(folder))
    assert_golden(folder, docs, comps, found)
    by_uuid = docs.set_index("uuid")
    assert by_uuid.loc["0C9D8E7F-6A5B-4C3D-8E2F-1A0B9C8D7E6F", "issuer_name"] == (
        "DISTRIBUIDORA INDUSTRIAL DEL NORTE"
    )
    cancelled = by_uuid.loc["A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"]
    assert cancelled["status"] == "cancelled" and cancelled["kind"] == "credit_note"
    assert cancelled["issuer_name"] == 'HERRERIA ~ ELECTRICOS "EL MARTILLO"'
    assert str(cancelled["cancellation_date"].date()) == "2026-10-30"
    assert codes(found) == {"RECORD_SPANS_LINES", "ROUNDED", "UNKNOWN_STATUS", "FIELD_COUNT"}
    assert [str(f.location) for f in found if f.code == "FIELD_COUNT"] == ["Metadata.txt:7"]


def test_lf_only_file_with_a_name_split_across_lines():
    broken = record("6D7434A6-E3F2-47AD-9E4C-08849946AFA0").replace("S DE CV", "S DE\nCV")
    docs, _, found = import_fiscal(
        [(metadata(broken, record("5B64ADA3-AA4C-40B4-A2F5-572CED52BE31"), eol="\n"), "m.txt")]
    )
    assert len(docs) == 2
    assert "HERRERIA & ELECTRICOS S DE CV" in set(docs["issuer_name"])
    assert codes(found) == {"RECORD_SPANS_LINES"}
    assert sorted(docs["source_line"]) == [2, 4]


def test_cp1252_and_third_party_file():
    data = metadata(record("6D7434A6-E3F2-47AD-9E4C-08849946AFA0").replace("HERRERIA", "HERRERÍA"))
    docs, _, found = import_fiscal([(data.decode().encode("cp1252"), "m.txt")])
    assert docs["issuer_name"].iloc[0].startswith("HERRERÍA")
    assert codes(found) == {"ENCODING"}
    third = b"Uuid~RfcACuentaTerceros~NombreACuentaTerceros\r\nX~AAA010101AAA~TERCERO"
    docs, _, found = import_fiscal([(third, "m_tercero.txt")])
    assert docs.empty and codes(found) == {"THIRD_PARTY_METADATA"}


def test_missing_columns_and_detection():
    assert sat_metadata.detect(b"\xef\xbb\xbfUuid~RfcEmisor~x", "a.xml")
    assert not sat_metadata.detect(b"Uuid,RfcEmisor", "Metadata.txt")
    _, _, found = import_fiscal([(b"Uuid~RfcEmisor~Monto\r\nA~B~1", "m.txt")])
    assert codes(found) == {"MISSING_COLUMN"} and found[0].is_error


def test_xml_and_metadata_become_one_row_with_the_sat_status():
    """The UUID in the XML and in the Metadata: XML details, the SAT's cancelled status."""
    xml = real("cfdi/satcfdi_h&e951128469_ingreso_iva16_stamped.xml") if _has_real() else []
    if not xml:
        pytest.skip("realdata absent")
    meta = metadata(
        record(
            "6D7434A6-E3F2-47AD-9E4C-08849946AFA0", estatus="0", fecha_cancel="2020-02-01 10:00:00"
        )
    )
    docs, _, found = import_fiscal([*xml, (meta, "Metadata.txt")])
    assert len(docs) == 1
    row = docs.iloc[0]
    assert (row["status"], row["source_file"], row["folio"]) == (
        "cancelled",
        "satcfdi_h&e951128469_ingreso_iva16_stamped.xml",
        "123456",
    )
    assert not found
    wrong = metadata(record("6D7434A6-E3F2-47AD-9E4C-08849946AFA0", monto="17000.00"))
    docs, _, found = import_fiscal([*xml, (wrong, "Metadata.txt")])
    assert codes(found) == {"METADATA_TOTAL_MISMATCH"}
    assert "17,000.00" in found[0].message and "17,852.75 MXN" in found[0].message
    assert docs["status"].iloc[0] == "valid"


def test_metadata_downloaded_twice_keeps_the_cancellation():
    uuid = "6D7434A6-E3F2-47AD-9E4C-08849946AFA0"
    first = metadata(record(uuid))
    later = metadata(record(uuid, estatus="0", fecha_cancel="2020-03-01 09:00:00"))
    docs, _, found = import_fiscal([(first, "enero.txt"), (later, "marzo.txt")])
    assert len(docs) == 1 and docs["status"].iloc[0] == "cancelled"
    assert codes(found) == {"DUPLICATE_DOCUMENT"}


def _has_real() -> bool:
    from golden_util import REALDATA

    return REALDATA.is_dir()
