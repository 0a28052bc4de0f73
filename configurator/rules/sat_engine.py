"""The rules engine on a SAT solver, for catalogs whose BDD does not build within its budget.

Same questions and answers as :class:`~configurator.rules.engine.RulesEngine` (it is a
subclass: explanations, alternatives, checks and availability are shared), answered by calls to
a CDCL solver (PySAT, Glucose 4) with assumptions instead of passes over a diagram, as in the
literature on interactive configuration over SAT (Janota, "Do SAT solvers make good
configurators?", SPLC 2008; Janota, Marques-Silva et al. on backbones):

- **valid domains** of a partial configuration: every literal implied by unit propagation is
  fixed without search; every other literal needs a *witness* (a valid configuration with that
  value) or a proof that none exists (an unsatisfiable call, which makes its negation implied).
  Each solver call targets one literal still without a witness, with the solver's preferred
  phases set to every literal still without one, so one model witnesses hundreds at once;
- **solution caching**: the last models found are kept and witness whatever they still agree
  with after the next choice;
- **implied-literal reuse**: literals implied by some choices stay implied by any superset of
  them (choices only shrink the solution space), so a step starts from what the previous step
  proved;
- **cheapest / dearest completion**: weighted MaxSAT (PySAT's RC2) over the priced variables,
  exact for list prices; with no prices at all, one model that prefers the defaults;
- **count**: unknown (None): counting needs a knowledge compiler, and no maintained Python
  package compiles models of this size.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from configurator.catalog.schema import Catalog
from configurator.expr import And, Not, Or, Var, parse
from configurator.rules.compile import Problem, encode_cnf, problem_of
from configurator.rules.constraints import Constraint, charge_cases
from configurator.rules.engine import Completion, Explanation, How, RulesEngine

MODELS_KEPT = 24  # models kept to witness values after the next choice
STEPS_KEPT = 32  # partial configurations whose implied literals are remembered
REPAIR_TRIES = 2  # repairs tried per code and step before the solver is asked


@dataclass(frozen=True)
class _Domain:
    can1: np.ndarray  # per code: some valid completion has it
    can0: np.ndarray  # per code: some valid completion lacks it
    implied: frozenset[int]  # literals (over the domain solver's variables) implied


class SatEngine(RulesEngine):
    """The rules engine's API on a SAT solver (see the module's documentation)."""

    technique = "sat"

    def __init__(
        self,
        catalog: Catalog,
        on: dt.date | None = None,
        problem: Problem | None = None,
        reason: str = "",
    ) -> None:
        started = time.perf_counter()
        self.catalog = catalog
        self.on = on
        self.problem = problem if problem is not None else problem_of(catalog, on)
        self.reason = reason
        self.compiled = None  # type: ignore[assignment]
        self.codes = (*self.problem.options, *self.problem.packages)
        options = catalog.option_index()
        packages = catalog.package_index()
        self.names = {code: option.name for code, (_, option) in options.items()}
        self.names.update({code: p.name for code, p in packages.items()})
        self.prices = {code: option.price for code, (_, option) in options.items()}
        self.prices.update({code: p.price for code, p in packages.items()})
        self.group_of = {code: group for code, (group, _) in options.items()}
        self.defaults = {code for g in catalog.groups for code in g.default}
        self._charges = charge_cases(catalog)
        self._discounts = [(d, parse(d.when)) for d in catalog.discounts]
        self.package_codes = frozenset(packages)
        self._order = {code: index for index, code in enumerate(self.codes)}
        self._values = {code: o.value for code, (_, o) in options.items() if o.value is not None}
        self._explainer = None
        self._root_domains = None
        # The domain solver: every constraint active, plus the price auxiliaries' definitions.
        extended = _with_aux(self.problem)
        cnf = encode_cnf(extended)
        self._var = cnf.var
        self._code_vars = np.array([cnf.var[c] for c in self.codes], dtype=np.int64)
        self._index = {code: i for i, code in enumerate(self.codes)}
        self._position = np.full(cnf.top + 2, -1, dtype=np.int64)  # variable -> code index
        self._position[self._code_vars] = np.arange(len(self.codes))
        self._hard = [*cnf.clauses, *([s] for s in cnf.selector)]
        self._top = cnf.top
        from pysat.solvers import Solver

        # Every clause guarded by one activation literal, assumed in every call: what the
        # constraints alone imply is then propagated above level 0, where the solver's
        # propagate() reports it (level-0 facts are not reported).
        self._on = cnf.top + 1
        guarded = [[*clause, -self._on] for clause in self._hard]
        self._dom = Solver(name="g4", bootstrap_with=guarded)
        weakref.finalize(self, self._dom.delete)
        self._models: list[np.ndarray] = []  # per model: the code variables' values
        self._tried = np.zeros(len(self.codes), dtype=np.int8)
        # For repairs: constraints by the codes they mention, "x brings y" both ways, and the
        # options of groups taking at most one.
        from configurator.rules.compile import support

        self._touch: dict[str, list[int]] = {}
        self._excludes: dict[str, list[str]] = {}
        self._any_of: dict[str, list[tuple[str, ...]]] = {}
        self._implies: dict[str, list[str]] = {}
        self._implied_by: dict[str, list[str]] = {}
        for k, c in enumerate(self.problem.constraints):
            if (
                c.kind == "cardinality"
                and c.minimum == 0
                and (c.maximum is None or c.maximum >= len(c.codes))
            ):
                continue  # always holds: nothing to check
            for code in support(c):
                self._touch.setdefault(code, []).append(k)
            needs = _any_of(c)
            if needs is not None:
                self._any_of.setdefault(needs[0], []).append(needs[1])
            for source, target, positive in _binary(c):
                if positive:
                    self._implies.setdefault(source, []).append(target)
                    self._implied_by.setdefault(target, []).append(source)
                else:
                    self._excludes.setdefault(source, []).append(target)
                    self._excludes.setdefault(target, []).append(source)
        self._exclusive: dict[str, tuple[str, ...]] = {}
        for g in catalog.groups:
            if g.choose.max == 1:
                members = tuple(o.code for o in g.options)
                for code in members:
                    self._exclusive[code] = members
        self._steps: OrderedDict[frozenset[str], _Domain] = OrderedDict()
        self.calls = 0  # solver calls made, for the benchmark
        self.setup_seconds = time.perf_counter() - started

    # --- the domain computation -----------------------------------------------------------

    def _remember(self, model: list[int]) -> np.ndarray:
        # A model lists every variable in order: model[v - 1] is v or -v.
        row = np.asarray(model, dtype=np.int64)[self._code_vars - 1] > 0
        self._models.append(row)
        if len(self._models) > MODELS_KEPT:
            self._models.pop(0)
        return row

    def _domain(self, codes: list[str]) -> _Domain | None:
        """Valid domains of the codes under the choices ``codes``; None if inconsistent."""
        key = frozenset(codes)
        if key in self._steps:
            self._steps.move_to_end(key)
            return self._steps[key]
        chosen = [self._var[c] for c in codes]
        # Assumed: the activation literal, the choices, and the literals proved implied by
        # a subset of these choices (the solver re-derives the rest by propagation).
        implied: set[int] = {self._on, *chosen}
        for earlier, domain in reversed(self._steps.items()):
            if earlier <= key:
                implied |= domain.implied
                break
        assumed = sorted(implied, key=abs)
        solver = self._dom
        ok, found = solver.propagate(assumptions=assumed)
        if not ok:
            return self._store(key, None)
        count = len(self.codes)
        can1 = np.zeros(count, dtype=bool)
        can0 = np.zeros(count, dtype=bool)
        chosen_idx = [self._index[c] for c in codes]
        chosen_set = set(codes)
        for row in list(self._models):
            if row[chosen_idx].all():
                can1 |= row
                can0 |= ~row
                continue
            # Solution caching with repair: a kept model changed to take the new choices (and
            # what they bring, without their exclusive siblings) is often still valid.
            base = {self.codes[i] for i in np.flatnonzero(row).tolist()}
            for code in codes:
                if code in base:
                    continue
                changed = self._flip_in(base, code, chosen_set)
                if changed is None:
                    break
                added, removed = changed
                base |= added
                base -= removed
            else:
                repaired = np.zeros(count, dtype=bool)
                repaired[[self._index[c] for c in base]] = True
                can1 |= repaired
                can0 |= ~repaired
        fixed_true = np.zeros(count, dtype=bool)
        fixed_false = np.zeros(count, dtype=bool)
        position = self._position

        def fix(literals: Iterable[int]) -> None:
            lits = np.fromiter(literals, dtype=np.int64)
            index = position[np.abs(lits)]
            known = index >= 0
            fixed_true[index[known & (lits > 0)]] = True
            fixed_false[index[known & (lits < 0)]] = True

        fix(assumed)
        fix(found)
        self._tried = np.zeros(count, dtype=np.int8)  # repairs tried per code, this step
        first = True
        while True:
            need1 = ~can1 & ~fixed_false
            need0 = ~can0 & ~fixed_true
            if not first and not need1.any() and not need0.any():
                break
            target: int | None = None
            if not first:
                idx1 = np.flatnonzero(need1)
                if idx1.size:
                    target = int(self._code_vars[idx1[0]])
                else:
                    target = -int(self._code_vars[np.flatnonzero(need0)[0]])
                # Every code's phase each time (a phase once set stays): true where a witness
                # with it is still needed, false elsewhere.
                solver.set_phases(np.where(need1, self._code_vars, -self._code_vars).tolist())
            else:
                solver.set_phases([-int(v) for v in self._code_vars])
            self.calls += 1
            if solver.solve(assumptions=assumed + ([target] if target else [])):
                row = self._remember(solver.get_model() or [])
                can1 |= row
                can0 |= ~row
                self._repairs(row, can1, can0, fixed_true, fixed_false, set(codes))
            elif target is None:
                return self._store(key, None)
            else:
                implied.add(-target)
                assumed.append(-target)
                ok, found = solver.propagate(assumptions=assumed)
                fix([-target, *found])
            first = False
        can1 &= ~fixed_false
        can0 &= ~fixed_true
        return self._store(key, _Domain(can1, can0, frozenset(implied)))

    def _repairs(
        self,
        row: np.ndarray,
        can1: np.ndarray,
        can0: np.ndarray,
        fixed_true: np.ndarray,
        fixed_false: np.ndarray,
        chosen: set[str],
    ) -> None:
        """Witnesses without the solver: from a valid model, flip one code still without a
        witness (with what it brings, or what brings it, and its siblings in an at-most-one
        group) and check only the constraints that mention a changed code; a success is a new
        valid model (marked in ``can1``/``can0``)."""
        codes = self.codes
        base = {codes[i] for i in np.flatnonzero(row).tolist()}
        tried = self._tried
        for i in np.flatnonzero(~can1 & ~fixed_false).tolist():
            if can1[i] or tried[i] >= REPAIR_TRIES:
                continue
            tried[i] += 1
            changed = self._flip_in(base, codes[i], chosen)
            if changed is not None:
                self._mark(changed, base, can1, can0)
        for i in np.flatnonzero(~can0 & ~fixed_true).tolist():
            if can0[i] or tried[i] >= REPAIR_TRIES:
                continue
            tried[i] += 1
            changed = self._flip_out(base, codes[i], chosen)
            if changed is not None:
                self._mark(changed, base, can1, can0)

    def _mark(
        self, changed: tuple[set[str], set[str]], base: set[str], can1: np.ndarray, can0: np.ndarray
    ) -> None:
        added, removed = changed
        index = self._index
        for code in added:
            can1[index[code]] = True
        for code in removed:
            can0[index[code]] = True

    def _holds_around(self, selection: set[str], changed: Iterable[str]) -> bool:
        seen: set[int] = set()
        for code in changed:
            for k in self._touch.get(code, ()):
                if k not in seen:
                    seen.add(k)
                    if not self.problem.constraints[k].holds(selection):
                        return False
        return True

    def _flip_in(
        self, base: set[str], code: str, chosen: set[str]
    ) -> tuple[set[str], set[str]] | None:
        added: set[str] = set()
        stack = [code]
        while stack:
            x = stack.pop()
            if x in base or x in added:
                continue
            added.add(x)
            stack.extend(self._implies.get(x, ()))
            for options in self._any_of.get(x, ()):  # "x requires one of ...": the first
                if not any(o in base or o in added for o in options):
                    stack.append(options[0])
        # Out go the added codes' exclusive siblings and what they exclude, and with each
        # code that goes, whatever implies it.
        removed: set[str] = set()
        stack = [
            y
            for x in added
            for y in (*self._exclusive.get(x, ()), *self._excludes.get(x, ()))
            if y != x and y in base
        ]
        while stack:
            y = stack.pop()
            if y in removed or y not in base:
                continue
            removed.add(y)
            stack.extend(self._implied_by.get(y, ()))
        if removed & (added | chosen):
            return None
        # Changed in place and restored: copying a model of thousands of codes per try costs
        # more than the check.
        base |= added
        base -= removed
        try:
            ok = self._holds_around(base, added | removed)
        finally:
            base -= added
            base |= removed
        return (added, removed) if ok else None

    def _flip_out(
        self, base: set[str], code: str, chosen: set[str]
    ) -> tuple[set[str], set[str]] | None:
        removed: set[str] = set()
        stack = [code]
        while stack:
            x = stack.pop()
            if x not in base or x in removed:
                continue
            removed.add(x)
            stack.extend(self._implied_by.get(x, ()))
        if removed & chosen:
            return None
        base -= removed
        try:
            ok = self._holds_around(base, removed)
        finally:
            base |= removed
        return (set(), removed) if ok else None

    def _store(self, key: frozenset[str], domain: _Domain | None) -> _Domain | None:
        if domain is not None:
            self._steps[key] = domain
            if len(self._steps) > STEPS_KEPT:
                self._steps.popitem(last=False)
        return domain

    # --- the API ----------------------------------------------------------------------------

    def consistent(self, partial: Iterable[str]) -> bool:
        codes = self._known(partial)
        self.calls += 1
        return bool(self._dom.solve(assumptions=[self._on, *(self._var[c] for c in codes)]))

    def selectable(self, partial: Iterable[str] = ()) -> dict[str, bool]:
        domain = self._domain(self._known(partial))
        if domain is None:
            return dict.fromkeys(self.codes, False)
        return dict(zip(self.codes, domain.can1.tolist(), strict=True))

    def _root(self) -> tuple[np.ndarray, np.ndarray]:
        domain = self._domain([])
        if domain is None:
            empty = np.zeros(len(self.codes), dtype=bool)
            return empty, empty
        return domain.can1, domain.can0

    def dead_options(self) -> list[str]:
        can1, _ = self._root()
        return [code for code, can in zip(self.codes, can1.tolist(), strict=True) if not can]

    def forced_options(self) -> list[str]:
        can1, can0 = self._root()
        if not can1.any() and not can0.any():
            return []
        return [code for code, can in zip(self.codes, can0.tolist(), strict=True) if not can]

    def forced_by(self, partial: Iterable[str]) -> list[str]:
        domain = self._domain(self._known(partial))
        if domain is None:
            return []
        flags = domain.can0.tolist()
        return [code for code, can in zip(self.codes, flags, strict=True) if not can]

    def count(self, partial: Iterable[str] = ()) -> int | None:  # type: ignore[override]
        """Unknown on a SAT engine: None."""
        self._known(partial)
        return None

    def is_valid(self, selection: Iterable[str]) -> bool:
        selected = frozenset(selection)
        return all(c.holds(selected) for c in self.problem.constraints)

    def _good_root(self, codes: list[str]) -> bool:
        return self._domain(codes) is not None

    def explain(self, partial: Iterable[str], wanted: Sequence[str] = ()) -> Explanation | None:
        codes = self._known(partial)
        wanted = self._known(wanted)
        if self.consistent([*codes, *wanted]):
            return None
        return self.explainer.explain(codes, wanted)

    def require_consistent(self, partial: Iterable[str]) -> None:
        codes = self._known(partial)
        if not self.consistent(codes):
            self._raise_inconsistent(codes)

    # --- completions --------------------------------------------------------------------------

    def completion(self, partial: Iterable[str] = (), how: How = "cheapest") -> Completion:
        """The cheapest (dearest) valid completion: weighted MaxSAT over the priced variables
        (exact for the list price model of :func:`~configurator.rules.compile.price_terms`);
        ties, and catalogs without prices, go to a model that prefers the defaults."""
        if how not in ("cheapest", "dearest"):
            raise ValueError(f"unknown completion '{how}': use 'cheapest' or 'dearest'")
        codes = self._known(partial)
        if not self.consistent(codes):
            self._raise_inconsistent(codes)
        return self._best_model(codes, [], how)

    def best_completion(
        self, partial: Iterable[str] = (), exclude: Iterable[str] = (), how: How = "cheapest"
    ) -> Completion | None:
        """Like :meth:`completion`, with the codes of ``exclude`` left out; None when no valid
        completion contains ``partial`` without them."""
        if how not in ("cheapest", "dearest"):
            raise ValueError(f"unknown completion '{how}': use 'cheapest' or 'dearest'")
        codes = self._known(partial)
        excluded = self._known(exclude)
        assumptions = [self._on, *(self._var[c] for c in codes), *(-self._var[c] for c in excluded)]
        self.calls += 1
        if not self._dom.solve(assumptions=assumptions):
            return None
        return self._best_model(codes, excluded, how)

    def _best_model(self, codes: list[str], excluded: list[str], how: How) -> Completion:
        weights = {name: w for name, w in self.problem.weights.items() if w and name in self._var}
        sign = 1 if how == "cheapest" else -1
        prefer = [self._var[c] if c in self.defaults else -self._var[c] for c in self.codes]
        if not weights:
            self._dom.set_phases(prefer)
            assumptions = [self._on, *(self._var[c] for c in codes)]
            assumptions.extend(-self._var[c] for c in excluded)
            self._dom.solve(assumptions=assumptions)
            model = set(self._dom.get_model() or ())
        else:
            model = self._optimum(codes, weights, sign, prefer, excluded)
        selected = frozenset(c for c in self.codes if self._var[c] in model)
        return Completion(selected, self.list_price(selected))

    def _optimum(
        self,
        codes: list[str],
        weights: dict[str, Decimal],
        sign: int,
        prefer: list[int],
        excluded: Iterable[str] = (),
    ) -> set[int]:
        """An optimal model by RC2 (ties: the solver's choice, not necessarily the defaults)."""
        from pysat.examples.rc2 import RC2
        from pysat.formula import WCNF

        places = max([2, *(-int(w.as_tuple().exponent) for w in weights.values())])
        scale = 10**places
        wcnf = WCNF()
        for clause in self._hard:
            wcnf.append(clause)
        for code in codes:
            wcnf.append([self._var[code]])
        for code in excluded:
            wcnf.append([-self._var[code]])
        for name, weight in weights.items():
            units = int(weight * scale) * sign
            var = self._var[name]
            if units > 0:
                wcnf.append([-var], weight=units)
            elif units < 0:
                wcnf.append([var], weight=-units)
        with RC2(wcnf) as rc2:
            best = rc2.compute()
            self.calls += 1
        return set(best or ())

    def price_ranges(
        self, partial: Iterable[str] = ()
    ) -> dict[str, tuple[Decimal, Decimal] | None]:
        """Cheapest and dearest completion containing each code: one MaxSAT pair per code the
        catalog prices (options without prices anywhere share the overall pair)."""
        codes = self._known(partial)
        flags = self.selectable(codes)
        result: dict[str, tuple[Decimal, Decimal] | None] = {}
        overall: tuple[Decimal, Decimal] | None = None
        for code in self.codes:
            if not flags[code]:
                result[code] = None
                continue
            if not any(self.problem.weights.values()):
                if overall is None:
                    total = self.completion(codes).total
                    overall = (total, total)
                result[code] = overall
                continue
            low = self.completion([*codes, code], "cheapest").total
            high = self.completion([*codes, code], "dearest").total
            result[code] = (low, high)
        return result


def _with_aux(problem: Problem) -> Problem:
    """The problem with each price auxiliary a variable defined by its expression."""
    if not problem.aux:
        return problem
    definitions = []
    for aux in problem.aux:
        var = Var(aux.name)
        iff = Or((And((var, aux.expr)), And((Not(var), Not(aux.expr)))))
        definitions.append(
            Constraint(id=f"aux:{aux.name}", kind="rule", message=aux.name, codes=(), expr=iff)
        )
    return replace(
        problem,
        options=(*problem.options, *(a.name for a in problem.aux)),
        constraints=(*problem.constraints, *definitions),
    )


def _binary(c: Constraint) -> list[tuple[str, str, bool]]:
    """The two-code implications a constraint states: (a, b, True) for "a implies b", (a, b,
    False) for "not both" (rules, brings, package contents), for repairs."""
    expr = c.expr
    if c.kind not in ("rule", "brings", "package") or not isinstance(expr, Or):
        return []
    if len(expr.operands) != 2 or not isinstance(expr.operands[0], Not):
        return []
    source = expr.operands[0].operand
    if not isinstance(source, Var):
        return []
    rhs = expr.operands[1]
    if isinstance(rhs, Var):
        return [(source.code, rhs.code, True)]
    if isinstance(rhs, Not) and isinstance(rhs.operand, Var):
        return [(source.code, rhs.operand.code, False)]
    if isinstance(rhs, And) and all(
        isinstance(o, Not) and isinstance(o.operand, Var) for o in rhs.operands
    ):
        return [(source.code, o.operand.code, False) for o in rhs.operands]  # type: ignore[union-attr]
    return []


def _any_of(c: Constraint) -> tuple[str, tuple[str, ...]] | None:
    """(a, (b1, b2, ...)) for a rule "a requires one of b1, b2, ...", for repairs."""
    expr = c.expr
    if c.kind != "rule" or not isinstance(expr, Or) or len(expr.operands) != 2:
        return None
    source, rhs = expr.operands
    if not isinstance(source, Not) or not isinstance(source.operand, Var):
        return None
    if isinstance(rhs, Or) and all(isinstance(o, Var) for o in rhs.operands):
        return source.operand.code, tuple(o.code for o in rhs.operands if isinstance(o, Var))
    return None
