"""hardlockup_panic: the NMI watchdog turns a hard hang into a dump."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "hardlockup_panic"
TITLE = "Hard lockup panics"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.nmi_watchdog (the hard lockup detector) and kernel.hardlockup_panic. With "
    "interrupts dead only the NMI watchdog can turn a hard hang into a dump. It is off by "
    "default in KVM guests; nmi_watchdog=panic,1 on the command line turns both on."
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.nmi_watchdog"), host.sysctl("kernel.hardlockup_panic"))


def judge(nmi: Optional[int], panic: Optional[int]) -> Result:
    facts = (
        sysctl_fact("kernel.nmi_watchdog", nmi, "1"),
        sysctl_fact("kernel.hardlockup_panic", panic, "1"),
    )
    if nmi is None and panic is None:
        return Result(CHECK_ID, Status.SKIP, "no hard lockup detector in this kernel", facts=facts)
    if nmi == 1 and panic == 1:
        return Result(CHECK_ID, Status.OK, "a hard lockup panics", facts=facts)
    if nmi == 0:
        return Result(
            CHECK_ID,
            Status.INFO,
            "the NMI watchdog is off (the default in VMs): a hard hang is not detected",
            facts=facts,
        )
    return Result(CHECK_ID, Status.INFO, "a hard lockup is logged, not dumped", facts=facts)
