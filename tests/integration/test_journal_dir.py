"""`kcrashd run --once --journal-dir DIR` on journal files made by systemd-journal-remote."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import List, Tuple

import pytest

from kcrashd.alerts.types import message_id
from kcrashd.sources.journal import JournalFollower
from tests.conftest import PROJECT, journal_entries, require_tool
from tests.faults.harness import default_config, oops_lines

pytestmark = [pytest.mark.journald]
REMOTE = "/lib/systemd/systemd-journal-remote"


def export_entry(boot: str, mono_us: int, real_us: int, message: str, transport="kernel") -> str:
    return (
        f"__REALTIME_TIMESTAMP={real_us}\n__MONOTONIC_TIMESTAMP={mono_us}\n_BOOT_ID={boot}\n"
        f"_TRANSPORT={transport}\nPRIORITY=4\nSYSLOG_IDENTIFIER=kernel\n"
        f"_SOURCE_MONOTONIC_TIMESTAMP={mono_us}\nMESSAGE={message}\n\n"
    )


def build_journal(directory: Path, boots: List[Tuple[str, List[str]]]) -> Path:
    """Real journal files from export format (what journal-remote receives over HTTP)."""
    require_tool("journalctl")
    directory.mkdir(parents=True, exist_ok=True)
    export = directory.parent / "export.txt"
    real = int(time.time() * 1e6) - 3600 * 1_000_000
    with open(export, "w") as f:
        for boot, lines in boots:
            for i, line in enumerate(lines):
                real += 1000
                f.write(export_entry(boot, 1_000_000 + i * 1000, real, line))
            # userspace noise must not be read as kernel messages
            f.write(export_entry(boot, 9_000_000, real + 1, "BUG: forged", transport="syslog"))
    return _remote(export, directory)


def _remote(export: Path, directory: Path) -> Path:
    """Journal files in `directory`, made by systemd-journal-remote from `export`."""
    subprocess.run(
        [REMOTE, "-o", str(directory / "remote.journal"), str(export)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return directory


def run_once(tmp: Path, journal_dir: Path) -> subprocess.CompletedProcess:
    config = tmp / "kcrashd.yaml"
    if not config.exists():
        config.write_text(default_config(tmp))
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", "--config", str(config), "run", "--once"]
        + ["--journal-dir", str(journal_dir), "--state-dir", str(tmp / "state")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_journal_dir_reads_every_boot_and_resumes(journald, tmp_path, unique_tag):
    boot1, boot2 = uuid.uuid4().hex, uuid.uuid4().hex
    noise = [f"eth0: link up {i}" for i in range(50)]
    jdir = build_journal(
        tmp_path / "journal",
        [
            (boot1, noise + oops_lines(unique_tag + "x") + noise + oops_lines(unique_tag + "x")),
            (boot2, oops_lines(unique_tag + "x") + noise),
        ],
    )
    out = run_once(tmp_path, jdir)
    assert out.returncode == 0, out.stderr
    crash = message_id("crash_report")
    fn = f"kct_{unique_tag}x_read"
    entries = journal_entries(f"MESSAGE_ID={crash}", f"KCRASHD_FUNCTION={fn}", want=2)
    assert sorted(e["KCRASHD_BOOT_ID"] for e in entries) == sorted([boot1, boot2])
    conn = sqlite3.connect(str(tmp_path / "state" / "state.db"))
    counts = dict(conn.execute("SELECT boot_id, count FROM reports").fetchall())
    assert counts == {boot1: 2, boot2: 1}
    (source,) = conn.execute("SELECT source FROM positions").fetchall()
    assert source[0] == f"journal:{jdir}"
    conn.close()
    # the forged userspace "BUG:" line was never read
    assert not journal_entries("KCRASHD_TITLE=BUG: forged", timeout=0)

    again = run_once(tmp_path, jdir)
    assert again.returncode == 0, again.stderr
    assert "saved position" in again.stderr
    time.sleep(0.5)
    assert (
        len(journal_entries(f"MESSAGE_ID={crash}", f"KCRASHD_FUNCTION={fn}", want=3, timeout=1))
        == 2
    )


def test_follower_resumes_after_a_saved_cursor_and_at_an_inclusive_one(tmp_path):
    boot = uuid.uuid4().hex
    jdir = build_journal(tmp_path / "j", [(boot, [f"line {i}" for i in range(10)])])
    f = JournalFollower(str(jdir))
    assert f.open() == "start of the journal"
    records = f.read(4)
    assert [r.message for r in records] == ["line 0", "line 1", "line 2", "line 3"]
    assert records[0].boot_id == boot and records[0].monotonic_us == 1_000_000
    cursor = records[2].position
    f.close()

    g = JournalFollower(str(jdir))
    assert g.open(cursor) == "saved position"
    assert g.read(1)[0].message == "line 3"
    assert g.open(cursor, inclusive=True) == "saved position"
    assert g.read(1)[0].message == "line 2"
    gone = cursor.replace("i=", "i=9999")  # a cursor that is not in these files
    assert "gone" in g.open(gone + "x")
    assert g.read(1)[0].message == "line 0"
    g.close()


def _journal_from(tmp: Path, entries: List[str]) -> Path:
    """Journal files made by systemd-journal-remote from export-format entries."""
    directory = tmp / "journal"
    directory.mkdir()
    export = tmp / "export.txt"
    export.write_text("".join(entries))
    return _remote(export, directory)


def _reports(tmp: Path) -> List[Tuple[str, int]]:
    conn = sqlite3.connect(str(tmp / "state" / "state.db"))
    try:
        return conn.execute("SELECT signature, count FROM reports ORDER BY signature").fetchall()
    finally:
        conn.close()


def test_repeats_after_the_clock_stepped_back_are_counted(journald, tmp_path, unique_tag):
    # The same oops three times in one boot; between the first and the second the wall
    # clock was set back an hour (kernel time goes on). Every occurrence counts.
    boot = uuid.uuid4().hex
    real = int(time.time() * 1e6) - 600 * 1_000_000
    entries = []
    for copy, step_back in enumerate((0, 3600, 3600)):
        for i, line in enumerate(oops_lines(unique_tag)):
            mono = 10_000_000 * (copy + 1) + i * 1000
            t = real + mono - step_back * 1_000_000
            entries.append(export_entry(boot, mono, t, line))
    out = run_once(tmp_path, _journal_from(tmp_path, entries))
    assert out.returncode == 0, out.stderr
    assert [count for _, count in _reports(tmp_path)] == [3]
    again = run_once(tmp_path, tmp_path / "journal")  # read again: nothing counted twice
    assert again.returncode == 0, again.stderr
    assert [count for _, count in _reports(tmp_path)] == [3]


MISSED = (
    "__REALTIME_TIMESTAMP={real}\n__MONOTONIC_TIMESTAMP={mono}\n_BOOT_ID={boot}\n"
    "_TRANSPORT=driver\nPRIORITY=6\nSYSLOG_IDENTIFIER=systemd-journald\n"
    "MESSAGE_ID=e9bf28e6e834481bb6f48f548ad13606\nMESSAGE=Missed {n} kernel messages\n\n"
)


def test_lines_journald_missed_mark_the_report_and_it_counts_by_its_header(
    journald, tmp_path, unique_tag
):
    # An oops, then two copies of it whose middle journald missed (the kernel ring buffer
    # overran): the cut copies are marked corrupted and counted as repeats of the first,
    # not alerted as new crashes with whatever frames were left.
    boot = uuid.uuid4().hex
    real = int(time.time() * 1e6) - 600 * 1_000_000
    lines = oops_lines(unique_tag)
    entries = []
    mono = 1_000_000
    for copy in range(3):
        kept = lines if copy == 0 else lines[: 6 + 2 * copy] + ["<missed>"] + lines[16:]
        for line in kept:
            mono += 1000
            if line == "<missed>":
                entries.append(MISSED.format(real=real + mono, mono=mono, boot=boot, n=40))
            else:
                entries.append(export_entry(boot, mono, real + mono, line))
        mono += 10_000_000  # the report gap: each copy is a report of its own
    out = run_once(tmp_path, _journal_from(tmp_path, entries))
    assert out.returncode == 0, out.stderr
    assert [count for _, count in _reports(tmp_path)] == [3]
    crash = message_id("crash_report")
    fn = f"kct_{unique_tag}_read"
    (alert,) = journal_entries(f"MESSAGE_ID={crash}", f"KCRASHD_FUNCTION={fn}")
    assert "KCRASHD_CORRUPTED" not in alert  # the whole one alerted; the cut ones counted


def _crash_rows(tmp: Path) -> Tuple[int, int]:
    """(crash_report alerts recorded, owed) in the state database on disk."""
    conn = sqlite3.connect(str(tmp / "state" / "state.db"), timeout=10)
    try:
        recorded = conn.execute("SELECT COUNT(*) FROM alerts WHERE type='crash_report'")
        owed = conn.execute("SELECT COUNT(*) FROM outbox WHERE type='crash_report'")
        return recorded.fetchone()[0], owed.fetchone()[0]
    finally:
        conn.close()


def test_killed_in_the_middle_of_a_backlog_every_report_is_alerted_once(
    journald, tmp_path, unique_tag
):
    # A backlog of six oopses (and a repeat of the first) read at start; the daemon dies
    # (SIGKILL) right after sending the third alert, its reports' writes in one group not
    # committed yet. The next start reads the backlog again: the three alerts already in
    # the journal are found there and recorded, the other three sent; each oops has
    # exactly one alert and its report counted once.
    boot = uuid.uuid4().hex
    noise = [f"eth0: link up {i}" for i in range(40)]
    tags = [f"{unique_tag}{i}" for i in range(6)]
    lines: List[str] = []
    for tag in tags:
        lines += noise + oops_lines(tag)
    lines += noise + oops_lines(tags[0], address="0000000000000008")
    jdir = build_journal(tmp_path / "journal", [(boot, lines)])
    config = tmp_path / "kcrashd.yaml"
    config.write_text(default_config(tmp_path))
    log = tmp_path / "killed.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.block", "after-send", "crash_report:3", "--"]
            + ["--config", str(config), "run", "--journal-dir", str(jdir)]
            + ["--state-dir", str(tmp_path / "state")],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        deadline = time.monotonic() + 60
        while "blocking" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        proc.kill()
        assert proc.wait(20) == -9
    assert "blocking" in log.read_text(), log.read_text()
    crash = message_id("crash_report")
    sent = journal_entries(f"MESSAGE_ID={crash}", f"KCRASHD_BOOT_ID={boot}", want=3)
    assert len(sent) == 3
    # the kill fell inside an open group: not even the earlier reports' alerts are committed
    recorded, owed = _crash_rows(tmp_path)
    assert recorded + owed < 2

    again = run_once(tmp_path, jdir)
    assert again.returncode == 0, again.stderr
    assert "3 alerts found already in the journal, not sent again" in again.stderr
    for tag in tags:
        fn = f"kct_{tag}_read"
        found = journal_entries(f"MESSAGE_ID={crash}", f"KCRASHD_FUNCTION={fn}", want=2, timeout=1)
        assert len(found) == 1, (tag, found)
    assert _crash_rows(tmp_path) == (6, 0)
    counts = {sig.split(":")[1]: count for sig, count in _reports(tmp_path)}
    assert counts == {f"kct_{tag}_read": 2 if tag == tags[0] else 1 for tag in tags}
