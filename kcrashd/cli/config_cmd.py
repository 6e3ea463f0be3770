"""`kcrashd config check | dump [--defaults]`: validate or print the configuration."""

from __future__ import annotations

import argparse
import sys

from kcrashd import config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("check", help="validate the config and its drop-ins; print every error")
    dump = sub.add_parser("dump", help="print the effective config as YAML")
    dump.add_argument("--defaults", action="store_true", help="print the built-in defaults")


def run(args: argparse.Namespace) -> int:
    action = args.action or "check"
    if action == "dump" and args.defaults:
        sys.stdout.write(config.render_yaml())
        return 0
    try:
        cfg = config.load(args.config)
    except config.ConfigError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        if len(exc.errors) > 1:
            print(f"{len(exc.errors)} errors in the configuration", file=sys.stderr)
        return 1
    if action == "dump":
        sys.stdout.write(config.render_yaml(cfg, commented=False))
        return 0
    files = config.config_files(args.config)
    print(f"configuration OK ({', '.join(files) if files else 'built-in defaults'})")
    return 0
