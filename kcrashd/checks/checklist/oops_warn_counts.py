"""oops_warn_counts: oopses and warnings since boot."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import sysctl_fix
from kcrashd.model import Fact, Result, Status

CHECK_ID = "oops_warn_counts"
TITLE = "Oopses and warnings this boot"
AREA = "health"
EXPLAIN = (
    "Reads /sys/kernel/oops_count and /sys/kernel/warn_count (kernel 6.2+). An oops while "
    "kernel.panic_on_oops is 0 is a crash event for which no dump was taken."
)
OOPS = "/sys/kernel/oops_count"
WARN = "/sys/kernel/warn_count"


def run(host: HostView) -> Result:
    return judge(host.int_file(OOPS), host.int_file(WARN), host.sysctl("kernel.panic_on_oops"))


def judge(oops: Optional[int], warns: Optional[int], panic_on_oops: Optional[int]) -> Result:
    facts = (
        Fact(OOPS, None if oops is None else str(oops), "0"),
        Fact(WARN, None if warns is None else str(warns), "0"),
    )
    if oops is None and warns is None:
        return Result(
            CHECK_ID, Status.SKIP, "no oops/warn counters (kernel older than 6.2)", facts=facts
        )
    text = f"{oops or 0} oops(es), {warns or 0} warning(s) since boot"
    if oops and panic_on_oops == 0:
        return Result(
            CHECK_ID,
            Status.WARN,
            text + ": no dump was taken (panic_on_oops = 0)",
            sysctl_fix("kernel.panic_on_oops", 1),
            facts,
        )
    if oops or warns:
        return Result(CHECK_ID, Status.INFO, text, facts=facts)
    return Result(CHECK_ID, Status.OK, text, facts=facts)
