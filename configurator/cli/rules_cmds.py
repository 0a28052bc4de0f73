"""`configurator available` and `configurator catalog stats` (registered by catalog_cmds): the
rules engine's answers.

Only Typer is imported at load time; the engine (numpy, CUDD, the SAT solver) and rich are
imported when a command runs.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from configurator.cli import app
from configurator.cli.common import (
    date_option,
    option_codes_argument,
    optional_date,
    parse_date,
    tree,
)


@app.command("available")
def available(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model id, e.g. xiaomi-su7-ultra.", metavar="MODEL")],
    options: Annotated[
        list[str] | None, option_codes_argument("The option and package codes chosen so far.")
    ] = None,
    date: Annotated[
        str | None, date_option("Judge availability on this day (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Show which options can still be chosen after some choices, and why the others cannot.

    Every group is listed with its options: available (some valid car has it with these
    choices) or not, with the reason: the rules that conflict and the choices involved (a
    minimal explanation). Choices that already conflict are rejected with their explanation
    (exit code 4). With --json, a list of groups, each {group, options: [{code, available,
    reason, ...}]}.

    Example: configurator available xiaomi-su7-ultra BADGE-GOLD-24K --json
    """
    from configurator.rules.engine import engine_for

    catalog = tree(ctx).load(model)
    engine = engine_for(catalog, parse_date(date))
    chosen = list(options or [])
    groups = engine.availability(chosen)
    from configurator.render.rules import availability_data, availability_view

    if as_json:
        typer.echo(json.dumps(availability_data(groups), indent=2, ensure_ascii=False))
        return
    from configurator.render import console

    console().print(availability_view(groups, engine.count(chosen), catalog.currency))


def stats(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model id, e.g. xiaomi-su7-ultra.", metavar="MODEL")],
    date: Annotated[
        str | None,
        date_option("Count with the options available on this day (default: all options)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Analyse a catalog's solution space: how many valid configurations, dead and forced
    options, the cheapest and dearest valid cars (list prices), and the compile time.

    With --json: configurations (the exact count, a decimal string), dead_options,
    forced_options, cheapest and dearest (amounts with two decimals), compile_seconds.

    Example: configurator catalog stats porsche-taycan --json
    """
    from configurator.rules.engine import catalog_stats

    catalog = tree(ctx).load(model)
    figures = catalog_stats(catalog, optional_date(date))
    if as_json:
        typer.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
        return
    from configurator.render import console
    from configurator.render.rules import stats_view

    console().print(stats_view(figures, catalog.currency))
