"""Which boot an artifact belongs to, and when that boot crashed, by the kernel's own words.

A pstore record and a kdump dump's dmesg are the crashed kernel's log: lines stamped with
its printk time ("[   12.345678] msg"). The journal kept the same lines of that boot under
its _BOOT_ID, with the same time in _SOURCE_MONOTONIC_TIMESTAMP, so a few of them name the
boot exactly. File times do not: the kdump directory is written (and named) by the
capture kernel, systemd-pstore's copies and its dmesg.txt by the boot after. Where the
journal does not hold the lines (a volatile journal, another disk), the record's own time
decides: pstore dates each record with the time of the dump, a kdump directory is named
when the capture kernel ran; either belongs to the last boot started by then that is not
a kdump capture boot.

The crash's time is the last kernel timestamp of its log on the crashed boot's clock (the
journal's pair of realtime and monotonic time of that boot), never before the boot's last
journal entry.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

# "<6>[    1.022441] msg" (pstore keeps the syslog prefix) or "[    1.022441] msg" (dmesg).
_LINE = re.compile(r"^(?:<\d+>)?\[\s*(\d+)\.(\d{6})\] ?(.*)$")
SAMPLE_LINES = 12
MIN_MESSAGE_CHARS = 12
LATE_SECONDS = 1.0  # early boot lines can repeat to the microsecond on the same machine


def kernel_lines(text: Optional[str]) -> List[Tuple[int, str]]:
    """(printk time in microseconds, message) of each timestamped line of a kernel log."""
    out = []
    for line in (text or "").splitlines():
        m = _LINE.match(line)
        if m:
            out.append((int(m.group(1)) * 1_000_000 + int(m.group(2)), m.group(3)))
    return out


def sample_lines(lines: Sequence[Tuple[int, str]], n: int = SAMPLE_LINES) -> List[Tuple[int, str]]:
    """A few lines to look up in the journal: messages that occur once in the log, long
    enough to be particular, later than the first second when there are such, spread over
    the whole log (its end, the crash, may never have reached the journal)."""
    counts: Dict[str, int] = {}
    for _, message in lines:
        counts[message] = counts.get(message, 0) + 1
    usable = [
        (t, m)
        for t, m in lines
        if counts[m] == 1 and len(m) >= MIN_MESSAGE_CHARS and m == m.strip()
    ]
    late = [(t, m) for t, m in usable if t >= LATE_SECONDS * 1_000_000]
    pool = late if len(late) >= n else usable
    if len(pool) <= n:
        return list(pool)
    step = len(pool) / n
    return [pool[int(i * step)] for i in range(n)]


def boot_of_text(
    journal_dir: Optional[str], text: Optional[str], boots: Sequence[Any]
) -> Optional[str]:
    """The boot whose kernel log in the journal holds the most of the text's lines at
    their own timestamps; None when none or two boots equally."""
    lines = sample_lines(kernel_lines(text))
    if not lines or not boots:
        return None
    from kcrashd.sources.previous_boot import boots_logging

    known = {b.boot_id for b in boots}
    counts = boots_logging(journal_dir, lines)
    ranked = sorted(((c, b) for b, c in counts.items() if b in known), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]


def boot_for_time(
    t: Optional[float],
    boots: Sequence[Any],
    current: Optional[str],
    previous: Optional[str],
    keep_current: bool = False,
) -> Optional[str]:
    """The boot an artifact dated t belongs to: the last boot started by then that is not a
    kdump capture boot. Undated, older than the journal, or dated in the current boot
    (unless keep_current) means the previous boot's."""
    if not t or not boots:
        return previous
    candidate = None
    for b in boots:
        if b.first <= t + 1 and not getattr(b, "capture", False):
            candidate = b.boot_id
    if candidate is None or (candidate == current and not keep_current):
        return previous
    return candidate


def last_kernel_time(text: Optional[str]) -> Optional[float]:
    """The newest printk time of a kernel log, in seconds (when the kernel last spoke)."""
    times = [t for t, _ in kernel_lines(text)]
    return max(times) / 1e6 if times else None


def crash_realtime(boot: Any, text: Optional[str]) -> Optional[float]:
    """When the boot's kernel wrote the last line of `text`, on the wall clock (from the
    boot's journal clocks), not before the boot's last journal entry."""
    kernel_time = last_kernel_time(text)
    if boot is None or kernel_time is None:
        return None
    when = boot.realtime_of(kernel_time)
    return None if when is None else max(when, boot.last)
