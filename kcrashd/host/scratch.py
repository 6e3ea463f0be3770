"""Scratch space for the tools kcrashd runs: a private directory, removed afterwards.

crash(8) reads its commands from a file and a flattened dump must be rewritten
(`makedumpfile -R`) before crash reads it: both go to a 0700 directory of their own under
a parent on disk (a converted dump is as large as the dump: not a tmpfs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterator


@contextlib.contextmanager
def scratch_dir(parent: str, prefix: str) -> Iterator[str]:
    """A new private directory under `parent`, removed with everything in it at the end."""
    path = tempfile.mkdtemp(prefix=prefix, dir=parent)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_text(path: str, text: str) -> None:
    """A small file in a scratch directory (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
