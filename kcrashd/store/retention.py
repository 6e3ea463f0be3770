"""State retention: state.db does not grow without bound.

Rows older than state.retention_days are deleted: alerts sent, per-boot crash report
counts, and post-mortem artifacts handled (a post-mortem refreshes the rows of artifacts
still on disk, so only those gone age out). Kept always: the current boot's rows (its
dedup and storm windows need them), alerts still owed (the outbox), and incidents (the
crash history `kcrashd incidents` shows). Runs as a daemon job, at start and daily.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional

from kcrashd.model import Alert

log = logging.getLogger(__name__)

DAY = 86400.0


def prune(
    conn: Any, retention_days: float, current_boot: Optional[str], now: Optional[float] = None
) -> Dict[str, int]:
    """Delete what is older than the retention (in the caller's transaction); returns the
    rows deleted per table."""
    c = getattr(conn, "conn", conn)
    cutoff = (time.time() if now is None else now) - retention_days * DAY
    boot = current_boot or ""
    deleted = {
        "alerts": c.execute(
            "DELETE FROM alerts WHERE created < ? AND boot_id IS NOT ?", (cutoff, boot)
        ).rowcount,
        "reports": c.execute(
            "DELETE FROM reports WHERE last_seen < ? AND boot_id IS NOT ?", (cutoff, boot)
        ).rowcount,
        "artifacts": c.execute("DELETE FROM artifacts WHERE seen < ?", (cutoff,)).rowcount,
    }
    return deleted


class RetentionJob:
    """Daemon job (kcrashd.daemon.jobs): prune at start and then daily."""

    name = "retention"

    def interval(self, config: Any) -> Optional[float]:
        return DAY

    def run(self, ctx: Any) -> List[Alert]:
        with ctx.state.transaction() as c:
            deleted = prune(c, ctx.config.state.retention_days, ctx.boot_id)
        if any(deleted.values()):
            log.info(
                "state retention (%g days): deleted %s",
                ctx.config.state.retention_days,
                ", ".join(f"{n} {table}" for table, n in deleted.items() if n),
            )
        return []
