"""The dispute log: invoices (or parts of them) the customer contests.

What
    ``DISPUTES`` is the log: document, reason (pricing, quantity, freight, damaged goods,
    duplicate, other), disputed amount, owner, status (open, resolved, rejected), dates.
    ``split_disputed(open_items, disputes, as_of)`` splits the open items into the
    undisputed part (what dunning and the worklist chase) and the disputed part (which
    the aging shows apart); ``aging_with_disputes`` ages both and adds an informational
    ``disputed`` column to the aging; ``dispute_log`` is the log with the document's
    open amount and ages, for the owners (a document with several open disputes: the
    last one counts, and only its row carries the disputed amount).

Rules
    A dispute counts while its status is ``open`` (or empty) and it was opened on or
    before the as-of date. Its amount (empty: the whole open amount) is taken from the
    document's open amount, installments in due-date order, never more than is open
    (``DISPUTE_EXCEEDS_OPEN`` when it asks for more). A dispute on a document that is
    not open is reported (``DISPUTE_DOCUMENT_NOT_OPEN``), as is a dispute in another
    currency than its document (``DISPUTE_CURRENCY``: the whole open amount is taken).

Why
    A disputed invoice must not get a final demand (the customer is waiting for a credit
    note), yet it is still a receivable: it stays in the aging total, shown apart so
    that the collector and the owner of the dispute each see their part.

Reference: shared DOMAIN.md (people 3 and 5: disputes, deductions); SAP dunning block
on an item (MANSP) plays the same role.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS, age_receivables, aging_schema
from cuadre.findings import Finding, Location, warning
from cuadre.model.tables import Column, Kind, TableSchema

REASONS = ("pricing", "quantity", "freight", "damaged_goods", "duplicate", "other")
STATUSES = ("open", "resolved", "rejected")

DISPUTES = TableSchema(
    name="disputes",
    sheet="Disputes",
    description="The dispute log: documents (or parts) the customer contests.",
    key=("document_id", "opened_on"),
    sort_by=("owner", "opened_on", "document_id"),
    columns=(
        Column("document_id", Kind.TEXT, True, "the invoice disputed"),
        Column("customer_id", Kind.TEXT),
        Column("reason", Kind.ENUM, True, ", ".join(REASONS), REASONS),
        Column("amount", Kind.MONEY, False, "disputed amount; empty: the whole open amount"),
        Column("currency", Kind.CURRENCY),
        Column("owner", Kind.TEXT, False, "who resolves it: sales, logistics, billing"),
        Column("status", Kind.ENUM, False, "open (default), resolved, rejected", STATUSES),
        Column("opened_on", Kind.DATE),
        Column("resolved_on", Kind.DATE),
        Column("note", Kind.TEXT),
    ),
)

DISPUTE_LOG = TableSchema(
    name="dispute_log",
    sheet="DisputeLog",
    description="Open disputes with their document's open amount and age.",
    sort_by=("owner", "opened_on", "document_id"),
    columns=(
        Column("document_id", Kind.TEXT, True),
        Column("customer_id", Kind.TEXT, True),
        Column("customer_name", Kind.TEXT),
        Column("currency", Kind.CURRENCY, True),
        Column("reason", Kind.TEXT, True),
        Column("owner", Kind.TEXT),
        Column("opened_on", Kind.DATE),
        Column("days_open", Kind.INT, False, "as-of date - opened_on"),
        Column("due_date", Kind.DATE),
        Column("days_past_due", Kind.INT),
        Column("amount_open", Kind.MONEY, False, "the document's open amount"),
        Column("amount_disputed", Kind.MONEY, True),
        Column("note", Kind.TEXT),
    ),
)


def open_disputes(disputes: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """Disputes that count at ``as_of``: status open (or empty), opened by then."""
    d = disputes
    status = d["status"].fillna("").astype(str) if "status" in d else pd.Series("", index=d.index)
    keep = status.isin(["", "open"])
    if as_of is not None and "opened_on" in d:
        opened = pd.to_datetime(d["opened_on"])
        keep &= opened.isna() | (opened <= pd.Timestamp(as_of))
    return d[keep].reset_index(drop=True)


def split_disputed(
    open_items: pd.DataFrame, disputes: pd.DataFrame, as_of: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """``(undisputed, disputed, findings)``: open items split by the open disputes.

    Both outputs have the open_items columns; an item partly disputed appears in both
    with the two parts of its ``amount_open`` (they add up to the original row).
    ``disputed`` also carries ``reason``, ``owner`` and ``dispute_amount``.
    """
    findings: list[Finding] = []
    oi = open_items.reset_index(drop=True)
    live = open_disputes(disputes, as_of)
    if live.empty or oi.empty:
        return oi, oi.iloc[0:0].assign(reason="", owner=""), findings
    per_doc = live.drop_duplicates("document_id", keep="last").set_index("document_id")
    unknown = ~live["document_id"].isin(set(oi["document_id"]))
    if unknown.any():
        findings.append(
            warning(
                _loc(live, unknown),
                "DISPUTE_DOCUMENT_NOT_OPEN",
                f"{int(unknown.sum()):,} open disputes name documents that are not open "
                f"({', '.join(live.loc[unknown, 'document_id'].head(5))})",
                "Close the dispute (resolved or rejected) or check the document number.",
            )
        )
    hit = oi["document_id"].isin(per_doc.index).to_numpy()
    items = oi[hit].sort_values(["document_id", "due_date"], kind="stable")
    open_amt = items["amount_open"].fillna(0).astype("int64")
    asked = items["document_id"].map(per_doc["amount"]) if "amount" in per_doc else None
    whole = asked is None or asked.isna()
    if "currency" in per_doc:
        d_cur = items["document_id"].map(per_doc["currency"]).fillna("")
        other = d_cur.ne("") & d_cur.ne(items["currency"])
        if other.any():
            findings.append(
                warning(
                    Location("disputes"),
                    "DISPUTE_CURRENCY",
                    f"{int(other.sum()):,} disputes are in another currency than their document "
                    f"({', '.join(items.loc[other, 'document_id'].head(5))}); the whole open "
                    "amount is taken as disputed",
                    "Give the disputed amount in the document's currency.",
                )
            )
            whole = whole | other
    sign = np.sign(open_amt)
    magnitude = open_amt.abs()
    want = magnitude if asked is None else asked.fillna(0).astype("int64").abs()
    want = want.where(~whole, magnitude.groupby(items["document_id"]).transform("sum"))
    before = magnitude.groupby(items["document_id"]).cumsum() - magnitude
    part = np.clip(want - before, 0, magnitude)
    total_open = magnitude.groupby(items["document_id"]).transform("sum")
    excess = (want > total_open) & ~whole
    if excess.any():
        docs = items.loc[excess, "document_id"].drop_duplicates()
        findings.append(
            warning(
                Location("disputes"),
                "DISPUTE_EXCEEDS_OPEN",
                f"{len(docs):,} disputes ask for more than the document has open "
                f"({', '.join(docs.head(5))}); the open amount is taken",
                "Correct the disputed amount in the log.",
            )
        )
    disputed_amt = (part * sign).astype("int64")
    disputed = items.assign(amount_open=pd.array(disputed_amt.to_numpy(), dtype="Int64"))
    disputed = disputed[disputed_amt.to_numpy() != 0]
    for c in ("reason", "owner"):
        col = per_doc[c] if c in per_doc else pd.Series("", index=per_doc.index)
        disputed[c] = disputed["document_id"].map(col).fillna("").astype(object)
    rest = oi["amount_open"].fillna(0).astype("int64").copy()
    rest.loc[items.index] = open_amt - disputed_amt
    undisputed = oi.assign(amount_open=pd.array(rest.to_numpy(), dtype="Int64"))
    keep = ~hit | (rest.to_numpy() != 0)
    return (
        undisputed[keep].reset_index(drop=True),
        disputed.reset_index(drop=True),
        findings,
    )


def _loc(frame: pd.DataFrame, mask: pd.Series) -> Location:
    first = int(np.flatnonzero(mask.to_numpy())[0])
    if "source_row" in frame and pd.notna(frame["source_row"].iloc[first]):
        return Location(str(frame["source_path"].iloc[first]), int(frame["source_row"].iloc[first]))
    return Location("disputes")


def aging_with_disputes_schema(
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
) -> TableSchema:
    """The schema of :func:`aging_with_disputes`' aging: the contract's aging
    (:func:`cuadre.aging.aging_schema`) plus the informational ``disputed`` column."""
    schema = aging_schema(buckets)
    return dataclasses.replace(
        schema,
        columns=(
            *schema.columns,
            Column("disputed", Kind.MONEY, True, "part of total in open disputes"),
        ),
    )


def aging_with_disputes(
    open_items: pd.DataFrame,
    as_of: dt.date,
    disputes: pd.DataFrame,
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
    customers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """``(aging, disputed_aging, findings)``.

    ``aging`` is the contract aging of every open item (disputed ones included, so it
    still ties to the ledger) with an informational ``disputed`` column (the part of
    ``total`` in dispute; schema :func:`aging_with_disputes_schema`);
    ``disputed_aging`` ages only the disputed parts (schema ``aging_schema``).
    """
    aging, findings = age_receivables(open_items, as_of, buckets, customers)
    _undisputed, disputed, more = split_disputed(open_items, disputes, as_of)
    findings.extend(more)
    cols = [c for c in open_items.columns if c in disputed.columns]
    disputed_aging, _ = age_receivables(disputed[cols], as_of, buckets, customers)
    by = (
        disputed_aging.set_index(["currency", "customer_id"])["total"]
        if len(disputed_aging)
        else pd.Series(dtype="Int64")
    )
    keys = pd.MultiIndex.from_frame(aging[["currency", "customer_id"]]) if len(aging) else None
    values = by.reindex(keys).fillna(0).to_numpy() if keys is not None else []
    aging["disputed"] = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    return aging, disputed_aging, findings


def dispute_log(
    disputes: pd.DataFrame,
    open_items: pd.DataFrame,
    as_of: dt.date,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Open disputes at ``as_of`` with their document (:data:`DISPUTE_LOG`)."""
    live = open_disputes(disputes, as_of)
    _u, disputed, _f = split_disputed(open_items, disputes, as_of)
    docs = open_items.sort_values("due_date", kind="stable").drop_duplicates("document_id")
    docs = docs.set_index("document_id")
    amount = disputed.groupby("document_id")["amount_open"].sum()
    open_amt = open_items.groupby("document_id")["amount_open"].sum()
    day = pd.Timestamp(as_of)
    out = pd.DataFrame({"document_id": live["document_id"].to_numpy()})
    customer = live["customer_id"] if "customer_id" in live else pd.Series("", index=live.index)
    from_doc = out["document_id"].map(docs["customer_id"])
    out["customer_id"] = from_doc.fillna(pd.Series(customer.to_numpy())).astype(object)
    names = docs.drop_duplicates("customer_id").set_index("customer_id")["customer_name"]
    if customers is not None and len(customers):
        master = customers.drop_duplicates("customer_id").set_index("customer_id")
        names = master["customer_name"].combine_first(names)
    out["customer_name"] = out["customer_id"].map(names).astype(object).fillna("")
    cur = live["currency"] if "currency" in live else pd.Series("", index=live.index)
    out["currency"] = (
        out["document_id"].map(docs["currency"]).fillna(pd.Series(cur.to_numpy())).astype(object)
    )
    out["reason"] = live["reason"].to_numpy()
    out["owner"] = (
        live["owner"] if "owner" in live else pd.Series("", index=live.index)
    ).to_numpy()
    opened = (
        pd.to_datetime(live["opened_on"])
        if "opened_on" in live
        else pd.Series(pd.NaT, index=live.index)
    )
    out["opened_on"] = opened.to_numpy(dtype="datetime64[ns]")
    out["days_open"] = pd.array((day - opened).dt.days.to_numpy(), dtype="Int64")
    out["due_date"] = out["document_id"].map(docs["due_date"]).astype("datetime64[ns]")
    out["days_past_due"] = pd.array((day - out["due_date"]).dt.days.to_numpy(), dtype="Int64")
    out["amount_open"] = out["document_id"].map(open_amt).astype("Int64")
    # several open disputes on one document: the last one is applied (split_disputed),
    # so only its row carries the amount and the log's total is what is disputed
    counts = ~live["document_id"].duplicated(keep="last").to_numpy()
    disputed_amt = out["document_id"].map(amount).fillna(0).where(counts, 0)
    out["amount_disputed"] = disputed_amt.astype("Int64")
    note = live["note"] if "note" in live else pd.Series("", index=live.index)
    out["note"] = note.fillna("").to_numpy()
    out = out.sort_values(["owner", "opened_on", "document_id"], kind="stable", na_position="last")
    return out[DISPUTE_LOG.names].reset_index(drop=True)


__all__ = [
    "DISPUTES",
    "DISPUTE_LOG",
    "REASONS",
    "STATUSES",
    "aging_with_disputes",
    "aging_with_disputes_schema",
    "dispute_log",
    "open_disputes",
    "split_disputed",
]
