"""`cuadre collections dunning | promises | credit | disputes` on files a Mexican clerk
exports: semicolon CSV, decimal commas, dd/mm/yyyy dates."""

import re

import pandas as pd
from typer.testing import CliRunner

from cuadre.cli import app

runner = CliRunner()

OI = (
    "customer_id;customer_name;document_id;document_type;document_date;due_date;currency;"
    "amount_open;reference\n"
    "C1;Uno SA de CV;FA-101;invoice;15/06/2026;15/07/2026;MXN;12.000,00;OC-1\n"
    "C1;Uno SA de CV;FA-102;invoice;20/09/2026;20/10/2026;MXN;3.480,00;OC-2\n"
    "C1;Uno SA de CV;NC-7;credit_note;25/09/2026;25/09/2026;MXN;-480,00;\n"
    "C2;Dos SA;FA-201;invoice;14/08/2026;13/09/2026;MXN;5.800,00;\n"
    "C3;Tres SA;FA-301;invoice;15/10/2026;14/11/2026;MXN;1.000,00;\n"
)
DISPUTES = (
    "document_id;customer_id;reason;amount;currency;owner;status;opened_on\n"
    "FA-201;C2;pricing;800,00;MXN;ventas;open;20/10/2026\n"
)
ALLOCATIONS = (
    "payment_id;document_id;customer_id;currency;amount_applied;status;confidence\n"
    "P1;FA-101;C1;MXN;5.000,00;auto;1\n"
    "P2;FA-201;C2;MXN;2.000,00;auto;1\n"
)
PAYMENTS = (
    "payment_id;value_date;amount;currency\n"
    "P1;11/10/2026;5.000,00;MXN\n"
    "P2;21/10/2026;2.000,00;MXN\n"
)
AS_OF = ["--as-of", "2026-10-31"]


def csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def errors(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ": error: " in ln]


# --------------------------------------------------------------------------- dunning


def test_dunning_writes_one_letter_per_customer_and_the_summary(write, tmp_path):
    out, letters = tmp_path / "dunning.csv", tmp_path / "letters"
    r = runner.invoke(
        app,
        [
            "collections",
            "dunning",
            "--open-items",
            str(write("oi.csv", OI)),
            *AS_OF,
            "--out",
            str(out),
            "--out-dir",
            str(letters),
            "--company",
            "Distribuidora Norte",
        ],
    )
    assert r.exit_code == 0, r.output
    notices = csv(out).set_index("customer_id")
    # C1: FA-101 is 108 days overdue (escalation), its credit note reduces the claim
    assert notices.loc[
        "C1", ["level", "overdue", "fee", "total_due", "action", "letter"]
    ].tolist() == ["4", "15000.00", "350.00", "15350.00", "send", "C1_MXN_level4.txt"]
    assert notices.loc["C2", ["level", "overdue", "letter"]].tolist() == [
        "2",
        "5800.00",
        "C2_MXN_level2.txt",
    ]
    assert "C3" not in notices.index  # nothing overdue
    assert sorted(p.name for p in letters.iterdir()) == ["C1_MXN_level4.txt", "C2_MXN_level2.txt"]
    letter = (letters / "C1_MXN_level4.txt").read_text("utf-8")
    assert letter.splitlines()[0] == "Aviso de turno a cobranza externa - Distribuidora Norte"
    assert "FA-101" in letter and "15,350.00 MXN" in letter and "31 de octubre de 2026" in letter
    items = csv(tmp_path / "dunning-dunning_items.csv")
    assert items[items["customer_id"] == "C1"]["document_id"].tolist() == [
        "FA-101",
        "NC-7",
        "FA-102",
    ]


def test_dunning_in_english_with_disputes_left_out(write, tmp_path):
    disputes = write("disputes.csv", DISPUTES.replace("800,00", ""))  # the whole invoice
    out, letters = tmp_path / "dunning.xlsx", tmp_path / "letters"
    r = runner.invoke(
        app,
        [
            "collections",
            "dunning",
            "--open-items",
            str(write("oi.csv", OI)),
            *AS_OF,
            "--out",
            str(out),
            "--out-dir",
            str(letters),
            "--disputes",
            str(disputes),
            "--language",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    assert [p.name for p in letters.iterdir()] == ["C1_MXN_level4.txt"]  # C2 is in dispute
    assert "October 31, 2026" in (letters / "C1_MXN_level4.txt").read_text("utf-8")
    from cuadre.collections.dunning import NOTICES
    from cuadre.io.tables import read_table

    back, found = read_table(out, NOTICES)
    assert not [f for f in found if f.is_error]
    assert back["customer_id"].tolist() == ["C1"]
    assert back["total_due"].tolist() == [1_535_000]


def test_dunning_bad_amount_is_located_and_nothing_is_written(write, tmp_path):
    oi = write("oi.csv", OI.replace("3.480,00", "3.48O,00"))
    out, letters = tmp_path / "dunning.csv", tmp_path / "letters"
    r = runner.invoke(
        app,
        [
            "collections",
            "dunning",
            "--open-items",
            str(oi),
            *AS_OF,
            "--out",
            str(out),
            "--out-dir",
            str(letters),
        ],
    )
    assert r.exit_code == 1
    assert any(
        re.match(rf'^{re.escape(str(oi))}:3:8: error: amount_open "3.48O,00"', ln)
        for ln in errors(r)
    ), r.stderr
    assert not out.exists() and not letters.exists()


def test_dunning_bad_policy_file_is_reported(write, tmp_path):
    policy = write("policy.toml", '[[level]]\nlevel = 1\nname = "x"\n')  # no min_days
    out = tmp_path / "dunning.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "dunning",
            "--open-items",
            str(write("oi.csv", OI)),
            *AS_OF,
            "--out",
            str(out),
            "--out-dir",
            str(tmp_path / "l"),
            "--policy",
            str(policy),
        ],
    )
    assert r.exit_code == 1
    assert any(
        ln.startswith(f"{policy}: error: the dunning policy is not valid") for ln in errors(r)
    ), r.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- promises

