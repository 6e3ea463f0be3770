"""kptr_restrict: kexec can read kernel addresses from /proc/kallsyms."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import sysctl_fix
from kcrashd.model import Result, Status

CHECK_ID = "kptr_restrict"
TITLE = "Kernel pointers readable by root"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.kptr_restrict. With KASLR, loading the capture kernel reads /proc/kallsyms; "
    "at 2 the addresses are zeros even for root and 'capture kernel loading could fail' (the "
    "kdump howto recommends 1)."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.kptr_restrict"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.kptr_restrict", value, "0 or 1"),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.kptr_restrict not present", facts=facts)
    if value >= 2:
        return Result(
            CHECK_ID,
            Status.WARN,
            "kernel pointers are hidden even from root: loading the crash kernel may fail",
            sysctl_fix("kernel.kptr_restrict", 1),
            facts,
        )
    return Result(CHECK_ID, Status.OK, f"kernel.kptr_restrict = {value}", facts=facts)
