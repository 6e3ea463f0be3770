"""Line-level structure inside a report: frames, RIP/PC, registers, Code:, modules, who.

Pure functions over one stripped line each; `report.py` walks a report with them.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from kcrashd.model import Frame

_SYM = r"[A-Za-z_.$<][\w.$<>:]*"
# func+0x25/0x50 [module]   (module may carry taint flags: "aufs(C)" style in lists only)
_FUNC_OFF = re.compile(
    r"(?P<func>" + _SYM + r")\+0x(?P<off>[0-9a-fA-F]+)/0x(?P<size>[0-9a-fA-F]+)"
    r"(?: \[(?P<mod>[\w-]+)(?:\]|\s))?"
)
# symbolised inline frame: "__dump_stack lib/dump_stack.c:17 [inline]"
_INLINE = re.compile(r"^(?P<func>" + _SYM + r") [\w./-]+\.\w+:\d+(?::\d+)? \[inline\]")
_ADDR = re.compile(r"\[<(?P<addr>[0-9a-fA-F]{6,16})>\]")
# x86 frame line: optional "[<addr>]", optional "? ", then func+off/size
_FRAME_LINE = re.compile(
    r"^\s*(?:\[<(?P<addr>[0-9a-fA-F]+)>\]\s*)?(?:\[[0-9a-fA-F]{8,16}\] \[[0-9a-fA-F]{8,16}\] )?"
    r"(?P<q>\? )?(?P<rest>\S.*)$"
)
# arm32: "[<c0123456>] (func+0x1/0x2) from [<c0123457>] (parent+0x3/0x4)"
_ARM32 = re.compile(r"\[<(?P<addr>[0-9a-fA-F]+)>\] \((?P<inner>[^)]*)\)(?: from )?")
_RIP = re.compile(
    r"^(?:RIP|EIP|IP|NIP|pc|PC|epc|ip)\s*(?::|is at|(?=\[))\s*(?:[0-9a-fA-F]{4}:)?"
    r"(?:\[<?(?P<a1>[0-9a-fA-F]+)>?\]\s*)?(?:\[<(?P<a2>[0-9a-fA-F]+)>\]\s*)?(?:\[[0-9a-fA-F]+\] )?"
    r"(?P<rest>.*)$"
)
# s390: "Krnl PSW : 0704e00180000000 000003ff8012a3b4 (dasd_probe+0x34/0x120 [dasd_foo])"
_PSW = re.compile(r"^Krnl PSW : [0-9a-fA-F]{16} (?P<a1>[0-9a-fA-F]{16}) \((?P<rest>[^)]*)\)")
# the link register: arm64 "lr : f+0x1/0x2", powerpc "LR [c000..] f+0x1/0x2", arm "LR is at f"
LINK = re.compile(r"^(?:lr :|LR \[[0-9a-fA-F]+\]|LR is at) ?(?P<rest>\S.*)$")
_REGS = re.compile(
    r"\b([A-Z][A-Z0-9]{1,5}|[a-z][a-z0-9]{0,3}|x\d{1,2})\s?:\s?([0-9a-fA-F]{4,16})\b"
)
_REG_LINE = re.compile(
    r"^(?:R[A-Z0-9]{1,3}|E[A-Z]{2}|FS|GS|CS|DS|ES|CR[0-4]|DR[0-7]|pc|lr|sp|x\d+|r\d+|ip|fp"
    r"|pstate|GPR\d+|MSR|LR|CTR|XER|CCR|ra|gp|tp|t\d|s\d+|a\d|status|badaddr|cause)\s*:"
)
# The printk of dump_stack: "CPU: 2 PID: 1234 Comm: x Tainted: G  W  OE  5.15.0 #85", with
# "UID: 0" (6.10+), "Kdump: loaded" (a crash kernel is loaded) and, on RHEL, groups of
# distribution taint flags ("------------", "--------- -  -") before the release.
_TAINT_KERNEL = (
    r"(?:Kdump: loaded\s+)?(?:Not tainted|Tainted: (?P<taint>[A-Z](?: *[A-Z])*))"
    r"(?:\s+[-A-Za-z]+)*?\s+\(?(?P<kernel>\d+\.\d+[^\s#)]*)"
)
_WHO = re.compile(
    r"CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>.{1,20}?)\s+" + _TAINT_KERNEL
)
_WHO_BARE = re.compile(
    r"CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>\S.{0,19}?)(?:\s|$)"
)
# 2.6/3.x kernels (RHEL 6): "Pid: 1234, comm: bash Not tainted 2.6.32-754.el6.x86_64 #1 ..."
_WHO_OLD = re.compile(r"^Pid: (?P<pid>\d+), comm: (?P<comm>.{1,20}?)\s+" + _TAINT_KERNEL)
# the taint line of reports without a CPU line (hung tasks): "      Not tainted 6.1.0-13-amd64 #1"
TAINT_LINE = re.compile(r"^" + _TAINT_KERNEL)
_HARDWARE = re.compile(r"^Hardware name: (?P<hw>.+?)\s*$")
_MODULES = re.compile(r"^Modules linked in:(?P<mods>.*)$")
_CODE = re.compile(r"^Code: (?P<code>.*\S)")
MARKERS = re.compile(
    r"^(?:Call Trace:|Call trace:|Backtrace:|backtrace:|Stack:|Call Trace$|"
    r"Allocated by task|Freed by task|Last potentially related work creation|"
    r"Second to last potentially related|Uninit was (?:created|stored)|Local variable |"
    r"Memory state around|The buggy address|Allocated in |Freed in |"
    r"-> #\d+|stack backtrace:|other info that might help|"
    r"Chain exists of|Possible unsafe locking|\*\*\* DEADLOCK|NMI backtrace for cpu|"
    r"Sending NMI from CPU|(?:read|write)(?:-write)? (?:\(marked\) )?to 0x|"
    r"Showing all locks held|Showing busy workqueues)"
)


def parse_frame_text(
    rest: str,
) -> Optional[Tuple[str, Optional[int], Optional[int], Optional[str]]]:
    """(function, offset, size, module) from `func+0x1/0x2 [mod]` or an inline frame."""
    m = _FUNC_OFF.match(rest)
    if m:
        return m.group("func"), int(m.group("off"), 16), int(m.group("size"), 16), m.group("mod")
    m = _INLINE.match(rest)
    if m:
        return m.group("func"), None, None, None
    return None


def parse_frame(line: str) -> Optional[Frame]:
    """One call-trace line as a Frame, or None when the line is not a frame."""
    s = line.strip()
    if not s:
        return None
    if s.startswith("[<") and ") from [<" in s or s.startswith("[<") and s.endswith(")"):
        m = _ARM32.match(s)
        if m:
            inner = m.group("inner").strip()
            pf = parse_frame_text(inner)
            if pf is None and re.match(r"^[A-Za-z_][\w.]*$", inner):
                pf = (inner, None, None, None)
            if pf:
                return Frame(pf[0], pf[1], pf[2], pf[3], int(m.group("addr"), 16), True)
    m = _FRAME_LINE.match(s)
    if not m:
        return None
    rest = m.group("rest")
    pf = parse_frame_text(rest)
    if not pf:
        return None
    unreliable = bool(m.group("q")) or rest.endswith("(unreliable)")
    addr = int(m.group("addr"), 16) if m.group("addr") else None
    return Frame(pf[0], pf[1], pf[2], pf[3], addr, not unreliable)


_ARM32_CALLER = re.compile(r"\) from \[<(?P<addr>[0-9a-fA-F]+)>\] \((?P<inner>[^)]*)\)")


def parse_arm32_caller(line: str) -> Optional[Frame]:
    """The caller half of an arm32 `[<a>] (f) from [<b>] (g+0x1/0x2)` line."""
    m = _ARM32_CALLER.search(line)
    if not m:
        return None
    inner = m.group("inner").strip()
    pf = parse_frame_text(inner)
    if pf is None and re.match(r"^[A-Za-z_][\w.]*$", inner):
        pf = (inner, None, None, None)
    if pf is None:
        return None
    return Frame(pf[0], pf[1], pf[2], pf[3], int(m.group("addr"), 16), True)


def parse_rip(line: str) -> Optional[Frame]:
    """`RIP: 0010:func+0x1/0x2 [mod]`, `IP: [<addr>] func+..`, `pc : func+..`, `PC is at ..`,
    powerpc `NIP [addr] func+..`, s390 `Krnl PSW : mask addr (func+..)`."""
    s = line.strip()
    m = _RIP.match(s) or _PSW.match(s)
    if not m:
        return None
    addr_s = m.group("a2") if "a2" in m.re.groupindex and m.group("a2") else m.group("a1")
    addr = int(addr_s, 16) if addr_s else None
    rest = m.group("rest").strip()
    pf = parse_frame_text(rest)
    if pf:
        return Frame(pf[0], pf[1], pf[2], pf[3], addr, True)
    m2 = re.match(r"(?:0x)?([0-9a-fA-F]{8,16})\b", rest)
    if m2 and addr is None:
        return Frame(None, None, None, None, int(m2.group(1), 16), True)
    return None


def parse_registers(line: str, into: Dict[str, str], limit: int = 64) -> bool:
    """Add `RAX: 0000...` style pairs of a register dump line; True if it was one."""
    s = line.strip()
    if not _REG_LINE.match(s):
        return False
    for name, value in _REGS.findall(s):
        if len(into) >= limit:
            break
        into.setdefault(name, value)
    return True


def parse_who(line: str) -> Optional[Dict[str, object]]:
    """`CPU: 2 PID: 1234 Comm: x Tainted: G  W  OE  5.15.0 #85` -> its fields."""
    m = _WHO.search(line) or _WHO_OLD.search(line)
    if m is None:
        m = _WHO_BARE.search(line)
        if m is None:
            return None
        return {"cpu": int(m.group("cpu")), "pid": int(m.group("pid")),
                "comm": m.group("comm").strip(), "taint": None, "kernel": None}  # fmt: skip
    return {
        "cpu": int(m.group("cpu")) if "cpu" in m.re.groupindex else None,
        "pid": int(m.group("pid")),
        "comm": m.group("comm").strip(),
        "taint": m.group("taint"),
        "kernel": m.group("kernel"),
    }


def parse_taint_line(line: str) -> Optional[Tuple[Optional[str], str]]:
    """(taint letters or None, kernel release) of a bare `Not tainted 6.1.0 #1` line."""
    m = TAINT_LINE.match(line)
    return (m.group("taint"), m.group("kernel")) if m else None


def parse_hardware(line: str) -> Optional[str]:
    m = _HARDWARE.match(line.strip())
    return m.group("hw") if m else None


def parse_modules(line: str) -> Optional[List[str]]:
    m = _MODULES.match(line.strip())
    if not m:
        return None
    # "nvidia(POE)": the flags in brackets are the module's taint, not its name
    return [tok.split("(")[0] for tok in m.group("mods").split() if not tok.startswith("[")][:512]


def parse_code(line: str) -> Optional[str]:
    m = _CODE.match(line.strip())
    return m.group("code") if m else None


def frame_function_in(text: str) -> Optional[str]:
    """The first `func+0x1/0x2` function mentioned anywhere in `text`."""
    m = _FUNC_OFF.search(text)
    return m.group("func") if m else None


def address_in(text: str) -> Optional[int]:
    m = _ADDR.search(text)
    return int(m.group("addr"), 16) if m else None
