"""The ``cuadre`` command: the same close steps as the Excel add-in, on files.

Thin: read tables (:mod:`cuadre.io.tables`), call one engine function, write tables,
print findings as ``file:row:column: severity: message`` on stderr. Exit code 0 on
success, 1 when an input has errors (nothing is written then), 2 for usage errors.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cuadre import __version__
from cuadre.aging import DEFAULT_BUCKETS, aging_schema, parse_buckets
from cuadre.findings import Finding, Severity, has_errors
from cuadre.matching import MatchPolicy, match_payments
from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    CUSTOMERS,
    OPEN_ITEMS,
    TRIAL_BALANCE,
    TableSchema,
)
from cuadre.model.validate import ReadOptions

app = typer.Typer(
    name="cuadre",
    help="Accounts-receivable month-end close: cash application, aging and evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, highlight=False, soft_wrap=True)

MAX_PRINTED = 200


def _version(value: bool) -> None:
    if value:
        out.print(f"cuadre {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Cuadre: the AR month-end close, exact and traceable."""


DecimalOpt = Annotated[
    str | None,
    typer.Option(
        "--decimal-separator",
        help='"." or ","; by default detected per file from its amounts.',
    ),
]
DateOrderOpt = Annotated[
    str,
    typer.Option("--date-order", help="dmy, mdy or auto (detected per file)."),
]


def _options(decimal: str | None, date_order: str) -> ReadOptions:
    if decimal not in (None, ".", ","):
        _usage(f'--decimal-separator must be "." or ","; yours is "{decimal}".')
    if date_order not in ("auto", "dmy", "mdy"):
        _usage(f'--date-order must be auto, dmy or mdy; yours is "{date_order}".')
    return ReadOptions(decimal_separator=decimal, date_order=date_order)


