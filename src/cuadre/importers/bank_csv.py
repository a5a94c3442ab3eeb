"""Bank statement CSV exports (the generic fallback) -> bank_lines and statements.

Every bank portal exports "movements" as CSV with its own columns; there is no standard
to cite. This reader finds the header row (title rows above it are skipped), names the
columns by their role from the names banks use in English, Spanish and French
(``COLUMNS``: Fecha / Date / Booking date, Fecha valor / Value date, Concepto /
Descripción / Details / Memo, Importe / Amount, Cargo / Retiro / Debit / Withdrawal,
Abono / Depósito / Credit / Deposit, Saldo / Balance, Moneda / Currency, Referencia /
Reference...), and reads the amounts by one of three sign conventions:

1. one signed amount column (``Importe -1.234,56``);
2. separate debit and credit columns (``Cargo`` / ``Abono``): debits are money out
   whatever sign the bank prints (some print ``-500,00`` in the debit column);
3. an amount plus a debit/credit indicator column (``D/C``, ``Cargo/Abono``, ``Signo``)
   whose values are all indicator words (``D``, ``CR``, ``Debit``, ``Abono``, ``-``...).

Separators come from :func:`cuadre.io.tables.decode_text` (BOM, UTF-16, Windows-1252)
and the header line's field separator; amounts and dates from :mod:`cuadre.parsing`:
the decimal separator and the ``dd/mm`` or ``mm/dd`` order are decided once per file
from the values that can be read only one way (reported when nothing decides).

Statements: one per file, or one per account and currency when the file has such
columns (PayPal's multi-currency activity). With a running balance column (``Saldo``)
the closing balance is the last balance and the opening the first balance minus its
row's amount (newest-first exports are recognised from the balances); every row is
checked (balance = previous balance + amount) and the first row where it does not hold
is reported. Rows that carry a balance but no amount (``SALDO INICIAL``) anchor the
chain without becoming lines.

Ids: a CSV has no statement identifier, so ``statement_id`` is built from the account,
currency, first and last date and a digest of the rows' dates, amounts and texts:
re-importing the same movements gives the same ids. ``line_id`` adds the row's position
in the statement; ``source_line`` is the file line.

A file without any currency (column, ``(EUR)`` in a header, ``Moneda: MXN`` above the
header, or ``€`` in the amounts) is imported with an empty currency and a warning, and
its balances are not carried (no guessing: the reader is strict by default).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from cuadre import parsing
from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import BANK_LINES, STATEMENTS, BankImport, empty_table, typed_table
from cuadre.io.tables import decode_text, sniff_separator
from cuadre.money import exponents_for, format_amount, known_currencies
from cuadre.text import strip_accents

FORMAT = "bank_csv"
HEADER_SCAN_ROWS = 30

COLUMNS: dict[str, tuple[str, ...]] = {
    "booking_date": (
        "booking_date", "fecha_contable", "date_comptable", "posting_date", "posted_date",
        "fecha", "date", "fecha_operacion", "fecha_de_operacion", "fecha_movimiento",
        "fecha_de_movimiento", "fecha_del_movimiento", "transaction_date",
        "fecha_transaccion", "fecha_de_transaccion", "date_operation", "fecha_aplicacion",
        "dia",
    ),
    "value_date": (
        "value_date", "fecha_valor", "fecha_de_valor", "f_valor", "date_de_valeur",
        "date_valeur", "valuta",
    ),
    "amount": (
        "amount", "importe", "monto", "montant", "net", "transaction_amount", "cantidad",
        "valor", "importe_movimiento", "gross",
    ),
    "debit": (
        "debit", "debits", "cargo", "cargos", "retiro", "retiros", "withdrawal",
        "withdrawals", "debito", "debitos", "debe", "paid_out", "money_out", "salidas",
        "egresos", "debit_amount",
    ),
    "credit": (
        "credit", "credits", "abono", "abonos", "deposito", "depositos", "deposit",
        "deposits", "credito", "creditos", "haber", "paid_in", "money_in", "entradas",
        "ingresos", "credit_amount",
    ),
    "balance": (
        "saldo", "balance", "running_balance", "solde", "saldo_contable", "ledger_balance",
        "saldo_disponible", "available_balance",
    ),
    "currency": ("currency", "moneda", "divisa", "devise", "ccy", "currency_code"),
    "reference": (
        "reference", "referencia", "ref", "transaction_id", "referencia_bancaria",
        "numero_de_referencia", "no_referencia", "bank_reference", "reference_number",
    ),
    "account": (
        "account", "cuenta", "iban", "account_number", "numero_de_cuenta", "no_de_cuenta",
        "numero_cuenta", "compte",
    ),
    "counterparty_name": (
        "counterparty", "counterparty_name", "name", "nombre", "payee", "payer",
        "beneficiario", "ordenante", "nombre_ordenante", "nombre_del_ordenante",
        "beneficiary", "contraparte", "tercero",
    ),
    "counterparty_account": (
        "counterparty_account", "cuenta_ordenante", "cuenta_contraparte", "clabe_ordenante",
        "cuenta_beneficiario",
    ),
    "indicator": (
        "d_c", "dc", "c_d", "dr_cr", "cr_dr", "debit_credit", "credit_debit", "cargo_abono",
        "abono_cargo", "signo", "sign", "indicador", "indicator", "tipo_de_movimiento",
        "tipo_movimiento", "naturaleza", "d_h", "debe_haber", "sentido", "type", "tipo",
        "details",
    ),
    "type_code": (
        "type", "tipo", "type_operation", "tipo_operacion", "tipo_de_operacion",
        "transaction_type", "codigo", "code", "transaction_code", "codigo_operacion",
    ),
    "description": (
        "description", "descripcion", "concepto", "details", "detalle", "memo", "libelle",
        "libelle_simplifie", "informations_complementaires", "narrative", "observaciones",
        "texto", "concept", "transaction_details", "descripcion_del_movimiento",
        "referencia_ampliada", "additional_information", "invoice_id", "factura",
    ),
}  # fmt: skip
"""Column role -> normalised header names (accents dropped, lower case, ``_`` for
spaces and punctuation), best first. Candidate for ``data/`` as reference data."""

SINGLE_ROLES = (
    "booking_date", "value_date", "amount", "debit", "credit", "balance", "currency",
    "reference", "account", "counterparty_name", "counterparty_account", "type_code",
)  # fmt: skip

INDICATOR_WORDS: dict[str, int] = {
    **dict.fromkeys(
        [
            "D",
            "DR",
            "DB",
            "DEB",
            "DEBIT",
            "DEBITO",
            "CARGO",
            "RETIRO",
            "DEBE",
            "WITHDRAWAL",
            "OUT",
            "-",
        ],
        -1,
    ),
    **dict.fromkeys(
        [
            "C",
            "CR",
            "CRED",
            "CREDIT",
            "CREDITO",
            "ABONO",
            "DEPOSITO",
            "HABER",
            "H",
            "DEPOSIT",
            "IN",
            "+",
        ],
        1,
    ),
    "A": 1,  # Abono, in the Spanish C/A convention where C is Cargo
}
"""Debit/credit indicator values -> sign (money out -1, money in +1)."""

TOTAL_WORDS = re.compile(r"\b(total|totales|suma|saldo|balance|solde)\b", re.I)
_HEADER_CURRENCY = re.compile(r"[\s(\[]+([A-Za-z]{3})[)\]]?\s*$")
_TITLE_CURRENCY = re.compile(r"\b(?:moneda|divisa|currency|devise)\b\W*([A-Z]{3})\b", re.I)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?)\b")
_TITLE_ACCOUNT = re.compile(
    r"\b(?:cuenta|account|compte|clabe)\b[^\d\n]{0,30}?\b([A-Z]{0,4}\d(?:[\d-]|\s(?=\d)){4,40}\d)",
    re.I,
)

HINT_EXPORT = "Export the movements again from the bank portal as CSV."


# --------------------------------------------------------------------------- text


# --------------------------------------------------------------------------- header


def normalise(name: str) -> tuple[str, str]:
    """``"Importe (EUR)"`` -> (``"importe"``, ``"EUR"``); ``"Fecha Operación"`` ->
    (``"fecha_operacion"``, ``""``)."""
    text = strip_accents(str(name)).replace("\ufeff", "").strip()
    currency = ""
    m = _HEADER_CURRENCY.search(text)
    if m and m.group(1).upper() in known_currencies() and m.start() > 0:
        currency = m.group(1).upper()
        text = text[: m.start()]
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_"), currency


@dataclass
class Layout:
    """Which column plays which role (0-based column indexes)."""

    roles: dict[str, int] = field(default_factory=dict)
    descriptions: list[int] = field(default_factory=list)
    header_currency: str = ""

    @property
    def usable(self) -> bool:
        r = self.roles
        return "booking_date" in r and ("amount" in r or ("debit" in r and "credit" in r))


def assign_roles(header: list[str], body: list[list[str]] | None = None) -> Layout:
    """Header cells -> roles. ``body`` (the data rows) confirms indicator columns."""
    names = [normalise(h) for h in header]
    layout = Layout()
    taken: set[int] = set()
    indicator = _indicator_column(names, body) if body is not None else None
    if indicator is not None:
        layout.roles["indicator"] = indicator
        taken.add(indicator)
    for role in SINGLE_ROLES:
        best: tuple[int, int] | None = None
        for i, (name, _cur) in enumerate(names):
            if i in taken or name not in COLUMNS[role]:
                continue
            rank = COLUMNS[role].index(name)
            if best is None or rank < best[0]:
                best = (rank, i)
        if best is not None:
            layout.roles[role] = best[1]
            taken.add(best[1])
    layout.descriptions = [
        i for i, (name, _c) in enumerate(names) if i not in taken and name in COLUMNS["description"]
    ]
    for role in ("amount", "balance", "debit", "credit"):
        if role in layout.roles and names[layout.roles[role]][1]:
            layout.header_currency = names[layout.roles[role]][1]
            break
    return layout


def _indicator_column(names: list[tuple[str, str]], body: list[list[str]]) -> int | None:
    for i, (name, _c) in enumerate(names):
        if name not in COLUMNS["indicator"]:
            continue
        values = {_word(r[i]) for r in body if i < len(r) and r[i].strip()}
        if values and values <= INDICATOR_WORDS.keys():
            return i
    return None


def indicator_signs(words: pd.Series) -> pd.Series:
    """Indicator values -> +1 / -1 (``<NA>`` when not an indicator word). Where the column
    uses ``A`` (Abono), ``C`` is Cargo: money out."""
    signs = dict(INDICATOR_WORDS)
    if words.eq("A").any():
        signs["C"] = -1
    return words.map(signs).astype("Int64")


def _word(text: str) -> str:
    return strip_accents(text).strip().upper().rstrip(".")


def split_lines(text: str) -> list[str]:
    """Physical lines as the csv module counts them (``\\r\\n``, ``\\r`` or ``\\n``)."""
    return re.split(r"\r\n|\r|\n", text)


def split_line(line: str) -> tuple[list[str], str]:
    sep = sniff_separator(line)
    cells = next(csv.reader([line], delimiter=sep), [])
    return cells, sep


def find_header(lines: list[str]) -> tuple[int, str] | None:
    """(line index, field separator) of the first line that names a date column and an
    amount (or debit and credit) column, among the first ``HEADER_SCAN_ROWS`` lines."""
    for i, line in enumerate(lines[:HEADER_SCAN_ROWS]):
        if not line.strip():
            continue
        cells, sep = split_line(line)
        if len(cells) >= 2 and assign_roles(cells).usable:
            return i, sep
    return None


def looks_like_other_format(text: str) -> bool:
    """BAI2, MT940, OFX and XML files are never bank CSV."""
    head = text.lstrip("\ufeff \t\r\n")[:2048]
    if head.startswith("<") or re.search(r"OFXHEADER\s*:", head, re.I):
        return True
    if re.match(r"\{1:F0|:20:", head) or re.search(r"^:(?:20|25|28C?|60[FM]|61):", head, re.M):
        return True
    return re.match(r"(?:01|02|03|16|88|49|98|99),[^\n]*/\s*$", head.split("\n", 1)[0]) is not None


def detect(data: bytes, name: str) -> bool:
    """A text file whose header (below any title rows) names a date and an amount column."""
    try:
        text, _ = decode_text(data[:65536], name)
        if "\x00" in text or looks_like_other_format(text):
            return False
        return find_header(split_lines(text)) is not None
    except Exception:
        return False


# --------------------------------------------------------------------------- reading


@dataclass
class Grid:
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # file line of each row
    header_line: int
    title: list[str]  # the lines above the header
    widths: list[int]  # fields in each row as read, before padding


def load_grid(text: str, header_index: int, sep: str) -> Grid:
    """All records of the file, keeping the file line where each starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records: list[tuple[int, list[str]]] = []
    end = 0
    for rec in reader:
        records.append((end + 1, rec))
        end = reader.line_num
    start = next((i for i, (line, _r) in enumerate(records) if line >= header_index + 1), 0)
    header = records[start][1]
    body = records[start + 1 :]
    width = len(header)
    rows = [(r + [""] * width)[: max(width, len(r))] for _l, r in body]
    title = split_lines(text)[:header_index]
    widths = [len(r) for _l, r in body]
    return Grid(header, rows, [line for line, _r in body], records[start][0], title, widths)


