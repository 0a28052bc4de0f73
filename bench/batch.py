"""Benchmark `configurator batch` against the floor: a plain Python csv read-and-write pass.

    python bench/batch.py                    # 1,000,000 rows: repeated and distinct workloads
    python bench/batch.py -n 100000          # fewer rows
    python bench/batch.py --distinct-only    # only rows that are all different cars
    python bench/batch.py --tree DIR -n 100000 --invalid-share 0.5   # e.g. the Renault Megane
                                             # tree written by bench/renault_megane.py --out DIR

Workloads (each its own input file, its own floor, its own ratio, printed side by side):

- ``repeated`` (today's): N rows drawn from a pool of ``--distinct`` valid configurations per
  model (random choices per group and package kept when the engine accepts them on every date
  used; with ``--tree``, sampled like the distinct ones), some with their options in another
  order, some given as configuration codes, some with their own date; about 5% bad rows of
  every kind (each kind checked against the engine before it is used);
- ``distinct``: every row a different valid car, sampled uniformly from each model's compiled
  solution space (random paths of its BDD weighted by their counts: ``RulesEngine.sample``),
  kept when the engine's cheap validity check accepts it as a configuration (defaults fill
  groups a sample leaves empty); models share the rows equally;
- ``distinct, S invalid`` (with ``--invalid-share S``): the same, with a share S of the rows
  made invalid by swapping one group's options (each needs its minimal explanation); the
  expected error code comes from the first broken constraint.

Then, in the same run, it times per workload:

- the floor: ``csv.reader`` -> ``csv.writer`` over the same file, in this process;
- ``configurator batch`` as a subprocess, once per ``--jobs`` value (after a tiny warm-up run
  that fills the catalog cache, as any second run finds it),

and prints rows/s, the peak RSS of each batch run (``os.wait4``: the largest process of the
run, measured by a small launcher process: see ``_LAUNCHER``), the ratio batch / floor, and
checks that the output holds one row per input row with the error counts by code that the
generator put in.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from configurator.batch import ERROR_CODES  # noqa: E402
from configurator.catalog.loader import CatalogTree, open_tree  # noqa: E402
from configurator.catalog.schema import Catalog  # noqa: E402
from configurator.configuration import Configuration  # noqa: E402
from configurator.errors import ConfigurationError  # noqa: E402
from configurator.pricing.engine import Pricer  # noqa: E402
from configurator.rules.engine import RulesEngine  # noqa: E402
from configurator.rules.select import engine_for  # noqa: E402

DATE = dt.date(2026, 3, 1)  # the run's --date
OTHER_DATES = ("2025-06-01", "2025-08-01")  # some rows carry their own date
BAD_KINDS = ERROR_CODES  # one bad row of every kind batch reports


@dataclass(frozen=True)
class Valid:
    model: str
    choices: tuple[str, ...]
    values: tuple[tuple[str, str], ...]
    code: str
    shuffled: tuple[str, ...]  # the same choices written in another order


def options_text(choices: tuple[str, ...], values: dict[str, str]) -> str:
    """A row's options cell: spaces, or ';' when a value (which may hold spaces) is present."""
    tokens = [f"{c}={values[c]}" if c in values else c for c in choices]
    return "; ".join(tokens) + (";" if len(tokens) == 1 else "") if values else " ".join(tokens)


def random_choices(catalog: Catalog, rng: random.Random) -> tuple[list[str], dict[str, str]]:
    """Random choices: some groups touched (a random allowed count), maybe a package."""
    choices: list[str] = []
    for group in catalog.groups:
        if rng.random() < 0.45 or not group.options:
            continue
        high = group.choose.max if group.choose.max is not None else len(group.options)
        count = rng.randint(group.choose.min, min(high, len(group.options), group.choose.min + 2))
        choices += [o.code for o in rng.sample(group.options, count)]
    if catalog.packages and rng.random() < 0.2:
        choices.append(rng.choice(catalog.packages).code)
    values = {}
    options = catalog.option_index()
    for code in choices:
        option = options.get(code)
        if option is not None and option[1].value is not None:
            spec = option[1].value
            values[code] = rng.choice(spec.examples) if spec.examples else "Sample"
    return choices, values


