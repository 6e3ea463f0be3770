"""Write kcrashd's bash and zsh completion, generated with shtab from the argparse parser.

    python3 packaging/completions.py OUTDIR     -> OUTDIR/kcrashd (bash), OUTDIR/_kcrashd (zsh)

Run from the top of the source tree at package build time (debian/rules, the RPM's %build)
with the distribution's shtab (python3-shtab). The completion covers every subcommand and
option the parser has, the check ids (the choices of `check --only` and `--explain`), and
files or directories where an option's metavar is FILE or DIR.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Iterable, Iterator

# shtab before 1.6 (Debian 12 ships 1.5.5) reads only the first element of a choices array
# in its bash script, so `kcrashd sta<TAB>` and `check --only kd<TAB>` complete nothing.
# Later versions read the whole array; this does the same, one choice per line, which is
# how the script's compgen (IFS=newline) splits its word list.
_SHTAB_CHOICES_BUG = """  local current_action_choices_var="${current_action}_choices"
  current_action_choices="${!current_action_choices_var}"
"""
_SHTAB_CHOICES_FIX = """  local current_action_choices_var="${current_action}_choices[@]"
  current_action_choices=$(printf '%s\\n' "${!current_action_choices_var}")
"""


def _multi_value_options(parser: argparse.ArgumentParser) -> Iterator[str]:
    """Option strings that take several values (nargs + or *), in every subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _multi_value_options(sub)
        elif action.option_strings and action.nargs in ("+", "*"):
            yield from action.option_strings


def _zsh_multi_value(script: str, options: Iterable[str]) -> str:
    """shtab gives every option one value in zsh (`--only[help]:dest:(ids)`), so after
    `--only kdump_loaded` nothing completes; `:*-*:` makes every word up to the next option
    one of its values (zsh's _arguments)."""
    for option in set(options):
        spec = re.compile(r'("' + re.escape(option) + r"\[(?:\\.|[^\]\\])*\]):(?!\*)")
        script = spec.sub(r"\1:*-*:", script)
    return script


def generate(shell: str) -> str:
    import shtab

    from kcrashd.cli import build_parser

    parser = build_parser()
    script = shtab.complete(parser, shell=shell)
    if shell == "bash":
        script = script.replace(_SHTAB_CHOICES_BUG, _SHTAB_CHOICES_FIX)
    if shell == "zsh":
        script = _zsh_multi_value(script, _multi_value_options(parser))
    return script


def main(argv: list) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    sys.path.insert(0, os.getcwd())
    os.makedirs(argv[0], exist_ok=True)
    for shell, name in (("bash", "kcrashd"), ("zsh", "_kcrashd")):
        with open(os.path.join(argv[0], name), "w") as f:
            f.write(generate(shell))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
