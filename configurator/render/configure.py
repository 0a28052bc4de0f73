"""Rendering the interactive configuration session: steps, summary, alternatives, search.

Everything fits an 80-column terminal and stays readable with ``NO_COLOR``: an option that
cannot be chosen is dimmed *and* says why in words, the current choice is marked with a
symbol, not a colour. Colour swatches are truecolor blocks where the terminal supports it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from decimal import Decimal

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.style import Style
from rich.text import Text

from configurator.catalog.schema import Programme
from configurator.errors import ConfigurationError
from configurator.money import format_money
from configurator.quote import Quote
from configurator.session import (
    Alternative,
    Branch,
    Changed,
    ConfigureSession,
    Hit,
    OptionView,
    StepView,
    Summary,
)

SWATCH = "██"
PROGRAMME_MARK = "*"  # after an option that counts toward a programme's minimum spend
HELP = (
    "Enter keep · 1-N choose · d details · b back · u undo · j jump · / search · q quote · "
    "f finish · ? help"
)
COMPACT_HELP = "Enter=keep d=details b=back u=undo j=jump /=search q=quote f=finish ?=help"
# A model whose groups form a feature tree (imported UVL): moving down and up, the groups here.
TREE_HELP = "Enter=keep >N=down <=up j=groups /=search b=back u=undo q=quote f=finish ?=help"
TREE_MARK = "▸"  # after an option with groups under it: how many
PATH_SEPARATOR = " › "


def fit_left(text: str, width: int) -> str:
    """``text`` in at most ``width`` display cells, cut on the left ("…" first): the end of a
    path is where the dealer is."""
    if cell_len(text) <= width:
        return text
    kept = ""
    for character in reversed(text):
        if cell_len(character + kept) > width - 1:
            break
        kept = character + kept
    return "…" + kept.lstrip()


def fit_right(text: str, width: int) -> str:
    """``text`` in at most ``width`` display cells, cut on the right ("…" last)."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip() + "…"


def fit_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, its middle cut ("…"): codes made from long
    feature names differ at the end as often as at the start."""
    if cell_len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def path_text(path: Sequence[str]) -> str:
    """A path of option names, top first: 'Car › Engine › Diesel'."""
    return PATH_SEPARATOR.join(path)


def swatch(colour: str | None) -> Text:
    """A block in the option's colour (two spaces when it has none)."""
    if not colour:
        return Text("  ")
    return Text(SWATCH, style=Style(color=colour))


def _mark(option: OptionView, multi: bool) -> str:
    if multi:
        return "[x]" if option.selected else "[ ]"
    return "(•)" if option.selected else "( )"


def _status(session: ConfigureSession, option: OptionView) -> str:
    if option.how == "default":
        return "standard"
    if option.how == "brought" and option.via:
        return f"with {session.name(option.via)}"
    if option.how == "included" and option.via:
        return f"in {session.name(option.via)}"
    return ""


def step_header(session: ConfigureSession, view: StepView) -> Text:
    """'Xiaomi SU7 Ultra · step 1 of 13 · Paint (choose exactly one)'."""
    step = view.step
    return Text.assemble(
        (
            f"{session.model_name} · step {session.step_number(view.index)} of {view.count} · ",
            "dim",
        ),
        (step.name, "bold"),
        (f" (choose {step.choose.describe()})", "dim"),
    )


def step_lines(session: ConfigureSession, view: StepView, width: int) -> list[Text]:
    """The options of a step, one line each, unavailable ones followed by their reason."""
    header, blocks, legend = _step_blocks(session, view, width)
    return [header, *(line for block in blocks for line in block), *legend]


def option_window(
    session: ConfigureSession, view: StepView, width: int, first: int, room: int
) -> tuple[list[Text], int]:
    """The options of a step from option ``first`` (0-based) in at most ``room`` lines (one
    option at least), with the column header and legend; and the index after the last shown."""
    header, blocks, legend = _step_blocks(session, view, width)
    first = max(0, min(first, len(blocks) - 1))
    lines: list[Text] = [header]
    end = first
    used = 0
    while end < len(blocks) and (end == first or used + len(blocks[end]) <= room):
        lines += blocks[end]
        used += len(blocks[end])
        end += 1
    return lines + legend, end


