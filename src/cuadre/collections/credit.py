"""Credit control: limit, exposure and utilisation; the hold and release lists.

What
    ``credit_status(open_items, customers, as_of, policy, ...)`` gives one row per
    customer (:data:`CREDIT`): credit limit, open AR, open orders, exposure, available
    credit, utilisation, overdue amount and days, and a ``status`` with its reason.
    ``hold_list`` and ``release_list`` cut the sales team's two views out of it.

Rules (:class:`CreditPolicy`)
    - Exposure = open AR (all open items of the customer in the limit's currency,
      credits included) + open orders (``OPEN_ORDERS``, when given).
    - Utilisation = exposure / credit limit (empty without a limit).
    - Hold when exposure > limit, or when an undisputed item is more than
      ``hold_days_overdue`` days past due for at least ``min_overdue_amount`` (days
      past due as the aging counts them: no due date, document date + the customer's
      terms).
    - ``new_hold``: meets a hold rule and was not on the hold list (``CREDIT_HOLDS``);
      its ``held_on`` is the as-of date, so that this run's hold list (:func:`hold_list`:
      ``customer_id``, ``held_on``, ``reason``...) is the next run's ``CREDIT_HOLDS``;
      ``on_hold``: still meets one; ``release``: was on hold and no longer meets any
      (with the payments received since the hold, when ``receipts`` are given: the
      sales team's "payment applied, release the orders"); ``watch``: utilisation at or
      above ``watch_utilisation``; ``ok`` otherwise.
    - Open items in another currency than the limit are converted with ``rates``
      (:mod:`cuadre.fx`, at the as-of date) or, without rates, left out of the exposure
      and reported (``CREDIT_OTHER_CURRENCY``).

Reference: shared DOMAIN.md (person 2: blocks customers at risk and releases blocked
orders once payment is confirmed; person 5: credit holds agreed with sales).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cuadre.aging import effective_due_dates
from cuadre.findings import Finding, Location, warning
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.money import format_amount

CREDIT_STATUSES = ("new_hold", "on_hold", "release", "watch", "ok")

OPEN_ORDERS = TableSchema(
    name="open_orders",
    sheet="OpenOrders",
    description="Sales orders not yet invoiced (they add to the credit exposure).",
    key=("order_id",),
    sort_by=("customer_id", "order_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("order_id", Kind.TEXT, True),
        Column("currency", Kind.CURRENCY, True),
        Column("amount", Kind.MONEY, True, "not yet invoiced"),
        Column("order_date", Kind.DATE),
    ),
)

CREDIT_HOLDS = TableSchema(
    name="credit_holds",
    sheet="CreditHolds",
    description="Customers on credit hold now (the previous run's hold list).",
    key=("customer_id",),
    sort_by=("customer_id",),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("held_on", Kind.DATE),
        Column("reason", Kind.TEXT),
    ),
)

CREDIT = TableSchema(
    name="credit",
    sheet="Credit",
    description="Credit limit, exposure and status per customer.",
    sort_by=("status", "customer_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("customer_name", Kind.TEXT),
        Column("currency", Kind.CURRENCY, True, "the credit limit's currency"),
        Column("credit_limit", Kind.MONEY),
        Column("open_ar", Kind.MONEY, True),
        Column("open_orders", Kind.MONEY, True),
        Column("exposure", Kind.MONEY, True, "open_ar + open_orders"),
        Column("available", Kind.MONEY, False, "credit_limit - exposure"),
        Column("utilisation", Kind.RATIO, False, "exposure / credit_limit"),
        Column("overdue", Kind.MONEY, True, "undisputed, past due"),
        Column("max_days_overdue", Kind.INT, True),
        Column("held_on", Kind.DATE),
        Column("received_since_hold", Kind.MONEY, False, "payments since held_on"),
        Column("status", Kind.ENUM, True, ", ".join(CREDIT_STATUSES), CREDIT_STATUSES),
        Column("reason", Kind.TEXT),
    ),
)


@dataclass(frozen=True)
class CreditPolicy:
    """When to hold a customer; see the module docstring."""

    hold_days_overdue: int = 60
    min_overdue_amount: dict[str, int] | None = None  # minor units per currency; default 0
    watch_utilisation: float = 0.9

    def minimum(self, currency: str) -> int:
        return int((self.min_overdue_amount or {}).get(currency, 0))


def credit_status(
    open_items: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: dt.date,
    policy: CreditPolicy | None = None,
    *,
    open_orders: pd.DataFrame | None = None,
    holds: pd.DataFrame | None = None,
    receipts: pd.DataFrame | None = None,
    disputed: pd.DataFrame | None = None,
    rates: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """The :data:`CREDIT` table and findings; see the module docstring.

    ``disputed`` is the disputed part of the open items
    (:func:`cuadre.collections.disputes.split_disputed`): it counts in the exposure but
    not in the overdue rule.
    """
    policy = policy or CreditPolicy()
    findings: list[Finding] = []
    day = pd.Timestamp(as_of)
    cust = customers.drop_duplicates("customer_id").set_index("customer_id")
    limit_cur = _limit_currency(open_items, cust)
    oi = open_items[open_items["document_date"] <= day]
    oi, other = _in_limit_currency(oi, limit_cur, rates, as_of, findings)
    ar = oi.groupby("customer_id")["amount_open"].sum()

    undisputed = _minus_disputed(oi, disputed)
    days = (day - effective_due_dates(undisputed, customers)[0]).dt.days
    late = undisputed[(days > 0) & (undisputed["amount_open"].fillna(0) > 0)]
    late_days = days[late.index]
    overdue = late.groupby("customer_id")["amount_open"].sum()
    max_days = late_days.groupby(late["customer_id"]).max()
    rule_days = late[late_days > policy.hold_days_overdue]
    old_amount = rule_days.groupby("customer_id")["amount_open"].sum()

    orders = pd.Series(dtype="int64")
    if open_orders is not None and len(open_orders):
        o = open_orders.assign(_cur=open_orders["customer_id"].map(limit_cur))
        mismatch = o["_cur"].notna() & o["currency"].ne(o["_cur"])
        if mismatch.any():
            findings.append(
                warning(
                    Location("open_orders"),
                    "CREDIT_OTHER_CURRENCY",
                    f"{int(mismatch.sum()):,} open orders are in another currency than the "
                    f"customer's credit limit ({', '.join(o.loc[mismatch, 'order_id'].head(5))}); "
                    "they are left out of the exposure",
                    "Give the order amounts in the limit's currency.",
                )
            )
        orders = o[~mismatch].groupby("customer_id")["amount"].sum()

    held = pd.Series(dtype="datetime64[ns]")
    if holds is not None and len(holds):
        h = holds.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        held = (
            pd.to_datetime(h["held_on"])
            if "held_on" in h
            else pd.Series(pd.NaT, index=h.index, dtype="datetime64[ns]")
        )

    ids = pd.Index(
        sorted(
            set(ar.index)
            | set(orders.index)
            | set(held.index)
            | set(cust.index[cust["credit_limit"].notna()] if "credit_limit" in cust else [])
        )
    )
    out = pd.DataFrame(index=ids)
    out["customer_name"] = (
        cust["customer_name"].reindex(ids).fillna("") if "customer_name" in cust else ""
    )
    out["currency"] = limit_cur.reindex(ids).fillna("")
    limit = cust["credit_limit"].reindex(ids) if "credit_limit" in cust else pd.Series(index=ids)
    out["credit_limit"] = limit.astype("Int64")
    out["open_ar"] = ar.reindex(ids).fillna(0).astype("Int64")
    out["open_orders"] = orders.reindex(ids).fillna(0).astype("Int64")
    out["exposure"] = (out["open_ar"] + out["open_orders"]).astype("Int64")
    out["available"] = (out["credit_limit"] - out["exposure"]).astype("Int64")
    lim = out["credit_limit"].astype("float64")
    util = out["exposure"].astype("float64") / lim.where(lim > 0)
    out["utilisation"] = util.astype("float64")
    out["overdue"] = overdue.reindex(ids).fillna(0).astype("Int64")
    out["max_days_overdue"] = max_days.reindex(ids).fillna(0).astype("Int64")
    out["held_on"] = held.reindex(ids).astype("datetime64[ns]")
    out["received_since_hold"] = _received_since(receipts, held, ids, day)

    over_limit = (out["exposure"] > out["credit_limit"]).fillna(False).to_numpy(dtype=bool)
    minimums = out["currency"].map(policy.minimum).astype("int64")
    too_old = (old_amount.reindex(ids).fillna(0).astype("int64") > 0) & (
        old_amount.reindex(ids).fillna(0).astype("int64") >= minimums
    )
    was_held = ids.isin(held.index)
    hold = over_limit | too_old.to_numpy()
    watch = (util >= policy.watch_utilisation).fillna(False).to_numpy(dtype=bool)
    status = np.select(
        [hold & ~was_held, hold & was_held, ~hold & was_held, watch],
        ["new_hold", "on_hold", "release", "watch"],
        "ok",
    )
    out["status"] = status.astype(object)
    # a new hold starts today: the hold list of this run is the next run's credit_holds
    out.loc[status == "new_hold", "held_on"] = day
    out["reason"] = [
        _reason(r, over, old, policy)
        for r, over, old in zip(out.itertuples(), over_limit, too_old.to_numpy(), strict=True)
    ]
    if other:
        findings.append(
            warning(
                Location("open_items"),
                "CREDIT_OTHER_CURRENCY",
                f"{other:,} open items are in another currency than their customer's credit "
                "limit and were left out of the exposure",
                "Give an FX table (rates) to convert them.",
            )
        )
    order = {s: i for i, s in enumerate(CREDIT_STATUSES)}
    out = out.reset_index(names="customer_id")
    out = out.sort_values(
        ["status", "customer_id"],
        key=lambda s: s.map(order) if s.name == "status" else s,
        kind="stable",
    )
    return out[CREDIT.names].reset_index(drop=True), findings


def _limit_currency(open_items: pd.DataFrame, cust: pd.DataFrame) -> pd.Series:
    """The customer's currency (master data), else the currency of most of its items."""
    usual = (
        open_items.groupby(["customer_id", "currency"])
        .size()
        .sort_values(ascending=False)
        .reset_index()
        .drop_duplicates("customer_id")
        .set_index("customer_id")["currency"]
    )
    master = cust["currency"].replace("", np.nan) if "currency" in cust else pd.Series(dtype=object)
    return master.dropna().combine_first(usual).astype(object)


