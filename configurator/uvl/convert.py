"""A UVL feature model as a catalog tree: `configurator catalog import`.

Each feature becomes an option (abstract ones too, tagged ``abstract``; price 0 unless a
``price`` attribute says otherwise) whose code is :func:`configurator.uvl.codes.code_of` of its
name and whose name is the feature's name. The root is a group of its own (choose exactly one,
so it is in every configuration). Each group of child features becomes a catalog group whose
``under`` is the parent's code, and:

- every child *brings* its parent (child implies parent);
- ``mandatory``: the parent brings each child, and a rule per child, "parent requires child"
  (the rule names the UVL line in explanations; bringing keeps a car valid when a choice
  brings the parent in);
- ``optional``: nothing more (choose any number);
- ``alternative``: choose at most one, and a rule "parent requires one of the children";
- ``or``: a rule "parent requires one of the children";
- ``[n..m]``: choose at most ``m``, and (n >= 1) a rule "parent requires at least n of them".

Each cross-tree constraint becomes a rule with the same formula (``A => B`` as ``if``/``then``),
its message the constraint as written and its id ``constraint-<line>``. Group ids are the kind
and the line of the group keyword (``alternative-20941``), so every part of the catalog points
back to the UVL file. The defaults are one valid configuration, found by a SAT solver that
leaves optional features out where it can, so the standard car is valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from math import comb
from pathlib import Path

from configurator.errors import CatalogError, Location, Problem, UsageError
from configurator.uvl.codes import code_of
from configurator.uvl.parse import (
    Binary,
    Feature,
    FeatureModel,
    Formula,
    Group,
    Lit,
    Neg,
    Ref,
    parse_file,
)

MAX_EXPANDED_TERMS = 500  # "at least n of k" stated as an OR of ANDs of n, up to this many

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(text: str) -> str:
    """A YAML scalar: plain when safe, else a JSON (double-quoted) string."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def slug(text: str) -> str:
    """Lower-case letters, digits and single hyphens: ``automotive2_4`` -> ``automotive2-4``."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value or "model"


# --- formulas as rule expressions -------------------------------------------------------------


def expression(formula: Formula, codes: dict[str, str]) -> str:
    """A UVL formula as a rule expression over option codes (fully parenthesised below the
    top)."""
    if isinstance(formula, Ref):
        return codes[formula.name]
    if isinstance(formula, Lit):
        return "true" if formula.value else "false"
    if isinstance(formula, Neg):
        return f"not {_operand(formula.operand, codes)}"
    left, right = _operand(formula.left, codes), _operand(formula.right, codes)
    if formula.op == "&":
        return f"{left} and {right}"
    if formula.op == "|":
        return f"{left} or {right}"
    if formula.op == "=>":
        return f"not {left} or {right}"
    return f"({left} and {right}) or (not {left} and not {right})"


def _operand(formula: Formula, codes: dict[str, str]) -> str:
    text = expression(formula, codes)
    return text if isinstance(formula, Ref | Lit) else f"({text})"


def _any_of(children: list[str]) -> str:
    return " or ".join(children)


def _at_least(children: list[str], low: int) -> str | None:
    """At least ``low`` of ``children`` as an OR of ANDs; None when too large."""
    if low <= 0:
        return "true"
    if low > len(children):
        return "false"
    if low == 1:
        return _any_of(children)
    if comb(len(children), low) > MAX_EXPANDED_TERMS:
        return None
    return " or ".join(f"({' and '.join(c)})" for c in combinations(children, low))


# --- defaults: one valid configuration -----------------------------------------------------------


def _clauses(model: FeatureModel, index: dict[str, int]) -> tuple[list[list[int]], int]:
    """The feature model as CNF over one variable per feature (Tseitin for constraints)."""
    from pysat.card import CardEnc, EncType

    clauses: list[list[int]] = []
    top = len(index)
    assert model.root is not None
    clauses.append([index[model.root.name]])
    for feature in model.features():
        parent = index[feature.name]
        for group in feature.groups:
            kids = [index[c.name] for c in group.children]
            for kid in kids:
                clauses.append([-kid, parent])
            low, high = _bounds(group)
            if group.kind == "mandatory":
                clauses.extend([-parent, kid] for kid in kids)
                continue
            if low >= 1:
                if low == 1:
                    clauses.append([-parent, *kids])
                else:
                    enc = CardEnc.atleast(kids, bound=low, top_id=top, encoding=EncType.seqcounter)
                    top = max(top, enc.nv)
                    clauses.extend([-parent, *c] for c in enc.clauses)
            if high is not None and high < len(kids):
                enc = CardEnc.atmost(kids, bound=high, top_id=top, encoding=EncType.seqcounter)
                top = max(top, enc.nv)
                clauses.extend(enc.clauses)

    def lit(formula: Formula) -> int:
        nonlocal top
        if isinstance(formula, Ref):
            return index[formula.name]
        if isinstance(formula, Lit):
            top += 1
            clauses.append([top] if formula.value else [-top])
            return top
        if isinstance(formula, Neg):
            return -lit(formula.operand)
        a, b = lit(formula.left), lit(formula.right)
        top += 1
        t = top
        if formula.op == "&":
            clauses.extend([[-t, a], [-t, b], [t, -a, -b]])
        elif formula.op == "|":
            clauses.extend([[-t, a, b], [t, -a], [t, -b]])
        elif formula.op == "=>":
            clauses.extend([[-t, -a, b], [t, a], [t, -b]])
        else:
            clauses.extend([[-t, -a, b], [-t, a, -b], [t, a, b], [t, -a, -b]])
        return t

    for constraint in model.constraints:
        clauses.append([lit(constraint.formula)])
    return clauses, top


def _bounds(group: Group) -> tuple[int, int | None]:
    """The number of children chosen when the parent is: (low, high)."""
    size = len(group.children)
    if group.kind == "mandatory":
        return size, size
    if group.kind == "optional":
        return 0, None
    if group.kind == "alternative":
        return 1, 1
    if group.kind == "or":
        return 1, None
    return group.low, group.high


def valid_configuration(model: FeatureModel) -> set[str] | None:
    """The features of one valid configuration (optional ones left out where the solver can),
    or None when the model has none."""
    from pysat.solvers import Solver

    names = [f.name for f in model.features()]
    index = {name: i + 1 for i, name in enumerate(names)}
    clauses, _ = _clauses(model, index)
    with Solver(name="g4", bootstrap_with=clauses) as solver:
        solver.set_phases([-v for v in index.values()])
        if not solver.solve():
            return None
        model_lits = set(solver.get_model() or ())
    return {name for name, v in index.items() if v in model_lits}


# --- the catalog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What `catalog import` wrote."""

    model_id: str
    catalog_file: Path
    market_file: Path
    market_written: bool
    features: int
    groups: int
    rules: int
    constraints: int
    valid: bool  # the model has a valid configuration (the defaults are one)


