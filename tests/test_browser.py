"""The printed documents in a real browser: headless Chromium prints them to PDF (A4) and
takes screenshots; poppler reads the PDFs back.

- the standard SU7 Ultra prints on one A4 page; a fully customised one (custom paint, gold
  badges, forged wheels, custom interior, carbon hood, Chinese custom badge text) on at most
  two, in English and in Chinese; each PDF holds the total and the code as text;
- a screenshot of the quote is not blank;
- a comparison of three cars prints too.

Skipped, with the reason, where Chromium or poppler-utils is not installed (.ci/run installs
them). The Chinese text is looked for in the PDF only where a CJK font is installed (without
one Chromium draws boxes, which pdftotext cannot read back); the page counts hold either way.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from chromium import has_cjk_font, missing_tools, pdf_page_size_mm, pdf_pages, pdf_text
from chromium import print_pdf as chromium_pdf
from chromium import screenshot as chromium_screenshot
from test_compare import SU7_FULL
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app
from configurator.configuration import Configuration
from configurator.money import format_money
from configurator.rules.select import complete_configuration

pytestmark = pytest.mark.skipif(
    missing_tools() is not None, reason=f"browser tests: {missing_tools()}"
)

DATE = "2026-03-01"


def _squash(text: str) -> str:
    return "".join(text.split()).replace("-", "")


def _write(
    tmp: Path, name: str, *args: str, document: tuple[str, ...] = ()
) -> tuple[Path, dict[str, str]]:
    """Write the quote as HTML (with the ``document`` options) and return it with its JSON."""
    runner = CliRunner()
    page = tmp / f"{name}.html"
    result = runner.invoke(
        app, ["quote", *args, *document, "--date", DATE, "-f", "html", "-o", str(page)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["quote", *args, "--date", DATE, "-f", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, str] = json.loads(result.stdout)
    return page, data


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, str]]]:
    """Every document of this module, written and then printed by Chromium runs in parallel
    (each run is mostly waiting on the browser's start-up)."""
    tmp = tmp_path_factory.mktemp("printed")
    found = {
        "standard": _write(tmp, "standard", "xiaomi-su7-ultra"),
        "full": _write(
            tmp,
            "full",
            *SU7_FULL,
            document=("--customer", "李伟", "--dealer", "Xiaomi Auto Beijing"),
        ),
        "full-zh": _write(tmp, "full-zh", *SU7_FULL, document=("--lang", "zh-CN")),
    }
    runner = CliRunner()
    codes = [
        found["standard"][1]["code"],
        found["full"][1]["code"],
    ]
    result = runner.invoke(app, ["quote", "porsche-taycan", "--date", DATE, "-f", "json"])
    assert result.exit_code == 0, result.output
    codes.append(json.loads(result.stdout)["code"])
    compare_page = tmp / "compare.html"
    result = runner.invoke(
        app, ["compare", *codes, "--date", DATE, "-f", "html", "-o", str(compare_page)]
    )
    assert result.exit_code == 0, result.output
    _every_model(tmp / "models.html")
    jobs = [
        (chromium_pdf, tmp / f"{name}.html", tmp / f"{name}.pdf")
        for name in ("standard", "full", "full-zh", "compare", "models")
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        shot = pool.submit(chromium_screenshot, tmp / "standard.html", tmp / "shot.png", 800, 1000)
        for future in [pool.submit(job, source, target) for job, source, target in jobs]:
            future.result()
        shot.result()
    found["compare"] = (compare_page, {})
    return found


# Buyer values for the options that need one, so that "dearest" cars can be priced.
VALUES = {
    "PAINT-TO-SAMPLE-PLUS": "Grandfather's 1973 Tangerine",
    "PAINT-TO-SAMPLE": "Oak Green",
    "INT-EM-LEATHER-TO-SAMPLE": "Cognac",
    "INT-EM-DOOR-SILLS": "Est. 2025",
    "BADGE-CUSTOM": "小米 雷军01",
}
SHEET = re.compile(r'<main class="sheet" lang="[^"]+">.*?</main>', re.DOTALL)


def _every_model(target: Path) -> None:
    """One HTML file holding, sheet after sheet (each from a new page), the quote of every
    shipped model's standard car and of its dearest car, in English and in Chinese: one
    browser run prints them all, and the page where each sheet starts tells its length."""
    runner = CliRunner()
    sheets = []
    head = ""
    for catalog in CatalogTree(default_catalog_root()).load_all():
        dearest = complete_configuration(
            catalog, Configuration.of(catalog.id, []), "dearest", dt.date.fromisoformat(DATE)
        )
        values = [f"--value={code}={VALUES[code]}" for code in dearest.choices if code in VALUES]
        for kind, extra in (("standard", []), ("dearest", [*dearest.choices, *values])):
            for lang in ("en", "zh-CN"):
                args = ["quote", catalog.id, *extra, "--date", DATE, "-f", "html", "--lang", lang]
                result = runner.invoke(app, args)
                assert result.exit_code == 0, result.output
                page = result.stdout
                head = head or page[: page.index("<body>")]
                sheet = SHEET.search(page)
                assert sheet is not None
                marker = f'<p class="sheet-id">{catalog.id}/{kind}/{lang}</p>'
                sheets.append(sheet.group(0).replace(">", ">" + marker, 1))
    style = "<style>main.sheet + main.sheet { break-before: page; }</style>"
    target.write_text(
        head + style + "<body>" + "".join(sheets) + "</body></html>", encoding="utf-8"
    )


def _check_pdf(pdf: Path, data: dict[str, str], max_pages: int) -> str:
    width, height = pdf_page_size_mm(pdf)
    assert abs(width - 210) < 1 and abs(height - 297) < 1, (width, height)  # A4
    pages = pdf_pages(pdf)
    assert 1 <= pages <= max_pages, f"{pdf.name}: {pages} pages"
    text = pdf_text(pdf)
    total = format_money(Decimal(data["total"]))
    assert total in text, f"total {total} not in the PDF's text"
    assert _squash(data["code"]) in _squash(text), "the configuration code is not in the PDF"
    return text


def test_standard_car_prints_on_one_a4_page(
    printed: dict[str, tuple[Path, dict[str, str]]],
) -> None:
    page, data = printed["standard"]
    text = _check_pdf(page.with_suffix(".pdf"), data, max_pages=1)
    assert "Xiaomi SU7 Ultra" in text and "Vehicle purchase tax" in text


def test_customised_su7_prints_on_at_most_two_pages(
    printed: dict[str, tuple[Path, dict[str, str]]],
) -> None:
    page, data = printed["full"]
    text = _check_pdf(page.with_suffix(".pdf"), data, max_pages=2)
    assert "Forged wheels, gold" in text and "80,000.00" in text
    if has_cjk_font():
        assert "雷军01" in _squash(text) and "李伟" in text


def test_chinese_document_prints_on_at_most_two_pages(
    printed: dict[str, tuple[Path, dict[str, str]]],
) -> None:
    page, data = printed["full-zh"]
    text = _check_pdf(page.with_suffix(".pdf"), data, max_pages=2)
    if has_cjk_font():
        assert "报价单" in _squash(text) and "合计" in _squash(text)


def test_screenshot_is_not_blank(printed: dict[str, tuple[Path, dict[str, str]]]) -> None:
    from PIL import Image

    png = printed["standard"][0].parent / "shot.png"
    with Image.open(png) as image:
        assert image.size == (800, 1000)
        histogram = image.convert("L").histogram()
    pixels = sum(histogram)
    dark = sum(histogram[:128])  # text, rules, the QR code
    assert 0.01 < dark / pixels < 0.5, f"{dark / pixels:.3f} of the pixels are dark"
    assert len([count for count in histogram if count]) > 20  # shades: not a flat image


def test_every_shipped_model_prints_on_one_page_or_two_when_dearest(
    printed: dict[str, tuple[Path, dict[str, str]]],
) -> None:
    pdf = printed["standard"][0].parent / "models.pdf"
    pages = pdf_text(pdf).split("\f")
    starts = {}
    for number, text in enumerate(pages):
        for sheet in re.findall(r"\S+/(?:standard|dearest)/(?:en|zh-CN)", text):
            starts[sheet] = number
    assert len(starts) >= 16, sorted(starts)  # 4 models x 2 cars x 2 languages
    order = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in order[1:]] + [pdf_pages(pdf)]
    lengths = {sheet: end - start for (sheet, start), end in zip(order, ends, strict=True)}
    for sheet, length in lengths.items():
        allowed = 1 if "/standard/" in sheet else 2
        assert 1 <= length <= allowed, f"{sheet}: {length} pages"


def test_comparison_prints(printed: dict[str, tuple[Path, dict[str, str]]]) -> None:
    pdf = printed["compare"][0].with_suffix(".pdf")
    assert pdf_pages(pdf) <= 3
    text = pdf_text(pdf)
    assert "771,873.45" in text and "Porsche Taycan" in text
