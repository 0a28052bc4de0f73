"""YAML parsing that remembers where every value was written, and refuses YAML's traps.

PyYAML's composer (libyaml's C parser where present) gives a node graph with line and column
marks; we build the Python values ourselves so that we can
- report duplicate keys (PyYAML silently keeps the last one),
- flag YAML 1.1 surprises: ``NO``/``on`` read as booleans, ``012`` read as octal,
- stop alias bombs ("billion laughs") by bounding the number of values built,
- record the position of every value and key by its path (``("groups", 0, "options", 3)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from configurator.errors import Location, Problem

try:  # libyaml is much faster; fall back to the pure-Python loader where it is absent
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 16 * 1024 * 1024  # a catalog with a 50,000-row table is about 3 MB
MAX_VALUES = 2_000_000  # values built from one file, aliases expanded
# Aliases may multiply a file's values by at most this ratio (beyond a small floor): anchors
# used to share a few blocks are fine, anchors nested to explode ("billion laughs") are not.
ALIAS_EXPANSION_RATIO = 10
ALIAS_EXPANSION_FLOOR = 100_000

Path_ = tuple[str | int, ...]

_YAML11_BOOL = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_YAML11_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class ParsedYaml:
    """The values of one YAML file and where each was written."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    quoted: set[Path_] = field(default_factory=set)
    raw: dict[Path_, str] = field(default_factory=dict)
    flagged: set[Path_] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The position of the value (or key) at ``path``, or of its closest ancestor."""
        table = self.keys if key else self.values
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


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded, without expanding them.

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
    return sizes[id(root)]


def distinct_nodes(root: yaml.Node) -> int:
    """How many node objects the composer made (each alias target counted once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(_children(node))
    return len(seen)


class _Builder:
    def __init__(self, parsed: ParsedYaml, text: str) -> None:
        self.parsed = parsed
        self.text = text
        self.count = 0
        self._timestamps = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node, code: str, message: str, path: Path_ | None = None) -> None:
        """Record a YAML problem; ``path`` marks the value so the schema does not repeat it."""
        mark = node.start_mark
        if path is not None:
            self.parsed.flagged.add(path)
        self.parsed.problems.append(
            Problem(Location(self.parsed.file, mark.line + 1, mark.column + 1), code, message)
        )

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _AliasBomb
        mark = node.start_mark
        self.parsed.values.setdefault(path, (mark.line + 1, mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("'", '"'):
                self.parsed.quoted.add(path)
            value = self.scalar(node, path)
            if isinstance(value, str) and path not in self.parsed.raw:
                raw = self.text[mark.index : node.end_mark.index]
                if raw != value:  # quoted, block or folded: positions need the source
                    self.parsed.raw[path] = raw
            return value
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
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
            key = key_node.value  # keys are names: 'no' (Norwegian) as a key stays 'no'
            if key in seen:
                first = seen[key].start_mark
                self.problem(
                    key_node,
                    "duplicate-key",
                    f"duplicate key '{key}' (first written at line {first.line + 1}); "
                    f"YAML would silently keep only the last one",
                )
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

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        text = node.value
        tag = node.tag
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
                return self._timestamps.construct_yaml_int(node)
            except ValueError:
                return text
        if tag == _FLOAT:
            return self._timestamps.construct_yaml_float(node)
        if tag == _TIMESTAMP:
            try:
                return self._timestamps.construct_yaml_timestamp(node)
            except ValueError:
                self.problem(node, "yaml-bad-date", f"'{text}' is not a valid date", path)
                return text
        self.problem(node, "yaml-unsupported-tag", f"unsupported YAML tag {tag}", path)
        return text


def parse_yaml(text: str | bytes, file: str) -> ParsedYaml:
    """Parse one YAML document, recording positions and YAML problems (never raising)."""
    parsed = ParsedYaml(file=file, data=None)
    size = len(text)
    if size > MAX_FILE_BYTES:
        parsed.problems.append(
            Problem(
                Location(file, 1, 1),
                "file-too-large",
                f"the file has {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}",
            )
        )
        return parsed
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        start = exc.context_mark
        if start is not None and mark is not None and start.line != mark.line:
            reason += f" (it started at line {start.line + 1}, column {start.column + 1})"
        parsed.problems.append(
            Problem(Location(file, line, column), "yaml-syntax", f"YAML syntax error: {reason}")
        )
        return parsed
    except yaml.YAMLError as exc:
        parsed.problems.append(
            Problem(Location(file, 1, 1), "yaml-syntax", f"YAML syntax error: {exc}")
        )
        return parsed
    finally:
        loader.dispose()
    if node is None:
        parsed.data = None
        return parsed
    bomb = _alias_bomb(node, file)
    if bomb is not None:
        parsed.problems.append(bomb)
        return parsed
    builder = _Builder(parsed, text if isinstance(text, str) else text.decode("utf-8"))
    try:
        parsed.data = builder.build(node, ())
    except _AliasBomb:  # pragma: no cover - _alias_bomb measured the same thing first
        parsed.data = None
        parsed.problems.append(
            Problem(Location(file, 1, 1), "alias-bomb", f"more than {MAX_VALUES:,} values")
        )
    except RecursionError:
        parsed.data = None
        parsed.problems.append(
            Problem(Location(file, 1, 1), "yaml-too-deep", "the document is nested too deeply")
        )
    return parsed


def _alias_bomb(node: yaml.Node, file: str) -> Problem | None:
    """A problem when aliases would expand the document beyond the limits, else None."""
    try:
        size = expanded_size(node)
    except _RecursiveAlias:
        return Problem(
            Location(file, node.start_mark.line + 1, node.start_mark.column + 1),
            "alias-bomb",
            "an alias refers to a value that contains it (a recursive alias): write the "
            "values out instead",
        )
    distinct = distinct_nodes(node)
    allowed = min(MAX_VALUES, max(ALIAS_EXPANSION_FLOOR, ALIAS_EXPANSION_RATIO * distinct))
    if size <= allowed:
        return None
    if size == distinct:  # no alias expands anything: the file itself is too big
        return Problem(
            Location(file, 1, 1),
            "file-too-large",
            f"the file has {size:,} values, over the limit of {MAX_VALUES:,}",
        )
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
    """Read and parse a file, checking its size before reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return ParsedYaml(
                file=display,
                data=None,
                problems=[
                    Problem(
                        Location(display, 1, 1),
                        "file-too-large",
                        f"the file has {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}",
                    )
                ],
            )
        raw = path.read_bytes()
    except OSError as exc:
        return ParsedYaml(
            file=display,
            data=None,
            problems=[Problem(Location(display), "unreadable", f"cannot read: {exc.strerror}")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedYaml(
            file=display,
            data=None,
            problems=[Problem(Location(display, 1, 1), "encoding", f"not UTF-8 text: {exc}")],
        )
    return parse_yaml(text, display)
