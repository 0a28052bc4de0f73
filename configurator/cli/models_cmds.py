"""`configurator models` and `configurator show`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from configurator.catalog.export import catalog_data, model_summary
from configurator.cli import app
from configurator.cli.common import (
    DataFormat,
    format_option,
    json_alias,
    model_argument,
    tree,
)
from configurator.errors import UsageError


@app.command("models")
def models(
    ctx: typer.Context,
    output_format: Annotated[DataFormat, format_option()] = DataFormat.table,
    as_json: Annotated[bool, json_alias()] = False,
) -> None:
    """List the models of the catalog tree: id, brand, name, base price, powertrain.

    With --format json, a list of objects; base_price is a string with two decimals
    ("529900.00").

    Example: configurator models --format json
    """
    chosen = tree(ctx)
    catalogs = chosen.load_all()
    if not catalogs:
        raise UsageError(
            f"no models were found in {chosen.display(chosen.root)}: a catalog tree holds "
            f"<brand>/<model>.yaml files and markets/<id>.yaml"
        )
    if as_json or output_format is DataFormat.json:
        data = [model_summary(catalog) for catalog in catalogs]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    from configurator.render import console
    from configurator.render.catalog import models_table

    console().print(models_table(catalogs))


@app.command("show")
def show(
    ctx: typer.Context,
    model: Annotated[str, model_argument()],
    output_format: Annotated[DataFormat, format_option()] = DataFormat.table,
    as_json: Annotated[bool, json_alias()] = False,
) -> None:
    """Show a model's catalog: groups, options and prices, packages, programmes and rules.

    With --format json, the catalog as data: a flat `options` list (code, name, price, group, ...)
    beside groups, packages, rules and programmes; amounts are strings with two decimals.

    Example: configurator show xiaomi-su7-ultra
    """
    catalog = tree(ctx).load(model)
    if as_json or output_format is DataFormat.json:
        typer.echo(json.dumps(catalog_data(catalog), indent=2, ensure_ascii=False))
        return
    from configurator.render import console
    from configurator.render.catalog import catalog_view

    console().print(catalog_view(catalog))
