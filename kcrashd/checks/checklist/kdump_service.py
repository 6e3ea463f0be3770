"""kdump_service: the service that arms kdump at every boot is enabled and did not fail."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.services import UnitState
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kdump_service"
TITLE = "kdump service enabled"
AREA = "kdump"
EXPLAIN = (
    "Reads the kdump unit (kdump-tools.service on Debian, kdump.service on RHEL): enabled "
    "links, masking, and on the live host its active state; on Debian also USE_KDUMP in "
    "/etc/default/kdump-tools. kexec_crash_loaded reflects this boot only: the unit re-arms "
    "kdump at every boot. With USE_KDUMP=0 Debian's unit is 'active' while nothing is loaded, "
    "so the active state alone proves nothing."
)


def run(host: HostView) -> Result:
    unit = host.units([host.kdump_unit])[host.kdump_unit]
    return judge(unit, host.kdump.enabled, host.kexec.crash_loaded, host.family)


def judge(unit: UnitState, use_kdump: Optional[bool], loaded: Optional[int], family: str) -> Result:
    name = unit.name
    facts = (
        Fact(f"{name} enabled", str(unit.enabled).lower(), "true"),
        Fact(f"{name} active", unit.active or "unknown", "active"),
        Fact(
            "/etc/default/kdump-tools USE_KDUMP",
            None if use_kdump is None else ("1" if use_kdump else "0"),
            "1",
        ),
    )
    enable = for_family(
        family,
        "sed -i 's/^USE_KDUMP=.*/USE_KDUMP=1/' /etc/default/kdump-tools && "
        "systemctl enable --now kdump-tools.service",
        "systemctl enable --now kdump.service",
    )
    if not unit.installed:
        return Result(
            CHECK_ID, Status.SKIP, f"{name} is not installed (see kdump_tooling)", facts=facts
        )
    armed = loaded == 1
    if use_kdump is False:
        return Result(
            CHECK_ID,
            Status.WARN if armed else Status.CRIT,
            "USE_KDUMP=0 in /etc/default/kdump-tools: kdump-tools does nothing",
            enable,
            facts,
        )
    if unit.masked:
        return Result(
            CHECK_ID,
            Status.WARN if armed else Status.CRIT,
            f"{name} is masked",
            f"systemctl unmask {name} && systemctl enable --now {name}",
            facts,
        )
    if unit.active == "failed":
        return Result(
            CHECK_ID,
            Status.WARN if armed else Status.CRIT,
            f"{name} failed",
            f"journalctl -b -u {name}, fix the cause, then systemctl restart {name}",
            facts,
        )
    if not unit.enabled:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{name} is not enabled: kdump is not armed at the next boot",
            enable,
            facts,
        )
    if unit.active not in (None, "active") and not armed:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{name} is enabled but {unit.active}",
            f"systemctl start {name}; journalctl -b -u {name}",
            facts,
        )
    state = "active" if unit.active else "active state unknown: not the live host or no systemd"
    return Result(CHECK_ID, Status.OK, f"{name} is enabled ({state})", facts=facts)
