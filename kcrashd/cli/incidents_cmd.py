"""`kcrashd incidents [list | show ID] [--json] [--state-dir DIR]`: crash history across boots.

`show` prints the report, the evidence kept, and the next commands (crash, addr2line) with
this host's real paths; it runs addr2line itself when the module's debug file is present.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from typing import Any, List, Optional


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
        steps = _next_steps(inc, state_dir)
        if args.json:
            doc = {"schema": 1, "incident": inc.to_dict(), "next_steps": steps.to_dict()}
            print(json.dumps(doc, indent=2, sort_keys=True))
        else:
            for line in render_show(inc, steps, state_dir):
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


def _next_steps(inc: Any, state_dir: str) -> Any:
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner
    from kcrashd.next_steps import build_next_steps

    modules = _proc_modules(inc, _snapshot(inc, state_dir))
    return build_next_steps(Root("/"), CommandRunner(), inc, modules)


def render_show(inc: Any, steps: Any, state_dir: str) -> List[str]:
    r = inc.report
    lines = [
        f"incident {inc.incident_id}: {inc.title}",
        f"  kind:        {inc.kind}",
        f"  boot:        {inc.boot_id or 'unknown'}",
        f"  first seen:  {_when(inc.first_seen)}",
        f"  signature:   {inc.signature}",
        f"  recurrence:  {inc.recurrence} boot(s) with this signature",
    ]
    if r is not None:
        if r.function:
            lines.append(f"  function:    {r.function}" + (f" [{r.module}]" if r.module else ""))
        if r.kernel:
            lines.append(f"  kernel:      {r.kernel}")
        if r.taint:
            lines.append("  taint:       " + ", ".join(f"{k} ({v})" for k, v in r.taint))
        if r.comm or r.pid is not None:
            lines.append(f"  task:        {r.comm or '?'} pid {r.pid} cpu {r.cpu}")
    if inc.vmcore:
        lines.append(f"  vmcore:      {inc.vmcore}")
    if inc.snapshot_id:
        path = os.path.join(state_dir, "snapshots", inc.snapshot_id + ".json")
        lines.append(f"  snapshot:    {inc.snapshot_id} ({path})")
    lines.append("evidence:")
    for e in inc.evidence:
        lines.append(f"  {e.source:8} {e.path or '-'}" + (f": {e.detail}" if e.detail else ""))
    if r is not None and r.lines:
        lines.append("report:")
        lines += [f"  {line}" for line in r.lines[:60]]
        if len(r.lines) > 60:
            lines.append(f"  ... {len(r.lines) - 60} more lines ('--json' has them all)")
    lines.append("next steps:")
    lines += [f"  $ {c}" for c in steps.commands] or ["  (no commands: no report to work from)"]
    lines += [f"  note: {n}" for n in steps.notes]
    if steps.source_lines:
        lines.append("source (addr2line):")
        lines += [f"  {s}" for s in steps.source_lines]
    return lines