PROMISES = (
    "customer_id;promise_date;amount;currency;made_on\n"
    "C1;10/10/2026;5.000,00;MXN;01/10/2026\n"
    "C2;20/10/2026;5.800,00;MXN;05/10/2026\n"
    "C1;15/11/2026;7.000,00;MXN;25/10/2026\n"
)


def test_promises_kept_partially_kept_and_open(write, tmp_path):
    out = tmp_path / "promises.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "promises",
            "--promises",
            str(write("promises.csv", PROMISES)),
            *AS_OF,
            "--out",
            str(out),
            "--allocations",
            str(write("alloc.csv", ALLOCATIONS)),
            "--payments",
            str(write("pay.csv", PAYMENTS)),
        ],
    )
    assert r.exit_code == 0, r.output
    status = csv(out)
    assert status[
        ["customer_id", "promise_date", "paid", "shortfall", "status"]
    ].values.tolist() == [
        ["C1", "2026-10-10", "5000.00", "0.00", "kept"],
        ["C1", "2026-11-15", "0.00", "7000.00", "open"],
        ["C2", "2026-10-20", "2000.00", "3800.00", "partially_kept"],
    ]
    assert "partially_kept" in r.output


def test_promises_from_the_item_history(write, tmp_path):
    history = write(
        "history.csv",
        (
            "customer_id;document_id;document_type;document_date;due_date;currency;"
            "amount_original;clearing_date;clearing_document\n"
            "C1;FA-1;invoice;01/09/2026;01/10/2026;MXN;5.000,00;11/10/2026;PAG-1\n"
            "C2;FA-2;invoice;01/09/2026;01/10/2026;MXN;5.800,00;;\n"
        ),
    )
    out = tmp_path / "status.xlsx"
    r = runner.invoke(
        app,
        [
            "collections",
            "promises",
            "--promises",
            str(write("promises.csv", PROMISES)),
            *AS_OF,
            "--out",
            str(out),
            "--history",
            str(history),
        ],
    )
    assert r.exit_code == 0, r.output
    from cuadre.collections.promises import PROMISE_STATUS
    from cuadre.io.tables import read_table

    status, _ = read_table(out, PROMISE_STATUS)
    assert status[["customer_id", "paid", "status"]].values.tolist() == [
        ["C1", 500_000, "kept"],
        ["C1", 0, "open"],
        ["C2", 0, "broken"],
    ]


def test_promises_need_the_money_received(write, tmp_path):
    r = runner.invoke(
        app,
        [
            "collections",
            "promises",
            "--promises",
            str(write("promises.csv", PROMISES)),
            *AS_OF,
            "--out",
            str(tmp_path / "p.csv"),
        ],
    )
    assert r.exit_code == 2 and "--allocations" in r.stderr


def test_promises_bad_amount_located_nothing_written(write, tmp_path):
    prom = write("promises.csv", PROMISES.replace("7.000,00", "siete mil"))
    out = tmp_path / "status.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "promises",
            "--promises",
            str(prom),
            *AS_OF,
            "--out",
            str(out),
            "--allocations",
            str(write("alloc.csv", ALLOCATIONS)),
            "--payments",
            str(write("pay.csv", PAYMENTS)),
        ],
    )
    assert r.exit_code == 1
    assert any(
        re.match(rf'^{re.escape(str(prom))}:4:3: error: amount "siete mil"', ln) for ln in errors(r)
    ), r.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- credit

CUSTOMERS = (
    "customer_id;customer_name;credit_limit;currency\n"
    "C1;Uno SA de CV;10.000,00;MXN\n"
    "C2;Dos SA;50.000,00;MXN\n"
    "C3;Tres SA;1.050,00;MXN\n"
)


