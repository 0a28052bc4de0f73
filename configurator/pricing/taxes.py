"""The market's taxes as data: a small set of tax kinds, each period dated.

A market lists taxes (:class:`~configurator.catalog.schema.Tax`); each tax lists periods
(:class:`~configurator.catalog.schema.TaxPeriod`). For a car and a date, the periods of a tax
are tried in order and the first one that covers the date, the powertrain and the NEV status
wins; a car no period covers owes nothing of that tax. There is no market-specific code here:
China's purchase-tax relief and its ultra-luxury cliff are just periods of these kinds.

Kinds (``rate``, ``threshold``, ``cap`` and ``fraction`` come from the period):

- ``percentage``: rate x base;
- ``cliff``: rate x the *whole* base once base >= threshold, else nothing (no marginal relief);
- ``exempt``: nothing;
- ``exempt-up-to``: max(0, rate x base - cap): the exemption is capped;
- ``reduced``: rate x base - min(rate x base x fraction, cap): a capped reduction.

Rounding (see :mod:`configurator.money`): rate x base is rounded to the cent half up,
then so is the reduction, then the difference is exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from configurator.money import ZERO, format_money, percent_of

if TYPE_CHECKING:
    from configurator.catalog.schema import Powertrain, Tax, TaxPeriod


@dataclass(frozen=True)
class TaxTerms:
    """What pricing needs of a tax once its period is known (plain data, picklable)."""

    id: str
    name: str
    base: str  # "net" or "gross"

    @classmethod
    def of(cls, tax: Tax) -> TaxTerms:
        return cls(tax.id, tax.name, tax.base)


@dataclass(frozen=True)
class PeriodTerms:
    """What computing a tax needs of one of its periods, with :func:`period_text` of it."""

    kind: str
    rate: Decimal | None
    threshold: Decimal | None
    cap: Decimal | None
    fraction: Decimal | None
    when: str

    @classmethod
    def of(cls, period: TaxPeriod) -> PeriodTerms:
        return cls(
            period.kind,
            period.rate,
            period.threshold,
            period.cap,
            period.fraction,
            period_text(period),
        )


@dataclass(frozen=True)
class TaxOutcome:
    """One tax computed for one car: its period, base, amount and a one-line explanation."""

    tax: Tax | TaxTerms
    period: TaxPeriod | PeriodTerms
    base: Decimal
    amount: Decimal
    full: Decimal  # rate x base before any relief (0 for exempt and for a cliff not reached)
    owed: bool  # False only for a cliff the car does not reach
    explanation: str


def covering_period(tax: Tax, on: dt.date, powertrain: Powertrain, nev: bool) -> TaxPeriod | None:
    """The first period of ``tax`` that covers the date, powertrain and NEV status."""
    for period in tax.periods:
        if period.covers(on, powertrain, nev):
            return period
    return None


def percent_text(rate: Decimal) -> str:
    """A rate as people write it: 0.10 -> '10%', 0.125 -> '12.5%'."""
    value = (rate * 100).normalize()
    text = f"{value:f}"
    return f"{text}%"


@dataclass(frozen=True)
class PeriodWords:
    """The words :func:`period_text` writes, in one language."""

    nev: str = "NEVs"
    non_nev: str = "non-NEVs"
    between: str = "{} to {}"
    since: str = "from {}"
    until: str = "until {}"
    joiner: str = ", "


ENGLISH = PeriodWords()


def period_text(period: TaxPeriod, words: PeriodWords = ENGLISH) -> str:
    """When and for which cars a period applies, e.g. 'NEVs, 2026-01-01 to 2027-12-31'."""
    parts: list[str] = []
    if period.nev is True:
        parts.append(words.nev)
    elif period.nev is False:
        parts.append(words.non_nev)
    if period.powertrains is not None:
        parts.append("/".join(p.value.upper() for p in period.powertrains))
    if period.from_ and period.until:
        parts.append(words.between.format(period.from_.isoformat(), period.until.isoformat()))
    elif period.from_:
        parts.append(words.since.format(period.from_.isoformat()))
    elif period.until:
        parts.append(words.until.format(period.until.isoformat()))
    return words.joiner.join(parts)


def compute(
    tax: Tax | TaxTerms, period: TaxPeriod | PeriodTerms, base: Decimal, base_label: str
) -> TaxOutcome:
    """Apply one period's kind to a base (already rounded to the cent)."""
    when = period.when if isinstance(period, PeriodTerms) else period_text(period)
    suffix = f" ({when})" if when else ""
    of = f"{base_label} {format_money(base)}"
    kind = period.kind
    if kind == "exempt":
        return TaxOutcome(tax, period, base, ZERO, ZERO, True, f"exempt{suffix}")
    assert period.rate is not None  # the schema requires a rate for every other kind
    rate = percent_text(period.rate)
    if kind == "cliff":
        assert period.threshold is not None
        limit = format_money(period.threshold)
        if base >= period.threshold:
            amount = percent_of(base, period.rate)
            text = (
                f"{rate} of the whole {of}: it reaches the {limit} threshold, "
                f"with no marginal relief{suffix}"
            )
            return TaxOutcome(tax, period, base, amount, amount, True, text)
        text = f"{of} is below the {limit} threshold: not owed{suffix}"
        return TaxOutcome(tax, period, base, ZERO, ZERO, False, text)
    full = percent_of(base, period.rate)
    if kind == "percentage":
        return TaxOutcome(tax, period, base, full, full, True, f"{rate} of {of}{suffix}")
    assert period.cap is not None
    cap = format_money(period.cap)
    if kind == "exempt-up-to":
        amount = max(ZERO, full - period.cap)
        text = f"{rate} of {of} = {format_money(full)}, less the exemption of up to {cap}{suffix}"
        return TaxOutcome(tax, period, base, amount, full, True, text)
    assert kind == "reduced" and period.fraction is not None
    reduction = min(percent_of(full, period.fraction), period.cap)
    amount = full - reduction
    text = (
        f"{rate} of {of} = {format_money(full)}, less {percent_text(period.fraction)} of it "
        f"capped at {cap} ({format_money(reduction)}){suffix}"
    )
    return TaxOutcome(tax, period, base, amount, full, True, text)


def tax_for(
    tax: Tax,
    on: dt.date,
    powertrain: Powertrain,
    nev: bool,
    base: Decimal,
    base_label: str = "price before VAT",
) -> TaxOutcome | None:
    """The tax a car owes on a date, or None when no period covers the car."""
    period = covering_period(tax, on, powertrain, nev)
    if period is None:
        return None
    return compute(tax, period, base, base_label)
