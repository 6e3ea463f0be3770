"""The daemon's own log lines, as journald can sort them.

Under systemd stderr is a journal stream, and systemd says so in JOURNAL_STREAM
("<device>:<inode>" of that stream, sd_journal_stream_fd(3)). Then every log record becomes
one native journal entry with its priority (systemd.journal.JournalHandler): a traceback
is one entry at err, not one info entry per line, and `journalctl -u kcrashd -p err` shows
exactly the errors. Without python-systemd each line gets the `<N>` priority prefix
journald reads from a stream (SyslogLevelPrefix=, on by default). On a terminal the lines
stay plain text.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Optional

IDENTIFIER = "kcrashd"
FORMAT = "%(levelname)s %(name)s: %(message)s"


def journal_stream(fd: int = 2, env: Optional[dict] = None) -> bool:
    """Whether `fd` is the journal stream systemd named in JOURNAL_STREAM."""
    value = (os.environ if env is None else env).get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


def syslog_priority(levelno: int) -> int:
    """logging level -> syslog priority (the journal's PRIORITY)."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


class LevelPrefixFormatter(logging.Formatter):
    """`<3>message` on every line of a record, so that journald files even the lines of a
    traceback under the record's priority."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def handler_for_daemon() -> logging.Handler:
    if not journal_stream():
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        return handler
    try:
        from systemd.journal import JournalHandler
    except ImportError:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(LevelPrefixFormatter("%(name)s: %(message)s"))
        return handler
    handler = JournalHandler(SYSLOG_IDENTIFIER=IDENTIFIER)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    return handler


def setup(verbose: bool = False) -> logging.Handler:
    """Route the root logger of `kcrashd run` to the handler that fits where stderr goes."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = handler_for_daemon()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler
