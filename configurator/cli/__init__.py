"""The command line: thin Typer commands that parse, call the core and render.

Errors from the core (:class:`~configurator.errors.ConfiguratorError`) are caught in one
place, :class:`_App.invoke`, printed as one clear message on stderr and mapped to the exit
codes of :class:`~configurator.errors.ExitCode`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
import typer.core

from configurator import __version__
from configurator.errors import ConfiguratorError, ExitCode


class _App(typer.core.TyperGroup):
    """The root command group: turns user mistakes into a message and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfiguratorError as error:
            from configurator.cli.common import report_error

            report_error(error)
            ctx.exit(int(error.exit_code))
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))


app = typer.Typer(
    cls=_App,
    name="configurator",
    help="Configure cars and price them exactly, from catalogs kept in YAML.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"configurator {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    catalogs: Annotated[
        str | None,
        typer.Option(
            "--catalogs",
            envvar="CONFIGURATOR_CATALOGS",
            help="Catalog tree to use instead of the shipped one.",
            metavar="DIR",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Configure cars and price them exactly, from catalogs kept in YAML."""
    ctx.obj = {"catalogs": catalogs}


def _register() -> None:
    # Each module adds its own commands to `app`; importing them registers them.
    from configurator.cli import batch_cmds, catalog_cmds, models_cmds, quote_cmds  # noqa: F401


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - outside Click's own handling
        sys.exit(int(ExitCode.INTERRUPTED))
