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
    check_matrix,
    compute_provision,
    flat_matrix,
    matrix_from_roll_rates,
    roll_rate_table,
    roll_rates,
    snapshots_from_agings,
)
from cuadre.reconcile.tables import (
    AGING_SNAPSHOTS,
    PROVISION_MATRIX,
    SPECIFIC_PROVISIONS,
    WRITE_OFFS,
)
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


def test_roll_rate_table_shows_each_month_pair_by_hand() -> None:
    rolls = roll_rate_table(snapshots(), BUCKETS)
    assert len(rolls) == 2 * 4  # two month pairs, four buckets
    aug = rolls[rolls["to_date"].eq(pd.Timestamp("2026-08-31"))].set_index("bucket")
    # current -> 1-30: 300 / 1000; 1-30 -> 31-60: 100 / 400; 31-60 -> 61+: 80 / 200;
    # 61+ -> written off in August: 40 / 100
    assert aug["balance"].tolist() == [100000, 40000, 20000, 10000]
    assert aug["rolled"].tolist() == [30000, 10000, 8000, 4000]
    assert aug["roll_rate"].tolist() == pytest.approx([0.3, 0.25, 0.4, 0.4])
    assert aug["next_bucket"].tolist() == ["1-30", "31-60", "61+", "write_off"]
    # the window's sums are the roll rates of the matrix
    sums = rolls.groupby("order")[["rolled", "balance"]].sum()
    rates, _, _ = roll_rates(snapshots(), BUCKETS)
    assert [Decimal(int(r)) / int(b) for r, b in sums.itertuples(index=False)] == rates["MXN"]
    assert len(roll_rate_table(snapshots(), BUCKETS, window_months=1)) == 4


def test_the_exact_loss_rate_is_used_not_its_float() -> None:
    """61+ rolls 1/6 to write-off; 0.03 x 1/6 = 0.005 exactly, half up to 0.01 (the
    float 0.1666... would give 0.0049999... and round to 0)."""
    rows = []
    for day, values in {"2026-08-31": (0, 0, 0, 600, 0), "2026-09-30": (0, 0, 0, 0, 100)}.items():
        for bucket, v in zip(["current", "1-30", "31-60", "61+", "write_off"], values, strict=True):
            rows.append({"as_of": day, "currency": "MXN", "bucket": bucket, "amount": v})
    matrix, _ = matrix_from_roll_rates(
        frame(AGING_SNAPSHOTS, rows), ProvisionPolicy(buckets=BUCKETS)
    )
    oi = open_items(
        [{"customer_id": "C", "document_id": "F", "amount_open": 3, "due_date": "2026-06-10"}]
    )
    res = compute_provision(oi, AS_OF, matrix, policy=ProvisionPolicy(buckets=BUCKETS))
    assert res.provision.set_index("bucket").loc["61+", "provision"] == 1


def test_a_given_matrix_is_checked() -> None:
    given = frame(
        PROVISION_MATRIX,
        [
            {"bucket": "current", "loss_rate": 0.01},
            {"bucket": "1-30", "loss_rate": 5},  # a percentage typed as a number
            {"bucket": "31-60", "loss_rate": None},
            {"bucket": "91+", "loss_rate": 0.5},
            {"bucket": "61+", "loss_rate": 0.3},
            {"bucket": "61+", "loss_rate": 0.4},
        ],
    )
    assert sorted(f.code for f in check_matrix(given, BUCKETS)) == [
        "DUPLICATE_LOSS_RATE",
        "LOSS_RATE_OUT_OF_RANGE",
        "NO_LOSS_RATE",
        "UNKNOWN_BUCKET",
    ]
    res = compute_provision(receivables(), AS_OF, given, policy=ProvisionPolicy(buckets=BUCKETS))
    by_bucket = res.provision.set_index("bucket")["provision"]
    # 1-30 capped at 1; 31-60 without a rate is 0; 61+ takes the last rate
    assert by_bucket.to_dict() == {"current": 600, "1-30": 18000, "31-60": 0, "61+": 1200}
    assert res.findings[0].location.row == 3  # frame() numbers rows from 2


def test_a_specific_provision_without_receivable_is_reported() -> None:
    spec = frame(SPECIFIC_PROVISIONS, [{"customer_id": "GONE", "rate": 1.0}])
    res = compute_provision(
        receivables(),
        AS_OF,
        flat_matrix({}, BUCKETS),
        specific=spec,
        policy=ProvisionPolicy(buckets=BUCKETS),
    )
    assert "SPECIFIC_NO_RECEIVABLE" in [f.code for f in res.findings]


