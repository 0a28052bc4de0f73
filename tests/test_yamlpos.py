"""YAML with positions: duplicate keys, YAML 1.1 traps, alias bombs, limits, scalar columns."""

from __future__ import annotations

import gc
import hashlib
import re
import time
import tracemalloc
from pathlib import Path

import pytest

from configurator.catalog import yamlpos
from configurator.catalog.yamlpos import locate_in_scalar, parse_yaml, read_yaml_file


def _codes(parsed: yamlpos.ParsedYaml) -> list[tuple[int, int, str]]:
    return [(p.location.line, p.location.column, p.code) for p in parsed.problems]


def test_values_and_keys_remember_where_they_were_written() -> None:
    parsed = parse_yaml("a: 1\nlist:\n  - x: hello\n    y: 'q'\n", "f.yaml")
    assert parsed.data == {"a": 1, "list": [{"x": "hello", "y": "q"}]}
    assert parsed.values[("a",)] == (1, 4)
    assert parsed.values[("list", 0)] == (3, 5)
    assert parsed.values[("list", 0, "y")] == (4, 8)
    assert parsed.keys[("list", 0, "y")] == (4, 5)
    assert ("list", 0, "y") in parsed.quoted
    assert parsed.locate(("list", 0, "missing")).line == 3  # the closest ancestor


def test_duplicate_keys_are_errors_not_silently_dropped() -> None:
    parsed = parse_yaml("name: a\nprice: 1\nname: b\n", "f.yaml")
    assert _codes(parsed) == [(3, 1, "duplicate-key")]
    assert "first written at line 1" in parsed.problems[0].message
    assert parsed.data["name"] == "a"


def test_merge_keys_never_override_the_mappings_own_keys() -> None:
    text = "base: &b {price: 1, name: base}\nitem:\n  <<: *b\n  name: own\n"
    parsed = parse_yaml(text, "f.yaml")
    assert parsed.problems == []
    assert parsed.data["item"] == {"name": "own", "price": 1}
    assert parsed.values[("item", "name")] == (4, 9)


@pytest.mark.parametrize("word", ["NO", "no", "on", "Off", "YES"])
def test_yaml11_booleans_are_flagged(word: str) -> None:
    parsed = parse_yaml(f"code: {word}\n", "f.yaml")
    assert _codes(parsed) == [(1, 7, "yaml-ambiguous-bool")]
    assert ("code",) in parsed.flagged


def test_true_false_quoted_words_and_keys_are_fine() -> None:
    parsed = parse_yaml("nev: true\ncode: 'NO'\nnames: {no: Norsk, on: x}\n", "f.yaml")
    assert parsed.problems == []
    assert parsed.data == {"nev": True, "code": "NO", "names": {"no": "Norsk", "on": "x"}}


def test_leading_zero_numbers_are_flagged_as_octal() -> None:
    parsed = parse_yaml("price: 012\nzero: 0\nten: 10\nquoted: '012'\n", "f.yaml")
    assert _codes(parsed) == [(1, 8, "yaml-octal")]
    assert parsed.data["zero"] == 0 and parsed.data["quoted"] == "012"


def test_syntax_errors_name_the_line_and_column() -> None:
    parsed = parse_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    assert [p.code for p in parsed.problems] == ["yaml-syntax"]
    location = parsed.problems[0].location
    assert (location.line, location.column) == (2, 2)
    assert "line 1, column 4" in parsed.problems[0].message  # where the list started
    assert parsed.data is None


def _billion_laughs(levels: int = 9, width: int = 10) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * width) + "]\n"
        previous = name
    return text


def test_billion_laughs_is_rejected_fast_and_small() -> None:
    text = _billion_laughs()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        parsed = parse_yaml(text, "bomb.yaml")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _codes(parsed) == [(1, 1, "alias-bomb")]
    assert "to 1,234,567,909" in parsed.problems[0].message  # counted, never built
    assert parsed.data is None
    assert elapsed < 0.25
    assert peak < 2_000_000


def test_recursive_aliases_are_rejected() -> None:
    parsed = parse_yaml("a: &x [1, *x]\n", "f.yaml")
    assert [p.code for p in parsed.problems] == ["alias-bomb"]
    assert "recursive" in parsed.problems[0].message


def test_modest_anchor_reuse_is_allowed() -> None:
    parsed = parse_yaml("std: &s {price: 0, tags: [a, b]}\nx: *s\ny: *s\n", "f.yaml")
    assert parsed.problems == []
    assert parsed.data["y"] == {"price": 0, "tags": ["a", "b"]}


def test_too_many_values_without_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlpos, "MAX_VALUES", 50)
    parsed = parse_yaml("[" + ", ".join(str(i) for i in range(100)) + "]", "f.yaml")
    assert [p.code for p in parsed.problems] == ["file-too-large"]


