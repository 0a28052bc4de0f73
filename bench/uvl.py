"""Industrial feature models (UVL): configurator against flamapy, in the same run.

For each model (Automotive02 = automotive2_4.uvl, Automotive01, Financial Services 01; the
public uvl-models repository): ``catalog import`` then ``catalog stats`` (dead and forced
options) in fresh processes with an empty cache, against flamapy 2.6.0 (PySAT back end) loading
the same file and computing its core and dead features, in a subprocess of its own virtual
environment (flamapy pins python-sat 0.1.x, which conflicts with ours: it is installed by this
script into ``--flamapy-venv``, never a dependency of the project). The counts must agree.
Then, in this process, interactive sessions over the imported catalog: the valid domains after
each random choice (20 sessions), and a minimal explanation for an unavailable option. Finally
the round trip: our UVL export of the imported catalog, read by flamapy, has the same dead and
core features.

Usage::

    python bench/uvl.py                      # the models in ../shared/data/uvl
    python bench/uvl.py --models DIR --only automotive2_4 --sessions 20
    python bench/uvl.py --no-flamapy         # ours only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = REPO.parent / "shared" / "data" / "uvl"
MODELS = ["automotive2_4", "automotive01", "financialservices01"]
FLAMAPY = "flamapy==2.6.0"

FLAMAPY_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
from flamapy.metamodels.fm_metamodel.transformations import UVLReader
from flamapy.metamodels.pysat_metamodel.transformations import FmToPysat
from flamapy.metamodels.pysat_metamodel.operations import PySATCoreFeatures, PySATDeadFeatures
fm = UVLReader(sys.argv[1]).transform()
sat = FmToPysat(fm).transform()
loaded = time.perf_counter()
core = PySATCoreFeatures().execute(sat).get_result()
cored = time.perf_counter()
dead = PySATDeadFeatures().execute(sat).get_result()
done = time.perf_counter()
print(json.dumps({
    "features": len(fm.get_features()),
    "load": loaded - started, "core_seconds": cored - loaded, "dead_seconds": done - cored,
    "core": len(core), "dead": len(dead),
}))
"""


