"""Measure ``import_erp`` on a large SAP FBL5N spreadsheet export.

    python benchmarks/bench_import_fbl5n.py [--rows 500000] [--keep FILE]

Builds an FBL5N "Spreadsheet" XLSX deterministically with xlsxwriter (constant_memory):
English long labels, one row per customer line item (RV/DR invoices, DG credit memos,
DZ payments, AB residuals; real numbers and dates; document and local currency), an
ALV subtotal row (no document number) after each customer's items and a grand total
at the bottom. Then times python-calamine's raw read of the same file (the floor: the
workbook has to be read) and ``import_erp(..., "sap_fbl5n")``, and prints one Markdown
table row per measure (wall time, CPU time of the process, and peak RSS from
``resource.getrusage``; on a loaded machine the CPU time is the steadier figure). Each
measure runs in its own process so the peak RSS is its own. Goal: the import within ~2x of the
raw read. Timing belongs here, never in the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "Account", "Company Code", "Assignment", "Document Number", "Document Type",
    "Document Date", "Posting Date", "Net due date", "Amount in document currency",
    "Document currency", "Amount in local currency", "Local Currency", "Text",
]  # fmt: skip
TYPES = [("RV", 1), ("DR", 1), ("DG", -1), ("DZ", -1), ("AB", 1)]


def build(path: Path, rows: int, seed: int = 2026) -> int:
    """Write the workbook; returns the number of item rows."""
    import xlsxwriter

    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet1")
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write_row(0, 0, HEADER)
    r, items, doc = 1, 0, 1_800_000_000
    base = dt.datetime(2026, 1, 1)
    customer = 100_000
    grand = 0
    while items < rows:
        customer += 1
        subtotal = 0
        for _ in range(min(rng.randint(1, 40), rows - items)):
            kind, sign = TYPES[rng.randrange(len(TYPES))] if rng.random() < 0.3 else TYPES[0]
            cents = sign * rng.randint(1_000, 5_000_000)
            day = base + dt.timedelta(days=rng.randrange(300))
            doc += 1
            ws.write_string(r, 0, str(customer))
            ws.write_string(r, 1, "1000")
            ws.write_string(r, 2, f"PO-{rng.randrange(10**6):06d}")
            ws.write_string(r, 3, str(doc))
            ws.write_string(r, 4, kind)
            ws.write_datetime(r, 5, day, date_fmt)
            ws.write_datetime(r, 6, day, date_fmt)
            ws.write_datetime(r, 7, day + dt.timedelta(days=30), date_fmt)
            ws.write_number(r, 8, cents / 100, money)
            ws.write_string(r, 9, "EUR")
            ws.write_number(r, 10, cents / 100, money)
            ws.write_string(r, 11, "EUR")
            ws.write_string(r, 12, "Rechnung" if sign > 0 else "Zahlung")
            subtotal += cents
            r += 1
            items += 1
        ws.write_string(r, 0, str(customer))
        ws.write_number(r, 8, subtotal / 100, money)
        ws.write_string(r, 9, "EUR")
        ws.write_number(r, 10, subtotal / 100, money)
        ws.write_string(r, 11, "EUR")
        grand += subtotal
        r += 1
    ws.write_number(r, 8, grand / 100, money)
    ws.write_string(r, 9, "EUR")
    ws.write_number(r, 10, grand / 100, money)
    ws.write_string(r, 11, "EUR")
    wb.close()
    return items


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def measure(what: str, path: str) -> None:
    """Run one measure in this process and print its Markdown row."""
    data = Path(path).read_bytes()
    started, cpu = time.perf_counter(), time.process_time()
    if what == "calamine":
        import io

        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = wb.get_sheet_by_name(wb.sheet_names[0]).to_python(skip_empty_area=False)
        count, note = len(rows) - 1, "raw read of every cell (to_python)"
    else:
        from cuadre.importers.erp import import_erp

        table, findings = import_erp(data, path, "sap_fbl5n")
        errors = [f for f in findings if f.is_error]
        mismatches = [f for f in findings if f.code == "SUBTOTAL_MISMATCH"]
        count = len(table)
        note = f"{len(errors)} errors, {len(mismatches)} subtotal mismatches"
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"| {what} | {count:,} | {seconds:.2f} | {cpu:.2f} | {peak_rss_mb():,.0f} | {note} |",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--keep", type=Path, help="write the workbook here and keep it")
    ap.add_argument("--measure", choices=["calamine", "import"], help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure, args.file)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "fbl5n.xlsx"
        t = time.perf_counter()
        items = build(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"built {items:,} items, {size:.1f} MB in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)  # fmt: skip
        print("| step | rows | wall s | CPU s | peak RSS MB | note |")
        print("|---|---:|---:|---:|---:|---|")
        for what in ("calamine", "import"):
            subprocess.run(
                [sys.executable, __file__, "--measure", what, "--file", str(path)], check=True
            )


if __name__ == "__main__":
    main()
