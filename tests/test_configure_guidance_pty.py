"""Guided selling in a real 80x24 pseudo-terminal (pexpect): exact repairs, the programme's
minimum spend, a Chinese buyer value; every figure checked against `configurator quote`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ptyterm import ANSI, pty_environment, spawn

pexpect = pytest.importorskip("pexpect")

DATE = "2026-03-01"
PROMPT = r"\]?> "


class Terminal:
    """A configure session in an 80x24 pseudo-terminal; ``screen`` is the text since the last
    input."""

    def __init__(self, tmp_path: Path, model: str, *args: str) -> None:
        self.env = pty_environment(tmp_path)
        self.model = model
        self.child = spawn(tmp_path, ["configure", model, "--date", DATE, *args], self.env)
        self.screen = ""

    def say(self, line: str, expect: str = r"> $") -> str:
        """Send a line; wait for the next prompt; return what was printed (colours off)."""
        self.child.sendline(line)
        self.child.expect(expect)
        self.screen = ANSI.sub("", self.child.before)
        return self.screen

    def start(self) -> str:
        self.child.expect(r"> $")
        self.screen = ANSI.sub("", self.child.before)
        return self.screen

    def finish(self) -> tuple[str, str]:
        """f, then the end: the printed total (digits only) and the configuration code."""
        self.child.sendline("f")
        self.child.expect(pexpect.EOF)
        self.child.close()
        screen = ANSI.sub("", self.child.before)
        assert self.child.exitstatus == 0, screen
        total = re.search(r"Total to pay: ([\d,]+\.\d\d) CNY", screen)
        code = re.search(r"Configuration code:\s+([0-9A-Z-]+)", screen)
        assert total and code, screen
        return total.group(1).replace(",", ""), code.group(1)

    def quote(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "configurator", "quote", *args, "--date", DATE, "-f", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return json.loads(done.stdout)


def lines_of(screen: str) -> list[str]:
    return [line.rstrip() for line in screen.replace("\r", "").splitlines()]


def test_matte_paint_repair_adds_exactly_what_it_says_and_a_chinese_badge_fits(
    tmp_path: Path,
) -> None:
    term = Terminal(tmp_path, "xiaomi-su7-ultra")
    term.start()
    for code in ("PAINT-AMETHYST", "WHEEL-FORGED-GOLD", "BADGE-GOLD-24K"):
        term.say(code)
    screen = term.say("PAINT-MATTE-CARBON-GREY")
    assert "Matte Carbon Grey (PAINT-MATTE-CARBON-GREY) is not available" in screen
    flat = " ".join(line.strip() for line in lines_of(screen))
    first = re.search(r"\b1\s+\+([\d,]+\.\d\d)\s+→ total ([\d,]+\.\d\d)", flat)
    assert first, screen
    # every option that leaves and comes, in every group (the default interior too)
    assert "- Amethyst; Black Alcantara, yellow stitching; 24k gold badges" in flat
    assert "Custom badge (asks the buyer's text); Body graphics" in flat
    assert "Cream and Tan Nappa interior" in flat
    screen = term.say("1")  # accept: the badge's text is asked first
    assert "Text of the custom badge" in screen
    screen = term.say("紫色 Ultra")
    assert "+ Custom badge: “紫色 Ultra” (BADGE-CUSTOM)" in screen
    assert "+ Body graphics (GRAPHICS-BODY)" in screen
    assert f"Total {first.group(2)} CNY" in screen  # exactly the total the line said
    assert "✓ met" in screen
    screen = term.say("j personalisation")
    badge = next(line for line in lines_of(screen) if "BADGE-CUSTOM" in line)
    assert badge.endswith("12,000.00")  # no amount cut by the double-width characters
    assert all(len(line) + sum(ord(c) > 0x2E80 for c in line) <= 80 for line in lines_of(screen))
    total, code = term.finish()
    quote = term.quote("--code", code)
    assert quote["total"] == total == first.group(2).replace(",", "")
    assert quote["values"] == {"BADGE-CUSTOM": "紫色 Ultra"}


def test_taycan_gold_badges_offer_each_wheel_priced(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "porsche-taycan")
    term.start()
    term.say("WHEEL-21-MISSION-E")
    screen = term.say("BADGE-EM-GOLD")
    flat = " ".join(line.strip() for line in lines_of(screen))
    assert "Gold badges (BADGE-EM-GOLD) is not available" in flat
    found = re.findall(
        r"\b(\d)\s+\+([\d,]+\.\d\d)\s+→ total ([\d,]+\.\d\d)\s+· delivery \+20 weeks", flat
    )
    assert [n for n, _, _ in found] == ["1", "2", "3"]
    assert "+ Exclusive Design forged wheels, gloss black; Gold badges" in flat
    assert "+ Exclusive Design forged wheels, satin gold; Gold badges" in flat
    black = next(i for i, chunk in enumerate(flat.split(" → total ")) if "gloss black" in chunk)
    number, _, total = found[black - 1]
    screen = term.say(number)
    assert "Exclusive Design forged wheels, gloss black" in screen
    assert f"Total {total} CNY" in screen
    finished, code = term.finish()
    assert finished == total.replace(",", "")
    assert term.quote("--code", code)["choices"] == ["WHEEL-EM-FORGED-BLACK", "BADGE-EM-GOLD"]


def test_programme_guidance_explains_quotes_provisionally_and_finds_the_minimum(
    tmp_path: Path,
) -> None:
    term = Terminal(tmp_path, "xiaomi-su7-ultra")
    screen = term.start()
    assert "Sprout Yellow *" in screen
    assert "* counts toward the Xiaomi customization programme's minimum of 100,000.00" in screen
    screen = term.say("PAINT-SPROUT-YELLOW")
    flat = " ".join(line.strip() for line in lines_of(screen))
    assert "options marked * must add up to at least 100,000.00" in flat
    assert "a deposit of 80,000.00" in flat and "at most 40 cars" in flat
    assert "about 8 weeks longer" in flat
    screen = term.say("WHEEL-FORGED-BLACK")
    assert "must add up to at least" not in screen  # explained once
    screen = term.say("q")
    assert "PROVISIONAL QUOTE - this car cannot be ordered yet" in screen
    assert "50,000.00 short" in screen
    screen = term.say("f")
    flat = " ".join(line.strip() for line in lines_of(screen))
    ways = re.findall(r"\b(\d)\s+\+[\d,]+\.\d\d\s+→ total ([\d,]+\.\d\d)", flat)
    assert ways and ways[0][0] == "1"
    screen = term.say("1")
    if "Text of the custom badge" in screen:
        screen = term.say("LEI JUN")
    assert "100,000.00" in screen or "✓ met" in screen
    assert f"Total {ways[0][1]} CNY" in screen
    total, code = term.finish()
    assert total == ways[0][1].replace(",", "")
    quote = term.quote("--code", code)
    assert quote["total"] == total and quote["programmes"][0]["met"] is True


def test_crossing_the_tax_threshold_is_marked_confirmed_and_undone_in_one_key(
    tmp_path: Path,
) -> None:
    term = Terminal(tmp_path, "porsche-taycan")
    term.start()
    term.say("WHEEL-21-MISSION-E")
    screen = term.say("j brakes")
    flat = " ".join(line.strip() for line in lines_of(screen))
    mark = re.search(
        r"⚠ crosses the Ultra-luxury car consumption tax threshold: costs ([\d,]+\.\d\d) "
        r"with the ([\d,]+\.\d\d) tax it brings",
        flat,
    )
    assert mark, screen
    before = re.search(r"Total ([\d,]+\.\d\d) CNY", flat)
    assert before
    screen = term.say("BRAKE-PCCB", expect=r"\[y/N\]> $")
    flat = " ".join(line.strip() for line in lines_of(screen))
    assert "takes the car over the Ultra-luxury car consumption tax threshold" in flat
    screen = term.say("n")  # not confirmed: nothing changes
    assert f"Total {before.group(1)} CNY" in screen
    term.say("BRAKE-PCCB", expect=r"\[y/N\]> $")
    screen = term.say("y")
    flat = " ".join(line.strip() for line in lines_of(screen))
    assert "crossed with Porsche Ceramic Composite Brake (PCCB)" in flat
    over = re.search(r"Total ([\d,]+\.\d\d) CNY", flat)
    assert over
    effective = Decimal(over.group(1).replace(",", "")) - Decimal(before.group(1).replace(",", ""))
    assert f"{effective:,.2f}" == mark.group(1)  # the mark said exactly what it costs
    way = re.search(r"y = back under: .*? → total ([\d,]+\.\d\d)", flat)
    assert way and "x = back under" in flat
    screen = term.say("y")
    assert f"Total {way.group(1)} CNY" in screen
    assert "over the" not in screen
