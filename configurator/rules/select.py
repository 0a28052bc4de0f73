"""Which technique answers for a catalog: the compiled BDD when it builds within a budget,
otherwise the SAT engine (same API).

The BDD answers every question in one pass and counts exactly, but its size depends on the
model: the Renault Megane problem compiles to 35,102 nodes in seconds, while industrial
feature models of tens of thousands of features may not compile at all. So compilation runs
under a budget: at most :data:`MAX_VARIABLES` variables (FORCE ordering alone is quadratic
beyond that), then :data:`MAX_SECONDS` of processor time and :data:`MAX_NODES` live nodes in
CUDD (the compiler's own ``CompileBudget``, lowered by its environment variables). Over
budget, the SAT engine takes over and the decision is remembered in the authenticated cache
(:mod:`configurator.cache`, kind ``over-budget``, keyed by the problem's digest, with the
budget it was over) so the next run with the same or a smaller budget does not try again.
``CONFIGURATOR_ENGINE=bdd|sat`` forces one technique (``bdd``: only the compiler's budget, whose
excess is a ``CompileBudgetExceeded`` error).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from configurator.catalog.memo import PerCatalog
from configurator.catalog.schema import Catalog
from configurator.configuration import Configuration, resolve
from configurator.errors import CompileBudgetExceeded, ConfigurationError
from configurator.rules import compile as compiling
from configurator.rules.compile import CompileBudget, Compiled, Problem, problem_of
from configurator.rules.engine import CatalogStats, Completion, How, RulesEngine

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
    """The BDD attempt's limits: variables (checked before compiling), then the compiler's
    own :class:`~configurator.rules.compile.CompileBudget` of nodes and processor seconds."""

    variables: int = MAX_VARIABLES
    seconds: float = MAX_SECONDS
    nodes: int = MAX_NODES

    @classmethod
    def from_environment(cls) -> Budget:
        """The defaults, lowered (never raised) by ``CONFIGURATOR_COMPILE_NODES`` and
        ``CONFIGURATOR_COMPILE_SECONDS``: a fallback to SAT comes no later than an error
        would."""
        limits = CompileBudget.from_environment()
        return cls(MAX_VARIABLES, min(MAX_SECONDS, limits.seconds), min(MAX_NODES, limits.nodes))


def block_order(problem: Problem) -> list[int]:
    """:func:`configurator.rules.compile.block_order` (FORCE) with numpy: the same rounds, in
    array operations (the Python loops take seconds on thousands of blocks)."""
    import numpy as np

    from configurator.rules.compile import FORCE_ROUNDS, block_scopes

    scopes = block_scopes(problem)
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
    limits = CompileBudget(nodes=budget.nodes, seconds=budget.seconds)
    try:
        return compiling.compile_problem(problem, limits, ordering=block_order)
    except CompileBudgetExceeded as over:
        if over.limit == "nodes":
            reason = f"the BDD passed {int(over.budget):,} nodes after {over.seconds:.1f} s"
        else:
            reason = f"the BDD took more than {over.budget:g} s of processor time to build"
        raise OverBudget(reason) from None


OVER_BUDGET = "over-budget"  # cache kind of the remembered decisions


def remembered_over_budget(key: str, budget: Budget) -> str | None:
    """Why the problem of ``key`` did not compile, when an authentic cache entry says so for
    a budget at least as large as ``budget``; else None (try to compile)."""
    from configurator import cache

    entry = cache.load(OVER_BUDGET, key)
    if entry is None:
        return None
    try:
        limits = entry.header["budget"]
        larger = (
            int(limits["variables"]) >= budget.variables
            and float(limits["seconds"]) >= budget.seconds
            and int(limits["nodes"]) >= budget.nodes
        )
        reason = str(entry.header["reason"])
    except (KeyError, TypeError, ValueError):
        return None
    return reason if larger else None


def remember_over_budget(key: str, budget: Budget, reason: str) -> None:
    """Remember that the problem of ``key`` did not compile within ``budget``."""
    from configurator import cache

    limits = {"variables": budget.variables, "seconds": budget.seconds, "nodes": budget.nodes}
    cache.save(OVER_BUDGET, key, [], b"", {"budget": limits, "reason": reason})


def build_engine(
    catalog: Catalog, on: dt.date | None = None, budget: Budget | None = None
) -> RulesEngine:
    """The engine for a catalog: a :class:`RulesEngine` on its BDD when that builds within
    ``budget`` (or is cached), else a :class:`~configurator.rules.sat_engine.SatEngine`.
    The engine's ``technique`` ("bdd" or "sat") and ``reason`` say which and why."""
    from configurator.rules.sat_engine import SatEngine

    budget = budget or Budget.from_environment()
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
    remembered = remembered_over_budget(key, budget) if forced != "bdd" else None
    if remembered is not None:
        return SatEngine(catalog, on, problem, reason=remembered + " (remembered)")
    try:
        if forced == "bdd":
            diagram, sifted = compiling.compile_problem(problem, CompileBudget.from_environment())
        else:
            diagram, sifted = compile_within(problem, budget)
    except OverBudget as over:
        remember_over_budget(key, budget, over.reason)
        return SatEngine(catalog, on, problem, reason=over.reason)
    compiling._cache_put(key, diagram)
    compiled = Compiled(problem, diagram, key, time.perf_counter() - started, False, sifted)
    return RulesEngine(catalog, on, compiled)


