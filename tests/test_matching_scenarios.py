"""Golden tests, one per scenario kind of cash application, written as small tables.

Each case: the customer's open items, one or more payments, and the expected
allocation rows (document, amount applied, status, difference reason). The reason
must carry the words an accountant would say.
"""

import pytest

from cuadre.matching import MatchPolicy, apply_allocations, match_payments
from helpers import customers, open_items, payments

CUST = customers(
    [
        {
            "customer_id": "C1",
            "customer_name": "Aceros del Norte S.A. de C.V.",
            "bank_accounts": "012180001234567897",
            "aliases": "ACENOR",
        },
        {"customer_id": "C2", "customer_name": "Plásticos Bolívar S.A.S.", "tax_id": "900123456-8"},
        {"customer_id": "C3", "customer_name": "Grupo Sierra S.A. de C.V."},
        {"customer_id": "C4", "customer_name": "Grupo Sierra S.A. de C.V."},  # same name
    ]
)


def docs(rows: str, currency: str = "MXN"):
    """``customer document due amount [type] [reference]`` per line."""
    out = []
    for line in rows.strip().splitlines():
        f = line.split()
        row = {
            "customer_id": f[0],
            "document_id": f[1],
            "due_date": f[2],
            "amount_open": int(f[3]),
            "currency": currency,
            "customer_name": {
                "C1": "Aceros del Norte S.A. de C.V.",
                "C2": "Plásticos Bolívar S.A.S.",
            }.get(f[0], "Grupo Sierra"),
        }
        if len(f) > 4:
            row["document_type"] = f[4]
        if len(f) > 5:
            row["reference"] = " ".join(f[5:])
        out.append(row)
    return open_items(out)


OI = docs("""
C1 FA-1001 2026-08-01 1000000 invoice PO-4411
C1 FA-1002 2026-08-15 250000 invoice PO-4411
C1 FA-1003 2026-09-01 480000 invoice
C1 FA-1004 2026-09-10 315000 invoice
C1 FA-1005 2026-09-20 500000 invoice
C1 FA-1006 2026-10-01 735000 invoice
C1 NC-77 2026-09-05 -120000 credit_note FA-1003
C3 F-501 2026-09-01 333300 invoice
C4 F-601 2026-09-01 444400 invoice
""")


def run(pays, oi=OI, cust=CUST, **policy):
    alloc, findings = match_payments(oi, payments(pays), cust, MatchPolicy(**policy))
    assert not [f for f in findings if f.is_error]
    return alloc


def table(alloc):
    return [
        (d or "-", int(a), s, r)
        for d, a, s, r in zip(
            alloc["document_id"],
            alloc["amount_applied"],
            alloc["status"],
            alloc["difference_reason"],
            strict=True,
        )
    ]


ACC = "012180001234567897"

