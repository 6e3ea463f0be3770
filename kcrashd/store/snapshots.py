"""The snapshot store: pre-crash snapshot documents on disk.

A snapshot is one JSON document, `<state>/snapshots/<id>.json` (ids sort by time). It is
written durably: a temp file in the snapshot directory, fsync, rename, fsync the directory
(0700 / 0600), so a panic seconds later does not lose it. Listing, loading and retention
(count, age, total size) live here too. What a snapshot holds and how it is captured is
kcrashd.snapshots' concern.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from kcrashd.config import SnapshotsConfig
from kcrashd.host.durable import replace_file

SCHEMA = 1
SUFFIX = ".json"


def snapshot_dir(state_dir: str) -> str:
    return os.path.join(state_dir, "snapshots")


def snapshot_path(state_dir: str, snapshot_id: str) -> str:
    return os.path.join(snapshot_dir(state_dir), snapshot_id + SUFFIX)


def snapshot_boot(doc: Optional[Dict[str, Any]]) -> str:
    """The boot id a snapshot document was taken in, as 32 lower-case hex digits ("" unknown)."""
    items = (doc or {}).get("items") or {}
    return str((items.get("boot_id") or {}).get("value") or "").replace("-", "").lower()


def new_id(now: float) -> str:
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    return (
        stamp.strftime("%Y%m%dT%H%M%S") + f"{int(now * 1000) % 1000:03d}Z-" + uuid.uuid4().hex[:6]
    )


# --- durable write ----------------------------------------------------------------------------


def write_durably(directory: str, name: str, data: bytes) -> str:
    """`name` in `directory` (made 0700 when missing) durably, 0600."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    return replace_file(directory, name, data, 0o600)


# --- list, show, retention --------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    path: str
    bytes: int
    mtime: float


def list_snapshots(state_dir: str) -> List[SnapshotInfo]:
    """Oldest first (ids sort by time)."""
    directory = snapshot_dir(state_dir)
    out = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    for name in sorted(names):
        if name.startswith(".") or not name.endswith(SUFFIX):
            continue
        path = os.path.join(directory, name)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        out.append(SnapshotInfo(name[: -len(SUFFIX)], path, st.st_size, st.st_mtime))
    return out


def load_snapshot(state_dir: str, snapshot_id: str) -> Optional[Dict[str, Any]]:
    if "/" in snapshot_id or snapshot_id.startswith("."):
        return None
    path = snapshot_path(state_dir, snapshot_id)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def prune(
    state_dir: str, cfg: SnapshotsConfig, keep: Optional[str] = None, now: Optional[float] = None
) -> List[str]:
    """Delete beyond keep_count, older than keep_days, then oldest beyond max_total_bytes;
    never `keep` (the snapshot just written). Returns the ids deleted."""
    now = time.time() if now is None else now
    snaps = list_snapshots(state_dir)
    doomed = set()
    if cfg.keep_days > 0:
        doomed |= {s.id for s in snaps if now - s.mtime > cfg.keep_days * 86400}
    alive = [s for s in snaps if s.id not in doomed]
    excess = len(alive) - cfg.keep_count
    for s in alive[: max(0, excess)]:
        doomed.add(s.id)
    alive = [s for s in snaps if s.id not in doomed]
    total = sum(s.bytes for s in alive)
    for s in alive:
        if total <= cfg.max_total_bytes:
            break
        doomed.add(s.id)
        total -= s.bytes
    doomed.discard(keep or "")
    for s in snaps:
        if s.id in doomed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(s.path)
    return sorted(doomed)
