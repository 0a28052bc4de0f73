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

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from chromium import has_cjk_font, missing_tools, pdf_page_size_mm, pdf_pages, pdf_text
from chromium import print_pdf as chromium_pdf
from chromium import screenshot as chromium_screenshot
from test_compare import SU7_FULL
from typer.testing import CliRunner

from configurator.cli import app
from configurator.money import format_money

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
    jobs = [
        (chromium_pdf, tmp / f"{name}.html", tmp / f"{name}.pdf")
        for name in ("standard", "full", "full-zh", "compare")
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        shot = pool.submit(chromium_screenshot, tmp / "standard.html", tmp / "shot.png", 800, 1000)
        for future in [pool.submit(job, source, target) for job, source, target in jobs]:
            future.result()
        shot.result()
    found["compare"] = (compare_page, {})
    return found


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


def test_comparison_prints(printed: dict[str, tuple[Path, dict[str, str]]]) -> None:
    pdf = printed["compare"][0].with_suffix(".pdf")
    assert pdf_pages(pdf) <= 3
    text = pdf_text(pdf)
    assert "771,873.45" in text and "Porsche Taycan" in text
