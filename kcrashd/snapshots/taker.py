"""Taking a snapshot: capture, the durable write, retention, the pmsg breadcrumb.

`take_snapshot()` captures the items (capture.py), writes the document durably through the
snapshot store (kcrashd.store.snapshots: temp file, fsync, rename, fsync the directory), so
a panic seconds later does not lose it, prunes by the retention settings and, where
/dev/pmsg0 exists, leaves a one-line breadcrumb there (pstore keeps it across a reset that
loses the disk write). `SnapshotTaker` is what the daemon hands to the pipeline and jobs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from kcrashd.config import Config, SnapshotsConfig
from kcrashd.host.root import Root
from kcrashd.model import Alert, Severity
from kcrashd.sinks import breadcrumbs
from kcrashd.snapshots.capture import collect, kernel_log_from_journal
from kcrashd.store import snapshots as store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotResult:
    id: Optional[str]
    path: Optional[str]
    ok: bool
    error: Optional[str]
    items: int  # items present
    bytes: int
    seconds: float
    missing: Tuple[str, ...] = ()


def take_snapshot(
    root: Root,
    runner: Any,
    config: SnapshotsConfig,
    state_dir: str,
    reason: str,
    kernel_log: Optional[Callable[[int], List[str]]] = None,
    smart_summary: Optional[Callable[[], Any]] = None,
    now: Optional[float] = None,
    snapshot_id: Optional[str] = None,
) -> SnapshotResult:
    """Collect and write one snapshot (as `snapshot_id` when one was reserved); never raises
    for I/O problems (ok=False, error)."""
    start = time.monotonic()
    now = time.time() if now is None else now
    sid = snapshot_id or store.new_id(now)
    deadline = start + config.time_budget_seconds
    items = collect(root, config, reason, kernel_log, smart_summary, deadline)
    doc = {"schema": store.SCHEMA, "id": sid, "time": now, "reason": reason, "items": items}
    data = json.dumps(doc, indent=1, sort_keys=False).encode()
    missing = tuple(k for k, v in items.items() if "missing" in v)
    directory = store.snapshot_dir(state_dir)
    try:
        path = store.write_durably(directory, sid + store.SUFFIX, data)
    except OSError as exc:
        error = f"writing snapshot {sid} to {directory} failed: {exc.strerror or exc}"
        log.error("%s", error)
        return SnapshotResult(None, None, False, error, 0, 0, time.monotonic() - start, missing)
    if config.pmsg_breadcrumb:
        breadcrumbs.leave(root, f"snapshot {sid} reason={reason}", now)
    try:
        store.prune(state_dir, config, keep=sid, now=now)
    except OSError as exc:
        log.warning("snapshot retention failed: %s", exc)
    present = len(items) - len(missing)
    return SnapshotResult(
        sid, path, True, None, present, len(data), time.monotonic() - start, missing
    )


def snapshot_failed_alert(result: SnapshotResult, reason: str) -> Alert:
    return Alert(
        "snapshot_failed",
        Severity.ERR,
        f"pre-crash snapshot failed: {result.error}",
        {"error": result.error or "", "reason": reason},
        "snapshot_failed",
    )


class SnapshotTaker:
    """What the daemon hands to the pipeline and the jobs as take_snapshot(reason).

    Thread-safe (jobs run in their own thread). Automatic snapshots are rate-limited by
    snapshots.min_interval_seconds: within it, the recent snapshot's id is returned (it is
    the state around this event too). A failure is handed to `on_failure` as a
    snapshot_failed alert and None is returned. reserve() names a snapshot before it is
    taken (an alert can carry the id and go out first); capture() takes it.
    """

    def __init__(
        self,
        root: Root,
        runner: Any,
        config: Callable[[], Config],
        state_dir: str,
        on_failure: Optional[Callable[[Alert], None]] = None,
        journal_dir: Optional[str] = None,
    ) -> None:
        self.root = root
        self.runner = runner
        self.config = config
        self.state_dir = state_dir
        self.on_failure = on_failure
        self.journal_dir = journal_dir
        self.memory: Dict[str, Any] = {}  # the jobs' ctx.memory, for the last SMART results
        self.lock = threading.Lock()  # one capture at a time
        self._ids = threading.Lock()  # the rate limit and reservations: never held long
        self.last: Optional[Tuple[float, str]] = None
        self._reserved: Set[str] = set()  # ids named and not captured yet

    def smart_summary(self) -> Optional[List[Dict[str, Any]]]:
        from kcrashd.host.smart import summary

        reports = (self.memory.get("watcher:disk") or {}).get("reports") or {}
        return [summary(r) for r in list(reports.values())] or None

    def kernel_log(self, n: int) -> List[str]:
        return kernel_log_from_journal(n, self.journal_dir)

    def reserve(self, reason: str) -> Optional[str]:
        """The id of the snapshot for `reason`: a new one, to be taken by capture(), or
        within the rate limit the recent one's; None when snapshots are off or the recent
        attempt failed. Cheap: nothing is read."""
        cfg = self.config().snapshots
        if not cfg.enabled:
            return None
        with self._ids:
            now = time.monotonic()
            if self.last is not None and now - self.last[0] < cfg.min_interval_seconds:
                log.debug("snapshot rate-limited; naming %s for: %s", self.last[1], reason)
                return self.last[1] or None
            sid = store.new_id(time.time())
            self.last = (now, sid)
            self._reserved.add(sid)
            return sid

    def capture(self, snapshot_id: str, reason: str) -> bool:
        """Take the reserved snapshot `snapshot_id`; False when it failed or was not a
        reservation still to take (taken already, or a recent snapshot's id)."""
        with self._ids:
            if snapshot_id not in self._reserved:
                return False
            self._reserved.discard(snapshot_id)
        with self.lock:
            result = take_snapshot(
                self.root,
                self.runner,
                self.config().snapshots,
                self.state_dir,
                reason,
                kernel_log=self.kernel_log,
                smart_summary=self.smart_summary,
                snapshot_id=snapshot_id,
            )
        if result.ok:
            log.info("snapshot %s taken (%s): %s", result.id, _size(result.bytes), reason)
            return True
        with self._ids:
            # a failed attempt also counts for the rate limit: no failure alert storm
            if self.last is not None and self.last[1] == snapshot_id:
                self.last = (self.last[0], "")
        if self.on_failure is not None:
            self.on_failure(snapshot_failed_alert(result, reason))
        return False

    def take(self, reason: str) -> Optional[str]:
        """reserve() and capture() at once: the id of a snapshot that exists, or None."""
        sid = self.reserve(reason)
        if sid is None:
            return None
        with self._ids:
            reserved = sid in self._reserved
        if reserved and not self.capture(sid, reason):
            return None
        return sid


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KiB"
