"""Whether a selection is valid: the catalog's constraints compiled into fast checks.

Validity has one definition, the constraints of :mod:`configurator.rules.constraints`; this
module compiles them, once per catalog, into predicates over the set of chosen codes (property
tests prove they agree with :meth:`Constraint.holds`). A check is kept as data (a
:data:`CheckSpec`) so that a pricer pickles; the predicates are compiled again on loading.
Availability by date is a :class:`~configurator.pricing.dates.DateSchedule` of the codes
that may not be chosen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from configurator.pricing.dates import DateSchedule

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog
    from configurator.expr import Expr
    from configurator.rules.constraints import Constraint
    from configurator.rules.validity import StructuralChecks

Predicate = Callable[[AbstractSet[str]], bool]

# A constraint's check as data (so that a pricer pickles): ("expr", source of the body of
# ``lambda s: ...``), ("cardinality", codes, minimum, maximum) or ("table", rows, allowed).
CheckSpec = tuple[Any, ...]


def expr_source(expr: Expr) -> str:
    """An expression as the body of ``lambda s: ...`` over a set ``s`` of chosen codes.

    The only values in that text are option codes written with ``repr``, so compiling it
    runs nothing from a catalog.
    """
    from configurator.expr import fold  # imported when a pricer is built, not loaded

    return fold(
        expr,
        var=lambda code: f"({code!r} in s)",
        const=lambda value: "True" if value else "False",
        not_=lambda part: f"(not {part})",
        and_=lambda parts: "(" + " and ".join(parts) + ")",
        or_=lambda parts: "(" + " or ".join(parts) + ")",
    )


def compile_sources(sources: Sequence[str]) -> list[Predicate]:
    """Many :func:`expr_source` texts compiled at once (one call of the compiler)."""
    if not sources:
        return []
    text = "(" + "".join(f"lambda s: {source}, " for source in sources) + ")"
    predicates: tuple[Predicate, ...] = eval(text, {"__builtins__": {}})  # noqa: S307
    return list(predicates)


def compile_expr(expr: Expr) -> Predicate:
    """An expression as a fast predicate over a set of chosen codes (same meaning as evaluate).

    The expression is folded into the text of one Python lambda and compiled.
    """
    return compile_sources([expr_source(expr)])[0]


def check_spec(constraint: Constraint) -> CheckSpec:
    """The data :func:`compile_constraint` compiles: picklable, unlike the predicate."""
    if constraint.kind == "cardinality":
        return ("cardinality", frozenset(constraint.codes), constraint.minimum, constraint.maximum)
    if constraint.kind == "table":
        return ("table", tuple(frozenset(row) for row in constraint.rows), constraint.allowed)
    assert constraint.expr is not None
    return ("expr", expr_source(constraint.expr))


def compile_checks(specs: Sequence[CheckSpec]) -> list[Predicate]:
    """The predicates of many check specs (the expressions compiled in one call)."""
    sources = [spec[1] for spec in specs if spec[0] == "expr"]
    compiled = iter(compile_sources(sources))
    return [next(compiled) if spec[0] == "expr" else _structural_check(spec) for spec in specs]


def _structural_check(spec: CheckSpec) -> Predicate:
    if spec[0] == "cardinality":
        _, members, low, high = spec
        if high is None:
            return lambda chosen: len(members & chosen) >= low
        return lambda chosen: low <= len(members & chosen) <= high
    from configurator.rules.constraints import TableIndex

    _, rows, allowed = spec
    matches = TableIndex(rows).matches
    return lambda chosen: matches(chosen) == allowed


def compile_constraint(constraint: Constraint) -> Predicate:
    """A constraint as a fast predicate with the meaning of :meth:`Constraint.holds`."""
    return compile_checks([check_spec(constraint)])[0]


class CompiledChecks:
    """A catalog's constraints as fast checks, and the codes unavailable on each date. Plain
    data once pickled (the predicates are rebuilt).

    Cardinalities and tables are checked all at once on the selection
    (:class:`~configurator.rules.validity.StructuralChecks`: a few numpy passes, whatever the
    size of the tables); the other constraints are predicates, run for those that mention a
    chosen code (or that fail on the empty selection)."""

    def __init__(self, catalog: Catalog, constraint_list: Sequence[Constraint]) -> None:
        from configurator.rules.validity import StructuralChecks

        self._structural = StructuralChecks(constraint_list)
        self._specs = {
            i: check_spec(c)
            for i, c in enumerate(constraint_list)
            if c.kind not in ("cardinality", "table")
        }
        touching: dict[str, list[int]] = {}
        for index in self._specs:
            for code in dict.fromkeys(constraint_list[index].codes):
                touching.setdefault(code, []).append(index)
        self._touching = {code: tuple(indices) for code, indices in touching.items()}
        restricted = [
            (option.code, option.available)
            for group in catalog.groups
            for option in group.options
            if option.available is not None
        ]
        restricted += [(p.code, p.available) for p in catalog.packages if p.available is not None]
        self.blocked = DateSchedule.of(
            (end for _, period in restricted for end in (period.from_, period.until)),
            lambda day: frozenset(code for code, period in restricted if not period.contains(day)),
        )
        self._compile()

    def _compile(self) -> None:
        self._checks = dict(
            zip(self._specs, compile_checks(list(self._specs.values())), strict=True)
        )
        # A constraint none of whose codes is chosen has the value it has on the empty set.
        self._fail_when_empty = tuple(
            i for i, check in self._checks.items() if not check(frozenset())
        )

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_checks", "_fail_when_empty")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._compile()

    @property
    def structural(self) -> StructuralChecks:
        """The cardinality and table checks (the rules engine can share them)."""
        return self._structural

    def broken(self, codes: AbstractSet[str]) -> list[int]:
        """The indexes (in catalog order) of the constraints a complete selection breaks."""
        broken = self._structural.broken(codes)
        if self._checks:
            broken += self.broken_others(codes)
            broken.sort()
        return broken

    @property
    def has_other_checks(self) -> bool:
        """Whether some constraint is neither a cardinality nor a table."""
        return bool(self._checks)

    @property
    def other_sources(self) -> list[str]:
        """The source (:func:`expr_source`) of each constraint that is neither a
        cardinality nor a table."""
        return [spec[1] for spec in self._specs.values()]

    def broken_others(self, codes: AbstractSet[str]) -> list[int]:
        """The indexes of the constraints other than cardinalities and tables that a
        complete selection breaks (unsorted)."""
        touched: set[int] = set()
        touching = self._touching
        for code in codes:
            found = touching.get(code)
            if found is not None:
                touched.update(found)
        broken = [i for i in touched if not self._checks[i](codes)]
        broken += [i for i in self._fail_when_empty if i not in touched]
        return broken

    def unavailable_codes(self, on: dt.date) -> frozenset[str]:
        """The option and package codes that may not be chosen on ``on``."""
        return self.blocked.at(on)
