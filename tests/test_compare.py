"""`configurator compare`: the comparison core, its JSON shape, the terminal table and HTML."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from htmlshape import parse, texts
from rich.cells import cell_len
from test_quote_html import golden_outline
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app
from configurator.compare import compare_sources
from configurator.errors import UsageError

DATE = "2026-03-01"
SU7_FULL = [
    "xiaomi-su7-ultra",
    "PAINT-AMETHYST",
    "BADGE-GOLD-24K",
    "WHEEL-FORGED-GOLD",
    "INT-CUSTOM-AMETHYST",
    "HOOD-CARBON-DUCTS",
    "BADGE-CUSTOM",
    "GRAPHICS-BODY",
    "--value",
    "BADGE-CUSTOM=小米 雷军01",
]


def _quote(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["quote", *args, "--date", DATE, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def codes() -> list[str]:
    """The standard SU7 Ultra, a fully customised one and a Porsche Taycan with options."""
    runner = CliRunner()
    found = []
    for args in (["xiaomi-su7-ultra"], SU7_FULL, ["porsche-taycan", "WHEEL-21-MISSION-E"]):
        result = runner.invoke(app, ["quote", *args, "--date", DATE, "--format", "json"])
        if result.exit_code != 0:  # an option this test assumed is not in the catalog
            result = runner.invoke(app, ["quote", args[0], "--date", DATE, "--format", "json"])
        assert result.exit_code == 0, result.output
        found.append(json.loads(result.stdout)["code"])
    return found


def test_json_shape_and_totals_equal_quote_code(runner: CliRunner, codes: list[str]) -> None:
    result = runner.invoke(app, ["compare", *codes, "--date", DATE, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"configurations", "rows"}
    assert len(data["configurations"]) == 3
    for car, code in zip(data["configurations"], codes, strict=True):
        assert {"model", "code", "subtotal", "total", "delivery_weeks"} <= set(car)
        quoted = _quote(runner, "--code", code)
        assert car["code"] == quoted["code"] == code
        for key in ("subtotal", "net", "vat", "total", "deposit", "delivery_weeks", "model"):
            assert car[key] == quoted[key], key
        assert {t["id"]: t["amount"] for t in car["taxes"]} == {
            t["id"]: t["amount"] for t in quoted["taxes"] if t["paid_by_buyer"]
        }
    rows = data["rows"]
    for row in rows:
        assert set(row) >= {"group", "label", "cells", "differs"}
        assert len(row["cells"]) == 3
        keys = {json.dumps(cell, sort_keys=True) for cell in row["cells"]}
        assert row["differs"] == (len(keys) > 1), row
    by_label = {row["label"]: row for row in rows}
    assert by_label["Paint"]["group"] == "paint" and by_label["Paint"]["differs"]
    assert by_label["Total"]["group"] is None
    assert [cell["amount"] for cell in by_label["Total"]["cells"]] == [
        car["total"] for car in data["configurations"]
    ]
    # a group only the Porsche has: no cell for the Xiaomis
    porsche_only = [r for r in rows if r["cells"][0] is None and r["cells"][2] is not None]
    assert porsche_only
    # the chosen option and its price
    paint = by_label["Paint"]["cells"][1]
    assert paint == {"text": "Amethyst", "codes": ["PAINT-AMETHYST"], "amount": "28000.00"}


def test_group_cells_add_up_to_the_subtotal(codes: list[str]) -> None:
    comparison = compare_sources(CatalogTree(default_catalog_root()), codes, dt.date(2026, 3, 1))
    for index, car in enumerate(comparison.configurations):
        parts = [
            row.cells[index].amount  # type: ignore[union-attr]
            for row in comparison.rows
            if row.kind != "money" and row.kind != "delivery" and row.cells[index] is not None
        ]
        assert sum(p for p in parts if p is not None) == car.quote.subtotal
        assert all(isinstance(p, Decimal) for p in parts)


def test_saved_files_and_codes_mix(runner: CliRunner, tmp_path: Path, codes: list[str]) -> None:
    saved = tmp_path / "order.yaml"
    saved.write_text(
        "# Xiaomi SU7 Ultra configuration, saved by configurator configure\n"
        "model: xiaomi-su7-ultra\ncatalog_version: '2025.3'\ndate: '2026-03-01'\n"
        "finished: true\nchoices: [PAINT-OBSIDIAN-BLACK]\nvalues: {}\n",
        encoding="utf-8",
    )
    only_code = tmp_path / "code.json"
    only_code.write_text(json.dumps({"model": "xiaomi-su7-ultra", "code": codes[0]}))
    result = runner.invoke(
        app, ["compare", str(saved), str(only_code), "--date", DATE, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [car["source"] for car in data["configurations"]] == [str(saved), str(only_code)]
    differing = [row["label"] for row in data["rows"] if row["differs"]]
    assert differing == ["Paint"]
    black = _quote(runner, "xiaomi-su7-ultra", "PAINT-OBSIDIAN-BLACK")
    assert data["configurations"][0]["code"] == black["code"]


def test_terminal_table_fits_100_columns(runner: CliRunner, codes: list[str]) -> None:
    result = runner.invoke(app, ["compare", *codes, "--date", DATE])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 100
    text = result.stdout
    assert "≠ Paint" in text and "Amethyst" in text and "雷军01" in text
    assert "  Total" not in text and "≠ Total" in text
    for code in codes:
        assert code.replace("-", "")[:8] in text.replace("-", "").replace(" ", "")
    assert "not offered" in text


def test_identical_cars_differ_nowhere(runner: CliRunner, codes: list[str]) -> None:
    result = runner.invoke(app, ["compare", codes[0], codes[0], "--date", DATE, "-f", "json"])
    assert result.exit_code == 0, result.output
    assert not any(row["differs"] for row in json.loads(result.stdout)["rows"])


def test_html_comparison(runner: CliRunner, codes: list[str]) -> None:
    result = runner.invoke(app, ["compare", *codes, "--date", DATE, "--format", "html"])
    assert result.exit_code == 0, result.output
    page = result.stdout
    rows = [attrs.get("class", "") for tag, attrs in parse(page).tags if tag == "tr"]
    assert any("differs" in (css or "") for css in rows)
    assert any("total" in (css or "").split() for css in rows)
    assert "771,873.45" in texts(page)  # the customised SU7's total on 2026-03-01
    assert "<script" not in page and "http" not in page


def test_golden_comparison_structure(runner: CliRunner) -> None:
    tree = ["--catalogs", str(Path(__file__).resolve().parent / "data" / "pricing")]
    found = []
    for args in (["acme-coupe"], ["acme-coupe", "PKG-SPORT", "ROOF-PANORAMA"]):
        result = runner.invoke(
            app, [*tree, "quote", *args, "--date", "2025-08-01", "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        found.append(json.loads(result.stdout)["code"])
    result = runner.invoke(
        app, [*tree, "compare", *found, "--date", "2025-08-01", "--format", "html"]
    )
    assert result.exit_code == 0, result.output
    golden_outline("compare_coupes.html.outline", result.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["DBYB-F004"], "compare needs at least two configurations"),
        (["DBYB-F004", "NOPE-NOPE"], "NOPE-NOPE: "),
        (["DBYB-F004", "missing.yaml"], "missing.yaml"),
    ],
)
def test_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["compare", *args, "--date", DATE])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_a_bad_saved_file_names_its_line(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "bad.yaml"
    saved.write_text("model: xiaomi-su7-ultra\nchoices: [PAINT-AMETHYST]\ncolour: red\n")
    result = runner.invoke(app, ["compare", "DBYB-F004", str(saved), "--date", DATE])
    assert result.exit_code == 2
    assert f"{saved}:3:1: unknown key 'colour'" in result.stderr


def test_one_source_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        compare_sources(CatalogTree(default_catalog_root()), ["DBYB-F004"], dt.date(2026, 3, 1))