def column(grid: Grid, index: int | None) -> pd.Series:
    if index is None:
        return pd.Series([""] * len(grid.rows), dtype=object)
    return pd.Series([r[index].strip() if index < len(r) else "" for r in grid.rows], dtype=object)


class Reader:
    def __init__(self, source: str, grid: Grid, layout: Layout, sep: str) -> None:
        self.source = source
        self.grid = grid
        self.layout = layout
        self.sep = sep
        self.findings: list[Finding] = []
        self.bad_rows: set[int] = set()  # rows with an error: not imported

    def fail(self, pos: int, role: str, code: str, message: str, hint: str) -> None:
        if len(self.findings) < 500:
            self.findings.append(error(self.loc(pos, role), code, message, hint))
        self.bad_rows.add(pos)

    def check_dates(self, booked: pd.Series, amounts: pd.Series, balances: pd.Series) -> None:
        """A movement (a row with an amount) needs a date; total rows do not count."""
        raw = self.col("booking_date")
        for pos in booked[booked.isna()].index:
            has_money = not (pd.isna(amounts[pos]) and pd.isna(balances[pos]))
            row_text = " ".join(self.grid.rows[pos])
            if not has_money or TOTAL_WORDS.search(row_text) or pos in self.bad_rows:
                continue
            shown = f'"{raw[pos]}" is not a date' if raw[pos] else "is empty"
            self.fail(
                pos,
                "booking_date",
                "NOT_A_DATE",
                f"{self.grid.header[self.layout.roles['booking_date']]} {shown} on a row with "
                "an amount",
                "Dates like 31/10/2026, 10/31/2026, 2026-10-31 or 31-oct-2026 are understood.",
            )

    def check_value_dates(self, valued: pd.Series) -> None:
        raw = self.col("value_date")
        bad = valued.isna() & raw.ne("")
        for pos in bad[bad].index[:20]:
            self.findings.append(
                warning(
                    self.loc(pos, "value_date"),
                    "NOT_A_DATE",
                    f'value date "{raw[pos]}" is not a date; the line has no value date',
                    "Check the row against the bank's statement.",
                )
            )

    def loc(self, pos: int | None, role: str | None = None) -> Location:
        line = self.grid.lines[pos] if pos is not None else self.grid.header_line
        col = self.layout.roles.get(role) if role else None
        name = self.grid.header[col] if col is not None else None
        return Location(self.source, line, col + 1 if col is not None else None, None, name)

    def present(self, *roles: str) -> list[str]:
        return [r for r in roles if r in self.layout.roles]

    def col(self, role: str) -> pd.Series:
        return column(self.grid, self.layout.roles.get(role))

    # -- file-wide decisions
    def date_order(self) -> str:
        votes = {"dmy": 0, "mdy": 0, "numeric": 0}
        for role in self.present("booking_date", "value_date"):
            for k, v in parsing.date_order_votes(self.col(role)).items():
                votes[k] += v
        if votes["dmy"] and votes["mdy"]:
            chosen = "dmy" if votes["dmy"] >= votes["mdy"] else "mdy"
            self.findings.append(
                warning(
                    self.loc(None),
                    "MIXED_DATE_ORDER",
                    f"{votes['dmy']} dates can only be day/month/year and {votes['mdy']} only "
                    f"month/day/year; read as {chosen}, the others are reported",
                    "Export the movements again with one date format.",
                )
            )
            return chosen
        if votes["dmy"] or votes["mdy"]:
            return "dmy" if votes["dmy"] else "mdy"
        if votes["numeric"]:
            self.findings.append(
                warning(
                    self.loc(None),
                    "AMBIGUOUS_DATE_ORDER",
                    f"all {votes['numeric']} dates like 03/04/2026 could be day/month or "
                    "month/day; read as day/month/year (dd/mm/yyyy)",
                    "If the bank writes month/day/year, check the dates of the lines.",
                )
            )
        return "dmy"

    def decimal_separator(self) -> str:
        votes = {".": 0, ",": 0}
        for role in self.present("amount", "debit", "credit", "balance"):
            for k, v in parsing.decimal_votes(self.col(role)).items():
                votes[k] += v
        if votes["."] and votes[","]:
            chosen = "," if votes[","] > votes["."] else "."
            self.findings.append(
                warning(
                    self.loc(None),
                    "MIXED_DECIMAL_SEPARATORS",
                    f'amounts use both "." ({votes["."]}) and "," ({votes[","]}) as decimal '
                    f'separator; each was read by its own form, ambiguous ones with "{chosen}"',
                    "Check that the file was not pasted together from two exports.",
                )
            )
            return chosen
        if votes[","] or votes["."]:
            return "," if votes[","] else "."
        return "," if self.sep == ";" else "."

    def file_currency(self, given: str | None) -> str:
        if given:
            return given.upper()
        if self.layout.header_currency:
            return self.layout.header_currency
        for line in self.grid.title:
            m = _TITLE_CURRENCY.search(line)
            if m and m.group(1).upper() in known_currencies():
                return m.group(1).upper()
        money = pd.concat([self.col(r) for r in ("amount", "debit", "credit", "balance")])
        if money.str.contains("€", regex=False).any():
            return "EUR"
        return ""

    def file_account(self) -> str:
        for line in self.grid.title:
            m = _IBAN.search(line) or _TITLE_ACCOUNT.search(line)
            value = m.group(1).replace(" ", "") if m else ""
            if sum(c.isdigit() for c in value) >= 6 and not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
                return value
        return ""

    # -- values
    def currencies(self, default: str) -> pd.Series:
        given = self.col("currency").str.upper()
        cur = given.where(given.ne(""), default)
        bad = cur.ne("") & ~cur.isin(known_currencies())
        for pos in bad[bad].index:
            self.fail(
                pos,
                "currency",
                "UNKNOWN_CURRENCY",
                f'currency "{cur[pos]}" is not an ISO 4217 code Cuadre knows',
                "Use the three-letter code (MXN, USD, EUR, COP).",
            )
        return cur.where(~bad, "?")

    def amounts(self, role: str, exps: pd.Series, dec: str) -> pd.Series:
        raw = self.col(role)
        parsed = parsing.parse_amounts(raw, exps, dec)
        for pos in parsed.invalid[parsed.invalid].index:
            self.fail(
                pos,
                role,
                "NOT_A_NUMBER",
                f'{self.grid.header[self.layout.roles[role]]} "{raw[pos]}" is not a number',
                f'The file reads "{dec}" as decimal separator; check the cell.',
            )
        for pos in parsed.rounded[parsed.rounded].index[:20]:
            self.findings.append(
                warning(
                    self.loc(pos, role),
                    "ROUNDED",
                    f'"{raw[pos]}" has more decimals than its currency allows; rounded',
                    "Check the amount against the bank's statement.",
                )
            )
        units: pd.Series = parsed.units
        return units

    def signed_amounts(self, exps: pd.Series, dec: str) -> pd.Series:
        """Money in positive, money out negative, by the file's sign convention."""
        roles = self.layout.roles
        if "amount" in roles:
            units = self.amounts("amount", exps, dec)
            if "indicator" in roles:
                signs = indicator_signs(column(self.grid, roles["indicator"]).map(_word))
                units = (units.abs() * signs).where(signs.notna(), units).astype("Int64")
            return units
        debit = self.amounts("debit", exps, dec)
        credit = self.amounts("credit", exps, dec)
        debit = debit.where(debit.ne(0), pd.NA)
        credit = credit.where(credit.ne(0), pd.NA)
        both = debit.notna() & credit.notna()
        for pos in both[both].index[:20]:
            self.findings.append(
                warning(
                    self.loc(pos, "debit"),
                    "DEBIT_AND_CREDIT",
                    "the row has both a debit and a credit amount; read as credit minus debit",
                    "Check the row against the bank's statement.",
                )
            )
        if (debit.dropna() > 0).any() and (debit.dropna() < 0).any():
            self.findings.append(
                warning(
                    self.loc(None, "debit"),
                    "DEBIT_SIGNS",
                    "the debit column holds both positive and negative amounts; all were read "
                    "as money out",
                    "Check the negative debits (reversals?) against the bank's statement.",
                )
            )
        total = credit.abs().fillna(0) - debit.abs().fillna(0)
        return total.where(debit.notna() | credit.notna(), pd.NA).astype("Int64")


