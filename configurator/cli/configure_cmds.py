"""`configurator configure`: the dealer's interactive, guided configuration session.

The session itself (state, undo, valid domains, alternatives, figures) is
:class:`configurator.session.ConfigureSession`; this module only reads the dealer's lines,
calls the session and renders (:mod:`configurator.render.configure`). Lines are read one at a
time with numbered choices, which works the same in any terminal, under ``NO_COLOR``, through
a pseudo-terminal and in tests.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from configurator.cli import app
from configurator.cli.common import PRICE_DATE_HELP, date_option, model_argument
from configurator.errors import ConfiguratorError, ExitCode, UnknownOptionError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from configurator.catalog.loader import CatalogTree
    from configurator.catalog.schema import BuyerValue, Catalog
    from configurator.configuration import Configuration
    from configurator.session import Alternative, ConfigureSession, Outcome


Next = Literal["show", "stay", "done"]
SHOW: Next = "show"  # show the (new) step again
STAY: Next = "stay"  # stay at the prompt: what was printed is the answer
DONE: Next = "done"  # finished


def stdin_is_terminal() -> bool:
    """Whether standard input is a terminal (tests replace this to drive the session)."""
    return sys.stdin.isatty()


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (tests replace this to drive the session)."""
    return sys.stdout.isatty()


NOT_A_TERMINAL = (
    "configure is interactive and standard input is not a terminal; to price without a "
    "terminal use 'configurator quote MODEL [OPTION-CODE ...]' (or --code CODE) for one "
    "configuration, or 'configurator batch FILE' for many"
)


