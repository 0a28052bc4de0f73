"""`configurator batch`: price a file of configurations, one output row per input row."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from configurator.cli import app
from configurator.cli.common import atomic_output, date_option, parse_date, tree
from configurator.errors import ExitCode, UsageError


@app.command("batch")
def batch(
    ctx: typer.Context,
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Rows to price: a .csv, .jsonl, .yaml or .parquet file, or - for stdin.",
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
            "--output-format",
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
            "--jobs", "-j", min=1, help="Worker processes (output keeps the input's order)."
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
    catalogs = tree(ctx)
    in_format = input_format_for(input_path, input_format)
    out_format = output_format_for(output, output_format, in_format)
    default_date = parse_date(date)
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
    to_file = output is not None and output != "-"
    try:
        with (
            terminate_as_interrupt(),
            source if size is not None else contextlib.nullcontext(),
            progress_bar(size if in_format != "parquet" else None) as progress,
            atomic_output(output, binary=out_format == "parquet") as handle,
            _sink(handle, out_format, settings.tax_ids) as sink,
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
            typer.echo(f"no output written to {output}", err=True)
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
def _sink(handle: IO[Any], out_format: str, tax_ids: tuple[str, ...]) -> Iterator[Any]:
    """The output stream, or for Parquet a writer of row groups over it (closed, with its
    footer, only when the run succeeds)."""
    if out_format != "parquet":
        yield handle
        return
    from configurator.columnar import ParquetSink

    sink = ParquetSink(handle, tax_ids)
    yield sink
    sink.close()


def _open_input(path: str, *, binary: bool = False) -> tuple[IO[Any], int | None]:
    """The input as text (UTF-8, a byte-order mark skipped, newlines kept for csv), or bytes
    (Parquet, read whole from stdin since it needs to seek), and its size when it is a file."""
    if binary:
        if path == "-":
            return io.BytesIO(sys.stdin.buffer.read()), None
        target = Path(path)
        if not target.is_file():
            raise UsageError(
                f"input file '{path}' does not exist"
                if not target.exists()
                else f"'{path}' is not a file"
            )
        return target.open("rb"), os.path.getsize(target)
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # already text (some embedding); newlines may have been translated
            return sys.stdin, None
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="strict"), None
    target = Path(path)
    if not target.is_file():
        raise UsageError(
            f"input file '{path}' does not exist"
            if not target.exists()
            else f"'{path}' is not a file"
        )
    try:
        handle = target.open("r", encoding="utf-8-sig", newline="")
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror}") from None
    return handle, os.path.getsize(target)
