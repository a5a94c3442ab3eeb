"""`cuadre accrue unbilled | provision` on files in the users' notation (semicolons,
decimal commas, dd/mm/yyyy): the figures, the balanced journals and their layouts."""

import re

import pandas as pd
from typer.testing import CliRunner

from cuadre.cli import app

runner = CliRunner()

OPERATIONS = (
    "operation_id;customer_id;customer_name;completed_date;currency;amount;quantity;rate;"
    "invoice_id\n"
    "OP-1;C1;Agencia Uno;28/10/2026;COP;1.500.000,00;;;\n"
    "OP-2;C1;Agencia Uno;15/10/2026;COP;;3;250000;FE-9\n"
    "OP-3;C2;Dos SAS;20/10/2026;COP;800.000,00;;;FE-8\n"
    "OP-4;C2;Dos SAS;02/11/2026;COP;400.000,00;;;\n"
)
INVOICES = (
    "customer_id;document_id;document_type;document_date;due_date;currency;amount_open;reference\n"
    "C1;FE-9;invoice;05/11/2026;05/12/2026;COP;750.000,00;\n"
    "C2;FE-8;invoice;25/10/2026;24/11/2026;COP;800.000,00;\n"
    "C2;FE-10;invoice;30/10/2026;29/11/2026;COP;400.000,00;OP-4\n"
)


def csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def errors(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ": error: " in ln]


def unbilled_args(write, out, *more):
    return [
        "accrue",
        "unbilled",
        "--operations",
        str(write("ops.csv", OPERATIONS)),
        "--invoices",
        str(write("inv.csv", INVOICES)),
        "--period-end",
        "2026-10-31",
        "--out",
        str(out),
        *more,
    ]


def test_unbilled_accrual_journal_reversal_and_cutoff(write, tmp_path):
    out = tmp_path / "accrual.csv"
    r = runner.invoke(app, unbilled_args(write, out))
    assert r.exit_code == 0, r.output
    assert "controls: all balance" in r.output
    # OP-1 not invoiced, OP-2 invoiced after the cut-off (3 x 250,000); OP-3 billed in time
    assert csv(out)[["customer_id", "operations", "amount"]].values.tolist() == [
        ["C1", "2", "2250000.00"]
    ]
    unbilled = csv(tmp_path / "accrual-unbilled.csv")
    assert unbilled[["operation_id", "unbilled", "reason"]].values.tolist() == [
        ["OP-2", "750000.00", "invoiced on 2026-11-05, after the cut-off"],
        ["OP-1", "1500000.00", "not invoiced"],
    ]
    journal = csv(tmp_path / "accrual-journal_lines.csv")
    assert journal[["journal_id", "date", "account", "debit", "credit"]].values.tolist() == [
        ["ACR-202610-COP", "2026-10-31", "1105-90", "2250000.00", "0.00"],
        ["ACR-202610-COP", "2026-10-31", "4100-01", "0.00", "2250000.00"],
        ["ACR-202610-COP-R", "2026-11-01", "1105-90", "0.00", "2250000.00"],
        ["ACR-202610-COP-R", "2026-11-01", "4100-01", "2250000.00", "0.00"],
    ]
    cutoff = csv(tmp_path / "accrual-sales_cutoff.csv")
    assert cutoff[["operation_id", "result"]].values.tolist() == [
        ["OP-1", "accrued"],
        ["OP-4", "early_invoice"],
    ]
    assert "OP-4 was invoiced (FE-10)" in r.stderr  # the cut-off error, as a warning


def test_unbilled_sap_layout_with_own_accounts(write, tmp_path):
    out = tmp_path / "accrual.xlsx"
    r = runner.invoke(
        app,
        unbilled_args(
            write,
            out,
            "--journal-format",
            "sap",
            "--company-code",
            "CO01",
            "--unbilled-account",
            "13059501",
            "--revenue-account",
            "41459501",
        ),
    )
    assert r.exit_code == 0, r.output
    import openpyxl

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Accruals", "Unbilled", "SAPUpload", "SalesCutoff", "Issues"]
    rows = [r for r in wb["SAPUpload"].iter_rows(values_only=True) if r[0]]
    header = rows.index(next(r for r in rows if r[0] == "DOCUMENT"))
    body = [dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]]
    assert [(b["BUKRS"], b["BLDAT"], b["BSCHL"], b["HKONT"], b["WRBTR"]) for b in body] == [
        ("CO01", "31.10.2026", "40", "13059501", "2250000.00"),
        ("CO01", "31.10.2026", "50", "41459501", "2250000.00"),
        ("CO01", "01.11.2026", "50", "13059501", "2250000.00"),
        ("CO01", "01.11.2026", "40", "41459501", "2250000.00"),
    ]


