"""Rule expressions: grammar, precedence, columns of bad tokens, evaluation, round trips."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from configurator.expr import (
    And,
    Const,
    Expr,
    ExprSyntaxError,
    Not,
    Or,
    Var,
    evaluate,
    fold,
    parse,
    to_text,
    variables,
)


def test_precedence_not_then_and_then_or() -> None:
    expr = parse("A or B and not C")
    assert expr == Or((Var("A", 1), And((Var("B", 6), Not(Var("C", 16))))))


def test_parentheses_and_case_insensitive_keywords() -> None:
    expr = parse("(A OR B) And NOT (C)")
    assert expr == And((Or((Var("A", 2), Var("B", 7))), Not(Var("C", 19))))
    assert parse("true") == Const(True) and parse("False") == Const(False)


def test_variables_in_order_with_columns() -> None:
    found = variables(parse("PAINT-AMETHYST or  (PAINT-RACING-RED and not BADGE_X)"))
    assert [(v.code, v.column) for v in found] == [
        ("PAINT-AMETHYST", 1),
        ("PAINT-RACING-RED", 21),
        ("BADGE_X", 46),
    ]


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("", 1, "empty expression"),
        ("   ", 4, "empty expression"),
        ("A and", 6, "ends too early"),
        ("A & B", 3, "write 'and'"),
        ("A | B", 3, "write 'or'"),
        ("!A", 1, "write 'not'"),
        ("(A or B", 8, "missing ')'"),
        ("A or B)", 7, "unexpected ')'"),
        ("A B", 3, "unexpected 'B'"),
        ("A or or B", 6, "unexpected 'or'"),
        ("A and paint-red", 7, "codes are upper case"),
        ("A and ()", 8, "unexpected ')'"),
    ],
)
def test_syntax_errors_point_at_the_bad_token(text: str, column: int, words: str) -> None:
    with pytest.raises(ExprSyntaxError) as caught:
        parse(text)
    assert caught.value.column == column
    assert words in caught.value.message


def test_evaluate_against_sets_and_mappings() -> None:
    expr = parse("A and not (B or C)")
    assert evaluate(expr, {"A"}) is True
    assert evaluate(expr, frozenset({"A", "C"})) is False
    assert evaluate(expr, {"A": True, "B": False}) is True


def test_fold_translates_bottom_up() -> None:
    text = fold(
        parse("A or not B and C"),
        var=str.lower,
        const=str,
        not_=lambda x: f"!{x}",
        and_=lambda xs: "(" + "&".join(xs) + ")",
        or_=lambda xs: "(" + "|".join(xs) + ")",
    )
    assert text == "(a|(!b&c))"


CODES = ["A", "B", "C", "D"]


def _expressions() -> st.SearchStrategy[Expr]:
    leaves = st.one_of(st.sampled_from([Var(c) for c in CODES]), st.builds(Const, st.booleans()))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(Not, inner),
            st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
            st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        ),
        max_leaves=12,
    )


@given(_expressions())
def test_to_text_then_parse_means_the_same(expr: Expr) -> None:
    again = parse(to_text(expr))
    for values in itertools.product([False, True], repeat=len(CODES)):
        chosen = {code for code, on in zip(CODES, values, strict=True) if on}
        assert evaluate(again, chosen) == evaluate(expr, chosen)


@given(st.text(alphabet="AB()&| andortTRUE!-", max_size=20))
def test_parse_never_fails_other_than_with_a_syntax_error(text: str) -> None:
    try:
        expr = parse(text)
    except ExprSyntaxError as error:
        assert 1 <= error.column <= len(text) + 1
    else:
        assert all(1 <= v.column <= len(text) for v in variables(expr))
