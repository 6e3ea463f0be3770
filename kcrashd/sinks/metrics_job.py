"""The metrics job: refresh kcrashd's Prometheus metrics from the state DB and ctx.memory.

Every run collects the families (pure reads of the state DB, the daemon's status document
and the watchers' latest values), writes `kcrashd.prom` into metrics.textfile_directory and
hands the same text to the localhost HTTP server when metrics.listen_address is set.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from typing import Any, Dict, List, Mapping, Optional

from kcrashd import __version__
from kcrashd.alerts.types import ALERT_TYPES
from kcrashd.config import Config
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.local import is_directory
from kcrashd.model import REPORT_KINDS, Alert, Status
from kcrashd.sinks.metrics import Family, MetricsServer, render, write_textfile

log = logging.getLogger(__name__)


def collect(
    conn: Any,
    status: Optional[Mapping[str, Any]] = None,
    watchers: Optional[Mapping[str, Any]] = None,
    state_dir: Optional[str] = None,
    now: Optional[float] = None,
) -> List[Family]:
    """Every metric family. `conn` is a sqlite3 connection (or StateDB) to state.db."""
    conn = getattr(conn, "conn", conn)
    now = time.time() if now is None else now
    info = Family("kcrashd_build_info", "gauge", "kcrashd version (always 1).")
    info.add(1, version=__version__)
    fams = [info]
    fams.extend(_state_families(conn))
    fams.extend(_watcher_families(watchers or {}))
    fams.extend(_snapshot_families(state_dir))
    fams.extend(_status_families(status or {}))
    updated = Family(
        "kcrashd_metrics_updated_timestamp_seconds",
        "gauge",
        "Unix time these metrics were written (stale when the daemon stopped).",
    )
    updated.add(now)
    fams.append(updated)
    return fams


def _state_families(conn: Any) -> List[Family]:
    """What the state database holds: readiness, reports, alerts, incidents, signals."""
    return [
        _readiness_family(conn),
        _report_family(conn),
        *_alert_families(conn),
        _incident_family(conn),
        _signal_family(conn),
    ]


def _readiness_family(conn: Any) -> Family:
    checks = Family(
        "kcrashd_readiness_check_status",
        "gauge",
        "Last readiness verdict per check: 1 for its status, 0 for the others.",
    )
    for check_id, current in conn.execute(
        "SELECT check_id, status FROM check_results ORDER BY check_id"
    ):
        for st in Status:
            checks.add(1 if st.value == current else 0, check=check_id, status=st.value)
    return checks


def _report_family(conn: Any) -> Family:
    reports = Family(
        "kcrashd_crash_reports_total", "counter", "Kernel crash reports seen, by kind."
    )
    # every kind from the start, so that increase() sees the first report of a kind (a
    # counter series that appears at 1 has no increase)
    by_kind = dict.fromkeys(REPORT_KINDS, 0)
    for kind, count in conn.execute("SELECT kind, SUM(count) FROM reports GROUP BY kind"):
        by_kind[kind] = int(count or 0)
    for kind in sorted(by_kind):
        reports.add(by_kind[kind], kind=kind)
    return reports


def _alert_families(conn: Any) -> List[Family]:
    alerts = Family("kcrashd_alerts_total", "counter", "Alerts sent, by alert type.")
    by_type = {t.name: 0 for t in ALERT_TYPES}
    for alert_type, count in conn.execute("SELECT type, COUNT(*) FROM alerts GROUP BY type"):
        by_type[alert_type] = int(count)
    for alert_type in sorted(by_type):
        alerts.add(by_type[alert_type], type=alert_type)
    last = conn.execute("SELECT MAX(created) FROM alerts").fetchone()[0]
    last_alert = Family(
        "kcrashd_last_alert_timestamp_seconds",
        "gauge",
        "Unix time of the last alert sent (0: none yet).",
    )
    last_alert.add(float(last or 0))
    return [alerts, last_alert]


def _incident_family(conn: Any) -> Family:
    incidents = Family(
        "kcrashd_incidents_total", "counter", "Crash incidents recorded (one per crash and boot)."
    )
    incidents.add(conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0])
    return incidents


def _signal_family(conn: Any) -> Family:
    raised = Family(
        "kcrashd_signals_raised", "gauge", "Watcher signals currently raised, by watcher and level."
    )
    for watcher, level, count in conn.execute(
        "SELECT watcher, level, COUNT(*) FROM signals GROUP BY watcher, level ORDER BY 1, 2"
    ):
        raised.add(count, watcher=watcher, level={1: "warn", 2: "crit"}.get(level, str(level)))
    return raised


def _watcher_families(watchers: Mapping[str, Any]) -> List[Family]:
    up = Family("kcrashd_watcher_up", "gauge", "1 when the watcher's last sample succeeded.")
    values = Family("kcrashd_watcher_value", "gauge", "Latest value a watcher read, by key.")
    seconds = Family(
        "kcrashd_watcher_sample_duration_seconds", "gauge", "How long the last sample took."
    )
    for name in sorted(watchers):
        entry = watchers[name] or {}
        up.add(1 if entry.get("ok") else 0, watcher=name)
        for key, value in sorted((entry.get("values") or {}).items()):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.add(value, watcher=name, key=str(key))
        if isinstance(entry.get("seconds"), (int, float)):
            seconds.add(entry["seconds"], watcher=name)
    return [up, values, seconds]


def _snapshot_families(state_dir: Optional[str]) -> List[Family]:
    count = Family("kcrashd_snapshots", "gauge", "Pre-crash snapshots kept.")
    size = Family("kcrashd_snapshots_bytes", "gauge", "Total size of the snapshots kept.")
    snaps = []
    if state_dir:
        from kcrashd.store.snapshots import list_snapshots  # the store's own view

        snaps = list_snapshots(state_dir)
    count.add(len(snaps))
    size.add(sum(s.bytes for s in snaps))
    return [count, size]


def _number(status: Mapping[str, Any], key: str) -> Optional[float]:
    value = status.get(key)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _status_families(status: Mapping[str, Any]) -> List[Family]:
    """From the daemon's status document (meta "status"); absent keys give no sample."""
    fams: List[Family] = []
    lag = Family(
        "kcrashd_following_lag_seconds",
        "gauge",
        "How far behind the newest kernel journal entry the daemon is.",
    )
    value = _number(status, "lag_seconds")
    if value is not None:
        lag.add(value)
    fams.append(lag)
    start = Family("kcrashd_start_time_seconds", "gauge", "Unix time the daemon started.")
    value = _number(status, "started")
    if value is not None:
        start.add(value)
    fams.append(start)
    for name, help_text, section, key in (
        ("kcrashd_alerts_owed", "Alerts journald has not stored yet (sent again until it has).",
         "alerts_owed", "count"),
        ("kcrashd_state_degraded", "1 while the state database cannot be written (state kept"
         " in memory).", "state", "degraded"),
    ):  # fmt: skip
        fam = Family(name, "gauge", help_text)
        nested = status.get(section)
        value = _number(nested, key) if isinstance(nested, dict) else None
        if value is not None:
            fam.add(value)
        fams.append(fam)
    jobs = Family("kcrashd_job_up", "gauge", "1 when the daemon task's last run succeeded.")
    raw_jobs = status.get("jobs")
    items = raw_jobs.items() if isinstance(raw_jobs, dict) else []
    for name, job in sorted(items):
        ok = isinstance(job, dict) and job.get("ok")
        jobs.add(1 if ok else 0, task=str(name))  # not "job": Prometheus sets that label
    fams.append(jobs)
    return fams


