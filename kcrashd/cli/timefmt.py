"""How the commands print a point in time."""

from __future__ import annotations

import datetime
from typing import Optional


def when(ts: Optional[float]) -> str:
    """Local time `2024-03-01 12:30:00`; `-` when unknown."""
    if not ts:
        return "-"
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")
