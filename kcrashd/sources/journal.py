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

import collections
import dataclasses
import datetime
import logging
import os
import re
import select
import threading
import time
import uuid
from typing import Any, Callable, Deque, Iterator, List, Mapping, Optional, Set, Tuple

from kcrashd.model import KernelRecord

log = logging.getLogger(__name__)

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


TAIL_FILES = (2, 8)  # newest files tried for the journal's last lines, before all of them


def kernel_tail_readers(directory: Optional[str] = None) -> Iterator[Any]:
    """Readers of this boot's kernel entries for the last few of them, each over more files
    than the one before: the system journal's newest TAIL_FILES files of the boot, then
    all of them (another directory: all at once). The caller closes each; the last lines
    of the newest files are the journal's last lines, so a caller that finds enough in
    one stops there without opening (and mapping) every archived file."""
    if directory is None:
        from kcrashd.sources import journal_files

        boot = _current_boot()
        files = journal_files.newest_first(journal_files.kernel_files(boot))
        for count in TAIL_FILES:
            if count >= len(files):
                break
            try:
                reader = open_journal(files=files[:count])
            except OSError:  # one went away meanwhile
                break
            reader.add_match(KERNEL_MATCH)
            reader.this_boot()
            yield reader
    reader = open_kernel_reader(directory)
    reader.this_boot()
    yield reader


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

    def raw_message(self) -> bytes:
        try:
            return self.reader._get("MESSAGE")
        except KeyError:
            return b""

    def field(self, name: str) -> Optional[str]:
        try:
            return self.reader._get(name).decode("utf-8", "replace")
        except KeyError:
            return None

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

    def field(self, name: str) -> Optional[str]:
        value = self.entry.get(name)
        return None if value is None else str(value)

    def record(self) -> KernelRecord:
        return entry_to_record(self.entry)

    def cursor(self) -> Optional[str]:
        return self.entry.get("__CURSOR")


def entries_for(reader: Any) -> Any:
    """The fast adapter where the private API is there, else the public one."""
    return LowLevelEntries(reader) if LowLevelEntries.supported(reader) else PublicEntries(reader)


STOPPED, END, SPENT = "stopped", "end", "spent"  # why pass_over_raw stopped
MISSED_PREFIX = b"Missed "  # journald's note of kernel messages it missed (see _MISSED)


def pass_over_raw(reader: Any, wanted_raw: Callable[[bytes], bool], budget: int) -> Tuple[int, str]:
    """Move the reader on past the entries whose MESSAGE (UTF-8 bytes) `wanted_raw`
    rejects, at most `budget` entries (the private API: no record, nothing decoded).
    Returns (entries moved, why it stopped): STOPPED at an entry wanted or that may be
    journald's note of missed messages (the reader points at it), END of the journal,
    or the budget SPENT. The loop a backlog spends its time in: keep it lean."""
    next_entry, get = reader._next, reader._get
    for n in range(1, budget + 1):
        if not next_entry():
            return n - 1, END
        try:
            raw = get("MESSAGE")
        except KeyError:
            raw = b""
        if wanted_raw(raw) or raw.startswith(MISSED_PREFIX):
            return n, STOPPED
    return budget, SPENT


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
PREFETCH_MAX = 4000  # kernel records read ahead of the parser at most (2 batches; a storm's
# buffer was 11 MiB of heap at 20,000: benchmarks/bench_storm.py)
REOPEN_AFTER = 5_000  # entries read before the reader is opened again, wherever they are
# read (read ahead, or by the parser): every page of the journal it touched stays mapped
# (its RSS, ~1 KiB an entry) until then; a reopen costs ~1.3 ms (bench_storm.py: the mapped
# journal peaked at 19-34 MiB when only process() counted, 7-9 MiB now)


