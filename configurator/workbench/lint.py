"""`catalog lint`: anomalies a valid catalog can still have, each at its ``file:line:column``.

``catalog validate`` checks form and references (and that the catalog admits a car); lint asks
the compiled solution space and the SAT solver what the catalog *means*:

- options and packages no valid car contains (dead), or every valid car contains although
  the buyer seems free to leave them out (false optional);
- rules and variant tables implied by the other constraints (redundant): SAT on
  ``others and not rule``;
- price rules and discounts whose condition never holds on a valid car where they would
  apply;
- options whose availability window holds no date on which a valid car can have them, and
  programmes whose minimum spend no valid car reaches;
- and editorial checks: prices with neither ``source`` nor ``note``, missing Chinese names
  in a catalog for the Chinese market, paints without a swatch.

Every finding has a stable id (:data:`CHECKS`), so scripts and people can rely on it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from configurator.catalog.schema import Catalog, Option, Period, Strict
from configurator.errors import Location
from configurator.expr import And, Expr, Not, Or, Var, parse
from configurator.rules.compile import first_case
from configurator.rules.constraints import charge_cases

Severity = Literal["error", "warning"]

# id -> (severity, what it means): the stable ids of findings, documented in
# docs/catalog-editing.md and in `catalog lint --help`.
CHECKS: dict[str, tuple[Severity, str]] = {
    "dead-option": ("error", "an option no valid configuration contains"),
    "package-never-bought": ("error", "a package no valid configuration contains"),
    "false-optional": (
        "warning",
        "an option or package every valid configuration contains, though its group lets "
        "the buyer leave it out",
    ),
    "redundant-rule": (
        "warning",
        "a rule or variant table implied by the groups and the other rules: removing it "
        "changes nothing",
    ),
    "price-rule-never-applies": (
        "error",
        "a price rule whose condition never holds on a valid car with its option (or that "
        "an earlier price rule or a package always takes precedence over)",
    ),
    "discount-never-applies": ("error", "a discount whose condition no valid car meets"),
    "unavailable-in-window": (
        "error",
        "an option or package that no valid car can have on any date of its availability window",
    ),
    "programme-unreachable": (
        "error",
        "a programme whose minimum spend no valid configuration reaches",
    ),
    "price-without-source": ("warning", "a price with neither `source` nor `note`"),
    "missing-chinese-name": (
        "warning",
        "a name without a `zh-CN` translation in a catalog for the Chinese market",
    ),
    "paint-without-swatch": (
        "warning",
        "a paint without a `swatch` colour (unless the buyer names the colour)",
    ),
}

_UNKNOWN = Location("?")


@dataclass(frozen=True)
class Finding:
    """One lint finding: where, a stable id, its severity, what it is about, and why."""

    location: Location
    id: str
    severity: Severity
    subject: str
    message: str
    model: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "id": self.id,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "model": self.model,
        }


@dataclass(frozen=True)
class LintReport:
    """Every finding of the catalogs linted, sorted by place, each reported once; ``ignored``
    counts the findings silenced by a ``# lint: ignore[...]`` comment on their line."""

    models: tuple[str, ...]
    findings: tuple[Finding, ...]
    ignored: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def fails(self, strict: bool = False) -> bool:
        """Errors fail; with ``strict``, warnings too."""
        return self.errors > 0 or (strict and self.warnings > 0)


def _at(obj: Strict, *subpath: str | int) -> Location:
    return (obj.where_of(*subpath) if subpath else obj.where) or obj.where or _UNKNOWN


