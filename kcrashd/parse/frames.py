"""Line-level structure inside a report: frames, RIP/PC, registers, Code:, modules, who.

Pure functions over one stripped line each; `scan.py` walks a report with them. Frame lines
come in the shapes the kernel's stack printers produce:

- x86 (arch/x86/kernel/dumpstack.c printk_stack_address): ` func+0x1/0x2 [mod]`, `? func..`
  for unreliable entries, `[<addr>] func..` before 4.14, an address alone when no symbol is
  known, and before 4.9 (dumpstack_64.c print_trace_stack) a stack tag printed on the same
  line as the first frame on that stack: ` <IRQ>  [<addr>] func..`, ` <EOI>  [<addr>] ..`,
  ` <<EOE>>  [<addr>] ..`, ` <NMI>  ..`;
- arm64 (arch/arm64/kernel/stacktrace.c dump_backtrace_entry): ` func+0x1/0x2`;
- arm (arch/arm/kernel/traps.c dump_backtrace_entry): `[<where>] (f) from [<from>] (g+0x..)`
  with CONFIG_BACKTRACE_VERBOSE, ` f from g+0x../0x..` without, `Function entered at [<a>]
  from [<b>]` without kallsyms: each line is one frame, `f` (`g` is the next line's `f`);
- powerpc (arch/powerpc/kernel/process.c show_stack): `[sp] [ip] func+0x..(unreliable)`, ppc64
  ELFv1 names with a leading dot (`.func`), `--- interrupt: 700 at func+0x..`;
- s390 (arch/s390/kernel/dumpstack.c show_stack): ` [<addr>] func+0x..` and, for an
  unreliable entry, `([<addr>] func+0x..)`.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from kcrashd.model import Frame
from kcrashd.parse.demangle import maybe_demangle

_SYM = r"[A-Za-z_.$<][\w.$<>:]*"
# func+0x25/0x50 [module]   (module may carry taint flags: "aufs(C)" style in lists only)
_FUNC_OFF = re.compile(
    r"(?P<func>" + _SYM + r")\+0x(?P<off>[0-9a-fA-F]+)/0x(?P<size>[0-9a-fA-F]+)"
    r"(?: \[(?P<mod>[\w-]+)(?:\]|\s))?"
)
# symbolised inline frame: "__dump_stack lib/dump_stack.c:17 [inline]"
_INLINE = re.compile(r"^(?P<func>" + _SYM + r") [\w./-]+\.\w+:\d+(?::\d+)? \[inline\]")
_ADDR = re.compile(r"\[<(?P<addr>[0-9a-fA-F]{6,16})>\]")
# a stack tag that starts a line, possibly followed by the first frame on that stack
_TAG = re.compile(
    r"^(?P<tag><<EOE>>|</?(?:IRQ|NMI|TASK|SOFTIRQ)>|<EOI>|<EOE>|<#[A-Z]{2}>|<UNK>)\s*"
)
IRQ_EXIT_TAGS = ("</IRQ>", "</NMI>", "<EOI>", "<<EOE>>", "<EOE>", "</SOFTIRQ>")
# x86/arm64/s390 frame line: optional "[<addr>]", powerpc "[sp] [ip]", optional "? ", the rest
_FRAME_LINE = re.compile(
    r"^(?P<paren>\()?(?:\[<(?P<addr>[0-9a-fA-F]+)>\]\s*)?"
    r"(?:\[(?P<sp>[0-9a-fA-F]{8,16})\] \[(?P<ip>[0-9a-fA-F]{8,16})\] )?"
    r"(?P<q>\? )?(?P<rest>\S.*)$"
)
_ADDRESS_ONLY = re.compile(r"^(?:0x)?(?P<addr>[0-9a-fA-F]{8,16})$")
# arm: "[<c0123456>] (func+0x1/0x2) from [<c0123457>] (parent+0x3/0x4)"
_ARM32 = re.compile(r"^\[<(?P<addr>[0-9a-fA-F]+)>\] \((?P<inner>[^)]*)\) from \[<[0-9a-fA-F]+>\]")
# arm without CONFIG_BACKTRACE_VERBOSE: " func from parent+0x3/0x4" (%ps from %pS)
_ARM32_SHORT = re.compile(
    r"^(?P<func>" + _SYM + r")(?: \[(?P<mod>[\w-]+)\])? from (?:" + _SYM + r"\+0x|0x[0-9a-f])"
)
# the %ps of a module function: "foo_write [foo]"
_FUNC_MOD = re.compile(r"^(?P<func>[A-Za-z_.$][\w.$]*)(?: \[(?P<mod>[\w-]+)\])?$")
_ARM32_NOSYMS = re.compile(r"^Function entered at \[<(?P<addr>[0-9a-fA-F]+)>\] from \[<")
# powerpc: "--- interrupt: 700 at func+0x1/0x2": the interrupted instruction
_PPC_INTERRUPT = re.compile(r"^--- interrupt: [0-9a-f]+ at (?P<rest>\S.*)$")
_RIP = re.compile(
    r"^(?:RIP|EIP|IP|NIP|pc|PC|epc|ip)\s*(?::|is at|(?=\[))\s*(?:[0-9a-fA-F]{4}:)?"
    r"(?:\[<?(?P<a1>[0-9a-fA-F]+)>?\]\s*)?(?:\[<(?P<a2>[0-9a-fA-F]+)>\]\s*)?(?:\[[0-9a-fA-F]+\] )?"
    r"(?P<rest>.*)$"
)
# die()'s footer repeats the instruction pointer after the trace, without a segment:
# "EIP: [<c04abcde>] foo+0x12/0x34 SS:ESP 0068:f6bd3e7c" (i386), "RIP  [<ffff..>] foo+0x1/0x2"
RIP_FOOTER = re.compile(r"^(?:EIP: \[<|RIP  \[<)")
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
# The taint part of dump_stack's "CPU: 2 PID: 1234 Comm: x Tainted: G  W  OE  5.15.0 #85", of
# lockdep's banner and of old "Pid:" lines: "Not tainted" or "Tainted: <letters>", where RHEL
# adds groups of distribution flags ("------------", "--------- -  -"; letters may follow
# a group directly: "------------T"), then the release.
_TAINT_KERNEL = (
    r"(?:Kdump: loaded\s+)?(?:Not tainted|Tainted: (?P<taint>[A-Z][A-Za-z \-]*?))"
    r"\s+\(?(?P<kernel>\d+\.\d+[^\s#)]*)"
)
_WHO = re.compile(
    r"CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>.{1,20}?)\s+" + _TAINT_KERNEL
)
_WHO_BARE = re.compile(
    r"CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>\S.{0,19}?)(?:\s|$)"
)
# 2.6/3.x kernels (RHEL 6): "Pid: 1234, comm: bash Not tainted 2.6.32-754.el6.x86_64 #1 ..."
_WHO_OLD = re.compile(r"^Pid: (?P<pid>\d+), comm: (?P<comm>.{1,20}?)\s+" + _TAINT_KERNEL)
# i386 before 2.6.25 (show_registers): "Process insmod (pid: 1234, ti=f6bd2000 task=..."
_WHO_I386 = re.compile(r"^Process (?P<comm>.{1,20}?) \(pid: (?P<pid>\d+), ti=")
# the taint line of reports without a CPU line (hung tasks): "      Not tainted 6.1.0-13-amd64 #1"
TAINT_LINE = re.compile(r"^" + _TAINT_KERNEL)
# lockdep's banner (print_kernel_ident): "6.1.0-13-amd64 #1 Not tainted", "5.15.0 #85 Tainted: G W"
BANNER = re.compile(
    r"^(?P<kernel>\d+\.\d+\S*) #\S+\s+(?:Not tainted|Tainted: (?P<taint>[A-Z][A-Za-z \-]*))\s*$"
)
# i386 before 2.6.25: "EFLAGS: 00010246   (2.6.18-194.el5 #1)"
EFLAGS_RELEASE = re.compile(r"^EFLAGS: [0-9a-fA-F]+\s+\((?P<kernel>\d+\.\d+[^\s#)]*) #")
_HARDWARE = re.compile(r"^Hardware name: (?P<hw>.+?)\s*$")
_MODULES = re.compile(r"^Modules linked in:(?P<mods>.*)$")
# a continuation of a wrapped "Modules linked in:" list: module names and their flags only
MODULES_MORE = re.compile(
    r"^[\w-]+(?:\([A-Z+\-]+\))?(?:\s+[\w-]+(?:\([A-Z+\-]+\))?)*\s*"
    r"(?:\[last unloaded: [^\]]*\]\s*)?$"
)
_LAST_UNLOADED = re.compile(r"\[last unloaded: [^\]]*\]")
_CODE = re.compile(r"^Code: (?P<code>.*\S)")
MARKERS = re.compile(
    r"^(?:Call Trace:|Call trace:|Backtrace:|backtrace:|Stack:|Call Trace$|"
    r"Allocated by task|Freed by task|Last potentially related work creation|"
    r"Second to last potentially related|Uninit was (?:created|stored)|Local variable |"
    r"Memory state around|The buggy address|Allocated in |Freed in |"
    r"-> #\d+|stack backtrace:|other info that might help|"
    r"Chain exists of|Possible unsafe locking|\*\*\* DEADLOCK|NMI backtrace for cpu|"
    r"Sending NMI from CPU|(?:read|write)(?:-write)? (?:\(marked\) )?to 0x|"
    r"Showing all locks held|Showing busy workqueues|Last Breaking-Event-Address:|"
    r"INFO: (?:Allocated|Freed) in |"
    r"rcu: RCU grace-period kthread stack dump:|page_owner tracks the page as"
    r"|page last (?:allocated|free))"
)


# include/linux/kallsyms.h KSYM_NAME_LEN (512 since v6.1, for Rust): no symbol is longer
KSYM_NAME_LEN = 512


def _frame(
    name: str,
    off: Optional[int],
    size: Optional[int],
    mod: Optional[str],
    addr: Optional[int],
    reliable: bool = True,
) -> Frame:
    if name.startswith(".") and len(name) > 1:
        name = name[1:]  # ppc64 ELFv1: ".func" is the function's code entry
    return Frame(maybe_demangle(name[:KSYM_NAME_LEN]), off, size, mod, addr, reliable)


def is_marker(line: str) -> bool:
    """A line that starts a stack section: MARKERS, or lockdep's "... at:" before a trace."""
    return MARKERS.match(line) is not None or line.endswith(" at:")


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


