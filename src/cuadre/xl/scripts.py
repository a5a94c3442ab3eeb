"""The ribbon scripts: one ``xl_<verb>(book)`` per button of the Cuadre tab.

Each script takes the active workbook as an ``xw.Book`` (from the ribbon,
``xw.Book.caller()``; in tests and from ``cuadre run``, a book on the headless engine),
reads the input tables (Settings, Customers, OpenItems, Bank or Payments, GL), runs one
engine step and writes only Cuadre's own sheets:

============  ==========================================================
``xl_match``  Matches, Unapplied, Issues
``xl_aging``  Aging, Issues
``xl_close``  Matches, Unapplied, Aging, Issues, Evidence
============  ==========================================================

The steps are those of ``cuadre close``: cash application with the Settings' threshold
and tolerance, unapplied cash, aging after cash application as of Settings' ``as_of``,
the control totals and the GL tie-out (:func:`cuadre.close.run_close`); the sheets are
the ones the close workbook has (:func:`cuadre.workbook.close_book.build_sheets`).

Progress goes to Excel's status bar; problems in the inputs go to the Issues sheet and,
when there are errors, to a message box in plain words. A script never raises into
Excel: an unexpected failure is reported the same way (message box and Issues sheet)
and returned as an ``INTERNAL_ERROR`` finding. Every script returns its findings.

Buttons whose engine step is not built yet (import, collections, reconcile, accruals,
evidence pack, post accepted matches) say so in a message box and change nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import xlwings as xw

from cuadre.aging import DEFAULT_BUCKETS, parse_buckets
from cuadre.close import run_close
from cuadre.evidence import InputRecord, evidence_table, run_facts
from cuadre.findings import Finding, Location, Severity, error, findings_frame, has_errors
from cuadre.learning import LEARNED, apply_learned, learn
from cuadre.matching import MatchPolicy
from cuadre.model.convert import payments_from_bank_lines
from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    CUSTOMERS,
    ISSUES,
    OPEN_ITEMS,
    PAYMENTS,
    SETTINGS,
    TRIAL_BALANCE,
)
from cuadre.model.validate import ReadOptions
from cuadre.posting import COMPLEMENT_DATA, JOURNAL_LINES, clearing_journal, complement_data
from cuadre.workbook.close_book import build_sheets, settings_table
from cuadre.workbook.writer import ControlRow, SheetSpec
from cuadre.xl.sheets import InputTable, read_input, write_sheets

__all__ = [
    "COMING",
    "OUTPUTS",
    "xl_accruals",
    "xl_aging",
    "xl_close",
    "xl_collections",
    "xl_evidence",
    "xl_import",
    "xl_match",
    "xl_post",
    "xl_reconcile",
]

TITLE = "Cuadre"

OUTPUTS: dict[str, tuple[str, ...]] = {
    "match": ("Matches", "Unapplied", "Issues"),
    "aging": ("Aging", "Issues"),
    "close": ("Matches", "Unapplied", "Aging", "Issues", "Evidence"),
    "post": ("Journal", "ComplementData", "Learned", "Issues"),
}
"""The sheets each script writes; no script touches any other sheet."""


# --------------------------------------------------------------------------- settings


@dataclass
class Settings:
    as_of: dt.date | None = None
    buckets: tuple[int, ...] = DEFAULT_BUCKETS
    policy: MatchPolicy = field(default_factory=MatchPolicy)
    options: ReadOptions = field(default_factory=ReadOptions)


def _setting_location(book: xw.Book, table: InputTable, row: int | None) -> Location:
    return Location(book.name, row, 2, table.sheet, "value")


def read_settings(book: xw.Book) -> tuple[Settings, list[Finding]]:
    """The Settings table as run parameters; each bad value a located finding."""
    table, findings = read_input(book, SETTINGS, required=False)
    settings = Settings()
    if table is None:
        return settings, findings
    frame = table.frame
    values = dict(zip(frame["setting"].str.strip().str.lower(), frame["value"], strict=False))
    rows = dict(zip(frame["setting"].str.strip().str.lower(), frame["source_row"], strict=False))

    def bad(name: str, message: str, hint: str) -> None:
        row = rows.get(name)
        findings.append(
            error(
                _setting_location(book, table, None if row is None or pd.isna(row) else int(row)),
                "BAD_SETTING",
                message,
                hint,
            )
        )

    text = str(values.get("as_of", "") or "").strip()
    if text:
        try:
            settings.as_of = dt.date.fromisoformat(text[:10])
        except ValueError:
            bad(
                "as_of",
                f'as_of "{text}" is not a date',
                "Write the close date as YYYY-MM-DD, such as 2026-10-31.",
            )
    if str(values.get("buckets", "")).strip():
        try:
            settings.buckets = parse_buckets(str(values["buckets"]))
        except ValueError as exc:
            bad("buckets", str(exc), "Write the limits in days, such as 30,60,90,120.")
    policy: dict[str, float] = {}
    for key, field_name in (
        ("match_threshold", "auto_threshold"),
        ("tolerance_pct", "tolerance_pct"),
    ):
        raw = str(values.get(key, "") or "").strip().replace(",", ".")
        if raw:
            try:
                policy[field_name] = float(raw)
            except ValueError:
                bad(key, f'{key} "{raw}" is not a number', "Write a number such as 0.9.")
    try:
        settings.policy = MatchPolicy(**policy)
    except ValueError:
        bad(
            "match_threshold",
            "match_threshold must be between 0 and 1, tolerance_pct between 0 and 100",
            "Correct the values on the Settings sheet.",
        )
    decimal = str(values.get("decimal_separator", "") or "").strip() or None
    order = str(values.get("date_order", "") or "auto").strip().lower() or "auto"
    if decimal not in (None, ".", ",", "auto"):
        bad(
            "decimal_separator",
            f'decimal_separator "{decimal}" must be "." or ","',
            'Write "." or ",".',
        )
        decimal = None
    if order not in ("auto", "dmy", "mdy"):
        bad(
            "date_order",
            f'date_order "{order}" must be auto, dmy or mdy',
            "Write auto, dmy or mdy.",
        )
        order = "auto"
    settings.options = ReadOptions(
        decimal_separator=None if decimal == "auto" else decimal, date_order=order
    )
    return settings, findings


# --------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    open_items: pd.DataFrame
    payments: pd.DataFrame
    customers: pd.DataFrame | None
    trial_balance: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]
    records: list[InputRecord]


def read_inputs(book: xw.Book, settings: Settings) -> tuple[Inputs | None, list[Finding]]:
    """Open items, payments (the Bank sheet's money-in lines, or a Payments sheet),
    customers and GL; None when an input has errors."""
    opts = settings.options
    findings: list[Finding] = []
    tables: dict[str, pd.DataFrame] = {}
    records: list[InputRecord] = []

    def take(name: str, table: InputTable | None, found: list[Finding]) -> pd.DataFrame | None:
        findings.extend(found)
        if table is None:
            return None
        tables[name] = table.frame
        records.append(InputRecord(name, f"{book.name}!{table.sheet}", table.sha256, table.frame))
        return table.frame

    oi = take("open_items", *read_input(book, OPEN_ITEMS, opts))
    lines = take("bank_lines", *read_input(book, BANK_LINES, opts, required=False))
    payments = None
    if lines is not None:
        payments = payments_from_bank_lines(lines)
    else:
        payments = take("payments", *read_input(book, PAYMENTS, opts, required=False))
    if payments is None and oi is not None:
        findings.append(
            error(
                Location(book.name, sheet="Bank"),
                "NO_PAYMENTS",
                "the Bank sheet has no bank lines and there is no Payments sheet",
                "Paste or import the bank statement lines on the Bank sheet.",
            )
        )
    customers = take("customers", *read_input(book, CUSTOMERS, opts, required=False))
    learned, more = read_input(book, LEARNED, opts, required=False)
    findings.extend(more)
    if customers is not None and learned is not None:
        customers = apply_learned(customers, learned.frame)
    tb = take("trial_balance", *read_input(book, TRIAL_BALANCE, opts, required=False))
    if has_errors(findings) or oi is None or payments is None:
        return None, findings
    return Inputs(oi, payments, customers, tb, tables, records), findings


# --------------------------------------------------------------------------- the shell


def _status(book: xw.Book, text: str | bool) -> None:
    # an engine without a status bar: progress is cosmetic
    with contextlib.suppress(Exception):
        book.app.status_bar = text


def _alert(book: xw.Book, text: str) -> None:
    # an engine without message boxes: the Issues sheet still has it
    with contextlib.suppress(Exception):
        book.app.alert(text, title=TITLE)


def _issues_sheet(findings: list[Finding]) -> SheetSpec:
    issues = findings_frame(findings)
    return SheetSpec(
        "Issues",
        "issues",
        issues,
        ISSUES,
        title="Issues",
        subtitle="Problems and notes found in the inputs and the run, each with where to look.",
        kind="info",
        controls=tuple(
            ControlRow(sev.capitalize() + "s", int(issues["severity"].eq(sev).sum()))
            for sev in ("error", "warning", "info")
        ),
    )


def _summary(findings: list[Finding]) -> str:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    first = "\n".join(f"- {f.location.excel() or f.location}: {f.message}" for f in errors[:5])
    more = f"\n... and {len(errors) - 5} more." if len(errors) > 5 else ""
    return (
        f"Cuadre found {len(errors)} problem(s) in the inputs and changed no result sheet:\n"
        f"{first}{more}\n\nAll of them are listed on the Issues sheet."
    )


def _run_step(book: xw.Book, step: str) -> list[Finding]:
    _status(book, "Cuadre: reading the settings and the inputs...")
    settings, findings = read_settings(book)
    inputs, more = read_inputs(book, settings)
    findings += more
    if inputs is None or has_errors(findings):
        write_sheets(book, [_issues_sheet(findings)])
        _alert(book, _summary(findings))
        return findings
    as_of = settings.as_of or _default_as_of(inputs.open_items)
    _status(book, f"Cuadre: applying {len(inputs.payments):,} payments...")
    result = run_close(
        inputs.open_items,
        inputs.payments,
        inputs.customers,
        as_of,
        trial_balance=inputs.trial_balance,
        buckets=settings.buckets,
        policy=settings.policy,
    )
    result.findings[:0] = findings
    _status(book, "Cuadre: writing the result sheets...")
    facts = [
        *run_facts(dt.datetime.now().replace(microsecond=0)),
        ("As of", as_of.isoformat()),
        ("Command", f"Excel: {step}"),
    ]
    specs = build_sheets(
        inputs.tables,
        result,
        evidence_table(inputs.records),
        settings_table(as_of, settings.buckets, settings.policy, settings.options),
        facts,
        settings.buckets,
    )
    wanted = OUTPUTS[step]
    write_sheets(book, [s for s in specs if s.name in wanted])
    first = result.allocations.drop_duplicates("payment_id")
    auto = int(first["status"].eq("auto").sum())
    _status(
        book,
        f"Cuadre: done. {len(result.payments):,} payments, {auto:,} applied automatically; "
        f"see {', '.join(wanted)}.",
    )
    if has_errors(result.findings):
        _alert(book, _summary(result.findings))
    return result.findings


def _default_as_of(open_items: pd.DataFrame) -> dt.date:
    """Without Settings' as_of: the last document date (said on the Evidence sheet)."""
    last = open_items["document_date"].max()
    return dt.date.today() if pd.isna(last) else pd.Timestamp(last).date()


def _shell(book: xw.Book | None, step: Callable[[xw.Book], list[Finding]]) -> list[Finding]:
    book = book or xw.Book.caller()
    try:
        return step(book)
    except Exception as exc:  # a ribbon button must never leave Excel with a traceback
        found = [
            error(
                Location(book.name),
                "INTERNAL_ERROR",
                f"Cuadre stopped unexpectedly: {type(exc).__name__}: {exc}",
                "Please report it with the workbook; details: "
                + " | ".join(traceback.format_exc().strip().splitlines()[-3:]),
            )
        ]
        with contextlib.suppress(Exception):  # the message box below still tells the user
            write_sheets(book, [_issues_sheet(found)])
        _alert(book, f"Cuadre stopped unexpectedly: {exc}\n\nThe details are on the Issues sheet.")
        return found
    finally:
        _status(book, False)


def xl_match(book: xw.Book | None = None) -> list[Finding]:
    """Match payments: apply the Bank sheet's receipts to OpenItems (Matches, Unapplied)."""
    return _shell(book, lambda b: _run_step(b, "match"))


def xl_aging(book: xw.Book | None = None) -> list[Finding]:
    """Aging as of Settings' as_of, after cash application (Aging)."""
    return _shell(book, lambda b: _run_step(b, "aging"))


def xl_close(book: xw.Book | None = None) -> list[Finding]:
    """The whole close: match, unapplied, aging, tie-out and evidence."""
    return _shell(book, lambda b: _run_step(b, "close"))


def _post_step(book: xw.Book) -> list[Finding]:
    """Post the Matches sheet's kept rows: journal, complement data, what was learned."""
    _status(book, "Cuadre: reading the reviewed matches...")
    settings, findings = read_settings(book)
    inputs, more = read_inputs(book, settings)
    findings += more
    matches, more = read_input(book, ALLOCATIONS, settings.options, required=False)
    findings += more
    if matches is None and inputs is not None:
        findings.append(
            error(
                Location(book.name, sheet="Matches"),
                "NO_MATCHES",
                "there is no Matches sheet to post",
                "Run Match payments, review the suggested rows, then Post accepted matches.",
            )
        )
    if inputs is None or matches is None or has_errors(findings):
        write_sheets(book, [_issues_sheet(findings)])
        _alert(book, _summary(findings))
        return findings
    journal, found = clearing_journal(matches.frame, inputs.payments)
    data, more = complement_data(matches.frame, inputs.payments, inputs.open_items)
    found += more
    known, more = read_input(book, LEARNED, settings.options, required=False)
    found += more
    learned, more = learn(
        matches.frame, inputs.payments, inputs.customers, known.frame if known else None
    )
    found += more
    findings += found
    specs = [
        SheetSpec(
            "Journal",
            "journal_lines",
            journal,
            JOURNAL_LINES,
            title="Journal: accepted matches to post",
            subtitle="One balanced journal per payment: bank, customers, differences, on account.",
            totals=("debit", "credit"),
            controls=(
                ControlRow("Payments posted", int(journal["journal_id"].nunique())),
                ControlRow(
                    "Debits = credits",
                    "OK" if journal["debit"].sum() == journal["credit"].sum() else "DIFFERENCE",
                    check=True,
                ),
            ),
        ),
        SheetSpec(
            "ComplementData",
            "complement_data",
            data,
            COMPLEMENT_DATA,
            title="Payment complements to issue (REP, CFDI Pagos 2.0)",
            subtitle="Per invoice paid: installment and balances; issue by the 5th of next month.",
            totals=("amount_paid",),
        ),
        SheetSpec(
            "Learned",
            "learned",
            learned,
            LEARNED,
            title="Learned from your reviews",
            subtitle="Payer accounts and names you accepted; the next Match payments uses them.",
            kind="input",
        ),
        _issues_sheet(findings),
    ]
    write_sheets(book, specs)
    _status(book, f"Cuadre: {journal['journal_id'].nunique():,} payments posted.")
    if has_errors(found):
        _alert(book, _summary(found))
    return findings


def xl_post(book: xw.Book | None = None) -> list[Finding]:
    """Post accepted matches: journal, payment complement data, and learn from reviews."""
    return _shell(book, _post_step)


COMING: dict[str, str] = {
    "import": "Import (bank statements, ERP exports, CFDI and DIAN e-invoices) is coming. "
    "Today: run 'cuadre import bank|erp|cfdi' and paste the result on Bank or OpenItems.",
    "collections": "Collections (worklist, dunning letters, statements) is coming.",
    "reconcile": "Reconcile (GL, bank, customer, SAT/DIAN) is coming. The GL tie-out is on "
    "the Aging sheet today.",
    "accruals": "Accruals and the expected-credit-loss provision are coming.",
    "evidence": "The evidence pack is coming. Today the Evidence sheet lists the inputs "
    "with their SHA-256.",
}


def _coming(name: str) -> Callable[[xw.Book | None], list[Finding]]:
    def script(book: xw.Book | None = None) -> list[Finding]:
        book = book or xw.Book.caller()
        _alert(book, COMING[name])
        return []

    script.__name__ = f"xl_{name}"
    script.__doc__ = COMING[name]
    return script


xl_import = _coming("import")
xl_collections = _coming("collections")
xl_reconcile = _coming("reconcile")
xl_accruals = _coming("accruals")
xl_evidence = _coming("evidence")
