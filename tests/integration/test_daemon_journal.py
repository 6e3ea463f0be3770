"""`kcrashd run` against a real systemd-journald, kernel lines written to /dev/kmsg.

Each test uses its own state directory and a unique tag in its oops (the guilty function
and the Comm), and starts the daemon at the journal's current end so that it does not
alert the oopses of earlier runs.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import pytest

from kcrashd.alerts.types import message_id
from kcrashd.store.positions import Position, save_position
from kcrashd.store.state import StateDB
from tests import helpers
from tests.conftest import PROJECT, journal_entries, write_kmsg
from tests.faults.harness import Notify, default_config

pytestmark = [pytest.mark.journald, pytest.mark.root]

CRASH = message_id("crash_report")
WATCHERS = ("memory", "fd", "thermal", "disk", "edac", "kernel_counters")


def oops_lines(tag: str, address: str = "0000000000000000") -> List[str]:
    """An oops whose guilty function and Comm carry the test's tag."""
    return helpers.oops_lines(f"kct_{tag}_read", f"kct{tag[:8]}", address)


def written_system_file() -> List[str]:
    """The system journal file still written, by its name: just after a rotation the
    archived file's header may still say online (journald 252 marks it archived from a
    thread, after an fsync), so its state does not tell the two apart yet."""
    from kcrashd.host.journal_headers import local_journal_paths

    return [p for p in local_journal_paths() if os.path.basename(p) == "system.journal"]


def journal_tail_cursor() -> Optional[str]:
    from systemd import journal

    reader = journal.Reader()
    reader.add_match("_TRANSPORT=kernel")
    reader.this_boot()
    reader.seek_tail()
    found = reader._previous()
    cursor = reader._get_cursor() if found else None
    reader.close()
    return cursor


def start_at_journal_end(state_dir: Path) -> None:
    """Commit the journal's last kernel entry as the daemon's position (as if it had run)."""
    # Give journald a moment to store what earlier tests wrote to /dev/kmsg.
    time.sleep(0.3)
    cursor = journal_tail_cursor()
    if cursor is None:
        return
    db = StateDB(str(state_dir / "state.db"))
    with db.transaction() as c:
        boot = cursor.split("b=")[1].split(";")[0]
        save_position(c, "journal", Position(cursor, boot))
    db.close()


