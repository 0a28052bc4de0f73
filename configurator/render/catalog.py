"""Rich rendering of catalogs: the model list, one model's catalog, and validation reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text

from configurator.catalog.export import (
    describe_discount,
    describe_price_rule,
    describe_rule,
    describe_table,
    display_names,
)
from configurator.catalog.schema import Catalog, Option, Programme
from configurator.catalog.schema import Group as OptionGroup
from configurator.errors import Problem
from configurator.money import format_money

SWATCH = "■"


def problem_line(problem: Problem) -> Text:
    """``file:line:column: error: message [code]``, as every command prints catalog errors."""
    text = Text()
    text.append(str(problem.location), style="bold")
    text.append(": ")
    if problem.is_error:
        text.append("error:", style="bold red")
    else:
        text.append("warning:", style="bold yellow")
    text.append(f" {problem.message} ")
    text.append(f"[{problem.code}]", style="dim")
    return text


def print_problems(problems: Iterable[Problem], out: Console) -> None:
    """One line per problem, never wrapped (editors and scripts parse these lines)."""
    for problem in problems:
        out.print(problem_line(problem), soft_wrap=True)


def powertrain_text(catalog: Catalog) -> str:
    """'BEV, NEV' or 'ICE'."""
    return catalog.powertrain.value.upper() + (", NEV" if catalog.nev else "")


def models_table(catalogs: Sequence[Catalog]) -> Table:
    """The table of ``configurator models``."""
    # One model a line at any width: only the name may shorten (with an ellipsis).
    prices = [f"{format_money(c.base_price)} {c.currency}" for c in catalogs]
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1), show_header=True)
    table.add_column("ID", style="bold", no_wrap=True, min_width=max(len(c.id) for c in catalogs))
    table.add_column("Brand", no_wrap=True, overflow="ellipsis")
    table.add_column("Name", no_wrap=True, overflow="ellipsis", min_width=8)
    table.add_column(
        "Base price", justify="right", no_wrap=True, min_width=max(len(p) for p in prices)
    )
    table.add_column("Powertrain", no_wrap=True, min_width=10)
    for catalog in catalogs:
        table.add_row(
            catalog.id,
            catalog.brand,
            catalog.name,
            f"{format_money(catalog.base_price)} {catalog.currency}",
            powertrain_text(catalog),
        )
    return table


def swatch(colour: str | None) -> Text:
    """A coloured block for a ``#rrggbb`` swatch (plain without colour), or nothing."""
    if not colour:
        return Text("")
    return Text(SWATCH, style=Style(color=colour))


def _option_notes(
    option: Option, group: OptionGroup, programme_of: dict[str, str], names: dict[str, str]
) -> str:
    notes = []
    if option.code in group.default:
        notes.append("default")
    if option.code in programme_of:
        notes.append(programme_of[option.code])
    if option.value is not None:
        notes.append(f"buyer supplies: {option.value.prompt}")
    if option.brings:
        notes.append("brings " + ", ".join(names.get(code, code) for code in option.brings))
    if option.lead_time_weeks:
        notes.append(f"+{option.lead_time_weeks} wk")
    if option.labour_hours:
        notes.append(f"{option.labour_hours} h hand work")
    if option.note and option.note.lower().startswith("estimate"):
        notes.append("estimated price")
    return "; ".join(notes)


