"""panic_on_oom: out-of-memory produces a vmcore (a policy choice)."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "panic_on_oom"
TITLE = "OOM panics"
AREA = "panic"
EXPLAIN = (
    "Reads vm.panic_on_oom: 0 kills a process (default), 1 panics unless the OOM is confined "
    "by a mempolicy or cpuset, 2 always panics. With kdump, 2 is a strong tool to find why "
    "memory ran out, where failover is preferred to a degraded host."
)
MEANING = {
    0: "the OOM killer ends a process (default)",
    1: "OOM panics unless constrained",
    2: "OOM always panics",
}


def run(host: HostView) -> Result:
    return judge(host.sysctl("vm.panic_on_oom"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("vm.panic_on_oom", value, None),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "vm.panic_on_oom not present", facts=facts)
    return Result(
        CHECK_ID, Status.INFO, MEANING.get(value, f"vm.panic_on_oom = {value}"), facts=facts
    )
