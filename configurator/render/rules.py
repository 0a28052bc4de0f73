"""Rich rendering of the rules engine's answers: what can still be chosen, catalog statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich import box
from rich.console import Group as RichGroup
from rich.table import Table
from rich.text import Text

from configurator.money import format_money
from configurator.repairs import Repairs
from configurator.rules.engine import CatalogStats, GroupState


def availability_data(groups: Sequence[GroupState]) -> list[dict[str, Any]]:
    """``available --json``: a list of groups, each with its options (code, available, reason)."""
    from configurator.money import money_json

    return [
        {
            "group": group.group,
            "name": group.name,
            "choose": group.choose,
            "options": [
                {
                    "code": option.code,
                    "name": option.name,
                    "price": money_json(option.price),
                    "chosen": option.chosen,
                    "available": option.available,
                    "reason": option.reason,
                    "conflicts": list(option.explanation.codes) if option.explanation else [],
                    "rules": list(option.explanation.rule_ids) if option.explanation else [],
                }
                for option in group.options
            ],
        }
        for group in groups
    ]


def availability_view(
    groups: Sequence[GroupState], remaining: int | None, currency: str
) -> RichGroup:
    """One table per group: each option available (or why not), the chosen ones marked."""
    parts: list[Any] = []
    for group in groups:
        table = Table(
            title=Text.assemble((group.name, "bold"), f" ({group.choose})"),
            title_justify="left",
            box=box.SIMPLE,
            show_header=False,
            pad_edge=False,
        )
        table.add_column("", width=2)
        table.add_column("code", no_wrap=True)
        table.add_column("name", ratio=1)
        table.add_column("price", justify="right", no_wrap=True)
        options = list(group.options)
        for index, option in enumerate(options):
            mark = "●" if option.chosen else ("✓" if option.available else "✗")
            style = "" if option.available else "dim"
            table.add_row(mark, option.code, option.name, format_money(option.price), style=style)
            following = options[index + 1] if index + 1 < len(options) else None
            # One reason line under a run of options blocked for the same reason.
            if (
                option.reason
                and not option.available
                and (following is None or following.available or following.reason != option.reason)
            ):
                table.add_row("", "", Text(f"└ {option.reason}", style="italic"), "", style="dim")
        parts.append(table)
    legend = f"(● chosen, ✓ available, ✗ not available; prices in {currency})"
    if remaining is None:
        parts.append(Text(f"number of valid configurations unknown (SAT engine) {legend}"))
    else:
        parts.append(
            Text(
                f"{remaining:,} valid configuration{'s' if remaining != 1 else ''} remain " + legend
            )
        )
    return RichGroup(*parts)


def stats_view(stats: CatalogStats, currency: str) -> Table:
    """``catalog stats`` as a two-column table."""
    table = Table(box=box.SIMPLE, show_header=False, title=stats.model, title_justify="left")
    table.add_column("figure", style="bold", no_wrap=True)
    table.add_column("value")
    table.add_row("date", stats.on.isoformat() if stats.on else "any (availability ignored)")
    if stats.configurations is None:
        table.add_row("configurations", "unknown (the SAT engine does not count)")
    else:
        table.add_row("configurations", f"{stats.configurations:,}")
    table.add_row("dead options", _codes(stats.dead_options))
    table.add_row("forced options", _codes(stats.forced_options))
    for label, completion in (("cheapest", stats.cheapest), ("dearest", stats.dearest)):
        table.add_row(
            label,
            f"{format_money(completion.total)} {currency}" if completion else "no configuration",
        )
    if stats.technique == "sat":
        table.add_row(
            "engine",
            f"SAT over {stats.variables:,} options ({stats.reason}); set up in "
            f"{stats.compile_seconds * 1000:,.1f} ms, dead and forced options in "
            f"{stats.seconds * 1000:,.1f} ms",
        )
        return table
    source = "loaded from the cache" if stats.cached else "compiled"
    table.add_row(
        "compiled form",
        f"{stats.nodes:,} BDD nodes over {stats.variables} variables, "
        f"{source} in {stats.compile_seconds * 1000:,.1f} ms",
    )
    return table


def _codes(codes: Sequence[str], shown: int = 20) -> str:
    """A list of codes, or its size and the first ones when long (--json lists all)."""
    if not codes:
        return "none"
    if len(codes) <= shown:
        return ", ".join(codes)
    return f"{len(codes):,}: " + ", ".join(codes[:shown]) + ", ... (--json lists all)"


def repairs_view(found: Repairs, names: Mapping[str, str], currency: str) -> RichGroup:
    """``available --want CODE``: can it be chosen, why not, and each exact way to get it."""
    parts: list[Any] = []
    label = f"{names.get(found.want, found.want)} ({found.want})"
    if found.available and not found.alternatives:
        parts.append(Text(f"✓ {label} is in the car already."))
    elif found.available:
        parts.append(Text(f"✓ {label} can be chosen."))
    else:
        parts.append(Text(f"✗ {label} is not available: {found.reason}"))
    if not found.alternatives:
        if not found.available:
            parts.append(Text("  No change to these choices makes it available."))
        return RichGroup(*parts)
    parts.append(
        Text(f"Ways to get it, cheapest first (each a car that can be finished; {currency}):")
    )
    for number, repair in enumerate(found.alternatives, 1):
        delta = "?" if repair.delta is None else _signed(repair.delta)
        head = Text(f"{number:>2}  {delta}  → total {format_money(repair.total)}", style="bold")
        parts.append(head)
        for sign, codes in (("-", repair.remove), ("+", (found.want, *repair.add))):
            for code in codes:
                asks = " (needs --value)" if code in repair.needs_values else ""
                parts.append(Text(f"    {sign} {code}  {names.get(code, code)}{asks}"))
        for missing in repair.missing:
            parts.append(Text(f"    still missing: {missing}", style="yellow"))
        parts.append(Text("    options: " + " ".join(repair.options), style="dim"))
    return RichGroup(*parts)


def _signed(amount: Decimal) -> str:
    text = format_money(abs(amount))
    return f"+{text}" if amount > 0 else (f"-{text}" if amount < 0 else "±0.00")
