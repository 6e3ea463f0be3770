"""crashkernel_size_adequate: the reservation is big enough for the capture kernel."""

from __future__ import annotations

from typing import List, Optional, Tuple

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.cmdline import format_size, parse_crashkernel
from kcrashd.host.distro import RHEL
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crashkernel_size_adequate"
TITLE = "Crash reservation large enough"
AREA = "kernel"
EXPLAIN = (
    "Compares the reserved size with what the distribution itself would reserve for this much "
    "RAM: kdump-utils' kdumpctl get-default-crashkernel tables per architecture (kdumpctl "
    "estimate is not run because it may rebuild the initrd), which start at 2G; below 2G the "
    "family's own small-host default: RHEL 8/9 kexec-tools' 1G-4G range, Debian kdump-tools' "
    "crashkernel=384M-:128M. Debian has no estimator, so above 2G the kdump-utils table is a "
    "reference there. An undersized reservation makes the capture kernel run out of memory "
    "or fail to load drivers, so no vmcore is written."
)
# kdump-utils kdump_get_arch_recommend_crashkernel at HEAD (readiness-checks.md section 2.1)
RECOMMENDED = {
    "x86_64": "2G-64G:256M,64G-:512M",
    "s390x": "2G-64G:256M,64G-:512M",
    "aarch64": "2G-4G:256M,4G-64G:320M,64G-:576M",
    "ppc64le": "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
}
# Below 2G: RHEL 8/9 kexec-tools' kdump-lib.sh (the same function before kdump-utils) ...
RHEL9_SMALL = {
    "x86_64": "1G-4G:192M,4G-64G:256M,64G-:512M",
    "s390x": "1G-4G:192M,4G-64G:256M,64G-:512M",
    "aarch64": "1G-4G:256M,4G-64G:320M,64G-:576M",
}
# ... and Debian kdump-tools 1.8.1's /etc/default/grub.d/kdump-tools.cfg (any architecture).
DEBIAN_DEFAULT = "384M-:128M"
FIX = (
    "raise crashkernel= in /etc/default/grub.d/kdump-tools.cfg (for example "
    "crashkernel=2G-64G:256M,64G-:512M), then update-grub && reboot, and verify with a test crash",
    "kdumpctl reset-crashkernel --kernel=ALL && reboot "
    '(or grubby --update-kernel=ALL --args="crashkernel=<bigger>"), then verify with a test crash',
)


def run(host: HostView) -> Result:
    return judge(host.kexec.crash_size, host.ram, host.arch, host.family)


def tables(arch: str, family: str) -> List[Tuple[str, str]]:
    """(whose table, table) in the order they apply: kdump-utils' from 2G, then the family's
    own default for smaller hosts."""
    head = RECOMMENDED.get(arch, RECOMMENDED["x86_64"])
    if family != RHEL:
        return [
            ("kdump-utils table used as a reference", head),
            ("kdump-tools default", DEBIAN_DEFAULT),
        ]
    small = RHEL9_SMALL.get(arch)
    return [("kdump-utils", head)] + ([("RHEL 8/9 kexec-tools", small)] if small else [])


def recommendation(ram: int, arch: str, family: str) -> Tuple[int, str, str]:
    """(bytes, table, whose) for `ram`; bytes 0 when every table leaves so little RAM out."""
    candidates = tables(arch, family)
    for basis, table in candidates:
        wanted = parse_crashkernel(table).requested(ram)
        if wanted:
            return wanted, table, basis
    return 0, " | ".join(t for _, t in candidates), ", ".join(b for b, _ in candidates)


def smallest_covered(table_list: str) -> int:
    """The least RAM any of the ` | `-joined tables asks a reservation for."""
    return min(parse_crashkernel(t).ranges[0][0] for t in table_list.split(" | "))


def judge(reserved: Optional[int], ram: Optional[int], arch: str, family: str) -> Result:
    if not reserved:
        return Result(CHECK_ID, Status.SKIP, "nothing reserved (see crashkernel_reserved)")
    if ram is None:
        return Result(CHECK_ID, Status.SKIP, "RAM size unknown")
    wanted, table, basis = recommendation(ram, arch, family)
    facts = (
        Fact("/sys/kernel/kexec_crash_size", str(reserved), f">= {wanted}" if wanted else None),
        Fact("RAM", str(ram), None),
        Fact(f"recommended for {arch} ({basis})", table, None),
    )
    if not wanted:
        return Result(
            CHECK_ID,
            Status.INFO,
            f"{format_size(reserved)} reserved; no distribution default covers "
            f"{format_size(ram)} of RAM (the smallest starts at "
            f"{format_size(smallest_covered(table))}), so there is no size to compare with",
            facts=facts,
        )
    if reserved >= wanted:
        return Result(
            CHECK_ID,
            Status.OK,
            f"{format_size(reserved)} reserved, {format_size(wanted)} recommended "
            f"for {format_size(ram)} of RAM ({basis})",
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
