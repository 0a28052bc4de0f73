"""What the buyer is told beside the price: programme progress (spend against a minimum,
deposit, extra lead time, monthly capacity), the delivery estimate, and whether the catalog
version is in force on the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from configurator.money import ZERO, format_money
from configurator.pricing.dates import DateSchedule, span
from configurator.quote import ProgrammeProgress, construct

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog


class ProgrammeFacts(NamedTuple):
    id: str
    name: str
    options: tuple[str, ...]
    minimum_spend: Decimal
    deposit: Decimal
    extra_lead_time_weeks: int
    monthly_capacity: int | None


class Programmes(NamedTuple):
    """The programmes a selection takes part in, the deposit they ask and the weeks they add."""

    progress: list[ProgrammeProgress]
    deposit: Decimal
    extra_weeks: int
    short: str | None  # the first programme whose minimum spend is not met, if any


class BuyerTerms:
    """A catalog's programmes, lead times and dates of validity. Plain data."""

    def __init__(self, catalog: Catalog) -> None:
        self._name = catalog.name
        self._version = catalog.version
        self._lead_time_weeks = catalog.lead_time_weeks
        self._programmes = [
            ProgrammeFacts(
                p.id,
                p.name,
                tuple(p.options),
                p.minimum_spend,
                p.deposit,
                p.extra_lead_time_weeks,
                p.monthly_capacity,
            )
            for p in catalog.programmes
        ]
        self._capacity_notes = {
            p.id: f"{p.name}: at most {p.monthly_capacity} cars a month; "
            f"deposit {format_money(p.deposit)}"
            for p in catalog.programmes
        }
        self._programme_codes = frozenset(
            code for programme in catalog.programmes for code in programme.options
        )
        self._list_price = {o.code: o.price for g in catalog.groups for o in g.options}
        self._list_price.update({p.code: p.price for p in catalog.packages})
        self._lead = {o.code: o.lead_time_weeks for g in catalog.groups for o in g.options}
        self._lead.update({p.code: p.lead_time_weeks for p in catalog.packages})
        effective = catalog.effective
        self._in_force: DateSchedule[bool] = DateSchedule.of(
            (effective.from_, effective.until) if effective is not None else (),
            lambda day: effective is None or effective.contains(day),
        )
        self._effective_span = span(effective) if effective is not None else ""

    @property
    def programme_facts(self) -> list[ProgrammeFacts]:
        """The catalog's programmes, in catalog order."""
        return list(self._programmes)

    def programme_spends(
        self, codes: AbstractSet[str], prices: Mapping[str, Decimal]
    ) -> list[tuple[ProgrammeFacts, Decimal, tuple[str, ...]]]:
        """Each programme with the spend of a selection in it and its options in the selection:
        :func:`configurator.rules.constraints.programme_spend` on plain data (tests check they
        agree), where ``prices`` are what the selection's codes are charged."""
        found = []
        for programme in self._programmes:
            chosen = tuple(code for code in programme.options if code in codes)
            spend = ZERO
            for code in chosen:
                spend += prices[code] if code in prices else self._list_price.get(code, ZERO)
            found.append((programme, spend, chosen))
        return found

    def short_programme(
        self, codes: AbstractSet[str], charged: Mapping[str, Decimal]
    ) -> str | None:
        """The first programme with options in ``codes`` whose minimum spend they do not
        meet: :meth:`programmes` with ``strict``, ``short`` only (batch pricing)."""
        if not codes & self._programme_codes:
            return None
        for programme, spend, in_programme in self.programme_spends(codes, charged):
            if in_programme and programme.minimum_spend - spend > 0:
                return programme.id
        return None

    def programmes(
        self, codes: AbstractSet[str], charged: Mapping[str, Decimal], *, strict: bool
    ) -> Programmes:
        """The programmes with options in ``codes``; with ``strict``, stop at the first whose
        minimum spend is not met (``short`` names it, ``progress`` is then incomplete)."""
        progress: list[ProgrammeProgress] = []
        deposit = ZERO
        extra_weeks = 0
        if not codes & self._programme_codes:
            return Programmes(progress, deposit, extra_weeks, None)
        for programme, spend, in_programme in self.programme_spends(codes, charged):
            if not in_programme:
                continue
            missing = programme.minimum_spend - spend
            if missing > 0 and strict:
                return Programmes(progress, deposit, extra_weeks, programme.id)
            deposit += programme.deposit
            extra_weeks = max(extra_weeks, programme.extra_lead_time_weeks)
            progress.append(
                construct(
                    ProgrammeProgress,
                    id=programme.id,
                    name=programme.name,
                    spend=spend,
                    minimum=programme.minimum_spend,
                    met=missing <= 0,
                    missing=max(missing, ZERO),
                    deposit=programme.deposit,
                    extra_lead_time_weeks=programme.extra_lead_time_weeks,
                    options=list(in_programme),
                    monthly_capacity=programme.monthly_capacity,
                )
            )
        return Programmes(progress, deposit, extra_weeks, None)

    def delivery_weeks(self, codes: AbstractSet[str], extra_weeks: int) -> int:
        """The catalog's lead time, plus the longest of the selection's, plus programmes'."""
        return (
            self._lead_time_weeks + max(map(self._lead.__getitem__, codes), default=0) + extra_weeks
        )

    def in_force_warning(self, on: dt.date) -> str | None:
        """A warning when the catalog version is not in force on ``on``."""
        if self._in_force.at(on):
            return None
        return (
            f"{self._name} catalog version {self._version} is in force "
            f"{self._effective_span}, not on {on.isoformat()}: its prices may not apply"
        )

    def capacity_notes(self, programmes: list[ProgrammeProgress]) -> list[str]:
        """A note for each programme with a monthly capacity."""
        return [self._capacity_notes[p.id] for p in programmes if p.monthly_capacity]
