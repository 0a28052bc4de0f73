"""Exact repairs: every way to get an option the buyer wants, as the car it leads to.

:func:`find_repairs` answers "I want CODE": whether it can be chosen as things are, why not,
and the alternatives. An alternative is not a hint but a complete list of the buyer's choices
(``options``, what ``configurator quote MODEL <options>`` takes) for a car that contains the
wanted option and can be finished: it is valid, and every programme's minimum spend is met.
Its ``remove`` and ``add`` are the exact difference between the buyer's choices before and
after, ``leaving`` and ``coming`` the difference between the two complete cars (defaults that
change, options brought along or included in packages), and ``total`` is exactly the quote of
``options`` (buyer-supplied values never change a price).

How they are found, with the rules engine:

1. the minimal sets of the buyer's choices to give up (minimal correction sets, from the SAT
   solver; the empty set when the option is available as things are);
2. for each, the cheapest valid completions of what is kept plus the wanted option, one per
   real choice: the cheapest first, then, for each option it needed to add, the cheapest car
   without that option (Lawler's k-best scheme on the BDD's cheapest completion), so gold
   wheels and black wheels are two alternatives, each priced;
3. each completion turned back into the fewest buyer choices that resolve to it, and priced.

The same function serves the interactive session (the offered repairs) and
``configurator available MODEL [CODES...] --want CODE``.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from configurator.catalog.memo import PerCatalog
from configurator.configuration import Configuration, Selection
from configurator.errors import ConfigurationError

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog
    from configurator.pricing.engine import Pricer
    from configurator.quote import Quote
    from configurator.rules.engine import RulesEngine

PER_CORRECTION = 4  # completions tried for each set of choices given up
MOST = 8  # alternatives offered at most


@dataclass(frozen=True)
class Repair:
    """One way to get the wanted option: the car after accepting it, exactly."""

    want: str
    remove: tuple[str, ...]  # the buyer's choices given up (catalog order)
    add: tuple[str, ...]  # the buyer's choices added besides the wanted option
    options: tuple[str, ...]  # the buyer's choices after (what `quote MODEL <options>` takes)
    leaving: tuple[str, ...]  # every code of the complete car that goes
    coming: tuple[str, ...]  # every code of the complete car that comes
    total: Decimal  # the quote's total of ``options``
    delta: Decimal | None  # ``total`` minus the current car's total (None: it cannot be priced)
    needs_values: tuple[str, ...] = ()  # options of the new car waiting for a buyer's value
    missing: tuple[str, ...] = ()  # what still keeps the car from being finished (rare)
    delivery_weeks: int = 0  # the new car's delivery estimate
    weeks_delta: int | None = None  # its change (None when the current car cannot be priced)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; amounts as strings with two decimals."""
        from configurator.money import money_json

        return {
            "remove": list(self.remove),
            "add": list(self.add),
            "options": list(self.options),
            "total": money_json(self.total),
            "delta": money_json(self.delta) if self.delta is not None else None,
            "leaving": list(self.leaving),
            "coming": list(self.coming),
            "needs_values": list(self.needs_values),
            "missing": list(self.missing),
            "delivery_weeks": self.delivery_weeks,
        }


@dataclass(frozen=True)
class Repairs:
    """The answer to "I want CODE" for some choices."""

    want: str
    available: bool  # can be chosen without giving up any choice
    reason: str | None  # why not (None when available)
    alternatives: tuple[Repair, ...]  # cheapest first
    total: Decimal | None  # the current car's total (None when it cannot be priced)
    delivery_weeks: int | None = None  # the current car's delivery estimate

    def as_dict(self) -> dict[str, Any]:
        """``available --want CODE --format json``."""
        return {
            "want": self.want,
            "available": self.available,
            "reason": self.reason,
            "alternatives": [a.as_dict() for a in self.alternatives],
        }


