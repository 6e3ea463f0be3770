"""One-value procfs/sysfs files: sysctls, module parameters, 0/1 flags."""

from __future__ import annotations

from typing import Optional

from kcrashd.host.root import Root


def sysctl_path(name: str) -> str:
    """`kernel.panic_on_oops` -> `/proc/sys/kernel/panic_on_oops`."""
    return "/proc/sys/" + name.replace(".", "/")


def read_sysctl(root: Root, name: str) -> Optional[str]:
    """The value, or None when the kernel (arch or config) has no such sysctl."""
    return root.read_value(sysctl_path(name))


def read_int(root: Root, host_path: str) -> Optional[int]:
    """A decimal file as int; None when missing. A non-number raises ValueError."""
    value = root.read_value(host_path)
    if value is None:
        return None
    return int(value.split()[0]) if value else 0


def read_int_or_none(root: Root, host_path: str) -> Optional[int]:
    """A one-integer sysfs file for watchers: None when missing, unreadable or not a number
    (a sensor or counter that fails this tick must not fail the others)."""
    try:
        # One small read: some drivers return EAGAIN and a read loop would spin.
        return int(root.read_text(host_path, 128).strip())
    except (OSError, ValueError):
        return None


def read_sysctl_int(root: Root, name: str) -> Optional[int]:
    return read_int(root, sysctl_path(name))


def module_param_path(module: str, param: str) -> str:
    return f"/sys/module/{module}/parameters/{param}"


def read_module_param(root: Root, module: str, param: str) -> Optional[str]:
    return root.read_value(module_param_path(module, param))


def parse_flag(value: Optional[str]) -> Optional[bool]:
    """`Y`/`N`/`1`/`0` as a bool; None when missing."""
    if value is None:
        return None
    return value.strip().upper() in ("Y", "1", "YES", "ON", "TRUE")
