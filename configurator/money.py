"""Money: exact amounts, the one rounding rule, and how amounts are written (core: no rich,
no typer). The bottom of the package: the catalog schema, the pricing engine, the rules engine
and the renderers all round and write amounts through this module.

Amounts are :class:`~decimal.Decimal` everywhere. The rule, applied everywhere:

- list prices, option prices and fixed discounts are exact amounts in cents (the catalog
  schema refuses more than two decimals), so sums of them need no rounding;
- every *computed* amount is rounded to the cent (0.01) with ROUND_HALF_UP the moment it is
  computed: the net price (subtotal / (1 + VAT rate)), the VAT it contains (then subtotal - net,
  exact), each tax and each of its intermediate steps (the full tax, a reduction), a percentage
  discount, a converted amount;
- thresholds compare against those rounded amounts (what the invoice shows);
- shown and exported amounts have exactly two decimals, rounded the same way.

Only :func:`round_cents` rounds; the rest of the code adds and subtracts exact Decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal(1)


def round_cents(amount: Decimal) -> Decimal:
    """Round to 0.01, half up (0.005 -> 0.01, -0.005 -> -0.01); never "-0.00": the one
    rounding rule of the package."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def money_json(amount: Decimal) -> str:
    """An amount for JSON and CSV: two decimals, no grouping, e.g. ``"529900.00"``."""
    return f"{round_cents(amount):f}"


def format_money(amount: Decimal) -> str:
    """An amount for people: thousands grouped, two decimals, e.g. ``"529,900.00"``."""
    return f"{round_cents(amount):,.2f}"


def net_of(gross: Decimal, vat_rate: Decimal) -> Decimal:
    """The price excluding VAT of a price that includes it, rounded to the cent."""
    return round_cents(gross / (ONE + vat_rate))


def vat_on(net: Decimal, vat_rate: Decimal) -> Decimal:
    """The VAT added on top of a net price, rounded to the cent."""
    return round_cents(net * vat_rate)


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    """``rate`` (a fraction such as 0.10) of ``amount``, rounded to the cent."""
    return round_cents(amount * rate)


def smallest_reaching(
    target: Decimal, estimate: Decimal, base: Callable[[Decimal], Decimal]
) -> Decimal:
    """The smallest amount in cents (>= 0) whose ``base`` reaches ``target``.

    ``base`` must be non-decreasing (a net price, a price with VAT). Used to tell a buyer where
    a tax cliff starts in list-price terms: a Net of 900,000 at 13% VAT starts at a list price
    of 1,017,000.00. ``estimate`` is a guess; a galloping then binary search over whole cents
    finds the answer in a few dozen evaluations even from a poor guess.
    """

    def reaches(cents: int) -> bool:
        return base(Decimal(cents) / 100) >= target

    guess = max(0, int(estimate.quantize(CENT, rounding=ROUND_CEILING) * 100))
    step = 1
    if reaches(guess):
        high, low = guess, guess - step
        while low >= 0 and reaches(low):
            high, step = low, step * 2
            low = high - step
        low = max(low, -1)  # -1 stands for "below zero": never reaches
    else:
        low, high = guess, guess + step
        while not reaches(high):
            low, step = high, step * 2
            high = low + step
    while high - low > 1:  # invariant: low does not reach (or is -1), high does
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle
    return (Decimal(high) / 100).quantize(CENT)
