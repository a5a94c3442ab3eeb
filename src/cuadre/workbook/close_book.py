"""The month-end close workbook: inputs, matches, unapplied cash, aging, issues, evidence.

The shell around :func:`cuadre.close.run_close`: reads the input files, runs the close,
and writes one formatted workbook whose sheets follow ``workbooks/Cuadre Close.xlsx``:

- inputs (as read, with a ``source`` column pointing at the file row): Settings,
  Customers, OpenItems, Bank, GL;
- outputs: Matches (one row per application, with a ``review`` column for the
  reviewer), Unapplied, Aging, Issues, Evidence.

Every output sheet carries its control block (rows in, rows out, amounts in = amounts
out per currency); each control is a live Excel formula over the sheet tables with the
engine's value cached beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cuadre import __version__
from cuadre.aging import DEFAULT_BUCKETS, aging_schema
from cuadre.close import CloseResult, Control, run_close
from cuadre.evidence import InputRecord, evidence_table, run_facts
from cuadre.findings import Finding, findings_frame, has_errors
from cuadre.io.tables import read_payments, read_table, sha256_file, write_table
from cuadre.matching import MatchPolicy
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
    UNAPPLIED,
    Column,
    Kind,
    TableSchema,
)
from cuadre.model.validate import ReadOptions
from cuadre.workbook.formulas import Value, above, if_zero, other_than, sumifs
from cuadre.workbook.kpi_sheets import aging_pictures
from cuadre.workbook.provenance import with_source_column
from cuadre.workbook.template import readme_sheet
from cuadre.workbook.writer import ControlRow, SheetSpec, column_ref, write_workbook

if TYPE_CHECKING:
    from cuadre.demo.generator import DemoCompany

DEMO_COMPANY = "Distribuidora Demo, S.A. de C.V."
"""The sample company's name on letters and statements."""

ExtraSheets = Callable[[CloseResult], tuple[list[SheetSpec], list[Finding], list[InputRecord]]]
"""Builds more sheets from the close result: (sheets, findings, the inputs they read)."""


@dataclass(frozen=True)
class CloseFiles:
    open_items: Path
    payments: Path
    customers: Path | None = None
    trial_balance: Path | None = None


def _short_sources(alloc: pd.DataFrame) -> pd.DataFrame:
    out = alloc.copy()
    for c in ("payment_row", "document_row"):
        out[c] = out[c].map(lambda s: s.rsplit("/", 1)[-1] if s else "")
    return out


def control_rows(section: str, controls: list[Control]) -> tuple[ControlRow, ...]:
    """The engine controls of one section as control-block rows (checks as OK or DIFFERENCE)."""
    rows = []
    for c in controls:
        if c.section != section:
            continue
        if c.check is None:
            rows.append(ControlRow(c.label, c.value, currency=c.currency))
        else:
            rows.append(
                ControlRow(
                    f"{c.label} ({c.currency})",
                    "OK" if c.check else "DIFFERENCE",
                    check=True,
                )
            )
            if c.value:
                rows.append(ControlRow("  difference", c.value, currency=c.currency))
    return tuple(rows)