class Daemon:
    def __init__(self, tmp: Path, config_text: str = "", env: Optional[dict] = None) -> None:
        self.tmp = tmp
        self.state = tmp / "state"
        self.config = tmp / "etc" / "kcrashd.yaml"
        if not self.config.exists():
            self.config.parent.mkdir(parents=True, exist_ok=True)
            self.config.write_text(config_text or default_config(tmp))
        self.env = dict(os.environ, **(env or {}))
        self.proc: Optional[subprocess.Popen] = None
        self.notify: Optional[Notify] = None
        self.log = tmp / "daemon.log"

    def start(self, wait_ready: bool = True, extra: tuple = (), block: tuple = ()) -> Daemon:
        """Start `kcrashd run`; block=(POINT, TYPE): it stops dead at that point of sending
        an alert of that type (tests.faults.block)."""
        sock = self.tmp / f"notify-{time.monotonic_ns()}"
        self.notify = Notify(sock)
        env = dict(self.env, NOTIFY_SOCKET=str(sock), WATCHDOG_USEC="2000000")
        env["WATCHDOG_PID"] = ""  # the daemon's pid is not known before it starts
        launcher = ["-m", "kcrashd"]
        if block:
            launcher = ["-m", "tests.faults.block", *block, "--"]
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, *launcher, "--config", str(self.config), "run"]
                + ["--state-dir", str(self.state), *extra],
                cwd=PROJECT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        if wait_ready:
            assert self.notify.wait_for("READY=1"), self.logs()
        return self

    def logs(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        if self.notify:
            self.notify.close()
        return code

    def db(self, sql: str, *params) -> list:
        conn = sqlite3.connect(str(self.state / "state.db"), timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def wait_db(self, sql: str, *params, want=lambda rows: bool(rows), timeout=20.0) -> list:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.db(sql, *params)
            if want(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)


DEVKMSG = Path("/proc/sys/kernel/printk_devkmsg")


@pytest.fixture(scope="module")
def unlimited_kmsg():
    """The kernel rate-limits writes to /dev/kmsg (10 lines per 5 s by default), which cuts
    an injected oops short: lift the limit while these tests run."""
    old = DEVKMSG.read_text().strip()
    DEVKMSG.write_text("on\n")
    yield
    DEVKMSG.write_text(old + "\n")


@pytest.fixture
def daemon(journald, unlimited_kmsg, tmp_path):
    d = Daemon(tmp_path)
    d.state.mkdir()
    start_at_journal_end(d.state)
    yield d
    if d.proc is not None and d.proc.poll() is None:
        d.stop()


def crash_alerts(tag: str, want: int = 1, timeout: float = 15.0) -> List[dict]:
    return journal_entries(
        f"MESSAGE_ID={CRASH}", f"KCRASHD_FUNCTION=kct_{tag}_read", want=want, timeout=timeout
    )


def test_oops_alerts_through_journald_with_fields(daemon, unique_tag):
    hook_out = daemon.tmp / "hook.json"
    hook = daemon.tmp / "hooks.d" / "50-capture"
    hook.write_text(f'#!/bin/sh\ncat >> "{hook_out}"\n')  # one JSON line per alert
    hook.chmod(0o755)
    daemon.start()
    write_kmsg(oops_lines(unique_tag))
    (entry,) = crash_alerts(unique_tag)
    assert entry["SYSLOG_IDENTIFIER"] == "kcrashd"
    assert entry["PRIORITY"] == "2"
    assert entry["KCRASHD_KIND"] == "page_fault"
    assert entry["KCRASHD_MODULE"] == "kct_mod"
    assert entry["KCRASHD_TAINT"] == "GO"
    assert entry["KCRASHD_REPEAT_COUNT"] == "1"
    assert f"kct_{unique_tag}_read" in entry["KCRASHD_SIGNATURE"]
    assert entry["KCRASHD_SOURCE_POSITION"].startswith("s=")
    # the alert is sent, then committed with the incident: wait for the commit
    incident = entry["KCRASHD_INCIDENT"]
    # recorded as sent (and the incident alerted) once the daemon has seen journald store it
    rows = daemon.wait_db("SELECT 1 FROM alerts WHERE alert_id=?", entry["KCRASHD_ALERT_ID"])
    assert rows == [(1,)]
    assert daemon.db("SELECT alerted FROM incidents WHERE incident_id=?", incident) == [(1,)]
    # the hook ran with the same alert on stdin (beside the readiness summary of the start,
    # which may come before or after it)
    deadline = time.monotonic() + 10
    crashes: List[dict] = []
    while not crashes and time.monotonic() < deadline:
        time.sleep(0.1)
        sent = hook_out.read_text().splitlines() if hook_out.exists() else []
        crashes = [d for d in map(json.loads, sent) if d["type"] == "crash_report"]
    assert [d["alert_id"] for d in crashes] == [entry["KCRASHD_ALERT_ID"]]
    # status document
    status = json.loads(daemon.db("SELECT value FROM meta WHERE key='status'")[0][0])
    assert status["source"] == "journal" and status["pid"] == daemon.proc.pid
    assert daemon.notify.wait_for("WATCHDOG=1", 5)  # WATCHDOG_USEC=2 s: a ping every 1 s
    assert daemon.stop() == 0


def hung_task_lines(tag: str) -> List[str]:
    """A hung task report (no end marker) whose guilty function carries the test's tag."""
    return [
        f"INFO: task kct{tag[:8]}:312 blocked for more than 120 seconds.",
        "      Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1",
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        f"task:kct{tag[:8]}     state:D stack:0     pid:312   ppid:2      flags:0x00004000",
        "Call Trace:",
        " <TASK>",
        " __schedule+0x351/0xa20",
        " schedule+0x5d/0xe0",
        " io_schedule+0x42/0x70",
        f" kct_{tag}_commit+0x1612/0x1a30 [kct_mod]",
        " kthread+0xd7/0x100",
        " ret_from_fork+0x1f/0x30",
        " </TASK>",
    ]


def with_journal_config(daemon, gap: float, grace: float) -> None:
    text = daemon.config.read_text()
    daemon.config.write_text(
        text.replace(
            "report_gap_seconds: 1.0",
            f"report_gap_seconds: {gap}\n  end_grace_seconds: {grace}",
        )
    )


def test_oops_is_alerted_at_its_end_marker_not_after_a_grace(daemon, unique_tag):
    # a grace and a gap of 60 s: an alert that waited for either would not be here in 15 s
    with_journal_config(daemon, gap=60, grace=60)
    daemon.start()
    write_kmsg(oops_lines(unique_tag))
    (entry,) = crash_alerts(unique_tag, timeout=15)
    assert entry["KCRASHD_REPORT"].splitlines()[-1].startswith("---[ end trace")
    assert daemon.stop() == 0


def test_panic_after_the_end_marker_is_no_second_report(daemon, unique_tag):
    daemon.start()
    write_kmsg(oops_lines(unique_tag))
    (entry,) = crash_alerts(unique_tag)
    write_kmsg(
        [
            f"Kernel panic - not syncing: Fatal exception kct{unique_tag}",
            "Kernel Offset: disabled",
            f"---[ end Kernel panic - not syncing: Fatal exception kct{unique_tag} ]---",
        ],
        level=0,
    )
    # a line after the tail ends it; then every line up to it has been read and committed
    write_kmsg([f"kcrashd-test {unique_tag} after the panic"], level=6)
    marker = journal_entries(f"MESSAGE=kcrashd-test {unique_tag} after the panic")[0]
    daemon.wait_db(
        "SELECT position FROM positions WHERE source='journal' AND position LIKE ?",
        f"%{marker['__CURSOR'].split(';')[1]}%",  # the marker's seqnum part
        timeout=10,
    )
    assert daemon.stop() == 0
    kinds = daemon.db("SELECT kind FROM reports")
    assert kinds == [("page_fault",)], "the panic echo of a sent oops made a report of its own"


def test_report_without_an_end_marker_ends_on_the_quiet_not_the_gap(daemon, unique_tag):
    with_journal_config(daemon, gap=60, grace=0.2)
    daemon.start()
    write_kmsg(hung_task_lines(unique_tag), level=3)
    (entry,) = journal_entries(
        f"MESSAGE_ID={CRASH}", f"KCRASHD_FUNCTION=kct_{unique_tag}_commit", timeout=15
    )
    assert entry["KCRASHD_KIND"] == "hung_task"
    assert entry["KCRASHD_REPORT"].splitlines()[-1] == " </TASK>"  # whole: not cut early
    assert daemon.stop() == 0


def test_report_without_an_end_marker_ends_on_the_next_header(daemon, unique_tag):
    # quiet and gap of 60 s: only the oops's header can end the hung task report in time
    with_journal_config(daemon, gap=60, grace=60)
    daemon.start()
    write_kmsg(hung_task_lines(unique_tag), level=3)
    write_kmsg(oops_lines(unique_tag))
    (hung,) = journal_entries(
        f"MESSAGE_ID={CRASH}", f"KCRASHD_FUNCTION=kct_{unique_tag}_commit", timeout=15
    )
    assert hung["KCRASHD_KIND"] == "hung_task" and "NULL pointer" not in hung["KCRASHD_REPORT"]
    (oops,) = crash_alerts(unique_tag, timeout=15)
    assert oops["KCRASHD_KIND"] == "page_fault"
    assert daemon.stop() == 0


def test_oops_alert_is_in_the_journal_before_its_snapshot_exists(daemon, unique_tag):
    # stopped dead right after journald took the alert: the snapshot it names is not taken
    daemon.start(block=("after-send", "crash_report"))
    write_kmsg(oops_lines(unique_tag))
    (entry,) = crash_alerts(unique_tag)
    sid = entry["KCRASHD_SNAPSHOT"]
    assert sid
    assert not (daemon.state / "snapshots" / f"{sid}.json").exists()
    daemon.proc.kill()
    daemon.proc.wait(10)


def test_snapshot_named_by_an_oops_alert_is_taken_and_linked(daemon, unique_tag):
    daemon.start()
    write_kmsg(oops_lines(unique_tag))
    (entry,) = crash_alerts(unique_tag)
    sid = entry["KCRASHD_SNAPSHOT"]
    path = daemon.state / "snapshots" / f"{sid}.json"
    deadline = time.monotonic() + 15
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    doc = json.loads(path.read_text())
    assert doc["id"] == sid and doc["reason"].startswith("kernel page_fault:")
    rows = daemon.wait_db(
        "SELECT snapshot_id FROM incidents WHERE incident_id=?", entry["KCRASHD_INCIDENT"]
    )
    assert rows == [(sid,)]
    assert daemon.stop() == 0


def test_lines_passed_over_unfed_advance_the_position(daemon, unique_tag):
    # Only lines the parser cannot need arrive (none is fed to it): the daemon must go on,
    # commit the position after them, and alert the oops that follows at once.
    before = daemon.db("SELECT position FROM positions WHERE source='journal'")
    daemon.start()
    write_kmsg([f"kct{unique_tag}: link is up, nothing to see {i}" for i in range(3)])
    rows = daemon.wait_db(
        "SELECT position FROM positions WHERE source='journal'",
        want=lambda r: r and r != before,
        timeout=10,
    )
    assert rows and rows != before
    write_kmsg(oops_lines(unique_tag))
    assert len(crash_alerts(unique_tag)) == 1
    assert daemon.stop() == 0
    assert "processing kernel messages failed" not in daemon.logs()


def test_same_oops_twice_is_one_alert_and_a_repeat_count(daemon, unique_tag):
    daemon.start()
    write_kmsg(oops_lines(unique_tag))
    assert len(crash_alerts(unique_tag)) == 1
    write_kmsg(oops_lines(unique_tag, address="0000000000000008"))
    rows = daemon.wait_db(
        "SELECT count FROM reports WHERE signature LIKE ?",
        f"%kct_{unique_tag}_read%",
        want=lambda r: r and r[0][0] == 2,
    )
    assert rows == [(2,)]
    assert daemon.stop() == 0
    time.sleep(0.5)
    assert len(crash_alerts(unique_tag, want=2, timeout=1)) == 1


@pytest.mark.parametrize("point", ["after-send", "at-confirm"])
def test_sigkill_while_delivering_gives_exactly_one_alert(daemon, unique_tag, point):
    # after-send: killed right after journald took the alert, before any commit.
    # at-confirm: killed once the alert is owed in the outbox, before it is recorded.
    # Either way the next start records it from the journal and does not send it again.
    daemon.start(block=(point, "crash_report"))
    write_kmsg(oops_lines(unique_tag))
    (first,) = crash_alerts(unique_tag)
    deadline = time.monotonic() + 10
    while "blocking" not in daemon.logs() and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon.proc.send_signal(signal.SIGKILL)
    assert daemon.proc.wait(20) == -signal.SIGKILL
    assert daemon.db("SELECT COUNT(*) FROM alerts WHERE type='crash_report'") == [(0,)]
    owed = daemon.db("SELECT alert_id, sent IS NOT NULL FROM outbox WHERE type='crash_report'")
    assert owed == ([] if point == "after-send" else [(first["KCRASHD_ALERT_ID"], 1)])
    daemon.start()
    rows = daemon.wait_db("SELECT alert_id FROM alerts WHERE type='crash_report'")
    assert rows == [(first["KCRASHD_ALERT_ID"],)]
    left = daemon.wait_db("SELECT COUNT(*) FROM outbox", want=lambda r: r == [(0,)])
    assert left == [(0,)]
    assert daemon.stop() == 0
    assert len(crash_alerts(unique_tag, want=2, timeout=1)) == 1


def test_rotation_during_the_run_loses_nothing(daemon, unique_tag):
    daemon.start()
    lines = oops_lines(unique_tag + "a")
    write_kmsg(lines[:10])
    subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)
    write_kmsg(lines[10:])
    (a,) = crash_alerts(unique_tag + "a")
    subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)
    write_kmsg(oops_lines(unique_tag + "b"))
    (b,) = crash_alerts(unique_tag + "b")
    assert "KCRASHD_CORRUPTED" not in a and b["KCRASHD_REPEAT_COUNT"] == "1"
    assert "Call Trace" in a["KCRASHD_REPORT"] and "end trace" in a["KCRASHD_REPORT"]
    assert daemon.stop() == 0
    assert "journal files changed" in json.dumps(
        json.loads(daemon.db("SELECT value FROM meta WHERE key='status'")[0][0])
    )


