"""The previous boot in a persistent journal: its kernel messages and how it ended.

Boots are the distinct _BOOT_ID values of the journal, ordered by their first entry. Only
kernel entries of the chosen boot are read (journal matches on _TRANSPORT=kernel and
_BOOT_ID, so a journal of millions of entries costs what the boot's kernel log costs), plus
the last few entries of the boot of any transport to see whether it shut down cleanly.

A kdump *capture* boot (the crash kernel that saves the vmcore and reboots: `elfcorehdr=`
on its command line, which kexec adds to every capture kernel's) is a boot of the journal
too, but never "the previous boot": the crash happened in the boot before it. The kernel's
own "Command line:" record of each boot tells them apart.
systemd-python is imported inside the functions (through kcrashd.sources.journal). The
boot's kernel messages are read through kcrashd.sources.journal.entries_for (fast where
the Reader's private API is there), and a message the parser does not want is passed over
at the bytes level (kernel_records); the few entries per boot for the boot list and its
end through the public API.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from kcrashd.model import KernelRecord
from kcrashd.sources.journal import (
    LowLevelEntries,
    entries_for,
    open_journal,
    open_kernel_reader,
)

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


# The kernel logs its command line within its first few records.
CMDLINE_RECORDS = 64
CAPTURE_MARK = "elfcorehdr="
# Journal files list_boots() opens at once: the fewer, the less is mapped at a time; each
# reader costs an open and a boot query (measured in a process listing the boots of a
# 100-file, 1.9 GB journal: 1 file at a time 17.7 MiB peak RSS and 69 ms, 5 at a time 20.6
# MiB and 32 ms, all at once 49.4 MiB and 21 ms)
FILES_AT_ONCE = 5
# A common message (a line every boot logs) is looked at in this many entries at most.
MATCHES_PER_LINE = 200


@dataclass(frozen=True)
class Boot:
    boot_id: str
    first: float  # realtime of its first entry (seconds)
    last: float  # realtime of its last entry
    first_cursor: Optional[str] = None
    last_cursor: Optional[str] = None
    capture: bool = False  # a kdump capture kernel's boot
    last_monotonic: Optional[float] = None  # monotonic time of its last entry (seconds)

    def realtime_of(self, monotonic: float) -> Optional[float]:
        """Wall clock time of a moment of this boot given on its monotonic clock (a kernel
        timestamp), from its last journal entry's pair of clocks."""
        if self.last_monotonic is None:
            return None
        return self.last - self.last_monotonic + monotonic


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
    """Every boot in the journal, oldest first. Read a few journal files at a time (a boot's
    first and last entries and its command line, merged across them): a reader maps what
    it reads of every file it has open, and a journal may be a hundred files."""
    from kcrashd.host import journal_headers

    if directory:
        paths = journal_headers.journal_paths_in(directory)
    else:
        paths = journal_headers.local_journal_paths()
    if not paths:
        return _boots_in(open_journal(directory))
    found: Dict[str, Boot] = {}
    for i in range(0, len(paths), FILES_AT_ONCE):
        try:
            reader = open_journal(files=paths[i : i + FILES_AT_ONCE])
        except OSError:
            continue  # one was vacuumed or rotated away since it was listed
        for boot in _boots_in(reader):
            found[boot.boot_id] = _merged(found.get(boot.boot_id), boot)
    return sorted(found.values(), key=lambda b: (b.first, b.boot_id))


def _merged(known: Optional[Boot], more: Boot) -> Boot:
    """One boot seen in two files: the first entry of the earlier, the last entry of the
    later; a capture boot when either file holds its capture command line."""
    if known is None:
        return more
    head = known if known.first <= more.first else more
    tail = known if known.last >= more.last else more
    return Boot(
        known.boot_id,
        head.first,
        tail.last,
        head.first_cursor,
        tail.last_cursor,
        capture=known.capture or more.capture,
        last_monotonic=tail.last_monotonic,
    )


def _boots_in(reader: Any) -> List[Boot]:
    """The boots `reader` holds, by their first and last entries there; closes it."""
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
            cmdline = _command_line(reader, boot_id)
            boots.append(
                Boot(
                    boot_id,
                    first,
                    last,
                    head.get("__CURSOR"),
                    tail.get("__CURSOR"),
                    capture=is_capture_cmdline(cmdline),
                    last_monotonic=_monotonic(tail),
                )
            )
        return boots
    finally:
        reader.close()