def test_size_limit_is_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("note: " + "x" * 5000 + "\n", encoding="utf-8")
    monkeypatch.setattr(yamlpos, "MAX_FILE_BYTES", 4096)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a too-large file"))
    parsed = read_yaml_file(path, "big.yaml")
    assert _codes(parsed) == [(1, 1, "file-too-large")]
    assert "5,007 bytes, over the limit of 4,096" in parsed.problems[0].message


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert [p.code for p in read_yaml_file(path, "latin1.yaml").problems] == ["encoding"]


def test_unreadable_file(tmp_path: Path) -> None:
    parsed = read_yaml_file(tmp_path / "absent.yaml", "absent.yaml")
    assert [p.code for p in parsed.problems] == ["unreadable"]


# --- columns inside a scalar (rule expressions) --------------------------------------------


def _scalar(text: str, *path: str | int) -> tuple[int, int, str | None, str]:
    parsed = parse_yaml(text, "f.yaml")
    line, column = parsed.values[path]
    return line, column, parsed.raw.get(path), parsed.data[path[0]]


def test_column_in_a_plain_scalar() -> None:
    line, column, raw, value = _scalar("when: A and  B\n", "when")
    assert raw is None  # the source is the value: plain arithmetic
    assert locate_in_scalar(line, column, raw, value, value.index("B") + 1) == (1, 14)


def test_column_in_a_double_quoted_scalar_with_escapes() -> None:
    line, column, raw, value = _scalar('when: "\\u0041 or B"\n', "when")
    assert value == "A or B"
    # B is at column 18 of the line: the escape takes six characters for one
    assert locate_in_scalar(line, column, raw, value, value.index("B") + 1) == (1, 18)


def test_column_in_a_single_quoted_scalar() -> None:
    line, column, raw, value = _scalar("when: 'A & B'\n", "when")
    assert locate_in_scalar(line, column, raw, value, value.index("&") + 1) == (1, 10)


def test_line_and_column_in_block_and_folded_scalars() -> None:
    text = "a: |\n  X and\n    (Y or Z\nb: >-\n  X and\n  Y oops\n"
    line, column, raw, value = _scalar(text, "a")
    assert locate_in_scalar(line, column, raw, value, value.index("Z") + 1) == (3, 11)
    line, column, raw, value = _scalar(text, "b")
    assert value == "X and Y oops"
    assert locate_in_scalar(line, column, raw, value, value.index("oops") + 1) == (6, 5)
    assert locate_in_scalar(line, column, raw, value, len(value) + 1) == (6, 9)  # the end


def test_column_of_a_repeated_token_counts_occurrences() -> None:
    line, column, raw, value = _scalar("when: 'A or A or A'\n", "when")
    third = value.rindex("A") + 1
    assert locate_in_scalar(line, column, raw, value, third) == (1, 18)


# --- two ways of reading: libyaml's events, or PyYAML's node graph when there are anchors --

_REPO = Path(__file__).resolve().parent.parent
_YAML_FILES = sorted(
    [*(_REPO / "catalogs").rglob("*.yaml"), *(_REPO / "tests" / "data").rglob("*.yaml")]
)
_SNIPPETS = [
    "",
    "---\n",
    "# only a comment\n",
    "~\n",
    "[1, 2]\n",
    "a:\nb: ~\n",
    "a: 1\na: 2\nb: {c: 1, c: [x, y]}\n",
    "? [a, b]\n: v\nc: 1\n",
    "? {k: 1, k: 2}\n: {z: 1, z: 2}\nq: NO\n",
    "[a, b]: 1\n",
    "a: !!str 12\nb: !custom x\nc: !!int '7'\nd: !!float 1\ne: ! 12\nf: !!merge x\n",
    "a: NO\nb: 012\nc: 2024-02-30\nd: 2024-02-03\ne: 1:30\nf: 0x1F\ng: .inf\nh: 0b101\n",
    "a: |\n  text\n  more\nb: >-\n  folded\n  text\nc: plain\n  two lines\nd: 'it''s'\n",
    'a: "esc\\tx"\nb: [x, "y", \'z\', [p, q], {k: v}, NO, 1, ~, 2024-01-02]\nc: [a\n  b, c]\n',
    "- a\n- b: 1\n  b: 2\n- ? c\n- []\n- {}\n",
    "café: 小米\nx: [é, 'é']\n",
    "key: 'A & B'\nother: x&y\n",
    "a: 1\n---\nb: 2\n",  # a second document
    "a: [1, 2\nb: 3\n",  # a syntax error
    "a: *x\n",  # an alias without an anchor
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\nb: 2\nc: {<<: [{x: 1}, {y: 2}], x: 0}\n",  # merge keys without anchors
    "a: " + "[" * 101 + "]" * 101 + "\n",
    "a: [" + "{k: [x, y]}, " * 30 + "]\n",
]


