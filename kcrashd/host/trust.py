"""Is an executable safe to run as root? The rule sudo, smartd and OpenSSH apply.

A file kcrashd executes as root (a hook) must be a regular file owned by root and not
writable by group or others, and so must every directory above it: otherwise whoever can
write one of them can replace the file. A symlink is resolved and the real path held to the
same rule (and the symlink itself must be root's). Above the directory that holds the file,
a root-owned directory with the sticky bit (/tmp) is accepted: nobody else may rename or
replace the entries in it that they do not own.
"""

from __future__ import annotations

import os
import stat
from typing import Optional

ROOT_UID = 0


def untrusted_reason(path: str) -> Optional[str]:
    """Why `path` must not be run as root, or None when it may."""
    try:
        link = os.lstat(path)
    except OSError as exc:
        return f"cannot stat it: {exc.strerror or exc}"
    if stat.S_ISLNK(link.st_mode):
        if link.st_uid != ROOT_UID:
            return f"it is a symlink owned by uid {link.st_uid}, not root"
        real = os.path.realpath(path)
        problem = _directory_chain(os.path.dirname(os.path.abspath(path)))
        if problem:
            return problem
        problem = _file(real)
        return f"its target {real}: {problem}" if problem else None
    return _file(path)


def _file(path: str) -> Optional[str]:
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot stat it: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    problem = _owner_and_mode(st, "it")
    return problem or _directory_chain(os.path.dirname(os.path.realpath(path)))


def _directory_chain(directory: str) -> Optional[str]:
    """The first directory from `directory` up to / that others could write to."""
    current = os.path.realpath(directory)
    first = True
    while True:
        try:
            st = os.stat(current)
        except OSError as exc:
            return f"cannot stat {current}: {exc.strerror or exc}"
        sticky_ok = not first and st.st_mode & stat.S_ISVTX and st.st_uid == ROOT_UID
        if not sticky_ok:
            problem = _owner_and_mode(st, f"directory {current}")
            if problem:
                return problem
        if current == "/":
            return None
        current = os.path.dirname(current)
        first = False


def _owner_and_mode(st: os.stat_result, what: str) -> Optional[str]:
    if st.st_uid != ROOT_UID:
        return f"{what} is owned by uid {st.st_uid}, not root"
    if st.st_mode & stat.S_IWOTH:
        return f"{what} is world-writable (mode {stat.S_IMODE(st.st_mode):04o})"
    if st.st_mode & stat.S_IWGRP:
        return f"{what} is group-writable (mode {stat.S_IMODE(st.st_mode):04o})"
    return None
