"""What every importer shares: the result types, safe XML, and statement checks.

Every importer module offers the same small interface (one module per source format):

- ``FORMAT``: a short name (``"camt"``, ``"mt940"``...);
- ``detect(data: bytes, name: str) -> bool``: from the content, not the file name;
- ``read(data: bytes, source: str) -> BankImport`` (bank formats) or the module's own
  result type (ERP exports, e-invoices), never raising on bad data: problems are
  :class:`~cuadre.findings.Finding` objects located as ``file:line`` or ``Sheet!A1``.

Importers are I/O-free (they get bytes); :mod:`cuadre.importers.bank` reads the files.
XML is parsed only here. The policy: a document with any ``DOCTYPE`` is refused outright
(``XML_REFUSED``): bank statements and e-invoices never need one, and entity bombs and
external entities cannot work without one.

- :func:`parse_xml` (a whole document: e-invoices, OFX 2) uses one hardened lxml
  (libxml2) parser: entities never resolved, no network, no DTD loaded, libxml2's size
  limits on (``huge_tree`` off), comments and processing instructions dropped; a
  ``DOCTYPE`` found in the parsed document is refused.
- :func:`stream_xml` (large bank statements) streams through the standard library's C
  parser, which is faster here than lxml because lxml makes a Python object each time an
  element is touched (measured on a 200,000-line camt.053: lxml iterparse plus per-entry
  reading took longer than expat plus ElementTree's C ``find``). It streams only what
  cannot hold a DTD (no ``<!DOCTYPE``/``<!ENTITY`` in the bytes, an ASCII-compatible
  encoding); anything else goes to :func:`parse_xml`, so the refusal is the same.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser, iterparse

import pandas as pd
from lxml import etree

from cuadre.findings import Finding, Location, error, warning
from cuadre.model.tables import BANK_LINES, STATEMENTS, TableSchema, empty_table
from cuadre.money import format_amount, known_currencies


@dataclass
class BankImport:
    """Bank lines and statements read from one file, with their findings."""

    bank_lines: pd.DataFrame
    statements: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    format: str = ""


def typed_table(
    rows: list[dict[str, object]], schema: TableSchema, extras: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Records (money already in int minor units, dates as date/Timestamp) -> engine table.

    Columns missing from the records are filled empty. Without ``extras``, keys the schema
    lacks are kept after its columns as they are; with ``extras``, exactly those columns
    follow (see :func:`with_extras`) and other keys are dropped.
    """
    if not rows:
        table = empty_table(schema)
        return table if extras is None else with_extras(table, extras)
    frame = pd.DataFrame(rows)
    out: dict[str, pd.Series] = {}
    for col in schema.columns:
        s = frame[col.name] if col.name in frame else pd.Series([None] * len(frame))
        if col.kind == "date":
            out[col.name] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
        elif col.kind in ("money", "int"):
            out[col.name] = pd.Series(
                [None if v is None or v is pd.NA or v != v else int(v) for v in s.tolist()],
                dtype="Int64",
            )
        elif col.kind == "ratio":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            out[col.name] = pd.Series(
                [
                    "" if v is None or (isinstance(v, float) and v != v) else str(v)
                    for v in s.tolist()
                ],
                dtype=object,
            )
    table = pd.DataFrame(out)
    if extras is not None:
        return with_extras(
            pd.concat([table, frame[[c for c in extras if c in frame]]], axis=1), extras
        )
    for extra in frame.columns:
        if extra not in table:
            table[extra] = frame[extra].to_numpy()
    return table


def with_extras(table: pd.DataFrame, extras: tuple[str, ...]) -> pd.DataFrame:
    """The table's columns other than ``extras``, then exactly ``extras`` (present even
    when empty): ``source_line`` as Int64, the others as text (``""`` for none)."""
    out = table[[c for c in table.columns if c not in extras]].copy()
    for name in extras:
        values = table[name] if name in table else pd.Series([None] * len(table), dtype=object)
        if name == "source_line":
            out[name] = pd.array(values.tolist(), dtype="Int64")
        else:
            out[name] = [
                "" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values
            ]
    return out


XmlElement: TypeAlias = etree._Element
"""What :func:`parse_xml` gives: an lxml element (ElementTree API, plus ``sourceline``)."""

_SAFE = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class XmlRefused(ValueError):
    """The document has a DOCTYPE (internal subset or external DTD): never read."""


XML_ERRORS = (etree.XMLSyntaxError, XmlRefused, ParseError)
"""What reading a hostile or broken document raises: turn it into a finding with
:func:`xml_finding`."""


def parse_xml(data: bytes, source: str) -> tuple[XmlElement | None, list[Finding]]:
    """Parse XML safely; a hostile or broken document is a finding, never a traceback."""
    try:
        root = etree.fromstring(data, etree.XMLParser(**_SAFE))
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
            raise XmlRefused("DOCTYPE")
    except (*XML_ERRORS, ValueError) as exc:
        return None, [xml_finding(exc, data, source)]
    return root, []


XmlBatches: TypeAlias = Iterable[list[tuple[str, Any]]]
"""(event, element) pairs, every element as it ends, in batches."""

_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_PLAIN_ENCODINGS = {
    "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1",
    "iso-8859-15", "windows-1252", "cp1252",
}  # fmt: skip
_CHUNK = 1 << 14  # what the stream parser reads at a time; bigger batches cost more in GC


