"""The journald sink: one structured journal entry per alert, and the look-ups that tell
whether journald stored it.

SYSLOG_IDENTIFIER=kcrashd, the fixed MESSAGE_ID of the alert type (systemd/kcrashd.catalog
explains each), PRIORITY from the severity, and one KCRASHD_<NAME> field per alert field.
KCRASHD_ALERT_ID makes a sent alert findable again.

Entries are sent with journald's native protocol over a non-blocking socket: a journald
that is stopped or slow makes a send fail at once (the outbox retries it) instead of
blocking the daemon (systemd-python's send() blocks holding the GIL). A send that
succeeds only means the datagram was queued: journald may still die before it stores
it, so the outbox looks the alert up (`stored`) before it counts it as sent.

Look-ups trust only entries kcrashd itself could have written: `_UID` is our own uid
(journald sets the underscore fields from the sender's kernel credentials; a client
cannot), and alert ids are keyed with a secret other users cannot read
(kcrashd.alerts.ids), so an entry forged by another user can never make kcrashd believe
an alert was sent.
"""

from __future__ import annotations

import collections
import errno
import os
import re
import socket
import struct
import time
import uuid
from typing import Any, Dict, Mapping, Optional

from kcrashd.alerts.types import message_id
from kcrashd.model import Alert

IDENTIFIER = "kcrashd"
SOCKET = "/run/systemd/journal/socket"
_BAD_CHARS = re.compile(r"[^A-Z0-9_]")
MAX_FIELD_CHARS = 64 * 1024  # journald keeps larger values, but nobody reads them
PROBE_FIELD = "KCRASHD_PROBE"
SEND_SLACK = 60.0  # seconds: an entry sent at t is looked for in files written since t - this
SENT_KEPT = 4096  # send times remembered (the oldest forgotten: looked up in every file)


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


def encode_entry(fields: Mapping[str, str]) -> bytes:
    """journald's native protocol: `NAME=value\\n`, or for a value with a newline
    `NAME\\n` + its length (64-bit little endian) + value + `\\n`."""
    out = []
    for name, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out.append(name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n")
        else:
            out.append(name.encode() + b"=" + data + b"\n")
    return b"".join(out)


class JournalSocket:
    """A non-blocking datagram socket to journald. send() raises OSError when journald
    does not take the entry now: ECONNREFUSED/ENOENT (not running), EAGAIN (its queue is
    full: stopped or overloaded)."""

    def __init__(self, path: str = SOCKET) -> None:
        self.path = path
        self._sock: Optional[socket.socket] = None

    def send(self, fields: Mapping[str, str]) -> None:
        data = encode_entry(fields)
        sock = self._socket()
        try:
            sock.sendto(data, self.path)
        except OSError as exc:
            if exc.errno not in (errno.EMSGSIZE, errno.ENOBUFS):
                raise
            self._send_memfd(sock, data)  # too large for one datagram

    def _socket(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(
                socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
            )
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 * 1024 * 1024)
            except OSError:
                pass  # the default buffer works, with the memfd path for large entries
            self._sock = sock
        return self._sock

    def _send_memfd(self, sock: socket.socket, data: bytes) -> None:
        """journald takes a large entry as a sealed memfd passed over the socket."""
        import fcntl

        fd = os.memfd_create("kcrashd-entry", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.write(fd, data)
            seals = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
            sock.sendmsg(
                [], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))], 0, self.path
            )
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def send_alert(alert: Alert, alert_id: str, sock: Optional[JournalSocket] = None) -> None:
    """Hand one journal entry for `alert` to journald. Raises OSError when journald does
    not take it now. Returning does not mean it is stored: see Journal.stored()."""
    (sock or JournalSocket()).send(journal_fields(alert, alert_id))


def _open_reader(directory: Optional[str], since: Optional[float] = None) -> Any:
    """A reader of the journal; with `since` (wall clock seconds), of the system journal's
    files that can hold an entry stored since then (kcrashd.sources.journal_files), so a
    look-up of a just-sent alert does not open and map every archived file."""
    from systemd import journal

    if directory:
        return journal.Reader(path=directory)
    if since is not None:
        from kcrashd.sources.journal_files import recent_files

        files = recent_files(since)
        if files:
            try:
                return journal.Reader(files=files)
            except OSError:  # one went away meanwhile: all files, then
                pass
    return journal.Reader()


