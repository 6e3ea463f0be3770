"""Files on the machine kcrashd runs on, named by its configuration or command line: the
hook executables (hooks.directory), the metrics textfile (metrics.textfile_directory), a
directory given as an option (`fleet --journal-dir`).

Plain paths, not read under a Root: `--root` inspects another system's files, while hooks
run and metrics are written here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import List


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


def is_directory(path: str) -> bool:
    return os.path.isdir(path)


def replace_file(directory: str, name: str, text: str, mode: int = 0o644) -> str:
    """Replace `directory/name` atomically (temp file, fchmod, fsync, rename): a reader
    sees the old file or the new one, never half of it. Returns the path; raises OSError."""
    # The temp name starts with a dot and ends in .tmp: a collector matching *.prom (or any
    # suffix) never picks it up half written.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            # mkstemp makes 0600 (and the service's UMask=0077 would too): set it explicitly.
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        path = os.path.join(directory, name)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
