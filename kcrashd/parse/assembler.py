"""Incremental report assembly: one kernel line at a time, interleaving-aware and bounded.

A report opens on a header line (headers.py) and collects the following lines of the same
printk context (`[T123]`/`[C1]`; all lines when the log carries none). It ends on an end
marker (`---[ end trace`, the closing `=====` of sanitizers) plus its panic tail, on a new
header in the same context, on a gap in kernel time, at max_report_lines, or by
expire()/flush(). The no-crash path is a single regex search per line.

A live assembler (the daemon's, `live=True`) does not wait for what may follow a report: on
a live host the panic tail comes, if at all, when nobody can send anything. A report is
complete at its end marker (the registers echo and panic lines that follow are taken in
silently: evidence for the post-mortem, not a second report). A report with no end marker
(I/O error, machine check, hung task, RCU stall ...) ends on the next line of another printk
context, on a new header, on a gap of quiet_seconds in kernel time before its next line,
or, when no line comes, quiet_seconds after its last one (expire()).
"""

from __future__ import annotations

import re
import time
from typing import Any, Dict, List, Optional

from kcrashd.model import CrashReport, KernelRecord
from kcrashd.parse.headers import WANTED, WANTED_RAW, Header, classify
from kcrashd.parse.prefix import strip_prefix
from kcrashd.parse.report import build
from kcrashd.parse.title import normalize

MAX_LINE = 4096  # longer lines are cut: no kernel report line is anywhere near this
MAX_OPEN = 8  # reports open at once (one per CPU/task context); the oldest is closed first
# lines after an end marker that may still belong to it: 5.x+ x86 prints the registers
# again (RIP, Code, RSP, RAX ... PKRU) and then the panic echo
TAIL_LINES = 24
QUIET = 0.2  # live: seconds of quiet after which a report with no end marker is complete

_END = re.compile(r"^-+\[ end (?:trace|Kernel panic)")
_SANITIZER_END = re.compile(r"^={20,}\s*$")
_TAIL = re.compile(
    r"^(?:Kernel Offset:|Rebooting in|-+\[ end Kernel panic|note: |Fixing recursive fault"
    r"|Shutting down cpus|Dumping ftrace buffer|\s*\(ftrace buffer empty\)|Memory Limit:"
    r"|Disabling lock debugging|PHYSICAL_START|---\[ end|CR2: |RIP  \[<| RSP <|\s*$"
    r"|(?:RIP|EIP|RSP|ESP|Code|FS|GS|CS|DS|PKRU|R[A-Z0-9]{1,3}|E[A-Z]{2}|CR[0-4]|DR[0-7]): )"
)
_NMI = re.compile(r"Sending NMI from CPU|NMI backtrace for cpu")
_INTERLEAVED = re.compile(r"\[ *\d+\.\d{3,}\]|printk messages dropped")
# the OOM killer's last line: its victim, or (mm/oom_kill.c) that it found none
_OOM_DONE = re.compile(r"Killed process \d+|Out of memory and no killable processes")
_SANITIZERS = ("kasan", "kfence", "kmsan", "kcsan", "ubsan")
# One-line kinds: a run of their lines is one report; any other line ends it.
_RUN_KINDS = ("io_error",)
# Kinds that print no end marker: live, a line of another printk context ends them.
_MARKERLESS = (
    "io_error",
    "mce",
    "hung_task",
    "rcu_stall",
    "soft_lockup",
    "lockdep",
    "memory_leak",
    "alloc_failure",
)
# A machine check prints its "[Hardware Error]" lines, sometimes a few others (TSC, the
# "CPUs not responding" notice), then the panic that follows a fatal one: the report goes on
# through up to this many other lines in a row.
MCE_OTHER_LINES = 6
YOUNG_LINES = 6
_REPLAYING = "** replaying previous printk message **"
_STACKISH = re.compile(r"\s*(?:Call Trace|RIP:|pc :|PC is at|\[<|backtrace:|Backtrace:|\S+\+0x)")
_GENERIC = ("bug", "warning", "info")
_PRINTF = re.compile(r"%[-#0-9.]*[sdxuilpc]")
# WARN()'s line, and the x86 frame-pointer unwinder's own one-line reports
# (arch/x86/kernel/unwind_frame.c: "WARNING: kernel stack regs at ... has bad 'bp' value")
_WARN_LINE = re.compile(
    r"WARNING: (?:CPU: \d+ PID: \d+ at |at |kernel stack (?:regs|frame pointer) at )"
)
_LOWER = re.compile(r"[a-z]")
_wanted = WANTED.search  # the one search a line costs while no report is open
_wanted_raw = WANTED_RAW.search


