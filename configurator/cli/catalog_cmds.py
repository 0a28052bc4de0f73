"""`configurator catalog ...`: validate, schema."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from configurator.catalog.export import schema_text
from configurator.catalog.loader import CatalogTree
from configurator.cli import app
from configurator.cli.common import atomic_output, json_alias, tree
from configurator.errors import ExitCode, Problem, UsageError
from configurator.safeio import resolved

catalog_app = typer.Typer(help="Check and analyse catalogs.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _tree_for(path: Path, chosen: CatalogTree) -> CatalogTree:
    """The tree a file belongs to: the chosen one when inside it, else ``<root>/<brand>/file``."""
    root = chosen.root.resolve()
    if resolved(path).is_relative_to(root):
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
                inner = chosen if resolved(path) == resolved(chosen.root) else CatalogTree(path)
                found += [(inner, file) for file in inner.all_files()]
        elif os.path.lexists(path):  # a FIFO, a device, a link loop: reported when read
            found.append((_tree_for(path, chosen), path))
        else:
            raise UsageError(f"'{path}' does not exist")
    return list(dict.fromkeys(found))


def _summary(checked: list[tuple[CatalogTree, Path]], problems: list[Problem]) -> str:
    warnings = [p for p in problems if not p.is_error]
    problems = [p for p in problems if p.is_error]
    noted = f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else ""
    if problems:
        files = len({problem.location.file for problem in problems})
        return (
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in "
            f"{files} file{'s' if files != 1 else ''}{noted}"
        )
    kinds = [CatalogTree.kind_of(path) for _, path in checked]
    counts = [
        (kinds.count("model"), "catalog"),
        (kinds.count("fragment"), "fragment"),
        (kinds.count("market"), "market"),
    ]
    if kinds.count("cases"):
        counts.append((kinds.count("cases"), "case file"))
    listed = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts)
    return f"{listed}: all valid{noted}"


def _usability(owner: CatalogTree, path: Path) -> list[Problem]:
    """A valid catalog that admits no car, or whose standard car breaks a rule."""
    from configurator.errors import CatalogError
    from configurator.rules.explain import usability_problems

    try:
        catalog = owner.load_file(path)
    except CatalogError:
        return []  # its problems are reported already
    return usability_problems(catalog)


@catalog_app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Catalog, fragment or market files, or folders (default: all).",
            metavar="FILE|DIR...",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="text (one line per problem) or json.")
    ] = ReportFormat.TEXT,
    as_json: Annotated[bool, json_alias()] = False,
) -> None:
    """Check catalogs, fragments and markets, and report every problem at once.

    Golden case files (`<brand>/<model>.cases.yaml`, run by `catalog test`) are checked too.
    Each problem is one line, `file:line:column: error: message [code]`; with --format json,
    a list of objects with file, line, column, code, message and severity. Beyond the format,
    a model must admit at least one car and its standard car (the defaults) must keep every
    rule. Exits 0 when all is valid (warnings, such as a tax period that never applies, do
    not count) and 3 when there is a problem.

    Example: configurator catalog validate catalogs/xiaomi/su7-ultra.yaml
    """
    from configurator.render import console
    from configurator.render.catalog import print_problems

    chosen = tree(ctx)
    checked = files_to_check(list(paths or []), chosen)
    problems: list[Problem] = []
    for owner, path in checked:
        if owner.kind_of(path) == "cases":  # golden cases: configurator.workbench.cases
            from configurator.workbench.cases import read_case_file

            problems += read_case_file(path, owner.display(path))[1]
            continue
        found = owner.problems_in(path)
        problems += found
        if owner.kind_of(path) == "model" and not any(p.is_error for p in found):
            problems += _usability(owner, path)
    problems = list(dict.fromkeys(problems))
    if as_json or output_format is ReportFormat.JSON:
        typer.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        print_problems(problems, console())
        console(stderr=True).print(_summary(checked, problems), soft_wrap=True)
    if any(p.is_error for p in problems):
        raise typer.Exit(int(ExitCode.CATALOG_INVALID))


@catalog_app.command("schema")
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write (default: standard output).", metavar="FILE"
        ),
    ] = None,
    market: Annotated[
        bool, typer.Option("--market", help="The schema of market files instead.")
    ] = False,
    cases: Annotated[
        bool, typer.Option("--cases", help="The schema of golden case files instead.")
    ] = False,
) -> None:
    """Write the JSON Schema of catalog files (model catalogs and fragments), or of markets.

    Editors use it to complete and check fields: every shipped catalog starts with
    `# yaml-language-server: $schema=../schema/catalog.schema.json`.

    With --cases, the schema of golden case files (`<brand>/<model>.cases.yaml`, run by
    `catalog test`).

    Example: configurator catalog schema --output catalogs/schema/catalog.schema.json
    """
    if market and cases:
        raise UsageError("--market and --cases: choose one schema")
    with atomic_output(output) as handle:
        if cases:
            from configurator.workbench.cases import cases_schema_text

            handle.write(cases_schema_text())
        else:
            handle.write(schema_text(market=market))


class ExportFormat(StrEnum):
    UVL = "uvl"


@catalog_app.command("import")
def import_model(
    source: Annotated[
        Path, typer.Argument(help="A feature model in UVL (.uvl).", metavar="FILE.uvl")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="The catalog tree to write into.", metavar="DIR")
    ],
    brand: Annotated[
        str, typer.Option("--brand", help="Brand folder (the model id's first part).")
    ] = "uvl",
    market: Annotated[str, typer.Option("--market", help="Market id to write or use.")] = "uvl",
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 currency.")] = "EUR",
) -> None:
    """Import a UVL feature model as a catalog: DIR/BRAND/NAME.yaml and, when absent,
    DIR/markets/MARKET.yaml (no taxes), so that `--catalogs DIR` prices it at once.

    Every feature becomes an option (abstract ones too, price 0 unless a `price` attribute
    says otherwise) whose code derives from the feature name (docs/uvl.md: reversible, e.g.
    `Engine` -> `ENGINE--1Y`) and whose name is the feature name; groups become groups
    below their parent feature, child implies parent, and cross-tree constraints become
    rules. Mistakes in the file are reported as file:line:column (exit code 3); nothing is
    written then.

    Example: configurator catalog import car.uvl --out mine
    """
    from configurator.uvl.convert import import_uvl

    if not source.is_file():
        raise UsageError(f"'{source}' is not a file")
    result = import_uvl(source, out, brand=brand, market=market, currency=currency.upper())
    lines = [
        f"wrote {result.catalog_file}: model {result.model_id}, {result.features:,} options "
        f"in {result.groups:,} groups, {result.rules:,} rules "
        f"({result.constraints:,} cross-tree constraints)",
        f"wrote {result.market_file}"
        if result.market_written
        else f"kept {result.market_file} (already there)",
    ]
    if not result.valid:
        lines.append("warning: the feature model has no valid configuration")
    lines.append(f"next: configurator --catalogs {out} catalog stats {result.model_id}")
    typer.echo("\n".join(lines), err=True)


@catalog_app.command("export")
def export_model(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model id, e.g. uvl-car.", metavar="MODEL")],
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="The format to write (uvl).")
    ] = ExportFormat.UVL,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
) -> None:
    """Write a catalog as a UVL feature model (flamapy and other UVL tools read it).

    The valid configurations are the same: options and packages become features (named by
    the feature name their code came from, or by their code), groups keep their cardinality,
    rules, brings, package contents and tables become constraints. Availability dates,
    price rules, discounts and minimum spends have no UVL form and are left out (the file's
    header says so).

    Example: configurator catalog export porsche-taycan --format uvl -o taycan.uvl
    """
    from configurator.uvl.export import uvl_text

    catalog = tree(ctx).load(model)
    text = uvl_text(catalog)
    with atomic_output(output) as handle:
        handle.write(text)


# `catalog stats` is the rules engine's answer, written in configurator/cli/rules_cmds.py and
# registered here, after validate and schema: this module imports that one, never the reverse.
from configurator.cli.rules_cmds import stats  # noqa: E402

catalog_app.command("stats")(stats)

# `catalog lint`, `catalog test` and `catalog diff`, the editor's workbench, are written in
# configurator/cli/catalog_workbench.py and registered here in the same way.
from configurator.cli.catalog_workbench import diff, lint, test  # noqa: E402

catalog_app.command("lint")(lint)
catalog_app.command("test")(test)
catalog_app.command("diff")(diff)
