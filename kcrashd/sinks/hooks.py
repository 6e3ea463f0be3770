"""Hooks: executables in hooks.d run on each alert, the alert as JSON on stdin.

Exec'd without a shell through CommandRunner (argv only, a timeout that kills the process
group). They run in one worker thread so a slow or hanging hook never delays an alert;
a failing hook is logged and the next one runs.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from typing import Any, Dict, List, Optional, Tuple

from kcrashd.host.local import executables
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Alert

log = logging.getLogger(__name__)

# Editor, package manager and backup leftovers are not hooks even when executable.
_SKIP_SUFFIXES = (
    "~",
    ".bak",
    ".old",
    ".orig",
    ".swp",
    ".tmp",
    ".dpkg-old",
    ".dpkg-new",
    ".dpkg-dist",
    ".dpkg-tmp",
    ".rpmnew",
    ".rpmsave",
    ".rpmorig",
    ".disabled",
)
MAX_QUEUED = 1000


def list_hooks(directory: str) -> List[str]:
    """Executable regular files in `directory`, in lexical order, skipping hidden/backup files."""
    return [
        os.path.join(directory, name)
        for name in executables(directory)
        if not name.startswith(".") and not name.endswith(_SKIP_SUFFIXES)
    ]


def alert_document(alert: Alert, alert_id: str) -> Dict[str, Any]:
    doc = alert.to_dict()
    doc["schema"] = 1
    doc["alert_id"] = alert_id
    return doc


def run_hooks(
    directory: str, timeout: float, alert: Alert, alert_id: str, runner: Optional[Any] = None
) -> List[Tuple[str, Optional[int], Optional[str]]]:
    """Run every hook for one alert now; (path, exit code, error) per hook."""
    runner = runner or CommandRunner()
    payload = json.dumps(alert_document(alert, alert_id), sort_keys=True) + "\n"
    outcomes = []
    for path in list_hooks(directory):
        result = runner.run([path], timeout=timeout, input_text=payload)
        error = result.error
        if error is None and not result.ok:
            tail = result.stderr.strip().splitlines()[-1:] or [""]
            error = f"exit status {result.returncode} {tail[0]}".strip()
        if error:
            log.warning("hook %s failed for alert %s: %s", path, alert_id, error)
        outcomes.append((path, result.returncode, error))
    return outcomes


class HookRunner:
    """Runs hooks for alerts in a background thread, in the order the alerts were sent."""

    def __init__(self, directory: str, timeout: float) -> None:
        self.directory = directory
        self.timeout = timeout
        self.failures = 0
        self.runs = 0
        self._queue: queue.Queue = queue.Queue(MAX_QUEUED)
        self._thread: Optional[threading.Thread] = None

    def configure(self, directory: str, timeout: float) -> None:
        self.directory, self.timeout = directory, timeout

    def submit(self, alert: Alert, alert_id: str) -> None:
        if not list_hooks(self.directory):
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="kcrashd-hooks", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((alert, alert_id))
        except queue.Full:
            log.error("hook queue full: hooks not run for alert %s", alert_id)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                try:
                    outcomes = run_hooks(self.directory, self.timeout, item[0], item[1])
                    self.runs += len(outcomes)
                    self.failures += sum(1 for o in outcomes if o[2])
                except Exception:  # boundary: a hook problem never stops alerting
                    log.exception("running hooks for alert %s", item[1])
            finally:
                self._queue.task_done()

    def stop(self, wait: float = 0.0) -> None:
        """Stop the worker; wait up to `wait` seconds for queued hooks to finish."""
        if self._thread is None:
            return
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join(wait)
        self._thread = None
