"""evaluate() tables: pure judgements of samples against the configured thresholds."""

from __future__ import annotations

import pytest

from kcrashd.config import Config
from kcrashd.host import edac as edac_host
from kcrashd.host import smart
from kcrashd.host.fds import FileNr
from kcrashd.host.hwmon import Sensor
from kcrashd.host.meminfo import Memory
from kcrashd.host.procs import ProcInfo
from kcrashd.host.thermal import CoolingDevice, Trip, Zone
from kcrashd.model import Level
from kcrashd.watchers import disks, edac, fd, kernel_counters, memory, thermal
from kcrashd.watchers.levels import grade
from tests.conftest import SHARED

W = Config().watchers
SM = SHARED / "fixtures" / "smartctl"


@pytest.mark.parametrize(
    "value, current, expected",
    [
        (50, Level.OK, Level.OK),
        (80, Level.OK, Level.WARN),
        (79, Level.WARN, Level.WARN),  # hysteresis keeps it raised
        (77.9, Level.WARN, Level.OK),
        (95, Level.OK, Level.CRIT),
        (94, Level.CRIT, Level.CRIT),
        (92, Level.CRIT, Level.WARN),
        (94, Level.WARN, Level.WARN),  # a WARN does not get CRIT's hysteresis
    ],
)
def test_grade_higher_is_worse(value, current, expected):
    assert grade(value, 80, 95, current, 2.0)[0] == expected


@pytest.mark.parametrize(
    "value, current, expected",
    [
        (20, Level.OK, Level.OK),
        (9.9, Level.OK, Level.WARN),
        (11, Level.WARN, Level.WARN),
        (12.1, Level.WARN, Level.OK),
        (4, Level.OK, Level.CRIT),
        (6.5, Level.CRIT, Level.CRIT),
    ],
)
def test_grade_lower_is_worse(value, current, expected):
    assert grade(value, 10, 5, current, 2.0, higher_is_worse=False)[0] == expected


def mem(avail_pct, swap_used_pct=None):
    total = 1_000_000
    swap_total = 0 if swap_used_pct is None else 100_000
    swap_free = 0 if swap_used_pct is None else int(100_000 * (1 - swap_used_pct / 100))
    return Memory(total, int(total * avail_pct / 100), False, swap_total, swap_free)


def levels(signals):
    return {s.key: s.level for s in signals}


@pytest.mark.parametrize(
    "sample, expected",
    [
        (memory.Sample(mem(50), None), {"available": Level.OK, "oom_kill": Level.OK}),
        (memory.Sample(mem(8), None), {"available": Level.WARN, "oom_kill": Level.OK}),
        (memory.Sample(mem(3, 96), None), {"available": Level.CRIT, "swap": Level.CRIT}),
        (memory.Sample(mem(50, 85), None), {"swap": Level.WARN}),
        (memory.Sample(mem(50), None, oom_kills=2), {"oom_kill": Level.WARN}),
        (
            memory.Sample(mem(50), {"some": {"avg10": 25.0, "avg60": 3}, "full": {"avg10": 1}}),
            {"psi_some": Level.WARN, "psi_full": Level.OK},
        ),
        (
            memory.Sample(mem(50), {"some": {"avg10": 1}, "full": {"avg10": 2, "avg60": 15.0}}),
            {"psi_full": Level.CRIT},
        ),
    ],
)
def test_memory_table(sample, expected):
    got = levels(memory.evaluate(sample, W.memory))
    assert {k: got[k] for k in expected} == expected
    if sample.memory.swap_used_percent is None:
        assert "swap" not in got  # no swap: no division, no signal


def test_memory_hysteresis_keeps_a_raised_level():
    assert levels(memory.evaluate(memory.Sample(mem(11), None), W.memory))["available"] == Level.OK
    raised = {"available": Level.WARN}
    got = memory.evaluate(memory.Sample(mem(11), None), W.memory, raised)
    assert levels(got)["available"] == Level.WARN


def proc(pid, fds, limit, name="app"):
    return ProcInfo(pid, name, 1000, 1.0, fds, limit)


