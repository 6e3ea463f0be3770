"""Journals of kcrashd alerts from many hosts, as systemd-journal-remote writes them.

The alerts come from kcrashd's own builders: crash_report (alerts.pipeline crash_fields /
crash_alert) and previous_boot_crashed (postmortem.collect.crashed_alert) for reports the
real parser finds in tests/fixtures/logs/synthetic/distro (hand-written logs), readiness_summary
and
readiness_degraded / readiness_improved (checks.job), and the journald sink's field mapping
(sinks.journald.journal_fields). The fields journald adds itself (_UID, _COMM, _EXE,
_CMDLINE, _TRANSPORT, _MACHINE_ID, _HOSTNAME, _BOOT_ID) are set as journald writes them for
kcrashd.service, or as it writes them for a look-alike from another program. Which host,
boot, kernel and time an alert has is chosen by the caller (synthetic fleets). Entries are
written in Journal Export Format and turned into journal files by systemd-journal-remote.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

from kcrashd.alerts.pipeline import crash_alert, crash_fields, dedup_key, repeated_alert
from kcrashd.checks.job import change_alerts, summary_alert
from kcrashd.model import Alert, CrashReport, Evidence, Result, Status
from kcrashd.parse.text import parse_text
from kcrashd.sinks.journald import journal_fields
from kcrashd.store import incidents as incident_store
from kcrashd.store.reports import ReportRow
from tests.conftest import PROJECT

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
DISTRO_LOGS = PROJECT / "tests" / "fixtures" / "logs" / "synthetic" / "distro"
CRASH_KINDS = frozenset(
    ("oops", "page_fault", "gpf", "bug", "panic", "exception", "hard_lockup", "soft_lockup",
     "hung_task", "rcu_stall", "kasan", "kfence", "ubsan", "warning")
)  # fmt: skip

# What journald records for kcrashd.service (/usr/bin/kcrashd: `#!/usr/bin/python3`).
KCRASHD_PROCESS = {
    "_UID": "0",
    "_GID": "0",
    "_COMM": "kcrashd",
    "_EXE": "/usr/bin/python3.11",
    "_CMDLINE": "/usr/bin/python3 /usr/bin/kcrashd run",
    "_TRANSPORT": "journal",
    "_SYSTEMD_UNIT": "kcrashd.service",
}


@dataclass(frozen=True)
class Host:
    machine: str
    hostname: str


@dataclass(frozen=True)
class Event:
    """`alert` written on `host` in `boot` at `realtime`."""

    alert: Alert
    host: Host
    boot: str
    realtime: float


def hosts(n: int, prefix: str = "node") -> List[Host]:
    return [Host(uuid.uuid4().hex, f"{prefix}{i:04d}") for i in range(1, n + 1)]


def distro_reports() -> List[CrashReport]:
    """One crash report per distinct signature in the distro logs (files in name order)."""
    seen: Dict[str, CrashReport] = {}
    for path in sorted(DISTRO_LOGS.glob("*.txt")):
        for report in parse_text(path.read_text(errors="replace")):
            sig = incident_store.report_signature(report)
            if report.kind in CRASH_KINDS and sig not in seen:
                seen[sig] = report
    return list(seen.values())


def crash_report_alert(report: CrashReport, boot: str, kernel: Optional[str] = None) -> Alert:
    """The crash_report alert the pipeline sends for `report` in `boot` (on `kernel`)."""
    report = replace(report, boot_id=boot, kernel=kernel or report.kernel)
    sig = incident_store.report_signature(report)
    incident = incident_store.incident_id_for(boot, sig)
    return crash_alert(report, crash_fields(report, sig, incident, 1), dedup_key(boot, sig))


def repeated_report_alert(report: CrashReport, boot: str, count: int) -> Alert:
    """The crash_repeated alert the pipeline sends when `report` came back `count` times."""
    sig = incident_store.report_signature(report)
    incident = incident_store.incident_id_for(boot, sig)
    row = ReportRow(boot, sig, report.kind, report.title, 0.0, 0.0, count, 1, incident)
    return repeated_alert(replace(report, boot_id=boot), row, count, 60.0)


def previous_boot_alert(report: CrashReport, boot: str, kernel: Optional[str] = None) -> Alert:
    """The post-mortem's previous_boot_crashed alert for `report`, the crash of `boot`."""
    from kcrashd.postmortem.collect import crashed_alert
    from kcrashd.store.state import StateDB

    report = replace(report, boot_id=boot, kernel=kernel or report.kernel)
    with tempfile.TemporaryDirectory() as tmp:
        db = StateDB(str(Path(tmp) / "state.db"))
        with db.transaction() as c:
            incident_id, _ = incident_store.upsert_incident(
                c, report, boot, [Evidence("pstore", "/var/lib/systemd/pstore/1/dmesg.txt")]
            )
        alert = crashed_alert(db, incident_store.get_incident(db, incident_id))
        db.close()
    return alert


def readiness_summary(crit: Sequence[str] = (), warn: Sequence[str] = (), kernel=None) -> Alert:
    results = [Result(c, Status.CRIT, f"{c} is not ready", fix="see kcrashd check") for c in crit]
    results += [Result(c, Status.WARN, f"{c} could be better", fix="see") for c in warn]
    results.append(Result("panic_on_oops", Status.OK, "set"))
    return summary_alert(results, kernel)


