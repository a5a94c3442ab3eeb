"""The ``cuadre`` command: the same close steps as the Excel add-in, on files.

Thin: read tables (:mod:`cuadre.io.tables`), call one engine function, write tables,
print findings as ``file:row:column: severity: message`` on stderr. Exit code 0 on
success, 1 when an input has errors (nothing is written then), 2 for usage errors.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, NamedTuple

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cuadre import __version__
from cuadre.aging import DEFAULT_BUCKETS, aging_schema, parse_buckets
from cuadre.close import Control
from cuadre.findings import Finding, Location, Severity, error, has_errors
from cuadre.matching import MatchPolicy, match_payments
from cuadre.model.tables import (
    ALLOCATIONS,
    BANK_LINES,
    CUSTOMERS,
    OPEN_ITEMS,
    PROVENANCE,
    TRIAL_BALANCE,
    TableSchema,
)
from cuadre.model.validate import ReadOptions
from cuadre.money import format_amount

app = typer.Typer(
    name="cuadre",
    help="Accounts-receivable month-end close: cash application, aging, collections, "
    "reconciliations, accruals and evidence.",
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
OpenItemsOpt = Annotated[Path, typer.Option("--open-items", help="open_items .csv/.xlsx")]


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
    path: Path | None,
    schema: TableSchema,
    findings: list[Finding],
    options: ReadOptions | None = None,
) -> pd.DataFrame | None:
    """Read an optional input table; its findings are added to ``findings``."""
    if path is None:
        return None
    from cuadre.io.tables import read_table

    table, found = read_table(path, schema, options)
    findings += found
    return table


def _check_out(path: Path, option: str = "--out") -> None:
    if path.suffix.lower() not in (".csv", ".xlsx"):
        _usage(f'{option} must end in .csv or .xlsx; yours is "{path}".')


class Part(NamedTuple):
    """One output table of a command that has several."""

    name: str
    """The Excel table name, and the suffix of its CSV file."""
    frame: pd.DataFrame
    schema: TableSchema | None = None
    sheet: str = ""
    """Sheet name; by default the schema's."""


def _write_parts(
    out_path: Path,
    parts: Sequence[Part],
    *,
    controls: Sequence[Control] = (),
    findings: Sequence[Finding] = (),
) -> list[Path]:
    """Write the tables of one result; returns the files written.

    ``.xlsx``: one workbook, one sheet per table (the control block above the first, the
    findings on an Issues sheet). ``.csv``: the first table at ``out_path`` and each other
    beside it as ``<stem>-<name>.csv``."""
    from cuadre.io.tables import write_table

    if out_path.suffix.lower() != ".xlsx":
        paths = [out_path] + [
            out_path.with_name(f"{out_path.stem}-{p.name}{out_path.suffix}") for p in parts[1:]
        ]
        for part, path in zip(parts, paths, strict=True):
            write_table(part.frame, path, part.schema)
        return paths
    from cuadre.findings import findings_frame
    from cuadre.model.tables import ISSUES
    from cuadre.workbook.close_book import control_rows
    from cuadre.workbook.writer import ControlRow, SheetSpec, write_workbook

    rows: tuple[ControlRow, ...] = ()
    sections = list(dict.fromkeys(c.section for c in controls))
    for section in sections:
        if len(sections) > 1:
            rows += (ControlRow(section, ""),)
        rows += control_rows(section, list(controls))
    specs = [
        SheetSpec(
            name=p.sheet or (p.schema.sheet if p.schema else p.name)[:31],
            table_name=p.name,
            frame=p.frame[[c for c in p.frame.columns if c not in PROVENANCE]],
            schema=p.schema,
            subtitle=p.schema.description if p.schema else "",
            controls=rows if i == 0 else (),
        )
        for i, p in enumerate(parts)
    ]
    if findings:
        specs.append(
            SheetSpec(
                "Issues",
                "issues",
                findings_frame(findings),
                ISSUES,
                subtitle=ISSUES.description,
                kind="info",
            )
        )
    write_workbook(out_path, specs)
    return [out_path]


def _report_controls(controls: Sequence[Control]) -> bool:
    """Print whether the control block balances; True when it does."""
    failed = [c for c in controls if c.check is False]
    if not controls:
        return True
    out.print("controls: " + ("all balance" if not failed else f"{len(failed)} do NOT balance"))
    for c in failed:
        err.print(f"control failed: {c.section}: {c.label} ({c.currency})", style="red")
    return not failed


def _written(paths: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in paths)


def _file_error(path: Path, code: str, message: str, hint: str) -> list[Finding]:
    return [error(Location(str(path)), code, message, hint)]


