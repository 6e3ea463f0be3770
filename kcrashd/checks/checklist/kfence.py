"""kfence: the production-safe sampling memory error detector is on."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.host.sysfs import module_param_path
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kfence"
TITLE = "KFENCE enabled"
AREA = "aids"
EXPLAIN = (
    "Reads /sys/module/kfence/parameters/sample_interval (ms; 0 is off). KFENCE samples heap "
    "allocations with near-zero overhead and reports use-after-free and out-of-bounds "
    "accesses with the culprit's stack, turning silent corruption into a clear report."
)


def run(host: HostView) -> Result:
    return judge(host.kfence_interval)


def judge(interval: Optional[int]) -> Result:
    facts = (
        Fact(
            module_param_path("kfence", "sample_interval"),
            None if interval is None else str(interval),
            "> 0",
        ),
    )
    if interval is None:
        return Result(CHECK_ID, Status.INFO, "kernel built without KFENCE", facts=facts)
    if interval == 0:
        return Result(
            CHECK_ID,
            Status.INFO,
            "KFENCE is off (kfence.sample_interval=100 on the command line turns it on)",
            facts=facts,
        )
    return Result(CHECK_ID, Status.OK, f"KFENCE samples every {interval} ms", facts=facts)
