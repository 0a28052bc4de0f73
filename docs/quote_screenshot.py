"""Regenerate docs/quote.png: the printed quote shown in the README.

    python docs/quote_screenshot.py

Writes the quote of a customised Xiaomi SU7 Ultra as HTML (``configurator quote --format
html``), prints it to an A4 PDF with headless Chromium exactly as the browser tests do, and
renders the first page to PNG with poppler's ``pdftoppm``: what the buyer gets on paper.
Needs chromium-headless-shell (or chromium) and poppler-utils; a CJK font for the Chinese names.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "tests"))

from chromium import missing_tools, pdf_pages, print_pdf  # noqa: E402

QUOTE = [
    "quote",
    "xiaomi-su7-ultra",
    "PAINT-AMETHYST",
    "INT-CUSTOM-AMETHYST",
    "WHEEL-FORGED-GOLD",
    "BADGE-GOLD-24K",
    "--date",
    "2026-03-01",
    "--customer",
    "Li Wei 李伟",
    "--dealer",
    "Xiaomi Auto Beijing",
    "--format",
    "html",
]
DPI = 90  # 744 x 1052 pixels for an A4 page


def main() -> int:
    why = missing_tools()
    if why is not None:
        print(f"cannot make the screenshot: {why}", file=sys.stderr)
        return 1
    target = DOCS / "quote.png"
    with tempfile.TemporaryDirectory(prefix="configurator-screenshot-") as folder:
        work = Path(folder)
        page = work / "quote.html"
        subprocess.run(
            [sys.executable, "-m", "configurator", *QUOTE, "-o", str(page)],
            check=True,
        )
        pdf = print_pdf(page, work / "quote.pdf")
        pages = pdf_pages(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(DPI),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(work / "page"),
            ],
            check=True,
        )
        shutil.copyfile(work / "page.png", target)
    print(f"wrote {target.relative_to(DOCS.parent)} (page 1 of {pages})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
