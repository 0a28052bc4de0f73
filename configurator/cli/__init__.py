"""The command line: thin Typer commands that parse, call the core and render.

Errors from the core (:class:`~configurator.errors.ConfiguratorError`) are caught in one
place, :class:`_App.invoke`, printed as one clear message on stderr and mapped to the exit
codes of :class:`~configurator.errors.ExitCode`.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from configurator import __version__
from configurator.errors import CacheWarning, ConfiguratorError, ExitCode

# Command name -> the module of configurator.cli that registers it (with @app.command or
# app.add_typer). A module is imported only when one of its commands runs; --help, a missing
# or an unknown command import them all. TO ADD A COMMAND: add its name and module here (one
# line per top-level command name); this order is the order of `configurator --help`.
# tests/test_cli_lazy.py checks that every *_cmds module is listed and registers these names.
COMMANDS: dict[str, str] = {
    "batch": "batch_cmds",
    "configure": "configure_cmds",
    "models": "models_cmds",
    "show": "models_cmds",
    "quote": "quote_cmds",
    "compare": "compare_cmds",
    "available": "rules_cmds",
    "catalog": "catalog_cmds",
}


_show_warning = warnings.showwarning


def _warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    """The core's warnings about the cache, as one plain line on stderr."""
    if isinstance(category, type) and issubclass(category, CacheWarning):
        print(f"warning: {message}", file=sys.stderr)
        return
    _show_warning(message, category, *args, **kwargs)


warnings.showwarning = _warning


class _App(typer.core.TyperGroup):
    """The root command group: imports a command's module when the command is needed, and
    turns user mistakes into a message and an exit code."""

    _synced = -1  # how many commands and groups `app` had when `commands` was last built

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from configurator.cli.coercion import lighten

        lighten(self, ctx, own_context=True)
        return super().parse_args(ctx, args)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            _register(COMMANDS.get(cmd_name))  # an unknown name: all, for did-you-mean
            self._sync()
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            from configurator.cli.coercion import lighten

            lighten(command, ctx)
        return command

    def list_commands(self, ctx: Any) -> list[str]:
        _register()
        self._sync()
        return super().list_commands(ctx)

    def _sync(self) -> None:
        """Take in the commands registered on `app` since this group was built."""
        registered = len(app.registered_commands) + len(app.registered_groups)
        if registered == self._synced:
            return
        built = typer.main.get_command(app)
        rank = {name: index for index, name in enumerate(COMMANDS)}
        commands = getattr(built, "commands", {})
        self.commands = dict(
            sorted(commands.items(), key=lambda item: rank.get(item[0], len(rank)))
        )
        self._synced = registered

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ConfiguratorError as error:
            from configurator.cli.common import report_error

            report_error(error)
            ctx.exit(int(error.exit_code))
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))
        except typer.TyperException as error:  # a usage error Click found: its echo made safe
            message = getattr(error, "message", None)
            if isinstance(message, str):
                from configurator.errors import shorten_echoes
                from configurator.safetext import escape_controls

                error.message = escape_controls(shorten_echoes(message))
            raise
        except BrokenPipeError:  # the reader of our output stopped (`| head`): stop quietly
            from configurator.outputs import CLOSED_PIPE_EXIT

            _discard_standard_output()
            ctx.exit(CLOSED_PIPE_EXIT)
        except OSError as error:
            if error.errno not in _DISK_FULL:
                raise
            typer.echo(f"error: cannot write the output: {error.strerror}", err=True)
            _discard_standard_output()
            ctx.exit(int(ExitCode.USAGE))


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _discard_standard_output() -> None:
    """Send what is left in stdout's buffer to /dev/null, so that the flush at exit does not
    fail again (with Python's "Exception ignored" message)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


def _tolerant_streams() -> None:
    """Where stdout or stderr cannot encode all of Unicode (PYTHONIOENCODING=latin-1, an
    ASCII locale), write what they cannot as '?' rather than fail."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        if not encoding.startswith("utf") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


app = typer.Typer(
    cls=_App,
    name="configurator",
    help="Configure cars and price them exactly, from catalogs kept in YAML.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion: model ids, then the model's option codes
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # paragraphs reflow to the terminal; blank lines separate
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
    _tolerant_streams()
    ctx.obj = {"catalogs": catalogs}


def _register(module: str | None = None) -> None:
    """Import one command module of COMMANDS (None: all of them); importing registers."""
    from importlib import import_module

    for name in [module] if module else dict.fromkeys(COMMANDS.values()):
        import_module(f"configurator.cli.{name}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - outside Click's own handling
        sys.exit(int(ExitCode.INTERRUPTED))
