"""Many plain configurations of one catalog priced at once: the batch's lane for distinct cars.

A row of a real order book is mostly a car nobody else ordered, so memos do not help; what
costs is the per-row work of :meth:`Pricer.figures` (a Megane car picks a hundred codes, and
checking them against 111 tables of 194,723 rows took 170 us of numpy calls a car). Here the
rows of a chunk become one 0/1 matrix (a row per car, a column per code) and the cardinalities,
tables, availability and list prices are a few matrix products for all of them: the numpy
overhead is paid once a chunk, not once a car.

The lane takes only what it can answer with exactly the meaning of :meth:`Pricer.figures`:
known codes, none that adds others (packages, options that bring some), defaults that do not
wait for an option, and a valid car: its values kept to their options' rules, its programmes'
minimum spends met, no price rule or discount that applies to it. Anything else (an invalid
car needs its minimal explanation) gets ``None`` and is priced one by one; tests check the
lane's answers equal ``figures``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING

import numpy as np

from configurator.configuration import Configuration, Selection
from configurator.errors import ConfiguratorError
from configurator.money import ZERO

if TYPE_CHECKING:
    from configurator.pricing.engine import Figures, Pricer

# Float64 products of 0/1 rows and integer columns are exact below 2**53.
_EXACT = 1 << 53


class BulkPricer:
    """One pricer's catalog as matrices over its codes, for :meth:`figures_many`."""

    def __init__(self, pricer: Pricer) -> None:
        self.pricer = pricer
        selection = pricer.selection
        self.codes = sorted(selection.position, key=selection.position.__getitem__)
        self.codes_of = np.array(self.codes, dtype=object)
        self.column = {code: i for i, code in enumerate(self.codes)}
        size = len(self.codes)
        self.size = size

        def mask(codes: Iterable[str]) -> np.ndarray:
            vector = np.zeros(size, dtype=np.float32)
            vector[[self.column[c] for c in codes if c in self.column]] = 1
            return vector

        lines = pricer.lines
        # Rows with one of these codes go one by one: packages and options that bring others
        # (the lane does not resolve what they add).
        self.one_by_one = mask(selection.expanding)
        # Codes that need a look at the car itself: a value to check, a price rule whose
        # condition may hold (the car then goes one by one).
        self.value_codes = mask(selection.value_specs)
        self.rule_codes = mask(lines.price_rules)
        self.discounts = lines.discount_conditions
        # Option ids of the configuration codes, in ascending order: the lane's columns in
        # that order make each car's ids come out sorted (a code without an id is an error
        # that encoding makes one by one).
        ids = pricer.book.ids
        id_of = np.array([ids.get(code, -1) for code in self.codes], dtype=np.int64)
        self.by_id = np.argsort(id_of, kind="stable")
        self.sorted_ids = id_of[self.by_id]
        self.one_by_one[id_of < 0] = 1
        self.other_checks = pricer.checks.has_other_checks
        # Defaults: the groups a car leaves untouched get theirs (none waits for an option and
        # none adds others, or the lane resolves nothing).
        defaults = selection.defaults
        self.groups = sorted({group for group in selection.group_of.values()})
        group_number = {group: i for i, group in enumerate(self.groups)}
        self.group_of = np.zeros((size, len(self.groups)), dtype=np.float32)
        for code, group in selection.group_of.items():
            self.group_of[self.column[code], group_number[group]] = 1
        self.default_of = np.zeros((len(self.groups), size), dtype=np.float32)
        self.usable = all(under is None for _, _, under in defaults) and not any(
            code in selection.expanding for _, codes, _ in defaults for code in codes
        )
        for group, codes, _ in defaults:
            for code in codes:
                self.default_of[group_number[group], self.column[code]] = 1
        # List prices in cents (the lane is off for a catalog with a price finer than that).
        cents = {code: price * 100 for code, price in lines.list_prices.items()}
        base = lines.base_price * 100
        whole = all(c == c.to_integral_value() for c in [*cents.values(), base])
        self.prices = np.array([int(cents.get(c, 0)) if whole else 0 for c in self.codes])
        self.base_cents = int(base) if whole else 0
        self.usable &= whole
        # Programmes: each one's options (with their list prices in cents, what the lane's cars
        # are charged) and its minimum spend in cents, rounded up (a spend in whole cents is
        # short of the minimum when it is below that).
        programmes = pricer.terms.programme_facts
        self.in_programme = np.zeros((size, len(programmes)), dtype=np.float32)
        for number, programme in enumerate(programmes):
            self.in_programme[:, number] = mask(programme.options)
        self.programme_prices = self.in_programme.astype(np.int64) * self.prices[:, None]
        self.minimum_cents = np.array(
            [int((p.minimum_spend * 100).to_integral_value(ROUND_CEILING)) for p in programmes],
            dtype=np.int64,
        )
        self._structure(pricer)

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
        from configurator.pricing.engine import Figures

        count = len(rows)
        found: list[Figures | None] = [None] * count
        if not self.usable or not count:
            return found
        column = self.column
        taken = np.ones(count, dtype=bool)
        flat: list[int] = []
        owner: list[int] = []
        for number, (codes, _) in enumerate(rows):
            try:
                picked = list(map(column.__getitem__, codes))
            except KeyError:  # an unknown code: its error is made one by one
                taken[number] = False
                continue
            flat += picked
            owner += [number] * len(picked)
        # 0/1 as float32: counts of codes (at most a few thousand) are exact, and products
        # of float32 matrices take half the time of float64 ones.
        chosen = np.zeros((count, self.size), dtype=np.float32)
        chosen[owner, flat] = 1
        touched = chosen @ self.group_of > 0
        cars = chosen + (~touched).astype(np.float32) @ self.default_of
        taken &= (cars <= 1).all(axis=1)  # (a default is never chosen: its group is untouched)
        taken &= cars @ self.one_by_one == 0
        unavailable = self.pricer.checks.unavailable_codes(on)
        if unavailable:
            blocked = np.zeros(self.size, dtype=np.float32)
            blocked[[column[c] for c in unavailable if c in column]] = 1
            taken &= cars @ blocked == 0
        taken &= self._structure_holds(cars)
        if self.minimum_cents.size:  # a programme short of its minimum: its error one by one
            spends = cars.astype(np.int64) @ self.programme_prices
            short = (cars @ self.in_programme > 0) & (spends < self.minimum_cents)
            taken &= ~short.any(axis=1)
        totals = cars.astype(np.int64) @ self.prices + self.base_cents
        pricer = self.pricer
        accepted = np.flatnonzero(taken).tolist()
        look = np.zeros(count, dtype=bool)  # cars that need a look of their own
        if self.other_checks or self.discounts or self.slow:
            look[:] = True
        else:
            look |= cars @ (self.value_codes + self.rule_codes) > 0
            look[[number for number, (_, values) in enumerate(rows) if values]] = True
        accepted = [
            number
            for number in accepted
            if not look[number] or self._car_holds(cars[number], rows[number][1])
        ]
        valued = [number for number in accepted if rows[number][1]]
        texts = dict(zip(accepted, self._codes(chosen[accepted]), strict=True))
        for number in valued:  # a code with values carries their text: one at a time
            given = dict(rows[number][1])
            texts[number] = pricer.book.encode(dict.fromkeys(rows[number][0]), given)
        for number in accepted:
            code = texts[number]
            subtotal = Decimal(int(totals[number])).scaleb(-2)
            take = pricer.taxation.take(on, subtotal, [], frozenset(), cliffs=False)
            total = subtotal + sum((t.amount for t in take.taxes if t.paid_by_buyer), ZERO)
            found[number] = Figures(code, subtotal, tuple(take.taxes), total, pricer.currency)
        return found

    def _car_holds(self, car: np.ndarray, values: Mapping[str, str]) -> bool:
        """Whether a car (a 0/1 row) with these values keeps the tables too wide to index
        and the constraints that are neither cardinalities nor tables, has values its
        options accept, and meets no price rule and no discount."""
        codes = frozenset(self.codes_of[car > 0].tolist())
        if any(table.matches(codes) != allowed for table, allowed in self.slow):
            return False
        if self.other_checks and self.pricer.checks.broken_others(codes):
            return False
        if any(holds(codes) for holds in self.discounts):
            return False
        # (price rules and check_values read the selection's codes and packaged ones only)
        selection = Selection(codes, frozenset(), frozenset(), {}, {})
        if next(self.pricer.lines.applied_rules(selection, codes), None) is not None:
            return False
        try:
            # what a Configuration refuses (a control character), then the options' rules
            Configuration(self.pricer.selection.model, (), values)
            self.pricer.selection.check_values(selection, dict(values))
        except ConfiguratorError:
            return False
        return True

    def _codes(self, chosen: np.ndarray) -> list[str]:
        """The configuration code of each row of chosen codes (0/1), in the rows' order: the
        rows that choose as many codes are encoded together."""
        texts: list[str] = [""] * len(chosen)
        if not len(chosen):
            return texts
        by_id = chosen[:, self.by_id] > 0
        counts = by_id.sum(axis=1)
        for count in np.unique(counts).tolist():
            rows = np.flatnonzero(counts == count)
            columns = np.nonzero(by_id[rows])[1].reshape(len(rows), count)
            for row, text in zip(
                rows.tolist(), self.pricer.book.encode_many(self.sorted_ids[columns]), strict=True
            ):
                texts[row] = text
        return texts

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
