"""systemd/kcrashd.service: what the daemon relies on, its hardening score, and a comment
for every sandboxing directive it cannot use."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, require_tool

UNIT = PROJECT / "systemd" / "kcrashd.service"
MAX_EXPOSURE = 2.5


def _directives() -> dict:
    out: dict = {}
    for line in UNIT.read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def _comments() -> str:
    return "\n".join(ln for ln in UNIT.read_text().splitlines() if ln.startswith("#"))


@pytest.mark.parametrize(
    "key, value",
    [
        ("Type", "notify"),
        ("ExecStart", "/usr/bin/kcrashd run"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("Restart", "on-failure"),
        ("RestartPreventExitStatus", "78"),
        ("StateDirectory", "kcrashd"),
        ("StateDirectoryMode", "0700"),
        ("ConfigurationDirectory", "kcrashd"),
        ("WantedBy", "multi-user.target"),
    ],
)
def test_directive(key, value):
    assert value in _directives()[key]


def test_watchdog_and_ordering():
    d = _directives()
    assert re.fullmatch(r"\d+s?", d["WatchdogSec"][0])
    after = d["After"][0].split()
    assert "systemd-journald.service" in after and "systemd-pstore.service" in after


def test_exit_78_is_the_daemon_config_error_exit(tmp_path):
    # The unit's RestartPreventExitStatus must be what `kcrashd run` really exits with on a
    # bad config: run it and compare.
    bad = tmp_path / "kcrashd.yaml"
    bad.write_text("journal:\n  no_such_option: 1\n")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "kcrashd",
            "--config",
            str(bad),
            "run",
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT,
    )
    assert "no_such_option" in r.stderr
    assert str(r.returncode) in _directives()["RestartPreventExitStatus"][0].split()
    assert r.returncode != 0


def _exposure(unit_path) -> float:
    out = subprocess.run(
        [
            require_tool("systemd-analyze"),
            "security",
            "--offline=true",
            "--no-pager",
            str(unit_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", out.stdout)
    assert m, out.stdout + out.stderr
    return float(m.group(1))


def test_hardening_score():
    assert _exposure(UNIT) <= MAX_EXPOSURE


def test_score_reacts_to_the_unit(tmp_path):
    # The measurement is real: the same unit without its sandbox scores far worse.
    bare = tmp_path / "kcrashd.service"
    keep = ("[", "Description", "Type", "ExecStart", "WantedBy")
    bare.write_text("\n".join(ln for ln in UNIT.read_text().splitlines() if ln.startswith(keep)))
    assert _exposure(bare) > 9.0


def test_unused_sandboxing_is_explained():
    comments = _comments()
    d = _directives()
    # Each protection the daemon cannot use is absent and has a comment saying why.
    for directive in ("PrivateDevices", "ProtectKernelLogs", "PrivateNetwork", "ProcSubset"):
        assert directive not in d
        assert re.search(rf"Not {directive}=\S*:", comments), directive
    assert "User" not in d and "DynamicUser" not in d
    assert "User=/DynamicUser=" in comments
    # ...and each capability it keeps says what for.
    for cap in d["CapabilityBoundingSet"][0].split():
        assert re.search(rf"#\s+{cap}\s+\S", comments), cap
    for needed in ("/dev/kmsg", "/dev/pmsg0", "smartctl", "/var/crash", "/sys/fs/pstore"):
        assert needed in comments, needed


def test_devices_it_needs_are_allowed():
    d = _directives()
    assert d["DevicePolicy"] == ["closed"]
    allowed = {v.split()[0] for v in d["DeviceAllow"]}
    assert {"/dev/kmsg", "/dev/pmsg0", "block-sd", "char-nvme"} <= allowed


def test_systemd_accepts_every_directive(tmp_path):
    # `systemd-analyze verify` flags unknown keys and bad values; it needs the binaries
    # to exist, so verify a copy that runs /bin/true.
    unit = tmp_path / "kcrashd.service"
    text = UNIT.read_text().replace("/usr/bin/kcrashd run", shutil.which("true") or "/bin/true")
    unit.write_text(text.replace("Documentation=man:kcrashd(8)\n", ""))
    out = subprocess.run(
        [require_tool("systemd-analyze"), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        ln
        for ln in (out.stdout + out.stderr).splitlines()
        if "kcrashd.service" in ln and ("Unknown" in ln or "Failed" in ln or "Invalid" in ln)
    ]
    assert not problems, out.stdout + out.stderr


def test_the_textfile_directory_is_writable_and_may_be_absent():
    # the default metrics.textfile_directory, with "-" (a host without node_exporter still
    # starts); both packages ship it (test_packages), so it exists when the unit starts
    from kcrashd.config import Config

    textfile = Config().metrics.textfile_directory
    (paths,) = _directives()["ReadWritePaths"]
    assert f"-{textfile}" in paths.split()
