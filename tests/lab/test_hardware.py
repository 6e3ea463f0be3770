"""Crash lab, plan "hardware" (issue 18): real hardware signals from emulated devices.

One boot (tests/lab/hardware_plans.py): an NVMe disk whose critical-warning bits the host
sets and clears through QMP while kcrashd runs, an ATA disk, the virtio root without SMART, an
NVMe disk hot-added into a PCIe root port and removed again, and memory pressure in a cgroup
until the OOM killer acts. Times are measured from the host's QMP command (or the guest
driver's step) to the journal entry of kcrashd's alert, on one clock: the guest's monotonic
time mapped to host seconds by the driver's console lines (see `Clock`).

pmsg is not here: Debian 12's kernel has no CONFIG_PSTORE_PMSG (no /dev/pmsg0).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from kcrashd.watchers import disks as disk_watcher
from tests.lab import hardware_plans, image, plans
from tests.lab.conftest import REUSE
from tests.lab.helpers import alert_summary, guest_json, monotonic, run_ok

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.root]

SMART_INTERVAL = 60.0  # guest/kcrashd-lab-hardware.yaml: the shortest disk interval
# QMP command -> alert: the disk's SMART interval, the disk job's period, then smartctl and
# python under TCG (a few seconds each).
WARNING_LIMIT = SMART_INTERVAL + disk_watcher.JOB_MAX_INTERVAL + 20.0
# device_add/device_del -> alert: the kernel's probe (or pciehp's 5 s button delay), the disk
# job's period, one smartctl.
HOTPLUG_LIMIT = disk_watcher.JOB_MAX_INTERVAL + 30.0
# The thermal watcher's default interval (30 s) twice (for_samples 2), then python under TCG.
THERMAL_LIMIT = 2 * 30.0 + 20.0
PSI_LIMIT = 30.0  # MemoryHigh= below use -> PSI alert (avg10 climbs within seconds)
NVME_BITS = (
    "available spare below threshold",
    "temperature out of range",
    "reliability degraded",
    "media placed in read-only mode",
    "volatile memory backup failed",
)


@dataclass
class Hardware:
    result: plans.PlanResult
    actions: hardware_plans.HostActions
    say: Callable[[str], None]  # past pytest's capture: the timings are figures we report


@pytest.fixture(scope="module")
def hw(lab_image, accel, lab_runs) -> Hardware:
    if REUSE:
        workdir = image.SCRATCH / "manual-hardware"
        actions = hardware_plans.load_actions(workdir)
        yield Hardware(plans.load_result(workdir), actions, lab_runs.say)
        return
    workdir = image.SCRATCH / "pytest-hardware"
    result = hardware_plans.run_hardware(lab_image, accel, workdir, lab_runs.say)
    lab_runs.say(f"lab: plan hardware done in {result.seconds:.1f}s ({result.timings})")
    yield Hardware(result, hardware_plans.load_actions(workdir), lab_runs.say)
    if not plans.KEEP:
        shutil.rmtree(workdir, ignore_errors=True)


class Clock:
    """Guest monotonic seconds -> host seconds since QEMU started. Each driver line
    `KLAB hardware/0 <uptime> ...` is stamped by the host on arrival: the smallest
    (arrival - uptime) is the offset, late by the console's latency only."""

    def __init__(self, result: plans.PlanResult) -> None:
        offsets = []
        for t, line in result.runs[0].lines:
            m = re.search(r"KLAB hardware/\d+ (\d+\.\d+) ", line)
            if m:
                offsets.append(t - float(m.group(1)))
        assert offsets, "no guest driver lines on the console"
        self.offset = min(offsets)

    def host(self, entry: Dict[str, Any]) -> float:
        return monotonic(entry) + self.offset


@pytest.fixture(scope="module")
def clock(hw) -> Clock:
    return Clock(hw.result)


def out(hw: Hardware) -> Path:
    return hw.result.out(0)


def disk_alerts(hw: Hardware, alert_type: str, key: str) -> List[Dict[str, Any]]:
    return [e for e in hw.result.journal.alerts(alert_type) if e.get("KCRASHD_KEY") == key]


def klab_time(hw: Hardware, text: str) -> float:
    for t, line in hw.result.runs[0].lines:
        if "KLAB hardware" in line and text in line:
            return t
    raise AssertionError(f"the guest driver never said {text!r}: {hw.result.klab()}")


