"""The state database: one SQLite file with a rollback journal, nothing memory-mapped.

Holds the journal position, crash reports seen per boot, alerts (sent and owed), incidents,
open watcher signals, readiness results and artifacts already handled. The schema lives
here, in one place; query helpers for each concern live beside it (store/*.py) and take a
StateDB.

Not WAL: WAL memory-maps its `-shm` index, and a process touching that mapping after the
file was truncated under it dies of SIGBUS. A rollback journal with mmap_size=0 maps
nothing, so no damage to the files can kill the daemon; kcrashd.store.recovery handles
the errors instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from typing import ContextManager, Iterator, Optional

SCHEMA_VERSION = 2

# Each entry migrates from version i to i+1; append, never edit a shipped one.
MIGRATIONS = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    -- where each kernel log source resumes (journal cursor, kmsg seq)
    CREATE TABLE positions (
        source TEXT PRIMARY KEY, boot_id TEXT, position TEXT NOT NULL, updated REAL NOT NULL);
    -- one row per crash signature and boot: dedup and repeat counts
    CREATE TABLE reports (
        boot_id TEXT NOT NULL, signature TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
        first_seen REAL NOT NULL, last_seen REAL NOT NULL, count INTEGER NOT NULL DEFAULT 1,
        alerted_count INTEGER NOT NULL DEFAULT 0, incident_id TEXT, report_json TEXT,
        PRIMARY KEY (boot_id, signature));
    -- every alert sent (alert_id is also the KCRASHD_ALERT_ID journal field)
    CREATE TABLE alerts (
        alert_id TEXT PRIMARY KEY, type TEXT NOT NULL, severity INTEGER NOT NULL,
        summary TEXT NOT NULL, dedup_key TEXT NOT NULL, fields_json TEXT NOT NULL,
        boot_id TEXT, created REAL NOT NULL);
    CREATE INDEX alerts_dedup ON alerts (dedup_key);
    -- one crash of one boot with its evidence
    CREATE TABLE incidents (
        incident_id TEXT PRIMARY KEY, boot_id TEXT, kind TEXT NOT NULL, title TEXT NOT NULL,
        signature TEXT NOT NULL, report_json TEXT, evidence_json TEXT NOT NULL DEFAULT '[]',
        vmcore TEXT, snapshot_id TEXT, first_seen REAL NOT NULL,
        alerted INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX incidents_signature ON incidents (signature);
    CREATE UNIQUE INDEX incidents_boot_signature ON incidents (boot_id, signature);
    -- watcher levels currently raised (survive restarts so a clear is still sent)
    CREATE TABLE signals (
        watcher TEXT NOT NULL, key TEXT NOT NULL, level INTEGER NOT NULL, since REAL NOT NULL,
        value REAL, message TEXT, PRIMARY KEY (watcher, key));
    -- last readiness verdict per check, to alert when one gets worse
    CREATE TABLE check_results (
        check_id TEXT PRIMARY KEY, status TEXT NOT NULL, summary TEXT, updated REAL NOT NULL);
    -- post-mortem artifacts already handled (pstore records, dump dirs, journal boots)
    CREATE TABLE artifacts (
        key TEXT PRIMARY KEY, kind TEXT NOT NULL, fingerprint TEXT, incident_id TEXT,
        seen REAL NOT NULL);
    """,
    # 2: the outbox (alerts owed to the journal), report positions and headers, indexes
    """
    -- alerts owed to the journal until journald has stored them (kcrashd.alerts.outbox);
    -- sent: when it was last handed to journald (NULL: not yet, or that failed)
    CREATE TABLE outbox (
        alert_id TEXT PRIMARY KEY, type TEXT NOT NULL, severity INTEGER NOT NULL,
        summary TEXT NOT NULL, dedup_key TEXT NOT NULL, fields_json TEXT NOT NULL,
        boot_id TEXT, incident_id TEXT, queued REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, sent REAL,
        last_error TEXT, hooks_done INTEGER NOT NULL DEFAULT 0);
    -- where in the boot a report was last counted (kernel time, not the wall clock)
    ALTER TABLE reports ADD COLUMN last_monotonic_us INTEGER;
    -- the report's header (kind + first line) and RIP function: a report that lost lines
    -- is counted against the report of this boot with the same header
    ALTER TABLE reports ADD COLUMN header TEXT;
    ALTER TABLE reports ADD COLUMN rip TEXT;
    CREATE INDEX reports_header ON reports (boot_id, header);
    CREATE INDEX reports_last_seen ON reports (last_seen);
    DROP INDEX alerts_dedup;
    CREATE INDEX alerts_dedup ON alerts (dedup_key, created);
    CREATE INDEX alerts_boot ON alerts (boot_id, created);
    CREATE INDEX alerts_created ON alerts (created);
    CREATE INDEX alerts_type ON alerts (type);
    CREATE INDEX artifacts_seen ON artifacts (seen);
    """,
)
# Version 1 kept the post-mortem's owed alerts in meta; version 2 moves them to the outbox.
_V1_PENDING = "postmortem.pending_alert:"


