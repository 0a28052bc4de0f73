"""The one on-disk cache: entries that are authenticated before anything in them is trusted.

Three kinds of entry live here: loaded catalogs and markets (``catalog``), compiled pricers
(``pricer``) and compiled rules diagrams (``rules``). They are optimisations: any doubt about an
entry means it is ignored and rebuilt, and any doubt about the directory means no cache at all
(with one warning per process, :class:`~configurator.errors.CacheWarning`).

What is defended (docs/threat-model.md):

- the directory is created ``0700`` and used only when it is a directory owned by the user and
  not writable by group or others; every entry must also be a regular file owned by the user,
  not writable by others, and is opened without following symbolic links;
- every entry carries an HMAC-SHA256 of all its bytes, keyed by a random per-user key kept in
  the directory (``key``, created ``0600``): an entry planted or edited by anyone who cannot
  read that key is never decoded (in particular a pickle is never loaded from it);
- inside the authenticated bytes: the entry's kind, its full lookup key and the sha256 of every
  source file it was made from. An entry renamed over another one (another model's entry of the
  same kind) fails the key check; an entry whose sources changed fails the digest check;
- files are written to ``mkstemp`` temporaries (``O_EXCL``, mode 0600, never through a link)
  and renamed into place, so a planted symbolic link is replaced, never written through.

Rules diagrams are plain arrays (a JSON header and raw little-endian int32 data, no pickle).
Catalogs and pricers are object graphs (pydantic models with positions; compiled checks) and
are pickled, but only ever unpickled after the HMAC has been verified.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import pickle
import stat
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from configurator.errors import CacheWarning
from configurator.safeio import read_regular

Sources = list[tuple[str, str]]  # the files a cached value was made from: (path, sha256)

MAGIC = b"configurator-cache 1\n"
KEY_FILE = "key"
KEY_BYTES = 32
MAX_ENTRY_BYTES = 1 << 30  # a larger entry is not ours
MAX_SOURCE_BYTES = 64 << 20  # a source file is hashed only up to this size (catalogs: 16 MiB)

_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Warn about the cache once per process (the CLI prints it as ``warning: ...``)."""
    if message not in _warned:
        _warned.add(message)
        warnings.warn(CacheWarning(message), stacklevel=3)


def cache_dir() -> Path | None:
    """Where the cache is configured to be; ``CONFIGURATOR_CACHE_DIR=""`` disables it."""
    configured = os.environ.get("CONFIGURATOR_CACHE_DIR")
    if configured == "":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "configurator"


def _unsafe(info: os.stat_result, what: str) -> str | None:
    """Why a file or directory cannot be trusted, or None."""
    uid = os.geteuid()
    if info.st_uid != uid:
        return f"{what} is owned by user id {info.st_uid}, not by you ({uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{what} is writable by other users (mode {stat.filemode(info.st_mode)})"
    return None


@dataclass(frozen=True)
class Store:
    """A checked cache directory and its key."""

    directory: Path
    key: bytes

    def path(self, kind: str, key: str) -> Path:
        return self.directory / f"{kind}-{key[:40]}.entry"


def open_store() -> Store | None:
    """The cache directory, created 0700 and checked, with its key; None when the cache is
    disabled, cannot be made, or cannot be trusted (then warned once)."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
        info = directory.stat()
    except OSError as error:
        warn_once(f"cache disabled: cannot create {directory}: {error.strerror}")
        return None
    if not stat.S_ISDIR(info.st_mode):
        warn_once(f"cache disabled: {directory} is not a directory")
        return None
    why = _unsafe(info, f"the cache directory {directory}")
    if why is not None:
        warn_once(f"cache disabled: {why}")
        return None
    key = _key(directory)
    return None if key is None else Store(directory, key)


def _key(directory: Path) -> bytes | None:
    """The directory's HMAC key, made (random, 0600) when there is none yet."""
    path = directory / KEY_FILE
    for _ in range(2):
        try:
            data = _read_own_file(path, KEY_BYTES + 1, private=True)
        except FileNotFoundError:
            _make_key(directory, path)
            continue
        except _Untrusted as error:
            warn_once(f"cache disabled: {error}")
            return None
        except OSError as error:
            warn_once(f"cache disabled: cannot read {path}: {error.strerror}")
            return None
        if len(data) != KEY_BYTES:
            warn_once(f"cache disabled: {path} is not a cache key (remove it to make a new one)")
            return None
        return data
    return None


