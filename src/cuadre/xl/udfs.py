"""Worksheet functions ``CUADRE_<NAME>`` for the classic xlwings add-in (Windows Excel).

Each function is a thin wrapper over :mod:`cuadre.xl.functions`, decorated with xlwings'
own ``@xw.func``/``@xw.arg``/``@xw.ret`` so that xlwings converts the arguments (ranges
arrive as 2-D lists with ``ndim=2``, dates as datetimes, empty and error cells as
``None``) and the 2-D result spills as a dynamic array (Excel 365; no ``expand``, which
xlwings documents as the legacy mechanism for older Excel). Descriptions come from the
docstrings and every argument has help text (``doc=``), shown in the Function Wizard.

The same metadata is kept in :data:`UDFS`, Cuadre's registry: the add-in build writes
the VBA wrapper module from it (``XLPy.CallUDF("cuadre.xl.udfs", ...)``, as xlwings'
*Import Functions* would, but at build time, so that the add-in needs no "Trust access
to the VBA project object model"), and :func:`evaluate` runs a function exactly through
xlwings' conversion pipelines (``xlwings.conversion.read``/``write`` with the
function's options), the path ``xlwings.udfs.call_udf`` takes in Excel, on the headless
engine. On Linux and macOS ``xw.func`` is a no-op: the registry is what tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import xlwings as xw
from xlwings import conversion

from cuadre.xl import functions as F
from cuadre.xl.engine import ENGINE_NAME, register

__all__ = ["UDFS", "Arg", "Udf", "evaluate"]

CATEGORY = "Cuadre"
MODULE = "cuadre.xl.udfs"
RANGE = {"ndim": 2}
"""Options of a range argument: always a list of rows, whatever the range's shape."""


@dataclass(frozen=True)
class Arg:
    name: str
    doc: str
    options: dict[str, Any] = field(default_factory=dict)
    optional: bool = False


@dataclass(frozen=True)
class Udf:
    name: str
    function: Callable[..., Any]
    description: str
    args: tuple[Arg, ...]
    ret: dict[str, Any]


UDFS: dict[str, Udf] = {}
"""Every worksheet function by its Excel name, in the order they are defined."""


def cuadre_udf(
    *args: Arg, ret: dict[str, Any] | None = None
) -> Callable[[Callable[..., Any]], Any]:
    """Register a worksheet function with xlwings (``xw.func``/``arg``/``ret``) and in
    :data:`UDFS`; the options given to xlwings and to the registry are the same objects."""

    def deco(f: Callable[..., Any]) -> Any:
        for a in args:
            f = xw.arg(a.name, doc=a.doc, **a.options)(f)
        f = xw.ret(**(ret or {}))(f)
        f = xw.func(category=CATEGORY)(f)
        doc = " ".join((f.__doc__ or "").split())
        UDFS[f.__name__] = Udf(f.__name__, f, doc, args, dict(ret or {}))
        return f

    return deco


AS_OF = Arg("as_of", "The as-of date (close date): a date, a serial number or YYYY-MM-DD text.")
BUCKETS = Arg(
    "buckets", "Optional. Bucket limits in days, such as 30,60,90,120 (the default).", optional=True
)
OPEN_ITEMS = Arg(
    "open_items",
    "An open-items range with its header row (customer_id, document_id, "
    "document_type, document_date, due_date, currency, amount_open...).",
    RANGE,
)


@cuadre_udf(
    Arg("due_dates", "Due dates: one cell or a range (dates, serial numbers or text).", RANGE),
    AS_OF,
)
def CUADRE_DAYS_PAST_DUE(due_dates: Any, as_of: Any) -> list[list[Any]]:
    """Days past due (as-of date minus due date) of each due date; negative when not yet due."""
    return F.days_past_due(due_dates, as_of)


@cuadre_udf(Arg("due_dates", "Due dates: one cell or a range.", RANGE), AS_OF, BUCKETS)
def CUADRE_AGING_BUCKET(due_dates: Any, as_of: Any, buckets: Any = None) -> list[list[Any]]:
    """The aging bucket (current, 1-30, 31-60...) of each due date at the as-of date."""
    return F.aging_bucket(due_dates, as_of, buckets)


@cuadre_udf(OPEN_ITEMS, AS_OF, BUCKETS)
def CUADRE_AGING(open_items: Any, as_of: Any, buckets: Any = None) -> list[list[Any]]:
    """The aging table (one row per customer and currency, by bucket) of an open-items range."""
    return F.aging_table(open_items, as_of, buckets)


@cuadre_udf(
    Arg("receivables", "Receivables at period end: a cell or a range (summed).", RANGE),
    Arg("sales", "Credit sales of the period: a cell or a range (summed).", RANGE),
    Arg("days", "Optional. Days in the period (default 90).", optional=True),
)
def CUADRE_DSO(receivables: Any, sales: Any, days: Any = 90) -> Any:
    """Days sales outstanding, simple method: receivables / sales x days in the period."""
    return F.dso(receivables, sales, days)


