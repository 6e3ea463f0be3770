"""A watcher crossing a threshold on a fixture root: one raised alert in a real journald,
one cleared alert when it recovers, one snapshot on disk; a hung smartctl is killed."""

from __future__ import annotations

import os
import shutil
import stat
import time

import pytest

from kcrashd.alerts.pipeline import Pipeline
from kcrashd.alerts.types import message_id
from kcrashd.config import from_dict
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.snapshots.capture import ITEM_NAMES
from kcrashd.snapshots.taker import SnapshotTaker
from kcrashd.store import snapshots
from kcrashd.store.state import StateDB
from kcrashd.watchers import disks, memory
from kcrashd.watchers.job import run_watcher
from tests.conftest import PROJECT, journal_entries

FX = PROJECT / "tests" / "fixtures" / "watchers"
pytestmark = pytest.mark.journald


def setup(tmp_path, root, **watchers):
    config = from_dict({"watchers": {"memory": {"for_samples": 2}, **watchers}})
    state = StateDB(str(tmp_path / "state.db"))
    failed = []
    taker = SnapshotTaker(
        Root(str(root)), None, lambda: config, str(tmp_path / "state"), failed.append
    )
    ctx = DaemonContext(config, Root(str(root)), CommandRunner(), state, "boot-test")
    ctx.take_snapshot = taker.take
    taker.memory = ctx.memory
    return ctx, Pipeline(state, config, "boot-test"), failed


def send(pipeline, alerts):
    return [pipeline.on_alert(a) for a in alerts]


def test_memory_raised_cleared_and_snapshot(journald, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(FX / "low-memory", root)
    ctx, pipeline, failed = setup(tmp_path, root)
    mine = f"_PID={os.getpid()}"
    assert run_watcher(memory, ctx) == []  # for_samples 2: one low sample is not an alert
    raised = run_watcher(memory, ctx)
    avail = [a for a in raised if a.fields["key"] == "available"]
    assert len(avail) == 1
    ids = send(pipeline, raised)
    sid = avail[0].fields["snapshot"]
    assert run_watcher(memory, ctx) == []  # still low: nothing new
    shutil.copy(FX / "healthy" / "proc" / "meminfo", root / "proc" / "meminfo")
    shutil.copy(FX / "healthy" / "proc" / "pressure" / "memory", root / "proc/pressure/memory")
    assert run_watcher(memory, ctx) == []  # recovery must hold for 2 samples too
    ids += send(pipeline, run_watcher(memory, ctx))

    def mine_only(*matches):  # other tests in this process send memory alerts too
        deadline = time.monotonic() + 10
        while True:
            got = [e for e in journal_entries(*matches) if e["KCRASHD_ALERT_ID"] in ids]
            if got or time.monotonic() > deadline:
                return got
            time.sleep(0.1)

    up = mine_only(f"MESSAGE_ID={message_id('memory_raised')}", mine, "KCRASHD_KEY=available")
    assert len(up) == 1
    e = up[0]
    assert e["KCRASHD_SNAPSHOT"] == sid and e["KCRASHD_LEVEL"] == "CRIT"
    assert e["KCRASHD_WATCHER"] == "memory" and e["PRIORITY"] == "2"
    assert float(e["KCRASHD_VALUE"]) < 5 and e["KCRASHD_THRESHOLD"] == "5"
    assert "java[4242]" in e["KCRASHD_TOP_MEMORY"] and e["KCRASHD_SUMMARY"]
    down = mine_only(f"MESSAGE_ID={message_id('memory_cleared')}", mine, "KCRASHD_KEY=available")
    assert len(down) == 1 and down[0]["KCRASHD_LEVEL"] == "OK"

    snaps = snapshots.list_snapshots(str(tmp_path / "state"))
    assert [s.id for s in snaps] == [sid] and failed == []
    doc = snapshots.load_snapshot(str(tmp_path / "state"), sid)
    assert doc["reason"].startswith("memory ") and "CRIT" in doc["reason"]
    assert tuple(doc["items"]) == ITEM_NAMES
    for name, item in doc["items"].items():  # each item a value or a reason it is missing
        assert ("value" in item) != ("missing" in item), name
        assert item.get("missing", "reason") != "", name


def test_hung_smartctl_is_killed_and_reported_once(journald, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "smartctl"
    pidfile = tmp_path / "pid"
    tool.write_text(f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 300\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    root = tmp_path / "root"
    (root / "sys" / "block" / "sda" / "device").mkdir(parents=True)
    ctx, pipeline, _ = setup(tmp_path, root, disk={"smartctl_timeout_seconds": 1.0})
    ctx.runner = CommandRunner(env={"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    start = time.monotonic()
    alerts = run_watcher(disks, ctx)
    took = time.monotonic() - start
    assert 1.0 <= took < 10
    (a,) = alerts
    assert a.fields["level"] == "INFO" and "timed out after 1s and was killed" in a.summary
    pid = int(pidfile.read_text())
    assert not os.path.exists(f"/proc/{pid}"), "the hung smartctl is still running"
    send(pipeline, alerts)
    got = journal_entries(
        f"MESSAGE_ID={message_id('disk_raised')}", f"_PID={os.getpid()}", "KCRASHD_LEVEL=INFO"
    )
    assert any("timed out" in e["MESSAGE"] for e in got)
    ctx.memory["watcher:disk"]["last"] = {}  # due again: it hangs again, but no new alert
    assert run_watcher(disks, ctx) == []
