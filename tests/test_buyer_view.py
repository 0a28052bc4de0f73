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


def test_chinese_names_with_lang_and_by_default_under_a_chinese_locale() -> None:
    args = ["quote", *SU7, "INT-CUSTOM-AMETHYST", *DATE]
    plain = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "80", "LANG": "en_GB.UTF-8"})
    assert "紫水晶" not in plain.invoke(app, args).stdout
    assert "紫水晶" in plain.invoke(app, [*args, "--lang", "zh-CN"]).stdout
    chinese = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "80", "LANG": "zh_CN.UTF-8"})
    result = chinese.invoke(app, args)
    assert "■ 紫水晶" in result.stdout and "24K 金车标" in result.stdout
    assert all(cell_len(line) <= 80 for line in result.stdout.splitlines())
    assert "紫水晶" not in chinese.invoke(app, [*args, "--lang", "en"]).stdout
    bad = plain.invoke(app, [*args, "--lang", "fr"])
    assert bad.exit_code == 2 and "use en or zh-CN" in bad.stderr


def test_the_session_speaks_the_buyers_language_and_describes_options() -> None:
    import datetime as dt

    from configurator.catalog.loader import open_tree
    from configurator.session import ConfigureSession

    tree = open_tree()
    catalog = tree.load("xiaomi-su7-ultra")
    session = ConfigureSession(
        catalog, tree.load_market(catalog.market), dt.date(2026, 3, 1), lang="zh-CN"
    )
    assert session.steps[0].name == "车漆"
    assert session.name("PAINT-AMETHYST") == "紫水晶"
    assert session.model_name == "小米 SU7 Ultra"
    assert session.description(
        "PAINT-AMETHYST",
    ).startswith("Deep violet")
    session.choose("PAINT-AMETHYST")
    assert session.summary().programmes[0].name == "小米定制"
    assert session.draft_quote().lines[1].name == "紫水晶"


def test_no_culprit_when_the_base_car_is_over_the_threshold_in_quote_and_session() -> None:
    import datetime as dt

    from configurator.catalog.loader import open_tree
    from configurator.render.configure import summary_lines
    from configurator.session import ConfigureSession

    tree = open_tree()
    catalog = tree.load("porsche-911-carrera")
    session = ConfigureSession(catalog, tree.load_market(catalog.market), dt.date(2026, 3, 1))
    priciest = max(
        (o for g in catalog.groups for o in g.options if o.value is None),
        key=lambda o: o.price,
    )
    if not session.unavailable().get(priciest.code):
        session.choose(priciest.code)
    quote = session.draft_quote()
    threshold = quote.thresholds[0]
    assert threshold.crossed and threshold.culprit is None
    assert "without any option of yours" in threshold.message
    text = " ".join(line.plain for line in summary_lines(session.summary(), 200))
    assert "(the car is over without any option of yours)" in text
    assert "crossed with" not in text


def test_catalog_locations_outside_the_working_folder_are_relative_to_the_tree(
    tmp_path: object, monkeypatch: object
) -> None:
    import pytest

    from configurator.catalog.files import CatalogFiles
    from configurator.catalog.loader import default_catalog_root

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.chdir(str(tmp_path))  # the shipped tree is elsewhere, as when installed
    root = default_catalog_root()
    files = CatalogFiles(root)
    assert files.display(root / "xiaomi" / "su7-ultra.yaml") == "xiaomi/su7-ultra.yaml"
    narrow = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "80"})
    result = narrow.invoke(
        app, ["quote", "xiaomi-su7-ultra", "PAINT-PEARL-WHITE", "BADGE-GOLD-24K"]
    )
    assert result.exit_code == 4
    assert "at xiaomi/_customization.yaml:" in result.stderr
    assert str(root) not in result.stderr
