"""A full disk while snapshotting: the snapshot fails cleanly, the daemon keeps alerting and
reports snapshot_failed (a small tmpfs mounted for the test)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kcrashd.alerts.pipeline import Pipeline
from kcrashd.alerts.types import message_id
from kcrashd.config import SnapshotsConfig, from_dict
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.snapshots.taker import SnapshotTaker, take_snapshot
from kcrashd.store.state import StateDB
from kcrashd.watchers import memory
from kcrashd.watchers.job import run_watcher
from tests.conftest import PROJECT, journal_entries

FX = PROJECT / "tests" / "fixtures" / "watchers" / "low-memory"


@pytest.fixture
def full_tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        (mnt / "snapshots").mkdir(mode=0o700)
        filler = mnt / "filler"
        with open(
            filler, "wb", buffering=0
        ) as f:  # fill it, then free one page: less than a snapshot
            try:
                while True:
                    f.write(b"x" * 1024)
            except OSError:
                pass
        os.truncate(filler, filler.stat().st_size - 4096)
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_full_disk_fails_cleanly(full_tmpfs):
    # The live host's snapshot (tens of KiB) is partly written before the disk is full.
    res = take_snapshot(Root("/"), None, SnapshotsConfig(), str(full_tmpfs), "x")
    assert not res.ok and res.id is None, res
    assert "No space left" in res.error
    assert os.listdir(full_tmpfs / "snapshots") == []  # the partial temp file is gone


@pytest.mark.journald
def test_daemon_keeps_alerting_and_reports_snapshot_failed(journald, full_tmpfs, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(FX, root)
    config = from_dict({"watchers": {"memory": {"for_samples": 1}}})
    state = StateDB(str(tmp_path / "state.db"))
    pipeline = Pipeline(state, config, "boot-full")
    failed = []
    taker = SnapshotTaker(Root(str(root)), None, lambda: config, str(full_tmpfs), failed.append)
    ctx = DaemonContext(config, Root(str(root)), None, state, "boot-full", taker.take)
    alerts = run_watcher(memory, ctx)
    assert alerts and all("snapshot" not in a.fields for a in alerts)
    (fail,) = failed
    assert fail.type == "snapshot_failed" and "No space left" in fail.fields["error"]
    ids = [pipeline.on_alert(a) for a in alerts + failed]
    mine = f"_PID={os.getpid()}"
    got = journal_entries(f"MESSAGE_ID={message_id('snapshot_failed')}", mine)
    assert any(e["KCRASHD_ALERT_ID"] == ids[-1] for e in got)
    up = journal_entries(
        f"MESSAGE_ID={message_id('memory_raised')}", mine, f"KCRASHD_ALERT_ID={ids[0]}"
    )
    assert len(up) == 1
