"""Fix texts: the exact command or config line for this host's distro family."""

from __future__ import annotations

from kcrashd.host.distro import DEBIAN, RHEL

SYSCTL_FILE = "/etc/sysctl.d/90-kcrashd.conf"


def for_family(family: str, debian: str, rhel: str) -> str:
    """The fix for `family`; both, labelled, when the family is not known."""
    if family == DEBIAN:
        return debian
    if family == RHEL:
        return rhel
    return f"Debian/Ubuntu: {debian} | RHEL/Fedora: {rhel}"


def sysctl_fix(key: str, value: object) -> str:
    return f"printf '{key} = {value}\\n' >> {SYSCTL_FILE} && sysctl --system"


def reload_kdump(family: str) -> str:
    return for_family(
        family,
        "kdump-config load (or systemctl restart kdump-tools), then kdump-config status",
        "systemctl restart kdump (or kdumpctl restart), then kdumpctl status",
    )


def grub_args(family: str, args: str) -> str:
    return for_family(
        family,
        f"add {args} to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub.d/kdump-tools.cfg, "
        "then update-grub && reboot",
        f'grubby --update-kernel=ALL --args="{args}" && reboot',
    )
