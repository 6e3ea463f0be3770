"""The daemon's snapshots: one SnapshotTaker for the pipeline and the jobs, and a thread that
captures the snapshots crash alerts name, after the alert is out.

A snapshot reads much of the host (the first one also imports its code) and may take
seconds: the main thread, which sends crash alerts, only reserves an id (reserve) and hands
the capture to this thread (capture). Jobs, which run in their own thread and want the
snapshot on disk before their alert, take it synchronously (take).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable, Optional, Tuple

log = logging.getLogger(__name__)


class SnapshotWorker:
    """reserve()/capture() for the alert pipeline, take() for the jobs; thread-safe."""

    def __init__(self, make_taker: Callable[[], Any]) -> None:
        self._make_taker = make_taker  # imports the snapshot code: only when first wanted
        self._taker: Any = None
        self._lock = threading.Lock()
        self._queue: queue.Queue[Optional[Tuple[str, str]]] = queue.Queue()
        self._thread: Optional[threading.Thread] = None

    @property
    def taker(self) -> Any:
        with self._lock:
            if self._taker is None:
                self._taker = self._make_taker()
            return self._taker

    def reserve(self, reason: str) -> Optional[str]:
        return self.taker.reserve(reason)

    def capture(self, snapshot_id: str, reason: str) -> None:
        """Capture the reserved `snapshot_id` in the worker thread (returns at once)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="kcrashd-snapshot", daemon=True
                )
                self._thread.start()
        self._queue.put((snapshot_id, reason))

    def take(self, reason: str) -> Optional[str]:
        return self.taker.take(reason)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self.taker.capture(*item)
            except Exception:  # boundary: a broken snapshot never stops the next one
                log.exception("snapshot %s failed", item[0])

    def stop(self, wait: float) -> None:
        """Let the captures queued finish (at most `wait` seconds), then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(wait)