def _lookup(reader: Any, field: str, value: str) -> bool:
    """Whether an entry with field=value, sent by kcrashd's own uid, is in the journal."""
    reader.flush_matches()
    reader.add_match(f"SYSLOG_IDENTIFIER={IDENTIFIER}")
    reader.add_match(f"_UID={os.geteuid()}")
    reader.add_match(f"{field}={value}")
    reader.seek_head()
    return bool(reader._next())


def alert_in_journal(alert_id: str, directory: Optional[str] = None) -> bool:
    """Whether kcrashd's entry with KCRASHD_ALERT_ID=alert_id is in the journal."""
    reader = _open_reader(directory)
    try:
        return _lookup(reader, "KCRASHD_ALERT_ID", alert_id)
    finally:
        reader.close()


class AlertLookup:
    """alert_in_journal() for the outbox.

    An entry this process sent (`since`: when) is looked up in the files written since
    then, with a reader opened for that look-up and closed right after. Any other (an
    earlier process may have sent it) needs every file: that reader is kept for
    `keep_seconds`, since opening every file is most of a look-up's cost and a backlog
    read with a fresh state DB looks up one alert after another; close_idle() closes it
    once older, so neither vacuumed files nor the pages read stay mapped."""

    def __init__(self, directory: Optional[str] = None, keep_seconds: float = 2.0) -> None:
        self.directory = directory
        self.keep_seconds = keep_seconds
        self._reader: Any = None
        self._opened = 0.0

    def __call__(self, alert_id: str, since: Optional[float] = None) -> bool:
        return self.find("KCRASHD_ALERT_ID", alert_id, since)

    def find(self, field: str, value: str, since: Optional[float] = None) -> bool:
        self.close_idle()
        if since is not None:
            reader = _open_reader(self.directory, since - SEND_SLACK)
            try:
                return _lookup(reader, field, value)
            finally:
                reader.close()
        if self._reader is None:
            self._reader = _open_reader(self.directory)
            self._reader.fileno()  # watch the files: process() then sees rotated ones
            self._opened = time.monotonic()
        else:
            self._reader.process()  # appends are seen anyway; new files need this
        try:
            return _lookup(self._reader, field, value)
        except Exception:
            self.close()
            raise

    def idle_in(self) -> Optional[float]:
        """Seconds until close_idle() closes the kept reader; None when none is open."""
        if self._reader is None:
            return None
        return max(0.0, self._opened + self.keep_seconds - time.monotonic())

    def close_idle(self) -> None:
        if self._reader is not None and time.monotonic() - self._opened >= self.keep_seconds:
            self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class Journal:
    """The journal as the outbox sees it: send an alert, tell whether journald stored an
    alert, and probes (an entry sent after others: once journald stored it, it has
    processed everything sent before it, so an alert still missing then was lost)."""

    def __init__(self, directory: Optional[str] = None, path: str = SOCKET) -> None:
        self.socket = JournalSocket(path)
        self.lookup = AlertLookup(directory)
        self._sent: collections.OrderedDict[str, float] = collections.OrderedDict()

    def send(self, alert: Alert, alert_id: str) -> None:
        self._remember(alert_id)
        send_alert(alert, alert_id, self.socket)

    def _remember(self, key: str) -> None:
        """When this process sent `key` (before the send: journald stamps it later)."""
        self._sent[key] = time.time()
        self._sent.move_to_end(key)
        while len(self._sent) > SENT_KEPT:
            self._sent.popitem(last=False)

    def stored(self, alert_id: str) -> bool:
        found = self.lookup(alert_id, self._sent.get(alert_id))
        if found:
            self._sent.pop(alert_id, None)
        return found

    def probe(self) -> str:
        token = uuid.uuid4().hex
        self._remember(token)
        self.socket.send(
            {
                "MESSAGE": "kcrashd: checking that journald stored the alerts sent before",
                "PRIORITY": "7",
                "SYSLOG_IDENTIFIER": IDENTIFIER,
                PROBE_FIELD: token,
            }
        )
        return token

    def probe_stored(self, token: str) -> bool:
        found = self.lookup.find(PROBE_FIELD, token, self._sent.get(token))
        if found:
            self._sent.pop(token, None)
        return found

    def idle_in(self) -> Optional[float]:
        return self.lookup.idle_in()

    def close_idle(self) -> None:
        self.lookup.close_idle()

    def close(self) -> None:
        self.lookup.close()
        self.socket.close()
