"""Feature names <-> option codes: a documented, reversible mapping.

Option codes are upper case letters, digits, ``_`` and ``-`` (at most 64 characters) and are
read case-insensitively; UVL feature names are case-sensitive and may hold any character
(when quoted). A code is the name's *body*, then, when the name has lower case letters, ``--``
and its *case mask*:

- body: ASCII letters upper-cased; digits and ``_`` kept; any other character ``c`` written
  ``-HH`` (two hex digits of its code point), ``-UHHHH`` or ``-VHHHHHH`` for larger ones; a
  leading ``_`` is written ``-5F``. When the body then starts with ``-`` the code starts with
  ``0`` (and a leading ``0`` of the name just before an escape is written ``-30``), so every
  code starts with a letter or digit;
- case mask: bit *i* set when the *i*-th ASCII letter of the name is lower case, as a number in
  Crockford base 32 (``0-9A-Z`` without ``I L O U``).

``Engine`` -> ``ENGINE--1Y``; ``ABS`` -> ``ABS``; ``N_100002__F_100003`` unchanged;
``Cheese-mix`` -> ``CHEESE-2DMIX--FY``; a name that would read as an operator of rule
expressions (``AND``, ``OR``, ``NOT``, ``TRUE``, ``FALSE``) gets an explicit empty mask:
``OR--0``. The body never holds ``--``, so the mask is found
unambiguously and :func:`name_of` gives the name back. A code longer than 64 characters is
cut and ends in ``--H-`` and eight characters of the name's SHA-256 instead: :func:`name_of`
returns None for it (the option's ``name`` is the feature name in every case).
"""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 64
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KEEP = re.compile(r"[A-Za-z0-9_]")
_KEYWORDS = {"AND", "OR", "NOT", "TRUE", "FALSE"}


def _base32(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 32)
        digits = _ALPHABET[rest] + digits
        if not number:
            return digits


def _escape(char: str) -> str:
    point = ord(char)
    if point < 0x100:
        return f"-{point:02X}"
    if point < 0x10000:
        return f"-U{point:04X}"
    return f"-V{point:06X}"


def code_of(name: str) -> str:
    """The option code of a feature name (see the module's documentation)."""
    parts = [c.upper() if _KEEP.fullmatch(c) and c.isascii() else _escape(c) for c in name]
    if parts and parts[0] == "_":
        parts[0] = "-5F"
    body = "".join(parts)
    if body.startswith("0-"):
        body = "-30" + body[1:]
    if body.startswith("-"):
        body = "0" + body
    mask = 0
    letters = 0
    for char in name:
        if char.isascii() and char.isalpha():
            if char.islower():
                mask |= 1 << letters
            letters += 1
    code = body + (f"--{_base32(mask)}" if mask else "")
    if not mask and body in _KEYWORDS:  # 'OR' would read as an operator in a rule
        code += "--0"
    if len(code) > MAX_LENGTH:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8].upper()
        code = body[: MAX_LENGTH - 12].rstrip("-") + "--H-" + digest
    return code


def name_of(code: str) -> str | None:
    """The feature name a code was made from; None for a shortened (hashed) code or a string
    that no name maps to."""
    body, _, mask_text = code.upper().partition("--")
    if mask_text.startswith("H-"):
        return None
    mask = 0
    for char in mask_text:
        if char not in _ALPHABET:
            return None
        mask = mask * 32 + _ALPHABET.index(char)
    if body.startswith("0-"):
        body = body[1:]
    chars: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "-":
            chars.append(char)
            i += 1
            continue
        width = {"U": 4, "V": 6}.get(body[i + 1 : i + 2], 2)
        start = i + 1 + (width != 2)
        digits = body[start : start + width]
        if len(digits) != width or not re.fullmatch(r"[0-9A-F]+", digits):
            return None
        chars.append(chr(int(digits, 16)))
        i = start + width
    letters = 0
    for k, char in enumerate(chars):
        if char.isascii() and char.isalpha():
            if mask >> letters & 1:
                chars[k] = char.lower()
            letters += 1
    name = "".join(chars)
    return name if code_of(name) == code.upper() else None
