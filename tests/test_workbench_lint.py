"""`catalog lint`: planted faults are reported at their lines; the shipped tree lints clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree
from configurator.cli import app
from configurator.workbench.lint import CHECKS, lint_catalogs


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines.index(text) + 1


@pytest.fixture
def planted(tmp_path: Path, shipped_root: Path) -> tuple[Path, dict[str, int]]:
    """A copy of the shipped tree with faults planted in the SU7 Ultra; their lines."""
    root = tmp_path / "catalogs"
    shutil.copytree(shipped_root, root)
    su7 = root / "xiaomi" / "su7-ultra.yaml"
    text = su7.read_text(encoding="utf-8")
    plants = {
        "\nrules:\n": "  - id: planted-redundant\n"
        "    message: Semi-slicks need the track brakes (again)\n"
        "    if: TYRE-SEMI-SLICK and WHEEL-21-TRACK\n"
        "    then: BRAKE-CCB-TRACK\n",
        "\npackages:\n": "  - code: PKG-TWO-PAINTS\n"
        "    name: Two paints at once\n"
        "    price: 1000\n"
        "    includes: [PAINT-OBSIDIAN-BLACK, PAINT-PEARL-WHITE]\n"
        "    note: planted fault\n",
        "\ndiscounts:\n": "  - id: planted-never\n"
        "    reason: never\n"
        "    when: PAINT-OBSIDIAN-BLACK and PAINT-PEARL-WHITE\n"
        "    amount: 100\n",
    }
    for marker, block in plants.items():
        assert marker in text
        text = text.replace(marker, marker + block)
    text = text.replace(
        "\ndiscounts:\n",
        "\nprice_rules:\n"
        "  - id: planted-black-with-white\n"
        "    reason: impossible\n"
        "    option: PAINT-OBSIDIAN-BLACK\n"
        "    when: PAINT-PEARL-WHITE\n"
        "    price: 1\n"
        "\ndiscounts:\n",
    )
    su7.write_text(text, encoding="utf-8")
    lines = {
        "redundant": _line_of(su7, "  - id: planted-redundant"),
        "package": _line_of(su7, "  - code: PKG-TWO-PAINTS"),
        "price_rule": _line_of(su7, "  - id: planted-black-with-white"),
        "discount": _line_of(su7, "  - id: planted-never"),
    }
    return root, lines


def test_planted_faults_are_reported_at_their_lines(
    planted: tuple[Path, dict[str, int]],
) -> None:
    root, lines = planted
    report = lint_catalogs([CatalogTree(root).load("xiaomi-su7-ultra")])
    found = {(f.id, f.subject): f for f in report.findings}
    file = CatalogTree(root).display(root / "xiaomi" / "su7-ultra.yaml")
    expected = {
        ("redundant-rule", "planted-redundant"): lines["redundant"],
        ("package-never-bought", "PKG-TWO-PAINTS"): lines["package"],
        ("price-rule-never-applies", "planted-black-with-white"): lines["price_rule"],
        ("discount-never-applies", "planted-never"): lines["discount"],
    }
    for key, line in expected.items():
        assert key in found, f"{key} not reported: {sorted(found)}"
        assert found[key].location.file == file
        assert (found[key].location.line, found[key].location.column) == (line, 5)
        assert found[key].severity == CHECKS[key[0]][0]
    assert "paint" in found["package-never-bought", "PKG-TWO-PAINTS"].message.lower()
    assert report.errors == 3


def test_lint_cli_exit_codes_and_json(
    runner: CliRunner, planted: tuple[Path, dict[str, int]]
) -> None:
    root, lines = planted
    args = ["--catalogs", str(root), "catalog", "lint", "xiaomi-su7-ultra"]
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    file = CatalogTree(root).display(root / "xiaomi" / "su7-ultra.yaml")
    assert (
        f"{file}:{lines['redundant']}:5: warning: rule 'planted-redundant' is redundant"
        in result.stdout
    )
    assert result.stderr.strip().startswith("3 errors, ")
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert {tuple(sorted(item)) for item in data} == {
        ("column", "file", "id", "line", "message", "model", "severity", "subject")
    }
    assert {(item["id"], item["line"]) for item in data} >= {
        ("redundant-rule", lines["redundant"]),
        ("package-never-bought", lines["package"]),
    }


WARNINGS_ONLY = """\
id: acme-car
brand: Acme
name: Car
names: {zh-CN: 车}
model_year: 2025
version: "1"
market: cn
currency: CNY
powertrain: bev
nev: true
base_price: 100000
source: test
groups:
  - id: paint
    name: Paint
    names: {zh-CN: 车漆}
    choose: exactly-one
    default: [PAINT-WHITE]
    options:
      - code: PAINT-WHITE
        name: White
        names: {zh-CN: 白}
      - code: PAINT-RED
        name: Red
        names: {zh-CN: 红}
        price: 1000
        swatch: "#C00000"
  - id: extras
    name: Extras
    names: {zh-CN: 选装}
    choose: any
    options:
      - code: ROOF
        name: Roof
        names: {zh-CN: 车顶}
        price: 500
        note: estimate
rules:
  - id: roof-needs-roof
    message: redundant
    if: ROOF
    then: ROOF or PAINT-RED
