"""Rejected payment complements (REP_REJECTED) and credit notes' relation to their
invoice (CREDIT_NOTE_RELATION), SAT and DIAN (cuadre.reconcile.sat / fiscal)."""

from __future__ import annotations

import pandas as pd
import pytest

from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS
from cuadre.reconcile.dian import reconcile_dian
from cuadre.reconcile.fiscal import COLOMBIA, MEXICO, parse_related
from cuadre.reconcile.sat import reconcile_sat
from helpers import frame, open_items
from recon_props import assert_controls_balance

INV = "11111111-1111-4111-8111-000000000001"
PUE = "11111111-1111-4111-8111-000000000002"
NOTE = "11111111-1111-4111-8111-000000000003"
PAY = "22222222-2222-4222-8222-000000000001"


def docs(rows: list[dict]) -> pd.DataFrame:
    base = {
        "kind": "invoice",
        "issuer_tax_id": "EKU9003173C9",
        "receiver_tax_id": "AAA010101AAA",
        "receiver_name": "Alfa",
        "issue_date": "2026-10-01",
        "currency": "MXN",
        "status": "valid",
        "payment_method": "PPD",
    }
    return frame(FISCAL_DOCS, [{**base, **r} for r in rows])


def erp(rows: list[dict]) -> pd.DataFrame:
    base = {
        "customer_id": "ALFA",
        "tax_id": "AAA010101AAA",
        "due_date": "2026-11-30",
        "document_date": "2026-10-01",
    }
    return open_items([{**base, **r} for r in rows])


def reps(rows: list[dict]) -> pd.DataFrame:
    base = {
        "complement_uuid": PAY,
        "payment_index": 1,
        "related_index": 1,
        "payment_date": "2026-10-15",
        "payment_currency": "MXN",
        "currency": "MXN",
        "equivalence": "1",
        "related_uuid": INV,
        "installment": 1,
        "balance_before": 10000,
        "amount_paid": 4000,
        "balance_after": 6000,
    }
    out = [{**base, **r} for r in rows]
    for r in out:
        r.setdefault("payment_amount", r["amount_paid"])
    return frame(PAYMENT_COMPLEMENTS, out)


REGISTRY = docs(
    [
        {"uuid": INV, "series": "A", "folio": "1", "total": 10000},
        {"uuid": PUE, "series": "A", "folio": "2", "total": 5000, "payment_method": "PUE"},
    ]
)
LEDGER = erp(
    [
        {"document_id": "A-1", "fiscal_uuid": INV, "amount_original": 10000, "amount_open": 6000},
        {"document_id": "A-2", "fiscal_uuid": PUE, "amount_original": 5000, "amount_open": 0},
    ]
)


def checks_of(complements: pd.DataFrame) -> pd.DataFrame:
    r = reconcile_sat(REGISTRY, LEDGER, payment_complements=complements)
    assert_controls_balance(r)
    return r.extra["complement_checks"]


def test_a_good_complement_is_not_rejected() -> None:
    assert checks_of(reps([{}])).empty


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        (
            {"related_uuid": "99999999-9999-4999-8999-000000000009"},
            "unknown_invoice",
            "neither the SAT download nor the ERP has",
        ),
        (
            {"currency": "USD", "equivalence": "0.05"},
            "currency",
            "MonedaDR USD but the invoice is in MXN",
        ),
        (
            {"equivalence": "18.5"},
            "equivalence",
            "EquivalenciaDR 18.5 while MonedaP and MonedaDR are both MXN (must be 1)",
        ),
        (
            {"payment_currency": "USD", "equivalence": ""},
            "equivalence",
            "EquivalenciaDR (missing) while MonedaP is USD",
        ),
        (
            {"amount_paid": 12000, "balance_after": -2000},
            "overpaid",
            "ImpPagado 120.00 MXN with ImpSaldoAnt 100.00 MXN",
        ),
        ({"installment": 2}, "installment", "NumParcialidad 2 after 0 (expected 1)"),
        (
            {"related_uuid": PUE, "balance_before": 5000, "amount_paid": 5000, "balance_after": 0},
            "pue_invoice",
            "the invoice is PUE (paid at issue)",
        ),
    ],
)
def test_each_ground_for_rejection(change: dict, reason: str, words: str) -> None:
    checks = checks_of(reps([change]))
    rejected = checks[checks["check"].eq("REP_REJECTED")]
    assert rejected["reason"].tolist() == [reason]
    assert words in rejected["explanation"].iloc[0]
    assert rejected["complement_uuids"].tolist() == [PAY]


