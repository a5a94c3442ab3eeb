"""Benchmark: bank-to-book and SAT-vs-ERP reconciliations at 200,000 items a side.

Generates deterministic synthetic data in memory (nothing is written to disk):

- **bank**: N bank lines and N book entries; the book holds most lines again, dated 0-2
  days apart, a third with a reference the bank text repeats; 5% of all amounts are one
  round amount (so the one-to-one pass meets a crowd of equal candidates), 1% of lines
  are only in the bank, 1% only in the books, and every 200th book receipt is split in
  two bank lines (found by the sum pass);
- **sat**: N CFDI (invoices, 5% credit notes, half PPD), a payment complement for most
  paid PPD invoices, and an ERP register of the same documents with planted problems
  (0.5% missing in the ERP, 0.5% not stamped, 0.5% amount differences, 0.2% cancelled
  in the SAT but open, 1% PPD paid without complement).

Each scenario runs in a fresh process so its peak RSS (``resource.getrusage``) is its
own; each prints one Markdown table row: scenario, items per side, seconds (the
reconciliation only, not the data generation), peak RSS.

    python benchmarks/bench_reconcile.py [N]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from cuadre.reconcile.bank import reconcile_bank
from cuadre.reconcile.sat import reconcile_sat

DAY0 = pd.Timestamp("2026-10-01")


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i:07d}" for i in range(n)], dtype=object)


def _text(values: list[str] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)


def bank_data(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = DAY0 + pd.to_timedelta(rng.integers(0, 31, n), unit="D")
    amount = rng.integers(1, 5_000_000, n) * np.where(rng.random(n) < 0.3, -1, 1)
    amount[rng.random(n) < 0.05] = 100_000
    refs = np.array([str(100_000 + i) if i % 3 == 0 else "" for i in range(n)], dtype=object)
    in_bank = rng.random(n) > 0.01
    in_book = rng.random(n) > 0.01
    split = (np.arange(n) % 200 == 0) & (amount > 1) & in_bank & in_book
    bank_rows = pd.DataFrame(
        {
            "line_id": _ids("L", n),
            "statement_id": "S-2026-10",
            "account": "012180001234567897",
            "currency": "MXN",
            "booking_date": days.astype("datetime64[ns]"),
            "value_date": days.astype("datetime64[ns]"),
            "amount": amount,
            "counterparty_name": _text([f"CLIENTE {i % 5000}" for i in range(n)]),
            "remittance": _text([f"PAGO REF {r}" if r else "SPEI" for r in refs]),
            "bank_reference": "",
            "end_to_end_id": "",
            "type_code": "",
            "source_file": "bench",
        }
    )[in_bank & ~split]
    halves = bank_rows.iloc[0:0]
    if split.any():
        first = amount[split] // 3
        base = pd.DataFrame(
            {
                "line_id": _ids("LS", int(split.sum())),
                "currency": "MXN",
                "booking_date": days[split].astype("datetime64[ns]"),
                "remittance": "TRANSFERENCIA PARCIAL",
            }
        )
        halves = pd.concat(
            [
                base.assign(amount=first),
                base.assign(line_id=base["line_id"] + "B", amount=amount[split] - first),
            ],
            ignore_index=True,
        )
    bank = pd.concat([bank_rows, halves], ignore_index=True)
    for col in (
        "statement_id",
        "account",
        "counterparty_name",
        "bank_reference",
        "end_to_end_id",
        "type_code",
        "source_file",
        "value_date",
    ):
        if col == "value_date":
            bank[col] = bank[col].fillna(bank["booking_date"])
        else:
            bank[col] = bank[col].fillna("").astype(object)
    bank["amount"] = bank["amount"].astype("Int64")
    shift = pd.to_timedelta(rng.integers(-2, 3, n), unit="D")
    book = pd.DataFrame(
        {
            "posting_id": _ids("G", n),
            "account": "1020-01",
            "posting_date": (days + shift).astype("datetime64[ns]"),
            "currency": "MXN",
            "amount": pd.array(amount, dtype="Int64"),
            "document_id": "",
            "reference": refs,
            "description": "",
            "source": "receipts",
            "customer_id": "",
            "company": "",
        }
    )[in_book]
    return bank.sample(frac=1, random_state=1).reset_index(drop=True), book.reset_index(drop=True)


def sat_data(n: int, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    uuid = _text([f"{i:08X}-AAAA-4BBB-8CCC-{i:012X}" for i in range(n)])
    credit = rng.random(n) < 0.05
    ppd = (rng.random(n) < 0.5) & ~credit
    total = rng.integers(10_000, 50_000_000, n)
    rfc = _text([f"XAX{i % 20000:06d}AB{i % 10}" for i in range(n)])
    issue = (DAY0 + pd.to_timedelta(rng.integers(0, 31, n), unit="D")).astype("datetime64[ns]")
    cancelled = rng.random(n) < 0.002
    docs = pd.DataFrame(
        {
            "uuid": uuid,
            "kind": np.where(credit, "credit_note", "invoice").astype(object),
            "series": "A",
            "folio": _text([str(i) for i in range(n)]),
            "document_number": _text([f"A{i}" for i in range(n)]),
            "issuer_tax_id": "EKU9003173C9",
            "issuer_name": "EMISOR",
            "receiver_tax_id": rfc,
            "receiver_name": "",
            "issue_date": issue,
            "due_date": pd.NaT,
            "currency": "MXN",
            "exchange_rate": "",
            "subtotal": pd.NA,
            "discount": pd.NA,
            "taxes_transferred": pd.NA,
            "taxes_withheld": pd.NA,
            "charges": pd.NA,
            "prepaid": pd.NA,
            "total": pd.array(total, dtype="Int64"),
            "payment_method": np.where(ppd, "PPD", "PUE").astype(object),
            "payment_form": "99",
            "status": np.where(cancelled, "cancelled", "valid").astype(object),
            "cancellation_date": pd.NaT,
            "related_uuids": "",
            "source_file": "bench.zip",
        }
    )
    paid = ppd & (rng.random(n) < 0.6)
    without_rep = paid & (rng.random(n) < 0.02)
    with_rep = np.flatnonzero(paid & ~without_rep)
    reps = pd.DataFrame(
        {
            "complement_uuid": _text([f"P{i:07d}-0000-4000-8000-000000000000" for i in with_rep]),
            "payment_index": 1,
            "payment_date": issue[with_rep] + pd.Timedelta(days=10),
            "payment_form": "03",
            "payment_currency": "MXN",
            "payment_amount": pd.array(total[with_rep], dtype="Int64"),
            "related_index": 1,
            "related_uuid": uuid[with_rep],
            "related_series": "A",
            "related_folio": "",
            "currency": "MXN",
            "equivalence": "1",
            "installment": pd.array(np.ones(len(with_rep), dtype=int), dtype="Int64"),
            "balance_before": pd.array(total[with_rep], dtype="Int64"),
            "amount_paid": pd.array(total[with_rep], dtype="Int64"),
            "balance_after": pd.array(np.zeros(len(with_rep), dtype=int), dtype="Int64"),
            "issuer_tax_id": "EKU9003173C9",
            "receiver_tax_id": rfc[with_rep],
            "source_file": "bench.zip",
        }
    )
    pay_docs = docs.iloc[with_rep].assign(
        uuid=reps["complement_uuid"].to_numpy(),
        kind="payment",
        currency="XXX",
        total=0,
        payment_method="",
        status="valid",
        issue_date=reps["payment_date"].to_numpy(),
    )
    keep = rng.random(n) > 0.005  # missing in the ERP
    amount = np.where(credit, -total, total)
    amount = np.where(rng.random(n) < 0.005, amount + 100, amount)  # amount differences
    open_ = np.where(paid, 0, amount)
    erp = pd.DataFrame(
        {
            "customer_id": rfc,
            "customer_name": "",
            "document_id": _text([f"A-{i}" for i in range(n)]),
            "document_type": np.where(credit, "credit_note", "invoice").astype(object),
            "document_date": issue,
            "due_date": issue,
            "currency": "MXN",
            "amount_open": pd.array(open_, dtype="Int64"),
            "amount_original": pd.array(amount, dtype="Int64"),
            "reference": "",
            "tax_id": rfc,
            "fiscal_uuid": np.where(rng.random(n) < 0.005, "", uuid).astype(object),
            "company": "",
            "payment_method": "",
        }
    )[keep]
    extra = pd.DataFrame({c: erp[c].iloc[: n // 200] for c in erp.columns}).assign(
        document_id=lambda f: "Z-" + f["document_id"], fiscal_uuid=""
    )
    erp = pd.concat([erp, extra], ignore_index=True)  # not stamped
    all_docs = pd.concat([docs, pay_docs], ignore_index=True)
    return all_docs, reps, erp


def run(scenario: str, n: int) -> None:
    if scenario == "bank":
        bank, book = bank_data(n)
        start = time.perf_counter()
        r = reconcile_bank(bank, book)
        seconds = time.perf_counter() - start
        detail = (
            f"{len(r.matched):,} matched, {len(r.left_only):,} bank only, "
            f"{len(r.right_only):,} book only"
        )
        sides = f"{len(bank):,} / {len(book):,}"
    else:
        docs, reps, erp = sat_data(n)
        start = time.perf_counter()
        r = reconcile_sat(docs, erp, payment_complements=reps)
        seconds = time.perf_counter() - start
        checks = r.extra["complement_checks"]
        detail = (
            f"{len(r.matched):,} matched, {len(r.differences):,} differences, "
            f"{len(checks):,} complement checks"
        )
        sides = (
            f"{int((docs['kind'] != 'payment').sum()):,} CFDI + {len(reps):,} REP / {len(erp):,}"
        )
    assert r.balanced or scenario == "bank", "the control block must balance"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {scenario} | {sides} | {seconds:.1f} | {peak_mb:.0f} | {detail} |", flush=True)


def main(n: int = 200_000) -> None:
    print("| reconciliation | items (left / right) | seconds | peak RSS MB | result |")
    print("|---|---:|---:|---:|---|", flush=True)
    for scenario in ("bank", "sat"):
        subprocess.run([sys.executable, __file__, "--one", scenario, str(n)], check=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        run(sys.argv[2], int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
