"""Catalogs as a careless or hostile editor writes them: each class of fault, several ways.

Files that are not files, numbers YAML 1.1 reads in another base, rates out of range,
expressions nested until the stack breaks, catalogs that are well formed but admit no car,
rules too hard to compile. Every case ends in a clear problem (``file:line:column``, a stable
code) and a documented exit code, in seconds, with no traceback.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree
from configurator.cli import app
from configurator.errors import CompileBudgetExceeded
from configurator.rules import compile as rules_compile
from configurator.rules.compile import CompileBudget, compile_catalog, problem_of
from configurator.rules.engine import RulesEngine

MINI = Path(__file__).resolve().parent / "data" / "mini"


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """Every case here must finish in seconds: a hang fails the test instead of the run."""

    def stop(*_: object) -> None:
        raise TimeoutError("the case took more than 60 seconds")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the small test tree: acme/roadster.yaml, acme/_atelier.yaml, markets/xx."""
    root = tmp_path / "tree"
    shutil.copytree(MINI, root)
    return root


def _invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _model(tree: Path, name: str, edit: tuple[str, str] | None = None, rules: str = "") -> Path:
    """A model ``acme-<name>`` made from the roadster, with one text edit and extra rules."""
    text = (tree / "acme" / "roadster.yaml").read_text("utf-8")
    text = text.replace("id: acme-roadster", f"id: acme-{name}")
    if edit is not None:
        assert edit[0] in text, edit
        text = text.replace(edit[0], edit[1], 1)
    if rules:
        text = text.replace("\nrules:\n", "\nrules:\n" + rules, 1)
    path = tree / "acme" / f"{name}.yaml"
    path.write_text(text, "utf-8")
    return path


# --- files that are not regular files --------------------------------------------------------


def _make(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to(os.devnull)
    elif kind == "loop":
        partner = path.with_name(path.stem + "-partner.yaml")
        path.symlink_to(partner.name)
        partner.symlink_to(path.name)
    elif kind == "directory":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to("nowhere.yaml")


KINDS = {
    "fifo": "named pipe (FIFO)",
    "device": "a device",
    "loop": "loop of symbolic links",
    "directory": "a directory",
    "dangling": "does not exist",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_model_that_is_not_a_regular_file(runner: CliRunner, tree: Path, kind: str) -> None:
    _make(kind, tree / "acme" / "odd.yaml")
    started = time.monotonic()
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate")
    assert code == 3 and KINDS[kind] in out and "[unreadable]" in out, out
    code, out = _invoke(runner, "--catalogs", str(tree), "quote", "acme-odd")
    assert code == 3 and KINDS[kind] in out, out
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "dangling"])
def test_validate_names_an_odd_file_given_by_path(runner: CliRunner, tree: Path, kind: str) -> None:
    odd = tree / "acme" / "odd.yaml"
    _make(kind, odd)
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(odd))
    assert code == 3 and KINDS[kind] in out, out


def test_dev_zero_is_a_device_not_missing(runner: CliRunner) -> None:
    if not os.path.exists("/dev/zero"):  # pragma: no cover - every POSIX system has it
        pytest.skip("no /dev/zero")
    code, out = _invoke(runner, "catalog", "validate", "/dev/zero")
    assert code == 3 and "a device" in out and "does not exist" not in out, out


@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "directory"])
def test_an_include_that_is_not_a_regular_file(runner: CliRunner, tree: Path, kind: str) -> None:
    _make(kind, tree / "acme" / "_odd.yaml")
    _model(tree, "inc", ("includes: [_atelier.yaml]", "includes: [_atelier.yaml, _odd.yaml]"))
    code, out = _invoke(runner, "--catalogs", str(tree), "quote", "acme-inc")
    expected = "include-outside-tree" if kind == "device" else "include-unreadable"
    assert code == 3 and expected in out, out
    if kind != "device":
        assert KINDS[kind] in out


@pytest.mark.parametrize("name", ["\\0", "\\0.yaml", "_a\\tb.yaml", "\\e]0;x\\a", " "])
def test_an_include_name_with_control_characters(runner: CliRunner, tree: Path, name: str) -> None:
    path = _model(
        tree, "inc", ("includes: [_atelier.yaml]", f'includes: [_atelier.yaml, "{name}"]')
    )
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and "include-bad-name" in out and "inc.yaml:14:" in out, out