# --- a small per-process memo -------------------------------------------------------------

_ENGINES: PerCatalog[RulesEngine] = PerCatalog(lambda catalog, on: build_engine(catalog, on))


def engine_for(catalog: Catalog, on: dt.date | None = None) -> RulesEngine:
    """The engine of a catalog on a date, compiled (or loaded from the cache) once per process."""
    return _ENGINES.get(catalog, on)


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
    this only happens when a default is priced or ruled out. Options that need a value from
    the buyer are never added unless the value is given: when only such options can complete
    the choices, a :class:`BadValueError` names them and says how to pass ``--value``.
    Raises a :class:`ConfigurationError` with a minimal explanation when the choices cannot
    be completed at all.
    """
    engine = engine_for(catalog, on)
    chosen = engine._known(configuration.choices)
    values = {code.strip().upper() for code in configuration.values}
    asking = [
        code
        for code in engine.codes
        if engine.value_spec(code) is not None and code not in values and code not in chosen
    ]
    found = engine.best_completion(chosen, asking, how)
    if found is None:
        completion = engine.complete(chosen, how)  # raises when nothing completes the choices
        needed = [code for code in engine.codes if code in completion and code in asking]
        raise _values_needed(engine, needed, how)
    completion = keeping_defaults(engine, chosen, asking, how, found).codes
    brings = {code: set(option.brings) for code, (_, option) in catalog.option_index().items()}
    brings.update({code: set(p.includes) for code, p in catalog.package_index().items()})
    extra: list[str] = []
    while True:
        trial = Configuration(configuration.model, (*chosen, *extra), configuration.values)
        selected = resolve(catalog, trial).codes
        missing = [c for c in engine.codes if c in completion and c not in selected]
        if not missing:
            return trial
        # Every missing code that no other missing code brings, at once (one at a time
        # resolves the catalog once per code: thousands of times on a feature model).
        brought = {b for c in missing for b in brings.get(c, ())}
        extra.extend([c for c in missing if c not in brought] or missing[:1])


def keeping_defaults(
    engine: RulesEngine,
    partial: Sequence[str],
    exclude: Sequence[str],
    how: How,
    found: Completion,
) -> Completion:
    """``found`` (a completion of ``partial`` without ``exclude``), or one that keeps the
    defaults its choices would get back anyway.

    A group the completion leaves empty gets its defaults back when resolved (a group under
    an option only while that option is in): when those do not fit, a completion that keeps
    them is asked for instead, as long as one exists."""
    required: set[str] = set()
    for _ in range(len(engine.catalog.groups)):
        codes = found.codes
        empty = [
            g
            for g in engine.catalog.groups
            if g.default
            and (g.under is None or g.under in codes)
            and not any(o.code in codes for o in g.options)
        ]
        wanted = {code for g in empty for code in g.default} - required
        if not wanted:
            break
        kept = engine.best_completion([*partial, *required, *wanted], exclude, how)
        if kept is None:
            break
        required |= wanted
        found = kept
    return found


def _values_needed(engine: RulesEngine, codes: Sequence[str], how: How) -> ConfigurationError:
    from configurator.errors import BadValueError

    examples = []
    for code in codes:
        spec = engine.value_spec(code)
        example = spec.examples[0] if spec is not None and spec.examples else "..."
        examples.append(f"--value {code}='{example}'")
    names = ", ".join(f"{code} ({engine.names[code]})" for code in codes)
    return BadValueError(
        f"--complete {how} can only complete these choices with options that need a value "
        f"from the buyer: {names}",
        suggestion="choose them and give their values, e.g. " + " ".join([*codes, *examples]),
        option_codes=list(codes),
    )
