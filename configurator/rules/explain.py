"""Validity and minimal explanations with a SAT solver alone: no compiled diagram needed.

A rejected quote or batch row needs to know *why* a configuration is invalid, not the whole
solution space. :class:`Explainer` answers from the constraints
(:func:`configurator.rules.constraints.constraints` and the programmes' minimum spends), encoded
once as CNF with one selector literal per constraint (:func:`configurator.rules.compile.encode_cnf`,
milliseconds even for catalogs whose decision diagram would take minutes or not fit in memory):

- :meth:`Explainer.check`: valid (every constraint holds), or a minimal explanation;
- :meth:`Explainer.explain`: why some choices cannot be completed (a minimal unsatisfiable
  subset of the buyer's facts and the constraints, by deletion with solver cores).

The rules engine (:class:`configurator.rules.engine.RulesEngine`) delegates these to its
explainer, so both give the same explanations; the pricing engine uses the explainer directly,
so a rejection never waits for compilation.
"""

from __future__ import annotations

import datetime as dt
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from configurator.catalog.memo import PerCatalog
from configurator.catalog.schema import Catalog
from configurator.configuration import Configuration, Selection, check_known, resolve
from configurator.errors import (
    CardinalityError,
    ConfigurationError,
    Location,
    MinimumSpendError,
    RuleViolationError,
    UsageError,
)
from configurator.errors import Problem as CatalogProblem
from configurator.rules.compile import Cnf, Problem, encode_cnf, problem_of, support
from configurator.rules.constraints import (
    Charge,
    Constraint,
    ProgrammeSpend,
    charge_cases,
    charged,
    programme_spend,
)

if TYPE_CHECKING:
    from configurator.rules.validity import StructuralChecks

Source = Literal["chosen", "default", "brought", "included", "absent"]
_SOURCE_NUMBER: dict[str, int] = {
    "chosen": 0,
    "default": 1,
    "brought": 2,
    "included": 3,
    "absent": 4,
}

# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One element of an explanation about a code: chosen (and why) or not chosen."""

    code: str
    name: str
    source: Source

    @property
    def present(self) -> bool:
        return self.source != "absent"

    def describe(self) -> str:
        label = f"{self.code} ({self.name})"
        return {
            "chosen": f"you chose {label}",
            "default": f"{label} is a default",
            "brought": f"{label} comes with another choice",
            "included": f"{label} is included in a chosen package",
            "absent": f"{label} is not chosen",
        }[self.source]


@dataclass(frozen=True)
class RuleRef:
    """A constraint named in an explanation: its id, kind, message and where it is written."""

    id: str
    kind: str
    message: str
    where: Location | None

    @classmethod
    def of(cls, constraint: Constraint) -> RuleRef:
        return cls(constraint.id, constraint.kind, constraint.message, constraint.where)

    def describe(self) -> str:
        where = f", {self.where}" if self.where is not None else ""
        return f"{self.message} [{self.id}{where}]"

    def reference(self) -> str:
        """Where the rule is, without its message (which the error's headline gives once)."""
        where = f" at {self.where}" if self.where is not None else ""
        return f"rule {self.id}{where}"


