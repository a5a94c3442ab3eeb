"""Bank to book: the bank statement lines against the cash account in the books.

``reconcile_bank(bank_lines, book, *, statements, bank_balance, book_balance, as_of,
policy) -> Reconciliation``. Left: ``bank_lines`` (contract table, + money in). Right:
the book side as ``gl_postings`` (the GL cash account's postings, debit +), or the ERP's
receipts turned into that shape by :func:`book_from_payments`.

Passes, each on what the previous ones left:

1. **One to one** by currency + exact amount, dates at most ``date_window_days`` apart;
   among several candidates the one whose reference (book ``reference`` or
   ``document_id``) appears in the bank text (remittance, bank reference, end-to-end id)
   wins (when it is found once on each side), then the nearest date; where nearest-first
   strands items of one amount, the group is paired again in date order, which pairs
   the most. Vectorised (a merge on currency + amount, then a date filter, then rounds
   of mutual best choices), so 200,000 lines a side take seconds.
2. **Same reference, different amount** (a bank fee deducted, a partial transfer): the
   number in the book reference found among the numbers of the bank text, dates within
   the window; reported as a *difference*, classified.
3. **One to many and many to one** by exact sums (:func:`cuadre.matching.find_subsets`):
   a bank line equal to the sum of several book entries of the same sign within
   ``subset_window_days`` (a deposit of several receipts, a batch), or a book entry equal
   to several bank lines; only when exactly one combination makes the amount (strict:
   two combinations are left for review).

Left over: bank-only items are *unrecorded bank items* (fees, interest, returned
payments, receipts not yet applied), book-only items are *outstanding* (deposits in
transit, payments not yet presented), each with its explanation. The reconciliation
statement: balance per bank + deposits in transit - outstanding payments = adjusted
bank balance; balance per books +/- unrecorded bank items +/- amount differences =
adjusted book balance; the two agree, or the unexplained rest is reported (usually an
opening difference: a prior period not reconciled).

Give one bank account (and its GL account) per run: the statement is per currency.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.close import Control
from cuadre.findings import Finding, Location, info, warning
from cuadre.matching import find_subsets
from cuadre.money import UnknownCurrencyError, to_minor
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.core import (
    canonical,
    concat_items,
    finish,
    items_table,
    join_ids,
    maximise_pairs,
    money,
    pair_one_to_one,
    provenance,
    show,
    side_totals,
    text,
    window_candidates,
)
from cuadre.reconcile.tables import GL_POSTINGS, RECON_STATEMENT
from cuadre.text import compact, strip_accents

CAUSES = {
    "amount": "same reference, amounts differ",
    "fee_deducted": "same reference, the bank deducted a fee",
    "bank_fee": "bank fees and charges not recorded in the books",
    "bank_interest": "interest credited by the bank, not recorded",
    "returned_item": "returned payments / reversed direct debits not recorded",
    "unrecorded_receipt": "money received not recorded in the books",
    "unrecorded_payment": "payments out of the bank not recorded in the books",
    "deposit_in_transit": "deposits in transit (in the books, not yet in the bank)",
    "book_receipt_not_in_bank": "receipts in the books, not in the bank after the transit days",
    "outstanding_payment": "outstanding payments (issued, not yet through the bank)",
    "stale_payment": "stale payments (old cheques not presented)",
}


class BankPolicy(BaseModel):
    """Knobs of the bank reconciliation; the defaults suit a daily cash reconciliation."""

    date_window_days: int = Field(5, ge=0, description="bank and book dates apart, one to one")
    subset_window_days: int = Field(5, ge=0, description="dates apart within a sum group")
    subset_max_items: int = Field(16, ge=1, description="candidates searched for a sum")
    subset_max_size: int = Field(6, ge=2, description="items in one sum group")
    subset_budget: int = Field(4_000, ge=100, description="search steps per sum (bounds time)")
    transit_days: int = Field(5, ge=0, description="a book receipt this recent is in transit")
    stale_days: int = Field(180, ge=1, description="an outstanding payment older is stale")
    fee_max: dict[str, float] = Field(
        default_factory=lambda: {"MXN": 50.0, "USD": 35.0, "EUR": 30.0, "COP": 15_000.0},
        description="largest fee a bank deducts from a transfer, per currency (major units)",
    )
    fee_words: list[str] = Field(
        default_factory=lambda: [
            "COMISION",
            "COM ",
            "CARGO",
            "FEE",
            "CHARGE",
            "MANTENIMIENTO",
            "GMF",
            "4X1000",
            "IVA COM",
            "GEBUHR",
            "ENTGELT",
            "GASTOS",
        ]
    )
    interest_words: list[str] = Field(
        default_factory=lambda: ["INTERES", "INTEREST", "RENDIMIENTO", "ZINS"]
    )
    return_words: list[str] = Field(
        default_factory=lambda: ["DEVOL", "RETURN", "RECHAZ", "REVERS", "RUCKLAST", "STORNO"]
    )


def book_from_payments(payments: pd.DataFrame) -> pd.DataFrame:
    """ERP receipts (``payments`` table) as book entries (``gl_postings`` shape)."""
    n = len(payments)
    out = pd.DataFrame(
        {
            "posting_id": text(payments, "payment_id"),
            "account": [""] * n,
            "posting_date": payments["value_date"],
            "currency": text(payments, "currency"),
            "amount": payments["amount"].astype("Int64"),
            "document_id": [""] * n,
            "reference": text(payments, "bank_reference"),
            "description": (text(payments, "payer_name") + " " + text(payments, "remittance"))
            .str.strip()
            .astype(object),
            "source": ["receipts"] * n,
            "customer_id": [""] * n,
            "company": [""] * n,
        }
    )
    for col in ("source_path", "source_sheet", "source_row"):
        if col in payments:
            out[col] = payments[col].to_numpy()
    return out[[*GL_POSTINGS.names, *[c for c in out if c not in GL_POSTINGS.names]]]


# --------------------------------------------------------------------------- sides


def _bank_side(bank_lines: pd.DataFrame) -> pd.DataFrame:
    date = bank_lines["booking_date"].fillna(bank_lines.get("value_date"))
    side = pd.DataFrame(
        {
            "id": text(bank_lines, "line_id"),
            "currency": text(bank_lines, "currency"),
            "date": pd.to_datetime(date).astype("datetime64[ns]"),
            "amount": money(bank_lines, "amount"),
            "party": text(bank_lines, "counterparty_name"),
            "words": (
                text(bank_lines, "remittance")
                + " "
                + text(bank_lines, "bank_reference")
                + " "
                + text(bank_lines, "end_to_end_id")
                + " "
                + text(bank_lines, "type_code")
            ).astype(object),
            "row": provenance(bank_lines),
        }
    )
    side = canonical(side, ["currency", "date", "id", "amount"])
    side["blob"] = side["words"].map(compact)
    return side


def _book_side(book: pd.DataFrame) -> pd.DataFrame:
    side = pd.DataFrame(
        {
            "id": text(book, "posting_id"),
            "currency": text(book, "currency"),
            "date": pd.to_datetime(book["posting_date"]).astype("datetime64[ns]"),
            "amount": money(book, "amount"),
            "party": text(book, "customer_id"),
            "ref": text(book, "reference").map(compact),
            "doc": text(book, "document_id").map(compact),
            "words": text(book, "description"),
            "row": provenance(book),
        }
    )
    return canonical(side, ["currency", "date", "id", "amount"])


# --------------------------------------------------------------------------- passes


def _ref_hits(bank: pd.DataFrame, book: pd.DataFrame, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Whether the book reference (or document number) appears in the bank text, per pair."""
    blob = bank["blob"].to_numpy()[li]
    ref = book["ref"].to_numpy()[ri]
    doc = book["doc"].to_numpy()[ri]
    return np.fromiter(
        (
            (len(a) >= 3 and a in t) or (len(b) >= 3 and b in t)
            for a, b, t in zip(ref, doc, blob, strict=True)
        ),
        dtype=bool,
        count=len(li),
    )


