"""/proc/cmdline and the `crashkernel=` grammar (Documentation/admin-guide/kernel-parameters)."""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional, Tuple

from kcrashd.host.root import Root

_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
_SIZE = re.compile(r"^(\d+)([KMGTP]?)$", re.I)


def read_cmdline(root: Root) -> Optional[str]:
    return root.read_value("/proc/cmdline")


def tokens(cmdline: str) -> List[str]:
    """Kernel parameters; everything after `--` belongs to init and is dropped."""
    out: List[str] = []
    for tok in _TOKEN.findall(cmdline or ""):
        if tok == "--":
            break
        out.append(tok.replace('"', ""))
    return out


def values(toks: List[str], name: str) -> List[str]:
    """Every value of `name=` (a bare `name` gives an empty string)."""
    out = []
    for t in toks:
        key, eq, value = t.partition("=")
        if key == name:
            out.append(value if eq else "")
    return out


def parse_size(text: str) -> int:
    m = _SIZE.match(text.strip())
    if not m:
        raise ValueError(f"bad size {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


class Crashkernel(NamedTuple):
    """One `crashkernel=` value. `ranges` are (start, end or None, size); end is exclusive."""

    raw: str
    size: Optional[int] = None
    ranges: Tuple[Tuple[int, Optional[int], int], ...] = ()
    offset: Optional[int] = None
    suffix: str = ""  # "", "high", "low", "cma"
    auto: bool = False

    def requested(self, ram_bytes: Optional[int]) -> Optional[int]:
        """Bytes this asks for on a host with `ram_bytes` of RAM (None: RAM unknown)."""
        if self.size is not None:
            return self.size
        if self.auto:
            return None
        if ram_bytes is None:
            return None
        for start, end, size in self.ranges:
            if ram_bytes >= start and (end is None or ram_bytes < end):
                return size
        return 0


def parse_crashkernel(raw: str) -> Crashkernel:
    """Parse one value; raises ValueError with the reason on a malformed one."""
    text = raw.strip()
    if text == "auto":
        return Crashkernel(raw, auto=True)
    suffix = ""
    if "," in text and ":" not in text:
        text, _, suffix = text.partition(",")
        if suffix not in ("high", "low", "cma"):
            raise ValueError(f"unknown crashkernel suffix {suffix!r}")
    elif ":" in text and text.rsplit(",", 1)[-1] in ("high", "low", "cma"):
        text, _, suffix = text.rpartition(",")
    offset = None
    if "@" in text:
        text, _, off = text.partition("@")
        offset = parse_size(off)
    if ":" not in text:
        return Crashkernel(raw, size=parse_size(text), offset=offset, suffix=suffix)
    ranges = []
    for part in text.split(","):
        rng, colon, size = part.partition(":")
        start, dash, end = rng.partition("-")
        if not colon or not dash:
            raise ValueError(f"bad crashkernel range {part!r}")
        ranges.append((parse_size(start), parse_size(end) if end else None, parse_size(size)))
    return Crashkernel(raw, ranges=tuple(ranges), offset=offset, suffix=suffix)


def format_size(n: Optional[int]) -> str:
    if n is None:
        return "unknown"
    for unit, div in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= div:
            return f"{n / div:.4g}{unit}"
    return f"{n}B"
