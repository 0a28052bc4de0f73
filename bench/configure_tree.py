"""How long moving around a feature-tree model in `configurator configure` takes.

What the dealer waits for on a model of thousands of groups, without the choices themselves
(`bench/configure_steps.py` and `bench/uvl.py` time those): building the feature tree, drawing
a step (path, counts, options with their availability), the list of the groups under here,
going down and up, and searches by name and code (ranked over every option, availability asked
only for the hits shown). The model is an imported UVL file (`configurator catalog import`).

    python bench/configure_tree.py CATALOG_DIR MODEL [--repeat 20]

Prints the time to open the session (rules engine included) and to build the tree alone, then
median and max per operation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from configurator.catalog.loader import open_tree
from configurator.grouptree import GroupTree
from configurator.render.configure import print_branches, print_hits, print_step, prompt_text
from configurator.session import ConfigureSession

ON = dt.date(2026, 3, 1)


def _timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def run(root: Path, model: str, repeat: int) -> list[str]:
    tree = open_tree(root)
    catalog = tree.load(model)
    market = tree.load_market(catalog.market)
    started = time.perf_counter()
    session = ConfigureSession(catalog, market, ON)
    opened = time.perf_counter() - started
    started = time.perf_counter()
    GroupTree.of([s.codes for s in session.steps], [s.under for s in session.steps])
    built = time.perf_counter() - started
    out = Console(file=io.StringIO(), width=80, height=24, no_color=True)
    options = sum(len(s.codes) for s in session.steps)
    lines = [
        f"{model}: {len(session.steps):,} groups, {options:,} options; session opened in "
        f"{opened:.2f} s, tree built in {1000 * built:.1f} ms"
    ]

    def screen() -> None:
        session._cache.clear()  # cold: the selection and availability asked again
        print_step(out, session)
        out.print(prompt_text(session, 80))

    def here() -> None:
        print_branches(out, session, session.branches()[:19], "Groups under here:")

    def down_and_up() -> None:
        for option in session.step.codes:
            if session.groups_under(option):
                session.down(option)
                session.up()
                return

    depth = session.tree.depth if session.tree is not None else [0] * len(session.steps)
    deep = max(range(len(session.steps)), key=lambda i: depth[i])
    name = session.name(session.steps[deep].codes[0])
    code = session.steps[deep].codes[0]
    operations: list[tuple[str, Callable[[], object]]] = [
        ("draw the first step (cold caches)", screen),
        ("list the groups under here", here),
        ("down and up", down_and_up),
        ("search the end of a name", lambda: print_hits(out, *_found(session, name[-12:]))),
        ("search a code, lower case", lambda: print_hits(out, *_found(session, code.lower()))),
        ("search '1' (thousands of hits)", lambda: print_hits(out, *_found(session, "1"))),
    ]
    session.index = deep
    operations.append(("draw the deepest step (cold caches)", screen))
    for label, action in operations:
        median, worst = _timed(action, repeat)
        lines.append(f"  {label:<44} median {1000 * median:8.1f} ms   max {1000 * worst:8.1f} ms")
    return lines


def _found(session: ConfigureSession, text: str) -> tuple[tuple[object, ...], int]:
    found = session.find(text, 9)
    return found.hits, found.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalogs", type=Path)
    parser.add_argument("model")
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()
    for line in run(arguments.catalogs, arguments.model, arguments.repeat):
        print(line, flush=True)


if __name__ == "__main__":
    main()
