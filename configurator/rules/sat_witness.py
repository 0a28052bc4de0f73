"""Witnesses without the solver, 256 at once: valid configurations made from known valid ones
by forcing a few codes in or out and repairing what that breaks, then checked against every
constraint.

The SAT engine's valid domains need a witness (a valid configuration) for every value still
possible; a solver call gives one configuration, and an "alternative" group of 231 options
needs 231 of them. Forcing each option into a copy of a known valid configuration (its
siblings out, what it needs in, what needs what went out out) is a unit propagation on that
copy. Here 256 copies are one bit each of four 64-bit words per code (bit ``j`` of
``rows[i, k]``: code ``i`` is in copy ``64 k + j``), so one numpy operation over the
constraints' arrays propagates in all of them at once. A copy is only used after
:meth:`Witnesses.valid` found every constraint satisfied in it, so a failed repair costs a
solver call later, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from configurator.expr import And, Const, Expr, Not, Or, Var
from configurator.rules.constraints import Constraint

WIDTH = 64  # copies per word
WORDS = 1  # words per code: copies repaired together
COPIES = WIDTH * WORDS
FULL = np.uint64(0xFFFFFFFFFFFFFFFF)
ZERO = np.uint64(0)
REPAIR_ROUNDS = 16  # propagation rounds per batch of copies


def pack(matrix: np.ndarray) -> np.ndarray:
    """Up to :data:`COPIES` rows of a bool matrix (rows x codes) as words (codes x WORDS)."""
    padded = np.zeros((matrix.shape[1], COPIES), dtype=bool)
    padded[:, : matrix.shape[0]] = matrix.T
    return _words(padded)


def unpack(words: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` rows (copies) of words made by :func:`pack`."""
    return _bits(words)[:, :count].T.astype(bool)


def _bits(words: np.ndarray) -> np.ndarray:
    """Words (len x WORDS) -> (len x COPIES) 0/1 per copy."""
    flat = np.ascontiguousarray(words).view(np.uint8).reshape(words.shape[0], -1)
    return np.unpackbits(flat, axis=1, bitorder="little")


def _words(bits: np.ndarray) -> np.ndarray:
    """(len x COPIES) bools -> words (len x WORDS)."""
    return np.ascontiguousarray(np.packbits(bits, axis=1, bitorder="little")).view("<u8")


def copies(words: np.ndarray) -> np.ndarray:
    """One word per copy group (WORDS,) -> a bool per copy (COPIES,)."""
    return _bits(words[None, :])[0].astype(bool)


def _source(expr: Expr, index: dict[str, int]) -> str | None:
    """Python source of the expression over ``r`` (one int per code, a bit per copy)."""
    if isinstance(expr, Var):
        i = index.get(expr.code)
        return None if i is None else f"r[{i}]"
    if isinstance(expr, Const):
        return "F" if expr.value else "0"
    if isinstance(expr, Not):
        inner = _source(expr.operand, index)
        return None if inner is None else f"(F ^ {inner})"
    if isinstance(expr, And | Or):
        parts = [_source(o, index) for o in expr.operands]
        if any(p is None for p in parts):
            return None
        joint = " & " if isinstance(expr, And) else " | "
        return "(" + joint.join(p for p in parts if p is not None) + ")"
    return None


class _GenericIndex(dict[str, int]):
    """Code -> position in the generic check's own list of codes (``codes``), given a
    position on first use: the check then reads only the codes it mentions."""

    def __init__(self, index: dict[str, int], codes: list[int]) -> None:
        super().__init__()
        self._index, self._codes = index, codes
        self._seen: dict[int, int] = {}

    def get(self, code: str, default: int | None = None) -> int | None:  # type: ignore[override]
        i = self._index.get(code)
        if i is None:
            return default
        if i not in self._seen:
            self._seen[i] = len(self._codes)
            self._codes.append(i)
        return self._seen[i]


MAX_CLAUSES = 32  # a constraint's clauses (over codes) beyond which it is only checked


