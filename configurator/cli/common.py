"""Helpers shared by the commands: the catalog tree, error reporting, safe output files."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import typer

from configurator.errors import CatalogError, ConfigurationError, ConfiguratorError

if TYPE_CHECKING:  # the loader (pydantic, YAML) is imported by the commands that load
    from configurator.catalog.loader import CatalogTree


def tree(ctx: typer.Context) -> CatalogTree:
    """The catalog tree chosen with --catalogs / $CONFIGURATOR_CATALOGS, or the shipped one."""
    from configurator.catalog.loader import open_tree

    root_ctx = ctx.find_root()
    catalogs = (root_ctx.obj or {}).get("catalogs") if root_ctx.obj else None
    return open_tree(catalogs)


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
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[IO[str]]:
    """Write to ``path`` through a temporary file renamed at the end (stdout for None or '-').

    An error or interrupt leaves no file behind: never a half-written output.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    # Not a `with` block: the file must outlive it, to be renamed or removed below.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w",
        encoding="utf-8",
        newline="",
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
