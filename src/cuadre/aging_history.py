"""As-of aging rebuilt from the receivables history, proven by a roll-forward.

What
    ``build_ledger(history, applications) -> (Ledger, findings)`` turns the history of the
    customer accounts into a ledger of dated movements. From it:

    - ``aging_as_of(ledger, as_of, ...) -> (aging, findings)``: the aging table of the
      contract at any past date, including the items cleared since (the FBL5N "key
      date" view);
    - ``roll_forward(ledger, period_start, period_end, by) -> (table, findings)``:
      opening AR + invoices + debit notes - credit notes - receipts +/- adjustments =
      closing AR, checked against the aging total rebuilt at the closing date;
    - ``compare_open_items(ledger, open_items, as_of)``: the rebuilt open items against
      the open-items export of that day (rebuilding today must give today's aging).

Why
    Auditors ask for the aging at the balance-sheet date months later, after many of its
    invoices were paid; ERP agings (Odoo, ERPNext) can only show today. Rebuilding from
    the dated history gives the figure, and the roll-forward shows it ties to the flows.

Inputs
    ``history`` (schema :data:`AR_HISTORY`): every customer line item, open or cleared:
    the contract's open_items columns plus ``clearing_date`` and ``clearing_document``.
    A plain open_items table is a valid history (nothing cleared yet); so is an SAP
    FBL5N "all items" export (cleared items carry their clearing date and document) or
    open items plus the documents cleared since. ``applications`` (schema
    :data:`AR_APPLICATIONS`, optional): dated partial settlements of an item
    (``applications_from_allocations`` builds them from Cuadre's allocations).

Rules (the open amount of one item at the end of day D)
    ``open(D) = posting[posted <= D] - sum(amount_applied of applications dated <= D)
    + clearing[clearing_date <= D]``, where

    - ``posted`` is ``posting_date`` when the history has it, else ``document_date``;
    - an item still open has ``posting = amount_open + its applications`` (so the
      rebuild on the day of the export gives exactly the exported open amounts); an
      ``amount_original`` that disagrees is reported (``UNDATED_SETTLEMENT``: a part was
      settled on a date the history does not give). Without ``amount_open`` the
      posting is ``amount_original``;
    - a cleared item has ``posting = amount_original`` and its clearing takes the rest
      to zero on ``clearing_date``;
    - applications match items by document_id (and due_date for installments; without
      it, the earliest installment). Applications dated before the posting are moved to
      the posting date, applications after the clearing date are ignored: both reported.

Roll-forward
    Postings in the period are classified by document type (``invoice`` -> invoices,
    ``debit_note`` -> debit_notes, ``credit_note`` -> credit_notes, ``payment`` and
    ``advance`` -> receipts, ``adjustment`` -> adjustments). Settlements (clearings and
    applications) are grouped by the settling document (clearing document or the
    application's applying_document) and day: when that document is itself an item of
    the history (a payment or credit note posted to the customer account) the group
    only moves amounts between items and should net to zero; what does not is a
    clearing difference (adjustments). When it is not an item (the history lists only
    invoices, or an SAP clearing document AB) its net is money or credit that reduced
    AR without being posted as an item: receipts. Closing = opening + the flows; it
    must equal the aging total rebuilt at the closing date (``ROLL_FORWARD_DIFFERENCE``
    otherwise).

Reference: SAP FBL5N (customer line items, "open at key date"); shared DOMAIN.md
(roll-forward of receivables); docs/collections.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from cuadre.aging import DEFAULT_BUCKETS, age_receivables
from cuadre.findings import Finding, Location, error, warning
from cuadre.model.tables import (
    DOCUMENT_TYPES,
    OPEN_ITEMS,
    PROVENANCE,
    Column,
    Kind,
    TableSchema,
)
from cuadre.money import format_amount

Array = np.ndarray[Any, Any]
Basis = Literal["due_date", "document_date"]

AR_HISTORY = TableSchema(
    name="ar_history",
    sheet="History",
    description="Every customer line item, open or cleared, with its clearing date.",
    key=("company", "document_id", "due_date"),
    sort_by=("customer_id", "document_date", "document_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True, "customer account number in the ERP"),
        Column("customer_name", Kind.TEXT),
        Column("document_id", Kind.TEXT, True, "invoice / credit note / payment number"),
        Column("document_type", Kind.ENUM, True, "kind of document", DOCUMENT_TYPES),
        Column("document_date", Kind.DATE, True, "issue or posting date"),
        Column("due_date", Kind.DATE, False, "net due date"),
        Column("currency", Kind.CURRENCY, True, "document currency (ISO 4217)"),
        Column("amount_original", Kind.MONEY, False, "amount posted, signed"),
        Column("amount_open", Kind.MONEY, False, "open today (items not cleared), signed"),
        Column("clearing_date", Kind.DATE, False, "day the item was cleared; empty while open"),
        Column("clearing_document", Kind.TEXT, False, "payment or clearing document"),
        Column("reference", Kind.TEXT),
        Column("tax_id", Kind.TEXT),
        Column("fiscal_uuid", Kind.TEXT),
        Column("company", Kind.TEXT),
    ),
)
"""The history table: open_items columns plus the clearing date and document."""

AR_APPLICATIONS = TableSchema(
    name="applications",
    sheet="Applications",
    description="Dated partial settlements of history items.",
    sort_by=("applied_date", "document_id"),
    columns=(
        Column("document_id", Kind.TEXT, True, "the item settled"),
        Column("due_date", Kind.DATE, False, "installment; empty: the earliest one"),
        Column("customer_id", Kind.TEXT),
        Column("currency", Kind.CURRENCY, True, "the item's currency"),
        Column("applied_date", Kind.DATE, True, "day the settlement took effect"),
        Column("amount_applied", Kind.MONEY, True, "reduces the open amount, item's sign"),
        Column("applying_document", Kind.TEXT, False, "payment or credit note that settled it"),
    ),
)
"""Partial settlements: what reduced an item, when and by which document."""

FLOW_CATEGORIES = ("invoices", "debit_notes", "credit_notes", "receipts", "adjustments")
CATEGORY_OF_TYPE = {
    "invoice": "invoices",
    "debit_note": "debit_notes",
    "credit_note": "credit_notes",
    "payment": "receipts",
    "advance": "receipts",
    "adjustment": "adjustments",
}

ROLL_FORWARD = TableSchema(
    name="roll_forward",
    sheet="RollForward",
    description="Opening AR + flows of the period = closing AR = aging total.",
    sort_by=("currency", "customer_id"),
    columns=(
        Column("currency", Kind.CURRENCY, True),
        Column("customer_id", Kind.TEXT),
        Column("customer_name", Kind.TEXT),
        Column("period_start", Kind.DATE, True),
        Column("period_end", Kind.DATE, True),
        Column("opening", Kind.MONEY, True, "open AR at the end of the day before the period"),
        Column("invoices", Kind.MONEY, True),
        Column("debit_notes", Kind.MONEY, True),
        Column("credit_notes", Kind.MONEY, True, "negative"),
        Column("receipts", Kind.MONEY, True, "negative: payments, advances, cash settlements"),
        Column("adjustments", Kind.MONEY, True, "adjustment documents and clearing differences"),
        Column("closing", Kind.MONEY, True, "opening + the flows"),
        Column("aging_total", Kind.MONEY, True, "aging rebuilt at period_end"),
        Column("difference", Kind.MONEY, True, "closing - aging_total: zero"),
    ),
)

_ITEM_COLUMNS = [*OPEN_ITEMS.names, *PROVENANCE]
_NS = "datetime64[ns]"


# --------------------------------------------------------------------------- helpers


def _day(value: dt.date | pd.Timestamp | str) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).normalize().to_datetime64(), "ns")


def _text(frame: pd.DataFrame, name: str, clean: bool = False) -> pd.Series:
    """A text column as ``object`` (``""`` when the frame lacks it). Engine tables hold
    ``""`` for empty text already; ``clean`` also turns missing values into ``""``."""
    if name not in frame:
        return pd.Series(np.full(len(frame), "", dtype=object), index=frame.index)
    s = frame[name]
    if clean or s.dtype != object:
        s = s.astype(object).where(s.notna(), "")
    return s


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype=_NS)
    return pd.to_datetime(frame[name]).astype(_NS)


def _na_money(n: int) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))


def _money(frame: pd.DataFrame, name: str) -> tuple[Array, Array]:
    """(int64 values with 0 for missing, present mask)."""
    if name not in frame:
        return np.zeros(len(frame), dtype=np.int64), np.zeros(len(frame), dtype=bool)
    s = pd.Series(frame[name], copy=False).astype("Int64")
    present = s.notna().to_numpy()
    return s.fillna(0).to_numpy(dtype=np.int64), present


def _member(values: pd.Series, known: set[str]) -> Array:
    """``values`` found in ``known``: one C-level pass (``map`` of ``set.__contains__``),
    several times faster than ``Series.isin`` on millions of strings."""
    return np.fromiter(map(known.__contains__, values.to_numpy()), dtype=bool, count=len(values))


def _where(frame: pd.DataFrame, mask: Array, table: str) -> Location:
    """Location of the first row in ``mask`` (file:row when the frame has provenance)."""
    first = int(np.flatnonzero(mask)[0])
    if "source_row" in frame and "source_path" in frame:
        row = frame["source_row"].iloc[first]
        path = frame["source_path"].iloc[first]
        sheet = frame["source_sheet"].iloc[first] if "source_sheet" in frame else ""
        if pd.notna(row):
            return Location(str(path) or table, int(row), None, str(sheet) or None)
    return Location(table)


def _first_ids(ids: pd.Series, mask: Array, k: int = 5) -> str:
    shown = [str(x) for x in ids.to_numpy()[mask][:k]]
    more = int(mask.sum()) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


# --------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class Ledger:
    """The history as dated movements per item; build it with :func:`build_ledger`.

    ``items`` has the open_items columns (``amount_open`` as exported, ignored here) and
    provenance, plus ``posted_on``, ``posting``, ``cleared_on``, ``clearing`` and
    ``clearing_document``. ``apps`` has one row per application: ``item`` (position in
    ``items``), ``date``, ``effect`` (signed change of the open amount) and ``group``
    (the applying document). Whether a settling document is itself an item (which
    decides receipts versus clearing differences in :meth:`flows`) is looked up in a
    set of the document ids built on first use.
    """

    items: pd.DataFrame
    apps: pd.DataFrame

    def __len__(self) -> int:
        return len(self.items)

    def open_at(self, as_of: dt.date | pd.Timestamp | str) -> Array:
        """Open amount of every item at the end of ``as_of`` (int64 minor units)."""
        d = _day(as_of)
        posted = self.items["posted_on"].to_numpy(dtype=_NS)
        cleared = self.items["cleared_on"].to_numpy(dtype=_NS)
        out = np.where(posted <= d, self.items["posting"].to_numpy(dtype=np.int64), 0)
        out = out + np.where(cleared <= d, self.items["clearing"].to_numpy(dtype=np.int64), 0)
        if len(self.apps):
            m = self.apps["date"].to_numpy(dtype=_NS) <= d
            np.add.at(
                out,
                self.apps["item"].to_numpy(dtype=np.int64)[m],
                self.apps["effect"].to_numpy(dtype=np.int64)[m],
            )
        return out.astype(np.int64)

    def open_items_at(
        self, as_of: dt.date | pd.Timestamp | str, basis: Basis = "due_date"
    ) -> pd.DataFrame:
        """The open_items table as it stood at the end of ``as_of`` (non-zero items).

        ``amount_original`` is the amount posted. With ``basis="document_date"`` the due
        date is replaced by the document date, so the aging counts days since issue.
        """
        amounts = self.open_at(as_of)
        keep = amounts != 0
        out = self.items.loc[keep, _ITEM_COLUMNS].copy()
        out["amount_open"] = pd.array(amounts[keep], dtype="Int64")
        out["amount_original"] = pd.array(
            self.items["posting"].to_numpy(dtype=np.int64)[keep], dtype="Int64"
        )
        if basis == "document_date":
            out["due_date"] = out["document_date"]
        elif basis != "due_date":
            raise ValueError(f'basis must be "due_date" or "document_date", not {basis!r}')
        return out.reset_index(drop=True)

    def flows(
        self,
        period_start: dt.date | pd.Timestamp | str,
        period_end: dt.date | pd.Timestamp | str,
        customers: Sequence[str] | None = None,
        *,
        settled_documents: bool = False,
    ) -> pd.DataFrame:
        """Every change of AR between the two days (inclusive), one row per posting and
        per settlement group (settling document, customer, currency, day).

        Columns: ``customer_id``, ``currency``, ``date``, ``category`` (one of
        :data:`FLOW_CATEGORIES`), ``document_id`` (the item posted, or the settling
        document), ``document_type`` (the item's; ``payment`` or ``clearing`` for
        settlements), ``due_date``, ``reference``, ``amount`` (signed) and, with
        ``settled_documents``, ``settles`` (the items a settlement touched).
        Sorted by customer, currency, date, postings before settlements, document.
        """
        lo, hi = _day(period_start), _day(period_end)
        items = self.items
        chosen = np.ones(len(items), dtype=bool)
        if customers is not None:
            chosen = items["customer_id"].isin(list(customers)).to_numpy()
        posted = items["posted_on"].to_numpy(dtype=_NS)
        posting = items["posting"].to_numpy(dtype=np.int64)
        m = chosen & (posted >= lo) & (posted <= hi) & (posting != 0)
        p = items.loc[m]
        postings = pd.DataFrame(
            {
                "customer_id": p["customer_id"].to_numpy(),
                "currency": p["currency"].to_numpy(),
                "date": posted[m],
                "category": p["document_type"].map(CATEGORY_OF_TYPE).fillna("adjustments"),
                "document_id": p["document_id"].to_numpy(),
                "document_type": p["document_type"].to_numpy(),
                "due_date": p["due_date"].to_numpy(dtype=_NS),
                "reference": p["reference"].to_numpy(),
                "amount": posting[m],
                "_order": 0,
            }
        )
        settlements = self._settlements(lo, hi, chosen, settled_documents)
        frames = [f for f in (postings, settlements) if len(f)]
        out = pd.concat(frames, ignore_index=True) if frames else postings.iloc[0:0]
        if settled_documents and "settles" not in out:
            out["settles"] = pd.Series([""] * len(out), dtype=object)
        if settled_documents:
            out["settles"] = out["settles"].fillna("")
        out = out.sort_values(
            ["customer_id", "currency", "date", "_order", "document_id"], kind="stable"
        )
        out["amount"] = out["amount"].astype("int64")
        return out.drop(columns="_order").reset_index(drop=True)

    def _settlements(
        self, lo: np.datetime64, hi: np.datetime64, chosen: Array, detail: bool
    ) -> pd.DataFrame:
        items = self.items
        cleared = items["cleared_on"].to_numpy(dtype=_NS)
        clearing = items["clearing"].to_numpy(dtype=np.int64)
        mc = chosen & (cleared >= lo) & (cleared <= hi) & (clearing != 0)
        idx = [np.flatnonzero(mc)]
        dates = [cleared[mc]]
        amounts = [clearing[mc]]
        groups = [items["clearing_document"].to_numpy()[mc]]
        if len(self.apps):
            a_date = self.apps["date"].to_numpy(dtype=_NS)
            a_item = self.apps["item"].to_numpy(dtype=np.int64)
            ma = (a_date >= lo) & (a_date <= hi) & chosen[a_item]
            idx.append(a_item[ma])
            dates.append(a_date[ma])
            amounts.append(self.apps["effect"].to_numpy(dtype=np.int64)[ma])
            groups.append(self.apps["group"].to_numpy()[ma])
        item = np.concatenate(idx)
        moves = pd.DataFrame(
            {
                "customer_id": items["customer_id"].to_numpy()[item],
                "currency": items["currency"].to_numpy()[item],
                "date": np.concatenate(dates),
                "group": pd.Series(np.concatenate(groups), dtype=object),
                "amount": np.concatenate(amounts),
            }
        )
        if detail:
            moves["settles"] = items["document_id"].to_numpy()[item]
        if moves.empty:
            return moves
        keys = ["customer_id", "currency", "date", "group"]
        agg: dict[str, tuple[str, Any]] = {"amount": ("amount", "sum")}
        if detail:
            agg["settles"] = ("settles", lambda s: "; ".join(sorted(set(s))))
        g = moves.groupby(keys, sort=False, as_index=False).agg(**agg)
        g = g[g["amount"] != 0]
        internal = g["group"].ne("").to_numpy() & _member(g["group"], self._document_ids)
        return g.assign(
            category=np.where(internal, "adjustments", "receipts"),
            document_id=g["group"],
            document_type=np.where(internal, "clearing", "payment"),
            due_date=pd.Series(pd.NaT, index=g.index, dtype=_NS),
            reference="",
            _order=1,
        ).drop(columns="group")

    @cached_property
    def _document_ids(self) -> set[str]:
        """Every item's document id: is a settling document itself an item?"""
        return set(self.items["document_id"].to_numpy())


