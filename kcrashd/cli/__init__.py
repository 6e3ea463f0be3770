"""Command line: `kcrashd SUBCOMMAND ...`; main(argv) returns the exit code.

Each subcommand is one module in this package with add_arguments(parser) and
run(args) -> int, listed in COMMANDS; a module may set USAGE_ERROR_STATUS, the exit code of
its usage errors (argparse's is 2; `check` uses 3, UNKNOWN, like a Nagios plugin), and
QUIET_UNLESS_VERBOSE = True when nothing it runs logs above DEBUG (logging is then set up,
and imported, only for -v), and FAST_EXIT = True when its process may end without the
interpreter's teardown once its output is flushed (console(), the installed command: a
short run that leaves nothing behind, like `check`). A run imports only its own command's
module (its arguments are added when its subparser parses), so that `kcrashd parse` and
`kcrashd check` need nothing beyond the stdlib and PyYAML, and `kcrashd check` starts fast
(benchmarks/bench_check.py).
May import every package; nothing imports it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import List, Optional

from kcrashd import __version__
from kcrashd.config import DEFAULT_CONFIG_PATH

# (command, module, help): the explicit registry of subcommands.
COMMANDS = (
    ("check", "check_cmd", "is this host ready to capture a kernel crash (exit 0/1/2/3)"),
    ("fix", "fix_cmd", "apply the safe fixes for the findings (a dry run unless --apply)"),
    ("run", "run_cmd", "the daemon, in the foreground (systemd Type=notify)"),
    ("parse", "parse_cmd", "find and structure crash reports in kernel logs"),
    ("status", "status_cmd", "what the daemon sees now"),
    ("incidents", "incidents_cmd", "crash history across boots"),
    ("snapshot", "snapshot_cmd", "pre-crash state captures"),
    ("postmortem", "postmortem_cmd", "analyse the previous boot now"),
    ("fleet", "fleet_cmd", "crashes and readiness across the hosts in a (remote) journal"),
    ("config", "config_cmd", "validate or print the effective configuration"),
    ("alert", "alert_cmd", "send a test alert through every sink (--test)"),
)


# Completion hints by metavar, in the form shtab reads from an action's `complete`
# attribute (the packages generate bash and zsh completion from this parser with shtab).
_COMPLETE_BY_METAVAR = {
    "FILE": {"bash": "_shtab_compgen_files", "zsh": "_files"},
    "DIR": {"bash": "_shtab_compgen_dirs", "zsh": "_files -/"},
}


def _load(module: str):
    return importlib.import_module(f"kcrashd.cli.{module}")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with `usage_status`.

    A subcommand's parser names its `module`: the module is imported, and its arguments
    and usage status added, by add_command_arguments(), at the latest when it parses.
    """

    def __init__(self, *args, usage_status: int = 2, module: Optional[str] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.usage_status = usage_status
        self._pending_module = module

    def add_command_arguments(self) -> None:
        if self._pending_module is None:
            return
        mod = _load(self._pending_module)
        self._pending_module = None
        self.usage_status = getattr(mod, "USAGE_ERROR_STATUS", 2)
        mod.add_arguments(self)
        _add_completion_hints(self)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self.add_command_arguments()
        return super().parse_known_args(args, namespace)

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(self.usage_status, f"{self.prog}: error: {message}\n")


def build_parser(lazy: bool = False, only: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole command line; `lazy`: each subcommand's module is imported only when that
    subcommand parses (what a run needs), not at once (what help generators need);
    `only`: that subcommand's parser alone is made (each costs ~0.5 ms to make)."""
    parser = Parser(
        prog="kcrashd",
        description="Crash-readiness daemon for Linux: capture, warn, explain kernel crashes.",
    )
    parser.add_argument("--version", action="version", version=f"kcrashd {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=DEFAULT_CONFIG_PATH,
        help=f"config file (default: {DEFAULT_CONFIG_PATH})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module, help_text in COMMANDS:
        if only is not None and name != only:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text, module=module)
        p.set_defaults(_module=module)
        if not lazy:
            p.add_command_arguments()
    _add_completion_hints(parser)
    return parser


def _add_completion_hints(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _add_completion_hints(sub)
        elif action.metavar in _COMPLETE_BY_METAVAR and not action.choices:
            action.complete = _COMPLETE_BY_METAVAR[action.metavar]  # type: ignore[attr-defined]


def parse_args(parser: argparse.ArgumentParser, argv: Optional[List[str]]) -> argparse.Namespace:
    """parse_args, except that arguments nobody knows are the subcommand's usage error
    (argparse reports them from the top-level parser, with its exit code)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        owner = subparsers.choices.get(args.command, parser) if args.command else parser
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _command_named(argv: List[str]) -> Optional[str]:
    """The subcommand `argv` names, when it is one (its parser is then the only one made);
    None otherwise (every parser made: help, or the error that lists the commands)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif word == "--" or not word.startswith("-"):
            break
    else:
        return None
    return word if word in {name for name, _, _ in COMMANDS} else None


_fast_exit = False  # main() ran a command with FAST_EXIT


def console() -> None:
    """The installed `kcrashd` command (and `python -m kcrashd`): main(), then exit. After a
    FAST_EXIT command, without the interpreter's teardown (freeing every module and object:
    20-30 ms of a 120 ms `kcrashd check` that monitoring runs every minute on every host)."""
    code = main()
    if _fast_exit:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                code = code or 1  # output lost (a closed pipe): say so in the exit code
        os._exit(code)
    sys.exit(code)


def main(argv: Optional[List[str]] = None) -> int:
    global _fast_exit
    parser = build_parser(lazy=True, only=_command_named(sys.argv[1:] if argv is None else argv))
    args = parse_args(parser, argv)
    if args.verbose or not (
        args.command and getattr(_load(args._module), "QUIET_UNLESS_VERBOSE", False)
    ):
        _configure_logging(args.verbose)
    if not args.command:
        parser.print_help()
        return 0
    try:
        module = _load(args._module)
        code = int(module.run(args))
        _fast_exit = getattr(module, "FAST_EXIT", False)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kcrashd parse big.log | head`: not an error worth a traceback.
        return 0
    except Exception as exc:  # the last boundary: one line (-v: the traceback), exit 1
        return _unexpected(args, exc)


def _configure_logging(verbose: bool) -> None:
    import logging

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _unexpected(args: argparse.Namespace, exc: Exception) -> int:
    if args.verbose:
        import logging

        logging.getLogger("kcrashd").exception("kcrashd %s failed", args.command)
    text = " ".join(str(exc).split())[:300] or type(exc).__name__
    if isinstance(exc, PermissionError) or "unable to open database" in text:
        text += ": run as root"
    elif not isinstance(exc, OSError):
        text = f"{type(exc).__name__}: {text} (kcrashd -v {args.command} ... shows where)"
    print(f"kcrashd {args.command}: {text}", file=sys.stderr)
    usage_status = getattr(_load(args._module), "USAGE_ERROR_STATUS", None)
    return 3 if usage_status == 3 else 1
