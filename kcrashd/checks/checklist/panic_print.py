"""panic_print: extra state printed on panic."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "panic_print"
TITLE = "Extra state on panic"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.panic_print, a bitmask of what a panic prints besides the report (1 tasks, "
    "2 memory, 4 timers, 8 locks, 16 ftrace, 32 all printk, 64 all-CPU backtraces, 128 "
    "blocked tasks). It adds context to the console, pstore and journal when no vmcore is "
    "taken."
)
BITS = (
    "tasks",
    "memory",
    "timers",
    "locks",
    "ftrace",
    "all printk",
    "all-CPU backtraces",
    "blocked tasks",
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.panic_print"))


def judge(value: Optional[int]) -> Result:
    facts = (sysctl_fact("kernel.panic_print", value, None),)
    if value is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.panic_print not present", facts=facts)
    names = [n for i, n in enumerate(BITS) if value >> i & 1]
    return Result(
        CHECK_ID,
        Status.INFO,
        f"a panic also prints {', '.join(names)}"
        if names
        else "a panic prints only its report (kernel.panic_print = 0)",
        facts=facts,
    )