class _Linter:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.findings: list[Finding] = []
        self.options = catalog.option_index()
        self.packages = catalog.package_index()
        self.names = {code: option.name for code, (_, option) in self.options.items()}
        self.names.update({code: package.name for code, package in self.packages.items()})

    def add(self, check: str, location: Location, subject: str, message: str) -> None:
        self.findings.append(
            Finding(location, check, CHECKS[check][0], subject, message, self.catalog.id)
        )

    def label(self, code: str) -> str:
        name = self.names.get(code)
        return f"{code} ({name})" if name else code

    def where_code(self, code: str) -> Location:
        if code in self.options:
            return _at(self.options[code][1])
        if code in self.packages:
            return _at(self.packages[code])
        return _at(self.catalog)

    def run(self) -> list[Finding]:
        self.semantic()
        self.editorial()
        return self.findings

    # --- what the solution space says -------------------------------------------------------

    def semantic(self) -> None:
        from configurator.rules.engine import RulesEngine
        from configurator.workbench.sat import ConstraintSat

        catalog = self.catalog
        engine = RulesEngine(catalog, None)
        sat = ConstraintSat(engine.problem)
        if engine.count() == 0:
            return  # `catalog validate` reports a catalog that admits no car
        dead = set(engine.dead_options())
        unreachable = self.programmes(engine, sat, dead)
        for code in engine.codes:
            if code not in dead or code in unreachable:
                continue
            explanation = engine.explain([code])
            why = f": {explanation.summary()}" if explanation is not None else ""
            if code in self.packages:
                self.add(
                    "package-never-bought",
                    self.where_code(code),
                    code,
                    f"package {self.label(code)} can never be bought: no valid configuration "
                    f"contains it{why}",
                )
            else:
                self.add(
                    "dead-option",
                    self.where_code(code),
                    code,
                    f"option {self.label(code)} can never be chosen: no valid configuration "
                    f"contains it{why}",
                )
        self.false_optional(engine, dead)
        self.redundant_rules(sat)
        self.price_rules(sat)
        self.discounts(sat)
        self.windows(dead)

    def programmes(self, engine: Any, sat: Any, dead: set[str]) -> set[str]:
        """Programmes whose minimum no valid car reaches; returns their options (dead only
        because of it, so not reported again as dead options)."""
        spend_index = {
            c.id: i for i, c in enumerate(engine.problem.constraints) if c.kind == "spend"
        }
        silenced: set[str] = set()
        for programme in self.catalog.programmes:
            index = spend_index.get(f"spend:{programme.id}")
            codes = [code for code in dict.fromkeys(programme.options) if code in self.names]
            if index is None or not codes or not all(code in dead for code in codes):
                continue
            possible = [code for code in codes if sat.solve([Var(code)], without={index})]
            if not possible:
                continue  # dead for other reasons: reported as dead options
            silenced.update(possible)
            self.add(
                "programme-unreachable",
                _at(programme),
                programme.id,
                f"programme '{programme.id}' ({programme.name}): no valid configuration "
                f"reaches its minimum spend of {programme.minimum_spend:,} "
                f"{self.catalog.currency}, so none of its options can be chosen",
            )
        return silenced

    def false_optional(self, engine: Any, dead: set[str]) -> None:
        forced = engine.forced_options()
        for code in forced:
            if code in self.options:
                group = self.options[code][0]
                if group.choose.min >= len(group.options):
                    continue  # the group itself takes every option
                others = [o.code for o in group.options if o.code != code]
                if group.choose.min >= 1 and all(other in dead for other in others):
                    continue  # the only one left: its dead neighbours are the finding
                where = f"group '{group.id}' ({group.choose.describe()})"
            else:
                where = "the packages"
            self.add(
                "false-optional",
                self.where_code(code),
                code,
                f"{self.label(code)} is in every valid configuration, though {where} lets "
                f"the buyer leave it out",
            )

    def redundant_rules(self, sat: Any) -> None:
        """A rule is redundant when the groups, packages, brings and the other rules imply
        it. From the last rule up, each redundant one is set aside, so of two equal rules
        the later one is reported."""
        constraints = sat.problem.constraints
        hard = {"cardinality", "rule", "table", "brings", "package"}
        left_out = {i for i, c in enumerate(constraints) if c.kind not in hard}
        by_id = {**{r.id: r for r in self.catalog.rules}, **{t.id: t for t in self.catalog.tables}}
        for index in range(len(constraints) - 1, -1, -1):
            constraint = constraints[index]
            if constraint.kind not in ("rule", "table") or constraint.id not in by_id:
                continue
            meaning = _meaning(constraint)
            if sat.solve([Not(meaning)], without=left_out | {index}) is not None:
                continue
            left_out.add(index)
            kind = "rule" if constraint.kind == "rule" else "variant table"
            self.add(
                "redundant-rule",
                _at(by_id[constraint.id]),
                constraint.id,
                f"{kind} '{constraint.id}' is redundant: the groups and the other rules "
                f"already imply it",
            )

    def price_rules(self, sat: Any) -> None:
        cases = charge_cases(self.catalog)
        seen: dict[str, int] = {}
        for rule in self.catalog.price_rules:
            if rule.option in self.packages:
                self.add(
                    "price-rule-never-applies",
                    _at(rule),
                    rule.id,
                    f"price rule '{rule.id}' never applies: {self.label(rule.option)} is a "
                    f"package, and price rules change the prices of options",
                )
                continue
            charge = cases.get(rule.option)
            if charge is None:
                continue
            rules_of_option = sum(1 for r in self.catalog.price_rules if r.option == rule.option)
            held = len(charge) - 1 - rules_of_option  # 1 when a package includes the option
            k = held + seen.get(rule.option, 0)
            seen[rule.option] = seen.get(rule.option, 0) + 1
            if sat.solve([Var(rule.option), parse(rule.when)]) is None:
                why = "its condition never holds on a valid car with the option"
            elif sat.solve([Var(rule.option), first_case(charge, k)]) is None:
                why = (
                    "whenever its condition holds, a package including the option or an "
                    "earlier price rule sets the price instead"
                )
            else:
                continue
            self.add(
                "price-rule-never-applies",
                _at(rule),
                rule.id,
                f"price rule '{rule.id}' ({self.label(rule.option)} at {rule.price:,}) never "
                f"applies: {why}",
            )

    def discounts(self, sat: Any) -> None:
        for discount in self.catalog.discounts:
            holding: list[Expr] = [parse(discount.when)]
            if discount.of:
                holding.append(Or(tuple(Var(code) for code in dict.fromkeys(discount.of))))
            if sat.solve(holding) is not None:
                continue
            about = " with any of the codes it applies to" if discount.of else ""
            self.add(
                "discount-never-applies",
                _at(discount),
                discount.id,
                f"discount '{discount.id}' never applies: its condition never holds on a "
                f"valid car{about}",
            )

    def windows(self, dead: set[str]) -> None:
        """Options with an availability window (or needing options that have one) that no
        valid car can have on any day the window and the catalog's dates allow."""
        from configurator.rules.engine import RulesEngine

        windows: dict[str, Period | None] = {
            code: option.available for code, (_, option) in self.options.items()
        }
        windows.update({code: package.available for code, package in self.packages.items()})
        periods = [p for p in windows.values() if p is not None]
        if not periods:
            return
        effective = self.catalog.effective
        days = _epochs([*periods, *([effective] if effective else [])])
        days = [day for day in days if effective is None or effective.contains(day)]
        selectable = [RulesEngine(self.catalog, day).selectable() for day in days]
        for code, window in windows.items():
            if code in dead:
                continue
            inside = [i for i, day in enumerate(days) if window is None or window.contains(day)]
            if any(selectable[i][code] for i in inside):
                continue
            span = _describe(window) if window is not None else "at any date"
            if not inside:
                why = "its window does not overlap the catalog's effective dates"
            else:
                why = "on every one of those days it needs options that are not available then"
            self.add(
                "unavailable-in-window",
                (window.where if window is not None else None) or self.where_code(code),
                code,
                f"{self.label(code)} is available {span}, but no valid car can have it then: {why}",
            )

    # --- editorial checks ----------------------------------------------------------------

    def editorial(self) -> None:
        catalog = self.catalog
        chinese = catalog.market == "cn" or catalog.currency == "CNY"
        if catalog.base_price and not (catalog.source or catalog.note):
            self.add(
                "price-without-source",
                _at(catalog, "base_price"),
                catalog.id,
                "the base price has neither 'source' nor 'note': cite where it is published, "
                "or say in a note that it is an estimate",
            )
        if chinese and not _has_chinese(catalog.names):
            self.missing_name(catalog, catalog.id, f"model '{catalog.id}'")
        for group in catalog.groups:
            if chinese and not _has_chinese(group.names):
                self.missing_name(group, group.id, f"group '{group.id}'")
            for option in group.options:
                self.option(option, group.id, chinese)
        for package in catalog.packages:
            if package.price and not (package.source or package.note):
                self.unsourced(package, package.code, f"package {package.code}")
        for programme in catalog.programmes:
            money = programme.minimum_spend or programme.deposit
            if money and not (programme.source or programme.note):
                self.unsourced(programme, programme.id, f"programme '{programme.id}'")
            if chinese and not _has_chinese(programme.names):
                self.missing_name(programme, programme.id, f"programme '{programme.id}'")

    def option(self, option: Option, group_id: str, chinese: bool) -> None:
        if option.price and not (option.source or option.note):
            self.unsourced(option, option.code, f"option {option.code}")
        if chinese and not _has_chinese(option.names):
            self.missing_name(option, option.code, f"option {option.code}")
        is_paint = "paint" in option.tags or "paint" in group_id.split("-")
        buyer_colour = option.value is not None and option.value.kind == "colour"
        if is_paint and option.swatch is None and not buyer_colour:
            self.add(
                "paint-without-swatch",
                _at(option),
                option.code,
                f"paint {self.label(option.code)} has no swatch: add 'swatch: \"#rrggbb\"'",
            )

    def unsourced(self, obj: Strict, subject: str, what: str) -> None:
        self.add(
            "price-without-source",
            _at(obj, "price") if "price" in type(obj).model_fields else _at(obj),
            subject,
            f"the price of {what} has neither 'source' nor 'note': cite where it is "
            f"published, or say in a note that it is an estimate",
        )

    def missing_name(self, obj: Strict, subject: str, what: str) -> None:
        self.add(
            "missing-chinese-name",
            _at(obj, "name"),
            subject,
            f"{what} has no Chinese name: add 'names: {{zh-CN: ...}}' (the catalog is for "
            f"the Chinese market)",
        )


