"""`configurator catalog ...`: validate, schema."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from configurator.catalog.export import schema_text
from configurator.catalog.loader import CatalogTree
from configurator.cli import app
from configurator.cli.common import atomic_output, tree
from configurator.errors import ExitCode, Problem, UsageError

catalog_app = typer.Typer(help="Check and analyse catalogs.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _tree_for(path: Path, chosen: CatalogTree) -> CatalogTree:
    """The tree a file belongs to: the chosen one when inside it, else ``<root>/<brand>/file``."""
    root = chosen.root.resolve()
    if path.resolve().is_relative_to(root):
        return chosen
    return CatalogTree(path.parent.parent)


def files_to_check(paths: list[Path], chosen: CatalogTree) -> list[tuple[CatalogTree, Path]]:
    """Every (tree, file) to validate: the whole chosen tree, or the files and folders given.

    A folder holding brand folders is a catalog tree; a folder of YAML files is one brand (or
    ``markets``) of the tree above it.
    """
    if not paths:
        return [(chosen, path) for path in chosen.all_files()]
    found: list[tuple[CatalogTree, Path]] = []
    for path in paths:
        if path.is_file():
            found.append((_tree_for(path, chosen), path))
        elif path.is_dir():
            if any(path.glob("*.yaml")) and path.name != "schema":
                parent = _tree_for(path / "x.yaml", chosen)
                found += [(parent, file) for file in sorted(path.glob("*.yaml"))]
            else:
                inner = chosen if path.resolve() == chosen.root.resolve() else CatalogTree(path)
                found += [(inner, file) for file in inner.all_files()]
        else:
            raise UsageError(f"'{path}' does not exist")
    return list(dict.fromkeys(found))


def _summary(checked: list[tuple[CatalogTree, Path]], problems: list[Problem]) -> str:
    if problems:
        files = len({problem.location.file for problem in problems})
        return (
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in "
            f"{files} file{'s' if files != 1 else ''}"
        )
    kinds = [CatalogTree.kind_of(path) for _, path in checked]
    counts = [
        (kinds.count("model"), "catalog"),
        (kinds.count("fragment"), "fragment"),
        (kinds.count("market"), "market"),
    ]
    listed = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts)
    return f"{listed}: all valid"


@catalog_app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Catalog, fragment or market files, or folders (default: all)."),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="text (one line per problem) or json.")
    ] = ReportFormat.TEXT,
) -> None:
    """Check catalogs, fragments and markets, and report every problem at once.

    Each problem is one line, `file:line:column: error: message [code]`; with --format json,
    a list of objects with file, line, column, code and message. Exits 0 when all is valid
    and 3 when there is a problem.

    Example: configurator catalog validate catalogs/xiaomi/su7-ultra.yaml
    """
    from configurator.render import console
    from configurator.render.catalog import print_problems

    chosen = tree(ctx)
    checked = files_to_check(list(paths or []), chosen)
    problems: list[Problem] = []
    for owner, path in checked:
        problems += owner.problems_in(path)
    problems = list(dict.fromkeys(problems))
    if output_format is ReportFormat.JSON:
        typer.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        print_problems(problems, console())
        console(stderr=True).print(_summary(checked, problems), soft_wrap=True)
    if problems:
        raise typer.Exit(int(ExitCode.CATALOG_INVALID))


@catalog_app.command("schema")
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
    market: Annotated[
        bool, typer.Option("--market", help="The schema of market files instead.")
    ] = False,
) -> None:
    """Write the JSON Schema of catalog files (model catalogs and fragments), or of markets.

    Editors use it to complete and check fields: every shipped catalog starts with
    `# yaml-language-server: $schema=../schema/catalog.schema.json`.

    Example: configurator catalog schema --output catalogs/schema/catalog.schema.json
    """
    with atomic_output(output) as handle:
        handle.write(schema_text(market=market))


# `catalog stats` is the rules engine's answer, written in configurator/cli/rules_cmds.py and
# registered here, after validate and schema: this module imports that one, never the reverse.
from configurator.cli.rules_cmds import stats  # noqa: E402

catalog_app.command("stats")(stats)
