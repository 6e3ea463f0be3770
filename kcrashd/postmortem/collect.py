"""Post-mortem: what the previous boot left behind, as incidents and alerts.

Sources (pstore records, systemd-pstore's archive, kdump dumps, the previous boot's kernel
log in the journal) are read, each new artifact once (the `artifacts` table remembers path +
fingerprint). Every text goes through the same parser. Artifacts are matched to a boot (the
journal's boot time ranges; what has no better home belongs to the previous boot), and the
evidence of one boot becomes ONE incident: the report that caused the crash (the report
before the panic, preferring a kdump dmesg, then pstore, then the journal), every source that
saw it, the vmcore, the boot's last snapshot and the watcher alerts raised before it.
A `previous_boot_crashed` alert is owed once per incident; a previous boot whose journal
stops without a shutdown and that left no crash evidence owes `unexplained_reset`.

Alerts are exactly once across crashes of kcrashd itself: an owed alert is written to the
outbox (kcrashd.alerts.outbox, under a deterministic keyed id) in the same transaction as
its incident, and nothing says "alerted" until journald has stored it and the outbox
records it (the alert row and incidents.alerted). In the daemon the main thread's outbox
delivers it; `kcrashd postmortem` delivers it itself (kcrashd.postmortem.job). An owed
alert already in the journal under its KCRASHD_ALERT_ID is not sent again.
Nothing is deleted from pstore unless postmortem.delete_pstore_after_store, and then only
after the transaction that stored the incident committed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kcrashd.config import Config
from kcrashd.host.root import Root
from kcrashd.model import Alert, CrashReport, Evidence, Severity
from kcrashd.postmortem import boots as boots_of
from kcrashd.store import incidents as incident_store

log = logging.getLogger(__name__)

# Kinds that end a boot (or mean it may have ended): the crash a post-mortem looks for.
FATAL_KINDS = frozenset(
    ("oops", "page_fault", "gpf", "bug", "panic", "exception", "hard_lockup", "mce")
)
# The report that caused a panic sits at most this many lines before the panic line.
CAUSE_WINDOW_LINES = 80
_SOURCE_RANK = {"kdump": 0, "pstore": 1, "journal": 2}
UNREADABLE_SIGNATURE = "unreadable-crash"


@dataclass
class Found:
    """One new artifact: where it is, its text for the parser, and its boot."""

    source: str  # pstore, kdump, journal
    path: str
    key: str  # artifacts.key
    kind: str  # artifacts.kind
    fingerprint: str
    time: Optional[float]
    text: Optional[str]
    detail: str
    boot_id: Optional[str] = None
    vmcore: Optional[str] = None
    crashed: bool = False  # the artifact itself says the kernel crashed (kdump, Panic dump)
    live_pstore: bool = False  # a file in /sys/fs/pstore (deletable)
    delete_paths: Tuple[str, ...] = ()
    reports: List[CrashReport] = field(default_factory=list)
    error: Optional[str] = None
    dated: bool = True  # `time` is the record's own (pstore, kdump), not a copy's
    crashed_at: Optional[float] = None  # when its kernel last spoke (kernel time, wall clock)


@dataclass
class Outcome:
    """What one post-mortem run found and did."""

    alerts: List[Alert] = field(default_factory=list)
    incidents: List[Tuple[str, bool]] = field(default_factory=list)  # (id, created)
    artifacts: List[Dict[str, Any]] = field(default_factory=list)
    previous_boot: Optional[str] = None
    previous_boot_clean: Optional[bool] = None
    notes: List[str] = field(default_factory=list)
    deleted: List[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> Dict[str, Any]:
        return {
            "schema": 1,
            "previous_boot": self.previous_boot,
            "previous_boot_clean": self.previous_boot_clean,
            "incidents": [{"incident_id": i, "created": c} for i, c in self.incidents],
            "alerts": [a.to_dict() for a in self.alerts],
            "artifacts": self.artifacts,
            "deleted": self.deleted,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


# --- picking the crash out of a log ------------------------------------------------------------


def crash_report(reports: Sequence[CrashReport]) -> Optional[CrashReport]:
    """The report that ended the boot: the cause of the first panic, else the first
    report that panicked, else the first fatal report; None when nothing was fatal."""
    for i, r in enumerate(reports):
        if r.kind != "panic":
            continue
        for cause in reversed(reports[:i]):
            if cause.kind == "panic":
                continue
            if _near(cause, r):
                return cause
            break
        return r
    for r in reports:
        if r.panicked:
            return r
    for r in reports:
        if r.kind in FATAL_KINDS:
            return r
    return None


def _near(cause: CrashReport, panic: CrashReport) -> bool:
    if cause.last_line is None or panic.first_line is None:
        return True
    return panic.first_line - cause.last_line <= CAUSE_WINDOW_LINES


def unreadable_report(found: Sequence[Found]) -> CrashReport:
    """A stand-in when the crash left artifacts but no report the parser can read."""
    why = "; ".join(f.detail for f in found)
    return CrashReport(
        kind="panic",
        title="kernel crash with no readable report",
        signature=UNREADABLE_SIGNATURE,
        details={"why": why},
        panicked=True,
    )


# --- reading the sources -----------------------------------------------------------------------


def _seen(conn: Any, key: str, fingerprint: str) -> bool:
    row = conn.execute("SELECT fingerprint FROM artifacts WHERE key=?", (key,)).fetchone()
    return row is not None and row[0] == fingerprint


def _pstore_found(root: Root, config: Config, notes: List[str]) -> List[Found]:
    from kcrashd.sources import pstore

    pm = config.postmortem
    records = []
    for reader, directory in (
        (pstore.read_pstore, pm.pstore_directory),
        (pstore.read_archive, pm.systemd_pstore_directory),
    ):
        try:
            records += reader(root, directory)
        except OSError as exc:
            notes.append(f"pstore: cannot read {directory}: {exc}")
    found = []
    for rec in records:
        what = f"{rec.type} record ({rec.backend}"
        what += f", {rec.reason}#{rec.count}" if rec.reason else ""
        what += f", {rec.parts} parts)" if rec.parts > 1 else ")"
        if rec.type == "pmsg" and rec.text:
            what += ": " + " | ".join(rec.text.strip().splitlines()[-3:])[:300]
        if rec.error:
            what += f": {rec.error}"
            notes.append(f"pstore: {rec.path}: {rec.error}")
        found.append(
            Found(
                source="pstore",
                path=rec.path,
                key=f"pstore:{rec.record_key}",
                kind=f"pstore-{rec.type}",
                fingerprint=rec.fingerprint,
                time=rec.mtime,
                dated=rec.dated,
                text=rec.text if rec.has_kernel_log else None,
                detail=what,
                crashed=(rec.reason or "").lower() == "panic",
                live_pstore=not rec.archived,
                delete_paths=rec.paths if not rec.archived else (),
                error=rec.error,
            )
        )
    return found


def _kdump_found(root: Root, config: Config, notes: List[str]) -> List[Found]:
    from kcrashd.sources import kdump

    found = []
    for dump in kdump.read_dumps(root, list(config.postmortem.kdump_directories)):
        state = "complete" if dump.complete else "; ".join(dump.problems)
        found.append(
            Found(
                source="kdump",
                path=dump.path,
                key=f"kdump:{dump.path}",
                kind=f"kdump-{dump.layout}",
                fingerprint=dump.fingerprint,
                time=dump.created,
                text=dump.dmesg,
                detail=f"{dump.layout} kdump dump: {state}",
                vmcore=dump.vmcore if dump.vmcore_bytes else None,
                crashed=True,
                error=None if dump.complete else state,
            )
        )
        if not dump.complete:
            notes.append(f"kdump: {dump.path}: {state}")
    return found


# --- the run -----------------------------------------------------------------------------------


def run_postmortem(
    root: Root,
    config: Config,
    state: Any,
    current_boot_id: Optional[str],
    journal_dir: Optional[str] = None,
    now: Optional[float] = None,
    state_dir: Optional[str] = None,
) -> Outcome:
    """Collect, parse and store incidents and the alerts they owe, in one transaction.

    Nothing is sent here: out.alerts lists the alerts this run queued, which
    kcrashd.postmortem.job.deliver_pending sends (and records) afterwards. The snapshot
    store is read from state_dir (default: the directory of the state database).
    """
    start = time.monotonic()
    now = time.time() if now is None else now
    out = Outcome()
    if state_dir is None and getattr(state, "path", None):
        state_dir = os.path.dirname(os.path.abspath(state.path))

    boots, prev = _journal_boots(config, journal_dir, current_boot_id, out.notes)
    prev_id = prev.boot_id if prev else None
    if prev_id is None and current_boot_id:
        prev_id = f"before-{current_boot_id}"  # no journal: "the boot before this one"
    out.previous_boot = prev_id

    found, still_there = _new_artifacts(root, config, state.conn, out.notes)
    _parse(found, out.notes)
    _attribute(found, boots, journal_dir, current_boot_id, prev_id)
    end = None
    if prev is not None:
        journal, end = _previous_boot_journal(state.conn, journal_dir, prev, out.notes)
        if journal is not None:
            out.previous_boot_clean = end.clean if end else None
            found.append(journal)

    stored = _store(state, found, still_there, current_boot_id, end, out, now, state_dir)
    if config.postmortem.delete_pstore_after_store:
        out.deleted = _delete_pstore(root, stored, out.notes)
    out.seconds = time.monotonic() - start
    return out


def _journal_boots(
    config: Config, journal_dir: Optional[str], current_boot_id: Optional[str], notes: List[str]
) -> Tuple[List[Any], Optional[Any]]:
    """The journal's boots and the previous boot (never a kdump capture boot)."""
    if not config.postmortem.previous_boot_journal:
        return [], None
    try:
        from kcrashd.sources import previous_boot

        boots = previous_boot.list_boots(journal_dir)
        return boots, previous_boot.previous_boot(boots, current_boot_id)
    except (ImportError, OSError) as exc:
        notes.append(f"journal: cannot read the previous boot: {exc}")
        return [], None


