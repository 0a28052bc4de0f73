"""The cache as an attacker would use it: planted, edited, swapped, linked, loosened, corrupted.

Each class of fault is tried on every kind of entry (catalogs and markets, pricers, rules
diagrams): whatever is found in the cache directory, a quote is the one computed without a
cache, no code from the cache runs, no file outside it is written, nothing crashes.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from configurator import cache
from configurator.catalog.loader import CatalogTree, default_catalog_root
from configurator.cli import app
from configurator.errors import CacheWarning
from configurator.rules.compile import Diagram, check_diagram, compile_catalog

SHIPPED = default_catalog_root()
KINDS = ("catalog", "pricer", "rules")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh cache directory (not yet created) and a fresh set of one-time warnings."""
    directory = tmp_path / "home" / "cache"
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(directory))
    monkeypatch.setattr(cache, "_warned", set())
    yield directory


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


_REFERENCES: dict[tuple[str, ...], str] = {}


def _reference(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The output without any cache (computed once per module)."""
    if args not in _REFERENCES:
        with monkeypatch.context() as patch:
            patch.setenv("CONFIGURATOR_CACHE_DIR", "")
            code, out = _run(runner, *args)
        assert code == 0
        _REFERENCES[args] = out
    return _REFERENCES[args]


QUOTE_911 = ("quote", "porsche-911-carrera", "--date", "2026-03-01", "--format", "json")
QUOTE_TAYCAN = ("quote", "porsche-taycan", "--date", "2026-03-01", "--format", "json")
AVAILABLE = ("available", "xiaomi-su7-ultra", "--date", "2026-03-01")


def _warm(runner: CliRunner) -> None:
    """Fill the cache with every kind of entry: catalogs, markets, pricers, rules."""
    for args in (QUOTE_911, QUOTE_TAYCAN, AVAILABLE, ("quote", "xiaomi-su7-ultra")):
        assert _run(runner, *args)[0] == 0
    assert _run(runner, "quote", "xiaomi-su7-ultra", "PAINT-AMETHYST", "PAINT-SILVER")[0] == 4


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache filled once per module with every kind of entry, copied into each test's
    cache (warming costs several quotes; copying, milliseconds)."""
    directory = tmp_path_factory.mktemp("template") / "cache"
    runner = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "100"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFIGURATOR_CACHE_DIR", str(directory))
        _warm(runner)
    return directory


_TEMPLATE: list[Path] = []


@pytest.fixture(autouse=True)
def _remember_template(_template: Path) -> None:
    _TEMPLATE[:] = [_template]


def _warmed(store: Path) -> None:
    """The test's cache, as the template: private directory, key and entries (modes kept)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(_TEMPLATE[0], store)


def _entries(directory: Path, kind: str) -> list[Path]:
    return sorted(directory.glob(f"{kind}-*.entry"))


# --- the directory ------------------------------------------------------------------------


def test_the_directory_is_created_private_with_a_private_key(
    store: Path, runner: CliRunner
) -> None:
    _warm(runner)
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    key = store / cache.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    for kind in KINDS:
        assert _entries(store, kind), kind
        for entry in _entries(store, kind):
            assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert not list(store.glob(".*"))  # no temporary left behind
    assert not list(store.glob("*.pickle"))


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_directory_writable_by_others_is_not_used(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    store.mkdir(parents=True)
    store.chmod(mode)
    with pytest.warns(CacheWarning, match="writable by other users"):
        assert _run(runner, *QUOTE_911) == (0, expected)
    assert list(store.iterdir()) == []  # nothing read, nothing written


def test_a_directory_of_another_user_is_not_used(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    _warmed(store)
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 4242)
    with pytest.warns(CacheWarning, match="not by you"):
        assert _run(runner, *QUOTE_911) == (0, expected)


def test_a_file_where_the_directory_should_be(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    store.parent.mkdir(parents=True)
    store.write_text("x")
    with pytest.warns(CacheWarning, match="not a directory"):
        assert _run(runner, *QUOTE_911) == (0, expected)
    assert store.read_text() == "x"


@pytest.mark.parametrize("fault", ["loose", "link", "short", "directory"])
def test_a_key_that_cannot_be_trusted_disables_the_cache(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fault: str
) -> None:
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    store.mkdir(parents=True, mode=0o700)
    key = store / cache.KEY_FILE
    if fault == "loose":
        key.write_bytes(os.urandom(32))
        key.chmod(0o644)  # anyone could read it and sign entries
    elif fault == "link":
        known = tmp_path / "known-key"
        known.write_bytes(b"k" * 32)
        known.chmod(0o600)
        key.symlink_to(known)
    elif fault == "short":
        key.write_bytes(b"short")
        key.chmod(0o600)
    else:
        key.mkdir()
    with pytest.warns(CacheWarning, match="cache disabled"):
        assert _run(runner, *QUOTE_911) == (0, expected)
    assert not _entries(store, "pricer")


def test_the_warning_is_printed_once_as_one_line(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    directory.chmod(0o777)
    env = {**os.environ, "CONFIGURATOR_CACHE_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-m", "configurator", "quote", "porsche-taycan"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stderr.count("warning: cache disabled") == 1, done.stderr
    assert "Traceback" not in done.stderr and "CacheWarning" not in done.stderr


# --- planted and edited entries -------------------------------------------------------------


class _Marker:
    """A pickle that, if ever loaded, creates a file (what an attacker's code would do)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.path,))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", ["bare", "old-tuple", "with-header"])
def test_a_planted_pickle_never_runs(
    store: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kind: str,
    shape: str,
) -> None:
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    _warmed(store)
    marker = tmp_path / "pwned"
    payload = _Marker(marker)
    for entry in _entries(store, kind):
        if shape == "bare":
            entry.write_bytes(pickle.dumps(payload))
        elif shape == "old-tuple":
            entry.write_bytes(pickle.dumps(([], payload)))
        else:  # the right magic and a plausible header, but no valid HMAC
            header = json.dumps({"kind": kind, "key": "x", "sources": []}).encode()
            body = pickle.dumps(payload)
            blob = len(header).to_bytes(4, "big") + header + body
            entry.write_bytes(cache.MAGIC + b"\0" * 32 + blob)
        # the old names too: nothing reads them any more
        entry.with_suffix(".pickle").write_bytes(pickle.dumps(payload))
    assert _run(runner, *QUOTE_911) == (0, expected)
    assert _run(runner, *AVAILABLE)[0] == 0
    assert not marker.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_every_edited_byte_range_is_rejected(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    expected = {args: _reference(runner, monkeypatch, *args) for args in (QUOTE_911, AVAILABLE)}
    _warmed(store)
    entries = _entries(store, kind)
    originals = {entry: entry.read_bytes() for entry in entries}
    # an edit in the magic, the MAC, the header and the body (first, middle, last byte)
    for where in ("magic", "mac", "header", "body-middle", "body-end"):
        for entry, data in originals.items():
            offset = {
                "magic": 3,
                "mac": len(cache.MAGIC) + 5,
                "header": len(cache.MAGIC) + 32 + 10,
                "body-start": len(data) * 2 // 3,
                "body-middle": len(data) - len(data) // 4,
                "body-end": len(data) - 1,
            }[where]
            edited = bytearray(data)
            edited[offset] ^= 0x01
            entry.write_bytes(bytes(edited))
        for args, output in expected.items():
            assert _run(runner, *args) == (0, output), (where, args)


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_and_empty_entries_are_rebuilt(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    expected = _reference(runner, monkeypatch, *AVAILABLE)
    _warmed(store)
    for size in (0, 5, len(cache.MAGIC) + 10, -1):
        for entry in _entries(store, kind):
            data = entry.read_bytes()
            entry.write_bytes(data[:size])
        assert _run(runner, *AVAILABLE) == (0, expected)


def test_a_price_edited_in_the_entries_is_not_used(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported attack: a price edited inside the stored pricer and catalog."""
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    assert "1358000.00" in expected
    _warmed(store)
    edited = 0
    for entry in _entries(store, "pricer") + _entries(store, "catalog"):
        data = entry.read_bytes()
        if b"1358000" in data:
            entry.write_bytes(data.replace(b"1358000", b"1258000"))
            edited += 1
    assert edited >= 2
    assert _run(runner, *QUOTE_911) == (0, expected)


# --- swapped entries --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["catalog", "pricer"])
def test_another_models_entry_of_the_same_kind_is_rebuilt(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    expected = {args: _reference(runner, monkeypatch, *args) for args in (QUOTE_911, QUOTE_TAYCAN)}
    _warmed(store)
    entries = _entries(store, kind)
    assert len(entries) >= 2
    # every entry replaced by the next one: each name now holds an authentic entry of
    # another model (or market) of the same kind
    contents = [entry.read_bytes() for entry in entries]
    for entry, content in zip(entries, contents[1:] + contents[:1], strict=True):
        entry.write_bytes(content)
    for args, output in expected.items():
        assert _run(runner, *args) == (0, output)


def test_another_catalogs_rules_entry_is_rebuilt(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    args_yu7 = ("available", "xiaomi-yu7-max", "--date", "2026-03-01")
    expected = {args: _reference(runner, monkeypatch, *args) for args in (AVAILABLE, args_yu7)}
    for args in expected:
        _run(runner, *args)
    entries = _entries(store, "rules")
    assert len(entries) >= 2
    contents = [entry.read_bytes() for entry in entries]
    for entry, content in zip(entries, contents[1:] + contents[:1], strict=True):
        entry.write_bytes(content)
    for args, output in expected.items():
        assert _run(runner, *args) == (0, output)


# --- links and ownership of entries ---------------------------------------------------------


def test_a_planted_link_is_replaced_never_written_through(
    store: Path, runner: CliRunner, tmp_path: Path
) -> None:
    _warmed(store)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    names = [entry for kind in KINDS for entry in _entries(store, kind)]
    for entry in names:
        entry.unlink()
        entry.symlink_to(victim)
    # links at the old fixed temporary names too
    for entry in names:
        entry.with_suffix(f".{os.getpid()}.tmp").symlink_to(victim)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        _warm(runner)
    assert victim.read_text() == "precious"
    rebuilt = [entry for entry in names if not entry.is_symlink()]
    assert {entry.name.split("-")[0] for entry in rebuilt} == set(KINDS)
    for entry in rebuilt:
        assert entry.is_file() and entry.read_bytes().startswith(cache.MAGIC)


def test_entries_writable_by_others_or_not_owned_are_ignored(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _reference(runner, monkeypatch, *QUOTE_911)
    _warmed(store)
    for entry in _entries(store, "pricer"):
        entry.chmod(0o666)
    with pytest.warns(CacheWarning, match="writable by other users"):
        assert _run(runner, *QUOTE_911) == (0, expected)
    modes = [stat.S_IMODE(entry.stat().st_mode) for entry in _entries(store, "pricer")]
    assert modes.count(0o600) == 1  # the 911's, rebuilt in its place


def test_a_source_replaced_by_a_fifo_does_not_hang(store: Path, tmp_path: Path) -> None:
    root = tmp_path / "catalogs"
    shutil.copytree(SHIPPED, root)
    CatalogTree(root).load("porsche-taycan")
    fragment = root / "porsche" / "_exclusive-manufaktur.yaml"
    fragment.unlink()
    os.mkfifo(fragment)
    assert cache.file_digest(fragment) == ""
    tree = CatalogTree(root)
    problems = tree.problems_in(root / "porsche" / "taycan.yaml")
    assert any("FIFO" in p.message for p in problems)


# --- rules arrays --------------------------------------------------------------------------


def _diagram() -> tuple[object, Diagram]:
    from configurator.catalog.loader import load_catalog

    catalog = load_catalog("xiaomi-su7-ultra")
    compiled = compile_catalog(catalog)
    return catalog, compiled.diagram


CORRUPTIONS = {
    "root-true": lambda d: (d.level, d.low, d.high, 1),  # "everything is available"
    "root-false": lambda d: (d.level, d.low, d.high, 0),
    "root-out-of-range": lambda d: (d.level, d.low, d.high, len(d.level) + 5),
    "child-out-of-range": lambda d: (d.level, _set(d.low, 3, 10**6), d.high, d.root),
    "child-negative": lambda d: (d.level, d.low, _set(d.high, 4, -3), d.root),
    "edge-upwards": lambda d: (d.level, _set(d.low, len(d.low) - 1, 2), d.high, d.root),
    "level-out-of-range": lambda d: (_set(d.level, 2, 10**5), d.low, d.high, d.root),
    "terminal-level": lambda d: (_set(d.level, 0, 0), d.low, d.high, d.root),
    "redundant-node": lambda d: (d.level, _set(d.low, 2, int(d.high[2])), d.high, d.root),
    "lengths": lambda d: (d.level[:-1], d.low, d.high, d.root),
    "all-true": lambda d: (d.level, np.ones_like(d.low), np.ones_like(d.high), d.root),
}


def _set(array: np.ndarray, index: int, value: int) -> np.ndarray:
    copy = array.copy()
    copy[index] = value
    return copy


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupt_diagram_arrays_are_refused(name: str) -> None:
    _, diagram = _diagram()
    assert (
        check_diagram(diagram.names, diagram.level, diagram.low, diagram.high, diagram.root) is None
    )
    level, low, high, root = CORRUPTIONS[name](diagram)
    assert check_diagram(diagram.names, level, low, high, root) is not None


def _figures(stats: str) -> dict[str, object]:
    """``catalog stats --json`` without how the diagram was obtained and how long it took."""
    figures = json.loads(stats)
    return {
        k: v
        for k, v in figures.items()
        if "compile" not in k and "node" not in k and "seconds" not in k
    }


@pytest.mark.parametrize("name", ["root-true", "child-out-of-range", "all-true", "lengths"])
def test_authentic_but_corrupt_rules_arrays_are_discarded_and_rebuilt(
    store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Signed with the user's own key (a bug, a disk error before signing): the arrays are
    still checked, and a bad diagram is compiled again, never used."""
    expected = _reference(runner, monkeypatch, *AVAILABLE)
    stats = _figures(
        _reference(runner, monkeypatch, "catalog", "stats", "xiaomi-su7-ultra", "--json")
    )
    catalog, diagram = _diagram()
    (entry,) = [e for e in _entries(store, "rules")]
    level, low, high, root = CORRUPTIONS[name](diagram)
    key = compile_catalog(catalog).key  # type: ignore[arg-type]
    body = b"".join(np.asarray(a, dtype="<i4").tobytes() for a in (level, low, high))
    extra = {"format": 3, "names": list(diagram.names), "count": len(level), "root": int(root)}
    cache.save("rules", key, [], body, extra)
    assert _run(runner, *AVAILABLE) == (0, expected)
    code, out = _run(runner, "catalog", "stats", "xiaomi-su7-ultra", "--json")
    assert code == 0 and _figures(out) == stats
    assert entry.exists()


def test_diagrams_are_stored_as_plain_arrays(store: Path) -> None:
    _diagram()
    (entry,) = _entries(store, "rules")
    data = entry.read_bytes()
    assert b"\x80\x04\x95" not in data[:200] and b"numpy" not in data  # no pickle
    loaded = cache.load(
        "rules", json.loads(data[len(cache.MAGIC) + 36 :].split(b"}")[0] + b"}")["key"]
    )
    assert loaded is not None and loaded.header["names"]


def test_reading_an_entry_or_a_source_allocates_its_size_not_the_limit(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small entry (limit: a gibibyte) and a small source file (limit: 64 MiB) are read
    without allocating their limit; a file that grows while it is read is still read whole,
    up to the limit."""
    import tracemalloc

    from configurator.safeio import UnreadableFile, read_regular

    cache.save("probe", "k", [], b"x" * 1000)
    source = store.parent / "source.yaml"
    source.write_bytes(b"id: x\n" * 100)
    tracemalloc.start()
    try:
        entry = cache.load("probe", "k")
        data = read_regular(source, cache.MAX_SOURCE_BYTES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert entry is not None and entry.body == b"x" * 1000
    assert data == b"id: x\n" * 100
    assert peak < 4 << 20  # megabytes at most, not the limits

    grown = store.parent / "grown.yaml"
    grown.write_bytes(b"a" * 10)
    real_fstat = os.fstat

    def stale_fstat(descriptor: int) -> os.stat_result:
        info = real_fstat(descriptor)
        fields = list(info)
        fields[stat.ST_SIZE] = 4  # as if it had 4 bytes when it was opened
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", stale_fstat)
    assert read_regular(grown, 100) == b"a" * 10  # read on past the size fstat gave
    with pytest.raises(UnreadableFile):
        read_regular(grown, 8)  # past the limit
