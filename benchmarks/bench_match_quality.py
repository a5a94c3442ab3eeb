"""Match quality per scenario over several seeds of the demo company (in process).

    python benchmarks/bench_match_quality.py --seeds 2026 7 11 3 --customers 300
    python benchmarks/bench_match_quality.py --misses misses.csv   # every miss, explained

Generates each company (``cuadre.demo.generator``), runs ``match_payments`` and scores
the allocations against the truth (``cuadre.demo.score``). Prints the headline figures
per seed and a per-scenario table summed over the seeds (Markdown, for RESULTS.md).
``--misses`` writes one row per payment that is not fully and correctly applied
automatically: its scenario, the truth, what Cuadre did and why, for analysis.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from cuadre.demo.generator import generate_company, payments_from_bank_lines
from cuadre.demo.score import score_allocations
from cuadre.matching import match_payments


def _describe(frame: pd.DataFrame) -> str:
    return "; ".join(
        f"{d or '-'}={int(a)}" + (f"[{s}]" if s else "")
        for d, a, s in zip(
            frame["document_id"],
            frame["amount_applied"],
            frame["status"] if "status" in frame else [""] * len(frame),
            strict=True,
        )
    )


def misses(alloc: pd.DataFrame, truth: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """One row per payment with documents whose automatic rows differ from the truth."""
    t_docs = truth[truth["document_id"].ne("")]
    want = t_docs.groupby("line_id").apply(
        lambda g: frozenset(
            zip(g["document_id"], g["amount_applied"].astype("int64"), strict=True)
        ),
        include_groups=False,
    )
    auto = alloc[alloc["status"].eq("auto") & alloc["document_id"].ne("")]
    got = auto.groupby("payment_id").apply(
        lambda g: frozenset(
            zip(g["document_id"], g["amount_applied"].astype("int64"), strict=True)
        ),
        include_groups=False,
    )
    bad = [k for k in want.index if got.get(k, frozenset()) != want[k]]
    if not bad:
        return pd.DataFrame()
    pays = payments.set_index("payment_id")
    by_t = {k: g for k, g in truth[truth["line_id"].isin(bad)].groupby("line_id")}
    by_a = {k: g for k, g in alloc[alloc["payment_id"].isin(bad)].groupby("payment_id")}
    out = []
    for pid in bad:
        t, a, p = by_t[pid], by_a.get(pid, alloc.iloc[0:0]), pays.loc[pid]
        out.append(
            {
                "payment_id": pid,
                "scenario": t["scenario"].iloc[0],
                "wrong_auto": pid in got.index,
                "amount": int(p["amount"]),
                "payer_name": p["payer_name"],
                "payer_account": p["payer_account"],
                "remittance": p["remittance"],
                "truth": _describe(t.assign(status="")),
                "ours": _describe(a),
                "reason": " | ".join(dict.fromkeys(a["reason"])),
            }
        )
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[2026, 7, 11, 3])
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument(
        "--invoices", type=int, default=None, help="open invoices (default 10 per customer)"
    )
    ap.add_argument("--misses", type=Path, help="write the misses here (CSV)")
    args = ap.parse_args()
    per: list[pd.DataFrame] = []
    missed: list[pd.DataFrame] = []
    totals = [0, 0, 0, 0]
    for seed in args.seeds:
        company = generate_company(seed, args.customers, args.invoices)
        pays = payments_from_bank_lines(company.bank_lines)
        started = time.perf_counter()
        alloc, _ = match_payments(company.open_items, pays, company.customers)
        took = time.perf_counter() - started
        s = score_allocations(alloc, company.truth)
        totals = [
            totals[0] + s.auto_correct,
            totals[1] + s.with_documents,
            totals[2] + s.auto_payments,
            totals[3] + s.suggestion_covered,
        ]
        print(
            f"seed {seed}: {len(pays):,} payments in {took:.2f} s; auto rate "
            f"{s.auto_rate:.1%}, precision {s.auto_precision:.2%}, customer "
            f"{s.customer_rate:.1%}, coverage {s.coverage:.1%}, nothing to apply handled "
            f"{s.no_document_handled}/{s.no_document_payments}",
            file=sys.stderr,
        )
        per.append(s.by_scenario)
        if args.misses:
            missed.append(misses(alloc, company.truth, pays).assign(seed=seed))
    by = pd.concat(per).groupby("scenario")[["payments", "auto_correct", "auto_wrong"]].sum()
    by = by.sort_values("payments", ascending=False)
    print(
        f"all seeds: auto rate {totals[0] / totals[1]:.1%} ({totals[0]} of {totals[1]}), "
        f"precision {totals[0] / max(totals[2], 1):.2%} ({totals[2] - totals[0]} wrong), "
        f"coverage {totals[3] / totals[1]:.1%}"
    )
    print("| scenario | receipts | auto right | auto wrong | auto rate |")
    print("|---|---:|---:|---:|---:|")
    for name, r in by.iterrows():
        print(
            f"| {name} | {r['payments']} | {r['auto_correct']} | {r['auto_wrong']} | "
            f"{r['auto_correct'] / r['payments']:.0%} |"
        )
    if args.misses:
        pd.concat(missed).to_csv(args.misses, index=False)


if __name__ == "__main__":
    main()
