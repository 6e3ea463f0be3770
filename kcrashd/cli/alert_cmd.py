"""`kcrashd alert --test`: send one test alert through every sink, say where it arrived."""

from __future__ import annotations

import argparse
import json
import os
import sys

EX_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--test",
        action="store_true",
        help="send one test_alert through the journal, the hooks and the metrics",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")


def _user() -> str:
    import pwd

    name = os.environ.get("SUDO_USER")
    try:
        me = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        me = str(os.getuid())
    return f"{name} (as {me})" if name and name != me else me


def run(args: argparse.Namespace) -> int:
    from kcrashd import config as config_mod
    from kcrashd.alerts import testalert as t
    from kcrashd.host.root import Root
    from kcrashd.store.state import StateDB, default_path

    if not args.test:
        print("kcrashd alert: nothing to do (--test sends a test alert)", file=sys.stderr)
        return EX_USAGE
    try:
        config = config_mod.load(args.config)
    except config_mod.ConfigError as exc:
        print(f"kcrashd alert: bad configuration:\n{exc}", file=sys.stderr)
        return EX_USAGE
    root = Root("/")
    host = root.read_value("/proc/sys/kernel/hostname") or "localhost"
    boot = (root.read_value("/proc/sys/kernel/random/boot_id") or "").replace("-", "") or None
    alert = t.make_test_alert(host, _user())
    alert_id = t.new_alert_id(alert)
    deliveries = [t.to_journal(alert, alert_id), *t.to_hooks(alert, alert_id, config)]
    try:
        state = StateDB(default_path(config.state.directory))
    except Exception as exc:  # boundary: no state, no counter; the other sinks are reported
        deliveries.append(t.Delivery("metrics", config.state.directory, False, f"state: {exc}"))
    else:
        try:
            count = t.record(state, alert, alert_id, boot)
            deliveries.append(t.to_metrics(state, count, config, root))
        finally:
            state.close()
    failed = any(d.delivered is False for d in deliveries)
    if args.json:
        doc = {
            "schema": 1,
            "alert_id": alert_id,
            "type": alert.type,
            "message_id": _message_id(alert.type),
            "delivered": not failed,
            "sinks": [d.__dict__ for d in deliveries],
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        print(f"test alert {alert_id} ({alert.type}, MESSAGE_ID={_message_id(alert.type)}):")
        for d in deliveries:
            word = {True: "delivered", False: "FAILED", None: "not used"}[d.delivered]
            print(f"  {d.sink:<8} {word:<10} {d.target}: {d.detail}")
    return 1 if failed else 0


def _message_id(alert_type: str) -> str:
    from kcrashd.alerts.types import message_id

    return message_id(alert_type)
