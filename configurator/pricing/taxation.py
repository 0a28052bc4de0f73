"""What the state takes of one car: the VAT in (or on top of) its list price, the market's
taxes in force on the date (each computed by :mod:`configurator.pricing.taxes`), and where
the car stands against each cliff tax (the headroom, or once crossed the cost and the buyer's
option that took it over).

Rounding: the net price and each tax are rounded to the cent, half up
(:mod:`configurator.money`); thresholds compare against those rounded amounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from configurator.money import ZERO, format_money, net_of, percent_of, smallest_reaching, vat_on
from configurator.pricing.dates import DateSchedule
from configurator.pricing.selection import label
from configurator.pricing.taxes import (
    PeriodTerms,
    TaxOutcome,
    TaxTerms,
    compute,
    covering_period,
    percent_text,
)
from configurator.quote import QuoteLine, TaxLine, Threshold, construct

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog, Market

# Words for buyers: "price before VAT", not "Net"; a "tax threshold", not a "cliff".
BASE_LABEL = {"net": "price before VAT", "gross": "price incl. VAT"}


class StateTake(NamedTuple):
    """A car's net price, VAT, the taxes the buyer owes and its standing against cliffs."""

    net: Decimal
    vat: Decimal
    taxes: list[TaxLine]
    thresholds: list[Threshold]


