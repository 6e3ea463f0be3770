"""What a daemon job may use (DaemonContext), and the job contract.

A job is an object with:
  name: str                               used in logs, status and the component_failed alert
  interval(config) -> Optional[float]     seconds between runs; None: at start only; 0: never
  run(ctx: DaemonContext) -> list[Alert]  one run; alerts go down the daemon's alert pipeline
This module imports no job: jobs import it (kcrashd.daemon.jobs imports the jobs).
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
    # deliver_owed(): a job queued alerts in the outbox table; the daemon's main thread
    # takes them over and delivers them. None (a job run alone): the job delivers them.
    deliver_owed: Optional[Callable[[], None]] = None
