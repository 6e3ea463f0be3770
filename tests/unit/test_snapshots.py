"""Snapshots on fixture roots and real files: items, caps, modes, retention, breadcrumb."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time

from kcrashd.config import SnapshotsConfig
from kcrashd.host.root import Root
from kcrashd.snapshots import capture, taker
from kcrashd.store import snapshots
from tests.conftest import PROJECT

FX = PROJECT / "tests" / "fixtures" / "watchers" / "low-memory"


def test_every_item_present_or_missing_with_a_reason(tmp_path):
    res = taker.take_snapshot(
        Root(str(FX)), None, SnapshotsConfig(), str(tmp_path), "test: low memory"
    )
    assert res.ok and res.error is None
    doc = snapshots.load_snapshot(str(tmp_path), res.id)
    assert tuple(doc["items"]) == capture.ITEM_NAMES
    for name, item in doc["items"].items():
        assert ("value" in item) != ("missing" in item), name
        if "missing" in item:
            assert item["missing"], name
    items = doc["items"]
    assert items["reason"]["value"] == "test: low memory"
    assert items["boot_id"]["value"] == "4f6a2c3e-8d1b-4b6f-9a47-2b8e1f0c5d21"
    assert items["processes"]["value"]["by_rss"][0]["name"] == "java"
    assert "slabinfo" in items["slabinfo_top"]["missing"]
    # a fixture root has neither a journal source nor the live /dev/kmsg
    assert items["kernel_log"]["missing"] == "no journal and no /dev/kmsg"
    assert set(res.missing) == {k for k, v in items.items() if "missing" in v}


def test_modes_and_no_temp_files_left(tmp_path):
    res = taker.take_snapshot(Root(str(FX)), None, SnapshotsConfig(), str(tmp_path), "m")
    d = snapshots.snapshot_dir(str(tmp_path))
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(res.path).st_mode) == 0o600
    assert [n for n in os.listdir(d) if n.startswith(".")] == []


def test_item_cap(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(FX, root)
    (root / "proc" / "interrupts").write_text("CPU0\n" + "  0: 12 IO-APIC timer\n" * 10000)
    cfg = SnapshotsConfig(max_item_bytes=4096)
    res = taker.take_snapshot(Root(str(root)), None, cfg, str(tmp_path / "s"), "cap")
    item = snapshots.load_snapshot(str(tmp_path / "s"), res.id)["items"]["interrupts"]
    assert item["truncated"] and len(json.dumps(item["value"])) <= 4096


def test_time_budget_marks_the_rest_missing():
    items = capture.collect(Root(str(FX)), SnapshotsConfig(), "late", deadline=time.monotonic() - 1)
    assert items == {name: {"missing": "time budget exceeded"} for name in capture.ITEM_NAMES}


def test_a_slow_snapshot_keeps_what_a_post_mortem_needs(tmp_path):
    """The lab's finding (issue 11, F): under TCG the 2 s budget ran out before
    /proc/modules. The items a post-mortem needs are read first, so when the budget runs out
    during the kernel log, the module load addresses are already in."""
    budget = 0.2
    root = tmp_path / "root"
    shutil.copytree(FX, root)
    # synthetic /proc/modules line, in the kernel's format
    modules = "bad_driver 16384 0 - Live 0xffffffffc0a1b000 (OE)\n"
    (root / "proc" / "modules").write_text(modules)

    def slow_kernel_log(n: int) -> list:
        time.sleep(budget * 2)  # the budget runs out while this item is read
        return ["oops"]

    items = capture.collect(
        Root(str(root)),
        SnapshotsConfig(),
        "slow",
        kernel_log=slow_kernel_log,
        deadline=time.monotonic() + budget,
    )
    assert items["modules"]["value"] == modules
    assert items["kernel_log"]["value"] == ["oops"]
    after = capture.ITEM_NAMES[capture.ITEM_NAMES.index("kernel_log") + 1 :]
    assert {items[name].get("missing") for name in after} == {"time budget exceeded"}


def test_retention_by_count_age_and_size(tmp_path):
    state = str(tmp_path)
    ids = []
    for i in range(6):
        r = taker.take_snapshot(
            Root(str(FX)), None, SnapshotsConfig(keep_count=100), state, f"r{i}", now=1e9 + i
        )
        ids.append(r.id)
    old = snapshots.list_snapshots(state)[0]
    os.utime(old.path, (time.time() - 40 * 86400,) * 2)
    deleted = snapshots.prune(state, SnapshotsConfig(keep_count=4, keep_days=30))
    assert len(deleted) == 2 and ids[0] in deleted
    size = snapshots.list_snapshots(state)[0].bytes
    snapshots.prune(state, SnapshotsConfig(max_total_bytes=size * 2 + 10), keep=ids[-1])
    left = [s.id for s in snapshots.list_snapshots(state)]
    assert left == ids[-2:]


def test_pmsg_breadcrumb(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(FX, root)
    (root / "dev").mkdir()
    (root / "dev" / "pmsg0").write_text("")
    res = taker.take_snapshot(Root(str(root)), None, SnapshotsConfig(), str(tmp_path), "oops x")
    line = (root / "dev" / "pmsg0").read_text()
    assert line.startswith("kcrashd 20") and line.endswith(f" snapshot {res.id} reason=oops x\n")


def test_taker_rate_limits_automatic_snapshots(tmp_path):
    from kcrashd.config import Config

    failures = []
    snapper = taker.SnapshotTaker(Root(str(FX)), None, Config, str(tmp_path), failures.append)
    snapper.kernel_log = lambda n: ["line"]
    first = snapper.take("a")
    assert first and snapper.take("b") == first  # within min_interval: the recent one
    assert len(snapshots.list_snapshots(str(tmp_path))) == 1 and failures == []


def test_taker_reserves_an_id_before_the_snapshot_exists(tmp_path):
    from kcrashd.config import Config

    failures = []
    snapper = taker.SnapshotTaker(Root(str(FX)), None, Config, str(tmp_path), failures.append)
    snapper.kernel_log = lambda n: ["line"]
    sid = snapper.reserve("oops")
    assert sid and snapshots.list_snapshots(str(tmp_path)) == []  # named, not taken yet
    assert snapper.reserve("again") == sid  # within min_interval: the same snapshot
    assert snapper.capture(sid, "oops")
    assert [s.id for s in snapshots.list_snapshots(str(tmp_path))] == [sid]
    assert snapshots.load_snapshot(str(tmp_path), sid)["reason"] == "oops"
    assert not snapper.capture(sid, "oops"), "taken once"
    assert snapper.take("job") == sid and failures == []
    assert len(snapshots.list_snapshots(str(tmp_path))) == 1


def test_cli_take_list_show(tmp_path, capsys):
    from kcrashd.cli import main

    assert main(["snapshot", "--state-dir", str(tmp_path), "--root", str(FX), "take"]) == 0
    sid = capsys.readouterr().out.split()[0]
    assert main(["snapshot", "--state-dir", str(tmp_path), "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed["snapshots"]] == [sid]
    assert main(["snapshot", "--state-dir", str(tmp_path), "show", sid, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"]["reason"]["value"] == "manual"
    assert main(["snapshot", "--state-dir", str(tmp_path), "show", "nope"]) == 1