def _pass_exact(bank: pd.DataFrame, book: pd.DataFrame, policy: BankPolicy) -> pd.DataFrame:
    """One to one: currency + amount + date window, the reference breaking ties."""
    cands = window_candidates(bank, book, ["currency", "amount"], policy.date_window_days)
    if cands.empty:
        return cands.assign(score=[], tie=[], ref=[], alternatives=[])
    hit = _ref_hits(bank, book, cands["l"].to_numpy(), cands["r"].to_numpy())
    cands["ref"] = hit
    cands["score"] = hit.astype("int64") * 1000 - cands["days"]
    cands["tie"] = cands["rank_gap"]
    best = cands.groupby("l")["score"].transform("max")
    cands["alternatives"] = cands["score"].eq(best).groupby(cands["l"]).transform("sum") - 1
    # a reference found once on each side decides; one shared by several items does not
    per_l = cands["ref"].groupby(cands["l"]).transform("sum")
    per_r = cands["ref"].groupby(cands["r"]).transform("sum")
    cands["decisive"] = cands["ref"] & per_l.eq(1) & per_r.eq(1)
    pairs = pair_one_to_one(cands)
    pairs = maximise_pairs(
        pairs,
        bank,
        book,
        ["currency", "amount"],
        policy.date_window_days,
        keep=pairs["decisive"],
    )
    again = pairs["repaired"].to_numpy(dtype=bool)
    if again.any():
        li, ri = pairs["l"].to_numpy(dtype="int64"), pairs["r"].to_numpy(dtype="int64")
        ld, rd = bank["date"].to_numpy()[li], book["date"].to_numpy()[ri]
        gap = np.abs((ld - rd).astype("timedelta64[D]").astype("int64"))
        pairs["days"] = np.where(again, gap, pairs["days"].fillna(0)).astype("int64")
        hits = _ref_hits(bank, book, li, ri)
        pairs["ref"] = np.where(again, hits, pairs["ref"].fillna(False)).astype(bool)
        pairs["alternatives"] = np.where(again, 1, pairs["alternatives"].fillna(0)).astype("int64")
    return pairs


