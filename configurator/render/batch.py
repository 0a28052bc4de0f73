"""Rendering for `configurator batch`: a progress bar on a terminal, and the run's summary."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from configurator.batch import ERROR_CODES, ProgressCallback, Summary


@contextmanager
def progress_bar(
    total_chars: int | None, stream: TextIO | None = None
) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on ``stream`` (stderr) when it is a terminal; else nothing at all.

    ``total_chars`` is the input's size when known (a file), for a bar with an end.
    """
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("pricing"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows ({task.fields[errors]:,} errors)"),
        TimeElapsedColumn(),
    ]
    if total_chars:
        columns.append(TimeRemainingColumn())
    else:
        columns.insert(2, MofNCompleteColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as progress:
        task = progress.add_task("batch", total=total_chars or None, rows=0, errors=0)

        def update(summary: Summary, chars_read: int) -> None:
            progress.update(task, completed=chars_read, rows=summary.rows, errors=summary.failed)

        yield update


def summary_text(summary: Summary) -> str:
    """The run in one line: rows, ok, errors by code, time and rows per second."""
    order = {code: index for index, code in enumerate(ERROR_CODES)}
    by_code = ", ".join(
        f"{code} {count:,}"
        for code, count in sorted(summary.errors.items(), key=lambda item: order.get(item[0], 99))
    )
    errors = f"{summary.failed:,} errors" + (f" ({by_code})" if by_code else "")
    text = (
        f"{summary.rows:,} rows: {summary.ok:,} ok, {errors}; "
        f"{summary.seconds:.2f} s, {summary.rows_per_second:,.0f} rows/s"
    )
    if summary.interrupted:
        text = f"interrupted after {text}"
    return text


def print_summary(summary: Summary, stream: TextIO | None = None) -> None:
    """Print the summary on stderr (the data goes to stdout or the output file)."""
    print(summary_text(summary), file=stream if stream is not None else sys.stderr, flush=True)
