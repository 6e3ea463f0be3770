"""Files under a root: symlink targets, mtimes, sizes, writability, free space, and
removing a file (pstore records once they are stored)."""

from __future__ import annotations

import os
from typing import Optional, Tuple

from kcrashd.host.root import Root


def read_link(root: Root, host_path: str) -> Optional[str]:
    """The symlink's target as written (None when not a link or missing)."""
    return root.read_link(host_path)


def mtime(root: Root, host_path: str) -> Optional[float]:
    try:
        return root.stat(host_path).st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return None


def stat_or_none(root: Root, host_path: str) -> Optional[os.stat_result]:
    """The file's stat (symlinks followed), or None when it is not there or not reachable."""
    try:
        return root.stat(host_path)
    except OSError:
        return None


def remove(root: Root, host_path: str) -> None:
    """Delete one file; raises OSError (not there, read-only, not permitted)."""
    os.remove(root.path_nofollow(host_path))


def writable(root: Root, host_path: str) -> bool:
    return os.access(root.path(host_path), os.W_OK)


def existing_parent(root: Root, host_path: str) -> str:
    """The path itself or its nearest existing ancestor (where a new dir would be made)."""
    path = host_path.rstrip("/") or "/"
    while path != "/" and not root.exists(path):
        path = os.path.dirname(path)
    return path


def free_and_size(root: Root, host_path: str) -> Tuple[int, int]:
    """(bytes available to unprivileged writers ... as f_bavail, filesystem size) at a path."""
    st = root.statvfs(existing_parent(root, host_path))
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


def resolve(root: Root, host_path: str) -> str:
    """Follow symlinks the way the root's own system would: absolute targets stay inside
    the root (a fixture tree or a mounted image), not on the host running kcrashd."""
    return root.resolve(host_path)
