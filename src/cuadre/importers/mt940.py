"""SWIFT MT940 customer statements (and MT942 interim reports) -> bank lines.

What: the text format banks export as "MT940" (or ".sta"): optional SWIFT envelope
blocks ``{1:}{2:}{3:}{4: ... -}{5:}`` and SOH/ETX bytes, bank header lines, several
statements per file, CRLF or LF. Fields (SWIFT MT940 field numbers): ``:20:`` reference,
``:21:``, ``:25:`` account, ``:28C:``/``:28:`` statement/sequence number, ``:60F:``/``:60M:``
opening balance, ``:61:`` statement line, ``:86:`` information to account owner,
``:62F:``/``:62M:`` closing balance, ``:64:``/``:65:`` available balances (checked,
not used), ``:NS:`` (ignored); MT942 ``:34F:``/``:13D:``/``:90D:``/``:90C:``.

Field 61: value date ``YYMMDD``, optional entry date ``MMDD`` (year taken from the value
date, across a year end), mark ``C``/``D``/``RC`` (reversal of credit: money out)/``RD``
(reversal of debit: money in), optional funds code, amount with decimal comma
(``1234,56``, ``9,``, ``500``), transaction type ``N``/``F``/``S`` + 3 characters,
customer reference, ``//`` bank reference, supplementary details on the next line.

Field 86 dialects:

- German structured (DK/GVC, Deutsche Bank, Commerzbank, Sparkassen, Triodos ``>``):
  ``GVC?00text?10primanota?20..?29 remittance?30 BLZ/BIC?31 account?32..?33 name
  ?38 IBAN?60..?63 remittance``; SEPA keywords ``EREF+`` (end-to-end id), ``SVWZ+``
  (remittance), ``KREF+ MREF+ CRED+ ABWA+ ...`` inside the remittance.
- Slash codes (ING, ABN AMRO, Rabobank, Knab...): ``/EREF/../NAME/../IBAN/../REMI/..``,
  ``/CNTP/account/BIC/name/city/``, ``/BENM//NAME/..``, ``/ORDP//NAME/..``.
- Citi: ``/PT/FT/PY/payment details``, with BAI codes (``BAI CD 025``) in the
  supplementary details of field 61.
- Anything else is free text: the remittance.

Rules (strict by default): an amount, date or balance that cannot be read is an error
located at its line; a ``:61:`` outside any statement is an error; an impossible date such
as 30 February (banks counting 30-day months write it) is read as the month's last day
and reported. Currencies come from the balances (``:60F:``); lines of a currency Cuadre
does not know are not imported (error). ``statement_id`` = account / statement number /
opening date; ``line_id`` = statement id / position of the ``:61:`` in the statement.

Why our own parser: ``mt-940`` 5.1.1 (PyPI, import ``mt940``) was tried on every
sample in ``realdata/mt940``: it raises on a whole file for one malformed informational
field (``:65F:Dnullnull7414,3`` in two Oldenburgische Landesbank exports), merges all
statements of a file into one list (balances of the last statement only, so no
per-statement balance check), gives no line numbers for findings, and leaves ``:86:``
dialects other than the German ``?`` subfields unparsed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from cuadre.findings import Finding, Location, error, warning
from cuadre.importers.base import BANK_LINES, STATEMENTS, BankImport, typed_table, with_extras
from cuadre.io.tables import decode_text
from cuadre.money import UnknownCurrencyError, exponent, format_amount, to_minor

FORMAT = "mt940"

_TAGS = {
    "13D", "20", "21", "25", "25P", "28", "28C", "34F", "60F", "60M", "61", "62F", "62M",
    "64", "65", "86", "90C", "90D", "NS",
}  # fmt: skip
_ALIASES = {"64F": "64", "65F": "65", "65M": "65"}  # some banks letter these fields
_ONCE = {"20", "25", "28", "28C", "60F", "60M", "62F", "62M"}  # once per statement
_FIELD = re.compile(r":(\d\d[A-Z]?|NS):")
_END = re.compile(r"-(?:\}.*|XXX)?\s*")
_BLOCK = re.compile(r"\{[1235]:(?:[^{}]|\{[^{}]*\})*\}|\{4:")
_DETECT = re.compile(r"(?m)^(?:\{4:)?:20:.*\r?\n(?:.*\r?\n){0,6}?:(?:21|25|28C?):")
_LINE61 = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4}| {4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,.]*)\s*(?P<type>[A-Z])(?P<code>[A-Z0-9 ]{3})(?P<rest>.*)",
    re.DOTALL,
)
_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})?(\d[\d,]*)")
_AMOUNT = re.compile(r"(\d+)(?:,(\d*))?")
_GVC = re.compile(r"(\d{3})([^\w\s])\d\d")
_SEPA_KEYS = re.compile(
    r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|IBAN|BIC|PURP|SQTP|ORCR|ORMR)\+"
)
_SLASH_KEYS = (
    "EREF|PREF|MARF|CSID|CNTP|REMI|PURP|ULTC|ULTD|ULTB|RTRN|ORDP|BENM|NAME|ADDR|ID|IBAN|"
    "BIC|ISDT|TRTP|CREF|SVCL|IREF|CDTRREF|CDTRREFTP|CD|ISSR|EXCH|CHGS|OCMT|FX|ACCW|BUSP"
)
_SLASH = re.compile(rf"/({_SLASH_KEYS})/")
_CITI = re.compile(r"/(PT|PY|BN|BO|BI|OB|RF|RB|FT|BR|TR)/")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_BAI = re.compile(r"BAI CD (\d{3})")
_WRAP = 65  # field 86 lines are 65 characters: a full line was wrapped mid-text
_SUBFIELD = 27  # German ?20-?29 subfields are 27 characters


def detect(data: bytes, name: str) -> bool:
    """An MT940/MT942 statement: a ``:20:`` field followed by ``:25:``/``:28C:``/``:21:``."""
    head = data[:8192].decode("latin-1").replace("\x01", "")
    return bool(_DETECT.search(head))


def read(data: bytes, source: str) -> BankImport:
    """Bank lines and statements of every statement in the file; problems as findings."""
    text, findings = decode_text(data, source)
    groups, orphans = _statements(_fields(text))
    parser = _Parser(source, findings)
    reported = [parser.orphan(f) for f in orphans]
    for fields in groups:
        parser.statement(fields)
    if not groups and not any(reported):
        findings.append(
            error(
                Location(source, 1),
                "NOT_MT940",
                "no MT940 statement found (expected fields such as :20:, :25:, :60F:, :61:)",
                "Export the statement from the bank portal as MT940 (SWIFT) again.",
            )
        )
    lines = with_extras(typed_table(parser.lines, BANK_LINES), LINE_EXTRAS)
    statements = with_extras(typed_table(parser.statements, STATEMENTS), STATEMENT_EXTRAS)
    return BankImport(lines, statements, findings, FORMAT)


LINE_EXTRAS = (
    "source_line", "customer_reference", "supplementary_details", "transaction_type",
    "reversal", "booking_text", "counterparty_bank", "ultimate_party",
)  # fmt: skip
"""Columns after the contract's (``source_line``: the line of the ``:61:``)."""
STATEMENT_EXTRAS = ("source_line", "reference", "information")


