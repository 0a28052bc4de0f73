"""`configurator configure` on a feature model of hundreds of groups, in a real pseudo-terminal
(pexpect, 80x24, NO_COLOR): the path and counts, going down and up, the groups under here,
search by name (Chinese too) and code with paths, jumping to a match's group, finishing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from feature_tree import write_model
from ptyterm import ANSI, pty_environment, spawn
from rich.cells import cell_len

from configurator.uvl.codes import code_of

pexpect = pytest.importorskip("pexpect")

PROMPT = r"\]> "


class Terminal:
    def __init__(self, tmp_path: Path) -> None:
        catalogs, model = write_model(tmp_path / "fleet")
        args = ["--catalogs", str(catalogs), "configure", model]
        self.child = spawn(tmp_path, args, pty_environment(tmp_path), timeout=60)

    def prompt(self) -> str:
        self.child.expect(PROMPT)
        screen = ANSI.sub("", self.child.before)
        for line in screen.replace("\r", "").splitlines():
            assert cell_len(line) <= 80, line  # nothing wider than the terminal, CJK included
        return screen

    def do(self, line: str) -> str:
        self.child.sendline(line)
        return self.prompt()


def test_moving_around_a_model_of_hundreds_of_groups(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    screen = term.prompt()
    assert "step 1 of 254 · Fleet (choose exactly one)" in screen
    assert "253 groups under here: 0 decided · 254 in the model: 0 decided" in screen
    assert "Enter=keep >N=down <=up j=groups /=search" in screen

    screen = term.do(">1")  # down, under the root feature
    assert "Fleet: mandatory" in screen and "▸ Fleet\r\n" in screen
    assert "Region 0 (with " in screen and "▸21 " in screen  # a region and its groups

    screen = term.do("j")  # the groups under here: the twelve regions, not 250 lines
    assert "Groups under Fleet: mandatory:" in screen
    assert "   <  Fleet\r\n   ▸    Fleet: mandatory\r\n" in screen  # the branch, indented
    assert re.search(r"\n   4      华东区: mandatory +\(20 under, 0 decided\)", screen)
    assert "System" not in screen
    screen = term.do("4")
    assert "▸ Fleet › 华东区" in screen
    assert "20 groups under here: 0 decided" in screen
    assert "座椅系统 3-2 (with 华东区)" in screen  # a mandatory child: its region brings it

    screen = term.do("/ 加热部件 3-2")  # search in Chinese: the matches with their paths
    assert "加热部件 3-2-a" in screen and "加热部件 3-2-c" in screen
    assert "in Fleet › 华东区 › 座椅系统 3-2" in screen
    assert screen.rstrip().endswith("Choose [1-3, j N = go to its group, Enter = cancel")
    screen = term.do("1")  # chosen, then on along the walk
    assert f"+ 加热部件 3-2-a ({code_of('加热部件 3-2-a')})" in screen
    assert "座椅系统 3-2: optional" in screen
    assert "▸ Fleet › 华东区 › 座椅系统 3-2" in screen
    assert "No groups under here · 254 in the model: 1 decided" in screen

    screen = term.do("<")  # up: the region, which now counts the decision
    assert "华东区: mandatory" in screen and "20 groups under here: 1 decided" in screen

    screen = term.do("/ part 1-")  # more matches than the screen holds
    assert "… 21 more of 30: type more of the name or code" in screen
    assert "in Fleet › Region 1 › System 1-0" in screen
    screen = term.do("j 3")  # go to the group of match 3 (Part 1-0-c), choose nothing
    assert "System 1-0: alternative" in screen and "▸ Fleet › Region 1 › System 1-0" in screen
    assert "+ " not in screen

    screen = term.do(code_of("Extra 7-7-y").lower())  # a code typed at the prompt
    assert "+ Extra 7-7-y" in screen

    screen = term.do("j system 1-")  # a name several groups share: pick from the list
    assert "20 groups match 'system 1-':" in screen
    assert "… " in screen  # more than fit
    screen = term.do("2")
    assert "System 1-0: optional" in screen

    screen = term.do("j system 0-0: alternative")  # 30 options: more than the screen holds
    first = re.search(r"options 1-(\d+) of 30 · \+ next", screen)
    assert first, screen
    screen = term.do("+")
    assert f"options {int(first.group(1)) + 1}-" in screen and "+ next, - previous" in screen
    assert "Part 0-0-a" not in screen
    screen = term.do("-")
    assert "Part 0-0-a" in screen and "options 1-" in screen
    screen = term.do("30")  # an option of another page is chosen by its number all the same
    assert "System 0-0: optional" in screen  # chosen (or already the default): on we go
    if "+ Part 0-0-w27" not in screen:  # it was the default: another one, to see it come
        term.do("j system 0-0: alternative")
        screen = term.do("29")
        assert "+ Part 0-0-w26" in screen

    screen = term.do("?")
    assert "> N | > CODE go down" in screen

    term.child.sendline("f")
    term.child.expect(pexpect.EOF)
    term.child.close()
    ending = ANSI.sub("", term.child.before)
    assert term.child.exitstatus == 0, ending
    assert "Traceback" not in ending
    assert re.search(r"Total to pay: [\d,]+\.\d\d EUR", ending)
    assert "Configuration code:" in ending
