"""File handles: /proc/sys/fs/file-nr and per-process `Max open files` from /proc/PID/limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from kcrashd.host.root import Root


@dataclass(frozen=True)
class FileNr:
    allocated: int
    maximum: int

    @property
    def percent(self) -> float:
        return 100.0 * self.allocated / self.maximum if self.maximum > 0 else 0.0


def parse_file_nr(text: str) -> FileNr:
    """Three integers (allocated, unused - always 0 since 2.6, max); tabs in the kernel's
    output, but split on any whitespace."""
    parts = text.split()
    if len(parts) != 3:
        raise ValueError(f"file-nr: expected 3 numbers, got {text.strip()!r}")
    return FileNr(allocated=int(parts[0]), maximum=int(parts[2]))


def read_file_nr(root: Root) -> FileNr:
    return parse_file_nr(root.read_text("/proc/sys/fs/file-nr", 4096))


_NOFILE = re.compile(r"^Max open files\s+(\S+)\s+(\S+)", re.M)


def parse_nofile_limit(limits_text: str) -> Optional[int]:
    """The soft RLIMIT_NOFILE from /proc/PID/limits; None when unlimited or absent."""
    m = _NOFILE.search(limits_text)
    if not m or m.group(1) == "unlimited":
        return None
    return int(m.group(1))
