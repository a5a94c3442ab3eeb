"""The ribbon scripts: one ``xl_<verb>(book)`` per button of the Cuadre tab.

Each script takes the active workbook as an ``xw.Book`` (from the ribbon,
``xw.Book.caller()``; in tests and from ``cuadre run``, a book on the headless engine),
reads the input tables (Settings, Customers, OpenItems, Bank or Payments, GL and the
step's own), runs one engine step and writes only the sheets it owns:

==================  ========================================================
``xl_import``       rows of Bank, Statements, OpenItems, FiscalDocs,
                    PaymentComplements (their tables only); Issues
``xl_match``        Matches, Unapplied, Issues
``xl_aging``        Aging, Issues
``xl_close``        Matches, Unapplied, Aging, KPIs, Issues, Evidence
``xl_post``         Journal, ComplementData, Learned, Issues
``xl_collections``  Aging, Worklist, Dunning, PromiseStatus, Credit, DisputeLog,
                    AccountStatements, Issues; the letters and the statements PDF
                    beside the workbook
``xl_accruals``     Aging, Accruals, Unbilled, Cutoff, ProvisionMatrix, Provision,
                    AccrualJournal (AccrualUploadSAP with a SAP company code), Issues
``xl_reconcile``    Aging, ReconGL, ReconBank, ReconCustomer, ReconSAT, REPChecks,
                    ReconDIAN, Advances (those whose inputs are there), Issues
``xl_settings``     Settings (only when missing), Issues
``xl_evidence``     Evidence, Issues, and a zip beside the workbook
==================  ========================================================

The steps are those of ``cuadre close``: cash application with the Settings' threshold
and tolerance, unapplied cash, aging after cash application as of Settings' ``as_of``,
the control totals and the GL tie-out (:func:`cuadre.close.run_close`); the sheets are
the ones the close workbook has (:func:`cuadre.workbook.close_book.build_sheets`).
Collections, accruals and reconcile run the close first (they work on the open items
after cash application) and write the Aging sheet with their own: their control blocks
are live formulas over the ``aging`` table, which must be the one they were built on.
Their own inputs (Promises, Operations, CashBook...) are optional: a missing one gives
an empty sheet or an Issues row saying what to paste, never an error.

Output sheets are rewritten in place (:func:`cuadre.xl.sheets.write_sheets`): the sheet and its Excel
table are never deleted once they exist, so a user's formula elsewhere
(``=SUM(aging[total])``, ``=Matches!B5``) keeps working after a re-run.

Progress goes to Excel's status bar; problems in the inputs go to the Issues sheet and,
when there are errors, to a message box in plain words; an input with errors changes
no result sheet. A script never raises into Excel: an unexpected failure is reported
the same way (message box and Issues sheet) and returned as an ``INTERNAL_ERROR``
finding. Every script returns its findings.

Reading files of any kind is :mod:`cuadre.importers.auto` (pure); landing their rows in
the input tables is :mod:`cuadre.xl.landing`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
import xlwings as xw

from cuadre.accruals import AccrualPolicy
from cuadre.aging import DEFAULT_BUCKETS, bucket_labels, parse_buckets
from cuadre.close import CloseResult, run_close
from cuadre.collections.dunning import write_letters
from cuadre.collections.statements import statements_pdf
from cuadre.evidence import InputRecord, evidence_table, run_facts
from cuadre.evidence_pack import (
    PackTable,
    cells_csv,
    member_name,
    pack_members,
    pack_path,
    sha256,
    table_csv,
    write_pack,
)
from cuadre.findings import (
    Finding,
    Location,
    Severity,
    error,
    findings_frame,
    has_errors,
    info,
    warning,
)
from cuadre.importers.auto import KINDS, ImportBatch, import_files
from cuadre.io.atomic import write_atomic
from cuadre.learning import LEARNED, apply_learned, learn
from cuadre.matching import MatchPolicy
from cuadre.model.convert import payments_from_bank_lines
from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    CUSTOMERS,
    EVIDENCE,
    FISCAL_DOCS,
    ISSUES,
    OPEN_ITEMS,
    PAYMENT_COMPLEMENTS,
    PAYMENTS,
    SETTINGS,
    STATEMENTS,
    TRIAL_BALANCE,
    TableSchema,
)
from cuadre.model.validate import ReadOptions
from cuadre.money import known_currencies
from cuadre.posting import COMPLEMENT_DATA, JOURNAL_LINES, clearing_journal, complement_data
from cuadre.provision import ProvisionPolicy
from cuadre.workbook import accruals_sheets as acc
from cuadre.workbook import collections_sheets as col
from cuadre.workbook import kpi_sheets as kpi
from cuadre.workbook import reconcile_sheets as rec
from cuadre.workbook.close_book import build_sheets, settings_table
from cuadre.workbook.template import OPTIONAL_SETTING_ROWS, SETTING_ROWS, template_sheet
from cuadre.workbook.writer import ControlRow, SheetSpec
from cuadre.xl.landing import Landing, blank_row, grid, land, plan_landings
from cuadre.xl.sheets import InputTable, _sheet, find_table, read_input, write_sheets

__all__ = [
    "IMPORT_SHEET",
    "OUTPUTS",
    "check_settings",
    "xl_accruals",
    "xl_aging",
    "xl_close",
    "xl_collections",
    "xl_evidence",
    "xl_import",
    "xl_match",
    "xl_post",
    "xl_reconcile",
    "xl_settings",
]

TITLE = "Cuadre"

OUTPUTS: dict[str, tuple[str, ...]] = {
    "match": ("Matches", "Unapplied", "Issues"),
    "aging": ("Aging", "Issues"),
    "close": ("Matches", "Unapplied", "Aging", kpi.KPI_SHEET, "Issues", "Evidence"),
    "post": ("Journal", "ComplementData", "Learned", "Issues"),
    "import": ("Bank", "Statements", "OpenItems", "FiscalDocs", "PaymentComplements", "Issues"),
    "settings": ("Settings", "Issues"),
    "evidence": ("Evidence", "Issues"),
    "collections": ("Aging", *col.OUTPUT_SHEETS, "Issues"),
    "accruals": ("Aging", *acc.OUTPUT_SHEETS, "Issues"),
    "reconcile": ("Aging", *rec.RECON_SHEETS, "Issues"),
}
"""The sheets each script writes; no script touches any other sheet. (Import writes only
the rows of the input tables on its sheets, Settings adds the Settings sheet only when it
is missing, Evidence pack also writes a zip beside the workbook, Collections the letters
and the statements of account beside it; AccrualUploadSAP needs a SAP company code and
each Recon sheet its inputs.)"""


# --------------------------------------------------------------------------- settings


@dataclass
class Settings:
    as_of: dt.date | None = None
    buckets: tuple[int, ...] = DEFAULT_BUCKETS
    policy: MatchPolicy = field(default_factory=MatchPolicy)
    options: ReadOptions = field(default_factory=ReadOptions)
    functional_currency: str = "MXN"
    values: dict[str, str] = field(default_factory=dict)
    """Every setting as written (lower-case names), for the steps that read their own."""
    rows: dict[str, int | None] = field(default_factory=dict)
    """The sheet row of each setting, to locate a bad value."""
    book: str = ""
    sheet: str = SETTINGS.sheet

    def text(self, name: str) -> str:
        """The setting ``name`` as written, stripped; the template's default when the
        Settings sheet has no such row."""
        if name in self.values:
            return self.values[name]
        return next((v for n, v, _m in SETTING_ROWS if n == name), "")

    def bad(self, name: str, message: str, hint: str) -> Finding:
        """An error located at the value cell of the setting ``name``."""
        return error(
            Location(self.book, self.rows.get(name), 2, self.sheet, "value"),
            "BAD_SETTING",
            message,
            hint,
        )


def read_settings(book: xw.Book) -> tuple[Settings, list[Finding]]:
    """The Settings table as run parameters; each bad value a located finding."""
    table, findings = read_input(book, SETTINGS, required=False)
    settings = Settings(book=book.name)
    if table is None:
        return settings, findings
    frame = table.frame
    settings.sheet = table.sheet
    for name, value, row in zip(frame["setting"], frame["value"], frame["source_row"], strict=True):
        key = str(name).strip().lower()
        if key and key not in settings.values:
            settings.values[key] = "" if value is None or pd.isna(value) else str(value).strip()
            settings.rows[key] = None if pd.isna(row) else int(row)
    values = settings.values

    def bad(name: str, message: str, hint: str) -> None:
        findings.append(settings.bad(name, message, hint))

    text = values.get("as_of", "")
    if text:
        try:
            settings.as_of = dt.date.fromisoformat(text[:10])
        except ValueError:
            bad(
                "as_of",
                f'as_of "{text}" is not a date',
                "Write the close date as YYYY-MM-DD, such as 2026-10-31.",
            )
    if values.get("buckets", ""):
        try:
            settings.buckets = parse_buckets(values["buckets"])
        except ValueError as exc:
            bad("buckets", str(exc), "Write the limits in days, such as 30,60,90,120.")
    policy: dict[str, float] = {}
    for key, field_name in (
        ("match_threshold", "auto_threshold"),
        ("tolerance_pct", "tolerance_pct"),
    ):
        raw = values.get(key, "").replace(",", ".")
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
    decimal = values.get("decimal_separator", "") or None
    order = (values.get("date_order", "") or "auto").lower()
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
    currency = values.get("functional_currency", "").upper()
    if currency in known_currencies():
        settings.functional_currency = currency
    return settings, findings


@dataclass(frozen=True)
class CollectionsSettings:
    company: dict[str, str]
    language: str


def collections_settings(settings: Settings) -> tuple[CollectionsSettings, list[Finding]]:
    """Who signs the letters (company_name, company_email) and their language."""
    findings: list[Finding] = []
    language = settings.text("language").lower() or "es"
    if language not in ("es", "en"):
        findings.append(
            settings.bad(
                "language",
                f'language "{language}" is not one Cuadre writes letters in',
                "Write es (Spanish) or en (English).",
            )
        )
        language = "es"
    company = {
        key: settings.text(f"company_{key}")
        for key in ("name", "email")
        if settings.text(f"company_{key}")
    }
    return CollectionsSettings(company, language), findings


@dataclass(frozen=True)
class AccrualsSettings:
    method: str
    flat_percentages: dict[str, Decimal] | None
    provision: ProvisionPolicy
    accrual: AccrualPolicy
    sap_company_code: str


def accruals_settings(settings: Settings) -> tuple[AccrualsSettings, list[Finding]]:
    """The provision method, forward-looking factor, flat percentages, GL accounts and
    SAP company code of the accruals step, each bad value a located finding."""
    findings: list[Finding] = []
    method = settings.text("provision_method").lower() or "roll_rates"
    if method not in acc.METHODS:
        findings.append(
            settings.bad(
                "provision_method",
                f'provision_method "{method}" is not one Cuadre knows',
                f"Write {', '.join(acc.METHODS[:-1])} or {acc.METHODS[-1]}.",
            )
        )
        method = "roll_rates"
    factor = 1.0
    raw = settings.text("forward_factor").replace(",", ".")
    if raw:
        try:
            factor = float(raw)
            if not factor >= 0:
                raise ValueError(raw)
        except ValueError:
            findings.append(
                settings.bad(
                    "forward_factor",
                    f'forward_factor "{raw}" is not a number of 0 or more',
                    "Write 1 for no adjustment, 1.1 for a 10% worse outlook.",
                )
            )
            factor = 1.0
    flat, more = _flat_percentages(settings)
    findings += more
    accounts = {
        "receivable_account": settings.text("receivable_account"),
        "allowance_account": settings.text("allowance_account"),
        "expense_account": settings.text("bad_debt_expense_account"),
    }
    provision = ProvisionPolicy(
        buckets=settings.buckets,
        forward_factor=factor,
        **{k: v for k, v in accounts.items() if v},
    )
    accrual = AccrualPolicy(
        **{
            k: v
            for k, v in (
                ("unbilled_account", settings.text("unbilled_account")),
                ("revenue_account", settings.text("revenue_account")),
            )
            if v
        }
    )
    sap = settings.text("sap_company_code")
    return AccrualsSettings(method, flat, provision, accrual, sap), findings


def _flat_percentages(settings: Settings) -> tuple[dict[str, Decimal] | None, list[Finding]]:
    """``91-120:5, 121+:15`` as {bucket: percent}; None when empty."""
    raw = settings.text("flat_percentages")
    if not raw:
        return None, []
    labels = bucket_labels(settings.buckets)
    out: dict[str, Decimal] = {}
    for part in (p.strip() for p in raw.replace(";", ",").split(",")):
        if not part:
            continue
        bucket, _, number = part.rpartition(":")
        bucket = bucket.strip()
        try:
            percent = Decimal(number.strip().rstrip("%").strip())
        except InvalidOperation:
            percent = Decimal(-1)
        if bucket not in labels or not 0 <= percent <= 100:
            return None, [
                settings.bad(
                    "flat_percentages",
                    f'flat_percentages: "{part}" is not bucket:percent with a bucket of the '
                    f"aging ({', '.join(labels)}) and a percent from 0 to 100",
                    "Write the percent per bucket, such as 91-120:5, 121+:15 (buckets not "
                    "named: 0%).",
                )
            ]
        out[bucket] = percent
    return out, []


def company_tax_ids(settings: Settings) -> tuple[str, ...]:
    """The company's RFC / NIT (``company_tax_ids``, ``;``-separated)."""
    raw = settings.text("company_tax_ids").replace(",", ";")
    return tuple(t.strip().upper() for t in raw.split(";") if t.strip())


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


