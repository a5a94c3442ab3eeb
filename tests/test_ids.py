"""Identifiers: RFC, NIT, CLABE, IBAN with one interface each (python-stdnum style)."""

from __future__ import annotations

import pytest

from cuadre.ids import CLABE, IBAN, NIT, RFC, InvalidIdentifier


@pytest.mark.parametrize(
    ("ident", "good", "compact"),
    [
        (RFC, "GODE 561231 GR8", "GODE561231GR8"),
        (RFC, "MAB-930714-8T4", "MAB9307148T4"),
        (NIT, "860.002.964-4", "8600029644"),
        (NIT, 8001972684.0, "8001972684"),
        (CLABE, "032 180 000118359719", "032180000118359719"),
        (IBAN, "ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332"),
        (IBAN, "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
    ],
)
def test_valid(ident, good, compact) -> None:  # type: ignore[no-untyped-def]
    assert ident.validate(good) == compact
    assert ident.is_valid(good)


@pytest.mark.parametrize(
    ("ident", "bad", "why"),
    [
        (RFC, "GODE5612", "characters"),
        (RFC, "GODE561331GR8", "impossible"),
        (NIT, "860002964-5", "give 4"),
        (NIT, "86000A", "digits only"),
        (CLABE, "032180000118359718", "digits give 9"),
        (CLABE, "03218000011835971", "has 17 digits"),
        (IBAN, "ES9121000418450200051333", "check digit"),
    ],
)
def test_invalid_says_why(ident, bad, why) -> None:  # type: ignore[no-untyped-def]
    assert not ident.is_valid(bad)
    with pytest.raises(InvalidIdentifier, match=why):
        ident.validate(bad)


def test_check_digits() -> None:
    assert NIT.check_digit("860002964") == "4"
    assert CLABE.check_digit("03218000011835971") == "9"
    assert IBAN.check_digit("ES 2100 0418 4502 0005 1332") == "91"
    assert RFC.check_digit("GODE561231GR") == "8"
    assert RFC.is_valid("VACE460910SX6") and not RFC.is_valid("VACE460910SX6", True)
    assert CLABE.bank_code("032180000118359719") == "032"  # type: ignore[attr-defined]
