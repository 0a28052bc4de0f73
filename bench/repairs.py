"""How long exact repairs take (`available --want`, the configure screen's alternatives).

On random conflicts in every shipped catalog (up to 4 random consistent choices, then an
option they block), times :func:`configurator.repairs.find_repairs` (minimal correction sets,
the cheapest completions per real choice, each priced) against the rules engine's minimal
correction sets alone (:meth:`RulesEngine.alternatives`) on the same conflicts, in the same run.

    python bench/repairs.py [--conflicts 40] [--seed 1]

Prints, per model, median and max of each and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from configurator.catalog.loader import open_tree
from configurator.pricing.engine import pricer
from configurator.repairs import find_repairs
from configurator.rules.select import engine_for

ON = dt.date(2026, 3, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conflicts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tree = open_tree()
    for model in tree.model_ids():
        catalog = tree.load(model)
        engine = engine_for(catalog, ON)
        price = pricer(catalog, tree.load_market(catalog.market))
        live = [code for code, ok in engine.selectable().items() if ok]
        rnd = random.Random(args.seed)
        repairs: list[float] = []
        corrections: list[float] = []
        while len(repairs) < args.conflicts:
            chosen: list[str] = []
            for code in rnd.sample(live, 4):
                if engine.consistent([*engine.partial_for(chosen, code), code]):
                    chosen = [c for c in engine.partial_for(chosen, code) if c != code] + [code]
            flags = engine.selectable(chosen)
            blocked = [code for code in live if not flags[code]]
            if not blocked:
                continue
            want = rnd.choice(blocked)
            started = time.perf_counter()
            engine.alternatives(engine.partial_for(chosen, want), want)
            corrections.append(time.perf_counter() - started)
            started = time.perf_counter()
            find_repairs(engine, price, ON, chosen, want)
            repairs.append(time.perf_counter() - started)
        exact, mcs = statistics.median(repairs), statistics.median(corrections)
        print(
            f"{model:22} exact repairs median {exact * 1000:6.1f} ms, max "
            f"{max(repairs) * 1000:6.1f} ms | correction sets alone median {mcs * 1000:5.1f} ms"
            f" | ratio {exact / mcs:4.1f}"
        )


if __name__ == "__main__":
    main()
