"""Root: where a host path is read from (the live host or another tree).

Another tree is sealed like a chroot: every path is resolved component by component inside
it, so an absolute symlink (`/etc/os-release -> /usr/lib/os-release`) or a `..` leads to the
tree's own files and never out onto the host running kcrashd.
"""

from __future__ import annotations

import errno
import fnmatch
import glob
import os
import re
from collections import deque
from typing import Callable, List, Optional

# Bounded reads: sysfs and procfs files are small, but a fixture or a broken mount must not
# make a reader swallow gigabytes.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
READ_CHUNK = 256 * 1024
MAX_SYMLINKS = 40  # as the kernel's path walk (ELOOP)
_MAGIC = re.compile(r"[*?[]")


class Root:
    """Maps absolute host paths ("/proc/sys/kernel/panic") to the file that is read.

    `Root("/")` is the live host; `Root("/mnt/image")` or a fixture tree reads the same
    paths under that directory. Only code in `kcrashd/host/` reads through it.
    """

    def __init__(self, base: str = "/") -> None:
        self.base = os.path.abspath(base)

    @property
    def is_live(self) -> bool:
        return self.base == "/"

    def path(self, host_path: str) -> str:
        """The file to open for `host_path`: under another root, every symlink on the way
        resolved inside the root (the path returned holds no symlink to follow out)."""
        if not host_path.startswith("/"):
            raise ValueError(f"host path must be absolute: {host_path!r}")
        if self.is_live:
            return host_path
        return self._under(self.resolve(host_path))

    def path_nofollow(self, host_path: str) -> str:
        """As path(), but a symlink in the last component is not followed (to read, test
        or remove the link itself)."""
        if not host_path.startswith("/"):
            raise ValueError(f"host path must be absolute: {host_path!r}")
        if self.is_live:
            return host_path
        return self._under(self.resolve(host_path, follow_last=False))

    def resolve(self, host_path: str, follow_last: bool = True) -> str:
        """`host_path` with its symlinks resolved the way the root's own system would: an
        absolute target starts again at the root, `..` never climbs above it. A missing
        component ends the resolving (what follows is taken as written)."""
        todo = deque(host_path.split("/"))
        done: List[str] = []
        hops = 0
        while todo:
            name = todo.popleft()
            if name in ("", "."):
                continue
            if name == "..":
                if done:
                    done.pop()
                continue
            if not todo and not follow_last:
                done.append(name)
                break
            try:
                target = os.readlink(self._under("/" + "/".join(done + [name])))
            except OSError:  # not a symlink, or not there
                done.append(name)
                continue
            hops += 1
            if hops > MAX_SYMLINKS:
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), host_path)
            if target.startswith("/"):
                done = []
            todo.extendleft(reversed(target.split("/")))
        return "/" + "/".join(done)

    def _under(self, resolved: str) -> str:
        return os.path.join(self.base, resolved.lstrip("/"))

    def read_bytes(self, host_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """Up to max_bytes, to the end of the file. Plain os.read: a buffered file object
        costs more than the read itself for the small procfs and sysfs files (a watcher
        reads hundreds per tick)."""
        fd = os.open(self.path(host_path), os.O_RDONLY | os.O_CLOEXEC)
        try:
            chunks = []
            left = max_bytes
            while left > 0:
                chunk = os.read(fd, min(left, READ_CHUNK))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_text(self, host_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
        return self.read_bytes(host_path, max_bytes).decode("utf-8", "replace")

    def read_optional(self, host_path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Optional[str]:
        """The text of a file, or None when it does not exist (other errors propagate)."""
        try:
            return self.read_text(host_path, max_bytes)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read_value(self, host_path: str) -> Optional[str]:
        """A one-value sysfs/procfs file, stripped; None when missing."""
        text = self.read_optional(host_path, 65536)
        return None if text is None else text.strip()

    def exists(self, host_path: str) -> bool:
        return _test(os.path.exists, self.path, host_path)

    def is_link(self, host_path: str) -> bool:
        return _test(os.path.islink, self.path_nofollow, host_path)

    def read_link(self, host_path: str) -> Optional[str]:
        """The symlink's target as written (None when not a link or missing)."""
        try:
            return os.readlink(self.path_nofollow(host_path))
        except OSError:
            return None

    def is_dir(self, host_path: str) -> bool:
        return _test(os.path.isdir, self.path, host_path)

    def listdir(self, host_path: str) -> List[str]:
        """Sorted entries of a directory; empty when it does not exist."""
        try:
            return sorted(os.listdir(self.path(host_path)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def glob(self, pattern: str) -> List[str]:
        """Host paths matching a pattern, sorted; `**` matches any depth of directories.
        Under another root each directory is listed through the sealed path()."""
        if self.is_live:
            return sorted(glob.glob(pattern, recursive=True))
        candidates = ["/"]
        for part in [p for p in pattern.split("/") if p]:
            if part == "**":
                candidates = [d for c in candidates for d in self._walk_dirs(c)]
            elif _MAGIC.search(part):
                hidden = part.startswith(".")
                candidates = [
                    os.path.join(c, name)
                    for c in candidates
                    for name in self._names(c)
                    if fnmatch.fnmatchcase(name, part) and (hidden or not name.startswith("."))
                ]
            else:
                candidates = [os.path.join(c, part) for c in candidates]
        return sorted({c for c in candidates if self._lexists(c)})

    def _names(self, host_dir: str) -> List[str]:
        try:
            return self.listdir(host_dir)
        except OSError:  # a link loop, no permission: nothing matches there
            return []

    def _lexists(self, host_path: str) -> bool:
        try:
            return os.path.lexists(self.path_nofollow(host_path))
        except OSError:
            return False

    def _walk_dirs(self, host_dir: str) -> List[str]:
        """host_dir and every directory below it (symlinked directories are not entered)."""
        out, todo = [], [host_dir]
        while todo:
            d = todo.pop()
            out.append(d)
            for name in self._names(d):
                child = os.path.join(d, name)
                if not name.startswith(".") and not self.is_link(child) and self.is_dir(child):
                    todo.append(child)
        return out

    def stat(self, host_path: str) -> os.stat_result:
        return os.stat(self.path(host_path))

    def statvfs(self, host_path: str) -> os.statvfs_result:
        return os.statvfs(self.path(host_path))

    def __repr__(self) -> str:
        return f"Root({self.base!r})"


def _test(test: Callable[[str], bool], where: Callable[[str], str], host_path: str) -> bool:
    """os.path.exists and its kind under a Root: a link loop on the way is "not there", as
    os.path says for any error."""
    try:
        return test(where(host_path))
    except OSError:
        return False