def classify(pricer: Pricer, choices: list[str], values: dict[str, str], on: dt.date) -> str:
    """'ok' or the error code the engine gives."""
    try:
        pricer.price(Configuration.of(pricer.catalog.id, choices, values), on)
    except ConfigurationError as error:
        return error.error_code
    return "ok"


def build_pools(distinct: int, seed: int) -> tuple[list[Valid], dict[str, list[list[str]]]]:
    """Valid configurations (``distinct`` per model) and bad rows of every kind (as cells)."""
    rng = random.Random(seed)
    tree = open_tree()
    valid: list[Valid] = []
    bad: dict[str, list[list[str]]] = collections.defaultdict(list)
    for model in tree.model_ids():
        catalog = tree.load(model)
        pricer = Pricer(catalog, tree.load_market(catalog.market))
        found: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], Valid] = {}
        attempts = 0
        while len(found) < distinct and attempts < 200 * distinct:
            attempts += 1
            choices, values = random_choices(catalog, rng)
            kind = classify(pricer, choices, values, DATE)
            if kind == "ok":  # valid on every date the rows use (options come and go)
                kind = next(
                    (
                        other
                        for day in OTHER_DATES
                        if (other := classify(pricer, choices, values, dt.date.fromisoformat(day)))
                        != "ok"
                    ),
                    "ok",
                )
                if kind != "ok":
                    continue
            if kind != "ok":
                if len(bad[kind]) < 200:
                    bad[kind].append(["", model, options_text(tuple(choices), values), "", ""])
                continue
            key = (tuple(sorted(choices)), tuple(sorted(values.items())))
            if key not in found:
                configuration = Configuration.of(model, choices, values)
                code = pricer.price(configuration, DATE).code
                shuffled = tuple(rng.sample(choices, len(choices)))
                found[key] = Valid(
                    model, tuple(choices), tuple(sorted(values.items())), code, shuffled
                )
        mine = list(found.values())
        valid += mine
        _bad_rows_for(catalog, pricer, mine, bad, rng)
    _check_bad(tree, bad)
    return valid, bad


def _bad_rows_for(
    catalog: Catalog,
    pricer: Pricer,
    mine: list[Valid],
    bad: dict[str, list[list[str]]],
    rng: random.Random,
) -> None:
    """Constructed bad rows of every kind for one model."""
    model = catalog.id
    for item in rng.sample(mine, min(20, len(mine))):
        values = dict(item.values)
        text = options_text(item.choices, values)
        code = item.code
        # bad_row: no id is added at write time; here: a bad date, options and code, no model
        bad["bad_row"].append(["", model, text, "", "2026-02-30"])
        bad["bad_row"].append(["", model, text, code, ""])
        bad["bad_row"].append(["", "", text, "", ""])
        bad["unknown_model"].append(["", model[:-1], text, "", ""])
        position = rng.randrange(len(code))
        while code[position] == "-":
            position = rng.randrange(len(code))
        swapped = "Z" if code[position] != "Z" else "Y"
        bad["bad_code"].append(["", "", "", code[:position] + swapped + code[position + 1 :], ""])
        if item.choices:
            victim = rng.randrange(len(item.choices))
            typo = list(item.choices)
            typo[victim] = typo[victim][:-1] + "Q"
            bad["unknown_option"].append(["", model, options_text(tuple(typo), values), "", ""])
    # cardinality: two options of a group that takes at most one
    for group in catalog.groups:
        if group.choose.max == 1 and len(group.options) >= 2:
            pair = [o.code for o in group.options[:2]]
            if classify(pricer, pair, {}, DATE) == "cardinality":
                bad["cardinality"].append(["", model, " ".join(pair), "", ""])
    # bad_value: a value for an option that takes none; an option that needs one without it
    for group in catalog.groups:
        for option in group.options:
            if option.value is None:
                text = options_text((option.code,), {option.code: "Oak Green"})
                bad["bad_value"].append(["", model, text, "", ""])
                break
        break
    for group in catalog.groups:
        for option in group.options:
            if option.value is not None and classify(pricer, [option.code], {}, DATE) == (
                "bad_value"
            ):
                bad["bad_value"].append(["", model, option.code, "", ""])
    # minimum_spend: a single programme option (too little spend on its own)
    for programme in catalog.programmes:
        for code in programme.options:
            if classify(pricer, [code], {}, DATE) == "minimum_spend":
                bad["minimum_spend"].append(["", model, code, "", ""])


