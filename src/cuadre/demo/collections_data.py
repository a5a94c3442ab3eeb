"""The sample company's collections inputs: promises, disputes, holds and open orders.

What
    :func:`demo_collections_tables` adds to a generated company (:mod:`cuadre.demo.generator`)
    and its close (:func:`cuadre.close.run_close`) the four collections inputs of
    :data:`cuadre.workbook.collections_sheets.INPUT_TABLES`, planted so that every case
    of the collections sheets shows up in the demo workbook:

    - ``promises``: kept (a payment of the bank file, applied to the customer, came by
      the promised date), partially kept (some of it came), broken (nothing came; the
      customer rises on the Worklist), open (promised for after the close: the dunning
      letter waits);
    - ``disputes``: pricing, quantity, freight, damaged goods and duplicate billing, on
      overdue invoices that would otherwise be dunned (a customer whose only overdue
      invoice is disputed gets no letter at all), on old invoices and on one not yet
      due; some open, some resolved (invoices paid this month) and one rejected (its
      invoice is dunned again);
    - ``credit_holds``: the last hold list: most of today's holds were already on it
      (``on_hold``), and customers whose payment has been applied since and that no
      hold rule catches any more (the release list);
    - ``open_orders``: orders not yet invoiced, two of them pushing a customer within
      its limit over it.

    Credit limits are the generator's ``credit_limit`` column of the customers.

How
    Everything is drawn from ``numpy.random.default_rng`` seeded from the company itself
    (its period end and customer ids): the same company gives the same tables, byte for
    byte. Candidates are sorted before they are drawn; each customer plays one part at
    most, so that every planted case can be seen on its own. Counts scale with the
    number of customers (the figures below are for 300) and a case is left out when the
    company has no candidate for it (a handful of customers). About 0.2 s at 300
    customers.

Reference: shared DOMAIN.md (people 2-5); docs/collections.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cuadre.aging import effective_due_dates
from cuadre.close import UNIDENTIFIED, CloseResult, unapplied_as_open_items
from cuadre.collections.credit import CREDIT_HOLDS, OPEN_ORDERS, credit_status
from cuadre.collections.disputes import DISPUTES, split_disputed
from cuadre.collections.promises import PROMISES, receipts_from_allocations
from cuadre.demo.generator import DemoCompany
from cuadre.model.tables import OPEN_ITEMS, TableSchema
from cuadre.money import exponent

__all__ = ["demo_collections_tables"]

# planted cases per 300 customers
COUNTS = {
    "dispute_sole": 2,
    "dispute_partial": 5,
    "dispute_duplicate": 1,
    "dispute_old": 3,
    "dispute_not_due": 1,
    "dispute_rejected": 1,
    "dispute_resolved": 3,
    "promise_kept": 8,
    "promise_partial": 4,
    "promise_broken": 6,
    "promise_open": 5,
    "orders": 30,
    "orders_over_limit": 2,
    "release": 2,
}
ON_HOLD_SHARE = 0.4
"""Share of today's holds that were already on the last hold list."""

FREIGHT = {"MXN": 185_000, "USD": 9_500, "COP": 35_000_000}
"""A freight charge the customer did not agree to, in minor units."""

_ES = {
    "owner": {
        "pricing": "ventas",
        "quantity": "almacén",
        "freight": "logística",
        "damaged_goods": "logística",
        "duplicate": "facturación",
    },
    "note": {
        "pricing": "precio de lista anterior{ref}",
        "quantity": "-{n} piezas contra la remisión",
        "freight": "flete no pactado en el pedido",
        "damaged_goods": "mercancía dañada en tránsito; fotos en el correo",
        "duplicate": "duplicada de {other}",
    },
    "order": "precio pactado en el pedido",
    "resolved": "nota de crédito emitida; cliente de acuerdo",
    "rejected": "rechazada: el precio es el del contrato vigente",
    "contacts": ("Lic. Ana Ruiz", "C.P. Jorge Treviño", "Mariana López", "Ing. Luis Herrera"),
    "channels": ("llamada", "correo", "visita"),
    "hold_over": "límite de crédito excedido",
    "hold_days": "saldo vencido a más de 60 días",
}
_EN = {
    "owner": {
        "pricing": "sales",
        "quantity": "warehouse",
        "freight": "logistics",
        "damaged_goods": "logistics",
        "duplicate": "billing",
    },
    "note": {
        "pricing": "old list price{ref}",
        "quantity": "-{n} units short against the packing slip",
        "freight": "freight not agreed on the order",
        "damaged_goods": "goods damaged in transit; photos by e-mail",
        "duplicate": "duplicate of {other}",
    },
    "order": "price agreed on order",
    "resolved": "credit note issued; customer agrees",
    "rejected": "rejected: price as in the current contract",
    "contacts": ("John Miller", "Sarah Johnson", "Mike Davis"),
    "channels": ("phone call", "e-mail", "visit"),
    "hold_over": "over credit limit",
    "hold_days": "past due over 60 days",
}
_CO_CONTACTS = ("Paola Gómez", "Andrés Restrepo", "Carolina Ríos")
_ORDER_PREFIX = {"MXN": "PV-", "USD": "SO-", "COP": "PED-"}


