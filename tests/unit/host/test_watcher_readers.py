"""Readers against the real fixture trees in ../shared/fixtures (not copied)."""

from __future__ import annotations

import os
import shutil

import pytest

from kcrashd.host import edac, fds, hwmon, kernel_counters, meminfo, procs, psi, thermal, vmstat
from kcrashd.host.root import Root
from tests.conftest import PROJECT, SHARED

FX = SHARED / "fixtures"
CAPTURED = Root(str(FX / "captured" / "linux-6.18-vm"))


def test_meminfo_captured_vm():
    m = meminfo.read_memory(CAPTURED)
    assert m.total_kb == 24684084 and m.available_kb == 24302700
    assert not m.available_estimated
    assert m.swap_used_percent is None  # SwapTotal 0: never divided


def test_meminfo_legacy_header_lines_are_skipped():
    values = meminfo.read_meminfo(Root(str(FX / "procfs" / "gopsutil-issue1002")))
    assert "Mem" not in values and values["MemTotal"] == 254472


def test_meminfo_without_memavailable_is_estimated():
    values = meminfo.parse_meminfo(
        "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 kB\n"
        "SReclaimable: 20 kB\nShmem: 30 kB\n"
    )
    m = meminfo.memory_from(values)
    assert m.available_estimated and m.available_kb == 300


def test_meminfo_without_memtotal_is_an_error():
    with pytest.raises(ValueError):
        meminfo.memory_from({"MemFree": 1})


def test_psi_shapes():
    ne = Root(str(FX / "procfs" / "node-exporter"))
    irq = psi.read_psi(ne, "irq")
    assert list(irq) == ["full"]  # irq has only a full line (and no newline)
    io = psi.read_psi(CAPTURED, "io")
    assert io["some"]["avg60"] == 0.06 and io["full"]["total"] == 3034049
    assert psi.read_psi(Root(str(FX / "procfs" / "gopsutil-intelcorei5")), "memory") is None
    assert psi.parse_psi("some avg10=1.5 new=x\nweird line\n") == {"some": {"avg10": 1.5}}


def test_vmstat_oom_kill():
    assert vmstat.read_vmstat(CAPTURED)["oom_kill"] == 0


def test_file_nr_and_limits():
    nr = fds.read_file_nr(CAPTURED)
    assert (nr.allocated, nr.maximum) == (492, 2466170)
    ne = fds.read_file_nr(Root(str(FX / "procfs" / "node-exporter")))
    assert ne.allocated == 1024
    limits = (FX / "procfs" / "procfs-testdata" / "proc" / "26231" / "limits").read_text()
    assert fds.parse_nofile_limit(limits) == 2048
    assert fds.parse_nofile_limit("Max open files  unlimited  unlimited  files\n") is None
    with pytest.raises(ValueError):
        fds.parse_file_nr("12 0\n")


def test_thermal_zones_doc_example():
    zones = thermal.read_zones(Root(str(FX / "sysfs" / "CONSTRUCTED-thermal-doc-example")))
    (z,) = zones
    assert z.type == "acpitz" and z.celsius == 37.0 and z.enabled
    assert [(t.type, t.celsius) for t in z.trips] == [
        ("critical", 100.0),
        ("passive", 80.0),
        ("active", 70.0),
        ("active", 60.0),
    ]
    cds = thermal.read_cooling_devices(Root(str(FX / "sysfs" / "CONSTRUCTED-thermal-doc-example")))
    assert {(c.type, c.max_state) for c in cds} == {("Processor", 8), ("Fan", 2)}


def test_thermal_invalid_trips_and_disabled_zone():
    root = Root(str(FX / "sysfs" / "CONSTRUCTED-thermal-hwmon-edge-cases"))
    by_type = {z.type: z for z in thermal.read_zones(root)}
    assert by_type["x86_pkg_temp"].trips == ()  # -274000 trips are unset
    assert not by_type["pch_cannonlake"].enabled


def test_hwmon_edge_cases():
    root = Root(str(FX / "sysfs" / "CONSTRUCTED-thermal-hwmon-edge-cases"))
    sensors = {s.title: s for s in hwmon.read_sensors(root)}
    core1 = sensors["coretemp Core 1"]
    assert core1.celsius == 101.0 and core1.crit == 100.0 and core1.crit_alarm
    assert sensors["nct6779 SYSTIN"].fault
    assert sensors["acpitz temp1"].crit is None


def test_hwmon_nvme_no_limit_sentinels(tmp_path):
    # The fixture keeps hwmon3 under the nvme device; link it where the class dir would be.
    hw = next(
        (FX / "sysfs" / "procfs-nvme-hwmon" / "sys" / "devices").glob("*/*/*/nvme/nvme0/hwmon3")
    )
    (tmp_path / "sys" / "class" / "hwmon").mkdir(parents=True)
    # inside the root (a link out of it would resolve inside: the root is sealed)
    shutil.copytree(hw, tmp_path / "sys" / "devices" / "nvme0" / "hwmon3", symlinks=True)
    os.symlink("../../devices/nvme0/hwmon3", tmp_path / "sys" / "class" / "hwmon" / "hwmon3")
    sensors = {s.label: s for s in hwmon.read_sensors(Root(str(tmp_path)))}
    comp = sensors["Composite"]
    assert (comp.celsius, comp.max, comp.crit) == (43.85, 84.85, 94.85)
    s1 = sensors["Sensor 1"]
    assert s1.max is None  # 65261850 = 65535 K: no limit


