"""SAT bulk-download *Metadata* text into fiscal_docs: what the SAT registry says.

What: the ``Metadata`` file of the SAT's *Descarga masiva de CFDI* (web service or
portal): one record per CFDI the SAT knows, ``~``-separated, with a header row
``Uuid~RfcEmisor~NombreEmisor~RfcReceptor~NombreReceptor~RfcPac~FechaEmision~
FechaCertificacionSat~Monto~EfectoComprobante~Estatus~FechaCancelacion``. Columns are
found by their header name (any order, any case), so an added column does not break it.

Why: it is the only list of *every* CFDI issued to or by the company with its current
validity: ``Estatus`` 1 = vigente (``status`` ``valid``), 0 = cancelado (``cancelled``,
with ``FechaCancelacion``). The close uses it to find invoices booked in the ERP that
the SAT has cancelled, and CFDI the ERP never booked.

The file as the SAT writes it: lines end in CRLF, and a name may hold a bare LF (a
record then spans lines, as phpcfdi/sat-ws-descarga-masiva documents); a field may be
wrapped in double quotes (``"A ~ B"``, ``""`` for a quote). Records are rebuilt by
joining physical lines until the header's field count is reached, and the line break
inside a name becomes a space. The third-party file (``Uuid~RfcACuentaTerceros~...``)
names no document amounts: it is recognised and skipped with a note.

The Metadata has no currency: ``Monto`` is the CFDI's Total in its own currency, which
the file does not say. Rows get ``currency`` ``MXN`` (by far the common case); when the
same UUID is also imported from its XML, the XML's currency and amounts win and the
Metadata gives the status (see :mod:`cuadre.importers.fiscal`). Rows carry the extra
column ``cancellation_date``.

Reference: SAT, *Servicio de Descarga Masiva de CFDI y Retenciones*, description of the
Metadata file; EfectoComprobante uses c_TipoDeComprobante (I, E, P, T, N).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.cfdi import KINDS, RFC
from cuadre.importers.fiscal import FiscalImport, Reader, fiscal_result, head_text, nothing
from cuadre.io.tables import decode_text

FORMAT = "sat_metadata"

COLUMNS = {
    "uuid": "uuid",
    "rfcemisor": "issuer_tax_id",
    "nombreemisor": "issuer_name",
    "rfcreceptor": "receiver_tax_id",
    "nombrereceptor": "receiver_name",
    "rfcpac": "pac",
    "fechaemision": "issue_date",
    "fechacertificacionsat": "certified",
    "monto": "total",
    "efectocomprobante": "kind",
    "estatus": "status",
    "fechacancelacion": "cancellation_date",
}
REQUIRED = (
    "uuid",
    "rfcemisor",
    "rfcreceptor",
    "fechaemision",
    "monto",
    "efectocomprobante",
    "estatus",
)
STATUS = {"1": "valid", "0": "cancelled", "vigente": "valid", "cancelado": "cancelled"}
KIND_WORDS = {
    "ingreso": "I",
    "egreso": "E",
    "pago": "P",
    "traslado": "T",
    "nomina": "N",
    "nómina": "N",
}

_HEADER = re.compile(r"\s*\"?uuid\"?~\"?rfc", re.IGNORECASE)
_UUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


def detect(data: bytes, name: str) -> bool:
    """The header row starts with ``Uuid~Rfc`` (after a BOM or blank lines)."""
    return bool(_HEADER.match(head_text(data, 512).lstrip("\ufeff")))


@dataclass
class Record:
    fields: list[str]
    line: int
    """1-based physical line where the record starts."""
    spans: int
    """Physical lines it takes."""


def read(data: bytes, source: str) -> FiscalImport:
    text, notes = decode_text(data, source)
    records = split_records(text.lstrip("\ufeff"))
    if not records:
        return nothing([*notes, _empty(source)], FORMAT)
    header = [h.strip().lower() for h in records[0].fields]
    if "rfcacuentaterceros" in header:
        return nothing(
            [
                *notes,
                info(
                    Location(source, records[0].line),
                    "THIRD_PARTY_METADATA",
                    "this is the Metadata's third-party file (RfcACuentaTerceros): it names "
                    "no documents of its own; skipped",
                    "Import the main Metadata file of the same package.",
                ),
            ],
            FORMAT,
        )
    r = Reader(source)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        r.error(
            "MISSING_COLUMN",
            "the header lacks " + ", ".join(missing),
            "Give the Metadata text exactly as the SAT bulk download delivers it.",
            records[0].line,
        )
        return nothing([*notes, *r.findings], FORMAT)
    rows = [row for rec in records[1:] if (row := read_record(rec, header, r)) is not None]
    if len(records) == 1:
        notes.append(
            warning(
                Location(source, records[0].line),
                "NO_DOCUMENTS",
                "the Metadata file has a header but lists no documents"
                + ("" if "fechacancelacion" in header else " (and its header looks cut)"),
                "If the period had documents, download the package again.",
            )
        )
    return fiscal_result(rows, [], [*notes, *r.findings], FORMAT)


def _empty(source: str) -> Finding:
    return error(Location(source), "EMPTY_FILE", "the Metadata file is empty", "Download it again.")


# --------------------------------------------------------------------------- records


def split_fields(record: str) -> tuple[list[str], bool]:
    """``a~"b ~ c"~d`` -> fields; the flag says a quoted field is still open."""
    fields: list[str] = []
    buf: list[str] = []
    quoted = False
    at_start = True
    i = 0
    while i < len(record):
        ch = record[i]
        if quoted:
            if ch == '"' and record[i + 1 : i + 2] == '"':
                buf.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                buf.append(ch)
        elif ch == "~":
            fields.append("".join(buf))
            buf, at_start = [], True
            i += 1
            continue
        elif ch == '"' and at_start:
            quoted = True
        else:
            buf.append(ch)
        at_start = False
        i += 1
    fields.append("".join(buf))
    return fields, quoted


def split_records(text: str) -> list[Record]:
    """Physical lines -> records of the header's width (see the module docstring)."""
    first = text.find("\n")
    crlf = first > 0 and text[first - 1] == "\r"
    lines = text.split("\r\n") if crlf else text.replace("\r\n", "\n").split("\n")
    records: list[Record] = []
    width, number, i = 0, 1, 0
    while i < len(lines):
        parts = [lines[i]]
        i += 1
        fields, open_quote = split_fields(parts[0])
        while i < len(lines) and width and (open_quote or len(fields) < width):
            joined, still_open = split_fields("\n".join([*parts, lines[i]]))
            if not still_open and len(joined) > width:
                break  # the next line is a record of its own: this one is short
            parts.append(lines[i])
            i += 1
            fields, open_quote = joined, still_open
        spans = sum(p.count("\n") + 1 for p in parts)
        start, number = number, number + spans
        if len(parts) == 1 and not parts[0].strip():
            continue
        fields = [" ".join(f.split()) if "\n" in f else f for f in fields]
        records.append(Record(fields, start, spans))
        width = width or len(fields)
    return records