# --- fields and statements ------------------------------------------------------------


@dataclass
class _Field:
    tag: str
    line: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _fields(text: str) -> list[_Field]:
    """Fields in file order; continuation lines kept, envelope and header lines dropped."""
    fields: list[_Field] = []
    current: _Field | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r").replace("\x01", "").replace("\x03", "")
        if line.startswith(("{", "-}")):
            line = _BLOCK.sub("", line)
        if _END.fullmatch(line):
            current = None  # end of message: what follows is a new message or header
            continue
        match = _FIELD.match(line)
        tag = _ALIASES.get(match.group(1), match.group(1)) if match else ""
        if match and tag in _TAGS:
            current = _Field(tag, number, [line[match.end() :]])
            fields.append(current)
        elif current is not None and line.strip():
            current.lines.append(line)
    return fields


def _statements(fields: list[_Field]) -> tuple[list[list[_Field]], list[_Field]]:
    """Fields grouped by statement (each starts at ``:20:``); lines outside any statement."""
    groups: list[list[_Field]] = []
    orphans: list[_Field] = []
    current: list[_Field] | None = None
    closed = False  # the current statement has its closing balance
    for f in fields:
        if f.tag == "20" or (f.tag in ("25", "60F", "60M") and closed):
            current, closed = [f], False
            groups.append(current)
        elif current is not None and not (closed and f.tag == "61"):
            current.append(f)
        else:
            orphans.append(f)
        closed = closed or (current is not None and f.tag in ("62F", "62M"))
    return groups, orphans


