"""CPU time per watcher tick on the live host, and the RSS of a process running them all.

Baseline in the same run: reading /proc/meminfo alone (the cheapest possible tick). The
process table (the fd watcher reads it every tick, the memory watcher when it alerts) is
also timed beside psutil.process_iter reading the same values, what host/procs.py used
before it read /proc itself.
Run: .venv/bin/python benchmarks/bench_watchers.py
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

from kcrashd.config import Config
from kcrashd.daemon.context import DaemonContext
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.store.state import StateDB
from kcrashd.watchers.job import run_watcher
from kcrashd.watchers.registry import watchers

ROUNDS = 50


def cpu_per_call(fn, rounds: int = ROUNDS) -> float:
    fn()  # warm-up (imports, first discovery)
    start = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - start) / rounds


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def psutil_table(with_fds: bool) -> int:
    """The same values through psutil (the dev dependency), as host/procs.py read them."""
    import psutil

    attrs = ["pid", "name", "memory_info", "cpu_times"] + (["num_fds"] if with_fds else [])
    n = 0
    for p in psutil.process_iter(attrs):
        if with_fds and p.info.get("num_fds") is not None:
            try:
                p.rlimit(psutil.RLIMIT_NOFILE)
            except (psutil.Error, OSError):
                pass
        n += 1
    return n


def main() -> None:
    rss_start = rss_mb()
    root = Root("/")
    with tempfile.TemporaryDirectory() as d:
        ctx = DaemonContext(Config(), root, CommandRunner(), StateDB(os.path.join(d, "s.db")), "b")
        base = cpu_per_call(lambda: root.read_text("/proc/meminfo"))
        print(f"baseline: read /proc/meminfo          {base * 1e3:8.3f} ms CPU")
        for module in watchers():
            cost = cpu_per_call(lambda m=module: run_watcher(m, ctx))
            print(f"watcher {module.NAME:<16} tick {cost * 1e3:8.3f} ms CPU  ({cost / base:.0f}x)")
        from kcrashd.host import procs

        for with_fds in (False, True):
            ours = cpu_per_call(lambda w=with_fds: procs.read_processes(root, with_fds=w))
            theirs = cpu_per_call(lambda w=with_fds: psutil_table(w))
            what = "with fds, RLIMIT_NOFILE" if with_fds else "name, RSS, CPU"
            print(
                f"process table ({what:24}) {ours * 1e3:8.3f} ms CPU;"
                f" psutil {theirs * 1e3:8.3f} ms ({len(procs.read_processes(root))} processes)"
            )
        # The disk watcher asks smartctl once per disk per interval; the cost of that call:
        from kcrashd.host.disks import discover
        from kcrashd.host.smart import read_smart

        for disk in discover(root):
            start = time.monotonic()
            read_smart(ctx.runner, disk.devnode, 30)
            print(f"smartctl {disk.devnode:<15} {(time.monotonic() - start) * 1e3:8.1f} ms wall")
    print(
        f"RSS: {rss_start:.1f} MB before, {rss_mb():.1f} MB with all watchers loaded and run "
        f"(peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB)"
    )


if __name__ == "__main__":
    main()
