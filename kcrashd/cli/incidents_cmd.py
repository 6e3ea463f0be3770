"""`kcrashd incidents [list | show ID] [--json] [--state-dir DIR]`: crash history across boots.

`show` is written for the on-call woken by the alert: what crashed, when, in which boot,
the guilty function and module, the taint in words, every piece of evidence with its path,
the vmcore and the last snapshot (and whether they are still there), how often this crash
came back, then the next commands with this host's real paths (it runs addr2line itself when
the module's debug file is present), and the report last. `--json` carries the same facts
(`facts`, built once and rendered by both) beside the raw incident and next steps.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="list", choices=("list", "show"))
    parser.add_argument("incident_id", nargs="?", metavar="ID", help="incident id (or prefix)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--state-dir", metavar="DIR", help="state directory (default: state.directory)"
    )
    parser.add_argument("--limit", type=int, default=None, help="list at most this many")


def _state_dir(args: argparse.Namespace) -> str:
    if args.state_dir:
        return args.state_dir
    from kcrashd import config

    try:
        return config.load(args.config).state.directory
    except config.ConfigError:
        return config.Config().state.directory


def _when(ts: Optional[float]) -> str:
    if not ts:
        return "-"
    return datetime.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _open(state_dir: str) -> Any:
    import sqlite3

    path = os.path.join(state_dir, "state.db")
    if not os.path.exists(path):
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    conn.row_factory = sqlite3.Row
    return conn


def run(args: argparse.Namespace) -> int:
    from kcrashd.store import incidents

    state_dir = _state_dir(args)
    conn = _open(state_dir)
    if conn is None:
        if args.action == "show":
            print(f"kcrashd incidents: no state database in {state_dir}", file=sys.stderr)
            return 1
        print(json.dumps({"schema": 1, "incidents": []}) if args.json else "no incidents")
        return 0
    try:
        if args.action == "list":
            found = incidents.list_incidents(conn, args.limit)
            if args.json:
                doc = {"schema": 1, "incidents": [_summary(i) for i in found]}
                print(json.dumps(doc, indent=2, sort_keys=True))
            else:
                for line in render_list(found):
                    print(line)
            return 0
        if not args.incident_id:
            print("kcrashd incidents show: which incident? (an ID from 'list')", file=sys.stderr)
            return 2
        inc = incidents.get_incident(conn, args.incident_id)
        if inc is None:
            print(f"kcrashd incidents: no incident {args.incident_id!r}", file=sys.stderr)
            return 1
        snapshot = _snapshot(inc, state_dir)
        steps = _next_steps(inc, state_dir, snapshot, explicit=bool(args.state_dir))
        facts = describe(conn, inc, state_dir, snapshot)
        if args.json:
            doc = {
                "schema": 1,
                "facts": facts,
                "incident": inc.to_dict(),
                "next_steps": steps.to_dict(),
            }
            print(json.dumps(doc, indent=2, sort_keys=True))
        else:
            for line in render_show(facts, steps, inc.report):
                print(line)
        return 0
    finally:
        conn.close()


def _summary(inc: Any) -> dict:
    return {
        "incident_id": inc.incident_id,
        "boot_id": inc.boot_id,
        "kind": inc.kind,
        "title": inc.title,
        "signature": inc.signature,
        "first_seen": inc.first_seen,
        "recurrence": inc.recurrence,
        "sources": sorted({e.source for e in inc.evidence}),
        "vmcore": inc.vmcore,
    }


def render_list(found: List[Any]) -> List[str]:
    if not found:
        return ["no incidents"]
    lines = [f"{'ID':12}  {'WHEN':19}  {'BOOTS':>5}  {'SOURCES':24}  TITLE"]
    for inc in found:
        sources = ",".join(sorted({e.source for e in inc.evidence})) or "-"
        lines.append(
            f"{inc.incident_id:12}  {_when(inc.first_seen):19}  {inc.recurrence:>5}  "
            f"{sources:24}  {inc.title}"
        )
    return lines


def _snapshot(inc: Any, state_dir: str) -> Optional[dict]:
    """The incident's snapshot document from the snapshot store, when it is still kept."""
    if not inc.snapshot_id:
        return None
    from kcrashd.store.snapshots import load_snapshot

    try:
        return load_snapshot(state_dir, inc.snapshot_id)
    except (OSError, ValueError):
        return None


