"""Input files named on the command line (`kcrashd parse FILE... | -`), read as a stream of
lines in bounded memory.

Whatever the input is, memory stays constant: it is read in chunks, a line longer than
MAX_LINE_BYTES ends the read with an error (/dev/zero has no newline at all), and a FIFO or
device that sends nothing for `idle_timeout` seconds (a FIFO nobody writes to) ends it with
an error instead of a hang. Standard input is read as it comes: a pipe's writer may be slow.
NUL bytes and invalid UTF-8 become U+FFFD: garbage must not stop a parse.
"""

from __future__ import annotations

import os
import select
import stat
from typing import Iterator, Optional

CHUNK = 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024


class InputError(Exception):
    """An input that cannot be read to its end (one line for the user)."""


def read_lines(path: str, idle_timeout: float) -> Iterator[str]:
    """The lines of `path` (`-`: standard input), without their newlines."""
    fd, timed = _open(path)
    try:
        yield from _lines(fd, idle_timeout if timed else None)
    finally:
        if path != "-":
            os.close(fd)


def _open(path: str):
    """(fd, whether reads wait at most idle_timeout for data)."""
    if path == "-":
        return 0, False
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{path} is a directory")
        special = not stat.S_ISREG(st.st_mode)
        # O_NONBLOCK: opening a FIFO nobody writes to would otherwise block in open()
        flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_NONBLOCK if special else 0)
        return os.open(path, flags), special
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL byte in the name
        raise InputError(f"cannot read {path!r}: a NUL byte in the name") from None


def _lines(fd: int, idle_timeout: Optional[float]) -> Iterator[str]:
    pending = b""
    lineno = 0
    while True:
        chunk = _read(fd, idle_timeout)
        if not chunk:
            break
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            pending = data[cut + 1 :]
            text = data[:cut].decode("utf-8", "replace").replace("\x00", "\ufffd")
            for line in text.split("\n"):
                lineno += 1
                yield line
        if len(pending) > MAX_LINE_BYTES:
            raise InputError(
                f"line {lineno + 1} is longer than {MAX_LINE_BYTES} bytes (no newline):"
                " not a text log"
            )
    if pending:
        yield pending.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _read(fd: int, idle_timeout: Optional[float]) -> bytes:
    if idle_timeout is None:
        return os.read(fd, CHUNK)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        if not poller.poll(idle_timeout * 1000):
            raise InputError(f"no data for {idle_timeout:g} s (a FIFO nobody writes to?): gave up")
        try:
            return os.read(fd, CHUNK)
        except BlockingIOError:
            continue
