"""Dunning: reminder levels by days overdue, fees and interest, and the letters.

What
    ``load_policy(path)`` reads a :class:`DunningPolicy` from TOML (the default is
    ``templates/dunning_policy.toml``: friendly reminder from 1 day, second notice from
    30, final demand from 60 with a fee, escalation to external collections from 90).
    ``dunning_run(open_items, as_of, policy, ...)`` decides, per customer and currency,
    the level and what to send (:data:`NOTICES`, with the lines in :data:`NOTICE_ITEMS`);
    ``render_letters(run, company)`` writes one letter or e-mail per customer from the
    editable Jinja templates in Spanish and English (``templates/es``, ``templates/en``;
    a folder of your own overrides them file by file).

Rules
    - Lines: every undisputed item past due (``min_days`` of the first level or more)
      with a positive open amount, plus the customer's open credits (credit notes,
      unapplied cash, advances), which reduce what is claimed. Days past due as the
      aging counts them (no due date: document date + the customer's terms). Disputed amounts
      (:mod:`~cuadre.collections.disputes`) are left out and mentioned.
    - Level: that of the oldest overdue line (the highest level whose ``min_days`` it
      reaches). With the previous run's levels (``previous``), a customer climbs one
      level at a time.
    - Fee: the level's fee in the currency; interest: simple, ``interest_rate`` a year
      on each overdue line for its days past due beyond ``interest_grace_days``,
      /365, rounded half up to the currency's minor unit.
    - Skipped (``action = skip``, with the reason): overdue net of credits below the
      currency's minimum, nothing left after disputes and credits, or a promise to pay
      still open (``skip_open_promises``).

Templates
    Rendered in a sandbox (:class:`jinja2.sandbox.SandboxedEnvironment`, undefined
    variables are errors). The first line rendered is the subject, the rest the body.
    Filters ``money`` (``1,234.56 MXN``; ``1.234,56 COP`` for ``decimal_comma``
    currencies) and ``date`` (``31 de octubre de 2026`` / ``October 31, 2026``; ``short``:
    ``31/10/2026`` / ``Oct 31, 2026``).

Reference: SAP dunning procedure (levels, minimum amounts, charges, interest; F150);
shared DOMAIN.md (person 4: dunning and bad-debt management).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from cuadre.aging import effective_due_dates
from cuadre.collections.disputes import split_disputed
from cuadre.findings import Finding
from cuadre.fx import div_round
from cuadre.model.tables import Column, Kind, TableSchema
from cuadre.money import exponent, from_minor, to_minor

CREDIT_TYPES = ("credit_note", "payment", "advance")
LANGUAGES = ("es", "en")


@dataclass(frozen=True)
class DunningLevel:
    level: int
    name: str
    min_days: int
    template: str
    fee: Mapping[str, int] = field(default_factory=dict)
    """Minor units per currency."""


@dataclass(frozen=True)
class DunningPolicy:
    """Levels, minimums, fees and interest; see the module docstring."""

    levels: tuple[DunningLevel, ...]
    minimum: Mapping[str, int] = field(default_factory=dict)
    interest_rate: Decimal = Decimal(0)
    interest_grace_days: int = 0
    skip_open_promises: bool = True
    default_language: str = "es"
    language_by_currency: Mapping[str, str] = field(default_factory=dict)
    decimal_comma: frozenset[str] = frozenset({"COP", "EUR"})

    def __post_init__(self) -> None:
        days = [lv.min_days for lv in self.levels]
        if not self.levels or days != sorted(set(days)) or days[0] < 1:
            raise ValueError(
                "dunning levels need increasing min_days of at least 1 day, "
                f"one per level; yours are {days}"
            )
        if self.default_language not in LANGUAGES:
            raise ValueError(f"default_language must be es or en, not {self.default_language!r}")


def _units(value: object, currency: str, where: str) -> int:
    try:
        return to_minor(Decimal(str(value)), currency)
    except (InvalidOperation, KeyError, ValueError):
        raise ValueError(f"{where}: {value!r} is not an amount in {currency}") from None


def policy_from_dict(data: Mapping[str, Any]) -> DunningPolicy:
    """A policy from the TOML structure of ``templates/dunning_policy.toml``."""
    levels = []
    for raw in data.get("level", []):
        fee = {
            cur: _units(v, cur, f"level {raw.get('level')} fee")
            for cur, v in raw.get("fee", {}).items()
        }
        levels.append(
            DunningLevel(
                int(raw["level"]), str(raw["name"]), int(raw["min_days"]), str(raw["template"]), fee
            )
        )
    try:
        rate = Decimal(str(data.get("interest_rate", "0")))
    except InvalidOperation:
        raise ValueError(f"interest_rate {data.get('interest_rate')!r} is not a number") from None
    return DunningPolicy(
        levels=tuple(sorted(levels, key=lambda lv: lv.min_days)),
        minimum={c: _units(v, c, "minimum") for c, v in data.get("minimum", {}).items()},
        interest_rate=rate,
        interest_grace_days=int(data.get("interest_grace_days", 0)),
        skip_open_promises=bool(data.get("skip_open_promises", True)),
        default_language=str(data.get("default_language", "es")),
        language_by_currency=dict(data.get("language_by_currency", {})),
        decimal_comma=frozenset(data.get("decimal_comma", ["COP", "EUR"])),
    )


def _templates() -> Path:
    return Path(str(resources.files("cuadre.collections").joinpath("templates")))


def load_policy(path: str | Path | None = None) -> DunningPolicy:
    """Read a policy file (TOML); without a path, the default policy."""
    p = Path(path) if path is not None else _templates() / "dunning_policy.toml"
    with open(p, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{p}: not a valid TOML file ({exc})") from None
    try:
        return policy_from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"{p}: each [[level]] needs level, name, min_days, template ({exc})"
        ) from None


# --------------------------------------------------------------------------- the run

NOTICES = TableSchema(
    name="dunning_notices",
    sheet="Dunning",
    description="Per customer and currency: the dunning level and what to send.",
    sort_by=("action", "level", "customer_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("customer_name", Kind.TEXT),
        Column("currency", Kind.CURRENCY, True),
        Column("level", Kind.INT, True),
        Column("level_name", Kind.TEXT),
        Column("template", Kind.TEXT),
        Column("language", Kind.TEXT),
        Column("email", Kind.TEXT),
        Column("items", Kind.INT, True, "overdue lines in the letter"),
        Column("max_days_past_due", Kind.INT, True),
        Column("overdue", Kind.MONEY, True, "overdue items net of open credits"),
        Column("disputed", Kind.MONEY, True, "left out: in dispute"),
        Column("fee", Kind.MONEY, True),
        Column("interest", Kind.MONEY, True),
        Column("total_due", Kind.MONEY, True, "overdue + fee + interest"),
        Column("action", Kind.TEXT, True, "send or skip"),
        Column("reason", Kind.TEXT),
    ),
)

NOTICE_ITEMS = TableSchema(
    name="dunning_items",
    sheet="DunningItems",
    description="The lines of each dunning letter.",
    sort_by=("customer_id", "currency", "due_date", "document_id"),
    columns=(
        Column("customer_id", Kind.TEXT, True),
        Column("currency", Kind.CURRENCY, True),
        Column("document_id", Kind.TEXT, True),
        Column("document_type", Kind.TEXT),
        Column("reference", Kind.TEXT),
        Column("document_date", Kind.DATE),
        Column("due_date", Kind.DATE),
        Column("days_past_due", Kind.INT, True),
        Column("level", Kind.INT, True, "0 for credits"),
        Column("amount_open", Kind.MONEY, True),
        Column("interest", Kind.MONEY, True),
    ),
)


@dataclass
class DunningRun:
    as_of: dt.date
    policy: DunningPolicy
    notices: pd.DataFrame
    items: pd.DataFrame
    findings: list[Finding]


def dunning_run(
    open_items: pd.DataFrame,
    as_of: dt.date,
    policy: DunningPolicy | None = None,
    customers: pd.DataFrame | None = None,
    *,
    disputes: pd.DataFrame | None = None,
    promises: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
) -> DunningRun:
    """Levels and letters' content at ``as_of``; see the module docstring.

    ``promises`` is the promise status table (:mod:`~cuadre.collections.promises`);
    ``previous`` has ``customer_id``, ``currency`` and ``level`` of the last letters sent.
    """
    policy = policy or load_policy()
    findings: list[Finding] = []
    day = pd.Timestamp(as_of)
    oi = open_items[open_items["document_date"] <= day]
    disputed = oi.iloc[0:0]
    if disputes is not None and len(disputes):
        oi, disputed, more = split_disputed(oi, disputes, as_of)
        findings.extend(more)
    due, _derived = effective_due_dates(oi, customers)
    days = (day - due).dt.days.astype("int64")
    amount = oi["amount_open"].fillna(0).astype("int64")
    first = policy.levels[0].min_days
    overdue = (amount > 0) & (days >= first)
    credit = (amount < 0) & oi["document_type"].isin(CREDIT_TYPES)
    lines = oi[overdue | credit].copy()
    lines["days_past_due"] = days[lines.index].to_numpy()
    thresholds = np.array([lv.min_days for lv in policy.levels])
    numbers = np.array([lv.level for lv in policy.levels])
    at = np.searchsorted(thresholds, lines["days_past_due"].to_numpy(), side="right") - 1
    is_debit = (lines["amount_open"].fillna(0) > 0).to_numpy()
    lines["level"] = np.where(is_debit & (at >= 0), numbers[np.clip(at, 0, None)], 0)
    lines["interest"] = _interest(lines, policy, is_debit)
    items = _items_table(lines)

    keys = ["customer_id", "currency"]
    debit = items[items["level"] > 0]
    has_debit = debit.groupby(keys).size()
    # customers with only credits get no notice, and their credits no lines
    items = items[items.set_index(keys).index.isin(has_debit.index)].reset_index(drop=True)
    grouped = items.groupby(keys)
    notices = grouped.agg(
        overdue=("amount_open", "sum"),
        interest=("interest", "sum"),
        max_days_past_due=("days_past_due", "max"),
    )
    notices["items"] = debit.groupby(keys).size().reindex(notices.index).fillna(0)
    notices["level"] = debit.groupby(keys)["level"].max().reindex(notices.index)
    if previous is not None and len(previous):
        last = previous.groupby(keys)["level"].max()
        cap = last.reindex(notices.index).fillna(0).astype("int64") + 1
        capped = np.minimum(notices["level"].astype("int64"), cap)
        notices["level"] = numbers[np.searchsorted(numbers, capped)]
    notices["disputed"] = (
        disputed.groupby(keys)["amount_open"].sum().reindex(notices.index).fillna(0)
        if len(disputed)
        else 0
    )
    notices = notices.reset_index()
    notices = _decide(notices, policy, customers, promises, oi)
    return DunningRun(as_of, policy, notices, items, findings)


def _interest(lines: pd.DataFrame, policy: DunningPolicy, is_debit: np.ndarray) -> np.ndarray:
    rate = policy.interest_rate
    out = np.zeros(len(lines), dtype=np.int64)
    if rate <= 0 or lines.empty:
        return out
    num, den = rate.as_integer_ratio()
    den *= 365
    charged = np.maximum(lines["days_past_due"].to_numpy(np.int64) - policy.interest_grace_days, 0)
    amount = lines["amount_open"].fillna(0).to_numpy(np.int64).astype(object)
    raw = div_round(amount * num * charged.astype(object), den, "half_up")
    return np.where(is_debit, raw, 0).astype(np.int64)


def _items_table(lines: pd.DataFrame) -> pd.DataFrame:
    out = lines.assign(
        amount_open=lines["amount_open"].astype("Int64"),
        interest=pd.array(lines["interest"].to_numpy(np.int64), dtype="Int64"),
        days_past_due=pd.array(lines["days_past_due"].to_numpy(np.int64), dtype="Int64"),
        level=pd.array(lines["level"].to_numpy(np.int64), dtype="Int64"),
    )
    out = out.sort_values(["customer_id", "currency", "due_date", "document_id"], kind="stable")
    return out[NOTICE_ITEMS.names].reset_index(drop=True)


def _decide(
    notices: pd.DataFrame,
    policy: DunningPolicy,
    customers: pd.DataFrame | None,
    promises: pd.DataFrame | None,
    oi: pd.DataFrame,
) -> pd.DataFrame:
    by_level = {lv.level: lv for lv in policy.levels}
    n = notices
    n["level"] = n["level"].astype("int64")
    n["level_name"] = n["level"].map(lambda v: by_level[v].name)
    n["template"] = n["level"].map(lambda v: by_level[v].template)
    n["fee"] = [
        int(by_level[lv].fee.get(c, 0)) for lv, c in zip(n["level"], n["currency"], strict=True)
    ]
    names = (
        oi[oi["customer_name"].ne("")]
        .drop_duplicates("customer_id")
        .set_index("customer_id")["customer_name"]
    )
    master = (
        customers.drop_duplicates("customer_id").set_index("customer_id")
        if customers is not None and len(customers)
        else pd.DataFrame(index=pd.Index([], name="customer_id"))
    )
    if "customer_name" in master:
        names = master["customer_name"].replace("", np.nan).dropna().combine_first(names)
    n["customer_name"] = n["customer_id"].map(names).astype(object).fillna("")
    email = master["email"] if "email" in master else pd.Series(dtype=object)
    n["email"] = n["customer_id"].map(email).astype(object).fillna("")
    lang_col = master["language"] if "language" in master else pd.Series(dtype=object)
    by_cur = n["currency"].map(
        lambda c: policy.language_by_currency.get(c, policy.default_language)
    )
    lang = n["customer_id"].map(lang_col).astype(object).fillna("").str.lower().str[:2]
    n["language"] = lang.where(lang.isin(LANGUAGES), by_cur)
    for c in ("overdue", "disputed", "interest"):
        n[c] = n[c].astype("int64")
    n["total_due"] = n["overdue"] + n["fee"] + n["interest"]
    minimum = n["currency"].map(lambda c: int(policy.minimum.get(c, 0)))
    reason = np.full(len(n), "", dtype=object)
    reason[(n["overdue"] < minimum).to_numpy()] = "overdue below the minimum for its currency"
    reason[(n["overdue"] <= 0).to_numpy()] = "open credits cover the overdue items"
    if promises is not None and len(promises) and policy.skip_open_promises:
        live = promises[promises["status"].eq("open")]
        waiting = pd.MultiIndex.from_frame(live[["customer_id", "currency"]])
        keyed = pd.MultiIndex.from_frame(n[["customer_id", "currency"]])
        dates = live.groupby(["customer_id", "currency"])["promise_date"].min()
        hit = keyed.isin(waiting)
        for i in np.flatnonzero(hit):
            when = dates.get((n.at[i, "customer_id"], n.at[i, "currency"]))
            reason[i] = f"promise to pay open until {pd.Timestamp(when):%Y-%m-%d}"
    n["reason"] = reason
    n["action"] = np.where(reason == "", "send", "skip")
    for c in ("level", "items", "max_days_past_due"):
        n[c] = n[c].astype("Int64")
    for c in ("overdue", "disputed", "fee", "interest", "total_due"):
        n[c] = n[c].astype("Int64")
    n = n.sort_values(
        ["action", "level", "customer_id"], ascending=[True, False, True], kind="stable"
    )
    return n[NOTICES.names].reset_index(drop=True)


# --------------------------------------------------------------------------- letters

MONTHS = {
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def format_money(units: Any, currency: str, decimal_comma: bool = False) -> str:
    """``123456, "MXN"`` -> ``1,234.56 MXN`` (``1.234,56 COP`` with a decimal comma)."""
    if units is None or pd.isna(units):
        return ""
    text = f"{from_minor(int(units), currency):,.{exponent(currency)}f}"
    if decimal_comma:
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{text} {currency}"


def format_date(value: Any, language: str, style: str = "long") -> str:
    if value is None or pd.isna(value):
        return ""
    d = pd.Timestamp(value)
    month = MONTHS[language][d.month - 1]
    if language == "es":
        return f"{d:%d/%m/%Y}" if style == "short" else f"{d.day} de {month} de {d.year}"
    return (
        f"{month[:3]} {d.day:02d}, {d.year}" if style == "short" else f"{month} {d.day}, {d.year}"
    )


@dataclass(frozen=True)
class Letter:
    customer_id: str
    currency: str
    level: int
    language: str
    to: str
    subject: str
    body: str

    @property
    def file_name(self) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.customer_id)
        return f"{safe}_{self.currency}_level{self.level}.txt"


def template_environment(templates_dir: str | Path | None = None) -> SandboxedEnvironment:
    """The Jinja environment: your folder first (if given), then the package's."""
    loaders = [FileSystemLoader(str(templates_dir))] if templates_dir else []
    loaders.append(FileSystemLoader(str(_templates())))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_letters(
    run: DunningRun,
    company: Mapping[str, str],
    customers: pd.DataFrame | None = None,
    templates_dir: str | Path | None = None,
    language: str | None = None,
) -> list[Letter]:
    """One letter per notice to send, in the notice's language (or ``language``).

    ``company`` gives ``name``, ``email`` and optionally ``phone`` for the letterhead.
    """
    env = template_environment(templates_dir)
    policy = run.policy
    cust = (
        customers.drop_duplicates("customer_id").set_index("customer_id")
        if customers is not None and len(customers)
        else None
    )
    # records once for all the letters (a per-letter to_dict is most of the time)
    lines: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in run.items.to_dict("records"):
        lines.setdefault((record["customer_id"], record["currency"]), []).append(record)
    by_level = {lv.level: lv for lv in policy.levels}
    letters = []
    for n in run.notices[run.notices["action"].eq("send")].itertuples(index=False):
        lang = language or str(n.language)
        comma = n.currency in policy.decimal_comma
        env.filters["money"] = lambda u, c, _comma=comma: format_money(u, c, _comma)
        env.filters["date"] = lambda d, style="long", _lang=lang: format_date(d, _lang, style)
        items = lines[(n.customer_id, n.currency)]
        tax_id = ""
        if cust is not None and "tax_id" in cust and n.customer_id in cust.index:
            tax_id = str(cust.at[n.customer_id, "tax_id"] or "")
        level = by_level[int(n.level)]
        context = {
            "company": {"name": "", "email": "", "phone": "", **company},
            "customer": {
                "id": n.customer_id,
                "name": n.customer_name or n.customer_id,
                "tax_id": tax_id,
                "email": n.email,
            },
            "level": {"level": level.level, "name": level.name, "min_days": level.min_days},
            "as_of": pd.Timestamp(run.as_of),
            "currency": n.currency,
            "items": items,
            "overdue": int(n.overdue),
            "fee": int(n.fee),
            "interest": int(n.interest),
            "total_due": int(n.total_due),
            "disputed": int(n.disputed),
            "interest_rate": f"{format((policy.interest_rate * 100).normalize(), 'f')}%",
        }
        text = env.get_template(f"{lang}/{n.template}.txt.j2").render(context)
        subject, _, body = text.partition("\n")
        letters.append(
            Letter(
                n.customer_id,
                n.currency,
                int(n.level),
                lang,
                str(n.email),
                subject.strip(),
                body.lstrip("\n"),
            )
        )
    return letters


def write_letters(letters: list[Letter], folder: str | Path) -> pd.DataFrame:
    """Write each letter as ``<customer>_<currency>_level<N>.txt`` (UTF-8, subject on
    the first line) and return the index table (customer, to, subject, file)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for letter in letters:
        path = out / letter.file_name
        path.write_text(f"{letter.subject}\n\n{letter.body}", encoding="utf-8")
        rows.append(
            {
                "customer_id": letter.customer_id,
                "currency": letter.currency,
                "level": letter.level,
                "language": letter.language,
                "to": letter.to,
                "subject": letter.subject,
                "file": path.name,
            }
        )
    return pd.DataFrame(
        rows, columns=["customer_id", "currency", "level", "language", "to", "subject", "file"]
    )


__all__ = [
    "NOTICES",
    "NOTICE_ITEMS",
    "DunningLevel",
    "DunningPolicy",
    "DunningRun",
    "Letter",
    "dunning_run",
    "format_date",
    "format_money",
    "load_policy",
    "policy_from_dict",
    "render_letters",
    "template_environment",
    "write_letters",
]