def _check_bad(tree: object, bad: dict[str, list[list[str]]]) -> None:
    missing = [kind for kind in BAD_KINDS if not bad.get(kind)]
    if missing:
        raise SystemExit(f"the generator found no bad rows of kind: {', '.join(missing)}")


def write_rows(
    path: Path, rows: int, valid: list[Valid], bad: dict[str, list[list[str]]], seed: int
) -> collections.Counter[str]:
    """Write the input file; return the expected count of rows by outcome (ok or error code)."""
    rng = random.Random(seed + 1)
    expected: collections.Counter[str] = collections.Counter()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "model", "options", "code", "date"])
        for number in range(1, rows + 1):
            rid = f"r{number}"
            if rng.random() < 0.05:
                kind = BAD_KINDS[number % len(BAD_KINDS)]
                cells = list(rng.choice(bad[kind]))
                if kind == "bad_row" and rng.random() < 0.25:
                    rid = ""  # a row without an id
                    cells = ["", rng.choice(valid).model, "", "", ""]
                cells[0] = rid
                expected[kind] += 1
                writer.writerow(cells)
                continue
            item = rng.choice(valid)
            date = rng.choice(OTHER_DATES) if rng.random() < 0.1 else ""
            expected["ok"] += 1
            draw = rng.random()
            if draw < 0.1:
                writer.writerow([rid, item.model, "", item.code, date])
                continue
            choices = item.shuffled if draw < 0.3 else item.choices
            text = options_text(choices, dict(item.values))
            writer.writerow([rid, item.model, text, "", date])
    return expected


def floor_pass(source: Path, target: Path) -> float:
    """The floor: read every row with csv and write it back with csv, nothing else."""
    started = time.perf_counter()
    with (
        source.open(encoding="utf-8", newline="") as inp,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        for row in csv.reader(inp):
            writer.writerow(row)
    return time.perf_counter() - started


# Runs the command of its arguments and prints its wall seconds and peak RSS (kilobytes).
# Linux keeps a process's peak RSS across fork and exec, so a batch started straight from
# this (large) process would report this process's memory as its own: it is started from
# this small launcher instead, whose children start afresh.
_LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_batch(source: Path, target: Path, jobs: int, env: dict[str, str]) -> tuple[float, float]:
    """Run `configurator batch` as a subprocess: wall seconds and peak RSS (MB) of its
    largest process (``os.wait4`` in :data:`_LAUNCHER`)."""
    command = [sys.executable, "-m", "configurator", "batch", str(source), "-o", str(target)]
    command += ["--date", DATE.isoformat(), "--jobs", str(jobs)]
    process = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], env=env, capture_output=True, text=True
    )
    if process.returncode not in (0, 5):
        raise SystemExit(f"configurator batch failed ({process.returncode}):\n{process.stderr}")
    seconds, peak = process.stdout.split()[-2:]
    return float(seconds), int(peak) / 1024  # kilobytes on Linux


def count_outcomes(path: Path) -> collections.Counter[str]:
    found: collections.Counter[str] = collections.Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found["ok" if row["status"] == "ok" else row["error_code"]] += 1
    return found


def sample_values(catalog: Catalog, choices: Iterable[str], rng: random.Random) -> dict[str, str]:
    """A buyer-supplied value for each chosen option that takes one."""
    options = catalog.option_index()
    values = {}
    for code in choices:
        option = options.get(code)
        if option is not None and option[1].value is not None:
            spec = option[1].value
            values[code] = rng.choice(spec.examples) if spec.examples else "Sample"
    return values


