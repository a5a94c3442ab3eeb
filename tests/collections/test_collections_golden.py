"""Golden outputs of collections for a small distributor, inputs in the user's notation
(dd/mm/yyyy, $1,234.56, Spanish document types): tests/golden/collections/distribuidora.

Set CUADRE_UPDATE_GOLDEN=1 to rewrite the expected files, then review the diff.
"""

import datetime as dt
import io
import os
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from cuadre.aging import aging_schema
from cuadre.aging_history import AR_HISTORY, build_ledger
from cuadre.collections.credit import CREDIT, CREDIT_HOLDS, OPEN_ORDERS, credit_status
from cuadre.collections.disputes import DISPUTE_LOG, DISPUTES, aging_with_disputes, dispute_log
from cuadre.collections.dunning import (
    NOTICE_ITEMS,
    NOTICES,
    dunning_run,
    render_letters,
    write_letters,
)
from cuadre.collections.promises import PROMISE_STATUS, PROMISES, RECEIPTS, evaluate_promises
from cuadre.collections.statements import (
    activity_statements,
    open_item_statements,
    statement_pdf,
    write_statements_xlsx,
)
from cuadre.collections.worklist import WORKLIST, collection_worklist
from cuadre.io.tables import read_table
from cuadre.model.tables import CUSTOMERS, OPEN_ITEMS, Column, Kind, TableSchema
from golden_util import UPDATE_ENV, assert_golden, assert_golden_table, sheet_snapshot

CASE = Path(__file__).resolve().parents[1] / "golden" / "collections" / "distribuidora"
AS_OF = dt.date(2026, 10, 31)
COMPANY = {
    "name": "Distribuidora Industrial del Bajío S.A. de C.V.",
    "email": "cobranza@dib.mx",
    "phone": "+52 442 123 4567",
}
BUCKETS = (30, 60, 90)


def read(name: str, schema: TableSchema) -> pd.DataFrame:
    table, findings = read_table(CASE / "input" / name, schema)
    assert not [f for f in findings if f.is_error], [str(f) for f in findings]
    return table


@pytest.fixture(scope="module")
def case():
    return {
        "customers": read("customers.csv", CUSTOMERS),
        "open_items": read("open_items.csv", OPEN_ITEMS),
        "disputes": read("disputes.csv", DISPUTES),
        "promises": read("promises.csv", PROMISES),
        "receipts": read("receipts.csv", RECEIPTS),
        "holds": read("holds.csv", CREDIT_HOLDS),
        "orders": read("open_orders.csv", OPEN_ORDERS),
        "history": read("history.csv", AR_HISTORY),
    }


def assert_golden_text(text: str, path: Path) -> None:
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"{path} missing: run with {UPDATE_ENV}=1"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs"


def test_inputs_read_in_the_users_notation(case):
    oi = case["open_items"]
    assert oi["document_type"].tolist()[:3] == ["invoice", "invoice", "credit_note"]
    assert oi["amount_open"].tolist()[2] == -100_000
    assert oi["due_date"].iloc[0] == pd.Timestamp("2026-07-31")
    assert case["disputes"]["reason"].tolist() == ["pricing", "quantity", "freight"]


def test_aging_with_disputes(case):
    aging, disputed, findings = aging_with_disputes(
        case["open_items"], AS_OF, case["disputes"], BUCKETS, case["customers"]
    )
    assert findings == []
    base = aging_schema(BUCKETS)
    schema = TableSchema("aging", "Aging", (*base.columns, Column("disputed", Kind.MONEY)))
    assert_golden_table(aging, schema, CASE / "aging.csv")
    assert_golden_table(disputed, base, CASE / "aging_disputed.csv")
    log = dispute_log(case["disputes"], case["open_items"], AS_OF, case["customers"])
    assert_golden_table(log, DISPUTE_LOG, CASE / "dispute_log.csv")


