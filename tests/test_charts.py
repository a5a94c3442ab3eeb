"""Charts as PNG bytes (cuadre.charts)."""

import datetime as dt
import io
import struct

import numpy as np
import pandas as pd
from matplotlib.image import imread

from cuadre.aging import age_receivables
from cuadre.aging_history import build_ledger, sample_history
from cuadre.charts import aging_chart, aging_totals_chart, kpi_chart
from cuadre.demo.generator import generate_company
from cuadre.kpis import kpi_trend

PNG = b"\x89PNG\r\n\x1a\n"


def size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def test_aging_charts_are_png_deterministic_and_not_blank():
    company = generate_company(seed=4, n_customers=40)
    aging, _ = age_receivables(company.open_items, company.period_end)
    png = aging_chart(aging, "MXN", top=8)
    assert png.startswith(PNG) and png == aging_chart(aging, "MXN", top=8)
    w, h = size(png)
    assert 600 < w < 1400 and 300 < h < 1400
    img = pixels(png)
    assert img[..., :3].std() > 0.05  # bars drawn, not an empty canvas
    assert b"Matplotlib version" not in png  # no software version in the metadata
    other = aging_totals_chart(aging)
    assert other.startswith(PNG) and other != png


def test_credits_stack_left_and_empty_currency_still_draws():
    aging = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "customer_name": ["Alfa", ""],
            "currency": ["USD", "USD"],
            "current": pd.array([100_00, -50_00], dtype="Int64"),
            "1-30": pd.array([0, 20_00], dtype="Int64"),
            "31+": pd.array([30_00, 0], dtype="Int64"),
            "total": pd.array([130_00, -30_00], dtype="Int64"),
        }
    )
    assert aging_chart(aging, "USD").startswith(PNG)
    assert aging_chart(aging, "EUR").startswith(PNG)  # nothing in EUR: an empty frame


def test_kpi_chart():
    company = generate_company(seed=4, n_customers=20)
    history, apps = sample_history(company.open_items, company.customers, company.period_end)
    ledger, _ = build_ledger(history, apps)
    kpis, _ = kpi_trend(ledger, dt.date(2026, 1, 1), dt.date(2026, 10, 31), company.customers)
    png = kpi_chart(kpis, "USD")
    assert png.startswith(PNG) and png == kpi_chart(kpis, "USD")
    assert pixels(png)[..., :3].std() > 0.05
