"""crashkernel_cmdline: a crash memory reservation was requested for this boot."""

from __future__ import annotations

import re
from typing import List, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crashkernel_cmdline"
TITLE = "crashkernel= on the kernel command line"
AREA = "kernel"
EXPLAIN = (
    "Reads every crashkernel= parameter in /proc/cmdline (size, range list, ,high/,low/,cma) "
    "and, on ppc64, fadump=on. Without crashkernel= no memory is reserved, so kdump cannot be "
    "armed: kdump-config reports 'no crashkernel= parameter' and kdump.service skips itself. "
    "crashkernel=auto is a RHEL 7/8 extension that other kernels ignore."
)
FIX = (
    "apt install kdump-tools (it ships /etc/default/grub.d/kdump-tools.cfg with "
    "crashkernel=384M-:128M), or add crashkernel= to that file; then update-grub && reboot",
    "kdumpctl reset-crashkernel --kernel=ALL && reboot "
    '(or grubby --update-kernel=ALL --args="crashkernel=<value>")',
)


def run(host: HostView) -> Result:
    _, errors = host.crashkernels
    fadump = host.params("fadump")
    return judge(
        host.params("crashkernel"),
        errors,
        fadump[-1] if fadump else None,
        host.release or "",
        host.family,
    )


def judge(
    values: List[str], errors: List[str], fadump: Optional[str], release: str, family: str
) -> Result:
    facts = (
        Fact(
            "/proc/cmdline",
            " ".join(f"crashkernel={v}" for v in values) or "none",
            "crashkernel=<size>",
        ),
    )
    if not values:
        if fadump == "on":
            return Result(CHECK_ID, Status.OK, "fadump=on (firmware-assisted dump)", facts=facts)
        return Result(
            CHECK_ID,
            Status.CRIT,
            "no crashkernel= on the kernel command line",
            for_family(family, *FIX),
            facts,
        )
    if errors:
        return Result(CHECK_ID, Status.WARN, "; ".join(errors), for_family(family, *FIX), facts)
    if "auto" in values and not re.search(r"\.el[78]", release):
        return Result(
            CHECK_ID,
            Status.WARN,
            "crashkernel=auto is ignored by this kernel (only RHEL 7/8 kernels had it)",
            for_family(family, *FIX),
            facts,
        )
    return Result(
        CHECK_ID,
        Status.OK,
        "requested " + " ".join(f"crashkernel={v}" for v in values),
        facts=facts,
    )
