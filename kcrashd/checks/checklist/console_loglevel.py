"""console_loglevel: kernel reports reach the console."""

from __future__ import annotations

from typing import Optional, Tuple

from kcrashd.checks.context import HostView
from kcrashd.model import Fact, Result, Status

CHECK_ID = "console_loglevel"
TITLE = "Console log level"
AREA = "aids"
EXPLAIN = (
    "Reads /proc/sys/kernel/printk (console, default, minimum, boot-default levels). A message "
    "reaches the console when its level is below the console level. Oopses and panics raise "
    "it themselves (console_verbose), but warnings, hung task and lockup reports print at "
    "level 4 and need a console level of 5 or more to show on a serial console or netconsole "
    "('quiet' sets 4)."
)


def run(host: HostView) -> Result:
    return judge(host.console_levels)


def judge(levels: Optional[Tuple[int, ...]]) -> Result:
    facts = (
        Fact(
            "/proc/sys/kernel/printk",
            None if levels is None else " ".join(map(str, levels)),
            "console level >= 5",
        ),
    )
    if not levels:
        return Result(CHECK_ID, Status.SKIP, "/proc/sys/kernel/printk not present", facts=facts)
    if levels[0] >= 5:
        return Result(
            CHECK_ID,
            Status.OK,
            f"console level {levels[0]}: warnings reach the console",
            facts=facts,
        )
    return Result(
        CHECK_ID,
        Status.INFO,
        f"console level {levels[0]}: oopses reach the console, "
        "warnings and lockup reports do not (kernel.printk = 7 4 1 7 to see them)",
        facts=facts,
    )
