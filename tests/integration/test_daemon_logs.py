"""The daemon's own log lines in a real journald, with stderr connected to journald's
stream socket the way systemd connects a service (systemd-cat, plus JOURNAL_STREAM as
systemd sets it): each line carries its priority, a traceback is ONE entry at err, an
alert is not repeated as a log line, and `-p err` shows exactly the errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import journal_entries, require_tool

pytestmark = [pytest.mark.journald, pytest.mark.root, pytest.mark.slow]

# A config under which one component fails for sure (metrics cannot listen on an address
# this host does not have: 203.0.113.0/24 is TEST-NET-3) and nothing else alerts at err.
CONFIG = """
alerts: {{reminder: never}}
metrics: {{textfile_directory: null, listen_address: "203.0.113.1:9866"}}
hooks: {{directory: {tmp}/hooks}}
snapshots: {{enabled: false}}
postmortem: {{enabled: false}}
watchers:
  memory: {{enabled: false}}
  fd: {{enabled: false}}
  thermal: {{enabled: false}}
  disk: {{enabled: false}}
  edac: {{enabled: false}}
  kernel_counters: {{enabled: false}}
"""


def run_under_journal(tmp_path: Path, tag: str) -> int:
    """`kcrashd run --once` with stdout and stderr on a journal stream; returns its pid."""
    (tmp_path / "journal").mkdir()
    config = tmp_path / "kcrashd.yaml"
    config.write_text(CONFIG.format(tmp=tmp_path))
    inner = 'export JOURNAL_STREAM="$(stat -L -c %d:%i /proc/self/fd/2)"; exec "$@"'
    argv = [
        require_tool("systemd-cat"),
        "-t",
        tag,
        "--level-prefix=true",
        "sh",
        "-c",
        inner,
        "sh",
        sys.executable,
        "-m",
        "kcrashd",
        "--config",
        str(config),
        "run",
        "--once",
        "--state-dir",
        str(tmp_path / "state"),
        "--journal-dir",
        str(tmp_path / "journal"),
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    assert proc.wait(timeout=300) == 0
    return proc.pid


def until_stopped(pid: int) -> list:
    """The process's entries once its last line ("stopped") is in the journal."""
    deadline = time.monotonic() + 20
    while True:
        entries = journal_entries(f"_PID={pid}", timeout=0)
        if any(e["MESSAGE"].endswith(": stopped") for e in entries):
            return entries
        assert time.monotonic() < deadline, [e["MESSAGE"] for e in entries]
        time.sleep(0.2)


def test_priorities_one_entry_per_traceback_no_duplicate_alerts(journald, tmp_path, unique_tag):
    pid = run_under_journal(tmp_path, f"kct-{unique_tag}")
    entries = until_stopped(pid)
    assert all(e["_TRANSPORT"] == "journal" for e in entries), [
        (e["_TRANSPORT"], e["MESSAGE"]) for e in entries if e["_TRANSPORT"] != "journal"
    ]  # nothing reached the stream: no unsorted lines

    errors = [e for e in entries if int(e["PRIORITY"]) <= 3]
    alerts = [e for e in errors if "KCRASHD_ALERT_ID" in e]
    logs = [e for e in errors if "KCRASHD_ALERT_ID" not in e]
    assert [a["KCRASHD_TYPE"] for a in alerts] == ["component_failed"]
    (tb,) = logs  # the traceback is one entry, at err
    assert tb["PRIORITY"] == "3" and "job metrics failed" in tb["MESSAGE"]
    assert "Traceback (most recent call last)" in tb["MESSAGE"] and tb["MESSAGE"].count("\n") > 3
    assert not any(
        e["MESSAGE"].lstrip().startswith(("File ", "Traceback")) for e in entries if e is not tb
    )

    # `journalctl -p err` shows exactly those
    out = subprocess.run(
        ["journalctl", "--no-pager", "-o", "json", f"_PID={pid}", "-p", "err"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    shown = [json.loads(x)["MESSAGE"] for x in out.splitlines() if x.strip()]
    assert sorted(shown) == sorted(e["MESSAGE"] for e in errors)

    # info lines are info, and no alert appears a second time as a log line
    infos = [e for e in entries if e["PRIORITY"] == "6" and "KCRASHD_ALERT_ID" not in e]
    assert any("following journal" in e["MESSAGE"] for e in infos)
    summaries = {e["MESSAGE"] for e in entries if "KCRASHD_ALERT_ID" in e}
    assert summaries and not [e for e in infos if any(s in e["MESSAGE"] for s in summaries)]
    start = [e for e in entries if e.get("KCRASHD_TYPE") == "readiness_summary"]
    assert [e["PRIORITY"] for e in start] in (["5"], ["6"])  # a notice, never err