def _exact_items(
    bank: pd.DataFrame, book: pd.DataFrame, pairs: pd.DataFrame, w: int
) -> pd.DataFrame:
    if pairs.empty:
        return items_table(0)
    li, ri = pairs["l"].to_numpy(dtype="int64"), pairs["r"].to_numpy(dtype="int64")
    days = pairs["days"].to_numpy(dtype="int64")
    ref = pairs["ref"].to_numpy(dtype=bool)
    alt = pairs["alternatives"].to_numpy(dtype="int64")
    rule = np.where(
        ref,
        "amount, date and reference",
        np.where(days == 0, "amount and same date", f"amount and date within {w} days"),
    )
    rule = np.where(
        ~ref & (alt > 0), np.char.add(rule.astype(str), " (one of equal candidates)"), rule
    )
    conf = np.where(ref, 1.0, np.where(alt > 0, 0.7, np.where(days == 0, 0.9, 0.8)))
    b, k = bank.iloc[li], book.iloc[ri]
    return items_table(
        len(pairs),
        section="matched",
        rule=rule,
        confidence=conf,
        party=b["party"].to_numpy(),
        currency=b["currency"].to_numpy(),
        left_ids=b["id"].to_numpy(),
        left_count=1,
        left_date=b["date"].to_numpy(),
        left_amount=b["amount"].to_numpy(),
        right_ids=k["id"].to_numpy(),
        right_count=1,
        right_date=k["date"].to_numpy(),
        right_amount=k["amount"].to_numpy(),
        difference=0,
        left_rows=b["row"].to_numpy(),
        right_rows=k["row"].to_numpy(),
    )


_DIGITS = re.compile(r"\d{4,}")


def _numbers(blob: str) -> list[str]:
    return sorted({d.lstrip("0") for d in _DIGITS.findall(blob) if len(d.lstrip("0")) >= 4})


