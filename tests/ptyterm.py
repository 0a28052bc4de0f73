"""A `configurator` command in an 80x24 pseudo-terminal, as the pty tests run it, and a
child that Ctrl-C reaches."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def pty_environment(tmp_path: Path) -> dict[str, str]:
    """80x24, no colour, a UTF-8 terminal, a cache of the test's own, the shipped catalogs
    (unless the arguments name others)."""
    env = dict(os.environ)
    env.pop("CONFIGURATOR_CATALOGS", None)
    env.update(
        COLUMNS="80",
        LINES="24",
        NO_COLOR="1",
        TERM="xterm-256color",
        CONFIGURATOR_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONIOENCODING="utf-8",
    )
    return env


def default_sigint() -> None:
    """For a child's ``preexec_fn``: Ctrl-C reaches it even when the tests run where SIGINT
    is ignored (a background job of a shell without job control passes that on)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(tmp_path: Path, args: list[str], env: dict[str, str], timeout: int = 30) -> Any:
    """``python -m configurator ARGS`` in a pseudo-terminal (pexpect's spawn)."""
    import pexpect

    return pexpect.spawn(
        sys.executable,
        ["-m", "configurator", *args],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=timeout,
        dimensions=(24, 80),
        preexec_fn=default_sigint,
    )
