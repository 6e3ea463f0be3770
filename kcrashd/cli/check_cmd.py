"""`kcrashd check`: is this host ready to capture a kernel crash? Exit 0/1/2/3 like Nagios.

Bad arguments are exit 3 too (UNKNOWN, as the plugin guidelines ask), argparse's usage
errors included (USAGE_ERROR_STATUS, read by kcrashd.cli).

Monitoring runs this every minute on every host: a run imports only what it uses
(benchmarks/bench_check.py; tests/unit/checks/test_check_imports.py says what it must not).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Iterator, List

from kcrashd.checks.verdict import UNKNOWN

USAGE_ERROR_STATUS = UNKNOWN
QUIET_UNLESS_VERBOSE = True  # a check run logs only at DEBUG (kcrashd.checks.engine)
FAST_EXIT = True  # it leaves nothing to clean up: no threads, no writes, no temp files


class CheckIds(Sequence):
    """The check ids as argparse choices (and completion candidates).

    Every command builds the whole parser; the registry imports all the checks, so it is
    read only when argparse validates an id or a completion generator lists them.
    """

    def _ids(self) -> List[str]:
        from kcrashd.checks.registry import BY_ID

        return list(BY_ID)

    def __getitem__(self, index):  # type: ignore[override]
        return self._ids()[index]

    def __len__(self) -> int:
        return len(self._ids())

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids())

    def __contains__(self, item: object) -> bool:
        return item in self._ids()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON document")
    output.add_argument(
        "--nagios", action="store_true", help="Nagios/Icinga plugin output (status line, perfdata)"
    )
    ids = CheckIds()
    parser.add_argument(
        "--only", nargs="+", metavar="ID", choices=ids, help="run only these checks"
    )
    parser.add_argument("--root", metavar="DIR", default="/", help="check another root tree")
    parser.add_argument(
        "--explain", metavar="ID", choices=ids, help="what a check verifies and why"
    )


def run(args: argparse.Namespace) -> int:
    from kcrashd import config as config_mod
    from kcrashd.checks import engine, nagios, render
    from kcrashd.checks.verdict import exit_code
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner

    if args.explain:
        sys.stdout.write(render.render_explain(args.explain))
        return 0
    try:
        config = config_mod.load_unless_default(args.config)
    except config_mod.ConfigError as exc:
        return _fail(args, f"bad configuration:\n{exc}")
    root = Root(args.root)
    if not root.is_dir("/"):
        return _fail(args, f"--root {args.root}: not a directory")
    host = engine.HostView(root, CommandRunner(), config)
    results = engine.run_checks_on(host, args.only)
    if args.nagios:
        sys.stdout.write(nagios.render_nagios(results))
    elif args.json:
        sys.stdout.write(render.render_json(results, engine.host_info(host)))
    else:
        header = engine.host_info(host)
        sys.stdout.write(render.render_text(results, header, render.use_colour(sys.stdout)))
    sys.stdout.flush()
    blind = engine.unreadable(results)
    if blind:  # UNKNOWN (exit 3 unless a CRIT was found), and why
        print(
            f"kcrashd check: {len(blind)} check(s) could not read what they need"
            f" ({', '.join(r.check_id for r in blind)}): run as root",
            file=sys.stderr,
        )
    return exit_code(results)


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.nagios:  # a monitoring system reads stdout only
        from kcrashd.checks.nagios import render_unknown

        sys.stdout.write(render_unknown(f"kcrashd check: {message}"))
    print(f"kcrashd check: {message}", file=sys.stderr)
    return UNKNOWN
