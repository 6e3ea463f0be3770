"""Post-mortem alerts are exactly once across crashes of kcrashd itself (real journald,
real StateDB files, real processes killed with SIGKILL).

- Crash between the commit of the incidents and the send: the incident stays owed (not
  alerted) and the next start sends its alert, once.
- Crash between the send and the commit: the next start finds the alert in the journal by
  its deterministic KCRASHD_ALERT_ID, records it and does not send it again. The crash is
  a real SIGKILL at a point tests.faults.block stops kcrashd at.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import List

import pytest

from kcrashd import config as kconfig
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.postmortem.collect import (
    crash_alert_id,
    pending_alerts,
    reset_alert_id,
    run_postmortem,
)
from kcrashd.postmortem.job import PostmortemJob
from kcrashd.store import alerts as alert_store
from kcrashd.store import incidents
from kcrashd.store.secret import alert_key
from kcrashd.store.state import StateDB
from tests import postmortem_roots as roots
from tests.conftest import PROJECT, journal_entries, require_tool

pytestmark = pytest.mark.journald
CRASHED_ID = "cbec07d392d94fcb8d9f199c3322afd5"
RESET_ID = "6fb1ee30614f4a0299bdf9e3868c1cab"


@pytest.fixture(autouse=True)
def _tools(journald):
    require_tool("journalctl")
    assert os.path.exists(roots.JOURNAL_REMOTE), "systemd-journal-remote is not installed"


def _config(tmp_path: Path, hooks: Path) -> kconfig.Config:
    return kconfig.from_dict(
        {"journal": {"directory": str(tmp_path / "journal")}, "hooks": {"directory": str(hooks)}}
    )


def _settled(*matches: str) -> List[dict]:
    """Journal entries matching, once journald has processed everything sent before: a
    sentinel sent now is seen only after every earlier datagram."""
    from systemd import journal

    tag = uuid.uuid4().hex
    journal.send("kcrashd test sentinel", SYSLOG_IDENTIFIER="kcrashd-test", KCRASHD_SENTINEL=tag)
    assert journal_entries(f"KCRASHD_SENTINEL={tag}"), "journald did not record the sentinel"
    return journal_entries(*matches, timeout=0)


def _hook(directory: Path, out: Path) -> None:
    directory.mkdir()
    hook = directory / "50-record"
    hook.write_text(f"#!/bin/sh\ncat >> {out}\n")
    hook.chmod(0o755)


def test_crash_between_commit_and_send_alerts_at_the_next_start(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "panic")
    root = tmp_path / "root"
    roots.ramoops(root, info["crash_time"], parts=2)
    hook_out = tmp_path / "hook.jsonl"
    _hook(tmp_path / "hooks.d", hook_out)
    cfg = _config(tmp_path, tmp_path / "hooks.d")
    db = str(tmp_path / "state" / "state.db")

    # The first start commits the incident, then kcrashd dies before sending.
    state = StateDB(db)
    out = run_postmortem(
        Root(str(root)), cfg, state, info["current"], journal_dir=str(tmp_path / "journal")
    )
    ((incident_id, created),) = out.incidents
    assert created and [a.type for a in out.alerts] == ["previous_boot_crashed"]
    state.close()

    state = StateDB(db)  # the next start: a new process, the same file
    assert not incidents.is_alerted(state, incident_id)
    assert [p.alert_id for p in pending_alerts(state)] == [
        crash_alert_id(incident_id, alert_key(state))
    ]
    ctx = DaemonContext(cfg, Root(str(root)), CommandRunner(), state, info["current"])
    assert PostmortemJob().run(ctx) == []
    assert ctx.memory["postmortem"]["alerts_sent"] == [
        crash_alert_id(incident_id, alert_key(state))
    ]
    entries = _settled(f"MESSAGE_ID={CRASHED_ID}", f"KCRASHD_INCIDENT={incident_id}")
    assert len(entries) == 1
    assert entries[0]["KCRASHD_ALERT_ID"] == crash_alert_id(incident_id, alert_key(state))
    assert entries[0]["KCRASHD_BOOT_ID"] == info["previous"]
    assert incidents.is_alerted(state, incident_id)
    assert alert_store.alert_exists(state, crash_alert_id(incident_id, alert_key(state)))
    assert pending_alerts(state) == []

    # Hooks saw it too (they run in the background: wait for the line).
    deadline = time.monotonic() + 10
    while not hook_out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (doc,) = [json.loads(line) for line in hook_out.read_text().splitlines()]
    assert doc["alert_id"] == crash_alert_id(incident_id, alert_key(state))

    # A third start: nothing owed, nothing sent.
    ctx = DaemonContext(cfg, Root(str(root)), CommandRunner(), state, info["current"])
    PostmortemJob().run(ctx)
    assert ctx.memory["postmortem"]["alerts_sent"] == []
    assert len(_settled(f"MESSAGE_ID={CRASHED_ID}", f"KCRASHD_INCIDENT={incident_id}")) == 1
    state.close()


def test_unexplained_reset_owed_by_a_crash_is_sent_once(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "reset")
    cfg = _config(tmp_path, tmp_path / "no-hooks.d")
    db = str(tmp_path / "state.db")
    state = StateDB(db)
    out = run_postmortem(
        Root(str(tmp_path / "root")),
        cfg,
        state,
        info["current"],
        journal_dir=str(tmp_path / "journal"),
    )
    assert [a.type for a in out.alerts] == ["unexplained_reset"]
    state.close()  # died before sending
    for _ in range(2):
        state = StateDB(db)
        ctx = DaemonContext(cfg, Root(str(tmp_path / "root")), CommandRunner(), state, None)
        PostmortemJob().run(ctx)
        state.close()
    entries = _settled(f"MESSAGE_ID={RESET_ID}", f"KCRASHD_BOOT_ID={info['previous']}")
    assert len(entries) == 1
    key = alert_key(StateDB(db))
    assert entries[0]["KCRASHD_ALERT_ID"] == reset_alert_id(info["previous"], key)


def _argv(tmp_path: Path, info: dict, launcher: List[str]) -> List[str]:
    cfg = tmp_path / "kcrashd.yaml"
    cfg.write_text(f"hooks:\n  directory: {tmp_path / 'no-hooks.d'}\n")
    argv = [sys.executable, *launcher, "--config", str(cfg), "postmortem", "--json"]
    argv += ["--current-boot", info["current"], "--root", str(info["root"]), "--send"]
    return argv + [
        "--journal-dir",
        str(tmp_path / "journal"),
        "--state-dir",
        str(tmp_path / "state"),
    ]


def test_crash_between_send_and_commit_does_not_send_twice(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "panic")
    info["root"] = tmp_path / "root"
    roots.debian_dump(info["root"], info["crash_time"])
    env = dict(os.environ, PYTHONPATH=str(PROJECT))

    # kcrashd stops dead right after the journald send, before the commit; once the alert
    # is in the journal it is killed with SIGKILL.
    block = ["-m", "tests.faults.block", "after-send", "previous_boot_crashed", "--"]
    killed = subprocess.Popen(
        _argv(tmp_path, info, block), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        sent = journal_entries(f"MESSAGE_ID={CRASHED_ID}", f"KCRASHD_BOOT_ID={info['previous']}")
        assert len(sent) == 1
    finally:
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(30) == -signal.SIGKILL
        stderr = killed.stderr.read().decode() if killed.stderr else ""
    assert "blocking" in stderr, stderr
    state = StateDB(str(tmp_path / "state" / "state.db"))
    ((incident_id,),) = state.conn.execute("SELECT incident_id FROM incidents").fetchall()
    assert not incidents.is_alerted(state, incident_id)  # the commit never happened
    assert not alert_store.alert_exists(state, crash_alert_id(incident_id, alert_key(state)))
    state.close()
    matches = (f"MESSAGE_ID={CRASHED_ID}", f"KCRASHD_INCIDENT={incident_id}")
    assert len(_settled(*matches)) == 1

    again = subprocess.run(
        _argv(tmp_path, info, ["-m", "kcrashd"]),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert again.returncode == 0, again.stderr
    state = StateDB(str(tmp_path / "state" / "state.db"))
    alert_id = crash_alert_id(incident_id, alert_key(state))
    assert json.loads(again.stdout)["alert_ids"] == [alert_id]
    (entry,) = _settled(*matches)  # still exactly one
    assert entry["KCRASHD_ALERT_ID"] == alert_id
    assert incidents.is_alerted(state, incident_id)
    assert alert_store.alert_exists(state, alert_id)
    assert pending_alerts(state) == []
    state.close()


def _oops_record(root: Path, when: float) -> None:
    """A pstore dmesg record of an oops the kernel survived (reason Oops, no panic)."""
    lines = [line for line in roots.crash_lines() if "Kernel panic" not in line]
    for i, text in enumerate(roots.pstore_parts(lines, 1, reason="Oops")):
        roots._write(root / f"sys/fs/pstore/dmesg-ramoops-{i}", text, when)


def test_an_oops_nobody_alerted_is_alerted_once_and_an_alerted_one_is_not(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "clean")
    root = tmp_path / "root"
    _oops_record(root, info["crash_time"])
    cfg = _config(tmp_path, tmp_path / "no-hooks.d")
    state = StateDB(str(tmp_path / "state.db"))
    ctx = DaemonContext(cfg, Root(str(root)), CommandRunner(), state, info["current"])
    PostmortemJob().run(ctx)
    ((incident_id,),) = state.conn.execute("SELECT incident_id FROM incidents").fetchall()
    assert ctx.memory["postmortem"]["alerts_sent"] == [
        crash_alert_id(incident_id, alert_key(state))
    ]
    (entry,) = _settled(f"MESSAGE_ID={CRASHED_ID}", f"KCRASHD_INCIDENT={incident_id}")
    assert entry["KCRASHD_ENDED_BOOT"] == "no"
    assert "never alerted" in entry["MESSAGE"]
    state.close()

    # The same oops, but the live pipeline alerted it during that boot: nothing owed.
    info = roots.two_boots(tmp_path / "journal2", "clean")
    root = tmp_path / "root2"
    _oops_record(root, info["crash_time"])
    state = StateDB(str(tmp_path / "state2.db"))
    cfg = kconfig.from_dict({"journal": {"directory": str(tmp_path / "journal2")}})
    from kcrashd.parse import parse_text
    from kcrashd.postmortem.collect import crash_report

    report = crash_report(parse_text("\n".join(roots.crash_lines())))
    with state.transaction() as c:
        live_id, _ = incidents.upsert_incident(c, report, info["previous"], [])
        incidents.mark_alerted(c, live_id)
    ctx = DaemonContext(cfg, Root(str(root)), CommandRunner(), state, info["current"])
    PostmortemJob().run(ctx)
    assert ctx.memory["postmortem"]["incidents"] == [live_id]
    assert ctx.memory["postmortem"]["alerts_sent"] == []
    state.close()