class JournalFollower:
    """Follows kernel entries of the journal from a saved position.

    The system journal is read for the current boot only (`boot_id`, from
    kcrashd.sources.boot: not libsystemd's, which a sandboxed /proc fools); a directory
    (another machine's or a container's journal) is read whole. A saved cursor of another
    boot, or one that no longer exists (vacuumed, journal files replaced), resumes from the
    boot start: the daemon's dedup keeps those reports from alerting again.

    Rotation, vacuum and journald restarts keep the same reader, and it reads what its open
    files hold before it takes in a change (process()). A vacuum erases the contents of the
    archived files even for readers that have them open, so once following live a thread
    reads new entries into memory as journald writes them (start_read_ahead), whatever the
    daemon is busy with (a snapshot, a commit): what was readable is read. One lock guards
    the reader. journald's "Missed N kernel messages" becomes `lost_before` on the next
    record, so the parser marks the reports it cut as corrupted.
    """

    name = "journal"

    def __init__(self, directory: Optional[str] = None, boot_id: Optional[str] = None) -> None:
        self.directory = directory
        self.boot_id = boot_id
        self.reader: Any = None
        self.entries: Any = None  # LowLevelEntries or PublicEntries over self.reader
        self.last_cursor: Optional[str] = None
        self.invalidations = 0
        self.entries_read = 0
        self.missed = 0  # kernel messages journald said it missed
        self.note = ""
        self.following = False  # reached the end of the journal once: live from then on
        self._buffer: Deque[KernelRecord] = collections.deque()
        self._lost = 0  # lines lost before the next record yielded
        self._skipped = False  # entries passed over since last_cursor was taken
        self._lock = threading.RLock()
        self._ahead: Optional[_ReadAhead] = None
        self.files_opened: Optional[int] = None  # journal files the reader has open (None: all)
        self.reopened = 0
        self._opened_at = 0  # _reads() when the reader was opened
        self._opened_where: Optional[str] = None  # the entry it pointed at then
        self._known_files: Set[str] = set()  # the journal's files when it was opened
        self._unreadable: Set[str] = set()  # those whose header could not be read then
        self._from_start = False  # the reader has every file of the boot (no cursor to go by)

    def open(self, saved: Optional[str] = None, inclusive: bool = False) -> str:
        """Open and position the reader; says where reading starts."""
        with self._lock:
            self._close_reader()
            self._use(*self._open_reader(saved))
            self.following = False
            self._skipped = False
            if saved and self._seek(saved, inclusive):
                self.last_cursor = saved
                return "saved position"
            if saved:  # the boot's start: every file of the boot, not only the cursor's
                self._use(*self._open_reader(None), old=self.reader)
            self.reader.seek_head()
            self.last_cursor = None
            if saved:
                return "start of the boot (saved position is gone or of another boot)"
            return "start of the boot" if self.directory is None else "start of the journal"

    def _use(self, reader: Any, files: Optional[int], whole_boot: bool, old: Any = None) -> None:
        """Read from `reader` (`files` journal files open, None: all; `whole_boot`: all of
        the boot's) from now on, closing `old`."""
        self.reader = reader
        self.entries = entries_for(reader)
        self.files_opened = files
        self._from_start = whole_boot
        self._opened_at = self._reads()
        self._opened_where = self._where()
        if old is not None:
            old.close()
        if self._ahead is not None:
            self._ahead.kick()  # it waits on the old reader's fd

    def _open_reader(
        self, cursor: Optional[str], every_file: bool = False
    ) -> Tuple[Any, Optional[int], bool]:
        """(a reader of kernel entries, how many files it has open (None: all), whether
        they are all of the boot's). The system journal: only its files that can hold
        this boot's kernel entries from `cursor` on (kcrashd.sources.journal_files), so
        that the archived files of a long boot are neither opened nor mapped; all of its
        files when none are found, they cannot be opened, or `every_file`."""
        from systemd import journal

        reader, count = None, None
        if self.directory is None and not every_file:
            from kcrashd.sources import journal_files

            self._known_files = self._taken_in(journal_files.local_journal_paths())
            files = journal_files.kernel_files(self.boot_id or _current_boot(), cursor)
            if files:
                try:
                    reader, count = journal.Reader(files=files), len(files)
                    # watch the files' directories now: a rotation from here on is seen
                    reader.fileno()
                except OSError as exc:  # one went away (vacuum, rotation) meanwhile
                    log.debug("opening journal files %s failed: %s", files, exc)
        if reader is None:
            reader = journal.Reader(path=self.directory) if self.directory else journal.Reader()
        self._add_matches(reader)
        return reader, count, cursor is None and self.directory is None

    def _taken_in(self, paths: List[str]) -> Set[str]:
        """The files among `paths` a reader opened now takes in (kernel_files() looks at
        them next): not one whose header cannot be read yet (a rotation's new file,
        created but not written: it is a new file to _new_files() until it can be read),
        unless it could not be read at the last opening either (a damaged file is not a
        new file at every wake)."""
        from kcrashd.sources.journal_files import header_of

        unreadable = {p for p in paths if header_of(p) is None}
        taken = set(paths) - (unreadable - self._unreadable)
        self._unreadable = unreadable
        return taken

    def _add_matches(self, reader: Any) -> None:
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

    def _reads(self) -> int:
        """Entries read from the journal so far (handed out, and read ahead)."""
        return self.entries_read + len(self._buffer)

    def _where(self) -> Optional[str]:
        """The cursor of the entry the reader points at, or None (nothing read yet)."""
        try:
            return self.entries.cursor()
        except OSError:
            return None

    def _last_read(self) -> Optional[str]:
        """The cursor of the last entry read, when the reader cannot say it any more: a
        vacuum truncates the files it deletes, and the reader drops a file it cannot read
        from (the one its entry was in included), and then points at no entry."""
        return self._buffer[-1].position if self._buffer else self.last_cursor

    def _reopen(self, where: str) -> bool:
        """Open the reader again, on the files that hold entries after `where`, and point
        it at `where` (the entry it pointed at); on every file when those do not hold it
        (a rotation caught half done: a reader left on the archived file alone would
        never see the new one), from just after its time when no file holds it any more.
        False (the old reader kept) when even that fails."""
        for every_file in (False, True):
            reader, files, whole_boot = self._open_reader(where, every_file)
            if self._points_at(reader, where):
                self._use(reader, files, whole_boot, self.reader)
                return True
            reader.close()
            if files is None:
                break  # it was every file already
        # The entry itself is gone (its file vacuumed): on every file, from just after its
        # time. Kept on the old reader, over the deleted file alone, it would read nothing
        # more, ever.
        reader, files, whole_boot = self._open_reader(where, every_file=True)
        if not self._seek_after_time(reader, where):
            reader.close()
            return False
        self.note = "the journal file of the position read last was removed; reading on after it"
        self._use(reader, files, whole_boot, self.reader)
        return True

    @staticmethod
    def _seek_after_time(reader: Any, cursor: str) -> bool:
        from kcrashd.sources.journal_files import parse_cursor

        try:
            reader.seek_realtime(int(parse_cursor(cursor)["t"], 16) + 1)  # microseconds
        except (KeyError, ValueError, OSError):
            return False
        return True

    def _points_at(self, reader: Any, where: str) -> bool:
        old, self.reader = self.reader, reader
        try:
            return self._seek(where, inclusive=False)
        finally:
            self.reader = old

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
        if not reader.get_next() or not reader.test_cursor(cursor):
            return False
        # inclusive: read the saved entry again, it starts an unfinished report
        if inclusive and not reader.get_previous():
            reader.seek_head()
        return True

    def fileno(self) -> int:
        with self._lock:
            return self.reader.fileno()

    def process(self) -> int:
        """Take in journal file changes (inotify events), after reading what the open
        files still hold: after a rotation and vacuum those files are gone for good.
        The system journal's reader has only some files open and sees no new ones: when
        files change it is opened again at its entry, on the files that follow it; and so
        it is once following live when it has moved on since it was opened with more than
        one file, or has read REOPEN_AFTER entries (the pages of the journal it read stay
        mapped until it is closed). Returns records read ahead."""
        from systemd import journal

        with self._lock:
            if self.reader is None:
                return 0
            added = self.prefetch()
            self._take_skipped()
            # before process(): it may close the reader's file
            where = self._where() or self._last_read()
            changed = self.reader.process() == journal.INVALIDATE
            if changed:
                self.invalidations += 1
                self.note = f"journal files changed {self.invalidations} times; reading on"
            if where is not None and self.directory is None:
                # more files than the next entries need, once it has moved on from them
                wide = self._from_start or (self.files_opened or 0) > 1
                due = (wide and where != self._opened_where) or self._spent()
                if changed or self._new_files() or (self.following and due):
                    self.reopened += self._reopen(where)
            return added + self.prefetch()

    def _new_files(self) -> bool:
        """Whether journal files appeared since the reader was opened (a reader over files
        never takes in new ones: the file journald opens after a rotation, when the
        reader was opened between the rename of the old one and its creation)."""
        if self.files_opened is None:
            return False
        from kcrashd.host.journal_headers import local_journal_paths

        paths = set(local_journal_paths())
        if paths <= self._known_files:
            self._known_files = paths
            return False
        self._known_files = paths
        return True

    def prefetch(self, limit: int = PREFETCH_MAX) -> int:
        """Read what is there now into memory (at most `limit` records buffered); returns
        records added. Only once following live: a backlog at start is read at the
        parser's pace (most of it is passed over unread)."""
        with self._lock:
            if not self.following or self.reader is None:
                return 0
            self._take_skipped()
            added = 0
            entries = self.entries
            while len(self._buffer) < limit:
                if self._spent():
                    self._renew()
                    entries = self.entries
                if not entries.next():
                    break
                record = self._record_or_gap(entries)
                if record is not None:
                    self._buffer.append(record)
                    added += 1
            return added

    def _spent(self) -> bool:
        """Whether the system journal's reader has read REOPEN_AFTER entries since it was
        opened (checked at each entry read ahead and at each step of the parser's reads:
        in a storm process() runs only every few thousand entries)."""
        return self.directory is None and self._reads() - self._opened_at >= REOPEN_AFTER

    def _renew(self) -> None:
        """Open the reader again where it is (its mapped pages are let go)."""
        where = self._where() or self._last_read()
        if where is not None and self._reopen(where):
            self.reopened += 1
        else:
            self._opened_at = self._reads()  # tried: not again before another REOPEN_AFTER

    def start_read_ahead(self, wake: Callable[[], None]) -> None:
        """Read new entries in a thread as they come; wake() when some were read."""
        if self._ahead is None:
            self._ahead = _ReadAhead(self, wake)
            self._ahead.start()

    def hurry(self, seconds: float) -> None:
        """A kernel message was just printed: look for its entry often for a while
        (journald tells readers about new entries at most every 250 ms)."""
        if self._ahead is not None:
            self._ahead.hurry(seconds)

    def _record_or_gap(self, entries: Any) -> Optional[KernelRecord]:
        """The kernel record the reader points at, or None for journald's note that it
        missed kernel messages (remembered for the next record)."""
        record = entries.record()
        lost = self._missed(entries, record.message)
        if lost:
            return None
        if self._lost:
            record = dataclasses.replace(record, lost_before=self._lost)
            self._lost = 0
        return record

    def _missed(self, entries: Any, message: str) -> int:
        if not message.startswith("Missed ") or entries.field("_TRANSPORT") != "driver":
            return 0
        m = _MISSED.match(message.encode())
        n = int(m.group(1)) if m else 1
        self._lost += n
        self.missed += n
        self.note = f"journald missed {self.missed} kernel messages (ring buffer overrun)"
        return n

    def _take_skipped(self) -> None:
        """Entries were passed over since last_cursor: the reader still points at the
        last of them, so that is where reading resumes (taken before it moves on)."""
        if self._skipped:
            # None when its file was dropped (vacuumed): those entries are read again
            self.last_cursor = self._where() or self.last_cursor
            self._skipped = False

    def read(
        self, limit: int = 1000, wanted: Optional[Callable[[str], bool]] = None
    ) -> List[KernelRecord]:
        return list(self.iter_read(limit, wanted))

    def iter_read(
        self,
        limit: int = 1000,
        wanted: Optional[Callable[[str], bool]] = None,
        wanted_raw: Optional[Callable[[bytes], bool]] = None,
    ) -> Iterator[KernelRecord]:
        """Up to `limit` entries, one at a time: those read ahead first, then from the
        journal, where those whose message `wanted` rejects are passed over without
        building a record (a backlog is mostly lines no parser needs). `wanted` is asked
        as each entry is reached, so it may depend on what was yielded. `wanted_raw`, when
        given, is the same test on the message's UTF-8 bytes (it saves decoding the
        entries passed over)."""
        consumed = 0
        while consumed < limit:
            with self._lock:
                record, n, more = self._step(wanted, wanted_raw, limit - consumed)
            consumed += n
            if record is not None:
                yield record
            if not more:
                break
        with self._lock:
            if self.reader is not None:
                self._take_skipped()

    def _step(
        self,
        wanted: Optional[Callable[[str], bool]],
        wanted_raw: Optional[Callable[[bytes], bool]],
        budget: int,
    ) -> Tuple[Optional[KernelRecord], int, bool]:
        """(the next record or None, entries consumed, whether there may be more): passes
        over up to `budget` entries `wanted` rejects, in one go (the lock held)."""
        if self._buffer:
            record = self._buffer.popleft()
            self.entries_read += 1
            self.last_cursor = record.position
            self._skipped = False
            return record, 1, True
        if self.entries is not None and self._spent():
            self._renew()
        entries = self.entries
        if entries is None:
            self.following = True
            return None, 0, False
        fast = wanted_raw is not None and isinstance(entries, LowLevelEntries)
        n = 0
        while n < budget:
            if wanted is None or self._lost:  # the next entry, whatever it says
                if not entries.next():
                    break
                n += 1
                return self._taken(entries, n)
            if fast:
                moved, why = pass_over_raw(entries.reader, wanted_raw, budget - n)
                n += moved
                if moved > (why == STOPPED):
                    self._skipped = True
                if why == END:
                    break
                if why == STOPPED and self._raw_wanted(entries, wanted_raw):
                    return self._taken(entries, n)
                self._skipped = True
                continue
            if not entries.next():
                break
            n += 1
            message = entries.message()
            if self._missed(entries, message) or not wanted(message):
                self._skipped = True
                continue
            return self._taken(entries, n)
        else:
            self.entries_read += n
            return None, n, True  # the budget went on entries passed over
        self.following = True  # the end of the journal
        self.entries_read += n
        return None, n, False

    def _raw_wanted(self, entries: Any, wanted_raw: Callable[[bytes], bool]) -> bool:
        """Whether the entry pass_over_raw stopped at is wanted: not journald's note of
        missed messages (counted here), nor a line that only began like one."""
        raw = entries.raw_message()
        if not raw.startswith(MISSED_PREFIX):
            return True
        return not self._missed(entries, entries.message()) and wanted_raw(raw)

    def _taken(self, entries: Any, n: int) -> Tuple[Optional[KernelRecord], int, bool]:
        """_step's result for the entry the reader points at, `n` entries consumed."""
        self.entries_read += n
        record = self._record_or_gap(entries)
        if record is None:
            self._skipped = True
            return None, n, True
        self._skipped = False
        self.last_cursor = record.position
        return record, n, True

    def position(self) -> Optional[str]:
        """The cursor of the last entry read (handled or passed over)."""
        return self.last_cursor

    @property
    def buffered(self) -> int:
        """Records read ahead and not yet returned by iter_read."""
        return len(self._buffer)

    def _close_reader(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
            self.entries = None
        self._buffer.clear()

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.stop()
            self._ahead = None
        with self._lock:
            self._close_reader()


class _ReadAhead(threading.Thread):
    """JournalFollower's reading thread: waits for journald's change notifications (or
    polls briefly after a hurry()) and reads what is new into the follower's buffer."""

    IDLE_WAIT = 30.0
    # A reader over chosen files takes in no new file by itself: process() (which looks for
    # new files) runs at least this often, whatever inotify said or missed.
    FILES_IDLE_WAIT = 1.0
    HURRY_POLL = 0.005  # journald writes a kernel line within a few ms of its printk

    def __init__(self, follower: JournalFollower, wake: Callable[[], None]) -> None:
        super().__init__(name="kcrashd-journal", daemon=True)
        self.follower = follower
        self.wake = wake
        self._stopping = threading.Event()
        self._kick_r, self._kick_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._hurry_until = 0.0

    def hurry(self, seconds: float) -> None:
        self._hurry_until = time.monotonic() + seconds
        self.kick()

    def kick(self) -> None:
        try:
            os.write(self._kick_w, b"x")
        except OSError:
            pass  # full: it wakes anyway

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    fd = self.follower.fileno()
                except (AttributeError, OSError):
                    fd = None  # no reader now (being reopened)
                hurrying = time.monotonic() < self._hurry_until
                chosen = self.follower.files_opened is not None
                idle = self.FILES_IDLE_WAIT if chosen else self.IDLE_WAIT
                timeout = self.HURRY_POLL if hurrying or fd is None else idle
                fds = [self._kick_r] + ([fd] if fd is not None else [])
                try:
                    select.select(fds, [], [], timeout)
                except (OSError, ValueError):
                    time.sleep(self.HURRY_POLL)
                self._drain()
                if self._stopping.is_set():
                    break
                try:
                    added = self.follower.process()
                except Exception:  # boundary: the main thread reads on without us
                    log.exception("reading the journal ahead failed")
                    added = 0
                if added:
                    self.wake()
        finally:
            os.close(self._kick_r)
            os.close(self._kick_w)

    def _drain(self) -> None:
        try:
            while os.read(self._kick_r, 4096):
                pass
        except OSError:
            pass

    def stop(self) -> None:
        self._stopping.set()
        self.kick()
        self.join(5.0)


def _current_boot() -> Optional[str]:
    from systemd import id128

    try:
        return id128.get_boot().hex
    except OSError:
        return None
