"""sysrq_dump: Alt-SysRq-c or a serial BREAK-c can force a dump."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "sysrq_dump"
TITLE = "SysRq crash key"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.sysrq: 1 enables every SysRq function, otherwise a bitmask in which 8 "
    "(SYSRQ_ENABLE_DUMP) allows the crash key. It lets an operator dump a hung but responsive "
    "console; root can always use /proc/sysrq-trigger regardless."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.sysrq"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.sysrq", value, "1 or a mask with 8"),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel without SysRq", facts=facts)
    if value == 1 or value & 8:
        return Result(
            CHECK_ID, Status.OK, "SysRq-c can force a dump from the keyboard or serial", facts=facts
        )
    return Result(
        CHECK_ID,
        Status.INFO,
        "SysRq-c is off for keyboard and serial (root can still use /proc/sysrq-trigger)",
        facts=facts,
    )