# --------------------------------------------------------------------------- statements


@dataclass
class Entry:
    pos: int
    amount: int
    balance: int | None
    is_line: bool


def chain_break(entries: list[Entry]) -> tuple[int, Entry | None, int]:
    """(rows that follow their balance, first row that does not, its expected balance)."""
    hits, bad, expected_bad = 0, None, 0
    last: int | None = None
    moved = 0
    for e in entries:
        moved += e.amount
        if e.balance is None:
            continue
        if last is not None:
            expected = last + moved
            if expected == e.balance:
                hits += 1
            elif bad is None:
                bad, expected_bad = e, expected
        last, moved = e.balance, 0
    return hits, bad, expected_bad


def money_text(units: int, currency: str) -> str:
    if currency in known_currencies():
        return format_amount(units, currency)
    return f"{Decimal(units).scaleb(-2):,.2f}"


def read(data: bytes, source: str, currency: str | None = None) -> BankImport:
    """Bank CSV bytes -> bank lines and statements. ``currency`` is used when the file
    does not say its currency."""
    text, findings = decode_text(data, source)
    found = find_header(split_lines(text))
    if found is None:
        findings.append(
            error(
                Location(source, 1),
                "NO_HEADER",
                f"no header row naming a date column and an amount (or debit and credit) "
                f"column was found in the first {HEADER_SCAN_ROWS} lines",
                "Export the movements with their column titles (Fecha, Concepto, Importe...).",
            )
        )
        return BankImport(empty_table(BANK_LINES), empty_table(STATEMENTS), findings, FORMAT)
    index, sep = found
    grid = load_grid(text, index, sep)
    layout = assign_roles(grid.header, grid.rows)
    reader = Reader(source, grid, layout, sep)
    if index:
        findings.append(
            info(
                Location(source, grid.header_line),
                "HEADER_BELOW_TITLE",
                f"header row found at line {grid.header_line}; the lines above it were skipped",
            )
        )
    result = build(reader, currency)
    result.findings[:0] = findings
    body = [ln for ln in split_lines(text)[grid.header_line :] if ln.strip()]
    if result.bank_lines.empty and body:
        # e.g. a stray quote that swallows the rest of the file: never lose lines silently
        result.findings.append(
            warning(
                Location(source, grid.header_line + 1),
                "NO_LINES_READ",
                f"the file has {len(body):,} lines below its header but no bank line could "
                "be read from them",
                "Check the file for a stray quote (\") or a broken line; export it again.",
            )
        )
    return result


