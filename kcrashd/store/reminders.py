"""When each open finding was last reminded of (meta rows `reminder:<key>`), so that a
reminder is sent at most once per interval, across restarts and package upgrades.

A finding's key names what it is about: `readiness:<check id>`, `signal:<watcher>:<key>`.
Callers own the transaction for writes.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

PREFIX = "reminder:"


def _c(conn: Any) -> Any:
    return getattr(conn, "conn", conn)


def reminded(conn: Any) -> Dict[str, Tuple[float, int]]:
    """key -> (when last reminded, how many reminders so far)."""
    out = {}
    rows = _c(conn).execute("SELECT key, value FROM meta WHERE key LIKE ?", (PREFIX + "%",))
    for key, value in rows.fetchall():
        try:
            doc = json.loads(value)
            out[key[len(PREFIX) :]] = (float(doc["last"]), int(doc.get("count", 1)))
        except (ValueError, KeyError, TypeError):
            continue  # a damaged row counts as never reminded
    return out


def mark(conn: Any, key: str, when: float, count: int) -> None:
    _c(conn).execute(
        "INSERT INTO meta(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (PREFIX + key, json.dumps({"last": when, "count": count}, sort_keys=True)),
    )


def forget_all_but(conn: Any, open_keys: Iterable[str]) -> int:
    """Drop the rows of findings no longer open (fixed: a new one starts afresh)."""
    keep = {PREFIX + k for k in open_keys}
    rows = _c(conn).execute("SELECT key FROM meta WHERE key LIKE ?", (PREFIX + "%",)).fetchall()
    gone = [r[0] for r in rows if r[0] not in keep]
    for key in gone:
        _c(conn).execute("DELETE FROM meta WHERE key=?", (key,))
    return len(gone)


def last_alert_of(
    conn: Any, alert_type: str, dedup_key: Optional[str] = None, min_priority: Optional[int] = None
) -> Optional[float]:
    """When the last alert of a type (with that dedup key, at that priority or worse) was
    recorded; None when never."""
    sql = "SELECT MAX(created) FROM alerts WHERE type=?"
    args: list = [alert_type]
    if dedup_key is not None:
        sql += " AND dedup_key=?"
        args.append(dedup_key)
    if min_priority is not None:
        sql += " AND severity<=?"
        args.append(min_priority)
    value = _c(conn).execute(sql, args).fetchone()[0]
    return None if value is None else float(value)


def fields_of(conn: Any, alert_type: str) -> Iterator[Tuple[float, Dict[str, Any]]]:
    """(when, fields) of every recorded alert of a type, newest first."""
    rows = _c(conn).execute(
        "SELECT created, fields_json FROM alerts WHERE type=? ORDER BY created DESC",
        (alert_type,),
    )
    for created, fields_json in rows:
        try:
            fields = json.loads(fields_json or "{}")
        except ValueError:
            continue
        if isinstance(fields, dict):
            yield float(created), fields
