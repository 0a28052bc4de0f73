"""`.pre-commit-hooks.yaml`: each hook's entry runs on a temporary git repository of catalogs,
passing on a good tree and failing (exit 3) on the fault it is there to catch."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from configurator.cli import app

HOOKS_FILE = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"
MINI = Path(__file__).resolve().parent / "data" / "mini"


def _hooks() -> list[dict[str, object]]:
    hooks = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def test_the_hooks_file_declares_validate_lint_and_test() -> None:
    hooks = {hook["id"]: hook for hook in _hooks()}
    assert set(hooks) == {"catalog-validate", "catalog-lint", "catalog-test"}
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"  # pre-commit installs this project to run it
        assert str(hook["entry"]).startswith("configurator ")


GOOD_CASES = """\
model: acme-roadster
cases:
  - name: the standard car
    date: 2026-03-01
    expect:
      subtotal: 300000
"""

BREAKS = {
    # a fault each hook catches: a schema error, a dead package, a failing golden case
    "catalog-validate": ("acme/roadster.yaml", "base_price: 300000", "base_price: 300000.5"),
    "catalog-lint": (
        "acme/roadster.yaml",
        "    includes: [WHEEL-20-FORGED, ROOF-GLASS]",
        "    includes: [WHEEL-20-FORGED, ROOF-GLASS, AUDIO-PREMIUM]",
    ),
    "catalog-test": ("acme/roadster.cases.yaml", "subtotal: 300000", "subtotal: 300001"),
}


def _repository(tmp_path: Path) -> Path:
    """A git repository holding a small catalog tree (with golden cases) in `catalogs/`."""
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo / "catalogs")
    (repo / "catalogs" / "acme" / "roadster.cases.yaml").write_text(GOOD_CASES, encoding="utf-8")
    car = repo / "catalogs" / "acme" / "roadster.yaml"
    text = car.read_text(encoding="utf-8")
    car.write_text(text[: text.index("price_rules:")], encoding="utf-8")  # one lint error less
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "catalogs")
    return repo


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _run(entry: str, repo: Path, runner: CliRunner) -> tuple[int, str]:
    """The hook's entry as pre-commit runs it, in the repository: its words after
    ``configurator`` go to the command line (in this process, for speed; one test below runs
    the real executable)."""
    words = shlex.split(entry)
    assert words[0] == "configurator"
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        result = runner.invoke(app, words[1:])
    finally:
        os.chdir(cwd)
    return result.exit_code, result.output


@pytest.mark.parametrize("hook", _hooks(), ids=lambda hook: str(hook["id"]))
def test_each_hook_entry_on_a_git_repository_of_catalogs(
    hook: dict[str, object], tmp_path: Path, runner: CliRunner
) -> None:
    repo = _repository(tmp_path)
    files = re.compile(str(hook.get("files", "")))
    changed = ["catalogs/acme/roadster.yaml", "catalogs/acme/roadster.cases.yaml"]
    assert all(files.search(name) for name in changed)  # the hook runs for catalog changes
    assert not files.search("README.md")

    code, output = _run(str(hook["entry"]), repo, runner)
    assert code == 0, output

    name, old, new = BREAKS[str(hook["id"])]
    path = repo / "catalogs" / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    code, output = _run(str(hook["entry"]), repo, runner)
    assert code == 3, output
    assert f"catalogs/{name}:" in output  # file:line of the fault


def test_an_entry_runs_as_a_program(tmp_path: Path) -> None:
    """What pre-commit really starts: the `configurator` program, in the repository."""
    repo = _repository(tmp_path)
    entry = shlex.split(str(_hooks()[-1]["entry"]))
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("CONFIGURATOR_CATALOGS", None)
    done = subprocess.run(
        [sys.executable, "-m", "configurator", *entry[1:]],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.strip() == "1 case in 1 file: all passed"
