"""A state database the daemon's own storage cannot stop.

At start (open_state): a state.db that is damaged, truncated, not a database, of a schema
from the future, a directory, or unreadable is moved aside (`state.db.corrupt-<time>`, with
its journal file) and a fresh one is made, and the daemon sends one `state_degraded` alert
about it. The journal look-up keeps alerts already sent from being sent again (alert ids
are keyed with alert-id.key, beside state.db, which survives the move).

While running (StateWriter): every write of the main thread goes through commit(work).
When the disk is full or the file cannot be written (immutable, read-only, I/O errors,
damaged under us), the daemon goes on with an in-memory copy of the database: reads and
writes see one consistent state, alerts still go out (the journal is another path), and
the writes are kept to replay on disk. retry() tries again with backoff; once the disk
takes the writes, the daemon is back on disk. One `state_degraded` alert says why when it
starts, one `state_recovered` when it is over.

Grouped commits: with synchronous=FULL every COMMIT waits for the disk (fdatasync of the
rollback journal and the database). A backlog read at start brings reports back to back,
each alerted by a journal look-up first (kcrashd.alerts.outbox: an alert sent but not
committed before a crash is found in the journal, not sent twice), so their writes may
share one transaction: commit(work, group=True) runs work at once in a transaction left
open (a savepoint each, so a failing write undoes only itself) and end_group() commits it.
Reads on the connection see the open group's writes. A group is committed at end_group(),
by the next commit that is not grouped (a live alert's), or once it holds GROUP_WRITES
writes or is GROUP_SECONDS old. A storage error in the group degrades as above and
replays every write of the group in memory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from kcrashd.model import Alert, Severity
from kcrashd.store.state import SchemaTooNew, StateDB, file_identity, set_meta, transaction

log = logging.getLogger(__name__)

Work = Callable[[sqlite3.Connection], Any]
RETRY_FIRST = 2.0  # seconds before the first try to write to disk again, doubling ...
RETRY_MAX = 30.0  # ... up to this
MAX_PENDING = 5000  # beyond this many writes kept, the whole in-memory image is written back
GROUP_WRITES = 200  # a group of writes is committed at this many ...
GROUP_SECONDS = 1.0  # ... or this old (what a panic during a backlog read may leave unsynced)
SIDECARS = ("", "-journal", "-wal", "-shm")


@dataclass(frozen=True)
class Problem:
    kind: str  # full, corrupt, readonly, io, locked, unopenable
    error: str
    moved_to: Optional[str] = None


def storage_error(exc: BaseException) -> bool:
    """An error of the storage (disk, file, locks), not of kcrashd's SQL."""
    if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
        return False
    return isinstance(exc, (sqlite3.DatabaseError, OSError))


def database_storage_error(exc: BaseException) -> bool:
    """An error the state database raised because of its storage (see storage_error)."""
    return isinstance(exc, sqlite3.Error) and storage_error(exc)


def classify(exc: BaseException) -> str:
    msg = str(exc).lower()
    if isinstance(exc, SchemaTooNew):
        return "corrupt"
    if isinstance(exc, OSError) and exc.errno == 28 or "disk is full" in msg:
        return "full"
    if any(s in msg for s in ("malformed", "not a database", "no such table", "no such column")):
        return "corrupt"
    if "readonly" in msg or "read-only" in msg:
        return "readonly"
    if "locked" in msg or "busy" in msg:
        return "locked"
    if "unable to open" in msg:
        return "unopenable"
    return "io"


