"""The month-end close, end to end: cash application, then aging, with control totals.

``run_close(...) -> CloseResult`` is pure: tables in, tables, controls and findings out.
The workbook shell (:mod:`cuadre.workbook.close_book`) writes it; the ``cuadre`` command
and the demo call it.

Control totals (per currency), checked here and shown on the sheets:

- payments received = applied to documents (auto) + differences written off
  + unapplied (suggested, on account, unmatched);
- open items before cash application - applied to documents - unapplied cash
  = aging total (unapplied cash is aged as a credit of its customer, or of
  ``(unidentified)``);
- open items before cash application = GL receivables control accounts (tie-out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS, age_receivables
from cuadre.findings import Finding, Location, error, warning
from cuadre.matching import MatchPolicy, apply_allocations, match_payments
from cuadre.model.tables import OPEN_ITEMS, PROVENANCE, UNAPPLIED
from cuadre.money import format_amount

UNIDENTIFIED = "(unidentified)"


@dataclass(frozen=True)
class Control:
    """One control total: ``expected`` and ``actual`` must agree (or it is informational)."""

    section: str
    label: str
    currency: str
    value: int
    check: bool | None = None  # None: a plain figure; True/False: a check that passed/failed


@dataclass
class CloseResult:
    payments: pd.DataFrame
    allocations: pd.DataFrame
    unapplied: pd.DataFrame
    open_after: pd.DataFrame
    aging: pd.DataFrame
    controls: list[Control] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def unapplied_cash(payments: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Per payment, the part not applied automatically (UNAPPLIED table)."""
    auto = allocations[allocations["status"].eq("auto")]
    done = (
        (auto["amount_applied"].fillna(0) + auto["difference"].fillna(0))
        .groupby(auto["payment_id"])
        .sum()
    )
    pending = allocations[~allocations["status"].eq("auto")]
    first = pending.drop_duplicates("payment_id").set_index("payment_id")
    p = payments.set_index("payment_id")
    left = p["amount"] - p.index.map(done).fillna(0).astype("int64")
    keep = left[left > 0].index
    rows = p.loc[keep]
    status = first["status"].reindex(keep).fillna("on_account")
    out = pd.DataFrame(
        {
            "payment_id": keep,
            "value_date": rows["value_date"].to_numpy(),
            "customer_id": first["customer_id"].reindex(keep).fillna("").to_numpy(),
            "payer_name": rows["payer_name"].to_numpy(),
            "currency": rows["currency"].to_numpy(),
            "amount": rows["amount"].to_numpy(),
            "amount_unapplied": left.loc[keep].to_numpy(),
            "status": status.to_numpy(),
            "reason": first["reason"].reindex(keep).fillna("").to_numpy(),
            "remittance": rows["remittance"].to_numpy(),
        }
    )
    out["amount"] = out["amount"].astype("Int64")
    out["amount_unapplied"] = out["amount_unapplied"].astype("Int64")
    order = {"unmatched": 0, "suggested": 1, "on_account": 2}
    out = out.sort_values(
        ["status", "value_date", "payment_id"],
        key=lambda s: s.map(order) if s.name == "status" else s,
        kind="stable",
    )
    return out[UNAPPLIED.names].reset_index(drop=True)


def unapplied_as_open_items(unapplied: pd.DataFrame) -> pd.DataFrame:
    """Unapplied cash as negative ``payment`` documents, so aging sees it."""
    cust = unapplied["customer_id"].where(unapplied["customer_id"].ne(""), UNIDENTIFIED)
    n = len(unapplied)
    frame = pd.DataFrame(
        {
            "customer_id": cust,
            "customer_name": unapplied["customer_id"].map(
                lambda c: "" if c else "Pagos no identificados / unidentified payments"
            ),
            "document_id": unapplied["payment_id"],
            "document_type": ["payment"] * n,
            "document_date": unapplied["value_date"],
            "due_date": unapplied["value_date"],
            "currency": unapplied["currency"],
            "amount_open": -unapplied["amount_unapplied"],
            "amount_original": -unapplied["amount"],
        }
    )
    for c in OPEN_ITEMS.names:
        if c not in frame:
            frame[c] = [""] * n
    return frame[OPEN_ITEMS.names]


def aged_items(
    open_items: pd.DataFrame, payments: pd.DataFrame, allocations: pd.DataFrame
) -> pd.DataFrame:
    """What the close ages: the open items after cash application (the ``auto``
    allocations applied) plus the unapplied cash as credits of its customer (or of
    ``(unidentified)``), OPEN_ITEMS columns plus the open items' provenance (file:row;
    empty on the unapplied cash rows)."""
    after = apply_allocations(open_items, allocations)
    return _aged(after, unapplied_cash(payments, allocations))