class SchemaTooNew(sqlite3.DatabaseError):
    """The file was written by a newer kcrashd (a schema version this one does not know)."""


class StateDB:
    """A connection to state.db (or, with path ":memory:", to a private in-memory copy).
    Not shared between threads."""

    def __init__(self, path: str, check: bool = False) -> None:
        """Open and migrate. `check`: also run SQLite's quick_check (the daemon does at
        start) so that a damaged file fails here rather than at some later query."""
        self.path = path
        if path != ":memory:":
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, mode=0o700, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        try:
            self.conn.row_factory = sqlite3.Row
            # Never memory-map the database: a mapping of a file truncated under us is SIGBUS.
            self.conn.execute("PRAGMA mmap_size=0")
            if path != ":memory:":
                # A rollback journal, not WAL (whose -shm index is always mapped).
                self.conn.execute("PRAGMA journal_mode=TRUNCATE")
            # FULL: a committed position/alert must survive a power loss or panic right after.
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            if check:
                row = self.conn.execute("PRAGMA quick_check(1)").fetchone()
                if row is None or row[0] != "ok":
                    raise sqlite3.DatabaseError(f"database disk image is malformed: {row}")
            self._migrate()
        except BaseException:
            self.conn.close()
            raise
        self.identity = file_identity(path)
        self.alert_key: Optional[bytes] = None  # kcrashd.store.secret.alert_key
        self.alert_key_problem: Optional[str] = None
        if path != ":memory:":
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise SchemaTooNew(
                f"{self.path}: schema version {version} is newer than this kcrashd knows"
            )
        for i in range(version, len(MIGRATIONS)):
            with self.transaction():
                _run_script(self.conn, MIGRATIONS[i])
                if i + 1 == 2:
                    _move_v1_pending(self.conn)
                self.conn.execute(f"PRAGMA user_version={i + 1}")

    def transaction(self) -> ContextManager[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception."""
        return transaction(self.conn)

    def replaced(self) -> bool:
        """Whether the file at self.path is no longer the one this connection has open
        (moved aside as corrupt and made anew by the daemon's main thread)."""
        return self.path != ":memory:" and file_identity(self.path) != self.identity

    def get_meta(self, key: str) -> Optional[str]:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        set_meta(self.conn, key, value)

    def close(self) -> None:
        self.conn.close()


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (key, value),
    )


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT on `conn`, ROLLBACK on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (SQLITE_FULL does): do not hide the error.
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our open transaction; run statements one by one instead.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _move_v1_pending(conn: sqlite3.Connection) -> None:
    """Alerts a version-1 post-mortem left owed (meta rows) become outbox rows."""
    rows = conn.execute(
        "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(_V1_PENDING), _V1_PENDING)
    ).fetchall()
    for key, value in rows:
        try:
            doc = json.loads(value)
            a = doc["alert"]
            conn.execute(
                "INSERT OR IGNORE INTO outbox(alert_id, type, severity, summary, dedup_key, "
                "fields_json, incident_id, queued) VALUES(?,?,?,?,?,?,?,?)",
                (
                    key[len(_V1_PENDING) :],
                    a["type"],
                    int(a["priority"]),
                    a["summary"],
                    a.get("dedup_key") or "",
                    json.dumps(a.get("fields") or {}, sort_keys=True),
                    doc.get("incident_id"),
                    float(doc.get("queued") or 0),
                ),
            )
        except (ValueError, KeyError, TypeError):
            pass  # unreadable: dropped, as version 1 dropped it
        conn.execute("DELETE FROM meta WHERE key=?", (key,))


def file_identity(path: str) -> Optional[tuple]:
    """(device, inode) of the file at path, None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def default_path(state_directory: str) -> str:
    return os.path.join(state_directory, "state.db")


def open_readonly(state_directory: str) -> Optional[sqlite3.Connection]:
    """state.db opened read-only for the commands that only look (status, incidents), or
    None when the daemon has not made one yet (nothing is created)."""
    path = default_path(state_directory)
    if not os.path.exists(path):
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    conn.row_factory = sqlite3.Row
    return conn


def read_meta(conn: sqlite3.Connection, key: str) -> Optional[str]:
    """A meta value from any connection; None when absent or the schema is not there yet."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else row[0]
