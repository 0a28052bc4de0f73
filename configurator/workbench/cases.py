"""Golden cases: configurations kept beside a catalog with what they must give.

A model's cases live in ``<brand>/<model>.cases.yaml`` next to ``<brand>/<model>.yaml``. Each
case is a configuration (option codes, buyer values, a date) and what pricing it must give:
amounts (``subtotal``, ``total``, the amount of a code's lines) or ``invalid`` with an error
code. :func:`run_cases` prices every case and reports each difference at the ``file:line`` of
the expected value; :func:`update_cases` rewrites the expectations from what the catalog gives
now, changing nothing else in the file (comments, order and the other cases stay).

Case files are read like catalogs (:mod:`configurator.catalog.yamlpos`: positions, duplicate
keys and floats for money refused), validated by the strict models below, and have their own
JSON Schema (``configurator catalog schema --cases``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from configurator.catalog.schema import Code, Money, Slug, Strict
from configurator.errors import (
    CatalogError,
    ConfigurationError,
    Location,
    Problem,
    UsageError,
)
from configurator.money import format_money, money_json

CASES_SUFFIX = ".cases.yaml"

LineKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=64)]
ErrorCode = Literal["unknown_option", "cardinality", "rule_violation", "minimum_spend", "bad_value"]


class Expectation(Strict):
    """What pricing the configuration must give: amounts, or that it is invalid."""

    subtotal: Money | None = Field(
        default=None,
        description="The car's price as listed (with VAT where the market's prices include "
        "it): the figure a brand publishes.",
    )
    total: Money | None = Field(
        default=None, description="What the buyer pays: the subtotal plus the taxes owed."
    )
    lines: dict[LineKey, Money] = Field(
        default_factory=dict,
        description="An option or package code -> what its lines add to the quote (a "
        "package's price, an option's price after a price rule), or a price rule's or "
        "discount's id -> the amount of its line (negative for a discount).",
    )
    invalid: ErrorCode | None = Field(
        default=None,
        description="The configuration must be rejected with this error code "
        "(unknown_option, cardinality, rule_violation, minimum_spend, bad_value).",
    )
    rule: Slug | None = Field(
        default=None,
        description="With 'invalid': a rule id the rejection must name.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Expectation:
        amounts = self.subtotal is not None or self.total is not None or bool(self.lines)
        if amounts == (self.invalid is not None):
            raise ValueError(
                "'expect' takes amounts (subtotal, total, lines) or 'invalid' with an error "
                "code, not both and not neither"
            )
        if self.rule is not None and self.invalid is None:
            raise ValueError("'rule' goes with 'invalid'")
        return self


class Case(Strict):
    """One configuration and what it must give."""

    name: str = Field(min_length=1, description="What the case checks, e.g. the published price.")
    options: list[Code] = Field(
        default_factory=list, description="The option and package codes chosen."
    )
    values: dict[Code, str] = Field(
        default_factory=dict, description="Buyer-supplied values by option code."
    )
    date: dt.date = Field(description="The day the car is priced (taxes are dated).")
    expect: Expectation = Field(description="What pricing must give.")
    source: str | None = Field(default=None, description="Where the expected figure is published.")
    note: str | None = Field(default=None, description="Remarks.")


class CaseFile(Strict):
    """A model's golden cases: ``<brand>/<model>.cases.yaml`` beside its catalog."""

    model: Slug = Field(description="The model id, e.g. xiaomi-su7-ultra.")
    cases: list[Case] = Field(min_length=1, description="The cases, run in order.")


def is_case_file(path: Path) -> bool:
    return path.name.endswith(CASES_SUFFIX)


def model_id_of(path: Path) -> str:
    """``xiaomi/su7-ultra.cases.yaml`` -> ``xiaomi-su7-ultra``."""
    return f"{path.parent.name}-{path.name[: -len(CASES_SUFFIX)]}"


def read_case_file(path: Path, display: str) -> tuple[CaseFile | None, list[Problem]]:
    """Read and validate a case file; every problem at its ``file:line:column``."""
    from configurator.catalog.loader import _validate
    from configurator.catalog.yamlpos import read_yaml_file

    parsed = read_yaml_file(path, display)
    cases, problems = _validate(parsed, CaseFile)
    problems = parsed.problems + problems
    if cases is not None and cases.model != model_id_of(path):
        problems.append(
            Problem(
                cases.where_of("model") or Location(display),
                "id-mismatch",
                f"'model' is '{cases.model}' but the file is the cases of "
                f"'{model_id_of(path)}' (<brand>/<model>.cases.yaml)",
            )
        )
    if problems:
        return None, problems
    return cases, []


# --- running --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What pricing a case gave: amounts, or the error code and message of a rejection."""

    subtotal: Decimal | None = None
    total: Decimal | None = None
    lines: tuple[tuple[str, Decimal], ...] = ()
    invalid: str | None = None
    rules: tuple[str, ...] = ()
    message: str = ""

    def line(self, code: str) -> Decimal | None:
        amounts = [amount for c, amount in self.lines if c == code]
        return sum(amounts, Decimal(0)) if amounts else None

    def describe(self) -> str:
        if self.invalid is not None:
            return f"invalid ({self.invalid}: {self.message})"
        return f"a valid car, subtotal {_money(self.subtotal)}, total {_money(self.total)}"


