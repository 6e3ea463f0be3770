"""dump_target_config: every branch, and the mount table it judges writability from."""

from __future__ import annotations

import pytest

from kcrashd.checks.checklist import dump_target_config
from kcrashd.host.kdump_config import KdumpSetup, debian_setup, rhel_setup
from kcrashd.host.mounts import containing, parse_mountinfo, parse_mounts, unescape
from kcrashd.model import Status

# /proc/self/mountinfo of this machine's root and of a process under ProtectSystem=strict
# (the bind of /var made read-only in its namespace), plus a filesystem the kernel
# remounted read-only after an error (errors=remount-ro), as mountinfo shows them.
MOUNTINFO = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict
89 67 254:0 /var /var ro,relatime - ext4 /dev/vda rw,discard,resv_strict
95 27 8:17 / /srv/crash ro,relatime - xfs /dev/sdb1 ro,attr2,inode64,noquota
96 27 0:55 / /mnt/nfs\\040crash rw,relatime - nfs4 nas:/crash rw,vers=4.2
"""
MOUNTS = "/dev/sda2 / ext4 rw,relatime,errors=remount-ro 0 0\n/dev/sdb1 /srv xfs ro 0 0\n"

MOUNTS_PARSED = parse_mountinfo(MOUNTINFO)
DEB = debian_setup("USE_KDUMP=1\n")


def mount(path: str):
    return containing(MOUNTS_PARSED, path)


def test_mountinfo_keeps_the_view_and_the_filesystem_apart():
    var = mount("/var/crash")
    assert var.mount_point == "/var" and var.view_read_only and not var.filesystem_read_only
    srv = mount("/srv/crash/x")
    assert srv.filesystem_read_only and srv.fstype == "xfs" and srv.source == "/dev/sdb1"
    assert mount("/mnt/nfs crash/a").fstype == "nfs4"  # \040 is a space
    assert mount("/varnish").mount_point == "/"  # a prefix of a name is not a parent
    assert unescape(r"a\134b\011c") == "a\\b\tc"
    assert parse_mountinfo("garbage\n27 1 254:0 / / rw - ext4\n") == []


def test_proc_mounts_is_the_fallback():
    mounts = parse_mounts(MOUNTS + "short line\n")
    assert len(mounts) == 2
    assert containing(mounts, "/srv/crash").filesystem_read_only
    assert not containing(mounts, "/var/crash").filesystem_read_only


def test_a_later_mount_on_the_same_point_hides_the_earlier_one():
    text = MOUNTINFO + "97 89 0:60 / /var rw - tmpfs tmpfs ro\n"
    assert containing(parse_mountinfo(text), "/var/crash").fstype == "tmpfs"


NFS = rhel_setup("nfs nas.example.com:/export/crash\n")
XFS = rhel_setup("xfs UUID=0f1e2d3c\npath /crash\n")
RHEL = rhel_setup("path /var/crash\n")
ON_NFS = debian_setup('KDUMP_COREDIR="/mnt/nfs crash"\n')
ON_RO = debian_setup("KDUMP_COREDIR=/srv/crash\n")

# (setup, is_dir, mount table read, family, status, phrase of the summary)
CASES = (
    (KdumpSetup(family=None), True, True, "debian", "SKIP", "no kdump configuration"),
    (NFS, True, True, "rhel", "INFO", "remote dump target nfs nas.example.com"),
    (XFS, False, True, "rhel", "OK", "on xfs UUID=0f1e2d3c"),
    (DEB, False, True, "debian", "WARN", "kdump-config creates it"),
    (RHEL, False, True, "rhel", "CRIT", "mkdumprd will not build"),
    (ON_NFS, True, True, "debian", "WARN", "is on nfs4"),
    (ON_RO, True, True, "debian", "WARN", "read-only filesystem (/dev/sdb1, xfs)"),
    (DEB, True, True, "debian", "OK", "dumps go to /var/crash"),  # read-only view only
    (DEB, True, False, "debian", "OK", "no mount table: writability not judged"),
)


@pytest.mark.parametrize("setup,is_dir,table,family,status,phrase", CASES)
def test_judge(setup, is_dir, table, family, status, phrase):
    found = mount(setup.coredir) if table else None
    r = dump_target_config.judge(setup, is_dir, found, family)
    assert r.status.value == status and phrase in r.summary, r.summary
    assert (r.fix is not None) == (r.status in (Status.WARN, Status.CRIT))
    if setup is ON_RO:
        assert "findmnt -n -o TARGET -T /srv/crash" in r.fix  # not the sandbox's mount point