class Taxation:
    """A market's VAT and dated taxes as they apply to one catalog's cars. Plain data."""

    def __init__(self, catalog: Catalog, market: Market, names: Mapping[str, str]) -> None:
        self._names = names
        self.prices_include_vat = market.prices_include_vat
        self.vat_rate = market.vat_rate
        self.tax_ids = tuple(tax.id for tax in market.taxes)  # the market's, in its order
        self._reaching: dict[tuple[Decimal, str], Decimal] = {}
        # take() without cliffs depends on the date and the subtotal only: distinct cars
        # share subtotals (a few hundred among thousands of Megane configurations)
        self._brief: dict[tuple[dt.date, str], tuple[Decimal, Decimal, tuple[TaxLine, ...]]] = {}
        terms: dict[int, tuple[TaxTerms, PeriodTerms]] = {}

        def taxes_on(day: dt.date) -> tuple[tuple[TaxTerms, PeriodTerms], ...]:
            found = []
            for tax in market.taxes:
                period = covering_period(tax, day, catalog.powertrain, catalog.nev)
                if period is not None:
                    pair = terms.get(id(period))
                    if pair is None:
                        pair = terms[id(period)] = (TaxTerms.of(tax), PeriodTerms.of(period))
                    found.append(pair)
            return tuple(found)

        self._taxes_on = DateSchedule.of(
            (end for tax in market.taxes for p in tax.periods for end in (p.from_, p.until)),
            taxes_on,
        )

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_brief"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._brief = {}

    def periods(self, on: dt.date) -> list[tuple[TaxTerms, PeriodTerms]]:
        """The market's taxes that cover this car on ``on``, each with its period's terms."""
        return list(self._taxes_on.at(on))

    def net_and_vat(self, subtotal: Decimal) -> tuple[Decimal, Decimal]:
        """The net price and the VAT of a subtotal (contained in it, or added to it)."""
        if self.prices_include_vat:
            net = net_of(subtotal, self.vat_rate)
            return net, subtotal - net
        return subtotal, vat_on(subtotal, self.vat_rate)

    def tax_base(self, subtotal: Decimal, base_kind: str) -> Decimal:
        """The base (``net`` or ``gross``) a tax is computed on, for a list price."""
        net, vat = self.net_and_vat(subtotal)
        return net if base_kind == "net" else net + vat

    def price_reaching(self, threshold: Decimal, base_kind: str) -> Decimal:
        """The smallest list price (subtotal) whose tax base reaches ``threshold``."""
        key = (threshold, base_kind)
        found = self._reaching.get(key)
        if found is None:
            found = self._price_reaching(threshold, base_kind)
            self._reaching[key] = found
        return found

    def _price_reaching(self, threshold: Decimal, base_kind: str) -> Decimal:
        factor = Decimal(1)
        if base_kind == "net" and self.prices_include_vat:
            factor = 1 + self.vat_rate
        elif base_kind == "gross" and not self.prices_include_vat:
            factor = 1 / (1 + self.vat_rate)
        return smallest_reaching(
            threshold, threshold * factor, lambda s: self.tax_base(s, base_kind)
        )

    def take(
        self,
        on: dt.date,
        subtotal: Decimal,
        lines: list[QuoteLine],
        chosen: AbstractSet[str],
        *,
        cliffs: bool = True,
    ) -> StateTake:
        """The taxes owed on a car of list price ``subtotal`` on ``on`` (VAT first when it is
        added to the list price), and (unless ``cliffs`` is false) where it stands against each
        cliff."""
        if not cliffs:  # remembered (a bounded memo): the same figures for the same inputs
            key = (on, str(subtotal))
            known = self._brief.get(key)
            if known is None:
                found = self._take(on, subtotal, lines, chosen, cliffs=False)
                if len(self._brief) >= 4096:
                    self._brief.clear()
                known = self._brief[key] = (found.net, found.vat, tuple(found.taxes))
            return StateTake(known[0], known[1], list(known[2]), [])
        return self._take(on, subtotal, lines, chosen, cliffs=True)

    def _take(
        self,
        on: dt.date,
        subtotal: Decimal,
        lines: list[QuoteLine],
        chosen: AbstractSet[str],
        *,
        cliffs: bool,
    ) -> StateTake:
        net, vat = self.net_and_vat(subtotal)
        taxes: list[TaxLine] = []
        thresholds: list[Threshold] = []
        if not self.prices_include_vat:
            taxes.append(
                construct(
                    TaxLine,
                    id="vat",
                    name="VAT",
                    kind="vat",
                    base=net,
                    base_kind="net",
                    rate=self.vat_rate,
                    amount=vat,
                    explanation=f"{percent_text(self.vat_rate)} of the price before VAT "
                    f"{format_money(net)}, "
                    f"added to the list price",
                    paid_by_buyer=True,
                )
            )
        for tax, period in self.periods(on):
            base = net if tax.base == "net" else net + vat
            outcome = compute(tax, period, base, BASE_LABEL[tax.base])
            if outcome.owed:
                taxes.append(
                    construct(
                        TaxLine,
                        id=tax.id,
                        name=tax.name,
                        kind=period.kind,
                        base=base,
                        base_kind=tax.base,
                        rate=period.rate,
                        amount=outcome.amount,
                        explanation=outcome.explanation,
                        paid_by_buyer=True,
                    )
                )
            if period.kind == "cliff" and cliffs:
                thresholds.append(self._threshold(outcome, subtotal, lines, chosen))
        return StateTake(net, vat, taxes, thresholds)

    def _threshold(
        self,
        outcome: TaxOutcome,
        subtotal: Decimal,
        lines: list[QuoteLine],
        chosen: AbstractSet[str],
    ) -> Threshold:
        """Where the car stands against a cliff, and which of the buyer's options crossed it."""
        period, tax = outcome.period, outcome.tax
        assert period.threshold is not None and period.rate is not None
        start = self.price_reaching(period.threshold, tax.base)
        at = f"a list price of {format_money(start)}"
        what = f"{BASE_LABEL[tax.base]} {format_money(period.threshold)}"
        if not outcome.owed:
            headroom = start - subtotal
            cost = percent_of(period.threshold, period.rate)
            message = (
                f"{tax.name}: {format_money(headroom)} more on the list price reaches its "
                f"threshold at {at} ({what}), where {percent_text(period.rate)} of the whole "
                f"{BASE_LABEL[tax.base]} (at least {format_money(cost)}) becomes due"
            )
            return _cliff(outcome, start, message, cost=cost, headroom=headroom)
        return self._crossed(outcome, start, subtotal, lines, chosen)

    def _crossed(
        self,
        outcome: TaxOutcome,
        start: Decimal,
        subtotal: Decimal,
        lines: list[QuoteLine],
        chosen: AbstractSet[str],
    ) -> Threshold:
        """A crossed cliff, and the buyer's option that took it over (:func:`_culprit`)."""
        period, tax = outcome.period, outcome.tax
        assert period.threshold is not None and period.rate is not None
        base_label = BASE_LABEL[tax.base]
        excess = subtotal - start
        # No culprit when the car is over before any option of the buyer's: the base price
        # alone reaches the threshold (the 911 Carrera); the session says the same.
        base_over = bool(lines) and lines[0].kind == "base" and lines[0].amount >= start
        pick, enough = (None, False) if base_over else _culprit(lines, chosen, excess)
        message = (
            f"{tax.name} due: the {base_label} {format_money(outcome.base)} reaches the "
            f"{format_money(period.threshold)} threshold (a list price of "
            f"{format_money(start)}), so {percent_text(period.rate)} of the whole "
            f"{base_label} is owed: {format_money(outcome.amount)} (no marginal relief: the tax "
            f"falls on the whole price)"
        )
        if pick is None:
            message += "; the car reaches it without any option of yours"
            return _cliff(outcome, start, message, cost=outcome.amount)
        culprit_amount, _, culprit = pick
        culprit_name = self._names[culprit]
        if enough:
            message += (
                f"; {label(culprit, culprit_name)}, {format_money(culprit_amount)}, took it "
                f"over: without it the list price would be "
                f"{format_money(subtotal - culprit_amount)}, under the threshold"
            )
        else:
            message += (
                f"; no single option takes it back under: the priciest of yours is "
                f"{label(culprit, culprit_name)}, {format_money(culprit_amount)}, and the "
                f"list price is {format_money(excess)} over the threshold"
            )
        return _cliff(
            outcome,
            start,
            message,
            cost=outcome.amount,
            culprit=culprit,
            culprit_name=culprit_name,
            culprit_amount=culprit_amount,
            culprit_enough=enough,
        )


