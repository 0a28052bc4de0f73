"""Batch pricing: stream rows of configurations through the pricing engine, row by row.

The input (CSV, JSON lines or YAML) is read in chunks of a few thousand rows; each chunk is
priced and turned into output text (CSV or JSON lines) by a :class:`ChunkPricer`, in this
process or in worker processes, and the chunks are written in input order. Nothing holds more
than a few chunks, so memory stays flat whatever the input size.

A row that cannot be priced becomes an ``error`` row with a stable ``error_code``:

- ``bad_row``: the row itself is malformed (missing id or model, a bad date, both options
  and a code, not JSON, the wrong number of CSV fields);
- ``unknown_model``, ``bad_code``: the model or the configuration code does not exist;
- ``unknown_option``, ``cardinality``, ``rule_violation``, ``minimum_spend``, ``bad_value``:
  the configuration breaks the catalog (the message names the rule and explains it).

Repeated configurations are priced once: an LRU memo keyed by the row's raw fields sits in
front of one keyed by the normalised configuration ``(model, date, sorted codes, values)``.

CSV output is made safe to open in a spreadsheet (OWASP "CSV injection"): a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``.
Amount cells are never touched: they are plain decimal numbers written by the engine. JSON
lines output is data for programs and is written unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import io
import json
import multiprocessing
import operator
import os
import queue
import re
import reprlib
import signal
import sys
import time
import traceback
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Catalog, Market
from configurator.codes import decode, migrate
from configurator.configuration import Configuration
from configurator.errors import (
    CatalogError,
    ConfiguratorError,
    ExitCode,
    Location,
    Problem,
    UnknownModelError,
    UsageError,
    shorten,
)
from configurator.isodates import iso_day
from configurator.money import money_json
from configurator.pricing.bulk import BulkPricer
from configurator.pricing.engine import Figures, Pricer

if TYPE_CHECKING:  # YAML is imported only for YAML input
    import yaml

InputFormat = Literal["csv", "jsonl", "yaml", "parquet"]
OutputFormat = Literal["csv", "jsonl", "parquet"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("csv", "jsonl", "yaml", "parquet")
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("csv", "jsonl", "parquet")
_EXTENSIONS: dict[str, InputFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: The stable error codes of error rows, in the order the summary lists them.
ERROR_CODES = (
    "bad_row",
    "unknown_model",
    "bad_code",
    "unknown_option",
    "cardinality",
    "rule_violation",
    "minimum_spend",
    "bad_value",
)

#: Cells starting with one of these are formulas to a spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# about 2,000 rows of an order book of well-equipped cars (250 characters a row): enough rows
# of each model for the lane to pay numpy's overhead once for many of them
CHUNK_CHARS = 512 * 1024
MAX_RECORD_CHARS = 1024 * 1024  # no sane CSV record is longer
CHUNK_ROWS = 2_000  # rows per chunk for YAML input (already parsed in the main process)
MAX_ROW_VALUES = 1_000  # values in one YAML row, aliases expanded (a row has a few fields)
MAX_ROW_DEPTH = 20  # nested lists and mappings in a YAML row (a row nests two deep)
# Rows of one model and date priced together by the lane for distinct cars (pricing.bulk):
# enough to pay numpy's overhead once for many cars, few enough that the matrices (a row per
# car, a column per code or table column) stay a few megabytes: at least LANE_ROWS, else as
# many as make LANE_CELLS cells of a row per code.
LANE_ROWS = 256
LANE_CELLS = 1 << 17
MEMO_SIZE = 65_536  # entries per memo level and per process, at most
MEMO_CHARS = 24 * 1024 * 1024  # input characters the row memo may hold (long rows: fewer)
# Rows that are nearly all different cars gain nothing from the memos: after MEMO_TRIAL
# look-ups with fewer than one hit in MEMO_RARE, the memos shrink to MEMO_SMALL entries and a
# worker stops sending what it priced to the others (memory stays flat however long the run;
# the output is the same, memos only save time).
MEMO_TRIAL = 4_096
MEMO_RARE = 50
MEMO_SMALL = 2_048
RARE_COLLECTIONS = 100_000  # allocations between two runs of the cycle collector in a batch
PARENT_CHECK_SECONDS = 1.0  # an idle worker checks this often that the main process lives
PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal a process gets when its parent dies


class BadRowError(ConfiguratorError):
    """A batch row is malformed: missing fields, a bad date, not JSON."""

    exit_code = ExitCode.ROWS_FAILED
    error_code = "bad_row"


class RowFailedError(ConfiguratorError):
    """``--fail-fast``: the first row that could not be priced stops the run."""

    exit_code = ExitCode.ROWS_FAILED
    error_code = "row_failed"


# --- formats -------------------------------------------------------------------------------


def input_format_for(path: str, given: str | None) -> InputFormat:
    """The input format: ``given``, else from the file extension; a usage error if neither."""
    if given is not None:
        if given not in INPUT_FORMATS:
            raise UsageError(
                f"unknown input format '{given}': use one of {', '.join(INPUT_FORMATS)}"
            )
        return given
    found = _EXTENSIONS.get(Path(path).suffix.lower()) if path != "-" else None
    if found is None:
        where = "standard input" if path == "-" else f"'{path}'"
        raise UsageError(
            f"cannot tell the format of {where}: give --input-format "
            f"{'|'.join(INPUT_FORMATS)} (or name the file .csv, .jsonl, .yaml or .parquet)"
        )
    return found


def output_format_for(
    path: str | None, given: str | None, input_format: InputFormat
) -> OutputFormat:
    """The output format: ``given``, else the output file's extension, else (standard output)
    the input format when it is csv or jsonl; a usage error if none of these tells."""
    if given is not None:
        if given not in OUTPUT_FORMATS:
            raise UsageError(
                f"unknown output format '{given}': use one of {', '.join(OUTPUT_FORMATS)}"
            )
        return given
    if path is not None and path != "-":
        found = _EXTENSIONS.get(Path(path).suffix.lower())
        if found in OUTPUT_FORMATS:
            return found
        raise UsageError(
            f"cannot tell the format of '{path}': give --output-format "
            f"{'|'.join(OUTPUT_FORMATS)} (or name the file .csv, .jsonl or .parquet)"
        )
    if input_format in ("csv", "jsonl"):
        return input_format
    raise UsageError(
        f"cannot tell the output format for standard output: give --output-format "
        f"{'|'.join(OUTPUT_FORMATS)}"
    )


def output_columns(tax_ids: Iterable[str]) -> list[str]:
    """The output columns: identity and status, the subtotal, one per tax id, total, errors."""
    return ["id", "model", "status", "code", "subtotal", *tax_ids, "total", "currency"] + [
        "error_code",
        "error",
    ]


def neutralise(cell: str) -> str:
    """Make a text cell inert in a spreadsheet: prefix ``'`` when it starts like a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


# --- options ---------------------------------------------------------------------------------