def _group_bits(feature: Feature, group: Group) -> tuple[str, str, str]:
    """(id, name, choose) of a catalog group for a UVL group."""
    size = len(group.children)
    if group.kind == "cardinality":
        words = f"[{group.low}..{'*' if group.high is None else group.high}]"
        choose = (
            "any" if group.high is None or group.high >= size else f"{{min: 0, max: {group.high}}}"
        )
        if group.high == 0:
            choose = "{min: 0, max: 0}"
    else:
        words = group.kind
        choose = "at-most-one" if group.kind == "alternative" else "any"
    return f"{group.kind}-{group.line}", f"{feature.name}: {words}", choose


def catalog_lines(
    model: FeatureModel,
    model_id: str,
    brand: str,
    market: str,
    currency: str,
    source_name: str,
    digest: str,
    defaults: set[str] | None,
) -> Iterator[str]:
    """The catalog YAML, line by line."""
    assert model.root is not None
    features = model.features()
    codes = {f.name: code_of(f.name) for f in features}
    chosen = defaults or set()
    yield "# yaml-language-server: $schema=../schema/catalog.schema.json"
    yield f"# Generated by `configurator catalog import` from {source_name}"
    yield f"# (sha256 {digest[:16]}). Codes are the feature names mapped as docs/uvl.md says;"
    yield "# option names are the features' names."
    yield f"id: {model_id}"
    yield f"brand: {_scalar(brand)}"
    yield f"name: {_scalar(model.namespace or Path(source_name).stem)}"
    yield f"model_year: {dt.date.today().year}"
    yield f'version: "uvl-{digest[:12]}"'
    yield f"market: {market}"
    yield f"currency: {currency}"
    yield "powertrain: ice"
    yield "nev: false"
    yield "base_price: 0"
    yield f"source: {_scalar(source_name)}"
    yield "groups:"

    def option(feature: Feature) -> str:
        parts = [f"code: {_scalar(codes[feature.name])}", f"name: {_scalar(feature.name)}"]
        price = feature.attributes.get("price")
        if price is not None:
            parts.append(f'price: "{price}"')
        brought = [feature.parent] if feature.parent is not None else []
        brought += [c for g in feature.groups if g.kind == "mandatory" for c in g.children]
        if brought:
            parts.append(f"brings: [{', '.join(_scalar(codes[f.name]) for f in brought)}]")
        if feature.abstract:
            parts.append("tags: [abstract]")
        return "      - {" + ", ".join(parts) + "}"

    root = model.root
    yield "  - id: root"
    yield f"    name: {_scalar(root.name)}"
    yield "    choose: exactly-one"
    yield f"    default: [{_scalar(codes[root.name])}]"
    yield "    options:"
    yield option(root)
    for feature in features:
        for group in feature.groups:
            if not group.children:
                continue
            group_id, name, choose = _group_bits(feature, group)
            yield f"  - id: {group_id}"
            yield f"    name: {_scalar(name)}"
            yield f"    under: {_scalar(codes[feature.name])}"
            yield f"    choose: {choose}"
            picked = [codes[c.name] for c in group.children if c.name in chosen]
            if picked:
                yield f"    default: [{', '.join(_scalar(c) for c in picked)}]"
            yield "    options:"
            for child in group.children:
                yield option(child)
    yield "rules:"
    yield from rule_lines(model, codes)


