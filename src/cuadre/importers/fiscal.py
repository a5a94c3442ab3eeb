"""``cuadre import cfdi``: e-invoices as the tax authority has them, into fiscal_docs.

What: every file given is read by content (never by its name) as one of

- a Mexican CFDI 3.3 / 4.0 XML, with its Pagos 1.0 / 2.0 payment complement
  (:mod:`cuadre.importers.cfdi`, SAT Anexo 20);
- a SAT bulk-download *Metadata* text file (:mod:`cuadre.importers.sat_metadata`);
- a Colombian DIAN UBL 2.1 Invoice, CreditNote or DebitNote, bare or inside its
  AttachedDocument wrapper (:mod:`cuadre.importers.dian`, DIAN Anexo técnico);
- a ZIP of any of these: the SAT bulk download and the DIAN e-mail delivery both come
  zipped. Members are read in memory with limits against ZIP bombs (member count, size
  of each member and of all of them, compression ratio), one nested ZIP level at most.

and gives ``(fiscal_docs, payment_complements, findings)`` (schemas ``FISCAL_DOCS`` and
``PAYMENT_COMPLEMENTS`` in :mod:`cuadre.model.tables`). Amounts are kept as the document
writes them (unsigned; ``kind`` says whether it is an invoice or a credit note).

Why one table for both countries: the close needs one question answered for every
receivable, "does the tax authority know this document, for this amount, and is it
still valid?", whatever the country.

Across files: a UUID seen in an XML and in a Metadata file becomes one row (the XML's
details, the Metadata's ``status``; a different total is reported); the same document
imported twice is reported and kept once; two *different* documents with one UUID are
an error (both kept, so the user sees them). Outputs are sorted by the schemas'
``sort_by`` keys.

This module also holds what the three fiscal readers share (the result type, decimal
and date parsing with findings, namespace-agnostic XML navigation).
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import ModuleType

import pandas as pd

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import XmlElement, local, typed_table
from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS, TableSchema
from cuadre.money import DEFAULT_ROUNDING, known_currencies
from cuadre.money import exponent as currency_exponent

FORMATS = ("cfdi", "sat_metadata", "dian")
"""Reader modules under ``cuadre.importers``, asked in this order."""

FISCAL_EXTRAS = ("source_line",)
"""Columns written after the schema's: the 1-based line of the record in its file."""

COMPLEMENT_EXTRAS = ("source_line",)
"""The 1-based line of the DoctoRelacionado in its XML."""

# ZIP limits: a SAT package holds at most 200,000 CFDI; a Metadata text of a million
# records is about 250 MB.
ZIP_MAX_MEMBERS = 250_000
ZIP_MAX_MEMBER_BYTES = 300 * 2**20
ZIP_MAX_TOTAL_BYTES = 2 * 2**30
ZIP_MAX_RATIO = 200
"""Uncompressed / compressed above this (for members over 1 MiB) is treated as a bomb:
XML and text compress 5-30x, a bomb 1000x or more."""
ZIP_MAX_DEPTH = 2


@dataclass
class FiscalImport:
    """Documents and payment complements read from one file, with their findings."""

    fiscal_docs: pd.DataFrame
    payment_complements: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    format: str = ""


# --------------------------------------------------------------------------- tables


def fiscal_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    return _typed(rows, FISCAL_DOCS, FISCAL_EXTRAS)


def complements_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    return _typed(rows, PAYMENT_COMPLEMENTS, COMPLEMENT_EXTRAS)


def _typed(
    rows: list[dict[str, object]], schema: TableSchema, extras: tuple[str, ...]
) -> pd.DataFrame:
    """Schema columns (typed) then ``extras``."""
    table = typed_table(rows, schema)
    for name in extras:
        values = table[name] if name in table else pd.Series([None] * len(table), dtype=object)
        if name.endswith(("_line", "_index")):
            table[name] = pd.Series([_int(v) for v in values], dtype="Int64", index=table.index)
        elif name.endswith("_date"):
            table[name] = pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")
        else:
            table[name] = values.map(lambda v: "" if v is None or v != v else str(v))
    return table[[*schema.names, *extras]]


def fiscal_result(
    docs: list[dict[str, object]],
    complements: list[dict[str, object]],
    findings: list[Finding],
    fmt: str,
) -> FiscalImport:
    return FiscalImport(fiscal_table(docs), complements_table(complements), findings, fmt)


def nothing(findings: list[Finding], fmt: str = "") -> FiscalImport:
    return fiscal_result([], [], findings, fmt)


