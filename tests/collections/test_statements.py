"""Statements of account (cuadre.collections.statements)."""

import datetime as dt
import io

import openpyxl
import pypdf

from cuadre.aging_history import build_ledger, sample_history
from cuadre.collections.statements import (
    LINES,
    activity_statements,
    open_item_statements,
    statement_tables,
    statements_pdf,
    write_statements_xlsx,
)
from cuadre.demo.generator import generate_company
from helpers import customers, open_items

AS_OF = dt.date(2026, 10, 31)
COMPANY = {"name": "Cuadre Demo S.A.", "email": "cobranza@demo.mx"}


def pdf_text(data: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_open_items_statement_lines_and_strip():
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "F-2",
                "document_date": "2026-10-05",
                "due_date": "2026-11-04",
                "amount_open": 700,
            },
            {
                "customer_id": "A",
                "document_id": "F-1",
                "document_date": "2026-08-01",
                "due_date": "2026-08-31",
                "amount_open": 1_000,
            },
            {
                "customer_id": "A",
                "document_id": "NC-1",
                "document_type": "credit_note",
                "document_date": "2026-10-10",
                "due_date": "2026-10-10",
                "amount_open": -200,
            },
            {
                "customer_id": "B",
                "document_id": "F-9",
                "document_date": "2026-11-05",
                "due_date": "2026-12-05",
                "amount_open": 5,
            },  # after the statement date
        ]
    )
    (s,), _ = open_item_statements(oi, AS_OF, buckets=(30, 60))
    assert list(s.lines.columns) == LINES.names
    assert s.lines["document_id"].tolist() == ["F-1", "F-2", "NC-1"]
    assert s.lines["balance"].tolist() == [1_000, 1_700, 1_500]
    assert s.lines["days_past_due"].tolist() == [61, -4, 21]
    assert (s.opening, s.closing, s.charges, s.credits) == (None, 1_500, 1_700, -200)
    assert s.aging == {"current": 700, "1-30": -200, "31-60": 0, "61+": 1_000, "total": 1_500}


def test_activity_statements_tie_for_every_customer_of_the_demo():
    company = generate_company(seed=5, n_customers=30)
    history, apps = sample_history(company.open_items, company.customers, company.period_end)
    ledger, _ = build_ledger(history, apps)
    start = dt.date(2026, 9, 1)
    statements, findings = activity_statements(ledger, start, AS_OF, company.customers)
    assert not [f for f in findings if f.is_error]
    assert len(statements) >= 25
    for s in statements:
        moved = int(s.lines["amount"].astype("int64").sum())
        assert s.opening + moved == s.closing == s.aging.get("total", 0)
        if len(s.lines):
            assert int(s.lines["balance"].iloc[-1]) == s.closing
    who = statements[3].customer_id
    one, _ = activity_statements(ledger, start, AS_OF, company.customers, customer_ids=[who])
    assert {s.customer_id for s in one} == {who}
    names = company.customers.set_index("customer_id")["customer_name"]
    assert one[0].customer_name == names[who]
    assert [len(s.lines) for s in one] == [len(s.lines) for s in statements if s.customer_id == who]


def test_bulk_xlsx_uses_one_lines_sheet_above_the_limit(tmp_path):
    company = generate_company(seed=2, n_customers=12)
    statements, _ = open_item_statements(company.open_items, AS_OF, company.customers)
    path = tmp_path / "bulk.xlsx"
    write_statements_xlsx(path, statements, COMPANY, language="en", per_sheet_limit=5)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Statements", "StatementLines"]
    summary, lines = statement_tables(statements)
    assert len(summary) == len(statements) and len(lines) == len(company.open_items)
    assert wb["StatementLines"].max_row >= len(lines) + 1
    path2 = tmp_path / "few.xlsx"
    write_statements_xlsx(path2, statements[:3], COMPANY)
    assert len(openpyxl.load_workbook(path2).sheetnames) == 4


def test_pdf_prints_any_name_and_one_statement_per_page_group():
    oi = open_items(
        [
            {
                "customer_id": "Ł1",
                "customer_name": "Łódź Ñandú — Çelik & Ő",
                "document_id": "F-1",
                "due_date": "2026-10-01",
                "amount_open": 1_000,
            },
            {
                "customer_id": "B2",
                "document_id": "F-2",
                "currency": "COP",
                "due_date": "2026-10-01",
                "amount_open": 123_456_700,
            },
        ]
    )
    cust = customers([{"customer_id": "B2", "customer_name": "Bogotá S.A.S.", "tax_id": "900"}])
    statements, _ = open_item_statements(oi, AS_OF, cust)
    pages = pdf_text(statements_pdf(statements, COMPANY, {"Ł1": "en", "B2": "es"}))
    assert len(pages) == 2
    assert "Łódź Ñandú — Çelik & Ő (Ł1)" in pages[1]
    assert "Closing balance: 10.00 MXN" in pages[1]
    assert "Saldo final: 1.234.567,00 COP" in pages[0] and "RFC / NIT: 900" in pages[0]
    assert pdf_text(statements_pdf([], COMPANY)) == [""]


def test_long_statements_break_pages():
    rows = [
        {
            "customer_id": "A",
            "document_id": f"F-{i:04d}",
            "due_date": "2026-10-01",
            "amount_open": 100,
            "reference": "una referencia muy larga que no cabe en la columna",
        }
        for i in range(120)
    ]
    statements, _ = open_item_statements(open_items(rows), AS_OF)
    pages = pdf_text(statements_pdf(statements, COMPANY))
    assert len(pages) >= 3
    assert "F-0119" in pages[-1] and "Saldo final: 120.00 MXN" in pages[-1]
    assert "…" in pages[0]  # long references are cut to the column
