"""Turn the lines of one assembled report into a CrashReport: scan, guilty, title, fields."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Sequence, Tuple

from kcrashd.model import CrashReport, Frame
from kcrashd.parse import guilty as gu
from kcrashd.parse.details import DETAILS
from kcrashd.parse.headers import Header
from kcrashd.parse.recipes import guilty
from kcrashd.parse.scan import BACKTRACE, TRACE, Scan, scan
from kcrashd.parse.signature import signature
from kcrashd.parse.taint import decode_taint_letters
from kcrashd.parse.title import detail_title, make_title

# header names that may have no guilty function without the report being damaged
_NO_FUNCTION_OK = ("panic", "syz", "go_fatal", "vfs", "unregister", "trusty", "alloc_failure")
_TAINT_NAMED = re.compile(r"\[([A-Z])\]=")
_HEADER_WHO = {
    "hung_task": re.compile(r"INFO: task (?P<comm>.{1,20}):(?P<pid>\d+) "),
    "soft_lockup": re.compile(
        r"CPU#(?P<cpu>\d+) stuck for \d+s! \[(?P<comm>.{1,20}):(?P<pid>\d+)\]"
    ),
    "hard_lockup": re.compile(r"hard LOCKUP on cpu (?P<cpu>\d+)"),
    "alloc_failure": re.compile(r"^(?P<comm>.{1,20}?): page allocation failure"),
}


def _fill_from_header(name: str, text: str, who: Dict[str, Any]) -> None:
    """CPU, PID and Comm that the header line itself names, where no CPU: line gave them."""
    rx = _HEADER_WHO.get(name)
    m = rx.search(text) if rx else None
    if m is None:
        return
    for key, value in m.groupdict().items():
        if value is not None and who.get(key) is None:
            who[key] = value if key == "comm" else int(value)


def _taint_and_kernel(sc: Scan, who: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """Taint letters and release: the CPU/Pid line first, then a taint or banner line."""
    letters = who.get("taint")
    if letters is None and not who.get("kernel"):
        letters = sc.taint_letters
    if letters is None and sc.taint_line:
        # 6.10+: "Tainted: [W]=WARN, [O]=OOT_MODULE"
        letters = " ".join(_TAINT_NAMED.findall(sc.taint_line)) or None
    return letters, who.get("kernel") or sc.kernel_line


def _trace_of(sc: Scan, function: Optional[str]) -> Sequence[Frame]:
    """The frames of the reporting task's trace that holds the guilty function (the first such
    trace when none does): what the signature reads, never an allocation or lock history."""
    own = [s for s in sc.sections if s.frames and s.role in (TRACE, BACKTRACE)]
    for sec in own:
        if any(f.function and gu.strip_syscall_prefix(f.function) == function for f in sec.frames):
            return sec.frames
    return own[0].frames if own else ()


def _module_of(function: Optional[str], rip: Optional[Frame], frames: Sequence[Frame]) -> Any:
    if not function:
        return None
    for f in ((rip,) if rip else ()) + tuple(frames):
        if f is not None and f.function and gu.strip_syscall_prefix(f.function) == function:
            return f.module
    return None


def build(
    header: Header,
    start: int,
    lines: Sequence[str],
    *,
    first_line: Optional[int],
    last_line: Optional[int],
    corrupted: bool,
    panicked: bool,
    meta: Optional[Dict[str, Any]] = None,
    extra_details: Optional[Dict[str, Any]] = None,
) -> CrashReport:
    """The CrashReport for `lines` (lines[0] is the header line, header text from `start`)."""
    text = lines[0][start:].strip() if lines else ""
    sc = scan(lines)
    function = guilty(header, text, lines, sc)
    kind = header.kind
    if kind in DETAILS:
        details = DETAILS[kind](lines)
        title = detail_title(kind, details, text)
    else:
        details = {}
        title = make_title(header.name, text, lines, function)
    details.update(extra_details or {})
    frames = sc.frames()
    rip = next((f for f in sc.rips if f.function), sc.rips[0] if sc.rips else None)
    who = dict(sc.who or {})
    taint_letters, kernel = _taint_and_kernel(sc, who)
    _fill_from_header(header.name, text, who)
    if not corrupted and function is None and kind not in DETAILS:
        corrupted = header.name not in _NO_FUNCTION_OK
    meta = meta or {}
    return CrashReport(
        kind=kind,
        title=title,
        function=function,
        module=_module_of(function, rip, frames),
        kernel=kernel,
        taint=tuple(decode_taint_letters(taint_letters)) if taint_letters else (),
        cpu=who.get("cpu", details.get("cpu")),
        pid=who.get("pid"),
        comm=who.get("comm"),
        hardware=sc.hardware,
        rip=rip,
        registers=dict(sc.registers),
        frames=frames,
        modules_linked=tuple(sc.modules[:512]),
        code=sc.code,
        corrupted=corrupted,
        panicked=panicked,
        first_line=first_line,
        last_line=last_line,
        signature=signature(kind, function, _trace_of(sc, function), details),
        lines=tuple(lines),
        details=details,
        boot_id=meta.get("boot_id"),
        start_position=meta.get("start_position"),
        end_position=meta.get("end_position"),
        realtime=meta.get("realtime"),
        monotonic_us=meta.get("monotonic_us"),
    )
