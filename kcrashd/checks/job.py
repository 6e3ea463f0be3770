"""The readiness job: run the checks in the daemon, alert on the verdict and its changes.

At start it sends one readiness_summary ("kcrashd started: 2 critical, 3 warnings: ...") that
also names the CRIT and WARN checks and the running kernel in their own fields, so that
`kcrashd fleet` can tell across hosts which check is CRIT where and when a kernel changed.
It is a notice: it is sent at every start and every package upgrade, so it is never an err
alert (CRIT findings are, once per alerts.reminder interval: kcrashd.daemon.reminders).
Every run compares each check with its last stored status (the check_results table, which
survives restarts and reboots: a kernel update that leaves kdump unloaded shows up at the
next start) and sends one readiness_degraded alert naming the checks that got worse and one
readiness_improved naming those that got better.
"""

from __future__ import annotations

import logging
import time
from typing import Dict, List, Optional, Sequence, Tuple

from kcrashd.config import Config
from kcrashd.model import Alert, Result, Severity, Status

log = logging.getLogger(__name__)

NAME = "readiness"


def load_previous(conn) -> Dict[str, str]:
    return {row[0]: row[1] for row in conn.execute("SELECT check_id, status FROM check_results")}


def store(conn, results: Sequence[Result], now: float) -> None:
    for r in results:
        conn.execute(
            "INSERT INTO check_results(check_id, status, summary, updated) VALUES(?, ?, ?, ?) "
            "ON CONFLICT(check_id) DO UPDATE SET status=excluded.status, "
            "summary=excluded.summary, updated=excluded.updated",
            (r.check_id, r.status.value, r.summary, now),
        )


def summary_alert(results: Sequence[Result], kernel: Optional[str] = None) -> Alert:
    """`kernel`: the running kernel's release (absent when it cannot be read)."""
    from kcrashd.checks.verdict import counts, exit_code, summary_sentence

    c = counts(results)
    severity = Severity.NOTICE if c["CRIT"] or c["WARN"] else Severity.INFO
    sentence = summary_sentence(results)
    fields = {
        "summary": sentence,
        "critical": str(c["CRIT"]),
        "warnings": str(c["WARN"]),
        "errors": str(c["ERROR"]),
        "exit_code": str(exit_code(results)),
        # comma-separated check ids ("" for none): the fleet view counts hosts per check
        "crit_checks": ",".join(r.check_id for r in results if r.status is Status.CRIT),
        "warn_checks": ",".join(r.check_id for r in results if r.status is Status.WARN),
    }
    if kernel:
        fields["kernel"] = kernel
    return Alert(
        type="readiness_summary",
        severity=severity,
        summary=f"kcrashd started: {sentence}",
        fields=fields,
        dedup_key="readiness_summary",
    )


def parse_changes(text: Optional[str]) -> List[Tuple[str, str, str]]:
    """The `changes` field of a readiness_degraded/improved alert ("kdump_loaded:OK>CRIT,...")
    as (check id, previous status, new status) triples; malformed parts are left out."""
    out = []
    for part in (text or "").split(","):
        check, _, move = part.partition(":")
        before, _, after = move.partition(">")
        if check and before and after:
            out.append((check, before, after))
    return out


def change_alerts(results: Sequence[Result], previous: Dict[str, str]) -> List[Alert]:
    """One readiness_degraded alert naming every check that got worse since `previous`, and
    one readiness_improved naming every check that got better: a reboot without
    crashkernel= turns several checks CRIT at once, and that is one event to the on-call."""
    worse: List[Tuple[Result, Status]] = []
    better: List[Tuple[Result, Status]] = []
    for r in results:
        before = previous.get(r.check_id)
        if before is None or before == r.status.value:
            continue
        try:
            old = Status(before)
        except ValueError:
            continue
        # ERROR says the check broke, not that readiness changed: it never alerts here.
        if Status.ERROR in (old, r.status) or old.rank == r.status.rank:
            continue
        (worse if r.status.rank > old.rank else better).append((r, old))
    alerts = []
    if worse:
        crit = any(r.status is Status.CRIT for r, _ in worse)
        severity = Severity.ERR if crit else Severity.WARNING
        alerts.append(_change_alert("readiness_degraded", worse, severity))
    if better:
        alerts.append(_change_alert("readiness_improved", better, Severity.NOTICE))
    return alerts


def _change_alert(kind: str, changes: List[Tuple[Result, Status]], severity: Severity) -> Alert:
    moves = [f"{r.check_id} {old.value} -> {r.status.value}" for r, old in changes]
    if len(changes) == 1:
        r, _ = changes[0]
        summary = f"readiness {moves[0].replace(' ', ': ', 1)}: {r.summary}"
    else:
        word = "degraded" if kind == "readiness_degraded" else "improved"
        summary = f"readiness {word}, {len(changes)} checks: {', '.join(moves)}"
    worst = max((r.status for r, _ in changes), key=lambda st: st.rank)
    fields = {
        "checks": ",".join(r.check_id for r, _ in changes),
        "changes": ",".join(f"{r.check_id}:{old.value}>{r.status.value}" for r, old in changes),
        "status": worst.value,
        "summary": "\n".join(f"{m}: {r.summary}" for m, (r, _) in zip(moves, changes)),
        "fix": "\n".join(f"{r.check_id}: {r.fix}" for r, _ in changes if r.fix),
    }
    key = ",".join(f"{r.check_id}:{r.status.value}" for r, _ in changes)
    return Alert(kind, severity, summary, fields, f"{kind}:{key}")


class ReadinessJob:
    name = NAME

    def interval(self, config: Config) -> Optional[float]:
        hours = config.checks.interval_hours
        return hours * 3600.0 if hours > 0 else None  # 0: only the run at start

    def run(self, ctx) -> List[Alert]:
        from kcrashd.checks.engine import run_checks

        memory = ctx.memory.setdefault(NAME, {})
        results = run_checks(ctx.root, ctx.runner, ctx.config)
        conn = ctx.state.conn
        previous = load_previous(conn)
        alerts: List[Alert] = []
        if not memory.get("started"):
            kernel = ctx.root.read_value("/proc/sys/kernel/osrelease")
            alerts.append(summary_alert(results, kernel))
        changes = change_alerts(results, previous)
        alerts += changes
        now = time.time()
        with ctx.state.transaction() as tx:
            store(tx, results, now)
        memory["started"] = True
        # For the reminder job: these CRIT findings were just alerted (their alert rows are
        # committed by the main thread, possibly after the reminder job looks).
        told = memory.setdefault("crit_alerted", {})
        for a in changes:
            if a.type == "readiness_degraded":
                for check, _, status in parse_changes(a.fields.get("changes")):
                    if status == Status.CRIT.value:
                        told[check] = now
        return alerts
