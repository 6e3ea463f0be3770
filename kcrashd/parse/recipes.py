"""Stack recipes: which frames of a report are candidates for the guilty function.

Each report format has a recipe (which frames, in which order, with which recipe role of the
infrastructure table); guilty.py then takes the first candidate that is not infrastructure.
When a recipe finds nothing, the first non-infrastructure frame of the report's own traces
(then the workqueue function dump_stack named) is taken, so that only a report whose every
frame is infrastructure has no guilty function.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from kcrashd.parse import frames as fr
from kcrashd.parse import guilty as gu
from kcrashd.parse import rules as ru
from kcrashd.parse import scan as sn
from kcrashd.parse.headers import Header

_IN_FUNC = re.compile(r" in:? (?P<rest>[A-Za-z_][\w.]*(?:\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)?)")
_WQ_LAST = re.compile(r"last function: ([A-Za-z_][\w.]*)")
# report names whose kind carries no guilty function (the process killed, the device)
NO_FUNCTION = ("oom", "oom_killed", "mce", "io_error", "syz", "go_fatal")


class Report(NamedTuple):
    header: Header
    text: str  # the header line from where the header matched
    lines: Sequence[str]
    sc: sn.Scan


def header_function(text: str) -> Optional[str]:
    """The function a header names after " in " (KASAN, KCSAN, stack-protector panics)."""
    m = _IN_FUNC.search(text)
    if not m:
        return None
    found = fr.site_function(m.group("rest"))
    return found if found else m.group("rest")


def _own_sections(sc: sn.Scan) -> List[sn.Section]:
    """Sections of the reporting task's own stack, in order."""
    return [s for s in sc.sections if s.frames and s.role in (sn.TRACE, sn.BACKTRACE)]


def first_trace(sc: sn.Scan) -> List[str]:
    secs = _own_sections(sc)
    return gu.reliable_names(secs[0].frames) if secs else []


def backtrace(sc: sn.Scan) -> List[str]:
    """lockdep's "stack backtrace:" (the current task), else the first trace."""
    for sec in sc.sections:
        if sec.role == sn.BACKTRACE and sec.frames:
            return gu.reliable_names(sec.frames)
    return first_trace(sc)


def rip_top(sc: sn.Scan) -> List[str]:
    """The instruction pointer when it was printed before the trace (the faulting function);
    an IP printed inside the trace is already a frame in its place."""
    return [f.function for f in sc.top_rips if f.function][:1]


def stall_names(sc: sn.Scan) -> List[str]:
    """Frames of the stalled code: below the interrupt that reported the stall (the first
    trace that shows one), else after the trace's interrupt-exit tag."""
    secs = _own_sections(sc)
    below = {id(s): gu.after_interrupt([f.function or "" for f in s.frames]) for s in secs}
    for sec in sorted(secs, key=lambda s: below[id(s)] is None):
        frames = sec.frames
        names_below = below[id(sec)]
        if names_below is not None:
            frames = frames[len(frames) - len(names_below) :]
        elif sec.irq_end > 0:
            frames = frames[sec.irq_end :]
        names = gu.reliable_names(frames)
        if names:
            return names
    return []


def _fallback(sc: sn.Scan) -> Optional[str]:
    names = [n for sec in _own_sections(sc) for n in gu.reliable_names(sec.frames)]
    found = gu.first_usable(names)
    if found is None and sc.workqueue and not gu.skipped(sc.workqueue):
        found = sc.workqueue
    return found


# ---- one recipe per report format -------------------------------------------------------


def _faulting(r: Report, names: List[Optional[str]], extra: Optional[str] = None) -> Optional[str]:
    """A fault, BUG or warning: the first usable frame from the top, stopping at a dispatch
    anchor; when all of them are infrastructure, the instruction pointer itself (the
    infrastructure faulted with no other caller in sight)."""
    found = gu.first_usable(names, extra, stop_at_anchor=True)
    if found is None:
        top = rip_top(r.sc)
        if top and not ru.is_address(top[0]):
            found = gu.strip_syscall_prefix(top[0])
    return found


def _sanitizer(r: Report) -> Optional[str]:
    head = header_function(r.text)
    if r.header.name == "kcsan" and head:
        return gu.strip_syscall_prefix(head)  # "data-race in f / g": KCSAN named them
    return _faulting(r, [head] + first_trace(r.sc))


