"""Picking the guilty function from candidate frames, with the infrastructure table.

The guilty function is the first frame that is not reporting, sanitizer, allocator,
locking, string, user-copy or other infrastructure code (DESIGN.md section 6); what is
infrastructure is the table in infrastructure.py, compiled by rules.py. Recipes (which frames
are candidates for which report) live in recipes.py.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence

from kcrashd.model import Frame
from kcrashd.parse import rules as ru

_SYSCALL_ARCH = re.compile(r"^__(?:x64|ia32|arm64|riscv|s390x|s390|x32|powerpc)_(?=\w)")
_SYSCALL_SE = re.compile(r"^__(?:se|do)_(?=(?:compat_)?sys_)")
_SYSCALL_SYS = re.compile(r"^(?:compat_)?(?:SyS_|ksys_)(?=\w)")


def strip_syscall_prefix(name: str) -> str:
    """`__x64_sys_rmdir` -> `sys_rmdir`; `ksys_mount`, `compat_SyS_mount` -> `mount`; compiler
    clone suffixes (`.cold`, `.isra.0`, `.constprop.0`) dropped: the function is the same."""
    name = ru.clean_name(name)
    name = _SYSCALL_ARCH.sub("", name)
    name = _SYSCALL_SE.sub("", name)
    return _SYSCALL_SYS.sub("", name)


def skipped(name: str, extra: Optional[str] = None) -> bool:
    """Infrastructure (or the recipe's `extra` role): never the guilty function."""
    return ru.rules().infrastructure(name, extra)


def _serves_infrastructure(names: Sequence[str], i: int, extra: Optional[str]) -> bool:
    """Whether the stack walker at names[i] walks for infrastructure: the first frame below
    it that is not a walker is infrastructure, or there is none."""
    for name in names[i + 1 :]:
        if not _is(ru.WALK, name):
            return skipped(name, extra)
    return True


def first_usable(
    names: Iterable[Optional[str]], extra: Optional[str] = None, stop_at_anchor: bool = False
) -> Optional[str]:
    """The first name that survives the table, syscall prefixes stripped.

    With `stop_at_anchor`, a dispatch anchor that is the faulting frame is the answer: the
    fault is in the dispatcher itself (a corrupted timer or work list), or in a callback it
    reached through a corrupted pointer (only an indirect-call thunk is above it)."""
    listed = [n for n in names if n]
    for i, name in enumerate(listed):
        if stop_at_anchor and _is(ru.ANCHOR, name) and all(_is(ru.THUNK, n) for n in listed[:i]):
            return strip_syscall_prefix(name)
        if skipped(name, extra):
            continue
        if _is(ru.WALK, name) and _serves_infrastructure(listed, i, extra):
            continue
        return strip_syscall_prefix(name)
    return None


def reliable_names(frames: Sequence[Frame]) -> List[str]:
    """Frame names, dropping `? f` frames unless the trace has nothing else."""
    good = [f.function for f in frames if f.reliable and f.function]
    if good:
        return good
    return [f.function for f in frames if f.function]


def _is(role: str, name: str) -> bool:
    return ru.rules().has(role, name)


def after_interrupt(names: Sequence[str]) -> Optional[List[str]]:
    """The frames below the first interrupt-entry frame, or None when there is none."""
    for i, name in enumerate(names):
        if _is(ru.IRQ_ENTRY, name):
            return list(names[i + 1 :])
    return None


def stall_frame(names: Sequence[str], extra: Optional[str] = None) -> Optional[str]:
    """The frame just above the first dispatch anchor (the work a syscall, worker or timer
    got stuck in); when every frame above it is infrastructure, the one it called. A CPU
    waiting in smp_call_function* for other CPUs' IPI handlers is reported as that wait
    (kernel/smp.c)."""
    for name in names:
        if name.startswith("smp_call_function"):
            return "smp_call_function"
    for i, name in enumerate(names):
        if _is(ru.ANCHOR, name):
            above = [n for n in names[:i] if not skipped(n, extra)]
            if above:
                return strip_syscall_prefix(above[-1])
            if i > 0 and not is_reporting(names[i - 1]):
                return strip_syscall_prefix(names[i - 1])
            break
    return first_usable(names, extra)


def is_reporting(name: str) -> bool:
    """Interrupt entry or infrastructure that is part of every stall's report."""
    return _is(ru.IRQ_ENTRY, name) or _is(ru.RCU_STALL, name)


def hung_task_frame(names: Sequence[str]) -> Optional[str]:
    """A named wait (rtnl_lock, synchronize_*) anywhere wins; else the first frame outside
    the blocking waits."""
    for name in names:
        if _is(ru.HUNG_ANSWER, name):
            return "synchronize_rcu" if "synchronize_" in name else name
    return first_usable(names, ru.HUNG_WAIT) or first_usable(names)
