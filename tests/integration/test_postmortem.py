"""Post-mortem over fixture roots and real journal files, with a real StateDB.

A start over a root where the previous boot panicked gives one incident and one alert with
every source merged; a second start gives none; the same panic on three boots counts 3.
The job sends its alerts itself (to the real journald): they are read back from the journal
and from the alerts table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd import config as kconfig
from kcrashd.daemon.jobs import DaemonContext, load_jobs
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Alert, Severity
from kcrashd.postmortem.collect import UNREADABLE_SIGNATURE, run_postmortem
from kcrashd.postmortem.job import PostmortemJob
from kcrashd.store import incidents
from kcrashd.store.state import StateDB
from tests import postmortem_roots as roots
from tests.conftest import PROJECT, journal_entries, require_tool

pytestmark = pytest.mark.journald


@pytest.fixture(autouse=True)
def _tools(journald):
    require_tool("journalctl")
    assert os.path.exists(roots.JOURNAL_REMOTE), "systemd-journal-remote is not installed"


def _ctx(root: Path, state: StateDB, boot: str, journal: Path, **pm) -> DaemonContext:
    cfg = kconfig.from_dict(
        {
            "journal": {"directory": str(journal)},
            "postmortem": pm,
            "hooks": {"directory": str(root / "no-hooks.d")},
        }
    )
    return DaemonContext(cfg, Root(str(root)), CommandRunner(), state, boot)


def _start(ctx: DaemonContext) -> list:
    """One daemon start of the job; the alerts it sent, as recorded in the alerts table."""
    assert PostmortemJob().run(ctx) == []  # it sends them itself, exactly once
    sent = ctx.memory["postmortem"]["alerts_sent"]
    rows = {
        r[0]: r
        for r in ctx.state.conn.execute(
            "SELECT alert_id, type, severity, summary, fields_json, dedup_key FROM alerts"
        ).fetchall()
    }
    return [
        Alert(rows[i][1], Severity(rows[i][2]), rows[i][3], json.loads(rows[i][4]), rows[i][5])
        for i in sent
    ]


def _crashed_root(tmp_path: Path) -> dict:
    info = roots.two_boots(tmp_path / "journal", "panic")
    root = tmp_path / "root"
    roots.ramoops(root, info["crash_time"], parts=2, compress_part=2)
    roots.systemd_pstore_archive(root, info["crash_time"])
    roots.debian_dump(root, info["crash_time"])
    info["root"] = root
    return info


def test_postmortem_job_is_first():
    assert isinstance(load_jobs()[0], PostmortemJob)


def test_one_incident_and_one_alert_per_crash_with_all_sources(tmp_path):
    info = _crashed_root(tmp_path)
    state = StateDB(str(tmp_path / "state" / "state.db"))
    ctx = _ctx(info["root"], state, info["current"], tmp_path / "journal")
    alerts = _start(ctx)
    assert [a.type for a in alerts] == ["previous_boot_crashed"]
    alert = alerts[0]
    assert alert.summary.startswith("previous boot crashed: ")
    assert "foo_ioctl" in alert.summary
    assert alert.fields["boot_id"] == info["previous"]
    assert alert.fields["sources"] == "journal, kdump, pstore"
    assert alert.fields["recurrence"] == "1"
    (inc,) = incidents.list_incidents(state)
    assert inc.boot_id == info["previous"]
    assert inc.kind == "page_fault" and inc.report.module == "foo_drv"
    assert inc.vmcore == "/var/crash/202403011230/dump.202403011230"
    paths = {e.path for e in inc.evidence}
    assert "/sys/fs/pstore/dmesg-ramoops-0" in paths  # the 2-part record (one compressed)
    assert "/sys/fs/pstore/console-ramoops-0" in paths
    # systemd-pstore's archive: its moved files, not the dmesg.txt made of them
    assert "/var/lib/systemd/pstore/1709295045/dmesg-efi-170929504501001" in paths
    assert "/var/crash/202403011230" in paths
    assert str(tmp_path / "journal") in paths
    pmsg = [e for e in inc.evidence if e.path == "/sys/fs/pstore/pmsg-ramoops-0"]
    assert pmsg and "snapshot 20240301-1210-memory" in pmsg[0].detail
    # nothing deleted by default
    assert (info["root"] / "sys/fs/pstore/dmesg-ramoops-0").exists()

    assert _start(ctx) == []  # a second start: every artifact was handled
    assert len(incidents.list_incidents(state)) == 1
    state.close()


def test_job_reads_the_journal_the_daemon_was_pointed_at(tmp_path):
    # `kcrashd run --journal-dir DIR` puts DIR in the context, not in the config: the
    # previous boot must come from DIR, not from the system journal.
    info = roots.two_boots(tmp_path / "journal", "panic")
    state = StateDB(str(tmp_path / "state" / "state.db"))
    cfg = kconfig.from_dict({"hooks": {"directory": str(tmp_path / "no-hooks.d")}})
    root = tmp_path / "root"
    root.mkdir()
    ctx = DaemonContext(
        cfg, Root(str(root)), CommandRunner(), state, info["current"],
        journal_dir=str(tmp_path / "journal"),
    )  # fmt: skip
    alerts = _start(ctx)
    assert [a.type for a in alerts] == ["previous_boot_crashed"]
    assert alerts[0].fields["boot_id"] == info["previous"]


def test_unclean_end_without_crash_is_an_unexplained_reset(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "reset")
    state = StateDB(str(tmp_path / "state.db"))
    ctx = _ctx(tmp_path / "root", state, info["current"], tmp_path / "journal")
    alerts = _start(ctx)
    assert [a.type for a in alerts] == ["unexplained_reset"]
    last_kernel_line = roots.NORMAL_KERNEL[-1].split("] ", 1)[1]
    assert alerts[0].fields["last_message"] == last_kernel_line
    assert alerts[0].fields["boot_id"] == info["previous"]
    assert incidents.list_incidents(state) == []
    assert _start(ctx) == []
    state.close()


def test_clean_shutdown_gives_nothing(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "clean")
    state = StateDB(str(tmp_path / "state.db"))
    out = run_postmortem(
        Root(str(tmp_path / "root")),
        _ctx(tmp_path, state, info["current"], tmp_path / "journal").config,
        state,
        info["current"],
        journal_dir=str(tmp_path / "journal"),
    )
    assert out.alerts == [] and out.incidents == [] and out.previous_boot_clean is True
    state.close()


def test_incomplete_dump_without_dmesg_is_still_a_crash(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "reset")
    root = tmp_path / "root"
    roots.rhel_dump(root, info["crash_time"], complete=False)
    state = StateDB(str(tmp_path / "state.db"))
    alerts = _start(_ctx(root, state, info["current"], tmp_path / "journal"))
    assert [a.type for a in alerts] == ["previous_boot_crashed"]
    (inc,) = incidents.list_incidents(state)
    assert inc.signature == UNREADABLE_SIGNATURE
    assert any("did not finish" in (e.detail or "") for e in inc.evidence)
    state.close()


def test_rhel_dump_and_journal_merge(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "panic")
    root = tmp_path / "root"
    roots.rhel_dump(root, info["crash_time"])
    state = StateDB(str(tmp_path / "state.db"))
    alerts = _start(_ctx(root, state, info["current"], tmp_path / "journal"))
    assert len(alerts) == 1
    (inc,) = incidents.list_incidents(state)
    assert inc.vmcore == "/var/crash/127.0.0.1-2024-03-01-12:30:45/vmcore"
    assert {e.source for e in inc.evidence} == {"kdump", "journal"}
    state.close()


def test_same_panic_on_three_boots_recurs_three_times(tmp_path):
    state = StateDB(str(tmp_path / "state.db"))
    seen = []
    for n in range(3):
        info = roots.two_boots(tmp_path / f"journal{n}", "panic")
        root = tmp_path / f"root{n}"
        roots.ramoops(root, info["crash_time"], parts=2)
        ctx = _ctx(root, state, info["current"], tmp_path / f"journal{n}")
        (alert,) = _start(ctx)
        seen.append(alert.fields["recurrence"])
    assert seen == ["1", "2", "3"]
    assert alert.fields["recurrence_text"] == "3rd time this crash in 30 days"
    (sig,) = {i.signature for i in incidents.list_incidents(state)}
    assert incidents.recurrence(state, sig) == 3
    state.close()


def test_delete_pstore_after_store(tmp_path):
    info = roots.two_boots(tmp_path / "journal", "panic")
    root = tmp_path / "root"
    roots.ramoops(root, info["crash_time"], parts=2)
    state = StateDB(str(tmp_path / "state.db"))
    ctx = _ctx(root, state, info["current"], tmp_path / "journal", delete_pstore_after_store=True)
    assert len(_start(ctx)) == 1
    assert os.listdir(root / "sys/fs/pstore") == []
    assert len(incidents.list_incidents(state)) == 1
    state.close()


def test_cli_sends_the_alert_to_journald_and_shows_next_steps(tmp_path, journald):
    info = _crashed_root(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    cfg = tmp_path / "kcrashd.yaml"
    cfg.write_text("{}\n")
    base = [sys.executable, "-m", "kcrashd", "--config", str(cfg)]
    state_dir = str(tmp_path / "state")

    def postmortem() -> subprocess.CompletedProcess:
        argv = ["postmortem", "--current-boot", info["current"], "--root", str(info["root"])]
        argv += ["--journal-dir", str(tmp_path / "journal"), "--state-dir", state_dir, "--json"]
        argv += ["--send"]  # another system's disk: alerts into this journal only when asked
        return subprocess.run(base + argv, capture_output=True, text=True, timeout=120, env=env)

    run = postmortem()
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert len(doc["incidents"]) == 1 and len(doc["alert_ids"]) == 1
    incident_id = doc["incidents"][0]["incident_id"]
    entries = journal_entries(
        "MESSAGE_ID=cbec07d392d94fcb8d9f199c3322afd5", f"KCRASHD_INCIDENT={incident_id}"
    )
    assert len(entries) == 1
    assert entries[0]["KCRASHD_ALERT_ID"] == doc["alert_ids"][0]
    assert entries[0]["MESSAGE"].startswith("previous boot crashed: ")
    assert json.loads(postmortem().stdout)["alerts"] == []

    listed = subprocess.run(
        base + ["incidents", "list", "--json", "--state-dir", state_dir],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    (row,) = json.loads(listed.stdout)["incidents"]
    assert row["incident_id"] == incident_id and row["sources"] == ["journal", "kdump", "pstore"]
    shown = subprocess.run(
        base + ["incidents", "show", incident_id[:6], "--state-dir", state_dir],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    # the disk's own paths: the post-mortem recorded its root in the state database
    vmlinux = f"{info['root']}/usr/lib/debug/boot/vmlinux-6.1.0-18-amd64"
    assert f"crash {vmlinux} {info['root']}/var/crash/202403011230/dump." in shown.stdout
    assert "addr2line -j <section of foo_ioctl" in shown.stdout
