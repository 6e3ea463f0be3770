"""crashkernel_reserved: the requested crash memory was actually reserved at boot."""

from __future__ import annotations

from typing import List, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.cmdline import Crashkernel, format_size
from kcrashd.host.iomem import Iomem
from kcrashd.host.kexec import CRASH_SIZE
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crashkernel_reserved"
TITLE = "Crash kernel memory reserved"
AREA = "kernel"
EXPLAIN = (
    "Compares what crashkernel= asked for with what the kernel reserved: "
    "/sys/kernel/kexec_crash_size (bytes, main + low region) and the 'Crash kernel' lines of "
    "/proc/iomem (root only; zeros otherwise). A requested but failed reservation ('crashkernel "
    "reservation failed' in the boot log) looks fine in the bootloader but arms nothing. A range "
    "list can legitimately reserve nothing on a host with less RAM than its first range."
)
FIX = (
    "use a smaller size, or crashkernel=X,high plus Y,low, or drop @offset in "
    "/etc/default/grub.d/kdump-tools.cfg, then update-grub && reboot "
    "(see journalctl -k -b | grep -i crashkernel)",
    'grubby --update-kernel=ALL --args="crashkernel=<smaller size or X,high>" && reboot '
    "(see journalctl -k -b | grep -i crashkernel)",
)


def run(host: HostView) -> Result:
    specs, _ = host.crashkernels
    k = host.kexec
    size = k.fadump_reserved if k.fadump_enabled == 1 else k.crash_size
    return judge(specs, size, host.ram, host.iomem, host.family)


def judge(
    specs: List[Crashkernel],
    size: Optional[int],
    ram: Optional[int],
    iomem: Optional[Iomem],
    family: str,
) -> Result:
    facts = [Fact(CRASH_SIZE, None if size is None else str(size), "> 0")]
    if iomem is not None:
        shown = "needs root (addresses are zeros)" if iomem.zeroed else str(iomem.crash_bytes)
        facts.append(Fact("/proc/iomem Crash kernel bytes", shown, str(size)))
    if size is None:
        return Result(
            CHECK_ID,
            Status.SKIP,
            "kernel has no kdump support (see kexec_support)",
            facts=tuple(facts),
        )
    if size > 0:
        note = ""
        if iomem is not None and not iomem.zeroed and iomem.crash_bytes not in (0, size):
            note = f" (/proc/iomem shows {format_size(iomem.crash_bytes)})"
        return Result(
            CHECK_ID,
            Status.OK,
            f"{format_size(size)} reserved for the crash kernel{note}",
            facts=tuple(facts),
        )
    if not specs:
        return Result(
            CHECK_ID,
            Status.SKIP,
            "nothing reserved and nothing requested (see crashkernel_cmdline)",
            facts=tuple(facts),
        )
    wanted = [s.requested(ram) for s in specs]
    if all(w == 0 for w in wanted):
        return Result(
            CHECK_ID,
            Status.INFO,
            f"nothing reserved: {format_size(ram)} of RAM is below every crashkernel= "
            "range, which asks for nothing here",
            facts=tuple(facts),
        )
    asked = " ".join(s.raw for s in specs)
    return Result(
        CHECK_ID,
        Status.CRIT,
        f"crashkernel={asked} was requested but nothing was reserved",
        for_family(family, *FIX),
        tuple(facts),
    )
