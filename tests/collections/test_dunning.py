"""Dunning levels, fees, interest and letters (cuadre.collections.dunning)."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from cuadre.collections.dunning import (
    DunningLevel,
    DunningPolicy,
    dunning_run,
    format_date,
    format_money,
    load_policy,
    policy_from_dict,
    render_letters,
)
from helpers import customers, open_items

AS_OF = dt.date(2026, 10, 31)
COMPANY = {"name": "Cuadre Demo S.A.", "email": "cobranza@demo.mx"}


def items(*rows):
    return open_items([{"customer_id": "A", **r} for r in rows])


def test_default_policy_file():
    policy = load_policy()
    assert [(lv.level, lv.min_days, lv.template) for lv in policy.levels] == [
        (1, 1, "reminder"),
        (2, 30, "second_notice"),
        (3, 60, "final_demand"),
        (4, 90, "collections"),
    ]
    assert policy.minimum["MXN"] == 50_000 and policy.levels[2].fee["USD"] == 2_500
    assert policy.language_by_currency == {"USD": "en"}


def test_levels_by_the_oldest_item_and_credits_reduce_the_claim():
    oi = items(
        {"document_id": "F1", "due_date": "2026-08-31", "amount_open": 100_000},  # 61 days
        {"document_id": "F2", "due_date": "2026-10-21", "amount_open": 50_000},  # 10 days
        {"document_id": "F3", "due_date": "2026-11-30", "amount_open": 70_000},  # not due
        {
            "document_id": "NC",
            "document_type": "credit_note",
            "due_date": "2026-10-01",
            "amount_open": -20_000,
        },
    )
    run = dunning_run(oi, AS_OF)
    (n,) = run.notices.to_dict("records")
    assert (n["level"], n["level_name"], n["items"], n["max_days_past_due"]) == (
        3,
        "final demand",
        2,
        61,
    )
    assert (n["overdue"], n["fee"], n["total_due"], n["action"]) == (
        130_000,
        35_000,
        165_000,
        "send",
    )
    assert run.items["document_id"].tolist() == ["F1", "NC", "F2"]
    assert run.items["level"].tolist() == [3, 0, 1]


def test_minimum_credits_and_open_promises_skip_the_letter():
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "1",
                "due_date": "2026-10-01",
                "amount_open": 10_000,
            },
            {
                "customer_id": "B",
                "document_id": "2",
                "due_date": "2026-10-01",
                "amount_open": 90_000,
            },
            {
                "customer_id": "B",
                "document_id": "3",
                "document_type": "payment",
                "due_date": "2026-10-20",
                "amount_open": -95_000,
            },
            {
                "customer_id": "C",
                "document_id": "4",
                "due_date": "2026-10-01",
                "amount_open": 90_000,
            },
        ]
    )
    promises = pd.DataFrame(
        {
            "customer_id": ["C"],
            "currency": ["MXN"],
            "status": ["open"],
            "promise_date": pd.to_datetime(["2026-11-04"]),
        }
    )
    run = dunning_run(oi, AS_OF, promises=promises)
    reasons = dict(zip(run.notices["customer_id"], run.notices["reason"], strict=True))
    assert reasons == {
        "A": "overdue below the minimum for its currency",
        "B": "open credits cover the overdue items",
        "C": "promise to pay open until 2026-11-04",
    }
    assert set(run.notices["action"]) == {"skip"}
    only_credit = open_items(
        [
            {
                "customer_id": "Z",
                "document_id": "NC",
                "document_type": "credit_note",
                "due_date": "2026-09-01",
                "amount_open": -5,
            }
        ]
    )
    lone = dunning_run(only_credit, AS_OF)
    assert lone.notices.empty and lone.items.empty
    assert render_letters(run, COMPANY) == []


def test_interest_is_simple_daily_and_rounded_half_up():
    policy = policy_from_dict(
        {
            "interest_rate": "0.18",
            "interest_grace_days": 5,
            "minimum": {"MXN": "0"},
            "level": [{"level": 1, "name": "aviso", "min_days": 1, "template": "reminder"}],
        }
    )
    oi = items({"document_id": "1", "due_date": "2026-09-30", "amount_open": 1_000_000})
    run = dunning_run(oi, AS_OF, policy)
    # 10,000.00 x 18 % x (31 - 5) / 365 = 128.2191... -> 128.22
    assert run.items["interest"].tolist() == [12_822]
    assert run.notices["total_due"].tolist() == [1_012_822]
    (letter,) = render_letters(run, COMPANY)
    assert "Intereses moratorios (18% anual)" in letter.body and "128.22 MXN" in letter.body


def test_previous_levels_climb_one_at_a_time():
    oi = items({"document_id": "1", "due_date": "2026-07-01", "amount_open": 100_000})
    previous = pd.DataFrame({"customer_id": ["A"], "currency": ["MXN"], "level": [1]})
    run = dunning_run(oi, AS_OF, previous=previous)
    assert run.notices["level"].tolist() == [2]
    assert dunning_run(oi, AS_OF).notices["level"].tolist() == [4]


def test_language_from_the_customer_or_the_currency_and_your_own_templates(tmp_path):
    oi = open_items(
        [
            {
                "customer_id": "A",
                "document_id": "F-1",
                "due_date": "2026-10-20",
                "amount_open": 100_000,
            },
            {
                "customer_id": "B",
                "document_id": "INV-1",
                "currency": "USD",
                "due_date": "2026-10-20",
                "amount_open": 100_000,
            },
            {
                "customer_id": "C",
                "document_id": "FV 1",
                "currency": "COP",
                "due_date": "2026-10-20",
                "amount_open": 123_456_789,
            },
        ]
    )
    cust = customers([{"customer_id": "A", "customer_name": "Alfa", "email": "a@x.mx"}])
    cust["language"] = ["en"]
    run = dunning_run(oi, AS_OF, customers=cust)
    assert dict(zip(run.notices["customer_id"], run.notices["language"], strict=True)) == {
        "A": "en",
        "B": "en",
        "C": "es",
    }
    letters = {x.customer_id: x for x in render_letters(run, COMPANY, cust)}
    assert letters["A"].subject == "Payment reminder - Cuadre Demo S.A."
    assert letters["A"].to == "a@x.mx" and letters["A"].file_name == "A_MXN_level1.txt"
    assert "1.234.567,89 COP" in letters["C"].body and "31 de octubre de 2026" in letters["C"].body
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "reminder.txt.j2").write_text(
        "Hola {{ customer.name }}\n{% for i in items %}{{ i.document_id }} {{ i.amount_open|money(currency) }}{% endfor %}\n",
        encoding="utf-8",
    )
    mine = {x.customer_id: x for x in render_letters(run, COMPANY, cust, templates_dir=tmp_path)}
    assert mine["C"].subject == "Hola C" and mine["C"].body == "FV 1 1.234.567,89 COP"
    assert mine["A"].subject == letters["A"].subject  # English still from the package


def test_templates_are_sandboxed_and_strict(tmp_path):
    oi = items({"document_id": "1", "due_date": "2026-10-20", "amount_open": 100_000})
    run = dunning_run(oi, AS_OF)
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "reminder.txt.j2").write_text("{{ no_such_thing }}", encoding="utf-8")
    from jinja2 import UndefinedError
    from jinja2.exceptions import SecurityError

    with pytest.raises(UndefinedError):
        render_letters(run, COMPANY, templates_dir=tmp_path)
    (tmp_path / "es" / "reminder.txt.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    with pytest.raises(SecurityError):
        render_letters(run, COMPANY, templates_dir=tmp_path)


def test_bad_policies_are_refused(tmp_path):
    with pytest.raises(ValueError, match="increasing min_days"):
        DunningPolicy(
            levels=(DunningLevel(1, "a", 30, "reminder"), DunningLevel(2, "b", 10, "second_notice"))
        )
    with pytest.raises(ValueError, match="increasing min_days"):
        DunningPolicy(levels=())
    with pytest.raises(ValueError, match="not an amount"):
        policy_from_dict({"minimum": {"MXN": "mil"}, "level": []})
    bad = tmp_path / "p.toml"
    bad.write_text("level = [", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid TOML"):
        load_policy(bad)
    bad.write_text("[[level]]\nlevel = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs level, name, min_days"):
        load_policy(bad)
    assert DunningPolicy(levels=(DunningLevel(1, "a", 1, "r"),), interest_rate=Decimal("0.1"))


def test_formats():
    assert format_money(-123456, "MXN") == "-1,234.56 MXN"
    assert format_money(123456, "EUR", decimal_comma=True) == "1.234,56 EUR"
    assert format_money(1234, "JPY") == "1,234 JPY" and format_money(None, "MXN") == ""
    assert format_date(pd.Timestamp("2026-02-01"), "es") == "1 de febrero de 2026"
    assert format_date(pd.Timestamp("2026-02-01"), "en", "short") == "Feb 01, 2026"
    assert format_date(pd.NaT, "en") == ""
