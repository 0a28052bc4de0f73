"""The catalog commands through the CLI: validate, schema, models, show."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configurator.catalog.export import schema_text
from configurator.catalog.loader import CatalogTree
from configurator.cli import app

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
MINI = DATA / "mini"
BROKEN = DATA / "broken"


def _rel(path: Path) -> str:
    return os.path.relpath(path)


def _golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    lines = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(lines, encoding="utf-8")
    assert lines == path.read_text(encoding="utf-8")


# --- validate -----------------------------------------------------------------------------


def test_validate_the_shipped_tree(runner: CliRunner, shipped_root: Path) -> None:
    result = runner.invoke(app, ["catalog", "validate"])
    assert result.exit_code == 0, result.output
    tree = CatalogTree(shipped_root)
    counts = (len(tree.model_files()), len(tree.fragment_files()), len(tree.market_files()))
    assert counts[0] >= 4
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"{counts[0]} catalogs, {counts[1]} fragments, {counts[2]} markets, "
        f"{len(tree.case_files())} case files: all valid"
    )


def test_validate_reports_every_problem_as_file_line_column(runner: CliRunner) -> None:
    root = BROKEN / "unknown-codes"
    result = runner.invoke(app, ["--catalogs", str(root), "catalog", "validate"])
    assert result.exit_code == 3
    file = _rel(root / "acme/car.yaml")
    lines = result.stdout.splitlines()
    assert [line.split(": error: ")[0] for line in lines] == [
        f"{file}:26:15",
        f"{file}:38:16",
        f"{file}:44:27",
        f"{file}:49:13",
        f"{file}:56:15",
    ]
    assert lines[2] == (
        f"{file}:44:27: error: rule 'red-needs-20' names unknown option code 'PKG-SPROT': "
        f"did you mean 'PKG-SPORT'? [unknown-code]"
    )
    assert result.stderr.strip() == "5 problems in 1 file"


def test_validate_json(runner: CliRunner) -> None:
    root = BROKEN / "schema-and-meaning"
    result = runner.invoke(
        app, ["--catalogs", str(root), "catalog", "validate", "--format", "json"]
    )
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert [(d["line"], d["column"], d["code"]) for d in data] == [
        (22, 16, "float-money"),
        (44, 27, "unknown-code"),
    ]
    assert set(data[0]) == {"file", "line", "column", "code", "message", "severity"}
    assert data[0]["file"] == _rel(root / "acme/car.yaml")


def test_validate_paths_files_and_folders(runner: CliRunner) -> None:
    model = BROKEN / "float-money" / "acme" / "car.yaml"
    result = runner.invoke(app, ["catalog", "validate", str(model), str(MINI / "acme")])
    assert result.exit_code == 3
    assert result.stdout.count(": error: ") == 1 and "[float-money]" in result.stdout
    result = runner.invoke(app, ["catalog", "validate", str(MINI)])
    assert result.exit_code == 0
    assert result.stderr.strip() == "1 catalog, 1 fragment, 1 market: all valid"


def test_validate_a_path_that_does_not_exist(runner: CliRunner) -> None:
    result = runner.invoke(app, ["catalog", "validate", "no/such/file.yaml"])
    assert result.exit_code == 2
    assert "'no/such/file.yaml' does not exist" in result.stderr


@pytest.mark.parametrize("kind", sorted(p.name for p in BROKEN.iterdir()))
def test_every_command_reports_catalog_errors_the_same_way(runner: CliRunner, kind: str) -> None:
    root = BROKEN / kind
    validated = runner.invoke(app, ["--catalogs", str(root), "catalog", "validate"])
    assert validated.exit_code == 3
    problem_lines = validated.stdout.splitlines()
    if kind == "market":
        return  # no model command loads a market file
    for command in (["show", "acme-car"], ["show", "acme-car", "--json"], ["models"]):
        result = runner.invoke(app, ["--catalogs", str(root), *command])
        assert result.exit_code == 3, (command, result.output)
        assert result.stdout == ""
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        shown = [line for line in result.stderr.splitlines() if ": error: " in line]
        assert shown and set(shown) <= set(problem_lines)


# --- schema -------------------------------------------------------------------------------


def test_schema_to_stdout_and_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalog", "schema"])
    assert result.exit_code == 0
    assert result.stdout == schema_text()
    assert json.loads(result.stdout)["anyOf"] == [
        {"$ref": "#/$defs/Catalog"},
        {"$ref": "#/$defs/Fragment"},
    ]
    target = tmp_path / "market.schema.json"
    result = runner.invoke(app, ["catalog", "schema", "--market", "--output", str(target)])
    assert result.exit_code == 0
    assert target.read_text("utf-8") == schema_text(market=True)
    assert [p.name for p in tmp_path.iterdir()] == ["market.schema.json"]


# --- models -------------------------------------------------------------------------------


def test_models_json_lists_the_four_shipped_models(runner: CliRunner) -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    data = {entry["id"]: entry for entry in json.loads(result.stdout)}
    assert {"porsche-911-carrera", "porsche-taycan", "xiaomi-su7-ultra", "xiaomi-yu7-max"} <= set(
        data
    )
    assert data["xiaomi-su7-ultra"]["base_price"] == "529900.00"
    assert data["xiaomi-yu7-max"]["base_price"] == "329900.00"
    assert data["porsche-taycan"]["base_price"] == "918000.00"
    su7 = data["xiaomi-su7-ultra"]
    assert su7["brand"] == "Xiaomi" and su7["currency"] == "CNY"
    assert su7["powertrain"] == "bev" and su7["nev"] is True
    assert {"name", "model_year", "version"} <= set(su7)


def test_models_table(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--catalogs", str(MINI), "models"])
    assert result.exit_code == 0
    _golden("models-mini.txt", result.stdout)


# --- show ---------------------------------------------------------------------------------


def test_show_json_has_the_amethyst_paint_at_its_exact_price(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "xiaomi-su7-ultra", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    amethyst = next(o for o in data["options"] if o["code"] == "PAINT-AMETHYST")
    assert amethyst["price"] == "28000.00"
    assert amethyst["name"] == "Amethyst" and amethyst["group"] == "paint"
    assert amethyst["labour_hours"] == 50
    assert data["base_price"] == "529900.00"
    assert {"groups", "packages", "rules", "programmes", "price_rules"} <= set(data)
    programme = data["programmes"][0]
    assert programme["minimum_spend"] == "100000.00" and programme["deposit"] == "80000.00"
    assert all(rule["text"] for rule in data["rules"])


def test_show_json_of_the_test_catalog(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--catalogs", str(MINI), "show", "acme-roadster", "--json"])
    data = json.loads(result.stdout)
    forged = next(o for o in data["options"] if o["code"] == "WHEEL-20-FORGED")
    assert forged["price"] == "12000.50"
    paint = data["groups"][0]
    assert paint["choose"] == {"min": 1, "max": 1, "text": "exactly one"}
    assert paint["options"] == ["PAINT-WHITE", "PAINT-BLUE", "PAINT-GOLD", "PAINT-TO-SAMPLE"]
    assert data["rules"][0]["text"] == (
        "Deep Blue only with 20-inch forged wheels or Sport package"
    )
    assert data["price_rules"][0]["price"] == "0.00"


def test_show_in_words(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--catalogs", str(MINI), "show", "acme-roadster"])
    assert result.exit_code == 0, result.output
    _golden("show-acme-roadster.txt", result.stdout)


def test_show_paints_swatches_in_truecolor(runner: CliRunner) -> None:
    env = {"NO_COLOR": None, "FORCE_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm"}
    result = runner.invoke(app, ["--catalogs", str(MINI), "show", "acme-roadster"], env=env)
    assert result.exit_code == 0
    assert "\x1b[38;2;27;58;140m■" in result.stdout  # Deep Blue, #1B3A8C


def test_show_unknown_model(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "xiaomi-su7-ultr"])
    assert result.exit_code == 2
    assert "unknown model 'xiaomi-su7-ultr'" in result.stderr
    assert "did you mean 'xiaomi-su7-ultra'?" in result.stderr


@pytest.mark.parametrize(
    "command", [["catalog", "validate"], ["catalog", "schema"], ["models"], ["show"]]
)
def test_help_has_an_example(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout
