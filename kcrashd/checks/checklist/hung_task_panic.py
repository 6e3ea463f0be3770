"""hung_task_panic: a task stuck in D state panics."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "hung_task_panic"
TITLE = "Hung task panics"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.hung_task_panic (recent kernels: panic after N hung tasks, so any value "
    "other than 0 is on) and kernel.hung_task_timeout_secs (0 disables the check). I/O hangs "
    "otherwise leave no vmcore. Off by default; a site policy choice."
)


def run(host: HostView) -> Result:
    return judge(
        host.sysctl("kernel.hung_task_panic"), host.sysctl("kernel.hung_task_timeout_secs")
    )


def judge(panic: Optional[int], timeout: Optional[int]) -> Result:
    facts = (
        sysctl_fact("kernel.hung_task_panic", panic, "!= 0"),
        sysctl_fact("kernel.hung_task_timeout_secs", timeout, "> 0"),
    )
    if panic is None:
        return Result(CHECK_ID, Status.SKIP, "no hung task detector in this kernel", facts=facts)
    if timeout == 0:
        return Result(CHECK_ID, Status.INFO, "hung task detection is off (timeout 0)", facts=facts)
    if panic:
        return Result(CHECK_ID, Status.OK, f"a task hung for {timeout}s panics", facts=facts)
    return Result(CHECK_ID, Status.INFO, "a hung task is logged, not dumped (default)", facts=facts)