def rule_lines(model: FeatureModel, codes: dict[str, str]) -> Iterator[str]:
    problems: list[Problem] = []
    for feature in model.features():
        parent = codes[feature.name]
        for group in feature.groups:
            kids = [codes[c.name] for c in group.children]
            if not kids:
                continue
            if group.kind == "mandatory":
                for child in group.children:
                    yield f"  - id: mandatory-{child.line}"
                    yield f"    option: {_scalar(parent)}"
                    yield f"    requires: {_scalar(codes[child.name])}"
                    message = f"{feature.name} always has {child.name} (mandatory)"
                    yield f"    message: {json.dumps(message, ensure_ascii=False)}"
                continue
            low, _ = _bounds(group)
            if low < 1:
                continue
            needed = _at_least(kids, low)
            if needed is None:
                problems.append(
                    Problem(
                        model.location(group.line, group.column),
                        "uvl-cardinality",
                        f"a group cardinality with a lower bound of {low} over {len(kids)} "
                        f"features is too large to state as a rule (more than "
                        f"{MAX_EXPANDED_TERMS} combinations)",
                    )
                )
                continue
            words = {
                "alternative": "one of",
                "or": "at least one of",
            }.get(group.kind, f"at least {low} of")
            yield f"  - id: {group.kind}-{group.line}"
            yield f"    option: {_scalar(parent)}"
            yield f"    requires: {json.dumps(needed)}"
            message = f"{feature.name} needs {words} its {group.kind} group"
            yield f"    message: {json.dumps(message, ensure_ascii=False)}"
    seen: set[str] = set()
    for constraint in model.constraints:
        rule_id = f"constraint-{constraint.line}"
        if rule_id in seen:
            rule_id += f"-{constraint.column}"
        seen.add(rule_id)
        formula = constraint.formula
        yield f"  - id: {rule_id}"
        if isinstance(formula, Binary) and formula.op == "=>":
            yield f"    if: {json.dumps(expression(formula.left, codes))}"
            yield f"    then: {json.dumps(expression(formula.right, codes))}"
        else:
            yield '    if: "true"'
            yield f"    then: {json.dumps(expression(formula, codes))}"
        message = f"{constraint.text} ({Path(model.file).name}:{constraint.line})"
        yield f"    message: {json.dumps(message, ensure_ascii=False)}"
    if problems:
        raise CatalogError(problems)


def market_text(market: str, currency: str) -> str:
    return "\n".join(
        [
            "# yaml-language-server: $schema=../schema/market.schema.json",
            "# Written by `configurator catalog import`: no VAT, no taxes (list prices only).",
            f"id: {market}",
            f"name: {_scalar(f'{market} (imported feature models)')}",
            f"currency: {currency}",
            "prices_include_vat: true",
            'vat_rate: "0"',
            "",
        ]
    )


def import_uvl(
    source: Path,
    out: Path,
    *,
    brand: str = "uvl",
    market: str = "uvl",
    currency: str = "EUR",
    display: str | None = None,
) -> ImportResult:
    """Parse a UVL file and write ``out/<brand>/<file stem>.yaml`` and, if absent,
    ``out/markets/<market>.yaml``. Files are written whole (temporary file, then rename), and
    only once the model has been read without a problem."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", brand):
        raise UsageError(f"'{brand}' is not a brand folder name: lower case, digits and '-'")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", market):
        raise UsageError(f"'{market}' is not a market id: lower case, digits and '-'")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise UsageError(f"'{currency}' is not an ISO 4217 currency code (e.g. EUR)")
    data = source.read_bytes() if source.is_file() else b""
    model = parse_file(source, display)
    digest = hashlib.sha256(data).hexdigest()
    stem = slug(source.stem)
    model_id = f"{brand}-{stem}"
    defaults = valid_configuration(model)
    lines = list(
        catalog_lines(
            model,
            model_id,
            brand.upper() if brand == "uvl" else brand,
            market,
            currency,
            source.name,
            digest,
            defaults,
        )
    )
    catalog_file = out / brand / f"{stem}.yaml"
    market_file = out / "markets" / f"{market}.yaml"
    _write(catalog_file, "\n".join(lines) + "\n")
    market_written = not market_file.exists()
    if market_written:
        _write(market_file, market_text(market, currency))
    features = model.features()
    return ImportResult(
        model_id=model_id,
        catalog_file=catalog_file,
        market_file=market_file,
        market_written=market_written,
        features=len(features),
        groups=1 + sum(1 for f in features for g in f.groups if g.children),
        rules=sum(1 for line in lines[lines.index("rules:") :] if line.startswith("  - id: ")),
        constraints=len(model.constraints),
        valid=defaults is not None,
    )


def _write(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        raise UsageError(f"cannot write '{target}': {exc.strerror or exc}") from exc


__all__ = ["ImportResult", "import_uvl", "valid_configuration", "Location"]
