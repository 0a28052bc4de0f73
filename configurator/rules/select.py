"""Which technique answers for a catalog: the compiled BDD when it builds within a budget,
otherwise the SAT engine (same API).

The BDD answers every question in one pass and counts exactly, but its size depends on the
model: the Renault Megane problem compiles to 35,102 nodes in seconds, while industrial
feature models of tens of thousands of features may not compile at all. So compilation runs
under a budget: at most :data:`MAX_VARIABLES` variables (FORCE ordering alone is quadratic
beyond that), :data:`MAX_SECONDS` of conjunction and :data:`MAX_NODES` live nodes in CUDD,
checked after every conjunction. Over budget, the SAT engine takes over and the decision is
remembered in the cache (``rules-<key>.over-budget``) so the next run does not try again.
``CONFIGURATOR_ENGINE=bdd|sat`` forces one technique (``bdd`` ignores the budget).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from configurator.catalog.schema import Catalog
from configurator.configuration import Configuration, resolve
from configurator.rules import compile as compiling
from configurator.rules.compile import Compiled, Problem, problem_of
from configurator.rules.engine import CatalogStats, How, RulesEngine

MAX_VARIABLES = 6_000
MAX_SECONDS = 6.0
MAX_NODES = 3_000_000


class OverBudget(Exception):
    """The BDD did not build within the budget; ``reason`` says which limit was passed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Budget:
    variables: int = MAX_VARIABLES
    seconds: float = MAX_SECONDS
    nodes: int = MAX_NODES


class _BudgetBuilder(compiling._Builder):
    """The compiler's builder, checking time and CUDD's live nodes after each conjunction."""

    budget: Budget = Budget()
    started: float = 0.0
    counted: float = 0.0  # elapsed seconds at the last node count

    def conjoin(self) -> Any:
        from configurator.expr import variables
        from configurator.rules.compile import support

        parts: list[tuple[int, Any]] = []
        for c in self.problem.constraints:
            top = min((self.level[code] for code in support(c)), default=0)
            parts.append((top, self.constraint(c)))
            self._check()
        for aux in self.problem.aux:
            names = [aux.name, *(v.code for v in variables(aux.expr))]
            top = min(self.level[n] for n in names)
            parts.append((top, self.node[aux.name].equiv(self.expression(aux.expr))))
        parts.sort(key=lambda p: -p[0])
        root = self.true
        for _, f in parts:
            root = root & f
            self._check()
        return root

    def _check(self) -> None:
        elapsed = time.perf_counter() - self.started
        if elapsed > self.budget.seconds:
            raise OverBudget(f"the BDD took more than {self.budget.seconds:g} s to build")
        if elapsed - self.counted < 0.5:  # counting CUDD's nodes costs milliseconds
            return
        self.counted = elapsed
        nodes = len(self.bdd)
        if nodes > self.budget.nodes:
            raise OverBudget(f"the BDD passed {self.budget.nodes:,} nodes after {elapsed:.1f} s")


def block_order(problem: Problem) -> list[int]:
    """:func:`configurator.rules.compile.block_order` (FORCE) with numpy: the same rounds, in
    array operations (the Python loops take seconds on thousands of blocks)."""
    import numpy as np

    from configurator.expr import variables
    from configurator.rules.compile import FORCE_ROUNDS, support

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
    count = len(problem.blocks)
    position = np.arange(count, dtype=np.int64)
    if not scopes:
        return position.tolist()
    member = np.fromiter((b for scope in scopes for b in scope), dtype=np.int64)
    owner = np.repeat(np.arange(len(scopes)), [len(scope) for scope in scopes])
    sizes = np.bincount(owner).astype(float)
    seen = np.bincount(member, minlength=count)
    for _ in range(FORCE_ROUNDS):
        centre = np.bincount(owner, weights=position[member]) / sizes
        total = np.bincount(member, weights=centre[owner], minlength=count)
        target = np.where(seen > 0, total / np.maximum(seen, 1), position.astype(float))
        ranked = np.lexsort((position, target))
        moved = np.empty(count, dtype=np.int64)
        moved[ranked] = np.arange(count)
        if np.array_equal(moved, position):
            break
        position = moved
    return np.argsort(position, kind="stable").tolist()


def compile_within(problem: Problem, budget: Budget) -> tuple[compiling.Diagram, bool]:
    """:func:`configurator.rules.compile.compile_problem` under a budget (raises
    :class:`OverBudget`)."""
    count = len(problem.variables)
    if count > budget.variables:
        raise OverBudget(f"{count:,} variables, over the BDD budget of {budget.variables:,}")
    started = time.perf_counter()
    blocks = block_order(problem)
    order = [name for b in blocks for name in problem.blocks[b]]
    builder = _BudgetBuilder(problem, order)
    builder.budget = budget
    builder.started = started
    root = builder.conjoin()
    sifted = len(root) > compiling.SIFT_ABOVE
    if sifted:
        builder.sift(root, problem.blocks)
    return builder.export(root), sifted