def group_table(group: OptionGroup, names: dict[str, str], programme_of: dict[str, str]) -> Table:
    """One option group: swatch, code, name, price and notes of each option."""
    defaults = ", ".join(names.get(code, code) for code in group.default) or "none"
    title = Text.assemble(
        (group.name, "bold"),
        f" ({group.id}) - choose {group.choose.describe()}; default: ",
        defaults,
    )
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    table.add_column("", width=1, no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Option")
    table.add_column("Price", justify="right", no_wrap=True)
    table.add_column("Notes", style="dim")
    for option in group.options:
        table.add_row(
            swatch(option.swatch),
            option.code,
            option.name,
            format_money(option.price),
            _option_notes(option, group, programme_of, names),
        )
    return table


def catalog_view(catalog: Catalog) -> Group:
    """Everything ``configurator show`` prints for one model."""
    names = display_names(catalog)
    programme_of = {code: p.name for p in catalog.programmes for code in p.options}
    money = catalog.currency
    parts: list = []
    header = Text.assemble(
        (catalog.name, "bold"),
        f" ({catalog.id}) - {catalog.brand}, model year {catalog.model_year}, "
        f"catalog {catalog.version}, market {catalog.market}",
    )
    parts.append(header)
    facts = [
        f"Base price {format_money(catalog.base_price)} {money}",
        powertrain_text(catalog),
    ]
    if catalog.lead_time_weeks:
        facts.append(f"lead time {catalog.lead_time_weeks} weeks")
    if catalog.effective is not None:
        span = [
            f"from {catalog.effective.from_}" if catalog.effective.from_ else "",
            f"until {catalog.effective.until}" if catalog.effective.until else "",
        ]
        facts.append("prices " + " ".join(s for s in span if s))
    parts.append(Text(" - ".join(facts)))
    for group in catalog.groups:
        parts.append(Text(""))
        parts.append(group_table(group, names, programme_of))
    if catalog.packages:
        parts.append(Text(""))
        table = Table(
            title=Text("Packages", "bold"),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("Code", no_wrap=True)
        table.add_column("Package")
        table.add_column("Price", justify="right", no_wrap=True)
        table.add_column("Includes")
        for package in catalog.packages:
            table.add_row(
                package.code,
                package.name,
                format_money(package.price),
                ", ".join(names.get(code, code) for code in package.includes),
            )
        parts.append(table)
    if catalog.programmes:
        parts.append(Text(""))
        parts.append(Text("Programmes", style="bold"))
        for programme in catalog.programmes:
            parts.append(Padding(programme_text(programme, money), (0, 0, 0, 2)))
    rules = _rule_lines(catalog, names)
    if rules:
        parts.append(Text(""))
        parts.append(Text("Rules and prices", style="bold"))
        parts.append(Padding(Group(*rules), (0, 0, 0, 2)))
    return Group(*parts)


def programme_text(programme: Programme, currency: str) -> Text:
    """A programme in one paragraph: minimum spend, deposit, capacity, lead time, options."""
    text = Text("- ")
    text.append(programme.name, style="bold")
    text.append(f" ({programme.id}): ")
    facts = []
    if programme.minimum_spend:
        facts.append(
            f"minimum spend {format_money(programme.minimum_spend)} {currency} of its options"
        )
    if programme.deposit:
        facts.append(f"deposit {format_money(programme.deposit)} {currency}")
    if programme.monthly_capacity:
        facts.append(f"at most {programme.monthly_capacity} cars a month")
    if programme.extra_lead_time_weeks:
        facts.append(f"{programme.extra_lead_time_weeks} more weeks to deliver")
    count = len(programme.options)
    facts.append(f"{count} option{'s' if count != 1 else ''}, marked in the groups above")
    text.append("; ".join(facts))
    return text


def _rule_lines(catalog: Catalog, names: dict[str, str]) -> list[Text]:
    lines: list[Text] = []

    def line(words: str, kind: str, ident: str, why: str | None = None) -> None:
        text = Text("- ")
        text.append(words)
        text.append(f" - {kind} {ident}", style="dim")
        if why:
            text.append(f" ({why})", style="dim")
        lines.append(text)

    for rule in catalog.rules:
        line(describe_rule(rule, names), "rule", rule.id)
    for table in catalog.tables:
        line(describe_table(table, catalog), "table", table.id)
    for group in catalog.groups:
        for option in group.options:
            if option.brings:
                brought = ", ".join(names.get(code, code) for code in option.brings)
                line(f"{option.name} brings {brought}", "option", option.code)
    for price_rule in catalog.price_rules:
        words = describe_price_rule(price_rule, names, catalog.currency)
        line(words, "price rule", price_rule.id, price_rule.reason)
    for discount in catalog.discounts:
        words = describe_discount(discount, names, catalog.currency)
        line(words, "discount", discount.id, discount.reason)
    return lines
