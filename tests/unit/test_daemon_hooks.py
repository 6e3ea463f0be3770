"""Hooks: real executables, alert JSON on stdin, timeouts, skipped files, a worker thread."""

from __future__ import annotations

import json
import os
import time

import pytest

from kcrashd.model import Alert, Severity
from kcrashd.sinks.hooks import HookRunner, list_hooks, run_hooks

ALERT = Alert("crash_report", Severity.CRIT, "kernel oops: x", {"kind": "oops"}, "k")


def hook(directory, name, body, mode=0o755):
    path = directory / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(mode)
    return path


def test_list_hooks_skips_hidden_backup_and_non_executable(tmp_path):
    hook(tmp_path, "10-mail", "true")
    hook(tmp_path, "20-page", "true")
    hook(tmp_path, ".hidden", "true")
    hook(tmp_path, "10-mail~", "true")
    hook(tmp_path, "20-page.dpkg-old", "true")
    hook(tmp_path, "30-off", "true", mode=0o644)
    (tmp_path / "40-dir").mkdir()
    assert [os.path.basename(p) for p in list_hooks(str(tmp_path))] == ["10-mail", "20-page"]
    assert list_hooks(str(tmp_path / "missing")) == []


def test_hook_gets_the_alert_json_on_stdin_without_a_shell(tmp_path):
    out = tmp_path / "out.json"
    hooks = tmp_path / "hooks.d"
    hooks.mkdir()
    hook(hooks, "capture", f'cat > "{out}"; echo "$0" >> "{out}.argv"')
    (result,) = run_hooks(str(hooks), 5.0, ALERT, "abc")
    assert result[1:] == (0, None)
    doc = json.loads(out.read_text())
    assert doc["alert_id"] == "abc" and doc["type"] == "crash_report"
    assert doc["fields"] == {"kind": "oops"} and doc["priority"] == 2


def test_failing_and_hanging_hooks_are_reported_and_others_run(tmp_path):
    marker = tmp_path / "ran"
    hook(tmp_path, "1-fails", "echo broken >&2; exit 3")
    hook(tmp_path, "2-hangs", "sleep 30")
    hook(tmp_path, "3-works", f'touch "{marker}"')
    start = time.monotonic()
    results = run_hooks(str(tmp_path), 0.5, ALERT, "abc")
    assert time.monotonic() - start < 10
    errors = {os.path.basename(p): e for p, _, e in results}
    assert errors["1-fails"] == "exit status 3 broken"
    assert "timed out" in errors["2-hangs"]
    assert errors["3-works"] is None and marker.exists()


def test_runner_thread_never_blocks_the_caller(tmp_path):
    marker = tmp_path / "done"
    hook(tmp_path, "slow", f'sleep 1; touch "{marker}"')
    runner = HookRunner(str(tmp_path), 5.0)
    start = time.monotonic()
    runner.submit(ALERT, "a1")
    assert time.monotonic() - start < 0.5
    runner.stop(wait=10)
    assert marker.exists() and runner.runs == 1 and runner.failures == 0


# -- hooks an attacker cannot plant -------------------------------------------------------


def safe_dir(tmp_path, name="hooks.d"):
    """A hooks directory only root can write (pytest's tmp_path is under sticky /tmp)."""
    d = tmp_path / name
    d.mkdir(mode=0o755)
    d.chmod(0o755)
    return d


def nobody(path):
    os.chown(path, 65534, 65534, follow_symlinks=False)


def _unsafe_variants(tmp_path):
    """(name, build(marker) -> hooks dir, the words of the refusal)"""
    variants = []

    def world_writable(marker):
        d = safe_dir(tmp_path, "ww")
        hook(d, "h", f'touch "{marker}"', mode=0o757)
        return d

    def group_writable(marker):
        d = safe_dir(tmp_path, "gw")
        hook(d, "h", f'touch "{marker}"', mode=0o775)
        return d

    def not_root(marker):
        d = safe_dir(tmp_path, "nr")
        nobody(hook(d, "h", f'touch "{marker}"'))
        return d

    def symlink_into_tmp(marker):
        d = safe_dir(tmp_path, "ln")
        target = tmp_path.parent.parent.parent / f"kcrashd-hook-{os.getpid()}"  # /tmp/...
        hook(target.parent, target.name, f'touch "{marker}"')
        (d / "h").symlink_to(target)
        return d

    def symlink_owned_by_nobody(marker):
        d = safe_dir(tmp_path, "lo")
        real = hook(safe_dir(tmp_path, "real"), "h", f'touch "{marker}"')
        (d / "h").symlink_to(real)
        nobody(d / "h")
        return d

    def world_writable_hooks_dir(marker):
        d = safe_dir(tmp_path, "wd")
        hook(d, "h", f'touch "{marker}"')
        d.chmod(0o777)
        return d

    def sticky_world_writable_hooks_dir(marker):
        d = safe_dir(tmp_path, "sd")
        hook(d, "h", f'touch "{marker}"')
        d.chmod(0o1777)
        return d

    def dir_owned_by_nobody(marker):
        outer = safe_dir(tmp_path, "outer")
        d = safe_dir(outer, "hooks.d")
        hook(d, "h", f'touch "{marker}"')
        nobody(outer)
        return d

    variants = [
        ("world-writable hook", world_writable, "it is world-writable (mode 0757)"),
        ("group-writable hook", group_writable, "it is group-writable (mode 0775)"),
        ("hook owned by nobody", not_root, "it is owned by uid 65534, not root"),
        ("symlink into /tmp", symlink_into_tmp, "directory /tmp is world-writable"),
        ("symlink owned by nobody", symlink_owned_by_nobody, "symlink owned by uid 65534"),
        ("world-writable hooks.d", world_writable_hooks_dir, "is world-writable (mode 0777)"),
        ("sticky hooks.d", sticky_world_writable_hooks_dir, "is world-writable (mode 1777)"),
        ("parent owned by nobody", dir_owned_by_nobody, "outer is owned by uid 65534"),
    ]
    return variants


