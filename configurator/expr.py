"""Rule expressions: option codes combined with ``and``, ``or``, ``not`` and parentheses.

A small recursive-descent parser (no ``eval``) that reports the column of a bad token::

    expr   := or
    or     := and ("or" and)*
    and    := unary ("and" unary)*
    unary  := "not" unary | atom
    atom   := CODE | "true" | "false" | "(" expr ")"

Precedence: ``not`` binds tightest, then ``and``, then ``or``. Keywords are case-insensitive;
codes are upper case (``PAINT-AMETHYST``). Nesting (parentheses and ``not``) is limited to
:data:`MAX_DEPTH` levels, so that no expression can exhaust the stack of the parser or of the
recursive walks over its tree (evaluation, compilation, rendering).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MAX_DEPTH = 50  # levels of parentheses and 'not'; real rules use a handful
MAX_LENGTH = 20_000  # characters in one expression


class ExprSyntaxError(ValueError):
    """A malformed expression; ``column`` is 1-based within the expression text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Var:
    code: str
    column: int = 0


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Var | Const | Not | And | Or

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<word>[A-Za-z0-9][A-Za-z0-9_-]*)|(?P<bad>\S))")
_KEYWORDS = {"and", "or", "not", "true", "false"}


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "and", "or", "not", "true", "false", "code", "end"
    text: str
    column: int


def _tokens(text: str) -> Iterator[_Token]:
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing whitespace is left
            break
        position = match.end()
        column = match.start(match.lastgroup or 0) + 1
        if match.group("paren"):
            yield _Token(match.group("paren"), match.group("paren"), column)
        elif match.group("word"):
            word = match.group("word")
            if word.lower() in _KEYWORDS:
                yield _Token(word.lower(), word, column)
            else:
                yield _Token("code", word, column)
        else:
            bad = match.group("bad")
            hint = {"&": "and", "|": "or", "!": "not", "~": "not"}.get(bad)
            message = f"unexpected character '{bad}'" + (f" (write '{hint}')" if hint else "")
            raise ExprSyntaxError(message, column)
    yield _Token("end", "", len(text) + 1)


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise ExprSyntaxError(
                f"the expression has {len(text):,} characters, over the limit of "
                f"{MAX_LENGTH:,}: split it into several rules",
                1,
            )
        self.tokens = list(_tokens(text))
        self.index = 0
        self.depth = 0

    def deeper(self, token: _Token) -> None:
        """One more level of nesting at ``token`` (a '(' or a 'not')."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprSyntaxError(
                f"the expression nests more than {MAX_DEPTH} levels deep (parentheses and "
                f"'not'): simplify it, e.g. 'not not X' is X",
                token.column,
            )

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Expr:
        if self.current.kind == "end":
            raise ExprSyntaxError("empty expression", self.current.column)
        expr = self.parse_or()
        if self.current.kind != "end":
            token = self.current
            what = "')'" if token.kind == ")" else f"'{token.text}'"
            raise ExprSyntaxError(
                f"unexpected {what}: expected 'and', 'or' or the end", token.column
            )
        return expr

    def parse_or(self) -> Expr:
        operands = [self.parse_and()]
        while self.current.kind == "or":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Expr:
        operands = [self.parse_unary()]
        while self.current.kind == "and":
            self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Expr:
        if self.current.kind == "not":
            self.deeper(self.take())
            operand = self.parse_unary()
            self.depth -= 1
            return Not(operand)
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        token = self.take()
        if token.kind == "code":
            if token.text != token.text.upper():
                raise ExprSyntaxError(
                    f"'{token.text}' is not a code: codes are upper case "
                    f"(did you mean '{token.text.upper()}'?)",
                    token.column,
                )
            return Var(token.text, token.column)
        if token.kind in ("true", "false"):
            return Const(token.kind == "true")
        if token.kind == "(":
            self.deeper(token)
            inner = self.parse_or()
            self.depth -= 1
            closing = self.current
            if closing.kind != ")":
                raise ExprSyntaxError("missing ')'", closing.column)
            self.take()
            return inner
        if token.kind == "end":
            raise ExprSyntaxError("the expression ends too early: expected a code", token.column)
        raise ExprSyntaxError(f"unexpected '{token.text}': expected a code", token.column)


@functools.lru_cache(maxsize=32_768)
def parse(text: str) -> Expr:
    """Parse an expression; raise :class:`ExprSyntaxError` with the column of a bad token.

    Expressions are immutable, so a text read again (the checks and the rules engine read
    every rule) is parsed once (the last 32,768 texts are remembered)."""
    return _Parser(text).parse()


def variables(expr: Expr) -> list[Var]:
    """Every code the expression names, in order of appearance (with columns)."""
    found: list[Var] = []

    def walk(node: Expr) -> None:
        if isinstance(node, Var):
            found.append(node)
        elif isinstance(node, Not):
            walk(node.operand)
        elif isinstance(node, And | Or):
            for operand in node.operands:
                walk(operand)

    walk(expr)
    return found


def evaluate(expr: Expr, chosen: Mapping[str, bool] | set[str] | frozenset[str]) -> bool:
    """Evaluate against a set of chosen codes (or a code -> bool mapping)."""
    if isinstance(expr, Var):
        if isinstance(chosen, set | frozenset):
            return expr.code in chosen
        return bool(chosen.get(expr.code, False))
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Not):
        return not evaluate(expr.operand, chosen)
    if isinstance(expr, And):
        return all(evaluate(o, chosen) for o in expr.operands)
    return any(evaluate(o, chosen) for o in expr.operands)


def fold(
    expr: Expr,
    *,
    var: Callable[[str], T],
    const: Callable[[bool], T],
    not_: Callable[[T], T],
    and_: Callable[[list[T]], T],
    or_: Callable[[list[T]], T],
) -> T:
    """Translate an expression bottom-up (into a BDD, a SAT encoding, or text)."""

    def go(node: Expr) -> T:
        if isinstance(node, Var):
            return var(node.code)
        if isinstance(node, Const):
            return const(node.value)
        if isinstance(node, Not):
            return not_(go(node.operand))
        if isinstance(node, And):
            return and_([go(o) for o in node.operands])
        return or_([go(o) for o in node.operands])

    return go(expr)


def to_text(expr: Expr) -> str:
    """Render an expression back to text with the minimum parentheses."""

    def go(node: Expr, parent: int) -> str:
        if isinstance(node, Var):
            return node.code
        if isinstance(node, Const):
            return "true" if node.value else "false"
        if isinstance(node, Not):
            return "not " + go(node.operand, 3)
        level = 2 if isinstance(node, And) else 1
        word = " and " if isinstance(node, And) else " or "
        text = word.join(go(o, level) for o in node.operands)
        return f"({text})" if level < parent else text

    return go(expr, 0)