def draft_values(
    engine: RulesEngine, selection: Selection, values: Mapping[str, str]
) -> dict[str, str]:
    """The values with a placeholder (the option's first example) for each one missing:
    buyer-supplied values never change a price, so a car can be priced before they are given."""
    filled = {c: v for c, v in values.items() if c in selection.codes}
    for code in selection.codes:
        spec = engine.value_spec(code)
        if spec is not None and code not in filled:
            filled[code] = spec.examples[0] if spec.examples else "x"
    return filled


def draft_quote(
    engine: RulesEngine,
    pricer: Pricer,
    on: dt.date,
    choices: Sequence[str],
    values: Mapping[str, str],
) -> Quote:
    """The quote of some choices, missing values filled in and minimum spends not enforced."""
    selection = pricer.resolve(tuple(choices))
    filled = draft_values(engine, selection, values)
    configuration = Configuration(engine.catalog.id, tuple(choices), filled)
    return pricer.price(configuration, on, strict=False)


def find_repairs(
    engine: RulesEngine,
    pricer: Pricer,
    on: dt.date,
    choices: Sequence[str],
    want: str,
    values: Mapping[str, str] | None = None,
) -> Repairs:
    """Whether ``want`` can be chosen with ``choices``, why not, and the exact alternatives.

    ``choices`` must be consistent (a :class:`ConfigurationError` otherwise). When ``want``
    is available the alternatives are the ways to choose it that leave a car that can be
    finished (usually one, with nothing removed); when it is already in a car that can be
    finished, none.
    """
    values = dict(values or {})
    chosen = engine.ordered(engine.known(choices))
    (want,) = engine.known([want])
    engine.require_consistent(chosen)
    current = pricer.resolve(chosen)
    total: Decimal | None = None
    weeks: int | None = None
    complete = False
    try:
        now = draft_quote(engine, pricer, on, chosen, values)
        total, weeks = now.total, now.delivery_weeks
        complete = all(p.met for p in now.programmes)
    except ConfigurationError:
        pass
    if want in current.codes and complete:
        return Repairs(want, True, None, (), total, weeks)
    partial = engine.partial_for(chosen, want)
    available = engine.selectable(partial)[want]
    reason = None
    if available:
        corrections: list[tuple[str, ...]] = [()]
    else:
        explanation = engine.explain([c for c in partial if c != want], [want])
        reason = (
            explanation.summary(brief=True)
            if explanation is not None
            else "no valid car has it on this date"
        )
        corrections = [a.removes for a in engine.alternatives(partial, want)]
    bases = [
        [*(c for c in partial if c not in removes and c != want), want] for removes in corrections
    ]
    found = _priced(engine, pricer, on, chosen, values, want, bases, total, weeks)
    return Repairs(want, available, reason, found, total, weeks)


def ways_to_finish(
    engine: RulesEngine,
    pricer: Pricer,
    on: dt.date,
    choices: Sequence[str],
    values: Mapping[str, str] | None = None,
    limit: int = 3,
) -> tuple[Repair, ...]:
    """The cheapest ways to make ``choices`` a car that can be finished (a programme's
    minimum spend reached), adding choices only, one per real choice, cheapest first; each
    a :class:`Repair` with ``want`` empty. None when the choices cannot be completed."""
    values = dict(values or {})
    chosen = engine.ordered(engine.known(choices))
    if not engine.consistent(chosen):
        return ()
    total: Decimal | None = None
    weeks: int | None = None
    try:
        now = draft_quote(engine, pricer, on, chosen, values)
        total, weeks = now.total, now.delivery_weeks
    except ConfigurationError:
        pass
    found = _priced(engine, pricer, on, chosen, values, "", [list(chosen)], total, weeks)
    return found[:limit]


