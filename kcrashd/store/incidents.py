"""Incidents: one crash of one boot with all its evidence, in the state database.

An incident is keyed by (boot_id, signature). Every source that saw the crash (the live
journal, a pstore record, a kdump dump, the previous boot's journal, a snapshot) adds its
Evidence to the same row, so one crash is one incident however many places recorded it.
None of these functions opens a transaction: callers commit (the daemon commits an incident
with the journal position and the alert in one transaction).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from kcrashd.model import CrashReport, Evidence, Frame, Incident
from kcrashd.parse.digest import sha1_hex  # not hashlib: OpenSSL's libcrypto costs 3.4 MiB RSS

_COLUMNS = (
    "incident_id, boot_id, kind, title, signature, report_json, evidence_json, vmcore, "
    "snapshot_id, first_seen, alerted"
)


def _connection(conn: Any) -> sqlite3.Connection:
    # Accept a StateDB as well as its sqlite3 connection.
    return getattr(conn, "conn", conn)


def report_signature(report: CrashReport) -> str:
    """The report's signature, or a stable stand-in when the parser gave none."""
    return report.signature or f"{report.kind}:{report.title}"


def incident_id_for(boot_id: Optional[str], signature: str) -> str:
    """A short id that is the same for the same crash of the same boot."""
    return sha1_hex(f"{boot_id or '-'}|{signature}".encode())[:12]


def upsert_incident(
    conn: Any,
    report: CrashReport,
    boot_id: Optional[str],
    evidence: Sequence[Evidence],
    vmcore: Optional[str] = None,
    snapshot_id: Optional[str] = None,
    now: Optional[float] = None,
) -> Tuple[str, bool]:
    """Create the incident of (boot_id, report signature) or merge into it.

    Returns (incident id, created?). Evidence is merged without duplicates; the stored
    report is replaced only by a better one (uncorrupted, more frames, more lines); a
    vmcore or snapshot id already recorded is kept.
    """
    c = _connection(conn)
    signature = report_signature(report)
    row = c.execute(
        f"SELECT {_COLUMNS} FROM incidents WHERE boot_id IS ? AND signature=?",
        (boot_id, signature),
    ).fetchone()
    if row is None:
        incident_id = incident_id_for(boot_id, signature)
        c.execute(
            "INSERT INTO incidents (incident_id, boot_id, kind, title, signature, report_json, "
            "evidence_json, vmcore, snapshot_id, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                incident_id,
                boot_id,
                report.kind,
                report.title,
                signature,
                json.dumps(report.to_dict()),
                json.dumps(_merge_evidence([], evidence)),
                vmcore,
                snapshot_id,
                report.realtime or (time.time() if now is None else now),
            ),
        )
        return incident_id, True
    incident_id = row["incident_id"]
    old_report = _report_from_json(row["report_json"])
    better = old_report is None or _quality(report) > _quality(old_report)
    c.execute(
        "UPDATE incidents SET evidence_json=?, vmcore=COALESCE(vmcore, ?), "
        "snapshot_id=COALESCE(snapshot_id, ?), report_json=?, kind=?, title=? "
        "WHERE incident_id=?",
        (
            json.dumps(_merge_evidence(json.loads(row["evidence_json"] or "[]"), evidence)),
            vmcore,
            snapshot_id,
            json.dumps(report.to_dict()) if better else row["report_json"],
            report.kind if better else row["kind"],
            report.title if better else row["title"],
            incident_id,
        ),
    )
    return incident_id, False


def _quality(report: CrashReport) -> Tuple[int, int, int]:
    return (0 if report.corrupted else 1, len(report.frames), len(report.lines))


def _merge_evidence(
    existing: List[Dict[str, Any]], new: Sequence[Evidence]
) -> List[Dict[str, Any]]:
    merged = list(existing)
    seen = {(e.get("source"), e.get("path")) for e in merged}
    for ev in new:
        key = (ev.source, ev.path)
        if key in seen:
            continue
        seen.add(key)
        merged.append({"source": ev.source, "path": ev.path, "detail": ev.detail})
    return merged


def mark_alerted(conn: Any, incident_id: str) -> bool:
    """Record that the incident's alert was sent; False when it already had been."""
    cur = _connection(conn).execute(
        "UPDATE incidents SET alerted=1 WHERE incident_id=? AND alerted=0", (incident_id,)
    )
    return cur.rowcount == 1


def is_alerted(conn: Any, incident_id: str) -> bool:
    row = (
        _connection(conn)
        .execute("SELECT alerted FROM incidents WHERE incident_id=?", (incident_id,))
        .fetchone()
    )
    return bool(row and row[0])


