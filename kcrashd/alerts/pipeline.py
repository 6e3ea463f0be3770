"""The alert pipeline: crash reports and job alerts -> sinks -> one SQLite commit.

For a crash report: dedup by (boot, signature) in the `reports` table, storm limit (the first
occurrence alerts; repeats are counted and summarised by a `crash_repeated` alert every
`storm_summary_every` repeats, or once `storm_window_seconds` have passed since the last
alert), snapshot (only of a live, non-fatal report: see `wants_snapshot`), journald, hooks,
then the journal position, the alert row, the report row and the incident are committed
in ONE transaction.

Exactly once: alert ids are deterministic (boot + signature + occurrence). After a crash
between sending and committing, the same reports are read again; an alert whose row is not
committed is first looked up in the journal by KCRASHD_ALERT_ID and not sent twice.
`Pipeline.deliver_once` offers the same guarantee to code that owes an alert under an id of
its own (the post-mortem job).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from kcrashd.config import Config
from kcrashd.model import Alert, CrashReport, Evidence, Severity
from kcrashd.parse.digest import sha256_hex  # not hashlib: no OpenSSL in an idle daemon
from kcrashd.store import alerts as alert_store
from kcrashd.store import reports as report_store
from kcrashd.store.positions import Position, save_position

log = logging.getLogger(__name__)

Sink = Callable[[Alert, str], None]
PositionUpdate = Tuple[str, Position]  # (source name, position)

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
WARNING_KINDS = frozenset(
    ("warning", "lockdep", "hung_task", "rcu_stall", "soft_lockup", "oom_kill", "memory_leak")
)
# Test-only: SIGKILL ourselves right after sending an alert of this type ("1": crash_report).
KILL_ENV = "KCRASHD_TEST_KILL_BEFORE_COMMIT"


def severity_for(report: CrashReport) -> Severity:
    """panic/oops/... CRIT; warning/lockdep/hung task/... WARNING; the rest ERR."""
    if report.panicked or report.kind in CRIT_KINDS:
        return Severity.CRIT
    if report.kind in WARNING_KINDS:
        return Severity.WARNING
    return Severity.ERR


def alert_id_for(*parts: Any) -> str:
    text = "|".join("" if p is None else str(p) for p in parts)
    return sha256_hex(text.encode("utf-8", "replace"))[:32]


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
    return Alert(
        "crash_report",
        severity_for(report),
        f"kernel {report.kind}: {report.title}{where}",
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


class Pipeline:
    """Sends alerts to the sinks and commits them with the position that produced them.

    Not thread-safe: the daemon's main thread owns it (jobs hand their alerts over).
    """

    def __init__(
        self,
        state: Any,
        config: Config,
        boot_id: Optional[str],
        sinks: Optional[Sequence[Sink]] = None,
        hooks: Optional[Any] = None,
        already_sent: Optional[Callable[[str], bool]] = None,
        started_at: Optional[float] = None,
        take_snapshot: Optional[Callable[[str], Optional[str]]] = None,
    ) -> None:
        if sinks is None:
            from kcrashd.sinks.journald import send_alert

            sinks = (send_alert,)
        if already_sent is None:
            from kcrashd.sinks.journald import AlertLookup

            already_sent = AlertLookup()
        self.state = state
        self.config = config
        self.boot_id = boot_id
        self.sinks = list(sinks)
        self.hooks = hooks
        self.already_sent = already_sent
        self.started_at = time.time() if started_at is None else started_at
        self.take_snapshot = take_snapshot
        kill = os.environ.get(KILL_ENV, "")
        self.kill_before_commit = "crash_report" if kill == "1" else kill  # an alert type
        self.alerts_sent = 0
        self.reports_handled = 0
        self.last_alert: Optional[Dict[str, Any]] = None
        self._repeats_open = True  # rows may be left from a previous run: look once
        # Alerts found already sent since the last log_not_resent(), by where they were found.
        self._not_resent: Dict[str, int] = {"journal": 0, "recorded": 0}

    # -- crash reports ----------------------------------------------------------------------

    def on_report(
        self, report: CrashReport, position: Optional[PositionUpdate] = None
    ) -> Optional[str]:
        """Handle one completed crash report; returns the id of the alert sent, if any."""
        from kcrashd.store.incidents import report_signature  # lazy: not needed when idle

        boot = report.boot_id or self.boot_id or "-"
        signature = report_signature(report)
        now = time.time()
        seen = report.realtime if report.realtime is not None else now
        row = report_store.get_report(self.state, boot, signature)
        if row is not None and report.realtime is not None and report.realtime <= row.last_seen:
            # Read again after a restart or a resume from the boot start: already counted.
            self.commit(position=position)
            return None
        self.reports_handled += 1
        if row is None:
            return self._first(report, boot, signature, seen, position)
        return self._repeat(report, row, seen, now, position)

    def _first(
        self,
        report: CrashReport,
        boot: str,
        signature: str,
        seen: float,
        position: Optional[PositionUpdate],
    ) -> str:
        from kcrashd.store.incidents import incident_id_for, mark_alerted, upsert_incident

        # the id upsert_incident gives (or gave) the incident of (boot, signature)
        incident_id = incident_id_for(boot, signature)
        snapshot_id = self._snapshot(report)
        fields = crash_fields(report, signature, incident_id, 1, snapshot_id)
        alert = crash_alert(report, fields, dedup_key(boot, signature))
        alert_id = alert_id_for(boot, signature, "crash_report", 1)
        self._send(alert, alert_id, maybe_sent=self._maybe_sent(report))

        def write(c: Any) -> None:
            evidence = Evidence("live", None, f"kernel log {report.start_position or ''}".strip())
            upsert_incident(c, report, boot, [evidence], snapshot_id=snapshot_id)
            mark_alerted(c, incident_id)
            report_store.insert_report(c, report, boot, signature, seen, incident_id)

        self.commit(position, [(alert_id, alert, boot)], write)
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
        last = alert_store.last_alert_time(self.state, dedup_key(row.boot_id, row.signature))
        quiet = last is None or now - last >= cfg.storm_window_seconds
        due = quiet or count - row.alerted_count >= cfg.storm_summary_every
        sent: List[Tuple[str, Alert, Optional[str]]] = []
        if due:
            alert = repeated_alert(report, row, count, cfg.storm_window_seconds)
            alert_id = alert_id_for(row.boot_id, row.signature, "crash_repeated", count)
            self._send(alert, alert_id, maybe_sent=self._maybe_sent(report))
            sent.append((alert_id, alert, row.boot_id))
        else:
            self._repeats_open = True

        def write(c: Any) -> None:
            report_store.count_repeat(c, row.boot_id, row.signature, count, seen, due)

        self.commit(position, sent, write)
        return sent[0][0] if sent else None

    def tick(self, now: Optional[float] = None) -> int:
        """Summarise repeats whose storm window has closed; returns alerts sent."""
        close_idle = getattr(self.already_sent, "close_idle", None)
        if close_idle is not None:
            close_idle()  # no journal files held open between lookups
        if not self._repeats_open:
            return 0
        now = time.time() if now is None else now
        window = self.config.alerts.storm_window_seconds
        sent = 0
        still_open = False
        for row in report_store.unsummarised(self.state):
            last = alert_store.last_alert_time(self.state, dedup_key(row.boot_id, row.signature))
            if last is not None and now - last < window:
                still_open = True
                continue
            alert = repeated_alert(None, row, row.count, window)
            alert_id = alert_id_for(row.boot_id, row.signature, "crash_repeated", row.count)

            def write(c: Any, row: report_store.ReportRow = row) -> None:
                report_store.mark_summarised(c, row.boot_id, row.signature, row.count)

            self.deliver_once(alert, alert_id, row.boot_id, write)
            sent += 1
        self._repeats_open = still_open
        return sent

    # -- other alerts (jobs) ----------------------------------------------------------------

    def on_alert(self, alert: Alert, boot_id: Optional[str] = None) -> str:
        """Send and record one alert that is not tied to a journal position."""
        boot = boot_id or self.boot_id
        alert_id = alert_id_for(alert.type, alert.dedup_key, boot, time.time_ns())
        self._send(alert, alert_id, maybe_sent=False)
        self.commit(None, [(alert_id, alert, boot)])
        return alert_id

    def deliver_once(
        self,
        alert: Alert,
        alert_id: str,
        boot_id: Optional[str] = None,
        write: Optional[Callable[[Any], None]] = None,
    ) -> bool:
        """Deliver `alert` under the deterministic `alert_id` exactly once; True when this
        call sent it.

        The alert goes to the sinks and hooks unless it was sent before: its row is in the
        `alerts` table, or an entry with KCRASHD_ALERT_ID=alert_id is in the journal (a run
        that sent it and died before committing). Either way its row is then recorded,
        with whatever `write(conn)` adds (say, the end of a debt), in ONE transaction: a
        crash before that commit leaves the alert to be found in the journal next time,
        never sent twice. The caller must derive `alert_id` from what the alert is about
        (e.g. alert_id_for("previous_boot_crashed", incident_id)) so that every attempt
        uses the same id. The row's boot is `boot_id`, else the pipeline's boot.
        """
        sent = self._send(alert, alert_id, maybe_sent=True)
        self.commit(None, [(alert_id, alert, boot_id or self.boot_id)], write)
        return sent

    # -- the common tail --------------------------------------------------------------------

    def commit(
        self,
        position: Optional[PositionUpdate] = None,
        alerts: Sequence[Tuple[str, Alert, Optional[str]]] = (),
        write: Optional[Callable[[Any], None]] = None,
    ) -> None:
        """One transaction: the position, the alert rows and whatever `write` adds."""
        if position is None and not alerts and write is None:
            return
        with self.state.transaction() as c:
            if write is not None:
                write(c)
            for alert_id, alert, boot in alerts:
                alert_store.insert_alert(c, alert_id, alert, boot)
            if position is not None:
                save_position(c, position[0], position[1])

    def _send(self, alert: Alert, alert_id: str, maybe_sent: bool) -> bool:
        """To the sinks and hooks, unless `maybe_sent` and it was sent before; True when
        sent now. The caller records the alert row."""
        where = self._sent_before(alert_id) if maybe_sent else None
        sent = where is None
        if where is not None:
            # A fresh state DB re-reading a boot finds hundreds: one INFO line per batch
            # (log_not_resent), each alert at DEBUG.
            self._not_resent[where] += 1
            log.debug(
                "alert %s (%s) is already %s (sent before a restart); not sent again",
                alert_id,
                alert.type,
                "in the journal" if where == "journal" else "recorded in the state database",
            )
        else:
            for sink in self.sinks:
                try:
                    sink(alert, alert_id)
                except Exception as exc:  # boundary: one sink failing must not stop the rest
                    log.error("sending alert %s to %s failed: %s", alert_id, _name(sink), exc)
            if self.hooks is not None:
                self.hooks.submit(alert, alert_id)
        self.alerts_sent += 1
        self.last_alert = {
            "alert_id": alert_id,
            "type": alert.type,
            "summary": alert.summary,
            "time": time.time(),
        }
        if self.kill_before_commit == alert.type:
            os.kill(os.getpid(), signal.SIGKILL)
        return sent

    def _sent_before(self, alert_id: str) -> Optional[str]:
        """Where the alert is found already sent ("recorded", "journal"), or None."""
        if alert_store.alert_exists(self.state, alert_id):
            return "recorded"
        try:
            return "journal" if self.already_sent(alert_id) else None
        except Exception as exc:  # the journal lookup failing must not lose the alert
            log.warning("cannot look up alert %s in the journal: %s", alert_id, exc)
            return None

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

    def _snapshot(self, report: CrashReport) -> Optional[str]:
        if self.take_snapshot is None or not self.wants_snapshot(report):
            return None
        try:
            return self.take_snapshot(f"kernel {report.kind}: {report.title}")
        except Exception:  # boundary: a snapshot failure never blocks the alert
            log.exception("snapshot for a %s report failed", report.kind)
            return None


def _name(sink: Any) -> str:
    return getattr(sink, "__module__", "") + "." + getattr(sink, "__name__", repr(sink))
