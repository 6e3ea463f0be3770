"""The secret that keys alert ids (kcrashd.alerts.ids): 32 random bytes in
`<state directory>/alert-id.key`, mode 0600, made on first start.

It lives beside state.db, not in it: when a damaged state.db is moved aside and a fresh one
made, the ids of the alerts already in the journal stay the same, so they are still found
there and not sent again. If the file cannot be made (a full or read-only disk), a key for
this process only is used and the problem is reported.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional, Tuple

from kcrashd.host.durable import fsync_dir

log = logging.getLogger(__name__)

KEY_FILE = "alert-id.key"
KEY_BYTES = 32


def load_key(state_dir: str) -> Tuple[bytes, Optional[str]]:
    """(key, problem): the stored key, made when missing; problem says why a key for this
    process only had to be used (None when the stored key is used)."""
    path = os.path.join(state_dir, KEY_FILE)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return _make(path)
    except OSError as exc:
        return os.urandom(KEY_BYTES), f"cannot read {path}: {exc.strerror or exc}"
    try:
        data = os.read(fd, KEY_BYTES + 1)
    except OSError as exc:
        return os.urandom(KEY_BYTES), f"cannot read {path}: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        log.warning("%s is not a key (%d bytes): making a new one", path, len(data))
        return _make(path, replace=True)
    return data, None


def _make(path: str, replace: bool = False) -> Tuple[bytes, Optional[str]]:
    key = os.urandom(KEY_BYTES)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # never over a key another process made meanwhile
            os.unlink(tmp)
        fsync_dir(os.path.dirname(path))
    except FileExistsError:
        _unlink(tmp)
        return load_key(os.path.dirname(path))
    except OSError as exc:
        _unlink(tmp)
        return key, f"cannot write {path}: {exc.strerror or exc}"
    return key, None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def alert_key(state: Any) -> bytes:
    """The key for the state database `state` (a StateDB), loaded once per StateDB."""
    key = getattr(state, "alert_key", None)
    if key is None:
        path = getattr(state, "path", ":memory:")
        directory = os.path.dirname(os.path.abspath(path)) if path != ":memory:" else None
        if directory is None:
            key, problem = os.urandom(KEY_BYTES), "no state directory"
        else:
            key, problem = load_key(directory)
        if problem:
            log.warning("alert ids: %s; using a key for this process only", problem)
        state.alert_key = key
        state.alert_key_problem = problem
    return key
