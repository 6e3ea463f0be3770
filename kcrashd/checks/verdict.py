"""Exit code and verdict, Nagios style: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""

from __future__ import annotations

from typing import Dict, Sequence

from kcrashd.model import Result, Status

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


def exit_code(results: Sequence[Result]) -> int:
    statuses = {r.status for r in results}
    if Status.CRIT in statuses:
        return CRITICAL
    if Status.ERROR in statuses:
        return UNKNOWN
    if Status.WARN in statuses:
        return WARNING
    return OK


def counts(results: Sequence[Result]) -> Dict[str, int]:
    out = {s.value: 0 for s in Status}
    for r in results:
        out[r.status.value] += 1
    return out


def verdict_line(results: Sequence[Result]) -> str:
    """`CRITICAL: 2 critical, 3 warnings, 0 errors (30 OK, 8 INFO, 4 SKIP of 47 checks)`."""
    c = counts(results)
    code = exit_code(results)
    return (
        f"{NAMES[code]}: {c['CRIT']} critical, {c['WARN']} warning(s), {c['ERROR']} error(s) "
        f"({c['OK']} OK, {c['INFO']} INFO, {c['SKIP']} SKIP of {len(results)} checks)"
    )


def summary_sentence(results: Sequence[Result]) -> str:
    """`2 critical, 3 warnings: kdump_loaded, ...` for the start-up alert."""
    c = counts(results)
    bad = [r.check_id for r in results if r.status in (Status.CRIT, Status.WARN, Status.ERROR)]
    head = f"{c['CRIT']} critical, {c['WARN']} warnings, {c['ERROR']} errors"
    return head + (": " + ", ".join(bad) if bad else ": ready")
