"""Small helpers the lab scenarios share: journal entries, kcrashd alerts, the host CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from tests.conftest import PROJECT
from tests.lab import disk, plans, qemu

# The issue's promise is 1 s from the oops' own timestamp to the alert on a real host.
# TCG runs the guest about ten times slower; the reading and parsing part measured 0.9 s
# there, so TCG gets twice the budget, KVM the promise itself.
LATENCY_LIMIT = {"kvm": 1.0, "tcg": 2.0}


def monotonic(entry: Dict[str, Any]) -> float:
    """When journald received `entry`, seconds on the guest's monotonic clock."""
    return int(entry["__MONOTONIC_TIMESTAMP"]) / 1e6


def realtime(entry: Dict[str, Any]) -> float:
    return int(entry["__REALTIME_TIMESTAMP"]) / 1e6


def kernel_time(entry: Dict[str, Any]) -> float:
    """The kernel's own timestamp of a kernel message (printk time), in seconds."""
    return int(entry["_SOURCE_MONOTONIC_TIMESTAMP"]) / 1e6


def kernel_line(journal: disk.Journal, boot: str, text: str) -> Dict[str, Any]:
    """The first kernel message of `boot` containing `text`."""
    for e in journal.kernel(boot):
        if text in disk.message(e):
            return e
    raise AssertionError(f"no kernel message with {text!r} in boot {boot}")


def alerts_of(result: plans.PlanResult, alert_type: str, boot: Optional[str] = None) -> List[Dict]:
    return result.journal.alerts(alert_type, boot=boot)


def alert_summary(entries: Sequence[Dict[str, Any]]) -> str:
    """A readable list of alerts for assertion messages."""
    return "; ".join(
        f"{e.get('KCRASHD_TYPE')}/{e.get('KCRASHD_KIND', '')}: {disk.message(e)[:120]}"
        for e in entries
    )


def guest_json(path: Path) -> Any:
    text = path.read_text()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise AssertionError(f"{path} is not JSON: {text[:500]}") from exc


def check_statuses(doc: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """`kcrashd check --json` results by check id."""
    return {r["id"]: r for r in doc["results"]}


def host_kcrashd(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The checkout's kcrashd on the host (the venv's python, this source tree)."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", "--config", "/dev/null", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def boot_ids(result: plans.PlanResult) -> List[str]:
    """The guest's boots, oldest first."""
    return [b.boot_id for b in sorted(result.journal.boots(), key=lambda b: b.first)]


def run_ok(run: qemu.RunResult) -> Optional[str]:
    """Why a QEMU run did not end the way the plan wants (the guest powered off), or None."""
    if run.timed_out:
        return f"timed out after {run.seconds:.0f}s; serial: {run.serial_path}"
    if run.exit_code != 0:
        return f"qemu exit {run.exit_code}: {run.stderr[-500:]}"
    if run.errors:
        return f"host actions failed: {run.errors}"
    if not run.powered_off:
        return f"the guest did not power off (QMP events: {run.events[-3:]})"
    return None
