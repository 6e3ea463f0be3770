"""`kcrashd fleet [--journal-dir DIR] [--since WHEN] [--json] [--hosts N]`: crashes and
readiness across the hosts whose kcrashd alerts are in a journal.

DIR is typically where systemd-journal-remote writes (`/var/log/journal/remote`); without
it the system journal is read (one host's own alerts, or a collector's if it keeps remote
files there). The facts come from kcrashd.fleet; the text from kcrashd.cli.fleet_render.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from typing import Any, Dict, Optional

from kcrashd.fleet.window import HELP as SINCE_HELP


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal-dir",
        metavar="DIR",
        help="read the journal files in DIR, e.g. /var/log/journal/remote (default: the "
        "system journal)",
    )
    parser.add_argument("--since", metavar="WHEN", help=SINCE_HELP)
    parser.add_argument("--json", action="store_true", help="print JSON (for tools)")
    parser.add_argument(
        "--hosts",
        type=int,
        default=5,
        metavar="N",
        help="name at most N hosts per line, then a count (default: %(default)s)",
    )


def _open_files_for_journals() -> None:
    """A reader over the system journal keeps every one of its files open (a directory's
    files are read one at a time). Raise the soft limit to the hard one, as journalctl
    does."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def run(args: argparse.Namespace) -> int:
    from kcrashd.fleet.window import parse_since

    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except ValueError as exc:
            print(f"kcrashd fleet: {exc}", file=sys.stderr)
            return 2
    if args.hosts < 1:
        print("kcrashd fleet: --hosts must be at least 1", file=sys.stderr)
        return 2
    if args.journal_dir and not os.path.isdir(args.journal_dir):
        print(f"kcrashd fleet: {args.journal_dir}: no such directory", file=sys.stderr)
        return 1
    try:
        doc = fleet_document(args.journal_dir, since)
    except ImportError:
        print("kcrashd fleet: needs systemd-python (python3-systemd)", file=sys.stderr)
        return 1
    except OSError as exc:
        where = args.journal_dir or "the system journal"
        print(f"kcrashd fleet: cannot read {where}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        from kcrashd.cli.fleet_render import render

        print("\n".join(render(doc, args.hosts)))
    return 0


def fleet_document(journal_dir: Optional[str], since: Optional[float]) -> Dict[str, Any]:
    """The --json document for the alerts in `journal_dir` (None: the system journal)."""
    from kcrashd.fleet.entries import ReadStats, read_alerts
    from kcrashd.fleet.view import FleetView

    _open_files_for_journals()
    stats = ReadStats()
    view = FleetView().add_all(read_alerts(journal_dir, since, stats=stats))
    doc = view.document()
    doc["source"] = {"journal_dir": journal_dir, "since": since}
    doc["entries"] = {
        "used": stats.used,
        "ignored": stats.ignored,
        "ignored_examples": stats.ignored_examples,
        "journal_files": stats.files if journal_dir else None,
        "unreadable_files": stats.unreadable,
    }
    return doc
