"""Files on the machine kcrashd runs on, named by its configuration or command line: the
hook executables (hooks.directory), the metrics textfile (metrics.textfile_directory), a
directory given as an option (`fleet --journal-dir`).

Plain paths, not read under a Root: `--root` inspects another system's files, while hooks
run and metrics are written here.
"""

from __future__ import annotations

import os
from typing import List, Optional

from kcrashd.host import durable


def executables(directory: str) -> List[str]:
    """Names of the executable regular files in `directory`, sorted; [] when it cannot be
    listed (missing, not a directory, no permission)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    out = []
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            out.append(name)
    return out


def access_problem(path: str, write: bool = False) -> Optional[str]:
    """Why this user cannot read (or, with `write`, write) directory `path`; None when it
    can or when the path does not exist (an absent state directory is no permission
    problem: nothing was recorded yet)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    mode = os.R_OK | os.X_OK | (os.W_OK if write else 0)
    if not os.access(path, mode):
        return f"cannot {'write' if write else 'read'} {path}: permission denied"
    return None


def is_directory(path: str) -> bool:
    return os.path.isdir(path)


def replace_file(directory: str, name: str, text: str, mode: int = 0o644) -> str:
    """Replace `directory/name` atomically: a reader sees the old file or the new one,
    never half of it. Returns the path; raises OSError."""
    # The temp name starts with a dot and ends in .tmp (a collector matching *.prom, or any
    # suffix, never picks it up half written) and names this process (two writers never
    # share one).
    return durable.replace_file(
        directory, name, text.encode("utf-8"), mode, tmp_suffix=f".{os.getpid()}.tmp"
    )