def test_a_rejected_complement_does_not_count_as_paid() -> None:
    checks = checks_of(reps([{"currency": "USD", "equivalence": "0.05"}]))
    assert set(checks["check"]) == {"REP_REJECTED", "PPD_WITHOUT_REP"}
    no_rep = checks[checks["check"].eq("PPD_WITHOUT_REP")].iloc[0]
    assert int(no_rep["erp_paid"]) == 4000


def test_installments_continue_from_the_last_accepted_one() -> None:
    complements = reps(
        [
            {},
            {
                "complement_uuid": "P3",
                "installment": 3,
                "payment_date": "2026-10-20",
                "balance_before": 6000,
                "amount_paid": 1000,
                "balance_after": 5000,
            },
            {
                "complement_uuid": "P2",
                "installment": 2,
                "payment_date": "2026-10-25",
                "balance_before": 6000,
                "amount_paid": 1000,
                "balance_after": 5000,
            },
        ]
    )
    checks = checks_of(complements)
    rejected = checks[checks["check"].eq("REP_REJECTED")]
    assert rejected["complement_uuids"].tolist() == ["P3"]
    assert "NumParcialidad 3 after 1 (expected 2)" in rejected["explanation"].iloc[0]


def test_a_repeated_installment_is_a_duplicate_not_a_rejection() -> None:
    checks = checks_of(reps([{}, {"complement_uuid": "P2"}]))
    assert "REP_REJECTED" not in set(checks["check"])
    assert "DUPLICATE_REP" in set(checks["check"])


def test_several_reasons_are_all_named() -> None:
    checks = checks_of(reps([{"installment": 4, "amount_paid": 20000, "balance_after": -10000}]))
    assert checks.loc[checks["check"].eq("REP_REJECTED"), "reason"].tolist() == [
        "overpaid"
    ]  # out of sequence is judged among the lines that can be applied otherwise
    checks = checks_of(
        reps(
            [{"currency": "USD", "equivalence": "", "amount_paid": 20000, "balance_after": -10000}]
        )
    )
    assert checks.loc[checks["check"].eq("REP_REJECTED"), "reason"].tolist() == [
        "currency;equivalence;overpaid"
    ]


# --------------------------------------------------------------------------- relations


def test_parse_related() -> None:
    assert parse_related("01:abc;04:DEF", MEXICO) == [("01", "ABC"), ("04", "DEF")]
    assert parse_related("XYZ", MEXICO) == [("", "XYZ")]
    assert parse_related(" 3:ABC ;", COLOMBIA) == [("3", "abc")]
    assert parse_related("", MEXICO) == []


