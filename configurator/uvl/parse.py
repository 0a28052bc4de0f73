"""A UVL parser with positions: feature tree, groups, attributes and boolean constraints.

UVL (the Universal Variability Language, Sundermann et al., "UVL: Feature modelling with the
Universal Variability Language", Journal of Systems and Software 2024) is indentation-based,
like Python::

    namespace Car
    features
        Car {abstract}
            mandatory
                Engine
                    alternative
                        Petrol
                        "Electric motor" {price 1200}
            optional
                Sunroof
    constraints
        Sunroof => !Electric motor ...

A small hand-written tokenizer produces INDENT and DEDENT tokens (newlines inside brackets are
ignored), and a recursive-descent parser builds a :class:`FeatureModel`. Every feature, group
and constraint keeps its 1-based line and column, and every mistake is reported as
``file:line:column`` in a :class:`~configurator.errors.CatalogError` (exit code 3). The
boolean level of UVL is supported in full (group cardinalities included); what a catalog
cannot hold is refused with its position: typed (Integer, Real, String) features, feature
cardinalities (clones), arithmetic constraints and imported sub-models.

Constraint operators, loosest first: ``<=>``, ``=>``, ``|``, ``&``, ``!`` (binary ones group
to the left, as in UVL's reference grammar).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from configurator.errors import CatalogError, Location, Problem

# --- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A feature named in a constraint."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class Lit:
    value: bool


@dataclass(frozen=True)
class Neg:
    operand: Formula


@dataclass(frozen=True)
class Binary:
    op: str  # "&", "|", "=>", "<=>"
    left: Formula
    right: Formula


Formula = Ref | Lit | Neg | Binary


@dataclass
class Group:
    """A group of child features: ``mandatory``, ``optional``, ``alternative``, ``or`` or a
    cardinality ``[low..high]`` (``high`` None for ``*``)."""

    kind: str
    line: int
    column: int
    children: list[Feature] = field(default_factory=list)
    low: int = 0
    high: int | None = None


@dataclass
class Feature:
    name: str
    line: int
    column: int
    attributes: dict[str, Any] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    parent: Feature | None = field(default=None, repr=False)

    @property
    def abstract(self) -> bool:
        return self.attributes.get("abstract") is True

    def walk(self) -> Iterator[Feature]:
        """This feature and every feature below it, depth first, in file order."""
        stack = [self]
        while stack:
            feature = stack.pop()
            yield feature
            for group in reversed(feature.groups):
                stack.extend(reversed(group.children))


@dataclass(frozen=True)
class Constraint:
    formula: Formula
    text: str  # as written (one line, whitespace collapsed)
    line: int
    column: int


@dataclass
class FeatureModel:
    root: Feature | None
    constraints: list[Constraint]
    namespace: str | None
    file: str

    def features(self) -> list[Feature]:
        return list(self.root.walk()) if self.root is not None else []

    def location(self, line: int, column: int) -> Location:
        return Location(self.file, line, column)


# --- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # name, string, text, number, op, newline, indent, dedent, end
    text: str
    line: int
    column: int


_TOKEN = re.compile(
    r"""
    (?P<space>[ \t]+)
  | (?P<newline>\r?\n)
  | (?P<comment>//[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<text>'(?:[^'\\\n]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]*[A-Za-z_]))
  | (?P<op><=>|=>|\.\.|==|!=|<=|>=|[{}\[\](),!&|<>=+*/.-])
  | (?P<name>[^\W\d][\w#§%?\\'$äöüßÄÖÜ;]*|\d+\w*)
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_OPEN = {"(": ")", "[": "]", "{": "}"}


def _fail(file: str, line: int, column: int, message: str) -> CatalogError:
    return CatalogError([Problem(Location(file, line, column), "uvl-syntax", message)])


def tokenize(text: str, file: str) -> list[Token]:
    """Tokens with INDENT / DEDENT around indented blocks, as Python does."""
    tokens: list[Token] = []
    indents = [""]
    depth: list[Token] = []  # open brackets: newlines inside are ignored
    line, line_start = 1, 0
    at_line_start = True
    position = 0
    length = len(text)
    while position < length:
        if at_line_start and not depth:
            # Measure the indentation of a line with content (blank and comment lines skip).
            match = re.compile(r"[ \t]*").match(text, position)
            assert match is not None
            indent = match.group()
            after = match.end()
            rest = text[after : after + 2]
            if after >= length or rest[:1] in ("\n", "\r") or rest == "//" or rest == "/*":
                at_line_start = False
            else:
                column = after - line_start + 1
                if indent != indents[-1]:
                    if indent.startswith(indents[-1]):
                        indents.append(indent)
                        tokens.append(Token("indent", indent, line, column))
                    else:
                        while indents[-1] != indent:
                            if not indents[-1].startswith(indent) or len(indents) == 1:
                                raise _fail(
                                    file,
                                    line,
                                    column,
                                    "this line's indentation matches no enclosing block "
                                    "(mixed tabs and spaces?)",
                                )
                            indents.pop()
                            tokens.append(Token("dedent", "", line, column))
                at_line_start = False
            position = after
            continue
        match = _TOKEN.match(text, position)
        assert match is not None
        kind = match.lastgroup or "bad"
        value = match.group()
        column = position - line_start + 1
        position = match.end()
        if kind == "space" or kind == "comment":
            continue
        if kind == "block":
            breaks = value.count("\n")
            if breaks:
                line += breaks
                line_start = match.start() + value.rindex("\n") + 1
            continue
        if kind == "newline":
            if not depth and tokens and tokens[-1].kind not in ("newline", "indent", "dedent"):
                tokens.append(Token("newline", "", line, column))
            line += 1
            line_start = position
            at_line_start = True
            continue
        if kind == "bad":
            if value == '"':
                raise _fail(file, line, column, "a quoted name is not closed on this line")
            if value == "'":
                raise _fail(file, line, column, "a string is not closed on this line")
            raise _fail(file, line, column, f"unexpected character '{value}'")
        token = Token(kind, value, line, column)
        if kind == "op" and value in _OPEN:
            depth.append(token)
        elif kind == "op" and value in (")", "]", "}"):
            if not depth or _OPEN[depth[-1].text] != value:
                raise _fail(file, line, column, f"'{value}' closes nothing")
            depth.pop()
        tokens.append(token)
    if depth:
        opened = depth[-1]
        raise _fail(
            file,
            opened.line,
            opened.column,
            f"'{opened.text}' is never closed (expected '{_OPEN[opened.text]}')",
        )
    if tokens and tokens[-1].kind not in ("newline", "dedent"):
        tokens.append(Token("newline", "", line, position - line_start + 1))
    while len(indents) > 1:
        indents.pop()
        tokens.append(Token("dedent", "", line, 1))
    tokens.append(Token("end", "", line, position - line_start + 1))
    return tokens


# --- the parser ----------------------------------------------------------------------------

_GROUP_WORDS = ("mandatory", "optional", "alternative", "or")
_TYPES = ("Boolean", "Integer", "Real", "String")
_SECTIONS = ("namespace", "include", "imports", "features", "constraints")


def _unquote(token: Token) -> str:
    inner = token.text[1:-1]
    return re.sub(r"\\(.)", r"\1", inner)


class _Parser:
    def __init__(self, tokens: list[Token], file: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.file = file

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def fail(self, token: Token, message: str) -> CatalogError:
        return _fail(self.file, token.line, token.column, message)

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind == "newline":
            return "the end of the line"
        if token.kind == "end":
            return "the end of the file"
        if token.kind == "indent":
            return "an indented line"
        if token.kind == "dedent":
            return "a line indented less"
        return f"'{token.text}'"

    def expect(self, kind: str, what: str, text: str | None = None) -> Token:
        token = self.current
        if token.kind != kind or (text is not None and token.text != text):
            raise self.fail(token, f"expected {what}, found {self.describe(token)}")
        return self.take()

    def skip_block(self) -> None:
        """An indented block whose content is not needed (``include``'s language levels)."""
        if self.current.kind != "indent":
            return
        level = 0
        while True:
            token = self.take()
            if token.kind == "indent":
                level += 1
            elif token.kind == "dedent":
                level -= 1
                if level == 0:
                    return
            elif token.kind == "end":
                return

    # --- sections -------------------------------------------------------------------------

    def model(self) -> FeatureModel:
        namespace: str | None = None
        root: Feature | None = None
        constraints: list[Constraint] = []
        seen: set[str] = set()
        while self.current.kind != "end":
            token = self.current
            if token.kind != "name" or token.text not in _SECTIONS:
                raise self.fail(
                    token,
                    f"expected a section ({', '.join(_SECTIONS)}), found {self.describe(token)}",
                )
            if token.text in seen:
                raise self.fail(token, f"a second '{token.text}' section")
            seen.add(token.text)
            self.take()
            if token.text == "namespace":
                namespace = self.reference()[0]
                self.expect("newline", "the end of the line")
            elif token.text == "include":
                self.expect("newline", "the end of the line")
                self.skip_block()
            elif token.text == "imports":
                raise self.fail(token, "imported sub-models are not supported: merge them first")
            elif token.text == "features":
                self.expect("newline", "the end of the line")
                if self.current.kind == "indent":
                    self.take()
                    root = self.feature(None)
                    if self.current.kind != "dedent":
                        raise self.fail(
                            self.current, "a feature model has one root feature: indent this line"
                        )
                    self.take()
            else:
                self.expect("newline", "the end of the line")
                constraints += self.constraint_lines()
        return FeatureModel(root, constraints, namespace, self.file)

    def reference(self) -> tuple[str, Token]:
        token = self.current
        if token.kind == "string":
            self.take()
            name = _unquote(token)
        elif token.kind == "name":
            self.take()
            name = token.text
        else:
            raise self.fail(token, f"expected a feature name, found {self.describe(token)}")
        if (
            self.current.kind == "op"
            and self.current.text == "."
            and self.peek().kind
            in (
                "name",
                "string",
            )
        ):
            raise self.fail(
                self.current,
                "references into other models (a.b) are not supported: merge the models first",
            )
        return name, token

    # --- features ---------------------------------------------------------------------------

    def feature(self, parent: Feature | None) -> Feature:
        token = self.current
        if token.kind == "name" and token.text in _TYPES and self.peek().kind in ("name", "string"):
            if token.text != "Boolean":
                raise self.fail(
                    token, f"{token.text} features are not supported: only boolean features"
                )
            self.take()
        if token.kind == "name" and token.text in (*_GROUP_WORDS, "cardinality"):
            raise self.fail(token, f"expected a feature, found the group keyword '{token.text}'")
        name, where = self.reference()
        feature = Feature(name, where.line, where.column, parent=parent)
        if self.current.kind == "name" and self.current.text == "cardinality":
            raise self.fail(self.current, "feature cardinalities (clones) are not supported")
        if self.current.kind == "op" and self.current.text == "{":
            feature.attributes = self.attributes()
        self.expect("newline", "the end of the line after a feature")
        if self.current.kind == "indent":
            self.take()
            while self.current.kind not in ("dedent", "end"):
                feature.groups.append(self.group(feature))
            self.take()
        return feature

    def group(self, parent: Feature) -> Group:
        token = self.current
        if token.kind == "name" and token.text in _GROUP_WORDS:
            self.take()
            group = Group(token.text, token.line, token.column)
        elif (token.kind == "name" and token.text == "cardinality") or (
            token.kind == "op" and token.text == "["
        ):
            if token.text == "cardinality":
                self.take()
            low, high = self.cardinality()
            group = Group("cardinality", token.line, token.column, low=low, high=high)
        else:
            raise self.fail(
                token,
                "expected a group keyword (mandatory, optional, alternative, or, [n..m]) "
                f"below the feature, found {self.describe(token)}",
            )
        self.expect("newline", "the end of the line after a group keyword")
        if self.current.kind == "indent":
            self.take()
            while self.current.kind not in ("dedent", "end"):
                group.children.append(self.feature(parent))
            self.take()
        return group

    def cardinality(self) -> tuple[int, int | None]:
        self.expect("op", "'['", "[")
        low_token = self.expect("number", "a number")
        low = int(low_token.text) if low_token.text.isdigit() else -1
        if low < 0:
            raise self.fail(low_token, "a cardinality is a whole number, 0 or more")
        high: int | None = low
        if self.current.kind == "op" and self.current.text == "..":
            self.take()
            token = self.current
            if token.kind == "op" and token.text == "*":
                self.take()
                high = None
            else:
                token = self.expect("number", "a number or '*'")
                if not token.text.isdigit():
                    raise self.fail(token, "a cardinality is a whole number, 0 or more")
                high = int(token.text)
                if high < low:
                    raise self.fail(token, f"the upper bound {high} is below the lower {low}")
        self.expect("op", "']'", "]")
        return low, high

    def attributes(self) -> dict[str, Any]:
        self.expect("op", "'{'", "{")
        found: dict[str, Any] = {}
        while not (self.current.kind == "op" and self.current.text == "}"):
            token = self.current
            if token.kind == "name" and token.text in ("constraint", "constraints"):
                self.take()
                if token.text == "constraint":
                    found.setdefault("constraints", []).append(self.formula_constraint())
                else:
                    self.expect("op", "'['", "[")
                    while not (self.current.kind == "op" and self.current.text == "]"):
                        found.setdefault("constraints", []).append(self.formula_constraint())
                        if self.current.kind == "op" and self.current.text == ",":
                            self.take()
                    self.take()
            else:
                key, _ = self.reference()
                if key in found:
                    raise self.fail(token, f"the attribute '{key}' is given twice")
                found[key] = True
                if not (self.current.kind == "op" and self.current.text in (",", "}")):
                    found[key] = self.value()
            if self.current.kind == "op" and self.current.text == ",":
                self.take()
            elif not (self.current.kind == "op" and self.current.text == "}"):
                raise self.fail(
                    self.current, f"expected ',' or '}}', found {self.describe(self.current)}"
                )
        self.take()
        return found

    def value(self) -> Any:
        token = self.current
        if token.kind == "number":
            self.take()
            return token.text
        if token.kind == "text":
            self.take()
            return _unquote(token)
        if token.kind == "name" and token.text in ("true", "false"):
            self.take()
            return token.text == "true"
        if token.kind == "op" and token.text == "{":
            return self.attributes()
        if token.kind == "op" and token.text == "[":
            self.take()
            items = []
            while not (self.current.kind == "op" and self.current.text == "]"):
                items.append(self.value())
                if self.current.kind == "op" and self.current.text == ",":
                    self.take()
            self.take()
            return items
        raise self.fail(token, f"expected an attribute value, found {self.describe(token)}")

    # --- constraints ------------------------------------------------------------------------

    def constraint_lines(self) -> list[Constraint]:
        found: list[Constraint] = []
        if self.current.kind != "indent":
            return found
        self.take()
        while self.current.kind not in ("dedent", "end"):
            found.append(self.formula_constraint())
            self.expect("newline", "the end of the constraint ('&', '|', '=>' or '<=>' joins)")
        self.take()
        return found

    def formula_constraint(self) -> Constraint:
        start = self.index
        first = self.current
        formula = self.iff()
        text = " ".join(t.text for t in self.tokens[start : self.index])
        text = re.sub(r"([(!]) ", r"\1", text).replace(" )", ")")
        return Constraint(formula, text, first.line, first.column)

    def _binary(self, ops: tuple[str, ...], operand: Any) -> Formula:
        left: Formula = operand()
        while self.current.kind == "op" and self.current.text in ops:
            op = self.take().text
            left = Binary(op, left, operand())
        return left

    def iff(self) -> Formula:
        return self._binary(("<=>",), self.implies)

    def implies(self) -> Formula:
        return self._binary(("=>",), self.disjunction)

    def disjunction(self) -> Formula:
        return self._binary(("|",), self.conjunction)

    def conjunction(self) -> Formula:
        return self._binary(("&",), self.unary)

    def unary(self) -> Formula:
        token = self.current
        if token.kind == "op" and token.text == "!":
            self.take()
            return Neg(self.unary())
        if token.kind == "op" and token.text == "(":
            self.take()
            inner = self.iff()
            self.expect("op", "')'", ")")
            return self.arithmetic_check(inner)
        if token.kind == "name" and token.text in ("true", "false"):
            self.take()
            return Lit(token.text == "true")
        if token.kind in ("name", "string"):
            name, where = self.reference()
            return self.arithmetic_check(Ref(name, where.line, where.column))
        if token.kind == "number":
            raise self.fail(token, "arithmetic constraints are not supported: boolean only")
        raise self.fail(token, f"expected a feature name, '!' or '(', found {self.describe(token)}")

    def arithmetic_check(self, formula: Formula) -> Formula:
        token = self.current
        if token.kind == "op" and token.text in (
            "=",
            "==",
            "!=",
            "<",
            ">",
            "<=",
            ">=",
            "+",
            "-",
            "*",
            "/",
        ):
            raise self.fail(token, "arithmetic constraints are not supported: boolean only")
        if isinstance(formula, Ref) and token.kind == "op" and token.text == "(":
            raise self.fail(token, "functions (sum, avg, len...) are not supported: boolean only")
        return formula


def parse_text(text: str, file: str) -> FeatureModel:
    """Parse UVL text (``file`` names it in messages); raise :class:`CatalogError` with
    ``file:line:column`` for anything malformed or unsupported, and for names a constraint
    uses that no feature has, or features declared twice (all of them at once)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    model = _Parser(tokenize(text, file), file).model()
    problems: list[Problem] = []
    if model.root is None:
        problems.append(Problem(Location(file, 1, 1), "uvl-empty", "the model has no features"))
    seen: dict[str, Feature] = {}
    for feature in model.features():
        if feature.name in seen:
            first = seen[feature.name]
            problems.append(
                Problem(
                    model.location(feature.line, feature.column),
                    "uvl-duplicate",
                    f"the feature '{feature.name}' is declared twice (first at line {first.line})",
                )
            )
        else:
            seen[feature.name] = feature
        price = feature.attributes.get("price")
        if price is not None and (
            not isinstance(price, str) or not re.fullmatch(r"\d+(\.\d{1,2})?", price)
        ):
            problems.append(
                Problem(
                    model.location(feature.line, feature.column),
                    "uvl-price",
                    f"the price of '{feature.name}' must be a number with at most two "
                    f"decimals, 0 or more (found {price!r})",
                )
            )
    attached = [c for f in model.features() for c in f.attributes.get("constraints", ())]
    model.constraints.extend(attached)
    from configurator.errors import did_you_mean

    for constraint in model.constraints:
        for ref in refs(constraint.formula):
            if ref.name not in seen:
                hint = did_you_mean(ref.name, seen)
                problems.append(
                    Problem(
                        model.location(ref.line, ref.column),
                        "uvl-unknown-feature",
                        f"the constraint names '{ref.name}', which is not a feature"
                        + (f": {hint}" if hint else ""),
                    )
                )
    if problems:
        raise CatalogError(problems)
    return model


def parse_file(path: Path, display: str | None = None) -> FeatureModel:
    """Read and parse a UVL file (UTF-8); unreadable files raise a usage error."""
    from configurator.errors import UsageError

    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read '{name}': {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(name, line, column, "the file is not UTF-8 text") from exc
    return parse_text(text, name)


def refs(formula: Formula) -> Iterator[Ref]:
    """Every feature reference of a formula, in order."""
    stack: list[Formula] = [formula]
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            yield node
        elif isinstance(node, Neg):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.append(node.right)
            stack.append(node.left)
