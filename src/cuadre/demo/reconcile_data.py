"""The sample company's reconciliation inputs, with planted cases the sheets must find.

What
    :func:`demo_reconcile_tables` builds, from a generated company
    (:func:`cuadre.demo.generator.generate_company`) and its close
    (:func:`cuadre.close.run_close`), the tables the reconciliations read beyond the
    close's own, keyed by :class:`cuadre.workbook.reconcile_sheets.ReconcileInputs` field:

    ``cash_book`` (bank to book)
        The GL postings of the three bank accounts: every bank line booked, receipts one
        or two days late now and then, except the bank's own charges (not recorded:
        ``bank_fee``); one receipt booked with two digits swapped (an ``amount``
        difference on the same reference); two deposits in transit and one cheque not
        yet presented per account.
    ``fiscal_docs`` and ``complements`` (SAT, Mexico)
        A CFDI for every Mexican open document (PPD when it has credit terms, PUE when
        due on issue; credit notes related to their invoice with TipoRelacion 01) and a
        payment complement (REP) for each payment applied: the earlier payments of
        partly paid invoices and this close's automatic applications, issued in time.
        Planted (:data:`PLANTED`): a PPD invoice paid in this close with no REP
        (``PPD_WITHOUT_REP``), a REP whose ImpSaldoAnt disagrees
        (``REP_CHAIN_BROKEN`` and ``REP_DISAGREES_WITH_ERP``), a CFDI the SAT cancelled
        still open in the ERP (``CANCELLED_BUT_OPEN``), a credit note related with
        TipoRelacion 04 instead of 01 (``CREDIT_NOTE_RELATION``), a REP whose MonedaDR
        is not the invoice's currency (``REP_REJECTED``, reason ``currency``).
    ``fiscal_docs`` (DIAN, Colombia)
        A UBL document per Colombian open document (credit notes referring to their
        invoice with ResponseCode 3); planted: one invoice the DIAN rejected still open
        in the ERP (``CANCELLED_BUT_OPEN``) and one invoice never sent to the DIAN
        (``missing_in_registry``).
    ``customer_statement``
        The statement of the customer with the most open invoices after the close, as
        they keep it: our open documents, one of them with a price difference (their
        amount 3 % lower, noted), and one invoice of ours they list that we do not have
        (``unknown_to_us``).
    ``gl_lines`` and ``trial_balance`` (GL tie-out)
        The postings to the receivables control accounts: the period's invoices from the
        subledger, and planted: a manual journal (``gl_only_manual``), an FX revaluation
        (``gl_only_fx``), an invoice posted to the GL only (``gl_only``) and a subledger
        invoice the GL posted after the cut-off (``timing``). The trial balance is the
        generator's with the control accounts moved by the planted lines, so the
        explanation lines plus this close's cash application (not yet posted) explain
        the whole difference; the bank accounts carry the cash book's balance.

Why
    The demo workbook shows every reconciliation finding something an accountant
    recognises, and the tests check each planted case is found.

Deterministic: no wall clock, no hash order; the choices are made on the data's sorted
order and ``numpy.random.default_rng`` with a fixed seed, so the same company gives the
same tables. About 0.3 s at 300 customers.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cuadre.close import CloseResult
from cuadre.demo.generator import COUNTRIES, DemoCompany
from cuadre.importers.base import typed_table
from cuadre.model.tables import FISCAL_DOCS, PAYMENT_COMPLEMENTS
from cuadre.reconcile.tables import CUSTOMER_STATEMENT, GL_POSTINGS
from cuadre.text import compact

__all__ = ["Planted", "demo_reconcile_data", "demo_reconcile_tables"]

SEED = 20261031
ISSUER_RFC = "CSA100101AB1"
ISSUER_NIT = "900555123"
_NAMESPACE = uuidlib.UUID("6f1c1f0e-8c43-4c1e-9d4f-8d1b8b0c2a11")


@dataclass(frozen=True)
class Planted:
    """What was planted where (ids), so a test can look for it."""

    ppd_without_rep: str = ""  # invoice document_id
    rep_balance_disagrees: str = ""  # invoice document_id
    cancelled_open: str = ""  # MX invoice document_id
    credit_note_relation: str = ""  # credit note document_id
    rejected_rep: str = ""  # invoice document_id the rejected REP names
    dian_rejected_open: str = ""  # CO invoice document_id
    dian_missing: str = ""  # CO invoice document_id
    book_amount_difference: str = ""  # bank line_id
    statement_customer: str = ""
    statement_pricing: str = ""  # document_id
    statement_only_theirs: str = ""  # document_id
    gl_manual: str = ""  # posting_id
    gl_fx: str = ""
    gl_only: str = ""
    gl_timing: str = ""  # document_id


def _uuid(*parts: str) -> str:
    return str(uuidlib.uuid5(_NAMESPACE, "|".join(parts))).upper()


def _series_folio(document_id: str) -> tuple[str, str]:
    head = document_id.rstrip("0123456789")
    return head.strip(" -"), document_id[len(head) :]


# --------------------------------------------------------------------------- bank


def _cash_book(company: DemoCompany, rng: np.random.Generator) -> tuple[pd.DataFrame, str]:
    """Every bank line booked (fees excepted), with the planted differences."""
    lines = company.bank_lines.sort_values(["currency", "line_id"], kind="stable")
    lines = lines.reset_index(drop=True)
    cash = {c.currency: c.cash[0] for c in COUNTRIES}
    is_fee = lines["type_code"].eq("FEE")
    book = lines[~is_fee].reset_index(drop=True)
    n = len(book)
    date = pd.to_datetime(book["booking_date"])
    money_in = book["amount"].gt(0).to_numpy()
    late = money_in & (rng.random(n) < 0.15)
    shift = np.where(late, rng.integers(1, 3, n), 0)
    posted = date + pd.to_timedelta(shift, unit="D")
    cut = pd.Timestamp(company.period_end)
    posted = posted.where(posted.le(cut), date)
    amount = book["amount"].astype("int64").to_numpy().copy()
    # planted: one receipt typed with two digits swapped (same reference, another amount)
    receipts = np.flatnonzero(money_in & book["bank_reference"].ne("").to_numpy())
    wrong = int(receipts[len(receipts) // 2])
    digits = str(amount[wrong]).rjust(7, "0")
    swapped = digits[:-6] + digits[-5] + digits[-6] + digits[-4:]  # hundreds <-> thousands
    if swapped == digits:
        swapped = str(int(digits) + 90_000)
    amount[wrong] = int(swapped)
    frame = pd.DataFrame(
        {
            "posting_id": [f"CB-{c}-{i + 1:05d}" for i, c in enumerate(book["currency"])],
            "account": book["currency"].map(cash),
            "posting_date": posted.to_numpy(),
            "currency": book["currency"],
            "amount": amount,
            "document_id": "",
            "reference": book["bank_reference"],
            "description": book["counterparty_name"].where(
                book["counterparty_name"].ne(""), book["remittance"]
            ),
            "source": np.where(money_in, "receipts", "payments"),
            "customer_id": "",
            "company": "",
        }
    )
    extra = []
    for k, country in enumerate(COUNTRIES):
        cur = country.currency
        scale = 10 ** (0 if country.whole else 2)
        for j in range(2):  # deposits in transit: recorded the last day, not yet credited
            extra.append(
                {
                    "posting_id": f"CB-{cur}-T{j + 1}",
                    "account": cash[cur],
                    "posting_date": cut,
                    "currency": cur,
                    "amount": round(country.median * (0.35 + 0.2 * j + 0.1 * k)) * scale,
                    "reference": f"DEP-{cut:%m%d}-{j + 1}",
                    "description": "DEPOSITO CHEQUES EN TRANSITO",
                    "source": "receipts",
                }
            )
        extra.append(  # a cheque issued, not yet presented
            {
                "posting_id": f"CB-{cur}-C1",
                "account": cash[cur],
                "posting_date": cut - pd.Timedelta(days=3),
                "currency": cur,
                "amount": -round(country.median * 0.8) * scale,
                "reference": "CHQ 004519",
                "description": "CHEQUE PROVEEDOR",
                "source": "payments",
            }
        )
    out = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    table = typed_table(out.to_dict("records"), GL_POSTINGS)
    table = table.sort_values(["posting_date", "posting_id"], kind="stable")
    return table.reset_index(drop=True), str(book["line_id"].iloc[wrong])


# --------------------------------------------------------------------------- fiscal


def _mx_docs(oi: pd.DataFrame) -> pd.DataFrame:
    """One CFDI per Mexican invoice, debit and credit note of the ERP."""
    mx = oi[oi["company"].eq("MX01") & oi["fiscal_uuid"].ne("")]
    mx = mx.drop_duplicates("document_id").sort_values("document_id", kind="stable")
    uuid_of = dict(zip(mx["document_id"], mx["fiscal_uuid"], strict=True))
    credit = mx["document_type"].eq("credit_note")
    ppd = mx["due_date"].notna() & mx["due_date"].gt(mx["document_date"])
    parts = mx["document_id"].map(_series_folio)
    related = np.where(credit, "01:" + mx["reference"].map(uuid_of).fillna(""), "")
    return pd.DataFrame(
        {
            "uuid": mx["fiscal_uuid"],
            "kind": np.where(credit, "credit_note", "invoice"),
            "series": parts.map(lambda p: p[0]),
            "folio": parts.map(lambda p: p[1]),
            "document_number": mx["document_id"],
            "issuer_tax_id": ISSUER_RFC,
            "issuer_name": "Cuadre Demo S.A. de C.V.",
            "receiver_tax_id": mx["tax_id"],
            "receiver_name": mx["customer_name"],
            "issue_date": mx["document_date"],
            "currency": mx["currency"],
            "total": mx["amount_original"].fillna(mx["amount_open"]).astype("int64").abs(),
            "payment_method": np.where(credit, "PUE", np.where(ppd, "PPD", "PUE")),
            "payment_form": np.where(ppd & ~credit, "99", "03"),
            "status": "valid",
            "related_uuids": related,
            "source_file": "sat/" + mx["fiscal_uuid"] + ".xml",
            "_document_id": mx["document_id"],
            "_open": mx["amount_open"].astype("int64"),
            "_ppd": (ppd & ~credit).to_numpy(),
        }
    )


def _complements(
    docs: pd.DataFrame, result: CloseResult, company: DemoCompany
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """REP lines for the earlier payments of partly paid PPD invoices and for this
    close's automatic applications; the planted REP cases. Returns (complement rows,
    payment CFDI rows, planted ids)."""
    planted: dict[str, str] = {}
    inv = docs[docs["kind"].eq("invoice")].set_index("_document_id")
    rows: list[dict[str, object]] = []
    issued: list[dict[str, object]] = []

    def rep(cid: str, doc: str, when: pd.Timestamp, n: int, before: int, paid: int) -> None:
        i = inv.loc[doc]
        rows.append(
            {
                "complement_uuid": cid,
                "payment_index": 1,
                "payment_date": when,
                "payment_form": "03",
                "payment_currency": "MXN",
                "payment_amount": paid,
                "related_index": 1,
                "related_uuid": i["uuid"],
                "related_series": i["series"],
                "related_folio": i["folio"],
                "currency": "MXN",
                "equivalence": "1",
                "installment": n,
                "balance_before": before,
                "amount_paid": paid,
                "balance_after": before - paid,
                "issuer_tax_id": ISSUER_RFC,
                "receiver_tax_id": i["receiver_tax_id"],
                "source_file": f"sat/{cid}.xml",
            }
        )

    # earlier payments of the partly paid PPD invoices (installment 1)
    earlier = inv[inv["_ppd"] & inv["total"].gt(inv["_open"])]
    start = pd.Timestamp(company.period_end).replace(day=1)
    for doc, i in earlier.iterrows():
        issued_on = pd.Timestamp(i["issue_date"])
        # paid before this period's receipts: within 20 days of issue, before the period
        when = min(issued_on + pd.Timedelta(days=20), max(issued_on, start - pd.Timedelta(days=1)))
        cid = _uuid("rep-earlier", str(doc))
        rep(cid, str(doc), when, 1, int(i["total"]), int(i["total"]) - int(i["_open"]))
        issued.append(
            {"uuid": cid, "date": when + pd.Timedelta(days=2), "rfc": i["receiver_tax_id"]}
        )
    # this close's automatic applications to Mexican PPD invoices
    alloc = result.allocations
    auto = alloc[alloc["status"].eq("auto") & alloc["document_id"].isin(inv.index)]
    auto = auto[auto["document_id"].map(inv["_ppd"]).astype(bool)]
    paid = auto.groupby(["payment_id", "document_id"], sort=True)["amount_applied"].sum()
    dates = result.payments.drop_duplicates("payment_id").set_index("payment_id")["value_date"]
    keys = list(paid.index)
    skip = keys[len(keys) // 5][1] if keys else ""
    chain = keys[len(keys) // 3][1] if len(keys) > 2 else ""
    reject = keys[len(keys) // 2][1] if len(keys) > 4 else ""
    planted.update(ppd_without_rep=skip, rep_balance_disagrees=chain, rejected_rep=reject)
    for (pid, doc), amount in paid.items():
        if doc == skip:
            continue  # planted: paid in this close, no complement
        i = inv.loc[doc]
        n = 2 if i["total"] > i["_open"] else 1
        before = int(i["_open"])
        if doc == chain:
            before += 100_000  # planted: ImpSaldoAnt 1,000.00 too high
        when = pd.Timestamp(dates[pid])
        cid = _uuid("rep", str(pid), str(doc))
        rep(cid, str(doc), when, n, before, int(amount))
        if doc == reject:
            rows[-1]["currency"] = "USD"  # planted: MonedaDR is not the invoice's currency
            rows[-1]["equivalence"] = "0.055"
        issued.append(
            {"uuid": cid, "date": when + pd.Timedelta(days=1), "rfc": i["receiver_tax_id"]}
        )
    comps = typed_table(rows, PAYMENT_COMPLEMENTS)
    comps = comps.sort_values(
        ["payment_date", "complement_uuid", "payment_index", "related_index"], kind="stable"
    ).reset_index(drop=True)
    cut = pd.Timestamp(company.period_end)
    payment_docs = pd.DataFrame(
        {
            "uuid": [r["uuid"] for r in issued],
            "kind": "payment",
            "series": "P",
            "folio": [str(k + 1) for k in range(len(issued))],
            "document_number": [f"P-{k + 1}" for k in range(len(issued))],
            "issuer_tax_id": ISSUER_RFC,
            "issuer_name": "Cuadre Demo S.A. de C.V.",
            "receiver_tax_id": [r["rfc"] for r in issued],
            "receiver_name": "",
            "issue_date": [
                min(pd.Timestamp(r["date"]), cut + pd.Timedelta(days=3)) for r in issued
            ],
            "currency": "XXX",
            "total": 0,
            "payment_method": "",
            "payment_form": "",
            "status": "valid",
            "related_uuids": "",
            "source_file": [f"sat/{r['uuid']}.xml" for r in issued],
        }
    )
    return comps, payment_docs, planted


def _plant_mx(
    docs: pd.DataFrame, busy: set[str], cut: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A cancelled CFDI still open, a credit note with TipoRelacion 04."""
    docs = docs.copy()
    invoices = docs[
        docs["kind"].eq("invoice") & docs["_open"].gt(0) & ~docs["_document_id"].isin(busy)
    ]
    cancelled = invoices["_document_id"].iloc[len(invoices) // 2]
    at = docs["_document_id"].eq(cancelled)
    docs.loc[at, "status"] = "cancelled"
    docs.loc[at, "cancellation_date"] = cut - pd.Timedelta(days=10)
    notes = docs[docs["kind"].eq("credit_note") & docs["related_uuids"].str.startswith("01:")]
    note = notes["_document_id"].iloc[0]
    at = docs["_document_id"].eq(note)
    docs.loc[at, "related_uuids"] = docs.loc[at, "related_uuids"].str.replace("01:", "04:", n=1)
    return docs, {"cancelled_open": cancelled, "credit_note_relation": note}


def _dian_docs(oi: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    co = oi[oi["company"].eq("CO01") & oi["fiscal_uuid"].ne("")]
    co = co.drop_duplicates("document_id").sort_values("document_id", kind="stable")
    uuid_of = dict(zip(co["document_id"], co["fiscal_uuid"].str.lower(), strict=True))
    credit = co["document_type"].eq("credit_note")
    kind = co["document_type"].where(
        co["document_type"].isin(["credit_note", "debit_note"]), "invoice"
    )
    parts = co["document_id"].map(_series_folio)
    docs = pd.DataFrame(
        {
            "uuid": co["fiscal_uuid"].str.lower(),
            "kind": kind,
            "series": parts.map(lambda p: p[0]),
            "folio": parts.map(lambda p: p[1]),
            "document_number": co["document_id"].map(compact),
            "issuer_tax_id": ISSUER_NIT,
            "issuer_name": "Cuadre Demo Colombia S.A.S.",
            "receiver_tax_id": co["tax_id"],
            "receiver_name": co["customer_name"],
            "issue_date": co["document_date"],
            "due_date": co["due_date"],
            "currency": co["currency"],
            "total": co["amount_original"].fillna(co["amount_open"]).astype("int64").abs(),
            "payment_method": "2",
            "payment_form": "42",
            "status": "valid",
            "related_uuids": np.where(credit, "3:" + co["reference"].map(uuid_of).fillna(""), ""),
            "source_file": "dian/" + co["document_id"].str.replace(" ", "") + ".xml",
            "_document_id": co["document_id"],
        }
    )
    invoices = docs[docs["kind"].eq("invoice")]["_document_id"]
    rejected, missing = invoices.iloc[len(invoices) // 3], invoices.iloc[2 * len(invoices) // 3]
    docs.loc[docs["_document_id"].eq(rejected), "status"] = "rejected"
    docs = docs[~docs["_document_id"].eq(missing)]
    return docs, {"dian_rejected_open": rejected, "dian_missing": missing}


# --------------------------------------------------------------------------- customer


def _customer_statement(result: CloseResult) -> tuple[pd.DataFrame, dict[str, str]]:
    after = result.open_after
    invoices = after[after["document_type"].eq("invoice") & after["company"].eq("MX01")]
    counts = invoices.groupby("customer_id").size()
    who = str(counts[counts.eq(counts.max())].index.min())
    ours = after[after["customer_id"].eq(who)].sort_values(["document_date", "document_id"])
    ours = (
        ours.groupby("document_id", sort=False)
        .agg(
            document_date=("document_date", "min"),
            currency=("currency", "first"),
            amount=("amount_open", "sum"),
            reference=("reference", "first"),
            kind=("document_type", "first"),
        )
        .reset_index()
    )
    theirs = ours.assign(note="", reference=ours["reference"].fillna(""))
    inv_rows = theirs.index[theirs["kind"].eq("invoice")]
    priced = inv_rows[len(inv_rows) // 2]
    amount = int(theirs.loc[priced, "amount"])
    theirs.loc[priced, "amount"] = amount - (amount * 3 + 50) // 100
    theirs.loc[priced, "note"] = "diferencia de precio: lista vigente"
    last = theirs.loc[inv_rows[-1]]
    series, folio = _series_folio(str(last["document_id"]))
    unknown = f"{series}-{int(folio) + 9_000}" if folio else "FA-999999"
    theirs = pd.concat(
        [
            theirs,
            pd.DataFrame(
                [
                    {
                        "document_id": unknown,
                        "document_date": last["document_date"],
                        "currency": last["currency"],
                        "amount": 1_250_000,
                        "reference": "",
                        "note": "",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    # they write our numbers their way: no dash
    theirs["document_id"] = theirs["document_id"].str.replace("-", "", regex=False)
    theirs["customer_id"] = who
    table = typed_table(theirs.drop(columns=["kind"]).to_dict("records"), CUSTOMER_STATEMENT)
    planted = {
        "statement_customer": who,
        "statement_pricing": str(ours.loc[priced, "document_id"]),
        "statement_only_theirs": unknown.replace("-", ""),
    }
    return table, planted


# --------------------------------------------------------------------------- GL


def _gl_lines(
    company: DemoCompany, cash_book: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Postings to the control accounts and the trial balance they leave."""
    oi = company.open_items
    cut = pd.Timestamp(company.period_end)
    start = cut.replace(day=1)
    ar = {c.company: (c.ar[0], c.currency) for c in COUNTRIES}
    period = oi[oi["document_date"].between(start, cut)].drop_duplicates("document_id")
    period = period.sort_values(["document_date", "document_id"], kind="stable")
    mx_last = period[period["company"].eq("MX01") & period["document_type"].eq("invoice")]
    timing = mx_last.sort_values(["document_date", "document_id"]).iloc[-1]
    timing_doc = str(timing["document_id"])
    posted = period["document_date"].where(
        period["document_id"].ne(timing_doc), cut + pd.Timedelta(days=2)
    )
    rows = pd.DataFrame(
        {
            "posting_id": [f"AR-{i + 1:05d}" for i in range(len(period))],
            "account": period["company"].map(lambda c: ar[c][0]),
            "posting_date": posted,
            "currency": period["currency"],
            "amount": period["amount_original"].fillna(period["amount_open"]).astype("int64"),
            "document_id": period["document_id"],
            "reference": period["reference"],
            "description": period["document_type"].str.replace("_", " "),
            "source": "AR",
            "customer_id": period["customer_id"],
            "company": period["company"],
        }
    )
    mxn_ar = ar["MX01"][0]
    planted_rows = pd.DataFrame(
        [
            {
                "posting_id": "JE-2026-1088",
                "account": mxn_ar,
                "posting_date": cut - pd.Timedelta(days=1),
                "currency": "MXN",
                "amount": 125_000,
                "description": "Ajuste manual reclasificación anticipos",
                "source": "MANUAL",
                "company": "MX01",
            },
            {
                "posting_id": "FX-2026-10",
                "account": mxn_ar,
                "posting_date": cut,
                "currency": "MXN",
                "amount": 348_015,
                "description": "Revaluación cartera en dólares (diferencia cambiaria)",
                "source": "REVAL",
                "company": "MX01",
            },
            {
                "posting_id": "GL-2026-0457",
                "account": mxn_ar,
                "posting_date": cut - pd.Timedelta(days=4),
                "currency": "MXN",
                "amount": 870_000,
                "document_id": "FA-199457",
                "description": "Factura registrada directo en contabilidad",
                "source": "GL",
                "company": "MX01",
            },
        ]
    )
    lines = typed_table(
        pd.concat([rows, planted_rows], ignore_index=True).to_dict("records"), GL_POSTINGS
    )
    lines = lines.sort_values(["posting_date", "posting_id"], kind="stable").reset_index(drop=True)
    tb = company.trial_balance.copy()
    control = tb["account"].eq(mxn_ar)
    moved = int(planted_rows["amount"].sum()) - int(
        rows.loc[rows["document_id"].eq(timing_doc), "amount"].sum()
    )
    tb.loc[control, "balance"] = tb.loc[control, "balance"].astype("int64") + moved
    opening = company.statements.groupby("currency")["opening_balance"].sum()
    book = cash_book.groupby("currency")["amount"].sum()
    for country in COUNTRIES:
        at = tb["account"].eq(country.cash[0])
        cur = country.currency
        tb.loc[at, "balance"] = int(opening.get(cur, 0)) + int(book.get(cur, 0))
    tb["balance"] = tb["balance"].astype("Int64")
    planted = {
        "gl_manual": "JE-2026-1088",
        "gl_fx": "FX-2026-10",
        "gl_only": "GL-2026-0457",
        "gl_timing": timing_doc,
    }
    return lines, tb, planted


# --------------------------------------------------------------------------- entry


def demo_reconcile_tables(company: DemoCompany, result: CloseResult) -> dict[str, pd.DataFrame]:
    """The reconciliation inputs of the sample company (see the module doc), keyed by
    ReconcileInputs field: ``cash_book``, ``fiscal_docs``, ``complements``,
    ``customer_statement``, ``gl_lines``, ``trial_balance``."""
    return demo_reconcile_data(company, result)[0]


def demo_reconcile_data(
    company: DemoCompany, result: CloseResult
) -> tuple[dict[str, pd.DataFrame], Planted]:
    """:func:`demo_reconcile_tables` and where each case was planted."""
    rng = np.random.default_rng(SEED)
    cut = pd.Timestamp(company.period_end)
    cash_book, wrong_line = _cash_book(company, rng)
    mx = _mx_docs(company.open_items)
    comps, payment_docs, planted = _complements(mx, result, company)
    busy = {v for v in planted.values() if v}
    # the cancelled invoice is one no complement pays (else a second case is planted)
    busy |= set(mx.loc[mx["uuid"].isin(comps["related_uuid"]), "_document_id"])
    mx, more = _plant_mx(mx, busy, cut)
    planted.update(more)
    co, more = _dian_docs(company.open_items)
    planted.update(more)
    statement, more = _customer_statement(result)
    planted.update(more)
    gl_lines, tb, more = _gl_lines(company, cash_book)
    planted.update(more)
    planted["book_amount_difference"] = wrong_line
    docs = pd.concat(
        [
            mx.drop(columns=["_document_id", "_open", "_ppd"]),
            payment_docs,
            co.drop(columns="_document_id"),
        ],
        ignore_index=True,
    )
    fiscal = typed_table(docs.to_dict("records"), FISCAL_DOCS)
    fiscal = fiscal.sort_values(["issue_date", "uuid"], kind="stable").reset_index(drop=True)
    tables = {
        "cash_book": cash_book,
        "fiscal_docs": fiscal,
        "complements": comps,
        "customer_statement": statement,
        "gl_lines": gl_lines,
        "trial_balance": tb,
    }
    return tables, Planted(**planted)