def _proc_modules(inc: Any, snapshot: Optional[dict]) -> Optional[str]:
    """/proc/modules of the crashed boot, when its last snapshot captured it (and is of
    that boot: a module's load address changes with every boot)."""
    items = (snapshot or {}).get("items") or {}
    boot = str((items.get("boot_id") or {}).get("value") or "").replace("-", "").lower()
    if inc.boot_id and boot and boot != inc.boot_id.replace("-", "").lower():
        return None
    value = (items.get("modules") or {}).get("value")
    return value if isinstance(value, str) and value.strip() else None


def _next_steps(inc: Any, state_dir: str, snapshot: Optional[dict], explicit: bool) -> Any:
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner
    from kcrashd.next_steps import build_next_steps

    command = None
    if inc.snapshot_id and snapshot is not None:
        where = f" --state-dir {state_dir}" if explicit else ""
        command = f"kcrashd snapshot{where} show {inc.snapshot_id}"
    modules = _proc_modules(inc, snapshot)
    return build_next_steps(Root("/"), CommandRunner(), inc, modules, command)


# What each kind means, for a reader who does not know the parser's vocabulary.
KIND_WORDS = {
    "oops": "kernel oops",
    "page_fault": "bad memory access in the kernel (NULL pointer or paging request)",
    "gpf": "general protection fault (bad pointer, often use-after-free)",
    "bug": "kernel BUG (an assertion in the kernel failed)",
    "warning": "kernel WARNING (the kernel went on)",
    "panic": "kernel panic (the kernel stopped)",
    "kasan": "memory error found by KASAN",
    "kfence": "memory error found by KFENCE",
    "kmsan": "uninitialised memory use (KMSAN)",
    "kcsan": "data race (KCSAN)",
    "ubsan": "undefined behaviour (UBSAN)",
    "lockdep": "locking problem (lockdep)",
    "soft_lockup": "soft lockup (a CPU stuck in the kernel)",
    "hard_lockup": "hard lockup (a CPU stuck with interrupts off)",
    "hung_task": "hung task (blocked for too long)",
    "rcu_stall": "RCU stall",
    "memory_leak": "kernel memory leak",
    "exception": "CPU exception in the kernel (invalid opcode, divide error, double fault ...)",
    "oom_kill": "out of memory: a process was killed",
    "mce": "hardware error (machine check)",
    "io_error": "I/O error",
}


def _ago(ts: float, now: float) -> str:
    s = int(max(0, now - ts))
    if s < 120:
        return f"{s} s ago"
    if s < 7200:
        return f"{s // 60} min ago"
    if s < 2 * 86400:
        return f"{s // 3600} h {s % 3600 // 60} min ago"
    return f"{s // 86400} days ago"


def _when_text(ts: Optional[float], now: float) -> Optional[str]:
    if not ts:
        return None
    local = datetime.datetime.fromtimestamp(ts).astimezone()
    return f"{local.strftime('%Y-%m-%d %H:%M:%S %Z')} ({_ago(ts, now)})"


