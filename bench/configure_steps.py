"""How long one step of `configurator configure` takes on the shipped catalogs.

A step is what the dealer waits for after typing a choice: the change (with its valid
domains, alternatives for an unavailable option, defaults settled), then the view of the
next step (every option marked available or not, with the reason) and the running summary
(a full price with taxes). Random sessions choose random options, unavailable ones included
(then the cheapest alternative is accepted), with cold per-state caches.

    python bench/configure_steps.py [--sessions 20] [--seed 7]

Prints, per model, the time to open a session, then median, p95 and max per step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from configurator.catalog.loader import open_tree
from configurator.errors import ConfiguratorError
from configurator.session import Blocked, Changed, ConfigureSession, NeedsValue

ON = dt.date(2026, 3, 1)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(model: str, sessions: int, seed: int) -> str:
    tree = open_tree()
    catalog = tree.load(model)
    market = tree.load_market(catalog.market)
    rng = random.Random(seed)
    started = time.perf_counter()
    first = ConfigureSession(catalog, market, ON)
    first.view()
    first.summary()
    opening = time.perf_counter() - started
    steps: list[float] = []
    blocked = 0
    for _ in range(sessions):
        session = ConfigureSession(catalog, market, ON)
        for _ in range(len(session.steps)):
            step = rng.randrange(len(session.steps))
            code = rng.choice(session.steps[step].codes)
            began = time.perf_counter()
            session.jump(str(step + 1))
            try:
                outcome = session.choose(code)
            except ConfiguratorError:  # e.g. removing an option a package brings: refused
                outcome = Changed(code)
            if isinstance(outcome, NeedsValue):
                example = outcome.spec.examples[0] if outcome.spec.examples else "Sample"
                outcome = session.choose(code, example)
            if isinstance(outcome, Blocked):
                blocked += 1
                if outcome.alternatives:
                    applied = session.apply(outcome.alternatives[0])
                    if isinstance(applied, NeedsValue):
                        example = applied.spec.examples[0] if applied.spec.examples else "Sample"
                        session.apply(outcome.alternatives[0], example)
            session.forward()
            session.view()
            session.summary()
            steps.append(time.perf_counter() - began)
    ms = [t * 1000 for t in steps]
    return (
        f"{model:<18} open {opening * 1000:6.1f} ms | {len(ms)} steps ({blocked} conflicts): "
        f"median {statistics.median(ms):5.2f} ms, p95 {_percentile(ms, 0.95):5.2f} ms, "
        f"max {max(ms):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for model in open_tree().model_ids():
        print(run(model, args.sessions, args.seed), flush=True)


if __name__ == "__main__":
    main()
