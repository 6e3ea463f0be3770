"""`kcrashd postmortem [--root DIR] [--journal-dir DIR] [--state-dir DIR] [--json]`:
analyse what the previous boot left now (the daemon does it at start).

With --root, pstore and kdump paths are read under DIR (another system's disk); pair it
with --journal-dir DIR/var/log/journal to read that system's journal. Incidents go to the
state database with the alerts they owe; owed alerts (these and any an earlier run left
owed) are sent to the journal exactly once, unless --no-alerts (then they stay owed and
the next run or daemon start sends them).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", metavar="DIR", default="/", help="read host files under DIR")
    parser.add_argument("--journal-dir", metavar="DIR", help="read journal files from DIR")
    parser.add_argument(
        "--state-dir", metavar="DIR", help="state directory (default: state.directory)"
    )
    parser.add_argument(
        "--current-boot",
        metavar="ID",
        help="the boot to treat as the running one (default: this boot with the live root; "
        "with --root, the journal's last boot is analysed)",
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument(
        "--no-alerts",
        action="store_true",
        help="store incidents but send no journal alerts now (the next run or daemon start "
        "sends what is owed)",
    )


def _config(args: argparse.Namespace) -> Any:
    from kcrashd import config

    try:
        return config.load(args.config)
    except config.ConfigError as exc:
        print(f"kcrashd postmortem: invalid configuration:\n{exc}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    from kcrashd.host.root import Root
    from kcrashd.postmortem.collect import current_boot_id, run_postmortem
    from kcrashd.store.state import StateDB, default_path

    cfg = _config(args)
    if cfg is None:
        return 2
    root = Root(args.root)
    state_dir = args.state_dir or cfg.state.directory
    journal_dir = args.journal_dir
    if journal_dir is None and not root.is_live and root.is_dir("/var/log/journal"):
        journal_dir = root.path("/var/log/journal")
    boot = args.current_boot or (current_boot_id(Root("/")) if root.is_live else None)
    if boot:
        boot = boot.replace("-", "")
    try:
        state = StateDB(default_path(state_dir))
    except (OSError, RuntimeError) as exc:
        print(f"kcrashd postmortem: cannot open the state database: {exc}", file=sys.stderr)
        return 2
    try:
        out = run_postmortem(root, cfg, state, boot, journal_dir=journal_dir, state_dir=state_dir)
        sent = []
        if not args.no_alerts:
            from kcrashd.postmortem.job import deliver_pending

            sent = deliver_pending(state, cfg, boot)
    finally:
        state.close()
    if args.json:
        doc = out.to_dict()
        doc["alert_ids"] = [alert_id for alert_id, _ in sent]
        doc["sent"] = [dict(a.to_dict(), alert_id=i) for i, a in sent]
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    print(f"previous boot: {out.previous_boot or 'unknown'}", end="")
    if out.previous_boot_clean is not None:
        print(" (clean shutdown)" if out.previous_boot_clean else " (no clean shutdown)", end="")
    print()
    for a in out.artifacts:
        print(f"  {a['source']:8} {a['path']}: {a['detail']}")
    if not out.artifacts:
        print("  nothing new: no pstore record, dump or journal boot that was not handled before")
    for incident_id, created in out.incidents:
        print(f"incident {incident_id} ({'new' if created else 'updated'})")
    for alert_id, alert in sent:
        print(f"alert {alert.type} sent ({alert_id}): {alert.summary}")
    if args.no_alerts:
        for alert in out.alerts:
            print(f"alert {alert.type} owed, not sent (--no-alerts): {alert.summary}")
    for note in out.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
