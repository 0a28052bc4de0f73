"""Witnesses without the solver, many at once: valid configurations made from known valid ones
by forcing a few codes in or out and repairing what that breaks, in numpy over a matrix of
candidate configurations (one row each), then checked against every constraint.

The SAT engine's valid domains need a witness (a valid configuration) for every value still
possible; a solver call gives one configuration, and an "alternative" group of 231 options
needs 231 of them. Forcing each option into a copy of a known valid configuration (its
siblings out, what it needs in, what needs what went out out) is a unit propagation on one
row; doing it on hundreds of rows at once costs a few numpy operations per round. A row is only
used after :meth:`Witnesses.valid` found every constraint satisfied, so a wrong repair costs a
solver call later, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from configurator.expr import And, Const, Expr, Not, Or, Var
from configurator.rules.constraints import Constraint

REPAIR_ROUNDS = 12  # propagation rounds per batch of rows

Column = Callable[[np.ndarray], np.ndarray]


def _vector(expr: Expr, index: dict[str, int]) -> Column | None:
    """The expression as a function of a row matrix (rows x codes) -> one bool per row."""
    if isinstance(expr, Var):
        i = index.get(expr.code)
        if i is None:
            return None
        return lambda rows: rows[:, i]
    if isinstance(expr, Const):
        value = bool(expr.value)
        return lambda rows: np.full(rows.shape[0], value)
    if isinstance(expr, Not):
        inner = _vector(expr.operand, index)
        if inner is None:
            return None
        return lambda rows: ~inner(rows)
    if isinstance(expr, And | Or):
        parts = [_vector(o, index) for o in expr.operands]
        if any(p is None for p in parts):
            return None
        funcs = [p for p in parts if p is not None]
        reduce = np.logical_and.reduce if isinstance(expr, And) else np.logical_or.reduce
        return lambda rows: reduce([f(rows) for f in funcs])
    return None


class Witnesses:
    """Checks and repairs of candidate configurations, vectorised over rows."""

    def __init__(
        self,
        constraints: Sequence[Constraint],
        codes: Sequence[str],
        implications: Sequence[tuple[str, str]],
        exclusions: Sequence[tuple[str, str]],
        any_of: Sequence[tuple[str, Sequence[str]]],
    ) -> None:
        self.codes = tuple(codes)
        index = {code: i for i, code in enumerate(self.codes)}
        self.size = len(self.codes)
        card_members: list[int] = []
        card_owner: list[int] = []
        card_min: list[int] = []
        card_max: list[int] = []
        self._generic: list[tuple[Column, np.ndarray]] = []
        self._python: list[Constraint] = []
        for c in constraints:
            if c.kind == "cardinality":
                members = sorted({index[code] for code in c.code_set if code in index})
                if not members:
                    if c.minimum > 0:
                        self._python.append(c)
                    continue
                if c.minimum == 0 and (c.maximum is None or c.maximum >= len(members)):
                    continue
                card_members.extend(members)
                card_owner.extend([len(card_min)] * len(members))
                card_min.append(c.minimum)
                card_max.append(len(members) if c.maximum is None else c.maximum)
                continue
            func = _vector(c.expr, index) if c.expr is not None else None
            if func is None:
                self._python.append(c)
            else:
                support = np.array(sorted(_codes(c.expr, index)), dtype=np.int64)  # type: ignore[arg-type]
                self._generic.append((func, support))
        self._card_members = np.array(card_members, dtype=np.int64)
        self._card_owner = np.array(card_owner, dtype=np.int64)
        self._card_min = np.array(card_min, dtype=np.int64)
        self._card_max = np.array(card_max, dtype=np.int64)
        self._card_first = np.searchsorted(self._card_owner, np.arange(len(card_min)))
        self._src = np.array([index[a] for a, _ in implications], dtype=np.int64)
        self._dst = np.array([index[b] for _, b in implications], dtype=np.int64)
        self._xa = np.array([index[a] for a, _ in exclusions], dtype=np.int64)
        self._xb = np.array([index[b] for _, b in exclusions], dtype=np.int64)
        any_src: list[int] = []
        any_members: list[int] = []
        any_owner: list[int] = []
        for k, (source, options) in enumerate(any_of):
            any_src.append(index[source])
            for option in options:
                any_members.append(index[option])
                any_owner.append(k)
        self._any_src = np.array(any_src, dtype=np.int64)
        self._any_members = np.array(any_members, dtype=np.int64)
        self._any_owner = np.array(any_owner, dtype=np.int64)
        self._any_first = np.searchsorted(self._any_owner, np.arange(len(any_src)))

    # --- checking -------------------------------------------------------------------------

    def valid(self, rows: np.ndarray, changed: np.ndarray | None = None) -> np.ndarray:
        """Per row: every constraint holds. ``changed`` (per code) limits the expression
        constraints checked to those mentioning a code set in some row differently from a
        configuration known to be valid (the rows' origins)."""
        ok = np.ones(rows.shape[0], dtype=bool)
        if not rows.shape[0]:
            return ok
        if self._card_min.size:
            counts = self._counts(rows)
            ok &= ((counts >= self._card_min) & (counts <= self._card_max)).all(axis=1)
        if self._src.size:
            ok &= ~(rows[:, self._src] & ~rows[:, self._dst]).any(axis=1)
        if self._xa.size:
            ok &= ~(rows[:, self._xa] & rows[:, self._xb]).any(axis=1)
        for func, support in self._generic:
            if changed is not None and not changed[support].any():
                continue
            ok &= func(rows)
        if self._python:
            for r in np.flatnonzero(ok).tolist():
                selected = {self.codes[i] for i in np.flatnonzero(rows[r]).tolist()}
                if not all(c.holds(selected) for c in self._python):
                    ok[r] = False
        return ok

    def _counts(self, rows: np.ndarray) -> np.ndarray:
        picked = rows[:, self._card_members].astype(np.int32)
        return np.add.reduceat(picked, self._card_first, axis=1)

    # --- repairing --------------------------------------------------------------------------

    def repair(self, rows: np.ndarray, on: np.ndarray, off: np.ndarray) -> np.ndarray:
        """Make the rows take the codes of ``on`` and drop those of ``off`` (both rows x codes,
        kept), changing other codes as unit propagation says (what a kept code needs comes
        in, what needs a code that went out goes out, siblings over a group's maximum go
        out), preferring to drop. Returns per row whether it is now valid; ``rows`` is changed
        in place (``on``/``off`` too: they gain what the repair fixed)."""
        original = rows.copy()
        rows |= on
        rows &= ~off
        failed = (on & off).any(axis=1)
        for _ in range(REPAIR_ROUNDS):
            changed = False
            # a -> b broken: b comes in when a is kept, else a goes out.
            if self._src.size:
                r, e = np.nonzero(rows[:, self._src] & ~rows[:, self._dst])
                if r.size:
                    changed = True
                    src, dst = self._src[e], self._dst[e]
                    keep = on[r, src]
                    rows[r[keep], dst[keep]] = True
                    on[r[keep], dst[keep]] = True
                    drop = ~keep
                    rows[r[drop], src[drop]] = False
                    off[r[drop], src[drop]] = True
            # not both a and b: the one not kept goes out.
            if self._xa.size:
                r, e = np.nonzero(rows[:, self._xa] & rows[:, self._xb])
                if r.size:
                    changed = True
                    a, b = self._xa[e], self._xb[e]
                    goes = np.where(on[r, a], b, a)
                    rows[r, goes] = False
                    off[r, goes] = True
            # groups over their maximum: members not kept go out; under their minimum: the
            # first member not excluded comes in.
            if self._card_min.size:
                counts = self._counts(rows)
                over = counts > self._card_max
                if over.any():
                    changed = True
                    hit = over[:, self._card_owner] & rows[:, self._card_members]
                    hit &= ~on[:, self._card_members]
                    r, m = np.nonzero(hit)
                    rows[r, self._card_members[m]] = False
                    off[r, self._card_members[m]] = True
                under = counts < self._card_min
                if under.any():
                    changed = True
                    self._bring_first(rows, on, off, under, self._card_members, self._card_owner)
            # "a requires one of bs" broken: a kept brings the first b allowed, else a goes.
            if self._any_src.size:
                has = np.add.reduceat(
                    rows[:, self._any_members].astype(np.int32), self._any_first, axis=1
                )
                broken = rows[:, self._any_src] & (has == 0)
                if broken.any():
                    changed = True
                    kept = broken & on[:, self._any_src]
                    r, k = np.nonzero(broken & ~kept)
                    rows[r, self._any_src[k]] = False
                    off[r, self._any_src[k]] = True
                    if kept.any():
                        self._bring_first(
                            rows, on, off, kept, self._any_members, self._any_owner
                        )
            failed |= (on & off).any(axis=1)
            if not changed:
                break
        touched = (rows != original).any(axis=0)
        return ~failed & self.valid(rows, touched)

    def _bring_first(
        self,
        rows: np.ndarray,
        on: np.ndarray,
        off: np.ndarray,
        wanting: np.ndarray,
        members: np.ndarray,
        owner: np.ndarray,
    ) -> None:
        """In each (row, set) of ``wanting``, the first member not excluded comes in."""
        allowed = wanting[:, owner] & ~off[:, members]
        # first allowed member per (row, owner): the lowest member position
        r, m = np.nonzero(allowed)
        if not r.size:
            return
        key = r * (owner.max() + 1) + owner[m]
        _, first = np.unique(key, return_index=True)
        r, m = r[first], m[first]
        rows[r, members[m]] = True
        on[r, members[m]] = True


def _codes(expr: Expr, index: dict[str, int]) -> set[int]:
    if isinstance(expr, Var):
        return {index[expr.code]}
    if isinstance(expr, Not):
        return _codes(expr.operand, index)
    if isinstance(expr, And | Or):
        found: set[int] = set()
        for o in expr.operands:
            found |= _codes(o, index)
        return found
    return set()