def _match_controls(result: CloseResult, payments_table: str) -> tuple[ControlRow, ...]:
    """Per currency: received = applied automatically + not applied; every payment fully
    allocated. Live formulas over the sheet tables, the engine's figures cached."""
    ctl = {(c.section, c.label, c.currency): c.value for c in result.controls}
    rows: list[ControlRow] = [
        ControlRow("Payments received (money-in lines)", len(result.payments)),
        ControlRow(
            "Payments in the matches (each at least once)",
            int(result.allocations["payment_id"].nunique()),
        ),
    ]
    section = "Cash application"
    for cur in sorted(result.payments["currency"].unique()):
        money_in: list[tuple[str, Value]] = [("currency", cur)] + (
            [("amount", above(0))] if payments_table == "bank_lines" else []
        )
        received = sumifs(payments_table, "amount", *money_in)
        auto = [("currency", cur), ("status", "auto")]
        applied = (
            sumifs("allocations", "amount_applied", *auto, ("document_id", other_than("")))
            + "+"
            + sumifs("allocations", "difference", *auto)
        )
        left = sumifs("unapplied", "amount_unapplied", ("currency", cur))
        allocated = (
            sumifs("allocations", "amount_applied", ("currency", cur))
            + "+"
            + sumifs("allocations", "difference", ("currency", cur))
        )
        r = ctl[(section, "Payments received", cur)]
        a = ctl[(section, "Applied to documents (auto)", cur)]
        d = ctl[(section, "Short-payment differences", cur)]
        u = ctl[(section, "Unapplied: on account, to review, unidentified", cur)]
        total = int(
            result.allocations.loc[
                result.allocations["currency"].eq(cur), ["amount_applied", "difference"]
            ]
            .fillna(0)
            .to_numpy()
            .sum()
        )
        rows += [
            ControlRow("Received", r, formula=f"={received}", currency=cur),
            ControlRow(
                "Applied automatically (with differences)",
                a + d,
                formula=f"={applied}",
                currency=cur,
            ),
            ControlRow(
                "Not applied automatically (Unapplied sheet)", u, formula=f"={left}", currency=cur
            ),
            ControlRow(
                f"Received = applied + not applied ({cur})",
                "OK" if r == a + d + u else "DIFFERENCE",
                formula=if_zero(f"{received}-({applied})-{left}"),
                check=True,
            ),
            ControlRow(
                f"Every payment fully allocated ({cur})",
                "OK" if r == total else "DIFFERENCE",
                formula=if_zero(f"{received}-({allocated})"),
                check=True,
            ),
        ]
    return tuple(rows)


def _aging_rows(result: CloseResult) -> tuple[ControlRow, ...]:
    """Rows in (open items after cash application + unapplied payments) = items aged."""
    rows_in = len(result.open_after) + len(result.unapplied)
    aged = int(result.aging["items"].sum()) if len(result.aging) else 0
    items = f"SUBTOTAL(109,{column_ref('aging', 'items')})"
    return (
        ControlRow("Items in (open after cash application + unapplied payments)", rows_in),
        ControlRow("Items aged (sum of the items column)", aged, formula=f"={items}"),
        ControlRow(
            "Items in = items aged",
            "OK" if rows_in == aged else "DIFFERENCE",
            formula=f'=IF({items}={rows_in},"OK","DIFFERENCE")',
            check=True,
        ),
    )


