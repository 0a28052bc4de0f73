"""Reading files that someone else may have replaced: regular files only, with a size cap.

A path named by a catalog, a cache entry or a source digest may turn out to be a FIFO (an open
would wait for a writer for ever), a device (``/dev/zero`` reads for ever), a directory, a
symbolic-link loop, or a name with a NUL byte in it. :func:`read_regular` opens without
blocking, checks what it opened (not what the name pointed to a moment before) and reads at
most ``limit`` bytes, raising :class:`UnreadableFile` with a reason a person can act on.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnreadableFile(OSError):
    """A file that cannot or must not be read; ``reason`` says why, in words."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size  # for a file that is too large


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int, *, follow: bool = True) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises :class:`UnreadableFile` for anything else: missing, a symbolic-link loop (or, with
    ``follow=False``, any symbolic link), a FIFO, a device, a directory, a file over ``limit``
    (``size`` is then set), a name with a NUL byte, or an OS error (its message).
    """
    name = os.fspath(path)
    if "\0" in name:
        raise UnreadableFile("the name contains a NUL character")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the open
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(name, flags)
    except OSError as error:
        if error.errno == errno.ENOENT:
            if os.path.islink(name):
                raise UnreadableFile(
                    "it is a symbolic link to a file that does not exist"
                ) from None
            raise UnreadableFile("it does not exist") from None
        if error.errno == errno.ELOOP:
            if follow:
                raise UnreadableFile("it is a loop of symbolic links") from None
            raise UnreadableFile("it is a symbolic link") from None
        if error.errno == errno.EISDIR:
            raise UnreadableFile("it is a directory") from None
        raise UnreadableFile(error.strerror or str(error)) from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):  # checked before fdopen, which refuses directories
        os.close(descriptor)
        raise UnreadableFile(f"it is {_kind(info.st_mode)}, not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        if info.st_size > limit:
            raise UnreadableFile(
                f"it has {info.st_size:,} bytes, over the limit of {limit:,}", info.st_size
            )
        # Read what fstat says is there (and one byte more, to see growth): a read of
        # `limit + 1` would allocate the whole limit (megabytes) for every small file.
        data = handle.read(min(limit, info.st_size) + 1)
        if len(data) > info.st_size:  # it grew while being read: read on, up to the limit
            grown = bytearray(data)
            while len(grown) <= limit:
                block = handle.read(min(1 << 20, limit + 1 - len(grown)))
                if not block:
                    break
                grown += block
            data = bytes(grown)
    if len(data) > limit:  # it grew while being read
        raise UnreadableFile(f"it has more than {limit:,} bytes, over the limit", len(data))
    return data


def resolved(path: str | os.PathLike[str]) -> Path:
    """``Path(path).resolve()``, or the absolute path when it cannot be resolved (a loop of
    symbolic links, a NUL byte): the file is then reported when it is read, not here."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))
