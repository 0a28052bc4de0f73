"""did-you-mean for option codes: only the model's own codes that were plausibly meant."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app
from configurator.errors import close_codes, did_you_mean_code

SU7 = CatalogTree(default_catalog_root()).load("xiaomi-su7-ultra")
CODES = [o.code for g in SU7.groups for o in g.options] + [p.code for p in SU7.packages]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("PAINT-AMETHYS", ["PAINT-AMETHYST"]),  # a letter missing
        ("PAINT-AMETHYTS", ["PAINT-AMETHYST"]),  # two letters swapped
        ("paint_amethyst", ["PAINT-AMETHYST"]),  # case and separator
        ("PAINTAMETHYST", ["PAINT-AMETHYST"]),
        ("AMETHYST-PAINT", ["PAINT-AMETHYST"]),  # words in another order
        ("HOOD-CARBON", ["HOOD-CARBON-DUCTS"]),  # the start of a code, not ROOF-CARBON
        ("TRACK", ["PKG-TRACK"]),
        ("BADGE-GOLD", ["BADGE-GOLD-24K"]),
        ("WHEEL-21-CARBN", ["WHEEL-21-CARBON"]),
        ("WHEEL", []),  # every wheel would do: none is plausibly meant
        ("PAINT", []),
        ("XYZ", []),
        ("FOO-BAR", []),
        ("", []),
        ("ROOF-PANORAMA", []),  # another model's code
    ],
)
def test_close_codes(typed: str, meant: list[str]) -> None:
    assert close_codes(typed, CODES) == meant


def test_at_most_three_best_first_in_catalog_order_on_ties() -> None:
    codes = ["AB-1", "AB-2", "AB-3", "AB-4", "AB-12"]
    assert close_codes("AB-0", codes) == ["AB-1", "AB-2", "AB-3"]
    assert did_you_mean_code("AB-0", codes) == "did you mean 'AB-1', 'AB-2' or 'AB-3'?"
    assert did_you_mean_code("AB-1", ["AB-12"]) == "did you mean 'AB-12'?"
    assert did_you_mean_code("ZZZZ", codes) is None


@given(st.sampled_from(CODES), st.data())
def test_a_code_with_one_slip_is_suggested_first(code: str, data: st.DataObject) -> None:
    """One letter dropped from a code of the catalog: that code comes back, among at most 3."""
    at = data.draw(st.integers(0, len(code) - 1))
    typed = code[:at] + code[at + 1 :]
    found = close_codes(typed, CODES)
    assert code in found and len(found) <= 3


def test_every_command_suggests_the_same(runner: CliRunner) -> None:
    suggestion = "did you mean 'HOOD-CARBON-DUCTS'?"
    for args in (
        ["quote", "xiaomi-su7-ultra", "HOOD-CARBON"],
        ["available", "xiaomi-su7-ultra", "HOOD-CARBON"],
        ["available", "xiaomi-su7-ultra", "--want", "HOOD-CARBON"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 4, (args, result.output)
        assert suggestion in result.stderr and "ROOF-CARBON" not in result.stderr
    result = runner.invoke(app, ["quote", "xiaomi-su7-ultra", "WHEEL"])
    assert result.exit_code == 4 and "did you mean" not in result.stderr


def test_batch_rows_suggest_the_same(runner: CliRunner, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,model,options\n1,xiaomi-su7-ultra,HOOD-CARBON\n2,xiaomi-su7-ultra,WHEEL\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["batch", str(rows)])
    first, second = result.stdout.splitlines()[1:3]
    assert "(did you mean 'HOOD-CARBON-DUCTS'?)" in first and "ROOF-CARBON" not in first
    assert "'WHEEL' is not an option" in second and "did you mean" not in second