def settings_table(
    as_of: dt.date,
    buckets: tuple[int, ...],
    policy: MatchPolicy,
    options: ReadOptions,
    extra: list[tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    rows = [
        ("as_of", as_of.isoformat(), "period end: aging date"),
        ("buckets", ",".join(str(b) for b in buckets), "aging bucket limits in days"),
        ("match_threshold", f"{policy.auto_threshold}", "confidence needed to apply automatically"),
        ("tolerance_pct", f"{policy.tolerance_pct}", "short payment settled with a difference, %"),
        ("decimal_separator", options.decimal_separator or "auto", "of amounts in input files"),
        ("date_order", options.date_order, "dmy, mdy or auto (detected per file)"),
        *(extra or []),
    ]
    return pd.DataFrame(rows, columns=SETTINGS.names)


def build_sheets(
    inputs: dict[str, pd.DataFrame],
    result: CloseResult,
    evidence: pd.DataFrame,
    settings: pd.DataFrame,
    facts: list[tuple[str, str]],
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    *,
    charts: bool = True,
) -> list[SheetSpec]:
    """The close workbook's sheets, in order (pure: no file is touched).

    ``charts`` draws the aging chart on the Aging sheet (about 0.3 s a currency).
    """

    def with_source(schema: TableSchema) -> TableSchema:
        return TableSchema(
            schema.name, schema.sheet, (*schema.columns, Column("source", Kind.TEXT))
        )

    sheets = [
        readme_sheet(),
        SheetSpec(
            "Settings",
            "settings",
            settings,
            SETTINGS,
            title="Settings",
            subtitle="Parameters of this run. Change them and run again to get another answer.",
            kind="input",
        ),
    ]
    input_specs = [
        ("customers", CUSTOMERS, "Customers", "Customer master: names, tax ids, payer accounts."),
        ("open_items", OPEN_ITEMS, "OpenItems", "Open items from the ERP before cash application."),
        (
            "bank_lines",
            BANK_LINES,
            "Bank",
            "Bank statement lines; money-in lines are the payments.",
        ),
        ("payments", PAYMENTS, "Payments", "Payments received, to be applied."),
        (
            "trial_balance",
            TRIAL_BALANCE,
            "GL",
            "Trial balance: the AR control accounts to tie out.",
        ),
    ]
    for key, schema, sheet, subtitle in input_specs:
        if key not in inputs:
            continue
        frame = with_source_column(inputs[key])
        totals: tuple[str, ...] = tuple(
            c for c in schema.of_kind(Kind.MONEY) if c in ("amount_open", "amount", "balance")
        )
        sheets.append(
            SheetSpec(
                sheet,
                schema.name,
                frame,
                with_source(schema),
                title=sheet,
                subtitle=subtitle + " Input: as read; 'source' is the file and row.",
                kind="input",
                totals=totals,
                controls=(ControlRow("Rows", len(frame)),),
            )
        )
    alloc = _short_sources(result.allocations)
    alloc.insert(len(ALLOCATIONS.names), "review", "")
    sheets.append(
        SheetSpec(
            "Matches",
            "allocations",
            alloc,
            ALLOCATIONS,
            title="Matches: payments applied to documents",
            subtitle="Review 'suggested' rows: write accept or reject in the review column. "
            "'auto' rows were applied.",
            totals=("amount_applied", "difference"),
            controls=_match_controls(
                result, "bank_lines" if "bank_lines" in inputs else "payments"
            ),
            notes=("Filter the currency column to read the totals per currency.",),
        )
    )
    un = result.unapplied
    sheets.append(
        SheetSpec(
            "Unapplied",
            "unapplied",
            un,
            UNAPPLIED,
            title="Unapplied cash (pagos no identificados y saldos a favor)",
            subtitle="Money received and not applied automatically: investigate, then apply.",
            totals=("amount", "amount_unapplied"),
            controls=(
                ControlRow("Payments not fully applied", len(un)),
                *(
                    ControlRow(
                        f"Unapplied {status}",
                        int(
                            un.loc[
                                un["currency"].eq(cur) & un["status"].eq(status), "amount_unapplied"
                            ].sum()
                        ),
                        currency=cur,
                    )
                    for cur in sorted(un["currency"].unique())
                    for status in ("unmatched", "suggested", "on_account")
                ),
            ),
        )
    )
    labels = aging_schema(buckets)
    sheets.append(
        SheetSpec(
            "Aging",
            "aging",
            result.aging,
            labels,
            title="Aging (antigüedad de saldos)",
            subtitle="Open receivables after cash application by days past due; unapplied "
            "cash is aged as a credit.",
            totals=tuple(c.name for c in labels.columns if c.kind == Kind.MONEY),
            controls=_aging_rows(result)
            + control_rows("Aging", result.controls)
            + control_rows("GL tie-out", result.controls),
            notes=("Filter the currency column to read the totals per currency.",),
            pictures=aging_pictures(result.aging) if charts else (),
        )
    )
    issues = findings_frame(result.findings)
    sheets.append(
        SheetSpec(
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
    )
    sheets.append(
        SheetSpec(
            "Evidence",
            "evidence",
            evidence,
            EVIDENCE,
            title="Evidence",
            subtitle="What went into this run: re-run with the same files (same SHA-256) and "
            "settings to get the same sheets.",
            kind="info",
            controls=tuple(ControlRow(label, value) for label, value in facts),
        )
    )
    return sheets


def run_close_files(
    files: CloseFiles,
    out_path: Path,
    *,
    as_of: dt.date,
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    policy: MatchPolicy | None = None,
    options: ReadOptions | None = None,
    now: dt.datetime | None = None,
    extra_settings: list[tuple[str, str, str]] | None = None,
    extra_sheets: ExtraSheets | None = None,
) -> tuple[CloseResult | None, list[Finding]]:
    """Read, close, write. Returns (None, findings) when an input has errors.

    ``extra_sheets`` adds the sheets of further steps (collections, reconciliations,
    accruals, KPIs) built from the close result; they go before Issues, and their
    findings are listed there.
    """
    policy = policy or MatchPolicy()
    options = options or ReadOptions()
    findings: list[Finding] = []
    inputs: dict[str, pd.DataFrame] = {}
    records: list[InputRecord] = []

    def take(name: str, path: Path, frame: pd.DataFrame, found: list[Finding]) -> None:
        findings.extend(found)
        inputs[name] = frame
        records.append(InputRecord(name, path.name, sha256_file(path), frame))

    oi, f = read_table(files.open_items, OPEN_ITEMS, options)
    take("open_items", files.open_items, oi, f)
    lines, f = read_table(files.payments, BANK_LINES, options)
    if any(x.code == "MISSING_COLUMN" for x in f):
        payments, f = read_payments(files.payments, options)
        take("payments", files.payments, payments, f)
    else:
        from cuadre.model.convert import payments_from_bank_lines

        take("bank_lines", files.payments, lines, f)
        payments = payments_from_bank_lines(lines)
    customers = None
    if files.customers is not None:
        customers, f = read_table(files.customers, CUSTOMERS, options)
        take("customers", files.customers, customers, f)
    tb = None
    if files.trial_balance is not None:
        tb, f = read_table(files.trial_balance, TRIAL_BALANCE, options)
        take("trial_balance", files.trial_balance, tb, f)
    if has_errors(findings):
        return None, findings
    result = run_close(
        oi, payments, customers, as_of, trial_balance=tb, buckets=buckets, policy=policy
    )
    result.findings[:0] = findings
    now = now or dt.datetime.now().replace(microsecond=0)
    facts = [
        *run_facts(now, None),
        ("As of", as_of.isoformat()),
        ("Command", "cuadre close"),
    ]
    more: list[SheetSpec] = []
    if extra_sheets is not None:
        more, found, read = extra_sheets(result)
        result.findings.extend(found)
        records.extend(read)
    sheets = build_sheets(
        inputs,
        result,
        evidence_table(records),
        settings_table(as_of, buckets, policy, options, extra_settings),
        facts,
        buckets,
    )
    inputs_end = max(i for i, s in enumerate(sheets) if s.kind == "input") + 1
    sheets[inputs_end:inputs_end] = [s for s in more if s.kind == "input"]
    at = next(i for i, s in enumerate(sheets) if s.name == "Issues")
    sheets[at:at] = [s for s in more if s.kind != "input"]
    write_workbook(
        out_path,
        sheets,
        properties={"title": f"Cuadre close {as_of:%Y-%m-%d}", "comments": f"cuadre {__version__}"},
    )
    return result, result.findings


def write_demo_inputs(
    data_dir: Path, seed: int, n_customers: int, company: DemoCompany | None = None
) -> tuple[CloseFiles, dt.date]:
    """Write the sample company's input files (CSV) into ``data_dir`` (generated from
    ``seed`` and ``n_customers`` unless given)."""
    from cuadre.demo.generator import generate_company

    company = company or generate_company(seed=seed, n_customers=n_customers)
    data_dir.mkdir(parents=True, exist_ok=True)
    write_table(company.customers, data_dir / "customers.csv", CUSTOMERS)
    write_table(company.open_items, data_dir / "open_items.csv", OPEN_ITEMS)
    write_table(company.bank_lines, data_dir / "bank_lines.csv", BANK_LINES)
    write_table(company.statements, data_dir / "statements.csv", STATEMENTS)
    write_table(company.trial_balance, data_dir / "trial_balance.csv", TRIAL_BALANCE)
    files = CloseFiles(
        data_dir / "open_items.csv",
        data_dir / "bank_lines.csv",
        data_dir / "customers.csv",
        data_dir / "trial_balance.csv",
    )
    return files, company.period_end


def _write_inputs(
    tables: dict[str, pd.DataFrame], schemas: dict[str, TableSchema], data_dir: Path
) -> list[InputRecord]:
    """The demo's further inputs as CSV beside the close's, to try the commands on; their
    evidence records (file, SHA-256, rows, control totals)."""
    records = []
    for name, frame in tables.items():
        path = data_dir / f"{name}.csv"
        write_table(frame, path, schemas[name])
        records.append(InputRecord(name, path.name, sha256_file(path), frame))
    return records


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def demo_steps(company: DemoCompany, data_dir: Path) -> ExtraSheets:
    """The sheets of the steps after the close, for the sample company.

    Collections (with the letters and the statements of account as files in
    ``data_dir``), accruals and the bad-debt provision: each step's planted inputs
    (:mod:`cuadre.demo`) are written to ``data_dir`` as CSV and shown as input sheets.
    """
    from cuadre.collections.dunning import write_letters
    from cuadre.collections.statements import statements_pdf
    from cuadre.demo.accruals_data import demo_accruals_tables
    from cuadre.demo.collections_data import demo_collections_tables
    from cuadre.demo.kpi_data import demo_kpi_tables
    from cuadre.demo.reconcile_data import demo_reconcile_tables
    from cuadre.io.atomic import write_atomic
    from cuadre.workbook import accruals_sheets as acc
    from cuadre.workbook import collections_sheets as col
    from cuadre.workbook import kpi_sheets as kpi
    from cuadre.workbook import reconcile_sheets as rec

    def build(result: CloseResult) -> tuple[list[SheetSpec], list[Finding], list[InputRecord]]:
        as_of = company.period_end
        sheets: list[SheetSpec] = []
        findings: list[Finding] = []
        records: list[InputRecord] = []

        tables = demo_collections_tables(company, result)
        records += _write_inputs(tables, col.INPUT_TABLES, data_dir)
        info = {"name": DEMO_COMPANY, "email": "cobranza@example.com"}
        coll = col.run_collections(
            col.CollectionsInputs.from_close(result, as_of, company.customers, tables, company=info)
        )
        write_letters(coll.letters, data_dir / "letters")
        pdf = statements_pdf(coll.statements, info)
        write_atomic(data_dir / "statements.pdf", lambda path: _write_bytes(path, pdf))
        out, found = col.result_sheets(coll)
        sheets += [*col.collections_input_sheets(tables), *out]
        findings += coll.findings + found

        tables = demo_accruals_tables(company, result)
        records += _write_inputs(tables, acc.INPUT_TABLES, data_dir)
        out, found = acc.accruals_sheets(
            acc.AccrualsInputs.from_close(result, as_of, company.customers, tables)
        )
        sheets += [*acc.accruals_input_sheets(tables), *out]
        findings += found

        tables = demo_reconcile_tables(company, result)
        # the close's own trial balance (the GL sheet) ties out; the demo's GL lines
        # explain a difference only with the trial balance they were planted in
        tables.pop("trial_balance", None)
        tables.pop("gl_lines", None)
        schemas = {
            **rec.INPUT_TABLES,
            "fiscal_docs": FISCAL_DOCS,
            "complements": PAYMENT_COMPLEMENTS,
        }
        records += _write_inputs(tables, schemas, data_dir)
        out, found = rec.reconcile_sheets(
            rec.ReconcileInputs.from_close(
                as_of,
                company.open_items,
                result,
                {
                    "bank_lines": company.bank_lines,
                    "statements": company.statements,
                    "customers": company.customers,
                    "trial_balance": company.trial_balance,
                    **tables,
                },
            )
        )
        sheets += [*rec.reconcile_input_sheets(tables, contract=True), *out]
        findings += found

        tables = demo_kpi_tables(company, result)
        records += _write_inputs(tables, kpi.INPUT_TABLES, data_dir)
        out, found = kpi.kpi_sheets(
            kpi.KpiInputs(
                as_of,
                company.open_items,
                result.aging,
                tables["ar_history"],
                tables["applications"],
                company.customers,
                functional_currency="MXN",
            )
        )
        sheets += [*kpi.kpi_input_sheets(tables), *out]
        findings += found
        return sheets, findings, records

    return build


def run_demo(
    out_path: Path,
    data_dir: Path,
    *,
    seed: int = 2026,
    n_customers: int = 300,
    now: dt.datetime | None = None,
) -> tuple[CloseResult, list[Finding]]:
    from cuadre.demo.generator import generate_company

    company = generate_company(seed=seed, n_customers=n_customers)
    files, period_end = write_demo_inputs(data_dir, seed, n_customers, company)
    result, findings = run_close_files(
        files,
        out_path,
        as_of=period_end,
        now=now,
        extra_settings=[
            ("demo_seed", str(seed), "random seed of the sample company"),
            ("demo_customers", str(n_customers), "customers in the sample company"),
        ],
        extra_sheets=demo_steps(company, data_dir),
    )
    if result is None:  # the bundled sample must always read cleanly
        raise RuntimeError("demo inputs did not validate: " + "; ".join(map(str, findings[:5])))
    return result, findings
