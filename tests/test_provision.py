"""Bad-debt provision (cuadre.provision), checked against a hand-computed example.

Snapshots (MXN, buckets current / 1-30 / 31-60 / 61+, write-offs of the month):

    month end   current  1-30  31-60  61+  written off
    2026-07-31    1000    400    200  100       -
    2026-08-31    1200    300    100   80      40
    2026-09-30    1100    360    150   60      20

Roll rates over the two month-to-month rolls (sum of next-bucket balances / sum of
bucket balances):

    current -> 1-30:   (300 + 360) / (1000 + 1200) = 660 / 2200 = 3/10
    1-30 -> 31-60:     (100 + 150) / (400 + 300)   = 250 / 700  = 5/14
    31-60 -> 61+:      (80 + 60) / (200 + 100)     = 140 / 300  = 7/15
    61+ -> write-off:  (40 + 20) / (100 + 80)      = 60 / 180   = 1/3

Loss rates (product of the roll rates to write-off):

    61+    1/3
    31-60  7/15 x 1/3      = 7/45
    1-30   5/14 x 7/45     = 1/18
    current 3/10 x 1/18    = 1/60

Receivables 600.00 / 180.00 / 90.00 / 30.00 give 10.00 + 10.00 + 14.00 + 10.00 = 44.00;
with a forward-looking factor of 1.1, 11.00 + 11.00 + 15.40 + 11.00 = 48.40.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.aging import age_receivables
from cuadre.journals import check_balanced
from cuadre.provision import (
    ProvisionPolicy,
    compute_provision,
    flat_matrix,
    matrix_from_roll_rates,
    roll_rates,
    snapshots_from_agings,
)
from cuadre.reconcile.tables import AGING_SNAPSHOTS, SPECIFIC_PROVISIONS, WRITE_OFFS
from helpers import frame, open_items

AS_OF = dt.date(2026, 10, 31)
BUCKETS = (30, 60)
HISTORY = {
    "2026-07-31": (1000, 400, 200, 100, 0),
    "2026-08-31": (1200, 300, 100, 80, 40),
    "2026-09-30": (1100, 360, 150, 60, 20),
}


def snapshots() -> pd.DataFrame:
    rows = []
    for day, values in HISTORY.items():
        for bucket, v in zip(["current", "1-30", "31-60", "61+", "write_off"], values, strict=True):
            rows.append({"as_of": day, "currency": "MXN", "bucket": bucket, "amount": v * 100})
    return frame(AGING_SNAPSHOTS, rows)


def receivables() -> pd.DataFrame:
    return open_items(
        [
            {
                "customer_id": "C1",
                "document_id": "F1",
                "amount_open": 60000,
                "due_date": "2026-10-31",
            },
            {
                "customer_id": "C1",
                "document_id": "F2",
                "amount_open": 18000,
                "due_date": "2026-10-10",
            },
            {
                "customer_id": "C2",
                "document_id": "F3",
                "amount_open": 9000,
                "due_date": "2026-09-10",
            },
            {
                "customer_id": "C2",
                "document_id": "F4",
                "amount_open": 3000,
                "due_date": "2026-06-10",
            },
        ]
    )


def test_roll_rates_by_hand() -> None:
    rates, months, findings = roll_rates(snapshots(), BUCKETS)
    assert months == {"MXN": 2} and not findings
    assert rates["MXN"] == [
        Decimal(660) / 2200,
        Decimal(250) / 700,
        Decimal(140) / 300,
        Decimal(60) / 180,
    ]


def test_loss_rates_and_provision_by_hand() -> None:
    matrix, _ = matrix_from_roll_rates(snapshots(), ProvisionPolicy(buckets=BUCKETS))
    hist = matrix.set_index("bucket")["historical_loss_rate"]
    assert hist["61+"] == pytest.approx(1 / 3)
    assert hist["31-60"] == pytest.approx(7 / 45)
    assert hist["1-30"] == pytest.approx(1 / 18)
    assert hist["current"] == pytest.approx(1 / 60)
    res = compute_provision(receivables(), AS_OF, matrix, policy=ProvisionPolicy(buckets=BUCKETS))
    assert res.provision["provision"].tolist() == [1000, 1000, 1400, 1000]
    assert int(res.provision["provision"].sum()) == 4400


def test_forward_looking_factor_by_hand() -> None:
    policy = ProvisionPolicy(buckets=BUCKETS, forward_factor=1.1)
    matrix, _ = matrix_from_roll_rates(snapshots(), policy)
    res = compute_provision(receivables(), AS_OF, matrix, policy=policy)
    assert res.provision["provision"].tolist() == [1100, 1100, 1540, 1100]
    capped = ProvisionPolicy(buckets=BUCKETS, forward_by_bucket={"61+": 5})
    matrix, _ = matrix_from_roll_rates(snapshots(), capped)
    assert matrix.set_index("bucket").loc["61+", "loss_rate"] == 1.0


def test_specific_provision_overrides_the_matrix_and_the_movement() -> None:
    oi = pd.concat(
        [
            receivables(),
            open_items(
                [
                    {
                        "customer_id": "C9",
                        "document_id": "F9",
                        "amount_open": 20000,
                        "due_date": "2026-06-10",
                    },
                    {
                        "customer_id": "C9",
                        "document_id": "N9",
                        "document_type": "credit_note",
                        "amount_open": -500,
                        "due_date": "2026-06-10",
                    },
                ]
            ),
        ],
        ignore_index=True,
    )
    spec = frame(SPECIFIC_PROVISIONS, [{"customer_id": "C9", "rate": 0.5, "reason": "concurso"}])
    wo = frame(
        WRITE_OFFS,
        [
            {
                "document_id": "F0",
                "customer_id": "C7",
                "date": "2026-10-15",
                "currency": "MXN",
                "amount": 2500,
            }
        ],
    )
    matrix, _ = matrix_from_roll_rates(snapshots(), ProvisionPolicy(buckets=BUCKETS))
    res = compute_provision(
        oi,
        AS_OF,
        matrix,
        specific=spec,
        opening_allowance={"MXN": 10000},
        write_offs=wo,
        policy=ProvisionPolicy(buckets=BUCKETS),
    )
    specific = res.provision[res.provision["bucket"].eq("specific")]
    assert specific[["customer_id", "receivable", "provision"]].values.tolist() == [
        ["C9", 20000, 10000]
    ]
    movement = res.movement.set_index("line")["amount"]
    # opening 100.00 - write-offs 25.00 + charge = closing 144.00 -> charge 69.00
    assert movement.tolist() == [10000, -2500, 6900, 14400, 0]
    assert check_balanced(res.journal) == []
    charge = res.journal[res.journal["journal_id"].eq("PRV-202610-MXN")]
    assert charge[["account", "debit", "credit"]].values.tolist() == [
        ["6105-01", 6900, 0],
        ["1109-01", 0, 6900],
    ]
    assert "CREDITS_NOT_NETTED" in [f.code for f in res.findings]


def test_a_release_when_the_allowance_falls() -> None:
    matrix = flat_matrix({"61+": 10}, BUCKETS)
    res = compute_provision(
        receivables(),
        AS_OF,
        matrix,
        opening_allowance={"MXN": 1000},
        policy=ProvisionPolicy(buckets=BUCKETS),
    )
    movement = res.movement.set_index("line")
    assert movement.loc[3, "label"] == "Release to profit or loss"
    assert int(movement.loc[3, "amount"]) == 300 - 1000
    assert res.journal[["account", "debit", "credit"]].values.tolist() == [
        ["6105-01", 0, 700],
        ["1109-01", 700, 0],
    ]


def test_flat_percentages() -> None:
    matrix = flat_matrix({"31-60": 5, "61+": "15.5"}, BUCKETS)
    assert matrix["loss_rate"].tolist() == [0.0, 0.0, 0.05, 0.155]
    res = compute_provision(receivables(), AS_OF, matrix, policy=ProvisionPolicy(buckets=BUCKETS))
    assert res.provision["provision"].tolist() == [0, 0, 450, 465]
    with pytest.raises(ValueError, match="not among"):
        flat_matrix({"91+": 5}, BUCKETS)


def test_snapshots_from_agings_and_too_few() -> None:
    aging, _ = age_receivables(receivables(), AS_OF, BUCKETS)
    snap = snapshots_from_agings({AS_OF: aging}, {AS_OF: {"MXN": 700}}, BUCKETS)
    assert snap.set_index("bucket")["amount"].to_dict() == {
        "current": 60000,
        "1-30": 18000,
        "31-60": 9000,
        "61+": 3000,
        "write_off": 700,
    }
    _, findings = matrix_from_roll_rates(snap, ProvisionPolicy(buckets=BUCKETS))
    assert "TOO_FEW_SNAPSHOTS" in [f.code for f in findings]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 10**8), st.integers(-400, 60)), max_size=10),
    st.integers(0, 10**8),
    st.lists(st.integers(1, 10**6), max_size=3),
)
def test_the_provision_journal_always_balances(docs, opening, written) -> None:
    oi = open_items(
        [
            {
                "customer_id": "C",
                "document_id": f"F{i}",
                "amount_open": a,
                "due_date": (AS_OF - dt.timedelta(days=d)).isoformat(),
            }
            for i, (a, d) in enumerate(docs)
        ]
    )
    wo = frame(
        WRITE_OFFS,
        [
            {"document_id": f"W{i}", "date": "2026-10-01", "currency": "MXN", "amount": w}
            for i, w in enumerate(written)
        ],
    )
    res = compute_provision(
        oi,
        AS_OF,
        flat_matrix({"31-60": 7, "61+": 33}, BUCKETS),
        opening_allowance={"MXN": opening},
        write_offs=wo,
        policy=ProvisionPolicy(buckets=BUCKETS),
    )
    assert check_balanced(res.journal) == []
    assert all(c.check is not False for c in res.controls)