def _meaning(constraint: Any) -> Expr:
    """A rule's or a variant table's condition as one expression."""
    if constraint.expr is not None:
        return constraint.expr
    rows = Or(tuple(And(tuple(Var(code) for code in row)) for row in constraint.rows))
    return rows if constraint.allowed else Not(rows)


def _has_chinese(names: dict[str, str]) -> bool:
    return any(tag == "zh" or tag.startswith("zh-") for tag in names)


def _epochs(periods: Iterable[Period]) -> list[dt.date]:
    """One day of every stretch of dates over which no period starts or ends (the first day
    of each stretch), so that availability is the same on every day of a stretch."""
    bounds: set[dt.date] = set()
    for period in periods:
        if period.from_ is not None:
            bounds.add(period.from_)
        if period.until is not None and period.until < dt.date.max:
            bounds.add(period.until + dt.timedelta(days=1))
    if not bounds:
        return [dt.date.today()]
    ordered = sorted(bounds)
    return [ordered[0] - dt.timedelta(days=1), *ordered]


def _describe(period: Period) -> str:
    if period.from_ and period.until:
        return f"from {period.from_} to {period.until}"
    if period.from_:
        return f"from {period.from_}"
    if period.until:
        return f"until {period.until}"
    return "at any date"


def lint_catalog(catalog: Catalog) -> list[Finding]:
    """Every finding of one (valid) catalog, in the order the checks run."""
    return _Linter(catalog).run()