def _cnf(expr: Expr, index: dict[str, int], negate: bool = False) -> list[frozenset[int]] | None:
    """The expression as clauses of signed code literals (code ``i`` is ``i + 1``), by
    distribution; None when a code is unknown or it takes more than :data:`MAX_CLAUSES`."""
    if isinstance(expr, Var):
        i = index.get(expr.code)
        if i is None:
            return None
        return [frozenset([-(i + 1) if negate else i + 1])]
    if isinstance(expr, Const):
        return [] if bool(expr.value) != negate else [frozenset()]
    if isinstance(expr, Not):
        return _cnf(expr.operand, index, not negate)
    if isinstance(expr, And | Or):
        parts = [_cnf(o, index, negate) for o in expr.operands]
        if any(p is None for p in parts):
            return None
        conjunction = isinstance(expr, And) != negate
        if conjunction:
            joined = [c for p in parts if p is not None for c in p]
            return joined if len(joined) <= MAX_CLAUSES else None
        product: list[frozenset[int]] = [frozenset()]
        for p in parts:
            assert p is not None
            product = [a | b for a in product for b in p]
            if len(product) > MAX_CLAUSES:
                return None
        return [c for c in product if not any(-lit in c for lit in c)]
    return None


def _first_bits(candidates: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per word of ``candidates`` (segments by ``owner``, contiguous), only the bits of the
    first candidate in its segment for each copy."""
    result = np.zeros_like(candidates)
    some = np.flatnonzero(candidates.any(axis=1))
    if some.size:
        result[some] = _first_of(candidates[some], owner[some])
    return result


def _first_of(candidates: np.ndarray, owner: np.ndarray) -> np.ndarray:
    allowed = _bits(candidates).astype(np.int32)
    running = np.cumsum(allowed, axis=0)
    first = np.flatnonzero(np.diff(owner, prepend=-1))
    before = np.zeros_like(running[: first.size])
    before[1:] = running[first[1:] - 1]
    lengths = np.diff(first, append=owner.size)
    return _words((allowed == 1) & (running - np.repeat(before, lengths, axis=0) == 1))


def _segments(owner: np.ndarray, count: int) -> np.ndarray:
    return np.searchsorted(owner, np.arange(count))


class _Incidence:
    """For each code, the items (edges, groups, sets) that mention it (CSR)."""

    def __init__(self, codes: np.ndarray, items: np.ndarray, size: int) -> None:
        order = np.argsort(codes, kind="stable")
        self.items = items[order]
        self._mark = np.zeros(int(items.max()) + 1 if items.size else 0, dtype=bool)
        self.start = np.searchsorted(codes[order], np.arange(size + 1))

    def of(self, codes: np.ndarray) -> np.ndarray:
        """The items mentioning any of ``codes``, each once."""
        begin, end = self.start[codes], self.start[codes + 1]
        lengths = end - begin
        total = int(lengths.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        ends = np.cumsum(lengths)
        offsets = np.repeat(begin - (ends - lengths), lengths)
        found = self.items[offsets + np.arange(total)]
        if found.size * 8 < self._mark.size:
            return np.unique(found)
        mark = self._mark
        mark[found] = True
        result = np.flatnonzero(mark)
        mark[result] = False
        return result


def _members(first: np.ndarray, total: int, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into a members array segmented at ``first``) of the chosen segments' members,
    and each one's segment number in ``chosen`` order."""
    stop = np.append(first[1:], total)
    lengths = stop[chosen] - first[chosen]
    count = int(lengths.sum())
    owner = np.repeat(np.arange(chosen.size), lengths)
    ends = np.cumsum(lengths)
    offsets = np.repeat(first[chosen] - (ends - lengths), lengths)
    return offsets + np.arange(count), owner


class Witnesses:
    """Checks and repairs of candidate configurations, 64 per word."""

    def __init__(
        self,
        constraints: Sequence[Constraint],
        codes: Sequence[str],
        exact: Callable[[Constraint], tuple[list[tuple[str, str, bool]], tuple[str, ...] | None]],
    ) -> None:
        """``exact(c)``: the implications/exclusions (a, b, positive) and the "a requires one
        of" options that state constraint ``c`` exactly (empty and None when they do not)."""
        self.codes = tuple(codes)
        index = {code: i for i, code in enumerate(self.codes)}
        self.size = len(self.codes)
        card_members: list[int] = []
        card_owner: list[int] = []
        card_min: list[int] = []
        card_max: list[int] = []
        implications: list[tuple[int, int]] = []
        exclusions: list[tuple[int, int]] = []
        any_src: list[int] = []
        any_members: list[int] = []
        any_owner: list[int] = []
        lines: list[str] = []
        clause_var: list[int] = []
        clause_pos: list[bool] = []
        clause_owner: list[int] = []
        clause_count = 0
        generic_codes: list[int] = []  # the codes the generic check reads, in its order
        generic_index = _GenericIndex(index, generic_codes)
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
            binary, needs = exact(c)
            if binary and all(a in index and b in index for a, b, _ in binary):
                for a, b, positive in binary:
                    (implications if positive else exclusions).append((index[a], index[b]))
                continue
            if needs is not None:
                source, options = needs[0], needs[1:]
                if source in index and all(o in index for o in options):
                    any_src.append(index[source])
                    for option in options:
                        any_members.append(index[option])
                        any_owner.append(len(any_src) - 1)
                    continue
            clauses = _cnf(c.expr, index) if c.expr is not None else None
            if clauses is not None and all(clauses):
                for clause in clauses:
                    for lit in sorted(clause):
                        clause_var.append(abs(lit) - 1)
                        clause_pos.append(lit > 0)
                        clause_owner.append(clause_count)
                    clause_count += 1
                continue
            text = _source(c.expr, generic_index) if c.expr is not None else None
            if text is None:
                self._python.append(c)
            else:
                lines.append(f"    ok &= {text}")
        namespace: dict[str, object] = {"F": int(FULL)}
        body = "\n".join(lines) or "    pass"
        exec(f"def check(r):\n    ok = F\n{body}\n    return ok\n", namespace)  # noqa: S102
        self._generic: Callable[[list[int]], int] = namespace["check"]  # type: ignore[assignment]
        self._generic_codes = np.array(generic_codes, dtype=np.int64)
        self._card_members = np.array(card_members, dtype=np.int64)
        self._card_owner = np.array(card_owner, dtype=np.int64)
        self._card_min = np.array(card_min, dtype=np.int64)
        self._card_max = np.array(card_max, dtype=np.int64)
        self._card_first = _segments(self._card_owner, len(card_min))
        pairs = np.array(implications, dtype=np.int64).reshape(-1, 2)
        self._src, self._dst = pairs[:, 0].copy(), pairs[:, 1].copy()
        pairs = np.array(exclusions, dtype=np.int64).reshape(-1, 2)
        self._xa, self._xb = pairs[:, 0].copy(), pairs[:, 1].copy()
        self._any_src = np.array(any_src, dtype=np.int64)
        self._any_members = np.array(any_members, dtype=np.int64)
        self._any_owner = np.array(any_owner, dtype=np.int64)
        self._any_first = _segments(self._any_owner, len(any_src))
        self._lit_var = np.array(clause_var, dtype=np.int64)
        self._lit_pos = np.array(clause_pos, dtype=bool)
        self._lit_owner = np.array(clause_owner, dtype=np.int64)
        self._clause_first = _segments(self._lit_owner, clause_count)
        size = self.size
        self._clauses_of = _Incidence(self._lit_var, self._lit_owner, size)
        edges = np.arange(self._src.size)
        self._impl_of = _Incidence(np.r_[self._src, self._dst], np.r_[edges, edges], size)
        edges = np.arange(self._xa.size)
        self._excl_of = _Incidence(np.r_[self._xa, self._xb], np.r_[edges, edges], size)
        self._card_of = _Incidence(self._card_members, self._card_owner, size)
        sets = np.arange(self._any_src.size)
        self._any_of = _Incidence(
            np.r_[self._any_src, self._any_members], np.r_[sets, self._any_owner], size
        )

    # --- checking -------------------------------------------------------------------------

    def valid_words(self, rows: np.ndarray, changed: np.ndarray | None = None) -> np.ndarray:
        """Words (WORDS,): bit set when every constraint holds in that copy. With ``changed``
        (the codes where some copy differs from a valid configuration it came from), only the
        constraints that mention one of them are checked."""
        bad = np.zeros(rows.shape[1], dtype=np.uint64)
        if changed is None:
            groups = np.arange(self._card_min.size)
            impl = np.arange(self._src.size)
            excl = np.arange(self._xa.size)
            sets = np.arange(self._any_src.size)
        else:
            groups = self._card_of.of(changed)
            impl = self._impl_of.of(changed)
            excl = self._excl_of.of(changed)
            sets = self._any_of.of(changed)
        if groups.size:
            _, _, under, over = self._limits(rows, groups)
            bad |= np.bitwise_or.reduce(under | over, axis=0)
        if impl.size:
            bad |= np.bitwise_or.reduce(rows[self._src[impl]] & ~rows[self._dst[impl]], axis=0)
        if excl.size:
            bad |= np.bitwise_or.reduce(rows[self._xa[excl]] & rows[self._xb[excl]], axis=0)
        if sets.size:
            where, owner = _members(self._any_first, self._any_members.size, sets)
            has = np.bitwise_or.reduceat(
                rows[self._any_members[where]], _segments(owner, sets.size)
            )
            bad |= np.bitwise_or.reduce(rows[self._any_src[sets]] & ~has, axis=0)
        clauses = (
            np.arange(self._clause_first.size) if changed is None else self._clauses_of.of(changed)
        )
        if clauses.size:
            bad |= np.bitwise_or.reduce(self._violated(rows, clauses)[0], axis=0)
        ok = ~bad
        if self._generic_codes.size:
            read = rows[self._generic_codes]
            ok &= np.array(
                [self._generic(read[:, k].tolist()) for k in range(rows.shape[1])], np.uint64
            )
        if self._python:
            for j in np.flatnonzero(copies(ok)).tolist():
                word, bit = divmod(j, WIDTH)
                column = rows[:, word] >> np.uint64(bit) & np.uint64(1)
                selected = {self.codes[i] for i in np.flatnonzero(column)}
                if not all(c.holds(selected) for c in self._python):
                    ok[word] &= ~np.uint64(1 << bit)
        return ok

    def _limits(
        self, rows: np.ndarray, groups: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The members of the cardinality constraints ``groups`` (codes, and each one's
        position in ``groups``), and per constraint the copies under its minimum and over its
        maximum. At most / at least one (nearly all) by OR over the members and OR of each
        member with those before it; other bounds by counting."""
        where, owner = _members(self._card_first, self._card_members.size, groups)
        members = self._card_members[where]
        first = _segments(owner, groups.size)
        low, high = self._card_min[groups], self._card_max[groups]
        x = rows[members]
        if (low <= 1).all() and (high <= 1).all():
            once = np.bitwise_or.reduceat(x, first)
            zero = np.uint64(0)
            under = np.where((low == 1)[:, None], ~once, zero)
            lengths = np.diff(first, append=owner.size)
            width = int(lengths.max())
            twice = np.zeros_like(once)
            if width > 1:
                padded = np.zeros((groups.size, width, x.shape[1]), dtype=np.uint64)
                padded[owner, np.arange(owner.size) - first[owner]] = x
                before = np.bitwise_or.accumulate(padded, axis=1)
                twice = np.bitwise_or.reduce(padded[:, 1:] & before[:, :-1], axis=1)
            over = np.where((high == 0)[:, None], once, np.where((high == 1)[:, None], twice, zero))
            return members, owner, under, over
        counts = np.add.reduceat(_bits(x).astype(np.int32), first, axis=0)
        under = _words(counts < low[:, None])
        over = _words(counts > high[:, None])
        return members, owner, under, over

    def _violated(
        self, rows: np.ndarray, clauses: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per clause of ``clauses``: the copies where it is false; and its literals'
        positions and owners (index into ``clauses``)."""
        where, owner = _members(self._clause_first, self._lit_var.size, clauses)
        values = rows[self._lit_var[where]]
        false = np.where(self._lit_pos[where][:, None], ~values, values)
        return np.bitwise_and.reduceat(false, _segments(owner, clauses.size)), where, owner

    def valid(self, matrix: np.ndarray) -> np.ndarray:
        """Per row of a bool matrix (rows x codes): every constraint holds."""
        result = np.zeros(matrix.shape[0], dtype=bool)
        for start in range(0, matrix.shape[0], COPIES):
            part = matrix[start : start + COPIES]
            result[start : start + part.shape[0]] = copies(self.valid_words(pack(part)))[
                : part.shape[0]
            ]
        return result

    # --- repairing --------------------------------------------------------------------------

    def repair(
        self, matrix: np.ndarray, on: np.ndarray, off: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``matrix`` (rows x codes, valid configurations) made to take the codes
        of ``on`` and drop those of ``off`` (same shape), other codes changed as unit
        propagation says (what a kept code needs comes in, what needs a code that went out
        goes out, members over a group's maximum go out), preferring to drop. Returns the
        repaired rows and per row whether it is valid."""
        rows_out = np.empty_like(matrix)
        good = np.zeros(matrix.shape[0], dtype=bool)
        for start in range(0, matrix.shape[0], COPIES):
            stop = min(start + COPIES, matrix.shape[0])
            words, ok = self._repair_words(
                pack(matrix[start:stop]), pack(on[start:stop]), pack(off[start:stop])
            )
            rows_out[start:stop] = unpack(words, stop - start)
            good[start:stop] = copies(ok)[: stop - start]
        return rows_out, good

    def swaps(
        self,
        base: np.ndarray,
        fixed_true: np.ndarray,
        fixed_false: np.ndarray,
        targets: np.ndarray,
        inward: np.ndarray,
        row_of: np.ndarray,
        keep: int = 4,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Copies of the valid configuration ``base`` (bools per code) with each code of
        ``targets`` forced in (``inward``) or out in copy ``row_of``, and the fixed codes kept.
        Returns per code whether some valid copy has it and lacks it, up to ``keep`` valid
        copies per batch (rows x codes), and every batch as words with its valid copies' bits
        (for :meth:`transfer` after the next choice)."""
        has = np.zeros(self.size, dtype=bool)
        lacks = np.zeros(self.size, dtype=bool)
        found: list[np.ndarray] = []
        batches: list[tuple[np.ndarray, np.ndarray]] = []
        shape = (self.size, WORDS)
        start_rows = np.where(base[:, None], FULL, ZERO) * np.ones(shape, dtype=np.uint64)
        start_on = np.where(fixed_true[:, None], FULL, ZERO) * np.ones(shape, dtype=np.uint64)
        start_off = np.where(fixed_false[:, None], FULL, ZERO) * np.ones(shape, dtype=np.uint64)
        for start in range(0, int(row_of.max()) + 1, COPIES):
            part = (row_of >= start) & (row_of < start + COPIES)
            word, bit = np.divmod(row_of[part] - start, WIDTH)
            mask = np.left_shift(np.uint64(1), bit.astype(np.uint64))
            codes, ins = targets[part], inward[part]
            on, off = start_on.copy(), start_off.copy()
            np.bitwise_or.at(on, (codes[ins], word[ins]), mask[ins])
            np.bitwise_or.at(off, (codes[~ins], word[~ins]), mask[~ins])
            words, ok = self._repair_words(start_rows, on, off)
            has |= (words & ok).any(axis=1)
            lacks |= (~words & ok).any(axis=1)
            good = np.flatnonzero(copies(ok))[:keep]
            if good.size:
                found.append(unpack(words, COPIES)[good])
                batches.append((words, ok))
        rows = np.concatenate(found) if found else np.zeros((0, self.size), dtype=bool)
        return has, lacks, rows, batches

    def transfer(
        self,
        batches: Sequence[tuple[np.ndarray, np.ndarray]],
        fixed_true: np.ndarray,
        fixed_false: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Valid copies kept from earlier steps (words and their valid bits), repaired to take
        the fixed codes: a new choice changes few codes in each, so this costs far less than
        forcing every code again. Returns per code whether some valid copy has it and lacks
        it, and the batches that still hold valid copies."""
        if not batches:
            return np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=bool), []
        # All batches side by side, one repair: the same few codes change in each.
        words = np.concatenate([w for w, _ in batches], axis=1)
        valid = np.concatenate([v for _, v in batches])
        shape = (1, words.shape[1])
        on = np.where(fixed_true[:, None], FULL, ZERO) * np.ones(shape, np.uint64)
        off = np.where(fixed_false[:, None], FULL, ZERO) * np.ones(shape, np.uint64)
        repaired, ok = self._repair_words(words, on, off)
        ok &= valid  # only copies that were valid: the check after a repair looks at changes
        has = (repaired & ok).any(axis=1)
        lacks = (~repaired & ok).any(axis=1)
        kept = [
            (repaired[:, start : start + WORDS], ok[start : start + WORDS])
            for start in range(0, words.shape[1], WORDS)
            if ok[start : start + WORDS].any()
        ]
        return has, lacks, kept

    def _repair_words(
        self, rows: np.ndarray, on: np.ndarray, off: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The propagation of :meth:`repair` on words; only what mentions a code changed in
        the last round is looked at again."""
        original = rows
        rows = (rows | on) & ~off
        failed = np.bitwise_or.reduce(on & off, axis=0)
        dirty = np.flatnonzero((rows != original).any(axis=1))
        for _ in range(REPAIR_ROUNDS):
            if not dirty.size:
                break
            before = rows.copy()
            # a -> b broken: b comes in where a is kept, else a goes out.
            hit = self._impl_of.of(dirty)
            if hit.size:
                src, dst = self._src[hit], self._dst[hit]
                broken = rows[src] & ~rows[dst]
                keep = broken & on[src]
                np.bitwise_or.at(rows, dst, keep)
                np.bitwise_or.at(on, dst, keep)
                drop = broken & ~on[src]
                np.bitwise_and.at(rows, src, ~drop)
                np.bitwise_or.at(off, src, drop)
            # not both a and b: the one not kept goes out.
            hit = self._excl_of.of(dirty)
            if hit.size:
                a, b = self._xa[hit], self._xb[hit]
                both = rows[a] & rows[b]
                drop_b = both & on[a]
                drop_a = both & ~on[a]
                np.bitwise_and.at(rows, b, ~drop_b)
                np.bitwise_or.at(off, b, drop_b)
                np.bitwise_and.at(rows, a, ~drop_a)
                np.bitwise_or.at(off, a, drop_a)
            # groups over their maximum: members not kept go out; under their minimum: the
            # first member allowed comes in.
            groups = self._card_of.of(dirty)
            if groups.size:
                members, owner, under, over = self._limits(rows, groups)
                if over.any():
                    drop = over[owner] & rows[members] & ~on[members]
                    np.bitwise_and.at(rows, members, ~drop)
                    np.bitwise_or.at(off, members, drop)
                if under.any():
                    self._bring_first(rows, on, off, under, members, owner)
            # "a requires one of bs" broken: a kept brings the first b allowed, else a goes.
            sets = self._any_of.of(dirty)
            if sets.size:
                where, owner = _members(self._any_first, self._any_members.size, sets)
                members = self._any_members[where]
                has = np.bitwise_or.reduceat(rows[members], _segments(owner, sets.size))
                source = self._any_src[sets]
                broken = rows[source] & ~has
                if broken.any():
                    kept = broken & on[source]
                    drop = broken & ~kept
                    np.bitwise_and.at(rows, source, ~drop)
                    np.bitwise_or.at(off, source, drop)
                    if kept.any():
                        self._bring_first(rows, on, off, kept, members, owner)
            # other clauses false: a code not kept that falsifies one goes out, else the
            # first code allowed that satisfies one comes in.
            clauses = self._clauses_of.of(dirty)
            if clauses.size:
                violated, where, owner = self._violated(rows, clauses)
                if violated.any():
                    var, pos = self._lit_var[where], self._lit_pos[where]
                    pos = pos[:, None]
                    drop = _first_bits(np.where(pos, ZERO, violated[owner] & ~on[var]), owner)
                    dropped = np.bitwise_or.reduceat(drop, _segments(owner, clauses.size))
                    want = violated & ~dropped
                    bring = _first_bits(np.where(pos, want[owner] & ~off[var], ZERO), owner)
                    np.bitwise_and.at(rows, var, ~drop)
                    np.bitwise_or.at(off, var, drop)
                    np.bitwise_or.at(rows, var, bring)
                    np.bitwise_or.at(on, var, bring)
            failed |= np.bitwise_or.reduce(on & off, axis=0)
            dirty = np.flatnonzero((rows != before).any(axis=1))
        if dirty.size:
            failed[:] = FULL  # did not settle: not trusted
        changed = np.flatnonzero((rows != original).any(axis=1))
        return rows, ~failed & self.valid_words(rows, changed)

    def _bring_first(
        self,
        rows: np.ndarray,
        on: np.ndarray,
        off: np.ndarray,
        wanting: np.ndarray,
        members: np.ndarray,
        owner: np.ndarray,
    ) -> None:
        """In each set (and copy) of ``wanting`` (one word per set; ``owner``: each member's
        set, sets contiguous), the first member not excluded comes in."""
        words = _first_bits(wanting[owner] & ~off[members], owner)
        np.bitwise_or.at(rows, members, words)
        np.bitwise_or.at(on, members, words)
