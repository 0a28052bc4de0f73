"""A small per-process memo of what is made from a catalog on a date (engines, explainers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Generic, TypeVar

from configurator.catalog.schema import Catalog

T = TypeVar("T")


class PerCatalog(Generic[T]):
    """``make(catalog, on)`` once per catalog object and date, the last ``size`` kept.

    Keyed by the catalog's identity (catalogs are not hashable), checked against the object
    itself so a recycled ``id`` never answers for another catalog."""

    def __init__(self, make: Callable[[Catalog, dt.date | None], T], size: int = 8) -> None:
        self._make = make
        self._size = size
        self._kept: dict[tuple[int, dt.date | None], tuple[Catalog, T]] = {}

    def get(self, catalog: Catalog, on: dt.date | None = None) -> T:
        key = (id(catalog), on)
        hit = self._kept.get(key)
        if hit is not None and hit[0] is catalog:
            return hit[1]
        made = self._make(catalog, on)
        if len(self._kept) >= self._size:
            self._kept.pop(next(iter(self._kept)))
        self._kept[key] = (catalog, made)
        return made
