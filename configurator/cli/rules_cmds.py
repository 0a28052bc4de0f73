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
    DataFormat,
    date_option,
    format_option,
    json_alias,
    model_argument,
    option_codes_argument,
    optional_date,
    parse_date,
    tree,
)


@app.command("available")
def available(
    ctx: typer.Context,
    model: Annotated[str, model_argument()],
    options: Annotated[
        list[str] | None, option_codes_argument("The option and package codes chosen so far.")
    ] = None,
    want: Annotated[
        str | None,
        typer.Option(
            "--want",
            help="Ask for one option: can it be chosen, why not, and every exact way to get it "
            "(the options to quote, the total and its change), cheapest first.",
            metavar="CODE",
            show_default=False,
        ),
    ] = None,
    date: Annotated[
        str | None, date_option("Judge availability on this day (default: today).")
    ] = None,
    output_format: Annotated[DataFormat, format_option()] = DataFormat.table,
    as_json: Annotated[bool, json_alias()] = False,
) -> None:
    """Show which options can still be chosen after some choices, and why the others cannot.

    Every group is listed with its options: available (some valid car has it with these
    choices) or not, with the reason: the rules that conflict and the choices involved (a
    minimal explanation). Choices that already conflict are rejected with their explanation
    (exit code 4). With --format json, a list of groups, each {group, options: [{code,
    available, reason, ...}]}.

    With --want CODE: whether CODE can be chosen, why not, and the alternatives, cheapest
    first, each a car that can be finished: {want, available, reason, alternatives: [{remove,
    add, options, total, delta, ...}]}, where options is what quote MODEL takes to price that
    car, total is exactly that quote's total and delta its difference from the current car.

    Example: configurator available xiaomi-su7-ultra BADGE-GOLD-24K --format json

    Example: configurator available porsche-taycan WHEEL-21-MISSION-E --want BADGE-EM-GOLD
    """
    from configurator.rules.select import engine_for

    fmt = DataFormat.json if as_json else output_format
    catalog = tree(ctx).load(model)
    on = parse_date(date)
    engine = engine_for(catalog, on)
    chosen = list(options or [])
    if want is not None:
        from configurator.pricing.engine import pricer
        from configurator.repairs import find_repairs

        market = tree(ctx).load_market(catalog.market)
        found = find_repairs(engine, pricer(catalog, market), on, chosen, want)
        if fmt is DataFormat.json:
            typer.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
            return
        from configurator.render import console
        from configurator.render.rules import repairs_view

        console().print(repairs_view(found, engine.names, catalog.currency))
        return
    groups = engine.availability(chosen)
    from configurator.render.rules import availability_data, availability_view

    if fmt is DataFormat.json:
        typer.echo(json.dumps(availability_data(groups), indent=2, ensure_ascii=False))
        return
    from configurator.render import console

    console().print(availability_view(groups, engine.count(chosen), catalog.currency))


def stats(
    ctx: typer.Context,
    model: Annotated[str, model_argument()],
    date: Annotated[
        str | None,
        date_option("Count with the options available on this day (default: all options)."),
    ] = None,
    output_format: Annotated[DataFormat, format_option()] = DataFormat.table,
    as_json: Annotated[bool, json_alias()] = False,
) -> None:
    """Analyse a catalog's solution space: how many valid configurations, dead and forced
    options, the cheapest and dearest valid cars (list prices), and the compile time.

    With --format json: configurations (the exact count, a decimal string), dead_options,
    forced_options, cheapest and dearest (amounts with two decimals), compile_seconds.

    Example: configurator catalog stats porsche-taycan --format json
    """
    from configurator.rules.select import catalog_stats

    catalog = tree(ctx).load(model)
    figures = catalog_stats(catalog, optional_date(date))
    if as_json or output_format is DataFormat.json:
        typer.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
        return
    from configurator.render import console
    from configurator.render.rules import stats_view

    console().print(stats_view(figures, catalog.currency))
