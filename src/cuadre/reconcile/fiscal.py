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
amount), ``tax_id`` (customer RFC / NIT differs), ``relation`` (a credit note's
relation to its invoice does not fit, below), ``uuid_missing``. Unpaired: a fiscal
document not in the ERP (``missing_in_erp``); an ERP document whose folio the authority
does not have (``missing_in_registry``) or that has no folio at all (``not_stamped``); a
pair whose currencies differ is split in two rows (``currency``). Signs: fiscal amounts
are unsigned, so credit notes are made negative to compare with the ERP.

Credit notes and their invoice (``related_uuids``, ``TYPE:UUID``): a CFDI Egreso must
name the invoice it credits with TipoRelacion ``01`` (nota de crédito de los documentos
relacionados), ``03`` (devolución de mercancía) or ``07`` (aplicación de anticipo), or
``04`` when it substitutes a cancelled credit note; a DIAN CreditNote names its invoice
(BillingReference) with a DiscrepancyResponse code 1 to 6. A credit note relating to
nothing, with a relation type that does not fit, to a UUID neither side knows, or to a
document that is not an invoice gets a ``CREDIT_NOTE_RELATION`` warning (and the
``relation`` cause when it is paired and agrees otherwise).

Scope: with a ``period``, unpaired documents dated outside it are left out (an ERP open
item from last year is not expected in this month's SAT download) and counted in a
finding; cancelled or rejected fiscal documents the ERP does not have are left out too
(nothing to do). Totals and controls are over the documents in scope.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    "relation": "credit note not related to its invoice as required",
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
    credit_note_relations: Mapping[str, str] = field(default_factory=dict)
    """Relation types a credit note may use to name its invoice: code -> meaning."""
    relation_field: str = "relation type"
    substitution: str = ""
    """The relation type of a substitute (it relates to a document of its own kind)."""
    erp_kinds: Mapping[str, str] = field(default_factory=dict)
    """ERP document types as the registry records them (a Mexican nota de cargo is a
    CFDI Ingreso: an invoice for the SAT)."""


SAT_CREDIT_NOTE_RELATIONS = {
    "01": "nota de crédito de los documentos relacionados",
    "03": "devolución de mercancía sobre facturas o traslados previos",
    "07": "CFDI por aplicación de anticipo",
}
"""c_TipoRelacion values that fit a CFDI Egreso (SAT catalogue, Anexo 20 CFDI 4.0)."""

DIAN_CREDIT_NOTE_RELATIONS = {
    "1": "devolución parcial de los bienes y/o no aceptación parcial del servicio",
    "2": "anulación de factura electrónica",
    "3": "rebaja o descuento parcial o total",
    "4": "ajuste de precio",
    "5": "descuento comercial por pronto pago",
    "6": "descuento comercial por volumen de ventas",
}
"""DiscrepancyResponse/ResponseCode of a DIAN CreditNote (Anexo técnico 1.9, 13.2.4)."""


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


MEXICO = Country(
    "SAT",
    _upper,
    same_rfc,
    SAT_CREDIT_NOTE_RELATIONS,
    "TipoRelacion",
    "04",
    {"debit_note": "invoice"},
)
COLOMBIA = Country("DIAN", _lower, same_nit, DIAN_CREDIT_NOTE_RELATIONS, "ResponseCode")


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
            "related": text(d, "related_uuids"),
            "row": _fiscal_rows(d),
        }
    )
    side["label"] = side["number_text"].where(side["number_text"].ne(""), side["id"])
    return canonical(side, ["currency", "date", "id", "number"]), findings


def _fiscal_rows(docs: pd.DataFrame) -> pd.Series:
    """Where each fiscal document comes from: its XML or Metadata file and line when the
    importer gave them, else the row of the fiscal_docs table read (``file:row``), else
    the file it names."""
    line = text(docs, "source_line")
    imported = text(docs, "source_file") + line.map(lambda s: f":{s}" if s else "")
    table = provenance(docs)
    return imported.where(line.ne(""), table.where(table.ne(""), imported)).astype(object)


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
    if country.erp_kinds:
        side["kind"] = side["kind"].map(lambda k: country.erp_kinds.get(k, k)).astype(object)
    side["uuid"] = side["uuid"].fillna("").astype(str).map(country.uuid).astype(object)
    side["number"] = side["document_id"].map(compact)
    side["party"] = side["name"].where(side["name"].ne(""), side["customer"])
    side["date"] = pd.to_datetime(side["date"]).astype("datetime64[ns]")
    side = side.drop(columns=["rows", "o_min", "o_max", "o_sum", "o_n"])
    return canonical(side, ["currency", "date", "id", "_company"]), findings


