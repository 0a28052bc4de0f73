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
from configurator.rules.sat_witness import Witnesses

POOL_ROWS = 256  # valid configurations kept to witness values after the next choice
TRANSFER_ROWS = 64  # of those, repaired to agree with a new choice
STEPS_KEPT = 32  # partial configurations whose domains (and implied literals) are remembered
SWAP_ROWS = 64  # copies of a configuration repaired at once to witness codes
SWAP_WIDTH = (64, 8, 1)
SWAP_TRIES = len(SWAP_WIDTH)  # repairs tried per code and step before the solver decides
KEPT_BATCHES = 32  # batches of 64 valid copies carried to the next step (about 150 KB each)


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
        options = self._index_catalog(catalog)
        self.defaults = {code for g in catalog.groups for code in g.default}
        self._charges = charge_cases(catalog)
        self._discounts = [(d, parse(d.when)) for d in catalog.discounts]
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
        from pysat.solvers import Solver

        # Every clause guarded by one activation literal, assumed in every call: what the
        # constraints alone imply is then propagated above level 0, where the solver's
        # propagate() reports it (level-0 facts are not reported).
        self._on = cnf.top + 1
        guarded = [[*clause, -self._on] for clause in self._hard]
        self._dom = Solver(name="g4", bootstrap_with=guarded)
        weakref.finalize(self, self._dom.delete)
        self._top = self._on  # activation literals of one call each come after
        self._pool_rows = np.zeros((POOL_ROWS, len(self.codes)), dtype=bool)
        self._pool_next = 0
        self._pool_size = 0
        # Repairs see the constraints as implications, exclusions and "requires one of"
        # where they are exactly that, and options of groups taking at most one are swapped
        # in different copies.
        self._witness = Witnesses(self.problem.constraints, self.codes, _exact)
        self._group_id = np.arange(len(self.codes), dtype=np.int64) + len(catalog.groups)
        for number, g in enumerate(catalog.groups):
            if g.choose.max == 1:
                for o in g.options:
                    self._group_id[self._index[o.code]] = number
        self._steps: OrderedDict[frozenset[str], _Domain] = OrderedDict()
        self._kept: list[tuple[np.ndarray, np.ndarray]] = []  # valid copies, newest last
        self.calls = 0  # solver calls made, for the benchmark
        self.setup_seconds = time.perf_counter() - started

    # --- the domain computation -----------------------------------------------------------

    def _remember(self, model: list[int]) -> np.ndarray:
        # A model lists every variable in order: model[v - 1] is v or -v.
        row = np.asarray(model, dtype=np.int64)[self._code_vars - 1] > 0
        self._add_rows(row[None, :])
        return row

    def _add_rows(self, rows: np.ndarray) -> None:
        """Keep valid configurations (rows) in the pool, the oldest leaving first."""
        if not rows.shape[0]:
            return
        rows = rows[-POOL_ROWS:]
        count = rows.shape[0]
        slots = (self._pool_next + np.arange(count)) % POOL_ROWS
        self._pool_rows[slots] = rows
        self._pool_next = int(slots[-1] + 1) % POOL_ROWS
        self._pool_size = min(POOL_ROWS, self._pool_size + count)

    @property
    def _pool(self) -> np.ndarray:
        """The kept configurations, oldest first."""
        if self._pool_size < POOL_ROWS:
            return self._pool_rows[: self._pool_size]
        return np.roll(self._pool_rows, -self._pool_next, axis=0)

    def _domain(self, codes: list[str]) -> _Domain | None:
        """Valid domains of the codes under the choices ``codes``; None if inconsistent."""
        key = frozenset(codes)
        if key in self._steps:
            self._steps.move_to_end(key)
            return self._steps[key]
        chosen = [self._var[c] for c in codes]
        # Assumed: the activation literal, the choices, and the literals proved implied (by
        # an unsatisfiable call) under a subset of these choices; the solver re-derives the
        # rest by propagation.
        implied: set[int] = set(chosen)
        best: frozenset[str] | None = None
        for earlier in self._steps:
            if earlier <= key and (best is None or len(earlier) > len(best)):
                best = earlier
        if best is not None:
            implied |= self._steps[best].implied
        assumed = [self._on, *sorted(implied, key=abs)]
        solver = self._dom
        ok, found = solver.propagate(assumptions=assumed)
        if not ok:
            return self._store(key, None)
        count = len(self.codes)
        fixed_true = np.zeros(count, dtype=bool)
        fixed_false = np.zeros(count, dtype=bool)
        position = self._position

        def fix(literals: Iterable[int]) -> None:
            lits = np.fromiter(literals, dtype=np.int64)
            lits = lits[np.abs(lits) < position.size]
            index = position[np.abs(lits)]
            known = index >= 0
            fixed_true[index[known & (lits > 0)]] = True
            fixed_false[index[known & (lits < 0)]] = True

        fix(assumed)
        fix(found)
        # Solution caching: kept configurations that agree with every fixed value witness
        # directly; the others are repaired to agree (forced in and out, the rest by
        # propagation) and witness when that gives a valid configuration.
        pool = self._pool
        agree = ~(pool[:, fixed_false].any(axis=1) | ~pool[:, fixed_true].all(axis=1))
        can1: np.ndarray = np.asarray(pool[agree].any(axis=0))
        can0: np.ndarray = np.asarray((~pool[agree]).any(axis=0))
        others = pool[~agree][-TRANSFER_ROWS:]
        if others.shape[0]:
            rows = others.copy()
            on = np.broadcast_to(fixed_true, rows.shape).copy()
            off = np.broadcast_to(fixed_false, rows.shape).copy()
            rows, good = self._witness.repair(rows, on, off)
            if good.any():
                self._add_rows(rows[good])
                can1 |= rows[good].any(axis=0)
                can0 |= (~rows[good]).any(axis=0)
        if self._kept:
            has, lacks, self._kept = self._witness.transfer(self._kept, fixed_true, fixed_false)
            can1 |= has
            can0 |= lacks
        tries = np.zeros(count, dtype=np.int8)  # repair attempts per code, this step
        base: np.ndarray | None = None
        if agree.any():
            base = pool[np.flatnonzero(agree)[-1]]
        elif others.shape[0] and good.any():
            base = rows[np.flatnonzero(good)[-1]]
        while True:
            need1 = ~can1 & ~fixed_false
            need0 = ~can0 & ~fixed_true
            if base is not None and not need1.any() and not need0.any():
                break
            if base is not None and ((need1 | need0) & (tries < SWAP_TRIES)).any():
                # Repairs first, as long as some code has tries left; the solver after.
                self._swaps(base, need1, need0, fixed_true, fixed_false, tries, can1, can0)
                continue
            # One solver call for everything still without a witness: at least one of them
            # must flip (a clause on a fresh activation literal, retired after the call);
            # the phases ask for all of them at once. Unsatisfiable: every one is implied.
            wanted = np.concatenate([self._code_vars[need1], -self._code_vars[need0]])
            phases = np.where(can1 & ~can0, self._code_vars, -self._code_vars)
            phases[need1] = self._code_vars[need1]
            phases[need0] = -self._code_vars[need0]
            solver.set_phases(phases.tolist())
            self.calls += 1
            if base is None and not wanted.size:
                extra: list[int] = []
            else:
                self._top += 1
                act = self._top
                solver.add_clause([-act, *wanted.tolist()])
                extra = [act]
            sat = solver.solve(assumptions=assumed + extra)
            model = solver.get_model() if sat else None
            if extra:
                solver.add_clause([-extra[0]])
            if model is not None:
                row = self._remember(model)
                can1 |= row
                can0 |= ~row
                base = row
            elif not extra:
                return self._store(key, None)
            else:
                proved = (-wanted).tolist()
                if not codes:  # implied by the constraints alone: a fact from now on
                    for lit in proved:
                        solver.add_clause([-self._on, lit])
                else:
                    implied.update(proved)
                    assumed.extend(proved)
                fix(proved)
                ok, found = solver.propagate(assumptions=assumed)
                fix(found)
        can1 &= ~fixed_false
        can0 &= ~fixed_true
        return self._store(key, _Domain(can1, can0, frozenset(implied)))

    def _swaps(
        self,
        base: np.ndarray,
        need1: np.ndarray,
        need0: np.ndarray,
        fixed_true: np.ndarray,
        fixed_false: np.ndarray,
        tries: np.ndarray,
        can1: np.ndarray,
        can0: np.ndarray,
    ) -> None:
        """Witnesses by repair of the valid configuration ``base``: each code still without a
        witness forced in (or out) of a copy, options of one group in different copies,
        several groups per copy (fewer per copy on a second try)."""
        targets = np.flatnonzero((need1 | need0) & (tries < SWAP_TRIES))
        if not targets.size:
            return
        least = int(tries[targets].min())
        targets = targets[tries[targets] == least]
        per_row = SWAP_WIDTH[least]
        group = self._group_id[targets]
        order = np.lexsort((targets, group))
        targets, group = targets[order], group[order]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        rank = np.arange(targets.size) - np.repeat(starts, np.diff(np.r_[starts, targets.size]))
        order = np.lexsort((group, rank))
        targets, rank = targets[order], rank[order]
        starts = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]])
        within = np.arange(targets.size) - np.repeat(starts, np.diff(np.r_[starts, targets.size]))
        row_key = rank * (targets.size + 1) + within // per_row
        _, row_of = np.unique(row_key, return_inverse=True)
        keep = row_of < SWAP_ROWS
        targets, row_of = targets[keep], row_of[keep]
        tries[targets] += 1
        ins = need1[targets]
        has, lacks, found, batches = self._witness.swaps(
            base, fixed_true, fixed_false, targets, ins, row_of
        )
        can1 |= has
        can0 |= lacks
        self._add_rows(found)
        self._kept = [*self._kept, *batches][-KEPT_BATCHES:]

    def _store(self, key: frozenset[str], domain: _Domain | None) -> _Domain | None:
        if domain is not None:
            self._steps[key] = domain
            if len(self._steps) > STEPS_KEPT:
                self._steps.popitem(last=False)
        return domain

    # --- the API ----------------------------------------------------------------------------

    def _known(self, codes: Iterable[str]) -> list[str]:
        # The catalog's codes are all in the index: no set of 18,616 codes built per call.
        cleaned = [code.strip().upper() for code in codes]
        if all(code in self._index for code in cleaned):
            return list(dict.fromkeys(cleaned))
        return super()._known(cleaned)

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
            values = np.asarray(self._dom.get_model() or (), dtype=np.int64)
            chosen = values[self._code_vars - 1] > 0
            selected = frozenset(self.codes[i] for i in np.flatnonzero(chosen).tolist())
            return Completion(selected, self.list_price(selected))
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


def _exact(c: Constraint) -> tuple[list[tuple[str, str, bool]], tuple[str, ...] | None]:
    """What the repairs of :mod:`~configurator.rules.sat_witness` may read a constraint as."""
    needs = _any_of(c)
    return _binary(c), None if needs is None else (needs[0], *needs[1])


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
