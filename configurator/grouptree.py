"""The feature tree of a catalog's groups, for moving around a model of thousands of groups.

A group with ``under: CODE`` (imported UVL models: the parent feature's option) refines that
option; a group without one sits at the top. :class:`GroupTree` indexes the steps of a
configure session by that relation: each step's parent step, the steps under each option,
a depth-first (pre)order of all steps and, for each step, the range of that order holding
everything under it, so that "how many groups under here, how many decided" is a slice count
and not a walk. Pure data: no rules engine, no terminal.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Branch:
    """A step as a list of the tree shows it: where it hangs and what is under it."""

    index: int  # the step's index in the session
    depth: int  # 0 at the top of the tree
    under: str | None  # the option it refines (None at the top)
    groups: int  # groups anywhere under it (itself not counted)
    decided: int  # of those, groups where the buyer has made a choice
    out: int  # of those, groups whose option is not in the car (nothing to choose there now)


class GroupTree:
    """Steps arranged by the option each refines (see the module docstring)."""

    def __init__(self, step_codes: Sequence[Sequence[str]], under: Sequence[str | None]) -> None:
        """``step_codes``: each step's option codes; ``under``: each step's parent option."""
        self.size = len(step_codes)
        self.under = tuple(under)
        step_of = {code: i for i, codes in enumerate(step_codes) for code in codes}
        self.parent: tuple[int | None, ...] = tuple(
            step_of.get(code) if code is not None else None for code in self.under
        )
        below: dict[str, list[int]] = {}
        tops: list[int] = []
        for index, code in enumerate(self.under):
            if code is None or code not in step_of:
                tops.append(index)
            else:
                below.setdefault(code, []).append(index)
        self.below: dict[str, tuple[int, ...]] = {c: tuple(s) for c, s in below.items()}
        self.children: tuple[tuple[int, ...], ...] = tuple(
            tuple(j for code in codes for j in self.below.get(code, ())) for codes in step_codes
        )
        self.tops = tuple(tops)
        order: list[int] = []
        end = [0] * self.size
        depth = [0] * self.size
        seen = [False] * self.size
        # Depth first, without recursion: a feature tree may be deeper than Python's stack.
        for top in self.tops:
            stack: list[tuple[int, int]] = [(top, 0)]
            while stack:
                node, state = stack.pop()
                if state == 1:
                    end[node] = len(order)
                    continue
                if seen[node]:
                    continue
                seen[node] = True
                order.append(node)
                stack.append((node, 1))
                for child in reversed(self.children[node]):
                    if not seen[child]:
                        depth[child] = depth[node] + 1
                        stack.append((child, 0))
        for index in range(self.size):  # a cycle of `under` (refused by validation): at the end
            if not seen[index]:
                seen[index] = True
                order.append(index)
                end[index] = len(order)
        self.order = tuple(order)
        self.position = {step: i for i, step in enumerate(order)}
        self.end = tuple(end)
        self.depth = tuple(depth)

    @classmethod
    def of(
        cls, step_codes: Sequence[Sequence[str]], under: Sequence[str | None]
    ) -> GroupTree | None:
        """The tree, or None when no step refines an option (a flat catalog)."""
        if not any(code is not None for code in under):
            return None
        return cls(step_codes, under)

    def descendants(self, index: int) -> tuple[int, ...]:
        """Every step under ``index``, depth first."""
        return self.order[self.position[index] + 1 : self.end[index]]

    def ancestors(self, index: int) -> tuple[int, ...]:
        """The steps above ``index``, from the top down."""
        chain: list[int] = []
        parent = self.parent[index]
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self.parent[parent]
        return tuple(reversed(chain))

    def path(self, index: int) -> tuple[str, ...]:
        """The option codes leading to ``index`` from the top (its own ``under`` last)."""
        codes = [self.under[i] for i in (*self.ancestors(index), index)]
        return tuple(c for c in codes if c is not None)

    def branch(self, index: int, decided: Collection[int], selected: Collection[str]) -> Branch:
        """``index`` with its counts: ``decided`` are steps with a buyer's choice, ``selected``
        the option codes in the car."""
        below = self.descendants(index)
        return Branch(
            index=index,
            depth=self.depth[index],
            under=self.under[index],
            groups=len(below),
            decided=sum(1 for j in below if j in decided),
            out=sum(1 for j in below if self.under[j] not in selected),
        )

    def in_car(self, index: int, selected: Collection[str]) -> bool:
        """Whether the option a step refines is in the car (a top step always is)."""
        code = self.under[index]
        return code is None or code in selected

    def next_in_car(self, index: int, selected: Collection[str], step: int) -> int | None:
        """The next (``step`` = 1) or previous (-1) step in depth-first order whose option is
        in the car; None past either end."""
        position = self.position[index] + step
        while 0 <= position < self.size:
            candidate = self.order[position]
            if self.in_car(candidate, selected):
                return candidate
            position += step
        return None


def decided_steps(step_of: Mapping[str, int], chosen: Collection[str]) -> frozenset[int]:
    """The steps where the buyer has made a choice."""
    return frozenset(step_of[c] for c in chosen if c in step_of)
