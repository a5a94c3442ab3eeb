"""Validate raw cells against a contract table: every problem at once, each located.

Pure: takes the cells a reader found (:class:`RawTable`), returns the engine's typed
DataFrame and a list of :class:`~cuadre.findings.Finding`. Lazy validation as in
pandera: nothing stops at the first problem; per column at most ``MAX_CELL_FINDINGS``
cells are listed and the rest summarised.

Decisions taken for the whole file, and reported:

- the decimal separator of ambiguous amounts (``1,234``) from the amounts that can only
  be read one way, or the setting, or the file's field separator (``;`` files are
  decimal-comma), or the contract's ``.``;
- the date order (``dd/mm`` or ``mm/dd``) from the dates that can only be read one way,
  or the setting, or day-first with a warning when every date could be read both ways.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cuadre import parsing
from cuadre.findings import Finding, Location, Severity, error, info, warning
from cuadre.model.document_types import canonical_document_type
from cuadre.model.tables import PROVENANCE, Column, Kind, TableSchema
from cuadre.money import DEFAULT_ROUNDING, exponents_for, known_currencies

MAX_CELL_FINDINGS = 200
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass
class RawTable:
    """Cells as a reader found them, before any typing.

    ``cells`` has one column per header cell (header text as found) and raw values
    (text for CSV; str/float/date objects for workbooks). ``rows`` is the 1-based row
    number a spreadsheet shows for each row of ``cells``; ``column_numbers`` the 1-based
    column number of each column.

    A reader that has typed a column itself may hand it over *typed*: a money column
    as ``Int64`` minor units of the row's currency, a date column as ``datetime64``
    (``<NA>``/``NaT`` for empty). Those are taken as they are (no text, no parsing, no
    findings but ``MISSING_VALUE``), so the reader must have reported its bad cells, or
    left such a column as raw cells for this function to read and report.
    """

    cells: pd.DataFrame
    rows: np.ndarray
    header_row: int
    column_numbers: list[int]
    file: str
    sheet: str | None = None
    notes: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    """How to read numbers and dates when the file alone cannot say.

    ``decimal_separator``: ``"."``, ``","`` or ``None`` (detect). ``date_order``:
    ``"dmy"``, ``"mdy"`` or ``"auto"``. ``rounding``: a ``decimal`` rounding mode.
    ``fallback_decimal`` is set by the reader from the field separator.
    """

    decimal_separator: str | None = None
    date_order: str = "auto"
    rounding: str = DEFAULT_ROUNDING
    fallback_decimal: str = "."
    sheet: str | None = None


def _loc(raw: RawTable, pos: int | None, col: int | None, name: str | None = None) -> Location:
    row = int(raw.rows[pos]) if pos is not None else raw.header_row
    column = raw.column_numbers[col] if col is not None else None
    return Location(raw.file, row, column, raw.sheet, name)


class _Collector:
    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.findings: list[Finding] = list(raw.notes)

    def cells(
        self,
        mask: pd.Series,
        col: int,
        name: str,
        code: str,
        message: Callable[[object], str],
        hint: str,
        severity: Severity = Severity.ERROR,
        values: pd.Series | None = None,
    ) -> None:
        positions = np.flatnonzero(mask.to_numpy(dtype=bool))
        if not len(positions):
            return
        vals = values if values is not None else self.raw.cells.iloc[:, col]
        for pos in positions[:MAX_CELL_FINDINGS]:
            loc = _loc(self.raw, int(pos), col, name)
            self.findings.append(Finding(loc, code, severity, message(vals.iloc[pos]), hint))
        more = len(positions) - MAX_CELL_FINDINGS
        if more > 0:
            loc = _loc(self.raw, None, col, name)
            self.findings.append(
                Finding(loc, code, severity, f"{more:,} more cells in column {name} like the above")
            )


def _typed(values: pd.Series) -> bool:
    """A column a reader typed itself (see :class:`RawTable`)."""
    dtype = values.dtype
    return isinstance(dtype, pd.Int64Dtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M")


def _show(value: object) -> str:
    text = parsing.cell_text(pd.Series([value], dtype=object)).iloc[0]
    return f'"{text}"' if len(text) <= 60 else f'"{text[:57]}..."'


def coerce_table(
    raw: RawTable, schema: TableSchema, options: ReadOptions | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Type and check ``raw`` against ``schema``; see the module docstring."""
    options = options or ReadOptions()
    out = _Collector(raw)
    cells = raw.cells

    # -- header: map found names to contract names; extras are carried through
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, header in enumerate(cells.columns):
        norm = parsing.normalize_header(header)
        if not norm:
            continue
        if norm in seen:
            out.findings.append(
                error(
                    _loc(raw, None, i, norm),
                    "DUPLICATE_COLUMN",
                    f'column "{header}" appears twice (also column {raw.column_numbers[seen[norm]]})',
                    "Delete or rename one of them.",
                )
            )
            continue
        seen[norm] = i
        mapping[i] = norm
    by_name = {name: i for i, name in mapping.items()}
    for col in schema.columns:
        if col.required and col.name not in by_name:
            found = ", ".join(str(c) for c in cells.columns if str(c).strip()) or "none"
            out.findings.append(
                error(
                    Location(raw.file, raw.header_row, None, raw.sheet),
                    "MISSING_COLUMN",
                    f'{schema.name} needs a column "{col.name}" ({col.meaning or col.kind}); '
                    f"the header row has: {found}",
                    f'Add or rename a column to "{col.name}" (case and spaces do not matter).',
                )
            )

    # -- text once per column: CSV columns become their stripped text (parsed once);
    # typed columns (see RawTable) have no text, only their missing values
    texts: list[pd.Series | None] = []
    empty = np.ones(len(cells), dtype=bool)
    for i in range(cells.shape[1]):
        values = cells.iloc[:, i]
        if _typed(values):
            texts.append(None)
            empty &= values.isna().to_numpy(dtype=bool)
            continue
        texts.append(parsing.cell_text(values))
        if len(cells) and pd.api.types.infer_dtype(values, skipna=False) == "string":
            cells.isetitem(i, texts[i])
        empty &= texts[i].eq("").to_numpy(dtype=bool)  # type: ignore[union-attr]
    blank = pd.Series(empty & (len(cells) > 0), index=cells.index, dtype=bool)
    if blank.any():
        rows = raw.rows[blank.to_numpy()]
        shown = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        out.findings.append(
            info(
                Location(raw.file, None, None, raw.sheet),
                "BLANK_ROWS",
                f"{len(rows):,} blank rows skipped (rows {shown})",
            )
        )
        keep = ~blank.to_numpy()
        raw = RawTable(
            cells[keep].reset_index(drop=True),
            raw.rows[keep],
            raw.header_row,
            raw.column_numbers,
            raw.file,
            raw.sheet,
        )
        out.raw = raw
        cells = raw.cells
        texts = [t if t is None else t[keep].reset_index(drop=True) for t in texts]

    def text(i: int) -> pd.Series:
        """Column ``i``'s cell text (made on demand for a typed column)."""
        found = texts[i]
        if found is None:
            found = texts[i] = parsing.cell_text(cells.iloc[:, i])
        return found

    n = len(cells)
    frame: dict[str, pd.Series] = {}

    # currency columns first: money columns need their exponent
    currencies: dict[str, pd.Series] = {}
    for col in schema.columns:
        if col.kind != Kind.CURRENCY:
            continue
        if col.name not in by_name:
            currencies[col.name] = pd.Series("", index=cells.index, dtype=object)
            continue
        i = by_name[col.name]
        codes = parsing.per_unique(text(i), str.upper)
        bad = codes.ne("") & ~codes.isin(known_currencies())
        out.cells(
            bad,
            i,
            col.name,
            "UNKNOWN_CURRENCY",
            _currency_message(col.name),
            "Use a three-letter code such as MXN, USD, COP or EUR.",
        )
        currencies[col.name] = codes
    no_currency = pd.Series("", index=cells.index, dtype=object)

    decimal = _decide_decimal(raw, schema, by_name, options, out)
    order = _decide_date_order(raw, schema, by_name, options, out)

    for col in schema.columns:
        if col.name not in by_name:
            frame[col.name] = _empty(col, n)
            continue
        i = by_name[col.name]
        values = cells.iloc[:, i]
        currency = currencies.get(col.currency_column, no_currency)
        if col.kind == Kind.CURRENCY:
            currency = currencies[col.name]
        exps = exponents_for(currency)
        frame[col.name] = _coerce_column(
            col, i, values, exps, currency, decimal, order, options, out, texts[i]
        )
        if col.required:
            col_text = texts[i]
            missing = values.isna() if col_text is None else col_text.eq("")
            out.cells(
                missing,
                i,
                col.name,
                "MISSING_VALUE",
                _empty_message(col.name, schema.name),
                f"Fill in {col.name} ({col.meaning or col.kind}) or delete the row.",
            )

    known = set(schema.names) | set(PROVENANCE)
    for i, name in mapping.items():
        if name not in known:
            frame[name] = text(i)
    frame["source_path"] = pd.Series([raw.file] * n, dtype=object)
    frame["source_sheet"] = pd.Series([raw.sheet or ""] * n, dtype=object)
    frame["source_row"] = pd.Series(raw.rows, dtype="Int64")
    df = pd.DataFrame(frame, index=pd.RangeIndex(n))

    rule = ROW_RULES.get(schema.name)
    if rule is not None and n:
        rule(df, raw, by_name, out)
    _check_keys(df, schema, raw, by_name, out)
    return df, out.findings