@cuadre_udf(
    Arg("remittances", "Remittance texts: one cell or a range.", RANGE),
    Arg(
        "document_ids",
        "Optional. Your document numbers: only those named are returned.",
        RANGE,
        optional=True,
    ),
)
def CUADRE_REFERENCES(remittances: Any, document_ids: Any = None) -> list[list[Any]]:
    """Invoice references found in each remittance text (FA-104233, fact 0104233...)."""
    return F.references(remittances, document_ids)


@cuadre_udf(
    Arg("names", "Company names: one cell or a range.", RANGE),
    Arg("others", "Names to compare with: same shape, or one cell.", RANGE),
)
def CUADRE_SIMILARITY(names: Any, others: Any) -> list[list[Any]]:
    """Similarity 0-100 of company names, ignoring accents, punctuation and legal forms."""
    return F.similarity(names, others)


@cuadre_udf(
    Arg("names", "Names to look up: one cell or a range.", RANGE),
    Arg("candidates", "The list to search (customer names).", RANGE),
    Arg("min_score", "Optional. Lowest similarity accepted, 0-100 (default 80).", optional=True),
)
def CUADRE_BEST_MATCH(names: Any, candidates: Any, min_score: Any = 80) -> list[list[Any]]:
    """The closest name in a list and its similarity (two columns), for each name."""
    return F.best_match(names, candidates, min_score)


@cuadre_udf(
    Arg("rfcs", "RFCs: one cell or a range.", RANGE),
    Arg("check_digit", "Optional. TRUE to check the last character too.", optional=True),
)
def CUADRE_RFC_VALID(rfcs: Any, check_digit: Any = False) -> list[list[Any]]:
    """TRUE for each well-formed Mexican RFC (person or company)."""
    return F.rfc_valid(rfcs, check_digit)


@cuadre_udf(Arg("nits", "Colombian NITs without their check digit: one cell or a range.", RANGE))
def CUADRE_NIT_DV(nits: Any) -> list[list[Any]]:
    """The DIAN check digit (DV) of each Colombian NIT."""
    return F.nit_dv(nits)


@cuadre_udf(Arg("clabes", "CLABE account numbers (18 digits): one cell or a range.", RANGE))
def CUADRE_CLABE_VALID(clabes: Any) -> list[list[Any]]:
    """TRUE for each Mexican CLABE with 18 digits and the right check digit."""
    return F.clabe_valid(clabes)


@cuadre_udf(Arg("ibans", "IBANs: one cell or a range.", RANGE))
def CUADRE_IBAN_VALID(ibans: Any) -> list[list[Any]]:
    """TRUE for each IBAN valid for its country (length, format and check digits)."""
    return F.iban_valid(ibans)


@cuadre_udf(
    Arg("amounts", "Amounts to convert: one cell or a range.", RANGE),
    Arg("from_currency", "ISO code of the amounts' currency, such as USD."),
    Arg("to_currency", "ISO code to convert to, such as MXN."),
    Arg(
        "rates",
        "Rates range with header: currency, rate (per unit, in your base currency), optional date.",
        RANGE,
    ),
    Arg("on_date", "Optional. Use the latest rate on or before this date.", optional=True),
)
def CUADRE_FX(
    amounts: Any, from_currency: Any, to_currency: Any, rates: Any, on_date: Any = None
) -> list[list[Any]]:
    """Amounts converted between currencies with a rates range, rounded to the target's decimals."""
    return F.fx(amounts, from_currency, to_currency, rates, on_date)


@cuadre_udf(
    Arg("amount", "The payment's amount."),
    Arg("payment_currency", "The payment's currency, such as MXN."),
    Arg("remittance", "The text the payer sent (may name invoices)."),
    Arg("payer_name", "The payer's name as the bank shows it."),
    OPEN_ITEMS,
    Arg("value_date", "Optional. The date the money arrived (default today).", optional=True),
)
def CUADRE_SUGGEST(
    amount: Any,
    payment_currency: Any,
    remittance: Any,
    payer_name: Any,
    open_items: Any,
    value_date: Any = None,
) -> list[list[Any]]:
    """How Cuadre would apply one payment to the open items: documents, amounts, confidence, why."""
    return F.suggest(amount, payment_currency, remittance, payer_name, open_items, value_date)


def evaluate(name: str, *args: Any) -> Any:
    """Call worksheet function ``name`` as Excel does through xlwings, without Excel.

    ``args`` are what a formula passes: an ``xw.Range`` (read through xlwings' range
    pipeline with the argument's options) or a literal (through the value pipeline).
    Missing optional arguments take their Python defaults. Returns the converted
    result, the list of rows Excel receives (``xlwings.udfs.call_udf`` does the same).
    """
    register()
    udf = UDFS[name]
    values = []
    for spec, arg in zip(udf.args, args, strict=False):
        options = dict(spec.options)
        if isinstance(arg, xw.Range):
            values.append(conversion.read(arg, None, options))
        else:
            values.append(conversion.read(None, arg, options, engine_name=ENGINE_NAME))
    result = udf.function(*values)
    return conversion.write(result, None, dict(udf.ret), engine_name=ENGINE_NAME)