def _priced(
    engine: RulesEngine,
    pricer: Pricer,
    on: dt.date,
    chosen: tuple[str, ...],
    values: Mapping[str, str],
    want: str,
    bases: Sequence[Sequence[str]],
    total: Decimal | None,
    weeks: int | None,
) -> tuple[Repair, ...]:
    """The cheapest completions of each base as priced alternatives, cheapest first."""
    current = pricer.resolve(chosen)
    found: dict[frozenset[str], Repair] = {}
    for base in bases:
        for options in _completions(engine, pricer, base):
            key = frozenset(options)
            if key in found:
                continue
            repair = _repair(
                engine, pricer, on, chosen, current, values, want, options, total, weeks
            )
            if repair is not None:
                found[key] = repair
    ranked = sorted(
        found.values(),
        key=lambda r: (r.missing != (), r.total, len(r.remove), len(r.add), r.options),
    )
    return tuple(ranked[:MOST])


def _completions(
    engine: RulesEngine, pricer: Pricer, base: Sequence[str], limit: int = PER_CORRECTION
) -> list[tuple[str, ...]]:
    """The buyer's choices of the ``limit`` cheapest real choices completing ``base``.

    Lawler's scheme: a subproblem is (codes required, codes excluded); its cheapest
    completion needs some additions x1..xn beyond ``base``; its children are the same
    subproblem with x1..x(i-1) required and xi excluded, so every car is found once.
    Children are solved lazily: one waits in the queue under its parent's total (a child
    never costs less) and is solved only when it comes first, then goes back under its own
    total; so a car of a thousand additions does not cost a thousand completions.
    """
    from configurator.rules.select import keeping_defaults

    results: list[tuple[str, ...]] = []
    # (total, or a lower bound while not solved; 0 when solved (first among equal totals),
    # else 1; order; required; excluded; the choices, None while not solved; the subproblem's
    # optimum, the bound of its children)
    Entry = tuple[
        Decimal, int, int, tuple[str, ...], tuple[str, ...], tuple[str, ...] | None, Decimal
    ]
    heap: list[Entry] = [(Decimal(0), 1, 0, (), (), None, Decimal(0))]
    counter = 1
    seen: set[frozenset[str]] = set()
    while heap and len(results) < limit:
        total, _, _, required, excluded, options, floor = heapq.heappop(heap)
        if options is None:
            completion = engine.best_completion([*base, *required], excluded)
            if completion is None:
                continue
            floor = completion.total  # the optimum: no child costs less
            completion = keeping_defaults(
                engine, [*base, *required], excluded, "cheapest", completion
            )
            options = choices_for(engine, pricer, base, completion.codes)
            solved = (completion.total, 0, counter, required, excluded, options, floor)
            heapq.heappush(heap, solved)
            counter += 1
            continue
        key = frozenset(options)
        if key not in seen:
            seen.add(key)
            results.append(options)
        additions = [c for c in options if c not in base and c not in required]
        for index, code in enumerate(additions):
            child = (*required, *additions[:index]), (*excluded, code)
            heapq.heappush(heap, (floor, 1, counter, *child, None, floor))
            counter += 1
    return results


def choices_for(
    engine: RulesEngine, pricer: Pricer, base: Sequence[str], codes: frozenset[str]
) -> tuple[str, ...]:
    """The fewest choices, ``base`` and some of ``codes``, whose complete car is ``codes``
    (as near as a configuration can say it: a group of several left empty keeps its
    defaults). Packages are tried first (their contents come with them), then options in
    catalog order; an addition that others made unnecessary is dropped at the end."""
    order = [c for c in engine.codes if c in engine.package_codes] + [
        c for c in engine.codes if c not in engine.package_codes
    ]
    brings = _brings(engine.catalog)
    extra: list[str] = []
    for _ in range(len(order) + 1):
        selected = pricer.resolve(engine.ordered([*base, *extra])).codes
        missing = [c for c in order if c in codes and c not in selected]
        if not missing:
            break
        # The first missing code, and with it every other one that no missing code brings
        # (it would have to be added anyway): one resolve a round, not one a code (a feature
        # model's completion adds thousands).
        brought = {b for c in missing for b in brings.get(c, ())}
        extra.extend([missing[0]] + [c for c in missing[1:] if c not in brought])
    target = pricer.resolve(engine.ordered([*base, *extra])).codes
    # Only an addition that something in the car brings, or a group default, can come back
    # without being chosen; any other one is needed and is not tried.
    comes_back = {b for c in target for b in brings.get(c, ())} | {
        code for group in engine.catalog.groups for code in group.default
    }
    for code in list(extra):
        if code not in comes_back:
            continue
        trial = [c for c in extra if c != code]
        if any(code in brings.get(other, ()) for other in (*base, *trial)):
            extra = trial  # another choice brings it: the same car without a resolve
        elif pricer.resolve(engine.ordered([*base, *trial])).codes == target:
            extra = trial
    return engine.ordered([*base, *extra])


