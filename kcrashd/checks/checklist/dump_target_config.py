"""dump_target_config: the dump has somewhere to go."""

from __future__ import annotations

from typing import Optional, Tuple

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import RHEL
from kcrashd.host.kdump_config import KdumpSetup
from kcrashd.host.mounts import Mount
from kcrashd.model import Fact, Result, Status

CHECK_ID = "dump_target_config"
TITLE = "Dump target defined and usable"
AREA = "dump"
EXPLAIN = (
    "Debian: KDUMP_COREDIR (default /var/crash) and NFS/SSH/FTP in /etc/default/kdump-tools. "
    "RHEL: path (default /var/crash) and the target line (raw, nfs, ssh, <fstype> <device>) in "
    "/etc/kdump.conf. A local directory must exist on a filesystem that is not read-only; on "
    "RHEL mkdumprd refuses to build the capture initramfs when it is missing. Writability is "
    "judged from the filesystem's own flags in /proc/self/mountinfo, not by trying to write: "
    "the capture kernel mounts the filesystem afresh, so a read-only view of it (kcrashd's "
    "own sandbox, ProtectSystem=strict) does not matter, and the daemon and `kcrashd check` "
    "give the same answer; the dump is written by root, whom mode bits do not stop. A network "
    "or FUSE filesystem under a local path may not be mountable by the capture kernel."
)
NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "fuse", "fuse.sshfs", "glusterfs", "ceph", "9p")
FIX = (
    'mkdir -p {dir} (or set KDUMP_COREDIR= in /etc/default/kdump-tools; remote: NFS="host:/export"'
    ' or SSH="user@host" and kdump-config propagate)',
    "mkdir -p {dir} (or set path / an 'xfs UUID=...' target in /etc/kdump.conf), then "
    "kdumpctl restart",
)
# findmnt names the mount point in the namespace the fix is typed in, not the sandbox's.
READ_ONLY_FIX = (
    "find why the filesystem of {dir} is read-only (journalctl -k -b | grep -i -e read-only "
    '-e remount), then mount -o remount,rw "$(findmnt -n -o TARGET -T {dir})"; or move the '
    "dump directory to a writable filesystem"
)


def run(host: HostView) -> Result:
    setup = host.kdump
    d = setup.coredir
    return judge(setup, host.root.is_dir(d), host.mount_of(d), host.family)


def facts_of(setup: KdumpSetup, is_dir: bool, mount: Optional[Mount]) -> Tuple[Fact, ...]:
    d = setup.coredir
    facts = [
        Fact(
            setup.source or "",
            f"dir={d} remote={setup.remote or 'none'} device={setup.local_device or 'none'}",
            None,
        ),
        Fact(d, "directory" if is_dir else "absent", "directory on a writable filesystem"),
    ]
    if mount is not None:
        state = "read-only" if mount.filesystem_read_only else "read-write"
        facts.append(
            Fact(
                f"mount of {d}",
                f"{mount.source} ({mount.fstype}), filesystem {state}",
                "filesystem read-write",
            )
        )
    return tuple(facts)


def judge(
    setup: KdumpSetup,
    is_dir: bool,
    mount: Optional[Mount],
    family: str,
) -> Result:
    if setup.family is None:
        return Result(CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)")
    d = setup.coredir
    facts = facts_of(setup, is_dir, mount)
    fix = for_family(family, *FIX).replace("{dir}", d)
    if setup.remote:
        return Result(
            CHECK_ID,
            Status.INFO,
            f"remote dump target {setup.remote} (reachability not tested)",
            facts=facts,
        )
    if setup.local_device:
        return Result(CHECK_ID, Status.OK, f"dumps go to {d} on {setup.local_device}", facts=facts)
    if not is_dir:
        status = Status.CRIT if setup.family == RHEL else Status.WARN
        why = (
            "mkdumprd will not build the capture initramfs"
            if status is Status.CRIT
            else "kdump-config creates it at the next load"
        )
        return Result(CHECK_ID, status, f"dump directory {d} does not exist ({why})", fix, facts)
    fstype = mount.fstype if mount else None
    if fstype in NETWORK_FS:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{d} is on {fstype}, which the capture kernel may "
            "not mount without a matching target line",
            fix,
            facts,
        )
    if mount is not None and mount.filesystem_read_only:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{d} is on a read-only filesystem ({mount.source}, {mount.fstype})",
            READ_ONLY_FIX.replace("{dir}", d),
            facts,
        )
    note = "" if mount else " (no mount table: writability not judged)"
    return Result(CHECK_ID, Status.OK, f"dumps go to {d}{note}", facts=facts)
