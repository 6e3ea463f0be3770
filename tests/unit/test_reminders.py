"""Reminders (alerts.reminder, like smartd -M daily) with a real StateDB and a clock the
test moves: a CRIT readiness finding or a raised signal nobody fixed is alerted again once
per interval, never more often, and neither a restart nor an upgrade sends one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest

from kcrashd.checks.job import ReadinessJob, summary_alert
from kcrashd.config import from_dict
from kcrashd.daemon.jobs import DaemonContext, load_jobs
from kcrashd.daemon.reminders import ReminderJob
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Alert, Result, Severity, Status
from kcrashd.store import alerts as alert_store
from kcrashd.store import reminders as reminder_store
from kcrashd.store.state import StateDB
from tests.unit.checks.conftest import MTIMES, ROOTS, set_mtimes

T0 = 1_750_000_000.0
DAY = 86400.0
SCENARIO = "rhel9-no-crashkernel"  # crashkernel_cmdline and kdump_loaded are CRIT there


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def host(tmp_path) -> Path:
    dest = tmp_path / SCENARIO
    shutil.copytree(ROOTS / SCENARIO, dest, symlinks=True)
    set_mtimes(dest, MTIMES.get(SCENARIO, {}))
    return dest


def ctx_for(host: Path, db: StateDB, reminder: str = "daily") -> DaemonContext:
    config = from_dict({"alerts": {"reminder": reminder}})
    return DaemonContext(config, Root(str(host)), CommandRunner(), db, "b" * 32)


def store_results(db: StateDB, **statuses: str) -> None:
    with db.transaction() as c:
        c.execute("DELETE FROM check_results")
        for check_id, status in statuses.items():
            c.execute(
                "INSERT INTO check_results(check_id, status, summary, updated) VALUES(?,?,?,?)",
                (check_id, status, "s", T0),
            )


def raise_signal(db: StateDB, since: float, level: int = 2) -> None:
    with db.transaction() as c:
        c.execute(
            "INSERT INTO signals(watcher, key, level, since, value, message) "
            "VALUES('disk', '/dev/sda', ?, ?, 5, 'reallocated sectors grew')",
            (level, since),
        )


def kinds(alerts: List[Alert]) -> List[str]:
    return [a.type for a in alerts]


def test_a_crit_finding_is_reminded_once_per_interval_not_at_restart(host, tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    store_results(db, crashkernel_cmdline="CRIT", kdump_loaded="CRIT", panic_timeout="WARN")
    clock = Clock(T0)
    ctx = ctx_for(host, db)

    (first,) = ReminderJob(clock).run(ctx)  # never told before (the start summary is a notice)
    assert first.type == "readiness_reminder" and first.severity is Severity.ERR
    assert first.fields["checks"] == "crashkernel_cmdline kdump_loaded"
    assert "grubby" in first.fields["findings"]  # each finding with the check's own fix

    clock.now = T0 + 60
    assert ReminderJob(clock).run(ctx) == []
    clock.now = T0 + 3600  # a restart or an upgrade: a new job, new memory, the same state.db
    assert ReminderJob(clock).run(ctx_for(host, db)) == []
    clock.now = T0 + DAY - 1
    assert ReminderJob(clock).run(ctx) == []
    clock.now = T0 + DAY
    assert kinds(ReminderJob(clock).run(ctx)) == ["readiness_reminder"]
    assert reminder_store.reminded(db)["readiness:kdump_loaded"] == (T0 + DAY, 2)
    db.close()


def test_a_fixed_finding_is_not_reminded_and_starts_afresh(host, tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    store_results(db, crashkernel_cmdline="CRIT", kdump_loaded="CRIT")
    clock = Clock(T0)
    ReminderJob(clock).run(ctx_for(host, db))
    store_results(db, crashkernel_cmdline="OK", kdump_loaded="CRIT")  # fixed since
    clock.now = T0 + DAY
    (again,) = ReminderJob(clock).run(ctx_for(host, db))
    assert again.fields["checks"] == "kdump_loaded"
    assert "readiness:crashkernel_cmdline" not in reminder_store.reminded(db)
    db.close()


def test_a_finding_fixed_since_the_last_readiness_run_is_checked_again(host, tmp_path):
    # stored CRIT by the last readiness run, OK on the host now: no reminder
    db = StateDB(str(tmp_path / "state.db"))
    store_results(db, panic_on_oops="CRIT")
    assert ReminderJob(Clock(T0)).run(ctx_for(host, db)) == []
    db.close()


@pytest.mark.parametrize(
    "earlier",
    [
        # the alert that raised the finding (with another check that degraded with it)
        (
            "readiness_degraded",
            {"changes": "crashkernel_cmdline:OK>WARN,kdump_loaded:OK>CRIT"},
            "readiness_degraded:crashkernel_cmdline:WARN,kdump_loaded:CRIT",
        ),
        # the same from a kcrashd that sent one alert per changed check
        (
            "readiness_degraded",
            {"check": "kdump_loaded", "status": "CRIT"},
            "readiness_degraded:kdump_loaded:CRIT",
        ),
        # an upgrade from a kcrashd without reminders, whose start summary was at err
        ("readiness_summary", {}, "readiness_summary"),
    ],
)
def test_an_earlier_err_alert_about_the_finding_counts_as_telling_it(host, tmp_path, earlier):
    db = StateDB(str(tmp_path / "state.db"))
    store_results(db, kdump_loaded="CRIT")
    with db.transaction() as c:
        alert = Alert(earlier[0], Severity.ERR, "kdump_loaded is CRIT", earlier[1], earlier[2])
        alert_store.insert_alert(c, "a1", alert, "b" * 32, now=T0)
    clock = Clock(T0 + DAY / 2)
    assert ReminderJob(clock).run(ctx_for(host, db)) == []
    clock.now = T0 + DAY
    assert kinds(ReminderJob(clock).run(ctx_for(host, db))) == ["readiness_reminder"]
    db.close()


def test_the_readiness_job_tells_the_reminders_what_it_just_alerted(host, tmp_path):
    # the degraded alert's row is committed by the main thread, maybe after the reminder
    # job looks: the readiness job's memory bridges that
    db = StateDB(str(tmp_path / "state.db"))
    ctx = ctx_for(host, db)
    store_results(db, kdump_loaded="OK", crashkernel_cmdline="OK")
    alerts = ReadinessJob().run(ctx)  # both are CRIT on this host: one degraded alert
    (degraded,) = [a for a in alerts if a.type == "readiness_degraded"]
    assert set(degraded.fields["checks"].split(",")) >= {"kdump_loaded", "crashkernel_cmdline"}
    just = ctx.memory["readiness"]["crit_alerted"]
    (r,) = ReminderJob(Clock(max(just.values()) + 60)).run(ctx)
    # only the CRIT findings nobody was told of (no stored status to degrade from) remain
    told = r.fields["checks"].split()
    assert told and not {"kdump_loaded", "crashkernel_cmdline"} & set(told)
    assert set(told) <= {k for k, v in _stored(db).items() if v == "CRIT"}
    db.close()


def _stored(db: StateDB) -> dict:
    return dict(db.conn.execute("SELECT check_id, status FROM check_results").fetchall())


def test_a_raised_signal_is_reminded_a_day_after_it_was_raised(host, tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    raise_signal(db, since=T0)
    clock = Clock(T0 + 60)
    ctx = ctx_for(host, db)
    assert ReminderJob(clock).run(ctx) == []  # the disk_raised alert was just sent
    clock.now = T0 + DAY
    (r,) = ReminderJob(clock).run(ctx)
    assert r.type == "signal_reminder" and r.severity is Severity.CRIT
    assert r.fields["key"] == "/dev/sda" and r.fields["reminder_count"] == "1"
    assert "still CRIT for 24 hours" in r.summary
    clock.now = T0 + DAY + 3600
    assert ReminderJob(clock).run(ctx) == []
    clock.now = T0 + 2 * DAY
    (r2,) = ReminderJob(clock).run(ctx)
    assert r2.fields["reminder_count"] == "2"
    with db.transaction() as c:  # cleared
        c.execute("DELETE FROM signals")
    clock.now = T0 + 5 * DAY
    assert ReminderJob(clock).run(ctx) == []
    assert reminder_store.reminded(db) == {}
    db.close()


def test_reminder_setting(host, tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    store_results(db, kdump_loaded="CRIT")
    job = ReminderJob(Clock(T0))
    assert job.interval(ctx_for(host, db, "never").config) == 0
    assert job.run(ctx_for(host, db, "never")) == []
    assert job.interval(ctx_for(host, db, "hourly").config) == 600
    hourly = ctx_for(host, db, "hourly")
    assert kinds(job.run(hourly)) == ["readiness_reminder"]
    job.clock = Clock(T0 + 3600)
    assert kinds(job.run(hourly)) == ["readiness_reminder"]
    weekly = ctx_for(host, db, "weekly")
    job.clock = Clock(T0 + 3 * DAY)
    assert job.run(weekly) == []
    db.close()


def test_the_job_is_registered_after_the_watchers():
    names = [j.name for j in load_jobs()]
    assert names.index("reminders") > max(
        i for i, n in enumerate(names) if n.startswith("watcher_")
    )
    assert names.index("reminders") < names.index("metrics")


def test_the_start_summary_is_a_notice_even_with_critical_findings():
    crit = Result("kdump_loaded", Status.CRIT, "no crash kernel loaded", fix="kdumpctl start")
    warn = Result("panic_timeout", Status.WARN, "kernel.panic = 0", fix="sysctl")
    ok = Result("kdump_loaded", Status.OK, "loaded")
    assert summary_alert([crit, ok]).severity is Severity.NOTICE
    assert summary_alert([warn]).severity is Severity.NOTICE
    assert summary_alert([ok]).severity is Severity.INFO