def test_unbilled_bad_date_located_nothing_written(write, tmp_path):
    ops = write("ops.csv", OPERATIONS.replace("28/10/2026", "31/13/2026"))
    out = tmp_path / "accrual.csv"
    r = runner.invoke(
        app,
        [
            "accrue",
            "unbilled",
            "--operations",
            str(ops),
            "--invoices",
            str(write("inv.csv", INVOICES)),
            "--period-end",
            "2026-10-31",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 1
    assert any(
        re.match(rf'^{re.escape(str(ops))}:2:4: error: completed_date "31/13/2026"', ln)
        for ln in errors(r)
    ), r.stderr
    assert not list(tmp_path.glob("accrual*"))


def test_unbilled_usage_errors(write, tmp_path):
    out = tmp_path / "a.csv"
    r1 = runner.invoke(app, unbilled_args(write, out, "--journal-format", "sap"))
    r2 = runner.invoke(app, unbilled_args(write, out, "--journal-format", "oracle"))
    assert (r1.exit_code, r2.exit_code) == (2, 2)
    assert "--company-code" in r1.stderr and "generic or sap" in r2.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- provision

OPEN_ITEMS = (
    "customer_id;document_id;document_type;document_date;due_date;currency;amount_open\n"
    "C1;FA-1;invoice;01/09/2026;15/10/2026;MXN;10.000,00\n"  # 16 days: 1-30
    "C1;FA-2;invoice;01/05/2026;30/06/2026;MXN;2.000,00\n"  # 123 days
    "C2;FA-3;invoice;20/10/2026;19/11/2026;MXN;50.000,00\n"  # current
    "C3;FA-4;invoice;01/07/2026;31/07/2026;MXN;4.000,00\n"  # 92 days
    "C3;NC-1;credit_note;15/10/2026;15/10/2026;MXN;-500,00\n"  # not netted
)
SNAPSHOTS = (
    "as_of;currency;bucket;amount\n"
    "31/08/2026;MXN;current;100.000,00\n"
    "31/08/2026;MXN;1-30;20.000,00\n"
    "31/08/2026;MXN;31+;5.000,00\n"
    "30/09/2026;MXN;current;100.000,00\n"
    "30/09/2026;MXN;1-30;10.000,00\n"
    "30/09/2026;MXN;31+;4.000,00\n"
    "30/09/2026;MXN;write_off;2.500,00\n"
)


def provision_args(write, out, *more):
    return [
        "accrue",
        "provision",
        "--open-items",
        str(write("oi.csv", OPEN_ITEMS)),
        "--as-of",
        "2026-10-31",
        "--out",
        str(out),
        *more,
    ]


def test_provision_from_roll_rates_with_a_forward_looking_factor(write, tmp_path):
    out = tmp_path / "ecl.csv"
    r = runner.invoke(
        app,
        provision_args(
            write,
            out,
            "--method",
            "roll-rates",
            "--snapshots",
            str(write("snaps.csv", SNAPSHOTS)),
            "--buckets",
            "30",
            "--forward-factor",
            "1.2",
        ),
    )
    assert r.exit_code == 0, r.output
    # rolls: current 10,000/100,000 = 0.1; 1-30 4,000/20,000 = 0.2; 31+ written off
    # 2,500/5,000 = 0.5; loss rates 0.01, 0.1, 0.5, times 1.2
    matrix = csv(tmp_path / "ecl-provision_matrix.csv")
    assert matrix[["bucket", "roll_rate", "historical_loss_rate", "loss_rate"]].values.tolist() == [
        ["current", "0.1000", "0.0100", "0.0120"],
        ["1-30", "0.2000", "0.1000", "0.1200"],
        ["31+", "0.5000", "0.5000", "0.6000"],
    ]
    provision = csv(out)
    assert provision[["bucket", "receivable", "provision"]].values.tolist() == [
        ["current", "50000.00", "600.00"],  # FA-3
        ["1-30", "10000.00", "1200.00"],  # FA-1
        ["31+", "6000.00", "3600.00"],  # FA-2 + FA-4; the credit note is not netted
    ]
    movement = csv(tmp_path / "ecl-allowance_movement.csv")
    assert movement["amount"].tolist() == ["0.00", "0.00", "5400.00", "5400.00", "0.00"]
    journal = csv(tmp_path / "ecl-journal_lines.csv")
    assert journal[["account", "debit", "credit"]].values.tolist() == [
        ["6105-01", "5400.00", "0.00"],
        ["1109-01", "0.00", "5400.00"],
    ]
    rolls = csv(tmp_path / "ecl-roll_rates.csv")
    assert rolls[["bucket", "balance", "rolled"]].values.tolist() == [
        ["current", "100000.00", "10000.00"],
        ["1-30", "20000.00", "4000.00"],
        ["31+", "5000.00", "2500.00"],
    ]


def test_provision_flat_rates_specific_opening_and_write_offs(write, tmp_path):
    opening = write(
        "movement_sep.csv",
        "currency;line;label;amount\nMXN;4;Closing allowance (expected credit loss);1.000,00\n",
    )
    write_offs = write(
        "wo.csv",
        "document_id;customer_id;date;currency;amount;reason\n"
        "FA-0;C9;15/10/2026;MXN;300,00;quiebra\n",
    )
    specific = write("spec.csv", "customer_id;rate;reason\nC3;100%;concurso mercantil\n")
    out = tmp_path / "ecl.xlsx"
    r = runner.invoke(
        app,
        provision_args(
            write,
            out,
            "--method",
            "flat",
            "--flat",
            "91-120=10,121+=50",
            "--opening-allowance",
            str(opening),
            "--write-offs",
            str(write_offs),
            "--specific",
            str(specific),
        ),
    )
    assert r.exit_code == 0, r.output
    from cuadre.io.tables import read_table
    from cuadre.reconcile.tables import ALLOWANCE_MOVEMENT, PROVISION

    provision, _ = read_table(out, PROVISION)
    # C3 (FA-4) is provided for in full instead of at 10%; FA-2 at 50%
    assert provision.loc[
        provision["provision"] > 0, ["bucket", "customer_id", "provision"]
    ].values.tolist() == [["121+", "", 100_000], ["specific", "C3", 400_000]]
    movement, _ = read_table(out, ALLOWANCE_MOVEMENT)
    # opening 1,000 - write-offs 300 + charge 4,300 = closing 5,000
    assert movement["amount"].tolist() == [100_000, -30_000, 430_000, 500_000, 0]
    assert "4,300.00 MXN" in r.output


def test_provision_bad_rate_located_nothing_written(write, tmp_path):
    specific = write("spec.csv", "customer_id;rate;reason\nC3;mucho;concurso mercantil\n")
    out = tmp_path / "ecl.csv"
    r = runner.invoke(
        app,
        provision_args(
            write, out, "--method", "flat", "--flat", "121+=50", "--specific", str(specific)
        ),
    )
    assert r.exit_code == 1
    assert any(ln.startswith(f'{specific}:2:2: error: rate "mucho"') for ln in errors(r)), r.stderr
    assert not list(tmp_path.glob("ecl*"))


def test_provision_opening_must_be_a_movement(write, tmp_path):
    opening = write("opening.csv", "currency;line;label;amount\nMXN;1;Opening allowance;5,00\n")
    out = tmp_path / "ecl.csv"
    r = runner.invoke(
        app,
        provision_args(
            write, out, "--method", "flat", "--flat", "121+=50", "--opening-allowance", str(opening)
        ),
    )
    assert r.exit_code == 1
    assert any(
        ln.startswith(f"{opening}: error: no 'Closing allowance' line") for ln in errors(r)
    ), r.stderr
    assert not out.exists()


def test_provision_usage_errors(write, tmp_path):
    out = str(tmp_path / "ecl.csv")
    cases = [
        (["--method", "matrix"], "--matrix"),
        (["--method", "flat", "--flat", "121+=abc"], "not a number"),
        (["--method", "flat", "--flat", "180+=5"], "--flat"),
        (["--method", "flat", "--flat", "121+=5", "--forward-factor", "1.1"], "roll rates"),
        (["--method", "guess"], "roll-rates, matrix or flat"),
    ]
    for more, words in cases:
        r = runner.invoke(
            app,
            [
                "accrue",
                "provision",
                "--open-items",
                str(write("oi.csv", OPEN_ITEMS)),
                "--as-of",
                "2026-10-31",
                "--out",
                out,
                *more,
            ],
        )
        assert r.exit_code == 2, (more, r.output)
        assert words in r.stderr, (more, r.stderr)