def _pass_reference(
    bank: pd.DataFrame,
    book: pd.DataFrame,
    free_l: np.ndarray,
    free_r: np.ndarray,
    policy: BankPolicy,
) -> pd.DataFrame:
    """Same number in the book reference and the bank text, same sign, amounts differ."""
    bl = bank.iloc[free_l].assign(l=free_l)
    bl = bl.assign(num=bl["words"].map(lambda s: _numbers(strip_accents(s).upper()))).explode("num")
    bk = book.iloc[free_r].assign(r=free_r)
    core = (bk["ref"].where(bk["ref"].ne(""), bk["doc"])).map(lambda s: _numbers(s))
    bk = bk.assign(num=core).explode("num")
    bl, bk = bl[bl["num"].notna()], bk[bk["num"].notna()]
    if bl.empty or bk.empty:
        return pd.DataFrame({"l": [], "r": [], "days": []}, dtype="int64")
    c = bl[["l", "num", "currency", "date", "amount"]].merge(
        bk[["r", "num", "currency", "date", "amount"]],
        on=["currency", "num"],
        suffixes=("_l", "_r"),
    )
    c = c.assign(days=(c["date_l"] - c["date_r"]).dt.days.abs())
    same_sign = np.sign(c["amount_l"]) == np.sign(c["amount_r"])
    c = c[c["days"].le(policy.date_window_days) & same_sign].drop_duplicates(["l", "r"])
    if c.empty:
        return pd.DataFrame({"l": [], "r": [], "days": []}, dtype="int64")
    c = c.assign(score=-c["days"], tie=(c["amount_l"] - c["amount_r"]).abs())
    return pair_one_to_one(c[["l", "r", "days", "score", "tie"]].astype("int64"))


def _fee_max(policy: BankPolicy, currency: str) -> int:
    value = policy.fee_max.get(currency)
    try:
        return to_minor(str(value), currency) if value is not None else 0
    except UnknownCurrencyError:
        return 0


def _reference_items(
    bank: pd.DataFrame, book: pd.DataFrame, pairs: pd.DataFrame, policy: BankPolicy
) -> pd.DataFrame:
    rows = []
    for li, ri in zip(pairs["l"], pairs["r"], strict=True):
        b, k = bank.iloc[int(li)], book.iloc[int(ri)]
        diff = int(b["amount"]) - int(k["amount"])
        cur = str(b["currency"])
        fee_max = _fee_max(policy, cur)
        if 0 < -diff <= fee_max and int(k["amount"]) > 0:
            cause = "fee_deducted"
            words = (
                f"the bank credited {show(-diff, cur)} less than the books: a transfer "
                "fee deducted by the bank; record it as a bank charge"
            )
        else:
            cause = "amount"
            words = (
                f"same reference, the bank shows {show(int(b['amount']), cur)} and the "
                f"books {show(int(k['amount']), cur)}: check the receipt amount"
            )
        rows.append((b, k, diff, cause, words))
    return items_table(
        len(rows),
        section="difference",
        rule="reference and date, amounts differ",
        confidence=0.8,
        party=[b["party"] for b, *_ in rows],
        currency=[b["currency"] for b, *_ in rows],
        left_ids=[b["id"] for b, *_ in rows],
        left_count=1,
        left_date=[b["date"] for b, *_ in rows],
        left_amount=[b["amount"] for b, *_ in rows],
        right_ids=[k["id"] for _, k, *_ in rows],
        right_count=1,
        right_date=[k["date"] for _, k, *_ in rows],
        right_amount=[k["amount"] for _, k, *_ in rows],
        difference=[d for *_, d, _c, _w in rows],
        cause=[c for *_, c, _w in rows],
        explanation=[w for *_, w in rows],
        left_rows=[b["row"] for b, *_ in rows],
        right_rows=[k["row"] for _, k, *_ in rows],
    )


