"""kexec/kdump state in sysfs and procfs (Documentation/ABI/testing/sysfs-kernel-kexec-kdump)."""

from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_int, read_sysctl_int

CRASH_LOADED = "/sys/kernel/kexec_crash_loaded"
CRASH_SIZE = "/sys/kernel/kexec_crash_size"
VMCOREINFO = "/sys/kernel/vmcoreinfo"
LOCKDOWN = "/sys/kernel/security/lockdown"


class KexecState(NamedTuple):
    crash_loaded: Optional[int]  # None: the kernel has no kdump support
    crash_size: Optional[int]  # bytes reserved (main + low region)
    fadump_enabled: Optional[int]
    fadump_registered: Optional[int]
    fadump_reserved: Optional[int]
    load_disabled: Optional[int]
    load_limit_panic: Optional[int]
    lockdown: Optional[str]  # the active level: none, integrity, confidentiality


def _first(root: Root, *paths: str) -> Optional[int]:
    for p in paths:
        value = read_int(root, p)
        if value is not None:
            return value
    return None


def parse_lockdown(text: Optional[str]) -> Optional[str]:
    """`[none] integrity confidentiality` -> `none`."""
    if not text:
        return None
    for word in text.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return None


def parse_vmcoreinfo(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """`0x0000000100c66000 1024` -> (address, size); the size is hex without 0x."""
    if not text:
        return None
    addr, size = text.split()[:2]
    return int(addr, 16), int(size, 16)


def read_kexec(root: Root) -> KexecState:
    return KexecState(
        crash_loaded=read_int(root, CRASH_LOADED),
        crash_size=read_int(root, CRASH_SIZE),
        fadump_enabled=_first(root, "/sys/kernel/fadump/enabled", "/sys/kernel/fadump_enabled"),
        fadump_registered=_first(
            root, "/sys/kernel/fadump/registered", "/sys/kernel/fadump_registered"
        ),
        fadump_reserved=read_int(root, "/sys/kernel/fadump/mem_reserved"),
        load_disabled=read_sysctl_int(root, "kernel.kexec_load_disabled"),
        load_limit_panic=read_sysctl_int(root, "kernel.kexec_load_limit_panic"),
        lockdown=parse_lockdown(root.read_value(LOCKDOWN)),
    )


def read_vmcoreinfo(root: Root) -> Optional[Tuple[int, int]]:
    return parse_vmcoreinfo(root.read_value(VMCOREINFO))
