"""The post-mortem daemon job: at start only, look for what the previous boot left, then
send the alerts it owes (and any a crash of kcrashd left owed) exactly once.

The job delivers its alerts itself (Pipeline.deliver_once) instead of returning them: the
daemon gives job alerts a fresh id each time, and an alert owed by an incident committed
before a crash must keep the same KCRASHD_ALERT_ID so that the pipeline's journal lookup
can tell it was sent.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, List, Optional, Sequence, Tuple

from kcrashd.model import Alert

log = logging.getLogger(__name__)


def deliver_pending(
    state: Any,
    config: Any,
    boot_id: Optional[str],
    sinks: Optional[Sequence[Callable[[Alert, str], None]]] = None,
    hooks: Optional[Any] = None,
    already_sent: Optional[Callable[[str], bool]] = None,
) -> List[Tuple[str, Alert]]:
    """Deliver every owed post-mortem alert exactly once (Pipeline.deliver_once): its
    alert row, incidents.alerted and the end of the debt are committed in one transaction
    after the send. An owed alert whose id is already in the journal (sent, then kcrashd
    died before the commit) is recorded without being sent again. Returns (alert id,
    alert) of each alert settled."""
    from kcrashd.alerts.pipeline import Pipeline
    from kcrashd.postmortem.collect import pending_alerts, settle_alert

    owed = pending_alerts(state)
    if not owed:
        return []
    pipeline = Pipeline(state, config, boot_id, sinks=sinks, hooks=hooks, already_sent=already_sent)
    done = []
    for p in owed:

        def write(c: Any, p: Any = p) -> None:
            settle_alert(c, p)

        pipeline.deliver_once(p.alert, p.alert_id, boot_id, write)
        done.append((p.alert_id, p.alert))
    pipeline.log_not_resent()
    return done


class PostmortemJob:
    name = "postmortem"

    def __init__(
        self,
        sinks: Optional[Sequence[Callable[[Alert, str], None]]] = None,
        already_sent: Optional[Callable[[str], bool]] = None,
    ) -> None:
        self.sinks = sinks  # None: the pipeline's (journald)
        self.already_sent = already_sent  # None: the pipeline's (the journal)

    def interval(self, config: Any) -> Optional[float]:
        # None: at start only; 0: never (post-mortem turned off).
        return None if config.postmortem.enabled else 0

    def run(self, ctx: Any) -> List[Alert]:
        from kcrashd.postmortem.collect import run_postmortem
        from kcrashd.sinks.hooks import HookRunner

        out = None
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
            hooks = HookRunner(ctx.config.hooks.directory, ctx.config.hooks.timeout_seconds)
            try:
                sent = deliver_pending(
                    ctx.state, ctx.config, ctx.boot_id, self.sinks, hooks, self.already_sent
                )
            finally:
                hooks.stop(wait=0.0)  # queued hooks still run; the job does not wait
            ctx.memory["postmortem"] = {
                "previous_boot": out.previous_boot if out else None,
                "incidents": [i for i, _ in out.incidents] if out else [],
                "artifacts": len(out.artifacts) if out else 0,
                "seconds": out.seconds if out else None,
                "alerts_sent": [alert_id for alert_id, _ in sent],
            }
        for note in out.notes:
            log.warning("post-mortem: %s", note)
        for alert_id, alert in sent:
            # the alert is in the journal already: only a debug line here, not a second copy
            log.debug("post-mortem alert %s sent: %s", alert_id, alert.summary)
        return []  # sent above, exactly once (see the module doc)