_NO_DAY = np.iinfo(np.int64).min


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as whole days since 1970 (``_NO_DAY`` when empty)."""
    values = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]")
    return np.where(np.isnat(values), _NO_DAY, values.astype("int64"))


def _pool_groups(
    pool: pd.DataFrame, free: np.ndarray
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Free pool items per (currency, sign): day numbers, absolute amounts, positions,
    in date then id order."""
    p = pool.iloc[free].assign(pos=free, day=_day_numbers(pool["date"].iloc[free]))
    p = p[p["day"].ne(_NO_DAY) & p["amount"].ne(0)]
    out = {}
    for (cur, sign), g in p.groupby([p["currency"], np.sign(p["amount"])]):
        g = g.sort_values(["day", "id"])
        out[(str(cur), int(sign))] = (
            g["day"].to_numpy(dtype="int64"),
            g["amount"].abs().to_numpy(dtype="int64"),
            g["pos"].to_numpy(dtype="int64"),
        )
    return out


def _pass_subsets(
    single: pd.DataFrame,
    pool: pd.DataFrame,
    free_s: np.ndarray,
    free_p: np.ndarray,
    policy: BankPolicy,
) -> list[tuple[int, list[int]]]:
    """Each free ``single`` item equal to the sum of 2+ free ``pool`` items (same currency
    and sign, dates within the window), when exactly one combination does.

    Sets are found for every single first; when two singles claim the same pool item,
    the set nearer in dates wins (then the earlier single) and the other is left."""
    keyed = _pool_groups(pool, free_p)
    w = policy.subset_window_days
    amounts = single["amount"].to_numpy()
    days = _day_numbers(single["date"])
    currencies = single["currency"].to_numpy()
    found: list[tuple[int, int, list[int]]] = []  # (date gap, single, pool positions)
    for si in free_s:
        target, day = int(amounts[si]), days[si]
        g = keyed.get((str(currencies[si]), int(np.sign(target))))
        if g is None or target == 0 or day == _NO_DAY:
            continue
        g_days, g_amounts, g_pos = g
        lo, hi = np.searchsorted(g_days, day - w), np.searchsorted(g_days, day + w, "right")
        idx = np.arange(lo, hi)
        idx = idx[g_amounts[idx] < abs(target)]
        if len(idx) < 2:
            continue
        gap = np.abs(g_days[idx] - day)
        idx = idx[np.lexsort((idx, gap))][: policy.subset_max_items]
        sets = find_subsets(
            g_amounts[idx].tolist(),
            abs(target),
            policy.subset_max_size,
            budget=policy.subset_budget,
        )
        if len(sets) != 1 or len(sets[0]) < 2:
            continue
        picked = idx[sets[0]]
        gaps = int(np.abs(g_days[picked] - day).sum())
        found.append((gaps, int(si), [int(x) for x in g_pos[picked]]))
    groups: list[tuple[int, list[int]]] = []
    used: set[int] = set()
    for _gap, s_pos, chosen in sorted(found):
        if used.isdisjoint(chosen):
            used.update(chosen)
            groups.append((s_pos, chosen))
    return groups


def _group_items(
    bank: pd.DataFrame, book: pd.DataFrame, groups: list[tuple[list[int], list[int]]]
) -> pd.DataFrame:
    rows = []
    for ls, rs in groups:
        b, k = bank.iloc[ls], book.iloc[rs]
        if len(ls) == 1:
            rule = f"bank line = sum of {len(rs)} book entries"
            words = f"one bank line for {len(rs)} book entries (a deposit or batch of several)"
        else:
            rule = f"book entry = sum of {len(ls)} bank lines"
            words = f"one book entry received in {len(ls)} bank lines (split transfer)"
        rows.append(
            {
                "party": b["party"].iloc[0] or k["party"].iloc[0],
                "currency": b["currency"].iloc[0],
                "left_ids": join_ids(b["id"]),
                "left_count": len(ls),
                "left_date": b["date"].min(),
                "left_amount": int(b["amount"].sum()),
                "right_ids": join_ids(k["id"]),
                "right_count": len(rs),
                "right_date": k["date"].min(),
                "right_amount": int(k["amount"].sum()),
                "rule": rule,
                "explanation": words,
                "left_rows": join_ids(b["row"]),
                "right_rows": join_ids(k["row"]),
            }
        )
    if not rows:
        return items_table(0)
    cols = {c: [r[c] for r in rows] for c in rows[0]}
    return items_table(len(rows), section="matched", confidence=0.8, difference=0, **cols)


