"""kexec_support: the kernel can load and run a crash kernel."""

from __future__ import annotations

from typing import Dict, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import DEBIAN
from kcrashd.host.kexec import CRASH_LOADED
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kexec_support"
TITLE = "Kernel supports kdump"
AREA = "kernel"
EXPLAIN = (
    "Verifies that the running kernel was built with kexec and crash dump support: "
    "/sys/kernel/kexec_crash_loaded exists only with CONFIG_KEXEC_CORE and CONFIG_CRASH_DUMP, "
    "and the kernel config (/boot/config-<release> or /proc/config.gz) should also have "
    "CONFIG_KEXEC or CONFIG_KEXEC_FILE, CONFIG_PROC_VMCORE and CONFIG_RELOCATABLE. Without "
    "them the kernel has nothing to jump to on panic and no vmcore can ever be taken."
)
FIX = (
    "install and boot the distro kernel: apt install linux-image-amd64 && reboot",
    "boot the distro kernel (dnf install kernel && reboot); custom kernels need CONFIG_KEXEC "
    "or CONFIG_KEXEC_FILE, CONFIG_CRASH_DUMP, CONFIG_PROC_VMCORE, CONFIG_RELOCATABLE",
)


OPTIONS = (
    "CONFIG_KEXEC",
    "CONFIG_KEXEC_FILE",
    "CONFIG_CRASH_DUMP",
    "CONFIG_PROC_VMCORE",
    "CONFIG_RELOCATABLE",
)


def run(host: HostView) -> Result:
    source, options = (None, {})
    if host.release:
        from kcrashd.host.kernel_config import read_kernel_config

        source, options = read_kernel_config(host.root, host.release, OPTIONS)
    return judge(
        host.kexec.crash_loaded is not None, source, options, host.family, host.kdump.kernel
    )


def judge(
    has_sysfs: bool,
    config_source: Optional[str],
    options: Dict[str, str],
    family: str,
    kdump_kernel: Optional[str] = None,
) -> Result:
    facts = [Fact(CRASH_LOADED, "present" if has_sysfs else "absent", "present")]
    if not has_sysfs:
        return Result(
            CHECK_ID,
            Status.CRIT,
            "the kernel has no kdump support (no /sys/kernel/kexec_crash_loaded)",
            for_family(family, *FIX),
            tuple(facts),
        )
    if config_source is None:
        return Result(
            CHECK_ID,
            Status.OK,
            "kernel supports kdump (kernel config not found)",
            facts=tuple(facts),
        )
    for opt in OPTIONS:
        facts.append(Fact(config_source, f"{opt}={options.get(opt, 'n')}", f"{opt}=y"))
    missing = [o for o in ("CONFIG_CRASH_DUMP", "CONFIG_PROC_VMCORE") if options.get(o) != "y"]
    if options.get("CONFIG_KEXEC") != "y" and options.get("CONFIG_KEXEC_FILE") != "y":
        missing.append("CONFIG_KEXEC or CONFIG_KEXEC_FILE")
    if family == DEBIAN and options.get("CONFIG_RELOCATABLE") != "y" and not kdump_kernel:
        missing.append("CONFIG_RELOCATABLE (or KDUMP_KERNEL in /etc/default/kdump-tools)")
    if missing:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"kernel config lacks {', '.join(missing)}",
            for_family(family, *FIX),
            tuple(facts),
        )
    return Result(CHECK_ID, Status.OK, "kernel supports kdump", facts=tuple(facts))
