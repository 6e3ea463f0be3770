"""`kcrashd fleet --journal-dir DIR` on journal files made by systemd-journal-remote.

A collector's directory: one file per host (as --split-mode=host keeps them), the alerts
built by kcrashd's own builders (tests/fleet_journals.py), and look-alikes that other
programs wrote: they must not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Dict, List

import pytest

from kcrashd.fleet.entries import WANTED, AlertEntry
from kcrashd.fleet.view import FleetView
from tests import fleet_journals as fj
from tests.conftest import PROJECT, require_tool

HOSTS = fj.hosts(6)
REPORTS = fj.distro_reports()
S_OLD, S_NEW = REPORTS[0], REPORTS[2]
BASE = time.time() - 7 * 86400  # the story's t=0: a week ago

# Journald's fields for entries that look like kcrashd alerts but are not.
LOOK_ALIKES = {
    "nobody running a program named kcrashd": dict(fj.KCRASHD_PROCESS, _UID="65534", _GID="65534"),
    "root's logger --journald": dict(
        fj.KCRASHD_PROCESS, _COMM="logger", _EXE="/usr/bin/logger", _CMDLINE="logger --journald"
    ),
    "root's python -c": dict(
        fj.KCRASHD_PROCESS, _COMM="python3", _CMDLINE="python3 -c from systemd import journal"
    ),
    "kcrashd's name through syslog": dict(fj.KCRASHD_PROCESS, _TRANSPORT="syslog"),
}


def fleet(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", "fleet", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def collector(tmp_path_factory) -> Dict:
    """The story's journals, look-alikes from an evil host, and the story itself."""
    require_tool("journalctl")
    directory = tmp_path_factory.mktemp("remote")
    events = fj.story(HOSTS, S_OLD, S_NEW)
    fj.story_journals(directory, events, BASE)
    evil, boot = fj.Host(uuid.uuid4().hex, "evil"), uuid.uuid4().hex
    forged = fj.crash_report_alert(REPORTS[1], boot, fj.NEW)
    fj.write_journal(
        directory / "remote-evil.journal",
        [
            fj.entry(forged, evil, boot, BASE + t, process=process)
            for t, process in zip((900, 901, 1200, 1201), LOOK_ALIKES.values())
        ],
    )
    return {"dir": directory, "events": events}


def direct(events: List[fj.Event]) -> Dict:
    """The document folded straight from the alerts, without a journal in between."""
    entries = []
    for ev in events:
        fields = {k: v for k, v in ev.alert.fields.items() if k in WANTED[ev.alert.type]}
        entries.append(
            AlertEntry(
                ev.alert.type,
                BASE + ev.realtime,
                ev.host.machine,
                ev.host.hostname,
                ev.boot,
                fields,
            )
        )
    return FleetView().add_all(entries).document()


def _strip(doc: Dict) -> Dict:
    return {k: v for k, v in doc.items() if k not in ("source", "entries")}


def _close_times(a: Dict, b: Dict) -> None:
    """The journal keeps microseconds: compare times to that."""
    for doc in (a, b):
        for key in ("first_alert", "last_alert"):
            doc[key] = round(doc[key], 3)
        for c in doc["crashes"]:
            c["first_seen"], c["last_seen"] = round(c["first_seen"], 3), round(c["last_seen"], 3)


def test_reads_every_hosts_alerts_and_only_kcrashds(collector):
    out = fleet("--journal-dir", str(collector["dir"]), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["schema"] == 1
    assert doc["entries"]["used"] == len(collector["events"])
    assert doc["entries"]["ignored"] == len(LOOK_ALIKES)
    assert doc["entries"]["journal_files"] == 6  # five hosts and the evil one
    assert "uid 65534" in " ".join(doc["entries"]["ignored_examples"])
    assert "evil" not in json.dumps(doc["crashes"]) + json.dumps(doc["readiness"])
    assert REPORTS[1].signature not in {c["signature"] for c in doc["crashes"]}
    # the same answer as folding the alerts directly (unit-tested in tests/unit/test_fleet.py)
    expected = direct(collector["events"])
    got = _strip(doc)
    _close_times(got, expected)
    assert got == expected
    new = next(c for c in doc["crashes"] if c["signature"] == S_NEW.signature)
    assert new["new_in"] == {"kernel": fj.NEW, "hosts": 4, "of": 4}
    assert (new["hosts"], new["boots"]) == (4, 4)
    assert doc["readiness"]["not_ready"] == 1


def test_text_output(collector):
    out = fleet("--journal-dir", str(collector["dir"]), "--hosts", "2")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("kcrashd fleet: 5 hosts; 2 crash signatures on 5 hosts; 1 host not")
    assert f"new in {fj.NEW}: 4 hosts" in text
    assert "and 2 more" in text  # S_NEW's four hosts, two named
    assert f"ignored {len(LOOK_ALIKES)} entries that kcrashd did not write" in text
    assert S_NEW.title in text and S_OLD.title in text
    assert "CRIT on node0003" in text


def test_since_starts_later(collector):
    # From t=1050 on: S_OLD is gone, S_NEW's live reports and the later alerts remain.
    since = f"@{BASE + 1050:.0f}"
    doc = json.loads(
        fleet("--journal-dir", str(collector["dir"]), "--since", since, "--json").stdout
    )
    assert [c["signature"] for c in doc["crashes"]] == [S_NEW.signature]
    assert doc["entries"]["used"] == sum(1 for ev in collector["events"] if ev.realtime >= 1050)
    assert doc["entries"]["ignored"] == 2  # the look-alikes at t=1200 and 1201


def test_a_broken_file_is_named_and_the_rest_is_read(collector, tmp_path):
    directory = tmp_path / "remote"
    directory.mkdir()
    for path in collector["dir"].glob("*.journal"):
        (directory / path.name).write_bytes(path.read_bytes())
    (directory / "remote-broken.journal").write_bytes(b"LPKSHHRH" + b"\xff" * 4000)
    out = fleet("--journal-dir", str(directory), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["entries"]["used"] == len(collector["events"])
    (problem,) = doc["entries"]["unreadable_files"]
    assert problem.startswith(str(directory / "remote-broken.journal"))
    assert "not read: " in fleet("--journal-dir", str(directory)).stdout


def test_empty_directory_and_bad_arguments(tmp_path):
    out = fleet("--journal-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "0 hosts" in out.stdout and "no kcrashd alerts in" in out.stdout
    missing = fleet("--journal-dir", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "no such directory" in missing.stderr
    bad = fleet("--journal-dir", str(tmp_path), "--since", "last tuesday")
    assert bad.returncode == 2 and "'7d'" in bad.stderr