def build(reader: Reader, given_currency: str | None) -> BankImport:
    """The grid's rows -> lines grouped into statements (account, currency)."""
    order = reader.date_order()
    dec = reader.decimal_separator()
    currencies = reader.currencies(reader.file_currency(given_currency))
    exps = exponents_for(currencies.where(currencies.ne("?"), ""))
    amounts = reader.signed_amounts(exps, dec)
    balances = (
        reader.amounts("balance", exps, dec)
        if "balance" in reader.layout.roles
        else pd.Series(pd.NA, index=amounts.index, dtype="Int64")
    )
    booked = parsing.parse_dates(reader.col("booking_date"), order).dates
    valued = (
        parsing.parse_dates(reader.col("value_date"), order).dates
        if reader.present("value_date")
        else pd.Series(pd.NaT, index=booked.index, dtype="datetime64[ns]")
    )
    reader.check_dates(booked, amounts, balances)
    reader.check_value_dates(valued)
    accounts = reader.col("account").where(reader.col("account").ne(""), reader.file_account())
    groups = group_entries(
        reader, amounts, balances, booked, list(zip(accounts, currencies, strict=True))
    )
    report_groups(reader, groups)
    texts = Texts.of(reader)
    dates = Dates(booked.tolist(), valued.tolist())
    out_lines: list[dict[str, object]] = []
    out_statements: list[dict[str, object]] = []
    for (account, cur), entries in groups.items():
        st, st_lines = statement(reader, texts, account, cur, entries, dates)
        out_statements.append(st)
        out_lines.extend(st_lines)
    return BankImport(
        typed_table(out_lines, BANK_LINES),
        typed_table(out_statements, STATEMENTS),
        reader.findings,
        FORMAT,
    )


