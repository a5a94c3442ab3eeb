"""BAI2 cash-management balance reports -> bank_lines and statements.

Reference: BAI *Cash Management Balance Reporting Specifications, Version 2* (Bank
Administration Institute, 1987; maintained by ASC X9 since 2009). A file is a series of
comma-separated records, each starting with a two-digit record code and ending with
``/`` (except where a transaction detail ends in its free text):

======  =====================================================================
record  meaning (fields used here)
======  =====================================================================
01      file header: sender, receiver, creation date YYMMDD, time, file id, version
02      group header: originator, group status (2 = deletion, 4 = test), as-of date
        YYMMDD, as-of time, default currency
03      account identifier: account number, currency, then summary triplets
        ``type code, amount, item count, funds type`` (010 opening ledger, 015 closing
        ledger, 040 opening available, 045 closing available, 100 total credits...)
16      transaction detail: type code, amount, funds type, bank reference, customer
        reference, free text (the text may hold commas and slashes)
88      continuation of the previous 03 or 16 record
49      account trailer: control total, number of records
98, 99  group and file trailers: control total, number of accounts/groups, records
======  =====================================================================

Amounts carry no decimal point: they are minor units of the currency (``150000`` USD is
1,500.00; JPY has no decimals), so they are used as they are. Detail amounts are
unsigned: type codes 100-399 and 920-959 are credits (+, money in), 400-699 and 960-999
debits (-). Funds types ``0 1 2 Z`` take no extra field, ``S`` three amounts, ``V`` a
value date and time (the value date of the line), ``D`` a count and that many
day/amount pairs.

One statement per account per group: ``statement_id`` is
``<sender>-<creation date>-<file id>/<group number>/<account>`` (``#2``... when an
account repeats in a group), ``line_id`` adds the detail's position in the account.
Balances are the 010/015 ledger pair, else the 040/045 available pair. The 49, 98 and
99 control totals and record counts are verified; a difference is a warning (the file
may be cut or edited). The 100/400 credit and debit totals are not compared with the
details: the specification allows summaries whose items are not all detailed.

Records are split at each line end and at a ``/`` followed by another record code, so
several records may share a physical line; a ``/`` inside a reference or the text
(``AB/GS/0001``, ``08/18/23``) does not end the record.

Why not the ``bai2`` PyPI package (0.15.0): tried on every sample in
``realdata/bai2``, it fails on moov ``sample2`` (a 03 summary whose type code and amount
are split across an 88 continuation: ``NotSupportedYetException``), raises a bare
``ValueError`` without a line number on ``sample-parseError``, and its integrity check is
all-or-nothing (``IntegrityException`` on the Goldman Sachs samples), so a partly wrong
file cannot be reported record by record. This module parses the records itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from cuadre.findings import Finding, Location, error, warning
from cuadre.importers.base import BANK_LINES, STATEMENTS, BankImport, typed_table
from cuadre.io.tables import decode_text as decode
from cuadre.money import format_amount, known_currencies

FORMAT = "bai2"

RECORD_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
_RECORD_START = re.compile(r"^(\d\d),")
_RECORD_SPLIT = re.compile(r"(?<=/)\s*(?=(?:01|02|03|16|49|88|98|99),)")
_SIGNED = re.compile(r"^[+-]?[0-9]+$")
_UNSIGNED = re.compile(r"^\+?[0-9]+$")
_TAG = re.compile(r"^([A-Z]{4}):\s?(.*)$")

LEDGER = ("010", "015")
AVAILABLE = ("040", "045")
MAX_UNITS = 10**15  # far above any real balance; keeps sums inside int64
DEFAULT_CURRENCY = "USD"  # the specification's default when 02 and 03 give none

HINT_FILE = "Download the BAI2 file again from the bank portal; it may be cut or edited."


def detect(data: bytes, name: str) -> bool:
    """A BAI2 file starts with a ``01,`` file header (or, broken, another ``NN,`` record
    ending in ``/``) and holds record-coded lines."""
    try:
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        first = head.split(b"\n", 1)[0].strip()
        if not re.match(rb"^\d\d,", first):
            return False
        if first.startswith(b"01,"):
            return first.count(b",") >= 4
        return first.endswith(b"/") and first.count(b",") >= 4
    except Exception:
        return False


# --------------------------------------------------------------------------- records


@dataclass
class Record:
    """One logical record with its 88 continuations: ``segments[0]`` is the record's
    own content (code and final ``/`` removed), the rest the continuations'."""

    code: str
    line: int
    segments: list[str]
    raw_count: int = 1  # records as the trailers count them (the record + its 88s)


