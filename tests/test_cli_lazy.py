"""The command line's start-up: lazily imported command modules, plain parameter coercion."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from configurator.cli import COMMANDS, app
from configurator.cli.coercion import lighten

CLI_DIR = Path(__file__).resolve().parent.parent / "configurator" / "cli"


def _module_of(callback: Any) -> str:
    return str(callback.__module__).rpartition(".")[2]


def test_every_command_module_is_in_the_table() -> None:
    modules = {path.stem for path in CLI_DIR.glob("*_cmds.py")}
    assert modules <= set(COMMANDS.values()), "add the new module's commands to cli.COMMANDS"


def test_the_table_names_what_each_module_registers() -> None:
    for module in set(COMMANDS.values()):
        importlib.import_module(f"configurator.cli.{module}")
    registered: dict[str, str] = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        registered[name] = _module_of(info.callback)
    for group in app.registered_groups:
        assert group.name is not None
        assert group.typer_instance is not None  # a group added with app.add_typer
        first = group.typer_instance.registered_commands[0]  # its module: its commands'
        registered[group.name] = _module_of(first.callback)
    assert registered == COMMANDS


def test_help_lists_every_command_in_table_order(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands")[1]
    shown = re.findall(r"^\W+([a-z]+) ", commands, re.MULTILINE)
    assert shown == list(COMMANDS)


def test_unknown_command_suggests_a_near_name(runner: CliRunner) -> None:
    result = runner.invoke(app, ["quot"])
    assert result.exit_code == 2
    assert "Did you mean 'quote'?" in result.output


def _fresh(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )


_MODULES_AFTER = """
import sys
from configurator.cli import main
sys.argv = ["configurator", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["quote", "--help"], {"quote_cmds"}),
        (["models", "--json"], {"models_cmds"}),
        (["--help"], set(COMMANDS.values())),
    ],
)
def test_a_command_imports_only_its_own_module(args: list[str], loaded: set[str]) -> None:
    result = _fresh(_MODULES_AFTER, *args)
    modules = result.stderr.split()
    commands = {m.rpartition(".")[2] for m in modules if m.startswith("configurator.cli.")}
    assert commands & set(COMMANDS.values()) == loaded, result.stderr[-2000:]


def test_text_and_choice_parameters_need_no_pydantic_validator() -> None:
    result = _fresh(_MODULES_AFTER, "quote", "--help")
    assert "typer._adapters" not in result.stderr.split()


def test_plain_coercion_keeps_typers_errors(runner: CliRunner) -> None:
    result = runner.invoke(app, ["quote", "xiaomi-su7-ultra", "--format", "jsn"])
    assert result.exit_code == 2
    message = re.sub(r"[\s│]+", " ", result.output)
    assert "Invalid value for '--format' / '-f': Value error, 'jsn' is not one of" in message
    assert "'jsn' is not one of 'table', 'json', 'markdown', 'html', 'pdf'." in message


def test_plain_coercion_gives_what_typer_gives() -> None:
    """Each lightened parameter coerces plain values as Typer's own coercion does."""
    from typer._coercion import build_runtime_param

    from configurator.cli import quote_cmds  # noqa: F401 - registers `quote`

    command = typer.main.get_group(app)
    context = command.make_context("configurator", ["quote"], resilient_parsing=True)
    quote = command.get_command(context, "quote")
    assert quote is not None
    lighten(quote, context)
    values: dict[str, list[Any]] = {
        "text": ["x", "", "é ü", "--odd"],
        "texts": [["A", "B"], ("A",), []],
        "flag": [True, False],
    }
    checked = 0
    params: list[Any] = quote.get_params(context)
    for param in params:
        plain = getattr(param, "_runtime_param", None)
        if plain is None or type(plain).__name__ != "_PlainParam":
            continue
        own = build_runtime_param(param.type_descriptor)
        if plain.kind == "choice":  # the enum's members, and their values as typed
            values["choice"] = [*plain.annotation, *(m.value for m in plain.annotation)]
        for value in values[plain.kind]:
            assert plain._coerce_value(value, param, context) == own._coerce_value(
                value, param, context
            )
            checked += 1
    assert checked >= 15
