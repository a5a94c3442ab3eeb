"""Statements of account (estados de cuenta), per customer, as xlsx and PDF, in bulk.

What
    - ``open_item_statements(open_items, as_of, ...)``: outstanding items only, with
      their days past due and the balance;
    - ``activity_statements(ledger, period_start, period_end, ...)``: full activity of
      a period from the history (:mod:`cuadre.aging_history`): opening balance, every
      document posted and every payment or clearing, running balance, closing balance;
    - both carry the aging strip (the customer's aging row at the statement date);
    - ``write_statements_xlsx(path, statements, company)``: a summary sheet, then one
      sheet per statement (or, above ``per_sheet_limit`` statements, one sheet with
      all the lines), through :mod:`cuadre.workbook.writer`;
    - ``statement_pdf`` / ``statements_pdf``: PDF bytes, one statement per page group,
      in Spanish or English.

Rules
    One statement per customer and currency. Activity statements prove themselves:
    opening + the lines = closing = the AR rebuilt at the closing date
    (``STATEMENT_NOT_BALANCED`` otherwise). Customers with nothing open and no activity
    get no statement. Lines sorted by date, documents before payments, then document.

PDF
    fpdf2 (pure Python, LGPL, maintained, no system libraries): text is real text (a
    test extracts it with pypdf), with the DejaVu Sans font that matplotlib ships so
    that any name (ñ, ç, ő, —) prints; Helvetica (Latin-1 only) is the fallback.
    ReportLab was the alternative; fpdf2 is smaller and enough for tables.

Reference: shared DOMAIN.md (people 2 and 5: statements of account sent to customers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fpdf import FPDF

from cuadre.aging import DEFAULT_BUCKETS, age_receivables, bucket_labels
from cuadre.aging_history import Ledger, aging_as_of
from cuadre.findings import Finding, Location, error
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.money import format_amount, from_minor

LINES = TableSchema(
    name="statement_lines",
    sheet="StatementLines",
    description="The lines of the statements of account.",
    sort_by=("customer_id", "currency", "date"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("currency", Kind.CURRENCY, True),
        Column("date", Kind.DATE, True, "document or payment date"),
        Column("document_id", Kind.TEXT, True),
        Column("document_type", Kind.TEXT),
        Column("reference", Kind.TEXT),
        Column("due_date", Kind.DATE),
        Column("days_past_due", Kind.INT),
        Column("amount", Kind.MONEY, True, "signed: charges +, payments and credits -"),
        Column("balance", Kind.MONEY, True, "running balance"),
        Column("settles", Kind.TEXT, False, "documents a payment or clearing settled"),
    ),
)

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Estado de cuenta",
        "customer": "Cliente",
        "tax_id": "RFC / NIT",
        "period": "Periodo",
        "as_of": "Saldos al",
        "opening": "Saldo inicial",
        "closing": "Saldo final",
        "charges": "Cargos",
        "credits": "Abonos",
        "date": "Fecha",
        "document": "Documento",
        "type": "Tipo",
        "reference": "Referencia",
        "due": "Vence",
        "days": "Días",
        "amount": "Importe",
        "balance": "Saldo",
        "aging": "Antigüedad de saldos",
        "current": "Por vencer",
        "total": "Total",
        "page": "Página",
        "of": "de",
        "open_note": "Documentos pendientes de pago",
        "activity_note": "Movimientos del periodo",
        "invoice": "Factura",
        "credit_note": "Nota de crédito",
        "debit_note": "Nota de cargo",
        "payment": "Pago",
        "advance": "Anticipo",
        "adjustment": "Ajuste",
        "clearing": "Compensación",
    },
    "en": {
        "title": "Statement of account",
        "customer": "Customer",
        "tax_id": "Tax ID",
        "period": "Period",
        "as_of": "Balances as of",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "charges": "Charges",
        "credits": "Credits",
        "date": "Date",
        "document": "Document",
        "type": "Type",
        "reference": "Reference",
        "due": "Due",
        "days": "Days",
        "amount": "Amount",
        "balance": "Balance",
        "aging": "Aging",
        "current": "Current",
        "total": "Total",
        "page": "Page",
        "of": "of",
        "open_note": "Open items",
        "activity_note": "Activity in the period",
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "debit_note": "Debit note",
        "payment": "Payment",
        "advance": "Advance",
        "adjustment": "Adjustment",
        "clearing": "Clearing",
    },
}


@dataclass
class Statement:
    """One customer's statement in one currency."""

    customer_id: str
    customer_name: str
    currency: str
    mode: str  # "open" or "activity"
    period_end: dt.date
    period_start: dt.date | None
    opening: int | None
    closing: int
    lines: pd.DataFrame
    aging: dict[str, int] = field(default_factory=dict)
    tax_id: str = ""
    email: str = ""

    @property
    def charges(self) -> int:
        a = self.lines["amount"].to_numpy(dtype=np.int64, na_value=0)
        return int(a[a > 0].sum())

    @property
    def credits(self) -> int:
        a = self.lines["amount"].to_numpy(dtype=np.int64, na_value=0)
        return int(a[a < 0].sum())


