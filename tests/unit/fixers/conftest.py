"""A fresh copy of one fixture root per test (fixes write into it), with the mtimes the
checks' expectations assume (tests/unit/checks/conftest.py)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest

from tests.unit.checks.conftest import MTIMES, ROOTS, set_mtimes


@pytest.fixture
def root_copy(tmp_path) -> Callable[[str], Path]:
    def make(scenario: str) -> Path:
        dest = tmp_path / scenario
        shutil.copytree(ROOTS / scenario, dest, symlinks=True)
        set_mtimes(dest, MTIMES.get(scenario, {}))
        return dest

    return make


def tree(root: Path) -> Dict[str, Tuple]:
    """Every entry under `root`: its type, mode and content (links: target)."""
    out: Dict[str, Tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir", st.st_mode)
            else:
                with open(path, "rb") as f:
                    out[rel] = ("file", st.st_mode, hashlib.sha256(f.read()).hexdigest())
    return out