def test_an_unsafe_hook_is_refused_with_one_alert(daemon, unique_tag):
    # A world-writable hook (anyone could have put a command of theirs in it) next to a safe
    # one: the safe one runs for every alert, the planted one never, and one hook_refused
    # alert in the journal says which file and why.
    ran = daemon.tmp / "planted-ran"
    planted = daemon.tmp / "hooks.d" / f"60-{unique_tag}"
    planted.write_text(f'#!/bin/sh\ntouch "{ran}"\n')
    planted.chmod(0o757)
    safe_out = daemon.tmp / "safe.json"
    safe = daemon.tmp / "hooks.d" / "50-safe"
    safe.write_text(f'#!/bin/sh\ncat >> "{safe_out}"\n')
    safe.chmod(0o755)
    daemon.start()
    write_kmsg(oops_lines(unique_tag))
    assert len(crash_alerts(unique_tag)) == 1
    refused_id = f"MESSAGE_ID={message_id('hook_refused')}"
    (refused,) = journal_entries(refused_id, f"KCRASHD_HOOK={planted}", timeout=15)
    assert refused["KCRASHD_REASON"] == "it is world-writable (mode 0757)"
    write_kmsg(oops_lines(unique_tag + "b"))  # another alert: refused again, alerted once
    assert len(crash_alerts(unique_tag + "b")) == 1
    time.sleep(2)
    assert len(journal_entries(refused_id, f"KCRASHD_HOOK={planted}", timeout=0)) == 1
    assert not ran.exists()
    sent = [json.loads(line)["type"] for line in safe_out.read_text().splitlines()]
    assert sent.count("crash_report") == 2 and "hook_refused" in sent
    assert daemon.stop() == 0


