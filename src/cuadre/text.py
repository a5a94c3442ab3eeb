"""Text normalisation shared by matching and the worksheet functions.

Bank files shout (``DISTRIBUIDORA NANDU SA DE CV``), drop accents, abbreviate legal
forms and cut names at 35 characters (SWIFT field width). ERPs hold
``Distribuidora Ñandú, S.A. de C.V.``. ``normalize_name`` brings both to
``DISTRIBUIDORA NANDU``. Legal suffixes are reference data in ``data/legal_forms.txt``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def legal_forms() -> tuple[str, ...]:
    """Legal-form suffixes, normalised, longest first (``S DE RL DE CV`` before ``CV``)."""
    text = resources.files("cuadre.data").joinpath("legal_forms.txt").read_text("utf-8")
    forms = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            forms.add(" ".join(_NON_ALNUM.sub(" ", strip_accents(line).upper()).split()))
    return tuple(sorted(forms, key=len, reverse=True))


@lru_cache(maxsize=1)
def _legal_tokens() -> frozenset[str]:
    """The short words of legal forms (``SA``, ``DE``, ``CV``, ``LTDA``) that may trail a
    name on their own; long ones (``SOCIEDAD``, ``CAPITAL``) only go as a whole form, so
    ``GRUPO FINANCIERO CAPITAL`` keeps its last word."""
    return frozenset(tok for form in legal_forms() for tok in form.split() if len(tok) <= 5)


@lru_cache(maxsize=1)
def _cut_forms() -> tuple[frozenset[str], int]:
    """Every start of a legal form a bank field may leave (two characters or more, not
    ending in a space), and the longest."""
    starts = {form[:j] for form in legal_forms() for j in range(2, len(form)) if form[j - 1] != " "}
    return frozenset(starts), max(map(len, starts), default=0)


def strip_cut_legal_form(text: str) -> str:
    """A normalised name whose legal form a bank field cut short, without it:
    ``AGENCIA DE ADUANAS RISARALDA LIMITA`` -> ``AGENCIA DE ADUANAS RISARALDA``,
    ``... SOCIEDAD ANONIMA DE CAP`` -> ``...``. The kept part must be at least two
    characters and end inside a word of the form; call it only for names long enough
    to have been cut."""
    starts, longest = _cut_forms()
    at = text.find(" ", max(len(text) - longest - 1, 0))
    while at != -1:
        if text[at + 1 :] in starts:
            return normalize_name(text[:at])
        at = text.find(" ", at + 1)
    return text


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Company name -> upper case, no accents, no punctuation, no legal form.

    A legal form cut short by a 35-character bank field (``... SA DE``) goes too."""
    text = " ".join(_NON_ALNUM.sub(" ", strip_accents(name).upper()).split())
    changed = True
    while changed and text:
        changed = False
        for form in legal_forms():
            if text == form:
                break
            if text.endswith(" " + form):
                text = text[: -len(form) - 1].rstrip()
                changed = True
                break
    words = text.split()
    while len(words) > 1 and words[-1] in _legal_tokens():
        words.pop()
    return " ".join(words)


def compact(text: str) -> str:
    """Upper-case letters and digits only: ``"fa-104 233"`` -> ``"FA104233"``."""
    return _NON_ALNUM.sub("", strip_accents(text).upper())


def numeric_core(text: str) -> str:
    """The last run of digits without leading zeros: ``"FA-0104233"`` -> ``"104233"``."""
    runs = re.findall(r"\d+", text)
    return runs[-1].lstrip("0") if runs else ""


def split_list(text: str) -> list[str]:
    """A ``;``-separated cell (bank accounts, aliases) -> its stripped parts."""
    return [p.strip() for p in str(text or "").split(";") if p.strip()]