def _show(sheet: xw.Sheet | None) -> None:
    """Bring ``sheet`` to the front (cosmetic). xlwings' ``Sheet.activate`` first activates
    the book, which only Excel can do; the engine's own sheet activation is the rest."""
    if sheet is None:
        return
    try:
        sheet.activate()
    except Exception:
        with contextlib.suppress(Exception):
            sheet.impl.activate()


def _summary(findings: list[Finding], written: bool = False) -> str:
    """The message box of a run with errors; ``written``: the result sheets were written
    all the same (the errors are in the data, such as a document cancelled by the SAT)."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    first = "\n".join(f"- {f.location.excel() or f.location}: {f.message}" for f in errors[:5])
    more = f"\n... and {len(errors) - 5} more." if len(errors) > 5 else ""
    what = (
        "wrote the result sheets; check these first"
        if written
        else "in the inputs and changed no result sheet"
    )
    return (
        f"Cuadre found {len(errors)} problem(s) {what}:\n"
        f"{first}{more}\n\nAll of them are listed on the Issues sheet."
    )


@dataclass
class Closed:
    """The close run on the workbook's inputs: what the later steps build on."""

    settings: Settings
    inputs: Inputs
    as_of: dt.date
    result: CloseResult


Step = Callable[[xw.Book, Closed], tuple[list[SheetSpec] | None, list[Finding]]]
"""A step after the close: reads its own inputs and builds its sheets from the close;
``(None, findings)`` when its inputs have errors (then no result sheet is written)."""