# --- parsing --------------------------------------------------------------------------


@dataclass
class _Balance:
    credit: bool
    date: str
    currency: str
    units: int | None

    @property
    def signed(self) -> int | None:
        return None if self.units is None else (self.units if self.credit else -self.units)


@dataclass
class _Details:
    """What field 86 says about one statement line."""

    remittance: str = ""
    name: str = ""
    account: str = ""
    bank: str = ""
    end_to_end_id: str = ""
    type_code: str = ""
    booking_text: str = ""
    ultimate: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class _Parser:
    def __init__(self, source: str, findings: list[Finding]) -> None:
        self.source = source
        self.findings = findings
        self.lines: list[dict[str, object]] = []
        self.statements: list[dict[str, object]] = []
        self.ids: set[str] = set()
        self.unknown: set[str] = set()

    def at(self, line: int) -> Location:
        return Location(self.source, line)

    def orphan(self, f: _Field) -> bool:
        """A field before any ``:20:`` or after a closing balance: reported if it matters."""
        if f.tag not in ("61", "86", "60F", "60M", "62F", "62M", "25"):
            return False
        self.findings.append(
            error(
                self.at(f.line),
                "MT940_OUTSIDE_STATEMENT",
                f"field :{f.tag}: stands outside any statement (no :20: reference and "
                ":25: account before it, or after the statement's closing balance)",
                "The file is incomplete or was edited by hand; export it again from the bank.",
            )
        )
        return True

    # statements

    def statement(self, fields: list[_Field]) -> None:
        first = {f.tag: f for f in reversed(fields)}  # the first field of each tag
        self.repeated(fields)
        opening = self.balance(first.get("60F") or first.get("60M"), "", required=True)
        currency = _currency(opening, None, first)
        closing = self.balance(first.get("62F") or first.get("62M"), currency, required=True)
        for tag in ("64", "65"):
            self.balance(first.get(tag), currency, required=False)
        currency = _currency(opening, closing, first)
        account = _account(_field_text(first.get("25")), currency)
        number = _field_text(first.get("28C") or first.get("28"))
        sid = self.statement_id(account, number, opening, fields[0])
        known = self.known(currency, fields[0].line)
        rows = self.rows(fields, sid, account, currency, opening) if known else []
        self.lines.extend(rows)
        self.statements.append(
            {
                "statement_id": sid,
                "account": account,
                "currency": currency,
                "opening_date": opening.date if opening else "",
                "opening_balance": opening.signed if opening and known else None,
                "closing_date": closing.date if closing else "",
                "closing_balance": closing.signed if closing and known else None,
                "line_count": len(rows),
                "source_file": self.source,
                "source_line": fields[0].line,
                "reference": _field_text(first.get("20")),
                "information": _info(fields),
            }
        )

    def repeated(self, fields: list[_Field]) -> None:
        seen: set[str] = set()
        for f in fields:
            if f.tag in _ONCE and f.tag in seen:
                self.findings.append(
                    warning(
                        self.at(f.line),
                        "MT940_REPEATED_FIELD",
                        f"field :{f.tag}: appears again in the same statement; the first one "
                        "is used",
                        "The file may be damaged: compare it with the bank portal.",
                    )
                )
            seen.add(f.tag)

    def statement_id(
        self, account: str, number: str, opening: _Balance | None, head: _Field
    ) -> str:
        parts = [account or (_field_text(head) if head.tag == "20" else ""), number]
        if opening is not None:
            parts.append(opening.date)
        sid = "/".join(p for p in parts if p) or f"mt940/{head.line}"
        if sid in self.ids:
            sid = f"{sid}#{head.line}"
        self.ids.add(sid)
        return sid

    def known(self, currency: str, line: int) -> bool:
        if not currency:
            self.findings.append(
                error(
                    self.at(line),
                    "MT940_NO_CURRENCY",
                    "the statement has no balance field (:60F:, :62F:) giving its currency; "
                    "its lines are not imported",
                    "The file is incomplete: export the statement again from the bank.",
                )
            )
            return False
        try:
            exponent(currency)
        except UnknownCurrencyError:
            if currency not in self.unknown:
                self.unknown.add(currency)
                self.findings.append(
                    error(
                        self.at(line),
                        "UNKNOWN_CURRENCY",
                        f"currency {currency!r} is not in Cuadre's currency table; the "
                        "statements in it are not imported",
                        "Add the currency and its decimals to cuadre/data/currencies.csv.",
                    )
                )
            return False
        return True

    def balance(self, f: _Field | None, currency: str, required: bool) -> _Balance | None:
        """``C200904EUR1234,56`` -> a balance; a broken one is an error (60/62) or a note."""
        if f is None:
            return None
        match = _BALANCE.fullmatch(re.sub(r"\s", "", f.text))
        if match is None:
            self.findings.append(
                (error if required else warning)(
                    self.at(f.line),
                    "MT940_BALANCE_INVALID",
                    f"balance :{f.tag}: {f.text.strip()!r} is not like C200904EUR1234,56"
                    + ("" if required else "; it is only informational and was ignored"),
                    "Export the statement again from the bank.",
                )
            )
            return None
        mark, date, ccy, amount = match.groups()
        day = self.date(date, f.line, f":{f.tag}: date")
        balance = _Balance(mark == "C", day or "", ccy or currency, None)
        if ccy is None:
            self.findings.append(
                warning(
                    self.at(f.line),
                    "MT940_BALANCE_NO_CURRENCY",
                    f"balance :{f.tag}: has no currency code; the statement's is used",
                )
            )
        balance.units = self.amount(amount, balance.currency, f.line)
        return balance

    # lines

    def rows(
        self, fields: list[_Field], sid: str, account: str, currency: str,
        opening: _Balance | None,
    ) -> list[dict[str, object]]:  # fmt: skip
        rows: list[dict[str, object]] = []
        current: dict[str, object] | None = None
        notes: list[_Field] = []
        for f in fields:
            if f.tag == "61":
                if current is not None:
                    rows.append(self.finish(current, notes))
                current, notes = self.line61(f, sid, account, currency, opening), []
                if current is not None:
                    current["line_id"] = f"{sid}/{len(rows) + 1}"
            elif f.tag in ("86", "NS") and current is not None:
                if f.tag == "86":
                    notes.append(f)
            elif f.tag in ("62F", "62M") and current is not None:
                rows.append(self.finish(current, notes))
                current = None
        if current is not None:
            rows.append(self.finish(current, notes))
        return rows

    def line61(
        self, f: _Field, sid: str, account: str, currency: str, opening: _Balance | None
    ) -> dict[str, object] | None:
        text = f.text
        match = _LINE61.match(text)
        if match is None:
            self.findings.append(
                error(
                    self.at(f.line),
                    "MT940_LINE_INVALID",
                    f"statement line :61: {text.partition(chr(10))[0]!r} is not like "
                    "'2006080608D12,35NTRFNONREF//bankref' (date, C/D mark, amount, type)",
                    "Export the statement again from the bank; this line is not imported.",
                )
            )
            return None
        value = self.date(match["value"], f.line, "value date")
        units = self.amount(match["amount"], currency, f.line)
        if value is None or units is None:
            return None
        entry = _entry_date(value, match["entry"])
        first, _, supplementary = match["rest"].partition("\n")
        customer, _, bank = first.partition("//")
        customer, overflow = customer[:16].strip(), customer[16:].strip()
        supplementary = " ".join(p for p in (overflow, supplementary.strip()) if p)
        credit = match["mark"] in ("C", "RD")
        signed = units if credit else -units
        return {
            "statement_id": sid,
            "account": account,
            "currency": currency,
            "booking_date": entry or value,
            "value_date": value,
            "amount": signed,
            "bank_reference": "" if bank.strip() == "NONREF" else bank.strip(),
            "type_code": match["type"] + match["code"].strip(),
            "source_file": self.source,
            "source_line": f.line,
            "customer_reference": "" if customer == "NONREF" else customer,
            "supplementary_details": supplementary,
            "transaction_type": match["type"] + match["code"].strip(),
            "reversal": "yes" if match["mark"].startswith("R") else "",
        }

    def finish(self, row: dict[str, object], notes: list[_Field]) -> dict[str, object]:
        details = _details86([line for n in notes for line in n.lines])
        supplementary = str(row["supplementary_details"])
        bai = _BAI.search(supplementary)
        row["counterparty_name"] = details.name
        row["counterparty_account"] = details.account
        if not details.account and _IBAN.fullmatch(supplementary):
            row["counterparty_account"] = supplementary  # Rabobank: IBAN on line 2 of :61:
        row["remittance"] = details.remittance
        row["end_to_end_id"] = details.end_to_end_id
        if details.type_code or bai:
            row["type_code"] = details.type_code or f"BAI {bai.group(1) if bai else ''}"
        row["booking_text"] = details.booking_text
        row["counterparty_bank"] = details.bank
        row["ultimate_party"] = details.ultimate
        return row

    # values

    def date(self, text: str, line: int, what: str) -> str | None:
        """``YYMMDD`` -> ISO date; 30 February (30-day months) becomes the month's end."""
        year, month, day = 2000 + int(text[:2]), int(text[2:4]), int(text[4:6])
        if year >= 2080:
            year -= 100  # SWIFT: YY 80-99 are 1980-1999
        if not 1 <= month <= 12 or day < 1 or day > 31:
            self.findings.append(
                error(
                    self.at(line),
                    "MT940_DATE_INVALID",
                    f"{what} {text!r} is not a date YYMMDD",
                    "Export the statement again from the bank.",
                )
            )
            return None
        last = calendar.monthrange(year, month)[1]
        if day > last:
            self.findings.append(
                warning(
                    self.at(line),
                    "MT940_DATE_NOT_IN_CALENDAR",
                    f"{what} {year}-{month:02d}-{day:02d} does not exist (some banks count "
                    f"30-day months); read as {year}-{month:02d}-{last:02d}",
                    "Check the value date with the bank if interest depends on it.",
                )
            )
            day = last
        return f"{year:04d}-{month:02d}-{day:02d}"

    def amount(self, text: str, currency: str, line: int) -> int | None:
        """``1234,56`` / ``9,`` / ``500`` -> minor units; extra decimals rounded and reported."""
        match = _AMOUNT.fullmatch(text)
        try:
            exp = exponent(currency)
        except UnknownCurrencyError:
            return None
        if match is None:
            self.findings.append(
                error(
                    self.at(line),
                    "AMOUNT_INVALID",
                    f"amount {text!r} is not an MT940 amount (digits with a decimal comma, "
                    "like 1234,56)",
                    "Export the statement again from the bank.",
                )
            )
            return None
        whole, frac = match.group(1), match.group(2) or ""
        if len(frac.rstrip("0")) <= exp:
            return int(whole) * 10**exp + (int(frac[:exp].ljust(exp, "0")) if exp else 0)
        units = to_minor(Decimal(f"{whole}.{frac}"), currency)
        self.findings.append(
            warning(
                self.at(line),
                "ROUNDED",
                f"amount {text} {currency} has more decimals than {currency} allows; rounded "
                f"to {format_amount(units, currency)}",
                "Check the line against the bank portal.",
            )
        )
        return units


