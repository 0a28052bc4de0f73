"""Helpers shared by the commands: the catalog tree, shared parameters (``--date``, option
codes), error reporting, safe output files."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from configurator.errors import CatalogError, ConfigurationError, ConfiguratorError, UsageError
from configurator.isodates import iso_day

# Safe outputs (-o, --save), for every command that writes:
from configurator.outputs import atomic_output as atomic_output
from configurator.outputs import plan_output as plan_output
from configurator.safetext import escape_controls

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


class DataFormat(StrEnum):
    """What commands that print data print: a table for people, JSON for programs."""

    table = "table"
    json = "json"


def format_option(help_text: str = "Output format.") -> Any:
    """``--format table|json`` (``-f``); see :func:`json_alias`."""
    return typer.Option("--format", "-f", help=help_text, show_default=True)


def json_alias() -> Any:
    """``--json``, kept as a hidden alias of ``--format json``."""
    return typer.Option("--json", help="Same as --format json.", hidden=True)


def date_option(help_text: str) -> Any:
    """The ``--date YYYY-MM-DD`` option (text, read with :func:`parse_date`)."""
    return typer.Option("--date", help=help_text, metavar="YYYY-MM-DD", show_default=False)


def option_codes_argument(help_text: str) -> Any:
    """The option and package codes a command takes as arguments (any number)."""
    return typer.Argument(
        help=help_text,
        metavar="OPTION-CODE",
        show_default=False,
        autocompletion=complete_codes,
    )


def model_argument(help_text: str = "Model id, e.g. xiaomi-su7-ultra.") -> Any:
    """A command's MODEL argument (shell completion: the tree's model ids)."""
    return typer.Argument(
        help=help_text, metavar="MODEL", show_default=False, autocompletion=complete_models
    )


def complete_models(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion: the model ids of the catalog tree that start with ``incomplete``."""
    from configurator.catalog.files import CatalogFiles, catalog_root

    try:
        ids = CatalogFiles(catalog_root(chosen_catalogs(ctx))).model_ids()
    except ConfiguratorError:
        return []
    return [model for model in ids if model.startswith(incomplete.lower())]


def complete_codes(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion after a model: its option and package codes not given yet."""
    model = ctx.params.get("model")
    if not model:
        return []
    try:
        catalog = tree(ctx).load(model)
    except ConfiguratorError:
        return []
    given = {code.upper() for code in ctx.params.get("options") or ()}
    codes = [o.code for g in catalog.groups for o in g.options]
    codes += [p.code for p in catalog.packages]
    wanted = incomplete.upper()
    return [code for code in codes if code.startswith(wanted) and code not in given]


def parse_date(text: str | None) -> dt.date:
    """``--date``: an ISO date, YYYY-MM-DD (only this form, as in batch rows); today when it
    is not given.

    A UsageError (exit code 2) for anything else, e.g. "--date '2025-13-01' is not a date:
    write YYYY-MM-DD, e.g. 2026-03-01".
    """
    if text is None:
        return dt.date.today()
    try:
        return iso_day(text)
    except ValueError:
        raise UsageError(
            f"--date '{text}' is not a date: write YYYY-MM-DD, e.g. 2026-03-01"
        ) from None


def optional_date(text: str | None) -> dt.date | None:
    """``--date`` for a command where no date means "whatever the date" (None)."""
    return None if text is None else parse_date(text)


def report_error(error: ConfiguratorError) -> None:
    """Print a user mistake on stderr: one line per problem, no traceback; control
    characters from the input are written visibly, never sent to the terminal."""
    lines: list[str] = []
    if isinstance(error, CatalogError):
        for problem in error.problems:
            lines.append(
                f"{problem.location}: {problem.severity}: {problem.message} [{problem.code}]"
            )
        count = len(error.problems)
        lines.append(f"{count} problem{'s' if count != 1 else ''} in the catalog")
    else:
        lines.append(f"error: {error.message}")
        if error.suggestion:
            lines.append(f"  {error.suggestion}")
        if isinstance(error, ConfigurationError):
            lines.extend(f"  {line}" for line in error.explanation)
    for line in lines:
        print(escape_controls(line), file=sys.stderr)