def _brings(catalog: Catalog) -> Mapping[str, tuple[str, ...]]:
    """What each option brings and each package includes (made once per catalog)."""
    return _BRINGS.get(catalog)


def _make_brings(catalog: Catalog) -> Mapping[str, tuple[str, ...]]:
    found = {o.code: tuple(o.brings) for g in catalog.groups for o in g.options if o.brings}
    found.update({p.code: tuple(p.includes) for p in catalog.packages})
    return MappingProxyType(found)


_BRINGS: PerCatalog[Mapping[str, tuple[str, ...]]] = PerCatalog(
    lambda catalog, _on: _make_brings(catalog)
)


def _repair(
    engine: RulesEngine,
    pricer: Pricer,
    on: dt.date,
    chosen: tuple[str, ...],
    current: Selection,
    values: Mapping[str, str],
    want: str,
    options: tuple[str, ...],
    total: Decimal | None,
    weeks: int | None,
) -> Repair | None:
    """The alternative leading to ``options``, priced; None when that car breaks a rule."""
    after = pricer.resolve(options)
    if pricer.violated(after, on):
        return None
    kept = {c: v for c, v in values.items() if c in after.codes}
    try:
        quote = draft_quote(engine, pricer, on, options, kept)
    except ConfigurationError:
        return None
    missing = tuple(
        f"{p.name}: {p.missing:,.2f} short of its minimum spend"
        for p in quote.programmes
        if not p.met
    )
    needs = tuple(
        c for c in engine.ordered(list(after.codes)) if engine.value_spec(c) and c not in kept
    )
    return Repair(
        want=want,
        remove=tuple(c for c in chosen if c not in options),
        add=tuple(c for c in options if c not in chosen and c != want),
        options=options,
        leaving=engine.ordered([c for c in current.codes if c not in after.codes]),
        coming=engine.ordered([c for c in after.codes if c not in current.codes]),
        total=quote.total,
        delta=quote.total - total if total is not None else None,
        needs_values=needs,
        missing=missing,
        delivery_weeks=quote.delivery_weeks,
        weeks_delta=quote.delivery_weeks - weeks if weeks is not None else None,
    )


# --- tax thresholds no car reaches ----------------------------------------------------------


def dearest_list_price(engine: RulesEngine) -> Decimal:
    """The list price of the dearest valid car of the engine's model (0 when none is valid)."""
    try:
        return engine.completion([], "dearest").total
    except ConfigurationError:
        return Decimal(0)


def threshold_reachable(threshold_price: Decimal, dearest: Decimal) -> bool:
    """Whether a car whose dearest valid configuration lists at ``dearest`` can reach a tax
    threshold starting at the list price ``threshold_price``."""
    return dearest >= threshold_price


def without_unreachable(quote: Quote, dearest: Decimal) -> Quote:
    """The quote as a buyer reads it: no threshold (nor its note) that no car of the model
    reaches, given ``dearest``, the list price of its dearest valid car. A threshold the car
    has crossed always stays."""
    from dataclasses import replace

    unreachable = [
        t
        for t in quote.thresholds
        if not t.crossed and not threshold_reachable(t.threshold_price, dearest)
    ]
    if not unreachable:
        return quote
    messages = {t.message for t in unreachable}
    return replace(
        quote,
        thresholds=[t for t in quote.thresholds if t not in unreachable],
        notes=[n for n in quote.notes if n not in messages],
    )
