"""The cuadre command on contract files written by another program."""

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from cuadre import __version__
from cuadre.cli import app

runner = CliRunner()

OI = (
    "customer_id,customer_name,document_id,document_type,document_date,due_date,currency,amount_open\n"
    "C1,Uno SA de CV,FA-1,invoice,2026-09-01,2026-10-01,MXN,1160.00\n"
    "C2,Dos Inc,INV-7,invoice,2026-08-01,2026-08-31,USD,250.00\n"
)
PAY = (
    "payment_id,value_date,amount,currency,payer_name,remittance\n"
    "P1,2026-10-15,1160.00,MXN,UNO SA DE CV,PAGO FA 1\n"
    "P2,2026-10-16,99.00,USD,NADIE,\n"
)


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_match_writes_allocations(write, tmp_path):
    oi, pay = write("oi.csv", OI), write("pay.csv", PAY)
    out = tmp_path / "alloc.csv"
    result = runner.invoke(
        app, ["match", "--open-items", str(oi), "--payments", str(pay), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    alloc = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert alloc[["payment_id", "document_id", "status", "amount_applied"]].values.tolist() == [
        ["P1", "FA-1", "auto", "1160.00"],
        ["P2", "", "unmatched", "99.00"],
    ]


def test_match_to_xlsx(write, tmp_path):
    out = tmp_path / "alloc.xlsx"
    result = runner.invoke(
        app,
        [
            "match",
            "--open-items",
            str(write("oi.csv", OI)),
            "--payments",
            str(write("pay.csv", PAY)),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    from cuadre.io.tables import read_table
    from cuadre.model import ALLOCATIONS

    back, findings = read_table(out, ALLOCATIONS)
    assert not [f for f in findings if f.is_error]
    assert back["amount_applied"].tolist() == [116000, 9900]


def test_bad_input_exit_1_with_located_lines(write, tmp_path):
    oi = write("oi.csv", OI.replace("1160.00", "12x").replace("USD", "USX"))
    out = tmp_path / "alloc.csv"
    result = runner.invoke(
        app,
        [
            "match",
            "--open-items",
            str(oi),
            "--payments",
            str(write("pay.csv", PAY)),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    lines = [ln for ln in result.stderr.splitlines() if ": error: " in ln]
    assert any(
        re.match(rf"^{re.escape(str(oi))}:2:8: error: amount_open \"12x\"", ln) for ln in lines
    )
    assert any(re.match(rf"^{re.escape(str(oi))}:3:7: error: currency", ln) for ln in lines)
    assert not out.exists()


def test_aging_with_buckets(write, tmp_path):
    out = tmp_path / "aging.csv"
    result = runner.invoke(
        app,
        [
            "aging",
            "--open-items",
            str(write("oi.csv", OI)),
            "--as-of",
            "2026-10-31",
            "--buckets",
            "30,60,90",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    aging = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(aging.columns[:9]) == [
        "customer_id",
        "customer_name",
        "currency",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "91+",
        "total",
    ]
    assert aging.set_index("customer_id").loc["C2", "61-90"] == "250.00"


def test_usage_errors_exit_2(write, tmp_path):
    oi = str(write("oi.csv", OI))
    r1 = runner.invoke(
        app,
        ["aging", "--open-items", oi, "--as-of", "31/10/2026", "--out", str(tmp_path / "a.csv")],
    )
    r2 = runner.invoke(
        app,
        [
            "aging",
            "--open-items",
            oi,
            "--as-of",
            "2026-10-31",
            "--buckets",
            "60,30",
            "--out",
            str(tmp_path / "a.csv"),
        ],
    )
    assert (r1.exit_code, r2.exit_code) == (2, 2)
    assert "YYYY-MM-DD" in r1.stderr and "increasing" in r2.stderr


def test_console_script_runs(write, tmp_path):
    """The installed entry point, as a user runs it."""
    out = tmp_path / "alloc.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cuadre",
            "match",
            "--open-items",
            str(write("oi.csv", OI)),
            "--payments",
            str(write("pay.csv", PAY)),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.exists()


def test_demo_command_builds_the_workbook(tmp_path):
    out = tmp_path / "demo.xlsx"
    result = runner.invoke(app, ["demo", "--out", str(out), "--customers", "30"])
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "demo-data" / "open_items.csv").exists()
    import openpyxl

    assert "Matches" in openpyxl.load_workbook(out, read_only=True).sheetnames


def test_close_command_on_files(write, tmp_path):
    out = tmp_path / "close.xlsx"
    result = runner.invoke(
        app,
        [
            "close",
            "--open-items",
            str(write("oi.csv", OI)),
            "--payments",
            str(write("pay.csv", PAY)),
            "--as-of",
            "2026-10-31",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    import openpyxl

    wb = openpyxl.load_workbook(out, data_only=True)
    assert wb["Evidence"]["A1"].value == "Evidence"


def test_template_command(tmp_path):
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", "--out", str(out)])
    assert result.exit_code == 0 and out.exists()


def test_pull_from_a_database(tmp_path):
    import sqlite3

    db = tmp_path / "erp.db"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE cuadre_open_items (customer_id TEXT, document_id TEXT, "
        "document_type TEXT, document_date TEXT, due_date TEXT, currency TEXT, "
        "amount_open TEXT)"
    )
    con.execute(
        "INSERT INTO cuadre_open_items VALUES "
        "('C1', 'FA-1', 'invoice', '2026-10-01', '2026-10-31', 'MXN', '1.160,00')"
    )
    con.commit()
    con.close()
    out = tmp_path / "oi.csv"
    result = runner.invoke(
        app,
        ["pull", "--url", f"sqlite:///{db}", "--query", "generic_open_items", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "1160.00" in out.read_text("utf-8-sig")
    bad = runner.invoke(
        app,
        [
            "pull",
            "--url",
            f"sqlite:///{db}",
            "--query",
            "generic_open_items",
            "--param",
            "oops",
            "--out",
            str(out),
        ],
    )
    assert bad.exit_code == 2


def test_import_cfdi_with_payment_complements(realdata, tmp_path):
    out, pay = tmp_path / "fd.csv", tmp_path / "pc.csv"
    result = runner.invoke(
        app,
        ["import", "cfdi", str(realdata / "cfdi"), "--out", str(out), "--payments-out", str(pay)],
    )
    # the satcfdi test corpus reuses one UUID for different documents: located errors,
    # exit code 1, nothing written
    assert result.exit_code == 1, result.output
    assert "UUID 6D7434A6-E3F2-47AD-9E4C-08849946AFA0 is also in" in result.stderr
    assert not out.exists()
    one = realdata / "cfdi" / "satcfdi_cfdv40-pagos20.xml"
    result = runner.invoke(
        app, ["import", "cfdi", str(one), "--out", str(out), "--payments-out", str(pay)]
    )
    assert result.exit_code == 0, result.output
    rows = pay.read_text("utf-8-sig").splitlines()
    assert len(rows) == 4 and "C1DF8D01-8436-4E7D-BECF-20F31624280D" in rows[1]


def test_review_learn_and_post_round_trip(write, tmp_path):
    oi, pay = write("oi.csv", OI), write("pay.csv", PAY)
    alloc = tmp_path / "alloc.csv"
    assert (
        runner.invoke(
            app, ["match", "--open-items", str(oi), "--payments", str(pay), "--out", str(alloc)]
        ).exit_code
        == 0
    )
    frame = pd.read_csv(alloc, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["review"] = ["ok", ""]
    frame.to_csv(alloc, index=False)
    learned = tmp_path / "learned.csv"
    r = runner.invoke(
        app, ["learn", "--matches", str(alloc), "--payments", str(pay), "--out", str(learned)]
    )
    assert r.exit_code == 0, r.output
    assert "C1,alias,UNO SA DE CV" in learned.read_text("utf-8-sig")
    journal, sap, rep = tmp_path / "j.csv", tmp_path / "sap.csv", tmp_path / "rep.csv"
    r = runner.invoke(
        app,
        [
            "post",
            "--matches",
            str(alloc),
            "--payments",
            str(pay),
            "--open-items",
            str(oi),
            "--journal",
            str(journal),
            "--sap",
            str(sap),
            "--complements",
            str(rep),
        ],
    )
    assert r.exit_code == 0, r.output
    lines = pd.read_csv(journal, dtype=str, encoding="utf-8-sig")
    assert lines["journal_id"].unique().tolist() == ["CASH-P1"]
    assert lines["debit"].tolist() == ["1160.00", "0.00"]


def test_import_erp_detect_and_profile(tmp_path):
    golden = Path(__file__).parent / "golden" / "importers" / "erp" / "sap_de_csv" / "input.csv"
    r = runner.invoke(app, ["import", "erp", str(golden), "--detect"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith("sap_fbl5n")
    out = tmp_path / "oi.csv"
    r = runner.invoke(
        app, ["import", "erp", str(golden), "--profile", "sap_fbl5n", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert out.read_text("utf-8-sig").startswith("customer_id,")
    assert (
        runner.invoke(
            app, ["import", "erp", str(golden), "--profile", "nope", "--out", str(out)]
        ).exit_code
        == 2
    )


def test_import_bank_detects_formats_and_duplicates(realdata, tmp_path):
    camt = realdata / "camt" / "genkgo-camt" / "test__data__camt053.v2.multi.statement.xml"
    bai2 = realdata / "bai2" / "moov_bai2_sample1.txt"
    out, st = tmp_path / "lines.csv", tmp_path / "st.csv"
    r = runner.invoke(
        app,
        [
            "import",
            "bank",
            str(camt),
            str(bai2),
            str(camt),
            "--out",
            str(out),
            "--statements",
            str(st),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "DUPLICATE_STATEMENT" in r.stderr or "already imported" in r.stderr
    lines = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert not lines["line_id"].duplicated().any()
    assert {"EUR", "CAD"} <= set(lines["currency"])
    bad = tmp_path / "junk.txt"
    bad.write_text("hello, this is not a statement\n")
    r = runner.invoke(app, ["import", "bank", str(bad), "--out", str(out)])
    assert r.exit_code == 1 and "not a bank statement format" in r.stderr


def test_addin_build_and_run_a_script(tmp_path):
    out = tmp_path / "Cuadre.xlam"
    r = runner.invoke(app, ["addin", "build", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists()
    book = tmp_path / "close.xlsx"
    import shutil

    shutil.copy(Path(__file__).parents[1] / "workbooks" / "Cuadre Close.xlsx", book)
    r = runner.invoke(app, ["run", "close", "--workbook", str(book)])
    assert r.exit_code == 1  # an empty template: the as-of date and the bank lines are missing
    settings = openpyxl.load_workbook(book)["Settings"]
    as_of_row = next(c.row for c in settings["A"] if c.value == "as_of")
    assert f"Settings!B{as_of_row}" in r.stderr
    assert runner.invoke(app, ["run", "nope", "--workbook", str(book)]).exit_code == 1


HISTORY = (
    "customer_id,document_id,document_type,document_date,due_date,currency,amount_original,"
    "clearing_date\n"
    "C1,FA-1,invoice,2026-08-05,2026-09-04,MXN,1000.00,2026-09-20\n"
    "C1,FA-2,invoice,2026-09-10,2026-10-10,MXN,500.00,\n"
    "C2,FA-3,invoice,2026-10-01,2026-10-31,MXN,250.00,\n"
)


def test_history_aging_rollforward_and_kpis(write, tmp_path):
    hist = write("history.csv", HISTORY)
    aging_out = tmp_path / "aging.csv"
    r = runner.invoke(
        app,
        [
            "aging",
            "--history",
            "--open-items",
            str(hist),
            "--as-of",
            "2026-08-31",
            "--out",
            str(aging_out),
        ],
    )
    assert r.exit_code == 0, r.output
    aged = pd.read_csv(aging_out, dtype=str, encoding="utf-8-sig")
    assert aged[["customer_id", "total"]].values.tolist() == [["C1", "1000.00"]]  # FA-1 open then
    rf = tmp_path / "rf.csv"
    r = runner.invoke(
        app,
        [
            "rollforward",
            "--history",
            str(hist),
            "--start",
            "2026-09-01",
            "--end",
            "2026-09-30",
            "--out",
            str(rf),
        ],
    )
    assert r.exit_code == 0, r.output
    k = tmp_path / "kpis.csv"
    r = runner.invoke(
        app,
        [
            "kpis",
            "--history",
            str(hist),
            "--from",
            "2026-08-01",
            "--to",
            "2026-10-01",
            "--out",
            str(k),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "dso_simple" in k.read_text("utf-8-sig").splitlines()[0]


def test_collections_worklist_and_statements(write, tmp_path):
    oi = write("oi.csv", OI)
    wl, pdf = tmp_path / "wl.csv", tmp_path / "st.pdf"
    r = runner.invoke(
        app,
        [
            "collections",
            "worklist",
            "--open-items",
            str(oi),
            "--as-of",
            "2026-10-31",
            "--out",
            str(wl),
        ],
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(wl, dtype=str, encoding="utf-8-sig")["customer_id"].iloc[0] == "C2"
    r = runner.invoke(
        app,
        [
            "collections",
            "statements",
            "--open-items",
            str(oi),
            "--as-of",
            "2026-10-31",
            "--out",
            str(pdf),
            "--company",
            "Demo",
        ],
    )
    assert r.exit_code == 0, r.output
    assert pdf.read_bytes().startswith(b"%PDF")


def test_reconcile_gl_and_bank(write, tmp_path):
    oi = write("oi.csv", OI)
    tb = write(
        "tb.csv",
        "account,currency,balance,is_ar_control\n1105-01,MXN,1160.00,yes\n1105-02,USD,200.00,yes\n",
    )
    out = tmp_path / "gl.csv"
    r = runner.invoke(
        app,
        ["reconcile", "gl", "--open-items", str(oi), "--trial-balance", str(tb), "--out", str(out)],
    )
    # the USD control account is 50.00 below the ledger: an unexplained difference, exit 1
    assert r.exit_code == 1, r.output
    assert "ledger 50.00 USD higher" in r.stderr
    items = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert "USD" in set(items["currency"])
    bank = write(
        "bank.csv",
        "line_id,currency,booking_date,amount,counterparty_name\n"
        "L1,MXN,2026-10-02,100.00,A\nL2,MXN,2026-10-03,-5.00,FEE\n",
    )
    out = tmp_path / "bank_rec.csv"
    r = runner.invoke(
        app,
        [
            "reconcile",
            "bank",
            "--bank-lines",
            str(bank),
            "--payments",
            str(bank),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Bank only" in r.output
    assert (
        runner.invoke(
            app, ["reconcile", "bank", "--bank-lines", str(bank), "--out", str(out)]
        ).exit_code
        == 2
    )


def test_help_lists_every_command():
    """`cuadre --help` and each group's help name every command (issues 5 and 6)."""
    groups = {
        (): [
            "match",
            "aging",
            "close",
            "learn",
            "post",
            "pull",
            "rollforward",
            "kpis",
            "run",
            "template",
            "demo",
            "import",
            "collections",
            "reconcile",
            "accrue",
            "addin",
        ],
        ("collections",): ["worklist", "statements", "dunning", "promises", "credit", "disputes"],
        ("reconcile",): ["gl", "bank", "customer", "sat", "dian", "advances"],
        ("accrue",): ["unbilled", "provision"],
        ("import",): ["bank", "erp", "cfdi"],
    }
    for group, commands in groups.items():
        result = runner.invoke(app, [*group, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        listed = set(re.findall(r"^│ (\w+) ", result.output, flags=re.M))
        assert set(commands) <= listed, (group, set(commands) - listed)


def test_import_erp_history_out_feeds_the_as_of_aging(tmp_path):
    """An FBL5N "all items" export: open items to --out, open + cleared to --history-out,
    and `aging --history` on it rebuilds the aging before the invoice was cleared."""
    from importers.test_erp_history import ALL_ITEMS

    export = tmp_path / "fbl5n.csv"
    export.write_bytes(ALL_ITEMS)
    oi, history, aging = tmp_path / "oi.csv", tmp_path / "history.csv", tmp_path / "aging.csv"
    r = runner.invoke(
        app,
        ["import", "erp", str(export), "--profile", "sap_fbl5n", "--out", str(oi),
         "--history-out", str(history)],
    )
    assert r.exit_code == 0, r.output
    assert "4 history items (2 cleared)" in r.output
    written = pd.read_csv(history, dtype=str, keep_default_na=False)
    assert sorted(written["document_id"]) == ["1400000050", "1700000012", "1800000077",
                                              "1800000101"]
    assert set(written.loc[written["clearing_date"] != "", "clearing_document"]) == {
        "1400000050"
    }
    r = runner.invoke(
        app,
        ["aging", "--history", "--open-items", str(history), "--as-of", "2026-10-15",
         "--out", str(aging)],
    )
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(aging, dtype=str).set_index("customer_id")
    assert rows.loc["100123", "1-30"].replace(",", "") in ("238", "238.00")
