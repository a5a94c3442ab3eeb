"""Reading remittance texts: document references, cut texts, partial-payment words.

Payers write ``FA-104233`` as ``FA104233``, ``fact 0104233``, ``104233``, several in one
text, ranges (``F-2291 A 2295``) and lists (``FRAS 267-268-655``). A token is looked up
by its compact form (letters and digits) and by its numeric core (digits without
leading zeros). Remittance fields are cut by the banks at fixed lengths (SWIFT 35,
SPEI 40, SEPA 140): a text of exactly that length may have lost references.
"""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz.distance import OSA

from cuadre.text import compact, strip_accents

_REF_TOKEN = re.compile(
    r"(?<![A-Z0-9])([A-Z]{0,10})[ \-#./:°º]{0,3}(?<!\d)(\d{1,12})(?![\d.,]\d|\d)"
)
_RANGE = re.compile(
    r"(?<![A-Z0-9])([A-Z]{0,10})[ \-#./:°º]{0,3}(?<!\d)(?<!\d-)(\d{2,12})\s*(-|A|AL|TO|HASTA|THRU)\s*"
    r"(?:[A-Z]{0,10}[ \-]?)?(\d{1,12})\b(?!\s*-\s*\d)"
)
MAX_RANGE = 50
CUT_LENGTHS = (35, 40, 140)
"""Remittance field lengths at which banks cut the payer's text (SWIFT, SPEI, SEPA)."""
CUT_REMITTANCE_LENGTH = 35
"""The shortest length a cut text has (SWIFT)."""

# not ABONO: payers write "abono a factura" for any payment, full or not
_PARTIAL_WORDS = re.compile(r"\b(PARCIAL|PARCIALIDAD|PARTIAL|INSTALL?MENTS?|CUOTA)\b")
_DEDUCTION_WORDS = re.compile(
    r"\b(MENOS|LESS|DEDUCCION|DEDUCTION|DEVOLUCION|RETURNS?|MERMA|SHORTAGE|FLETE|FREIGHT|"
    r"DIF|DIFERENCIA|PRICING|DESC|DESCUENTO|DISC|DISCOUNT|RETENCION(?:ES)?|RTE)\b"
)
_ADVANCE_WORDS = re.compile(r"\b(ANTICIPO|ADVANCE|PREPAYMENT|PREPAGO|PRE PAYMENT)\b")


def tokens(text: str) -> list[tuple[str, str, str]]:
    """(as written, letters, digits) of every number in ``text``, ranges expanded.

    ``F-2291 A 2294`` names 2291 to 2294; ``2291-2294`` is a range too, but
    ``267-268-655`` is a list (a range has two ends only)."""
    upper = strip_accents(text.upper())
    found = [(m.group(0).strip(), m.group(1), m.group(2)) for m in _REF_TOKEN.finditer(upper)]
    for m in _RANGE.finditer(upper):
        first, last = m.group(2), m.group(4)
        if len(last) < len(first):  # "2291 A 95" -> 2295
            last = first[: len(first) - len(last)] + last
        lo, hi = int(first), int(last)
        if 0 < hi - lo <= MAX_RANGE:
            found += [
                (m.group(0).strip(), m.group(1), str(n).zfill(len(first)))
                for n in range(lo + 1, hi)
            ]
    return found


BANK_WORDS = frozenset(
    {
        "CHEQUE",
        "CHEQ",
        "CHQ",
        "CHK",
        "CHECK",
        "REF",
        "REFERENCIA",
        "LOCKBOX",
        "TRACE",
        "RASTREO",
        "CLABE",
        "CTA",
        "CUENTA",
        "SBC",
        "AUT",
        "AUTORIZACION",
        "TRN",
        "TX",
    }
)
"""Words before a number the bank or the payer's system wrote: a cheque, trace or
account number, never an invoice (``DEP CHQ 004512``, ``REF 1234567``)."""
PO_WORDS = frozenset({"PO", "OC", "PEDIDO", "COMPRA", "ORDEN", "ORDER", "PURCHASE"})
"""Words before a purchase-order number (``ORDEN DE COMPRA 8433``, ``PO#15826``)."""


def ref_keys(letters: str, digits: str) -> list[str]:
    """Lookup keys of a reference: ``FA`` + ``0104233`` -> FA0104233, FA104233."""
    core = digits.lstrip("0") or "0"
    keys = [letters + digits, letters + core] if letters else []
    return list(dict.fromkeys(keys))


