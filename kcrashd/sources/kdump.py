"""kdump dump directories: Debian kdump-tools and RHEL/Fedora kdumpctl layouts.

Debian: `/var/crash/<YYYYMMDDHHMM>/dmesg.<stamp>` + `dump.<stamp>[.gz|.bz2|.xz|.lz4]`
(`dump-incomplete` while makedumpfile runs; the cp fallback writes `vmcore-incomplete`,
then `vmcore.<stamp>`). RHEL: `/var/crash/<host>-<YYYY-MM-DD-HH:MM:SS>/vmcore` +
`vmcore-dmesg.txt` (`vmcore-incomplete`, `vmcore-dmesg-incomplete.txt` while saving).
A dump left incomplete, without its dmesg, or empty is reported as such: it is still
evidence that the kernel crashed. Ubuntu apport's `*.crash` files are not dumps.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import List, Optional, Tuple

from kcrashd.host.root import Root
from kcrashd.parse.digest import sha256_hex  # not hashlib: no OpenSSL in the daemon

log = logging.getLogger(__name__)

MAX_DMESG_BYTES = 16 * 1024 * 1024
# What a usable dump starts with: kdump-compressed, flattened makedumpfile, ELF, or a
# compressor's magic (kdump-tools can pipe the dump through one).
_DUMP_MAGIC = (
    b"KDUMP   ",
    b"makedumpfile",
    b"\x7fELF",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x04\x22\x4d\x18",
)
_DEBIAN_DIR = re.compile(r"^(?:.+-)?(?P<stamp>\d{12})$")
_RHEL_DIR = re.compile(r"^(?P<host>.+)-(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}:\d{2}(?::\d{2})?)$")


@dataclass(frozen=True)
class KdumpDump:
    """One dump directory and what it holds."""

    path: str  # host path of the directory
    layout: str  # "debian" or "rhel"
    vmcore: Optional[str]  # host path of the dump file (complete or not)
    vmcore_bytes: Optional[int]
    dmesg_path: Optional[str]
    dmesg: Optional[str]  # text of the dmesg file
    complete: bool
    problems: Tuple[str, ...]  # why it is not a usable dump
    created: Optional[float]  # from the directory name, else its mtime
    fingerprint: str


def _stamp_time(layout: str, stamp: str) -> Optional[float]:
    fmt = "%Y%m%d%H%M" if layout == "debian" else "%Y-%m-%d-%H:%M:%S"
    if layout == "rhel" and stamp.count(":") == 1:
        fmt = "%Y-%m-%d-%H:%M"
    try:
        return time.mktime(time.strptime(stamp, fmt))
    except ValueError:
        return None


def _first(names: List[str], *patterns: str) -> Optional[str]:
    for pattern in patterns:
        rx = re.compile(pattern)
        for name in names:
            if rx.fullmatch(name):
                return name
    return None


def read_dump(root: Root, host_dir: str) -> Optional[KdumpDump]:
    """The dump in one directory, or None when it holds nothing kdump writes."""
    names = root.listdir(host_dir)
    base = host_dir.rstrip("/").rsplit("/", 1)[-1]
    debian_dmesg = _first(names, r"dmesg\.\d{12}")
    rhel_dmesg = _first(names, r"vmcore-dmesg\.txt", r"vmcore-dmesg-incomplete\.txt")
    debian_dump = _first(names, r"dump\.\d{12}(\.\w+)?", r"dump-incomplete(\.\w+)?")
    rhel_dump = _first(names, r"vmcore", r"vmcore\.\d{12}", r"vmcore\.flat", r"vmcore-incomplete")
    if not (debian_dmesg or rhel_dmesg or debian_dump or rhel_dump):
        return None
    layout = "debian" if (debian_dmesg or debian_dump or _DEBIAN_DIR.match(base)) else "rhel"
    dmesg_name = debian_dmesg or rhel_dmesg
    dump_name = debian_dump or rhel_dump
    problems: List[str] = []
    dump_path = f"{host_dir}/{dump_name}" if dump_name else None
    size = None
    if dump_path:
        try:
            size = root.stat(dump_path).st_size
            head = root.read_bytes(dump_path, 16)
        except OSError as exc:
            problems.append(f"cannot read {dump_name}: {exc}")
            head = b""
        if "incomplete" in dump_name:
            problems.append(f"{dump_name}: the capture did not finish")
        if size == 0:
            problems.append(f"{dump_name} is empty (0 bytes)")
        elif head and not head.startswith(_DUMP_MAGIC):
            problems.append(f"{dump_name} is not a makedumpfile, ELF or compressed dump")
    else:
        problems.append("no vmcore/dump file")
    dmesg_text = None
    dmesg_path = f"{host_dir}/{dmesg_name}" if dmesg_name else None
    if dmesg_path:
        if "incomplete" in dmesg_name:
            problems.append(f"{dmesg_name}: the capture did not finish")
        try:
            dmesg_text = root.read_text(dmesg_path, MAX_DMESG_BYTES)
        except OSError as exc:
            problems.append(f"cannot read {dmesg_name}: {exc}")
    else:
        problems.append("no dmesg file")
    m = _DEBIAN_DIR.match(base) if layout == "debian" else _RHEL_DIR.match(base)
    created = _stamp_time(layout, m.group("stamp")) if m else None
    if created is None:
        try:
            created = root.stat(host_dir).st_mtime
        except OSError:
            created = None
    # Same bytes as the old incremental hashlib digest, so stored fingerprints still match.
    fingerprint = sha256_hex(
        b"".join(name.encode() for name in (dmesg_name, dump_name) if name)
        + str(size).encode()
        + (dmesg_text or "").encode("utf-8", "replace")
    )
    return KdumpDump(
        path=host_dir,
        layout=layout,
        vmcore=dump_path,
        vmcore_bytes=size,
        dmesg_path=dmesg_path,
        dmesg=dmesg_text,
        complete=not problems,
        problems=tuple(problems),
        created=created,
        fingerprint=fingerprint[:32],
    )


def read_dumps(root: Root, directories: List[str]) -> List[KdumpDump]:
    """Every dump directory directly under the kdump directories, oldest first."""
    dumps = []
    for directory in directories:
        for name in root.listdir(directory):
            host_dir = f"{directory.rstrip('/')}/{name}"
            if not root.is_dir(host_dir):
                continue
            try:
                dump = read_dump(root, host_dir)
            except OSError as exc:
                log.warning("kdump: cannot read %s: %s", host_dir, exc)
                continue
            if dump is not None:
                dumps.append(dump)
    return sorted(dumps, key=lambda d: (d.created or 0, d.path))