CASES = {
    # scenario: (payment, expected rows (document, applied, status, difference reason), words)
    "exact reference": (
        {"amount": 480000, "remittance": "PAGO FAC 0001003"},
        [("FA-1003", 480000, "auto", "")],
        "written",
    ),
    "po reference shared by two invoices": (
        {"amount": 250000, "payer_account": ACC, "remittance": "OC PO-4411"},
        [("FA-1002", 250000, "auto", "")],
        "only combination of the named",
    ),
    "no reference, unique amount": (
        {"amount": 315000, "payer_account": ACC},
        [("FA-1004", 315000, "auto", "")],
        "only document with that amount",
    ),
    "no reference, consecutive invoices": (
        {"amount": 315000 + 500000 + 735000, "payer_name": "ACEROS DEL NORTE SA DE CV"},
        [
            ("FA-1004", 315000, "auto", ""),
            ("FA-1005", 500000, "auto", ""),
            ("FA-1006", 735000, "auto", ""),
        ],
        "only combination",
    ),
    "many invoices with references": (
        {"amount": 1000000 + 250000, "remittance": "FACTS 1001 Y 1002", "payer_account": ACC},
        [("FA-1001", 1000000, "auto", ""), ("FA-1002", 250000, "auto", "")],
        "amount equal",
    ),
    "net of a credit note named": (
        {"amount": 480000 - 120000, "remittance": "FA-1003 MENOS NC-77"},
        [("FA-1003", 480000, "auto", ""), ("NC-77", -120000, "auto", "")],
        "amount equal",
    ),
    "net of a credit note not named": (
        {"amount": 480000 - 120000, "remittance": "FA-1003", "payer_account": ACC},
        [("FA-1003", 480000, "auto", ""), ("NC-77", -120000, "auto", "")],
        "exactly the shortfall",
    ),
    "bank fee": (
        {"amount": 500000 - 1500, "remittance": "FA-1005"},
        [("FA-1005", 500000, "auto", "bank fee")],
        "bank fee",
    ),
    "early-payment discount": (
        {"amount": 735000 - 14700, "remittance": "FA-1006 DPP 2%"},
        [("FA-1006", 735000, "auto", "early payment discount")],
        "2% early-payment",
    ),
    "deduction": (
        {"amount": 735000 - 30000, "remittance": "FA-1006 MENOS DEVOLUCION"},
        [("FA-1006", 735000, "auto", "deduction")],
        "deduction kept open",
    ),
    "partial": (
        {"amount": 400000, "remittance": "PAGO PARCIAL FA-1006"},
        [("FA-1006", 400000, "auto", "")],
        "stays open",
    ),
    "overpayment rounded up": (
        {"amount": 500000, "remittance": "FA-1003", "payer_account": ACC},
        [("FA-1003", 480000, "auto", ""), ("-", 20000, "on_account", "")],
        "overpayment",
    ),
    "cut list completed": (
        {
            "amount": 480000 + 315000 + 500000,
            "remittance": "SPEI PAGO FACTURAS FA1003 FA1004 FA1",
            "payer_account": ACC,
        },
        [
            ("FA-1003", 480000, "auto", ""),
            ("FA-1004", 315000, "auto", ""),
            ("FA-1005", 500000, "auto", ""),
        ],
        "the only invoices",
    ),
    "cut list completed less a bank fee": (
        {
            "amount": 480000 + 315000 + 500000 - 1500,
            "remittance": "SPEI PAGO DE FACTURAS FA1003 FA1004 FA10",  # 40: SPEI cut it
            "payer_account": ACC,
        },
        [
            ("FA-1003", 480000, "auto", ""),
            ("FA-1004", 315000, "auto", ""),
            ("FA-1005", 500000, "auto", "bank fee"),
        ],
        "its last number, 10..., starts FA-1005",
    ),
    "cut list completed net of a credit note": (
        {
            "amount": 480000 + 315000 + 500000 - 120000,
            "remittance": "SPEI PAGO DE FACTURAS FA1003 FA1004 FA10",
            "payer_account": ACC,
        },
        [
            ("FA-1003", 480000, "auto", ""),
            ("FA-1004", 315000, "auto", ""),
            ("FA-1005", 500000, "auto", ""),
            ("NC-77", -120000, "auto", ""),
        ],
        "net of open credit note NC-77",
    ),
    "deduction said in a cut text": (
        {"amount": 735000 - 30000, "remittance": "FA-1006 MENOS DEVOLUCION POR MERMA EN LA"},
        [("FA-1006", 735000, "auto", "deduction")],
        "deduction kept open",
    ),
    "payer name with a spelled-out legal form cut by the bank": (
        {"amount": 123400, "payer_name": "PLASTICOS BOLIVAR SOCIEDAD POR ACCI"},
        [("-", 123400, "on_account", "")],
        "PLASTICOS BOLIVAR SOCIEDAD POR ACCI",
    ),
    "third party naming the customer": (
        {
            "amount": 315000,
            "payer_name": "FACTORAJE DEL VALLE SOFOM",
            "remittance": "PAGO POR CUENTA DE ACEROS DEL NORTE",
        },
        [("FA-1004", 315000, "auto", "")],
        "remittance names the customer",
    ),
    "shared name resolved by the only amount": (
        {"amount": 444400, "payer_name": "GRUPO SIERRA SA DE CV"},
        [("F-601", 444400, "auto", "")],
        "fits 2 customers; only C4 (Grupo Sierra S.A. de C.V.) has open documents",
    ),
    "advance": (
        {"amount": 2000000, "payer_account": ACC, "remittance": "ANTICIPO PEDIDO 812"},
        [("-", 2000000, "on_account", "")],
        "advance",
    ),
    "unidentified": (
        {"amount": 123456, "payer_name": "JUAN PEREZ"},
        [("-", 123456, "unmatched", "")],
        "not identified",
    ),
    "bank cheque number is not an invoice": (
        {"amount": 77777, "payer_account": ACC, "remittance": "DEP CHQ 1004"},
        [("-", 77777, "on_account", "")],
        "no open document fits",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_scenario(name):
    pay, want, words = CASES[name]
    a = run([{"payment_id": "P1", **pay}])
    assert table(a) == want
    assert words in " ".join(a["reason"])
    assert a["confidence"].between(0, 1).all()


AMBIGUOUS = {
    # identical amounts: the strict default suggests the oldest and names the others
    "identical amounts": (
        docs("""
C1 FA-1 2026-08-01 150000 invoice
C1 FA-2 2026-09-01 150000 invoice
"""),
        {"amount": 150000, "payer_account": ACC},
        "2 open documents have this amount",
    ),
    "two combinations": (
        docs("""
C1 FA-1 2026-08-01 100000 invoice
C1 FA-2 2026-08-02 200000 invoice
C1 FA-3 2026-08-03 250000 invoice
C1 FA-4 2026-08-04 50000 invoice
"""),
        {"amount": 300000, "payer_account": ACC},
        "several combinations",
    ),
    "loose number and another amount": (
        docs("""
C3 F-5123 2026-08-01 999900 invoice
"""),
        {"amount": 500000, "payer_name": "NOBODY KNOWN", "remittance": "PAGO 5123"},
        "loose",
    ),
}


@pytest.mark.parametrize("name", list(AMBIGUOUS))
def test_ambiguous_cases_are_only_suggested(name):
    oi, pay, words = AMBIGUOUS[name]
    a = run([{"payment_id": "P1", **pay}], oi=oi)
    assert "auto" not in set(a["status"])
    assert words in " ".join(a["reason"])


def test_references_go_first_then_amounts():
    # P1 (earlier, no reference) would take FA-1004 by amount; P2 names FA-1004 and
    # must get it, so P1 then finds no other document of that amount
    oi = docs("""
C1 FA-1004 2026-09-10 315000 invoice
C1 FA-1009 2026-09-11 315000 invoice
""")
    pays = [
        {"payment_id": "P1", "amount": 315000, "payer_account": ACC, "value_date": "2026-10-01"},
        {"payment_id": "P2", "amount": 315000, "remittance": "FA-1004", "value_date": "2026-10-02"},
    ]
    a = run(pays, oi=oi)
    assert table(a) == [("FA-1009", 315000, "auto", ""), ("FA-1004", 315000, "auto", "")]
    assert apply_allocations(oi, a).empty
