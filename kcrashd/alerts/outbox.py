"""The outbox: every alert is owed until journald has stored it, then recorded as sent.

One queue for live alerts and post-mortem alerts: the `outbox` table of state.db, mirrored
in memory by the process that delivers it (the daemon's main thread; `kcrashd postmortem`
when it runs alone).

An alert is handed to journald at once (Outbox.submit). A send that fails (journald not
running, its queue full) leaves it owed: it is sent again with backoff. A send that
succeeds only means the datagram was queued, so the alert stays in the outbox as "sent"
until a look-up finds it in the journal; then its `alerts` row is written (and its
incident marked alerted) and the outbox row deleted, in one transaction. journald may die
with the datagram unread: an alert not found some seconds after its send gets a probe (an
entry sent after it, kcrashd.sinks.journald.Journal.probe). journald handles its socket in
order, so once the probe is stored an alert still missing was lost, and it is sent again.
While journald stores nothing (stopped, or not running), nothing is sent twice.

An alert an earlier process owed may have been sent just before it died: it is looked up
first (`maybe_sent`), and sent only when not found. Hooks run once per alert, at its first
send.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from kcrashd.model import Alert, Severity
from kcrashd.store import alerts as alert_store

log = logging.getLogger(__name__)

OWED = "owed"  # to be handed to journald (never sent, or the send failed or was lost)
SENT = "sent"  # handed to journald, not yet found in the journal
CONFIRM_FIRST = 0.05  # seconds after a send before the first look-up ...
CONFIRM_MAX = 1.0  # ... then look-ups at most this far apart
PROBE_AFTER = 3.0  # a sent alert still not stored after this gets a probe
PROBE_RETRY = 10.0  # a probe not stored after this is sent again
BACKOFF_FIRST = 0.5  # a failed send is tried again after this, doubling ...
BACKOFF_MAX = 30.0  # ... up to this

# What a submit() found: the caller records "journal"/"recorded" as sent at once, writes
# the outbox row for "sent"/"owed", and nothing for "pending" (owed already).
IN_JOURNAL, RECORDED, SENT_NOW, OWED_NOW, PENDING = "journal", "recorded", SENT, OWED, "pending"

Commit = Callable[[Callable[[Any], None]], Any]


@dataclass
class Entry:
    alert_id: str
    alert: Alert
    boot_id: Optional[str]
    incident_id: Optional[str]
    queued: float  # wall time it was first owed
    state: str = OWED
    attempts: int = 0  # sends that failed or were lost
    next_try: float = 0.0  # time.monotonic() of the next send or look-up
    sent_at: Optional[float] = None  # time.monotonic() of the last send
    sent_wall: Optional[float] = None
    checks: int = 0  # look-ups since the last send
    last_error: Optional[str] = None
    hooks_done: bool = False
    maybe_sent: bool = False  # an earlier process may have sent it: look it up first


@dataclass
class Probe:
    token: str
    sent_at: float  # time.monotonic()


class Outbox:
    """Alerts owed to the journal (see the module doc). Not thread-safe: one thread owns
    it. `commit(work)` runs work(conn) in one transaction (the daemon passes its
    StateWriter's, which survives a full or broken state disk)."""

    def __init__(
        self,
        state: Any,
        journal: Any,
        hooks: Optional[Any] = None,
        boot_id: Optional[str] = None,
        commit: Optional[Commit] = None,
        clock: Callable[[], float] = time.monotonic,
        breadcrumbs: Optional[Callable[[Alert, str], None]] = None,
    ) -> None:
        self.state = state
        self.journal = journal
        self.hooks = hooks
        self.breadcrumbs = breadcrumbs  # one line per alert sent to pstore's pmsg
        self.boot_id = boot_id
        self.commit: Commit = commit or self._commit
        self.clock = clock
        self.entries: Dict[str, Entry] = {}
        self.probe: Optional[Probe] = None
        self.stored_count = 0  # alerts found stored and recorded
        self.resent = 0  # sends found lost (journald died with them) and sent again
        self.last_error: Optional[str] = None
        self._lookup_broken = False
        self._refusing = False  # journald refused the last send

    def _commit(self, work: Callable[[Any], None]) -> None:
        with self.state.transaction() as c:
            work(c)

    # -- taking alerts -----------------------------------------------------------------------

    def submit(
        self,
        alert_id: str,
        alert: Alert,
        boot_id: Optional[str],
        incident_id: Optional[str] = None,
        maybe_sent: bool = False,
    ) -> str:
        """Send `alert` now unless it is known already; what happened (IN_JOURNAL, RECORDED,
        SENT_NOW, OWED_NOW, PENDING). The caller then writes, in its own transaction,
        `record(c, ...)` for the first two or `write_row(c, alert_id)` for the next two."""
        if alert_id in self.entries:
            return PENDING
        if alert_store.alert_exists(self.state, alert_id):
            return RECORDED
        if self._load_row(alert_id):
            return PENDING
        if maybe_sent and self._stored(alert_id) is True:
            return IN_JOURNAL
        entry = Entry(alert_id, alert, boot_id, incident_id, time.time())
        self.entries[alert_id] = entry
        self._send(entry)
        return entry.state

    def record(self, c: Any, alert_id: str, alert: Alert, boot_id: Optional[str]) -> None:
        """Record an alert found sent (in the journal, or recorded) in the caller's
        transaction."""
        alert_store.insert_alert(c, alert_id, alert, boot_id or self.boot_id)

    def write_row(self, c: Any, alert_id: str) -> None:
        """The outbox row of an entry, in the caller's transaction."""
        entry = self.entries.get(alert_id)
        if entry is not None:
            write_entry(c, entry)

    def load(self) -> int:
        """Take over the rows of the outbox table this process does not hold yet (left by
        an earlier run, or queued by the post-mortem); returns how many."""
        try:
            rows = read_rows(self.state)
        except Exception as exc:  # boundary: an unreadable table must not stop alerting
            log.error("cannot read the outbox: %s", exc)
            return 0
        n = 0
        for entry in rows:
            if entry.alert_id not in self.entries:
                self.entries[entry.alert_id] = entry
                n += 1
        return n

    def _load_row(self, alert_id: str) -> bool:
        entry = read_row(self.state, alert_id)
        if entry is None:
            return False
        self.entries[alert_id] = entry
        return True

    # -- delivering --------------------------------------------------------------------------

    def pump(self) -> int:
        """Send what is due, look up what was sent, settle what is stored; returns how many
        alerts were recorded as sent."""
        if not self.entries:
            self.probe = None
            return 0
        now = self.clock()
        stored: List[Entry] = []
        changed: List[Entry] = []
        for entry in list(self.entries.values()):
            if entry.next_try > now:
                continue
            if entry.state == OWED:
                if entry.maybe_sent and self._stored(entry.alert_id) is True:
                    stored.append(entry)
                    continue
                self._send(entry)
                changed.append(entry)
            else:
                found = self._stored(entry.alert_id)
                if found or (found is None and self._unverifiable(entry, now)):
                    stored.append(entry)
                    continue
                entry.checks += 1
                entry.next_try = now + min(CONFIRM_MAX, CONFIRM_FIRST * 2**entry.checks)
        self._check_probe(now, stored, changed)
        if stored or changed:
            self._save(stored, changed)
        return len(stored)

    def _send(self, entry: Entry) -> None:
        now = self.clock()
        if not entry.hooks_done and self.hooks is not None:
            entry.hooks_done = True
            try:
                self.hooks.submit(entry.alert, entry.alert_id)
            except Exception:  # boundary: a hook problem never stops alerting
                log.exception("hooks for alert %s", entry.alert_id)
        try:
            self.journal.send(entry.alert, entry.alert_id)
        except OSError as exc:
            entry.attempts += 1
            entry.state = OWED
            entry.last_error = self.last_error = f"{exc.strerror or exc}"
            entry.next_try = now + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (entry.attempts - 1))
            # one warning per outage, not one per alert and attempt
            level = logging.DEBUG if self._refusing else logging.WARNING
            self._refusing = True
            log.log(
                level,
                "alert %s (%s) not taken by journald (%s): owed, trying again in %.1f s",
                entry.alert_id,
                entry.alert.type,
                entry.last_error,
                entry.next_try - now,
            )
            return
        if self._refusing:
            self._refusing = False
            log.info("journald takes alerts again")
        if self.breadcrumbs is not None:
            try:
                self.breadcrumbs(entry.alert, entry.alert_id)
            except Exception:  # boundary: a breadcrumb never stops alerting
                log.exception("pmsg breadcrumb for alert %s", entry.alert_id)
        entry.state = SENT
        entry.maybe_sent = False
        entry.sent_at = now
        entry.sent_wall = time.time()
        entry.checks = 0
        entry.next_try = now + CONFIRM_FIRST

    def _check_probe(self, now: float, stored: List[Entry], changed: List[Entry]) -> None:
        """Probe for sent alerts missing too long; resend those the probe shows lost."""
        done = {e.alert_id for e in stored}
        late = [
            e
            for e in self.entries.values()
            if e.state == SENT
            and e.alert_id not in done
            and e.sent_at is not None
            and now - e.sent_at >= PROBE_AFTER
        ]
        if not late:
            self.probe = None
            return
        probe = self.probe
        if probe is not None and self._probe_stored(probe.token):
            for entry in late:
                if entry.sent_at is None or entry.sent_at >= probe.sent_at:
                    continue
                # journald has processed everything sent before the probe: a look-up now
                # is the last word (one made before the probe's may have just missed it)
                if self._stored(entry.alert_id) is not False:
                    stored.append(entry)
                else:
                    # journald processed the probe, sent later: this one was lost
                    entry.state = OWED
                    entry.attempts += 1
                    entry.next_try = now
                    entry.last_error = self.last_error = "lost by journald (not stored)"
                    self.resent += 1
                    log.warning(
                        "alert %s (%s) was lost by journald: sending it again",
                        entry.alert_id,
                        entry.alert.type,
                    )
                    self._send(entry)
                    changed.append(entry)
            self.probe = None
            return
        if probe is None or now - probe.sent_at >= PROBE_RETRY:
            try:
                self.probe = Probe(self.journal.probe(), now)
            except OSError as exc:
                self.last_error = f"journald does not take entries: {exc.strerror or exc}"
                self.probe = None

    def _stored(self, alert_id: str) -> Optional[bool]:
        """Whether journald stored the alert; None when the journal cannot be read."""
        try:
            found = bool(self.journal.stored(alert_id))
        except Exception as exc:  # the look-up failing must not lose the alert
            if not self._lookup_broken:
                log.warning("cannot look alerts up in the journal: %s", exc)
            self._lookup_broken = True
            return None
        self._lookup_broken = False
        return found

    @staticmethod
    def _unverifiable(entry: Entry, now: float) -> bool:
        """The journal cannot be read (so no look-up can ever confirm): a send journald
        took is counted as stored once the probe delay has passed."""
        return entry.sent_at is not None and now - entry.sent_at >= PROBE_AFTER

    def _probe_stored(self, token: str) -> bool:
        try:
            return bool(self.journal.probe_stored(token))
        except Exception:
            return False

    def _save(self, stored: List[Entry], changed: List[Entry]) -> None:
        for entry in stored:
            self.entries.pop(entry.alert_id, None)

        def work(c: Any) -> None:
            for entry in stored:
                settle(c, entry, self.boot_id)
            for entry in changed:
                if entry.alert_id in self.entries:
                    write_entry(c, entry)

        try:
            self.commit(work)
        except Exception:  # boundary: recorded at the next pump or found in the journal
            log.exception("recording the outbox failed")
        self.stored_count += len(stored)

    # -- what the daemon shows ----------------------------------------------------------------

    @property
    def next_due(self) -> Optional[float]:
        """time.monotonic() of the next thing to do (None: nothing owed)."""
        return min((e.next_try for e in self.entries.values()), default=None)

    def owed(self) -> Dict[str, Any]:
        """For the status document: how many alerts are owed, since when, and why."""
        entries = list(self.entries.values())
        oldest = min((e.queued for e in entries), default=None)
        errors = [e.last_error for e in entries if e.last_error]
        return {
            "count": len(entries),
            "unsent": sum(1 for e in entries if e.state == OWED),
            "oldest": oldest,
            "last_error": errors[-1] if errors else None,
            "resent": self.resent,
        }

    def flush(self, timeout: float, poll: float = 0.05) -> bool:
        """Deliver until nothing is owed or `timeout` seconds pass; True when done."""
        deadline = self.clock() + timeout
        while self.entries:
            self.pump()
            if not self.entries:
                break
            left = deadline - self.clock()
            if left <= 0:
                return False
            due = self.next_due
            wait = poll if due is None else max(0.0, min(due - self.clock(), poll * 4))
            time.sleep(min(left, max(wait, 0.005)))
        return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.journal.close_idle()


