"""Compile a catalog's constraints into a binary decision diagram, once, with a disk cache.

The solution space of a catalog (every valid complete selection) is compiled with CUDD (the
``dd.cudd`` bindings) into a reduced ordered BDD over one boolean variable per option code and
per package code, plus a few auxiliary variables that make prices additive (see
:func:`price_terms`). The BDD is then exported into a :class:`Diagram`: three integer arrays
(level, low child, high child) that the rules engine walks with numpy, and that are cached on
disk keyed by the constraints' content, so a second run loads them instead of compiling.

What is compiled is exactly :func:`configurator.rules.constraints.constraints` (cardinalities,
rules, tables, brings, packages, availability on the date) plus each programme's minimum spend
(:func:`configurator.rules.constraints.spend_constraints`, a pseudo-boolean threshold compiled
by dynamic programming over the prices).

Variable order matters: a good one gives a BDD of tens of thousands of nodes on the Renault
Megane benchmark, a bad one millions. Options of one group stay contiguous ("blocks"); blocks are
ordered by the FORCE heuristic (each block moves to the mean centre of the constraints it is
in), the constraints are conjoined from the bottom of the order up, and large diagrams are then
improved by CUDD's sifting with every block kept together.

The same constraints are also encoded as CNF (:func:`encode_cnf`), one selector literal per
constraint, for the SAT solver that extracts minimal explanations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import select
import signal
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from typing import Any, TypeVar

import numpy as np

from configurator import __version__
from configurator.catalog.schema import Catalog
from configurator.errors import CompileBudgetExceeded
from configurator.expr import And, Expr, Not, Var, fold, parse, to_text, variables
from configurator.rules.constraints import (
    Charge,
    Constraint,
    charge_cases,
    constraints,
    spend_constraints,
)

T = TypeVar("T")

FORMAT = 3  # bump when the cached form changes
SIFT_ABOVE = 2_000  # BDD nodes: smaller diagrams are not worth reordering
SIFT_SECONDS, SIFT_RATIO = 10.0, 3.0  # sifting may take 10 s + 3 times the building time
FORCE_ROUNDS = 100


@dataclass(frozen=True)
class CompileBudget:
    """How far compilation may go before it gives up with
    :class:`~configurator.errors.CompileBudgetExceeded`: live BDD nodes (a bound on memory:
    CUDD needs some 40 to 60 bytes a node with its tables) and seconds of processor time
    (the work itself: a machine shared with other jobs does not make a catalog fail).

    Nodes and time are checked after each constraint is built and after each conjunction.
    Sifting (an optional size optimisation) then runs in a child process on POSIX systems,
    with its own allowance (10 s plus three times the building time, at most ``seconds``), and
    is abandoned, keeping the unsifted diagram, when it runs out. The defaults allow
    about ten times what the Renault Megane benchmark needs; ``CONFIGURATOR_COMPILE_NODES``
    and ``CONFIGURATOR_COMPILE_SECONDS`` change them.
    """

    nodes: int = 3_000_000
    seconds: float = 30.0

    @classmethod
    def from_environment(cls) -> CompileBudget:
        """The defaults, or ``$CONFIGURATOR_COMPILE_NODES`` / ``$CONFIGURATOR_COMPILE_SECONDS``
        when they are positive numbers (anything else is ignored)."""
        budget = cls()
        nodes = _positive(os.environ.get("CONFIGURATOR_COMPILE_NODES"))
        seconds = _positive(os.environ.get("CONFIGURATOR_COMPILE_SECONDS"))
        return cls(
            int(nodes) if nodes is not None else budget.nodes,
            seconds if seconds is not None else budget.seconds,
        )


def _positive(text: str | None) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and 0 < value < float("inf") else None


class _Meter:
    """Checks a compilation against its budget: the time at every step, the live nodes
    every tenth of a second (counting them costs a few milliseconds on a large manager)."""

    NODE_CHECK_SECONDS = 0.1

    def __init__(self, catalog_id: str, budget: CompileBudget) -> None:
        self.catalog_id = catalog_id
        self.budget = budget
        self.started = time.process_time()
        self.nodes_checked = time.perf_counter()

    def elapsed(self) -> float:
        """Processor time spent so far: what the work costs, however busy the machine is."""
        return time.process_time() - self.started

    def check(self, nodes: Callable[[], int]) -> None:
        elapsed = self.elapsed()
        now = time.perf_counter()
        if now - self.nodes_checked >= self.NODE_CHECK_SECONDS:
            self.nodes_checked = now
            count = nodes()
            if count > self.budget.nodes:
                raise CompileBudgetExceeded(
                    self.catalog_id, "nodes", self.budget.nodes, count, elapsed
                )
        if elapsed > self.budget.seconds:
            raise CompileBudgetExceeded(
                self.catalog_id, "seconds", self.budget.seconds, elapsed, elapsed
            )


# --- the problem: what is compiled -----------------------------------------------------------


@dataclass(frozen=True)
class AuxVar:
    """An auxiliary variable defined as ``name <-> expr``: it makes a price term additive."""

    name: str
    expr: Expr


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything compiled for one catalog on one date, in the order variables are declared."""

    catalog_id: str
    on: dt.date | None
    options: tuple[str, ...]  # option codes, catalog order
    packages: tuple[str, ...]
    blocks: tuple[tuple[str, ...], ...]  # variables kept together: a group's options, or one
    constraints: tuple[Constraint, ...]  # constraints() then spend_constraints()
    aux: tuple[AuxVar, ...]
    weights: dict[str, Decimal]  # variable -> price added when it is true
    group_of: dict[str, str]  # option code -> group id
    exactly_one: frozenset[str]  # group ids choosing exactly one

    @property
    def variables(self) -> tuple[str, ...]:
        return (*self.options, *self.packages, *(a.name for a in self.aux))

    def digest(self) -> str:
        """A key for the compiled form: the constraints' content, not prices or names."""
        h = hashlib.sha256()

        def put(*parts: object) -> None:
            for part in parts:
                h.update(str(part).encode())
                h.update(b"\x1f")
            h.update(b"\x1e")

        put("format", FORMAT, __version__)
        put("blocks", *("|".join(b) for b in self.blocks))
        for c in self.constraints:
            put(c.id, c.kind, c.minimum, c.maximum, c.allowed, c.threshold, *c.codes)
            for cases in c.charges:
                put(*(f"{to_text(condition)}={amount}" for condition, amount in cases))
            if c.expr is not None:
                put(to_text(c.expr))
            if c.rows:
                h.update("\n".join(" ".join(row) for row in c.rows).encode())
        for aux in self.aux:
            put(aux.name, to_text(aux.expr))
        return h.hexdigest()


