"""OFX/QFX importer: golden cases (SGML and XML), every realdata sample, XML attacks,
corruption fuzzing.

Golden cases live in ``tests/golden/importers/ofx/<case>/``: ``input.ofx`` (hand-written
cases only; realdata samples are read from ``../shared/realdata``) and the expected
``bank_lines.csv``, ``statements.csv`` and ``findings.csv``. ``CUADRE_UPDATE_GOLDEN=1``
rewrites them on purpose.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuadre.findings import findings_frame
from cuadre.importers import bai2, bank_csv, ofx
from cuadre.importers.bank import read_bank_bytes
from cuadre.model.tables import BANK_LINES, STATEMENTS
from golden_util import assert_golden_table

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers" / "ofx"
UPDATE = os.environ.get("CUADRE_UPDATE_GOLDEN") == "1"
HAND_CASES = sorted(p.parent.name for p in GOLDEN.glob("*/input.ofx"))


def realdata_files(root: Path) -> dict[str, Path]:
    files = sorted(p for p in (root / "ofx").rglob("*") if p.is_file())
    return {re.sub(r"^tests__fixtures__|\.\w+$", "", p.name).replace(".", "_"): p for p in files}


# case -> (what the file is, error codes expected): these files are answers without a
# statement or are deliberately broken ("fail_nice") in ofxparse's test suite.
BROKEN = {
    "error_message": ["OFX_SERVER_ERROR"],
    "signon_fail": ["OFX_SERVER_ERROR"],
    "fail_nice__date_missing": ["OFX_BAD_DATE"] * 3,
    "fail_nice__decimal_error": ["OFX_BAD_DATE"],
}
NO_STATEMENT = {
    "account_listing_aggregation", "bank_small", "signon_success",
    "signon_success_no_message", "fidelity-savings", "fidelity", "investment_401k",
    "investment_medium", "td_ameritrade", "tiaacref", "vanguard", "vanguard401k",
}  # fmt: skip


def assert_golden_import(data: bytes, source: str, case: str) -> None:
    result = read_bank_bytes(data, source)
    assert result.format == "ofx"
    assert_golden_table(result.bank_lines, BANK_LINES, GOLDEN / case / "bank_lines.csv")
    assert_golden_table(result.statements, STATEMENTS, GOLDEN / case / "statements.csv")
    assert_golden_table(findings_frame(result.findings), None, GOLDEN / case / "findings.csv")


@pytest.mark.parametrize("case", HAND_CASES)
def test_hand_written_golden(case: str) -> None:
    assert_golden_import((GOLDEN / case / "input.ofx").read_bytes(), "input.ofx", case)


@pytest.mark.realdata
def test_realdata_golden(realdata: Path) -> None:
    files = realdata_files(realdata)
    assert len(files) >= 27
    for case, path in files.items():
        assert_golden_import(path.read_bytes(), path.name, f"realdata_{case}")


@pytest.mark.realdata
def test_realdata_imports_without_errors_unless_broken(realdata: Path) -> None:
    for case, path in realdata_files(realdata).items():
        result = read_bank_bytes(path.read_bytes(), path.name)
        errors = [f.code for f in result.findings if f.is_error]
        assert errors == BROKEN.get(case, []), case
        assert all(f.location.file == path.name for f in result.findings)
        if case in BROKEN or case in NO_STATEMENT:
            continue
        assert len(result.statements) > 0, case
        assert result.bank_lines["line_id"].is_unique
        assert result.statements["opening_balance"].isna().all()  # OFX has none


def test_hand_written_sgml_reads_every_quirk() -> None:
    result = ofx.read((GOLDEN / "mx_sgml_quirks" / "input.ofx").read_bytes(), "x.ofx")
    assert not result.findings  # CHARSET:1252 declared: reading cp1252 is no news
    lines = result.bank_lines.set_index("bank_reference")
    assert lines.loc["2026010500001", "counterparty_name"] == "Distribuidora Ñandú & Cía"
    assert lines.loc["2026010500001", "amount"] == 1250050  # TRNAMT 12500,50
    assert lines.loc["2026011000002", "check_number"] == "000123"
    assert lines.loc["SPEI998877", "counterparty_name"] == "Renta Oficinas SA"  # PAYEE/NAME
    assert lines.loc["SPEI998877", "counterparty_account"] == "002180009876543210"
    assert lines.loc["SPEI998877", "remittance"] == "RENTA ENERO"  # lower-case <memo>
    assert lines.loc["SPEI998877", "value_date"] == pd.Timestamp("2026-01-16")  # DTAVAIL
    text = (GOLDEN / "mx_sgml_quirks" / "input.ofx").read_bytes().decode("cp1252").split("\r\n")
    for line in result.bank_lines.itertuples():
        assert "<STMTTRN>" in text[line.source_line - 1]
    st_ = result.statements.set_index("currency")
    assert st_.loc["USD", "closing_balance"] == -12000  # credit card: owed


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("20260131120000.000[-5:EST]", dt.date(2026, 1, 31)),
        ("20260131", dt.date(2026, 1, 31)),
        ("20180804093914:014", dt.date(2018, 8, 4)),
        ("202601311200", dt.date(2026, 1, 31)),
        ("20260131120000[+5.30:IST]", dt.date(2026, 1, 31)),
        ("20260131235959.999[0:GMT]", dt.date(2026, 1, 31)),
        ("20120231", None),
        ("201120000000", None),
        ("31/01/2026", None),
        ("", None),
    ],
)
def test_ofx_dates(text: str, day: dt.date | None) -> None:
    assert ofx.parse_ofx_date(text) == day


def one_transaction(amount: str, currency: str = "USD") -> bytes:
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>"
        f"<CURDEF>{currency}<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>"
        f"<DTSTART>20260101<DTEND>20260131<STMTTRN><TRNTYPE>OTHER<DTPOSTED>20260105"
        f"<TRNAMT>{amount}<FITID>A1</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS>"
        "</BANKMSGSRSV1></OFX>"
    ).encode()


@pytest.mark.parametrize(
    ("amount", "currency", "units", "codes"),
    [
        ("-1234,56", "USD", -123456, []),
        ("+0.5", "USD", 50, []),
        (".5", "USD", 50, []),
        ("-00000000001500.0000", "USD", -150000, []),
        ("1.234", "USD", 123, ["ROUNDED"]),
        ("1500", "JPY", 1500, []),
        ("$120", "USD", 12000, ["OFX_AMOUNT_FORM"]),
        ("abc", "USD", None, ["OFX_BAD_AMOUNT"]),
        ("", "USD", None, ["OFX_BAD_AMOUNT"]),
        ("1", "XYZ", None, ["OFX_UNKNOWN_CURRENCY"]),
    ],
)
def test_ofx_amounts(amount: str, currency: str, units: int | None, codes: list[str]) -> None:
    result = ofx.read(one_transaction(amount, currency), "x")
    assert [f.code for f in result.findings] == codes
    got = result.bank_lines["amount"].tolist()
    assert got == ([] if units is None else [units])


# --------------------------------------------------------------------------- XML safety


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE OFX [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<?OFX OFXHEADER="200" VERSION="220"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD</CURDEF>
<BANKTRANLIST><STMTTRN><TRNTYPE>OTHER</TRNTYPE><DTPOSTED>20260101</DTPOSTED>
<TRNAMT>1</TRNAMT><FITID>1</FITID><MEMO>&lol3;</MEMO></STMTTRN></BANKTRANLIST>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE OFX [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD</CURDEF>
<BANKTRANLIST><STMTTRN><TRNTYPE>OTHER</TRNTYPE><DTPOSTED>20260101</DTPOSTED>
<TRNAMT>1</TRNAMT><FITID>1</FITID><MEMO>&secret;</MEMO></STMTTRN></BANKTRANLIST>
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
def test_xml_attacks_are_refused(data: bytes) -> None:
    result = read_bank_bytes(data, "attack.ofx")
    assert result.format == "ofx"
    assert [f.code for f in result.findings] == ["XML_REFUSED"]
    assert result.bank_lines.empty


def test_entities_in_an_sgml_file_are_refused_not_expanded() -> None:
    body = EXTERNAL_ENTITY.split(b"?>", 1)[1]
    result = ofx.read(b"OFXHEADER:100\nDATA:OFXSGML\n\n" + body, "attack.ofx")
    assert result.bank_lines.empty
    assert any(f.is_error for f in result.findings)
    assert b"root:" not in str(result.findings).encode()


def test_sgml_never_expands_unknown_entities() -> None:
    result = ofx.read(
        one_transaction("1").replace(b"<FITID>A1", b"<FITID>A1<MEMO>&lol3; &amp;"), "x"
    )
    assert result.bank_lines["remittance"].tolist() == ["&lol3; &"]


# --------------------------------------------------------------------------- detection


def test_detect_claims_ofx_only(realdata: Path) -> None:
    for path in realdata_files(realdata).values():
        data = path.read_bytes()
        assert ofx.detect(data, "x"), path.name
        assert not bai2.detect(data, "x"), path.name
        assert not bank_csv.detect(data, "x"), path.name
    for folder in ("bai2", "camt", "mt940", "erp_exports"):
        for path in (realdata / folder).rglob("*.*"):
            assert not ofx.detect(path.read_bytes(), path.name), path.name
    assert ofx.detect(b"\r\n\r\n<OFX>\r\n<SIGNONMSGSRSV1>", "x")
    assert not ofx.detect(b"Date,Amount\n", "x")


def test_reimport_gives_the_same_ids() -> None:
    data = (GOLDEN / "mx_sgml_quirks" / "input.ofx").read_bytes()
    first, second = ofx.read(data, "a"), ofx.read(data, "b")
    assert first.bank_lines["line_id"].tolist() == second.bank_lines["line_id"].tolist()


# --------------------------------------------------------------------------- corruption


def corrupt(data: bytes, position: int, byte: int, cut: bool) -> bytes:
    position %= len(data)
    return data[:position] if cut else data[:position] + bytes([byte]) + data[position + 1 :]


SAMPLES = [GOLDEN / "mx_sgml_quirks" / "input.ofx", GOLDEN / "eur_xml_v2" / "input.ofx"]


@settings(max_examples=100, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    position=st.integers(min_value=0),
    byte=st.integers(min_value=0, max_value=255),
    cut=st.booleans(),
)
def test_corruption_never_raises(sample: Path, position: int, byte: int, cut: bool) -> None:
    """OFX gives no opening balance, so a changed TRNAMT cannot be caught by a balance
    check; what is guaranteed is a located finding or a clean result, never a crash."""
    original = sample.read_bytes()
    result = read_bank_bytes(corrupt(original, position, byte, cut), "x.ofx")
    assert not any(f.code == "IMPORT_FAILED" for f in result.findings)
    assert list(result.bank_lines.columns[: len(BANK_LINES.names)]) == BANK_LINES.names
    if result.format == "ofx" and len(result.bank_lines):
        assert result.bank_lines["line_id"].is_unique


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="<>/ABCDEFGHIKLMNOPRSTUVXY0123456789.,-[]:&; \n", max_size=400))
def test_tag_soup_never_raises(body: str) -> None:
    result = ofx.read(b"OFXHEADER:100\n\n<OFX>" + body.encode(), "x")
    assert isinstance(result.findings, list)