# --- the outbox table ---------------------------------------------------------------------------

_COLS = (
    "alert_id, type, severity, summary, dedup_key, fields_json, boot_id, incident_id, queued, "
    "attempts, sent, last_error, hooks_done"
)


def enqueue(
    conn: Any,
    alert_id: str,
    alert: Alert,
    boot_id: Optional[str] = None,
    incident_id: Optional[str] = None,
    now: Optional[float] = None,
) -> bool:
    """Owe `alert` (in the caller's transaction); whoever delivers the outbox sends it.
    False when it is recorded as sent or owed already."""
    c = getattr(conn, "conn", conn)
    if alert_store.alert_exists(c, alert_id):
        return False
    cur = c.execute(
        "INSERT OR IGNORE INTO outbox(alert_id, type, severity, summary, dedup_key, fields_json, "
        "boot_id, incident_id, queued) VALUES(?,?,?,?,?,?,?,?,?)",
        (
            alert_id,
            *alert_store.alert_columns(alert),
            boot_id,
            incident_id,
            time.time() if now is None else now,
        ),
    )
    return cur.rowcount == 1


def write_entry(conn: Any, entry: Entry) -> None:
    c = getattr(conn, "conn", conn)
    c.execute(
        f"INSERT OR REPLACE INTO outbox({_COLS}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            entry.alert_id,
            *alert_store.alert_columns(entry.alert),
            entry.boot_id,
            entry.incident_id,
            entry.queued,
            entry.attempts,
            entry.sent_wall if entry.state == SENT else None,
            entry.last_error,
            1 if entry.hooks_done else 0,
        ),
    )


