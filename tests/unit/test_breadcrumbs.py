"""pmsg breadcrumbs (kcrashd/sinks/breadcrumbs.py): one line per alert journald took, on a
root whose /dev/pmsg0 is a regular file (synthetic: the test machines' kernel has no
CONFIG_PSTORE_PMSG, so no real device is at hand)."""

from __future__ import annotations

import errno
import re

import pytest

from kcrashd import config
from kcrashd.alerts.pipeline import Pipeline
from kcrashd.host.root import Root
from kcrashd.model import Alert, Severity
from kcrashd.sinks import breadcrumbs
from kcrashd.store.state import StateDB
from tests.recording_journal import RecordingJournal
from tests.unit.test_pipeline import BOOT, report

LINE = re.compile(r"^kcrashd \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (.*)$")


@pytest.fixture
def pmsg_root(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "pmsg0").write_text("")
    return tmp_path


def crumbs(root) -> list:
    lines = (root / "dev" / "pmsg0").read_text().splitlines()
    assert all(LINE.match(line) for line in lines), lines
    return [LINE.match(line).group(1) for line in lines]


def test_each_alert_journald_takes_leaves_one_line(tmp_path, pmsg_root):
    state = StateDB(str(tmp_path / "state.db"))
    journal = RecordingJournal()
    pipe = Pipeline(
        state,
        config.from_dict({}),
        BOOT,
        journal=journal,
        breadcrumbs=breadcrumbs.AlertBreadcrumbs(Root(str(pmsg_root))),
    )
    alert_id = pipe.on_report(report("oops:f"))
    assert alert_id
    [line] = crumbs(pmsg_root)
    assert line.startswith(f"alert crash_report {alert_id} ")
    # journald refuses: nothing is left until the alert is really sent
    journal.refuse = OSError(errno.ECONNREFUSED, "Connection refused")
    pipe.on_alert(Alert("readiness_summary", Severity.INFO, "readiness: 3 problems"))
    assert len(crumbs(pmsg_root)) == 1
    journal.refuse = None
    for entry in pipe.outbox.entries.values():
        entry.next_try = 0.0
    pipe.outbox.pump()
    assert crumbs(pmsg_root)[-1].startswith("alert readiness_summary ")
    assert crumbs(pmsg_root)[-1].endswith(": readiness: 3 problems")
    state.close()


def test_whitespace_is_folded_and_the_line_is_cut(pmsg_root):
    assert breadcrumbs.leave(Root(str(pmsg_root)), "a\nb\t c " + "x" * 1000, now=0.0)
    [line] = crumbs(pmsg_root)
    assert line.startswith("a b c x") and len(line) == breadcrumbs.MAX_TEXT


def test_no_device_and_a_failing_device_leave_nothing_and_do_not_raise(tmp_path, pmsg_root):
    assert not breadcrumbs.leave(Root(str(tmp_path / "elsewhere")), "x")
    (pmsg_root / "dev" / "pmsg0").unlink()
    (pmsg_root / "dev" / "pmsg0").mkdir()  # open(O_WRONLY) fails: EISDIR
    assert not breadcrumbs.leave(Root(str(pmsg_root)), "x")