def _make_key(directory: Path, path: Path) -> None:
    """Create the key atomically: written in full to a temporary, then linked into place (a
    concurrent process either wins the link or reads the complete key of the one that did)."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".key-")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


class _Untrusted(Exception):
    """A cache file that exists but must not be used."""


def _read_own_file(path: Path, limit: int, private: bool = False) -> bytes:
    """A regular file owned by the user (not writable by others; with ``private``, not
    readable by them either), read without following a symbolic link, at most ``limit``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == getattr(os, "ELOOP", -1) or os.path.islink(path):
            raise _Untrusted(f"{path} is a symbolic link") from None
        raise
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):  # checked before fdopen, which refuses directories
        os.close(descriptor)
        raise _Untrusted(f"{path} is not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        why = _unsafe(info, str(path))
        if why is None and private and info.st_mode & 0o077:
            why = f"{path} is readable by other users (mode {stat.filemode(info.st_mode)})"
        if why is not None:
            raise _Untrusted(why)
        if info.st_size > limit:
            raise _Untrusted(f"{path} is larger than a cache file can be")
        # What fstat says is there, and a byte more: `read(limit + 1)` would allocate the
        # whole limit (a gibibyte) for every entry. An entry that grows fails its MAC.
        return handle.read(info.st_size + 1)


def file_digest(path: str | os.PathLike[str]) -> str:
    """The sha256 of a regular file's bytes ('' when it is not one or cannot be read)."""
    try:
        return hashlib.sha256(read_regular(path, MAX_SOURCE_BYTES)).hexdigest()
    except OSError:
        return ""


# --- entries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """An authenticated entry: its header (kind, key, sources, anything the writer added) and
    its body."""

    header: dict[str, Any]
    body: bytes

    @property
    def sources(self) -> Sources:
        return [(str(p), str(d)) for p, d in self.header["sources"]]


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, MAGIC + payload, hashlib.sha256).digest()


def load(kind: str, key: str) -> Entry | None:
    """The entry of this kind and key, or None when it is missing, not authentic, another
    entry (kind or key differ), stale (a source file changed) or the cache is off."""
    store = open_store()
    if store is None:
        return None
    path = store.path(kind, key)
    try:
        data = _read_own_file(path, MAX_ENTRY_BYTES)
    except FileNotFoundError:
        return None
    except _Untrusted as error:
        warn_once(f"cache entry ignored: {error}")
        return None
    except OSError:
        return None
    size = len(MAGIC) + 32 + 4
    if len(data) < size or not data.startswith(MAGIC):
        return None
    mac = data[len(MAGIC) : len(MAGIC) + 32]
    payload = data[len(MAGIC) + 32 :]
    if not hmac.compare_digest(mac, _mac(store.key, payload)):
        return None
    header_size = int.from_bytes(payload[:4], "big")
    try:
        header = json.loads(payload[4 : 4 + header_size])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("kind") != kind or header.get("key") != key:
        return None
    sources = header.get("sources")
    if not isinstance(sources, list):
        return None
    for source in sources:
        if not (isinstance(source, list) and len(source) == 2):
            return None
        if file_digest(source[0]) != source[1]:
            return None
    return Entry(header, payload[4 + header_size :])


def save(
    kind: str, key: str, sources: Sources, body: bytes, extra: dict[str, Any] | None = None
) -> None:
    """Write an entry atomically (mkstemp, then rename); a cache that cannot be written is
    skipped (it is an optimisation: a read-only home must not break quoting)."""
    store = open_store()
    if store is None:
        return
    header = {**(extra or {}), "kind": kind, "key": key, "sources": [list(s) for s in sources]}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    payload = len(encoded).to_bytes(4, "big") + encoded + body
    data = MAGIC + _mac(store.key, payload) + payload
    try:
        descriptor, temporary = tempfile.mkstemp(dir=store.directory, prefix=f".{kind}-")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, store.path(kind, key))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def load_object(kind: str, key: str, expected: type | tuple[type, ...]) -> tuple[Sources, Any]:
    """A pickled value of the ``expected`` type, unpickled only once its entry is authentic;
    raises LookupError when there is none usable."""
    entry = load(kind, key)
    if entry is None:
        raise LookupError(key)
    try:
        value = pickle.loads(entry.body)
    except Exception:  # authentic but unreadable by this code: rebuilt
        raise LookupError(key) from None
    if not isinstance(value, expected):
        raise LookupError(key)
    return entry.sources, value


def save_object(kind: str, key: str, sources: Sources, value: Any) -> None:
    """Store a value as a pickle in an authenticated entry."""
    try:
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # pragma: no cover - a value that cannot be pickled is not cached
        return
    save(kind, key, sources, body)


def entry_key(*parts: object) -> str:
    """A lookup key: the sha256 of the parts (text, NUL separated)."""
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()
