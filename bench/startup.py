"""Start-up cost of a one-shot quote, relative to importing the libraries the CLI is built on.

Measures, in the same run and alternating so that machine noise hits both alike, the wall
time of

    configurator quote xiaomi-su7-ultra --format json
    python -c "import typer, rich, pydantic, yaml"

and prints both medians and their ratio (target: <= 1.3). The catalog cache is warmed first
(a quote is a repeated command; the first run after an edit parses the YAML once), and so is
Python's bytecode cache, in a temporary PYTHONPYCACHEPREFIX: an installed package runs from
compiled bytecode, and an environment with PYTHONDONTWRITEBYTECODE=1 would otherwise make
every run recompile every source file (that measures the compiler, not the command).

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
    q, b = statistics.median(quote_times), statistics.median(base_times)
    print(f"configurator quote xiaomi-su7-ultra --format json: {q * 1000:.1f} ms (median)")
    print(f'python -c "import typer, rich, pydantic, yaml":    {b * 1000:.1f} ms (median)')
    print(f"ratio: {q / b:.2f} (target <= 1.3; {args.runs} alternating runs each)")


if __name__ == "__main__":
    main()