def _usage(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


def report(
    findings: list[Finding], *, quiet_info: bool = True, limit: int = MAX_PRINTED, where: str = ""
) -> None:
    """Print findings on stderr, errors first, at most ``limit`` lines."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    shown = [f for f in findings if not (quiet_info and f.severity is Severity.INFO)]
    shown.sort(key=lambda f: order[f.severity])
    style = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
    for f in shown[:limit]:
        err.print(str(f), style=style[f.severity], markup=False)
    if len(shown) > limit:
        more = f"... and {len(shown) - limit:,} more"
        err.print(f"{more}: {where}" if where else more, style="dim")


def _stop_on_errors(findings: list[Finding]) -> None:
    if has_errors(findings):
        report(findings)
        n = sum(f.is_error for f in findings)
        err.print(f"[bold red]{n:,} error(s) in the input; nothing was written.[/]")
        raise typer.Exit(1)


def _read_optional(
    path: Path | None, schema: TableSchema, findings: list[Finding], options: ReadOptions | None = None
) -> pd.DataFrame | None:
    """Read an optional input table; its findings are added to ``findings``."""
    if path is None:
        return None
    from cuadre.io.tables import read_table

    table, found = read_table(path, schema, options)
    findings += found
    return table


def _check_out(path: Path) -> None:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        _usage(f'--out must end in .csv or .xlsx; yours is "{path}".')


@app.command()
def match(
    open_items: Annotated[Path, typer.Option("--open-items", help="open_items .csv/.xlsx")],
    payments: Annotated[
        Path, typer.Option("--payments", help="payments or bank_lines .csv/.xlsx")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="allocations .csv/.xlsx to write")],
    customers: Annotated[
        Path | None, typer.Option("--customers", help="customers .csv/.xlsx (optional)")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0, max=1, help="confidence for auto")
    ] = 0.9,
    tolerance: Annotated[
        float, typer.Option("--tolerance-pct", min=0, max=100, help="short-payment tolerance %")
    ] = 0.5,
    learned: Annotated[
        Path | None,
        typer.Option("--learn", help="payer accounts and aliases learned from reviews (CSV)"),
    ] = None,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Apply payments to open items; write the allocations table."""
    from cuadre.io.tables import read_payments, read_table, write_table
    from cuadre.learning import LEARNED, apply_learned

    _check_out(out_path)
    opts = _options(decimal, date_order)
    oi, f1 = read_table(open_items, OPEN_ITEMS, opts)
    pay, f2 = read_payments(payments, opts)
    findings = f1 + f2
    cust = _read_optional(customers, CUSTOMERS, findings, opts)
    if learned is not None and learned.exists():
        known, f4 = read_table(learned, LEARNED, opts)
        findings += f4
        if cust is not None and not has_errors(f4):
            cust = apply_learned(cust, known)
    _stop_on_errors(findings)
    policy = MatchPolicy(auto_threshold=threshold, tolerance_pct=tolerance)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Matching payments", total=len(pay))
        alloc, more = match_payments(
            oi, pay, cust, policy, progress=lambda done: progress.update(task, completed=done)
        )
    findings += more
    write_table(alloc, out_path, ALLOCATIONS)
    report(findings)
    _summary_matches(alloc, len(pay), time.perf_counter() - started, out_path)
    if has_errors(more):
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _summary_matches(alloc: pd.DataFrame, n_payments: int, seconds: float, path: Path) -> None:
    first = alloc.drop_duplicates("payment_id")
    counts = first["status"].value_counts()
    table = Table(title=f"{n_payments:,} payments matched in {seconds:.1f} s -> {path}")
    table.add_column("status")
    table.add_column("payments", justify="right")
    table.add_column("share", justify="right")
    for status in ("auto", "suggested", "on_account", "unmatched"):
        n = int(counts.get(status, 0))
        share = f"{n / n_payments:.1%}" if n_payments else "-"
        table.add_row(status, f"{n:,}", share)
    out.print(table)


@app.command()
def aging(
    open_items: Annotated[Path, typer.Option("--open-items", help="open_items .csv/.xlsx")],
    as_of: Annotated[str, typer.Option("--as-of", help="aging date, YYYY-MM-DD")],
    out_path: Annotated[Path, typer.Option("--out", help="aging .csv/.xlsx to write")],
    buckets: Annotated[
        str, typer.Option("--buckets", help="bucket limits in days, e.g. 30,60,90,120")
    ] = ",".join(str(b) for b in DEFAULT_BUCKETS),
    customers: Annotated[
        Path | None, typer.Option("--customers", help="customers (payment terms, names)")
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="OI is the full item history (with clearing_date): rebuild as of --as-of",
        ),
    ] = False,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Age open items by days past due; write one row per customer and currency."""
    from cuadre.aging import age_receivables
    from cuadre.io.tables import read_table, write_table

    _check_out(out_path)
    if history:
        from cuadre.aging_history import AR_HISTORY, aging_as_of, build_ledger

        try:
            limits = parse_buckets(buckets)
        except ValueError as exc:
            _usage(str(exc))
            return
        hist, findings = read_table(open_items, AR_HISTORY, _options(decimal, date_order))
        _stop_on_errors(findings)
        ledger, more = build_ledger(hist)
        table, more2 = aging_as_of(ledger, _parse_date(as_of), limits)
        write_table(table, out_path, aging_schema(limits))
        report(findings + more + more2)
        out.print(f"{len(table):,} aging rows rebuilt as of {as_of} -> {out_path}")
        return
    try:
        limits = parse_buckets(buckets)
    except ValueError as exc:
        _usage(str(exc))
        return
    date = _parse_date(as_of)
    opts = _options(decimal, date_order)
    oi, findings = read_table(open_items, OPEN_ITEMS, opts)
    cust = _read_optional(customers, CUSTOMERS, findings, opts)
    _stop_on_errors(findings)
    table, more = age_receivables(oi, date, limits, cust)
    write_table(table, out_path, aging_schema(limits))
    report(findings + more)
    out.print(f"{len(table):,} aging rows as of {date:%Y-%m-%d} -> {out_path}")
    if has_errors(more):
        raise typer.Exit(1)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _usage(f'--as-of must be a date as YYYY-MM-DD, such as 2026-10-31; yours is "{text}".')
        raise  # unreachable: _usage exits


@app.command()
def demo(
    out_path: Annotated[
        Path, typer.Option("--out", help="the close workbook to write")
    ] = Path("cuadre-demo.xlsx"),
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="where to write the sample input files (CSV)"),
    ] = None,
    customers: Annotated[int, typer.Option("--customers", min=5, help="sample size")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="random seed of the sample")] = 2026,
) -> None:
    """Build a complete close workbook from bundled sample data."""
    from cuadre.workbook.close_book import run_demo

    if out_path.suffix.lower() != ".xlsx":
        _usage(f'--out must be an .xlsx file; yours is "{out_path}".')
    data = data_dir or out_path.with_name(out_path.stem + "-data")
    started = time.perf_counter()
    with err.status("Building the demo close..."):
        result, findings = run_demo(out_path, data, seed=seed, n_customers=customers)
    report(findings, limit=5, where=f"all are on the Issues sheet of {out_path}")
    _summary_matches(
        result.allocations, len(result.payments), time.perf_counter() - started, out_path
    )
    out.print(f"Sample inputs in {data}/ ; open {out_path} in Excel.")


@app.command()
def close(
    open_items: Annotated[Path, typer.Option("--open-items", help="open_items .csv/.xlsx")],
    payments: Annotated[Path, typer.Option("--payments", help="payments or bank_lines")],
    as_of: Annotated[str, typer.Option("--as-of", help="period end, YYYY-MM-DD")],
    out_path: Annotated[Path, typer.Option("--out", help="close workbook .xlsx to write")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
    trial_balance: Annotated[
        Path | None, typer.Option("--trial-balance", help="GL balances for the tie-out")
    ] = None,
    buckets: Annotated[str, typer.Option("--buckets")] = "30,60,90,120",
    threshold: Annotated[float, typer.Option("--threshold", min=0, max=1)] = 0.9,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Run the whole close (match, unapplied, aging, controls) into one workbook."""
    from cuadre.workbook.close_book import CloseFiles, run_close_files

    if out_path.suffix.lower() != ".xlsx":
        _usage(f'--out must be an .xlsx file; yours is "{out_path}".')
    try:
        limits = parse_buckets(buckets)
    except ValueError as exc:
        _usage(str(exc))
        return
    files = CloseFiles(open_items, payments, customers, trial_balance)
    result, findings = run_close_files(
        files,
        out_path,
        as_of=_parse_date(as_of),
        buckets=limits,
        policy=MatchPolicy(auto_threshold=threshold),
        options=_options(decimal, date_order),
    )
    if result is None:
        _stop_on_errors(findings)
        return
    report(findings, limit=20, where=f"all are on the Issues sheet of {out_path}")
    out.print(f"Close workbook written to {out_path}")


@app.command()
def learn(
    matches: Annotated[
        Path, typer.Option("--matches", help="allocations with the reviewer's review column")
    ],
    payments: Annotated[Path, typer.Option("--payments", help="payments or bank_lines")],
    out_path: Annotated[Path, typer.Option("--out", help="learned .csv to write (or extend)")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
) -> None:
    """Learn payer accounts and aliases from the matches a reviewer accepted."""
    from cuadre.io.tables import read_payments, read_table, write_table
    from cuadre.learning import LEARNED
    from cuadre.learning import learn as learn_from

    _check_out(out_path)
    alloc, findings = read_table(matches, ALLOCATIONS)
    pay, more = read_payments(payments)
    findings += more
    cust = _read_optional(customers, CUSTOMERS, findings)
    known = None
    if out_path.exists():
        known, more = read_table(out_path, LEARNED)
        findings += more
    _stop_on_errors(findings)
    table, found = learn_from(alloc, pay, cust, known)
    write_table(table, out_path, LEARNED)
    report(found)
    before = 0 if known is None else len(known)
    out.print(f"{len(table) - before:,} new facts learned ({len(table):,} in all) -> {out_path}")


@app.command()
def post(
    matches: Annotated[Path, typer.Option("--matches", help="allocations (reviewed)")],
    payments: Annotated[Path, typer.Option("--payments", help="payments or bank_lines")],
    open_items: Annotated[Path, typer.Option("--open-items", help="the open items matched")],
    journal_out: Annotated[Path, typer.Option("--journal", help="clearing journal .csv/.xlsx")],
    sap_out: Annotated[
        Path | None, typer.Option("--sap", help="SAP incoming-payment upload .csv")
    ] = None,
    complements_out: Annotated[
        Path | None, typer.Option("--complements", help="payment complement data .csv/.xlsx")
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option("--previous-complements", help="payment_complements already issued"),
    ] = None,
) -> None:
    """Post accepted matches: clearing journal, SAP upload and CFDI payment complement data."""
    from cuadre.io.tables import read_payments, read_table, write_table
    from cuadre.model.tables import PAYMENT_COMPLEMENTS
    from cuadre.posting import (
        COMPLEMENT_DATA,
        JOURNAL_LINES,
        clearing_journal,
        complement_data,
        sap_upload,
    )

    for p in (journal_out, sap_out, complements_out):
        if p is not None:
            _check_out(p)
    alloc, findings = read_table(matches, ALLOCATIONS)
    pay, more = read_payments(payments)
    oi, more2 = read_table(open_items, OPEN_ITEMS)
    findings += more + more2
    prev = None
    if previous is not None:
        prev, more = read_table(previous, PAYMENT_COMPLEMENTS)
        findings += more
    _stop_on_errors(findings)
    journal, found = clearing_journal(alloc, pay)
    _stop_on_errors(found)
    write_table(journal, journal_out, JOURNAL_LINES)
    if sap_out is not None:
        write_table(sap_upload(journal), sap_out)
    if complements_out is not None:
        data, more = complement_data(alloc, pay, oi, prev)
        found += more
        write_table(data, complements_out, COMPLEMENT_DATA)
    report(found)
    out.print(
        f"{journal['journal_id'].nunique():,} payments posted in {len(journal):,} balanced "
        f"journal lines -> {journal_out}"
    )


import_app = typer.Typer(
    help="Bring data in: bank statements, ERP exports, e-invoices (SAT CFDI, DIAN).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


def _expand(paths: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files as given; a folder stands for the files in it with one of ``suffixes``."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix.lower() in suffixes)
        else:
            files.append(p)
    return files


@import_app.command("bank")
def import_bank(
    files: Annotated[list[Path], typer.Argument(help="statement files or folders")],
    out_path: Annotated[Path, typer.Option("--out", help="bank_lines .csv/.xlsx to write")],
    statements_out: Annotated[
        Path | None, typer.Option("--statements", help="statements .csv/.xlsx to write")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="currency of CSV exports that do not say it")
    ] = None,
) -> None:
    """Bank statements (camt.053/054, MT940, BAI2, OFX/QFX, bank CSV) into bank_lines."""
    from cuadre.importers.bank import import_bank_files
    from cuadre.io.tables import write_table
    from cuadre.model.tables import BANK_LINES, STATEMENTS

    _check_out(out_path)
    if statements_out is not None:
        _check_out(statements_out)
    paths = _expand(files, (".xml", ".053", ".054", ".sta", ".mt940", ".940", ".txt", ".bai",
                            ".bai2", ".ofx", ".qfx", ".csv"))
    with _progress() as progress:
        task = progress.add_task("Reading statements", total=len(paths))
        result = import_bank_files(
            paths,
            progress=lambda n: progress.update(task, completed=n),
            currency=currency.upper() if currency else None,
        )
    _stop_on_errors(result.findings)
    write_table(result.bank_lines, out_path, BANK_LINES)
    if statements_out is not None:
        write_table(result.statements, statements_out, STATEMENTS)
    report(result.findings)
    out.print(
        f"{len(result.bank_lines):,} bank lines from {len(result.statements):,} statements "
        f"in {len(paths):,} files -> {out_path}"
    )


@import_app.command("erp")
def import_erp_cmd(
    file: Annotated[Path, typer.Argument(help="the ERP's accounts-receivable export")],
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="sap_fbl5n, microsip, oracle_ar, odoo, erpnext, generic"),
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="open_items .csv/.xlsx to write")
    ] = None,
    detect: Annotated[
        bool, typer.Option("--detect", help="only say which profile fits the file, and why")
    ] = False,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="column mapping TOML (generic profile)")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="currency when the export has none")
    ] = None,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """An ERP receivables export (SAP FBL5N, Microsip, Oracle, Odoo, ERPNext) into open_items."""
    from cuadre.importers.erp import PROFILES, detect_profiles, import_erp
    from cuadre.io.tables import write_table

    if not file.is_file():
        _usage(f'"{file}" is not a file.')
    data = file.read_bytes()
    if detect:
        matches = detect_profiles(data, str(file))
        if not matches:
            out.print(f"{file}: no profile fits; use --profile generic with a --mapping file.")
            raise typer.Exit(1)
        for m in matches:
            where = f" [{m.sheet or 'text'}, header row {m.header_row}]" if m.header_row else ""
            out.print(f"{m.profile:<10} {m.score:.2f}  {m.why}{where}", markup=False)
        return
    if profile is None or out_path is None:
        _usage("give --profile NAME and --out FILE (or --detect to find the profile).")
        return
    if profile not in PROFILES:
        _usage(f'--profile must be one of {", ".join(PROFILES)}; yours is "{profile}".')
    _check_out(out_path)
    spec = None
    if mapping is not None:
        from cuadre.importers.generic_erp import load_mapping

        try:
            spec, problems = load_mapping(mapping.read_bytes(), str(mapping))
        except OSError as exc:
            _usage(f"the mapping file {mapping} cannot be read: {exc.strerror}")
            return
        _stop_on_errors(problems)
    if currency:
        spec = {**(spec or {}), "currency": currency.upper()}
    table, findings = import_erp(
        data, str(file), profile, mapping=spec, options=_options(decimal, date_order)
    )
    _stop_on_errors(findings)
    write_table(table, out_path, OPEN_ITEMS)
    report(findings)
    out.print(f"{len(table):,} open items ({profile}) -> {out_path}")