def read_status(state: Any) -> Dict[str, Any]:
    try:
        raw = state.get_meta("status")
        doc = json.loads(raw) if raw else {}
    except (ValueError, AttributeError):
        return {}
    return doc if isinstance(doc, dict) else {}


class MetricsJob:
    """Daemon job (kcrashd.daemon.jobs): writes the textfile, keeps the HTTP endpoint current."""

    name = "metrics"

    def interval(self, config: Config) -> Optional[float]:
        m = config.metrics
        if not m.textfile_directory and not m.listen_address:
            return 0  # metrics off
        return m.interval_seconds

    def run(self, ctx: DaemonContext) -> List[Alert]:
        m = ctx.config.metrics
        mem = ctx.memory.setdefault(self.name, {})
        # the daemon's live status (on disk it is stale while the state disk is full)
        status = ctx.memory.get("status") or read_status(ctx.state)
        text = render(
            collect(
                ctx.state,
                status,
                ctx.memory.get("watchers"),
                # the daemon's state directory (kcrashd run --state-dir), not the config's
                os.path.dirname(os.path.abspath(ctx.state.path)),
            )
        )
        if m.textfile_directory:
            if is_directory(m.textfile_directory):
                self._write(mem, m.textfile_directory, text)
                mem.pop("missing_dir", None)
            elif mem.get("missing_dir") != m.textfile_directory:
                # node_exporter is not installed (yet): say so once, not every interval.
                mem["missing_dir"] = m.textfile_directory
                log.info("metrics: %s does not exist; not writing metrics", m.textfile_directory)
        self._serve(mem, m.listen_address, text)
        return []

    @staticmethod
    def _write(mem: Dict[str, Any], directory: str, text: str) -> None:
        """Write the textfile; a directory it cannot write is logged once (and again when
        it changes), never raised: a component_failed alert every interval helps nobody."""
        try:
            write_textfile(directory, text)
        except OSError as exc:
            problem = f"{directory}: {exc.strerror or exc}"
            if mem.get("write_error") != problem:
                hint = ""
                if exc.errno == errno.EROFS:
                    hint = (
                        " (made after kcrashd started, it is read-only in the service's"
                        " sandbox: systemctl restart kcrashd)"
                    )
                log.warning("metrics: cannot write the textfile in %s%s", problem, hint)
            mem["write_error"] = problem
            return
        if mem.pop("write_error", None):
            log.info("metrics: writing %s again", directory)

    def _serve(self, mem: Dict[str, Any], address: Optional[str], text: str) -> None:
        server = mem.get("server")
        if server is not None and server.address != address:
            server.close()  # the address changed on reload (or metrics serving was turned off)
            server = mem["server"] = None
        if address and server is None and mem.get("failed") != address:
            try:
                server = mem["server"] = MetricsServer(address)
            except (OSError, ValueError) as exc:
                # Raised once per address: the daemon reports component_failed, the textfile
                # goes on. Under kcrashd.service, Internet sockets need a drop-in (kcrashd(8)).
                mem["failed"] = address
                raise RuntimeError(f"cannot serve metrics on {address}: {exc}") from exc
            log.info("metrics: serving http://%s/metrics", address)
        if server is not None:
            server.update(text)
