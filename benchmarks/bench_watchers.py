"""CPU time per watcher tick on the live host, and the RSS of a process running them all.

Baseline in the same run: reading /proc/meminfo alone (the cheapest possible tick).
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