@pytest.mark.parametrize(
    "nr, processes, expected",
    [
        (FileNr(100, 1000), (), {"system": Level.OK}),
        (FileNr(850, 1000), (), {"system": Level.WARN}),
        (FileNr(990, 1000), (), {"system": Level.CRIT}),
        (FileNr(10, 9223372036854775807), (), {"system": Level.OK}),
        (
            FileNr(10, 1000),
            (proc(7, 1000, 1024, "nginx"),),
            {"system": Level.OK, "process/nginx[7]": Level.CRIT},
        ),
        # healthy processes get no signal at all (there are thousands)
        (
            FileNr(10, 1000),
            (proc(8, 830, 1024), proc(9, 3, 1024)),
            {"system": Level.OK, "process/app[8]": Level.WARN},
        ),
    ],
)
def test_fd_table(nr, processes, expected):
    assert levels(fd.evaluate(fd.Sample(nr, processes), W.fd)) == expected


def test_fd_details_name_the_processes_near_their_limit():
    s = fd.Sample(FileNr(10, 1000), (proc(7, 1000, 1024, "nginx"), proc(9, 3, 1024)))
    sigs = fd.evaluate(s, W.fd)
    d = fd.details(None, s, sigs)
    assert d["processes"].startswith("nginx[7] 98") and "nginx[7] 1000/1024" in d["top_fds"]


def zone(temp, *trips):
    return Zone("thermal_zone0", "acpitz", temp, True, tuple(Trip(t, c) for t, c in trips))


@pytest.mark.parametrize(
    "z, expected",
    [
        (zone(37, ("critical", 100), ("passive", 80)), Level.OK),
        (zone(81, ("critical", 100), ("passive", 80)), Level.WARN),
        (zone(91, ("critical", 100)), Level.WARN),
        (zone(97.5, ("critical", 100)), Level.CRIT),
        (zone(None, ("critical", 100)), None),  # unreadable: no signal, never 0 °C
        (zone(60, ("hot", 60)), Level.CRIT),
    ],
)
def test_thermal_zones(z, expected):
    got = thermal.evaluate(thermal.Sample((z,), (), ()), W.thermal)
    assert (got[0].level if got else None) == expected


def sensor(temp, mx=None, crit=None, crit_alarm=False, fault=False):
    return Sensor("coretemp", "hwmon0", 1, "Core 0", temp, mx, crit, None, crit_alarm, False, fault)


@pytest.mark.parametrize(
    "sn, expected",
    [
        (sensor(55, 84, 100), Level.OK),
        (sensor(85, 84, 100), Level.WARN),
        (sensor(98, 84, 100), Level.CRIT),
        (sensor(60, 84, 100, crit_alarm=True), Level.CRIT),  # latched alarm
        (sensor(127, fault=True), None),  # a faulty sensor means nothing
    ],
)
def test_thermal_hwmon(sn, expected):
    got = thermal.evaluate(thermal.Sample((), (sn,), ()), W.thermal)
    assert (got[0].level if got else None) == expected


def test_thermal_cpu_throttling():
    cds = (CoolingDevice("cooling_device0", "Processor", 3, 8), CoolingDevice("c1", "Fan", 2, 2))
    got = thermal.evaluate(thermal.Sample((), (), cds), W.thermal)
    assert [(s.key, s.level) for s in got] == [("cooling/Processor/cooling_device0", Level.WARN)]


DISK_TABLE = [
    ("ata/FAILING-hdd-all_hitachi-hds721050dle630_usbjmicron_exit216_st7.1.json", Level.CRIT),
    ("ata/prefail-hdd-realloc304_seagate-st3500418as_st7.3.json", Level.WARN),
    ("ata/megaraid-realloc387_wd4000fyyx_exit4_st7.1.json", Level.WARN),
    ("ata/errorlog-hdd-crc12_hgst-hus724020ale640_exit64_st7.3.json", Level.OK),  # old history
    ("ata/healthy-hdd-packed-raw188_seagate-st16000nm001g_st7.1.json", Level.OK),
    ("ata/healthy-sata-hdd-all_wdc-wd140edfz_st7.0.json", Level.OK),
    ("ata/healthy-sata-ssd-xall_samsung-860evo_st7.0.json", Level.OK),
    ("ata/healthy-ssd-exit4_kingston-sa400m8120g_st7.3.json", Level.OK),
    ("nvme/FAILING-critwarn0x10-nvme_samsung-mzwll3t2hajq_exit8_st7.3.json", Level.CRIT),
    ("nvme/media-errors7-nvme-xall_samsung-970evo_st7.0.json", Level.WARN),
    ("nvme/worn-75pct-nvme_intel-ssdpe2kx020t7_st7.3.json", Level.OK),
    ("nvme/healthy-errlog8382-nvme_corsair-mp510_st7.0.json", Level.OK),
    ("scsi/grown-defects260-uncorrected-spi-hdd_seagate-st373453lc_st7.4.json", Level.WARN),
    ("scsi/healthy-sas-hdd_hitachi-h109060sesun600g_st7.3.json", Level.OK),
]


