"""`configurator compare`: two or more configurations side by side."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from configurator.cli import app
from configurator.cli.common import PRICE_DATE_HELP, atomic_output, date_option, parse_date, tree
from configurator.errors import UsageError


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"
    pdf = "pdf"


@app.command("compare")
def compare(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Configuration codes, or files saved by configure --save (two or more).",
            metavar="CODE|FILE",
            show_default=False,
        ),
    ],
    date: Annotated[str | None, date_option(PRICE_DATE_HELP)] = None,
    output_format: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CompareFormat.table,
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
    """Compare configurations side by side: options group by group, then taxes and totals.

    Each argument is a configuration code or a file saved by configure --save; models may
    differ. Rows where the cars differ are marked ≠. Totals are exactly those of
    quote --code on the same --date. --format json gives configurations (model, code,
    subtotal, taxes, total, deposit, delivery_weeks) and rows (group, label, one cell per
    configuration, differs); --format html a printable page; --format pdf that page as PDF
    (needs the pdf extra).

    Example: configurator compare DBYB-F004 order.yaml --date 2026-03-01

    Example: configurator compare CODE1 CODE2 CODE3 --format html -o compare.html
    """
    from configurator.compare import compare_sources

    on = parse_date(date)
    pdf_writer = None
    if output_format is CompareFormat.pdf:
        from configurator.cli.quote_cmds import weasyprint_writer

        pdf_writer = weasyprint_writer()
        if output is None and sys.stdout.isatty():
            raise UsageError("--format pdf writes binary data: give -o FILE, e.g. -o compare.pdf")
    comparison = compare_sources(tree(ctx), sources, on)
    with atomic_output(output) as out:
        if output_format is CompareFormat.json:
            out.write(comparison.to_json_text())
        elif output_format in (CompareFormat.html, CompareFormat.pdf):
            from configurator.render.html import comparison_html

            page = comparison_html(comparison)
            if pdf_writer is not None:
                out.flush()
                out.buffer.write(pdf_writer(page))  # type: ignore[attr-defined]
            else:
                out.write(page)
        else:
            from configurator.render.compare import print_comparison

            if output is None:
                from configurator.render import console

                print_comparison(comparison, console())
            else:
                from rich.console import Console

                print_comparison(
                    comparison, Console(file=out, no_color=True, width=100, highlight=False)
                )
