"""AR subledger vs general ledger: the open items against the receivables control accounts.

``reconcile_gl(open_items, trial_balance, *, transactions, postings, period, company,
opening_balance, policy) -> Reconciliation``

Balance: the open items (the subledger: every open document, credits included) per
currency against the trial-balance accounts flagged ``is_ar_control`` (per currency;
run once per company, ``company`` filters both when they carry one).

Movement (when ``transactions``, the subledger's invoices / receipts / credit notes of
the period, and ``postings``, the GL postings to the control accounts, are given): the
two are matched, in this order,

1. by document: same currency and document number (compared as letters and digits),
   the amounts of each side summed per document (an invoice posted in two lines is one
   document); equal -> matched, unequal -> a difference (``amount``);
2. by amount and date: equal amount, dates within ``date_window_days``, one to one;

and what is left is classified: on the GL side only, a revaluation (``gl_only_fx``: the
posting's source or text names an FX revaluation), a manual journal to the control
account (``gl_only_manual``: a manual source, or no subledger document) or another
posting (``gl_only``); on the subledger side only, a document not posted (``not_posted``).
Either side's item found on the other side *outside* the period is ``timing``.

The statement: balance per subledger - balance per GL = the reconciling items of the
period (the breakdown) + the unexplained rest (an opening difference, or items of
earlier periods): reported as ``GL_DIFFERENCE`` when it is not zero. With an
``opening_balance`` per currency, a roll-forward (opening + invoices - receipts - credit
notes +/- adjustments = closing, against the open items) is given in ``extra``.

Tie-out (``tie_out(subledger, trial_balance, *, as_of, gl_lines, pending, known,
company, policy) -> Reconciliation``): the aging total (the subledger after this
close's cash application) against the control accounts, with the lines that explain
the difference when the period's subledger transactions are not at hand, only the GL
lines posted to the control accounts:

- ``cash_not_posted`` (timing): subledger movements of this close not posted yet (the
  cash application: each payment's applied and unapplied amounts, see
  :func:`close_movements`), unless a GL line names the payment;
- ``timing``: a subledger document the GL posted after the cut-off;
- ``gl_only_fx`` / ``gl_only_manual``: an FX revaluation, a manual journal to the
  control account (manual source, or no document), up to the cut-off;
- ``gl_only``: a line naming a document the subledger does not know (not open, not in
  this close, not in ``known``): posted to the GL only;
- ``unexplained``: the remainder, on the balance row, reported as ``GL_DIFFERENCE``.

GL lines naming (as document or reference) a document the subledger knows, or a
pending movement, are its ordinary postings and explain nothing. The items are the explaining lines plus one balance row per currency (the
part of each balance the lines do not explain; ``matched`` when the two parts agree),
so the control block holds: subledger = balance row + subledger-only lines, GL =
balance row + GL-only lines.

Reference: the AR control-account reconciliation (SAP F.08 / FAGLF03 subledger
comparison; DOMAIN.md "roll-forward of receivables").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.close import Control, unapplied_cash
from cuadre.findings import Finding, Location, warning
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
from cuadre.reconcile.tables import RECON_STATEMENT
from cuadre.text import compact, strip_accents

CAUSES = {
    "amount": "same document, amounts differ between the subledger and the GL",
    "not_posted": "in the subledger, not posted to the GL",
    "gl_only_manual": "manual journals to the control account",
    "gl_only_fx": "FX revaluation posted to the control account",
    "gl_only": "GL postings with no subledger document",
    "timing": "timing: posted in another period on the other side",
    "cash_not_posted": "timing: cash application of this close, not yet posted to the GL",
    "unexplained": "unexplained (opening difference or earlier periods)",
}

AR_CONTROL_FLAGS = frozenset({"yes", "y", "si", "sí", "x", "true", "1"})


class GLPolicy(BaseModel):
    date_window_days: int = Field(3, ge=0, description="dates apart for an amount-only match")
    fx_words: list[str] = Field(
        default_factory=lambda: [
            "REVAL",
            "REVALUACION",
            "REEXPRESION",
            "DIFERENCIA CAMBIARIA",
            "DIF CAMBIARIA",
            "TIPO DE CAMBIO",
            "FX",
            "EXCHANGE",
            "FOREX",
            "KURS",
        ]
    )
    manual_sources: list[str] = Field(
        default_factory=lambda: ["MANUAL", "JE", "SA", "GJ", "JOURNAL", "POLIZA", "AJUSTE"],
        description="sources (or SAP document types) of manual journals",
    )


# --------------------------------------------------------------------------- inputs


def control_accounts(trial_balance: pd.DataFrame, company: str | None = None) -> pd.DataFrame:
    """The trial-balance rows flagged as receivables control accounts."""
    tb = trial_balance
    if company is not None and "company" in tb:
        tb = tb[text(tb, "company").eq(company)]
    flag = text(tb, "is_ar_control").str.strip().str.lower()
    return tb[flag.isin(AR_CONTROL_FLAGS)]


def _in_period(dates: pd.Series, period: tuple[dt.date, dt.date] | None) -> pd.Series:
    if period is None:
        return pd.Series(True, index=dates.index)
    start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    return dates.ge(start) & dates.le(end)


def _side(frame: pd.DataFrame, id_col: str, date_col: str, doc_col: str) -> pd.DataFrame:
    side = pd.DataFrame(
        {
            "id": text(frame, id_col),
            "currency": text(frame, "currency"),
            "date": pd.to_datetime(frame[date_col]).astype("datetime64[ns]"),
            "amount": money(frame, "amount"),
            "doc": text(frame, doc_col).map(compact),
            "doc_text": text(frame, doc_col),
            "ref": text(frame, "reference").map(compact),
            "party": text(frame, "customer_id"),
            "words": (
                text(frame, "source")
                + " "
                + text(frame, "description")
                + " "
                + text(frame, "document_type")
            ).astype(object),
            "source": text(frame, "source"),
            "row": provenance(frame),
        }
    )
    return canonical(side, ["currency", "date", "id", "amount"])


# --------------------------------------------------------------------------- passes


def _by_document(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, list, list]:
    """Per (currency, document): both sides summed; returns items and the positions used."""
    lk = left[left["doc"].ne("")].assign(pos=lambda f: f.index)
    rk = right[right["doc"].ne("")].assign(pos=lambda f: f.index)
    agg = {
        "amount": "sum",
        "date": "min",
        "id": list,
        "row": list,
        "pos": list,
        "party": "first",
        "doc_text": "first",
    }
    lg = lk.groupby(["currency", "doc"]).agg(agg).reset_index()
    rg = rk.groupby(["currency", "doc"]).agg(agg).reset_index()
    both = lg.merge(rg, on=["currency", "doc"], suffixes=("_l", "_r"))
    if both.empty:
        return items_table(0), [], []
    diff = (both["amount_l"] - both["amount_r"]).to_numpy()
    equal = diff == 0
    words = [
        ""
        if d == 0
        else f"document {doc}: subledger {show(a, c)}, GL {show(b, c)}: find the "
        "posting that differs (a manual correction, an FX difference, a partial posting)"
        for d, doc, a, b, c in zip(
            diff,
            both["doc_text_l"],
            both["amount_l"],
            both["amount_r"],
            both["currency"],
            strict=True,
        )
    ]
    items = items_table(
        len(both),
        section=np.where(equal, "matched", "difference"),
        rule="same document",
        confidence=1.0,
        party=both["party_l"].to_numpy(),
        currency=both["currency"].to_numpy(),
        left_ids=[join_ids(x) for x in both["id_l"]],
        left_count=[len(x) for x in both["id_l"]],
        left_date=both["date_l"].to_numpy(),
        left_amount=both["amount_l"].to_numpy(),
        right_ids=[join_ids(x) for x in both["id_r"]],
        right_count=[len(x) for x in both["id_r"]],
        right_date=both["date_r"].to_numpy(),
        right_amount=both["amount_r"].to_numpy(),
        difference=diff,
        cause=np.where(equal, "", "amount"),
        explanation=words,
        left_rows=[join_ids(x) for x in both["row_l"]],
        right_rows=[join_ids(x) for x in both["row_r"]],
    )
    used_l = [p for x in both["pos_l"] for p in x]
    used_r = [p for x in both["pos_r"] for p in x]
    return items, used_l, used_r


def _by_amount(
    left: pd.DataFrame, right: pd.DataFrame, window: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Equal amount, dates within the window, one to one (positions in left/right)."""
    none = np.array([], dtype="int64")
    if left.empty or right.empty:
        return items_table(0), none, none
    cands = window_candidates(left, right, ["currency", "amount"], window)
    if cands.empty:
        return items_table(0), none, none
    cands = cands.assign(score=-cands["days"], tie=cands["rank_gap"])
    pairs = maximise_pairs(pair_one_to_one(cands), left, right, ["currency", "amount"], window)
    li, ri = pairs["l"].to_numpy(dtype="int64"), pairs["r"].to_numpy(dtype="int64")
    a, b = left.iloc[li], right.iloc[ri]
    items = items_table(
        len(pairs),
        section="matched",
        rule=f"amount and date within {window} days (no common document number)",
        confidence=0.7,
        party=a["party"].to_numpy(),
        currency=a["currency"].to_numpy(),
        left_ids=a["id"].to_numpy(),
        left_count=1,
        left_date=a["date"].to_numpy(),
        left_amount=a["amount"].to_numpy(),
        right_ids=b["id"].to_numpy(),
        right_count=1,
        right_date=b["date"].to_numpy(),
        right_amount=b["amount"].to_numpy(),
        difference=0,
        left_rows=a["row"].to_numpy(),
        right_rows=b["row"].to_numpy(),
    )
    return items, li, ri