@pytest.mark.parametrize("rel, expected", DISK_TABLE)
def test_disk_table(rel, expected):
    rep = smart.parse_smart((SM / rel).read_text())
    (sig,) = disks.evaluate(disks.Sample({"/dev/x": rep}), W.disk)
    assert sig.level == expected, sig.message


def test_disk_messages_say_why():
    rep = smart.parse_smart((SM / DISK_TABLE[8][0]).read_text())
    (sig,) = disks.evaluate(disks.Sample({"/dev/nvme0": rep}), W.disk)
    assert "volatile memory backup failed" in sig.message


def test_disk_growth_of_the_error_log_warns():
    rel = "ata/errorlog-hdd-crc12_hgst-hus724020ale640_exit64_st7.3.json"
    now = smart.parse_smart((SM / rel).read_text())
    import dataclasses

    before = dataclasses.replace(now, ata_error_count=now.ata_error_count - 1)
    (sig,) = disks.evaluate(disks.Sample({"/dev/sdb": now}, {"/dev/sdb": before}), W.disk)
    assert sig.level == Level.WARN and "error log grew" in sig.message


def ctl(name, ce, ue):
    return edac_host.Controller(name, "Skylake", ce, ue, (("DIMM_A1", ce, ue),))


@pytest.mark.parametrize(
    "sample, expected",
    [
        (edac.Sample((ctl("mc0", 5, 0),), {"mc0": None}), Level.OK),  # first sight: CE history
        (edac.Sample((ctl("mc0", 5, 1),), {"mc0": None}), Level.CRIT),  # UE ever: bad
        (edac.Sample((ctl("mc0", 25, 0),), {"mc0": (20, 0)}), Level.WARN),
        (edac.Sample((ctl("mc0", 9, 0),), {"mc0": (4, 0)}), Level.OK),
        (edac.Sample((ctl("mc0", 9, 2),), {"mc0": (0, 1)}), Level.CRIT),
    ],
)
def test_edac_table(sample, expected):
    (sig,) = edac.evaluate(sample, W.edac)
    assert sig.level == expected


def test_edac_deltas_and_reset():
    from kcrashd.host.root import Root

    root = Root(str(SHARED / "fixtures" / "sysfs" / "CONSTRUCTED-edac-dimm-layout"))
    first = edac.sample(root, None, W.edac, {})
    assert first.deltas == {"mc0": None, "mc1": None}
    again = edac.sample(root, None, W.edac, {"mc0.ce": 4, "mc0.ue": 0, "mc1.ce": 10, "mc1.ue": 1})
    assert again.deltas == {"mc0": (10, 0), "mc1": (3, 0)}  # mc1 was reset: counted from 0


@pytest.mark.parametrize(
    "deltas, new_taint, expected",
    [
        ({"oops": 0, "warn": 0}, 0, {"oops": Level.OK, "warn": Level.OK, "taint": Level.OK}),
        ({"warn": 1}, 0, {"warn": Level.WARN}),
        ({"hung_task": 2}, 0, {"hung_task": Level.WARN}),
        ({"oops": 1}, 0, {"oops": Level.CRIT}),
        ({"rcu_stall": 1}, 0, {"rcu_stall": Level.CRIT}),
        ({}, 1 << 9, {"taint": Level.WARN}),  # W
        ({}, 1 << 7, {"taint": Level.CRIT}),  # D
        ({}, 1 << 12, {"taint": Level.WARN}),  # O: an out-of-tree module appeared
    ],
)
def test_kernel_counters_table(deltas, new_taint, expected):
    counters = {k: 5 for k in deltas}
    s = kernel_counters.Sample(counters, new_taint, deltas, new_taint)
    got = levels(kernel_counters.evaluate(s, W.kernel_counters))
    assert {k: got[k] for k in expected} == expected


def test_kernel_counters_baseline_per_boot():
    from kcrashd.host.root import Root

    root = Root(str(SHARED / "fixtures" / "captured" / "linux-6.18-vm"))
    first = kernel_counters.sample(root, None, W.kernel_counters, {})
    assert first.deltas == {} and first.new_taint == 0
    later = kernel_counters.sample(root, None, W.kernel_counters, dict(first.baseline, oops=-1))
    assert later.deltas["oops"] == 1
