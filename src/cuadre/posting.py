"""Posting accepted matches: the clearing journal, an SAP upload, CFDI payment complements.

From the allocations a reviewer kept (``auto`` rows not rejected, ``suggested`` rows
accepted: :func:`cuadre.learning.accepted_rows`):

- ``clearing_journal``: one balanced journal per payment, in the generic layout
  (journal_id, date, account, customer_id, document_id, debit, credit, currency, text):
  debit the bank, credit the customer per document cleared, debit the expense account of
  each difference (bank fee, early-payment discount, withholding, deduction), credit
  the customer's on-account (unapplied cash) for money left on account. Checked to
  balance in code.
- ``sap_upload``: the same as an SAP incoming-payment upload (FB05/F-28 style rows:
  BLDAT, BUDAT, BLART DZ, BUKRS, WAERS, XBLNR, posting key NEWBS 40 bank / 15 customer
  payment / 40 expense, NEWKO account, WRBTR amount, REBZG invoice cleared, SGTXT).
- ``complement_data``: per invoice paid, what a Mexican payment complement (CFDI Pagos
  2.0, SAT Anexo 20) needs: NumParcialidad, ImpSaldoAnt, ImpPagado, ImpSaldoInsoluto,
  taking earlier complements into account when the imported ``payment_complements``
  table is given. PPD invoices need one by the 5th day of the next month.

Accounts come from ``PostingAccounts`` (defaults are placeholders to set in Settings).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pydantic import BaseModel, Field

from cuadre.findings import Finding, Location, warning
from cuadre.journals import check_balanced
from cuadre.learning import accepted_rows
from cuadre.model.tables import JOURNAL_LINES, Column, Kind, TableSchema

COMPLEMENT_DATA = TableSchema(
    name="complement_data",
    sheet="ComplementData",
    description="What each payment complement (REP) to issue needs, per invoice paid.",
    sort_by=("payment_id", "related_uuid"),
    columns=(
        Column("payment_id", Kind.TEXT, True),
        Column("payment_date", Kind.DATE, True),
        Column("customer_id", Kind.TEXT, True),
        Column("document_id", Kind.TEXT, True),
        Column("related_uuid", Kind.TEXT, False, "fiscal_uuid of the invoice"),
        Column("currency", Kind.CURRENCY, True),
        Column("installment", Kind.INT, True, "NumParcialidad"),
        Column("balance_before", Kind.MONEY, True, "ImpSaldoAnt"),
        Column("amount_paid", Kind.MONEY, True, "ImpPagado"),
        Column("balance_after", Kind.MONEY, True, "ImpSaldoInsoluto"),
        Column("due_by", Kind.DATE, False, "issue by: the 5th of the next month"),
    ),
)


class PostingAccounts(BaseModel):
    """GL accounts used in the clearing journal (per currency where it differs)."""

    bank: dict[str, str] = Field(default_factory=lambda: {"*": "1102"})
    receivables: str = "1105"
    on_account: str = "2205"
    differences: dict[str, str] = Field(
        default_factory=lambda: {
            "bank fee": "6105",
            "early payment discount": "4175",
            "withholding tax": "1355",
            "deduction": "1330",
            "short payment: bank fee or discount": "6105",
        }
    )
    company: str = "1000"

    def bank_for(self, currency: str) -> str:
        return self.bank.get(currency, self.bank.get("*", "1102"))

    def difference_for(self, reason: str) -> str:
        return self.differences.get(reason, self.differences.get("deduction", "1330"))


def kept_allocations(allocations: pd.DataFrame) -> pd.DataFrame:
    """Rows to post: a payment is posted only when every one of its rows is kept."""
    kept = accepted_rows(allocations) & allocations["status"].ne("unmatched")
    whole = kept.groupby(allocations["payment_id"]).transform("all")
    return allocations[whole].reset_index(drop=True)


def clearing_journal(
    allocations: pd.DataFrame,
    payments: pd.DataFrame,
    accounts: PostingAccounts | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    accounts = accounts or PostingAccounts()
    rows = kept_allocations(allocations)
    dates = payments.set_index("payment_id")["value_date"]
    lines: list[dict[str, object]] = []
    for pid, group in rows.groupby("payment_id", sort=True):
        lines += _journal(str(pid), group, dates.get(pid), accounts)
    table = pd.DataFrame(lines, columns=JOURNAL_LINES.names)
    for c in ("debit", "credit", "line"):
        table[c] = table[c].astype("Int64")
    table["date"] = pd.to_datetime(table["date"]).astype("datetime64[ns]")
    findings = check_balanced(table)
    return table, findings


def _journal(
    pid: str, group: pd.DataFrame, date: object, accounts: PostingAccounts
) -> list[dict[str, object]]:
    """One payment's journal: bank debit, customer credits, differences, on account."""
    cur = str(group["currency"].iloc[0])
    journal: list[dict[str, object]] = []

    def add(account: str, customer: str, doc: str, amount: int, text: str) -> None:
        journal.append(
            {
                "journal_id": f"CASH-{pid}",
                "line": len(journal) + 1,
                "date": date,
                "account": account,
                "customer_id": customer,
                "document_id": doc,
                "currency": cur,
                "debit": amount if amount > 0 else 0,
                "credit": -amount if amount < 0 else 0,
                "text": text,
                "reversal_of": "",
            }
        )

    received = int(group["amount_applied"].fillna(0).sum() + group["difference"].fillna(0).sum())
    add(accounts.bank_for(cur), "", "", received, f"payment {pid}")
    for r in group.itertuples(index=False):
        applied = 0 if pd.isna(r.amount_applied) else int(r.amount_applied)
        if r.document_id:
            add(accounts.receivables, r.customer_id, r.document_id, -applied,
                f"clears {r.document_id}")
        elif applied:
            add(accounts.on_account, r.customer_id, "", -applied, "on account")
        diff = 0 if pd.isna(r.difference) else int(r.difference)
        if diff:
            add(accounts.difference_for(r.difference_reason), r.customer_id, r.document_id,
                -diff, r.difference_reason or "difference")
    return journal


