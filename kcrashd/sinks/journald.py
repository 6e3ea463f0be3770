"""The journald sink: one structured journal entry per alert.

SYSLOG_IDENTIFIER=kcrashd, the fixed MESSAGE_ID of the alert type (systemd/kcrashd.catalog
explains each), PRIORITY from the severity, and one KCRASHD_<NAME> field per alert field.
KCRASHD_ALERT_ID makes a sent alert findable again (the daemon checks it after a crash
between sending and committing, so an alert is never sent twice).
"""

from __future__ import annotations

import re
import time
from typing import Any, Dict, Optional

from kcrashd.alerts.types import message_id
from kcrashd.model import Alert

IDENTIFIER = "kcrashd"
_BAD_CHARS = re.compile(r"[^A-Z0-9_]")
MAX_FIELD_CHARS = 64 * 1024  # journald keeps larger values, but nobody reads them


def field_name(key: str) -> str:
    """`repeat_count` -> `KCRASHD_REPEAT_COUNT` (journal field names are [A-Z0-9_])."""
    return "KCRASHD_" + _BAD_CHARS.sub("_", key.upper()).strip("_")


def journal_fields(alert: Alert, alert_id: str) -> Dict[str, str]:
    """Every field of the journal entry for `alert` (pure; tests and send_alert use it)."""
    fields: Dict[str, str] = {}
    for key, value in alert.fields.items():
        if value is None:
            continue
        fields[field_name(key)] = str(value)[:MAX_FIELD_CHARS]
    fields.update(
        {
            "MESSAGE": alert.summary,
            "MESSAGE_ID": message_id(alert.type),
            "PRIORITY": str(int(alert.severity)),
            "SYSLOG_IDENTIFIER": IDENTIFIER,
            "KCRASHD_ALERT_ID": alert_id,
            "KCRASHD_TYPE": alert.type,
            "KCRASHD_SEVERITY": alert.severity.name.lower(),
        }
    )
    if alert.dedup_key:
        fields["KCRASHD_DEDUP_KEY"] = alert.dedup_key
    return fields


def send_alert(alert: Alert, alert_id: str) -> None:
    """Send one journal entry for `alert`. Raises OSError when journald cannot be reached."""
    from systemd import journal

    fields = journal_fields(alert, alert_id)
    message = fields.pop("MESSAGE")
    journal.send(message, **fields)


def alert_in_journal(alert_id: str, directory: Optional[str] = None) -> bool:
    """Whether an entry with KCRASHD_ALERT_ID=alert_id is already in the journal."""
    from systemd import journal

    reader: Any = journal.Reader(path=directory) if directory else journal.Reader()
    try:
        return _lookup(reader, alert_id)
    finally:
        reader.close()


def _lookup(reader: Any, alert_id: str) -> bool:
    reader.flush_matches()
    reader.add_match(f"SYSLOG_IDENTIFIER={IDENTIFIER}")
    reader.add_match(f"KCRASHD_ALERT_ID={alert_id}")
    reader.seek_head()
    return bool(reader.get_next())


class AlertLookup:
    """alert_in_journal() that keeps its reader for `keep_seconds`: opening the journal
    (every file of it) is most of a lookup's cost, and a backlog read with a fresh state
    DB looks up one alert after another. A reader older than that is closed at the next
    lookup or close_idle(), so journal files vacuumed meanwhile are not held open."""

    def __init__(self, directory: Optional[str] = None, keep_seconds: float = 2.0) -> None:
        self.directory = directory
        self.keep_seconds = keep_seconds
        self._reader: Any = None
        self._opened = 0.0

    def __call__(self, alert_id: str) -> bool:
        self.close_idle()
        if self._reader is None:
            from systemd import journal

            d = self.directory
            self._reader = journal.Reader(path=d) if d else journal.Reader()
            self._reader.fileno()  # watch the files: process() then sees rotated ones
            self._opened = time.monotonic()
        else:
            self._reader.process()  # appends are seen anyway; new files need this
        try:
            return _lookup(self._reader, alert_id)
        except Exception:
            self.close()
            raise

    def close_idle(self) -> None:
        if self._reader is not None and time.monotonic() - self._opened >= self.keep_seconds:
            self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
