"""YAML parsing that remembers where every value was written, and refuses YAML's traps.

PyYAML (libyaml's C parser where present) reads the text; we build the Python values
ourselves so that we can
- report duplicate keys (PyYAML silently keeps the last one),
- flag YAML 1.1 surprises: ``NO``/``on`` read as booleans, ``012`` read as octal,
- stop alias bombs ("billion laughs") by bounding the number of values built,
- record the position of every value and key by its path (``("groups", 0, "options", 3)``).

A document without anchors (every shipped catalog) is built straight from the parser's events;
one with anchors is composed into PyYAML's node graph first, which is measured for alias bombs
before anything is built. Both give the same values, positions and problems.
"""

from __future__ import annotations

import gc
import hashlib
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from configurator.errors import Location, Problem
from configurator.safeio import UnreadableFile, read_regular

try:  # libyaml is much faster; fall back to the pure-Python loader where it is absent
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 16 * 1024 * 1024  # a catalog with a 50,000-row table is about 3 MB
MAX_VALUES = 2_000_000  # values built from one file, aliases expanded
MAX_DEPTH = 100  # nested lists and mappings (a catalog nests about six deep)
# Aliases may multiply a file's values by at most this ratio (beyond a small floor): anchors
# used to share a few blocks are fine, anchors nested to explode ("billion laughs") are not.
ALIAS_EXPANSION_RATIO = 10
ALIAS_EXPANSION_FLOOR = 100_000

Path_ = tuple[str | int, ...]

_YAML11_BOOL = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_YAML11_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")
# Other numbers YAML 1.1 reads in a base the writer rarely means: '1:30' is 90 (base 60, as
# for times), '0x10' is 16, '0b101' is 5. Refused like the octal trap: quote them for text.
_YAML11_OTHER_BASES = (
    (re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"), "base-60 (sexagesimal)"),
    (re.compile(r"^[-+]?0x[0-9a-fA-F_]+$"), "hexadecimal"),
    (re.compile(r"^[-+]?0b[0-1_]+$"), "binary"),
)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many lasting objects are made.

    Building a large catalog makes millions of objects that all survive; each collection
    would walk every one of them again (composing the Megane catalog took 8.6 s with the
    collector running, 1.9 s without). Nothing made here forms a cycle, so nothing waits for
    the collector; it runs again afterwards as before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Positions(Mapping[Path_, tuple[int, int]]):
    """Where values were written: a 1-based ``(line, column)`` for each path.

    A mapping's values have one entry each; the items of a sequence share one packed array
    (``line << 32 | column`` per item), so a table of 194,723 rows costs an array per row
    instead of a dict entry, a path tuple and a position tuple per code. The first position
    recorded for a path is kept (a merge or an alias never moves what a mapping wrote itself).
    """

    __slots__ = ("_single", "_packed")

    def __init__(self) -> None:
        self._single: dict[Path_, tuple[int, int]] = {}
        self._packed: dict[Path_, array[int]] = {}

    def record(self, path: Path_, line: int, column: int) -> None:
        """Remember where the value at ``path`` starts, unless already known."""
        self._single.setdefault(path, (line, column))

    def record_items(self, path: Path_, items: array[int]) -> None:
        """Remember where each item of the sequence at ``path`` starts (packed positions)."""
        self._packed.setdefault(path, items)

    def items_of(self, path: Path_) -> array[int] | None:
        """The packed positions of the items of the sequence at ``path``, if it is one."""
        return self._packed.get(path)

    def find(self, path: Path_) -> tuple[int, int] | None:
        """The position recorded for ``path``, or None (one look-up: ``get`` needs two)."""
        found = self._single.get(path)
        if found is not None or not path:
            return found
        index = path[-1]
        if type(index) is not int:
            return None
        items = self._packed.get(path[:-1])
        if items is None or not 0 <= index < len(items):
            return None
        packed = items[index]
        return packed >> 32, packed & _COLUMN_MASK

    def __getitem__(self, path: Path_) -> tuple[int, int]:
        found = self.find(path)
        if found is None:
            raise KeyError(path)
        return found

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.find(path) is not None

    def __iter__(self) -> Iterator[Path_]:
        yield from self._single
        for path, items in self._packed.items():
            for index in range(len(items)):
                yield (*path, index)

    def __len__(self) -> int:
        return len(self._single) + sum(len(items) for items in self._packed.values())

    def __repr__(self) -> str:
        return f"Positions({len(self):,} paths)"


_COLUMN_MASK = (1 << 32) - 1


class Spots(Mapping[Path_, Location]):
    """Where a catalog object's own values were written (``Strict._spots``), by sub-path.

    A dict of Locations, except that the items of long lists of plain values (a table's rows)
    are kept as one packed array per list (``line << 32 | column``): a 194,723-row table then
    holds, caches and unpickles no Location per row.
    """

    __slots__ = ("file", "_single", "_lists", "_last")

    def __init__(
        self, file: str, single: dict[Path_, Location], lists: dict[str | int, array[int]]
    ) -> None:
        self.file = file
        self._single = single
        self._lists = lists
        # ``where_of`` asks ``probe in spots`` then ``spots[probe]``: the second is the first's
        self._last: tuple[Path_, Location | None] = ((), None)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Spots, (self.file, self._single, self._lists))

    def _find(self, probe: Path_) -> Location | None:
        if len(probe) == 2 and type(probe[1]) is int:
            items = self._lists.get(probe[0])
            if items is not None:  # a packed list (never also in _single)
                index = probe[1]
                if not 0 <= index < len(items):
                    return None
                packed = items[index]
                return Location(self.file, packed >> 32, packed & _COLUMN_MASK)
        return self._single.get(probe)

    def __getitem__(self, probe: Path_) -> Location:
        last, found = self._last
        if probe is not last:
            found = self._find(probe)
        if found is None:
            raise KeyError(probe)
        return found

    def __contains__(self, probe: object) -> bool:
        if not isinstance(probe, tuple):
            return False
        found = self._find(probe)
        self._last = (probe, found)
        return found is not None

    def __iter__(self) -> Iterator[Path_]:
        yield from self._single
        for key, items in self._lists.items():
            for index in range(len(items)):
                yield (key, index)

    def __len__(self) -> int:
        return len(self._single) + sum(len(items) for items in self._lists.values())

    def __repr__(self) -> str:
        return f"Spots({len(self):,} values of {self.file})"