def _reload_and_wait(daemon, config_text: str, logged: str) -> str:
    """Write the config, SIGHUP, and wait (10 s at most) until the logs say `logged`."""
    daemon.config.write_text(config_text)
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while logged not in daemon.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    return daemon.logs()


def test_reload_refuses_a_bad_config_and_applies_a_good_one(daemon, unique_tag):
    daemon.start()
    good = daemon.config.read_text()
    daemon.config.write_text(good + "alerts:\n  storm_windw: 5\n  storm_summary_every: 0\n")
    daemon.proc.send_signal(signal.SIGHUP)
    assert daemon.notify.wait_for("config reload refused", 10), daemon.logs()
    logs = daemon.logs()
    assert "keeping the running config" in logs
    assert "alerts.storm_windw: unknown key" in logs
    assert "alerts.storm_summary_every: must be at least 1" in logs
    # a hostile file (aliases, a NaN) is refused the same way, at once and without a hang
    hostile = good + "a: &a [*a, *a]\nwatchers:\n  memory:\n    x: .nan\n"
    logs = _reload_and_wait(daemon, hostile, "YAML aliases")
    assert "kcrashd.yaml: invalid YAML: a.0: YAML aliases (*name) are not allowed" in logs
    # still alerting with the old config
    write_kmsg(oops_lines(unique_tag))
    assert len(crash_alerts(unique_tag)) == 1
    logs = _reload_and_wait(daemon, good + "alerts:\n  storm_summary_every: 7\n", "config reloaded")
    assert "alerts.storm_summary_every: 100 -> 7" in logs
    assert daemon.stop() == 0


