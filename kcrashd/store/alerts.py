"""Alerts sent (the `alerts` table). alert_id is also the KCRASHD_ALERT_ID journal field.

Callers own the transaction.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional, Tuple

from kcrashd.model import Alert


def _c(conn: Any) -> Any:
    return getattr(conn, "conn", conn)


def alert_columns(alert: Alert) -> Tuple[str, int, str, str, str]:
    """(type, severity, summary, dedup_key, fields_json): how an alert is stored (the
    `alerts` and `outbox` tables share these columns)."""
    fields = json.dumps(dict(alert.fields), sort_keys=True)
    return alert.type, int(alert.severity), alert.summary, alert.dedup_key, fields


def insert_alert(
    conn: Any, alert_id: str, alert: Alert, boot_id: Optional[str], now: Optional[float] = None
) -> bool:
    """Record a sent alert; False when that alert id was already recorded."""
    cur = _c(conn).execute(
        "INSERT OR IGNORE INTO alerts(alert_id, type, severity, summary, dedup_key, fields_json, "
        "boot_id, created) VALUES(?,?,?,?,?,?,?,?)",
        (alert_id, *alert_columns(alert), boot_id, time.time() if now is None else now),
    )
    return cur.rowcount == 1


def alert_exists(conn: Any, alert_id: str) -> bool:
    row = _c(conn).execute("SELECT 1 FROM alerts WHERE alert_id=?", (alert_id,)).fetchone()
    return row is not None


def last_alert_time(conn: Any, dedup_key: str) -> Optional[float]:
    row = _c(conn).execute("SELECT MAX(created) FROM alerts WHERE dedup_key=?", (dedup_key,))
    value = row.fetchone()[0]
    return None if value is None else float(value)


def count_alerts(conn: Any, boot_id: Optional[str] = None) -> int:
    if boot_id is None:
        return int(_c(conn).execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
    sql = "SELECT COUNT(*) FROM alerts WHERE boot_id=?"
    return int(_c(conn).execute(sql, (boot_id,)).fetchone()[0])


def recent_alerts(conn: Any, limit: int = 10) -> List[Dict[str, Any]]:
    rows = _c(conn).execute(
        "SELECT alert_id, type, severity, summary, dedup_key, fields_json, boot_id, created "
        "FROM alerts ORDER BY created DESC, rowid DESC LIMIT ?",
        (int(limit),),
    )
    return [
        {
            "alert_id": r[0],
            "type": r[1],
            "severity": r[2],
            "summary": r[3],
            "dedup_key": r[4],
            "fields": json.loads(r[5]),
            "boot_id": r[6],
            "created": r[7],
        }
        for r in rows.fetchall()
    ]
