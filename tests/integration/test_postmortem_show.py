"""`kcrashd incidents show ID` as the on-call reads it, and its --json with the same facts:
a real post-mortem (fixture root, real journal files, real journald for the alert, a real
snapshot of the crashed boot) and the real CLI."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd import config as kconfig
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.postmortem.job import PostmortemJob
from kcrashd.store.state import StateDB
from tests import postmortem_roots as roots
from tests.conftest import PROJECT, require_tool

pytestmark = pytest.mark.journald


@pytest.fixture(autouse=True)
def _tools(journald):
    require_tool("journalctl")
    assert os.path.exists(roots.JOURNAL_REMOTE), "systemd-journal-remote is not installed"


def _show(tmp_path: Path, incident_id: str, *extra: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "kcrashd.yaml"
    cfg.write_text("{}\n")
    argv = [sys.executable, "-m", "kcrashd", "--config", str(cfg), "incidents", "show"]
    argv += [incident_id, "--state-dir", str(tmp_path / "state"), *extra]
    env = dict(os.environ, PYTHONPATH=str(PROJECT), TZ="UTC")
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def test_show_tells_the_whole_story_and_json_carries_the_same_facts(tmp_path):
    info = roots.panicked_with_snapshot(tmp_path)
    crash, root, snap = info["crash_time"], info["root"], info["snapshot"]
    cfg = kconfig.from_dict(
        {
            "journal": {"directory": str(tmp_path / "journal")},
            "hooks": {"directory": str(tmp_path / "no-hooks.d")},
        }
    )
    state = StateDB(str(tmp_path / "state" / "state.db"))
    ctx = DaemonContext(cfg, Root(str(root)), CommandRunner(), state, info["current"])
    PostmortemJob().run(ctx)
    ((incident_id,),) = state.conn.execute("SELECT incident_id FROM incidents").fetchall()
    (alert_id,) = ctx.memory["postmortem"]["alerts_sent"]
    state.close()

    shown = _show(tmp_path, incident_id)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    when = datetime.datetime.fromtimestamp(crash, datetime.timezone.utc)
    expected = [
        f"INCIDENT {incident_id}: BUG: unable to handle kernel NULL pointer dereference in "
        "foo_ioctl",
        "what:        page_fault - bad memory access in the kernel (NULL pointer or paging "
        "request); it ended the boot",
        f"boot:        {info['previous']}",
        "kernel:      6.1.0-18-amd64",
        "guilty:      foo_ioctl in module foo_drv",
        "fault at:    foo_ioctl+0x25/0x50 [foo_drv]",
        "task:        fooctl (pid 4242, cpu 1)",
        "O = externally-built (out-of-tree) module was loaded",
        "E = unsigned module was loaded",
        "recurrence:  first time: no other boot had this crash",
        "vmcore:      /var/crash/202403011230/dump.202403011230",
        f"snapshot:    {snap.id}, taken ",
        snap.path,
        "alerted:     previous_boot_crashed ",
        f"id {alert_id}",
        "/sys/fs/pstore/dmesg-ramoops-0",
        "dmesg record (ramoops, Panic#1, 2 parts)",
        "/var/crash/202403011230",
        "debian kdump dump: complete",
        str(tmp_path / "journal"),
        f"$ journalctl --directory {tmp_path / 'journal'} -k -b {info['previous']} -n 300",
        f"$ kcrashd snapshot --state-dir {tmp_path / 'state'} show {snap.id}",
        "$ crash /usr/lib/debug/boot/vmlinux-6.1.0-18-amd64 "
        "/var/crash/202403011230/dump.202403011230",
        "$ addr2line -j <section of foo_ioctl (objdump -t foo_drv.ko)> -e foo_drv.ko",
        "note: no debug vmlinux for 6.1.0-18-amd64 here: install it (apt install "
        "linux-image-6.1.0-18-amd64-dbg)",
        "RIP: 0010:foo_ioctl+0x25/0x50 [foo_drv]",
    ]
    missing = [e for e in expected if e not in text]
    assert not missing, text
    # the crash's time, not the scan's: from its kernel timestamps, to the second
    shown_when = re.search(r"^  when: +(\S+ \S+) UTC \(", text, re.M)
    assert shown_when, text
    at = datetime.datetime.strptime(shown_when.group(1), "%Y-%m-%d %H:%M:%S")
    assert abs(at.replace(tzinfo=datetime.timezone.utc) - when) <= datetime.timedelta(seconds=1)
    sections = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert sections[1:] == ["EVIDENCE", "NEXT STEPS", "REPORT"]

    doc = json.loads(_show(tmp_path, incident_id, "--json").stdout)
    assert doc["schema"] == 1
    facts = doc["facts"]
    assert facts["incident_id"] == incident_id and facts["boot_id"] == info["previous"]
    assert abs(facts["when"] - crash) < 1
    assert facts["ended_boot"] is True
    assert (facts["function"], facts["module"]) == ("foo_ioctl", "foo_drv")
    assert [t["letter"] for t in facts["taint"]] == ["G", "O", "E"] and facts["tainted"]
    assert facts["vmcore"]["path"] == "/var/crash/202403011230/dump.202403011230"
    assert facts["snapshot"]["id"] == snap.id and facts["snapshot"]["has_modules"]
    assert facts["recurrence"]["boots"] == 1
    assert [a["alert_id"] for a in facts["alerts"]] == [alert_id]
    assert facts["alert_owed"] == []
    # the same evidence, with the same paths, as the text
    sources = ["pstore"] * 3 + ["kdump", "journal", "snapshot"]  # dmesg, console, pmsg
    assert [e["source"] for e in facts["evidence"]] == sources
    for e in facts["evidence"]:
        assert e["path"] in text and e["detail"] in text
    assert doc["next_steps"]["commands"] == [
        line.strip()[2:] for line in text.splitlines() if line.strip().startswith("$ ")
    ]