def test_hardware_run_completed(hw):
    (run,) = hw.result.runs
    assert run_ok(run) is None, run_ok(run)
    assert [a.error for a in hw.actions.done if a.error] == []
    assert [a.action for a in hw.actions.done] == [
        "smart_warning",
        "device_add",
        "smart_warning",
        "device_del",
    ]


# --- SMART, NVMe ---------------------------------------------------------------------------------
def test_nvme_reports_its_real_health_log(hw):
    doc = guest_json(out(hw) / "smartctl-nvme0n1.json")
    assert doc["device"]["protocol"] == "NVMe"
    assert doc["serial_number"] == hardware_plans.NVME_SERIALS["nvme0"]
    assert doc["smart_status"]["passed"] is True
    assert doc["nvme_smart_health_information_log"]["critical_warning"] == 0
    warned = guest_json(out(hw) / "smartctl-nvme0n1-warning.json")
    assert warned["nvme_smart_health_information_log"]["critical_warning"] == 0x1F
    assert warned["smart_status"]["passed"] is False


def test_nvme_critical_warning_raises_one_alert(hw, clock):
    raised = disk_alerts(hw, "disk_raised", "/dev/nvme0n1")
    assert len(raised) == 1, alert_summary(raised)
    (alert,) = raised
    assert alert["KCRASHD_LEVEL"] == "CRIT"
    assert alert["KCRASHD_SEVERITY"] == "crit"
    summary = alert["KCRASHD_SUMMARY"]
    assert "/dev/nvme0n1" in summary and "NVMe critical warning 0x1f" in summary
    for text in NVME_BITS:
        assert text in summary, summary
    qmp = hw.actions.first("smart_warning", "nvme0", "31").host_seconds
    took = clock.host(alert) - qmp
    hw.say(f"lab: hardware: nvme0 warning bits: QMP qom-set -> disk_raised {took:.1f}s")
    assert 0 < took <= WARNING_LIMIT


def test_nvme_alert_took_a_snapshot_with_every_disk(hw):
    (alert,) = disk_alerts(hw, "disk_raised", "/dev/nvme0n1")
    sid = alert["KCRASHD_SNAPSHOT"]
    snap = json.loads((hw.result.tree / f"var/lib/kcrashd/snapshots/{sid}.json").read_text())
    assert "/dev/nvme0n1" in snap["reason"]
    smart = {d["device"]: d for d in snap["items"]["smart"]["value"]}
    assert smart["/dev/nvme0n1"]["nvme"]["critical_warning"] == 0x1F
    assert smart["/dev/sda"]["protocol"] == "ATA"
    assert smart["/dev/sda"]["passed"] is True


def test_nvme_temperature_limits_come_from_the_device(hw, clock):
    """The temperature bit sets the kernel's nvme hwmon alarm; the thermal watcher names the
    limits the controller reports (WCTEMP 343 K, CCTEMP 373 K in QEMU), none of its own."""
    hwmon = [
        e
        for e in hw.result.journal.alerts("thermal_raised")
        if e.get("KCRASHD_KEY", "").startswith("hwmon/nvme/")
    ]
    assert len(hwmon) == 1, alert_summary(hwmon)
    assert "(max 69.85, crit 99.85)" in hwmon[0]["KCRASHD_SUMMARY"]
    qmp = hw.actions.first("smart_warning", "nvme0", "31").host_seconds
    took = clock.host(hwmon[0]) - qmp
    hw.say(f"lab: hardware: nvme0 temperature bit: QMP qom-set -> thermal_raised {took:.1f}s")
    assert 0 < took <= THERMAL_LIMIT
    cleared = [
        e
        for e in hw.result.journal.alerts("thermal_cleared")
        if e.get("KCRASHD_KEY") == hwmon[0]["KCRASHD_KEY"]
    ]
    assert len(cleared) == 1, alert_summary(cleared)


def test_nvme_warning_cleared(hw, clock):
    cleared = disk_alerts(hw, "disk_cleared", "/dev/nvme0n1")
    assert len(cleared) == 1, alert_summary(cleared)
    assert cleared[0]["KCRASHD_LEVEL"] == "OK"
    assert "SMART healthy" in cleared[0]["KCRASHD_SUMMARY"]
    qmp = [a for a in hw.actions.done if a.action == "smart_warning" and a.args[1] == "0"]
    took = clock.host(cleared[0]) - qmp[0].host_seconds
    hw.say(f"lab: hardware: nvme0 warning bits cleared: QMP qom-set -> disk_cleared {took:.1f}s")
    assert 0 < took <= WARNING_LIMIT