def _master(customers: pd.DataFrame | None) -> pd.DataFrame:
    if customers is None or customers.empty:
        return pd.DataFrame(index=pd.Index([], name="customer_id"))
    return customers.drop_duplicates("customer_id").set_index("customer_id")


def _info(master: pd.DataFrame, cid: str, column: str, fallback: str = "") -> str:
    if column in master and cid in master.index:
        value = master.at[cid, column]
        if isinstance(value, str) and value:
            return value
    return fallback


def _aging_rows(aging: pd.DataFrame, labels: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    out = {}
    for d in aging.to_dict("records"):
        out[(d["customer_id"], d["currency"])] = {c: int(d[c]) for c in [*labels, "total"]}
    return out


def _finish_lines(frame: pd.DataFrame, start: pd.Series | None = None) -> pd.DataFrame:
    keys = ["customer_id", "currency"]
    f = frame.reset_index(drop=True)
    running = f.groupby(keys)["amount"].cumsum()
    if start is not None:
        running = running + pd.MultiIndex.from_frame(f[keys]).map(start.to_dict()).fillna(0)
    f["balance"] = pd.array(running.to_numpy(dtype=np.int64), dtype="Int64")
    f["amount"] = f["amount"].astype("Int64")
    for c in LINES.names:
        if c not in f:
            f[c] = "" if LINES.column(c).kind == Kind.TEXT else pd.NA
    f["days_past_due"] = f["days_past_due"].astype("Int64")
    return f[LINES.names]


def open_item_statements(
    open_items: pd.DataFrame,
    as_of: dt.date,
    customers: pd.DataFrame | None = None,
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
    customer_ids: Iterable[str] | None = None,
) -> tuple[list[Statement], list[Finding]]:
    """Outstanding items only, one statement per customer and currency at ``as_of``."""
    day = pd.Timestamp(as_of)
    oi = open_items[open_items["document_date"] <= day]
    if customer_ids is not None:
        oi = oi[oi["customer_id"].isin(set(customer_ids))]
    aging, findings = age_receivables(oi, as_of, buckets, customers)
    labels = bucket_labels(buckets)
    strips = _aging_rows(aging, labels)
    oi = oi.sort_values(["customer_id", "currency", "document_date", "document_id"], kind="stable")
    due = oi["due_date"]
    lines = pd.DataFrame(
        {
            "customer_id": oi["customer_id"].to_numpy(),
            "currency": oi["currency"].to_numpy(),
            "date": oi["document_date"].to_numpy(dtype="datetime64[ns]"),
            "document_id": oi["document_id"].to_numpy(),
            "document_type": oi["document_type"].to_numpy(),
            "reference": oi["reference"].to_numpy(),
            "due_date": due.to_numpy(dtype="datetime64[ns]"),
            "days_past_due": (day - due).dt.days.to_numpy(),
            "amount": oi["amount_open"].fillna(0).astype("int64").to_numpy(),
            "settles": "",
        }
    )
    lines = _finish_lines(lines)
    names = _names(oi)
    return _build(lines, strips, customers, names, "open", as_of, None, None), findings


def activity_statements(
    ledger: Ledger,
    period_start: dt.date,
    period_end: dt.date,
    customers: pd.DataFrame | None = None,
    buckets: tuple[int, ...] | list[int] = DEFAULT_BUCKETS,
    customer_ids: Iterable[str] | None = None,
) -> tuple[list[Statement], list[Finding]]:
    """Full activity between two days from the history ledger (see the module doc)."""
    ids = None if customer_ids is None else sorted(set(customer_ids))
    items = ledger.items
    keys = ["customer_id", "currency"]
    before = period_start - dt.timedelta(days=1)
    balances = pd.DataFrame(
        {
            "customer_id": items["customer_id"].to_numpy(),
            "currency": items["currency"].to_numpy(),
            "opening": ledger.open_at(before),
            "closing": ledger.open_at(period_end),
        }
    )
    if ids is not None:
        balances = balances[balances["customer_id"].isin(ids)]
    sums = balances.groupby(keys)[["opening", "closing"]].sum()
    flows = ledger.flows(period_start, period_end, ids, settled_documents=True)
    day = pd.Timestamp(period_end)
    flows["days_past_due"] = np.where(
        flows["due_date"].notna(), (day - flows["due_date"]).dt.days, np.nan
    )
    lines = _finish_lines(flows, sums["opening"])
    moved = lines.groupby(keys)["amount"].sum()
    index = sums.index.union(moved.index)
    check = pd.DataFrame(
        {
            "opening": sums["opening"].reindex(index).fillna(0),
            "moved": moved.reindex(index).fillna(0),
            "closing": sums["closing"].reindex(index).fillna(0),
        }
    ).astype("int64")
    findings: list[Finding] = []
    bad = check[check["opening"] + check["moved"] != check["closing"]]
    for (cid, cur), r in bad.head(20).iterrows():
        findings.append(
            error(
                Location("statements"),
                "STATEMENT_NOT_BALANCED",
                f"statement {cid} {cur}: opening {format_amount(int(r['opening']), str(cur))} + "
                f"lines {format_amount(int(r['moved']), str(cur))} != closing "
                f"{format_amount(int(r['closing']), str(cur))}",
                "Report this: the history and its flows disagree.",
            )
        )
    aging, more = aging_as_of(ledger, period_end, buckets, customers)
    findings.extend(more)
    if ids is not None:
        aging = aging[aging["customer_id"].isin(ids)]
    strips = _aging_rows(aging, bucket_labels(buckets))
    live = check[(check != 0).any(axis=1)]
    names = _names(items)
    statements = _build(lines, strips, customers, names, "activity", period_end, period_start, live)
    return statements, findings


def _build(
    lines: pd.DataFrame,
    strips: dict[tuple[str, str], dict[str, int]],
    customers: pd.DataFrame | None,
    names: pd.Series,
    mode: str,
    end: dt.date,
    start: dt.date | None,
    balances: pd.DataFrame | None,
) -> list[Statement]:
    master = _master(customers)
    groups = {k: g.reset_index(drop=True) for k, g in lines.groupby(["customer_id", "currency"])}
    keys = list(balances.index) if balances is not None else sorted(groups)
    out = []
    empty = lines.iloc[0:0]
    for key in keys:
        cid, cur = str(key[0]), str(key[1])
        part = groups.get((cid, cur), empty)
        opening = int(balances.at[key, "opening"]) if balances is not None else None
        closing = (
            int(balances.at[key, "closing"])
            if balances is not None
            else int(part["amount"].astype("int64").sum())
        )
        out.append(
            Statement(
                customer_id=cid,
                customer_name=_info(master, cid, "customer_name", str(names.get(cid, "")) or cid),
                currency=cur,
                mode=mode,
                period_end=end,
                period_start=start,
                opening=opening,
                closing=closing,
                lines=part,
                aging=strips.get((cid, cur), {}),
                tax_id=_info(master, cid, "tax_id"),
                email=_info(master, cid, "email"),
            )
        )
    return out


def _names(items: pd.DataFrame) -> pd.Series:
    named = items[items["customer_name"].ne("")].drop_duplicates("customer_id")
    return named.set_index("customer_id")["customer_name"]


# --------------------------------------------------------------------------- xlsx


def statement_tables(statements: list[Statement]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, lines): one summary row per statement (opening, charges, credits,
    closing, aging strip) and all the lines."""
    labels: list[str] = []
    for s in statements:
        labels = [k for k in s.aging if k != "total"] or labels
    rows = []
    for s in statements:
        row = {
            "customer_id": s.customer_id,
            "customer_name": s.customer_name,
            "currency": s.currency,
            "email": s.email,
            "opening": s.opening,
            "charges": s.charges,
            "credits": s.credits,
            "closing": s.closing,
        }
        row.update({k: s.aging.get(k, 0) for k in labels})
        rows.append(row)
    summary = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "customer_name",
            "currency",
            "email",
            "opening",
            "charges",
            "credits",
            "closing",
            *labels,
        ],
    )
    for c in ["opening", "charges", "credits", "closing", *labels]:
        summary[c] = summary[c].astype("Int64")
    lines = (
        pd.concat([s.lines for s in statements], ignore_index=True)
        if statements
        else pd.DataFrame(columns=LINES.names)
    )
    return summary, lines


def _summary_schema(summary: pd.DataFrame) -> TableSchema:
    cols = []
    for name in summary.columns:
        kind = Kind.MONEY if str(summary[name].dtype) == "Int64" else Kind.TEXT
        if name == "currency":
            kind = Kind.CURRENCY
        cols.append(Column(str(name), kind))
    return TableSchema("statements_summary", "Statements", tuple(cols))


def _sheet_name(s: Statement, used: set[str]) -> str:
    bad = set("[]:*?/\\'")
    base = "".join("_" if ch in bad else ch for ch in f"{s.customer_id} {s.currency}")[:28]
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base[:25]} ({n})"
    used.add(name.lower())
    return name


def write_statements_xlsx(
    path: str | Path,
    statements: list[Statement],
    company: Mapping[str, str],
    language: str = "es",
    per_sheet_limit: int = 50,
) -> None:
    """Write the statements to one workbook (see the module docstring)."""
    from cuadre.workbook.writer import ControlRow, SheetSpec, write_workbook

    t = LABELS[language]
    summary, lines = statement_tables(statements)
    name = company.get("name", "")
    sheets = [
        SheetSpec(
            name="Statements",
            table_name="statements_summary",
            frame=summary,
            schema=_summary_schema(summary),
            title=f"{t['title']} - {name}".strip(" -"),
            subtitle=_period_text(statements[0], t) if statements else "",
            totals=(),
        )
    ]
    if len(statements) > per_sheet_limit:
        sheets.append(
            SheetSpec(
                name="StatementLines",
                table_name="statement_lines",
                frame=lines,
                schema=LINES,
                title=t["activity_note"],
            )
        )
    else:
        used = {"statements"}
        for i, s in enumerate(statements, start=1):
            controls = []
            if s.opening is not None:
                controls.append(ControlRow(t["opening"], s.opening, currency=s.currency))
            controls.append(ControlRow(t["charges"], s.charges, currency=s.currency))
            controls.append(ControlRow(t["credits"], s.credits, currency=s.currency))
            controls.append(ControlRow(t["closing"], s.closing, currency=s.currency))
            for label, value in s.aging.items():
                if label != "total":
                    shown = t["current"] if label == "current" else label
                    controls.append(
                        ControlRow(f"{t['aging']}: {shown}", value, currency=s.currency)
                    )
            who = f"{s.customer_name} ({s.customer_id})" + (f" - {s.tax_id}" if s.tax_id else "")
            sheets.append(
                SheetSpec(
                    name=_sheet_name(s, used),
                    table_name=f"statement_{i}",
                    frame=s.lines.drop(columns=["customer_id"]),
                    schema=LINES,
                    title=f"{t['title']}: {who}",
                    subtitle=f"{name} - {_period_text(s, t)}".strip(" -"),
                    controls=tuple(controls),
                )
            )
    write_workbook(path, sheets, properties={"title": t["title"], "company": name or "Cuadre"})


def _period_text(s: Statement, t: Mapping[str, str]) -> str:
    if s.period_start is not None:
        return f"{t['period']} {s.period_start:%Y-%m-%d} - {s.period_end:%Y-%m-%d}"
    return f"{t['as_of']} {s.period_end:%Y-%m-%d}"


# --------------------------------------------------------------------------- PDF


def _font_path() -> Path | None:
    try:
        import matplotlib

        p = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        return p if p.exists() else None
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None


def _amount(units: Any, currency: str, language: str) -> str:
    if units is None or pd.isna(units):
        return ""
    text = f"{from_minor(int(units), currency):,}"
    if language == "es" and currency in ("COP", "EUR"):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def statements_pdf(
    statements: list[Statement],
    company: Mapping[str, str],
    language: str | Mapping[str, str] = "es",
) -> bytes:
    """All statements in one PDF, each starting on a new page. ``language`` is ``es``,
    ``en`` or a mapping customer_id -> language."""
    pdf = _PDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 15)
    day = statements[0].period_end if statements else dt.date(2000, 1, 1)
    pdf.set_creation_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    font = _font_path()
    family = "Helvetica"
    if font is not None:
        pdf.add_font("DejaVu", "", str(font))
        bold = font.with_name("DejaVuSans-Bold.ttf")
        pdf.add_font("DejaVu", "B", str(bold if bold.exists() else font))
        family = "DejaVu"
    pdf.set_font(family, size=9)
    for s in statements:
        lang = language if isinstance(language, str) else language.get(s.customer_id, "es")
        _pdf_statement(pdf, s, company, LABELS[lang], lang, family)
    if not statements:
        pdf.add_page()
    return bytes(pdf.output())


def statement_pdf(statement: Statement, company: Mapping[str, str], language: str = "es") -> bytes:
    """One statement as PDF bytes."""
    return statements_pdf([statement], company, language)


class _PDF(FPDF):
    """FPDF with a footer line naming the statement on every page."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.font_family, size=7)
        self.cell(0, 5, self.footer_text, align="C")


_PDF_COLUMNS = (  # key, width mm, align
    ("date", 19, "L"),
    ("document", 29, "L"),
    ("type", 25, "L"),
    ("reference", 27, "L"),
    ("due", 19, "L"),
    ("days", 11, "R"),
    ("amount", 25, "R"),
    ("balance", 25, "R"),
)


def _text(value: str, family: str) -> str:
    if family == "DejaVu":
        return value
    return value.encode("latin-1", "replace").decode("latin-1")


def _fit(pdf: FPDF, text: str, width: float) -> str:
    get = pdf.get_string_width
    if get(text) <= width - 1:
        return text
    while text and get(text + "…") > width - 1:
        text = text[:-1]
    return text + "…"


def _pdf_statement(
    p: _PDF,
    s: Statement,
    company: Mapping[str, str],
    t: Mapping[str, str],
    lang: str,
    family: str,
) -> None:
    name = company.get("name", "")
    p.footer_text = _text(f"{name} - {t['title']} - {s.customer_id} {s.currency}", family)
    p.add_page()
    cell, setf = p.cell, p.set_font
    setf(family, "B", 13)
    cell(0, 7, _text(name, family), new_x="LMARGIN", new_y="NEXT")
    setf(family, "", 8)
    contact = " - ".join(x for x in (company.get("email", ""), company.get("phone", "")) if x)
    if contact:
        cell(0, 4, _text(contact, family), new_x="LMARGIN", new_y="NEXT")
    p.ln(3)
    setf(family, "B", 12)
    cell(0, 7, _text(f"{t['title']} ({s.currency})", family), new_x="LMARGIN", new_y="NEXT")
    setf(family, "", 9)
    cell(
        0,
        5,
        _text(f"{t['customer']}: {s.customer_name} ({s.customer_id})", family),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if s.tax_id:
        cell(0, 5, _text(f"{t['tax_id']}: {s.tax_id}", family), new_x="LMARGIN", new_y="NEXT")
    cell(0, 5, _text(_period_text(s, t), family), new_x="LMARGIN", new_y="NEXT")
    p.ln(2)
    if s.opening is not None:
        setf(family, "B", 9)
        cell(
            0,
            5,
            _text(f"{t['opening']}: {_amount(s.opening, s.currency, lang)} {s.currency}", family),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    setf(family, "B", 8)
    note = t["activity_note"] if s.mode == "activity" else t["open_note"]
    cell(0, 5, _text(note, family), new_x="LMARGIN", new_y="NEXT")
    p.set_fill_color(230, 230, 230)
    for key, width, align in _PDF_COLUMNS:
        cell(width, 5, _text(t[key], family), border=1, align=align, fill=True)
    p.ln()
    setf(family, "", 7.5)
    for r in s.lines.itertuples(index=False):
        values = {
            "date": f"{pd.Timestamp(r.date):%Y-%m-%d}",
            "document": str(r.document_id),
            "type": t.get(str(r.document_type), str(r.document_type)),
            "reference": str(r.settles or r.reference or ""),
            "due": "" if pd.isna(r.due_date) else f"{pd.Timestamp(r.due_date):%Y-%m-%d}",
            "days": ""
            if pd.isna(r.days_past_due) or int(r.days_past_due) <= 0
            else str(int(r.days_past_due)),
            "amount": _amount(r.amount, s.currency, lang),
            "balance": _amount(r.balance, s.currency, lang),
        }
        for key, width, align in _PDF_COLUMNS:
            cell(width, 4.5, _fit(p, _text(values[key], family), width), border="B", align=align)
        p.ln()
    p.ln(2)
    setf(family, "B", 9)
    cell(
        0,
        5,
        _text(f"{t['closing']}: {_amount(s.closing, s.currency, lang)} {s.currency}", family),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if s.aging:
        p.ln(2)
        setf(family, "B", 8)
        cell(0, 5, _text(t["aging"], family), new_x="LMARGIN", new_y="NEXT")
        labels = list(s.aging)
        strip_w = 180 / len(labels)
        setf(family, "", 7.5)
        for label in labels:
            shown = (
                t["current"] if label == "current" else (t["total"] if label == "total" else label)
            )
            cell(strip_w, 5, _text(shown, family), border=1, align="C", fill=True)
        p.ln()
        for label in labels:
            cell(strip_w, 5, _amount(s.aging[label], s.currency, lang), border=1, align="R")
        p.ln()


__all__ = [
    "LABELS",
    "LINES",
    "Statement",
    "activity_statements",
    "open_item_statements",
    "statement_pdf",
    "statement_tables",
    "statements_pdf",
    "write_statements_xlsx",
]
