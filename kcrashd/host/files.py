"""File metadata under a root: symlink targets, mtimes, writability, free space."""

from __future__ import annotations

import os
from typing import Optional, Tuple

from kcrashd.host.root import Root


def read_link(root: Root, host_path: str) -> Optional[str]:
    """The symlink's target as written (None when not a link or missing)."""
    try:
        return os.readlink(root.path(host_path))
    except OSError:
        return None


def mtime(root: Root, host_path: str) -> Optional[float]:
    try:
        return root.stat(host_path).st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return None


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


def resolve(root: Root, host_path: str, max_hops: int = 20) -> str:
    """Follow symlinks the way the root's own system would: absolute targets stay inside
    the root (a fixture tree or a mounted image), not on the host running kcrashd."""
    path = host_path
    for _ in range(max_hops):
        target = read_link(root, path)
        if target is None:
            return path
        path = os.path.normpath(
            target if target.startswith("/") else os.path.join(os.path.dirname(path), target)
        )
    return path
