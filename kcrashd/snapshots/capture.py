"""What a snapshot captures: every item read through kcrashd.host, as data.

`collect()` returns each item as {"value": ..., "truncated": bool} or {"missing": why}:
each is cut at `max_item_bytes` of JSON; an item that cannot be read is kept as missing
with the reason (one unreadable item never loses the snapshot); past the deadline the rest
is marked missing without being read.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from typing import Any, Callable, Dict, List, Optional, Tuple

from kcrashd.config import SnapshotsConfig
from kcrashd.host.root import Root

KERNEL_LOG_LINES = 200
DUMP_TARGET = "/var/crash"


class Missing(Exception):
    """An item that is not there, with why (not an error of the snapshot)."""


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
    from kcrashd.host.files import existing_parent

    path = existing_parent(root, DUMP_TARGET)  # /var/crash not created yet: the fs it would be on
    st = root.statvfs(path)
    return {
        "path": DUMP_TARGET,
        "checked": path,
        "free_bytes": st.f_bavail * st.f_frsize,
        "total_bytes": st.f_blocks * st.f_frsize,
    }


def kernel_log_from_journal(n: int, directory: Optional[str] = None) -> List[str]:
    """The last n kernel lines of this boot from the journal (readers of our own: the
    daemon's reader belongs to its main thread), from its newest files when they hold
    that many (kcrashd.sources.journal.kernel_tail_readers)."""
    from kcrashd.sources.journal import kernel_tail_readers

    lines: deque = deque(maxlen=n)
    for reader in kernel_tail_readers(directory):
        try:
            lines = _last_messages(reader, n)
        finally:
            reader.close()
        if len(lines) >= n:
            break
    return list(lines)


def _last_messages(reader: Any, n: int) -> deque:
    reader.seek_tail()
    lines: deque = deque(maxlen=n)
    for _ in range(n):
        entry = reader.get_previous()
        if not entry:
            break
        msg = entry.get("MESSAGE", "")
        lines.appendleft(msg.decode("utf-8", "replace") if isinstance(msg, bytes) else msg)
    return lines


def kernel_log_from_kmsg(n: int) -> List[str]:
    """The last n records of /dev/kmsg, read without blocking."""
    from kcrashd.host.kernel_log import KmsgDevice
    from kcrashd.sources.kmsg import parse_record

    lines: deque = deque(maxlen=n)
    device = KmsgDevice()
    try:
        while True:
            data = device.read_record()
            if not data:
                break
            record = parse_record(data)  # the kmsg source's parser: escapes, dictionary lines
            if record is not None:
                lines.append(record.message)
    finally:
        device.close()
    return list(lines)


def _kernel_log(root: Root, source: Optional[Callable[[int], List[str]]]) -> List[str]:
    from kcrashd.host.kernel_log import kmsg_available

    errors = []
    if source is not None:
        try:
            return source(KERNEL_LOG_LINES)
        except Exception as exc:
            errors.append(f"journal: {exc}")
    if root.is_live and kmsg_available():
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


def _getters(
    root: Root,
    cap: int,
    reason: str,
    kernel_log: Optional[Callable[[int], List[str]]],
    smart_summary: Optional[Callable[[], Any]],
) -> List[Tuple[str, Callable[[], Any]]]:
    """(item name, how to read it), in the order of ITEM_NAMES."""

    def smart() -> Any:
        data = smart_summary() if smart_summary else None
        if not data:
            raise Missing("no SMART result yet (the disk watcher has not sampled a disk)")
        return data

    # What a post-mortem of a crash needs comes first, cheapest first: under the time budget
    # (2 s by default; a slow or loaded host may not get through the list) the module load
    # addresses and the kernel log tail must not be the items that are dropped.
    return [
        ("reason", lambda: reason),
        ("boot_id", lambda: _text(root, "/proc/sys/kernel/random/boot_id", 128).strip()),
        ("uptime", lambda: _text(root, "/proc/uptime", 128).strip()),
        # load addresses: a post-mortem turns a fault address into an offset in the module
        ("modules", lambda: _text(root, "/proc/modules", cap)),
        ("kernel_log", lambda: _kernel_log(root, kernel_log)),
        ("meminfo", lambda: _text(root, "/proc/meminfo", cap)),
        ("loadavg", lambda: _text(root, "/proc/loadavg", 256).strip()),
        ("file_nr", lambda: _text(root, "/proc/sys/fs/file-nr", 256).strip()),
        ("processes", lambda: _processes(root)),
        ("psi", lambda: _psi(root, cap)),
        ("vmstat", lambda: _text(root, "/proc/vmstat", cap)),
        ("slabinfo_top", lambda: _slabinfo_top(root, cap)),
        ("dump_target", lambda: _dump_target(root)),
        ("mounts", lambda: _text(root, "/proc/mounts", cap)),
        ("interrupts", lambda: _text(root, "/proc/interrupts", cap)),
        ("softirqs", lambda: _text(root, "/proc/softirqs", cap)),
        ("thermal", lambda: _thermal(root)),
        ("smart", smart),
    ]


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
    items: Dict[str, Dict[str, Any]] = {}
    for name, get in _getters(root, cap, reason, kernel_log, smart_summary):
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
    "modules",
    "kernel_log",
    "meminfo",
    "loadavg",
    "file_nr",
    "processes",
    "psi",
    "vmstat",
    "slabinfo_top",
    "dump_target",
    "mounts",
    "interrupts",
    "softirqs",
    "thermal",
    "smart",
)
