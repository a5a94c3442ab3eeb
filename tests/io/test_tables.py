"""Reading contract tables from real .csv and .xlsx files, with the mess real files have."""

import datetime as dt

import openpyxl
import pandas as pd

from cuadre.io.tables import read_payments, read_table, write_table
from cuadre.model import BANK_LINES, CUSTOMERS, OPEN_ITEMS, PAYMENTS

HEADER = "customer_id,document_id,document_type,document_date,due_date,currency,amount_open\n"


def codes(findings):
    return [f.code for f in findings]


def test_clean_contract_file(write):
    p = write("oi.csv", HEADER + "C1,FA-1,invoice,2026-10-01,2026-10-31,MXN,1160.00\n")
    df, findings = read_table(p, OPEN_ITEMS)
    assert findings == []
    row = df.iloc[0]
    assert row["amount_open"] == 116000
    assert row["due_date"] == pd.Timestamp("2026-10-31")
    assert (row["source_path"], row["source_row"]) == (str(p), 2)


def test_utf8_bom(write):
    p = write("oi.csv", b"\xef\xbb\xbf" + HEADER.encode() + b"C1,FA-1,invoice,2026-10-01,,MXN,1\n")
    df, findings = read_table(p, OPEN_ITEMS)
    assert "MISSING_COLUMN" not in codes(findings)
    assert df["customer_id"].tolist() == ["C1"]


def test_cp1252_is_read_and_reported(write):
    text = "customer_id,customer_name,document_id,document_type,document_date,currency,amount_open\n"
    text += "C1,Distribuidora Ñandú,FA-1,invoice,2026-10-01,MXN,1\n"
    p = write("oi.csv", text, encoding="cp1252")
    df, findings = read_table(p, OPEN_ITEMS)
    assert df["customer_name"].iloc[0] == "Distribuidora Ñandú"
    enc = [f for f in findings if f.code == "ENCODING"]
    assert enc and "Windows-1252" in enc[0].message and enc[0].location.row == 2


def test_decimal_comma_semicolon_file(write):
    p = write(
        "oi.csv",
        HEADER.replace(",", ";") + "C1;FA-1;invoice;01/10/2026;31/10/2026;MXN;1.234,56\n"
        "C1;FA-2;invoice;01/10/2026;31/10/2026;MXN;1.234\n",
    )
    df, findings = read_table(p, OPEN_ITEMS)
    assert df["amount_open"].tolist() == [123456, 123400]
    assert not [f for f in findings if f.is_error]


def test_thousands_separators(write):
    p = write("oi.csv", HEADER + 'C1,FA-1,invoice,2026-10-01,2026-10-31,MXN,"1,234,567.89"\n')
    df, _ = read_table(p, OPEN_ITEMS)
    assert df["amount_open"].iloc[0] == 123456789


def test_ambiguous_thousands_is_reported(write):
    p = write("oi.csv", HEADER + 'C1,FA-1,invoice,2026-10-01,2026-10-31,MXN,"1,234"\n')
    df, findings = read_table(p, OPEN_ITEMS)
    assert df["amount_open"].iloc[0] == 123400
    assert "AMBIGUOUS_NUMBER" in codes(findings)


def test_day_first_detected_per_file(write):
    p = write(
        "oi.csv",
        HEADER + "C1,FA-1,invoice,03/04/2026,25/04/2026,MXN,1\n",
    )
    df, findings = read_table(p, OPEN_ITEMS)
    assert df["document_date"].iloc[0] == pd.Timestamp("2026-04-03")
    assert not [f for f in findings if "DATE" in f.code]


def test_month_first_detected_per_file(write):
    p = write("oi.csv", HEADER + "C1,FA-1,invoice,03/04/2026,04/25/2026,USD,1\n")
    df, _ = read_table(p, OPEN_ITEMS)
    assert df["document_date"].iloc[0] == pd.Timestamp("2026-03-04")