@app.command("configure")
def configure(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        model_argument("Model id, e.g. xiaomi-su7-ultra (optional with --from)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Resume from a configuration code or a saved configuration file.",
            metavar="CODE|FILE",
            show_default=False,
        ),
    ] = None,
    date: Annotated[str | None, date_option(PRICE_DATE_HELP)] = None,
    save: Annotated[
        str | None,
        typer.Option(
            "--save",
            help="Save the finished configuration to FILE (.yaml or .json), atomically.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Names in this language where the catalog gives them: en or zh-CN "
            "(default: zh-CN under a zh_* locale, else en).",
            metavar="LANG",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Configure a car step by step in the terminal, with live prices and taxes.

    Walks the catalog's groups in order. Options that cannot be chosen are shown dimmed with
    the reason; choosing one offers the cheapest ways to get it. Type a number to choose,
    Enter to keep a step as it is, b back, u undo, j jump to a group, / search, q quote,
    f finish, ? help. On a model whose groups form a feature tree (imported UVL), each step
    shows its path and counts; > N goes down, < up. Pressing Enter at every step gives the
    standard car. Finishing shows the full quote and its configuration code. Ctrl-C offers
    to save what you have.
    Needs a terminal: use 'quote' or 'batch' in scripts.

    Example: configurator configure xiaomi-su7-ultra --save order.yaml

    Example: configurator configure xiaomi-su7-ultra --from order.yaml --date 2026-03-01
    """
    if not stdin_is_terminal():
        raise UsageError(NOT_A_TERMINAL)
    if not stdout_is_terminal():  # redirected: the prompts would go unseen and it would wait
        raise UsageError(NOT_A_TERMINAL.replace("standard input", "standard output", 1))
    from configurator.cli.common import parse_date, tree
    from configurator.render import console
    from configurator.session import ConfigureSession, file_format

    on = parse_date(date)
    if save is not None:
        from configurator.outputs import plan_output

        file_format(save)
        plan_output(save)  # a missing or read-only folder, a folder: said now, not at the end
    catalogs = tree(ctx)
    catalog = catalogs.load(model or _model_of(start, catalogs))
    market = catalogs.load_market(catalog.market)
    configuration, warnings = _starting_point(start, catalog, catalogs)
    from configurator.lang import chosen_lang

    session = ConfigureSession(catalog, market, on, configuration, lang=chosen_lang(lang))
    out = console()
    for warning in [*warnings, *session.notices]:
        out.print(f"note: {warning}")
    raise typer.Exit(_Dealer(session, out, save).run())


def _model_of(start: str | None, catalogs: CatalogTree) -> str:
    """The model of ``--from`` (a saved file's ``model``, or the model a code is for)."""
    if start is None:
        raise UsageError(
            "name a model (e.g. configurator configure xiaomi-su7-ultra) or give --from "
            "FILE|CODE to resume"
        )
    from configurator.codes import decode
    from configurator.session import FILE_FORMATS, read_configuration_file

    path = Path(start)
    if path.suffix.lower() in FILE_FORMATS or path.exists():
        return read_configuration_file(path).configuration.model
    return decode(start, catalogs).configuration.model


def _starting_point(
    start: str | None, catalog: Catalog, catalogs: CatalogTree
) -> tuple[Configuration | None, list[str]]:
    """``--from``: a saved file (by path) or a configuration code; with migration warnings."""
    if start is None:
        return None, []
    from configurator.codes import decode_for, migrate
    from configurator.session import FILE_FORMATS, read_configuration_file

    path = Path(start)
    if path.suffix.lower() in FILE_FORMATS or path.exists():
        saved = read_configuration_file(path)
        if saved.configuration.model != catalog.id:
            raise UsageError(
                f"{start} holds a configuration of {saved.configuration.model}, not {catalog.id}"
            )
        if saved.configuration.choices or saved.code is None:
            return saved.configuration, []
        start = saved.code
    decoded = decode_for(start, catalog)
    migration = migrate(catalog, decoded.configuration, decoded.version)
    return migration.configuration, list(migration.warnings)


def _number(text: str) -> int | None:
    """A typed number (ASCII digits only: '²' or '①' are not numbers here), else None."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18  # beyond any list: out of range


class _Dealer:
    """The read-evaluate-render loop over a session."""

    def __init__(self, session: ConfigureSession, out: Console, save: str | None) -> None:
        self.session = session
        self.out = out
        self.save = save
        self._pending: str | None = None  # a command typed at a sub-prompt, to do next
        # A feature tree's long groups page: the first option shown, the one after the last,
        # and the step they belong to (a new step starts at its first option).
        self._page = (0, 0, -1)

    # --- input ----------------------------------------------------------------------------

    def ask(self, prompt: object) -> str:
        """One line from the dealer (EOFError and KeyboardInterrupt pass through)."""
        return self.out.input(prompt)  # type: ignore[arg-type]

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> int:
        """Run until finished (0) or interrupted (130, after offering to save)."""
        try:
            return self._loop()
        except (KeyboardInterrupt, EOFError):
            return self._interrupted()

    def _loop(self) -> int:
        from configurator.render.configure import print_step, prompt_text

        session, out = self.session, self.out
        show = True
        while True:
            if show:
                first, _, index = self._page
                first = first if index == session.index else 0
                self._page = (first, print_step(out, session, first), session.index)
            if self._pending is not None:
                line, self._pending = self._pending, None
            else:
                line = self.ask(prompt_text(session, out.width)).strip()
            try:
                following = self._command(line)
            except ConfiguratorError as error:
                from configurator.render.configure import print_error

                print_error(out, error)
                following = STAY
            if following == DONE:
                return int(ExitCode.OK)
            show = following == SHOW

    def _command(self, line: str) -> Next:
        """Do one command; say whether to show the step again, stay at the prompt, or stop."""
        from configurator.render.configure import print_help

        session, out = self.session, self.out
        word, _, rest = line.partition(" ")
        lowered = word.lower()
        rest = rest.strip()
        if not line:
            if session.forward():
                return SHOW
            return DONE if self._finish() else SHOW
        number = _number(line)
        if number is not None:
            view = session.view()
            if not 1 <= number <= len(view.options):
                raise UsageError(f"choose a number from 1 to {len(view.options)}")
            return self._choose(view.options[number - 1].code)
        if lowered == "b" and not rest:
            if not session.back():
                out.print("This is the first step.")
                return STAY
            return SHOW
        if lowered == "u" and not rest:
            label = session.undo()
            out.print(f"Undone: {label}." if label else "Nothing to undo.")
            return SHOW if label else STAY
        if lowered == "j":
            return self._jump(rest)
        if line.startswith(">"):
            return self._down(line[1:].strip())
        if line in ("+", "-") and session.tree is not None:
            return self._turn_page(forward=line == "+")
        if line == "<":
            if session.tree is None:
                raise UsageError("the groups of this catalog are not a tree: b goes back a step")
            if not session.up():
                out.print("This group is at the top of the tree.")
                return STAY
            return SHOW
        if line.startswith("/"):
            return self._search(line[1:].strip())
        if lowered == "q" and not rest:
            self._show_quote()
            return STAY
        if lowered == "f" and not rest:
            return DONE if self._finish() else SHOW
        if lowered in ("?", "h", "help") and not rest:
            print_help(out, session)
            return STAY
        if lowered == "v":
            return self._value_command(rest)
        if lowered in ("x", "y", "z") and not rest:
            return self._under(lowered)
        if lowered == "d":
            return self._details(rest)
        if " " not in line:
            # An option code typed directly: choose it wherever it is.
            try:
                session.go_to_option(line)
            except UnknownOptionError as error:
                raise UsageError(
                    f"'{line}' is neither a command nor an option code (type ? for help)",
                    suggestion=error.suggestion,
                ) from None
            return self._choose(line.upper())
        raise UsageError(f"'{line}' is not a command: type ? for help")

    # --- choosing -------------------------------------------------------------------------

    def _choose(self, code: str) -> Next:
        from configurator.session import Blocked, Changed, NeedsValue

        session = self.session
        if not self._confirm_crossing(code):
            return SHOW
        outcome: Outcome = session.choose(code)
        if isinstance(outcome, NeedsValue):
            value = self._ask_value(outcome.code, outcome.spec)
            if value is None:
                return SHOW
            outcome = session.choose(code, value)
        if isinstance(outcome, Blocked):
            alternative = self._pick_alternative(outcome)
            if alternative is None:
                return SHOW
            given: dict[str, str] = {}
            outcome = session.apply(alternative, values=given)
            while isinstance(outcome, NeedsValue):  # each option of the new car that asks one
                value = self._ask_value(outcome.code, outcome.spec)
                if value is None:
                    return SHOW
                given[outcome.code] = value
                outcome = session.apply(alternative, values=given)
        assert isinstance(outcome, Changed)
        self._report(outcome)
        step = session.step
        if (
            outcome.code in step.codes
            and not step.multi
            and outcome.code in session.selection().codes
        ):
            session.forward()  # a single choice made (or confirmed): on to the next step
        return SHOW

    def _details(self, which: str) -> Next:
        """d: the descriptions of the step's options; d N or d CODE: one option's."""
        from configurator.render.configure import print_details

        session = self.session
        view = session.view()
        if not which:
            codes = [o.code for o in view.options]
        elif which.isdigit() and 1 <= int(which) <= len(view.options):
            codes = [view.options[int(which) - 1].code]
        else:
            codes = [session.known(which)]
        print_details(self.out, session, codes)
        return STAY

    def _confirm_crossing(self, code: str) -> bool:
        """An option that takes the car over a tax threshold is chosen only once confirmed."""
        from configurator.money import format_money

        crossing = self.session.crossing(code)
        if crossing is None:
            return True
        self.out.print(
            f"⚠ {self.session.name(code)} takes the car over the {crossing.tax_name} "
            f"threshold ({format_money(crossing.threshold_price)}): "
            f"{format_money(crossing.tax)} of tax, so it costs "
            f"{format_money(crossing.effective_cost)} in all."
        )
        from rich.text import Text

        answer = self.ask(Text("Choose it anyway? [y/N]> ")).strip().lower()
        return answer in ("y", "yes")

    def _under(self, key: str) -> Next:
        """x, y or z: take one of the ways back under the tax threshold."""
        from configurator.render.configure import UNDER_KEYS

        ways = self.session.ways_under(len(UNDER_KEYS))
        index = UNDER_KEYS.index(key)
        if index >= len(ways):
            raise UsageError(f"'{key}' is not offered now: type ? for help")
        outcome = self.session.apply(ways[index])
        from configurator.session import Changed

        if isinstance(outcome, Changed):
            self._report(outcome)
        return SHOW

    def _report(self, changed: object) -> None:
        from configurator.render.configure import print_changed
        from configurator.session import Changed

        assert isinstance(changed, Changed)
        print_changed(self.out, self.session, changed)
        self._explain_programmes()
        for code in changed.needs_values:
            spec = self.session.value_spec(code)
            if spec is None:
                continue
            value = self._ask_value(code, spec, required=True)
            if value is not None:
                self.session.set_value(code, value)

    def _explain_programmes(self) -> None:
        """Explain each programme once, when the car first takes one of its options."""
        from configurator.render.configure import programme_lines

        for programme in self.session.programmes_to_explain():
            for line in programme_lines(self.session, programme, self.out.width):
                self.out.print(line)

    def _ask_value(self, code: str, spec: BuyerValue, required: bool = False) -> str | None:
        """Ask a buyer-supplied value until it is valid; None when the dealer cancels."""
        from configurator.errors import BadValueError
        from configurator.render.configure import print_error

        examples = f" (e.g. {', '.join(spec.examples)})" if spec.examples else ""
        cancel = "Enter = later" if required else "Enter = cancel"
        while True:
            answer = self.ask(
                f"{self.session.name(code)}: {spec.prompt}{examples}\n[{cancel}]> "
            ).strip()
            if not answer:
                return None
            try:
                return self.session.check_value(code, answer)
            except BadValueError as error:
                print_error(self.out, error)

    def _pick_alternative(self, blocked: object) -> Alternative | None:
        from configurator.render.configure import print_alternatives
        from configurator.session import Blocked

        assert isinstance(blocked, Blocked)
        print_alternatives(
            self.out, self.session, blocked.code, blocked.reason, blocked.alternatives
        )
        if not blocked.alternatives:
            return None
        count = len(blocked.alternatives)
        while True:
            answer = self.ask(f"Accept [1-{count}, Enter = cancel]> ").strip()
            if not answer:
                return None
            number = _number(answer)
            if number is not None and 1 <= number <= count:
                return blocked.alternatives[number - 1]
            self.out.print(f"Type a number from 1 to {count}, or Enter to cancel.")

    def _value_command(self, code: str) -> Next:
        session = self.session
        if not code:
            raise UsageError("v CODE: change the value given to an option, e.g. v BADGE-CUSTOM")
        code = session.known(code)
        spec = session.value_spec(code)
        if spec is None:
            raise UsageError(f"{session.name(code)} takes no value from the buyer")
        if code not in session.selection().codes:
            raise UsageError(f"{session.name(code)} is not in the configuration")
        value = self._ask_value(code, spec)
        if value is not None:
            self._report(session.set_value(code, value))
        return SHOW

    # --- moving and searching -------------------------------------------------------------

    def _jump(self, target: str) -> Next:
        from configurator.render.configure import print_steps

        session = self.session
        if session.tree is not None:
            return self._jump_in_tree(target)
        if not target:
            print_steps(self.out, session)
            target = self.ask(f"Jump to [1-{len(session.steps)} or a name, Enter = stay]> ")
            if not target.strip():
                return SHOW
        session.jump(target)
        return SHOW

    def _room(self, lines_each: int = 1) -> int:
        """How many entries of a list fit the screen above its prompt."""
        height = self.out.height or 24
        return max(5, (height - 5) // lines_each)

    def _jump_in_tree(self, target: str) -> Next:
        """j in a feature tree: the groups right under here (under the group above when there
        are none), numbered; j NAME jumps, and lists the groups when several match."""
        from configurator.render.configure import print_branches

        session, out = self.session, self.out
        if target:
            if _number(target) is None:
                matches = session.find_steps(target)
                if len(matches) > 1:
                    return self._pick_group(target, matches)
            session.jump(target)
            return SHOW
        tree = session.tree
        assert tree is not None
        here = session.index
        branches = session.branches(here)
        title = f"Groups under {session.step.name}:"
        above = (*tree.ancestors(here)[-2:], here)  # the branch they hang from
        if not branches:
            parent = tree.parent[here]
            branches = session.branches(parent) if parent is not None else session.tops()
            title = (
                f"No groups under {session.step.name}; the groups beside it:"
                if parent is not None
                else "The groups at the top of the tree:"
            )
            above = tree.ancestors(here)[-3:]
        shown = branches[: max(3, self._room() - len(above))]
        print_branches(out, session, shown, title, above)
        if len(branches) > len(shown):
            out.print(f"  … {len(branches) - len(shown):,} more: j NAME or / TEXT finds them")
        while True:
            answer = self.ask(f"Go to [1-{len(shown)}, < = up, a name, Enter = stay]> ").strip()
            if not answer:
                return SHOW
            if answer == "<":
                return self._command("<")
            number = _number(answer)
            if number is None:
                return self._jump_in_tree(answer)
            if 1 <= number <= len(shown):
                session.index = shown[number - 1].index
                return SHOW
            out.print(f"Type a number from 1 to {len(shown)}, a name, or Enter to stay.")

    def _pick_group(self, text: str, matches: list[int]) -> Next:
        """Several groups match a name: list them with their paths, go to the one picked."""
        from configurator.render.configure import fit_left, path_text

        session, out = self.session, self.out
        shown = matches[: self._room(2)]
        out.print(f"{len(matches):,} groups match '{text}':")
        for number, index in enumerate(shown, 1):
            name = session.steps[index].name
            out.print(f"  {number:>2}  {name}", overflow="ellipsis", no_wrap=True)
            path = session.path(index)
            if path:
                where = fit_left(path_text(path), out.width - 9)
                out.print(f"      in {where}", style="dim", overflow="ellipsis", no_wrap=True)
        if len(matches) > len(shown):
            out.print(f"  … {len(matches) - len(shown):,} more: type more of the name")
        while True:
            answer = self.ask(f"Go to [1-{len(shown)}, Enter = stay]> ").strip()
            if not answer:
                return SHOW
            picked = _number(answer)
            if picked is not None and 1 <= picked <= len(shown):
                session.index = shown[picked - 1]
                return SHOW
            out.print(f"Type a number from 1 to {len(shown)}, or Enter to stay.")

    def _turn_page(self, forward: bool) -> Next:
        """+ or -: the next or previous options of a group longer than the screen."""
        first, end, index = self._page
        count = len(self.session.view().options)
        if index != self.session.index or first == 0 and end >= count:
            self.out.print("All the options of this group are on the screen.")
            return STAY
        if (forward and end >= count) or (not forward and first == 0):
            self.out.print(f"No {'more' if forward else 'earlier'} options.")
            return STAY
        shown = max(1, end - first)  # back by as many as this screen held
        self._page = (end if forward else max(0, first - shown), end, index)
        return SHOW

    def _down(self, which: str) -> Next:
        """> N or > CODE: go to the first group under an option of this step (or any)."""
        session = self.session
        if session.tree is None:
            raise UsageError("the groups of this catalog are not a tree: Enter goes on a step")
        view = session.view()
        if not which:
            codes = [o.code for o in view.options if session.groups_under(o.code)]
            if len(codes) != 1:
                raise UsageError(
                    "> N: go down to the groups under option N"
                    + ("" if codes else f"; nothing in {session.step.name} has groups under it")
                )
            which = codes[0]
        number = _number(which)
        if number is not None:
            if not 1 <= number <= len(view.options):
                raise UsageError(f"choose a number from 1 to {len(view.options)}")
            which = view.options[number - 1].code
        session.down(which)
        return SHOW

    def _search(self, text: str) -> Next:
        from configurator.render.configure import print_hits

        session, out = self.session, self.out
        if not text:
            text = self.ask("Search for [Enter = cancel]> ").strip()
            if not text:
                return SHOW
        found = session.find(text, self._room(2 if session.tree is not None else 1))
        hits = found.hits
        if not hits:
            out.print(f"Nothing matches '{text}'.")
            return STAY
        print_hits(out, hits, found.total)
        count = len(hits)
        while True:
            numbers = "1" if count == 1 else f"1-{count}"
            prompt = f"Choose [{numbers}, j N = go to its group, Enter = cancel]> "
            answer = self.ask(prompt).strip()
            if not answer:
                return STAY
            word, _, rest = answer.partition(" ")
            going = word.lower() == "j" and bool(rest.strip())
            picked = _number(rest.strip() if going else answer)
            if picked is not None and 1 <= picked <= count:
                number = picked
                break
            if picked is None:  # another command (a new search, say): done next
                self._pending = answer
                return STAY
            out.print(f"Type a number from 1 to {count} (j N: go to its group), or Enter.")
        hit = hits[number - 1]
        session.go_to_option(hit.code)
        if going:
            return SHOW
        if hit.selected and not session.step.multi:
            return SHOW
        return self._choose(hit.code)

    # --- quote, finish, save --------------------------------------------------------------

    def _show_quote(self) -> None:
        from configurator.errors import BadValueError, ConfigurationError, MinimumSpendError
        from configurator.render.configure import print_error, print_provisional_banner
        from configurator.render.quote import print_quote

        try:
            quote = self.session.quote()
        except (MinimumSpendError, BadValueError):
            # Short of a minimum or a value still to give: the figures, under a banner.
            draft = self.session.draft_quote()
            print_provisional_banner(self.out, self.session)
            print_quote(draft, self.out)
            print_provisional_banner(self.out, self.session)
            return
        except ConfigurationError as error:
            print_error(self.out, error)
            return
        print_quote(quote, self.out)

    def _finish(self) -> bool:
        """Show the final quote and code and save; False (and the step to fix) if not valid."""
        from configurator.errors import ConfigurationError, MinimumSpendError
        from configurator.render.configure import print_error, print_finished
        from configurator.render.quote import print_quote

        session = self.session
        for code in session.missing_values():
            spec = session.value_spec(code)
            if spec is not None:
                value = self._ask_value(code, spec, required=True)
                if value is not None:
                    session.set_value(code, value)
        try:
            quote = session.finish()
        except MinimumSpendError as error:
            self.out.print("Cannot finish yet:")
            print_error(self.out, error)
            self._offer_ways_to_finish()
            return False
        except ConfigurationError as error:
            self.out.print("Cannot finish yet:")
            print_error(self.out, error)
            index = session.step_of_error(error)
            if index is not None:
                session.index = index
            return False
        print_quote(quote, self.out)
        if self.save is not None:
            try:
                self._write(self.save, finished=True, code=quote.code)
            except (OSError, ConfiguratorError) as error:  # the disk filled up, the folder went
                print_finished(self.out, quote, None)
                reason = error.message if isinstance(error, ConfiguratorError) else error.strerror
                self.out.print(f"! could not save to {self.save}: {reason or error}")
                self.out.print("Press Ctrl-C to save elsewhere, or f to try again.")
                return False
        print_finished(self.out, quote, self.save)
        return True

    def _offer_ways_to_finish(self) -> None:
        """A minimum spend not reached: the cheapest ways to reach it, each exactly what it
        adds; accept one by its number, or jump to the step of its first addition."""
        from configurator.render.configure import print_ways_to_finish
        from configurator.session import NeedsValue

        session, out = self.session, self.out
        ways = session.ways_to_finish()
        print_ways_to_finish(out, session, ways)
        if not ways:
            return
        count = len(ways)
        while True:
            answer = self.ask(
                f"Accept [1-{count}], j N = go to the step of N's first addition, "
                "Enter = choose yourself> "
            ).strip()
            if not answer:
                return
            word, _, rest = answer.partition(" ")
            if word.lower() == "j" and rest.strip().isdigit() and 1 <= int(rest) <= count:
                session.go_to_option(ways[int(rest) - 1].added[0])
                return
            if answer.isdigit() and 1 <= int(answer) <= count:
                break
            self._pending = answer  # any other command: done at the step as usual
            return
        way = ways[int(answer) - 1]
        given: dict[str, str] = {}
        outcome = session.apply(way, values=given)
        while isinstance(outcome, NeedsValue):
            value = self._ask_value(outcome.code, outcome.spec)
            if value is None:
                return
            given[outcome.code] = value
            outcome = session.apply(way, values=given)
        self._report(outcome)

    def _write(self, path: str, *, finished: bool, code: str | None = None) -> None:
        from configurator.cli.common import atomic_output
        from configurator.codes import encode
        from configurator.session import dump_configuration, file_format

        session = self.session
        configuration = session.configuration
        text = dump_configuration(
            configuration,
            fmt=file_format(path),
            catalog=session.catalog,
            on=session.on,
            code=code or encode(session.catalog, configuration),
            finished=finished,
        )
        with atomic_output(path) as handle:
            handle.write(text)

    def _interrupted(self) -> int:
        """Ctrl-C (or end of input): offer to save the configuration so far, then stop."""
        from configurator.session import file_format

        out = self.out
        out.print("\nStopped before finishing.")
        try:
            if self.save is not None:
                from rich.text import Text

                answer = self.ask(Text(f"Save the configuration so far to {self.save}? [y/N]> "))
                target = self.save if answer.strip().lower() in ("y", "yes") else ""
            else:
                target = self.ask(
                    "Save the configuration so far? File name (.yaml or .json) "
                    "[Enter = don't save]> "
                ).strip()
            while target:
                target = os.path.expanduser(target)  # a shell would have expanded ~
                try:
                    file_format(target)
                    self._write(target, finished=False)
                    out.print(f"Saved to {target}; resume with --from {target}")
                    break
                except OSError as error:
                    out.print(f"! could not save to {target}: {_plain(error)}")
                    target = self.ask("File name (.yaml or .json) [Enter = don't save]> ").strip()
                except ConfiguratorError as error:
                    out.print(f"! {error.message}")
                    target = self.ask("File name (.yaml or .json) [Enter = don't save]> ").strip()
            else:
                out.print("Nothing saved.")
        except (KeyboardInterrupt, EOFError):
            out.print("\nNothing saved.")
        return int(ExitCode.INTERRUPTED)


def _plain(error: OSError) -> str:
    """An operating-system error in plain words (no errno numbers)."""
    words = {
        errno.ENOENT: "that folder does not exist",
        errno.EACCES: "permission denied",
        errno.EISDIR: "that is a folder",
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "that place is read-only",
    }
    return words.get(error.errno or 0, (error.strerror or str(error)).lower())
