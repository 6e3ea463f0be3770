"""Helpers shared by test modules: expected outputs kept in tests/golden/, and running Python
code in a fresh interpreter from the checkout."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path
from typing import Mapping

import pytest

PROJECT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = PROJECT / "tests" / "golden"
UPDATE_HINT = "pytest -m golden --update-golden (or: bash scripts/dev.sh golden)"


class Golden:
    """Compares what a user would see with its file under tests/golden/.

    With `--update-golden` (or KCRASHD_UPDATE_GOLDEN=1) the file is rewritten instead, so a
    change in an output is a change of a file in the tree, seen in review.
    """

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if self.update:
            if not path.exists() or path.read_text() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            return
        if not path.exists():
            pytest.fail(f"no golden file tests/golden/{name}: make it with {UPDATE_HINT}")
        want = path.read_text()
        if text != want:
            diff = difflib.unified_diff(
                want.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"tests/golden/{name} (in the tree)",
                f"{name} (printed now)",
            )
            pytest.fail(
                f"the output differs from tests/golden/{name}; if the change is meant, run "
                f"{UPDATE_HINT} and commit the file\n" + "".join(diff),
                pytrace=False,
            )


def replace_all(text: str, replacements: Mapping[str, str]) -> str:
    """`text` with each key replaced by its value, longest keys first (a path before its
    parent directory)."""
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    return text


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -c code args...` in a fresh interpreter, from the checkout."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
