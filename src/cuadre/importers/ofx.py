"""OFX / QFX bank and credit-card statements -> bank_lines and statements.

Reference: Open Financial Exchange Specification 1.0.3 (SGML) and 2.1.1 / 2.2 (XML),
chapter 11 "Banking": ``STMTRS`` (bank statement response) and ``CCSTMTRS`` (credit
card), each with ``CURDEF``, ``BANKACCTFROM`` / ``CCACCTFROM`` (``BANKID``, ``ACCTID``),
``BANKTRANLIST`` (``DTSTART``, ``DTEND`` and the ``STMTTRN`` transactions) and
``LEDGERBAL`` (``BALAMT`` at ``DTASOF``). Quicken's QFX is OFX with an ``INTU.BID``.

Per ``STMTTRN``: ``TRNTYPE`` -> type_code, ``DTPOSTED`` -> booking_date, ``DTAVAIL``
(else ``DTUSER``) -> value_date, ``TRNAMT`` (signed, + money in; ``.`` or ``,`` as
decimal separator, as the specification allows) -> amount, ``NAME`` or ``PAYEE/NAME``
-> counterparty_name, ``BANKACCTTO``/``CCACCTTO`` ``ACCTID`` -> counterparty_account,
``MEMO`` -> remittance, ``REFNUM`` (else ``FITID``) -> bank_reference, ``CHECKNUM`` ->
the extra column ``check_number``. Dates are ``YYYYMMDD[HHMMSS[.XXX]][[+-]H:TZ]``; the
date is taken as written (the bank's local day), the time and zone are dropped.

Ids: ``statement_id`` is ``<ACCTID>:<DTSTART>-<DTEND>`` (days), ``line_id`` adds the
``FITID``, which the specification makes unique per account, so re-importing a file
gives the same ids. OFX gives no opening balance: ``opening_balance`` stays empty and
the closing balance is ``LEDGERBAL``; with one balance only, no balance check is
possible. Investment statements (``INVSTMTRS``) are reported, not read.

Parsing. OFX 2 files are XML and go through :func:`cuadre.importers.base.parse_xml`
(hardened lxml: a DOCTYPE, hence any entity bomb or external entity, is refused). OFX 1.x files are SGML
whose leaf elements have no end tags (``<TRNAMT>-6.60<FITID>...``); they are read by a
small tokenizer here that builds the same element tree without ever expanding an
entity: an element not in ``AGGREGATES`` is a leaf and ends at the next tag, a missing
aggregate end tag (Nubank omits ``</BANKTRANLIST>``) is closed by its parent's. A file
that says it is XML but is not well-formed (ANZ sends SGML under an XML header) is read
the SGML way and reported.

Why not ``ofxtools`` (1.1.1): tried on every sample in ``realdata/ofx``, it rejects
files banks really send (``BANKID`` longer than 9 characters, no OFX header before
``<OFX>``, a missing ``</BANKTRANLIST>``, empty ``LEDGERBAL``), and it parses XML with
its own lexer, outside the safe ``parse_xml``. ``ofxparse`` was not used for the same
reason (BeautifulSoup-based, no located errors).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement

import pandas as pd

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import (
    BANK_LINES,
    STATEMENTS,
    BankImport,
    local,
    parse_xml,
    typed_table,
)
from cuadre.io.tables import decode_text as decode_any
from cuadre.money import exponent, format_amount, from_minor, known_currencies, to_minor
from cuadre.parsing import parse_amounts

FORMAT = "ofx"

AGGREGATES = frozenset(
    (
        "OFX", "SIGNONMSGSRSV1", "SONRS", "STATUS", "FI", "BANKMSGSRSV1", "STMTTRNRS", "STMTRS",
        "BANKACCTFROM", "BANKACCTTO", "CCACCTFROM", "CCACCTTO", "BANKTRANLIST", "STMTTRN",
        "PAYEE", "LEDGERBAL", "AVAILBAL", "BALLIST", "BAL", "CURRENCY", "ORIGCURRENCY",
        "CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS", "SIGNUPMSGSRSV1", "ACCTINFOTRNRS",
        "ACCTINFORS", "ACCTINFO", "BANKACCTINFO", "CCACCTINFO", "INVACCTINFO",
        "INVSTMTMSGSRSV1", "INVSTMTTRNRS", "INVSTMTRS", "INVACCTFROM", "INVTRANLIST",
        "INVBANKTRAN", "INVPOSLIST", "INVBAL", "STMTENDTRNRS", "STMTENDRS", "CCSTMTENDTRNRS",
        "CCSTMTENDRS", "MKTGINFO",
    )
)  # fmt: skip
"""OFX aggregates (elements with children and an end tag) that statements use."""

LEAVES = frozenset(
    (
        "TRNTYPE", "DTPOSTED", "DTUSER", "DTAVAIL", "TRNAMT", "FITID", "NAME", "MEMO",
        "CHECKNUM", "REFNUM", "ACCTID", "BANKID", "BRANCHID", "ACCTTYPE", "CURDEF", "CURSYM",
        "BALAMT", "DTASOF", "DTSTART", "DTEND", "CODE", "SEVERITY", "MESSAGE",
    )
)  # fmt: skip
"""Elements read here that are always leaves, even when empty and followed by a tag."""

_TOKEN = re.compile(
    r"<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    r"|<!--.*?-->"
    r"|<[!?][^>]*>"
    r"|<(?P<close>/)?(?P<tag>[A-Za-z][\w.:-]*)[^<>]*?(?P<empty>/)?>"
    r"|(?P<text>[^<]+|<)",
    re.S,
)
_DATE = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2})(?:[.:]\d{1,3})?)?)?"
    r"\s*(?:\[\s*[+-]?\d+(?:\.\d+)?(?::[^\]]*)?\])?$"
)
_OFX_AMOUNT = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_STMTTRN_TAG = re.compile(r"<STMTTRN\s*>", re.I)
_STATEMENT_TAG = re.compile(r"<(?:CC)?STMTRS\s*>", re.I)

MAX_UNITS = 10**15  # far above any real balance; keeps sums inside int64
HINT_DOWNLOAD = "Download the statement again from the bank (OFX, QFX or 'Money' format)."


def detect(data: bytes, name: str) -> bool:
    """OFX 1.x starts with ``OFXHEADER:100``; OFX 2 has an ``<?OFX ...?>`` instruction;
    some banks send the bare ``<OFX>`` body (perhaps after an XML declaration)."""
    try:
        head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
        if re.match(rb"OFXHEADER\s*:", head, re.I) or re.search(rb"<\?OFX\s", head, re.I):
            return True
        return head.startswith(b"<") and re.search(rb"<OFX>", head, re.I) is not None
    except Exception:
        return False


# --------------------------------------------------------------------------- tree


def sgml_tree(body: str) -> tuple[Element, int]:
    """OFX 1.x SGML -> an element tree (tags upper-cased, text stripped).

    An element is an aggregate when it is in ``AGGREGATES``, or when it holds no text
    before the next tag and has an end tag somewhere in the file (bank-specific
    wrappers); any other element is a leaf that ends where the next tag starts.
    Returns the root and the number of end tags that closed nothing (reported)."""
    closable = {name.upper() for name in re.findall(r"</([A-Za-z][\w.:-]*)", body)}
    root = Element("_DOCUMENT")
    stack = [root]
    stray = 0
    for m in _TOKEN.finditer(body):
        if m.group("tag"):
            tag = m.group("tag").upper()
            if m.group("close"):
                names = [el.tag for el in stack]
                if tag in names[1:]:
                    del stack[len(names) - names[::-1].index(tag) - 1 :]
                else:
                    stray += 1
                continue
            while len(stack) > 1 and not _holds_children(stack[-1], closable):
                stack.pop()
            element = SubElement(stack[-1], tag)
            if not m.group("empty"):
                stack.append(element)
        elif m.group("cdata") is not None or m.group("text") is not None:
            raw = m.group("cdata") if m.group("cdata") is not None else html.unescape(m.group(0))
            top = stack[-1]
            top.text = (top.text or "") + raw
    for el in root.iter():
        el.text = (el.text or "").strip()
    return root, stray


def _holds_children(el: Element, closable: set[str]) -> bool:
    if el.tag in AGGREGATES:
        return True
    return el.tag in closable and el.tag not in LEAVES and not (el.text or "").strip()


def document_tree(data: bytes, text: str, source: str) -> tuple[Element | None, list[Finding]]:
    """The OFX element tree: XML through ``parse_xml`` (lxml), else the SGML tokenizer
    (ElementTree); both give the ElementTree API that the rest of this module uses."""
    start = re.search(r"<OFX\s*>", text, re.I)
    declared_xml = re.match(r"\s*<\?xml", text) is not None
    dangerous = re.search(r"<!(?:DOCTYPE|ENTITY)", text, re.I) is not None
    if declared_xml or dangerous:
        xml = data if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.lstrip()
        root, found = parse_xml(xml, source)
        if root is not None:
            for el in root.iter():  # as the SGML reader names them: no namespace, upper case
                el.tag = local(el.tag).upper()
            return root, []
        if any(f.code == "XML_REFUSED" for f in found) or dangerous:
            return None, found
        if start is None:
            return None, found
        note = info(
            Location(source),
            "OFX_SGML_UNDER_XML",
            "the file declares OFX 2 (XML) but its tags are not closed; read as OFX 1 (SGML)",
        )
        tree, _stray = sgml_tree(text[start.start() :])
        return tree, [note]
    if start is None:
        return None, [
            error(
                Location(source),
                "OFX_NO_BODY",
                "no <OFX> element was found after the OFX header",
                HINT_DOWNLOAD,
            )
        ]
    tree, stray = sgml_tree(text[start.start() :])
    found = []
    if stray:
        found.append(
            info(
                Location(source),
                "OFX_STRAY_END_TAG",
                f"{stray} end tags close no open element and were ignored",
            )
        )
    return tree, found


def child(el: Element | None, *path: str) -> Element | None:
    """The first element along ``path`` of direct children (tag names upper case)."""
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if c.tag == name), None)
    return el


def first(*candidates: Element | None) -> Element | None:
    """The first element that exists (an Element without children is falsy: no ``or``)."""
    return next((c for c in candidates if c is not None), None)


def value(el: Element | None, *path: str) -> str:
    found = child(el, *path)
    return (found.text or "").strip() if found is not None else ""


def elements(root: Element, name: str) -> list[Element]:
    return [el for el in root.iter() if el.tag == name]


# --------------------------------------------------------------------------- values


def parse_ofx_date(text: str) -> dt.date | None:
    m = _DATE.match(text.strip())
    if m is None:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def canonical_amount(text: str) -> str:
    """An OFX amount in the contract's form: ``-6,60`` -> ``-6.60``, ``.5`` -> ``0.5``.
    Anything else is left for :func:`cuadre.parsing.parse_amounts` to judge."""
    text = text.strip()
    if not _OFX_AMOUNT.match(text):
        return text
    text = re.sub(r"^([+-]?)[.,]", r"\g<1>0.", text.replace(",", "."))
    return text.rstrip(".")


def day_key(text: str) -> str:
    return text.strip()[:8] if parse_ofx_date(text) else ""


def status_problem(el: Element | None) -> str:
    """``CODE MESSAGE`` of an OFX ``STATUS`` whose severity is ERROR, else ``""``."""
    status = child(el, "STATUS")
    if status is None or value(status, "SEVERITY").upper() != "ERROR":
        return ""
    message = value(status, "MESSAGE")
    return f"code {value(status, 'CODE')}" + (f": {message}" if message else "")


# --------------------------------------------------------------------------- statements


@dataclass
class Statement:
    element: Element
    line: int | None
    transactions: list[tuple[Element, int | None]]


class Reader:
    """Reads the statements of one OFX document."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.findings: list[Finding] = []
        self.lines: list[dict[str, object]] = []
        self.statements: list[dict[str, object]] = []
        self.ids: set[str] = set()

    def add(self, severity: str, line: int | None, code: str, message: str, hint: str) -> None:
        make = {"error": error, "warning": warning, "info": info}[severity]
        self.findings.append(make(Location(self.source, line), code, message, hint))

    def currency(self, st: Statement, account: str) -> str:
        code = value(st.element, "CURDEF").upper()
        if not code:
            symbols = {value(t, "CURRENCY", "CURSYM").upper() for t, _ in st.transactions}
            symbols.discard("")
            if len(symbols) == 1:
                code = symbols.pop()
                self.add(
                    "warning",
                    st.line,
                    "OFX_NO_CURDEF",
                    f"statement of account {account} has no CURDEF; the lines say {code}",
                    "Check the currency of the account.",
                )
        if code not in known_currencies():
            shown = f'currency "{code}"' if code else "no currency (CURDEF)"
            self.add(
                "error",
                st.line,
                "OFX_UNKNOWN_CURRENCY",
                f"statement of account {account} has {shown}; its lines were not read",
                HINT_DOWNLOAD,
            )
            return ""
        return code

    def read_statement(self, st: Statement) -> None:
        el = st.element
        acct = first(child(el, "BANKACCTFROM"), child(el, "CCACCTFROM"))
        account = value(acct, "ACCTID")
        currency = self.currency(st, account or "?")
        if not currency:
            return
        tranlist = child(el, "BANKTRANLIST")
        start, end = value(tranlist, "DTSTART"), value(tranlist, "DTEND")
        # a missing </BANKTRANLIST> leaves LEDGERBAL inside the list: look deeper
        ledger = first(child(el, "LEDGERBAL"), *elements(el, "LEDGERBAL"))
        asof = value(ledger, "DTASOF")
        days = "-".join(k for k in (day_key(start), day_key(end) or day_key(asof)) if k)
        sid = f"{account or 'OFX'}:{days}"
        base, n = sid, 1
        while sid in self.ids:
            n += 1
            sid = f"{base}#{n}"
        self.ids.add(sid)
        lines = self.transactions(st, sid, account, currency)
        closing = self.balance(ledger, currency, st.line, account)
        self.lines.extend(lines)
        self.statements.append(
            {
                "statement_id": sid,
                "account": account,
                "currency": currency,
                "opening_date": parse_ofx_date(start),
                "opening_balance": None,
                "closing_date": parse_ofx_date(asof) or parse_ofx_date(end),
                "closing_balance": closing,
                "line_count": len(lines),
                "source_file": self.source,
                "source_line": st.line,
            }
        )

    def balance(
        self, ledger: Element | None, currency: str, line: int | None, acct: str
    ) -> int | None:
        if ledger is None:
            return None
        text = value(ledger, "BALAMT")
        units = self.amounts([text], currency, [line], "LEDGERBAL BALAMT")[0]
        if units is None and not text:
            self.add(
                "warning",
                line,
                "OFX_NO_BALANCE",
                f"the ledger balance (LEDGERBAL) of account {acct} has no amount",
                "The statement is imported without a closing balance.",
            )
        return units

    def amounts(
        self, texts: list[str], currency: str, lines: list[int | None], what: str
    ) -> list[int | None]:
        """OFX amounts (``-6.60``, ``-6,60``) -> minor units, each problem located.

        Plain OFX amounts convert exactly with :func:`cuadre.money.to_minor`; any other
        form (``$120``) is left to :func:`cuadre.parsing.parse_amounts` and reported."""
        out: list[int | None] = []
        for raw, line in zip(texts, lines, strict=True):
            text = raw.strip()
            if _OFX_AMOUNT.match(text):
                exact = Decimal(canonical_amount(text))
                units = to_minor(exact, currency)
                if abs(units) >= MAX_UNITS:
                    self.add(
                        "error",
                        line,
                        "OFX_BAD_AMOUNT",
                        f'{what} "{text}" is too large',
                        HINT_DOWNLOAD,
                    )
                    out.append(None)
                    continue
                if from_minor(units, currency) != exact:
                    shown = format_amount(units, currency)
                    self.add(
                        "warning",
                        line,
                        "ROUNDED",
                        f'{what} "{text}" has more decimals than {currency} allows; rounded '
                        f"to {shown}",
                        "Check the amount against the bank's statement.",
                    )
                out.append(units)
                continue
            out.append(self.messy_amount(text, currency, line, what) if text else None)
        return out

    def messy_amount(self, text: str, currency: str, line: int | None, what: str) -> int | None:
        parsed = parse_amounts(pd.Series([text], dtype=object), pd.Series([exponent(currency)]))
        read_units = parsed.units.iloc[0]
        if pd.isna(read_units) or bool(parsed.rounded.iloc[0]):
            self.add(
                "error", line, "OFX_BAD_AMOUNT", f'{what} "{text}" is not an amount', HINT_DOWNLOAD
            )
            return None
        units = int(read_units)
        self.add(
            "warning",
            line,
            "OFX_AMOUNT_FORM",
            f'{what} "{text}" is not a plain OFX amount; read as {format_amount(units, currency)}',
            "Check the amount against the bank's statement.",
        )
        return units

    def transactions(
        self, st: Statement, sid: str, account: str, currency: str
    ) -> list[dict[str, object]]:
        trns = st.transactions
        units = self.amounts(
            [value(t, "TRNAMT") for t, _ in trns], currency, [ln for _, ln in trns], "TRNAMT"
        )
        out: list[dict[str, object]] = []
        seen: dict[str, int] = {}
        for (t, line), amount in zip(trns, units, strict=True):
            posted_text = value(t, "DTPOSTED")
            posted = parse_ofx_date(posted_text)
            if posted is None:
                shown = f'"{posted_text}" is not an OFX date' if posted_text else "is missing"
                self.add(
                    "error",
                    line,
                    "OFX_BAD_DATE",
                    f"the posting date (DTPOSTED) of transaction {value(t, 'FITID') or '?'} "
                    f"{shown} (expected YYYYMMDD[HHMMSS])",
                    HINT_DOWNLOAD,
                )
            if amount is None:
                if not value(t, "TRNAMT"):
                    self.add(
                        "error",
                        line,
                        "OFX_BAD_AMOUNT",
                        "a transaction has no TRNAMT",
                        HINT_DOWNLOAD,
                    )
                continue
            if posted is None:
                continue
            out.append(self.line(t, line, sid, account, currency, amount, posted, seen))
        return out

    def line(
        self,
        t: Element,
        line: int | None,
        sid: str,
        account: str,
        currency: str,
        amount: int,
        posted: dt.date,
        seen: dict[str, int],
    ) -> dict[str, object]:
        fitid = value(t, "FITID")
        key = fitid or f"#{len(seen) + 1}"
        if not fitid:
            self.add(
                "warning",
                line,
                "OFX_NO_FITID",
                "a transaction has no FITID; its line id uses its position in the file",
                "Overlapping downloads of this account cannot be told apart; check for doubles.",
            )
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            self.add(
                "warning",
                line,
                "OFX_DUPLICATE_FITID",
                f"FITID {key} appears {seen[key]} times in the statement",
                "Check that the transaction is not listed twice.",
            )
            key = f"{key}#{seen[key]}"
        if child(t, "CURRENCY") is not None and value(t, "CURRENCY", "CURSYM").upper() not in (
            "",
            currency,
        ):
            self.add(
                "warning",
                line,
                "OFX_LINE_CURRENCY",
                f"transaction {key} is in {value(t, 'CURRENCY', 'CURSYM')}, not {currency}; "
                "its amount was taken as it is",
                "Check the amount against the bank's statement.",
            )
        to = first(child(t, "BANKACCTTO"), child(t, "CCACCTTO"))
        return {
            "line_id": f"{sid}/{key}",
            "statement_id": sid,
            "account": account,
            "currency": currency,
            "booking_date": posted,
            "value_date": parse_ofx_date(value(t, "DTAVAIL")) or parse_ofx_date(value(t, "DTUSER")),
            "amount": amount,
            "counterparty_name": value(t, "NAME") or value(t, "PAYEE", "NAME"),
            "counterparty_account": value(to, "ACCTID"),
            "remittance": value(t, "MEMO"),
            "bank_reference": value(t, "REFNUM") or fitid,
            "end_to_end_id": "",
            "type_code": value(t, "TRNTYPE").upper(),
            "source_file": self.source,
            "source_line": line,
            "check_number": value(t, "CHECKNUM"),
        }


