"""A deterministic sample company: receivables, bank receipts and the right answer.

What
    :func:`generate_company` builds one month-end close of a group with three companies,
    ``MX01`` (MXN, the majority of customers), ``US01`` (USD) and ``CO01`` (COP): the
    customer master, the receivables open items exported from the ERP at period end
    *before* the period's bank receipts are applied, the month's bank statement lines
    (one account per currency), the statements, a trial balance whose receivables
    control accounts agree with the open items, and the *truth*: how every receipt
    should be applied.

Why
    The demo shows an accountant data that looks like theirs, and the cash-application
    benchmark measures the matcher on it. So the receipts are messy the way real payers
    are: references written a dozen ways, one payment for many invoices, no remittance
    at all, purchase-order numbers instead of invoice numbers, typos, short and over
    payments, third parties paying, duplicates and money nobody can place. Everything
    is drawn from ``numpy.random.default_rng(seed)`` (text choices from a
    ``random.Random`` seeded from it): the same seed gives the same company, byte for
    byte; no wall clock, no hash order. Work is vectorised; only identifiers, the
    remittance and payer-name texts are built per row. About 1 s for 100,000 invoices
    and 11 s for 1,000,000 (20,000 customers, 200,000 receipts), under 1 GB.

Customers (``customers``)
    60 % MXN (Mexican companies, "S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de
    C.V.", 12-character RFC with a valid check character), 20 % USD (US companies, "Inc.",
    "LLC", "Corp.", "Co.", EIN ``12-3456789``), 20 % COP (Colombian "S.A.S.", "Ltda.",
    "S.A.", NIT ``900123456-8`` with the DIAN check digit). Known payer accounts: none
    (15 %), one (65 %) or two (20 %): valid CLABEs in Mexico, account numbers elsewhere.
    About 30 % have trade-name aliases ("GRUPO ALFA"). Terms 0/15/30/45/60/90 days.
    Names come from ``names.csv`` beside this module (reference data, not code).

Open items (``open_items``)
    ``n_invoices`` invoices (default 10 per customer), issued mostly in the last three
    months and some up to a year back; numbered chronologically per series with gaps
    (the paid ones are gone): ``FA-104233`` and ``F-2291`` (Mexico, two series),
    ``INV-10023`` (US), ``FV 000123`` (Colombia). Due date = document date + the
    customer's terms (missing on about 0.15 % of invoices). 45 % of the customers quote
    their purchase order (``PO 4500123456``, ``OC-7781``, ``PO-88123``), sometimes the
    same PO on several invoices. About 5 % were partly paid before
    (``amount_original`` > ``amount_open``). CFDI UUIDs on Mexican documents, CUFE/CUDE
    (96 hex characters) on Colombian ones. On top of the invoices, about 1.5 % credit
    notes (``NC-5012``, ``CM-3007``, ``NC 000012``; reference = the related invoice),
    0.7 % debit notes, 0.8 % old unapplied payments and 0.2 % advances, plus the credit
    notes that the ``credit_note`` receipts net off.

Receipts (``bank_lines`` with amount > 0)
    Each customer pays this month every undisputed invoice due up to its own cut-off
    (late payers weeks after the due date, early payers before it, some customers not at
    all), oldest first; payers who batch pay several invoices in one transfer. Each
    payment gets one scenario, with exact counts from the shares in ``SINGLE_SHARES``,
    ``MULTI_SHARES`` and ``EXTRA_SHARES`` (so every scenario appears from a few hundred
    customers on). Shares of all receipts, mean of seeds 1-10 at the default size (300
    customers: 570-740 receipts); the same within half a point at a million invoices:

    ==================== ======= ==================================================
    scenario             share   what the line looks like
    ==================== ======= ==================================================
    exact_ref            25 %    one invoice, full amount, reference written one of
                                 many ways ("FA-104233", "FA104233", "FACT 104233",
                                 "PAGO FAC 0104233", "fa 104233", "Factura No.
                                 104233", "SPEI PAGO FACTURAS FA104233 REF 1234567",
                                 "/RFB/INV-10023", "RMR*IV*INV10023*1500.00\\", ...)
    no_remittance        24 %    one invoice, full amount, no text (or only bank
                                 boilerplate: "DEP CHQ 004512", "PAGO")
    multi_invoice         9 %    several invoices, full amounts, listed ("FA-104233/
                                 104240/104251", ranges "F-2291 A 2295", ACH addenda),
                                 long lists cut at SPEI's 40 characters
    no_remittance_multi   9 %    several invoices, the sum, no text
    po_reference          6 %    the customer's PO instead of the invoice number
    bank_fee              4 %    short by a fixed fee: 15.00 MXN, 25.00 USD,
                                 8,500.00 COP
    partial               4 %    less than the invoice (a round amount); the rest
                                 stays open
    third_party           3 %    a factoring company or an unknown parent company
                                 pays, naming the invoice
    typo_reference        3 %    one digit wrong, two swapped or one missing (never
                                 the number of another open invoice of the series)
    early_discount        2.5 %  short by 2 % of the invoices, paid before due
    unidentified          2.5 %  unknown payer, no useful text, amount equal to no
                                 open item
    withholding           2 %    Colombia: short by retención en la fuente (2.5 % of
                                 the base) and reteIVA (15 % of the VAT)
    deduction             2 %    short by a deduction (freight, shortage, returns)
    credit_note           2 %    invoices minus an open credit note of the customer
    overpayment           1.5 %  more than the invoices (rounded up, or a few %)
    advance               1 %    a known customer pays ahead ("ANTICIPO PEDIDO 812")
    duplicate             1 %    the same transfer a second time (0-3 days later)
    ==================== ======= ==================================================

    About 31 % of the receipts have an empty remittance. The payer name is written as
    banks report it (upper case, no accents, legal form abbreviated or dropped, at most
    35 characters), or an alias, or nothing; the payer account is one the customer master
    knows (about 70 %), an unknown one or empty. Every receipt from which a customer can
    be told only by name or account (no remittance) keeps at least one of the two.

Other bank lines (amount < 0)
    Payroll (two per month), tax payment, supplier payments, a transfer out and bank
    fees ("COMISION MANEJO DE CUENTA", Colombia's GMF 4x1000). Type codes: ``SPEI``,
    ``TRF``, ``CHQ``, ``FEE``. Line ids are ``<BANK>-<CCY>-<YYYY>-<MM>-<seq>``
    (``BBVA-MXN-2026-10-0001``; more digits when a statement has more than 9,999 lines),
    numbered in booking order; statement ids are the same without the sequence. Opening balance + the sum of the lines = closing balance.

Trial balance (``trial_balance``)
    Per currency: the receivables control account (``is_ar_control = "yes"``) with the
    balance of the open items to the cent (the receipts are not yet booked), the bank
    account with the statement's closing balance, revenue and (MXN, COP) VAT. Debit
    positive, credit negative.

Truth convention (``truth``)
    Schema :data:`TRUTH`. One or more rows per receipt line (amount > 0), none for
    debits; sorted by ``line_id``, then documents (oldest due first), netted credit
    notes, the difference row. For every ``line_id`` the ``amount_applied`` of its rows
    sum to the line's amount exactly, in the line's currency (minor units).

    - A row with a ``document_id`` applies that amount to that open item: the full open
      amount, except ``partial`` (the amount paid). Credit notes netted in the payment
      appear as rows with their negative amount.
    - A row with ``document_id == ""`` and a ``customer_id`` is either the *difference* of
      a short or over payment (negative for ``bank_fee``, ``early_discount``,
      ``deduction``, ``withholding``: the invoices are settled in full and the shortfall
      is written off or charged; positive for ``overpayment``: the excess stays on the
      customer's account), or, when it is the line's only row, the whole amount on
      account (``advance``, ``duplicate``). It corresponds to the allocations table's
      ``difference`` (with ``difference_reason`` = the scenario) or to an ``on_account``
      allocation.
    - A row with both empty (``unidentified``) is money that cannot be placed.
    - ``scenario`` is the line's scenario, the same on all of its rows.

Reference: docs/contract.md (the tables); shared DOMAIN.md (NIT and CLABE check digits).
"""

from __future__ import annotations

import csv
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from cuadre.model.convert import payments_from_bank_lines
from cuadre.model.tables import (
    BANK_LINES,
    CUSTOMERS,
    OPEN_ITEMS,
    STATEMENTS,
    TRIAL_BALANCE,
    Column,
    Kind,
    TableSchema,
)
from cuadre.money import exponent

__all__ = [
    "SCENARIOS",
    "TRUTH",
    "TRUTH_COLUMNS",
    "DemoCompany",
    "generate_company",
    "payments_from_bank_lines",
]

TRUTH = TableSchema(
    name="truth",
    sheet="Truth",
    description="How each receipt of the demo company should be applied (the benchmark key).",
    sort_by=("line_id",),
    columns=(
        Column("line_id", Kind.TEXT, True, "the bank line (payment_id)"),
        Column(
            "document_id", Kind.TEXT, False, "open item settled; empty: difference or on account"
        ),
        Column("customer_id", Kind.TEXT, False, "empty when the money cannot be placed"),
        Column("amount_applied", Kind.MONEY, True, "in the line's currency, signed"),
        Column("currency", Kind.CURRENCY, True),
        Column("scenario", Kind.TEXT, True, "what kind of receipt this is"),
    ),
)
"""The truth table's schema (not part of the contract; used by the benchmark)."""

TRUTH_COLUMNS = tuple(TRUTH.names)
SOURCE_FILE = "demo"

Array = np.ndarray[Any, Any]
Roll = Literal["forward", "backward"]

# --------------------------------------------------------------------------- scenarios

# Shares within the payments of one invoice, and of several; the last of each is the
# catch-all that absorbs what the constrained ones cannot place.
SINGLE_SHARES: dict[str, float] = {
    "po_reference": 0.08,
    "early_discount": 0.025,
    "withholding": 0.015,
    "typo_reference": 0.035,
    "partial": 0.05,
    "bank_fee": 0.04,
    "deduction": 0.02,
    "overpayment": 0.015,
    "credit_note": 0.02,
    "third_party": 0.03,
    "no_remittance": 0.33,
    "exact_ref": 0.34,
}
MULTI_SHARES: dict[str, float] = {
    "early_discount": 0.03,
    "withholding": 0.04,
    "no_remittance_multi": 0.40,
    "bank_fee": 0.04,
    "deduction": 0.02,
    "overpayment": 0.02,
    "credit_note": 0.02,
    "third_party": 0.02,
    "multi_invoice": 0.41,
}
# Lines with no invoice, per payment of the period.
EXTRA_SHARES: dict[str, float] = {"advance": 0.012, "unidentified": 0.025, "duplicate": 0.01}

SCENARIOS: tuple[str, ...] = tuple(dict.fromkeys([*SINGLE_SHARES, *MULTI_SHARES, *EXTRA_SHARES]))
"""Every scenario the truth can name."""

_WITH_REFS = {"exact_ref", "multi_invoice"}
_NO_TEXT = {"no_remittance", "no_remittance_multi"}

# --------------------------------------------------------------------------- countries


@dataclass(frozen=True)
class _Series:
    prefix: str
    padded: bool  # "FV 000123" style (space, six digits) instead of "FA-104233"
    start: int

    def format(self, nums: Sequence[int]) -> list[str]:
        p = self.prefix
        if self.padded:
            return [f"{p} {n:06d}" for n in nums]
        return [f"{p}-{n}" for n in nums]