# --- hotplug -------------------------------------------------------------------------------------
def test_hot_added_disk_is_watched_from_its_first_read(hw, clock):
    raised = disk_alerts(hw, "disk_raised", "/dev/nvme1n1")
    assert len(raised) == 1, alert_summary(raised)
    assert (
        "NVMe critical warning 0x01: available spare below threshold"
        in (raised[0]["KCRASHD_SUMMARY"])
    )
    added = hw.actions.first("device_add", "nvme1").host_seconds
    took = clock.host(raised[0]) - added
    hw.say(f"lab: hardware: nvme1 hot-added: QMP device_add -> disk_raised {took:.1f}s")
    assert 0 < took <= HOTPLUG_LIMIT
    log = (out(hw) / "kcrashd-unit.log").read_text()
    assert "disk /dev/nvme1n1 appeared" in log


def test_removed_disk_clears_and_is_not_polled(hw, clock):
    events = hw.result.runs[0].events
    deleted = [e for e in events if (e.get("data") or {}).get("device") == "nvme1"]
    assert [e["event"] for e in deleted] == ["DEVICE_DELETED"]
    cleared = disk_alerts(hw, "disk_cleared", "/dev/nvme1n1")
    assert len(cleared) == 1, alert_summary(cleared)
    assert "no longer present" in cleared[0]["KCRASHD_SUMMARY"]
    gone = deleted[0]["host_seconds"]
    took = clock.host(cleared[0]) - gone
    hw.say(f"lab: hardware: nvme1 removed: QMP DEVICE_DELETED -> disk_cleared {took:.1f}s")
    assert 0 < took <= HOTPLUG_LIMIT
    assert "disk /dev/nvme1n1 was removed" in (out(hw) / "kcrashd-unit.log").read_text()
    # The guest stayed up a SMART interval past the removal: a poll of the vanished node
    # would have left a note (open failed) for it.
    assert klab_time(hw, "powering off") - gone > SMART_INTERVAL
    notes = [
        e for e in disk_alerts(hw, "disk_raised", "/dev/nvme1n1") if e["KCRASHD_LEVEL"] == "INFO"
    ]
    assert notes == []


# --- SMART, ATA and no SMART ---------------------------------------------------------------------
def test_ata_disk_answers_smart_without_notes(hw):
    doc = guest_json(out(hw) / "smartctl-sda.json")
    assert doc["device"]["protocol"] == "ATA"
    assert doc["smart_status"]["passed"] is True
    assert doc["ata_smart_attributes"]["table"], "no ATA attributes"
    assert disk_alerts(hw, "disk_raised", "/dev/sda") == []
    assert hw.result.journal.alerts("component_failed") == []


def test_virtio_disk_gives_one_info(hw):
    notes = disk_alerts(hw, "disk_raised", "/dev/vda")
    assert len(notes) == 1, alert_summary(notes)
    assert notes[0]["KCRASHD_LEVEL"] == "INFO"
    assert notes[0]["KCRASHD_SEVERITY"] == "info"
    # asked again every SMART interval: several times in this boot, still one note
    assert klab_time(hw, "powering off") - klab_time(hw, "disk watcher runs") > 2 * SMART_INTERVAL


# --- PSI -----------------------------------------------------------------------------------------
def test_memory_pressure_alerts_before_the_oom_kill(hw, clock):
    journal = hw.result.journal
    kill = [
        e
        for e in journal.entries("_TRANSPORT=kernel")
        if re.search(r"Killed process \d+ \(lab-psihog\)", e.get("MESSAGE", ""))
    ]
    assert len(kill) == 1, [e.get("MESSAGE") for e in kill]
    pressure = [
        e
        for e in journal.alerts("memory_raised")
        if e.get("KCRASHD_KEY") in ("psi_some", "psi_full")
    ]
    assert pressure, alert_summary(journal.alerts("memory_raised"))
    first = min(pressure, key=monotonic)
    assert monotonic(first) < monotonic(kill[0])
    assert first["KCRASHD_SNAPSHOT"]
    assert "lab-psihog" in first["KCRASHD_TOP_MEMORY"]
    start = klab_time(hw, "MemoryHigh=32M")
    took = clock.host(first) - start
    key = first["KCRASHD_KEY"]
    hw.say(f"lab: hardware: memory pressure: MemoryHigh=32M -> memory_raised {key} {took:.1f}s")
    assert 0 < took <= PSI_LIMIT
    show = (out(hw) / "psihog.show").read_text()
    assert "Result=oom-kill" in show
