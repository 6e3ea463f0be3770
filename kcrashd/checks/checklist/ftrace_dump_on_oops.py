"""ftrace_dump_on_oops: the ftrace buffer is printed on an oops."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.host.sysfs import read_sysctl, sysctl_path
from kcrashd.model import Fact, Result, Status

CHECK_ID = "ftrace_dump_on_oops"
TITLE = "ftrace dumped on oops"
AREA = "aids"
EXPLAIN = (
    "Reads kernel.ftrace_dump_on_oops. When tracing is in use, 1 (all CPUs) or 2 / orig_cpu "
    "prints the trace buffer on an oops, showing what led up to it on the console, in pstore "
    "and in the vmcore's log."
)
SYSCTL = "kernel.ftrace_dump_on_oops"
PATH = sysctl_path(SYSCTL)


def run(host: HostView) -> Result:
    return judge(read_sysctl(host.root, SYSCTL))  # a string: 1, 2 or orig_cpu


def judge(value: Optional[str]) -> Result:
    facts = (Fact(PATH, value, None),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel without ftrace", facts=facts)
    if value.strip() in ("0", ""):
        return Result(
            CHECK_ID,
            Status.INFO,
            "the trace buffer is not printed on an oops (set "
            "kernel.ftrace_dump_on_oops = 1 while tracing a problem)",
            facts=facts,
        )
    return Result(
        CHECK_ID, Status.OK, f"the trace buffer is printed on an oops ({value})", facts=facts
    )
