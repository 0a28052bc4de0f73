"""`configurator quote`: the issue's acceptance checks, output formats, errors and exit codes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from test_pricing_strategies import PRICING
from typer.testing import CliRunner

from configurator.cli import app
from configurator.render.quote import print_quote

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = ["--catalogs", str(PRICING)]
RICH = [
    "quote",
    "acme-coupe",
    "PAINT-TO-SAMPLE",
    "WHEEL-21-GOLD",
    "INT-LEATHER",
    "AUDIO-PREMIUM",
    "CHARGER-22KW",
    "--value",
    "PAINT-TO-SAMPLE=Oak Green",
    "--date",
    "2025-08-01",
]
SPORT = [
    "quote",
    "acme-coupe",
    "PKG-SPORT",
    "ROOF-PANORAMA",
    "BRAKE-CERAMIC",
    "CALIPER-RED",
    "--date",
    "2025-08-01",
]


def _golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _json(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _taxes(data: dict[str, Any]) -> dict[str, str]:
    return {tax["id"]: tax["amount"] for tax in data["taxes"]}


# --- the "Done when" --------------------------------------------------------------


def test_su7_ultra_2026(runner: CliRunner) -> None:
    data = _json(runner, "quote", "xiaomi-su7-ultra", "--date", "2026-03-01")
    assert data["subtotal"] == "529900.00"
    assert _taxes(data) == {"purchase-tax": "31893.81"}
    assert data["total"] == "561793.81"
    for key in ("model", "catalog_version", "currency", "date", "code", "lines", "warnings"):
        assert key in data
    assert data["model"] == "xiaomi-su7-ultra" and data["currency"] == "CNY"
    assert data["date"] == "2026-03-01"
    assert all({"kind", "code", "name", "amount"} <= set(line) for line in data["lines"])


def test_su7_ultra_2025(runner: CliRunner) -> None:
    data = _json(runner, "quote", "xiaomi-su7-ultra", "--date", "2025-06-01")
    assert _taxes(data)["purchase-tax"] == "16893.81"  # 46,893.81 - 30,000


def test_taycan_over_the_cliff(runner: CliRunner) -> None:
    args = ["quote", "porsche-taycan", "PAINT-TO-SAMPLE", "--value", "PAINT-TO-SAMPLE=Oak Green"]
    after = _json(runner, *args, "--date", "2025-08-01")
    assert Decimal(after["subtotal"]) > 1017000
    net = Decimal(after["net"])
    expected = (net / 10).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _taxes(after)["ultra-luxury-tax"] == f"{expected:f}"
    assert any("Ultra-luxury car consumption tax due" in w for w in after["warnings"])
    before = _json(runner, *args, "--date", "2025-07-19")
    assert "ultra-luxury-tax" not in _taxes(before)
    assert not any("Ultra-luxury" in w for w in before["warnings"])


def _amounts_have_two_decimals(value: Any, key: str = "") -> None:
    money_keys = {
        "amount",
        "subtotal",
        "net",
        "vat",
        "total",
        "deposit",
        "base",
        "taxes_owed",
        "spend",
        "minimum",
        "missing",
        "threshold",
        "threshold_price",
        "headroom",
        "cost",
        "culprit_amount",
    }
    if isinstance(value, dict):
        for k, v in value.items():
            _amounts_have_two_decimals(v, k)
    elif isinstance(value, list):
        for item in value:
            _amounts_have_two_decimals(item, key)
    elif key in money_keys and value is not None:
        assert isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value), (key, value)


def test_json_amounts_are_strings_with_two_decimals(runner: CliRunner) -> None:
    data = _json(runner, *TREE, *RICH, "--currency", "USD")
    _amounts_have_two_decimals(data)
    conversion = data["conversions"][0]
    assert conversion["currency"] == "USD" and conversion["approximate"] is True
    assert conversion["rate_date"] == "2025-02-25"
    assert all(re.fullmatch(r"-?\d+\.\d\d", a) for a in conversion["lines"])
    assert data["subtotal"] == "1196750.00" and data["currency"] == "CNY"


# --- golden renderings ----------------------------------------------------------------------


def test_table_golden(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TREE, *RICH])
    assert result.exit_code == 0, result.output
    _golden("quote_coupe_table.txt", result.stdout)


def test_table_golden_with_currency(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TREE, *SPORT, "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    _golden("quote_coupe_sport_eur.txt", result.stdout)


def test_markdown_golden(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TREE, *RICH, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    _golden("quote_coupe.md", result.stdout)


def test_table_renders_on_a_fixed_console(runner: CliRunner) -> None:
    """The renderer alone, on a fixed-width console with colour off: same as the command."""
    from configurator.catalog.loader import CatalogTree
    from configurator.configuration import Configuration
    from configurator.pricing.engine import price

    tree = CatalogTree(PRICING)
    catalog = tree.load("acme-coupe")
    configuration = Configuration.of(
        "acme-coupe",
        ["PAINT-TO-SAMPLE", "WHEEL-21-GOLD", "INT-LEATHER", "AUDIO-PREMIUM", "CHARGER-22KW"],
        {"PAINT-TO-SAMPLE": "Oak Green"},
    )
    quote = price(catalog, configuration, tree.load_market("cn"), dt.date(2025, 8, 1))
    buffer = io.StringIO()
    print_quote(quote, Console(file=buffer, width=100, no_color=True, color_system=None))
    _golden("quote_coupe_table.txt", buffer.getvalue())


# --- codes ----------------------------------------------------------------------------------


def test_code_reproduces_the_quote(runner: CliRunner) -> None:
    first = _json(runner, *TREE, *RICH)
    again = _json(runner, *TREE, "quote", "--code", first["code"].lower(), "--date", "2025-08-01")
    assert again == first
    with_model = _json(
        runner, *TREE, "quote", "acme-coupe", "--code", first["code"], "--date", "2025-08-01"
    )
    assert with_model == first


def test_code_errors(runner: CliRunner) -> None:
    code = _json(runner, *TREE, *RICH)["code"]
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    result = runner.invoke(app, [*TREE, "quote", "--code", typo])
    assert result.exit_code == 2
    assert "check character does not match" in result.stderr
    result = runner.invoke(app, [*TREE, "quote", "acme-ice", "--code", code])
    assert result.exit_code == 2 and "is a code of acme-coupe, not of acme-ice" in result.stderr
    result = runner.invoke(app, [*TREE, "quote", "--code", code, "HUD"])
    assert result.exit_code == 2


# --- errors and exit codes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["quote", "acme-coupe", "ROOF-PANORAMIC"], 4, "did you mean 'ROOF-PANORAMA'?"),
        (
            ["quote", "acme-coupe", "CALIPER-YELLOW"],
            4,
            "rule yellow-calipers-need-ceramic at ",
        ),
        (
            ["quote", "acme-coupe", "PAINT-TO-SAMPLE", "WHEEL-21-GOLD", "INT-LEATHER"],
            4,
            "needs a value",
        ),
        (["quote", "acme-cupe"], 2, "did you mean 'acme-coupe'?"),
        (["quote", "acme-coupe", "--date", "2025-02-30"], 2, "is not a date"),
        (["quote", "acme-coupe", "--value", "HUD"], 2, "is not CODE=VALUE"),
        (["quote", "acme-coupe", "--currency", "GBP"], 2, "no exchange rate for GBP"),
        (["quote"], 2, "name a model"),
    ],
)
def test_errors(runner: CliRunner, args: list[str], exit_code: int, message: str) -> None:
    result = runner.invoke(app, [*TREE, *args])
    assert result.exit_code == exit_code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_rule_message_is_on_stderr(runner: CliRunner) -> None:
    result = runner.invoke(app, [*TREE, "quote", "acme-coupe", "INT-RACE-TEX", "AUDIO-PREMIUM"])
    assert result.exit_code == 4
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "error: the configuration breaks the catalog's rules: "
        "Race-Tex cars have no room for the premium audio amplifier "
        "(with INT-RACE-TEX, AUDIO-PREMIUM)"
    )
    # The minimal explanation: the buyer's two choices and the rule, with its id and place.
    assert lines[1:3] == [
        "  you chose INT-RACE-TEX (Race-Tex)",
        "  you chose AUDIO-PREMIUM (Premium audio)",
    ]
    assert lines[3].startswith("  rule race-tex-no-premium-audio at ")  # the message said once
    assert lines[3].endswith("acme/coupe.yaml:101:5")
    assert len(lines) == 4


def test_invalid_market_exits_3(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "tree"
    shutil.copytree(PRICING, root)
    market = root / "markets" / "cn.yaml"
    market.write_text(
        market.read_text(encoding="utf-8").replace('vat_rate: "0.13"', "vat_rate: 0.13")
    )
    result = runner.invoke(app, ["--catalogs", str(root), "quote", "acme-coupe"])
    assert result.exit_code == 3
    assert "cn.yaml:7:11: error: 'vat_rate'" in result.stderr


def test_output_file_is_atomic(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "quote.json"
    result = runner.invoke(app, [*TREE, *RICH, "-f", "json", "--output", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["subtotal"] == "1196750.00"
    failed = tmp_path / "failed.json"
    result = runner.invoke(app, [*TREE, "quote", "acme-coupe", "NOPE", "-o", str(failed)])
    assert result.exit_code == 4 and not failed.exists()
    assert list(tmp_path.iterdir()) == [target]


def test_table_to_a_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "quote.txt"
    result = runner.invoke(app, [*TREE, *SPORT, "--output", str(target)])
    assert result.exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "Sport package" in text and "\x1b[" not in text


def test_help_has_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["quote", "--help"])
    assert result.exit_code == 0
    assert "Example: configurator quote" in result.stdout
