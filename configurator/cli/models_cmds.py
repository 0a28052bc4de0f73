"""`configurator models` and `configurator show`."""

from __future__ import annotations
