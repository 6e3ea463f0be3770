"""What the daemon benchmarks share: a journald to measure against, and `kcrashd run` with
the other parts' jobs off (they measure the kernel-log follower)."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

PROJECT = Path(__file__).resolve().parents[1]
WATCHERS = ("memory", "fd", "thermal", "disk", "edac", "kernel_counters")


def ensure_journald() -> Optional[subprocess.Popen]:
    """None when a journald runs; else one started here (the caller stops it)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect("/run/systemd/journal/socket")
        return None
    except OSError:
        pass
    finally:
        s.close()
    os.makedirs("/run/systemd/journal", exist_ok=True)
    proc = subprocess.Popen(["/lib/systemd/systemd-journald"], start_new_session=True)
    time.sleep(1.0)
    return proc


def follower_config(tmp: Path) -> Path:
    """tmp/kcrashd.yaml (and an empty tmp/hooks.d): checks, post-mortem, metrics, snapshots
    and watchers off; the journal section as shipped."""
    (tmp / "hooks.d").mkdir(exist_ok=True)
    path = tmp / "kcrashd.yaml"
    path.write_text(
        f"hooks:\n  directory: {tmp / 'hooks.d'}\nchecks:\n  interval_hours: 0\n"
        "postmortem:\n  enabled: false\nmetrics:\n  textfile_directory: null\n"
        "snapshots:\n  enabled: false\nwatchers:\n"
        + "".join(f"  {w}:\n    enabled: false\n" for w in WATCHERS)
    )
    return path


def kcrashd_run(config: Path, state: Path, *extra: str) -> List[str]:
    """argv of `kcrashd run` with this config and state directory."""
    run = [sys.executable, "-m", "kcrashd", "--config", str(config), "run"]
    return run + ["--state-dir", str(state), *extra]


class MemoryPeak(threading.Thread):
    """Samples a process's RSS and PSS (/proc/PID/smaps_rollup) every `every` seconds
    until stop(); keeps the peaks (MiB), the kernel's VmHWM (the exact peak RSS, read
    until the process ends) and the peak RssAnon (RSS less mapped files: the journal's
    files, mapped by every reader, are page cache shared with journald). A peak over a
    run, not a single sample."""

    def __init__(self, pid: int, every: float = 0.02, journal: bool = False) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.rss = self.pss = self.hwm = self.anon = self.file = 0.0
        self.journal = journal  # also the peak RSS of mapped journal files (reads smaps)
        self.journal_rss = 0.0
        self.journal_files = 0  # most journal files mapped at once
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with open(f"/proc/{self.pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith(("Rss:", "Pss:")):
                            mib = int(line.split()[1]) / 1024
                            if line.startswith("Rss:"):
                                self.rss = max(self.rss, mib)
                            else:
                                self.pss = max(self.pss, mib)
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):  # the kernel's own peak RSS
                            self.hwm = int(line.split()[1]) / 1024
                        elif line.startswith("RssAnon:"):  # the heap, without mapped files
                            self.anon = max(self.anon, int(line.split()[1]) / 1024)
                        elif line.startswith("RssFile:"):  # mapped files: libraries, journal
                            self.file = max(self.file, int(line.split()[1]) / 1024)
                if self.journal:
                    mib, files = journal_mapped(self.pid)
                    self.journal_rss = max(self.journal_rss, mib)
                    self.journal_files = max(self.journal_files, files)
                self.samples += 1
            except OSError:
                return  # the process is gone
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5.0)


def journal_mapped(pid: int) -> Tuple[float, int]:
    """(MiB of RSS in mapped journal files, how many journal files are mapped)."""
    mib, files, name = 0.0, set(), ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                name = fields[5] if len(fields) > 5 else ""
            elif fields[0] == "Rss:" and name.endswith((".journal", ".journal~")):
                mib += int(fields[1]) / 1024
                files.add(name)
    return mib, len(files)


def bytecode_env(cache_dir: str) -> Dict[str, str]:
    """The environment with Python's bytecode cached in `cache_dir`, as an installed kcrashd
    has it (the packages byte-compile at install), whatever PYTHONDONTWRITEBYTECODE says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache_dir
    return env


def timed_run(argv: List[str], **kwargs) -> Tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the process and its children, the result)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    result = subprocess.run(argv, **kwargs)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, result


def journal_files() -> int:
    """Journal files of this host (each reader maps every one of them)."""
    return sum(
        name.endswith((".journal", ".journal~"))
        for d in ("/run/log/journal", "/var/log/journal")
        for _, _, names in os.walk(d)
        for name in names
    )


@contextlib.contextmanager
def kmsg_writable() -> Iterator[None]:
    """A journald to store what is written to /dev/kmsg (started here when none runs) and
    no rate limit on /dev/kmsg writes, both put back as they were afterwards."""
    jd = ensure_journald()
    devkmsg = Path("/proc/sys/kernel/printk_devkmsg")
    old_limit = devkmsg.read_text().strip()
    devkmsg.write_text("on\n")
    try:
        yield
    finally:
        devkmsg.write_text(old_limit + "\n")
        if jd is not None:
            jd.terminate()
            jd.wait(10)


def min_median_max(values: List[float], fmt: Callable[[float], str]) -> str:
    return (
        f"min {fmt(min(values))}  median {fmt(statistics.median(values))}  max {fmt(max(values))}"
    )