def _ints(values: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in values]


def group_entries(
    reader: Reader,
    amounts: pd.Series,
    balances: pd.Series,
    booked: pd.Series,
    keys: list[tuple[str, str]],
) -> dict[tuple[str, str], list[Entry]]:
    """Rows with a date and an amount or a balance, per (account, currency); rows without
    either are counted and reported once."""
    grid = reader.grid
    groups: dict[tuple[str, str], list[Entry]] = {}
    skipped: list[int] = []
    dated = booked.notna().tolist()
    for pos, (amount, balance) in enumerate(zip(_ints(amounts), _ints(balances), strict=True)):
        if pos in reader.bad_rows or not any(c.strip() for c in grid.rows[pos]):
            continue
        if not dated[pos] or (amount is None and balance is None):
            skipped.append(pos)
            continue
        entry = Entry(pos, amount or 0, balance, amount is not None)
        groups.setdefault(keys[pos], []).append(entry)
    if skipped:
        first = grid.lines[skipped[0]]
        reader.findings.append(
            info(
                Location(reader.source, first),
                "ROWS_SKIPPED",
                f"{len(skipped)} rows without a date or an amount were skipped (first: line {first})",
                "Totals, notes and blank rows are not movements.",
            )
        )
    return groups


def report_groups(reader: Reader, groups: dict[tuple[str, str], list[Entry]]) -> None:
    """A movement without currency, and movements with missing fields, are reported."""
    grid = reader.grid
    if any(cur == "" for _account, cur in groups):
        reader.findings.append(
            warning(
                Location(reader.source),
                "CURRENCY_MISSING",
                "the file does not say its currency (no currency column, no code in the "
                "headers or title rows); lines are imported without currency and balances "
                "are not carried",
                "Add a Moneda/Currency column, or give the currency when importing.",
            )
        )
    width = len(grid.header)
    short = [e.pos for entries in groups.values() for e in entries if grid.widths[e.pos] < width]
    if short:
        first = grid.lines[short[0]]
        reader.findings.append(
            warning(
                Location(reader.source, first),
                "ROW_SHORT",
                f"{len(short)} rows have fewer fields than the header's {width} (first: line "
                f"{first}); the file may be cut short or a row broken",
                "Export the movements again; check the last rows against the bank's statement.",
            )
        )


