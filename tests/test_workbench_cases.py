"""Golden cases: the shipped cases pass, failures name file:line, --update, case files are
validated like catalogs and have their own JSON Schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree
from configurator.cli import app
from configurator.workbench.cases import cases_schema_text, load_cases, run_cases


def test_the_shipped_cases_pass(runner: CliRunner, shipped_root: Path) -> None:
    result = runner.invoke(app, ["catalog", "test"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    tree = CatalogTree(shipped_root)
    report = run_cases(tree)
    assert result.stderr.strip() == (
        f"{len(report.results)} cases in {len(report.files)} files: all passed"
    )


def test_every_shipped_model_has_cases_with_its_published_prices(shipped_root: Path) -> None:
    tree = CatalogTree(shipped_root)
    loaded = {cases.model: cases for _, cases in load_cases(tree)}
    assert set(loaded) == set(tree.model_ids())
    for model, cases in loaded.items():
        assert len(cases.cases) >= 5, model
        assert any(case.expect.invalid for case in cases.cases), model
    published = {
        ("xiaomi-su7-ultra", "subtotal", None): 529900,
        ("xiaomi-su7-ultra", "lines", "PKG-TRACK"): 100000,
        ("xiaomi-su7-ultra", "lines", "PAINT-AMETHYST"): 28000,
        ("xiaomi-su7-ultra", "lines", "HOOD-CARBON-DUCTS"): 42000,
        ("xiaomi-yu7-max", "subtotal", None): 329900,
        ("xiaomi-yu7-max", "lines", "PAINT-AMETHYST"): 28000,
        ("porsche-taycan", "subtotal", None): 918000,
    }
    for (model, kind, code), amount in published.items():
        cases = loaded[model].cases
        if kind == "subtotal":
            assert any(c.expect.subtotal == amount and not c.options for c in cases), model
        else:
            assert any(c.expect.lines.get(code) == amount for c in cases), (model, code)


def _copy(tmp_path: Path, shipped_root: Path) -> Path:
    root = tmp_path / "catalogs"
    shutil.copytree(shipped_root, root)
    return root


def test_a_failing_case_is_reported_at_the_expected_value_and_updated(
    runner: CliRunner, tmp_path: Path, shipped_root: Path
) -> None:
    root = _copy(tmp_path, shipped_root)
    path = root / "xiaomi" / "su7-ultra.cases.yaml"
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines()
    first = lines.index("  - name: the professional track package adds its published 100,000")
    at = next(i for i in range(first, len(lines)) if "PKG-TRACK: 100000" in lines[i])
    lines[at] = lines[at].replace("100000", "90000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["--catalogs", str(root), "catalog", "test", "xiaomi-su7-ultra"]
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    file = CatalogTree(root).display(path)
    assert result.stdout.splitlines() == [
        f"{file}:{first + 1}: FAIL xiaomi-su7-ultra: the professional track package adds its "
        "published 100,000",
        f"  {file}:{at + 1}:20: lines PKG-TRACK: expected 90,000.00, got 100,000.00",
    ]
    assert result.stderr.strip().startswith("1 of ")
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    failed = [case for case in data if not case["passed"]]
    assert failed[0]["differences"] == [
        {
            "file": file,
            "line": at + 1,
            "column": 20,
            "what": "lines PKG-TRACK",
            "expected": "90,000.00",
            "got": "100,000.00",
        }
    ]
    updated = runner.invoke(app, [*args, "--update"])
    assert updated.exit_code == 0, updated.output
    assert f"{file}: 1 case updated" in updated.stderr
    assert path.read_text(encoding="utf-8") == original  # comments and the rest untouched


def test_update_turns_an_expected_price_into_the_rejection(
    runner: CliRunner, tmp_path: Path, shipped_root: Path
) -> None:
    root = _copy(tmp_path, shipped_root)
    path = root / "xiaomi" / "yu7-max.cases.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("options: [BIKE-CARRIER, TOW-HITCH]", "options: [BIKE-CARRIER]")
    path.write_text(text, encoding="utf-8")
    args = ["--catalogs", str(root), "catalog", "test", "xiaomi-yu7-max"]
    result = runner.invoke(app, args)
    assert result.exit_code == 3
    assert "outcome: expected a valid car, got invalid (rule_violation:" in result.stdout
    assert runner.invoke(app, [*args, "--update"]).exit_code == 0
    block = path.read_text(encoding="utf-8").split("  - name: a bike carrier with its tow hitch")[1]
    assert block.split("\n\n")[0].splitlines()[-2:] == [
        "    expect:",
        "      invalid: rule_violation",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("subtotal: 329900", "subtotal: 329900.5"), ":10:17: error: 'subtotal': money must be"),
        (("date: 2025-07-01", "date: 2025-07-01\n    colour: red"), ":8:5: error: unknown key"),
        (("model: xiaomi-yu7-max", "model: xiaomi-su7-ultra"), ":4:8: error: 'model' is"),
        (
            ("      invalid: rule_violation\n      rule: bike", "      rule: bike"),
            ":40:7: error: 'expect' takes amounts",
        ),
    ],
)
def test_case_files_are_validated_like_catalogs(
    runner: CliRunner,
    tmp_path: Path,
    shipped_root: Path,
    change: tuple[str, str],
    expected: str,
) -> None:
    root = _copy(tmp_path, shipped_root)
    path = root / "xiaomi" / "yu7-max.cases.yaml"
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    file = CatalogTree(root).display(path)
    for command in (["catalog", "test"], ["catalog", "validate"]):
        result = runner.invoke(app, ["--catalogs", str(root), *command])
        assert result.exit_code == 3, result.output
        assert f"{file}{expected}" in result.output, result.output


def test_case_files_are_not_models_and_validate_counts_them(
    runner: CliRunner, shipped_root: Path
) -> None:
    tree = CatalogTree(shipped_root)
    assert not any(p.name.endswith(".cases.yaml") for p in tree.model_files())
    assert len(tree.case_files()) == len(tree.model_files())
    result = runner.invoke(app, ["catalog", "validate", str(shipped_root / "xiaomi")])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == "2 catalogs, 1 fragment, 0 markets, 2 case files: all valid"


def _json_ready(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value


def test_cases_schema_is_current_and_accepts_the_shipped_cases(
    runner: CliRunner, shipped_root: Path
) -> None:
    kept = (shipped_root / "schema" / "cases.schema.json").read_text("utf-8")
    assert kept == cases_schema_text(), (
        "regenerate: configurator catalog schema --cases --output catalogs/schema/cases.schema.json"
    )
    assert runner.invoke(app, ["catalog", "schema", "--cases"]).stdout == kept
    schema = json.loads(kept)
    validator = jsonschema.Draft202012Validator(schema)
    for path in CatalogTree(shipped_root).case_files():
        data = _json_ready(yaml.safe_load(path.read_text("utf-8")))
        assert [e.message for e in validator.iter_errors(data)] == [], path
    assert not validator.is_valid({"model": "a", "cases": [{"name": "x", "date": "2025-01-01"}]})


def test_a_model_without_cases_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, shipped_root: Path
) -> None:
    root = _copy(tmp_path, shipped_root)
    (root / "porsche" / "taycan.cases.yaml").unlink()
    result = runner.invoke(app, ["--catalogs", str(root), "catalog", "test", "porsche-taycan"])
    assert result.exit_code == 2
    assert "'porsche-taycan' has no golden cases: write them in " in result.stderr
    assert "taycan.cases.yaml" in result.stderr
    unknown = runner.invoke(app, ["catalog", "test", "porsche-taycn"])
    assert unknown.exit_code == 2