# --- pure helpers ---------------------------------------------------------------------


def _field_text(f: _Field | None) -> str:
    return "" if f is None else " ".join(f.text.split())


def _currency(opening: _Balance | None, closing: _Balance | None, first: dict[str, _Field]) -> str:
    """From the balances; an MT942 gives it in :34F: or :90D:/:90C:."""
    for b in (opening, closing):
        if b is not None and b.currency:
            return b.currency
    for tag, pattern in (
        ("34F", r"([A-Z]{3})"),
        ("90D", r"\d+([A-Z]{3})"),
        ("90C", r"\d+([A-Z]{3})"),
    ):
        match = re.match(pattern, _field_text(first.get(tag)))
        if match:
            return match.group(1)
    return ""


def _account(text: str, currency: str) -> str:
    """``:25:`` without a trailing currency (``1291.99.348EUR``, ``.../HUF``)."""
    if currency and text.endswith(currency) and len(text) > 3:
        return text[:-3].rstrip("/ ")
    return text


def _entry_date(value: str, entry: str | None) -> str | None:
    """Entry date ``MMDD`` in the year closest to the value date (December/January)."""
    if not entry or not entry.strip():
        return None
    vdate = dt.date.fromisoformat(value)
    month, day = int(entry[:2]), int(entry[2:])
    best: dt.date | None = None
    for year in (vdate.year - 1, vdate.year, vdate.year + 1):
        try:
            candidate = dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            return None
        if best is None or abs(candidate - vdate) < abs(best - vdate):
            best = candidate
    return best.isoformat() if best else None


