"""`kcrashd incidents` output: the text the on-call reads, and the --json documents.

`show` reads, top down: what crashed, when, in which boot, the guilty function and module,
the taint in words, every piece of evidence with its path, the vmcore and the last snapshot
(and whether they are still there), how often this crash came back, then the next commands
with this host's real paths, and the report last. The facts come from kcrashd.postmortem.view
(built once, rendered here as text or carried as they are in --json).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from kcrashd.cli.timefmt import when
from kcrashd.postmortem.view import summary, when_text


def list_document(found: List[Any]) -> Dict[str, Any]:
    return {"schema": 1, "incidents": [summary(i) for i in found]}


def show_document(
    facts: Dict[str, Any], inc: Any, steps: Any, triage: Any = None
) -> Dict[str, Any]:
    return {
        "schema": 1,
        "facts": facts,
        "incident": inc.to_dict(),
        "next_steps": steps.to_dict(),
        "vmcore_triage": triage.to_dict() if triage is not None else None,
    }


def _size(n: Optional[int]) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""


def render_list(found: List[Any]) -> List[str]:
    if not found:
        return ["no incidents"]
    lines = [f"{'ID':12}  {'WHEN':19}  {'BOOTS':>5}  {'SOURCES':24}  TITLE"]
    for inc in found:
        sources = ",".join(sorted({e.source for e in inc.evidence})) or "-"
        lines.append(
            f"{inc.incident_id:12}  {when(inc.first_seen):19}  {inc.recurrence:>5}  "
            f"{sources:24}  {inc.title}"
        )
    return lines


def render_show(
    facts: Dict[str, Any], steps: Any, report: Any = None, triage: Any = None
) -> List[str]:
    f = facts
    return (
        [f"INCIDENT {f['incident_id']}: {f['title']}", ""]
        + _crash_rows(f)
        + _taint_rows(f)
        + _history_rows(f)
        + _evidence_section(f)
        + _next_steps_section(steps)
        + _triage_section(triage)
        + _report_section(report)
    )


def _triage_section(t: Any) -> List[str]:
    """crash(8)'s answers on the vmcore, or what it needs."""
    if t is None:
        return []
    lines = ["", "VMCORE TRIAGE (crash)"]
    if t.install:
        needs = " and ".join(t.missing)
        return lines + [f"  needs {needs}: {t.install}"]
    if t.error:
        return lines + [f"  {t.error}"]
    if not t.ran:
        return lines + ["  not run (--no-triage)"]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t.when)) if t.when else "?"
    lines.append(f"  crash -s {t.vmlinux} {t.vmcore} ({t.seconds:.0f} s, {stamp})")
    for title, body in (
        ("bt", t.bt),
        ("ps (the panicking task)", t.task),
        ("log | tail", t.log_tail),
    ):
        if body:
            lines += ["", f"  {title}:"] + [f"    {line}" for line in body]
    return lines


def _row(label: str, value: Optional[str]) -> List[str]:
    return [f"  {label + ':':<12} {value}"] if value else []


def _crash_rows(f: Dict[str, Any]) -> List[str]:
    """What crashed, when, where, and in which task."""
    kind = f["kind"] + (f" - {f['kind_meaning']}" if f["kind_meaning"] else "")
    if f["ended_boot"]:
        kind += "; it ended the boot (panic or reset)"
    elif f["ended_boot"] is False:
        kind += "; the boot went on after it"
    if f["corrupted"]:
        kind += "; the report is garbled (interleaved or cut)"
    lines = _row("what", kind)
    lines += _row("when", f["when_text"] or "unknown")
    lines += _row("boot", f["boot_id"] or "unknown")
    lines += _row("kernel", f["kernel"] or "unknown (the report does not say)")
    if f["function"]:
        guilty = f["function"] + (f" in module {f['module']}" if f["module"] else " (kernel)")
        lines += _row("guilty", guilty)
    elif f["module"]:
        lines += _row("guilty", f"module {f['module']}")
    lines += _row("fault at", f["fault"])
    if f["task"]:
        t = f["task"]
        lines += _row("task", f"{t['comm']} (pid {t['pid']}, cpu {t['cpu']})")
    return lines + _row("hardware", f["hardware"])


def _taint_rows(f: Dict[str, Any]) -> List[str]:
    if not f["taint"]:
        return _row("taint", "not in the report")
    bad = [t for t in f["taint"] if t["letter"] != "G"]
    letters = "".join(t["letter"] for t in f["taint"])
    if not bad:
        return _row("taint", f"{letters}: not tainted")
    return _row("taint", f"{letters}: tainted") + [
        f"  {'':12}   {t['letter']} = {t['meaning']}" for t in bad
    ]


def _history_rows(f: Dict[str, Any]) -> List[str]:
    """How often it came back, the vmcore and snapshot, the alerts, the signature."""
    rec = f["recurrence"]
    lines = _row("recurrence", rec["text"])
    for o in rec["other_incidents"]:
        lines.append(f"  {'':12}   also incident {o['incident_id']}, {o['when_text'] or '?'}")
    vm = f["vmcore"]
    if vm:
        state = (
            f"present, {_size(vm['bytes'])}".rstrip(", ")
            if vm["exists"]
            else "not found on this host now"
        )
        lines += _row("vmcore", f"{vm['path']} ({state})")
    else:
        lines += _row("vmcore", "none (no kdump dump for this crash)")
    lines += _snapshot_rows(f["snapshot"])
    for a in f["alerts"]:
        sent = when_text(a["sent"], time.time())
        lines += _row("alerted", f"{a['type']} {sent}, id {a['alert_id']}")
    for owed in f["alert_owed"]:
        lines += _row("alert owed", f"{owed}: not sent yet (kcrashd sends it at its next start)")
    if not f["alerts"] and not f["alert_owed"]:
        lines += _row("alerted", "no alert was sent for it")
    return lines + _row("signature", f["signature"])


def _snapshot_rows(snap: Optional[Dict[str, Any]]) -> List[str]:
    if not snap:
        return _row("snapshot", "none of that boot")
    if not snap["exists"]:
        return _row("snapshot", f"{snap['id']} (no longer in the snapshot store)")
    taken = when_text(snap["time"], time.time()) or "?"
    return _row("snapshot", f"{snap['id']}, taken {taken}: {snap['reason'] or '?'}") + [
        f"  {'':12} {snap['path']}"
    ]


def _evidence_section(f: Dict[str, Any]) -> List[str]:
    lines = ["", "EVIDENCE"]
    for e in f["evidence"]:
        gone = " (not on this host now)" if e["exists"] is False else ""
        lines.append(f"  {e['source']:8} {e['path'] or '-'}{gone}")
        if e["detail"]:
            lines.append(f"  {'':8} {e['detail']}")
    if not f["evidence"]:
        lines.append("  (none recorded)")
    return lines


def _next_steps_section(steps: Any) -> List[str]:
    lines = ["", "NEXT STEPS"]
    lines += [f"  $ {c}" for c in steps.commands] or ["  (no commands: no report to work from)"]
    lines += [f"  note: {n}" for n in steps.notes]
    if steps.source_lines:
        lines += ["", "SOURCE LINE (addr2line)"]
        lines += [f"  {s}" for s in steps.source_lines]
    return lines


def _report_section(report: Any) -> List[str]:
    if report is None or not report.lines:
        return []
    lines = ["", "REPORT"] + [f"  {line}" for line in report.lines[:60]]
    if len(report.lines) > 60:
        lines.append(f"  ... {len(report.lines) - 60} more lines ('--json' has them all)")
    return lines
