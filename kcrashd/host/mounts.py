"""The mount table: which mount holds a path, and whether it is read-only for everyone or
only in this mount namespace.

/proc/self/mountinfo (proc(5)) keeps two sets of flags apart: the per-mount options (field
6), which a sandbox changes (systemd's ProtectSystem=strict bind-mounts /var read-only in
the service's namespace), and the super options after the `-` separator, which belong to
the filesystem itself. What the capture kernel meets is the filesystem: it mounts the
device again, outside any sandbox. /proc/mounts merges both into one set and is only the
fallback for a root that has no mountinfo.
"""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional, Tuple

from kcrashd.host.root import Root

_OCTAL = re.compile(r"\\([0-7]{3})")


class Mount(NamedTuple):
    mount_point: str
    fstype: str
    source: str
    options: Tuple[str, ...]  # this mount's flags (ro/rw, nosuid ...) in this namespace
    super_options: Tuple[str, ...]  # the filesystem's own flags

    @property
    def filesystem_read_only(self) -> bool:
        return "ro" in self.super_options

    @property
    def view_read_only(self) -> bool:
        """Read-only through this mount, whatever the filesystem allows."""
        return "ro" in self.options


def unescape(field: str) -> str:
    """The kernel writes space, tab, newline and backslash as \\040 \\011 \\012 \\134."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> List[Mount]:
    """`36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`."""
    out = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        f, r = left.split(), right.split()
        if not sep or len(f) < 6 or len(r) < 2:
            continue
        supers = tuple(r[2].split(",")) if len(r) > 2 else ()
        out.append(Mount(unescape(f[4]), r[0], unescape(r[1]), tuple(f[5].split(",")), supers))
    return out


def parse_mounts(text: str) -> List[Mount]:
    """/proc/mounts (`source point fstype options 0 0`): one merged set of options."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        opts = tuple(f[3].split(","))
        out.append(Mount(unescape(f[1]), f[2], unescape(f[0]), opts, opts))
    return out


def containing(mounts: List[Mount], host_path: str) -> Optional[Mount]:
    """The mount that holds host_path: the longest mount point above it, and of those the
    last mounted (a later mount on the same point hides the earlier one)."""
    best: Optional[Mount] = None
    for m in mounts:
        mp = m.mount_point
        inside = host_path == mp or host_path.startswith(mp.rstrip("/") + "/")
        if inside and (best is None or len(mp) >= len(best.mount_point)):
            best = m
    return best


def read_mounts(root: Root) -> List[Mount]:
    text = root.read_optional("/proc/self/mountinfo")
    if text is not None:
        return parse_mountinfo(text)
    return parse_mounts(root.read_optional("/proc/mounts") or "")


def mount_of(root: Root, host_path: str) -> Optional[Mount]:
    return containing(read_mounts(root), host_path)
