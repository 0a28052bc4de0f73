"""The session on a model whose groups form a feature tree (imported UVL): the tree itself,
the walk, moving down and up, the counts, and search with paths (Chinese names included)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from feature_tree import CHINESE_REGION, REGIONS, SYSTEMS, extra_name, part_name, write_model
from rich.cells import cell_len
from rich.console import Console

from configurator.catalog.loader import open_tree
from configurator.errors import UsageError
from configurator.grouptree import GroupTree
from configurator.render.configure import fit_left, fit_middle, fit_right, print_step, prompt_text
from configurator.session import ConfigureSession
from configurator.uvl.codes import code_of

ON = dt.date(2026, 3, 1)
GROUPS = 2 + REGIONS + REGIONS * SYSTEMS * 2  # root, its mandatory, each region's, two a system


# --- the tree, without a session -----------------------------------------------------------------


def test_group_tree_indexes_parents_children_and_depth_first_order() -> None:
    # step 0: A; 1 under A: B, C; 2 under C: D; 3 under A: E; 4 under D: F
    codes = [("A",), ("B", "C"), ("D",), ("E",), ("F",)]
    tree = GroupTree.of(codes, [None, "A", "C", "A", "D"])
    assert tree is not None
    assert tree.tops == (0,)
    assert tree.parent == (None, 0, 1, 0, 2)
    assert tree.children[0] == (1, 3) and tree.children[1] == (2,)
    assert tree.order == (0, 1, 2, 4, 3)
    assert tree.descendants(1) == (2, 4) and tree.descendants(3) == ()
    assert tree.ancestors(4) == (0, 1, 2)
    assert tree.path(4) == ("A", "C", "D")
    assert tree.depth == (0, 1, 2, 1, 3)
    branch = tree.branch(0, decided={2}, selected={"A", "B"})
    assert (branch.groups, branch.decided, branch.out) == (4, 1, 2)  # D's and F's options out
    # The walk passes over groups whose option is not in the car, both ways.
    assert tree.next_in_car(0, {"A", "C"}, 1) == 1
    assert tree.next_in_car(1, {"A", "C"}, 1) == 2
    assert tree.next_in_car(2, {"A", "C"}, 1) == 3  # F's group: D is out
    assert tree.next_in_car(3, {"A", "C"}, 1) is None
    assert tree.next_in_car(3, {"A", "C"}, -1) == 2
    assert tree.next_in_car(0, {"A"}, -1) is None


def test_a_flat_catalog_has_no_tree_and_a_cycle_does_not_hang() -> None:
    assert GroupTree.of([("A",), ("B",)], [None, None]) is None
    tree = GroupTree.of([("A",), ("B",)], ["B", "A"])  # refused by validation; still safe
    assert tree is not None and sorted(tree.order) == [0, 1]
    deep = GroupTree.of([(f"C{i}",) for i in range(5000)], [None] + [f"C{i}" for i in range(4999)])
    assert deep is not None and deep.depth[-1] == 4999  # no recursion limit


# --- the session ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return write_model(tmp_path_factory.mktemp("fleet"))


@pytest.fixture
def session(catalogs: tuple[Path, str]) -> ConfigureSession:
    root, model = catalogs
    tree = open_tree(root)
    catalog = tree.load(model)
    return ConfigureSession(catalog, tree.load_market(catalog.market), ON)


def test_the_tree_of_an_imported_model(session: ConfigureSession) -> None:
    tree = session.tree
    assert tree is not None and len(session.steps) == GROUPS
    assert session.branch(0) is not None and session.branch(0).groups == GROUPS - 1  # type: ignore[union-attr]
    region = session.find_step(f"{'华东区'}: mandatory")
    assert session.path(region) == ("Fleet", "华东区")
    assert [session.steps[b.index].name for b in session.branches(region)][:2] == [
        f"座椅系统 {CHINESE_REGION}-0: alternative",
        f"座椅系统 {CHINESE_REGION}-0: optional",
    ]
    assert len(session.branches(region)) == SYSTEMS * 2
    assert session.groups_below(code_of("华东区")) == 1 + SYSTEMS * 2


def test_down_and_up(session: ConfigureSession) -> None:
    session.down(code_of("Fleet"))
    assert session.step.name == "Fleet: mandatory"
    session.down(code_of("Region 4"))
    assert session.step.name == "Region 4: mandatory" and session.path() == ("Fleet", "Region 4")
    session.down(code_of("System 4-7"))
    assert session.step.name == "System 4-7: alternative"
    assert session.up() and session.step.name == "Region 4: mandatory"
    assert session.up() and session.up() and session.index == 0
    assert not session.up()  # the top
    with pytest.raises(UsageError, match="has no groups under it"):
        session.down(code_of("Part 4-7-a"))


def test_walk_is_depth_first_and_counts_follow_choices(session: ConfigureSession) -> None:
    seen = [session.index]
    while session.forward():
        seen.append(session.index)
    # Every group is in the car (mandatory all the way down), so the walk sees them all.
    assert len(seen) == GROUPS and len(set(seen)) == GROUPS
    assert session.tree is not None and tuple(seen) == session.tree.order
    while session.back():
        pass
    assert session.index == 0
    assert session.decided_count() == 0
    parts = [code_of(part_name(2, 3, p)) for p in "abc"]
    session.choose(next(c for c in parts if c not in session.selection().codes))
    session.choose(code_of(extra_name(2, 5, "x")))
    region = session.find_step("Region 2: mandatory")
    branch = session.branch(region)
    assert branch is not None and (branch.groups, branch.decided) == (SYSTEMS * 2, 2)
    assert session.decided_count() == 2
    assert session.branch(session.find_step("Region 1: mandatory")).decided == 0  # type: ignore[union-attr]


def test_search_ranks_exact_then_prefix_then_substring_and_limits(
    session: ConfigureSession,
) -> None:
    found = session.find("part 1-", limit=5)
    assert found.total == SYSTEMS * 3  # Part 1-s-p: 10 systems x 3 parts
    assert len(found.hits) == 5
    assert found.hits[0].path == ("Fleet", "Region 1", "System 1-0")
    assert [h.name for h in session.find("region 1").hits] == ["Region 1", "Region 10", "Region 11"]
    # An exact name first, then names starting with the text, then the rest, each in walk order.
    ranked = [h.name for h in session.find("1-0-a").hits]
    assert ranked[:2] == ["Part 1-0-a", "Part 11-0-a"]
    assert [h.name for h in session.find("ion 1").hits][0] == "Region 1"
    assert session.find("EXTRA 9-9-Y").hits[0].name == "Extra 9-9-y"
    code = code_of(part_name(5, 5, "b"))
    assert session.find(code.lower()).hits[0].code == code  # by code, case-insensitive
    chinese = session.find("加热部件 3-2")
    assert chinese.total == 3
    assert chinese.hits[0].path == ("Fleet", "华东区", f"座椅系统 {CHINESE_REGION}-2")
    assert session.find("  ").total == 0


def test_search_of_thousands_asks_the_engine_only_for_the_hits_shown(
    session: ConfigureSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    engine = session._rules.engine
    original = engine.selectable
    monkeypatch.setattr(engine, "selectable", lambda c: calls.append(c) or original(c))
    found = session.find("-", limit=3)  # every part, extra and system name
    assert found.total > 500 and len(found.hits) == 3
    assert len(calls) <= 3


def test_ambiguous_group_names_are_listed(session: ConfigureSession) -> None:
    assert len(session.find_steps("system 1-")) == SYSTEMS * 2
    with pytest.raises(UsageError, match="and 10 more"):
        session.find_step("system 1-")


# --- rendering -----------------------------------------------------------------------------------


def test_fit_is_width_aware() -> None:
    assert fit_left("Fleet › 华东区 › 座椅系统 3-2", 14) == "…座椅系统 3-2"
    assert cell_len(fit_left("华东区" * 10, 9)) <= 9
    assert fit_right("座椅系统 3-2: alternative", 10) == "座椅系统…"
    assert fit_right("short", 10) == "short"
    assert fit_middle("ABCDEFGHIJKLMNOP", 9) == "ABCD…MNOP"


def _screen(session: ConfigureSession, width: int = 80) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, height=24, no_color=True, highlight=False)
    print_step(console, session)
    console.print(prompt_text(session, console.width))
    return out.getvalue()


def test_tree_screen_shows_the_branch_only_and_fits(session: ConfigureSession) -> None:
    session.jump(f"座椅系统 {CHINESE_REGION}-2: alternative")
    parts = [code_of(part_name(CHINESE_REGION, 2, p)) for p in "abc"]
    chosen = next(c for c in parts if c not in session.selection().codes)
    session.choose(chosen)
    session.jump(f"座椅系统 {CHINESE_REGION}-2: alternative")
    screen = _screen(session)
    lines = screen.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert len(lines) <= 24
    assert "▸ Fleet › 华东区 › 座椅系统 3-2" in screen
    assert "No groups under here · 254 in the model: 1 decided" in screen
    assert f"(•)    {session.name(chosen)}" in screen
    assert "Enter=keep >N=down <=up j=groups" in screen
    session.up()
    screen = _screen(session)
    assert "20 groups under here: 1 decided" in screen
    line = next(line for line in screen.splitlines() if "座椅系统 3-2 (" in line)
    assert "▸2 " in line  # the option, and the groups under it
    assert "…" in line and code_of("座椅系统 3-2").endswith(line.split("…")[1].split()[0])
    assert all(cell_len(line) <= 80 for line in screen.splitlines())
    assert "[toggle 1-10, >N = down, Enter = keep]> " in screen


@pytest.mark.parametrize("text", ["a", "-", "1-1", "x", "区", "3-2-", "fleet", "--y", "y\n"])
def test_search_finds_exactly_the_options_whose_code_or_name_holds_the_text(
    session: ConfigureSession, text: str
) -> None:
    wanted = text.strip().casefold()
    expected = {
        code
        for step in session.steps
        for code in step.codes
        if wanted in code.casefold() or wanted in session.name(code).casefold()
    }
    found = session.find(text, limit=0)
    assert found.total == len(expected)
    assert {h.code for h in session.find(text).hits} == expected


GOLDEN = Path(__file__).resolve().parent / "golden"


def test_tree_screen_golden(session: ConfigureSession) -> None:
    """The step of a region with Chinese names, one choice made under it (80 columns)."""
    import os

    session.choose(code_of(part_name(CHINESE_REGION, 2, "a")))
    session.jump("华东区: mandatory")
    screen = _screen(session)
    path = GOLDEN / "configure_tree_region.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(screen, encoding="utf-8")
    assert screen == path.read_text(encoding="utf-8")


def test_a_group_longer_than_the_screen_pages(session: ConfigureSession) -> None:
    session.jump("System 0-0: alternative")
    out = io.StringIO()
    console = Console(file=out, width=80, height=24, no_color=True, highlight=False)
    end = print_step(console, session)
    screen = out.getvalue() + prompt_text(session, 80).plain
    assert 5 <= end < 30 and f"options 1-{end} of 30 · + next" in screen
    assert len(screen.splitlines()) <= 24
    out.truncate(0)
    following = print_step(console, session, end)
    assert f"options {end + 1}-{following} of 30 · + next, - previous" in out.getvalue()
    out.truncate(0)
    assert print_step(console, session, 29) == 30
    assert "options 30-30 of 30 · - previous" in out.getvalue()