def expected_code(engine: RulesEngine, configuration: Configuration) -> str:
    """The error code batch gives an invalid configuration: by the first broken constraint
    (its kind), as the rules engine classifies it; only minimum spends: minimum_spend."""
    from configurator.configuration import resolve

    constraints = engine.problem.constraints
    kinds = [
        constraints[i].kind for i in engine.broken(resolve(engine.catalog, configuration).codes)
    ]
    kinds = [k for k in kinds if k != "spend"]
    if not kinds:
        return "minimum_spend"
    return "cardinality" if kinds[0] == "cardinality" else "rule_violation"


def break_one_group(
    catalog: Catalog, codes: tuple[str, ...], rng: random.Random
) -> tuple[str, ...]:
    """The selection with one group's options swapped for others of the group."""
    groups = [g for g in catalog.groups if len(g.options) >= 2]
    group = rng.choice(groups)
    members = {o.code for o in group.options}
    kept = [c for c in codes if c not in members]
    mine = [c for c in codes if c in members]
    others = [o.code for o in group.options if o.code not in mine] or [group.options[0].code]
    swapped = rng.sample(others, min(len(others), max(1, len(mine))))
    return tuple(kept + swapped)


def write_distinct(
    path: Path, tree: CatalogTree, rows: int, invalid_share: float, seed: int
) -> tuple[collections.Counter[str], int]:
    """Write rows that are all different configurations (a share of them invalid), models in
    turn by blocks; return the expected outcomes and the number of rows written."""
    rng = random.Random(seed + 2)
    sampler = np.random.default_rng(seed + 2)
    models = tree.model_ids()
    engines = {m: engine_for(tree.load(m), DATE) for m in models}
    expected: collections.Counter[str] = collections.Counter()
    seen: set[int] = set()
    written = 0
    share = {m: rows // len(models) + (i < rows % len(models)) for i, m in enumerate(models)}
    done = dict.fromkeys(models, 0)
    stale = dict.fromkeys(models, 0)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "model", "options", "code", "date"])
        while any(done[m] < share[m] and stale[m] < 20 for m in models):
            for model in models:
                if done[model] >= share[model] or stale[model] >= 20:
                    continue
                engine = engines[model]
                catalog = engine.catalog
                before = done[model]
                for codes in engine.sample(min(4096, share[model] - done[model]) + 64, sampler):
                    if done[model] >= share[model]:
                        break
                    # exactly the share: row k is invalid when k * share crosses an integer
                    k = done[model]
                    invalid = int((k + 1) * invalid_share) > int(k * invalid_share)
                    for _ in range(10 if invalid else 1):
                        trial = break_one_group(catalog, codes, rng) if invalid else codes
                        values = sample_values(catalog, trial, rng)
                        configuration = Configuration.of(model, list(trial), values)
                        if engine.valid(configuration) != invalid:
                            break
                    else:
                        continue  # a sample whose defaults break it; swaps that break nothing
                    text = options_text(trial, values)
                    key = hash((model, text))
                    if key in seen:
                        continue
                    seen.add(key)
                    expected[expected_code(engine, configuration) if invalid else "ok"] += 1
                    written += 1
                    done[model] += 1
                    writer.writerow([f"d{written}", model, text, "", ""])
                stale[model] = stale[model] + 1 if done[model] == before else 0
    return expected, written


