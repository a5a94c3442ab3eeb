"""The formula helpers of the control blocks: data never becomes code, criteria match
exactly, literals are exact, failed checks become findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from cuadre.findings import findings_frame
from cuadre.workbook.formulas import (
    Controls,
    Criterion,
    above,
    below,
    counta,
    countifs,
    date,
    decimals,
    if_zero,
    literal,
    major,
    money_sum,
    nonempty,
    other_than,
    string,
    sumifs,
)

HOSTILE = '=1+1*"?'


def test_string_doubles_quotes():
    assert string('a"b') == '"a""b"'
    assert string("") == '""'


def test_a_hostile_criterion_is_an_exact_match_literal():
    # = first (no comparison, no formula), * and ? escaped (no wildcard), quote doubled
    assert literal(HOSTILE) == '"==1+1~*""~?"'
    assert literal("~x") == '"=~~x"'
    assert literal(">5") == '"=>5"'
    assert literal("") == '"="'


def test_sumifs_quotes_every_text_criterion():
    formula = sumifs("aging", "total", ("customer_id", HOSTILE), ("currency", "MXN"))
    assert formula == (
        'SUMIFS(aging[total],aging[customer_id],"==1+1~*""~?",aging[currency],"=MXN")'
    )
    # the string literals close where they should: what is outside them is only code
    outside = "".join(formula.split('"')[0::2])
    assert outside == "SUMIFS(aging[total],aging[customer_id],,aging[currency],)"


def test_countifs_and_counta():
    assert countifs("dunning_notices", ("action", "send")) == (
        'COUNTIFS(dunning_notices[action],"=send")'
    )
    assert counta("worklist", "customer_id") == "COUNTA(worklist[customer_id])"
    with pytest.raises(ValueError):
        countifs("t")
    with pytest.raises(ValueError):
        sumifs("t", "a")


def test_comparisons_only_through_criterion():
    assert sumifs("bank_lines", "amount", ("amount", above(0))) == (
        'SUMIFS(bank_lines[amount],bank_lines[amount],">0")'
    )
    assert below(Decimal("-1.5")).formula() == '"<-1.5"'
    assert other_than("").formula() == '"<>"'
    assert other_than('a*"').formula() == '"<>a~*"""'
    assert sumifs("j", "credit", ("date", dt.date(2026, 11, 1))) == (
        "SUMIFS(j[credit],j[date],DATE(2026,11,1))"
    )
    with pytest.raises(ValueError):
        Criterion(">", "0),1+1,(")  # a comparison takes a number, never a text
    with pytest.raises(ValueError):
        Criterion("<>", 3)
    with pytest.raises(ValueError):
        Criterion(">", True)
    with pytest.raises(ValueError):
        Criterion(">", Decimal("NaN"))
    with pytest.raises(TypeError):
        sumifs("t", "a", ("b", 3))  # type: ignore[arg-type]


def test_major_and_decimals():
    assert major(-123456, "MXN") == "-1234.56"
    assert major(618840, "MXN") == "6188.40"
    assert major(1500, "JPY") == "1500"
    assert major(1234, "KWD") == "1.234"
    assert major(5, "XXQ") == "0.05"  # unknown: 2 decimals, as the writer writes it
    assert decimals("JPY") == 0
    assert decimals("XXQ") == 2


def test_date_and_if_zero():
    assert date(pd.Timestamp("2026-03-31")) == "DATE(2026,3,31)"
    assert if_zero("A1-B1") == '=IF(ROUND(A1-B1,3)=0,"OK","DIFFERENCE")'
    assert if_zero("A1", 0) == '=IF(ROUND(A1,0)=0,"OK","DIFFERENCE")'


def test_money_sum_per_currency():
    frame = pd.DataFrame(
        {
            "currency": ["MXN", "MXN", "USD", "MXN"],
            "amount": pd.array([100, None, 7, -30], dtype="Int64"),
            "kind": ["a", "b", "a", "b"],
        }
    )
    assert money_sum(frame, "amount", "MXN") == 70
    assert money_sum(frame, "amount", "MXN", frame["kind"].eq("b")) == -30
    assert money_sum(frame, "amount", "EUR") == 0
    assert money_sum(frame, "missing", "MXN") == 0
    assert money_sum(frame.iloc[:0], "amount", "MXN") == 0


def test_nonempty():
    assert nonempty(None) is None
    assert nonempty(pd.DataFrame({"a": []})) is None
    frame = pd.DataFrame({"a": [1]})
    assert nonempty(frame) is frame


def test_controls_rows_and_findings():
    c = Controls("Worklist", "COLLECTIONS_CONTROL", "Run it again.", "collections")
    c.figure("Customers", 3, "=COUNTA(worklist[customer_id])")
    c.check("overdue ties (MXN)", True, if_zero("1-1"))
    assert not c.findings
    c.check("statements tie (USD)", False, if_zero("1-2"), "100.00 USD apart")
    assert [r.value for r in c.rows] == [3, "OK", "DIFFERENCE"]
    assert [r.check for r in c.rows] == [False, True, True]
    (f,) = c.findings
    assert f.is_error and f.code == "COLLECTIONS_CONTROL"
    assert f.message == "Worklist: control failed: statements tie (USD) (100.00 USD apart)"
    assert f.hint == "Run it again."
    issue = findings_frame(c.findings).iloc[0]
    assert (issue["location"], issue["cell"]) == ("collections", "Worklist")
