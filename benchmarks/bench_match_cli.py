"""End-to-end speed of `cuadre match`: contract CSV in, allocations CSV out.

    python benchmarks/bench_match_cli.py --customers 5000 --invoices 100000

Generates the company (benchmarks/generate.py), then runs the real command line in a
subprocess, as a user would, under /usr/bin/time for wall time and peak memory, and
scores the allocations against the truth. Prints one Markdown row for RESULTS.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from cuadre.demo.score import score_allocations
from cuadre.io.tables import read_table
from cuadre.model import ALLOCATIONS

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                "--customers",
                str(args.customers),
                "--invoices",
                str(args.invoices),
                "--seed",
                str(args.seed),
                "--out",
                str(d),
            ],
            check=True,
            capture_output=True,
        )
        cmd = [
            "/usr/bin/time",
            "-v",
            sys.executable,
            "-m",
            "cuadre",
            "match",
            "--open-items",
            str(d / "open_items.csv"),
            "--payments",
            str(d / "payments.csv"),
            "--customers",
            str(d / "customers.csv"),
            "--out",
            str(d / "allocations.csv"),
        ]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(proc.stderr[-2000:])
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
        alloc, _ = read_table(d / "allocations.csv", ALLOCATIONS)
        truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        truth["amount_applied"] = (
            truth["amount_applied"].str.replace(".", "", regex=False).astype("int64")
        )
        score = score_allocations(alloc, truth)
        n_pay = len(pd.read_csv(d / "payments.csv", usecols=[0]))
        n_oi = len(pd.read_csv(d / "open_items.csv", usecols=[0]))
    print(
        f"| {n_pay:,} | {n_oi:,} | {wall:.1f} | {rss / 1024:,.0f} | {score.auto_rate:.1%} | "
        f"{score.auto_precision:.2%} | {score.customer_rate:.1%} | {score.coverage:.1%} |"
    )


if __name__ == "__main__":
    main()
