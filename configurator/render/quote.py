"""Rendering a :class:`~configurator.quote.Quote`: a rich table, Markdown and JSON.

The table and the Markdown show the same things in the same order: the lines (grouped, with
swatches), the subtotal with the VAT it contains, each tax with its one-line explanation, the
total, the deposit and delivery estimate, the configuration code, then warnings and notes.
Converted amounts (``--currency``) get their own column, labelled approximate with the rate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from configurator.money import format_money
from configurator.quote import Conversion, ProgrammeProgress, Quote, QuoteLine

if TYPE_CHECKING:  # rich is imported only when a table is drawn: JSON and Markdown skip it
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

SWATCH = "■"


def _swatch(colour: str | None) -> Text:
    from rich.style import Style
    from rich.text import Text

    if not colour:
        return Text("")
    return Text(SWATCH, style=Style(color=colour))


def _item(line: QuoteLine) -> str:
    if line.value:
        return f"{line.name}: “{line.value}”"
    return line.name


def _code_cell(line: QuoteLine) -> str:
    if line.kind == "discount":
        return line.id or ""
    return line.code or ""


def _group_cell(line: QuoteLine) -> str:
    if line.kind == "base":
        return "Base"
    if line.kind == "package":
        return "Package"
    if line.kind == "price_rule":
        return "Price rule"
    if line.kind == "discount":
        return "Discount"
    return line.group_name or line.group or ""


def _converted(conversion: Conversion | None, amount: Decimal | None) -> str:
    if conversion is None or amount is None:
        return ""
    return format_money(amount)


def programme_text(programme: ProgrammeProgress) -> str:
    """'Acme Manufaktur: 188,000.00 of at least 150,000.00 (met)'."""
    spend = format_money(programme.spend)
    if not programme.minimum:
        return f"{programme.name}: {spend} (no minimum spend)"
    state = "met" if programme.met else f"{format_money(programme.missing)} short"
    return f"{programme.name}: {spend} of at least {format_money(programme.minimum)} ({state})"


def conversion_note(quote: Quote, conversion: Conversion) -> str:
    """'USD amounts are approximate: 1 USD = 7.1072 CNY, rate of 2025-09-01.'"""
    return (
        f"{conversion.currency} amounts are approximate: 1 {conversion.currency} = "
        f"{conversion.rate:f} {quote.currency}, rate of {conversion.rate_date.isoformat()}; "
        f"the {quote.currency} amounts are authoritative"
    )


def _vat_label(quote: Quote) -> str:
    rate = f"{(quote.vat_rate * 100).normalize():f}%"
    return f"VAT {rate} included" if quote.prices_include_vat else f"VAT {rate}"


def _item_text(line: QuoteLine) -> Text:
    from rich.text import Text

    text = Text()
    if line.swatch:
        text.append_text(_swatch(line.swatch))
        text.append(" ")
    text.append(_item(line))
    if line.kind == "price_rule" and line.id:
        text.append(f" [{line.id}]", style="dim")
    elif line.note:
        text.append(f" · {line.note}", style="dim")
    return text


WIDE = 100  # tables are capped near this width; under it the code column is left out


def quote_table(quote: Quote, width: int = WIDE) -> Table:
    """The quote as a rich table: lines, subtotal, VAT, taxes and total.

    One row per line at any width: under :data:`WIDE` columns the code column is left out
    (the codes are in ``--format json`` and the configuration code) and a long item name
    ends in an ellipsis; a group name and an amount are never cut.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    conversion = quote.conversions[0] if quote.conversions else None
    narrow = width < WIDE
    title = (
        f"{quote.model_name} · {quote.date.isoformat()} · catalog {quote.catalog_version} · "
        f"market {quote.market}"
    )
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        width=min(width, WIDE),
    )
    table.add_column("Group", no_wrap=True)
    if not narrow:
        table.add_column("Code", style="bold", no_wrap=True)
    table.add_column("Item", ratio=1, min_width=12, no_wrap=narrow, overflow="ellipsis")
    table.add_column(f"{quote.currency}", justify="right", no_wrap=True, min_width=10)
    if conversion is not None:
        table.add_column(
            f"≈ {conversion.currency}", justify="right", no_wrap=True, min_width=10, style="dim"
        )

    def row(
        group: str,
        code: str,
        item: Text | str,
        amount: Text | str,
        converted: Decimal | None = None,
    ) -> None:
        values: list[Text | str] = [group, item, amount] if narrow else [group, code, item, amount]
        if conversion is not None:
            values.append(_converted(conversion, converted))
        table.add_row(*values)

    for index, line in enumerate(quote.lines):
        row(
            _group_cell(line),
            _code_cell(line),
            _item_text(line),
            Text(format_money(line.amount), style="green" if line.amount < 0 else ""),
            conversion.lines[index] if conversion else None,
        )
    table.add_section()
    listed = "list price" + (" incl. VAT" if quote.prices_include_vat else "")
    row(
        "",
        "",
        Text.assemble(("Subtotal", "bold"), (f" · {listed}", "dim")),
        Text(format_money(quote.subtotal), style="bold"),
        conversion.subtotal if conversion else None,
    )
    if quote.prices_include_vat:
        row(
            "",
            "",
            "  Price before VAT",
            format_money(quote.net),
            conversion.net if conversion else None,
        )
        row(
            "",
            "",
            Text.assemble(f"  {_vat_label(quote)}", (" · contained in the subtotal", "dim")),
            format_money(quote.vat),
            conversion.vat if conversion else None,
        )
    for index, tax in enumerate(quote.taxes):
        row(
            "Tax",
            tax.id,
            tax.name,
            format_money(tax.amount),
            conversion.taxes[index] if conversion else None,
        )
    table.add_section()
    row(
        "",
        "",
        Text.assemble(("Total", "bold"), (" · what the buyer pays", "dim")),
        Text(format_money(quote.total), style="bold"),
        conversion.total if conversion else None,
    )
    if quote.deposit:
        names = ", ".join(p.name for p in quote.programmes)
        row(
            "",
            "",
            Text.assemble("Deposit due", (f" · {names}", "dim")),
            format_money(quote.deposit),
            conversion.deposit if conversion else None,
        )
    return table