def test_ambiguous_dates_are_reported(write):
    p = write("oi.csv", HEADER + "C1,FA-1,invoice,03/04/2026,05/04/2026,MXN,1\n")
    df, findings = read_table(p, OPEN_ITEMS)
    amb = [f for f in findings if f.code == "AMBIGUOUS_DATE_ORDER"]
    assert amb and amb[0].severity == "warning"
    assert df["document_date"].iloc[0] == pd.Timestamp("2026-04-03")


def test_conflicting_date_orders_locate_the_odd_ones(write):
    p = write(
        "oi.csv",
        HEADER
        + "C1,FA-1,invoice,25/04/2026,26/04/2026,MXN,1\n"
        + "C1,FA-2,invoice,04/27/2026,28/04/2026,MXN,1\n",
    )
    _, findings = read_table(p, OPEN_ITEMS)
    bad = [f for f in findings if f.code == "NOT_A_DATE"]
    assert [(f.location.row, f.location.column) for f in bad] == [(3, 4)]
    assert "MIXED_DATE_ORDER" in codes(findings)


def test_excel_serial_dates_in_text(write):
    p = write("oi.csv", HEADER + "C1,FA-1,invoice,46296,46326,MXN,1\n")
    df, _ = read_table(p, OPEN_ITEMS)
    assert df["due_date"].iloc[0] == pd.Timestamp("2026-10-31")


def test_text_numbers_keep_leading_zeros(write):
    p = write("oi.csv", HEADER + 'C0042,"00123",invoice,2026-10-01,2026-10-31,MXN," 1160 "\n')
    df, _ = read_table(p, OPEN_ITEMS)
    assert df["document_id"].iloc[0] == "00123"
    assert df["customer_id"].iloc[0] == "C0042"
    assert df["amount_open"].iloc[0] == 116000


def test_blank_rows_skipped_and_rows_kept_right(write):
    p = write("oi.csv", HEADER + ",,,,,,\n\nC1,FA-1,invoice,2026-10-01,2026-10-31,MXN,x\n")
    _df, findings = read_table(p, OPEN_ITEMS)
    assert "BLANK_ROWS" in codes(findings)
    bad = next(f for f in findings if f.code == "NOT_A_NUMBER")
    assert str(bad.location) == f"{p}:4:7"


def test_title_rows_above_the_header(write):
    p = write("oi.csv", "Cartera al 31/10/2026\n\n" + HEADER + "C1,FA-1,invoice,2026-10-01,2026-10-31,MXN,1\n")
    df, findings = read_table(p, OPEN_ITEMS)
    assert len(df) == 1 and df["source_row"].iloc[0] == 4
    assert "HEADER_BELOW_TITLE" in codes(findings)


def test_every_problem_is_reported_at_once(write):
    p = write(
        "oi.csv",
        "customer_id,document_id,document_type,document_date,currency,amount_open\n"
        "C1,FA-1,factura,2026-10-01,MXN,1\n"
        ",FA-2,bill,2026-13-01,MXX,1.2.3\n"
        "C1,FA-1,invoice,2026-10-01,MXN,1\n",
    )
    _, findings = read_table(p, OPEN_ITEMS)
    errors = {(f.code, f.location.row, f.location.column) for f in findings if f.is_error}
    assert errors >= {
        ("MISSING_VALUE", 3, 1),
        ("NOT_ALLOWED", 3, 3),
        ("NOT_A_DATE", 3, 4),
        ("UNKNOWN_CURRENCY", 3, 5),
        ("NOT_A_NUMBER", 3, 6),
        ("DUPLICATE_KEY", 4, 2),
    }
    dup = next(f for f in findings if f.code == "DUPLICATE_KEY")
    assert "first at row 2" in dup.message


def test_missing_required_column_names_what_was_found(write):
    p = write("oi.csv", "customer,document_id\nC1,FA-1\n")
    _, findings = read_table(p, OPEN_ITEMS)
    missing = [f for f in findings if f.code == "MISSING_COLUMN"]
    assert {f.message.split('"')[1] for f in missing} >= {"customer_id", "amount_open"}
    assert "customer, document_id" in missing[0].message
    assert str(missing[0].location) == f"{p}:1"


