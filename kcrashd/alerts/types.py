"""The registry of alert types: each has a fixed journald MESSAGE_ID and a catalog entry.

A test asserts every MESSAGE_ID here has an entry in systemd/kcrashd.catalog and that the
IDs are unique. Never change an ID once shipped: operators filter on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class AlertType:
    name: str
    message_id: str  # 128-bit, lower-case hex without dashes (journald style)
    subject: str


ALERT_TYPES: Tuple[AlertType, ...] = (
    AlertType("crash_report", "1f64fb6ca3034733a3684189e2c680be", "Kernel crash report"),
    AlertType("crash_repeated", "b95a6151ed5942e09d3324194049ac36", "Kernel crash report repeated"),
    AlertType("readiness_summary", "cc2e177b3a214cc684fbeb44de878ec4", "Crash readiness at start"),
    AlertType(
        "readiness_degraded", "d9d993e6ba7b4343ad08eff847e5c670", "Crash readiness got worse"
    ),
    AlertType("readiness_improved", "09fafb1482404ad0a0adf9c8c157b76a", "Crash readiness improved"),
    AlertType("memory_raised", "be1349aedf8b4e3fa042ce93a12bd1c8", "Memory pressure"),
    AlertType("memory_cleared", "511fbfb5194149a59ed153c3649d2644", "Memory pressure cleared"),
    AlertType("fd_raised", "6b5548c9f92f432395ccb7e5b4a73196", "File descriptors running out"),
    AlertType(
        "fd_cleared", "5e58892756a041e49105e922dfc193b7", "File descriptor use back to normal"
    ),
    AlertType("thermal_raised", "30104c43e49a44dc915f7aaa579d2b84", "Temperature near its limit"),
    AlertType("thermal_cleared", "ea3e92b7bac54f79ac3068544d26126f", "Temperature back to normal"),
    AlertType("disk_raised", "cd0f1d594f094314bb7609cbacd80a85", "Disk health warning"),
    AlertType("disk_cleared", "d58524b1daec49138cc8860e41ae98eb", "Disk health warning cleared"),
    AlertType("edac_raised", "893d97f7c6fe47e1908dc4221fb6e935", "Memory errors (EDAC)"),
    AlertType("edac_cleared", "a2948d9c2d594dcc885b194e96314cf6", "Memory errors (EDAC) cleared"),
    AlertType(
        "kernel_counters_raised", "3bb5f9433bdb478b9cc17e4c305c9197", "Kernel health counter"
    ),
    AlertType(
        "kernel_counters_cleared", "bca5050cf5454d919722fbff7f6002cc", "Kernel counter cleared"
    ),
    AlertType("snapshot_failed", "beb58f1583b648a7a474048aae0ce6b8", "Pre-crash snapshot failed"),
    AlertType("previous_boot_crashed", "cbec07d392d94fcb8d9f199c3322afd5", "Previous boot crashed"),
    AlertType("unexplained_reset", "6fb1ee30614f4a0299bdf9e3868c1cab", "Previous boot ended"),
    AlertType("component_failed", "1395a86a64f541e187a43a34e2106090", "kcrashd component failed"),
    AlertType(
        "readiness_reminder", "4ace18696c6941b38be81f81a90eb3f1", "Crash readiness still critical"
    ),
    AlertType("signal_reminder", "3d26f0d9b70347c0afde0be905fead05", "Warning sign still raised"),
    AlertType("test_alert", "17ce5ae273e6480da96daf49bad99cfb", "kcrashd test alert"),
    AlertType("state_degraded", "bf95d98a7265442899422b4edc946414", "kcrashd state cannot be kept"),
    AlertType("state_recovered", "27bed15f68d94b9b89c469fac7835d96", "kcrashd state kept again"),
    AlertType("hook_refused", "9c977701433248f9a52598ca67c3ab3a", "kcrashd hook not run: unsafe"),
)

BY_NAME: Dict[str, AlertType] = {t.name: t for t in ALERT_TYPES}


def message_id(alert_type: str) -> str:
    return BY_NAME[alert_type].message_id
