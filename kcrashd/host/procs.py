"""The process table: RSS, CPU time, open fds and RLIMIT_NOFILE per process.

On the live host psutil reads it; under another root (a fixture tree, an image) the same
values are parsed from that root's /proc/PID/{status,stat,limits,fd}, because psutil cannot
be pointed at another tree. Processes that exit while we read are skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional

from kcrashd.host.fds import parse_nofile_limit
from kcrashd.host.root import Root


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    name: str
    rss_kb: int
    cpu_seconds: float
    fds: Optional[int] = None  # None: not readable (no permission) or not asked for
    fd_limit: Optional[int] = None  # soft RLIMIT_NOFILE; None: unlimited or unknown

    def describe(self) -> str:
        return f"{self.name}[{self.pid}]"


def read_processes(root: Root, with_fds: bool = False) -> List[ProcInfo]:
    if root.is_live:
        return _read_psutil(with_fds)
    return _read_procfs(root, with_fds)


def _read_psutil(with_fds: bool) -> List[ProcInfo]:
    import psutil  # only the daemon and snapshots need it

    attrs = ["pid", "name", "memory_info", "cpu_times"] + (["num_fds"] if with_fds else [])
    out: List[ProcInfo] = []
    for p in psutil.process_iter(attrs):
        info = p.info
        mem, cpu = info.get("memory_info"), info.get("cpu_times")
        limit = None
        if with_fds and info.get("num_fds") is not None:
            try:
                soft = p.rlimit(psutil.RLIMIT_NOFILE)[0]
                limit = None if soft == psutil.RLIM_INFINITY else int(soft)
            except (psutil.Error, OSError):
                limit = None
        out.append(
            ProcInfo(
                pid=info["pid"],
                name=info.get("name") or "?",
                rss_kb=(mem.rss // 1024) if mem else 0,
                cpu_seconds=(cpu.user + cpu.system) if cpu else 0.0,
                fds=info.get("num_fds") if with_fds else None,
                fd_limit=limit,
            )
        )
    return out


def _read_procfs(root: Root, with_fds: bool) -> List[ProcInfo]:
    out: List[ProcInfo] = []
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in root.listdir("/proc"):
        if not entry.isdigit():
            continue
        base = f"/proc/{entry}"
        try:
            status = root.read_optional(f"{base}/status", 65536)
            if status is None:
                continue
            fields = dict(
                (k.strip(), v.strip())
                for k, _, v in (line.partition(":") for line in status.splitlines())
            )
            rss = int(fields.get("VmRSS", "0 kB").split()[0])
            stat = root.read_optional(f"{base}/stat", 65536) or ""
            # comm may contain spaces and parentheses: fields start after the last ')'.
            rest = stat.rpartition(")")[2].split()
            cpu = (int(rest[11]) + int(rest[12])) / ticks if len(rest) > 12 else 0.0
            fds = limit = None
            if with_fds:
                fd_dir = f"{base}/fd"
                fds = len(root.listdir(fd_dir)) if root.is_dir(fd_dir) else None
                limits = root.read_optional(f"{base}/limits", 65536)
                limit = parse_nofile_limit(limits) if limits else None
        except (OSError, ValueError):
            continue
        out.append(ProcInfo(int(entry), fields.get("Name", "?"), rss, cpu, fds, limit))
    return out


def top(procs: List[ProcInfo], key: str, n: int = 5) -> List[ProcInfo]:
    """The n biggest by `rss_kb`, `cpu_seconds` or `fds`."""
    return sorted(procs, key=lambda p: getattr(p, key) or 0, reverse=True)[:n]
