"""What counts as the same crash report, and as a report counted already.

A complete report is deduplicated by its signature (kind + guilty function + first
frames). A report that lost lines (kmsg sequence gap, journald's "Missed N kernel
messages", interleaving, cut at max_report_lines) is marked corrupted by the parser: its
frames, and so its guilty function and signature, cannot be trusted. It is counted against
this boot's report with the same header (kind + first line, numbers masked; + the RIP
function when that line survived), and only when there is none does it get a signature
of its own, made from that header, so truncated copies of one crash share it.

A report read again (after a restart, or a resume from the start of the boot) is told from
a new occurrence by where it is in the boot (its kernel time), not by the wall clock,
which may step back.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Tuple

from kcrashd.model import CrashReport
from kcrashd.parse.digest import sha1_hex
from kcrashd.store import reports as report_store

_NUMBER = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,}\b|\d+")
MAX_HEADER = 300


def report_header(report: CrashReport) -> str:
    """kind + the report's first line with its numbers (addresses, CPU, PID) masked."""
    first = report.lines[0] if report.lines else report.title
    return f"{report.kind}|{_NUMBER.sub('#', first.strip())[:MAX_HEADER]}"


def header_signature(report: CrashReport) -> str:
    """The signature of a corrupted report nothing matched: its header and RIP function."""
    rip = report.rip.function if report.rip and report.rip.function else ""
    text = f"{report_header(report)}|{rip}"
    return f"{report.kind}:header:{sha1_hex(text.encode('utf-8', 'replace'))[:16]}"


def signature_for(conn: Any, report: CrashReport, boot_id: str) -> Tuple[CrashReport, str, str]:
    """(report, signature, header) to count `report` under; a corrupted report comes back
    with the signature it is counted under."""
    from kcrashd.store.incidents import report_signature  # lazy: not needed when idle

    header = report_header(report)
    if not report.corrupted:
        return report, report_signature(report), header
    rip = report.rip.function if report.rip else None
    row = report_store.find_by_header(conn, boot_id, header, rip)
    signature = row.signature if row is not None else header_signature(report)
    return dataclasses.replace(report, signature=signature), signature, header


def already_counted(row: report_store.ReportRow, report: CrashReport) -> bool:
    """Whether `report` is an occurrence `row` has counted (read again), not a new one."""
    if row.last_monotonic_us is not None and report.monotonic_us is not None:
        return report.monotonic_us <= row.last_monotonic_us
    # rows written before kernel times were kept, or a source without them
    return report.realtime is not None and report.realtime <= row.last_seen