@dataclass(frozen=True)
class Explanation:
    """A minimal conflict: these facts and constraints cannot all hold, and dropping any one
    of them makes the rest consistent."""

    facts: tuple[Fact, ...]
    rules: tuple[RuleRef, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.facts)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)

    def leading(self, ids: Iterable[str]) -> Explanation:
        """The same explanation with the rules whose id is in ``ids`` first (kept in order
        otherwise): a rejection names the rule the selection breaks before the rules that
        make it unavoidable."""
        first = set(ids)
        return replace(self, rules=tuple(sorted(self.rules, key=lambda r: r.id not in first)))

    def lines(self) -> list[str]:
        """One line per element, facts first: for the terminal and error messages. A rule's
        message is in the error's headline, so its line says only which rule and where."""
        return [f.describe() for f in self.facts] + [r.reference() for r in self.rules]

    def summary(self, brief: bool = False) -> str:
        """A one-line reason: the rules' messages, with the codes involved. ``brief`` leaves
        out how many options a group takes when other rules are involved (a screen that
        lists groups says it already)."""
        rules = [r for r in self.rules if r.kind != "cardinality"] if brief else []
        text = "; ".join(dict.fromkeys(r.message for r in rules or self.rules))
        present = [f.code for f in self.facts if f.present]
        absent = [f.code for f in self.facts if not f.present]
        extra = []
        if present:
            extra.append("with " + ", ".join(present))
        if absent:
            extra.append("without " + ", ".join(absent))
        return text + (f" ({'; '.join(extra)})" if extra else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "facts": [{"code": f.code, "source": f.source} for f in self.facts],
            "rules": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "message": r.message,
                    "where": str(r.where) if r.where is not None else None,
                }
                for r in self.rules
            ],
        }


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a selection: valid, or why not.

    ``explanation`` is a minimal conflict when a rule is broken; ``shortfalls`` lists the
    programmes whose minimum spend is not met (the configuration is then incomplete).
    """

    valid: bool
    selection: frozenset[str]
    explanation: Explanation | None = None
    violated: tuple[RuleRef, ...] = ()
    spend: tuple[ProgrammeSpend, ...] = ()

    @property
    def shortfalls(self) -> tuple[ProgrammeSpend, ...]:
        return tuple(s for s in self.spend if not s.met)

    @property
    def complete(self) -> bool:
        """Every programme's minimum spend is met."""
        return not self.shortfalls

    def error(self) -> ConfigurationError:
        """The error to raise for an invalid result (with the explanation's lines)."""
        if self.explanation is not None:
            explanation = self.explanation
            # The class (batch's error code) is the kind of the first constraint, in catalog
            # order, that the selection breaks; for choices that cannot be completed (nothing
            # broken yet), the kinds of the explanation's rules.
            broken = [r.kind for r in self.violated if r.kind != "spend"]
            kinds = {broken[0]} if broken else {r.kind for r in explanation.rules}
            cls: type[ConfigurationError] = RuleViolationError
            if kinds == {"cardinality"}:
                cls = CardinalityError
            elif kinds == {"spend"}:
                cls = MinimumSpendError
            return cls(
                "the configuration breaks the catalog's rules: " + explanation.summary(),
                option_codes=explanation.codes,
                rule_ids=explanation.rule_ids,
                explanation=explanation.lines(),
            )
        lines = [spend_progress(s) for s in self.shortfalls]
        return MinimumSpendError(
            "the configuration is incomplete: " + "; ".join(lines),
            option_codes=[code for s in self.shortfalls for code in s.chosen],
            rule_ids=[f"spend:{s.programme.id}" for s in self.shortfalls],
            explanation=lines,
        )

    def raise_if_invalid(self) -> None:
        if not self.valid:
            raise self.error()


def spend_progress(spend: ProgrammeSpend) -> str:
    """'Customization: 72,000.00 of 100,000.00 spent (28,000.00 to go)'."""
    minimum = spend.programme.minimum_spend
    text = f"{spend.programme.name}: {spend.spend:,.2f} of {minimum:,.2f} spent"
    return text + (f" ({spend.missing:,.2f} to go)" if spend.missing > 0 else "")


# --- the explainer -----------------------------------------------------------------------------


