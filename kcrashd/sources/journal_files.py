"""Which files of the system journal a reader needs to open.

A systemd.journal.Reader() opens (and maps) every file of the journal: on a busy host with
a hundred archived files that is tens of MiB of the reader's RSS before it reads anything,
and more with every look-up. A journal file's header (kcrashd.host.journal_headers) says
what it can hold: its state (archived files are never written again), the boot of its
last entry, its seqnum range and its realtime range. From it kcrashd picks the few files a
reader needs and opens only those (Reader(files=...)).

A file whose header cannot be read is left out: a Reader over files fails to open at all
when one of them cannot be opened (a directory Reader skips such a file too).
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional

from kcrashd.host.journal_headers import JournalFile, local_journal_paths, read_header

# Headers of archived files (never written again; their names are unique): a hundred of
# them are not read again for every look-up. Kept only for the files still there.
_archived: Dict[str, JournalFile] = {}


def header_of(path: str) -> Optional[JournalFile]:
    """read_header(path), from _archived for an archived file seen before."""
    header = _archived.get(path)
    if header is None:
        header = read_header(path)
        if header is not None and header.archived and "@" in os.path.basename(path):
            _archived[path] = header
    return header


def choose(paths: List[str], wanted: Callable[[JournalFile], bool]) -> List[str]:
    """The paths whose file may hold what `wanted` asks for."""
    for gone in set(_archived) - set(paths):
        _archived.pop(gone, None)
    chosen = []
    for path in paths:
        header = header_of(path)
        if header is not None and wanted(header):
            chosen.append(path)
    return chosen


def newest_first(paths: List[str]) -> List[str]:
    """`paths` from the newest file to the oldest: those still written first, then by
    their last entry's time (headers that cannot be read: last)."""

    def age(path: str) -> tuple:
        f = header_of(path)
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
