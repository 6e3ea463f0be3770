"""Turn the lines of one assembled report into a CrashReport: structure, guilty, title."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kcrashd.model import CrashReport, Frame
from kcrashd.parse import frames as fr
from kcrashd.parse import guilty as gu
from kcrashd.parse.details import DETAILS
from kcrashd.parse.headers import Header
from kcrashd.parse.signature import signature
from kcrashd.parse.taint import decode_taint_letters
from kcrashd.parse.title import in_function, normalize

MAX_FRAMES = 128
_IRQ_END = ("</IRQ>", "</NMI>", "<EOI>", "<<EOE>>", "<EOE>")
_IRQ_TAGS = _IRQ_END + ("<IRQ>", "<NMI>", "<TASK>", "</TASK>", "<SOFTIRQ>", "</SOFTIRQ>")
_RIP_START = re.compile(r"^(?:(?:RIP|EIP|IP|NIP|pc|PC|epc)\s*(?::|is at)|NIP \[|Krnl PSW :)")
_AT_SITE = re.compile(r"(?:, at:|\bat:) (?:\[<[0-9a-fA-F]+>\] )?(?P<rest>\S.*)$")
_PLAIN_FUNC = re.compile(r"^([A-Za-z_][\w.]*)(?: [\w./-]+\.\w+:\d+|\s*$)")
_OLD_CPU = re.compile(r"^CPU (\d+)\s*$")
_IN_FUNC = re.compile(r" in:? (?P<rest>[A-Za-z_][\w.]*(?:\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)?)")


class Section:
    __slots__ = ("marker", "frames", "irq_end")

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.frames: List[Frame] = []
        self.irq_end = -1  # index in frames after the last interrupt exit seen


class Scan:
    """What one pass over the report lines found."""

    def __init__(self) -> None:
        self.sections: List[Section] = []
        self.rips: List[Frame] = []
        self.sites: List[str] = []
        self.registers: Dict[str, str] = {}
        self.who: Optional[Dict[str, Any]] = None
        self.taint_line: Optional[str] = None
        self.kernel_line: Optional[str] = None  # release from a bare "Not tainted 6.1.0" line
        self.taint_letters: Optional[str] = None
        self.old_cpu: Optional[int] = None
        self.hardware: Optional[str] = None
        self.modules: Tuple[str, ...] = ()
        self.code: Optional[str] = None
        self.nframes = 0


def scan(lines: Sequence[str]) -> Scan:
    sc = Scan()
    cur: Optional[Section] = None
    site_next = False  # "... is trying to release lock (x) at:" + the frame on the next line
    for raw in lines:
        st = raw.strip()
        if not st:
            continue
        if st.startswith("---[ end trace"):
            # what follows is the register dump printed again and the panic echo
            break
        if st in _IRQ_TAGS:
            if cur is not None and st in _IRQ_END:
                cur.irq_end = len(cur.frames)
            continue
        if fr.MARKERS.match(st):
            if cur is not None and cur.frames and all(f in sc.rips for f in cur.frames):
                cur.marker = st[:48]  # "NMI backtrace" + RIP, then its "Call Trace:"
                continue
            cur = Section(st[:48])
            sc.sections.append(cur)
            continue
        if sc.who is None and ("PID: " in st or st.startswith("Pid: ")):
            who = fr.parse_who(st)
            if who:
                if who["cpu"] is None and sc.old_cpu is not None:
                    who["cpu"] = sc.old_cpu
                sc.who = who
                continue
        if st.startswith("CPU ") and sc.old_cpu is None:
            m = _OLD_CPU.match(st)  # 2.6/3.x: "CPU 7 " on its own line before "Pid: "
            if m:
                sc.old_cpu = int(m.group(1))
                continue
        if st.startswith("Hardware name:"):
            sc.hardware = sc.hardware or fr.parse_hardware(st)
            continue
        if st.startswith("Modules linked in:"):
            if not sc.modules:
                sc.modules = tuple(fr.parse_modules(st) or ())
            continue
        if st.startswith("Code:"):
            sc.code = sc.code or fr.parse_code(st)
            continue
        if st.startswith(("Tainted:", "Not tainted", "Kdump: loaded")):
            if st.startswith("Tainted:") and sc.taint_line is None:
                sc.taint_line = st
            if sc.kernel_line is None:
                tk = fr.parse_taint_line(st)
                if tk is not None:
                    sc.taint_letters, sc.kernel_line = tk
            continue
        if st.startswith(("lr ", "LR [", "LR is at")):
            m = fr.LINK.match(st)
            if m and len(sc.registers) < 64:
                sc.registers.setdefault("lr", m.group("rest")[:120])
                continue
        if _RIP_START.match(st):
            rip = fr.parse_rip(st)
            if rip is not None:
                sc.rips.append(rip)
                if cur is not None and rip.function and sc.nframes < MAX_FRAMES:
                    cur.frames.append(rip)
                    sc.nframes += 1
            fr.parse_registers(st, sc.registers)
            continue
        if fr.parse_registers(st, sc.registers):
            continue
        if "at: " in st:
            m = _AT_SITE.search(st)
            if m:
                pf = fr.parse_frame_text(m.group("rest"))
                name = pf[0] if pf else None
                if name is None:
                    pm = _PLAIN_FUNC.match(m.group("rest"))
                    name = pm.group(1) if pm else None
                if name and len(sc.sites) < 32:
                    sc.sites.append(name)
                continue
        if st.endswith(" at:"):
            site_next = True
            continue
        f = fr.parse_frame(raw)
        if f is not None and cur is not None and ") from [<" in st:
            caller = fr.parse_arm32_caller(st)
            if caller is not None and sc.nframes + 1 < MAX_FRAMES:
                if not (cur.frames and cur.frames[-1].function == f.function):
                    cur.frames.append(f)
                    sc.nframes += 1
                cur.frames.append(caller)
                sc.nframes += 1
                continue
        if site_next and f is not None and f.function:
            sc.sites.append(f.function)
            site_next = False
            continue
        site_next = False
        if f is not None and sc.nframes < MAX_FRAMES:
            if cur is None:
                cur = Section("")
                sc.sections.append(cur)
            cur.frames.append(f)
            sc.nframes += 1
    return sc


def _header_function(text: str) -> Optional[str]:
    m = _IN_FUNC.search(text)
    if not m:
        return None
    pf = fr.parse_frame_text(m.group("rest"))
    return pf[0] if pf else m.group("rest")


def _first_trace(sc: Scan) -> List[str]:
    for sec in sc.sections:
        if sec.frames and not sec.marker.startswith(("Allocated", "Freed", "Last potentially")):
            return gu.reliable_names(sec.frames)
    return []


def _all_names(sc: Scan) -> List[str]:
    return [n for sec in sc.sections for n in gu.reliable_names(sec.frames)]


_IRQ_ENTRY = re.compile(r"interrupt|^__irq_svc|^__irq_usr|^el1_irq|^el1h_64_irq|^gic_handle_irq")


def _stall_names(sc: Scan, rcu: bool) -> List[str]:
    """Frames of the stalled code: below the timer interrupt that reported the stall."""
    secs = [sec for sec in sc.sections if sec.frames]
    entry = [sec for sec in secs if any(_IRQ_ENTRY.search(f.function or "") for f in sec.frames)]
    for sec in entry + [sec for sec in secs if sec not in entry]:
        frames = sec.frames
        idx = [i for i, f in enumerate(frames) if _IRQ_ENTRY.search(f.function or "")]
        if idx:
            frames = frames[idx[0] + 1 :]
        elif sec.irq_end > 0:
            frames = frames[sec.irq_end :]
        names = gu.reliable_names(frames)
        if names:
            return names
    return []


def _rip_names(sc: Scan) -> List[str]:
    return [f.function for f in sc.rips if f.function]


_LOCK_SITE_FORMS = (
    "possible circular",
    "possible recursive",
    "inconsistent lock",
    "bad unlock balance",
    "held lock freed",
    "lock held when returning",
    "still has locks held",
    "possible irq lock inversion",
    "-safe -> ",
)


def guilty(header: Header, text: str, lines: Sequence[str], sc: Scan) -> Optional[str]:
    name = header.name
    extra = None
    if name in ("kasan", "kfence", "kmsan", "kcsan"):
        if name == "kasan" and "invalid-free" in text or "double-free" in text:
            extra = gu.EXTRA_SKIP["kasan_invalid_free"]
        head = _header_function(text)
        if name == "kcsan" and head:
            # "data-race in f / g": KCSAN has already named the racing functions
            return gu.strip_syscall_prefix(head)
        return gu.first_usable([head] + _first_trace(sc), extra)
    if name == "ubsan":
        return gu.first_usable(_first_trace(sc), gu.EXTRA_SKIP["ubsan"])
    if name == "leak":
        names = _first_trace(sc)
        return gu.first_usable(names, gu.EXTRA_SKIP["leak"])
    if name == "hung_task":
        return gu.hung_task_frame(_first_trace(sc))
    if name == "rcu_stall":
        return gu.stall_frame(_stall_names(sc, True), gu.EXTRA_SKIP["rcu_stall"])
    if name == "soft_lockup":
        return gu.stall_frame(_rip_names(sc)[:1] + _first_trace(sc))
    if name in ("lockdep_bug", "lockdep_warning"):
        if any(form in text for form in _LOCK_SITE_FORMS):
            found = gu.first_usable(sc.sites)
            if found:
                return found
        return gu.first_usable(_rip_names(sc)[:1] + _first_trace(sc))
    if name in ("panic", "trusty", "rust_panic"):
        head = _header_function(text)
        if head:
            return gu.first_usable([head])
        if "stack" in text:
            return gu.stall_frame(_first_trace(sc))
        return gu.first_usable(_rip_names(sc)[:1] + _first_trace(sc))
    if name in ("oom", "oom_killed", "mce", "io_error", "syz", "go_fatal"):
        return None
    if name in ("warning", "lockdep_at"):
        head = fr.frame_function_in(text)
        return gu.first_usable([head] + _rip_names(sc)[:1] + _first_trace(sc))
    if name == "bug" and "workqueue leaked" in text:
        for line in lines[1:8]:
            m = re.search(r"last function: ([A-Za-z_][\w.]*)", line)
            if m:
                return m.group(1)
    if name == "bug" and re.search(r"scheduling while atomic|can't die", text):
        extra = gu.EXTRA_SKIP["schedule"]
    if name == "kernel_bug":
        extra = gu.EXTRA_SKIP["kernel_bug"]
    return gu.first_usable(_rip_names(sc)[:1] + _first_trace(sc), extra)


_KASAN_ACCESS = re.compile(r"^(Read|Write) of size")
_PAGE_FAULT_NULL = re.compile(r"NULL pointer dereference")
_BUG_MSG = re.compile(r"BUG: ([^:]*?)(?::| at | on | in |$)")
_WARN_MSG = re.compile(r"WARNING: (.*)$")


def make_title(header: Header, text: str, lines: Sequence[str], function: Optional[str]) -> str:
    """syzbot-style title: "<what> in <guilty function>"."""
    name = header.name
    fn = function or "corrupted"
    if name == "kasan":
        m = re.search(r"BUG: KASAN: ([\w-]+(?: or [\w-]+)?)", text)
        what = m.group(1) if m else "bug"
        access = ""
        for line in lines[1:6]:
            am = _KASAN_ACCESS.match(line.strip())
            if am:
                access = " " + am.group(1)
                break
        return in_function(f"KASAN: {what}{access}", fn)
    if name in ("kfence", "kmsan", "kcsan"):
        m = re.search(r"BUG: (K\w+): (.*?) in ", text)
        if m:
            if name == "kcsan":
                return normalize(f"{m.group(1)}: {m.group(2)} in " + text.split(" in ", 1)[1])
            return in_function(f"{m.group(1)}: {m.group(2)}", fn)
    if name == "ubsan":
        m = re.search(r"UBSAN: ([\w -]+?)(?: in |$)", text)
        return in_function("UBSAN: " + (m.group(1) if m else "bug"), fn)
    if name == "leak":
        return in_function("memory leak", fn)
    if name == "soft_lockup":
        return in_function("BUG: soft lockup", fn)
    if name == "hard_lockup":
        return in_function("hard lockup", fn)
    if name == "page_fault":
        what = "NULL pointer dereference" if _PAGE_FAULT_NULL.search(text) else "paging request"
        return in_function(f"BUG: unable to handle kernel {what}", fn)
    if name == "kernel_bug":
        if "lib/list_debug" in text:
            return in_function("BUG: corrupted list", fn)
        if "mm/usercopy" in text:
            return in_function("BUG: bad usercopy", fn)
        return in_function("kernel BUG", fn)
    if name == "hung_task":
        return in_function("INFO: task can't die" if "can't die" in text else "INFO: task hung", fn)
    if name == "rcu_stall":
        return in_function("INFO: rcu detected stall", fn)
    if name == "gpf":
        return in_function("general protection fault", fn)
    if name == "lockdep_warning" or name == "lockdep_bug":
        if "circular locking" in text or "recursive locking" in text:
            return in_function("possible deadlock", fn)
        if "inconsistent lock state" in text:
            return in_function("inconsistent lock state", fn)
        m = re.search(r"((?:WARNING|INFO|BUG): [^:!]*?)(?: detected|!|:|$)", text)
        return in_function(normalize(m.group(1)).rstrip(" ]") if m else "lockdep bug", fn)
    if name == "lockdep_at":
        return in_function("WARNING: locking bug", fn)
    if name == "warning":
        if "lib/refcount" in text:
            return in_function("WARNING: refcount bug", fn)
        if "ODEBUG" in " ".join(lines[:3]):
            return in_function("WARNING: ODEBUG bug", fn)
        if "lib/kobject" in text:
            return in_function("WARNING: kobject bug", fn)
        m = _WARN_MSG.search(text)
        msg = m.group(1) if m else ""
        if msg.startswith("CPU:") or " at " in msg:
            return in_function("WARNING", fn)
        return in_function("WARNING: " + normalize(msg).rstrip(".!"), fn)
    if name in ("bug", "lockdep_bug"):
        m = _BUG_MSG.search(text)
        what = m.group(1).strip() if m else ""
        return in_function(normalize("BUG: " + what) if what else "BUG", fn)
    if name in ("panic",):
        m = re.search(r"Kernel panic - not syncing: ?(.*)$", text)
        msg = normalize(m.group(1) if m else text).rstrip(" .]-")
        if "stack" in msg and function:
            return f"kernel panic: {msg} in {function}"
        return f"kernel panic: {msg}"
    if name == "double_fault":
        return in_function("PANIC: double fault", fn)
    if name in ("stack_segment", "divide_error", "invalid_opcode", "int3"):
        what = {"stack_segment": "stack segment", "divide_error": "divide error"}.get(name, name)
        return in_function(what.replace("_", " "), fn)
    if name == "arm_internal":
        return in_function("Internal error", fn)
    if name == "arm_unhandled":
        return in_function("Unhandled fault" if "Unhandled" in text else "Alignment trap", fn)
    return normalize(text)


def _text_from(line: str, start: int) -> str:
    return line[start:].strip()


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
) -> CrashReport:
    """The CrashReport for `lines` (lines[0] is the header line, header text from `start`)."""
    text = _text_from(lines[0], start) if lines else ""
    sc = scan(lines)
    function = guilty(header, text, lines, sc)
    kind = header.kind
    if kind in DETAILS:
        details = DETAILS[kind](lines)
        title = _special_title(kind, details, text)
    else:
        details = {}
        title = make_title(header, text, lines, function)
    frames = tuple(f for sec in sc.sections for f in sec.frames)
    rip = next((f for f in sc.rips if f.function), sc.rips[0] if sc.rips else None)
    module = None
    if function:
        for f in (rip,) + frames if rip else frames:
            if f is not None and f.function and gu.strip_syscall_prefix(f.function) == function:
                module = f.module
                break
    who = dict(sc.who or {})
    taint_letters = who.get("taint")
    if taint_letters is None and not who.get("kernel"):
        taint_letters = sc.taint_letters
    if taint_letters is None and sc.taint_line:
        # 6.10+: "Tainted: [W]=WARN, [O]=OOT_MODULE"
        taint_letters = " ".join(_TAINT_NAMED.findall(sc.taint_line)) or None
    kernel = who.get("kernel") or sc.kernel_line
    _fill_from_header(header.name, text, who)
    if (
        not corrupted
        and function is None
        and kind not in DETAILS
        and header.name
        not in (
            "panic",
            "syz",
            "go_fatal",
            "vfs",
            "unregister",
            "trusty",
        )
    ):
        corrupted = True
    meta = meta or {}
    return CrashReport(
        kind=kind,
        title=title,
        function=function,
        module=module,
        kernel=kernel,
        taint=tuple(decode_taint_letters(taint_letters)) if taint_letters else (),
        cpu=who.get("cpu", details.get("cpu")),
        pid=who.get("pid"),
        comm=who.get("comm"),
        hardware=sc.hardware,
        rip=rip,
        registers=dict(sc.registers),
        frames=frames,
        modules_linked=sc.modules,
        code=sc.code,
        corrupted=corrupted,
        panicked=panicked,
        first_line=first_line,
        last_line=last_line,
        signature=signature(kind, function, frames, details),
        lines=tuple(lines),
        details=details,
        boot_id=meta.get("boot_id"),
        start_position=meta.get("start_position"),
        end_position=meta.get("end_position"),
        realtime=meta.get("realtime"),
        monotonic_us=meta.get("monotonic_us"),
    )


_TAINT_NAMED = re.compile(r"\[([A-Z])\]=")
_HEADER_WHO = {
    "hung_task": re.compile(r"INFO: task (?P<comm>.{1,20}):(?P<pid>\d+) "),
    "soft_lockup": re.compile(
        r"CPU#(?P<cpu>\d+) stuck for \d+s! \[(?P<comm>.{1,20}):(?P<pid>\d+)\]"
    ),
    "hard_lockup": re.compile(r"hard LOCKUP on cpu (?P<cpu>\d+)"),
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


def _special_title(kind: str, details: Dict[str, Any], text: str) -> str:
    if kind == "oom_kill":
        victim = details.get("victim_comm") or "unknown"
        return normalize(f"oom-kill: killed {victim}")
    if kind == "mce":
        bank = details.get("bank")
        return (
            f"machine check: bank {bank}" if bank is not None else "machine check: hardware error"
        )
    if kind == "io_error":
        return f"I/O error on {details.get('device', 'unknown')}"
    return normalize(text)
