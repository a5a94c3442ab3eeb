"""CUADRE_* through xlwings' conversion layer, as Excel calls them (xlwings.udfs.call_udf):
ranges read with each argument's options, literals through the value pipeline, the
result through the write pipeline. Cells hold what Excel holds: date cells, serial
numbers, text dates, empty cells and error cells."""

from __future__ import annotations

import datetime as dt
import inspect

import pandas as pd
import pytest
import xlwings as xw

from cuadre.xl.engine import new_app
from cuadre.xl.udfs import UDFS, evaluate


@pytest.fixture
def sheet():  # type: ignore[no-untyped-def]
    app = new_app()
    yield app.books.add().sheets[0]
    app.quit()


def _error(sheet: xw.Sheet, address: str, text: str = "#N/A") -> None:
    cell = sheet.api[address]
    cell.value = text
    cell.data_type = "e"


def test_every_function_is_declared_for_excel() -> None:
    assert len(UDFS) == 13
    for name, udf in UDFS.items():
        assert name.startswith("CUADRE_") and name.isupper()
        assert udf.description and len(udf.description) <= 255
        params = list(inspect.signature(udf.function).parameters)
        assert params == [a.name for a in udf.args], name  # xlwings: positional only
        assert all(a.doc for a in udf.args)
        optional = [a.optional for a in udf.args]
        assert optional == sorted(optional), f"{name}: optional arguments come last"


def test_days_and_buckets_from_every_kind_of_date_cell(sheet: xw.Sheet) -> None:
    sheet["A1"].value = [
        [dt.datetime(2026, 10, 1)],
        [46326.0],
        ["2026-09-30"],
        [None],
        ["31/08/2026"],
    ]
    _error(sheet, "A6")
    sheet["A7"].value = "soon"
    days = evaluate("CUADRE_DAYS_PAST_DUE", sheet["A1:A7"], dt.datetime(2026, 10, 31))
    assert days == [[30.0], [0.0], [31.0], [None], [61.0], [None], ["not a date: soon"]]
    # the as-of date as a serial number literal (=CUADRE_DAYS_PAST_DUE(A1, 46326))
    assert evaluate("CUADRE_DAYS_PAST_DUE", sheet["A1"], 46326.0) == [[30.0]]
    buckets = evaluate("CUADRE_AGING_BUCKET", sheet["A1:A5"], "2026-10-31", "30,60")
    assert buckets == [["1-30"], ["current"], ["31-60"], [None], ["61+"]]


def test_aging_table_from_a_dataframe_range(sheet: xw.Sheet) -> None:
    items = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "document_id": ["FA-1", "NC-1", "FA-2"],
            "document_type": ["invoice", "credit_note", "invoice"],
            "document_date": pd.to_datetime(["2026-08-01", "2026-10-01", "2026-10-20"]),
            "due_date": pd.to_datetime(["2026-08-31", "2026-10-01", "2026-11-19"]),
            "currency": ["MXN", "MXN", "USD"],
            "amount_open": [1160.1, -100.0, 0.1 + 0.2],
        }
    )
    sheet["A1"].options(index=False).value = items
    out = evaluate("CUADRE_AGING", sheet["A1"].expand(), dt.datetime(2026, 10, 31))
    header, c1, c2 = out
    assert header[:4] == ["customer_id", "customer_name", "currency", "current"]
    row = dict(zip(header, c1, strict=True))
    assert row["61-90"] == 1160.1 and row["1-30"] == -100.0 and row["total"] == 1060.1
    assert dict(zip(header, c2, strict=True))["total"] == 0.3  # 0.30000000000000004 read exactly


def test_references_similarity_and_best_match(sheet: xw.Sheet) -> None:
    sheet["A1"].value = [["pago FA-1002 y FA-1003"], ["fact 0001004"], [None]]
    sheet["B1"].value = [["FA-1002"], ["FA-1003"], ["FA-1004"]]
    refs = evaluate("CUADRE_REFERENCES", sheet["A1:A3"], sheet["B1:B3"])
    assert refs == [["FA-1002; FA-1003"], ["FA-1004"], [None]]
    sheet["C1"].value = [["DISTRIBUIDORA NANDU SA DE CV"], ["Otra Empresa"]]
    sim = evaluate("CUADRE_SIMILARITY", sheet["C1:C2"], "Distribuidora Ñandú, S.A. de C.V.")
    assert sim[0] == [100.0] and sim[1][0] < 60
    best = evaluate(
        "CUADRE_BEST_MATCH", sheet["C1:C2"], ["Distribuidora Ñandú, S.A. de C.V.", "Beta"]
    )
    assert best == [["Distribuidora Ñandú, S.A. de C.V.", 100.0], [None, best[1][1]]]


def test_identifiers(sheet: xw.Sheet) -> None:
    sheet["A1"].value = [["GODE561231GR8"], ["XXX"], [None]]
    assert evaluate("CUADRE_RFC_VALID", sheet["A1:A3"]) == [[True], [False], [None]]
    sheet["B1"].value = [[860002964], ["800.197.268"]]
    assert evaluate("CUADRE_NIT_DV", sheet["B1:B2"]) == [[4.0], [4.0]]
    assert evaluate("CUADRE_CLABE_VALID", "032180000118359719") == [[True]]
    assert evaluate(
        "CUADRE_IBAN_VALID", ["ES9121000418450200051332", "ES9121000418450200051333"]
    ) == [[True, False]]


def test_fx_and_dso(sheet: xw.Sheet) -> None:
    sheet["A1"].value = [
        ["currency", "rate", "date"],
        ["USD", 18.5, dt.datetime(2026, 10, 1)],
        ["USD", 19.0, dt.datetime(2026, 10, 31)],
        ["JPY", 0.125, None],
    ]
    rates = sheet["A1"].expand()
    assert evaluate("CUADRE_FX", [100.0, 0.1], "USD", "MXN", rates, dt.datetime(2026, 10, 15)) == [
        [1850.0, 1.85]
    ]
    assert evaluate("CUADRE_FX", 1000.0, "MXN", "JPY", rates) == [[8000.0]]
    assert evaluate("CUADRE_DSO", [1000.0, 500.0], 4500.0, 90) == [[30.0]]


def test_suggest_one_payment(sheet: xw.Sheet) -> None:
    sheet["A1"].value = [
        [
            "customer_id",
            "customer_name",
            "document_id",
            "document_type",
            "document_date",
            "due_date",
            "currency",
            "amount_open",
        ],
        [
            "C1",
            "Acme SA de CV",
            "FA-100",
            "invoice",
            dt.datetime(2026, 9, 1),
            dt.datetime(2026, 9, 30),
            "MXN",
            1160.0,
        ],
        [
            "C1",
            "Acme SA de CV",
            "FA-101",
            "invoice",
            dt.datetime(2026, 10, 1),
            dt.datetime(2026, 10, 30),
            "MXN",
            580.5,
        ],
    ]
    out = evaluate(
        "CUADRE_SUGGEST",
        1740.5,
        "MXN",
        "pago FA-100 FA-101",
        "ACME SA DE CV",
        sheet["A1"].expand(),
        dt.datetime(2026, 10, 31),
    )
    assert out[0][:4] == ["document_id", "customer_id", "amount_applied", "status"]
    assert [r[0] for r in out[1:]] == ["FA-100", "FA-101"]
    assert [r[2] for r in out[1:]] == [1160.0, 580.5]
    bad = evaluate("CUADRE_SUGGEST", "abc", "MXN", "", "", sheet["A1"].expand())
    assert "not an amount" in bad[0][0]
