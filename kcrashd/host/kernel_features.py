"""Diagnosis aids the kernel may offer: EDAC, KFENCE, netconsole, console log level."""

from __future__ import annotations

from typing import List, Optional, Tuple

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_module_param


def edac_controllers(root: Root) -> List[str]:
    return root.glob("/sys/devices/system/edac/mc/mc[0-9]*")


def kfence_sample_interval(root: Root) -> Optional[int]:
    """KFENCE's sample interval in ms (0: disabled); None: kernel built without KFENCE."""
    value = read_module_param(root, "kfence", "sample_interval")
    return None if value is None else int(value)


def netconsole_targets(root: Root) -> Tuple[bool, List[str]]:
    """(netconsole module present, configured targets: configfs dirs and netconsole= values)."""
    present = root.is_dir("/sys/module/netconsole")
    targets = root.glob("/sys/kernel/config/netconsole/*")
    return present, targets


def console_loglevels(root: Root) -> Optional[Tuple[int, ...]]:
    """/proc/sys/kernel/printk: console, default message, minimum console, default console."""
    text = root.read_value("/proc/sys/kernel/printk")
    return None if text is None else tuple(int(x) for x in text.split())


_VM_VENDORS = (
    "qemu",
    "kvm",
    "vmware",
    "virtualbox",
    "innotek",
    "xen",
    "microsoft",
    "amazon ec2",
    "google",
    "bochs",
    "parallels",
    "openstack",
    "firecracker",
)


def is_virtual(root: Root) -> bool:
    """A virtual machine: DMI names a hypervisor vendor or the CPU has the hypervisor flag."""
    dmi = " ".join(
        (root.read_value(f"/sys/class/dmi/id/{k}") or "").lower()
        for k in ("sys_vendor", "product_name", "bios_vendor")
    )
    if any(v in dmi for v in _VM_VENDORS):
        return True
    for line in (root.read_optional("/proc/cpuinfo") or "").splitlines():
        if line.startswith("flags"):
            return " hypervisor" in line
    return False
