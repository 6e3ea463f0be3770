"""Kernel messages from the systemd journal.

Only `_TRANSPORT=kernel` entries are read: journald sets that field itself for what it reads
from /dev/kmsg, so userspace cannot forge a kernel crash report through syslog or stdout.
systemd-python is imported inside the functions (`kcrashd parse` must not need it).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import re
import uuid
from typing import Any, Callable, Deque, Iterator, List, Mapping, Optional

from kcrashd.model import KernelRecord

KERNEL_MATCH = "_TRANSPORT=kernel"


def open_journal(directory: Optional[str] = None, files: Optional[List[str]] = None) -> Any:
    """A systemd.journal.Reader: the system journal, the journal files in `directory`
    (another machine's journal, files made by systemd-journal-remote), or just `files`."""
    from systemd import journal

    if files is not None:
        return journal.Reader(files=files)
    return journal.Reader(path=directory) if directory else journal.Reader()


def open_kernel_reader(directory: Optional[str] = None) -> Any:
    """A systemd.journal.Reader over kernel entries (see open_journal)."""
    reader = open_journal(directory)
    reader.add_match(KERNEL_MATCH)
    return reader


def entry_to_record(entry: Mapping[str, Any]) -> KernelRecord:
    """A converted Reader entry (`reader.get_next()`) as a KernelRecord."""
    message = entry.get("MESSAGE", "")
    if isinstance(message, bytes):  # not UTF-8: journald keeps it binary
        message = message.decode("utf-8", "replace")
    elif not isinstance(message, str):
        message = str(message)
    boot = entry.get("_BOOT_ID")
    mono = entry.get("_SOURCE_MONOTONIC_TIMESTAMP")
    if mono is None:
        mono = entry.get("__MONOTONIC_TIMESTAMP")
        mono = mono[0] if isinstance(mono, tuple) else mono
    real = entry.get("__REALTIME_TIMESTAMP")
    prio = entry.get("PRIORITY")
    return KernelRecord(
        message=message,
        boot_id=_boot_hex(boot),
        monotonic_us=_micros(mono),
        realtime=real.timestamp() if isinstance(real, datetime.datetime) else _float(real),
        priority=_int(prio),
        position=entry.get("__CURSOR"),
    )


def current_record(reader: Any) -> KernelRecord:
    """The entry the reader points at, read field by field with the low-level API.

    Converting every field of every entry (`get_next()`) costs several times what this does;
    it matters when a large backlog is read at start.
    """
    get = reader._get
    try:
        message = get("MESSAGE").decode("utf-8", "replace")
    except KeyError:
        message = ""
    try:
        mono: Optional[int] = int(get("_SOURCE_MONOTONIC_TIMESTAMP"))
    except (KeyError, ValueError):
        mono = reader._get_monotonic()[0]
    try:
        boot: Optional[str] = get("_BOOT_ID").decode("ascii", "replace")
    except KeyError:
        boot = None
    try:
        prio: Optional[int] = int(get("PRIORITY"))
    except (KeyError, ValueError):
        prio = None
    return KernelRecord(
        message=message,
        boot_id=boot,
        monotonic_us=mono,
        realtime=reader._get_realtime() / 1e6,
        priority=prio,
        position=reader._get_cursor(),
    )


def next_record(reader: Any) -> Optional[KernelRecord]:
    """Advance the reader; the next kernel record, or None at the end of the journal."""
    if not reader._next():
        return None
    return current_record(reader)


def cursor_boot(cursor: str) -> Optional[str]:
    """The boot id inside a journal cursor (`...;b=<boot>;...`), or None."""
    for part in cursor.split(";"):
        if part.startswith("b="):
            return part[2:]
    return None


def _boot_hex(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value).replace("-", "")


def _micros(value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return _int(value)


def _int(value: Any) -> Optional[int]:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> Optional[float]:
    try:
        return None if value is None else float(value) / 1e6
    except (TypeError, ValueError):
        return None


# journald's own "Missed N kernel messages" (SD_MESSAGE_JOURNAL_MISSED, _TRANSPORT=driver):
# the kernel ring buffer overran before journald read it, so kernel lines are gone there.
MISSED_MESSAGE_ID = "e9bf28e6e834481bb6f48f548ad13606"
_MISSED = re.compile(rb"^Missed (\d+) kernel messages")
PREFETCH_MAX = 20000  # kernel records read ahead of the parser at most


class JournalFollower:
    """Follows kernel entries of the journal from a saved position.

    The system journal is read for the current boot only (`boot_id`, from
    kcrashd.sources.boot: not libsystemd's, which a sandboxed /proc fools); a directory
    (another machine's or a container's journal) is read whole. A saved cursor of another
    boot, or one that no longer exists (vacuumed, journal files replaced), resumes from the
    boot start: the daemon's dedup keeps those reports from alerting again.

    Rotation, vacuum and journald restarts keep the same reader: it reads everything its
    open files hold before it takes in the change (process()), and it reads ahead of the
    parser (prefetch()) while the daemon is busy alerting, because a vacuum erases the
    archived files' contents even for readers that have them open. journald's "Missed N
    kernel messages" becomes `lost_before` on the next record, so the parser marks the
    reports it cut as corrupted.
    """

    name = "journal"

    def __init__(self, directory: Optional[str] = None, boot_id: Optional[str] = None) -> None:
        self.directory = directory
        self.boot_id = boot_id
        self.reader: Any = None
        self.last_cursor: Optional[str] = None
        self.invalidations = 0
        self.entries_read = 0
        self.missed = 0  # kernel messages journald said it missed
        self.note = ""
        self.following = False  # reached the end of the journal once: live from then on
        self._buffer: Deque[KernelRecord] = collections.deque()
        self._lost = 0  # lines lost before the next record yielded

    def open(self, saved: Optional[str] = None, inclusive: bool = False) -> str:
        """Open and position the reader; says where reading starts."""
        self.close()
        self.reader = self._open_reader()
        self._buffer.clear()
        self.following = False
        if saved and self._seek(saved, inclusive):
            self.last_cursor = saved
            return "saved position"
        self.reader.seek_head()
        self.last_cursor = None
        if saved:
            return "start of the boot (saved position is gone or of another boot)"
        return "start of the boot" if self.directory is None else "start of the journal"

    def _open_reader(self) -> Any:
        from systemd import journal

        reader = journal.Reader(path=self.directory) if self.directory else journal.Reader()
        # kernel entries, or journald's note that it missed some
        reader.add_match(KERNEL_MATCH)
        reader.add_disjunction()
        reader.add_match("_TRANSPORT=driver")
        reader.add_match(f"MESSAGE_ID={MISSED_MESSAGE_ID}")
        if self.directory is None:
            reader.add_conjunction()
            if self.boot_id:
                reader.add_match(f"_BOOT_ID={self.boot_id}")
            else:
                reader.this_boot()
        return reader

    def _seek(self, cursor: str, inclusive: bool) -> bool:
        reader = self.reader
        current = self.boot_id or _current_boot()
        if self.directory is None and cursor_boot(cursor) != current:
            return False
        try:
            reader.seek_cursor(cursor)
        except (OSError, ValueError):
            return False
        # seek_cursor lands near a vanished cursor without error: test that it is the entry.
        if not reader._next() or not reader.test_cursor(cursor):
            return False
        # inclusive: read the saved entry again, it starts an unfinished report
        if inclusive and not reader._previous():
            reader.seek_head()
        return True

    def fileno(self) -> int:
        return self.reader.fileno()

    def process(self) -> None:
        """Take in journal file changes (inotify events), after reading what the open
        files still hold: after a rotation and vacuum those files are gone for good."""
        from systemd import journal

        self.prefetch()
        if self.reader.process() == journal.INVALIDATE:
            self.invalidations += 1
            self.note = f"journal files changed {self.invalidations} times; reading on"
            self.prefetch()

    def prefetch(self, limit: int = PREFETCH_MAX) -> int:
        """Read what is there now into memory (at most `limit` records buffered), so that
        a vacuum while the daemon is busy costs nothing; returns records added. Only once
        following live: a backlog at start is read at the parser's pace (most of it is
        passed over unread)."""
        if not self.following or self.reader is None:
            return 0
        added = 0
        reader = self.reader
        while len(self._buffer) < limit:
            if not reader._next():
                break
            record = self._record_or_gap(reader)
            if record is not None:
                self._buffer.append(record)
                added += 1
        return added

    def _record_or_gap(self, reader: Any) -> Optional[KernelRecord]:
        """The kernel record the reader points at, or None for journald's note that it
        missed kernel messages (remembered for the next record)."""
        record = current_record(reader)
        lost = self._missed(reader, record.message)
        if lost:
            return None
        if self._lost:
            record = dataclasses.replace(record, lost_before=self._lost)
            self._lost = 0
        return record

    def _missed(self, reader: Any, message: str) -> int:
        if not message.startswith("Missed "):
            return 0
        try:
            if reader._get("_TRANSPORT") != b"driver":
                return 0
        except KeyError:
            return 0
        m = _MISSED.match(message.encode())
        n = int(m.group(1)) if m else 1
        self._lost += n
        self.missed += n
        self.note = f"journald missed {self.missed} kernel messages (ring buffer overrun)"
        return n

    def read(
        self, limit: int = 1000, wanted: Optional[Callable[[str], bool]] = None
    ) -> List[KernelRecord]:
        return list(self.iter_read(limit, wanted))

    def iter_read(
        self, limit: int = 1000, wanted: Optional[Callable[[str], bool]] = None
    ) -> Iterator[KernelRecord]:
        """Up to `limit` entries, one at a time: those read ahead first, then from the
        journal, where those whose message `wanted` rejects are passed over without
        building a record (a backlog is mostly lines no parser needs). `wanted` is asked
        as each entry is reached, so it may depend on what was yielded."""
        reader = self.reader
        skipped_last = False
        consumed = 0
        while consumed < limit:
            if self._buffer:
                record = self._buffer.popleft()
                consumed += 1
                self.entries_read += 1
                self.last_cursor = record.position
                skipped_last = False
                yield record
                continue
            if not reader._next():
                self.following = True
                break
            consumed += 1
            self.entries_read += 1
            if wanted is not None and not self._lost:
                try:
                    message = reader._get("MESSAGE").decode("utf-8", "replace")
                except KeyError:
                    message = ""
                if self._missed(reader, message) or not wanted(message):
                    skipped_last = True
                    continue
            record = self._record_or_gap(reader)
            if record is None:
                skipped_last = True
                continue
            skipped_last = False
            self.last_cursor = record.position
            yield record
        if skipped_last:
            # after a failed _next() the reader still points at the last entry read
            self.last_cursor = reader._get_cursor()

    def position(self) -> Optional[str]:
        """The cursor of the last entry read (handled or passed over)."""
        return self.last_cursor

    @property
    def buffered(self) -> int:
        """Records read ahead (prefetch) and not yet returned by iter_read."""
        return len(self._buffer)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        self._buffer.clear()


def _current_boot() -> Optional[str]:
    from systemd import id128

    try:
        return id128.get_boot().hex
    except OSError:
        return None
