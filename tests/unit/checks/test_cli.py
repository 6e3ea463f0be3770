"""`kcrashd check`: exit codes, JSON, --only, --explain, --root, policy, colour, and a live
run on this machine as root and as an unprivileged user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.checks import engine
from kcrashd.checks.context import HostView
from kcrashd.checks.registry import BY_ID
from kcrashd.checks.render import render_text, use_colour
from kcrashd.checks.verdict import exit_code
from kcrashd.config import Config, from_dict
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Result, Status

PROJECT = Path(__file__).resolve().parents[3]
STATUSES = {s.value for s in Status}


def kcrashd(*args, user=None, env=None, timeout=60):
    argv = [sys.executable, "-m", "kcrashd", *args]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=PROJECT, env=full_env, timeout=timeout
    )


def check_document(proc) -> dict:
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == 1
    assert set(doc) >= {"host", "distro_family", "verdict", "exit_code", "results"}
    assert doc["exit_code"] == proc.returncode
    statuses = [r["status"] for r in doc["results"]]
    assert set(statuses) <= STATUSES
    expected = (
        2 if "CRIT" in statuses else 3 if "ERROR" in statuses else 1 if "WARN" in statuses else 0
    )
    assert proc.returncode == expected
    for r in doc["results"]:
        assert r["id"] in BY_ID and r["summary"]
        if r["status"] in ("WARN", "CRIT"):
            assert r["fix"]
    return doc


def test_exit_codes_like_nagios():
    def res(*statuses):
        return [Result(f"c{i}", s, "x", fix="f") for i, s in enumerate(statuses)]

    assert exit_code(res(Status.OK, Status.INFO, Status.SKIP)) == 0
    assert exit_code(res(Status.OK, Status.WARN)) == 1
    assert exit_code(res(Status.WARN, Status.ERROR)) == 3
    assert exit_code(res(Status.ERROR, Status.CRIT)) == 2


@pytest.mark.parametrize("user", [None, 65534], ids=["root", "nobody"])
def test_live_host(user):
    if os.geteuid() != 0:
        pytest.fail("the live test runs as root (CI runs as root)")
    proc = kcrashd("check", "--json", user=user)
    doc = check_document(proc)
    assert len(doc["results"]) == len(BY_ID)
    errors = [r for r in doc["results"] if r["status"] == "ERROR"]
    if user is None:
        assert not errors, doc["results"]
    else:  # unprivileged: what it cannot read is UNKNOWN (never OK), each says "run as root"
        by_id = {r["id"]: r for r in doc["results"]}
        assert by_id["state_directory"]["status"] == "ERROR"
        assert "run as root" in by_id["journal_previous_boot"]["summary"]
        assert errors and all(r["summary"].endswith("run as root") for r in errors), errors
        assert proc.returncode in (2, 3)  # UNKNOWN, unless a CRIT was found all the same
        assert "could not read what they need" in proc.stderr
        nagios = kcrashd("check", "--nagios", user=user)
        assert nagios.returncode == proc.returncode and "Traceback" not in nagios.stderr
        if proc.returncode == 3:
            assert nagios.stdout.startswith("KCRASHD UNKNOWN")
    text = kcrashd("check", user=user, env={"NO_COLOR": "1"})
    assert text.returncode == proc.returncode and "Traceback" not in text.stderr
    assert "\033[" not in text.stdout
    assert text.stdout.strip().splitlines()[-1] == doc["verdict"]


def test_root_only_explain_and_errors(roots):
    ready = str(roots / "rhel9-kdump-ready")
    proc = kcrashd("check", "--json", "--root", ready, "--only", "kdump_loaded", "panic_on_oops")
    doc = check_document(proc)
    assert [r["id"] for r in doc["results"]] == ["kdump_loaded", "panic_on_oops"]
    assert doc["distro_family"] == "rhel" and doc["host"] == "pg-03.example.com"
    assert proc.returncode == 0
    explain = kcrashd("check", "--explain", "kexec_load_policy")
    assert explain.returncode == 0 and "kexec_load_disabled" in explain.stdout
    for bad in (["--explain", "nope"], ["--only", "nope"], ["--root", "/nonexistent/dir"]):
        p = kcrashd("check", *bad)
        assert p.returncode == 3 and "Traceback" not in p.stderr and p.stderr


def test_config_policy(roots, tmp_path):
    cfg = tmp_path / "kcrashd.yaml"
    cfg.write_text("checks:\n  skip: [kdump_loaded]\n  severity: {panic_on_oops: INFO}\n")
    root = str(roots / "debian12-kdump-not-loaded")
    doc = check_document(kcrashd("--config", str(cfg), "check", "--json", "--root", root))
    by_id = {r["id"]: r for r in doc["results"]}
    assert by_id["kdump_loaded"]["status"] == "SKIP"
    assert by_id["panic_on_oops"]["status"] == "INFO"
    assert "policy: WARN reported as INFO" in by_id["panic_on_oops"]["summary"]
    cfg.write_text("checks:\n  severity: {panic_on_oops: MAYBE}\n")
    p = kcrashd("--config", str(cfg), "check", "--root", root)
    assert p.returncode == 3 and "MAYBE" in p.stderr
    cfg.write_text("checks: [\n")
    p = kcrashd("--config", str(cfg), "check")
    assert p.returncode == 3 and "invalid YAML" in p.stderr and "Traceback" not in p.stderr


def test_a_broken_check_is_an_error_not_a_traceback(roots, monkeypatch):
    module = BY_ID["nmi_panic"]

    def boom(host):
        raise ValueError("bad sysctl text")

    def denied(host):
        raise PermissionError(13, "Permission denied", "/proc/iomem")

    host = HostView(Root(str(roots / "vm-nothing-configured")), CommandRunner(), Config())
    monkeypatch.setattr(module, "run", boom)
    r = engine.run_one(module, host)
    assert r.status is Status.ERROR and "bad sysctl text" in r.summary
    monkeypatch.setattr(module, "run", denied)
    r = engine.run_one(module, host)
    assert r.status is Status.ERROR and r.summary == "cannot read /proc/iomem: run as root"
    assert engine.unreadable([r]) == [r]


def test_bad_file_contents_give_error(tmp_path):
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/panic").write_text("garbage\n")
    results = engine.run_checks(Root(str(tmp_path)), CommandRunner(), Config(), ["panic_timeout"])
    assert results[0].status is Status.ERROR
    # an empty root: every check answers, none crashes the run
    results = engine.run_checks(Root(str(tmp_path)), CommandRunner(), Config())
    assert len(results) == len(BY_ID)


def test_severity_override_only_touches_warn_and_crit():
    cfg = from_dict({"checks": {"severity": {"kdump_loaded": "warn", "kfence": "CRIT"}}})
    crit = Result("kdump_loaded", Status.CRIT, "not loaded", fix="load it")
    info = Result("kfence", Status.INFO, "off")
    assert engine.apply_override(crit, cfg.checks.severity).status is Status.WARN
    assert engine.apply_override(info, cfg.checks.severity) is info


class _Tty:
    def isatty(self):
        return True


def test_colour_only_on_a_tty(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    with open(os.devnull, "w") as devnull:
        assert use_colour(_Tty()) and not use_colour(devnull)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(_Tty())
    results = [Result("kdump_loaded", Status.CRIT, "not loaded", fix="kdump-config load")]
    out = render_text(results, {"host": "h"}, colour=True)
    assert "\033[1;31mCRIT" in out and "fix: kdump-config load" in out
