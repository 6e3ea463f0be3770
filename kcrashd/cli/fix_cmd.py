"""`kcrashd fix [ID...]`: the safe fixes for the findings; a dry run unless --apply."""

from __future__ import annotations

import argparse
import os
import sys

EX_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="fix only these checks")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--apply", action="store_true", help="write the files and run commands")
    mode.add_argument("--undo", action="store_true", help="put back what kcrashd fix wrote")
    parser.add_argument("--root", metavar="DIR", default="/", help="fix another root (an image)")
    parser.add_argument(
        "--bootloader",
        action="store_true",
        help="also set crashkernel= for the next boot (GRUB on Debian, grubby on RHEL)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")


def run(args: argparse.Namespace) -> int:
    from kcrashd import config as config_mod
    from kcrashd.checks import engine as checks
    from kcrashd.checks.registry import BY_ID
    from kcrashd.fixers import engine, render
    from kcrashd.fixers.record import Record, RecordError
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner

    unknown = checks.unknown_ids(args.ids)
    if unknown:
        return _fail(f"unknown check id(s) {', '.join(unknown)} (known: {', '.join(BY_ID)})")
    if args.undo and args.ids:
        return _fail("--undo puts back everything kcrashd fix wrote; it takes no check ids")
    root = Root(args.root)
    if not root.is_dir("/"):
        return _fail(f"--root {args.root}: not a directory")
    if root.is_live and (args.apply or args.undo) and os.geteuid() != 0:
        return _fail("--apply and --undo change system files: run as root")
    try:
        config = config_mod.load(args.config)
    except config_mod.ConfigError as exc:
        return _fail(f"bad configuration:\n{exc}")
    runner = CommandRunner()

    def new_host():
        return checks.HostView(root, runner, config)

    host = new_host()
    record = Record(root, config.state.directory)
    shown = root.path(record.path)
    try:
        record.load()
    except RecordError as exc:
        return _fail(f"{exc}: move it away to go on (it holds what --undo would restore)")
    if args.undo:
        nothing = not record.applications
        out = engine.undo(host, record, new_host) if not nothing else engine.UndoOutcome()
        draw = render.render_undo_json if args.json else render.render_undo_text
        sys.stdout.write(draw(out, root.base, nothing))
        return 1 if out.kept or any(r.error for r in out.commands) else 0
    fp = engine.plan(host, args.ids, bootloader=args.bootloader)
    mode = "apply" if args.apply else "dry-run"
    failed = False
    if args.apply:
        try:
            engine.apply(fp, host, record, new_host)
        except OSError as exc:
            print(f"kcrashd fix: {exc} (what was written is in {shown}; --undo)", file=sys.stderr)
            failed = True
    draw = render.render_plan_json if args.json else render.render_plan_text
    sys.stdout.write(draw(fp, mode, root.base, host.family, shown))
    if args.apply and any(
        i.verdict and not i.verdict.startswith(("fixed", "takes effect")) for i in fp.items
    ):
        failed = True
    return 1 if failed else 0


def _fail(message: str) -> int:
    print(f"kcrashd fix: {message}", file=sys.stderr)
    return EX_USAGE
