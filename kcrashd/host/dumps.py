"""Dumps already written by kdump-tools or kdumpctl under the dump directory."""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

from kcrashd.host.root import Root

# What a good dump file starts with: makedumpfile -F (flattened), kdump-compressed, ELF,
# and Debian's KDUMP_COMPRESSION wrappers (gzip, bzip2, xz, lz4).
DUMP_MAGICS = (
    b"makedumpfile",
    b"KDUMP   ",
    b"\x7fELF",
    b"DISKDUMP",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x04\x22\x4d\x18",
)


class DumpDir(NamedTuple):
    name: str
    path: str
    mtime: float
    size: int
    files: Tuple[str, ...]
    problem: Optional[str]  # "incomplete", "empty dump file", "no dump header"; None when fine


def _is_dump_dir(name: str) -> bool:
    # Debian: 202406242344, RHEL: 127.0.0.1-2020-10-28-02:01:23, remote: host-2024...
    return name[:1].isdigit() or "-" in name


def inspect_dir(root: Root, path: str) -> Optional[DumpDir]:
    files = tuple(root.listdir(path))
    dumps = [f for f in files if f.startswith(("dump", "vmcore")) and "dmesg" not in f]
    if not dumps and not any("dmesg" in f for f in files):
        return None
    size = 0
    problem = None
    for f in files:
        st = root.stat(f"{path}/{f}")
        size += st.st_size
        if "incomplete" in f:
            problem = "incomplete"
        elif f in dumps and problem is None:
            if st.st_size == 0:
                problem = "empty dump file"
            elif not root.read_bytes(f"{path}/{f}", 16).startswith(DUMP_MAGICS):
                problem = "no dump header"
    return DumpDir(path.rsplit("/", 1)[-1], path, root.stat(path).st_mtime, size, files, problem)


def list_dumps(root: Root, coredir: str) -> List[DumpDir]:
    """Dump directories, newest first (apport's *.crash files and others are ignored)."""
    out = []
    for name in root.listdir(coredir):
        path = f"{coredir.rstrip('/')}/{name}"
        if _is_dump_dir(name) and root.is_dir(path):
            d = inspect_dir(root, path)
            if d is not None:
                out.append(d)
    return sorted(out, key=lambda d: d.mtime, reverse=True)
