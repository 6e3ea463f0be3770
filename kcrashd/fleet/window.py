"""`--since`: where in time the fleet view starts."""

from __future__ import annotations

import datetime
import re
import time
from typing import Optional

_RELATIVE = re.compile(r"^-?(\d+)\s*(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
HELP = (
    "only alerts from this time on: a local date or time ('2024-03-01', '2024-03-01 "
    "12:00'), an age ('7d', '12h', '30m', '2w'), 'today', 'yesterday' or '@UNIX-SECONDS'"
)


def parse_since(text: str, now: Optional[float] = None) -> float:
    """Unix seconds for `text` (see HELP); ValueError saying what is accepted."""
    now = time.time() if now is None else now
    value = text.strip().lower()
    m = _RELATIVE.match(value)
    if m:
        return now - int(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if value.startswith("@"):
        try:
            return float(value[1:])
        except ValueError:
            pass
    midnight = datetime.datetime.fromtimestamp(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if value == "today":
        return midnight.timestamp()
    if value == "yesterday":
        return (midnight - datetime.timedelta(days=1)).timestamp()
    for fmt in _FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), fmt).timestamp()
        except ValueError:
            continue
    raise ValueError(f"--since {text!r}: not a time; use {HELP.split(': ', 1)[1]}")