def flamapy_python(venv: Path) -> Path:
    """flamapy's interpreter, installing flamapy into its own venv when needed."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import flamapy.metamodels.pysat_metamodel"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"installing {FLAMAPY} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", FLAMAPY], check=True)
    return python


def run_flamapy(python: Path, path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-c", FLAMAPY_SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def cli(*args: str, cache: Path) -> tuple[float, str]:
    env = {**os.environ, "CONFIGURATOR_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "configurator", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"configurator {' '.join(args)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def ours(path: Path, work: Path) -> dict[str, Any]:
    """import + catalog stats (dead and forced options), each a fresh process, empty cache."""
    cache = work / "cache"
    out = work / "catalogs"
    import_seconds, _ = cli("catalog", "import", str(path), "--out", str(out), cache=cache)
    model_id = "uvl-" + "".join(c if c.isalnum() else "-" for c in path.stem.lower())
    stats_seconds, text = cli(
        "--catalogs", str(out), "catalog", "stats", model_id, "--json", cache=cache
    )
    stats = json.loads(text)
    return {
        "model": model_id,
        "catalogs": out,
        "cache": cache,
        "import": import_seconds,
        "stats": stats_seconds,
        "dead": len(stats["dead_options"]),
        "core": len(stats["forced_options"]),
        "engine": stats["engine"],
        "reason": stats["engine_reason"],
        "analysis": stats["analysis_seconds"],
        "configurations": stats["configurations"],
    }


def sessions(catalogs: Path, model_id: str, count: int, steps: int, seed: int) -> dict[str, Any]:
    """Valid domains after each random choice, and explanations, in this process."""
    from configurator.catalog.loader import CatalogTree
    from configurator.rules.select import build_engine

    catalog = CatalogTree(catalogs).load(model_id)
    started = time.perf_counter()
    engine = build_engine(catalog)
    setup = time.perf_counter() - started
    engine.selectable([])
    rng = random.Random(seed)
    # What `configure` asks after a choice (configurator/session.py, _Rules): the valid
    # domains under the choices, and for the screen of the option's group, its options'
    # availability judged without the group's own choice when it takes one, and the reason
    # of each option shown unavailable (a minimal explanation each; a screenful of 20).
    group_of: dict[str, tuple[str, ...]] = {}
    single: set[str] = set()
    for g in catalog.groups:
        members = tuple(o.code for o in g.options)
        for code in members:
            group_of[code] = members
            if g.choose.max == 1:
                single.add(code)
    times: list[float] = []
    screens: list[float] = []
    reasons = 0
    explain: list[float] = []
    calls = getattr(engine, "calls", 0)
    for _ in range(count):
        chosen: list[str] = []
        flags = engine.selectable(chosen)
        forced = set(engine.forced_by(chosen))
        for _ in range(steps):
            open_codes = [c for c, ok in flags.items() if ok and c not in forced]
            if not open_codes:
                break
            code = rng.choice(open_codes)
            chosen.append(code)
            started = time.perf_counter()
            flags = engine.selectable(chosen)
            times.append(time.perf_counter() - started)
            group = group_of.get(code, (code,))
            partial = [c for c in chosen if c not in group] if code in single else chosen
            shown = engine.selectable(partial)
            for blocked in [c for c in group if not shown[c]][:20]:
                engine.explain([c for c in partial if c != blocked], [blocked])
                reasons += 1
            screens.append(time.perf_counter() - started)
            forced = {c for c in engine.codes if flags[c]} & set(engine.forced_by(chosen))
        blocked = [c for c, ok in flags.items() if not ok]
        if blocked:
            code = rng.choice(blocked)
            started = time.perf_counter()
            engine.explain([c for c in chosen if c != code], [code])
            explain.append(time.perf_counter() - started)
    times.sort()
    screens.sort()
    return {
        "setup": setup,
        "steps": len(times),
        "median": statistics.median(times),
        "p95": times[int(0.95 * (len(times) - 1))],
        "max": times[-1],
        "screen_median": statistics.median(screens),
        "screen_p95": screens[int(0.95 * (len(screens) - 1))],
        "screen_max": screens[-1],
        "reasons": reasons,
        "calls": (getattr(engine, "calls", 0) - calls) / max(1, len(times)),
        "explain_max": max(explain) if explain else float("nan"),
        "explain_median": statistics.median(explain) if explain else float("nan"),
        "engine": engine.technique,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--only", action="append", choices=MODELS)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--steps", type=int, default=25, help="choices per session")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-flamapy", action="store_true")
    parser.add_argument(
        "--flamapy-venv", type=Path, default=Path(tempfile.gettempdir()) / "bench-flamapy-venv"
    )
    args = parser.parse_args()
    python = None if args.no_flamapy else flamapy_python(args.flamapy_venv)
    for name in args.only or MODELS:
        path = args.models / f"{name}.uvl"
        if not path.is_file():
            print(f"{name}: {path} not found, skipped")
            continue
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            mine = ours(path, work)
            mine_total = mine["import"] + mine["stats"]
            print(
                f"{name}: configurator import {mine['import']:.2f} s + stats {mine['stats']:.2f} s"
                f" = {mine_total:.2f} s (engine {mine['engine']}: {mine['reason']}; dead and "
                f"forced options {mine['analysis']:.2f} s): dead {mine['dead']}, "
                f"core {mine['core']}, configurations {mine['configurations'] or 'unknown'}"
            )
            if python is not None:
                theirs = run_flamapy(python, path)
                theirs_total = theirs["load"] + theirs["core_seconds"] + theirs["dead_seconds"]
                agree = theirs["dead"] == mine["dead"] and theirs["core"] == mine["core"]
                print(
                    f"{name}: flamapy load {theirs['load']:.2f} s + core "
                    f"{theirs['core_seconds']:.2f} s + dead {theirs['dead_seconds']:.2f} s = "
                    f"{theirs_total:.2f} s: dead {theirs['dead']}, core {theirs['core']} -> "
                    f"ratio {mine_total / theirs_total:.3f} (target <= 0.2), counts "
                    f"{'agree' if agree else 'DIFFER'}"
                )
                exported = work / f"{name}-exported.uvl"
                cli(
                    "--catalogs",
                    str(mine["catalogs"]),
                    "catalog",
                    "export",
                    mine["model"],
                    "--format",
                    "uvl",
                    "-o",
                    str(exported),
                    cache=mine["cache"],
                )
                back = run_flamapy(python, exported)
                same = back["dead"] == theirs["dead"] and back["core"] == theirs["core"]
                print(
                    f"{name}: round trip (our UVL export read by flamapy): dead {back['dead']}, "
                    f"core {back['core']}, features {back['features']} -> "
                    f"{'same' if same and back['features'] == theirs['features'] else 'DIFFERENT'}"
                )
            if args.sessions:
                figures = sessions(
                    mine["catalogs"], mine["model"], args.sessions, args.steps, args.seed
                )
                print(
                    f"{name}: {args.sessions} sessions, {figures['steps']} choices "
                    f"({figures['engine']}, set up {figures['setup']:.2f} s): valid domains "
                    f"median {figures['median'] * 1000:.1f} ms, p95 {figures['p95'] * 1000:.1f} "
                    f"ms (target 250), max {figures['max'] * 1000:.1f} ms (target 1000); minimal "
                    f"explanation median {figures['explain_median'] * 1000:.1f} ms, max "
                    f"{figures['explain_max'] * 1000:.1f} ms (target 1000)"
                )
                print(
                    f"{name}: what configure asks after a choice (domains, the group's "
                    f"availability, {figures['reasons']} reasons in all): median "
                    f"{figures['screen_median'] * 1000:.1f} ms, p95 "
                    f"{figures['screen_p95'] * 1000:.1f} ms, max "
                    f"{figures['screen_max'] * 1000:.1f} ms; solver calls per choice "
                    f"{figures['calls']:.1f}"
                )


if __name__ == "__main__":
    main()