def _ubsan(r: Report) -> Optional[str]:
    return gu.first_usable(first_trace(r.sc))


def _leak(r: Report) -> Optional[str]:
    return gu.first_usable(first_trace(r.sc), ru.LEAK)


def _hung_task(r: Report) -> Optional[str]:
    return gu.hung_task_frame(first_trace(r.sc))


def _rcu_stall(r: Report) -> Optional[str]:
    return gu.stall_frame(stall_names(r.sc), ru.RCU_STALL)


def _soft_lockup(r: Report) -> Optional[str]:
    rips = [f.function for f in r.sc.rips if f.function][:1]
    return gu.stall_frame(rips + first_trace(r.sc))


def _lockdep(r: Report) -> Optional[str]:
    """kernel/locking/lockdep.c: the function taking (releasing, freeing) the lock in the
    current task; for circular or recursive locking next where it took the lock it already
    holds; for an irq-safe -> irq-unsafe dependency next the irq-safe use of that lock; for
    locks still held, where they were taken; then the current task's stack."""
    sc, text = r.sc, r.text
    candidates: List[Optional[str]] = []
    if sc.lock_site:
        candidates.append(sc.lock_site)
    elif "locks held" in text or "lock held" in text:
        candidates.extend(sc.held_sites)
    if "circular locking" in text or "recursive locking" in text:
        candidates.append(sc.holding_site)
    if "-safe -> " in text:
        traces = [s for s in sc.sections if s.role == sn.LOCK_TRACE and s.frames]
        if traces:
            candidates.extend(gu.reliable_names(traces[0].frames))
    candidates.extend(backtrace(sc))
    return gu.first_usable(candidates)


def _panic(r: Report) -> Optional[str]:
    head = header_function(r.text)
    if head:
        return gu.first_usable([head])
    if "stack" in r.text:  # stack overflow, corrupted stack end: measured like a stall
        return gu.stall_frame(first_trace(r.sc))
    return gu.first_usable(rip_top(r.sc) + first_trace(r.sc))


def _warning(r: Report) -> Optional[str]:
    head = fr.frame_function_in(r.text)
    return _faulting(r, [head] + rip_top(r.sc) + first_trace(r.sc))


def _bug(r: Report) -> Optional[str]:
    if "workqueue leaked" in r.text:
        for line in r.lines[1:8]:
            m = _WQ_LAST.search(line)
            if m:
                return m.group(1)
    return _default(r)


def _kernel_bug(r: Report) -> Optional[str]:
    return _faulting(r, rip_top(r.sc) + first_trace(r.sc), ru.BUG_SKB)


def _alloc_failure(r: Report) -> Optional[str]:
    # warn_alloc() dumps the allocator's stack: the first frame outside it asked for memory
    return gu.first_usable(first_trace(r.sc))


def _default(r: Report) -> Optional[str]:
    return _faulting(r, rip_top(r.sc) + first_trace(r.sc))


def _none(r: Report) -> Optional[str]:
    return None


RECIPES: Dict[str, Callable[[Report], Optional[str]]] = {
    "kasan": _sanitizer,
    "kfence": _sanitizer,
    "kmsan": _sanitizer,
    "kcsan": _sanitizer,
    "ubsan": _ubsan,
    "leak": _leak,
    "hung_task": _hung_task,
    "rcu_stall": _rcu_stall,
    "soft_lockup": _soft_lockup,
    "lockdep_bug": _lockdep,
    "lockdep_warning": _lockdep,
    "panic": _panic,
    "trusty": _panic,
    "rust_panic": _panic,
    "warning": _warning,
    "lockdep_at": _warning,
    "bug": _bug,
    "kernel_bug": _kernel_bug,
    "alloc_failure": _alloc_failure,
    **{name: _none for name in NO_FUNCTION},
}


def guilty(header: Header, text: str, lines: Sequence[str], sc: sn.Scan) -> Optional[str]:
    """The guilty function of a report, or None when none can be named."""
    r = Report(header, text, lines, sc)
    found = RECIPES.get(header.name, _default)(r)
    if found is None and header.name not in NO_FUNCTION:
        found = _fallback(sc)
    return found