"""


def _tree(tmp_path: Path, shipped_root: Path, text: str) -> Path:
    root = tmp_path / "tree"
    (root / "acme").mkdir(parents=True)
    shutil.copytree(shipped_root / "markets", root / "markets")
    (root / "acme" / "car.yaml").write_text(text, encoding="utf-8")
    return root


def test_warnings_only_exit_zero_unless_strict(
    runner: CliRunner, tmp_path: Path, shipped_root: Path
) -> None:
    root = _tree(tmp_path, shipped_root, WARNINGS_ONLY)
    result = runner.invoke(app, ["--catalogs", str(root), "catalog", "lint"])
    assert result.exit_code == 0, result.output
    file = CatalogTree(root).display(root / "acme" / "car.yaml")
    assert result.stdout.splitlines() == [
        f"{file}:20:9: warning: paint PAINT-WHITE (White) has no swatch: add 'swatch: "
        f'"#rrggbb"\' [paint-without-swatch]',
        f"{file}:26:16: warning: the price of option PAINT-RED has neither 'source' nor 'note': "
        "cite where it is published, or say in a note that it is an estimate "
        "[price-without-source]",
        f"{file}:39:5: warning: rule 'roof-needs-roof' is redundant: the groups and the other "
        "rules already imply it [redundant-rule]",
    ]
    strict = runner.invoke(app, ["--catalogs", str(root), "catalog", "lint", "--strict"])
    assert strict.exit_code == 3


SOLUTION_SPACE_FAULTS = """\
id: acme-car
brand: Acme
name: Car
names: {zh-CN: 车}
model_year: 2025
version: "1"
market: cn
currency: CNY
powertrain: bev
nev: true
base_price: 100000
source: test
effective: {from: 2025-01-01}
groups:
  - id: trim
    name: Trim
    names: {zh-CN: 内饰}
    choose: at-most-one
    options:
      - code: TRIM-A
        name: A
        names: {zh-CN: 甲}
        price: 10
        note: estimate
      - code: TRIM-B
        name: B
        names: {zh-CN: 乙}
        price: 10
        note: estimate
        available: {until: 2024-12-31}
      - code: TRIM-C
        name: C
        names: {zh-CN: 丙}
        price: 10
        note: estimate
  - id: extras
    name: Extras
    names: {zh-CN: 选装}
    choose: any
    options:
      - code: LAMP
        name: Lamp
        names: {zh-CN: 灯}
        price: 20
        note: estimate
      - code: DEAD
        name: Dead
        names: {zh-CN: 死}
        price: 20
        note: estimate
      - code: BESPOKE
        name: Bespoke
        names: {zh-CN: 定制}
        price: 30
        note: estimate
rules:
  - id: lamp-always
    message: every car has the lamp
    if: "true"
    then: LAMP
  - id: dead-needs-a-and-c
    message: dead needs both trims
    option: DEAD
    requires: TRIM-A and TRIM-C
programmes:
  - id: bespoke
    name: Bespoke
    names: {zh-CN: 定制计划}
    options: [BESPOKE]
    minimum_spend: 1000
    note: estimate
"""


def test_solution_space_faults(tmp_path: Path, shipped_root: Path) -> None:
    root = _tree(tmp_path, shipped_root, SOLUTION_SPACE_FAULTS)
    report = lint_catalogs([CatalogTree(root).load("acme-car")])
    found = {(f.id, f.subject): (f.location.line, f.message) for f in report.findings}
    assert set(found) == {
        ("false-optional", "LAMP"),
        ("dead-option", "DEAD"),
        ("unavailable-in-window", "TRIM-B"),
        ("programme-unreachable", "bespoke"),
    }
    assert found["dead-option", "DEAD"][0] == 46
    assert "dead needs both trims" in found["dead-option", "DEAD"][1]
    assert found["unavailable-in-window", "TRIM-B"][0] == 30
    assert (
        "does not overlap the catalog's effective dates"
        in found["unavailable-in-window", "TRIM-B"][1]
    )
    assert found["programme-unreachable", "bespoke"][0] == 66


def test_the_last_option_left_by_dead_neighbours_is_not_false_optional(
    tmp_path: Path, shipped_root: Path
) -> None:
    text = WARNINGS_ONLY.replace(
        "rules:\n",
        'rules:\n  - id: no-red\n    message: red is gone\n    if: PAINT-RED\n    then: "false"\n',
    )
    root = _tree(tmp_path, shipped_root, text)
    found = {
        (f.id, f.subject) for f in lint_catalogs([CatalogTree(root).load("acme-car")]).findings
    }
    assert ("dead-option", "PAINT-RED") in found
    assert ("false-optional", "PAINT-WHITE") not in found


def test_the_shipped_catalogs_lint_clean(runner: CliRunner) -> None:
    result = runner.invoke(app, ["catalog", "lint", "--strict"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip().endswith("models: no findings")


def test_every_check_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "catalog-editing.md").read_text(
        encoding="utf-8"
    )
    for check, (severity, _) in CHECKS.items():
        assert f"| `{check}` | {severity} |" in doc, check


def test_a_comment_on_the_line_silences_a_finding(
    runner: CliRunner, tmp_path: Path, shipped_root: Path
) -> None:
    text = WARNINGS_ONLY.replace(
        "  - id: roof-needs-roof\n", "  - id: roof-needs-roof  # lint: ignore[redundant-rule]\n"
    ).replace(
        "      - code: PAINT-WHITE\n", "      - code: PAINT-WHITE  # lint: ignore[dead-option]\n"
    )
    root = _tree(tmp_path, shipped_root, text)
    result = runner.invoke(app, ["--catalogs", str(root), "catalog", "lint", "--strict"])
    ids = [line.rsplit("[", 1)[1] for line in result.stdout.splitlines()]
    assert ids == ["paint-without-swatch]", "price-without-source]"]  # another id: still shown
    assert result.stderr.strip() == "0 errors, 2 warnings in 1 model (1 ignored)"
    everything = text.replace("[dead-option]", "").replace("[redundant-rule]", "")
    root.joinpath("acme", "car.yaml").write_text(everything, encoding="utf-8")
    result = runner.invoke(app, ["--catalogs", str(root), "catalog", "lint"])
    assert result.stderr.strip() == "0 errors, 1 warning in 1 model (2 ignored)"