def _in_limit_currency(
    oi: pd.DataFrame,
    limit_cur: pd.Series,
    rates: pd.DataFrame | None,
    as_of: dt.date,
    findings: list[Finding],
) -> tuple[pd.DataFrame, int]:
    target = oi["customer_id"].map(limit_cur).fillna(oi["currency"])
    other = oi["currency"].ne(target)
    if not other.any():
        return oi, 0
    if rates is None:
        return oi[~other], int(other.sum())
    from cuadre.fx import convert

    parts = [oi[~other]]
    for cur in sorted(set(target[other])):
        rows = oi[other & target.eq(cur)]
        amounts, f = convert(rows["amount_open"], rows["currency"], as_of, rates, cur)
        findings.extend(f)
        parts.append(rows.assign(amount_open=amounts, currency=cur))
    return pd.concat(parts).sort_index(), 0


def _minus_disputed(oi: pd.DataFrame, disputed: pd.DataFrame | None) -> pd.DataFrame:
    if disputed is None or disputed.empty:
        return oi
    part = disputed.groupby(["document_id", "due_date"], dropna=False)["amount_open"].sum()
    key = pd.MultiIndex.from_frame(oi[["document_id", "due_date"]])
    taken = part.reindex(key).fillna(0).to_numpy(dtype=np.int64)
    return oi.assign(amount_open=oi["amount_open"].fillna(0).astype("int64") - taken)


