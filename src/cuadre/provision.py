"""Bad-debt provision: IFRS 9 simplified approach (provision matrix) and flat percentages.

IFRS 9.5.5.15 requires, for trade receivables without a significant financing component,
a loss allowance equal to the *lifetime* expected credit losses; B5.5.35 allows a
provision matrix: a loss rate per aging bucket, from historical loss experience,
adjusted for forward-looking information. Here:

- :func:`roll_rates` / :func:`matrix_from_roll_rates`: from month-end aging snapshots
  (``aging_snapshots``: balance per bucket, plus each month's write-offs as bucket
  ``write_off``), the roll rate of a bucket is the share of its balance found in the next
  bucket one month later (for the last bucket: written off the next month), summed over
  the months of the window (sum of next-bucket balances / sum of bucket balances, so big
  months weigh more); the historical loss rate of a bucket is the product of the roll
  rates from it to write-off; the loss rate applied is that times the forward-looking
  factor (per bucket or overall), at most 1;
- :func:`flat_matrix`: the flat percentage per bucket many local GAAPs and tax rules use
  (e.g. 5% / 10% / 15% by age), same engine;
- :func:`compute_provision`: the open debit items aged at the as-of date (as
  :mod:`cuadre.aging` does), times the rate of their bucket, rounded half up per
  currency and bucket (:func:`provision_from_aging`: the same from an aging table's
  bucket columns, each positive cell a receivable). Customers in ``specific_provisions`` (in default: bankrupt,
  in litigation) are taken out of the matrix and provided at their own rate or amount.
  Credits (credit notes, advances, unapplied cash) are not netted: the allowance is on
  the gross receivable. The allowance movement: opening + charge - write-offs = closing
  (IFRS 7.35H), and the journals: the charge (debit bad-debt expense, credit allowance;
  a release the other way) and the write-offs (debit allowance, credit receivables).
  ``by_customer`` shares each bucket's provision among its customers (rounded down, the
  units left to the largest remainders, so they add up to the bucket exactly);
- :func:`roll_rate_table`: the month-to-month rolls behind the roll rates, one row per
  month pair and bucket, to show how each rate was derived; :func:`check_matrix`: a
  given matrix against the buckets (unknown buckets, rates missing or outside 0..1).

Rates are kept as exact decimals while computing (``Decimal``); the tables show them as
ratios. Reference: IFRS 9 5.5.15, B5.5.35, IE illustrative example 12 (provision
matrix); IFRS 7.35H.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.aging import (
    DEFAULT_BUCKETS,
    assign_buckets,
    bucket_labels,
    days_past_due,
    effective_due_dates,
)
from cuadre.close import Control
from cuadre.findings import Finding, Location, error, info, warning
from cuadre.importers.base import empty_table, typed_table
from cuadre.journals import Line, check_balanced, concat, entry, signed
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.reconcile.core import money, show, text
from cuadre.reconcile.tables import (
    AGING_SNAPSHOTS,
    ALLOWANCE_MOVEMENT,
    PROVISION,
    PROVISION_MATRIX,
)

WRITE_OFF = "write_off"

ROLL_RATES = TableSchema(
    name="roll_rates",
    sheet="RollRates",
    description="Month-to-month rolls between aging buckets behind the roll rates.",
    sort_by=("currency", "from_date", "order"),
    columns=(
        Column("currency", Kind.CURRENCY, True),
        Column("from_date", Kind.DATE, True, "month end the balance is taken at"),
        Column("to_date", Kind.DATE, True, "the next month end"),
        Column("order", Kind.INT, True, "bucket position, oldest last"),
        Column("bucket", Kind.TEXT, True),
        Column("next_bucket", Kind.TEXT, True, "the next bucket, or write_off"),
        Column("balance", Kind.MONEY, True, "the bucket at from_date"),
        Column("rolled", Kind.MONEY, True, "the next bucket at to_date (or written off)"),
        Column("roll_rate", Kind.RATIO, False, "rolled / balance; empty when balance is 0"),
    ),
)

PROVISION_BY_CUSTOMER = TableSchema(
    name="provision_by_customer",
    sheet="Provision",
    description="The provision per customer and bucket: the matrix provision of each bucket "
    "shared among its customers (largest remainder, so the parts add up to the bucket to "
    "the cent), and the specific provisions.",
    sort_by=("currency", "customer_id", "order"),
    columns=(
        Column("currency", Kind.CURRENCY, True),
        Column("customer_id", Kind.TEXT, True),
        Column("order", Kind.INT, True, "bucket position; 99 for a specific provision"),
        Column("bucket", Kind.TEXT, True, "aging bucket, or 'specific'"),
        Column("receivable", Kind.MONEY, True, "the customer's debit items in the bucket"),
        Column("loss_rate", Kind.RATIO, False),
        Column("provision", Kind.MONEY, True),
        Column("basis", Kind.TEXT),
    ),
)


class ProvisionPolicy(BaseModel):
    buckets: tuple[int, ...] = Field(DEFAULT_BUCKETS, description="aging bucket limits")
    forward_factor: float = Field(1.0, ge=0, description="forward-looking factor on all rates")
    forward_by_bucket: dict[str, float] = Field(
        default_factory=dict, description="forward-looking factor per bucket (wins)"
    )
    window_months: int | None = Field(None, ge=1, description="last N month-to-month rolls")
    allowance_account: str = Field("1109-01", description="allowance for doubtful accounts")
    expense_account: str = Field("6105-01", description="bad-debt expense")
    receivable_account: str = Field("1105-01", description="trade receivables")
    journal_prefix: str = Field("PRV", description="journal ids: PRV-YYYYMM-CUR")


@dataclass
class ProvisionResult:
    provision: pd.DataFrame
    movement: pd.DataFrame
    journal: pd.DataFrame
    matrix: pd.DataFrame
    controls: list[Control] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    by_customer: pd.DataFrame = field(default_factory=lambda: empty_table(PROVISION_BY_CUSTOMER))
    """The provision per customer and bucket (:data:`PROVISION_BY_CUSTOMER`)."""


def _dec(value: object) -> Decimal:
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(str(value))


# --------------------------------------------------------------------------- roll rates


def snapshots_from_agings(
    agings: Mapping[dt.date, pd.DataFrame],
    write_offs: Mapping[dt.date, Mapping[str, int]] | None = None,
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
) -> pd.DataFrame:
    """``aging_snapshots`` from aging tables (:func:`cuadre.aging.age_receivables`) of
    several month ends, and the write-offs of each month (per currency)."""
    labels = bucket_labels(buckets)
    rows: list[dict[str, object]] = []
    for as_of, aging in sorted(agings.items()):
        for cur, g in aging.groupby("currency"):
            for label in labels:
                rows.append(
                    {
                        "as_of": as_of,
                        "currency": cur,
                        "bucket": label,
                        "amount": int(g[label].astype("int64").sum()),
                    }
                )
        for cur, amount in (write_offs or {}).get(as_of, {}).items():
            rows.append({"as_of": as_of, "currency": cur, "bucket": WRITE_OFF, "amount": amount})
    return typed_table(rows, AGING_SNAPSHOTS)


def _monthly(
    snapshots: pd.DataFrame, labels: list[str]
) -> tuple[list[tuple[str, pd.DataFrame]], list[Finding]]:
    """Per currency: the snapshots as a table (month ends down, buckets and
    ``write_off`` across), oldest first."""
    findings: list[Finding] = []
    snap = snapshots.assign(_b=text(snapshots, "bucket"), _a=money(snapshots, "amount"))
    unknown = set(snap["_b"]) - {*labels, WRITE_OFF}
    if unknown:
        findings.append(
            warning(
                Location("aging_snapshots"),
                "UNKNOWN_BUCKET",
                f"buckets {sorted(unknown)} are not {labels} or {WRITE_OFF}: ignored",
                "Use the same bucket limits as the snapshots were aged with.",
            )
        )
    out = []
    for cur, g in snap.groupby(text(snap, "currency")):
        table = g.pivot_table(index="as_of", columns="_b", values="_a", aggfunc="sum", fill_value=0)
        out.append(
            (str(cur), table.reindex(columns=[*labels, WRITE_OFF], fill_value=0).sort_index())
        )
    return out, findings


def _window(table: pd.DataFrame, window_months: int | None) -> list[tuple[object, object]]:
    pairs = list(pairwise(table.index))
    return pairs[-window_months:] if window_months is not None else pairs


def _rolls(
    cur: str, table: pd.DataFrame, labels: list[str], pairs: list[tuple[object, object]]
) -> list[dict[str, object]]:
    """One row per month pair and bucket: its balance and what rolled on a month later."""
    rows: list[dict[str, object]] = []
    for t0, t1 in pairs:
        for i, label in enumerate(labels):
            nxt = labels[i + 1] if i + 1 < len(labels) else WRITE_OFF
            balance, rolled = int(table.at[t0, label]), int(table.at[t1, nxt])
            rows.append(
                {
                    "currency": cur,
                    "from_date": t0,
                    "to_date": t1,
                    "order": i + 1,
                    "bucket": label,
                    "next_bucket": nxt,
                    "balance": balance,
                    "rolled": rolled,
                    "roll_rate": rolled / balance if balance > 0 else None,
                }
            )
    return rows


def roll_rate_table(
    snapshots: pd.DataFrame,
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    window_months: int | None = None,
) -> pd.DataFrame:
    """The month-to-month rolls behind :func:`roll_rates`, one row per currency, month
    pair of the window and bucket: ``balance`` (the bucket at ``from_date``), ``rolled``
    (the next bucket at ``to_date``; for the last bucket, the write-offs of the month)
    and their ratio ``roll_rate`` (empty when the bucket was empty): how each rate was
    derived, to show beside the matrix."""
    labels = bucket_labels(buckets)
    tables, _ = _monthly(snapshots, labels)
    rows: list[dict[str, object]] = []
    for cur, table in tables:
        rows += _rolls(cur, table, labels, _window(table, window_months))
    return typed_table(rows, ROLL_RATES)


def roll_rates(
    snapshots: pd.DataFrame,
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    window_months: int | None = None,
) -> tuple[dict[str, list[Decimal | None]], dict[str, int], list[Finding]]:
    """Roll rate per bucket (current first; the last rolls to write-off) per currency,
    and the number of month-to-month rolls used. ``None`` when a bucket never had a
    balance. Sums over the window: sum of what rolled / sum of the balances."""
    labels = bucket_labels(buckets)
    tables, findings = _monthly(snapshots, labels)
    rates: dict[str, list[Decimal | None]] = {}
    months: dict[str, int] = {}
    for cur, table in tables:
        pairs = _window(table, window_months)
        findings += _gaps(pairs, cur)
        num = [0] * len(labels)
        den = [0] * len(labels)
        for r in _rolls(cur, table, labels, pairs):
            i = int(r["order"]) - 1  # type: ignore[call-overload]
            num[i] += int(r["rolled"])  # type: ignore[call-overload]
            den[i] += int(r["balance"])  # type: ignore[call-overload]
        rates[cur] = [
            Decimal(n) / Decimal(d) if d > 0 else None for n, d in zip(num, den, strict=True)
        ]
        months[cur] = len(pairs)
        if not pairs:
            findings.append(
                warning(
                    Location("aging_snapshots"),
                    "TOO_FEW_SNAPSHOTS",
                    f"{cur}: roll rates need two month ends or more; {len(table)} given",
                    "Give the month-end agings of at least the last 12 months.",
                )
            )
        elif int(table[WRITE_OFF].sum()) == 0:
            findings.append(
                info(
                    Location("aging_snapshots"),
                    "NO_WRITE_OFFS",
                    f"{cur}: no write-offs in the snapshots, so the last bucket's roll to "
                    "write-off is 0 and every historical loss rate is 0",
                    "Add each month's write-offs as bucket 'write_off'.",
                )
            )
    return rates, months, findings


def _gaps(pairs: list[tuple[object, object]], cur: str) -> list[Finding]:
    out = []
    for t0, t1 in pairs:
        days = (pd.Timestamp(t1) - pd.Timestamp(t0)).days
        if not 27 <= days <= 32:
            out.append(
                warning(
                    Location("aging_snapshots"),
                    "NOT_MONTHLY",
                    f"{cur}: snapshots {pd.Timestamp(t0):%Y-%m-%d} and "
                    f"{pd.Timestamp(t1):%Y-%m-%d} are {days} days apart, not a month",
                    "Roll rates with 30-day buckets need month-end snapshots.",
                )
            )
    return out


def matrix_from_roll_rates(
    snapshots: pd.DataFrame, policy: ProvisionPolicy | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """The provision matrix from roll rates (see the module doc)."""
    policy = policy or ProvisionPolicy()
    labels = bucket_labels(policy.buckets)
    rates, months, findings = roll_rates(snapshots, policy.buckets, policy.window_months)
    rows: list[dict[str, object]] = []
    for cur, rr in sorted(rates.items()):
        capped = []
        for label, r in zip(labels, rr, strict=True):
            if r is not None and r > 1:
                findings.append(
                    warning(
                        Location("aging_snapshots"),
                        "ROLL_RATE_ABOVE_1",
                        f"{cur}: more in the bucket after {label} than was in {label} a month "
                        f"before (roll rate {r:.4f}); taken as 1",
                        "Check the snapshots are month ends of the same ledger.",
                    )
                )
                r = Decimal(1)
            capped.append(r if r is not None else Decimal(0))
        for i, label in enumerate(labels):
            loss = Decimal(1)
            for r in capped[i:]:
                loss *= r
            rows.append(
                {
                    "currency": cur,
                    "order": i + 1,
                    "bucket": label,
                    "roll_rate": float(capped[i]),
                    "historical_loss_rate": float(loss),
                    "loss_rate": float(_forward(loss, label, policy)),
                    "basis": f"roll rates over {months[cur]} months",
                    "loss_rate_exact": _forward(loss, label, policy),
                }
            )
    return _matrix(rows), findings


def _forward(loss: Decimal, label: str, policy: ProvisionPolicy) -> Decimal:
    factor = policy.forward_by_bucket.get(label, policy.forward_factor)
    return min(Decimal(1), loss * _dec(factor))


def flat_matrix(
    percentages: Mapping[str, float | str | Decimal],
    buckets: tuple[int, ...] = DEFAULT_BUCKETS,
    currency: str = "",
) -> pd.DataFrame:
    """A matrix of flat percentages per bucket label (``{"91-120": 5, "121+": 15}``:
    5% and 15%; buckets not named are 0%)."""
    labels = bucket_labels(buckets)
    unknown = set(percentages) - set(labels)
    if unknown:
        raise ValueError(f"buckets {sorted(unknown)} are not among {labels}")
    rows = []
    for i, label in enumerate(labels):
        rate = _dec(percentages.get(label, 0)) / 100
        rows.append(
            {
                "currency": currency,
                "order": i + 1,
                "bucket": label,
                "roll_rate": None,
                "historical_loss_rate": None,
                "loss_rate": float(rate),
                "basis": "flat percentage",
                "loss_rate_exact": rate,
            }
        )
    return _matrix(rows)


def _matrix(rows: list[dict[str, object]]) -> pd.DataFrame:
    """PROVISION_MATRIX, plus ``loss_rate_exact``: the rate as exact decimal text, which
    :func:`compute_provision` uses when present (``loss_rate`` is a float for display)."""
    exact = [str(r.pop("loss_rate_exact")) for r in rows]
    table = typed_table(rows, PROVISION_MATRIX) if rows else empty_table(PROVISION_MATRIX)
    table["loss_rate_exact"] = pd.Series(exact, dtype=object, index=table.index)
    return table


def _rates_for(matrix: pd.DataFrame, currency: str) -> dict[str, Decimal]:
    """Bucket -> loss rate for ``currency`` (the rows for every currency, ``""``, when it
    has none of its own): the exact decimal when the matrix was built here, else the
    ratio given; between 0 and 1 (:func:`check_matrix` reports rates outside)."""
    cur = text(matrix, "currency")
    m = matrix[cur.eq(currency)]
    if m.empty:
        m = matrix[cur.eq("")]
    exact = text(m, "loss_rate_exact")
    given = pd.to_numeric(m["loss_rate"], errors="coerce") if "loss_rate" in m else exact
    out: dict[str, Decimal] = {}
    for bucket, e, g in zip(text(m, "bucket"), exact, given, strict=True):
        try:
            rate = Decimal(e) if e not in ("", "None") else _dec(g)
        except (InvalidOperation, ValueError, TypeError):
            continue
        if rate.is_finite():
            out[bucket] = min(max(rate, Decimal(0)), Decimal(1))
    return out


def check_matrix(matrix: pd.DataFrame, buckets: tuple[int, ...]) -> list[Finding]:
    """A given matrix (or flat rates) against the buckets: unknown buckets, rates that are
    missing or outside 0..1 (a percentage typed as 5 instead of 0.05), repeated rows."""
    labels = bucket_labels(buckets)
    findings: list[Finding] = []
    if "loss_rate" not in matrix:
        return [
            warning(
                Location("provision_matrix"),
                "NO_LOSS_RATE",
                "the provision matrix has no loss_rate column: every rate taken as 0",
                "Give a loss_rate (a ratio: 0.05 for 5%) per bucket.",
            )
        ]
    rate = pd.to_numeric(matrix["loss_rate"], errors="coerce")
    seen: set[tuple[str, str]] = set()
    for cur, bucket, r, row in zip(
        text(matrix, "currency"), text(matrix, "bucket"), rate, _rows(matrix), strict=True
    ):
        where = Location("provision_matrix", row)
        name = f"bucket {bucket!r}" + (f" ({cur})" if cur else "")
        if bucket not in labels:
            findings.append(
                warning(
                    where,
                    "UNKNOWN_BUCKET",
                    f"{name} is not one of the aging buckets {labels}: ignored",
                    "Use the bucket labels of the aging (Settings: buckets).",
                )
            )
        elif (cur, bucket) in seen:
            findings.append(
                warning(
                    where,
                    "DUPLICATE_LOSS_RATE",
                    f"{name} has more than one loss rate; the last one is used",
                    "Keep one row per currency and bucket.",
                )
            )
        elif pd.isna(r):
            findings.append(
                warning(
                    where,
                    "NO_LOSS_RATE",
                    f"{name} has no loss rate (a number) ; taken as 0",
                    "Give the rate as a ratio: 0.05 for 5%.",
                )
            )
        elif not 0 <= r <= 1:
            findings.append(
                warning(
                    where,
                    "LOSS_RATE_OUT_OF_RANGE",
                    f"{name}: loss rate {r:g} is not between 0 and 1; taken as "
                    f"{'1' if r > 1 else '0'}",
                    "Rates are ratios: write 0.05 for 5%.",
                )
            )
        seen.add((cur, bucket))
    return findings


def _rows(frame: pd.DataFrame) -> list[int | None]:
    if "source_row" not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) else int(v) for v in frame["source_row"]]


# --------------------------------------------------------------------------- provision


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def compute_provision(
    open_items: pd.DataFrame,
    as_of: dt.date,
    matrix: pd.DataFrame,
    *,
    specific: pd.DataFrame | None = None,
    opening_allowance: Mapping[str, int] | None = None,
    write_offs: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    policy: ProvisionPolicy | None = None,
) -> ProvisionResult:
    """The allowance at ``as_of``, its movement and journals; see the module doc."""
    policy = policy or ProvisionPolicy()
    findings: list[Finding] = []
    oi = open_items[
        open_items["document_date"].le(pd.Timestamp(as_of)) | open_items["document_date"].isna()
    ]
    due, _ = effective_due_dates(oi, customers)
    amount = money(oi, "amount_open")
    items = pd.DataFrame(
        {
            "customer_id": text(oi, "customer_id"),
            "currency": text(oi, "currency"),
            "bucket": assign_buckets(days_past_due(due, as_of), policy.buckets),
            "amount": amount,
        }
    )
    credits = items[items["amount"] < 0]
    if len(credits):
        findings.append(
            info(
                Location("open_items"),
                "CREDITS_NOT_NETTED",
                f"{len(credits):,} credits (credit notes, advances, unapplied cash) are not "
                "netted: the allowance is on the gross receivable",
                "",
            )
        )
    return _provide(
        items[items["amount"] > 0],
        pd.Timestamp(as_of),
        matrix,
        findings,
        specific=specific,
        opening_allowance=opening_allowance,
        write_offs=write_offs,
        policy=policy,
    )


_BUCKET = re.compile(r"current|\d+-\d+|\d+\+")
"""An aging bucket label: ``current``, ``1-30``, ``121+``."""


def provision_from_aging(
    aging: pd.DataFrame,
    matrix: pd.DataFrame,
    *,
    as_of: dt.date,
    specific: pd.DataFrame | None = None,
    opening_allowance: Mapping[str, int] | None = None,
    write_offs: pd.DataFrame | None = None,
    policy: ProvisionPolicy | None = None,
) -> ProvisionResult:
    """The allowance from an aging table (the contract's ``aging``: one row per customer
    and currency, a money column per bucket of ``policy.buckets``) instead of the open
    items: each positive cell (customer, currency, bucket) is a receivable of that
    bucket, then the same matrix, specific provisions, movement and journals as
    :func:`compute_provision` (``as_of``: the aging's date, for the journals).

    An aging cell is already the net of the customer's items in that bucket, so a credit
    note in the same bucket as an invoice reduces it (the open items give the gross
    receivable; the two agree when no cell mixes debits and credits); a negative cell is
    a net credit: not provided for, counted in ``CREDITS_NOT_NETTED``. Bucket columns the
    policy expects and the aging lacks are taken as 0 (``AGING_BUCKET_MISSING``); bucket
    columns of other limits are left out (``AGING_BUCKET_UNKNOWN``).
    """
    policy = policy or ProvisionPolicy()
    labels = bucket_labels(policy.buckets)
    findings: list[Finding] = []
    missing = [b for b in labels if b not in aging.columns]
    if missing:
        findings.append(
            warning(
                Location("aging"),
                "AGING_BUCKET_MISSING",
                f"the aging has no column for buckets {missing}: taken as 0",
                "Age with the same bucket limits as the provision (Settings: buckets).",
            )
        )
    unknown = [str(c) for c in aging.columns if _BUCKET.fullmatch(str(c)) and str(c) not in labels]
    if unknown:
        findings.append(
            warning(
                Location("aging"),
                "AGING_BUCKET_UNKNOWN",
                f"aging columns {unknown} are not buckets of the limits {list(policy.buckets)}: "
                "left out of the provision",
                "Age with the same bucket limits as the provision (Settings: buckets).",
            )
        )
    if "currency" not in aging:
        findings.append(
            error(
                Location("aging"),
                "MISSING_COLUMN",
                "the aging has no currency column: nothing provided",
                "Give the aging with its currency column (one row per customer and currency).",
            )
        )
        aging = aging.iloc[0:0]
    present = [b for b in labels if b in aging.columns]
    cells = pd.DataFrame(
        {
            "customer_id": np.repeat(text(aging, "customer_id").to_numpy(), len(present)),
            "currency": np.repeat(text(aging, "currency").to_numpy(), len(present)),
            "bucket": np.tile(np.array(present, dtype=object), len(aging)),
            "amount": np.concatenate(
                [money(aging, b).to_numpy()[:, None] for b in present], axis=1
            ).ravel()
            if present and len(aging)
            else np.zeros(0, dtype=np.int64),
        }
    )
    credits = cells[cells["amount"] < 0]
    if len(credits):
        findings.append(
            info(
                Location("aging"),
                "CREDITS_NOT_NETTED",
                f"{len(credits):,} aging cells are net credits (credit notes, advances, "
                "unapplied cash over the invoices of the bucket): not provided for",
                "",
            )
        )
    return _provide(
        cells[cells["amount"] > 0].reset_index(drop=True),
        pd.Timestamp(as_of),
        matrix,
        findings,
        specific=specific,
        opening_allowance=opening_allowance,
        write_offs=write_offs,
        policy=policy,
    )


def _provide(
    items: pd.DataFrame,
    as_of: pd.Timestamp,
    matrix: pd.DataFrame,
    findings: list[Finding],
    *,
    specific: pd.DataFrame | None,
    opening_allowance: Mapping[str, int] | None,
    write_offs: pd.DataFrame | None,
    policy: ProvisionPolicy,
) -> ProvisionResult:
    """The provision of the receivables ``items`` (customer_id, currency, bucket, amount
    > 0), the movement, the journals and the controls."""
    labels = bucket_labels(policy.buckets)
    spec = _specific(specific)
    in_spec = items["customer_id"].isin(set(spec))
    findings += _specific_without_receivable(spec, set(items["customer_id"]))
    findings += check_matrix(matrix, policy.buckets)
    rows, more = _matrix_rows(items[~in_spec], matrix, labels)
    findings += more
    rows += _specific_rows(items[in_spec], spec, findings)
    provision = _provision_table(rows)
    by_customer = _by_customer(items[~in_spec], matrix, provision)
    closing = {str(c): int(v) for c, v in provision.groupby("currency")["provision"].sum().items()}
    used = _write_off_totals(write_offs)
    movement = _movement(opening_allowance or {}, used, closing)
    journal = _journal(movement, write_offs, as_of, policy)
    findings += check_balanced(journal, "provision journal")
    controls = _controls(movement, journal)
    return ProvisionResult(
        provision,
        movement,
        journal,
        matrix,
        controls,
        findings,
        by_customer,
    )


def _matrix_rows(
    items: pd.DataFrame, matrix: pd.DataFrame, labels: list[str]
) -> tuple[list[dict[str, object]], list[Finding]]:
    findings: list[Finding] = []
    rows: list[dict[str, object]] = []
    sums = items.groupby(["currency", "bucket"])["amount"].sum()
    for cur in sorted(set(items["currency"])):
        rates = _rates_for(matrix, cur)
        missing = [lab for lab in labels if lab not in rates]
        if missing:
            findings.append(
                warning(
                    Location("provision_matrix"),
                    "NO_LOSS_RATE",
                    f"{cur}: no loss rate for buckets {missing}; provided at 0",
                    "Give a rate for every bucket (0 where nothing is expected).",
                )
            )
        basis = text(matrix, "basis")[text(matrix, "currency").isin([cur, ""])]
        for i, label in enumerate(labels):
            receivable = int(sums.get((cur, label), 0))
            rate = rates.get(label, Decimal(0))
            rows.append(
                {
                    "currency": cur,
                    "order": i + 1,
                    "bucket": label,
                    "customer_id": "",
                    "receivable": receivable,
                    "loss_rate": float(rate),
                    "provision": _half_up(Decimal(receivable) * rate),
                    "basis": basis.iloc[0] if len(basis) else "",
                }
            )
    return rows, findings


def _by_customer(
    items: pd.DataFrame, matrix: pd.DataFrame, provision: pd.DataFrame
) -> pd.DataFrame:
    """Each bucket's provision shared among its customers: receivable x rate, rounded
    down, and the units left given to the largest remainders (ties: customer id), so the
    customers of a bucket add up to its provision exactly; then the specific rows."""
    rows: list[dict[str, object]] = []
    sums = items.groupby(["currency", "bucket", "customer_id"], sort=True)["amount"].sum()
    matrix_rows = provision[provision["bucket"].ne("specific")]
    for r in matrix_rows.itertuples(index=False):
        if int(r.receivable) == 0:
            continue
        rate = _rates_for(matrix, str(r.currency)).get(str(r.bucket), Decimal(0))
        part = sums.loc[(r.currency, r.bucket)]
        exact = [Decimal(int(v)) * rate for v in part]
        floors = [int(e) for e in exact]  # amounts and rates are not negative
        left = int(r.provision) - sum(floors)
        order = sorted(range(len(exact)), key=lambda k: -(exact[k] - floors[k]))
        for k in order[:left]:
            floors[k] += 1
        if left < 0 or left > len(exact) or sum(floors) != int(r.provision):
            raise ValueError(f"{r.currency} {r.bucket}: customers do not add up to the bucket")
        rows += [
            {
                "currency": r.currency,
                "customer_id": cust,
                "order": r.order,
                "bucket": r.bucket,
                "receivable": int(v),
                "loss_rate": r.loss_rate,
                "provision": p,
                "basis": r.basis,
            }
            for cust, v, p in zip(part.index, part, floors, strict=True)
        ]
    rows += provision[provision["bucket"].eq("specific")].to_dict("records")
    if not rows:
        return empty_table(PROVISION_BY_CUSTOMER)
    table = typed_table(rows, PROVISION_BY_CUSTOMER)[PROVISION_BY_CUSTOMER.names]
    return table.sort_values(list(PROVISION_BY_CUSTOMER.sort_by), kind="stable").reset_index(
        drop=True
    )


def _specific_without_receivable(spec: dict[str, pd.Series], debtors: set[str]) -> list[Finding]:
    return [
        info(
            Location("specific_provisions"),
            "SPECIFIC_NO_RECEIVABLE",
            f"customer {cust} has a specific provision but no debit items open at the "
            "as-of date: nothing provided for it",
            "Remove the row once the customer's receivable is written off or collected.",
        )
        for cust in sorted(spec)
        if cust not in debtors
    ]


def _specific(specific: pd.DataFrame | None) -> dict[str, pd.Series]:
    if specific is None or specific.empty:
        return {}
    return {str(r["customer_id"]): r for _, r in specific.iterrows()}


def _specific_rows(
    items: pd.DataFrame, spec: dict[str, pd.Series], findings: list[Finding]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for (cust, cur), g in items.groupby(["customer_id", "currency"], sort=True):
        s = spec[str(cust)]
        receivable = int(g["amount"].sum())
        if pd.notna(s.get("amount")) and (not s.get("currency") or s.get("currency") == cur):
            value = int(s["amount"])
            rate = float(Decimal(value) / Decimal(receivable)) if receivable else None
            if value > receivable:
                findings.append(
                    warning(
                        Location("specific_provisions"),
                        "SPECIFIC_ABOVE_RECEIVABLE",
                        f"customer {cust}: specific provision {show(value, str(cur))} is more "
                        f"than the receivable {show(receivable, str(cur))}",
                        "The allowance cannot exceed what is owed: check the amount.",
                    )
                )
        else:
            r = _dec(s.get("rate") if pd.notna(s.get("rate")) else 1)
            value, rate = _half_up(Decimal(receivable) * r), float(r)
        rows.append(
            {
                "currency": cur,
                "order": 99,
                "bucket": "specific",
                "customer_id": cust,
                "receivable": receivable,
                "loss_rate": rate,
                "provision": value,
                "basis": str(s.get("reason") or "specific provision"),
            }
        )
    return rows


def _provision_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return empty_table(PROVISION)
    table = typed_table(rows, PROVISION)
    return table.sort_values(list(PROVISION.sort_by), kind="stable").reset_index(drop=True)


def _write_off_totals(write_offs: pd.DataFrame | None) -> dict[str, int]:
    if write_offs is None or write_offs.empty:
        return {}
    sums = money(write_offs, "amount").groupby(text(write_offs, "currency")).sum()
    return {str(c): int(v) for c, v in sums.items()}


def _movement(
    opening: Mapping[str, int], used: Mapping[str, int], closing: Mapping[str, int]
) -> pd.DataFrame:
    rows = []
    for cur in sorted(set(opening) | set(used) | set(closing)):
        o, w, c = int(opening.get(cur, 0)), int(used.get(cur, 0)), int(closing.get(cur, 0))
        charge = c - o + w
        lines = [
            ("Opening allowance", o),
            ("Write-offs against the allowance", -w),
            ("Charge to profit or loss" if charge >= 0 else "Release to profit or loss", charge),
            ("Closing allowance (expected credit loss)", c),
            ("Check: opening - write-offs + charge - closing", o - w + charge - c),
        ]
        rows += [
            {"currency": cur, "line": i, "label": lab, "amount": amt}
            for i, (lab, amt) in enumerate(lines, start=1)
        ]
    return typed_table(rows, ALLOWANCE_MOVEMENT) if rows else empty_table(ALLOWANCE_MOVEMENT)


def _journal(
    movement: pd.DataFrame,
    write_offs: pd.DataFrame | None,
    as_of: pd.Timestamp,
    policy: ProvisionPolicy,
) -> pd.DataFrame:
    parts = []
    for cur, g in movement.groupby("currency", sort=True):
        charge = int(g.loc[g["line"].eq(3), "amount"].iloc[0])
        jid = f"{policy.journal_prefix}-{as_of:%Y%m}-{cur}"
        words = f"Expected credit loss {as_of:%Y-%m}"
        parts.append(
            entry(
                jid,
                as_of,
                str(cur),
                [
                    signed(policy.expense_account, charge, text=words),
                    signed(policy.allowance_account, -charge, text=words),
                ],
            )
        )
        if write_offs is not None and len(write_offs):
            w = write_offs[text(write_offs, "currency").eq(cur)]
            total = int(money(w, "amount").sum())
            lines = [Line(policy.allowance_account, debit=total, text="Write-offs")]
            lines += [
                Line(
                    policy.receivable_account,
                    credit=int(a),
                    text=f"Write-off {d}",
                    customer_id=c,
                    document_id=d,
                )
                for d, c, a in zip(
                    text(w, "document_id"), text(w, "customer_id"), money(w, "amount"), strict=True
                )
            ]
            parts.append(entry(f"WO-{as_of:%Y%m}-{cur}", as_of, str(cur), lines))
    return concat(parts)


def _controls(movement: pd.DataFrame, journal: pd.DataFrame) -> list[Control]:
    out = []
    for cur, g in movement.groupby("currency", sort=True):
        check = int(g.loc[g["line"].eq(5), "amount"].iloc[0])
        j = journal[journal["currency"].eq(cur)]
        dr, cr = int(j["debit"].sum()), int(j["credit"].sum())
        out += [
            Control(
                "Allowance movement",
                "Opening - write-offs + charge - closing",
                str(cur),
                check,
                check == 0,
            ),
            Control("Allowance movement", "Journal debits - credits", str(cur), dr - cr, dr == cr),
        ]
    return out


__all__ = [
    "PROVISION_BY_CUSTOMER",
    "ROLL_RATES",
    "WRITE_OFF",
    "ProvisionPolicy",
    "ProvisionResult",
    "check_matrix",
    "compute_provision",
    "flat_matrix",
    "matrix_from_roll_rates",
    "provision_from_aging",
    "roll_rate_table",
    "roll_rates",
    "snapshots_from_agings",
]
