"""Every example in the README and in every command's --help runs, and exits 0.

Examples are taken from the README's ``configurator ...`` lines and from the ``Example:``
lines of each command's help. They run in-process (CliRunner, as fast as the
suite must be) in a folder holding the files they name (``orders.csv``, ``orders.jsonl``,
``orders.parquet``, ``order.yaml``, a copy of ``catalogs/``); ``<CODE>``, ``CODE``,
``CODE1``... become real configuration codes.
Interactive ones (``configure``) finish at once with ``f``.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from configurator.catalog.loader import default_catalog_root
from configurator.cli import _register, app

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    found = []
    for block in blocks:
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith("configurator "):
                found.append(command)
    return found


def help_examples() -> list[str]:
    _register()
    found: list[str] = []

    def walk(command: object) -> None:
        text = getattr(command, "help", None) or ""
        found.extend(m.strip() for m in re.findall(r"Example: (.+)", text))
        for child in getattr(command, "commands", {}).values():
            walk(child)

    walk(typer.main.get_command(app))
    return found


EXAMPLES = sorted(set(readme_examples()) | set(help_examples()))


@pytest.fixture(scope="module")
def workplace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples")
    shutil.copytree(default_catalog_root(), folder / "catalogs")
    (folder / "orders.csv").write_text(
        "id,model,options\n"
        "r1,xiaomi-su7-ultra,PAINT-AMETHYST INT-CUSTOM-AMETHYST BADGE-GOLD-24K GRAPHICS-BODY\n"
        "r2,porsche-taycan,\n",
        encoding="utf-8",
    )
    (folder / "orders.jsonl").write_text(
        '{"id": "r1", "model": "porsche-taycan", "options": ["BRAKE-PSCB"]}\n', encoding="utf-8"
    )
    # The same orders as Parquet (pyarrow is in the test extra), for `batch orders.parquet`.
    from pyarrow import csv as arrow_csv
    from pyarrow import parquet

    parquet.write_table(arrow_csv.read_csv(folder / "orders.csv"), folder / "orders.parquet")
    (folder / "order.yaml").write_text(
        "model: xiaomi-su7-ultra\nchoices: [PAINT-PEARL-WHITE]\nvalues: {}\n", encoding="utf-8"
    )
    (folder / "car.uvl").write_text(  # for `catalog import car.uvl`
        "features\n    Car\n        optional\n            Sunroof {price 900}\n"
        "        alternative\n            Petrol\n            Diesel\n",
        encoding="utf-8",
    )
    # `catalog diff --rev main` compares the tree with a git revision: the folder is a
    # repository whose `main` holds these catalogs.
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "catalogs"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return folder


def test_there_are_examples_everywhere() -> None:
    assert len(readme_examples()) >= 10
    assert len(help_examples()) >= 10


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_runs(
    example: str, workplace: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, as the shell would run it: ``cat FILE | configurator ...`` reads FILE on
    standard input; ``configure`` gets a terminal and finishes at once (f)."""
    monkeypatch.chdir(workplace)
    stdin = None
    line = example
    piped = re.fullmatch(r"cat (\S+) \| (configurator .+)", line)
    if piped:
        stdin = (workplace / piped.group(1)).read_text(encoding="utf-8")
        line = piped.group(2)
    words = shlex.split(line)
    assert words[0] == "configurator"
    placeholders = [w for w in words if re.fullmatch(r"<?CODE\d*>?", w)]
    if placeholders:  # <CODE>, CODE, CODE1...: real codes, a different car for each
        cars = [["porsche-taycan"], ["xiaomi-su7-ultra"], ["porsche-taycan", "BRAKE-PSCB"]]
        codes = iter(
            json.loads(runner.invoke(app, ["quote", *car, "-f", "json"]).stdout)["code"]
            for car in cars
        )
        words = [next(codes) if w in placeholders else w for w in words]
    if words[1] == "configure":
        from configurator.cli import configure_cmds

        monkeypatch.setattr(configure_cmds, "stdin_is_terminal", lambda: True)
        monkeypatch.setattr(configure_cmds, "stdout_is_terminal", lambda: True)
        stdin = "f\n"
    result = runner.invoke(app, words[1:], input=stdin)
    assert result.exit_code == 0, f"{example}\n{result.output[-3000:]}"