def _info(fields: list[_Field]) -> str:
    """``:86:`` of the statement itself: before the first ``:61:`` or after ``:62F:``."""
    texts: list[str] = []
    seen61 = False
    closed = False
    for f in fields:
        seen61 = seen61 or f.tag == "61"
        closed = closed or f.tag in ("62F", "62M")
        if f.tag == "86" and (not seen61 or closed):
            texts.append(" ".join(f.text.split()))
    return " | ".join(texts)


def _join_wrapped(lines: list[str]) -> str:
    """Field 86 lines as one text: a full line (65 characters, the first counting its
    ``:86:`` tag) was wrapped mid-word; a shorter one ended where the bank meant it to."""
    out = ""
    for i, line in enumerate(lines):
        if i and len(lines[i - 1]) + (4 if i == 1 else 0) < _WRAP:
            out += " "
        out += line
    return out


def _join_subfields(values: list[str]) -> str:
    """``?20``..``?29`` (27 characters each) as one text: a full one continues mid-word."""
    out = ""
    for i, value in enumerate(values):
        if i and len(values[i - 1]) < _SUBFIELD:
            out += " "
        out += value
    return out


def _details86(lines: list[str]) -> _Details:
    if not lines:
        return _Details()
    joined = "".join(lines)
    gvc = _GVC.match(joined.lstrip())
    if gvc:
        return _german(joined.lstrip(), gvc.group(1), gvc.group(2))
    text = _join_wrapped(lines).strip()
    if re.fullmatch(r"\d{3}", text):
        return _Details(type_code=text)
    if text.startswith("/PT/"):
        return _citi(text)
    if text.startswith("/") and _SLASH.search(text):
        return _slashed(text)
    return _Details(remittance=" ".join(text.split()))


