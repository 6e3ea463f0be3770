"""`kcrashd postmortem --root DIR` is sealed from the live host (issue 12): no live boot id,
no journal but the disk's own, state in the disk's own state directory unless --state-dir,
no alert into this host's journal unless --send; `incidents show` of its incidents looks
up evidence and debug files under the disk's root. Synthetic crashed hosts in the real
formats (tests/postmortem_roots.py), the real CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

from kcrashd.store.state import read_meta
from tests import postmortem_roots as roots
from tests.conftest import PROJECT, require_tool


def _kcrashd(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "kcrashd.yaml"
    cfg.write_text(f"hooks:\n  directory: {tmp_path / 'no-hooks.d'}\n")
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", "--config", str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _json(run: subprocess.CompletedProcess) -> Dict[str, Any]:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_disk_with_its_journal_keeps_its_state_and_sends_nothing(tmp_path):
    require_tool(roots.JOURNAL_REMOTE)
    info = roots.kdump_cycle(tmp_path)
    root = Path(info["root"])
    os.renames(info["journal"] / "system.journal", root / "var/log/journal/system.journal")
    doc = _json(
        _kcrashd(
            tmp_path, "postmortem", "--root", str(root), "--current-boot", info["report"],
            "--json",
        )
    )  # fmt: skip
    # its own journal: the boot before the report boot that is not the capture boot
    assert doc["previous_boot"] == info["crashed"]
    assert len(doc["incidents"]) == 1
    assert [a["type"] for a in doc["alerts"]] == ["previous_boot_crashed"]
    assert doc["sent"] == [] and doc["alert_ids"] == []  # owed: --send was not given
    state = root / "var/lib/kcrashd/state.db"
    assert state.exists()  # the disk's own state directory
    import sqlite3

    conn = sqlite3.connect(str(state))
    try:
        assert read_meta(conn, "postmortem_root") == str(root)
        (boot,) = conn.execute("SELECT boot_id FROM incidents").fetchone()
        assert boot == info["crashed"]
    finally:
        conn.close()


def test_a_disk_without_a_journal_never_reads_this_hosts(tmp_path):
    info = roots.kdump_cycle(tmp_path)  # its journal is left outside the root
    state_dir = tmp_path / "state"
    run = _kcrashd(
        tmp_path, "postmortem", "--root", str(info["root"]), "--state-dir", str(state_dir),
        "--json",
    )  # fmt: skip
    doc = _json(run)
    assert doc["previous_boot"] is None  # no live boot id, no live journal's boots
    artifacts = doc["artifacts"]
    assert {a["source"] for a in artifacts} == {"kdump", "pstore"}, artifacts
    assert {a["boot_id"] for a in artifacts} == {None}
    assert len(doc["incidents"]) == 1 and doc["sent"] == []


def test_incidents_show_looks_under_the_disks_root(tmp_path):
    info = roots.kdump_cycle(tmp_path)
    root = Path(info["root"])
    vmlinux = root / "usr/lib/debug/boot/vmlinux-6.1.0-18-amd64"
    vmlinux.parent.mkdir(parents=True)
    vmlinux.write_bytes(b"\x7fELF")
    doc = _json(
        _kcrashd(
            tmp_path, "postmortem", "--root", str(root), "--journal-dir", str(info["journal"]),
            "--current-boot", info["report"], "--json",
        )
    )  # fmt: skip
    (incident,) = doc["incidents"]
    shown = _kcrashd(tmp_path, "incidents", "--root", str(root), "show", incident["incident_id"])
    assert shown.returncode == 0, shown.stderr
    assert f"crash {vmlinux} {root}{info['vmcore']}" in shown.stdout, shown.stdout
    assert "no debug vmlinux" not in shown.stdout