def _marker(key: str) -> Path | None:
    from configurator.catalog.loader import cache_dir

    directory = cache_dir()
    return None if directory is None else directory / f"rules-{key[:40]}.over-budget"


def build_engine(
    catalog: Catalog, on: dt.date | None = None, budget: Budget | None = None
) -> RulesEngine:
    """The engine for a catalog: a :class:`RulesEngine` on its BDD when that builds within
    ``budget`` (or is cached), else a :class:`~configurator.rules.sat_engine.SatEngine`.
    The engine's ``technique`` ("bdd" or "sat") and ``reason`` say which and why."""
    from configurator.rules.sat_engine import SatEngine

    budget = budget or Budget()
    forced = os.environ.get("CONFIGURATOR_ENGINE", "").strip().lower()
    started = time.perf_counter()
    problem = problem_of(catalog, on)
    if forced == "sat":
        return SatEngine(catalog, on, problem, reason="CONFIGURATOR_ENGINE=sat")
    key = problem.digest()
    diagram = compiling._cache_get(key, problem)
    if diagram is not None:
        compiled = Compiled(problem, diagram, key, time.perf_counter() - started, cached=True)
        return RulesEngine(catalog, on, compiled)
    marker = _marker(key)
    if forced != "bdd" and marker is not None and marker.is_file():
        reason = marker.read_text("utf-8").strip() or "over the BDD budget"
        return SatEngine(catalog, on, problem, reason=reason + " (remembered)")
    try:
        if forced == "bdd":
            diagram, sifted = compiling.compile_problem(problem)
        else:
            diagram, sifted = compile_within(problem, budget)
    except OverBudget as over:
        if marker is not None:
            try:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(over.reason + "\n", "utf-8")
            except OSError:
                pass
        return SatEngine(catalog, on, problem, reason=over.reason)
    compiling._cache_put(key, diagram)
    compiled = Compiled(problem, diagram, key, time.perf_counter() - started, False, sifted)
    return RulesEngine(catalog, on, compiled)


# --- a small per-process memo -------------------------------------------------------------

_ENGINES: dict[tuple[int, dt.date | None], tuple[Catalog, RulesEngine]] = {}


def engine_for(catalog: Catalog, on: dt.date | None = None) -> RulesEngine:
    """The engine of a catalog on a date, compiled (or loaded from the cache) once per process."""
    key = (id(catalog), on)
    hit = _ENGINES.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    engine = build_engine(catalog, on)
    if len(_ENGINES) >= 8:
        _ENGINES.pop(next(iter(_ENGINES)))
    _ENGINES[key] = (catalog, engine)
    return engine


def catalog_stats(catalog: Catalog, on: dt.date | None = None) -> CatalogStats:
    """Count (None when unknown), dead and forced options, cheapest and dearest valid
    configurations, and which technique answered."""
    started = time.perf_counter()
    engine = build_engine(catalog, on)
    built = time.perf_counter() - started
    started = time.perf_counter()
    dead = tuple(engine.dead_options())
    forced = tuple(engine.forced_options())
    seconds = time.perf_counter() - started
    count = engine.count()
    valid = bool(count) if count is not None else engine.consistent([])
    cheapest = engine.completion([], "cheapest") if valid else None
    dearest = engine.completion([], "dearest") if valid else None
    compiled = engine.compiled
    return CatalogStats(
        model=catalog.id,
        on=on,
        configurations=count,
        dead_options=dead,
        forced_options=forced,
        cheapest=cheapest,
        dearest=dearest,
        compile_seconds=compiled.seconds if compiled is not None else built,
        cached=compiled.cached if compiled is not None else False,
        nodes=engine.diagram.size if compiled is not None else 0,
        variables=engine.nvars if compiled is not None else len(engine.codes),
        technique=engine.technique,
        reason=engine.reason,
        seconds=seconds,
    )


def complete_configuration(
    catalog: Catalog, configuration: Configuration, how: How, on: dt.date | None = None
) -> Configuration:
    """The configuration with every group the buyer left alone filled from the cheapest (or
    dearest) valid completion of their choices instead of the defaults.

    The added codes are those the completion needs beyond what the choices and the codes
    added before them bring along (packages' contents, options' ``brings``), in catalog order.
    A group the completion leaves empty although it has defaults gets its defaults (a
    configuration cannot say "none"): completions prefer the defaults when prices tie, so
    this only happens when a default is priced or ruled out. Raises a
    :class:`ConfigurationError` with a minimal explanation when the choices cannot be
    completed.
    """
    engine = engine_for(catalog, on)
    chosen = engine._known(configuration.choices)
    completion = engine.complete(chosen, how)
    extra: list[str] = []
    while True:
        trial = Configuration(configuration.model, (*chosen, *extra), configuration.values)
        selected = resolve(catalog, trial).codes
        missing = [c for c in engine.codes if c in completion and c not in selected]
        if not missing:
            return trial
        extra.append(missing[0])