# --------------------------------------------------------------------------- leftovers


def _has(words: pd.Series, vocab: list[str]) -> pd.Series:
    pattern = "|".join(re.escape(w) for w in vocab)
    upper = words.map(lambda s: strip_accents(s).upper())
    return upper.str.contains(pattern, regex=True)


def _bank_only(bank: pd.DataFrame, free: np.ndarray, policy: BankPolicy) -> pd.DataFrame:
    b = bank.iloc[free]
    amt = b["amount"]
    fee = _has(b["words"], policy.fee_words)
    interest = _has(b["words"], policy.interest_words)
    ret = _has(b["words"], policy.return_words)
    cause = np.select(
        [amt.lt(0) & ret, amt.lt(0) & fee, amt.gt(0) & interest, amt.gt(0)],
        ["returned_item", "bank_fee", "bank_interest", "unrecorded_receipt"],
        "unrecorded_payment",
    )
    words = {
        "returned_item": "a payment returned or a direct debit reversed: reopen the invoice "
        "it paid and record the return",
        "bank_fee": "a bank charge: record it in the books (bank charges expense)",
        "bank_interest": "interest credited by the bank: record it (financial income)",
        "unrecorded_receipt": "money received that the books do not show: apply it to the "
        "customer (cuadre match) or record it as unidentified",
        "unrecorded_payment": "money out of the bank that the books do not show: find the "
        "payment and record it",
    }
    return items_table(
        len(b),
        section="left_only",
        party=b["party"].to_numpy(),
        currency=b["currency"].to_numpy(),
        left_ids=b["id"].to_numpy(),
        left_count=1,
        left_date=b["date"].to_numpy(),
        left_amount=b["amount"].to_numpy(),
        cause=cause,
        explanation=[words[c] for c in cause],
        left_rows=b["row"].to_numpy(),
    )


def _book_only(
    book: pd.DataFrame, free: np.ndarray, as_of: pd.Timestamp, policy: BankPolicy
) -> pd.DataFrame:
    k = book.iloc[free]
    age = (as_of - k["date"]).dt.days.fillna(0).astype("int64")
    amt = k["amount"]
    cause = np.select(
        [amt.gt(0) & age.le(policy.transit_days), amt.gt(0), age.gt(policy.stale_days)],
        ["deposit_in_transit", "book_receipt_not_in_bank", "stale_payment"],
        "outstanding_payment",
    )
    text_of = {
        "deposit_in_transit": "recorded {d} before the cut-off, not yet credited: it "
        "should appear in the first days of the next statement",
        "book_receipt_not_in_bank": "recorded {d} before the cut-off and still not in "
        "the bank: check the deposit was made, or the entry",
        "stale_payment": "issued {d} before the cut-off and never presented: consider "
        "cancelling it",
        "outstanding_payment": "issued {d} before the cut-off, not yet through the bank",
    }
    return items_table(
        len(k),
        section="right_only",
        party=k["party"].to_numpy(),
        currency=k["currency"].to_numpy(),
        right_ids=k["id"].to_numpy(),
        right_count=1,
        right_date=k["date"].to_numpy(),
        right_amount=k["amount"].to_numpy(),
        cause=cause,
        explanation=[text_of[c].format(d=_days(d)) for c, d in zip(cause, age, strict=True)],
        right_rows=k["row"].to_numpy(),
    )


def _days(n: int) -> str:
    return "the same day" if n == 0 else f"{n} day" if n == 1 else f"{n} days"


# --------------------------------------------------------------------------- statement