# --- YAML 1.1 numbers in other bases ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "base"),
    [
        ("1:30", "base-60"),
        ("190:00:00", "base-60"),
        ("-1:30", "base-60"),
        ("1:30.5", "base-60"),
        ("0x10", "hexadecimal"),
        ("0xFF", "hexadecimal"),
        ("0b101", "binary"),
        ("+0b1", "binary"),
    ],
)
@pytest.mark.parametrize(
    ("field", "line"), [("base_price: 300000", 12), ("lead_time_weeks: 4", 13)]
)
def test_numbers_in_another_base_are_refused(
    runner: CliRunner, tree: Path, written: str, base: str, field: str, line: int
) -> None:
    key = field.split(":")[0]
    path = _model(tree, "num", (field, f"{key}: {written}"))
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and "[yaml-number-base]" in out and base in out, out
    assert f"num.yaml:{line}:" in out, out


def test_quoted_or_decimal_numbers_are_fine(runner: CliRunner, tree: Path) -> None:
    path = _model(tree, "num", ("lead_time_weeks: 4", "lead_time_weeks: 16"))
    _model(tree, "num2", ("name: Acme Roadster", 'name: "1:30"'))
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 0, out
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate")
    assert code == 0, out


# --- rates and fractions out of range ----------------------------------------------------------


MARKET = """id: xx
name: Test market
currency: CNY
prices_include_vat: true
vat_rate: "{vat}"
taxes:
  - id: purchase-tax
    name: Purchase tax
    periods:
      - kind: reduced
        rate: "{rate}"
        fraction: "{fraction}"
        cap: 15000
exchange_rates:
  - date: 2025-01-02
    rates: {{USD: "{usd}"}}
"""
GOOD = {"vat": "0.13", "rate": "0.10", "fraction": "0.5", "usd": "7.1879"}


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("vat", "100", 5),
        ("vat", "1", 5),
        ("vat", "13", 5),
        ("rate", "10", 11),
        ("rate", "2.5", 11),
        ("rate", "-0.1", 11),
        ("fraction", "1.5", 12),
        ("fraction", "0", 12),
        ("usd", "0", 16),
        ("usd", "0.0000000001", 16),
        ("usd", "10000000", 16),
    ],
)
def test_rates_out_of_range_are_refused(
    runner: CliRunner, tree: Path, field: str, value: str, line: int
) -> None:
    market = tree / "markets" / "xx.yaml"
    market.write_text(MARKET.format(**{**GOOD, field: value}), "utf-8")
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(market))
    assert code == 3 and f"xx.yaml:{line}:" in out, out
    code, out = _invoke(runner, "--catalogs", str(tree), "quote", "acme-roadster")
    assert code == 3, out


@pytest.mark.parametrize(
    ("field", "value"),
    [("vat", "0.27"), ("vat", "0"), ("rate", "1.5"), ("fraction", "1"), ("usd", "0.000045")],
)
def test_rates_at_the_edge_of_the_range_are_fine(
    runner: CliRunner, tree: Path, field: str, value: str
) -> None:
    market = tree / "markets" / "xx.yaml"
    market.write_text(MARKET.format(**{**GOOD, field: value}), "utf-8")
    code, out = _invoke(
        runner, "--catalogs", str(tree), "quote", "acme-roadster", "--format", "json"
    )
    assert code == 0, out
    assert '"-' not in out.split('"lines"')[0]  # no negative amount in the totals


# --- deep expressions -----------------------------------------------------------------------------


DEEP = {
    "parentheses in requires": (
        "requires: WHEEL-20-FORGED or PKG-SPORT",
        "requires: " + "(" * 300 + "WHEEL-20-FORGED" + ")" * 300,
    ),
    "not in requires": (
        "requires: WHEEL-20-FORGED or PKG-SPORT",
        "requires: " + "not " * 200 + "PKG-SPORT",
    ),
    "not in when": ("    when: PKG-SPORT", "    when: " + "not " * 201 + "PKG-SPORT"),
    "parentheses in when": (
        "    when: PKG-SPORT",
        "    when: " + "(" * 1000 + "PKG-SPORT" + ")" * 1000,
    ),
    "mixed": (
        "requires: WHEEL-20-FORGED or PKG-SPORT",
        "requires: " + "not (" * 60 + "PKG-SPORT" + ")" * 60,
    ),
}


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_expressions_are_bad_expressions(runner: CliRunner, tree: Path, case: str) -> None:
    path = _model(tree, "deep", DEEP[case])
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and "[bad-expression]" in out and "nests more than 50" in out, out
    assert "deep.yaml:" in out
    for args in (
        ["quote", "acme-deep"],
        ["available", "acme-deep"],
        ["catalog", "stats", "acme-deep"],
    ):
        code, out = _invoke(runner, "--catalogs", str(tree), *args)
        assert code == 3 and "[bad-expression]" in out, (args, out)


