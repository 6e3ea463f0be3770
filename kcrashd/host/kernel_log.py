"""Where the running kernel's log can be read: the journal, or /dev/kmsg.

journal_files() lists the journal files of a directory the way sd_journal_open_directory()
finds them (`kcrashd fleet` reads a collector's files one at a time).

These are the live streams of the machine kcrashd runs on (systemd.journal.Reader() reads
this system's journal whatever --root says), so they take no Root. `KmsgDevice` is
/dev/kmsg opened non-blocking: one read returns one record (`prio,seq,usec,flags;text`),
an empty result means none is ready, and records overwritten before they were read
(EPIPE, once) are counted and skipped. kcrashd.sources.kmsg parses the records.
"""

from __future__ import annotations

import errno
import os
from typing import List, Optional

JOURNAL_SOCKET = "/run/systemd/journal/socket"
JOURNAL_DIRS = ("/var/log/journal", "/run/log/journal")
KMSG = "/dev/kmsg"
MAX_RECORD = 8192  # the kernel's record limit (CONSOLE_EXT_LOG_MAX)


def journal_available() -> bool:
    """journald runs here (its socket), or journal files are kept."""
    return os.path.exists(JOURNAL_SOCKET) or any(_non_empty(d) for d in JOURNAL_DIRS)


def _non_empty(directory: str) -> bool:
    try:
        return bool(os.listdir(directory))
    except OSError:
        return False


JOURNAL_SUFFIXES = (".journal", ".journal~")


def journal_files(directory: str) -> List[str]:
    """The journal files in `directory` and its subdirectories one level down (where
    journald keeps a machine's files), as sd_journal_open_directory() finds them."""
    found = []
    for base, dirs, names in os.walk(directory):
        found += [os.path.join(base, n) for n in names if n.endswith(JOURNAL_SUFFIXES)]
        if base != directory:
            dirs[:] = []
    return sorted(found)


def kmsg_available(path: str = KMSG) -> bool:
    return os.path.exists(path)


class KmsgDevice:
    """/dev/kmsg, non-blocking. Raises OSError when it cannot be opened (none, no
    CAP_SYSLOG with dmesg_restrict)."""

    def __init__(self, path: str = KMSG, at_end: bool = False) -> None:
        self.path = path
        self.overwritten = 0  # times the kernel overwrote records before they were read
        self.fd: Optional[int] = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        if at_end:
            try:
                os.lseek(self.fd, 0, os.SEEK_END)  # only records from now on
            except OSError:
                self.close()
                raise

    def fileno(self) -> int:
        assert self.fd is not None, "KmsgDevice is closed"
        return self.fd

    def read_record(self) -> bytes:
        """The next record, or b"" when none is ready."""
        while True:
            try:
                return os.read(self.fileno(), MAX_RECORD)
            except BlockingIOError:
                return b""
            except OSError as exc:
                if exc.errno != errno.EPIPE:
                    raise
                # The ring buffer wrapped past us: reading goes on at the oldest record.
                self.overwritten += 1

    def drain(self, limit: int = 10000) -> None:
        """Read and drop what is there (a wake-up fd only wants to be readable again)."""
        for _ in range(limit):
            try:
                if not self.read_record():
                    return
            except OSError:
                return

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
