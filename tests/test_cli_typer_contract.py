"""configurator/cli/coercion.py reaches into Typer's internals to save start-up time: these
tests fail, naming that file, when the installed Typer is not one it is known to work with or
no longer provides what it relies on."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path
from typing import Any

import typer.main
from packaging.requirements import Requirement

from configurator.cli import app
from configurator.cli.coercion import broken_assumptions, lighten

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
WHAT = "configurator/cli/coercion.py relies on Typer internals"
FIX = (
    "update configurator/cli/coercion.py for this Typer (see its docstring), then the typer "
    "bounds in pyproject.toml"
)


def _typer_requirement() -> Requirement:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    found = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "typer"]
    assert len(found) == 1, "pyproject.toml should name typer once in its dependencies"
    return found[0]


def test_pyproject_bounds_typer_on_both_sides() -> None:
    operators = {spec.operator for spec in _typer_requirement().specifier}
    assert operators & {">=", ">", "=="}, "pyproject.toml: typer needs a lower bound"
    assert operators & {"<", "<=", "==", "~="}, "pyproject.toml: typer needs an upper bound"


def test_installed_typer_is_within_the_bounds() -> None:
    installed = importlib.metadata.version("typer")
    requirement = _typer_requirement()
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{WHAT}; it is known to work with typer {requirement.specifier}, and typer "
        f"{installed} is installed: {FIX}"
    )


def test_what_coercion_relies_on_is_there() -> None:
    broken = broken_assumptions()
    assert not broken, (
        f"{WHAT} that typer {importlib.metadata.version('typer')} changed: "
        f"{'; '.join(broken)}. The CLI still works (Typer's own coercion is used) but starts "
        f"slower: {FIX}"
    )


def _lightened_quote() -> tuple[Any, Any]:
    from configurator.cli import quote_cmds  # noqa: F401 - registers `quote`

    command = typer.main.get_group(app)
    context = command.make_context("configurator", ["quote"], resilient_parsing=True)
    quote = command.get_command(context, "quote")
    assert quote is not None
    lighten(quote, context)
    return quote, context


def test_typer_runs_the_plain_coercion_it_is_given() -> None:
    """Typer reads the parameter's ``_runtime_param`` and calls its ``coerce``: a value seen
    by the plain coercion proves the hook is still used."""
    quote, context = _lightened_quote()
    kinds = {}
    for param in quote.get_params(context):
        plain = getattr(param, "_runtime_param", None)
        if type(plain).__name__ == "_PlainParam":
            kinds[param.name] = plain.kind
            assert param.get_runtime_param() is plain, f"{WHAT}: get_runtime_param changed"
    assert {"text", "texts", "choice", "flag"} <= set(kinds.values()), (
        f"{WHAT}: no plain coercion was installed on `quote` ({kinds}): {FIX}"
    )
    model = next(p for p in quote.get_params(context) if p.name == "model")
    assert model.process_value(context, "xiaomi-su7-ultra") == "xiaomi-su7-ultra"


def test_a_changed_typer_keeps_its_own_coercion(monkeypatch: Any) -> None:
    from configurator.cli import coercion

    monkeypatch.setattr(coercion, "broken_assumptions", lambda: ("something changed",))
    from configurator.cli import quote_cmds  # noqa: F401 - registers `quote`

    command = typer.main.get_group(app)  # a new group: its commands are new, untouched
    context = command.make_context("configurator", ["quote"], resilient_parsing=True)
    fresh = command.get_command(context, "quote")  # the group lightens it: must change nothing
    assert fresh is not None
    coercion.lighten(fresh, context)
    assert all(getattr(p, "_runtime_param", None) is None for p in fresh.get_params(context))