def test_deep_rule_expressions_in_if_and_then(runner: CliRunner, tree: Path) -> None:
    rules = (
        '  - id: deep-if\n    message: m\n    if: "' + "not " * 200 + 'PKG-SPORT"\n'
        "    then: ROOF-GLASS\n"
        '  - id: deep-then\n    message: m\n    if: ROOF-GLASS\n    then: "'
        + "(" * 300
        + "PKG-SPORT"
        + ")" * 300
        + '"\n'
    )
    path = _model(tree, "deep", rules=rules)
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and out.count("[bad-expression]") == 2, out


def test_nesting_within_the_limit_is_fine(runner: CliRunner, tree: Path) -> None:
    _model(
        tree,
        "deep",
        (
            "requires: WHEEL-20-FORGED or PKG-SPORT",
            "requires: " + "not " * 50 + "not PKG-SPORT"[4:],
        ),
    )
    code, out = _invoke(runner, "--catalogs", str(tree), "quote", "acme-deep")
    assert code == 0, out


# --- catalogs that validate but admit no car, or whose standard car breaks a rule --------------


NO_CAR = {
    "true then false": (
        '  - id: never\n    message: Nothing goes\n    if: "true"\n    then: "false"\n'
    ),
    "two rules against a third": (
        '  - id: glass-always\n    message: Glass on every car\n    if: "true"\n'
        "    then: ROOF-GLASS\n"
        '  - id: audio-always\n    message: Audio on every car\n    if: "true"\n'
        "    then: AUDIO-PREMIUM\n"
    ),
    "a forced option against a group": (
        '  - id: no-white\n    message: No white\n    if: "true"\n    then: not PAINT-WHITE\n'
        '  - id: no-blue\n    message: No blue\n    if: "true"\n    then: not PAINT-BLUE\n'
        '  - id: no-gold\n    message: No gold\n    if: "true"\n    then: not PAINT-GOLD\n'
        '  - id: no-sample\n    message: No sample\n    if: "true"\n'
        "    then: not PAINT-TO-SAMPLE\n"
    ),
}


@pytest.mark.parametrize("case", sorted(NO_CAR))
def test_a_catalog_that_admits_no_car(runner: CliRunner, tree: Path, case: str) -> None:
    path = _model(tree, "none", rules=NO_CAR[case])
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and "[no-valid-car]" in out and "none.yaml:62:5" in out, out
    ids = [line.split("id: ")[1] for line in NO_CAR[case].splitlines() if "id: " in line]
    for rule_id in ids:
        assert f"'{rule_id}'" in out, out
    if case == "two rules against a third":
        assert "'no-glass-with-audio'" in out  # the minimal conflict, and nothing else
        assert "'blue-needs-forged'" not in out


@pytest.mark.parametrize(
    "rules",
    [
        "  - id: white-needs-forged\n    message: White needs forged wheels\n"
        "    option: PAINT-WHITE\n    requires: WHEEL-20-FORGED\n",
        '  - id: glass-always\n    message: Glass on every car\n    if: "true"\n'
        "    then: ROOF-GLASS\n",
        "  - id: wheel-excludes-white\n    message: m\n    option: WHEEL-19\n"
        "    excludes: [PAINT-WHITE]\n",
    ],
)
def test_defaults_that_break_a_rule(runner: CliRunner, tree: Path, rules: str) -> None:
    path = _model(tree, "std", rules=rules)
    rule_id = rules.split("id: ")[1].split("\n")[0]
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and "[defaults-break-rule]" in out and f"'{rule_id}'" in out, out
    assert "std.yaml:62:5" in out, out


def test_the_whole_tree_reports_both_and_the_valid_model_stays_valid(
    runner: CliRunner, tree: Path
) -> None:
    _model(tree, "none", rules=NO_CAR["true then false"])
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate")
    assert code == 3 and out.count("[no-valid-car]") == 1 and "roadster.yaml" not in out, out


# --- rules too hard to compile: nothing waits for them -------------------------------------------