def _currency_message(name: str) -> Callable[[object], str]:
    def message(value: object) -> str:
        return f"{name} {_show(value)} is not an ISO 4217 code Cuadre knows"

    return message


def _empty_message(name: str, table: str) -> Callable[[object], str]:
    def message(_value: object) -> str:
        return f"{name} is empty; {table} needs it on every row"

    return message


def _empty(col: Column, n: int) -> pd.Series:
    if col.kind == Kind.DATE:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if col.kind in (Kind.MONEY, Kind.INT):
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    if col.kind == Kind.RATIO:
        return pd.Series(np.nan, index=range(n), dtype="float64")
    return pd.Series([""] * n, dtype=object)


def _is_missing(s: pd.Series) -> pd.Series:
    if s.dtype == object:
        return s.eq("")
    return s.isna()


def _decide_decimal(
    raw: RawTable,
    schema: TableSchema,
    by_name: dict[str, int],
    options: ReadOptions,
    out: _Collector,
) -> str:
    if options.decimal_separator:
        return options.decimal_separator
    votes = {".": 0, ",": 0}
    ambiguous = 0
    for name in schema.of_kind(Kind.MONEY):
        if name in by_name and not _typed(raw.cells.iloc[:, by_name[name]]):
            texts = raw.cells.iloc[:, by_name[name]]
            if pd.api.types.infer_dtype(texts, skipna=False) != "string":
                texts = texts[texts.map(lambda v: isinstance(v, str))]
            v = parsing.decimal_votes(texts)
            votes["."] += v["."]
            votes[","] += v[","]
            ambiguous += int(texts.str.fullmatch(r"[-+(]?\s*\d{1,3}[.,]\d{3}\)?-?").sum())
    loc = Location(raw.file, None, None, raw.sheet)
    if votes["."] and votes[","]:
        chosen = "," if votes[","] > votes["."] else "."
        out.findings.append(
            warning(
                loc,
                "MIXED_DECIMAL_SEPARATORS",
                f'amounts use both "." ({votes["."]:,} values) and "," ({votes[","]:,} values) '
                f'as decimal separator; each was read by its own form, ambiguous ones with "{chosen}"',
                "Check that the file was not pasted together from two sources.",
            )
        )
        return chosen
    if votes[","]:
        return ","
    if votes["."]:
        return "."
    if ambiguous:
        sep = options.fallback_decimal
        example = "1,234 = 1234.00" if sep == "." else "1,234 = 1.234"
        out.findings.append(
            warning(
                loc,
                "AMBIGUOUS_NUMBER",
                f'{ambiguous:,} amounts such as "1,234" or "1.234" could be read two ways; '
                f'read with "{sep}" as decimal separator ({example})',
                "Set the decimal separator (--decimal-separator or Settings) to be sure.",
            )
        )
    return options.fallback_decimal


