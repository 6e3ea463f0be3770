"""/etc/os-release -> the distro family whose kdump tooling applies (debian or rhel)."""

from __future__ import annotations

import shlex
from typing import Dict

from kcrashd.host.root import Root

DEBIAN = "debian"
RHEL = "rhel"
UNKNOWN = "unknown"

_DEBIAN_IDS = {"debian", "ubuntu", "linuxmint", "raspbian", "devuan", "pop", "kali"}
_RHEL_IDS = {"rhel", "fedora", "centos", "almalinux", "rocky", "ol", "amzn", "circle", "eurolinux"}


def parse_os_release(text: str) -> Dict[str, str]:
    """KEY=value lines (shell quoting); comments and malformed lines are ignored."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
        except ValueError:
            continue
        out[key.strip()] = parts[0] if parts else ""
    return out


def family_of(fields: Dict[str, str]) -> str:
    ids = [fields.get("ID", "").lower()] + fields.get("ID_LIKE", "").lower().split()
    for i in ids:
        if i in _DEBIAN_IDS:
            return DEBIAN
        if i in _RHEL_IDS:
            return RHEL
    return UNKNOWN


def read_os_release(root: Root) -> Dict[str, str]:
    text = root.read_optional("/etc/os-release") or root.read_optional("/usr/lib/os-release")
    return parse_os_release(text or "")
