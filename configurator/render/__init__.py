"""Rendering for people: rich tables, colours, swatches (the only place, with cli/, using rich).

:func:`console` is the one way commands get a rich console, so that every command honours
``NO_COLOR`` (https://no-color.org) and writes to the current ``sys.stdout``/``sys.stderr``.
"""

from __future__ import annotations

import os

from rich.console import Console


def console(stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr): no colour when ``NO_COLOR`` is set and not empty.

    Colour, truecolor and width follow the terminal (rich reads ``COLORTERM``, ``COLUMNS``,
    ``FORCE_COLOR``); piped output is plain text.
    """
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, no_color=no_color, highlight=False, emoji=False)
