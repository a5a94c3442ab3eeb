"""Measure aging at scale: open items today, and an as-of rebuild over a long history.

    python benchmarks/bench_aging.py [--open-items 1000000] [--history 5000000]

Two runs, each in the same process after generating its synthetic data (vectorised,
numpy only; not timed):

1. ``age_receivables`` on N open items (50 per customer, three currencies, 2 % credits,
   0.2 % without due date): the contract aging of ``cuadre aging``.
2. ``build_ledger`` over M history rows (invoices over two years, 85 % cleared by
   receipts that are not items, 5 % partly paid through dated applications, 2 % credit
   notes cleared against invoices), then ``aging_as_of`` at a date a year back and
   ``roll_forward`` for that month: what ``cuadre aging --history`` does.

Prints Markdown table rows (step, rows, seconds, peak RSS) for the README. Goals: well
under 5 s for 1M open items and 30 s for the 5M-row rebuild.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time

import numpy as np
import pandas as pd

from cuadre.aging import age_receivables
from cuadre.aging_history import aging_as_of, build_ledger, roll_forward

AS_OF = dt.date(2026, 10, 31)
CURRENCIES = np.array(["MXN", "USD", "COP"], dtype=object)


def peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024


def _ids(prefix: str, n: int) -> np.ndarray:
    return (prefix + pd.Index(np.arange(n)).astype(str)).to_numpy(dtype=object)


def _text_frame(columns: dict[str, object]) -> pd.DataFrame:
    """A frame whose text columns are ``object`` (as read_table gives), not pandas ``str``."""
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
            for k, v in columns.items()
        }
    )


def _customers(rng: np.random.Generator, n_customers: int, n: int) -> tuple[np.ndarray, ...]:
    ids = _ids("C", n_customers)
    names = _ids("Customer ", n_customers)
    cur = CURRENCIES[rng.choice(3, n_customers, p=[0.6, 0.2, 0.2])]
    who = rng.integers(0, n_customers, n)
    return ids[who], names[who], cur[who]


def open_items(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cid, name, cur = _customers(rng, max(n // 50, 1), n)
    end = np.datetime64(AS_OF, "D")
    doc = end - rng.integers(0, 400, n).astype("timedelta64[D]")
    due = doc + rng.choice([0, 15, 30, 60, 90], n).astype("timedelta64[D]")
    credit = rng.random(n) < 0.02
    amount = rng.lognormal(10, 1.2, n).astype(np.int64) + 1
    amount = np.where(credit, -amount, amount)
    due_dates = pd.Series(due.astype("datetime64[ns]"))
    due_dates[rng.random(n) < 0.002] = pd.NaT
    return _text_frame(
        {
            "customer_id": cid,
            "customer_name": name,
            "document_id": _ids("D", n),
            "document_type": np.where(credit, "credit_note", "invoice").astype(object),
            "document_date": doc.astype("datetime64[ns]"),
            "due_date": due_dates,
            "currency": cur,
            "amount_open": pd.array(amount, dtype="Int64"),
            "amount_original": pd.array(amount, dtype="Int64"),
            "reference": np.full(n, "", dtype=object),
            "tax_id": np.full(n, "", dtype=object),
            "fiscal_uuid": np.full(n, "", dtype=object),
            "company": np.full(n, "", dtype=object),
        }
    )


def history(n: int, seed: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cid, name, cur = _customers(rng, max(n // 250, 1), n)
    end = np.datetime64(AS_OF, "D")
    doc = end - rng.integers(0, 730, n).astype("timedelta64[D]")
    due = doc + rng.choice([0, 15, 30, 60, 90], n).astype("timedelta64[D]")
    paid = due + rng.integers(-10, 60, n).astype("timedelta64[D]")
    cleared = (paid <= end) & (rng.random(n) < 0.95)
    credit = rng.random(n) < 0.02
    amount = rng.lognormal(10, 1.2, n).astype(np.int64) + 1
    amount = np.where(credit, -amount, amount)
    ids = _ids("D", n)
    receipts = _ids("R", n)
    # credit notes clear against an invoice of their own: same clearing document (an item)
    clearing_doc = np.where(credit, ids, receipts)
    partial = ~cleared & (rng.random(n) < 0.05)
    applied = np.where(partial, amount // 3, 0)
    hist = _text_frame(
        {
            "customer_id": cid,
            "customer_name": name,
            "document_id": ids,
            "document_type": np.where(credit, "credit_note", "invoice").astype(object),
            "document_date": doc.astype("datetime64[ns]"),
            "due_date": due.astype("datetime64[ns]"),
            "currency": cur,
            "amount_original": pd.array(amount, dtype="Int64"),
            "amount_open": pd.array(np.where(cleared, 0, amount - applied), dtype="Int64"),
            "clearing_date": pd.Series(np.where(cleared, paid, np.datetime64("NaT"))).astype(
                "datetime64[ns]"
            ),
            "clearing_document": np.where(cleared, clearing_doc, "").astype(object),
        }
    )
    p = np.flatnonzero(partial)
    when = np.minimum(doc[p] + rng.integers(0, 60, len(p)).astype("timedelta64[D]"), end)
    apps = _text_frame(
        {
            "document_id": ids[p],
            "currency": cur[p],
            "applied_date": when.astype("datetime64[ns]"),
            "amount_applied": pd.array(applied[p], dtype="Int64"),
            "applying_document": receipts[p],
        }
    )
    return hist, apps


def row(step: str, rows: int, seconds: float) -> str:
    return f"| {step} | {rows:,} | {seconds:.2f} | {peak_rss_mb():,.0f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--open-items", type=int, default=1_000_000)
    ap.add_argument("--history", type=int, default=5_000_000)
    args = ap.parse_args()
    lines = ["| step | rows | seconds | peak RSS MB |", "|---|---:|---:|---:|"]

    oi = open_items(args.open_items)
    t = time.perf_counter()
    aging, _ = age_receivables(oi, AS_OF)
    lines.append(row("aging (age_receivables)", len(oi), time.perf_counter() - t))
    assert int(aging["total"].sum()) == int(oi["amount_open"].sum())
    del oi, aging

    hist, apps = history(args.history)
    t0 = time.perf_counter()
    ledger, _ = build_ledger(hist, apps)
    t1 = time.perf_counter()
    lines.append(row("build_ledger (history + applications)", len(hist) + len(apps), t1 - t0))
    past = dt.date(2025, 10, 31)
    aging, _ = aging_as_of(ledger, past)
    t2 = time.perf_counter()
    lines.append(
        row(f"aging_as_of {past} (items open then: {aging['items'].sum():,})", len(hist), t2 - t1)
    )
    _rf, findings = roll_forward(ledger, dt.date(2025, 10, 1), past)
    t3 = time.perf_counter()
    assert not [f for f in findings if f.code == "ROLL_FORWARD_DIFFERENCE"], findings
    lines.append(row("roll_forward one month (ties)", len(hist), t3 - t2))
    lines.append(row("as-of rebuild total", len(hist), t3 - t0))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
