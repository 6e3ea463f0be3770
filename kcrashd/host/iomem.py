"""/proc/iomem: the `Crash kernel` reservations and System RAM (kernel/resource.c r_show)."""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional, Tuple

from kcrashd.host.root import Root

_LINE = re.compile(r"^\s*([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.+?)\s*$")


class Iomem(NamedTuple):
    crash_ranges: Tuple[Tuple[int, int], ...]  # (start, end inclusive), one per region
    system_ram: int  # bytes in top-level System RAM ranges
    zeroed: bool  # every address printed as 0: read without CAP_SYS_ADMIN

    @property
    def crash_bytes(self) -> int:
        return sum(end - start + 1 for start, end in self.crash_ranges)


def parse_iomem(text: str) -> Iomem:
    crash: List[Tuple[int, int]] = []
    ram = 0
    nonzero = False
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        start, end, name = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        nonzero = nonzero or start != 0 or end != 0
        if name == "Crash kernel":
            crash.append((start, end))
        elif name == "System RAM" and not line.startswith(" "):
            ram += end - start + 1
    return Iomem(tuple(crash), ram, zeroed=bool(text.strip()) and not nonzero)


def read_iomem(root: Root) -> Optional[Iomem]:
    text = root.read_optional("/proc/iomem")
    return None if text is None else parse_iomem(text)
