"""`configurator configure` in a real pseudo-terminal (pexpect), as a dealer would use it.

The session runs as a separate process (``python -m configurator``) in an 80x24 terminal with
NO_COLOR set; what it prints is checked against `configurator quote` for the same code.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ptyterm import ANSI, pty_environment, spawn

pexpect = pytest.importorskip("pexpect")

MODEL = "xiaomi-su7-ultra"
DATE = "2026-03-01"
PROMPT = r"\]> "


class Terminal:
    """A configure session in a pseudo-terminal, with the screen text since the last input."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.env = pty_environment(tmp_path)
        self.child = spawn(tmp_path, ["configure", MODEL, "--date", DATE, *args], self.env)
        self.screen = ""

    def prompt(self) -> str:
        """Wait for the next prompt; return what was printed before it (colours stripped)."""
        self.child.expect(PROMPT)
        self.screen = ANSI.sub("", self.child.before)
        return self.screen

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def number_of(self, name: str) -> str:
        """The number shown before an option's name in the step on screen."""
        for line in self.screen.splitlines():
            match = re.match(r"\s*(\d+) [\[(][ •x][\])] .. (.*)", line)
            if match and match.group(2).startswith(name):
                return match.group(1)
        raise AssertionError(f"no option '{name}' on screen:\n{self.screen}")

    def choose(self, name: str) -> str:
        self.send(self.number_of(name))
        return self.prompt()

    def finish(self) -> tuple[str, str]:
        """Send f; return the printed total (digits only) and configuration code."""
        self.send("f")
        return self.ending()

    def ending(self, at_eof: bool = False) -> tuple[str, str]:
        """Wait for the end; return the printed total (digits only) and configuration code."""
        if not at_eof:
            self.child.expect(pexpect.EOF)
        self.child.close()
        self.screen = ANSI.sub("", self.child.before)
        assert self.child.exitstatus == 0, self.screen
        assert "Traceback" not in self.screen
        total = re.search(r"Total to pay: ([\d,]+\.\d\d) CNY", self.screen)
        code = re.search(r"Configuration code:\s+([0-9A-Z-]+)", self.screen)
        assert total and code, self.screen
        return total.group(1).replace(",", ""), code.group(1)


def _quote(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "configurator", "quote", *args, "--date", DATE, "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_dealer_session_with_a_conflict(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "--save", "order.yaml")
    screen = term.prompt()
    assert "step 1 of 13 · Paint" in screen
    assert "Total 561,793.81 CNY" in screen

    screen = term.choose("Amethyst")  # paint; on to the wheels
    assert "+ Amethyst (PAINT-AMETHYST)" in screen
    assert "step 2 of 13 · Wheels" in screen
    assert "Xiaomi customization programme: 28,000.00 of 100,000.00" in screen

    screen = term.choose("Forged wheels, gold")
    assert "+ Gold brake calipers (CALIPER-GOLD) comes with Forged wheels, gold" in screen

    term.send("j badges")
    term.prompt()
    screen = term.choose("24k gold badges")
    assert "84,000.00 of 100,000.00 (16,000.00 short)" in screen

    term.send("j exterior")
    term.prompt()
    term.choose("Carbon-fibre hood")
    screen = term.choose("Carbon-fibre roof")

    term.send("j personalisation")
    screen = term.prompt()
    assert "✗ not available: Body graphics need a painted hood or roof" in screen
    screen = term.choose("Body graphics")  # the conflict: the alternatives, cheapest first
    assert "Body graphics (GRAPHICS-BODY) is not available" in screen
    assert "- Carbon-fibre hood with dual ducts" in screen
    assert "- Carbon-fibre roof" in screen
    term.send("1")
    screen = term.prompt()
    assert "- Carbon-fibre hood with dual ducts (HOOD-CARBON-DUCTS) removed" in screen
    assert "+ Body graphics (GRAPHICS-BODY)" in screen
    assert "109,000.00 of 100,000.00 ✓ met" in screen

    total, code = term.finish()
    quote = _quote(term.env, "--code", code)
    assert quote["total"] == total
    assert quote["code"] == code
    assert quote["choices"] == [
        "PAINT-AMETHYST",
        "WHEEL-FORGED-GOLD",
        "ROOF-CARBON",
        "BADGE-GOLD-24K",
        "GRAPHICS-BODY",
    ]
    saved = (tmp_path / "order.yaml").read_text(encoding="utf-8")
    assert f"code: {code}" in saved


def test_enter_at_every_prompt_gives_the_standard_car(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    steps = 0
    while term.child.expect([PROMPT, pexpect.EOF]) == 0:
        steps += 1
        term.send("")
    total, code = term.ending(at_eof=True)
    assert steps == 13
    standard = _quote(term.env, MODEL)
    assert standard["subtotal"] == "529900.00"  # the base price: every group at its default
    assert total == standard["total"] == "561793.81"
    assert code == standard["code"]


def test_ctrl_c_asks_to_save_and_exits_cleanly(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    term.prompt()
    term.choose("Racing Red")
    term.child.sendintr()
    term.child.expect(r"Save the configuration so far\? .*> ")
    term.send("partial.json")
    term.child.expect("Saved to partial.json")
    term.child.expect(pexpect.EOF)
    term.child.close()
    assert term.child.exitstatus == 130
    assert "Traceback" not in ANSI.sub("", term.child.before or "")
    data = json.loads((tmp_path / "partial.json").read_text(encoding="utf-8"))
    assert data["choices"] == ["PAINT-RACING-RED"] and data["finished"] is False