def build_ledger(
    history: pd.DataFrame, applications: pd.DataFrame | None = None
) -> tuple[Ledger, list[Finding]]:
    """History (+ applications) -> ledger of dated movements; see the module docstring."""
    findings: list[Finding] = []
    h = history.reset_index(drop=True)
    docs = _text(h, "document_id")
    original, has_original = _money(h, "amount_original")
    open_now, has_open = _money(h, "amount_open")
    doc_date = _dates(h, "document_date")
    posted = doc_date
    if "posting_date" in h:
        posted = _dates(h, "posting_date").fillna(doc_date)
    cleared = _dates(h, "clearing_date")
    clearing_doc = _text(h, "clearing_document", clean=True)
    is_cleared = cleared.notna().to_numpy()

    unusable = (~has_original & ~has_open) | (is_cleared & ~has_original) | posted.isna().to_numpy()
    if unusable.any():
        findings.append(
            error(
                _where(h, unusable, "ar_history"),
                "HISTORY_ROW_UNUSABLE",
                f"{int(unusable.sum()):,} history rows have no date, or no amount "
                f"(a cleared item needs amount_original): {_first_ids(docs, unusable)}; "
                "they are left out",
                "Export the document date and the original amount of every item.",
            )
        )
    no_date = clearing_doc.ne("").to_numpy() & ~is_cleared
    if no_date.any():
        findings.append(
            warning(
                _where(h, no_date, "ar_history"),
                "CLEARING_DATE_MISSING",
                f"{int(no_date.sum()):,} items name a clearing document but no clearing date "
                f"({_first_ids(docs, no_date)}); they are treated as still open",
                "Add the clearing date (SAP AUGDT) to the export.",
            )
        )
    early = is_cleared & (cleared < posted).to_numpy()
    if early.any():
        findings.append(
            warning(
                _where(h, early, "ar_history"),
                "CLEARED_BEFORE_POSTED",
                f"{int(early.sum()):,} items are cleared before they were posted "
                f"({_first_ids(docs, early)}); they are taken as cleared on the posting date",
                "Check the clearing and document dates in the ERP.",
            )
        )
        cleared = cleared.where(~early, posted)
    stale = is_cleared & has_open & (open_now != 0)
    if stale.any():
        findings.append(
            warning(
                _where(h, stale, "ar_history"),
                "CLEARED_WITH_OPEN_AMOUNT",
                f"{int(stale.sum()):,} cleared items still show an open amount "
                f"({_first_ids(docs, stale)}); the clearing date wins",
                "Export amount_open as 0 (or empty) for cleared items.",
            )
        )

    keep = ~unusable
    h = h.loc[keep].reset_index(drop=True)
    original, has_original, open_now, has_open = (
        original[keep],
        has_original[keep],
        open_now[keep],
        has_open[keep],
    )
    posted = posted[keep].reset_index(drop=True)
    cleared = cleared[keep].reset_index(drop=True)
    clearing_doc = clearing_doc[keep].reset_index(drop=True)
    is_cleared = is_cleared[keep]

    items = pd.DataFrame(index=h.index)
    for col in OPEN_ITEMS.columns:
        if col.kind == Kind.DATE:
            items[col.name] = _dates(h, col.name)
        elif col.kind == Kind.MONEY:
            items[col.name] = h[col.name] if col.name in h else _na_money(len(h))
        else:
            items[col.name] = _text(h, col.name)
    for name in PROVENANCE:
        items[name] = h[name] if name in h else (_na_money(len(h)) if name == "source_row" else "")

    apps, app_findings = _applications(items, posted, cleared, applications)
    findings.extend(app_findings)
    applied = np.zeros(len(items), dtype=np.int64)
    if len(apps):
        np.add.at(
            applied, apps["item"].to_numpy(dtype=np.int64), apps["effect"].to_numpy(dtype=np.int64)
        )

    from_open = ~is_cleared & has_open
    posting = np.where(from_open, open_now - applied, original)
    differs = from_open & has_original & (posting != original)
    if differs.any():
        gap = int((original - posting)[differs].sum())
        cur = str(items["currency"].to_numpy()[differs][0])
        findings.append(
            warning(
                _where(items, differs, "ar_history"),
                "UNDATED_SETTLEMENT",
                f"{int(differs.sum()):,} open items were partly settled on dates the history "
                f"does not give (amount_original - settlements != amount_open; first: "
                f"{_first_ids(items['document_id'], differs)}; e.g. {format_amount(gap, cur)} "
                "in total in the first currency); they are rebuilt from their open amount",
                "Give the applications (partial payments with their dates) so that past "
                "dates show these items as they stood.",
            )
        )
    clearing = np.where(is_cleared, -(posting + applied), 0)
    items["posted_on"] = posted.to_numpy(dtype=_NS)
    items["posting"] = posting.astype(np.int64)
    items["cleared_on"] = cleared.to_numpy(dtype=_NS)
    items["clearing"] = clearing.astype(np.int64)
    items["clearing_document"] = clearing_doc.to_numpy()
    return Ledger(items, apps), findings