def price_terms(catalog: Catalog) -> tuple[list[AuxVar], dict[str, Decimal]]:
    """The catalog's list price as a sum of weights of (auxiliary) variables, for completions.

    A selection costs the base price, plus what each chosen option and package is charged
    (:func:`~configurator.rules.constraints.charge_cases`: 0 inside a chosen package, else the
    first price rule that applies, else the list price), minus the discounts whose condition
    holds. An option's list price goes on its own variable; each other case adds the
    difference it makes on an auxiliary variable ``x and case and not earlier cases``, except
    "inside package P" when P is the only package holding the option: P implies the option, so
    the difference goes on P. A fixed discount is one auxiliary variable; a percentage of some
    codes' charged prices one per code and case (the exact fraction: the pricing engine
    rounds the discount to the cent). A percentage of the whole car is not linear and is left
    out, as is the rule that discounts never take the total below zero (docs/rules-engine.md).
    """
    weights: dict[str, Decimal] = {}
    aux: list[AuxVar] = []
    holders: dict[str, list[str]] = {}
    for package in catalog.packages:
        for code in dict.fromkeys(package.includes):
            holders.setdefault(code, []).append(package.code)

    def add(name: str, amount: Decimal) -> None:
        weights[name] = weights.get(name, Decimal(0)) + amount

    def define(name: str, expr: Expr, amount: Decimal) -> None:
        aux.append(AuxVar(name, expr))
        add(name, amount)

    cases = charge_cases(catalog)
    for code, charge in cases.items():
        *special, (_, list_price) = charge
        add(code, list_price)
        for k, (_, amount) in enumerate(special):
            if amount == list_price:
                continue
            if k == 0 and len(holders.get(code, ())) == 1:
                add(holders[code][0], amount - list_price)
            else:
                define(
                    f"~charge:{code}:{k}",
                    And((Var(code), first_case(charge, k))),
                    amount - list_price,
                )
    for discount in catalog.discounts:
        when = parse(discount.when)
        if discount.amount is not None:
            if discount.amount:
                define(f"~discount:{discount.id}", when, -discount.amount)
        elif discount.of and discount.percent is not None:
            rate = discount.percent / 100
            for code in dict.fromkeys(discount.of):
                for k, (_, amount) in enumerate(cases.get(code, ())):
                    if amount:
                        name = f"~discount:{discount.id}:{code}:{k}"
                        case = And((when, Var(code), first_case(cases[code], k)))
                        define(name, case, -amount * rate)
    return aux, weights


def support(constraint: Constraint) -> list[str]:
    """Every code a constraint depends on (a spend's charges depend on packages and rules)."""
    names = list(constraint.codes)
    if constraint.expr is not None:
        names += [v.code for v in variables(constraint.expr)]
    for cases in constraint.charges:
        for condition, _ in cases:
            names += [v.code for v in variables(condition)]
    return list(dict.fromkeys(names))