def _decide_date_order(
    raw: RawTable,
    schema: TableSchema,
    by_name: dict[str, int],
    options: ReadOptions,
    out: _Collector,
) -> str:
    if options.date_order in ("dmy", "mdy"):
        return options.date_order
    votes = {"dmy": 0, "mdy": 0, "numeric": 0}
    for name in schema.of_kind(Kind.DATE):
        if name in by_name and not _typed(raw.cells.iloc[:, by_name[name]]):
            v = parsing.date_order_votes(raw.cells.iloc[:, by_name[name]])
            for k in votes:
                votes[k] += v[k]
    loc = Location(raw.file, None, None, raw.sheet)
    if votes["dmy"] and votes["mdy"]:
        chosen = "dmy" if votes["dmy"] >= votes["mdy"] else "mdy"
        out.findings.append(
            warning(
                loc,
                "MIXED_DATE_ORDER",
                f"{votes['dmy']:,} dates can only be day/month/year and {votes['mdy']:,} only "
                f"month/day/year; read as {_order_words(chosen)}, the others are reported",
                "Make every date in the file use one order, or ISO YYYY-MM-DD.",
            )
        )
        return chosen
    if votes["dmy"]:
        return "dmy"
    if votes["mdy"]:
        return "mdy"
    if votes["numeric"]:
        out.findings.append(
            warning(
                loc,
                "AMBIGUOUS_DATE_ORDER",
                f"all {votes['numeric']:,} dates like 03/04/2026 could be day/month or "
                "month/day; read as day/month/year (dd/mm/yyyy)",
                "If the file is month/day/year, set the date order to mdy "
                "(--date-order mdy or Settings).",
            )
        )
    return "dmy"