def parse_options(options: str | Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Split a row's options into codes and buyer-supplied values.

    A string is split on ``;`` when it contains one (so values may hold spaces), else on
    whitespace; a list gives one item per entry. ``CODE=VALUE`` chooses ``CODE`` with
    ``VALUE`` as its buyer-supplied value. Codes are upper-cased.
    """
    if isinstance(options, str):
        if ";" not in options and "=" not in options:  # codes only: the common case
            return options.upper().split(), {}
        return _split_options(options)
    codes: list[str] = []
    values: dict[str, str] = {}
    for token in options:
        if not isinstance(token, str):
            raise BadRowError(f"options must be option codes (text), not {token!r}")
        code, equals, value = token.partition("=")
        code = code.strip().upper()
        if not code:
            if equals or token.strip():
                raise BadRowError(f"'{token.strip()}' has no option code before '='")
            continue
        if equals:
            if code in values:
                raise BadRowError(f"{code}=... is given twice: give each option one value")
            values[code] = value.strip()
        codes.append(code)
    return codes, values


def _split_options(options: str) -> tuple[list[str], dict[str, str]]:
    """:func:`parse_options` of a text with ``;`` or ``=``: every token read as a code at
    once, then the few with ``=`` read again as code and value."""
    tokens = options.split(";") if ";" in options else options.split()
    # (upper-casing is a mapping per character that never makes a ';' or a space: the text
    # upper-cased at once splits into the tokens upper-cased one by one)
    upper = options.upper()
    codes = [token.strip() for token in (upper.split(";") if ";" in options else upper.split())]
    values: dict[str, str] = {}
    if "=" in options:
        for index, token in enumerate(tokens):
            if "=" in token:
                code, _, value = token.partition("=")
                code = code.strip().upper()
                if not code:
                    raise BadRowError(f"'{token.strip()}' has no option code before '='")
                if code in values:
                    raise BadRowError(f"{code}=... is given twice: give each option one value")
                values[code] = value.strip()
                codes[index] = code
    if "" in codes:  # empty tokens (``A;;B``, a last ``;``) are nothing
        codes = [code for code in codes if code]
    return codes, values


# A row's option codes and values, as parse_options reads them.
Parsed = tuple[list[str], dict[str, str]]


def _parsed_options(options: str | tuple[str, ...]) -> Parsed | None:
    """A row's options as :func:`parse_options` reads them, or None when it finds them
    wrong or there are none (the row then goes one by one, where its error is made)."""
    try:
        codes, values = parse_options(options)
    except BadRowError:
        return None
    return (codes, values) if codes else None


def _item_fields(item: dict[str, Any]) -> tuple[Any, Any, Any, Any, Any]:
    """A JSON or YAML row's id, model, options, code and date as the memo reads them: an
    integer id as text, a date YAML read as a date as YYYY-MM-DD, a list of codes as a tuple;
    anything else as it is (checked by the callers)."""
    rid, model, options, code, day = (
        item.get(name) for name in ("id", "model", "options", "code", "date")
    )
    if isinstance(rid, int) and not isinstance(rid, bool):
        rid = str(rid)
    if isinstance(day, dt.date) and not isinstance(day, dt.datetime):
        day = day.isoformat()  # YAML reads unquoted dates as dates
    if isinstance(options, list) and all(isinstance(o, str) for o in options):
        options = tuple(options)
    return rid, model, options, code, day


def _item_key(item: Any) -> tuple[Any, ...] | None:
    """The memo key :meth:`ChunkPricer._item_outcome` prices a JSON or YAML row by, or None
    for a row it refuses (that row's error is made there)."""
    if not isinstance(item, dict):
        return None
    rid, model, options, code, day = _item_fields(item)
    if not isinstance(rid, str) or not rid:
        return None
    if any(value is not None and not isinstance(value, str) for value in (model, code, day)):
        return None
    if options is not None and not isinstance(options, str | tuple):
        return None
    return (model or "", options or "", code or "", day or "")


@functools.lru_cache(maxsize=256)
def _day_or_none(text: str) -> dt.date | None:
    """:func:`parse_day`, or None for text that is not a date (the row's error is made one
    by one)."""
    try:
        return parse_day(text)
    except BadRowError:
        return None


def parse_day(text: str) -> dt.date:
    """A row's date, ``YYYY-MM-DD``."""
    try:
        return iso_day(text)
    except ValueError:
        raise BadRowError(
            f"date '{text}' is not a date: write YYYY-MM-DD, e.g. 2026-03-01"
        ) from None


# --- reading: chunks of rows ------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """Where the input's fields are: CSV column indexes (width: the number of columns)."""

    width: int
    id: int
    model: int
    options: int
    code: int
    date: int


@dataclass(frozen=True)
class Chunk:
    """A run of input rows: raw text (csv, jsonl) or parsed YAML items, with line numbers."""

    first_line: int  # the line number of the chunk's first line (1-based)
    text: str = ""
    items: tuple[tuple[int, Any], ...] = ()
    size: int = 0  # characters of input it covers (for progress)


class TextSource(Protocol):
    """What the readers read from: text, ``size`` characters at a time ("" at the end)."""

    def read(self, size: int = -1, /) -> str: ...


class InputText:
    """The batch input as the readers see it: checked to be UTF-8, with classic Mac line
    ends (a lone carriage return) read as newlines.

    The file is opened with ``errors="surrogateescape"``, so a byte that is not UTF-8 arrives
    here as a surrogate and is reported with its line (a usage error: the whole file is in
    another encoding, so no row of it can be trusted). Whether line ends are lone carriage
    returns is decided on the first block, before any row is read.
    """

    def __init__(self, source: IO[str], name: str) -> None:
        self._source = source
        self._name = name
        self._head = source.read(CHUNK_CHARS)
        self._lines = 0  # newlines handed out so far (for the line of a bad byte)
        self._carriage_returns = _lone_carriage_returns(self._head)
        self._after_return = False  # the last block ended with "\r" (maybe half a "\r\n")

    def read(self, size: int = -1) -> str:
        """Up to about ``size`` characters; "" at the end of the input."""
        while True:
            if self._head:
                block, self._head = self._head, ""
            else:
                block = self._source.read(size)
            if not block:
                return ""
            if self._carriage_returns:
                if self._after_return and block.startswith("\n"):
                    block = block[1:]
                self._after_return = block.endswith("\r")
                block = block.replace("\r\n", "\n").replace("\r", "\n")
            if block:
                break
        if not block.isascii():
            self._check_utf8(block)
        self._lines += block.count("\n")
        return block

    def _check_utf8(self, block: str) -> None:
        try:
            block.encode("utf-8")
        except UnicodeEncodeError as error:
            line = self._lines + block.count("\n", 0, error.start) + 1
            column = error.start - block.rfind("\n", 0, error.start)
            bad = block[error.start].encode("utf-8", "surrogateescape")
            raise UsageError(
                f"{Location(self._name, line, column)}: the input is not UTF-8 text (byte "
                f"0x{bad.hex()}): save it as UTF-8"
            ) from None


def _lone_carriage_returns(text: str) -> bool:
    """Whether the first line ends with a lone carriage return (classic Mac line ends)."""
    newline = text.find("\n")
    ret = text.find("\r")
    if ret == -1:
        return False
    return (newline == -1 or ret < newline) and text[ret + 1 : ret + 2] != "\n"


def read_csv_header(source: TextSource, name: str) -> tuple[Header, str, int]:
    """Read the header record; return it, the text read past it, and the next line number."""
    buffer = ""
    while True:
        cut = _record_boundary(buffer, first_only=True)
        if cut:
            break
        block = source.read(CHUNK_CHARS)
        if not block:
            cut = len(buffer)
            break
        buffer += block
    head, rest = buffer[:cut], buffer[cut:]
    if head.startswith("\ufeff"):  # a byte-order mark left by a spreadsheet
        head = head[1:]
    where = Location(name, 1, 1)
    try:
        names = next(csv.reader(io.StringIO(head), strict=True), [])
    except csv.Error as error:
        raise UsageError(f"{where}: the header row is not valid CSV: {error}") from None
    columns = [n.strip().lower() for n in names]
    if not any(columns):
        raise UsageError(f"{where}: the CSV input is empty: it needs a header row")
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise UsageError(f"{where}: column '{column}' appears twice in the header")
        seen.add(column)
    missing = [c for c in ("id", "model") if c not in seen]
    if not ({"options", "code"} & seen):
        missing.append("options or code")
    if missing:
        raise UsageError(
            f"{where}: the header lacks {', '.join(missing)} "
            f"(found: {', '.join(c for c in columns if c) or 'nothing'}); "
            "expected id, model, options or code, and optionally date"
        )
    width = len(columns)

    def index(column: str) -> int:  # absent columns read the empty cell appended at `width`
        return columns.index(column) if column in seen else width

    header = Header(
        width, index("id"), index("model"), index("options"), index("code"), index("date")
    )
    return header, rest, 1 + head.count("\n")


def _record_boundary(text: str, *, first_only: bool = False) -> int:
    """The end of the last (or first) complete CSV record in ``text``; 0 when there is none.

    A newline ends a record when the quotes before it are balanced (RFC 4180 escapes a quote
    by doubling it, so the parity of '"' tells whether we are inside a quoted field). The
    usual case is one count up to the last newline; when a stray or unclosed quote leaves
    it unbalanced, the newlines are walked once, forward (never a count from the start for
    each newline, which made a file with one broken quote quadratic).
    """
    last = text.rfind("\n")
    if last == -1:
        return 0
    if not first_only and text.count('"', 0, last) % 2 == 0:
        return last + 1
    found = 0
    inside = False
    position = 0
    while position <= last:
        newline = text.find("\n", position)
        if text.count('"', position, newline) % 2:
            inside = not inside
        if not inside:
            found = newline + 1
            if first_only:
                return found
        position = newline + 1
    return found


def text_chunks(
    source: TextSource, first_line: int, pending: str = "", *, csv_quotes: bool, name: str = "-"
) -> Iterator[Chunk]:
    """Cut the input into chunks of whole records (lines; CSV records may span lines)."""
    line = first_line
    buffer = pending
    while True:
        block = source.read(CHUNK_CHARS)
        if not block:
            break
        buffer += block
        cut = _record_boundary(buffer) if csv_quotes else buffer.rfind("\n") + 1
        if cut == 0 and len(buffer) > MAX_RECORD_CHARS:
            # No newline outside quotes in 1 MB: a stray quote in an unquoted field has
            # thrown the count off. Cut at a newline anyway; the strict reader reports any
            # record this splits, and the quote count restarts with the next chunk.
            cut = buffer.rfind("\n") + 1
            if cut == 0:
                raise UsageError(
                    f"{Location(name, line, 1)}: the line is longer than "
                    f"{MAX_RECORD_CHARS:,} characters: records that long are not supported "
                    "(is this a CSV or JSON lines file?)"
                )
        if cut == 0:
            continue  # a record longer than a block: read more
        text, buffer = buffer[:cut], buffer[cut:]
        yield Chunk(first_line=line, text=text, size=len(text))
        line += text.count("\n")
    if buffer:
        yield Chunk(first_line=line, text=buffer, size=len(buffer))


def yaml_chunks(source: TextSource, name: str) -> Iterator[Chunk]:
    """YAML rows, streamed one item at a time: a top-level list of mappings, or one mapping
    per document. Each item keeps the line it starts on."""
    import yaml
    from yaml import events

    loader = _row_loader()(source)
    items: list[tuple[int, Any]] = []
    try:
        loader.get_event()  # stream start
        while not loader.check_event(events.StreamEndEvent):
            loader.get_event()  # document start
            if loader.check_event(events.SequenceStartEvent):
                loader.get_event()
                while not loader.check_event(events.SequenceEndEvent):
                    node = loader.compose_node(None, None)  # type: ignore[arg-type]
                    assert node is not None
                    items.append(_yaml_row(loader, node, name))
                    if len(items) >= CHUNK_ROWS:
                        yield Chunk(first_line=items[0][0], items=tuple(items))
                        items = []
                loader.get_event()
            elif not loader.check_event(events.DocumentEndEvent):
                node = loader.compose_node(None, None)  # type: ignore[arg-type]
                assert node is not None
                items.append(_yaml_row(loader, node, name))
            loader.get_event()  # document end
            loader.anchors = {}
    except RecursionError:
        raise UsageError(f"{name}: the YAML input is nested too deeply to be rows") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        problem = getattr(error, "problem", None) or str(error)
        raise UsageError(f"{where}: the YAML input is not readable: {problem}") from None
    finally:
        loader.dispose()
    if items:
        yield Chunk(first_line=items[0][0], items=tuple(items))


@functools.cache
def _row_loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader, refusing nesting deeper than :data:`MAX_ROW_DEPTH` as it scans
    (a row is a mapping of a few fields; PyYAML's scanner is quadratic in the nesting and its
    composer recursive, so thousands of brackets would take seconds, then overflow)."""
    import yaml
    from yaml.scanner import ScannerError

    class RowLoader(yaml.SafeLoader):
        def fetch_more_tokens(self) -> None:
            if self.flow_level > MAX_ROW_DEPTH or len(self.indents) > MAX_ROW_DEPTH:
                raise ScannerError(
                    problem=f"lists and mappings are nested more than {MAX_ROW_DEPTH} deep "
                    "(a row is a mapping of a few fields)",
                    problem_mark=self.get_mark(),
                )
            super().fetch_more_tokens()

    return RowLoader


def _yaml_row(loader: Any, node: Any, name: str) -> tuple[int, Any]:
    """One YAML row (its line and value), measured before it is built: aliases that would
    expand it beyond :data:`MAX_ROW_VALUES` values (an alias bomb) fail the file at once,
    as the catalog loader refuses them; a key given twice makes the row a bad row."""
    import yaml

    from configurator.catalog import yamlpos

    line = node.start_mark.line + 1
    try:
        size, _ = yamlpos.node_counts(node)
    except yamlpos._RecursiveAlias:
        raise UsageError(
            f"{Location(name, line, node.start_mark.column + 1)}: an alias in this row refers "
            "to a value that contains it (a recursive alias): write the values out"
        ) from None
    if size > MAX_ROW_VALUES:
        raise UsageError(
            f"{Location(name, line, node.start_mark.column + 1)}: this row expands to "
            f"{size:,} values through YAML aliases, over the limit of {MAX_ROW_VALUES:,} "
            "for a row (an alias bomb?): write the values out"
        )
    value = loader.construct_document(node)
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        if len(set(keys)) != len(keys):
            twice = next(key for index, key in enumerate(keys) if key in keys[:index])
            rid = value.get("id")
            return line, _DuplicateKeyRow(str(rid) if isinstance(rid, str | int) else "", twice)
    return line, value


class _DuplicateKeyRow:
    """A YAML row that gives a key twice (YAML says keys are unique; readers disagree on
    which value wins), kept as an item so its row reports it."""

    __slots__ = ("id", "key")

    def __init__(self, rid: str, key: str) -> None:
        self.id = rid
        self.key = key


def read_chunks(
    source: IO[Any], input_format: InputFormat, name: str
) -> tuple[Header | None, Iterator[Chunk]]:
    """The input's header (CSV) and its chunks of rows."""
    if input_format == "parquet":
        raise UsageError(f"{name}: Parquet rows are read by configurator.columnar.parquet_chunks")
    text = InputText(source, name)
    csv.field_size_limit(MAX_RECORD_CHARS)  # Python's default (128 KB) is below our record limit
    if input_format == "csv":
        header, pending, line = read_csv_header(text, name)
        return header, text_chunks(text, line, pending, csv_quotes=True, name=name)
    if input_format == "jsonl":
        return None, text_chunks(text, 1, csv_quotes=False, name=name)
    return None, yaml_chunks(text, name)


# --- pricing rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything a (worker) pricer needs; picklable."""

    catalogs: str  # the catalog tree's root
    default_date: dt.date
    tax_ids: tuple[str, ...]
    output_format: OutputFormat
    currency: str | None = None
    header: Header | None = None
    fail_fast: bool = False


@dataclass
class ChunkResult:
    """One chunk's output text and counts."""

    text: str = ""
    rows: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    size: int = 0
    failed: str | None = None  # --fail-fast: the first failed row, as a message
    fatal: tuple[int, str, list[Problem]] | None = None  # (exit code, message, problems)
    learned: list[Any] = field(default_factory=list)  # configurations priced (for other workers)

    def finished(self, ok: int, parts: list[str]) -> ChunkResult:
        """This result with its ``ok`` rows and its output text ``parts``, the rows counted."""
        self.ok = ok
        self.rows = ok + sum(self.errors.values())
        self.text = "".join(parts)
        return self


# An outcome is what pricing a row produced, minus the row's own id and line number:
# (error_code or None for ok, the output text after the id cell, the error message).
# For ok rows the text is the rest of the output line; for error rows it stops where the
# line-numbered message goes.
Outcome = tuple[str | None, str, str]
Codes = tuple[str, ...]
Values = tuple[tuple[str, str], ...]

# A CSV id cell needs care when it starts like a formula or holds a delimiter, quote or newline.
_NEEDS_CARE = re.compile(r'^[=+\-@\t\r]|[",\r\n]').search
_json_text = json.encoder.encode_basestring  # a JSON string literal (the C encoder)
_json = json.JSONEncoder(ensure_ascii=False).encode


def csv_cell(text: str) -> str:
    """One CSV cell as csv.writer writes it (minimal quoting), neutralised first."""
    text = neutralise(text)
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


@functools.cache
def _fixed_mmap_threshold() -> None:
    """Have glibc's malloc serve every block of 128 KiB or more from its own mapping, returned
    to the system when freed. By default the threshold rises to the largest block freed so
    far, after which the lane's matrices (a few hundred KiB, made and freed for every 256
    rows) come from the heap, between the explainer's long-lived allocations, which then pins
    the freed space: measured on 10,000 Megane rows, half invalid, the peak went from 131 to
    168 MB that way. Elsewhere (another C library, another system) this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_mmap_threshold = -3  # from <malloc.h>
    mallopt(ctypes.c_int(m_mmap_threshold), ctypes.c_int(128 * 1024))


@functools.cache
def _one_blas_thread() -> None:
    """One BLAS thread in this process: the lane's matrix products are small (256 cars by a
    few hundred codes), so a second thread saves nothing, and with ``--jobs`` every worker
    would start one per core. Measured on 10,000 distinct Megane rows on two cores: --jobs 2
    went from 3,200-4,100 rows/s to 8,850 (one job: the same speed at half the CPU time)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class ChunkPricer:
    """Prices chunks of rows: one per process, holding the catalogs, pricers and memos.

    The per-row path is a dictionary look-up: the memo maps a row's raw fields to the text of
    its output line after the id, so a repeated configuration costs a hash and a string join.
    """

    def __init__(self, settings: Settings, *, share: bool = False) -> None:
        _fixed_mmap_threshold()
        _one_blas_thread()
        self.settings = settings
        self.jsonl = settings.output_format in ("jsonl", "parquet")  # parquet: from JSON
        csv.field_size_limit(MAX_RECORD_CHARS)  # also in spawned workers
        self.tree = _LoadedTree(Path(settings.catalogs))
        self.columns = output_columns(settings.tax_ids)
        self._blank_amounts = ("",) * (len(settings.tax_ids) + 2)  # subtotal, taxes, total
        self._pricers: dict[str, Pricer] = {}
        self._absent_taxes: dict[str, tuple[str, ...]] = {}  # cells of taxes a quote omits
        self._currencies = (settings.currency,) if settings.currency else ()
        # The lane for distinct cars (pricing.bulk): a chunk's plain rows priced together
        # before its rows are written, their outcomes waiting here for their rows.
        self._bulk: dict[str, BulkPricer | None] = {}
        self._prefetched: dict[tuple[Any, ...], Outcome] = {}
        self._lane_rows_seen = self._lane_repeats = 0  # rows, and rows seen again in a chunk
        # a priced CSV row's cells before and after its code, by model, date and subtotal
        self._around_code: dict[tuple[str, dt.date, int], tuple[str, str]] = {}
        # The memos (LRU, per process): raw row fields, then the normalised configuration;
        # decoding a code and splitting options do not depend on the date, so they have theirs.
        self.share = share
        self._size_memos(MEMO_SIZE)

    def _size_memos(self, size: int) -> None:
        """(Re)make the memos with room for ``size`` entries per level."""
        memo = functools.lru_cache(maxsize=size)
        small_memo = functools.lru_cache(maxsize=max(1, size // 4))
        self.memo_size = size
        self.outcome: Callable[[tuple[Any, ...]], Outcome] = memo(self._row_outcome)
        self.priced = _Memo(size, keep_news=self.share)  # normalised configuration -> outcome
        self.decoded: Callable[[str], tuple[str, Codes, Values]] = small_memo(self._decode)
        self.normal_options: Callable[..., tuple[Codes, Values]] = small_memo(self._normal_options)
        self._fitted = False

    def _looked_and_rare(self) -> tuple[int, bool]:
        """How many rows the row memo has been asked for, and whether fewer than one in
        MEMO_RARE of them was found there."""
        info = self.outcome.cache_info()  # type: ignore[attr-defined]
        looked = info.hits + info.misses
        return looked, info.hits * MEMO_RARE < looked

    def _shrink_memos_when_useless(self) -> None:
        """Small memos once the rows seen so far hardly ever repeat (see MEMO_TRIAL)."""
        looked, rare = self._looked_and_rare()
        if looked >= MEMO_TRIAL and rare:
            # Other workers' cars would repeat no more than this worker's own: sending every
            # priced configuration to them (a hundred codes each) would cost more than it saves.
            self.share = False
            self._size_memos(MEMO_SMALL)
            self._fitted = True

    def _fit_memos(self, chunk: Chunk) -> None:
        """Size the memos by the first chunk's rows, so that memory stays flat when every
        row is long (a car of a hundred options): at most :data:`MEMO_CHARS` characters of
        rows, and :data:`MEMO_SIZE` entries."""
        self._fitted = True
        if not chunk.text:
            return
        rows = max(1, chunk.text.count("\n"))
        size = max(1024, min(MEMO_SIZE, MEMO_CHARS * rows // max(1, len(chunk.text))))
        if size < self.memo_size:
            self._size_memos(size)
            self._fitted = True

    # -- chunks --

    def process(self, chunk: Chunk) -> ChunkResult:
        """Price every row of a chunk into output text."""
        if not self._fitted:
            self._fit_memos(chunk)
        elif self.memo_size > MEMO_SMALL:
            self._shrink_memos_when_useless()
        if chunk.items:
            return self._process_items(chunk.items, chunk.size)
        if self.settings.header is not None:
            return self._process_csv(chunk)
        return self._process_items(_json_lines(chunk), chunk.size)

    def _process_csv(self, chunk: Chunk) -> ChunkResult:
        header = self.settings.header
        assert header is not None
        self._prefetched = {}
        if not self._currencies and self._memos_rarely_help():
            records = _records(chunk.text, header.width)
            if records is not None:
                return self._process_records(chunk, records)
            self._price_plain_rows_together(self._csv_keys(chunk, header))
        result = ChunkResult(size=chunk.size)
        parts: list[str] = []
        add = parts.append
        # strict: a quoted field that never ends (or junk after a closing quote) is an error
        # for its row, never a silent merge of the rows that follow into one field
        text = chunk.text
        stream = io.StringIO(text)
        reader = csv.reader(stream, strict=True)
        start = 0  # where in the text the reader started (it starts again after a bad record)
        width, id_at, model_at = header.width, header.id, header.model
        key_of = operator.itemgetter(header.model, header.options, header.code, header.date)
        outcome = self.outcome
        priced_line = self._priced_line
        base = chunk.first_line - 1
        last = 0  # the line the previous record ended on, within the chunk
        ok = 0
        while result.failed is None:
            try:
                for fields in reader:
                    if len(fields) == width:
                        fields.append("")  # what absent columns read
                        found = outcome(key_of(fields))
                        rid = fields[id_at]
                        if found[0] is None and rid:  # the hot path: a priced row
                            add(priced_line(rid, found))
                            ok += 1
                            last = reader.line_num
                            continue
                        if not rid and found[0] is None:
                            found = self._bad("the row has no id", fields[model_at])
                    elif not fields:
                        last = reader.line_num
                        continue  # a blank line
                    else:
                        rid, found = self._misshapen(fields, width)
                    line = base + last + 1
                    last = reader.line_num
                    if self._failed_row(result, add, rid, line, found):
                        break
                break
            except csv.Error as error:
                # The record that does not parse is its first line alone: it gets its error
                # row (with the id, when the line shows one), and reading starts again at
                # the next line, so no record after it is lost.
                line = base + last + 1
                spanned = reader.line_num - last > 1  # it read on past the line's end
                begins = _line_offset(text, start, last)
                ends = text.find("\n", begins)
                start = len(text) if ends == -1 else ends + 1
                broken = text[begins:start]
                found = self._bad(_csv_problem(error, spanned), _salvaged_field(broken, model_at))
                if self._failed_row(result, add, _salvaged_field(broken, id_at), line, found):
                    break
                base, last = line, 0
                stream.seek(start)  # StringIO positions are character offsets
                reader = csv.reader(stream, strict=True)
        return result.finished(ok, parts)

    def _process_records(self, chunk: Chunk, records: list[list[str]]) -> ChunkResult:
        """:meth:`_process_csv` of a chunk read at once (:func:`_records`), its rows priced
        together first (:meth:`_price_plain_rows_together`): the same output, one parse."""
        header = self.settings.header
        assert header is not None
        width, id_at, model_at = header.width + 1, header.id, header.model
        key_of = operator.itemgetter(header.model, header.options, header.code, header.date)
        self._price_plain_rows_together(key_of(f) for f in records if len(f) == width)
        result = ChunkResult(size=chunk.size)
        parts: list[str] = []
        add = parts.append
        outcome = self.outcome
        prefetched = self._prefetched
        priced_line = self._priced_line
        line = chunk.first_line - 1
        ok = 0
        for fields in records:
            line += 1
            if len(fields) == width:
                # the lane's cars skip the memo (rows that repeat turn the lane off)
                key = key_of(fields)
                found = prefetched.get(key) or outcome(key)
                rid = fields[id_at]
                if found[0] is None and rid:  # the hot path: a priced row
                    add(priced_line(rid, found))
                    ok += 1
                    continue
                if not rid and found[0] is None:
                    found = self._bad("the row has no id", fields[model_at])
            elif not fields:
                continue  # a blank line
            else:
                rid, found = self._misshapen(fields, width - 1)
            if self._failed_row(result, add, rid, line, found):
                break
        return result.finished(ok, parts)

    def _priced_line(self, rid: str, found: Outcome) -> str:
        """The output line of a priced row: its id, then its outcome's text."""
        if self.jsonl:
            return '{"id": ' + _json_text(rid) + found[1]
        return (csv_cell(rid) if _NEEDS_CARE(rid) else rid) + found[1]

    def _misshapen(self, fields: list[str], width: int) -> tuple[str, Outcome]:
        """The id and the error of a CSV record with other than ``width`` fields."""
        header = self.settings.header
        assert header is not None
        rid = fields[header.id] if header.id < len(fields) else ""
        model = fields[header.model] if header.model < len(fields) else ""
        return rid, self._bad(f"the row has {len(fields)} fields but the header has {width}", model)

    def _memos_rarely_help(self) -> bool:
        """Whether rows are mostly different cars, so far (or too few rows to tell yet): by
        the row memo's hits, and by the rows the lane saw again within a chunk (rows it
        priced skip the memo)."""
        lane_rows = self._lane_rows_seen
        if lane_rows >= MEMO_TRIAL and self._lane_repeats * MEMO_RARE >= lane_rows:
            return False
        looked, rare = self._looked_and_rare()
        return looked < MEMO_TRIAL or rare

    def _price_plain_rows_together(self, keys: Iterable[tuple[Any, ...]]) -> None:
        """Price a chunk's rows given by options (not by a configuration code), given by
        their memo keys, in passes of up to LANE_ROWS rows per model and date
        (:class:`~configurator.pricing.bulk.BulkPricer`); their outcomes wait in
        ``_prefetched`` for :meth:`_row_outcome`. A row the lane leaves (an invalid car, a
        package...), and any row that does not parse, is priced one by one."""
        groups: dict[tuple[str, dt.date], list[tuple[tuple[Any, ...], Parsed]]] = {}
        seen: set[tuple[Any, ...]] = set()

        def price(model: str, day: dt.date) -> None:
            items = groups.pop((model, day))
            bulk = self._bulk_pricer(model)
            if bulk is None:
                return
            priced = bulk.prices_many([parsed for _, parsed in items], day)
            around, prefetched = self._around_code, self._prefetched
            for (key, _), found in zip(items, priced, strict=True):
                if found is None:
                    continue
                cells = None if self.jsonl else around.get((model, day, found[1]))
                if cells is None:
                    prefetched[key] = self._lane_outcome(bulk, model, day, *found)
                else:  # (a code is digits, capitals and dashes, never first: no care)
                    prefetched[key] = (None, cells[0] + found[0] + cells[1], "")

        rows = repeats = 0
        limits: dict[str, int] = {}  # rows priced at once, by model
        for key in keys:
            rows += 1
            model, options, code, day_text = key
            if key in seen:
                repeats += 1
                continue
            if code and code.strip():
                continue
            parsed: Parsed | None
            if type(options) is str and ";" not in options and "=" not in options:
                codes = options.upper().split()  # parse_options' quick path
                parsed = (codes, {}) if codes else None
            else:
                parsed = _parsed_options(options)
            model = sys.intern(model.strip())
            if parsed is None or not model:
                continue
            seen.add(key)
            day_text = day_text.strip()
            day = _day_or_none(day_text) if day_text else self.settings.default_date
            if day is not None:
                group = groups.get((model, day))
                if group is None:
                    group = groups[model, day] = []
                    if model not in limits:
                        limits[model] = self._lane_rows(model)
                group.append((key, parsed))
                if len(group) >= limits[model]:
                    price(model, day)
        for model, day in list(groups):
            price(model, day)
        self._lane_rows_seen += rows
        self._lane_repeats += repeats

    @staticmethod
    def _csv_keys(chunk: Chunk, header: Header) -> Iterator[tuple[Any, ...]]:
        """The memo keys of a CSV chunk's rows, up to the first that does not parse."""
        key_of = operator.itemgetter(header.model, header.options, header.code, header.date)
        width = header.width
        try:
            for fields in csv.reader(io.StringIO(chunk.text), strict=True):
                if len(fields) == width:
                    fields.append("")  # what absent columns read
                    yield key_of(fields)
        except csv.Error:
            return  # the rest go one by one (where the bad record gets its error row)

    def _lane_rows(self, model: str) -> int:
        """How many rows of a model the lane prices at once (see LANE_CELLS)."""
        bulk = self._bulk_pricer(model)
        return max(LANE_ROWS, LANE_CELLS // bulk.size) if bulk is not None else LANE_ROWS

    def _bulk_pricer(self, model: str) -> BulkPricer | None:
        """The lane of a model, made once; None for a model the tree does not have."""
        if model not in self._bulk:
            try:
                self._bulk[model] = BulkPricer(self._pricer(model))
            except ConfiguratorError:
                self._bulk[model] = None  # its rows get their error one by one
        return self._bulk[model]

    def _failed_row(
        self, result: ChunkResult, add: Callable[[str], None], rid: str, line: int, found: Outcome
    ) -> bool:
        """Write an error row and count it; True when --fail-fast says stop."""
        add(self._error_line(rid, line, found))
        result.errors[found[0] or "bad_row"] += 1
        if self.settings.fail_fast:
            result.failed = _failure(rid, line, found)
            return True
        return False

    def _process_items(self, items: Iterable[tuple[int, Any]], size: int) -> ChunkResult:
        self._prefetched = {}
        if not self._currencies and self._memos_rarely_help():
            items = list(items)
            self._price_plain_rows_together(
                key for key in map(_item_key, (item for _, item in items)) if key is not None
            )
        result = ChunkResult(size=size)
        parts: list[str] = []
        add = parts.append
        ok = 0
        for line, item in items:
            rid, found = self._item_outcome(item)
            if found[0] is None:
                add(self._priced_line(rid, found))
                ok += 1
                continue
            if self._failed_row(result, add, rid, line, found):
                break
        return result.finished(ok, parts)

    def _item_outcome(self, item: Any) -> tuple[str, Outcome]:
        """A JSON or YAML row: check its shape, then price it through the memo."""
        if isinstance(item, _NotJson):
            if item.duplicate:
                return item.id, self._bad(item.reason)
            return item.id, self._bad(f"not a JSON object: {item.reason}")
        if isinstance(item, _DuplicateKeyRow):
            return item.id, self._bad(f"the key '{shorten(item.key)}' appears twice in the row")
        if not isinstance(item, dict):
            return "", self._bad(f"a row must be an object with id and model, not {_brief(item)}")
        rid, model, options, code, day = _item_fields(item)
        shown = model if isinstance(model, str) else ""
        if not isinstance(rid, str) or not rid:
            problem = "the row has no id" if rid in (None, "") else "'id' must be text"
            return rid if isinstance(rid, str) else "", self._bad(problem, shown)
        for name, value in (("model", model), ("code", code), ("date", day)):
            if value is not None and not isinstance(value, str):
                return rid, self._bad(f"'{name}' must be text, not {_brief(value)}", shown)
        if options is not None and not isinstance(options, str | tuple):
            return rid, self._bad("'options' must be text or a list of option codes", shown)
        return rid, self.outcome((model or "", options or "", code or "", day or ""))

    def _error_line(self, rid: str, line: int, found: Outcome) -> str:
        message = f"line {line}: {found[2]}"
        if self.jsonl:
            return '{"id": ' + _json_text(rid) + found[1] + _json_text(message) + "}\n"
        return csv_cell(rid) + found[1] + csv_cell(message) + "\n"

    def learn(self, priced: Iterable[tuple[Any, Outcome]]) -> None:
        """Take configurations other workers priced into the memo."""
        for key, found in priced:
            self.priced.put(key, found, news=False)

    def take_news(self) -> list[tuple[Any, Outcome]]:
        """The configurations priced here since the last call (to share with other workers)."""
        return self.priced.take_news()

    # -- one row --

    def _row_outcome(self, key: tuple[Any, ...]) -> Outcome:
        """Price one row from its raw fields (memoised by them)."""
        if self._prefetched:
            found = self._prefetched.pop(key, None)
            if found is not None:
                return found
        model, options, code, day_text = key
        model = sys.intern(model.strip())
        try:
            day = parse_day(day_text.strip()) if day_text.strip() else self.settings.default_date
            code = code.strip()
            if code:
                if options and (not isinstance(options, str) or options.strip()):
                    raise BadRowError("the row gives both options and a code: give one of them")
                decoded_model, codes, values = self.decoded(code)
                if model and model != decoded_model:
                    raise BadRowError(f"the code is for {decoded_model}, but the row says {model}")
                model = decoded_model
            else:
                if not model:
                    raise BadRowError("the row has no model")
                codes, values = self.normal_options(options)
            key = (model, day, codes, values)
            found = self.priced.get(key)
            if found is None:
                found = self._configuration_outcome(model, day, codes, values)
                self.priced.put(key, found)
            return found
        except ConfiguratorError as error:
            if error.error_code not in ERROR_CODES:
                raise  # not the row's fault (a broken catalog, a currency without rates)
            return self._error(error, model)

    def _configuration_outcome(
        self,
        model: str,
        day: dt.date,
        codes: tuple[str, ...],
        values: tuple[tuple[str, str], ...],
    ) -> Outcome:
        """Price one normalised configuration (memoised by it)."""
        try:
            return self._price(model, codes, dict(values), day)
        except ConfiguratorError as error:
            if error.error_code not in ERROR_CODES:
                raise
            return self._error(error, model)

    def _bad(self, message: str, model: str = "") -> Outcome:
        return self._error(BadRowError(message), model)

    def _error(self, error: ConfiguratorError, model: str) -> Outcome:
        code = error.error_code
        if self.jsonl:
            record: dict[str, str | None] = dict.fromkeys(self.columns[1:])
            record.update(model=model, status="error", error_code=code, error="")
            text = ", " + _json(record)[1:-3]  # the line-numbered message is added per row
        else:
            cells = (model, "error", "", *self._blank_amounts, "", code, "")
            text = "," + ",".join(csv_cell(cell) for cell in cells)
        return code, text, describe(error)

    def _ok(self, model: str, code: str, amounts: Iterable[str], currency: str) -> Outcome:
        cells = (model, "ok", code, *amounts, currency, "", "")
        if self.jsonl:
            record: dict[str, str | None] = dict(zip(self.columns[1:], cells, strict=True))
            for key, value in record.items():
                if value == "" and key not in ("model", "code", "currency"):
                    record[key] = None
            return None, ", " + _json(record)[1:] + "\n", ""
        before, after = self._ok_cells(model, amounts, currency)
        return None, before + csv_cell(code) + after, ""

    @staticmethod
    def _ok_cells(model: str, amounts: Iterable[str], currency: str) -> tuple[str, str]:
        """A priced CSV row's text after the id, before its code and after it."""
        # Amounts are plain decimal numbers from the engine: never neutralised.
        return "," + csv_cell(model) + ",ok,", "," + ",".join(
            (*amounts, csv_cell(currency))
        ) + ",,\n"

    # -- the pricing back end --

    def _pricer(self, model: str) -> Pricer:
        """The engine's reusable pricer for a model, built once per process."""
        found = self._pricers.get(model)
        if found is None:
            found = self._pricers[model] = self._stored_pricer(model)
            present = set(found.taxation.tax_ids)
            if not found.taxation.prices_include_vat:
                present.add("vat")  # the engine lists VAT added on top as a tax line
            self._absent_taxes[model] = tuple(
                "0.00" if tax_id in present else "" for tax_id in self.settings.tax_ids
            )
        return found

    def _stored_pricer(self, model: str) -> Pricer:
        """The model's pricer from the cache (the catalog is loaded only to explain a
        rejection or migrate a code), else built from the catalog (and stored)."""
        from configurator.pricing.stored import model_pricer

        if model not in self.tree.model_ids():
            raise UnknownModelError(model, self.tree.model_ids())  # the row's error
        return model_pricer(model, self.tree.root)

    def _decode(self, code: str) -> tuple[str, Codes, Values]:
        """A configuration code's model and normalised configuration, brought to the current
        catalog version (memoised: a code's meaning does not depend on the row's date)."""
        decoded = decode(code, self.tree)
        catalog = self._pricer(decoded.configuration.model).catalog
        configuration = migrate(catalog, decoded.configuration, decoded.version).configuration
        return (
            configuration.model,
            tuple(sorted({sys.intern(c) for c in configuration.choices})),
            tuple(sorted(configuration.values.items())),
        )

    @staticmethod
    def _normal_options(options: str | tuple[str, ...]) -> tuple[Codes, Values]:
        """A row's options as sorted codes and sorted values: the memo key of a configuration."""
        codes, values = parse_options(options)
        # Interned: the many memo entries share one string per option code.
        return tuple(sorted(set(map(sys.intern, codes)))), tuple(sorted(values.items()))

    def _figures_outcome(self, model: str, figures: Figures) -> Outcome:
        """The outcome of a priced row from its figures (no currency conversion)."""
        return self._ok(model, figures.code, self._amount_cells(model, figures), figures.currency)

    def _amount_cells(self, model: str, figures: Figures) -> tuple[str, ...]:
        """The subtotal, the market's taxes and the total cells of a priced row."""
        taxes = dict(zip(self.settings.tax_ids, self._absent_taxes[model], strict=True))
        for tax in figures.taxes:
            taxes[tax.id] = money_json(tax.amount)
        return (money_json(figures.subtotal), *taxes.values(), money_json(figures.total))

    def _lane_outcome(
        self, bulk: BulkPricer, model: str, day: dt.date, code: str, cents: int
    ) -> Outcome:
        """The outcome of a row the lane priced: its code and its subtotal in cents. A CSV
        row's cells around the code depend on the model, the date and the subtotal alone,
        and distinct cars share subtotals: they are made once."""
        if self.jsonl:
            return self._figures_outcome(model, bulk.figures_of(code, cents, day))
        key = (model, day, cents)
        around = self._around_code.get(key)
        if around is None:
            figures = bulk.figures_of(code, cents, day)
            around = self._ok_cells(model, self._amount_cells(model, figures), figures.currency)
            if len(self._around_code) >= MEMO_SIZE:
                self._around_code.clear()
            self._around_code[key] = around
        # (a code is digits, capitals and dashes, never first: a cell that needs no care)
        return None, around[0] + code + around[1], ""

    def _price(
        self, model: str, codes: tuple[str, ...], values: dict[str, str], day: dt.date
    ) -> Outcome:
        """Price a configuration with the engine; the same call `configurator quote` makes."""
        pricer = self._pricer(model)
        configuration = Configuration(model=model, choices=codes, values=values)
        if not self._currencies:  # the figures only, without making a quote
            return self._figures_outcome(model, pricer.figures(configuration, day))
        quote = pricer.price(configuration, day, currencies=self._currencies, brief=True)
        taxes = dict(zip(self.settings.tax_ids, self._absent_taxes[model], strict=True))
        subtotal, total, currency = quote.subtotal, quote.total, quote.currency
        amounts = [tax.amount for tax in quote.taxes]
        if self._currencies and quote.conversions:
            conversion = quote.conversions[0]
            subtotal, total, currency = conversion.subtotal, conversion.total, conversion.currency
            amounts = list(conversion.taxes)
        for tax, amount in zip(quote.taxes, amounts, strict=True):
            taxes[tax.id] = money_json(amount)
        cells = (money_json(subtotal), *taxes.values(), money_json(total))
        return self._ok(model, quote.code, cells, currency)


class _Memo:
    """A least-recently-used map of normalised configurations to outcomes, which can also
    list what was added to it (so worker processes can share what they priced)."""

    def __init__(self, size: int, *, keep_news: bool = False) -> None:
        self.size = size
        self.keep_news = keep_news
        self.data: OrderedDict[Any, Outcome] = OrderedDict()
        self.news: list[tuple[Any, Outcome]] = []
        self.hits = self.misses = 0  # since the news were last taken

    def get(self, key: Any) -> Outcome | None:
        found = self.data.get(key)
        if found is not None:
            self.data.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return found

    def put(self, key: Any, found: Outcome, *, news: bool = True) -> None:
        self.data[key] = found
        self.data.move_to_end(key)
        if len(self.data) > self.size:
            self.data.popitem(last=False)
        if news and self.keep_news:
            self.news.append((key, found))

    def take_news(self) -> list[tuple[Any, Outcome]]:
        """What was added since the last call; nothing when, over at least a thousand
        look-ups, hardly anything was found here (rows that are all different cars: sharing
        them would only cost the other workers)."""
        news, self.news = self.news, []
        rare = self.misses >= 1000 and self.hits * 50 < self.misses
        self.hits = self.misses = 0
        return [] if rare else news


class _LoadedTree(CatalogTree):
    """A catalog tree that keeps what it loaded: each catalog and market is loaded once."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._catalogs: dict[str, Catalog] = {}
        self._markets: dict[str, Market] = {}
        self._ids: list[str] | None = None

    def model_ids(self) -> list[str]:
        if self._ids is None:
            self._ids = super().model_ids()
        return self._ids

    def load(self, model_id: str) -> Catalog:
        found = self._catalogs.get(model_id)
        if found is None:
            if model_id not in self.model_ids():
                raise UnknownModelError(model_id, self.model_ids())
            found = self._catalogs[model_id] = super().load(model_id)
        return found

    def load_market(self, market_id: str) -> Market:
        found = self._markets.get(market_id)
        if found is None:
            found = self._markets[market_id] = super().load_market(market_id)
        return found


class _NotJson:
    """A JSON line that does not parse (kept as an item so its row reports it), with the id
    it seems to have."""

    __slots__ = ("duplicate", "id", "reason")

    def __init__(self, reason: str, rid: str = "", *, duplicate: bool = False) -> None:
        self.reason = reason
        self.id = rid
        self.duplicate = duplicate


def _brief(value: Any) -> str:
    """A short repr of a row's value for a message: never the whole of a huge (or aliased,
    exponentially large) structure."""
    brief = reprlib.Repr()  # keyword arguments only from Python 3.12
    brief.maxlevel, brief.maxstring, brief.maxother = 2, 40, 40
    return brief.repr(value)


class _DuplicateKey(ValueError):
    """A JSON object with a key twice (JSON parsers disagree on which one wins)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"the key '{shorten(key)}' appears twice in the row")
            seen.add(key)
    return found


_decode_row = json.JSONDecoder(object_pairs_hook=_unique_keys).decode
_JSON_ID = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')


def _records(text: str, width: int) -> list[list[str]] | None:
    """A CSV chunk's records, each of ``width`` fields with the empty cell absent columns
    read appended; None when one does not parse or spans lines (the chunk is then read
    record by record, for the error rows and their line numbers)."""
    try:
        records = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error:
        return None
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    if len(records) != lines:
        return None
    for fields in records:
        if len(fields) == width:
            fields.append("")
        elif len(fields) == width + 1:  # one field too many: it must not pass for a good row
            return None
    return records


def _json_lines(chunk: Chunk) -> Iterator[tuple[int, Any]]:
    line = chunk.first_line
    for text in chunk.text.split("\n"):
        if text.strip():
            try:
                yield line, _decode_row(text)
            except _DuplicateKey as error:
                yield line, _NotJson(str(error), _salvaged_json_id(text), duplicate=True)
            except ValueError as error:
                yield line, _NotJson(str(error), _salvaged_json_id(text))
            except RecursionError:  # thousands of nested brackets
                yield line, _NotJson("nested too deeply", _salvaged_json_id(text))
        line += 1


def _salvaged_json_id(text: str) -> str:
    """The id of a JSON line that does not parse, when it can be seen; else ""."""
    found = _JSON_ID.search(text)
    if found is None:
        return ""
    try:
        value = json.loads(found.group(1))
    except ValueError:
        return ""
    return str(value)


_CSV_PROBLEMS = {  # Python's csv messages, as a spreadsheet user would understand them
    "unexpected end of data": "a quoted field is never closed (its closing quote is missing)",
    "expected after": "text follows the closing quote of a field",
    "new-line character seen": "a line break (carriage return) inside an unquoted field",
    "field larger than field limit": f"a field is longer than {MAX_RECORD_CHARS:,} characters",
}


def _csv_problem(error: csv.Error, spanned: bool) -> str:
    """A CSV reading error as the row's message (``spanned``: the record ran on into the
    following lines before failing, so a quote opened on its line never closed there)."""
    text = str(error)
    reason = next((said for key, said in _CSV_PROBLEMS.items() if key in text), text)
    if spanned:
        reason = _CSV_PROBLEMS["unexpected end of data"]
    return (
        f"not valid CSV: {reason}; a field that holds a quote, a comma or a line break must "
        "be quoted, with its quotes doubled"
    )


def _line_offset(text: str, start: int, count: int) -> int:
    """Where the line ``count`` lines after offset ``start`` of ``text`` begins."""
    position = start
    for _ in range(count):
        position = text.find("\n", position) + 1
        if position == 0:
            return len(text)
    return position


def _salvaged_field(line: str, index: int) -> str:
    """A field of a CSV line that does not parse strictly, read leniently (for the id and
    model of its error row); "" when the line has no such field."""
    try:
        fields = next(csv.reader([line.rstrip("\r\n")]), [])
    except csv.Error:
        fields = line.split(",")
    return fields[index].strip() if index < len(fields) else ""


def _failure(rid: str, line: int, found: Outcome) -> str:
    return f"line {line} (id {rid or '?'}): {found[0]}: {found[2]}"


def _row_hint(suggestion: str) -> str:
    """A hint in the words of a row: its cells, not the command line's flags."""
    import re

    flag = re.fullmatch(r"add --value (\S+)='(.*)'", suggestion)
    if flag is None:
        return suggestion
    code, example = flag.groups()
    return f"write {code}={example}; in the options cell"


def describe(error: ConfiguratorError) -> str:
    """An error as one line: the message, the suggestion, the rules and the explanation."""
    text = error.message
    if error.suggestion:
        text += f" ({_row_hint(error.suggestion)})"
    explanation = getattr(error, "explanation", ())
    if explanation:
        text += ": " + "; ".join(line.strip() for line in explanation)
    return " ".join(text.split("\n"))


# --- running --------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a run did: rows read, priced, failed by error code, and how long it took."""

    rows: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @property
    def seconds(self) -> float:
        end = self.finished if self.finished is not None else time.perf_counter()
        return end - self.started

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> ExitCode:
        """OK when every row priced, ROWS_FAILED when some did not, INTERRUPTED on Ctrl-C."""
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return ExitCode.ROWS_FAILED if self.errors else ExitCode.OK

    def add(self, result: ChunkResult) -> None:
        self.rows += result.rows
        self.ok += result.ok
        self.errors.update(result.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ok": self.ok,
            "errors": dict(sorted(self.errors.items())),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "interrupted": self.interrupted,
        }


def market_tax_ids(catalogs: str | os.PathLike[str]) -> tuple[str, ...]:
    """Every tax id of every market of the tree, in market then declaration order: the tax
    columns, known before the first row (streamed CSV needs its header up front)."""
    from configurator.catalog.loader import CatalogTree

    tree = CatalogTree(Path(catalogs))
    ids: dict[str, None] = {}
    for path in tree.market_files():
        market = tree.load_market(path.stem)
        if not market.prices_include_vat:
            ids.setdefault("vat", None)  # VAT added on top is a tax line of the quote
        for tax in market.taxes:
            ids.setdefault(tax.id, None)
    clash = set(ids) & set(output_columns(()))
    if clash:
        raise UsageError(f"a tax id clashes with an output column: {', '.join(sorted(clash))}")
    return tuple(ids)


ProgressCallback = Callable[[Summary, int], None]  # (summary so far, characters read so far)


class TextSink(Protocol):
    """Where output text goes: a text file, or :class:`configurator.columnar.ParquetSink`."""

    def write(self, text: str, /) -> int: ...


def run_batch(
    source: IO[Any],
    sink: TextSink,
    *,
    input_format: InputFormat,
    settings: Settings,
    summary: Summary,
    jobs: int = 1,
    name: str = "-",
    progress: ProgressCallback | None = None,
    chunks: Iterator[Chunk] | None = None,
) -> Summary:
    """Price every row of ``source`` into ``sink``, in input order, updating ``summary``.

    ``chunks``, when given, are the rows already read (Parquet:
    :func:`configurator.columnar.parquet_chunks`) and ``source`` is not read.
    ``settings.header`` is filled from the CSV input. Raises :class:`RowFailedError` with
    ``settings.fail_fast`` at the first failed row; :class:`CatalogError` when a catalog is
    broken. ``summary`` is the caller's, so it holds what was done even when this raises
    (Ctrl-C included).
    """
    read = 0
    try:
        if chunks is not None:  # read elsewhere (Parquet: configurator.columnar)
            header = None
        else:
            header, chunks = read_chunks(source, input_format, name)
        if header is not None:
            settings = _replace(settings, header=header)
        if settings.output_format == "csv":
            csv.writer(sink, lineterminator="\n").writerow(output_columns(settings.tax_ids))
        with rare_collections():
            for result in _priced(chunks, settings, jobs):
                if result.fatal is not None:
                    _raise_fatal(result.fatal)
                sink.write(result.text)
                summary.add(result)
                read += result.size
                if progress is not None:
                    progress(summary, read)
                if result.failed is not None:
                    raise RowFailedError(
                        f"{result.failed} (--fail-fast: stopped at the first failed row)"
                    )
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{name}: the input is not UTF-8 text ({error.reason}): save it as UTF-8"
        ) from None
    finally:
        summary.finished = time.perf_counter()
    return summary


def _replace(settings: Settings, **changes: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)


def _raise_fatal(fatal: tuple[int, str, list[Problem]]) -> None:
    exit_code, message, problems = fatal
    if problems:
        raise CatalogError(problems)
    error = ConfiguratorError(message)
    error.exit_code = ExitCode(exit_code)
    raise error


def _priced(chunks: Iterator[Chunk], settings: Settings, jobs: int) -> Iterator[ChunkResult]:
    """Chunk results in input order: in this process, or by ``jobs`` worker processes."""
    if jobs <= 1:
        pricer = ChunkPricer(settings)
        for chunk in chunks:
            yield _guarded(pricer, chunk)
        return
    yield from _in_workers(chunks, settings, jobs)


def _in_workers(chunks: Iterator[Chunk], settings: Settings, jobs: int) -> Iterator[ChunkResult]:
    """Price chunks in ``jobs`` worker processes, round robin, yielding results in input order.

    Why not ``Pool.imap``: it reads the whole input ahead into its task queue (memory grows
    with the input), and it cannot say which worker gets a chunk. Here chunk ``n`` goes to
    worker ``n % jobs``, at most two chunks per worker are in flight (memory stays flat),
    results are read back in dispatch order (input order), and the configurations one worker
    priced travel to the others with their next chunk, so that a configuration is priced
    about once per run rather than once per worker.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    inboxes = [context.Queue() for _ in range(jobs)]
    outboxes = [context.Queue() for _ in range(jobs)]
    workers = [
        context.Process(
            target=_worker_main, args=(inboxes[i], outboxes[i], settings, os.getpid()), daemon=True
        )
        for i in range(jobs)
    ]
    for worker in workers:
        worker.start()
    news: list[list[Any]] = [[] for _ in range(jobs)]  # priced elsewhere, not yet sent
    order: deque[int] = deque()
    finished = False

    def receive() -> ChunkResult:
        index = order.popleft()
        while True:
            try:
                result = outboxes[index].get(timeout=0.5)
                break
            except queue.Empty:
                if not workers[index].is_alive():
                    raise RuntimeError(f"batch worker {index + 1} died") from None
        if isinstance(result, str):  # a bug in a worker: its traceback
            raise RuntimeError(f"batch worker {index + 1} failed:\n{result}")
        for other in range(jobs):
            if other != index:
                news[other].extend(result.learned)
        result.learned = []
        return result

    try:
        for number, chunk in enumerate(chunks):
            index = number % jobs
            inboxes[index].put((chunk, news[index]))
            news[index] = []
            order.append(index)
            if len(order) >= 2 * jobs:
                yield receive()
        while order:
            yield receive()
        for inbox in inboxes:
            inbox.put(None)
        finished = True
    finally:
        for worker in workers:
            if finished:
                worker.join(5)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for box in (*inboxes, *outboxes):
            box.cancel_join_thread()  # never wait on data nobody will read
            box.close()


def _guarded(pricer: ChunkPricer, chunk: Chunk) -> ChunkResult:
    """Price a chunk; a broken catalog or market becomes a fatal result (picklable)."""
    try:
        return pricer.process(chunk)
    except CatalogError as error:
        return ChunkResult(fatal=(int(error.exit_code), str(error), error.problems))
    except ConfiguratorError as error:
        return ChunkResult(fatal=(int(error.exit_code), str(error), []))


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the main process dies, even by ``kill -9``
    (Linux's parent-death signal); elsewhere the worker's idle loop notices the new parent."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (an unusual libc): the idle loop checks
            pass
    if os.getppid() != parent:  # the main process died before the signal was asked for
        os._exit(0)


def _release_standard_streams() -> None:
    """Point the worker's stdin and stdout at /dev/null: it never uses them, and holding the
    caller's pipes open would keep a caller waiting for their end after the main process
    stops. (stderr stays: a crash of the interpreter itself is reported there.)"""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for descriptor in (0, 1):
            with contextlib.suppress(OSError):
                os.dup2(null, descriptor)
    finally:
        os.close(null)


def _worker_main(inbox: Any, outbox: Any, settings: Settings, parent: int) -> None:
    """A worker process: build the pricer once, then price chunks until told to stop.

    Ctrl-C is the main process's business, which stops workers with SIGTERM (its default
    action here, not the main process's handler).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    _release_standard_streams()
    pricer = ChunkPricer(settings, share=True)
    gc.set_threshold(RARE_COLLECTIONS, *gc.get_threshold()[1:])  # see rare_collections
    while True:
        try:
            task = inbox.get(timeout=PARENT_CHECK_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:  # the main process died (kill -9): nobody to work for
                return
            continue
        if task is None:
            return
        chunk, learned = task
        try:
            pricer.learn(learned)
            result = _guarded(pricer, chunk)
            result.learned = pricer.take_news()
        except BaseException:  # a bug: hand its traceback to the main process
            outbox.put(traceback.format_exc())
            return
        outbox.put(result)


@contextlib.contextmanager
def rare_collections() -> Iterator[None]:
    """Python's cycle collector run rarely while a batch prices (the thresholds come back
    after). The catalogs, pricers and memos live for the whole batch and make no garbage
    cycles, yet with the default threshold a collection runs every 700 allocations, and
    every hundredth one walks them all: about a tenth of the time of distinct cars."""
    thresholds = gc.get_threshold()
    gc.set_threshold(RARE_COLLECTIONS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while running, so cleanup (no output file) happens."""

    def _handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _handler)
    except ValueError:  # not the main thread (e.g. some test runners)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
