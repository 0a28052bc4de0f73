"""Money as text: one place that decides how amounts are written (core: no rich, no typer).

Amounts are :class:`~decimal.Decimal` everywhere. Shown and exported amounts have exactly two
decimals, rounded half up (ROUND_HALF_UP: 0.005 -> 0.01), the usual rule for prices.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round to two decimals, half up (0.005 -> 0.01, -0.005 -> -0.01); never "-0.00"."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def money_json(amount: Decimal) -> str:
    """An amount for JSON and CSV: two decimals, no grouping, e.g. ``"529900.00"``."""
    return f"{to_cents(amount):f}"


def format_money(amount: Decimal) -> str:
    """An amount for people: thousands grouped, two decimals, e.g. ``"529,900.00"``."""
    return f"{to_cents(amount):,.2f}"