def test_promises_credit_and_worklist(case):
    status = evaluate_promises(case["promises"], case["receipts"], AS_OF)
    assert status["status"].tolist() == ["broken", "open", "partially_kept"]
    assert_golden_table(status, PROMISE_STATUS, CASE / "promise_status.csv")
    from cuadre.collections.disputes import split_disputed

    _u, disputed, _ = split_disputed(case["open_items"], case["disputes"], AS_OF)
    credit, findings = credit_status(
        case["open_items"],
        case["customers"],
        AS_OF,
        open_orders=case["orders"],
        holds=case["holds"],
        receipts=case["receipts"],
        disputed=disputed,
    )
    assert findings == []
    assert dict(zip(credit["customer_id"], credit["status"], strict=True)) == {
        "C001": "new_hold",
        "C004": "new_hold",
        "C003": "on_hold",
        "C002": "release",
        "C005": "ok",
    }
    assert_golden_table(credit, CREDIT, CASE / "credit.csv")
    worklist, findings = collection_worklist(
        case["open_items"],
        AS_OF,
        case["customers"],
        disputes=case["disputes"],
        promises=status,
        credit=credit,
    )
    assert findings == []
    assert_golden_table(worklist, WORKLIST, CASE / "worklist.csv")


def test_dunning_notices_and_letters(case, tmp_path):
    status = evaluate_promises(case["promises"], case["receipts"], AS_OF)
    run = dunning_run(
        case["open_items"],
        AS_OF,
        customers=case["customers"],
        disputes=case["disputes"],
        promises=status,
    )
    assert run.findings == []
    assert_golden_table(run.notices, NOTICES, CASE / "dunning_notices.csv")
    assert_golden_table(run.items, NOTICE_ITEMS, CASE / "dunning_items.csv")
    letters = render_letters(run, COMPANY, case["customers"])
    index = write_letters(letters, tmp_path)
    assert sorted(index["file"]) == sorted(p.name for p in tmp_path.iterdir())
    for letter in letters:
        assert_golden_text(
            f"{letter.subject}\n\n{letter.body}", CASE / "letters" / letter.file_name
        )
    if os.environ.get(UPDATE_ENV) != "1":
        assert sorted(p.name for p in (CASE / "letters").iterdir()) == sorted(index["file"])


def test_statements_xlsx_and_pdf(case, tmp_path):
    statements, _ = open_item_statements(
        case["open_items"], AS_OF, case["customers"], BUCKETS, customer_ids=["C001", "C003"]
    )
    path = tmp_path / "statements.xlsx"
    write_statements_xlsx(path, statements, COMPANY, language="es")
    assert_golden(sheet_snapshot(path, "Statements"), CASE / "statements_summary.xlsx.csv")
    assert_golden(sheet_snapshot(path, "C001 MXN"), CASE / "statement_C001.xlsx.csv")
    pdf = statement_pdf(statements[1], COMPANY, "en")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert_golden_text(text, CASE / "statement_C003.pdf.txt")
    for needed in (
        "Statement of account (USD)",
        "Peachtree Supply LLC (C003)",
        "INV-2001",
        "Closing balance: 5,700.00 USD",
    ):
        assert needed in text


def test_activity_statement_from_the_history(case, tmp_path):
    ledger, findings = build_ledger(case["history"])
    assert findings == []
    statements, findings = activity_statements(
        ledger, dt.date(2026, 10, 1), AS_OF, case["customers"], BUCKETS
    )
    assert findings == []
    (s,) = statements
    assert (s.opening, s.charges, s.credits, s.closing) == (
        2_950_000,
        500_000,
        -1_000_000,
        2_450_000,
    )
    pdf = statement_pdf(s, COMPANY, "es")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert_golden_text(text, CASE / "statement_C001_activity.pdf.txt")
    assert "Saldo inicial: 29,500.00 MXN" in text and "REC-301" in text and "FA-0990" in text