def _read_tables(
    book: xw.Book, schemas: Mapping[str, TableSchema], options: ReadOptions
) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """The optional input tables ``schemas`` (by key) that the workbook has."""
    tables: dict[str, pd.DataFrame] = {}
    findings: list[Finding] = []
    for key, schema in schemas.items():
        table, more = read_input(book, schema, options, required=False)
        findings += more
        if table is not None:
            tables[key] = table.frame
    return tables, findings


def _run_step(book: xw.Book, step: str, more: Step | None = None) -> list[Finding]:
    """Read the settings and the inputs, run the close, run ``more`` on it, and write the
    sheets of :data:`OUTPUTS` ``[step]``; on input errors only the Issues sheet."""
    _status(book, "Cuadre: reading the settings and the inputs...")
    settings, findings = read_settings(book)
    inputs, found = read_inputs(book, settings)
    findings += found
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
    extra: list[SheetSpec] = []
    if more is not None:
        got, found = more(book, Closed(settings, inputs, as_of, result))
        if got is None:  # the step's own inputs have errors: no result sheet changes
            findings = [*result.findings, *found]
            write_sheets(book, [_issues_sheet(findings)])
            _alert(book, _summary(found))
            return findings
        result.findings.extend(found)
        extra = got
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
    at = next(i for i, s in enumerate(specs) if s.name == "Issues")
    specs[at:at] = extra
    wanted = OUTPUTS[step]
    written = [s for s in specs if s.name in wanted]
    write_sheets(book, written)
    if step in ("match", "aging", "close"):
        first = result.allocations.drop_duplicates("payment_id")
        auto = int(first["status"].eq("auto").sum())
        done = f"{len(result.payments):,} payments, {auto:,} applied automatically"
    else:
        done = f"{len(written) - 1} sheets written"
    _status(book, f"Cuadre: done. {done}; see {', '.join(s.name for s in written)}.")
    if has_errors(result.findings):
        _alert(book, _summary(result.findings, written=True))
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
    """The whole close: match, unapplied, aging, tie-out, KPIs and evidence."""
    return _shell(book, lambda b: _run_step(b, "close", _kpis))


