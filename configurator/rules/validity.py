"""Cardinality and table constraints checked together on a complete selection, in a few numpy
passes: the cost grows with the number of constraints, never with the rows of a table.

A selection (the set of chosen codes) becomes a vector of 0/1 per code. Every constraint is a
run of entries (code, weight): a cardinality counts its chosen codes; a table has one run per
column (one per group it names), whose entries give each code of the column a digit of a
mixed-radix number. When each column has exactly one chosen code (a group that chooses one
option), that number identifies the chosen combination, and one binary search in the sorted
array of all the tables' rows (``table * span + number``) says whether it is a row. A table
with a column that has no chosen code matches no row; one with a column holding several
chosen codes (a group that takes several options) or too many combinations for 62 bits is
decided by its :class:`TableIndex`. Same meaning as
:meth:`~configurator.rules.constraints.Constraint.holds` (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from itertools import combinations
from math import comb
from typing import Protocol

import numpy as np


class Constraint(Protocol):
    """What these checks read of a :class:`configurator.rules.constraints.Constraint` (not
    imported: unpickling a pricer must not import the catalog schema)."""

    @property
    def kind(self) -> str: ...
    @property
    def codes(self) -> tuple[str, ...]: ...
    @property
    def rows(self) -> tuple[Sequence[str], ...]: ...
    @property
    def minimum(self) -> int: ...
    @property
    def maximum(self) -> int | None: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def table_index(self) -> TableIndex: ...


_LIMIT = 1 << 62  # combinations x tables must fit an int64


class TableIndex:
    """A variant table's rows, indexed so that "does some row have all its codes chosen?"
    costs about the number of codes chosen among the table's, not the number of rows.

    Each code of the table gets one bit; a row is the integer with its codes' bits set, kept
    in a set per number of codes. The chosen codes of the table make one such integer: a row
    of as many codes matches exactly when it is that integer (one set look-up). A row of
    fewer codes than are chosen (groups that take several options) is found among the
    subsets of the chosen codes of its size, or by a scan of the rows of that size when
    there are fewer rows than subsets. Picklable (plain data), so a stored pricer keeps it.
    """

    __slots__ = ("bits", "by_size", "codes")

    def __init__(self, rows: Iterable[Iterable[str]]) -> None:
        bits: dict[str, int] = {}
        keys: dict[int, set[int]] = {}
        for row in rows:
            key = 0
            for code in row:
                bit = bits.get(code)
                if bit is None:
                    bit = bits[code] = 1 << len(bits)
                key |= bit
            keys.setdefault(key.bit_count(), set()).add(key)
        self.bits = bits
        self.codes = frozenset(bits)
        self.by_size = {size: frozenset(found) for size, found in sorted(keys.items())}

    def __getstate__(self) -> tuple[dict[str, int], dict[int, frozenset[int]]]:
        return self.bits, self.by_size

    def __setstate__(self, state: tuple[dict[str, int], dict[int, frozenset[int]]]) -> None:
        self.bits, self.by_size = state
        self.codes = frozenset(self.bits)

    def matches(self, selected: AbstractSet[str]) -> bool:
        """Whether some row has every one of its codes in ``selected``."""
        present = self.codes.intersection(selected)
        chosen = len(present)
        bits = self.bits
        key = sum(map(bits.__getitem__, present))
        for size, rows in self.by_size.items():
            if size > chosen:
                break
            if size == chosen:
                return key in rows
            if comb(chosen, size) <= len(rows):
                if any(
                    sum(map(bits.__getitem__, subset)) in rows
                    for subset in combinations(present, size)
                ):
                    return True
            elif any(row & key == row for row in rows):
                return True
        return False


class StructuralChecks:
    """The cardinality and table constraints of a list, checked at once; picklable."""

    # The last selection checked and its answer: a pricer that rejects a selection and the
    # explainer that then explains it (sharing these checks) ask about the same frozenset.
    _last_selected: AbstractSet[str] | None = None
    _last_broken: tuple[int, ...] = ()

    def __init__(self, constraints: Sequence[Constraint]) -> None:
        position: dict[str, int] = {}
        for constraint in constraints:
            if constraint.kind in ("cardinality", "table"):
                for code in constraint.codes:
                    position.setdefault(code, len(position))
        self.position = position
        cards = [i for i, c in enumerate(constraints) if c.kind == "cardinality"]
        self.card_ids = np.array(cards, dtype=np.int64)
        card_codes: list[int] = []
        card_starts: list[int] = []
        blank = len(position)  # a slot that is always 0 (stands in for an empty run)
        for i in cards:
            card_starts.append(len(card_codes))
            codes = [position[code] for code in dict.fromkeys(constraints[i].codes)]
            card_codes.extend(codes or [blank])
        self.card_codes = np.array(card_codes, dtype=np.int64)
        self.card_starts = np.array(card_starts, dtype=np.int64)
        self.card_min = np.array([constraints[i].minimum for i in cards], dtype=np.int64)
        self.card_max = np.array(
            [
                constraints[i].maximum if constraints[i].maximum is not None else 1 << 40
                for i in cards
            ],
            dtype=np.int64,
        )

        # Tables: runs of entries per column; the radix of each column is its number of codes.
        table_ids: list[int] = []
        allowed: list[bool] = []
        column_codes: list[int] = []
        column_digits: list[int] = []
        column_starts: list[int] = []
        column_table: list[int] = []
        keys: list[np.ndarray] = []
        # constraint index -> (its index, allowed): tables too wide for 62 bits
        self.slow: dict[int, tuple[TableIndex, bool]] = {}
        span = 1
        numbered: list[tuple[int, list[dict[str, int]]]] = []
        for i, constraint in enumerate(constraints):
            if constraint.kind != "table":
                continue
            width = len(constraint.rows[0]) if constraint.rows else 0
            columns: list[dict[str, int]] = [
                {code: digit for digit, code in enumerate(dict.fromkeys(cells))}
                for cells in zip(*constraint.rows, strict=True)
            ]
            combinations = 1
            for column in columns:
                combinations *= max(1, len(column))
            if not width or combinations >= _LIMIT:
                self.slow[i] = (constraint.table_index, constraint.allowed)
                continue
            numbered.append((i, columns))
            span = max(span, combinations)
        if numbered and span * len(numbered) >= _LIMIT:  # spread the widest apart
            numbered.sort(key=lambda item: _product(item[1]))
            while numbered and _product(numbered[-1][1]) * len(numbered) >= _LIMIT:
                i, _ = numbered.pop()
                self.slow[i] = (constraints[i].table_index, constraints[i].allowed)
            span = max((_product(columns) for _, columns in numbered), default=1)
        self.span = span
        for number, (i, columns) in enumerate(numbered):
            table_ids.append(i)
            allowed.append(constraints[i].allowed)
            scale = 1
            digits = []
            for column in columns:
                column_starts.append(len(column_codes))
                column_table.append(number)
                for code, digit in column.items():
                    column_codes.append(position[code])
                    column_digits.append(digit * scale)
                digits.append(scale)
                scale *= len(column)
            # the rows' numbers, a column at a time (194,723 rows on Megane: no Python loop)
            rows = constraints[i].rows
            numbers = np.full(len(rows), number * span, dtype=np.int64)
            for column, cells, step in zip(columns, zip(*rows, strict=True), digits, strict=True):
                numbers += np.fromiter(map(column.__getitem__, cells), np.int64, len(rows)) * step
            keys.append(numbers)
        self.table_ids = np.array(table_ids, dtype=np.int64)
        self.table_allowed = np.array(allowed, dtype=bool)
        self.column_codes = np.array(column_codes, dtype=np.int64)
        self.column_digits = np.array(column_digits, dtype=np.int64)
        self.column_starts = np.array(column_starts, dtype=np.int64)
        self.column_table = np.array(column_table, dtype=np.int64)
        table_starts = np.flatnonzero(np.diff(self.column_table, prepend=-1))
        self.table_starts = table_starts.astype(np.int64)
        # sorted, ending with a key no table reaches (so a search never runs off the end)
        every = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        self.rows = np.append(np.unique(every), np.iinfo(np.int64).max)
        self.bases = np.arange(len(table_ids), dtype=np.int64) * span
        self.size = len(position)

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_last_")}

    def vector(self, selected: Iterable[str]) -> np.ndarray:
        """The selection as 0/1 per code of these constraints (other codes are ignored)."""
        # slot `size` stays 0 (empty runs); slot `size + 1` takes codes of no constraint here
        present = np.zeros(self.size + 2, dtype=np.int64)
        try:
            present[list(map(self.position.__getitem__, selected))] = 1
        except KeyError:
            get = self.position.get
            present[[get(code, self.size + 1) for code in selected]] = 1
            present[self.size + 1] = 0
        return present

    def broken(self, selected: AbstractSet[str]) -> list[int]:
        """The indices (ascending) of the cardinality and table constraints ``selected``
        breaks."""
        if selected is self._last_selected:  # the very same (immutable) set: same answer
            return list(self._last_broken)
        found = self._broken(selected)
        if isinstance(selected, frozenset):
            self._last_selected, self._last_broken = selected, tuple(found)
        return found

    def _broken(self, selected: AbstractSet[str]) -> list[int]:
        present = self.vector(selected)
        found: list[int] = []
        if len(self.card_ids):
            counts = np.add.reduceat(present[self.card_codes], self.card_starts)
            bad = (counts < self.card_min) | (counts > self.card_max)
            if bad.any():
                found.extend(self.card_ids[bad].tolist())
        if len(self.table_ids):
            chosen = present[self.column_codes]
            per_column = np.add.reduceat(chosen, self.column_starts)
            numbers = np.add.reduceat(chosen * self.column_digits, self.column_starts)
            keys = np.add.reduceat(numbers, self.table_starts) + self.bases
            # columns without exactly one chosen code, per table
            off = np.add.reduceat(per_column != 1, self.table_starts)
            matched = (self.rows[np.searchsorted(self.rows, keys)] == keys) & (off == 0)
            if off.any():  # no code in a column: no row; several: try each combination
                empty = np.add.reduceat(per_column == 0, self.table_starts)
                for number in np.flatnonzero((off > 0) & (empty == 0)).tolist():
                    matched[number] = self._any_row(number, chosen)
            wrong = matched != self.table_allowed
            if wrong.any():
                found.extend(self.table_ids[wrong].tolist())
        for index, (table, allowed) in self.slow.items():
            if table.matches(selected) != allowed:
                found.append(index)
        found.sort()
        return found

    def _any_row(self, number: int, chosen: np.ndarray) -> bool:
        """Whether some combination of the chosen codes of table ``number``'s columns, one
        per column, is one of its rows."""
        first = int(self.table_starts[number])
        last = (
            int(self.table_starts[number + 1])
            if number + 1 < len(self.table_starts)
            else len(self.column_starts)
        )
        keys = np.array([number * self.span], dtype=np.int64)
        for column in range(first, last):
            a = int(self.column_starts[column])
            b = (
                int(self.column_starts[column + 1])
                if column + 1 < len(self.column_starts)
                else len(self.column_codes)
            )
            digits = self.column_digits[a:b][chosen[a:b] == 1]
            keys = (keys[:, None] + digits[None, :]).ravel()
        return bool((self.rows[np.searchsorted(self.rows, keys)] == keys).any())


def _product(columns: Sequence[dict[str, int]]) -> int:
    result = 1
    for column in columns:
        result *= max(1, len(column))
    return result
