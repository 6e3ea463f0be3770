"""Which block devices are disks worth asking SMART about, and when they come and go.

`is_smart_candidate` is the pure filter (tested against udev-shaped property maps);
`discover` enumerates with pyudev on the live host, or lists /sys/block under another root;
`DiskMonitor` follows hotplug with a pyudev Monitor that the disk job drains without blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Tuple

from kcrashd.host.root import Root

# Kernel names of virtual or non-disk block devices: no SMART behind them.
VIRTUAL_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd", "zd", "drbd", "rbd")


@dataclass(frozen=True)
class Disk:
    name: str  # kernel name: sda, nvme0n1
    devnode: str  # /dev/sda
    model: Optional[str] = None


def is_smart_candidate(name: str, props: Mapping[str, str]) -> Tuple[bool, str]:
    """(keep?, why) for one block device given its kernel name and udev properties."""
    if props.get("DEVTYPE", "disk") != "disk" or props.get("ID_PART_ENTRY_NUMBER"):
        return False, "partition"
    if name.startswith(VIRTUAL_PREFIXES):
        return False, "virtual device"
    if props.get("DM_NAME") or props.get("DM_UUID") or props.get("MD_LEVEL"):
        return False, "device-mapper or md device"
    if props.get("ID_CDROM") == "1" or props.get("ID_TYPE") == "cd/dvd":
        return False, "optical drive"
    return True, "disk"


def _disk_from_udev(device: Any) -> Optional[Disk]:
    props = dict(device.properties)
    keep, _why = is_smart_candidate(device.sys_name, props)
    if not keep or not device.device_node:
        return None
    return Disk(device.sys_name, device.device_node, props.get("ID_MODEL"))


def discover(root: Root) -> List[Disk]:
    if not root.is_live:
        return _discover_sysfs(root)
    import pyudev  # the daemon needs it, `kcrashd check` does not

    disks = []
    for dev in pyudev.Context().list_devices(subsystem="block", DEVTYPE="disk"):
        disk = _disk_from_udev(dev)
        if disk:
            disks.append(disk)
    return sorted(disks, key=lambda d: d.name)


def _discover_sysfs(root: Root) -> List[Disk]:
    """/sys/block lists whole disks only; those without a `device` link are virtual."""
    out = []
    for name in root.listdir("/sys/block"):
        if not root.exists(f"/sys/block/{name}/device"):
            continue
        keep, _ = is_smart_candidate(name, {})
        if keep:
            model = root.read_value(f"/sys/block/{name}/device/model")
            out.append(Disk(name, f"/dev/{name}", model))
    return out


class DiskMonitor:
    """Hotplug of whole disks through a udev netlink monitor, polled without blocking.

    Started before the first enumeration so a disk that appears in between is not missed.
    """

    def __init__(self) -> None:
        import pyudev

        self.monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        # Filtered in the kernel: the daemon is not woken for other devices.
        self.monitor.filter_by(subsystem="block", device_type="disk")
        self.monitor.start()

    def events(self, limit: int = 1000) -> List[Tuple[str, Disk]]:
        """Pending (action, disk) pairs, action 'add' or 'remove'; never blocks."""
        out: List[Tuple[str, Disk]] = []
        for _ in range(limit):
            device = self.monitor.poll(timeout=0)
            if device is None:
                break
            action = device.action
            if action == "remove":
                # Attributes are gone on remove: identity comes from the event.
                out.append((action, Disk(device.sys_name, device.device_node or "")))
            elif action in ("add", "change"):
                disk = _disk_from_udev(device)
                if disk:
                    out.append(("add", disk))
        return out
