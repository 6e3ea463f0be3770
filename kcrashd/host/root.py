"""Root: where a host path is read from (the live host or another tree)."""

from __future__ import annotations

import glob
import os
from typing import List, Optional

# Bounded reads: sysfs and procfs files are small, but a fixture or a broken mount must not
# make a reader swallow gigabytes.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
READ_CHUNK = 256 * 1024


class Root:
    """Maps absolute host paths ("/proc/sys/kernel/panic") to the file that is read.

    `Root("/")` is the live host; `Root("/mnt/image")` or a fixture tree reads the same
    paths under that directory. Only code in `kcrashd/host/` reads through it.
    """

    def __init__(self, base: str = "/") -> None:
        self.base = os.path.abspath(base)

    @property
    def is_live(self) -> bool:
        return self.base == "/"

    def path(self, host_path: str) -> str:
        if not host_path.startswith("/"):
            raise ValueError(f"host path must be absolute: {host_path!r}")
        if self.is_live:
            return host_path
        return os.path.join(self.base, host_path.lstrip("/"))

    def read_bytes(self, host_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """Up to max_bytes, to the end of the file. Plain os.read: a buffered file object
        costs more than the read itself for the small procfs and sysfs files (a watcher
        reads hundreds per tick)."""
        fd = os.open(self.path(host_path), os.O_RDONLY | os.O_CLOEXEC)
        try:
            chunks = []
            left = max_bytes
            while left > 0:
                chunk = os.read(fd, min(left, READ_CHUNK))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_text(self, host_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
        return self.read_bytes(host_path, max_bytes).decode("utf-8", "replace")

    def read_optional(self, host_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Optional[str]:
        """The text of a file, or None when it does not exist (other errors propagate)."""
        try:
            return self.read_text(host_path, max_bytes)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read_value(self, host_path: str) -> Optional[str]:
        """A one-value sysfs/procfs file, stripped; None when missing."""
        text = self.read_optional(host_path, 65536)
        return None if text is None else text.strip()

    def exists(self, host_path: str) -> bool:
        return os.path.exists(self.path(host_path))

    def is_dir(self, host_path: str) -> bool:
        return os.path.isdir(self.path(host_path))

    def listdir(self, host_path: str) -> List[str]:
        """Sorted entries of a directory; empty when it does not exist."""
        try:
            return sorted(os.listdir(self.path(host_path)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def glob(self, pattern: str) -> List[str]:
        """Host paths matching a pattern, sorted; `**` matches any depth of directories."""
        found = glob.glob(self.path(pattern), recursive=True)
        if self.is_live:
            return sorted(found)
        cut = len(self.base)
        return sorted(p[cut:] or "/" for p in found)

    def stat(self, host_path: str) -> os.stat_result:
        return os.stat(self.path(host_path))

    def statvfs(self, host_path: str) -> os.statvfs_result:
        return os.statvfs(self.path(host_path))

    def __repr__(self) -> str:
        return f"Root({self.base!r})"
