"""The alert pipeline against a real SQLite state file: dedup, storm limit, exactly once.

journald is played by tests.recording_journal (the integration tests use a real one)."""

from __future__ import annotations

import json
import logging
import time
from typing import List, Optional, Tuple

import pytest

from kcrashd import config
from kcrashd.alerts.pipeline import Pipeline, severity_for
from kcrashd.model import Alert, CrashReport, Frame, Severity
from kcrashd.store import reports as report_store
from kcrashd.store.positions import Position, load_position
from kcrashd.store.state import StateDB
from tests.recording_journal import RecordingJournal

BOOT = "0123456789abcdef0123456789abcdef"


def report(sig: str = "oops:f", t: float = 1000.0, kind: str = "oops", **kw) -> CrashReport:
    kw.setdefault("monotonic_us", None if t is None else int(t * 1e6))
    return CrashReport(
        kind=kind,
        title=kw.pop("title", f"{kind} in f"),
        function="f",
        module="mymod",
        taint=(("G", "proprietary module"), ("O", "out-of-tree module")),
        frames=(Frame("f", 0x10, 0x40, "mymod"),),
        signature=sig,
        boot_id=BOOT,
        start_position=kw.pop("start", f"cursor-{t}"),
        end_position=f"cursor-end-{t}",
        realtime=t,
        lines=("BUG: kernel NULL pointer dereference",),
        **kw,
    )


