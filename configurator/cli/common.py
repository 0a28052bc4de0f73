"""Helpers shared by the commands: the catalog tree, shared parameters (``--date``, option
codes), error reporting, safe output files."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from configurator.errors import CatalogError, ConfigurationError, ConfiguratorError, UsageError

if TYPE_CHECKING:  # the loader (pydantic, YAML) is imported by the commands that load
    from configurator.catalog.loader import CatalogTree


def chosen_catalogs(ctx: typer.Context) -> str | None:
    """The tree given with --catalogs / $CONFIGURATOR_CATALOGS (None: the shipped one)."""
    root_obj = ctx.find_root().obj
    return root_obj.get("catalogs") if root_obj else None


def tree(ctx: typer.Context) -> CatalogTree:
    """The catalog tree chosen with --catalogs / $CONFIGURATOR_CATALOGS, or the shipped one."""
    from configurator.catalog.loader import open_tree

    return open_tree(chosen_catalogs(ctx))


# --- parameters several commands take ----------------------------------------------------------


PRICE_DATE_HELP = "Price under the rules in force on this day (default: today)."


def date_option(help_text: str) -> Any:
    """The ``--date YYYY-MM-DD`` option (text, read with :func:`parse_date`)."""
    return typer.Option("--date", help=help_text, metavar="YYYY-MM-DD", show_default=False)


def option_codes_argument(help_text: str) -> Any:
    """The option and package codes a command takes as arguments (any number)."""
    return typer.Argument(help=help_text, metavar="OPTION-CODE", show_default=False)


def parse_date(text: str | None) -> dt.date:
    """``--date``: an ISO date, YYYY-MM-DD; today when it is not given.

    A UsageError (exit code 2) for anything else, e.g. "--date '2025-13-01' is not a date:
    write YYYY-MM-DD, e.g. 2026-03-01".
    """
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--date '{text}' is not a date: write YYYY-MM-DD, e.g. 2026-03-01"
        ) from None


def optional_date(text: str | None) -> dt.date | None:
    """``--date`` for a command where no date means "whatever the date" (None)."""
    return None if text is None else parse_date(text)


def report_error(error: ConfiguratorError) -> None:
    """Print a user mistake on stderr: one line per problem, no traceback."""
    out = sys.stderr
    if isinstance(error, CatalogError):
        for problem in error.problems:
            print(f"{problem.location}: error: {problem.message} [{problem.code}]", file=out)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} in the catalog", file=out)
        return
    print(f"error: {error.message}", file=out)
    if error.suggestion:
        print(f"  {error.suggestion}", file=out)
    if isinstance(error, ConfigurationError):
        for line in error.explanation:
            print(f"  {line}", file=out)


@contextmanager
def atomic_output(
    path: str | os.PathLike[str] | None, *, binary: bool = False
) -> Iterator[IO[Any]]:
    """Write to ``path`` through a temporary file renamed at the end (stdout for None or '-').

    An error or interrupt leaves no file behind: never a half-written output. ``binary``
    gives a byte stream (e.g. Parquet) instead of UTF-8 text.
    """
    if path is None or str(path) == "-":
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    # Not a `with` block: the file must outlive it, to be renamed or removed below.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "wb" if binary else "w",
        encoding=None if binary else "utf-8",
        newline=None if binary else "",
        dir=directory,
        prefix=f".{target.name}.",
        suffix=".tmp",
        delete=False,
    )
    try:
        with handle:
            yield handle
        os.chmod(handle.name, _new_file_mode(target))  # temp files are 0600; outputs are not
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _new_file_mode(target: Path) -> int:
    """The mode a plain ``open(target, "w")`` would give: the existing file's, or 0666 - umask."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
