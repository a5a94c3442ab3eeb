"""E-invoice registry vs ERP: what SAT (Mexico) and DIAN (Colombia) reconciliation share.

Left: ``fiscal_docs`` (the tax authority's documents: invoices, credit and debit notes;
payment CFDI are checked separately by :mod:`cuadre.reconcile.sat`). Right: the ERP's
documents as an ``open_items``-shaped table that also holds the settled ones
(``amount_open`` 0) with their ``amount_original``: an ERP sales register. Only
documents the company issued are receivables: ``company_tax_ids`` keeps the fiscal
documents whose issuer is the company (received documents are purchases).

Pairing, strict:

1. the fiscal folio: ERP ``fiscal_uuid`` = UUID / CUFE / CUDE (confidence 1);
2. the document number (series + folio as printed, compared as letters and digits) with
   the same customer tax id (or one of them missing) and currency (confidence 0.9):
   the ERP lacks the folio, reported as ``uuid_missing``.

Each pair is checked, and the first problem found is its ``cause`` (all are named in
the explanation): ``cancelled_open`` (cancelled / rejected by the authority but open in
the ERP), ``cancelled_booked`` (cancelled but booked and settled), ``kind`` (an invoice
on one side, a credit note on the other), ``amount`` (signed total != ERP original
amount), ``tax_id`` (customer RFC / NIT differs), ``uuid_missing``. Unpaired: a fiscal
document not in the ERP (``missing_in_erp``); an ERP document whose folio the authority
does not have (``missing_in_registry``) or that has no folio at all (``not_stamped``); a
pair whose currencies differ is split in two rows (``currency``). Signs: fiscal amounts
are unsigned, so credit notes are made negative to compare with the ERP.

Scope: with a ``period``, unpaired documents dated outside it are left out (an ERP open
item from last year is not expected in this month's SAT download) and counted in a
finding; cancelled or rejected fiscal documents the ERP does not have are left out too
(nothing to do). Totals and controls are over the documents in scope.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from cuadre.findings import Finding, Location, error, info, warning
from cuadre.reconcile import Reconciliation
from cuadre.reconcile.core import (
    canonical,
    concat_items,
    finish,
    items_table,
    money,
    provenance,
    show,
    side_totals,
    sort_items,
    text,
)
from cuadre.text import compact

CAUSES = {
    "cancelled_open": "cancelled by the tax authority but open in the ERP",
    "cancelled_booked": "cancelled by the tax authority but booked and settled in the ERP",
    "kind": "document type differs (invoice vs credit note)",
    "amount": "amounts differ",
    "tax_id": "customer tax id differs",
    "uuid_missing": "the ERP lacks the fiscal folio (UUID / CUFE)",
    "currency": "currencies differ",
    "missing_in_erp": "issued to the tax authority, not in the ERP",
    "missing_in_registry": "in the ERP with a folio the tax authority does not have",
    "not_stamped": "in the ERP, never stamped (no fiscal document found)",
    "duplicate_uuid": "the same folio on several ERP documents",
}

DOC_KINDS = ("invoice", "credit_note", "debit_note")
BAD_STATUS = frozenset({"cancelled", "rejected"})


class FiscalPolicy(BaseModel):
    company_tax_ids: list[str] = Field(
        default_factory=list, description="the company's RFC / NIT (empty: every document)"
    )
    period: tuple[dt.date, dt.date] | None = Field(None, description="documents' date range")


@dataclass(frozen=True)
class Country:
    """What differs between the SAT and the DIAN."""

    authority: str  # "SAT", "DIAN"
    uuid: Callable[[str], str]
    same_tax_id: Callable[[str, str], bool]


def _upper(s: str) -> str:
    return s.strip().upper()


def _lower(s: str) -> str:
    return s.strip().lower()


def same_rfc(a: str, b: str) -> bool:
    return compact(a) == compact(b)


_NOT_DIGIT = re.compile(r"\D")


def same_nit(a: str, b: str) -> bool:
    """NITs equal with or without the check digit (``900123456-7`` = ``900123456``)."""
    x = _NOT_DIGIT.sub("", a.split("-")[0])
    y = _NOT_DIGIT.sub("", b.split("-")[0])
    return x == y or x[:-1] == y or x == y[:-1]


MEXICO = Country("SAT", _upper, same_rfc)
COLOMBIA = Country("DIAN", _lower, same_nit)


# --------------------------------------------------------------------------- sides


def fiscal_side(
    docs: pd.DataFrame, country: Country, policy: FiscalPolicy
) -> tuple[pd.DataFrame, list[Finding]]:
    """Receivable documents of the registry: signed totals, keys, status."""
    findings: list[Finding] = []
    kind = text(docs, "kind")
    d = docs[kind.isin(DOC_KINDS)]
    if policy.company_tax_ids:
        ours = {compact(t) for t in policy.company_tax_ids}
        issued = text(d, "issuer_tax_id").map(compact).isin(ours)
        if (~issued).any():
            findings.append(
                info(
                    Location("fiscal_docs"),
                    "NOT_ISSUED_BY_COMPANY",
                    f"{int((~issued).sum()):,} documents were issued by others (received, "
                    "purchases): not receivables, left out",
                    "",
                )
            )
        d = d[issued]
    total = money(d, "total")
    number = text(d, "document_number").where(
        text(d, "document_number").ne(""), text(d, "series") + text(d, "folio")
    )
    side = pd.DataFrame(
        {
            "id": text(d, "uuid").map(country.uuid),
            "kind": text(d, "kind"),
            "number": number.map(compact),
            "number_text": number,
            "tax_id": text(d, "receiver_tax_id"),
            "party": text(d, "receiver_name").where(
                text(d, "receiver_name").ne(""), text(d, "receiver_tax_id")
            ),
            "currency": text(d, "currency"),
            "date": pd.to_datetime(d["issue_date"]).astype("datetime64[ns]"),
            "amount": np.where(text(d, "kind").eq("credit_note"), -total, total),
            "status": text(d, "status").str.lower(),
            "cancelled_on": pd.to_datetime(d["cancellation_date"])
            if "cancellation_date" in d
            else pd.NaT,
            "payment_method": text(d, "payment_method").str.upper(),
            "row": text(d, "source_file")
            + text(d, "source_line").map(lambda s: f":{s}" if s else ""),
        }
    )
    side["label"] = side["number_text"].where(side["number_text"].ne(""), side["id"])
    return canonical(side, ["currency", "date", "id", "number"]), findings


def erp_side(erp: pd.DataFrame, country: Country) -> tuple[pd.DataFrame, list[Finding]]:
    """ERP documents, one row per document (installments summed)."""
    findings: list[Finding] = []
    dtype = text(erp, "document_type")
    e = erp[dtype.isin(DOC_KINDS)].copy()
    skipped = int((~dtype.isin(DOC_KINDS)).sum())
    if skipped:
        findings.append(
            info(
                Location("erp"),
                "NOT_A_FISCAL_DOCUMENT",
                f"{skipped:,} ERP rows are payments, advances or adjustments: not compared "
                "with the fiscal registry",
                "",
            )
        )
    e["_company"] = text(e, "company")
    e["_row"] = provenance(e)
    e["_open"] = money(e, "amount_open")
    orig = e["amount_original"] if "amount_original" in e else pd.Series(pd.NA, index=e.index)
    e["_orig"] = orig.astype("Int64")
    e["_pm"] = text(e, "payment_method").str.upper()
    e["_uuid"] = text(e, "fiscal_uuid").replace("", pd.NA)
    grouped = e.groupby(["_company", "document_id"], sort=False)
    side = grouped.agg(
        kind=("document_type", "first"),
        customer=("customer_id", "first"),
        name=("customer_name", "first"),
        tax_id=("tax_id", "first"),
        uuid=("_uuid", "first"),
        currency=("currency", "first"),
        date=("document_date", "min"),
        open=("_open", "sum"),
        row=("_row", "first"),
        rows=("_row", "size"),
        payment_method=("_pm", "first"),
        o_min=("_orig", "min"),
        o_max=("_orig", "max"),
        o_sum=("_orig", "sum"),
        o_n=("_orig", "count"),
    ).reset_index()
    several = side["rows"].gt(1).to_numpy()
    if several.any():  # installments: every row's provenance
        joined = e.groupby(["_company", "document_id"], sort=False)["_row"].agg(";".join)
        keys = list(
            zip(side.loc[several, "_company"], side.loc[several, "document_id"], strict=True)
        )
        side.loc[several, "row"] = joined.reindex(keys).to_numpy()
    # installments carry the document's original amount on each row, or their own part
    original = side["o_min"].where(side["o_min"].eq(side["o_max"]), side["o_sum"])
    side["original"] = original.where(side["o_n"].gt(0)).astype("Int64")
    side["amount"] = side["original"].fillna(side["open"]).astype("int64")
    side["id"] = side["document_id"].astype(object)
    side["uuid"] = side["uuid"].fillna("").astype(str).map(country.uuid).astype(object)
    side["number"] = side["document_id"].map(compact)
    side["party"] = side["name"].where(side["name"].ne(""), side["customer"])
    side["date"] = pd.to_datetime(side["date"]).astype("datetime64[ns]")
    side = side.drop(columns=["rows", "o_min", "o_max", "o_sum", "o_n"])
    return canonical(side, ["currency", "date", "id", "_company"]), findings


# --------------------------------------------------------------------------- pairing


def _pair(
    left: pd.DataFrame, right: pd.DataFrame, country: Country
) -> tuple[pd.DataFrame, list[Finding]]:
    """Pairs (l, r, rule, confidence) by UUID, then number + tax id + currency."""
    findings: list[Finding] = []
    lk = left[left["id"].ne("")].assign(l=lambda f: f.index)
    rk = right[right["uuid"].ne("")].assign(r=lambda f: f.index)
    dup = rk[rk.duplicated("uuid", keep=False)]
    for uuid, g in dup.groupby("uuid"):
        findings.append(
            warning(
                Location("erp", None),
                "DUPLICATE_UUID_IN_ERP",
                f"{country.authority} folio {uuid} is on {len(g)} ERP documents "
                f"({', '.join(g['id'])}); only {g['id'].iloc[0]} is compared",
                "One stamped document is one ERP document: correct the folio in the ERP.",
            )
        )
    rk = rk.drop_duplicates("uuid")
    by_uuid = lk[["id", "l"]].merge(rk[["uuid", "r"]], left_on="id", right_on="uuid")[["l", "r"]]
    by_uuid = by_uuid.assign(rule=f"{country.authority} folio (UUID)", confidence=1.0)
    free_l = left.drop(index=by_uuid["l"])
    free_r = right.drop(index=by_uuid["r"])
    free_r = free_r[free_r["uuid"].eq("") | ~free_r["uuid"].isin(set(left["id"]))]
    c = (
        free_l[free_l["number"].ne("")]
        .assign(l=lambda f: f.index)
        .merge(
            free_r[free_r["number"].ne("")].assign(r=lambda f: f.index),
            on=["number", "currency"],
            suffixes=("_l", "_r"),
        )
    )
    ok = [
        (not a or not b or country.same_tax_id(a, b))
        for a, b in zip(c["tax_id_l"], c["tax_id_r"], strict=True)
    ]
    c = c[np.array(ok, dtype=bool)] if len(c) else c
    # strict: a number that pairs more than once on either side is not paired
    c = c[~c["l"].duplicated(keep=False) & ~c["r"].duplicated(keep=False)]
    by_number = c[["l", "r"]].assign(rule="document number and tax id", confidence=0.9)
    return pd.concat([by_uuid, by_number], ignore_index=True), findings


# --------------------------------------------------------------------------- checks


def _problems(a: pd.Series, b: pd.Series, country: Country) -> list[tuple[str, str]]:
    """(cause, words) of what disagrees in one pair, most serious first."""
    out: list[tuple[str, str]] = []
    cur = str(a["currency"])
    if a["status"] in BAD_STATUS:
        when = f" on {a['cancelled_on']:%Y-%m-%d}" if pd.notna(a["cancelled_on"]) else ""
        word = "cancelled" if a["status"] == "cancelled" else "rejected"
        if int(b["open"]) != 0:
            out.append(
                (
                    "cancelled_open",
                    f"{word} by the {country.authority}{when} but open in the ERP "
                    f"for {show(int(b['open']), cur)}: cancel it in the ERP, or stamp a substitute",
                )
            )
        else:
            out.append(
                (
                    "cancelled_booked",
                    f"{word} by the {country.authority}{when} but booked and "
                    "settled in the ERP: check a substitute document was issued",
                )
            )
    if a["kind"] != b["kind"]:
        out.append(
            (
                "kind",
                f"a {a['kind'].replace('_', ' ')} for the {country.authority}, "
                f"a {str(b['kind']).replace('_', ' ')} in the ERP",
            )
        )
    if int(a["amount"]) != int(b["amount"]):
        diff = int(a["amount"]) - int(b["amount"])
        out.append(
            (
                "amount",
                f"{country.authority} {show(int(a['amount']), cur)}, ERP "
                f"{show(int(b['amount']), cur)} (difference {show(diff, cur)})",
            )
        )
    if a["tax_id"] and b["tax_id"] and not country.same_tax_id(a["tax_id"], b["tax_id"]):
        out.append(("tax_id", f"issued to {a['tax_id']}, the ERP customer has {b['tax_id']}"))
    if not b["uuid"]:
        out.append(("uuid_missing", f"the ERP document has no folio: record {a['id']}"))
    return out


def _pair_items(
    left: pd.DataFrame, right: pd.DataFrame, pairs: pd.DataFrame, country: Country
) -> pd.DataFrame:
    """Matched and difference rows (vectorised: the words only for the pairs that differ);
    a pair in two currencies is split in two one-sided rows."""
    if pairs.empty:
        return items_table(0)
    a = left.loc[pairs["l"]].reset_index(drop=True)
    b = right.loc[pairs["r"]].reset_index(drop=True)
    rule, conf = pairs["rule"].to_numpy(), pairs["confidence"].to_numpy()
    split = a["currency"].ne(b["currency"]).to_numpy()
    bad = a["status"].isin(BAD_STATUS).to_numpy()
    still_open = b["open"].ne(0).to_numpy()
    tax = np.array(
        [
            bool(x and y and x != y and not country.same_tax_id(x, y))
            for x, y in zip(
                a["tax_id"].to_numpy(dtype=object), b["tax_id"].to_numpy(dtype=object), strict=True
            )
        ],
        dtype=bool,
    )
    cause = np.select(
        [
            bad & still_open,
            bad,
            a["kind"].ne(b["kind"]).to_numpy(),
            a["amount"].ne(b["amount"]).to_numpy(),
            tax,
            b["uuid"].eq("").to_numpy(),
        ],
        ["cancelled_open", "cancelled_booked", "kind", "amount", "tax_id", "uuid_missing"],
        "",
    ).astype(object)
    words = np.full(len(a), "", dtype=object)
    for i in np.flatnonzero((cause != "") & ~split):
        words[i] = "; ".join(w for _, w in _problems(a.iloc[i], b.iloc[i], country))
    ok = ~split
    party = np.where(b["party"].ne(""), b["party"], a["party"])
    paired = items_table(
        int(ok.sum()),
        section=np.where(cause[ok] == "", "matched", "difference"),
        rule=rule[ok],
        confidence=conf[ok],
        party=party[ok],
        currency=a["currency"].to_numpy()[ok],
        left_ids=a["id"].where(a["id"].ne(""), a["label"]).to_numpy()[ok],
        left_count=1,
        left_date=a["date"].to_numpy()[ok],
        left_amount=a["amount"].to_numpy()[ok],
        right_ids=b["id"].to_numpy()[ok],
        right_count=1,
        right_date=b["date"].to_numpy()[ok],
        right_amount=b["amount"].to_numpy()[ok],
        difference=(a["amount"] - b["amount"]).to_numpy()[ok],
        cause=cause[ok],
        explanation=words[ok],
        left_rows=a["row"].to_numpy()[ok],
        right_rows=b["row"].to_numpy()[ok],
    )
    return concat_items(
        [paired, _currency_splits(a[split], b[split], rule[split], conf[split], country)]
    )


def _currency_splits(
    a: pd.DataFrame, b: pd.DataFrame, rule: np.ndarray, conf: np.ndarray, country: Country
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for (_, x), (_, y), ru, co in zip(a.iterrows(), b.iterrows(), rule, conf, strict=True):
        words = (
            f"{country.authority} in {x['currency']}, ERP in {y['currency']}: "
            "correct the currency on one side"
        )
        base = {
            "rule": ru,
            "confidence": co,
            "party": y["party"] or x["party"],
            "cause": "currency",
        }
        rows.append(
            {
                **base,
                "section": "left_only",
                "currency": x["currency"],
                "left_ids": x["id"] or x["label"],
                "left_count": 1,
                "left_date": x["date"],
                "left_amount": x["amount"],
                "left_rows": x["row"],
                "explanation": f"paired with ERP {y['id']}; {words}",
            }
        )
        rows.append(
            {
                **base,
                "section": "right_only",
                "currency": y["currency"],
                "right_ids": y["id"],
                "right_count": 1,
                "right_date": y["date"],
                "right_amount": y["amount"],
                "right_rows": y["row"],
                "explanation": f"paired with {x['id']}; {words}",
            }
        )
    return _rows_to_items(rows)


def _rows_to_items(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return items_table(0)
    names = sorted({k for r in rows for k in r})
    return items_table(len(rows), **{k: [r.get(k) for r in rows] for k in names})


def _unpaired(left: pd.DataFrame, right: pd.DataFrame, country: Country) -> pd.DataFrame:
    auth = country.authority
    lwords = [
        f"{auth} {k.replace('_', ' ')} {lab} to {t} for {show(int(v), c)}, not in the ERP: "
        "book it, or cancel it with the authority if it was issued by mistake"
        for k, lab, t, v, c in zip(
            left["kind"],
            left["label"],
            left["tax_id"],
            left["amount"],
            left["currency"],
            strict=True,
        )
    ]
    rcause = np.where(right["uuid"].ne(""), "missing_in_registry", "not_stamped")
    rwords = [
        f"the ERP gives folio {u}, which the {auth} download does not have: check the folio "
        "typed in the ERP and the download's dates and status"
        if c == "missing_in_registry"
        else f"no folio in the ERP and no {auth} document with number {d}: it was never "
        "stamped; issue the e-invoice"
        for c, u, d in zip(rcause, right["uuid"], right["id"], strict=True)
    ]
    return concat_items(
        [
            items_table(
                len(left),
                section="left_only",
                party=left["party"].to_numpy(),
                currency=left["currency"].to_numpy(),
                left_ids=left["id"].where(left["id"].ne(""), left["label"]).to_numpy(),
                left_count=1,
                left_date=left["date"].to_numpy(),
                left_amount=left["amount"].to_numpy(),
                cause="missing_in_erp",
                explanation=lwords,
                left_rows=left["row"].to_numpy(),
            ),
            items_table(
                len(right),
                section="right_only",
                party=right["party"].to_numpy(),
                currency=right["currency"].to_numpy(),
                right_ids=right["id"].to_numpy(),
                right_count=1,
                right_date=right["date"].to_numpy(),
                right_amount=right["amount"].to_numpy(),
                cause=rcause,
                explanation=rwords,
                right_rows=right["row"].to_numpy(),
            ),
        ]
    )


@dataclass
class Paired:
    """The two sides and how they paired (for the SAT's complement checks)."""

    left: pd.DataFrame
    right: pd.DataFrame
    pairs: pd.DataFrame


def reconcile_fiscal(
    fiscal_docs: pd.DataFrame,
    erp_documents: pd.DataFrame,
    country: Country,
    policy: FiscalPolicy,
    kind: str,
) -> tuple[Reconciliation, Paired]:
    """The registry against the ERP (see the module doc)."""
    left, findings = fiscal_side(fiscal_docs, country, policy)
    right, more = erp_side(erp_documents, country)
    findings += more
    pairs, more = _pair(left, right, country)
    findings += more
    free_l = left.drop(index=pairs["l"])
    free_r = right.drop(index=pairs["r"])
    # nothing to do: cancelled documents the ERP never booked
    dead = free_l["status"].isin(BAD_STATUS)
    if dead.any():
        findings.append(
            info(
                Location("fiscal_docs"),
                "CANCELLED_NOT_BOOKED",
                f"{int(dead.sum()):,} documents cancelled or rejected by the {country.authority} "
                "are not in the ERP either, as expected: left out",
                "",
            )
        )
    free_l = free_l[~dead]
    if policy.period is not None:
        start, end = pd.Timestamp(policy.period[0]), pd.Timestamp(policy.period[1])
        out_l = ~free_l["date"].between(start, end)
        out_r = ~free_r["date"].between(start, end)
        if out_l.any() or out_r.any():
            findings.append(
                info(
                    Location(kind),
                    "OUTSIDE_PERIOD",
                    f"{int(out_l.sum()):,} {country.authority} and {int(out_r.sum()):,} ERP "
                    f"documents dated outside {start:%Y-%m-%d}..{end:%Y-%m-%d} have no "
                    "counterpart: left out of this period's reconciliation",
                    "",
                )
            )
        free_l, free_r = free_l[~out_l], free_r[~out_r]
    items = sort_items(
        concat_items([_pair_items(left, right, pairs, country), _unpaired(free_l, free_r, country)])
    )
    scope_l = pd.concat([left.loc[pairs["l"]], free_l])
    scope_r = pd.concat([right.loc[pairs["r"]], free_r])
    findings += _pair_findings(items, country, kind)
    result = finish(
        kind,
        country.authority,
        "ERP",
        side_totals(scope_l, "amount"),
        side_totals(scope_r, "amount"),
        items,
        CAUSES,
        findings,
    )
    return result, Paired(left, right, pairs)


FINDING_CODES = {
    "cancelled_open": ("CANCELLED_BUT_OPEN", "error"),
    "missing_in_erp": ("MISSING_IN_ERP", "warning"),
    "missing_in_registry": ("MISSING_IN_REGISTRY", "warning"),
    "not_stamped": ("NOT_STAMPED", "warning"),
    "amount": ("FISCAL_AMOUNT_DIFFERENCE", "warning"),
    "tax_id": ("TAX_ID_DIFFERENCE", "warning"),
    "kind": ("FISCAL_KIND_DIFFERENCE", "warning"),
    "currency": ("FISCAL_CURRENCY_DIFFERENCE", "warning"),
    "uuid_missing": ("FOLIO_MISSING_IN_ERP", "warning"),
    "cancelled_booked": ("CANCELLED_BUT_BOOKED", "warning"),
}


def _pair_findings(items: pd.DataFrame, country: Country, kind: str) -> list[Finding]:
    """One finding per problem row (located at the ERP row when there is one)."""
    out: list[Finding] = []
    for cause, ids, rid, words, rows_r, rows_l in zip(
        items["cause"],
        items["left_ids"],
        items["right_ids"],
        items["explanation"],
        items["right_rows"],
        items["left_rows"],
        strict=True,
    ):
        if cause not in FINDING_CODES:
            continue
        code, severity = FINDING_CODES[cause]
        where = _location(rows_r or rows_l, kind)
        what = " / ".join(x for x in (rid, ids) if x)
        make = error if severity == "error" else warning
        out.append(make(where, code, f"{what}: {words}"))
    return out


def _location(rows: str, default: str) -> Location:
    first = rows.split(";")[0]
    path, _, row = first.rpartition(":")
    if path and row.isdigit():
        return Location(path, int(row))
    return Location(first or default)


__all__ = [
    "CAUSES",
    "COLOMBIA",
    "MEXICO",
    "Country",
    "FiscalPolicy",
    "Paired",
    "reconcile_fiscal",
    "same_nit",
    "same_rfc",
]