def _words_match(words: pd.Series, vocab: list[str]) -> pd.Series:
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in vocab) + r")\b"
    return words.map(lambda s: strip_accents(s).upper()).str.contains(pattern, regex=True)


def _elsewhere(side: pd.DataFrame, other_all: pd.DataFrame) -> pd.Series:
    """Date of the same document on the other side outside the period (NaT if none)."""
    other = other_all[other_all["doc"].ne("")]
    first = other.groupby(["currency", "doc"])["date"].min()
    keys = pd.MultiIndex.from_arrays([side["currency"], side["doc"]])
    return pd.Series(first.reindex(keys).to_numpy(), index=side.index)


def _left_only(left: pd.DataFrame, timing: pd.Series) -> pd.DataFrame:
    is_timing = timing.notna().to_numpy()
    words = [
        f"posted to the GL on {d:%Y-%m-%d}, in another period"
        if t
        else "in the subledger but not in the GL: post it, or find why the interface left it out"
        for t, d in zip(is_timing, timing, strict=True)
    ]
    return items_table(
        len(left),
        section="left_only",
        party=left["party"].to_numpy(),
        currency=left["currency"].to_numpy(),
        left_ids=left["id"].to_numpy(),
        left_count=1,
        left_date=left["date"].to_numpy(),
        left_amount=left["amount"].to_numpy(),
        cause=np.where(is_timing, "timing", "not_posted"),
        explanation=words,
        left_rows=left["row"].to_numpy(),
    )


