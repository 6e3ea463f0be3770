"""The alert pipeline: crash reports and job alerts -> the outbox -> one SQLite commit.

For a crash report: dedup by (boot, signature) in the `reports` table (a report that lost
lines by its header: kcrashd.alerts.dedup), storm limit (the first occurrence alerts;
repeats are counted and summarised by a `crash_repeated` alert every `storm_summary_every`
repeats, or once `storm_window_seconds` have passed since the last alert), then the alert
goes to the outbox (journald, hooks), and the journal position, the report row, the
incident and the outbox row are committed in ONE transaction. The outbox records the alert
as sent once journald has stored it (kcrashd.alerts.outbox). A live, non-fatal report also
gets a snapshot (see `wants_snapshot`): its id is reserved first, so the alert and the
incident name it, and it is captured only after the alert is out (the daemon captures in
its own thread), so no alert waits for a snapshot.

Exactly once: alert ids are deterministic (boot + signature + occurrence, keyed:
kcrashd.alerts.ids). After a crash between sending and committing, the same reports are
read again; an alert neither recorded nor owed is first looked up in the journal by
KCRASHD_ALERT_ID and not sent twice. Commits go through the daemon's StateWriter, so a
full or broken state disk never stops an alert (kcrashd.store.recovery).

Grouped commits: a live report's commit follows its alert at once. A report of the backlog
(printed before this process started: its alert is looked up in the journal before it is
sent, as after a crash) joins the writer's group of writes instead, committed once per
group (kcrashd.store.recovery): a backlog of reports costs a few disk syncs, not one each.
A crash before the group is committed reads those reports again from the position before
it, and the look-up finds their alerts sent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from kcrashd.alerts import dedup
from kcrashd.alerts import outbox as ob
from kcrashd.alerts.ids import alert_id_for
from kcrashd.config import Config
from kcrashd.model import Alert, CrashReport, Evidence, Severity
from kcrashd.store import alerts as alert_store
from kcrashd.store import reports as report_store
from kcrashd.store.positions import Position, save_position
from kcrashd.store.secret import alert_key

log = logging.getLogger(__name__)

PositionUpdate = Tuple[str, Position]  # (source name, position)
Write = Callable[[Any], None]

CRIT_KINDS = frozenset(
    (
        "panic",
        "oops",
        "page_fault",
        "gpf",
        "bug",
        "kasan",
        "kfence",
        "kmsan",
        "exception",
        "hard_lockup",
        "mce",
    )
)
# an allocation failure is the kernel coping (the caller gets NULL), not a crash
WARNING_KINDS = frozenset(  # fmt: skip
    (
        "warning",
        "lockdep",
        "hung_task",
        "rcu_stall",
        "soft_lockup",
        "oom_kill",
        "memory_leak",
        "alloc_failure",
    )
)


def severity_for(report: CrashReport) -> Severity:
    """panic/oops/... CRIT; warning/lockdep/hung task/... WARNING; the rest ERR."""
    if report.panicked or report.kind in CRIT_KINDS:
        return Severity.CRIT
    if report.kind in WARNING_KINDS:
        return Severity.WARNING
    return Severity.ERR


def taint_text(report: CrashReport) -> str:
    return "".join(letter for letter, _ in report.taint) or "-"


def crash_fields(
    report: CrashReport,
    signature: str,
    incident_id: Optional[str],
    count: int,
    snapshot_id: Optional[str] = None,
) -> Dict[str, str]:
    fields: Dict[str, Optional[Any]] = {
        "kind": report.kind,
        "title": report.title,
        "function": report.function or "-",
        "module": report.module or "-",
        "taint": taint_text(report),
        "taint_meaning": "; ".join(m for _, m in report.taint) or None,
        "signature": signature,
        "incident": incident_id,
        "repeat_count": count,
        "source_position": report.start_position,
        "end_position": report.end_position,
        "boot_id": report.boot_id,
        "kernel": report.kernel,
        "comm": report.comm,
        "pid": report.pid,
        "cpu": report.cpu,
        "corrupted": "yes" if report.corrupted else None,
        "snapshot": snapshot_id,
        "report": "\n".join(report.lines) or None,
    }
    return {k: str(v) for k, v in fields.items() if v is not None}


def crash_alert(report: CrashReport, fields: Dict[str, str], dedup_key: str) -> Alert:
    where = f" in {report.module}" if report.module else ""
    incomplete = " (incomplete report: lines were lost)" if report.corrupted else ""
    return Alert(
        "crash_report",
        severity_for(report),
        f"kernel {report.kind}: {report.title}{where}{incomplete}",
        fields,
        dedup_key,
    )


def repeated_alert(
    report: Optional[CrashReport], row: report_store.ReportRow, count: int, window: float
) -> Alert:
    fields = {
        "kind": row.kind,
        "title": row.title,
        "signature": row.signature,
        "incident": row.incident_id or "-",
        "repeat_count": str(count),
        "boot_id": row.boot_id,
        "new_repeats": str(count - row.alerted_count),
        "window_seconds": f"{window:g}",
    }
    if report is not None:
        fields["source_position"] = report.start_position or "-"
        fields["function"] = report.function or "-"
        fields["module"] = report.module or "-"
        fields["taint"] = taint_text(report)
    sev = Severity.WARNING if row.kind in WARNING_KINDS else Severity.ERR
    return Alert(
        "crash_repeated",
        sev,
        f"kernel {row.kind} repeated: {row.title} ({count} times this boot)",
        fields,
        dedup_key(row.boot_id, row.signature),
    )


def dedup_key(boot_id: Optional[str], signature: str) -> str:
    return f"crash:{boot_id or '-'}:{signature}"


@dataclass
class Delivery:
    """One alert handed to the outbox: what to write with it in the commit."""

    outcome: str  # kcrashd.alerts.outbox: IN_JOURNAL, RECORDED, SENT_NOW, OWED_NOW, PENDING
    alert_id: str
    alert: Alert
    boot_id: Optional[str]
    incident_id: Optional[str]

    @property
    def sent_now(self) -> bool:
        return self.outcome in (ob.SENT_NOW, ob.OWED_NOW)

    def write(self, c: Any, outbox: ob.Outbox) -> None:
        if self.outcome in (ob.IN_JOURNAL, ob.RECORDED):
            outbox.record(c, self.alert_id, self.alert, self.boot_id)
            if self.incident_id:
                from kcrashd.store.incidents import mark_alerted

                mark_alerted(c, self.incident_id)
        elif self.sent_now:
            outbox.write_row(c, self.alert_id)


class Pipeline:
    """Hands alerts to the outbox and commits them with the position that produced them.

    Not thread-safe: the daemon's main thread owns it (jobs hand their alerts over).
    `journal` is kcrashd.sinks.journald.Journal (tests pass a stand-in); `writer` the
    daemon's kcrashd.store.recovery.StateWriter (None: plain transactions); `snapshots`
    has `reserve(reason) -> id or None` (the id the snapshot will have, or a recent one's)
    and `capture(snapshot_id, reason)` (take a reserved one; it may return before it is
    taken): the daemon's kcrashd.daemon.snapshots.SnapshotWorker.
    """

    def __init__(
        self,
        state: Any,
        config: Config,
        boot_id: Optional[str],
        journal: Optional[Any] = None,
        hooks: Optional[Any] = None,
        started_at: Optional[float] = None,
        snapshots: Optional[Any] = None,
        writer: Optional[Any] = None,
        breadcrumbs: Optional[Any] = None,
    ) -> None:
        if journal is None:
            from kcrashd.sinks.journald import Journal

            journal = Journal()
        self.state = state
        self.config = config
        self.boot_id = boot_id
        self.writer = writer
        self.key = alert_key(state)
        self.outbox = ob.Outbox(
            state, journal, hooks, boot_id, commit=self._commit_work, breadcrumbs=breadcrumbs
        )
        self.started_at = time.time() if started_at is None else started_at
        self.snapshots = snapshots
        self.alerts_sent = 0
        self.reports_handled = 0
        self.last_alert: Optional[Dict[str, Any]] = None
        self._repeats_open = True  # rows may be left from a previous run: look once
        # Alerts found already sent since the last log_not_resent(), by where they were found.
        self._not_resent: Dict[str, int] = {"journal": 0, "recorded": 0}

    def alert_id(self, *parts: Any) -> str:
        """The (keyed, deterministic) id of the alert described by `parts`."""
        return alert_id_for(self.key, *parts)

    # -- crash reports ----------------------------------------------------------------------

    def on_report(
        self, report: CrashReport, position: Optional[PositionUpdate] = None
    ) -> Optional[str]:
        """Handle one completed crash report; returns the id of the alert sent, if any."""
        boot = report.boot_id or self.boot_id or "-"
        report, signature, header = dedup.signature_for(self.state, report, boot)
        now = time.time()
        seen = report.realtime if report.realtime is not None else now
        row = report_store.get_report(self.state, boot, signature)
        if row is not None and dedup.already_counted(row, report):
            # Read again after a restart or a resume from the boot start: already counted.
            self.commit(position, group=not self.is_live(report))
            return None
        self.reports_handled += 1
        if row is None:
            return self._first(report, boot, signature, header, seen, position)
        return self._repeat(report, row, seen, now, position)

    def _first(
        self,
        report: CrashReport,
        boot: str,
        signature: str,
        header: str,
        seen: float,
        position: Optional[PositionUpdate],
    ) -> str:
        from kcrashd.store.incidents import incident_id_for, upsert_incident

        # the id upsert_incident gives (or gave) the incident of (boot, signature)
        incident_id = incident_id_for(boot, signature)
        reason = f"kernel {report.kind}: {report.title}"
        snapshot_id = self._reserve_snapshot(report, reason)
        fields = crash_fields(report, signature, incident_id, 1, snapshot_id)
        alert = crash_alert(report, fields, dedup_key(boot, signature))
        alert_id = self.alert_id(boot, signature, "crash_report", 1)
        sent = self._deliver(alert_id, alert, boot, self._maybe_sent(report), incident_id)

        def write(c: Any) -> None:
            evidence = Evidence("live", None, f"kernel log {report.start_position or ''}".strip())
            upsert_incident(c, report, boot, [evidence], snapshot_id=snapshot_id)
            report_store.insert_report(c, report, boot, signature, seen, incident_id, header)
            sent.write(c, self.outbox)

        self.commit(position, write, group=not self.is_live(report))
        if snapshot_id is not None:
            self._capture_snapshot(snapshot_id, reason)  # after the alert, never before
        return alert_id

    def _repeat(
        self,
        report: CrashReport,
        row: report_store.ReportRow,
        seen: float,
        now: float,
        position: Optional[PositionUpdate],
    ) -> Optional[str]:
        cfg = self.config.alerts
        count = row.count + 1
        last = self._last_alert_time(dedup_key(row.boot_id, row.signature))
        quiet = last is None or now - last >= cfg.storm_window_seconds
        due = quiet or count - row.alerted_count >= cfg.storm_summary_every
        sent: Optional[Delivery] = None
        if due:
            alert = repeated_alert(report, row, count, cfg.storm_window_seconds)
            alert_id = self.alert_id(row.boot_id, row.signature, "crash_repeated", count)
            sent = self._deliver(alert_id, alert, row.boot_id, self._maybe_sent(report))
        else:
            self._repeats_open = True

        def write(c: Any) -> None:
            report_store.count_repeat(
                c, row.boot_id, row.signature, count, seen, due, report.monotonic_us
            )
            if sent is not None:
                sent.write(c, self.outbox)

        self.commit(position, write, group=not self.is_live(report))
        return sent.alert_id if sent else None

    def _last_alert_time(self, key: str) -> Optional[float]:
        """When the last alert of `key` was sent or first owed (an alert waiting for
        journald to store it counts: its storm window has started)."""
        times = [alert_store.last_alert_time(self.state, key)]
        times += [e.queued for e in self.outbox.entries.values() if e.alert.dedup_key == key]
        return max((t for t in times if t is not None), default=None)

    def tick(self, now: Optional[float] = None) -> int:
        """Summarise repeats whose storm window has closed; returns alerts sent."""
        if not self._repeats_open:
            return 0
        now = time.time() if now is None else now
        window = self.config.alerts.storm_window_seconds
        sent = 0
        still_open = False
        for row in report_store.unsummarised(self.state):
            last = self._last_alert_time(dedup_key(row.boot_id, row.signature))
            if last is not None and now - last < window:
                still_open = True
                continue
            alert = repeated_alert(None, row, row.count, window)
            alert_id = self.alert_id(row.boot_id, row.signature, "crash_repeated", row.count)
            delivery = self._deliver(alert_id, alert, row.boot_id, maybe_sent=True)

            def write(
                c: Any, row: report_store.ReportRow = row, delivery: Delivery = delivery
            ) -> None:
                report_store.mark_summarised(c, row.boot_id, row.signature, row.count)
                delivery.write(c, self.outbox)

            self.commit(None, write)
            sent += 1
        self._repeats_open = still_open
        return sent

    # -- other alerts (jobs) ----------------------------------------------------------------

    def on_alert(self, alert: Alert, boot_id: Optional[str] = None) -> str:
        """Send and record one alert that is not tied to a journal position."""
        boot = boot_id or self.boot_id
        alert_id = self.alert_id(alert.type, alert.dedup_key, boot, time.time_ns())
        delivery = self._deliver(alert_id, alert, boot, maybe_sent=False)
        # never looked up after a crash: committed right after its send, with any group
        self.commit(None, lambda c: delivery.write(c, self.outbox), group=False)
        return alert_id

    # -- the common tail --------------------------------------------------------------------

    def commit(
        self,
        position: Optional[PositionUpdate] = None,
        write: Optional[Write] = None,
        group: Optional[bool] = None,
    ) -> None:
        """One transaction: whatever `write` adds, and the position. `group`: it may join
        the writer's group (module doc); None: it joins a group that is open."""
        if position is None and write is None:
            return

        def work(c: Any) -> None:
            if write is not None:
                write(c)
            if position is not None:
                save_position(c, position[0], position[1])

        # a position alone is superseded by the next one while the disk cannot take it
        key = f"position:{position[0]}" if write is None and position is not None else None
        self._commit_work(work, key, group)

    def _commit_work(
        self, work: Write, key: Optional[str] = None, group: Optional[bool] = None
    ) -> bool:
        if self.writer is not None:
            if group is None:  # the outbox's records of alerts stored, positions alone
                group = self.writer.grouping
            return bool(self.writer.commit(work, key, group))
        with self.state.transaction() as c:
            work(c)
        return True

    def _deliver(
        self,
        alert_id: str,
        alert: Alert,
        boot: Optional[str],
        maybe_sent: bool,
        incident_id: Optional[str] = None,
    ) -> Delivery:
        """To the outbox (journald and hooks now), unless it was sent before."""
        outcome = self.outbox.submit(alert_id, alert, boot, incident_id, maybe_sent)
        delivery = Delivery(outcome, alert_id, alert, boot, incident_id)
        if outcome in (ob.IN_JOURNAL, ob.RECORDED):
            # A fresh state DB re-reading a boot finds hundreds: one INFO line per batch
            # (log_not_resent), each alert at DEBUG.
            where = "journal" if outcome == ob.IN_JOURNAL else "recorded"
            self._not_resent[where] += 1
            log.debug(
                "alert %s (%s) is already %s (sent before a restart); not sent again",
                alert_id,
                alert.type,
                "in the journal" if where == "journal" else "recorded in the state database",
            )
        elif delivery.sent_now:
            self.alerts_sent += 1
            self.last_alert = {
                "alert_id": alert_id,
                "type": alert.type,
                "summary": alert.summary,
                "time": time.time(),
            }
        return delivery

    def log_not_resent(self) -> int:
        """One INFO line for the alerts found already sent (and so not sent again) since
        the last call; returns how many. Callers call it once per batch or backlog: the
        daemon once it has caught up and no report is open, the post-mortem after its
        alerts."""
        journal, recorded = self._not_resent["journal"], self._not_resent["recorded"]
        self._not_resent = {"journal": 0, "recorded": 0}
        total = journal + recorded
        if not total:
            return 0
        if not recorded:
            where = "in the journal"
        elif not journal:
            where = "recorded in the state database"
        else:
            where = f"sent ({journal} in the journal, {recorded} in the state database)"
        log.info(
            "%d alert%s found already %s, not sent again", total, "" if total == 1 else "s", where
        )
        return total

    @property
    def repeats_open(self) -> bool:
        """Repeats may still be owed a storm summary: tick() has work to look at."""
        return self._repeats_open

    def is_live(self, report: CrashReport) -> bool:
        """Printed while this process runs (not read from the backlog of the boot)."""
        return report.realtime is not None and report.realtime >= self.started_at

    def wants_snapshot(self, report: CrashReport) -> bool:
        """A snapshot shows the host as it is now, so it is taken only for a report that is
        live (a backlog report happened earlier: now is not its moment) and not fatal (after
        a panic there is no host state worth taking)."""
        fatal = report.kind == "panic" or report.panicked
        return not fatal and self.is_live(report)

    def _maybe_sent(self, report: CrashReport) -> bool:
        # Only a report printed before this process started can have been alerted by an
        # earlier run that died before committing.
        return not self.is_live(report)

    def _reserve_snapshot(self, report: CrashReport, reason: str) -> Optional[str]:
        if self.snapshots is None or not self.wants_snapshot(report):
            return None
        try:
            return self.snapshots.reserve(reason)
        except Exception:  # boundary: a snapshot failure never blocks the alert
            log.exception("reserving a snapshot for a %s report failed", report.kind)
            return None

    def _capture_snapshot(self, snapshot_id: str, reason: str) -> None:
        try:
            self.snapshots.capture(snapshot_id, reason)
        except Exception:  # boundary: the alert is out; the snapshot is lost, not the daemon
            log.exception("snapshot %s failed", snapshot_id)
