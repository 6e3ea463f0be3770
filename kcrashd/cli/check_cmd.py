"""`kcrashd check`: is this host ready to capture a kernel crash? Exit 0/1/2/3 like Nagios."""

from __future__ import annotations

import argparse
import sys

from kcrashd.checks.verdict import UNKNOWN


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these checks")
    parser.add_argument("--root", metavar="DIR", default="/", help="check another root tree")
    parser.add_argument("--explain", metavar="ID", help="what a check verifies and why")


def run(args: argparse.Namespace) -> int:
    from kcrashd import config as config_mod
    from kcrashd.checks import engine, render
    from kcrashd.checks.registry import BY_ID
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner

    if args.explain:
        if args.explain not in BY_ID:
            return _fail(f"unknown check id {args.explain!r} (known: {', '.join(BY_ID)})")
        sys.stdout.write(render.render_explain(args.explain))
        return 0
    unknown = engine.unknown_ids(args.only or [])
    if unknown:
        return _fail(f"unknown check id(s) {', '.join(unknown)} (known: {', '.join(BY_ID)})")
    try:
        config = config_mod.load(args.config)
    except config_mod.ConfigError as exc:
        return _fail(f"bad configuration:\n{exc}")
    problems = engine.policy_errors(config)
    if problems:
        return _fail("bad configuration:\n" + "\n".join(problems))
    import os

    if not os.path.isdir(args.root):
        return _fail(f"--root {args.root}: not a directory")
    host = engine.HostView(Root(args.root), CommandRunner(), config)
    results = engine.run_checks_on(host, args.only)
    header = engine.host_info(host)
    if args.json:
        sys.stdout.write(render.render_json(results, header))
    else:
        sys.stdout.write(render.render_text(results, header, render.use_colour(sys.stdout)))
    sys.stdout.flush()
    from kcrashd.checks.verdict import exit_code

    return exit_code(results)


def _fail(message: str) -> int:
    print(f"kcrashd check: {message}", file=sys.stderr)
    return UNKNOWN