@dataclass(frozen=True)
class Difference:
    """One way a case's outcome differs from its expectation, where the expectation is."""

    location: Location
    what: str
    expected: str
    got: str


@dataclass(frozen=True)
class CaseResult:
    """A case, what it gave, and how that differs from what it expects (empty: it passed)."""

    file: str
    model: str
    name: str
    location: Location
    outcome: Outcome
    differences: tuple[Difference, ...]

    @property
    def passed(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "model": self.model,
            "case": self.name,
            "passed": self.passed,
            "differences": [
                {
                    "file": d.location.file,
                    "line": d.location.line,
                    "column": d.location.column,
                    "what": d.what,
                    "expected": d.expected,
                    "got": d.got,
                }
                for d in self.differences
            ],
        }


@dataclass(frozen=True)
class CaseReport:
    """Every case run, in file order."""

    files: tuple[str, ...]
    results: tuple[CaseResult, ...]

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)


def _outcome(pricer: Any, model: str, case: Case) -> Outcome:
    from configurator.configuration import Configuration

    configuration = Configuration.of(model, case.options, case.values)
    try:
        quote = pricer.price(configuration, case.date)
    except ConfigurationError as error:
        return Outcome(
            invalid=error.error_code,
            rules=tuple(error.rule_ids),
            message=error.message,
        )
    lines = tuple((line.code, line.amount) for line in quote.lines if line.code is not None)
    lines += tuple((line.id, line.amount) for line in quote.lines if line.id is not None)
    return Outcome(subtotal=quote.subtotal, total=quote.total, lines=lines)


def _money(amount: Decimal | None) -> str:
    return "nothing" if amount is None else format_money(amount)


def compare(case: Case, outcome: Outcome) -> tuple[Difference, ...]:
    """How the outcome differs from the case's expectation, each at the expected value."""
    expect = case.expect
    here = expect.where or case.where or Location("?")
    found: list[Difference] = []
    if expect.invalid is not None:
        at = expect.where_of("invalid") or here
        if outcome.invalid is None or outcome.invalid != expect.invalid:
            found.append(Difference(at, "invalid", expect.invalid, outcome.describe()))
        if expect.rule is not None and outcome.invalid and expect.rule not in outcome.rules:
            named = ", ".join(outcome.rules) or "no rule"
            found.append(Difference(expect.where_of("rule") or here, "rule", expect.rule, named))
        return tuple(found)
    if outcome.invalid is not None:
        return (Difference(here, "outcome", "a valid car", outcome.describe()),)
    for what, wanted, got in (
        ("subtotal", expect.subtotal, outcome.subtotal),
        ("total", expect.total, outcome.total),
    ):
        if wanted is not None and wanted != got:
            found.append(
                Difference(expect.where_of(what) or here, what, _money(wanted), _money(got))
            )
    for code, wanted_amount in expect.lines.items():
        got_amount = outcome.line(code)
        if got_amount != wanted_amount:
            found.append(
                Difference(
                    expect.where_of("lines", code) or here,
                    f"lines {code}",
                    _money(wanted_amount),
                    _money(got_amount) if got_amount is not None else "no line for this code",
                )
            )
    return tuple(found)


def _case_paths(tree: Any, models: list[str] | None) -> list[Path]:
    paths = tree.case_files()
    if models:
        known = {model_id_of(p): p for p in paths}
        for model in models:
            model_path = tree.model_path(model)  # an unknown model is a usage error
            if model not in known:
                expected = tree.display(model_path.with_name(model_path.stem + ".cases.yaml"))
                raise UsageError(f"'{model}' has no golden cases: write them in {expected}")
        paths = [known[m] for m in models]
    return paths


def load_cases(tree: Any, models: list[str] | None = None) -> list[tuple[Path, CaseFile]]:
    """Every case file of the tree (or of some models), validated; a CatalogError lists every
    problem of every file."""
    loaded: list[tuple[Path, CaseFile]] = []
    problems: list[Problem] = []
    for path in _case_paths(tree, models):
        cases, found = read_case_file(path, tree.display(path))
        problems += found
        if cases is not None:
            loaded.append((path, cases))
    if problems:
        raise CatalogError(problems)
    return loaded


def run_cases(tree: Any, models: list[str] | None = None) -> CaseReport:
    """Price every case of the tree's case files (or of some models) and compare."""
    from configurator.pricing.stored import model_pricer

    results: list[CaseResult] = []
    files: list[str] = []
    for path, cases in load_cases(tree, models):
        display = tree.display(path)
        files.append(display)
        pricer = model_pricer(cases.model, tree.root)
        for case in cases.cases:
            outcome = _outcome(pricer, cases.model, case)
            results.append(
                CaseResult(
                    file=display,
                    model=cases.model,
                    name=case.name,
                    location=case.where or Location(display),
                    outcome=outcome,
                    differences=compare(case, outcome),
                )
            )
    return CaseReport(tuple(files), tuple(results))


