"""The post-mortem daemon job: at start only, look for what the previous boot left, and
owe the alerts it finds (and any a crash of kcrashd left owed) to the outbox.

In the daemon the main thread's outbox delivers them (ctx.deliver_owed tells it to take
over the new outbox rows): one queue, one deliverer. Run on its own (tests, `kcrashd
postmortem`), the job delivers them itself through an outbox of its own (deliver_pending).
An alert stays owed until journald has stored it, and one already in the journal under its
KCRASHD_ALERT_ID is not sent again.
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional, Tuple

from kcrashd.model import Alert

log = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0  # deliver_pending waits this long for journald to store the alerts


def deliver_pending(
    state: Any,
    config: Any,
    boot_id: Optional[str],
    journal: Optional[Any] = None,
    hooks: Optional[Any] = None,
    timeout: float = FLUSH_SECONDS,
) -> List[Tuple[str, Alert]]:
    """Deliver every owed alert of the outbox table exactly once and wait (up to
    `timeout`) for journald to store them. Returns (alert id, alert) of each alert
    recorded as sent by this call (sent now, or found already in the journal); what is
    not stored by then stays owed for the next run or the daemon."""
    from kcrashd.alerts.outbox import Outbox

    if journal is None:
        from kcrashd.sinks.journald import Journal

        journal = Journal()
    outbox = Outbox(state, journal, hooks, boot_id)
    if not outbox.load():
        return []
    owed = dict((e.alert_id, e.alert) for e in outbox.entries.values())
    outbox.flush(timeout)
    left = set(outbox.entries)
    if left:
        log.warning("%d post-mortem alert(s) not yet stored by journald: still owed", len(left))
    outbox.close()
    return [(i, a) for i, a in owed.items() if i not in left]


class PostmortemJob:
    name = "postmortem"

    def __init__(self, journal: Optional[Any] = None) -> None:
        self.journal = journal  # None: the journal (kcrashd.sinks.journald.Journal)

    def interval(self, config: Any) -> Optional[float]:
        # None: at start only; 0: never (post-mortem turned off).
        return None if config.postmortem.enabled else 0

    def run(self, ctx: Any) -> List[Alert]:
        from kcrashd.postmortem.collect import run_postmortem

        out = None
        sent: List[Tuple[str, Alert]] = []
        try:
            out = run_postmortem(
                ctx.root,
                ctx.config,
                ctx.state,
                ctx.boot_id,
                journal_dir=ctx.journal_dir or ctx.config.journal.directory,
            )
        finally:
            # Also after a failed collection: what an earlier run owes is still sent.
            if ctx.deliver_owed is not None:
                ctx.deliver_owed()  # the daemon's outbox delivers
            else:
                sent = self._deliver(ctx)
            ctx.memory["postmortem"] = {
                "previous_boot": out.previous_boot if out else None,
                "incidents": [i for i, _ in out.incidents] if out else [],
                "artifacts": len(out.artifacts) if out else 0,
                "seconds": out.seconds if out else None,
                "alerts_owed": [a.type for a in out.alerts] if out else [],
                "alerts_sent": [alert_id for alert_id, _ in sent],
            }
        for note in out.notes:
            log.warning("post-mortem: %s", note)
        for alert_id, alert in sent:
            # the alert is in the journal already: only a debug line here, not a second copy
            log.debug("post-mortem alert %s sent: %s", alert_id, alert.summary)
        return []  # owed to the outbox, delivered exactly once (see the module doc)

    def _deliver(self, ctx: Any) -> List[Tuple[str, Alert]]:
        from kcrashd.sinks.hooks import HookRunner

        hooks = HookRunner(ctx.config.hooks.directory, ctx.config.hooks.timeout_seconds)
        try:
            return deliver_pending(ctx.state, ctx.config, ctx.boot_id, self.journal, hooks)
        finally:
            hooks.stop(wait=0.0)  # queued hooks still run; the job does not wait
