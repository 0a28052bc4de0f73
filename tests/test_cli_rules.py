"""`configurator available`, `configurator catalog stats` and `quote --complete`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from configurator.catalog.loader import open_tree
from configurator.cli import app
from configurator.configuration import Configuration
from configurator.rules.engine import RulesEngine

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = Path(__file__).resolve().parent / "data" / "rules" / "tree"
SHIPPED = open_tree(None).model_ids()
DATE = "2026-03-01"


def _golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- available ------------------------------------------------------------------------------


def test_available_explains_what_a_choice_rules_out(runner: CliRunner) -> None:
    groups = _json(
        runner, "available", "xiaomi-su7-ultra", "BADGE-GOLD-24K", "--date", DATE, "--json"
    )
    paint = next(g for g in groups if g["group"] == "paint")
    assert set(paint["options"][0]) >= {"code", "available", "reason"}
    available = {o["code"] for o in paint["options"] if o["available"]}
    assert available == {"PAINT-AMETHYST", "PAINT-RACING-RED"}
    white = next(o for o in paint["options"] if o["code"] == "PAINT-PEARL-WHITE")
    assert "24k gold badges" in white["reason"] and "BADGE-GOLD-24K" in white["reason"]
    assert white["conflicts"] == ["BADGE-GOLD-24K"]
    assert "gold-badges-signature-paint" in white["rules"]
    badges = next(g for g in groups if any(o["code"] == "BADGE-GOLD-24K" for o in g["options"]))
    chosen = next(o for o in badges["options"] if o["code"] == "BADGE-GOLD-24K")
    assert chosen == {**chosen, "chosen": True, "available": True, "reason": None}


@pytest.mark.parametrize("model", SHIPPED)
def test_available_on_every_shipped_model(runner: CliRunner, model: str) -> None:
    groups = _json(runner, "available", model, "--date", DATE, "--json")
    catalog = open_tree(None).load(model)
    assert [g["group"] for g in groups][: len(catalog.groups)] == [g.id for g in catalog.groups]
    for group in groups:
        for option in group["options"]:
            assert option["available"] is True, option  # nothing is dead in a shipped catalog
            assert option["reason"] is None


def test_available_table_golden(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["--catalogs", str(TREE), "available", "acme-spider", "BADGE-GOLD", "--date", DATE]
    )
    assert result.exit_code == 0, result.output
    _golden("rules_available_spider.txt", result.stdout)


def test_available_rejects_conflicting_choices_with_a_minimal_explanation(
    runner: CliRunner,
) -> None:
    result = runner.invoke(
        app,
        ["available", "xiaomi-su7-ultra", "BADGE-GOLD-24K", "PAINT-PEARL-WHITE", "--date", DATE],
    )
    assert result.exit_code == 4
    assert "you chose BADGE-GOLD-24K" in result.stderr
    assert "you chose PAINT-PEARL-WHITE" in result.stderr
    assert "rule gold-badges-signature-paint at " in result.stderr  # the rule's id and place
    assert result.stderr.count("offered only on Amethyst or Racing Red") == 1  # said once
    assert re.search(r"su7-ultra\.yaml:\d+:\d+$", result.stderr, re.M)
    assert "Traceback" not in result.output


def test_available_unknown_code_and_bad_date(runner: CliRunner) -> None:
    result = runner.invoke(app, ["available", "xiaomi-su7-ultra", "BADGE-GOLD-24"])
    assert result.exit_code == 4
    assert "did you mean 'BADGE-GOLD-24K'?" in result.stderr
    result = runner.invoke(app, ["available", "xiaomi-su7-ultra", "--date", "1 March"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr
    result = runner.invoke(app, ["available", "xiaomi-su7"])
    assert result.exit_code == 2
    assert "unknown model" in result.stderr


def test_availability_on_a_date(runner: CliRunner) -> None:
    args = ["--catalogs", str(TREE), "available", "acme-spider", "--json"]
    before = _json(runner, *args, "--date", "2025-06-01")
    after = _json(runner, *args, "--date", DATE)

    def glass(groups: list[dict[str, Any]]) -> dict[str, Any]:
        return next(o for g in groups for o in g["options"] if o["code"] == "ROOF-GLASS")

    assert glass(before)["available"] is True
    assert glass(after)["available"] is False
    assert glass(after)["reason"] == "Glass roof is available until 2025-12-31, not on 2026-03-01"


# --- catalog stats ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", SHIPPED)
def test_stats_on_every_shipped_model(runner: CliRunner, model: str) -> None:
    stats = _json(runner, "catalog", "stats", model, "--json")
    catalog = open_tree(None).load(model)
    engine = RulesEngine(catalog)
    assert stats["configurations"] == str(engine.count())
    assert int(stats["configurations"]) > 1000
    assert stats["dead_options"] == [] and stats["forced_options"] == []
    # The standard car costs the base price and nothing is cheaper.
    assert stats["cheapest"] == f"{catalog.base_price:.2f}"
    assert float(stats["dearest"]) > float(stats["cheapest"])
    assert engine.is_valid(stats["dearest_configuration"]["options"])
    assert isinstance(stats["compile_seconds"], float)


def test_stats_table_golden(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--catalogs", str(TREE), "catalog", "stats", "acme-spider"])
    assert result.exit_code == 0, result.output
    # The compile time varies, and with it the table's width.
    text = re.sub(r"(compiled|cache) in [\d.,]+ ms", r"\1 in N ms", result.stdout)
    text = text.replace("loaded from the cache", "compiled")
    _golden("rules_stats_spider.txt", "\n".join(line.rstrip() for line in text.splitlines()))


def test_stats_counts_on_a_date(runner: CliRunner) -> None:
    args = ["--catalogs", str(TREE), "catalog", "stats", "acme-spider", "--json"]
    anytime = _json(runner, *args)
    later = _json(runner, *args, "--date", DATE)
    assert anytime["date"] is None and later["date"] == DATE
    assert later["dead_options"] == ["ROOF-GLASS"]
    assert int(later["configurations"]) < int(anytime["configurations"])


# --- quote --complete ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "values"), [("cheapest", []), ("dearest", ["--value", "BADGE-CUSTOM=LEI JUN"])]
)
def test_quote_completes_the_untouched_groups(
    runner: CliRunner, how: str, values: list[str]
) -> None:
    base = ["quote", "xiaomi-su7-ultra", "BADGE-GOLD-24K", "--date", DATE, "-f", "json"]
    rejected = runner.invoke(app, base)
    assert rejected.exit_code == 4  # the default paint does not go with gold badges
    quote = _json(runner, *base, *values, "--complete", how)
    assert "BADGE-GOLD-24K" in quote["choices"]
    catalog = open_tree(None).load("xiaomi-su7-ultra")
    engine = RulesEngine(catalog, None)
    completion = engine.completion(["BADGE-GOLD-24K"], how)  # type: ignore[arg-type]
    codes = {line["code"] for line in quote["lines"] if line["code"]}
    assert codes == set(completion.codes)
    assert quote["subtotal"] == f"{completion.total:.2f}"
    again = _json(runner, "quote", "--code", quote["code"], "--date", DATE, "-f", "json")
    assert again["total"] == quote["total"]


def test_quote_complete_of_conflicting_choices_explains(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "quote",
            "xiaomi-su7-ultra",
            "BADGE-GOLD-24K",
            "PAINT-PEARL-WHITE",
            "--complete",
            "cheapest",
            "--date",
            DATE,
        ],
    )
    assert result.exit_code == 4
    assert "gold-badges-signature-paint" in result.stderr


def test_quote_complete_with_a_code_is_a_usage_error(runner: CliRunner) -> None:
    code = _json(runner, "quote", "xiaomi-su7-ultra", "--date", DATE, "-f", "json")["code"]
    result = runner.invoke(app, ["quote", "--code", code, "--complete", "cheapest"])
    assert result.exit_code == 2
    assert "--complete" in result.stderr


def test_complete_configuration_keeps_the_buyers_choices_first() -> None:
    from configurator.rules.select import complete_configuration

    catalog = open_tree(None).load("xiaomi-su7-ultra")
    configuration = Configuration.of("xiaomi-su7-ultra", ["BADGE-GOLD-24K"])
    completed = complete_configuration(catalog, configuration, "cheapest")
    assert completed.choices[0] == "BADGE-GOLD-24K"
    assert RulesEngine(catalog).check(completed).valid
