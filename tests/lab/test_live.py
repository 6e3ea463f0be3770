"""Crash lab, plan "live": one boot of the real Debian kernel with kdump loaded and
panic_on_oops=0, every trigger of the lab module, an OOM and fd exhaustion.

Scenarios (issue 11): 1 ready (kcrashd check vs kdump-config status), 2 the bad_driver
oops walkthrough (alert, latency, snapshot, offset, addr2line), 3 every kind real, 6 real
warning signs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from typing import Any, Dict, List, Tuple

import pytest

from tests.lab import disk, reports
from tests.lab.helpers import (
    LATENCY_LIMIT,
    alert_summary,
    check_statuses,
    guest_json,
    kernel_line,
    kernel_time,
    monotonic,
    realtime,
    run_ok,
)
from tests.lab.reports import LIVE, Answer

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.root]


@pytest.fixture(scope="module")
def live(lab_runs):
    return lab_runs.get("live")


@pytest.fixture(scope="module")
def boot(live) -> str:
    boots = live.journal.boots()
    assert len(boots) == 1, f"the live plan is one boot, the journal has {len(boots)}"
    return boots[0].boot_id


@pytest.fixture(scope="module")
def crash_alerts(live, boot) -> List[Dict[str, Any]]:
    return live.journal.alerts("crash_report", boot=boot)


def test_live_run_completed(live):
    (run,) = live.runs
    assert run_ok(run) is None, run_ok(run)
    assert any("powering off" in line for line in live.klab()), "\n".join(live.klab())


# --- scenario 1: ready -------------------------------------------------------------------------
READY_CHECKS = (
    "kexec_support",
    "crashkernel_cmdline",
    "crashkernel_reserved",
    "kdump_loaded",
    "kdump_service",
    "kdump_initrd_present",
    "pstore_backend",
    "journald_persistent",
    "kcrashd_service",
)


def test_check_says_ready_like_kdump_config(live):
    out = live.out(0)
    doc = guest_json(out / "check.json")
    results = check_statuses(doc)
    assert doc["distro_family"] == "debian"
    not_ok = {c: results[c]["status"] for c in READY_CHECKS if results[c]["status"] != "OK"}
    assert not not_ok, not_ok
    crit = [r["id"] for r in doc["results"] if r["status"] == "CRIT"]
    assert crit == [] and doc["exit_code"] < 2, crit
    assert "backend ramoops" in results["pstore_backend"]["summary"]
    # Debian's own tool agrees.
    status = (out / "kdump-status.txt").read_text()
    assert (out / "kdump-status.rc").read_text().strip() == "0", status
    assert re.search(r"current state\s*:\s*ready to kdump", status), status


def test_daemon_readiness_agrees_with_kcrashd_check(live):
    """The daemon runs the same checks inside the unit's sandbox (ProtectSystem=strict):
    what the sandbox hides from it must not turn into a WARN the host does not have."""
    cli = check_statuses(guest_json(live.out(0) / "check.json"))
    state = live.state()
    try:
        daemon = {r["check_id"]: r for r in state.rows("SELECT * FROM check_results")}
    finally:
        state.close()
    differ = {
        c: (daemon[c]["status"], daemon[c]["summary"], cli[c]["status"])
        for c in (*READY_CHECKS, "dump_target_config", "dump_space", "previous_dumps")
        if daemon[c]["status"] != cli[c]["status"]
    }
    assert not differ, differ


def test_kcrashd_runs_under_systemd_with_the_units_sandbox(live):
    out = live.out(0)
    show = dict(
        line.split("=", 1) for line in (out / "kcrashd.show").read_text().splitlines() if line
    )
    assert show["ActiveState"] == "active" and show["NRestarts"] == "0", show
    caps = dict(line.split(":\t") for line in (out / "kcrashd.caps").read_text().splitlines())
    # CAP_SYSLOG (34), SYS_RAWIO (17), SYS_ADMIN (21), SYS_PTRACE (19), DAC_READ_SEARCH (2)
    assert int(caps["CapBnd"], 16) == (1 << 34) | (1 << 17) | (1 << 21) | (1 << 19) | (1 << 2)


# --- scenario 3: every kind real ---------------------------------------------------------------
def _alerts_for(answer: Answer, alerts: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The crash_report alerts whose report text holds the trigger's own kernel line."""
    return [a for a in alerts if answer.mark in (a.get("KCRASHD_REPORT") or "")]