def bank_balances(statements: pd.DataFrame) -> tuple[dict[str, int], list[Finding]]:
    """Closing balance per currency: the latest statement of each account, summed."""
    findings: list[Finding] = []
    s = statements[statements["closing_balance"].notna()]
    if s.empty:
        return {}, findings
    s = s.sort_values(["currency", "account", "closing_date", "statement_id"], kind="stable")
    last = s.groupby(["currency", "account"], sort=True).tail(1)
    out: dict[str, int] = {}
    for cur, g in last.groupby("currency"):
        out[str(cur)] = int(g["closing_balance"].astype("int64").sum())
        if len(g) > 1:
            findings.append(
                warning(
                    Location("statements"),
                    "SEVERAL_ACCOUNTS",
                    f"{len(g)} bank accounts in {cur} ({', '.join(g['account'].astype(str))}); "
                    "their closing balances are added",
                    "Reconcile one bank account at a time against its own GL account.",
                )
            )
    return out, findings


def statement_table(
    items: pd.DataFrame,
    currencies: list[str],
    bank_balance: Mapping[str, int],
    book_balance: Mapping[str, int],
) -> pd.DataFrame:
    rows = []
    for cur in currencies:
        it = items[items["currency"].eq(cur)]
        book_only = it[it["section"].eq("right_only")]["right_amount"].astype("int64")
        bank_only = it[it["section"].eq("left_only")]["left_amount"].astype("int64")
        diffs = it[it["section"].eq("difference")]["difference"].astype("int64")
        b, k = bank_balance.get(cur), book_balance.get(cur)
        dep, out = int(book_only[book_only > 0].sum()), int(book_only[book_only < 0].sum())
        rec, pay = int(bank_only[bank_only > 0].sum()), int(bank_only[bank_only < 0].sum())
        adj_bank = None if b is None else b + dep + out
        adj_book = None if k is None else k + rec + pay + int(diffs.sum())
        unexplained = None if adj_bank is None or adj_book is None else adj_bank - adj_book
        lines = [
            ("Balance per bank statement", b, "balance"),
            (
                "Add: deposits in transit and other receipts in the books, not in the bank",
                dep,
                "item",
            ),
            ("Less: outstanding payments (in the books, not yet through the bank)", out, "item"),
            ("Adjusted bank balance", adj_bank, "subtotal"),
            ("Balance per books", k, "balance"),
            ("Add: money received by the bank, not recorded in the books", rec, "item"),
            ("Less: bank charges and payments not recorded in the books", pay, "item"),
            ("Amount differences on matched items (bank - books)", int(diffs.sum()), "item"),
            ("Adjusted book balance", adj_book, "subtotal"),
            ("Unexplained difference (adjusted bank - adjusted books)", unexplained, "check"),
        ]
        rows += [
            {"currency": cur, "line": i, "label": lab, "amount": amt, "kind": kind}
            for i, (lab, amt, kind) in enumerate(lines, start=1)
        ]
    out_frame = pd.DataFrame(rows, columns=RECON_STATEMENT.names)
    out_frame["amount"] = pd.array(list(out_frame["amount"]), dtype="Int64")
    out_frame["line"] = out_frame["line"].astype("Int64")
    return out_frame.astype({"currency": object, "label": object, "kind": object})


# --------------------------------------------------------------------------- entry


