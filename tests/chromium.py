"""Headless Chromium and poppler, for the browser tests and docs/quote_screenshot.py.

Debian's ``chromium-headless-shell`` (or ``chromium``) prints a page to PDF and takes PNG
screenshots; poppler's ``pdfinfo`` and ``pdftotext`` read the PDF back. Each run gets a fresh
profile directory and no network, sync, updates or GPU; ``--no-sandbox`` because CI runs as
root, where Chromium's sandbox refuses to start.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
TIMEOUT = 90  # seconds: a cold start on a loaded 2-core machine


def find_chromium() -> str | None:
    """The first headless-capable Chromium on PATH (or $CONFIGURATOR_CHROMIUM), or None."""
    chosen = os.environ.get("CONFIGURATOR_CHROMIUM")
    if chosen:
        return shutil.which(chosen)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_tools() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    missing = []
    if find_chromium() is None:
        missing.append("Chromium (apt-get install chromium-headless-shell)")
    for tool in ("pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} (apt-get install poppler-utils)")
            break
    return ", ".join(missing) + " not installed" if missing else None


def _run(html_file: Path, *flags: str) -> None:
    browser = find_chromium()
    if browser is None:
        raise RuntimeError("no Chromium installed")
    if not html_file.is_file():
        raise FileNotFoundError(f"no page to print: {html_file}")
    with tempfile.TemporaryDirectory(prefix="configurator-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *flags,
            html_file.resolve().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(
            f"{Path(browser).name} failed ({done.returncode}): {done.stderr[-2000:]}"
        )


def print_pdf(html_file: Path, pdf_file: Path) -> Path:
    """Print ``html_file`` to ``pdf_file`` as the browser's print dialog would (A4 from CSS)."""
    _run(html_file, "--no-pdf-header-footer", f"--print-to-pdf={pdf_file}")
    if not pdf_file.is_file():
        raise RuntimeError(f"Chromium wrote no PDF to {pdf_file}")
    return pdf_file


def screenshot(html_file: Path, png_file: Path, width: int = 900, height: int = 1300) -> Path:
    """A PNG of ``html_file`` as shown on screen, ``width`` x ``height`` CSS pixels."""
    _run(html_file, f"--window-size={width},{height}", f"--screenshot={png_file}")
    if not png_file.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot to {png_file}")
    return png_file


def pdf_pages(pdf_file: Path) -> int:
    """The number of pages (pdfinfo)."""
    info = subprocess.run(
        ["pdfinfo", str(pdf_file)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"pdfinfo printed no page count:\n{info}")
    return int(found.group(1))


def pdf_page_size_mm(pdf_file: Path) -> tuple[float, float]:
    """The first page's size in millimetres (pdfinfo gives points)."""
    info = subprocess.run(
        ["pdfinfo", str(pdf_file)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"pdfinfo printed no page size:\n{info}")
    to_mm = 25.4 / 72
    return float(found.group(1)) * to_mm, float(found.group(2)) * to_mm


def pdf_text(pdf_file: Path) -> str:
    """The PDF's text in reading order (pdftotext -layout), UTF-8."""
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf_file), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def has_cjk_font() -> bool:
    """Whether fontconfig knows a font covering Chinese (else Chinese prints as boxes)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60
    )
    return bool(found.stdout.strip())
