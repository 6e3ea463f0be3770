"""`kcrashd incidents [list | show ID] [--json] [--state-dir DIR] [--root DIR]`: crash history
across boots.

`show` of an incident with a vmcore runs crash(8) on it when crash and the crashed
kernel's debug vmlinux are here (kcrashd.postmortem.triage: kept in the state directory,
so only the first show waits for it; --no-triage skips it), else names what to install.

Evidence and debug files (vmlinux, the module's .ko) are looked up on this host, or under
the root of another system's disk: --root DIR (whose own state directory is then the
default), or the root a `kcrashd postmortem --root` recorded in the state database.

This module is the command line: arguments, the state database (opened read-only) and exit
codes. The facts come from kcrashd.postmortem.view, the text and --json documents from
kcrashd.cli.incidents_render; `show --json` carries the same facts `show` prints
(`facts`) beside the raw incident and next steps.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kcrashd.cli import guard


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="list", choices=("list", "show"))
    parser.add_argument(
        "incident_id",
        nargs="?",
        metavar="ID",
        type=guard.identifier("an incident"),
        help="incident id (or prefix)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--state-dir", metavar="DIR", help="state directory (default: state.directory)"
    )
    parser.add_argument(
        "--limit",
        type=guard.bounded_int(1, guard.MAX_LIMIT),
        default=None,
        help="list at most this many",
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="another system's disk: its state directory, evidence and debug files",
    )
    parser.add_argument(
        "--vmlinux",
        metavar="FILE",
        help="show: the crashed kernel's debug vmlinux for crash(8) (default: its debug package's)",
    )
    parser.add_argument(
        "--no-triage",
        action="store_true",
        help="show: do not run crash(8) on the vmcore (a triage kept from before is shown)",
    )


def _state_dir(args: argparse.Namespace) -> str:
    if args.state_dir:
        return args.state_dir
    from kcrashd import config
    from kcrashd.host.root import Root

    try:
        directory = config.load(args.config).state.directory
    except config.ConfigError:
        directory = config.Config().state.directory
    return Root(args.root).path(directory) if args.root else directory


def _root(args: argparse.Namespace, conn: Any) -> Any:
    """Where evidence and debug files are: --root, the root the post-mortem that filled
    this state database read, else this host."""
    from kcrashd.cli.postmortem_cmd import ROOT_META
    from kcrashd.host.root import Root
    from kcrashd.store.state import read_meta

    return Root(args.root or read_meta(conn, ROOT_META) or "/")


def _triage(args: argparse.Namespace, root: Any, inc: Any, state_dir: str) -> Any:
    """crash(8) on the incident's vmcore (kcrashd.postmortem.triage), or what it needs."""
    from kcrashd.host.runner import CommandRunner
    from kcrashd.postmortem.triage import vmcore_triage

    return vmcore_triage(
        root, CommandRunner(), inc, state_dir, vmlinux=args.vmlinux, run=not args.no_triage
    )


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, sort_keys=True))


def run(args: argparse.Namespace) -> int:
    from kcrashd.cli import incidents_render as render
    from kcrashd.postmortem import view
    from kcrashd.store import incidents
    from kcrashd.store.state import open_readonly

    state_dir = _state_dir(args)
    denied = guard.state_access("incidents", state_dir)
    if denied is not None:
        return denied
    conn = open_readonly(state_dir)
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
                _print_json(render.list_document(found))
            else:
                for line in render.render_list(found):
                    print(line)
            return 0
        if not args.incident_id:
            print("kcrashd incidents show: which incident? (an ID from 'list')", file=sys.stderr)
            return 2
        inc = incidents.get_incident(conn, args.incident_id)
        if inc is None:
            print(f"kcrashd incidents: no incident {args.incident_id!r}", file=sys.stderr)
            return 1
        root = _root(args, conn)
        snapshot = view.load_snapshot(inc, state_dir)
        steps = view.next_steps(inc, state_dir, snapshot, bool(args.state_dir), root)
        facts = view.describe(conn, inc, state_dir, snapshot, root)
        triage = _triage(args, root, inc, state_dir)
        if args.json:
            _print_json(render.show_document(facts, inc, steps, triage))
        else:
            for line in render.render_show(facts, steps, inc.report, triage):
                print(line)
        return 0
    finally:
        conn.close()