def _new_artifacts(
    root: Root, config: Config, conn: Any, notes: List[str]
) -> Tuple[List[Found], List[str]]:
    """(artifacts not handled before, keys of those handled before and still there)."""
    found, still_there = [], []
    for f in _pstore_found(root, config, notes) + _kdump_found(root, config, notes):
        if _seen(conn, f.key, f.fingerprint):
            still_there.append(f.key)
        else:
            found.append(f)
    return found, still_there


def _parse(found: Sequence[Found], notes: List[str]) -> None:
    from kcrashd.parse import parse_text

    for f in found:
        if f.text:
            try:
                f.reports = parse_text(f.text)
            except Exception as exc:  # boundary: one bad artifact must not stop the rest
                log.exception("post-mortem: parsing %s failed", f.path)
                notes.append(f"{f.source}: {f.path}: parser failed: {exc}")


def _attribute(
    found: Sequence[Found],
    boots: Sequence[Any],
    journal_dir: Optional[str],
    current_boot_id: Optional[str],
    prev_id: Optional[str],
) -> None:
    """Each artifact's boot (kcrashd.postmortem.boots): the boot whose journal holds its
    kernel lines, else by the record's own time; and when its kernel last spoke."""
    by_id = {b.boot_id: b for b in boots}
    for f in found:
        boot_id = None
        if f.text and boots:
            try:
                boot_id = boots_of.boot_of_text(journal_dir, f.text, boots)
            except (ImportError, OSError) as exc:
                log.warning("post-mortem: cannot look up %s in the journal: %s", f.path, exc)
        if boot_id is None:
            # pstore dates its records itself: one dated in this boot is a live oops dump of
            # this boot. A kdump directory is written while the capture kernel runs.
            when = f.time if f.dated else None
            boot_id = boots_of.boot_for_time(when, boots, current_boot_id, prev_id, f.live_pstore)
        f.boot_id = boot_id
        f.crashed_at = boots_of.crash_realtime(by_id.get(boot_id or ""), f.text)


