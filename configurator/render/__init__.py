"""Rendering for people: rich tables, colours, swatches (the only place, with cli/, using rich).

:func:`console` is the one way commands get a rich console, so that every command honours
``NO_COLOR`` (https://no-color.org) and writes to the current ``sys.stdout``/``sys.stderr``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from configurator.safetext import escape_controls


class SafeConsole(Console):
    """A rich console that writes control characters found in the text it prints visibly
    (``\\x1b``): text from data (names, buyer values, ids) never drives the terminal.
    rich's own control segments (cursor moves, styles) pass unchanged."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(escape_controls(segment.text), *segment[1:])
            for segment in buffer
        )


def console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr): no colour when ``NO_COLOR`` is set and not empty.

    Colour, truecolor and width follow the terminal (rich reads ``COLORTERM``, ``COLUMNS``,
    ``FORCE_COLOR``); piped output is plain text.
    """
    no_color = bool(os.environ.get("NO_COLOR"))
    return SafeConsole(stderr=stderr, no_color=no_color, highlight=False, emoji=False)