def move_aside(path: str, now: Optional[float] = None) -> str:
    """Rename path (a file or a directory) and its journal files to
    `<path>.corrupt-<time>[-N]`; returns the new name. Raises OSError."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(time.time() if now is None else now))
    target = f"{path}.corrupt-{stamp}"
    n = 1
    while any(os.path.lexists(target + s) for s in SIDECARS):
        n += 1
        target = f"{path}.corrupt-{stamp}-{n}"
    os.rename(path, target)
    for suffix in SIDECARS[1:]:
        if os.path.lexists(path + suffix):
            try:
                os.rename(path + suffix, target + suffix)
            except OSError:
                # a journal left beside a fresh file would be rolled into it: remove it
                os.unlink(path + suffix)
    return target


def open_state(path: str) -> Tuple[StateDB, Optional[Problem], bool]:
    """(StateDB, problem, on_disk). A damaged or unusable file is moved aside and a fresh
    one made; when that is impossible too (full or read-only disk, immutable file), the
    StateDB is an in-memory copy (on_disk False) that StateWriter writes back later."""
    try:
        return _open_writable(path), None, True
    except Exception as exc:
        if not storage_error(exc):
            raise
        first = exc
    kind = classify(first)
    error = f"{type(first).__name__}: {first}"
    log.error("state database %s is unusable: %s", path, error)
    if kind in ("corrupt", "unopenable", "readonly", "io") and os.path.lexists(path):
        try:
            moved = move_aside(path)
        except OSError as exc:
            log.error("cannot move %s aside: %s", path, exc)
        else:
            log.warning("moved the unusable state database to %s; starting a fresh one", moved)
            try:
                return _open_writable(path), Problem(kind, error, moved), True
            except Exception as exc:
                if not storage_error(exc):
                    raise
                kind, error = classify(exc), f"{type(exc).__name__}: {exc}"
                return _memory_copy(None, path), Problem(kind, error, moved), False
    return _memory_copy(path, path), Problem(kind, error), False


def _open_writable(path: str) -> StateDB:
    """StateDB(path), checked, and shown to take a write (an immutable file, one kcrashd
    may read but not write, or a read-only mount opens fine and fails later)."""
    state = StateDB(path, check=True)
    try:
        with state.transaction() as c:
            set_meta(c, "opened", repr(time.time()))
    except BaseException:
        state.close()
        raise
    return state


def _memory_copy(source: Any, path: str) -> StateDB:
    """An in-memory StateDB holding what can still be read of `source` (a connection, or
    the path of a file); its .path stays `path` (the state directory still holds the
    alert key and the snapshots)."""
    mem = StateDB(":memory:")
    if isinstance(source, str) and not os.path.isfile(source):
        source = None
    if source is not None:
        try:
            if isinstance(source, str):
                disk = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=2.0)
                try:
                    disk.backup(mem.conn)
                finally:
                    disk.close()
            else:
                source.backup(mem.conn)
            mem._migrate()  # an older schema read back: bring it up to date in memory
        except Exception as exc:  # unreadable too: start empty
            log.warning("cannot read the state database into memory (%s): starting empty", exc)
            mem.close()
            mem = StateDB(":memory:")
    mem.path = path
    return mem


class StateWriter:
    """The main thread's writes to state.db, surviving a full or broken disk (module doc).

    `state` is the StateDB every reader of the main thread uses; while degraded its
    connection is the in-memory copy. Alerts to send (state_degraded, state_recovered)
    are collected for the caller: take_alerts()."""

    def __init__(self, state: StateDB, on_disk: bool = True, problem: Optional[Problem] = None):
        self.state = state
        self.path = state.path
        self.disk: Optional[sqlite3.Connection] = state.conn if on_disk else None
        self.memory: Optional[sqlite3.Connection] = None if on_disk else state.conn
        self.problem: Optional[Problem] = None if on_disk else problem
        self.since: Optional[float] = None if on_disk else time.time()
        self.pending: List[Tuple[Optional[str], Work]] = []
        self.overflowed = False
        self.delay = RETRY_FIRST
        self.next_retry = 0.0
        self.failures = 0
        self.recoveries = 0
        self._alerts: List[Alert] = []
        if problem is not None:
            self._alerts.append(degraded_alert(self.path, problem, on_disk))
        self._group: List[Tuple[Optional[str], Work]] = []  # writes of the open transaction
        self._group_started = 0.0  # time.monotonic() of its first write

    @classmethod
    def open(cls, path: str) -> StateWriter:
        state, problem, on_disk = open_state(path)
        return cls(state, on_disk, problem)

    @property
    def degraded(self) -> bool:
        return self.memory is not None

    def take_alerts(self) -> List[Alert]:
        alerts, self._alerts = self._alerts, []
        return alerts

    def commit(self, work: Work, key: Optional[str] = None, group: bool = False) -> bool:
        """work(conn) in one transaction; True when it is on disk. `key`: a later write
        with the same key replaces this one in the writes kept for the disk (the status
        document, a position with nothing else). `group`: the transaction may stay open for
        the writes that follow (module doc); False until it is committed. A write that is
        not grouped commits the open group with it."""
        if self.memory is None:
            try:
                if group or self._group:
                    self._join_group(work, key)
                else:
                    with transaction(self.state.conn) as c:
                        work(c)
                    return True
            except Exception as exc:
                if not storage_error(exc):
                    raise
                self._degrade(exc)
            else:
                due = len(self._group) >= GROUP_WRITES
                due = due or time.monotonic() - self._group_started >= GROUP_SECONDS
                return False if group and not due else self.end_group()
        with transaction(self.state.conn) as c:
            work(c)
        self._keep(key, work)
        return False

    @property
    def grouping(self) -> bool:
        """Writes of an open group are not committed yet."""
        return bool(self._group)

    def _join_group(self, work: Work, key: Optional[str]) -> None:
        """work(conn) in the open group's transaction (begun here for the first)."""
        conn = self.state.conn
        if not self._group:
            conn.execute("BEGIN IMMEDIATE")
            self._group_started = time.monotonic()
        # a savepoint per write: one that fails undoes itself, not the writes before it
        conn.execute("SAVEPOINT kcrashd_write")
        try:
            work(conn)
        except BaseException as exc:
            if not storage_error(exc) and conn.in_transaction:
                conn.execute("ROLLBACK TO kcrashd_write")
                conn.execute("RELEASE kcrashd_write")
                if not self._group:  # the group held nothing else: end it as it began
                    conn.execute("ROLLBACK")
            raise
        conn.execute("RELEASE kcrashd_write")
        self._group.append((key, work))

    def end_group(self, max_age: float = 0.0) -> bool:
        """Commit the open group (only when it is at least `max_age` seconds old); True
        when every write is on disk."""
        if not self._group:
            return self.memory is None
        if time.monotonic() - self._group_started < max_age:
            return False
        try:
            self.state.conn.execute("COMMIT")
        except Exception as exc:
            if not storage_error(exc):
                raise
            self._degrade(exc)
            return False
        self._group = []
        return True

    def _keep(self, key: Optional[str], work: Work) -> None:
        if self.overflowed:
            return
        if key is not None:
            self.pending = [(k, w) for k, w in self.pending if k != key]
        self.pending.append((key, work))
        if len(self.pending) > MAX_PENDING:
            self.overflowed = True  # write the whole image back instead
            self.pending = []

    def _degrade(self, exc: BaseException) -> None:
        group, self._group = self._group, []
        if self.disk is not None and self.disk.in_transaction:
            try:  # a group left open (SQLite may have rolled it back itself)
                self.disk.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        kind = classify(exc)
        problem = Problem(kind, f"{type(exc).__name__}: {exc}")
        self.failures += 1
        log.error(
            "state database %s cannot be written (%s): keeping state in memory until it can",
            self.path,
            problem.error,
        )
        mem = _memory_copy(None if kind == "corrupt" else self.disk, self.path)
        self.memory = mem.conn
        self.state.conn = mem.conn
        if kind == "corrupt":
            self._close_disk()  # nothing to replay onto: the recovery writes the image
            self.overflowed = True
        self.problem = problem
        self.since = time.time()
        self.delay = RETRY_FIRST
        self.next_retry = time.monotonic() + self.delay
        self._alerts.append(degraded_alert(self.path, problem, False))
        if group:  # the group was rolled back on disk: its writes go to memory, kept
            with transaction(self.state.conn) as c:
                for _key, work in group:
                    work(c)
            for key, work in group:
                self._keep(key, work)

    def retry(self, now: Optional[float] = None, force: bool = False) -> bool:
        """Try to put the state back on disk when it is time; True when it is there now."""
        if self.memory is None:
            return True
        now = time.monotonic() if now is None else now
        if not force and now < self.next_retry:
            return False
        try:
            self._write_back()
        except Exception as exc:
            if not storage_error(exc):
                raise
            self.next_retry = now + self.delay
            self.delay = min(RETRY_MAX, self.delay * 2)
            log.debug("state database still cannot be written: %s", exc)
            return False
        outage = time.time() - (self.since or time.time())
        problem = self.problem
        self.memory = None
        self.pending = []
        self.overflowed = False
        self.problem = None
        self.since = None
        self.recoveries += 1
        log.info("state database %s is written again (after %.0f s)", self.path, outage)
        self._alerts.append(recovered_alert(self.path, problem, outage))
        return True

    def _write_back(self) -> None:
        mem = self.memory
        assert mem is not None
        disk = self.disk
        if disk is None or self.state.replaced():
            disk = self._reopen_disk()
            image = True
        else:
            image = self.overflowed
        if image:
            mem.backup(disk)
        else:
            with transaction(disk) as c:
                for _key, work in self.pending:
                    work(c)
        self.state.conn = disk
        self.disk = disk
        self.state.identity = file_identity(self.path)
        mem.close()

    def _reopen_disk(self) -> sqlite3.Connection:
        """A connection to a usable file at self.path: the same one if it opens and checks,
        else the damaged one moved aside and a fresh one made."""
        self._close_disk()
        try:
            fresh = _open_writable(self.path)
        except Exception as exc:
            if not storage_error(exc) or classify(exc) in ("full", "locked"):
                raise
            moved = move_aside(self.path)
            log.warning("moved the unusable state database to %s", moved)
            self.problem = Problem(classify(exc), f"{type(exc).__name__}: {exc}", moved)
            fresh = _open_writable(self.path)
        self.overflowed = True  # whatever is in that file, the image in memory is the truth
        return fresh.conn

    def _close_disk(self) -> None:
        if self.disk is not None:
            try:
                self.disk.close()
            except sqlite3.Error:
                pass
            self.disk = None

    def status(self) -> Dict[str, Any]:
        """For the status document."""
        return {
            "degraded": self.memory is not None,
            "problem": self.problem.kind if self.problem else None,
            "error": self.problem.error if self.problem else None,
            "since": self.since,
            "writes_kept": len(self.pending),
            "recoveries": self.recoveries,
        }

    def close(self) -> None:
        self.end_group()  # what is grouped is committed, not lost with the connection
        if self.memory is not None:
            self.retry(force=True)  # a last try: the writes kept are lost otherwise
        try:
            self.state.conn.close()
        except sqlite3.Error:
            pass
        if self.disk is not None and self.disk is not self.state.conn:
            self._close_disk()


def degraded_alert(path: str, problem: Problem, on_disk: bool) -> Alert:
    if problem.moved_to:
        action = (
            f"moved it aside to {problem.moved_to} and started a fresh state database; "
            "alerts already sent are found in the journal and not sent again"
        )
        if not on_disk:
            action += "; the fresh one cannot be written either, so state is kept in memory"
        summary = f"state database was unusable ({problem.kind}): moved aside, started afresh"
    else:
        action = (
            "keeping state in memory and writing it back when the disk takes it; crash "
            "alerts still go to the journal"
        )
        summary = f"state database cannot be written ({problem.kind}): state kept in memory"
    fields = {"path": path, "problem": problem.kind, "error": problem.error, "action": action}
    if problem.moved_to:
        fields["moved_to"] = problem.moved_to
    return Alert("state_degraded", Severity.ERR, summary, fields, f"state:{path}")


def recovered_alert(path: str, problem: Optional[Problem], outage: float) -> Alert:
    fields = {
        "path": path,
        "problem": problem.kind if problem else "unknown",
        "outage_seconds": f"{outage:.0f}",
    }
    return Alert(
        "state_recovered",
        Severity.NOTICE,
        f"state database is written again after {outage:.0f} s",
        fields,
        f"state:{path}",
    )
