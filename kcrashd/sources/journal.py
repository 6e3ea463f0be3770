"""Kernel messages from the systemd journal.

Only `_TRANSPORT=kernel` entries are read: journald sets that field itself for what it reads
from /dev/kmsg, so userspace cannot forge a kernel crash report through syslog or stdout.
systemd-python is imported inside the functions (`kcrashd parse` must not need it).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Mapping, Optional

from kcrashd.model import KernelRecord

KERNEL_MATCH = "_TRANSPORT=kernel"


def open_kernel_reader(directory: Optional[str] = None) -> Any:
    """A systemd.journal.Reader over kernel entries: the system journal, or the journal
    files in `directory` (another machine's journal, files made by systemd-journal-remote)."""
    from systemd import journal

    reader = journal.Reader(path=directory) if directory else journal.Reader()
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