def test_edac_layouts():
    dimm = edac.read_controllers(Root(str(FX / "sysfs" / "CONSTRUCTED-edac-dimm-layout")))
    assert [(c.name, c.ce, c.ue) for c in dimm] == [("mc0", 14, 0), ("mc1", 3, 1)]
    assert ("CPU_SrcID0_MC0_Chan1_DIMM0", 14, 0) in dimm[0].modules
    rank = edac.read_controllers(Root(str(FX / "sysfs" / "CONSTRUCTED-edac-amd64-rank-layout")))
    # rank<N>/dimm_label "mc#0csrow#2channel#1": named by its label
    assert [(c.name, c.mc_name, c.modules) for c in rank] == [
        ("mc0", "F17h", (("mc0csrow2channel1", 0, 0), ("mc0csrow3channel1", 0, 0)))
    ]
    legacy = edac.read_controllers(Root(str(FX / "sysfs" / "node-exporter")))
    assert [(c.name, c.ce, c.ue) for c in legacy] == [("mc0", 1, 5)]
    channels = [f"mc0csrow{row}channel{ch}" for row in range(3) for ch in range(2)]
    assert [m[0] for m in legacy[0].modules] == channels  # the csrow channels, no DIMM dirs
    assert edac.read_controllers(CAPTURED) == []
    assert not edac.edac_available(CAPTURED)


def test_kernel_counters_captured_618():
    counters = kernel_counters.read_counters(CAPTURED)
    assert set(counters) == {"oops", "warn", "softlockup", "hardlockup", "rcu_stall", "hung_task"}
    assert kernel_counters.read_taint(CAPTURED) == 0
    ne = kernel_counters.read_counters(Root(str(FX / "procfs" / "node-exporter")))
    assert ne == {"hung_task": 42}


def test_procs_from_a_procfs_tree(tmp_path):
    import shutil

    root_dir = tmp_path / "root"
    shutil.copytree(PROJECT / "tests" / "fixtures" / "watchers" / "low-memory", root_dir)
    fd_dir = root_dir / "proc" / "977" / "fd"
    fd_dir.mkdir()
    for i in range(1000):
        (fd_dir / str(i)).touch()
    ps = {p.name: p for p in procs.read_processes(Root(str(root_dir)), with_fds=True)}
    assert ps["java"].rss_kb == 6291456 and ps["java"].fds is None
    assert ps["postgres"].fds == 1000 and ps["postgres"].fd_limit == 1024
    assert ps["java"].cpu_seconds == pytest.approx((512300 + 40211) / os.sysconf("SC_CLK_TCK"))
    assert procs.top(list(ps.values()), "rss_kb", 1)[0].name == "java"


def test_procs_live_reads_this_process_as_the_kernel_tells_it():
    # The same reader as under a fixture tree, on the live /proc: checked against what the
    # standard library asks the kernel directly.
    import resource

    before, fds_before = os.times(), len(os.listdir("/proc/self/fd"))
    me = {p.pid: p for p in procs.read_processes(Root("/"), with_fds=True)}[os.getpid()]
    after, fds_after = os.times(), len(os.listdir("/proc/self/fd"))
    with open("/proc/self/comm") as f:
        assert me.name == f.read().strip()
    with open("/proc/self/status") as f:  # VmRSS: the kernel's other view of the same count
        vmrss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    assert me.rss_kb > 1000 and abs(me.rss_kb - vmrss) < 4096  # it may move between reads
    # one clock tick either way: the kernel splits user and system time per call
    assert before.user + before.system - 0.02 <= me.cpu_seconds <= after.user + after.system + 0.02
    assert me.fd_limit == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    # threads left by other tests may open and close fds meanwhile; the listings' own fd
    assert min(fds_before, fds_after) - 2 <= me.fds <= max(fds_before, fds_after) + 2


def test_proc_stat_comm_with_spaces_and_parentheses():
    st = procs.parse_stat("42 (a) (b c)) S 1 42 42 0 -1 4194560 0 0 0 0 150 50 0 0 20 0 1 0 9")
    assert st == procs.Stat("a) (b c)", 150, 50)
    with pytest.raises(ValueError):
        procs.parse_stat("42 (short) S 1 2")


def test_proc_name_beyond_the_comm_limit_comes_from_the_command_line():
    cmdline = "/usr/lib/systemd/systemd-journald\0--flag\0"
    assert procs.full_name("systemd-journal", cmdline) == "systemd-journald"
    assert procs.full_name("systemd-journal", "/usr/bin/other\0") == "systemd-journal"
    assert procs.full_name("bash", "/usr/bin/bash-static\0") == "bash"  # not cut: kept


def test_process_exists_reads_proc_under_the_root(tmp_path):
    (tmp_path / "proc" / "977").mkdir(parents=True)
    assert procs.process_exists(Root(str(tmp_path)), 977)
    assert not procs.process_exists(Root(str(tmp_path)), 978)
    assert procs.process_exists(Root("/"), os.getpid())
