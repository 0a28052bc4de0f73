"""`configurator quote`: price one configuration (or a configuration code) on a date.

A quote is a one-shot command, so this module imports only Typer and the light helpers of
:mod:`configurator.cli.common` at load time; the engine, the renderers and rich are imported
when the command runs, and only those it needs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from configurator.cli import app
from configurator.cli.common import (
    PRICE_DATE_HELP,
    atomic_output,
    chosen_catalogs,
    date_option,
    option_codes_argument,
    parse_date,
)
from configurator.errors import UsageError


class QuoteFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class Completion(StrEnum):
    cheapest = "cheapest"
    dearest = "dearest"


def parse_values(items: list[str] | None) -> dict[str, str]:
    """``--value CODE=VALUE`` (repeatable) as a mapping of upper-case codes to values."""
    values: dict[str, str] = {}
    for item in items or []:
        code, sep, value = item.partition("=")
        if not sep or not code.strip():
            raise UsageError(
                f"--value '{item}' is not CODE=VALUE, e.g. --value PAINT-TO-SAMPLE='Oak Green'"
            )
        values[code.strip().upper()] = value
    return values


@app.command("quote")
def quote(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        typer.Argument(
            help="Model id, e.g. xiaomi-su7-ultra (optional with --code).",
            metavar="MODEL",
            show_default=False,
        ),
    ] = None,
    options: Annotated[
        list[str] | None,
        option_codes_argument(
            "Option and package codes the buyer chooses; untouched groups keep defaults."
        ),
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value",
            help="A buyer-supplied value for an option, CODE=VALUE (repeatable).",
            metavar="CODE=VALUE",
            show_default=False,
        ),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            help="Price a configuration code (from an earlier quote) instead of options.",
            metavar="CODE",
            show_default=False,
        ),
    ] = None,
    date: Annotated[str | None, date_option(PRICE_DATE_HELP)] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="Also show amounts in this currency (approximate, at the market's dated rate).",
            metavar="USD|EUR",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        QuoteFormat, typer.Option("--format", "-f", help="Output format.")
    ] = QuoteFormat.table,
    complete: Annotated[
        Completion | None,
        typer.Option(
            "--complete",
            help="Fill the groups you leave alone with the cheapest or dearest valid choice "
            "(rules engine) instead of the defaults.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE (atomically) instead of stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Price a configuration: lines, subtotal, VAT, taxes on the date, total and a code.

    Groups you leave alone keep their defaults. Taxes follow the market's rules in force on
    --date. The quote's code reproduces it with --code. Exit codes: 2 usage, 3 catalog
    invalid, 4 configuration invalid (a minimal explanation: the options involved and the
    rules, each with its id and file:line).

    Example: configurator quote xiaomi-su7-ultra HOOD-CARBON-DUCTS --date 2026-03-01

    Example: configurator quote porsche-taycan PAINT-TO-SAMPLE --value PAINT-TO-SAMPLE=Oak -f json

    Example: configurator quote xiaomi-su7-ultra BADGE-GOLD-24K --complete cheapest
    """
    from configurator.catalog.files import catalog_root

    on = parse_date(date)
    currencies = [currency.strip().upper()] if currency else []
    root = catalog_root(chosen_catalogs(ctx))  # a missing tree first
    if code is not None:
        from configurator.catalog.loader import CatalogTree

        catalogs = CatalogTree(root)
        if options or value or complete:
            raise UsageError(
                "--code carries the whole configuration: give no option codes, --value "
                "or --complete"
            )
        from configurator.pricing.engine import price_code

        result = price_code(catalogs, code, on, currencies=currencies)
        if model is not None and model != result.model:
            raise UsageError(f"code '{code}' is a code of {result.model}, not of {model}")
    else:
        if model is None:
            raise UsageError(
                "name a model (e.g. configurator quote xiaomi-su7-ultra) or give --code CODE"
            )
        from configurator.configuration import Configuration
        from configurator.pricing.stored import model_pricer

        # The model's compiled pricer, kept on disk: a repeated quote reads no catalog.
        pricer = model_pricer(model, root)
        configuration = Configuration.of(model, options or [], parse_values(value))
        if complete is not None:
            from configurator.catalog.loader import CatalogTree
            from configurator.rules.select import complete_configuration

            catalog = CatalogTree(root).load(model)
            configuration = complete_configuration(catalog, configuration, complete.value, on)
        result = pricer.price(configuration, on, currencies=currencies)

    with atomic_output(output) as out:
        if output_format is QuoteFormat.json:
            out.write(result.to_json_text())  # no rendering package: JSON needs no rich
        elif output_format is QuoteFormat.markdown:
            from configurator.render.quote import quote_markdown

            out.write(quote_markdown(result))
        else:
            from configurator.render.quote import print_quote

            if output is None:
                from configurator.render import console

                print_quote(result, console())
            else:
                from rich.console import Console

                print_quote(result, Console(file=out, no_color=True, width=120, highlight=False))
