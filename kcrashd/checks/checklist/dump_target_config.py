"""dump_target_config: the dump has somewhere to go."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import RHEL
from kcrashd.host.kdump_config import KdumpSetup
from kcrashd.model import Fact, Result, Status

CHECK_ID = "dump_target_config"
TITLE = "Dump target defined and usable"
AREA = "dump"
EXPLAIN = (
    "Debian: KDUMP_COREDIR (default /var/crash) and NFS/SSH/FTP in /etc/default/kdump-tools. "
    "RHEL: path (default /var/crash) and the target line (raw, nfs, ssh, <fstype> <device>) in "
    "/etc/kdump.conf. A local directory must exist and be writable; on RHEL mkdumprd refuses "
    "to build the capture initramfs when it is missing. A network or FUSE filesystem under a "
    "local path may not be mountable by the capture kernel."
)
NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "fuse", "fuse.sshfs", "glusterfs", "ceph", "9p")
FIX = (
    'mkdir -p {dir} (or set KDUMP_COREDIR= in /etc/default/kdump-tools; remote: NFS="host:/export"'
    ' or SSH="user@host" and kdump-config propagate)',
    "mkdir -p {dir} (or set path / an 'xfs UUID=...' target in /etc/kdump.conf), then "
    "kdumpctl restart",
)


def run(host: HostView) -> Result:
    setup = host.kdump
    d = setup.coredir
    mount = host.mount_of(d)
    return judge(
        setup,
        host.root.is_dir(d),
        host.writable(d) if host.privileged else None,
        mount[1] if mount else None,
        host.family,
    )


def judge(
    setup: KdumpSetup, is_dir: bool, writable: Optional[bool], fstype: Optional[str], family: str
) -> Result:
    if setup.family is None:
        return Result(CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)")
    d = setup.coredir
    facts = (
        Fact(
            setup.source or "",
            f"dir={d} remote={setup.remote or 'none'} device={setup.local_device or 'none'}",
            None,
        ),
        Fact(d, "directory" if is_dir else "absent", "writable directory"),
    )
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
    if fstype in NETWORK_FS:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{d} is on {fstype}, which the capture kernel may "
            "not mount without a matching target line",
            fix,
            facts,
        )
    if writable is False:
        return Result(
            CHECK_ID, Status.WARN, f"{d} is not writable (read-only filesystem?)", fix, facts
        )
    note = "" if writable else " (writability needs root to test)"
    return Result(CHECK_ID, Status.OK, f"dumps go to {d}{note}", facts=facts)
