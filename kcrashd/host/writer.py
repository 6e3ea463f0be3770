"""Writes host files under a Root: the only code that changes a host's configuration
(`kcrashd fix`). Every write is atomic (host/durable.py) and keeps the mode and owner of
the file it replaces; symlinks are followed inside the root, so an image's absolute links
never lead to this machine's files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from typing import Iterator, List, Optional

from kcrashd.host.durable import fsync_dir, replace_file
from kcrashd.host.files import existing_parent, resolve
from kcrashd.host.root import Root

NEW_FILE_MODE = 0o644  # configuration files under /etc
NEW_DIR_MODE = 0o755
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class FileState:
    """A file as found: its bytes (None when it does not exist), mode and owner."""

    path: str  # the host path, symlinks resolved inside the root
    data: Optional[bytes]
    mode: Optional[int] = None
    uid: Optional[int] = None
    gid: Optional[int] = None

    @property
    def exists(self) -> bool:
        return self.data is not None


def file_state(root: Root, host_path: str) -> FileState:
    """What is at `host_path` now. Raises OSError for anything but a missing file."""
    path = resolve(root, host_path)
    try:
        st = os.stat(root.path(path))
        data = root.read_bytes(path, MAX_FILE_BYTES + 1)
    except (FileNotFoundError, NotADirectoryError):
        return FileState(path, None)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(f"{path}: larger than {MAX_FILE_BYTES} bytes, not a configuration file")
    return FileState(path, data, st.st_mode & 0o7777, st.st_uid, st.st_gid)


def make_dirs(root: Root, host_dir: str, mode: int = NEW_DIR_MODE) -> List[str]:
    """Create `host_dir` and its missing parents; the host paths created, outermost first."""
    missing = []
    path = host_dir.rstrip("/") or "/"
    while path != "/" and not root.exists(path):
        missing.append(path)
        path = os.path.dirname(path)
    if missing:
        _inside(root, root.path(path))
    for p in reversed(missing):
        os.mkdir(root.path(p), mode)
        os.chmod(root.path(p), mode)  # not narrowed by the umask (kcrashd.service has 0077)
        fsync_dir(root.path(os.path.dirname(p)))
    return list(reversed(missing))


def write_file(
    root: Root,
    host_path: str,
    data: bytes,
    like: Optional[FileState] = None,
    mode: int = NEW_FILE_MODE,
    dir_mode: int = NEW_DIR_MODE,
) -> List[str]:
    """Replace or create `host_path` atomically with `data`. Keeps the mode and owner of
    `like` (the file as it was) when it existed, else `mode`. Returns the directories it
    had to create (host paths, outermost first)."""
    path = resolve(root, host_path)
    directory = os.path.dirname(path)
    _inside(root, root.path(existing_parent(root, directory)))
    created = make_dirs(root, directory, dir_mode)  # checks the parent it creates under
    owner = None
    if like is not None and like.exists and like.uid is not None and like.gid is not None:
        owner = (like.uid, like.gid)
    if like is not None and like.mode is not None:
        mode = like.mode
    replace_file(
        root.path(directory), os.path.basename(path), data, mode, owner, tmp_suffix=".kcrashd-tmp"
    )
    return created


def restore_file(root: Root, state: FileState) -> None:
    """Put back a file as `file_state` found it: its bytes, mode and owner, or no file."""
    if state.data is None:
        remove_file(root, state.path)
        return
    write_file(root, state.path, state.data, like=state)


def remove_file(root: Root, host_path: str) -> bool:
    """Remove a file; False when it was not there."""
    path = resolve(root, host_path)
    try:
        os.unlink(root.path_nofollow(path))
    except FileNotFoundError:
        return False
    fsync_dir(root.path(os.path.dirname(path)))
    return True


def remove_empty_dirs(root: Root, host_dirs: List[str]) -> List[str]:
    """Remove those of `host_dirs` that are empty, innermost first; the ones removed."""
    removed = []
    for d in sorted(host_dirs, key=len, reverse=True):
        try:
            os.rmdir(root.path(d))
        except OSError:
            continue  # not empty (someone put a file there) or already gone
        removed.append(d)
    return removed


@contextlib.contextmanager
def locked(root: Root, host_dir: str) -> Iterator[None]:
    """An exclusive lock on the directory `host_dir` (which must exist) for as long as the
    block runs: two `kcrashd fix` runs never interleave their writes and records."""
    fd = os.open(root.path(host_dir), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _inside(root: Root, real_dir: str) -> None:
    """Refuse a directory that another root's absolute symlink leads out of it (onto the
    files of the machine running kcrashd)."""
    if root.is_live:
        return
    base = os.path.realpath(root.base)
    where = os.path.realpath(real_dir)
    if where != base and not where.startswith(base + os.sep):
        raise OSError(f"{real_dir} leads outside {root.base} (to {where}): not written")
