"""`configurator catalog lint | diff | test`: the catalog editor's workbench.

Registered on the `catalog` group by :mod:`configurator.cli.catalog_cmds`; the analyses are
in :mod:`configurator.workbench`, imported when a command runs.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from configurator.cli.catalog_cmds import ReportFormat, catalog_app
from configurator.cli.common import tree
from configurator.errors import ExitCode


@catalog_app.command("lint")
def lint(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None,
        typer.Argument(help="Model ids (default: every model).", metavar="[MODEL]..."),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="text (one line per finding) or json.")
    ] = ReportFormat.TEXT,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 3) on warnings too.")
    ] = False,
) -> None:
    """Find what a valid catalog can still get wrong: dead options, packages that can never
    be bought, redundant rules, price rules and discounts that never apply, options
    unavailable on every day of their window, unreachable programme minimums, prices without
    a source, missing Chinese names, paints without a swatch.

    Each finding is one line, `file:line:column: severity: message [id]`; with --format json,
    a list of objects with file, line, column, id, severity, subject, message and model.
    Exits 0 when there are only warnings (or none), 3 on errors, and with --strict 3 on
    warnings too. The catalogs must be valid first (`catalog validate`): otherwise their
    problems are listed and lint exits 3.

    Example: configurator catalog lint xiaomi-su7-ultra --strict
    """
    from configurator.workbench.lint import lint_catalogs

    chosen = tree(ctx)
    catalogs = [chosen.load(model) for model in models] if models else chosen.load_all()
    report = lint_catalogs(catalogs)
    if output_format is ReportFormat.JSON:
        typer.echo(
            json.dumps([f.as_dict() for f in report.findings], indent=2, ensure_ascii=False)
        )
    else:
        from configurator.render import console
        from configurator.render.workbench import lint_summary, print_findings

        print_findings(report.findings, console())
        console(stderr=True).print(lint_summary(report), soft_wrap=True)
    if report.fails(strict):
        raise typer.Exit(int(ExitCode.CATALOG_INVALID))