def write_repeated_from_samples(
    path: Path, tree: CatalogTree, rows: int, distinct: int, seed: int
) -> collections.Counter[str]:
    """Repeated rows for another tree: a pool of ``distinct`` sampled valid configurations per
    model, drawn at random (some with their codes in another order)."""
    rng = random.Random(seed + 3)
    pool: list[tuple[str, str, str]] = []
    for model in tree.model_ids():
        engine = engine_for(tree.load(model), DATE)
        for codes in engine.sample(distinct, np.random.default_rng(seed + 4)):
            values = sample_values(engine.catalog, codes, rng)
            if engine.valid(Configuration.of(model, list(codes), values)):
                shuffled = tuple(rng.sample(codes, len(codes)))
                pool.append((model, options_text(codes, values), options_text(shuffled, values)))
    expected: collections.Counter[str] = collections.Counter()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "model", "options", "code", "date"])
        for number in range(1, rows + 1):
            model, text, shuffled = rng.choice(pool)
            writer.writerow([f"r{number}", model, shuffled if rng.random() < 0.3 else text, "", ""])
            expected["ok"] += 1
    return expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--rows", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument(
        "--distinct", type=int, default=1000, help="repeated workload: configurations per model"
    )
    parser.add_argument("--jobs", default="1,2", help="--jobs values to time, e.g. 1,2")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="keep the files in this directory")
    parser.add_argument(
        "--distinct-only", action="store_true", help="only the workloads of distinct rows"
    )
    parser.add_argument("--tree", type=Path, help="another catalog tree (e.g. the Megane's)")
    parser.add_argument(
        "--invalid-share",
        type=float,
        default=0.0,
        help="also a distinct workload with this share of invalid rows (e.g. 0.5)",
    )
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("CONFIGURATOR_CACHE_DIR", str(work / "cache"))
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if args.tree is not None:
        env["CONFIGURATOR_CATALOGS"] = str(args.tree.resolve())
        os.environ["CONFIGURATOR_CATALOGS"] = env["CONFIGURATOR_CATALOGS"]
    os.environ["CONFIGURATOR_CACHE_DIR"] = env["CONFIGURATOR_CACHE_DIR"]
    tree = open_tree(args.tree)

    workloads: list[tuple[str, Path, collections.Counter[str], int]] = []
    if not args.distinct_only:
        started = time.perf_counter()
        source = work / "repeated.csv"
        if args.tree is None:
            valid, bad = build_pools(args.distinct, args.seed)
            expected = write_rows(source, args.rows, valid, bad, args.seed)
            what = f"{len(valid):,} distinct valid configurations, 5% bad rows of every kind"
        else:
            expected = write_repeated_from_samples(
                source, tree, args.rows, args.distinct, args.seed
            )
            what = f"from {args.distinct:,} sampled valid configurations per model"
        workloads.append(("repeated", source, expected, args.rows))
        print(
            f"generated repeated: {args.rows:,} rows ({what}) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    shares = [0.0] + ([args.invalid_share] if args.invalid_share > 0 else [])
    for share in shares:
        started = time.perf_counter()
        name = "distinct" if not share else f"distinct, {share:.0%} invalid"
        source = work / f"distinct-{int(share * 100)}.csv"
        expected, written = write_distinct(source, tree, args.rows, share, args.seed)
        workloads.append((name, source, expected, written))
        bad = sum(v for k, v in expected.items() if k != "ok")
        print(
            f"generated {name}: {written:,} rows, every one a different configuration "
            f"({bad:,} invalid; {source.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )

    warm = work / "warm.csv"
    warm.write_text(f"id,model,options\nw1,{tree.model_ids()[0]},\n", encoding="utf-8")
    run_batch(warm, work / "warm-out.csv", 1, env)

    print(f"{'workload':<22} {'run':<9} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9} {'ratio':>6}")
    for name, source, expected, rows in workloads:
        floor = floor_pass(source, work / "floor.csv")
        print(f"{name:<22} {'csv floor':<9} {floor:8.2f} {rows / floor:10,.0f}")
        for jobs in [int(j) for j in args.jobs.split(",") if j.strip()]:
            target = work / f"out-{jobs}.csv"
            seconds, peak = run_batch(source, target, jobs, env)
            found = count_outcomes(target)
            verdict = "output checked" if found == expected else f"MISMATCH {found} != {expected}"
            print(
                f"{name:<22} {f'--jobs {jobs}':<9} {seconds:8.2f} {rows / seconds:10,.0f} "
                f"{peak:6.0f} MB {seconds / floor:6.2f}  ({verdict})"
            )
    if not args.keep:
        for path in work.glob("*.csv"):
            path.unlink()


if __name__ == "__main__":
    main()
