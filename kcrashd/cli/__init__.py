"""Command line: `kcrashd SUBCOMMAND ...`; main(argv) returns the exit code.

Each subcommand is one module in this package with NAME, HELP, add_arguments(parser) and
run(args) -> int, listed in COMMANDS. Modules are imported only when their command runs
so that `kcrashd parse` and `kcrashd check` need nothing beyond the stdlib and PyYAML.
May import every package; nothing imports it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import List, Optional

from kcrashd import __version__
from kcrashd.config import DEFAULT_CONFIG_PATH

# (command, module, help): the explicit registry of subcommands.
COMMANDS = (
    ("check", "check_cmd", "is this host ready to capture a kernel crash (exit 0/1/2/3)"),
    ("run", "run_cmd", "the daemon, in the foreground (systemd Type=notify)"),
    ("parse", "parse_cmd", "find and structure crash reports in kernel logs"),
    ("status", "status_cmd", "what the daemon sees now"),
    ("incidents", "incidents_cmd", "crash history across boots"),
    ("snapshot", "snapshot_cmd", "pre-crash state captures"),
    ("postmortem", "postmortem_cmd", "analyse the previous boot now"),
    ("fleet", "fleet_cmd", "crashes and readiness across the hosts in a (remote) journal"),
    ("config", "config_cmd", "validate or print the effective configuration"),
)


def _load(module: str):
    return importlib.import_module(f"kcrashd.cli.{module}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kcrashd",
        description="Crash-readiness daemon for Linux: capture, warn, explain kernel crashes.",
    )
    parser.add_argument("--version", action="version", version=f"kcrashd {__version__}")
    parser.add_argument(
        "--config", default=DEFAULT_CONFIG_PATH, help="config file (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _load(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.command:
        parser.print_help()
        return 0
    try:
        return int(_load(args._module).run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kcrashd parse big.log | head`: not an error worth a traceback.
        return 0
