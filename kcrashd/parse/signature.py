"""A stable signature for deduplication: kind, guilty function and the few callers below it.

`kind:function:digest`, the digest a SHA-1 of the kind, the guilty function and at most
FRAMES_BELOW meaningful frames called it (the frames under the guilty one in its own trace,
not infrastructure, clone suffixes and syscall prefixes removed); for reports without a guilty
function, the first meaningful frames of the trace. `kind:function:` alone is the coarse
signature (the same bug wherever it was reached from); the digest tells two call paths apart
near the bug and ignores everything further down (the syscall, the worker, the interrupt that
happened to be running). Addresses, offsets, PIDs and timestamps never enter it, so the same
crash on another boot, build or KASLR offset gets the same signature.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence

from kcrashd.model import Frame
from kcrashd.parse.digest import sha1_hex
from kcrashd.parse.guilty import skipped, strip_syscall_prefix

FRAMES_BELOW = 3
_DETAIL_KEYS = {
    "oom_kill": ("victim_comm", "constraint"),
    "mce": ("bank",),
    "io_error": ("device",),
}


def meaningful_below(function: Optional[str], frames: Sequence[Frame]) -> List[str]:
    """Up to FRAMES_BELOW meaningful frame names under `function` in `frames` (from the top of
    `frames` when the function is not among them)."""
    names = [strip_syscall_prefix(f.function) for f in frames if f.reliable and f.function]
    start = names.index(function) + 1 if function in names else 0
    out: List[str] = []
    for name in names[start:]:
        if len(out) >= FRAMES_BELOW:
            break
        if name != function and not skipped(name) and (not out or out[-1] != name):
            out.append(name)
    return out


def signature(
    kind: str,
    function: Optional[str],
    frames: Sequence[Frame],
    details: Optional[Mapping[str, Any]] = None,
) -> str:
    parts: List[str] = [kind, function or "-"] + meaningful_below(function, frames)
    for key in _DETAIL_KEYS.get(kind, ()):
        value = (details or {}).get(key)
        if value is not None:
            parts.append(f"{key}={value}")
    digest = sha1_hex("|".join(parts).encode("utf-8", "replace"))[:16]
    return f"{kind}:{function or '-'}:{digest}"