def recurrence(conn: Any, signature: str, within_days: Optional[float] = None) -> int:
    """How many distinct boots had a crash with this signature (optionally recently)."""
    sql = "SELECT COUNT(DISTINCT COALESCE(boot_id, incident_id)) FROM incidents WHERE signature=?"
    params: List[Any] = [signature]
    if within_days is not None:
        sql += " AND first_seen >= ?"
        params.append(time.time() - within_days * 86400)
    return int(_connection(conn).execute(sql, params).fetchone()[0])


def same_signature(
    conn: Any, signature: str, exclude: Optional[str] = None, limit: int = 10
) -> List[Dict[str, Any]]:
    """The other incidents with this signature, newest first: id, boot, when."""
    rows = (
        _connection(conn)
        .execute(
            "SELECT incident_id, boot_id, first_seen FROM incidents WHERE signature=? "
            "AND incident_id IS NOT ? ORDER BY first_seen DESC LIMIT ?",
            (signature, exclude, int(limit)),
        )
        .fetchall()
    )
    return [{"incident_id": r[0], "boot_id": r[1], "when": r[2]} for r in rows]


def list_incidents(conn: Any, limit: Optional[int] = None) -> List[Incident]:
    """Incidents, newest first, each with its recurrence count."""
    sql = f"SELECT {_COLUMNS} FROM incidents ORDER BY first_seen DESC, incident_id"
    params: Tuple[Any, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (int(limit),)
    c = _connection(conn)
    return [_incident(c, row) for row in c.execute(sql, params).fetchall()]


def get_incident(conn: Any, incident_id: str) -> Optional[Incident]:
    """One incident by id, or by a unique prefix of its id; None when there is none."""
    c = _connection(conn)
    row = c.execute(f"SELECT {_COLUMNS} FROM incidents WHERE incident_id=?", (incident_id,))
    found = row.fetchone()
    if found is None and incident_id:
        rows = c.execute(
            f"SELECT {_COLUMNS} FROM incidents WHERE incident_id LIKE ? ESCAPE '\\'",
            (_like_prefix(incident_id),),
        ).fetchall()
        found = rows[0] if len(rows) == 1 else None
    return None if found is None else _incident(c, found)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _incident(c: sqlite3.Connection, row: sqlite3.Row) -> Incident:
    evidence = tuple(
        Evidence(e.get("source", "?"), e.get("path"), e.get("detail"))
        for e in json.loads(row["evidence_json"] or "[]")
    )
    return Incident(
        incident_id=row["incident_id"],
        boot_id=row["boot_id"],
        kind=row["kind"],
        title=row["title"],
        signature=row["signature"],
        report=_report_from_json(row["report_json"]),
        evidence=evidence,
        vmcore=row["vmcore"],
        snapshot_id=row["snapshot_id"],
        first_seen=row["first_seen"],
        recurrence=recurrence(c, row["signature"]),
    )


def _report_from_json(text: Optional[str]) -> Optional[CrashReport]:
    if not text:
        return None
    try:
        return report_from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError):
        return None


def _frame(d: Optional[Mapping[str, Any]]) -> Optional[Frame]:
    if not d:
        return None
    return Frame(
        function=d.get("function"),
        offset=d.get("offset"),
        size=d.get("size"),
        module=d.get("module"),
        address=d.get("address"),
        reliable=bool(d.get("reliable", True)),
    )


def report_from_dict(d: Mapping[str, Any]) -> CrashReport:
    """The inverse of CrashReport.to_dict() (as stored in report_json)."""
    taint = tuple(
        (t["letter"], t["meaning"]) if isinstance(t, dict) else (t[0], t[1])
        for t in d.get("taint") or ()
    )
    return CrashReport(
        kind=d["kind"],
        title=d["title"],
        function=d.get("function"),
        module=d.get("module"),
        kernel=d.get("kernel"),
        taint=taint,
        cpu=d.get("cpu"),
        pid=d.get("pid"),
        comm=d.get("comm"),
        hardware=d.get("hardware"),
        rip=_frame(d.get("rip")),
        registers=dict(d.get("registers") or {}),
        frames=tuple(f for f in (_frame(x) for x in d.get("frames") or ()) if f is not None),
        modules_linked=tuple(d.get("modules_linked") or ()),
        code=d.get("code"),
        corrupted=bool(d.get("corrupted")),
        panicked=bool(d.get("panicked")),
        first_line=d.get("first_line"),
        last_line=d.get("last_line"),
        signature=d.get("signature") or "",
        lines=tuple(d.get("lines") or ()),
        details=dict(d.get("details") or {}),
        boot_id=d.get("boot_id"),
        start_position=d.get("start_position"),
        end_position=d.get("end_position"),
        realtime=d.get("realtime"),
    )