def _german(text: str, gvc: str, sep: str) -> _Details:
    """``166?00GUTSCHRIFT?20EREF+...?21SVWZ+...?30BIC?31IBAN?32NAME`` (DK GVC subfields)."""
    parts: dict[str, list[str]] = {}
    for match in re.finditer(
        rf"{re.escape(sep)}(\d\d)((?:(?!{re.escape(sep)}\d\d).)*)", text, re.S
    ):
        parts.setdefault(match.group(1), []).append(match.group(2))

    def get(*codes: str) -> str:
        return _join_subfields([v for c in codes for v in parts.get(c, [])])

    purpose = get(*[str(n) for n in range(20, 30)], "60", "61", "62", "63")
    details = _Details(type_code=gvc, booking_text=get("00").strip(), bank=get("30").strip())
    details.name = " ".join(get("32", "33").split())
    details.account = (get("38") or get("31")).replace(" ", "")
    if _SEPA_KEYS.search(purpose):
        _sepa(purpose, details)
    else:
        details.remittance = " ".join(purpose.split())
    return details


def _sepa(purpose: str, details: _Details) -> None:
    """``EREF+x KREF+y SVWZ+text ABWA+name`` -> end-to-end id, remittance, ultimate party."""
    pieces = _SEPA_KEYS.split(purpose)
    lead, keyed = pieces[0].strip(), dict(zip(pieces[1::2], pieces[2::2], strict=True))
    values = {k: " ".join(v.split()) for k, v in keyed.items()}
    eref = values.get("EREF", "")
    details.end_to_end_id = "" if eref.upper() == "NOTPROVIDED" else eref
    if "SVWZ" in values:
        details.remittance = " | ".join(p for p in (" ".join(lead.split()), values["SVWZ"]) if p)
    else:  # no purpose keyword: keep all of the text rather than lose it
        details.remittance = " ".join(purpose.split())
    details.ultimate = values.get("ABWA", "") or values.get("ABWE", "")
    details.extra = values


