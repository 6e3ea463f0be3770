"""Which files of the system journal a reader needs to open.

A systemd.journal.Reader() opens (and maps) every file of the journal: on a busy host with
a hundred archived files that is tens of MiB of the reader's RSS before it reads anything,
and more with every look-up. The journal file header (systemd's JOURNAL_FILE_FORMAT: a
fixed layout, little endian) says what a file can hold: its state (archived files are never
written again), the boot of its last writer, its seqnum range and its realtime range. From
it kcrashd picks the few files a reader needs and opens only those (Reader(files=...)).

The files are those sd_journal_open(SD_JOURNAL_LOCAL_ONLY) opens: *.journal and *.journal~
in /run/log/journal and /var/log/journal, in the directory named by the local machine id
(any 128-bit id directory under /run), namespaces left out. Like libsystemd, this reads the
journal's own files directly (not host state through kcrashd.host: these are the journal).
A file whose header cannot be read is left out: a Reader over files fails to open at all
when one of them cannot be opened (a directory Reader skips such a file too).
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from typing import Callable, List, Optional

SEARCH_PATHS = ("/run/log/journal", "/var/log/journal")
SIGNATURE = b"LPKSHHRH"
STATE_ARCHIVED = 2
HEADER_BYTES = 208  # through tail_entry_monotonic: in every journal file since systemd 38
_ID128 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class JournalFile:
    """What a journal file's header says (ids as 32 hex digits, times in microseconds)."""

    path: str
    state: int
    boot_id: str  # the boot of its last writer (systemd >= 254: of its last entry)
    seqnum_id: str
    n_entries: int
    head_seqnum: int
    tail_seqnum: int
    head_realtime: int
    tail_realtime: int

    @property
    def archived(self) -> bool:
        """Archived files are never written again (the others may be: the active file)."""
        return self.state == STATE_ARCHIVED

    @property
    def system(self) -> bool:
        """A file of the system journal (kernel messages go there, never to user-*)."""
        name = os.path.basename(self.path)
        return name.startswith(("system.journal", "system@"))


def read_header(path: str) -> Optional[JournalFile]:
    """The header of the journal file at `path`, or None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        data = os.pread(fd, HEADER_BYTES, 0)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) < HEADER_BYTES or data[:8] != SIGNATURE:
        return None
    n_entries, tail_seq, head_seq = struct.unpack_from("<QQQ", data, 152)
    head_rt, tail_rt = struct.unpack_from("<QQ", data, 184)
    return JournalFile(
        path=path,
        state=data[16],
        boot_id=data[56:72].hex(),
        seqnum_id=data[72:88].hex(),
        n_entries=n_entries,
        head_seqnum=head_seq,
        tail_seqnum=tail_seq,
        head_realtime=head_rt,
        tail_realtime=tail_rt,
    )


def local_journal_paths(machine_id: Optional[str] = None) -> List[str]:
    """The files a Reader() of the local journal opens, sorted."""
    machine_id = machine_id or _machine_id()
    paths: List[str] = []
    for root in SEARCH_PATHS:
        try:
            names = os.listdir(root)
        except OSError:
            continue
        for name in names:
            path = os.path.join(root, name)
            if _is_journal_name(name):
                paths.append(path)
            elif _ID128.match(name) and (name == machine_id or root.startswith("/run")):
                try:
                    inside = os.listdir(path)
                except OSError:
                    continue
                paths.extend(os.path.join(path, f) for f in inside if _is_journal_name(f))
    return sorted(paths)


def _is_journal_name(name: str) -> bool:
    return name.endswith((".journal", ".journal~"))


def _machine_id() -> Optional[str]:
    from systemd import id128

    try:
        return id128.get_machine().hex
    except OSError:
        return None


def choose(paths: List[str], wanted: Callable[[JournalFile], bool]) -> List[str]:
    """The paths whose file may hold what `wanted` asks for."""
    chosen = []
    for path in paths:
        header = read_header(path)
        if header is not None and wanted(header):
            chosen.append(path)
    return chosen


def newest_first(paths: List[str]) -> List[str]:
    """`paths` from the newest file to the oldest: those still written first, then by
    their last entry's time (headers that cannot be read: last)."""

    def age(path: str) -> tuple:
        f = read_header(path)
        if f is None:
            return (2, 0)
        return (1 if f.archived else 0, -f.tail_realtime)

    return sorted(paths, key=age)


def parse_cursor(cursor: str) -> dict:
    """A journal cursor's parts (`s=<seqnum id>;i=<seqnum hex>;b=<boot>;m=..;t=..;x=..`)."""
    parts = {}
    for item in cursor.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            parts[key] = value
    return parts


def kernel_files(
    boot_id: Optional[str], cursor: Optional[str] = None, machine_id: Optional[str] = None
) -> List[str]:
    """The system journal files that can hold kernel entries of boot `boot_id` (None: any)
    from `cursor` on (None: from the boot's start): every file still written, and the
    archived ones last written in that boot whose entries reach the cursor (same seqnum
    id: its seqnum; another seqnum id: kept, the header cannot tell)."""
    after = parse_cursor(cursor) if cursor else {}
    try:
        seqnum = int(after.get("i", ""), 16)
    except ValueError:
        seqnum = None
    seqnum_id = after.get("s")

    def wanted(f: JournalFile) -> bool:
        if not f.system:
            return False
        if not f.archived:
            return True
        if boot_id is not None and f.boot_id != boot_id:
            return False
        return seqnum is None or f.seqnum_id != seqnum_id or f.tail_seqnum >= seqnum

    return choose(local_journal_paths(machine_id), wanted)


def recent_files(since_realtime: float, machine_id: Optional[str] = None) -> List[str]:
    """The journal files (system and user) that can hold an entry stored at or after
    `since_realtime` (seconds since the epoch): every file still written, and the archived
    ones whose last entry is that recent."""
    since_us = int(since_realtime * 1e6)

    def wanted(f: JournalFile) -> bool:
        return not f.archived or f.tail_realtime >= since_us

    return choose(local_journal_paths(machine_id), wanted)


def active_files(machine_id: Optional[str] = None) -> List[str]:
    """The journal files still written (not archived): the newest entries are there."""
    return choose(local_journal_paths(machine_id), lambda f: not f.archived)
