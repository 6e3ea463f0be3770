"""pmsg breadcrumbs from a real daemon run: `kcrashd run --once` over a real journal (made
with systemd-journal-remote) of a boot that crashed, with the real journald taking the
alerts, on a root whose /dev/pmsg0 is a regular file (synthetic: these machines' kernels
have no CONFIG_PSTORE_PMSG). Each alert journald took leaves one line naming its id, the
readiness summary at start among them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid

import pytest

from tests import postmortem_roots as roots
from tests.conftest import PROJECT

pytestmark = pytest.mark.journald

ROOT = PROJECT / "tests" / "fixtures" / "roots" / "debian12-kdump-ready"


def test_every_alert_sent_leaves_a_breadcrumb_with_its_id(tmp_path, journald):
    info = roots.two_boots(tmp_path / "journal", "panic")
    root = tmp_path / "root"
    shutil.copytree(ROOT, root, symlinks=True)
    roots._write(root / "proc/sys/kernel/random/boot_id", str(uuid.UUID(hex=info["current"])))
    (root / "dev").mkdir(exist_ok=True)
    (root / "dev" / "pmsg0").write_text("")
    config = tmp_path / "kcrashd.yaml"
    config.write_text(f"metrics: {{textfile_directory: {tmp_path}}}\n")
    run = subprocess.run(
        [sys.executable, "-m", "kcrashd", "--config", str(config), "run", "--once",
         "--journal-dir", str(tmp_path / "journal"), "--state-dir", str(tmp_path / "state"),
         "--root", str(root)],
        cwd=PROJECT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    crumbs = [line.split(" ", 2)[2] for line in (root / "dev/pmsg0").read_text().splitlines()]
    sent = {c.split()[1]: c.split()[2] for c in crumbs if c.startswith("alert ")}
    assert {"readiness_summary", "previous_boot_crashed"} <= set(sent), crumbs
    for alert_type, alert_id in sent.items():
        found = subprocess.run(
            ["journalctl", "-o", "cat", f"KCRASHD_ALERT_ID={alert_id}"],
            capture_output=True, text=True, timeout=30,
        ).stdout  # fmt: skip
        assert found.strip(), f"{alert_type} {alert_id} left a breadcrumb but is not in the journal"