def _aged(open_after: pd.DataFrame, unapplied: pd.DataFrame) -> pd.DataFrame:
    cols = OPEN_ITEMS.names + [c for c in PROVENANCE if c in open_after]  # keep file:row
    return pd.concat([open_after[cols], unapplied_as_open_items(unapplied)], ignore_index=True)


def run_close(
    open_items: pd.DataFrame,
    payments: pd.DataFrame,
    customers: pd.DataFrame | None,
    as_of: dt.date,
    *,
    trial_balance: pd.DataFrame | None = None,
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    policy: MatchPolicy | None = None,
) -> CloseResult:
    allocations, findings = match_payments(open_items, payments, customers, policy)
    unapplied = unapplied_cash(payments, allocations)
    open_after = apply_allocations(open_items, allocations)
    items = _aged(open_after, unapplied)
    aging, aging_findings = age_receivables(items, as_of, buckets, customers)
    findings.extend(aging_findings)
    controls = _controls(open_items, payments, allocations, unapplied, aging, trial_balance)
    for c in controls:
        if c.check is False and c.section != "GL tie-out":
            findings.append(
                error(
                    Location("controls"), "CONTROL_FAILED", f"{c.section}: {c.label} ({c.currency})"
                )
            )
    if trial_balance is not None:
        findings.extend(_gl_findings(controls))
    return CloseResult(payments, allocations, unapplied, open_after, aging, controls, findings)


def _by_cur(frame: pd.DataFrame, column: str) -> dict[str, int]:
    if frame.empty:
        return {}
    sums = frame[column].fillna(0).astype("int64").groupby(frame["currency"]).sum()
    return {str(k): int(v) for k, v in sums.items()}


def _controls(
    open_items: pd.DataFrame,
    payments: pd.DataFrame,
    allocations: pd.DataFrame,
    unapplied: pd.DataFrame,
    aging: pd.DataFrame,
    trial_balance: pd.DataFrame | None,
) -> list[Control]:
    auto = allocations[allocations["status"].eq("auto")]
    auto_docs = auto[auto["document_id"].ne("")]
    received = _by_cur(payments, "amount")
    applied = _by_cur(auto_docs, "amount_applied")
    diffs = _by_cur(auto, "difference")
    left = _by_cur(unapplied, "amount_unapplied")
    before = _by_cur(open_items, "amount_open")
    aged = _by_cur(aging, "total")
    gl: dict[str, int] = {}
    if trial_balance is not None and len(trial_balance):
        flag = trial_balance["is_ar_control"].str.strip().str.lower()
        ctrl = trial_balance[flag.isin(["yes", "y", "si", "sí", "x", "true", "1"])]
        gl = _by_cur(ctrl.rename(columns={"balance": "amount"}), "amount")
    out: list[Control] = []
    currencies = sorted(set(received) | set(before) | set(aged))
    for cur in currencies:
        r, a, d, u = received.get(cur, 0), applied.get(cur, 0), diffs.get(cur, 0), left.get(cur, 0)
        s = "Cash application"
        out += [
            Control(s, "Payments received", cur, r),
            Control(s, "Applied to documents (auto)", cur, a),
            Control(s, "Short-payment differences", cur, d),
            Control(s, "Unapplied: on account, to review, unidentified", cur, u),
            Control(
                s,
                "Received = applied + differences + unapplied",
                cur,
                r - (a + d + u),
                r == a + d + u,
            ),
        ]
        b, t = before.get(cur, 0), aged.get(cur, 0)
        s = "Aging"
        out += [
            Control(s, "Open items before cash application", cur, b),
            Control(s, "Less applied to documents", cur, -a),
            Control(s, "Less unapplied cash (aged as credits)", cur, -u),
            Control(s, "Aging total", cur, t),
            Control(
                s,
                "Open before - applied - unapplied = aging total",
                cur,
                b - a - u - t,
                b - a - u == t,
            ),
        ]
        if gl:
            g = gl.get(cur, 0)
            s = "GL tie-out"
            out += [
                Control(s, "GL receivables control accounts", cur, g),
                Control(s, "Open items (subledger) - GL", cur, b - g, b == g),
            ]
    return out


def _gl_findings(controls: list[Control]) -> list[Finding]:
    found = []
    for c in controls:
        if c.section == "GL tie-out" and c.check is False:
            found.append(
                warning(
                    Location("trial_balance"),
                    "GL_DIFFERENCE",
                    f"AR subledger differs from the GL control accounts by "
                    f"{format_amount(c.value, c.currency)}",
                    "Look for journals posted to the control account directly, timing and FX revaluation.",
                )
            )
    return found