def _file(path: Optional[str]) -> Optional[Dict[str, Any]]:
    """Whether a path recorded at the time is still there (on this host), and its size."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return {"path": path, "exists": False, "bytes": None}
    return {"path": path, "exists": True, "bytes": st.st_size if not os.path.isdir(path) else None}


def _size(n: Optional[int]) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""


def _frame_text(frame: Any) -> Optional[str]:
    if frame is None or not frame.function:
        return None
    text = frame.function
    if frame.offset is not None:
        text += f"+{hex(frame.offset)}" + (f"/{hex(frame.size)}" if frame.size else "")
    if frame.module:
        text += f" [{frame.module}]"
    if frame.address:
        text += f" at {hex(frame.address)}"
    return text


def _alerts(conn: Any, incident_id: str) -> List[Dict[str, Any]]:
    """Alerts sent about this incident (they carry its id in their `incident` field)."""
    rows = conn.execute(
        "SELECT alert_id, type, summary, created, fields_json FROM alerts "
        "WHERE fields_json LIKE ? ORDER BY created",
        (f'%"incident": "{incident_id}"%',),
    ).fetchall()
    return [
        {"alert_id": r[0], "type": r[1], "summary": r[2], "sent": r[3], "fields": json.loads(r[4])}
        for r in rows
    ]


def _ended_boot(report: Any, alerts: List[Dict[str, Any]], owed: List[Any]) -> Optional[bool]:
    """Whether the crash ended its boot: the post-mortem said so in its alert (sent or
    owed), or the report itself panicked; None when nothing tells."""
    said = [a["fields"] for a in alerts if a["type"] == "previous_boot_crashed"]
    said += [dict(p.alert.fields) for p in owed if p.alert.type == "previous_boot_crashed"]
    if said:
        return any(f.get("ended_boot") != "no" for f in said)
    if report is not None and report.panicked:
        return True
    return None


def describe(
    conn: Any, inc: Any, state_dir: str, snapshot: Optional[dict], now: Optional[float] = None
) -> Dict[str, Any]:
    """Every fact `show` prints, as data (the --json `facts`)."""
    from kcrashd.store import incidents

    now = time.time() if now is None else now
    r = inc.report
    recent = incidents.recurrence(conn, inc.signature, within_days=30)
    others = incidents.same_signature(conn, inc.signature, exclude=inc.incident_id)
    if inc.recurrence <= 1:
        rec_text = "first time: no other boot had this crash"
    else:
        rec_text = f"{inc.recurrence} boots with this crash, {recent} in the last 30 days"
    taint = [{"letter": k, "meaning": v} for k, v in (r.taint if r else ())]
    snap = None
    if inc.snapshot_id:
        path = os.path.join(state_dir, "snapshots", inc.snapshot_id + ".json")
        items = (snapshot or {}).get("items") or {}
        snap = {
            "id": inc.snapshot_id,
            "path": path,
            "exists": snapshot is not None,
            "time": (snapshot or {}).get("time"),
            "reason": (snapshot or {}).get("reason"),
            "has_modules": "value" in (items.get("modules") or {}),
        }
    fault = None
    if r is not None:
        fault = r.rip if r.rip is not None and r.rip.function else None
    alerts = _alerts(conn, inc.incident_id)
    owed = [p for p in _owed(conn) if p.incident_id == inc.incident_id]
    return {
        "incident_id": inc.incident_id,
        "title": inc.title,
        "kind": inc.kind,
        "kind_meaning": KIND_WORDS.get(inc.kind),
        "when": inc.first_seen,
        "when_text": _when_text(inc.first_seen, now),
        "boot_id": inc.boot_id,
        "kernel": r.kernel if r else None,
        "hardware": r.hardware if r else None,
        "function": r.function if r else None,
        "module": r.module if r else None,
        "fault": _frame_text(fault),
        "task": {"comm": r.comm, "pid": r.pid, "cpu": r.cpu} if r and r.comm else None,
        "panicked": bool(r and r.panicked) or inc.kind == "panic",
        "ended_boot": _ended_boot(r, alerts, owed),
        "corrupted": bool(r and r.corrupted),
        "taint": taint,
        "tainted": any(t["letter"] != "G" for t in taint),
        "signature": inc.signature,
        "evidence": [
            dict(
                {"source": e.source, "path": e.path, "detail": e.detail},
                exists=(_file(e.path) or {}).get("exists")
                if e.path and e.path.startswith("/")
                else None,
            )
            for e in inc.evidence
        ],
        "vmcore": _file(inc.vmcore),
        "snapshot": snap,
        "recurrence": {
            "boots": inc.recurrence,
            "last_30_days": recent,
            "text": rec_text,
            "other_incidents": [dict(o, when_text=_when_text(o["when"], now)) for o in others],
        },
        "alerts": [{k: v for k, v in a.items() if k != "fields"} for a in alerts],
        "alert_owed": [p.alert.type for p in owed],
    }


def _owed(conn: Any) -> List[Any]:
    from kcrashd.postmortem import pending_alerts

    try:
        return pending_alerts(conn)
    except Exception:  # a read-only connection cannot drop an unreadable row: show nothing
        return []


def render_show(facts: Dict[str, Any], steps: Any, report: Any = None) -> List[str]:
    f = facts
    lines = [f"INCIDENT {f['incident_id']}: {f['title']}", ""]

    def row(label: str, value: Optional[str]) -> None:
        if value:
            lines.append(f"  {label + ':':<12} {value}")

    kind = f["kind"] + (f" - {f['kind_meaning']}" if f["kind_meaning"] else "")
    if f["ended_boot"]:
        kind += "; it ended the boot (panic or reset)"
    elif f["ended_boot"] is False:
        kind += "; the boot went on after it"
    if f["corrupted"]:
        kind += "; the report is garbled (interleaved or cut)"
    row("what", kind)
    row("when", f["when_text"] or "unknown")
    row("boot", f["boot_id"] or "unknown")
    row("kernel", f["kernel"] or "unknown (the report does not say)")
    if f["function"]:
        guilty = f["function"] + (f" in module {f['module']}" if f["module"] else " (kernel)")
        row("guilty", guilty)
    elif f["module"]:
        row("guilty", f"module {f['module']}")
    row("fault at", f["fault"])
    if f["task"]:
        t = f["task"]
        row("task", f"{t['comm']} (pid {t['pid']}, cpu {t['cpu']})")
    row("hardware", f["hardware"])
    if f["taint"]:
        bad = [t for t in f["taint"] if t["letter"] != "G"]
        letters = "".join(t["letter"] for t in f["taint"])
        if bad:
            row("taint", f"{letters}: tainted")
            lines += [f"  {'':12}   {t['letter']} = {t['meaning']}" for t in bad]
        else:
            row("taint", f"{letters}: not tainted")
    else:
        row("taint", "not in the report")
    rec = f["recurrence"]
    row("recurrence", rec["text"])
    for o in rec["other_incidents"]:
        lines.append(f"  {'':12}   also incident {o['incident_id']}, {o['when_text'] or '?'}")
    vm = f["vmcore"]
    if vm:
        state = (
            f"present, {_size(vm['bytes'])}".rstrip(", ")
            if vm["exists"]
            else "not found on this host now"
        )
        row("vmcore", f"{vm['path']} ({state})")
    else:
        row("vmcore", "none (no kdump dump for this crash)")
    snap = f["snapshot"]
    if snap:
        if snap["exists"]:
            when = _when_text(snap["time"], time.time()) or "?"
            row("snapshot", f"{snap['id']}, taken {when}: {snap['reason'] or '?'}")
            lines.append(f"  {'':12} {snap['path']}")
        else:
            row("snapshot", f"{snap['id']} (no longer in the snapshot store)")
    else:
        row("snapshot", "none of that boot")
    for a in f["alerts"]:
        row("alerted", f"{a['type']} {_when_text(a['sent'], time.time())}, id {a['alert_id']}")
    for owed in f["alert_owed"]:
        row("alert owed", f"{owed}: not sent yet (kcrashd sends it at its next start)")
    if not f["alerts"] and not f["alert_owed"]:
        row("alerted", "no alert was sent for it")
    row("signature", f["signature"])

    lines += ["", "EVIDENCE"]
    for e in f["evidence"]:
        gone = " (not on this host now)" if e["exists"] is False else ""
        lines.append(f"  {e['source']:8} {e['path'] or '-'}{gone}")
        if e["detail"]:
            lines.append(f"  {'':8} {e['detail']}")
    if not f["evidence"]:
        lines.append("  (none recorded)")

    lines += ["", "NEXT STEPS"]
    lines += [f"  $ {c}" for c in steps.commands] or ["  (no commands: no report to work from)"]
    lines += [f"  note: {n}" for n in steps.notes]
    if steps.source_lines:
        lines += ["", "SOURCE LINE (addr2line)"]
        lines += [f"  {s}" for s in steps.source_lines]
    if report is not None and report.lines:
        lines += ["", "REPORT"]
        lines += [f"  {line}" for line in report.lines[:60]]
        if len(report.lines) > 60:
            lines.append(f"  ... {len(report.lines) - 60} more lines ('--json' has them all)")
    return lines
