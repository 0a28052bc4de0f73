"""A catalog as UVL: `configurator catalog export MODEL --format uvl`.

Every option and package becomes a feature, named by the feature name its code was made from
(an imported catalog gives its features back) or else by its code. The valid configurations
are the same (as sets of option and package codes): a catalog imported from UVL exports as its
original tree, with ``mandatory``, ``alternative`` and ``or`` groups recognised from the rules
that state them; any other catalog gets an abstract root named after the model, whose groups
are its groups with their cardinality (the root is always chosen, so the cardinality holds
unconditionally, as in the catalog). Everything else is a cross-tree constraint: rules,
``brings``, package contents and variant tables. Prices are ``price`` attributes.

Not exported (UVL has no equivalent): availability dates, price rules, discounts and
programmes' minimum spends; the header comment says which of them the catalog has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from configurator.catalog.schema import Catalog, Group, Rule
from configurator.expr import And, Const, Expr, Not, Or, Var
from configurator.rules.constraints import rule_expression
from configurator.uvl.codes import code_of

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {
    "features", "constraints", "namespace", "include", "imports", "mandatory", "optional",
    "alternative", "or", "cardinality", "true", "false", "as", "Boolean", "Integer", "Real",
    "String", "constraint",
}  # fmt: skip


def _quoted(name: str) -> str:
    if _PLAIN.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class _Node:
    code: str
    price: Decimal = Decimal(0)
    abstract: bool = False
    groups: list[tuple[str, list[str]]] = field(default_factory=list)  # (keyword, codes)


def _formula(expr: Expr, names: dict[str, str]) -> str:
    if isinstance(expr, Var):
        return _quoted(names[expr.code])
    if isinstance(expr, Const):
        return "true" if expr.value else "false"
    if isinstance(expr, Not):
        return "!" + _operand(expr.operand, names)
    joiner = " & " if isinstance(expr, And) else " | "
    if not expr.operands:
        return "true" if isinstance(expr, And) else "false"
    if len(expr.operands) == 1:
        return _formula(expr.operands[0], names)
    return joiner.join(_operand(o, names) for o in expr.operands)


def _operand(expr: Expr, names: dict[str, str]) -> str:
    while isinstance(expr, And | Or) and len(expr.operands) == 1:
        expr = expr.operands[0]
    text = _formula(expr, names)
    return text if isinstance(expr, Var | Const | Not) else f"({text})"


def _keyword(low: int, high: int | None, size: int) -> str:
    if low == size and (high is None or high >= size):
        return "mandatory"
    if low == 0 and (high is None or high >= size):
        return "optional"
    if low == 1 and high == 1:
        return "alternative"
    if low == 1 and (high is None or high >= size):
        return "or"
    return f"[{low}..{'*' if high is None else high}]"


def _is_root_group(group: Group) -> bool:
    return len(group.options) == 1 and group.choose.min == 1 and group.choose.max == 1


def uvl_text(catalog: Catalog) -> str:
    """The catalog as UVL text (see the module's documentation)."""
    return "\n".join(_lines(catalog)) + "\n"


def _lines(catalog: Catalog) -> Iterator[str]:
    names: dict[str, str] = {}
    nodes: dict[str, _Node] = {}
    for group in catalog.groups:
        for option in group.options:
            names[option.code] = option.name if code_of(option.name) == option.code else option.code
            nodes[option.code] = _Node(option.code, option.price, "abstract" in option.tags)
    for package in catalog.packages:
        names[package.code] = package.code
        nodes[package.code] = _Node(package.code, package.price)
    options = set(names)
    tree_mode = (
        bool(catalog.groups)
        and _is_root_group(catalog.groups[0])
        and all(g.under in options for g in catalog.groups[1:])
    )
    if tree_mode:
        root_code = catalog.groups[0].options[0].code
        groups = catalog.groups[1:]
    else:
        root_code = "~root"
        while root_code in names.values():
            root_code += "~"
        names[root_code] = catalog.id
        nodes[root_code] = _Node(root_code, abstract=True)
        groups = list(catalog.groups)
    rules = list(catalog.rules)
    consumed: set[int] = set()  # indexes of rules a group keyword states
    parent_of: dict[str, str] = {}
    floors: list[tuple[int, list[str]]] = []  # (at least, codes) that hold unconditionally
    for group in groups:
        codes = [o.code for o in group.options]
        if not codes:
            continue
        parent = group.under if group.under in nodes and group.under not in codes else None
        # Below its parent only when every option brings the parent (child implies parent
        # holds in the catalog too) and the parent is already in the tree.
        if (
            parent is None
            or any(parent not in o.brings for o in group.options)
            or not _below(parent, root_code, parent_of, codes)
        ):
            parent = None
        low, high = group.choose.min, group.choose.max
        if parent is None:
            parent = root_code
        else:
            if low > 0:  # unconditional in the catalog: a constraint, the group from 0
                floors.append((low, codes))
                low = 0
            low, high = _conditional(group, parent, rules, consumed, low, high)
        for code in codes:
            parent_of[code] = parent
        nodes[parent].groups.append((_keyword(low, high, len(codes)), codes))
    if catalog.packages:
        nodes[root_code].groups.append(("optional", [p.code for p in catalog.packages]))
        for p in catalog.packages:
            parent_of[p.code] = root_code
    skipped = []
    if catalog.price_rules:
        skipped.append("price rules")
    if catalog.discounts:
        skipped.append("discounts")
    if catalog.programmes:
        skipped.append("programmes")
    if any(o.available for g in catalog.groups for o in g.options) or any(
        p.available for p in catalog.packages
    ):
        skipped.append("availability dates")
    # The namespace first: flamapy's UVL grammar refuses a comment before it.
    yield f"namespace {_quoted(re.sub(r'[^A-Za-z0-9_]', '_', catalog.id))}"
    yield f"// {catalog.brand} {catalog.name} ({catalog.id}, version {catalog.version}),"
    yield "// written by `configurator catalog export --format uvl`."
    if skipped:
        yield "// Not expressible in UVL and left out: " + ", ".join(skipped) + "."
    yield ""
    yield "features"
    yield from _feature(root_code, nodes, names, 1)
    mandatory = {
        code
        for node in nodes.values()
        for keyword, codes in node.groups
        if keyword == "mandatory"
        for code in codes
    }
    constraints = list(_constraints(catalog, rules, consumed, names, parent_of, mandatory))
    for low, codes in floors:
        terms = [
            " & ".join(_quoted(names[c]) for c in chosen) for chosen in combinations(codes, low)
        ]
        constraints.append(" | ".join(f"({t})" if " " in t else t for t in terms) or "false")
    if constraints:
        yield ""
        yield "constraints"
        for text in constraints:
            yield "\t" + text


def _below(parent: str, root: str, parent_of: dict[str, str], codes: list[str]) -> bool:
    """Whether ``parent`` is placed in the tree (not inside the group being placed)."""
    seen = set(codes)
    while parent != root:
        if parent in seen or parent not in parent_of:
            return False
        seen.add(parent)
        parent = parent_of[parent]
    return True


def _conditional(
    group: Group,
    parent: str,
    rules: list[Rule],
    consumed: set[int],
    low: int,
    high: int | None,
) -> tuple[int, int | None]:
    """The group's UVL cardinality below ``parent`` (applies only when the parent is chosen):
    the rules "parent requires one of the children" and "parent requires child" become the
    group's keyword when they cover it, and are then not written as constraints."""
    codes = [o.code for o in group.options]
    wanted = set(codes)
    any_of: int | None = None
    each: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if index in consumed or rule.option != parent or rule.requires is None:
            continue
        expr = rule_expression(rule)
        assert isinstance(expr, Or)
        required = expr.operands[1]
        if isinstance(required, Var) and required.code in wanted:
            each.setdefault(required.code, index)
        elif (
            isinstance(required, Or)
            and all(isinstance(o, Var) for o in required.operands)
            and {o.code for o in required.operands if isinstance(o, Var)} == wanted
        ):
            any_of = index if any_of is None else any_of
    if len(each) == len(codes):
        consumed.update(each.values())
        return len(codes), len(codes)
    if any_of is not None:
        consumed.add(any_of)
        return 1, high
    return low, high


def _feature(
    code: str, nodes: dict[str, _Node], names: dict[str, str], depth: int
) -> Iterator[str]:
    node = nodes[code]
    attributes = []
    if node.abstract:
        attributes.append("abstract")
    if node.price:
        attributes.append(f"price {node.price}")
    suffix = " {" + ", ".join(attributes) + "}" if attributes else ""
    yield "\t" * depth + _quoted(names[code]) + suffix
    for keyword, codes in node.groups:
        yield "\t" * (depth + 1) + keyword
        for child in codes:
            yield from _feature(child, nodes, names, depth + 2)


def _constraints(
    catalog: Catalog,
    rules: list[Rule],
    consumed: set[int],
    names: dict[str, str],
    parent_of: dict[str, str],
    mandatory: set[str],
) -> Iterator[str]:
    for group in catalog.groups:
        for option in group.options:
            for target in option.brings:
                if parent_of.get(option.code) == target:
                    continue  # child implies parent: the tree says it
                if parent_of.get(target) == option.code and target in mandatory:
                    continue  # a parent brings its mandatory child: the keyword says it
                yield f"{_quoted(names[option.code])} => {_quoted(names[target])}"
    for index, rule in enumerate(rules):
        if index in consumed:
            continue
        expr = rule_expression(rule)
        if rule.if_ is not None and rule.if_.strip().lower() == "true":
            assert isinstance(expr, Or)
            yield _formula(expr.operands[1], names)
        elif rule.if_ is not None:
            assert isinstance(expr, Or) and isinstance(expr.operands[0], Not)
            condition = expr.operands[0].operand
            yield f"{_operand(condition, names)} => {_operand(expr.operands[1], names)}"
        else:
            assert isinstance(expr, Or) and isinstance(expr.operands[0], Not)
            yield f"{_operand(expr.operands[0].operand, names)} => " + _operand(
                expr.operands[1], names
            )
    for package in catalog.packages:
        for code in dict.fromkeys(package.includes):
            yield f"{_quoted(names[package.code])} => {_quoted(names[code])}"
    for table in catalog.tables:
        rows = [" & ".join(_quoted(names[c]) for c in dict.fromkeys(row)) for row in table.rows]
        any_row = " | ".join(f"({row})" for row in rows) if rows else "false"
        if table.kind == "allowed":
            yield any_row
        else:
            yield f"!({any_row})" if rows else "true"