_IGNORE = re.compile(r"#\s*lint:\s*ignore(?:\[([^\]]*)\])?")


class _Suppressions:
    """``# lint: ignore[id, ...]`` (or ``# lint: ignore``, every id) comments, by line."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._lines: dict[str, list[str]] = {}

    def _read(self, file: str) -> str:
        # A finding's file is as shown to people: relative to the working folder, or to the
        # catalog tree when the tree lies outside it.
        candidates = [Path(file)] + ([self._root / file] if self._root is not None else [])
        for path in candidates:
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        return ""

    def silences(self, finding: Finding) -> bool:
        location = finding.location
        if not location.line:
            return False
        if location.file not in self._lines:
            self._lines[location.file] = self._read(location.file).splitlines()
        lines = self._lines[location.file]
        if location.line > len(lines):
            return False
        match = _IGNORE.search(lines[location.line - 1])
        if match is None:
            return False
        listed = match.group(1)
        return listed is None or finding.id in {i.strip() for i in listed.split(",")}


def lint_catalogs(catalogs: Sequence[Catalog], root: Path | None = None) -> LintReport:
    """Lint several catalogs; a finding in a shared fragment is reported once, not once per
    model including it. A finding whose line carries ``# lint: ignore[its-id]`` (or a bare
    ``# lint: ignore``) is left out and counted as ignored; ``root`` is the catalog tree, where
    files named relative to it are found."""
    findings: dict[tuple[Any, ...], Finding] = {}
    for catalog in catalogs:
        for finding in lint_catalog(catalog):
            key = (finding.location, finding.id, finding.subject, finding.message)
            findings.setdefault(key, finding)
    suppressions = _Suppressions(root)
    kept = [f for f in findings.values() if not suppressions.silences(f)]
    ordered = sorted(
        kept, key=lambda f: (f.location.file, f.location.line, f.location.column, f.id, f.subject)
    )
    return LintReport(tuple(c.id for c in catalogs), tuple(ordered), len(findings) - len(kept))
