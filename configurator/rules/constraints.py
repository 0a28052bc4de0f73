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
- ``spend``: a programme's minimum spend: once any of its options is chosen, the list prices
  of its chosen options add up to at least ``threshold``.

Programme minimum spends are aggregate conditions on prices: :func:`constraints` leaves them
out (a selection below a minimum spend is incomplete rather than contradictory, and
:func:`programme_spend` reports the progress); :func:`spend_constraints` states them in the
same form for the rules engine, which treats them as a condition for being complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from configurator.catalog.schema import Catalog, Programme, Rule
from configurator.errors import Location
from configurator.rules.expr import And, Const, Expr, Not, Or, Var, evaluate, parse, variables

Kind = Literal["cardinality", "rule", "table", "brings", "package", "availability", "spend"]


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
    rows: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    allowed: bool = True
    weights: tuple[Decimal, ...] = ()  # spend: the list price of each of ``codes``
    threshold: Decimal = Decimal(0)  # spend: the minimum

    def holds(self, selected: frozenset[str] | set[str]) -> bool:
        """Whether the constraint holds for a complete selection."""
        if self.kind == "spend":
            chosen = [
                w for code, w in zip(self.codes, self.weights, strict=True) if code in selected
            ]
            return not chosen or sum(chosen, Decimal(0)) >= self.threshold
        if self.kind == "cardinality":
            count = sum(1 for code in self.codes if code in selected)
            return count >= self.minimum and (self.maximum is None or count <= self.maximum)
        if self.kind == "table":
            matched = any(all(code in selected for code in row) for row in self.rows)
            return matched if self.allowed else not matched
        assert self.expr is not None
        return evaluate(self.expr, selected)


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


def constraints(catalog: Catalog, on: dt.date | None = None) -> list[Constraint]:
    """Every constraint of a (checked) catalog; availability only when a date is given."""
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
        rows = tuple(tuple(row) for row in table.rows)
        involved = tuple(dict.fromkeys(code for row in rows for code in row))
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
                    Constraint(
                        id=f"brings:{option.code}:{extra}",
                        kind="brings",
                        message=f"{option.name} comes with {extra}",
                        codes=(option.code, extra),
                        where=option.where,
                        expr=_implies(option.code, extra),
                    )
                )
    for package in catalog.packages:
        for included in package.includes:
            result.append(
                Constraint(
                    id=f"package:{package.code}:{included}",
                    kind="package",
                    message=f"{package.name} includes {included}",
                    codes=(package.code, included),
                    where=package.where,
                    expr=_implies(package.code, included),
                )
            )
    if on is not None:
        for code, name, period, where in _availabilities(catalog):
            if period is not None and not period.contains(on):
                span = f"{period.from_ or '...'} to {period.until or '...'}"
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
    return result


def spend_constraints(catalog: Catalog) -> list[Constraint]:
    """Each programme's minimum spend as a constraint (list prices, as :func:`programme_spend`).

    Programmes without a minimum (0) constrain nothing and are left out.
    """
    index = catalog.option_index()
    packages = catalog.package_index()
    result = []
    for programme in catalog.programmes:
        if programme.minimum_spend <= 0:
            continue
        # A code listed twice counts twice, as in programme_spend.
        spend: dict[str, Decimal] = {}
        for code in programme.options:
            if code in index:
                spend[code] = spend.get(code, Decimal(0)) + index[code][1].price
            elif code in packages:
                spend[code] = spend.get(code, Decimal(0)) + packages[code].price
        codes, weights = tuple(spend), tuple(spend.values())
        result.append(
            Constraint(
                id=f"spend:{programme.id}",
                kind="spend",
                message=(
                    f"{programme.name}: once one of its options is chosen, they must add up "
                    f"to at least {programme.minimum_spend:,} {catalog.currency}"
                ),
                codes=codes,
                where=programme.where,
                weights=weights,
                threshold=programme.minimum_spend,
            )
        )
    return result


def _availabilities(catalog: Catalog) -> Iterable[tuple[str, str, object, Location | None]]:
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
    """Each programme's spend: the list prices (or ``prices``) of its chosen options."""
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