def quote_footer(quote: Quote) -> list[Text]:
    """The lines printed after the table: taxes explained, delivery, code, warnings, notes."""
    from rich.text import Text

    lines = [Text.assemble((f"{tax.id}: ", "bold"), tax.explanation) for tax in quote.taxes]
    lines += [
        Text.assemble(("Delivery: ", "bold"), f"about {quote.delivery_weeks} weeks"),
        Text("Configuration code:", style="bold"),
        code_text(quote.code),
    ]
    for programme in quote.programmes:
        lines.append(Text.assemble(("Programme: ", "bold"), programme_text(programme)))
    for conversion in quote.conversions:
        lines.append(Text(conversion_note(quote, conversion), style="dim"))
    for warning in quote.warnings:
        lines.append(Text.assemble(("warning: ", "bold yellow"), warning))
    for note in quote.notes:
        lines.append(Text.assemble(("note: ", "bold"), note))
    return lines


def code_text(code: str) -> Text:
    """A configuration code on its own line, never wrapped (copy and paste take it whole)."""
    from rich.text import Text

    return Text(code, style="bold cyan", no_wrap=True, overflow="ignore")


def print_quote(quote: Quote, out: Console) -> None:
    """Print the table, then delivery, code, warnings and notes."""
    from rich.console import Group
    from rich.text import Text

    footer = quote_footer(quote)
    at = next(i for i, line in enumerate(footer) if line.plain == quote.code)
    out.print(Group(quote_table(quote, out.width), Text(""), *footer[:at]))
    out.print(footer[at], soft_wrap=True)  # whole at any width: copy and paste take it all
    out.print(Group(*footer[at + 1 :]))


def quote_json(quote: Quote) -> str:
    """The quote as indented JSON (amounts as strings with two decimals), ending in a newline."""
    return quote.to_json_text()


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def quote_markdown(quote: Quote) -> str:
    """The quote as a Markdown document: the same content as the table."""
    conversion = quote.conversions[0] if quote.conversions else None
    out: list[str] = [f"# {_md(quote.model_name)}: quote", ""]
    out += [
        f"- Model: `{quote.model}`, catalog version {quote.catalog_version}",
        f"- Market: {quote.market}, prices in {quote.currency}",
        f"- Date: {quote.date.isoformat()}",
        f"- Code: `{quote.code}`",
        "",
    ]
    header = ["Group", "Code", "Item", "Note", f"{quote.currency}"]
    align = ["---", "---", "---", "---", "---:"]
    if conversion is not None:
        header.append(f"≈ {conversion.currency}")
        align.append("---:")
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(align) + "|")

    def row(cells: list[str], converted: Decimal | None) -> None:
        if conversion is not None:
            cells = [*cells, _converted(conversion, converted)]
        out.append("| " + " | ".join(cells) + " |")

    for index, line in enumerate(quote.lines):
        colour = f" ({line.swatch})" if line.swatch else ""
        row(
            [
                _md(_group_cell(line)),
                f"`{_code_cell(line)}`" if _code_cell(line) else "",
                _md(_item(line)) + colour,
                _md(line.note or ""),
                format_money(line.amount),
            ],
            conversion.lines[index] if conversion else None,
        )
    listed = "list price" + (" incl. VAT" if quote.prices_include_vat else "")
    row(
        ["", "", "**Subtotal**", listed, f"**{format_money(quote.subtotal)}**"],
        conversion.subtotal if conversion else None,
    )
    if quote.prices_include_vat:
        row(
            ["", "", "Price before VAT", "", format_money(quote.net)],
            conversion.net if conversion else None,
        )
        row(
            ["", "", _vat_label(quote), "contained in the subtotal", format_money(quote.vat)],
            conversion.vat if conversion else None,
        )
    for index, tax in enumerate(quote.taxes):
        row(
            ["Tax", f"`{tax.id}`", _md(tax.name), _md(tax.explanation), format_money(tax.amount)],
            conversion.taxes[index] if conversion else None,
        )
    row(
        ["", "", "**Total**", "what the buyer pays", f"**{format_money(quote.total)}**"],
        conversion.total if conversion else None,
    )
    if quote.deposit:
        row(
            [
                "",
                "",
                "Deposit due",
                _md(", ".join(p.name for p in quote.programmes)),
                format_money(quote.deposit),
            ],
            conversion.deposit if conversion else None,
        )
    out += ["", f"Delivery: about {quote.delivery_weeks} weeks."]
    for programme in quote.programmes:
        out.append(f"Programme: {_md(programme_text(programme))}.")
    for item in quote.conversions:
        out.append(f"{conversion_note(quote, item)}.")
    if quote.warnings:
        out += ["", "## Warnings", ""] + [f"- {_md(w)}" for w in quote.warnings]
    if quote.notes:
        out += ["", "## Notes", ""] + [f"- {_md(n)}" for n in quote.notes]
    return "\n".join(out) + "\n"
