"""`configurator catalog ...`: validate, schema, stats."""

from __future__ import annotations

import typer

from configurator.cli import app

catalog_app = typer.Typer(help="Check and analyse catalogs.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