@dataclass
class Dates:
    """Booking and value dates per row, as Python lists for the row loops."""

    booked: list[pd.Timestamp]
    valued: list[pd.Timestamp]


@dataclass
class Texts:
    """The text columns of the lines, read once."""

    remittance: list[str]
    reference: list[str]
    name: list[str]
    party_account: list[str]
    type_code: list[str]

    @classmethod
    def of(cls, reader: Reader) -> Texts:
        reference = reader.col("reference")
        parts = [column(reader.grid, i) for i in reader.layout.descriptions] + [reference]
        remittance = [
            " | ".join(dict.fromkeys(t for t in row if t)) for row in zip(*parts, strict=True)
        ]
        return cls(
            remittance,
            reference.tolist(),
            reader.col("counterparty_name").tolist(),
            reader.col("counterparty_account").tolist(),
            reader.col("type_code").tolist(),
        )


def balances_of(chrono: list[Entry]) -> tuple[int | None, int | None]:
    """Opening (first balance minus the movements up to it) and closing (last balance
    plus the movements after it), in chronological order."""
    with_balance = [i for i, e in enumerate(chrono) if e.balance is not None]
    if not with_balance:
        return None, None
    first, last = with_balance[0], with_balance[-1]
    opening = int(chrono[first].balance or 0) - sum(e.amount for e in chrono[: first + 1])
    closing = int(chrono[last].balance or 0) + sum(e.amount for e in chrono[last + 1 :])
    return opening, closing