def test_every_unsafe_hook_is_refused_with_one_alert(tmp_path):
    for name, build, words in _unsafe_variants(tmp_path):
        marker = tmp_path / f"ran-{name.replace(' ', '-')}"
        directory = build(marker)
        alerts = []
        runner = HookRunner(str(directory), 5.0, on_alert=alerts.append)
        for i in range(3):  # three alerts: the hook is refused each time, alerted once
            runner.submit(ALERT, f"a{i}")
        runner.stop(wait=10)
        assert not marker.exists(), name
        assert len(alerts) == 1, (name, alerts)
        (refusal,) = alerts
        assert refusal.type == "hook_refused" and words in refusal.fields["reason"], (
            name,
            refusal.fields,
        )
        assert refusal.fields["hook"] == str(directory / "h")
        (outcome,) = run_hooks(str(directory), 5.0, ALERT, "x")
        assert outcome[1] is None and outcome[2].startswith("refused: "), name
    for leftover in tmp_path.parent.parent.parent.glob(f"kcrashd-hook-{os.getpid()}"):
        leftover.unlink()


def test_a_safe_symlinked_hook_runs(tmp_path):
    marker = tmp_path / "ran"
    real = hook(safe_dir(tmp_path, "real"), "h", f'touch "{marker}"')
    d = safe_dir(tmp_path)
    (d / "h").symlink_to(real)
    (outcome,) = run_hooks(str(d), 5.0, ALERT, "x")
    assert outcome[1:] == (0, None) and marker.exists()


def test_hooks_get_the_alert_in_environment_variables(tmp_path):
    out = tmp_path / "env"
    d = safe_dir(tmp_path)
    hook(d, "env", f'env | grep ^KCRASHD_ | sort > "{out}"')
    crash = Alert(
        "crash_report", Severity.CRIT, "kernel oops: x", {"incident": "158050bf26ff"}, "k"
    )
    run_hooks(str(d), 5.0, crash, "id1")
    env = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert env["KCRASHD_TYPE"] == "crash_report" and env["KCRASHD_SEVERITY"] == "crit"
    assert env["KCRASHD_SUMMARY"] == "kernel oops: x" and env["KCRASHD_ALERT_ID"] == "id1"
    assert env["KCRASHD_INCIDENT"] == "158050bf26ff"
    run_hooks(str(d), 5.0, ALERT, "id2")  # no incident: no variable
    assert "KCRASHD_INCIDENT=" not in out.read_text()


# A hook that leaves a child in its group and a setsid grandchild in a session of its own,
# each writing its pid, then (unless told to exit) hangs.
FORKER = """
sleep 300 &
echo $! > "{pids}/child"
setsid sh -c 'echo $$ > "{pids}/grandchild"; exec sleep 300' </dev/null >/dev/null 2>&1 &
while [ ! -s "{pids}/grandchild" ]; do sleep 0.05; done
{end}
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie waits for its parent (or init) to reap it


def _pids(directory) -> list:
    return [int((directory / n).read_text()) for n in ("child", "grandchild")]


def _wait_dead(pids, seconds=5.0) -> list:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


@pytest.mark.parametrize("end", ["sleep 300", "exit 0"], ids=["hangs", "exits"])
def test_no_hook_process_survives_its_timeout_or_exit(tmp_path, end):
    pids = tmp_path / "pids"
    pids.mkdir()
    d = safe_dir(tmp_path)
    hook(d, "forker", FORKER.format(pids=pids, end=end))
    start = time.monotonic()
    (outcome,) = run_hooks(str(d), 3.0, ALERT, "x")
    took = time.monotonic() - start
    children = _pids(pids)
    assert all(p > 1 for p in children)
    assert _wait_dead(children) == []
    if end == "exit 0":
        assert outcome[1:] == (0, None) and took < 3.0
    else:
        assert "timed out" in outcome[2]


def test_no_hook_process_survives_the_daemon_stop(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    d = safe_dir(tmp_path)
    hook(d, "forker", FORKER.format(pids=pids, end="sleep 300"))
    runner = HookRunner(str(d), 600.0)
    runner.submit(ALERT, "a1")
    deadline = time.monotonic() + 10
    while not (pids / "grandchild").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    children = _pids(pids)
    start = time.monotonic()
    runner.stop(wait=0.5)
    assert time.monotonic() - start < 5
    assert _wait_dead(children) == []