def _kpis(book: xw.Book, closed: Closed) -> tuple[list[SheetSpec] | None, list[Finding]]:
    """The KPIs sheet: monthly DSO, CEI... from the History sheet (optional), and the
    aging charts."""
    tables, findings = _read_tables(book, kpi.INPUT_TABLES, closed.settings.options)
    if has_errors(findings):
        return None, findings
    _status(book, "Cuadre: KPIs and charts...")
    sheets, more = kpi.kpi_sheets(
        kpi.KpiInputs(
            closed.as_of,
            closed.inputs.open_items,
            closed.result.aging,
            tables.get("ar_history"),
            tables.get("applications"),
            closed.inputs.customers,
            functional_currency=closed.settings.functional_currency,
            buckets=closed.settings.buckets,
        )
    )
    return sheets, findings + more


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


# --------------------------------------------------------------------------- collections

LETTER_FILES = "*_level*.txt"
"""The letters :func:`cuadre.collections.dunning.write_letters` writes: those of an
earlier run are removed first, so the folder holds this run's letters only."""


def _collections(book: xw.Book, closed: Closed) -> tuple[list[SheetSpec] | None, list[Finding]]:
    """Worklist, dunning, promises, credit, disputes and statements of account; the
    letters and the statements PDF beside the workbook."""
    settings = closed.settings
    tables, findings = _read_tables(book, col.INPUT_TABLES, settings.options)
    chosen, more = collections_settings(settings)
    findings += more
    if has_errors(findings):
        return None, findings
    _status(book, "Cuadre: collections: worklist, dunning, credit, statements...")
    result = col.run_collections(
        col.CollectionsInputs.from_close(
            closed.result,
            closed.as_of,
            closed.inputs.customers,
            tables,
            buckets=settings.buckets,
            functional_currency=settings.functional_currency,
            language=chosen.language,
            company=chosen.company,
        )
    )
    sheets, failed = col.result_sheets(result)
    findings += result.findings + failed
    if not chosen.company.get("name"):
        findings.append(
            info(
                Location(book.name, settings.rows.get("company_name"), 2, settings.sheet),
                "NO_COMPANY_NAME",
                "company_name is empty on Settings: the letters and statements are not signed "
                "with your company's name",
                "Write your company's name (and company_email) on Settings and run again.",
            )
        )
    _status(book, f"Cuadre: writing {len(result.letters):,} letters and the statements...")
    findings += _collection_files(book, result, chosen)
    return sheets, findings


