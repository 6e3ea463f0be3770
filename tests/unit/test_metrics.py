"""Metrics: collection from a real state DB, the text format (checked by promtool), the
atomic textfile, the localhost endpoint and the daemon job."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from kcrashd import __version__, config
from kcrashd.daemon.jobs import DaemonContext, load_jobs
from kcrashd.host.root import Root
from kcrashd.model import Alert, Severity
from kcrashd.sinks.metrics import (
    TEXTFILE_NAME,
    Family,
    MetricsServer,
    parse_address,
    render,
    sample_value,
    write_textfile,
)
from kcrashd.sinks.metrics_job import MetricsJob, collect
from kcrashd.store.alerts import insert_alert
from kcrashd.store.state import StateDB
from tests.conftest import require_tool

NOW = 1_750_000_000.0


@pytest.fixture
def state(tmp_path):
    db = StateDB(str(tmp_path / "state" / "state.db"))
    yield db
    db.close()


def _fill(db: StateDB) -> None:
    """A state DB as a daemon leaves it after a few crashes, checks and watcher signals."""
    c = db.conn
    with db.transaction():
        c.executemany(
            "INSERT INTO reports(boot_id, signature, kind, title, first_seen, last_seen, count) "
            "VALUES(?,?,?,?,?,?,?)",
            [
                ("b1", "oops:f1", "oops", "general protection fault in f1", NOW, NOW, 3),
                ("b2", "oops:f1", "oops", "general protection fault in f1", NOW, NOW, 1),
                ("b2", "warning:g", "warning", "WARNING in g", NOW, NOW, 7),
            ],
        )
        c.executemany(
            "INSERT INTO check_results(check_id, status, summary, updated) VALUES(?,?,?,?)",
            [("crashkernel", "CRIT", "no crash kernel", NOW), ("panic_on_oops", "OK", "1", NOW)],
        )
        c.execute(
            "INSERT INTO signals(watcher, key, level, since, value, message) "
            "VALUES('memory', 'available', 2, ?, 3.5, 'low')",
            (NOW,),
        )
        c.execute(
            "INSERT INTO incidents(incident_id, boot_id, kind, title, signature, first_seen) "
            "VALUES('i1', 'b1', 'oops', 'general protection fault in f1', 'oops:f1', ?)",
            (NOW,),
        )
        insert_alert(c, "a1", Alert("crash_report", Severity.CRIT, "oops"), "b1", now=NOW - 60)
        insert_alert(c, "a2", Alert("crash_report", Severity.CRIT, "oops"), "b2", now=NOW)
        insert_alert(c, "a3", Alert("readiness_summary", Severity.WARNING, "r"), "b2", now=NOW)
        db.set_meta("status", json.dumps({"lag_seconds": 1.5, "jobs": {"metrics": {"ok": True}}}))


WATCHERS = {
    "memory": {
        "ok": True,
        "values": {"available_percent": 42.5, "swap_percent": 0},
        "seconds": 0.01,
    },
    "disk": {"ok": False, "values": {}, "seconds": 2.0},
}


def _filled_state_dir(db: StateDB, state_dir) -> str:
    """`_fill`, and two snapshots in the snapshot store's layout (one <id>.json each; a
    half-written temp file is not a snapshot)."""
    _fill(db)
    snaps = state_dir / "snapshots"
    snaps.mkdir()
    (snaps / "20261126T100000000Z-aaaaaa.json").write_bytes(b"x" * 1000)
    (snaps / "20261126T110000000Z-bbbbbb.json").write_bytes(b"y" * 24)
    (snaps / ".20261126T120000000Z-cccccc.json.tmp").write_bytes(b"z" * 500)
    return str(state_dir)


def test_collect_reads_every_table(state, tmp_path):
    state_dir = _filled_state_dir(state, tmp_path)
    fams = collect(state, json.loads(state.get_meta("status")), WATCHERS, state_dir, now=NOW)

    assert sample_value(fams, "kcrashd_build_info", version=__version__) == 1
    assert sample_value(fams, "kcrashd_crash_reports_total", kind="oops") == 4
    assert sample_value(fams, "kcrashd_crash_reports_total", kind="warning") == 7
    assert sample_value(fams, "kcrashd_crash_reports_total", kind="panic") == 0  # pre-created
    assert sample_value(fams, "kcrashd_alerts_total", type="crash_report") == 2
    assert sample_value(fams, "kcrashd_alerts_total", type="readiness_summary") == 1
    assert sample_value(fams, "kcrashd_alerts_total", type="disk_raised") == 0
    assert sample_value(fams, "kcrashd_incidents_total") == 1
    assert sample_value(fams, "kcrashd_last_alert_timestamp_seconds") == NOW
    status = "kcrashd_readiness_check_status"
    assert sample_value(fams, status, check="crashkernel", status="CRIT") == 1
    assert sample_value(fams, status, check="crashkernel", status="OK") == 0
    assert sample_value(fams, status, check="panic_on_oops", status="OK") == 1
    assert sample_value(fams, "kcrashd_signals_raised", watcher="memory", level="crit") == 1
    assert sample_value(fams, "kcrashd_watcher_up", watcher="memory") == 1
    assert sample_value(fams, "kcrashd_watcher_up", watcher="disk") == 0
    value = sample_value(fams, "kcrashd_watcher_value", watcher="memory", key="available_percent")
    assert value == 42.5
    assert sample_value(fams, "kcrashd_snapshots") == 2
    assert sample_value(fams, "kcrashd_snapshots_bytes") == 1024
    assert sample_value(fams, "kcrashd_following_lag_seconds") == 1.5
    assert sample_value(fams, "kcrashd_job_up", task="metrics") == 1
    assert sample_value(fams, "kcrashd_metrics_updated_timestamp_seconds") == NOW


@pytest.mark.golden
def test_text_of_a_fixed_state_is_the_golden_file(state, tmp_path, golden):
    # what node_exporter serves from the textfile: every family, HELP and TYPE included
    state_dir = _filled_state_dir(state, tmp_path)
    status = json.loads(state.get_meta("status"))
    golden.check("metrics/state.prom", render(collect(state, status, WATCHERS, state_dir, now=NOW)))


def test_empty_state_still_exports_the_basics(state):
    fams = collect(state, {}, {}, None, now=NOW)
    assert sample_value(fams, "kcrashd_incidents_total") == 0
    assert sample_value(fams, "kcrashd_last_alert_timestamp_seconds") == 0
    assert sample_value(fams, "kcrashd_snapshots") == 0
    assert sample_value(fams, "kcrashd_following_lag_seconds") is None  # unknown, not 0


def test_promtool_accepts_the_output(state, tmp_path):
    promtool = require_tool("promtool")
    _fill(state)
    text = render(collect(state, json.loads(state.get_meta("status")), WATCHERS, None, now=NOW))
    out = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "" and out.stderr.strip() == "", out.stdout + out.stderr


def test_render_escapes_labels_and_help():
    fam = Family("kcrashd_test_total", "counter", "help with \\ and\nnewline")
    fam.add(3, key='a "quoted" \\ value\nline2')
    fam.add(float("nan"), key="nan")
    fam.add(float("inf"), key="inf")
    fam.add(0.25, key="frac")
    text = render([fam])
    assert "# HELP kcrashd_test_total help with \\\\ and\\nnewline\n" in text
    assert 'kcrashd_test_total{key="a \\"quoted\\" \\\\ value\\nline2"} 3\n' in text
    assert 'kcrashd_test_total{key="nan"} NaN\n' in text
    assert 'kcrashd_test_total{key="inf"} +Inf\n' in text
    assert 'kcrashd_test_total{key="frac"} 0.25\n' in text


def test_write_textfile_is_atomic_and_readable(tmp_path):
    path = write_textfile(str(tmp_path), "first 1\n")
    assert path == str(tmp_path / TEXTFILE_NAME)
    old_inode = os.stat(path).st_ino
    write_textfile(str(tmp_path), "second 2\n")
    # Replaced by rename (a new inode), never rewritten in place under a reader.
    assert os.stat(path).st_ino != old_inode
    assert (tmp_path / TEXTFILE_NAME).read_text() == "second 2\n"
    assert os.stat(path).st_mode & 0o777 == 0o644  # node_exporter reads as its own user
    assert os.listdir(tmp_path) == [TEXTFILE_NAME]  # no temp file left


def test_write_textfile_failure_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        write_textfile(str(tmp_path / "missing"), "x 1\n")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "address, expected",
    [
        ("127.0.0.1:9866", ("127.0.0.1", 9866)),
        ("[::1]:80", ("::1", 80)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_parse_address(address, expected):
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["9866", "127.0.0.1", "host:port", "127.0.0.1:70000", ":80"])
def test_parse_address_rejects(address):
    with pytest.raises(ValueError):
        parse_address(address)


def test_server_serves_latest_text():
    server = MetricsServer("127.0.0.1:0")
    try:
        server.update("kcrashd_x 1\n")
        base = f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(base + "/metrics", timeout=10) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert resp.read() == b"kcrashd_x 1\n"
        server.update("kcrashd_x 2\n")
        with urllib.request.urlopen(base + "/metrics", timeout=10) as resp:
            assert resp.read() == b"kcrashd_x 2\n"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + "/other", timeout=10)
        assert err.value.code == 404
    finally:
        server.close()


def _ctx(tmp_path, state, **metrics) -> DaemonContext:
    cfg = config.from_dict({"state": {"directory": str(tmp_path / "state")}, "metrics": metrics})
    return DaemonContext(config=cfg, root=Root("/"), runner=None, state=state, boot_id="b2")


def test_job_writes_textfile_and_serves(state, tmp_path):
    _fill(state)
    textdir = tmp_path / "node-exporter"
    textdir.mkdir()
    with socket.socket() as probe:  # a free port (the config takes 1-65535, not 0)
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    address = f"127.0.0.1:{free}"
    ctx = _ctx(tmp_path, state, textfile_directory=str(textdir), listen_address=address)
    ctx.memory["watchers"] = WATCHERS
    job = MetricsJob()
    assert job.interval(ctx.config) == 30.0
    try:
        assert job.run(ctx) == []
        text = (textdir / TEXTFILE_NAME).read_text()
        assert 'kcrashd_watcher_value{key="available_percent",watcher="memory"} 42.5' in text
        port = ctx.memory["metrics"]["server"].port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            served = resp.read().decode()
        assert served == text and "\n# HELP kcrashd_alerts_total " in served
        assert "kcrashd_incidents_total 1\n" in served
        # Turning the endpoint off on reload closes it.
        ctx.config = config.from_dict({"metrics": {"textfile_directory": str(textdir)}})
        job.run(ctx)
        assert ctx.memory["metrics"]["server"] is None
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)
    finally:
        server = ctx.memory.get("metrics", {}).get("server")
        if server:
            server.close()


def test_job_bad_listen_address_fails_once_and_keeps_the_textfile(state, tmp_path):
    textdir = tmp_path / "node-exporter"
    textdir.mkdir()
    ctx = _ctx(tmp_path, state, textfile_directory=str(textdir), listen_address="192.0.2.1:9866")
    job = MetricsJob()
    with pytest.raises(RuntimeError, match="cannot serve metrics on 192.0.2.1:9866"):
        job.run(ctx)
    assert (textdir / TEXTFILE_NAME).exists()
    os.unlink(textdir / TEXTFILE_NAME)
    assert job.run(ctx) == []  # reported once; the textfile goes on
    assert (textdir / TEXTFILE_NAME).exists()


def test_job_without_textfile_directory_is_quiet(state, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kcrashd.sinks.metrics_job")
    ctx = _ctx(tmp_path, state, textfile_directory=str(tmp_path / "absent"))
    job = MetricsJob()
    job.run(ctx)
    job.run(ctx)
    assert sum("does not exist" in r.message for r in caplog.records) == 1
    assert not (tmp_path / "absent").exists()  # not created: it belongs to node_exporter
    (tmp_path / "absent").mkdir()  # node_exporter installed after kcrashd started
    job.run(ctx)
    assert (tmp_path / "absent" / TEXTFILE_NAME).exists()


def test_a_read_only_textfile_directory_is_logged_once_and_picked_up_later(state, tmp_path, caplog):
    # What the service's sandbox makes of a textfile directory created after it started: a
    # real read-only bind mount. No exception (no component_failed alert every interval),
    # one warning that says what to do, and the textfile again once it can be written.
    caplog.set_level(logging.INFO, logger="kcrashd.sinks.metrics_job")
    textdir = tmp_path / "node-exporter"
    textdir.mkdir()
    subprocess.run(["mount", "--bind", str(textdir), str(textdir)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(textdir)], check=True)
        ctx = _ctx(tmp_path, state, textfile_directory=str(textdir))
        job = MetricsJob()
        assert job.run(ctx) == [] and job.run(ctx) == []
        warnings = [r.message for r in caplog.records if "cannot write" in r.message]
        assert len(warnings) == 1 and "systemctl restart kcrashd" in warnings[0], warnings
        assert not (textdir / TEXTFILE_NAME).exists()
        subprocess.run(["mount", "-o", "remount,bind,rw", str(textdir)], check=True)
        assert job.run(ctx) == []
        assert (textdir / TEXTFILE_NAME).exists()
        assert any("writing" in r.message and "again" in r.message for r in caplog.records)
    finally:
        subprocess.run(["umount", str(textdir)], check=False)


def test_job_off_when_nothing_configured():
    cfg = config.from_dict({"metrics": {"textfile_directory": None}})
    assert MetricsJob().interval(cfg) == 0


def test_metrics_job_is_registered_last():
    jobs = load_jobs()
    assert isinstance(jobs[-1], MetricsJob)


def test_textfile_timestamp_is_fresh(state, tmp_path):
    textdir = tmp_path / "ne"
    textdir.mkdir()
    MetricsJob().run(_ctx(tmp_path, state, textfile_directory=str(textdir)))
    line = next(
        ln
        for ln in (textdir / TEXTFILE_NAME).read_text().splitlines()
        if ln.startswith("kcrashd_metrics_updated_timestamp_seconds ")
    )
    assert abs(float(line.split()[1]) - time.time()) < 60
