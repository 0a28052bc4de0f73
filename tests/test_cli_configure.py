"""`configurator configure` through CliRunner: commands, values, files, errors, interrupts."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner, Result

from configurator.catalog.loader import open_tree
from configurator.cli import app, configure_cmds
from configurator.configuration import Configuration
from configurator.errors import ExitCode
from configurator.render.configure import print_step, prompt_text
from configurator.session import ConfigureSession

SU7 = "xiaomi-su7-ultra"
GOLDEN = Path(__file__).resolve().parent / "golden"
DATE = ["--date", "2026-03-01"]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend standard input and output are a terminal (CliRunner's are not)."""
    monkeypatch.setattr(configure_cmds, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(configure_cmds, "stdout_is_terminal", lambda: True)


def run(runner: CliRunner, args: list[str], lines: list[str]) -> Result:
    return runner.invoke(app, ["configure", *args], input="".join(f"{x}\n" for x in lines))


def quote_json(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["quote", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def printed_code(output: str) -> str:
    match = re.search(r"Configuration code:\s+(\S+)", output)
    assert match, output
    return match.group(1)


def saved(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- not a terminal ----------------------------------------------------------------------------


def test_not_a_terminal_points_to_quote_and_batch(runner: CliRunner) -> None:
    result = runner.invoke(app, ["configure", SU7], input="\n")
    assert result.exit_code == ExitCode.USAGE
    assert "not a terminal" in result.output
    assert "configurator quote" in result.output and "configurator batch" in result.output
    assert "Traceback" not in result.output


# --- the standard car ---------------------------------------------------------------------------


def test_enter_at_every_prompt_gives_the_standard_car(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    target = tmp_path / "standard.json"
    result = run(runner, [SU7, *DATE, "--save", str(target)], [""] * 13)
    assert result.exit_code == 0, result.output
    standard = quote_json(runner, SU7, *DATE)
    assert standard["total"] == "561793.81"
    assert "561,793.81" in result.output
    assert printed_code(result.output) == standard["code"]
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["choices"] == [] and data["finished"] is True
    assert data["code"] == standard["code"]


# --- commands -----------------------------------------------------------------------------------


def test_back_returns_to_the_previous_step(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    target = tmp_path / "order.yaml"
    # matte grey, (now on wheels) back to paint, obsidian black instead, finish
    result = run(runner, [SU7, *DATE, "--save", str(target)], ["5", "b", "2", "f"])
    assert result.exit_code == 0, result.output
    headers = re.findall(r"step (\d+) of 13 · (\w+)", result.output)
    assert headers[:3] == [("1", "Paint"), ("2", "Wheels"), ("1", "Paint")]
    assert saved(target)["choices"] == ["PAINT-OBSIDIAN-BLACK"]
    assert "- Matte Carbon Grey (PAINT-MATTE-CARBON-GREY) removed" in result.output


def test_undo_takes_back_the_last_change(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "order.yaml"
    result = run(runner, [SU7, *DATE, "--save", str(target)], ["5", "2", "u", "u", "u", "f"])
    assert result.exit_code == 0, result.output
    assert "Undone: choose PAINT-MATTE-CARBON-GREY." in result.output
    assert "Nothing to undo." in result.output
    # 5 chose paint, 2 chose wheels; two undos take both back, the third has nothing
    assert saved(target)["choices"] == []


def test_jump_by_name_and_from_the_list(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "order.yaml"
    lines = ["j exterior", "1", "3", "j", "11", "2", "f"]
    result = run(runner, [SU7, *DATE, "--save", str(target)], lines)
    assert result.exit_code == 0, result.output
    assert "step 8 of 13 · Exterior carbon parts" in result.output
    assert "Home charging: none" in result.output  # the list of steps
    assert saved(target)["choices"] == [
        "HOOD-CARBON-DUCTS",
        "MIRROR-CARBON",
        "CHARGER-WALLBOX-11KW",
    ]


def test_jump_to_an_unknown_group_is_a_message_not_an_exit(
    runner: CliRunner, terminal: None
) -> None:
    result = run(runner, [SU7, *DATE], ["j wheelz", "f"])
    assert result.exit_code == 0, result.output
    assert "there is no group 'wheelz'" in result.output
    assert "did you mean 'wheels'?" in result.output


def test_search_then_choose(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "order.yaml"
    result = run(runner, [SU7, *DATE, "--save", str(target)], ["/ mirror", "1", "f"])
    assert result.exit_code == 0, result.output
    assert "Carbon mirror caps" in result.output and "Exterior carbon parts" in result.output
    assert saved(target)["choices"] == ["MIRROR-CARBON"]


def test_search_without_match(runner: CliRunner, terminal: None) -> None:
    result = run(runner, [SU7, *DATE], ["/zzz", "f"])
    assert result.exit_code == 0
    assert "Nothing matches 'zzz'." in result.output


def test_a_code_typed_directly_is_chosen(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "order.yaml"
    result = run(runner, [SU7, *DATE, "--save", str(target)], ["dashcam-pro", "f"])
    assert result.exit_code == 0, result.output
    assert saved(target)["choices"] == ["DASHCAM-PRO"]


def test_buyer_supplied_value_is_asked_and_checked(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    target = tmp_path / "order.yaml"
    lines = [
        "PAINT-AMETHYST",
        "WHEEL-FORGED-GOLD",
        "INT-CUSTOM-AMETHYST",
        "BADGE-CUSTOM",
        "<LEI>",  # refused: the pattern allows letters, digits, Chinese characters, spaces, dashes
        "LEI JUN",
        "f",
    ]
    result = run(runner, [SU7, *DATE, "--save", str(target)], lines)
    assert result.exit_code == 0, result.output
    assert "Text of the custom badge" in result.output
    assert "'<LEI>' is not allowed" in result.output
    data = saved(target)
    assert data["values"] == {"BADGE-CUSTOM": "LEI JUN"}
    assert "BADGE-CUSTOM" in data["choices"]
    again = quote_json(runner, "--code", data["code"], *DATE)
    assert again["values"] == {"BADGE-CUSTOM": "LEI JUN"}


def test_a_value_can_be_changed_with_v(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "order.yaml"
    lines = [
        "v BADGE-CUSTOM",  # not chosen yet
        "v GRAPHICS-BODY",  # takes no value
        "PAINT-AMETHYST",
        "WHEEL-FORGED-GOLD",
        "INT-CUSTOM-AMETHYST",
        "BADGE-CUSTOM",
        "LEI JUN",
        "v badge-custom",
        "小米 01",
        "f",
    ]
    result = run(runner, [SU7, *DATE, "--save", str(target)], lines)
    assert result.exit_code == 0, result.output
    assert "Custom badge is not in the configuration" in result.output
    assert "Body graphics takes no value from the buyer" in result.output
    assert saved(target)["values"] == {"BADGE-CUSTOM": "小米 01"}


def test_paint_to_sample_colour(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "taycan.json"
    lines = ["/ paint to sample", "1", "y", "Oak Green Metallic", "f"]
    result = run(runner, ["porsche-taycan", *DATE, "--save", str(target)], lines)
    assert result.exit_code == 0, result.output
    assert "takes the car over the Ultra-luxury car consumption tax threshold" in result.output
    assert "Name of the Paint to Sample colour" in result.output
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["values"] == {"PAINT-TO-SAMPLE": "Oak Green Metallic"}
    assert "Oak Green Metallic" in result.output  # on the quote


def test_empty_value_cancels_the_choice(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    target = tmp_path / "order.yaml"
    result = run(runner, [SU7, *DATE, "--save", str(target)], ["BADGE-CUSTOM", "", "f"])
    assert result.exit_code == 0, result.output
    assert saved(target)["choices"] == []


def test_conflict_offers_alternatives_and_one_is_accepted(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    target = tmp_path / "order.yaml"
    lines = [
        "PAINT-AMETHYST",
        "WHEEL-FORGED-GOLD",
        "BADGE-GOLD-24K",
        "j exterior",
        "1",
        "2",
        "GRAPHICS-BODY",
        "1",  # accept the cheapest alternative
        "f",
    ]
    result = run(runner, [SU7, *DATE, "--save", str(target)], lines)
    assert result.exit_code == 0, result.output
    assert "Body graphics (GRAPHICS-BODY) is not available" in result.output
    assert "Accept [1-" in result.output
    choices = saved(target)["choices"]
    assert "GRAPHICS-BODY" in choices
    assert not {"HOOD-CARBON-DUCTS", "ROOF-CARBON"} <= set(choices)
    code = printed_code(result.output)
    assert saved(target)["code"] == code
    assert quote_json(runner, "--code", code, *DATE)["choices"] == choices


def test_cancelling_an_alternative_changes_nothing(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    target = tmp_path / "order.yaml"
    lines = ["j exterior", "1", "2", "GRAPHICS-BODY", "", "f"]
    result = run(runner, [SU7, *DATE, "--save", str(target)], lines)
    assert result.exit_code == 0, result.output
    assert saved(target)["choices"] == ["HOOD-CARBON-DUCTS", "ROOF-CARBON"]


def test_finish_below_a_programme_minimum_is_refused_then_fixed(
    runner: CliRunner, terminal: None
) -> None:
    lines = [
        "PAINT-AMETHYST",
        "f",
        "INT-CUSTOM-AMETHYST",
        "WHEEL-FORGED-GOLD",
        "f",
        "BADGE-GOLD-24K",
        "f",
    ]
    result = run(runner, [SU7, *DATE], lines)
    assert result.exit_code == 0, result.output
    assert "Cannot finish yet:" in result.output
    assert "72,000.00 short" in result.output
    assert "Xiaomi customization programme: 94,000.00 of 100,000.00" in result.output


def test_quote_and_help_commands(runner: CliRunner, terminal: None) -> None:
    result = run(runner, [SU7, *DATE], ["?", "q", "x y z", "99", "f"])
    assert result.exit_code == 0, result.output
    assert "jump to a group" in result.output  # help
    assert "Subtotal" in result.output  # the full quote
    assert "'x y z' is not a command" in result.output
    assert "choose a number from 1 to 10" in result.output


# --- files and codes ---------------------------------------------------------------------------


def test_resume_from_a_saved_file_and_from_a_code(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    first = tmp_path / "first.yaml"
    result = run(runner, [SU7, *DATE, "--save", str(first)], ["5", "f"])
    assert result.exit_code == 0, result.output
    code = saved(first)["code"]

    second = tmp_path / "second.yaml"
    result = run(runner, [SU7, *DATE, "--from", str(first), "--save", str(second)], ["f"])
    assert result.exit_code == 0, result.output
    assert saved(second)["choices"] == ["PAINT-MATTE-CARBON-GREY"]

    third = tmp_path / "third.json"
    result = run(runner, [SU7, *DATE, "--from", code, "--save", str(third)], ["f"])
    assert result.exit_code == 0, result.output
    assert json.loads(third.read_text())["choices"] == ["PAINT-MATTE-CARBON-GREY"]
    assert printed_code(result.output) == code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--save", "order.txt"], "cannot tell the format of 'order.txt'"),
        (["--from", "ABCU-DEFG-1"], "never used in configuration codes"),
        (["--from", "missing.yaml"], "neither a configuration code nor a file"),
        (["--date", "2026-13-01"], "is not a date"),
        (["--save", "no-such-folder/order.yaml"], "the folder 'no-such-folder' does not exist"),
    ],
)
def test_bad_options_are_usage_errors(
    runner: CliRunner, terminal: None, args: list[str], message: str
) -> None:
    result = run(runner, [SU7, *args], [])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_model(runner: CliRunner, terminal: None) -> None:
    result = run(runner, ["xiaomi-su7-ultar"], [])
    assert result.exit_code == ExitCode.USAGE
    assert "did you mean 'xiaomi-su7-ultra'?" in result.output


def test_resume_with_a_value_for_an_option_not_chosen(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: xiaomi-su7-ultra\nchoices: []\nvalues: {BADGE-CUSTOM: LEI JUN}\n")
    result = run(runner, [SU7, "--from", str(bad)], [])
    assert result.exit_code == ExitCode.CONFIGURATION_INVALID, result.output
    assert "a value is given for BADGE-CUSTOM" in result.output


def test_resume_from_conflicting_file_is_a_configuration_error(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "model: xiaomi-su7-ultra\nchoices: [HOOD-CARBON-DUCTS, ROOF-CARBON, GRAPHICS-BODY]\n"
    )
    result = run(runner, [SU7, "--from", str(bad)], [])
    assert result.exit_code == ExitCode.CONFIGURATION_INVALID, result.output


# --- interrupts ---------------------------------------------------------------------------------


def test_ctrl_c_offers_to_save_what_there_is(
    runner: CliRunner, terminal: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "partial.yaml"
    answers = iter(["PAINT-AMETHYST", KeyboardInterrupt, "partial.txt", str(target)])

    def ask(self: object, prompt: object) -> str:
        answer = next(answers)
        if answer is KeyboardInterrupt:
            raise KeyboardInterrupt
        return str(answer)

    monkeypatch.setattr(configure_cmds._Dealer, "ask", ask)
    result = runner.invoke(app, ["configure", SU7, *DATE])
    assert result.exit_code == ExitCode.INTERRUPTED, result.output
    assert "cannot tell the format of 'partial.txt'" in result.output
    assert f"Saved to {target}" in result.output
    data = saved(target)
    assert data["choices"] == ["PAINT-AMETHYST"] and data["finished"] is False
    assert "Traceback" not in result.output
    # the partial configuration resumes (its programme minimum is still to be met)
    result = run(runner, [SU7, *DATE, "--from", str(target)], ["f"])
    assert "28,000.00 of 100,000.00" in result.output


def test_ctrl_c_twice_leaves_without_saving(
    runner: CliRunner, terminal: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ask(self: object, prompt: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(configure_cmds._Dealer, "ask", ask)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["configure", SU7, *DATE, "--save", "order.yaml"])
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "Nothing saved." in result.output
    assert list(tmp_path.iterdir()) == []


def test_end_of_input_stops_cleanly(runner: CliRunner, terminal: None, tmp_path: Path) -> None:
    result = run(runner, [SU7, *DATE, "--save", str(tmp_path / "o.yaml")], ["5"])
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "Nothing saved." in result.output
    assert not (tmp_path / "o.yaml").exists()


# --- golden renderings (80 columns, no colour) --------------------------------------------------


def _golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _screen(model: str, choices: list[str], step: str) -> str:
    tree = open_tree()
    catalog = tree.load(model)
    session = ConfigureSession(
        catalog,
        tree.load_market(catalog.market),
        dt.date(2026, 3, 1),
        Configuration.of(model, choices),
    )
    session.jump(step)
    out = io.StringIO()
    console = Console(file=out, width=80, no_color=True, highlight=False)
    print_step(console, session)
    console.print(prompt_text(session, console.width))
    return out.getvalue()


def test_step_with_an_unavailable_option_golden() -> None:
    screen = _screen(SU7, ["PAINT-AMETHYST", "HOOD-CARBON-DUCTS", "ROOF-CARBON"], "pers")
    assert max(len(line) for line in screen.splitlines()) <= 80
    _golden("configure_su7_personalisation.txt", screen)


def test_step_near_the_tax_cliff_golden() -> None:
    screen = _screen("porsche-taycan", ["WHEEL-21-MISSION-E"], "brakes")
    assert (
        "⚠ 75,000.00 below the Ultra-luxury car consumption tax threshold (1,017,000.00)" in screen
    )
    _golden("configure_taycan_brakes.txt", screen)


def test_tree_keys_on_a_flat_catalog_say_so(runner: CliRunner, terminal: None) -> None:
    result = run(runner, [SU7, *DATE], ["<", "> 1", "f"])
    assert result.exit_code == 0, result.output
    assert "the groups of this catalog are not a tree: b goes back a step" in result.output
    assert "the groups of this catalog are not a tree: Enter goes on a step" in result.output
    assert "Under here" not in result.output and "groups under here" not in result.output


def test_search_then_go_to_the_group_without_choosing(
    runner: CliRunner, terminal: None, tmp_path: Path
) -> None:
    target = tmp_path / "order.yaml"
    result = run(runner, [SU7, *DATE, "--save", str(target)], ["/ mirror", "j 1", "f"])
    assert result.exit_code == 0, result.output
    assert "Exterior carbon parts (choose any number)" in result.output
    assert saved(target)["choices"] == []
