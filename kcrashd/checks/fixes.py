"""Fix texts: the exact command or config line for this host's distro family.

`kcrashd fix` reads the sysctl a fix text sets back with `sysctl_setting`, so the value it
writes is the one the check itself names.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

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


# compiled by `kcrashd fix` only (re caches it), not by every `kcrashd check`
_SYSCTL_FIX = (
    r"^printf '(?P<key>[\w.]+) = (?P<value>[^'\\]+)\\n' >> "
    + re.escape(SYSCTL_FILE)
    + r" && sysctl --system$"
)


def sysctl_setting(fix: Optional[str]) -> Optional[Tuple[str, str]]:
    """(key, value) of a fix text made by sysctl_fix; None for any other fix."""
    m = re.match(_SYSCTL_FIX, fix or "")
    return (m.group("key"), m.group("value")) if m else None


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
