"""smartctl JSON parsing and exit bits against recorded outputs of real disks."""

from __future__ import annotations

import json
import os
import stat

import pytest

from kcrashd.host import smart
from kcrashd.host.runner import CommandRunner, ReplayRunner
from tests.conftest import SHARED

SM = SHARED / "fixtures" / "smartctl"


def load(rel: str) -> smart.SmartReport:
    return smart.parse_smart((SM / rel).read_text())


def test_exit_bits():
    assert smart.decode_exit_status(216) == [3, 4, 6, 7]
    assert smart.decode_exit_status(0) == []
    assert smart.decode_exit_status(2) == [1]


def test_argv_never_wakes_a_sleeping_disk():
    argv = smart.smartctl_argv("/dev/sda", "sat+megaraid,1")
    assert argv[:5] == ["smartctl", "--json", "-a", "-n", "standby"]
    assert argv[-3:] == ["-d", "sat+megaraid,1", "/dev/sda"]


@pytest.mark.parametrize(
    "rel, protocol, passed, capable",
    [
        (
            "ata/FAILING-hdd-all_hitachi-hds721050dle630_usbjmicron_exit216_st7.1.json",
            "ATA",
            False,
            True,
        ),
        ("ata/healthy-sata-hdd-all_wdc-wd140edfz_st7.0.json", "ATA", True, True),
        (
            "nvme/FAILING-critwarn0x10-nvme_samsung-mzwll3t2hajq_exit8_st7.3.json",
            "NVMe",
            False,
            True,
        ),
        ("scsi/healthy-sas-hdd-ja_seagate-st1200mm0088_st6.7dev.json", "SCSI", True, True),
        ("scsi/raid-volume-no-smart_intel-raid1_exit4_st7.0.json", "SCSI", None, False),
    ],
)
def test_parse_table(rel, protocol, passed, capable):
    r = load(rel)
    assert (r.protocol, r.passed, r.smart_capable) == (protocol, passed, capable)


def test_failing_ata_details():
    r = load("ata/FAILING-hdd-all_hitachi-hds721050dle630_usbjmicron_exit216_st7.1.json")
    assert r.ata[5].raw == 1975 and r.ata[5].when_failed == "now"
    assert r.ata[197].raw == 8 and r.ata_error_count == 56


def test_packed_raw_uses_the_leading_integer_of_the_raw_string():
    r = load("ata/healthy-hdd-packed-raw188_seagate-st16000nm001g_st7.1.json")
    raw = json.loads(
        (SM / "ata/healthy-hdd-packed-raw188_seagate-st16000nm001g_st7.1.json").read_text()
    )
    attr188 = next(a for a in raw["ata_smart_attributes"]["table"] if a["id"] == 188)
    assert r.ata[188].raw == int(attr188["raw"]["string"].split()[0])


def test_nvme_and_scsi_counters():
    assert load("nvme/media-errors7-nvme-xall_samsung-970evo_st7.0.json").nvme["media_errors"] == 7
    scsi = load("scsi/grown-defects260-uncorrected-spi-hdd_seagate-st373453lc_st7.4.json")
    assert scsi.scsi_grown_defects == 260 and scsi.scsi_uncorrected > 0


def test_open_failure_is_a_problem_not_a_report():
    runner = ReplayRunner.from_json_files(
        {
            tuple(smart.smartctl_argv("/dev/sda")): str(
                SM / "errors/open-failed_exit2_st7.0-win.json"
            )
        }
    )
    read = smart.read_smart(runner, "/dev/sda", 5)
    assert read.problem and "open" in read.problem.lower()


def test_missing_smartctl():
    read = smart.read_smart(ReplayRunner({}), "/dev/sda", 5)
    assert read.missing_tool and read.report is None


def test_garbage_output_is_a_clear_problem():
    runner = ReplayRunner({tuple(smart.smartctl_argv("/dev/sdz")): (1, "not json", "boom")})
    read = smart.read_smart(runner, "/dev/sdz", 5)
    assert read.report is None and "not JSON" in read.problem


def test_standby_is_recognised(tmp_path):
    out = json.dumps(
        {
            "smartctl": {
                "exit_status": 2,
                "messages": [{"string": "Device is in STANDBY mode, exit(2)", "severity": "info"}],
            },
            "device": {"name": "/dev/sdb", "protocol": "ATA"},
        }
    )
    r = smart.parse_smart(out)
    assert r.standby and not r.open_failed


def test_hung_smartctl_is_killed_at_its_timeout(tmp_path):
    tool = tmp_path / "smartctl"
    tool.write_text("#!/bin/sh\nsleep 30\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    runner = CommandRunner(env={"PATH": f"{tmp_path}:{os.environ['PATH']}"})
    read = smart.read_smart(runner, "/dev/sda", 0.5)
    assert read.report is None and "timed out after 0.5s and was killed" in read.problem
