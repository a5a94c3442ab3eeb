"""Aging of receivables (antigüedad de saldos): open items by days past due.

``age_receivables(open_items, as_of, buckets, customers) -> (aging, findings)``

Every open item is aged, whatever its type: credit notes, unapplied payments and
advances too, with their negative amounts, so the bucket columns always sum to
``total`` and ``total`` equals the open items' sum (checked). Days past due = as-of
date - due date. An item with no due date is aged by its document date plus the
customer's payment terms (customers table), or by its document date alone, and
reported: never dropped. Items dated after the as-of date are not receivables yet on
that date: they are left out of the aging and reported.

Buckets: ``current`` (days <= 0), then ``1-30``, ``31-60``... from the limits given
(default 30, 60, 90, 120) and a last open bucket (``121+``). One row per customer and
currency, amounts in that currency, sorted by currency then customer_id.
Informational columns after ``total``: ``overdue`` (past due, net), ``credits`` (every
negative item), and, each also aged in the buckets above, ``credit_notes``,
``unapplied`` (payments not applied: unapplied cash) and ``advances`` (anticipos), then
``items``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.model.tables import AGING_FIXED, Column, Kind, TableSchema

DEFAULT_BUCKETS = (30, 60, 90, 120)
INFO_COLUMNS = ("overdue", "credits", "credit_notes", "unapplied", "advances", "items")


def bucket_labels(limits: tuple[int, ...] | list[int]) -> list[str]:
    """``(30, 60, 90)`` -> ``current, 1-30, 31-60, 61-90, 91+``."""
    limits = sorted({int(x) for x in limits})
    if not limits or limits[0] <= 0:
        raise ValueError("bucket limits must be positive whole numbers of days")
    labels = ["current"]
    lower = 1
    for lim in limits:
        labels.append(f"{lower}-{lim}")
        lower = lim + 1
    labels.append(f"{lower}+")
    return labels


def parse_buckets(text: str) -> tuple[int, ...]:
    """``"30,60,90"`` -> ``(30, 60, 90)``; raises ValueError with a clear message."""
    try:
        values = tuple(int(x) for x in text.replace(";", ",").split(",") if x.strip())
    except ValueError:
        raise ValueError(
            f'buckets "{text}" must be whole numbers of days separated by commas, such as 30,60,90'
        ) from None
    if not values or any(v <= 0 for v in values) or list(values) != sorted(set(values)):
        raise ValueError(f'buckets "{text}" must be increasing positive numbers, such as 30,60,90')
    return values


def aging_schema(limits: tuple[int, ...] | list[int] = DEFAULT_BUCKETS) -> TableSchema:
    money = [Column(label, Kind.MONEY, True) for label in bucket_labels(limits)]
    return TableSchema(
        name="aging",
        sheet="Aging",
        description="Open receivables by age, one row per customer and currency.",
        columns=(
            Column("customer_id", Kind.TEXT, True),
            Column("customer_name", Kind.TEXT),
            Column("currency", Kind.CURRENCY, True),
            *money,
            Column("total", Kind.MONEY, True),
            Column("overdue", Kind.MONEY),
            Column("credits", Kind.MONEY),
            Column("credit_notes", Kind.MONEY),
            Column("unapplied", Kind.MONEY),
            Column("advances", Kind.MONEY),
            Column("items", Kind.INT),
        ),
    )


def days_past_due(due: pd.Series, as_of: dt.date) -> pd.Series:
    return (pd.Timestamp(as_of) - pd.to_datetime(due)).dt.days


def assign_buckets(days: pd.Series, limits: tuple[int, ...] | list[int]) -> pd.Series:
    """Days past due -> bucket label (``current`` for days <= 0)."""
    labels = bucket_labels(limits)
    edges = [-np.inf, 0, *sorted(limits), np.inf]
    return pd.cut(days, bins=edges, labels=labels, right=True).astype(object)


def effective_due_dates(
    open_items: pd.DataFrame, customers: pd.DataFrame | None = None
) -> tuple[pd.Series, pd.Series]:
    """Due date per item, and a flag for items whose due date was derived."""
    due = open_items["due_date"]
    missing = due.isna()
    terms = pd.Series(0, index=open_items.index, dtype="int64")
    if customers is not None and "payment_terms_days" in customers and len(customers):
        t = customers.drop_duplicates("customer_id").set_index("customer_id")["payment_terms_days"]
        terms = open_items["customer_id"].map(t).fillna(0).astype("int64")
    derived = open_items["document_date"] + pd.to_timedelta(terms, unit="D")
    return due.where(~missing, derived), missing


def age_receivables(
    open_items: pd.DataFrame,
    as_of: dt.date,
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
    customers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Age ``open_items`` at ``as_of``; see the module docstring."""
    findings: list[Finding] = []
    schema = aging_schema(buckets)
    labels = bucket_labels(buckets)
    oi = open_items
    future = oi["document_date"] > pd.Timestamp(as_of)
    if future.any():
        findings.append(
            info(
                Location("open_items"),
                "AFTER_AS_OF",
                f"{int(future.sum()):,} documents dated after {as_of:%Y-%m-%d} are not aged "
                f"(first: {', '.join(oi.loc[future, 'document_id'].head(5))})",
                "Age at a later date to include them.",
            )
        )
        oi = oi[~future]
    due, derived = effective_due_dates(oi, customers)
    if derived.any():
        docs = ", ".join(oi.loc[derived, "document_id"].head(5))
        findings.append(
            warning(
                Location("open_items"),
                "AGED_BY_DOCUMENT_DATE",
                f"{int(derived.sum()):,} items have no due date and were aged by document date "
                f"plus payment terms (first: {docs})",
                "Add the net due dates in the ERP export.",
            )
        )
    days = days_past_due(due, as_of)
    bucket = assign_buckets(days, buckets)
    amount = oi["amount_open"].fillna(0).astype("int64")
    kind = oi["document_type"] if "document_type" in oi else pd.Series("", index=oi.index)
    frame = pd.DataFrame(
        {
            "customer_id": oi["customer_id"],
            "currency": oi["currency"],
            "bucket": pd.Categorical(bucket, categories=labels),
            "amount": amount,
            "kind": kind,
        }
    )
    if frame.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in schema.names})
        return empty, findings
    pivot = frame.pivot_table(
        index=["currency", "customer_id"],
        columns="bucket",
        values="amount",
        aggfunc="sum",
        fill_value=0,
        observed=False,
    ).reindex(columns=labels, fill_value=0)
    pivot.columns = list(labels)
    out = pivot.reset_index()
    out["total"] = out[labels].sum(axis=1)
    out["overdue"] = out[labels[1:]].sum(axis=1)
    extra = (
        frame.assign(
            credits=frame["amount"].where(frame["amount"] < 0, 0),
            credit_notes=frame["amount"].where(frame["kind"].eq("credit_note"), 0),
            unapplied=frame["amount"].where(frame["kind"].eq("payment"), 0),
            advances=frame["amount"].where(frame["kind"].eq("advance"), 0),
        )
        .groupby(["currency", "customer_id"])
        .agg(
            credits=("credits", "sum"),
            credit_notes=("credit_notes", "sum"),
            unapplied=("unapplied", "sum"),
            advances=("advances", "sum"),
            items=("amount", "size"),
        )
    )
    out = out.join(extra, on=["currency", "customer_id"])
    names = _customer_names(oi, customers)
    name_of = names.to_dict()
    out["customer_name"] = out["customer_id"].map(lambda c: name_of.get(c, "") or "")
    for c in [*labels, "total", "overdue", "credits", "credit_notes", "unapplied", "advances"]:
        out[c] = out[c].astype("Int64")
    out["items"] = out["items"].astype("Int64")
    out = out[schema.names].sort_values(["currency", "customer_id"], kind="stable")
    out = out.reset_index(drop=True)

    # conservation: aged total = open items total, per currency
    want = frame.groupby("currency")["amount"].sum()
    got = out.groupby("currency")["total"].sum()
    for cur in want.index:
        if int(got.get(cur, 0)) != int(want[cur]):
            findings.append(
                error(
                    Location("aging"),
                    "AGING_NOT_CONSERVED",
                    f"aging total {int(got.get(cur, 0))} != open items {int(want[cur])} ({cur})",
                )
            )
    return out, findings


def _customer_names(oi: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Series:
    names = (
        oi.loc[oi["customer_name"].ne(""), ["customer_id", "customer_name"]]
        .drop_duplicates("customer_id")
        .set_index("customer_id")["customer_name"]
    )
    if customers is not None and len(customers):
        master = customers.drop_duplicates("customer_id").set_index("customer_id")["customer_name"]
        names = master.combine_first(names)
    return names


__all__ = [
    "AGING_FIXED",
    "DEFAULT_BUCKETS",
    "age_receivables",
    "aging_schema",
    "assign_buckets",
    "bucket_labels",
    "parse_buckets",
]
