"""configurator: a car configurator and exact price calculator.

Library use mirrors the CLI::

    from configurator import load_catalog
    catalog = load_catalog("xiaomi-su7-ultra")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_catalog"]

if TYPE_CHECKING:
    from configurator.catalog.loader import load_catalog


def __getattr__(name: str) -> Any:
    # Lazy exports keep `import configurator` cheap for one-shot commands.
    if name == "load_catalog":
        from configurator.catalog.loader import load_catalog

        return load_catalog
    raise AttributeError(name)
