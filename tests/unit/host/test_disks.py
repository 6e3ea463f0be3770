"""Disk discovery filtering against udev data from a real host, and a real pyudev Context."""

from __future__ import annotations

import os
import stat

from kcrashd.host.disks import _discover_sysfs, discover, is_smart_candidate
from kcrashd.host.root import Root
from tests.conftest import SHARED

# Kernel names by major number (Documentation/admin-guide/devices.txt; 252-254 and 259 are
# dynamic: device-mapper, virtio-blk and NVMe on the host the data came from).
NAMES = {8: "sd{}", 11: "sr{}", 179: "mmcblk{}", 252: "dm-{}", 254: "vd{}", 259: "nvme0n{}"}


def _udev(name: str):
    props = {}
    for line in (SHARED / "fixtures" / "udev" / "run-udev-data" / name).read_text().splitlines():
        if line.startswith("E:"):
            k, _, v = line[2:].partition("=")
            props[k] = v
    major, minor = (int(x) for x in name[1:].split(":"))
    if major == 8:
        kname = "sd" + "abcdefgh"[minor // 16]
    elif major == 179:
        kname = "mmcblk0" + (f"p{minor}" if minor else "")
        props["DEVTYPE"] = "partition" if minor else "disk"
    else:
        kname = NAMES[major].format(minor if major != 259 else minor + 1)
    return kname, props


def test_filter_udev_data():
    kept = set()
    for f in (SHARED / "fixtures" / "udev" / "run-udev-data").iterdir():
        name, props = _udev(f.name)
        if is_smart_candidate(name, props)[0]:
            kept.add(name)
    assert kept == {"sda", "sdb", "sdc", "nvme0n1", "mmcblk0", "vd0"}


def test_filter_reasons():
    assert is_smart_candidate("sda1", {"DEVTYPE": "partition"}) == (False, "partition")
    assert is_smart_candidate("loop0", {})[0] is False
    assert is_smart_candidate("zram0", {"DEVTYPE": "disk"})[0] is False
    assert is_smart_candidate("dm-0", {"DM_NAME": "x"})[0] is False
    assert is_smart_candidate("sr0", {"ID_CDROM": "1"})[0] is False


def test_live_pyudev_discovery_finds_the_disks_sysfs_shows():
    # The live path (pyudev) and the path for another root (/sys/block) read the same
    # kernel: on this host they must name the same whole disks, and real ones. A machine
    # without any disk cannot run this test (CI machines have a virtio disk).
    live = discover(Root("/"))
    from_sysfs = _discover_sysfs(Root("/"))
    assert from_sysfs, "this host has no whole disk in /sys/block: nothing to discover"
    assert [(d.name, d.devnode) for d in live] == [(d.name, d.devnode) for d in from_sysfs]
    for d in live:
        assert stat.S_ISBLK(os.stat(d.devnode).st_mode), d.devnode
        assert os.path.exists(f"/sys/block/{d.name}/device"), d.name  # not a virtual device


def test_sysfs_discovery_under_another_root(tmp_path):
    for name, real in (("sda", True), ("loop0", False), ("vdb", True), ("zram0", False)):
        d = tmp_path / "sys" / "block" / name
        d.mkdir(parents=True)
        if real:
            (d / "device").mkdir()
            (d / "device" / "model").write_text("QEMU HARDDISK   \n")
    found = discover(Root(str(tmp_path)))
    assert [(d.name, d.devnode, d.model) for d in found] == [
        ("sda", "/dev/sda", "QEMU HARDDISK"),
        ("vdb", "/dev/vdb", "QEMU HARDDISK"),
    ]
