"""vmcore triage: what to install when crash or the debug vmlinux is missing, and crash's
batch output (real, from the crash lab) cut into its answers."""

from __future__ import annotations

import os
from pathlib import Path

from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import CrashReport, Incident
from kcrashd.postmortem import triage
from kcrashd.store import triage as kept_triages
from tests.conftest import PROJECT

REL = "6.1.0-57-amd64"
# Real: crash 8.0.2 on the crash lab's kdump vmcore (tests/fixtures/postmortem/lab/README.md).
CRASH_OUTPUT = PROJECT / "tests/fixtures/postmortem/lab/crash-batch.txt"
VMCORE = "/var/crash/202611300048/dump.202611300048"


def _incident(vmcore=VMCORE, release=REL) -> Incident:
    report = CrashReport(kind="panic", title="panic", kernel=release, signature="panic:x")
    return Incident("abc123", "boot", "panic", "panic", "panic:x", report, (), vmcore)


def _root_with_dump(tmp_path: Path) -> Root:
    dump = tmp_path / VMCORE.lstrip("/")
    dump.parent.mkdir(parents=True)
    dump.write_bytes(triage.FLATTENED_MAGIC + b"\0" * 64)  # a flattened dump's header
    return Root(str(tmp_path))


def test_install_lines():
    assert triage.install_line(REL, "debian", True) == f"apt install linux-image-{REL}-dbg crash"
    assert triage.install_line(REL, "debian", False) == f"apt install linux-image-{REL}-dbg"
    rhel = "5.14.0-362.el9.x86_64"
    assert (
        triage.install_line(rhel, "rhel", True)
        == f"dnf install crash && dnf debuginfo-install kernel-{rhel}"
    )
    assert triage.install_line("6.9.1", None, False).startswith("Debian: apt install")


def test_without_crash_or_the_debug_vmlinux_the_install_line(tmp_path):
    root = _root_with_dump(tmp_path)
    nothing = CommandRunner(env={"PATH": str(tmp_path / "no-bin")})
    t = triage.vmcore_triage(root, nothing, _incident(), str(tmp_path / "state"))
    assert not t.ran and t.bt == []
    assert t.missing == ["crash", f"the debug vmlinux of {REL}"]
    assert t.install == f"apt install linux-image-{REL}-dbg crash"


def test_with_crash_but_no_debug_vmlinux_only_the_debug_package(tmp_path):
    root = _root_with_dump(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    crash = bin_dir / "crash"
    crash.write_text("#!/bin/sh\nexit 1\n")
    crash.chmod(0o755)
    runner = CommandRunner(env={"PATH": str(bin_dir)})
    t = triage.vmcore_triage(root, runner, _incident(), str(tmp_path / "state"))
    assert t.install == f"apt install linux-image-{REL}-dbg"


def test_no_vmcore_no_triage(tmp_path):
    assert triage.vmcore_triage(Root(str(tmp_path)), CommandRunner(), _incident(None), "") is None


def test_a_kept_triage_is_shown_again_without_running_crash(tmp_path):
    state = str(tmp_path / "state")
    kept = triage.Triage(ran=True, vmcore=VMCORE, bt=["PID: 1  TASK: x  CPU: 0  COMMAND: sh"])
    path = kept_triages.keep(state, "abc123", kept.to_dict())
    assert path and os.stat(path).st_mode & 0o777 == 0o600
    nothing = CommandRunner(env={"PATH": str(tmp_path / "no-bin")})
    again = triage.vmcore_triage(_root_with_dump(tmp_path), nothing, _incident(), state)
    assert again.bt == kept.bt and again.ran


def test_crash_batch_output_cut_into_its_answers():
    answers = triage.split_answers(CRASH_OUTPUT.read_text())
    assert sorted(answers) == ["bt", "log", "ps", "sys"]
    assert any(line.split() == ["RELEASE:", REL] for line in answers["sys"])
    assert answers["bt"][0].startswith(
        'PID: 389      TASK: ffff89d6c36b1840  CPU: 0    COMMAND: "sh"'
    )
    assert any("[exception RIP: faulty_driver_func+24]" in line for line in answers["bt"])
    assert answers["log"][-2].endswith("Kernel panic - not syncing: Fatal exception")
    assert not any("TK" in line for part in answers.values() for line in part)  # no fences
    # the panicking task's line of ps, found by bt's PID
    task = triage.task_lines(answers["bt"], answers["ps"])
    assert task[0].split()[:3] == ["PID", "PPID", "CPU"]
    assert task[1:] == [">     389      -1   0  ffff89d6c36b1840  RU   0.1     2584     1608  sh"]


def test_the_commands_crash_runs():
    commands = triage.crash_commands().splitlines()
    assert [c for c in commands if not c.startswith("ascii ")] == ["sys", "bt", "log", "ps", "quit"]
    # each fence is at most 8 bytes (what `ascii` translates)
    assert all(len(c.split()[1]) <= 16 for c in commands if c.startswith("ascii "))