def _applications(
    items: pd.DataFrame,
    posted: pd.Series,
    cleared: pd.Series,
    applications: pd.DataFrame | None,
) -> tuple[pd.DataFrame, list[Finding]]:
    empty = pd.DataFrame(
        {
            "item": np.array([], dtype=np.int64),
            "date": np.array([], dtype=_NS),
            "effect": np.array([], dtype=np.int64),
            "group": np.array([], dtype=object),
        }
    )
    if applications is None or applications.empty:
        return empty, []
    findings: list[Finding] = []
    a = applications.reset_index(drop=True)
    docs = _text(a, "document_id")
    a_due = _dates(a, "due_date")
    amount, has_amount = _money(a, "amount_applied")
    a_date = _dates(a, "applied_date")

    # only the items applications name (a few) are sorted, not the whole history
    named = _member(items["document_id"], set(docs.unique()))
    cand = pd.DataFrame(
        {
            "document_id": items["document_id"].to_numpy()[named],
            "due_date": items["due_date"].to_numpy(dtype=_NS)[named],
            "_pos": np.flatnonzero(named),
        }
    )
    order = cand.sort_values(["document_id", "due_date"], kind="stable")
    first = order.drop_duplicates("document_id").set_index("document_id")["_pos"]
    exact = order.drop_duplicates(["document_id", "due_date"]).set_index(
        ["document_id", "due_date"]
    )["_pos"]
    item = docs.map(first)
    if a_due.notna().any():
        key = pd.MultiIndex.from_arrays([docs, a_due])
        hit = exact.reindex(key).to_numpy()
        found = ~pd.isna(hit)
        item = item.where(~found, pd.Series(hit, index=item.index))
    unknown = item.isna().to_numpy() | ~has_amount | a_date.isna().to_numpy()
    if unknown.any():
        findings.append(
            warning(
                _where(a, unknown, "applications"),
                "APPLICATION_UNKNOWN_DOCUMENT",
                f"{int(unknown.sum()):,} applications name no item of the history, or have no "
                f"date or amount ({_first_ids(docs, unknown)}); they are ignored",
                "Include the settled documents in the history (cleared items too).",
            )
        )
    ok = ~unknown
    it = item.to_numpy()[ok].astype(np.int64)
    dates = a_date.to_numpy(dtype=_NS)[ok]
    cur_bad = (_text(a, "currency").to_numpy()[ok] != items["currency"].to_numpy()[it]) & (
        _text(a, "currency").to_numpy()[ok] != ""
    )
    p_on = posted.to_numpy(dtype=_NS)[it]
    c_on = cleared.to_numpy(dtype=_NS)[it]
    late = ~np.isnat(c_on) & (dates > c_on)
    drop = late | cur_bad
    shown = pd.Series(docs.to_numpy()[ok])
    if cur_bad.any():
        findings.append(
            warning(
                _where(a.loc[ok].reset_index(drop=True), cur_bad, "applications"),
                "APPLICATION_CURRENCY",
                f"{int(cur_bad.sum()):,} applications are in another currency than their item "
                f"({_first_ids(shown, cur_bad)}); they are ignored",
                "Give amount_applied in the document's currency.",
            )
        )
    if late.any():
        findings.append(
            warning(
                _where(a.loc[ok].reset_index(drop=True), late, "applications"),
                "APPLICATION_AFTER_CLEARING",
                f"{int(late.sum()):,} applications are dated after their item was cleared "
                f"({_first_ids(shown, late)}); they are ignored",
                "Check the clearing date or the application date.",
            )
        )
    before = ~drop & (dates < p_on)
    if before.any():
        findings.append(
            warning(
                _where(a.loc[ok].reset_index(drop=True), before, "applications"),
                "APPLICATION_BEFORE_POSTING",
                f"{int(before.sum()):,} applications are dated before their item was posted "
                f"({_first_ids(shown, before)}); they are taken on the posting date",
                "Check the application and document dates.",
            )
        )
        dates = np.where(before, p_on, dates)
    keep = ~drop
    out = pd.DataFrame(
        {
            "item": it[keep],
            "date": dates[keep].astype(_NS),
            "effect": -amount[ok][keep],
            "group": _text(a, "applying_document", clean=True).to_numpy()[ok][keep],
        }
    )
    return out.sort_values(["date", "item"], kind="stable").reset_index(drop=True), findings


