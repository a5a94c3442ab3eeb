"""Who paid: the customer behind a payment, how we know, and how sure we are.

In order of strength: the payer account known from the customer master (or learned
from confirmed matches); the payer's tax id, given or written in the remittance (RFC);
the payer name equal to one customer's name or alias (no accents, no legal form, bank
cuts ignored); a name the bank cut at its field length that starts exactly one
customer's name; a close name (rapidfuzz, with a margin over the runner-up). A name
shared by several customers identifies none of them. When the payer is a third party
(factoring company, parent company), the remittance may name the customer it pays for
(``PAGO POR CUENTA DE ...``, ``ON BEHALF OF ...``).
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from cuadre.matching.index import CUT_NAME_LENGTH, Customers, name_key
from cuadre.matching.policy import MatchPolicy
from cuadre.matching.references import looks_cut
from cuadre.text import compact, strip_accents

ACCOUNT = 0.98
TAX_ID = 0.97
TAX_ID_IN_TEXT = 0.95
NAME = 0.95
NAME_CUT = 0.94
NAME_ABBREVIATED = 0.94
NAME_IN_REMITTANCE = 0.93
MIN_PREFIX = 12
"""A cut name must keep this many characters to name a customer by its start."""

_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b")
_WORDS = re.compile(r"[A-Z]+(?:\s+[A-Z]+)+")
_DIGIT = re.compile(r"\d")


def identify(
    payment: dict[str, Any], custs: Customers, policy: MatchPolicy
) -> tuple[str, str, float]:
    """(customer_id, how, confidence of the identification); '' when unknown."""
    acc = compact(payment.get("payer_account", "") or "")
    if acc and acc in custs.by_account:
        return custs.by_account[acc], f"payer account {payment['payer_account']} is known", ACCOUNT
    tax = compact(payment.get("payer_tax_id", "") or "")
    if tax and tax in custs.by_tax:
        return custs.by_tax[tax], f"payer tax id {payment['payer_tax_id']}", TAX_ID
    text = str(payment.get("remittance", "") or "").upper()
    if _DIGIT.search(text):  # an RFC has digits; most names have none
        for m in _RFC.finditer(text):
            if compact(m.group(0)) in custs.by_tax:
                cid = custs.by_tax[compact(m.group(0))]
                return cid, f"tax id {m.group(0)} in remittance", TAX_ID_IN_TEXT
    raw = str(payment.get("payer_name", "") or "")
    name = name_key(raw)
    if not name:
        return "", "", 0.0
    cid, how, conf = by_name(name, custs, policy, cut=_maybe_cut(raw, name))
    if cid:
        return cid, how.format(name=f'payer name "{raw}"'), conf
    return "", "", 0.0


MAX_SHARED = 12
"""A payer name that fits more customers than this says too little to try each."""


def name_candidates(payment: dict[str, Any], custs: Customers) -> set[str]:
    """The customers a payer name fits when it fits several: a name they share, or the
    start of their names (cut by the bank). Empty when it fits one, none or too many."""
    raw = str(payment.get("payer_name", "") or "")
    name = name_key(raw)
    if not name:
        return set()
    found = set(custs.exact(name))
    if len(name) >= MIN_PREFIX and _maybe_cut(raw, name):
        found |= custs.by_prefix(name, limit=MAX_SHARED + 1)
    return found if 1 < len(found) <= MAX_SHARED else set()


def _maybe_cut(raw: str, name: str) -> bool:
    """The bank may have cut the name: it is as long as its field and ends in no legal
    form (a name that ends in ``SA DE CV`` was written whole up to there)."""
    return len(raw.strip()) >= CUT_NAME_LENGTH and compact(raw) == name.replace(" ", "")


def by_name(
    name: str, custs: Customers, policy: MatchPolicy, cut: bool = False
) -> tuple[str, str, float]:
    """A normalised name -> (customer, how with a ``{name}`` slot, confidence).

    ``cut``: the bank may have cut the name, so it is also the start of every name
    that begins with it (``... MEXICANA`` of ``... MEXICANA 2``)."""
    exact = custs.exact(name)
    if exact:
        if len(exact) == 1 and not (cut and custs.by_prefix(name + " ", limit=1)):
            return next(iter(exact)), "{name} is the customer", NAME
        return "", "", 0.0  # several customers share this name: not an identification
    if len(name) >= MIN_PREFIX:
        prefixed = custs.by_prefix(name)
        if len(prefixed) == 1:
            cid = prefixed.pop()
            return cid, f"{{name}} is the start of {_braced(custs.display.get(cid, cid))}", NAME_CUT
        if prefixed:
            return "", "", 0.0  # the start of several names: the amount may tell which
    cached = custs._fuzzy_cache.get(name)
    if cached is None:
        cached = _abbreviation(name, custs) or _fuzzy(name, custs, policy)
        custs._fuzzy_cache[name] = cached
    return cached


_FUNCTION_WORDS = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E", "THE", "OF", "AND"})
MAX_ABBREVIATION_SHORTLIST = 400


def abbreviates(short: str, full: str) -> bool:
    """``short`` is ``full`` or an abbreviation of it: same first letter, its letters in
    order (``DIST`` DISTRIBUIDORA, ``GPO`` GRUPO, ``HNOS`` HERMANOS, ``INTL``
    INTERNACIONAL, ``CIA`` COMPANIA, ``NTE`` NORTE)."""
    if short == full:
        return True
    if len(short) < 2 or len(short) >= len(full) or short[0] != full[0]:
        return False
    rest = iter(full)
    return all(ch in rest for ch in short)


def _abbreviation(name: str, custs: Customers) -> tuple[str, str, float] | None:
    """The one customer whose name the payer wrote with abbreviated words, word for
    word (articles and prepositions aside); looked for among the names with the same
    initials."""
    words = [w for w in name.split() if w not in _FUNCTION_WORDS]
    if len(words) < 2:
        return None
    if not custs.initials:
        for i, n in enumerate(custs.names):
            key = "".join(w[0] for w in n.split() if w not in _FUNCTION_WORDS)
            custs.initials.setdefault(key, []).append(i)
    shortlist = custs.initials.get("".join(w[0] for w in words), [])
    if len(shortlist) > MAX_ABBREVIATION_SHORTLIST:
        lists = [custs.token_postings[w] for w in words if w in custs.token_postings]
        shortlist = min(lists, key=len) if lists else []
    if not shortlist or len(shortlist) > MAX_ABBREVIATION_SHORTLIST:
        return None
    found: set[str] = set()
    for i in shortlist:
        full = [w for w in custs.names[i].split() if w not in _FUNCTION_WORDS]
        if len(full) == len(words) and all(
            abbreviates(a, b) for a, b in zip(words, full, strict=True)
        ):
            found |= custs.by_name[custs.names[i]]
            if len(found) > 1:
                return None
    if len(found) != 1:
        return None
    cid = found.pop()
    return (
        cid,
        f"{{name}} is {_braced(custs.display.get(cid, cid))} with words abbreviated",
        NAME_ABBREVIATED,
    )


def _braced(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _fuzzy(name: str, custs: Customers, policy: MatchPolicy) -> tuple[str, str, float]:
    shortlist = custs.candidates(name)
    if not shortlist:
        return "", "", 0.0
    best = process.extract(
        name,
        [custs.names[i] for i in shortlist],
        scorer=fuzz.token_sort_ratio,
        limit=2,
        score_cutoff=max(policy.fuzzy_min_score - policy.fuzzy_margin, 0),
    )
    if not best or best[0][1] < policy.fuzzy_min_score:
        return "", "", 0.0
    top = custs.ids[shortlist[best[0][2]]]
    runner = best[1][1] if len(best) > 1 else 0.0
    same = len(best) > 1 and custs.ids[shortlist[best[1][2]]] == top
    if best[0][1] - runner < policy.fuzzy_margin and not same:
        return "", "", 0.0
    score = best[0][1]
    shown = _braced(custs.display.get(top, top))
    return top, f"{{name}} ~ {shown} ({score:.0f}%)", 0.80 + 0.1 * (score - 90) / 10


def _upper_words(text: str) -> str:
    """Upper case, no accents, letters and digits only, single spaces."""
    return " ".join(re.sub(r"[^A-Z0-9 ]", " ", strip_accents(text.upper())).split())


def named_in_remittance(text: str, custs: Customers, policy: MatchPolicy) -> tuple[str, str, float]:
    """A customer whose name (or its start, when the bank cut it) is written in the
    remittance: a third party paying on the customer's behalf says whom it pays for."""
    upper = _upper_words(text)
    for m in _WORDS.finditer(upper):
        words = m.group(0).split()
        for i in range(len(words) - 1):
            for j in range(len(words), i + 1, -1):
                phrase = " ".join(words[i:j])
                key = name_key(phrase)
                if len(key) < MIN_PREFIX or " " not in key:
                    continue
                exact = custs.by_name.get(key)
                found = exact if exact else custs.by_prefix(key)
                if len(found) == 1:
                    cid = next(iter(found))
                    return (
                        cid,
                        f'remittance names the customer ("{phrase}": '
                        f"{custs.display.get(cid, cid)})",
                        NAME_IN_REMITTANCE,
                    )
    return "", "", 0.0


def named_at_cut(text: str, custs: Customers) -> tuple[set[str], str]:
    """(the customers, the phrase) when a cut remittance ends in a name that fits
    several customers: ``PAGO POR CUENTA DE PLASTICOS ORIZABA DE`` may be Plásticos
    Orizaba or Plásticos Orizaba del Golfo. Empty when the text is not cut there, or
    the name fits one customer, none or too many."""
    if not looks_cut(text, at_space=True):
        return set(), ""
    upper = _upper_words(text)
    last = None
    for m in _WORDS.finditer(upper):
        last = m
    if last is None or last.end() != len(upper):
        return set(), ""
    words = last.group(0).split()
    for i in range(len(words) - 1):
        bare = " ".join(words[i:])
        key = name_key(bare)
        if len(key) < MIN_PREFIX or " " not in key:
            continue
        # the name as written, or any name that goes on where the bank cut it
        found = set(custs.by_name.get(key, ())) | custs.by_prefix(bare, limit=MAX_SHARED + 1)
        if found:
            return (found if 1 < len(found) <= MAX_SHARED else set()), bare
    return set(), ""