def _right_only(right: pd.DataFrame, timing: pd.Series, policy: GLPolicy) -> pd.DataFrame:
    fx = _words_match(right["words"], policy.fx_words).to_numpy()
    source = right["source"].map(lambda s: strip_accents(s).upper().strip())
    manual = (source.isin(policy.manual_sources) | right["doc"].eq("")).to_numpy()
    is_timing = timing.notna().to_numpy()
    cause = np.select(
        [is_timing, fx, manual], ["timing", "gl_only_fx", "gl_only_manual"], "gl_only"
    )
    text_of = {
        "gl_only_fx": "FX revaluation of the receivables booked in the GL only: the subledger "
        "keeps document amounts; explain it on the reconciliation or revalue the subledger",
        "gl_only_manual": "a manual journal to the receivables control account: it should go "
        "through the subledger (a credit note, an adjustment document); reverse it or document it",
        "gl_only": "a posting whose document the subledger does not have: check the document "
        "number and the customer account",
    }
    words = [
        f"in the subledger on {d:%Y-%m-%d}, in another period" if c == "timing" else text_of[c]
        for c, d in zip(cause, timing, strict=True)
    ]
    return items_table(
        len(right),
        section="right_only",
        party=right["party"].to_numpy(),
        currency=right["currency"].to_numpy(),
        right_ids=right["id"].to_numpy(),
        right_count=1,
        right_date=right["date"].to_numpy(),
        right_amount=right["amount"].to_numpy(),
        cause=cause,
        explanation=words,
        right_rows=right["row"].to_numpy(),
    )