def _collection_files(
    book: xw.Book, result: col.CollectionsResult, chosen: CollectionsSettings
) -> list[Finding]:
    """The letters in ``<workbook> letters/`` and the statements of account as one PDF,
    ``<workbook> statements.pdf``, beside the workbook; only when it is saved to disk."""
    where = _book_path(book)
    if where is None:
        return [
            info(
                Location(book.name),
                "WORKBOOK_NOT_SAVED",
                f"the workbook is not saved in a folder: the {len(result.letters)} dunning "
                "letter(s) and the statements PDF were not written (the sheets were)",
                "Save the workbook to a local or synced folder and press Collections again.",
            )
        ]
    stem = Path(book.name).stem
    folder = where.parent / f"{stem} letters"
    if folder.is_dir():
        for old in folder.glob(LETTER_FILES):
            old.unlink()
    index = write_letters(result.letters, folder)
    pdf = statements_pdf(result.statements, chosen.company, chosen.language)
    path = where.parent / f"{stem} statements.pdf"

    def save(tmp: Path) -> None:
        tmp.write_bytes(pdf)

    write_atomic(path, save)
    return [
        info(
            Location(str(folder)),
            "LETTERS_WRITTEN",
            f"{len(index)} dunning letter(s) written to the folder {folder.name}",
            "Send each one to its address (the Dunning sheet lists them); they are replaced "
            "on the next run.",
        ),
        info(
            Location(str(path)),
            "STATEMENTS_WRITTEN",
            f"{len(result.statements)} statement(s) of account written to {path.name}",
            "One statement per page, in the order of the AccountStatements sheet.",
        ),
    ]


def xl_collections(book: xw.Book | None = None) -> list[Finding]:
    """Collections: worklist, dunning letters, promises, credit holds, disputes and
    statements of account, after the close's cash application."""
    return _shell(book, lambda b: _run_step(b, "collections", _collections))


# --------------------------------------------------------------------------- accruals


def _accruals(book: xw.Book, closed: Closed) -> tuple[list[SheetSpec] | None, list[Finding]]:
    """Accrual of unbilled revenue and the expected-credit-loss provision."""
    settings = closed.settings
    tables, findings = _read_tables(book, acc.INPUT_TABLES, settings.options)
    chosen, more = accruals_settings(settings)
    findings += more
    if has_errors(findings):
        return None, findings
    _status(book, "Cuadre: accruals and the provision matrix...")
    sheets, more = acc.accruals_sheets(
        acc.AccrualsInputs.from_close(
            closed.result,
            closed.as_of,
            closed.inputs.customers,
            tables,
            method=chosen.method,
            flat_percentages=chosen.flat_percentages,
            provision_policy=chosen.provision,
            accrual_policy=chosen.accrual,
            sap_company_code=chosen.sap_company_code,
        )
    )
    if "operations" not in tables:
        more.append(
            info(
                Location(book.name, sheet=acc.INPUT_TABLES["operations"].sheet),
                "NO_OPERATIONS",
                "no operations: nothing to accrue, so there are no Accruals, Unbilled and "
                "Cutoff sheets this run (the provision is computed)",
                "Paste the services, shipments or customs operations completed in the period "
                "on the Operations sheet to accrue what was not invoiced.",
            )
        )
    return sheets, findings + more


def xl_accruals(book: xw.Book | None = None) -> list[Finding]:
    """Accruals & provision: unbilled revenue accrued, sales cut-off, the IFRS 9
    provision matrix and the journal, after the close's cash application."""
    return _shell(book, lambda b: _run_step(b, "accruals", _accruals))


# --------------------------------------------------------------------------- reconcile

RECONCILE_TABLES: dict[str, TableSchema] = {
    **rec.INPUT_TABLES,
    "statements": STATEMENTS,
    "fiscal_docs": FISCAL_DOCS,
    "complements": PAYMENT_COMPLEMENTS,
}
"""What the reconciliations read beyond the close's inputs, by ReconcileInputs field."""


def _reconcile(book: xw.Book, closed: Closed) -> tuple[list[SheetSpec] | None, list[Finding]]:
    """Every reconciliation whose inputs the workbook has (GL with the GL sheet, bank
    with CashBook, customer with CustomerStatement, SAT / DIAN with FiscalDocs) and the
    advances and credit balances."""
    settings = closed.settings
    tables, findings = _read_tables(book, RECONCILE_TABLES, settings.options)
    if has_errors(findings):
        return None, findings
    given: dict[str, pd.DataFrame | None] = {
        **tables,
        "customers": closed.inputs.customers,
        "trial_balance": closed.inputs.trial_balance,
        "bank_lines": closed.inputs.tables.get("bank_lines"),
    }
    _status(book, "Cuadre: reconciling...")
    sheets, more = rec.reconcile_sheets(
        rec.ReconcileInputs.from_close(
            closed.as_of,
            closed.inputs.open_items,
            closed.result,
            given,
            company_tax_ids=company_tax_ids(settings),
        )
    )
    names = {s.name for s in sheets}
    skipped = [
        (sheet, why)
        for sheet, why in (
            ("ReconGL", "the GL sheet (trial balance)"),
            ("ReconBank", "the Bank sheet and CashBook (the bank account's GL postings)"),
            ("ReconCustomer", "CustomerStatement (a customer's statement of our documents)"),
            ("ReconSAT", "FiscalDocs with CFDI (SAT)"),
            ("ReconDIAN", "FiscalDocs with DIAN documents"),
        )
        if sheet not in names
    ]
    if skipped:
        more.append(
            info(
                Location(book.name),
                "RECONCILIATIONS_SKIPPED",
                "not reconciled, their inputs are empty: "
                + "; ".join(f"{sheet} needs {why}" for sheet, why in skipped),
                "Paste or import those inputs and press Reconcile again; a sheet left from an "
                "earlier run is not updated.",
            )
        )
    return sheets, findings + more


