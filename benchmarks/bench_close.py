"""Measure the close at scale: speed, memory and match quality.

    python benchmarks/bench_close.py --customers 2000 --invoices 100000 [--workbook]

Generates a sample company (``cuadre.demo.generator``), writes its contract files as
CSV, then times each step as the ``cuadre`` command runs it: read and validate the
tables, match the payments, age the open items, and (with ``--workbook``) write the
close workbook. Match quality is scored against the generator's truth
(``cuadre.demo.score``). Prints one Markdown table row per run for
``benchmarks/RESULTS.md``. Timing belongs here, never in the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

from cuadre.aging import age_receivables
from cuadre.demo.generator import generate_company
from cuadre.demo.score import score_allocations
from cuadre.io.tables import read_payments, read_table, write_table
from cuadre.matching import match_payments
from cuadre.model import BANK_LINES, CUSTOMERS, OPEN_ITEMS, TRIAL_BALANCE


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--invoices", type=int, default=None)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--workbook", action="store_true", help="also write the close workbook")
    ap.add_argument("--scenarios", action="store_true", help="print quality per scenario")
    args = ap.parse_args()

    timings: dict[str, float] = {}

    def step(name: str, started: float) -> float:
        now = time.perf_counter()
        timings[name] = now - started
        print(f"  {name:<22} {timings[name]:8.2f} s", file=sys.stderr)
        return now

    t = time.perf_counter()
    company = generate_company(args.seed, args.customers, args.invoices)
    t = step("generate", t)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_table(company.open_items, d / "open_items.csv", OPEN_ITEMS)
        write_table(company.bank_lines, d / "bank_lines.csv", BANK_LINES)
        write_table(company.customers, d / "customers.csv", CUSTOMERS)
        write_table(company.trial_balance, d / "trial_balance.csv", TRIAL_BALANCE)
        t = step("write csv", t)
        oi, f1 = read_table(d / "open_items.csv", OPEN_ITEMS)
        t = step("read open_items", t)
        pay, f2 = read_payments(d / "bank_lines.csv")
        cust, f3 = read_table(d / "customers.csv", CUSTOMERS)
        t = step("read bank+customers", t)
        errors = [f for f in f1 + f2 + f3 if f.is_error]
        if errors:
            sys.exit("generated inputs did not validate: " + str(errors[0]))
        alloc, _ = match_payments(oi, pay, cust)
        t = step("match", t)
        age_receivables(oi, company.period_end, customers=cust)
        t = step("aging", t)
        if args.workbook:
            from cuadre.workbook.close_book import CloseFiles, run_close_files

            run_close_files(
                CloseFiles(d / "open_items.csv", d / "bank_lines.csv", d / "customers.csv",
                           d / "trial_balance.csv"),
                d / "close.xlsx",
                as_of=company.period_end,
                now=dt.datetime(2026, 11, 1),
            )
            t = step("close workbook (all)", t)
    score = score_allocations(alloc, company.truth)
    for line in score.lines():
        print("  " + line, file=sys.stderr)
    if args.scenarios:
        print(score.by_scenario.to_string(index=False), file=sys.stderr)
    rate = len(pay) / timings["match"] * 60 if timings["match"] else 0
    print(
        f"| {len(oi):,} | {len(pay):,} | {timings['read open_items']:.2f} | "
        f"{timings['match']:.2f} ({rate:,.0f}/min) | {timings['aging']:.2f} | "
        + (f"{timings.get('close workbook (all)', 0):.1f} | " if args.workbook else "- | ")
        + f"{peak_rss_mb():,.0f} | {score.auto_rate:.1%} | {score.auto_precision:.2%} |"
    )


if __name__ == "__main__":
    main()
