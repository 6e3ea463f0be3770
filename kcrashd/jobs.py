"""Periodic and start-up jobs the daemon runs besides following the kernel log.

A job is an object with:
  name: str                               used in logs, status and the component_failed alert
  interval(config) -> Optional[float]     seconds between runs; None: at start only; 0: never
  run(ctx: DaemonContext) -> list[Alert]  one run; alerts go down the daemon's alert pipeline
The daemon runs every job in JOBS once at start (in this order, after post-mortem sources
are read) and then on its interval, catching any exception at that boundary: a failing job
is logged once, reported with a component_failed alert and retried on its next interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

from kcrashd.config import Config
from kcrashd.host.root import Root


@dataclass
class DaemonContext:
    """What a job may use. Built by the daemon; tests build their own."""

    config: Config
    root: Root
    runner: Any  # kcrashd.host.runner.CommandRunner or ReplayRunner
    state: Any  # kcrashd.store.state.StateDB
    boot_id: Optional[str]
    # take_snapshot(reason) -> snapshot id or None; set by the daemon when snapshots are on
    take_snapshot: Optional[Callable[[str], Optional[str]]] = None
    # per-job scratch space that survives between runs (previous counter values ...)
    memory: Dict[str, Any] = field(default_factory=dict)
    # journal files the daemon reads (`run --journal-dir` overrides journal.directory);
    # None: the config's journal.directory
    journal_dir: Optional[str] = None


def load_jobs() -> tuple:
    """The explicit registry of jobs, imported lazily (no I/O or heavy imports at import time).

    Each entry is added by the module that owns it.
    """
    from kcrashd.checks.job import ReadinessJob
    from kcrashd.metrics_job import MetricsJob
    from kcrashd.postmortem_job import PostmortemJob
    from kcrashd.watchers.job import watcher_jobs

    return (
        PostmortemJob(),  # first: the previous boot's crash before anything else
        ReadinessJob(),  # readiness summary at start, then on checks.interval_hours
        *watcher_jobs(),  # one per watcher, each on its own interval
        MetricsJob(),  # last: exports what the jobs before it found
    )
