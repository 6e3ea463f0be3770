"""`kcrashd status [--json]`: what the daemon sees, from the status document it keeps in
the state database (meta key "status")."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Dict, List, Optional

from kcrashd.cli import guard
from kcrashd.cli.timefmt import when

# Every command builds the whole parser, so this module is imported by `kcrashd check`
# too: what only `status` runs (SQLite, the process table) is imported where it is used.

STALE_SECONDS = 90.0  # the daemon rewrites the document at least every 30 s


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the status document as JSON")
    parser.add_argument(
        "--state-dir", metavar="DIR", help="state directory (default: state.directory)"
    )


def read_status(state_dir: str) -> Optional[Dict[str, Any]]:
    """The daemon's status document, or None when there is no state yet (read-only)."""
    from kcrashd.store.state import open_readonly, read_meta

    conn = open_readonly(state_dir)
    if conn is None:
        return None
    try:
        raw = read_meta(conn, "status")
    finally:
        conn.close()
    return json.loads(raw) if raw else None


def running(doc: Dict[str, Any], now: Optional[float] = None) -> bool:
    from kcrashd.host.procs import process_exists
    from kcrashd.host.root import Root

    now = time.time() if now is None else now
    if doc.get("stopped") or now - float(doc.get("updated") or 0) > STALE_SECONDS:
        return False
    try:
        pid = int(doc["pid"])
    except (KeyError, ValueError, TypeError):
        return False
    return process_exists(Root("/"), pid)


def render(doc: Dict[str, Any], is_running: bool) -> List[str]:
    state = "running" if is_running else f"not running (last update {when(doc.get('updated'))})"
    lines = [
        f"kcrashd {doc.get('version', '?')}: {state}, pid {doc.get('pid')}",
        f"source:            {doc.get('source') or 'none'} (from {doc.get('resumed_from') or '-'})",
        f"following since:   {when(doc.get('following_since'))}",
        f"position:          {doc.get('position') or '-'}",
        f"lag:               {doc.get('lag_seconds', 0):.1f} s"
        + ("" if doc.get("caught_up") else " (reading a backlog)"),
        f"kernel records:    {doc.get('records_read', 0)}",
        f"reports this boot: {doc.get('reports_this_boot', 0)}",
        f"alerts this boot:  {doc.get('alerts_this_boot', 0)}",
    ]
    last = doc.get("last_alert")
    lines.append(
        f"last alert:        {when(last['time'])} {last['type']}: {last['summary']}"
        if last
        else "last alert:        none"
    )
    lines.extend(_delivery_lines(doc))
    if doc.get("note"):
        lines.append(f"note:              {doc['note']}")
    for name, job in sorted((doc.get("jobs") or {}).items()):
        result = "ok" if job.get("ok") else f"FAILED: {job.get('error')}"
        lines.append(
            f"job {name}: {result} at {when(job.get('last_run'))} ({job.get('seconds')} s)"
        )
    return lines


def _delivery_lines(doc: Dict[str, Any]) -> List[str]:
    """Alerts journald has not stored yet, and a state database that cannot be written."""
    lines = []
    owed = doc.get("alerts_owed") or {}
    if owed.get("count"):
        lines.append(
            f"alerts owed:       {owed['count']} not yet stored by journald, the oldest since "
            f"{when(owed.get('oldest'))} (last error: {owed.get('last_error') or '-'})"
        )
    elif "alerts_owed" in doc:
        lines.append("alerts owed:       none")
    state = doc.get("state") or {}
    if state.get("degraded"):
        lines.append(
            f"state database:    cannot be written since {when(state.get('since'))} "
            f"({state.get('problem')}: {state.get('error')}); state kept in memory"
        )
    return lines


def run(args: argparse.Namespace) -> int:
    state_dir = args.state_dir
    if state_dir is None:
        from kcrashd import config

        try:
            state_dir = config.load(args.config).state.directory
        except config.ConfigError:
            state_dir = config.Config().state.directory
    denied = guard.state_access("status", state_dir)
    if denied is not None:
        return denied
    doc = read_status(state_dir)
    if doc is None:
        msg = f"no status yet in {state_dir}: the daemon has not run (systemctl start kcrashd)"
        if args.json:
            print(json.dumps({"schema": 1, "running": False, "error": msg}))
        else:
            print(msg, file=sys.stderr)
        return 3
    is_running = running(doc)
    if args.json:
        print(json.dumps(dict(doc, running=is_running), sort_keys=True))
    else:
        print("\n".join(render(doc, is_running)))
    return 0 if is_running else 3