def _pack(marks: Iterable[Any]) -> array[int]:
    """Packed positions (``line << 32 | column``, 1-based) of the nodes or events given."""
    return array("q", [(mark.line + 1) << 32 | (mark.column + 1) for mark in marks])


@dataclass
class ParsedYaml:
    """The values of one YAML file and where each was written."""

    file: str
    data: Any
    values: Positions = field(default_factory=Positions)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    quoted: set[Path_] = field(default_factory=set)
    raw: dict[Path_, str] = field(default_factory=dict)
    flagged: set[Path_] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    digest: str = ""
    """The sha256 of the bytes parsed, when read from a file (cache entries record it)."""
    _marked: dict[Path_, tuple[set[int], dict[int, str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def marked_items(self, path: Path_) -> tuple[set[int], dict[int, str]]:
        """Which items of the sequence at ``path`` are quoted, and the source text of those
        whose text differs from their value (by index)."""
        if self._marked is None:
            marked: dict[Path_, tuple[set[int], dict[int, str]]] = {}
            for quoted in self.quoted:
                if quoted and type(quoted[-1]) is int:
                    marked.setdefault(quoted[:-1], (set(), {}))[0].add(quoted[-1])
            for at, source in self.raw.items():
                if at and type(at[-1]) is int:
                    marked.setdefault(at[:-1], (set(), {}))[1][at[-1]] = source
            self._marked = marked
        return self._marked.get(path, (set(), {}))

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The position of the value (or key) at ``path``, or of its closest ancestor."""
        table: Mapping[Path_, tuple[int, int]] = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                line, column = table[probe]
                return Location(self.file, line, column)
            if key and probe in self.values:
                line, column = self.values[probe]
                return Location(self.file, line, column)
            probe = probe[:-1]
        line, column = self.values.get((), (1, 1))
        return Location(self.file, line, column)


class _AliasBomb(Exception):
    pass


class _RecursiveAlias(Exception):
    pass


class _Fallback(Exception):
    """The document needs the composer's node graph: an anchor, an alias, a merge key, a
    second document or nesting too deep for the event builder."""


class _TooMany(Exception):
    """More than MAX_VALUES values in a document without aliases."""


class _TooDeep(Exception):
    """Lists and mappings nested more than MAX_DEPTH deep."""

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.mark = mark


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def node_counts(root: yaml.Node) -> tuple[int, int]:
    """How many nodes the document has once every alias is expanded, and how many node
    objects the composer made (each alias target once), without expanding anything.

    Shared nodes are counted once per use through memoisation, so a "billion laughs" file is
    measured in microseconds. Raise :class:`_RecursiveAlias` for an alias inside itself.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in active:
            raise _RecursiveAlias
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)], len(sizes)  # one size per distinct node


class _Builder:
    """Builds the Python values of the composer's node graph, recording positions and YAML
    problems as it goes (:class:`_StreamBuilder` does the same from libyaml's events)."""

    def __init__(self, parsed: ParsedYaml, text: str) -> None:
        self.parsed = parsed
        self.positions = parsed.values
        self.text = text
        self.count = 0
        self._constructor = yaml.constructor.SafeConstructor()
        self._strings: dict[str, str] = {}  # one object per distinct text: codes repeat a lot

    def problem(self, node: Any, code: str, message: str, path: Path_ | None = None) -> None:
        """Record a YAML problem at a node (or event); ``path`` marks the value so the schema
        does not repeat it."""
        mark = node.start_mark
        if path is not None:
            self.parsed.flagged.add(path)
        self.parsed.problems.append(
            Problem(Location(self.parsed.file, mark.line + 1, mark.column + 1), code, message)
        )

    def duplicate(self, key_node: Any, key: str, first: Any) -> None:
        """Report a key written twice in one mapping (its second value is not built)."""
        self.problem(
            key_node,
            "duplicate-key",
            f"duplicate key '{key}' (first written at line {first.start_mark.line + 1}); "
            f"YAML would silently keep only the last one",
        )

    def build(self, node: yaml.Node, path: Path_, record: bool = True) -> Any:
        """The value of ``node``; ``record=False`` for a sequence's items (packed already)."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _AliasBomb
        if record:
            mark = node.start_mark
            self.positions.record(path, mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, node.tag, path)
        if len(path) >= MAX_DEPTH:
            raise _TooDeep(node.start_mark)
        if isinstance(node, yaml.SequenceNode):
            items = node.value
            self.positions.record_items(path, _pack(item.start_mark for item in items))
            return [self.build(item, (*path, i), False) for i, item in enumerate(items)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        self.problem(node, "yaml-syntax", "unsupported YAML node")  # pragma: no cover
        return None

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "yaml-syntax", "a mapping key must be a plain value")
                continue
            key = self.text_of(key_node.value)  # keys are names: 'no' (Norwegian) stays 'no'
            if key in seen:
                self.duplicate(key_node, key, seen[key])
                continue
            seen[key] = key_node
            kmark = key_node.start_mark
            self.parsed.keys.setdefault((*path, key), (kmark.line + 1, kmark.column + 1))
            result[key] = self.build(value_node, (*path, key))
        # Merged keys ('<<: *base') come after the mapping's own, which they never override.
        for value_node in merges:
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                value = self.build(source, path)
                if isinstance(value, dict):
                    for k, v in value.items():
                        merged.setdefault(k, v)
                else:
                    self.problem(source, "yaml-syntax", "a merge key '<<' needs a mapping")
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def text_of(self, text: str) -> str:
        """The one string object kept for this text."""
        return self._strings.setdefault(text, text)

    def scalar(self, node: Any, tag: str, path: Path_) -> Any:
        """The value of a scalar node (or event) whose tag is resolved, and its source text
        when that differs from the value (quoted, block, folded or multi-line)."""
        if node.style in ("'", '"'):
            self.parsed.quoted.add(path)
        value = self.scalar_value(node, tag, path)
        if isinstance(value, str):
            value = self.text_of(value)
            if path not in self.parsed.raw:
                start, end = node.start_mark.index, node.end_mark.index
                if end - start != len(value) or self.text[start:end] != value:
                    self.parsed.raw[path] = self.text[start:end]
        return value

    def scalar_value(self, node: Any, tag: str, path: Path_) -> Any:
        text = node.value
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            if _YAML11_BOOL.match(text):
                self.problem(
                    node,
                    "yaml-ambiguous-bool",
                    f"'{text}' is read as a boolean by YAML 1.1: write true or false for a "
                    f"yes/no field, or quote it ('{text}') for text",
                    path,
                )
            return text.lower() in ("true", "yes", "y", "on")
        scalar = node if isinstance(node, yaml.ScalarNode) else yaml.ScalarNode(tag, text)
        if tag in (_INT, _FLOAT):
            for pattern, base in _YAML11_OTHER_BASES:
                if pattern.match(text):
                    self.problem(
                        node,
                        "yaml-number-base",
                        f"'{text}' is read by YAML 1.1 as a {base} number: write the number "
                        f"in decimal, or quote it ('{text}') for text",
                        path,
                    )
                    return text
        if tag == _INT:
            if _YAML11_OCTAL.match(text):
                self.problem(
                    node,
                    "yaml-octal",
                    f"'{text}' has a leading zero and YAML 1.1 reads it as an octal number: "
                    f"write it without the zero, or quote it for text",
                    path,
                )
            try:
                return self._constructor.construct_yaml_int(scalar)
            except ValueError:
                return text
        if tag == _FLOAT:
            return self._constructor.construct_yaml_float(scalar)
        if tag == _TIMESTAMP:
            try:
                return self._constructor.construct_yaml_timestamp(scalar)
            except ValueError:
                self.problem(node, "yaml-bad-date", f"'{text}' is not a valid date", path)
                return text
        self.problem(node, "yaml-unsupported-tag", f"unsupported YAML tag {tag}", path)
        return text


class _StreamBuilder(_Builder):
    """Builds the values straight from libyaml's events, never making the node graph.

    Used for documents without anchors (hence without aliases) and without merge keys: each
    value is then built once, in document order, with the positions, problems and values
    :class:`_Builder` gives from the graph, in less time and a fraction of the memory (the
    Megane catalog's 1.5 million nodes, each with two marks, are never all alive at once).
    Anything else raises :class:`_Fallback`, and the graph builder takes over.
    """

    def __init__(self, parsed: ParsedYaml, text: str, loader: Any) -> None:
        super().__init__(parsed, text)
        self.next_event = loader.get_event
        self.peek_event = loader.peek_event
        self._resolve = loader.resolve
        self._tags: dict[tuple[str, Any], str] = {}

    def document(self) -> Any:
        """The document's value (None for an empty stream)."""
        self.next_event()  # the stream's start
        if type(self.peek_event()) is StreamEndEvent:
            return None
        self.next_event()  # the document's start
        value = self.event(self.next_event(), (), True)
        self.next_event()  # the document's end
        if type(self.peek_event()) is not StreamEndEvent:
            raise _Fallback  # a second document: the composer says so
        return value

    def count_rest(self) -> int:
        """Count the values of the rest of the stream without building them (raise _Fallback
        for what the graph builder treats differently: anchors, merge keys, documents)."""
        event = self.next_event()
        while type(event) is not StreamEndEvent:
            if type(event) is DocumentStartEvent:
                raise _Fallback
            if isinstance(event, NodeEvent):
                if event.anchor is not None or getattr(event, "tag", None) == _MERGE:
                    raise _Fallback
                if type(event) is ScalarEvent and event.value == "<<":
                    raise _Fallback
                self.count += 1
            event = self.next_event()
        return self.count

    def tag_of(self, event: ScalarEvent) -> str:
        """The scalar's tag, resolved as the composer would (memoised: values repeat)."""
        tag = event.tag
        if tag is None or tag == "!":
            key = (event.value, event.implicit)
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = self._resolve(yaml.ScalarNode, *key)
        return tag

    def event(self, event: Any, path: Path_, record: bool) -> Any:
        """The value starting with ``event``; ``record=False`` for a sequence's items."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooMany
        if event.anchor is not None:  # an anchor, or an alias (which needs one)
            raise _Fallback
        if record:
            mark = event.start_mark
            self.positions.record(path, mark.line + 1, mark.column + 1)
        kind = type(event)
        if kind is ScalarEvent:
            return self.scalar(event, self.tag_of(event), path)
        if len(path) >= MAX_DEPTH:
            raise _TooDeep(event.start_mark)
        if kind is SequenceStartEvent:
            return self.sequence_events(path)
        if kind is MappingStartEvent:
            return self.mapping_events(path)
        raise _Fallback  # pragma: no cover - an alias event always has an anchor

    def sequence_events(self, path: Path_) -> list[Any]:
        """A sequence's items; plain text on one line (a table's codes) the short way."""
        items: list[Any] = []
        positions: list[int] = []
        next_event = self.next_event
        tags = self._tags
        strings = self._strings
        item = next_event()
        while type(item) is not SequenceEndEvent:
            start: Any = item.start_mark
            positions.append((start.line + 1) << 32 | (start.column + 1))
            if type(item) is ScalarEvent and not item.style and item.anchor is None:
                text = item.value
                end: Any = item.end_mark
                if (
                    item.tag is None
                    and tags.get((text, item.implicit)) == _STR
                    and end.line == start.line
                    and end.index - start.index == len(text)
                    and self.count < MAX_VALUES
                ):
                    # What event() would do: a plain scalar on one line is its source text.
                    self.count += 1
                    items.append(strings.setdefault(text, text))
                    item = next_event()
                    continue
            items.append(self.event(item, (*path, len(items)), False))
            item = next_event()
        self.positions.record_items(path, array("q", positions))
        return items

    def mapping_events(self, path: Path_) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[str, Any] = {}
        next_event = self.next_event
        key_event = next_event()
        while type(key_event) is not MappingEndEvent:
            if type(key_event) is not ScalarEvent:
                if key_event.tag == _MERGE:
                    raise _Fallback
                self.problem(key_event, "yaml-syntax", "a mapping key must be a plain value")
                self.skip(key_event)
                self.skip(next_event())
            elif self.tag_of(key_event) == _MERGE:
                raise _Fallback
            else:
                self.count += 1
                if self.count > MAX_VALUES:
                    raise _TooMany
                if key_event.anchor is not None:
                    raise _Fallback
                key = self.text_of(key_event.value)
                first = seen.get(key)
                if first is not None:
                    self.duplicate(key_event, key, first)
                    self.skip(next_event())
                else:
                    seen[key] = key_event
                    mark: Any = key_event.start_mark
                    self.parsed.keys.setdefault((*path, key), (mark.line + 1, mark.column + 1))
                    result[key] = self.event(next_event(), (*path, key), True)
            key_event = next_event()
        return result

    def skip(self, event: Any) -> None:
        """Consume the events of a value that is not built, counting its values."""
        depth = 0
        while True:
            kind = type(event)
            if kind is SequenceEndEvent or kind is MappingEndEvent:
                depth -= 1
            else:
                self.count += 1
                if self.count > MAX_VALUES:
                    raise _TooMany
                if event.anchor is not None:
                    raise _Fallback
                if kind is SequenceStartEvent or kind is MappingStartEvent:
                    depth += 1
            if depth == 0:
                return
            event = self.next_event()


def parse_yaml(text: str | bytes, file: str) -> ParsedYaml:
    """Parse one YAML document, recording positions and YAML problems (never raising).

    Bytes must be UTF-8.
    """
    size = len(text)
    if size > MAX_FILE_BYTES:
        return ParsedYaml(
            file=file,
            data=None,
            problems=[
                Problem(
                    Location(file, 1, 1),
                    "file-too-large",
                    f"the file has {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}",
                )
            ],
        )
    try:
        source = text if isinstance(text, str) else text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedYaml(
            file=file,
            data=None,
            problems=[Problem(Location(file, 1, 1), "encoding", f"not UTF-8 text: {exc}")],
        )
    with gc_paused():
        if _ANCHOR.search(source) is None:
            try:
                return _parse_events(source, file)
            except _Fallback:
                pass
        return _parse_graph(source, file)


# An anchor is '&' and a letter, digit, '_' or '-' (libyaml's and PyYAML's scanners read no
# other): text without one has no anchor, so no alias, and is read from the events directly.
# Other uses of '&' only send a file the slower way; the event builder also checks each event.
_ANCHOR = re.compile(r"&[0-9A-Za-z_-]")


def _syntax_problem(exc: yaml.YAMLError, file: str) -> Problem:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Problem(Location(file, 1, 1), "yaml-syntax", f"YAML syntax error: {exc}")
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    start = exc.context_mark
    if start is not None and mark is not None and start.line != mark.line:
        reason += f" (it started at line {start.line + 1}, column {start.column + 1})"
    return Problem(Location(file, line, column), "yaml-syntax", f"YAML syntax error: {reason}")


def _parse_events(source: str, file: str) -> ParsedYaml:
    """Build the values from libyaml's events (raise _Fallback when the graph is needed)."""
    parsed = ParsedYaml(file=file, data=None)
    loader = _Loader(source)
    builder = _StreamBuilder(parsed, source, loader)
    try:
        parsed.data = builder.document()
    except (_TooMany, _TooDeep) as stop:
        # The graph builder reports these after composing the whole document: first read the
        # rest, which may hold a syntax error, a second document or an alias.
        try:
            size = builder.count_rest()
        except yaml.YAMLError as exc:
            return ParsedYaml(file=file, data=None, problems=[_syntax_problem(exc, file)])
        if isinstance(stop, _TooDeep) and size <= MAX_VALUES:
            return ParsedYaml(file=file, data=None, problems=[_too_deep(stop.mark, file)])
        return ParsedYaml(file=file, data=None, problems=[_too_many(size, file)])
    except yaml.YAMLError as exc:
        return ParsedYaml(file=file, data=None, problems=[_syntax_problem(exc, file)])
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops well before
        raise _Fallback from None
    finally:
        loader.dispose()
    return parsed


def _too_deep(mark: Any, file: str) -> Problem:
    return Problem(
        Location(file, mark.line + 1, mark.column + 1),
        "yaml-too-deep",
        f"lists and mappings are nested more than {MAX_DEPTH} deep here",
    )


def _too_many(size: int, file: str) -> Problem:
    return Problem(
        Location(file, 1, 1),
        "file-too-large",
        f"the file has {size:,} values, over the limit of {MAX_VALUES:,}",
    )


def _parse_graph(source: str, file: str) -> ParsedYaml:
    """Compose the node graph, refuse alias bombs, then build the values from the graph."""
    parsed = ParsedYaml(file=file, data=None)
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        parsed.problems.append(_syntax_problem(exc, file))
        return parsed
    finally:
        loader.dispose()
    if node is None:
        return parsed
    bomb = _alias_bomb(node, file)
    if bomb is not None:
        parsed.problems.append(bomb)
        return parsed
    builder = _Builder(parsed, source)
    try:
        parsed.data = builder.build(node, ())
    except _AliasBomb:  # pragma: no cover - _alias_bomb measured the same thing first
        parsed.data = None
        parsed.problems.append(
            Problem(Location(file, 1, 1), "alias-bomb", f"more than {MAX_VALUES:,} values")
        )
    except _TooDeep as stop:
        return ParsedYaml(file=file, data=None, problems=[_too_deep(stop.mark, file)])
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops well before
        return ParsedYaml(
            file=file,
            data=None,
            problems=[Problem(Location(file, 1, 1), "yaml-too-deep", "nested too deeply")],
        )
    return parsed


def _alias_bomb(node: yaml.Node, file: str) -> Problem | None:
    """A problem when aliases would expand the document beyond the limits, else None."""
    try:
        size, distinct = node_counts(node)
    except _RecursiveAlias:
        return Problem(
            Location(file, node.start_mark.line + 1, node.start_mark.column + 1),
            "alias-bomb",
            "an alias refers to a value that contains it (a recursive alias): write the "
            "values out instead",
        )
    allowed = min(MAX_VALUES, max(ALIAS_EXPANSION_FLOOR, ALIAS_EXPANSION_RATIO * distinct))
    if size <= allowed:
        return None
    if size == distinct:  # no alias expands anything: the file itself is too big
        return _too_many(size, file)
    return Problem(
        Location(file, node.start_mark.line + 1, node.start_mark.column + 1),
        "alias-bomb",
        f"aliases expand the file's {distinct:,} values to {size:,}, over the limit of "
        f"{allowed:,} (an alias bomb?): write the values out instead",
    )


def locate_in_scalar(
    line: int, column: int, raw: str | None, value: str, offset: int
) -> tuple[int, int]:
    """The line and column of the character at 1-based ``offset`` of a scalar's value.

    ``line``/``column`` is where the scalar starts in the file (its quote or block indicator);
    ``raw`` is its source text when that differs from the value (quoted, block, folded or
    multi-line), else None. Tokens of rule expressions never contain escapes or line breaks,
    so the token under ``offset`` is found in the source by counting its earlier occurrences.
    """
    if raw is None:
        return line, column + offset - 1
    tokens = [(m.start(), m.group()) for m in _SCALAR_TOKEN.finditer(value)]
    if not tokens:
        return line, column
    after_end = 0
    index = offset - 1
    chosen = next((t for t in tokens if t[0] <= index < t[0] + len(t[1])), None)
    if chosen is None:  # past the end (or on blanks): point just after the last token
        chosen = next((t for t in tokens if t[0] >= index), tokens[-1])
        if chosen[0] < index:
            after_end = len(chosen[1])
    start, token = chosen
    occurrence = _count(value, token, start)
    skip = raw.index("\n") + 1 if raw[:1] in ("|", ">") and "\n" in raw else 0
    found = skip - 1
    for _ in range(occurrence + 1):
        found = raw.find(token, found + 1)
        if found < 0:
            return line, column + (1 if raw[:1] in ("'", '"') else 0)
    found += after_end
    newlines = raw.count("\n", 0, found)
    if newlines == 0:
        return line, column + found
    return line + newlines, found - raw.rfind("\n", 0, found)


_SCALAR_TOKEN = re.compile(r"[A-Za-z0-9_-]+|\S")


def _count(text: str, token: str, end: int) -> int:
    """How many (possibly overlapping) occurrences of ``token`` start before ``end``."""
    count, found = 0, text.find(token)
    while 0 <= found < end:
        count += 1
        found = text.find(token, found + 1)
    return count


def read_yaml_file(path: Path, display: str) -> ParsedYaml:
    """Read and parse a regular file of at most ``MAX_FILE_BYTES`` (a FIFO, a device, a
    directory or a link loop is a problem, never read); ``digest`` is the sha256 of the bytes
    read (so that a cache entry names the content that was parsed)."""
    try:
        raw = read_regular(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        if exc.size is not None:
            problem = Problem(
                Location(display, 1, 1),
                "file-too-large",
                f"the file has {exc.size:,} bytes, over the limit of {MAX_FILE_BYTES:,}",
            )
        else:
            problem = Problem(Location(display), "unreadable", f"cannot read: {exc.reason}")
        return ParsedYaml(file=display, data=None, problems=[problem])
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        bad = raw[exc.start : exc.end].hex(" ")
        return ParsedYaml(
            file=display,
            data=None,
            problems=[
                Problem(
                    Location(display, line, column),
                    "encoding",
                    f"not UTF-8 text: the byte{'s' if exc.end - exc.start > 1 else ''} {bad} "
                    f"cannot be read as UTF-8 ({exc.reason}); save the file as UTF-8",
                )
            ],
            digest=digest,
        )
    parsed = parse_yaml(text, display)
    parsed.digest = digest
    return parsed