def _previous_boot_journal(
    conn: Any, journal_dir: Optional[str], prev: Any, notes: List[str]
) -> Tuple[Optional[Found], Any]:
    """The previous boot's kernel log as an artifact (None when handled before), and how
    that boot ended."""
    from kcrashd.sources import previous_boot

    journal_key = f"journal-boot:{prev.boot_id}"
    if _seen(conn, journal_key, prev.last_cursor or ""):
        return None, None
    reports: List[CrashReport] = []
    messages = 0
    end = None
    try:
        # streamed through the parser: the boot's records are never one list
        reports, messages = boot_reports(journal_dir, prev.boot_id)
        end = previous_boot.boot_end(journal_dir, prev.boot_id)
    except OSError as exc:
        notes.append(f"journal: {exc}")
    detail = f"kernel log of boot {prev.boot_id} ({messages} messages)"
    if end and not end.clean:
        detail += f"; ended without a shutdown, last message: {end.last_message}"
    journal = Found(
        source="journal",
        path=journal_dir or "system journal",
        key=journal_key,
        kind="journal-boot",
        fingerprint=prev.last_cursor or "",
        time=prev.last,
        text=None,
        detail=detail,
        boot_id=prev.boot_id,
        crashed=bool(end and not end.clean),
        reports=reports,
    )
    return journal, end