def looks_cut(text: str, at_space: bool = False) -> bool:
    """True when ``text`` is as long as a bank field it may have been cut at; with
    ``at_space``, also one character shorter (cut at a space the export then trimmed:
    for looking where the text ends, not for doubting what it says)."""
    n = len(text.strip())
    return n in CUT_LENGTHS or (at_space and n + 1 in CUT_LENGTHS)


def one_edit(written: str, number: str) -> bool:
    """``written`` is ``number`` with one digit wrong, two neighbours swapped, or one
    digit missing or extra (``780`` for 7580, ``101865`` for 101856): an optimal
    string alignment distance of exactly one."""
    return OSA.distance(written, number, score_cutoff=1) == 1


_TAIL = re.compile(r"(\d*)$")


def cut_tail(text: str) -> str | None:
    """Where a cut text stops: the digits it ends with (the start of the first number
    the bank cut, ``"... F5361 F59"`` -> ``"59"``), ``""`` when it ends in a series or
    a joining word (``"... FACTURAS FA"``); None when the text does not look cut
    inside a list."""
    if not looks_cut(text, at_space=True):
        return None
    upper = strip_accents(text.strip().upper())
    m = _TAIL.search(upper)
    digits = m.group(1) if m else ""
    if digits:
        return digits
    # ending in letters: cut inside a list only after a series or a joining word
    # ("... FA", "... Y"), not after words ("... MENOS RETENCIONES")
    last = upper.split()[-1] if upper.split() else ""
    return "" if looks_cut(text) and len(last) <= 4 else None


def says_partial(text: str) -> bool:
    """The payer says the payment is partial (``ABONO``, ``PARCIAL``, ``PARTIAL``...)."""
    return bool(_PARTIAL_WORDS.search(strip_accents(text.upper())))


def says_deduction(text: str) -> bool:
    """The payer says it took something off (``MENOS DEVOLUCION``, ``LESS FREIGHT``...)."""
    return bool(_DEDUCTION_WORDS.search(strip_accents(text.upper())))


def says_advance(text: str) -> bool:
    """The payer says the money is an advance (``ANTICIPO``, ``ADVANCE``, ``PREPAYMENT``)."""
    return bool(_ADVANCE_WORDS.search(strip_accents(text.upper())))


_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DROP = {c: None for c in range(128) if not chr(c).isalnum() or chr(c).islower()}
_LAST_DIGITS = re.compile(r"(\d+)\D*$")


def split_id(text: str) -> tuple[str, str, str, str]:
    """(compact, letters, digits, numeric core) of a document id or PO.

    ``FA-0104233`` -> (``FA0104233``, ``FA``, ``0104233``, ``104233``); letters are the
    ones right before the final digits. Same as :func:`cuadre.text.compact` and
    :func:`cuadre.text.numeric_core`, but one pass, for a million ids."""
    up = text.upper()
    c = up.translate(_DROP) if up.isascii() else compact(text)
    head = c.rstrip(_DIGITS)
    digits = c[len(head) :]
    letters = head[len(head.rstrip(_LETTERS)) :]
    if digits:
        core = digits.lstrip("0")
    else:
        m = _LAST_DIGITS.search(text)
        core = m.group(1).lstrip("0") if m else ""
    return c, letters, digits, core


def document_keys(
    values: list[str], min_len: int
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """(row positions, keys, numeric cores, letters): the keys under which each document id (or
    PO) can be named: the compact id (``FA104233``, ``FV000123``) and letters plus
    digits without leading zeros (``FV123``); keys shorter than ``min_len`` dropped."""
    pos: list[int] = []
    keys: list[str] = []
    cores: list[str] = []
    prefixes: list[str] = []
    for i, text in enumerate(values):
        c, letters, digits, core = split_id(text)
        cores.append(core)
        prefixes.append(letters)
        if len(c) >= min_len:
            pos.append(i)
            keys.append(c)
        if letters and digits:
            if letters + digits != c and len(letters) + len(digits) >= min_len:
                pos.append(i)
                keys.append(letters + digits)
            stripped = letters + (core or "0")
            if stripped != c and stripped != letters + digits and len(stripped) >= min_len:
                pos.append(i)
                keys.append(stripped)
    return np.array(pos, dtype=np.int64), np.array(keys, dtype=object), cores, prefixes