def _received_since(
    receipts: pd.DataFrame | None, held: pd.Series, ids: pd.Index, day: pd.Timestamp
) -> pd.Series:
    if receipts is None or receipts.empty or held.empty:
        return pd.Series(pd.NA, index=ids, dtype="Int64")
    r = receipts[receipts["customer_id"].isin(held.index)]
    since = r["customer_id"].map(held)
    dates = pd.to_datetime(r["date"])
    r = r[(dates >= since.fillna(pd.Timestamp.min)) & (dates <= day)]
    got = r.groupby("customer_id")["amount"].sum()
    out = got.reindex(ids).astype("Int64")
    return out.where(ids.isin(held.index), pd.NA)


def _reason(r: Any, over_limit: bool, too_old: bool, policy: CreditPolicy) -> str:
    cur = str(r.currency)
    parts = []
    if over_limit:
        parts.append(
            f"exposure {format_amount(int(r.exposure), cur)} over limit "
            f"{format_amount(int(r.credit_limit), cur)}"
        )
    if too_old:
        parts.append(
            f"items {int(r.max_days_overdue)} days overdue (more than {policy.hold_days_overdue})"
        )
    if r.status == "release":
        got = r.received_since_hold
        paid = "" if pd.isna(got) else f"; {format_amount(int(got), cur)} received since the hold"
        return "no hold rule applies any more" + paid
    if r.status == "watch":
        return f"utilisation {float(r.utilisation):.0%}"
    return "; ".join(parts)


def hold_list(credit: pd.DataFrame) -> pd.DataFrame:
    """Customers to hold (new) or keep on hold, each with its ``held_on`` (the as-of date
    for a new hold): readable as the next run's :data:`CREDIT_HOLDS`."""
    return credit[credit["status"].isin(["new_hold", "on_hold"])].reset_index(drop=True)


def release_list(credit: pd.DataFrame) -> pd.DataFrame:
    """Customers on hold whose hold reasons are gone: release their orders."""
    return credit[credit["status"].eq("release")].reset_index(drop=True)


__all__ = [
    "CREDIT",
    "CREDIT_HOLDS",
    "CREDIT_STATUSES",
    "OPEN_ORDERS",
    "CreditPolicy",
    "credit_status",
    "hold_list",
    "release_list",
]
