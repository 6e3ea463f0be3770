"""The readiness job with a real StateDB: summary at start, alerts when a check changes."""

from __future__ import annotations

import shutil

from kcrashd.checks.job import ReadinessJob, change_alerts, parse_changes
from kcrashd.config import Config, from_dict
from kcrashd.daemon.jobs import DaemonContext, load_jobs
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Result, Severity, Status
from kcrashd.store.state import StateDB


def _ctx(root: str, db: StateDB, config: Config = None) -> DaemonContext:
    return DaemonContext(config or Config(), Root(root), CommandRunner(), db, "b" * 32)


def test_job_is_registered_with_its_interval():
    jobs = {j.name: j for j in load_jobs()}
    assert isinstance(jobs["readiness"], ReadinessJob)
    assert jobs["readiness"].interval(Config()) == 6 * 3600
    assert jobs["readiness"].interval(from_dict({"checks": {"interval_hours": 0}})) is None


def test_summary_then_degraded_then_improved(roots, tmp_path):
    root = tmp_path / "host"
    shutil.copytree(roots / "debian12-kdump-ready", root, symlinks=True)
    db = StateDB(str(tmp_path / "state.db"))
    ctx = _ctx(str(root), db)
    job = ReadinessJob()

    first = job.run(ctx)
    assert [a.type for a in first] == ["readiness_summary"]
    assert first[0].summary.startswith("kcrashd started: 0 critical")
    stored = dict(db.conn.execute("SELECT check_id, status FROM check_results").fetchall())
    assert stored["kdump_loaded"] == "OK" and len(stored) == 47

    assert job.run(ctx) == []  # nothing changed: no alert

    # a kernel update left kdump unloaded
    (root / "sys/kernel/kexec_crash_loaded").write_text("0\n")
    degraded = job.run(ctx)
    assert [(a.type, a.fields["changes"]) for a in degraded] == [
        ("readiness_degraded", "kdump_loaded:OK>CRIT")
    ]
    a = degraded[0]
    assert a.fields["status"] == "CRIT" and a.severity is Severity.ERR
    assert a.fields["fix"].startswith("kdump_loaded: ") and "kdump-config load" in a.fields["fix"]
    assert a.summary.startswith("readiness kdump_loaded: OK -> CRIT: ")

    (root / "sys/kernel/kexec_crash_loaded").write_text("1\n")
    improved = job.run(ctx)
    assert [(a.type, a.fields["status"]) for a in improved] == [("readiness_improved", "OK")]
    db.close()


def test_a_restart_compares_with_the_stored_results(roots, tmp_path):
    root = tmp_path / "host"
    shutil.copytree(roots / "debian12-kdump-ready", root, symlinks=True)
    path = str(tmp_path / "state.db")
    db = StateDB(path)
    ReadinessJob().run(_ctx(str(root), db))
    db.close()
    (root / "sys/kernel/kexec_crash_loaded").write_text("0\n")  # after the reboot
    db = StateDB(path)
    alerts = ReadinessJob().run(_ctx(str(root), db))  # a new daemon: new memory
    assert [a.type for a in alerts] == ["readiness_summary", "readiness_degraded"]
    assert "kdump_loaded" in alerts[0].fields["summary"]
    db.close()


def test_summary_names_the_crit_and_warn_checks_and_the_kernel(roots, tmp_path):
    # What `kcrashd fleet` counts hosts by: which check is CRIT or WARN, which kernel runs.
    root = tmp_path / "host"
    shutil.copytree(roots / "debian12-kdump-ready", root, symlinks=True)
    (root / "sys/kernel/kexec_crash_loaded").write_text("0\n")
    db = StateDB(str(tmp_path / "state.db"))
    (summary,) = ReadinessJob().run(_ctx(str(root), db))
    statuses = dict(db.conn.execute("SELECT check_id, status FROM check_results").fetchall())
    db.close()
    crit = summary.fields["crit_checks"].split(",")
    assert "kdump_loaded" in crit
    assert sorted(crit) == sorted(c for c, s in statuses.items() if s == "CRIT")
    warn = [c for c in summary.fields["warn_checks"].split(",") if c]
    assert sorted(warn) == sorted(c for c, s in statuses.items() if s == "WARN")
    release = (root / "proc/sys/kernel/osrelease").read_text().strip()
    assert release and summary.fields["kernel"] == release


def test_several_checks_changing_at_once_give_one_alert_each_way():
    # A boot without crashkernel= turns several checks CRIT at once: one event, one alert.
    now = [
        Result("kdump_loaded", Status.CRIT, "not loaded", fix="kdump-config load"),
        Result("crashkernel_reserved", Status.CRIT, "none reserved", fix="add crashkernel="),
        Result("pstore_backend", Status.WARN, "no backend", fix="load ramoops"),
        Result("journal_persistent", Status.OK, "persistent"),
        Result("kptr_restrict", Status.OK, "1"),
    ]
    before = {
        "kdump_loaded": "OK",
        "crashkernel_reserved": "OK",
        "pstore_backend": "OK",
        "journal_persistent": "WARN",
        "kptr_restrict": "OK",
    }
    degraded, improved = change_alerts(now, before)
    assert degraded.type == "readiness_degraded" and degraded.severity is Severity.ERR
    assert parse_changes(degraded.fields["changes"]) == [
        ("kdump_loaded", "OK", "CRIT"),
        ("crashkernel_reserved", "OK", "CRIT"),
        ("pstore_backend", "OK", "WARN"),
    ]
    assert degraded.fields["checks"] == "kdump_loaded,crashkernel_reserved,pstore_backend"
    assert degraded.summary == (
        "readiness degraded, 3 checks: kdump_loaded OK -> CRIT, "
        "crashkernel_reserved OK -> CRIT, pstore_backend OK -> WARN"
    )
    assert degraded.fields["fix"].splitlines() == [
        "kdump_loaded: kdump-config load",
        "crashkernel_reserved: add crashkernel=",
        "pstore_backend: load ramoops",
    ]
    assert improved.type == "readiness_improved" and improved.severity is Severity.NOTICE
    assert parse_changes(improved.fields["changes"]) == [("journal_persistent", "WARN", "OK")]
    # WARN only: the degraded alert is a warning
    (warn,) = change_alerts(now[2:3], {"pstore_backend": "OK"})
    assert warn.severity is Severity.WARNING


def test_parse_changes_leaves_out_what_it_cannot_read():
    assert parse_changes("a:OK>CRIT,,b:OK,c,:OK>WARN,d:WARN>OK") == [
        ("a", "OK", "CRIT"),
        ("d", "WARN", "OK"),
    ]
