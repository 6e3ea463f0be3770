"""Journal files of this machine, and what their headers say.

The files are those sd_journal_open(SD_JOURNAL_LOCAL_ONLY) opens: *.journal and *.journal~
in /run/log/journal and /var/log/journal, in the directory named by the local machine id
(any 128-bit id directory under /run), namespaces left out. The header is systemd's
JOURNAL_FILE_FORMAT: a fixed layout, little endian. These are the live journal of the
machine kcrashd runs on (as systemd.journal.Reader() reads it, whatever --root says), so
they take no Root (like kcrashd.host.kernel_log). kcrashd.sources.journal_files chooses
from them the files a reader needs.
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
    boot_id: str  # the boot of its last entry (what journald 252 and journal-remote write)
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
        runtime = root.startswith("/run")  # any machine's directory there; in /var, this one's
        paths += _journal_files(root, lambda name, r=runtime: r or name == machine_id)
    return sorted(paths)


def journal_paths_in(directory: str) -> List[str]:
    """The files a Reader(path=directory) opens: journal files in it and in its subdirectories
    named by a 128-bit id (a /var/log/journal copied whole), sorted; [] when it cannot be
    listed."""
    return sorted(_journal_files(directory, lambda name: True))


def _journal_files(directory: str, enter: Callable[[str], bool]) -> List[str]:
    """Journal files in `directory` and in the 128-bit-id subdirectories `enter` accepts."""
    paths: List[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    for name in names:
        path = os.path.join(directory, name)
        if _is_journal_name(name):
            paths.append(path)
        elif _ID128.match(name) and enter(name):
            try:
                inside = os.listdir(path)
            except OSError:
                continue
            paths.extend(os.path.join(path, f) for f in inside if _is_journal_name(f))
    return paths


def _is_journal_name(name: str) -> bool:
    return name.endswith((".journal", ".journal~"))


def _machine_id() -> Optional[str]:
    from systemd import id128

    try:
        return id128.get_machine().hex
    except OSError:
        return None
