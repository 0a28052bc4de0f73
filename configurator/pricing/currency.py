"""Approximate conversions of a quote into other currencies, at the market's dated rates.

The rate used is the latest on or before the quote's date (with a warning when it is older
than :data:`STALE_RATE_DAYS`, or when only later rates exist). Each converted amount is
rounded to the cent, half up (:func:`configurator.money.round_cents`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from configurator.errors import UsageError, did_you_mean
from configurator.money import round_cents
from configurator.quote import Conversion, Quote, construct

if TYPE_CHECKING:
    from configurator.catalog.schema import Market

STALE_RATE_DAYS = 92


class ExchangeRateFacts(NamedTuple):
    """A dated exchange rate: market-currency units per unit of each currency."""

    date: dt.date
    rates: dict[str, Decimal]


class Currencies:
    """A market's exchange rates, oldest first. Plain data."""

    def __init__(self, market: Market) -> None:
        self._market_id = market.id
        self._rates = sorted(
            (ExchangeRateFacts(r.date, dict(r.rates)) for r in market.exchange_rates),
            key=lambda r: r.date,
        )

    def rate_for(self, currency: str, on: dt.date) -> tuple[ExchangeRateFacts, list[str]]:
        """The dated rate for ``currency`` in force on ``on`` (the latest before it)."""
        with_currency = [r for r in self._rates if currency in r.rates]
        if not with_currency:
            known = sorted({c for r in self._rates for c in r.rates})
            raise UsageError(
                f"market '{self._market_id}' has no exchange rate for {currency}"
                + (f" (it has {', '.join(known)})" if known else " (it has none)"),
                suggestion=did_you_mean(currency, known),
            )
        earlier = [r for r in with_currency if r.date <= on]
        warnings: list[str] = []
        if earlier:
            rate = earlier[-1]
            age = (on - rate.date).days
            if age > STALE_RATE_DAYS:
                warnings.append(
                    f"the newest {currency} rate is from {rate.date.isoformat()}, {age} days "
                    f"before {on.isoformat()}: the {currency} amounts are rough"
                )
        else:
            rate = with_currency[0]
            warnings.append(
                f"no {currency} rate on or before {on.isoformat()}: the {currency} amounts use "
                f"the earliest rate, of {rate.date.isoformat()}"
            )
        return rate, warnings

    def convert(self, quote: Quote, currencies: Sequence[str]) -> Quote:
        """The quote with approximate conversions into ``currencies`` added."""
        conversions = list(quote.conversions)
        warnings = list(quote.warnings)
        for raw in currencies:
            currency = raw.strip().upper()
            if currency == quote.currency or any(c.currency == currency for c in conversions):
                continue
            rate, rate_warnings = self.rate_for(currency, quote.date)
            per_unit = rate.rates[currency]
            warnings += rate_warnings

            def to(amount: Decimal, per_unit: Decimal = per_unit) -> Decimal:
                return round_cents(amount / per_unit)

            conversions.append(
                construct(
                    Conversion,
                    currency=currency,
                    rate=per_unit,
                    rate_date=rate.date,
                    approximate=True,
                    subtotal=to(quote.subtotal),
                    net=to(quote.net),
                    vat=to(quote.vat),
                    total=to(quote.total),
                    deposit=to(quote.deposit),
                    lines=[to(line.amount) for line in quote.lines],
                    taxes=[to(tax.amount) for tax in quote.taxes],
                )
            )
        return replace(quote, conversions=conversions, warnings=warnings)
