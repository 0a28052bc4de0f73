"""The rules engine: questions about a catalog's solution space, answered on its compiled form.

- :meth:`RulesEngine.valid_domains`: which options can still be chosen after some choices,
  exact in both directions, in one pass over the BDD (numpy, level by level);
- :meth:`RulesEngine.count`: the exact number of valid complete selections (Python int);
- :meth:`RulesEngine.sample`: valid complete selections drawn uniformly at random (paths of
  the BDD weighted by their counts);
- :meth:`RulesEngine.complete`: the cheapest or dearest valid completion (a shortest path);
- :meth:`RulesEngine.price_ranges`: the cheapest and dearest car including each option;
- :meth:`RulesEngine.check`: valid, or a minimal explanation (a minimal unsatisfiable subset of
  the facts and constraints, extracted with a SAT solver, PySAT);
- :meth:`RulesEngine.alternatives`: the smallest changes to the buyer's choices that make an
  option selectable (minimal correction sets), cheapest first;
- :meth:`RulesEngine.dead_options` and :meth:`RulesEngine.forced_options`.

A *partial* is the set of codes the buyer chose so far; everything else is open. A selection
is valid when every constraint of :func:`configurator.rules.constraints.constraints` holds and
every programme's minimum spend is met (a condition for a configuration to be complete).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from configurator.catalog.schema import BuyerValue, Catalog, Group, Option
from configurator.configuration import Configuration, check_known, resolve
from configurator.expr import evaluate, parse
from configurator.money import round_cents
from configurator.rules.compile import Cnf, Compiled, compile_catalog
from configurator.rules.constraints import (
    charge_cases,
    charged,
)
from configurator.rules.explain import (  # the results, defined with the explainer
    CheckResult,
    Explainer,
    Explanation,
    Fact,
    RuleRef,
    Source,
    spend_progress,
)

if TYPE_CHECKING:
    from configurator.rules.validity import StructuralChecks

__all__ = ["CheckResult", "Explanation", "Fact", "RuleRef", "Source", "spend_progress"]

How = Literal["cheapest", "dearest"]

# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionState:
    """Whether an option can still be chosen, and if not, why."""

    code: str
    name: str
    price: Decimal
    chosen: bool
    available: bool
    explanation: Explanation | None = None

    @property
    def reason(self) -> str | None:
        """Why the option is not available, in one line (None when it is)."""
        return self.explanation.summary(brief=True) if self.explanation is not None else None


@dataclass(frozen=True)
class GroupState:
    """A group (or the catalog's packages) with the state of each of its options."""

    group: str
    name: str
    choose: str
    options: tuple[OptionState, ...]


@dataclass(frozen=True)
class Completion:
    """A valid complete selection and its list price (base price + options, no taxes)."""

    codes: frozenset[str]
    total: Decimal


@dataclass(frozen=True)
class Alternative:
    """One way to make an option selectable: drop ``removes`` from the buyer's choices; then
    ``adds`` come in necessarily. ``price_delta`` compares the cheapest completions after and
    before the change."""

    option: str
    removes: tuple[str, ...]
    adds: tuple[str, ...]
    price_delta: Decimal
    total: Decimal
    choices: tuple[str, ...] = field(default=())  # the buyer's choices after the change


# --- the engine --------------------------------------------------------------------------------


class RulesEngine:
    """Answers about one catalog on one date (availability), from its compiled form."""

    technique = "bdd"  # or "sat": configurator.rules.sat_engine.SatEngine, same API
    reason = ""  # why this technique (configurator.rules.select)

    def __init__(
        self, catalog: Catalog, on: dt.date | None = None, compiled: Compiled | None = None
    ) -> None:
        self.catalog = catalog
        self.on = on
        self.compiled = compiled if compiled is not None else compile_catalog(catalog, on)
        problem = self.compiled.problem
        diagram = self.compiled.diagram
        self.problem = problem
        self.diagram = diagram
        self.nvars = diagram.nvars
        self.levels = {name: i for i, name in enumerate(diagram.names)}
        self.codes = (*problem.options, *problem.packages)
        self._code_levels = np.array([self.levels[c] for c in self.codes], dtype=np.int64)
        self._aux_at = {self.levels[a.name]: a for a in problem.aux}
        options = self._index_catalog(catalog)
        self._order = {code: index for index, code in enumerate(self.codes)}
        self._values = {code: o.value for code, (_, o) in options.items() if o.value is not None}
        self.defaults = {code for g in catalog.groups for code in g.default}
        # Prices as integers: the weights (some are fractions of a cent: percentage discounts)
        # times a power of ten that makes every one of them whole.
        weights = [problem.weights.get(name, Decimal(0)) for name in diagram.names]
        places = max([2, *(-int(w.as_tuple().exponent) for w in weights if w)])
        self._scale = 10**places
        self._units = [int(w * self._scale) for w in weights]
        self._charges = charge_cases(catalog)
        self._discounts = [(d, parse(d.when)) for d in catalog.discounts]
        # Python lists for the loops that need exact integers.
        self._level = diagram.level.tolist()
        self._low = diagram.low.tolist()
        self._high = diagram.high.tolist()
        self._start = diagram.start.tolist()
        self._low_at = [
            diagram.low[a:b] for a, b in zip(self._start, self._start[1:], strict=False)
        ]
        self._high_at = [
            diagram.high[a:b] for a, b in zip(self._start, self._start[1:], strict=False)
        ]
        # Edges, level by level: first the low edges of a level's nodes, then the high ones.
        inner = np.arange(2, len(self._level))
        parts = []
        for a, b in zip(self._start, self._start[1:], strict=False):
            parts.append((inner[a - 2 : b - 2], diagram.low[a:b], 0))
            parts.append((inner[a - 2 : b - 2], diagram.high[a:b], 1))
        self._edge_parent = np.concatenate([inner[:0], *(p for p, _, _ in parts)])
        self._edge_child = np.concatenate([diagram.low[:0], *(c for _, c, _ in parts)])
        self._edge_bit = np.concatenate(
            [np.zeros(0, dtype=np.int8), *(np.full(len(p), b, dtype=np.int8) for p, _, b in parts)]
        )
        self._edge_level = diagram.level[self._edge_parent]
        self._edge_start = [2 * (a - 2) for a in self._start]
        self._explainer: Explainer | None = None
        self._root_domains: tuple[np.ndarray, np.ndarray] | None = None
        self._high_odds: np.ndarray | None = None

    # --- assignments and the two passes -----------------------------------------------------

    def _index_catalog(self, catalog: Catalog) -> dict[str, tuple[Group, Option]]:
        """Names, prices, groups and package codes by code (any engine); the option index."""
        options = catalog.option_index()
        packages = catalog.package_index()
        self.names = {code: option.name for code, (_, option) in options.items()}
        self.names.update({code: p.name for code, p in packages.items()})
        self.prices = {code: option.price for code, (_, option) in options.items()}
        self.prices.update({code: p.price for code, p in packages.items()})
        self.group_of = {code: group for code, (group, _) in options.items()}
        self.package_codes = frozenset(packages)
        return options

    def _known(self, codes: Iterable[str]) -> list[str]:
        codes = [code.strip().upper() for code in codes]
        check_known(self.catalog, codes)
        return list(dict.fromkeys(codes))

    def known(self, codes: Iterable[str]) -> list[str]:
        """The codes upper-cased, without repeats; an UnknownOptionError for one not in the
        catalog."""
        return self._known(codes)

    def ordered(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The codes without repeats, in catalog order (options by group, then packages)."""
        return tuple(sorted(dict.fromkeys(codes), key=self._order.__getitem__))

    def partial_for(self, choices: Iterable[str], code: str) -> tuple[str, ...]:
        """The choices ``code`` is judged against: without its group's others when the group
        takes one option at most (choosing it replaces them)."""
        group = self.group_of.get(code)
        if group is None or group.choose.max != 1:
            return tuple(choices)
        return tuple(c for c in choices if c == code or self.group_of.get(c) is not group)

    def value_spec(self, code: str) -> BuyerValue | None:
        """What the buyer supplies for an option (None for options that take no value)."""
        return self._values.get(code)

    def _assign(self, true: Iterable[str] = (), false: Iterable[str] = ()) -> np.ndarray:
        assign = np.full(self.nvars, -1, dtype=np.int8)
        for code in false:
            assign[self.levels[code]] = 0
        for code in true:
            assign[self.levels[code]] = 1
        return assign

    def _good(self, assign: np.ndarray) -> np.ndarray:
        """Nodes from which TRUE is reachable under the assignment (bottom-up)."""
        good = np.ones(len(self._level), dtype=bool)
        good[0] = False
        fixed = np.flatnonzero(assign >= 0)
        if fixed.size == 0:
            return good
        values = assign.tolist()
        start = self._start
        for lvl in range(int(fixed[-1]), -1, -1):
            a, b = start[lvl], start[lvl + 1]
            if a == b:
                continue
            value = values[lvl]
            if value == 1:
                good[a:b] = good[self._high_at[lvl]]
            elif value == 0:
                good[a:b] = good[self._low_at[lvl]]
            else:
                np.logical_or(good[self._low_at[lvl]], good[self._high_at[lvl]], out=good[a:b])
        return good

    def _domains(self, assign: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(good, reached, can be true, can be false): nodes from which TRUE can be reached, nodes
        reached from the root through good nodes (top-down, level by level), and per level
        whether a path to TRUE gives the variable each value. One pass each way."""
        good = self._good(assign)
        reach = np.zeros(len(self._level), dtype=bool)
        can1 = np.zeros(self.nvars, dtype=bool)
        can0 = np.zeros(self.nvars, dtype=bool)
        root = self.diagram.root
        if not good[root]:
            return good, reach, can1, can0
        reach[root] = True
        values = assign.tolist()
        start, edge_start = self._start, self._edge_start
        parent, child = self._edge_parent, self._edge_child
        for lvl in range(self._level[root], self.nvars):
            width = start[lvl + 1] - start[lvl]
            if not width:
                continue
            a = edge_start[lvl]
            b = a + 2 * width
            value = values[lvl]
            if value == 1:
                a += width
            elif value == 0:
                b -= width
            children = child[a:b]
            live = reach[parent[a:b]] & good[children]
            reach[children[live]] = True
        # The edges used, all at once: which value each level takes, and the levels an edge
        # jumps over (free on that path: either value is possible there).
        edge_value = assign[self._edge_level]
        live = reach[parent] & good[child] & ((edge_value == -1) | (edge_value == self._edge_bit))
        used_high = live & (self._edge_bit == 1)
        used_low = live & (self._edge_bit == 0)
        can1 |= np.bincount(self._edge_level[used_high], minlength=self.nvars) > 0
        can0 |= np.bincount(self._edge_level[used_low], minlength=self.nvars) > 0
        first = np.append(self._edge_level[live] + 1, 0)
        last = np.append(self.diagram.level[child[live]], self._level[root])
        jump = first < last
        marks = np.bincount(first[jump], minlength=self.nvars + 1) - np.bincount(
            last[jump], minlength=self.nvars + 1
        )
        skipped = np.cumsum(marks)[: self.nvars] > 0
        can1 |= skipped & (assign != 0)
        can0 |= skipped & (assign != 1)
        return good, reach, can1, can0

    # --- valid domains ------------------------------------------------------------------------

    def consistent(self, partial: Iterable[str]) -> bool:
        """Whether some valid complete selection contains every code of ``partial``."""
        codes = self._known(partial)
        return bool(self._good(self._assign(codes))[self.diagram.root])

    def selectable(self, partial: Iterable[str] = ()) -> dict[str, bool]:
        """Every option and package code: can it still be chosen (exact, one pass)?"""
        codes = self._known(partial)
        if not codes:
            can1, _ = self._root()
        else:
            _, _, can1, _ = self._domains(self._assign(codes))
        flags = can1[self._code_levels].tolist()
        return dict(zip(self.codes, flags, strict=True))

    def valid_domains(self, partial: Iterable[str] = ()) -> dict[str, dict[str, bool]]:
        """For every group, each option: can it still be chosen so that some complete valid
        configuration contains it and every code of ``partial``? (All False when ``partial``
        itself cannot be completed.)"""
        flags = self.selectable(partial)
        return {g.id: {o.code: flags[o.code] for o in g.options} for g in self.catalog.groups}

    def _root(self) -> tuple[np.ndarray, np.ndarray]:
        if self._root_domains is None:
            _, _, can1, can0 = self._domains(self._assign())
            self._root_domains = (can1, can0)
        return self._root_domains

    def dead_options(self) -> list[str]:
        """Option and package codes that no valid configuration contains."""
        can1, _ = self._root()
        return [code for code in self.codes if not can1[self.levels[code]]]

    def forced_options(self) -> list[str]:
        """Option and package codes that every valid configuration contains (none when the
        catalog has no valid configuration at all)."""
        can1, can0 = self._root()
        if not can1.any() and not can0.any():
            return []
        return [code for code in self.codes if not can0[self.levels[code]]]

    def forced_by(self, partial: Iterable[str]) -> list[str]:
        """Codes every valid completion of ``partial`` contains (``partial`` included)."""
        codes = self._known(partial)
        _, _, can1, can0 = self._domains(self._assign(codes))
        if not can1.any() and not can0.any():
            return []
        return [code for code in self.codes if not can0[self.levels[code]]]

    # --- counting --------------------------------------------------------------------------

    def count(self, partial: Iterable[str] = ()) -> int:
        """The exact number of valid complete selections containing ``partial``."""
        codes = self._known(partial)
        assign = self._assign(codes)
        good, reach, _, _ = self._domains(assign)
        root = self.diagram.root
        if not good[root]:
            return 0
        free = [0]
        for value in assign.tolist():
            free.append(free[-1] + (value == -1))
        level, low, high = self._level, self._low, self._high
        values = assign.tolist()
        good_list = good.tolist()
        counts: dict[int, int] = {1: 1}
        for u in np.flatnonzero(reach)[::-1].tolist():
            if u < 2:
                continue
            lvl = level[u]
            value = values[lvl]
            total = 0
            if value != 0:
                child = high[u]
                if good_list[child]:
                    total += counts[child] << (free[level[child]] - free[lvl + 1])
            if value != 1:
                child = low[u]
                if good_list[child]:
                    total += counts[child] << (free[level[child]] - free[lvl + 1])
            counts[u] = total
        return counts[root] << free[level[root]]

    # --- uniform samples --------------------------------------------------------------------

    def _odds(self) -> np.ndarray:
        """Per node, the probability that a uniformly random valid path through it takes its
        high edge: the high child's count over the node's (exact integers, then one float)."""
        if self._high_odds is None:
            level, low, high = self._level, self._low, self._high
            counts = [0, 1] + [0] * (len(level) - 2)
            odds = np.zeros(len(level))
            for u in range(len(level) - 1, 1, -1):  # children lie on greater levels
                lvl = level[u]
                up = counts[high[u]] << (level[high[u]] - lvl - 1)
                down = counts[low[u]] << (level[low[u]] - lvl - 1)
                counts[u] = up + down
                odds[u] = up / counts[u] if counts[u] else 0.0
            self._high_odds = odds
        return self._high_odds

    def sample(
        self, count: int, seed: int | np.random.Generator | None = None
    ) -> list[tuple[str, ...]]:
        """``count`` valid complete selections drawn uniformly at random (with replacement),
        each as its option and package codes in catalog order.

        Each is a random path of the diagram: at a node the high edge is taken with the
        probability that a valid selection through the node takes it (counts, exact), and a
        level an edge skips is free (a fair coin). Empty when nothing is valid.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        root = self.diagram.root
        if root == 0 or count <= 0:
            return []
        odds = self._odds()
        level = self.diagram.level
        low, high = self.diagram.low, self.diagram.high
        codes = np.array(self.codes, dtype=object)
        found: list[tuple[str, ...]] = []
        for start in range(0, count, 4096):
            n = min(4096, count - start)
            node = np.full(n, root, dtype=np.int64)
            bits = np.zeros((n, self.nvars), dtype=bool)
            for lvl in range(self.nvars):
                here = level[node]
                at = here == lvl
                draw = rng.random(n)
                up = at & (draw < odds[node])
                bits[:, lvl] = up | ((here > lvl) & (draw < 0.5))
                node = np.where(at, np.where(up, high[node], low[node]), node)
            chosen = bits[:, self._code_levels]
            found.extend(tuple(codes[row]) for row in chosen)
        return found

    # --- completion and prices ------------------------------------------------------------

    def _costs(self, how: How, tie_break: bool) -> list[int]:
        """Per level, the cost of setting the variable true: its price weight in whole units
        (negated for the dearest), scaled so that a tie is broken towards the defaults."""
        sign = 1 if how == "cheapest" else -1
        if how not in ("cheapest", "dearest"):
            raise ValueError(f"unknown completion '{how}': use 'cheapest' or 'dearest'")
        if not tie_break:
            return [sign * units for units in self._units]
        scale = 2 * self.nvars + 2
        costs = []
        for name, units in zip(self.diagram.names, self._units, strict=True):
            tie = 0 if name not in self.prices else (-1 if name in self.defaults else 1)
            costs.append(sign * units * scale + tie)
        return costs

    def _best(
        self, assign: np.ndarray, cost: list[int], good: np.ndarray, reach: np.ndarray
    ) -> tuple[dict[int, int], dict[int, int], list[int], list[int]]:
        """Least cost from each reached node to TRUE, the value taken there, and per level the
        cost and value of a variable an edge jumps over."""
        values = assign.tolist()
        jump_value = [
            1 if (v == 1 or (v == -1 and c < 0)) else 0 for v, c in zip(values, cost, strict=True)
        ]
        jump_cost = [c if j else 0 for c, j in zip(cost, jump_value, strict=True)]
        before = [0]
        for c in jump_cost:
            before.append(before[-1] + c)
        level, low, high = self._level, self._low, self._high
        good_list = good.tolist()
        best: dict[int, int] = {1: 0}
        choice: dict[int, int] = {}
        for u in np.flatnonzero(reach)[::-1].tolist():
            if u < 2:
                continue
            lvl = level[u]
            value = values[lvl]
            options = []
            if value != 1 and good_list[low[u]]:
                child = low[u]
                options.append((before[level[child]] - before[lvl + 1] + best[child], 0))
            if value != 0 and good_list[high[u]]:
                child = high[u]
                options.append(
                    (cost[lvl] + before[level[child]] - before[lvl + 1] + best[child], 1)
                )
            best[u], choice[u] = min(options)
        return best, choice, jump_value, before

    def _path(self, choice: dict[int, int], jump_value: list[int]) -> set[str]:
        names = self.diagram.names
        chosen: set[str] = set()
        u = self.diagram.root
        position = 0
        while True:
            lvl = self._level[u]
            for skipped in range(position, lvl):
                if jump_value[skipped]:
                    chosen.add(names[skipped])
            if u < 2:
                break
            if choice[u]:
                chosen.add(names[lvl])
                u = self._high[u]
            else:
                u = self._low[u]
            position = lvl + 1
        return {name for name in chosen if name in self.prices}

    def completion(self, partial: Iterable[str] = (), how: How = "cheapest") -> Completion:
        """The valid completion of ``partial`` with the least (or greatest) list price; ties go
        to the catalog's defaults. Raises :class:`ConfigurationError` (with a minimal
        explanation) when ``partial`` cannot be completed."""
        codes = self._known(partial)
        assign = self._assign(codes)
        cost = self._costs(how, tie_break=True)
        good, reach, _, _ = self._domains(assign)
        if not good[self.diagram.root]:
            self._raise_inconsistent(codes)
        _, choice, jump_value, _ = self._best(assign, cost, good, reach)
        selected = frozenset(self._path(choice, jump_value))
        return Completion(selected, self.list_price(selected))

    def best_completion(
        self, partial: Iterable[str] = (), exclude: Iterable[str] = (), how: How = "cheapest"
    ) -> Completion | None:
        """Like :meth:`completion`, with the codes of ``exclude`` left out; None when no valid
        completion contains ``partial`` without them."""
        codes = self._known(partial)
        assign = self._assign(codes, self._known(exclude))
        good, reach, _, _ = self._domains(assign)
        if not good[self.diagram.root]:
            return None
        cost = self._costs(how, tie_break=True)
        _, choice, jump_value, _ = self._best(assign, cost, good, reach)
        selected = frozenset(self._path(choice, jump_value))
        return Completion(selected, self.list_price(selected))

    def complete(self, partial: Iterable[str] = (), how: How = "cheapest") -> frozenset[str]:
        """The codes of :meth:`completion`."""
        return self.completion(partial, how).codes

    def list_price(self, selection: Iterable[str]) -> Decimal:
        """The list price of a complete selection as the pricing engine makes its subtotal:
        base price, what each option and package is charged, then the discounts in catalog
        order (each rounded to the cent, never below zero). No taxes."""
        selected = frozenset(selection)
        charged_now = {code: charged(self._charges[code], selected) for code in selected}
        running = self.catalog.base_price + sum(charged_now.values(), Decimal(0))
        for discount, when in self._discounts:
            if not evaluate(when, selected):
                continue
            if discount.amount is not None:
                reduction = discount.amount
            else:
                assert discount.percent is not None
                of = set(discount.of)
                basis = sum((charged_now[c] for c in of if c in charged_now), Decimal(0))
                reduction = round_cents((basis if of else running) * discount.percent / 100)
            running -= min(reduction, running)
        return running

    def _value(self, name: str, selected: frozenset[str]) -> bool:
        level = self.levels[name]
        aux = self._aux_at.get(level)
        return evaluate(aux.expr, selected) if aux is not None else name in selected

    def price_ranges(
        self, partial: Iterable[str] = ()
    ) -> dict[str, tuple[Decimal, Decimal] | None]:
        """For every option and package: the list price of the cheapest and of the dearest
        valid completion of ``partial`` that contains it (None when none does), by the
        completion's price model (percentages of the whole car left out, see price_terms)."""
        codes = self._known(partial)
        assign = self._assign(codes)
        good, reach, can1, _ = self._domains(assign)
        lows = self._forced_one(assign, self._costs("cheapest", False), good, reach)
        highs = self._forced_one(assign, self._costs("dearest", False), good, reach)
        base = self.catalog.base_price
        result: dict[str, tuple[Decimal, Decimal] | None] = {}
        for code in self.codes:
            lvl = self.levels[code]
            low, high = lows[lvl], highs[lvl]
            if not can1[lvl] or low is None or high is None:
                result[code] = None
            else:
                result[code] = (
                    round_cents(base + Decimal(low) / self._scale),
                    round_cents(base - Decimal(high) / self._scale),
                )
        return result

    def _forced_one(
        self, assign: np.ndarray, cost: list[int], good: np.ndarray, reach: np.ndarray
    ) -> list[int | None]:
        """Per level, the least total cost of a valid path with that variable true: the best
        cost from the root to each node, plus the best from its high child to TRUE."""
        best, _, jump_value, before = self._best(assign, cost, good, reach)
        level, low, high = self._level, self._low, self._high
        values = assign.tolist()
        good_list = good.tolist()
        root = self.diagram.root
        result: list[int | None] = [None] * self.nvars
        if not good_list[root]:
            return result

        def offer(lvl: int, total: int) -> None:
            current = result[lvl]
            if current is None or total < current:
                result[lvl] = total

        def jumped(top: int, child: int, path_cost: int) -> None:
            # The edge from level `top` to `child` jumps over levels top+1 .. level(child)-1.
            for lvl in range(top + 1, level[child]):
                if values[lvl] != 0:
                    delta = cost[lvl] - (cost[lvl] if jump_value[lvl] else 0)
                    offer(lvl, path_cost + delta)

        reached = np.flatnonzero(reach).tolist()
        up: dict[int, int] = {root: before[level[root]]}
        total_root = up[root] + best[root]
        jumped(-1, root, total_root)
        for u in reached:
            if u < 2 or u not in up:
                continue
            lvl = level[u]
            value = values[lvl]
            for bit, child in ((0, low[u]), (1, high[u])):
                if value == 1 - bit or not good_list[child]:
                    continue
                step = (cost[lvl] if bit else 0) + before[level[child]] - before[lvl + 1]
                here = up[u] + step
                if child >= 2 and (child not in up or here < up[child]):
                    up[child] = here
                if bit:
                    offer(lvl, here + best[child])
                jumped(lvl, child, here + best[child])
        return result

    # --- checking and explaining ----------------------------------------------------------

    def is_valid(self, selection: Iterable[str]) -> bool:
        """Whether a complete selection meets every constraint (a walk down the BDD)."""
        selected = frozenset(selection)
        names = self.diagram.names
        u = self.diagram.root
        while u >= 2:
            lvl = self._level[u]
            u = self._high[u] if self._value(names[lvl], selected) else self._low[u]
        return u == 1

    @property
    def explainer(self) -> Explainer:
        """Validity and minimal explanations with the SAT solver (no diagram needed)."""
        if self._explainer is None:
            self._explainer = Explainer(self.catalog, self.on, self.problem)
        return self._explainer

    def check(self, configuration: Configuration | Iterable[str]) -> CheckResult:
        """Check a configuration (resolved with defaults, packages and brought options) or a
        complete set of codes. Invalid: a minimal explanation, or the unmet minimum spends."""
        return self.explainer.check(configuration)

    def valid(self, configuration: Configuration) -> bool:
        """Whether a configuration (resolved with defaults, packages and what options bring)
        is valid, minimum spends included, without explaining why not: for generators and
        benchmarks. Unknown codes are a :class:`ConfigurationError`; buyer-supplied values are
        not checked (the pricing engine checks them)."""
        return not self.broken(resolve(self.catalog, configuration).codes)

    def share_checks(self, checks: StructuralChecks) -> None:
        """Use ``checks`` (built from ``constraints(catalog)``, e.g. a pricer's) for the
        cardinalities and tables of :meth:`broken` and :meth:`check` (the explainer's)."""
        self.explainer.share_checks(checks)

    def broken(self, selection: Iterable[str]) -> list[int]:
        """The indices (in ``problem.constraints``) of the constraints a complete selection
        breaks (:meth:`configurator.rules.explain.Explainer.broken`)."""
        return self.explainer.broken(selection)

    def explain(self, partial: Iterable[str], wanted: Sequence[str] = ()) -> Explanation | None:
        """Why the buyer's choices ``partial`` (plus the codes ``wanted``, taken as given)
        cannot be completed: a minimal set of those choices and of the constraints that
        conflict. None when they can be completed."""
        codes = self._known(partial)
        wanted = self._known(wanted)
        if self._good(self._assign([*codes, *wanted]))[self.diagram.root]:
            return None
        return self.explainer.explain(codes, wanted)

    def _sat(self) -> tuple[Cnf, Any]:
        return self.explainer.sat()

    def _raise_inconsistent(self, codes: Sequence[str]) -> None:
        explanation = self.explain(codes)
        assert explanation is not None
        raise CheckResult(False, frozenset(codes), explanation).error()

    def require_consistent(self, partial: Iterable[str]) -> None:
        """Raise a :class:`ConfigurationError` with a minimal explanation when the choices
        cannot be completed."""
        codes = self._known(partial)
        if not self._good(self._assign(codes))[self.diagram.root]:
            self._raise_inconsistent(codes)

    # --- availability with reasons ---------------------------------------------------------

    def availability(self, partial: Iterable[str] = (), reasons: bool = True) -> list[GroupState]:
        """Every group (and the packages) with each option available or not, and for those
        that are not, a minimal explanation. Raises when ``partial`` cannot be completed."""
        codes = self._known(partial)
        self.require_consistent(codes)
        flags = self.selectable(codes)
        chosen = set(codes)

        def state(code: str) -> OptionState:
            why = None
            if not flags[code] and reasons:
                why = self.explain([c for c in codes if c != code], [code])
            return OptionState(
                code, self.names[code], self.prices[code], code in chosen, flags[code], why
            )

        groups = [
            GroupState(g.id, g.name, g.choose.describe(), tuple(state(o.code) for o in g.options))
            for g in self.catalog.groups
        ]
        if self.catalog.packages:
            groups.append(
                GroupState(
                    "packages",
                    "Packages",
                    "any number",
                    tuple(state(p.code) for p in self.catalog.packages),
                )
            )
        return groups

    # --- alternatives ------------------------------------------------------------------------

    def alternatives(
        self, partial: Iterable[str], option: str, limit: int = 8
    ) -> list[Alternative]:
        """For an option that cannot be chosen with ``partial``: the minimal sets of the
        buyer's choices to give up so that it can (minimal correction sets, found with the
        SAT solver), each with what then comes in necessarily and the change in the cheapest
        completion's price; cheapest first, then smallest. Empty when the option can be
        chosen as things are, or not at all."""
        codes = self._known(partial)
        (option,) = self._known([option])
        self.require_consistent(codes)
        keep = [c for c in codes if c != option]
        if self.consistent([*keep, option]) or not self.consistent([option]):
            return []
        before = self.completion(keep)
        forced_before = set(self.forced_by(keep))
        cnf, solver = self._sat()
        hard = [*cnf.selector, cnf.var[option]]
        activation = cnf.top + 1
        cnf.top += 1
        found: list[tuple[str, ...]] = []
        try:
            while len(found) < limit:
                if not solver.solve(assumptions=[*hard, activation]):
                    break
                model = set(solver.get_model() or ())
                kept = [c for c in keep if cnf.var[c] in model]
                for code in keep:
                    if code in kept:
                        continue
                    trial = [*hard, activation, *(cnf.var[c] for c in kept), cnf.var[code]]
                    if solver.solve(assumptions=trial):
                        model = set(solver.get_model() or ())
                        kept = [c for c in keep if c in kept or cnf.var[c] in model]
                removed = tuple(c for c in keep if c not in kept)
                found.append(removed)
                solver.add_clause([-activation, *(cnf.var[c] for c in removed)])
        finally:
            solver.add_clause([-activation])
        result = []
        for removed in found:
            choices = [c for c in keep if c not in removed] + [option]
            after = self.completion(choices)
            forced = self.forced_by(choices)
            adds = tuple(c for c in forced if c not in choices and c not in forced_before)
            result.append(
                Alternative(
                    option,
                    removed,
                    adds,
                    after.total - before.total,
                    after.total,
                    tuple(choices),
                )
            )
        result.sort(key=lambda a: (a.price_delta, len(a.removes), a.removes))
        return result


# --- whole-catalog figures and completions for the commands -----------------------------------


@dataclass(frozen=True)
class CatalogStats:
    """What the compiled solution space says about a catalog (``configurator catalog stats``)."""

    model: str
    on: dt.date | None
    configurations: int | None  # None: unknown (the SAT engine does not count)
    dead_options: tuple[str, ...]
    forced_options: tuple[str, ...]
    cheapest: Completion | None
    dearest: Completion | None
    compile_seconds: float
    cached: bool
    nodes: int
    variables: int
    technique: str = "bdd"
    reason: str = ""
    seconds: float = 0.0  # dead and forced options (SAT: the backbone), after compilation

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the count as a decimal string, amounts as strings with two decimals."""
        from configurator.money import money_json

        def completion(c: Completion | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {"total": money_json(c.total), "options": sorted(c.codes)}

        return {
            "model": self.model,
            "date": self.on.isoformat() if self.on else None,
            "configurations": (
                str(self.configurations) if self.configurations is not None else None
            ),
            "dead_options": list(self.dead_options),
            "forced_options": list(self.forced_options),
            "cheapest": money_json(self.cheapest.total) if self.cheapest else None,
            "dearest": money_json(self.dearest.total) if self.dearest else None,
            "cheapest_configuration": completion(self.cheapest),
            "dearest_configuration": completion(self.dearest),
            "compile_seconds": round(self.compile_seconds, 4),
            "compiled_from_cache": self.cached,
            "bdd_nodes": self.nodes,
            "variables": self.variables,
            "engine": self.technique,
            "engine_reason": self.reason,
            "analysis_seconds": round(self.seconds, 4),
        }