# --------------------------------------------------------------------------- values

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def decimal_text(text: str | None) -> Decimal | None:
    """``xs:decimal`` text -> Decimal; None when empty or not a plain decimal number."""
    if text is None:
        return None
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None


def exponent_or_2(currency: str) -> int:
    """The currency's decimals; 2 for a code Cuadre does not know (as money.scale_for)."""
    return currency_exponent(currency) if currency in known_currencies() else 2


def minor_units(value: Decimal, currency: str) -> int:
    exp = exponent_or_2(currency)
    q = value.quantize(Decimal(1).scaleb(-exp), rounding=DEFAULT_ROUNDING)
    return int(q.scaleb(exp))


def show(value: Decimal | int | None, currency: str) -> str:
    """A Decimal or minor units as ``1,234.56 MXN`` for messages."""
    if value is None:
        return "(empty)"
    if isinstance(value, int):
        value = Decimal(value).scaleb(-exponent_or_2(currency))
    exp = exponent_or_2(currency)
    if value == value.quantize(Decimal(1).scaleb(-exp)):
        value = value.quantize(Decimal(1).scaleb(-exp))
    return f"{value:,} {currency}"


@dataclass
class Reader:
    """Collects findings for one document while its values are read."""

    source: str
    line: int | None = None
    findings: list[Finding] = field(default_factory=list)
    what: str = ""
    """Names the document in messages: ``CFDI A-123 (UUID 6D74...)``."""

    def loc(self, line: int | None = None) -> Location:
        return Location(self.source, line if line is not None else self.line)

    def prefix(self) -> str:
        return f"{self.what}: " if self.what else ""

    def error(self, code: str, message: str, hint: str = "", line: int | None = None) -> None:
        self.findings.append(error(self.loc(line), code, self.prefix() + message, hint))

    def warning(self, code: str, message: str, hint: str = "", line: int | None = None) -> None:
        self.findings.append(warning(self.loc(line), code, self.prefix() + message, hint))

    def info(self, code: str, message: str, hint: str = "", line: int | None = None) -> None:
        self.findings.append(info(self.loc(line), code, self.prefix() + message, hint))

    def number(self, text: str | None, name: str, line: int | None = None) -> Decimal | None:
        """A decimal field; a value that is not a number is an error, empty is None."""
        if text is None or not text.strip():
            return None
        value = decimal_text(text)
        if value is None:
            self.error(
                "NOT_A_NUMBER",
                f"{name} {text.strip()!r} is not a number",
                "E-invoice amounts are written like 1234.56 (dot decimal, no thousands "
                "separator); the file may have been edited by hand.",
                line,
            )
        return value

    def money(
        self, value: Decimal | None, currency: str, name: str, line: int | None = None
    ) -> int | None:
        """Decimal -> minor units of ``currency``; more decimals than it has are rounded
        half up and reported (CFDI allows up to 6 decimals in some fields)."""
        if value is None:
            return None
        units = minor_units(value, currency)
        exp = exponent_or_2(currency)
        rounded = Decimal(units).scaleb(-exp)
        if rounded != value:
            self.warning(
                "ROUNDED",
                f"{name} {value} has more decimals than {currency} allows ({exp}); "
                f"rounded half up to {rounded:f}",
                "Nothing to do unless the difference matters: the document itself carries "
                "the extra decimals.",
                line,
            )
        return units

    def date(self, text: str | None, name: str, line: int | None = None) -> dt.date | None:
        """``2026-10-31`` or ``2026-10-31T12:00:00`` (any time part) -> the date."""
        if text is None or not text.strip():
            return None
        value = text.strip()
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.error(
                "NOT_A_DATE",
                f"{name} {value!r} is not a date (expected YYYY-MM-DD, with or without a time)",
                "The file may be corrupt or edited by hand; download it again.",
                line,
            )
            return None

    def currency(
        self, text: str | None, line: int | None = None, *, allow_xxx: bool = False
    ) -> str:
        code = (text or "").strip().upper()
        if not code:
            self.error(
                "MISSING_CURRENCY",
                "the document has no currency",
                "Every CFDI carries Moneda and every UBL invoice DocumentCurrencyCode.",
                line,
            )
        elif code not in known_currencies() and not (allow_xxx and code == "XXX"):
            self.warning(
                "UNKNOWN_CURRENCY",
                f"currency {code!r} is not an ISO 4217 code Cuadre knows; amounts read "
                "with 2 decimals",
                "Check the currency code in the document.",
                line,
            )
        return code