class Explainer:
    """Checks and explains configurations of one catalog on one date with the SAT solver."""

    def __init__(
        self, catalog: Catalog, on: dt.date | None = None, problem: Problem | None = None
    ) -> None:
        self.catalog = catalog
        self.on = on
        self.problem = problem if problem is not None else problem_of(catalog, on)
        self.codes = (*self.problem.options, *self.problem.packages)
        options = catalog.option_index()
        self.names = {code: option.name for code, (_, option) in options.items()}
        self.names.update({code: p.name for code, p in catalog.package_index().items()})
        self.group_of = {code: group for code, (group, _) in options.items()}
        self._cnf: Cnf | None = None
        self._solver: Any = None
        self._structural: StructuralChecks | None = None
        self._charges: Mapping[str, Charge] | None = None
        self._programme_codes: frozenset[str] = frozenset()
        self._other_constraints: list[tuple[int, Constraint]] = []
        # Explanations of broken complete selections: a small solver per broken constraint
        # (reused), and the explanations found, keyed by the conflict (LRU).
        self._local_solvers: OrderedDict[int, tuple[Cnf, Any]] = OrderedDict()
        self._conflicts: OrderedDict[tuple[Any, ...], Explanation | None] = OrderedDict()
        self._explanations: dict[Explanation, Explanation] = {}
        self._code_number = {code: i for i, code in enumerate(self.codes)}
        self._group_constraint = {
            c.id.removeprefix("group:"): i
            for i, c in enumerate(self.problem.constraints)
            if c.kind == "cardinality"
        }

    def _known(self, codes: Iterable[str]) -> list[str]:
        codes = [code.strip().upper() for code in codes]
        check_known(self.catalog, codes)
        return list(dict.fromkeys(codes))

    def sat(self) -> tuple[Cnf, Any]:
        """The CNF and its solver (Glucose 4), made on first use."""
        if self._solver is None:
            from pysat.solvers import Solver

            self._cnf = encode_cnf(self.problem)
            self._solver = Solver(name="g4", bootstrap_with=self._cnf.clauses)
            # Free the solver with the explainer, and at exit before modules are torn down.
            weakref.finalize(self, self._solver.delete)
        assert self._cnf is not None
        return self._cnf, self._solver

    def check(
        self, configuration: Configuration | Iterable[str], selection: Selection | None = None
    ) -> CheckResult:
        """Check a configuration (resolved with defaults, packages and brought options) or a
        complete set of codes. Invalid: a minimal explanation, or the unmet minimum spends.

        ``selection``: the configuration already resolved (e.g. by a pricer's
        :class:`~configurator.pricing.selection.SelectionIndex`, same meaning), so that it is
        not resolved again."""
        if selection is not None:
            pass
        elif isinstance(configuration, Configuration):
            if configuration.model != self.catalog.id:
                raise UsageError(
                    f"the configuration is for '{configuration.model}', not '{self.catalog.id}'"
                )
            selection = resolve(self.catalog, configuration)
        else:
            codes = frozenset(self._known(configuration))
            selection = Selection(codes, codes, frozenset(), {}, {})
        codes = selection.codes
        spend = self._spend(codes)
        broken_at = self.broken(codes)
        if not broken_at:
            return CheckResult(True, selection.codes, spend=spend)
        broken = tuple(RuleRef.of(self.problem.constraints[i]) for i in broken_at)
        if all(r.kind == "spend" for r in broken):
            return CheckResult(False, selection.codes, None, broken, spend)
        first = next(i for i in broken_at if self.problem.constraints[i].kind != "spend")
        explanation = self.explain_broken(selection, first)
        explanation = explanation.leading(r.id for r in broken)
        return CheckResult(False, selection.codes, explanation, broken, spend)

    def _spend(self, codes: frozenset[str]) -> tuple[ProgrammeSpend, ...]:
        """Each programme's spend on the charged prices (:func:`charged_prices`, for the
        programmes' options only: all that :func:`programme_spend` reads); the charge cases
        are made once, not per check."""
        if not self.catalog.programmes:
            return ()
        if self._charges is None:
            self._charges = charge_cases(self.catalog)
            self._programme_codes = frozenset(
                code for programme in self.catalog.programmes for code in programme.options
            )
        cases = self._charges
        prices = {
            code: charged(cases[code], codes)
            for code in self._programme_codes.intersection(codes)
            if code in cases
        }
        return tuple(programme_spend(self.catalog, codes, prices))

    def share_checks(self, checks: StructuralChecks) -> None:
        """Use ``checks`` (built from ``constraints(catalog)``, e.g. a pricer's) for the
        cardinalities and tables: they sit at the same places in this explainer's constraints
        (availability and minimum spends come after them), so they need not be built twice."""
        if self._structural is None:
            self._structural = checks
            self._other_constraints = [
                (i, c)
                for i, c in enumerate(self.problem.constraints)
                if c.kind not in ("cardinality", "table")
            ]

    def broken(self, selection: Iterable[str]) -> list[int]:
        """The indices (in ``problem.constraints``) of the constraints a complete selection
        breaks: cardinalities and tables checked at once (:mod:`configurator.rules.validity`),
        the others one by one."""
        selected = frozenset(selection)
        if self._structural is None:
            from configurator.rules.validity import StructuralChecks

            self.share_checks(StructuralChecks(self.problem.constraints))
        assert self._structural is not None
        found = self._structural.broken(selected)
        found += [i for i, c in self._other_constraints if not c.holds(selected)]
        return sorted(found)

    def explain_broken(self, selection: Selection, index: int) -> Explanation:
        """Why a complete selection breaks constraint ``index``: a minimal conflict among the
        facts about the codes that constraint (and the groups of those codes) involve, the
        constraint and those groups' cardinalities.

        Minimal in the whole catalog too (a conflict among some constraints is one among all;
        minimality is a property of the set), and found on a small solver of those
        constraints only, kept per constraint, by plain deletion (no solver cores), so the
        answer depends on the selection alone, not on what was explained before. The facts
        are tried for deletion from the least to the most preferred (codes nobody chose, then
        defaults and what was brought along, then constraints, the buyer's choices last), so
        it names the buyer's choices when it can. When the buyer's choices alone cannot be
        completed, the conflict is sought among them only (those facts, then, if they do not
        conflict there, with every constraint: :meth:`explain`). Explanations are cached by
        their conflict: the constraint and the facts about its codes.
        """
        constraint = self.problem.constraints[index]
        codes = set(support(constraint))
        groups = {self.group_of[c].id: self.group_of[c] for c in codes if c in self.group_of}
        for group in groups.values():
            codes.update(o.code for o in group.options)
        involved = sorted({index, *(self._group_constraint[g] for g in groups)})
        facts = [self._fact(code, selection) for code in self.codes if code in codes]
        chosen_only = [f for f in facts if f.source == "chosen"]
        found = self._local_mus(index, involved, chosen_only)
        if found is not None:  # the buyer's choices alone conflict
            return found
        # The choices in catalog order: a frozenset's order depends on how it was built (and
        # on the hash seed), and the order of the facts decides which conflict is named.
        chosen = sorted(selection.chosen, key=self._code_number.__getitem__)
        found = self.explain(chosen)  # None unless they conflict through others
        if found is not None:
            return found
        found = self._local_mus(index, involved, facts)
        if found is None:  # cannot happen: the facts alone break the constraint
            found = self._explain_selection(selection)
        return found

    def _fact(self, code: str, selection: Selection) -> Fact:
        source: Source
        if code in selection.chosen:
            source = "chosen"
        elif code in selection.packaged and code in selection.codes:
            source = "included"
        elif code in selection.brought:
            source = "brought"
        elif code in selection.defaulted:
            source = "default"
        elif code in selection.codes:
            source = "chosen"
        else:
            source = "absent"
        return Fact(code, self.names[code], source)

    def _local_solver(self, index: int, involved: Sequence[int]) -> tuple[Cnf, Any]:
        found = self._local_solvers.get(index)
        if found is not None:
            self._local_solvers.move_to_end(index)
            return found
        from pysat.solvers import Solver

        part = replace(
            self.problem, constraints=tuple(self.problem.constraints[i] for i in involved)
        )
        cnf = encode_cnf(part)
        solver = Solver(name="g4", bootstrap_with=cnf.clauses)
        weakref.finalize(self, solver.delete)
        # The solver has the clauses; the Python lists of them (megabytes for a big table,
        # kept for each of up to 256 constraints) are not needed again, nor the variables of
        # codes these constraints do not mention.
        mentioned = {code for c in part.constraints for code in support(c)}
        var = {code: v for code, v in cnf.var.items() if code in mentioned}
        cnf = replace(cnf, clauses=[], var=var)
        self._local_solvers[index] = (cnf, solver)
        if len(self._local_solvers) > 256:
            _, (_, oldest) = self._local_solvers.popitem(last=False)
            oldest.delete()
        return cnf, solver

    def _local_mus(
        self, index: int, involved: Sequence[int], facts: Sequence[Fact]
    ) -> Explanation | None:
        """A minimal unsatisfiable subset of ``facts`` and the ``involved`` constraints by
        plain deletion, or None when they do not conflict; cached by the conflict."""
        # A compact key (four bytes a fact): the cache holds up to 4,096 conflicts of dozens
        # of facts each, megabytes as tuples of strings.
        number, kinds = self._code_number, _SOURCE_NUMBER
        key = (index, array("I", [number[f.code] << 3 | kinds[f.source] for f in facts]).tobytes())
        if key in self._conflicts:
            self._conflicts.move_to_end(key)
            return self._conflicts[key]
        cnf, solver = self._local_solver(index, involved)
        rank = {"absent": 0, "default": 1, "brought": 1, "included": 1, "chosen": 3}
        elements: list[tuple[int, int, Fact | Constraint]] = []
        for fact in facts:
            literal = cnf.var[fact.code] if fact.present else -cnf.var[fact.code]
            elements.append((rank[fact.source], literal, fact))
        for position, selector in enumerate(cnf.selector):
            elements.append((2, selector, self.problem.constraints[involved[position]]))
        elements.sort(key=lambda e: e[0])
        explanation = None
        if not solver.solve(assumptions=[e[1] for e in elements]):
            explanation = self._deletion(solver, elements)
            # Many conflicts have the same few-fact explanation: keep one object of each.
            if len(self._explanations) > 4096:
                self._explanations.clear()
            explanation = self._explanations.setdefault(explanation, explanation)
        self._conflicts[key] = explanation
        if len(self._conflicts) > 4096:
            self._conflicts.popitem(last=False)
        return explanation

    def _deletion(
        self, solver: Any, elements: Sequence[tuple[int, int, Fact | Constraint]]
    ) -> Explanation:
        """A minimal conflict by deletion: each element (in order) is dropped when the others
        that are left still conflict."""
        needed: list[tuple[int, int, Fact | Constraint]] = []
        pending = list(elements)
        # Blocks of elements are dropped at once when the rest still conflicts; when it does
        # not, the block is halved, down to one element, which is then needed. The result is
        # exactly that of dropping one element at a time (a conflict without a whole block is
        # one without each of its elements, in turn), in fewer solver calls.
        size = 1
        while pending:
            block = min(size, len(pending))
            trial = [e[1] for e in needed] + [e[1] for e in pending[block:]]
            if not solver.solve(assumptions=trial):
                del pending[:block]
                size = block * 2
            elif block == 1:
                needed.append(pending.pop(0))
                size = 1
            else:
                size = block // 2
        order = {code: i for i, code in enumerate(self.codes)}
        found_facts = sorted(
            (e[2] for e in needed if isinstance(e[2], Fact)), key=lambda f: order[f.code]
        )
        rules = [RuleRef.of(e[2]) for e in needed if isinstance(e[2], Constraint)]
        return Explanation(tuple(found_facts), tuple(rules))

    def explain(self, partial: Iterable[str], wanted: Sequence[str] = ()) -> Explanation | None:
        """Why the buyer's choices ``partial`` (plus the codes ``wanted``, taken as given)
        cannot be completed: a minimal set of those choices and of the constraints that
        conflict. None when they can be completed."""
        codes = self._known(partial)
        wanted = self._known(wanted)
        fast = self._cardinality_conflict(codes, wanted)
        if fast is not None:
            return fast
        facts = [Fact(code, self.names[code], "chosen") for code in codes if code not in wanted]
        return self._mus(facts, wanted, include_spend=True)

    def _cardinality_conflict(self, codes: list[str], wanted: list[str]) -> Explanation | None:
        """The common case: a wanted option in a group already full of chosen options."""
        if len(wanted) != 1 or wanted[0] not in self.group_of:
            return None
        group = self.group_of[wanted[0]]
        limit = group.choose.max
        others = [c for c in codes if c != wanted[0] and self.group_of.get(c) is group]
        if limit is None or len(others) < limit:
            return None
        constraint = next(c for c in self.problem.constraints if c.id == f"group:{group.id}")
        facts = tuple(Fact(c, self.names[c], "chosen") for c in others[:limit])
        return Explanation(facts, (RuleRef.of(constraint),))

    def _explain_selection(self, selection: Selection) -> Explanation:
        """The choices can be completed, but this complete selection (with its defaults and
        without the codes nobody chose) breaks a rule: a minimal set of those facts."""
        facts = [self._fact(code, selection) for code in self.codes]
        explanation = self._mus(facts, (), include_spend=False)
        assert explanation is not None, "an invalid selection must have a conflict"
        return explanation

    def _mus(
        self, facts: Sequence[Fact], wanted: Sequence[str], include_spend: bool
    ) -> Explanation | None:
        """A minimal unsatisfiable subset of facts and constraints: the one deletion finds.

        Elements are tried from the least to the most preferred, each dropped when the rest
        still conflicts: facts nobody chose go first, then defaults and what packages or
        options brought, then constraints, and the buyer's own choices last, so an
        explanation names them when it can.

        The answer depends on the facts alone, never on what the shared solver learned
        before: it reads only whether sets conflict, never a solver core (a core depends on
        that history, so the same car could be explained two ways in one batch). Deletion
        goes by bisection, not element by element: the next element it keeps is the last
        one whose suffix of the elements, with those kept so far, still conflicts, so each
        kept element costs about log2(n) solves instead of n.
        """
        cnf, solver = self.sat()
        rank = {"absent": 0, "default": 1, "brought": 1, "included": 1, "chosen": 3}
        elements: list[tuple[int, int, Fact | Constraint]] = []
        for fact in facts:
            literal = cnf.var[fact.code] if fact.present else -cnf.var[fact.code]
            elements.append((rank[fact.source], literal, fact))
        for constraint, selector in zip(self.problem.constraints, cnf.selector, strict=True):
            if constraint.kind == "spend" and not include_spend:
                continue
            elements.append((2, selector, constraint))
        elements.sort(key=lambda e: e[0])
        literals = [e[1] for e in elements]
        kept = [cnf.var[code] for code in wanted]  # the wanted codes, then what is needed
        if solver.solve(assumptions=kept + literals):
            return None
        needed: list[tuple[int, int, Fact | Constraint]] = []
        start = 0  # invariant: kept + literals[start:] conflict
        while solver.solve(assumptions=kept):
            # The suffixes literals[k:] that still conflict with kept are those with k up to
            # some last one (a longer suffix only adds elements): that element is needed.
            low, high = start, len(literals) - 1
            while low < high:
                middle = (low + high + 1) // 2
                if solver.solve(assumptions=kept + literals[middle:]):
                    high = middle - 1
                else:
                    low = middle
            needed.append(elements[low])
            kept.append(literals[low])
            start = low + 1
        order = {code: i for i, code in enumerate(self.codes)}
        found_facts = sorted(
            (e[2] for e in needed if isinstance(e[2], Fact)), key=lambda f: order[f.code]
        )
        rules = [RuleRef.of(e[2]) for e in needed if isinstance(e[2], Constraint)]
        return Explanation(tuple(found_facts), tuple(rules))