@import_app.command("cfdi")
def import_cfdi(
    paths: Annotated[
        list[Path], typer.Argument(help="CFDI XML, SAT Metadata .txt, DIAN XML, ZIPs, folders")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="fiscal_docs .csv/.xlsx to write")],
    payments_out: Annotated[
        Path | None,
        typer.Option("--payments-out", help="payment_complements .csv/.xlsx to write"),
    ] = None,
) -> None:
    """E-invoices (SAT CFDI 3.3/4.0 with payment complements, SAT Metadata, DIAN UBL)."""
    from cuadre.importers.fiscal import import_fiscal
    from cuadre.io.tables import write_table
    from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS

    _check_out(out_path)
    if payments_out is not None:
        _check_out(payments_out)
    files = _expand(paths, (".xml", ".txt", ".zip"))
    items = []
    for f in files:
        try:
            items.append((f.read_bytes(), str(f)))
        except OSError as exc:
            _usage(f'cannot read "{f}": {exc.strerror}')
    with err.status(f"Reading {len(items):,} files..."):
        docs, complements, findings = import_fiscal(items)
    _stop_on_errors(findings)
    write_table(docs, out_path, FISCAL_DOCS)
    if payments_out is not None:
        write_table(complements, payments_out, PAYMENT_COMPLEMENTS)
    report(findings)
    out.print(
        f"{len(docs):,} fiscal documents and {len(complements):,} paid-document rows "
        f"from {len(items):,} files -> {out_path}"
    )


