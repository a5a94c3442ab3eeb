"""Write a generated sample company as the contract's CSV files.

    python benchmarks/generate.py --customers 2000 --invoices 100000 --seed 1 --out DIR

Writes DIR/customers.csv, open_items.csv, bank_lines.csv, payments.csv (the receipts
of bank_lines as the payments table), statements.csv, trial_balance.csv and truth.csv
(how each receipt should be applied; see ``cuadre.demo.generator``), and prints how
long generating and writing took.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from cuadre.demo.generator import TRUTH, generate_company, payments_from_bank_lines
from cuadre.io.tables import write_table
from cuadre.model.tables import (
    BANK_LINES,
    CUSTOMERS,
    OPEN_ITEMS,
    PAYMENTS,
    STATEMENTS,
    TRIAL_BALANCE,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--customers", type=int, default=300, help="number of customers")
    ap.add_argument(
        "--invoices", type=int, default=None, help="open invoices (default 10 per customer)"
    )
    ap.add_argument("--seed", type=int, default=2026, help="same seed, same company")
    ap.add_argument(
        "--period-end",
        type=date.fromisoformat,
        default=date(2026, 10, 31),
        help="last day of the period, YYYY-MM-DD (default 2026-10-31)",
    )
    ap.add_argument("--out", type=Path, required=True, help="folder for the CSV files")
    args = ap.parse_args(argv)

    start = time.perf_counter()
    company = generate_company(args.seed, args.customers, args.invoices, args.period_end)
    generated = time.perf_counter()

    tables = (
        ("customers", company.customers, CUSTOMERS),
        ("open_items", company.open_items, OPEN_ITEMS),
        ("bank_lines", company.bank_lines, BANK_LINES),
        ("payments", payments_from_bank_lines(company.bank_lines), PAYMENTS),
        ("statements", company.statements, STATEMENTS),
        ("trial_balance", company.trial_balance, TRIAL_BALANCE),
        ("truth", company.truth, TRUTH),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame, schema in tables:
        write_table(frame, args.out / f"{name}.csv", schema)
    written = time.perf_counter()

    for name, frame, _ in tables:
        print(f"  {name + '.csv':<18} {len(frame):>10,} rows")
    print(
        f"generated in {generated - start:.2f} s, written in {written - generated:.2f} s "
        f"(seed {args.seed}, period end {args.period_end.isoformat()}) -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
