"""The ``configurator`` command (and ``python -m configurator``).

The command-line package is imported inside the ``try``: a Ctrl-C while Python is still
importing it (the first tenth of a second) exits 130 quietly, like one during a command.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    try:
        from configurator.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(130)  # ExitCode.INTERRUPTED, without importing anything more


if __name__ == "__main__":
    main()