def _hard_catalog(tree: Path, options: int = 60, rules: int = 30, seed: int = 1) -> str:
    """The reported case: many ``choose: any`` options and random three-code rules."""
    rng = random.Random(seed)
    lines = [
        "id: acme-hard", "brand: Acme", "name: Acme Hard", "model_year: 2025",
        'version: "1.0"', "market: xx", "currency: CNY", "powertrain: bev", "nev: true",
        "base_price: 300000", "groups:", "  - id: extras", "    name: Extras",
        "    choose: any", "    options:",
    ]  # fmt: skip
    for i in range(options):
        lines += [
            f"      - code: OPT-{i:02d}",
            f"        name: Option {i}",
            f"        price: {1000 + i}",
        ]
    lines.append("rules:")
    for k in range(rules):
        a = rng.randrange(options)
        b, c, d = rng.sample([i for i in range(options) if i != a], 3)
        x, y = rng.choice(["or", "and"]), rng.choice(["or", "and"])
        lines += [
            f"  - id: r{k}",
            f"    message: rule {k}",
            f"    option: OPT-{a:02d}",
            f"    requires: OPT-{b:02d} {x} not OPT-{c:02d} {y} OPT-{d:02d}",
        ]
    (tree / "acme" / "hard.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    first = next(line for line in lines if line.startswith("    option: "))
    return first.split(": ")[1]


def test_a_rejected_quote_and_batch_never_wait_for_compilation(
    runner: CliRunner, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    option = _hard_catalog(tree)

    def no_compilation(*_: object, **__: object) -> None:
        raise AssertionError("a rejection compiled the rules")

    monkeypatch.setattr(rules_compile, "compile_problem", no_compilation)
    started = time.monotonic()
    code, out = _invoke(runner, "--catalogs", str(tree), "quote", "acme-hard", option)
    assert code == 4 and "rule 0" in out and "you chose " + option in out, out
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,model,options\n" + "".join(f"{i},acme-hard,OPT-{i:02d}\n" for i in range(60)), "utf-8"
    )
    code, out = _invoke(runner, "--catalogs", str(tree), "batch", str(rows))
    assert code in (0, 5) and "rule_violation" in out, out
    assert time.monotonic() - started < 30
    assert not list((tmp_path / "cache").glob("rules-*"))


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("CONFIGURATOR_COMPILE_NODES", "20000", "nodes"),
        ("CONFIGURATOR_COMPILE_SECONDS", "0.2", "s"),
    ],
)
def test_over_budget_the_engine_says_so_clearly(
    runner: CliRunner,
    tree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    words: str,
) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(variable, value)
    _hard_catalog(tree)
    # Forced onto the BDD, the budget is an error that says which limit and how to raise it.
    monkeypatch.setenv("CONFIGURATOR_ENGINE", "bdd")
    for args in (["catalog", "stats", "acme-hard"], ["available", "acme-hard"]):
        started = time.monotonic()
        code, out = _invoke(runner, "--catalogs", str(tree), *args)
        assert code == 3, out
        assert "too complex to compile" in out and variable in out and words in out, out
        assert time.monotonic() - started < 15
    # Otherwise the SAT engine answers past the budget, and stats says why.
    monkeypatch.delenv("CONFIGURATOR_ENGINE")
    started = time.monotonic()
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "stats", "acme-hard")
    assert code == 0 and "SAT" in out and words in out, out
    code, out = _invoke(runner, "--catalogs", str(tree), "available", "acme-hard")
    assert code == 0, out
    assert time.monotonic() - started < 30


def test_the_budget_exception_carries_what_was_exceeded(tree: Path) -> None:
    _hard_catalog(tree)
    catalog = CatalogTree(tree).load("acme-hard")
    with pytest.raises(CompileBudgetExceeded) as raised:
        compile_catalog(catalog, budget=CompileBudget(nodes=5_000, seconds=60))
    error = raised.value
    assert error.limit == "nodes" and error.reached > 5_000 and error.catalog_id == "acme-hard"
    with pytest.raises(CompileBudgetExceeded) as raised:
        compile_catalog(catalog, budget=CompileBudget(nodes=10**9, seconds=0.01))
    assert raised.value.limit == "seconds"


def unsifted_size(builder: rules_compile._Builder, root: object) -> int:
    return int(len(root))  # type: ignore[arg-type]