def split_records(text: str, source: str) -> tuple[list[Record], list[Finding]]:
    """Text -> logical records, 88 continuations attached to the record they continue."""
    records: list[Record] = []
    found: list[Finding] = []
    for number, physical in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        for piece in _RECORD_SPLIT.split(physical):
            piece = piece.rstrip()
            if not piece.strip():
                continue
            m = _RECORD_START.match(piece.lstrip())
            if m is None or m.group(1) not in RECORD_CODES:
                found.append(_bad_record(source, number, piece))
                continue
            body = piece.lstrip()[3:]
            body = body[:-1] if body.endswith("/") else body
            if m.group(1) == "88":
                if not records:
                    found.append(_bad_record(source, number, piece, "continues nothing"))
                    continue
                records[-1].segments.append(body)
                records[-1].raw_count += 1
                continue
            records.append(Record(m.group(1), number, [body]))
    return records, found


def _bad_record(source: str, line: int, piece: str, why: str = "") -> Finding:
    shown = piece.strip()[:40]
    reason = why or (
        "does not start with a BAI2 record code (01, 02, 03, 16, 49, 88, 98, 99) and a comma"
    )
    return warning(
        Location(source, line),
        "BAI2_BAD_RECORD",
        f'record "{shown}" {reason}; it was skipped',
        HINT_FILE,
    )


class Fields:
    """Comma-separated fields read across a record and its continuations.

    A continuation carries on the field list where the previous record stopped; once a
    detail's fixed fields are read, everything left is its free text."""

    def __init__(self, segments: list[str]) -> None:
        self.segments = segments
        self.index = 0
        self.rest: str | None = segments[0] if segments else None

    def next(self) -> str | None:
        while self.rest is None:
            self.index += 1
            if self.index >= len(self.segments):
                return None
            self.rest = self.segments[self.index]
        head, sep, tail = self.rest.partition(",")
        self.rest = tail if sep else None
        return head.strip()

    def field(self) -> str:
        value = self.next()
        return "" if value is None else value

    def text(self) -> tuple[str, list[str]]:
        """The free text, and the continuation segments it came from (for tags)."""
        parts = [] if self.rest is None else [self.rest]
        later = self.segments[self.index + 1 :]
        self.rest, self.index = None, len(self.segments)
        text = " ".join(p.strip() for p in [*parts, *later] if p.strip())
        return text, [p.strip() for p in later]


# --------------------------------------------------------------------------- values