# --- updating ----------------------------------------------------------------------------------


def _quoted(amount: Decimal) -> str:
    """An amount as catalogs write it: a whole number plain, else a quoted decimal string."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return json.dumps(money_json(amount))


def expectation_lines(case: Case, outcome: Outcome, indent: str) -> list[str]:
    """The ``expect:`` block for what the case gave, keeping the kinds of amounts the author
    chose to check (a case that checked only the subtotal keeps checking only it)."""
    lines = [f"{indent}expect:\n"]
    inner = indent + "  "
    if outcome.invalid is not None:
        lines.append(f"{inner}invalid: {outcome.invalid}\n")
        rule = case.expect.rule
        if rule is not None and outcome.rules:
            lines.append(f"{inner}rule: {rule if rule in outcome.rules else outcome.rules[0]}\n")
        return lines
    old = case.expect
    keep_subtotal = old.subtotal is not None or old.invalid is not None
    keep_total = old.total is not None or old.invalid is not None
    if not (keep_subtotal or keep_total or old.lines):
        keep_subtotal = keep_total = True
    if keep_subtotal and outcome.subtotal is not None:
        lines.append(f"{inner}subtotal: {_quoted(outcome.subtotal)}\n")
    if keep_total and outcome.total is not None:
        lines.append(f"{inner}total: {_quoted(outcome.total)}\n")
    codes = [code for code in old.lines if outcome.line(code) is not None]
    if codes:
        lines.append(f"{inner}lines:\n")
        for code in codes:
            amount = outcome.line(code)
            assert amount is not None
            lines.append(f"{inner}  {code}: {_quoted(amount)}\n")
    return lines


_EXPECT_KEY = re.compile(r"^(\s*)(- )?expect\s*:")


def _expect_span(text_lines: list[str], case: Case) -> tuple[int, int, str] | None:
    """The 0-based line range [start, end) of a case's ``expect:`` block and its indent."""
    expect = case.expect
    if expect.where is None or case.where is None:
        return None
    start = None
    for index in range(expect.where.line - 1, case.where.line - 2, -1):
        match = _EXPECT_KEY.match(text_lines[index])
        if match:
            start = index
            indent = match.group(1) + ("  " if match.group(2) else "")
            break
    if start is None:
        return None
    key_column = len(indent)
    end = start + 1
    while end < len(text_lines):
        line = text_lines[end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            column = len(line) - len(line.lstrip())
            if column <= key_column:
                break
        end += 1
    while end > start + 1 and not text_lines[end - 1].strip():
        end -= 1  # blank lines between cases stay
    return start, end, indent


def update_cases(tree: Any, models: list[str] | None = None) -> list[tuple[str, int]]:
    """Rewrite the expectations of every failing case from what the catalog gives now; return
    (file, cases rewritten) per file changed. Files are replaced atomically."""
    import os
    import tempfile

    from configurator.pricing.stored import model_pricer

    changed: list[tuple[str, int]] = []
    for path, cases in load_cases(tree, models):
        pricer = model_pricer(cases.model, tree.root)
        text_lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        edits: list[tuple[int, int, list[str]]] = []
        for case in cases.cases:
            outcome = _outcome(pricer, cases.model, case)
            if not compare(case, outcome):
                continue
            span = _expect_span(text_lines, case)
            if span is None:
                continue
            start, end, indent = span
            edits.append((start, end, expectation_lines(case, outcome, indent)))
        if not edits:
            continue
        for start, end, new in sorted(edits, reverse=True):
            if text_lines[start].lstrip().startswith("- "):
                dash = text_lines[start][: len(text_lines[start]) - len(text_lines[start].lstrip())]
                new = [dash + "- " + new[0].lstrip(), *new[1:]]
            text_lines[start:end] = new
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed below
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        )
        try:
            with handle:
                handle.write("".join(text_lines))
            os.chmod(handle.name, path.stat().st_mode & 0o777)
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        changed.append((tree.display(path), len(edits)))
    return changed


# --- JSON Schema --------------------------------------------------------------------------------


def cases_json_schema() -> dict[str, Any]:
    """The JSON Schema of a case file (``catalogs/schema/cases.schema.json``)."""
    from configurator.catalog.export import JSON_SCHEMA_DIALECT

    schema = CaseFile.model_json_schema(by_alias=True)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": "cases.schema.json",
        "title": "configurator golden cases",
        **{key: value for key, value in schema.items() if key != "title"},
        "description": (
            "A model's golden cases (catalogs/<brand>/<model>.cases.yaml), run by "
            "'configurator catalog test'. Generated by 'configurator catalog schema --cases'; "
            "documented in docs/catalog-editing.md."
        ),
    }


def cases_schema_text() -> str:
    """The schema as kept in ``catalogs/schema/``: stable order, indented, final newline."""
    return json.dumps(cases_json_schema(), indent=2, ensure_ascii=False) + "\n"