def _note(related: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    registry = docs(
        [
            {"uuid": INV, "series": "A", "folio": "1", "total": 10000},
            {"uuid": PAY, "kind": "payment", "currency": "XXX", "total": 0},
            {
                "uuid": NOTE,
                "kind": "credit_note",
                "series": "NC",
                "folio": "7",
                "total": 1000,
                "payment_method": "PUE",
                "related_uuids": related,
            },
        ]
    )
    ledger = erp(
        [
            {
                "document_id": "A-1",
                "fiscal_uuid": INV,
                "amount_original": 10000,
                "amount_open": 10000,
            },
            {
                "document_id": "NC-7",
                "document_type": "credit_note",
                "fiscal_uuid": NOTE,
                "amount_original": -1000,
                "amount_open": -1000,
            },
        ]
    )
    return registry, ledger


@pytest.mark.parametrize("related", [f"01:{INV}", f"03:{INV}", f"07:{INV}"])
def test_relation_types_that_fit_a_credit_note(related: str) -> None:
    r = reconcile_sat(*_note(related))
    assert r.differences.empty
    assert "CREDIT_NOTE_RELATION" not in [f.code for f in r.findings]


@pytest.mark.parametrize(
    ("related", "words"),
    [
        ("", "relates to no document: name the invoice it credits, with TipoRelacion 01"),
        (f"04:{INV}", "TipoRelacion 04 (substitution) relates to " + INV + ", an invoice"),
        (f"02:{INV}", "TipoRelacion 02 for " + INV + " does not fit a credit note"),
        (INV, "no TipoRelacion for " + INV),
        ("01:99999999-9999-4999-8999-000000000009", "which neither the SAT download nor the ERP"),
        (f"01:{PAY}", f"relates to {PAY}, a payment, not an invoice"),
    ],
)
def test_relations_that_do_not_fit(related: str, words: str) -> None:
    r = reconcile_sat(*_note(related))
    assert_controls_balance(r)
    row = r.differences[r.differences["right_ids"].eq("NC-7")].iloc[0]
    assert row["cause"] == "relation"
    assert int(row["difference"]) == 0
    assert words in row["explanation"]
    found = [f for f in r.findings if f.code == "CREDIT_NOTE_RELATION"]
    assert len(found) == 1 and words in found[0].message


def test_a_substitute_credit_note_may_relate_to_the_one_it_replaces() -> None:
    registry, ledger = _note(f"01:{INV}")
    old = "11111111-1111-4111-8111-000000000009"
    registry = pd.concat(
        [
            registry,
            docs(
                [
                    {
                        "uuid": old,
                        "kind": "credit_note",
                        "total": 1000,
                        "status": "cancelled",
                        "related_uuids": f"01:{INV}",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    registry.loc[registry["uuid"].eq(NOTE), "related_uuids"] = f"04:{old};01:{INV}"
    r = reconcile_sat(registry, ledger)
    assert "CREDIT_NOTE_RELATION" not in [f.code for f in r.findings]


def test_an_unpaired_credit_note_names_its_relation_problem_too() -> None:
    registry, _ = _note("")
    r = reconcile_sat(registry, erp([]))
    row = r.left_only[r.left_only["left_ids"].eq(NOTE)].iloc[0]
    assert row["cause"] == "missing_in_erp"
    assert "the credit note relates to no document" in row["explanation"]


def test_a_mexican_debit_note_is_a_cfdi_invoice() -> None:
    registry = docs([{"uuid": INV, "series": "ND", "folio": "1", "total": 10000}])
    ledger = erp(
        [
            {
                "document_id": "ND-1",
                "document_type": "debit_note",
                "fiscal_uuid": INV,
                "amount_original": 10000,
                "amount_open": 10000,
            }
        ]
    )
    r = reconcile_sat(registry, ledger)
    assert r.differences.empty and len(r.matched) == 1


CUFE = "a" * 96
CUDE = "b" * 96


@pytest.mark.parametrize(
    ("related", "ok"), [(f"3:{CUFE}", True), (f"9:{CUFE}", False), ("", False)]
)
def test_dian_credit_notes_name_their_invoice_with_a_response_code(related, ok) -> None:
    registry = docs(
        [
            {
                "uuid": CUFE,
                "series": "FV",
                "folio": "1",
                "total": 10000,
                "currency": "COP",
                "issuer_tax_id": "900555123",
                "receiver_tax_id": "900123456",
            },
            {
                "uuid": CUDE,
                "kind": "credit_note",
                "series": "NC",
                "folio": "1",
                "total": 1000,
                "currency": "COP",
                "issuer_tax_id": "900555123",
                "receiver_tax_id": "900123456",
                "related_uuids": related,
            },
        ]
    )
    ledger = erp(
        [
            {
                "document_id": "FV1",
                "fiscal_uuid": CUFE,
                "currency": "COP",
                "tax_id": "900123456-7",
                "amount_original": 10000,
                "amount_open": 10000,
            },
            {
                "document_id": "NC1",
                "document_type": "credit_note",
                "fiscal_uuid": CUDE,
                "currency": "COP",
                "tax_id": "900123456-7",
                "amount_original": -1000,
                "amount_open": -1000,
            },
        ]
    )
    r = reconcile_dian(registry, ledger)
    codes = [f.code for f in r.findings]
    assert ("CREDIT_NOTE_RELATION" not in codes) is ok
    assert r.differences.empty is ok
