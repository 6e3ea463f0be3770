"""panic_timeout: what a panic does when kdump does not take over."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import sysctl_fix
from kcrashd.model import Result, Status

CHECK_ID = "panic_timeout"
TITLE = "Reboot after panic"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.panic (seconds before rebooting after a panic; 0 waits forever, negative "
    "reboots at once). kdump runs before this timeout, so it matters when kdump is missing or "
    "fails: then 0 leaves the host hung until someone power-cycles it."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.panic"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.panic", value, "> 0"),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.panic not present", facts=facts)
    if value > 0:
        return Result(CHECK_ID, Status.OK, f"reboots {value}s after a panic", facts=facts)
    if value < 0:
        return Result(
            CHECK_ID,
            Status.INFO,
            "reboots immediately after a panic (console output is lost)",
            facts=facts,
        )
    return Result(
        CHECK_ID,
        Status.WARN,
        "a panic without kdump leaves the host hung forever (kernel.panic = 0)",
        sysctl_fix("kernel.panic", 10),
        facts,
    )
