"""``cuadre import erp``: accounts-receivable exports of ERPs into the open_items table.

What
    An ERP's open-items or aging report (SAP FBL5N, Microsip CxC, Oracle Receivables
    aging, Odoo Aged Receivable, ERPNext Accounts Receivable, or any table described by
    a mapping file) becomes the contract's ``open_items`` table, with provenance
    (``source_file``/``source_sheet``/``source_row``) and findings. One *profile* per ERP
    (``PROFILES``); ``detect_profiles`` says which profile a file looks like and why.

Why this shape
    Reports are written for people: title rows above the header, subtotal and total
    rows between the items, party lines, bucket columns, signs given by a posting key or
    by the wording, short and long labels in several languages. Every profile is the same
    engine driven by *data*: the column labels per language, the document-type and
    posting-key tables, and the row rules live in ``cuadre/data/erp/<profile>.toml``
    (STYLE.md 12: reference data is data). The engine

    1. reads the file into grids of cells (workbooks with python-calamine; CSV/TXT with
       the separator sniffed over the first lines; SAP's "unconverted" list with its
       ``|`` columns and dashed rules);
    2. finds the header row below any title rows by scoring rows against the profile's
       labels (two-row headers are joined), and harvests the report's "as of" date;
    3. classifies every row below it: item, blank, repeated header, subtotal/total
       (``*`` markers, "Total cliente", "Customer Total", "Total", or an amount without a
       document number), party line (customer named above its items), or other;
    4. types the amounts with :func:`cuadre.parsing.parse_amounts` to normalise signs
       (posting keys 01-09/11-19, S/H and D/C indicators, trailing minus, credits written
       positive), to check every subtotal against the items above it (a mismatch is a
       warning, never silently accepted: STYLE.md 6) and the bucket columns against the
       row's total;
    5. maps the items to the contract's columns and hands them, as a
       :class:`~cuadre.model.validate.RawTable`, to
       :func:`~cuadre.model.validate.coerce_table`, which types dates and money and
       locates every bad cell. Nothing here re-implements number or date parsing.

    Items cleared by a clearing document/date (or SAP's ``@5B@`` icon), noted items
    (special G/L F) and zero balances are not open items: they are left out, and said so.

Reference
    shared/ERP_LAYOUTS.md (labels with their evidence marks), SAP FBL5N ALV list, SAP
    BLART/BSCHL/SHKZG/UMSKZ domains, Odoo account_reports, ERPNext
    accounts_receivable.py, Oracle AR_AGING_BUCKET_LINES.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
import tomllib
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any, cast

import numpy as np
import pandas as pd

from cuadre import parsing
from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import empty_table
from cuadre.io.tables import decode_text, sniff_separator
from cuadre.model.tables import OPEN_ITEMS, PROVENANCE
from cuadre.model.validate import RawTable, ReadOptions, coerce_table
from cuadre.money import exponents_for, format_amount, known_currencies, minor_to_text

PROFILE_NAMES = ("sap_fbl5n", "microsip", "oracle_ar", "odoo", "erpnext", "generic")
"""Profile name -> module ``cuadre.importers.<module>`` (see ``PROFILE_MODULES``)."""

PROFILE_MODULES = {
    "sap_fbl5n": "sap_fbl5n",
    "microsip": "microsip",
    "oracle_ar": "oracle_ar",
    "odoo": "odoo",
    "erpnext": "erpnext",
    "generic": "generic_erp",
}

DETECT_THRESHOLD = 0.5
"""A profile whose score reaches this is taken as the file's profile."""

HEADER_SCAN_ROWS = 30
MAX_LISTED = 200  # findings listed one by one per code; the rest are summarised
LANGUAGES = {"en": "English", "de": "German", "es": "Spanish", "nl": "Dutch", "fr": "French"}

ROLES = (
    "customer_id", "customer_name", "company", "document_id", "document_type",
    "document_date", "posting_date", "due_date", "baseline_date", "terms_days",
    "currency", "amount_open", "amount_local", "currency_local", "amount_original",
    "amount_debit", "amount_credit", "reference", "assignment", "tax_id", "fiscal_uuid",
    "clearing_doc", "clearing_date", "posting_key", "dc_indicator", "special_gl",
    "status", "ignore",
)  # fmt: skip
"""What a column can be: the contract's open_items columns plus the helpers the
engine derives them from (``amount_local`` in the company currency, ``posting_key``,
``dc_indicator``, ...). ``bucket`` columns (aging buckets) are matched by pattern."""

AMOUNT_ROLES = ("amount_open", "amount_local", "amount_debit", "amount_credit")
DATE_ROLES = ("document_date", "posting_date", "due_date", "baseline_date", "clearing_date")
CREDIT_TYPES = ("credit_note", "payment", "advance")
DEBIT_TYPES = ("invoice", "debit_note")

# row kinds
DATA, BLANK, HEADER, TOTAL, PARTY, PARTY_TOTAL, OTHER, META = range(8)
GRAND = 9  # level of a grand total

_TITLE_CURRENCY = re.compile(
    r"\b(?:moneda|currency|divisa|w[aä]hrung|devise)\s*:\s*([A-Za-z]{3})\b", re.IGNORECASE
)
_ICON = re.compile(r"^@[0-9A-Z]{2}(?:\\Q[^@]*)?@$")
_CODE_PAREN = re.compile(r"^(\S+) \((.+)\)$")
_CODE_DASH = re.compile(r"^(\S+) - (.+)$")
_STARS = re.compile(r"^\*+$")
_DASHED = re.compile(r"^[\s|+\-=_]*-{5,}[\s|+\-=_]*$")
_AS_OF = re.compile(
    r"\b(?:as of|as at|as on|at date|not due on|key date|stichtag|zum|per|al|a la fecha|"
    r"fecha de corte|fecha clave|corte al|hasta el)(?:\s+date)?\s*:?\s*"
    r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}[ .-][A-Za-z]{3,9}\.?[ .-]\d{4})",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- labels

_ORDINALS = str.maketrans("", "", "º°ª")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def label_text(value: object) -> str:
    """Lower case, accents and ``º``/``°`` removed, camelCase split, spaces collapsed."""
    text = _CAMEL.sub(" ", str(value).translate(_ORDINALS))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def label_key(value: object) -> str:
    """:func:`label_text` with punctuation dropped: ``"Nº doc."`` -> ``"n doc"``."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", label_text(value)).split())


def split_code(text: str) -> str:
    """``"RV - Billing doc.transfer"`` / ``"RV (Billing doc.transfer)"`` -> ``"RV"``."""
    for pattern in (_CODE_PAREN, _CODE_DASH):
        m = pattern.match(text)
        if m:
            return m.group(1)
    return text


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class TotalRule:
    pattern: re.Pattern[str]
    level: int


@dataclass(frozen=True)
class Profile:
    """A profile's reference data (``data/erp/<name>.toml``), ready for matching."""

    name: str
    title: str
    labels: dict[str, tuple[str, frozenset[str]]]  # label key -> (role, languages)
    buckets: tuple[re.Pattern[str], ...] = ()
    core: tuple[tuple[str, ...], ...] = ()
    distinctive: frozenset[str] = frozenset()
    titles: tuple[re.Pattern[str], ...] = ()
    max_score: float = 1.0
    star_totals: bool = False
    total_without_document: bool = False
    text_rows_are_parties: bool = False
    party_when_no_dates: bool = False
    label_first_column: str = ""
    totals: tuple[TotalRule, ...] = ()
    parties: tuple[re.Pattern[str], ...] = ()
    companies: tuple[re.Pattern[str], ...] = ()
    names: tuple[re.Pattern[str], ...] = ()
    document_types: dict[str, str] = field(default_factory=dict)  # key -> type or "a/b"
    id_prefixes: tuple[tuple[re.Pattern[str], str], ...] = ()
    posting_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (side, type)
    indicators: dict[str, str] = field(default_factory=dict)  # key -> debit/credit
    special_gl: dict[str, str] = field(default_factory=dict)
    cleared_status: frozenset[str] = frozenset()
    sign_mode: str = "as_is"
    summary_hint: str = ""
    # from a mapping
    mapped: dict[str, str] = field(default_factory=dict)  # label key -> role (must exist)
    disabled: frozenset[str] = frozenset()
    currency: str = ""
    header_row: int | None = None