def reconcile_bank(
    bank_lines: pd.DataFrame,
    book: pd.DataFrame,
    *,
    statements: pd.DataFrame | None = None,
    bank_balance: Mapping[str, int] | None = None,
    book_balance: Mapping[str, int] | None = None,
    as_of: dt.date | None = None,
    policy: BankPolicy | None = None,
) -> Reconciliation:
    """Reconcile ``bank_lines`` with ``book`` (``gl_postings`` shape); see module doc.

    ``bank_balance`` / ``book_balance``: closing balances per currency in minor units
    (the bank's default to the latest ``statements`` closing balance). ``as_of``: the
    cut-off (default: the latest date on either side), for the age of outstanding items.
    """
    policy = policy or BankPolicy()
    findings: list[Finding] = []
    bank, bk = _bank_side(bank_lines), _book_side(book)
    dates = pd.concat([bank["date"], bk["date"]]).dropna()
    cut = pd.Timestamp(as_of) if as_of else (dates.max() if len(dates) else pd.Timestamp(0))
    w = policy.date_window_days

    pairs = _pass_exact(bank, bk, policy)
    free_l = np.setdiff1d(np.arange(len(bank)), pairs["l"].to_numpy())
    free_r = np.setdiff1d(np.arange(len(bk)), pairs["r"].to_numpy())
    refs = _pass_reference(bank, bk, free_l, free_r, policy)
    free_l = np.setdiff1d(free_l, refs["l"].to_numpy())
    free_r = np.setdiff1d(free_r, refs["r"].to_numpy())
    groups: list[tuple[list[int], list[int]]] = []
    for _ in range(3):  # a group found one way can make another unambiguous
        many_book = _pass_subsets(bank, bk, free_l, free_r, policy)
        free_l = np.setdiff1d(free_l, [g[0] for g in many_book])
        free_r = np.setdiff1d(free_r, [i for g in many_book for i in g[1]])
        many_bank = _pass_subsets(bk, bank, free_r, free_l, policy)
        free_r = np.setdiff1d(free_r, [g[0] for g in many_bank])
        free_l = np.setdiff1d(free_l, [i for g in many_bank for i in g[1]])
        groups += [([s], p) for s, p in many_book] + [(p, [s]) for s, p in many_bank]
        if not many_book and not many_bank:
            break

    items = concat_items(
        [
            _exact_items(bank, bk, pairs, w),
            _reference_items(bank, bk, refs, policy),
            _group_items(bank, bk, groups),
            _bank_only(bank, free_l, policy),
            _book_only(bk, free_r, cut, policy),
        ]
    )
    balances: dict[str, int] = dict(bank_balance or {})
    if not balances and statements is not None and len(statements):
        balances, more = bank_balances(statements)
        findings.extend(more)
    currencies = sorted(set(bank["currency"]) | set(bk["currency"]))
    statement = statement_table(items, currencies, balances, dict(book_balance or {}))
    findings.extend(_statement_findings(statement, balances, book_balance))
    result = finish(
        "bank",
        "Bank",
        "Books",
        side_totals(bank, "amount"),
        side_totals(bk, "amount"),
        items,
        CAUSES,
        findings,
        statement=statement,
    )
    result.controls.extend(_statement_controls(statement))
    return result


def _statement_findings(
    statement: pd.DataFrame, bank_balance: Mapping[str, int], book_balance: Mapping[str, int] | None
) -> list[Finding]:
    findings: list[Finding] = []
    if not bank_balance or not book_balance:
        missing = "the bank's closing balance" if not bank_balance else "the book balance"
        findings.append(
            info(
                Location("bank"),
                "STATEMENT_INCOMPLETE",
                f"{missing} was not given: the reconciliation statement lists the items "
                "without the adjusted balances",
                "Give the bank statements (closing balance) and the GL cash balance.",
            )
        )
    checks = statement[statement["kind"].eq("check") & statement["amount"].notna()]
    for cur, amount in zip(checks["currency"], checks["amount"], strict=True):
        if int(amount) != 0:
            findings.append(
                warning(
                    Location("bank"),
                    "BANK_RECONCILIATION_DIFFERENCE",
                    f"adjusted bank balance != adjusted book balance by {show(int(amount), cur)}",
                    "Usually the opening balances did not agree (the previous period is not "
                    "reconciled) or lines are missing from one side: compare the opening "
                    "balances first.",
                )
            )
    return findings


def _statement_controls(statement: pd.DataFrame) -> list[Control]:
    """Adjusted bank = adjusted books, per currency, where both balances were given."""
    out = []
    checks = statement[statement["kind"].eq("check") & statement["amount"].notna()]
    for cur, amount in zip(checks["currency"], checks["amount"], strict=True):
        out.append(
            Control(
                "Reconciliation statement",
                "Adjusted bank - adjusted books",
                str(cur),
                int(amount),
                int(amount) == 0,
            )
        )
    return out


__all__ = ["CAUSES", "BankPolicy", "bank_balances", "book_from_payments", "reconcile_bank"]
