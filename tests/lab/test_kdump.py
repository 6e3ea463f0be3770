"""Crash lab, plan "kdump" (issue 11 scenario 4): the bad_driver oops with Debian's
panic_on_oops=1 (what `kdump-config load` sets). Oops, panic, the kdump capture boot saves
the vmcore and reboots, and the next boot's kcrashd files ONE incident for the crashed boot.

Boots in the guest's journal: A (crashed; the oops never reaches its journal), the capture
boot (elfcorehdr= on its command line, systemd.unit=kdump-tools-dump.service) and C (the
report boot). The disk is also copied as the capture kernel left it (QEMU paused at that
reboot), so `kcrashd postmortem --root` on the host sees a disk whose last boot is the
capture boot, as an admin pulling the disk of a dead host would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.lab import disk
from tests.lab.helpers import alert_summary, guest_json, host_kcrashd, run_ok

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.root]


@pytest.fixture(scope="module")
def kd(lab_runs):
    return lab_runs.get("kdump")


@pytest.fixture(scope="module")
def boots(kd) -> Dict[str, str]:
    """crashed, capture and report boot ids (journal style)."""
    ids = [b.boot_id for b in sorted(kd.journal.boots(), key=lambda b: b.first)]
    assert len(ids) == 3, f"expected crashed, capture and report boots, got {ids}"
    return {"crashed": ids[0], "capture": ids[1], "report": ids[2]}


def test_kdump_run_completed(kd):
    (run,) = kd.runs
    assert run_ok(run) is None, run_ok(run)
    assert sorted(kd.reboot_trees) == [1], "the capture kernel's reboot was not caught"
    assert any("powering off" in line for line in kd.klab()), "\n".join(kd.klab())


def test_the_oops_panicked_into_kdump(kd):
    env = (kd.out(0) / "boot.env").read_text()
    assert "panic_on_oops=1" in env and "kexec_crash_loaded=1" in env, env
    serial = kd.serial()
    assert "BUG: kernel NULL pointer dereference" in serial
    assert "Kernel panic - not syncing: Fatal exception" in serial
    assert re.search(r"kdump-tools.*saved vmcore in /var/crash/\d+", serial)


def test_capture_boot_is_the_kdump_kernel(kd, boots):
    text = kd.journal.kernel_text(boots["capture"])
    assert "elfcorehdr=" in text and "systemd.unit=kdump-tools-dump.service" in text
    # kcrashd does not run in the capture kernel, nor does anything alert there.
    assert kd.journal.alerts(boot=boots["capture"]) == []


def _dump_dir(tree: Path) -> Path:
    dirs = [d for d in (tree / "var/crash").iterdir() if d.is_dir() and d.name.isdigit()]
    assert len(dirs) == 1, f"/var/crash: {sorted(p.name for p in (tree / 'var/crash').iterdir())}"
    return dirs[0]


def test_evidence_on_the_disk(kd):
    d = _dump_dir(kd.tree)
    stamp = d.name
    assert (d / f"dump.{stamp}").stat().st_size > 1 << 20
    dmesg = (d / f"dmesg.{stamp}").read_text(errors="replace")
    assert "BUG: kernel NULL pointer dereference" in dmesg
    assert "Kernel panic - not syncing: Fatal exception" in dmesg
    archived = kd.tree / "var/lib/systemd/pstore"
    heads = {
        p.name: p.read_text(errors="replace").splitlines()[0] for p in archived.glob("dmesg-*")
    }
    assert any(h.startswith("Oops#1") for h in heads.values()), heads
    assert any(h.startswith("Panic#2") for h in heads.values()), heads


def test_one_previous_boot_crashed_alert_for_the_crashed_boot(kd, boots):
    everything = kd.journal.alerts()
    crashed = [a for a in everything if a["KCRASHD_TYPE"] == "previous_boot_crashed"]
    assert len(crashed) == 1, alert_summary(crashed)
    a = crashed[0]
    assert a["_BOOT_ID"] == boots["report"]
    got = {
        k: a.get(f"KCRASHD_{k.upper()}")
        for k in ("boot_id", "kind", "function", "module", "ended_boot", "recurrence")
    }
    assert got == {
        "boot_id": boots["crashed"],
        "kind": "page_fault",
        "function": "faulty_driver_func",
        "module": "bad_driver",
        "ended_boot": "yes",
        "recurrence": "1",
    }, disk.message(a)
    assert a["KCRASHD_RECURRENCE_TEXT"] == "1st time this crash in 30 days"
    assert {"kdump", "pstore"} <= set(a["KCRASHD_SOURCES"].split(", ")), a["KCRASHD_SOURCES"]


def test_capture_boot_is_never_an_unclean_reset(kd):
    assert kd.journal.alerts("unexplained_reset") == []


def _incidents(state: disk.StateDB) -> List[Dict[str, Any]]:
    try:
        return state.incidents()
    finally:
        state.close()


def _check_incident(incidents: List[Dict[str, Any]], boots: Dict[str, str], archived: bool):
    assert len(incidents) == 1, [(i["boot_id"], i["kind"], i["evidence"]) for i in incidents]
    inc = incidents[0]
    assert inc["boot_id"] == boots["crashed"]
    assert inc["kind"] == "page_fault"
    assert inc["report"]["function"] == "faulty_driver_func"
    sources = [e["source"] for e in inc["evidence"]]
    assert "kdump" in sources, inc["evidence"]
    kdump = next(e for e in inc["evidence"] if e["source"] == "kdump")
    assert "complete" in kdump["detail"], kdump
    assert inc["vmcore"] and re.search(r"/var/crash/\d+/dump\.\d+$", inc["vmcore"]), inc["vmcore"]
    if archived:  # the ramoops records exist only from the report boot on
        details = " | ".join(e["detail"] for e in inc["evidence"] if e["source"] == "pstore")
        assert "Oops" in details and "Panic" in details, details
    return inc


def test_one_incident_on_the_crashed_boot(kd, boots):
    inc = _check_incident(_incidents(kd.state()), boots, archived=True)
    # dated when the boot crashed (between its last journal entry and the capture boot),
    # not when the capture kernel wrote its directory or systemd-pstore archived a record
    spans = {b.boot_id: b for b in kd.journal.boots()}
    crashed, capture = spans[boots["crashed"]], spans[boots["capture"]]
    assert crashed.last <= inc["first_seen"] <= capture.first, (
        inc["first_seen"],
        crashed.last,
        capture.first,
    )
    # the crashed boot's journal: it has lines (the boot up to the oops), so it is evidence;
    # the capture boot's is not
    journal = [e["detail"] for e in inc["evidence"] if e["source"] == "journal"]
    assert any(boots["crashed"] in d for d in journal), inc["evidence"]
    assert not any(boots["capture"] in d for d in journal), inc["evidence"]


def test_incident_show_in_the_guest(kd, boots):
    shows = list(kd.out(1).glob("incident-*.json"))
    assert len(shows) == 1, shows
    facts = guest_json(shows[0])["facts"]
    assert facts["boot_id"] == boots["crashed"]
    assert facts["ended_boot"] is True
    assert facts["panicked"] is True
    assert facts["recurrence"]["text"] == "first time: no other boot had this crash"


def _host_postmortem(tree: Path, state_dir: Path, *extra: str) -> Dict[str, Any]:
    r = host_kcrashd(
        "postmortem",
        "--root",
        str(tree),
        "--journal-dir",
        str(tree / "var/log/journal"),
        "--state-dir",
        str(state_dir),
        "--json",
        "--no-alerts",
        *extra,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_host_postmortem_of_the_disk_after_the_capture_boot(kd, boots, tmp_path):
    """The disk as the kdump kernel left it: its last boot is the capture boot."""
    out = _host_postmortem(kd.reboot_trees[1], tmp_path)
    assert out["previous_boot"] == boots["crashed"], out
    assert len(out["incidents"]) == 1, out
    _check_incident(_incidents(disk.StateDB(tmp_path / "state.db")), boots, archived=False)


def test_host_postmortem_of_the_final_disk(kd, boots, tmp_path):
    out = _host_postmortem(kd.tree, tmp_path, "--current-boot", boots["report"])
    assert out["previous_boot"] == boots["crashed"], out
    assert len(out["incidents"]) == 1, out
    _check_incident(_incidents(disk.StateDB(tmp_path / "state.db")), boots, archived=True)
