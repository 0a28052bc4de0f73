"""A :class:`~configurator.compare.Comparison` as a terminal table (rich).

One column per car after a label column; each cell shows the option names and, on its own
line, the amount right-aligned. Rows that differ start with ``≠`` and are bold (so they stand
out without colour too). Column widths are set from the console width: three cars fit in 100
columns, each car's column getting an equal share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from configurator.compare import Cell, Comparison
from configurator.money import format_money

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

LABEL_WIDTH = 17
MIN_CAR_WIDTH = 18
DIFFERS = "≠ "


def _cell(cell: Cell | None) -> RenderableType:
    """The option names, then the amount on its own line, right-aligned."""
    from rich.console import Group
    from rich.text import Text

    if cell is None:
        return Text("not offered", style="dim")
    parts = []
    if cell.text:
        parts.append(Text(cell.text))
    if cell.amount is not None:
        parts.append(Text(format_money(cell.amount), justify="right", no_wrap=True))
    return Group(*parts)


def comparison_table(comparison: Comparison, width: int) -> Table:
    """The comparison as a rich table fitting ``width`` columns (wider for many cars)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    count = len(comparison.configurations)
    # Each column has one space of padding on each side (2) plus the label column's.
    car_width = max(MIN_CAR_WIDTH, (width - LABEL_WIDTH - 2 - 2 * count) // count)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        title=f"Comparison · prices on {comparison.date.isoformat()}",
    )
    table.add_column("", width=LABEL_WIDTH, no_wrap=False, overflow="fold")
    for car in comparison.configurations:
        header = Text(car.model_name, style="bold")
        header.append(f"\n{car.code}", style="cyan")
        header.append(f"\n{car.currency}", style="dim")
        table.add_column(header, width=car_width, overflow="fold")
    for row in comparison.rows:
        if row.label_key == "subtotal" or row.label_key == "total":
            table.add_section()
        label = Text(DIFFERS if row.differs else "  ", style="yellow" if row.differs else "")
        label.append(row.label)
        style = "bold" if row.differs or row.label_key == "total" else ""
        cells = [_cell(cell) for cell in row.cells]
        table.add_row(label, *cells, style=style)
    return table


def print_comparison(comparison: Comparison, out: Console) -> None:
    """Print the table and, below it, each car's warnings."""
    from rich.text import Text

    width = min(out.width, 100) if len(comparison.configurations) <= 3 else out.width
    out.print(comparison_table(comparison, width), width=width)
    out.print(
        Text(
            "≠ marks rows where the cars differ; amounts in each car's currency",
            style="dim",
        ),
        width=width,
    )
    for car in comparison.configurations:
        for warning in car.quote.warnings:
            out.print(
                Text.assemble(("warning: ", "bold yellow"), f"{car.model_name}: {warning}"),
                width=width,
            )
