"""What a user reads from `kcrashd parse` and `kcrashd incidents`, compared with the files in
tests/golden/ (the check and metrics outputs have theirs beside their other tests:
tests/unit/checks/test_golden.py, tests/unit/test_metrics.py).

Made the same on every machine: times print in UTC (TZ=UTC); the incident comes from a
post-mortem over fixture files, at a fixed time, of boots with fixed ids. Rewritten in the
output (see `_normalise`): the temporary directory, the random suffix of the snapshot id,
when the alert was sent (now) and how long ago anything happened. The evidence paths are
looked up on this host: none of them exists on a CI machine.
Regenerate with `pytest -m golden --update-golden`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from kcrashd import config as kconfig
from kcrashd.cli import main
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.postmortem.job import PostmortemJob
from kcrashd.store.state import StateDB
from tests import postmortem_roots as roots
from tests.conftest import SHARED, require_tool
from tests.helpers import replace_all
from tests.recording_journal import RecordingJournal

pytestmark = pytest.mark.golden
KERNEL_LOGS = SHARED / "fixtures" / "kernel_log"
NOW = 1_709_300_000.0  # 2024-03-01 13:33:20 UTC: the previous boot crashed an hour before
PREVIOUS_BOOT, CURRENT_BOOT = "a1" * 16, "c2" * 16
AGO = re.compile(r"\((\d+ s|\d+ min|\d+ h \d+ min|\d+ days) ago\)")
SENT = re.compile(r"^(  alerted: +\S+ )\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.M)
ALERT_ID = re.compile(r"\bid [0-9a-f]{32}\b")  # keyed with the state directory's own secret


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert err == "", err
    return f"{out}(exit {code})\n"


@pytest.mark.parametrize("name", sorted(p.name for p in KERNEL_LOGS.glob("npd_*.txt")))
def test_parse_text(name, capsys, monkeypatch, golden):
    monkeypatch.chdir(KERNEL_LOGS.parent)  # the source is printed as given: a relative path
    golden.check(f"parse/{Path(name).stem}.txt", _run(capsys, "parse", f"kernel_log/{name}"))


def _crashed_host(tmp: Path, monkeypatch) -> dict:
    """The previous boot panicked (journal, ramoops, a Debian kdump dump) after a snapshot
    of it; the post-mortem of the current boot turned that into an incident and its alert."""
    require_tool("journalctl")
    monkeypatch.setattr(roots, "new_boot_id", iter([PREVIOUS_BOOT, CURRENT_BOOT]).__next__)
    info = roots.panicked_with_snapshot(tmp, now=NOW)
    cfg = kconfig.from_dict({"hooks": {"directory": str(tmp / "no-hooks.d")}})
    state = StateDB(str(tmp / "state" / "state.db"))
    ctx = DaemonContext(
        cfg,
        Root(str(info["root"])),
        CommandRunner(),
        state,
        info["current"],
        journal_dir=str(tmp / "journal"),
    )
    journal = RecordingJournal()
    PostmortemJob(journal=journal).run(ctx)
    ((incident_id,),) = state.conn.execute("SELECT incident_id FROM incidents").fetchall()
    state.close()
    assert [a.type for a, _ in journal.sent] == ["previous_boot_crashed"]
    return dict(info, incident=incident_id, snapshot=info["snapshot"].id)


def _normalise(text: str, tmp: Path, host: dict) -> str:
    stable_snapshot = host["snapshot"][:-6] + "xxxxxx"  # <UTC time>Z-<6 random hex digits>
    text = replace_all(text, {str(tmp): "<tmp>", host["snapshot"]: stable_snapshot})
    text = ALERT_ID.sub("id <alert id>", SENT.sub(r"\1<time of sending>", text))
    return AGO.sub("(<age> ago)", text)


def test_incidents_show_and_list(tmp_path, capsys, monkeypatch, utc, golden):
    host = _crashed_host(tmp_path, monkeypatch)
    config = tmp_path / "kcrashd.yaml"
    config.write_text("{}\n")
    state = ["--state-dir", str(tmp_path / "state")]
    show = _run(capsys, "--config", str(config), "incidents", "show", host["incident"], *state)
    golden.check("incidents/show.txt", _normalise(show, tmp_path, host))
    listed = _run(capsys, "--config", str(config), "incidents", "list", *state)
    golden.check("incidents/list.txt", _normalise(listed, tmp_path, host))
