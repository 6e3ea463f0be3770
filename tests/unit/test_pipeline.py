"""The alert pipeline against a real SQLite state file: dedup, storm limit, exactly once."""

from __future__ import annotations

import json
import logging
import time
from typing import List, Tuple

import pytest

from kcrashd import config
from kcrashd.alerts.pipeline import Pipeline, alert_id_for, severity_for
from kcrashd.model import Alert, CrashReport, Frame, Severity
from kcrashd.store import reports as report_store
from kcrashd.store.positions import Position, load_position
from kcrashd.store.state import StateDB

BOOT = "0123456789abcdef0123456789abcdef"


def report(sig: str = "oops:f", t: float = 1000.0, kind: str = "oops", **kw) -> CrashReport:
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


class Sink:
    def __init__(self) -> None:
        self.sent: List[Tuple[Alert, str]] = []

    def __call__(self, alert: Alert, alert_id: str) -> None:
        self.sent.append((alert, alert_id))


@pytest.fixture
def state(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    yield db
    db.close()


def make(state, sink, journal=(), **alerts_cfg) -> Pipeline:
    cfg = config.from_dict({"alerts": alerts_cfg} if alerts_cfg else {})
    return Pipeline(
        state, cfg, BOOT, sinks=[sink], already_sent=lambda i: i in journal, started_at=5000.0
    )


def test_first_report_alerts_with_fields_and_commits_everything(state):
    sink = Sink()
    p = make(state, sink)
    alert_id = p.on_report(report(), ("journal", Position("c1", BOOT)))
    assert [a.type for a, _ in sink.sent] == ["crash_report"]
    alert, sent_id = sink.sent[0]
    assert sent_id == alert_id
    assert alert.severity is Severity.CRIT
    f = alert.fields
    assert (f["kind"], f["function"], f["module"], f["taint"]) == ("oops", "f", "mymod", "GO")
    assert f["signature"] == "oops:f" and f["repeat_count"] == "1"
    assert f["source_position"] == "cursor-1000.0"
    row = state.conn.execute("SELECT incident_id, alerted FROM incidents").fetchone()
    assert row["incident_id"] == f["incident"] and row["alerted"] == 1
    assert state.conn.execute("SELECT alert_id FROM alerts").fetchone()[0] == alert_id
    assert load_position(state, "journal") == Position("c1", BOOT)


def test_repeats_are_counted_not_alerted_and_summarised(state):
    sink = Sink()
    p = make(state, sink, storm_summary_every=3)
    for i in range(7):
        p.on_report(report(t=1000.0 + i))
    types = [a.type for a, _ in sink.sent]
    # first occurrence, then a summary at 1 + 3 and 1 + 3 + 3 occurrences
    assert types == ["crash_report", "crash_repeated", "crash_repeated"]
    assert [a.fields["repeat_count"] for a, _ in sink.sent[1:]] == ["4", "7"]
    row = report_store.get_report(state, BOOT, "oops:f")
    assert (row.count, row.alerted_count) == (7, 7)


def test_window_close_sends_one_summary(state):
    sink = Sink()
    p = make(state, sink, storm_window_seconds=60)
    for i in range(5):
        p.on_report(report(t=1000.0 + i))
    assert len(sink.sent) == 1
    assert p.tick(time.time() + 30) == 0
    assert p.tick(time.time() + 61) == 1
    assert sink.sent[-1][0].type == "crash_repeated"
    assert sink.sent[-1][0].fields["repeat_count"] == "5"
    assert p.tick(time.time() + 200) == 0  # nothing new to summarise


def test_repeat_after_a_quiet_window_alerts_at_once(state):
    sink = Sink()
    p = make(state, sink, storm_window_seconds=0)
    p.on_report(report(t=1000.0))
    p.on_report(report(t=2000.0))
    assert [a.type for a, _ in sink.sent] == ["crash_report", "crash_repeated"]


def test_report_read_again_after_restart_is_not_counted(state):
    sink = Sink()
    p = make(state, sink)
    p.on_report(report(t=1000.0))
    p.on_report(report(t=1001.0))
    again = make(state, sink)
    again.on_report(report(t=1000.0))
    again.on_report(report(t=1001.0))
    assert report_store.get_report(state, BOOT, "oops:f").count == 2
    assert len(sink.sent) == 1


def test_alert_already_in_the_journal_is_not_sent_again(state):
    # A previous run sent the alert and died before committing: the journal has it.
    sent_before = alert_id_for(BOOT, "oops:f", "crash_report", 1)
    sink = Sink()
    p = make(state, sink, journal={sent_before})
    assert p.on_report(report(t=1000.0)) == sent_before
    assert sink.sent == []
    assert state.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1
    assert state.conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 1


def test_new_reports_skip_the_journal_lookup(state):
    looked_up = []
    p = Pipeline(
        state,
        config.Config(),
        BOOT,
        sinks=[Sink()],
        already_sent=lambda i: looked_up.append(i) or False,
        started_at=500.0,
    )
    p.on_report(report(t=1000.0))  # printed after the daemon started: cannot have been sent
    assert looked_up == []


def test_signatures_and_boots_are_separate(state):
    sink = Sink()
    p = make(state, sink)
    p.on_report(report("oops:f", t=1000.0))
    p.on_report(report("warning:g", t=1001.0, kind="warning"))
    other = report("oops:f", t=1002.0)
    p.on_report(CrashReport(**{**other.__dict__, "boot_id": "f" * 32}))
    assert [a.type for a, _ in sink.sent] == ["crash_report"] * 3
    assert sink.sent[1][0].severity is Severity.WARNING


def test_failing_sink_does_not_stop_the_others_or_the_commit(state):
    def broken(alert, alert_id):
        raise OSError("journald is gone")

    sink = Sink()
    p = Pipeline(state, config.Config(), BOOT, sinks=[broken, sink], already_sent=lambda i: False)
    p.on_report(report(), ("journal", Position("c9", BOOT)))
    assert len(sink.sent) == 1
    assert load_position(state, "journal").value == "c9"


def test_job_alerts_are_recorded(state):
    sink = Sink()
    p = make(state, sink)
    alert = Alert("component_failed", Severity.ERR, "x failed", {"component": "x"}, "cf:x")
    alert_id = p.on_alert(alert)
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
    """take_snapshot(reason) -> id, as the daemon's SnapshotTaker."""

    def __init__(self) -> None:
        self.reasons: List[str] = []

    def __call__(self, reason: str) -> str:
        self.reasons.append(reason)
        return f"snap-{len(self.reasons)}"


def with_snapshots(state, sink, snaps) -> Pipeline:
    return Pipeline(
        state,
        config.Config(),
        BOOT,
        sinks=[sink],
        already_sent=lambda i: False,
        started_at=5000.0,  # reports with realtime >= 5000 are live
        take_snapshot=snaps,
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
    sink, snaps = Sink(), Snapshots()
    p = with_snapshots(state, sink, snaps)
    p.on_report(report(sig=f"{kind}:f", t=6000.0, kind=kind))
    assert snaps.reasons == [f"kernel {kind}: {kind} in f"]
    ((alert, _),) = sink.sent
    assert alert.fields["snapshot"] == "snap-1"
    row = state.conn.execute("SELECT snapshot_id FROM incidents").fetchone()
    assert row[0] == "snap-1"


@pytest.mark.parametrize("kind", NON_FATAL + ("panic",))
def test_backlog_report_takes_no_snapshot(state, kind):
    # printed earlier in the boot than this daemon's start: a snapshot now shows another time
    sink, snaps = Sink(), Snapshots()
    p = with_snapshots(state, sink, snaps)
    p.on_report(report(sig=f"{kind}:f", t=4999.0, kind=kind))
    assert snaps.reasons == []
    ((alert, _),) = sink.sent
    assert "snapshot" not in alert.fields


def test_fatal_live_report_takes_no_snapshot(state):
    sink, snaps = Sink(), Snapshots()
    p = with_snapshots(state, sink, snaps)
    p.on_report(report(sig="panic:f", t=6000.0, kind="panic"))
    p.on_report(report(sig="oops:g", t=6001.0, kind="oops", panicked=True))  # a panic tail
    assert snaps.reasons == []
    assert [a.fields.get("snapshot") for a, _ in sink.sent] == [None, None]
    # and a live non-fatal one after them still gets its snapshot
    p.on_report(report(sig="warning:h", t=6002.0, kind="warning"))
    assert snaps.reasons == ["kernel warning: warning in f"]


def test_report_without_a_time_takes_no_snapshot(state):
    sink, snaps = Sink(), Snapshots()
    p = with_snapshots(state, sink, snaps)
    p.on_report(report(sig="oops:f", t=None))  # cannot be told live: treated as backlog
    assert snaps.reasons == []


def test_deliver_once_sends_records_and_never_repeats(state):
    sink = Sink()
    p = make(state, sink)
    alert = Alert("unexplained_reset", Severity.ERR, "previous boot ended", {"boot_id": "b0"})
    wrote = []

    def write(c) -> None:
        wrote.append(c.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
        c.execute("INSERT INTO meta(key, value) VALUES ('debt', 'paid')")

    assert p.deliver_once(alert, "id-1", write=write) is True
    assert [(a.type, i) for a, i in sink.sent] == [("unexplained_reset", "id-1")]
    assert wrote == [0]  # in the transaction that records the row
    row = state.conn.execute("SELECT type, boot_id FROM alerts WHERE alert_id='id-1'").fetchone()
    assert tuple(row) == ("unexplained_reset", BOOT)
    assert state.get_meta("debt") == "paid"
    # The same id again (say a debt left over): recorded already, so not sent.
    again = make(state, sink)
    assert again.deliver_once(alert, "id-1", "other-boot") is False
    assert len(sink.sent) == 1
    assert state.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1


def test_deliver_once_finds_an_uncommitted_send_in_the_journal(state):
    # A run sent it and died before its commit: recorded now, with the write, not resent.
    sink = Sink()
    p = make(state, sink, journal={"id-2"})
    alert = Alert("previous_boot_crashed", Severity.CRIT, "previous boot crashed: x", {})
    calls = []
    assert p.deliver_once(alert, "id-2", "b0", write=lambda c: calls.append(1)) is False
    assert sink.sent == [] and calls == [1]
    row = state.conn.execute("SELECT boot_id FROM alerts WHERE alert_id='id-2'").fetchone()
    assert row[0] == "b0"


def test_alerts_found_in_the_journal_give_one_info_line_per_batch(state, caplog):
    # A fresh state DB re-reading a boot whose alerts are all in the journal.
    ids = [alert_id_for(BOOT, f"oops:f{i}", "crash_report", 1) for i in range(5)]
    sink = Sink()
    p = make(state, sink, journal=set(ids))
    caplog.set_level(logging.DEBUG, logger="kcrashd.alerts.pipeline")
    for i in range(5):
        p.on_report(report(sig=f"oops:f{i}", t=1000.0 + i))
    assert sink.sent == []
    per_alert = [r for r in caplog.records if "not sent again" in r.getMessage()]
    assert len(per_alert) == 5 and {r.levelno for r in per_alert} == {logging.DEBUG}
    caplog.clear()
    assert p.log_not_resent() == 5
    (line,) = [r for r in caplog.records if r.levelno == logging.INFO]
    assert line.getMessage() == "5 alerts found already in the journal, not sent again"
    caplog.clear()
    assert p.log_not_resent() == 0 and caplog.records == []