@pytest.fixture
def state(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    yield db
    db.close()


def make(state, journal=None, **alerts_cfg) -> Pipeline:
    cfg = config.from_dict({"alerts": alerts_cfg} if alerts_cfg else {})
    return Pipeline(state, cfg, BOOT, journal=journal or RecordingJournal(), started_at=5000.0)


def recorded(state) -> List[str]:
    return [r[0] for r in state.conn.execute("SELECT alert_id FROM alerts ORDER BY rowid")]


def test_first_report_alerts_with_fields_and_commits_everything(state):
    journal = RecordingJournal()
    p = make(state, journal)
    alert_id = p.on_report(report(), ("journal", Position("c1", BOOT)))
    assert [a.type for a in journal.alerts] == ["crash_report"]
    alert, sent_id = journal.sent[0]
    assert sent_id == alert_id
    assert alert.severity is Severity.CRIT
    f = alert.fields
    assert (f["kind"], f["function"], f["module"], f["taint"]) == ("oops", "f", "mymod", "GO")
    assert f["signature"] == "oops:f" and f["repeat_count"] == "1"
    assert f["source_position"] == "cursor-1000.0"
    assert load_position(state, "journal") == Position("c1", BOOT)
    # sent, but recorded as sent only once journald is seen to have stored it
    row = state.conn.execute("SELECT incident_id, alerted FROM incidents").fetchone()
    assert row["incident_id"] == f["incident"] and row["alerted"] == 0
    assert recorded(state) == []
    assert [r[0] for r in state.conn.execute("SELECT alert_id FROM outbox")] == [alert_id]
    assert p.outbox.flush(5.0) and p.outbox.stored_count == 1
    assert recorded(state) == [alert_id]
    assert state.conn.execute("SELECT alerted FROM incidents").fetchone()[0] == 1
    assert state.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def test_repeats_are_counted_not_alerted_and_summarised(state):
    journal = RecordingJournal()
    p = make(state, journal, storm_summary_every=3)
    for i in range(7):
        p.on_report(report(t=1000.0 + i))
    types = [a.type for a in journal.alerts]
    # first occurrence, then a summary at 1 + 3 and 1 + 3 + 3 occurrences
    assert types == ["crash_report", "crash_repeated", "crash_repeated"]
    assert [a.fields["repeat_count"] for a in journal.alerts[1:]] == ["4", "7"]
    row = report_store.get_report(state, BOOT, "oops:f")
    assert (row.count, row.alerted_count) == (7, 7)


def test_window_close_sends_one_summary(state):
    journal = RecordingJournal()
    p = make(state, journal, storm_window_seconds=60)
    for i in range(5):
        p.on_report(report(t=1000.0 + i))
    assert len(journal.sent) == 1
    assert p.tick(time.time() + 30) == 0
    assert p.tick(time.time() + 61) == 1
    assert journal.alerts[-1].type == "crash_repeated"
    assert journal.alerts[-1].fields["repeat_count"] == "5"
    assert p.tick(time.time() + 200) == 0  # nothing new to summarise


def test_an_owed_first_alert_opens_the_storm_window(state):
    # journald refuses the first alert: the repeats right after it are still a storm
    journal = RecordingJournal()
    journal.refuse = ConnectionRefusedError(111, "Connection refused")
    p = make(state, journal, storm_window_seconds=60)
    for i in range(5):
        p.on_report(report(t=1000.0 + i))
    assert journal.sent == [] and len(p.outbox.entries) == 1


def test_repeat_after_a_quiet_window_alerts_at_once(state):
    journal = RecordingJournal()
    p = make(state, journal, storm_window_seconds=0)
    p.on_report(report(t=1000.0))
    p.outbox.pump()
    p.on_report(report(t=2000.0))
    assert [a.type for a in journal.alerts] == ["crash_report", "crash_repeated"]


def test_report_read_again_after_restart_is_not_counted(state):
    journal = RecordingJournal()
    p = make(state, journal)
    p.on_report(report(t=1000.0))
    p.on_report(report(t=1001.0))
    again = make(state, journal)
    again.on_report(report(t=1000.0))
    again.on_report(report(t=1001.0))
    assert report_store.get_report(state, BOOT, "oops:f").count == 2
    assert len(journal.sent) == 1


def test_repeats_after_the_clock_stepped_back_are_counted(state):
    # The wall clock was set back an hour between two occurrences: the second has an
    # older realtime but a later kernel time, so it is a new occurrence, not a re-read.
    p = make(state)
    p.on_report(report(t=1000.0, monotonic_us=50_000_000))
    p.on_report(report(t=1000.0 - 3600, monotonic_us=60_000_000))
    p.on_report(report(t=1000.0 - 3599, monotonic_us=61_000_000))
    assert report_store.get_report(state, BOOT, "oops:f").count == 3
    # read again after a restart (same kernel times): not counted twice
    again = make(state)
    again.on_report(report(t=1000.0 - 3600, monotonic_us=60_000_000))
    assert report_store.get_report(state, BOOT, "oops:f").count == 3


def test_alert_already_in_the_journal_is_not_sent_again(state):
    # A previous run sent the alert and died before committing: the journal has it.
    probe = make(state)
    sent_before = probe.alert_id(BOOT, "oops:f", "crash_report", 1)
    journal = RecordingJournal(stored={sent_before})
    p = make(state, journal)
    assert p.on_report(report(t=1000.0)) == sent_before
    assert journal.sent == []
    assert recorded(state) == [sent_before]
    assert state.conn.execute("SELECT alerted FROM incidents").fetchone()[0] == 1


def test_alert_ids_are_keyed_with_the_state_directory_secret(state, tmp_path):
    # Another state directory (another key) gives other ids for the same crash: a user
    # who cannot read the key cannot predict the id of a coming alert.
    other = StateDB(str(tmp_path / "other" / "state.db"))
    a = make(state).alert_id(BOOT, "oops:f", "crash_report", 1)
    b = make(other).alert_id(BOOT, "oops:f", "crash_report", 1)
    assert a != b and len(a) == len(b) == 32
    assert make(state).alert_id(BOOT, "oops:f", "crash_report", 1) == a
    key = tmp_path / "alert-id.key"
    assert key.stat().st_mode & 0o777 == 0o600 and key.stat().st_size == 32
    other.close()


def test_new_reports_skip_the_journal_lookup(state):
    journal = RecordingJournal()
    p = Pipeline(state, config.Config(), BOOT, journal=journal, started_at=500.0)
    p.on_report(report(t=1000.0))  # printed after the daemon started: cannot have been sent
    assert journal.lookups == []


def test_signatures_and_boots_are_separate(state):
    journal = RecordingJournal()
    p = make(state, journal)
    p.on_report(report("oops:f", t=1000.0))
    p.on_report(report("warning:g", t=1001.0, kind="warning"))
    other = report("oops:f", t=1002.0)
    p.on_report(CrashReport(**{**other.__dict__, "boot_id": "f" * 32}))
    assert [a.type for a in journal.alerts] == ["crash_report"] * 3
    assert journal.alerts[1].severity is Severity.WARNING


def test_refused_send_stays_owed_and_is_delivered_once_journald_returns(state):
    journal = RecordingJournal()
    journal.refuse = ConnectionRefusedError(111, "Connection refused")
    clock = [100.0]
    p = make(state, journal)
    p.outbox.clock = lambda: clock[0]
    alert_id = p.on_report(report(), ("journal", Position("c9", BOOT)))
    assert load_position(state, "journal").value == "c9"  # the position moves on
    assert recorded(state) == [] and journal.sent == []
    row = state.conn.execute("SELECT attempts, sent, last_error FROM outbox").fetchone()
    assert tuple(row) == (1, None, "Connection refused")
    assert p.outbox.owed()["count"] == 1 and p.outbox.owed()["unsent"] == 1
    clock[0] += 0.1
    assert p.outbox.pump() == 0  # not due yet (backoff)
    clock[0] += 1.0
    p.outbox.pump()  # due: refused again, the backoff doubles
    assert p.outbox.entries[alert_id].attempts == 2
    journal.refuse = None  # journald is back
    clock[0] += 1.1
    p.outbox.pump()  # sent
    clock[0] += 0.1
    assert p.outbox.pump() == 1  # found stored: recorded
    assert [i for _, i in journal.sent] == [alert_id] and recorded(state) == [alert_id]
    assert p.outbox.owed()["count"] == 0


def test_a_send_journald_lost_is_sent_again_after_a_probe_exactly_once(state):
    journal = RecordingJournal()
    journal.lose = True  # journald takes the datagram and dies before storing it
    clock = [100.0]
    p = make(state, journal)
    p.outbox.clock = lambda: clock[0]
    alert_id = p.on_report(report())
    assert len(journal.sent) == 1
    for _ in range(10):  # journald stores nothing: no probe is seen, nothing resent
        clock[0] += 1.0
        p.outbox.pump()
    assert len(journal.sent) == 1 and journal.probes
    journal.lose = False  # journald is back: the next probe is stored, the alert is not
    clock[0] += 11.0
    p.outbox.pump()  # a new probe
    clock[0] += 1.0
    p.outbox.pump()  # the probe is stored, the alert missing: sent again
    assert [i for _, i in journal.sent] == [alert_id, alert_id]
    clock[0] += 1.0
    assert p.outbox.pump() == 1
    assert recorded(state) == [alert_id] and p.outbox.resent == 1
    clock[0] += 60.0
    p.outbox.pump()
    assert len(journal.sent) == 2


def test_an_alert_stored_between_its_look_up_and_the_probes_is_not_sent_again(state):
    # journald, stopped, goes on between the alert's look-up (not there yet) and the
    # probe's (there): the alert is looked up again, found, and not sent a second time.
    class CatchingUp(RecordingJournal):
        def probe_stored(self, token):
            self.lose = False
            self.entries.update({i: a for a, i in self.sent})  # it stores its queue now
            self.stored_probes.update(self.probes)
            return super().probe_stored(token)

    journal = CatchingUp()
    journal.lose = True
    clock = [100.0]
    p = make(state, journal)
    p.outbox.clock = lambda: clock[0]
    alert_id = p.on_report(report())
    for _ in range(6):
        clock[0] += 1.0
        p.outbox.pump()
    assert [i for _, i in journal.sent] == [alert_id] and p.outbox.resent == 0
    assert recorded(state) == [alert_id]


def test_a_slow_journald_gets_no_second_copy(state):
    # stored only after 2 s: the look-ups find it before any probe; sent once
    journal = RecordingJournal()
    journal.lose = True
    clock = [100.0]
    p = make(state, journal)
    p.outbox.clock = lambda: clock[0]
    alert_id = p.on_report(report())
    clock[0] += 2.0
    p.outbox.pump()
    journal.entries[alert_id] = journal.sent[0][0]  # journald got to it
    clock[0] += 1.0
    assert p.outbox.pump() == 1 and len(journal.sent) == 1


def test_owed_alerts_survive_a_restart_and_are_looked_up_first(state):
    journal = RecordingJournal()
    journal.refuse = ConnectionRefusedError(111, "Connection refused")
    first = make(state, journal)
    alert_id = first.on_report(report())
    # the next process: journald is up and already has the alert (sent just before a
    # crash of kcrashd): it is recorded, not sent again
    journal = RecordingJournal(stored={alert_id})
    again = make(state, journal)
    assert again.outbox.load() == 1
    assert again.outbox.pump() == 1
    assert journal.sent == [] and recorded(state) == [alert_id]


def test_hooks_run_once_however_often_the_journal_refuses(state):
    class Hooks:
        def __init__(self):
            self.ids = []

        def submit(self, alert, alert_id):
            self.ids.append(alert_id)

    hooks, journal = Hooks(), RecordingJournal()
    journal.refuse = ConnectionRefusedError(111, "Connection refused")
    clock = [0.0]
    p = Pipeline(state, config.Config(), BOOT, journal=journal, hooks=hooks, started_at=5000.0)
    p.outbox.clock = lambda: clock[0]
    alert_id = p.on_report(report())
    for _ in range(5):
        clock[0] += 60
        p.outbox.pump()
    assert hooks.ids == [alert_id]


def test_job_alerts_are_recorded(state):
    p = make(state)
    alert = Alert("component_failed", Severity.ERR, "x failed", {"component": "x"}, "cf:x")
    alert_id = p.on_alert(alert)
    assert p.outbox.flush(5.0)
    row = state.conn.execute("SELECT type, fields_json FROM alerts WHERE alert_id=?", (alert_id,))
    kind, fields = row.fetchone()
    assert kind == "component_failed" and json.loads(fields) == {"component": "x"}


@pytest.mark.parametrize(
    "kind,severity",
    [
        ("panic", Severity.CRIT),
        ("oops", Severity.CRIT),
        ("page_fault", Severity.CRIT),
        ("kasan", Severity.CRIT),
        ("warning", Severity.WARNING),
        ("hung_task", Severity.WARNING),
        ("oom_kill", Severity.WARNING),
        ("io_error", Severity.ERR),
    ],
)
def test_severity(kind, severity):
    assert severity_for(report(kind=kind)) is severity


def test_panicked_warning_is_critical():
    assert severity_for(report(kind="warning", panicked=True)) is Severity.CRIT


class Snapshots:
    """reserve(reason) -> id and capture(id, reason), as the daemon's SnapshotWorker; a
    capture notes how many alerts the journal had by then."""

    def __init__(self, journal: Optional[RecordingJournal] = None) -> None:
        self.reasons: List[str] = []
        self.journal = journal
        self.captured: List[Tuple[str, str, int]] = []

    def reserve(self, reason: str) -> str:
        self.reasons.append(reason)
        return f"snap-{len(self.reasons)}"

    def capture(self, snapshot_id: str, reason: str) -> None:
        sent = len(self.journal.alerts) if self.journal is not None else -1
        self.captured.append((snapshot_id, reason, sent))


def with_snapshots(state, journal, snaps) -> Pipeline:
    return Pipeline(
        state,
        config.Config(),
        BOOT,
        journal=journal,
        started_at=5000.0,  # reports with realtime >= 5000 are live
        snapshots=snaps,
    )


NON_FATAL = (
    "oops",
    "page_fault",
    "warning",
    "hung_task",
    "soft_lockup",
    "rcu_stall",
    "oom_kill",
    "mce",
    "lockdep",
    "kasan",
    "kfence",
    "ubsan",
)


@pytest.mark.parametrize("kind", NON_FATAL)
def test_live_non_fatal_report_takes_a_snapshot(state, kind):
    journal, snaps = RecordingJournal(), Snapshots()
    p = with_snapshots(state, journal, snaps)
    p.on_report(report(sig=f"{kind}:f", t=6000.0, kind=kind))
    assert snaps.reasons == [f"kernel {kind}: {kind} in f"]
    (alert,) = journal.alerts
    assert alert.fields["snapshot"] == "snap-1"
    row = state.conn.execute("SELECT snapshot_id FROM incidents").fetchone()
    assert row[0] == "snap-1"


def test_snapshot_is_captured_after_the_alert_is_sent(state):
    journal = RecordingJournal()
    snaps = Snapshots(journal)
    p = with_snapshots(state, journal, snaps)
    p.on_report(report(sig="oops:f", t=6000.0, kind="oops"))
    # the alert naming the snapshot was in the journal when the capture started
    assert snaps.captured == [("snap-1", "kernel oops: oops in f", 1)]
    assert journal.alerts[0].fields["snapshot"] == "snap-1"
    row = state.conn.execute("SELECT snapshot_id FROM incidents").fetchone()
    assert row[0] == "snap-1"


def test_a_failing_snapshot_reservation_does_not_stop_the_alert(state):
    class Broken(Snapshots):
        def reserve(self, reason: str) -> str:
            raise OSError("no space")

    journal = RecordingJournal()
    p = with_snapshots(state, journal, Broken(journal))
    p.on_report(report(sig="oops:f", t=6000.0, kind="oops"))
    (alert,) = journal.alerts
    assert "snapshot" not in alert.fields


@pytest.mark.parametrize("kind", NON_FATAL + ("panic",))
def test_backlog_report_takes_no_snapshot(state, kind):
    # printed earlier in the boot than this daemon's start: a snapshot now shows another time
    journal, snaps = RecordingJournal(), Snapshots()
    p = with_snapshots(state, journal, snaps)
    p.on_report(report(sig=f"{kind}:f", t=4999.0, kind=kind))
    assert snaps.reasons == []
    (alert,) = journal.alerts
    assert "snapshot" not in alert.fields


def test_fatal_live_report_takes_no_snapshot(state):
    journal, snaps = RecordingJournal(), Snapshots()
    p = with_snapshots(state, journal, snaps)
    p.on_report(report(sig="panic:f", t=6000.0, kind="panic"))
    p.on_report(report(sig="oops:g", t=6001.0, kind="oops", panicked=True))  # a panic tail
    assert snaps.reasons == []
    assert [a.fields.get("snapshot") for a in journal.alerts] == [None, None]
    # and a live non-fatal one after them still gets its snapshot
    p.on_report(report(sig="warning:h", t=6002.0, kind="warning"))
    assert snaps.reasons == ["kernel warning: warning in f"]


def test_report_without_a_time_takes_no_snapshot(state):
    journal, snaps = RecordingJournal(), Snapshots()
    p = with_snapshots(state, journal, snaps)
    p.on_report(report(sig="oops:f", t=None))  # cannot be told live: treated as backlog
    assert snaps.reasons == []


def test_alerts_found_in_the_journal_give_one_info_line_per_batch(state, caplog):
    # A fresh state DB re-reading a boot whose alerts are all in the journal.
    ids = [make(state).alert_id(BOOT, f"oops:f{i}", "crash_report", 1) for i in range(5)]
    journal = RecordingJournal(stored=set(ids))
    p = make(state, journal)
    caplog.set_level(logging.DEBUG, logger="kcrashd.alerts.pipeline")
    for i in range(5):
        p.on_report(report(sig=f"oops:f{i}", t=1000.0 + i))
    assert journal.sent == []
    per_alert = [r for r in caplog.records if "not sent again" in r.getMessage()]
    assert len(per_alert) == 5 and {r.levelno for r in per_alert} == {logging.DEBUG}
    caplog.clear()
    assert p.log_not_resent() == 5
    (line,) = [r for r in caplog.records if r.levelno == logging.INFO]
    assert line.getMessage() == "5 alerts found already in the journal, not sent again"
    caplog.clear()
    assert p.log_not_resent() == 0 and caplog.records == []


def corrupted(sig: str, t: float, first_line: str, rip=None, kind="oops") -> CrashReport:
    return CrashReport(
        **{
            **report(sig, t, kind=kind).__dict__,
            "corrupted": True,
            "lines": (first_line,),
            "rip": rip,
            "function": "do_syscall_64",
        }
    )


NPD = "BUG: kernel NULL pointer dereference, address: 0000000000000000"


def test_a_report_that_lost_lines_counts_against_its_header(state):
    # A storm of one oops where journald missed lines: the truncated copies have other
    # frames (another signature) but the same first line. They are repeats, not "first".
    journal = RecordingJournal()
    p = make(state, journal)
    whole = report("page_fault:f:1", t=1000.0, kind="page_fault", rip=Frame("f", 1, 2))
    p.on_report(CrashReport(**{**whole.__dict__, "lines": (NPD,)}))
    npd8 = NPD.replace("0000", "0008")
    p.on_report(corrupted("page_fault:do_syscall_64:9", 1001.0, npd8, kind="page_fault"))
    p.on_report(corrupted("page_fault:g:7", 1002.0, NPD, rip=Frame("f", 5, 6), kind="page_fault"))
    assert [a.type for a in journal.alerts] == ["crash_report"]
    assert report_store.get_report(state, BOOT, "page_fault:f:1").count == 3


def test_corrupted_reports_without_a_match_share_one_header_signature(state):
    journal = RecordingJournal()
    p = make(state, journal)
    p.on_report(corrupted("oops:a:1", 1000.0, NPD))
    p.on_report(corrupted("oops:b:2", 1001.0, NPD))
    (alert,) = journal.alerts
    assert alert.fields["signature"].startswith("oops:header:")
    assert alert.fields["corrupted"] == "yes" and "incomplete report" in alert.summary
    # a corrupted report whose RIP line survived and names another function is not merged
    p.on_report(corrupted("oops:c:3", 1002.0, NPD, rip=Frame("other_fn", 1, 2)))
    p.on_report(report("oops:z", 1003.0))  # and a whole report keeps its own signature
    assert len(journal.alerts) == 3
