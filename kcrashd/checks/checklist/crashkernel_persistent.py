"""crashkernel_persistent: the next boot will reserve crash memory too."""

from __future__ import annotations

from typing import List

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.bootloader import BootConfig
from kcrashd.host.distro import DEBIAN
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crashkernel_persistent"
TITLE = "crashkernel= persists across reboot"
AREA = "kernel"
EXPLAIN = (
    "Compares this boot's crashkernel= with the boot configuration the next boot will use: "
    "the default BLS entry (/boot/loader/entries, what grubby edits) or the grub.cfg entry, and "
    "the /etc/default/grub templates that update-grub regenerates grub.cfg from. Readiness must "
    "survive the next kernel update and reboot."
)
FIX = (
    "put crashkernel= in GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub.d/kdump-tools.cfg, "
    "then update-grub",
    "kdumpctl reset-crashkernel --kernel=ALL (or grubby --update-kernel=ALL "
    '--args="crashkernel=<value>")',
)


def run(host: HostView) -> Result:
    return judge(host.params("crashkernel"), host.boot_config, host.family)


def judge(current: List[str], boot: BootConfig, family: str) -> Result:
    if boot.entry_source is None and not boot.template_sources:
        return Result(
            CHECK_ID, Status.SKIP, "no GRUB or BLS boot configuration found (booted another way)"
        )
    persisted = list(boot.entry_values) if boot.entry_source else list(boot.template_values)
    where = boot.entry_source or ", ".join(boot.template_sources)
    facts = [
        Fact("/proc/cmdline", " ".join(current) or "none", None),
        Fact(where, " ".join(persisted) or "none", "crashkernel=<size>"),
    ]
    if boot.template_sources:
        facts.append(Fact(", ".join(boot.template_sources), " ".join(boot.template_values), None))
    fix = for_family(family, *FIX)
    if current and not persisted:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"crashkernel= is set for this boot but not in {where}: it vanishes at reboot",
            fix,
            tuple(facts),
        )
    if persisted and not current:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{where} has crashkernel={persisted[0]} but this boot has none: reboot pending",
            "reboot to apply it",
            tuple(facts),
        )
    if not persisted:
        return Result(
            CHECK_ID,
            Status.INFO,
            "no crashkernel= anywhere (see crashkernel_cmdline)",
            facts=tuple(facts),
        )
    if family == DEBIAN and boot.entry_source and not boot.template_values:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"crashkernel= is in {boot.entry_source} but not in /etc/default/grub*: "
            "the next update-grub drops it",
            fix,
            tuple(facts),
        )
    return Result(
        CHECK_ID,
        Status.OK,
        f"the next boot gets crashkernel={persisted[0]} ({where})",
        facts=tuple(facts),
    )
