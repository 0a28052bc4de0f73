"""The catalog's constraints as data: the single definition of what makes a selection valid.

Both the direct check (evaluate each constraint on a complete selection) and the compiled
rules engine (a BDD over the same constraints) are built from :func:`constraints`, so they
cannot disagree about meaning. A selection is the set of chosen option and package codes.

Kinds:
- ``cardinality``: a group's options: between ``minimum`` and ``maximum`` of ``codes`` chosen;
- ``rule``: a catalog rule; ``expr`` must hold;
- ``table``: a variant table; the chosen options of its groups must match one row
  (``allowed``) or no row (forbidden);
- ``brings``: choosing an option brings another: ``A -> B``;
- ``package``: a package brings the options it includes: ``P -> X``;
- ``availability``: an option or package not available on the date may not be chosen;
- ``spend``: a programme's minimum spend: once any of its options is chosen, what its chosen
  options are charged (:func:`charge_cases`: 0 inside a chosen package, else the first price
  rule that applies, else the list price) adds up to at least ``threshold``.

Programme minimum spends are aggregate conditions on prices: :func:`constraints` leaves them
out (a selection below a minimum spend is incomplete rather than contradictory, and
:func:`programme_spend` reports the progress); :func:`spend_constraints` states them in the
same form for the rules engine, which treats them as a condition for being complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import chain
from types import MappingProxyType
from typing import Literal

from configurator.catalog.memo import PerCatalog
from configurator.catalog.schema import Catalog, Period, Programme, Rule
from configurator.errors import Location
from configurator.expr import And, Const, Expr, Not, Or, Var, evaluate, parse, variables
from configurator.rules.validity import TableIndex

Kind = Literal["cardinality", "rule", "table", "brings", "package", "availability", "spend"]


Charge = tuple[tuple[Expr, Decimal], ...]  # (condition, amount): the first that holds applies


@dataclass(frozen=True)
class Constraint:
    """One condition every valid selection meets."""

    id: str
    kind: Kind
    message: str
    codes: tuple[str, ...]
    where: Location | None = None
    expr: Expr | None = None
    minimum: int = 0
    maximum: int | None = None
    rows: tuple[Sequence[str], ...] = field(default=(), repr=False)
    allowed: bool = True
    charges: tuple[Charge, ...] = field(default=(), repr=False)  # spend: one per code
    threshold: Decimal = Decimal(0)  # spend: the minimum

    def holds(self, selected: frozenset[str] | set[str]) -> bool:
        """Whether the constraint holds for a complete selection."""
        if self.kind == "spend":
            chosen = [
                charged(cases, selected)
                for code, cases in zip(self.codes, self.charges, strict=True)
                if code in selected
            ]
            return not chosen or sum(chosen, Decimal(0)) >= self.threshold
        if self.kind == "cardinality":
            count = len(self.code_set.intersection(selected))
            return count >= self.minimum and (self.maximum is None or count <= self.maximum)
        if self.kind == "table":
            matched = self.table_index.matches(selected)
            return matched if self.allowed else not matched
        assert self.expr is not None
        return evaluate(self.expr, selected)

    @cached_property
    def code_set(self) -> frozenset[str]:
        """The codes, as a set (a group's options are distinct codes)."""
        return frozenset(self.codes)

    @cached_property
    def table_index(self) -> TableIndex:
        """A table's rows indexed for :meth:`TableIndex.matches` (built on first use)."""
        return TableIndex(self.rows)


def rule_expression(rule: Rule) -> Expr:
    """A catalog rule as one boolean expression."""
    if rule.option is not None and rule.requires is not None:
        return Or((Not(Var(rule.option)), parse(rule.requires)))
    if rule.option is not None and rule.excludes is not None:
        if not rule.excludes:
            return Const(True)
        return Or((Not(Var(rule.option)), And(tuple(Not(Var(c)) for c in rule.excludes))))
    assert rule.if_ is not None and rule.then is not None
    return Or((Not(parse(rule.if_)), parse(rule.then)))


def _implies(a: str, b: str) -> Expr:
    return Or((Not(Var(a)), Var(b)))


def _implication(
    kind: Kind, source: str, target: str, message: str, where: Location | None
) -> Constraint:
    """Choosing ``source`` brings ``target``: an option's `brings`, a package's contents."""
    return Constraint(
        id=f"{kind}:{source}:{target}",
        kind=kind,
        message=message,
        codes=(source, target),
        where=where,
        expr=_implies(source, target),
    )


def constraints(catalog: Catalog, on: dt.date | None = None) -> list[Constraint]:
    """Every constraint of a (checked) catalog; availability only when a date is given.

    Made once per catalog object (the pricer and the rules engine both need them; an
    industrial model has tens of thousands); a date's list shares them and adds its own
    availability constraints. Each call returns its own list."""
    if on is None:
        return list(_CONSTRAINTS.get(catalog))
    return [*_CONSTRAINTS.get(catalog), *_AVAILABILITY.get(catalog, on)]


def _constraints(catalog: Catalog, _on: dt.date | None) -> tuple[Constraint, ...]:
    # Long on purpose: one section per kind, in catalog order, is the single definition of
    # validity (the first constraint broken in this order decides the error class).
    result: list[Constraint] = []
    for group in catalog.groups:
        result.append(
            Constraint(
                id=f"group:{group.id}",
                kind="cardinality",
                message=f"{group.name}: choose {group.choose.describe()}",
                codes=tuple(o.code for o in group.options),
                where=group.where,
                minimum=group.choose.min,
                maximum=group.choose.max,
            )
        )
    for rule in catalog.rules:
        expr = rule_expression(rule)
        result.append(
            Constraint(
                id=rule.id,
                kind="rule",
                message=rule.message,
                codes=tuple(dict.fromkeys(v.code for v in variables(expr))),
                where=rule.where,
                expr=expr,
            )
        )
    for table in catalog.tables:
        rows = tuple(table.rows)  # the catalog's own rows (frozen): no copy of 194,723 rows
        involved = tuple(dict.fromkeys(chain.from_iterable(rows)))
        result.append(
            Constraint(
                id=table.id,
                kind="table",
                message=table.message,
                codes=involved,
                where=table.where,
                rows=rows,
                allowed=table.kind == "allowed",
            )
        )
    for group in catalog.groups:
        for option in group.options:
            for extra in option.brings:
                result.append(
                    _implication(
                        "brings",
                        option.code,
                        extra,
                        f"{option.name} comes with {extra}",
                        option.where,
                    )
                )
    for package in catalog.packages:
        for included in package.includes:
            result.append(
                _implication(
                    "package",
                    package.code,
                    included,
                    f"{package.name} includes {included}",
                    package.where,
                )
            )
    return tuple(result)


def _availability(catalog: Catalog, on: dt.date | None) -> tuple[Constraint, ...]:
    """The availability constraints on a date: the codes whose period excludes it."""
    assert on is not None
    result: list[Constraint] = []
    for code, name, period, where in _availabilities(catalog):
        if period is not None and not period.contains(on):
            if period.from_ and period.until:
                span = f"from {period.from_} to {period.until}"
            else:
                span = f"from {period.from_}" if period.from_ else f"until {period.until}"
            result.append(
                Constraint(
                    id=f"available:{code}",
                    kind="availability",
                    message=f"{name} is available {span}, not on {on.isoformat()}",
                    codes=(code,),
                    where=where,
                    expr=Not(Var(code)),
                )
            )
    return tuple(result)


_CONSTRAINTS: PerCatalog[tuple[Constraint, ...]] = PerCatalog(_constraints, size=4)
_AVAILABILITY: PerCatalog[tuple[Constraint, ...]] = PerCatalog(_availability, size=16)


def charge_cases(catalog: Catalog) -> Mapping[str, Charge]:
    """What each option and package is charged when chosen, as the pricing engine charges it:
    the amount of the first case whose condition holds on the complete selection.

    An option: 0 when a chosen package includes it, else the price of its first price rule
    (catalog order) whose ``when`` holds, else its list price. A package: its price.
    Made once per catalog object (catalogs are frozen) and shared: read-only.
    """
    return _CHARGES.get(catalog)


def _charge_cases(catalog: Catalog) -> Mapping[str, Charge]:
    holders: dict[str, list[str]] = {}
    for package in catalog.packages:
        for code in dict.fromkeys(package.includes):
            holders.setdefault(code, []).append(package.code)
    price_rules: dict[str, list[tuple[Expr, Decimal]]] = {}
    for rule in catalog.price_rules:
        price_rules.setdefault(rule.option, []).append((parse(rule.when), rule.price))
    cases: dict[str, Charge] = {}
    for group in catalog.groups:
        for option in group.options:
            items: list[tuple[Expr, Decimal]] = []
            held = holders.get(option.code)
            if held:
                packaged = Var(held[0]) if len(held) == 1 else Or(tuple(Var(c) for c in held))
                items.append((packaged, Decimal(0)))
            items.extend(price_rules.get(option.code, ()))
            items.append((Const(True), option.price))
            cases[option.code] = tuple(items)
    for package in catalog.packages:
        cases[package.code] = ((Const(True), package.price),)
    return MappingProxyType(cases)


_CHARGES: PerCatalog[Mapping[str, Charge]] = PerCatalog(lambda catalog, _on: _charge_cases(catalog))


def charged(cases: Charge, selected: frozenset[str] | set[str]) -> Decimal:
    """The amount of the first case that holds (the last case always does)."""
    for condition, amount in cases:
        if evaluate(condition, selected):
            return amount
    return Decimal(0)


def charged_prices(catalog: Catalog, selected: frozenset[str] | set[str]) -> dict[str, Decimal]:
    """What each selected option and package is charged (for :func:`programme_spend`)."""
    cases = charge_cases(catalog)
    return {code: charged(cases[code], selected) for code in selected if code in cases}


def spend_constraints(catalog: Catalog) -> list[Constraint]:
    """Each programme's minimum spend as a constraint, on the charged prices.

    Equivalent to ``programme_spend(catalog, selected, charged_prices(catalog, selected))``
    being met. Programmes without a minimum (0) constrain nothing and are left out.
    """
    cases = charge_cases(catalog)
    result = []
    for programme in catalog.programmes:
        if programme.minimum_spend <= 0:
            continue
        # A code listed twice counts twice, as in programme_spend.
        times: dict[str, int] = {}
        for code in programme.options:
            if code in cases:
                times[code] = times.get(code, 0) + 1
        charges = tuple(
            tuple((condition, amount * n) for condition, amount in cases[code])
            for code, n in times.items()
        )
        result.append(
            Constraint(
                id=f"spend:{programme.id}",
                kind="spend",
                message=(
                    f"{programme.name}: once one of its options is chosen, they must add up "
                    f"to at least {programme.minimum_spend:,} {catalog.currency}"
                ),
                codes=tuple(times),
                where=programme.where,
                charges=charges,
                threshold=programme.minimum_spend,
            )
        )
    return result


def _availabilities(
    catalog: Catalog,
) -> Iterable[tuple[str, str, Period | None, Location | None]]:
    for group in catalog.groups:
        for option in group.options:
            yield option.code, option.name, option.available, option.where
    for package in catalog.packages:
        yield package.code, package.name, package.available, package.where


def violated(
    catalog: Catalog, selected: frozenset[str] | set[str], on: dt.date | None = None
) -> list[Constraint]:
    """The constraints a complete selection breaks, in catalog order."""
    return [c for c in constraints(catalog, on) if not c.holds(selected)]


@dataclass(frozen=True)
class ProgrammeSpend:
    """How much a selection spends in a programme, against its minimum."""

    programme: Programme
    spend: Decimal
    chosen: tuple[str, ...]

    @property
    def active(self) -> bool:
        return bool(self.chosen)

    @property
    def met(self) -> bool:
        """A programme whose options are not chosen has nothing to meet."""
        return not self.active or self.spend >= self.programme.minimum_spend

    @property
    def missing(self) -> Decimal:
        return (
            max(Decimal(0), self.programme.minimum_spend - self.spend)
            if self.active
            else Decimal(0)
        )


def programme_spend(
    catalog: Catalog, selected: frozenset[str] | set[str], prices: dict[str, Decimal] | None = None
) -> list[ProgrammeSpend]:
    """Each programme's spend: the list prices (or ``prices``, e.g. :func:`charged_prices`) of
    its chosen options."""
    index = catalog.option_index()
    packages = catalog.package_index()
    result = []
    for programme in catalog.programmes:
        chosen = tuple(code for code in programme.options if code in selected)
        spend = Decimal(0)
        for code in chosen:
            if prices is not None and code in prices:
                spend += prices[code]
            elif code in index:
                spend += index[code][1].price
            elif code in packages:
                spend += packages[code].price
        result.append(ProgrammeSpend(programme, spend, chosen))
    return result