def _slashed(text: str) -> _Details:
    """ING / ABN AMRO / Rabobank: ``/EREF/x/CNTP/iban/bic/name/city/REMI/USTD//text/``."""
    pieces = _SLASH.split(text)
    values: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        values.setdefault(key, value.strip().strip("/").strip())
    details = _Details(extra=values, booking_text=values.get("TRTP", ""))
    cntp = [p.strip() for p in values.get("CNTP", "").split("/")]
    details.account = values.get("IBAN", "") or (cntp[0] if cntp else "")
    details.name = values.get("NAME", "") or (cntp[2] if len(cntp) > 2 else "")
    details.bank = values.get("BIC", "") or (cntp[1] if len(cntp) > 1 else "")
    eref = values.get("EREF", "")
    details.end_to_end_id = "" if eref.upper() in ("NOTPROVIDED", "NONREF") else eref
    remi = values.get("REMI", "")
    remi = re.sub(r"^(?:USTD//?|STRD/(?:CUR/)?|STRD//)", "", remi).strip("/ ")
    details.remittance = " ".join(remi.split())
    details.ultimate = values.get("ULTD", "").strip("/")
    return details


def _citi(text: str) -> _Details:
    """Citi: ``/PT/FT/PY/payment details/BN/beneficiary/BO/ordering party``."""
    pieces = _CITI.split(text)
    values: dict[str, str] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        values.setdefault(key, " ".join(value.split()))
    return _Details(
        remittance=values.get("PY", ""),
        name=values.get("BO", "") or values.get("BN", ""),
        booking_text=values.get("PT", ""),
        extra=values,
    )