def xl_reconcile(book: xw.Book | None = None) -> list[Finding]:
    """Reconcile: aging to GL, bank to book, a customer's statement, SAT / DIAN to the
    ERP, and the advances and credit balances, after the close's cash application."""
    return _shell(book, lambda b: _run_step(b, "reconcile", _reconcile))


# --------------------------------------------------------------------------- import

IMPORT_SHEET = "_cuadre_import"
"""The very hidden sheet on which an Import button leaves the chosen files for Python:
one path per cell in column A. :func:`xl_import` reads it and deletes it."""


def _picked_paths(book: xw.Book) -> list[str]:
    """The files an Import button left on :data:`IMPORT_SHEET`; the sheet is deleted."""
    sheet = _sheet(book, IMPORT_SHEET)
    if sheet is None:
        return []
    try:
        used = sheet.used_range
        cells = grid(
            sheet.range((1, 1), (used.row + used.shape[0] - 1, 1)), used.row + used.shape[0] - 1, 1
        )
        return [str(r[0]).strip() for r in cells if r[0] is not None and str(r[0]).strip()]
    finally:
        with contextlib.suppress(Exception):  # the VBA side deletes it too
            sheet.delete()


def _import_summary(batch: ImportBatch, landings: list[Landing], n_files: int) -> str:
    lines = []
    for done in landings:
        what = f"- {done.schema.sheet}: {done.added:,} row(s) imported"
        if done.updated:
            what += f" ({done.updated:,} of them updated: imported before from the same file)"
        if done.removed:
            what += f"; {done.removed:,} old row(s) no longer in their file removed"
        if done.skipped:
            what += f"; {done.skipped:,} already there from another file (not added twice)"
        lines.append(what)
    ok = len(batch.kinds) - len(batch.failed & set(batch.kinds))
    text = f"Cuadre imported {ok} of {n_files} file(s).\n" + "\n".join(lines)
    bad = [s for s in batch.failed] + [
        f.location.file for f in batch.findings if f.code in ("UNKNOWN_FORMAT", "FILE_NOT_READABLE")
    ]
    if bad:
        names = ", ".join(dict.fromkeys(Path(b).name for b in bad))
        text += f"\n\nNot imported (errors): {names}."
    warnings_ = sum(f.severity is Severity.WARNING for f in batch.findings)
    if bad or warnings_:
        text += f"\nEvery problem ({warnings_} warning(s)) is listed on the Issues sheet."
    return text


def _import_step(
    book: xw.Book, paths: Sequence[str | Path] | None, kind: str | None
) -> list[Finding]:
    if kind not in (None, *KINDS):
        raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
    chosen = [str(p) for p in paths] if paths is not None else _picked_paths(book)
    if not chosen:
        _alert(book, "No file was chosen: nothing was imported.")
        return []
    # the settings give the number and date style of ERP text reports; their own
    # problems are the Settings button's to report, not the import's
    settings, _ = read_settings(book)
    findings: list[Finding] = []
    n = len(chosen)

    def progress(i: int, name: str) -> None:
        _status(book, f"Cuadre: importing file {i:,} of {n:,}: {name}...")

    batch = import_files(chosen, kind, settings.options, progress)
    findings += batch.findings
    _status(book, "Cuadre: writing the imported rows...")
    landings, more = plan_landings(book, batch)
    findings += more
    for landing in landings:
        land(book, landing)
    write_sheets(book, [_issues_sheet(findings)])
    if not landings and has_errors(findings):
        _alert(book, _summary(findings).replace("changed no result sheet", "imported nothing"))
    else:
        _alert(book, _import_summary(batch, landings, n))
    return findings


