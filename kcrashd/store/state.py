"""The state database: one SQLite file in WAL mode.

Holds the journal position, crash reports seen per boot, alerts, incidents, open watcher
signals, readiness results and artifacts already handled. The schema lives here, in one
place; query helpers for each concern live beside it (store/*.py) and take a StateDB.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Iterator, Optional

SCHEMA_VERSION = 1

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
)


class StateDB:
    """A connection to state.db. Not shared between threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed position/alert must survive a power loss or panic right after.
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path}: schema version {version} is newer than this kcrashd knows"
            )
        for i in range(version, len(MIGRATIONS)):
            with self.transaction():
                _run_script(self.conn, MIGRATIONS[i])
                self.conn.execute(f"PRAGMA user_version={i + 1}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def get_meta(self, key: str) -> Optional[str]:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.conn.close()


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our open transaction; run statements one by one instead.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


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