def test_sifting_out_of_time_keeps_the_exact_unsifted_diagram(tree: Path) -> None:
    """Sifting is abandoned (its child killed) when the time is up; the diagram it leaves
    answers exactly as the sifted one."""
    _hard_catalog(tree, options=30, rules=16, seed=3)
    catalog = CatalogTree(tree).load("acme-hard")
    problem = problem_of(catalog, None)
    sifted, was_sifted = rules_compile.compile_problem(problem)
    order = [n for b in rules_compile.block_order(problem) for n in problem.blocks[b]]
    builder = rules_compile._Builder(problem, order)
    root = builder.conjoin()
    assert rules_compile._sift_within(builder, root, problem.blocks, 0.0) is None
    again = rules_compile._sift_within(builder, root, problem.blocks, 60.0)
    assert again is not None and again.size <= unsifted_size(builder, root)
    unsifted = builder.export(root)
    compiled = compile_catalog(catalog)
    engines = [
        RulesEngine(catalog, compiled=rules_compile.Compiled(problem, d, "k", 0.0, False))
        for d in (sifted, unsifted)
    ]
    assert (
        engines[0].count() == engines[1].count() == RulesEngine(catalog, compiled=compiled).count()
    )
    assert engines[0].valid_domains(["OPT-01"]) == engines[1].valid_domains(["OPT-01"])
    resifted = RulesEngine(catalog, compiled=rules_compile.Compiled(problem, again, "k", 0, False))
    assert resifted.count() == engines[0].count()
    assert resifted.valid_domains(["OPT-01"]) == engines[0].valid_domains(["OPT-01"])


# --- messages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        (b'id: x\nname: "caf\xe9"\n', 2, 11),
        (b"\xff\xfeid: x\n", 1, 1),
        (b'id: x\n# \xe4\xb8\xad\xe6\x96\x87 ok\nname: "\xe4\xb8\xad\x80"\n', 3, 9),
    ],
)
def test_a_file_that_is_not_utf8_is_reported_at_its_line(
    runner: CliRunner, tree: Path, raw: bytes, line: int, column: int
) -> None:
    path = tree / "acme" / "latin.yaml"
    path.write_bytes(raw)
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and f"latin.yaml:{line}:{column}: error: not UTF-8" in out, out
    assert "position" not in out


def test_models_in_an_empty_folder(runner: CliRunner, tmp_path: Path) -> None:
    for args in (["models"], ["models", "--json"]):
        code, out = _invoke(runner, "--catalogs", str(tmp_path), *args)
        assert code == 2 and "no models were found" in out, out


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("      - code: ROOF-GLASS\n", "      - code: roof-glass\n"), "bad-format"),
        (("    choose: exactly-one\n", "    choose: exactly-onee\n"), "invalid-value"),
        (("        price: 8000\n", "        price: 8000.5x\n"), "bad-money"),
        (("  - id: wheels\n", "  - id: Wheels!\n"), "bad-format"),
    ],
)
def test_one_schema_error_is_one_problem(
    runner: CliRunner, tree: Path, edit: tuple[str, str], expected: str
) -> None:
    path = _model(tree, "one", edit)
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(path))
    assert code == 3 and f"[{expected}]" in out and "unknown" not in out, out
    assert out.count(": error: ") == 1, out


SHADOWED = """id: xx
name: Test market
currency: CNY
prices_include_vat: true
vat_rate: "0.13"
taxes:
  - id: purchase-tax
    name: Purchase tax
    periods:
{periods}
"""


@pytest.mark.parametrize(
    ("periods", "warned"),
    [
        (
            '      - kind: percentage\n        rate: "0.10"\n'
            "      - kind: exempt\n        nev: true\n",
            True,
        ),
        (
            "      - from: 2024-01-01\n        kind: exempt\n"
            "      - from: 2025-01-01\n        until: 2025-12-31\n        kind: percentage\n"
            '        rate: "0.1"\n        powertrains: [bev]\n',
            True,
        ),
        (
            "      - kind: exempt\n        nev: true\n        powertrains: [bev, phev]\n"
            "      - kind: exempt\n        nev: true\n        powertrains: [bev]\n",
            True,
        ),
        (
            "      - kind: exempt\n        nev: true\n"
            '      - kind: percentage\n        rate: "0.1"\n',
            False,
        ),
        (
            "      - from: 2025-01-01\n        kind: exempt\n"
            '      - from: 2024-01-01\n        kind: percentage\n        rate: "0.1"\n',
            False,
        ),
        (
            "      - kind: exempt\n        powertrains: [bev]\n"
            "      - kind: exempt\n        powertrains: [bev, ice]\n",
            False,
        ),
    ],
)
def test_a_shadowed_tax_period_is_a_warning(
    runner: CliRunner, tree: Path, periods: str, warned: bool
) -> None:
    market = tree / "markets" / "xx.yaml"
    market.write_text(SHADOWED.format(periods=periods), "utf-8")
    code, out = _invoke(runner, "--catalogs", str(tree), "catalog", "validate", str(market))
    assert code == 0, out
    assert (
        "warning:" in out and "[shadowed-period]" in out and "never applies" in out
    ) == warned, out
    code, _ = _invoke(runner, "--catalogs", str(tree), "quote", "acme-roadster")
    assert code == 0
