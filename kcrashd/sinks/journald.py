"""The journald sink: one structured journal entry per alert.

SYSLOG_IDENTIFIER=kcrashd, the fixed MESSAGE_ID of the alert type (systemd/kcrashd.catalog
explains each), PRIORITY from the severity, and one KCRASHD_<NAME> field per alert field.
KCRASHD_ALERT_ID makes a sent alert findable again (the daemon checks it after a crash
between sending and committing, so an alert is never sent twice).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from kcrashd.alert_types import message_id
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
        reader.add_match(f"SYSLOG_IDENTIFIER={IDENTIFIER}")
        reader.add_match(f"KCRASHD_ALERT_ID={alert_id}")
        return reader._next()
    finally:
        reader.close()
