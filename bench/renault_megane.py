"""The Renault Megane configuration benchmark, through the project's own catalog and rules API.

Converts ``megane.xml`` (XCSP 2.1, CLib configuration benchmarks: 99 variables, 113 table
constraints) into a catalog ``renault-megane`` (each variable a group choosing exactly one, each
value an option ``V<variable>-<value>``, each constraint a table rule), with synthetic prices
from a seeded generator and, as defaults, the cheapest valid configuration found by the rules
engine. Then measures, with a fresh cache: catalog load (cold and cached), compilation (cold and
cached), the exact count, the dead options, the valid-domain time per step over random
interactive sessions, the count time and the peak memory; and prints one summary line.

Usage::

    python bench/renault_megane.py --out megane-catalogs
    configurator --catalogs megane-catalogs catalog stats renault-megane --json

Known answers (an independent BDD compilation): 2,835,456,006,272 configurations; dead values
variable 8 value 0, 55 value 0, 80 value 5 and 100 value 11.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_XML = REPO.parent / "shared" / "data" / "renault-megane" / "megane.xml"
KNOWN_COUNT = 2_835_456_006_272
KNOWN_DEAD = ["V8-0", "V55-0", "V80-5", "V100-11"]
MODEL_ID = "renault-megane"


@dataclass(frozen=True)
class Problem:
    """The XCSP instance: variables with their values, constraints as tables."""

    variables: dict[str, list[int]]
    constraints: list[tuple[str, list[str], str, bool, list[tuple[int, ...]]]]
    # (name, scope, relation, allowed?, tuples)


def read_xcsp(path: Path) -> Problem:
    """Parse an XCSP 2.1 instance made of extensional (table) constraints."""
    root = ET.parse(path).getroot()
    domains: dict[str, list[int]] = {}
    for domain in root.iter("domain"):
        values: list[int] = []
        for part in (domain.text or "").split():
            if ".." in part:
                low, high = part.split("..")
                values.extend(range(int(low), int(high) + 1))
            else:
                values.append(int(part))
        domains[domain.get("name", "")] = values
    variables = {v.get("name", ""): domains[v.get("domain", "")] for v in root.iter("variable")}
    relations: dict[str, tuple[bool, list[tuple[int, ...]]]] = {}
    for relation in root.iter("relation"):
        text = (relation.text or "").strip()
        tuples = [tuple(int(x) for x in t.split()) for t in text.split("|")] if text else []
        relations[relation.get("name", "")] = (relation.get("semantics") == "supports", tuples)
    constraints = []
    for constraint in root.iter("constraint"):
        reference = constraint.get("reference", "")
        allowed, tuples = relations[reference]
        scope = constraint.get("scope", "").split()
        constraints.append((constraint.get("name", ""), scope, reference, allowed, tuples))
    return Problem(variables, constraints)


def code(variable: str, value: int) -> str:
    return f"V{variable}-{value}"


def catalog_data(problem: Problem, seed: int, market: str, currency: str) -> dict:
    """The catalog as data (defaults: each group's first value, replaced later)."""
    rng = random.Random(seed)
    groups = []
    for variable, values in problem.variables.items():
        options = [
            {"code": code(variable, v), "name": f"Value {v}", "price": rng.randrange(0, 41) * 100}
            for v in values
        ]
        groups.append(
            {
                "id": f"v{variable}",
                "name": f"Variable {variable}",
                "choose": "exactly-one",
                "default": [options[0]["code"]],
                "options": options,
            }
        )
    tables = []
    for name, scope, reference, allowed, tuples in problem.constraints:
        tables.append(
            {
                "id": name.lower(),
                "message": f"Renault Megane constraint {name} (relation {reference}) on "
                f"variables {', '.join(scope)}",
                "groups": [f"v{v}" for v in scope],
                "kind": "allowed" if allowed else "forbidden",
                "rows": [[code(v, x) for v, x in zip(scope, row, strict=True)] for row in tuples],
            }
        )
    return {
        "id": MODEL_ID,
        "brand": "Renault",
        "name": "Megane (CLib configuration benchmark)",
        "model_year": 2002,
        "version": f"clib-2002-seed-{seed}",
        "market": market,
        "currency": currency,
        "powertrain": "ice",
        "nev": False,
        "base_price": 120000,
        "source": "CLib configuration benchmarks (Amilhastre, Fargier, Marquis 2002), megane.xml",
        "note": "Prices are synthetic (seeded); the defaults are the cheapest valid configuration.",
        "groups": groups,
        "tables": tables,
    }


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def write_yaml(data: dict, path: Path) -> None:
    """Write the catalog as YAML by hand: PyYAML's emitter is slow for 194,000 rows."""
    lines = ["# Generated by bench/renault_megane.py from megane.xml; do not edit."]
    for key in (
        "id",
        "brand",
        "name",
        "model_year",
        "version",
        "market",
        "currency",
        "powertrain",
        "nev",
        "base_price",
        "source",
        "note",
    ):
        value = data[key]
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, int):
            lines.append(f"{key}: {value}")
        else:
            lines.append(f"{key}: {_quote(value)}")
    lines.append("groups:")
    for group in data["groups"]:
        lines.append(f"  - id: {group['id']}")
        lines.append(f"    name: {_quote(group['name'])}")
        lines.append(f"    choose: {group['choose']}")
        lines.append(f"    default: [{', '.join(group['default'])}]")
        lines.append("    options:")
        for option in group["options"]:
            lines.append(
                f"      - {{code: {option['code']}, name: {_quote(option['name'])}, "
                f"price: {option['price']}}}"
            )
    lines.append("tables:")
    for table in data["tables"]:
        lines.append(f"  - id: {table['id']}")
        lines.append(f"    message: {_quote(table['message'])}")
        lines.append(f"    groups: [{', '.join(table['groups'])}]")
        lines.append(f"    kind: {table['kind']}")
        if not table["rows"]:
            lines.append("    rows: []")
            continue
        lines.append("    rows:")
        lines.extend(f"      - [{', '.join(row)}]" for row in table["rows"])
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def convert(xml: Path, out: Path, seed: int) -> Path:
    """Write ``<out>/renault/megane.yaml`` and the market files; return the catalog path."""
    from configurator.catalog.schema import Catalog
    from configurator.rules.engine import RulesEngine

    markets = REPO / "catalogs" / "markets"
    (out / "markets").mkdir(parents=True, exist_ok=True)
    for market_file in sorted(markets.glob("*.yaml")):
        shutil.copy(market_file, out / "markets" / market_file.name)
    market, currency = "cn", "CNY"
    data = catalog_data(read_xcsp(xml), seed, market, currency)
    # The defaults must form a valid configuration: take the cheapest one the engine finds.
    engine = RulesEngine(Catalog.model_validate(data))
    cheapest = engine.complete([], "cheapest")
    for group in data["groups"]:
        group["default"] = [o["code"] for o in group["options"] if o["code"] in cheapest]
    (out / "renault").mkdir(parents=True, exist_ok=True)
    path = out / "renault" / "megane.yaml"
    write_yaml(data, path)
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(out: Path, sessions: int, seed: int) -> dict:
    """Load, compile, count and run the sessions with a fresh cache directory."""
    from configurator.catalog.loader import open_tree
    from configurator.rules.compile import compile_catalog
    from configurator.rules.engine import RulesEngine

    tree = open_tree(out)
    started = time.perf_counter()
    catalog = tree.load(MODEL_ID)
    load_cold = time.perf_counter() - started
    started = time.perf_counter()
    catalog = tree.load(MODEL_ID)
    load_cached = time.perf_counter() - started

    cold = compile_catalog(catalog)
    cached = compile_catalog(catalog)
    assert cached.cached and not cold.cached
    engine = RulesEngine(catalog, compiled=cached)

    started = time.perf_counter()
    count = engine.count()
    count_seconds = time.perf_counter() - started
    started = time.perf_counter()
    dead = engine.dead_options()
    dead_seconds = time.perf_counter() - started

    rng = random.Random(seed)
    steps: list[float] = []
    partial_counts: list[float] = []
    for _ in range(sessions):
        chosen: list[str] = []
        open_groups = [g for g in catalog.groups]
        while True:
            started = time.perf_counter()
            domains = engine.valid_domains(chosen)
            steps.append(time.perf_counter() - started)
            if not open_groups:
                break
            group = open_groups.pop(rng.randrange(len(open_groups)))
            available = [code for code, ok in domains[group.id].items() if ok]
            if not available:
                raise SystemExit(f"dead end after {chosen}: group {group.id} has no option left")
            chosen.append(rng.choice(available))
            if len(chosen) % 25 == 0:
                started = time.perf_counter()
                engine.count(chosen)
                partial_counts.append(time.perf_counter() - started)
        if not engine.is_valid(chosen):
            raise SystemExit(f"a session ended with an invalid configuration: {chosen}")
    # Explanations (SAT): why each option is unavailable half-way through a session.
    started = time.perf_counter()
    engine.explain([], [])
    engine._sat()
    sat_seconds = time.perf_counter() - started
    chosen = []
    open_groups = list(catalog.groups)
    for _ in range(len(open_groups) // 3):
        group = open_groups.pop(rng.randrange(len(open_groups)))
        domains = engine.valid_domains(chosen)
        chosen.append(rng.choice([c for c, ok in domains[group.id].items() if ok]))
    blocked = [c for c, ok in engine.selectable(chosen).items() if not ok]
    started = time.perf_counter()
    for option in blocked:
        assert engine.explain([c for c in chosen if c != option], [option]) is not None
    explain_seconds = (time.perf_counter() - started) / max(1, len(blocked))
    return {
        "explain_encoding_s": sat_seconds,
        "explain_ms_per_option": explain_seconds * 1000,
        "explained_options": len(blocked),
        "groups": len(catalog.groups),
        "options": sum(len(g.options) for g in catalog.groups),
        "tables": len(catalog.tables),
        "rows": sum(len(t.rows) for t in catalog.tables),
        "load_cold_s": load_cold,
        "load_cached_s": load_cached,
        "compile_cold_s": cold.seconds,
        "compile_cached_s": cached.seconds,
        "nodes": cached.diagram.size,
        "variables": cached.diagram.nvars,
        "count": count,
        "count_s": count_seconds,
        "count_partial_max_s": max(partial_counts, default=0.0),
        "dead": dead,
        "dead_s": dead_seconds,
        "sessions": sessions,
        "steps": len(steps),
        "domains_median_ms": statistics.median(steps) * 1000,
        "domains_p95_ms": percentile(steps, 0.95) * 1000,
        "domains_max_ms": max(steps) * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def shipped(sessions: int, seed: int) -> dict[str, float]:
    """The slowest answer of each operation on the shipped catalogs (milliseconds), over random
    sessions, with the compiled forms cached as in everyday use."""
    import datetime as dt

    from configurator.catalog.loader import open_tree
    from configurator.configuration import Configuration
    from configurator.rules.engine import RulesEngine

    tree = open_tree(None)
    on = dt.date(2026, 3, 1)
    worst: dict[str, float] = {}

    def timed(name: str, work: Any, *args: Any) -> Any:
        started = time.perf_counter()
        result = work(*args)
        worst[name] = max(worst.get(name, 0.0), (time.perf_counter() - started) * 1000)
        return result

    rng = random.Random(seed)
    for model in tree.model_ids():
        catalog = tree.load(model)
        RulesEngine(catalog, on)  # compile once: later engines load the cached form
        engine = timed("load compiled form", RulesEngine, catalog, on)
        timed("SAT encoding", engine._sat)
        for _ in range(sessions):
            chosen: list[str] = []
            for group in rng.sample(list(catalog.groups), len(catalog.groups)):
                domains = timed("valid domains", engine.valid_domains, chosen)
                timed("count", engine.count, chosen)
                timed("cheapest completion", engine.completion, chosen, "cheapest")
                flags = engine.selectable(chosen)
                blocked = [c for c in engine.codes if not flags[c]]
                for code in blocked[:5]:
                    others = [c for c in chosen if c != code]
                    timed("explain", engine.explain, others, [code])
                if blocked:
                    timed("alternatives", engine.alternatives, chosen, rng.choice(blocked))
                choices = [c for c, ok in domains[group.id].items() if ok]
                if choices:
                    chosen.append(rng.choice(choices))
                elif group.choose.min > 0:
                    raise SystemExit(f"{model}: dead end after {chosen} in group {group.id}")
            timed("check", engine.check, Configuration.of(model, chosen))
            broken = Configuration.of(model, [*chosen, rng.choice(engine.codes)])
            timed("check (invalid)", engine.check, broken)
        timed("price ranges", engine.price_ranges)
        timed("dead options", engine.dead_options)
    return worst


def cli_stats(out: Path) -> dict:
    """``configurator --catalogs OUT catalog stats renault-megane --json``, as data."""
    command = [
        sys.executable,
        "-m",
        "configurator",
        "--catalogs",
        str(out),
        "catalog",
        "stats",
        MODEL_ID,
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"catalog stats failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xml", type=Path, default=DEFAULT_XML, help="megane.xml")
    parser.add_argument("--out", type=Path, help="catalog tree to write (default: a temp dir)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2002)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--cli", action="store_true", help="also run `configurator catalog stats` and compare"
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="also time every operation on the shipped catalogs (slowest answer of each)",
    )
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="megane-"))
    with tempfile.TemporaryDirectory(prefix="megane-cache-") as cache:
        os.environ["CONFIGURATOR_CACHE_DIR"] = cache
        started = time.perf_counter()
        convert(args.xml, out, args.seed)
        convert_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="megane-cache-") as cache:
        os.environ["CONFIGURATOR_CACHE_DIR"] = cache
        figures = measure(out, args.sessions, args.seed)
        figures["convert_s"] = convert_seconds
        if args.cli:
            stats = cli_stats(out)
            figures["cli_agrees"] = (
                stats["configurations"] == str(figures["count"])
                and stats["dead_options"] == figures["dead"]
            )
    exact = figures["count"] == KNOWN_COUNT and figures["dead"] == KNOWN_DEAD
    print(
        f"renault-megane: {figures['groups']} groups, {figures['options']} options, "
        f"{figures['tables']} tables ({figures['rows']:,} rows) | "
        f"load {figures['load_cold_s']:.2f} s cold, {figures['load_cached_s']:.2f} s cached | "
        f"compile {figures['compile_cold_s']:.2f} s cold, "
        f"{figures['compile_cached_s']:.3f} s cached ({figures['nodes']:,} BDD nodes, "
        f"{figures['variables']} variables) | "
        f"count {figures['count']:,} in {figures['count_s'] * 1000:.0f} ms | "
        f"dead {' '.join(figures['dead'])} | "
        f"valid domains over {figures['sessions']} sessions ({figures['steps']} steps): "
        f"median {figures['domains_median_ms']:.1f} ms, p95 {figures['domains_p95_ms']:.1f} ms, "
        f"max {figures['domains_max_ms']:.1f} ms | "
        f"explanations: SAT encoding {figures['explain_encoding_s']:.2f} s, "
        f"{figures['explain_ms_per_option']:.1f} ms per unavailable option "
        f"({figures['explained_options']}) | "
        f"peak memory {figures['peak_rss_mb']:.0f} MB | "
        f"{'exact' if exact else 'MISMATCH with the known answers'}"
        + (f" | CLI {'agrees' if figures['cli_agrees'] else 'DISAGREES'}" if args.cli else "")
        + f" | catalog: {out}"
    )
    if args.shipped:
        with tempfile.TemporaryDirectory(prefix="shipped-cache-") as cache:
            os.environ["CONFIGURATOR_CACHE_DIR"] = cache
            worst = shipped(args.sessions, args.seed)
        figures["shipped_worst_ms"] = worst
        print(
            "shipped catalogs, slowest answer per operation: "
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in worst.items())
        )
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0 if exact and figures.get("cli_agrees", True) else 1


if __name__ == "__main__":
    sys.exit(main())