def _store(
    state: Any,
    found: List[Found],
    still_there: List[str],
    current_boot_id: Optional[str],
    end: Any,
    out: Outcome,
    now: float,
    state_dir: Optional[str],
) -> List[Found]:
    """One incident per boot with evidence, and every artifact as handled, in one
    transaction."""
    from kcrashd.store.secret import alert_key

    by_boot: Dict[Optional[str], List[Found]] = {}
    for f in found:
        by_boot.setdefault(f.boot_id, []).append(f)
    key = alert_key(state)
    with state.transaction() as tx:
        # artifacts handled before and still there stay young (state retention keeps them)
        tx.executemany("UPDATE artifacts SET seen=? WHERE key=?", [(now, k) for k in still_there])
        for boot_id, items in by_boot.items():
            _store_boot(tx, boot_id, items, current_boot_id, end, out, now, state_dir, key)
        for f in found:
            incident_id = next(
                (i for i, _ in out.incidents if f.boot_id and _belongs(tx, i, f.boot_id)), None
            )
            tx.execute(
                "INSERT OR REPLACE INTO artifacts(key, kind, fingerprint, incident_id, seen) "
                "VALUES (?,?,?,?,?)",
                (f.key, f.kind, f.fingerprint, incident_id, now),
            )
            out.artifacts.append(
                {
                    "source": f.source,
                    "path": f.path,
                    "boot_id": f.boot_id,
                    "detail": f.detail,
                    "reports": len(f.reports),
                    "incident_id": incident_id,
                }
            )
    return found


def boot_reports(directory: Optional[str], boot_id: str) -> Tuple[List[CrashReport], int]:
    """(crash reports, messages read) of one boot's kernel log in the journal, its records
    streamed through the incremental parser; the reports in the order they start."""
    from kcrashd.parse import Assembler
    from kcrashd.sources.previous_boot import kernel_records

    assembler = Assembler()
    reports: List[CrashReport] = []
    messages = 0
    # lines the parser cannot need are passed over unread (they keep their line numbers)
    for record in kernel_records(directory, boot_id, assembler.wants_raw):
        messages += 1
        reports.extend(assembler.feed(record))
    reports.extend(assembler.flush())
    reports.sort(key=lambda r: r.first_line or 0)
    return reports, messages


