"""Text from data (buyer values, catalog names, rows, codes) on its way to a terminal.

A terminal obeys control characters: an escape sequence in a buyer's value could retitle the
dealer's window, clear the screen or fake a price, and bidirectional overrides can make text
read other than it is. So buyer-supplied values may not contain them at all
(:func:`control_character` finds one; configurations refuse it), and everything printed from
data goes through :func:`escape_controls`, which writes them visibly (``\\x1b``).
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, line and paragraph separators, and the bidirectional
# embeddings, overrides and isolates ("Trojan Source", CVE-2021-42574).
_OTHERS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ANY_CONTROL = re.compile(f"[\x00-\x1f{_OTHERS}]")
_UNSAFE_ON_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # tab and line feed are fine


def control_character(text: str) -> str | None:
    """The first control character of ``text`` (written visibly, e.g. ``\\x1b``), or None.

    Tabs and line breaks count: a buyer-supplied value is plain text on one line.
    """
    found = _ANY_CONTROL.search(text)
    return None if found is None else _visible(found.group())


def escape_controls(text: str) -> str:
    """``text`` with every control character but tab and line feed written visibly."""
    if text.isprintable() or _UNSAFE_ON_TERMINAL.search(text) is None:
        return text
    return _UNSAFE_ON_TERMINAL.sub(lambda found: _visible(found.group()), text)


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
