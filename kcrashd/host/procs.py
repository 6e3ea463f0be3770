"""The process table: name, RSS, CPU time, open fds and RLIMIT_NOFILE per process.

Read from /proc through the Root, the same way on the live host and under a fixture tree
or an image (psutil cannot be pointed at another tree: its PROCFS_PATH is process-wide):
/proc/PID/stat gives the name and CPU times, /proc/PID/statm the RSS (stat's own rss field
is the kernel's per-CPU approximation, off by up to a batch of pages per CPU); with fds,
/proc/PID/fd is counted and `Max open files` read from /proc/PID/limits. Processes that
exit while they are read are left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, NamedTuple, Optional

from kcrashd.host.fds import parse_nofile_limit
from kcrashd.host.root import Root

# The kernel cuts comm to TASK_COMM_LEN - 1 characters; a name that long may be cut.
COMM_MAX = 15


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


class Stat(NamedTuple):
    comm: str
    utime: int  # clock ticks
    stime: int


def parse_stat(text: str) -> Stat:
    """/proc/PID/stat (proc(5)): comm and the CPU times. comm may hold spaces and
    parentheses, so it is what lies between the first '(' and the last ')'; the numbered
    fields follow. Raises ValueError."""
    head, sep, rest = text.rpartition(")")
    if not sep or "(" not in head:
        raise ValueError(f"not a /proc/PID/stat line: {text[:80]!r}")
    comm = head.partition("(")[2]
    fields = rest.split()  # fields[0] is field 3 (state)
    if len(fields) < 13:
        raise ValueError(f"/proc/PID/stat has {len(fields) + 2} fields, expected at least 15")
    return Stat(comm, int(fields[11]), int(fields[12]))


def parse_statm_rss(text: str) -> int:
    """Resident pages: the second number of /proc/PID/statm. Raises ValueError."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError(f"not a /proc/PID/statm line: {text[:80]!r}")
    return int(parts[1])


def full_name(comm: str, cmdline: Optional[str]) -> str:
    """comm, or the program name from the command line when comm was cut to 15 characters
    and the program name starts with it (what ps and psutil show)."""
    if len(comm) != COMM_MAX or not cmdline:
        return comm
    program = os.path.basename(cmdline.split("\0", 1)[0])
    return program if program.startswith(comm) else comm


def read_processes(root: Root, with_fds: bool = False) -> List[ProcInfo]:
    ticks = os.sysconf("SC_CLK_TCK")
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    out: List[ProcInfo] = []
    for entry in root.listdir("/proc"):
        if entry.isdigit():
            info = _read_one(root, int(entry), with_fds, ticks, page_kb)
            if info is not None:
                out.append(info)
    return out


def _read_one(root: Root, pid: int, with_fds: bool, ticks: int, page_kb: int) -> Optional[ProcInfo]:
    """One process, or None when it is gone (or its stat cannot be read)."""
    base = f"/proc/{pid}"
    try:
        text = root.read_optional(f"{base}/stat", 4096)
        if text is None:
            return None
        st = parse_stat(text)
        statm = root.read_optional(f"{base}/statm", 4096)
        if statm is None:
            return None
        rss_kb = parse_statm_rss(statm) * page_kb
        name = st.comm
        if len(name) == COMM_MAX:  # kworker names run longer: the kernel did not cut those
            name = full_name(name, root.read_optional(f"{base}/cmdline", 4096))
    except (OSError, ValueError):
        return None
    fds = limit = None
    if with_fds:
        fds = _fd_count(root, f"{base}/fd")
        limit = _nofile_limit(root, f"{base}/limits")
    return ProcInfo(pid, name, rss_kb, (st.utime + st.stime) / ticks, fds, limit)


def _fd_count(root: Root, fd_dir: str) -> Optional[int]:
    # None when it cannot be listed: another user's fds need CAP_SYS_PTRACE (kcrashd.service
    # keeps it), a fixture tree may have no fd directory, the process may be gone.
    try:
        return len(os.listdir(root.path(fd_dir)))
    except OSError:
        return None


def _nofile_limit(root: Root, limits_path: str) -> Optional[int]:
    try:
        text = root.read_optional(limits_path, 65536)
        return parse_nofile_limit(text) if text else None
    except (OSError, ValueError):
        return None


def process_exists(root: Root, pid: int) -> bool:
    """Whether a process with this pid is there (a zombie counts, like kill(pid, 0))."""
    return pid > 0 and root.is_dir(f"/proc/{pid}")


def top(procs: List[ProcInfo], key: str, n: int = 5) -> List[ProcInfo]:
    """The n biggest by `rss_kb`, `cpu_seconds` or `fds`."""
    return sorted(procs, key=lambda p: getattr(p, key) or 0, reverse=True)[:n]
