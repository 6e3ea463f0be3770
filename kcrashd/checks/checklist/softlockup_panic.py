"""softlockup_panic: a soft lockup panics (and is detected at all)."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import sysctl_fix
from kcrashd.model import Result, Status

CHECK_ID = "softlockup_panic"
TITLE = "Soft lockup panics"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.softlockup_panic and the detector switches kernel.watchdog, "
    "kernel.soft_watchdog and kernel.watchdog_thresh. A CPU stuck in kernel mode for more "
    "than 2 x watchdog_thresh seconds only logs a trace unless softlockup_panic is 1, so the "
    "vmcore of the hang is never taken; with the detector off it is not even logged."
)


def run(host: HostView) -> Result:
    s = host.sysctl
    return judge(
        s("kernel.softlockup_panic"),
        s("kernel.watchdog"),
        s("kernel.soft_watchdog"),
        s("kernel.watchdog_thresh"),
    )


def judge(
    panic: Optional[int], watchdog: Optional[int], soft: Optional[int], thresh: Optional[int]
) -> Result:
    facts = (
        sysctl_fact("kernel.softlockup_panic", panic, "1"),
        sysctl_fact("kernel.watchdog", watchdog, "1"),
        sysctl_fact("kernel.soft_watchdog", soft, "1"),
        sysctl_fact("kernel.watchdog_thresh", thresh, "> 0"),
    )
    if panic is None:
        return Result(CHECK_ID, Status.SKIP, "no soft lockup detector in this kernel", facts=facts)
    if watchdog == 0 or soft == 0 or thresh == 0:
        return Result(
            CHECK_ID,
            Status.WARN,
            "the soft lockup detector is off",
            sysctl_fix("kernel.watchdog", 1),
            facts,
        )
    if panic:
        return Result(CHECK_ID, Status.OK, "a soft lockup panics", facts=facts)
    return Result(
        CHECK_ID, Status.INFO, "a soft lockup is logged, not dumped (default)", facts=facts
    )
