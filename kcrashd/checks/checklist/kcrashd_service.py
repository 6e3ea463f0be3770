"""kcrashd_service: kcrashd itself is running to alert."""

from __future__ import annotations

from kcrashd.checks.context import HostView
from kcrashd.host.services import UnitState
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kcrashd_service"
TITLE = "kcrashd running"
AREA = "kcrashd"
EXPLAIN = (
    "Reads kcrashd.service's enablement and, on the live host, its active state. The daemon "
    "turns kernel reports and warning signs into alerts and collects the evidence after a "
    "crash; when it is not running none of that happens."
)
UNIT = "kcrashd.service"
UNKNOWN = "active state unknown: not the live host or no systemd"


def run(host: HostView) -> Result:
    return judge(host.units([UNIT])[UNIT])


def judge(unit: UnitState) -> Result:
    facts = (
        Fact(f"{UNIT} enabled", str(unit.enabled).lower(), "true"),
        Fact(f"{UNIT} active", unit.active or "unknown", "active"),
    )
    if not unit.installed:
        return Result(
            CHECK_ID, Status.INFO, f"{UNIT} is not installed (run from a checkout?)", facts=facts
        )
    if not unit.enabled or unit.masked:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{UNIT} is not enabled: no alerts after a reboot",
            f"systemctl unmask {UNIT}; systemctl enable --now {UNIT}",
            facts,
        )
    if unit.active not in (None, "active", "reloading", "activating"):
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{UNIT} is {unit.active}",
            f"systemctl restart {UNIT}; journalctl -u {UNIT} -b",
            facts,
        )
    return Result(
        CHECK_ID,
        Status.OK,
        f"{UNIT} is enabled ({unit.active or UNKNOWN})",
        facts=facts,
    )
