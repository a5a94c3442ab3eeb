"""Charts as PNG bytes, for the sheets and the demo workbook: the aging by bucket and
the KPI trend.

What
    - ``aging_chart(aging, currency)``: horizontal stacked bars, one per customer (the
      ``top`` largest totals; the rest summed as "others"), one colour per bucket from
      green (current) to red (oldest); credits (negative buckets) stack to the left.
    - ``aging_totals_chart(aging)``: one stacked bar per currency (share of each
      bucket), to compare currencies of different size.
    - ``kpi_chart(kpis, currency)``: DSO simple and countback and best possible DSO by
      month (days, left), CEI and % current (percent, right).

How
    matplotlib drawn on the non-interactive Agg canvas (no display needed, safe in a
    server or a CI job; the process-wide backend is left alone), a fresh ``Figure`` per
    chart (no pyplot global state, so charts can be drawn from several threads), PNG metadata without the software
    version so the same data gives the same bytes. Money is shown in major units:
    the only float conversion, for drawing.

Reference: the pictures are inserted with xlsxwriter ``insert_image`` (``image_data``)
by the workbook shell.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from cuadre.model.tables import AGING_FIXED
from cuadre.money import minor_to_float

PNG_METADATA = {"Software": None}
DPI = 110


def _bucket_columns(aging: pd.DataFrame) -> list[str]:
    cols = list(aging.columns)
    end = cols.index("total")
    return [c for c in cols[:end] if c not in AGING_FIXED]


def _colours(n: int) -> list[tuple[float, float, float, float]]:
    cmap = matplotlib.colormaps["RdYlGn_r"]
    return [cmap(x) for x in np.linspace(0.1, 0.95, n)]


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)  # the Agg canvas, whatever backend pyplot may use elsewhere
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata=PNG_METADATA, bbox_inches="tight")
    return buffer.getvalue()


def _major(frame: pd.DataFrame, column: str) -> np.ndarray:
    return minor_to_float(frame[column].fillna(0), frame["currency"]).to_numpy(dtype=float)


def aging_chart(
    aging: pd.DataFrame,
    currency: str,
    top: int = 12,
    title: str | None = None,
) -> bytes:
    """Stacked aging buckets for the ``top`` customers of ``currency`` (PNG bytes)."""
    labels = _bucket_columns(aging)
    part = aging[aging["currency"] == currency].copy()
    part = part.sort_values("total", ascending=False, kind="stable")
    head, rest = part.head(top), part.iloc[top:]
    if len(rest):
        other = {c: rest[c].fillna(0).sum() for c in [*labels, "total"]}
        other.update(customer_id="", customer_name=f"others ({len(rest)})", currency=currency)
        head = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    names = [
        (str(n) if n else str(c))[:32]
        for n, c in zip(
            head.get("customer_name", head["customer_id"]), head["customer_id"], strict=True
        )
    ]
    fig = Figure(figsize=(9, 0.4 * max(len(head), 3) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(head))[::-1]
    left_pos = np.zeros(len(head))
    left_neg = np.zeros(len(head))
    for label, colour in zip(labels, _colours(len(labels)), strict=True):
        values = _major(head, label) if len(head) else np.zeros(0)
        pos = np.where(values > 0, values, 0)
        neg = np.where(values < 0, values, 0)
        ax.barh(y, pos, left=left_pos, color=colour, label=label, height=0.7)
        ax.barh(y, neg, left=left_neg, color=colour, height=0.7)
        left_pos += pos
        left_neg += neg
    ax.set_yticks(y, names, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(currency)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(title or f"Aging by customer ({currency})", fontsize=11)
    ax.legend(
        ncols=min(len(labels), 6),
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 if len(head) > 3 else -0.25),
        frameon=False,
    )
    ax.grid(axis="x", linewidth=0.3)
    ax.set_axisbelow(True)
    return _png(fig)


def aging_totals_chart(
    aging: pd.DataFrame, title: str = "Aging by currency (share of total)"
) -> bytes:
    """One 100 % stacked bar per currency: the weight of each bucket (PNG bytes)."""
    labels = _bucket_columns(aging)
    sums = aging.groupby("currency")[[*labels, "total"]].sum().astype("float64")
    fig = Figure(figsize=(8, 0.6 * max(len(sums), 2) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(sums))[::-1]
    left = np.zeros(len(sums))
    total = sums["total"].where(sums["total"] != 0).to_numpy()
    for label, colour in zip(labels, _colours(len(labels)), strict=True):
        share = np.nan_to_num(sums[label].to_numpy() / total * 100)
        ax.barh(y, share, left=left, color=colour, label=label, height=0.6)
        left += share
    ax.set_yticks(y, list(sums.index))
    ax.set_xlabel("% of total")
    ax.set_title(title, fontsize=11)
    ax.legend(
        ncols=min(len(labels), 6),
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        frameon=False,
    )
    return _png(fig)


def kpi_chart(kpis: pd.DataFrame, currency: str, title: str | None = None) -> bytes:
    """DSO (simple, countback, best possible) and CEI / % current by month (PNG bytes)."""
    part = kpis[kpis["currency"] == currency].sort_values("month", kind="stable")
    months = [f"{pd.Timestamp(m):%Y-%m}" for m in part["month"]]
    x = np.arange(len(part))
    fig = Figure(figsize=(9, 4.2))
    ax = fig.add_subplot()
    styles = (
        ("dso_simple", "DSO (simple)", "-", "o"),
        ("dso_countback", "DSO (countback)", "-", "s"),
        ("best_possible_dso", "Best possible DSO", "--", None),
    )
    for column, label, line, marker in styles:
        ax.plot(
            x, part[column].to_numpy(dtype=float), line, marker=marker, markersize=3, label=label
        )
    ax.set_ylabel("days")
    ax.set_xticks(x, months, rotation=45, ha="right", fontsize=8)
    ax.grid(linewidth=0.3)
    right = ax.twinx()
    right.plot(x, part["cei"].to_numpy(dtype=float), ":", color="grey", label="CEI %")
    right.plot(x, part["pct_current"].to_numpy(dtype=float), ":", color="green", label="% current")
    right.set_ylabel("%")
    right.set_ylim(0, 105)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    names = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    ax.legend(
        handles,
        names,
        fontsize=8,
        loc="upper center",
        ncols=5,
        bbox_to_anchor=(0.5, -0.25),
        frameon=False,
    )
    ax.set_title(title or f"Receivables KPIs ({currency})", fontsize=11)
    return _png(fig)


__all__ = ["aging_chart", "aging_totals_chart", "kpi_chart"]
