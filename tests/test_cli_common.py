"""The helpers the commands share: --date parsing (one place for every command)."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from configurator.cli import app
from configurator.cli.common import optional_date, parse_date
from configurator.errors import ExitCode, UsageError


def test_parse_date() -> None:
    assert parse_date(" 2026-03-01 ") == dt.date(2026, 3, 1)
    assert parse_date(None) == dt.date.today()
    assert optional_date(None) is None
    assert optional_date("2025-08-01") == dt.date(2025, 8, 1)
    with pytest.raises(UsageError) as caught:
        parse_date("2025-13-01")
    assert str(caught.value) == (
        "--date '2025-13-01' is not a date: write YYYY-MM-DD, e.g. 2026-03-01"
    )
    assert caught.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    "args",
    [
        ["quote", "xiaomi-su7-ultra"],
        ["available", "xiaomi-su7-ultra"],
        ["catalog", "stats", "xiaomi-su7-ultra"],
        ["batch", "-", "--input-format", "csv"],
    ],
)
def test_every_date_option_reads_alike(args: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--date", "2025-13-01"], input="")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stderr == (
        "error: --date '2025-13-01' is not a date: write YYYY-MM-DD, e.g. 2026-03-01\n"
    )
