"""Every @KCRASHD_X@ in systemd/kcrashd.catalog is a field its alert type always sends.

journalctl -x fills @FIELD@ from the entry, and writes the bare field name where the entry
lacks it ("kcrashd snapshot show KCRASHD_SNAPSHOT"). So an entry may substitute only the
fields that every alert of its type carries; fields that only some carry are named in the
text, without @, and must at least be sent sometimes. The alerts here come from the real
builders (the pipeline with a recording sink, the readiness job, the watcher job, the
post-mortem, the snapshot taker, the daemon) in their leanest forms (no snapshot, no
details, a report with nothing optional, no previous boot's end) and their fullest, and
the field names from the journald sink's own mapping.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Set, Tuple

from kcrashd import config
from kcrashd.alerts.pipeline import Pipeline, repeated_alert
from kcrashd.alerts.testalert import make_test_alert
from kcrashd.alerts.types import ALERT_TYPES
from kcrashd.checks.job import change_alerts, summary_alert
from kcrashd.daemon.jobs import component_failed
from kcrashd.daemon.reminders import readiness_reminder, signal_reminder
from kcrashd.host.root import Root
from kcrashd.model import Alert, CrashReport, Evidence, Frame, Level, Result, Signal, Status
from kcrashd.postmortem.collect import crashed_alert, reset_alert
from kcrashd.sinks.hooks import hook_refused
from kcrashd.sinks.journald import journal_fields
from kcrashd.snapshots.taker import SnapshotResult, snapshot_failed_alert
from kcrashd.sources.previous_boot import BootEnd
from kcrashd.store import incidents
from kcrashd.store import reports as report_store
from kcrashd.store.recovery import Problem, degraded_alert, recovered_alert
from kcrashd.store.state import StateDB
from kcrashd.watchers import disks, fd, memory
from kcrashd.watchers.job import build_alert, note_alert
from kcrashd.watchers.levels import Transition
from kcrashd.watchers.registry import watchers
from tests.conftest import PROJECT
from tests.recording_journal import RecordingJournal

CATALOG = PROJECT / "systemd" / "kcrashd.catalog"
BOOT = "0123456789abcdef0123456789abcdef"


def catalog_texts() -> Dict[str, str]:
    """message id -> the entry's text."""
    parts = re.split(r"^-- ([0-9a-f]{32})\s*$", CATALOG.read_text(), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def _lean_report(t: float = 1.0) -> CrashReport:
    return CrashReport(kind="oops", title="Oops in f", signature="oops:f", realtime=t)


def _full_report(t: float) -> CrashReport:
    return CrashReport(
        kind="page_fault",
        title="BUG: kernel NULL pointer dereference in foo_ioctl",
        function="foo_ioctl",
        module="foo",
        kernel="6.1.0-13-amd64",
        taint=(("O", "externally-built module"),),
        cpu=1,
        pid=4242,
        comm="fooctl",
        rip=Frame("foo_ioctl", 0x25, 0x50, "foo"),
        corrupted=True,
        signature="page_fault:foo_ioctl",
        lines=("BUG: kernel NULL pointer dereference, address: 0000000000000000",),
        boot_id=BOOT,
        start_position="s=1",
        end_position="s=2",
        realtime=t,
    )


class _OneSnapshot:
    def reserve(self, reason: str) -> str:
        return "snap-1"

    def capture(self, snapshot_id: str, reason: str) -> None:
        pass


def pipeline_alerts(tmp_path: Path) -> List[Alert]:
    """crash_report and crash_repeated as the pipeline sends them."""
    journal = RecordingJournal()
    state = StateDB(str(tmp_path / "pipeline.db"))
    cfg = config.from_dict({"alerts": {"storm_summary_every": 1}})
    p = Pipeline(
        state,
        cfg,
        BOOT,
        journal=journal,
        snapshots=_OneSnapshot(),
        started_at=1.5,  # the lean report is from the backlog: no snapshot
    )
    for report in (_lean_report(1.0), _full_report(2.0)):
        p.on_report(report)  # the first: crash_report
        p.on_report(replace(report, realtime=report.realtime + 0.5))  # a repeat
    sent = journal.alerts
    assert [a.type for a in sent] == ["crash_report", "crash_repeated"] * 2
    assert [a.fields.get("snapshot") for a in sent] == [None, None, "snap-1", None]
    row = report_store.get_report(state, BOOT, "oops:f")
    sent.append(repeated_alert(None, row, row.count, 60.0))  # a storm summary (tick)
    state.close()
    return sent


def readiness_alerts() -> List[Alert]:
    crit = Result("kdump_loaded", Status.CRIT, "no crash kernel loaded", fix="kdumpctl start")
    ok = Result("kdump_loaded", Status.OK, "a crash kernel is loaded")
    return [
        summary_alert([]),
        summary_alert([crit, ok]),
        *change_alerts([crit], {"kdump_loaded": "OK"}),
        *change_alerts([ok], {"kdump_loaded": "CRIT"}),
    ]


def _details() -> Dict[str, Dict[str, str]]:
    """What each watcher's details() adds to a raised alert, from real samples."""
    cfg = config.Config().watchers
    low = Root(str(PROJECT / "tests" / "fixtures" / "watchers" / "low-memory"))
    host = Root("/")
    near = Signal("fd", "process/kcrashd[1]", Level.WARN, 85.0, 80.0, "near its limit")
    return {
        memory.NAME: memory.details(low, memory.sample(low, None, cfg.memory, {}), []),
        fd.NAME: fd.details(host, fd.sample(host, None, cfg.fd, {}), [near]),
        disks.NAME: disks.details(host, disks.Sample({}), []),
    }


def watcher_alerts() -> List[Alert]:
    details = _details()
    modules = watchers()
    assert set(details) == {m.NAME for m in modules if hasattr(m, "details")}
    out = []
    for m in modules:
        up = Signal(m.NAME, "k", Level.WARN, 91.0, 90.0, "over")
        down = Signal(m.NAME, "k", Level.OK, 10.0, 90.0, "back")
        raised = Transition("raised", up, Level.OK, 0.0)
        out += [
            build_alert(m.NAME, raised, None, {}),  # no snapshot taken, details() failed
            build_alert(m.NAME, raised, "snap-1", details.get(m.NAME, {})),
            build_alert(m.NAME, Transition("cleared", down, Level.WARN, 0.0), None, {}),
        ]
        if "notes" in getattr(m.Sample, "__dataclass_fields__", {}):
            out.append(note_alert(m.NAME, "smartctl", "smartctl is not installed"))
    return out


def postmortem_alerts(tmp_path: Path) -> List[Alert]:
    state = StateDB(str(tmp_path / "postmortem.db"))
    with state.transaction() as c:
        lean, _ = incidents.upsert_incident(c, _lean_report(), None, [])
        full, _ = incidents.upsert_incident(
            c,
            _full_report(1.0),
            BOOT,
            [Evidence("kdump", "/var/crash/1", "dump"), Evidence("watcher", None, "memory")],
            vmcore="/var/crash/1/dump.1",
            snapshot_id="snap-1",
        )
    lean_inc = incidents.get_incident(state, lean)
    no_report = replace(lean_inc, report=None)  # its stored report unreadable
    full_inc = incidents.get_incident(state, full)
    end = BootEnd(False, None, "systemd-journald: Journal stopped?", "kernel", 1.0)
    out = [
        crashed_alert(state.conn, no_report, True),
        crashed_alert(state.conn, lean_inc, False),
        crashed_alert(state.conn, full_inc, True),
        reset_alert(None, None),
        reset_alert(BOOT, end),
    ]
    state.close()
    return out


def reminder_alerts() -> List[Alert]:
    crit = Result("kdump_loaded", Status.CRIT, "no crash kernel loaded", fix="kdumpctl start")
    lean = {"level": Level.WARN, "since": 1.0, "value": None, "message": "over"}
    full = {"level": Level.CRIT, "since": 1.0, "value": 5.0, "message": "over"}
    return [
        readiness_reminder([crit], {}, 2.0, "daily"),
        signal_reminder("disk", "/dev/sda", lean, 90000.0, "daily", 1),
        signal_reminder("edac", "mc0", full, 200000.0, "weekly", 2),
    ]


def all_alerts(tmp_path: Path) -> List[Alert]:
    failed = SnapshotResult(None, None, False, None, 0, 0, 0.0)
    return [
        *reminder_alerts(),
        make_test_alert("host1", "root"),
        *pipeline_alerts(tmp_path),
        *readiness_alerts(),
        *watcher_alerts(),
        *postmortem_alerts(tmp_path),
        snapshot_failed_alert(failed, "memory_raised"),
        component_failed("readiness", "RuntimeError: boom"),
        hook_refused("/etc/kcrashd/hooks.d/x", "it is world-writable (mode 0777)"),
        *state_alerts(),
    ]


def state_alerts() -> List[Alert]:
    full = Problem("full", "OperationalError: database or disk is full")
    corrupt = Problem("corrupt", "DatabaseError: file is not a database", "/x/state.db.corrupt-1")
    return [
        degraded_alert("/x/state.db", full, False),
        degraded_alert("/x/state.db", corrupt, True),
        degraded_alert("/x/state.db", corrupt, False),
        recovered_alert("/x/state.db", full, 12.0),
        recovered_alert("/x/state.db", None, 0.0),
    ]


def fields_by_type(alerts: List[Alert]) -> Dict[str, Tuple[Set[str], Set[str]]]:
    """type -> (fields every alert of it sends, fields some alert of it sends)."""
    out: Dict[str, Tuple[Set[str], Set[str]]] = {}
    for alert in alerts:
        names = set(journal_fields(alert, "0" * 32))
        always, some = out.get(alert.type, (names, set()))
        out[alert.type] = (always & names, some | names)
    return out


def test_catalog_substitutes_only_fields_every_alert_of_its_type_sends(tmp_path):
    by_type = fields_by_type(all_alerts(tmp_path))
    assert set(by_type) == {t.name for t in ALERT_TYPES}, "a builder is missing here"
    texts = catalog_texts()
    wrong = []
    for t in ALERT_TYPES:
        text = texts[t.message_id]
        always, some = by_type[t.name]
        for name in re.findall(r"@([A-Z0-9_]+)@", text):
            if name not in always:
                why = "sent only sometimes" if name in some else "never sent"
                wrong.append(f"{t.name}: @{name}@ is {why}")
        for name in re.findall(r"(?<![@\w])(KCRASHD_[A-Z0-9_]+)(?![@\w])", text):
            if name not in some:
                wrong.append(f"{t.name}: {name} is named but never sent")
    assert not wrong, "\n".join(wrong)


def test_previous_boot_crashed_says_whether_the_crash_ended_the_boot(tmp_path):
    alerts = [a for a in postmortem_alerts(tmp_path) if a.type == "previous_boot_crashed"]
    assert [a.fields["ended_boot"] for a in alerts] == ["yes", "no", "yes"]
    text = catalog_texts()[next(t.message_id for t in ALERT_TYPES if t.name == alerts[0].type)]
    assert "@KCRASHD_ENDED_BOOT@" in text