def statement(
    reader: Reader,
    texts: Texts,
    account: str,
    currency: str,
    entries: list[Entry],
    dates: Dates,
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """One statement and its lines; the running balance is checked on the way."""
    forward, backward = chain_break(entries), chain_break(entries[::-1])
    newest_first = backward[0] > forward[0]
    chrono = entries[::-1] if newest_first else entries
    _hits, bad, expected = backward if newest_first else forward
    if bad is not None and bad.balance is not None:
        reader.findings.append(
            warning(
                reader.loc(bad.pos, "balance"),
                "RUNNING_BALANCE",
                f"balance {money_text(bad.balance, currency)} != previous balance + movements "
                f"= {money_text(expected, currency)} (difference "
                f"{money_text(bad.balance - expected, currency)})",
                "A row may be missing or changed; compare the file with the bank's statement.",
            )
        )
    opening, closing = balances_of(chrono) if currency in known_currencies() else (None, None)
    booked, valued = dates.booked, dates.valued
    days = [booked[e.pos] for e in chrono]
    digest = hashlib.sha256(
        "\n".join(
            f"{booked[e.pos]:%Y-%m-%d}|{e.amount}|{e.balance}|{texts.remittance[e.pos]}"
            for e in chrono
        ).encode("utf-8")
    ).hexdigest()[:10]
    sid = f"{account or 'CSV'}:{currency or 'XXX'}:{min(days):%Y%m%d}-{max(days):%Y%m%d}:{digest}"
    lines = [
        {
            "line_id": f"{sid}/{n}",
            "statement_id": sid,
            "account": account,
            "currency": currency,
            "booking_date": booked[e.pos],
            "value_date": valued[e.pos],
            "amount": e.amount,
            "counterparty_name": texts.name[e.pos],
            "counterparty_account": texts.party_account[e.pos],
            "remittance": texts.remittance[e.pos],
            "bank_reference": texts.reference[e.pos],
            "end_to_end_id": "",
            "type_code": texts.type_code[e.pos],
            "source_file": reader.source,
            "source_line": reader.grid.lines[e.pos],
        }
        for n, e in enumerate((e for e in chrono if e.is_line), start=1)
    ]
    st = {
        "statement_id": sid,
        "account": account,
        "currency": currency,
        "opening_date": min(days),
        "opening_balance": opening,
        "closing_date": max(days),
        "closing_balance": closing,
        "line_count": len(lines),
        "source_file": reader.source,
        "source_line": reader.grid.header_line,
    }
    return st, lines
