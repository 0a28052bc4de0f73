"""`configurator quote --format html|pdf`: the buyer's document (structure, content, escaping).

Golden files pin the documents' structure (elements, classes, nesting: tests/htmlshape.py),
not their bytes; the browser tests (test_browser.py) print them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from htmlshape import outline, parse, texts
from test_pricing_strategies import PRICING
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app
from configurator.document import build_document, quote_reference
from configurator.money import format_money
from configurator.pricing.engine import price_code
from configurator.render.html import css_string, quote_html

GOLDEN = Path(__file__).resolve().parent / "golden"
TREE = ["--catalogs", str(PRICING)]
COUPE_RICH = [
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
COUPE_SPORT = ["quote", "acme-coupe", "PKG-SPORT", "ROOF-PANORAMA", "--date", "2025-08-01"]
SU7_FULL = [
    "quote",
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
    "--date",
    "2026-03-01",
]


def golden_outline(name: str, page: str) -> None:
    """Compare the page's outline with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    shape = outline(page)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(shape, encoding="utf-8")
    assert shape == path.read_text(encoding="utf-8")


def _html(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, [*args, "--format", "html"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _json(runner: CliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _classes(page: str, tag: str) -> list[str]:
    return [attrs.get("class") or "" for name, attrs in parse(page).tags if name == tag]


# --- structure (golden) -------------------------------------------------------------------


def test_golden_coupe_with_customer_and_conversion(runner: CliRunner) -> None:
    page = _html(
        runner,
        *TREE,
        *COUPE_RICH,
        "--customer",
        "Ada Lovelace",
        "--dealer",
        "Acme Motors Berlin",
        "--currency",
        "USD",
    )
    golden_outline("quote_coupe_rich.html.outline", page)


def test_golden_coupe_package_in_chinese(runner: CliRunner) -> None:
    page = _html(runner, *TREE, *COUPE_SPORT, "--lang", "zh-CN")
    golden_outline("quote_coupe_sport_zh.html.outline", page)


# --- content ------------------------------------------------------------------------------


def test_document_carries_the_quote(runner: CliRunner) -> None:
    """Everything the terminal quote has: lines, subtotal, VAT, taxes explained, total,
    deposit, delivery, programme progress, the code (text and QR) and the terms."""
    data = _json(runner, *TREE, *COUPE_RICH)
    page = _html(runner, *TREE, *COUPE_RICH, "--customer", "Ada", "--dealer", "Acme Berlin")
    text = texts(page)
    for key in ("subtotal", "net", "vat", "total", "deposit"):
        assert format_money(Decimal(str(data[key]))) in text, key
    for line in data["lines"]:  # type: ignore[attr-defined]
        assert format_money(Decimal(line["amount"])) in text
        assert line["name"] in text
    for tax in data["taxes"]:  # type: ignore[attr-defined]
        assert tax["explanation"] in text
    assert "“Oak Green”" in text
    assert f"about {data['delivery_weeks']} weeks" in text
    assert "Acme Manufaktur" in text and "progress" in " ".join(_classes(page, "div"))
    code = str(data["code"])
    assert code.replace("-", "") in text.replace("-", "").replace(" ", "")
    assert "Ada" in text and "Acme Berlin" in text
    assert "2025-08-31" in text  # valid for 30 days from 2025-08-01 by default
    assert "valid for 30 days" in text
    reference = f"Q-20250801-{code.replace('-', '')[:8]}"
    assert reference in text
    # the swatch chips: one per option line with a colour, as inline SVG
    swatches = {line["swatch"].upper() for line in data["lines"] if line["swatch"]}  # type: ignore[attr-defined]
    fills = {attrs.get("fill") for name, attrs in parse(page).tags if name == "rect"}
    assert swatches and swatches <= fills


def test_qr_code_is_segnos_encoding_of_the_code(runner: CliRunner) -> None:
    import segno

    data = _json(runner, *TREE, *COUPE_RICH)
    page = _html(runner, *TREE, *COUPE_RICH)
    qr = segno.make(str(data["code"]), error="m", micro=False)
    path = re.search(r'<svg class="qr".*?</svg>', page, re.DOTALL)
    assert path is not None
    expected = qr.svg_inline(border=2, dark="#000", light="#fff", omitsize=True)
    expected_path = re.search(r'd="([^"]+)"', expected)
    assert expected_path is not None and expected_path.group(1) in path.group(0)
    assert f"<title>{data['code']}</title>" in path.group(0)


def test_self_contained_no_script_no_network(runner: CliRunner) -> None:
    page = _html(runner, *TREE, *COUPE_RICH)
    tags = {name for name, _ in parse(page).tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not re.search(r"https?://|url\(|@import|\bsrc=", page)
    assert page.startswith("<!DOCTYPE html>") and "@page" in page and "size: A4" in page


def test_package_lists_its_contents(runner: CliRunner) -> None:
    page = _html(runner, "quote", "xiaomi-su7-ultra", "PKG-TRACK", "--date", "2026-03-01")
    rows = re.findall(r'<tr class="line package">.*?</tr>', page, re.DOTALL)
    assert len(rows) == 1
    for code in (
        "WHEEL-21-TRACK",
        "TYRE-SEMI-SLICK",
        "BRAKE-CCB-TRACK",
        "SEAT-CARBON-BUCKET",
        "TRACK-TELEMETRY",
    ):
        assert code in rows[0]
    assert rows[0].count("<li>") == 5
    assert '<tr class="line included">' not in page  # contents are inside the package row


def test_chinese_names_beside_english_and_a_chinese_document(runner: CliRunner) -> None:
    english = texts(_html(runner, *SU7_FULL))
    assert "Amethyst 紫水晶" in english and "Custom badge 定制车标" in english
    assert "“小米 雷军01”" in english
    assert "Vehicle purchase tax 车辆购置税" in english
    page = _html(runner, *SU7_FULL, "--lang", "zh-CN")
    chinese = texts(page)
    assert '<html lang="zh-CN">' in page
    for text in ("报价单", "紫水晶 Amethyst", "合计", "车辆购置税", "小米定制", "下单定金"):
        assert text in chinese, text
    # the tax threshold warning is there, in both
    assert "Ultra-luxury car consumption tax" in chinese


def test_buyer_text_is_escaped() -> None:
    """Buyer texts (values, customer, dealer) can contain anything: markup stays text."""
    tree = CatalogTree(PRICING)
    catalog = tree.load("acme-coupe")
    market = tree.load_market(catalog.market)
    from configurator.configuration import Configuration
    from configurator.pricing.engine import price

    quote = price(
        catalog,
        Configuration.of(
            "acme-coupe",
            ["PAINT-TO-SAMPLE", "INT-LEATHER", "WHEEL-21-GOLD"],
            {"PAINT-TO-SAMPLE": "Oak"},
        ),
        market,
        dt.date(2025, 8, 1),
    )
    evil = '<script>alert("x")</script> & </style>"\''
    lines = [replace(line, value=evil) if line.value else line for line in quote.lines]
    quote = replace(quote, lines=lines, warnings=[evil])
    document = build_document(quote, catalog, market, customer=evil, dealer=evil)
    page = quote_html(document)
    assert "<script" not in page and "</style>\"'" not in page
    assert page.count("</style>") == 1
    parsed = parse(page)
    assert not any(name == "script" for name, _ in parsed.tags)
    assert texts(page).count('<script>alert("x")</script> & </style>"\'') >= 4
    assert "<" not in css_string(evil) and '"' not in css_string(evil)[1:-1]


def test_every_shipped_model(runner: CliRunner) -> None:
    tree = CatalogTree(default_catalog_root())
    for catalog in tree.load_all():
        data = _json(runner, "quote", catalog.id, "--date", "2026-03-01")
        for lang in ("en", "zh-CN"):
            page = _html(runner, "quote", catalog.id, "--date", "2026-03-01", "--lang", lang)
            text = texts(page)
            assert format_money(Decimal(str(data["total"]))) in text, catalog.id
            assert str(data["code"]).split("-")[0] in text
            assert len(_classes(page, "tr")) >= len(data["lines"])  # type: ignore[arg-type]


def test_document_amounts_are_the_quotes_decimals() -> None:
    tree = CatalogTree(default_catalog_root())
    catalog = tree.load("xiaomi-su7-ultra")
    market = tree.load_market(catalog.market)
    quote = price_code(tree, "DBYB-F004", dt.date(2026, 3, 1))
    document = build_document(quote, catalog, market, language="zh-CN", valid_days=14)
    assert document.total == quote.total and isinstance(document.total, Decimal)
    assert document.subtotal == sum(line.amount for line in document.lines)
    assert document.valid_until == dt.date(2026, 3, 15)
    assert document.delivery_estimate == dt.date(2026, 3, 1) + dt.timedelta(weeks=6)
    assert document.reference == quote_reference(quote) == "Q-20260301-DBYBF004"
    assert document.model_name.text == "小米 SU7 Ultra"
    assert document.model_name.other == "Xiaomi SU7 Ultra"


# --- options and errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--valid-days", "0"], "valid for 1 to 366 days"),
        (["--valid-days", "soon"], "is not a number of days"),
        (["--lang", "fr"], "is not a document language"),
        (["--customer", "x" * 201], "at most 200"),
    ],
)
def test_bad_document_options(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["quote", "xiaomi-su7-ultra", "--format", "html", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_document_options_need_a_document_format(runner: CliRunner) -> None:
    result = runner.invoke(app, ["quote", "xiaomi-su7-ultra", "--customer", "Li"])
    assert result.exit_code == 2
    assert "--customer is for printed documents: add --format html" in result.stderr


def test_code_and_output_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "quote.html"
    result = runner.invoke(
        app,
        ["quote", "--code", "DBYB-F004", "--date", "2026-03-01", "-f", "html", "-o", str(target)],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "561,793.81" in texts(target.read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == ["quote.html"]


def test_pdf_without_weasyprint_says_how_to_get_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    target = tmp_path / "quote.pdf"
    result = runner.invoke(app, ["quote", "xiaomi-su7-ultra", "-f", "pdf", "-o", str(target)])
    assert result.exit_code == 2
    assert "pip install 'configurator[pdf]'" in result.stderr
    assert not target.exists()


def test_pdf_with_weasyprint(runner: CliRunner, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        pytest.skip(f"WeasyPrint (the pdf extra) is not usable here: {error}")
    target = tmp_path / "quote.pdf"
    result = runner.invoke(
        app, ["quote", "xiaomi-su7-ultra", "--date", "2026-03-01", "-f", "pdf", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF-")