def xl_import(
    book: xw.Book | None = None,
    paths: Sequence[str | Path] | None = None,
    kind: str | None = None,
) -> list[Finding]:
    """Import: bank statements, ERP open-items reports and e-invoices into the input tables.

    Each file is read by the importer its content calls for (``kind`` limits it to
    ``bank``, ``erp`` or ``fiscal``: the button pressed) and its rows land in the input
    tables: bank lines on Bank (``bank_lines``), statements on Statements, ERP open
    items on OpenItems, CFDI / DIAN documents on FiscalDocs and payment complements on
    PaymentComplements (a missing Statements, FiscalDocs or PaymentComplements sheet is
    added from the template). Every problem goes to the Issues sheet; a message box
    says what landed where.

    Re-importing a file does not duplicate rows: every imported row carries its
    ``source_file``, and the rows of a file imported again are replaced by its new rows.
    Rows from other files and rows typed by hand stay; an imported row whose key (the
    table's contract key: line_id, uuid, document...) is already among them is not added
    twice (``ALREADY_IN_TABLE``). A file with an error lands nothing and leaves its
    earlier rows as they were.

    What is guaranteed on the input sheets: only the cells of the table itself change.
    The rows that stay keep their values and formulas (rows of a re-imported file are
    removed, so rows below them move up); columns you added to the table are kept, and a
    calculated column (``=[@amount]*1.16``) is filled on the new rows; columns Cuadre
    needs and the table lacks (``source_file``...) are added at its right. The title,
    the control formulas and anything else on the sheet are not touched; if the grown
    table would cover a non-empty cell, nothing is imported (``TABLE_BLOCKED``).

    How the files get here: the Import button's VBA asks for them with
    ``Application.GetOpenFilename`` (MultiSelect) and writes the chosen paths on a very
    hidden sheet, :data:`IMPORT_SHEET`, then runs ``xl_import(kind=...)``; this script
    reads the paths there (``paths=None``) and deletes the sheet. The paths never travel
    inside the RunPython command: on Windows that command goes through ``cmd.exe``
    (8,191 characters at most, ``%`` and ``"`` in a path break it) and on macOS through
    AppleScript quoting, so 200 CFDI files or a folder named ``100% Cobranza`` would fail
    there. A sheet holds any number of paths in any script, and is read through the same
    xlwings API the tests use. From Python or the tests, give ``paths``.
    """
    return _shell(book, lambda b: _import_step(b, paths, kind))


# --------------------------------------------------------------------------- settings


def check_settings(book: xw.Book) -> list[Finding]:
    """Every problem of the Settings table: bad values (as every run reads them), unknown
    or missing settings, a close date not set, a functional currency that is not ISO 4217."""
    settings, findings = read_settings(book)
    findings += collections_settings(settings)[1] + accruals_settings(settings)[1]
    table, more = read_input(book, SETTINGS, required=False)
    findings += more
    if table is None:
        return findings
    frame = table.frame
    known = {
        name: (value, meaning) for name, value, meaning in (*SETTING_ROWS, *OPTIONAL_SETTING_ROWS)
    }
    seen: dict[str, int] = {}
    for name, value, row in zip(frame["setting"], frame["value"], frame["source_row"], strict=True):
        key = str(name).strip().lower()
        loc = Location(book.name, None if pd.isna(row) else int(row), 1, table.sheet, "setting")
        if not key:
            continue
        if key in seen:
            findings.append(
                error(
                    loc,
                    "DUPLICATE_SETTING",
                    f'"{key}" is set twice (also on row {seen[key]}); Cuadre reads the first',
                    "Delete one of the two rows.",
                )
            )
        seen.setdefault(key, loc.row or 0)
        if key not in known:
            findings.append(
                warning(
                    loc,
                    "UNKNOWN_SETTING",
                    f'"{name}" is not a setting Cuadre reads; it is ignored',
                    f"The settings are: {', '.join(known)}. Check the spelling.",
                )
            )
        elif key == "functional_currency" and str(value).strip().upper() not in known_currencies():
            findings.append(
                error(
                    replace(loc, column=2, column_name="value"),
                    "BAD_SETTING",
                    f'functional_currency "{value}" is not an ISO 4217 currency code',
                    "Write the three-letter code of the general ledger's currency, such as MXN, "
                    "COP, EUR or USD.",
                )
            )
    for key in known:
        if key not in seen and known[key][0]:
            findings.append(
                info(
                    Location(book.name, sheet=table.sheet),
                    "SETTING_DEFAULT",
                    f'"{key}" is not on the Settings sheet; the default "{known[key][0]}" is used',
                    f"Add a row {key} to change it: {known[key][1]}",
                )
            )
    return findings


def _settings_step(book: xw.Book) -> list[Finding]:
    findings: list[Finding] = []
    if find_table(book, SETTINGS.name) is None and _sheet(book, SETTINGS.sheet) is None:
        write_sheets(book, [template_sheet(SETTINGS.name)])
        findings.append(
            info(
                Location(book.name, sheet=SETTINGS.sheet),
                "SETTINGS_ADDED",
                "the workbook had no Settings sheet; one was added with the defaults",
                "Set the close date (as_of) before running the close.",
            )
        )
    findings += check_settings(book)
    write_sheets(book, [_issues_sheet(findings)])
    _show(_sheet(book, SETTINGS.sheet))
    problems = [f for f in findings if f.severity is not Severity.INFO]
    if not problems:
        _alert(book, "The settings are valid.")
    else:
        listed = "\n".join(f"- {f.location.excel()}: {f.message}" for f in problems[:6])
        more = f"\n... and {len(problems) - 6} more." if len(problems) > 6 else ""
        _alert(
            book,
            f"{len(problems)} problem(s) in the settings:\n{listed}{more}\n\n"
            "All of them are listed on the Issues sheet.",
        )
    return findings


