"""vmcoreinfo: the kernel exports VMCOREINFO for makedumpfile."""

from __future__ import annotations

from typing import Optional, Tuple

from kcrashd.checks.context import HostView
from kcrashd.host.kexec import VMCOREINFO
from kcrashd.model import Fact, Result, Status

CHECK_ID = "vmcoreinfo"
TITLE = "VMCOREINFO exported"
AREA = "analysis"
EXPLAIN = (
    "Reads /sys/kernel/vmcoreinfo ('<0xaddress> <hex size>'). makedumpfile uses VMCOREINFO to "
    "filter pages; without it dump levels above 1 need the debug vmlinux (-x) inside the "
    "capture environment."
)
FIX = "boot a kernel with CONFIG_VMCORE_INFO / CONFIG_CRASH_DUMP (distro kernels have it)"


def run(host: HostView) -> Result:
    return judge(host.vmcoreinfo)


def judge(info: Optional[Tuple[int, int]]) -> Result:
    if info is None:
        return Result(
            CHECK_ID,
            Status.WARN,
            "no VMCOREINFO: makedumpfile cannot filter without -x vmlinux",
            FIX,
            (Fact(VMCOREINFO, None, "present"),),
        )
    addr, size = info
    facts = (Fact(VMCOREINFO, f"{addr:#x} {size:x}", "size > 0"),)
    if size <= 0:
        return Result(CHECK_ID, Status.WARN, "VMCOREINFO is empty", FIX, facts)
    return Result(CHECK_ID, Status.OK, f"VMCOREINFO at {addr:#x} ({size} bytes)", facts=facts)
