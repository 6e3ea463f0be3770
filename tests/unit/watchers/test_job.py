"""A watcher job end to end on a fixture root and a real SQLite state (no journald here)."""

from __future__ import annotations

import shutil

from kcrashd.config import from_dict
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.host.runner import ReplayRunner
from kcrashd.model import Severity
from kcrashd.store.state import StateDB
from kcrashd.watchers import disks, memory
from kcrashd.watchers.job import WatcherJob, run_watcher
from tests.conftest import PROJECT, SHARED

FX = PROJECT / "tests" / "fixtures" / "watchers"


def make_ctx(tmp_path, root, runner=None, **cfg):
    config = from_dict({"watchers": {"memory": {"for_samples": 1}, **cfg}})
    shots = []

    def take(reason):
        shots.append(reason)
        return f"snap{len(shots)}"

    ctx = DaemonContext(config, Root(str(root)), runner, StateDB(str(tmp_path / "s.db")), "b1")
    ctx.take_snapshot = take
    return ctx, shots


def test_memory_raise_then_clear(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(FX / "low-memory", root)
    ctx, shots = make_ctx(tmp_path, root)
    alerts = run_watcher(memory, ctx)
    raised = {a.fields["key"]: a for a in alerts}
    assert set(raised) == {"available", "swap", "psi_some", "psi_full"}
    a = raised["available"]
    assert a.type == "memory_raised" and a.severity == Severity.CRIT
    assert a.fields["snapshot"] == "snap1" and len(shots) == 1  # one snapshot per run
    assert a.fields["top_memory"].startswith("java[4242] 6144 MiB")
    assert a.fields["threshold"] == "5" and a.fields["level"] == "CRIT"
    assert ctx.memory["watchers"]["memory"]["ok"]
    assert run_watcher(memory, ctx) == []  # still low: nothing new
    shutil.copy(FX / "healthy" / "proc" / "meminfo", root / "proc" / "meminfo")
    shutil.copy(FX / "healthy" / "proc" / "pressure" / "memory", root / "proc/pressure/memory")
    cleared = run_watcher(memory, ctx)
    assert sorted(a.fields["key"] for a in cleared) == ["available", "psi_full", "psi_some", "swap"]
    assert all(a.type == "memory_cleared" and "snapshot" not in a.fields for a in cleared)


def test_oom_kill_baseline_is_kept_per_boot(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(FX / "low-memory", root)
    ctx, _ = make_ctx(tmp_path, root)
    run_watcher(memory, ctx)
    (root / "proc" / "vmstat").write_text("oom_kill 5\n")
    ctx.memory.clear()  # a restart: the baseline comes back from the state DB
    alerts = run_watcher(memory, ctx)
    oom = [a for a in alerts if a.fields["key"] == "oom_kill"]
    assert oom and oom[0].fields["value"] == "2"


def test_disk_notes_once_and_failing_disk(tmp_path):
    root = tmp_path / "root"
    for name in ("sda", "sdb", "nvme0n1"):
        (root / "sys" / "block" / name / "device").mkdir(parents=True)
    sm = SHARED / "fixtures" / "smartctl"
    runner = ReplayRunner.from_json_files(
        {
            tuple(disks.smart.smartctl_argv("/dev/sda")): str(
                sm / "ata/FAILING-hdd-all_hitachi-hds721050dle630_usbjmicron_exit216_st7.1.json"
            ),
            tuple(disks.smart.smartctl_argv("/dev/sdb")): str(
                sm / "scsi/raid-volume-no-smart_intel-raid1_exit4_st7.0.json"
            ),
        }
    )
    ctx, shots = make_ctx(tmp_path, root, runner)
    alerts = run_watcher(disks, ctx)
    by_key = {a.fields["key"]: a for a in alerts}
    assert by_key["/dev/sda"].severity == Severity.CRIT and by_key["/dev/sda"].fields["snapshot"]
    assert by_key["/dev/sdb"].fields["level"] == "INFO"  # RAID volume: not monitorable
    assert by_key["/dev/nvme0n1"].fields["level"] == "INFO"  # no recording: open failure
    # every call asks with -n standby; the next run within the interval asks nobody
    assert sorted(c[-1] for c in runner.calls) == ["/dev/nvme0n1", "/dev/sda", "/dev/sdb"]
    assert all("standby" in c for c in runner.calls)
    n = len(runner.calls)
    assert run_watcher(disks, ctx) == [] and len(runner.calls) == n


def test_missing_smartctl_is_one_info(tmp_path):
    root = tmp_path / "root"
    (root / "sys" / "block" / "sda" / "device").mkdir(parents=True)
    ctx, _ = make_ctx(tmp_path, root, ReplayRunner({}))
    first = run_watcher(disks, ctx)
    assert [a.fields["key"] for a in first] == ["smartctl"]
    assert first[0].severity == Severity.INFO
    ctx.memory["watcher:disk"]["last"] = {}
    assert run_watcher(disks, ctx) == []  # never an error loop


def test_job_contract():
    job = WatcherJob(disks)
    cfg = from_dict({})
    assert job.name == "watcher_disk" and job.interval(cfg) == disks.JOB_MAX_INTERVAL == 10.0
    assert WatcherJob(memory).interval(from_dict({"watchers": {"memory": {"enabled": False}}})) == 0
