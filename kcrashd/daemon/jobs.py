"""The daemon's jobs: the explicit registry, and the thread that runs them.

The daemon runs every job in load_jobs() once at start (in this order, after post-mortem
sources are read) and then on its interval, catching any exception at that boundary: a
failing job is logged once, reported with a component_failed alert and retried on its next
interval (a job that runs at start only is retried after RETRY_START_SECONDS, doubling).
A job failing because the state database cannot be written sends no component_failed: the
main thread's state_degraded alert says that once. The job thread opens state.db again
when the main thread replaced a damaged one. The job contract and DaemonContext are in
kcrashd.daemon.context.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from typing import Any, Dict, Optional

from kcrashd.daemon.context import DaemonContext
from kcrashd.model import Alert, Severity
from kcrashd.store.state import StateDB

log = logging.getLogger(__name__)

__all__ = ["DaemonContext", "JobThread", "component_failed", "load_jobs"]

RETRY_START_SECONDS = 60.0  # a start-only job that failed is tried again after this ...
RETRY_START_MAX = 3600.0  # ... doubling up to this


def load_jobs() -> tuple:
    """The explicit registry of jobs, imported lazily (no I/O or heavy imports at import time).

    Each entry is added by the module that owns it.
    """
    from kcrashd.checks.job import ReadinessJob
    from kcrashd.daemon.reminders import ReminderJob
    from kcrashd.postmortem.job import PostmortemJob
    from kcrashd.sinks.metrics_job import MetricsJob
    from kcrashd.store.retention import RetentionJob
    from kcrashd.watchers.job import watcher_jobs

    return (
        PostmortemJob(),  # first: the previous boot's crash before anything else
        ReadinessJob(),  # readiness summary at start, then on checks.interval_hours
        *watcher_jobs(),  # one per watcher, each on its own interval
        RetentionJob(),  # state.db rows older than state.retention_days, daily
        ReminderJob(),  # after them: CRIT findings and raised signals nobody fixed
        MetricsJob(),  # last: exports what the jobs before it found
    )


class JobThread(threading.Thread):
    """Runs each job at start and then on its interval; results go to the main thread."""

    def __init__(
        self, jobs: tuple, ctx: DaemonContext, state_path: str, results: queue.Queue, wake: Any
    ) -> None:
        super().__init__(name="kcrashd-jobs", daemon=True)
        self.state_path = state_path
        self.jobs = jobs
        self.ctx = ctx
        self.results = results
        self.wake = wake
        self.stopping = threading.Event()
        self.start_pass_done = threading.Event()  # every job had its start-up run
        self.failing: Dict[str, bool] = {}
        self.retry_delay: Dict[str, float] = {}  # start-only jobs that failed
        self._state_error: Optional[str] = None

    def run(self) -> None:
        # SQLite connections belong to the thread that made them: jobs get their own.
        self.ctx.state = None
        try:
            self._loop()
        finally:
            if self.ctx.state is not None:
                self.ctx.state.close()

    def _ensure_state(self) -> bool:
        """The job thread's own connection to state.db, opened (again) when needed."""
        state = self.ctx.state
        if state is not None and not state.replaced():
            return True
        if state is not None:
            state.close()
            self.ctx.state = None
        try:
            self.ctx.state = StateDB(self.state_path)
        except Exception as exc:  # boundary: jobs wait for a usable state database
            error = f"{type(exc).__name__}: {exc}"
            if error != self._state_error:
                log.error("jobs: cannot open the state database: %s", error)
            self._state_error = error
            return False
        self._state_error = None
        return True

    def _loop(self) -> None:
        due: Dict[str, Optional[float]] = {}
        for job in self.jobs:  # at start, in registry order
            if self._interval(job) == 0:
                due[job.name] = None
                continue
            self._run_one(job)
            due[job.name] = self._next(job, time.monotonic())
        self.start_pass_done.set()
        self.wake()
        while not self.stopping.is_set():
            now = time.monotonic()
            for job in self.jobs:
                when = due.get(job.name)
                if when is not None and now >= when:
                    self._run_one(job)
                    due[job.name] = self._next(job, time.monotonic())
                elif when is None and self._interval(job):  # switched on by a reload
                    due[job.name] = self._next(job, now)
            pending = [w for w in due.values() if w is not None]
            timeout = max(0.05, min(pending) - time.monotonic()) if pending else 60.0
            self.stopping.wait(min(timeout, 60.0))

    def _interval(self, job: Any) -> Optional[float]:
        try:
            return job.interval(self.ctx.config)
        except Exception:  # boundary: a broken job never takes the others down
            log.exception("job %s: interval() failed", getattr(job, "name", job))
            return 0

    def _next(self, job: Any, now: float) -> Optional[float]:
        interval = self._interval(job)
        name = getattr(job, "name", repr(job))
        if interval is None and self.failing.get(name):
            # a start-only job that failed (say, a full state disk): try it again later
            delay = self.retry_delay.get(name, RETRY_START_SECONDS)
            self.retry_delay[name] = min(RETRY_START_MAX, delay * 2)
            return now + delay
        return None if not interval else now + interval

    def _run_one(self, job: Any) -> None:
        name = getattr(job, "name", repr(job))
        start = time.monotonic()
        try:
            if not self._ensure_state():
                raise StateUnavailable(self._state_error or "state database unavailable")
            alerts = list(job.run(self.ctx) or ())
            error = None
            self.retry_delay.pop(name, None)
            if self.failing.pop(name, False):
                log.info("job %s works again", name)
        except Exception as exc:  # boundary: log once per failure streak, alert, retry later
            alerts = []
            error = f"{type(exc).__name__}: {exc}"
            if not self.failing.get(name):
                if _storage_failure(exc):
                    # the main thread's state_degraded alert covers it: no component_failed
                    log.error("job %s failed: the state database: %s", name, error)
                else:
                    log.error("job %s failed:\n%s", name, traceback.format_exc().rstrip())
                    alerts.append(component_failed(name, error))
            else:
                log.debug("job %s failed again: %s", name, error)
            self.failing[name] = True
        self.results.put((name, alerts, error, time.monotonic() - start, time.time()))
        self.wake()


class StateUnavailable(Exception):
    """The job thread has no usable state database connection."""


def _storage_failure(exc: BaseException) -> bool:
    from kcrashd.store.recovery import database_storage_error

    return isinstance(exc, StateUnavailable) or database_storage_error(exc)


def component_failed(component: str, error: str) -> Alert:
    return Alert(
        "component_failed",
        Severity.ERR,
        f"kcrashd component {component} failed: {error}",
        {"component": component, "error": error},
        f"component_failed:{component}",
    )
