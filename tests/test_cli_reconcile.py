"""`cuadre reconcile customer | dian` on files in the users' notation (semicolons,
decimal commas, dd/mm/yyyy), and the reconciliation workbook every reconcile writes."""

import re

import pandas as pd
from typer.testing import CliRunner

from cuadre.cli import app

runner = CliRunner()

OURS = (
    "customer_id;customer_name;document_id;document_type;document_date;due_date;currency;"
    "amount_open;reference\n"
    "C1;Uno SA de CV;FA-101;invoice;15/06/2026;15/07/2026;MXN;12.000,00;OC-1\n"
    "C1;Uno SA de CV;FA-102;invoice;20/09/2026;20/10/2026;MXN;3.480,00;OC-2\n"
    "C1;Uno SA de CV;NC-7;credit_note;25/09/2026;25/09/2026;MXN;-480,00;\n"
    "C2;Dos SA;FA-201;invoice;14/08/2026;13/09/2026;MXN;5.800,00;\n"
)
THEIRS = (
    "document_id;document_date;currency;amount;reference;note\n"
    "FA 101;15/06/2026;MXN;12.000,00;OC-1;\n"
    "FA-102;20/09/2026;MXN;3.000,00;OC-2;\n"
    "FA-555;01/10/2026;MXN;700,00;;\n"
)


def csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def errors(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ": error: " in ln]


