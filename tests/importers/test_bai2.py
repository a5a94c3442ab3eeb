"""BAI2 importer: golden cases in bank notation, every realdata sample, corruption fuzzing.

Golden cases live in ``tests/golden/importers/bai2/<case>/``: ``input.bai`` (hand-written
cases only; realdata samples are read from ``../shared/realdata``) and the expected
``bank_lines.csv``, ``statements.csv`` and ``findings.csv``. Set ``CUADRE_UPDATE_GOLDEN=1``
to rewrite them on purpose, then review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuadre.findings import Severity, findings_frame
from cuadre.importers import bai2, bank_csv, ofx
from cuadre.importers.bank import read_bank_bytes
from cuadre.model.tables import BANK_LINES, STATEMENTS
from golden_util import assert_golden_table

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "importers" / "bai2"
UPDATE = os.environ.get("CUADRE_UPDATE_GOLDEN") == "1"

REALDATA = {
    "moov_sample1": "bai2/moov_bai2_sample1.txt",
    "moov_spec_section3": "bai2/moov_bai2_spec-section3.txt",
    "moov_sample2": "bai2/moov-bai2/test__testdata__sample2.txt",
    "moov_sample4_gs": "bai2/moov-bai2/test__testdata__sample4-continuations-newline-delimited.txt",
    "moov_sample5_gs": "bai2/moov-bai2/test__testdata__sample5-issue113.txt",
    "moov_parse_error": "bai2/moov-bai2/test__testdata__errors__sample-parseError.txt",
}
HAND_CASES = sorted(p.parent.name for p in GOLDEN.glob("*/input.bai"))

# The Goldman Sachs samples are moov's continuation tests: their trailers and the
# balances of account 104108339 do not agree with the details (hand-edited test data).
UNBALANCED = {"moov_sample4_gs", "moov_sample5_gs"}
BROKEN = {"moov_parse_error"}


def assert_golden_import(data: bytes, source: str, case: str) -> None:
    result = read_bank_bytes(data, source)
    assert result.format == "bai2"
    assert_golden_table(result.bank_lines, BANK_LINES, GOLDEN / case / "bank_lines.csv")
    assert_golden_table(result.statements, STATEMENTS, GOLDEN / case / "statements.csv")
    assert_golden_table(findings_frame(result.findings), None, GOLDEN / case / "findings.csv")


@pytest.mark.parametrize("case", HAND_CASES)
def test_hand_written_golden(case: str) -> None:
    data = (GOLDEN / case / "input.bai").read_bytes()
    assert_golden_import(data, "input.bai", case)


@pytest.mark.realdata
@pytest.mark.parametrize("case", sorted(REALDATA))
def test_realdata_golden(realdata: Path, case: str) -> None:
    path = realdata / REALDATA[case]
    assert_golden_import(path.read_bytes(), path.name, case)


@pytest.mark.realdata
@pytest.mark.parametrize("case", sorted(REALDATA))
def test_realdata_imports_cleanly(realdata: Path, case: str) -> None:
    result = read_bank_bytes((realdata / REALDATA[case]).read_bytes(), "sample.txt")
    errors = [f for f in result.findings if f.is_error]
    if case in BROKEN:
        assert errors and all(f.location.row == 1 for f in errors)
        return
    assert not errors, errors
    assert len(result.statements) > 0
    assert result.bank_lines["line_id"].is_unique
    unbalanced = [f for f in result.findings if f.code == "STATEMENT_NOT_BALANCED"]
    assert bool(unbalanced) == (case in UNBALANCED)


def test_hand_written_case_balances_and_scales_by_currency() -> None:
    result = bai2.read((GOLDEN / "mx_multi_record_lines" / "input.bai").read_bytes(), "x.bai")
    st_ = result.statements.set_index("account")
    lines = result.bank_lines
    for account in ("1234567890", "9988776655"):
        moved = int(lines.loc[lines["account"].eq(account), "amount"].sum())
        assert (
            int(st_.loc[account, "opening_balance"]) + moved == st_.loc[account, "closing_balance"]
        )
    assert st_.loc["1234567890", "currency"] == "MXN"  # from the 02 group header
    assert st_.loc["1234567890", "opening_balance"] == -150000  # a negative balance
    assert st_.loc["9988776655", "closing_balance"] == 42000  # JPY: no decimals
    assert lines["remittance"].iloc[0] == "PAGO FACTURA FAC-1043, FAC-1044"
    assert not result.findings


def test_parse_error_sample_is_a_located_finding(realdata: Path) -> None:
    path = realdata / REALDATA["moov_parse_error"]
    result = read_bank_bytes(path.read_bytes(), str(path))
    assert result.format == "bai2"
    assert [f.code for f in result.findings if f.is_error] == ["BAI2_EMPTY"]
    assert all(f.location.row == 1 for f in result.findings)


# --------------------------------------------------------------------------- records


def test_slash_inside_a_reference_does_not_end_the_record() -> None:
    records, found = bai2.split_records(
        "16,447,928650,,SPB1,AB/GS/RP0001/RPBA0001,ACH Credit,Info: 08/18/23 x\n"
        "49,1/02,X,Y,1,260101,,USD,/\n",
        "f",
    )
    assert not found
    assert [r.code for r in records] == ["16", "49", "02"]
    assert records[0].segments[0].endswith("Info: 08/18/23 x")


def test_continuation_carries_on_the_field_list() -> None:
    f = bai2.Fields(["9876,,010,-500000,,,190", "500000,,,040", "-1500000,,"])
    assert [f.field() for _ in range(2)] == ["9876", ""]
    got = []
    while (code := f.next()) is not None:
        got.append((code, f.field(), f.field(), f.field()))
    assert got == [
        ("010", "-500000", "", ""),
        ("190", "500000", "", ""),
        ("040", "-1500000", "", ""),
    ]


@pytest.mark.parametrize(
    ("code", "sign"),
    [(108, 1), (399, 1), (400, -1), (699, -1), (925, 1), (965, -1), (10, None), (890, None)],
)
def test_type_code_direction(code: int, sign: int | None) -> None:
    assert bai2.direction(code) == sign


def bai(*records: str) -> bytes:
    return ("\n".join(records) + "\n").encode()


def test_detail_outside_an_account_and_unknown_currency_are_errors() -> None:
    data = bai(
        "01,S,R,260101,0000,1,,,2/",
        "02,R,S,1,260101,,,/",
        "16,108,100,,,,OUT OF PLACE/",
        "03,1,ZZZ,010,100,,/",
        "16,108,100,,,,X/",
        "49,300,3/",
        "98,300,1,6/",
        "99,300,1,8/",
    )
    result = bai2.read(data, "f.bai")
    errors = {(f.code, f.location.row) for f in result.findings if f.is_error}
    assert errors == {("BAI2_OUT_OF_PLACE", 3), ("BAI2_UNKNOWN_CURRENCY", 4)}
    assert result.bank_lines.empty and result.statements.empty


def test_default_currency_is_usd_and_group_deletion_is_not_imported() -> None:
    data = bai(
        "01,S,R,260101,0000,1,,,2/",
        "02,R,S,2,260101,,,/",
        "03,1,,010,100,,/",
        "49,100,2/",
        "98,100,1,4/",
        "02,R,S,1,260102,,,/",
        "03,1,,010,100,,,015,150,,/",
        "16,174,50,,,,/",
        "49,300,3/",
        "98,300,1,5/",
        "99,400,2,11/",
    )
    result = bai2.read(data, "f.bai")
    assert [f.code for f in result.findings] == ["BAI2_GROUP_STATUS"]
    assert result.statements["currency"].tolist() == ["USD"]
    assert result.statements["statement_id"].tolist() == ["S-260101-1/2/1"]


def test_reimport_gives_the_same_ids(realdata: Path) -> None:
    data = (realdata / REALDATA["moov_sample2"]).read_bytes()
    first, second = bai2.read(data, "a"), bai2.read(data, "b")
    assert first.bank_lines["line_id"].tolist() == second.bank_lines["line_id"].tolist()
    assert first.bank_lines["line_id"].is_unique


# --------------------------------------------------------------------------- detection


def test_detect_claims_bai2_only(realdata: Path) -> None:
    for case in REALDATA:
        data = (realdata / REALDATA[case]).read_bytes()
        assert bai2.detect(data, "x"), case
        assert not bank_csv.detect(data, "x"), case
        assert not ofx.detect(data, "x"), case
    others = [
        p
        for folder in ("ofx", "camt", "mt940", "erp_exports")
        for p in (realdata / folder).rglob("*.*")
    ]
    assert others
    for path in others:
        assert not bai2.detect(path.read_bytes(), path.name), path.name
    assert not bai2.detect(b"", "x")
    assert not bai2.detect(b"01,2,3\n", "x")


# --------------------------------------------------------------------------- corruption


def warnings_or_worse(result) -> list[str]:
    return [f.code for f in result.findings if f.severity in (Severity.ERROR, Severity.WARNING)]


def test_a_changed_amount_is_caught(realdata: Path) -> None:
    text = (realdata / REALDATA["moov_sample1"]).read_text()
    changed = text.replace("16,409,000000000090000", "16,409,000000000080000", 1)
    result = read_bank_bytes(changed.encode(), "x")
    assert {"BAI2_CONTROL_TOTAL", "STATEMENT_NOT_BALANCED"} <= set(warnings_or_worse(result))


def test_a_flipped_direction_is_caught_by_the_balances(realdata: Path) -> None:
    text = (realdata / REALDATA["moov_sample1"]).read_text()
    changed = text.replace("16,409,000000000002500", "16,108,000000000002500", 1)
    result = read_bank_bytes(changed.encode(), "x")
    assert "STATEMENT_NOT_BALANCED" in warnings_or_worse(result)


CHECKED_SAMPLES = ("moov_sample1", "moov_sample2", "moov_spec_section3")


def mutate(data: bytes, position: int, byte: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([byte]) + data[position + 1 :]


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case=st.sampled_from(CHECKED_SAMPLES),
    position=st.integers(min_value=0),
    byte=st.integers(min_value=0, max_value=255),
    cut=st.booleans(),
)
def test_corruption_never_raises_nor_silently_changes_the_total(
    realdata: Path, case: str, position: int, byte: int, cut: bool
) -> None:
    original = (realdata / REALDATA[case]).read_bytes()
    data = original[: position % len(original)] if cut else mutate(original, position, byte)
    result = read_bank_bytes(data, "x")
    assert result.format == "bai2" or any(f.code == "UNKNOWN_FORMAT" for f in result.findings)
    assert not any(f.code == "IMPORT_FAILED" for f in result.findings)
    assert list(result.bank_lines.columns[: len(BANK_LINES.names)]) == BANK_LINES.names
    before, after = bai2.read(original, "x").bank_lines["amount"], result.bank_lines["amount"]
    # the control totals guard the unsigned amounts and the number of details; where the
    # file has opening and closing balances, the balance check guards the signed total too
    guarded = [(len(before), len(after)), (int(before.abs().sum()), int(after.abs().sum()))]
    if case == "moov_sample1":
        guarded.append((int(before.sum()), int(after.sum())))
    if any(a != b for a, b in guarded):
        assert warnings_or_worse(result), "a changed total went unreported"


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = bai2.read(b"01,S,R,260101,0000,1,,,2/\n" + data, "x")
    assert isinstance(result.findings, list)


def test_digits_only_are_changed_in_amount_fields(realdata: Path) -> None:
    """Every digit of every 16 amount, changed: always reported (a deterministic sweep)."""
    text = (realdata / REALDATA["moov_sample1"]).read_text()
    for m in re.finditer(r"^16,\d{3},(\d+)", text, re.M):
        start = m.start(1) + len(m.group(1)) - 3  # the hundreds digit
        digit = text[start]
        changed = text[:start] + ("1" if digit != "1" else "2") + text[start + 1 :]
        assert warnings_or_worse(read_bank_bytes(changed.encode(), "x")), m.group(0)