def test_each_trigger_reached_the_kernel_log(live, boot):
    text = live.journal.kernel_text(boot)
    missing = [a.name for a in LIVE if a.header not in text]
    assert not missing, f"no kernel report for {missing}"


@pytest.mark.parametrize("answer", LIVE, ids=[a.name for a in LIVE])
def test_one_alert_of_the_right_kind_and_function(answer, crash_alerts):
    found = _alerts_for(answer, crash_alerts)
    assert len(found) == 1, (
        f"{answer.name}: {len(found)} alerts; all: {alert_summary(crash_alerts)}"
    )
    a = found[0]
    got = {k: a.get(f"KCRASHD_{k.upper()}") for k in ("kind", "function", "module")}
    want: Dict[str, Any] = {"kind": answer.kind}
    if answer.function is not None:
        want["function"] = answer.function
        want["module"] = answer.module
    else:
        got.pop("function")
        got.pop("module")
    assert got == want, f"{answer.name}: {disk.message(a)}"
    if answer.comm:
        assert a.get("KCRASHD_COMM") == answer.comm, a.get("KCRASHD_COMM")
    if answer.victim:
        assert answer.victim in a.get("KCRASHD_TITLE", ""), a.get("KCRASHD_TITLE")
    taint = a.get("KCRASHD_TAINT", "")
    assert set(answer.taint_includes) <= set(taint), f"{answer.name}: taint {taint}"


def test_no_crash_alert_repeats(live, boot):
    assert live.journal.alerts("crash_repeated", boot=boot) == []


# --- scenario 2: the bad_driver oops, live -----------------------------------------------------
PAGE_FAULT = next(a for a in LIVE if a.name == "page_fault")


@pytest.fixture(scope="module")
def oops_alert(crash_alerts) -> Dict[str, Any]:
    found = _alerts_for(PAGE_FAULT, crash_alerts)
    assert len(found) == 1, alert_summary(crash_alerts)
    return found[0]


def test_oops_alert_fields(oops_alert):
    a = oops_alert
    assert a["KCRASHD_KIND"] == "page_fault"
    assert a["KCRASHD_FUNCTION"] == "faulty_driver_func"
    assert a["KCRASHD_MODULE"] == "bad_driver"
    assert {"O", "E"} <= set(a["KCRASHD_TAINT"]), a["KCRASHD_TAINT"]
    assert a["KCRASHD_SEVERITY"] == "crit"


def test_oops_alert_latency(live, boot, oops_alert, accel):
    oops = kernel_line(live.journal, boot, PAGE_FAULT.header)
    latency = monotonic(oops_alert) - kernel_time(oops)
    limit = LATENCY_LIMIT[accel.name]
    assert 0 < latency <= limit, (
        f"alert {latency:.2f}s after the oops' own timestamp (limit {limit}s under {accel.name})"
    )


def _snapshot(live, snapshot_id: str) -> Dict[str, Any]:
    path = live.tree / "var/lib/kcrashd/snapshots" / f"{snapshot_id}.json"
    assert path.exists(), f"snapshot {snapshot_id} is not in the store"
    return guest_json(path)


def _module_base(proc_modules: str, name: str) -> int:
    """Load address of `name` in /proc/modules text ("bad_driver 16384 0 - Live 0x... (OE)")."""
    for line in proc_modules.splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return int(next(f for f in fields if f.startswith("0x")), 16)
    raise AssertionError(f"{name} not in /proc/modules:\n{proc_modules}")


def test_oops_snapshot_holds_proc_modules(live, oops_alert):
    doc = _snapshot(live, oops_alert["KCRASHD_SNAPSHOT"])
    modules = doc["items"]["modules"]
    assert "value" in modules, f"snapshot item modules: {modules}"
    assert _module_base(modules["value"], "bad_driver") >= 0xFFFFFFFF80000000


def _symbol(ko, name: str) -> Tuple[str, int]:
    """(section, value) of a function in the .ko (objdump -t). gcc may put a function in
    .text.unlikely (faulty_driver_func is there): its value is relative to that section."""
    out = subprocess.run(["objdump", "-t", str(ko)], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[-1] == name and "F" in parts[2:-3]:
            return parts[-3], int(parts[0], 16)
    raise AssertionError(f"{name} not in {ko}")


def _rip_offset(live, boot) -> int:
    """faulty_driver_func+OFFSET from the oops' RIP line."""
    rip = kernel_line(live.journal, boot, "RIP: 0010:faulty_driver_func+")
    return int(re.search(r"faulty_driver_func\+(0x[0-9a-f]+)/", disk.message(rip)).group(1), 16)


def _null_write_line(lab_image) -> int:
    lines = lab_image.module_source.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if "LAB: NULL pointer write" in line)