def test_missing_file_and_empty_file(tmp_path, write):
    _, f1 = read_table(tmp_path / "nope.csv", OPEN_ITEMS)
    _, f2 = read_table(write("empty.csv", ""), OPEN_ITEMS)
    assert codes(f1) == ["FILE_NOT_FOUND"] and codes(f2) == ["EMPTY_FILE"]


def test_xlsx_with_real_dates_numbers_and_a_title(tmp_path):
    p = tmp_path / "oi.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "OpenItems"
    ws.append(["Open items"])
    ws.append(HEADER.strip().split(","))
    ws.append(["C1", 1043, "invoice", dt.date(2026, 10, 1), dt.datetime(2026, 10, 31), "MXN", 1160.1])
    ws.append(["C1", "FA-2", "invoice", 46296, "2026-10-31", "MXN", "abc"])
    wb.save(p)
    df, findings = read_table(p, OPEN_ITEMS)
    assert df["document_id"].tolist() == ["1043", "FA-2"]
    assert df["amount_open"].iloc[0] == 116010
    assert df["document_date"].tolist() == [pd.Timestamp("2026-10-01")] * 2
    bad = next(f for f in findings if f.code == "NOT_A_NUMBER")
    assert (bad.location.sheet, bad.location.row, bad.location.column) == ("OpenItems", 4, 7)
    assert bad.location.excel() == "OpenItems!G4"
    assert str(bad).startswith(f"{p}:4:7: error: OpenItems!G4: ")


def test_xlsx_sheet_selection_and_missing_sheet(tmp_path):
    p = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Open Items")
    ws.append(HEADER.strip().split(","))
    ws.append(["C1", "FA-1", "invoice", "2026-10-01", "2026-10-31", "MXN", 1])
    wb.save(p)
    df, findings = read_table(p, OPEN_ITEMS)
    assert len(df) == 1 and not findings
    from cuadre.model.validate import ReadOptions

    _, findings = read_table(p, OPEN_ITEMS, ReadOptions(sheet="Nope"))
    assert codes(findings) == ["SHEET_NOT_FOUND"]


def test_broken_workbook_is_a_finding_not_a_traceback(write):
    _, findings = read_table(write("bad.xlsx", b"PK\x03\x04 not really a zip"), OPEN_ITEMS)
    assert codes(findings) == ["BAD_WORKBOOK"]


def test_input_file_is_never_modified(write):
    p = write("oi.csv", HEADER + "C1,FA-1,invoice,2026-10-01,2026-10-31,MXN,1\n")
    before = (p.read_bytes(), p.stat().st_mtime_ns)
    read_table(p, OPEN_ITEMS)
    assert (p.read_bytes(), p.stat().st_mtime_ns) == before


def test_write_then_read_round_trip(tmp_path, write):
    p = write("c.csv", "customer_id,customer_name,credit_limit,currency,payment_terms_days\n"
              "C1,Ñandú,\"1,000.50\",MXN,30\nC2,Yen Co,5,JPY,\n")
    df, _findings = read_table(p, CUSTOMERS)
    out = tmp_path / "out.csv"
    write_table(df, out, CUSTOMERS)
    again, _findings2 = read_table(out, CUSTOMERS)
    assert again["credit_limit"].tolist() == [100050, 5]
    assert again["customer_name"].tolist() == ["Ñandú", "Yen Co"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_bank_lines_are_accepted_as_payments(write):
    p = write(
        "bank.csv",
        "line_id,currency,booking_date,amount,counterparty_name,remittance\n"
        "L1,MXN,2026-10-02,100.00,ACME,FA-1\nL2,MXN,2026-10-02,-15.00,BANK,FEE\n",
    )
    pay, findings = read_payments(p)
    assert pay["payment_id"].tolist() == ["L1"]
    assert pay["payer_name"].tolist() == ["ACME"]
    assert not [f for f in findings if f.is_error]
    lines, _ = read_table(p, BANK_LINES)
    assert lines["amount"].tolist() == [10000, -1500]


def test_payments_must_be_positive(write):
    p = write("p.csv", "payment_id,value_date,amount,currency\nP1,2026-10-01,-5,MXN\n")
    _, findings = read_table(p, PAYMENTS)
    assert "NOT_POSITIVE" in codes(findings)
