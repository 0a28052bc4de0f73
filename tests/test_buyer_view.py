"""What the buyer reads: 80 columns, display width of Chinese text, codes on their own line."""

from __future__ import annotations

import json

from rich.cells import cell_len
from typer.testing import CliRunner

from configurator.cli import app

SU7 = ["xiaomi-su7-ultra", "PAINT-AMETHYST", "WHEEL-FORGED-GOLD", "BADGE-GOLD-24K"]
EXTRA = ["BADGE-CUSTOM", "GRAPHICS-BODY", "--value", "BADGE-CUSTOM=紫色 Ultra"]
DATE = ["--date", "2026-03-01"]


def test_quote_at_80_columns_keeps_one_row_per_line_and_the_code_whole() -> None:
    narrow = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "80", "FORCE_COLOR": None})
    result = narrow.invoke(app, ["quote", *SU7, *EXTRA, *DATE])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    data = json.loads(narrow.invoke(app, ["quote", *SU7, *EXTRA, *DATE, "-f", "json"]).stdout)
    for item in data["lines"]:  # every line of the quote on one row, its amount whole
        amount = f"{float(item['amount']):,.2f}"
        assert sum(line.rstrip().endswith(amount) for line in lines) >= 1, amount
    assert "Personalisation   Custom badge: “紫色 Ultra”" in result.stdout  # group never cut
    assert "Price before VAT" in result.stdout and "  Net " not in result.stdout
    index = lines.index("Configuration code:")
    assert lines[index + 1] == data["code"]  # whole, on its own line


def test_a_long_code_is_never_wrapped_even_when_narrow() -> None:
    narrow = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "40", "FORCE_COLOR": None})
    result = narrow.invoke(app, ["quote", *SU7, *EXTRA, *DATE])
    code = json.loads(narrow.invoke(app, ["quote", *SU7, *EXTRA, *DATE, "-f", "json"]).stdout)
    assert code["code"] in result.stdout.splitlines()