def _regexes(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@cache
def load_profile(name: str) -> Profile:
    """The profile's TOML under ``cuadre/data/erp``; a wrong file raises (programmer error)."""
    text = resources.files("cuadre.data").joinpath("erp", f"{name}.toml").read_text("utf-8")
    return profile_from_toml(tomllib.loads(text))


def profile_from_toml(doc: dict[str, Any]) -> Profile:
    labels: dict[str, tuple[str, frozenset[str]]] = {}
    for role, by_lang in doc.get("labels", {}).items():
        if role not in ROLES:
            raise ValueError(f"profile {doc.get('name')}: unknown role {role!r}")
        for lang, names in by_lang.items():
            for label in names:
                key = label_key(label)
                if key in labels and labels[key][0] != role:
                    raise ValueError(
                        f"profile {doc.get('name')}: label {label!r} is both "
                        f"{labels[key][0]} and {role}"
                    )
                langs = labels[key][1] if key in labels else frozenset()
                labels[key] = (role, langs | {lang})
    rows = doc.get("rows", {})
    detect = doc.get("detect", {})
    keys = doc.get("posting_keys", {})
    return Profile(
        name=doc["name"],
        title=doc["title"],
        labels=labels,
        buckets=_regexes(doc.get("buckets", {}).get("patterns", [])),
        core=tuple(tuple(g.split("|")) for g in detect.get("core", [])),
        distinctive=frozenset(label_key(x) for x in detect.get("distinctive", [])),
        titles=_regexes(detect.get("titles", [])),
        max_score=float(detect.get("max_score", 1.0)),
        star_totals=bool(rows.get("star_totals", False)),
        total_without_document=bool(rows.get("total_without_document", False)),
        text_rows_are_parties=bool(rows.get("text_rows_are_parties", False)),
        party_when_no_dates=bool(rows.get("party_when_no_dates", False)),
        label_first_column=str(rows.get("label_first_column", "")),
        totals=tuple(
            TotalRule(re.compile(t["pattern"], re.IGNORECASE), int(t["level"]))
            for t in rows.get("totals", [])
        ),
        parties=_regexes(rows.get("parties", [])),
        companies=_regexes(rows.get("companies", [])),
        names=_regexes(rows.get("names", [])),
        document_types={label_key(k): v for k, v in doc.get("document_types", {}).items()},
        id_prefixes=tuple(
            (re.compile(p, re.IGNORECASE), t)
            for p, t in doc.get("document_id_prefixes", {}).items()
        ),
        posting_keys={k: _side_type(v) for k, v in keys.items()},
        indicators={(label_key(k) or k): v for k, v in doc.get("indicators", {}).items()},
        special_gl={label_key(k): v for k, v in doc.get("special_gl", {}).items()},
        cleared_status=frozenset(
            label_key(x) if not _ICON.match(x) else x
            for x in doc.get("status", {}).get("cleared", [])
        ),
        sign_mode=doc.get("sign", {}).get("mode", "as_is"),
        summary_hint=doc.get("messages", {}).get("summary_hint", ""),
    )


def _side_type(value: str) -> tuple[str, str]:
    side, _, kind = value.partition(" ")
    return side, kind


# --------------------------------------------------------------------------- mappings

MAPPING_KEYS = {
    "columns", "currency", "decimal_separator", "date_order", "sheet", "header_row",
    "document_types", "sign",
}  # fmt: skip
SIGN_MODES = ("as_is", "by_type", "reversed")
ALLOWED_TYPES = ("invoice", "credit_note", "debit_note", "payment", "advance", "adjustment")


def check_mapping(mapping: dict[str, Any], label: str = "mapping") -> list[Finding]:
    """Every problem of a mapping (as parsed from its TOML) as an error finding."""
    loc = Location(label)
    found: list[Finding] = []

    def bad(message: str, hint: str) -> None:
        found.append(error(loc, "BAD_MAPPING", message, hint))

    for key in mapping:
        if key not in MAPPING_KEYS:
            bad(f'unknown key "{key}"', f"Use only: {', '.join(sorted(MAPPING_KEYS))}.")
    for role, names in dict(mapping.get("columns", {})).items():
        if role not in ROLES or role == "ignore":
            bad(
                f'columns: "{role}" is not a column Cuadre knows',
                f"Use the contract's names: {', '.join(r for r in ROLES if r != 'ignore')}.",
            )
        if not isinstance(names, str | list) or (
            isinstance(names, list) and not all(isinstance(n, str) for n in names)
        ):
            bad(f"columns.{role} must be a header text or a list of them", 'Write e.g. "Folio".')
    if mapping.get("decimal_separator", ".") not in (".", ","):
        bad('decimal_separator must be "." or ","', 'Write decimal_separator = ",".')
    if mapping.get("date_order", "auto") not in ("dmy", "mdy", "auto"):
        bad('date_order must be "dmy", "mdy" or "auto"', 'Write date_order = "dmy".')
    cur = mapping.get("currency")
    if cur is not None and str(cur).upper() not in known_currencies():
        bad(f'currency "{cur}" is not an ISO 4217 code', 'Write e.g. currency = "MXN".')
    for code, kind in dict(mapping.get("document_types", {})).items():
        if any(k not in ALLOWED_TYPES for k in str(kind).split("/")):
            bad(
                f'document_types: "{code}" = "{kind}" is not a contract type',
                f"Use {', '.join(ALLOWED_TYPES)} (or two joined by '/': positive/negative).",
            )
    sign = mapping.get("sign", {})
    if not isinstance(sign, dict):
        bad("sign must be a table", 'Write sign = { mode = "by_type" }.')
    elif sign.get("mode", "as_is") not in SIGN_MODES:
        bad(f'sign.mode "{sign.get("mode")}" is unknown', f"Use {', '.join(SIGN_MODES)}.")
    return found


def apply_mapping(profile: Profile, mapping: dict[str, Any] | None) -> Profile:
    """The profile with a mapping's columns, types, currency and sign rules on top."""
    if not mapping:
        return profile
    mapped: dict[str, str] = {}
    disabled: set[str] = set()
    for role, names in dict(mapping.get("columns", {})).items():
        for name in [names] if isinstance(names, str) else list(names):
            if name.strip():
                mapped[label_key(name)] = role
            else:
                disabled.add(role)
    types = dict(profile.document_types)
    types.update({label_key(k): str(v) for k, v in dict(mapping.get("document_types", {})).items()})
    sign = dict(mapping.get("sign", {}))
    indicators = dict(profile.indicators)
    if sign.get("column"):
        mapped[label_key(sign["column"])] = "dc_indicator"
    for side in ("credit", "debit"):
        for value in sign.get(side, []):
            indicators[label_key(value) or value] = side
    header_row = mapping.get("header_row")
    return replace(
        profile,
        mapped=mapped,
        disabled=frozenset(disabled),
        document_types=types,
        indicators=indicators,
        sign_mode=str(sign.get("mode", profile.sign_mode)),
        currency=str(mapping.get("currency", "")).upper(),
        header_row=int(header_row) if header_row else None,
    )


def mapping_options(mapping: dict[str, Any] | None, options: ReadOptions) -> ReadOptions:
    """Options given on the command line win over the mapping's, which win over defaults."""
    if not mapping:
        return options
    base = ReadOptions()
    return replace(
        options,
        decimal_separator=options.decimal_separator or mapping.get("decimal_separator"),
        date_order=options.date_order
        if options.date_order != base.date_order
        else str(mapping.get("date_order", "auto")),
        sheet=options.sheet or mapping.get("sheet"),
    )


# --------------------------------------------------------------------------- grids


@dataclass
class Grid:
    """The cells of one sheet or text file, rows padded to one width."""

    sheet: str | None
    rows: list[list[object]]
    row_numbers: list[int]  # 1-based row (or line) number of each row
    separator: str = ""  # for text files
    notes: list[Finding] = field(default_factory=list)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_grids(
    data: bytes, source: str, sheet: str | None = None, head: int | None = None
) -> tuple[list[Grid], list[Finding]]:
    """Bytes -> grids (one per sheet). ``head`` reads only the first rows (detection)."""
    if not data.strip():
        return [], [error(Location(source), "EMPTY_FILE", "the file is empty", "Export it again.")]
    if data.startswith((b"PK\x03\x04", _OLE)):
        return _workbook_grids(data, source, sheet, head)
    start = data[:2048].lstrip().lower()
    if start.startswith((b"mime-version", b"<html", b"<!doctype html", b"<?xml")) or (
        b"<html" in start or b"content-type: text/html" in start or b"<table" in start
    ):
        return [], [
            error(
                Location(source),
                "UNSUPPORTED_SPREADSHEET",
                "this file is a web page (HTML/MHTML or XML spreadsheet), as older SAP GUI "
                '"Spreadsheet" exports write .xls files; it is not a workbook or text table',
                "Open it in Excel and save it as .xlsx (or export with List > Export > "
                "Local File > Unconverted), then import that file.",
            )
        ]
    if head is not None:
        data = data[: 256 * 1024]
    text, notes = decode_text(data, source)
    grid = _text_grid(text, head)
    grid.notes.extend(notes)
    return [grid], []


def _workbook_grids(
    data: bytes, source: str, sheet: str | None, head: int | None
) -> tuple[list[Grid], list[Finding]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(wb.sheet_names)
    except Exception as exc:  # calamine raises several types for broken files
        return [], [
            error(
                Location(source),
                "BAD_WORKBOOK",
                f"the workbook cannot be opened ({type(exc).__name__}: {exc})",
                "Open it in Excel and save it again as .xlsx; remove any password.",
            )
        ]
    if sheet is not None:
        chosen = [n for n in names if n == sheet or n.casefold() == sheet.casefold()]
        if not chosen:
            return [], [
                error(
                    Location(source),
                    "SHEET_NOT_FOUND",
                    f'sheet "{sheet}" not found; the workbook has: {", ".join(names)}',
                    "Give one of those sheet names.",
                )
            ]
        names = chosen[:1]
    grids: list[Grid] = []
    for name in names:
        try:
            cells = wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=head)
        except Exception as exc:
            return [], [
                error(
                    Location(source, None, None, name),
                    "BAD_WORKBOOK",
                    f'sheet "{name}" cannot be read ({type(exc).__name__}: {exc})',
                    "Open it in Excel and save it again as .xlsx.",
                )
            ]
        width = max((len(r) for r in cells), default=0)
        rows = cast(
            list[list[object]],
            [r if len(r) == width else [*r, *[""] * (width - len(r))] for r in cells],
        )
        grids.append(Grid(name, rows, list(range(1, len(rows) + 1))))
    return grids, []


def _text_grid(text: str, head: int | None) -> Grid:
    lines = text.splitlines()
    sep = sniff_separator(lines[:200])
    if sep == "|":
        return _pipe_grid(lines[:head] if head else lines)
    rows: list[list[object]] = []
    numbers: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for record in reader:
            rows.append(list(record))
            numbers.append(reader.line_num)
            if head and len(rows) >= head:
                break
    except csv.Error:
        # a broken quote: fall back to plain splitting, line by line
        rows = [list[object](line.split(sep)) for line in lines[: head or None]]
        numbers = list(range(1, len(rows) + 1))
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return Grid(None, rows, numbers, sep)


def _pipe_grid(lines: Sequence[str]) -> Grid:
    """SAP list / "unconverted" export: ``| a | b |`` rows, dashed rules, title lines."""
    rows: list[list[object]] = []
    for line in lines:
        stripped = line.strip()
        if not stripped or _DASHED.match(stripped):
            rows.append([])
            continue
        if "|" not in stripped:
            rows.append([stripped])
            continue
        cells = stripped.split("|")
        if cells and not cells[0].strip():
            cells = cells[1:]
        if cells and not cells[-1].strip():
            cells = cells[:-1]
        rows.append([c.strip() for c in cells])
    width = max((len(r) for r in rows), default=0)
    padded: list[list[object]] = [r + [""] * (width - len(r)) for r in rows]
    return Grid(None, padded, list(range(1, len(padded) + 1)), "|")


# --------------------------------------------------------------------------- header


@dataclass
class Header:
    """The header row found in a grid, and what each column is."""

    index: int  # position in grid.rows
    depth: int  # 1, or 2 for a two-row header
    roles: dict[str, int]  # role -> column
    buckets: list[int]
    labels: dict[int, str]  # column -> header text as written
    matched: list[tuple[str, frozenset[str]]]  # (label as written, languages)
    missing_mapped: list[str] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return len(self.roles) + (1 if self.buckets else 0)


def _cell_label(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value).strip()


def match_header(texts: Sequence[str], profile: Profile) -> Header:
    """What each header cell is, by the profile's labels (a mapping's names first)."""
    roles: dict[str, int] = {}
    buckets: list[int] = []
    matched: list[tuple[str, frozenset[str]]] = []
    labels = {i: t for i, t in enumerate(texts) if t}
    mapped_roles = set(profile.mapped.values())
    for i, text in labels.items():
        key = label_key(text)
        role = profile.mapped.get(key)
        if role is not None:
            if role not in roles:
                roles[role] = i
                matched.append((text, frozenset()))
            continue
    for i, text in labels.items():
        key = label_key(text)
        if key in profile.mapped:
            continue
        hit = profile.labels.get(key)
        if hit is not None:
            role, langs = hit
            if role in profile.disabled or role in mapped_roles:
                continue  # switched off, or the mapping names its own column
            if role == "ignore":
                matched.append((text, langs))
            elif role not in roles:
                roles[role] = i
                matched.append((text, langs))
            continue
        lowered = label_text(text)
        if any(p.match(lowered) for p in profile.buckets):
            buckets.append(i)
            matched.append((text, frozenset()))
    first = profile.label_first_column
    if first and first not in roles and texts and not texts[0] and 0 not in buckets:
        roles[first] = 0
    missing = sorted({r for r in profile.mapped.values() if r not in roles})
    return Header(0, 1, roles, buckets, labels, matched, missing)


def find_header(grid: Grid, profile: Profile) -> Header | None:
    """The best-scoring row of the first rows (at least two columns recognised)."""
    rows = grid.rows
    if profile.header_row is not None:
        idx = profile.header_row - 1
        if not 0 <= idx < len(rows):
            return None
        h = match_header([_cell_label(c) for c in rows[idx]], profile)
        h.index = idx
        return h
    best: Header | None = None
    limit = min(len(rows), HEADER_SCAN_ROWS)
    texts = [[_cell_label(c) for c in rows[i]] for i in range(min(len(rows), limit + 1))]
    for idx in range(limit):
        h = match_header(texts[idx], profile)
        h.index = idx
        if idx + 1 < len(texts) and h.hits >= 1:
            joined = [f"{a} {b}".strip() for a, b in zip(texts[idx], texts[idx + 1], strict=True)]
            two = match_header(joined, profile)
            if two.hits > h.hits and len(two.roles) >= len(h.roles):
                two.index, two.depth = idx, 2
                h = two
        if h.hits >= 2 and (best is None or _header_rank(h) > _header_rank(best)):
            best = h
    return best


def _header_rank(h: Header) -> tuple[int, int, int]:
    return (len(h.roles) - len(h.missing_mapped) * 2, len(h.buckets), -h.index)


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class ProfileMatch:
    """How well a file fits a profile: 0..1, with the reason in words."""

    profile: str
    score: float
    why: str
    sheet: str | None = None
    header_row: int | None = None


def score_grid(profile: Profile, grid: Grid) -> ProfileMatch:
    header = find_header(grid, profile)
    if header is None:
        return ProfileMatch(profile.name, 0.0, f"no header row of a {profile.title} export")
    found = set(header.roles) | ({"bucket"} if header.buckets else set())
    core_hits = sum(1 for group in profile.core if found & set(group))
    core = core_hits / len(profile.core) if profile.core else 0.0
    labels = [text for text, _ in header.matched]
    distinct = {label_key(t) for t in labels} & profile.distinctive
    title_rows = grid.rows[: header.index + 1]
    titled = [
        p.pattern for p in profile.titles for row in title_rows for c in row
        if isinstance(c, str) and p.search(label_text(c))
    ]  # fmt: skip
    if not profile.distinctive:
        score = profile.max_score * (core if core == 1 else core / 2)
    else:
        score = 0.55 * core + 0.35 * min(1.0, len(distinct) / 3) + (0.10 if titled else 0.0)
    score = round(min(score, profile.max_score), 3)
    langs = Counter(lang for _, ls in header.matched for lang in ls)
    lang = f" ({LANGUAGES.get(langs.most_common(1)[0][0], '')})" if langs else ""
    shown = ", ".join(labels[:8]) + (", ..." if len(labels) > 8 else "")
    why = f"headers {shown} match {profile.title}{lang}" if labels else "no known headers"
    if titled:
        why += "; the title names the report"
    missing = [g[0] for g in profile.core if not found & set(g)]
    if missing:
        why += f"; no column for {', '.join(missing)}"
    return ProfileMatch(profile.name, score, why, grid.sheet, grid.row_numbers[header.index])


def detect_profiles(data: bytes, name: str) -> list[ProfileMatch]:
    """Every profile's fit for the file, best first (zero scores left out). Never raises."""
    try:
        grids, _ = read_grids(data, name, head=HEADER_SCAN_ROWS + 5)
        matches = []
        for pname in PROFILE_NAMES:
            profile = load_profile(pname)
            scored = [score_grid(profile, g) for g in grids if g.rows]
            if scored:
                matches.append(max(scored, key=lambda m: m.score))
        return sorted(
            (m for m in matches if m.score > 0),
            key=lambda m: (-m.score, PROFILE_NAMES.index(m.profile)),
        )
    except Exception:  # a detector must never stop an import
        return []


def best_profile(data: bytes, name: str) -> ProfileMatch | None:
    matches = detect_profiles(data, name)
    return matches[0] if matches and matches[0].score >= DETECT_THRESHOLD else None


def detects_as(profile: str, data: bytes, name: str) -> bool:
    """For the profile modules' ``detect``: the file's best profile is ``profile``."""
    best = best_profile(data, name)
    return best is not None and best.profile == profile


# --------------------------------------------------------------------------- import


def import_erp(
    data: bytes,
    source: str,
    profile: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """An ERP export -> (open_items table with provenance, findings). Never raises on data."""
    if profile not in PROFILES:
        raise ValueError(f"unknown ERP profile {profile!r}; known: {', '.join(PROFILES)}")
    try:
        result: tuple[pd.DataFrame, list[Finding]] = PROFILES[profile].read(
            data, source, mapping=mapping, options=options
        )
        return result
    except Exception as exc:  # the last line of defence: a finding, never a traceback
        return empty_open_items(), [
            error(
                Location(source),
                "IMPORT_FAILED",
                f"the {profile} export could not be read ({type(exc).__name__}: {exc})",
                "Please report this file to the Cuadre maintainers.",
            )
        ]


def import_erp_history(
    data: bytes,
    source: str,
    profile: str,
    *,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """An "all items" export (SAP FBL5N with cleared items) -> (open_items, cleared,
    findings). Never raises on data.

    ``open_items`` is what :func:`import_erp` gives. ``cleared`` holds the items it leaves
    out as cleared (a clearing document or date, or the cleared status; not noted items),
    as document history for :func:`cuadre.aging_history.history_from_tables`: the
    open_items columns with ``amount_original`` = the item's amount, ``amount_open`` = 0,
    plus ``clearing_document`` and ``clearing_date`` (empty when the export lacks them:
    ``build_ledger`` then reports the item). The findings are the open import's, plus
    the errors and warnings found in the cleared rows (the open import already counts
    them as ``CLEARED_ITEMS``).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown ERP profile {profile!r}; known: {', '.join(PROFILES)}")
    cleared: list[pd.DataFrame] = []
    try:
        findings = check_mapping(mapping, "mapping") if mapping else []
        if findings:
            return empty_open_items(), empty_cleared_items(), findings
        prof = apply_mapping(load_profile(profile), mapping)
        opts = mapping_options(mapping, options or ReadOptions())
        table, findings = run_profile(prof, data, source, opts, cleared)
    except Exception as exc:  # the last line of defence: a finding, never a traceback
        return (
            empty_open_items(),
            empty_cleared_items(),
            [
                error(
                    Location(source),
                    "IMPORT_FAILED",
                    f"the {profile} export could not be read ({type(exc).__name__}: {exc})",
                    "Please report this file to the Cuadre maintainers.",
                )
            ],
        )
    return table, cleared[0] if cleared else empty_cleared_items(), findings


CLEARED_EXTRAS = ("clearing_document", "clearing_date")
"""Columns a cleared-items table has beyond open_items (names of the ar_history table)."""


def empty_cleared_items() -> pd.DataFrame:
    """A zero-row cleared-items table (see :func:`import_erp_history`)."""
    table = empty_open_items()
    table["clearing_document"] = pd.Series(dtype=object)
    table["clearing_date"] = pd.Series(dtype="datetime64[ns]")
    return table


def empty_open_items() -> pd.DataFrame:
    """A zero-row open_items table with its provenance columns."""
    table = empty_table(OPEN_ITEMS)
    for name in PROVENANCE:
        table[name] = pd.Series(dtype="Int64" if name == "source_row" else object)
    return table


def read_profile(
    name: str,
    data: bytes,
    source: str,
    mapping: dict[str, Any] | None = None,
    options: ReadOptions | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """What every profile module's ``read`` does: load its data, apply the mapping, run."""
    findings = check_mapping(mapping, "mapping") if mapping else []
    if findings:
        return empty_open_items(), findings
    profile = apply_mapping(load_profile(name), mapping)
    opts = mapping_options(mapping, options or ReadOptions())
    return run_profile(profile, data, source, opts)


def run_profile(
    profile: Profile,
    data: bytes,
    source: str,
    options: ReadOptions,
    cleared: list[pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """The import; with a ``cleared`` list, the cleared items' table is appended to it."""
    grids, findings = read_grids(data, source, options.sheet)
    if not grids:
        return empty_open_items(), findings
    picked = _pick_grid(grids, profile)
    if picked is None:
        seen = [_cell_label(c) for g in grids for r in g.rows[:HEADER_SCAN_ROWS] for c in r]
        shown = ", ".join(dict.fromkeys(t for t in seen if t))[:300] or "nothing"
        return empty_open_items(), [
            *findings,
            error(
                Location(source),
                "NO_HEADER",
                f"no header row of a {profile.title} export in the first {HEADER_SCAN_ROWS} "
                f"rows; found: {shown}",
                "Check the --profile (cuadre import erp --detect FILE says which fits), or "
                "name the columns in a mapping file (--profile generic --mapping FILE).",
            ),
        ]
    grid, header = picked
    findings.extend(grid.notes)
    if header.missing_mapped:
        findings.append(
            error(
                Location(source, grid.row_numbers[header.index], None, grid.sheet),
                "MAPPED_COLUMN_NOT_FOUND",
                f"the mapping names columns for {', '.join(header.missing_mapped)} that are "
                f"not in the header row; it has: {', '.join(header.labels.values())}",
                "Write the header texts in the mapping exactly as the export shows them.",
            )
        )
        return empty_open_items(), findings
    sheet = _Sheet(profile, grid, header, source, options)
    sheet.want_cleared = cleared is not None
    table, more = sheet.run()
    if cleared is not None and sheet.cleared_table is not None:
        cleared.append(sheet.cleared_table)
    return table, findings + more


def _pick_grid(grids: list[Grid], profile: Profile) -> tuple[Grid, Header] | None:
    best: tuple[Grid, Header] | None = None
    for g in grids:
        h = find_header(g, profile) if g.rows else None
        if h is not None and (best is None or _header_rank(h) > _header_rank(best[1])):
            best = (g, h)
    return best


# --------------------------------------------------------------------------- one sheet


def _texts(values: np.ndarray) -> np.ndarray:
    return parsing.cell_text(pd.Series(values, dtype=object)).to_numpy(dtype=object)


@dataclass
class _Rows:
    """The classification of the rows below the header."""

    kind: np.ndarray  # int8 per body row
    level: np.ndarray  # total level (0: unknown)
    party_id: np.ndarray  # object, forward-filled over the body
    party_name: np.ndarray
    company: np.ndarray


class _Sheet:
    """One grid being turned into open items; see the module docstring for the steps."""

    def __init__(
        self, profile: Profile, grid: Grid, header: Header, source: str, options: ReadOptions
    ) -> None:
        self.p = profile
        self.grid = grid
        self.h = header
        self.source = source
        self.options = options
        start = header.index + header.depth
        body = grid.rows[start:]
        self.numbers = np.asarray(grid.row_numbers[start:], dtype=np.int64)
        self.n = len(body)
        width = len(grid.rows[0]) if grid.rows else 0
        cells = np.empty((self.n, width), dtype=object)
        if self.n and width:
            cells[:] = body
        self.cols: list[np.ndarray] = [cells[:, j] for j in range(width)]
        self._text_cache: dict[int, np.ndarray] = {}
        self.findings: list[Finding] = []
        self.decimal = options.decimal_separator or "."
        self._parsed: dict[tuple[int, bytes], parsing.AmountParse] = {}
        self._local_cur: pd.Series | None = None
        self.want_cleared = False  # also build cleared_table (import_erp_history)
        self.cleared_table: pd.DataFrame | None = None
        self._history = np.zeros(0, dtype=bool)  # over the data rows: cleared, not noted

    # -- helpers
    def col(self, role: str) -> int | None:
        return self.h.roles.get(role)

    def has(self, *roles: str) -> bool:
        return any(r in self.h.roles for r in roles)

    def text(self, j: int) -> np.ndarray:
        if j not in self._text_cache:
            self._text_cache[j] = _texts(self.cols[j])
        return self._text_cache[j]

    def blank(self, j: int) -> np.ndarray:
        """Empty cells of column ``j`` (cheap for number and date columns)."""
        col = self.cols[j]
        if pd.api.types.infer_dtype(col, skipna=False) == "string":
            return np.asarray(self.text(j) == "", dtype=bool)
        stripped = np.array([v.strip() if isinstance(v, str) else v for v in col], dtype=object)
        return np.asarray((stripped == "") | pd.isna(stripped), dtype=bool)

    def role_text(self, role: str, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        j = self.col(role)
        if j is None:
            n = len(np.arange(self.n)[rows])
            return np.full(n, "", dtype=object)
        return self.text(j)[rows]

    def loc(self, pos: int | None = None, j: int | None = None) -> Location:
        row = int(self.numbers[pos]) if pos is not None else self.grid.row_numbers[self.h.index]
        return Location(self.source, row, j + 1 if j is not None else None, self.grid.sheet)

    def rows_text(self, positions: Sequence[int] | np.ndarray) -> str:
        rows = [str(int(self.numbers[p])) for p in positions[:10]]
        return ", ".join(rows) + (" ..." if len(positions) > 10 else "")

    # -- the steps
    def run(self) -> tuple[pd.DataFrame, list[Finding]]:
        self._harvest_title()
        if self.col("document_id") is None:
            return empty_open_items(), [*self.findings, self._no_documents()]
        rows = self._classify()
        data = np.flatnonzero(rows.kind == DATA)
        currency = self._currency(data)
        if currency is None:
            return empty_open_items(), self.findings
        amounts = self._amounts(data, currency)
        if amounts is None:
            return empty_open_items(), self.findings
        types = _Types(self, data, amounts).run()
        self._check_totals(rows, data, amounts, currency)
        keep = self._exclusions(data, amounts)
        result = self._table(rows, data, keep, currency, amounts, types)
        if self.want_cleared:
            self.cleared_table, found = self._cleared(rows, data, currency, amounts, types)
            result[1].extend(found)
        return result

    def _cleared(
        self,
        rows: _Rows,
        data: np.ndarray,
        currency: np.ndarray,
        amounts: _Amounts,
        types: np.ndarray,
    ) -> tuple[pd.DataFrame, list[Finding]]:
        """The cleared items as history rows, and the problems found in those rows only."""
        if not self._history.any():
            return empty_cleared_items(), []
        sel = data[self._history]
        extra = {
            "clearing_document": self.role_text("clearing_doc", sel),
            "clearing_date": np.full(len(sel), "", dtype=object),
        }
        j = self.col("clearing_date")
        if j is not None:  # in the file's own date notation, as its other dates
            days = parsing.parse_dates(
                pd.Series(self.cols[j][sel], dtype=object), self.date_order()
            )
            extra["clearing_date"] = days.dates.dt.strftime("%Y-%m-%d").fillna("").to_numpy(object)
        before = self.findings
        self.findings = []
        table, found = self._table(rows, data, self._history, currency, amounts, types, extra)
        self.findings = before
        table = table.rename(columns={"amount_open": "_amount"})
        original = table.pop("amount_original") if "amount_original" in table else None
        amount = table.pop("_amount")
        at = list(table.columns).index("currency") + 1
        table.insert(at, "amount_open", pd.array([0] * len(table), dtype="Int64"))
        table.insert(at, "amount_original", amount if original is None else original.fillna(amount))
        dates = pd.to_datetime(table.pop("clearing_date"), format="%Y-%m-%d", errors="coerce")
        table["clearing_document"] = table.pop("clearing_document")
        table["clearing_date"] = dates.astype("datetime64[ns]")
        problems = [f for f in found if f.severity.value != "info"]
        return table, problems

    # .. title rows
    def _harvest_title(self) -> None:
        above = self.grid.rows[: self.h.index + self.h.depth]
        self._title_currency(above)
        for row in above:
            for cell in row:
                if not isinstance(cell, str):
                    continue
                m = _AS_OF.search(cell)
                if m is None:
                    continue
                value = _one_date(m.group(1), self.options.date_order)
                if pd.isna(value):
                    continue
                f = info(
                    Location(self.source, None, None, self.grid.sheet),
                    "REPORT_AS_OF",
                    f'the report is as of {value:%Y-%m-%d} ("{cell.strip()[:80]}")',
                )
                f.details["as_of"] = f"{value:%Y-%m-%d}"
                self.findings.append(f)
                return

    def _title_currency(self, above: list[list[object]]) -> None:
        """ "Moneda: MXN" / "Currency: USD" in the title: the report's currency, unless a
        mapping or --currency names one."""
        if self.p.currency:
            return
        for row in above:
            for cell in row:
                m = _TITLE_CURRENCY.search(cell) if isinstance(cell, str) else None
                if m and m.group(1).upper() in known_currencies():
                    self.p = replace(self.p, currency=m.group(1).upper())
                    self.findings.append(
                        info(
                            Location(self.source, None, None, self.grid.sheet),
                            "REPORT_CURRENCY",
                            f"amounts without a currency column are in {self.p.currency}, as "
                            f'the title says ("{str(cell).strip()[:60]}")',
                        )
                    )
                    return

    def _no_documents(self) -> Finding:
        has_amounts = self.has(*AMOUNT_ROLES) or bool(self.h.buckets)
        if has_amounts and self.has("customer_id", "customer_name"):
            return error(
                self.loc(),
                "DOCUMENTS_NOT_AVAILABLE",
                f"this {self.p.title} report has one row per customer (balances"
                f"{' by age bucket' if self.h.buckets else ''}) and no document numbers, so "
                "document-level open items are not available from it",
                self.p.summary_hint
                or "Export the report by document (one row per invoice, credit note and "
                "payment), or the customer line items, and import that.",
            )
        found = ", ".join(self.h.labels.values())
        return error(
            self.loc(),
            "MISSING_COLUMN",
            f"no document-number column in the header row (it has: {found})",
            'Name it in a mapping file: columns = { document_id = "..." }.',
        )

    # .. row classification
    def _classify(self) -> _Rows:
        n = self.n
        kind = np.zeros(n, dtype=np.int8)
        level = np.zeros(n, dtype=np.int8)
        party_id = np.full(n, None, dtype=object)
        party_name = np.full(n, None, dtype=object)
        company = np.full(n, None, dtype=object)
        doc_j = self.col("document_id")
        assert doc_j is not None
        doc = self.text(doc_j)
        cand = doc == ""
        if doc_j in self.h.labels:
            cand |= doc == self.h.labels[doc_j]
        first_any = self._first_cells()
        cand |= first_any.str.fullmatch(r"\*+").to_numpy(dtype=bool)
        total_re = "|".join(f"(?:{t.pattern.pattern})" for t in self.p.totals)
        if total_re:
            with warnings.catch_warnings():  # groups in the patterns are fine here
                warnings.simplefilter("ignore", UserWarning)
                hit = first_any.str.contains(total_re, case=False, regex=True)
            cand |= hit.to_numpy(dtype=bool)
        if self.p.party_when_no_dates:
            dated = np.zeros(n, dtype=bool)
            for role in ("document_date", "due_date"):
                j = self.col(role)
                if j is not None:
                    dated |= self.text(j) != ""
            cand |= ~dated
        idx = np.flatnonzero(cand)
        if len(idx):
            self._classify_candidates(idx, kind, level, party_id, party_name, company)
        if n:
            self._title_block(party_id, party_name, company)
        rows = _Rows(
            kind,
            level,
            pd.Series(party_id, dtype=object).ffill().to_numpy(),
            pd.Series(party_name, dtype=object).ffill().to_numpy(),
            pd.Series(company, dtype=object).ffill().to_numpy(),
        )
        self._report_skipped(rows)
        return rows

    def _title_block(
        self, party_id: np.ndarray, party_name: np.ndarray, company: np.ndarray
    ) -> None:
        """Customer and company named in the title rows apply from the first row on."""
        seed_kind = np.zeros(1, dtype=np.int8)
        pid = np.full(1, None, dtype=object)
        pname = np.full(1, None, dtype=object)
        comp = np.full(1, None, dtype=object)
        for row in self.grid.rows[: self.h.index]:
            nonblank = [(j, _cell_label(c)) for j, c in enumerate(row) if _cell_label(c)]
            if nonblank:
                self._text_row(0, nonblank, seed_kind, pid, pname, comp, parties_only=True)
        for seeded, target in ((pid, party_id), (pname, party_name), (comp, company)):
            if seeded[0] is not None and target[0] is None:
                target[0] = seeded[0]

    def _first_cells(self) -> pd.Series:
        """The first non-empty text of the first columns (where totals write their label)."""
        first = np.full(self.n, "", dtype=object)
        for j in range(min(len(self.cols), 4)):
            if pd.api.types.infer_dtype(self.cols[j], skipna=False) != "string":
                continue  # numbers and dates never name a total
            texts = self.text(j)
            fill = (first == "") & (texts != "")
            first[fill] = texts[fill]
        return pd.Series(first, dtype=object)

    def _classify_candidates(
        self,
        idx: np.ndarray,
        kind: np.ndarray,
        level: np.ndarray,
        party_id: np.ndarray,
        party_name: np.ndarray,
        company: np.ndarray,
    ) -> None:
        texts = [_texts(c[idx]) for c in self.cols]
        doc_j = self.col("document_id")
        amount_cols = [self.col(r) for r in AMOUNT_ROLES if self.col(r) is not None]
        amount_cols += self.h.buckets
        header_texts = self.h.labels
        for k, pos in enumerate(idx):
            cells = [t[k] for t in texts]
            nonblank = [(j, c) for j, c in enumerate(cells) if c]
            if not nonblank:
                kind[pos] = BLANK
                continue
            same = sum(1 for j, c in nonblank if header_texts.get(j) == c)
            if same >= 2:
                kind[pos] = HEADER
                continue
            first = nonblank[0][1]
            lvl = self._total_level(first)
            has_amount = any(cells[j] for j in amount_cols if j is not None)
            doc = cells[doc_j] if doc_j is not None else ""
            if lvl is not None and has_amount and (not doc or doc == first):
                kind[pos], level[pos] = TOTAL, lvl
            elif doc and self.p.party_when_no_dates:
                kind[pos] = PARTY_TOTAL if has_amount else PARTY
                party_id[pos] = party_name[pos] = doc
            elif doc:
                kind[pos] = DATA  # e.g. a document numbered like a header word
            elif has_amount:
                kind[pos] = TOTAL if self.p.total_without_document else DATA
            else:
                self._text_row(pos, nonblank, kind, party_id, party_name, company)

    def _total_level(self, first: str) -> int | None:
        if self.p.star_totals and _STARS.match(first):
            return len(first)
        for rule in self.p.totals:
            if rule.pattern.search(first):
                return rule.level
        return None

    def _text_row(
        self,
        pos: int,
        nonblank: list[tuple[int, str]],
        kind: np.ndarray,
        party_id: np.ndarray,
        party_name: np.ndarray,
        company: np.ndarray,
        parties_only: bool = False,
    ) -> None:
        joined = " ".join(c for _, c in nonblank)
        for pattern in self.p.parties:
            m = pattern.match(joined)
            if m:
                groups = m.groupdict()
                kind[pos] = PARTY
                party_id[pos] = (groups.get("id") or groups.get("name") or "").strip()
                party_name[pos] = (groups.get("name") or "").strip()
                return
        for pattern in self.p.companies:
            m = pattern.match(joined)
            if m:
                kind[pos] = META
                company[pos] = m.group("company")
                return
        for pattern in self.p.names:
            m = pattern.match(joined)
            if m:
                kind[pos] = META
                party_name[pos] = m.group("name").strip()
                return
        if self.p.text_rows_are_parties and len(nonblank) <= 2 and not parties_only:
            kind[pos] = PARTY
            party_id[pos] = nonblank[0][1]
            party_name[pos] = nonblank[-1][1]
            return
        kind[pos] = OTHER

    def _report_skipped(self, rows: _Rows) -> None:
        loc = Location(self.source, None, None, self.grid.sheet)
        for code, k, words in (
            ("BLANK_ROWS", BLANK, "blank rows or rules skipped"),
            ("HEADER_REPEATED", HEADER, "repeated header rows (page breaks) skipped"),
        ):
            pos = np.flatnonzero(rows.kind == k)
            if len(pos):
                self.findings.append(
                    info(loc, code, f"{len(pos):,} {words} (rows {self.rows_text(pos)})")
                )
        other = np.flatnonzero(rows.kind == OTHER)
        if len(other):
            first = [c for c in (self.text(j)[other[0]] for j in range(len(self.cols))) if c]
            self.findings.append(
                info(
                    loc,
                    "ROWS_SKIPPED",
                    f"{len(other):,} rows are neither items, totals nor customer lines and were "
                    f'skipped (rows {self.rows_text(other)}; the first reads "{" ".join(first)[:80]}")',
                    "Check that no item is among them.",
                )
            )
        if self.h.index > 0:
            self.findings.append(
                info(
                    Location(
                        self.source, self.grid.row_numbers[self.h.index], None, self.grid.sheet
                    ),
                    "HEADER_BELOW_TITLE",
                    f"header row found at row {self.grid.row_numbers[self.h.index]}; the rows "
                    "above it were read as the report's title",
                )
            )

    # .. currency
    def _currency(self, data: np.ndarray) -> np.ndarray | None:
        """Per body row: the currency of the amount taken as amount_open."""
        cur_doc = parsing.per_unique(pd.Series(self.role_text("currency"), dtype=object), str.upper)
        default = self.p.currency
        if self.has("amount_open") or not self.has("amount_local"):
            cur = cur_doc.where(cur_doc != "", self.local_currency())
        else:
            cur = self.local_currency()
            if not self.has("currency_local") and not default:
                cur = cur.where(cur != "", cur_doc)
            self._local_only(data, cur, cur_doc)
        if (cur == "").any():
            cur = cur.where(cur != "", self._currency_in_amounts())
        if len(data) and (cur.to_numpy()[data] == "").all():
            self.findings.append(
                error(
                    self.loc(),
                    "NO_CURRENCY",
                    f"the export names no currency (no currency column, and the amounts "
                    f"carry no code); the header has: {', '.join(self.h.labels.values())}",
                    'Give the company currency: --currency MXN, or currency = "MXN" in the '
                    "mapping file.",
                )
            )
            return None
        return cur.to_numpy(dtype=object).copy()  # written to below: not a view

    def local_currency(self) -> pd.Series:
        """The company currency per row: its column, else the mapping's currency."""
        if self._local_cur is None:
            cur = parsing.per_unique(
                pd.Series(self.role_text("currency_local"), dtype=object), str.upper
            )
            self._local_cur = cur.where(cur != "", self.p.currency)
        return self._local_cur

    def _currency_in_amounts(self) -> pd.Series:
        for role in ("amount_open", "amount_local"):
            j = self.col(role)
            if j is not None:
                code = pd.Series(self.text(j), dtype=object).str.extract(
                    r"(?:^([A-Z]{3})\s)|(?:\s([A-Z]{3})$)"
                )
                found = code[0].fillna(code[1]).fillna("")
                return found.where(found.isin(known_currencies()), "")
        return pd.Series("", index=range(self.n), dtype=object)

    def _local_only(self, data: np.ndarray, cur: pd.Series, cur_doc: pd.Series) -> None:
        j = self.col("amount_local")
        label = self.h.labels.get(j, "") if j is not None else ""
        doc = cur_doc.to_numpy()[data]
        loc_cur = cur.to_numpy()[data]
        foreign = (doc != "") & (loc_cur != "") & (doc != loc_cur)
        if foreign.any():
            self.findings.append(
                warning(
                    self.loc(),
                    "LOCAL_CURRENCY_ONLY",
                    f'the export has amounts only in the company currency ("{label}"); '
                    f"{int(foreign.sum()):,} items were issued in another currency (e.g. "
                    f"{doc[foreign][0]}) and are imported in {loc_cur[foreign][0]}",
                    'Add the column "Amount in document currency" to the layout to import '
                    "them in their own currency.",
                )
            )
        else:
            self.findings.append(
                info(
                    self.loc(),
                    "LOCAL_CURRENCY_ONLY",
                    f'amounts are taken from "{label}" (company currency); the export has no '
                    "document-currency amounts",
                )
            )

    # .. amounts
    def _amount_source(self) -> str | None:
        for role in ("amount_open", "amount_local"):
            if self.col(role) is not None:
                return role
        if self.col("amount_debit") is not None or self.col("amount_credit") is not None:
            return "debit_credit"
        if self.h.buckets:
            return "buckets"
        if self.col("amount_original") is not None:
            return "amount_original"
        return None

    def _decimal(self) -> str:
        if self.options.decimal_separator:
            return self.options.decimal_separator
        votes = {".": 0, ",": 0}
        for j in self._amount_columns():
            col = self.cols[j]
            texts = pd.Series(col[[isinstance(v, str) for v in col]], dtype=object)
            v = parsing.decimal_votes(texts)
            votes["."] += v["."]
            votes[","] += v[","]
        if votes[","] > votes["."]:
            return ","
        if votes["."]:
            return "."
        if self.grid.separator == ";":
            return ","
        return self.options.fallback_decimal

    def _amount_columns(self) -> list[int]:
        cols = [self.col(r) for r in (*AMOUNT_ROLES, "amount_original")]
        return [j for j in cols if j is not None] + list(self.h.buckets)

    def parse(self, j: int, currency: np.ndarray) -> parsing.AmountParse:
        """Column ``j`` as amounts of ``currency`` (cached: totals and checks reuse it)."""
        exps = exponents_for(pd.Series(currency, dtype=object))
        key = (j, exps.fillna(-1).to_numpy(dtype=np.int64).tobytes())
        if key not in self._parsed:
            self._parsed[key] = _parse_amounts(
                self.cols[j], exps, self.decimal, self.options.rounding
            )
        return self._parsed[key]

    def _amounts(self, data: np.ndarray, currency: np.ndarray) -> _Amounts | None:
        self.decimal = self._decimal()
        source = self._amount_source()
        if source is None:
            self.findings.append(
                error(
                    self.loc(),
                    "NO_AMOUNT_COLUMN",
                    "no amount column in the header row (it has: "
                    f"{', '.join(self.h.labels.values())})",
                    'Name it in a mapping file: columns = { amount_open = "..." }.',
                )
            )
            return None
        amounts = _Amounts(self, source, currency)
        amounts.compute(data)
        return amounts

    # .. totals
    def _check_totals(
        self, rows: _Rows, data: np.ndarray, amounts: _Amounts, currency: np.ndarray
    ) -> None:
        """Totals are compared in the column they are written in: the company-currency
        column when there is one (Odoo's "Total", SAP's local amount), else the amount."""
        j, units, valid, cur = self._check_column(amounts, currency)
        signed = np.where(amounts.flip, -units, units)
        _TotalsCheck(self, rows, data, j, units, signed, valid, cur).run()
        self._check_buckets(data, amounts, j, units, valid, cur)

    def _check_column(
        self, amounts: _Amounts, currency: np.ndarray
    ) -> tuple[int | None, np.ndarray, np.ndarray, np.ndarray]:
        local = self.col("amount_local")
        if local is not None and amounts.source == "amount_open":
            cur = self.local_currency().to_numpy(dtype=object)
            cur = np.where(cur == "", currency, cur)
            parsed = self.parse(local, cur)
            units = parsed.units.fillna(0).to_numpy(dtype=np.int64)
            return local, units, parsed.units.notna().to_numpy(), cur
        j = self.col(amounts.column_role) if amounts.source in ROLES else None
        return j, amounts.units, amounts.valid, currency

    def _check_buckets(
        self,
        data: np.ndarray,
        amounts: _Amounts,
        j: int | None,
        units: np.ndarray,
        valid: np.ndarray,
        cur: np.ndarray,
    ) -> None:
        if not self.h.buckets or j is None or amounts.source == "buckets":
            return
        parts = amounts.bucket_sum(cur)
        bad = data[valid[data] & (units[data] != parts[data])]
        for pos in bad[:MAX_LISTED]:
            c = str(cur[pos]) or "XXX"
            self.findings.append(
                warning(
                    self.loc(int(pos), j),
                    "BUCKETS_MISMATCH",
                    f"the age buckets of this row add up to {_fmt(int(parts[pos]), c)}, but its "
                    f'"{self.h.labels[j]}" is {_fmt(int(units[pos]), c)}',
                    "Check the row in the ERP; the total column was imported.",
                )
            )
        if len(bad) > MAX_LISTED:
            self.findings.append(
                warning(
                    self.loc(None, j),
                    "BUCKETS_MISMATCH",
                    f"{len(bad) - MAX_LISTED:,} more rows whose buckets do not add up",
                )
            )

    # .. exclusions
    def _exclusions(self, data: np.ndarray, amounts: _Amounts) -> np.ndarray:
        """Mask over ``data``: rows that are open items."""
        keep = np.ones(len(data), dtype=bool)
        cleared = np.zeros(len(data), dtype=bool)
        for role in ("clearing_doc", "clearing_date"):
            if self.col(role) is not None:
                cleared |= self.role_text(role, data) != ""
        if self.col("status") is not None:
            codes = [_status_code(v) for v in self.role_text("status", data)]
            cleared |= np.isin(np.array(codes, dtype=object), list(self.p.cleared_status))
        self._history = cleared.copy()
        self._excluded(
            data,
            cleared,
            "CLEARED_ITEMS",
            "items are cleared (a clearing "
            "document or date, or the cleared status) and are not open",
            keep,
        )
        noted = np.zeros(len(data), dtype=bool)
        if self.col("special_gl") is not None:
            sgl = self.role_text("special_gl", data)
            noted = np.array(
                [self.p.special_gl.get(label_key(s)) == "noted" for s in sgl], dtype=bool
            )
            self._history &= ~noted
        self._excluded(
            data,
            noted,
            "NOTED_ITEMS",
            "items are noted items (special G/L "
            "indicator F: down-payment requests), not receivables",
            keep,
        )
        zero = (amounts.units[data] == 0) & amounts.valid[data]
        self._excluded(data, zero & keep, "ZERO_BALANCE", "items have a zero open amount", keep)
        return keep

    def _excluded(
        self, data: np.ndarray, mask: np.ndarray, code: str, words: str, keep: np.ndarray
    ) -> None:
        mask = mask & keep
        if not mask.any():
            return
        keep &= ~mask
        pos = data[mask]
        self.findings.append(
            info(
                Location(self.source, None, None, self.grid.sheet),
                code,
                f"{int(mask.sum()):,} {words}; left out (rows {self.rows_text(pos)})",
            )
        )

    # .. the table
    def _table(
        self,
        rows: _Rows,
        data: np.ndarray,
        keep: np.ndarray,
        currency: np.ndarray,
        amounts: _Amounts,
        types: np.ndarray,
        extra: dict[str, np.ndarray] | None = None,
    ) -> tuple[pd.DataFrame, list[Finding]]:
        sel = data[keep]
        doc_j = self.col("document_id")
        assert doc_j is not None
        columns: dict[str, np.ndarray | pd.api.extensions.ExtensionArray] = {}
        numbers: dict[str, int] = {}

        def put(
            name: str,
            values: np.ndarray | pd.api.extensions.ExtensionArray,
            role: str | None = None,
        ) -> None:
            columns[name] = values
            j = self.col(role or name)
            numbers[name] = (j if j is not None else doc_j) + 1

        cid, cname = self._customers(rows, sel)
        put("customer_id", cid)
        put("customer_name", cname)
        put("document_id", self.text(doc_j)[sel])
        put("document_type", types[keep])
        put("document_date", _date_cells(self._document_dates(sel)), "document_date")
        put("due_date", _date_cells(self._due_dates(sel)))
        put("currency", currency[sel])
        put("amount_open", amounts.cells(sel), amounts.column_role)
        if self.col("amount_original") is not None and amounts.source != "amount_original":
            put("amount_original", amounts.original_cells(sel), "amount_original")
        put("reference", self._references(sel), "reference")
        for name in ("tax_id", "fiscal_uuid"):
            if self.col(name) is not None:
                put(name, self.role_text(name, sel))
        comp = self.role_text("company", sel)
        fill = pd.Series(rows.company[sel], dtype=object).fillna("").to_numpy(dtype=object)
        put("company", np.where(comp == "", fill, comp))
        if self.col("document_type") is not None:
            put("erp_document_type", self.role_text("document_type", sel), "document_type")
        for name in ("customer_name", "reference", "company", "tax_id", "fiscal_uuid"):
            if name in columns and not (columns[name] != "").any():
                del columns[name]  # coerce_table fills an absent optional column for free
        for name, values in (extra or {}).items():
            put(name, values, {"clearing_document": "clearing_doc"}.get(name, name))
        names = list(columns)
        cells = pd.DataFrame(columns, columns=pd.Index(names, dtype=object))
        raw = RawTable(
            cells,
            self.numbers[sel],
            self.grid.row_numbers[self.h.index],
            [numbers[c] for c in names],
            self.source,
            self.grid.sheet,
        )
        opts = replace(self.options, decimal_separator=self.decimal)
        if opts.date_order not in ("dmy", "mdy") and _all_iso(
            columns["document_date"], columns["due_date"]
        ):
            opts = replace(opts, date_order="dmy")  # nothing left to decide
        table, found = coerce_table(raw, OPEN_ITEMS, opts)
        self.findings.append(
            info(
                Location(self.source, None, None, self.grid.sheet),
                "IMPORTED",
                f"{len(table):,} open items read as {self.p.title} "
                f"(header at row {self.grid.row_numbers[self.h.index]})",
            )
        )
        return _ordered(table), self.findings + found

    def _customers(self, rows: _Rows, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pid = pd.Series(rows.party_id[sel], dtype=object).fillna("").to_numpy(dtype=object)
        pname = pd.Series(rows.party_name[sel], dtype=object).fillna("").to_numpy(dtype=object)
        cid = self.role_text("customer_id", sel)
        cname = self.role_text("customer_name", sel)
        cid = np.where(cid == "", pid, cid)
        cname = np.where(cname == "", pname, cname)
        if not self.has("customer_id") and (pid == "").all() and self.has("customer_name"):
            cid = cname
        if self.col("customer_id") is None and len(cid) and (cid != "").any():
            self.findings.append(
                info(
                    self.loc(),
                    "CUSTOMER_ID_FROM_NAME" if (cid == cname).all() else "CUSTOMER_FROM_PARTY_ROWS",
                    "the report has no customer-number column; customers are taken from "
                    + (
                        "their names"
                        if (cid == cname).all()
                        else "the customer lines above their items"
                    ),
                    "Match them to the customers table by name, or add the customer number to "
                    "the report's layout.",
                )
            )
        return cid, cname

    def _document_dates(self, sel: np.ndarray) -> np.ndarray:
        for role in ("document_date", "posting_date"):
            j = self.col(role)
            if j is not None:
                values = self.cols[j][sel]
                if role == "posting_date":
                    self.findings.append(
                        info(self.loc(), "POSTING_DATE_AS_DOCUMENT_DATE",
                             "no document-date column: the posting date is used as document date")
                    )  # fmt: skip
                elif self.col("posting_date") is not None:
                    posting = self.cols[self.col("posting_date") or 0][sel]
                    values = np.where(self.blank(j)[sel], posting, values)
                return values
        due = self.col("due_date")
        if due is not None:
            self.findings.append(
                warning(
                    self.loc(),
                    "DUE_DATE_AS_DOCUMENT_DATE",
                    "the report shows no document or posting date; the due date is used as "
                    "document date",
                    "Add the invoice date to the report to age by document date.",
                )
            )
            return self.cols[due][sel]
        return np.full(len(sel), "", dtype=object)

    def _due_dates(self, sel: np.ndarray) -> np.ndarray:
        j = self.col("due_date")
        due = self.cols[j][sel] if j is not None else np.full(len(sel), "", dtype=object)
        base_j, days_j = self.col("baseline_date"), self.col("terms_days")
        if base_j is None or days_j is None:
            return due
        blank = self.blank(j)[sel] if j is not None else np.ones(len(sel), dtype=bool)
        if not blank.any():
            return due
        order = self.date_order()
        base = parsing.parse_dates(pd.Series(self.cols[base_j][sel], dtype=object), order).dates
        days, _ = parsing.parse_ints(pd.Series(self.cols[days_j][sel], dtype=object))
        computed = base + pd.to_timedelta(days.astype("float64"), unit="D")
        text = computed.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        fill = blank & (text != "")
        if fill.any():
            self.findings.append(
                info(
                    self.loc(),
                    "DUE_DATE_COMPUTED",
                    f"{int(fill.sum()):,} due dates computed as baseline date + net days "
                    f'("{self.h.labels[base_j]}" + "{self.h.labels[days_j]}")',
                )
            )
        out = due.copy()
        out[fill] = text[fill]
        return out

    def date_order(self) -> str:
        """The file's day/month order, from the dates that can only be read one way."""
        if self.options.date_order in ("dmy", "mdy"):
            return self.options.date_order
        votes = {"dmy": 0, "mdy": 0}
        for role in DATE_ROLES:
            j = self.col(role)
            if j is not None:
                v = parsing.date_order_votes(pd.Series(self.cols[j], dtype=object))
                votes["dmy"] += v["dmy"]
                votes["mdy"] += v["mdy"]
        return "mdy" if votes["mdy"] > votes["dmy"] else "dmy"

    def _references(self, sel: np.ndarray) -> np.ndarray:
        ref = self.role_text("reference", sel)
        alt = self.role_text("assignment", sel)
        return np.where(ref == "", alt, ref)


def _date_cells(values: np.ndarray) -> np.ndarray:
    """Workbook date cells for coerce_table, without a detour through text: a column of
    dates and blanks only becomes ``datetime64[ns]`` (the day; a typed column, see
    :class:`~cuadre.model.validate.RawTable`). Otherwise its dates become ISO text and
    the other cells are left as they are, for coerce_table to read and report."""
    n = len(values)
    is_date = np.fromiter((isinstance(v, dt.date) for v in values), dtype=bool, count=n)
    if not is_date.any():
        return values
    stamps = pd.to_datetime(pd.Series(values[is_date], dtype=object), errors="coerce")
    days = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    ok = ~pd.isna(stamps).to_numpy()
    if ok.all() and _blank_cells(values[~is_date]).all():
        typed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        typed[is_date] = days
        return typed
    text = np.datetime_as_string(days).astype(object)
    out = values.copy()
    idx = np.flatnonzero(is_date)
    out[idx[ok]] = text[ok]
    return out


def _blank_cells(values: np.ndarray) -> np.ndarray:
    """Cells coerce_table reads as empty: None and blank text (the workbook reader's
    empty cell is "")."""
    return np.fromiter(
        (v is None or (isinstance(v, str) and not v.strip()) for v in values),
        dtype=bool,
        count=len(values),
    )


def _all_iso(*columns: np.ndarray) -> bool:
    """Every non-empty cell is ISO text or a typed date (workbook dates): no day/month
    order to decide."""
    for values in columns:
        if values.dtype.kind == "M":
            continue
        texts = pd.Series(values, dtype=object)
        if pd.api.types.infer_dtype(texts, skipna=False) != "string":
            return False
        if not texts.str.fullmatch(r"(\d{4}-\d{2}-\d{2})?").all():
            return False
    return True


def _status_code(value: str) -> str:
    """``@5B\\QCleared@`` -> ``@5B@``; words -> their label key."""
    if value.startswith("@") and _ICON.match(value):
        return value[:3] + "@"
    return label_key(value)


def _one_date(text: str, order: str) -> pd.Timestamp | None:
    orders = [order] if order in ("dmy", "mdy") else ["dmy", "mdy"]
    for o in orders:
        value = parsing.parse_dates(pd.Series([text], dtype=object), o).dates.iloc[0]
        if not pd.isna(value):
            return pd.Timestamp(value)
    return None


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Contract columns, then extras, then provenance last."""
    front = [c for c in OPEN_ITEMS.names if c in table]
    extra = [c for c in table if c not in front and c not in PROVENANCE]
    return table[[*front, *extra, *PROVENANCE]]


def _fmt(units: int, currency: str) -> str:
    try:
        return format_amount(units, currency)
    except KeyError:
        return f"{units / 100:,.2f} {currency}".strip()


# --------------------------------------------------------------------------- amounts


class _Amounts:
    """The amount taken as amount_open, per body row, in minor units, signed as written
    (``units``) and after sign normalisation (``signed``)."""

    def __init__(self, sheet: _Sheet, source: str, currency: np.ndarray) -> None:
        self.s = sheet
        self.source = source
        self.currency = currency
        n = sheet.n
        self.units = np.zeros(n, dtype=np.int64)
        self.valid = np.zeros(n, dtype=bool)
        self.empty = np.ones(n, dtype=bool)
        self.rounded = np.zeros(n, dtype=bool)
        self.flip = np.zeros(n, dtype=bool)  # negated by the sign rules
        self.derived = np.zeros(n, dtype=bool)  # value computed (not a single cell)
        self.column_role = source if source in ROLES else "amount_open"
        self.raw = np.full(n, "", dtype=object)
        self.local_fallback = np.zeros(n, dtype=bool)

    def _take(self, parsed: parsing.AmountParse, mask: np.ndarray | None = None) -> None:
        units = parsed.units
        ok = units.notna().to_numpy()
        vals = units.fillna(0).to_numpy(dtype=np.int64)
        empty = parsed.empty.to_numpy(dtype=bool)
        if mask is None:
            mask = np.ones(self.s.n, dtype=bool)
        self.units = np.where(mask, vals, self.units)
        self.valid = np.where(mask, ok, self.valid)
        self.empty = np.where(mask, empty, self.empty)
        self.rounded = np.where(mask, parsed.rounded.to_numpy(dtype=bool), self.rounded)

    def compute(self, data: np.ndarray) -> None:
        s = self.s
        if self.source in ("amount_open", "amount_local", "amount_original"):
            j = s.col(self.source)
            assert j is not None
            self.raw = s.cols[j].copy()
            self._take(s.parse(j, self.currency))
            local = s.col("amount_local")
            if self.source == "amount_open" and local is not None:
                self._local_fallback(local)
            if self.source == "amount_original":
                s.findings.append(
                    info(s.loc(), "ORIGINAL_AS_OPEN",
                         f'no open-amount column: "{s.h.labels[j]}" is taken as the open amount')
                )  # fmt: skip
            return
        self.derived[:] = True
        if self.source == "debit_credit":
            total = np.zeros(s.n, dtype=np.int64)
            valid = np.ones(s.n, dtype=bool)
            empty = np.ones(s.n, dtype=bool)
            for role, sign in (("amount_debit", 1), ("amount_credit", -1)):
                j = s.col(role)
                if j is None:
                    continue
                p = s.parse(j, self.currency)
                total += sign * p.units.fillna(0).to_numpy(dtype=np.int64)
                valid &= ~p.invalid.to_numpy(dtype=bool)
                empty &= p.empty.to_numpy(dtype=bool)
            self.units, self.valid, self.empty = total, valid & ~empty, empty
            return
        self.units = self.bucket_sum(self.currency)
        self.valid = np.ones(s.n, dtype=bool)
        self.empty = np.zeros(s.n, dtype=bool)
        s.findings.append(
            info(s.loc(), "AMOUNT_FROM_BUCKETS",
                 "the open amount of each item is the sum of its age-bucket columns")
        )  # fmt: skip

    def _local_fallback(self, local: int) -> None:
        """Odoo: "Amount Currency" only on foreign-currency lines; the rest in "Total"."""
        s = self.s
        use = self.empty & ~s.blank(local)
        if not use.any():
            return
        cur = parsing.per_unique(pd.Series(s.role_text("currency_local"), dtype=object), str.upper)
        cur = cur.where(cur != "", s.p.currency).to_numpy(dtype=object)
        self.currency[use] = cur[use]
        self._take(s.parse(local, self.currency), use)
        self.raw[use] = s.cols[local][use]
        self.local_fallback = use

    def bucket_sum(self, currency: np.ndarray) -> np.ndarray:
        total = np.zeros(self.s.n, dtype=np.int64)
        for j in self.s.h.buckets:
            total += self.s.parse(j, currency).units.fillna(0).to_numpy(dtype=np.int64)
        return total

    @property
    def signed(self) -> np.ndarray:
        return np.where(self.flip, -self.units, self.units)

    def cells(self, sel: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
        """The cells for coerce_table: the (signed) minor units, typed (``Int64``, see
        :class:`~cuadre.model.validate.RawTable`), unless coerce_table must see some cells
        as written to report them (not a number, rounded): then exact text of the units,
        and those cells as written."""
        keep_raw = ~self.valid[sel] | (self.rounded[sel] & ~self.flip[sel] & ~self.derived[sel])
        return _unit_cells(self.signed[sel], keep_raw, self.raw[sel], self.currency[sel])

    def original_cells(self, sel: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
        j = self.s.col("amount_original")
        assert j is not None
        parsed = self.s.parse(j, self.currency)
        units = parsed.units.fillna(0).to_numpy(dtype=np.int64)[sel]
        ok = parsed.units.notna().to_numpy(dtype=bool)[sel]
        ok &= ~parsed.rounded.to_numpy(dtype=bool)[sel]
        signed = np.where(self.flip[sel], -units, units)
        return _unit_cells(signed, ~ok, self.s.cols[j][sel], self.currency[sel])


def _unit_cells(
    units: np.ndarray, keep_raw: np.ndarray, raw: np.ndarray, currency: np.ndarray
) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Minor units for coerce_table; ``keep_raw`` marks the cells it must read as written.

    When those are all blank the column goes typed (``Int64``, ``<NA>`` there): nothing
    left to parse. Otherwise the units go as exact text (``-1234.50``, which coerce_table
    reads back to the same units) beside the cells as written."""
    blank = _blank_cells(raw[keep_raw])
    if blank.all():
        values = np.where(keep_raw, 0, units).astype(np.int64)
        return pd.arrays.IntegerArray(values, np.array(keep_raw, dtype=bool))
    cur = pd.Series(currency, dtype=object)
    out = _canonical(
        minor_to_text(pd.Series(units, dtype="Int64"), cur).to_numpy(dtype=object), cur
    ).copy()
    out[keep_raw] = raw[keep_raw]
    return out


def _parse_amounts(
    values: np.ndarray, exps: pd.Series, decimal: str, rounding: str
) -> parsing.AmountParse:
    """:func:`cuadre.parsing.parse_amounts`, with a fast exact path for workbook doubles.

    A double ``f`` whose value is a decimal with at most the currency's decimals is
    exactly ``rint(f * 10**e)`` minor units: that holds when ``rint(f * 10**e) / 10**e``
    gives ``f`` back (division is correctly rounded). Every other cell (text, or a
    double with more decimals, which must be rounded and reported) goes through
    parse_amounts. (Proposed for parsing.parse_amounts itself: see the module notes.)
    """
    n = len(values)
    is_float = np.fromiter((type(v) is float for v in values), dtype=bool, count=n)
    if not is_float.any():
        return parsing.parse_amounts(pd.Series(values, dtype=object), exps, decimal, rounding)
    scale = np.power(10.0, exps.fillna(2).to_numpy(dtype=np.int64))
    floats = np.where(is_float, values, 0.0).astype(np.float64)
    units = np.rint(floats * scale)
    exact = is_float & np.isfinite(units) & (np.abs(units) < 2**53)
    exact &= np.divide(units, scale, where=exact, out=np.zeros(n)) == floats
    rest = ~exact
    out_units = pd.Series(np.where(exact, units, 0).astype(np.int64), dtype="Int64")
    invalid = np.zeros(n, dtype=bool)
    rounded = np.zeros(n, dtype=bool)
    empty = np.zeros(n, dtype=bool)
    if rest.any():
        idx = np.flatnonzero(rest)
        slow = parsing.parse_amounts(
            pd.Series(values[idx], dtype=object), exps.iloc[idx].reset_index(drop=True),
            decimal, rounding,
        )  # fmt: skip
        out_units.iloc[idx] = slow.units.to_numpy()
        invalid[idx] = slow.invalid.to_numpy(dtype=bool)
        rounded[idx] = slow.rounded.to_numpy(dtype=bool)
        empty[idx] = slow.empty.to_numpy(dtype=bool)
    return parsing.AmountParse(
        out_units, pd.Series(invalid), pd.Series(rounded), pd.Series(empty), {".": 0, ",": 0}
    )


def _canonical(texts: np.ndarray, currency: pd.Series) -> np.ndarray:
    """``1.234`` (a 3-decimal currency) would read as thousands in a decimal-comma file:
    one more zero makes it unambiguous (``1.2340``)."""
    if not (exponents_for(currency) == 3).any():
        return texts
    ambiguous = pd.Series(texts, dtype=object).str.fullmatch(r"-?\d{1,3}\.\d{3}")
    return np.where(ambiguous.to_numpy(dtype=bool), texts + "0", texts)


# --------------------------------------------------------------------------- totals


class _TotalsCheck:
    """Every subtotal/total row against the items it sums.

    Levels: SAP's ``*`` (1), ``**`` (2)... and the profile's wording ("Total cliente" 1,
    "Total general" 9). A total of unknown level (an amount without a document number)
    is a subtotal when it equals the items since the previous total, else a grand total
    over the items since the previous grand total. A party line carrying totals (Odoo)
    sums the items below it, up to the next party line or total.
    """

    def __init__(
        self,
        sheet: _Sheet,
        rows: _Rows,
        data: np.ndarray,
        j: int | None,
        units: np.ndarray,
        signed: np.ndarray,
        valid: np.ndarray,
        currency: np.ndarray,
    ) -> None:
        self.s = sheet
        self.rows = rows
        self.data = data
        self.j = j
        self.units = units
        self.valid = valid
        self.currency = currency
        self.listed = 0
        self.mismatches = 0
        is_item = np.zeros(sheet.n, dtype=bool)
        is_item[data] = True
        is_item &= valid
        self.sums: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for cur in set(currency[data].tolist()):
            m = is_item & (currency == cur)
            self.sums[cur] = (
                np.cumsum(np.where(m, units, 0)),
                np.cumsum(np.where(m, signed, 0)),
            )

    def run(self) -> None:
        rows = self.rows
        totals = np.flatnonzero((rows.kind == TOTAL) | (rows.kind == PARTY_TOTAL))
        last: dict[int, int] = {}  # level -> body position of the last total of that level
        grand = -1
        for t in (int(x) for x in totals):
            lvl = int(rows.level[t])
            if rows.kind[t] == PARTY_TOTAL:
                later = totals[totals > t]
                self._compare(t, t, int(later[0]) if len(later) else self.s.n, "customer line")
                continue
            since_any = max([grand, *last.values()])
            if lvl == 0:
                lvl = self._guess_level(t, since_any, grand, t == totals[-1])
            start = max([grand, *[p for lv, p in last.items() if lv >= lvl]])
            self._compare(t, start, t, "subtotal" if lvl == 1 else "total")
            for lv in [*last, lvl]:
                if lv <= lvl:
                    last[lv] = t
            if lvl >= GRAND:
                grand = t
        self._summary(len(totals))

    def _guess_level(self, t: int, since_any: int, grand: int, last: bool) -> int:
        """A total without a level: a subtotal if it sums the items since the previous
        total, a grand total if it sums those since the previous grand total (or it is
        the last one), else a subtotal that does not add up."""
        if since_any <= grand or self._matches(t, since_any):
            return 1
        if self._matches(t, grand) or last:
            return GRAND
        return 1

    def _segment(self, start: int, end: int) -> tuple[dict[str, int], dict[str, int]]:
        """Items strictly between body positions ``start`` and ``end``, per currency."""
        written: dict[str, int] = {}
        signed: dict[str, int] = {}
        hi = end - 1
        if hi < 0 or hi <= start:
            return written, signed
        for c, (w, sg) in self.sums.items():
            a = int(w[hi] - (w[start] if start >= 0 else 0))
            b = int(sg[hi] - (sg[start] if start >= 0 else 0))
            if a or b:
                written[c], signed[c] = a, b
        return written, signed

    def _value(self, t: int) -> tuple[int | None, str]:
        value = int(self.units[t]) if self.valid[t] else None
        return value, str(self.currency[t])

    def _matches(self, t: int, start: int) -> bool:
        value, cur = self._value(t)
        written, signed = self._segment(start, t)
        if not cur and len(written) == 1:
            cur = next(iter(written))
        return value is not None and value in (written.get(cur, 0), signed.get(cur, 0))

    def _compare(self, t: int, start: int, end: int, word: str) -> None:
        s = self.s
        value, cur = self._value(t)
        lo = np.searchsorted(self.data, start, side="right")
        items = self.data[lo : np.searchsorted(self.data, end, side="left")]
        written, signed = self._segment(start, end)
        if not cur and len(written) == 1:
            cur = next(iter(written))
        if value is None:
            self._note(t, f"{word} row without a readable amount (SAP writes * when "
                       "currencies are mixed); not checked")  # fmt: skip
            return
        if not cur or (cur not in written and written):
            self._note(t, f"{word} {_fmt(value, cur)} covers items in several currencies "
                       f"({', '.join(sorted(written))}); not checked")  # fmt: skip
            return
        expected = written.get(cur, 0)
        if value in (expected, signed.get(cur, 0)):
            self._note(t, f"{word} {_fmt(value, cur)} left out; it equals the sum of its "
                       f"{len(items):,} items")  # fmt: skip
            return
        self.mismatches += 1
        if self.mismatches > MAX_LISTED:
            return
        span = f"rows {s.numbers[items[0]]}-{s.numbers[items[-1]]}" if len(items) else "none"
        s.findings.append(
            warning(
                s.loc(t, self.j),
                "SUBTOTAL_MISMATCH",
                f"{word} {_fmt(value, cur)} != the sum of its {len(items):,} items "
                f"{_fmt(expected, cur)} ({span}; difference {_fmt(value - expected, cur)})",
                "An item may be missing, filtered out or edited in the export; check the "
                "report in the ERP. The items were imported, the total row was not.",
            )
        )

    def _note(self, t: int, message: str) -> None:
        self.listed += 1
        if self.listed <= MAX_LISTED:
            self.s.findings.append(info(self.s.loc(t, self.j), "TOTAL_ROW", message))

    def _summary(self, count: int) -> None:
        loc = Location(self.s.source, None, None, self.s.grid.sheet)
        if self.listed > MAX_LISTED:
            more = self.listed - MAX_LISTED
            self.s.findings.append(
                info(loc, "TOTAL_ROW", f"{more:,} more total rows like the above left out "
                     f"(of {count:,})")
            )  # fmt: skip
        if self.mismatches > MAX_LISTED:
            more = self.mismatches - MAX_LISTED
            self.s.findings.append(
                warning(loc, "SUBTOTAL_MISMATCH", f"{more:,} more total rows do not equal "
                        "their items")
            )  # fmt: skip


# --------------------------------------------------------------------------- types


class _Types:
    """document_type from the type column, special G/L, posting key, id prefix or sign;
    and the sign rules (posting key / indicator credits, credits written positive)."""

    def __init__(self, sheet: _Sheet, data: np.ndarray, amounts: _Amounts) -> None:
        self.s = sheet
        self.data = data
        self.a = amounts

    def run(self) -> np.ndarray:
        s, data = self.s, self.data
        n = len(data)
        types = np.full(n, "", dtype=object)
        side = self._sides()
        self._signs_from_side(side)
        self._from_special_gl(types)
        self._from_type_column(types)
        self._from_posting_key(types)
        self._from_prefixes(types)
        self._signs_by_type(types)
        if s.p.sign_mode == "reversed":
            self.a.flip[data] = ~self.a.flip[data]
        self._split_by_sign(types)
        self._from_sign(types)
        return types

    def _sides(self) -> np.ndarray:
        """debit/credit per data row from the posting key or the D/C indicator."""
        s, data = self.s, self.data
        side = np.full(len(data), "", dtype=object)
        if s.col("posting_key") is not None:
            keys = s.role_text("posting_key", data)
            side = np.array(
                [s.p.posting_keys.get(k.zfill(2), ("", ""))[0] for k in keys], dtype=object
            )
        if s.col("dc_indicator") is not None:
            ind = s.role_text("dc_indicator", data)
            lookup = {v: s.p.indicators.get(label_key(v) or v, "") for v in set(ind.tolist())}
            from_ind = np.array([lookup[v] for v in ind], dtype=object)
            side = np.where(side == "", from_ind, side)
        return side

    def _signs_from_side(self, side: np.ndarray) -> None:
        data = self.data
        units = self.a.units[data]
        credit = (side == "credit") & (units > 0) & self.a.valid[data]
        if credit.any():
            self.a.flip[data[credit]] = True
            self.s.findings.append(
                info(
                    self.s.loc(),
                    "SIGN_FROM_INDICATOR",
                    f"{int(credit.sum()):,} credit items written without a minus were made "
                    "negative, as their posting key or debit/credit indicator says (rows "
                    f"{self.s.rows_text(data[credit])})",
                )
            )
        self.credit_side = side == "credit"

    def _from_special_gl(self, types: np.ndarray) -> None:
        s = self.s
        if s.col("special_gl") is None:
            return
        for k, v in enumerate(s.role_text("special_gl", self.data)):
            kind = s.p.special_gl.get(label_key(v)) if v else None
            if kind and kind != "noted":
                types[k] = kind

    def _from_type_column(self, types: np.ndarray) -> None:
        s = self.s
        if s.col("document_type") is None:
            return
        from cuadre.model.document_types import canonical_document_type

        texts = s.role_text("document_type", self.data)
        mapped: dict[str, str] = {}
        unknown: Counter[str] = Counter()
        for value in set(texts.tolist()):
            if not value:
                continue
            code = split_code(value)
            kind = s.p.document_types.get(label_key(code)) or s.p.document_types.get(
                label_key(value)
            )
            if kind is None:
                canon = canonical_document_type(code)
                kind = canon if canon in ALLOWED_TYPES else None
            if kind is None:
                canon = canonical_document_type(value)
                kind = canon if canon in ALLOWED_TYPES else None
            if kind is not None:
                mapped[value] = kind
        for k, value in enumerate(texts):
            if types[k]:
                continue
            if value in mapped:
                types[k] = mapped[value]
            elif value:
                unknown[value] += 1
        if unknown:
            shown = ", ".join(f'"{v}" ({c:,})' for v, c in unknown.most_common(8))
            s.findings.append(
                warning(
                    s.loc(None, s.col("document_type")),
                    "UNKNOWN_DOCUMENT_TYPE",
                    f"document types {shown} are not in the {s.p.title} table; those items "
                    "were typed by their sign (positive invoice, negative credit note)",
                    'Add them to a mapping file: [document_types] "ZX" = "invoice".',
                )
            )

    def _from_posting_key(self, types: np.ndarray) -> None:
        s = self.s
        if s.col("posting_key") is None:
            return
        for k, key in enumerate(s.role_text("posting_key", self.data)):
            if not types[k] and key:
                types[k] = s.p.posting_keys.get(key.zfill(2), ("", ""))[1]

    def _from_prefixes(self, types: np.ndarray) -> None:
        s = self.s
        if not s.p.id_prefixes:
            return
        docs = s.role_text("document_id", self.data)
        for k, doc in enumerate(docs):
            if types[k]:
                continue
            for pattern, kind in s.p.id_prefixes:
                if pattern.match(doc):
                    types[k] = kind
                    break

    def _signs_by_type(self, types: np.ndarray) -> None:
        if self.s.p.sign_mode != "by_type":
            return
        data = self.data
        units = self.a.units[data]
        credit = np.isin(types, CREDIT_TYPES) & (units > 0) & ~self.a.flip[data]
        if credit.any():
            self.a.flip[data[credit]] = True
            self.s.findings.append(
                info(
                    self.s.loc(),
                    "SIGN_FROM_TYPE",
                    f"{int(credit.sum()):,} credit notes, payments and advances written as "
                    f"positive amounts were made negative ({self.s.p.title}: credits are "
                    "written positive, the concept gives the direction)",
                )
            )

    def _split_by_sign(self, types: np.ndarray) -> None:
        signed = self.a.signed[self.data]
        for k, kind in enumerate(types):
            if "/" in kind:
                positive, _, negative = kind.partition("/")
                types[k] = negative if signed[k] < 0 else positive

    def _from_sign(self, types: np.ndarray) -> None:
        blank = types == ""
        if not blank.any():
            return
        signed = self.a.signed[self.data]
        types[blank & (signed < 0)] = "credit_note"
        types[blank & (signed >= 0)] = "invoice"
        self.s.findings.append(
            info(
                self.s.loc(),
                "TYPE_FROM_SIGN",
                f"{int(blank.sum()):,} items have no document type the report names; typed "
                "by sign: positive invoice, negative credit note",
            )
        )


# --------------------------------------------------------------------------- registry


def _load_profiles() -> dict[str, ModuleType]:
    return {
        name: importlib.import_module(f"cuadre.importers.{module}")
        for name, module in PROFILE_MODULES.items()
    }


PROFILES: dict[str, ModuleType] = _load_profiles()
"""Profile name -> module offering ``FORMAT``, ``detect`` and ``read``."""
