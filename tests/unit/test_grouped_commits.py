"""Grouped commits (kcrashd.store.recovery.StateWriter, group=True) on a real SQLite file,
and the pipeline's use of them: a backlog's reports share a commit, a live report is
committed right after its alert, and a crash before a group's commit neither loses an
alert nor sends one twice.

What another process sees is read through its own connection to the same file; a crash
is the process's connection dropped with its transaction open (SQLite rolls it back, as
it does the hot journal a killed process leaves: tests/integration/test_journal_dir.py
kills a real daemon in the middle of a backlog)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from typing import List

import pytest

from kcrashd import config
from kcrashd.alerts.pipeline import Pipeline
from kcrashd.store import recovery
from kcrashd.store.positions import Position, load_position
from kcrashd.store.recovery import StateWriter
from kcrashd.store.state import set_meta
from tests.conftest import PROJECT
from tests.recording_journal import RecordingJournal
from tests.unit.test_pipeline import BOOT, report

STARTED = 5000.0  # reports printed before this are the backlog


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "state.db")


def seen_by_others(db: str, sql: str) -> list:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def meta(key: str, value: str):
    return lambda c: set_meta(c, key, value)


def test_grouped_writes_are_one_transaction_the_writer_sees_and_others_do_not(db):
    writer = StateWriter.open(db)
    assert [writer.commit(meta(f"k{i}", "v"), group=True) for i in range(3)] == [False] * 3
    assert writer.grouping
    assert writer.state.get_meta("k2") == "v"  # the writer's own reads see its group
    assert seen_by_others(db, "SELECT key FROM meta WHERE key LIKE 'k%'") == []
    assert writer.end_group() is True
    assert not writer.grouping
    assert len(seen_by_others(db, "SELECT key FROM meta WHERE key LIKE 'k%'")) == 3
    writer.close()


def test_a_write_that_is_not_grouped_commits_the_group_with_it(db):
    writer = StateWriter.open(db)
    writer.commit(meta("grouped", "1"), group=True)
    assert writer.commit(meta("alone", "1")) is True
    assert not writer.grouping
    rows = seen_by_others(db, "SELECT key FROM meta WHERE key IN ('grouped', 'alone')")
    assert sorted(rows) == [("alone",), ("grouped",)]
    writer.close()


def test_a_failing_write_in_a_group_undoes_only_itself(db):
    writer = StateWriter.open(db)
    writer.commit(meta("before", "1"), group=True)

    def half_then_fail(c):
        set_meta(c, "half", "1")
        c.execute("INSERT INTO meta(key, value) VALUES('before', 'twice')")  # primary key

    with pytest.raises(sqlite3.IntegrityError):
        writer.commit(half_then_fail, group=True)
    writer.commit(meta("after", "1"), group=True)
    assert writer.end_group() is True
    rows = seen_by_others(
        db, "SELECT key, value FROM meta WHERE key IN ('before', 'half', 'after')"
    )
    assert sorted(rows) == [("after", "1"), ("before", "1")]
    writer.close()


def test_a_failing_first_write_leaves_no_group_open(db):
    writer = StateWriter.open(db)
    writer.commit(meta("once", "1"))
    with pytest.raises(sqlite3.IntegrityError):
        writer.commit(lambda c: c.execute("INSERT INTO meta VALUES ('once', '2')"), group=True)
    assert not writer.grouping and not writer.state.conn.in_transaction
    assert writer.commit(meta("next", "1")) is True
    writer.close()


def test_a_storage_error_in_the_first_write_of_a_group_degrades_and_comes_back(db):
    writer = StateWriter.open(db)
    disk = writer.state.conn
    failed = []

    def first_time_the_disk_fails(c):
        set_meta(c, "flaky", "1")
        if not failed:  # on disk: the error SQLite raises when the disk fails a write
            failed.append(True)
            raise sqlite3.OperationalError("disk I/O error")

    assert writer.commit(first_time_the_disk_fails, group=True) is False
    assert writer.degraded and not disk.in_transaction  # the group begun there is gone
    assert writer.state.get_meta("flaky") == "1"  # in memory, kept for the disk
    assert writer.retry(force=True) is True
    writer.close()
    assert seen_by_others(db, "SELECT value FROM meta WHERE key='flaky'") == [("1",)]


def test_a_group_is_committed_once_it_holds_its_limit_of_writes(db):
    writer = StateWriter.open(db)
    done = [writer.commit(meta(f"k{i}", "v"), group=True) for i in range(recovery.GROUP_WRITES)]
    assert done == [False] * (recovery.GROUP_WRITES - 1) + [True]
    count = seen_by_others(db, "SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'")
    assert count == [(recovery.GROUP_WRITES,)]
    writer.close()


def test_end_group_waits_for_a_group_younger_than_asked(db):
    writer = StateWriter.open(db)
    writer.commit(meta("young", "1"), group=True)
    assert writer.end_group(max_age=3600.0) is False
    assert writer.grouping
    assert writer.end_group(max_age=0.0) is True
    writer.close()


def test_closing_the_writer_commits_its_group(db):
    writer = StateWriter.open(db)
    writer.commit(meta("last", "1"), group=True)
    writer.close()
    assert seen_by_others(db, "SELECT value FROM meta WHERE key='last'") == [("1",)]


KILLED_IN_A_GROUP = """
import os, signal, sys
from kcrashd.store.recovery import StateWriter
from kcrashd.store.state import set_meta
writer = StateWriter.open(sys.argv[1])
writer.commit(lambda c: set_meta(c, "committed", "1"))
for i in range(50):
    writer.commit(lambda c, i=i: set_meta(c, f"grouped{i}", "x" * 5000), group=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_process_killed_with_a_group_open_leaves_the_file_as_before_the_group(db):
    out = subprocess.run(
        [sys.executable, "-c", KILLED_IN_A_GROUP, db], cwd=PROJECT, capture_output=True, timeout=60
    )
    assert out.returncode == -9, out.stderr
    writer = StateWriter.open(db)  # checks the file (quick_check) and rolls the journal back
    assert writer.status()["problem"] is None
    assert writer.state.get_meta("committed") == "1"
    grouped = "SELECT COUNT(*) FROM meta WHERE key LIKE 'grouped%'"
    assert tuple(writer.state.conn.execute(grouped).fetchone()) == (0,)
    writer.close()


# -- the pipeline ----------------------------------------------------------------------------


def pipeline(writer: StateWriter, journal: RecordingJournal) -> Pipeline:
    return Pipeline(
        writer.state, config.Config(), BOOT, journal=journal, started_at=STARTED, writer=writer
    )


def backlog(n: int) -> List:
    """n reports of n signatures printed before the daemon started, with the positions after
    each (as the daemon hands them over)."""
    return [
        (
            report(f"oops:f{i}:d{i}", t=1000.0 + i, start=f"c{i}"),
            ("journal", Position(f"c{i}", BOOT)),
        )
        for i in range(n)
    ]


def crash_alerts(db: str) -> list:
    return seen_by_others(db, "SELECT alert_id FROM alerts WHERE type='crash_report'")


def test_backlog_reports_share_one_commit(db):
    writer = StateWriter.open(db)
    journal = RecordingJournal()
    p = pipeline(writer, journal)
    for r, pos in backlog(5):
        p.on_report(r, pos)
    assert len(journal.sent) == 5  # every alert is out before its commit
    assert writer.grouping
    assert seen_by_others(db, "SELECT COUNT(*) FROM reports") == [(0,)]
    assert p.outbox.flush(5.0)  # journald stored them: recorded in the same group
    assert writer.end_group() is True
    assert seen_by_others(db, "SELECT COUNT(*) FROM reports") == [(5,)]
    assert len(crash_alerts(db)) == 5
    assert load_position(writer.state, "journal").value == "c4"
    writer.close()


def test_a_live_report_is_committed_right_after_its_alert(db):
    writer = StateWriter.open(db)
    journal = RecordingJournal()
    p = pipeline(writer, journal)
    ((old, old_pos),) = backlog(1)
    p.on_report(old, old_pos)
    live = report("oops:live:d", t=STARTED + 1.0, start="live")
    p.on_report(live, ("journal", Position("live", BOOT)))
    assert not writer.grouping
    signatures = seen_by_others(db, "SELECT signature FROM reports ORDER BY signature")
    assert signatures == [("oops:f0:d0",), ("oops:live:d",)]  # the group went with it
    owed = seen_by_others(db, "SELECT COUNT(*) FROM outbox WHERE type='crash_report'")
    assert owed == [(2,)]
    writer.close()


def test_a_crash_before_the_group_commit_loses_no_alert_and_sends_none_twice(db):
    journal = RecordingJournal()  # journald outlives the daemon: it keeps what it stored
    writer = StateWriter.open(db)
    p = pipeline(writer, journal)
    reports = backlog(6)
    for r, pos in reports[:4]:
        p.on_report(r, pos)
    writer.state.conn.close()  # killed: the open group is rolled back
    assert crash_alerts(db) == [] and load_position_on_disk(db) is None
    sent_before = [alert_id for _, alert_id in journal.sent]
    assert len(sent_before) == 4

    # The next start reads the backlog again from the last committed position.
    writer = StateWriter.open(db)
    p = pipeline(writer, journal)
    for r, pos in reports:
        p.on_report(r, pos)
    assert p.outbox.flush(5.0)
    writer.close()
    resent = [alert_id for _, alert_id in journal.sent[4:]]
    assert not set(resent) & set(sent_before)  # found in the journal, not sent again
    assert len(resent) == 2  # the two reports never reached before the crash
    assert sorted(a for (a,) in crash_alerts(db)) == sorted(sent_before + resent)
    assert seen_by_others(db, "SELECT COUNT(*), SUM(count) FROM reports") == [(6, 6)]
    assert seen_by_others(db, "SELECT COUNT(*) FROM outbox") == [(0,)]


def load_position_on_disk(db: str):
    rows = seen_by_others(db, "SELECT position FROM positions WHERE source='journal'")
    return rows[0][0] if rows else None


def test_a_backlog_report_read_again_after_a_committed_group_is_not_counted_twice(db):
    journal = RecordingJournal()
    writer = StateWriter.open(db)
    p = pipeline(writer, journal)
    reports = backlog(3)
    for r, pos in reports:
        p.on_report(r, pos)
    writer.end_group()
    for r, pos in reports:  # a restart that resumed too early, or a boot read again
        p.on_report(r, pos)
    writer.close()
    assert len(journal.sent) == 3
    assert seen_by_others(db, "SELECT SUM(count) FROM reports") == [(3,)]


def test_position_commits_join_an_open_group(db):
    writer = StateWriter.open(db)
    p = pipeline(writer, RecordingJournal())
    ((r, pos),) = backlog(1)
    p.on_report(r, pos)
    p.commit(("journal", Position("c-later", BOOT)))
    assert writer.grouping and load_position_on_disk(db) is None
    writer.end_group()
    assert load_position_on_disk(db) == "c-later"
    writer.close()