def problem_of(catalog: Catalog, on: dt.date | None = None) -> Problem:
    """Gather what is compiled for a (checked) catalog on a date."""
    options = tuple(o.code for g in catalog.groups for o in g.options)
    packages = tuple(p.code for p in catalog.packages)
    aux, weights = price_terms(catalog)
    blocks = [tuple(o.code for o in g.options) for g in catalog.groups if g.options]
    blocks += [(code,) for code in packages]
    blocks += [(a.name,) for a in aux]
    return Problem(
        catalog_id=catalog.id,
        on=on,
        options=options,
        packages=packages,
        blocks=tuple(blocks),
        constraints=(*constraints(catalog, on), *spend_constraints(catalog)),
        aux=tuple(aux),
        weights=weights,
        group_of={o.code: g.id for g in catalog.groups for o in g.options},
        exactly_one=frozenset(
            g.id for g in catalog.groups if g.choose.min == 1 and g.choose.max == 1
        ),
    )


# --- the compiled form -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Diagram:
    """A reduced ordered BDD as arrays; node 0 is FALSE, node 1 is TRUE.

    Internal nodes are numbered by level, top first; those testing the variable at level ``l``
    are ``start[l]`` to ``start[l + 1] - 1``. ``names[l]`` is that variable. Terminals have
    level ``len(names)``. Every edge leads to a node of a greater level; the levels it skips
    are free (either value).
    """

    names: tuple[str, ...]
    level: np.ndarray
    low: np.ndarray
    high: np.ndarray
    root: int
    start: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        counts = np.bincount(self.level[2:], minlength=len(self.names) + 1)[: len(self.names)]
        start = np.zeros(len(self.names) + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        object.__setattr__(self, "start", start + 2)

    @property
    def size(self) -> int:
        """Internal nodes."""
        return len(self.level) - 2

    @property
    def nvars(self) -> int:
        return len(self.names)


@dataclass(frozen=True, eq=False)
class Compiled:
    """A catalog's compiled solution space: the problem, its diagram and how it was obtained."""

    problem: Problem
    diagram: Diagram
    key: str
    seconds: float  # wall time of compile_catalog, including a cache load
    cached: bool  # loaded from the disk cache
    sifted: bool = False  # reordered by sifting during compilation


def compile_catalog(
    catalog: Catalog, on: dt.date | None = None, budget: CompileBudget | None = None
) -> Compiled:
    """Compile a catalog's constraints on a date (availability) into a :class:`Compiled`.

    Raises :class:`~configurator.errors.CompileBudgetExceeded` when the diagram outgrows
    ``budget`` (default: :meth:`CompileBudget.from_environment`) in nodes or time.

    The result is cached (:mod:`configurator.cache`) keyed by the
    constraints' content, the set of options unavailable on the date and the package version.
    """
    started = time.perf_counter()
    problem = problem_of(catalog, on)
    key = problem.digest()
    diagram = _cache_get(key, problem)
    if diagram is not None:
        return Compiled(problem, diagram, key, time.perf_counter() - started, cached=True)
    diagram, sifted = compile_problem(problem, budget or CompileBudget.from_environment())
    _cache_put(key, diagram)
    return Compiled(problem, diagram, key, time.perf_counter() - started, False, sifted)


# --- ordering ----------------------------------------------------------------------------------


def block_scopes(problem: Problem) -> list[list[int]]:
    """The blocks each constraint (and each auxiliary definition) spans, when more than one."""
    block_of = {name: i for i, block in enumerate(problem.blocks) for name in block}
    scopes: list[list[int]] = []
    for c in problem.constraints:
        scope = sorted({block_of[code] for code in support(c) if code in block_of})
        if len(scope) > 1:
            scopes.append(scope)
    for aux in problem.aux:
        names = [aux.name, *(v.code for v in variables(aux.expr))]
        scope = sorted({block_of[n] for n in names if n in block_of})
        if len(scope) > 1:
            scopes.append(scope)
    return scopes


def block_order(problem: Problem) -> list[int]:
    """The FORCE heuristic: blocks move to the mean centre of the constraints they are in."""
    scopes = block_scopes(problem)
    count = len(problem.blocks)
    position = list(range(count))
    for _ in range(FORCE_ROUNDS):
        centre = [sum(position[b] for b in scope) / len(scope) for scope in scopes]
        total = [0.0] * count
        seen = [0] * count
        for k, scope in enumerate(scopes):
            for b in scope:
                total[b] += centre[k]
                seen[b] += 1
        target = [total[b] / seen[b] if seen[b] else float(position[b]) for b in range(count)]
        ranked = sorted(range(count), key=lambda b: (target[b], position[b]))
        moved = [0] * count
        for rank, b in enumerate(ranked):
            moved[b] = rank
        if moved == position:
            break
        position = moved
    return sorted(range(count), key=position.__getitem__)


# --- building the BDD ---------------------------------------------------------------------------


class _Builder:
    """Builds each constraint's BDD in one CUDD manager and conjoins them."""

    def __init__(self, problem: Problem, order: Sequence[str]) -> None:
        import dd.cudd as cudd

        self.problem = problem
        self.bdd = cudd.BDD()
        self.bdd.configure(reordering=False)
        self.order = list(order)
        self.level = {name: i for i, name in enumerate(self.order)}
        self.ids = [f"v{i}" for i in range(len(self.order))]
        self.bdd.declare(*self.ids)
        self.node = {name: self.bdd.var(self.ids[i]) for i, name in enumerate(self.order)}
        self.true: Any = self.bdd.true
        self.false: Any = self.bdd.false
        self.parts: list[tuple[int, Any]] = []

    def expression(self, expr: Expr) -> Any:
        return fold(
            expr,
            var=lambda code: self.node[code],
            const=lambda value: self.true if value else self.false,
            not_=lambda f: ~f,
            and_=lambda fs: reduce(lambda a, b: a & b, fs, self.true),
            or_=lambda fs: reduce(lambda a, b: a | b, fs, self.false),
        )

    def cardinality(self, codes: Sequence[str], low: int, high: int | None) -> Any:
        """Between ``low`` and ``high`` of ``codes`` true: a counter, from the last variable up."""
        ordered = sorted(dict.fromkeys(codes), key=self.level.__getitem__)
        cap = (high + 1) if high is not None else low
        after = [
            self.true if (k >= low and (high is None or k <= high)) else self.false
            for k in range(cap + 1)
        ]
        for code in reversed(ordered):
            x = self.node[code]
            after = [self.bdd.ite(x, after[min(k + 1, cap)], after[k]) for k in range(cap + 1)]
        return after[0]

    def table(self, c: Constraint) -> Any:
        rows = self._one_hot_rows(c)
        f = self._one_hot_table(rows) if rows is not None else self._cubes(c.rows)
        return f if c.allowed else ~f

    def _one_hot_rows(self, c: Constraint) -> list[tuple[str, ...]] | None:
        """The rows with codes in level order, when every group of the table chooses exactly
        one and each row names one option of each: then the table may be built as a decision
        chain per group, equal to the table wherever the groups' cardinalities hold (they are
        conjoined too, so the final diagram is the same), and much smaller."""
        groups = {self.problem.group_of.get(code) for code in c.codes}
        if None in groups or not groups <= self.problem.exactly_one:
            return None
        rows = []
        for row in c.rows:
            row_groups = [self.problem.group_of[code] for code in row]
            if len(set(row_groups)) != len(row_groups) or len(row_groups) != len(groups):
                return None
            rows.append(tuple(sorted(row, key=self.level.__getitem__)))
        return rows

    def _one_hot_table(self, rows: list[tuple[str, ...]]) -> Any:
        level = self.level
        keyed = sorted({tuple(level[code] for code in row) for row in rows})
        if not keyed:
            return self.false
        width = len(keyed[0])

        def build(lo: int, hi: int, depth: int) -> Any:
            if depth == width:
                return self.true
            runs: list[tuple[int, int, int]] = []
            start = lo
            for i in range(lo + 1, hi + 1):
                if i == hi or keyed[i][depth] != keyed[start][depth]:
                    runs.append((keyed[start][depth], start, i))
                    start = i
            f = self.false
            for var_level, a, b in reversed(runs):
                f = self.bdd.ite(self.node[self.order[var_level]], build(a, b, depth + 1), f)
            return f

        return build(0, len(keyed), 0)

    def _cubes(self, rows: Sequence[Sequence[str]]) -> Any:
        """Some row has all its codes true: an OR of cubes, built by the first code in order."""
        level = self.level
        keyed = sorted({tuple(sorted({level[code] for code in row})) for row in rows})

        def build(items: list[tuple[int, ...]]) -> Any:
            if not items:
                return self.false
            if items[0] == ():
                return self.true
            f = self.false
            runs: list[tuple[int, list[tuple[int, ...]]]] = []
            for item in items:
                if runs and runs[-1][0] == item[0]:
                    runs[-1][1].append(item[1:])
                else:
                    runs.append((item[0], [item[1:]]))
            for var_level, tails in reversed(runs):
                f = self.bdd.ite(self.node[self.order[var_level]], build(tails) | f, f)
            return f

        return build(keyed)

    def spend(self, c: Constraint) -> Any:
        """No programme option chosen, or their charges add up to the threshold."""

        def node(code: str, charge: Charge, skip: Any, take: list[Any]) -> Any:
            chosen = self.false
            for k, high in enumerate(take):
                chosen = chosen | (self.expression(first_case(charge, k)) & high)
            return self.bdd.ite(self.node[code], chosen, skip)

        def leaf(met: bool) -> Any:
            return self.true if met else self.false

        return fold_spend(c, self.level.__getitem__, leaf, node)

    def constraint(self, c: Constraint) -> Any:
        if c.kind == "cardinality":
            return self.cardinality(c.codes, c.minimum, c.maximum)
        if c.kind == "table":
            return self.table(c)
        if c.kind == "spend":
            return self.spend(c)
        assert c.expr is not None
        return self.expression(c.expr)

    def release(self) -> None:
        """Drop this builder's references to diagram nodes (after a failed conjunction)."""
        self.node.clear()
        self.parts.clear()
        self.true = self.false = None

    def live_nodes(self) -> int:
        """Live nodes in the manager (CUDD's count of keys less dead ones: no table walk)."""
        with warnings.catch_warnings():  # dd warns that a field we do not read changed unit
            warnings.simplefilter("ignore")
            return int(self.bdd.statistics(exact_node_count=False)["n_nodes"])

    def conjoin(self, meter: _Meter | None = None) -> Any:
        """Every constraint and auxiliary definition, conjoined from the bottom of the order up
        (far faster than top down: each step adds a constraint above what is built). The
        ``meter`` checks the budget after each step."""
        nodes = self.live_nodes
        parts: list[tuple[int, Any]] = self.parts
        for c in self.problem.constraints:
            top = min((self.level[code] for code in support(c)), default=0)
            parts.append((top, self.constraint(c)))
            if meter is not None:
                meter.check(nodes)
        for aux in self.problem.aux:
            names = [aux.name, *(v.code for v in variables(aux.expr))]
            top = min(self.level[n] for n in names)
            parts.append((top, self.node[aux.name].equiv(self.expression(aux.expr))))
        parts.sort(key=lambda p: -p[0])
        root = self.true
        for _, f in parts:
            root = root & f
            if meter is not None:
                meter.check(nodes)
        parts.clear()
        return root

    def sift(self, root: Any, blocks: Sequence[Sequence[str]]) -> None:
        """CUDD's sifting, each block of two or more variables moved as one."""
        for block in blocks:
            if len(block) > 1:
                first = min(block, key=self.level.__getitem__)
                self.bdd.group({self.ids[self.level[first]]: len(block)})
        # Let a move grow the diagram by 10% at most (CUDD's default, 20%, takes a quarter
        # longer on the Megane benchmark for the same result).
        self.bdd.configure(max_growth=1.1)
        self.bdd.reorder()

    def export(self, root: Any) -> Diagram:
        """The BDD as arrays (complement edges resolved: ``low``/``high`` are cofactors)."""
        bdd = self.bdd
        names_at = [self.order[int(bdd.var_at_level(lvl)[1:])] for lvl in range(len(self.order))]
        false_key, true_key = int(bdd.false), int(bdd.true)
        nodes: dict[int, tuple[int, int, int]] = {}
        stack = [root]
        while stack:
            u = stack.pop()
            key = int(u)
            if key in nodes or key in (false_key, true_key):
                continue
            low, high = u.low, u.high
            if u.negated:  # dd.cudd gives the children of the regular node
                low, high = ~low, ~high
            nodes[key] = (u.level, int(low), int(high))
            stack.append(low)
            stack.append(high)
        ordered = sorted(nodes, key=lambda k: nodes[k][0])
        index = {false_key: 0, true_key: 1}
        for i, key in enumerate(ordered):
            index[key] = i + 2
        count = len(ordered) + 2
        level = np.full(count, len(names_at), dtype=np.int32)
        low = np.zeros(count, dtype=np.int32)
        high = np.zeros(count, dtype=np.int32)
        for key in ordered:
            i = index[key]
            lvl, lo, hi = nodes[key]
            level[i], low[i], high[i] = lvl, index[lo], index[hi]
        return Diagram(tuple(names_at), level, low, high, index[int(root)])


def compile_problem(
    problem: Problem,
    budget: CompileBudget | None = None,
    ordering: Callable[[Problem], list[int]] | None = None,
) -> tuple[Diagram, bool]:
    """Build the BDD with CUDD and export it; return it and whether it was sifted.
    ``ordering`` replaces :func:`block_order` (the same order, computed differently).

    Raises :class:`~configurator.errors.CompileBudgetExceeded` past the budget."""
    budget = budget or CompileBudget()
    meter = _Meter(problem.catalog_id, budget)
    blocks = (ordering or block_order)(problem)
    order = [name for b in blocks for name in problem.blocks[b]]
    builder = _Builder(problem, order)
    try:
        root = builder.conjoin(meter)
    except CompileBudgetExceeded as error:
        # Free every diagram node before the manager: the traceback would otherwise keep
        # them alive until a later collection frees the manager first (CUDD then complains).
        builder.release()
        del builder
        raise error.with_traceback(None) from None
    if len(root) <= SIFT_ABOVE:
        return builder.export(root), False
    # Sifting is worth a few times what building took, and never more than the budget.
    allowed = min(budget.seconds, SIFT_SECONDS + SIFT_RATIO * meter.elapsed())
    sifted = _sift_within(builder, root, problem.blocks, allowed)
    if sifted is not None:
        return sifted, True
    return builder.export(root), False


def _sift_within(
    builder: _Builder,
    root: Any,
    blocks: Sequence[Sequence[str]],
    seconds: float,
) -> Diagram | None:
    """Sift and export in a forked child, given ``seconds`` of its processor time (on Linux;
    elsewhere of the clock); None when it did not finish in time (the child is killed) or
    could not run. CUDD's sifting is one C call that cannot be interrupted, and on a badly
    ordered diagram it can take minutes.

    Without fork (Windows), sifting runs in this process, unbounded."""
    if not hasattr(os, "fork"):  # pragma: no cover - POSIX everywhere we test
        builder.sift(root, blocks)
        return builder.export(root)
    if seconds <= 0:
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: sift, export, send, and leave without any clean-up
        try:
            os.close(read_end)
            builder.sift(root, blocks)
            diagram = builder.export(root)
            header = json.dumps({"names": diagram.names, "root": diagram.root}).encode()
            body = b"".join(
                np.ascontiguousarray(a, dtype="<i4").tobytes()
                for a in (diagram.level, diagram.low, diagram.high)
            )
            data = len(header).to_bytes(4, "big") + header + body
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
            os._exit(0)
        except BaseException:
            os._exit(1)
    os.close(write_end)
    chunks: list[bytes] = []
    started = time.monotonic()
    finished = False
    try:
        while True:
            used = _cpu_seconds(pid)
            if (used if used is not None else time.monotonic() - started) >= seconds:
                break
            if not select.select([read_end], [], [], 0.1)[0]:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if not finished or status != 0:
        return None
    data = b"".join(chunks)
    size = int.from_bytes(data[:4], "big")
    header = json.loads(data[4 : 4 + size])
    body = data[4 + size :]
    count = len(body) // 12
    arrays = [
        np.frombuffer(body, dtype="<i4", count=count, offset=k * count * 4).astype(np.int32)
        for k in range(3)
    ]
    return Diagram(tuple(header["names"]), arrays[0], arrays[1], arrays[2], int(header["root"]))


def _cpu_seconds(pid: int) -> float | None:
    """The processor time a child has used (Linux: ``/proc/<pid>/stat``), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# --- the disk cache ---------------------------------------------------------------------------


def _cache_get(key: str, problem: Problem) -> Diagram | None:
    """The cached diagram of ``key``: an authenticated entry (:mod:`configurator.cache`)
    whose arrays are then checked to be a well-formed diagram over the problem's variables
    (:func:`check_diagram`); None (so it is compiled again) for anything else."""
    from configurator import cache

    entry = cache.load("rules", key)
    if entry is None:
        return None
    try:
        header = entry.header
        names = tuple(str(name) for name in header["names"])
        count = int(header["count"])
        root = int(header["root"])
        width = count * 4
        if count < 2 or len(entry.body) != 3 * width:
            return None
        arrays = [
            np.frombuffer(entry.body, dtype="<i4", count=count, offset=k * width).astype(np.int32)
            for k in range(3)
        ]
        if set(names) != set(problem.variables) or len(names) != len(problem.variables):
            return None
        if check_diagram(names, arrays[0], arrays[1], arrays[2], root) is not None:
            return None
        return Diagram(names, arrays[0], arrays[1], arrays[2], root)
    except (KeyError, TypeError, ValueError):
        return None


def check_diagram(
    names: Sequence[str], level: np.ndarray, low: np.ndarray, high: np.ndarray, root: int
) -> str | None:
    """Why these arrays are not a reduced ordered BDD as :class:`Diagram` describes, or None.

    Checked in a few vectorised passes: equal lengths; the two terminals at the bottom level;
    internal nodes numbered by level, top first; every child a node of a greater level; no
    node with equal children; every node below the root reachable and distinct, and the
    root a node. A cached diagram that fails is compiled again, never used."""
    nvars = len(names)
    count = len(level)
    if len(low) != count or len(high) != count or count < 2:
        return "arrays of different lengths"
    if level[0] != nvars or level[1] != nvars:
        return "terminals not at the bottom level"
    if not 0 <= root < count:
        return "root out of range"
    inner = level[2:]
    if len(inner):
        if inner.min() < 0 or inner.max() >= nvars:
            return "a level out of range"
        if np.any(np.diff(inner) < 0):
            return "nodes not numbered by level"
        lo, hi = low[2:], high[2:]
        if lo.min() < 0 or hi.min() < 0 or lo.max() >= count or hi.max() >= count:
            return "a child out of range"
        if np.any(level[lo] <= inner) or np.any(level[hi] <= inner):
            return "an edge that does not go down"
        if np.any(lo == hi):
            return "a redundant node"
        pairs = np.stack([inner, lo, hi], axis=1)
        if len(np.unique(pairs, axis=0)) != len(pairs):
            return "two equal nodes"
        reached = bytearray(count)
        reached[root] = 1
        lows, highs = low.tolist(), high.tolist()
        for u in range(2, count):  # parents precede children: one pass in index order
            if reached[u]:
                reached[lows[u]] = reached[highs[u]] = 1
        if reached.count(1, 2) != count - 2:
            return "unreachable nodes"
    elif root not in (0, 1):
        return "root out of range"
    return None


def _cache_put(key: str, diagram: Diagram) -> None:
    """Store a diagram as plain data: its names and root in the header, then the level, low
    and high arrays as little-endian int32 (no pickle)."""
    from configurator import cache

    body = b"".join(
        np.ascontiguousarray(a, dtype="<i4").tobytes()
        for a in (
            diagram.level,
            diagram.low,
            diagram.high,
        )
    )
    extra = {
        "format": FORMAT,
        "names": list(diagram.names),
        "count": len(diagram.level),
        "root": int(diagram.root),
    }
    cache.save("rules", key, [], body, extra)


def first_case(conditions: Sequence[tuple[Expr, Decimal]], k: int) -> Expr:
    """The condition of case ``k`` of a charge, and of no earlier case."""
    return And((conditions[k][0], *(Not(e) for e, _ in conditions[:k])))


def fold_spend(
    c: Constraint,
    order: Callable[[str], int],
    leaf: Callable[[bool], T],
    node: Callable[[str, Charge, T, list[T]], T],
) -> T:
    """A minimum spend as a decision diagram, built bottom-up into a BDD or clauses.

    Dynamic programming over the programme's codes (sorted by ``order``) and the amount spent
    so far, capped at the threshold (equal states are one node): ``node(code, charge, skip,
    take)`` where ``skip`` follows when the code is not chosen and ``take[k]`` when it is and
    case ``k`` of its charge applies; ``leaf(met)`` after the last code.
    """
    items = sorted(zip(c.codes, c.charges, strict=True), key=lambda item: order(item[0]))
    memo: dict[tuple[int, Decimal, bool], T] = {}

    def build(i: int, spent: Decimal, active: bool) -> T:
        spent = min(spent, c.threshold)
        key = (i, spent, active)
        if key not in memo:
            if i == len(items):
                memo[key] = leaf(not active or spent >= c.threshold)
            else:
                code, charge = items[i]
                skip = build(i + 1, spent, active)
                take = [build(i + 1, spent + amount, True) for _, amount in charge]
                memo[key] = node(code, charge, skip, take)
        return memo[key]

    return build(0, Decimal(0), False)


# --- CNF for the SAT solver -----------------------------------------------------------------


@dataclass
class Cnf:
    """The constraints as clauses: ``var[code]`` is a code's variable; constraint ``i`` holds
    when ``selector[i]`` is assumed true (all its clauses carry ``-selector[i]``)."""

    var: dict[str, int]
    selector: list[int]
    clauses: list[list[int]]
    top: int


def encode_cnf(problem: Problem) -> Cnf:
    """Encode every constraint of the problem (not the price auxiliaries) as guarded clauses."""
    # Long on purpose: one clause encoding per constraint kind, side by side, mirrors the
    # kinds of rules/constraints.py one to one, which is how the two are checked against
    # each other.
    from pysat.card import CardEnc, EncType

    var: dict[str, int] = {}
    for code in (*problem.options, *problem.packages):
        var[code] = len(var) + 1
    top = len(var)
    clauses: list[list[int]] = []

    def fresh() -> int:
        nonlocal top
        top += 1
        return top

    true_lit = fresh()
    clauses.append([true_lit])

    def tseitin(expr: Expr) -> int:
        def and_(lits: list[int]) -> int:
            t = fresh()
            clauses.extend([-t, lit] for lit in lits)
            clauses.append([t, *(-lit for lit in lits)])
            return t

        def or_(lits: list[int]) -> int:
            t = fresh()
            clauses.extend([t, -lit] for lit in lits)
            clauses.append([-t, *lits])
            return t

        return fold(
            expr,
            var=lambda code: var[code],
            const=lambda value: true_lit if value else -true_lit,
            not_=lambda lit: -lit,
            and_=and_,
            or_=or_,
        )

    selectors: list[int] = []
    for c in problem.constraints:
        s = fresh()
        selectors.append(s)
        guarded: list[list[int]] = []
        if c.kind == "cardinality":
            lits = [var[code] for code in dict.fromkeys(c.codes)]
            if c.minimum > len(lits):
                guarded.append([])
            elif c.minimum == 1:
                guarded.append(lits)
            elif c.minimum > 1:
                enc = CardEnc.atleast(
                    lits, bound=c.minimum, top_id=top, encoding=EncType.seqcounter
                )
                top = max(top, enc.nv)
                guarded.extend(enc.clauses)
            if c.maximum is not None and c.maximum < len(lits):
                if c.maximum == 0:
                    guarded.extend([-lit] for lit in lits)
                elif c.maximum == 1 and len(lits) <= 8:
                    guarded.extend([-a, -b] for i, a in enumerate(lits) for b in lits[i + 1 :])
                else:
                    enc = CardEnc.atmost(
                        lits, bound=c.maximum, top_id=top, encoding=EncType.seqcounter
                    )
                    top = max(top, enc.nv)
                    guarded.extend(enc.clauses)
        elif c.kind == "table":
            if c.allowed:
                guarded.append([_table_cnf(c.rows, var, clauses, fresh, true_lit)])
            else:
                rows = {tuple(dict.fromkeys(row)) for row in c.rows}
                guarded.extend([-var[code] for code in row] for row in sorted(rows))
        elif c.kind == "spend":
            guarded.append([_spend_cnf(c, var, clauses, fresh, tseitin, true_lit)])
        else:
            assert c.expr is not None
            guarded.append([tseitin(c.expr)])
        clauses.extend([-s, *clause] for clause in guarded)
    return Cnf(var, selectors, clauses, top)


def _table_cnf(
    rows: Sequence[Sequence[str]],
    var: dict[str, int],
    clauses: list[list[int]],
    fresh: Callable[[], int],
    true_lit: int,
) -> int:
    """A literal implying that some row has all its codes chosen.

    The rows are shared as a decision graph: rows with the same first code share a node, and
    equal sets of row endings are one node, so a table of 48,721 rows needs a few thousand
    variables. A node holds when one of its edges does; an edge ``(code, next)`` implies the
    code is chosen and the next node holds.
    """
    ordered = sorted({tuple(row) for row in rows})
    nodes: dict[tuple[tuple[str, int], ...], int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if len(ordered[lo]) == depth:  # a row ends here: the rest is satisfied
            return true_lit
        edges: list[tuple[str, int]] = []
        start = lo
        for i in range(lo + 1, hi + 1):
            if i == hi or ordered[i][depth] != ordered[start][depth]:
                edges.append((ordered[start][depth], build(start, i, depth + 1)))
                start = i
        key = tuple(edges)
        if key not in nodes:
            node = fresh()
            alternatives = []
            for code, child in edges:
                if child == true_lit:
                    alternatives.append(var[code])
                    continue
                edge = fresh()
                clauses.append([-edge, var[code]])
                clauses.append([-edge, child])
                alternatives.append(edge)
            clauses.append([-node, *alternatives])
            nodes[key] = node
        return nodes[key]

    result = build(0, len(ordered), 0) if ordered else -true_lit
    # build() calls itself through its closure: a reference cycle that would keep the sorted
    # rows and the nodes (megabytes for a big table) alive until the garbage collector's
    # next full pass. Emptied, they go now.
    ordered.clear()
    nodes.clear()
    return result


def _spend_cnf(
    c: Constraint,
    var: dict[str, int],
    clauses: list[list[int]],
    fresh: Callable[[], int],
    tseitin: Callable[[Expr], int],
    true_lit: int,
) -> int:
    """A literal implying the minimum spend: :func:`fold_spend`'s diagram with a variable
    per node (``node and not x -> skip``; ``node and x and case k -> take[k]``)."""

    applies: dict[tuple[str, int], int] = {}  # (code, case) -> its Tseitin literal, once

    def node(code: str, charge: Charge, skip: int, take: list[int]) -> int:
        lit = fresh()
        clauses.append([-lit, var[code], skip])
        for k, high in enumerate(take):
            if (code, k) not in applies:
                applies[code, k] = tseitin(first_case(charge, k))
            clauses.append([-lit, -var[code], -applies[code, k], high])
        return lit

    def leaf(met: bool) -> int:
        return true_lit if met else -true_lit

    position = {code: i for i, code in enumerate(var)}
    return fold_spend(c, position.__getitem__, leaf, node)
