"""crashkernel_persistent: the next boot will reserve crash memory too."""

from __future__ import annotations

from typing import List

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.bootloader import GRUB, GRUB_BLS, UNKNOWN, ZIPL, BootPath
from kcrashd.host.distro import DEBIAN, RHEL
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crashkernel_persistent"
TITLE = "crashkernel= persists across reboot"
AREA = "kernel"
EXPLAIN = (
    "Finds the boot path this host really uses from what the running boot left behind "
    "(systemd-boot's and the UKI stub's EFI variables, GRUB's BOOT_IMAGE= on the command "
    "line) and compares this boot's crashkernel= with the configuration that path reads for "
    "the next boot: the grub.cfg entry (and the /etc/default/grub* templates update-grub "
    "regenerates it from), the BLS entry GRUB's blscfg, systemd-boot or zipl read (what "
    "grubby edits), or a UKI's embedded command line. A setting in a file no installed "
    "bootloader reads is not persistence: when the host was booted directly by a hypervisor "
    "or firmware, the next boot's command line cannot be seen from inside, and this check "
    "says so instead of OK."
)
FIX = (
    "put crashkernel= in GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub.d/kdump-tools.cfg, "
    "then update-grub",
    "kdumpctl reset-crashkernel --kernel=ALL (or grubby --update-kernel=ALL "
    '--args="crashkernel=<value>")',
)
REGENERATE = ("update-grub && reboot", "grub2-mkconfig -o /boot/grub2/grub.cfg && reboot")
GENERIC_FIX = (
    "add crashkernel= to the options line of the boot entry and to /etc/kernel/cmdline "
    "(kernel-install uses it for new kernels); for a UKI rebuild it with the new .cmdline"
)


def run(host: HostView) -> Result:
    return judge(host.params("crashkernel"), host.boot_path, host.family)


def facts_of(current: List[str], boot: BootPath) -> List[Fact]:
    facts = [
        Fact("/proc/cmdline", " ".join(current) or "none", None),
        Fact("boot path", f"{boot.loader}: {boot.evidence}", None),
    ]
    if boot.entry_source:
        facts.append(
            Fact(boot.entry_source, " ".join(boot.entry_values) or "none", "crashkernel=<size>")
        )
    if boot.template_sources:
        facts.append(Fact(", ".join(boot.template_sources), " ".join(boot.template_values), None))
    if boot.unread_sources:
        facts.append(
            Fact(
                ", ".join(boot.unread_sources),
                "crashkernel= set, but this boot path does not read it",
                None,
            )
        )
    return facts


def fix_for(boot: BootPath, family: str) -> str:
    if boot.loader == GRUB:
        return for_family(family, *FIX)
    if boot.loader in (GRUB_BLS, ZIPL) and family == RHEL:
        return FIX[1]
    return GENERIC_FIX


def judge(current: List[str], boot: BootPath, family: str) -> Result:
    facts = tuple(facts_of(current, boot))
    if boot.loader == UNKNOWN or boot.entry_source is None:
        return cannot_tell(current, boot, facts)
    where = boot.entry_source
    persisted = list(boot.entry_values)
    fix = fix_for(boot, family)
    if current and not persisted:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"crashkernel= is set for this boot but not in {where}: it vanishes at reboot",
            fix,
            facts,
        )
    if persisted and not current:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{where} has crashkernel={persisted[0]} but this boot has none: reboot pending",
            "reboot to apply it",
            facts,
        )
    if not persisted:
        if boot.loader == GRUB and boot.template_sources:
            return Result(
                CHECK_ID,
                Status.WARN,
                f"crashkernel= is in {', '.join(boot.template_sources)} but not in {where}: "
                "update-grub has not run since",
                for_family(family, *REGENERATE),
                facts,
            )
        return Result(
            CHECK_ID, Status.INFO, "no crashkernel= anywhere (see crashkernel_cmdline)", facts=facts
        )
    if family == DEBIAN and boot.loader == GRUB and not boot.template_values:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"crashkernel= is in {where} but not in /etc/default/grub*: "
            "the next update-grub drops it",
            fix,
            facts,
        )
    return Result(
        CHECK_ID,
        Status.OK,
        f"the next boot gets crashkernel={persisted[0]} ({boot.loader}: {where})",
        facts=facts,
    )


def cannot_tell(current: List[str], boot: BootPath, facts) -> Result:
    """INFO, never OK: the next boot's command line is out of sight."""
    if boot.loader == UNKNOWN:
        why = "cannot tell how this host boots"
    else:
        why = f"booted by {boot.loader}, but its configuration for this kernel was not found"
    if current:
        tail = (
            f"; this boot got crashkernel={current[0]} from whatever booted it "
            "(make sure that passes it every time)"
        )
    else:
        tail = ""
    return Result(CHECK_ID, Status.INFO, why + tail, facts=facts)
