"""syzbot-style titles ("<what> in <guilty function>") and their normalisation (addresses,
numbers, PIDs out), one small function per report format."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

_EXECUTOR = re.compile(r"syz-executor\.?\d+")
_SYZ_PROC = re.compile(r"\bsyz\.\d+\.\d+\b")
_HEX_ADDR = re.compile(r"\b(?:0x)?[0-9a-fA-F]{6,}\b")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
_FILE_LINE = re.compile(r"(\.\w{1,3}):\d+(?::\d+)?\b")
_FUNC_OFF = re.compile(r"\b([\w.$]+)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+")
_CPU = re.compile(r"CPU#\d+")
_NUM = re.compile(r"(?<![\w.])\d+(?![\w])")
_NONPRINT = re.compile(r"[^\x20-\x7e]")
_SPACES = re.compile(r"\s+")
MAX_TITLE = 120

_KASAN = re.compile(r"BUG: KASAN: ([\w-]+(?: or [\w-]+)?)")
_KASAN_ACCESS = re.compile(r"^(Read|Write) of size")
_K_SANITIZER = re.compile(r"BUG: (K\w+): (.*?) in ")
_UBSAN = re.compile(r"UBSAN: ([\w -]+?)(?: in |$)")
_PAGE_FAULT_NULL = re.compile(r"NULL pointer dereference")
_BUG_MSG = re.compile(r"BUG: ([^:]*?)(?::| at | on | in |$)")
_WARN_MSG = re.compile(r"WARNING: (.*)$")
_LOCKDEP_MSG = re.compile(r"((?:WARNING|INFO|BUG): [^:!]*?)(?: detected|!|:|$)")
_PANIC_MSG = re.compile(r"Kernel panic - not syncing: ?(.*)$")


def normalize(title: str) -> str:
    """Make a title stable: no PIDs, addresses, line numbers or timestamps in it."""
    t = _NONPRINT.sub("", title)
    t = _EXECUTOR.sub("syz-executor", t)
    t = _SYZ_PROC.sub("syz", t)
    t = _FUNC_OFF.sub(r"\1", t)
    t = _FILE_LINE.sub(r"\1:LINE", t)
    t = _IP.sub("IP", t)
    t = _HEX_ADDR.sub("ADDR", t)
    t = _CPU.sub("CPU", t)
    t = _NUM.sub("NUM", t)
    t = _SPACES.sub(" ", t).strip()
    return t[:MAX_TITLE]


MAX_FUNCTION_IN_TITLE = 80


def in_function(prefix: str, function: Optional[str]) -> str:
    return f"{prefix} in {(function or 'corrupted')[:MAX_FUNCTION_IN_TITLE]}"


class _T:
    """What a title is made from."""

    __slots__ = ("name", "text", "lines", "function")

    def __init__(self, name: str, text: str, lines: Sequence[str], function: Optional[str]) -> None:
        self.name = name
        self.text = text
        self.lines = lines
        self.function = function


def _kasan(t: _T) -> str:
    m = _KASAN.search(t.text)
    what = m.group(1) if m else "bug"
    access = ""
    for line in t.lines[1:6]:
        am = _KASAN_ACCESS.match(line.strip())
        if am:
            access = " " + am.group(1)
            break
    return in_function(f"KASAN: {what}{access}", t.function)


def _k_sanitizer(t: _T) -> str:
    m = _K_SANITIZER.search(t.text)
    if not m:
        return normalize(t.text)
    if t.name == "kcsan":
        return normalize(f"{m.group(1)}: {m.group(2)} in " + t.text.split(" in ", 1)[1])
    return in_function(f"{m.group(1)}: {m.group(2)}", t.function)


def _ubsan(t: _T) -> str:
    m = _UBSAN.search(t.text)
    return in_function("UBSAN: " + (m.group(1) if m else "bug"), t.function)


def _page_fault(t: _T) -> str:
    what = "NULL pointer dereference" if _PAGE_FAULT_NULL.search(t.text) else "paging request"
    return in_function(f"BUG: unable to handle kernel {what}", t.function)


def _kernel_bug(t: _T) -> str:
    if "lib/list_debug" in t.text:
        return in_function("BUG: corrupted list", t.function)
    if "mm/usercopy" in t.text:
        return in_function("BUG: bad usercopy", t.function)
    return in_function("kernel BUG", t.function)


def _hung_task(t: _T) -> str:
    what = "INFO: task can't die" if "can't die" in t.text else "INFO: task hung"
    return in_function(what, t.function)


def _lockdep(t: _T) -> str:
    if "circular locking" in t.text or "recursive locking" in t.text:
        return in_function("possible deadlock", t.function)
    if "inconsistent lock state" in t.text:
        return in_function("inconsistent lock state", t.function)
    m = _LOCKDEP_MSG.search(t.text)
    what = normalize(m.group(1)).rstrip(" ].") if m else "lockdep bug"
    return in_function(what, t.function)


def _warning(t: _T) -> str:
    if "lib/refcount" in t.text:
        return in_function("WARNING: refcount bug", t.function)
    if "ODEBUG" in " ".join(t.lines[:3]):
        return in_function("WARNING: ODEBUG bug", t.function)
    if "lib/kobject" in t.text:
        return in_function("WARNING: kobject bug", t.function)
    m = _WARN_MSG.search(t.text)
    msg = m.group(1) if m else ""
    if msg.startswith(("CPU:", "at ")) or " at " in msg:
        return in_function("WARNING", t.function)
    return in_function("WARNING: " + normalize(msg).rstrip(".!"), t.function)


def _bug(t: _T) -> str:
    m = _BUG_MSG.search(t.text)
    what = m.group(1).strip() if m else ""
    return in_function(normalize("BUG: " + what) if what else "BUG", t.function)


def _panic(t: _T) -> str:
    m = _PANIC_MSG.search(t.text)
    msg = normalize(m.group(1) if m else t.text).rstrip(" .]-")
    if "stack" in msg and t.function:
        return f"kernel panic: {msg} in {t.function}"
    return f"kernel panic: {msg}"


def _exception(t: _T) -> str:
    what = {
        "stack_segment": "stack segment",
        "divide_error": "divide error",
        "double_fault": "PANIC: double fault",
        "arm_internal": "Internal error",
        "arm_unhandled": "Unhandled fault" if "Unhandled" in t.text else "Alignment trap",
    }.get(t.name, t.name.replace("_", " "))
    return in_function(what, t.function)


def _fixed(prefix: str) -> Callable[[_T], str]:
    return lambda t: in_function(prefix, t.function)


_ALLOC_ORDER = re.compile(r"order:(\d+)")


def _rust_panic(t: _T) -> str:
    # "rust_kernel: panicked at <file>:<line>:<col>:" then the panic message on the next line
    msg = t.lines[1].strip() if len(t.lines) > 1 else ""
    return in_function(normalize(msg) if msg else "rust panic", t.function)


def _alloc_failure(t: _T) -> str:
    if "vmalloc" in t.text:
        what = "vmalloc failure"
    else:
        m = _ALLOC_ORDER.search(t.text)
        what = "page allocation failure" + (f": order:{m.group(1)}" if m else "")
    return what + (f" in {t.function}" if t.function else "")


_TITLES: Dict[str, Callable[[_T], str]] = {
    "kasan": _kasan,
    "kfence": _k_sanitizer,
    "kmsan": _k_sanitizer,
    "kcsan": _k_sanitizer,
    "ubsan": _ubsan,
    "leak": _fixed("memory leak"),
    "soft_lockup": _fixed("BUG: soft lockup"),
    "hard_lockup": _fixed("hard lockup"),
    "page_fault": _page_fault,
    "kernel_bug": _kernel_bug,
    "hung_task": _hung_task,
    "rcu_stall": _fixed("INFO: rcu detected stall"),
    "gpf": _fixed("general protection fault"),
    "lockdep_warning": _lockdep,
    "lockdep_bug": _lockdep,
    "lockdep_at": _fixed("WARNING: locking bug"),
    "warning": _warning,
    "bug": _bug,
    "panic": _panic,
    "alloc_failure": _alloc_failure,
    "rust_panic": _rust_panic,
    **{
        name: _exception
        for name in (
            "double_fault",
            "stack_segment",
            "divide_error",
            "invalid_opcode",
            "int3",
            "arm_internal",
            "arm_unhandled",
        )
    },  # fmt: skip
}


def make_title(name: str, text: str, lines: Sequence[str], function: Optional[str]) -> str:
    """syzbot-style title: "<what> in <guilty function>"."""
    fn = _TITLES.get(name)
    return fn(_T(name, text, lines, function)) if fn else normalize(text)


def detail_title(kind: str, details: Mapping[str, Any], text: str) -> str:
    """Titles of the kinds described by their details (OOM victim, MCE bank, I/O device)."""
    if kind == "oom_kill":
        if details.get("no_killable") and not details.get("victim_comm"):
            return "oom-kill: no killable process"
        return normalize(f"oom-kill: killed {details.get('victim_comm') or 'unknown'}")
    if kind == "mce":
        bank = details.get("bank")
        if bank is not None:
            return f"machine check: bank {bank}"
        return "machine check: hardware error"
    if kind == "io_error":
        return f"I/O error on {details.get('device', 'unknown')}"
    return normalize(text)
