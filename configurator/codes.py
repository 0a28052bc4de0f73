"""Configuration codes: a short text that carries a whole configuration, offline.

A code such as ``7D3K-Q0WX-4M9B-T`` encodes the model, the catalog version and the buyer's own
choices (defaults are not encoded: they follow from the catalog), buyer-supplied values
included (format 1 as UTF-8; format 2, written for every code that carries values, packs each
text in the shorter of 7-bit ASCII and a prefix code per character that writes a Chinese
ideograph in 17 bits instead of UTF-8's 24: see :func:`_put_text`). Codes without values are
still written in format 1, and format 1 codes with values still decode. Design:

- **Alphabet**: Crockford base32 (``0-9 A-Z`` without ``I L O U``), so there are no look-alike
  characters; reading is case-insensitive, ignores dashes and spaces, and takes ``O`` for ``0``
  and ``I``/``L`` for ``1``. Codes are printed upper case in groups of four.
- **Check character**: the last character is a Damm check over GF(32): the quasigroup
  ``x * y = a.x + y`` (``a`` a primitive element of GF(2^5), ``a != 0, 1``) is totally
  anti-symmetric, so *every* single mistyped character and *every* swap of two adjacent
  different characters is caught.
- **Stable identifiers**: the model, the version and each option or package code are hashed
  (BLAKE2b) and the top bits of the hash are written, not positions in a list, so a code still
  decodes after the catalog gains, loses or reorders options. Option ids are 15 to 50 bits: the
  catalog picks the smallest width at which every code it knows (current ones and the removed
  ones its ``history`` lists) has a distinct id, with room to spare (2^width >= 64 x codes);
  the width is written in the code.
- **Canonical**: choices are written in ascending id order, so one configuration has one code.

Bit layout (most significant bit first, then padded with zero bits to a multiple of 5)::

    format (2 bits: 1, or 2 with values) | model 14 | version 10 | width selector 3
    | has values 1 | count (varint) | count x option id (width bits)
    | [values: count, then per value: position among the ids (or = count, then an explicit
       id, for an option that is not a choice), then format 1: byte length, UTF-8 bytes;
       format 2: form 1 bit, character count (varint), characters (7 bits, or prefix code)]
    | zero padding | check character

Varints are groups of 4 bits, least significant first, each with a continuation bit.
docs/pricing.md describes codes for users.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import sys
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from configurator.configuration import Configuration
from configurator.errors import CatalogError, CodeError, ConfiguratorError, UnknownOptionError
from configurator.money import format_money

if TYPE_CHECKING:  # a stored pricer's code book works without the schema (pydantic)
    from configurator.catalog.loader import CatalogTree
    from configurator.catalog.schema import Catalog

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE_OF = {char: index for index, char in enumerate(ALPHABET)}
_ALIASES = {"O": 0, "I": 1, "L": 1}
FORMAT = 1  # codes without buyer-supplied values (unchanged since format 1)
TEXT_FORMAT = 2  # codes with values: texts in the compact form of _put_text
FORMAT_BITS = 2
MODEL_BITS = 14
VERSION_BITS = 10
WIDTHS = (15, 20, 25, 30, 35, 40, 45, 50)
GROUP = 4
#: The longest code read, in characters without dashes: about 40 KB of options and values,
#: far beyond any real configuration (a value is at most 500 characters), and refused before
#: any decoding work so a megabyte pasted by mistake (or malice) costs nothing.
MAX_CODE_CHARS = 8_192
_POLY = 0b100101  # x^5 + x^2 + 1, primitive over GF(2)


def _times_a(x: int) -> int:
    """Multiply by the primitive element a = x in GF(32)."""
    x <<= 1
    if x & 0b100000:
        x ^= _POLY
    return x


_STEP = [[_times_a(x) ^ y for y in range(32)] for x in range(32)]


def damm(symbols: Iterable[int]) -> int:
    """The Damm interim after ``symbols``: 0 for a code with a correct check character."""
    interim = 0
    for symbol in symbols:
        interim = _STEP[interim][symbol]
    return interim


# The Damm steps in one flat table, indexed by (interim << 5) | symbol, holding the next
# interim shifted left by 5 (one look-up a symbol when encoding long codes).
_FLAT_STEP = tuple(_STEP[i >> 5][i & 31] << 5 for i in range(32 * 32))


def _damm_bytes(symbols: bytes) -> int:
    """:func:`damm` of symbols given as bytes (values 0-31).

    A short code takes two symbols a step (:func:`_PAIR_STEP`). A step is linear over GF(32)
    (``x * y = a.x + y``), so after n symbols the interim is the sum (XOR) of
    ``a^(n-1-k) . s_k``: a long code (a hundred-option car has 400 symbols) takes one numpy
    pass instead of a Python step per symbol."""
    if len(symbols) < 96:
        interim = 0
        if len(symbols) % 2:
            interim = _STEP[0][symbols[0]]
            symbols = symbols[1:]
        table = _PAIR_STEP()
        for pair in memoryview(symbols).cast("H"):
            interim = table[(interim << 16) | pair]
        return interim
    import numpy as np  # already loaded with any pricer (its validity checks)

    rows = _power_rows(len(symbols))
    products = _POWER_TIMES_FLAT().take(rows + np.frombuffer(symbols, dtype=np.uint8))
    return int(np.bitwise_xor.reduce(products))


@lru_cache(maxsize=1)
def _PAIR_STEP() -> bytes:  # noqa: N802 (a constant, made on first use)
    """The Damm interim after two symbols, at ``(interim << 16) | pair``, where ``pair`` is
    the two symbol bytes read as one native unsigned short (2 MB, most of it unused)."""
    import numpy as np

    step = np.array(_STEP, dtype=np.uint8)
    symbol = np.arange(32)
    after = step[step[:, None, :], symbol[None, :, None]]  # [interim, second, first]
    table = np.zeros((32, 256, 256), dtype=np.uint8)
    if sys.byteorder == "little":  # the first byte is the low one
        table[:, :32, :32] = after
    else:
        table[:, :32, :32] = after.transpose(0, 2, 1)
    return table.tobytes()


@lru_cache(maxsize=1)
def _POWER_TIMES_FLAT() -> Any:  # noqa: N802 (a constant, made on first use)
    """``a^e . s`` at ``32 * e + s`` (e in 0..30, s in 0..31), as a flat numpy table."""
    import numpy as np

    table = np.zeros(31 * 32, dtype=np.uint8)
    for symbol in range(32):
        value = symbol
        for power in range(31):
            table[32 * power + symbol] = value
            value = _times_a(value)
    return table


@lru_cache(maxsize=64)
def _power_rows(count: int) -> Any:
    """For each of ``count`` symbols, where its power of ``a`` starts in the flat table
    (``a`` has order 31)."""
    import numpy as np

    return ((count - 1 - np.arange(count)) % 31) * 32


def _symbols_text(acc: int, count: int) -> str:
    """The ``count`` symbols of ``acc`` (5 bits each, most significant first) as text, with
    the check character. Base32 cuts bytes into 5-bit symbols, most significant first: the
    symbols are its letters (in C), spelled in this alphabet by a translation."""
    total = 5 * count
    padding = -total % 40  # whole groups of 5 bytes: base32 adds no '=' padding
    raw = (acc << padding).to_bytes((total + padding) // 8, "big")
    letters = base64.b32encode(raw)[:count]
    check = _times_a(_damm_bytes(letters.translate(_BASE32_VALUES)))
    return letters.translate(_BASE32_SPELLING).decode("ascii") + ALPHABET[check]


def _spelled_many(codes: list[tuple[int, int]]) -> list[str]:
    """Codes given as their bits and the count of bits (:meth:`CodeBook._bits`), padded,
    cut into symbols, checked and spelled in groups of four, all at once."""
    import numpy as np  # already loaded with any pricer (its validity checks)

    if not codes:
        return []
    counts = [(bits + 4) // 5 for _, bits in codes]  # symbols, padding included
    groups = [(count + 7) // 8 for count in counts]  # of 8 symbols: 40 bits, 5 bytes
    # each code as whole groups, padded with zero bits on the right
    raw = b"".join(
        (acc << (40 * group - bits)).to_bytes(5 * group, "big")
        for (acc, bits), group in zip(codes, groups, strict=True)
    )
    five = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 5).astype(np.uint64)
    values = (five[:, 0] << 32) | (five[:, 1] << 24) | (five[:, 2] << 16)
    values |= (five[:, 3] << 8) | five[:, 4]
    shifts = np.arange(35, -1, -5, dtype=np.uint64)
    padded = ((values[:, None] >> shifts) & np.uint64(31)).astype(np.uint8).ravel()
    symbols_of = np.array(counts, dtype=np.int64)
    slots = 8 * np.array(groups, dtype=np.int64)
    start = np.cumsum(symbols_of) - symbols_of
    place = np.arange(int(symbols_of.sum())) - np.repeat(start, symbols_of)  # within its code
    symbols = padded[np.repeat(np.cumsum(slots) - slots, symbols_of) + place]
    powers = ((np.repeat(symbols_of, symbols_of) - 1 - place) % 31) * 32
    interim = np.bitwise_xor.reduceat(_POWER_TIMES_FLAT().take(powers + symbols), start)
    checks = np.array([_times_a(x) for x in range(32)], dtype=np.uint8)[interim]
    # symbol j of a code (its check last) goes to j + j // 4: a dash after every four
    width = symbols_of + 1
    length = width + (width - 1) // GROUP
    text_start = np.cumsum(length) - length
    letters = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
    text = np.full(int(length.sum()), ord("-"), dtype=np.uint8)
    text[np.repeat(text_start, symbols_of) + place + place // GROUP] = letters[symbols]
    text[text_start + symbols_of + symbols_of // GROUP] = letters[checks]
    blob = text.tobytes().decode("ascii")
    return [
        blob[at : at + size] for at, size in zip(text_start.tolist(), length.tolist(), strict=True)
    ]


_BASE32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_VALUES = bytes.maketrans(_BASE32, bytes(range(32)))
_BASE32_SPELLING = bytes.maketrans(_BASE32, ALPHABET.encode("ascii"))


def check_symbol(symbols: Iterable[int]) -> int:
    """The check character that makes the Damm interim of the whole code 0."""
    return _times_a(damm(symbols))


def _hash64(text: str, person: bytes) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, person=person).digest()
    return int.from_bytes(digest, "big")


def model_hash(model_id: str) -> int:
    return _hash64(model_id, b"cfg-model") >> (64 - MODEL_BITS)


def version_hash(version: str) -> int:
    return _hash64(version, b"cfg-version") >> (64 - VERSION_BITS)


def option_hash(code: str) -> int:
    """The 64-bit hash of an option or package code; ids are its top bits."""
    return _hash64(code, b"cfg-option")


# --- bits ------------------------------------------------------------------------------------


_BITS = [format(symbol, "05b") for symbol in range(32)]


class _Reader:
    """Reads a code's bit fields in order. The bits are kept as text ("0101...") and each
    field is converted on its own, so decoding is linear in the code's length (shifting one
    big integer for every field made a long code quadratic)."""

    def __init__(self, symbols: list[int]) -> None:
        self.bits = "".join([_BITS[symbol] for symbol in symbols])
        self.position = 0
        self.left = len(self.bits)

    def read(self, bits: int) -> int:
        if bits > self.left:
            raise CodeError("the configuration code is too short: a character is missing")
        start = self.position
        self.position += bits
        self.left -= bits
        return int(self.bits[start : self.position], 2) if bits else 0

    def varint(self) -> int:
        value = 0
        shift = 0
        while True:
            group = self.read(5)
            value |= (group & 0xF) << shift
            shift += 4
            if not group & 0x10:
                return value
            if shift > 64:
                raise CodeError("the configuration code is malformed")

    def finish(self) -> None:
        if self.left >= 5 or "1" in self.bits[self.position :]:
            raise CodeError(
                "the configuration code is malformed: it has characters left over "
                "(a character too many?)"
            )


# --- the code book of a catalog -------------------------------------------------------------


@dataclass(frozen=True)
class CodeBook:
    """A catalog's option ids: the hash of every code it knows, and the width it writes."""

    model: str
    version: str
    hashes: dict[str, int]  # every known code -> its 64-bit hash
    width: int
    ids: dict[str, int]  # current codes -> id at ``width``

    @classmethod
    def of(cls, catalog: Catalog) -> CodeBook:
        known = _known_codes(catalog)
        hashes = {code: option_hash(code) for code in known}
        width = WIDTHS[-1]
        for candidate in WIDTHS:
            distinct = len({h >> (64 - candidate) for h in hashes.values()}) == len(hashes)
            if distinct and (1 << candidate) >= 64 * max(1, len(hashes)):
                width = candidate
                break
        current = catalog.codes()
        ids = {code: h >> (64 - width) for code, h in hashes.items() if code in current}
        return cls(catalog.id, catalog.version, hashes, width, ids)

    def lookup(self, width: int, option_id: int) -> list[str]:
        """Every known code whose id at ``width`` is ``option_id``."""
        return [c for c, h in self.hashes.items() if h >> (64 - width) == option_id]

    def encode(self, choices: Iterable[str], values: dict[str, str]) -> str:
        """The code of choices (known current codes) and the values supplied for options."""
        acc, bits = self._bits(choices, values)
        padding = -bits % 5
        text = _symbols_text(acc << padding, (bits + padding) // 5)
        return "-".join([text[i : i + GROUP] for i in range(0, len(text), GROUP)])

    def encode_chosen(
        self, cars: Iterable[tuple[int, int, Mapping[int, int], dict[str, str]]]
    ) -> list[str]:
        """:meth:`encode` of many configurations, each given as the count of its choices,
        their ids in ascending order written as one number (``width`` bits each), the rank
        among them of each chosen id given a value, and the values. Each code's bits are
        made alone, then cut into symbols, checked and spelled for all at once with numpy
        (tests check the texts equal :meth:`encode`'s)."""
        width = self.width
        made = []
        for count, numbers, ranks, values in cars:
            acc, bits = self._head(count, bool(values))
            acc, bits = (acc << width * count) | numbers, bits + width * count
            if values:
                acc, bits = self._put_values(acc, bits, values, ranks, count)
            made.append((acc, bits))
        return _spelled_many(made)

    def _bits(self, choices: Iterable[str], values: dict[str, str]) -> tuple[int, int]:
        """The bits of a code before padding and its check character, and their count."""
        ids = self.ids
        choices = list(choices)
        try:
            numbers = list(map(ids.__getitem__, choices))
        except KeyError:
            code = next(code for code in choices if code not in ids)
            raise UnknownOptionError(
                f"'{code}' is not an option of {self.model}", option_codes=[code]
            ) from None
        numbers.sort()  # ids are distinct: the order of the codes themselves
        width = self.width
        acc, bits = self._head(len(numbers), bool(values))
        for number in numbers:
            acc = (acc << width) | number
        bits += width * len(numbers)
        if values:
            ranks = {}
            for code in values:
                option_id = ids.get(code, -1)
                rank = bisect_left(numbers, option_id)  # ids are distinct and sorted
                if rank < len(numbers) and numbers[rank] == option_id:
                    ranks[option_id] = rank
            acc, bits = self._put_values(acc, bits, values, ranks, len(numbers))
        return acc, bits

    def _head(self, count: int, with_values: bool) -> tuple[int, int]:
        """The first bits of a code of ``count`` choices: header, values flag, count."""
        acc = ((self.text_header if with_values else self.header) << 1) | int(with_values)
        return _varint(acc, HEADER_BITS + 1, count)

    def _put_values(
        self, acc: int, bits: int, values: dict[str, str], ranks: Mapping[int, int], count: int
    ) -> tuple[int, int]:
        """Append the values of a code of ``count`` choices; ``ranks``: the position among
        the choices' ids of each chosen option given a value."""
        # A value refers to its option by position among the choices, or (position = number
        # of choices) by an explicit id when the option is not a choice itself.
        ids, width = self.ids, self.width
        entries = []
        for code, text in values.items():
            option_id = ids.get(code)
            if option_id is None:
                raise UnknownOptionError(
                    f"'{code}' is not an option of {self.model}", option_codes=[code]
                )
            entries.append((ranks.get(option_id, count), option_id, text))
        entries.sort()
        acc, bits = _varint(acc, bits, len(entries))
        for index, option_id, data in entries:
            acc, bits = _varint(acc, bits, index)
            if index == count:
                acc = (acc << width) | option_id
                bits += width
            field, field_bits = _text_field(data)
            acc, bits = (acc << field_bits) | field, bits + field_bits
        return acc, bits

    @cached_property
    def header(self) -> int:
        """Format 1, model, version and width selector: the first bits of every code."""
        value = (FORMAT << MODEL_BITS) | model_hash(self.model)
        value = (value << VERSION_BITS) | version_hash(self.version)
        return (value << 3) | WIDTHS.index(self.width)

    @cached_property
    def text_header(self) -> int:
        """The header of a code that carries values: format 2, same fields."""
        return self.header ^ ((FORMAT ^ TEXT_FORMAT) << (MODEL_BITS + VERSION_BITS + 3))


HEADER_BITS = FORMAT_BITS + MODEL_BITS + VERSION_BITS + 3


def _varint(acc: int, bits: int, value: int) -> tuple[int, int]:
    """Append ``value`` as 4-bit groups, least significant first, each with a continuation bit."""
    if value < 16:  # one group: most counts and positions
        return (acc << 5) | value, bits + 5
    while True:
        chunk = value & 0xF
        value >>= 4
        acc = (acc << 5) | (0x10 if value else 0) | chunk
        bits += 5
        if not value:
            return acc, bits


# Format 2 texts: one bit for the form, a varint count of characters, then the characters.
# Form 0, ASCII: 7 bits a character. Form 1, any text: a prefix code per code point,
# ``0`` + 7 bits (ASCII), ``10`` + 15 bits (from U+4E00: CJK ideographs, 17 bits instead of
# UTF-8's 24), ``110`` + 11 bits (U+0080 to U+07FF: accented Latin, Greek, Cyrillic, ...:
# 14 instead of 16), ``111`` + 21 bits (the rest: 24 instead of 32). Never longer than UTF-8.
# Each text takes the shorter form (ASCII whenever it can), and a code point always its
# shortest prefix: the decoder refuses any other writing, so one configuration has one code.
_CJK_START = 0x4E00
_CJK_BITS = 15


def _char_bits(point: int) -> tuple[int, int]:
    """The prefix code of one code point in form 1: (bits, their count)."""
    if point < 0x80:
        return point, 8
    if _CJK_START <= point < _CJK_START + (1 << _CJK_BITS):
        return (0b10 << _CJK_BITS) | (point - _CJK_START), 2 + _CJK_BITS
    if point < 0x800:
        return (0b110 << 11) | point, 14
    return (0b111 << 21) | point, 24


def _put_text(acc: int, bits: int, text: str) -> tuple[int, int]:
    """Append a text in the shorter of format 2's two forms."""
    ascii_only = text.isascii()
    acc, bits = (acc << 1) | (0 if ascii_only else 1), bits + 1
    acc, bits = _varint(acc, bits, len(text))
    for char in text:
        point = ord(char)
        field, width = (point, 7) if ascii_only else _char_bits(point)
        acc = (acc << width) | field
        bits += width
    return acc, bits


@lru_cache(maxsize=4096)
def _text_field(text: str) -> tuple[int, int]:
    """:func:`_put_text` of a text alone: its bits and their count (a value such as a colour
    name comes back in many codes)."""
    return _put_text(0, 0, text)


def _known_codes(catalog: Catalog) -> list[str]:
    known = dict.fromkeys(sorted(catalog.codes()))
    for change in catalog.history:
        known.update(dict.fromkeys(sorted(change.removed)))
        known.update(dict.fromkeys(sorted(change.prices)))
    return list(known)


_BOOKS: dict[int, tuple[Catalog, CodeBook]] = {}


def codebook(catalog: Catalog) -> CodeBook:
    """The (cached) code book of a catalog."""
    entry = _BOOKS.get(id(catalog))
    if entry is not None and entry[0] is catalog:
        return entry[1]
    book = CodeBook.of(catalog)
    if len(_BOOKS) >= 32:
        _BOOKS.pop(next(iter(_BOOKS)))
    _BOOKS[id(catalog)] = (catalog, book)
    return book


# --- encoding and decoding -------------------------------------------------------------------


def format_code(text: str) -> str:
    """Upper case, in dash-separated groups of four."""
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def normalise(code: str) -> list[int]:
    """The symbols of a typed code; raise :class:`CodeError` for a character codes never use,
    or for a text too long to be a code (:data:`MAX_CODE_CHARS`), before reading it."""
    if len(code) > 2 * MAX_CODE_CHARS or len(code.replace("-", "")) > MAX_CODE_CHARS:
        raise CodeError(
            f"a configuration code has at most {MAX_CODE_CHARS:,} characters; this one has "
            f"{len(code):,}: it is not a configuration code"
        )
    symbols = []
    position = 0
    for char in code.upper():
        if char in "- \t":
            continue
        position += 1
        if char in _VALUE_OF:
            symbols.append(_VALUE_OF[char])
        elif char in _ALIASES:
            symbols.append(_ALIASES[char])
        else:
            raise CodeError(
                f"'{char}' (character {position}) is never used in configuration codes",
                suggestion="codes use the digits and the letters A-Z without I, L, O and U",
            )
    if len(symbols) < 8:
        raise CodeError(f"'{code}' is too short to be a configuration code (at least 8 characters)")
    return symbols


def encode(catalog: Catalog, configuration: Configuration) -> str:
    """The configuration code of a configuration (its choices must be codes of the catalog)."""
    values = {code.upper(): value for code, value in configuration.values.items()}
    return codebook(catalog).encode(dict.fromkeys(configuration.choices), values)


class Decoded(NamedTuple):
    """A decoded code: the configuration and the catalog version it was made under.

    ``version`` is None when the code's version is neither the catalog's current one nor one
    of its ``history`` entries.
    """

    configuration: Configuration
    version: str | None


@dataclass(frozen=True)
class _Payload:
    model: int
    version: int
    width: int
    ids: list[int]
    values: dict[int, str]  # position among the choices -> value
    explicit: dict[int, str]  # id of an option that is not a choice -> value


def _parse(code: str) -> _Payload:
    symbols = normalise(code)
    if damm(symbols) != 0:
        raise CodeError(
            f"'{code}' is not a valid configuration code: its check character does not match",
            suggestion="a character is mistyped, missing or two are swapped; check the code",
        )
    reader = _Reader(symbols[:-1])
    version_of_format = reader.read(FORMAT_BITS)
    if version_of_format not in (FORMAT, TEXT_FORMAT):
        raise CodeError(
            f"'{code}' uses code format {version_of_format}, which this configurator "
            f"does not read (it reads formats {FORMAT} and {TEXT_FORMAT})"
        )
    model = reader.read(MODEL_BITS)
    version = reader.read(VERSION_BITS)
    width = WIDTHS[reader.read(3)]
    has_values = reader.read(1)
    if version_of_format == TEXT_FORMAT and not has_values:  # format 2 is for values only
        raise CodeError(f"'{code}' is malformed: its format does not match its contents")
    ids = [reader.read(width) for _ in range(reader.varint())]
    if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
        raise CodeError(f"'{code}' is malformed: its options are not in canonical order")
    values: dict[int, str] = {}
    explicit: dict[int, str] = {}
    if has_values:
        for _ in range(reader.varint()):
            index = reader.varint()
            option_id = reader.read(width) if index == len(ids) else None
            form = reader.read(1) if version_of_format == TEXT_FORMAT else None
            length = reader.varint()
            if index > len(ids) or index in values or length > 2000:
                raise CodeError(f"'{code}' is malformed: a supplied value is out of place")
            text = _read_text(reader, form, length, code)
            if option_id is None:
                values[index] = text
            else:
                explicit[option_id] = text
    reader.finish()
    return _Payload(model, version, width, ids, values, explicit)


def _read_text(reader: _Reader, form: int | None, length: int, code: str) -> str:
    """A value's text: ``length`` UTF-8 bytes (format 1, form None) or characters (format 2)."""
    if form is None:
        data = bytes(reader.read(8) for _ in range(length))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CodeError(f"'{code}' is malformed: a supplied value is not text") from exc
    if form == 0:
        return "".join(chr(reader.read(7)) for _ in range(length))
    chars = []
    for _ in range(length):
        if not reader.read(1):
            point, width = reader.read(7), 8
        elif not reader.read(1):
            point, width = _CJK_START + reader.read(_CJK_BITS), 2 + _CJK_BITS
        elif not reader.read(1):
            point, width = reader.read(11), 14
        else:
            point, width = reader.read(21), 24
        if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF or _char_bits(point)[1] != width:
            raise CodeError(f"'{code}' is malformed: a supplied value is not written canonically")
        chars.append(chr(point))
    text = "".join(chars)
    if text.isascii():  # an ASCII text is written in form 0
        raise CodeError(f"'{code}' is malformed: a supplied value is not written canonically")
    return text


def _version_of(catalog: Catalog, hashed: int) -> str | None:
    if version_hash(catalog.version) == hashed:
        return catalog.version
    for change in catalog.history:
        if version_hash(change.version) == hashed:
            return change.version
    return None


def _code_of(book: CodeBook, catalog: Catalog, width: int, option_id: int, code: str) -> str:
    found = book.lookup(width, option_id)
    if not found:
        raise CodeError(
            f"code '{code}' names an option that {catalog.id} does not know "
            f"(id {option_id} of {width} bits): it was made from another catalog"
        )
    if len(found) > 1:
        raise CodeError(
            f"code '{code}' is ambiguous under {catalog.id} {catalog.version}: "
            f"one of its options could be any of {', '.join(sorted(found))}"
        )
    return found[0]


def _configuration(catalog: Catalog, payload: _Payload, code: str) -> Configuration:
    book = codebook(catalog)
    choices = [_code_of(book, catalog, payload.width, i, code) for i in payload.ids]
    values = {choices[index]: value for index, value in sorted(payload.values.items())}
    for option_id, value in payload.explicit.items():
        values[_code_of(book, catalog, payload.width, option_id, code)] = value
    return Configuration(model=catalog.id, choices=tuple(choices), values=values)


def decode(code: str, tree: CatalogTree) -> Decoded:
    """Read a code back into a configuration of a model of ``tree``, and its catalog version.

    Raises :class:`CodeError` for a mistyped or malformed code, or one for no model of the tree.
    Codes of options removed since (listed in the catalog's ``history``) decode to their codes;
    :func:`migrate` drops them with a warning before pricing.
    """
    payload = _parse(code)
    candidates = [m for m in tree.model_ids() if model_hash(m) == payload.model]
    if not candidates:
        raise CodeError(
            f"code '{code}' is for a model this catalog tree does not have",
            suggestion=f"models here: {', '.join(tree.model_ids()) or 'none'}",
        )
    decoded: list[Decoded] = []
    failures: list[ConfiguratorError] = []
    for model_id in candidates:
        try:
            catalog = tree.load(model_id)
            configuration = _configuration(catalog, payload, code)
        except CodeError as error:
            failures.append(error)
            continue
        except CatalogError:
            if len(candidates) == 1:
                raise
            continue
        decoded.append(Decoded(configuration, _version_of(catalog, payload.version)))
    if len(decoded) == 1:
        return decoded[0]
    if not decoded:
        raise failures[0] if failures else CodeError(f"code '{code}' does not decode")
    models = ", ".join(d.configuration.model for d in decoded)
    raise CodeError(f"code '{code}' is ambiguous: it decodes for {models}")


def decode_for(code: str, catalog: Catalog) -> Decoded:
    """Decode a code known to be for ``catalog`` (raises CodeError if it is for another model)."""
    payload = _parse(code)
    if payload.model != model_hash(catalog.id):
        raise CodeError(f"code '{code}' is not a code of {catalog.id}")
    return Decoded(_configuration(catalog, payload, code), _version_of(catalog, payload.version))


# --- older catalog versions ------------------------------------------------------------------


def _history_from(catalog: Catalog, version: str) -> list[int]:
    """Indices of history entries from ``version`` to the newest, oldest first."""
    entries = list(range(len(catalog.history)))
    if all(change.date is not None for change in catalog.history):
        entries.sort(key=lambda i: catalog.history[i].date or dt.date.min)
    start = next(i for i, e in enumerate(entries) if catalog.history[e].version == version)
    return entries[start:]


def price_in(catalog: Catalog, code: str | None, version: str) -> Decimal | None:
    """A code's price under an older version (``None`` code: the base price).

    A history entry lists what that version's prices were where they differ from the next
    version; a price not listed from ``version`` onwards is the current one. Entries are
    ordered by date when all have one, else as listed (oldest first). None for an unknown code.
    """
    later = [] if version == catalog.version else _history_from(catalog, version)
    for index in later:
        change = catalog.history[index]
        if code is None and change.base_price is not None:
            return change.base_price
        if code is not None and code in change.prices:
            return change.prices[code]
    if code is None:
        return catalog.base_price
    options = catalog.option_index()
    if code in options:
        return options[code][1].price
    package = catalog.package_index().get(code)
    return package.price if package else None


def removed_name(catalog: Catalog, code: str) -> str | None:
    """The name the history gives a removed code."""
    for change in catalog.history:
        if code in change.removed:
            return change.removed[code]
    return None


class Migration(NamedTuple):
    """A configuration made under an older catalog version, brought to the current one."""

    configuration: Configuration
    warnings: list[str]


def migrate(catalog: Catalog, configuration: Configuration, version: str | None) -> Migration:
    """Drop codes the catalog no longer has and warn about prices changed since ``version``."""
    current = catalog.codes()
    kept = tuple(code for code in configuration.choices if code in current)
    values = {c: v for c, v in configuration.values.items() if c in kept}
    warnings: list[str] = []
    if version == catalog.version:
        return Migration(configuration, warnings)
    if version is None:
        warnings.append(
            f"the code was made under a version of {catalog.id} that this catalog "
            f"(version {catalog.version}) does not record: re-priced at today's catalog, "
            f"prices may differ from the original quote"
        )
    else:
        warnings.append(
            f"the code was made under catalog version {version}; re-priced under "
            f"version {catalog.version}"
        )
    for code in configuration.choices:
        if code not in current:
            name = removed_name(catalog, code)
            label = f"{code} ({name})" if name else code
            warnings.append(f"{label} no longer exists in version {catalog.version}: left out")
    if version is not None:
        old_base = price_in(catalog, None, version)
        if old_base is not None and old_base != catalog.base_price:
            warnings.append(
                f"base price: {format_money(old_base)} in version {version}, "
                f"{format_money(catalog.base_price)} now"
            )
        for code in kept:
            before = price_in(catalog, code, version)
            now = price_in(catalog, code, catalog.version)  # the current price
            if before is not None and now is not None and before != now:
                warnings.append(
                    f"{code}: {format_money(before)} in version {version}, {format_money(now)} now"
                )
    migrated = Configuration(model=configuration.model, choices=kept, values=values)
    return Migration(migrated, warnings)