def _belongs(conn: Any, incident_id: str, boot_id: str) -> bool:
    row = conn.execute("SELECT boot_id FROM incidents WHERE incident_id=?", (incident_id,))
    r = row.fetchone()
    return r is not None and r[0] == boot_id


def _store_boot(
    conn: Any,
    boot_id: Optional[str],
    items: List[Found],
    current_boot_id: Optional[str],
    end: Any,
    out: Outcome,
    now: float,
    state_dir: Optional[str] = None,
    key: bytes = b"",
) -> None:
    journal = next((f for f in items if f.source == "journal"), None)
    artifacts = [f for f in items if f.source != "journal"]
    journal_ended_clean = journal is not None and not journal.crashed
    candidates = []
    for f in items:
        report = crash_report(f.reports)
        if report is None:
            continue
        if f.source == "journal" and journal_ended_clean and not artifacts:
            continue  # a boot that shut down cleanly: its reports were live alerts
        candidates.append((report.corrupted, _SOURCE_RANK[f.source], report, f))
    crash_evidence = [f for f in artifacts if f.text or f.crashed or f.error]
    if candidates:
        report = min(candidates, key=lambda c: (c[0], c[1]))[2]
    elif crash_evidence and any(f.crashed or f.error for f in crash_evidence):
        report = unreadable_report(crash_evidence)
    else:
        if journal is not None and journal.crashed and boot_id != current_boot_id:
            alert = reset_alert(boot_id, end)
            if queue_alert(conn, alert, reset_alert_id(boot_id, key), None, now):
                out.alerts.append(alert)
        return

    signature = incident_store.report_signature(report)
    evidence = []
    for f in items:
        sees = any(incident_store.report_signature(r) == signature for r in f.reports)
        if f.source == "journal" and not (sees or f.crashed):
            continue
        evidence.append(Evidence(f.source, f.path, f.detail))
    evidence += _watcher_evidence(conn, boot_id)
    vmcore = next((f.vmcore for f in items if f.vmcore), None)
    snapshot = _last_snapshot(conn, boot_id, state_dir)
    if snapshot is not None:
        evidence.append(Evidence("snapshot", snapshot[1], snapshot[2]))
    incident_id, created = incident_store.upsert_incident(
        conn,
        report,
        boot_id,
        evidence,
        vmcore=vmcore,
        snapshot_id=snapshot[0] if snapshot else None,
        now=crash_time(items) or now,
    )
    out.incidents.append((incident_id, created))
    crashed = (
        any(f.crashed for f in items)
        or report.panicked
        or report.kind == "panic"
        or (journal is None and report.kind in FATAL_KINDS)
    )
    if boot_id == current_boot_id:
        return  # a live oops dump of this boot: the live pipeline alerts it
    if not crashed and incident_store.is_alerted(conn, incident_id):
        return  # the boot went on after it and the live pipeline alerted it then
    inc = incident_store.get_incident(conn, incident_id)
    if inc is not None:
        alert = crashed_alert(conn, inc, crashed)
        if queue_alert(conn, alert, crash_alert_id(incident_id, key), incident_id, now):
            out.alerts.append(alert)


def crash_time(items: Sequence[Found]) -> Optional[float]:
    """When the boot crashed, as well as its evidence tells: the last kernel timestamp of
    the crash's own log (a kdump dmesg, a pstore record) on that boot's clock; else the time
    pstore gave its record (the dump's; systemd-pstore's copies keep it); else the boot's
    last journal entry (a little before); a kdump directory's name (when the capture
    kernel ran, seconds later) only when nothing else tells."""
    kernel = [f.crashed_at for f in items if f.crashed_at]
    if kernel:
        return max(kernel)
    for source in ("pstore", "journal", "kdump"):
        times = [f.time for f in items if f.source == source and f.time and f.dated]
        if times:
            return max(times)  # the newest: the dump that ended the boot
    return None


