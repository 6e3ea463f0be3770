"""What kcrashd knows about an incident, gathered for `kcrashd incidents` (facts, no text).

`describe` collects every fact `incidents show` prints, as data (its --json `facts`): the
crash in words, its evidence and whether each file is still there, the vmcore, the last
snapshot of the crashed boot, recurrence, the alerts sent or still owed. `next_steps`
gathers the commands with this host's real paths (and runs addr2line when it can).
Rendering is kcrashd.cli.incidents_render's concern.
"""

from __future__ import annotations

import datetime
import json
import stat
import time
from typing import Any, Dict, List, Optional

from kcrashd.host.files import stat_or_none
from kcrashd.host.root import Root

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
    "alloc_failure": "memory allocation failure",
}


def summary(inc: Any) -> dict:
    """One incident of `incidents list --json`."""
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


def load_snapshot(inc: Any, state_dir: str) -> Optional[dict]:
    """The incident's snapshot document from the snapshot store, when it is still kept."""
    if not inc.snapshot_id:
        return None
    from kcrashd.store.snapshots import load_snapshot as load

    try:
        return load(state_dir, inc.snapshot_id)
    except (OSError, ValueError):
        return None


def proc_modules(inc: Any, snapshot: Optional[dict]) -> Optional[str]:
    """/proc/modules of the crashed boot, when its last snapshot captured it (and is of
    that boot: a module's load address changes with every boot)."""
    from kcrashd.store.snapshots import snapshot_boot

    boot = snapshot_boot(snapshot)
    if inc.boot_id and boot and boot != inc.boot_id.replace("-", "").lower():
        return None
    value = (((snapshot or {}).get("items") or {}).get("modules") or {}).get("value")
    return value if isinstance(value, str) and value.strip() else None


def next_steps(
    inc: Any, state_dir: str, snapshot: Optional[dict], explicit: bool, root: Root
) -> Any:
    """The next commands (kcrashd.postmortem.next_steps.NextSteps) with `root`'s paths;
    `explicit`: the state directory was given on the command line, so the snapshot command
    names it too."""
    from kcrashd.host.runner import CommandRunner
    from kcrashd.postmortem.next_steps import build_next_steps

    command = None
    if inc.snapshot_id and snapshot is not None:
        where = f" --state-dir {state_dir}" if explicit else ""
        command = f"kcrashd snapshot{where} show {inc.snapshot_id}"
    modules = proc_modules(inc, snapshot)
    return build_next_steps(root, CommandRunner(), inc, modules, command)


def _ago(ts: float, now: float) -> str:
    s = int(max(0, now - ts))
    if s < 120:
        return f"{s} s ago"
    if s < 7200:
        return f"{s // 60} min ago"
    if s < 2 * 86400:
        return f"{s // 3600} h {s % 3600 // 60} min ago"
    return f"{s // 86400} days ago"


def when_text(ts: Optional[float], now: float) -> Optional[str]:
    """`2024-03-01 12:30:00 UTC (3 h 5 min ago)`, in local time; None when unknown."""
    if not ts:
        return None
    local = datetime.datetime.fromtimestamp(ts).astimezone()
    return f"{local.strftime('%Y-%m-%d %H:%M:%S %Z')} ({_ago(ts, now)})"


def _file(root: Root, path: Optional[str]) -> Optional[Dict[str, Any]]:
    """Whether a path recorded at the time is still there (under `root`), and its size."""
    if not path:
        return None
    st = stat_or_none(root, path)
    if st is None:
        return {"path": path, "exists": False, "bytes": None}
    return {"path": path, "exists": True, "bytes": None if stat.S_ISDIR(st.st_mode) else st.st_size}


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


def _owed(conn: Any) -> List[Any]:
    from kcrashd.postmortem.collect import pending_alerts

    try:
        return pending_alerts(conn)
    except Exception:  # a read-only connection cannot drop an unreadable row: show nothing
        return []


def describe(
    conn: Any,
    inc: Any,
    state_dir: str,
    snapshot: Optional[dict],
    root: Root,
    now: Optional[float] = None,
) -> Dict[str, Any]:
    """Every fact `show` prints, as data (the --json `facts`); evidence files are looked
    up under `root` (the host the incident is shown on)."""
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
        from kcrashd.store.snapshots import snapshot_path

        path = snapshot_path(state_dir, inc.snapshot_id)
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
        "when_text": when_text(inc.first_seen, now),
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
                exists=(_file(root, e.path) or {}).get("exists")
                if e.path and e.path.startswith("/")
                else None,
            )
            for e in inc.evidence
        ],
        "vmcore": _file(root, inc.vmcore),
        "snapshot": snap,
        "recurrence": {
            "boots": inc.recurrence,
            "last_30_days": recent,
            "text": rec_text,
            "other_incidents": [dict(o, when_text=when_text(o["when"], now)) for o in others],
        },
        "alerts": [{k: v for k, v in a.items() if k != "fields"} for a in alerts],
        "alert_owed": [p.alert.type for p in owed],
    }
