"""kdump_loaded: a crash kernel is armed right now (the ground truth)."""

from __future__ import annotations

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family, reload_kdump
from kcrashd.host.kexec import CRASH_LOADED, KexecState
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kdump_loaded"
TITLE = "Crash kernel loaded"
AREA = "kdump"
EXPLAIN = (
    "Reads /sys/kernel/kexec_crash_loaded (1: a crash kernel is loaded) or, with fadump on "
    "ppc64, /sys/kernel/fadump/registered. This is exactly what kdumpctl status and "
    "kdump-config status test: if it is 0, a panic now gives no vmcore."
)


def run(host: HostView) -> Result:
    installed = bool(host.tool("kdump-config") or host.tool("kdumpctl"))
    return judge(host.kexec, installed, host.family)


def judge(k: KexecState, tooling: bool, family: str) -> Result:
    """`tooling`: kdump-config or kdumpctl is installed (else the fix is installing it)."""
    if k.fadump_enabled == 1:
        facts = (Fact("/sys/kernel/fadump/registered", str(k.fadump_registered), "1"),)
        if k.fadump_registered == 1:
            return Result(CHECK_ID, Status.OK, "fadump is registered", facts=facts)
        return Result(
            CHECK_ID,
            Status.CRIT,
            "fadump is enabled but not registered",
            reload_kdump(family),
            facts,
        )
    facts = (Fact(CRASH_LOADED, None if k.crash_loaded is None else str(k.crash_loaded), "1"),)
    if k.crash_loaded == 1:
        return Result(CHECK_ID, Status.OK, "a crash kernel is loaded", facts=facts)
    if k.crash_loaded is None:
        return Result(
            CHECK_ID,
            Status.CRIT,
            "no crash kernel can be loaded: the kernel has no kdump support (see kexec_support)",
            "boot a kernel with kdump support (see kexec_support)",
            facts,
        )
    fix = reload_kdump(family)
    if not k.crash_size:
        fix = "reserve crash memory first (see crashkernel_cmdline), reboot, then " + fix
    elif not tooling:
        fix = for_family(
            family,
            "apt install kdump-tools, then reboot",
            "dnf install kdump-utils && systemctl enable --now kdump",
        )
    return Result(
        CHECK_ID, Status.CRIT, "no crash kernel is loaded: a panic now gives no vmcore", fix, facts
    )