def _order_words(order: str) -> str:
    return "day/month/year (dd/mm/yyyy)" if order == "dmy" else "month/day/year (mm/dd/yyyy)"


def _coerce_column(
    col: Column,
    i: int,
    values: pd.Series,
    exps: pd.Series,
    currency: pd.Series,
    decimal: str,
    order: str,
    options: ReadOptions,
    out: _Collector,
    text: pd.Series | None = None,
) -> pd.Series:
    """One column typed; ``text`` is its :func:`~cuadre.parsing.cell_text` when known."""
    name = col.name
    if col.kind == Kind.MONEY and isinstance(values.dtype, pd.Int64Dtype):
        return values  # typed by the reader: minor units
    if col.kind == Kind.DATE and _typed(values) and values.dtype.kind == "M":
        return values.astype("datetime64[ns]")  # typed by the reader
    if col.kind == Kind.MONEY:
        parsed = parsing.parse_amounts(values, exps, decimal, options.rounding)
        out.cells(
            parsed.invalid,
            i,
            name,
            "NOT_A_NUMBER",
            lambda v: (
                f"{name} {_show(v)} is not an amount; expected a number such as "
                f"{'1.234,56' if decimal == ',' else '1,234.56'} or -1234.56"
            ),
            "Remove letters and stray characters; use a minus sign or parentheses for negatives.",
        )
        out.cells(
            parsed.rounded,
            i,
            name,
            "ROUNDED",
            lambda v: (
                f"{name} {_show(v)} has more decimals than its currency allows; rounded half up"
            ),
            "Round the amount in the source to the currency's decimals.",
            Severity.WARNING,
        )
        return parsed.units
    if col.kind == Kind.DATE:
        parsed_d = parsing.parse_dates(values, order)
        words = _order_words(order)
        out.cells(
            parsed_d.invalid,
            i,
            name,
            "NOT_A_DATE",
            lambda v: (
                f"{name} {_show(v)} is not a date; expected YYYY-MM-DD "
                f"(this file's other dates read as {words})"
            ),
            "Type the date as 2026-10-31, or as the file's other dates are written.",
        )
        return parsed_d.dates
    if col.kind == Kind.INT:
        ints, bad = parsing.parse_ints(values)
        out.cells(
            bad,
            i,
            name,
            "NOT_A_WHOLE_NUMBER",
            lambda v: f"{name} {_show(v)} is not a whole number",
            "Use digits only, such as 30.",
        )
        return ints
    if col.kind == Kind.RATIO:
        ratios, bad = parsing.parse_ratios(values)
        out.cells(
            bad,
            i,
            name,
            "NOT_A_NUMBER",
            lambda v: f"{name} {_show(v)} is not a number between 0 and 1",
            "Use a decimal such as 0.95 or a percentage such as 95%.",
        )
        return ratios
    if col.kind == Kind.CURRENCY:
        return currency
    if text is None:
        text = parsing.cell_text(values)
    if col.kind == Kind.ENUM:
        uniques = {t: canonical_document_type(t) for t in text.unique()}
        canon = text.map(uniques).astype(object) if col.allowed else text
        canon = canon.where(canon.isin(col.allowed) | text.eq(""), text)
        lowered = parsing.per_unique(canon, lambda t: _SEPARATORS.sub("_", t.lower()))
        canon = canon.where(canon.isin(col.allowed), lowered)
        bad = ~canon.isin(col.allowed) & canon.ne("")
        allowed = ", ".join(col.allowed)
        out.cells(
            bad,
            i,
            name,
            "NOT_ALLOWED",
            lambda v: f"{name} {_show(v)} is not one of: {allowed}",
            f"Use one of the values {allowed}.",
        )
        return canon.where(~bad, "").astype(object)
    return text


# --------------------------------------------------------------------------- row rules

RowRule = Callable[[pd.DataFrame, RawTable, dict[str, int], _Collector], None]


