"""Kernel messages from the systemd journal.

Only `_TRANSPORT=kernel` entries are read: journald sets that field itself for what it reads
from /dev/kmsg, so userspace cannot forge a kernel crash report through syslog or stdout.
systemd-python is imported inside the functions (`kcrashd parse` must not need it).

Entries are read through one of two adapters with the same interface: `LowLevelEntries`
uses the Reader's private field-by-field API (`_next`, `_get`, `_get_cursor` ...), which
reads a backlog several times faster than converting every field of every entry
(benchmarks/bench_journal_read.py); `PublicEntries` uses `get_next()` and is what a
python-systemd without those private methods gets.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Callable, Iterator, List, Mapping, Optional

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
    """The entry the reader points at, read field by field with the low-level API."""
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


LOW_LEVEL_API = ("_next", "_get", "_get_cursor", "_get_realtime", "_get_monotonic")


class LowLevelEntries:
    """Entries through the Reader's private API: only the fields a record needs, and only
    MESSAGE for an entry the parser does not want."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    @staticmethod
    def supported(reader: Any) -> bool:
        return all(callable(getattr(reader, name, None)) for name in LOW_LEVEL_API)

    def next(self) -> bool:
        return bool(self.reader._next())

    def message(self) -> str:
        try:
            return self.reader._get("MESSAGE").decode("utf-8", "replace")
        except KeyError:
            return ""

    def record(self) -> KernelRecord:
        return current_record(self.reader)

    def cursor(self) -> Optional[str]:
        """The cursor of the last entry read (after a failed next() the reader still
        points at it)."""
        return self.reader._get_cursor()


class PublicEntries:
    """Entries through the Reader's public get_next(): every field converted."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.entry: Mapping[str, Any] = {}

    def next(self) -> bool:
        entry = self.reader.get_next()
        if not entry:
            return False  # self.entry stays the last entry read
        self.entry = entry
        return True

    def message(self) -> str:
        return entry_to_record({"MESSAGE": self.entry.get("MESSAGE", "")}).message

    def record(self) -> KernelRecord:
        return entry_to_record(self.entry)

    def cursor(self) -> Optional[str]:
        return self.entry.get("__CURSOR")


def entries_for(reader: Any) -> Any:
    """The fast adapter where the private API is there, else the public one."""
    return LowLevelEntries(reader) if LowLevelEntries.supported(reader) else PublicEntries(reader)


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


class JournalFollower:
    """Follows kernel entries of the journal from a saved position.

    The system journal is read for the current boot only; a directory (another machine's
    or a container's journal) is read whole. A saved cursor of another boot, or one that no
    longer exists (vacuumed, journal files replaced), resumes from the boot start: the
    daemon's dedup keeps those reports from alerting again.
    """

    name = "journal"

    def __init__(self, directory: Optional[str] = None) -> None:
        self.directory = directory
        self.reader: Any = None
        self.entries: Any = None  # LowLevelEntries or PublicEntries over self.reader
        self.last_cursor: Optional[str] = None
        self.invalidations = 0
        self.entries_read = 0
        self.note = ""

    def open(self, saved: Optional[str] = None, inclusive: bool = False) -> str:
        """Open and position the reader; says where reading starts."""
        self.close()
        self.reader = open_kernel_reader(self.directory)
        self.entries = entries_for(self.reader)
        if self.directory is None:
            self.reader.this_boot()
        if saved and self._seek(saved, inclusive):
            self.last_cursor = saved
            return "saved position"
        self.reader.seek_head()
        self.last_cursor = None
        if saved:
            return "start of the boot (saved position is gone or of another boot)"
        return "start of the boot" if self.directory is None else "start of the journal"

    def _seek(self, cursor: str, inclusive: bool) -> bool:
        reader = self.reader
        if self.directory is None and cursor_boot(cursor) != _current_boot():
            return False
        try:
            reader.seek_cursor(cursor)
        except (OSError, ValueError):
            return False
        # seek_cursor lands near a vanished cursor without error: test that it is the entry.
        if not reader.get_next() or not reader.test_cursor(cursor):
            return False
        # inclusive: read the saved entry again, it starts an unfinished report
        if inclusive and not reader.get_previous():
            reader.seek_head()
        return True

    def fileno(self) -> int:
        return self.reader.fileno()

    def process(self) -> None:
        """Acknowledge inotify events; after rotation/vacuum/journald restart, re-open at
        the last entry read so no file change makes the reader miss entries."""
        from systemd import journal

        if self.reader.process() == journal.INVALIDATE:
            self.invalidations += 1
            where = self.open(self.last_cursor)
            self.note = f"journal files changed {self.invalidations} times; resumed at {where}"

    def read(
        self, limit: int = 1000, wanted: Optional[Callable[[str], bool]] = None
    ) -> List[KernelRecord]:
        return list(self.iter_read(limit, wanted))

    def iter_read(
        self, limit: int = 1000, wanted: Optional[Callable[[str], bool]] = None
    ) -> Iterator[KernelRecord]:
        """Up to `limit` entries, one at a time; those whose message `wanted` rejects are
        passed over without building a record (a backlog is mostly lines no parser needs).
        `wanted` is asked as each entry is reached, so it may depend on what was yielded."""
        entries = self.entries
        skipped_last = False
        last: Optional[str] = None
        for _ in range(limit):
            if not entries.next():
                break
            self.entries_read += 1
            if wanted is not None and not wanted(entries.message()):
                skipped_last = True
                continue
            skipped_last = False
            record = entries.record()
            last = record.position
            yield record
        if skipped_last:
            self.last_cursor = entries.cursor()
        elif last is not None:
            self.last_cursor = last

    def position(self) -> Optional[str]:
        """The cursor of the last entry read (handled or passed over)."""
        return self.last_cursor

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
            self.entries = None


def _current_boot() -> Optional[str]:
    from systemd import id128

    try:
        return id128.get_boot().hex
    except OSError:
        return None
