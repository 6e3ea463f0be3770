"""A stable signature for deduplication: kind + guilty function + first meaningful frames.

Addresses, offsets, PIDs and timestamps never enter it, so the same crash on another boot
(or at another KASLR offset) gets the same signature.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence

from kcrashd.model import Frame
from kcrashd.parse.digest import sha1_hex
from kcrashd.parse.guilty import skipped, strip_syscall_prefix

FRAMES_IN_SIGNATURE = 4
_DETAIL_KEYS = {
    "oom_kill": ("victim_comm", "constraint"),
    "mce": ("bank",),
    "io_error": ("device",),
}


def signature(
    kind: str,
    function: Optional[str],
    frames: Sequence[Frame],
    details: Optional[Mapping[str, Any]] = None,
) -> str:
    parts: List[str] = [kind, function or "-"]
    seen = 0
    for f in frames:
        if seen >= FRAMES_IN_SIGNATURE:
            break
        if f.reliable and f.function and not skipped(f.function):
            name = strip_syscall_prefix(f.function)
            if name != function:
                parts.append(name)
                seen += 1
    for key in _DETAIL_KEYS.get(kind, ()):
        value = (details or {}).get(key)
        if value is not None:
            parts.append(f"{key}={value}")
    digest = sha1_hex("|".join(parts).encode("utf-8", "replace"))[:16]
    return f"{kind}:{function or '-'}:{digest}"
