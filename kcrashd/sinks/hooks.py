"""Hooks: executables in hooks.d run on each alert, the alert as JSON on stdin.

Exec'd without a shell through CommandRunner (argv only, a session of their own, a timeout,
contained: the hook's process group and everything that inherited its run token is killed
when it exits, times out or the daemon stops). A hook runs only when it and every directory
above it belong to root and nobody else can write them (kcrashd.host.trust); a refused hook
is logged and alerted once (hook_refused). They run in one worker thread so a slow or
hanging hook never delays an alert; a failing hook is logged and the next one runs.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from kcrashd.host.local import executables
from kcrashd.host.runner import CommandRunner
from kcrashd.host.trust import untrusted_reason
from kcrashd.model import Alert, Severity

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


def hook_environment(alert: Alert, alert_id: str) -> Dict[str, str]:
    """The alert's main facts as environment variables, for hooks that want no JSON parser."""
    env = {
        "KCRASHD_TYPE": alert.type,
        "KCRASHD_SEVERITY": alert.severity.name.lower(),
        "KCRASHD_SUMMARY": alert.summary.replace("\0", " ")[:4096],
        "KCRASHD_ALERT_ID": alert_id,
    }
    incident = alert.fields.get("incident")
    if incident:
        env["KCRASHD_INCIDENT"] = str(incident)
    return env


def hook_refused(path: str, reason: str) -> Alert:
    return Alert(
        "hook_refused",
        Severity.ERR,
        f"hook {path} not run: {reason}",
        {"hook": path, "reason": reason},
        f"hook_refused:{path}:{reason}",
    )


def run_hooks(
    directory: str,
    timeout: float,
    alert: Alert,
    alert_id: str,
    runner: Optional[Any] = None,
    refused: Optional[Callable[[str, str], None]] = None,
) -> List[Tuple[str, Optional[int], Optional[str]]]:
    """Run every trusted hook for one alert now; (path, exit code, error) per hook. An
    untrusted hook is not run: its error is "refused: why", and `refused(path, why)` is
    called."""
    runner = runner or CommandRunner()
    payload = json.dumps(alert_document(alert, alert_id), sort_keys=True) + "\n"
    env = hook_environment(alert, alert_id)
    outcomes: List[Tuple[str, Optional[int], Optional[str]]] = []
    for path in list_hooks(directory):
        reason = untrusted_reason(path)
        if reason is not None:
            log.warning("hook %s refused: %s", path, reason)
            if refused is not None:
                refused(path, reason)
            outcomes.append((path, None, f"refused: {reason}"))
            continue
        result = runner.run([path], timeout=timeout, input_text=payload, env=env, contain=True)
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

    def __init__(
        self,
        directory: str,
        timeout: float,
        on_alert: Optional[Callable[[Alert], None]] = None,
    ) -> None:
        self.directory = directory
        self.timeout = timeout
        self.failures = 0
        self.runs = 0
        self.on_alert = on_alert  # called from the worker thread with hook_refused alerts
        self.runner = CommandRunner()
        self._refused: Set[Tuple[str, str]] = set()  # alerted once per daemon run
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
                    outcomes = run_hooks(
                        self.directory,
                        self.timeout,
                        item[0],
                        item[1],
                        self.runner,
                        self._refuse,
                    )
                    self.runs += len(outcomes)
                    self.failures += sum(1 for o in outcomes if o[2])
                except Exception:  # boundary: a hook problem never stops alerting
                    log.exception("running hooks for alert %s", item[1])
            finally:
                self._queue.task_done()

    def _refuse(self, path: str, reason: str) -> None:
        if (path, reason) in self._refused:
            return
        self._refused.add((path, reason))
        if self.on_alert is not None:
            self.on_alert(hook_refused(path, reason))

    def stop(self, wait: float = 0.0) -> None:
        """Stop the worker; wait up to `wait` seconds for queued hooks to finish, then kill
        the hook still running with all it started."""
        if self._thread is None:
            return
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join(wait)
        if self._thread.is_alive():
            killed = self.runner.terminate_all()
            log.warning("stopping: killed %d hook process(es) still running", killed)
            self._thread.join(2.0)
        self._thread = None
