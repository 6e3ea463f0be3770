"""The crashed boot's last snapshot, found in the snapshot store by its boot id, and its
/proc/modules used for the module offset in `kcrashd incidents show` (real snapshots taken
with take_snapshot into a temp state dir, real journal files, the real CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kcrashd import config as kconfig
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.postmortem.collect import run_postmortem
from kcrashd.snapshots.taker import take_snapshot
from kcrashd.store import incidents
from kcrashd.store.snapshots import load_snapshot
from kcrashd.store.state import StateDB
from tests import postmortem_roots as roots
from tests.conftest import PROJECT, require_tool

CRASH = PROJECT / "tests/fixtures/postmortem/crash_foo_drv_addresses.txt"
LOAD = 0xFFFFFFFFA0352000  # foo_drv's load address in that boot; the fault is at +0x35
PROC_MODULES = (
    "foo_drv 16384 0 - Live 0x{:016x} (OE)\n"
    "nf_conntrack 98304 1 - Live 0xffffffffa0330000\n"
    "ext4 507904 1 - Live 0xffffffffa0140000\n"
)


@pytest.fixture(autouse=True)
def _tools():
    require_tool("journalctl")
    assert os.path.exists(roots.JOURNAL_REMOTE), "systemd-journal-remote is not installed"


def _host(path: Path, boot_id: str, load: int) -> Root:
    """A root as the snapshot reads it: /proc of a boot with that id and modules."""
    dashed = str(uuid.UUID(hex=boot_id))  # /proc shows the boot id with dashes
    roots._write(path / "proc/sys/kernel/random/boot_id", dashed + "\n")
    roots._write(path / "proc/modules", PROC_MODULES.format(load))
    roots._write(path / "proc/meminfo", "MemTotal:        2030148 kB\n")
    return Root(str(path))


def _snapshot(host: Root, state_dir: Path, reason: str, when: float) -> str:
    cfg = kconfig.Config().snapshots
    res = take_snapshot(host, CommandRunner(), cfg, str(state_dir), reason, now=when)
    assert res.ok, res.error
    os.utime(res.path, (when, when))
    return res.id


def test_last_snapshot_of_the_crashed_boot_and_its_modules(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "reset")
    crash = info["crash_time"]
    state_dir = tmp_path / "state"
    prev_host = _host(tmp_path / "prev-host", info["previous"], LOAD)
    older = _snapshot(prev_host, state_dir, "disk_raised: sda reallocated", crash - 3000)
    last = _snapshot(prev_host, state_dir, "memory_raised: MemAvailable 2%", crash - 90)
    # a snapshot of the running boot (other load addresses) is newer than both
    cur_host = _host(tmp_path / "cur-host", info["current"], LOAD + 0x100000)
    newest = _snapshot(cur_host, state_dir, "manual", info["cur_start"] + 60)
    assert older < last < newest
    doc = load_snapshot(str(state_dir), last)
    assert doc["items"]["modules"]["value"] == PROC_MODULES.format(LOAD)

    root = tmp_path / "root"
    dump = roots.debian_dump(root, crash, dmesg=False)
    roots._write(dump / "dmesg.202403011230", CRASH.read_text(), crash + 60)
    cfg = kconfig.from_dict({"journal": {"directory": str(tmp_path / "journal")}})
    state = StateDB(str(state_dir / "state.db"))
    out = run_postmortem(
        Root(str(root)), cfg, state, info["current"], journal_dir=str(tmp_path / "journal")
    )
    ((incident_id, _),) = out.incidents
    inc = incidents.get_incident(state, incident_id)
    state.close()
    assert inc.boot_id == info["previous"]
    assert inc.snapshot_id == last  # the crashed boot's newest, not the newest overall
    (ev,) = [e for e in inc.evidence if e.source == "snapshot"]
    assert ev.path == str(state_dir / "snapshots" / f"{last}.json")
    assert "memory_raised" in ev.detail

    cfg_file = tmp_path / "kcrashd.yaml"
    cfg_file.write_text("{}\n")
    shown = subprocess.run(
        [sys.executable, "-m", "kcrashd", "--config", str(cfg_file), "incidents", "show"]
        + [incident_id, "--state-dir", str(state_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=str(PROJECT)),
    )
    assert shown.returncode == 0, shown.stderr
    steps = json.loads(shown.stdout)["next_steps"]
    assert steps["module_offset"] == "0x35"  # 0xffffffffa0352035 - foo_drv's load address
    assert any("/proc/modules of the crashed boot" in n for n in steps["notes"])
    assert "addr2line -e foo_drv.ko -f -i 0x35" in steps["commands"]