def line_numbers(text: str, pattern: re.Pattern[str]) -> list[int]:
    """1-based line of each match, in document order (counted incrementally)."""
    found, line, last = [], 1, 0
    for m in pattern.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        found.append(line)
    return found


def collect(root: Element, text: str) -> list[Statement]:
    """Bank and credit-card statements with their transactions and source lines."""
    trn_lines = line_numbers(text, _STMTTRN_TAG)
    st_lines = line_numbers(text, _STATEMENT_TAG)
    every_trn = elements(root, "STMTTRN")  # held: lxml keeps an element's identity only
    order = {id(el): i for i, el in enumerate(every_trn)}  # while something references it
    found = []
    for i, el in enumerate(el for el in root.iter() if el.tag in ("STMTRS", "CCSTMTRS")):
        trns = [
            (t, trn_lines[order[id(t)]] if order[id(t)] < len(trn_lines) else None)
            for t in elements(el, "STMTTRN")
        ]
        found.append(Statement(el, st_lines[i] if i < len(st_lines) else None, trns))
    return found


def server_errors(root: Element, source: str) -> list[Finding]:
    found = []
    for name in ("SONRS", "STMTTRNRS", "CCSTMTTRNRS"):
        for el in elements(root, name):
            problem = status_problem(el)
            if problem:
                what = "sign-on" if name == "SONRS" else "statement request"
                found.append(
                    error(
                        Location(source),
                        "OFX_SERVER_ERROR",
                        f"the bank answered the {what} with an error ({problem}); "
                        "the file holds no statement",
                        "Download the statement again; if it repeats, ask the bank.",
                    )
                )
    return found