@app.command()
def match(
    open_items: OpenItemsOpt,
    payments: Annotated[Path, typer.Option("--payments", help="payments or bank_lines .csv/.xlsx")],
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
    open_items: OpenItemsOpt,
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


def _parse_date(text: str, option: str = "--as-of") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _usage(f'{option} must be a date as YYYY-MM-DD, such as 2026-10-31; yours is "{text}".')
        raise  # unreachable: _usage exits


@app.command()
def demo(
    out_path: Annotated[Path, typer.Option("--out", help="the close workbook to write")] = Path(
        "cuadre-demo.xlsx"
    ),
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
    open_items: OpenItemsOpt,
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
    paths = _expand(
        files,
        (
            ".xml",
            ".053",
            ".054",
            ".sta",
            ".mt940",
            ".940",
            ".txt",
            ".bai",
            ".bai2",
            ".ofx",
            ".qfx",
            ".csv",
        ),
    )
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
    history_out: Annotated[
        Path | None,
        typer.Option(
            "--history-out",
            help="also write the history (open + cleared items of an 'all items' export) "
            "for aging --history, rollforward and kpis",
        ),
    ] = None,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """An ERP receivables export (SAP FBL5N, Microsip, Oracle, Odoo, ERPNext) into open_items."""
    from cuadre.aging_history import AR_HISTORY, history_from_tables
    from cuadre.importers.erp import PROFILES, detect_profiles, import_erp, import_erp_history
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
    options = _options(decimal, date_order)
    if history_out is None:
        table, findings = import_erp(data, str(file), profile, mapping=spec, options=options)
    else:
        _check_out(history_out, "--history-out")
        table, cleared, findings = import_erp_history(
            data, str(file), profile, mapping=spec, options=options
        )
    _stop_on_errors(findings)
    write_table(table, out_path, OPEN_ITEMS)
    report(findings)
    out.print(f"{len(table):,} open items ({profile}) -> {out_path}")
    if history_out is not None:
        history = history_from_tables(table, cleared)
        write_table(history, history_out, AR_HISTORY)
        out.print(f"{len(history):,} history items ({len(cleared):,} cleared) -> {history_out}")


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
    help="Collections: worklist, statements of account, dunning, promises to pay, credit "
    "holds, disputes.",
    no_args_is_help=True,
)
app.add_typer(collections_app, name="collections")


@collections_app.command("worklist")
def collections_worklist(
    open_items: Annotated[Path, typer.Option("--open-items")],
    as_of: Annotated[str, typer.Option("--as-of")],
    out_path: Annotated[Path, typer.Option("--out")],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
    disputes: Annotated[
        Path | None, typer.Option("--disputes", help="dispute log: disputed items not chased")
    ] = None,
    promises: Annotated[
        Path | None,
        typer.Option("--promises", help="promise status (collections promises): broken first"),
    ] = None,
    credit: Annotated[
        Path | None, typer.Option("--credit", help="credit status (collections credit)")
    ] = None,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Customers to chase, ranked by a documented priority score, with the next action."""
    from cuadre.collections.credit import CREDIT
    from cuadre.collections.disputes import DISPUTES
    from cuadre.collections.promises import PROMISE_STATUS
    from cuadre.collections.worklist import WORKLIST, collection_worklist
    from cuadre.io.tables import read_table, write_table

    _check_out(out_path)
    opts = _options(decimal, date_order)
    oi, findings = read_table(open_items, OPEN_ITEMS, opts)
    cust = _read_optional(customers, CUSTOMERS, findings, opts)
    disp = _read_optional(disputes, DISPUTES, findings, opts)
    prom = _read_optional(promises, PROMISE_STATUS, findings, opts)
    cred = _read_optional(credit, CREDIT, findings, opts)
    _stop_on_errors(findings)
    table, more = collection_worklist(
        oi, _parse_date(as_of), cust, disputes=disp, promises=prom, credit=cred
    )
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


def _receipts(
    allocations: Path | None,
    payments: Path | None,
    history: Path | None,
    since: dt.date,
    until: dt.date,
    findings: list[Finding],
    opts: ReadOptions,
) -> pd.DataFrame | None:
    """Money received per customer (``receipts``), from Cuadre's allocations and the
    payments they apply, or from the item history; None when neither is given."""
    from cuadre.collections.promises import receipts_from_allocations, receipts_from_ledger
    from cuadre.io.tables import read_payments, read_table

    if (allocations is None) != (payments is None):
        _usage("give --allocations and --payments together (the payments they apply).")
    if allocations is not None and history is not None:
        _usage("give either --allocations with --payments, or --history, not both.")
    if allocations is not None and payments is not None:
        alloc, f1 = read_table(allocations, ALLOCATIONS, opts)
        pay, f2 = read_payments(payments, opts)
        findings += f1 + f2
        return None if has_errors(f1 + f2) else receipts_from_allocations(alloc, pay)
    if history is not None:
        from cuadre.aging_history import AR_HISTORY, build_ledger

        hist, f1 = read_table(history, AR_HISTORY, opts)
        findings += f1
        if has_errors(f1):
            return None
        ledger, more = build_ledger(hist)
        findings += more
        return receipts_from_ledger(ledger, since, until)
    return None


@collections_app.command("dunning")
def collections_dunning(
    open_items: OpenItemsOpt,
    as_of: Annotated[str, typer.Option("--as-of", help="dunning date, YYYY-MM-DD")],
    out_path: Annotated[
        Path, typer.Option("--out", help="summary .csv/.xlsx: level and action per customer")
    ],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="folder for the letters")],
    customers: Annotated[
        Path | None, typer.Option("--customers", help="names, e-mails, tax ids, language")
    ] = None,
    policy_path: Annotated[
        Path | None,
        typer.Option("--policy", help="dunning policy TOML (levels, fees); default: bundled"),
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option("--templates", help="folder of your own letter templates (es/, en/)"),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="es or en for every letter; default: per customer"),
    ] = None,
    disputes: Annotated[
        Path | None, typer.Option("--disputes", help="dispute log: disputed items left out")
    ] = None,
    promises: Annotated[
        Path | None,
        typer.Option("--promises", help="promise status (collections promises): open ones wait"),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="last run's summary: customers climb one level at a time"),
    ] = None,
    company: Annotated[str, typer.Option("--company", help="your company's name")] = "",
    company_email: Annotated[str, typer.Option("--company-email")] = "",
    company_phone: Annotated[str, typer.Option("--company-phone")] = "",
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Dunning letters (reminder, second notice, final demand, collections), one per customer."""
    from jinja2 import TemplateError

    from cuadre.collections.disputes import DISPUTES
    from cuadre.collections.dunning import (
        NOTICE_ITEMS,
        NOTICES,
        dunning_run,
        load_policy,
        render_letters,
        write_letters,
    )
    from cuadre.collections.promises import PROMISE_STATUS
    from cuadre.io.tables import read_table

    _check_out(out_path)
    if language not in (None, "es", "en"):
        _usage(f'--language must be es or en; yours is "{language}".')
    if templates is not None and not templates.is_dir():
        _usage(f'--templates must be a folder; "{templates}" is not one.')
    if out_dir.exists() and not out_dir.is_dir():
        _usage(f'--out-dir must be a folder; "{out_dir}" is a file.')
    date = _parse_date(as_of)
    opts = _options(decimal, date_order)
    findings: list[Finding] = []
    try:
        policy = load_policy(policy_path)
    except OSError as exc:
        findings += _file_error(
            policy_path or Path("dunning_policy.toml"),
            "POLICY_UNREADABLE",
            f"the dunning policy cannot be read ({exc.strerror})",
            "Check the path of --policy.",
        )
    except ValueError as exc:
        findings += _file_error(
            policy_path or Path("dunning_policy.toml"),
            "BAD_POLICY",
            f"the dunning policy is not valid: {exc}",
            "Compare it with the bundled dunning_policy.toml and correct it.",
        )
    oi, more = read_table(open_items, OPEN_ITEMS, opts)
    findings += more
    cust = _read_optional(customers, CUSTOMERS, findings, opts)
    disp = _read_optional(disputes, DISPUTES, findings, opts)
    prom = _read_optional(promises, PROMISE_STATUS, findings, opts)
    prev = _read_optional(previous, NOTICES, findings, opts)
    _stop_on_errors(findings)
    if prev is not None:
        prev = prev[prev["action"].eq("send")]  # the letters actually sent
    with err.status("Deciding levels and writing letters..."):
        run = dunning_run(oi, date, policy, cust, disputes=disp, promises=prom, previous=prev)
        info = {"name": company, "email": company_email, "phone": company_phone}
        try:
            letters = render_letters(run, info, cust, templates, language)
        except TemplateError as exc:
            where = templates or Path("templates")
            found = _file_error(
                where,
                "TEMPLATE_ERROR",
                f"a letter template cannot be rendered ({type(exc).__name__}: {exc})",
                "Correct the template (the variables are listed in _letter.txt.j2).",
            )
            _stop_on_errors(run.findings + found)
            return
    index = write_letters(letters, out_dir)
    notices = run.notices.merge(
        index[["customer_id", "currency", "file"]].rename(columns={"file": "letter"}),
        on=["customer_id", "currency"],
        how="left",
    )
    notices["letter"] = notices["letter"].fillna("").astype(object)
    written = _write_parts(
        out_path,
        [Part("dunning_notices", notices, NOTICES), Part("dunning_items", run.items, NOTICE_ITEMS)],
        findings=run.findings,
    )
    report(findings + run.findings)
    table = Table(title=f"Dunning as of {date:%Y-%m-%d}")
    table.add_column("level", justify="right")
    table.add_column("name")
    table.add_column("send", justify="right")
    table.add_column("skip", justify="right")
    for (level, name), g in notices.groupby(["level", "level_name"], sort=True):
        sends = int(g["action"].eq("send").sum())
        table.add_row(str(level), str(name), f"{sends:,}", f"{len(g) - sends:,}")
    out.print(table)
    out.print(f"{len(letters):,} letters -> {out_dir}; summary -> {_written(written)}")


@collections_app.command("promises")
def collections_promises(
    promises: Annotated[
        Path, typer.Option("--promises", help="promises to pay: customer, amount, date")
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="status date, YYYY-MM-DD")],
    out_path: Annotated[Path, typer.Option("--out", help="promise status .csv/.xlsx")],
    allocations: Annotated[
        Path | None, typer.Option("--allocations", help="matches (cuadre match), with --payments")
    ] = None,
    payments: Annotated[
        Path | None, typer.Option("--payments", help="payments or bank_lines the matches apply")
    ] = None,
    history: Annotated[
        Path | None, typer.Option("--history", help="or the item history: its receipts")
    ] = None,
    grace_days: Annotated[
        int, typer.Option("--grace-days", min=0, help="days money takes to arrive")
    ] = 2,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Promises to pay: kept, partially kept, broken or open, from the payments applied."""
    from cuadre.collections.promises import PROMISE_STATUS, PROMISES, evaluate_promises
    from cuadre.io.tables import read_table, write_table

    _check_out(out_path)
    if allocations is None and history is None:
        _usage("give the money received: --allocations with --payments, or --history.")
    date = _parse_date(as_of)
    opts = _options(decimal, date_order)
    prom, findings = read_table(promises, PROMISES, opts)
    # receipts from a month before the earliest promise (its default look-back) on
    dates = pd.concat([prom["promise_date"], prom["made_on"]]).dropna()
    since = (pd.Timestamp(dates.min()) if len(dates) else pd.Timestamp(date)) - pd.Timedelta(
        days=31
    )
    receipts = _receipts(allocations, payments, history, since.date(), date, findings, opts)
    _stop_on_errors(findings)
    assert receipts is not None
    status = evaluate_promises(prom, receipts, date, grace_days=grace_days)
    write_table(status, out_path, PROMISE_STATUS)
    report(findings)
    table = Table(title=f"{len(status):,} promises as of {date:%Y-%m-%d}")
    for col in ("status", "currency", "promises", "promised", "paid", "shortfall"):
        table.add_column(col, justify="left" if col in ("status", "currency") else "right")
    for (st, cur), g in status.groupby(["status", "currency"], sort=True):
        table.add_row(
            str(st),
            str(cur),
            f"{len(g):,}",
            format_amount(int(g["amount"].sum()), str(cur), with_code=False),
            format_amount(int(g["paid"].sum()), str(cur), with_code=False),
            format_amount(int(g["shortfall"].sum()), str(cur), with_code=False),
        )
    out.print(table)
    out.print(f"-> {out_path}")


@collections_app.command("credit")
def collections_credit(
    open_items: OpenItemsOpt,
    customers: Annotated[
        Path, typer.Option("--customers", help="customers with credit_limit and currency")
    ],
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD")],
    out_path: Annotated[
        Path, typer.Option("--out", help="credit status .csv/.xlsx (+ hold and release lists)")
    ],
    open_orders: Annotated[
        Path | None, typer.Option("--open-orders", help="orders not yet invoiced")
    ] = None,
    holds: Annotated[
        Path | None, typer.Option("--holds", help="customers on hold now (last run's hold list)")
    ] = None,
    allocations: Annotated[
        Path | None, typer.Option("--allocations", help="matches, with --payments: paid since")
    ] = None,
    payments: Annotated[Path | None, typer.Option("--payments")] = None,
    history: Annotated[
        Path | None, typer.Option("--history", help="or the item history: its receipts")
    ] = None,
    disputes: Annotated[
        Path | None, typer.Option("--disputes", help="dispute log: not in the overdue rule")
    ] = None,
    hold_days: Annotated[
        int, typer.Option("--hold-days", min=1, help="hold when items are overdue longer")
    ] = 60,
    watch: Annotated[
        float, typer.Option("--watch", min=0, help="utilisation that puts a customer on watch")
    ] = 0.9,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Credit limit, exposure and utilisation; the hold list and the release list."""
    from cuadre.collections.credit import (
        CREDIT,
        CREDIT_HOLDS,
        OPEN_ORDERS,
        CreditPolicy,
        credit_status,
        hold_list,
        release_list,
    )
    from cuadre.collections.disputes import DISPUTES, split_disputed
    from cuadre.io.tables import read_table

    _check_out(out_path)
    date = _parse_date(as_of)
    opts = _options(decimal, date_order)
    oi, findings = read_table(open_items, OPEN_ITEMS, opts)
    cust, more = read_table(customers, CUSTOMERS, opts)
    findings += more
    orders = _read_optional(open_orders, OPEN_ORDERS, findings, opts)
    held = _read_optional(holds, CREDIT_HOLDS, findings, opts)
    disp = _read_optional(disputes, DISPUTES, findings, opts)
    since = date - dt.timedelta(days=366)
    if held is not None and len(held) and held["held_on"].notna().any():
        since = min(since, pd.Timestamp(held["held_on"].min()).date())
    receipts = _receipts(allocations, payments, history, since, date, findings, opts)
    _stop_on_errors(findings)
    disputed = None
    if disp is not None:
        _undisputed, disputed, more = split_disputed(oi, disp, date)
        findings += more
    table, more = credit_status(
        oi,
        cust,
        date,
        CreditPolicy(hold_days_overdue=hold_days, watch_utilisation=watch),
        open_orders=orders,
        holds=held,
        receipts=receipts,
        disputed=disputed,
    )
    findings += more
    parts = [
        Part("credit", table, CREDIT),
        Part("hold_list", hold_list(table), CREDIT, "HoldList"),
        Part("release_list", release_list(table), CREDIT, "ReleaseList"),
    ]
    written = _write_parts(out_path, parts, findings=findings)
    report(findings)
    summary = Table(title=f"Credit as of {date:%Y-%m-%d}")
    summary.add_column("status")
    summary.add_column("customers", justify="right")
    counts = table["status"].value_counts()
    for st in ("new_hold", "on_hold", "release", "watch", "ok"):
        summary.add_row(st, f"{int(counts.get(st, 0)):,}")
    out.print(summary)
    out.print(f"-> {_written(written)}")


@collections_app.command("disputes")
def collections_disputes(
    disputes: Annotated[Path, typer.Option("--disputes", help="the dispute log .csv/.xlsx")],
    open_items: OpenItemsOpt,
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM-DD")],
    out_path: Annotated[
        Path, typer.Option("--out", help="open disputes .csv/.xlsx (+ aging, disputed aging)")
    ],
    customers: Annotated[Path | None, typer.Option("--customers")] = None,
    buckets: Annotated[
        str, typer.Option("--buckets", help="bucket limits in days, e.g. 30,60,90,120")
    ] = ",".join(str(b) for b in DEFAULT_BUCKETS),
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Open disputes for their owners, and the aging with the disputed part shown apart."""

    from cuadre.collections.disputes import (
        DISPUTE_LOG,
        DISPUTES,
        aging_with_disputes,
        aging_with_disputes_schema,
        dispute_log,
    )
    from cuadre.io.tables import read_table

    _check_out(out_path)
    try:
        limits = parse_buckets(buckets)
    except ValueError as exc:
        _usage(str(exc))
        return
    date = _parse_date(as_of)
    opts = _options(decimal, date_order)
    log, findings = read_table(disputes, DISPUTES, opts)
    oi, more = read_table(open_items, OPEN_ITEMS, opts)
    findings += more
    cust = _read_optional(customers, CUSTOMERS, findings, opts)
    _stop_on_errors(findings)
    aging, disputed_aging, more = aging_with_disputes(oi, date, log, limits, cust)
    findings += more
    table = dispute_log(log, oi, date, cust)
    with_disputed = aging_with_disputes_schema(limits)
    parts = [
        Part("dispute_log", table, DISPUTE_LOG),
        Part("aging", aging, with_disputed),
        Part("disputed_aging", disputed_aging, aging_schema(limits), "DisputedAging"),
    ]
    written = _write_parts(out_path, parts, findings=findings)
    report(findings)
    summary = Table(title=f"{len(table):,} open disputes as of {date:%Y-%m-%d}")
    for col in ("currency", "aging total", "disputed"):
        summary.add_column(col, justify="left" if col == "currency" else "right")
    for cur, g in aging.groupby("currency", sort=True):
        summary.add_row(
            str(cur),
            format_amount(int(g["total"].sum()), str(cur)),
            format_amount(int(g["disputed"].sum()), str(cur)),
        )
    out.print(summary)
    out.print(f"-> {_written(written)}")


reconcile_app = typer.Typer(
    help="Reconciliations: AR vs GL, bank to book, customer statements, SAT and DIAN "
    "registries vs ERP, advances.",
    no_args_is_help=True,
)
app.add_typer(reconcile_app, name="reconcile")


def _write_reconciliation(rec: object, out_path: Path) -> None:
    """Write the reconciliation (items: matched, differences, each side only; then the
    totals, the breakdown by cause, the statement and the tables particular to it, see
    :func:`_write_parts`) and show its totals and controls."""
    from cuadre.reconcile import Reconciliation
    from cuadre.reconcile.tables import RECON_BREAKDOWN, RECON_ITEMS, RECON_STATEMENT, TABLES

    assert isinstance(rec, Reconciliation)
    parts = [
        Part("reconciliation_items", rec.items(), RECON_ITEMS),
        Part("reconciliation_totals", rec.totals, TABLES["reconciliation_totals"]),
        Part("reconciliation_breakdown", rec.breakdown, RECON_BREAKDOWN),
    ]
    if rec.statement is not None:
        parts.append(Part("reconciliation_statement", rec.statement, RECON_STATEMENT))
    parts += [Part(name, frame, TABLES.get(name)) for name, frame in rec.extra.items()]
    written = _write_parts(out_path, parts, controls=rec.controls, findings=rec.findings)
    report(rec.findings)
    table = Table(title=f"{rec.kind}: {rec.left_name} vs {rec.right_name}")
    for col in ("matched", "differences", f"{rec.left_name} only", f"{rec.right_name} only"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{len(rec.matched):,}",
        f"{len(rec.differences):,}",
        f"{len(rec.left_only):,}",
        f"{len(rec.right_only):,}",
    )
    out.print(table)
    out.print(f"-> {_written(written)}")
    balanced = _report_controls(rec.controls)
    if not balanced or has_errors(rec.findings):
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


@reconcile_app.command("customer")
def reconcile_customer_cmd(
    open_items: Annotated[Path, typer.Option("--open-items", help="our open items")],
    statement: Annotated[
        Path,
        typer.Option("--statement", help="the customer's statement of our documents"),
    ],
    out_path: Annotated[Path, typer.Option("--out", help="reconciliation .csv/.xlsx")],
    customer: Annotated[
        str | None, typer.Option("--customer", help="customer_id to confirm (ours)")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="statement date: recent documents are timing")
    ] = None,
    their_signs: Annotated[
        str,
        typer.Option("--their-signs", help="ours, or reversed for an AP export (invoices < 0)"),
    ] = "ours",
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Customer statement / balance confirmation: our ledger vs their list, invoices to send."""
    from cuadre.io.tables import read_table
    from cuadre.reconcile.customer import CustomerPolicy, reconcile_customer
    from cuadre.reconcile.tables import CUSTOMER_STATEMENT

    _check_out(out_path)
    if their_signs not in ("ours", "reversed"):
        _usage(f'--their-signs must be ours or reversed; yours is "{their_signs}".')
    date = _parse_date(as_of) if as_of is not None else None
    opts = _options(decimal, date_order)
    oi, findings = read_table(open_items, OPEN_ITEMS, opts)
    theirs, more = read_table(statement, CUSTOMER_STATEMENT, opts)
    _stop_on_errors(findings + more)
    rec = reconcile_customer(
        oi,
        theirs,
        customer_id=customer,
        as_of=date,
        policy=CustomerPolicy(their_signs=their_signs),
    )
    _write_reconciliation(rec, out_path)


@reconcile_app.command("dian")
def reconcile_dian_cmd(
    fiscal_docs: Annotated[
        Path, typer.Option("--fiscal-docs", help="DIAN documents, from cuadre import cfdi")
    ],
    erp: Annotated[Path, typer.Option("--erp", help="ERP documents (open_items shape)")],
    out_path: Annotated[Path, typer.Option("--out", help="reconciliation .csv/.xlsx")],
    nit: Annotated[
        list[str] | None, typer.Option("--nit", help="your company's NIT (repeatable)")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="first issue date compared, YYYY-MM-DD")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="last issue date compared, YYYY-MM-DD")
    ] = None,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """DIAN e-invoices and notes (CUFE/CUDE) vs the ERP's documents."""
    from cuadre.io.tables import read_table
    from cuadre.model.tables import FISCAL_DOCS
    from cuadre.reconcile.dian import reconcile_dian
    from cuadre.reconcile.fiscal import FiscalPolicy

    _check_out(out_path)
    if (first is None) != (last is None):
        _usage("give --from and --to together (the period compared).")
    period = None
    if first is not None and last is not None:
        period = (_parse_date(first, "--from"), _parse_date(last, "--to"))
    opts = _options(decimal, date_order)
    docs, findings = read_table(fiscal_docs, FISCAL_DOCS, opts)
    erp_docs, more = read_table(erp, OPEN_ITEMS, opts)
    _stop_on_errors(findings + more)
    policy = FiscalPolicy(company_tax_ids=[n.strip() for n in nit or []], period=period)
    _write_reconciliation(reconcile_dian(docs, erp_docs, policy=policy), out_path)


accrue_app = typer.Typer(
    help="Accruals and provisions: unbilled revenue, bad-debt allowance, balanced journals.",
    no_args_is_help=True,
)
app.add_typer(accrue_app, name="accrue")

JournalFormatOpt = Annotated[
    str, typer.Option("--journal-format", help="generic (journal_lines) or sap (G/L upload)")
]
CompanyCodeOpt = Annotated[
    str, typer.Option("--company-code", help="SAP company code (BUKRS), for --journal-format sap")
]


def _check_journal_format(journal_format: str, company_code: str) -> None:
    if journal_format not in ("generic", "sap"):
        _usage(f'--journal-format must be generic or sap; yours is "{journal_format}".')
    if journal_format == "sap" and not company_code.strip():
        _usage("--journal-format sap needs --company-code (the SAP BUKRS).")


def _journal_part(journal: pd.DataFrame, journal_format: str, company_code: str) -> Part:
    from cuadre.journals import generic_layout, sap_layout
    from cuadre.reconcile.tables import JOURNAL_LINES

    if journal_format == "sap":
        return Part("sap_upload", sap_layout(journal, company_code=company_code), None, "SAPUpload")
    return Part("journal_lines", generic_layout(journal), JOURNAL_LINES)


def _journal_summary(journal: pd.DataFrame) -> str:
    totals = journal.groupby("currency")["debit"].sum()
    amounts = ", ".join(format_amount(int(v), str(c)) for c, v in totals.items())
    return (
        f"journal: {journal['journal_id'].nunique():,} entries in {len(journal):,} lines, "
        f"debits = credits ({amounts or 'nothing'})"
    )


@accrue_app.command("unbilled")
def accrue_unbilled_cmd(
    operations: Annotated[
        Path, typer.Option("--operations", help="services delivered / operations completed")
    ],
    invoices: Annotated[
        Path, typer.Option("--invoices", help="the ERP's invoices, open or not (open_items shape)")
    ],
    period_end: Annotated[str, typer.Option("--period-end", help="cut-off date, YYYY-MM-DD")],
    out_path: Annotated[
        Path, typer.Option("--out", help="accruals .csv/.xlsx (+ unbilled, journal, cut-off)")
    ],
    journal_format: JournalFormatOpt = "generic",
    company_code: CompanyCodeOpt = "",
    unbilled_account: Annotated[
        str, typer.Option("--unbilled-account", help="unbilled receivables (asset)")
    ] = "1105-90",
    revenue_account: Annotated[
        str, typer.Option("--revenue-account", help="revenue from services")
    ] = "4100-01",
    cutoff_days: Annotated[
        int, typer.Option("--cutoff-days", min=0, help="days either side of the period end")
    ] = 5,
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Unbilled revenue accrual, its reversal on day 1 of next period, and the cut-off test."""
    from cuadre.accruals import AccrualPolicy, accrue_unbilled
    from cuadre.io.tables import read_table
    from cuadre.reconcile.tables import ACCRUALS, OPERATIONS, SALES_CUTOFF, UNBILLED

    _check_out(out_path)
    _check_journal_format(journal_format, company_code)
    end = _parse_date(period_end, "--period-end")
    opts = _options(decimal, date_order)
    ops, findings = read_table(operations, OPERATIONS, opts)
    inv, more = read_table(invoices, OPEN_ITEMS, opts)
    findings += more
    _stop_on_errors(findings)
    policy = AccrualPolicy(
        unbilled_account=unbilled_account,
        revenue_account=revenue_account,
        cutoff_days=cutoff_days,
    )
    result = accrue_unbilled(ops, inv, end, policy=policy, options=opts)
    _stop_on_errors(result.findings)
    parts = [
        Part("accruals", result.accruals, ACCRUALS),
        Part("unbilled", result.unbilled, UNBILLED),
        _journal_part(result.journal, journal_format, company_code),
        Part("sales_cutoff", result.cutoff, SALES_CUTOFF),
    ]
    written = _write_parts(out_path, parts, controls=result.controls, findings=result.findings)
    report(findings + result.findings)
    accrued = result.accruals.groupby("currency")["amount"].sum()
    out.print(
        f"{len(result.unbilled):,} operations unbilled at {end:%Y-%m-%d}: accrued "
        + (", ".join(format_amount(int(v), str(c)) for c, v in accrued.items()) or "nothing")
        + f", reversed on {end + dt.timedelta(days=1):%Y-%m-%d}"
    )
    out.print(_journal_summary(result.journal))
    out.print(f"-> {_written(written)}")
    if not _report_controls(result.controls):
        raise typer.Exit(1)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``["A=1", "B=2"]`` (or ``["A=1,B=2"]``) -> ``{"A": "1", "B": "2"}``."""
    out: dict[str, str] = {}
    for item in values or []:
        for piece in item.split(","):
            name, sep, value = piece.partition("=")
            if not sep or not name.strip() or not value.strip():
                _usage(f'{option} takes NAME=VALUE, such as 121+=50; yours is "{piece}".')
            out[name.strip()] = value.strip()
    return out


def _number(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").rstrip("%"))
    except InvalidOperation:
        _usage(f'{option}: "{text}" is not a number.')
        raise  # unreachable: _usage exits
    if value < 0:
        _usage(f'{option}: "{text}" must not be negative.')
    return value


def _opening_allowance(path: Path, findings: list[Finding], opts: ReadOptions) -> dict[str, int]:
    """The previous period's allowance movement -> its closing allowance per currency."""
    from cuadre.io.tables import read_table
    from cuadre.reconcile.tables import ALLOWANCE_MOVEMENT

    movement, found = read_table(path, ALLOWANCE_MOVEMENT, opts)
    findings += found
    if has_errors(found):
        return {}
    closing = movement[movement["label"].str.strip().str.lower().str.startswith("closing")]
    if closing.empty:
        findings += _file_error(
            path,
            "NO_CLOSING_ALLOWANCE",
            "no 'Closing allowance' line: --opening-allowance takes the allowance_movement "
            "of the previous period",
            "Give last period's allowance_movement output (its closing line is this "
            "period's opening).",
        )
        return {}
    return {str(c): int(v) for c, v in closing.groupby("currency")["amount"].sum().items()}


@accrue_app.command("provision")
def accrue_provision_cmd(
    open_items: OpenItemsOpt,
    as_of: Annotated[str, typer.Option("--as-of", help="provision date, YYYY-MM-DD")],
    out_path: Annotated[
        Path, typer.Option("--out", help="provision .csv/.xlsx (+ matrix, movement, journal)")
    ],
    method: Annotated[
        str, typer.Option("--method", help="roll-rates, matrix or flat")
    ] = "roll-rates",
    snapshots: Annotated[
        Path | None,
        typer.Option("--snapshots", help="month-end aging totals per bucket (roll-rates)"),
    ] = None,
    matrix_path: Annotated[
        Path | None, typer.Option("--matrix", help="loss rate per bucket (matrix)")
    ] = None,
    flat: Annotated[
        list[str] | None,
        typer.Option("--flat", help="percent per bucket, e.g. 91-120=5,121+=15 (flat)"),
    ] = None,
    specific: Annotated[
        Path | None, typer.Option("--specific", help="customers provided for individually")
    ] = None,
    write_offs: Annotated[
        Path | None, typer.Option("--write-offs", help="write-offs of the period")
    ] = None,
    opening: Annotated[
        Path | None,
        typer.Option("--opening-allowance", help="last period's allowance movement"),
    ] = None,
    customers: Annotated[
        Path | None, typer.Option("--customers", help="payment terms for items without due date")
    ] = None,
    buckets: Annotated[
        str, typer.Option("--buckets", help="bucket limits in days, e.g. 30,60,90,120")
    ] = ",".join(str(b) for b in DEFAULT_BUCKETS),
    forward_factor: Annotated[
        float,
        typer.Option("--forward-factor", min=0, help="forward-looking factor on every rate"),
    ] = 1.0,
    forward: Annotated[
        list[str] | None,
        typer.Option("--forward", help="factor per bucket, e.g. 121+=1.2 (roll-rates)"),
    ] = None,
    window_months: Annotated[
        int | None, typer.Option("--window-months", min=1, help="last N month-to-month rolls")
    ] = None,
    journal_format: JournalFormatOpt = "generic",
    company_code: CompanyCodeOpt = "",
    allowance_account: Annotated[str, typer.Option("--allowance-account")] = "1109-01",
    expense_account: Annotated[str, typer.Option("--expense-account")] = "6105-01",
    receivable_account: Annotated[str, typer.Option("--receivable-account")] = "1105-01",
    decimal: DecimalOpt = None,
    date_order: DateOrderOpt = "auto",
) -> None:
    """Bad-debt allowance (IFRS 9 simplified approach): matrix, provision, movement, journal."""
    from cuadre.io.tables import read_table
    from cuadre.provision import (
        PROVISION_BY_CUSTOMER,
        ROLL_RATES,
        ProvisionPolicy,
        compute_provision,
        flat_matrix,
        matrix_from_roll_rates,
        roll_rate_table,
    )
    from cuadre.reconcile.tables import (
        AGING_SNAPSHOTS,
        ALLOWANCE_MOVEMENT,
        PROVISION,
        PROVISION_MATRIX,
        SPECIFIC_PROVISIONS,
        WRITE_OFFS,
    )

    _check_out(out_path)
    _check_journal_format(journal_format, company_code)
    given = {"roll-rates": snapshots, "matrix": matrix_path, "flat": flat}
    if method not in given:
        _usage(f'--method must be roll-rates, matrix or flat; yours is "{method}".')
    needs = {"roll-rates": "--snapshots", "matrix": "--matrix", "flat": "--flat"}
    if not given[method]:
        _usage(f"--method {method} needs {needs[method]}.")
    others = [needs[m] for m, v in given.items() if m != method and v]
    if others:
        _usage(f"{', '.join(others)} does not go with --method {method}.")
    if method != "roll-rates" and (forward_factor != 1.0 or forward or window_months):
        _usage(
            "--forward-factor, --forward and --window-months adjust rates derived from roll "
            "rates; with a given matrix or flat rates, put the adjusted rates in them."
        )
    try:
        limits = parse_buckets(buckets)
    except ValueError as exc:
        _usage(str(exc))
        return
    factors = {b: float(_number(v, "--forward")) for b, v in _pairs(forward, "--forward").items()}
    policy = ProvisionPolicy(
        buckets=tuple(limits),
        forward_factor=forward_factor,
        forward_by_bucket=factors,
        window_months=window_months,
        allowance_account=allowance_account,
        expense_account=expense_account,
        receivable_account=receivable_account,
    )
    date = _parse_date(as_of)
    opts = _options(decimal, date_order)
    oi, findings = read_table(open_items, OPEN_ITEMS, opts)
    snaps = _read_optional(snapshots, AGING_SNAPSHOTS, findings, opts)
    given_matrix = _read_optional(matrix_path, PROVISION_MATRIX, findings, opts)
    spec = _read_optional(specific, SPECIFIC_PROVISIONS, findings, opts)
    used = _read_optional(write_offs, WRITE_OFFS, findings, opts)
    cust = _read_optional(customers, CUSTOMERS, findings, opts)
    start = _opening_allowance(opening, findings, opts) if opening is not None else {}
    _stop_on_errors(findings)
    if method == "flat":
        percents = {b: _number(v, "--flat") for b, v in _pairs(flat, "--flat").items()}
        try:
            matrix = flat_matrix(percents, tuple(limits))
        except ValueError as exc:
            _usage(f"--flat: {exc}.")
            return
    elif method == "matrix":
        assert given_matrix is not None
        matrix = given_matrix
    else:
        assert snaps is not None
        matrix, more = matrix_from_roll_rates(snaps, policy)
        findings += more
    result = compute_provision(
        oi,
        date,
        matrix,
        specific=spec,
        opening_allowance=start,
        write_offs=used,
        customers=cust,
        policy=policy,
    )
    _stop_on_errors(result.findings)
    parts = [
        Part("provision", result.provision, PROVISION),
        Part("provision_by_customer", result.by_customer, PROVISION_BY_CUSTOMER, "ByCustomer"),
        Part("provision_matrix", result.matrix, PROVISION_MATRIX),
        Part("allowance_movement", result.movement, ALLOWANCE_MOVEMENT),
        _journal_part(result.journal, journal_format, company_code),
    ]
    if snaps is not None:
        rolls = roll_rate_table(snaps, tuple(limits), window_months)
        parts.insert(3, Part("roll_rates", rolls, ROLL_RATES))
    findings += result.findings
    written = _write_parts(out_path, parts, controls=result.controls, findings=findings)
    report(findings)
    summary = Table(title=f"Allowance as of {date:%Y-%m-%d}")
    for col in ("currency", "opening", "write-offs", "charge", "closing"):
        summary.add_column(col, justify="left" if col == "currency" else "right")
    for cur, g in result.movement.groupby("currency", sort=True):
        amounts = dict(zip(g["line"].astype(int), g["amount"].astype(int), strict=True))
        summary.add_row(
            str(cur), *(format_amount(amounts.get(i, 0), str(cur)) for i in (1, 2, 3, 4))
        )
    out.print(summary)
    out.print(_journal_summary(result.journal))
    out.print(f"-> {_written(written)}")
    if not _report_controls(result.controls):
        raise typer.Exit(1)


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
    files: Annotated[
        list[Path] | None, typer.Argument(help="for import: the files to import")
    ] = None,
) -> None:
    """Run a ribbon script on a workbook file, headless, exactly as the button does in Excel."""
    from cuadre.xl.run import run_script

    with err.status(f"Running {script} on {workbook}..."):
        found = run_script(script, workbook, files)
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
