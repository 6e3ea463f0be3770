"""The previous boot in a persistent journal: its kernel messages and how it ended.

Boots are the distinct _BOOT_ID values of the journal, ordered by their first entry. Only
kernel entries of the chosen boot are read (journal matches on _TRANSPORT=kernel and
_BOOT_ID, so a journal of millions of entries costs what the boot's kernel log costs), plus
the last few entries of the boot of any transport to see whether it shut down cleanly.
systemd-python is imported inside the functions (through kcrashd.sources.journal). The
boot's kernel messages are read through kcrashd.sources.journal.entries_for (fast where
the Reader's private API is there); the few entries per boot for the boot list and its end
through the public API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, List, Mapping, Optional, Tuple

from kcrashd.model import KernelRecord
from kcrashd.sources.journal import entries_for, open_journal, open_kernel_reader

# What systemd 252 and the kernel log while a boot ends on purpose. journald writes
# "Journal stopped" last; PID 1 reaches shutdown.target ("Reached target shutdown.target -
# System Shutdown.") and the final power-off/reboot/halt/kexec targets; logind announces
# "System is powering down/rebooting"; the kernel says "reboot: Restarting system" when
# journald still runs (rare). Any one of them in the boot's last entries is a clean end.
_CLEAN_END = re.compile(
    r"Journal stopped"
    r"|systemd-shutdown"
    r"|Reached target .*(?:Shutdown|Power-?Off|Reboot|Halt|kexec)"
    r"|System is (?:powering down|rebooting|halting)"
    r"|reboot: (?:Restarting system|Power down|System halted)",
    re.I,
)
TAIL_ENTRIES = 50


@dataclass(frozen=True)
class Boot:
    boot_id: str
    first: float  # realtime of its first entry (seconds)
    last: float  # realtime of its last entry
    first_cursor: Optional[str] = None
    last_cursor: Optional[str] = None


@dataclass(frozen=True)
class BootEnd:
    clean: bool
    marker: Optional[str]  # the message that showed a clean end
    last_message: Optional[str]
    last_identifier: Optional[str]
    last_realtime: Optional[float]


def _boot_hex(value: Any) -> str:
    return getattr(value, "hex", None) or str(value).replace("-", "")


def list_boots(directory: Optional[str] = None) -> List[Boot]:
    """Every boot in the journal, oldest first."""
    reader = open_journal(directory)
    try:
        ids = [_boot_hex(b) for b in reader.query_unique("_BOOT_ID")]
        boots = []
        for boot_id in ids:
            reader.flush_matches()
            reader.add_match(f"_BOOT_ID={boot_id}")
            reader.seek_head()
            head = reader.get_next()
            if not head:
                continue
            reader.seek_tail()
            tail = reader.get_previous()
            if not tail:
                continue
            first, last = _realtime(head), _realtime(tail)
            boots.append(Boot(boot_id, first, last, head.get("__CURSOR"), tail.get("__CURSOR")))
        return sorted(boots, key=lambda b: (b.first, b.boot_id))
    finally:
        reader.close()


def previous_boot(boots: List[Boot], current_boot_id: Optional[str]) -> Optional[Boot]:
    """The boot before the current one; the journal's last boot when the current boot is
    not in it (another system's disk)."""
    ids = [b.boot_id for b in boots]
    if current_boot_id in ids:
        i = ids.index(current_boot_id)
        return boots[i - 1] if i > 0 else None
    return boots[-1] if boots else None


def kernel_records(directory: Optional[str], boot_id: str) -> Iterator[KernelRecord]:
    """The kernel messages of one boot, in journal order, one at a time (a boot's kernel
    log may be millions of lines: never a list)."""
    reader = open_kernel_reader(directory)
    try:
        reader.add_match(f"_BOOT_ID={boot_id}")
        entries = entries_for(reader)
        while entries.next():
            yield entries.record()
    finally:
        reader.close()


def boot_end(directory: Optional[str], boot_id: str, tail: int = TAIL_ENTRIES) -> BootEnd:
    """Whether the boot's journal ends with a shutdown, and its last message."""
    reader = open_journal(directory)
    try:
        reader.add_match(f"_BOOT_ID={boot_id}")
        reader.seek_tail()
        last: Optional[Tuple[str, Optional[str], float]] = None
        for _ in range(tail):
            entry = reader.get_previous()
            if not entry:
                break
            message = _text(entry, "MESSAGE") or ""
            if last is None:
                ident = _text(entry, "SYSLOG_IDENTIFIER") or _text(entry, "_COMM")
                last = (message, ident, _realtime(entry))
            if _CLEAN_END.search(message):
                return BootEnd(True, message, last[0], last[1], last[2])
        if last is None:
            return BootEnd(False, None, None, None, None)
        return BootEnd(False, None, last[0], last[1], last[2])
    finally:
        reader.close()


def _text(entry: Mapping[str, Any], field: str) -> Optional[str]:
    value = entry.get(field)
    if value is None:
        return None
    # journald keeps a value that is not UTF-8 as bytes; the Reader hands those over as is
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _realtime(entry: Mapping[str, Any]) -> float:
    return entry["__REALTIME_TIMESTAMP"].timestamp()  # the Reader's datetime
