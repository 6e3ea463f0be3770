"""`kcrashd snapshot take [--reason R] | list | show ID [--json]`: pre-crash state captures."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, Optional, Tuple

from kcrashd import config as config_mod
from kcrashd.cli import guard
from kcrashd.cli.timefmt import when


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", metavar="DIR", help="state directory (default: config)")
    parser.add_argument(
        "--root", metavar="DIR", default="/", help="read the host from this root (default: /)"
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    take = sub.add_parser("take", help="capture a snapshot now")
    take.add_argument("--reason", default="manual", help="why (kept in the snapshot)")
    sub.add_parser("list", help="the snapshots kept, oldest first")
    show = sub.add_parser("show", help="one snapshot")
    show.add_argument("id", type=guard.identifier("a snapshot"))
    for p in (take, show, sub.choices["list"]):
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS)


def _load_config(path: str) -> config_mod.Config:
    try:
        return config_mod.load(path)
    except config_mod.ConfigError as exc:
        print(f"kcrashd snapshot: config has errors, using defaults:\n{exc}", file=sys.stderr)
        return config_mod.Config()


def _take(args: argparse.Namespace, cfg: config_mod.Config, state_dir: str) -> int:
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner
    from kcrashd.snapshots.capture import kernel_log_from_journal
    from kcrashd.snapshots.taker import take_snapshot

    def journal_lines(n: int) -> List[str]:
        return kernel_log_from_journal(n, cfg.journal.directory)

    res = take_snapshot(
        Root(args.root), CommandRunner(), cfg.snapshots, state_dir, args.reason, journal_lines
    )
    if args.json:
        print(json.dumps({"schema": 1, **res.__dict__, "missing": list(res.missing)}))
    elif res.ok:
        missing = f"; missing: {', '.join(res.missing)}" if res.missing else ""
        print(f"{res.id}  {res.bytes} bytes in {res.seconds * 1000:.0f} ms  {res.path}{missing}")
    else:
        print(f"kcrashd snapshot: {res.error}", file=sys.stderr)
    return 0 if res.ok else 1


def _show_text(doc: Dict[str, Any]) -> List[str]:
    lines = [f"snapshot {doc.get('id')}  {when(doc.get('time'))}  reason: {doc.get('reason')}"]
    for name, item in (doc.get("items") or {}).items():
        if "missing" in item:
            lines.append(f"== {name}: missing ({item['missing']})")
            continue
        value = item.get("value")
        cut = " (truncated)" if item.get("truncated") else ""
        text = value if isinstance(value, str) else json.dumps(value, indent=1)
        lines.append(f"== {name}{cut}")
        lines.extend(str(text).rstrip("\n").splitlines())
    return lines


def _load(state_dir: str, snapshot_id: str) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(the document or None when absent, what is wrong with the file)."""
    from kcrashd.store import snapshots

    try:
        doc = snapshots.load_snapshot(state_dir, snapshot_id)
    except (OSError, ValueError) as exc:  # ValueError: not JSON, not UTF-8
        return None, " ".join(str(exc).split())[:200]
    if doc is not None and not isinstance(doc, dict):
        return None, f"not a snapshot document (a JSON {type(doc).__name__})"
    return doc, None


def run(args: argparse.Namespace) -> int:
    from kcrashd.store import snapshots

    cfg = _load_config(args.config)
    state_dir = args.state_dir or cfg.state.directory
    action = args.action or "list"
    denied = guard.state_access("snapshot", state_dir, write=action == "take")
    if denied is not None:
        return denied
    if action == "take":
        return _take(args, cfg, state_dir)
    if action == "list":
        snaps = snapshots.list_snapshots(state_dir)
        if args.json:
            rows = [{"id": s.id, "bytes": s.bytes, "time": s.mtime, "path": s.path} for s in snaps]
            print(json.dumps({"schema": 1, "snapshots": rows}))
        elif not snaps:
            print(f"no snapshots in {snapshots.snapshot_dir(state_dir)}")
        else:
            for s in snaps:
                doc, problem = _load(state_dir, s.id)
                reason = f"unreadable: {problem}" if problem else doc.get("reason", "")
                print(f"{s.id}  {when(s.mtime)}  {s.bytes:>8} B  {reason}")
        return 0
    doc, problem = _load(state_dir, args.id)
    if problem:
        return guard.fail("snapshot", f"snapshot {args.id} is unreadable: {problem}")
    if doc is None:
        print(f"kcrashd snapshot: no snapshot {args.id} in {state_dir}", file=sys.stderr)
        return 1
    print(json.dumps(doc, indent=1) if args.json else "\n".join(_show_text(doc)))
    return 0