def _snapshot(parsed: yamlpos.ParsedYaml) -> tuple[object, ...]:
    def typed(value: object) -> object:
        if isinstance(value, dict):
            return {key: typed(item) for key, item in value.items()}
        if isinstance(value, list):
            return [typed(item) for item in value]
        return (type(value).__name__, value)

    return (
        typed(parsed.data),
        dict(parsed.values),
        parsed.keys,
        parsed.quoted,
        parsed.raw,
        parsed.flagged,
        parsed.problems,
    )


@pytest.mark.parametrize(
    "text",
    [*(p.read_text(encoding="utf-8") for p in _YAML_FILES), *_SNIPPETS],
    ids=[*(p.relative_to(_REPO).as_posix() for p in _YAML_FILES), *map(repr, _SNIPPETS)],
)
def test_events_and_node_graph_give_the_same_values_positions_and_problems(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = parse_yaml(text, "f.yaml")
    monkeypatch.setattr(yamlpos, "_ANCHOR", re.compile(""))  # every text "has an anchor"
    graph = parse_yaml(text, "f.yaml")
    assert _snapshot(fast) == _snapshot(graph)


def test_a_file_without_anchors_is_never_composed_into_a_node_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def composed(*args: object) -> None:
        pytest.fail("composed a node graph")

    monkeypatch.setattr(yamlpos, "_parse_graph", composed)
    for path in (_REPO / "catalogs").rglob("*.yaml"):
        assert read_yaml_file(path, path.name).problems == []
    assert parse_yaml("when: 'A & B'\nalso: x & y\n", "f.yaml").problems == []


def test_anchors_and_aliases_still_work() -> None:
    parsed = parse_yaml("when: 'A & B'\nbase: &b {x: 1}\ncopy: *b\n", "f.yaml")
    assert parsed.problems == []
    assert parsed.data["copy"] == {"x": 1}
    assert parsed.values[("copy", "x")] == (2, 14)  # where the anchored value was written


def test_sequence_items_are_packed_but_read_like_a_dict() -> None:
    parsed = parse_yaml("rows:\n  - [A, 'B', C]\n  - [D]\n", "f.yaml")
    values = parsed.values
    assert values[("rows", 0, 1)] == (2, 9)  # the quote
    assert values[("rows", 1)] == (3, 5)
    assert ("rows", 0, 3) not in values and ("rows", -1) not in values
    assert ("rows", "0") not in values and "rows" not in values
    with pytest.raises(KeyError):
        values[("rows", 2)]
    assert values.get(("rows", 9)) is None
    assert len(values) == len(list(values)) == 8  # (), rows, 2 rows, 4 codes
    assert parsed.locate(("rows", 0, 2, "deeper")).column == 14  # the closest ancestor


def test_nesting_deeper_than_the_limit_is_one_clear_problem() -> None:
    parsed = parse_yaml("a: 1\nb: " + "[" * 100 + "]" * 100 + "\n", "f.yaml")
    assert _codes(parsed) == [(2, 103, "yaml-too-deep")]  # the 101st level, with the mapping
    assert "more than 100 deep" in parsed.problems[0].message
    assert parsed.data is None
    assert parse_yaml("b: " + "[" * 99 + "]" * 99 + "\n", "f.yaml").problems == []


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        parse_yaml("a: [1, 2]\n", "f.yaml")
        parse_yaml("a: [1, 2\n", "f.yaml")
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()


def test_bytes_are_read_as_utf8() -> None:
    parsed = parse_yaml("name: 'café'\nx: [小米, 'é']\n".encode(), "f.yaml")
    assert parsed.data == {"name": "café", "x": ["小米", "é"]}
    assert parsed.raw[("x", 1)] == "'é'" and parsed.values[("x", 1)] == (2, 9)
    assert _codes(parse_yaml("name: caf\xe9\n".encode("latin-1"), "f.yaml")) == [(1, 1, "encoding")]


def test_a_file_read_knows_the_sha256_of_the_bytes_parsed(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes("name: 小米\n".encode())
    assert read_yaml_file(path, "f.yaml").digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_repeated_texts_share_one_string() -> None:
    parsed = parse_yaml("rows:\n  - [ABC-1, XYZ]\n  - [ABC-1, XYZ]\nname: ABC-1\n", "f.yaml")
    rows = parsed.data["rows"]
    assert rows[0][0] is rows[1][0] is parsed.data["name"]
