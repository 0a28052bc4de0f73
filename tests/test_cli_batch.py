"""`configurator batch` on the command line: files, pipes, exit codes, atomic output, signals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ptyterm import default_sigint
from typer.testing import CliRunner

from configurator.cli import app
from configurator.errors import ExitCode

SU7 = "xiaomi-su7-ultra"
ROWS = f"id,model,options\nr1,{SU7},\nr2,{SU7},PKG-TRACK\n"
WITH_ERRORS = ROWS + f"r3,{SU7},NOPE\nr4,nope,\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_file_to_csv_file(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "orders.csv", ROWS)
    target = tmp_path / "quotes.csv"
    result = runner.invoke(app, ["batch", str(source), "-o", str(target), "--date", "2026-03-01"])
    assert result.exit_code == ExitCode.OK, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert [(r["id"], r["status"]) for r in rows] == [("r1", "ok"), ("r2", "ok")]
    assert rows[0]["total"] == "561793.81"
    assert result.stdout == ""
    summary = result.stderr.strip().splitlines()
    assert len(summary) == 1  # not a terminal: no progress bar, only the summary
    assert summary[0].startswith("2 rows: 2 ok, 0 errors;") and "rows/s" in summary[0]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_json_lines_to_stdout(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "orders.jsonl", json.dumps({"id": "j1", "model": SU7}) + "\n")
    result = runner.invoke(app, ["batch", str(source), "--date", "2026-03-01"])
    assert result.exit_code == ExitCode.OK, result.output
    record = json.loads(result.stdout)
    assert record["id"] == "j1" and record["purchase-tax"] == "31893.81"


def test_stdin_to_stdout_in_a_pipeline(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["batch", "-", "--input-format", "csv", "--output-format", "jsonl", "-o", "-"],
        input=WITH_ERRORS,
    )
    assert result.exit_code == ExitCode.ROWS_FAILED
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in records] == ["ok", "ok", "error", "error"]
    assert [r["error_code"] for r in records[2:]] == ["unknown_option", "unknown_model"]
    assert records[2]["error"].startswith("line 4: ")
    assert "4 rows: 2 ok, 2 errors (unknown_model 1, unknown_option 1)" in result.stderr


def test_some_rows_failing_exits_with_rows_failed(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "orders.csv", WITH_ERRORS)
    target = tmp_path / "quotes.csv"
    result = runner.invoke(app, ["batch", str(source), "-o", str(target)])
    assert result.exit_code == ExitCode.ROWS_FAILED == 5
    assert len(list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))) == 4


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["missing.csv"], "does not exist"),
        (["orders.txt"], "cannot tell the format"),
        (["orders.csv", "-o", "out.xlsx"], "cannot tell the format of 'out.xlsx'"),
        (["orders.csv", "--date", "2026-13-01"], "is not a date"),
        (["orders.csv", "--input-format", "xml"], "unknown input format"),
        (["bad-header.csv"], "lacks options or code"),
        (["orders.csv", "--jobs", "0"], "--jobs"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "orders.csv", ROWS)
    write(tmp_path / "orders.txt", ROWS)
    write(tmp_path / "bad-header.csv", "id,model\nr1,x\n")
    result = runner.invoke(app, ["batch", *arguments])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad-header.csv",
        "orders.csv",
        "orders.txt",
    ]


def test_fail_fast_exits_5_without_an_output_file(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "orders.csv", WITH_ERRORS)
    target = tmp_path / "quotes.csv"
    result = runner.invoke(app, ["batch", str(source), "-o", str(target), "--fail-fast"])
    assert result.exit_code == ExitCode.ROWS_FAILED
    assert "line 4 (id r3): unknown_option" in result.stderr
    assert "3 rows: 2 ok, 1 errors" in result.stderr
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_jobs_2_writes_the_same_file_as_jobs_1(runner: CliRunner, tmp_path: Path) -> None:
    options = ["", "PKG-TRACK", "NOPE", "HOOD-CARBON-DUCTS", "PAINT-OBSIDIAN-BLACK"]
    text = "id,model,options,date\n" + "".join(
        f"r{i},{SU7},{options[i % 5]},{'2025-06-01' if i % 3 else ''}\n" for i in range(2000)
    )
    source = write(tmp_path / "orders.csv", text)
    outputs = []
    for jobs in ("1", "2"):
        target = tmp_path / f"out-{jobs}.csv"
        result = runner.invoke(app, ["batch", str(source), "-o", str(target), "--jobs", jobs])
        assert result.exit_code == ExitCode.ROWS_FAILED, result.output
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]


def test_help_has_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["batch", "--help"])
    assert result.exit_code == 0
    assert "configurator batch orders.csv -o quotes.csv" in result.stdout


# --- a real process, interrupted --------------------------------------------------------------


def slow_input(path: Path, rows: int = 400_000) -> Path:
    """Rows that all differ (one date each), so every row goes through the engine: enough
    that a batch still runs seconds later, whatever its speed."""
    start = dt.date(2024, 1, 1)
    options = ["", "PKG-TRACK", "HOOD-CARBON-DUCTS", "PAINT-OBSIDIAN-BLACK"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "model", "options", "date"])
        for i in range(rows):
            day = start + dt.timedelta(days=i % 1400)
            writer.writerow([f"r{i}", SU7, options[(i // 1400) % 4], day.isoformat()])
    return path


def start_batch(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], Path]:
    source = slow_input(tmp_path / "big.csv")
    target = tmp_path / "out.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "configurator", "batch", str(source), "-o", str(target), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=default_sigint,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until rows are being written
        partial = [p for p in tmp_path.glob(".out.csv.*.tmp") if p.stat().st_size > 0]
        if partial:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    assert process.poll() is None, "the run finished before it could be interrupted"
    return process, target


def test_a_killed_run_leaves_no_output_file(tmp_path: Path) -> None:
    process, target = start_batch(tmp_path)
    process.kill()
    process.communicate(timeout=30)  # closes the pipes
    assert not target.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_with_a_summary(tmp_path: Path, jobs: str) -> None:
    process, target = start_batch(tmp_path, "--jobs", jobs)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert "interrupted after" in stderr and "rows/s" in stderr
    assert "Traceback" not in stderr
    assert f"no output written to {target}" in stderr
    assert not target.exists()
    assert not list(tmp_path.glob(".out.csv.*"))  # the temporary file is gone too


def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    process, target = start_batch(tmp_path)
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert not target.exists() and not list(tmp_path.glob(".out.csv.*"))


def test_summary_reads_well_on_a_small_run(runner: CliRunner) -> None:
    result = runner.invoke(app, ["batch", "-", "--input-format", "csv"], input=ROWS)
    assert result.exit_code == 0
    assert io.StringIO(result.stdout).readline().startswith("id,model,status,code,subtotal")


@pytest.mark.parametrize(
    "options, day, currency",
    [
        ([], "2026-03-01", None),
        (["PKG-TRACK"], "2025-06-01", None),
        (["HOOD-CARBON-DUCTS", "ROOF-CARBON"], "2025-08-01", "USD"),
    ],
)
def test_ok_rows_equal_the_quote_command(
    runner: CliRunner, options: list[str], day: str, currency: str | None
) -> None:
    extra = ["--currency", currency] if currency else []
    quoted = runner.invoke(app, ["quote", SU7, *options, "--date", day, "-f", "json", *extra])
    assert quoted.exit_code == 0, quoted.output
    quote = json.loads(quoted.stdout)
    rows = f"id,model,options,date\nq1,{SU7},{' '.join(options)},{day}\n"
    batched = runner.invoke(app, ["batch", "-", "--input-format", "csv", *extra], input=rows)
    assert batched.exit_code == 0, batched.output
    row = next(csv.DictReader(io.StringIO(batched.stdout)))
    figures = quote["conversions"][0] if currency else quote
    assert row["code"] == quote["code"]
    assert row["subtotal"] == figures["subtotal"] and row["total"] == figures["total"]
    assert row["currency"] == (currency or quote["currency"])
    for index, tax in enumerate(quote["taxes"]):
        assert row[tax["id"]] == (figures["taxes"][index] if currency else tax["amount"])