def test_credit_status_hold_and_release_lists(write, tmp_path):
    holds = write("holds.csv", "customer_id;held_on;reason\nC2;15/09/2026;75 days overdue\n")
    out = tmp_path / "credit.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "credit",
            "--open-items",
            str(write("oi.csv", OI)),
            "--customers",
            str(write("customers.csv", CUSTOMERS)),
            *AS_OF,
            "--out",
            str(out),
            "--holds",
            str(holds),
            "--allocations",
            str(write("alloc.csv", ALLOCATIONS)),
            "--payments",
            str(write("pay.csv", PAYMENTS)),
        ],
    )
    assert r.exit_code == 0, r.output
    credit = csv(out).set_index("customer_id")
    assert credit["status"].to_dict() == {"C1": "new_hold", "C2": "release", "C3": "watch"}
    assert credit.loc["C1", ["exposure", "available"]].tolist() == ["15000.00", "-5000.00"]
    assert "over limit" in credit.loc["C1", "reason"]
    hold = csv(tmp_path / "credit-hold_list.csv")
    release = csv(tmp_path / "credit-release_list.csv")
    assert hold["customer_id"].tolist() == ["C1"]
    assert release[["customer_id", "received_since_hold"]].values.tolist() == [["C2", "2000.00"]]


def test_credit_to_a_workbook_has_the_three_lists(write, tmp_path):
    out = tmp_path / "credit.xlsx"
    r = runner.invoke(
        app,
        [
            "collections",
            "credit",
            "--open-items",
            str(write("oi.csv", OI)),
            "--customers",
            str(write("customers.csv", CUSTOMERS)),
            *AS_OF,
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    import openpyxl

    assert openpyxl.load_workbook(out).sheetnames[:3] == ["Credit", "HoldList", "ReleaseList"]
    assert not list(tmp_path.glob("credit-*"))  # one workbook, no CSV beside it


def test_credit_bad_limit_located_nothing_written(write, tmp_path):
    cust = write("customers.csv", CUSTOMERS.replace("50.000,00", "50k"))
    out = tmp_path / "credit.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "credit",
            "--open-items",
            str(write("oi.csv", OI)),
            "--customers",
            str(cust),
            *AS_OF,
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 1
    assert any(
        re.match(rf'^{re.escape(str(cust))}:3:3: error: credit_limit "50k"', ln) for ln in errors(r)
    ), r.stderr
    assert not out.exists() and not list(tmp_path.glob("credit-*"))


# --------------------------------------------------------------------------- disputes


def test_disputes_log_and_aging_with_the_disputed_part(write, tmp_path):
    out = tmp_path / "disputes.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "disputes",
            "--disputes",
            str(write("disputes.csv", DISPUTES)),
            "--open-items",
            str(write("oi.csv", OI)),
            *AS_OF,
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    log = csv(out)
    assert log[
        ["document_id", "owner", "days_open", "days_past_due", "amount_open", "amount_disputed"]
    ].values.tolist() == [["FA-201", "ventas", "11", "48", "5800.00", "800.00"]]
    aging = csv(tmp_path / "disputes-aging.csv").set_index("customer_id")
    assert aging.loc["C2", ["total", "disputed"]].tolist() == ["5800.00", "800.00"]
    assert aging.loc["C1", "disputed"] == "0.00"
    apart = csv(tmp_path / "disputes-disputed_aging.csv")
    assert apart[["customer_id", "31-60", "total"]].values.tolist() == [["C2", "800.00", "800.00"]]


def test_disputes_unknown_reason_located_nothing_written(write, tmp_path):
    disputes = write("disputes.csv", DISPUTES.replace("pricing", "precio"))
    out = tmp_path / "log.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "disputes",
            "--disputes",
            str(disputes),
            "--open-items",
            str(write("oi.csv", OI)),
            *AS_OF,
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 1
    assert any(ln.startswith(f"{disputes}:2:3: error: reason") for ln in errors(r)), r.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- worklist


def test_worklist_takes_promises_and_disputes(write, tmp_path):
    status = tmp_path / "status.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "promises",
            "--promises",
            str(write("promises.csv", PROMISES)),
            *AS_OF,
            "--out",
            str(status),
            "--allocations",
            str(write("alloc.csv", ALLOCATIONS)),
            "--payments",
            str(write("pay.csv", PAYMENTS)),
        ],
    )
    assert r.exit_code == 0, r.output
    out = tmp_path / "worklist.csv"
    r = runner.invoke(
        app,
        [
            "collections",
            "worklist",
            "--open-items",
            str(write("oi.csv", OI)),
            *AS_OF,
            "--out",
            str(out),
            "--promises",
            str(status),
            "--disputes",
            str(write("disputes.csv", DISPUTES)),
        ],
    )
    assert r.exit_code == 0, r.output
    wl = csv(out).set_index("customer_id")
    # C1 promised 7,000 by 15/11: wait; C2 paid part of its promise: call
    assert wl.loc["C1", "next_action"] == "wait: promise of 7,000.00 MXN by 2026-11-15"
    assert wl.loc["C2", ["promise_status", "disputed", "next_action"]].tolist() == [
        "partially_kept",
        "800.00",
        "call: promise partially kept",
    ]
