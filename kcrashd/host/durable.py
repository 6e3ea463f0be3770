"""The one durable file write: a temp file in the same directory, all bytes written, mode
and owner set, fsync, rename over the name, fsync of the directory. A panic a second later
finds the old file or the new one, never a torn one; a failure removes the temp file.

Used for host files (`kcrashd fix`, through host/writer.py) and kcrashd's own state files
(snapshots, triage records, the alert-id key's directory).
"""

from __future__ import annotations

import contextlib
import os
from typing import Optional, Tuple


def fsync_dir(directory: str) -> None:
    """Make a rename or unlink in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(
    directory: str,
    name: str,
    data: bytes,
    mode: int = 0o600,
    owner: Optional[Tuple[int, int]] = None,
    tmp_suffix: str = ".tmp",
) -> str:
    """Atomically make `directory`/`name` hold `data` with `mode` (and `owner`, a (uid, gid),
    when given). The directory must exist. Returns the final path."""
    final = os.path.join(directory, name)
    tmp = os.path.join(directory, f".{name}{tmp_suffix}")
    # O_NOFOLLOW: a symlink planted at the temp name is refused, not written through;
    # O_TRUNC: a temp file a crash left behind is reused.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW
    fd = os.open(tmp, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if owner is not None:
            os.fchown(fd, owner[0], owner[1])
        os.fchmod(fd, mode)  # not narrowed by the umask
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.rename(tmp, final)
        fsync_dir(directory)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final