def split_tag(line: str) -> Tuple[Optional[str], str]:
    """(stack tag, rest of the line): `<IRQ>  [<a>] f+0x1/0x2` -> ("<IRQ>", "[<a>] f+..")."""
    m = _TAG.match(line)
    if not m:
        return None, line
    return m.group("tag"), line[m.end() :]


def parse_frame(line: str, address_only: bool = False) -> Optional[Frame]:
    """One call-trace line (stripped, stack tag removed) as a Frame, or None.

    `address_only` also accepts an entry printed as an address alone (inside a trace)."""
    s = line.strip()
    if not s:
        return None
    if " from " in s:
        arm = _arm32_frame(s)
        if arm is not None:
            return arm
    m = _FRAME_LINE.match(s)
    if not m:
        return None
    rest = m.group("rest").rstrip()
    if m.group("paren") and rest.endswith(")"):
        rest = rest[:-1]
    addr_s = m.group("addr") or m.group("ip")
    addr = int(addr_s, 16) if addr_s else None
    unreliable = bool(m.group("q")) or bool(m.group("paren")) or rest.endswith("(unreliable)")
    pf = parse_frame_text(rest)
    if pf:
        return _frame(pf[0], pf[1], pf[2], pf[3], addr, not unreliable)
    if address_only and (addr is not None or m.group("q")):
        am = _ADDRESS_ONLY.match(rest.strip())
        if am:
            return Frame(None, None, None, None, addr or int(am.group("addr"), 16), not unreliable)
    return None


