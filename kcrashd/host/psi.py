"""Pressure Stall Information: /proc/pressure/{memory,io,cpu,irq}."""

from __future__ import annotations

from typing import Dict, Optional

from kcrashd.host.root import Root

Pressure = Dict[str, Dict[str, float]]  # {"some": {"avg10": 0.0, ...}, "full": {...}}


def parse_psi(text: str) -> Pressure:
    """`some avg10=.. avg60=.. avg300=.. total=..` lines; unknown prefixes and keys are ignored
    (irq has only a `full` line, cpu `full` is absent before 5.13)."""
    out: Pressure = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0] not in ("some", "full"):
            continue
        values: Dict[str, float] = {}
        for item in parts[1:]:
            key, sep, raw = item.partition("=")
            if not sep:
                continue
            try:
                values[key] = float(raw)
            except ValueError:
                continue
        out[parts[0]] = values
    return out


def read_psi(root: Root, resource: str) -> Optional[Pressure]:
    """None when PSI is not available (CONFIG_PSI=n: no file; psi=0: EOPNOTSUPP)."""
    try:
        text = root.read_optional(f"/proc/pressure/{resource}", 4096)
    except OSError:
        return None
    return None if text is None else parse_psi(text)