def settle(conn: Any, entry: Entry, boot_id: Optional[str] = None) -> None:
    """Stored by journald: record the alert as sent, its incident alerted, the debt gone."""
    c = getattr(conn, "conn", conn)
    alert_store.insert_alert(c, entry.alert_id, entry.alert, entry.boot_id or boot_id)
    if entry.incident_id:
        from kcrashd.store.incidents import mark_alerted  # lazy: an idle daemon has none

        mark_alerted(c, entry.incident_id)
    c.execute("DELETE FROM outbox WHERE alert_id=?", (entry.alert_id,))


def _entry(r: Any) -> Optional[Entry]:
    try:
        alert = Alert(r[1], Severity(int(r[2])), r[3], dict(json.loads(r[5]) or {}), r[4] or "")
    except (ValueError, TypeError) as exc:
        log.error("outbox row %s is unreadable, dropped: %s", r[0], exc)
        return None
    # Loaded from the table: an earlier process may have sent it, so it is looked up first.
    return Entry(
        alert_id=r[0],
        alert=alert,
        boot_id=r[6],
        incident_id=r[7],
        queued=float(r[8]),
        state=OWED,
        attempts=int(r[9]),
        last_error=r[11],
        hooks_done=bool(r[12]),
        maybe_sent=True,
    )


def read_rows(conn: Any) -> List[Entry]:
    """Every owed alert, oldest first."""
    c = getattr(conn, "conn", conn)
    rows = c.execute(f"SELECT {_COLS} FROM outbox ORDER BY queued, alert_id").fetchall()
    entries = [_entry(r) for r in rows]
    bad = [r[0] for r, e in zip(rows, entries) if e is None]
    if bad:
        with contextlib.suppress(Exception):
            c.executemany("DELETE FROM outbox WHERE alert_id=?", [(b,) for b in bad])
    return [e for e in entries if e is not None]


def read_row(conn: Any, alert_id: str) -> Optional[Entry]:
    c = getattr(conn, "conn", conn)
    r = c.execute(f"SELECT {_COLS} FROM outbox WHERE alert_id=?", (alert_id,)).fetchone()
    return None if r is None else _entry(r)


def owed_summary(conn: Any) -> Tuple[int, Optional[float]]:
    """(alerts owed, wall time the oldest was queued) straight from the table."""
    c = getattr(conn, "conn", conn)
    n, oldest = c.execute("SELECT COUNT(*), MIN(queued) FROM outbox").fetchone()
    return int(n), (None if oldest is None else float(oldest))
