"""panic_on_rcu_stall: an RCU stall panics (a policy choice)."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "panic_on_rcu_stall"
TITLE = "RCU stall panics"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.panic_on_rcu_stall (and max_rcu_stall_to_panic). 1 takes a vmcore on an RCU "
    "stall, which helps find its root cause; 0 (default) only logs it."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.panic_on_rcu_stall"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.panic_on_rcu_stall", value, None),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.panic_on_rcu_stall not present", facts=facts)
    if value:
        return Result(CHECK_ID, Status.INFO, "an RCU stall panics and is dumped", facts=facts)
    return Result(
        CHECK_ID, Status.INFO, "an RCU stall is logged, not dumped (default)", facts=facts
    )
