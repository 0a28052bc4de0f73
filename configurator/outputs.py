"""Writing an output (``-o``, ``--save``) without ever losing data.

- A regular file (or a path that does not exist yet) is written through a temporary file in
  the same folder, renamed over it at the end: a reader never sees half an output, and an
  error or an interrupt leaves the old file as it was and no temporary file behind.
- A symbolic link is never replaced: the file it points to is written (atomically, as
  above, when that is a regular file or does not exist yet).
- A device, a FIFO or a socket (``/dev/null``, a named pipe, a terminal) is written through:
  renaming over it would replace the machine's device or the reader's pipe with a file.
- ``-``, ``/dev/stdout``, ``/dev/fd/1`` and ``/proc/self/fd/1`` are standard output itself.

What can be checked before the work is (:func:`plan_output`): the folder exists, the target
is not a folder, and it is not the command's own input. Write errors (a full disk) become an
:class:`OutputError` naming the output, never the temporary file.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from configurator.errors import UsageError
from configurator.safetext import escape_controls

#: Paths that name the process's standard output (they are written as ``-`` is).
STDOUT_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})

#: Exit code for an output pipe closed by its reader (``| head``): as a process killed by
#: SIGPIPE reports it to the shell (128 + 13), which is what ``cat`` gives.
CLOSED_PIPE_EXIT = 141


class OutputError(UsageError):
    """The output cannot be written: a missing or read-only folder, a directory, a full disk."""

    error_code = "output"


@dataclass(frozen=True)
class OutputPlan:
    """Where and how an output is written.

    ``mode``: ``stdout``; ``through`` (a device, FIFO or socket: opened and written as it
    is); ``replace`` (a regular file, or a new one: through a temporary file renamed over
    ``path``, which is a symbolic link's target when ``shown`` is a link).
    """

    shown: str  # the output as the user named it (used in messages)
    mode: Literal["stdout", "through", "replace"]
    path: Path | None = None


def plan_output(
    output: str | os.PathLike[str] | None, *, input_path: str | None = None
) -> OutputPlan:
    """Check an output before any work is done; raise :class:`OutputError` when it cannot be
    written (or is the input, ``input_path``)."""
    if output is None or str(output) in STDOUT_NAMES:
        return OutputPlan("standard output", "stdout")
    shown = str(output)
    target = Path(output)
    try:
        status: os.stat_result | None = os.stat(target)  # follows symbolic links
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise OutputError(f"cannot write '{shown}': {_reason(error)}") from None
    if input_path is not None and _same_file(input_path, target, status):
        raise OutputError(
            f"the output '{shown}' is the input file: it would be overwritten while it is "
            "read; write to another file"
        )
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"'{shown}' is a folder: name a file to write, e.g. {shown}/out.csv")
    if status is not None and not stat.S_ISREG(status.st_mode):
        return OutputPlan(shown, "through", target)
    real = Path(os.path.realpath(target))  # a link's target: the link itself stays
    folder = real.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write '{shown}': the folder '{target.parent}' does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write '{shown}': the folder '{target.parent}' is read-only")
    return OutputPlan(shown, "replace", real)


def _same_file(input_path: str, target: Path, status: os.stat_result | None) -> bool:
    """Whether the output is the input: the same file (inode), or the same resolved path."""
    if input_path in STDOUT_NAMES or input_path == "-":
        return False
    try:
        if os.path.realpath(input_path) == os.path.realpath(target):
            return True
        if status is None:
            return False
        source = os.stat(input_path)
    except OSError:
        return False
    same = (source.st_dev, source.st_ino) == (status.st_dev, status.st_ino)
    return same and stat.S_ISREG(status.st_mode)


def _reason(error: OSError) -> str:
    """An OS error's reason, without its file name (which may be a temporary file's)."""
    return error.strerror or type(error).__name__


class _GuardedWriter:
    """A text stream whose write errors become :class:`OutputError` naming the output (a
    closed pipe stays a :class:`BrokenPipeError`: the reader stopped, nothing went wrong).

    On a terminal, control characters from the data (a row id holding an escape sequence)
    are written visibly; files and pipes get the data unchanged."""

    def __init__(self, stream: IO[str], shown: str) -> None:
        self._stream = stream
        self._shown = shown
        try:
            self._terminal = stream.isatty()
        except (AttributeError, ValueError, OSError):
            self._terminal = False

    def write(self, text: str) -> int:
        if self._terminal:
            text = escape_controls(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._failed(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._failed(error) from None

    def _failed(self, error: OSError) -> OutputError:
        return OutputError(f"cannot write {_quoted(self._shown)}: {_reason(error)}")

    def isatty(self) -> bool:
        return self._terminal

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _quoted(shown: str) -> str:
    return shown if shown == "standard output" else f"'{shown}'"


@contextmanager
def atomic_output(
    output: str | os.PathLike[str] | OutputPlan | None,
    *,
    input_path: str | None = None,
    utf8: bool = False,
) -> Iterator[IO[str]]:
    """Write an output safely (see the module's docstring): stdout for None or '-'.

    An error or interrupt leaves no temporary file and the old output untouched. ``utf8``:
    data (batch rows) is UTF-8 on standard output too, as in a file, even where stdout's
    own encoding (PYTHONIOENCODING, the locale) could not write every character.
    """
    plan = output if isinstance(output, OutputPlan) else plan_output(output, input_path=input_path)
    with _atomic(plan, binary=False, utf8=utf8) as stream:
        yield stream


@contextmanager
def atomic_binary_output(
    output: str | os.PathLike[str] | OutputPlan | None, *, input_path: str | None = None
) -> Iterator[IO[bytes]]:
    """:func:`atomic_output` for bytes (a Parquet file): the same checks and the same
    guarantees; standard output is written as bytes."""
    plan = output if isinstance(output, OutputPlan) else plan_output(output, input_path=input_path)
    with _atomic(plan, binary=True, utf8=False) as stream:
        yield stream


@contextmanager
def _atomic(plan: OutputPlan, *, binary: bool, utf8: bool) -> Iterator[Any]:
    if plan.mode == "stdout":
        if binary:
            raw = sys.stdout.buffer
            sys.stdout.flush()
            yield _GuardedBinary(raw, plan.shown)
            raw.flush()
            return
        with _standard_output(utf8) as stdout:
            writer = _GuardedWriter(stdout, plan.shown)
            yield writer
            writer.flush()
        return
    assert plan.path is not None
    if plan.mode == "through":
        try:
            handle: IO[Any] = (
                open(plan.path, "wb")  # noqa: SIM115
                if binary
                else open(plan.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            )
        except OSError as error:
            raise OutputError(f"cannot write '{plan.shown}': {_reason(error)}") from None
        with handle:
            guarded = (
                _GuardedBinary(handle, plan.shown) if binary else _GuardedWriter(handle, plan.shown)
            )
            yield guarded
            guarded.flush()
        return
    target = plan.path
    try:
        # mkstemp: O_EXCL with a random name, mode 0600: no symlink planted there is followed
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise OutputError(f"cannot write '{plan.shown}': {_reason(error)}") from None
    try:
        opened: IO[Any] = (
            open(descriptor, "wb")  # noqa: SIM115
            if binary
            else open(descriptor, "w", encoding="utf-8", newline="")  # noqa: SIM115
        )
        with opened as handle:
            guarded = (
                _GuardedBinary(handle, plan.shown) if binary else _GuardedWriter(handle, plan.shown)
            )
            yield guarded
            guarded.flush()
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:
        os.chmod(temporary, _new_file_mode(target))  # temp files are 0600; outputs are not
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write '{plan.shown}': {_reason(error)}") from None


class _GuardedBinary:
    """A byte stream whose write errors become :class:`OutputError` naming the output."""

    def __init__(self, stream: IO[bytes], shown: str) -> None:
        self._stream = stream
        self._shown = shown

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write {_quoted(self._shown)}: {_reason(error)}") from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write {_quoted(self._shown)}: {_reason(error)}") from None

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def _standard_output(utf8: bool) -> Iterator[IO[str]]:
    """sys.stdout, or (``utf8``, when its encoding is not UTF-8) a UTF-8 writer on its bytes."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    raw = getattr(stream, "buffer", None)
    if not utf8 or encoding.startswith("utf") or raw is None:
        yield stream
        return
    stream.flush()
    wrapper = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()  # stdout's buffer stays open


def _new_file_mode(target: Path) -> int:
    """The mode a plain ``open(target, "w")`` would give: the existing file's, or 0666 - umask."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