def _movement_items(
    transactions: pd.DataFrame,
    postings: pd.DataFrame,
    period: tuple[dt.date, dt.date] | None,
    policy: GLPolicy,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(items, left side in period, right side in period)."""
    left_all = _side(transactions, "transaction_id", "posting_date", "document_id")
    right_all = _side(postings, "posting_id", "posting_date", "document_id")
    left = left_all[_in_period(left_all["date"], period)].reset_index(drop=True)
    right = right_all[_in_period(right_all["date"], period)].reset_index(drop=True)
    doc_items, used_l, used_r = _by_document(left, right)
    rest_l = left.drop(index=used_l)
    rest_r = right.drop(index=used_r)
    rest_l, rest_r = rest_l.reset_index(drop=True), rest_r.reset_index(drop=True)
    amount_items, li, ri = _by_amount(rest_l, rest_r, policy.date_window_days)
    rest_l, rest_r = rest_l.drop(index=li), rest_r.drop(index=ri)
    outside_l = left_all[~_in_period(left_all["date"], period)]
    outside_r = right_all[~_in_period(right_all["date"], period)]
    items = concat_items(
        [
            doc_items,
            amount_items,
            _left_only(rest_l, _elsewhere(rest_l, outside_r)),
            _right_only(rest_r, _elsewhere(rest_r, outside_l), policy),
        ]
    )
    return items, left, right


def _balance_items(sub: dict[str, tuple[int, int]], gl: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Without movements: one row per currency comparing the two balances."""
    rows: list[dict[str, object]] = []
    for cur in sorted(set(sub) | set(gl)):
        (ln, la), (rn, ra) = sub.get(cur, (0, 0)), gl.get(cur, (0, 0))
        section = (
            "left_only"
            if cur not in gl
            else "right_only"
            if cur not in sub
            else "matched"
            if la == ra
            else "difference"
        )
        rows.append(
            {
                "section": section,
                "rule": "balances" if section in ("matched", "difference") else "",
                "confidence": 1.0 if section in ("matched", "difference") else None,
                "currency": cur,
                "left_ids": f"{ln} open items" if cur in sub else "",
                "left_count": ln if cur in sub else None,
                "left_amount": la if cur in sub else None,
                "right_ids": f"{rn} control accounts" if cur in gl else "",
                "right_count": rn if cur in gl else None,
                "right_amount": ra if cur in gl else None,
                "difference": la - ra
                if section == "difference"
                else (0 if section == "matched" else None),
                "cause": "" if section == "matched" else "unexplained",
                "explanation": ""
                if section == "matched"
                else ("give the period's subledger transactions and GL postings to explain it"),
            }
        )
    if not rows:
        return items_table(0)
    return items_table(len(rows), **{c: [r[c] for r in rows] for c in rows[0]})


def _balance_words(section: str, cur: str) -> str:
    if section == "left_only":
        return (
            f"open items in {cur} but no control account in {cur}: flag the account "
            "(is_ar_control) or check the currency"
        )
    if section == "right_only":
        return (
            f"a control account in {cur} but no open items in {cur}: a balance left by "
            "journals or revaluation"
        )
    if section == "difference":
        return "give the period's subledger transactions and GL postings to explain it"
    return ""


# --------------------------------------------------------------------------- statement


def _statement(
    sub: dict[str, int],
    gl: dict[str, int],
    accounts: dict[str, str],
    breakdown: pd.DataFrame,
    movements: bool,
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for cur in sorted(set(sub) | set(gl)):
        s, g = sub.get(cur, 0), gl.get(cur, 0)
        lines: list[tuple[str, int | None, str]] = [
            ("Balance per AR subledger (open items)", s, "balance"),
            (f"Balance per GL control accounts ({accounts.get(cur, '')})", g, "balance"),
            ("Difference (subledger - GL)", s - g, "subtotal"),
        ]
        explained = 0
        if movements:
            b = breakdown[breakdown["currency"].eq(cur)]
            for label, amount in zip(b["label"], b["amount"], strict=True):
                lines.append((f"Explained: {label}", int(amount), "item"))
                explained += int(amount)
            lines.append(
                ("Explained by the reconciling items of the period", explained, "subtotal")
            )
        lines.append(
            ("Unexplained (opening difference or earlier periods)", s - g - explained, "check")
        )
        rows += [
            {"currency": cur, "line": i, "label": lab, "amount": amt, "kind": kind}
            for i, (lab, amt, kind) in enumerate(lines, start=1)
        ]
    return _statement_frame(rows)


def _statement_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=RECON_STATEMENT.names)
    out["amount"] = pd.array(list(out["amount"]), dtype="Int64")
    out["line"] = out["line"].astype("Int64")
    return out.astype({"currency": object, "label": object, "kind": object})


ROLL_TYPES = (
    ("invoice", "Add: invoices"),
    ("debit_note", "Add: debit notes"),
    ("credit_note", "Less: credit notes"),
    ("payment", "Less: receipts"),
    ("advance", "Less: advances received"),
    ("write_off", "Less: write-offs"),
)


def rollforward(
    opening: Mapping[str, int], transactions: pd.DataFrame, closing: Mapping[str, int]
) -> pd.DataFrame:
    """Opening + the period's movements by type = computed closing, against the subledger."""
    kinds = text(transactions, "document_type").str.lower()
    amounts = money(transactions, "amount")
    curs = text(transactions, "currency")
    rows: list[dict[str, object]] = []
    for cur in sorted(set(opening) | set(closing) | set(curs)):
        o = int(opening.get(cur, 0))
        lines: list[tuple[str, int | None, str]] = [("Opening receivables", o, "balance")]
        total = o
        known = set()
        for kind, label in ROLL_TYPES:
            v = int(amounts[curs.eq(cur) & kinds.eq(kind)].sum())
            known.add(kind)
            lines.append((label, v, "item"))
            total += v
        other = int(amounts[curs.eq(cur) & ~kinds.isin(known)].sum())
        lines.append(("Other adjustments", other, "item"))
        total += other
        c = int(closing.get(cur, 0))
        lines += [
            ("Computed closing receivables", total, "subtotal"),
            ("Open items (subledger)", c, "balance"),
            ("Difference (computed - open items)", total - c, "check"),
        ]
        rows += [
            {"currency": cur, "line": i, "label": lab, "amount": amt, "kind": kind}
            for i, (lab, amt, kind) in enumerate(lines, start=1)
        ]
    return _statement_frame(rows)


# --------------------------------------------------------------------------- entry


def _both_sides(
    open_items: pd.DataFrame, trial_balance: pd.DataFrame, company: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, list[Finding]]:
    """The subledger items and GL control accounts of ``company`` with each side's
    totals per currency; a finding when no account is flagged as a control account."""
    findings: list[Finding] = []
    oi = open_items
    if company is not None and "company" in oi:
        oi = oi[text(oi, "company").eq(company)]
    ctrl = control_accounts(trial_balance, company)
    if ctrl.empty:
        findings.append(
            warning(
                Location("trial_balance"),
                "NO_CONTROL_ACCOUNT",
                "no trial-balance account is flagged as a receivables control account",
                "Write 'yes' in the is_ar_control column of the receivables accounts.",
            )
        )
    sub_t = side_totals(oi, "amount_open")
    gl_t = side_totals(ctrl.rename(columns={"balance": "amount"}), "amount")
    return oi, ctrl, sub_t, gl_t, findings


def reconcile_gl(
    open_items: pd.DataFrame,
    trial_balance: pd.DataFrame,
    *,
    transactions: pd.DataFrame | None = None,
    postings: pd.DataFrame | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    company: str | None = None,
    opening_balance: Mapping[str, int] | None = None,
    policy: GLPolicy | None = None,
) -> Reconciliation:
    """Reconcile the AR subledger with the GL control accounts; see the module doc."""
    policy = policy or GLPolicy()
    _, ctrl, sub_t, gl_t, findings = _both_sides(open_items, trial_balance, company)
    sub = {
        c: (int(n), int(v))
        for c, n, v in zip(sub_t["currency"], sub_t["items"], sub_t["total"], strict=True)
    }
    gl = {
        c: (int(n), int(v))
        for c, n, v in zip(gl_t["currency"], gl_t["items"], gl_t["total"], strict=True)
    }
    accounts = {
        str(cur): ", ".join(sorted(set(text(g, "account"))))
        for cur, g in ctrl.groupby(text(ctrl, "currency"))
    }
    movements = transactions is not None and postings is not None
    if movements:
        assert transactions is not None and postings is not None
        if len(ctrl) and "account" in postings:
            on_control = text(postings, "account").isin(set(text(ctrl, "account")))
            if on_control.any():
                postings = postings[on_control]
        items, left, right = _movement_items(transactions, postings, period, policy)
        left_in, right_in = side_totals(left, "amount"), side_totals(right, "amount")
    else:
        items = _balance_items(sub, gl)
        left_in, right_in = sub_t, gl_t
    result = finish("gl", "AR subledger", "GL", left_in, right_in, items, CAUSES, findings)
    sub_bal = {c: v for c, (_, v) in sub.items()}
    gl_bal = {c: v for c, (_, v) in gl.items()}
    result.statement = _statement(sub_bal, gl_bal, accounts, result.breakdown, movements)
    result.findings.extend(_gl_findings(result.statement, sub_bal, gl_bal, accounts, movements))
    checks = result.statement[result.statement["kind"].eq("check")]
    result.controls += [
        Control(
            "Reconciliation statement",
            "Unexplained difference (subledger - GL)",
            str(c),
            int(a),
            int(a) == 0,
        )
        for c, a in zip(checks["currency"], checks["amount"], strict=True)
    ]
    if opening_balance is not None and transactions is not None:
        moves = transactions
        if period is not None:
            moves = transactions[_in_period(pd.to_datetime(transactions["posting_date"]), period)]
        result.extra["rollforward"] = rollforward(opening_balance, moves, sub_bal)
    return result


# --------------------------------------------------------------------------- tie-out


def close_movements(payments: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """The subledger movements of a close's cash application (``ar_transactions``
    shape), one per payment that moved the subledger: minus what was applied
    automatically to documents and minus what is left unapplied (aged as a credit).
    The short-payment differences go to expense accounts, not to the receivables."""
    if payments.empty:
        return _movements_frame([], [], [], [], [], [])
    auto = allocations[
        text(allocations, "status").eq("auto") & text(allocations, "document_id").ne("")
    ]
    applied = money(auto, "amount_applied").groupby(text(auto, "payment_id")).sum()
    left = unapplied_cash(payments, allocations).set_index("payment_id")["amount_unapplied"]
    pay = payments.drop_duplicates("payment_id").set_index("payment_id")
    ids = pay.index.astype(str)
    moved = -(
        applied.reindex(ids).fillna(0).astype("int64").to_numpy()
        + left.reindex(ids).fillna(0).astype("int64").to_numpy()
    )
    who = (
        allocations.drop_duplicates("payment_id").set_index("payment_id")["customer_id"]
        if len(allocations)
        else pd.Series(dtype=object)
    )
    keep = moved != 0
    return _movements_frame(
        list(ids[keep]),
        list(pay["value_date"].to_numpy()[keep]),
        list(pay["currency"].astype(str).to_numpy()[keep]),
        list(moved[keep]),
        list(who.reindex(ids).fillna("").astype(str).to_numpy()[keep]),
        list(text(pay, "bank_reference").to_numpy()[keep]),
    )


def _movements_frame(
    ids: list[str],
    dates: list[object],
    curs: list[str],
    amounts: list[int],
    customers: list[str],
    refs: list[str],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "transaction_id": pd.Series(ids, dtype=object),
            "document_id": pd.Series(ids, dtype=object),
            "document_type": pd.Series(["payment"] * len(ids), dtype=object),
            "customer_id": pd.Series(customers, dtype=object),
            "posting_date": pd.to_datetime(pd.Series(dates, dtype=object)).astype("datetime64[ns]"),
            "currency": pd.Series(curs, dtype=object),
            "amount": pd.array([int(a) for a in amounts], dtype="Int64"),
            "reference": pd.Series(refs, dtype=object),
            "company": pd.Series([""] * len(ids), dtype=object),
        }
    )


def tie_out(
    subledger: pd.DataFrame,
    trial_balance: pd.DataFrame,
    *,
    as_of: dt.date,
    gl_lines: pd.DataFrame | None = None,
    pending: pd.DataFrame | None = None,
    known: Iterable[str] = (),
    company: str | None = None,
    policy: GLPolicy | None = None,
) -> Reconciliation:
    """The aging total against the GL control accounts, with explanation lines; see the
    module doc. ``subledger``: the aged items (``open_items`` shape, credits and
    unapplied cash included); ``gl_lines``: ``gl_postings`` of the control accounts;
    ``pending``: subledger movements not yet posted (``ar_transactions`` shape, e.g.
    :func:`close_movements`); ``known``: other document ids the subledger has (settled
    in the period), so that GL lines naming them are not taken as GL-only."""
    policy = policy or GLPolicy()
    oi, ctrl, sub_t, gl_t, findings = _both_sides(subledger, trial_balance, company)
    cut = pd.Timestamp(as_of)
    docs = text(oi, "document_id").map(compact)
    subledger_docs = set(docs) - {""}
    given = _empty_postings() if gl_lines is None else gl_lines
    lines = _side(given, "posting_id", "posting_date", "document_id")
    if gl_lines is not None and len(ctrl) and "account" in gl_lines:
        on_control = text(gl_lines, "account").isin(set(text(ctrl, "account")))
        if on_control.any():
            lines = _side(gl_lines[on_control], "posting_id", "posting_date", "document_id")
    moves = (
        _side(pending, "transaction_id", "posting_date", "document_id")
        if pending is not None
        else lines.iloc[0:0]
    )
    named = (set(lines["doc"]) | set(lines["ref"])) - {""}
    moves = moves[~moves["doc"].isin(named)]
    all_known = (
        subledger_docs
        | set(moves["doc"])
        | {compact(k) for k in known}
        | set(text(pending, "document_id").map(compact) if pending is not None else [])
    )
    upto = lines[lines["date"].le(cut)]
    after = lines[lines["date"].gt(cut) & lines["doc"].isin(subledger_docs)]
    fx_all = _words_match(upto["words"], policy.fx_words)
    by_hand = (
        upto["source"].map(lambda x: strip_accents(x).upper().strip()).isin(policy.manual_sources)
    )
    named = (upto["doc"].ne("") & upto["doc"].isin(all_known)) | (
        upto["ref"].ne("") & upto["ref"].isin(all_known)
    )
    # a revaluation or a manual journal explains, whatever document it names
    keep = (~named | fx_all | by_hand).to_numpy(dtype=bool)
    explained = upto[keep]
    fx = fx_all.to_numpy(dtype=bool)[keep]
    manual = (by_hand.to_numpy(dtype=bool) | upto["doc"].eq("").to_numpy())[keep]
    cause = np.select([fx, manual], ["gl_only_fx", "gl_only_manual"], "gl_only")
    gl_words = {
        "gl_only_fx": "FX revaluation of the receivables booked in the GL only: the subledger "
        "keeps document amounts; explain it here or revalue the subledger",
        "gl_only_manual": "a manual journal to the receivables control account: it should go "
        "through the subledger (a credit note, an adjustment document); reverse it or "
        "document it",
        "gl_only": "posted to the GL only: the subledger has no document {doc} (not open, "
        "not in this close): check the document number and the customer account",
    }
    items = concat_items(
        [
            items_table(
                len(explained),
                section="right_only",
                rule="GL line to the control account",
                party=explained["party"].to_numpy(),
                currency=explained["currency"].to_numpy(),
                right_ids=explained["id"].to_numpy(),
                right_date=explained["date"].to_numpy(),
                right_amount=explained["amount"].to_numpy(),
                cause=cause,
                explanation=[
                    gl_words[c].format(doc=d)
                    for c, d in zip(cause, explained["doc_text"], strict=True)
                ],
                right_rows=explained["row"].to_numpy(),
            ),
            items_table(
                len(after),
                section="left_only",
                rule="subledger document posted to the GL after the cut-off",
                party=after["party"].to_numpy(),
                currency=after["currency"].to_numpy(),
                left_ids=after["doc_text"].to_numpy(),
                left_date=after["date"].to_numpy(),
                left_amount=after["amount"].to_numpy(),
                cause="timing",
                explanation=[
                    f"in the subledger at the cut-off, posted to the GL on {d:%Y-%m-%d} "
                    f"({i}): it will be in next period's GL balance"
                    for d, i in zip(after["date"], after["id"], strict=True)
                ],
                left_rows=after["row"].to_numpy(),
            ),
            items_table(
                len(moves),
                section="left_only",
                rule="subledger movement of this close",
                party=moves["party"].to_numpy(),
                currency=moves["currency"].to_numpy(),
                left_ids=moves["id"].to_numpy(),
                left_date=moves["date"].to_numpy(),
                left_amount=moves["amount"].to_numpy(),
                cause="cash_not_posted",
                explanation="applied in this close and not yet in the GL: post the receipts "
                "(cuadre post) and the difference goes away",
                left_rows=moves["row"].to_numpy(),
            ),
        ]
    )
    sub = _by_currency(sub_t)
    gl = _by_currency(gl_t)
    items = concat_items([items, _rest_rows(items, sub, gl)])
    result = finish("gl_tie_out", "AR subledger", "GL", sub_t, gl_t, items, CAUSES, findings)
    accounts = {
        str(cur): ", ".join(sorted(set(text(g, "account"))))
        for cur, g in ctrl.groupby(text(ctrl, "currency"))
    }
    sub_bal = {c: v for c, (_, v) in sub.items()}
    gl_bal = {c: v for c, (_, v) in gl.items()}
    result.statement = tie_out_statement(result.breakdown, sub_bal, gl_bal, accounts)
    result.findings.extend(_gl_findings(result.statement, sub_bal, gl_bal, accounts, True))
    checks = result.statement[result.statement["kind"].eq("check")]
    result.controls += [
        Control(
            "Reconciliation statement",
            "Unexplained difference (subledger - GL)",
            str(c),
            int(a),
            int(a) == 0,
        )
        for c, a in zip(checks["currency"], checks["amount"], strict=True)
    ]
    return result


def _empty_postings() -> pd.DataFrame:
    from cuadre.model.tables import empty_table
    from cuadre.reconcile.tables import GL_POSTINGS

    return empty_table(GL_POSTINGS)


def _by_currency(totals: pd.DataFrame) -> dict[str, tuple[int, int]]:
    return {
        str(c): (int(n), int(v))
        for c, n, v in zip(totals["currency"], totals["items"], totals["total"], strict=True)
    }


def _rest_rows(
    items: pd.DataFrame, sub: dict[str, tuple[int, int]], gl: dict[str, tuple[int, int]]
) -> pd.DataFrame:
    """One row per currency: the part of each balance the explanation lines do not
    explain (all the items of each side are counted here)."""
    left = items["left_amount"].fillna(0).astype("int64").groupby(items["currency"]).sum()
    right = items["right_amount"].fillna(0).astype("int64").groupby(items["currency"]).sum()
    rows: list[dict[str, object]] = []
    for cur in sorted(set(sub) | set(gl) | set(items["currency"])):
        (ln, la), (rn, ra) = sub.get(cur, (0, 0)), gl.get(cur, (0, 0))
        a, b = la - int(left.get(cur, 0)), ra - int(right.get(cur, 0))
        same = a == b
        rows.append(
            {
                "section": "matched" if same else "difference",
                "rule": "balances, after the explained lines",
                "confidence": 1.0,
                "currency": cur,
                "left_ids": f"{ln} open items",
                "left_count": ln,
                "left_amount": a,
                "right_ids": f"{rn} control accounts",
                "right_count": rn,
                "right_amount": b,
                "difference": a - b,
                "cause": "" if same else "unexplained",
                "explanation": ""
                if same
                else "not explained by the GL lines given: an opening difference, or "
                "postings of earlier periods; compare last period's tie-out",
            }
        )
    if not rows:
        return items_table(0)
    return items_table(len(rows), **{c: [r[c] for r in rows] for c in rows[0]})


TIE_OUT_ORDER = ("cash_not_posted", "timing", "gl_only", "gl_only_manual", "gl_only_fx")


def tie_out_statement(
    breakdown: pd.DataFrame,
    sub: dict[str, int],
    gl: dict[str, int],
    accounts: dict[str, str],
) -> pd.DataFrame:
    """Aging total, GL balance, difference, one line per cause, unexplained remainder."""
    rows: list[dict[str, object]] = []
    for cur in sorted(set(sub) | set(gl) | set(breakdown["currency"])):
        s, g = sub.get(cur, 0), gl.get(cur, 0)
        b = breakdown[breakdown["currency"].eq(cur)]
        by_cause = dict(zip(b["cause"], b["amount"], strict=True))
        lines: list[tuple[str, int | None, str]] = [
            ("Aging total (AR subledger after this close)", s, "balance"),
            (f"Balance per GL control accounts ({accounts.get(cur, '')})", g, "balance"),
            ("Difference (aging - GL)", s - g, "subtotal"),
        ]
        explained = 0
        for cause in TIE_OUT_ORDER:
            amount = int(by_cause.get(cause, 0))
            lines.append((f"Explained: {CAUSES[cause]}", amount, "item"))
            explained += amount
        lines.append(("Explained by the lines above", explained, "subtotal"))
        lines.append(("Unexplained remainder", s - g - explained, "check"))
        rows += [
            {"currency": cur, "line": i, "label": lab, "amount": amt, "kind": kind}
            for i, (lab, amt, kind) in enumerate(lines, start=1)
        ]
    return _statement_frame(rows)


def _gl_findings(
    statement: pd.DataFrame,
    sub: dict[str, int],
    gl: dict[str, int],
    accounts: dict[str, str],
    movements: bool,
) -> list[Finding]:
    out = []
    checks = statement[statement["kind"].eq("check")]
    for cur, amount in zip(checks["currency"], checks["amount"], strict=True):
        if int(amount) == 0:
            continue
        s, g = sub.get(cur, 0), gl.get(cur, 0)
        higher = "ledger" if s > g else "GL"
        out.append(
            warning(
                Location("trial_balance"),
                "GL_DIFFERENCE",
                f"AR ledger {show(s, cur)} != GL {accounts.get(cur, '(no control account)')} "
                f"{show(g, cur)} ({higher} {show(abs(s - g), cur)} higher); "
                + (
                    f"{show(int(amount), cur)} is not explained by the period's items"
                    if movements
                    else "no period movements were given to explain it"
                ),
                "Compare the opening balances, then look for journals posted to the control "
                "account directly, timing and FX revaluation in earlier periods.",
            )
        )
    return out


__all__ = [
    "CAUSES",
    "GLPolicy",
    "close_movements",
    "control_accounts",
    "reconcile_gl",
    "rollforward",
    "tie_out",
    "tie_out_statement",
]