def test_bad_config_at_start_exits_78_listing_every_error(tmp_path):
    d = Daemon(tmp_path, config_text="journal:\n  source: tape\nnope: 1\n")
    d.start(wait_ready=False)
    assert d.proc.wait(30) == 78
    logs = d.logs()
    assert "journal.source: must be one of" in logs and "nope: unknown key" in logs


def test_status_command(daemon, unique_tag):
    daemon.start()
    # the readiness checks run once at start: their summary first, so the oops is the last
    daemon.wait_db("SELECT 1 FROM alerts WHERE type='readiness_summary'")
    write_kmsg(oops_lines(unique_tag))
    assert len(crash_alerts(unique_tag)) == 1
    time.sleep(2.5)  # the status document is rewritten at most every 2 s
    out = subprocess.run(
        [sys.executable, "-m", "kcrashd", "status", "--json", "--state-dir", str(daemon.state)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    doc = json.loads(out.stdout)
    assert out.returncode == 0 and doc["running"] is True
    assert doc["alerts_this_boot"] >= 1 and doc["last_alert"]["type"] == "crash_report"
    assert doc["position"].startswith("s=")
    daemon.stop()
    out = subprocess.run(
        [sys.executable, "-m", "kcrashd", "status", "--state-dir", str(daemon.state)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 3 and "not running" in out.stdout


def test_status_without_state(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kcrashd", "status", "--state-dir", str(tmp_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 3 and "has not run" in out.stderr


def test_kmsg_source_alerts_and_resumes_by_sequence(daemon, unique_tag):
    from kcrashd.sources.kmsg import KmsgSource

    d = daemon
    d.config.write_text(d.config.read_text().replace("journal:\n", "journal:\n  source: kmsg\n"))
    probe = KmsgSource(None, None)
    probe.open()
    last = probe.read(1_000_000)[-1]
    probe.close()
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")
    db = StateDB(str(d.state / "state.db"))
    with db.transaction() as c:
        save_position(c, "kmsg", Position(last.position, boot))  # skip the old ring buffer
    db.close()
    d.start()
    # Read straight from /dev/kmsg the lines carry no "kernel: " tag (journald strips it).
    with open("/dev/kmsg", "w") as kmsg:
        for line in oops_lines(unique_tag):
            kmsg.write(f"<4>{line}\n")
            kmsg.flush()
    (entry,) = crash_alerts(unique_tag)
    assert entry["KCRASHD_SOURCE_POSITION"].isdigit()  # a kmsg sequence number
    assert d.stop() == 0
    d.start()
    time.sleep(2)
    assert d.stop() == 0
    assert len(crash_alerts(unique_tag, want=2, timeout=1)) == 1
    assert d.db("SELECT count FROM reports") == [(1,)]


def test_a_fresh_state_db_logs_alerts_found_in_the_journal_once(daemon, unique_tag):
    # The state DB is lost and the boot is read again: its alerts are all in the journal
    # already. They are not sent again, and the log gets one line for them, not one each.
    again = Daemon(daemon.tmp / "again")
    shutil.copytree(daemon.state, again.state)  # the same position, before the oopses
    tags = [unique_tag + x for x in "abc"]
    daemon.start()
    for tag in tags:
        write_kmsg(oops_lines(tag))
    for tag in tags:
        assert len(crash_alerts(tag)) == 1, tag
    assert daemon.stop() == 0
    # only state.db is lost: the alert-id key beside it (kcrashd.store.secret) stays
    shutil.copy(daemon.state / "alert-id.key", again.state / "alert-id.key")
    again.start()
    rows = again.wait_db("SELECT COUNT(*) FROM reports", want=lambda r: r == [(3,)])
    assert rows == [(3,)]
    assert again.stop() == 0
    logs = again.logs()
    assert "is already in the journal" not in logs  # per alert: DEBUG only
    lines = [line for line in logs.splitlines() if "found already in the journal" in line]
    assert len(lines) == 1 and "3 alerts found already in the journal, not sent again" in lines[0]
    for tag in tags:
        assert len(crash_alerts(tag, want=2, timeout=1)) == 1


def journal_files_held(pid: int) -> set:
    """The journal files a process has mapped or open (/proc/PID/maps and fd)."""
    held = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            path = line.split(maxsplit=5)[5].strip() if len(line.split()) > 5 else ""
            path = path.removesuffix(" (deleted)")
            if path.endswith((".journal", ".journal~")):
                held.add(path)
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}").removesuffix(" (deleted)")
        except OSError:
            continue
        if target.endswith((".journal", ".journal~")):
            held.add(target)
    return held


def rotated_kernel_files(tag: str, n: int) -> None:
    """n archived journal files, each with a kernel line of this boot."""
    for i in range(n):
        write_kmsg([f"kcrashd-test {tag} before rotation {i}"], level=6)
        journal_entries(f"MESSAGE=kcrashd-test {tag} before rotation {i}")
        subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)


def wait_held(pid: int, want, timeout: float = 10.0) -> set:
    """journal_files_held(pid) once `want` says yes of it, or as it is at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        held = journal_files_held(pid)
        if want(held) or time.monotonic() > deadline:
            return held
        time.sleep(0.1)


def test_the_follower_holds_only_the_journal_file_it_reads(daemon, unique_tag):
    from kcrashd.host.journal_headers import local_journal_paths

    # a saved position (the fixture's) with three archived files of this boot after it
    rotated_kernel_files(unique_tag, 3)
    assert len(local_journal_paths()) >= 4
    daemon.config.write_text(default_config(daemon.tmp) + "snapshots:\n  enabled: false\n")
    daemon.start()
    write_kmsg(oops_lines(unique_tag + "a"))
    crash_alerts(unique_tag + "a")
    daemon.wait_db("SELECT alert_id FROM alerts")  # found stored: its look-ups are done
    pid = daemon.proc.pid
    # read past the archived files: only the file being written stays open and mapped
    held = wait_held(pid, lambda h: len(h) == 1)
    assert len(held) == 1 and os.path.basename(held.pop()) == "system.journal"
    # a rotation while following: the new file is read, the archived one let go
    subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)
    write_kmsg(oops_lines(unique_tag + "b"))
    (b,) = crash_alerts(unique_tag + "b")
    assert "end trace" in b["KCRASHD_REPORT"]
    held = wait_held(pid, lambda h: len(h) == 1)
    assert len(held) == 1 and os.path.basename(held.pop()) == "system.journal"
    assert daemon.stop() == 0
    assert len(crash_alerts(unique_tag + "a", want=2, timeout=1)) == 1


def test_a_follower_on_the_files_after_its_position_reads_what_all_files_hold(
    journald, unlimited_kmsg, unique_tag
):
    from kcrashd.host.journal_headers import local_journal_paths
    from kcrashd.host.root import Root
    from kcrashd.sources.boot import current_boot_id
    from kcrashd.sources.journal import JournalFollower
    from systemd import journal

    rotated_kernel_files(unique_tag, 1)  # an archived file before the position
    write_kmsg([f"kcrashd-test {unique_tag} position"], level=6)
    journal_entries(f"MESSAGE=kcrashd-test {unique_tag} position")
    cursor = journal_tail_cursor()
    for i in range(3):  # entries after it, across rotations
        write_kmsg([f"kcrashd-test {unique_tag} after {i}"], level=6)
        subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)
    write_kmsg([f"kcrashd-test {unique_tag} last"], level=6)
    journal_entries(f"MESSAGE=kcrashd-test {unique_tag} last")

    boot = current_boot_id(Root("/"))
    everything = journal.Reader()
    everything.add_match("_TRANSPORT=kernel", f"_BOOT_ID={boot}")
    everything.seek_cursor(cursor)
    everything.get_next()
    expected = [e["MESSAGE"] for e in iter(everything.get_next, {})]
    everything.close()

    follower = JournalFollower(None, boot)
    try:
        assert follower.open(cursor) == "saved position"
        assert follower.files_opened is not None
        assert follower.files_opened < len(local_journal_paths())
        got = [r.message for r in follower.read(100_000)]
    finally:
        follower.close()
    assert got == expected
    assert [m for m in got if unique_tag in m] == [
        f"kcrashd-test {unique_tag} after {i}" for i in range(3)
    ] + [f"kcrashd-test {unique_tag} last"]


def test_a_snapshots_kernel_log_from_the_newest_files_is_the_journals_last_lines(
    journald, unlimited_kmsg, unique_tag
):
    from kcrashd.snapshots.capture import kernel_log_from_journal
    from systemd import journal

    rotated_kernel_files(unique_tag, 3)
    write_kmsg([f"kcrashd-test {unique_tag} newest"], level=6)
    journal_entries(f"MESSAGE=kcrashd-test {unique_tag} newest")
    everything = journal.Reader()
    everything.add_match("_TRANSPORT=kernel")
    everything.this_boot()
    everything.seek_tail()
    newest_first = itertools.islice(iter(everything.get_previous, {}), 3000)
    last = [e["MESSAGE"] for e in newest_first][::-1]
    everything.close()
    for n in (1, 4, 3000):  # in the newest file; across rotations; likely past 8 files
        assert kernel_log_from_journal(n) == last[-n:]
    ours = [m for m in kernel_log_from_journal(50) if unique_tag in m]
    assert ours == [f"kcrashd-test {unique_tag} before rotation {i}" for i in range(3)] + [
        f"kcrashd-test {unique_tag} newest"
    ]


def test_a_reopen_whose_chosen_files_miss_its_entry_opens_every_file(
    journald, unlimited_kmsg, unique_tag, monkeypatch
):
    """A rotation caught half done: the files chosen for the follower's position do not
    hold it (here: only the file still written, the position's file archived by then). The
    follower must not stay on its old reader (over the archived file alone it never saw
    another entry: alerts came only at the 30 s idle wake-up); it opens every file."""
    from kcrashd.host.root import Root
    from kcrashd.sources import journal_files
    from kcrashd.sources.boot import current_boot_id
    from kcrashd.sources.journal import JournalFollower

    write_kmsg([f"kcrashd-test {unique_tag} position"], level=6)
    journal_entries(f"MESSAGE=kcrashd-test {unique_tag} position")
    cursor = journal_tail_cursor()
    follower = JournalFollower(None, current_boot_id(Root("/")))
    try:
        assert follower.open(cursor) == "saved position"
        subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)
        monkeypatch.setattr(journal_files, "kernel_files", lambda *a, **k: written_system_file())
        assert follower._reopen(cursor)
        assert follower.files_opened is None  # every file
        write_kmsg([f"kcrashd-test {unique_tag} after the rotation"], level=6)
        journal_entries(f"MESSAGE=kcrashd-test {unique_tag} after the rotation")
        got = [r.message for r in follower.read(100_000)]
    finally:
        follower.close()
    assert [m for m in got if unique_tag in m] == [f"kcrashd-test {unique_tag} after the rotation"]


def test_the_reader_is_opened_again_every_reopen_after_entries_wherever_they_are_read(
    journald, unlimited_kmsg, unique_tag, monkeypatch
):
    """Each entry read maps ~1 KiB more of the journal until the reader is closed: it is
    opened again every REOPEN_AFTER entries, read ahead or by the parser's own steps (a
    storm's mapped journal peaked at 19-34 MiB when only process() counted). Nothing is
    lost or read twice across the reopens."""
    from kcrashd.host.root import Root
    from kcrashd.sources import journal as journal_source
    from kcrashd.sources.boot import current_boot_id

    monkeypatch.setattr(journal_source, "REOPEN_AFTER", 40)
    cursor = journal_tail_cursor()
    lines = [f"kcrashd-test {unique_tag} line {i:03d}" for i in range(300)]
    follower = journal_source.JournalFollower(None, current_boot_id(Root("/")))
    try:
        assert follower.open(cursor) == "saved position"
        write_kmsg(lines[:150], level=6)
        journal_entries(f"MESSAGE={lines[149]}")
        got = [r.message for r in follower.read(100_000)]  # the parser's steps
        by_steps = follower.reopened
        assert follower.following
        write_kmsg(lines[150:], level=6)
        journal_entries(f"MESSAGE={lines[-1]}")
        follower.prefetch()  # read ahead
        by_prefetch = follower.reopened - by_steps
        got += [r.message for r in follower.read(100_000)]
    finally:
        follower.close()
    assert [m for m in got if unique_tag in m] == lines
    assert by_steps >= 150 // 40 and by_prefetch >= 150 // 40, (by_steps, by_prefetch)


def test_a_new_file_whose_header_could_not_be_read_yet_is_taken_in_later(
    journald, unlimited_kmsg, unique_tag, monkeypatch
):
    """A rotation caught between the creation of the new file and its header: the reader
    opened then leaves it out (its header cannot be read) and is on the archived file
    alone. The file must still count as new once readable (it was counted as seen, and
    the follower read nothing more: an alert missed in the whole suite's run)."""
    from kcrashd.host.root import Root
    from kcrashd.sources import journal_files
    from kcrashd.sources.boot import current_boot_id
    from kcrashd.sources.journal import JournalFollower

    cursor = journal_tail_cursor()
    follower = JournalFollower(None, current_boot_id(Root("/")))
    try:
        assert follower.open(cursor) == "saved position"
        subprocess.run(["journalctl", "--rotate"], check=True, timeout=30)
        active = set(written_system_file())
        real_header = journal_files.read_header
        monkeypatch.setattr(
            journal_files, "read_header", lambda p: None if p in active else real_header(p)
        )
        assert follower._reopen(cursor)
        assert follower.files_opened == 1  # the archived file alone
        monkeypatch.setattr(journal_files, "read_header", real_header)
        write_kmsg([f"kcrashd-test {unique_tag} after the rotation"], level=6)
        journal_entries(f"MESSAGE=kcrashd-test {unique_tag} after the rotation")
        got: List[str] = []
        for _ in range(3):  # the read-ahead thread calls process() at least every second
            follower.process()
            got += [r.message for r in follower.read(100_000)]
    finally:
        follower.close()
    assert [m for m in got if unique_tag in m] == [f"kcrashd-test {unique_tag} after the rotation"]