@app.command()
def pull(
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="SQLAlchemy URL, e.g. postgresql+psycopg://reader@host/odoo (password from "
            "CUADRE_DB_PASSWORD, PGPASSWORD or the keyring, never typed here)",
        ),
    ],
    query: Annotated[
        str, typer.Option("--query", help="saved query name (see docs/pull.md) or a .sql file")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="open_items .csv/.xlsx to write")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="query parameter NAME=VALUE (repeatable), e.g. company=MX01"),
    ] = None,
) -> None:
    """Pull open items straight from an ERP database with a saved read-only query."""
    from cuadre.io.tables import write_table
    from cuadre.pull import pull_open_items

    _check_out(out_path)
    params: dict[str, object] = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            _usage(f'--param must be NAME=VALUE; yours is "{item}".')
        params[name.strip()] = value
    with err.status("Querying the database..."):
        table, findings = pull_open_items(url, query, params=params)
    _stop_on_errors(findings)
    write_table(table, out_path, OPEN_ITEMS)
    report(findings)
    out.print(f"{len(table):,} open items -> {out_path}")


@app.command()
def rollforward(
    history: Annotated[Path, typer.Option("--history", help="item history with clearing dates")],
    start: Annotated[str, typer.Option("--start", help="first day of the period")],
    end: Annotated[str, typer.Option("--end", help="last day of the period")],
    out_path: Annotated[Path, typer.Option("--out", help="roll-forward .csv/.xlsx")],
    by_customer: Annotated[bool, typer.Option("--by-customer")] = False,
) -> None:
    """Opening AR + invoices - receipts - credit notes +/- adjustments = closing AR."""
    from cuadre.aging_history import AR_HISTORY, ROLL_FORWARD, build_ledger, roll_forward
    from cuadre.io.tables import read_table, write_table

    _check_out(out_path)
    hist, findings = read_table(history, AR_HISTORY)
    _stop_on_errors(findings)
    ledger, more = build_ledger(hist)
    by = ("currency", "customer_id") if by_customer else ("currency",)
    table, more2 = roll_forward(ledger, _parse_date(start), _parse_date(end), by=by)
    write_table(table, out_path, ROLL_FORWARD)
    report(findings + more + more2)
    out.print(f"roll-forward {start} to {end} -> {out_path}")
    if has_errors(more2):
        raise typer.Exit(1)