def stream_xml(data: bytes, source: str) -> tuple[XmlBatches | None, list[Finding]]:
    """Every element as it ends (document order of end tags), in batches; streamed when
    the bytes cannot hold a DTD, else from the tree :func:`parse_xml` builds (which
    refuses a DOCTYPE). Iterating may raise one of :data:`XML_ERRORS` on broken XML.

    The consumer may ``clear()`` an element once read, to keep a large file's memory flat.
    """
    if not _may_hold_dtd(data):
        return _stream(data), []
    root, findings = parse_xml(data, source)
    if root is None:
        return None, findings
    return [[("end", el) for el in _walk(root)]], findings


def _may_hold_dtd(data: bytes) -> bool:
    """False when the fast streaming parser is safe: no DTD, ASCII-compatible encoding.

    Entity expansion and external entities need a DTD; a document without ``<!DOCTYPE``
    (and whose bytes show it, i.e. not UTF-16/32) cannot declare any.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:512]:
        return True
    declared = _XML_ENCODING.match(data[:512])
    if declared and declared.group(1).decode("ascii").lower() not in _PLAIN_ENCODINGS:
        return True
    return b"<!DOCTYPE" in data or b"<!ENTITY" in data


def _stream(data: bytes) -> Iterator[list[tuple[str, Element]]]:
    """``iterparse`` without its per-element generator: the C parser fills a list of
    (event, element) per chunk fed, as ``XMLPullParser`` has it do."""
    events: list[tuple[str, Element]] = []
    parser = XMLParser(target=TreeBuilder())
    setevents = getattr(parser, "_setevents", None)
    if setevents is None:  # not CPython's C parser: the public, slower way
        yield [(e, el) for e, el in iterparse(io.BytesIO(data))]
        return
    setevents(events, ("end",))
    for start in range(0, len(data), _CHUNK):
        parser.feed(data[start : start + _CHUNK])
        yield events
        events.clear()
    parser.close()
    yield events


def _walk(el: Any) -> Iterator[Any]:
    """The elements in the order ``iterparse`` ends them, from a parsed tree."""
    for child in list(el):
        yield from _walk(child)
    yield el


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: reading a large file allocates millions of
    small objects (elements, row dicts) that hold no cycles, and each GC pass would walk
    them all (a third of a large camt import's time). Memory is still freed by reference
    counting; collection resumes, as it was, on exit."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def xml_finding(exc: Exception, data: bytes, source: str) -> Finding:
    """``XML_REFUSED`` for a document with a DOCTYPE, else ``XML_INVALID`` located at the
    line the parser stopped."""
    if isinstance(exc, XmlRefused) or _declares_dtd(data):
        return error(
            Location(source),
            "XML_REFUSED",
            "the XML was refused for safety (it has a DOCTYPE: entity declarations, "
            "external references and DTDs are not allowed in statements and e-invoices)",
            "Ask the sender for the original file as issued by the bank or the tax authority.",
        )
    position = getattr(exc, "position", None)
    line = position[0] if isinstance(position, tuple) and position[0] else None
    return error(
        Location(source, line),
        "XML_INVALID",
        f"the file is not well-formed XML ({exc})",
        "Download the file again; it may be truncated or edited by hand.",
    )


def _declares_dtd(data: bytes) -> bool:
    """A ``DOCTYPE`` or ``ENTITY`` declaration in the bytes (UTF-16 too): for a document
    the parser stopped on before its DTD could be seen."""
    head = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:512]:
        for codec in ("utf-16", "utf-32"):
            try:
                head = data.decode(codec).encode("utf-8")
                break
            except UnicodeDecodeError:
                continue
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def local(tag: str) -> str:
    """``{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}Stmt`` -> ``Stmt``."""
    return tag.rsplit("}", 1)[-1]


def check_balances(statements: pd.DataFrame, lines: pd.DataFrame, source: str) -> list[Finding]:
    """Opening balance + the statement's lines = closing balance, where both are given."""
    found: list[Finding] = []
    if statements.empty:
        return found
    sums = lines.groupby("statement_id")["amount"].sum() if len(lines) else pd.Series(dtype="Int64")
    for st in statements.itertuples(index=False):
        if pd.isna(st.opening_balance) or pd.isna(st.closing_balance):
            continue
        moved = int(sums.get(st.statement_id, 0))
        expected = int(st.opening_balance) + moved
        if expected != int(st.closing_balance):
            cur = st.currency if st.currency in known_currencies() else "XXX"
            found.append(
                warning(
                    Location(source),
                    "STATEMENT_NOT_BALANCED",
                    f"statement {st.statement_id}: opening {format_amount(int(st.opening_balance), cur)}"
                    f" + lines {format_amount(moved, cur)} = {format_amount(expected, cur)}"
                    f" != closing {format_amount(int(st.closing_balance), cur)}"
                    f" (difference {format_amount(int(st.closing_balance) - expected, cur)})",
                    "Lines may be missing from the file, or it holds an interim statement.",
                )
            )
    return found


__all__ = [
    "BANK_LINES",
    "STATEMENTS",
    "XML_ERRORS",
    "BankImport",
    "XmlBatches",
    "XmlElement",
    "XmlRefused",
    "check_balances",
    "empty_table",
    "gc_paused",
    "local",
    "parse_xml",
    "stream_xml",
    "typed_table",
    "with_extras",
    "xml_finding",
]