def test_customer_statement_sections_causes_and_copies_to_send(write, tmp_path):
    out = tmp_path / "confirm.csv"
    r = runner.invoke(
        app,
        [
            "reconcile",
            "customer",
            "--open-items",
            str(write("ours.csv", OURS)),
            "--statement",
            str(write("theirs.csv", THEIRS)),
            "--customer",
            "C1",
            "--as-of",
            "2026-10-31",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "controls: all balance" in r.output
    items = csv(out)
    assert items[["section", "left_ids", "right_ids", "difference", "cause"]].values.tolist() == [
        ["matched", "FA-101", "FA 101", "0.00", ""],
        ["difference", "FA-102", "FA-102", "480.00", "tax"],
        ["left_only", "NC-7", "", "", "credit_not_taken"],
        ["right_only", "", "FA-555", "", "unknown_to_us"],
    ]
    assert items["right_rows"].iloc[1] == f"{tmp_path / 'theirs.csv'}:3"
    totals = csv(tmp_path / "confirm-reconciliation_totals.csv")
    assert totals[["left_total", "right_total", "difference"]].values.tolist() == [
        ["15000.00", "15700.00", "-700.00"]
    ]
    breakdown = csv(tmp_path / "confirm-reconciliation_breakdown.csv")
    assert dict(zip(breakdown["cause"], breakdown["amount"], strict=True)) == {
        "credit_not_taken": "-480.00",
        "tax": "480.00",
        "unknown_to_us": "-700.00",
    }
    copies = csv(tmp_path / "confirm-send_copies.csv")
    assert copies[["document_id", "amount"]].values.tolist() == [
        ["FA-102", "3480.00"],
        ["NC-7", "-480.00"],
    ]


def test_customer_statement_to_a_workbook(write, tmp_path):
    out = tmp_path / "confirm.xlsx"
    r = runner.invoke(
        app,
        [
            "reconcile",
            "customer",
            "--open-items",
            str(write("ours.csv", OURS)),
            "--statement",
            str(write("theirs.csv", THEIRS)),
            "--customer",
            "C1",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    import openpyxl

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Reconciliation",
        "ReconciliationTotals",
        "ReconcilingItems",
        "SendCopies",
    ]
    labels = [row[0].value for row in wb["Reconciliation"].iter_rows(min_row=4, max_row=12)]
    assert any(str(v).startswith("Our ledger") for v in labels if v), labels  # control block


def test_customer_statement_bad_amount_located_nothing_written(write, tmp_path):
    theirs = write("theirs.csv", THEIRS.replace("700,00", "7OO,00"))
    out = tmp_path / "confirm.csv"
    r = runner.invoke(
        app,
        [
            "reconcile",
            "customer",
            "--open-items",
            str(write("ours.csv", OURS)),
            "--statement",
            str(theirs),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 1
    assert any(
        re.match(rf'^{re.escape(str(theirs))}:4:4: error: amount "7OO,00"', ln) for ln in errors(r)
    ), r.stderr
    assert not list(tmp_path.glob("confirm*"))


def test_customer_statement_usage_errors(write, tmp_path):
    r = runner.invoke(
        app,
        [
            "reconcile",
            "customer",
            "--open-items",
            str(write("ours.csv", OURS)),
            "--statement",
            str(write("theirs.csv", THEIRS)),
            "--their-signs",
            "negative",
            "--out",
            str(tmp_path / "c.csv"),
        ],
    )
    assert r.exit_code == 2 and "--their-signs" in r.stderr


# --------------------------------------------------------------------------- DIAN

CUFE = {n: c * 48 for n, c in (("1001", "a1"), ("1002", "b2"), ("1003", "c3"))}


def fiscal_docs() -> str:
    """As `cuadre import cfdi` writes DIAN documents (ISO dates, dot decimals)."""
    rows = [
        ("1001", "2026-10-05", "1190000.00", "valid", "900123456"),
        ("1002", "2026-10-12", "595000.00", "rejected", "900123456"),
        ("1003", "2026-10-20", "238000.00", "valid", "800197268"),
    ]
    head = (
        "uuid,kind,document_number,issuer_tax_id,receiver_tax_id,issue_date,currency,total,status\n"
    )
    return head + "".join(
        f"{CUFE[n]},invoice,SETP-{n},901210113,{nit},{d},COP,{t},{s}\n" for n, d, t, s, nit in rows
    )


ERP = (
    "customer_id;document_id;document_type;document_date;due_date;currency;amount_original;"
    "amount_open;tax_id;fiscal_uuid\n"
    f"CL-1;SETP-1001;invoice;05/10/2026;04/11/2026;COP;1.190.000,00;1.190.000,00;900123456-7;"
    f"{CUFE['1001'].upper()}\n"
    f"CL-1;SETP-1002;invoice;12/10/2026;11/11/2026;COP;595.000,00;595.000,00;900123456-7;"
    f"{CUFE['1002']}\n"
    "CL-2;SETP-1004;invoice;25/10/2026;24/11/2026;COP;100.000,00;100.000,00;800197268-4;\n"
)


def test_dian_against_the_erp(write, tmp_path):
    out = tmp_path / "dian.csv"
    r = runner.invoke(
        app,
        [
            "reconcile",
            "dian",
            "--fiscal-docs",
            str(write("fiscal_docs.csv", fiscal_docs())),
            "--erp",
            str(write("erp.csv", ERP)),
            "--nit",
            "901210113",
            "--out",
            str(out),
        ],
    )
    # a document rejected by the DIAN and still open in the ERP is an error: exit 1,
    # with everything written for the clerk to act on
    assert r.exit_code == 1, r.output
    assert any(ln.startswith(f"{tmp_path / 'erp.csv'}:3: error: SETP-1002") for ln in errors(r))
    items = csv(out)
    assert items[["section", "right_ids", "cause"]].values.tolist() == [
        ["matched", "SETP-1001", ""],  # CUFE compared in lower case
        ["difference", "SETP-1002", "cancelled_open"],
        ["left_only", "", "missing_in_erp"],
        ["right_only", "SETP-1004", "not_stamped"],
    ]
    assert "controls: all balance" in r.output


def test_dian_bad_date_located_nothing_written(write, tmp_path):
    erp = write("erp.csv", ERP.replace("25/10/2026", "32/10/2026"))
    out = tmp_path / "dian.xlsx"
    r = runner.invoke(
        app,
        [
            "reconcile",
            "dian",
            "--fiscal-docs",
            str(write("fiscal_docs.csv", fiscal_docs())),
            "--erp",
            str(erp),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 1
    assert any(ln.startswith(f"{erp}:4:4: error: document_date") for ln in errors(r)), r.stderr
    assert not out.exists()
