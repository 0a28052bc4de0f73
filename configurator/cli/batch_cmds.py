"""`configurator batch`: price a file of configurations, one output row per input row."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from configurator.cli import app
from configurator.cli.common import atomic_output, date_option, parse_date, plan_output, tree
from configurator.errors import ExitCode, UsageError
from configurator.outputs import OutputPlan, atomic_binary_output
from configurator.safetext import escape_controls


@app.command("batch")
def batch(
    ctx: typer.Context,
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Rows to price: a .csv, .jsonl, .yaml or .parquet file, a pipe, or - for stdin.",
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="OUTPUT",
            help="Where to write: a .csv, .jsonl or .parquet file, or - (default) for stdout.",
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            metavar="csv|jsonl|yaml|parquet",
            help="Input format (default: from INPUT's extension).",
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "--output-format",
            "-f",
            metavar="csv|jsonl|parquet",
            help="Output format (default: from OUTPUT's extension; on stdout, the input's format).",
        ),
    ] = None,
    date: Annotated[
        str | None,
        date_option("Price as on this date, for rows without their own (default: today)."),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            metavar="X",
            help="Write amounts converted to this currency (approximate: the market's dated rate).",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help="Worker processes, at most the CPUs (output keeps the input's order).",
        ),
    ] = 1,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Stop at the first row that cannot be priced (and write no output file).",
        ),
    ] = False,
) -> None:
    """Price many configurations: one output row (ok or error) per input row, streamed.

    An input row has id, model, and either options (codes separated by spaces or ';',
    CODE=VALUE for a buyer-supplied value) or code (a configuration code); an optional
    date. A bad row becomes an error row with a stable error_code and its line number;
    the run goes on. The summary goes to stderr. Exit 0 when every row priced, 5 when
    some did not, 2 for a usage error, 130 when interrupted (no output file is left).

    Example: configurator batch orders.csv -o quotes.csv --date 2026-03-01 --jobs 2

    Example: cat orders.jsonl | configurator batch - --input-format jsonl -o -

    Example: configurator batch orders.parquet -o quotes.parquet
    """
    from configurator.batch import (
        RowFailedError,
        Settings,
        Summary,
        input_format_for,
        market_tax_ids,
        output_format_for,
        run_batch,
        terminate_as_interrupt,
    )
    from configurator.render.batch import print_summary, progress_bar

    summary = Summary()  # times the whole run, catalog loading included
    destination = plan_output(output, input_path=input_path)  # before any work
    in_format = input_format_for(input_path, input_format)
    named = None if destination.mode == "stdout" else output  # /dev/stdout is as '-'
    out_format = output_format_for(named, output_format, in_format)
    default_date = parse_date(date)
    jobs = _usable_jobs(jobs)
    catalogs = tree(ctx)
    if currency is not None:
        currency = currency.strip().upper()
    settings = Settings(
        catalogs=str(catalogs.root),
        default_date=default_date,
        tax_ids=market_tax_ids(catalogs.root),
        output_format=out_format,
        currency=currency,
        fail_fast=fail_fast,
    )
    source, size = _open_input(input_path, binary=in_format == "parquet")
    to_file = destination.mode != "stdout"
    try:
        with (
            terminate_as_interrupt(),
            source if input_path != "-" else contextlib.nullcontext(),
            progress_bar(size if in_format != "parquet" else None) as progress,
            _sink(destination, out_format, settings.tax_ids) as sink,
        ):
            run_batch(
                source,
                sink,
                chunks=_parquet_rows(source, input_path) if in_format == "parquet" else None,
                input_format=in_format,
                settings=settings,
                summary=summary,
                jobs=jobs,
                name=input_path if input_path != "-" else "<stdin>",
                progress=progress,
            )
    except KeyboardInterrupt:
        print_summary(summary)
        if to_file:
            typer.echo(f"no output written to {escape_controls(str(output))}", err=True)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except RowFailedError:
        print_summary(summary)
        raise
    print_summary(summary)
    raise typer.Exit(int(summary.exit_code))


def _parquet_rows(source: IO[bytes], name: str) -> Iterator[Any]:
    from configurator.columnar import parquet_chunks

    return parquet_chunks(source, name if name != "-" else "<stdin>")


@contextlib.contextmanager
def _sink(destination: OutputPlan, out_format: str, tax_ids: tuple[str, ...]) -> Iterator[Any]:
    """The output stream (UTF-8 text), or for Parquet a writer of row groups over a byte
    stream (closed, with its footer, only when the run succeeds)."""
    if out_format != "parquet":
        with atomic_output(destination, utf8=True) as handle:
            yield handle
        return
    from configurator.columnar import ParquetSink

    with atomic_binary_output(destination) as raw:
        sink = ParquetSink(raw, tax_ids)
        yield sink
        sink.close()


def _usable_jobs(jobs: int) -> int:
    """``--jobs``: at least 1; more workers than CPUs only cost memory, so at most the CPUs
    this process may run on (a note says so)."""
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: give a number of worker processes, 1 or more")
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    if jobs > cpus:
        typer.echo(
            f"note: --jobs {jobs} is more than the {cpus} CPU{'s' if cpus != 1 else ''} "
            f"available: using {cpus}",
            err=True,
        )
        return cpus
    return jobs


def _open_input(path: str, *, binary: bool = False) -> tuple[IO[Any], int | None]:
    """The input as text (UTF-8, a byte-order mark skipped, newlines kept for csv), or bytes
    (Parquet, read whole from stdin or a pipe since it needs to seek), and its size when it
    is a regular file. Pipes (``<(cat file)``, FIFOs) are read like stdin.

    Undecodable text bytes are kept as surrogates (``surrogateescape``) so the reader can
    name the line they are on."""
    if binary:
        return _open_binary_input(path)
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # already text (some embedding); newlines may have been translated
            return sys.stdin, None
        return io.TextIOWrapper(
            raw, encoding="utf-8-sig", newline="", errors="surrogateescape"
        ), None
    target = Path(path)
    status = _input_status(target, path)
    try:
        handle = target.open("r", encoding="utf-8-sig", newline="", errors="surrogateescape")
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror}") from None
    return handle, status.st_size if stat.S_ISREG(status.st_mode) else None


def _input_status(target: Path, path: str) -> os.stat_result:
    """The input file's status; a missing, unreadable or folder input is a usage error."""
    try:
        status = target.stat()
    except FileNotFoundError:
        raise UsageError(f"input file '{path}' does not exist") from None
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"'{path}' is a folder: name the file to read")
    return status


def _open_binary_input(path: str) -> tuple[IO[bytes], int | None]:
    if path == "-":
        return io.BytesIO(sys.stdin.buffer.read()), None
    target = Path(path)
    status = _input_status(target, path)
    try:
        if not stat.S_ISREG(status.st_mode):  # a pipe: Parquet needs to seek
            with target.open("rb") as pipe:
                return io.BytesIO(pipe.read()), None
        return target.open("rb"), status.st_size
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror}") from None
