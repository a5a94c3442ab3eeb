import datetime as dt

from cuadre.evidence import InputRecord, evidence_table, run_facts
from helpers import open_items


def test_one_row_per_input_and_currency():
    oi = open_items(
        [
            {"customer_id": "C1", "document_id": "A", "amount_open": 100},
            {"customer_id": "C1", "document_id": "B", "amount_open": 250},
            {"customer_id": "C2", "document_id": "C", "amount_open": 7, "currency": "USD"},
        ]
    )
    ev = evidence_table([InputRecord("open_items", "oi.csv", "ab" * 32, oi)])
    assert ev[["currency", "rows", "control_total"]].values.tolist() == [["MXN", 2, 350],
                                                                        ["USD", 1, 7]]
    assert set(ev["sha256"]) == {"ab" * 32}


def test_run_facts_name_version_and_time():
    facts = dict(run_facts(dt.datetime(2026, 11, 1, 9, 0), 1.234))
    assert facts["Run at"] == "2026-11-01T09:00:00"
    assert facts["Duration (s)"] == "1.23"
    assert "Cuadre version" in facts
