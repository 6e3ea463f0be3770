"""nmi_panic: an NMI (the server's dump button) forces a dump (x86)."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Result, Status

CHECK_ID = "nmi_panic"
TITLE = "NMI button dumps"
AREA = "panic"
EXPLAIN = (
    "Reads kernel.unknown_nmi_panic, kernel.panic_on_unrecovered_nmi and kernel.panic_on_io_nmi "
    "(x86 only). Many servers' NMI or dump button raises an unknown NMI: with "
    "unknown_nmi_panic=1 it panics and kdump dumps a fully hung machine, the last resort."
)
KEYS = ("kernel.unknown_nmi_panic", "kernel.panic_on_unrecovered_nmi", "kernel.panic_on_io_nmi")


def run(host: HostView) -> Result:
    return judge(*(host.sysctl(k) for k in KEYS))


def judge(unknown: Optional[int], unrecovered: Optional[int], io: Optional[int]) -> Result:
    facts = tuple(sysctl_fact(k, v, "1") for k, v in zip(KEYS, (unknown, unrecovered, io)))
    if unknown is None:
        return Result(CHECK_ID, Status.SKIP, "not x86: no NMI panic switches", facts=facts)
    if unknown or unrecovered or io:
        return Result(CHECK_ID, Status.OK, "an NMI panics and triggers kdump", facts=facts)
    return Result(CHECK_ID, Status.INFO, "an NMI is logged, not dumped (default)", facts=facts)
