"""Crash lab, plan "resets" (issue 11 scenarios 7, 8 and the not-ready half of 1).

Leg 0 (one QEMU run, crashkernel=256M): boot 1 asks the host for a QMP `system_reset` (no
crash, no shutdown); boot 2 looks at what kcrashd made of it, then `systemctl reboot`;
boot 3 looks again and powers off. Leg 1 (a second QEMU run on the same disk, without
crashkernel=): boot 4, where readiness has drifted. Boot 4 then panics (sysrq c) and boot 5
reports it: test_panic.py judges those two.
"""

from __future__ import annotations

import re
from typing import Dict

import pytest

from tests.lab import disk
from tests.lab.helpers import alert_summary, boot_ids, check_statuses, guest_json, run_ok

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.root]


@pytest.fixture(scope="module")
def resets(lab_runs):
    return lab_runs.get("resets")


@pytest.fixture(scope="module")
def boots(resets) -> Dict[int, str]:
    ids = boot_ids(resets)
    assert len(ids) == 5, ids
    return dict(enumerate(ids, 1))


def test_resets_runs_completed(resets):
    for run in resets.runs:
        assert run_ok(run) is None, run_ok(run)
    events = [e for e in resets.runs[0].events if e["event"] == "RESET"]
    reasons = [(e.get("data") or {}).get("reason") for e in events]
    # the host's system_reset, then the guest's own reboot (a rebooting kernel may request
    # the reset more than once: ACPI, keyboard controller ...)
    assert reasons[:2] == ["host-qmp-system-reset", "guest-reset"], reasons
    assert set(reasons[2:]) <= {"guest-reset"}, reasons
    assert "crashkernel=" not in resets.append[1]


def test_system_reset_gives_one_unexplained_reset(resets, boots):
    alerts = [
        a for b in (2, 3, 4) for a in resets.journal.alerts("unexplained_reset", boot=boots[b])
    ]
    assert len(alerts) == 1, alert_summary(alerts)
    a = alerts[0]
    assert a["_BOOT_ID"] == boots[2]
    assert a["KCRASHD_BOOT_ID"] == boots[1]
    # "the last message the journal kept" of boot 1
    last = resets.journal.entries(boot=boots[1])[-1]
    assert a["KCRASHD_LAST_MESSAGE"] == disk.message(last), (
        a["KCRASHD_LAST_MESSAGE"],
        disk.message(last),
    )


def test_no_crash_is_made_up(resets, boots):
    for b in (2, 3, 4):
        assert resets.journal.alerts("previous_boot_crashed", boot=boots[b]) == []
    state = resets.state()
    try:
        made_up = [i for i in state.incidents() if i["boot_id"] in (boots[1], boots[2], boots[3])]
    finally:
        state.close()
    assert made_up == []


def test_systemctl_reboot_gives_no_alert(resets, boots):
    at_boot3 = resets.journal.alerts(boot=boots[3])
    assert [a for a in at_boot3 if a["KCRASHD_TYPE"] == "unexplained_reset"] == []


def test_drift_without_crashkernel_gives_one_readiness_degraded(resets, boots):
    before = [
        a for b in (1, 2, 3) for a in resets.journal.alerts("readiness_degraded", boot=boots[b])
    ]
    assert before == [], alert_summary(before)
    degraded = resets.journal.alerts("readiness_degraded", boot=boots[4])
    assert len(degraded) == 1, alert_summary(degraded)
    a = degraded[0]
    assert a["_BOOT_ID"] == boots[4]
    text = disk.message(a) + " " + " ".join(v for k, v in a.items() if k.startswith("KCRASHD_"))
    for check in ("crashkernel_cmdline", "kdump_loaded"):
        assert check in text, text
    # boot 3 powered off cleanly: boot 4 owes no reset alert either
    assert [
        x for x in resets.journal.alerts(boot=boots[4]) if x["KCRASHD_TYPE"] == "unexplained_reset"
    ] == []


def test_not_ready_without_crashkernel(resets):
    out = resets.out(3)
    doc = guest_json(out / "check.json")
    results = check_statuses(doc)
    assert doc["exit_code"] == 2 and (out / "check.rc").read_text().strip() == "2"
    for check in ("crashkernel_cmdline", "kdump_loaded"):
        assert results[check]["status"] == "CRIT", results[check]
    # the fix for Debian: kdump-tools' GRUB snippet and a reboot
    fix = results["crashkernel_cmdline"]["fix"] or ""
    assert "crashkernel=" in fix and re.search(r"grub|kdump-tools", fix), fix
    # Debian's own tool agrees.
    status = (out / "kdump-status.txt").read_text()
    assert re.search(r"current state\s*:\s*Not ready to kdump", status), status
