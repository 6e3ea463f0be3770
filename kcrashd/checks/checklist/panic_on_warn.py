"""panic_on_warn: whether a WARN() panics (a debugging choice)."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "panic_on_warn"
TITLE = "WARN panics"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.panic_on_warn. 1 captures the state at a WARN, which is useful for targeted "
    "debugging but risky as a permanent default: any warning reboots the host."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.panic_on_warn"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.panic_on_warn", value, "0"),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.panic_on_warn not present", facts=facts)
    if value:
        return Result(CHECK_ID, Status.INFO, "any kernel warning panics the host", facts=facts)
    return Result(CHECK_ID, Status.OK, "warnings are logged (default)", facts=facts)
