"""crashkernel_size_adequate: the reservation is big enough for the capture kernel."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.cmdline import format_size, parse_crashkernel
from kcrashd.host.distro import RHEL
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crashkernel_size_adequate"
TITLE = "Crash reservation large enough"
AREA = "kernel"
EXPLAIN = (
    "Compares the reserved size with the size kdump-utils recommends for this much RAM "
    "(kdumpctl get-default-crashkernel tables per architecture; kdumpctl estimate is not run "
    "because it may rebuild the initrd). Debian's kdump-tools has no estimator, so the RHEL "
    "x86_64 table is used as a reference there. An undersized reservation makes the capture "
    "kernel run out of memory or fail to load drivers, so no vmcore is written."
)
# kdump-utils kdump_get_arch_recommend_crashkernel (readiness-checks.md section 2.1)
RECOMMENDED = {
    "x86_64": "2G-64G:256M,64G-:512M",
    "s390x": "2G-64G:256M,64G-:512M",
    "aarch64": "2G-4G:256M,4G-64G:320M,64G-:576M",
    "ppc64le": "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
}
FIX = (
    "raise crashkernel= in /etc/default/grub.d/kdump-tools.cfg (for example "
    "crashkernel=2G-64G:256M,64G-:512M), then update-grub && reboot, and verify with a test crash",
    "kdumpctl reset-crashkernel --kernel=ALL && reboot "
    '(or grubby --update-kernel=ALL --args="crashkernel=<bigger>"), then verify with a test crash',
)


def run(host: HostView) -> Result:
    return judge(host.kexec.crash_size, host.ram, host.arch, host.family)


def judge(reserved: Optional[int], ram: Optional[int], arch: str, family: str) -> Result:
    table = RECOMMENDED.get(arch, RECOMMENDED["x86_64"])
    if not reserved:
        return Result(CHECK_ID, Status.SKIP, "nothing reserved (see crashkernel_reserved)")
    if ram is None:
        return Result(CHECK_ID, Status.SKIP, "RAM size unknown")
    wanted = parse_crashkernel(table).requested(ram) or 0
    basis = "kdump-utils" if family == RHEL else "kdump-utils table used as a reference"
    facts = (
        Fact("/sys/kernel/kexec_crash_size", str(reserved), f">= {wanted}"),
        Fact("RAM", str(ram), None),
        Fact(f"recommended for {arch} ({basis})", table, None),
    )
    if reserved >= wanted:
        return Result(
            CHECK_ID,
            Status.OK,
            f"{format_size(reserved)} reserved, {format_size(wanted)} recommended "
            f"for {format_size(ram)} of RAM",
            facts=facts,
        )
    return Result(
        CHECK_ID,
        Status.WARN,
        f"{format_size(reserved)} reserved, below the {format_size(wanted)} recommended "
        f"for {format_size(ram)} of RAM ({basis})",
        for_family(family, *FIX),
        facts,
    )