# --------------------------------------------------------------------------- XML helpers


def child(el: XmlElement | None, name: str) -> XmlElement | None:
    """First direct child with local name ``name`` (any namespace)."""
    if el is None:
        return None
    for c in el:
        if isinstance(c.tag, str) and local(c.tag) == name:
            return c
    return None


def children(el: XmlElement | None, name: str) -> list[XmlElement]:
    if el is None:
        return []
    return [c for c in el if isinstance(c.tag, str) and local(c.tag) == name]


def path(el: XmlElement | None, steps: str) -> XmlElement | None:
    """``path(root, "LegalMonetaryTotal/PayableAmount")``: first match, local names."""
    for step in steps.split("/"):
        el = child(el, step)
    return el


def text_at(el: XmlElement | None, steps: str = "") -> str:
    """Stripped text of ``path(el, steps)`` ('' when absent)."""
    node = path(el, steps) if steps else el
    return (node.text or "").strip() if node is not None else ""


def descendants(el: XmlElement, name: str) -> list[XmlElement]:
    return [e for e in el.iter() if isinstance(e.tag, str) and local(e.tag) == name]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def xml_start(data: bytes) -> bytes:
    """Leading whitespace removed: an XML declaration must be the very first thing, and
    files (and DIAN's CDATA attachments) often start with a newline."""
    return data.lstrip(b" \t\r\n")


def head_text(data: bytes, size: int = 16384) -> str:
    """The first bytes as text, for detectors (UTF-16 honoured, errors ignored)."""
    head = data[:size]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def tag_lines(data: bytes, name: str) -> list[int]:
    """1-based line of every start tag with local name ``name``, in document order.

    ElementTree keeps no line numbers; elements come in document order, so the k-th
    element named ``name`` is the k-th such start tag (callers check the counts agree).
    """
    pattern = re.compile(rb"<(?:[\w.-]+:)?" + re.escape(name.encode()) + rb"[\s/>]")
    return [data.count(b"\n", 0, m.start()) + 1 for m in pattern.finditer(data)]


# --------------------------------------------------------------------------- dispatch


def format_modules() -> list[ModuleType]:
    return [importlib.import_module(f"cuadre.importers.{name}") for name in FORMATS]


def detect_format(data: bytes, name: str) -> ModuleType | None:
    for mod in format_modules():
        try:
            if mod.detect(data, name):
                return mod
        except Exception:  # a detector must never stop the import of another format
            continue
    return None


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def read_fiscal_bytes(data: bytes, source: str, *, in_zip: bool = False) -> FiscalImport:
    """One file (not a ZIP) -> FiscalImport; never raises."""
    mod = detect_format(data, source)
    if mod is None:
        return nothing([_unknown(data, source, in_zip)])
    try:
        result: FiscalImport = mod.read(data, source)
    except Exception as exc:  # the last line of defence: a finding, never a traceback
        return nothing(
            [
                error(
                    Location(source),
                    "IMPORT_FAILED",
                    f"the {mod.FORMAT} file could not be read ({type(exc).__name__}: {exc})",
                    "Please report this file to the Cuadre maintainers.",
                )
            ],
            mod.FORMAT,
        )
    result.format = mod.FORMAT
    return result


def _unknown(data: bytes, source: str, in_zip: bool) -> Finding:
    head = head_text(data)
    if "cancelacfd.sat.gob.mx" in head or "<Cancelacion" in head:
        return warning(
            Location(source),
            "NOT_A_CFDI",
            "this is a CFDI cancellation request (Cancelacion), not an invoice; skipped",
            "Whether a UUID is cancelled comes from the SAT: import the bulk-download "
            "Metadata file.",
        )
    if in_zip:
        return info(
            Location(source),
            "SKIPPED_MEMBER",
            "not a CFDI, SAT Metadata or DIAN UBL document; skipped",
            "PDFs and other files in the package are not needed.",
        )
    return error(
        Location(source),
        "UNKNOWN_FORMAT",
        "not an e-invoice format Cuadre reads (CFDI 3.3/4.0 XML, SAT Metadata .txt, "
        "DIAN UBL 2.1 XML, or a ZIP of them)",
        "Give the XML as stamped, the Metadata text of the SAT bulk download, or the ZIP "
        "as downloaded.",
    )


