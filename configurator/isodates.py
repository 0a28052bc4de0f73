"""The one way a date is written on the command line and in batch rows: ``YYYY-MM-DD``.

Python's ``date.fromisoformat`` also reads ISO 8601's basic (``20260301``) and week
(``2026-W09-1``) forms; we accept only the extended calendar form, everywhere, so that a
date that works in ``quote`` works in ``batch`` and reads the same to everyone.
"""

from __future__ import annotations

import datetime as dt
import re

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_day(text: str) -> dt.date:
    """``YYYY-MM-DD`` (surrounding spaces ignored) as a date; ValueError for anything else."""
    text = text.strip()
    if _ISO_DAY.fullmatch(text) is None:
        raise ValueError(f"not YYYY-MM-DD: {text!r}")
    return dt.date.fromisoformat(text)