def _culprit(
    lines: list[QuoteLine], chosen: AbstractSet[str], excess: Decimal
) -> tuple[tuple[Decimal, int, str] | None, bool]:
    """Of the buyer's own options and packages, the priciest whose removal alone takes the
    list price back under the cliff (``excess`` over it), else the priciest; and whether it
    is enough alone. Contributions count price rules; ties go to the later line."""
    contribution: dict[str, Decimal] = {}
    order: dict[str, int] = {}
    for index, line in enumerate(lines):
        code = line.code
        if code is not None and code in chosen and line.kind in ("option", "package", "price_rule"):
            contribution[code] = contribution.get(code, ZERO) + line.amount
            order.setdefault(code, index)
    positive = [(amount, order[code], code) for code, amount in contribution.items() if amount > 0]
    enough = [item for item in positive if item[0] > excess]
    return max(enough or positive, default=None), bool(enough)


def _cliff(
    outcome: TaxOutcome,
    start: Decimal,
    message: str,
    *,
    cost: Decimal,
    headroom: Decimal | None = None,
    culprit: str | None = None,
    culprit_name: str | None = None,
    culprit_amount: Decimal | None = None,
    culprit_enough: bool = False,
) -> Threshold:
    """Where a car stands against a cliff tax: crossed when the tax is owed (then the culprit,
    if any), else the headroom; ``start`` is the list price where the cliff starts."""
    assert outcome.period.threshold is not None
    return construct(
        Threshold,
        tax_id=outcome.tax.id,
        tax_name=outcome.tax.name,
        threshold=outcome.period.threshold,
        threshold_price=start,
        base=outcome.base,
        crossed=outcome.owed,
        headroom=headroom,
        cost=cost,
        culprit=culprit,
        culprit_name=culprit_name,
        culprit_amount=culprit_amount,
        culprit_enough=culprit_enough,
        message=message,
    )