def read_record(rec: Record, header: list[str], r: Reader) -> dict[str, object] | None:
    r.line, r.what = rec.line, ""
    if len(rec.fields) != len(header):
        r.error(
            "FIELD_COUNT",
            f"the record has {len(rec.fields)} fields, the header {len(header)}; skipped",
            "A name may contain a '~'; check the record in the file, or download the "
            "Metadata again.",
        )
        return None
    v = {COLUMNS.get(h, h): f.strip() for h, f in zip(header, rec.fields, strict=True)}
    uuid = v["uuid"].upper()
    r.what = f"UUID {uuid}" if uuid else ""
    if not _UUID.fullmatch(uuid):
        r.warning(
            "UUID_INVALID",
            f"Uuid {v['uuid']!r} is not a UUID (8-4-4-4-12 hexadecimal digits)",
            "The record may be damaged; download the Metadata again.",
        )
    if rec.spans > 1:
        r.info(
            "RECORD_SPANS_LINES",
            f"the record spans lines {rec.line}-{rec.line + rec.spans - 1} (a line break "
            "inside a name); read as one record",
        )
    return {
        "uuid": uuid,
        "kind": kind(v["kind"], r),
        "series": "",
        "folio": "",
        "issuer_tax_id": tax_id(v["issuer_tax_id"], "RfcEmisor", r),
        "issuer_name": v.get("issuer_name", ""),
        "receiver_tax_id": tax_id(v["receiver_tax_id"], "RfcReceptor", r),
        "receiver_name": v.get("receiver_name", ""),
        "issue_date": r.date(v["issue_date"], "FechaEmision"),
        "currency": "MXN",
        "total": r.money(r.number(v["total"], "Monto"), "MXN", "Monto"),
        "status": status(v["status"], r),
        "source_file": r.source,
        "source_line": rec.line,
        "cancellation_date": r.date(v.get("cancellation_date"), "FechaCancelacion"),
    }


def kind(code: str, r: Reader) -> str:
    letter = KIND_WORDS.get(code.strip().lower(), code.strip().upper())
    if letter not in KINDS:
        r.warning(
            "UNKNOWN_KIND",
            f"EfectoComprobante {code!r} is not I, E, P, T or N; read as 'other'",
            "Check the record in the file.",
        )
    return KINDS.get(letter, "other")


def status(code: str, r: Reader) -> str:
    value = STATUS.get(code.strip().lower())
    if value is None:
        r.warning(
            "UNKNOWN_STATUS",
            f"Estatus {code!r} is neither 1 (valid) nor 0 (cancelled); left empty",
            "Check the record in the file.",
        )
        return ""
    return value


def tax_id(value: str, role: str, r: Reader) -> str:
    clean = value.replace(" ", "").upper()
    if clean and not RFC.fullmatch(clean):
        r.warning(
            "RFC_INVALID",
            f"{role} {value!r} is not an RFC (12 characters for companies, 13 for individuals)",
            "The record may be damaged; download the Metadata again.",
        )
    return clean