def crash_alert_id(incident_id: str, key: bytes) -> str:
    """The KCRASHD_ALERT_ID of an incident's previous_boot_crashed alert (deterministic,
    so a send that a crash left uncommitted is found in the journal, not repeated; keyed
    with kcrashd.store.secret.alert_key of the state database)."""
    from kcrashd.alerts.ids import alert_id_for

    return alert_id_for(key, "previous_boot_crashed", incident_id)


def reset_alert_id(boot_id: Optional[str], key: bytes) -> str:
    from kcrashd.alerts.ids import alert_id_for

    return alert_id_for(key, "unexplained_reset", boot_id)


def queue_alert(
    conn: Any, alert: Alert, alert_id: str, incident_id: Optional[str], now: float
) -> bool:
    """Owe `alert`: written to the outbox in the caller's transaction. False when that
    alert was already sent (recorded) or is already owed."""
    from kcrashd.alerts.outbox import enqueue

    return enqueue(conn, alert_id, alert, None, incident_id, now)


@dataclass(frozen=True)
class PendingAlert:
    alert_id: str
    alert: Alert
    incident_id: Optional[str]
    queued: float


def pending_alerts(conn: Any) -> List[PendingAlert]:
    """Alerts owed and not yet recorded as sent, oldest first."""
    from kcrashd.alerts.outbox import read_rows

    return [PendingAlert(e.alert_id, e.alert, e.incident_id, e.queued) for e in read_rows(conn)]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def crashed_alert(conn: Any, inc: Any, crashed: bool = True) -> Alert:
    """The incident's previous_boot_crashed alert. `crashed`: the crash ended its boot
    (field ended_boot "yes"); else it was found after the fact and never alerted, and
    nothing shows it ended the boot ("no"). systemd/kcrashd.catalog explains the fields."""
    recent = incident_store.recurrence(conn, inc.signature, within_days=30)
    sources = sorted({e.source for e in inc.evidence if e.source not in ("watcher",)})
    report = inc.report
    fields = {
        "boot_id": inc.boot_id or "unknown",
        "incident": inc.incident_id,
        "kind": inc.kind,
        "title": inc.title,
        "signature": inc.signature,
        "sources": ", ".join(sources),
        "recurrence": str(inc.recurrence),
        "recurrence_30d": str(recent),
        "recurrence_text": f"{_ordinal(recent)} time this crash in 30 days",
        "ended_boot": "yes" if crashed else "no",
    }
    if report is not None:
        for key in ("function", "module", "kernel"):
            value = getattr(report, key)
            if value:
                fields[key] = str(value)
        if report.taint:
            fields["taint"] = "".join(letter for letter, _ in report.taint)
    if inc.vmcore:
        fields["vmcore"] = inc.vmcore
    if inc.snapshot_id:
        fields["snapshot"] = inc.snapshot_id
    summary = f"previous boot crashed: {inc.title} ({fields['recurrence_text']})"
    if not crashed:
        # Found after the fact (pstore) and never alerted, but nothing says it ended the boot.
        summary = (
            f"previous boot had a kernel {inc.kind} that was never alerted: {inc.title} "
            f"({fields['recurrence_text']}; nothing shows it ended the boot)"
        )
    return Alert(
        type="previous_boot_crashed",
        severity=Severity.CRIT if crashed else Severity.ERR,
        summary=summary,
        fields=fields,
        dedup_key=f"previous_boot_crashed:{inc.incident_id}",
    )


def reset_alert(boot_id: Optional[str], end: Any) -> Alert:
    """unexplained_reset for a boot whose journal stops without a shutdown (`end`: its
    previous_boot.BootEnd, None when unknown)."""
    last = (end.last_message if end else None) or "(nothing)"
    fields = {"boot_id": boot_id or "unknown", "last_message": last}
    if end is not None and end.last_realtime:
        fields["last_time"] = time.strftime(
            "%Y-%m-%d %H:%M:%S %z", time.localtime(end.last_realtime)
        )
    if end is not None and end.last_identifier:
        fields["last_identifier"] = end.last_identifier
    return Alert(
        type="unexplained_reset",
        severity=Severity.ERR,
        summary=f"previous boot ended without a clean shutdown and left no crash report; "
        f"last message: {last}",
        fields=fields,
        dedup_key=f"unexplained_reset:{boot_id}",
    )


