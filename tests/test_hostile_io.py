"""Hostile input and hostile surroundings (issue 14, part A): outputs that are not plain
files, broken batch input, dying parents, resource bombs, escape sequences, closed pipes,
full disks, odd encodings and signals. Each test reproduces a class of fault, not one case.

No test writes with ``-o`` onto the machine's own /dev nodes: devices, FIFOs and links are
made under the test's temporary folder.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from configurator import batch as batch_module
from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app, configure_cmds
from configurator.codes import MAX_CODE_CHARS, _parse, codebook, decode
from configurator.configuration import Configuration
from configurator.errors import BadValueError, CodeError, ExitCode, shorten_echoes
from configurator.render import SafeConsole
from configurator.safetext import control_character, escape_controls

SU7 = "xiaomi-su7-ultra"
TAYCAN = "porsche-taycan"
DATE = ["--date", "2026-03-01"]
ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process (what a shell does)."""
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs.setdefault("capture_output", True)
    kwargs.setdefault("timeout", 60)
    return subprocess.run([sys.executable, "-m", "configurator", *args], text=True, **kwargs)


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# --- data loss: -o onto devices, FIFOs, symbolic links, /dev/stdout ------------------------


def test_output_onto_a_device_writes_through_and_keeps_the_device(
    runner: CliRunner, tmp_path: Path
) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a null device of our own
    except PermissionError:
        pytest.skip("creating a device node needs root")
    try:
        device.open("w").close()
    except OSError:
        pytest.skip("the temporary folder is mounted without devices")
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    for args in (
        ["quote", SU7, "-f", "json", "-o", str(device)],
        ["batch", str(orders), "--output-format", "csv", "-o", str(device)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert stat.S_ISCHR(device.lstat().st_mode), args  # still the device, not a file
    assert no_temporary_files(tmp_path)


def test_output_onto_a_fifo_writes_into_it(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "quotes.csv"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\nr2,{SU7},\n")
    result = runner.invoke(app, ["batch", str(orders), "-o", str(fifo), *DATE])
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still the reader's pipe
    assert [row["id"] for row in csv_rows(received[0])] == ["r1", "r2"]


def test_output_through_a_symbolic_link_writes_its_target(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = write(tmp_path / "target.json", "old")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to("created.json")
    elsewhere = tmp_path / "real"
    elsewhere.mkdir()
    (tmp_path / "folder-link").symlink_to(elsewhere)
    for path in (link, dangling, tmp_path / "folder-link" / "quote.json"):
        result = runner.invoke(app, ["quote", SU7, "-f", "json", "-o", str(path), *DATE])
        assert result.exit_code == 0, result.output
    assert link.is_symlink() and dangling.is_symlink()  # links are never replaced
    assert json.loads(target.read_text())["model"] == SU7  # their targets are written
    assert json.loads((tmp_path / "created.json").read_text())["model"] == SU7
    assert json.loads((elsewhere / "quote.json").read_text())["model"] == SU7
    assert (tmp_path / "folder-link").is_symlink()
    assert no_temporary_files(tmp_path)
    # and through a link to a FIFO: written through, both stay what they are
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "pipe-link").symlink_to(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    result = runner.invoke(app, ["quote", SU7, "-f", "json", "-o", str(tmp_path / "pipe-link")])
    reader.join(10)
    assert result.exit_code == 0 and json.loads(received[0])["model"] == SU7
    assert (tmp_path / "pipe-link").is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_output_to_dev_stdout_is_standard_output(tmp_path: Path) -> None:
    captured = tmp_path / "captured.json"
    with captured.open("w") as stdout:
        done = cli(
            "quote",
            SU7,
            "-f",
            "json",
            "-o",
            "/dev/stdout",
            *DATE,
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(captured.read_text())["model"] == SU7
    piped = cli("quote", SU7, "-f", "json", "-o", "/dev/stdout", *DATE)
    assert piped.returncode == 0 and json.loads(piped.stdout)["model"] == SU7
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    rows = cli("batch", str(orders), "-o", "/dev/stdout", *DATE)
    assert rows.returncode == 0, rows.stderr
    assert csv_rows(rows.stdout)[0]["id"] == "r1"  # the input's format, as for '-'

    assert no_temporary_files(tmp_path)


def test_batch_refuses_to_write_over_its_own_input(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    before = orders.read_bytes()
    (tmp_path / "alias.csv").symlink_to(orders.name)
    os.link(orders, tmp_path / "hard.csv")
    monkeypatch.chdir(tmp_path)  # restored afterwards: later tests rely on the working folder
    for source, output in (
        ("orders.csv", "orders.csv"),  # the same path
        ("orders.csv", "./orders.csv"),  # the same path once resolved
        ("alias.csv", "orders.csv"),  # through a link
        ("hard.csv", "orders.csv"),  # the same inode
    ):
        result = runner.invoke(app, ["batch", source, "-o", output])
        assert result.exit_code == ExitCode.USAGE, (source, output, result.output)
        assert "is the input file" in result.stderr
        assert orders.read_bytes() == before
    assert no_temporary_files(tmp_path)


# --- data loss: every input record gets exactly one output row ------------------------------


def test_a_broken_quote_loses_no_row(runner: CliRunner, tmp_path: Path) -> None:
    """An unterminated quote at line 1,002 of 3,000 rows: one bad row with its id, all others
    priced; also when the quote is broken in the middle of a field and at the last line."""
    lines = ["id,model,options"]
    for number in range(1, 3001):
        if number == 1001:
            lines.append(f'o{number},{SU7},"PKG-TRACK')  # never closed
        elif number == 2000:
            lines.append(f'o{number},{SU7},"PKG-TRACK"x')  # text after the closing quote
        else:
            lines.append(f"o{number},{SU7},")
    lines.append(f'o3001,{SU7},"')
    orders = write(tmp_path / "orders.csv", "\n".join(lines) + "\n")
    result = runner.invoke(app, ["batch", str(orders), "-o", str(tmp_path / "out.csv"), *DATE])
    assert result.exit_code == ExitCode.ROWS_FAILED, result.output
    rows = csv_rows((tmp_path / "out.csv").read_text(encoding="utf-8"))
    assert [row["id"] for row in rows] == [f"o{n}" for n in range(1, 3002)]
    failed = {row["id"]: row["error"] for row in rows if row["status"] == "error"}
    assert set(failed) == {"o1001", "o2000", "o3001"}
    assert failed["o1001"].startswith("line 1002: not valid CSV: a quoted field is never closed")
    assert failed["o2000"].startswith("line 2001: not valid CSV: text follows the closing quote")


def test_a_broken_quote_in_a_big_file_is_read_in_linear_time() -> None:
    """After an unclosed quote every newline looks quoted: finding record ends must stay one
    pass (counting quotes from the start for each newline took 150 s for 200,000 rows)."""
    lines = [f"o{n},{SU7},PKG-TRACK" for n in range(100_000)]
    lines[1000] = f'o1000,{SU7},"PKG-TRACK'
    text = "id,model,options\n" + "\n".join(lines) + "\n"
    started = time.perf_counter()
    _, chunks = batch_module.read_chunks(io.StringIO(text), "csv", "orders.csv")
    records = sum(chunk.text.count("\n") for chunk in chunks)
    assert records == 100_000
    assert time.perf_counter() - started < 3


def test_broken_json_lines_keep_their_ids(runner: CliRunner, tmp_path: Path) -> None:
    text = (
        json.dumps({"id": "j1", "model": SU7})
        + '\n{"id": "j2", "model": "'
        + SU7
        + '"\n{"id": 3, "model": '
        + "\n"
        + json.dumps({"id": "j4", "model": SU7})
        + '\n{"id": "j5", "model": "x", "options": '
        + "[" * 100_000  # nested too deeply for the JSON parser's recursion
        + "\n"
    )
    orders = write(tmp_path / "orders.jsonl", text)
    result = runner.invoke(app, ["batch", str(orders), *DATE])
    assert result.exit_code == ExitCode.ROWS_FAILED
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["status"]) for r in rows] == [
        ("j1", "ok"),
        ("j2", "error"),
        ("3", "error"),
        ("j4", "ok"),
        ("j5", "error"),
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_carriage_return_line_ends(runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    """Classic Mac line ends (a lone CR): every record read, line numbers right."""
    if suffix == "csv":
        records = ["id,model,options", f"c1,{SU7},", f"c2,{SU7},NOPE", f'c3,{SU7},"PKG-TRACK"']
    else:
        records = [
            json.dumps({"id": "c1", "model": SU7}),
            json.dumps({"id": "c2", "model": SU7, "options": "NOPE"}),
            json.dumps({"id": "c3", "model": SU7, "options": "PKG-TRACK"}),
        ]
    orders = write(tmp_path / f"orders.{suffix}", "\r".join(records) + "\r")
    result = runner.invoke(app, ["batch", str(orders), "--output-format", "csv", *DATE])
    assert result.exit_code == ExitCode.ROWS_FAILED, result.output
    rows = csv_rows(result.stdout)
    assert [(r["id"], r["status"]) for r in rows] == [
        ("c1", "ok"),
        ("c2", "error"),
        ("c3", "ok"),
    ]
    line = 3 if suffix == "csv" else 2
    assert rows[1]["error"].startswith(f"line {line}: 'NOPE' is not an option")
    # a stray carriage return inside a line-feed file: that record's error, the rest kept
    mixed = write(tmp_path / "mixed.csv", f"id,model,options\nm1,{SU7},a\rb\nm2,{SU7},\n")
    result = runner.invoke(app, ["batch", str(mixed), *DATE])
    rows = csv_rows(result.stdout)
    assert [(r["id"], r["status"]) for r in rows] == [("m1", "error"), ("m2", "ok")]
    assert "carriage return" in rows[0]["error"] and "Traceback" not in result.output


def test_a_128_kb_field_keeps_its_row_and_is_not_echoed_whole(
    runner: CliRunner, tmp_path: Path
) -> None:
    huge = "A" * (128 * 1024)
    orders = write(
        tmp_path / "orders.csv",
        f'id,model,options\nk1,{SU7},"{huge}"\nk2,{SU7},{huge}\nk3,{SU7},\n',
    )
    result = runner.invoke(app, ["batch", str(orders), *DATE])
    assert result.exit_code == ExitCode.ROWS_FAILED
    rows = csv_rows(result.stdout)
    assert [(r["id"], r["error_code"]) for r in rows] == [
        ("k1", "unknown_option"),
        ("k2", "unknown_option"),
        ("k3", ""),
    ]
    assert all(len(row["error"]) < 300 for row in rows)  # shortened, with the length said
    assert "(131,072 characters)" in rows[0]["error"]


def test_a_line_with_no_end_fails_the_file_naming_its_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_module, "MAX_RECORD_CHARS", 4096)
    monkeypatch.setattr(batch_module, "CHUNK_CHARS", 1024)
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\nr2,{SU7}," + "x" * 9000)
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["batch", str(orders), "-o", str(target), *DATE])
    assert result.exit_code == ExitCode.USAGE
    assert f"{orders}:3:1: the line is longer than 4,096 characters" in result.stderr
    assert not target.exists() and no_temporary_files(tmp_path)


def test_workers_exit_when_the_main_process_is_killed(tmp_path: Path) -> None:
    """kill -9 of `batch --jobs 2`: the workers die with it, so a caller reading the pipes
    sees their end at once."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs for two workers")
    orders = write(
        tmp_path / "orders.csv",
        "id,model,options\n" + "".join(f"r{n},{SU7},\n" for n in range(200_000)),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "configurator", "batch", str(orders), "--jobs", "2", *DATE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
            workers = (
                [int(pid) for pid in children.read_text().split()] if children.exists() else []
            )
        assert len(workers) >= 2, "the workers did not start"
        process.stdout.read(100)  # type: ignore[union-attr]  # rows are flowing
        process.kill()
        started = time.monotonic()
        process.communicate(timeout=10)  # the pipes end: no worker holds them
        assert time.monotonic() - started < 5
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_running(pid) for pid in workers):
            time.sleep(0.05)
        assert not any(_running(pid) for pid in workers)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has exited (nobody reaped it yet)


# --- resource exhaustion ------------------------------------------------------------------------


def test_jobs_are_capped_at_the_cpus_and_must_be_positive(
    runner: CliRunner, tmp_path: Path
) -> None:
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    cpus = len(os.sched_getaffinity(0))
    result = runner.invoke(app, ["batch", str(orders), "--jobs", "99999", *DATE])
    assert result.exit_code == 0, result.output
    assert f"note: --jobs 99999 is more than the {cpus} CPU" in result.stderr
    assert f"using {cpus}" in result.stderr
    for jobs in ("0", "-3"):
        result = runner.invoke(app, ["batch", str(orders), f"--jobs={jobs}", *DATE])
        assert result.exit_code == ExitCode.USAGE, result.output
        assert "Traceback" not in result.output


def test_yaml_alias_bombs_are_refused_at_once(runner: CliRunner, tmp_path: Path) -> None:
    levels = ["- &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"- &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    bomb = write(
        tmp_path / "bomb.yaml", "\n".join(levels) + f"\n- {{id: b, model: {SU7}, options: *a8}}\n"
    )
    hidden = write(  # anchors inside one row
        tmp_path / "hidden.yaml",
        f"- id: b\n  model: {SU7}\n  x: &a [y, y, y, y, y, y, y, y, y, y]\n"
        + "".join(
            f"  x{n}: &a{n} [{', '.join(['*a' if n == 0 else f'*a{n - 1}'] * 10)}]\n"
            for n in range(8)
        ),
    )
    recursive = write(tmp_path / "recursive.yaml", f"- {{id: r, model: {SU7}, options: &r [*r]}}\n")
    deep = write(tmp_path / "deep.yaml", "- " + "[" * 20_000 + "]" * 20_000 + "\n")
    for path in (bomb, hidden, recursive, deep):
        started = time.perf_counter()
        result = runner.invoke(app, ["batch", str(path), "--output-format", "csv", *DATE])
        assert time.perf_counter() - started < 1.0
        assert result.exit_code == ExitCode.USAGE, result.output
        assert "alias" in result.stderr or "nested more than 20 deep" in result.stderr
        assert "Traceback" not in result.output


def test_a_megabyte_code_is_refused_at_once_and_decoding_is_linear(
    runner: CliRunner, tmp_path: Path
) -> None:
    huge = "7" * 1_000_000
    started = time.perf_counter()
    with pytest.raises(CodeError, match="at most 8,192 characters"):
        _parse(huge)
    assert time.perf_counter() - started < 0.05
    orders = write(tmp_path / "orders.csv", f"id,model,code\nh1,,{huge}\nh2,{SU7},\n")
    started = time.perf_counter()
    result = runner.invoke(app, ["batch", str(orders), *DATE])
    assert time.perf_counter() - started < 5
    rows = csv_rows(result.stdout)
    assert [(r["id"], r["error_code"]) for r in rows] == [("h1", "bad_code"), ("h2", "")]
    assert len(rows[0]["error"]) < 400
    # the longest code allowed (values of 2,000 bytes each) decodes in a few milliseconds
    tree = CatalogTree(default_catalog_root())
    catalog = tree.load(TAYCAN)
    book = codebook(catalog)
    values = {code: "x" * 500 for code in sorted(book.ids)[:8]}
    code = book.encode([], values)
    assert len(code.replace("-", "")) <= MAX_CODE_CHARS
    started = time.perf_counter()
    payload = _parse(code)
    assert time.perf_counter() - started < 0.05
    assert sorted(payload.explicit.values()) == ["x" * 500] * 8


# --- terminal injection ---------------------------------------------------------------------------


def test_control_characters_in_buyer_values_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    # --value
    result = runner.invoke(
        app, ["quote", TAYCAN, "PAINT-TO-SAMPLE", "--value", f"PAINT-TO-SAMPLE=Oak{ESCAPES}"]
    )
    assert result.exit_code == ExitCode.CONFIGURATION_INVALID
    assert "\x1b" not in result.output and "control character (\\x1b)" in result.stderr
    # the library itself, whatever the front end; tabs, newlines, bidi overrides included
    for bad in ("a\tb", "a\nb", "a\u202eb", "a\x9bb", "a\x00b"):
        with pytest.raises(BadValueError):
            Configuration.of(TAYCAN, ["PAINT-TO-SAMPLE"], {"PAINT-TO-SAMPLE": bad})
    # batch cells, CSV and JSON lines
    orders = write(
        tmp_path / "orders.csv",
        f'id,model,options\nv1,{TAYCAN},"PAINT-TO-SAMPLE=Oak\x1b[2J;"\n',
    )
    rows = csv_rows(runner.invoke(app, ["batch", str(orders), *DATE]).stdout)
    assert rows[0]["error_code"] == "bad_value"
    lines = write(
        tmp_path / "orders.jsonl",
        json.dumps({"id": "v2", "model": TAYCAN, "options": [f"PAINT-TO-SAMPLE=a{ESCAPES}"]})
        + "\n",
    )
    out = json.loads(runner.invoke(app, ["batch", str(lines), *DATE]).stdout)
    assert out["error_code"] == "bad_value"
    # a code carrying such a value (made by hand: encoding refuses it too)
    tree = CatalogTree(default_catalog_root())
    code = codebook(tree.load(TAYCAN)).encode(["PAINT-TO-SAMPLE"], {"PAINT-TO-SAMPLE": ESCAPES})
    with pytest.raises(BadValueError):
        decode(code, tree)
    result = runner.invoke(app, ["quote", "--code", code])
    assert result.exit_code == ExitCode.CONFIGURATION_INVALID
    assert "\x1b" not in result.output


def test_text_from_data_is_escaped_before_the_terminal(runner: CliRunner) -> None:
    assert control_character("Oak Green") is None
    assert control_character(f"Oak{ESCAPES}") == "\\x1b"
    assert escape_controls(f"a{ESCAPES}\tb\n") == "a\\x1b]0;PWNED\\x07\\x1b[2J\tb\n"
    # every rich console of the CLI
    stream = io.StringIO()
    console = SafeConsole(file=stream, force_terminal=True, width=60, highlight=False)
    console.print(f"[bold]name[/bold] {ESCAPES} \u202eevil")
    printed = stream.getvalue()
    assert "\x1b]0" not in printed and "\x1b[2J" not in printed and "\u202e" not in printed
    assert "\\x1b]0;PWNED" in printed and "\x1b[1m" in printed  # rich's own styles pass
    # error messages that echo the input
    for args in (["quote", f"model{ESCAPES}"], ["quote", SU7, f"OPT{ESCAPES}"]):
        result = runner.invoke(app, args)
        assert result.exit_code in (ExitCode.USAGE, ExitCode.CONFIGURATION_INVALID)
        assert "\x1b" not in result.stderr and "\\x1b" in result.stderr
    for args in (["quote", "--code", "ABCD-EFGH-\x1b[2J"], [f"model{ESCAPES}"]):
        result = runner.invoke(app, args)
        assert result.exit_code == ExitCode.USAGE and "\x1b" not in result.stderr


def test_batch_rows_on_a_terminal_are_escaped_and_in_a_pipe_unchanged(tmp_path: Path) -> None:
    import pty

    orders = write(tmp_path / "orders.csv", f'id,model,options\n"x{ESCAPES}y",{SU7},\n')
    piped = cli("batch", str(orders), *DATE)
    assert csv_rows(piped.stdout)[0]["id"] == f"x{ESCAPES}y"  # data, unchanged
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "configurator", "batch", str(orders), *DATE],
            stdout=secondary,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        os.close(secondary)
        seen = b""
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:  # the terminal's other end closed
                break
            if not data:
                break
            seen += data
    finally:
        os.close(primary)
    assert done.returncode == 0
    assert b"\x1b" not in seen and b"x\\x1b]0;PWNED\\x07\\x1b[2Jy" in seen


# --- smaller ones: configure --------------------------------------------------------------------


def test_configure_takes_superscripts_and_circled_digits_as_no_command(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configure_cmds, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(configure_cmds, "stdout_is_terminal", lambda: True)
    lines = ["²", "①", "j ²", "٣", "9" * 5000, "/paint", "²", "", "q"]
    result = runner.invoke(
        app, ["configure", SU7, *DATE], input="".join(f"{line}\n" for line in lines) + "\n" * 30
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "'²' is neither a command nor an option code" in result.output
    assert "'①' is neither a command nor an option code" in result.output


def test_configure_needs_standard_output_on_a_terminal(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configure_cmds, "stdin_is_terminal", lambda: True)
    result = runner.invoke(app, ["configure", SU7], input="\n")
    assert result.exit_code == ExitCode.USAGE
    assert "standard output is not a terminal" in result.stderr
    # a real terminal on stdin and a pipe on stdout: refused at once, no hang
    import pty

    primary, secondary = pty.openpty()
    try:
        done = cli("configure", SU7, stdin=secondary, timeout=30)
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == ExitCode.USAGE
    assert "standard output is not a terminal" in done.stderr


def test_ctrl_c_while_starting_exits_130_quietly() -> None:
    """An interrupt while the command's modules are still being imported (the first tenth
    of a second): exit 130, no traceback. The timer fires 5 ms into the imports."""
    program = (
        "import signal, sys\n"
        "from configurator.__main__ import main\n"
        "signal.signal(signal.SIGALRM, signal.default_int_handler)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.005)\n"
        "sys.argv = ['configurator', 'models']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == ExitCode.INTERRUPTED, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr


# --- smaller ones: output errors, pipes, encodings ----------------------------------------------


def test_output_errors_are_found_before_the_work(runner: CliRunner, tmp_path: Path) -> None:
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    (tmp_path / "a-folder").mkdir()
    cases = {
        str(tmp_path / "missing" / "out.csv"): "the folder",
        str(tmp_path / "a-folder"): "is a folder",
    }
    for output, said in cases.items():
        for args in (["batch", str(orders)], ["quote", SU7]):
            result = runner.invoke(app, [*args, "-o", output])
            assert result.exit_code == ExitCode.USAGE, (args, result.output)
            assert said in result.stderr and ".tmp" not in result.stderr
    assert no_temporary_files(tmp_path)


def test_a_read_only_folder_is_refused_before_the_work(
    runner: CliRunner, request: pytest.FixtureRequest
) -> None:
    """Run as a user without write access (root writes anywhere: a forked child drops to
    nobody, with every module the command needs already imported)."""
    import tempfile

    # a folder that the other user can reach (pytest's own is private to its user)
    folder = Path(tempfile.mkdtemp(prefix="configurator-read-only-"))
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    locked = folder / "locked"
    locked.mkdir()
    orders = write(folder / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    warm = runner.invoke(app, ["batch", str(orders), "-o", str(folder / "warm.csv"), *DATE])
    assert warm.exit_code == 0, warm.output
    locked.chmod(0o555)
    folder.chmod(0o755)
    orders.chmod(0o644)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 3
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            os.environ["CONFIGURATOR_CACHE_DIR"] = ""
            result = runner.invoke(app, ["batch", str(orders), "-o", str(locked / "out.csv")])
            said = "is read-only" in result.stderr and ".tmp" not in result.stderr
            code = 0 if result.exit_code == ExitCode.USAGE and said else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    locked.chmod(0o755)
    assert os.waitstatus_to_exitcode(status) == 0
    assert list(locked.iterdir()) == []


def test_a_full_disk_on_standard_output_is_a_clear_error(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    orders = write(tmp_path / "orders.csv", f"id,model,options\nr1,{SU7},\n")
    for args in (["batch", str(orders)], ["quote", SU7]):  # our writer; rich's console
        with open("/dev/full", "w") as full:  # standard output only: never -o onto /dev
            done = cli(*args, *DATE, stdout=full, stderr=subprocess.PIPE)
        assert done.returncode == ExitCode.USAGE, (args, done.stderr)
        assert "No space left on device" in done.stderr
        assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_a_closed_output_pipe_stops_quietly(tmp_path: Path) -> None:
    orders = write(
        tmp_path / "orders.csv",
        "id,model,options\n" + "".join(f"r{n},{SU7},\n" for n in range(30_000)),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "configurator", "batch", str(orders), *DATE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"id,model")  # `| head -1`
    process.stdout.close()
    error = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 141  # as `cat` reports a closed pipe
    assert error == ""


def test_an_output_encoding_without_chinese_falls_back(tmp_path: Path) -> None:
    """Text for people falls back to '?'; batch data stays UTF-8, as in a file."""
    environment = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    outputs = []
    for args in (["show", SU7], ["batch", "-", "--input-format", "csv"]):
        done = subprocess.run(
            [sys.executable, "-m", "configurator", *args],
            capture_output=True,
            env=environment,
            input=f"id,model,options\n订单-1,{SU7},\n".encode(),
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode("latin-1")
        assert b"Traceback" not in done.stderr
        outputs.append(done.stdout)
    assert b"?" in outputs[0]  # the Chinese names of the catalog, replaced
    assert csv_rows(outputs[1].decode("utf-8"))[0]["id"] == "订单-1"


def test_batch_reads_pipes(runner: CliRunner, tmp_path: Path) -> None:
    """`batch <(cat ok.csv)`: the shell passes a pipe (here a FIFO)."""
    fifo = tmp_path / "orders.csv"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w") as pipe:
            pipe.write(f"id,model,options\np1,{SU7},\n")

    writer = threading.Thread(target=feed)
    writer.start()
    result = runner.invoke(app, ["batch", str(fifo), *DATE])
    writer.join(10)
    assert result.exit_code == 0, result.output
    assert csv_rows(result.stdout)[0]["id"] == "p1"
    result = runner.invoke(app, ["batch", str(tmp_path), "--input-format", "csv"])
    assert result.exit_code == ExitCode.USAGE and "is a folder" in result.stderr


# --- smaller ones: messages ------------------------------------------------------------------


def test_invalid_utf8_is_reported_with_its_line(runner: CliRunner, tmp_path: Path) -> None:
    for name, head in (("orders.csv", "id,model,options\n"), ("orders.jsonl", "")):
        rows = "".join(
            (
                f"r{n},{SU7},\n"
                if name.endswith("csv")
                else json.dumps({"id": n, "model": SU7}) + "\n"
            )
            for n in range(5000)
        )
        data = (head + rows).encode() + b"r\xe9,x,\n"
        path = tmp_path / name
        path.write_bytes(data)
        line = (head + rows).count("\n") + 1
        result = runner.invoke(app, ["batch", str(path), "-o", str(tmp_path / "out.csv"), *DATE])
        assert result.exit_code == ExitCode.USAGE, result.output
        assert f"{path}:{line}:2: the input is not UTF-8 text (byte 0xe9)" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_long_inputs_are_not_echoed_whole(runner: CliRunner) -> None:
    long = "X" * 20_000
    for args in (
        ["quote", long],
        ["quote", SU7, long],
        ["quote", SU7, "--date", long],
        ["quote", SU7, "--value", f"{long}"],
        ["quote", "--code", long],
        ["quote", SU7, "--currency", long],
        ["quote", SU7, "--format", long],  # Click's own messages too
        [long],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code in (ExitCode.USAGE, ExitCode.CONFIGURATION_INVALID), args
        assert len(result.stderr) < 1000, args
    assert shorten_echoes(f"'{long}' is bad").endswith("… (20,000 characters)' is bad")


# --- smaller ones: consistency -------------------------------------------------------------


def test_a_value_given_twice_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "quote",
            TAYCAN,
            "PAINT-TO-SAMPLE",
            "--value",
            "PAINT-TO-SAMPLE=Oak",
            "--value",
            "paint-to-sample=Elm",
        ],
    )
    assert result.exit_code == ExitCode.USAGE and "given twice" in result.stderr
    orders = write(
        tmp_path / "orders.jsonl",
        '{"id": "d1", "model": "porsche-taycan", "model": "xiaomi-su7-ultra"}\n'
        + json.dumps(
            {"id": "d2", "model": TAYCAN, "options": "PAINT-TO-SAMPLE=a; PAINT-TO-SAMPLE=b;"}
        )
        + "\n",
    )
    rows = [
        json.loads(line) for line in runner.invoke(app, ["batch", str(orders)]).stdout.splitlines()
    ]
    assert [(r["id"], r["error_code"]) for r in rows] == [("d1", "bad_row"), ("d2", "bad_row")]
    assert "the key 'model' appears twice" in rows[0]["error"]
    yaml_rows = write(tmp_path / "orders.yaml", f"- id: y1\n  model: {SU7}\n  model: {TAYCAN}\n")
    result = runner.invoke(app, ["batch", str(yaml_rows), "--output-format", "csv"])
    assert csv_rows(result.stdout)[0]["error_code"] == "bad_row"


@pytest.mark.parametrize(
    "day", ["20260301", "2026-W09-1", "2026-3-1", "２０２６-03-01", "2026-02-30"]
)
def test_one_date_form_for_quote_and_batch(runner: CliRunner, tmp_path: Path, day: str) -> None:
    result = runner.invoke(app, ["quote", SU7, "--date", day])
    assert result.exit_code == ExitCode.USAGE and "write YYYY-MM-DD" in result.stderr
    orders = write(tmp_path / "orders.csv", f"id,model,options,date\nr1,{SU7},,{day}\n")
    rows = csv_rows(runner.invoke(app, ["batch", str(orders)]).stdout)
    assert rows[0]["error_code"] == "bad_row" and "write YYYY-MM-DD" in rows[0]["error"]
    result = runner.invoke(app, ["batch", str(orders), "--date", day])
    assert result.exit_code == ExitCode.USAGE