# --------------------------------------------------------------------------- relations


def parse_related(value: str, country: Country) -> list[tuple[str, str]]:
    """``01:UUID;04:UUID`` -> ``[("01", UUID), ("04", UUID)]`` (type ``""`` when absent)."""
    out = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        kind, _, uuid = part.rpartition(":")
        out.append((kind.strip(), country.uuid(uuid)))
    return out


def _a(kind: str) -> str:
    """``an invoice``, ``a credit note``."""
    words = kind.replace("_", " ")
    return ("an " if words[:1] in "aeiou" else "a ") + words


def relation_problems(
    docs: pd.DataFrame, left: pd.DataFrame, erp_uuids: set[str], country: Country
) -> pd.Series:
    """Per credit note of ``left``: what is wrong with its relation to its invoice, in
    words (``""`` when it fits); see the module doc. ``docs``: every fiscal document
    (to know what a related UUID is), ``erp_uuids``: the folios the ERP has."""
    out = pd.Series("", index=left.index, dtype=object)
    notes = left[left["kind"].eq("credit_note")]
    if notes.empty or not country.credit_note_relations:
        return out
    kinds = dict(zip(text(docs, "uuid").map(country.uuid), text(docs, "kind"), strict=True))
    allowed = country.credit_note_relations
    fld = country.relation_field
    codes = ", ".join(f"{k} ({v})" for k, v in allowed.items())
    for idx, related in zip(notes.index, notes["related"], strict=True):
        pairs = parse_related(str(related), country)
        if not pairs:
            out[idx] = f"relates to no document: name the invoice it credits, with {fld} {codes}"
            continue
        problems = []
        for kind, uuid in pairs:
            target = kinds.get(uuid, "invoice" if uuid in erp_uuids else "")
            if kind == country.substitution and kind:
                if target not in ("credit_note", ""):
                    problems.append(
                        f"{fld} {kind} (substitution) relates to {uuid}, {_a(target)}: a "
                        "substitute relates to the cancelled credit note it replaces"
                    )
            elif kind not in allowed:
                shown = f"{fld} {kind}" if kind else f"no {fld}"
                problems.append(f"{shown} for {uuid} does not fit a credit note: use {codes}")
            elif target not in ("invoice", ""):
                problems.append(f"relates to {uuid}, {_a(target)}, not an invoice")
            if not target:
                problems.append(
                    f"relates to {uuid}, which neither the {country.authority} download nor "
                    "the ERP has (a typing error, or an invoice of a period not downloaded)"
                )
        out[idx] = "; ".join(problems)
    return out


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
    if a.get("relation", ""):
        out.append(("relation", f"credit note {a['relation']}"))
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
            a["relation"].ne("").to_numpy(),
            b["uuid"].eq("").to_numpy(),
        ],
        [
            "cancelled_open",
            "cancelled_booked",
            "kind",
            "amount",
            "tax_id",
            "relation",
            "uuid_missing",
        ],
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
        + (f"; the credit note {rel}" if rel else "")
        for k, lab, t, v, c, rel in zip(
            left["kind"],
            left["label"],
            left["tax_id"],
            left["amount"],
            left["currency"],
            left["relation"],
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
    left["relation"] = relation_problems(
        fiscal_docs, left, set(right["uuid"]) - {""}, country
    ).astype(object)
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
    findings += _relation_findings(scope_l, country)
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


def _relation_findings(scope: pd.DataFrame, country: Country) -> list[Finding]:
    """``CREDIT_NOTE_RELATION`` for each credit note in scope whose relation does not fit."""
    bad = scope[scope["relation"].ne("")]
    return [
        warning(
            _location(row, "fiscal_docs"),
            "CREDIT_NOTE_RELATION",
            f"{country.authority} credit note {label}: {words}",
            "Cancel the credit note and issue it again related to the invoice it credits.",
        )
        for label, words, row in zip(bad["label"], bad["relation"], bad["row"], strict=True)
    ]


def _location(rows: str, default: str) -> Location:
    first = rows.split(";")[0]
    path, _, row = first.rpartition(":")
    if path and row.isdigit():
        return Location(path, int(row))
    return Location(first or default)


__all__ = [
    "CAUSES",
    "COLOMBIA",
    "DIAN_CREDIT_NOTE_RELATIONS",
    "MEXICO",
    "SAT_CREDIT_NOTE_RELATIONS",
    "Country",
    "FiscalPolicy",
    "Paired",
    "parse_related",
    "reconcile_fiscal",
    "relation_problems",
    "same_nit",
    "same_rfc",
]
