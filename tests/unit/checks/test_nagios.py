"""`kcrashd check --nagios` as Nagios or Icinga runs it: the plugin output format, the exit
codes of the plugin guidelines (bad arguments included), and the same verdict as --json on
every fixture root."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.checks.registry import BY_ID
from tests.unit.checks.conftest import ROOTS

PROJECT = Path(__file__).resolve().parents[3]
STATE = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
# Nagios plugin guidelines, performance data: 'label'=value[UOM];[warn];[crit];[min];[max]
PERFDATA = re.compile(r"^'?([^'=]+)'?=(-?[0-9.]+)([a-zA-Z%]*)(;[^;]*){0,4}$")
NEEDS_A_LOOK = ("CRIT", "WARN", "ERROR")


def kcrashd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=60,
    )


def plugin_output(proc: subprocess.CompletedProcess) -> tuple:
    """(state, text, perfdata dict, long output lines), parsed the way Nagios parses it."""
    first, *long_output = proc.stdout.rstrip("\n").split("\n")
    status_text, perf = first.split(" | ")
    m = re.match(r"^KCRASHD (OK|WARNING|CRITICAL|UNKNOWN) - (.+)$", status_text)
    assert m, first
    values = {}
    for item in perf.split():
        pm = PERFDATA.match(item)
        assert pm, item
        values[pm.group(1)] = int(pm.group(2))
    return m.group(1), m.group(2), values, long_output


def _empty_root(tmp_path: Path) -> Path:
    root = tmp_path / "empty-root"
    root.mkdir()
    return root


def _broken_root(tmp_path: Path) -> Path:
    """A root where one check breaks (an unreadable sysctl value): its status is ERROR."""
    root = tmp_path / "broken-root"
    (root / "proc/sys/kernel").mkdir(parents=True)
    (root / "proc/sys/kernel/panic").write_text("garbage\n")
    return root


@pytest.mark.parametrize(
    "root",
    [*sorted(p.name for p in ROOTS.iterdir() if p.is_dir()), "<empty>", "<broken>"],
)
def test_plugin_output_says_what_json_says(root, roots, tmp_path):
    if root == "<empty>":
        path = _empty_root(tmp_path)
    elif root == "<broken>":
        path = _broken_root(tmp_path)
    else:
        path = roots / root
    doc = json.loads(kcrashd("check", "--json", "--root", str(path)).stdout)
    proc = kcrashd("check", "--nagios", "--root", str(path))
    assert proc.stderr == ""
    assert proc.returncode == doc["exit_code"]
    state, text, perf, long_output = plugin_output(proc)
    assert state == STATE[proc.returncode]

    results = doc["results"]
    count = {s: sum(1 for r in results if r["status"] == s) for s in NEEDS_A_LOOK}
    assert perf == {
        "critical": count["CRIT"],
        "warning": count["WARN"],
        "ok": len(results) - sum(count.values()),
        "unknown": count["ERROR"],
    }
    bad = [r for s in NEEDS_A_LOOK for r in results if r["status"] == s]
    head, _, ids = text.partition(": ")
    assert head.startswith(f"{count['CRIT']} critical, {count['WARN']} warning")
    assert ("unknown" in head) == bool(count["ERROR"])
    assert ids == (", ".join(r["id"] for r in bad) or "ready")

    # The long output: one line per check that needs a look, most urgent first, with its
    # fix; never a `|`, which would start performance data.
    assert len(long_output) == len(bad)
    for line, r in zip(long_output, bad):
        # Numbers may differ between the two runs (dump_space reads this disk's free space).
        summary = _digits(r["summary"].replace("|", "¦"))
        assert _digits(line).startswith(f"{r['status']} {r['id']}: {summary}"), line
        if r["fix"]:
            assert line.endswith(" - fix: " + " ".join(r["fix"].replace("|", "¦").split()))
        assert "|" not in line


def _digits(text: str) -> str:
    return re.sub(r"[0-9][0-9.]*", "N", text)


def test_the_issues_example_and_a_pipe_in_a_fix(tmp_path):
    # An empty root: no kdump at all, and no distro, so fixes name both families joined
    # by " | " (which the plugin output must not pass on).
    proc = kcrashd("check", "--nagios", "--root", str(_empty_root(tmp_path)))
    state, text, perf, long_output = plugin_output(proc)
    assert (state, proc.returncode) == ("CRITICAL", 2)
    assert text.startswith("4 critical, 3 warnings: kexec_support, ")
    assert perf == {"critical": 4, "warning": 3, "ok": len(BY_ID) - 7, "unknown": 0}
    assert any("Debian/Ubuntu:" in line and " ¦ RHEL/Fedora:" in line for line in long_output)


def test_an_error_is_unknown_unless_something_is_critical(tmp_path):
    broken = _broken_root(tmp_path)
    proc = kcrashd("check", "--nagios", "--root", str(broken), "--only", "panic_timeout")
    state, text, perf, long_output = plugin_output(proc)
    assert (state, proc.returncode) == ("UNKNOWN", 3)
    assert text.startswith("0 critical, 0 warnings, 1 unknown: panic_timeout")
    assert long_output[0].startswith("ERROR panic_timeout: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--nagios", "--bogus"],
        ["check", "--nagios", "--only", "no_such_check"],
        ["check", "--nagios", "--explain", "no_such_check"],
        ["check", "--nagios", "--json"],
        ["check", "--nagios", "--only"],
        ["--bogus", "check", "--nagios"],
    ],
)
def test_bad_arguments_are_unknown(argv):
    proc = kcrashd(*argv)
    assert proc.returncode == 3, proc.stderr
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_other_commands_keep_argparse_usage_status():
    proc = kcrashd("status", "--bogus")
    assert proc.returncode == 2 and "unrecognized arguments: --bogus" in proc.stderr


def test_checks_that_cannot_run_say_unknown_on_stdout(tmp_path):
    # Nagios reads standard output only: the reason must be there, in the plugin format.
    cfg = tmp_path / "kcrashd.yaml"
    cfg.write_text("checks: [\n")
    proc = kcrashd("--config", str(cfg), "check", "--nagios")
    assert proc.returncode == 3
    assert proc.stdout.startswith("KCRASHD UNKNOWN - kcrashd check: bad configuration:")
    assert "|" not in proc.stdout
    proc = kcrashd("check", "--nagios", "--root", str(tmp_path / "missing"))
    assert proc.returncode == 3
    assert (
        proc.stdout
        == f"KCRASHD UNKNOWN - kcrashd check: --root {tmp_path}/missing: not a directory\n"
    )
