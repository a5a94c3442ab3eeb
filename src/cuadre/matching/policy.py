"""The knobs of cash application (:class:`MatchPolicy`); the defaults are strict."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MatchPolicy(BaseModel):
    """The knobs of cash application; defaults are strict."""

    auto_threshold: float = Field(0.9, ge=0, le=1, description="confidence needed for auto")
    tolerance_pct: float = Field(
        0.5, ge=0, le=100, description="short payment settled with a difference, % of open"
    )
    fuzzy_min_score: float = Field(90, ge=0, le=100, description="payer-name similarity floor")
    fuzzy_margin: float = Field(4, ge=0, le=100, description="lead over the next best name")
    max_oldest_prefix: int = Field(12, ge=1, description="oldest invoices tried as a block")
    bank_fees: dict[str, float] = Field(
        default_factory=lambda: {"MXN": 50.0, "USD": 35.0, "EUR": 30.0, "COP": 15_000.0},
        description="largest bank fee a payer deducts, per currency (major units)",
    )
    discount_rates: list[float] = Field(
        default_factory=lambda: [1, 1.5, 2, 2.5, 3, 5],
        description="early-payment discount rates offered, % of the invoices",
    )
    withholding: dict[str, list[float]] = Field(
        default_factory=lambda: {"COP": [2.5, 4, 3.5, 2, 1, 6, 10, 11]},
        description="income-tax withholding rates on the base, per currency (Colombia)",
    )
    vat_withholding: dict[str, tuple[float, list[float]]] = Field(
        default_factory=lambda: {"COP": (19.0, [0.0, 15.0])},
        description="VAT rate and VAT-withholding rates (reteIVA), per currency",
    )
    deduction_max_pct: float = Field(
        10, ge=0, le=100, description="a shortfall below this % of named invoices is a deduction"
    )
    auto_deductions: bool = Field(
        True,
        description=(
            "settle named invoices paid short by an unexplained deduction (below "
            "deduction_max_pct) automatically, the shortfall kept as a deduction to investigate"
        ),
    )
    overpayment_max_pct: float = Field(
        25, ge=0, le=100, description="excess over named invoices left on account automatically"
    )
    subset_max_items: int = Field(18, ge=1, description="open documents searched for a sum")
    subset_max_size: int = Field(6, ge=1, description="documents in one payment without references")
    retry_rounds: int = Field(
        3,
        ge=0,
        description=(
            "rounds in which payments without references that applied nothing are read "
            "again, after the others took their invoices"
        ),
    )
    run_max_size: int = Field(
        12, ge=1, description="consecutive invoices (due-date order) one payment may settle"
    )