class _Open:
    """A report being assembled."""

    __slots__ = (
        "header",
        "col",
        "lines",
        "ctx",
        "first_line",
        "last_line",
        "meta",
        "last_ts",
        "last_mono",
        "corrupted",
        "panicked",
        "ended",
        "tail",
        "nmi",
        "quiet",
        "repeats",
        "sent",
    )

    def __init__(self, header: Header, col: int, ctx: Optional[str], lineno: int) -> None:
        self.header = header
        self.col = col
        self.lines: List[str] = []
        self.ctx = ctx
        self.first_line = lineno
        self.last_line = lineno
        self.meta: Dict[str, Any] = {}
        self.last_ts: Optional[float] = None
        self.last_mono = 0.0
        self.corrupted = False
        self.panicked = header.kind == "panic"
        self.ended = False
        self.tail = 0
        self.nmi = False
        self.quiet = 0  # other lines in a row (machine checks)
        self.repeats = 1  # times a one-line report was printed in a row
        self.sent = False  # live: returned at its end marker; now only takes in its tail


class Assembler:
    """Feed KernelRecords; get CrashReports as they complete."""

    def __init__(
        self,
        gap_seconds: float = 5.0,
        max_report_lines: int = 500,
        max_open: int = MAX_OPEN,
        live: bool = False,
        quiet_seconds: float = QUIET,
    ) -> None:
        self.gap_seconds = gap_seconds
        self.live = live
        self.quiet_seconds = quiet_seconds
        self.max_report_lines = max(8, max_report_lines)
        self.max_open = max(1, max_open)
        self._open: List[_Open] = []
        self._n = 0

    # -- the agreed interface -------------------------------------------------------------

    def feed(self, record: KernelRecord) -> List[CrashReport]:
        """Reports completed by this record (usually none)."""
        self._n += 1
        if record.lost_before:
            self.lost_lines()
        if self._open or _wanted(record.message) is not None:
            return self._feed(record.message, self._n, record)
        return []

    def lost_lines(self) -> None:
        """The source lost kernel lines here: every open report misses some of its lines."""
        for r in self._open:
            r.corrupted = True

    def wants(self, message: str) -> bool:
        """Whether feeding `message` can matter: every line while a report is open, else
        only a line that may start one (a superset: False is certain, True is "maybe").

        A caller that reads a large backlog may skip the lines this rejects instead of
        feeding them; the reports come out the same (only their line numbers count the
        lines fed). Cheap: the one search feed() makes when no report is open, so a line it
        rejects is one feed() would drop.
        """
        return bool(self._open) or _wanted(message) is not None

    def wants_raw(self, message: bytes) -> bool:
        """wants() of a message as UTF-8 bytes (the needles are ASCII: it matches exactly
        where wants() matches the decoded text)."""
        return bool(self._open) or _wanted_raw(message) is not None

    def expire(self, now: float) -> List[CrashReport]:
        """Reports quiet for gap_seconds of time.monotonic() time; live, those with no end
        marker quiet for quiet_seconds (a caller that reads a backlog calls it once it has
        read everything there is: the quiet is the source's, not the reader's)."""
        done = [r for r in self._open if self._deadline(r) <= now]
        return [rep for r in done for rep in self._close(r)]

    @property
    def next_expiry(self) -> Optional[float]:
        """The time.monotonic() time at which expire() would next close a report (None
        when none is open): a caller sleeps until then, and no longer, while one is."""
        return min((self._deadline(r) for r in self._open), default=None)

    def _deadline(self, r: _Open) -> float:
        wait = self.gap_seconds
        if self.live:
            wait = min(wait, self.quiet_seconds)
        return r.last_mono + wait

    def flush(self) -> List[CrashReport]:
        """Every open report, as it is now (end of input)."""
        done = list(self._open)
        return [rep for r in done for rep in self._close(r)]

    @property
    def pending_start_position(self) -> Optional[str]:
        """Position of the first record of the oldest report still open (and not sent)."""
        for r in self._open:
            if not r.sent and r.meta.get("start_position") is not None:
                return r.meta["start_position"]
        return None

    # -- the work -------------------------------------------------------------------------

    def _feed(self, msg: str, lineno: int, record: Optional[KernelRecord]) -> List[CrashReport]:
        if len(msg) > MAX_LINE:
            msg = msg[:MAX_LINE]
        st = strip_prefix(msg)
        if st.foreign:
            return []
        text = st.text
        ts = st.timestamp
        if ts is None and record is not None and record.monotonic_us is not None:
            ts = record.monotonic_us / 1e6
        out: List[CrashReport] = []
        hit = classify(text)
        target = self._route(st.context)
        # a silence in kernel time: whatever comes now is not part of that report
        last = target.last_ts if target is not None else None
        if ts is not None and last is not None and ts - last > self._gap(target):
            out.extend(self._close(target))
            target = self._route(st.context)
        if self.live and st.context is not None:
            out.extend(self._close_other_contexts(st.context, target))
        if hit is not None:
            header, col = hit
            if target is not None and self._repeats(target, header, col, text):
                target.repeats += 1
                self._append(target, text, lineno, record, ts)
            elif target is not None and self._absorbs(target, header):
                self._append(target, text, lineno, record, ts)
                target.quiet = 0
                if header.kind == "panic":
                    target.panicked = True
                self._check_end(target, text)  # "---[ end Kernel panic" reads as a header
            else:
                if target is not None and (st.context is None or target.ctx in (None, st.context)):
                    out.extend(self._close(target))
                out.extend(self._open_report(header, col, text, st.context, lineno, record, ts))
        elif target is not None:
            if _REPLAYING in text and len(target.lines) == 1:
                # the header line was cut and is printed again: drop the cut one
                self._open.remove(target)
            elif target.ended:
                if _TAIL.match(text) and target.tail < TAIL_LINES:
                    target.tail += 1
                    self._append(target, text, lineno, record, ts)
                else:
                    out.extend(self._close(target))
            elif target.header.kind in _RUN_KINDS:
                out.extend(self._close(target))
            elif target.header.kind == "mce":
                target.quiet += 1
                if target.quiet > MCE_OTHER_LINES:
                    out.extend(self._close(target))
                else:
                    self._append(target, text, lineno, record, ts)
            else:
                self._append(target, text, lineno, record, ts)
                self._check_end(target, text)
        if target is None or target not in self._open:
            return out
        if len(target.lines) >= self.max_report_lines:
            # cut at the limit: the rest of the report is lost, so it is marked truncated
            if not target.ended:
                target.corrupted = True
            out.extend(self._close(target))
        elif self.live and target.ended and not target.sent:
            # complete at its end marker: sent now, its tail taken in silently
            target.sent = True
            out.append(self._build(target))
        return out

    def _gap(self, r: _Open) -> float:
        """Kernel-time silence before a line after which it no longer belongs to `r`."""
        if self.live and not r.ended:
            return min(self.gap_seconds, self.quiet_seconds)
        return self.gap_seconds

    def _close_other_contexts(self, ctx: str, target: Optional[_Open]) -> List[CrashReport]:
        """Live: a line of printk context `ctx` ends the open reports of other contexts
        that have no end marker to wait for."""
        done = [
            r
            for r in self._open
            if r is not target
            and r.ctx not in (None, ctx)
            and r.header.kind in _MARKERLESS
            and not r.nmi
        ]
        return [rep for r in done for rep in self._close(r)]

    def _route(self, ctx: Optional[str]) -> Optional[_Open]:
        """The open report a line of printk context `ctx` belongs to, if any."""
        if not self._open:
            return None
        if ctx is None:
            return self._open[-1]
        for r in reversed(self._open):
            if r.ctx == ctx or r.ctx is None:
                return r
        if ctx.startswith("C"):
            for r in reversed(self._open):
                if r.nmi:
                    return r
        return None

    @staticmethod
    def _repeats(target: _Open, header: Header, col: int, text: str) -> bool:
        """A one-line report printed again, word for word but for numbers and addresses
        ("BUG: Bad rss-counter state" for each counter, a repeated notice): one report."""
        if target.ended or header != target.header or len(target.lines) != target.repeats:
            return False
        first = target.lines[0][target.col :]
        return normalize(first) == normalize(text[col:])

    @staticmethod
    def _absorbs(target: _Open, header: Header) -> bool:
        """Whether a header line belongs inside the open report rather than starting one."""
        if target.ended:
            # past its end marker only the panic echo still belongs to it
            return header.kind == "panic"
        if header.inner:
            return True
        if target.header.name == "slub" and header.name == "info":
            # SLUB object debugging (mm/slub.c) printed its details as "INFO:" lines before 5.x
            return True
        if header.name == "leak" and target.header.name == "leak":
            # "kmemleak: N new suspected", "BUG: memory leak", "unreferenced object" are one
            # report until its backtrace has been seen
            return not any("backtrace:" in line for line in target.lines)
        kind = target.header.kind
        if kind == header.kind and kind in ("oom_kill", "io_error", "mce", "rcu_stall"):
            return True
        if kind in ("oom_kill", "io_error", "mce") or kind == header.kind:
            return False
        # a report that has shown no stack yet is still being told: a second header right
        # after it (the WARNING an RCU stall trips over) is part of the same story
        return len(target.lines) <= YOUNG_LINES and not any(
            _STACKISH.match(x) for x in target.lines
        )

    def _open_report(
        self,
        header: Header,
        col: int,
        text: str,
        ctx: Optional[str],
        lineno: int,
        record: Optional[KernelRecord],
        ts: Optional[float],
    ) -> List[CrashReport]:
        out = []
        if len(self._open) >= self.max_open:
            out.extend(self._close(self._open[0]))
        r = _Open(header, col, ctx, lineno)
        if _INTERLEAVED.search(text):
            r.corrupted = True
        if record is not None:
            r.meta = {
                "boot_id": record.boot_id,
                "start_position": record.position,
                "realtime": record.realtime,
                "monotonic_us": record.monotonic_us,
            }
        self._open.append(r)
        self._append(r, text, lineno, record, ts)
        return out

    def _append(
        self, r: _Open, text: str, lineno: int, record: Optional[KernelRecord], ts: Optional[float]
    ) -> None:
        r.lines.append(text)
        r.last_line = lineno
        r.last_mono = time.monotonic()
        if ts is not None:
            r.last_ts = ts
        if record is not None:
            r.meta["end_position"] = record.position
        if not r.nmi and _NMI.search(text):
            r.nmi = True

    def _check_end(self, r: _Open, text: str) -> None:
        name = r.header.name
        if (
            _END.match(text)
            or (name in _SANITIZERS and len(r.lines) > 2 and _SANITIZER_END.match(text))
            or (name.startswith("oom") and _OOM_DONE.search(text))
        ):
            r.ended = True

    def _close(self, r: _Open) -> List[CrashReport]:
        self._open.remove(r)
        if r.sent:
            return []  # its tail is done: the report itself went out at its end marker
        rep = self._build(r)
        lines = r.lines
        bare = not (rep.frames or rep.rip or rep.pid is not None)
        if r.header.name in _GENERIC and bare and _noise(lines[0][r.col :], r.header.name):
            return []
        return [rep]

    @staticmethod
    def _build(r: _Open) -> CrashReport:
        lines = r.lines
        return build(
            r.header,
            r.col,
            lines,
            first_line=r.first_line,
            last_line=r.last_line,
            corrupted=r.corrupted,
            panicked=r.panicked,
            meta=r.meta,
            extra_details={"repeats": r.repeats} if r.repeats > 1 else None,
        )


def _noise(head: str, name: str) -> bool:
    """A bare "BUG:"/"WARNING:"/"INFO:" line with no trace, RIP or CPU/PID line that reads
    like an unformatted printf or a shouted (all-caps) copy is another program's console
    noise; a stackless "WARNING: <message>" that is not WARN()'s own line (kernel/panic.c
    __warn: "WARNING: CPU: 0 PID: 1 at <file>:<line> ...", before 3.12 "WARNING: at ...") or
    the unwinder's is a pr_warn() notice, not a report."""
    if _PRINTF.search(head) or not _LOWER.search(head):
        return True
    return name == "warning" and not _WARN_LINE.search(head)
