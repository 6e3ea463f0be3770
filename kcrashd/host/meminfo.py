"""/proc/meminfo: `Key:  <int> kB` lines into a dict of KiB (HugePages_* are counts)."""

from __future__ import annotations

import re
from typing import Dict, NamedTuple, Optional

from kcrashd.host.root import Root

_LINE = re.compile(r"^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$")


def parse_meminfo(text: str) -> Dict[str, int]:
    """Every `Key: value` line; legacy 2.4 header lines (`Mem: ...`) are skipped."""
    out: Dict[str, int] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class Memory(NamedTuple):
    total_kb: int
    available_kb: int
    available_estimated: bool  # no MemAvailable (kernel < 3.14): computed from MemFree & co.
    swap_total_kb: int
    swap_free_kb: int

    @property
    def available_percent(self) -> float:
        return 100.0 * self.available_kb / self.total_kb if self.total_kb else 100.0

    @property
    def swap_used_percent(self) -> Optional[float]:
        """None without swap: never divide by SwapTotal 0."""
        if self.swap_total_kb <= 0:
            return None
        return 100.0 * (self.swap_total_kb - self.swap_free_kb) / self.swap_total_kb


def memory_from(values: Dict[str, int]) -> Memory:
    if "MemTotal" not in values:
        raise ValueError("meminfo has no MemTotal line")
    estimated = "MemAvailable" not in values
    if estimated:
        # The approximation free(1) documents for kernels without MemAvailable.
        available = (
            values.get("MemFree", 0)
            + values.get("Buffers", 0)
            + values.get("Cached", 0)
            + values.get("SReclaimable", 0)
            - values.get("Shmem", 0)
        )
    else:
        available = values["MemAvailable"]
    return Memory(
        total_kb=values["MemTotal"],
        available_kb=max(0, available),
        available_estimated=estimated,
        swap_total_kb=values.get("SwapTotal", 0),
        swap_free_kb=values.get("SwapFree", 0),
    )


def read_meminfo(root: Root) -> Dict[str, int]:
    return parse_meminfo(root.read_text("/proc/meminfo"))


def read_memory(root: Root) -> Memory:
    return memory_from(read_meminfo(root))
