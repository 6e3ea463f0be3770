"""/proc/vmstat: `name value` counters."""

from __future__ import annotations

from typing import Dict

from kcrashd.host.root import Root


def parse_vmstat(text: str) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return out


def read_vmstat(root: Root) -> Dict[str, int]:
    return parse_vmstat(root.read_text("/proc/vmstat"))
