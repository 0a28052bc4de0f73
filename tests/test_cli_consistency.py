"""One command line: --format everywhere data is printed, human help, completion, no MODEL
where the input names it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configurator.cli import app, configure_cmds
from configurator.errors import ExitCode

DATA_COMMANDS = [
    ["models"],
    ["show", "xiaomi-su7-ultra"],
    ["available", "xiaomi-su7-ultra", "BADGE-GOLD-24K"],
    ["catalog", "stats", "xiaomi-su7-ultra"],
    ["catalog", "validate", "catalogs/markets"],
]


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=" ".join)
def test_format_json_everywhere_and_json_kept_as_an_alias(
    runner: CliRunner, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    formatted = runner.invoke(app, [*args, "--format", "json"])
    assert formatted.exit_code == 0, formatted.output
    aliased = runner.invoke(app, [*args, "--json"])
    assert same(formatted.stdout, aliased.stdout)
    short = runner.invoke(app, [*args, "-f", "json"])
    assert same(short.stdout, formatted.stdout)


def same(one: str, other: str) -> bool:
    """The same JSON, timings apart."""

    def data(text: str) -> object:
        value = json.loads(text)
        if isinstance(value, dict):
            value = {
                k: v
                for k, v in value.items()
                if k not in ("compile_seconds", "compiled_from_cache", "analysis_seconds")
            }
        return value

    return data(one) == data(other)


def test_batch_takes_format_for_its_output(runner: CliRunner) -> None:
    rows = "id,model,options\nr1,porsche-taycan,\n"
    result = runner.invoke(
        app, ["batch", "-", "--input-format", "csv", "--format", "jsonl"], input=rows
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["id"] == "r1"


COMMANDS = [
    ["models"],
    ["show"],
    ["quote"],
    ["available"],
    ["configure"],
    ["batch"],
    ["catalog", "validate"],
    ["catalog", "stats"],
    ["catalog", "schema"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_help_shows_human_metavars(args: list[str]) -> None:
    wide = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "200"})
    result = wide.invoke(app, [*args, "--help"])
    assert result.exit_code == 0
    assert not re.search(r"<(str|bool|int|path|list\[.*?\]|Path)[^>]*>", result.stdout)
    assert "{model}" not in result.stdout and "[paths]" not in result.stdout


def test_configure_from_a_file_or_a_code_needs_no_model(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configure_cmds, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(configure_cmds, "stdout_is_terminal", lambda: True)
    saved = tmp_path / "order.yaml"
    saved.write_text("model: porsche-taycan\nchoices: [BRAKE-PSCB]\n", encoding="utf-8")
    result = runner.invoke(
        app, ["configure", "--from", str(saved), "--date", "2026-03-01"], input="f\n"
    )
    assert result.exit_code == 0, result.output
    assert "Porsche Taycan" in result.output
    code = re.search(r"Configuration code:\s+(\S+)", result.output)
    assert code
    again = runner.invoke(app, ["configure", "--from", code.group(1)], input="f\n")
    assert again.exit_code == 0 and code.group(1) in again.output
    nothing = runner.invoke(app, ["configure"], input="")
    assert nothing.exit_code == ExitCode.USAGE
    assert "name a model" in nothing.output


def test_shell_completion_of_models_then_codes() -> None:
    from types import SimpleNamespace
    from typing import Any

    from configurator.cli.common import complete_codes, complete_models

    root = SimpleNamespace(obj={"catalogs": None})
    context: Any = SimpleNamespace(find_root=lambda: root, params={})
    assert complete_models(context, "xiaomi") == ["xiaomi-su7-ultra", "xiaomi-yu7-max"]
    context.params = {"model": "xiaomi-su7-ultra", "options": ["PAINT-AMETHYST"]}
    found = complete_codes(context, "paint-")
    assert "PAINT-RACING-RED" in found and "PAINT-AMETHYST" not in found
    context.params = {"model": "no-such-model"}
    assert complete_codes(context, "") == []


def test_the_save_prompt_expands_home_and_says_what_went_wrong_in_words(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configure_cmds, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(configure_cmds, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("HOME", str(tmp_path))
    dealer_input = iter(["~/no-such-folder/order.yaml", "~/order.yaml"])
    session_lines = iter(["PAINT-PEARL-WHITE"])

    def ask(self: object, prompt: object) -> str:
        text = str(prompt)
        if "File name" in text:
            return next(dealer_input)
        line = next(session_lines, None)
        if line is None:
            raise EOFError
        return line

    monkeypatch.setattr(configure_cmds._Dealer, "ask", ask)
    result = runner.invoke(app, ["configure", "xiaomi-su7-ultra"])
    assert result.exit_code == ExitCode.INTERRUPTED
    said = " ".join(result.output.split())
    assert "no-such-folder" in said and "does not exist" in said  # in words
    assert "Errno" not in said
    assert (tmp_path / "order.yaml").is_file()
    assert "PAINT-PEARL-WHITE" in (tmp_path / "order.yaml").read_text(encoding="utf-8")
