"""The disk watcher replaying what the crash lab's emulated disks really reported
(tests/fixtures/smartctl/lab: QEMU 7.2 NVMe, AHCI ide-hd and virtio-blk under a Debian 12
guest, smartmontools 7.3), and the device's own temperature limits."""

from __future__ import annotations

import dataclasses

import pytest

from kcrashd.host import smart
from kcrashd.host.runner import ReplayRunner
from kcrashd.model import Level, Severity
from kcrashd.watchers import disks
from kcrashd.watchers.job import run_watcher
from tests.conftest import PROJECT, SHARED
from tests.unit.watchers.test_job import make_ctx

LAB = PROJECT / "tests" / "fixtures" / "smartctl" / "lab"
W = disks  # the watcher under test
HEALTHY_NVME = LAB / "qemu-nvme-healthy_st7.3.json"
WARNED_NVME = LAB / "qemu-nvme-critwarn0x1f_exit8_st7.3.json"
FIVE_BITS = (
    "available spare below threshold",
    "temperature out of range (50°C)",
    "reliability degraded",
    "media placed in read-only mode",
    "volatile memory backup failed",
)


def report(path) -> smart.SmartReport:
    return smart.parse_smart(path.read_text())


def judge(rep: smart.SmartReport):
    from kcrashd.config import Config

    (sig,) = disks.evaluate(disks.Sample({rep.device: rep}), Config().watchers.disk)
    return sig


def test_healthy_qemu_nvme_is_healthy_although_spare_equals_its_threshold():
    rep = report(HEALTHY_NVME)
    assert rep.nvme["available_spare"] == 0 == rep.nvme["available_spare_threshold"]
    sig = judge(rep)
    assert sig.level == Level.OK, sig.message


def test_critical_warning_bits_are_named_with_the_temperature():
    sig = judge(report(WARNED_NVME))
    assert sig.level == Level.CRIT
    assert "NVMe critical warning 0x1f" in sig.message
    for text in FIVE_BITS:
        assert text in sig.message, sig.message


@pytest.mark.parametrize(
    "name, protocol, capable",
    [
        ("qemu-ata-ide-hd-healthy_st7.3.json", "ATA", True),
        ("qemu-nvme-hotplugged-critwarn0x01_exit8_st7.3.json", "NVMe", True),
        ("qemu-virtio-no-smart_exit1_st7.3.json", None, False),
    ],
)
def test_lab_disks_parse(name, protocol, capable):
    rep = report(LAB / name)
    assert rep.protocol == protocol and rep.smart_capable is capable


def _lab_runner() -> ReplayRunner:
    return ReplayRunner.from_json_files(
        {
            tuple(smart.smartctl_argv("/dev/nvme0n1")): str(HEALTHY_NVME),
            tuple(smart.smartctl_argv("/dev/sda")): str(LAB / "qemu-ata-ide-hd-healthy_st7.3.json"),
            tuple(smart.smartctl_argv("/dev/vda")): str(
                LAB / "qemu-virtio-no-smart_exit1_st7.3.json"
            ),
        }
    )


def test_lab_sequence_raise_then_clear(tmp_path):
    """The lab's boot replayed: healthy, warning bits set, cleared again."""
    root = tmp_path / "root"
    for name in ("nvme0n1", "sda", "vda"):
        (root / "sys" / "block" / name / "device").mkdir(parents=True)
    runner = _lab_runner()
    ctx, shots = make_ctx(tmp_path, root, runner)
    first = run_watcher(W, ctx)
    # only the virtio disk's one note: the ATA disk and the healthy NVMe raise nothing
    assert [(a.fields["key"], a.fields["level"]) for a in first] == [("/dev/vda", "INFO")]
    nvme_argv = tuple(smart.smartctl_argv("/dev/nvme0n1"))

    def next_interval(path) -> list:
        runner.recordings[nvme_argv] = (0, path.read_text())  # status comes from the JSON
        ctx.memory["watcher:disk"]["last"] = {}  # the SMART interval has passed
        return run_watcher(W, ctx)

    (raised,) = next_interval(WARNED_NVME)
    assert raised.type == "disk_raised" and raised.severity == Severity.CRIT
    assert raised.fields["key"] == "/dev/nvme0n1" and raised.fields["snapshot"] == "snap1"
    assert "QEMU NVMe Ctrl" in raised.fields["summary"]
    for text in FIVE_BITS:
        assert text in raised.fields["summary"]
    assert next_interval(WARNED_NVME) == []  # still set: nothing new
    (cleared,) = next_interval(HEALTHY_NVME)
    assert cleared.type == "disk_cleared" and cleared.fields["level"] == "OK"
    assert len(shots) == 1


@pytest.mark.parametrize(
    "temp, warn, crit, expected",
    [
        (36, 70, None, Level.OK),
        (70, 70, None, Level.WARN),
        (75, 70, 80, Level.WARN),
        (80, 70, 80, Level.CRIT),
        (99, None, None, Level.OK),  # no limits from the device: none of our own
    ],
)
def test_temperature_against_the_device_limits(temp, warn, crit, expected):
    rep = dataclasses.replace(
        report(HEALTHY_NVME),
        temperature=temp,
        temperature_warn_limit=warn,
        temperature_crit_limit=crit,
    )
    sig = judge(rep)
    assert sig.level == expected, sig.message
    if expected != Level.OK:
        assert f"temperature {temp}°C at the device's" in sig.message


def test_temperature_limits_are_read_from_the_device():
    ata = smart.parse_smart(
        (
            SHARED / "fixtures/smartctl/ata/healthy-sata-ssd-xall_samsung-860evo_st7.0.json"
        ).read_text()
    )
    assert (ata.temperature, ata.temperature_warn_limit, ata.temperature_crit_limit) == (36, 70, 70)
    sas = smart.parse_smart(
        (
            SHARED / "fixtures/smartctl/scsi/healthy-sas-hdd_hitachi-h109060sesun600g_st7.3.json"
        ).read_text()
    )
    assert sas.temperature_crit_limit == 85 and sas.temperature_warn_limit is None
    raid = smart.parse_smart(
        (
            SHARED / "fixtures/smartctl/scsi/raid-volume-no-smart_intel-raid1_exit4_st7.0.json"
        ).read_text()
    )
    assert raid.temperature_crit_limit is None  # drive_trip 0: the volume does not say
    assert report(HEALTHY_NVME).temperature_warn_limit is None  # smartctl 7.3: no WCTEMP
