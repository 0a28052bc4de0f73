"""The indexed checks of table and cardinality constraints against their reference meaning."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.rules.constraints import Constraint, TableIndex
from configurator.rules.validity import StructuralChecks

CODES = [f"G{g}-{o}" for g in range(4) for o in range(3)]
GROUPS = [[f"G{g}-{o}" for o in range(3)] for g in range(4)]


@st.composite
def tables(draw: st.DrawFn) -> Constraint:
    """A table over some groups (a group may be named twice), rows one code per column."""
    columns = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    rows = draw(st.lists(st.tuples(*(st.sampled_from(GROUPS[g]) for g in columns)), max_size=12))
    codes = tuple(dict.fromkeys(code for row in rows for code in row))
    return Constraint(
        id=f"t{draw(st.integers(0, 99))}",
        kind="table",
        message="table",
        codes=codes,
        rows=tuple(rows),
        allowed=draw(st.booleans()),
    )


@st.composite
def cardinalities(draw: st.DrawFn) -> Constraint:
    group = draw(st.integers(-1, 3))  # -1: a group without options
    low = draw(st.integers(0, 2))
    high = draw(st.one_of(st.none(), st.integers(low, 3)))
    return Constraint(
        id=f"group:g{group}",
        kind="cardinality",
        message="group",
        codes=tuple(GROUPS[group]) if group >= 0 else (),
        minimum=low,
        maximum=high,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(tables(), cardinalities()), min_size=1, max_size=6),
    st.lists(st.frozensets(st.sampled_from([*CODES, "OTHER"])), min_size=1, max_size=8),
)
def test_structural_checks_agree_with_holds(
    constraints: list[Constraint], selections: list[frozenset[str]]
) -> None:
    checks = pickle.loads(pickle.dumps(StructuralChecks(constraints)))
    for selected in selections:
        expected = [i for i, c in enumerate(constraints) if not c.holds(selected)]
        assert checks.broken(selected) == expected
        again = checks.broken(selected)  # the remembered answer, as a list of its own
        assert again == expected
        again.append(-1)
        assert checks.broken(selected) == expected
        assert checks.broken(set(selected)) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(CODES), min_size=1, max_size=4), max_size=10),
    st.frozensets(st.sampled_from(CODES)),
)
def test_table_index_matches_like_a_scan(rows: list[list[str]], selected: frozenset[str]) -> None:
    index = pickle.loads(pickle.dumps(TableIndex(rows)))
    assert index.matches(selected) == any(set(row) <= selected for row in rows)