def zip_members(data: bytes, source: str, depth: int = 1) -> Iterator[tuple[bytes, str] | Finding]:
    """Each member of a ZIP as ``(bytes, "archive.zip!member")``, or a finding when it is
    refused (encrypted, too big, too compressed, too many) or the archive is corrupt."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        yield error(
            Location(source),
            "ZIP_INVALID",
            f"the ZIP archive cannot be opened ({exc})",
            "Download the package again; it may be truncated.",
        )
        return
    if len(infos) > ZIP_MAX_MEMBERS:
        yield error(
            Location(source),
            "ZIP_REFUSED",
            f"the ZIP holds {len(infos):,} files, more than the {ZIP_MAX_MEMBERS:,} allowed",
            "Split the package; a SAT bulk download holds at most 200,000 CFDI.",
        )
        return
    total = 0
    for zi in infos:
        name = f"{source}!{zi.filename}"
        got = _read_member(archive, zi, name, ZIP_MAX_TOTAL_BYTES - total)
        if isinstance(got, Finding):
            yield got  # a refused member takes nothing from the budget: the rest go on
            continue
        total += len(got)
        if is_zip(got):
            if depth >= ZIP_MAX_DEPTH:
                yield warning(
                    Location(name),
                    "ZIP_REFUSED",
                    "a ZIP inside a ZIP inside a ZIP is not opened",
                    "Unzip the outer archives first.",
                )
                continue
            yield from zip_members(got, name, depth + 1)
            continue
        yield got, name


def _read_member(
    archive: zipfile.ZipFile, zi: zipfile.ZipInfo, name: str, budget: int
) -> bytes | Finding:
    """Read one member in chunks, never trusting the sizes its header claims."""
    limit = min(ZIP_MAX_MEMBER_BYTES, budget)
    if zi.flag_bits & 0x1:
        return error(
            Location(name),
            "ZIP_REFUSED",
            "the member is encrypted (password-protected)",
            "Unzip it with its password and give the files.",
        )
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(zi) as fh:
            while chunk := fh.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    what = (
                        f"more than {ZIP_MAX_MEMBER_BYTES // 2**20} MiB"
                        if limit == ZIP_MAX_MEMBER_BYTES
                        else f"over the {ZIP_MAX_TOTAL_BYTES // 2**20} MiB allowed for all members"
                    )
                    return error(
                        Location(name),
                        "ZIP_REFUSED",
                        f"the member unpacks to {what}; not read (a ZIP bomb or a wrong file)",
                        "Unzip the package yourself and give the files.",
                    )
                if size > 2**20 and size > ZIP_MAX_RATIO * max(zi.compress_size, 1):
                    return error(
                        Location(name),
                        "ZIP_REFUSED",
                        f"the member is compressed more than {ZIP_MAX_RATIO}:1; not read "
                        "(that is how ZIP bombs look)",
                        "Unzip the package yourself and give the files.",
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        return error(
            Location(name),
            "ZIP_INVALID",
            f"the member cannot be unpacked ({type(exc).__name__}: {exc})",
            "Download the package again; it may be truncated.",
        )
    return b"".join(chunks)


def import_fiscal(
    items: list[tuple[bytes, str]],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """Read every ``(bytes, source)`` (ZIPs expanded), merge and check across files.

    Returns ``(fiscal_docs, payment_complements, findings)``; never raises on bad data.
    """
    results: list[FiscalImport] = []
    findings: list[Finding] = []
    for data, source in items:
        if not is_zip(data):
            results.append(read_fiscal_bytes(data, source))
            continue
        for member in zip_members(data, source):
            if isinstance(member, Finding):
                findings.append(member)
            else:
                results.append(read_fiscal_bytes(member[0], member[1], in_zip=True))
    for r in results:
        findings.extend(r.findings)
    docs = _concat([r.fiscal_docs.assign(_format=r.format) for r in results], FISCAL_DOCS)
    comps = _concat([r.payment_complements for r in results], PAYMENT_COMPLEMENTS)
    docs, comps, more = merge_documents(docs, comps)
    findings.extend(more)
    docs = docs.drop(columns="_format").sort_values(
        list(FISCAL_DOCS.sort_by), kind="stable", na_position="first"
    )
    comps = comps.sort_values(
        [*PAYMENT_COMPLEMENTS.sort_by, "related_index"], kind="stable", na_position="first"
    )
    return docs.reset_index(drop=True), comps.reset_index(drop=True), findings


def _concat(frames: list[pd.DataFrame], schema: TableSchema) -> pd.DataFrame:
    empty = fiscal_table([]) if schema is FISCAL_DOCS else complements_table([])
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty.assign(_format="") if schema is FISCAL_DOCS else empty
    out = pd.concat(frames, ignore_index=True)
    return out.astype(empty.dtypes.to_dict())


# --------------------------------------------------------------------------- merging


def merge_documents(
    docs: pd.DataFrame, comps: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """One row per UUID: an XML and its SAT Metadata row merged, repeats dropped.

    ``docs`` carries ``_format`` (the reader of each row)."""
    findings: list[Finding] = []
    drop: list[int] = []
    dropped: set[tuple[str, str]] = set()
    stamped = docs[docs["uuid"].ne("")]
    for uuid, group in stamped.groupby("uuid", sort=False):
        if len(group) < 2:
            continue
        from_xml = group[group["_format"].ne("sat_metadata")]
        keep = from_xml.index[0] if len(from_xml) else group.index[0]
        for idx in group.index.drop(keep):
            row = docs.loc[idx]
            if row["_format"] == "sat_metadata" and docs.loc[keep, "_format"] != "sat_metadata":
                findings.extend(_take_status(docs, keep, row))
            else:
                findings.append(_duplicate(str(uuid), docs.loc[keep], row))
                if row["_format"] == "sat_metadata" and row["status"] == "cancelled":
                    _cancel(docs, keep, row)
                dropped.add((str(uuid), str(row["source_file"])))
            drop.append(idx)
    docs = docs.drop(index=drop)
    if dropped and len(comps):
        pairs = zip(comps["complement_uuid"], comps["source_file"], strict=True)
        comps = comps[[p not in dropped for p in pairs]]
    return docs, comps, findings


def _take_status(docs: pd.DataFrame, keep: object, meta: pd.Series) -> list[Finding]:
    """The SAT Metadata row of a UUID also read from its XML: take its status, compare."""
    kept = docs.loc[keep]
    if meta["status"] == "cancelled":
        _cancel(docs, keep, meta)
    elif not kept["status"]:
        docs.loc[keep, "status"] = meta["status"]
    monto = _value(meta["total"], "MXN")
    total = _value(kept["total"], kept["currency"])
    if monto is None or monto == total:
        return []
    return [
        warning(
            Location(str(meta["source_file"]), _int(meta["source_line"])),
            "METADATA_TOTAL_MISMATCH",
            f"UUID {meta['uuid']}: the SAT Metadata says Monto {monto:,} but the XML "
            f"{kept['source_file']} says Total {show(total, str(kept['currency']))}",
            "The XML may have been altered after stamping; download it again from the SAT.",
        )
    ]


def _cancel(docs: pd.DataFrame, keep: object, meta: pd.Series) -> None:
    """A cancellation seen in any Metadata wins: it happens after the document was valid."""
    docs.loc[keep, "status"] = "cancelled"
    docs.loc[keep, "cancellation_date"] = meta["cancellation_date"]


def _duplicate(uuid: str, kept: pd.Series, row: pd.Series) -> Finding:
    loc = Location(str(row["source_file"]), _int(row["source_line"]))
    cols = ("kind", "issuer_tax_id", "receiver_tax_id", "currency", "total")
    if all(str(kept[c]) == str(row[c]) for c in cols):
        return warning(
            loc,
            "DUPLICATE_DOCUMENT",
            f"UUID {uuid} was already imported from {kept['source_file']}; not counted twice",
            "Remove the repeated file from the import.",
        )
    return error(
        loc,
        "DUPLICATE_UUID",
        f"UUID {uuid} is also in {kept['source_file']} but the documents differ "
        f"({_who(kept)} there, {_who(row)} here); the one here is left out",
        "A UUID identifies one stamped document: one of the files is not genuine or was "
        "edited after stamping. Check both with the SAT / DIAN.",
    )


def _who(row: pd.Series) -> str:
    total = show(_value(row["total"], str(row["currency"])), str(row["currency"]))
    return f"{row['issuer_tax_id']} to {row['receiver_tax_id']}, total {total}"


def _value(units: object, currency: str) -> Decimal | None:
    if units is None or units is pd.NA or units != units:
        return None
    return Decimal(int(units)).scaleb(-exponent_or_2(currency))  # type: ignore[call-overload]


def _int(v: object) -> int | None:
    if v is None or v is pd.NA or v != v:
        return None
    return int(v)  # type: ignore[call-overload]


__all__ = [
    "FiscalImport",
    "import_fiscal",
    "read_fiscal_bytes",
    "zip_members",
]