def _rows_finding(
    df: pd.DataFrame,
    mask: pd.Series,
    raw: RawTable,
    by_name: dict[str, int],
    column: str,
    code: str,
    severity: Severity,
    message: Callable[[pd.Series], str],
    hint: str,
    out: _Collector,
) -> None:
    col = by_name.get(column)
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    for pos in positions[:MAX_CELL_FINDINGS]:
        loc = _loc(raw, int(pos), col, column)
        out.findings.append(Finding(loc, code, severity, message(df.iloc[pos]), hint))
    more = len(positions) - MAX_CELL_FINDINGS
    if more > 0:
        out.findings.append(
            Finding(
                _loc(raw, None, col, column),
                code,
                severity,
                f"{more:,} more rows like the above",
            )
        )


def _open_items_rules(
    df: pd.DataFrame, raw: RawTable, by_name: dict[str, int], out: _Collector
) -> None:
    t = df["document_type"]
    amt = df["amount_open"]
    no_due = (t == "invoice") & df["due_date"].isna()
    _rows_finding(
        df,
        no_due,
        raw,
        by_name,
        "due_date",
        "MISSING_DUE_DATE",
        Severity.WARNING,
        lambda r: (
            f"invoice {r['document_id']} has no due date; it is aged by its document "
            "date plus the customer's payment terms"
        ),
        "Add the net due date from the ERP.",
        out,
    )
    debit_side = t.isin(["invoice", "debit_note"]) & (amt < 0).fillna(False)
    credit_side = t.isin(["credit_note", "payment", "advance"]) & (amt > 0).fillna(False)
    _rows_finding(
        df,
        debit_side | credit_side,
        raw,
        by_name,
        "amount_open",
        "UNEXPECTED_SIGN",
        Severity.WARNING,
        lambda r: (
            f"{r['document_type']} {r['document_id']} has amount_open "
            f"{'negative' if r['document_type'] in ('invoice', 'debit_note') else 'positive'}; "
            "the contract signs receivables positive and credits negative"
        ),
        "Check the sign convention of the export (credit notes and payments negative).",
        out,
    )
    early = (df["due_date"] < df["document_date"]).fillna(False)
    _rows_finding(
        df,
        early,
        raw,
        by_name,
        "due_date",
        "DUE_BEFORE_ISSUE",
        Severity.WARNING,
        lambda r: (
            f"{r['document_id']} is due {r['due_date']:%Y-%m-%d}, before its document "
            f"date {r['document_date']:%Y-%m-%d}"
        ),
        "Check the dates in the ERP.",
        out,
    )


def _payments_rules(
    df: pd.DataFrame, raw: RawTable, by_name: dict[str, int], out: _Collector
) -> None:
    bad = (df["amount"] <= 0).fillna(False)
    _rows_finding(
        df,
        bad,
        raw,
        by_name,
        "amount",
        "NOT_POSITIVE",
        Severity.ERROR,
        lambda r: (
            f"payment {r['payment_id']} has amount {r['amount']} (minor units) <= 0; "
            "payments are money received and must be positive"
        ),
        "Remove outgoing lines, or import the bank statement as bank_lines instead.",
        out,
    )


ROW_RULES: dict[str, RowRule] = {
    "open_items": _open_items_rules,
    "payments": _payments_rules,
}


def _check_keys(
    df: pd.DataFrame,
    schema: TableSchema,
    raw: RawTable,
    by_name: dict[str, int],
    out: _Collector,
) -> None:
    key = [k for k in schema.key if k in df.columns]
    if not key or not len(df):
        return
    main = key[-1] if schema.name != "open_items" else "document_id"
    present = ~_is_missing(df[main])
    dup = df.duplicated(subset=key, keep="first") & present
    if not dup.any():
        return
    first = df[present].drop_duplicates(subset=key, keep="first")
    first_row = (
        {tuple(r[k] for k in key): int(r["source_row"]) for _, r in first.iterrows()}
        if dup.sum() < 10_000
        else {}
    )
    _rows_finding(
        df,
        dup,
        raw,
        by_name,
        main,
        "DUPLICATE_KEY",
        Severity.ERROR,
        lambda r: (
            f"{main} {r[main]} appears more than once in {schema.name}"
            + (
                f" (first at row {first_row[tuple(r[k] for k in key)]})"
                if tuple(r[k] for k in key) in first_row
                else ""
            )
        ),
        "Each row needs its own id; remove the duplicate or correct the id.",
        out,
    )