def readiness_change(check: str, before: str, after: str) -> Alert:
    now = Status(after)
    result = Result(check, now, f"{check} is {after}", fix=None if now is Status.OK else "fix")
    (alert,) = change_alerts([result], {check: before})
    return alert


def entry(
    alert: Alert,
    host: Host,
    boot: str,
    realtime: float,
    boot_start: Optional[float] = None,
    process: Optional[Mapping[str, str]] = None,
) -> Dict[str, str]:
    """The journal entry of `alert` written on `host` in `boot` at `realtime` (Unix s),
    by kcrashd (or, with `process`, by whatever those journald fields say)."""
    real_us = int(realtime * 1e6)
    mono_us = max(1, real_us - int((boot_start if boot_start is not None else realtime - 60) * 1e6))
    fields = {
        "__REALTIME_TIMESTAMP": str(real_us),
        "__MONOTONIC_TIMESTAMP": str(mono_us),
        "_BOOT_ID": boot,
        "_MACHINE_ID": host.machine,
        "_HOSTNAME": host.hostname,
        **(KCRASHD_PROCESS if process is None else process),
        "_PID": "812",
    }
    fields.update(journal_fields(alert, uuid.uuid4().hex))
    return fields


def export_bytes(entries: Iterable[Mapping[str, str]]) -> bytes:
    """Journal Export Format: `NAME=value` lines, or NAME, a 64-bit little-endian length
    and the raw value for values with a newline; an empty line ends each entry."""
    out = bytearray()
    for e in entries:
        for name, value in e.items():
            data = value.encode("utf-8")
            if b"\n" in data:
                out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
            else:
                out += name.encode() + b"=" + data + b"\n"
        out += b"\n"
    return bytes(out)


def write_journal(path: Path, entries: Iterable[Mapping[str, str]]) -> Path:
    """A journal file made by systemd-journal-remote from the entries (export format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [JOURNAL_REMOTE, "-o", str(path), "-"],
        input=export_bytes(entries),
        capture_output=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"systemd-journal-remote failed: {proc.stderr.decode()[-2000:]}")
    return path


def story_journals(directory: Path, events: Sequence[Event], base: float = 0.0) -> List[Path]:
    """One journal file per host, as systemd-journal-remote --split-mode=host keeps them;
    times are `base` + the events' times."""
    by_host: Dict[str, List[Event]] = {}
    for ev in events:
        by_host.setdefault(ev.host.hostname, []).append(ev)
    return [
        write_journal(
            directory / f"remote-{name}.journal",
            [entry(ev.alert, ev.host, ev.boot, base + ev.realtime) for ev in evs],
        )
        for name, evs in by_host.items()
    ]


# --- a small fleet whose answer is known -----------------------------------------------------

OLD, NEW = "6.1.0-13-amd64", "6.1.0-15-amd64"


def story(hosts6: Sequence[Host], s_old: CrashReport, s_new: CrashReport) -> List[Event]:
    """Five hosts boot on OLD (h1 CRIT on kdump_loaded); S_OLD hits h1, h2 (twice more:
    crash_repeated) and h5. At t=1000 h1..h4 boot NEW (h2, h3 CRIT on kdump_loaded, h4 WARN
    on kfence) and S_NEW hits h1, h2, h3; h2's kdump_loaded gets better. h3's crash ended its
    boot, h4's boot 2 crashed unseen: the next start (t=2000) says previous_boot_crashed for
    both. h5 stays on OLD; h6 sends nothing."""
    h1, h2, h3, h4, h5 = hosts6[:5]
    b1, b2, b3 = ({h.hostname: uuid.uuid4().hex for h in hosts6} for _ in range(3))
    out = [
        Event(readiness_summary(["kdump_loaded"] if h is h1 else [], [], OLD), h, b1[h.hostname], i)
        for i, h in enumerate(hosts6[:5])
    ]
    for t, h in ((100, h1), (200, h2), (300, h5)):
        out.append(Event(crash_report_alert(s_old, b1[h.hostname], OLD), h, b1[h.hostname], t))
    for i, count in enumerate((2, 3)):
        out.append(
            Event(
                repeated_report_alert(s_old, b1[h2.hostname], count), h2, b1[h2.hostname], 210 + i
            )
        )
    boot2 = [
        (h1, [], []),
        (h2, ["kdump_loaded"], []),
        (h3, ["kdump_loaded"], []),
        (h4, [], ["kfence"]),
    ]
    for i, (h, crit, warn) in enumerate(boot2):
        out.append(Event(readiness_summary(crit, warn, NEW), h, b2[h.hostname], 1000 + i))
    for i, h in enumerate((h1, h2, h3)):
        out.append(
            Event(crash_report_alert(s_new, b2[h.hostname], NEW), h, b2[h.hostname], 1100 + i)
        )
    out.append(Event(readiness_change("kdump_loaded", "CRIT", "OK"), h2, b2[h2.hostname], 1500))
    for i, h in enumerate((h3, h4)):
        crit, warn = (["kdump_loaded"], []) if h is h3 else ([], ["kfence"])
        out.append(Event(readiness_summary(crit, warn, NEW), h, b3[h.hostname], 2000 + i))
        prev = previous_boot_alert(s_new, b2[h.hostname], NEW)
        out.append(Event(prev, h, b3[h.hostname], 2010 + i))
    return sorted(out, key=lambda ev: ev.realtime)
