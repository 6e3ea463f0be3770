"""The man page's SYNOPSIS lists every option `--help` lists, for kcrashd and every
subcommand (and their actions: snapshot take, config dump ...), and nothing `--help` does
not know. Both sides are read as a user reads them: `man -l doc/kcrashd.8` rendered, and
`kcrashd ... --help`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Dict, List, Set

import pytest

from kcrashd.cli import COMMANDS
from tests.conftest import PROJECT, require_tool

MAN_PAGE = PROJECT / "doc" / "kcrashd.8"
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def _help(*words: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "kcrashd", *words, "--help"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=dict(os.environ, COLUMNS="200"),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def help_options(*words: str) -> List[Set[str]]:
    """The options `--help` lists, one set of spellings per option (-v, --verbose),
    without -h/--help itself."""
    found = []
    section = None
    for line in _help(*words).splitlines():
        if line and not line.startswith(" "):
            section = line
        elif section and section.startswith(("options", "optional arguments")):
            m = re.match(r"^  (-\S.*?)(?:  |$)", line)
            if m:
                spellings = set(OPTION.findall(m.group(1)))
                if spellings != {"-h", "--help"}:
                    found.append(spellings)
    return found


def help_actions(*words: str) -> List[str]:
    """The sub-actions `--help` lists (snapshot: take, list, show), from its usage line."""
    usage = _help(*words).split("\n\n", 1)[0]
    m = re.search(r"\{([\w,]+)\}", usage)
    if m:
        return m.group(1).split(",")
    return [w for w in re.findall(r"^    (\w+)\s", _help(*words), re.M)]


@pytest.fixture(scope="module")
def synopsis() -> Dict[str, str]:
    """Rendered SYNOPSIS: command ('' for kcrashd itself) -> its line."""
    require_tool("man")
    proc = subprocess.run(
        ["man", "--no-hyphenation", "--no-justification", "-l", str(MAN_PAGE)],
        capture_output=True,
        text=True,
        env=dict(os.environ, LC_ALL="C", MANWIDTH="400"),
        timeout=60,
    )
    text = proc.stdout.split("\nSYNOPSIS\n", 1)[1].split("\nDESCRIPTION\n", 1)[0]
    lines = {}
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["kcrashd"]:
            command = words[1] if len(words) > 1 and not words[1].startswith("[") else ""
            lines[command] = line.strip()
    return lines


def test_every_command_has_a_synopsis_line(synopsis):
    assert set(synopsis) == {""} | {name for name, _, _ in COMMANDS}


@pytest.mark.parametrize("command", ["", *(name for name, _, _ in COMMANDS)])
def test_synopsis_lists_every_option_of_help(command, synopsis):
    words = [command] if command else []
    line = synopsis[command]
    listed = set(OPTION.findall(line))
    options = help_options(*words)
    actions = help_actions(*words) if command else []
    for action in actions:
        options += help_options(*words, action)
        assert re.search(rf"\b{action}\b", line), f"{action} is not in: {line}"
    missing = [sorted(o) for o in options if not o & listed]
    assert missing == [], f"kcrashd {command} --help lists {missing}; the SYNOPSIS has: {line}"
    known = set().union(*options) if options else set()
    assert listed <= known, f"the SYNOPSIS has options --help does not: {listed - known}"