def sap_upload(journal: pd.DataFrame, accounts: PostingAccounts | None = None) -> pd.DataFrame:
    """The clearing journal as SAP incoming-payment upload rows (one row per line)."""
    accounts = accounts or PostingAccounts()
    out = pd.DataFrame(
        {
            "BLDAT": journal["date"].dt.strftime("%d.%m.%Y"),
            "BUDAT": journal["date"].dt.strftime("%d.%m.%Y"),
            "BLART": "DZ",
            "BUKRS": accounts.company,
            "WAERS": journal["currency"],
            "XBLNR": journal["journal_id"].str.removeprefix("CASH-").str.slice(0, 16),
            "NEWBS": [
                "15" if acc == accounts.receivables and cust else ("40" if deb else "50")
                for acc, cust, deb in zip(
                    journal["account"], journal["customer_id"], journal["debit"].fillna(0) > 0,
                    strict=True,
                )
            ],
            "NEWKO": [
                cust if acc in (accounts.receivables, accounts.on_account) and cust else acc
                for acc, cust in zip(journal["account"], journal["customer_id"], strict=True)
            ],
            "WRBTR": (journal["debit"].fillna(0) + journal["credit"].fillna(0)).astype("Int64"),
            "REBZG": journal["document_id"],
            "SGTXT": journal["text"].str.slice(0, 50),
        }
    )
    return out


def complement_data(
    allocations: pd.DataFrame,
    payments: pd.DataFrame,
    open_items: pd.DataFrame,
    complements: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Per invoice paid by a posted payment: installment and the balances to declare."""
    rows = kept_allocations(allocations)
    rows = rows[rows["document_id"].ne("")]
    docs = open_items.drop_duplicates("document_id").set_index("document_id")
    dates = payments.set_index("payment_id")["value_date"]
    previous: dict[str, int] = {}
    if complements is not None and len(complements):
        counts = complements.groupby(complements["related_uuid"].str.upper())["installment"].max()
        previous = {k: int(v) for k, v in counts.items() if not pd.isna(v)}
    findings: list[Finding] = []
    balance: dict[str, int] = {}
    paid_count: dict[str, int] = {}
    out: list[dict[str, object]] = []
    order = rows.assign(pay_date=rows["payment_id"].map(dates)).sort_values(["pay_date", "payment_id"])
    for r in order.itertuples(index=False):
        if r.document_id not in docs.index:
            continue
        d = docs.loc[r.document_id]
        if d["document_type"] != "invoice" or int(r.amount_applied) <= 0:
            continue
        uuid = str(d.get("fiscal_uuid", "") or "").upper()
        before = balance.get(r.document_id, int(d["amount_open"]))
        paid = int(r.amount_applied)
        n = paid_count.get(r.document_id)
        if n is None:
            earlier = previous.get(uuid, 0)
            original = d.get("amount_original")
            if not earlier and not pd.isna(original) and int(original) > int(d["amount_open"]):
                findings.append(
                    warning(
                        Location(str(d.get("source_path", "") or "open_items")),
                        "INSTALLMENT_UNKNOWN",
                        f"{r.document_id} was partly paid before but no earlier payment "
                        "complement was given; NumParcialidad 2 is assumed",
                        "Import the earlier complements (cuadre import cfdi) to number them.",
                    )
                )
                earlier = 1
            n = earlier
        n += 1
        paid_count[r.document_id] = n
        balance[r.document_id] = before - paid
        date = r.pay_date
        due_by = (pd.Timestamp(date) + pd.offsets.MonthBegin(1) + pd.Timedelta(days=4)
                  if not pd.isna(date) else pd.NaT)
        out.append(
            {
                "payment_id": r.payment_id,
                "payment_date": date,
                "customer_id": r.customer_id,
                "document_id": r.document_id,
                "related_uuid": uuid,
                "currency": d["currency"],
                "installment": n,
                "balance_before": before,
                "amount_paid": paid,
                "balance_after": before - paid,
                "due_by": due_by,
            }
        )
    table = pd.DataFrame(out, columns=COMPLEMENT_DATA.names)
    for c in ("installment", "balance_before", "amount_paid", "balance_after"):
        table[c] = table[c].astype("Int64")
    for c in ("payment_date", "due_by"):
        table[c] = pd.to_datetime(table[c]).astype("datetime64[ns]")
    return table, findings


def complement_deadline(payment_date: dt.date) -> dt.date:
    """A payment complement is due by the 5th calendar day of the following month."""
    first = (payment_date.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first.replace(day=5)
