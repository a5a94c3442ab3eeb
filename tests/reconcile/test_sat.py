"""SAT registry vs ERP and the payment complements (cuadre.reconcile.sat).

The acceptance test runs on the real CFDI and SAT Metadata samples in
../shared/realdata/cfdi (read with cuadre.importers.fiscal.import_fiscal) against a small
ERP table written here, with planted cases that must be found: a PPD invoice with a
payment and no complement, a complement whose balances disagree with the ERP, and a
CFDI the SAT cancelled that the ERP still has open.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.importers.fiscal import import_fiscal
from cuadre.model.tables import ALLOCATIONS, FISCAL_DOCS, PAYMENT_COMPLEMENTS, PAYMENTS
from cuadre.reconcile.sat import SatPolicy, reconcile_sat, rep_deadline
from helpers import frame, open_items
from recon_props import assert_controls_balance, assert_nothing_to_explain, same_result, shuffled

PPD_INVOICE = "6D7434A6-E3F2-47AD-9E4C-08849946AFA0"  # 17,852.75 MXN, paid by REP 5B64ADA3
PUE_INVOICE = "6E546729-960A-4505-8E81-2D2952145BD9"
META_CANCELLED = "E7215E3B-2DC5-4A40-AB10-C902FF9258DF"  # 1,124.11 in the Metadata
META_PAID = "129C4D12-1415-4ACE-BE12-34E71C4EAB4E"  # 1,485.17 in the Metadata
NOT_IN_ERP = "6F35D3B5-3651-5370-BC2C-14CDBE384CD7"  # CfdiUtils cfdi40-valid, PUE

REAL_FILES = [
    "cfdi/satcfdi_h&e951128469_ingreso_iva16_stamped.xml",
    "cfdi/satcfdi_pago_h&e951128469_ingreso_iva16.xml",
    "cfdi/satcfdi/tests__invoices__h&e951128469_ingreso_iva16_stamped_pue.xml",
    "cfdi/cfdiutils/tests__assets__cfdi40-valid.xml",
]


def real_sat(realdata) -> tuple[pd.DataFrame, pd.DataFrame]:
    items = [((realdata / f).read_bytes(), f) for f in REAL_FILES]
    meta = (realdata / "cfdi/phpcfdi_descarga_masiva_metadata.txt").read_bytes()
    # planted: the SAT cancelled E7215E3B on 2018-02-03 (Estatus 0 + FechaCancelacion)
    planted = meta.replace(b"1124.11~I~1~", b"1124.11~I~0~2018-02-03 10:00:00")
    assert planted != meta
    items.append((planted, "metadata_with_a_cancellation.txt"))
    docs, comps, findings = import_fiscal(items)
    assert not [f for f in findings if f.is_error], findings
    return docs, comps


def erp_table() -> pd.DataFrame:
    erp = open_items(
        [
            # planted: the ERP applied only 16,852.75 while the REP says 17,852.75 paid
            {
                "customer_id": "KIJ",
                "tax_id": "KIJ0906199R1",
                "document_id": "A-123456",
                "fiscal_uuid": PPD_INVOICE.lower(),
                "document_date": "2020-01-01",
                "due_date": "2020-01-31",
                "amount_original": 1785275,
                "amount_open": 100000,
            },
            {
                "customer_id": "KIJ",
                "tax_id": "KIJ0906199R1",
                "document_id": "A-123457",
                "fiscal_uuid": PUE_INVOICE,
                "document_date": "2020-01-01",
                "due_date": "2020-01-01",
                "amount_original": 1785275,
                "amount_open": 0,
            },
            # planted: cancelled by the SAT, still open here
            {
                "customer_id": "RS1",
                "tax_id": "XAXX010101001",
                "document_id": "F-1",
                "fiscal_uuid": META_CANCELLED,
                "document_date": "2018-01-11",
                "due_date": "2018-02-11",
                "amount_original": 112411,
                "amount_open": 112411,
            },
            # planted: PPD (the ERP says so; the Metadata does not tell), paid, no complement
            {
                "customer_id": "RS2",
                "tax_id": "XAXX010101002",
                "document_id": "F-2",
                "fiscal_uuid": META_PAID,
                "document_date": "2018-01-11",
                "due_date": "2018-02-11",
                "amount_original": 148517,
                "amount_open": 0,
            },
            {
                "customer_id": "ZZ",
                "tax_id": "ZZZ010101AAA",
                "document_id": "F-9",
                "document_date": "2018-01-20",
                "due_date": "2018-02-20",
                "amount_original": 5000,
                "amount_open": 5000,
            },
        ]
    )
    erp["payment_method"] = ["", "PUE", "", "PPD", ""]
    return erp


@pytest.mark.realdata
def test_real_samples_with_planted_cases(realdata) -> None:
    docs, comps = real_sat(realdata)
    r = reconcile_sat(docs, erp_table(), payment_complements=comps)
    checks = r.extra["complement_checks"]
    found = set(zip(checks["check"], checks["invoice_uuid"], strict=True))
    assert ("PPD_WITHOUT_REP", META_PAID) in found
    assert ("REP_DISAGREES_WITH_ERP", PPD_INVOICE) in found
    cancelled = r.differences[r.differences["cause"].eq("cancelled_open")]
    assert cancelled["left_ids"].tolist() == [META_CANCELLED]
    assert "2018-02-03" in cancelled["explanation"].iloc[0]
    assert r.left_only["left_ids"].tolist() == [NOT_IN_ERP]
    assert r.left_only["cause"].tolist() == ["missing_in_erp"]
    assert r.right_only["cause"].tolist() == ["not_stamped"]
    # the real complement chains correctly: no chain finding, nothing else planted
    assert found == {("PPD_WITHOUT_REP", META_PAID), ("REP_DISAGREES_WITH_ERP", PPD_INVOICE)}
    row = checks[checks["check"].eq("REP_DISAGREES_WITH_ERP")].iloc[0]
    assert (
        int(row["erp_paid"]),
        int(row["rep_paid"]),
        int(row["erp_open"]),
        int(row["rep_balance"]),
    ) == (1685275, 1785275, 100000, 0)
    codes = {f.code for f in r.findings}
    assert {"CANCELLED_BUT_OPEN", "PPD_WITHOUT_REP", "REP_DISAGREES_WITH_ERP"} <= codes
    assert_controls_balance(r)


@pytest.mark.realdata
def test_real_samples_agree_when_the_erp_agrees(realdata) -> None:
    docs, comps = real_sat(realdata)
    erp = erp_table()
    erp.loc[erp["document_id"].eq("A-123456"), "amount_open"] = 0
    r = reconcile_sat(
        docs,
        erp[erp["document_id"].isin(["A-123456", "A-123457"])],
        payment_complements=comps,
        policy=SatPolicy(company_tax_ids=["H&E951128469"]),
    )
    assert r.extra["complement_checks"].empty
    assert r.differences.empty and r.left_only.empty and r.right_only.empty


@pytest.mark.realdata
def test_a_payment_without_its_complement_file(realdata) -> None:
    files = [f for f in REAL_FILES if "pago" not in f]
    docs, comps, _ = import_fiscal([((realdata / f).read_bytes(), f) for f in files])
    erp = erp_table().iloc[:1]
    r = reconcile_sat(docs, erp, payment_complements=comps)
    checks = r.extra["complement_checks"]
    assert checks["check"].tolist() == ["PPD_WITHOUT_REP"]  # the XML says PPD
    assert int(checks["erp_paid"].iloc[0]) == 1685275


def sat_docs(rows: list[dict]) -> pd.DataFrame:
    base = {
        "kind": "invoice",
        "issuer_tax_id": "EKU9003173C9",
        "receiver_tax_id": "AAA010101AAA",
        "issue_date": "2026-10-01",
        "currency": "MXN",
        "status": "valid",
    }
    return frame(FISCAL_DOCS, [{**base, **r} for r in rows])


def reps(rows: list[dict]) -> pd.DataFrame:
    base = {
        "payment_index": 1,
        "related_index": 1,
        "payment_currency": "MXN",
        "currency": "MXN",
        "payment_date": "2026-10-15",
    }
    out = [{**base, **r} for r in rows]
    for r in out:
        r.setdefault("payment_amount", r["amount_paid"])
    return frame(PAYMENT_COMPLEMENTS, out)


def test_allocations_count_as_payments_applied_with_their_dates() -> None:
    docs = sat_docs(
        [{"uuid": "U1", "series": "A", "folio": "1", "total": 10000, "payment_method": "PPD"}]
    )
    erp = open_items(
        [
            {
                "customer_id": "C",
                "document_id": "A-1",
                "fiscal_uuid": "U1",
                "amount_original": 10000,
                "amount_open": 10000,
                "due_date": "2026-11-01",
                "document_date": "2026-10-01",
            }
        ]
    )
    alloc = frame(
        ALLOCATIONS,
        [
            {
                "payment_id": "P1",
                "document_id": "A-1",
                "currency": "MXN",
                "amount_applied": 4000,
                "status": "auto",
                "confidence": 1.0,
            }
        ],
    )
    pays = frame(
        PAYMENTS,
        [{"payment_id": "P1", "value_date": "2026-10-28", "amount": 4000, "currency": "MXN"}],
    )
    r = reconcile_sat(docs, erp, payment_complements=reps([]), allocations=alloc, payments=pays)
    row = r.extra["complement_checks"].iloc[0]
    assert row["check"] == "PPD_WITHOUT_REP"
    assert int(row["erp_paid"]) == 4000
    assert row["deadline"] == pd.Timestamp("2026-11-05")
    assert "by 2026-11-05" in row["explanation"]


def test_chain_breaks_and_skipped_installments() -> None:
    docs = sat_docs([{"uuid": "U1", "total": 10000, "payment_method": "PPD"}])
    complements = reps(
        [
            {
                "complement_uuid": "P1",
                "related_uuid": "U1",
                "installment": 1,
                "balance_before": 9000,
                "amount_paid": 4000,
                "balance_after": 5000,
            },
            {
                "complement_uuid": "P2",
                "related_uuid": "U1",
                "installment": 3,
                "balance_before": 5000,
                "amount_paid": 5000,
                "balance_after": 0,
                "payment_date": "2026-10-20",
            },
        ]
    )
    r = reconcile_sat(docs, open_items([]), payment_complements=complements)
    checks = r.extra["complement_checks"]
    chain = checks[checks["check"].eq("REP_CHAIN_BROKEN")]
    text = " | ".join(chain["explanation"])
    assert "ImpSaldoAnt 90.00 MXN != the invoice total 100.00 MXN" in text
    # a skipped installment is a rejected complement, not counted as paid
    rejected = checks[checks["check"].eq("REP_REJECTED")]
    assert rejected["complement_uuids"].tolist() == ["P2"]
    assert rejected["reason"].tolist() == ["installment"]
    assert "NumParcialidad 3 after 1 (expected 2)" in rejected["explanation"].iloc[0]


def test_cancelled_complements_do_not_count() -> None:
    docs = sat_docs(
        [
            {"uuid": "U1", "total": 10000, "payment_method": "PPD"},
            {"uuid": "P1", "kind": "payment", "currency": "XXX", "total": 0, "status": "cancelled"},
        ]
    )
    erp = open_items(
        [
            {
                "customer_id": "C",
                "document_id": "A-1",
                "fiscal_uuid": "U1",
                "amount_original": 10000,
                "amount_open": 0,
                "due_date": "2026-11-01",
            }
        ]
    )
    complements = reps(
        [
            {
                "complement_uuid": "P1",
                "related_uuid": "U1",
                "installment": 1,
                "balance_before": 10000,
                "amount_paid": 10000,
                "balance_after": 0,
            }
        ]
    )
    r = reconcile_sat(docs, erp, payment_complements=complements)
    assert r.extra["complement_checks"]["check"].tolist() == ["PPD_WITHOUT_REP"]
    assert "REP_CANCELLED" in [f.code for f in r.findings]


def test_rep_deadline_is_day_5_of_the_next_month() -> None:
    assert rep_deadline(pd.Timestamp("2026-10-31")) == pd.Timestamp("2026-11-05")
    assert rep_deadline(pd.Timestamp("2026-12-01")) == pd.Timestamp("2027-01-05")


# --------------------------------------------------------------------------- properties

docs_st = st.lists(
    st.tuples(
        st.integers(1, 500_000),
        st.sampled_from(["invoice", "credit_note"]),
        st.sampled_from(["MXN", "USD"]),
        st.sampled_from(["AAA010101AAA", "BBB010101BBB"]),
        st.booleans(),  # the ERP keeps the UUID
    ),
    max_size=10,
)


def _both(spec: list[tuple], day: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    # every credit note credits invoice 0 with TipoRelacion 01, as a CFDI Egreso must
    spec = [(100, "invoice", "MXN", "AAA010101AAA", True), *spec]
    docs = sat_docs(
        [
            {
                "uuid": f"UUID-{i}",
                "series": "A",
                "folio": str(i),
                "kind": k,
                "currency": c,
                "receiver_tax_id": rfc,
                "total": t,
                "issue_date": f"2026-10-{day:02d}",
                "related_uuids": "01:UUID-0" if k == "credit_note" else "",
            }
            for i, (t, k, c, rfc, _keep) in enumerate(spec)
        ]
    )
    erp = open_items(
        [
            {
                "customer_id": rfc,
                "document_id": f"A-{i}",
                "fiscal_uuid": f"uuid-{i}" if keep else "",
                "document_type": k,
                "currency": c,
                "tax_id": rfc,
                "amount_original": t if k == "invoice" else -t,
                "amount_open": 0,
                "document_date": f"2026-10-{day:02d}",
                "due_date": "2026-11-30",
            }
            for i, (t, k, c, rfc, keep) in enumerate(spec)
        ]
    )
    return docs, erp


@settings(max_examples=15, deadline=None)
@given(docs_st)
def test_the_registry_reconciled_with_itself_leaves_nothing(spec) -> None:
    docs, erp = _both([(*s[:4], True) for s in spec])
    assert_nothing_to_explain(reconcile_sat(docs, erp))


@settings(max_examples=10, deadline=None)
@given(docs_st, docs_st, st.integers(0, 100))
def test_shuffling_rows_changes_nothing_and_controls_balance(a, b, seed) -> None:
    docs, _ = _both(a)
    _, erp = _both(b, day=2)
    policy = SatPolicy(period=(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    first = reconcile_sat(docs, erp, policy=policy)
    again = reconcile_sat(shuffled(docs, seed), shuffled(erp, seed + 1), policy=policy)
    assert_controls_balance(first)
    same_result(first, again)
