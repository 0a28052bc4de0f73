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

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_VALUES = 5_000_000  # values built from one file, aliases expanded

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


class _Builder:
    def __init__(self, parsed: ParsedYaml) -> None:
        self.parsed = parsed
        self.count = 0
        self._timestamps = yaml.constructor.SafeConstructor()

    def problem(self, node: yaml.Node, code: str, message: str) -> None:
        mark = node.start_mark
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
            return self.scalar(node)
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
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = (
                    value_node.value
                    if isinstance(value_node, yaml.SequenceNode)
                    else [value_node]
                )
                for source in sources:
                    value = self.build(source, path)
                    if isinstance(value, dict):
                        for k, v in value.items():
                            merged.setdefault(k, v)
                    else:
                        self.problem(source, "yaml-syntax", "a merge key '<<' needs a mapping")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "yaml-syntax", "a mapping key must be a plain value")
                continue
            key = self.scalar(key_node)
            if isinstance(key, bool | int | float) or key is None:
                key = key_node.value  # keys are names: 'NO' as a key stays the text 'NO'
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
            self.parsed.keys[(*path, key)] = (kmark.line + 1, kmark.column + 1)
            result[key] = self.build(value_node, (*path, key))
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    def scalar(self, node: yaml.ScalarNode) -> Any:
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
                )
            return text.lower() in ("true", "yes", "y", "on")
        if tag == _INT:
            if _YAML11_OCTAL.match(text):
                self.problem(
                    node,
                    "yaml-octal",
                    f"'{text}' has a leading zero and YAML 1.1 reads it as an octal number: "
                    f"write it without the zero, or quote it for text",
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
                self.problem(node, "yaml-bad-date", f"'{text}' is not a valid date")
                return text
        self.problem(node, "yaml-unsupported-tag", f"unsupported YAML tag {tag}")
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
    builder = _Builder(parsed)
    try:
        parsed.data = builder.build(node, ())
    except _AliasBomb:
        parsed.data = None
        parsed.problems.append(
            Problem(
                Location(file, 1, 1),
                "alias-bomb",
                f"the file expands to more than {MAX_VALUES:,} values through aliases "
                f"(an alias bomb?); write the values out instead",
            )
        )
    except RecursionError:
        parsed.data = None
        parsed.problems.append(
            Problem(Location(file, 1, 1), "yaml-too-deep", "the document is nested too deeply")
        )
    return parsed


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
