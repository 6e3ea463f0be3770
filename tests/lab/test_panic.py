"""Crash lab (issue 11 scenario 5): a panic without an oops (`echo c > /proc/sysrq-trigger`).

- the end of plan "resets" (boots 4 and 5, without crashkernel=, so without kdump):
  ramoops, loaded only after systemd-pstore.service was skipped, so the records stay in
  /sys/fs/pstore, raw;
- plan "efi": OVMF and EFI pstore (one record split into parts of ~1.8 KB, archived by
  systemd-pstore under /var/lib/systemd/pstore/<id>/), with kdump.
Either way: one incident for the crashed boot, its parts reassembled.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest

from tests.lab import disk
from tests.lab.helpers import alert_summary, boot_ids, guest_json, run_ok

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.root]

SYSRQ_PANIC = "Kernel panic - not syncing: sysrq triggered crash"


@pytest.fixture(scope="module")
def raw(lab_runs):
    return lab_runs.get("resets")


@pytest.fixture(scope="module")
def efi(lab_runs):
    return lab_runs.get("efi")


def _incidents(result) -> List[Dict[str, Any]]:
    state = result.state()
    try:
        return state.incidents()
    finally:
        state.close()


def _one_crash_alert(result, crashed: str, report: str) -> Dict[str, Any]:
    alerts = result.journal.alerts("previous_boot_crashed")
    assert len(alerts) == 1, alert_summary(alerts)
    a = alerts[0]
    assert a["_BOOT_ID"] == report
    got = {k: a.get(f"KCRASHD_{k.upper()}") for k in ("boot_id", "kind", "function", "ended_boot")}
    assert got == {
        "boot_id": crashed,
        "kind": "panic",
        "function": "sysrq_handle_crash",
        "ended_boot": "yes",
    }, disk.message(a)
    assert result.journal.alerts("unexplained_reset", boot=report) == []
    return a


# --- ramoops, records left in /sys/fs/pstore ---------------------------------------------------


def test_raw_panic_happened(raw):
    run = raw.runs[1]
    assert run_ok(run) is None, run_ok(run)
    assert SYSRQ_PANIC in "\n".join(line for _, line in run.lines)
    env = (raw.out(3) / "boot.env").read_text()
    assert "kexec_crash_loaded=0" in env, env  # no crashkernel=, no kdump


def test_raw_records_stayed_in_sys_fs_pstore(raw):
    listing = (raw.out(4) / "ls-evidence.txt").read_text()
    assert re.search(r"/sys/fs/pstore:\n(?:.*\n)*?.*dmesg-ramoops-0", listing), listing
    show = (raw.out(4) / "systemd-pstore.show").read_text()
    assert "ConditionResult=no" in show, show  # skipped: /sys/fs/pstore was still empty
    assert not any((raw.tree / "var/lib/systemd/pstore").glob("**/dmesg-*"))


def test_raw_one_incident_from_sys_fs_pstore(raw):
    ids = boot_ids(raw)
    assert len(ids) == 5, ids
    crashed, report = ids[3], ids[4]
    _one_crash_alert(raw, crashed, report)
    state = raw.state()
    try:
        incidents = state.incidents()
    finally:
        state.close()
    assert len(incidents) == 1, [(i["boot_id"], i["kind"]) for i in incidents]
    inc = incidents[0]
    assert inc["boot_id"] == crashed and inc["kind"] == "panic"
    pstore = [e for e in inc["evidence"] if e["source"] == "pstore"]
    assert pstore and all(e["path"].startswith("/sys/fs/pstore/") for e in pstore), pstore
    assert any("Panic" in e["detail"] for e in pstore), pstore


# --- EFI pstore --------------------------------------------------------------------------------
def test_efi_run_completed(efi):
    (run,) = efi.runs
    assert run_ok(run) is None, run_ok(run)
    env = (efi.out(0) / "boot.env").read_text()
    assert "pstore_backend=efi" in env and "kexec_crash_loaded=1" in env, env
    assert SYSRQ_PANIC in efi.serial()


def _efi_parts(efi) -> List[str]:
    archive = efi.tree / "var/lib/systemd/pstore"
    return sorted(p.name for p in archive.glob("*/dmesg-efi-*"))


def test_efi_records_archived_in_parts(efi):
    parts = _efi_parts(efi)
    assert len(parts) >= 2, parts  # one Panic record, split by the EFI variable size


def test_efi_one_incident_with_the_parts_reassembled(efi):
    ids = boot_ids(efi)
    assert len(ids) == 3, ids  # crashed, kdump capture, report
    crashed, _, report = ids
    _one_crash_alert(efi, crashed, report)
    incidents = _incidents(efi)
    assert len(incidents) == 1, [(i["boot_id"], i["kind"], i["evidence"]) for i in incidents]
    inc = incidents[0]
    assert inc["boot_id"] == crashed and inc["kind"] == "panic"
    pstore = [e for e in inc["evidence"] if e["source"] == "pstore"]
    assert len(pstore) == 1, pstore  # one record, not one evidence per part
    assert f"{len(_efi_parts(efi))} parts" in pstore[0]["detail"], pstore[0]
    assert "kdump" in [e["source"] for e in inc["evidence"]], inc["evidence"]


def test_efi_incident_show_in_the_guest(efi):
    shows = list(efi.out(1).glob("incident-*.json"))
    assert len(shows) == 1, shows
    facts = guest_json(shows[0])["facts"]
    assert facts["kind"] == "panic" and facts["ended_boot"] is True
