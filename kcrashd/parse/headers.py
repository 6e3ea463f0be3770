"""The detection table: which line starts a crash report, and of which kind.

`may_start_report(line)` / `HitScanner` test for header keywords: a line (or a whole text)
without one cannot start a report, so crash-free text costs one cheap scan.
`classify(text)` then walks the ordered table, honouring each header's false friends; a row's
regex runs only on a text that holds one of the literal strings it cannot match without
(needles.required). `WANTED` finds any of those strings: a line it does not find cannot
start a report (the assembler's one search per line while no report is open).
"""

from __future__ import annotations

import re
from typing import Dict, List, Match, NamedTuple, Optional, Pattern, Tuple

from kcrashd.parse.needles import anchors, any_of, fewest, leading, required

# Keywords every header contains; kept loose (a superset), `classify` is exact. Keywords that
# start with an upper-case letter go into one regex (few positions in text can start a match,
# so the regex engine skips fast); the others are plain substring searches (str.find is
# C-speed). Together they are the one cheap check that crash-free text has to pass.
_UPPER_KEYS = (
    "BUG",
    "WARNING:",
    "INFO:",
    "Unable to handle",
    "PANIC",
    "UBSAN:",
    "VFS: ",
    "Internal error",
    "Unhandled fault",
    "Alignment trap",
    "SYZF",
    "Hardware Error",
    "Machine ",
    "LOCKUP",
    "I/O error",
    "I/O Error",
    "EDAC ",
    "Oops",
    "Kernel ",
    # warn_alloc() decodes the gfp mask: "page allocation failure: ..., mode:0x40cc0(GFP_KERNEL)"
    "GFP_",
    "Out of memory",
    "Memory cgroup out of memory",
)
LOWER_KEYS = (
    "general protection",
    "stack segment",
    "anic",
    "divid",  # "divide error:" and "divide_error:"; str.find is fastest on a rare last letter
    "invalid opcode",
    "int3:",
    "unregister_netdevice",
    "fatal error:",
    "oom-kill",
    "allocation failure",  # 3.x: "page allocation failure: order:1, mode:0x20", no names
    "error, dev",
    "suspected memory leak",
    "unreferenced object",
    "double fault",
)
UPPER: Pattern[str] = re.compile("|".join(re.escape(k) for k in _UPPER_KEYS))


def may_start_report(line: str) -> bool:
    """The cheap per-line check: False means the line cannot be a report header."""
    if UPPER.search(line) is not None:
        return True
    return any(key in line for key in LOWER_KEYS)


