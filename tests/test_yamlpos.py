"""YAML with positions: duplicate keys, YAML 1.1 traps, alias bombs, limits, scalar columns."""

from __future__ import annotations

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