def xl_settings(book: xw.Book | None = None) -> list[Finding]:
    """Settings: show the Settings sheet (added from the template when missing) and check
    it; every problem goes to the Issues sheet."""
    return _shell(book, _settings_step)


# --------------------------------------------------------------------------- evidence pack

INPUT_TABLES: tuple[TableSchema, ...] = (
    SETTINGS,
    CUSTOMERS,
    OPEN_ITEMS,
    BANK_LINES,
    PAYMENTS,
    STATEMENTS,
    TRIAL_BALANCE,
    FISCAL_DOCS,
    PAYMENT_COMPLEMENTS,
    LEARNED,
)
"""The tables the evidence pack writes in the contract's CSV form (re-performable)."""

NOT_IN_PACK = ("evidence", "readme")
"""The Evidence table describes the pack; the README table is the template's help."""


def _book_path(book: xw.Book) -> Path | None:
    """The workbook's file on disk; None for a new, unsaved or cloud-only workbook."""
    full = str(book.fullname)
    if "://" in full:
        return None
    path = Path(full)
    return path if path.parent != Path() and path.parent.is_dir() else None


def _pack_tables(
    book: xw.Book, options: ReadOptions
) -> tuple[list[PackTable], list[InputRecord], list[Finding]]:
    tables: list[PackTable] = []
    records: list[InputRecord] = []
    findings: list[Finding] = []
    names = {s.name for s in INPUT_TABLES}
    for schema in INPUT_TABLES:
        table, more = read_input(book, schema, options, required=False)
        findings += more
        if table is None:
            continue
        data = table_csv(table.frame, schema)
        pack = PackTable(schema.name, "input", table.sheet, len(table.frame), data)
        tables.append(pack)
        records.append(InputRecord(schema.name, member_name(pack), sha256(data), table.frame))
    for sheet in book.sheets:
        for xl_table in sheet.tables:
            name = xl_table.name.lower()
            if name in names or name in NOT_IN_PACK:
                continue
            rng = xl_table.range
            width = rng.shape[1]
            header = grid(
                sheet.range((rng.row, rng.column), (rng.row, rng.column + width - 1)), 1, width
            )[0]
            body = xl_table.data_body_range
            rows = [] if body is None else grid(body, body.shape[0], width)
            while rows and blank_row(rows[-1]):
                rows.pop()
            tables.append(PackTable(name, "output", sheet.name, len(rows), cells_csv(header, rows)))
    return tables, records, findings


def _evidence_step(book: xw.Book) -> list[Finding]:
    _status(book, "Cuadre: reading the workbook's tables...")
    settings, findings = read_settings(book)
    where = _book_path(book)
    if where is None:
        findings.append(
            error(
                Location(book.name),
                "WORKBOOK_NOT_SAVED",
                "the workbook has no folder on this computer to put the evidence pack in",
                "Save the workbook to a local or synced folder (not only online) and press "
                "Evidence pack again.",
            )
        )
    tables, records, more = _pack_tables(book, settings.options)
    findings += more
    if where is None or has_errors(findings):
        write_sheets(book, [_issues_sheet(findings)])
        _alert(book, _summary(findings).replace("changed no result sheet", "wrote no pack"))
        return findings
    now = dt.datetime.now().replace(microsecond=0)
    path = pack_path(where, now)
    facts = [*run_facts(now), ("Workbook", book.name), ("Evidence pack", path.name)]
    members = pack_members(tables, facts)
    _status(book, f"Cuadre: writing {path.name}...")
    digest = write_pack(path, members)
    findings.append(
        info(
            Location(str(path)),
            "EVIDENCE_PACK",
            f"evidence pack written: {len(tables)} tables, SHA-256 {digest}",
            "Keep the zip with the close; manifest.csv in it lists the SHA-256 of each file.",
        )
    )
    spec = SheetSpec(
        "Evidence",
        "evidence",
        evidence_table(records),
        EVIDENCE,
        title="Evidence",
        subtitle="The evidence pack beside this workbook: each input table as the CSV file "
        "in the pack, with its SHA-256, rows and control total.",
        kind="info",
        controls=tuple(
            ControlRow(label, value)
            for label, value in (*facts, ("Pack SHA-256", digest), ("Tables", str(len(tables))))
        ),
    )
    write_sheets(book, [spec, _issues_sheet(findings)])
    _status(book, f"Cuadre: evidence pack written: {path.name}")
    _alert(
        book,
        f"Evidence pack written beside the workbook:\n{path.name}\n\n{len(tables)} tables "
        f"as CSV with a manifest of their SHA-256. The Evidence sheet lists the inputs.",
    )
    return findings


def xl_evidence(book: xw.Book | None = None) -> list[Finding]:
    """Evidence pack: the workbook's tables as CSV in a zip beside it (inputs in the
    contract's form, outputs as shown, ``manifest.csv`` with each file's SHA-256; see
    :mod:`cuadre.evidence_pack`), and the Evidence sheet refreshed to list them."""
    return _shell(book, _evidence_step)
