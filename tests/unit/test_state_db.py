"""state.db itself: nothing memory-mapped, the version-1 upgrade, retention, and indexes
for the queries the daemon makes on every alert."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from kcrashd.alerts.outbox import read_rows
from kcrashd.model import Alert, CrashReport, Severity
from kcrashd.store import alerts as alert_store
from kcrashd.store import reports as report_store
from kcrashd.store.retention import prune
from kcrashd.store.state import MIGRATIONS, StateDB
from tests.conftest import PROJECT


@pytest.fixture
def state(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    yield db
    db.close()


def test_no_wal_and_nothing_mapped(state, tmp_path):
    assert state.conn.execute("PRAGMA journal_mode").fetchone()[0] == "truncate"
    assert state.conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
    with state.transaction() as c:
        c.execute("INSERT INTO meta VALUES ('k', 'v')")
    assert not (tmp_path / "state.db-shm").exists()


TRUNCATE_UNDER_IT = """
import os, sqlite3, sys
from kcrashd.store.state import StateDB, set_meta
db = StateDB(sys.argv[1])
with db.transaction() as c:
    for i in range(2000):
        set_meta(c, f"k{i}", "x" * 200)
os.truncate(sys.argv[1], 0)  # another program truncates the file under us
try:
    db.conn.execute("SELECT COUNT(*) FROM meta").fetchone()
    with db.transaction() as c:
        set_meta(c, "after", "1")
except sqlite3.Error as exc:
    print("error:", exc)
print("alive")
"""


def test_a_file_truncated_under_the_daemon_is_an_error_not_sigbus(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", TRUNCATE_UNDER_IT, str(tmp_path / "state.db")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != -signal.SIGBUS
    assert out.returncode == 0 and "alive" in out.stdout, out.stderr


def test_a_version_1_wal_database_is_upgraded(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    alert = Alert("unexplained_reset", Severity.ERR, "previous boot ended", {"boot_id": "b0"})
    doc = {"alert": alert.to_dict(), "incident_id": None, "queued": 12.0}
    conn.execute("INSERT INTO meta VALUES ('postmortem.pending_alert:abc', ?)", (json.dumps(doc),))
    conn.execute("INSERT INTO meta VALUES ('postmortem.pending_alert:bad', 'not json')")
    conn.execute("PRAGMA user_version=1")
    conn.close()
    state = StateDB(str(path))
    assert state.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert state.conn.execute("PRAGMA journal_mode").fetchone()[0] == "truncate"
    (owed,) = read_rows(state)  # the owed alert moved to the outbox; the bad one dropped
    assert (owed.alert_id, owed.alert, owed.queued) == ("abc", alert, 12.0)
    assert (
        state.conn.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'postmortem.%'").fetchone()[0]
        == 0
    )
    state.close()


DAY = 86400.0


def _report(boot: str) -> CrashReport:
    return CrashReport(kind="oops", title="oops in f", signature="oops:f", boot_id=boot)


def test_retention_deletes_old_rows_but_not_the_current_boot_or_incidents(state):
    now = time.time()
    old = now - 200 * DAY
    alert = Alert("crash_report", Severity.CRIT, "x", {}, "crash:b:oops:f")
    with state.transaction() as c:
        for boot in ("old-boot", "this-boot"):
            alert_store.insert_alert(c, f"a-{boot}", alert, boot, now=old)
            report_store.insert_report(c, _report(boot), boot, "oops:f", old, None)
        alert_store.insert_alert(c, "a-recent", alert, "old-boot", now=now - DAY)
        c.execute("INSERT INTO artifacts VALUES ('pstore:/x', 'pstore', 'f', NULL, ?)", (old,))
        c.execute("INSERT INTO artifacts VALUES ('pstore:/y', 'pstore', 'f', NULL, ?)", (now,))
        c.execute(
            "INSERT INTO incidents(incident_id, boot_id, kind, title, signature, first_seen) "
            "VALUES ('i1', 'old-boot', 'oops', 't', 'oops:f', ?)",
            (old,),
        )
    with state.transaction() as c:
        deleted = prune(c, 180, "this-boot", now=now)
    assert deleted == {"alerts": 1, "reports": 1, "artifacts": 1}
    left = [r[0] for r in state.conn.execute("SELECT alert_id FROM alerts ORDER BY alert_id")]
    assert left == ["a-recent", "a-this-boot"]
    assert [r[0] for r in state.conn.execute("SELECT boot_id FROM reports")] == ["this-boot"]
    assert [r[0] for r in state.conn.execute("SELECT key FROM artifacts")] == ["pstore:/y"]
    assert state.conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 1


@pytest.mark.parametrize(
    "sql,params",
    [
        ("SELECT MAX(created) FROM alerts WHERE dedup_key=?", ("k",)),
        ("SELECT COUNT(*) FROM alerts WHERE boot_id=?", ("b",)),
        ("SELECT 1 FROM alerts WHERE alert_id=?", ("a",)),
        ("SELECT type, COUNT(*) FROM alerts GROUP BY type", ()),
        ("SELECT alert_id FROM alerts ORDER BY created DESC LIMIT 10", ()),
        ("SELECT fields_json FROM alerts WHERE boot_id=? ORDER BY created DESC", ("b",)),
        ("DELETE FROM alerts WHERE created < ? AND boot_id IS NOT ?", (1.0, "b")),
        ("SELECT signature FROM reports WHERE boot_id=? AND header=?", ("b", "h")),
        ("DELETE FROM reports WHERE last_seen < ? AND boot_id IS NOT ?", (1.0, "b")),
        ("DELETE FROM artifacts WHERE seen < ?", (1.0,)),
    ],
)
def test_the_queries_made_per_alert_use_an_index(state, sql, params):
    steps = [r[-1] for r in state.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    # a search by an index, or a walk of one (in order for LIMIT, covering for GROUP BY);
    # never a scan of the table itself
    assert steps and all("INDEX" in step for step in steps), steps


def test_the_retention_job_prunes_with_the_configured_days(state):
    from kcrashd import config
    from kcrashd.daemon.context import DaemonContext
    from kcrashd.daemon.jobs import load_jobs
    from kcrashd.host.root import Root
    from kcrashd.store.retention import RetentionJob

    assert any(isinstance(job, RetentionJob) for job in load_jobs())
    alert = Alert("crash_report", Severity.CRIT, "x", {}, "k")
    with state.transaction() as c:
        alert_store.insert_alert(c, "ten-days", alert, "old-boot", now=time.time() - 10 * DAY)
    cfg = config.from_dict({"state": {"retention_days": 30}})
    ctx = DaemonContext(cfg, Root("/"), None, state, "this-boot")
    job = RetentionJob()
    assert job.interval(cfg) == DAY
    job.run(ctx)
    assert alert_store.alert_exists(state, "ten-days")
    ctx.config = config.from_dict({"state": {"retention_days": 7}})
    job.run(ctx)
    assert not alert_store.alert_exists(state, "ten-days")
