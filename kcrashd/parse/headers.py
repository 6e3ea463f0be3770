"""The detection table: which line starts a crash report, and of which kind.

`PREFILTER` is one compiled regex of header keywords: a line (or a whole text) that does
not match it cannot start a report, so crash-free text costs one regex search.
`classify(text)` then walks the ordered table, honouring each header's false friends.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional, Pattern, Tuple

# Keywords every header contains; kept loose (a superset), `classify` is exact.
PREFILTER: Pattern[str] = re.compile(
    r"BUG|WARNING:|INFO:|Unable to handle|general protection|stack segment|[Pp]anic|PANIC"
    r"|divide error|invalid opcode|int3:|UBSAN:|unregister_netdevice|VFS: |Internal error"
    r"|Unhandled fault|Alignment trap|fatal error:|SYZF|oom-kill|[Oo]ut of memory"
    r"|Hardware Error|Machine Check|Machine check|hard LOCKUP|I/O error|medium error"
    r"|suspected memory leak|double fault|Oops"
)


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
        r"BUG: unable to handle|Unable to handle kernel|BUG: kernel NULL pointer dereference"
        r"|BUG: kernel paging request",
        None,
        False,
    ),
    (
        "lockdep_bug",
        "lockdep",
        r"BUG: (?:bad unlock balance|held lock freed|MAX_\w+ too low|lock held when"
        r"|still has locks held|looking up invalid subclass|key \S+ has not been registered)",
        None,
        False,
    ),
    ("kernel_bug", "bug", r"[Kk]ernel BUG(?: at)?", None, False),
    ("slub", "bug", r"BUG [\w.:-]+ \((?:Not t|T)ainted[^)]*\): ", r": kasan: bad access", False),
    ("bug", "bug", r"(?<!\w)BUG: ", r"ODEBUG|_BUG: |BUG: KASAN|sanity check failed", False),
    (
        "lockdep_warning",
        "lockdep",
        r"(?:WARNING|INFO): (?:possible circular locking|possible recursive locking"
        r"|inconsistent lock state|suspicious RCU usage|bad unlock balance|held lock freed"
        r"|lock held when returning|still has locks held|possible irq lock inversion"
        r"|\w+-safe -> \w+-unsafe|nested lock was not taken|lock held by|lockdep bfs"
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
        r"|Speculative|WARNING: See https?:|kernel not compiled with|ath10k USB support",
        False,
    ),
    ("hung_task", "hung_task", r"INFO: task .* (?:blocked for more than|can't die)", None, False),
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
    ("divide_error", "exception", r"divide error: ", r"trap divide error", False),
    ("invalid_opcode", "exception", r"invalid opcode: ", r"trap invalid opcode", True),
    ("int3", "exception", r"(?:^|Oops: )int3: ", None, False),
    ("arm_internal", "exception", r"Internal error: ", None, True),
    ("arm_unhandled", "exception", r"Unhandled fault: |Alignment trap: ", None, False),
    ("ubsan", "ubsan", r"UBSAN: ", None, False),
    ("panic", "panic", r"Kernel panic - not syncing|Kernel panic", None, True),
    ("rust_panic", "panic", r"rust_kernel: panicked", None, False),
    ("trusty", "panic", r"trusty: panic", None, False),
    ("unregister", "hung_task", r"unregister_netdevice: waiting for", None, True),
    ("vfs", "bug", r"VFS: Close: file count is zero|VFS: Busy inodes after unmount", None, False),
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
        r"|mce: .*Machine check",
        None,
        False,
    ),
    (
        "io_error",
        "io_error",
        r"I/O error, dev \S+, sector|blk_update_request: .*I/O error|Buffer I/O error on dev"
        r"|critical medium error, dev|critical target error, dev",
        None,
        False,
    ),
    ("syz", "bug", r"SYZFAIL: |SYZFATAL: ", None, False),
    ("go_fatal", "bug", r"^fatal error: ", None, False),
)

_COMPILED = tuple(
    (Header(name, kind, inner), re.compile(rx), re.compile(ff) if ff else None)
    for name, kind, rx, ff, inner in _TABLE
)


def classify(text: str) -> Optional[Tuple[Header, int]]:
    """The header `text` starts, with where in the text it matched; None if none."""
    if not PREFILTER.search(text):
        return None
    for header, rx, false_friend in _COMPILED:
        m = rx.search(text)
        if m and not (false_friend and false_friend.search(text)):
            return header, m.start()
    return None