def decode(data: bytes, source: str) -> tuple[str, list[Finding]]:
    """Bytes -> text. OFX 1 declares ``CHARSET:1252``, so a Windows-1252 file is normal."""
    text, found = decode_any(data, source)
    declared = re.search(r"CHARSET\s*:\s*(\S+)", text[:1024], re.I)
    if declared and declared.group(1).upper() not in ("UTF-8", "UTF8", "NONE", "65001"):
        found = [f for f in found if f.code != "ENCODING"]
    return text, found


def read(data: bytes, source: str) -> BankImport:
    """OFX/QFX bytes -> bank lines (one per STMTTRN) and statements (one per STMTRS)."""
    text, findings = decode(data, source)
    root, found = document_tree(data, text, source)
    findings.extend(found)
    reader = Reader(source)
    if root is not None:
        findings.extend(server_errors(root, source))
        statements = collect(root, text)
        for st in statements:
            reader.read_statement(st)
        findings.extend(reader.findings)
        findings.extend(not_read(root, source, bool(statements), findings))
    return BankImport(
        typed_table(reader.lines, BANK_LINES),
        typed_table(reader.statements, STATEMENTS),
        findings,
        FORMAT,
    )


def not_read(
    root: Element, source: str, any_statement: bool, so_far: list[Finding]
) -> list[Finding]:
    """Investment statements, and files without any statement, are reported."""
    found = []
    for inv in elements(root, "INVSTMTRS"):
        found.append(
            warning(
                Location(source),
                "OFX_INVESTMENT_NOT_READ",
                f"investment statement of account {value(inv, 'INVACCTFROM', 'ACCTID') or '?'} "
                "was not read: Cuadre reads bank and credit-card statements",
                "Download the cash account's bank statement instead.",
            )
        )
    if not any_statement and not found and not any(f.is_error for f in so_far):
        found.append(
            warning(
                Location(source),
                "OFX_NO_STATEMENT",
                "the OFX file holds no bank or credit-card statement (STMTRS or CCSTMTRS)",
                "Download the account's statement (transactions), not an account list.",
            )
        )
    return found