def _arm32_frame(s: str) -> Optional[Frame]:
    m = _ARM32.match(s)
    if m:
        inner = m.group("inner").strip()
        pf = parse_frame_text(inner)
        fm = _FUNC_MOD.match(inner) if pf is None else None
        if fm:
            pf = (fm.group("func"), None, None, fm.group("mod"))
        addr = int(m.group("addr"), 16)
        if pf is None:
            return Frame(None, None, None, None, addr, True)
        return _frame(pf[0], pf[1], pf[2], pf[3], addr)
    m = _ARM32_SHORT.match(s)
    if m:
        return _frame(m.group("func"), None, None, m.group("mod"), None)
    m = _ARM32_NOSYMS.match(s)
    if m:
        return Frame(None, None, None, None, int(m.group("addr"), 16), True)
    return None


def parse_interrupt_frame(line: str) -> Optional[Frame]:
    """powerpc `--- interrupt: 700 at func+0x1/0x2`: the interrupted function."""
    m = _PPC_INTERRUPT.match(line)
    if not m:
        return None
    pf = parse_frame_text(m.group("rest"))
    return _frame(pf[0], pf[1], pf[2], pf[3], None) if pf else None


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
        return _frame(pf[0], pf[1], pf[2], pf[3], addr)
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


def _letters(flags: Optional[str]) -> Optional[str]:
    """The taint letters of a flags field, distribution dash groups removed."""
    if flags is None:
        return None
    return "".join(c if c.isupper() else " " for c in flags).rstrip()