def _addr2line(argv: List[str]) -> List[str]:
    r = subprocess.run(argv, capture_output=True, text=True, check=True)
    return r.stdout.split()


def test_addr2line_on_the_hosts_ko_names_the_null_write(live, boot, lab_image):
    """The lab's own truth: the offset inside the function's section, looked up in that
    section of the .ko with debug info kept on the host."""
    section, value = _symbol(lab_image.module_ko, "faulty_driver_func")
    offset = value + _rip_offset(live, boot)
    argv = ["addr2line", "-j", section, "-e", str(lab_image.module_ko), "-f", "-i", hex(offset)]
    out = _addr2line(argv)
    assert out[0] == "faulty_driver_func"
    assert out[1].endswith(f"bad_driver.c:{_null_write_line(lab_image)}"), out


def test_incident_show_gives_an_offset_addr2line_resolves(live, boot, lab_image):
    """`kcrashd incidents show` in the guest: its module offset, and its addr2line command
    run on the host's copy of the same .ko, name the line that writes through NULL."""
    steps = guest_json(live.out(0) / "incident-show.json")["next_steps"]
    section, value = _symbol(lab_image.module_ko, "faulty_driver_func")
    assert steps["module_offset"] == hex(value + _rip_offset(live, boot)), steps
    command = next(c for c in steps["commands"] if c.startswith("addr2line "))
    argv = shlex.split(command)
    argv[argv.index("-e") + 1] = str(lab_image.module_ko)  # the guest's path -> the host's
    out = _addr2line(argv)
    assert out[:1] == ["faulty_driver_func"], (command, out)
    assert out[1].endswith(f"bad_driver.c:{_null_write_line(lab_image)}"), (command, out)


def test_guest_incident_show_runs_addr2line_itself(live, lab_image):
    steps = guest_json(live.out(0) / "incident-show.json")["next_steps"]
    lines = steps.get("source_lines") or []
    assert lines[:1] == ["faulty_driver_func"], steps
    assert lines[1].endswith(f"bad_driver.c:{_null_write_line(lab_image)}"), lines


# --- scenario 6: real warning signs ------------------------------------------------------------
def test_memory_alert_names_the_hog_and_snapshots_before_the_kill(live, boot):
    raised = [
        a
        for a in live.journal.alerts("memory_raised", boot=boot)
        if a.get("KCRASHD_KEY") == "available"
    ]
    # the first one, WARN while the hog holds; a CRIT may follow as it goes on
    assert raised, alert_summary(live.journal.alerts(boot=boot))
    a = raised[0]
    assert a["KCRASHD_LEVEL"] == "WARN", disk.message(a)
    assert a["KCRASHD_TOP_MEMORY"].startswith("lab-memhog["), a["KCRASHD_TOP_MEMORY"]
    kill = kernel_line(live.journal, boot, "Out of memory: Killed process")
    assert "(lab-memhog)" in disk.message(kill)
    assert realtime(a) < realtime(kill), "the memory alert came after the OOM kill"
    snap = _snapshot(live, a["KCRASHD_SNAPSHOT"])
    assert snap["time"] < realtime(kill), "the snapshot was taken after the OOM kill"
    assert "lab-memhog" in str(snap["items"]["processes"].get("value", "")), "hog not in it"


def test_fd_alert_names_the_process(live, boot):
    raised = [
        a
        for a in live.journal.alerts("fd_raised", boot=boot)
        if a.get("KCRASHD_KEY", "").startswith("process/lab-fdhog[")
    ]
    assert len(raised) == 1, alert_summary(live.journal.alerts("fd_raised", boot=boot))
    assert "lab-fdhog" in disk.message(raised[0])
    assert raised[0]["KCRASHD_LEVEL"] == "CRIT", raised[0]["KCRASHD_LEVEL"]


# --- real fixtures -----------------------------------------------------------------------------
def test_serial_reports_match_the_saved_fixtures_answers(live):
    """Every trigger's serial text is where the fixture cutter finds it (so a fixture
    refresh, `python -m tests.lab fixtures`, takes real reports)."""
    cuts = reports.cut_live([line for _, line in live.runs[0].lines])
    for a in LIVE:
        text = "\n".join(cuts.get(a.name, []))
        assert a.header in text, f"{a.name}: header not in its serial cut"