def _watcher_evidence(conn: Any, boot_id: Optional[str]) -> List[Evidence]:
    """Watcher alerts raised during the crashed boot (warning signs before the crash)."""
    if boot_id is None:
        return []
    rows = conn.execute(
        "SELECT type, summary, created FROM alerts WHERE boot_id=? AND type LIKE '%\\_raised' "
        "ESCAPE '\\' ORDER BY created",
        (boot_id,),
    ).fetchall()
    return [
        Evidence(
            "watcher", None, f"{r[0]} at {time.strftime('%H:%M:%S', time.localtime(r[2]))}: {r[1]}"
        )
        for r in rows
    ]


def _last_snapshot(
    conn: Any, boot_id: Optional[str], state_dir: Optional[str]
) -> Optional[Tuple[str, Optional[str], str]]:
    """The last pre-crash snapshot of that boot: (id, path, detail) or None.

    The snapshot store itself first: each snapshot records the boot id it was taken in and
    its time, so the newest one of the crashed boot is the last state kcrashd saw before
    the crash. Failing that (pruned, another state dir), an alert of that boot that names
    the snapshot it took (its `snapshot` field)."""
    if boot_id is None:
        return None
    if state_dir:
        found = last_snapshot_of_boot(state_dir, boot_id)
        if found is not None:
            return found
    rows = conn.execute(
        "SELECT fields_json FROM alerts WHERE boot_id=? ORDER BY created DESC", (boot_id,)
    ).fetchall()
    for (fields_json,) in rows:
        try:
            snapshot = json.loads(fields_json).get("snapshot")
        except (ValueError, AttributeError):
            continue
        if snapshot:
            return str(snapshot), None, "named by an alert of that boot; no longer in the store"
    return None


def last_snapshot_of_boot(state_dir: str, boot_id: str) -> Optional[Tuple[str, str, str]]:
    """(id, path, detail) of the newest snapshot in the store taken in boot `boot_id`.

    Each document is read for its boot id (the store keeps at most snapshots.keep_count);
    file times are not trusted to tell boots apart (clocks jump at boot)."""
    from kcrashd.store import snapshots

    want = boot_id.replace("-", "").lower()
    for info in reversed(snapshots.list_snapshots(state_dir)):
        try:
            doc = snapshots.load_snapshot(state_dir, info.id)
        except (OSError, ValueError) as exc:
            log.warning("post-mortem: snapshot %s is unreadable: %s", info.id, exc)
            continue
        if snapshots.snapshot_boot(doc) != want:
            continue
        items = doc.get("items") or {}
        when = doc.get("time")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if when else "?"
        reason = doc.get("reason") or (items.get("reason") or {}).get("value") or "?"
        return info.id, info.path, f"last snapshot of that boot, {stamp}: {reason}"
    return None


def _delete_pstore(root: Root, stored: Sequence[Found], notes: List[str]) -> List[str]:
    from kcrashd.host.files import remove

    deleted = []
    for f in stored:
        for host_path in f.delete_paths:
            try:
                remove(root, host_path)
                deleted.append(host_path)
            except OSError as exc:
                notes.append(f"pstore: cannot delete {host_path}: {exc}")
    return deleted


def current_boot_id(root: Root) -> Optional[str]:
    """This boot's id (journal style: 32 hex digits), or None when unknown."""
    value = root.read_value("/proc/sys/kernel/random/boot_id")
    return value.replace("-", "") if value else None


def outcome_json(out: Outcome) -> str:
    return json.dumps(out.to_dict(), indent=2, sort_keys=True)
