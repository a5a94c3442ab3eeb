"""The collector's worklist: customers ranked by a documented priority score, each with
the next action and whom to contact.

What
    ``collection_worklist(open_items, as_of, customers, ...)`` -> one row per customer
    and currency with something to chase (:data:`WORKLIST`), sorted by ``rank``.

Priority score (0 to 100, the sum of four parts; every part is on the row)
    - ``score_amount`` (0-40): 40 x the share of the customers on the list (same
      currency) whose undisputed overdue amount is smaller than or equal to this one's
      (percentile rank): the largest debts first, without a scale per currency.
    - ``score_days`` (0-30): 30 x the amount-weighted average days past due of the
      overdue items, capped at 120 days, / 120: old debt is harder to collect.
    - ``score_promise`` (-15-20): a broken promise in the last 90 days +20, a partially
      kept one +10; an open promise (not yet due) -15: give the customer the time they
      were given.
    - ``score_credit`` (0-10): over the credit limit or on hold +10; utilisation at or
      above 90 % +5 (:mod:`~cuadre.collections.credit`).

    The score is clipped to 0-100 and rounded to one decimal; ties go to the larger
    overdue amount, then the customer id. An item without a due date is dated as the
    aging dates it: document date + the customer's payment terms.

Next action (the first rule that applies)
    1. an open promise: ``wait: promise of <amount> by <date>``;
    2. a broken or partially kept promise: ``call: promise of <date> broken``;
    3. the dunning level of the oldest overdue item (:mod:`~cuadre.collections.dunning`
       policy): ``send <level name>`` (escalation at the last level);
    4. only disputed items overdue: ``resolve dispute with <owner>``;
    5. nothing overdue, items due within 7 days: ``courtesy reminder before due date``.

    ``contact`` is the customers table's ``contact_name`` and ``phone`` when present,
    and ``email``.

Reference: shared DOMAIN.md (people 3 and 4: portfolio by calls, e-mails and visits;
monthly collection targets).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cuadre.aging import effective_due_dates
from cuadre.collections.disputes import split_disputed
from cuadre.collections.dunning import DunningPolicy, load_policy
from cuadre.collections.promises import promise_summary
from cuadre.findings import Finding
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.money import format_amount

DAYS_CAP = 120
COURTESY_DAYS = 7

WORKLIST = TableSchema(
    name="worklist",
    sheet="Worklist",
    description="Customers to chase, by priority, with the next action.",
    sort_by=("rank",),
    columns=(
        Column("rank", Kind.INT, True),
        Column("customer_id", Kind.TEXT, True),
        Column("customer_name", Kind.TEXT),
        Column("currency", Kind.CURRENCY, True),
        Column("overdue", Kind.MONEY, True, "undisputed, past due"),
        Column("disputed", Kind.MONEY, True),
        Column("due_soon", Kind.MONEY, True, f"due within {COURTESY_DAYS} days"),
        Column("max_days_overdue", Kind.INT, True),
        Column("avg_days_overdue", Kind.RATIO, True, "amount-weighted"),
        Column("promise_status", Kind.TEXT),
        Column("credit_status", Kind.TEXT),
        Column("score", Kind.RATIO, True, "0-100"),
        Column("score_amount", Kind.RATIO, True),
        Column("score_days", Kind.RATIO, True),
        Column("score_promise", Kind.RATIO, True),
        Column("score_credit", Kind.RATIO, True),
        Column("next_action", Kind.TEXT, True),
        Column("contact", Kind.TEXT),
        Column("email", Kind.TEXT),
    ),
)


def collection_worklist(
    open_items: pd.DataFrame,
    as_of: dt.date,
    customers: pd.DataFrame | None = None,
    *,
    disputes: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    credit: pd.DataFrame | None = None,
    policy: DunningPolicy | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """The :data:`WORKLIST`; see the module docstring for the score and the actions.

    ``promises`` is the promise status table, ``credit`` the credit table.
    """
    policy = policy or load_policy()
    findings: list[Finding] = []
    day = pd.Timestamp(as_of)
    oi = open_items[open_items["document_date"] <= day]
    every = oi  # names come from every item: a customer may have only disputed ones
    disputed = oi.iloc[0:0]
    owners = pd.Series(dtype=object)
    if disputes is not None and len(disputes):
        oi, disputed, more = split_disputed(oi, disputes, as_of)
        findings.extend(more)
        owners = disputed.groupby(["customer_id", "currency"])["owner"].agg(
            lambda s: ", ".join(sorted({x for x in s if x})) or "the owner"
        )
    keys = ["customer_id", "currency"]
    due, _derived = effective_due_dates(oi, customers)
    days = (day - due).dt.days
    amount = oi["amount_open"].fillna(0).astype("int64")
    late = (days > 0) & (amount > 0)
    soon = (days <= 0) & (days >= -COURTESY_DAYS) & (amount > 0)
    frame = pd.DataFrame(
        {
            "customer_id": oi["customer_id"],
            "currency": oi["currency"],
            "overdue": amount.where(late, 0),
            "weighted": (amount * days).where(late, 0),
            "days": days.where(late, 0),
            "due_soon": amount.where(soon, 0),
        }
    )
    g = frame.groupby(keys).agg(
        overdue=("overdue", "sum"),
        weighted=("weighted", "sum"),
        max_days_overdue=("days", "max"),
        due_soon=("due_soon", "sum"),
    )
    g["disputed"] = (
        disputed.groupby(keys)["amount_open"].sum().reindex(g.index).fillna(0)
        if len(disputed)
        else 0
    )
    extra = disputed.groupby(keys).size().index.difference(g.index) if len(disputed) else []
    if len(extra):
        add = pd.DataFrame(0, index=extra, columns=g.columns)
        add["disputed"] = disputed.groupby(keys)["amount_open"].sum().reindex(extra)
        g = pd.concat([g, add])
    g = g[(g["overdue"] > 0) | (g["disputed"] > 0) | (g["due_soon"] > 0)]
    if g.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WORKLIST.names}), findings
    g["avg_days_overdue"] = (g["weighted"] / g["overdue"].where(g["overdue"] > 0)).fillna(0.0)
    out = g.reset_index()

    summary = promise_summary(promises, as_of) if promises is not None and len(promises) else None
    if summary is not None:
        out = out.merge(summary, on=keys, how="left")
    for c, default in (("promise_status", ""), ("open_promise_amount", pd.NA)):
        if c not in out:
            out[c] = default
    if "open_promise_date" not in out:
        out["open_promise_date"] = pd.NaT
    out["promise_status"] = out["promise_status"].fillna("").astype(object)
    out["credit_status"] = ""
    util = pd.Series(np.nan, index=out.index)
    if credit is not None and len(credit):
        c = credit.drop_duplicates("customer_id").set_index("customer_id")
        out["credit_status"] = out["customer_id"].map(c["status"]).fillna("").astype(object)
        util = out["customer_id"].map(c["utilisation"]).astype("float64")

    overdue = out["overdue"].astype("float64")
    rank_pct = overdue.where(overdue > 0).groupby(out["currency"]).rank(pct=True, method="max")
    out["score_amount"] = (40 * rank_pct.fillna(0)).round(1)
    out["score_days"] = (30 * out["avg_days_overdue"].clip(upper=DAYS_CAP) / DAYS_CAP).round(1)
    promise_points = {"broken": 20.0, "partially_kept": 10.0, "open": -15.0, "kept": 0.0, "": 0.0}
    out["score_promise"] = out["promise_status"].map(promise_points).fillna(0.0)
    held = out["credit_status"].isin(["new_hold", "on_hold"])
    out["score_credit"] = np.where(held, 10.0, np.where(util.fillna(0) >= 0.9, 5.0, 0.0))
    parts = ["score_amount", "score_days", "score_promise", "score_credit"]
    out["score"] = out[parts].sum(axis=1).clip(0, 100).round(1)

    out["next_action"] = _actions(out, policy, owners)
    _contacts(out, customers, every)
    out = out.sort_values(
        ["score", "overdue", "customer_id"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    out["rank"] = pd.array(np.arange(1, len(out) + 1), dtype="Int64")
    for c in ("overdue", "disputed", "due_soon"):
        out[c] = out[c].astype("Int64")
    out["max_days_overdue"] = out["max_days_overdue"].astype("Int64")
    for c in ("avg_days_overdue", *parts, "score"):
        out[c] = out[c].astype("float64")
    return out[WORKLIST.names], findings


def _actions(out: pd.DataFrame, policy: DunningPolicy, owners: pd.Series) -> list[str]:
    levels = sorted(policy.levels, key=lambda lv: lv.min_days)
    actions = []
    for r in out.itertuples(index=False):
        if r.promise_status == "open" and pd.notna(r.open_promise_date):
            amount = (
                format_amount(int(r.open_promise_amount), r.currency)
                if pd.notna(r.open_promise_amount)
                else "the amount promised"
            )
            actions.append(
                f"wait: promise of {amount} by {pd.Timestamp(r.open_promise_date):%Y-%m-%d}"
            )
        elif r.promise_status in ("broken", "partially_kept"):
            word = "broken" if r.promise_status == "broken" else "partially kept"
            actions.append(f"call: promise {word}")
        elif r.overdue > 0:
            level = [lv for lv in levels if lv.min_days <= r.max_days_overdue]
            actions.append(f"send {level[-1].name}" if level else f"send {levels[0].name}")
        elif r.disputed > 0:
            who = owners.get((r.customer_id, r.currency), "the owner")
            actions.append(f"resolve dispute with {who}")
        else:
            actions.append("courtesy reminder before due date")
    return actions


def _contacts(out: pd.DataFrame, customers: pd.DataFrame | None, oi: pd.DataFrame) -> None:
    names = (
        oi[oi["customer_name"].ne("")]
        .drop_duplicates("customer_id")
        .set_index("customer_id")["customer_name"]
    )
    out["contact"] = ""
    out["email"] = ""
    if customers is not None and len(customers):
        m = customers.drop_duplicates("customer_id").set_index("customer_id")
        names = m["customer_name"].replace("", np.nan).dropna().combine_first(names)
        if "email" in m:
            out["email"] = out["customer_id"].map(m["email"]).astype(object).fillna("")
        bits = [m[c].fillna("").astype(str) for c in ("contact_name", "phone") if c in m]
        if bits:
            joined = bits[0] if len(bits) == 1 else (bits[0] + " " + bits[1]).str.strip()
            out["contact"] = out["customer_id"].map(joined).astype(object).fillna("")
    out["customer_name"] = out["customer_id"].map(names).astype(object).fillna("")


__all__ = ["COURTESY_DAYS", "DAYS_CAP", "WORKLIST", "collection_worklist"]
