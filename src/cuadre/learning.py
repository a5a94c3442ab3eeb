"""Learning from the reviewer: confirmed matches teach payer accounts and name aliases.

When a reviewer accepts a match (``review`` column of the Matches sheet: accept, ok,
yes, sí, x...), the payment's ordering account and the name the bank reported become
known for that customer, so the next run identifies the same payer at once. Knowledge
is kept as a small table, ``learned`` (customer_id, kind ``account``/``alias``, value,
learned_from), stored in the workbook (Customers sheet's bank_accounts/aliases columns)
and, for the command line, in a CSV given with ``--learn FILE``.

Rejected rows teach nothing; an account confirmed for two different customers is
reported (``LEARNED_CONFLICT``) and not learned for either, strict as the matcher.
"""

from __future__ import annotations

import pandas as pd

from cuadre.findings import Finding, Location, warning
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.text import compact, normalize_name, split_list

LEARNED = TableSchema(
    name="learned",
    sheet="Learned",
    description="What confirmed matches taught: payer accounts and names per customer.",
    key=("customer_id", "kind", "value"),
    sort_by=("customer_id", "kind", "value"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("kind", Kind.TEXT, True, "account or alias"),
        Column("value", Kind.TEXT, True, "the payer account or the payer name"),
        Column("learned_from", Kind.TEXT, False, "the payment that taught it"),
    ),
)

ACCEPT = frozenset({"accept", "accepted", "ok", "yes", "y", "si", "sí", "x", "aceptar", "aceptado"})
REJECT = frozenset({"reject", "rejected", "no", "n", "rechazar", "rechazado"})


def accepted_rows(allocations: pd.DataFrame) -> pd.Series:
    """Rows the reviewer accepted, plus automatic decisions (``auto`` applications and
    ``on_account`` money of a known customer) that nobody rejected."""
    review = allocations.get("review", pd.Series("", index=allocations.index))
    verdict = review.fillna("").astype(str).str.strip().str.casefold()
    accepted = verdict.isin(ACCEPT)
    auto_kept = allocations["status"].isin(["auto", "on_account"]) & ~verdict.isin(REJECT)
    return accepted | auto_kept


def learn(
    allocations: pd.DataFrame,
    payments: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    known: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """New knowledge from the reviewer's accepted rows -> the full ``learned`` table."""
    findings: list[Finding] = []
    rows = allocations[
        allocations["review"].fillna("").astype(str).str.strip().str.casefold().isin(ACCEPT)
        & allocations["customer_id"].ne("")
    ] if "review" in allocations else allocations.iloc[0:0]
    pay = payments.set_index("payment_id")
    found: dict[tuple[str, str], set[str]] = {}
    origin: dict[tuple[str, str, str], str] = {}
    for pid, cust in zip(rows["payment_id"], rows["customer_id"], strict=True):
        if pid not in pay.index:
            continue
        p = pay.loc[pid]
        for kind, value in (("account", p.get("payer_account", "")),
                            ("alias", p.get("payer_name", ""))):
            value = str(value or "").strip()
            if not value:
                continue
            key = compact(value) if kind == "account" else normalize_name(value)
            if not key:
                continue
            found.setdefault((kind, key), set()).add(cust)
            origin.setdefault((cust, kind, key), f"{pid}: {value}")
    master_names = _master_names(customers)
    learned = [] if known is None else known[LEARNED.names].to_dict("records")
    have = {(r["customer_id"], r["kind"], _key(r["kind"], r["value"])) for r in learned}
    for (kind, key), custs in sorted(found.items()):
        if len(custs) > 1:
            findings.append(
                warning(
                    Location("review"),
                    "LEARNED_CONFLICT",
                    f"{kind} {key} was accepted for {len(custs)} customers "
                    f"({', '.join(sorted(custs))}); not learned",
                    "Check the accepted rows of those payments.",
                )
            )
            continue
        cust = next(iter(custs))
        if kind == "alias" and key in master_names.get(cust, set()):
            continue  # the customer's own name: nothing new
        if (cust, kind, key) in have:
            continue
        have.add((cust, kind, key))
        raw = origin[(cust, kind, key)]
        learned.append(
            {"customer_id": cust, "kind": kind, "value": raw.split(": ", 1)[1], "learned_from": raw}
        )
    table = pd.DataFrame(learned, columns=LEARNED.names).astype(object)
    table = table.sort_values(list(LEARNED.sort_by), kind="stable").reset_index(drop=True)
    return table, findings


def _key(kind: str, value: str) -> str:
    return compact(value) if kind == "account" else normalize_name(value)


def _master_names(customers: pd.DataFrame | None) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    if customers is None:
        return names
    for cid, name, aliases in zip(
        customers["customer_id"],
        customers["customer_name"],
        customers.get("aliases", pd.Series("", index=customers.index)),
        strict=True,
    ):
        names.setdefault(cid, set()).update(
            normalize_name(n) for n in [name, *split_list(aliases)] if n
        )
    return names


def apply_learned(customers: pd.DataFrame, learned: pd.DataFrame) -> pd.DataFrame:
    """Customers with the learned accounts and aliases added to their ``;`` lists."""
    out = customers.copy()
    for col in ("bank_accounts", "aliases"):
        if col not in out:
            out[col] = ""
    index = {cid: i for i, cid in zip(out.index, out["customer_id"], strict=True)}
    for cust, kind, value in zip(
        learned["customer_id"], learned["kind"], learned["value"], strict=True
    ):
        if cust not in index:
            continue
        col = "bank_accounts" if kind == "account" else "aliases"
        i = index[cust]
        current = split_list(out.at[i, col])
        if _key(kind, value) not in {_key(kind, v) for v in current}:
            out.at[i, col] = "; ".join([*current, value])
    return out