def _step_blocks(
    session: ConfigureSession, view: StepView, width: int
) -> tuple[Text, list[list[Text]], list[Text]]:
    """The column header, each option's lines (its line, then why not or a threshold), and
    the legend of programme marks."""
    multi = view.step.multi
    price_width = max(
        [len(format_money(o.price)) for o in view.options] + [len(session.catalog.currency)]
    )
    number_width = len(str(len(view.options)))
    show_codes = width >= 72
    code_width = max(len(o.code) for o in view.options) if show_codes else 0
    if session.tree is not None:  # codes from long feature names: the name keeps its room
        code_width = min(code_width, max(12, width // 3))
    fixed = (
        number_width + 1 + 3 + 1 + 2 + 1 + 1 + price_width + (code_width + 1 if show_codes else 0)
    )
    name_width = max(12, width - fixed - 1)
    header = Text.assemble(
        " " * (number_width + 1 + 3 + 1 + 2 + 1),
        ("Option".ljust(name_width), "dim"),
        " ",
        ("Code".ljust(code_width) + " " if show_codes else "", "dim"),
        (session.catalog.currency.rjust(price_width), "dim"),
    )
    blocks: list[list[Text]] = []
    programmes: dict[str, None] = {}
    for number, option in enumerate(view.options, 1):
        lines: list[Text] = []
        blocks.append(lines)
        label = option.name
        if option.programme:
            label += " " + PROGRAMME_MARK
            programmes[option.programme] = None
        status = _status(session, option)
        if option.value:
            label += f": “{option.value}”"
        if status:
            label += f" ({status})"
        below = session.groups_below(option.code) if session.tree is not None else 0
        mark = f" {TREE_MARK}{below}" if below else ""
        if cell_len(label) + cell_len(mark) > name_width:  # display cells: CJK takes two
            label = set_cell_size(label, name_width - cell_len(mark) - 1) + "…"
        label += mark
        style = "" if option.available else "dim"
        if option.selected:
            style = "bold"
        line = Text(style=style)
        line.append(f"{number:>{number_width}} ")
        line.append(_mark(option, multi) + " ")
        line.append_text(swatch(option.swatch))
        line.append(" ")
        line.append(set_cell_size(label, name_width))
        line.append(" ")
        if show_codes:
            code = fit_middle(option.code, code_width)
            line.append(code.ljust(code_width) + " ", style="dim" if option.available else "")
        line.append(format_money(option.price).rjust(price_width))
        lines.append(line)
        following = view.options[number] if number < len(view.options) else None
        if option.reason and (following is None or following.reason != option.reason):
            # One reason line under a run of options unavailable for the same reason.
            first = number
            while first > 1 and view.options[first - 2].reason == option.reason:
                first -= 1
            which = "" if first == number else f" ({first}-{number})"
            indent = " " * (number_width + 1 + 4)
            reason = f"✗ not available{which}: {option.reason}"
            for part in textwrap.wrap(reason, max(20, width - len(indent))):
                lines.append(Text(indent + part, style="dim italic"))
        if option.crossing is not None and (crossing := session.crossing(option.code)):
            indent = " " * (number_width + 1 + 4)
            text = (
                f"⚠ crosses the {crossing.tax_name} threshold: costs "
                f"{format_money(crossing.effective_cost)} with the "
                f"{format_money(crossing.tax)} tax it brings"
            )
            for part in textwrap.wrap(text, max(20, width - len(indent))):
                lines.append(Text(indent + part, style="yellow"))
    legend: list[Text] = []
    for programme_id in programmes:
        programme = next(p for p in session.catalog.programmes if p.id == programme_id)
        text = (
            f"{PROGRAMME_MARK} counts toward the {session.name(programme_id)}'s minimum of "
            f"{format_money(programme.minimum_spend)}"
        )
        for part in textwrap.wrap(text, max(20, width - 2)):
            legend.append(Text(part, style="dim"))
    return header, blocks, legend


def programme_lines(session: ConfigureSession, programme: Programme, width: int) -> list[Text]:
    """A programme explained (once, when the car first enters it): its minimum spend,
    deposit, monthly capacity and what it does to delivery."""
    money = format_money
    facts = [
        f"options marked {PROGRAMME_MARK} must add up to at least {money(programme.minimum_spend)}"
    ]
    if programme.deposit:
        facts.append(f"a deposit of {money(programme.deposit)} is due with the order")
    if programme.monthly_capacity:
        facts.append(f"at most {programme.monthly_capacity} cars are built a month")
    if programme.extra_lead_time_weeks:
        facts.append(f"delivery takes about {programme.extra_lead_time_weeks} weeks longer")
    text = f"{session.name(programme.id)}: " + "; ".join(facts) + "."
    text += " f shows the cheapest ways to reach the minimum."
    return [Text(part, style="cyan") for part in textwrap.wrap(text, max(20, width - 1))]


def _wrapped(parts: Sequence[Text], width: int, indent: int = 2) -> list[Text]:
    """Parts joined by spaces, a line broken only between parts (continuations indented)."""
    lines: list[Text] = []
    line = Text()
    for part in parts:
        if line.plain and cell_len(line.plain) + 1 + cell_len(part.plain) > width:
            lines.append(line)
            line = Text(" " * indent)
        elif line.plain:
            line.append(" ")
        line.append_text(part)
    if line.plain:
        lines.append(line)
    return lines


def summary_lines(summary: Summary, width: int = 80) -> list[Text]:
    """The running summary: total and taxes, delivery and deposit, programmes, tax cliff."""
    if not summary.priced:
        return [
            Text.assemble(("Not valid yet: ", "bold red"), summary.problem or "a rule is broken")
        ]
    money = format_money
    taxes: list[tuple[str, Decimal]] = []
    if summary.purchase_tax is not None:
        taxes.append(("purchase tax", summary.purchase_tax))
    if summary.ultra_luxury_tax is not None:
        taxes.append(("ultra-luxury tax", summary.ultra_luxury_tax))
    taxes.extend(summary.other_taxes)
    vat = "incl. VAT" if summary.vat_included else "+ VAT"
    parts = [
        Text(f"Total {money(summary.total)} {summary.currency}", style="bold"),
        Text(f"= {money(summary.subtotal)}"),
        Text(f"({vat} {money(summary.vat)})"),
    ]
    parts += [Text(f"+ {name} {money(amount)}") for name, amount in taxes]
    lines = _wrapped(parts, width)
    delivery = f"Delivery about {summary.delivery_weeks} weeks"
    if summary.deposit:
        delivery += f" · deposit {money(summary.deposit)}"
    lines.append(Text(delivery))
    for programme in summary.programmes:
        if not programme.minimum:
            lines.append(Text(f"{programme.name}: {money(programme.spend)} (no minimum)"))
            continue
        line = Text(f"{programme.name}: {money(programme.spend)} of {money(programme.minimum)}")
        if programme.met:
            line.append(" ✓ met", style="green")
        else:
            line.append(f" ({money(programme.missing)} short)", style="yellow")
        lines.append(line)
    cliff = summary.cliff
    if cliff is not None:
        at = money(cliff.threshold_price)
        if cliff.crossed:
            parts = [
                Text("⚠ over the", style="bold red"),
                Text(f"{cliff.tax_name} threshold ({at}):", style="bold"),
                Text(f"{money(cliff.cost)} due"),
            ]
            if cliff.culprit_name and cliff.culprit_enough:
                parts.append(Text(f"(crossed with {cliff.culprit_name})"))
            elif cliff.culprit_name:
                parts.append(Text("(no single option of yours takes it back under)"))
            else:
                parts.append(Text("(the car is over without any option of yours)"))
        elif cliff.near:
            parts = [
                Text(f"⚠ {money(cliff.headroom or Decimal(0))} below the", style="bold yellow"),
                Text(f"{cliff.tax_name} threshold ({at})", style="bold yellow"),
            ]
        else:
            parts = [
                Text(f"{cliff.tax_name} threshold at {at}:"),
                Text(f"{money(cliff.headroom or Decimal(0))} below it"),
            ]
        lines += _wrapped(parts, width)
    return lines


UNDER_KEYS = "xyz"  # the keys of the ways back under a tax threshold


def under_lines(session: ConfigureSession, width: int) -> list[Text]:
    """Over a tax threshold: the ways back under, each on one key."""
    lines = []
    for key, way in zip(UNDER_KEYS, session.ways_under(len(UNDER_KEYS)), strict=False):
        what = [f"remove {session.name(c)}" for c in way.removed]
        what += [f"take {session.name(c)}" for c in way.added]
        saving = "" if way.delta is None else f" ({_signed(way.delta)})"
        total = "" if way.total is None else f" → total {format_money(way.total)}"
        text = f"{key} = back under: {', '.join(what)}{total}{saving}"
        for part in textwrap.wrap(text, max(20, width - 4), subsequent_indent="    "):
            lines.append(Text(part, style="cyan"))
    return lines


def tree_lines(session: ConfigureSession, width: int) -> list[Text]:
    """In a feature tree: where the step is (the path of options above it) and how many
    groups are under it, decided and out of the car, against the whole model's."""
    branch = session.branch()
    if branch is None:
        return []
    lines = []
    path = session.path()
    if path:
        lines.append(Text(fit_left(f"{TREE_MARK} " + path_text(path), width - 1), style="dim"))
    out = session.tree is not None and not session.tree.in_car(
        session.index, session.selection().codes
    )
    if branch.groups:
        here = f"{branch.groups:,} groups under here: {branch.decided:,} decided"
        if branch.out:
            here += f", {branch.out:,} out"
    else:
        here = "No groups under here"
    here += f" · {len(session.steps):,} in the model: {session.decided_count():,} decided"
    if out:  # reached by a search or a jump: choosing here brings the option above
        here = "Not in the car yet · " + here
    lines.append(Text(fit_right(here, width - 1), style="dim"))
    return lines


def print_step(out: Console, session: ConfigureSession, first: int = 0) -> int:
    """A step: header, options, then the running summary; return the index after the last
    option shown. In a feature tree the options are shown from option ``first`` as many as
    the screen holds (a group of 200 features pages with + and -); a flat catalog's step
    shows them all."""
    view = session.view()
    where = tree_lines(session, out.width)
    summary = summary_lines(session.summary(), out.width) + under_lines(session, out.width)
    if session.tree is None:
        options, end = step_lines(session, view, out.width), len(view.options)
    else:
        # blank, rule, path and counts, column header, pager, blank, summary, hint, prompt
        room = (out.height or 24) - (2 + len(where) + 1 + 1 + 1 + len(summary) + 2)
        options, end = option_window(session, view, out.width, first, max(3, room))
        first = max(0, min(first, len(view.options) - 1))
        if first > 0 or end < len(view.options):
            pager = f"options {first + 1}-{end} of {len(view.options)}"
            keys = ["+ next"] if end < len(view.options) else []
            keys += ["- previous"] if first > 0 else []
            options.append(Text(f"{pager} · {', '.join(keys)}", style="dim"))
    out.print()
    out.rule(step_header(session, view), align="left", style="dim")
    for line in [*where, *options]:
        out.print(line, overflow="ellipsis", no_wrap=True)
    out.print()
    for line in summary:
        out.print(line)
    return end


def prompt_text(session: ConfigureSession, width: int) -> Text:
    """The hint line and the prompt of a step."""
    view = session.view()
    count = len(view.options)
    hint = HELP.replace("1-N", f"1-{count}") if len(HELP) <= width else COMPACT_HELP
    verb = "toggle" if view.step.multi else "choose"
    numbers = "1" if count == 1 else f"1-{count}"
    down = ""
    if session.tree is not None:
        hint = TREE_HELP
        if any(session.groups_under(c) for c in view.step.codes):
            down = ", >N = down"
    name = view.step.name
    if session.tree is not None:  # long feature names: the prompt keeps to one line
        name = fit_right(name, max(12, width - 40))
    return Text.assemble(
        (hint + "\n", "dim"), (name, "bold"), f" [{verb} {numbers}{down}, Enter = keep]> "
    )


def print_help(out: Console, session: ConfigureSession | None = None) -> None:
    out.print(
        Text(
            "Commands (type and press Enter):\n"
            "  Enter        keep the step as it is and go on (at the last step: finish)\n"
            "  N            choose option N (in groups of several: add or remove it)\n"
            "  CODE         choose an option of any step by its code, e.g. PAINT-AMETHYST\n"
            "  b            back one step          u   undo the last change\n"
            "  j [GROUP]    jump to a group (name, id or number; without one: list them)\n"
            "  / TEXT       search options by name or code, then choose one (N) or go to\n"
            "               its group (j N)\n"
            "  v CODE       change the value you gave an option (e.g. a custom colour)\n"
            "  d [N|CODE]   details: the descriptions of this step's options (or of one)\n"
            "  x y z        over a tax threshold: take the way back under offered on that key\n"
            "  q            the full quote (provisional while the car cannot be ordered yet)\n"
            "  f            finish: quote, code, save; short of a programme's minimum, the\n"
            "               cheapest ways to reach it\n"
            "  Ctrl-C       stop (you are asked whether to save what you have)"
        )
    )
    if session is not None and session.tree is not None:
        out.print(
            Text(
                "The groups of this model form a feature tree; the path above the options\n"
                "shows where you are, ▸N after an option the groups under it. Enter and b walk\n"
                "it depth first, past the groups whose option is not in the car.\n"
                "  > N | > CODE go down: to the first group under option N (or CODE)\n"
                "  <            go up: to the group holding the option this group refines\n"
                "  + / -        the next / previous options of a group longer than the screen\n"
                "  j            the groups right under here, with their counts; j NAME jumps\n"
                "               (several groups match: pick one from the list)"
            )
        )


def print_changed(out: Console, session: ConfigureSession, changed: Changed) -> None:
    """What a change did: chosen, removed, brought along, defaults adjusted."""
    for code in changed.added:
        value = session.values.get(code)
        extra = f": “{value}”" if value else ""
        out.print(Text.assemble(("+ ", "green"), f"{session.name(code)}{extra} ({code})"))
    for code in changed.removed:
        out.print(Text.assemble(("- ", "red"), f"{session.name(code)} ({code}) removed"))
    for code, by in changed.brought:
        out.print(
            Text.assemble(
                ("+ ", "green"),
                f"{session.name(code)} ({code}) comes with {session.name(by)}",
            )
        )
    for code, reason in changed.adjusted:
        out.print(
            Text.assemble(
                ("~ ", "yellow"),
                f"{session.name(code)} ({code}) instead of the standard option: {reason}",
            )
        )


def print_alternatives(
    out: Console,
    session: ConfigureSession,
    code: str,
    reason: str,
    alternatives: Sequence[Alternative],
) -> None:
    """An unavailable option: why, and the numbered ways to get it, cheapest first; each says
    exactly what Accept does (every option that leaves and comes, the new total)."""
    header = Text.assemble(
        ("✗ ", "bold red"),
        (f"{session.name(code)} ({code})", "bold"),
        f" is not available: {reason}",
    )
    out.print(header)
    if not alternatives:
        out.print("  No change to your choices makes it available.")
        return
    out.print(
        f"  To get it, accept one (exactly what changes in the car; {session.catalog.currency}):"
    )
    for number, alternative in enumerate(alternatives, 1):
        for line in alternative_lines(session, number, alternative, out.width):
            out.print(line)


def alternative_lines(
    session: ConfigureSession, number: int, alternative: Alternative, width: int
) -> list[Text]:
    """One alternative: its change of the total, then the options leaving and coming."""
    delta = "?" if alternative.delta is None else _signed(alternative.delta)
    head = Text(f"  {number:>2}  {delta}", style="bold")
    if alternative.total is not None:
        head.append(f"  → total {format_money(alternative.total)}")
    if alternative.weeks_delta:
        weeks = alternative.weeks_delta
        head.append(f"  · delivery {'+' if weeks > 0 else '-'}{abs(weeks)} weeks")
    lines = [head]
    indent = 6
    asks = set(alternative.needs_values)

    def named(code: str, coming: bool) -> str:
        text = session.name(code)
        if coming and code in asks:
            text += " (asks the buyer's text)"
        return text

    for sign, codes, style in (
        ("- ", alternative.leaving, "red"),
        ("+ ", alternative.coming, "green"),
    ):
        if not codes:
            continue
        names = [named(c, sign == "+ ") for c in codes]
        parts = [Text(n + (";" if i < len(names) - 1 else "")) for i, n in enumerate(names)]
        parts[0] = Text.assemble((sign, style), parts[0])
        for line in _wrapped(parts, width - indent, indent=2):
            lines.append(Text(" " * indent) + line)
    for missing in alternative.missing:
        lines.append(Text(" " * indent + f"still missing: {missing}", style="yellow"))
    return lines


def _signed(amount: Decimal) -> str:
    text = format_money(abs(amount))
    return f"+{text}" if amount > 0 else (f"-{text}" if amount < 0 else "±0.00")


def print_hits(out: Console, hits: Sequence[Hit], total: int | None = None) -> None:
    """Search results, numbered; in a feature tree each with its path on a second line."""
    for number, hit in enumerate(hits, 1):
        state = " (selected)" if hit.selected else ""
        where = "" if hit.path else f"  · {hit.step_name}"
        line = Text(
            f"  {number:>2}  {hit.name}{state}  {hit.code}{where}",
            style="" if hit.available else "dim",
        )
        if not hit.available:
            line.append("  (not available now)")
        out.print(line, overflow="ellipsis", no_wrap=True)
        if hit.path:
            path = fit_left(path_text(hit.path), out.width - 9)
            out.print(Text(f"      in {path}", style="dim"), overflow="ellipsis", no_wrap=True)
    if total is not None and total > len(hits):
        out.print(
            Text(
                f"  … {total - len(hits):,} more of {total:,}: type more of the name or code",
                style="dim",
            )
        )


def print_branches(
    out: Console,
    session: ConfigureSession,
    branches: Sequence[Branch],
    title: str,
    above: Sequence[int] = (),
) -> None:
    """Groups of the feature tree, numbered, each with how many groups are under it, how
    many are decided and whether its option is in the car; under ``above``, the groups they
    hang from (top first), each indented one more: the hierarchy at a glance. ``<`` marks
    the group above the current one, ``▸`` the current one."""
    out.print(Text(fit_right(title, out.width - 1), style="bold"))
    tree = session.tree
    parent = tree.parent[session.index] if tree is not None else None
    cut = bool(above) and tree is not None and tree.parent[above[0]] is not None
    for depth, index in enumerate(above):
        mark = "<" if index == parent else "▸" if index == session.index else " "
        lead = ("… " if cut and depth == 0 else "") + "  " * min(depth, 4)
        text = f"   {mark}  {lead}{session.steps[index].name}"
        out.print(
            Text(fit_right(text, out.width - 1), style="" if mark == "▸" else "dim"),
            no_wrap=True,
            overflow="ellipsis",
        )
    indent = "  " * min(len(above), 4)
    selected = session.selection().codes
    width = max(2, len(str(len(branches))))
    for number, branch in enumerate(branches, 1):
        counts = []
        if branch.groups:
            out_count = f", {branch.out:,} out" if branch.out else ""
            counts.append(f"{branch.groups:,} under, {branch.decided:,} decided{out_count}")
        if session.decided(branch.index):
            counts.append("chosen")
        if branch.under is not None and branch.under not in selected:
            counts.append("not in the car")
        tail = f"  ({'; '.join(counts)})" if counts else ""
        name = session.steps[branch.index].name
        room = out.width - 1 - (width + 4 + len(indent)) - cell_len(tail)
        here = "▸" if branch.index == session.index else " "
        line = Text(f"{here}{number:>{width + 1}}  {indent}{fit_right(name, max(10, room))}{tail}")
        if branch.under is not None and branch.under not in selected:
            line.stylize("dim")
        out.print(line, overflow="ellipsis", no_wrap=True)


def print_steps(out: Console, session: ConfigureSession) -> None:
    """The list of steps, for jumping."""
    selection = session.selection()
    for number, step in enumerate(session.steps, 1):
        picked = [session.name(c) for c in step.codes if c in selection.codes]
        here = "▸" if number - 1 == session.index else " "
        text = ", ".join(picked) or "none"
        out.print(f"{here}{number:>3}  {step.name}: {text}", overflow="ellipsis", no_wrap=True)


def print_error(out: Console, error: Exception) -> None:
    """A user mistake in one line (plus a configuration error's explanation)."""
    message = getattr(error, "message", str(error))
    out.print(Text.assemble(("! ", "bold red"), message))
    suggestion = getattr(error, "suggestion", None)
    if suggestion:
        out.print(f"  {suggestion}")
    if isinstance(error, ConfigurationError):
        for line in error.explanation:
            if not line.startswith("rule "):  # rule ids are for quote's stderr and JSON
                out.print(f"  {line}")


def print_finished(out: Console, quote: Quote, saved: str | None) -> None:
    """The last lines of a finished session: what the buyer pays, the code, where it went."""
    out.print(
        Text.assemble(
            ("Total to pay: ", "bold"), (f"{format_money(quote.total)} {quote.currency}", "bold")
        )
    )
    from configurator.render.quote import code_text

    out.print(Text("Configuration code:", style="bold"))
    out.print(code_text(quote.code), soft_wrap=True)
    if saved:
        out.print(f"Saved to {saved}")


def print_provisional_banner(out: Console, session: ConfigureSession) -> None:
    """The banner over and under a quote of a car that cannot be ordered yet."""
    summary = session.summary()
    reasons = [
        f"{p.name} {format_money(p.missing)} short of its minimum"
        for p in summary.incomplete_programmes
    ]
    reasons += [f"{session.name(c)} still needs the buyer's text" for c in session.missing_values()]
    text = "PROVISIONAL QUOTE - this car cannot be ordered yet: " + "; ".join(reasons)
    width = max(20, out.width - 4)
    out.print(Text("━" * min(out.width, 80), style="bold yellow"))
    for part in textwrap.wrap(text, width):
        out.print(Text(part, style="bold yellow"))
    out.print(Text("━" * min(out.width, 80), style="bold yellow"))


def print_ways_to_finish(
    out: Console, session: ConfigureSession, ways: Sequence[Alternative]
) -> None:
    """The cheapest ways to reach a programme's minimum, each exactly what it adds."""
    if not ways:
        out.print("  No addition reaches the minimum: remove programme options instead.")
        return
    out.print(
        f"  The cheapest ways to reach the minimum (exactly what each adds; "
        f"{session.catalog.currency}):"
    )
    for number, way in enumerate(ways, 1):
        for line in alternative_lines(session, number, way, out.width):
            out.print(line)


def print_details(out: Console, session: ConfigureSession, codes: Sequence[str]) -> None:
    """Options with their descriptions (and names in the catalog's other languages)."""
    for code in codes:
        head = Text.assemble((session.name(code), "bold"), f" ({code}) ")
        head.append(f"{format_money(session.price_of(code))} {session.catalog.currency}")
        out.print(head)
        description = session.description(code) or "no description in the catalog"
        for part in textwrap.wrap(description, max(20, out.width - 4)):
            out.print(Text("    " + part, style="dim" if not session.description(code) else ""))
