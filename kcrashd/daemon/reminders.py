"""The reminder job: a CRIT readiness finding or a raised warning sign that nobody fixed is
alerted again every alerts.reminder interval (like smartd -M daily), never more often.

A finding was last told when it was last reminded of (store/reminders.py) or, failing
that, when the alert that raised it was sent: readiness_degraded to CRIT, the watcher's
`_raised` alert (the signal's `since`), or, from a kcrashd before reminders, the start-up
summary at priority err. A restart or a package upgrade changes none of these, so neither
sends a reminder. A readiness finding is checked again before it is reminded of: one
fixed since the last readiness run is not.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from kcrashd.checks.job import parse_changes
from kcrashd.config import Config
from kcrashd.config.schema import REMINDER_SECONDS
from kcrashd.model import Alert, Level, Result, Severity, Status
from kcrashd.store import reminders as store

log = logging.getLogger(__name__)

NAME = "reminders"
MAX_CHECK_EVERY = 600.0  # a reminder is late by at most this much


def interval_of(config: Config) -> Optional[float]:
    return REMINDER_SECONDS.get(config.alerts.reminder)


def _ago(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(seconds, 0) / 60:.0f} minutes"


class ReminderJob:
    """jobs.py contract. `clock` is injectable so tests can move time."""

    name = NAME

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def interval(self, config: Config) -> Optional[float]:
        every = interval_of(config)
        if every is None:
            return 0  # never
        return min(MAX_CHECK_EVERY, every / 4)

    def run(self, ctx: Any) -> List[Alert]:
        every = interval_of(ctx.config)
        if every is None:
            return []
        now = self.clock()
        conn = ctx.state.conn
        told = store.reminded(conn)
        readiness = self._open_checks(conn)
        just = ctx.memory.get("readiness", {}).get("crit_alerted", {})
        for check_id, when in just.items():
            if check_id in readiness:
                readiness[check_id] = max(when, readiness[check_id] or when)
        signals = self._open_signals(conn)
        due_checks = [
            c
            for c, since in readiness.items()
            if self._due(told, f"readiness:{c}", since, now, every)
        ]
        still = self._still_critical(ctx, due_checks)
        alerts: List[Alert] = []
        if still:
            alerts.append(readiness_reminder(still, told, now, ctx.config.alerts.reminder))
        for (watcher, key), row in signals.items():
            if self._due(told, f"signal:{watcher}:{key}", row["since"], now, every):
                count = told.get(f"signal:{watcher}:{key}", (0.0, 0))[1] + 1
                alerts.append(
                    signal_reminder(watcher, key, row, now, ctx.config.alerts.reminder, count)
                )
        open_keys = [f"readiness:{c}" for c in readiness] + [f"signal:{w}:{k}" for w, k in signals]
        with ctx.state.transaction() as tx:
            for r in still:
                key = f"readiness:{r.check_id}"
                store.mark(tx, key, now, told.get(key, (0.0, 0))[1] + 1)
            for a in alerts:
                if a.type == "signal_reminder":
                    key = f"signal:{a.fields['watcher']}:{a.fields['key']}"
                    store.mark(tx, key, now, int(a.fields["reminder_count"]))
            store.forget_all_but(tx, open_keys)
        return alerts

    @staticmethod
    def _due(
        told: Dict[str, Tuple[float, int]],
        key: str,
        since: Optional[float],
        now: float,
        every: float,
    ) -> bool:
        last = max([t for t in (told.get(key, (None, 0))[0], since) if t is not None], default=None)
        return last is None or now - last >= every

    @staticmethod
    def _open_checks(conn: Any) -> Dict[str, Optional[float]]:
        """CRIT checks of the last readiness run -> when they were last alerted (None:
        never)."""
        out: Dict[str, Optional[float]] = {}
        legacy = store.last_alert_of(conn, "readiness_summary", min_priority=int(Severity.ERR))
        rows = conn.execute(
            "SELECT check_id FROM check_results WHERE status=?", (Status.CRIT.value,)
        )
        for (check_id,) in rows.fetchall():
            degraded = _last_degraded_to(conn, check_id, Status.CRIT.value)
            out[check_id] = max([t for t in (degraded, legacy) if t is not None], default=None)
        return out

    @staticmethod
    def _open_signals(conn: Any) -> Dict[Tuple[str, str], Dict[str, Any]]:
        rows = conn.execute(
            "SELECT watcher, key, level, since, value, message FROM signals WHERE level>0 "
            "ORDER BY watcher, key"
        ).fetchall()
        return {
            (r[0], r[1]): {
                "level": Level(r[2]),
                "since": r[3],
                "value": r[4],
                "message": r[5] or "",
            }
            for r in rows
        }

    @staticmethod
    def _still_critical(ctx: Any, check_ids: List[str]) -> List[Result]:
        if not check_ids:
            return []
        from kcrashd.checks.engine import run_checks

        results = run_checks(ctx.root, ctx.runner, ctx.config, check_ids)
        return [r for r in results if r.status is Status.CRIT]


def readiness_reminder(
    results: List[Result], told: Dict[str, Tuple[float, int]], now: float, every: str
) -> Alert:
    ids = [r.check_id for r in results]
    findings = "\n".join(f"{r.check_id}: {r.summary} (fix: {r.fix})" for r in results)
    n = len(results)
    return Alert(
        type="readiness_reminder",
        severity=Severity.ERR,
        summary=f"crash readiness still critical ({n} finding{'' if n == 1 else 's'}): "
        + ", ".join(ids),
        fields={
            "checks": " ".join(ids),
            "count": str(n),
            "findings": findings,
            "reminder": every,
        },
        dedup_key="reminder:readiness",
    )


def signal_reminder(
    watcher: str, key: str, row: Dict[str, Any], now: float, every: str, count: int
) -> Alert:
    level = row["level"]
    since = row["since"]
    return Alert(
        type="signal_reminder",
        severity=Severity.CRIT if level == Level.CRIT else Severity.WARNING,
        summary=f"{watcher} {key} still {level.name} for {_ago(now - since)}: {row['message']}",
        fields={
            "watcher": watcher,
            "key": key,
            "level": level.name,
            "since": f"{since:.0f}",
            "value": "" if row["value"] is None else f"{row['value']:g}",
            "summary": row["message"],
            "reminder": every,
            "reminder_count": str(count),
        },
        dedup_key=f"reminder:signal:{watcher}:{key}",
    )


def _last_degraded_to(conn: Any, check_id: str, status: str) -> Optional[float]:
    """When a readiness_degraded alert last said `check_id` went to `status`; None: never.
    One alert names every check that changed in a run (its `changes` field); an alert of an
    older kcrashd named one (`check` and `status`)."""
    for when, fields in store.fields_of(conn, "readiness_degraded"):
        moves = [(c, after) for c, _, after in parse_changes(fields.get("changes"))]
        if not moves and fields.get("check"):
            moves = [(fields["check"], fields.get("status"))]
        if (check_id, status) in moves:
            return when
    return None