def is_capture_cmdline(cmdline: Optional[str]) -> bool:
    """A kdump capture kernel's command line (kexec adds elfcorehdr= to every one)."""
    return bool(cmdline) and CAPTURE_MARK in str(cmdline).split("Command line:")[-1]


def _command_line(reader: Any, boot_id: str) -> Optional[str]:
    """The kernel's "Command line: ..." record of one boot, or None."""
    reader.flush_matches()
    reader.add_match(f"_BOOT_ID={boot_id}", "_TRANSPORT=kernel")
    reader.seek_head()
    for _ in range(CMDLINE_RECORDS):
        entry = reader.get_next()
        if not entry:
            break
        message = _text(entry, "MESSAGE") or ""
        if message.startswith("Command line:") or message.startswith("Kernel command line:"):
            return message
    return None


def previous_boot(boots: List[Boot], current_boot_id: Optional[str]) -> Optional[Boot]:
    """The last boot before the current one that is not a kdump capture boot; the
    journal's last such boot when the current boot is not in it (another system's disk)."""
    ids = [b.boot_id for b in boots]
    before = boots[: ids.index(current_boot_id)] if current_boot_id in ids else boots
    ordinary = [b for b in before if not b.capture]
    return ordinary[-1] if ordinary else None


def boots_logging(
    directory: Optional[str], lines: Sequence[Tuple[int, str]], per_line: int = MATCHES_PER_LINE
) -> Dict[str, int]:
    """boot id -> how many of `lines` (kernel timestamp in microseconds, message) its
    kernel log in the journal holds, at that very timestamp. The journal indexes MESSAGE,
    so each line costs one lookup, not a read of every boot's log."""
    counts: Dict[str, int] = {}
    reader = open_journal(directory)
    try:
        for micros, message in lines:
            reader.flush_matches()
            reader.add_match("_TRANSPORT=kernel", f"MESSAGE={message}")
            reader.seek_head()
            for _ in range(per_line):
                entry = reader.get_next()
                if not entry:
                    break
                if _source_micros(entry) == micros and entry.get("_BOOT_ID") is not None:
                    boot = _boot_hex(entry["_BOOT_ID"])
                    counts[boot] = counts.get(boot, 0) + 1
        return counts
    finally:
        reader.close()


def _source_micros(entry: Mapping[str, Any]) -> Optional[int]:
    """The kernel's own timestamp of a kernel entry (printk time), in microseconds."""
    return _micros(entry.get("_SOURCE_MONOTONIC_TIMESTAMP"))


def _micros(value: Any) -> Optional[int]:
    """A Reader's timedelta (or a raw field) in microseconds."""
    if isinstance(value, datetime.timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


# What kernel_records yields for an entry the caller's `wanted_raw` rejects: a line with
# nothing in it, which keeps its place (a parser counts it) and costs no record of its own.
PASSED_OVER = KernelRecord(message="")


def kernel_records(
    directory: Optional[str], boot_id: str, wanted_raw: Optional[Callable[[bytes], bool]] = None
) -> Iterator[KernelRecord]:
    """The kernel messages of one boot, in journal order, one at a time (a boot's kernel
    log may be millions of lines: never a list). The journal library picks the entries
    (matches on _TRANSPORT=kernel and _BOOT_ID). `wanted_raw`, when given, is asked about
    each message's UTF-8 bytes as the entry is reached: one it rejects is yielded as
    PASSED_OVER, unread beyond its MESSAGE (kcrashd.parse.Assembler.wants_raw: a line
    the parser would drop still counts, so report line numbers stay those of the log)."""
    reader = open_kernel_reader(directory)
    try:
        reader.add_match(f"_BOOT_ID={boot_id}")
        entries = entries_for(reader)
        if wanted_raw is None or not isinstance(entries, LowLevelEntries):
            while entries.next():
                yield entries.record()
            return
        # the private API's methods themselves: this loop is the whole boot's kernel log
        next_entry, get, record = reader._next, reader._get, entries.record
        while next_entry():
            try:
                raw = get("MESSAGE")
            except KeyError:
                raw = b""
            yield record() if wanted_raw(raw) else PASSED_OVER
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


def _monotonic(entry: Mapping[str, Any]) -> Optional[float]:
    """The entry's monotonic time in seconds (the Reader gives (timedelta, boot id))."""
    value = entry.get("__MONOTONIC_TIMESTAMP")
    micros = _micros(value[0] if isinstance(value, tuple) else value)
    return None if micros is None else micros / 1e6
