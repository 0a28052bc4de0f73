"""`configurator catalog lint | test | diff`: the catalog editor's workbench.

Registered on the `catalog` group by :mod:`configurator.cli.catalog_cmds` (this module never
imports that one); the analyses are in :mod:`configurator.workbench`, imported when a command
runs.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from configurator.cli.common import tree
from configurator.errors import ExitCode, UsageError


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


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
    """Find what a valid catalog still gets wrong, each finding at its file:line:column.

    Dead options, packages that can never be bought, false-optional options, redundant rules,
    price rules and discounts that never apply, options unavailable on every day of their
    window, unreachable programme minimums, prices without a source, missing Chinese names,
    paints without a swatch (the ids: docs/catalog-editing.md).

    Each finding is one line, `file:line:column: severity: message [id]`; with --format json,
    a list of objects with file, line, column, id, severity, subject, message and model. A
    comment `# lint: ignore[ID]` on the line a finding points at silences it. Exits 0 when
    there are only warnings (or none), 3 on errors, and with --strict 3 on warnings too. The
    catalogs must be valid first (`catalog validate`): otherwise their problems are listed
    and lint exits 3.

    Example: configurator catalog lint xiaomi-su7-ultra --strict
    """
    from configurator.workbench.lint import lint_catalogs

    chosen = tree(ctx)
    catalogs = [chosen.load(model) for model in models] if models else chosen.load_all()
    report = lint_catalogs(catalogs, chosen.root)
    if output_format is ReportFormat.JSON:
        typer.echo(json.dumps([f.as_dict() for f in report.findings], indent=2, ensure_ascii=False))
    else:
        from configurator.render import console
        from configurator.render.workbench import lint_summary, print_findings

        print_findings(report.findings, console())
        console(stderr=True).print(lint_summary(report), soft_wrap=True)
    if report.fails(strict):
        raise typer.Exit(int(ExitCode.CATALOG_INVALID))


def test(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None,
        typer.Argument(help="Model ids (default: every model with cases).", metavar="[MODEL]..."),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Rewrite the expectations of failing cases from what the catalog gives now.",
        ),
    ] = False,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="text (failures only) or json (every case).")
    ] = ReportFormat.TEXT,
) -> None:
    """Run the golden cases kept beside the catalogs (`<brand>/<model>.cases.yaml`).

    Each case is a configuration (options, values, a date) and what it must give: amounts
    (subtotal, total, the amount of a code's lines) or `invalid` with an error code. Every
    failing case is listed with its `file:line` and each difference at the line of the
    expected value. With --update, failing cases get their expectations rewritten (the rest
    of the file is left as it is): review the change with `git diff` before committing it.
    Exits 0 when every case passes, 3 when one fails or a case file is invalid.

    Example: configurator catalog test xiaomi-su7-ultra
    """
    from configurator.workbench.cases import run_cases, update_cases

    chosen = tree(ctx)
    wanted = list(models) if models else None
    from configurator.render import console

    if update:
        for file, count in update_cases(chosen, wanted):
            console(stderr=True).print(
                f"{file}: {count} case{'s' if count != 1 else ''} updated", soft_wrap=True
            )
    report = run_cases(chosen, wanted)
    if output_format is ReportFormat.JSON:
        typer.echo(json.dumps([r.as_dict() for r in report.results], indent=2, ensure_ascii=False))
    else:
        from configurator.render.workbench import case_summary, print_case_failures

        print_case_failures(report, console())
        console(stderr=True).print(case_summary(report), soft_wrap=True)
    if report.failed:
        raise typer.Exit(int(ExitCode.CATALOG_INVALID))


def diff(
    ctx: typer.Context,
    trees: Annotated[
        list[Path] | None,
        typer.Argument(
            help="OLD and NEW catalog trees (folders); with --rev, at most one: the tree.",
            metavar="OLD NEW",
            show_default=False,
        ),
    ] = None,
    rev: Annotated[
        str | None,
        typer.Option(
            "--rev",
            help="Compare the tree with its state at this git revision (e.g. main, HEAD~1).",
            metavar="REV",
        ),
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Only this model (repeatable).", metavar="MODEL"),
    ] = None,
    orders: Annotated[
        str | None,
        typer.Option(
            "--orders",
            help="Orders to re-price under both versions: any batch input (.csv, .jsonl, .yaml).",
            metavar="FILE",
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            help="Format of --orders (default: from its extension).",
            metavar="csv|jsonl|yaml",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Count with the options available on this day, and price undated orders on "
            "it (default: counts ignore availability; orders are priced today).",
            metavar="YYYY-MM-DD",
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="text or json.")
    ] = ReportFormat.TEXT,
) -> None:
    """Show what changed between two catalog trees, model by model, and its effect.

    For every model that changed: options and packages added, removed and repriced, and
    changes to groups, packages, rules, price rules and discounts, programmes and the
    market's taxes. Then the exact number of valid configurations before and after (as
    `catalog stats` counts them) and how many were lost and gained, with the example closest
    to the standard car. With --orders, every order is priced under both versions and
    classified: unchanged, repriced (old and new totals), invalid under the new catalogs
    (error code and explanation), or now-valid.

    With --format json: {"models": [{"model", "status", "added", "removed", "repriced":
    [{"code", "old", "new"}], "rules": {"added", "removed", "changed"}, ..., "configurations":
    {"old", "new", "lost", "gained", ...}}], "unchanged", "orders": [{"id", "status",
    "old_total", "new_total", "error_code", ...}]}, counts and amounts as decimal strings.
    Exits 0 (a diff is a report, not a verdict); 2 for a bad tree or revision, 3 when a
    catalog of either tree is invalid.

    Example: configurator catalog diff --rev main catalogs --orders orders.csv
    """
    from configurator.catalog.loader import CatalogTree
    from configurator.cli.common import optional_date
    from configurator.workbench.diff import classify_orders, diff_trees, tree_at_revision

    given = list(trees or [])
    on = optional_date(date)
    for path in given:
        if not path.is_dir():
            raise UsageError(f"'{path}' is not a catalog tree (a folder)")

    def run(old: CatalogTree, new: CatalogTree) -> None:
        found = diff_trees(old, new, models, on)
        if orders is not None:
            from dataclasses import replace

            found = replace(found, orders=classify_orders(old, new, orders, input_format, on))
        if output_format is ReportFormat.JSON:
            typer.echo(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
            return
        from configurator.render import console
        from configurator.render.workbench import diff_lines

        out = console()
        for line in diff_lines(found):
            out.print(line, soft_wrap=True)

    if rev is not None:
        if len(given) > 1:
            raise UsageError("with --rev, give at most one tree (compared with itself at REV)")
        new = CatalogTree(given[0]) if given else tree(ctx)
        with tree_at_revision(new.root, rev) as old:
            run(old, new)
        return
    if len(given) != 2:
        raise UsageError(
            "give two catalog trees, OLD and NEW, or --rev REV to compare with a git revision"
        )
    run(CatalogTree(given[0]), CatalogTree(given[1]))
