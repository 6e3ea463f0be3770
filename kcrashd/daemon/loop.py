"""`kcrashd run`: follow the kernel log, alert, run jobs. Wiring and the main loop.

One main thread owns the kernel log source, the incremental parser and the alert pipeline;
it sleeps in select() on the source's fd and a signal wake-up pipe, so an idle daemon costs
next to nothing. Jobs (readiness, watchers, metrics, post-mortem) run in one worker thread
with their own state connection and hand their alerts to the main thread.

Every step of the main loop runs inside a boundary (_step): an error in one is logged and
the loop goes on. The state database is written through a StateWriter
(kcrashd.store.recovery): a full or broken state disk degrades to state kept in memory,
with one state_degraded alert, and never stops crash alerts. Alerts go through the outbox
(kcrashd.alerts.outbox), which owes each one until journald has stored it.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import signal
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from kcrashd import __version__
from kcrashd import config as config_mod
from kcrashd.alerts.pipeline import Pipeline
from kcrashd.config import Config, ConfigError
from kcrashd.daemon import notify as sdnotify
from kcrashd.daemon.context import DaemonContext
from kcrashd.daemon.jobs import JobThread, component_failed, load_jobs
from kcrashd.daemon.snapshots import SnapshotWorker
from kcrashd.host.kernel_log import KmsgDevice, journal_available, kmsg_available
from kcrashd.host.root import Root
from kcrashd.model import Alert, CrashReport, KernelRecord
from kcrashd.store import alerts as alert_store
from kcrashd.store import reports as report_store
from kcrashd.store.positions import Position, load_position
from kcrashd.store.state import default_path, set_meta

log = logging.getLogger(__name__)

EX_OK = 0
EX_SOFTWARE = 70
EX_CONFIG = 78
BATCH = 2000  # records read between housekeeping passes during a backlog
COMMIT_EVERY = 1.0  # seconds between position commits while records keep coming
STATUS_EVERY = 2.0  # the status document is rewritten at most this often ...
STATUS_HEARTBEAT = 30.0  # ... and at least this often
HURRY_SECONDS = 0.6  # after a kernel message, the read-ahead thread polls the journal this long
TICK_EVERY = 5.0  # storm windows are looked at this often
REOPEN_SECONDS = 5.0  # a kernel log source that failed to open is tried again after this
STOP_FLUSH_SECONDS = 1.0  # at stop, wait this long for journald to store what was sent
ONCE_FLUSH_SECONDS = 10.0  # --once: wait this long for journald to store the alerts


def config_changes(old: Config, new: Config) -> List[str]:
    """`section.key: old -> new` for every option that differs."""
    a, b = _flatten(config_mod.to_dict(old)), _flatten(config_mod.to_dict(new))
    return [
        f"{k}: {a.get(k)!r} -> {b.get(k)!r}"
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


def _flatten(d: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and k not in ("severity",):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def new_assembler(cfg: Config) -> Any:
    from kcrashd.parse import Assembler

    j = cfg.journal
    # live: a report is sent at its end marker; end_grace_seconds is the quiet that ends
    # one with no end marker
    return Assembler(
        j.report_gap_seconds, j.max_report_lines, live=True, quiet_seconds=j.end_grace_seconds
    )


class Daemon:
    def __init__(
        self,
        config: Config,
        config_path: Optional[str] = None,
        state_dir: Optional[str] = None,
        journal_dir: Optional[str] = None,
        root: str = "/",
        once: bool = False,
        runner: Any = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.state_dir = state_dir or config.state.directory
        self.journal_dir = journal_dir or config.journal.directory
        self.root = Root(root)
        self.once = once
        self.runner = runner
        self.stopping = False
        self.reload_requested = False
        self.source: Any = None
        self.source_key = ""
        self.source_note = ""
        self.resumed_from = ""
        self.records_read = 0
        self.last_record: Optional[KernelRecord] = None
        self.last_position: Optional[Tuple[Optional[str], Optional[str]]] = None
        self.caught_up = False
        self.position_dirty = False
        self.jobs_status: Dict[str, Dict[str, Any]] = {}
        self.started = time.time()
        self.following_since: Optional[float] = None
        self.stopped_at: Optional[float] = None
        self._status_written = 0.0
        self._status_key: Any = None
        self._kmsg_wake: Optional[KmsgDevice] = None
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.snapshots = SnapshotWorker(self._new_snapshot_taker)
        self._job_memory: Dict[str, Any] = {}
        self._outbox_dirty = False  # a job queued alerts in the outbox table
        self._failing: Dict[str, int] = {}  # main loop steps failing, and how many times
        self._reopen_at: Optional[float] = None  # when to try the kernel log source again

    # -- set-up -----------------------------------------------------------------------------

    def _boot_id(self) -> Optional[str]:
        """The boot id journald stamps (not a sandboxed /proc's: kcrashd.sources.boot)."""
        from kcrashd.sources.boot import current_boot_id, proc_boot_id

        if self.config.journal.source == "kmsg" and not self.journal_dir:
            return proc_boot_id(self.root)
        if not self.root.is_live:
            return current_boot_id(self.root)
        # the newest entry is in a file still written: ask those, not every archived file
        from kcrashd.sources.journal import open_journal
        from kcrashd.sources.journal_files import active_files

        files = active_files()
        try:
            reader = open_journal(files=files) if files else None
        except OSError:  # one went away meanwhile: the whole journal, then
            reader = None
        try:
            return current_boot_id(self.root, reader)
        finally:
            if reader is not None:
                reader.close()

    def _open_source(self) -> None:
        """Pick and open the kernel log source: the journal, else /dev/kmsg, else none."""
        cfg = self.config.journal
        self.source = None
        if (
            self.journal_dir
            or cfg.source == "journal"
            or (cfg.source == "auto" and journal_available())
        ):
            from kcrashd.sources.journal import JournalFollower

            boot = None if self.journal_dir else self.boot_id
            source: Any = JournalFollower(self.journal_dir, boot)
            self.source_key = (
                f"journal:{os.path.abspath(self.journal_dir)}" if self.journal_dir else "journal"
            )
            saved = load_position(self.state, self.source_key)
            self.resumed_from = source.open(
                saved.value if saved else None, bool(saved and saved.inclusive)
            )
            source.start_read_ahead(self.wake)  # what journald writes is read at once
            self.source = source
        elif kmsg_available():
            from kcrashd.host.journald_conf import boot_time
            from kcrashd.sources.kmsg import KmsgSource

            source = KmsgSource(self.boot_id, boot_time(self.root))
            self.source_key = "kmsg"
            saved = load_position(self.state, "kmsg")
            same_boot = saved is not None and saved.boot_id == self.boot_id
            self.resumed_from = source.open(
                int(saved.value) if same_boot and saved else None,
                bool(same_boot and saved and saved.inclusive),
            )
            self.source = source
        else:
            self.source_key = ""
            self.source_note = (
                "no kernel log source: no journal and no /dev/kmsg (a container?); "
                "jobs keep running"
            )
            log.warning("%s", self.source_note)
        if self.source is not None:
            log.info("following %s from %s", self.source_key, self.resumed_from)
            self.following_since = time.time()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if signum == signal.SIGHUP:
            self.reload_requested = True
        else:
            self.stopping = True

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # the pipe is full: the main loop is awake anyway

    # -- main loop --------------------------------------------------------------------------

    def run(self) -> int:
        from kcrashd.sinks.hooks import HookRunner
        from kcrashd.store.recovery import StateWriter

        self.writer = StateWriter.open(default_path(self.state_dir))
        self.state = self.writer.state
        self.boot_id = self._boot_id()
        cfg = self.config
        self.hooks = HookRunner(
            cfg.hooks.directory, cfg.hooks.timeout_seconds, on_alert=self._hook_refused
        )
        self.pipeline = Pipeline(
            self.state,
            cfg,
            self.boot_id,
            hooks=self.hooks,
            snapshots=self.snapshots,
            writer=self.writer,
            breadcrumbs=self._breadcrumbs(),
        )
        self.pipeline.outbox.load()  # alerts an earlier run still owes
        self.assembler = new_assembler(cfg)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        self._step("source", self._open_source)
        self._step("source", self._open_kmsg_wake)
        self.job_results: queue.Queue = queue.Queue()
        self.job_thread = self._start_jobs()
        sdnotify.notify("READY=1\nSTATUS=" + self._summary())
        watchdog = sdnotify.watchdog_interval()
        last_ping = last_tick = last_commit = time.monotonic()
        try:
            while not self.stopping:
                if self.reload_requested:
                    self.reload_requested = False
                    self._step("reload", self.reload)
                n = self._step("read", self._read_step) or 0
                now = time.monotonic()
                # records read ahead while alerting are not waited on in select()
                self.caught_up = n < BATCH and not getattr(self.source, "buffered", 0)
                if self.caught_up:  # a report's quiet is the log's, not a batch boundary
                    self._step("expire", self._expire, now)
                self._step("jobs", self._drain_jobs)
                if self.once and self.caught_up and self._jobs_done():
                    self._step("flush", self._flush_reports)
                    self._step("outbox", self.pipeline.outbox.flush, ONCE_FLUSH_SECONDS)
                    break
                if now - last_tick >= TICK_EVERY:
                    self._step("tick", self.pipeline.tick)
                    last_tick = now
                self._step("outbox", self._deliver)
                self._step("state", self._state_care)
                if self.caught_up and self.assembler.pending_start_position is None:
                    # once per backlog (or live batch), not one line per alert
                    self._step("log", self.pipeline.log_not_resent)
                if self.position_dirty and (self.caught_up or now - last_commit >= COMMIT_EVERY):
                    self._step("commit", self._commit_position)
                    last_commit = now
                if self.caught_up:  # the backlog's grouped writes, once it is read
                    self._step("commit", self.writer.end_group)
                self._step("status", self._write_status)
                if watchdog is not None and now - last_ping >= watchdog:
                    sdnotify.notify("WATCHDOG=1")
                    last_ping = now
                if self.caught_up and self._step("sleep", self._sleep, watchdog) is None:
                    time.sleep(0.5)  # select() itself failed: do not spin
        finally:
            self._shutdown()
        return EX_OK

    def _step(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) inside the boundary: an error is logged (the first of a streak, then
        every 100th), the loop goes on; None on failure. True for a step with no result."""
        try:
            result = fn(*args)
        except Exception:  # boundary: no step of the main loop may stop the daemon
            n = self._failing[name] = self._failing.get(name, 0) + 1
            if n == 1 or n % 100 == 0:
                log.exception("main loop: %s failed (%d times in a row)", name, n)
            return None
        if self._failing.pop(name, None):
            log.info("main loop: %s works again", name)
        return True if result is None else result

    def _read_step(self) -> int:
        if self.source is None:
            if self._reopen_at is not None and time.monotonic() >= self._reopen_at:
                self._reopen_at = None
                self._recover()
            return 0
        try:
            return self._read_batch()
        except Exception:  # boundary: bad input or a source error never kills us
            log.exception("processing kernel messages failed; resuming from the state")
            self._recover()
            return 0

    def _expire(self, now: float) -> None:
        for report in self.assembler.expire(now):
            self._handle(report)

    def _flush_reports(self) -> None:
        for report in self.assembler.flush():
            self._handle(report)

    def _deliver(self) -> None:
        """Take over alerts a job queued in the outbox table, then deliver what is due."""
        if self._outbox_dirty:
            self._outbox_dirty = False
            self.pipeline.outbox.load()
        self.pipeline.outbox.pump()
        close_idle = getattr(self.pipeline.outbox.journal, "close_idle", None)
        if close_idle is not None:
            close_idle()  # a look-up reader kept open maps every journal file

    def _state_care(self) -> None:
        """Put the state back on disk when it can be; send what the writer has to say."""
        was_degraded = self.writer.degraded
        if self.writer.retry() and was_degraded:
            self.pipeline.outbox.load()  # rows the jobs wrote on disk meanwhile
        for alert in self.writer.take_alerts():
            self.pipeline.on_alert(alert)

    def _owed_queued(self) -> None:
        """From the job thread: alerts were queued in the outbox table."""
        self._outbox_dirty = True
        self.wake()

    def _read_batch(self) -> int:
        if self.source is None:
            return 0
        before = self.source.entries_read
        # lines the parser cannot need (most of a backlog) are passed over unfed
        if hasattr(self.source, "iter_read"):
            records = self.source.iter_read(BATCH, self.assembler.wants, self.assembler.wants_raw)
        else:
            records = self.source.read(BATCH, self.assembler.wants)
        for record in records:
            self.last_record = record
            self.last_position = (record.position, record.boot_id)
            for report in self.assembler.feed(record):
                self._handle(report)
        n = self.source.entries_read - before
        if n:
            position = self.source.position()
            # every entry of the batch may have been passed over (no record yielded yet)
            last = self.last_position[0] if self.last_position else None
            if position is not None and position != last:
                boot = self.last_record.boot_id if self.last_record else self.boot_id
                if self.journal_dir is None and self.source.name == "journal":
                    from kcrashd.sources.journal import cursor_boot

                    boot = cursor_boot(position) or boot
                self.last_position = (position, boot)
            self.records_read += n
            self.position_dirty = True
        return n

    def _position(self) -> Optional[Tuple[str, Position]]:
        """Where to resume: after the last record, or AT the first record of an open report."""
        if self.last_position is None or not self.source_key:
            return None
        value, boot = self.last_position
        pending = self.assembler.pending_start_position
        if pending is not None:
            return self.source_key, Position(pending, boot, inclusive=True)
        if value is None:
            return None
        return self.source_key, Position(value, boot)

    def _handle(self, report: CrashReport) -> None:
        prefetch = getattr(self.source, "prefetch", None)
        if prefetch is not None:
            prefetch()  # read ahead before the slow part: a vacuum may erase what is unread
        self.pipeline.on_report(report, self._position())
        self.position_dirty = False

    def _commit_position(self) -> None:
        self.pipeline.commit(self._position())
        self.position_dirty = False

    def _recover(self) -> None:
        """Start again from the last committed position with a fresh parser; when the
        source cannot be opened, try again in a while."""
        time.sleep(1.0)
        self.assembler = new_assembler(self.config)
        self.last_record = None
        self.last_position = None
        self.position_dirty = False
        if self.source is not None:
            self.source.close()
        try:
            self._open_source()
        except Exception:
            self.source = None
            self._reopen_at = time.monotonic() + REOPEN_SECONDS
            raise

    def _open_kmsg_wake(self) -> None:
        """journald tells readers about new entries at most every 250 ms. The kernel makes
        /dev/kmsg readable at once: use it only as a wake-up for the journal's read-ahead
        thread, which then looks for the new entries briefly (JournalFollower.hurry) and
        wakes this loop when it has read them."""
        self._kmsg_wake = None
        if self.source is None or self.source.name != "journal" or self.journal_dir:
            return
        try:
            self._kmsg_wake = KmsgDevice(at_end=True)
        except OSError:
            return  # no /dev/kmsg or no CAP_SYSLOG: journald's notification is enough

    def _sleep(self, watchdog: Optional[float]) -> None:
        timeout = 30.0
        if watchdog is not None:
            timeout = min(timeout, watchdog)
        expiry = self.assembler.next_expiry
        if expiry is not None:
            # an open report with no end marker completes after some quiet: wake up just
            # then to close and alert it
            timeout = min(timeout, max(0.002, expiry - time.monotonic()))
        if self.position_dirty:
            timeout = min(timeout, COMMIT_EVERY)
        if self.pipeline.repeats_open:
            timeout = min(timeout, TICK_EVERY)
        due = self.pipeline.outbox.next_due
        if due is not None or self._outbox_dirty:
            timeout = min(timeout, max(0.002, (due or 0.0) - time.monotonic()))
        if self.writer.degraded:
            timeout = min(timeout, max(0.05, self.writer.next_retry - time.monotonic()))
        if self._reopen_at is not None:
            timeout = min(timeout, max(0.05, self._reopen_at - time.monotonic()))
        idle_in = getattr(self.pipeline.outbox.journal, "idle_in", lambda: None)()
        if idle_in is not None:  # wake up to close the look-up reader
            timeout = min(timeout, max(0.05, idle_in))
        if self._status_change() != self._status_key:  # a change not written yet
            due = self._status_written + STATUS_EVERY - time.monotonic()
            timeout = min(timeout, max(0.05, due))
        fds = [self._wake_r]
        if self.source is not None:
            fds.append(self.source.fileno())
        if self._kmsg_wake is not None:
            fds.append(self._kmsg_wake.fileno())
        try:
            readable, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:
            readable = []
        if self._kmsg_wake is not None and self._kmsg_wake.fileno() in readable:
            self._kmsg_wake.drain()
            hurry = getattr(self.source, "hurry", None)
            if hurry is not None:
                hurry(HURRY_SECONDS)
        if self._wake_r in readable:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except OSError:
                pass
        if self.source is not None:
            self.source.process()

    # -- jobs ---------------------------------------------------------------------------------

    def _start_jobs(self) -> Optional[JobThread]:
        try:
            jobs = tuple(load_jobs())
        except Exception as exc:  # boundary: a broken job module never stops crash alerting
            log.exception("loading jobs failed")
            self.pipeline.on_alert(component_failed("jobs", f"{type(exc).__name__}: {exc}"))
            return None
        if not jobs:
            return None
        from kcrashd.host.runner import CommandRunner

        ctx = DaemonContext(
            config=self.config,
            root=self.root,
            runner=self.runner or CommandRunner(),
            state=None,  # opened by the job thread
            boot_id=self.boot_id,
            journal_dir=self.journal_dir,
            take_snapshot=self.take_snapshot,
            deliver_owed=self._owed_queued,
        )
        self._job_memory = ctx.memory  # the disk watcher's last SMART results, for snapshots
        thread = JobThread(jobs, ctx, default_path(self.state_dir), self.job_results, self.wake)
        thread.start()
        return thread

    def take_snapshot(self, reason: str) -> Optional[str]:
        """take_snapshot(reason) for the jobs, from any thread (the pipeline reserves and
        captures through self.snapshots)."""
        if not self.config.snapshots.enabled:
            return None
        return self.snapshots.take(reason)

    def _breadcrumbs(self) -> Any:
        """The pmsg breadcrumb sink for alerts (None when switched off)."""
        if not self.config.snapshots.pmsg_breadcrumb:
            return None
        from kcrashd.sinks.breadcrumbs import AlertBreadcrumbs

        return AlertBreadcrumbs(self.root)

    def _new_snapshot_taker(self) -> Any:
        """The SnapshotTaker. The snapshot code is imported when a first snapshot is wanted:
        many runs never take one."""
        from kcrashd.snapshots.taker import SnapshotTaker

        taker = SnapshotTaker(
            self.root,
            self.runner,
            lambda: self.config,
            self.state_dir,
            self._snapshot_failed,
            self.journal_dir,
        )
        taker.memory = self._job_memory
        return taker

    def _snapshot_failed(self, alert: Alert) -> None:
        """From any thread: the snapshot_failed alert goes down the main thread's pipeline."""
        self.job_results.put(("snapshots", [alert], alert.fields.get("error"), 0.0, time.time()))
        self.wake()

    def _hook_refused(self, alert: Alert) -> None:
        """From the hook thread: a hook_refused alert goes down the main thread's pipeline."""
        self.job_results.put(("hooks", [alert], None, 0.0, time.time()))
        self.wake()

    def _drain_jobs(self) -> None:
        while True:
            try:
                name, alerts, error, seconds, when = self.job_results.get_nowait()
            except queue.Empty:
                return
            entry = self.jobs_status.setdefault(name, {"runs": 0, "failures": 0})
            entry.update(
                {
                    "last_run": when,
                    "ok": error is None,
                    "error": error,
                    "seconds": round(seconds, 3),
                }
            )
            entry["runs"] += 1
            entry["failures"] += error is not None
            for alert in alerts:
                try:
                    self.pipeline.on_alert(alert)
                except Exception:  # boundary: one bad alert from a job must not stop the rest
                    log.exception("sending an alert of job %s failed", name)

    def _jobs_done(self) -> bool:
        """--once: every job has had its start-up run."""
        return self.job_thread is None or self.job_thread.start_pass_done.is_set()

    # -- reload, status, stop -----------------------------------------------------------------

    def reload(self) -> bool:
        """Load the config again; a config with errors is refused and the old one stays."""
        sdnotify.notify("RELOADING=1")
        try:
            new = config_mod.load(self.config_path or config_mod.DEFAULT_CONFIG_PATH)
        except ConfigError as exc:
            log.error(
                "config reload refused, keeping the running config:\n  %s",
                "\n  ".join(exc.errors),
            )
            sdnotify.notify("READY=1\nSTATUS=config reload refused: " + exc.errors[0][:200])
            return False
        changes = config_changes(self.config, new)
        log.info("config reloaded: %s", "; ".join(changes) if changes else "no changes")
        for change in changes:
            if change.startswith(("journal.source", "journal.directory", "state.directory")):
                log.warning("%s takes effect at the next restart", change.split(":")[0])
        self.config = new
        self.pipeline.config = new
        self.hooks.configure(new.hooks.directory, new.hooks.timeout_seconds)
        self.assembler.gap_seconds = new.journal.report_gap_seconds
        self.assembler.quiet_seconds = new.journal.end_grace_seconds
        if self.job_thread is not None:
            self.job_thread.ctx.config = new
        sdnotify.notify("READY=1\nSTATUS=" + self._summary())
        return True

    def status(self) -> Dict[str, Any]:
        last = self.last_record
        lag = 0.0
        if not self.caught_up and last is not None and last.realtime is not None:
            lag = max(0.0, time.time() - last.realtime)
        position = self._position()
        note = self.source_note or getattr(self.source, "note", "")
        if self.source is not None and self.records_read == 0 and self.caught_up:
            note = note or "no kernel messages seen yet (a container's journal has none)"
        return {
            "schema": 1,
            "version": __version__,
            "pid": os.getpid(),
            "started": self.started,
            "following_since": self.following_since,
            "source": self.source_key or None,
            "resumed_from": self.resumed_from,
            "note": note or None,
            "boot_id": self.boot_id,
            "position": position[1].encode() if position else None,
            "caught_up": self.caught_up,
            "lag_seconds": round(lag, 3),
            "records_read": self.records_read,
            "reports_this_boot": report_store.count_reports(self.state, self.boot_id),
            "alerts_this_boot": alert_store.count_alerts(self.state, self.boot_id),
            "last_alert": self.pipeline.last_alert,
            "alerts_owed": self.pipeline.outbox.owed(),
            "state": self.writer.status(),
            "jobs": self.jobs_status,
            "config": self.config_path,
            "updated": time.time(),
            "stopped": self.stopped_at,
        }

    def _summary(self) -> str:
        text = self.source_note or "starting"
        if self.source is not None:
            text = (
                f"following {self.source_key}: {self.records_read} kernel records, "
                f"{self.pipeline.reports_handled} reports, {self.pipeline.alerts_sent} alerts"
            )
        owed = len(self.pipeline.outbox.entries)
        if owed:
            text += f"; {owed} alert{'s' if owed != 1 else ''} owed to the journal"
        if self.writer.degraded:
            text += "; state database cannot be written, state kept in memory"
        return text

    def _status_change(self) -> Tuple[Any, ...]:
        """What, when it changes, makes the status document worth writing again soon."""
        return (
            self.records_read,
            self.pipeline.alerts_sent,
            len(self.jobs_status),
            self.caught_up,
            len(self.pipeline.outbox.entries),
            self.writer.degraded,
        )

    def _write_status(self, force: bool = False) -> None:
        now = time.monotonic()
        key = self._status_change()
        changed = key != self._status_key
        if not force and now - self._status_written < (
            STATUS_EVERY if changed else STATUS_HEARTBEAT
        ):
            return
        doc = self.status()
        self._job_memory["status"] = doc  # the metrics job's view, whatever the disk does
        text = json.dumps(doc, sort_keys=True)
        self.writer.commit(lambda c: set_meta(c, "status", text), key="status")
        if changed:
            sdnotify.notify("STATUS=" + self._summary())
        self._status_written = now
        self._status_key = key

    def _shutdown(self) -> None:
        sdnotify.notify("STOPPING=1")
        if self.job_thread is not None:
            self.job_thread.stopping.set()
            self.job_thread.join(5.0)
        self.snapshots.stop(5.0)
        if self.job_thread is not None:
            self._drain_jobs()
        try:
            if self.position_dirty:
                self._commit_position()
            # what was sent just now is settled; the rest stays owed for the next start
            self.pipeline.outbox.flush(STOP_FLUSH_SECONDS)
            self.pipeline.log_not_resent()
            self.stopped_at = time.time()
            self._write_status(force=True)
        except Exception:  # boundary: stopping must finish
            log.exception("final commit failed")
        self.hooks.stop(wait=min(5.0, self.config.hooks.timeout_seconds))
        if self.source is not None:
            self.source.close()
        if self._kmsg_wake is not None:
            self._kmsg_wake.close()
        signal.set_wakeup_fd(-1)
        self.pipeline.outbox.close()
        self.writer.close()
        log.info("stopped")


def main(
    config_path: str,
    state_dir: Optional[str] = None,
    journal_dir: Optional[str] = None,
    root: str = "/",
    once: bool = False,
) -> int:
    try:
        cfg = config_mod.load(config_path)
    except ConfigError as exc:
        for error in exc.errors:
            log.error("%s", error)
        log.error("kcrashd not started: fix the configuration ('kcrashd config check')")
        return EX_CONFIG
    daemon = Daemon(cfg, config_path, state_dir, journal_dir, root, once)
    return daemon.run()
