"""panic_on_oops: an oops or BUG panics, so kdump takes a dump."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import sysctl_fix
from kcrashd.model import Result, Status

CHECK_ID = "panic_on_oops"
TITLE = "Oops panics"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.panic_on_oops (cmdline oops=panic). Most kernel bugs are oopses; with 0 "
    "they are only logged, no vmcore is taken, and the kernel keeps running in a corrupted "
    "state. kdump-config load sets it to 1 on Debian. A desktop may choose 0 "
    "(checks.severity: {panic_on_oops: INFO})."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.panic_on_oops"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.panic_on_oops", value, "1"),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.panic_on_oops not present", facts=facts)
    if value:
        return Result(CHECK_ID, Status.OK, "an oops panics and triggers kdump", facts=facts)
    return Result(
        CHECK_ID,
        Status.WARN,
        "an oops is only logged: no dump, and the kernel keeps running damaged",
        sysctl_fix("kernel.panic_on_oops", 1),
        facts,
    )