def parse_yymmdd(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{6}", text):
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    try:
        return dt.date(2000 + yy if yy < 80 else 1900 + yy, mm, dd)
    except ValueError:
        return None


def show(units: int, currency: str) -> str:
    """An amount for a message; without a known currency, as the file's minor units."""
    return format_amount(units, currency) if currency else f"{units} minor units"


def direction(type_code: int) -> int | None:
    """+1 for credit type codes, -1 for debits, None for status and unassigned codes."""
    if 100 <= type_code <= 399 or 920 <= type_code <= 959:
        return 1
    if 400 <= type_code <= 699 or 960 <= type_code <= 999:
        return -1
    return None


def skip_funds(fields: Fields, funds: str) -> dt.date | None:
    """Consume the extra fields of a funds type; return the value date of ``V``."""
    kind = funds.upper()
    if kind == "S":
        for _ in range(3):
            fields.field()
    elif kind == "V":
        value = parse_yymmdd(fields.field())
        fields.field()
        return value
    elif kind == "D":
        count = fields.field()
        for _ in range(int(count) if count.isascii() and count.isdigit() and int(count) < 100 else 0):
            fields.field()
            fields.field()
    return None


# --------------------------------------------------------------------------- parser


@dataclass
class Account:
    record: Record
    statement_id: str
    number: str
    currency: str
    as_of: dt.date | None
    summaries: dict[str, int] = field(default_factory=dict)
    control: int = 0
    records: int = 0
    lines: list[dict[str, object]] = field(default_factory=list)


@dataclass
class Group:
    record: Record
    number: int
    as_of: dt.date | None
    currency: str
    skip: bool = False
    control: int = 0
    accounts: int = 0
    records: int = 0
    seen: dict[str, int] = field(default_factory=dict)


@dataclass
class FileHeader:
    record: Record
    file_id: str
    control: int = 0
    groups: int = 0
    records: int = 0


class Parser:
    """A small state machine over the records: file > group > account > detail."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.findings: list[Finding] = []
        self.lines: list[dict[str, object]] = []
        self.statements: list[dict[str, object]] = []
        self.file: FileHeader | None = None
        self.group: Group | None = None
        self.account: Account | None = None

    # -- helpers
    def loc(self, rec: Record) -> Location:
        return Location(self.source, rec.line)

    def problem(self, rec: Record, code: str, message: str, hint: str = HINT_FILE) -> None:
        self.findings.append(error(self.loc(rec), code, message, hint))

    def note(self, rec: Record, code: str, message: str, hint: str = HINT_FILE) -> None:
        self.findings.append(warning(self.loc(rec), code, message, hint))

    def count(self, rec: Record) -> None:
        for level in (self.account, self.group, self.file):
            if level is not None:
                level.records += rec.raw_count

    def amount(self, rec: Record, text: str, what: str, signed: bool) -> int | None:
        pattern = _SIGNED if signed else _UNSIGNED
        if text == "":
            return None
        if not pattern.match(text):
            form = "digits with an optional sign" if signed else "digits only"
            self.problem(rec, "BAI2_BAD_AMOUNT", f'{what} "{text}" is not a BAI2 amount ({form})')
            return None
        value = int(text)
        if abs(value) >= MAX_UNITS:
            self.problem(rec, "BAI2_BAD_AMOUNT", f'{what} "{text}" is too large to be an amount')
            return None
        return value

    # -- records
    def run(self, records: list[Record]) -> None:
        handlers = {
            "01": self.file_header,
            "02": self.group_header,
            "03": self.account_header,
            "16": self.detail,
            "49": self.account_trailer,
            "98": self.group_trailer,
            "99": self.file_trailer,
        }
        if records and records[0].code != "01":
            self.problem(
                records[0],
                "BAI2_NO_FILE_HEADER",
                f"the file starts with record {records[0].code}; a BAI2 file starts with "
                "the 01 file header",
            )
        for rec in records:
            handlers[rec.code](rec)
        self.finish(records[-1] if records else None)

    def file_header(self, rec: Record) -> None:
        if self.file is not None:
            self.finish(rec)
        f = Fields(rec.segments)
        sender, _receiver, created, _time, file_id = (f.field() for _ in range(5))
        _length, _block, version = f.field(), f.field(), f.field()
        if version and version != "2":
            self.note(
                rec,
                "BAI2_VERSION",
                f'the file header says version "{version}"; this reader follows BAI version 2',
                "Ask the bank for the BAI2 (version 2) layout.",
            )
        self.file = FileHeader(rec, f"{sender}-{created}-{file_id}")
        self.count(rec)

    def group_header(self, rec: Record) -> None:
        if self.file is None:
            self.problem(rec, "BAI2_OUT_OF_PLACE", "a 02 group header before any 01 file header")
            self.file = FileHeader(rec, "BAI2")
        if self.group is not None:
            self.close_group(rec, "a new 02 group header")
        f = Fields(rec.segments)
        _receiver, _originator, status, as_of_text = (f.field() for _ in range(4))
        _time, currency = f.field(), f.field().upper()
        as_of = parse_yymmdd(as_of_text)
        if as_of is None:
            self.problem(
                rec,
                "BAI2_BAD_DATE",
                f'group as-of date "{as_of_text}" is not a date in YYMMDD form',
            )
        self.file.groups += 1
        self.group = Group(rec, self.file.groups, as_of, currency)
        self.count(rec)
        if status in ("2", "4"):
            what = "deletes an earlier report" if status == "2" else "is marked test only"
            self.note(
                rec,
                "BAI2_GROUP_STATUS",
                f"group {self.group.number} (status {status}) {what}; its accounts were not imported",
                "Import the bank's current report for those accounts instead.",
            )
            self.group.skip = True

    def account_header(self, rec: Record) -> None:
        if self.group is None:
            self.problem(rec, "BAI2_OUT_OF_PLACE", "a 03 account record outside any 02 group")
            return
        if self.account is not None:
            self.close_account(rec, "a new 03 account record")
        f = Fields(rec.segments)
        number, currency = f.field(), f.field().upper()
        currency = self.currency(rec, currency or self.group.currency)
        occurrence = self.group.seen.get(number, 0) + 1
        self.group.seen[number] = occurrence
        file_id = self.file.file_id if self.file else "BAI2"
        sid = f"{file_id}/{self.group.number}/{number}" + (
            f"#{occurrence}" if occurrence > 1 else ""
        )
        self.account = Account(rec, sid, number, currency, self.group.as_of)
        self.count(rec)
        self.summaries(rec, f)

    def currency(self, rec: Record, code: str) -> str:
        if not code:
            return DEFAULT_CURRENCY
        if code not in known_currencies():
            self.problem(
                rec,
                "BAI2_UNKNOWN_CURRENCY",
                f'currency "{code}" is not an ISO 4217 code Cuadre knows; amounts of this '
                "account cannot be scaled",
                "Check the 02/03 currency field, or add the currency to data/currencies.csv.",
            )
            return ""
        return code

    def summaries(self, rec: Record, f: Fields) -> None:
        assert self.account is not None
        while True:
            code = f.next()
            if code is None:
                return
            amount_text, _count, funds = f.field(), f.field(), f.field()
            skip_funds(f, funds)
            if code == "" and amount_text == "":
                continue
            amount = self.amount(rec, amount_text, f"summary {code} amount", signed=True)
            if amount is None:
                continue
            self.account.control += amount
            self.account.summaries.setdefault(code, amount)

    def detail(self, rec: Record) -> None:
        if self.account is None:
            self.problem(rec, "BAI2_OUT_OF_PLACE", "a 16 detail record outside any 03 account")
            return
        self.count(rec)
        f = Fields(rec.segments)
        type_text, amount_text, funds = f.field(), f.field(), f.field()
        value_date = skip_funds(f, funds)
        bank_ref, customer_ref = f.field(), f.field()
        text, continuations = f.text()
        amount = self.amount(rec, amount_text, f"detail amount (type {type_text})", signed=False)
        if amount is None:
            if amount_text == "":
                self.problem(rec, "BAI2_BAD_AMOUNT", f"detail type {type_text} has no amount")
            return
        self.account.control += amount
        if not re.fullmatch(r"\d{3}", type_text):
            self.problem(rec, "BAI2_BAD_TYPE_CODE", f'type code "{type_text}" is not 3 digits')
            return
        sign = direction(int(type_text))
        if sign is None:
            if amount:
                self.note(
                    rec,
                    "BAI2_NO_DIRECTION",
                    f"type code {type_text} is neither a credit (100-399, 920-959) nor a debit "
                    f"(400-699, 960-999); the line of {show(amount, self.account.currency)} "
                    "was left out",
                    "Ask the bank what the code means; the balance check shows its effect.",
                )
            return
        tags = {m.group(1): m.group(2) for m in map(_TAG.match, continuations) if m}
        party = ("DBNM", "DACT") if sign > 0 else ("CRNM", "CACT")
        self.account.lines.append(
            {
                "line_id": f"{self.account.statement_id}/{len(self.account.lines) + 1}",
                "statement_id": self.account.statement_id,
                "account": self.account.number,
                "currency": self.account.currency,
                "booking_date": self.account.as_of,
                "value_date": value_date,
                "amount": sign * amount,
                "counterparty_name": tags.get(party[0], ""),
                "counterparty_account": tags.get(party[1], ""),
                "remittance": text,
                "bank_reference": bank_ref,
                "end_to_end_id": tags.get("EREF", "") or customer_ref,
                "type_code": type_text,
                "source_file": self.source,
                "source_line": rec.line,
            }
        )

    # -- trailers
    def account_trailer(self, rec: Record) -> None:
        if self.account is None:
            self.problem(rec, "BAI2_OUT_OF_PLACE", "a 49 account trailer without its 03 account")
            return
        self.count(rec)
        f = Fields(rec.segments)
        total, records = f.field(), f.field()
        acc = self.account
        self.check_total(
            rec, f"account {acc.number}", total, acc.control, records, acc.records, acc.currency
        )
        self.close_account(rec, None)

    def group_trailer(self, rec: Record) -> None:
        if self.group is None:
            self.problem(rec, "BAI2_OUT_OF_PLACE", "a 98 group trailer without its 02 group")
            return
        if self.account is not None:
            self.close_account(rec, "the 98 group trailer")
        self.count(rec)
        f = Fields(rec.segments)
        total, accounts, records = f.field(), f.field(), f.field()
        g = self.group
        self.check_total(rec, f"group {g.number}", total, g.control, records, g.records)
        if accounts.isascii() and accounts.isdigit() and int(accounts) != g.accounts:
            self.note(
                rec,
                "BAI2_CONTROL_COUNT",
                f"group {g.number} trailer counts {accounts} accounts; the group holds {g.accounts}",
            )
        self.close_group(rec, None)

    def file_trailer(self, rec: Record) -> None:
        if self.file is None:
            self.problem(rec, "BAI2_OUT_OF_PLACE", "a 99 file trailer without its 01 header")
            return
        if self.group is not None:
            self.close_group(rec, "the 99 file trailer")
        self.count(rec)
        f = Fields(rec.segments)
        total, groups, records = f.field(), f.field(), f.field()
        fh = self.file
        self.check_total(rec, "file", total, fh.control, records, fh.records)
        if groups.isascii() and groups.isdigit() and int(groups) != fh.groups:
            self.note(
                rec,
                "BAI2_CONTROL_COUNT",
                f"file trailer counts {groups} groups; the file holds {fh.groups}",
            )
        self.file = None

    def check_total(
        self,
        rec: Record,
        what: str,
        total: str,
        actual: int,
        records: str,
        counted: int,
        currency: str = "",
    ) -> None:
        """A trailer's control total and record count against what was read."""
        given = self.amount(rec, total, f"{what} control total", signed=True)
        if given is not None and given != actual:
            self.note(
                rec,
                "BAI2_CONTROL_TOTAL",
                f"{what}: control total {show(given, currency)} != {show(actual, currency)}, the "
                f"sum of the amounts in its records (difference {show(given - actual, currency)})",
            )
        if records.isascii() and records.isdigit() and int(records) != counted:
            self.note(
                rec,
                "BAI2_CONTROL_COUNT",
                f"{what}: trailer counts {records} records; {counted} were read",
            )

    def close_account(self, rec: Record, cause: str | None) -> None:
        acc = self.account
        if acc is None:
            return
        self.account = None
        if cause is not None:
            self.note(
                rec,
                "BAI2_MISSING_TRAILER",
                f"account {acc.number} (line {acc.record.line}) has no 49 trailer before {cause}",
            )
        if self.group is not None:
            self.group.control += acc.control
            self.group.accounts += 1
        if (self.group is not None and self.group.skip) or not acc.currency:
            return
        self.lines.extend(acc.lines)
        self.statements.append(self.statement(acc))

    def statement(self, acc: Account) -> dict[str, object]:
        pair = LEDGER if any(c in acc.summaries for c in LEDGER) else AVAILABLE
        return {
            "statement_id": acc.statement_id,
            "account": acc.number,
            "currency": acc.currency,
            "opening_date": acc.as_of,
            "opening_balance": acc.summaries.get(pair[0]),
            "closing_date": acc.as_of,
            "closing_balance": acc.summaries.get(pair[1]),
            "line_count": len(acc.lines),
            "source_file": self.source,
            "source_line": acc.record.line,
        }

    def close_group(self, rec: Record, cause: str | None) -> None:
        if self.group is None:
            return
        if self.account is not None:
            self.close_account(rec, cause or "the end of the group")
        if cause is not None:
            self.note(
                rec,
                "BAI2_MISSING_TRAILER",
                f"group {self.group.number} (line {self.group.record.line}) has no 98 trailer "
                f"before {cause}",
            )
        if self.file is not None:
            self.file.control += self.group.control
        self.group = None

    def finish(self, last: Record | None) -> None:
        if last is None:
            return
        if self.group is not None:
            self.close_group(last, "the end of the file")
        if self.file is not None:
            self.note(
                last,
                "BAI2_MISSING_TRAILER",
                "the file ends without its 99 file trailer; it may be cut short",
            )
            self.file = None


def read(data: bytes, source: str) -> BankImport:
    """BAI2 bytes -> bank lines (one per 16 record) and statements (one per 03 account)."""
    text, findings = decode(data, source)
    text = text.lstrip("\ufeff")
    records, found = split_records(text, source)
    findings.extend(found)
    if not records:
        findings.append(
            error(
                Location(source, 1),
                "BAI2_EMPTY",
                "no BAI2 records were found (expected 01, 02, 03, 16, 49, 98, 99 records)",
                HINT_FILE,
            )
        )
    parser = Parser(source)
    parser.run(records)
    findings.extend(parser.findings)
    return BankImport(
        typed_table(parser.lines, BANK_LINES),
        typed_table(parser.statements, STATEMENTS),
        findings,
        FORMAT,
    )
