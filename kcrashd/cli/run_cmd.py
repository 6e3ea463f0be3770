"""`kcrashd run`: the daemon in the foreground (systemd Type=notify)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal-dir",
        metavar="DIR",
        help="read journal files from DIR instead of the system journal",
    )
    parser.add_argument(
        "--state-dir", metavar="DIR", help="state directory (default: state.directory)"
    )
    parser.add_argument(
        "--root", metavar="DIR", default="/", help="read host files under DIR (default: /)"
    )
    parser.add_argument(
        "--once", action="store_true", help="process the backlog, run jobs once, exit"
    )


def run(args: argparse.Namespace) -> int:
    import logging

    from kcrashd.daemon import logs
    from kcrashd.daemon import loop as daemon

    logs.setup(args.verbose)
    try:
        return daemon.main(
            args.config,
            state_dir=args.state_dir,
            journal_dir=args.journal_dir,
            root=args.root,
            once=args.once,
        )
    except Exception:  # the last boundary: one err entry with the traceback, not many lines
        logging.getLogger("kcrashd").critical(
            "kcrashd stopped on an unexpected error", exc_info=True
        )
        return daemon.EX_SOFTWARE