def parse_who(line: str) -> Optional[Dict[str, object]]:
    """`CPU: 2 PID: 1234 Comm: x Tainted: G  W  OE  5.15.0 #85` -> its fields."""
    m = _WHO.search(line) or _WHO_OLD.search(line)
    if m is None:
        m = _WHO_BARE.search(line) or _WHO_I386.search(line)
        if m is None:
            return None
        cpu = int(m.group("cpu")) if "cpu" in m.re.groupindex else None
        return {"cpu": cpu, "pid": int(m.group("pid")),
                "comm": m.group("comm").strip(), "taint": None, "kernel": None}  # fmt: skip
    return {
        "cpu": int(m.group("cpu")) if "cpu" in m.re.groupindex else None,
        "pid": int(m.group("pid")),
        "comm": m.group("comm").strip(),
        "taint": _letters(m.group("taint")),
        "kernel": m.group("kernel"),
    }


def parse_taint_line(line: str) -> Optional[Tuple[Optional[str], str]]:
    """(taint letters or None, kernel release) of a bare `Not tainted 6.1.0 #1` line or of
    lockdep's banner `6.1.0 #1 Tainted: G W`."""
    m = TAINT_LINE.match(line) or BANNER.match(line)
    return (_letters(m.group("taint")), m.group("kernel")) if m else None


def parse_hardware(line: str) -> Optional[str]:
    m = _HARDWARE.match(line.strip())
    return m.group("hw") if m else None


def module_names(text: str) -> List[str]:
    """Module names of a `Modules linked in:` list or its continuation lines."""
    text = _LAST_UNLOADED.sub(" ", text)
    # "nvidia(POE)": the flags in brackets are the module's taint, not its name
    return [tok.split("(")[0] for tok in text.split() if not tok.startswith("[")]


def parse_modules(line: str) -> Optional[List[str]]:
    m = _MODULES.match(line.strip())
    if not m:
        return None
    return module_names(m.group("mods"))[:512]


def parse_code(line: str) -> Optional[str]:
    m = _CODE.match(line.strip())
    return m.group("code") if m else None


_PLAIN_FUNC = re.compile(r"^([A-Za-z_.][\w.]*)(?: [\w./-]+\.\w+:\d+|\s*$)")


def site_function(text: str) -> Optional[str]:
    """The function of a lockdep site, `f+0x1/0x2`, `f lib/x.c:12` or a bare `f`."""
    pf = parse_frame_text(text)
    if pf is None:
        m = _PLAIN_FUNC.match(text)
        if not m:
            return None
        pf = (m.group(1), None, None, None)
    return _frame(pf[0], None, None, None, None).function


def frame_function_in(text: str) -> Optional[str]:
    """The first `func+0x1/0x2` function mentioned anywhere in `text`."""
    m = _FUNC_OFF.search(text)
    return _frame(m.group("func"), None, None, None, None).function if m else None


def address_in(text: str) -> Optional[int]:
    m = _ADDR.search(text)
    return int(m.group("addr"), 16) if m else None