_EXPLAINERS: PerCatalog[Explainer] = PerCatalog(Explainer)


def explainer_for(catalog: Catalog, on: dt.date | None = None) -> Explainer:
    """The explainer of a catalog on a date, made once per process."""
    return _EXPLAINERS.get(catalog, on)


# --- catalogs that validate but cannot be used -----------------------------------------------


def usability_problems(catalog: Catalog) -> list[CatalogProblem]:
    """What makes a well-formed catalog unusable, found with the SAT solver (no diagram):

    - ``no-valid-car``: the rules admit no car at all, with a minimal set of constraints that
      conflict (on any date: availability dates are left out);
    - ``defaults-break-rule``: the standard car (every group's defaults) breaks a rule, with a
      minimal explanation; it could then be neither quoted nor finished in ``configure``.
    """
    from configurator.errors import ConfiguratorError, Location

    explainer = Explainer(catalog)
    fallback = catalog.where_of() or Location(catalog.id)
    conflict = explainer._mus([], [], include_spend=True)
    if conflict is not None:
        rules = ", ".join(
            f"'{r.id}'" + (f" ({r.where})" if r.where is not None else "") for r in conflict.rules
        )
        first = next((r.where for r in conflict.rules if r.where is not None), fallback)
        return [
            CatalogProblem(
                first,
                "no-valid-car",
                f"no car satisfies these rules together: {rules}: {conflict.summary()}",
            )
        ]
    try:
        result = explainer.check(Configuration(catalog.id))
    except ConfiguratorError as error:
        return [
            CatalogProblem(fallback, "defaults-break-rule", f"the standard car: {error.message}")
        ]
    if result.valid:
        return []
    broken = [r for r in result.violated]
    where = next((r.where for r in broken if r.where is not None), fallback)
    reason = result.explanation.summary() if result.explanation is not None else ""
    if not reason:
        reason = result.error().message
    names = ", ".join(f"'{r.id}'" for r in broken)
    return [
        CatalogProblem(
            where,
            "defaults-break-rule",
            f"the standard car (every group's defaults) breaks {names}: {reason}",
        )
    ]
