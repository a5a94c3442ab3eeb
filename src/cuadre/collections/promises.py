"""Promises to pay: what the customer committed to, and whether the money came.

What
    ``PROMISES`` is the commitments table (customer, amount, currency, promised date,
    the day it was made). ``evaluate_promises(promises, receipts, as_of)`` marks each
    ``kept``, ``partially_kept``, ``broken`` or ``open`` from the payments applied to the
    customer; ``promise_summary`` gives one row per customer for the worklist
    (:data:`PROMISE_SUMMARY`; a broken promise raises the customer's priority).

Rules
    - A payment counts for a promise when it is the same customer and currency and is
      dated from the day the promise was made (``made_on``; when empty, ``lookback_days``
      before the promised date) to the promised date plus ``grace_days`` (the days money
      takes to show up).
    - Payments are used once, oldest payment to the earliest promise first (FIFO): two
      promises are not kept by the same money.
    - Status at ``as_of``: paid in full by the deadline -> ``kept``; deadline passed with
      part paid -> ``partially_kept``, with nothing -> ``broken``; deadline not yet
      reached and not fully paid -> ``open``.

    ``receipts`` has ``customer_id``, ``currency``, ``date`` and ``amount`` (positive):
    ``receipts_from_allocations`` builds it from Cuadre's allocations and payments, and
    ``receipts_from_ledger`` from the history's receipts.

Reference: shared DOMAIN.md (people 2 and 4: tracking payment commitments).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cuadre.aging_history import Ledger
from cuadre.model.tables import Column, Kind, TableSchema

PROMISE_STATUSES = ("kept", "partially_kept", "broken", "open")

PROMISES = TableSchema(
    name="promises",
    sheet="Promises",
    description="Promises to pay: customer, amount and promised date.",
    sort_by=("promise_date", "customer_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("promise_date", Kind.DATE, True, "the day the customer will have paid by"),
        Column("amount", Kind.MONEY, True, "amount promised, positive"),
        Column("currency", Kind.CURRENCY, True),
        Column("made_on", Kind.DATE, False, "the day the promise was made"),
        Column("document_ids", Kind.TEXT, False, "';'-separated documents it covers"),
        Column("contact", Kind.TEXT, False, "who promised"),
        Column("note", Kind.TEXT),
    ),
)

PROMISE_STATUS = TableSchema(
    name="promise_status",
    sheet="PromiseStatus",
    description="Each promise with what was paid toward it and its status.",
    sort_by=("customer_id", "promise_date"),
    columns=(
        *PROMISES.columns,
        Column("deadline", Kind.DATE, True, "promise_date + grace days"),
        Column("paid", Kind.MONEY, True, "payments counted for this promise"),
        Column("shortfall", Kind.MONEY, True, "amount - paid, not below zero"),
        Column("status", Kind.ENUM, True, ", ".join(PROMISE_STATUSES), PROMISE_STATUSES),
        Column("last_payment", Kind.DATE, False, "last payment counted"),
    ),
)

PROMISE_SUMMARY = TableSchema(
    name="promise_summary",
    sheet="PromiseSummary",
    description="Per customer and currency: recent broken and partly kept promises, the "
    "earliest open one and the worst recent status (for the worklist).",
    key=("customer_id", "currency"),
    sort_by=("customer_id", "currency"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("currency", Kind.CURRENCY, True),
        Column(
            "promise_status",
            Kind.TEXT,
            False,
            "worst status of the window: broken > partially_kept > open > kept; empty: none",
        ),
        Column("broken", Kind.INT, True, "promises broken in the window (by deadline)"),
        Column("partially_kept", Kind.INT, True, "promises partly kept in the window"),
        Column("open_promise_date", Kind.DATE, False, "promise_date of the earliest open one"),
        Column("open_promise_amount", Kind.MONEY, False, "its shortfall: still to be paid"),
    ),
)

RECEIPTS = TableSchema(
    name="receipts",
    sheet="Receipts",
    description="Money received from each customer (for promises and releases).",
    sort_by=("date", "customer_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("currency", Kind.CURRENCY, True),
        Column("date", Kind.DATE, True, "value date"),
        Column("amount", Kind.MONEY, True, "positive"),
    ),
)
RECEIPT_COLUMNS = tuple(RECEIPTS.names)


def evaluate_promises(
    promises: pd.DataFrame,
    receipts: pd.DataFrame,
    as_of: dt.date,
    *,
    grace_days: int = 2,
    lookback_days: int = 30,
) -> pd.DataFrame:
    """Status of every promise at ``as_of`` (:data:`PROMISE_STATUS`); see the module doc.

    Only payments dated up to ``as_of`` count. Loops run per promise of the customers
    that have promises (a few thousand at most), never per row of a large table.
    """
    p = promises.reset_index(drop=True).copy()
    day = pd.Timestamp(as_of)
    promised = pd.to_datetime(p["promise_date"])
    made = pd.to_datetime(p["made_on"]) if "made_on" in p else pd.Series(pd.NaT, index=p.index)
    start = made.fillna(promised - pd.Timedelta(days=lookback_days))
    deadline = promised + pd.Timedelta(days=grace_days)
    amount = p["amount"].fillna(0).astype("int64").to_numpy()
    paid = np.zeros(len(p), dtype=np.int64)
    last = np.full(len(p), np.datetime64("NaT"), dtype="datetime64[ns]")

    r = receipts[list(RECEIPT_COLUMNS)]
    r = r[(pd.to_datetime(r["date"]) <= day) & r["customer_id"].isin(set(p["customer_id"]))]
    r = r.sort_values("date", kind="stable")
    by_key = {k: g for k, g in r.groupby(["customer_id", "currency"], sort=False)}
    for key, group in p.groupby(["customer_id", "currency"], sort=False):
        pays = by_key.get(key)
        if pays is None:
            continue
        order = sorted(group.index, key=lambda i: (promised[i], i))
        need = {i: int(amount[i]) for i in order}
        for when, value in zip(
            pd.to_datetime(pays["date"]), pays["amount"].astype("int64"), strict=True
        ):
            left = int(value)
            for i in order:
                if left <= 0:
                    break
                if need[i] <= 0 or not (start[i] <= when <= deadline[i]):
                    continue
                take = min(left, need[i])
                need[i] -= take
                paid[i] += take
                left -= take
                last[i] = when.to_datetime64()
    status = np.where(
        paid >= amount,
        "kept",
        np.where(
            deadline.to_numpy() >= day.to_datetime64(),
            "open",
            np.where(paid > 0, "partially_kept", "broken"),
        ),
    )
    out = p.copy()
    for c in PROMISES.names:
        if c not in out:
            out[c] = "" if PROMISES.column(c).kind == Kind.TEXT else pd.NaT
    out["deadline"] = deadline.astype("datetime64[ns]")
    out["paid"] = pd.array(paid, dtype="Int64")
    out["shortfall"] = pd.array(np.maximum(amount - paid, 0), dtype="Int64")
    out["status"] = status.astype(object)
    out["last_payment"] = last
    out = out.sort_values(["customer_id", "promise_date"], kind="stable")
    return out[PROMISE_STATUS.names].reset_index(drop=True)


def promise_summary(status: pd.DataFrame, as_of: dt.date, window_days: int = 90) -> pd.DataFrame:
    """:data:`PROMISE_SUMMARY`, one row per customer and currency: ``broken`` and ``partially_kept`` counts over
    the last ``window_days`` (by deadline), the ``open_promise_date`` and
    ``open_promise_amount`` of the earliest open promise, and ``promise_status``: the
    worst recent status (broken > partially_kept > open > kept), for the worklist."""
    day = pd.Timestamp(as_of)
    recent = status[status["deadline"] >= day - pd.Timedelta(days=window_days)]
    keys = ["customer_id", "currency"]
    rank = {"broken": 3, "partially_kept": 2, "open": 1, "kept": 0}
    worst = (
        recent.assign(_r=recent["status"].map(rank))
        .sort_values("_r", ascending=False, kind="stable")
        .drop_duplicates(keys)
        .set_index(keys)["status"]
    )
    counts = recent.groupby(keys)["status"].value_counts().unstack(fill_value=0)
    opened = (
        status[status["status"].eq("open")]
        .sort_values("promise_date", kind="stable")
        .drop_duplicates(keys)
        .set_index(keys)
    )
    index = worst.index.union(opened.index)
    out = pd.DataFrame(index=index)
    out["promise_status"] = worst.reindex(index).fillna("").astype(object)
    for c in ("broken", "partially_kept"):
        values = counts[c] if c in counts else pd.Series(0, index=counts.index)
        out[c] = values.reindex(index).fillna(0).astype("Int64")
    out["open_promise_date"] = opened["promise_date"].reindex(index).astype("datetime64[ns]")
    out["open_promise_amount"] = opened["shortfall"].reindex(index).astype("Int64")
    out = out.reset_index()
    return out[PROMISE_SUMMARY.names].sort_values(keys, kind="stable").reset_index(drop=True)


def receipts_from_allocations(allocations: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """Money applied to a known customer (auto or on account), dated by value date; one
    row per payment and customer, with the ``payment_id`` it came from as a last column."""
    a = allocations[
        allocations["status"].isin(["auto", "on_account"]) & allocations["customer_id"].ne("")
    ]
    value = a["amount_applied"].fillna(0).astype("int64")
    if "difference" in a:
        # an overpayment stays on the customer's account: it is money received too
        value = value + a["difference"].fillna(0).astype("int64").clip(lower=0)
    dates = payments.drop_duplicates("payment_id").set_index("payment_id")["value_date"]
    frame = pd.DataFrame(
        {
            "payment_id": a["payment_id"].to_numpy(),
            "customer_id": a["customer_id"].to_numpy(),
            "currency": a["currency"].to_numpy(),
            "amount": value.to_numpy(),
        }
    )
    out = frame.groupby(["payment_id", "customer_id", "currency"], as_index=False)["amount"].sum()
    out["date"] = out["payment_id"].map(dates).astype("datetime64[ns]")
    out = out[out["amount"] > 0]
    return out[[*RECEIPT_COLUMNS, "payment_id"]].reset_index(drop=True)


def receipts_from_ledger(ledger: Ledger, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The history's receipts between two days, as positive amounts per customer."""
    flows = ledger.flows(start, end)
    r = flows[flows["category"].eq("receipts")]
    out = pd.DataFrame(
        {
            "customer_id": r["customer_id"].to_numpy(),
            "currency": r["currency"].to_numpy(),
            "date": r["date"].to_numpy(),
            "amount": -r["amount"].to_numpy(dtype=np.int64),
        }
    )
    return out[out["amount"] > 0].reset_index(drop=True)


__all__ = [
    "PROMISES",
    "PROMISE_STATUS",
    "PROMISE_STATUSES",
    "PROMISE_SUMMARY",
    "RECEIPTS",
    "evaluate_promises",
    "promise_summary",
    "receipts_from_allocations",
    "receipts_from_ledger",
]