@app.command()
def kpis(
    history: Annotated[Path, typer.Option("--history", help="item history with clearing dates")],
    first: Annotated[str, typer.Option("--from", help="first month, YYYY-MM-DD (any day)")],
    last: Annotated[str, typer.Option("--to", help="last month, YYYY-MM-DD (any day)")],
    out_path: Annotated[Path, typer.Option("--out", help="KPI table .csv/.xlsx")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
) -> None:
    """DSO (simple, countback), best possible DSO, days delinquent, CEI, % current by month."""
    from cuadre.aging_history import AR_HISTORY, build_ledger
    from cuadre.io.tables import read_table, write_table
    from cuadre.kpis import KPIS, kpi_trend

    _check_out(out_path)
    hist, findings = read_table(history, AR_HISTORY)
    cust = _read_optional(customers, CUSTOMERS, findings)
    _stop_on_errors(findings)
    ledger, more = build_ledger(hist)
    table, more2 = kpi_trend(ledger, _parse_date(first), _parse_date(last), cust)
    write_table(table, out_path, KPIS)
    report(findings + more + more2)
    out.print(f"{len(table):,} KPI rows -> {out_path}")


collections_app = typer.Typer(
    help="Collections: worklist, statements of account.", no_args_is_help=True
)
app.add_typer(collections_app, name="collections")


@collections_app.command("worklist")
def collections_worklist(
    open_items: Annotated[Path, typer.Option("--open-items")],
    as_of: Annotated[str, typer.Option("--as-of")],
    out_path: Annotated[Path, typer.Option("--out")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
) -> None:
    """Customers to chase, ranked by a documented priority score, with the next action."""
    from cuadre.collections.worklist import WORKLIST, collection_worklist
    from cuadre.io.tables import read_table, write_table

    _check_out(out_path)
    oi, findings = read_table(open_items, OPEN_ITEMS)
    cust = _read_optional(customers, CUSTOMERS, findings)
    _stop_on_errors(findings)
    table, more = collection_worklist(oi, _parse_date(as_of), cust)
    write_table(table, out_path, WORKLIST)
    report(findings + more)
    out.print(f"{len(table):,} customers on the worklist -> {out_path}")


@collections_app.command("statements")
def collections_statements(
    open_items: Annotated[Path, typer.Option("--open-items")],
    as_of: Annotated[str, typer.Option("--as-of")],
    out_path: Annotated[Path, typer.Option("--out", help=".pdf or .xlsx")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
    company: Annotated[str, typer.Option("--company", help="your company's name")] = "",
    language: Annotated[str, typer.Option("--language", help="es or en")] = "es",
) -> None:
    """Statements of account (outstanding items, aging strip) for every customer."""
    from cuadre.collections.statements import (
        open_item_statements,
        statements_pdf,
        write_statements_xlsx,
    )
    from cuadre.io.atomic import write_bytes_atomic
    from cuadre.io.tables import read_table

    if out_path.suffix.lower() not in (".pdf", ".xlsx"):
        _usage(f'--out must end in .pdf or .xlsx; yours is "{out_path}".')
    if language not in ("es", "en"):
        _usage(f'--language must be es or en; yours is "{language}".')
    oi, findings = read_table(open_items, OPEN_ITEMS)
    cust = _read_optional(customers, CUSTOMERS, findings)
    _stop_on_errors(findings)
    statements, more = open_item_statements(oi, _parse_date(as_of), cust)
    info = {"name": company}
    if out_path.suffix.lower() == ".pdf":
        write_bytes_atomic(out_path, statements_pdf(statements, info, language))
    else:
        write_statements_xlsx(out_path, statements, info, language)
    report(findings + more)
    out.print(f"{len(statements):,} statements of account -> {out_path}")


reconcile_app = typer.Typer(
    help="Reconciliations: AR vs GL, bank to book, SAT registry vs ERP, advances.",
    no_args_is_help=True,
)
app.add_typer(reconcile_app, name="reconcile")


def _write_reconciliation(rec: object, out_path: Path) -> None:
    """Write the reconciliation's items (matched, differences, each side only) and show
    its totals and controls."""
    from cuadre.io.tables import write_table
    from cuadre.reconcile import Reconciliation
    from cuadre.reconcile.tables import RECON_ITEMS

    assert isinstance(rec, Reconciliation)
    write_table(rec.items(), out_path, RECON_ITEMS)
    report(rec.findings)
    failed = [c for c in rec.controls if c.check is False]
    table = Table(title=f"{rec.kind}: {rec.left_name} vs {rec.right_name} -> {out_path}")
    for col in ("matched", "differences", f"{rec.left_name} only", f"{rec.right_name} only"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{len(rec.matched):,}",
        f"{len(rec.differences):,}",
        f"{len(rec.left_only):,}",
        f"{len(rec.right_only):,}",
    )
    out.print(table)
    out.print("controls: " + ("all balance" if not failed else f"{len(failed)} do NOT balance"))
    if failed or has_errors(rec.findings):
        raise typer.Exit(1)


@reconcile_app.command("gl")
def reconcile_gl_cmd(
    open_items: Annotated[Path, typer.Option("--open-items")],
    trial_balance: Annotated[Path, typer.Option("--trial-balance")],
    out_path: Annotated[Path, typer.Option("--out")],
) -> None:
    """AR subledger (open items) vs the GL receivables control accounts, by cause."""
    from cuadre.io.tables import read_table
    from cuadre.reconcile.gl import reconcile_gl

    _check_out(out_path)
    oi, findings = read_table(open_items, OPEN_ITEMS)
    tb, more = read_table(trial_balance, TRIAL_BALANCE)
    _stop_on_errors(findings + more)
    _write_reconciliation(reconcile_gl(oi, tb), out_path)


@reconcile_app.command("bank")
def reconcile_bank_cmd(
    bank_lines: Annotated[Path, typer.Option("--bank-lines")],
    out_path: Annotated[Path, typer.Option("--out")],
    book: Annotated[
        Path | None, typer.Option("--book", help="GL cash postings (gl_postings table)")
    ] = None,
    payments: Annotated[
        Path | None, typer.Option("--payments", help="or the ERP's receipts as the book side")
    ] = None,
) -> None:
    """Bank to book: bank lines vs cash postings (one-to-one, one-to-many, many-to-one)."""
    from cuadre.io.tables import read_payments, read_table
    from cuadre.reconcile.bank import book_from_payments, reconcile_bank
    from cuadre.reconcile.tables import GL_POSTINGS

    _check_out(out_path)
    if (book is None) == (payments is None):
        _usage("give either --book (GL postings) or --payments (ERP receipts).")
    lines, findings = read_table(bank_lines, BANK_LINES)
    if book is not None:
        side, more = read_table(book, GL_POSTINGS)
    else:
        assert payments is not None
        receipts, more = read_payments(payments)
        side = book_from_payments(receipts)
    _stop_on_errors(findings + more)
    _write_reconciliation(reconcile_bank(lines, side), out_path)


@reconcile_app.command("sat")
def reconcile_sat_cmd(
    fiscal_docs: Annotated[Path, typer.Option("--fiscal-docs", help="from cuadre import cfdi")],
    erp: Annotated[Path, typer.Option("--erp", help="ERP documents (open_items shape)")],
    out_path: Annotated[Path, typer.Option("--out")],
    complements: Annotated[
        Path | None, typer.Option("--complements", help="payment_complements")
    ] = None,
    allocations: Annotated[Path | None, typer.Option("--allocations")] = None,
    payments: Annotated[Path | None, typer.Option("--payments")] = None,
    rfc: Annotated[
        list[str] | None, typer.Option("--rfc", help="your company's RFC (repeatable)")
    ] = None,
) -> None:
    """SAT registry (CFDI, Metadata, payment complements) vs the ERP's documents."""
    from cuadre.io.tables import read_payments, read_table
    from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS
    from cuadre.reconcile.sat import SatPolicy, reconcile_sat

    _check_out(out_path)
    docs, findings = read_table(fiscal_docs, FISCAL_DOCS)
    erp_docs, more = read_table(erp, OPEN_ITEMS)
    findings += more
    comps = alloc = pay = None
    if complements is not None:
        comps, more = read_table(complements, PAYMENT_COMPLEMENTS)
        findings += more
    if allocations is not None:
        alloc, more = read_table(allocations, ALLOCATIONS)
        findings += more
    if payments is not None:
        pay, more = read_payments(payments)
        findings += more
    _stop_on_errors(findings)
    rec = reconcile_sat(
        docs,
        erp_docs,
        payment_complements=comps,
        allocations=alloc,
        payments=pay,
        policy=SatPolicy(company_tax_ids=[r.upper() for r in rfc or []]),
    )
    _write_reconciliation(rec, out_path)


@reconcile_app.command("advances")
def reconcile_advances_cmd(
    open_items: Annotated[Path, typer.Option("--open-items")],
    as_of: Annotated[str, typer.Option("--as-of")],
    out_path: Annotated[Path, typer.Option("--out")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
) -> None:
    """Advances and credit balances, their age, and suggested applications."""
    from cuadre.io.tables import read_table
    from cuadre.reconcile.advances import reconcile_advances

    _check_out(out_path)
    oi, findings = read_table(open_items, OPEN_ITEMS)
    cust = _read_optional(customers, CUSTOMERS, findings)
    _stop_on_errors(findings)
    _write_reconciliation(reconcile_advances(oi, _parse_date(as_of), customers=cust), out_path)


addin_app = typer.Typer(help="The Excel add-in: build, install, remove.", no_args_is_help=True)
app.add_typer(addin_app, name="addin")


@addin_app.command("build")
def addin_build(
    out_path: Annotated[Path, typer.Option("--out", help="the .xlam to write")] = Path(
        "Cuadre.xlam"
    ),
) -> None:
    """Assemble Cuadre.xlam from xlwings' add-in template and the sources in the repo."""
    from cuadre.xl.addin import build_addin

    found = build_addin(out_path)
    _stop_on_errors(found)
    report(found)
    out.print(f"Add-in written to {out_path}")


@addin_app.command("install")
def addin_install(
    out_path: Annotated[
        Path | None, typer.Option("--out", help="where to put it (required off Windows/macOS)")
    ] = None,
) -> None:
    """Build the add-in and put it in Excel's startup folder (or --out)."""
    from cuadre.xl.addin import install_addin

    found = install_addin(out_path)
    _stop_on_errors(found)
    report(found, quiet_info=False)


@addin_app.command("remove")
def addin_remove() -> None:
    """Remove the add-in from Excel's startup folder."""
    from cuadre.xl.addin import remove_addin

    found = remove_addin()
    _stop_on_errors(found)
    report(found, quiet_info=False)


@app.command("run")
def run_cmd(
    script: Annotated[str, typer.Argument(help="match, aging, close, ... (a ribbon button)")],
    workbook: Annotated[Path, typer.Option("--workbook", help="the close workbook (.xlsx)")],
) -> None:
    """Run a ribbon script on a workbook file, headless, exactly as the button does in Excel."""
    from cuadre.xl.run import run_script

    with err.status(f"Running {script} on {workbook}..."):
        found = run_script(script, workbook)
    report(found, limit=30, where=f"all are on the Issues sheet of {workbook}")
    if has_errors(found):
        raise typer.Exit(1)
    out.print(f"{script} done on {workbook}")


@app.command()
def template(
    out_path: Annotated[
        Path, typer.Option("--out", help="where to write the empty close workbook")
    ] = Path("Cuadre Close.xlsx"),
) -> None:
    """Write the empty month-end close workbook (the one in workbooks/)."""
    from cuadre.workbook.template import build_template

    build_template(out_path)
    out.print(f"Template written to {out_path}")


def run() -> None:  # pragma: no cover - console entry for python -m
    app(prog_name="cuadre")
    sys.exit(0)