class HitScanner:
    """Finds the next position in a whole text where a header keyword occurs.

    Remembers each keyword's next occurrence, so a text is scanned about once per keyword
    however many hits it has.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._upper = -2  # -2: not searched yet, -1: no more
        self._lower = [-2] * len(LOWER_KEYS)

    def next_hit(self, pos: int) -> int:
        """The smallest keyword position >= pos, or -1."""
        text = self._text
        if self._upper != -1 and self._upper < pos:
            m = UPPER.search(text, pos)
            self._upper = m.start() if m else -1
        best = self._upper
        lower = self._lower
        for i, key in enumerate(LOWER_KEYS):
            p = lower[i]
            if p != -1 and p < pos:
                p = lower[i] = text.find(key, pos)
            if p != -1 and (best == -1 or p < best):
                best = p
        return best


class Header(NamedTuple):
    name: str  # which format matched (drives title and guilty-frame recipes)
    kind: str
    # may appear inside another report without starting a new one (invalid opcode after
    # "kernel BUG at", the panic echo, ...)
    inner: bool


# (name, kind, regex searched in the stripped line, false-friend regex or None, inner)
_TABLE: Tuple[Tuple[str, str, str, Optional[str], bool], ...] = (
    ("kasan", "kasan", r"BUG: KASAN: ", None, False),
    ("kfence", "kfence", r"BUG: KFENCE: ", None, False),
    ("kmsan", "kmsan", r"BUG: KMSAN: ", None, False),
    ("kcsan", "kcsan", r"BUG: KCSAN: ", None, False),
    (
        "leak",
        "memory_leak",
        r"BUG: memory leak|^unreferenced object 0x|new suspected memory leaks",
        None,
        False,
    ),
    ("soft_lockup", "soft_lockup", r"BUG: soft lockup", None, False),
    ("hard_lockup", "hard_lockup", r"Watchdog detected hard LOCKUP", None, False),
    (
        "page_fault",
        "page_fault",
        r"BUG: unable to handle|Unable to handle kernel|BUG: [Kk]ernel NULL pointer dereference"
        r"|BUG: [Kk]ernel paging request",
        None,
        False,
    ),
    (
        "lockdep_bug",
        "lockdep",
        r"BUG: (?:bad unlock balance|held lock freed|MAX_\w+ too low|lock held when"
        r"|still has locks held|looking up invalid subclass|key \S+ has not been registered"
        r"|Invalid wait context)",
        None,
        False,
    ),
    ("kernel_bug", "bug", r"[Kk]ernel BUG(?: at)?", None, False),
    (
        # mm/slub.c slab_bug(): "BUG kmalloc-64 (Not tainted): Poison overwritten"; before
        # 2.6.37 without the taint part, so the message itself must be one of SLUB's
        "slub",
        "bug",
        r"BUG [\w.:-]+ \((?:Not t|T)ainted[^)]*\): |^BUG [\w.:-]+: (?:(?:Right |Left )?Redzone"
        r" overwritten|Poison overwritten|(?:Object )?[Pp]adding overwritten|Object already free"
        r"|Freepointer corrupt|Freechain corrupt|Invalid object pointer|Not a valid slab page"
        r"|Wrong (?:object count|number of objects)|Objects remaining|Attempt to free object)",
        r": kasan: bad access",
        False,
    ),
    ("bug", "bug", r"(?<!\w)BUG: ", r"ODEBUG|_BUG: |BUG: KASAN|sanity check failed", False),
    (
        "lockdep_warning",
        "lockdep",
        r"(?:WARNING|INFO): (?:\S+/\d+ )?(?:possible circular locking|possible recursive locking"
        r"|inconsistent lock state|suspicious RCU usage|bad unlock balance|held lock freed"
        r"|lock held when returning|still has locks held|possible irq lock inversion"
        r"|\w+-safe -> \w+-unsafe|[Nn]ested lock was not taken|lock held by|lockdep bfs"
        r"|bad contention detected"
        r"|trying to register non-static key)",
        None,
        False,
    ),
    ("lockdep_at", "lockdep", r"WARNING: .*(?:kernel/locking/lockdep|lockdep\.c)", None, False),
    (
        "warning",
        "warning",
        r"(?<!\w)WARNING: ",
        r"WARNING: /etc/ssh|mand mount option|Unprivileged eBPF"
        r"|Speculative|WARNING: See https?:|kernel not compiled with"
        # a subsystem's notice ("RETBleed: WARNING: ..."): WARN() lines start with the word
        r"|^(?!WARNING)[^\[\]]{1,60}?: WARNING: (?!CPU: \d|at \S+:\d)",
        False,
    ),
    (
        "hung_task",
        "hung_task",
        r"INFO: task .* (?:blocked (?:in I/O wait )?for more than|can't die)",
        None,
        False,
    ),
    (
        "rcu_stall",
        "rcu_stall",
        r"INFO: rcu[_ ]\w* ?(?:self-)?detected (?:expedited )?stall|rcu: INFO: rcu",
        None,
        False,
    ),
    (
        "info",
        "bug",
        r"(?:^|[^_A-Z])INFO: ",
        r"INFO: lockdep is turned off|NMI handler|INFO: Stall ended|INFO: task .* blocked"
        r"|INFO: Object |INFO: Slab |INFO: Allocated|INFO: \w+ is not",
        False,
    ),
    (
        "gpf",
        "gpf",
        r"general protection fault",
        r"general protection fault ip:|general protection fault .* error:\d+ in ",
        False,
    ),
    ("stack_segment", "exception", r"stack segment: ", None, False),
    ("double_fault", "exception", r"PANIC: double fault|double fault: ", None, True),
    # arch/x86/kernel/traps.c: "divide error: 0000 [#1]" (some kernels: "divide_error:")
    ("divide_error", "exception", r"divide[ _]error: ", r"trap divide error", False),
    ("invalid_opcode", "exception", r"invalid opcode: ", r"trap invalid opcode", True),
    ("int3", "exception", r"(?:^|Oops: )int3: ", None, False),
    ("arm_internal", "exception", r"Internal error: ", None, True),
    ("arm_unhandled", "exception", r"Unhandled fault: |Alignment trap: ", None, False),
    ("ubsan", "ubsan", r"UBSAN: ", None, False),
    ("panic", "panic", r"Kernel panic - not syncing|Kernel panic", None, True),
    ("rust_panic", "panic", r"rust_kernel: panicked", None, False),
    ("trusty", "panic", r"trusty: panic", None, False),
    ("unregister", "hung_task", r"unregister_netdevice: waiting for", None, True),
    (
        "vfs",
        "bug",
        r"VFS: Close: file count is (?:zero|0)|VFS: Busy inodes after unmount",
        None,
        False,
    ),
    (
        # mm/page_alloc.c warn_alloc(): "<comm>: page allocation failure: order:4, mode:..." (2.6:
        # "page allocation failure. order:1"); mm/vmalloc.c: "vmalloc error: size ..." (6.x),
        # "vmalloc: allocation failure: N bytes" (4.x-5.x); each followed by a stack dump
        "alloc_failure",
        "alloc_failure",
        r": page allocation failure[.:] order:|: vmalloc(?: error: size|: allocation failure:)",
        None,
        False,
    ),
    ("oom", "oom_kill", r"invoked oom-killer:", None, False),
    (
        "oom_killed",
        "oom_kill",
        r"(?:Memory cgroup )?[Oo]ut of memory(?: \(oom_kill_allocating_task\))?: Kill",
        None,
        True,
    ),
    (
        "mce",
        "mce",
        r"Machine Check Exception|\[Hardware Error\]|Machine check events logged"
        r"|^EDAC [\w ]+: \d+ [CU]E ",
        None,
        False,
    ),
    (
        "io_error",
        "io_error",
        r"I/O error, dev \S+, sector|blk_update_request: .*I/O error|Buffer I/O error on dev"
        r"|critical medium error, dev|critical target error, dev"
        r"|: I/O Cmd\(0x[0-9a-f]+\) @ LBA \d+, \d+ blocks, I/O Error",
        # virtual block devices (drivers/block/loop.c, brd.c, nbd.c, zram): not a disk
        r"dev (?:loop|ram|nbd|zram)\d+",
        False,
    ),
    ("syz", "bug", r"SYZFAIL: |SYZFATAL: ", None, False),
    ("go_fatal", "bug", r"^fatal error: ", None, False),
)

# (header, needles: one of them is in every text the regex matches ("": none known), the
# literal every match starts with ("": none known), the compiled regex, the compiled false
# friend or None)
_COMPILED = tuple(
    (
        Header(name, kind, inner),
        required(rx) or ("",),
        leading(rx),
        re.compile(rx),
        re.compile(ff) if ff else None,
    )
    for name, kind, rx, ff, inner in _TABLE
)
# Any row's needle: a line without one is no header
_KEYS = fewest(n for row in _COMPILED for n in row[1])
WANTED: Pattern[str] = any_of(_KEYS)
# WANTED on a message's UTF-8 bytes (the needles are ASCII: it matches exactly where WANTED
# matches the decoded text), for the readers that pass lines over unread
WANTED_RAW: Pattern[bytes] = re.compile(WANTED.pattern.encode())
# The rows whose needles hold each key, one bit a row (bit i: _COMPILED[i]), grouped by the
# key's anchor character: classify() looks for a key only in a text holding that character.
_ROWS_BY_CHAR: Dict[str, List[Tuple[str, int]]] = {}
for _key, _at in anchors(_KEYS).items():
    _ROWS_BY_CHAR.setdefault(_key[_at], []).append(
        (_key, sum(1 << i for i, row in enumerate(_COMPILED) if any(_key in n for n in row[1])))
    )
del _key, _at


def _search(rx: Pattern[str], lead: str, text: str) -> Optional[Match[str]]:
    """rx.search(text), for a regex whose every match starts with `lead`: tried only where
    `lead` is (the regex engine, stopped by a lookbehind or `^` in front, tries everywhere)."""
    if not lead:
        return rx.search(text)
    at = text.find(lead)
    while at >= 0:
        m = rx.match(text, at)  # lookbehinds and `^` still see the whole text
        if m:
            return m
        at = text.find(lead, at + 1)
    return None


def classify(text: str) -> Optional[Tuple[Header, int]]:
    """The header `text` starts, with where in the text it matched; None if none.

    Only the rows with a needle in `text` run their regexes, in table order."""
    rows = 0
    for char, keys in _ROWS_BY_CHAR.items():
        if char in text:
            for key, bits in keys:
                if key in text:
                    rows |= bits
    while rows:
        row = rows & -rows  # the lowest bit: the first candidate row left
        rows ^= row
        header, needles, lead, rx, false_friend = _COMPILED[row.bit_length() - 1]
        for needle in needles:
            if needle in text:
                break
        else:
            continue
        m = _search(rx, lead, text)
        if m and not (false_friend and false_friend.search(text)):
            # the keyword check that has always gated the table still does
            return (header, m.start()) if may_start_report(text) else None
    return None
