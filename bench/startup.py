"""Start-up cost of a one-shot quote, relative to importing the libraries the CLI is built on.

Measures, in the same run and alternating so that machine noise hits both alike, the wall
time of

    configurator quote xiaomi-su7-ultra --format json
    python -c "import typer, rich, pydantic, yaml"

and prints both medians and their ratio (target: <= 1.3). The catalog cache is warmed first:
a quote is a repeated command, and the first run after an edit parses the YAML once and
stores the model's compiled pricer, which later runs load instead of the catalog (see
configurator/pricing/stored.py); that first run is timed on its own too, for information
(median of a few runs, each with an empty catalog cache). Python's bytecode cache is warmed
as well, in a temporary PYTHONPYCACHEPREFIX: an installed package runs from compiled bytecode,
and an environment with PYTHONDONTWRITEBYTECODE=1 would otherwise make every run recompile
every source file (that measures the compiler, not the command).

Usage: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _configurator() -> list[str]:
    script = Path(sys.executable).parent / "configurator"
    if script.is_file():
        return [str(script)]
    found = shutil.which("configurator")
    return [found] if found else [sys.executable, "-m", "configurator"]


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="repetitions of each (default 21)")
    args = parser.parse_args()
    quote = [*_configurator(), "quote", "xiaomi-su7-ultra", "--format", "json"]
    baseline = [sys.executable, "-c", "import typer, rich, pydantic, yaml"]
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "CONFIGURATOR_CACHE_DIR": cache,
            "PYTHONPYCACHEPREFIX": os.path.join(cache, "pycache"),
        }
        env.pop("CONFIGURATOR_CATALOGS", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for command in (quote, baseline, quote, baseline):  # warm the cache and the OS
            _wall(command, env)
        quote_times: list[float] = []
        base_times: list[float] = []
        for _ in range(args.runs):
            quote_times.append(_wall(quote, env))
            base_times.append(_wall(baseline, env))
        cold_times: list[float] = []
        for run in range(5):
            fresh = os.path.join(cache, f"cold-{run}")  # an empty catalog cache each time
            cold_times.append(_wall(quote, {**env, "CONFIGURATOR_CACHE_DIR": fresh}))
    q, b = statistics.median(quote_times), statistics.median(base_times)
    cold = statistics.median(cold_times)
    print(f"configurator quote xiaomi-su7-ultra --format json: {q * 1000:.1f} ms (median)")
    print(f'python -c "import typer, rich, pydantic, yaml":    {b * 1000:.1f} ms (median)')
    print(f"ratio: {q / b:.2f} (target <= 1.3; {args.runs} alternating runs each)")
    print(f"first run after an edit (empty catalog cache): {cold * 1000:.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
