"""Kernel health counters: taint mask, oops/warn counts (6.2+), lockup and stall counts
(6.16+, only with their detectors), hung task detections (6.13+). A counter the kernel
does not have is absent from the result, not zero."""

from __future__ import annotations

from typing import Dict, List, Tuple

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_int_or_none

COUNTER_FILES = (
    ("oops", "/sys/kernel/oops_count"),
    ("warn", "/sys/kernel/warn_count"),
    ("softlockup", "/sys/kernel/softlockup_count"),
    ("hardlockup", "/sys/kernel/hardlockup_count"),
    ("rcu_stall", "/sys/kernel/rcu_stall_count"),
    ("hung_task", "/proc/sys/kernel/hung_task_detect_count"),
)


def read_counters(root: Root) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for name, path in COUNTER_FILES:
        value = read_int_or_none(root, path)
        if value is not None:
            out[name] = value
    return out


def read_taint(root: Root) -> int:
    return read_int_or_none(root, "/proc/sys/kernel/tainted") or 0


def read_module_taints(root: Root) -> List[Tuple[str, str]]:
    """(module, taint letters) of every loaded module that tainted the kernel."""
    out = []
    for path in root.glob("/sys/module/*/taint"):
        letters = root.read_value(path)
        if letters:
            out.append((path.split("/")[3], letters))
    return out
