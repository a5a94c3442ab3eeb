"""Tax and bank identifiers: Mexican RFC and CLABE, Colombian NIT, IBAN.

One small interface per identifier, in the python-stdnum style: ``compact`` (the bare
characters), ``validate`` (the compact form, or :class:`InvalidIdentifier` saying what
is wrong), ``is_valid`` and ``check_digit`` (the check digit(s) computed from the
number without them). ``RFC``, ``NIT`` and ``IBAN`` delegate to python-stdnum
(``stdnum.mx.rfc``, ``stdnum.co.nit``, ``stdnum.iban``: maintained, with the per-country
IBAN registry); python-stdnum has no CLABE, so it is written here.

References:

- RFC: SAT, *Registro Federal de Contribuyentes*; the last character is a mod-11
  check digit over the 12 preceding characters (a space pads company RFCs). About 1.5%
  of RFCs in use carry a wrong check digit, so ``validate`` checks it only with
  ``check_digits=True`` (python-stdnum's default as well).
- NIT: DIAN, *Número de Identificación Tributaria*; the digito de verificación (DV)
  is mod 11 with the weights 3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71.
- CLABE: Banco de México, *Clave Bancaria Estandarizada*: 18 digits, bank (3), plaza
  (3), account (11) and a check digit: weights 3, 7, 1 over the first 17 digits, each
  product taken mod 10, then (10 - sum mod 10) mod 10.
- IBAN: ISO 13616; the two check digits are ISO 7064 mod 97-10.

>>> CLABE.validate("032 180 000118359719")
'032180000118359719'
>>> CLABE.check_digit("03218000011835971")
'9'
>>> NIT.check_digit("860002964")
'4'
>>> RFC.is_valid("GODE561231GR8")
True
>>> IBAN.validate("ES91 2100 0418 4502 0005 1332")
'ES9121000418450200051332'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import iban as _iban
from stdnum.co import nit as _nit
from stdnum.exceptions import ValidationError
from stdnum.mx import rfc as _rfc

__all__ = ["CLABE", "IBAN", "NIT", "RFC", "Identifier", "InvalidIdentifier"]

_SEPARATORS = re.compile(r"[\s\-./_]")


class InvalidIdentifier(ValueError):
    """An identifier that is not valid; the message says what was found and expected."""


def _clean(number: object) -> str:
    if number is None:
        return ""
    if isinstance(number, float) and number.is_integer():
        number = int(number)  # a NIT or CLABE typed into a number cell
    return _SEPARATORS.sub("", str(number)).upper()


@dataclass(frozen=True)
class Identifier:
    """The shared interface; each identifier below fills in its rules."""

    name: str
    example: str

    def compact(self, number: object) -> str:
        """The identifier without spaces, dashes, dots or slashes, upper case."""
        return _clean(number)

    def validate(self, number: object, check_digits: bool = True) -> str:
        """The compact form, or :class:`InvalidIdentifier` saying what is wrong."""
        raise NotImplementedError

    def is_valid(self, number: object, check_digits: bool = True) -> bool:
        try:
            self.validate(number, check_digits)
        except InvalidIdentifier:
            return False
        return True

    def check_digit(self, number: object) -> str:
        """The check digit(s) of ``number`` given without them."""
        raise NotImplementedError

    def _fail(self, number: object, why: str) -> InvalidIdentifier:
        shown = "" if number is None else str(number)
        return InvalidIdentifier(
            f'{self.name} "{shown}" is not valid: {why}; expected something like {self.example}'
        )


class _RFC(Identifier):
    def validate(self, number: object, check_digits: bool = False) -> str:
        """RFC shape, date and (with ``check_digits``) the last check character."""
        text = self.compact(number)
        if len(text) not in (10, 12, 13):
            raise self._fail(number, f"it has {len(text)} characters, an RFC has 12 or 13")
        try:
            return str(_rfc.validate(text, validate_check_digits=check_digits))
        except ValidationError as exc:
            raise self._fail(number, _why(exc)) from None

    def is_valid(self, number: object, check_digits: bool = False) -> bool:
        return super().is_valid(number, check_digits)

    def check_digit(self, number: object) -> str:
        text = self.compact(number)
        if len(text) not in (11, 12):
            raise self._fail(number, "give the first 11 (company) or 12 (person) characters")
        return str(_rfc.calc_check_digit(text if len(text) == 12 else " " + text))


class _NIT(Identifier):
    def validate(self, number: object, check_digits: bool = True) -> str:
        """8 to 15 digits, the last one the DV (always checked: it is how a NIT is told)."""
        text = self.compact(number)
        if not text.isdigit():
            raise self._fail(number, "it must be digits only (the last one is the DV)")
        try:
            return str(_nit.validate(text))
        except ValidationError as exc:
            raise self._fail(number, _why(exc, self.check_digit(text[:-1]))) from None

    def check_digit(self, number: object) -> str:
        text = self.compact(number)
        if not text.isdigit() or not text:
            raise self._fail(number, "give the NIT digits without the DV")
        return str(_nit.calc_check_digit(text))


_CLABE_WEIGHTS = (3, 7, 1) * 6


class _CLABE(Identifier):
    def validate(self, number: object, check_digits: bool = True) -> str:
        """18 digits; the last one the check digit."""
        text = self.compact(number)
        if not text.isdigit():
            raise self._fail(number, "a CLABE has digits only")
        if len(text) != 18:
            raise self._fail(number, f"it has {len(text)} digits, a CLABE has 18")
        if check_digits:
            expected = self.check_digit(text[:17])
            if text[17] != expected:
                raise self._fail(
                    number, f"its check digit is {text[17]}, the digits give {expected}"
                )
        return text

    def check_digit(self, number: object) -> str:
        text = self.compact(number)
        if not text.isdigit() or len(text) != 17:
            raise self._fail(number, "give the first 17 digits")
        total = sum(int(d) * w % 10 for d, w in zip(text, _CLABE_WEIGHTS, strict=False))
        return str((10 - total % 10) % 10)

    def bank_code(self, number: object) -> str:
        """The first three digits: the bank (ABM code, 002 Banamex, 012 BBVA...)."""
        return self.validate(number)[:3]


class _IBAN(Identifier):
    def validate(self, number: object, check_digits: bool = True) -> str:
        """Country, length and BBAN shape from the registry, then mod 97-10."""
        text = self.compact(number)
        try:
            return str(_iban.validate(text, check_country=True))
        except ValidationError as exc:
            raise self._fail(number, _why(exc)) from None

    def check_digit(self, number: object) -> str:
        """The two check digits for country code + BBAN (``ES`` + ``21000418...``)."""
        text = self.compact(number)
        if len(text) < 3 or not text[:2].isalpha():
            raise self._fail(number, "give the country code and the BBAN")
        return str(_iban.calc_check_digits(text[:2] + "00" + text[2:]))


def _why(exc: ValidationError, expected_dv: str | None = None) -> str:
    name = type(exc).__name__
    if name == "InvalidChecksum":
        return "its check digit does not match" + (
            f" (the digits give {expected_dv})" if expected_dv is not None else ""
        )
    if name == "InvalidLength":
        return "its length is wrong"
    if name == "InvalidComponent":
        return "a part of it is impossible (date, country or bank format)"
    return "its characters are not in the right places"


RFC: Identifier = _RFC("RFC", "GODE561231GR8 (person) or MAB9307148T4 (company)")
NIT: Identifier = _NIT("NIT", "860002964-4 (digits, then the DV)")
CLABE: Identifier = _CLABE("CLABE", "032180000118359719 (18 digits)")
IBAN: Identifier = _IBAN("IBAN", "ES91 2100 0418 4502 0005 1332")
