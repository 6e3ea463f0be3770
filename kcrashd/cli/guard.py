"""What the commands share to refuse bad input in one line: bounded numbers and ids as
argparse types, and the "run as root" answer when the state directory is closed to the user.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Callable, Optional

from kcrashd.host.local import access_problem

MAX_LIMIT = 1_000_000
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]{0,127}")


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {text[:40]}")
        return value

    return parse


def identifier(kind: str) -> Callable[[str], str]:
    """An argparse type: an id as kcrashd makes them (letters, digits, `_.:-`, at most 128
    characters, not starting with a dot), so a path or a LIKE pattern never gets through."""

    def parse(text: str) -> str:
        if not _ID.fullmatch(text):
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise argparse.ArgumentTypeError(f"not {kind} id: {shown!r}")
        return text

    return parse


def state_access(command: str, state_dir: str, write: bool = False) -> Optional[int]:
    """Exit status 1 with "run as root" when the user cannot use the state directory."""
    problem = access_problem(state_dir, write)
    if problem is None:
        return None
    print(f"kcrashd {command}: {problem}: run as root", file=sys.stderr)
    return 1


def fail(command: str, message: str, status: int = 1) -> int:
    """One line on stderr, the exit status back."""
    print(f"kcrashd {command}: {' '.join(message.split())[:300]}", file=sys.stderr)
    return status
