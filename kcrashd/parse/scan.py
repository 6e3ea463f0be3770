"""One pass over the lines of a report: stack sections, instruction pointers, registers,
who/where lines, and lockdep's lock sites.

Lines are classified by concern, in order: the end of the trace, stack tags, section markers,
identity lines (CPU/PID, taint, release, hardware, modules, Code:), instruction pointers and
registers, lockdep lock sites, frames.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kcrashd.model import Frame
from kcrashd.parse import frames as fr

MAX_FRAMES = 400  # deep enough for a stack overflow's recursion
MAX_SITES = 32
_RIP_START = re.compile(r"^(?:(?:RIP|EIP|IP|NIP|pc|PC|epc)\s*(?::|is at)|NIP \[|Krnl PSW :)")
# 2.6/3.x x86_64 "CPU 7 " and i386 "CPU:    1" on a line of their own, before "Pid:"
_OLD_CPU = re.compile(r"^CPU:?\s+(\d+)\s*$")
# i386 before 2.6.25: "EIP:    0060:[<f8a3c0b2>]    Tainted: P      VLI"
_EIP_TAINT = re.compile(r"^EIP:\s+\S+\s+(?:Not tainted|Tainted: (?P<taint>[A-Z][A-Z ]*?))\s+VLI")
_WORKQUEUE = re.compile(r"^Workqueue: \S+ (?P<fn>[A-Za-z_][\w.]*)")
# lockdep (kernel/locking/lockdep.c): the line after one of these names the lock the current
# task is acquiring, releasing or changing, ", at: <the function doing it>"
_SITE_INTRO = re.compile(
    r"(?:(?:is trying to acquire(?: lock)?|\] takes|just changed the state of lock"
    r"|is trying to lock):|with a lock still held there!)$"
)
# ... and the lock it already holds (circular and recursive locking, bad irq dependency)
_HOLDING_INTRO = re.compile(
    r"(?:but task is already holding lock|and this task is already holding):$"
)
# ... or the site is the frame printed on the next line (print_ip_sym)
_SITE_NEXT_FRAME = re.compile(r"is trying to (?:release|contend) lock \(.*\) at:$")
_HELD = re.compile(r"^#\d+:")
_AT_SITE = re.compile(r"(?:, at:|\bat:) (?:\[<[0-9a-fA-F]+>\] )?(?P<rest>\S.*)$")

# section roles
TRACE = "trace"
ALLOC = "alloc"  # the allocation or free stack of an object (sanitizers, SLUB debug)
LOCK_TRACE = "lock_trace"  # lockdep: where a lock was taken earlier ("... at:", "-> #1")
BACKTRACE = "backtrace"  # lockdep's "stack backtrace:": the current task
OTHER_TASK = "other_task"  # another task's stack printed for context
LAST_BREAK = "last_break"  # s390: the last branch taken, a register rather than a frame
_ALLOC_MARKERS = (
    "Allocated", "Freed", "Last potentially", "Second to last", "Uninit was", "page_owner",
    "page last", "INFO: Allocated in", "INFO: Freed in",
)  # fmt: skip


def _role(marker: str) -> str:
    if marker.startswith(_ALLOC_MARKERS):
        return ALLOC
    if marker.startswith("stack backtrace:"):
        return BACKTRACE
    if marker.startswith("-> #") or marker.endswith(" at:"):
        return LOCK_TRACE
    if marker.startswith("rcu: RCU grace-period kthread"):
        return OTHER_TASK
    if marker.startswith("Last Breaking-Event-Address:"):
        return LAST_BREAK
    return TRACE


class Section:
    __slots__ = ("marker", "role", "frames", "irq_end")

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.role = _role(marker)
        self.frames: List[Frame] = []
        self.irq_end = -1  # index in frames after the last interrupt exit seen


class Scan:
    """What one pass over the report lines found."""

    def __init__(self) -> None:
        self.sections: List[Section] = []
        self.rips: List[Frame] = []
        self.top_rips: List[Frame] = []  # instruction pointers printed before any frame
        self.registers: Dict[str, str] = {}
        self.who: Optional[Dict[str, Any]] = None
        self.taint_line: Optional[str] = None
        self.kernel_line: Optional[str] = None  # release from a taint or banner line
        self.taint_letters: Optional[str] = None
        self.old_cpu: Optional[int] = None
        self.hardware: Optional[str] = None
        self.modules: List[str] = []
        self.code: Optional[str] = None
        self.workqueue: Optional[str] = None  # "Workqueue: events foo_work": the work function
        self.lock_site: Optional[str] = None  # lockdep: the function taking/releasing the lock
        self.holding_site: Optional[str] = None  # lockdep: where it took the lock it holds
        self.held_sites: List[str] = []  # lockdep: where each held lock was taken
        self.nframes = 0

    def frames(self) -> Tuple[Frame, ...]:
        return tuple(f for sec in self.sections if sec.role != LAST_BREAK for f in sec.frames)


class _Walker:
    def __init__(self) -> None:
        self.sc = Scan()
        self.cur: Optional[Section] = None
        self.site_expected = ""  # the next line is lockdep's "primary" or "holding" lock line
        self.site_frame_expected = False  # the next frame is lockdep's primary site
        self.modules_open = False  # a "Modules linked in:" list may continue on the next line

    def line(self, raw: str) -> bool:
        """Read one line; False once the trace has ended."""
        st = raw.strip()
        if not st:
            return True
        if st.startswith("---[ end trace"):
            # what follows is the register dump printed again and the panic echo
            return False
        while st[:1] == "<":  # "<<EOE>>  <IRQ>  [<addr>] f+0x1/0x2": one tag per stack
            tag, st = fr.split_tag(st)
            if tag is None:
                break
            self.stack_tag(tag)
            if not st:
                return True
        if self.modules_open:
            self.modules_open = False
            if not st.startswith(("CPU", "Pid", "Hardware")) and fr.MODULES_MORE.match(st):
                self.sc.modules.extend(fr.module_names(st))
                self.modules_open = True
                return True
        if fr.is_marker(st):
            self.marker(st)
            return True
        if self.identity(st) or self.pointer(st) or self.lock_line(st):
            return True
        self.frame(st)
        return True

    def stack_tag(self, tag: str) -> None:
        if self.cur is not None and tag in fr.IRQ_EXIT_TAGS:
            self.cur.irq_end = len(self.cur.frames)

    def marker(self, st: str) -> None:
        sc, cur = self.sc, self.cur
        if _SITE_NEXT_FRAME.search(st):
            self.site_frame_expected = True
        role = _role(st)
        heading = cur is not None and (not cur.frames or all(f in sc.rips for f in cur.frames))
        if heading and (
            role == TRACE
            and cur.role in (TRACE, BACKTRACE, OTHER_TASK)
            or not cur.frames
            and role != TRACE
        ):
            # a heading and its "Call Trace:" are one section ("stack backtrace:", "NMI
            # backtrace for cpu 1" + its RIP, "Sending NMI from CPU 0 to CPUs 1:")
            if role != TRACE:
                cur.role = role
            if cur.role != BACKTRACE:
                cur.marker = st[:48]
            return
        self.cur = Section(st[:48])
        sc.sections.append(self.cur)

    def identity(self, st: str) -> bool:
        """CPU/PID, taint and release, hardware, modules, Code:, workqueue lines."""
        sc = self.sc
        if sc.who is None and ("PID: " in st or st.startswith(("Pid: ", "Process "))):
            who = fr.parse_who(st)
            if who:
                if who["cpu"] is None and sc.old_cpu is not None:
                    who["cpu"] = sc.old_cpu
                sc.who = who
                return True
        if st.startswith("CPU") and sc.old_cpu is None:
            m = _OLD_CPU.match(st)
            if m:
                sc.old_cpu = int(m.group(1))
                return True
        if st.startswith("Hardware name:"):
            sc.hardware = sc.hardware or fr.parse_hardware(st)
            return True
        if st.startswith("Modules linked in:"):
            if not sc.modules:
                sc.modules = list(fr.parse_modules(st) or ())
                self.modules_open = True
            return True
        if st.startswith("Code:"):
            sc.code = sc.code or fr.parse_code(st)
            return True
        if st.startswith("Workqueue: "):
            m = _WORKQUEUE.match(st)
            sc.workqueue = sc.workqueue or (m.group("fn") if m else None)
            return True
        return self.taint(st)

    def taint(self, st: str) -> bool:
        sc = self.sc
        if st.startswith("Tainted: [") and sc.taint_line is None:
            sc.taint_line = st  # 6.10+: "Tainted: [W]=WARN, [O]=OOT_MODULE"
            return True
        if st.startswith("EIP:") and sc.taint_letters is None and "ainted" in st:
            m = _EIP_TAINT.match(st)
            if m:
                sc.taint_letters = m.group("taint")
            return False  # the EIP line is read as an instruction pointer too
        if st.startswith("EFLAGS: ") and sc.kernel_line is None:
            m = fr.EFLAGS_RELEASE.match(st)
            if m:
                sc.kernel_line = m.group("kernel")
                return True
        if "ainted" in st and (st[:1].isdigit() or st.startswith(("Not", "Tainted", "Kdump"))):
            tk = fr.parse_taint_line(st)
            if tk is not None:
                if sc.kernel_line is None:
                    sc.taint_letters, sc.kernel_line = tk
                return True
        return False

    def pointer(self, st: str) -> bool:
        """Instruction pointer, link register and register dump lines."""
        sc, cur = self.sc, self.cur
        if st.startswith(("lr ", "LR [", "LR is at")):
            m = fr.LINK.match(st)
            if m and len(sc.registers) < 64:
                sc.registers.setdefault("lr", m.group("rest")[:120])
                return True
        if _RIP_START.match(st):
            rip = fr.parse_rip(st)
            if rip is not None:
                if sc.nframes == 0:
                    sc.top_rips.append(rip)
                sc.rips.append(rip)
                if cur is not None and rip.function and not fr.RIP_FOOTER.match(st):
                    self.add(rip)  # the interrupted function of an exception frame
            fr.parse_registers(st, sc.registers)
            return True
        return fr.parse_registers(st, sc.registers)

    def lock_line(self, st: str) -> bool:
        """lockdep: the primary lock site and the sites of held locks."""
        sc = self.sc
        if _SITE_INTRO.search(st):
            self.site_expected = "primary"
            return True
        if _HOLDING_INTRO.search(st):
            self.site_expected = "holding"
            return True
        if "at: " not in st:
            self.site_expected = ""
            return False
        m = _AT_SITE.search(st)
        if not m:
            return False
        func = fr.site_function(m.group("rest"))
        if func:
            if self.site_expected == "primary" and sc.lock_site is None:
                sc.lock_site = func
            elif self.site_expected == "holding" and sc.holding_site is None:
                sc.holding_site = func
            elif _HELD.match(st) and len(sc.held_sites) < MAX_SITES:
                sc.held_sites.append(func)
        self.site_expected = ""
        return True

    def frame(self, st: str) -> None:
        f = fr.parse_interrupt_frame(st) if st.startswith("--- interrupt:") else None
        if f is not None and self.cur is not None:
            self.cur.irq_end = len(self.cur.frames)
        if f is None:
            f = fr.parse_frame(st, address_only=self.cur is not None)
        if f is None:
            return
        if self.site_frame_expected and f.function:
            self.site_frame_expected = False
            if self.sc.lock_site is None:
                self.sc.lock_site = f.function
        self.add(f)

    def add(self, f: Frame) -> None:
        sc = self.sc
        if sc.nframes >= MAX_FRAMES:
            return
        if self.cur is None:
            self.cur = Section("")
            sc.sections.append(self.cur)
        prev = self.cur.frames[-1] if self.cur.frames else None
        if prev is not None and f.function and prev.function == f.function and f in sc.rips:
            return  # powerpc prints the interrupted function twice (--- interrupt, NIP)
        self.cur.frames.append(f)
        sc.nframes += 1


def scan(lines: Sequence[str]) -> Scan:
    w = _Walker()
    for raw in lines:
        if not w.line(raw):
            break
    return w.sc
