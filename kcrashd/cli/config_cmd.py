"""Placeholder: this subcommand is being built (see the issue that owns it)."""

from __future__ import annotations

import argparse
import sys

NOT_BUILT = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    print(f"kcrashd {args.command}: not built yet", file=sys.stderr)
    return NOT_BUILT