@dataclass(frozen=True)
class _Country:
    code: str
    currency: str
    company: str
    share: float
    bank: str
    account: str
    median: float  # median net invoice, major units
    vat: int  # percent
    whole: bool  # amounts in whole major units (COP)
    fee: float  # bank fee deducted from some receipts, major units
    round_to: int  # a "round" amount, major units
    terms_p: tuple[float, ...]  # over TERMS
    series: tuple[_Series, ...]
    series_p: tuple[float, ...]
    credit: _Series
    debit: _Series
    payment: _Series
    advance: _Series
    po_p: tuple[float, ...]  # none, SAP "PO 45...", "OC-7781", "PO-88123"
    ar: tuple[str, str]
    cash: tuple[str, str]
    revenue: tuple[str, str]
    tax: tuple[str, str] | None


def _clabe_digit(first17: Array) -> Array:
    """CLABE check digit: weights 3, 7, 1 repeating, products mod 10, (10 - sum) mod 10."""
    pos = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = (first17[:, None] // pos) % 10
    weights = np.resize(np.array([3, 7, 1], dtype=np.int64), 17)
    total = ((digits * weights) % 10).sum(axis=1)
    return (10 - total % 10) % 10


def _clabe_of(first17: int) -> str:
    return f"{first17 * 10 + int(_clabe_digit(np.array([first17]))[0]):018d}"


TERMS = np.array([0, 15, 30, 45, 60, 90])

COUNTRIES: tuple[_Country, ...] = (
    _Country(
        code="MX",
        currency="MXN",
        company="MX01",
        share=0.6,
        bank="BBVA",
        account=_clabe_of(1_218_000_118_359_719),
        median=18_000.0,
        vat=16,
        whole=False,
        fee=15.0,
        round_to=1_000,
        terms_p=(0.05, 0.10, 0.40, 0.15, 0.20, 0.10),
        series=(_Series("FA", False, 100_001), _Series("F", False, 2_001)),
        series_p=(0.7, 0.3),
        credit=_Series("NC", False, 5_001),
        debit=_Series("ND", False, 801),
        payment=_Series("REC", False, 20_001),
        advance=_Series("ANT", False, 301),
        po_p=(0.55, 0.20, 0.25, 0.0),
        ar=("1105-01", "Clientes nacionales"),
        cash=("1102-01", "Bancos BBVA"),
        revenue=("4100-01", "Ventas nacionales"),
        tax=("2108-01", "IVA trasladado no cobrado"),
    ),
    _Country(
        code="US",
        currency="USD",
        company="US01",
        share=0.2,
        bank="CHASE",
        account="000483920156",
        median=3_500.0,
        vat=0,
        whole=False,
        fee=25.0,
        round_to=100,
        terms_p=(0.03, 0.07, 0.55, 0.15, 0.15, 0.05),
        series=(_Series("INV", False, 10_001),),
        series_p=(1.0,),
        credit=_Series("CM", False, 3_001),
        debit=_Series("DM", False, 501),
        payment=_Series("PMT", False, 7_001),
        advance=_Series("ADV", False, 101),
        po_p=(0.45, 0.0, 0.0, 0.55),
        ar=("1105-02", "Clientes extranjeros"),
        cash=("1102-02", "Bancos Chase USD"),
        revenue=("4100-02", "Ventas de exportación"),
        tax=None,
    ),
    _Country(
        code="CO",
        currency="COP",
        company="CO01",
        share=0.2,
        bank="BANCOLOMBIA",
        account="03066812345",
        median=6_500_000.0,
        vat=19,
        whole=True,
        fee=8_500.0,
        round_to=100_000,
        terms_p=(0.05, 0.05, 0.35, 0.10, 0.30, 0.15),
        series=(_Series("FV", True, 1),),
        series_p=(1.0,),
        credit=_Series("NC", True, 1),
        debit=_Series("ND", True, 1),
        payment=_Series("RC", True, 1),
        advance=_Series("ANT", True, 1),
        po_p=(0.60, 0.15, 0.25, 0.0),
        ar=("1305-05", "Clientes"),
        cash=("1110-05", "Bancos Bancolombia"),
        revenue=("4135-05", "Comercio al por mayor y al por menor"),
        tax=("2408-01", "IVA por pagar"),
    ),
)

MX, US, CO = 0, 1, 2

# Invoice series, flattened: index -> (country, series).
_INVOICE_SERIES: tuple[tuple[int, _Series], ...] = tuple(
    (k, s) for k, c in enumerate(COUNTRIES) for s in c.series
)

_MX_BANKS = np.array([2, 12, 14, 21, 30, 36, 44, 58, 72, 127, 137])
_MX_PLAZAS = np.array([10, 28, 180, 320, 580, 650, 680, 905])
_EIN_PREFIXES = np.array(
    [
        *range(10, 17),
        *range(20, 28),
        *range(30, 40),
        *range(41, 49),
        *range(50, 69),
        *range(71, 78),
        *range(80, 89),
        *range(90, 96),
        98,
        99,
    ]
)
_NIT_PREFIXES = np.array([800, 811, 830, 860, 890, 900, 901])
_MONTHS_ES = ("ENE", "FEB", "MAR", "ABR", "MAY", "JUN", "JUL", "AGO", "SEP", "OCT", "NOV", "DIC")

# Bank-style spellings of each legal form: full, short, dropped.
_SUFFIX_FORMS: dict[str, tuple[str, ...]] = {
    "S.A. de C.V.": ("SA DE CV", "S A DE C V", "SA CV", "SA DE CV", ""),
    "S. de R.L. de C.V.": ("S DE RL DE CV", "S DE R L DE C V", "SRL DE CV", ""),
    "S.A.P.I. de C.V.": ("SAPI DE CV", "SAPI", "S A P I DE C V", ""),
    "Inc.": ("INC", "INC", "INC.", ""),
    "LLC": ("LLC", "LLC", "L L C", ""),
    "Corp.": ("CORP", "CORPORATION", ""),
    "Co.": ("CO", "COMPANY", ""),
    "S.A.S.": ("SAS", "S A S", "SAS", ""),
    "Ltda.": ("LTDA", "LIMITADA", ""),
    "S.A.": ("SA", "S A", ""),
}

# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class DemoCompany:
    """One generated month-end close; see the module docstring for what is in it."""

    customers: pd.DataFrame
    open_items: pd.DataFrame
    bank_lines: pd.DataFrame
    statements: pd.DataFrame
    trial_balance: pd.DataFrame
    truth: pd.DataFrame
    period_end: date


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def _names() -> dict[tuple[str, str], tuple[tuple[str, ...], Array]]:
    """(country, kind) -> (values, probabilities) from ``names.csv``."""
    text = resources.files("cuadre.demo").joinpath("names.csv").read_text("utf-8")
    grouped: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in csv.DictReader(text.splitlines()):
        grouped.setdefault((row["country"], row["kind"]), []).append(
            (row["value"], float(row["weight"] or 1))
        )
    out = {}
    for key, items in grouped.items():
        w = np.array([x[1] for x in items])
        out[key] = (tuple(x[0] for x in items), w / w.sum())
    return out


def _ascii_upper(text: str) -> str:
    """'Distribuidora Ñandú, S.A.' -> 'DISTRIBUIDORA NANDU SA': how banks write names."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = plain.upper().replace(".", "").replace(",", "").replace("'", "")
    return " ".join(plain.split())


def _digits(rng: np.random.Generator, n: int, k: int) -> list[str]:
    """n random strings of k digits (k <= 18)."""
    return [f"{v:0{k}d}" for v in rng.integers(0, 10**k, size=n, dtype=np.int64).tolist()]


def _clabes(rng: np.random.Generator, n: int) -> list[str]:
    bank = rng.choice(_MX_BANKS, n).astype(np.int64)
    plaza = rng.choice(_MX_PLAZAS, n).astype(np.int64)
    first = bank * 10**14 + plaza * 10**11 + rng.integers(0, 10**11, n, dtype=np.int64)
    full = first * 10 + _clabe_digit(first)
    return [f"{v:018d}" for v in full.tolist()]


def _accounts(rng: np.random.Generator, country: int, n: int) -> list[str]:
    """Payer account numbers as that country's banks report them."""
    if country == MX:
        return _clabes(rng, n)
    lengths = rng.choice([9, 10, 11, 12], n) if country == US else rng.choice([11, 11, 12], n)
    values = rng.integers(10**8, 10**12, n, dtype=np.int64).tolist()
    return [f"{v:012d}"[-k:] for v, k in zip(values, lengths.tolist(), strict=True)]


def _nit_digit(base: Array) -> Array:
    """DIAN check digit: weights 3, 7, 13, ... from the rightmost digit; r = sum mod 11."""
    weights = np.array([3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71], dtype=np.int64)
    digits = (base[:, None] // (10 ** np.arange(15, dtype=np.int64))) % 10
    r = (digits * weights).sum(axis=1) % 11
    return np.where(r < 2, r, 11 - r)


_RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
_RFC_STOP = {"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E", "CIA"}


def _rfc(base_upper: str, yymmdd: str, h1: str, h2: str) -> str:
    """Company RFC: three letters from the name, incorporation date, homoclave + check."""
    words = [w for w in base_upper.split() if w not in _RFC_STOP and w.isalpha()] or ["XXX"]
    if len(words) >= 3:
        letters = words[0][0] + words[1][0] + words[2][0]
    elif len(words) == 2:
        letters = words[0][0] + words[1][:2]
    else:
        letters = words[0][:3]
    letters = (letters + "XXX")[:3]
    body = letters + yymmdd + h1 + h2
    padded = (" " + body)[-12:]
    check = sum(_RFC_ALPHABET.index(ch) * (13 - i) for i, ch in enumerate(padded))
    return body + _RFC_ALPHABET[(11 - check) % 11]


def _uuid4s(rng: np.random.Generator, n: int) -> list[str]:
    """CFDI folios: UUID version 4, upper case, from rng (not uuid.uuid4, which is random)."""
    b = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    h = b.tobytes().hex().upper()
    parts = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))
    return ["-".join(h[i + a : i + b] for a, b in parts) for i in range(0, 32 * n, 32)]


def _hexes(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    """DIAN CUFE/CUDE look-alikes: SHA-384-sized lower-case hex."""
    h = rng.integers(0, 256, size=n * nbytes, dtype=np.uint8).tobytes().hex()
    w = 2 * nbytes
    return [h[i : i + w] for i in range(0, w * n, w)]


def _counts(shares: Sequence[float], n: int, at_least_one: bool) -> Array:
    """Split n into counts proportional to shares (largest remainder), >= 1 each if asked."""
    p = np.asarray(shares, dtype=float)
    raw = p / p.sum() * n
    counts = np.floor(raw).astype(np.int64)
    rest = n - int(counts.sum())
    if rest > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:rest]] += 1
    if at_least_one and n >= len(p):
        while (counts == 0).any():
            counts[int(np.argmax(counts))] -= 1
            counts[int(np.argmax(counts == 0))] += 1
    return counts


def _allocate(
    rng: np.random.Generator,
    n: int,
    shares: dict[str, float],
    eligible: dict[str, Array],
) -> Array:
    """Scenario per payment: exact counts from the shares, constrained scenarios first;
    what a constrained one cannot place goes to the last (catch-all) scenario."""
    names = list(shares)
    counts = dict(zip(names, _counts(list(shares.values()), n, True).tolist(), strict=True))
    order = rng.permutation(n)
    out = np.full(n, names[-1], dtype=object)
    free = np.ones(n, dtype=bool)
    for name in names[:-1]:
        ok = free[order]
        if name in eligible:
            ok &= eligible[name][order]
        take = order[ok][: counts[name]]
        out[take] = name
        free[take] = False
    return out


