"""crash_hotplug: CPU/memory hotplug keeps the loaded crash kernel's view valid."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crash_hotplug"
TITLE = "Hotplug keeps kdump valid"
AREA = "kernel"
EXPLAIN = (
    "Reads /sys/devices/system/{cpu,memory}/crash_hotplug (1: the kernel updates the kdump "
    "elfcorehdr itself) and looks for the udev rule that reloads kdump on hotplug "
    "(50-kdump-tools.rules on Debian, 98-kexec.rules on RHEL). After memory hotplug a stale "
    "elfcorehdr gives an incomplete or invalid vmcore."
)
CPU = "/sys/devices/system/cpu/crash_hotplug"
MEMORY = "/sys/devices/system/memory/crash_hotplug"
RULES = (
    "/lib/udev/rules.d/50-kdump-tools.rules",
    "/usr/lib/udev/rules.d/50-kdump-tools.rules",
    "/usr/lib/udev/rules.d/98-kexec.rules",
    "/lib/udev/rules.d/98-kexec.rules",
)
FIX = (
    "apt install --reinstall kdump-tools (restores /lib/udev/rules.d/50-kdump-tools.rules)",
    "dnf reinstall kdump-utils (kexec-tools on RHEL 8/9; restores 98-kexec.rules)",
)


def run(host: HostView) -> Result:
    rule = next((r for r in RULES if host.exists(r)), None)
    return judge(
        host.int_file(CPU), host.int_file(MEMORY), rule, host.kexec.crash_loaded, host.family
    )


def judge(
    cpu: Optional[int],
    memory: Optional[int],
    rule: Optional[str],
    loaded: Optional[int],
    family: str,
) -> Result:
    facts = (
        Fact(CPU, None if cpu is None else str(cpu), "1"),
        Fact(MEMORY, None if memory is None else str(memory), "1"),
        Fact("udev reload rule", rule or "absent", None),
    )
    if cpu is None and memory is None:
        return Result(
            CHECK_ID, Status.SKIP, "kernel without crash_hotplug files (older kernel)", facts=facts
        )
    if all(v in (None, 1) for v in (cpu, memory)):
        return Result(
            CHECK_ID, Status.OK, "the kernel updates kdump on hotplug itself", facts=facts
        )
    if rule:
        return Result(CHECK_ID, Status.OK, f"kdump is reloaded on hotplug by {rule}", facts=facts)
    if loaded != 1:
        return Result(
            CHECK_ID,
            Status.INFO,
            "no hotplug reload for kdump (matters once kdump is loaded)",
            facts=facts,
        )
    return Result(
        CHECK_ID,
        Status.WARN,
        "after CPU or memory hotplug the loaded crash kernel is stale (no reload rule)",
        for_family(family, *FIX),
        facts,
    )
