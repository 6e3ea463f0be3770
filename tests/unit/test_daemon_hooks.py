"""Hooks: real executables, alert JSON on stdin, timeouts, skipped files, a worker thread."""

from __future__ import annotations

import json
import os
import time

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
