"""Score an allocations table against the generator's truth (match quality).

A payment counts as **correct automatic** when the documents Cuadre applied to it
automatically, with their amounts, are exactly the truth's documents and amounts.
The headline figures, as in the cash-application issue:

- ``auto_rate``: correct automatic payments / payments that have documents to apply;
- ``auto_precision``: correct automatic payments / payments with any automatic
  application (a wrong automatic application is the costly error);
- ``row_precision``: automatic (document, amount) rows that are in the truth / all
  automatic rows;
- handling of the payments with nothing to apply: on account to the right customer
  (advances, duplicates) or unmatched (unidentified).

Scores per scenario show where the matcher is weak.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Score:
    payments: int
    with_documents: int
    auto_payments: int
    auto_correct: int
    auto_rows: int
    auto_rows_correct: int
    no_document_payments: int
    no_document_handled: int
    by_scenario: pd.DataFrame
    customer_identified: int = 0
    suggestion_covered: int = 0

    @property
    def auto_rate(self) -> float:
        return self.auto_correct / self.with_documents if self.with_documents else 0.0

    @property
    def auto_precision(self) -> float:
        return self.auto_correct / self.auto_payments if self.auto_payments else 1.0

    @property
    def row_precision(self) -> float:
        return self.auto_rows_correct / self.auto_rows if self.auto_rows else 1.0

    def lines(self) -> list[str]:
        return [
            f"payments: {self.payments:,}",
            f"auto rate (fully and correctly applied automatically): {self.auto_rate:.1%} "
            f"({self.auto_correct:,} of {self.with_documents:,} with documents to apply)",
            f"auto precision: {self.auto_precision:.2%} ({self.auto_correct:,} of "
            f"{self.auto_payments:,} payments with automatic applications)",
            f"auto row precision: {self.row_precision:.2%}",
            f"nothing to apply, handled right (on account / unmatched): "
            f"{self.no_document_handled:,} of {self.no_document_payments:,}",
            f"customer identification: {self.customer_rate:.1%}",
            f"suggestion coverage (truth within auto + suggested): {self.coverage:.1%}",
        ]

    @property
    def customer_rate(self) -> float:
        """Payments with a customer in the truth whose rows name that customer."""
        return self.customer_identified / self.payments if self.payments else 0.0

    @property
    def coverage(self) -> float:
        return self.suggestion_covered / self.with_documents if self.with_documents else 0.0


def _pairs(frame: pd.DataFrame) -> pd.Series:
    docs = frame[frame["document_id"].ne("")]
    pairs = list(zip(docs["document_id"], docs["amount_applied"].astype("int64"), strict=True))
    return (
        pd.Series(pairs, index=docs["key"], dtype=object)
        .groupby(level=0)
        .agg(lambda s: frozenset(s))
    )


def score_allocations(allocations: pd.DataFrame, truth: pd.DataFrame) -> Score:
    """Compare ``allocations`` (payment_id = line_id) with the generator's ``truth``."""
    t = truth.assign(key=truth["line_id"])
    a = allocations.assign(key=allocations["payment_id"])
    truth_pairs = _pairs(t)
    auto = a[a["status"].eq("auto")]
    auto_pairs = _pairs(auto)
    keys = t.drop_duplicates("key").set_index("key")
    scenario = keys["scenario"]
    with_docs = truth_pairs.index
    correct = [k for k in auto_pairs.index if truth_pairs.get(k) == auto_pairs[k]]
    truth_rows = {(k, d, int(v)) for k, s in truth_pairs.items() for d, v in s}
    auto_docs = auto[auto["document_id"].ne("")]
    rows_correct = sum(
        (k, d, int(v)) in truth_rows
        for k, d, v in zip(
            auto_docs["key"], auto_docs["document_id"], auto_docs["amount_applied"], strict=True
        )
    )
    no_docs = keys.index.difference(with_docs)
    status = a.drop_duplicates("key").set_index("key")
    handled = 0
    for k in no_docs:
        if k not in status.index:
            continue
        want_customer = keys.at[k, "customer_id"]
        got = status.loc[k]
        if (want_customer and got["status"] == "on_account" and got["customer_id"] == want_customer) or (not want_customer and got["status"] == "unmatched"):
            handled += 1
    truth_customer = keys["customer_id"]
    ours = a[a["customer_id"].ne("")].drop_duplicates("key").set_index("key")["customer_id"]
    identified = int(
        sum(
            (not want and k not in ours.index) or (bool(want) and ours.get(k) == want)
            for k, want in truth_customer.items()
        )
    )
    offered = _pairs(a[a["status"].isin(["auto", "suggested"])])
    covered = sum(
        1
        for k in with_docs
        if k in offered.index and {d for d, _ in truth_pairs[k]} <= {d for d, _ in offered[k]}
    )
    per = pd.DataFrame({"scenario": scenario})
    per["auto_correct"] = per.index.isin(correct)
    per["auto_any"] = per.index.isin(auto_pairs.index)
    per["auto_wrong"] = per["auto_any"] & ~per["auto_correct"]
    by = per.groupby("scenario").agg(
        payments=("auto_any", "size"),
        auto_correct=("auto_correct", "sum"),
        auto_wrong=("auto_wrong", "sum"),
    )
    by["auto_rate"] = (by["auto_correct"] / by["payments"]).round(3)
    return Score(
        payments=len(keys),
        with_documents=len(with_docs),
        auto_payments=len(auto_pairs),
        auto_correct=len(correct),
        auto_rows=len(auto_docs),
        auto_rows_correct=int(rows_correct),
        no_document_payments=len(no_docs),
        no_document_handled=handled,
        by_scenario=by.reset_index(),
        customer_identified=identified,
        suggestion_covered=covered,
    )