def _words(currency: str) -> dict[str, Any]:
    return _EN if currency == "USD" else _ES


def _seed(company: DemoCompany) -> int:
    text = f"{company.period_end:%Y-%m-%d}|" + ",".join(company.customers["customer_id"])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _whole(units: float | int, currency: str) -> int:
    """Down to whole units of the currency (at least one)."""
    step = 10 ** exponent(currency)
    return max(step, int(units) // step * step)


def _typed(rows: list[dict[str, Any]], schema: TableSchema) -> pd.DataFrame:
    """Rows -> the engine representation of ``schema``, sorted by its ``sort_by``."""
    data: dict[str, Any] = {}
    for col in schema.columns:
        values = [r.get(col.name) for r in rows]
        if col.kind in ("money", "int"):
            data[col.name] = pd.array(values, dtype="Int64")
        elif col.kind == "date":
            data[col.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype(
                "datetime64[ns]"
            )
        else:
            data[col.name] = pd.Series(["" if v is None else v for v in values], dtype=object)
    out = pd.DataFrame(data)
    if len(out) and schema.sort_by:
        out = out.sort_values(list(schema.sort_by), kind="stable")
    return out.reset_index(drop=True)


class _Planter:
    """The company's receivables after the close, and the draws."""

    def __init__(self, company: DemoCompany, result: CloseResult) -> None:
        self.rng = np.random.default_rng(_seed(company))
        self.day = pd.Timestamp(company.period_end)
        self.month_start = self.day.replace(day=1)
        self.customers = company.customers
        self.scale = len(company.customers) / 300
        self.used: set[str] = set()
        parts = [result.open_after[OPEN_ITEMS.names]]
        if len(result.unapplied):
            parts.append(unapplied_as_open_items(result.unapplied))
        items = pd.concat(parts, ignore_index=True)
        items = items[
            items["document_date"].le(self.day) & items["customer_id"].ne(UNIDENTIFIED)
        ].reset_index(drop=True)
        items["days"] = (self.day - effective_due_dates(items, self.customers)[0]).dt.days
        items["amount"] = items["amount_open"].fillna(0).astype("int64")
        self.items = items
        late = items[(items["amount"] > 0) & (items["days"] > 0)]
        self.late = late
        self.late_invoices = late[late["document_type"].eq("invoice")]
        self.overdue = late.groupby("customer_id")["amount"].sum()
        self.n_late = late.groupby("customer_id").size()
        self.receipts = receipts_from_allocations(result.allocations, result.payments)
        self.receipts = self.receipts.sort_values(["date", "payment_id"], kind="stable")
        auto = result.allocations[
            result.allocations["status"].eq("auto") & result.allocations["document_id"].ne("")
        ]
        self.paid_docs = auto.groupby("payment_id")["document_id"].agg(
            lambda s: ";".join(dict.fromkeys(s))
        )
        self.paid = auto.merge(
            result.payments[["payment_id", "value_date"]], on="payment_id", how="left"
        )
        self.payers = set(self.receipts["customer_id"])

    def count(self, case: str) -> int:
        return max(1, round(COUNTS[case] * self.scale))

    def days(self, low: int, high: int) -> pd.Timedelta:
        return pd.Timedelta(days=int(self.rng.integers(low, high + 1)))

    def pick(self, candidates: Iterable[str], case: str) -> list[str]:
        """Up to ``count(case)`` of the unused candidates (sorted, then drawn)."""
        pool = sorted({c for c in candidates if c not in self.used})
        n = min(self.count(case), len(pool))
        if n == 0:
            return []
        chosen = sorted(self.rng.choice(pool, size=n, replace=False).tolist())
        self.used.update(chosen)
        return chosen

    def choice(self, values: Sequence[Any]) -> Any:
        return values[int(self.rng.integers(len(values)))]

    def contact(self, customer_id: str, currency: str) -> str:
        names = _CO_CONTACTS if currency == "COP" else _words(currency)["contacts"]
        return str(self.choice(names))


# --------------------------------------------------------------------------- disputes


def _dispute(
    p: _Planter,
    item: pd.Series,
    reason: str,
    *,
    whole: bool = False,
    status: str = "open",
) -> dict[str, Any]:
    cur = str(item["currency"])
    words = _words(cur)
    amount = int(item["amount"])
    value: int | None
    if whole:
        value = None
    elif reason == "pricing":
        value = _whole(amount * p.rng.uniform(0.04, 0.12), cur)
    elif reason == "quantity":
        value = _whole(amount * p.choice((0.1, 0.2, 0.25)), cur)
    elif reason == "freight":
        value = min(FREIGHT.get(cur, 10_000), _whole(amount * 0.3, cur))
    else:
        value = _whole(amount * p.rng.uniform(0.3, 0.5), cur)
    due = item["due_date"] if pd.notna(item["due_date"]) else item["document_date"]
    opened = max(item["document_date"], min(due + p.days(1, 25), p.day - pd.Timedelta(days=1)))
    others = p.items[
        p.items["customer_id"].eq(item["customer_id"])
        & p.items["document_type"].eq("invoice")
        & p.items["document_id"].ne(item["document_id"])
    ]
    order = f"; {words['order']} {item['reference']}" if item["reference"] else ""
    note = words["note"][reason].format(
        ref=order,
        n=int(p.rng.integers(2, 40)),
        other=others["document_id"].iloc[0] if len(others) else item["document_id"],
    )
    row: dict[str, Any] = {
        "document_id": item["document_id"],
        "customer_id": item["customer_id"],
        "reason": reason,
        "amount": value,
        "currency": cur,
        "owner": words["owner"][reason],
        "status": status,
        "opened_on": opened,
        "note": note,
    }
    if status == "rejected":
        row["resolved_on"] = min(opened + p.days(3, 15), p.day - pd.Timedelta(days=1))
        row["note"] = words["rejected"]
    return row


def _plant_disputes(p: _Planter) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    inv = p.late_invoices
    first_invoice = inv.sort_values(["customer_id", "due_date", "document_id"], kind="stable")

    def one_of(customer_id: str, frame: pd.DataFrame) -> pd.Series:
        mine = frame[frame["customer_id"].eq(customer_id)]
        return mine.iloc[int(p.rng.integers(len(mine)))]

    # the only overdue item of the customer: no letter at all, "resolve dispute"
    sole = p.n_late[p.n_late.eq(1)].index
    sole = [c for c in sole if c in set(inv.loc[inv["days"].between(10, 100), "customer_id"])]
    for cid in p.pick(sole, "dispute_sole"):
        item = one_of(cid, inv)
        rows.append(_dispute(p, item, str(p.choice(("damaged_goods", "quantity"))), whole=True))
    # part of one invoice: the rest is still dunned
    several = p.n_late[p.n_late.ge(2)].index.intersection(inv["customer_id"].unique())
    for i, cid in enumerate(p.pick(several, "dispute_partial")):
        rows.append(_dispute(p, one_of(cid, inv), ("pricing", "quantity", "freight")[i % 3]))
    for cid in p.pick(several, "dispute_duplicate"):
        rows.append(_dispute(p, one_of(cid, first_invoice), "duplicate", whole=True))
    old = inv[inv["days"] > 120]
    for i, cid in enumerate(p.pick(old["customer_id"], "dispute_old")):
        reason = ("pricing", "damaged_goods", "quantity")[i % 3]
        rows.append(_dispute(p, one_of(cid, old), reason, whole=reason == "damaged_goods"))
    soon = p.items[
        p.items["document_type"].eq("invoice") & (p.items["amount"] > 0) & (p.items["days"] <= 0)
    ]
    for cid in p.pick(soon["customer_id"], "dispute_not_due"):
        rows.append(_dispute(p, one_of(cid, soon), "freight"))
    for cid in p.pick(inv["customer_id"], "dispute_rejected"):
        rows.append(_dispute(p, one_of(cid, inv), "pricing", status="rejected"))
    # settled this month: the invoice was paid, the dispute resolved before
    paid = p.paid[p.paid["customer_id"].ne("")]
    for cid in p.pick(paid["customer_id"], "dispute_resolved"):
        hit = paid[paid["customer_id"].eq(cid)].iloc[0]
        cur = str(hit["currency"])
        when = pd.Timestamp(hit["value_date"])
        opened = when - p.days(10, 40)
        reason = str(p.choice(("pricing", "freight", "quantity")))
        rows.append(
            {
                "document_id": hit["document_id"],
                "customer_id": cid,
                "reason": reason,
                "amount": _whole(int(hit["amount_applied"]) * 0.05, cur),
                "currency": cur,
                "owner": _words(cur)["owner"][reason],
                "status": "resolved",
                "opened_on": opened,
                "resolved_on": min(when - pd.Timedelta(days=1), opened + p.days(3, 9)),
                "note": _words(cur)["resolved"],
            }
        )
    return rows


# --------------------------------------------------------------------------- promises


def _plant_promises(p: _Planter) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    r = p.receipts
    late_first = p.late.sort_values(["customer_id", "due_date", "document_id"], kind="stable")

    def base(cid: str, cur: str, when: pd.Timestamp, made: pd.Timestamp) -> dict[str, Any]:
        words = _words(cur)
        return {
            "customer_id": cid,
            "currency": cur,
            "promise_date": when,
            "made_on": made,
            "contact": p.contact(cid, cur),
            "note": str(p.choice(words["channels"])),
        }

    # kept: a payment of the month, promised a few days before it came
    usable = r[r["date"] >= p.month_start + pd.Timedelta(days=5)]
    for cid in p.pick(usable["customer_id"], "promise_kept"):
        pay = usable[usable["customer_id"].eq(cid)].iloc[0]
        when = min(pay["date"] + p.days(0, 3), p.day)
        row = base(cid, str(pay["currency"]), when, pay["date"] - p.days(3, 10))
        row["amount"] = _whole(int(pay["amount"]), row["currency"])
        row["document_ids"] = p.paid_docs.get(pay["payment_id"], "")
        rows.append(row)
    # partially kept: the same, for more than came
    window = r[
        r["date"].between(p.month_start + pd.Timedelta(days=3), p.day - pd.Timedelta(days=8))
    ]
    owing = set(p.overdue.index)
    for cid in p.pick([c for c in window["customer_id"] if c in owing], "promise_partial"):
        pay = window[window["customer_id"].eq(cid)].iloc[0]
        made = pay["date"] - p.days(2, 6)
        when = pay["date"] + p.days(1, 3)
        mine = r[r["customer_id"].eq(cid) & r["currency"].eq(pay["currency"])]
        came = int(
            mine.loc[mine["date"].between(made, when + pd.Timedelta(days=2)), "amount"].sum()
        )
        cur = str(pay["currency"])
        row = base(cid, cur, when, made)
        row["amount"] = came + _whole(int(p.overdue[cid]) * p.rng.uniform(0.3, 0.6), cur)
        row["document_ids"] = p.paid_docs.get(pay["payment_id"], "")
        rows.append(row)
    # broken and open: customers who paid nothing this month
    silent = [c for c in p.overdue.index if c not in p.payers]
    for cid in p.pick(silent, "promise_broken"):
        mine = late_first[late_first["customer_id"].eq(cid)].head(2)
        cur = str(mine["currency"].iloc[0])
        when = p.month_start + p.days(3, max(3, (p.day - p.month_start).days - 4))
        row = base(cid, cur, when, when - p.days(4, 12))
        row["amount"] = int(mine["amount"].sum())
        row["document_ids"] = ";".join(mine["document_id"])
        rows.append(row)
    for cid in p.pick(silent, "promise_open"):
        mine = late_first[late_first["customer_id"].eq(cid)]
        cur = str(mine["currency"].iloc[0])
        row = base(cid, cur, p.day + p.days(3, 12), p.day - p.days(1, 8))
        row["amount"] = _whole(int(mine["amount"].sum()) * p.rng.uniform(0.4, 1.0), cur)
        row["document_ids"] = ";".join(mine["document_id"].head(3))
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- credit


def _credit(p: _Planter, disputes: pd.DataFrame, orders: pd.DataFrame | None) -> pd.DataFrame:
    _u, disputed, _f = split_disputed(p.items[OPEN_ITEMS.names], disputes, p.day.date())
    credit, _f = credit_status(
        p.items[OPEN_ITEMS.names],
        p.customers,
        p.day.date(),
        open_orders=orders,
        receipts=p.receipts,
        disputed=disputed,
    )
    return credit


def _plant_orders(p: _Planter, disputes: pd.DataFrame) -> list[dict[str, Any]]:
    credit = _credit(p, disputes, None).set_index("customer_id")
    limit = credit["credit_limit"].astype("float64")
    room = credit[credit["status"].isin(["ok", "watch"]) & credit["utilisation"].between(0.5, 0.99)]
    rows: list[dict[str, Any]] = []
    seq = 70_001

    def order(cid: str, amount: int) -> None:
        nonlocal seq
        cur = str(credit.at[cid, "currency"])
        rows.append(
            {
                "customer_id": cid,
                "order_id": f"{_ORDER_PREFIX.get(cur, 'SO-')}{seq}",
                "currency": cur,
                "amount": amount,
                "order_date": p.day - p.days(0, 20),
            }
        )
        seq += int(p.rng.integers(1, 9))

    for cid in p.pick(room.index, "orders_over_limit"):
        cur = str(credit.at[cid, "currency"])
        gap = int(credit.at[cid, "available"])
        order(cid, gap + _whole(limit[cid] * p.rng.uniform(0.1, 0.3), cur))
    limited = credit.index[(limit > 0).to_numpy()]
    # ordinary orders do not take a customer out of another planted part
    for cid in p.pick(limited, "orders"):
        p.used.discard(cid)
        cur = str(credit.at[cid, "currency"])
        for _ in range(int(p.rng.integers(1, 3))):
            order(cid, _whole(limit[cid] * p.rng.uniform(0.03, 0.12), cur))
    return rows


def _plant_holds(p: _Planter, disputes: pd.DataFrame, orders: pd.DataFrame) -> list[dict[str, Any]]:
    credit = _credit(p, disputes, orders if len(orders) else None).set_index("customer_id")
    rows: list[dict[str, Any]] = []
    held = sorted(credit.index[credit["status"].eq("new_hold")])
    n = round(ON_HOLD_SHARE * len(held))
    for cid in sorted(p.rng.choice(held, size=n, replace=False).tolist()) if n else []:
        words = _words(str(credit.at[cid, "currency"]))
        over = "over limit" in str(credit.at[cid, "reason"])
        rows.append(
            {
                "customer_id": cid,
                "held_on": p.month_start - p.days(5, 120),
                "reason": words["hold_over"] if over else words["hold_days"],
            }
        )
    # released: on the list, paid this month, and no hold rule applies any more
    fine = credit.index[credit["status"].isin(["ok", "watch"])]
    for cid in p.pick([c for c in fine if c in p.payers], "release"):
        first = p.receipts.loc[p.receipts["customer_id"].eq(cid), "date"].min()
        rows.append(
            {
                "customer_id": cid,
                "held_on": first - p.days(3, 20),
                "reason": _words(str(credit.at[cid, "currency"]))["hold_days"],
            }
        )
    return rows


def demo_collections_tables(company: DemoCompany, result: CloseResult) -> dict[str, pd.DataFrame]:
    """``promises``, ``disputes``, ``credit_holds`` and ``open_orders`` for the sample
    company after its close (see the module docstring); same company, same tables."""
    p = _Planter(company, result)
    disputes = _typed(_plant_disputes(p), DISPUTES)
    promises = _typed(_plant_promises(p), PROMISES)
    orders = _typed(_plant_orders(p, disputes), OPEN_ORDERS)
    holds = _typed(_plant_holds(p, disputes, orders), CREDIT_HOLDS)
    return {
        PROMISES.name: promises,
        DISPUTES.name: disputes,
        CREDIT_HOLDS.name: holds,
        OPEN_ORDERS.name: orders,
    }
