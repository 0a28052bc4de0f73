"""Many configurations of one catalog priced at once: the batch's lane for distinct cars.

A row of a real order book is mostly a car nobody else ordered, so memos do not help; what
costs is the per-row work of :meth:`Pricer.figures` (a Megane car picks a hundred codes, and
checking them against 111 tables of 194,723 rows took 170 us of numpy calls a car). Here the
rows of a chunk become one 0/1 matrix (a row per car, a column per code) and everything
:meth:`Pricer.figures` does is a few matrix operations for all of them, so the numpy overhead
is paid once a chunk, not once a car:

- resolving: what packages include and options bring (one product with the transitive
  closure of those links), then the defaults of the groups left untouched, with what they
  bring;
- validity: cardinalities and indexed tables (products and one sorted search), every other
  constraint as its expression over boolean columns, availability on the date, the values'
  rules (each distinct value checked once);
- charges in integer cents: list prices, 0 for what a package includes, the first price rule
  whose condition holds, discounts in catalog order (a percentage rounded to the cent, half
  up, as :func:`configurator.money.percent_of`), the programmes' minimum spends;
- configuration codes, encoded together.

Anything the lane cannot answer with exactly the meaning of :meth:`Pricer.figures` gets
``None`` and is priced one by one: unknown codes, any car that is not valid (its error needs
the engine's minimal explanation), a table too wide to index that the car would need checked
on its own is checked car by car. Tests check the lane's answers equal ``figures``.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from configurator.configuration import Configuration, Selection
from configurator.errors import ConfiguratorError
from configurator.money import ZERO

if TYPE_CHECKING:
    from configurator.pricing.engine import Figures, Pricer

# Float64 products of 0/1 rows and integer columns are exact below 2**53.
_EXACT = 1 << 53

# A condition over many cars: given the cars' codes as boolean columns (one row per code, and
# a last row of False for codes the catalog does not have), all True, all False.
VectorPredicate = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def vector_predicates(sources: Sequence[str], column: Mapping[str, int]) -> list[VectorPredicate]:
    """Conditions written as :func:`~configurator.pricing.validity.expr_source` texts
    (``('CODE' in s)`` joined by ``and``, ``or``, ``not``) as predicates over boolean columns:
    the same expression with ``&``, ``|``, ``~`` on numpy arrays, compiled at once."""
    if not sources:
        return []
    missing = len(column)  # the row of False

    class _Columns(ast.NodeTransformer):
        def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
            self.generic_visit(node)
            operator: ast.operator = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
            joined = node.values[0]
            for value in node.values[1:]:
                joined = ast.BinOp(joined, operator, value)
            return joined

        def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
            self.generic_visit(node)
            if not isinstance(node.op, ast.Not):
                raise ValueError(f"not a condition: {ast.dump(node)}")
            return ast.UnaryOp(ast.Invert(), node.operand)

        def visit_Compare(self, node: ast.Compare) -> ast.expr:
            code = node.left
            if not (
                isinstance(code, ast.Constant)
                and isinstance(code.value, str)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.In)
            ):
                raise ValueError(f"not a condition: {ast.dump(node)}")
            index = column.get(code.value, missing)
            return ast.Subscript(ast.Name("s", ast.Load()), ast.Constant(index), ast.Load())

        def visit_Constant(self, node: ast.Constant) -> ast.expr:
            if node.value is True or node.value is False:
                return ast.Name("yes" if node.value else "no", ast.Load())
            raise ValueError(f"not a condition: {ast.dump(node)}")

    bodies = []
    for source in sources:
        tree = _Columns().visit(ast.parse(source, mode="eval"))
        bodies.append(ast.unparse(ast.fix_missing_locations(tree)))
    text = "(" + "".join(f"lambda s, yes, no: {body}, " for body in bodies) + ")"
    predicates: tuple[VectorPredicate, ...] = eval(text, {"__builtins__": {}})  # noqa: S307
    return list(predicates)


def _closure(step: np.ndarray) -> np.ndarray:
    """The reflexive transitive closure of a boolean adjacency matrix."""
    reach = np.eye(len(step), dtype=bool) | step
    while True:
        wider = reach | ((reach.astype(np.float32) @ reach.astype(np.float32)) > 0)
        if (wider == reach).all():
            return reach
        reach = wider


def _cents(amount: Decimal) -> int | None:
    """An amount in whole cents, or None when it is finer than that."""
    cents = amount * 100
    return int(cents) if cents == cents.to_integral_value() else None


class BulkPricer:
    """One pricer's catalog as matrices over its codes, for :meth:`prices_many`."""

    def __init__(self, pricer: Pricer) -> None:
        self.pricer = pricer
        selection = pricer.selection
        self.codes = sorted(selection.position, key=selection.position.__getitem__)
        self.codes_of = np.array(self.codes, dtype=object)
        self.column = {code: i for i, code in enumerate(self.codes)}
        size = len(self.codes)
        self.size = size
        self.usable = True

        def mask(codes: Iterable[str]) -> np.ndarray:
            vector = np.zeros(size, dtype=bool)
            vector[[self.column[c] for c in codes if c in self.column]] = True
            return vector

        # Option ids of the configuration codes, in ascending order: the lane's columns in
        # that order make each car's ids come out sorted (choosing a code without an id is an
        # error that encoding makes one by one).
        ids = pricer.book.ids
        id_of = np.array([ids.get(code, -1) for code in self.codes], dtype=np.int64)
        self.by_id = np.argsort(id_of, kind="stable")
        self.sorted_ids = id_of[self.by_id]
        self.without_id = (id_of < 0).astype(np.float32)
        self._resolving(pricer, mask)
        self._charging(pricer, mask)
        self._structure(pricer)
        self.others = vector_predicates(pricer.checks.other_sources, self.column)
        self.value_codes = mask(selection.value_specs).astype(np.float32)
        # the codes that take a value: their ids, and their places in ascending id order
        self.value_places = np.flatnonzero(self.value_codes[self.by_id] > 0)
        self.value_ids = self.sorted_ids[self.value_places].tolist()
        self._value_holds: dict[tuple[str, str], bool] = {}

    def _resolving(self, pricer: Pricer, mask: Callable[[Iterable[str]], np.ndarray]) -> None:
        """What :meth:`SelectionIndex.resolve` needs, as matrices."""
        selection = pricer.selection
        size = self.size
        column = self.column
        includes = np.zeros((size, size), dtype=bool)
        for package, contents in selection.includes.items():
            includes[column[package], [column[c] for c in contents]] = True
        brings = np.zeros((size, size), dtype=bool)
        for code, extras in selection.brings.items():
            brings[column[code], [column[c] for c in extras]] = True
        self.is_package = mask(selection.includes)
        # A code's row: the code with everything it adds, however deep.
        self.expands = _closure(includes | brings).astype(np.float32)
        self.expanding = bool((includes | brings).any())
        self.includes = includes.astype(np.float32)
        self.brings_anything = bool(brings.any())
        self.bring_closure = _closure(brings).astype(np.float32)
        # resolve adds a default's brings but opens no package that way
        self.usable &= not (brings & self.is_package[None, :]).any()
        # Defaults: the groups a car leaves untouched get theirs (none may wait for an option).
        defaults = selection.defaults
        self.groups = sorted(set(selection.group_of.values()))
        group_number = {group: i for i, group in enumerate(self.groups)}
        self.group_of = np.zeros((size, len(self.groups)), dtype=np.float32)
        for code, group in selection.group_of.items():
            self.group_of[column[code], group_number[group]] = 1
        self.default_of = np.zeros((len(self.groups), size), dtype=np.float32)
        self.usable &= all(under is None for _, _, under in defaults)
        for group, codes, _ in defaults:
            for code in codes:
                self.default_of[group_number[group], column[code]] = 1

    def _charging(self, pricer: Pricer, mask: Callable[[Iterable[str]], np.ndarray]) -> None:
        """List prices, price rules, discounts and programmes in cents (the lane is off for a
        catalog with an amount finer than a cent)."""
        lines = pricer.lines
        column = self.column
        prices = [_cents(lines.list_prices.get(code, ZERO)) for code in self.codes]
        base = _cents(lines.base_price)
        self.prices = np.array([p or 0 for p in prices], dtype=np.int64)
        self.base_cents = base or 0
        self.usable &= base is not None and None not in prices
        # Price rules: per option (catalog order), its rules' conditions and prices.
        sources = lines.price_rule_sources
        conditions = iter(
            vector_predicates([when for rules in sources.values() for when, _ in rules], column)
        )
        self.rules: list[tuple[int, list[tuple[VectorPredicate, int]]]] = []
        for code, rules in sources.items():
            if code not in column:  # a rule of an option the catalog does not have
                for _ in rules:
                    next(conditions)
                continue
            found = []
            for _, rule_price in rules:
                cents = _cents(rule_price)
                self.usable &= cents is not None
                found.append((next(conditions), cents or 0))
            self.rules.append((column[code], found))
        # Discounts, in catalog order: condition, amount in cents or percentage (a fraction
        # num / den of a hundred), the columns of the codes it applies to (None: the car).
        specs = lines.discount_specs
        conditions = iter(vector_predicates([when for _, when, _ in specs], column))
        self.discounts: list[tuple[VectorPredicate, int | None, tuple[int, int], Any]] = []
        for facts, _, of in specs:
            holds = next(conditions)
            of_columns = np.flatnonzero(mask(of)) if of else None
            if facts.amount is not None:
                cents = _cents(facts.amount)
                self.usable &= cents is not None
                self.discounts.append((holds, cents or 0, (0, 1), of_columns))
            else:
                assert facts.percent is not None
                self.discounts.append((holds, None, facts.percent.as_integer_ratio(), of_columns))
        # Programmes: each one's options and its minimum spend in cents, rounded up (a spend
        # in whole cents is short of the minimum when it is below that).
        programmes = pricer.terms.programme_facts
        self.in_programme = np.zeros((self.size, len(programmes)), dtype=np.int64)
        for number, programme in enumerate(programmes):
            self.in_programme[:, number] = mask(programme.options)
        self.minimum_cents = np.array(
            [int((p.minimum_spend * 100).to_integral_value(ROUND_CEILING)) for p in programmes],
            dtype=np.int64,
        )

    def _structure(self, pricer: Pricer) -> None:
        """The cardinalities and tables of the pricer's checks, over this lane's columns."""
        checks = pricer.checks.structural
        into = np.array([self.column[code] for code in checks.position], dtype=np.int64)
        size = self.size

        def spread(
            entries: np.ndarray, owners: np.ndarray, width: int, weights: np.ndarray
        ) -> np.ndarray:
            """Each entry's weight at (its code's column, its owner); of the dtype of the
            weights."""
            matrix = np.zeros((size + 1, width), dtype=weights.dtype)  # row `size`: empty runs
            columns = np.append(into, size)
            np.add.at(matrix, (columns[entries], owners), weights)
            return matrix[:size]

        cards = len(checks.card_ids)
        owners = np.repeat(
            np.arange(cards), np.diff(np.append(checks.card_starts, len(checks.card_codes)))
        )
        self.cards = spread(checks.card_codes, owners, cards, np.ones(len(owners), np.float32))
        self.card_ids, self.card_min, self.card_max = (
            checks.card_ids,
            checks.card_min,
            checks.card_max,
        )
        columns = len(checks.column_starts)
        owners = np.repeat(
            np.arange(columns), np.diff(np.append(checks.column_starts, len(checks.column_codes)))
        )
        self.columns = spread(
            checks.column_codes, owners, columns, np.ones(len(owners), np.float32)
        )
        self.digits = spread(
            checks.column_codes,
            checks.column_table[owners] if columns else owners,
            len(checks.table_ids),
            checks.column_digits.astype(np.float64),
        )
        self.usable &= checks.span < _EXACT
        self.checks = checks
        # Tables too wide to index are checked one car at a time, except those that name no
        # code (no rows): their answer is the same for every car.
        self.slow = [(table, allowed) for table, allowed in checks.slow.values() if table.codes]
        self.usable &= all(
            table.matches(frozenset()) == allowed
            for table, allowed in checks.slow.values()
            if not table.codes
        )

    def figures_many(
        self, rows: Sequence[tuple[Sequence[str], Mapping[str, str]]], on: dt.date
    ) -> list[Figures | None]:
        """For each row of (upper-case) option codes and the values given for some of them,
        the figures :meth:`Pricer.figures` gives it on ``on``, or None when the lane leaves
        the row to be priced one by one (anything it does not take, any car that is not
        valid)."""
        return [
            None if priced is None else self.figures_of(*priced, on)
            for priced in self.prices_many(rows, on)
        ]

    def figures_of(self, code: str, cents: int, on: dt.date) -> Figures:
        """The figures of a car of this code whose subtotal is ``cents`` on ``on``: the taxes
        (which depend on the date and the subtotal alone) and the total."""
        from configurator.pricing.engine import Figures

        pricer = self.pricer
        subtotal = Decimal(cents).scaleb(-2)
        take = pricer.taxation.take(on, subtotal, [], frozenset(), cliffs=False)
        total = subtotal + sum((t.amount for t in take.taxes if t.paid_by_buyer), ZERO)
        return Figures(code, subtotal, tuple(take.taxes), total, pricer.currency)

    def prices_many(
        self, rows: Sequence[tuple[Sequence[str], Mapping[str, str]]], on: dt.date
    ) -> list[tuple[str, int] | None]:
        """For each row as :meth:`figures_many` takes them, its configuration code and its
        subtotal in cents (the taxes depend on the date and the subtotal alone), or None."""
        count = len(rows)
        found: list[tuple[str, int] | None] = [None] * count
        if not self.usable or not count:
            return found
        taken = np.ones(count, dtype=bool)
        picked = list(map(self.column.get, chain.from_iterable(codes for codes, _ in rows)))
        owner = np.repeat(np.arange(count), [len(codes) for codes, _ in rows])
        if None in picked:  # an unknown code: its error is made one by one
            known = np.array([at is not None for at in picked], dtype=bool)
            taken[owner[~known]] = False
            owner = owner[known]
            picked = [at for at in picked if at is not None]
        # 0/1 as float32: counts of codes (at most a few thousand) are exact, and products
        # of float32 matrices take half the time of float64 ones.
        chosen = np.zeros((count, self.size), dtype=np.float32)
        chosen[owner, np.array(picked, dtype=np.int64)] = 1
        taken &= chosen @ self.without_id == 0
        cars = self._resolved(chosen)
        taken &= self._valid(cars, rows, on)
        cents = self._charged(cars, taken).tolist()
        accepted = np.flatnonzero(taken).tolist()
        if self.slow:
            accepted = [n for n in accepted if self._slow_tables_hold(cars[n])]
        codes = self._codes(chosen[accepted], [rows[number][1] for number in accepted])
        for number, code in zip(accepted, codes, strict=True):
            found[number] = (code, cents[number])
        return found

    def _resolved(self, chosen: np.ndarray) -> np.ndarray:
        """The complete selections (0/1) of the buyers' choices: what the choices add, then
        the defaults of the groups left untouched with what they bring."""
        cars = (chosen @ self.expands > 0).astype(np.float32) if self.expanding else chosen
        untouched = (cars @ self.group_of == 0).astype(np.float32)
        defaults = untouched @ self.default_of
        if self.brings_anything:
            defaults = defaults @ self.bring_closure
        return np.minimum(cars + defaults, 1, dtype=np.float32)

    def _valid(
        self, cars: np.ndarray, rows: Sequence[tuple[Sequence[str], Mapping[str, str]]], on: dt.date
    ) -> np.ndarray:
        """Per car, whether it keeps every constraint, is available on ``on`` and has the
        values its options need, each kept to its option's rules."""
        holds = self._structure_holds(cars)
        unavailable = self.pricer.checks.unavailable_codes(on)
        if unavailable:
            blocked = np.zeros(self.size, dtype=np.float32)
            blocked[[self.column[c] for c in unavailable if c in self.column]] = 1
            holds &= cars @ blocked == 0
        if self.others:
            present, yes, no = self._columns(cars)
            for check in self.others:
                holds &= check(present, yes, no)
        # every option with a value rule given one, and no other value
        needing = (cars @ self.value_codes).astype(np.int64)
        given = np.array([len(values) for _, values in rows], dtype=np.int64)
        holds &= needing == given
        column = self.column
        for number in np.flatnonzero(holds & (given > 0)).tolist():
            car = cars[number]
            for code, value in rows[number][1].items():
                at = column.get(code)
                if at is None or not car[at] or not self._value_kept(code, value):
                    holds[number] = False
                    break
        return holds

    def _value_kept(self, code: str, value: str) -> bool:
        """Whether a value given for an option of the car is one it accepts (what a
        Configuration refuses, a control character, then the option's rules)."""
        key = (code, value)
        known = self._value_holds.get(key)
        if known is None:
            pricer = self.pricer
            selection = Selection(frozenset({code}), frozenset(), frozenset(), {}, {})
            try:
                Configuration(pricer.selection.model, (), {code: value})
                pricer.selection.check_values(selection, {code: value})
                known = True
            except ConfiguratorError:
                known = False
            if len(self._value_holds) >= 65_536:
                self._value_holds.clear()
            self._value_holds[key] = known
        return known

    def _columns(self, cars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cars' codes as the boolean columns a :data:`VectorPredicate` reads."""
        present = np.zeros((self.size + 1, len(cars)), dtype=bool)
        present[: self.size] = cars.T > 0
        return present, np.ones(len(cars), dtype=bool), np.zeros(len(cars), dtype=bool)

    def _charged(self, cars: np.ndarray, taken: np.ndarray) -> np.ndarray:
        """Each car's subtotal in cents (:meth:`LineBook.charges`); a car short of a
        programme's minimum spend is no longer ``taken`` (its error is made one by one)."""
        inside = (cars @ self.includes > 0) & ~self.is_package  # charged 0: in a package
        charged = (cars > 0) & ~inside
        charge = charged * self.prices
        if self.rules or self.discounts:
            present, yes, no = self._columns(cars)
        for at, rules in self.rules:
            waiting = charged[:, at].copy()  # (a rule of an option inside a package waits)
            for holds, rule_price in rules:
                applies = waiting & holds(present, yes, no)
                charge[applies, at] = rule_price
                waiting &= ~applies
        running = charge.sum(axis=1) + self.base_cents
        for holds, amount, (num, den), of in self.discounts:
            applies = holds(present, yes, no)
            if not applies.any():
                continue
            if amount is not None:
                reduction = np.full(len(cars), amount, dtype=np.int64)
            else:
                basis = charge[:, of].sum(axis=1) if of is not None else running
                # basis x percent / 100, to the cent, half up (away from zero)
                scaled = 2 * np.abs(basis) * num + 100 * den
                reduction = np.sign(basis) * (scaled // (200 * den))
            reduction = np.minimum(reduction, running)
            running = np.where(applies, running - reduction, running)
        if self.minimum_cents.size:
            spends = charge @ self.in_programme
            short = (cars.astype(np.int64) @ self.in_programme > 0) & (spends < self.minimum_cents)
            taken &= ~short.any(axis=1)
        return running

    def _slow_tables_hold(self, car: np.ndarray) -> bool:
        """Whether a car (a 0/1 row) keeps the tables too wide to index."""
        codes = frozenset(self.codes_of[car > 0].tolist())
        return all(table.matches(codes) == allowed for table, allowed in self.slow)

    def _codes(self, chosen: np.ndarray, values: Sequence[Mapping[str, str]]) -> list[str]:
        """The configuration code of each row of chosen codes (0/1) with its values: the
        choices' ids written as one number per row with numpy, then
        :meth:`CodeBook.encode_chosen`."""
        book = self.pricer.book
        width = book.width
        by_id = chosen[:, self.by_id] > 0  # each row's ids come out ascending
        counts = by_id.sum(axis=1)
        _, columns = np.nonzero(by_id)  # row after row, each row's ids ascending
        ids = self.sorted_ids[columns].astype(">u8").view(np.uint8).reshape(-1, 8)
        # every row's ids, width bits each, one after the other
        packed = np.packbits(np.unpackbits(ids, axis=1)[:, 64 - width :].ravel()).tobytes()
        ends = np.cumsum(counts * width)
        numbers = []
        for start, end in zip((ends - counts * width).tolist(), ends.tolist(), strict=True):
            if end == start:
                numbers.append(0)
                continue
            covering = int.from_bytes(packed[start >> 3 : (end + 7) >> 3], "big")
            numbers.append((covering >> (-end % 8)) & ((1 << (end - start)) - 1))
        # the rank among its row's ids of each chosen option that takes a value
        ranks: list[dict[int, int]] = [{}] * len(chosen)
        if self.value_ids:
            before = (np.cumsum(by_id, axis=1) - 1)[:, self.value_places].tolist()
            picked = by_id[:, self.value_places].tolist()
            for row, given in enumerate(values):
                if given:
                    ranks[row] = {
                        option_id: rank
                        for option_id, rank, chosen_here in zip(
                            self.value_ids, before[row], picked[row], strict=True
                        )
                        if chosen_here
                    }
        return book.encode_chosen(
            zip(counts.tolist(), numbers, ranks, [dict(v) for v in values], strict=True)
        )

    def _structure_holds(self, cars: np.ndarray) -> np.ndarray:
        """Per car, whether every cardinality and every (indexed) table holds; a car with
        two codes in one column of a table is left to the one-by-one check."""
        holds = np.ones(len(cars), dtype=bool)
        if len(self.card_ids):
            counts = cars @ self.cards
            holds &= ((counts >= self.card_min) & (counts <= self.card_max)).all(axis=1)
        checks = self.checks
        if len(checks.table_ids):
            per_column = cars @ self.columns
            keys = (cars.astype(np.float64) @ self.digits).astype(np.int64) + checks.bases
            # per table: its columns without a code, and those with several
            starts = checks.table_starts
            empty = np.add.reduceat((per_column == 0).astype(np.int32), starts, axis=1)
            several = np.add.reduceat((per_column > 1).astype(np.int32), starts, axis=1)
            off = empty + several
            matched = (checks.rows[np.searchsorted(checks.rows, keys)] == keys) & (off == 0)
            holds &= ~((several > 0) & (empty == 0)).any(axis=1)  # combinations: one by one
            holds &= (matched == checks.table_allowed).all(axis=1)
        return holds
