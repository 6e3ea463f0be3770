"""`kcrashd postmortem [--root DIR] [--journal-dir DIR] [--state-dir DIR] [--json]`:
analyse what the previous boot left now (the daemon does it at start).

With --root, pstore and kdump paths are read under DIR (another system's disk) and its
journal is DIR/var/log/journal (or --journal-dir). Such a run is sealed from the live host:
no live boot id (only --current-boot), no journal but that system's (none at all when it
has none), state in that system's own state directory under DIR (or --state-dir, to leave
the disk untouched) so neither this host's snapshots nor its watcher alerts become
evidence, and no alert into this host's journal unless --send; the state database
remembers the root, so `kcrashd incidents show` looks up evidence and debug files there.
Incidents go to the state database with the alerts they owe; owed alerts (these and any an
earlier run left owed) are sent to the journal exactly once, unless --no-alerts (then they
stay owed and the next run or daemon start sends them).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# The state database of a post-mortem of another system's disk names that disk's root.
ROOT_META = "postmortem_root"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", metavar="DIR", default="/", help="read host files under DIR")
    parser.add_argument("--journal-dir", metavar="DIR", help="read journal files from DIR")
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="state directory (default: state.directory; with --root, the one under DIR)",
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
    parser.add_argument(
        "--send",
        action="store_true",
        help="with --root: send the alerts another system's disk owes into this host's journal",
    )


def _config(args: argparse.Namespace) -> Any:
    from kcrashd import config

    try:
        return config.load(args.config)
    except config.ConfigError as exc:
        print(f"kcrashd postmortem: invalid configuration:\n{exc}", file=sys.stderr)
        return None


def _sealed(cfg: Any, root: Any, journal_dir: Any) -> Any:
    """The configuration for another system's disk: without a journal of its own, no
    journal at all (never this host's)."""
    if root.is_live or journal_dir is not None:
        return cfg
    import dataclasses

    pm = dataclasses.replace(cfg.postmortem, previous_boot_journal=False)
    return dataclasses.replace(cfg, postmortem=pm)


def run(args: argparse.Namespace) -> int:
    from kcrashd.host.root import Root
    from kcrashd.postmortem.collect import current_boot_id, run_postmortem
    from kcrashd.store.state import StateDB, default_path

    cfg = _config(args)
    if cfg is None:
        return 2
    root = Root(args.root)
    journal_dir = args.journal_dir
    if journal_dir is None and not root.is_live and root.is_dir("/var/log/journal"):
        journal_dir = root.path("/var/log/journal")
    cfg = _sealed(cfg, root, journal_dir)
    state_dir = args.state_dir or (
        cfg.state.directory if root.is_live else root.path(cfg.state.directory)
    )
    boot = args.current_boot or (current_boot_id(Root("/")) if root.is_live else None)
    if boot:
        boot = boot.replace("-", "")
    send = not args.no_alerts and (root.is_live or args.send)
    try:
        state = StateDB(default_path(state_dir))
    except (OSError, RuntimeError) as exc:
        print(f"kcrashd postmortem: cannot open the state database: {exc}", file=sys.stderr)
        return 2
    try:
        if not root.is_live:
            state.set_meta(ROOT_META, root.base)
        out = run_postmortem(root, cfg, state, boot, journal_dir=journal_dir, state_dir=state_dir)
        sent = []
        if send:
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
    if not send:
        why = "--no-alerts" if args.no_alerts else "another system's disk: --send sends it"
        for alert in out.alerts:
            print(f"alert {alert.type} owed, not sent ({why}): {alert.summary}")
    for note in out.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
