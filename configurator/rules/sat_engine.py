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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np

from configurator.catalog.schema import Catalog
from configurator.rules.compile import Problem, encode_cnf, problem_of
from configurator.rules.constraints import Constraint, charge_cases
from configurator.rules.engine import Completion, How, RulesEngine
from configurator.rules.expr import And, Not, Or, Var, parse

MODELS_KEPT = 24  # models kept to witness values after the next choice
STEPS_KEPT = 32  # partial configurations whose implied literals are remembered


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
        self.compiled = None
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
        self._cnf = None
        self._solver = None
        self._root_domains = None
        # The domain solver: every constraint active, plus the price auxiliaries' definitions.
        extended = _with_aux(self.problem)
        cnf = encode_cnf(extended)
        self._var = cnf.var
        self._code_vars = np.array([cnf.var[c] for c in self.codes], dtype=np.int64)
        self._index = {code: i for i, code in enumerate(self.codes)}
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
        implied: set[int] = {self._on, *chosen}
        for earlier, domain in reversed(self._steps.items()):
            if earlier <= key:
                implied |= domain.implied
                break
        solver = self._dom
        ok, found = solver.propagate(assumptions=sorted(implied, key=abs))
        if not ok:
            return self._store(key, None)
        implied.update(found)
        count = len(self.codes)
        can1 = np.zeros(count, dtype=bool)
        can0 = np.zeros(count, dtype=bool)
        chosen_idx = [self._index[c] for c in codes]
        for row in self._models:
            if row[chosen_idx].all():
                can1 |= row
                can0 |= ~row
        position = {int(v): i for i, v in enumerate(self._code_vars)}
        fixed_true = np.zeros(count, dtype=bool)
        fixed_false = np.zeros(count, dtype=bool)

        def fix(literals: Iterable[int]) -> None:
            for lit in literals:
                i = position.get(abs(lit))
                if i is not None:
                    (fixed_true if lit > 0 else fixed_false)[i] = True

        fix(implied)
        first = True
        while True:
            need1 = ~can1 & ~fixed_false
            need0 = ~can0 & ~fixed_true
            if not first and not need1.any() and not need0.any():
                break
            assumptions = sorted(implied, key=abs)
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
            if solver.solve(assumptions=assumptions + ([target] if target else [])):
                row = self._remember(solver.get_model() or [])
                can1 |= row
                can0 |= ~row
            elif target is None:
                return self._store(key, None)
            else:
                implied.add(-target)
                ok, found = solver.propagate(assumptions=sorted(implied, key=abs))
                implied.update(found)
                fix([-target, *found])
            first = False
        can1 &= ~fixed_false
        can0 &= ~fixed_true
        return self._store(key, _Domain(can1, can0, frozenset(implied)))

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

    def explain(self, partial: Iterable[str], wanted: Any = ()) -> Any:
        codes = self._known(partial)
        wanted = self._known(wanted)
        if self.consistent([*codes, *wanted]):
            return None
        fast = self._cardinality_conflict(codes, wanted)
        if fast is not None:
            return fast
        from configurator.rules.engine import Fact

        facts = [Fact(code, self.names[code], "chosen") for code in codes if code not in wanted]
        return self._mus(facts, wanted, include_spend=True)

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
        weights = {
            name: w for name, w in self.problem.weights.items() if w and name in self._var
        }
        sign = 1 if how == "cheapest" else -1
        prefer = [self._var[c] if c in self.defaults else -self._var[c] for c in self.codes]
        if not weights:
            self._dom.set_phases(prefer)
            self._dom.solve(assumptions=[self._on, *(self._var[c] for c in codes)])
            model = set(self._dom.get_model() or ())
        else:
            model = self._optimum(codes, weights, sign, prefer)
        selected = frozenset(c for c in self.codes if self._var[c] in model)
        return Completion(selected, self.list_price(selected))

    def _optimum(
        self, codes: list[str], weights: dict[str, Decimal], sign: int, prefer: list[int]
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

    def price_ranges(self, partial: Iterable[str] = ()) -> dict[str, tuple[Decimal, Decimal] | None]:
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
