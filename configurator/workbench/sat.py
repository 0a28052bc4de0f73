"""Satisfiability questions over a catalog's constraints, with constraints left out at will.

The rules engine answers questions about the whole solution space on its BDD; lint needs
questions about *parts* of the constraints ("do the others imply this rule?") and about
arbitrary expressions ("can this price rule's condition hold on a valid car?"). Both are one
SAT call each on the engine's own CNF encoding (one selector literal per constraint), so the
meaning of validity stays the one of :mod:`configurator.rules.constraints`.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterable
from typing import Any

from configurator.expr import Expr, fold
from configurator.rules.compile import Problem, encode_cnf


class ConstraintSat:
    """A SAT solver loaded with a problem's constraints, each switched on by its selector."""

    def __init__(self, problem: Problem) -> None:
        from pysat.solvers import Solver

        self.problem = problem
        self.cnf = encode_cnf(problem)
        self.top = self.cnf.top
        self.solver: Any = Solver(name="g4", bootstrap_with=self.cnf.clauses)
        weakref.finalize(self, self.solver.delete)
        self.true = self._fresh()
        self.solver.add_clause([self.true])
        self._memo: dict[Expr, int] = {}

    def _fresh(self) -> int:
        self.top += 1
        return self.top

    def literal(self, expr: Expr) -> int:
        """A literal equivalent to ``expr`` (Tseitin, both directions)."""
        if expr in self._memo:
            return self._memo[expr]

        def and_(lits: list[int]) -> int:
            t = self._fresh()
            for lit in lits:
                self.solver.add_clause([-t, lit])
            self.solver.add_clause([t, *(-lit for lit in lits)])
            return t

        def or_(lits: list[int]) -> int:
            t = self._fresh()
            for lit in lits:
                self.solver.add_clause([t, -lit])
            self.solver.add_clause([-t, *lits])
            return t

        lit = fold(
            expr,
            var=lambda code: self.cnf.var[code],
            const=lambda value: self.true if value else -self.true,
            not_=lambda inner: -inner,
            and_=and_,
            or_=or_,
        )
        self._memo[expr] = lit
        return lit

    def solve(
        self, holding: Iterable[Expr] = (), without: Collection[int] = ()
    ) -> frozenset[str] | None:
        """A selection meeting every constraint but those at the indexes ``without`` (of
        ``problem.constraints``) on which every expression of ``holding`` holds, or None."""
        assumptions = [
            selector for index, selector in enumerate(self.cnf.selector) if index not in without
        ]
        assumptions += [self.literal(expr) for expr in holding]
        if not self.solver.solve(assumptions=assumptions):
            return None
        model = set(lit for lit in self.solver.get_model() or () if lit > 0)
        return frozenset(code for code, var in self.cnf.var.items() if var in model)
