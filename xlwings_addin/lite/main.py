"""Cuadre's worksheet functions for xlwings Lite: ``=CUADRE.DAYS_PAST_DUE(...)`` and so on.

xlwings Lite runs this file in Excel (Pyodide, in the browser engine of Office add-ins).
Every function registers under the ``CUADRE`` namespace (``__xlwings_func_namespace__``),
so Excel shows ``CUADRE.AGING``, ``CUADRE.NIT_DV``..., the same functions as the classic
add-in's ``CUADRE_*`` with the same arguments, on the same logic
(:mod:`cuadre.xl.functions`). Ranges arrive as lists of rows (``ndim=2``) and the
results spill.

rapidfuzz is compiled and may be missing in Pyodide: then name similarity falls back to
the standard library (``difflib``) and REFERENCES and SUGGEST say they need it. See
README.md beside this file for requirements.txt.
"""

from typing import Any

from xlwings import arg, func

from cuadre.xl import functions as F

__xlwings_func_namespace__ = "cuadre"

RANGE = {"ndim": 2}


@func
@arg("due_dates", **RANGE, doc="Due dates: one cell or a range.")
@arg("as_of", doc="The as-of date.")
def days_past_due(due_dates: Any, as_of: Any) -> Any:
    """Days past due (as-of date minus due date) of each due date."""
    return F.days_past_due(due_dates, as_of)


@func
@arg("due_dates", **RANGE, doc="Due dates: one cell or a range.")
def aging_bucket(due_dates: Any, as_of: Any, buckets: Any = None) -> Any:
    """The aging bucket (current, 1-30...) of each due date."""
    return F.aging_bucket(due_dates, as_of, buckets)


@func
@arg("open_items", **RANGE, doc="Open-items range with its header row.")
def aging(open_items: Any, as_of: Any, buckets: Any = None) -> Any:
    """The aging table of an open-items range."""
    return F.aging_table(open_items, as_of, buckets)


@func
@arg("receivables", **RANGE)
@arg("sales", **RANGE)
def dso(receivables: Any, sales: Any, days: Any = 90) -> Any:
    """Days sales outstanding, simple method."""
    return F.dso(receivables, sales, days)


@func
@arg("remittances", **RANGE)
@arg("document_ids", **RANGE)
def references(remittances: Any, document_ids: Any = None) -> Any:
    """Invoice references found in each remittance text."""
    return F.references(remittances, document_ids)


@func
@arg("names", **RANGE)
@arg("others", **RANGE)
def similarity(names: Any, others: Any) -> Any:
    """Similarity 0-100 of company names."""
    return F.similarity(names, others)


@func
@arg("names", **RANGE)
@arg("candidates", **RANGE)
def best_match(names: Any, candidates: Any, min_score: Any = 80) -> Any:
    """The closest name in a list and its similarity."""
    return F.best_match(names, candidates, min_score)


@func
@arg("rfcs", **RANGE)
def rfc_valid(rfcs: Any, check_digit: Any = False) -> Any:
    """TRUE for each well-formed Mexican RFC."""
    return F.rfc_valid(rfcs, check_digit)


@func
@arg("nits", **RANGE)
def nit_dv(nits: Any) -> Any:
    """The DIAN check digit of each NIT."""
    return F.nit_dv(nits)


@func
@arg("clabes", **RANGE)
def clabe_valid(clabes: Any) -> Any:
    """TRUE for each valid CLABE."""
    return F.clabe_valid(clabes)


@func
@arg("ibans", **RANGE)
def iban_valid(ibans: Any) -> Any:
    """TRUE for each valid IBAN."""
    return F.iban_valid(ibans)


@func
@arg("amounts", **RANGE)
@arg("rates", **RANGE)
def fx(amounts: Any, from_currency: Any, to_currency: Any, rates: Any, on_date: Any = None) -> Any:
    """Amounts converted with a rates range."""
    return F.fx(amounts, from_currency, to_currency, rates, on_date)


@func
@arg("open_items", **RANGE)
def suggest(
    amount: Any,
    payment_currency: Any,
    remittance: Any,
    payer_name: Any,
    open_items: Any,
    value_date: Any = None,
) -> Any:
    """How Cuadre would apply one payment to the open items."""
    return F.suggest(amount, payment_currency, remittance, payer_name, open_items, value_date)


FUNCTIONS = {
    "DAYS_PAST_DUE": days_past_due,
    "AGING_BUCKET": aging_bucket,
    "AGING": aging,
    "DSO": dso,
    "REFERENCES": references,
    "SIMILARITY": similarity,
    "BEST_MATCH": best_match,
    "RFC_VALID": rfc_valid,
    "NIT_DV": nit_dv,
    "CLABE_VALID": clabe_valid,
    "IBAN_VALID": iban_valid,
    "FX": fx,
    "SUGGEST": suggest,
}
"""Excel name (after ``CUADRE.``) -> function; the same set as the classic CUADRE_*."""