def test_by_customer_shares_each_bucket_to_the_cent() -> None:
    """Three customers of 1.00 each in 1-30 at 1/3: the bucket is 1.00 (3.00 x 1/3); each
    customer 0.333..., rounded down to 0.33 and the cent left to one of them."""
    oi = open_items(
        [
            {"customer_id": c, "document_id": f"F{c}", "amount_open": 100, "due_date": "2026-10-10"}
            for c in ("A", "B", "C")
        ]
        + [{"customer_id": "S", "document_id": "FS", "amount_open": 500, "due_date": "2026-10-10"}]
    )
    matrix = flat_matrix({"1-30": Decimal(100) / 3}, BUCKETS)
    spec = frame(SPECIFIC_PROVISIONS, [{"customer_id": "S", "amount": 200, "currency": "MXN"}])
    res = compute_provision(
        oi, AS_OF, matrix, specific=spec, policy=ProvisionPolicy(buckets=BUCKETS)
    )
    by = res.by_customer.set_index("customer_id")
    assert by.loc[["A", "B", "C"], "provision"].tolist() == [34, 33, 33]
    assert by.loc["S", ["bucket", "provision"]].tolist() == ["specific", 200]
    bucket = res.provision.groupby("bucket")["provision"].sum()
    assert (
        res.by_customer.groupby("bucket")["provision"].sum().to_dict()
        == bucket[bucket > 0].to_dict()
    )


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ABCDE"), st.integers(1, 10**9), st.integers(-60, 200)),
        min_size=1,
        max_size=15,
    ),
    st.lists(st.integers(0, 1000), min_size=4, max_size=4),
)
def test_customers_always_add_up_to_their_bucket(docs, per_mille) -> None:
    oi = open_items(
        [
            {
                "customer_id": c,
                "document_id": f"F{i}",
                "amount_open": a,
                "due_date": (AS_OF - dt.timedelta(days=d)).isoformat(),
            }
            for i, (c, a, d) in enumerate(docs)
        ]
    )
    labels = ["current", "1-30", "31-60", "61+"]
    matrix = flat_matrix(
        {b: Decimal(p) / 10 for b, p in zip(labels, per_mille, strict=True)}, BUCKETS
    )
    res = compute_provision(oi, AS_OF, matrix, policy=ProvisionPolicy(buckets=BUCKETS))
    shared = res.by_customer.groupby("bucket")["provision"].sum()
    for r in res.provision.itertuples():
        assert int(shared.get(r.bucket, 0)) == int(r.provision)
    assert int(res.by_customer["receivable"].sum()) == sum(a for _, a, _ in docs)


def test_provision_from_aging_equals_the_open_items_provision() -> None:
    """The same receivables given as an aging table give the same provision, movement and
    journals; a credit in a bucket of its own (C2's credit note, current) is left out by
    both; a credit in the same bucket as a debit is netted by the aging (C9)."""
    from cuadre.provision import provision_from_aging

    extra = [
        {"customer_id": "C9", "document_id": "F9", "amount_open": 20000, "due_date": "2026-06-10"},
        {
            "customer_id": "C2",
            "document_id": "N2",
            "document_type": "credit_note",
            "amount_open": -700,
            "due_date": "2026-11-30",
        },
    ]
    oi = pd.concat([receivables(), open_items(extra)], ignore_index=True)
    policy = ProvisionPolicy(buckets=BUCKETS)
    matrix, _ = matrix_from_roll_rates(snapshots(), policy)
    spec = frame(SPECIFIC_PROVISIONS, [{"customer_id": "C9", "rate": 0.5, "reason": "concurso"}])
    wo = frame(
        WRITE_OFFS,
        [{"document_id": "F0", "date": "2026-10-15", "currency": "MXN", "amount": 2500}],
    )
    kw = {"specific": spec, "opening_allowance": {"MXN": 10000}, "write_offs": wo, "policy": policy}
    expected = compute_provision(oi, AS_OF, matrix, **kw)
    aging, _ = age_receivables(oi, AS_OF, BUCKETS)
    got = provision_from_aging(aging, matrix, as_of=AS_OF, **kw)
    for part in ("provision", "by_customer", "movement", "journal"):
        pd.testing.assert_frame_equal(getattr(got, part), getattr(expected, part), obj=part)
    assert [c.check for c in got.controls] == [c.check for c in expected.controls]
    assert "CREDITS_NOT_NETTED" in [f.code for f in got.findings]
    assert int(got.provision["provision"].sum()) == 4400 + 10000

    netted = pd.concat(
        [oi, open_items([{**extra[0], "document_id": "N9", "amount_open": -500}])],
        ignore_index=True,
    )
    aging, _ = age_receivables(netted, AS_OF, BUCKETS)
    got = provision_from_aging(aging, matrix, as_of=AS_OF, **kw)
    specific = got.provision[got.provision["bucket"].eq("specific")]
    assert specific[["receivable", "provision"]].values.tolist() == [[19500, 9750]]


def test_provision_from_aging_reports_buckets_that_do_not_fit() -> None:
    from cuadre.provision import provision_from_aging

    aging, _ = age_receivables(receivables(), AS_OF, (30, 60, 90))
    matrix = flat_matrix({"61+": 10}, BUCKETS)
    got = provision_from_aging(aging, matrix, as_of=AS_OF, policy=ProvisionPolicy(buckets=BUCKETS))
    codes = [f.code for f in got.findings]
    assert "AGING_BUCKET_MISSING" in codes and "AGING_BUCKET_UNKNOWN" in codes
    # 61-90 and 91+ are not the policy's 61+: nothing of them is provided
    assert int(got.provision["provision"].sum()) == 0