def _round_down(units: Array, step: int | Array) -> Array:
    return (units // step) * step


def _half_up(num: Array, den: int | Array) -> Array:
    """round(num / den) half up, for non-negative integers."""
    return (2 * num + den) // (2 * den)


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class _Calendar:
    end: int  # period end, days since 1970-01-01
    start: int  # first day of the period's month
    bdays: Array  # business days (Mon-Fri) of the month up to the period end
    year: int
    month: int

    @classmethod
    def of(cls, period_end: date) -> _Calendar:
        end = int(np.datetime64(period_end, "D").astype(np.int64))
        start = int(np.datetime64(period_end.replace(day=1), "D").astype(np.int64))
        days = np.arange(start, end + 1)
        bdays = days[np.is_busday(days.astype("datetime64[D]"))]
        if len(bdays) == 0:
            bdays = np.array([end])
        return cls(end, start, bdays, period_end.year, period_end.month)

    def roll(self, days: Array, how: Roll) -> Array:
        """Move to a business day ('forward' / 'backward')."""
        d = np.busday_offset(days.astype("datetime64[D]"), 0, roll=how)
        return d.astype(np.int64)

    def last_bday(self) -> int:
        return int(self.bdays[-1])

    def random_bdays(self, rng: np.random.Generator, n: int) -> Array:
        return self.bdays[rng.integers(0, len(self.bdays), n)]

    def day_of_month(self, day: int, how: Roll = "backward") -> int:
        """Business day on or near the given day of the period's month."""
        d = min(self.start + day - 1, self.end)
        rolled = int(self.roll(np.array([d]), how)[0])
        if rolled > self.end or rolled < self.start:
            other: Roll = "backward" if how == "forward" else "forward"
            rolled = int(self.roll(np.array([d]), other)[0])
        return int(np.clip(rolled, self.start, self.end))


def _dates(days: Array, missing: Array | None = None) -> pd.Series:
    """Int days since epoch -> datetime64[ns] at midnight (NaT where ``missing``)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    if missing is not None:
        d = d.copy()
        d[missing] = np.datetime64("NaT")
    return pd.Series(d.astype("datetime64[ns]"))


# --------------------------------------------------------------------------- customers


@dataclass
class _Customers:
    ids: list[str]
    country: Array
    name: list[str]
    bank_base: list[str]  # name without legal form, as banks write it
    suffix: list[str]
    aliases: list[list[str]]
    accounts: list[list[str]]
    tax_id: list[str]
    terms: Array
    size: Array
    series: Array  # index into _INVOICE_SERIES
    po_style: Array
    po_base: Array
    batch: Array
    recurring: Array
    fixed_net: Array  # net amount of a recurring customer's invoices, major units
    lateness: Array  # pays invoices due up to period end - lateness (days)
    email: list[str]
    combos: set[tuple[int, str, str]]  # (country, activity, core) in use
    core: list[str]  # the distinctive part of the name, as banks write it
    spare_account: list[str]  # an account the customer pays from that the master lacks


def _make_customers(rng: np.random.Generator, n: int) -> _Customers:
    names = _names()
    counts = _counts([c.share for c in COUNTRIES], n, True)
    country = rng.permutation(np.repeat(np.arange(len(COUNTRIES)), counts))

    name = [""] * n
    base_of = [""] * n
    suffix = [""] * n
    core_of = [""] * n
    act_of = [""] * n
    for k, c in enumerate(COUNTRIES):
        idx = np.flatnonzero(country == k)
        m = len(idx)
        if m == 0:
            continue
        acts, pa = names[(c.code, "activity")]
        cores, _ = names[(c.code, "core")]
        quals, _ = names[(c.code, "qualifier")]
        sufs, ps = names[(c.code, "suffix")]
        space = len(acts) * len(cores)
        p = np.repeat(pa, len(cores)) / len(cores)
        first = rng.choice(space, size=min(m, space), replace=False, p=p / p.sum())
        pick = first[np.arange(m) % len(first)]
        rounds = np.arange(m) // len(first)
        half = len(quals) // 2
        q = np.where(rng.random(m) < 0.2, rng.integers(0, half, m), -1)
        later = rounds > 0
        q[later] = half + (rounds[later] - 1) % (len(quals) - half)
        suf = rng.choice(len(sufs), m, p=ps)
        for j, i in enumerate(idx.tolist()):
            a, co = acts[pick[j] // len(cores)], cores[pick[j] % len(cores)]
            base = f"{co} {a}" if c.code == "US" else f"{a} {co}"
            if q[j] >= 0:
                base = f"{base} {quals[q[j]]}"
            base_of[i], suffix[i], core_of[i], act_of[i] = base, sufs[suf[j]], co, a
    seen: dict[str, int] = {}
    for i in range(n):  # the few names left equal after all qualifiers get a number
        b = base_of[i]
        seen[b] = seen.get(b, 0) + 1
        if seen[b] > 1:
            base_of[i] = f"{b} {seen[b]}"
        name[i] = f"{base_of[i]} {suffix[i]}"

    # aliases: trade names
    has_alias = rng.random(n) < 0.30
    two = rng.random(n) < 0.15
    kind = rng.integers(0, 3, size=(n, 2))
    aliases: list[list[str]] = []
    for i in range(n):
        out: list[str] = []
        if has_alias[i]:
            core, act = core_of[i].upper(), act_of[i].upper()
            options = [
                core if len(core) > 5 else f"{core} {act}",
                f"{core} {act}" if country[i] == US else f"GRUPO {core}",
                f"{act} {core}" if country[i] != US else f"{core} {act.split()[0]}",
            ]
            if act == "GRUPO":
                options[1] = core
            out.append(options[kind[i, 0]])
            if two[i] and kind[i, 1] != kind[i, 0] and options[kind[i, 1]] not in out:
                out.append(options[kind[i, 1]])
        aliases.append(out)

    n_acc = rng.choice(3, n, p=[0.15, 0.65, 0.20])
    pool = {k: _accounts(rng, k, 2 * n + 2) for k in range(len(COUNTRIES))}
    accounts = [pool[int(country[i])][2 * i : 2 * i + int(n_acc[i])] for i in range(n)]
    spare = {k: _accounts(rng, k, n) for k in range(len(COUNTRIES))}

    # tax ids
    tax_id = [""] * n
    inc = rng.integers(int(np.datetime64("1975-01-01", "D").astype(np.int64)), 18_990, n)
    inc_text = pd.to_datetime(inc, unit="D").strftime("%y%m%d").tolist()
    h1 = rng.choice(list("123456789ABCDEFGHIJKLMNPQRSTUV"), n).tolist()
    h2 = rng.choice(list("123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"), n).tolist()
    ein = rng.choice(_EIN_PREFIXES, n).tolist()
    ein_rest = rng.integers(0, 10**7, n).tolist()
    nit = rng.choice(_NIT_PREFIXES, n).astype(np.int64) * 10**6 + rng.integers(0, 10**6, n)
    dv = _nit_digit(nit).tolist()
    nit_l = nit.tolist()
    for i in range(n):
        k = int(country[i])
        if k == MX:
            tax_id[i] = _rfc(_ascii_upper(base_of[i]), inc_text[i], h1[i], h2[i])
        elif k == US:
            tax_id[i] = f"{ein[i]:02d}-{ein_rest[i]:07d}"
        else:
            tax_id[i] = f"{nit_l[i]}-{dv[i]}"

    terms = np.zeros(n, dtype=np.int64)
    series = np.zeros(n, dtype=np.int64)
    po_style = np.zeros(n, dtype=np.int64)
    for k, c in enumerate(COUNTRIES):
        idx = np.flatnonzero(country == k)
        terms[idx] = rng.choice(TERMS, len(idx), p=np.array(c.terms_p))
        first_series = next(j for j, (kk, _) in enumerate(_INVOICE_SERIES) if kk == k)
        series[idx] = first_series + rng.choice(len(c.series), len(idx), p=np.array(c.series_p))
        po_style[idx] = rng.choice(4, len(idx), p=np.array(c.po_p))
    sap = rng.integers(100_000, 900_000, n)
    oc = rng.integers(1_000, 9_000, n)
    us = rng.integers(10_000, 90_000, n)
    po_base = np.select([po_style == 1, po_style == 2, po_style == 3], [sap, oc, us], 0)

    size = rng.lognormal(0.0, 0.8, n)
    batch = rng.random(n) < 0.65
    recurring = rng.random(n) < 0.05
    medians = np.array([c.median for c in COUNTRIES])[country]
    fixed_net = np.round(medians * rng.uniform(0.3, 1.5, n), -1)
    behaviour = rng.choice(3, n, p=[0.12, 0.10, 0.78])  # none paid, early, late by L days
    lateness = np.where(
        behaviour == 0,
        10**6,
        np.where(
            behaviour == 1,
            -rng.integers(8, 26, n),
            np.minimum(np.round(rng.exponential(14.0, n)).astype(np.int64) - 3, 75),
        ),
    )

    locals_ = {
        MX: ("cxp", "pagos", "cuentasporpagar", "facturacion"),
        US: ("ap", "accountspayable", "invoices"),
        CO: ("cartera", "tesoreria", "pagos", "facturacion.electronica"),
    }
    tlds = {MX: "com.mx", US: "com", CO: "com.co"}
    pick_local = rng.integers(0, 4, n).tolist()
    email = []
    for i in range(n):
        k = int(country[i])
        slug = "".join(ch for ch in _ascii_upper(f"{core_of[i]}{act_of[i][:4]}") if ch.isalnum())
        loc = locals_[k][pick_local[i] % len(locals_[k])]
        email.append(f"{loc}@{slug.lower()[:20]}.{tlds[k]}")

    ids = [f"C{i + 1:05d}" for i in range(n)]
    return _Customers(
        ids=ids,
        country=country,
        name=name,
        bank_base=[_ascii_upper(b) for b in base_of],
        suffix=suffix,
        aliases=aliases,
        accounts=accounts,
        tax_id=tax_id,
        terms=terms,
        size=size,
        series=series,
        po_style=po_style,
        po_base=po_base,
        batch=batch,
        recurring=recurring,
        fixed_net=fixed_net,
        lateness=lateness.astype(np.int64),
        email=email,
        combos={(int(country[i]), act_of[i], core_of[i]) for i in range(n)},
        core=[_ascii_upper(x) for x in core_of],
        spare_account=[spare[int(country[i])][i] for i in range(n)],
    )


def _customers_frame(rng: np.random.Generator, c: _Customers) -> pd.DataFrame:
    n = len(c.ids)
    k = c.country
    scale = np.array([10 ** exponent(x.currency) for x in COUNTRIES])[k]
    step = np.array([x.round_to * 10 for x in COUNTRIES])[k]
    gross = np.array([x.median * (1 + x.vat / 100) for x in COUNTRIES])[k]
    limit_major = gross * c.size * rng.uniform(3, 12, n)
    limit_major = np.maximum(np.round(limit_major / step), 1) * step
    limit = pd.array((limit_major * scale).astype(np.int64), dtype="Int64")
    limit[c.terms == 0] = 0
    limit[rng.random(n) < 0.02] = pd.NA
    df = pd.DataFrame(
        {
            "customer_id": c.ids,
            "customer_name": c.name,
            "tax_id": c.tax_id,
            "bank_accounts": [";".join(a) for a in c.accounts],
            "aliases": [";".join(a) for a in c.aliases],
            "credit_limit": limit,
            "payment_terms_days": c.terms,
            "currency": [COUNTRIES[int(x)].currency for x in k],
            "email": c.email,
        }
    )
    return _typed(df, CUSTOMERS)


# --------------------------------------------------------------------------- documents


@dataclass
class _Invoices:
    cust: Array
    doc: Array
    due: Array
    no_due: Array
    open: Array
    original: Array
    series: Array
    num: Array
    doc_id: Array
    ref: Array
    disputed: Array


def _amounts(rng: np.random.Generator, country: Array, net_major: Array) -> Array:
    """Net major units -> gross minor units: VAT at the country's rate, half up."""
    whole = np.array([c.whole for c in COUNTRIES])[country]
    vat = np.array([c.vat for c in COUNTRIES], dtype=np.int64)[country]
    net_major = np.maximum(net_major, 50.0)
    units = np.where(whole, np.round(net_major) * 100, np.round(net_major * 100)).astype(np.int64)
    tax = _half_up(units * vat, 100)
    tax = np.where(whole, _half_up(tax, 100) * 100, tax)
    return units + tax


def _number(
    rng: np.random.Generator, series: Array, doc: Array, cust: Array, starts: Array
) -> Array:
    """Chronological numbers per series, with gaps where documents are no longer open;
    a customer's documents of one day are consecutive."""
    n = len(series)
    order = np.lexsort((rng.random(n), cust, doc, series))
    gaps = rng.geometric(0.55, n)
    s, d, cu = series[order], doc[order], cust[order]
    gaps[1:][(s[1:] == s[:-1]) & (d[1:] == d[:-1]) & (cu[1:] == cu[:-1])] = 1
    cs = pd.Series(gaps).groupby(series[order]).cumsum().to_numpy()
    num = np.empty(n, dtype=np.int64)
    num[order] = starts[series[order]] + cs - 1
    return num


def _format_ids(series: Array, num: Array, table: Sequence[_Series]) -> Array:
    out = np.empty(len(series), dtype=object)
    for s, fmt in enumerate(table):
        idx = np.flatnonzero(series == s)
        if len(idx):
            out[idx] = fmt.format(num[idx].tolist())
    return out


def _make_invoices(rng: np.random.Generator, c: _Customers, n: int, cal: _Calendar) -> _Invoices:
    w = c.size / c.size.sum()
    cust = np.sort(rng.choice(len(w), size=n, p=w))
    comp = rng.choice(5, n, p=[0.45, 0.25, 0.15, 0.10, 0.05])
    lo = np.array([0, 31, 62, 92, 183])[comp]
    hi = np.array([31, 62, 92, 183, 365])[comp]
    age = rng.integers(lo, hi)
    doc = cal.roll(cal.end - age, "backward")
    # deliveries invoiced together: runs of same-day invoices for one customer
    same = np.r_[False, cust[1:] == cust[:-1]] & (rng.random(n) < 0.25)
    doc = doc[np.flatnonzero(~same)[np.cumsum(~same) - 1]]
    due = doc + c.terms[cust]
    no_due = np.zeros(n, dtype=bool)
    if n:
        no_due[rng.choice(n, max(1, round(n * 0.0015)), replace=False)] = True

    country = c.country[cust]
    medians = np.array([x.median for x in COUNTRIES])[country]
    net = medians * np.sqrt(c.size[cust]) * rng.lognormal(0.0, 0.9, n)
    net = np.where(c.recurring[cust], c.fixed_net[cust], net)
    total = _amounts(rng, country, net)
    open_ = total.copy()
    prior = (rng.random(n) < 0.06) & (cal.end - doc > 20)
    step = np.array([x.round_to * 100 for x in COUNTRIES], dtype=np.int64)[country]
    paid = _round_down((total * rng.uniform(0.2, 0.7, n)).astype(np.int64), step)
    paid = np.where((paid <= 0) | (paid >= total), total // 2, paid)
    open_[prior] = total[prior] - paid[prior]

    series = c.series[cust]
    starts = np.array([s.start for _, s in _INVOICE_SERIES], dtype=np.int64)
    num = _number(rng, series, doc, cust, starts)
    doc_id = _format_ids(series, num, [s for _, s in _INVOICE_SERIES])

    # customer purchase orders, in date order per customer, some shared by deliveries
    order = np.lexsort((num, doc, cust))
    oc = cust[order]
    first = np.r_[True, oc[1:] != oc[:-1]] if n else np.zeros(0, dtype=bool)
    new_po = first | (rng.random(n) >= 0.2)
    incr = np.where(new_po, rng.integers(1, 40, n), 0)
    rel = pd.Series(incr).groupby(oc).cumsum().to_numpy()
    po = np.empty(n, dtype=np.int64)
    po[order] = c.po_base[oc] + rel
    style = c.po_style[cust]
    ref = np.full(n, "", dtype=object)
    for s, fmt in ((1, "PO {}"), (2, "OC-{}"), (3, "PO-{}")):
        idx = np.flatnonzero(style == s)
        vals = po[idx] + (4_500_000_000 if s == 1 else 0)
        ref[idx] = [fmt.format(v) for v in vals.tolist()]

    disputed = np.where(cal.end - doc > 120, rng.random(n) < 0.55, rng.random(n) < 0.04)
    disputed &= ~c.recurring[cust]
    return _Invoices(cust, doc, due, no_due, open_, total, series, num, doc_id, ref, disputed)


# --------------------------------------------------------------------------- payments


@dataclass
class _Groups:
    """Payments of open invoices: one row per payment, members in ``members``."""

    members: Array  # invoice indices, grouped
    starts: Array
    sizes: Array
    cust: Array
    country: Array
    total: Array
    value: Array
    max_doc: Array
    scenario: Array
    amount: Array
    diff: Array
    cn: Array  # netted credit note amount (negative) or 0
    partial: Array  # amount paid on a partial payment, else 0


def _group_payments(
    rng: np.random.Generator, c: _Customers, inv: _Invoices, cal: _Calendar
) -> _Groups:
    eligible = ~inv.disputed & ~inv.no_due & (inv.doc <= cal.end - 3)
    cutoff = cal.end - c.lateness[inv.cust]
    paid = np.flatnonzero(eligible & (inv.due <= cutoff))
    paid = paid[np.lexsort((inv.num[paid], inv.due[paid], inv.cust[paid]))]
    m = len(paid)
    pc = inv.cust[paid]
    new_c = np.r_[True, pc[1:] != pc[:-1]] if m else np.zeros(0, dtype=bool)
    brk = new_c | ~c.batch[pc] | (rng.random(m) < 0.3)
    gid = np.cumsum(brk) - 1
    pos = np.arange(m) - np.flatnonzero(brk)[gid] if m else np.zeros(0, dtype=np.int64)
    brk |= (pos > 0) & (pos % 12 == 0)
    starts = np.flatnonzero(brk)
    sizes = np.diff(np.r_[starts, m])
    g = len(starts)
    cust = pc[starts]
    total = np.add.reduceat(inv.open[paid], starts) if g else np.zeros(0, dtype=np.int64)
    if g:
        max_due = np.maximum.reduceat(inv.due[paid], starts)
        max_doc = np.maximum.reduceat(inv.doc[paid], starts)
    else:
        max_due = max_doc = np.zeros(0, dtype=np.int64)

    # value date: due + the customer's lateness, or any day this month when long overdue
    lb = np.maximum(cal.start, max_doc + 1)
    target = max_due + c.lateness[cust] + rng.integers(-3, 4, g)
    catch_up = target < cal.start
    target[catch_up] = cal.start + rng.integers(0, cal.end - cal.start + 1, int(catch_up.sum()))
    target = np.clip(target, lb, cal.end)
    value = cal.roll(target, "forward")
    value[value > cal.end] = cal.last_bday()
    if g and (value < lb).any():  # cannot happen: documents are >= 3 days before the end
        raise AssertionError("value date before invoice date")

    country = c.country[cust]
    single = sizes == 1
    min_due = np.minimum.reduceat(inv.due[paid], starts) if g else max_due
    has_po = inv.ref[paid[starts]] != ""
    early = min_due > value + 2
    cop = country == CO
    scenario = np.empty(g, dtype=object)
    s_idx = np.flatnonzero(single)
    m_idx = np.flatnonzero(~single)
    scenario[s_idx] = _allocate(
        rng,
        len(s_idx),
        SINGLE_SHARES,
        {
            "po_reference": has_po[s_idx],
            "early_discount": early[s_idx],
            "withholding": cop[s_idx],
        },
    )
    scenario[m_idx] = _allocate(
        rng,
        len(m_idx),
        MULTI_SHARES,
        {"early_discount": early[m_idx], "withholding": cop[m_idx]},
    )

    amount, diff, cn, partial = _scenario_amounts(rng, inv, paid, starts, country, total, scenario)
    return _Groups(
        paid,
        starts,
        sizes,
        cust,
        country,
        total,
        value,
        max_doc,
        scenario,
        amount,
        diff,
        cn,
        partial,
    )


def _scenario_amounts(
    rng: np.random.Generator,
    inv: _Invoices,
    paid: Array,
    starts: Array,
    country: Array,
    total: Array,
    scenario: Array,
) -> tuple[Array, Array, Array, Array]:
    g = len(total)
    diff = np.zeros(g, dtype=np.int64)
    cn = np.zeros(g, dtype=np.int64)
    partial = np.zeros(g, dtype=np.int64)
    scale = np.array([10 ** exponent(x.currency) for x in COUNTRIES], dtype=np.int64)[country]
    whole = np.array([x.whole for x in COUNTRIES])[country]
    unit = np.where(whole, scale, 1)  # smallest amount a payer uses: 1 peso in COP
    round_step = np.array([x.round_to for x in COUNTRIES], dtype=np.int64)[country] * scale

    def is_(name: str) -> Array:
        return scenario == name

    fee = np.array([round(x.fee * 10 ** exponent(x.currency)) for x in COUNTRIES])[country]
    fee = np.where(total > 4 * fee, fee, total // 20)
    diff = np.where(is_("bank_fee"), -fee, diff)
    disc = _round_down(_half_up(total * 2, 100), unit)
    diff = np.where(is_("early_discount"), -disc, diff)
    frac = rng.uniform(0.005, 0.06, g)
    ded = np.maximum(_round_down((total * frac).astype(np.int64), unit), unit)
    diff = np.where(is_("deduction"), -ded, diff)

    # withholding (Colombia): retefuente 2.5 % of the base + reteIVA 15 % of the VAT
    member_country = COUNTRIES[CO].vat
    open_m = inv.open[paid]
    base_m = _half_up(open_m * 100, 100 + member_country)
    wh_m = _half_up(base_m * 25, 1000) + _half_up((open_m - base_m) * 15, 100)
    wh = np.add.reduceat(wh_m, starts) if g else np.zeros(0, dtype=np.int64)
    diff = np.where(is_("withholding"), -_round_down(wh, unit), diff)

    up = ((total // round_step) + 1) * round_step - total
    pct = _round_down((total * rng.uniform(0.005, 0.03, g)).astype(np.int64), unit)
    excess = np.where(rng.random(g) < 0.5, up, np.maximum(pct, unit))
    diff = np.where(is_("overpayment"), excess, diff)

    cn_amt = _round_down((total * rng.uniform(0.03, 0.2, g)).astype(np.int64), unit)
    cn = np.where(is_("credit_note"), -np.maximum(cn_amt, unit), cn)

    part = _round_down((total * rng.uniform(0.25, 0.75, g)).astype(np.int64), round_step)
    part = np.where((part <= 0) | (part >= total), _round_down(total // 2, unit), part)
    partial = np.where(is_("partial"), part, partial)

    amount = np.where(is_("partial"), partial, total + diff + cn)
    return amount, diff, cn, partial


# --------------------------------------------------------------------------- texts


def _tok(py: random.Random, prefix: str, num: int, padded: bool) -> str:
    """One way of writing a document number."""
    n = str(num)
    if padded:
        forms = (f"{prefix} {num:06d}", f"{prefix}{n}", f"{prefix}-{n}", f"{prefix} {n}")
    else:
        forms = (f"{prefix}-{n}", f"{prefix}{n}", f"{prefix} {n}", f"{prefix.lower()} {n}")
    return forms[min(int(py.random() ** 1.6 * len(forms)), len(forms) - 1)]


def _amt(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


_SINGLE: dict[int, tuple[str, ...]] = {
    MX: (
        "{tok}", "{tok}", "{tok}", "FACT {n}", "PAGO FAC 0{n}", "Factura No. {n}",
        "PAGO FACTURA {tok}", "FAC.{n}", "{n}", "SPEI PAGO FACTURAS {pn} REF {r7}",
        "PAGO {tok} {who}", "TRANSF {tok}", "/RFB/{tok}", "{who} PAGO {tok}",
    ),
    US: (
        "{tok}", "{tok}", "{tok}", "INVOICE {n}", "Inv #{n}", "PAYMENT INV {n}", "/RFB/{tok}",
        "{n}", "ACH PMT {pn}", "RMR*IV*{pn}*{amt}\\", "OBI {tok} {who}",
    ),
    CO: (
        "{tok}", "{tok}", "{tok}", "FACTURA {tok}", "PAGO {p} {n}", "FRA {nz}", "CANCELA {tok}",
        "{n}", "PAGO FACT {n} {who}", "ABONO A FACTURA {tok}",
    ),
}  # fmt: skip


def _single_ref(
    py: random.Random, k: int, prefix: str, num: int, padded: bool, who: str, amount: int
) -> str:
    template = py.choice(_SINGLE[k])
    return template.format(
        tok=_tok(py, prefix, num, padded),
        n=num,
        nz=f"{num:06d}",
        p=prefix,
        pn=f"{prefix}{num}",
        r7=f"{py.randrange(10**7):07d}",
        who=who[: py.randint(8, 20)].strip(),
        amt=_amt(amount),
    )


def _multi_ref(
    py: random.Random,
    k: int,
    docs: Sequence[tuple[str, int, bool]],
    amounts: Sequence[int],
) -> str:
    prefixes = {d[0] for d in docs}
    p = docs[0][0]
    nums = [d[1] for d in docs]
    toks = [_tok(py, *d) for d in docs]
    same = len(prefixes) == 1
    choice = py.random()
    lo, hi = min(nums), max(nums)
    if same and len(docs) >= 3 and hi - lo <= 3 * len(docs) and choice < 0.5:
        if k == MX:
            return f"{p}-{lo} A {hi}"
        if k == US:
            return f"INV {lo}-{hi}"
        return f"{p} {lo} A {hi}"
    if k == MX:
        forms = [
            lambda: f"{p}-{nums[0]}/" + "/".join(map(str, nums[1:])) if same else "/".join(toks),
            lambda: " ".join(f"{d[0]}{d[1]}" for d in docs),
            lambda: "FACTS " + ", ".join(map(str, nums[:-1])) + f" Y {nums[-1]}",
            lambda: "PAGO FACTURAS " + " ".join(toks),
            lambda: (
                "SPEI PAGO FACTURAS "
                + " ".join(f"{d[0]}{d[1]}" for d in docs)
                + f" REF {py.randrange(10**7):07d}"
            ),
        ]
    elif k == US:
        forms = [
            lambda: "INV " + " ".join(map(str, nums)),
            lambda: "INVOICES " + ", ".join(toks),
            lambda: "".join(
                f"RMR*IV*{d[0]}{d[1]}*{_amt(a)}\\" for d, a in zip(docs, amounts, strict=True)
            ),
            lambda: "/RFB/" + "/".join(toks),
        ]
    else:
        forms = [
            lambda: " ".join(f"{d[0]} {d[1]:06d}" for d in docs),
            lambda: "FRAS " + "-".join(map(str, nums)),
            lambda: "PAGO FACTURAS " + ", ".join(toks),
        ]
    form: Callable[[], str] = py.choice(forms)
    return form()


def _typo(py: random.Random, num: int, existing: set[int]) -> int:
    """A number as a hurried person types it: one digit wrong, two swapped, one missing;
    not the number of another open document of the series, when that can be helped."""
    s = list(str(num))
    for _ in range(20):
        t = s.copy()
        r = py.random()
        i = py.randrange(len(t))
        if r < 0.45:
            t[i] = py.choice([d for d in "0123456789" if d != t[i]])
        elif r < 0.8 and len(t) > 1:
            j = min(i, len(t) - 2)
            t[j], t[j + 1] = t[j + 1], t[j]
        elif len(t) > 3:
            del t[i]
        text = "".join(t).lstrip("0") or "0"
        if text != str(num) and int(text) not in existing:
            return int(text)
    return num + 1 if num + 1 not in existing else num * 10 + 1


_PO_TEXT = {
    MX: ("OC {po}", "PEDIDO {po}", "ORDEN DE COMPRA {po}", "PO {po}", "{po}", "{ref}"),
    US: ("PO {po}", "PO#{po}", "P.O. {po}", "{po}", "{ref}"),
    CO: ("OC {po}", "ORDEN DE COMPRA {po}", "PEDIDO {po}", "{po}", "{ref}"),
}
_SHORT_TAIL: dict[str, dict[int, tuple[str, ...]]] = {
    "early_discount": {
        MX: (" DPP 2%", " MENOS 2% PRONTO PAGO", "", " DESC 2%"),
        US: (" LESS 2% DISC", " 2/10 NET 30", ""),
        CO: (" DESCUENTO PRONTO PAGO", " MENOS DTO 2%", ""),
    },
    "deduction": {
        MX: (" MENOS DEVOLUCION", " DESC MERMA", " DIF PRECIO", ""),
        US: (" LESS FREIGHT", " SHORTAGE", " PRICING DIFF", " DEDUCTION", ""),
        CO: (" MENOS DEVOLUCION", " DESCUENTO FLETE", ""),
    },
    "withholding": {CO: (" MENOS RETENCIONES", " NETO RTE FTE", " RETEFUENTE Y RETEIVA", "")},
}
_PARTIAL = {
    MX: ("ABONO {tok}", "PAGO PARCIAL {tok}", "ABONO A FACTURA {n}", "PARCIALIDAD 1 {tok}"),
    US: ("PARTIAL PMT {tok}", "PARTIAL PAYMENT INV {n}", "{tok}"),
    CO: ("ABONO {tok}", "ABONO PARCIAL FACTURA {n}", "PAGO PARCIAL {tok}"),
}
_THIRD = {
    MX: (
        "PAGO POR CUENTA DE {who} {ref}",
        "CESION DE DERECHOS {ref}",
        "{ref} {who}",
        "FACTORAJE {ref}",
    ),
    US: ("ON BEHALF OF {who} {ref}", "{ref} FBO {who}", "{ref}"),
    CO: ("PAGO {ref} POR CUENTA DE {who}", "FACTORING {ref}", "{ref} {who}"),
}
_ADVANCE = {
    MX: ("ANTICIPO PEDIDO {n}", "ANTICIPO {po}", "ANTICIPO", "ANTICIPO COTIZACION {n}"),
    US: ("ADVANCE PAYMENT PO {po}", "PREPAYMENT ORDER {n}", "DEPOSIT ORDER {n}"),
    CO: ("ANTICIPO CONTRATO {n}", "ANTICIPO {po}", "ANTICIPO PEDIDO {n}"),
}
_JUNK = {
    MX: ("PAGO", ".", "TRANSFERENCIA", "PAGO PROVEEDORES", "PAGO DE SERVICIOS", "VARIOS"),
    US: ("PAYMENT", "ACH CREDIT", "VENDOR PMT", "CCD PAYMENT"),
    CO: ("PAGO", "PAGO PROVEEDORES", "TRANSFERENCIA", "PAGO FACTURAS"),
}


def _bank_name(py: random.Random, base: str, suffix: str) -> str:
    """A customer's legal name as a bank statement shows it."""
    forms = _SUFFIX_FORMS.get(suffix, ("",))
    tail = py.choice(forms)
    return f"{base} {tail}".strip()[:35].strip()


def _wrap(py: random.Random, k: int, type_code: str, text: str) -> str:
    """What the bank adds to or keeps of the payer's text."""
    if type_code == "CHQ":
        chk = f"{py.randrange(10**6):06d}"
        if k == US:
            return f"LOCKBOX 4471 CHK {chk} {text}".strip()
        if k == MX:
            return py.choice((f"DEP CHQ {chk}", f"DEPOSITO SBC CHQ {chk}"))
        return f"CONSIGNACION CHEQUE {chk}"
    if k == MX and type_code == "SPEI":
        return text[:40].strip()
    return text[:140].strip()


# --------------------------------------------------------------------------- bank lines


@dataclass
class _Lines:
    """Bank lines being built, with the receipt they come from (-1 for debits)."""

    rid: list[int]
    country: list[int]
    booking: list[int]
    value: list[int]
    amount: list[int]
    name: list[str]
    account: list[str]
    remittance: list[str]
    type_code: list[str]

    @classmethod
    def empty(cls) -> _Lines:
        return cls([], [], [], [], [], [], [], [], [])

    def add(
        self,
        rid: int,
        k: int,
        booking: int,
        value: int,
        amount: int,
        name: str,
        account: str,
        remittance: str,
        type_code: str,
    ) -> None:
        self.rid.append(rid)
        self.country.append(k)
        self.booking.append(booking)
        self.value.append(value)
        self.amount.append(amount)
        self.name.append(name)
        self.account.append(account)
        self.remittance.append(remittance)
        self.type_code.append(type_code)


def _type_code(py: random.Random, k: int, scenario: str) -> str:
    r = py.random()
    if k == MX:
        if scenario in _NO_TEXT and r < 0.10:
            return "CHQ"
        return "TRF" if r > 0.90 else "SPEI"
    if k == US:
        return "CHQ" if r < 0.25 else "TRF"
    return "CHQ" if scenario in _NO_TEXT and r < 0.08 else "TRF"


def _payer(py: random.Random, c: _Customers, i: int, needs_identity: bool) -> tuple[str, str]:
    """(name, account) of a customer as the bank reports it: a known account, the
    customer's one unknown account, or none."""
    known = c.accounts[i]
    r = py.random()
    if known and r < 0.70:
        account = py.choice(known)
    elif r < (0.85 if known else 0.5):
        account = c.spare_account[i]
    else:
        account = ""
    r = py.random()
    if c.aliases[i] and r < 0.12:
        name = _ascii_upper(py.choice(c.aliases[i]))[:35]
    elif r > 0.94 and account in known and account:
        name = ""
    else:
        name = _bank_name(py, c.bank_base[i], c.suffix[i])
    if needs_identity and not name and not account:
        name = _bank_name(py, c.bank_base[i], c.suffix[i])
    return name, account


# --------------------------------------------------------------------------- other documents


@dataclass
class _Others:
    """Credit notes, debit notes, unapplied payments and advances in the open items."""

    cust: Array
    kind: Array  # index into _OTHER_TYPES
    doc: Array
    due: Array
    amount: Array
    ref: Array
    doc_id: Array
    num: Array


_OTHER_TYPES = ("credit_note", "debit_note", "payment", "advance")


def _other_documents(
    rng: np.random.Generator, c: _Customers, inv: _Invoices, grp: _Groups, cal: _Calendar
) -> tuple[_Others, Array, Array]:
    """The non-invoice open items, and per payment the credit note it nets off ("" none)."""
    n = len(inv.cust)
    cust: list[Array] = []
    kind: list[Array] = []
    doc: list[Array] = []
    due: list[Array] = []
    amount: list[Array] = []
    ref: list[Array] = []
    unit = np.array([100 if x.whole else 1 for x in COUNTRIES], dtype=np.int64)
    step = np.array([x.round_to * 100 for x in COUNTRIES], dtype=np.int64)

    def add(cu: Array, t: int, d: Array, du: Array, a: Array, r: Array) -> None:
        cust.append(cu)
        kind.append(np.full(len(cu), t))
        doc.append(d)
        due.append(du)
        amount.append(a)
        ref.append(r)

    def count(rate: float) -> int:
        return max(1, round(rate * n)) if n else 0

    # credit notes for returns and price corrections, related to an invoice
    src = rng.integers(0, n, count(0.015)) if n else np.zeros(0, np.int64)
    k = c.country[inv.cust[src]]
    d = np.minimum(inv.doc[src] + rng.integers(1, 31, len(src)), cal.end)
    a = _round_down((inv.open[src] * rng.uniform(0.05, 0.3, len(src))).astype(np.int64), unit[k])
    add(inv.cust[src], 0, d, d, -np.maximum(a, unit[k]), inv.doc_id[src])

    # debit notes: late-payment interest, freight re-billed
    src = rng.integers(0, n, count(0.007)) if n else np.zeros(0, np.int64)
    k = c.country[inv.cust[src]]
    d = np.minimum(inv.doc[src] + rng.integers(15, 61, len(src)), cal.end)
    a = _round_down((inv.open[src] * rng.uniform(0.01, 0.05, len(src))).astype(np.int64), unit[k])
    add(inv.cust[src], 1, d, d + 15, np.maximum(a, unit[k]), inv.doc_id[src])

    # old unapplied payments and advances
    for t, rate, lo, hi in ((2, 0.008, 35, 200), (3, 0.002, 5, 90)):
        src = rng.integers(0, n, count(rate)) if n else np.zeros(0, np.int64)
        cu = inv.cust[src]
        k = c.country[cu]
        d = cal.roll(cal.end - rng.integers(lo, hi, len(src)), "backward")
        gross = inv.open[src] * rng.uniform(0.3, 1.5, len(src))
        a = np.maximum(_round_down(gross.astype(np.int64), step[k] if t == 3 else unit[k]), step[k])
        r = np.full(len(src), "", dtype=object)
        if t == 3:
            r[:] = [f"ANTICIPO PEDIDO {v}" for v in rng.integers(100, 9999, len(src)).tolist()]
        add(cu, t, d, d, -a, r)

    # the credit notes that this month's payments net off
    gi = np.flatnonzero(grp.cn != 0)
    span = np.maximum(grp.value[gi] - grp.max_doc[gi], 1)
    d = grp.max_doc[gi] + np.floor(rng.random(len(gi)) * span).astype(np.int64)
    first_doc = inv.doc_id[grp.members[grp.starts[gi]]]
    add(grp.cust[gi], 0, d, d, grp.cn[gi], first_doc)
    n_scenario = len(gi)

    o_cust = np.concatenate(cust)
    o_kind = np.concatenate(kind)
    o_doc = np.concatenate(doc)
    country = c.country[o_cust]
    series = country * len(_OTHER_TYPES) + o_kind
    table = [s for x in COUNTRIES for s in (x.credit, x.debit, x.payment, x.advance)]
    starts = np.array([s.start for s in table], dtype=np.int64)
    num = _number(rng, series, o_doc, o_cust, starts)
    doc_id = _format_ids(series, num, table)
    due_all, amount_all, ref_all = (np.concatenate(x) for x in (due, amount, ref))
    others = _Others(o_cust, o_kind, o_doc, due_all, amount_all, ref_all, doc_id, num)
    cn_id = np.full(len(grp.cust), "", dtype=object)
    cn_num = np.zeros(len(grp.cust), dtype=np.int64)
    if n_scenario:
        cn_id[gi] = doc_id[-n_scenario:]
        cn_num[gi] = num[-n_scenario:]
    return others, cn_id, cn_num


def _open_items_frame(
    rng: np.random.Generator, c: _Customers, inv: _Invoices, o: _Others
) -> pd.DataFrame:
    n, m = len(inv.cust), len(o.cust)
    cust = np.concatenate([inv.cust, o.cust])
    country = c.country[cust]
    kinds = np.array(["invoice", *_OTHER_TYPES], dtype=object)
    doc_type = kinds[np.concatenate([np.zeros(n, dtype=np.int64), o.kind + 1])]
    fiscal = np.full(n + m, "", dtype=object)
    mx = np.flatnonzero(
        (country == MX) & np.isin(doc_type, ["invoice", "credit_note", "debit_note"])
    )
    fiscal[mx] = _uuid4s(rng, len(mx))
    co = np.flatnonzero(
        (country == CO) & np.isin(doc_type, ["invoice", "credit_note", "debit_note"])
    )
    fiscal[co] = _hexes(rng, len(co), 48)
    ids = np.array(c.ids, dtype=object)
    df = pd.DataFrame(
        {
            "customer_id": ids[cust],
            "customer_name": np.array(c.name, dtype=object)[cust],
            "document_id": np.concatenate([inv.doc_id, o.doc_id]),
            "document_type": doc_type,
            "document_date": _dates(np.concatenate([inv.doc, o.doc])),
            "due_date": _dates(
                np.concatenate([inv.due, o.due]),
                np.concatenate([inv.no_due, np.zeros(m, dtype=bool)]),
            ),
            "currency": np.array([x.currency for x in COUNTRIES], dtype=object)[country],
            "amount_open": np.concatenate([inv.open, o.amount]),
            "amount_original": np.concatenate([inv.original, o.amount]),
            "reference": np.concatenate([inv.ref, o.ref]),
            "tax_id": np.array(c.tax_id, dtype=object)[cust],
            "fiscal_uuid": fiscal,
            "company": np.array([x.company for x in COUNTRIES], dtype=object)[country],
        }
    )
    return _typed(df, OPEN_ITEMS)


# --------------------------------------------------------------------------- receipts


def _receipt_lines(
    rng: np.random.Generator,
    py: random.Random,
    c: _Customers,
    inv: _Invoices,
    grp: _Groups,
    cal: _Calendar,
    open_items: pd.DataFrame,
    cn_id: Array,
    cn_num: Array,
) -> tuple[_Lines, pd.DataFrame, list[str]]:
    """Bank lines of the receipts; truth rows keyed by receipt id; scenario per receipt."""
    names = _names()
    lines = _Lines.empty()
    g = len(grp.cust)
    unknown = {k: _accounts(rng, k, 64) for k in range(len(COUNTRIES))}
    factors = {
        k: [(f, _accounts(rng, k, 1)[0]) for f in names[(COUNTRIES[k].code, "factor")][0]]
        for k in range(len(COUNTRIES))
    }
    m_ser = inv.series[grp.members].tolist()
    m_num = inv.num[grp.members].tolist()
    m_open = inv.open[grp.members].tolist()
    m_ref = inv.ref[grp.members].tolist()
    series = [s for _, s in _INVOICE_SERIES]
    scen = grp.scenario.tolist()
    cust_l = grp.cust.tolist()
    country_l = grp.country.tolist()
    starts_l = grp.starts.tolist()
    sizes_l = grp.sizes.tolist()
    value_l = grp.value.tolist()
    amount_l = grp.amount.tolist()
    cn_num_l = cn_num.tolist()
    numbers: dict[int, set[int]] = {}  # open invoice numbers per series, built when needed

    for gi in range(g):
        k, i, sc = country_l[gi], cust_l[gi], scen[gi]
        s0, size = starts_l[gi], sizes_l[gi]
        docs = [
            (series[m_ser[j]].prefix, m_num[j], series[m_ser[j]].padded)
            for j in range(s0, s0 + size)
        ]
        amts = m_open[s0 : s0 + size]
        who = _bank_name(py, c.bank_base[i], c.suffix[i])
        code = _type_code(py, k, sc)
        if size == 1:
            p, n, padded = docs[0]
            refs = _single_ref(py, k, p, n, padded, who, amts[0])
        else:
            refs = _multi_ref(py, k, docs, amts)

        text = ""
        if sc in _WITH_REFS:
            text = refs
        elif sc in _NO_TEXT:
            text = py.choice(_JUNK[k]) if py.random() < 0.08 else ""
        elif sc == "po_reference":
            ref = m_ref[s0]
            po = ref.replace("-", " ").split(" ")[-1]
            text = py.choice(_PO_TEXT[k]).format(po=po, ref=ref)
        elif sc == "typo_reference":
            p, n, padded = docs[0]
            if not numbers:
                for s_, n_ in zip(inv.series.tolist(), inv.num.tolist(), strict=True):
                    numbers.setdefault(s_, set()).add(n_)
            typo = _typo(py, n, numbers.get(m_ser[s0], set()))
            text = _single_ref(py, k, p, typo, padded, who, amts[0])
        elif sc == "partial":
            if py.random() < 0.8:
                p, n, padded = docs[0]
                text = py.choice(_PARTIAL[k]).format(tok=_tok(py, p, n, padded), n=n)
        elif sc in ("bank_fee", "overpayment"):
            text = refs if py.random() < 0.75 else ""
        elif sc in _SHORT_TAIL:
            tails = _SHORT_TAIL[sc].get(k, ("",))
            text = (refs + py.choice(tails)) if py.random() < 0.9 else ""
        elif sc == "credit_note":
            if py.random() < 0.8:
                credit = COUNTRIES[k].credit
                cn_tok = _tok(py, credit.prefix, cn_num_l[gi], credit.padded)
                joiners = (" LESS ", " ", " - ") if k == US else (" MENOS ", " ", " Y ")
                text = refs + py.choice(joiners) + cn_tok
        elif sc == "third_party":
            text = py.choice(_THIRD[k]).format(who=who[:20].strip(), ref=refs)

        if sc == "third_party":
            if py.random() < 0.6:
                name, account = py.choice(factors[k])
            else:
                root = c.core[i]
                parent = {MX: f"CORPORATIVO {root} SA DE CV", US: f"{root} HOLDINGS INC"}
                name = parent.get(k, f"INVERSIONES {root} SAS")[:35]
                account = py.choice(unknown[k]) if py.random() < 0.7 else ""
        else:
            name, account = _payer(py, c, i, not text)
        day = value_l[gi]
        lines.add(gi, k, day, day, amount_l[gi], name, account, _wrap(py, k, code, text), code)

    # truth rows of the payments of invoices: documents, netted credit notes, differences
    gid = np.repeat(np.arange(g), grp.sizes)
    applied = np.where(grp.scenario[gid] == "partial", grp.partial[gid], inv.open[grp.members])
    ids = np.array(c.ids, dtype=object)
    has_cn = np.flatnonzero(grp.cn != 0)
    has_diff = np.flatnonzero(grp.diff != 0)
    parts = [
        pd.DataFrame(
            {
                "rid": gid,
                "document_id": inv.doc_id[grp.members],
                "customer_id": ids[grp.cust[gid]],
                "amount_applied": applied,
                "order": np.arange(len(gid)),
            }
        ),
        pd.DataFrame(
            {
                "rid": has_cn,
                "document_id": cn_id[has_cn],
                "customer_id": ids[grp.cust[has_cn]],
                "amount_applied": grp.cn[has_cn],
                "order": len(gid) + np.arange(len(has_cn)),
            }
        ),
        pd.DataFrame(
            {
                "rid": has_diff,
                "document_id": np.full(len(has_diff), "", dtype=object),
                "customer_id": ids[grp.cust[has_diff]],
                "amount_applied": grp.diff[has_diff],
                "order": len(gid) + len(has_cn) + np.arange(len(has_diff)),
            }
        ),
    ]
    scenario: list[str] = [str(s) for s in scen]
    taken: dict[int, set[int]] = {}
    for k, (cur, amt) in enumerate(
        zip(open_items["currency"], open_items["amount_open"].to_numpy(dtype=np.int64), strict=True)
    ):
        del k
        taken.setdefault(_COUNTRY_OF[cur], set()).add(int(amt))
    for k, amt in zip(country_l, amount_l, strict=True):
        taken.setdefault(k, set()).add(int(amt))
    parts.append(_extra_lines(rng, py, c, grp, cal, lines, unknown, taken, scenario))
    return lines, pd.concat(parts, ignore_index=True), scenario


_COUNTRY_OF = {x.currency: k for k, x in enumerate(COUNTRIES)}


def _extra_lines(
    rng: np.random.Generator,
    py: random.Random,
    c: _Customers,
    grp: _Groups,
    cal: _Calendar,
    lines: _Lines,
    unknown: dict[int, list[str]],
    taken: dict[int, set[int]],
    scenario: list[str],
) -> pd.DataFrame:
    """Advances, unidentified money and duplicated transfers: appended to ``lines`` and
    ``scenario``; returns their truth rows."""
    names = _names()
    g = len(grp.cust)
    counts = {name: (max(1, round(share * g)) if g else 0) for name, share in EXTRA_SHARES.items()}
    rows: list[tuple[int, str, str, int]] = []
    w = c.size / c.size.sum()
    scale = [10 ** exponent(x.currency) for x in COUNTRIES]

    # advances: a round amount from a known customer, no invoice yet
    adv_cust = rng.choice(len(c.ids), counts["advance"], p=w)
    adv_day = cal.random_bdays(rng, len(adv_cust))
    adv_mult = rng.uniform(0.5, 3.0, len(adv_cust))
    for j, i in enumerate(adv_cust.tolist()):
        k = int(c.country[i])
        x = COUNTRIES[k]
        step = x.round_to * 10 * scale[k]
        amount = max(1, round(x.median * c.size[i] * adv_mult[j] * scale[k] / step)) * step
        if c.po_style[i]:
            po = str(c.po_base[i] + py.randrange(100, 400))
        else:
            po = str(py.randrange(1000, 99999))
        text = py.choice(_ADVANCE[k]).format(n=py.randrange(100, 9999), po=po)
        code = _type_code(py, k, "advance")
        name, account = _payer(py, c, i, False)
        rid = len(scenario)
        scenario.append("advance")
        day = int(adv_day[j])
        lines.add(rid, k, day, day, amount, name, account, _wrap(py, k, code, text), code)
        rows.append((rid, "", c.ids[i], amount))

    # unidentified: nobody we know, nothing useful, an amount equal to no open item
    shares = np.array([x.share for x in COUNTRIES])
    un_k = rng.choice(len(COUNTRIES), counts["unidentified"], p=shares / shares.sum())
    un_day = cal.random_bdays(rng, len(un_k))
    un_net = rng.lognormal(0.0, 1.0, len(un_k))
    for j, k in enumerate(un_k.tolist()):
        x = COUNTRIES[k]
        unit = scale[k] * (100 if x.whole else 1)
        amount = max(round(x.median * un_net[j] * scale[k]) // unit * unit, 100 * scale[k])
        used = taken.setdefault(k, set())
        while amount in used:
            amount += unit * py.randint(1, 99)
        used.add(amount)
        r = py.random()
        if r < 0.55:
            surnames = names[(x.code, "surname")][0]
            person = f"{py.choice(names[(x.code, 'given')][0])} {py.choice(surnames)}"
            if k != US:
                person += f" {py.choice(surnames)}"
            payer = _ascii_upper(person)[:35]
        elif r < 0.80:
            act = py.choice(names[(x.code, "activity")][0])
            core = py.choice(names[(x.code, "core")][0])
            lead = "NEW" if k == US else "COMERCIAL"
            payer = "" if (k, act, core) in c.combos else _ascii_upper(f"{lead} {core} {act}")[:35]
        else:
            payer = ""
        stranger = unknown[k][j % len(unknown[k])]
        account = py.choice((stranger, "")) if payer else stranger
        text = py.choice(_JUNK[k]) if py.random() < 0.3 else ""
        code = _type_code(py, k, "unidentified")
        rid = len(scenario)
        scenario.append("unidentified")
        day = int(un_day[j])
        lines.add(rid, k, day, day, amount, payer, account, _wrap(py, k, code, text), code)
        rows.append((rid, "", "", amount))

    # duplicates: a payment with remittance sent a second time, 0-3 business days later
    pool = np.flatnonzero(np.isin(grp.scenario, list(_WITH_REFS)))
    if len(pool) and counts["duplicate"]:
        dup = np.sort(rng.choice(pool, min(counts["duplicate"], len(pool)), replace=False))
        for gi in dup.tolist():
            later = cal.bdays[cal.bdays >= lines.value[gi]]
            day = int(later[min(py.randint(0, 3), len(later) - 1)])
            rid = len(scenario)
            scenario.append("duplicate")
            amount = lines.amount[gi]
            lines.add(
                rid, lines.country[gi], day, day, amount, lines.name[gi], lines.account[gi],
                lines.remittance[gi], lines.type_code[gi],
            )  # fmt: skip
            rows.append((rid, "", c.ids[int(grp.cust[gi])], amount))

    return pd.DataFrame(
        {
            "rid": np.array([r[0] for r in rows], dtype=np.int64),
            "document_id": np.array([r[1] for r in rows], dtype=object),
            "customer_id": np.array([r[2] for r in rows], dtype=object),
            "amount_applied": np.array([r[3] for r in rows], dtype=np.int64),
            "order": 10**12 + np.arange(len(rows)),
        }
    )


# --------------------------------------------------------------------------- debits


def _debit_lines(
    rng: np.random.Generator, py: random.Random, cal: _Calendar, lines: _Lines
) -> None:
    """Money out: payroll, taxes, suppliers, a transfer and the bank's fees."""
    names = _names()
    amounts = np.array(lines.amount, dtype=np.int64)
    countries = np.array(lines.country, dtype=np.int64)
    mon = _MONTHS_ES[cal.month - 1]
    ym = f"{cal.year}{cal.month:02d}"
    last = cal.last_bday()
    for k, x in enumerate(COUNTRIES):
        scale = 10 ** exponent(x.currency)
        unit = scale * (100 if x.whole else 1) if x.whole else 1
        mine = countries == k
        received = int(amounts[mine].sum()) or int(x.median * 20 * scale)
        n_rec = int(mine.sum())

        def cut(v: float) -> int:
            return -max(int(v) // unit * unit, unit)  # noqa: B023

        paid: list[int] = []

        def out(day: int, amount: int, name: str, account: str, text: str, code: str) -> None:
            paid.append(amount)  # noqa: B023
            lines.add(-1, k, day, day, amount, name, account, text, code)  # noqa: B023

        q1, q2 = cal.day_of_month(15), last
        if k == MX:
            out(
                q1,
                cut(received * rng.uniform(0.06, 0.09)),
                "",
                "",
                f"PAGO DE NOMINA 1A QNA {mon}",
                "TRF",
            )
            out(
                q2,
                cut(received * rng.uniform(0.06, 0.09)),
                "",
                "",
                f"PAGO DE NOMINA 2A QNA {mon}",
                "TRF",
            )
            out(
                cal.day_of_month(17, "forward"),
                cut(received * rng.uniform(0.04, 0.07)),
                "SERVICIO DE ADMINISTRACION TRIBUTA",
                "",
                f"PAGO REFERENCIADO SAT {ym} ISR IVA",
                "TRF",
            )
        elif k == US:
            out(
                q1,
                cut(received * rng.uniform(0.06, 0.09)),
                "ADP WAGE PAY",
                "",
                f"ADP PAYROLL PPE {cal.month:02d}/15",
                "TRF",
            )
            out(
                q2,
                cut(received * rng.uniform(0.06, 0.09)),
                "ADP WAGE PAY",
                "",
                f"ADP PAYROLL PPE {cal.month:02d}/{cal.end - cal.start + 1}",
                "TRF",
            )
            out(
                cal.day_of_month(15, "forward"),
                cut(received * rng.uniform(0.04, 0.07)),
                "IRS",
                "",
                "IRS USATAXPYMT EFTPS",
                "TRF",
            )
        else:
            out(
                q1,
                cut(received * rng.uniform(0.06, 0.09)),
                "",
                "",
                f"PAGO NOMINA 1RA QUINCENA {mon}",
                "TRF",
            )
            out(
                q2,
                cut(received * rng.uniform(0.06, 0.09)),
                "",
                "",
                f"PAGO NOMINA 2DA QUINCENA {mon}",
                "TRF",
            )
            out(
                cal.day_of_month(20, "forward"),
                cut(received * rng.uniform(0.04, 0.07)),
                "DIAN",
                "",
                "PAGO DIAN FORMULARIO 350 RETENCIONES",
                "TRF",
            )

        m = max(3, round(0.06 * n_rec))
        w = rng.lognormal(0.0, 1.0, m)
        total = received * rng.uniform(0.35, 0.5)
        days = cal.random_bdays(rng, m)
        accts = _accounts(rng, k, m)
        suppliers = names[(x.code, "supplier")][0]
        for j in range(m):
            who = _ascii_upper(py.choice(suppliers))[:35]
            ref = f"{py.choice('ABFX')}{py.randrange(1000, 99999)}"
            text = {MX: f"PAGO PROVEEDOR FACT {ref}", US: f"ACH DEBIT VENDOR PMT INV {ref}"}.get(
                k, f"PAGO A PROVEEDORES FACT {ref}"
            )
            code = "SPEI" if k == MX else "TRF"
            out(int(days[j]), cut(total * w[j] / w.sum()), who, accts[j], text, code)
        transfer = {MX: "TRASPASO A CUENTA DE INVERSION", US: "ONLINE TRANSFER TO SAV XXXXXX4821"}
        out(
            int(cal.random_bdays(rng, 1)[0]),
            cut(received * rng.uniform(0.05, 0.1)),
            "",
            "",
            transfer.get(k, "TRASLADO A CUENTA DE AHORROS"),
            "TRF",
        )

        if k == MX:
            out(last, -350 * scale, "", "", "COMISION MANEJO DE CUENTA", "FEE")
            out(last, -56 * scale, "", "", "IVA COMISION MANEJO DE CUENTA", "FEE")
            spei = (m * 58 * scale) // 10
            out(last, -spei, "", "", f"COMISIONES SPEI {m} OPERACIONES", "FEE")
            out(
                last,
                -_half_up(np.array([spei * 16]), 100)[0].item(),
                "",
                "",
                "IVA COMISIONES SPEI",
                "FEE",
            )
        elif k == US:
            out(last, -95 * scale, "", "", "MONTHLY SERVICE FEE", "FEE")
            wires = int(((countries == k) & (amounts > 0)).sum())
            out(last, -15 * scale * max(1, wires // 10), "", "", "INCOMING WIRE FEES", "FEE")
        else:
            out(last, -45_000 * scale, "", "", "COMISION PORTAL EMPRESARIAL", "FEE")
            out(last, -8_550 * scale, "", "", "IVA COMISION PORTAL EMPRESARIAL", "FEE")
            gmf = _round_down(_half_up(np.array([-sum(paid) * 4]), 1000), unit)[0].item()
            out(last, -gmf, "", "", "GRAVAMEN MOVIMIENTOS FINANCIEROS 4X1000", "FEE")


# --------------------------------------------------------------------------- assembly


_E2E_TAGS = ("BNET01", "MBAN01", "SANTAN", "BAJIO0", "HSBC00", "BNTE01", "SCOT01")


def _assemble(
    rng: np.random.Generator,
    py: random.Random,
    lines: _Lines,
    cal: _Calendar,
    second: Array | None = None,
) -> tuple[pd.DataFrame, Array]:
    """Bank lines in booking order, numbered per statement; line id per receipt id.

    ``second`` marks lines that repeat an earlier transfer (duplicates): on the same
    booking day they come after the other lines, as the bank books them later."""
    n = len(lines.rid)
    country = np.array(lines.country, dtype=np.int64)
    booking = np.array(lines.booking, dtype=np.int64)
    amount = np.array(lines.amount, dtype=np.int64)
    type_code = np.array(lines.type_code, dtype=object)
    late = np.zeros(n, dtype=bool) if second is None else second
    order = np.lexsort((rng.random(n), late, booking, country))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = pd.Series(country[order]).groupby(country[order]).cumcount().to_numpy() + 1
    width = max(4, len(str(int(seq.max())))) if n else 4
    stmt = [f"{x.bank}-{x.currency}-{cal.year}-{cal.month:02d}" for x in COUNTRIES]
    line_id = np.array(
        [f"{stmt[k]}-{s:0{width}d}" for k, s in zip(country.tolist(), seq.tolist(), strict=True)],
        dtype=object,
    )

    # cheques are credited when they clear, the next business day
    value = np.array(lines.value, dtype=np.int64)
    chq = (type_code == "CHQ") & (amount > 0)
    nxt = cal.roll(value + 1, "forward")
    value = np.where(chq & (nxt <= cal.end), nxt, value)

    ref10 = _digits(rng, n, 10)
    ref12 = _digits(rng, n, 12)
    ref9 = _digits(rng, n, 9)
    d8 = _digits(rng, n, 8)
    d15 = _digits(rng, n, 15)
    ymd = pd.to_datetime(booking, unit="D").strftime("%Y%m%d").tolist()
    bank_ref: list[str] = []
    e2e: list[str] = []
    for j, (k, code) in enumerate(zip(country.tolist(), type_code.tolist(), strict=True)):
        if k == MX:
            bank_ref.append(ref10[j])
            e2e.append(f"{py.choice(_E2E_TAGS)}{ymd[j]}{d8[j]}" if code == "SPEI" else "")
        elif k == US:
            bank_ref.append(ref12[j])
            if code != "TRF":
                e2e.append("")
            elif py.random() < 0.7:
                e2e.append(d15[j])
            else:
                e2e.append(f"{ymd[j]}QMGFT{d8[j][:3]}{ref9[j][:6]}")
        else:
            bank_ref.append(ref9[j])
            e2e.append(d8[j] + ref9[j][:2] if code == "TRF" else "")

    currency = np.array([x.currency for x in COUNTRIES], dtype=object)[country]
    df = pd.DataFrame(
        {
            "line_id": line_id,
            "statement_id": np.array(stmt, dtype=object)[country],
            "account": np.array([x.account for x in COUNTRIES], dtype=object)[country],
            "currency": currency,
            "booking_date": _dates(booking),
            "value_date": _dates(value),
            "amount": amount,
            "counterparty_name": lines.name,
            "counterparty_account": lines.account,
            "remittance": lines.remittance,
            "bank_reference": bank_ref,
            "end_to_end_id": e2e,
            "type_code": type_code,
            "source_file": SOURCE_FILE,
        }
    )
    rid = np.array(lines.rid, dtype=np.int64)
    receipts = rid >= 0
    by_rid = np.empty(int(rid.max()) + 1 if receipts.any() else 0, dtype=object)
    by_rid[rid[receipts]] = line_id[receipts]
    return _typed(df, BANK_LINES), by_rid


def _statements(rng: np.random.Generator, bank: pd.DataFrame, cal: _Calendar) -> pd.DataFrame:
    rows = []
    for x in COUNTRIES:
        sid = f"{x.bank}-{x.currency}-{cal.year}-{cal.month:02d}"
        amounts = bank.loc[bank["statement_id"] == sid, "amount"].to_numpy(dtype=np.int64)
        received = int(amounts[amounts > 0].sum())
        paid = -int(amounts[amounts < 0].sum())
        step = 10 ** exponent(x.currency) * (100 if x.whole else 1)
        opening = int(received * rng.uniform(0.15, 0.35)) // step * step + max(0, paid - received)
        rows.append(
            {
                "statement_id": sid,
                "account": x.account,
                "currency": x.currency,
                "opening_date": pd.Timestamp(np.datetime64(cal.start, "D")),
                "opening_balance": opening,
                "closing_date": pd.Timestamp(np.datetime64(cal.end, "D")),
                "closing_balance": opening + int(amounts.sum()),
                "line_count": len(amounts),
                "source_file": SOURCE_FILE,
            }
        )
    return _typed(pd.DataFrame(rows), STATEMENTS)


def _trial_balance(
    inv: _Invoices,
    c: _Customers,
    open_items: pd.DataFrame,
    statements: pd.DataFrame,
    cal: _Calendar,
) -> pd.DataFrame:
    rows = []
    inv_country = c.country[inv.cust]
    this_month = inv.doc >= cal.start
    for k, x in enumerate(COUNTRIES):
        mine = open_items["currency"] == x.currency
        ar = int(open_items.loc[mine, "amount_open"].sum())
        cash = int(statements.loc[statements["currency"] == x.currency, "closing_balance"].sum())
        gross = int(inv.original[(inv_country == k) & this_month].sum())
        net_month = int(_half_up(np.array([gross * 100]), 100 + x.vat)[0])
        rows.append((x.ar[0], x.ar[1], x.currency, ar, "yes"))
        rows.append((x.cash[0], x.cash[1], x.currency, cash, ""))
        rows.append((x.revenue[0], x.revenue[1], x.currency, -net_month * cal.month, ""))
        if x.tax is not None:
            if k == MX:  # cash-basis VAT: the VAT inside what customers still owe
                vat = int(_half_up(np.array([max(ar, 0) * x.vat]), 100 + x.vat)[0])
            else:  # accrual VAT of the period's invoices
                vat = gross - net_month
            rows.append((x.tax[0], x.tax[1], x.currency, -vat, ""))
    df = pd.DataFrame(rows, columns=TRIAL_BALANCE.names)
    return _typed(df, TRIAL_BALANCE)


def _truth(
    rows: pd.DataFrame, scenario: list[str], line_of: Array, bank: pd.DataFrame
) -> pd.DataFrame:
    rid = rows["rid"].to_numpy(dtype=np.int64)
    line_id = line_of[rid]
    currency = bank.set_index("line_id")["currency"]
    df = pd.DataFrame(
        {
            "line_id": line_id,
            "document_id": rows["document_id"].to_numpy(dtype=object),
            "customer_id": rows["customer_id"].to_numpy(dtype=object),
            "amount_applied": rows["amount_applied"].to_numpy(dtype=np.int64),
            "currency": currency.reindex(line_id).to_numpy(dtype=object),
            "scenario": np.asarray(scenario, dtype=object)[rid],
            "order": rows["order"].to_numpy(dtype=np.int64),
        }
    )
    df = df.iloc[np.lexsort((df["order"].to_numpy(), line_id.astype(str)))]
    out = pd.DataFrame({c: df[c].to_numpy() for c in TRUTH_COLUMNS})
    for col in TRUTH_COLUMNS:
        out[col] = out[col].astype("Int64") if col == "amount_applied" else _text(out[col])
    return out


# --------------------------------------------------------------------------- frames


def _text(s: pd.Series) -> pd.Series:
    """Object column of Python str, "" where missing (values are built as str)."""
    s = s.astype(object)
    missing = s.isna().to_numpy()
    return s.where(~missing, "") if missing.any() else s


def _sort_order(frame: pd.DataFrame, keys: Sequence[str]) -> Array:
    """Stable order by ``keys`` (missing dates and amounts last), without pandas'
    object-column factorisation, which is slow on a million rows."""
    arrays = []
    for key in reversed(keys):
        s = frame[key]
        if pd.api.types.is_datetime64_dtype(s.dtype):
            v = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
            arrays.append(np.where(s.isna().to_numpy(), np.iinfo(np.int64).max, v))
        elif isinstance(s.dtype, pd.Int64Dtype):
            arrays.append(s.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).max))
        else:
            arrays.append(s.to_numpy(dtype=object).astype(str))
    return np.lexsort(arrays)


def _typed(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """The engine representation: schema order, object text with "", Int64, datetime64[ns]."""
    out: dict[str, pd.Series] = {}
    for col in schema.columns:
        s = df[col.name] if col.name in df else pd.Series([""] * len(df), index=df.index)
        s = s.reset_index(drop=True)
        if col.kind == Kind.DATE:
            out[col.name] = pd.to_datetime(s).astype("datetime64[ns]")
        elif col.kind in (Kind.MONEY, Kind.INT):
            out[col.name] = s.astype("Int64")
        elif col.kind == Kind.RATIO:
            out[col.name] = s.astype("float64")
        else:
            out[col.name] = _text(s)
    frame = pd.DataFrame(out, columns=schema.names)
    if schema.sort_by and len(frame):
        frame = frame.iloc[_sort_order(frame, schema.sort_by)]
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- entry point


def generate_company(
    seed: int = 2026,
    n_customers: int = 300,
    n_invoices: int | None = None,
    period_end: date = date(2026, 10, 31),
) -> DemoCompany:
    """A sample company closing the month of ``period_end``; same seed, same company.

    ``n_invoices`` (default 10 per customer) counts the open invoices; credit notes,
    debit notes, unapplied payments and advances come on top (about 3 %).
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1; yours is {n_customers}")
    n_inv = 10 * n_customers if n_invoices is None else int(n_invoices)
    if n_inv < 1:
        raise ValueError(f"n_invoices must be at least 1; yours is {n_inv}")
    rng = np.random.default_rng(seed)
    py = random.Random(int(rng.integers(2**62)))
    cal = _Calendar.of(period_end)

    cust = _make_customers(rng, n_customers)
    customers = _customers_frame(rng, cust)
    inv = _make_invoices(rng, cust, n_inv, cal)
    grp = _group_payments(rng, cust, inv, cal)
    others, cn_id, cn_num = _other_documents(rng, cust, inv, grp, cal)
    open_items = _open_items_frame(rng, cust, inv, others)
    lines, truth_rows, scenario = _receipt_lines(
        rng, py, cust, inv, grp, cal, open_items, cn_id, cn_num
    )
    _debit_lines(rng, py, cal, lines)
    repeat = np.array([r >= 0 and scenario[r] == "duplicate" for r in lines.rid], dtype=bool)
    bank_lines, line_of = _assemble(rng, py, lines, cal, repeat)
    statements = _statements(rng, bank_lines, cal)
    trial_balance = _trial_balance(inv, cust, open_items, statements, cal)
    truth = _truth(truth_rows, scenario, line_of, bank_lines)
    return DemoCompany(
        customers=customers,
        open_items=open_items,
        bank_lines=bank_lines,
        statements=statements,
        trial_balance=trial_balance,
        truth=truth,
        period_end=period_end,
    )
