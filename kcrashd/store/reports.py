"""Crash reports seen per boot and signature (the `reports` table): dedup and repeat counts.

`count` is how many times the signature was printed this boot; `alerted_count` is the count
the last alert covered, so `count - alerted_count` repeats are still to be summarised.
`last_monotonic_us` is the kernel time of the last occurrence counted: a report read again
is told from a new one by where it is in the boot, not by the wall clock (which may step
back). `header` and `rip` let a report that lost lines be counted against this boot's
report with the same header (see kcrashd.alerts.dedup). Callers own the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, List, Optional

from kcrashd.model import CrashReport


@dataclass(frozen=True)
class ReportRow:
    boot_id: str
    signature: str
    kind: str
    title: str
    first_seen: float
    last_seen: float
    count: int
    alerted_count: int
    incident_id: Optional[str]
    last_monotonic_us: Optional[int] = None


_COLS = (
    "boot_id, signature, kind, title, first_seen, last_seen, count, alerted_count, incident_id, "
    "last_monotonic_us"
)


def _c(conn: Any) -> Any:
    return getattr(conn, "conn", conn)


def _row(r: Any) -> ReportRow:
    mono = None if r[9] is None else int(r[9])
    return ReportRow(
        r[0], r[1], r[2], r[3], float(r[4]), float(r[5]), int(r[6]), int(r[7]), r[8], mono
    )


def get_report(conn: Any, boot_id: str, signature: str) -> Optional[ReportRow]:
    r = (
        _c(conn)
        .execute(
            f"SELECT {_COLS} FROM reports WHERE boot_id=? AND signature=?", (boot_id, signature)
        )
        .fetchone()
    )
    return None if r is None else _row(r)


def find_by_header(conn: Any, boot_id: str, header: str, rip: Optional[str]) -> Optional[ReportRow]:
    """This boot's report with that header (and RIP function, when `rip` is known), the
    one seen last."""
    r = (
        _c(conn)
        .execute(
            f"SELECT {_COLS} FROM reports WHERE boot_id=? AND header=? AND (? IS NULL OR rip=?) "
            "ORDER BY last_seen DESC LIMIT 1",
            (boot_id, header, rip, rip),
        )
        .fetchone()
    )
    return None if r is None else _row(r)


def insert_report(
    conn: Any,
    report: CrashReport,
    boot_id: str,
    signature: str,
    seen: float,
    incident_id: Optional[str],
    header: Optional[str] = None,
) -> None:
    _c(conn).execute(
        "INSERT INTO reports(boot_id, signature, kind, title, first_seen, last_seen, count, "
        "alerted_count, incident_id, report_json, last_monotonic_us, header, rip) "
        "VALUES(?,?,?,?,?,?,1,1,?,?,?,?,?)",
        (
            boot_id,
            signature,
            report.kind,
            report.title,
            seen,
            seen,
            incident_id,
            json.dumps(report.to_dict()),
            report.monotonic_us,
            header,
            report.rip.function if report.rip else None,
        ),
    )


def count_repeat(
    conn: Any,
    boot_id: str,
    signature: str,
    count: int,
    seen: float,
    alerted: bool,
    monotonic_us: Optional[int] = None,
) -> None:
    # alerted: the alert sent for this repeat covers every occurrence so far
    sql = "UPDATE reports SET count=?, last_seen=?"
    params: tuple = (count, seen)
    if monotonic_us is not None:
        sql += ", last_monotonic_us=MAX(COALESCE(last_monotonic_us, 0), ?)"
        params += (monotonic_us,)
    if alerted:
        sql += ", alerted_count=?"
        params += (count,)
    _c(conn).execute(sql + " WHERE boot_id=? AND signature=?", params + (boot_id, signature))


def mark_summarised(conn: Any, boot_id: str, signature: str, count: int) -> None:
    _c(conn).execute(
        "UPDATE reports SET alerted_count=? WHERE boot_id=? AND signature=?",
        (count, boot_id, signature),
    )


def unsummarised(conn: Any) -> List[ReportRow]:
    """Signatures with repeats no alert has covered yet."""
    rows = _c(conn).execute(f"SELECT {_COLS} FROM reports WHERE count > alerted_count")
    return [_row(r) for r in rows.fetchall()]


def count_reports(conn: Any, boot_id: Optional[str]) -> int:
    """Crash reports seen this boot, repeats included."""
    r = _c(conn).execute(
        "SELECT COALESCE(SUM(count), 0) FROM reports WHERE boot_id IS ?", (boot_id,)
    )
    return int(r.fetchone()[0])
