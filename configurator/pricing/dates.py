"""Values that change only on given days, answered for any date without a catalog object.

A pricer holds plain data (it is pickled, :mod:`configurator.pricing.stored`), so what
depends on the date (options withdrawn, the taxes in force, whether the catalog version is
in force) is precomputed as a :class:`DateSchedule` when the pricer is built.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from configurator.catalog.schema import Period

T = TypeVar("T")


@dataclass(frozen=True)
class DateSchedule(Generic[T]):
    """A value that changes only on given days: ``at(day)`` is the value in force on ``day``.

    Built by asking the catalog's own date logic (``Period.contains``, ``TaxPeriod.covers``)
    once per stretch of days between the ends of the periods involved, so that a pricer
    needs no catalog object to answer for any date.
    """

    starts: tuple[dt.date, ...]  # the days on which the value may change, ascending
    values: tuple[T, ...]  # values[0] before starts[0]; values[i] from starts[i - 1]

    @classmethod
    def of(
        cls, ends: Iterable[dt.date | None], value_on: Callable[[dt.date], T]
    ) -> DateSchedule[T]:
        """``value_on`` evaluated once per stretch; it may change only on an end or the day
        after one (so inclusive and exclusive ends are both exact)."""
        starts: set[dt.date] = set()
        for end in ends:
            if end is None:
                continue
            starts.add(end)
            if end < dt.date.max:
                starts.add(end + dt.timedelta(days=1))
        ordered = tuple(sorted(starts))
        if not ordered:
            return cls((), (value_on(dt.date(2000, 1, 1)),))
        first = ordered[0]
        before = first - dt.timedelta(days=1) if first > dt.date.min else first
        return cls(ordered, (value_on(before), *(value_on(day) for day in ordered)))

    def at(self, day: dt.date) -> T:
        return self.values[bisect.bisect_right(self.starts, day)]


def span(period: Period) -> str:
    """A period as text: ``2026-01-01 to ...``."""
    return f"{period.from_ or '...'} to {period.until or '...'}"
