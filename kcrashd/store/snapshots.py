"""Pre-crash snapshots: the state of the host, captured durably while it still can be.

A snapshot is one JSON document, `<state>/snapshots/<id>.json`, of items (meminfo, vmstat,
PSI, processes, the recent kernel log ...). Each item is cut at `max_item_bytes`; an item
that cannot be read is kept as missing with the reason; collection stops at the time
budget (the rest is marked missing). It is written durably: a temp file in the snapshot
directory, fsync, rename, fsync the directory (0700 / 0600), so a panic seconds later does
not lose it. Where /dev/pmsg0 exists a one-line breadcrumb goes there too (pstore keeps it
across a reset that loses the disk write). Retention: count, age, total size.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from kcrashd.config import Config, SnapshotsConfig
from kcrashd.host.root import Root
from kcrashd.model import Alert, Severity

log = logging.getLogger(__name__)

SCHEMA = 1
SUFFIX = ".json"
KERNEL_LOG_LINES = 200
DUMP_TARGET = "/var/crash"
PMSG = "/dev/pmsg0"


@dataclass(frozen=True)
class SnapshotResult:
    id: Optional[str]
    path: Optional[str]
    ok: bool
    error: Optional[str]
    items: int  # items present
    bytes: int
    seconds: float
    missing: Tuple[str, ...] = ()


class Missing(Exception):
    """An item that is not there, with why (not an error of the snapshot)."""


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


# --- items ------------------------------------------------------------------------------------


def _text(root: Root, path: str, cap: int) -> str:
    try:
        text = root.read_optional(path, cap)
    except PermissionError as exc:
        raise Missing(f"{path}: permission denied") from exc
    except OSError as exc:
        raise Missing(f"{path}: {os.strerror(exc.errno or 0) or exc}") from exc
    if text is None:
        raise Missing(f"{path} does not exist")
    return text


def _psi(root: Root, cap: int) -> Dict[str, str]:
    out = {}
    for res in ("memory", "io", "cpu", "irq"):
        try:
            text = root.read_optional(f"/proc/pressure/{res}", cap)
        except OSError:
            text = None
        if text is not None:
            out[res] = text
    if not out:
        raise Missing("PSI is not available (no /proc/pressure or psi=0)")
    return out


def _slabinfo_top(root: Root, cap: int, n: int = 15) -> List[Dict[str, Any]]:
    rows = []
    for line in _text(root, "/proc/slabinfo", 4 * 1024 * 1024).splitlines()[2:]:
        parts = line.split()
        if len(parts) > 3 and parts[2].isdigit() and parts[3].isdigit():
            rows.append((int(parts[2]) * int(parts[3]), parts[0], int(parts[2])))
    rows.sort(reverse=True)
    return [{"cache": name, "bytes": size, "objects": objs} for size, name, objs in rows[:n]]


def _processes(root: Root, n: int = 10) -> Dict[str, List[Dict[str, Any]]]:
    from kcrashd.host import procs

    ps = procs.read_processes(root, with_fds=True)

    def rows(key: str) -> List[Dict[str, Any]]:
        return [
            {
                "pid": p.pid,
                "name": p.name,
                "rss_kb": p.rss_kb,
                "cpu_seconds": round(p.cpu_seconds, 2),
                "fds": p.fds,
                "fd_limit": p.fd_limit,
            }
            for p in procs.top(ps, key, n)
        ]

    return {"by_rss": rows("rss_kb"), "by_cpu": rows("cpu_seconds"), "by_fds": rows("fds")}


def _thermal(root: Root) -> Dict[str, Any]:
    from kcrashd.host import hwmon, thermal

    zones = [{"type": z.type, "celsius": z.celsius} for z in thermal.read_zones(root)]
    sensors = [
        {"sensor": s.title, "celsius": s.celsius, "max": s.max, "crit": s.crit}
        for s in hwmon.read_sensors(root)
    ]
    if not zones and not sensors:
        raise Missing("no thermal zones or hwmon sensors")
    return {"zones": zones, "sensors": sensors}


def _dump_target(root: Root) -> Dict[str, Any]:
    path = DUMP_TARGET
    while not root.exists(path) and path != "/":
        path = os.path.dirname(path)  # /var/crash not created yet: the fs it would be on
    st = root.statvfs(path)
    return {
        "path": DUMP_TARGET,
        "checked": path,
        "free_bytes": st.f_bavail * st.f_frsize,
        "total_bytes": st.f_blocks * st.f_frsize,
    }


def kernel_log_from_journal(n: int, directory: Optional[str] = None) -> List[str]:
    """The last n kernel lines of this boot from the journal (a reader of our own: the
    daemon's reader belongs to its main thread)."""
    from kcrashd.sources.journal import open_kernel_reader

    reader = open_kernel_reader(directory)
    try:
        reader.this_boot()
        reader.seek_tail()
        lines: deque = deque(maxlen=n)
        for _ in range(n):
            entry = reader.get_previous()
            if not entry:
                break
            msg = entry.get("MESSAGE", "")
            lines.appendleft(msg.decode("utf-8", "replace") if isinstance(msg, bytes) else msg)
        return list(lines)
    finally:
        reader.close()


def kernel_log_from_kmsg(n: int, path: str = "/dev/kmsg") -> List[str]:
    """The last n records of /dev/kmsg, read without blocking."""
    from kcrashd.sources.kmsg import parse_record

    lines: deque = deque(maxlen=n)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                rec = os.read(fd, 8192)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # overwritten while reading: go on
                    continue
                raise
            if not rec:
                break
            record = parse_record(rec)  # the kmsg source's parser: escapes, dictionary lines
            if record is not None:
                lines.append(record.message)
    finally:
        os.close(fd)
    return list(lines)


def _kernel_log(root: Root, source: Optional[Callable[[int], List[str]]]) -> List[str]:
    errors = []
    if source is not None:
        try:
            return source(KERNEL_LOG_LINES)
        except Exception as exc:
            errors.append(f"journal: {exc}")
    if root.is_live and os.path.exists("/dev/kmsg"):
        try:
            return kernel_log_from_kmsg(KERNEL_LOG_LINES)
        except OSError as exc:
            errors.append(f"/dev/kmsg: {exc}")
    raise Missing("; ".join(errors) or "no journal and no /dev/kmsg")


def _cap(value: Any, cap: int) -> Tuple[Any, bool]:
    """Cut an item to `cap` bytes of JSON: text is cut, lists lose their tail."""
    size = len(json.dumps(value))
    if size <= cap:
        return value, False
    if isinstance(value, str):
        # JSON escapes grow the text (newlines, quotes): cut until the encoded form fits.
        cut = value[: max(0, cap - 2)]
        while len(json.dumps(cut)) > cap:
            cut = cut[: len(cut) - (len(json.dumps(cut)) - cap) - 1]
        return cut, True
    if isinstance(value, list):
        while value and len(json.dumps(value)) > cap:
            value = value[: len(value) * 3 // 4]
        return value, True
    if isinstance(value, dict):  # keep the first entries that fit
        out: Dict[str, Any] = {}
        for k, v in value.items():
            out[k] = v
            if len(json.dumps(out)) > cap:
                out.pop(k)
                break
        return out, True
    return None, True


def collect(
    root: Root,
    cfg: SnapshotsConfig,
    reason: str,
    kernel_log: Optional[Callable[[int], List[str]]] = None,
    smart_summary: Optional[Callable[[], Any]] = None,
    deadline: Optional[float] = None,
) -> Dict[str, Dict[str, Any]]:
    """Every item as {"value": ..., "truncated": bool} or {"missing": why}."""
    cap = cfg.max_item_bytes

    def smart() -> Any:
        data = smart_summary() if smart_summary else None
        if not data:
            raise Missing("no SMART result yet (the disk watcher has not sampled a disk)")
        return data

    getters: List[Tuple[str, Callable[[], Any]]] = [
        ("reason", lambda: reason),
        ("boot_id", lambda: _text(root, "/proc/sys/kernel/random/boot_id", 128).strip()),
        ("uptime", lambda: _text(root, "/proc/uptime", 128).strip()),
        ("meminfo", lambda: _text(root, "/proc/meminfo", cap)),
        ("vmstat", lambda: _text(root, "/proc/vmstat", cap)),
        ("psi", lambda: _psi(root, cap)),
        ("loadavg", lambda: _text(root, "/proc/loadavg", 256).strip()),
        ("file_nr", lambda: _text(root, "/proc/sys/fs/file-nr", 256).strip()),
        ("slabinfo_top", lambda: _slabinfo_top(root, cap)),
        ("kernel_log", lambda: _kernel_log(root, kernel_log)),
        ("processes", lambda: _processes(root)),
        ("interrupts", lambda: _text(root, "/proc/interrupts", cap)),
        ("softirqs", lambda: _text(root, "/proc/softirqs", cap)),
        ("thermal", lambda: _thermal(root)),
        ("smart", smart),
        ("mounts", lambda: _text(root, "/proc/mounts", cap)),
        # load addresses: a post-mortem turns a fault address into an offset in the module
        ("modules", lambda: _text(root, "/proc/modules", cap)),
        ("dump_target", lambda: _dump_target(root)),
    ]
    items: Dict[str, Dict[str, Any]] = {}
    for name, get in getters:
        if deadline is not None and time.monotonic() > deadline:
            items[name] = {"missing": "time budget exceeded"}
            continue
        try:
            value, cut = _cap(get(), cap)
            items[name] = {"value": value, "truncated": cut}
        except Missing as exc:
            items[name] = {"missing": str(exc)}
        except Exception as exc:  # one unreadable item never loses the snapshot
            items[name] = {"missing": f"{type(exc).__name__}: {exc}"}
    return items


ITEM_NAMES = (
    "reason",
    "boot_id",
    "uptime",
    "meminfo",
    "vmstat",
    "psi",
    "loadavg",
    "file_nr",
    "slabinfo_top",
    "kernel_log",
    "processes",
    "interrupts",
    "softirqs",
    "thermal",
    "smart",
    "mounts",
    "modules",
    "dump_target",
)


# --- durable write ----------------------------------------------------------------------------


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(directory: str, name: str, data: bytes) -> str:
    """temp file in `directory`, fsync, rename, fsync dir; a failure removes the temp file."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    final = os.path.join(directory, name)
    tmp = os.path.join(directory, f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.rename(tmp, final)
        _fsync_dir(directory)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def breadcrumb(root: Root, snapshot_id: str, reason: str, now: float) -> bool:
    """One line to pstore's pmsg device when there is one; True when written."""
    path = root.path(PMSG)
    if not os.path.exists(path):
        return False
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat()
    line = f"kcrashd snapshot {snapshot_id} {stamp} reason={' '.join(reason.split())[:200]}\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return True
    except OSError as exc:
        log.warning("writing the pmsg breadcrumb failed: %s", exc)
        return False


def take_snapshot(
    root: Root,
    runner: Any,
    config: SnapshotsConfig,
    state_dir: str,
    reason: str,
    kernel_log: Optional[Callable[[int], List[str]]] = None,
    smart_summary: Optional[Callable[[], Any]] = None,
    now: Optional[float] = None,
) -> SnapshotResult:
    """Collect and write one snapshot; never raises for I/O problems (ok=False, error)."""
    start = time.monotonic()
    now = time.time() if now is None else now
    sid = new_id(now)
    deadline = start + config.time_budget_seconds
    items = collect(root, config, reason, kernel_log, smart_summary, deadline)
    doc = {"schema": SCHEMA, "id": sid, "time": now, "reason": reason, "items": items}
    data = json.dumps(doc, indent=1, sort_keys=False).encode()
    missing = tuple(k for k, v in items.items() if "missing" in v)
    directory = snapshot_dir(state_dir)
    try:
        path = write_durably(directory, sid + SUFFIX, data)
    except OSError as exc:
        error = f"writing snapshot {sid} to {directory} failed: {exc.strerror or exc}"
        log.error("%s", error)
        return SnapshotResult(None, None, False, error, 0, 0, time.monotonic() - start, missing)
    if config.pmsg_breadcrumb:
        breadcrumb(root, sid, reason, now)
    try:
        prune(state_dir, config, keep=sid, now=now)
    except OSError as exc:
        log.warning("snapshot retention failed: %s", exc)
    present = len(items) - len(missing)
    return SnapshotResult(
        sid, path, True, None, present, len(data), time.monotonic() - start, missing
    )


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


# --- the daemon's taker -----------------------------------------------------------------------


def snapshot_failed_alert(result: SnapshotResult, reason: str) -> Alert:
    return Alert(
        "snapshot_failed",
        Severity.ERR,
        f"pre-crash snapshot failed: {result.error}",
        {"error": result.error or "", "reason": reason},
        "snapshot_failed",
    )


class SnapshotTaker:
    """What the daemon hands to the pipeline and the jobs as take_snapshot(reason).

    Thread-safe (jobs run in their own thread). Automatic snapshots are rate-limited by
    snapshots.min_interval_seconds: within it, the recent snapshot's id is returned (it is
    the state around this event too). A failure is handed to `on_failure` as a
    snapshot_failed alert and None is returned.
    """

    def __init__(
        self,
        root: Root,
        runner: Any,
        config: Callable[[], Config],
        state_dir: str,
        on_failure: Optional[Callable[[Alert], None]] = None,
        journal_dir: Optional[str] = None,
    ) -> None:
        self.root = root
        self.runner = runner
        self.config = config
        self.state_dir = state_dir
        self.on_failure = on_failure
        self.journal_dir = journal_dir
        self.memory: Dict[str, Any] = {}  # the jobs' ctx.memory, for the last SMART results
        self.lock = threading.Lock()
        self.last: Optional[Tuple[float, str]] = None

    def smart_summary(self) -> Optional[List[Dict[str, Any]]]:
        from kcrashd.host.smart import summary

        reports = (self.memory.get("watcher:disk") or {}).get("reports") or {}
        return [summary(r) for r in list(reports.values())] or None

    def kernel_log(self, n: int) -> List[str]:
        return kernel_log_from_journal(n, self.journal_dir)

    def take(self, reason: str) -> Optional[str]:
        cfg = self.config().snapshots
        if not cfg.enabled:
            return None
        with self.lock:
            now = time.monotonic()
            if self.last is not None and now - self.last[0] < cfg.min_interval_seconds:
                log.debug("snapshot rate-limited; naming %s for: %s", self.last[1], reason)
                return self.last[1] or None
            result = take_snapshot(
                self.root,
                self.runner,
                cfg,
                self.state_dir,
                reason,
                kernel_log=self.kernel_log,
                smart_summary=self.smart_summary,
            )
            if result.ok and result.id:
                self.last = (now, result.id)
                log.info("snapshot %s taken (%s): %s", result.id, _size(result.bytes), reason)
                return result.id
            # A failed attempt also counts for the rate limit: no failure alert storm.
            self.last = (now, "")
            if self.on_failure is not None:
                self.on_failure(snapshot_failed_alert(result, reason))
            return None


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KiB"