# --------------------------------------------------------------------------- outputs


def aging_as_of(
    ledger: Ledger,
    as_of: dt.date,
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
    customers: pd.DataFrame | None = None,
    basis: Basis = "due_date",
) -> tuple[pd.DataFrame, list[Finding]]:
    """The contract's aging table at ``as_of``, rebuilt from the ledger.

    Ages by due date (``basis="due_date"``, the contract's rule: no due date -> document
    date + terms, reported) or by days since the document date.
    """
    return age_receivables(ledger.open_items_at(as_of, basis), as_of, buckets, customers)


def roll_forward(
    ledger: Ledger,
    period_start: dt.date,
    period_end: dt.date,
    by: Sequence[str] = ("currency",),
    customers: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Opening + flows = closing, per ``by`` (``("currency",)`` or
    ``("currency", "customer_id")``), checked against the aging rebuilt at the end.

    Returns the :data:`ROLL_FORWARD` table (``customer_id``/``customer_name`` empty when
    not by customer) and findings (``ROLL_FORWARD_DIFFERENCE`` when a row does not tie).
    """
    keys = list(by)
    if keys not in (["currency"], ["currency", "customer_id"]):
        raise ValueError('by must be ("currency",) or ("currency", "customer_id")')
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    items = ledger.items
    before = period_start - dt.timedelta(days=1)
    columns = ["opening", *FLOW_CATEGORIES, "aging_total"]

    def part(frame: pd.DataFrame, what: pd.Series | str, value: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                **{k: frame[k].to_numpy(dtype=object) for k in keys},
                "what": what if isinstance(what, str) else what.to_numpy(),
                "v": frame[value].to_numpy(dtype=np.int64),
            }
        )

    opening = (
        pd.DataFrame({**{k: items[k].to_numpy() for k in keys}, "v": ledger.open_at(before)})
        .groupby(keys, as_index=False)["v"]
        .sum()
    )
    flows = ledger.flows(period_start, period_end)
    aging, findings = aging_as_of(ledger, period_end, customers=customers)
    aging = aging.assign(total=aging["total"].fillna(0))
    long = pd.concat(
        [
            part(opening, "opening", "v"),
            part(flows, flows["category"], "amount"),
            part(aging, "aging_total", "total"),
        ],
        ignore_index=True,
    )
    sums = long.groupby([*keys, "what"])["v"].sum()
    out = sums.unstack("what", fill_value=0).reindex(columns=columns, fill_value=0)
    out = out.astype("int64")
    out["closing"] = out["opening"] + out[list(FLOW_CATEGORIES)].sum(axis=1)
    out["difference"] = out["closing"] - out["aging_total"]
    quiet = out[["opening", *FLOW_CATEGORIES, "closing", "aging_total"]].eq(0).all(axis=1)
    out = out[~quiet].reset_index()
    if "customer_id" not in out:
        out["customer_id"] = ""
        out["customer_name"] = ""
    else:
        named = items[items["customer_name"].ne("")]
        names = named.drop_duplicates("customer_id").set_index("customer_id")["customer_name"]
        if customers is not None and len(customers):
            master = customers.drop_duplicates("customer_id").set_index("customer_id")
            names = master["customer_name"].combine_first(names)
        out["customer_name"] = out["customer_id"].map(names).astype(object).fillna("")
    out["period_start"] = pd.Timestamp(period_start)
    out["period_end"] = pd.Timestamp(period_end)
    for c in ROLL_FORWARD.of_kind(Kind.MONEY):
        out[c] = out[c].astype("Int64")
    out = out[ROLL_FORWARD.names].sort_values(["currency", "customer_id"], kind="stable")
    out = out.reset_index(drop=True)
    bad = out[out["difference"] != 0]
    for _, r in bad.head(20).iterrows():
        who = f" {r['customer_id']}" if r["customer_id"] else ""
        findings.append(
            error(
                Location("roll_forward"),
                "ROLL_FORWARD_DIFFERENCE",
                f"roll-forward{who} {r['currency']}: opening {format_amount(r['opening'], r['currency'])}"
                f" + flows = {format_amount(r['closing'], r['currency'])} != aging total "
                f"{format_amount(r['aging_total'], r['currency'])}",
                "Report this: the ledger and the rebuilt aging disagree.",
            )
        )
    return out, findings


def compare_open_items(
    ledger: Ledger, open_items: pd.DataFrame, as_of: dt.date
) -> tuple[pd.DataFrame, list[Finding]]:
    """Rebuilt open items at ``as_of`` against an open-items export of that day.

    Returns one row per document and currency that differs (``document_id``,
    ``currency``, ``rebuilt``, ``exported``, ``difference``) and a finding per currency
    (``REBUILD_DIFFERS``, an error: the history does not explain the export).
    """
    rebuilt = ledger.open_items_at(as_of)
    keys = ["document_id", "currency"]

    def sums(frame: pd.DataFrame) -> pd.Series:
        return (
            frame["amount_open"].fillna(0).astype("int64").groupby([frame[k] for k in keys]).sum()
        )

    a, b = sums(rebuilt), sums(open_items)
    index = a.index.union(b.index)
    diff = pd.DataFrame(
        {"rebuilt": a.reindex(index).fillna(0), "exported": b.reindex(index).fillna(0)}
    ).astype("int64")
    diff["difference"] = diff["rebuilt"] - diff["exported"]
    diff = diff[diff["difference"] != 0].reset_index()
    findings: list[Finding] = []
    for cur, part in diff.groupby("currency"):
        c = str(cur)
        findings.append(
            error(
                Location("open_items"),
                "REBUILD_DIFFERS",
                f"the history rebuilt at {as_of:%Y-%m-%d} gives "
                f"{format_amount(int(part['rebuilt'].sum()), c)} on {len(part):,} documents "
                f"where the open items show {format_amount(int(part['exported'].sum()), c)} "
                f"(first: {', '.join(part['document_id'].head(5))})",
                "Export the history and the open items on the same day, with the cleared items "
                "and the partial payments.",
            )
        )
    for c in ("rebuilt", "exported", "difference"):
        diff[c] = diff[c].astype("Int64")
    return diff, findings


def applications_from_allocations(
    allocations: pd.DataFrame, payments: pd.DataFrame
) -> pd.DataFrame:
    """Cuadre's ``auto`` allocations -> applications dated by the payment's value date."""
    auto = allocations[allocations["status"].eq("auto") & allocations["document_id"].ne("")]
    dates = payments.drop_duplicates("payment_id").set_index("payment_id")["value_date"]
    out = pd.DataFrame(
        {
            "document_id": auto["document_id"].to_numpy(),
            "due_date": pd.Series(pd.NaT, index=range(len(auto)), dtype=_NS),
            "customer_id": auto["customer_id"].to_numpy(),
            "currency": auto["currency"].to_numpy(),
            "applied_date": auto["payment_id"].map(dates).to_numpy(dtype=_NS),
            "amount_applied": pd.array(auto["amount_applied"].to_numpy(), dtype="Int64"),
            "applying_document": auto["payment_id"].to_numpy(),
        }
    )
    return out[AR_APPLICATIONS.names]


def history_from_tables(
    open_items: pd.DataFrame, cleared: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Open items (today) plus the items cleared since -> one history table."""
    parts = [open_items]
    if cleared is not None and len(cleared):
        parts.append(cleared)
    frame = pd.concat(parts, ignore_index=True)
    for col in AR_HISTORY.columns:
        if col.name not in frame:
            if col.kind == Kind.DATE:
                frame[col.name] = pd.Series(pd.NaT, index=frame.index, dtype=_NS)
            elif col.kind == Kind.MONEY:
                frame[col.name] = _na_money(len(frame))
            else:
                frame[col.name] = ""
        elif col.kind in (Kind.TEXT, Kind.ENUM, Kind.CURRENCY):
            frame[col.name] = _text(frame, col.name, clean=True)
    return frame


# --------------------------------------------------------------------------- sample


def sample_history(
    open_items: pd.DataFrame,
    customers: pd.DataFrame,
    period_end: dt.date,
    months: int = 12,
    seed: int = 2026,
    invoices_per_month: float = 3.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A plausible year of history behind a demo company's open items.

    Returns ``(history, applications)``: the open items (still open at
    ``period_end``) plus invoices issued over the previous ``months`` months and paid
    before ``period_end`` (each customer pays on its own habit: early, on time or weeks
    late), cleared by receipts that are not items (as in an export of invoices with
    their clearing document); and, for open items that were partly paid before
    (``amount_original`` > ``amount_open``), one dated application each. Vectorised;
    the same seed gives the same history. For demos, tests and benchmarks.
    """
    rng = np.random.default_rng(seed)
    oi = open_items.reset_index(drop=True)
    end = np.datetime64(period_end, "D")
    start = end - np.timedelta64(int(months * 30.44), "D")
    cust = customers.drop_duplicates("customer_id").reset_index(drop=True)
    n_c = len(cust)
    counts = rng.poisson(invoices_per_month * months, n_c)
    who = np.repeat(np.arange(n_c), counts)
    n = len(who)
    span = int((end - start).astype(np.int64))
    doc = start + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    terms = cust["payment_terms_days"].fillna(30).to_numpy(dtype=np.int64)[who]
    due = doc + terms.astype("timedelta64[D]")
    habit = rng.choice(np.array([-5, 0, 3, 12, 35]), n_c, p=[0.1, 0.3, 0.3, 0.2, 0.1])[who]
    delay = np.maximum(habit + rng.normal(0, 6, n).round().astype(np.int64), -terms)
    paid = due + delay.astype("timedelta64[D]")
    keep = paid <= end
    who, doc, due, paid = who[keep], doc[keep], due[keep], paid[keep]
    currency = cust["currency"].to_numpy()[who]
    inv = oi[oi["document_type"].eq("invoice")]
    amounts = np.zeros(len(who), dtype=np.int64)
    for cur in np.unique(currency):
        pool = inv.loc[inv["currency"].eq(cur), "amount_original"].dropna().to_numpy(np.int64)
        m = currency == cur
        amounts[m] = rng.choice(pool, int(m.sum())) if len(pool) else 100_000
    order = np.lexsort((who, doc))
    who, currency, amounts = who[order], currency[order], amounts[order]
    doc, due, paid = doc[order], due[order], paid[order]
    seq = np.arange(len(who))
    ids = np.array([f"H-{c}-{i:07d}" for c, i in zip(currency, seq, strict=True)], dtype=object)
    receipts = np.array(
        [f"RC-{c}-{i:07d}" for c, i in zip(currency, seq, strict=True)], dtype=object
    )
    cleared = pd.DataFrame(
        {
            "customer_id": cust["customer_id"].to_numpy()[who],
            "customer_name": cust["customer_name"].to_numpy()[who],
            "document_id": ids,
            "document_type": "invoice",
            "document_date": doc.astype(_NS),
            "due_date": due.astype(_NS),
            "currency": currency,
            "amount_original": pd.array(amounts, dtype="Int64"),
            "amount_open": pd.array(np.zeros(len(who), dtype=np.int64), dtype="Int64"),
            "clearing_date": np.maximum(paid, doc).astype(_NS),
            "clearing_document": receipts,
        }
    )
    history = history_from_tables(oi, cleared)
    part = oi["amount_original"].notna() & (
        oi["amount_original"].fillna(0) != oi["amount_open"].fillna(0)
    )
    p = oi[part]
    d0 = p["document_date"].to_numpy(dtype="datetime64[D]")
    span_p = np.maximum((end - d0).astype(np.int64), 0)
    when = d0 + (rng.random(len(p)) * (span_p + 1)).astype(np.int64).astype("timedelta64[D]")
    applications = pd.DataFrame(
        {
            "document_id": p["document_id"].to_numpy(),
            "due_date": p["due_date"].to_numpy(dtype=_NS),
            "customer_id": p["customer_id"].to_numpy(),
            "currency": p["currency"].to_numpy(),
            "applied_date": when.astype(_NS),
            "amount_applied": pd.array(
                (p["amount_original"] - p["amount_open"]).to_numpy(dtype=np.int64), dtype="Int64"
            ),
            "applying_document": [f"RC-P-{i:06d}" for i in range(len(p))],
        }
    )
    return history, applications


__all__ = [
    "AR_APPLICATIONS",
    "AR_HISTORY",
    "CATEGORY_OF_TYPE",
    "FLOW_CATEGORIES",
    "ROLL_FORWARD",
    "Ledger",
    "aging_as_of",
    "applications_from_allocations",
    "build_ledger",
    "compare_open_items",
    "history_from_tables",
    "roll_forward",
    "sample_history",
]
