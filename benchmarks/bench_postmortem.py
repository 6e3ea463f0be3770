"""Post-mortem scan time at start on a journal of 1,000,000 entries from the previous boot.

Builds the journal with systemd-journal-remote from export format: N entries in the previous
boot (1 in 100 a kernel message, the boot ending in an oops with no shutdown), then a short
current boot. Measures kcrashd's post-mortem run (list boots, read the previous boot's
kernel entries through journal matches, check how it ended, parse, store the incident),
beside the baseline `journalctl -k -b -1 -o cat --directory DIR` in the same run: ROUNDS
alternating rounds after one warm-up of each (the page cache, and the parser's imports the
daemon has made before its post-mortem job runs), wall and CPU time, min/median/max; and
the Python heap's peak during one scan (tracemalloc): constant, whatever the journal's size.

    .venv/bin/python benchmarks/bench_postmortem.py [--entries 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import List, Tuple

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from kcrashd import config as kconfig  # noqa: E402
from kcrashd.host.root import Root  # noqa: E402
from kcrashd.postmortem.collect import run_postmortem  # noqa: E402
from kcrashd.store.state import StateDB  # noqa: E402

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
ROUNDS = 5
CRASH = (PROJECT / "tests/fixtures/postmortem/crash_foo_drv.txt").read_text().splitlines()
CRASH = [line.split("] ", 1)[1] for line in CRASH if "Kernel panic" not in line]


def _entries(boot: str, start_us: int, n: int, crash: bool, seq0: int):
    mono = 1_000_000
    for i in range(n):
        mono += 1000
        kernel = i % 100 == 0
        if crash and i >= n - len(CRASH):
            kernel, msg = True, CRASH[i - (n - len(CRASH))]
        elif kernel:
            msg = f'audit: type=1400 audit({i}.000:{i}): apparmor="ALLOWED" operation="open"'
        else:
            msg = f"app[{1000 + i % 50}]: request {i} served in {i % 997} ms"
        real = start_us + mono
        head = (
            f"__CURSOR=s=0;i={seq0 + i:x};b={boot};m={mono:x};t={real:x};x=0\n"
            f"__REALTIME_TIMESTAMP={real}\n__MONOTONIC_TIMESTAMP={mono}\n_BOOT_ID={boot}\n"
            f"_MACHINE_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=bench\n"
        )
        if kernel:
            body = f"_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nPRIORITY=4\nMESSAGE={msg}\n\n"
        else:
            body = (
                f"_TRANSPORT=syslog\nSYSLOG_IDENTIFIER=app\n_PID={1000 + i % 50}\nPRIORITY=6\n"
                f"MESSAGE={msg}\n\n"
            )
        yield head + body


def build(directory: Path, n: int) -> tuple:
    prev, cur = uuid.uuid4().hex, uuid.uuid4().hex
    now_us = int(time.time() * 1e6)
    proc = subprocess.Popen(
        [JOURNAL_REMOTE, "-o", str(directory / "system.journal"), "-"],
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    buf = []
    for e in _entries(prev, now_us - 7_200_000_000, n, True, 1):
        buf.append(e)
        if len(buf) >= 5000:
            proc.stdin.write("".join(buf).encode())
            buf = []
    for e in _entries(cur, now_us - 600_000_000, 100, False, n + 1):
        buf.append(e)
    proc.stdin.write("".join(buf).encode())
    proc.stdin.close()
    if proc.wait(timeout=3600) != 0:
        raise SystemExit("systemd-journal-remote failed")
    return prev, cur


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="DIR", help="build the journal here and keep it")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="kcrashd-bench-pm-", dir="/var/tmp"))
    journal = work / "journal"
    try:
        if not (journal / "system.journal").exists():
            journal.mkdir(parents=True, exist_ok=True)
            t0 = time.monotonic()
            prev, cur = build(journal, args.entries)
            print(
                f"built {args.entries} entries in {time.monotonic() - t0:.1f} s "
                f"({sum(f.stat().st_size for f in journal.iterdir()) / 1e6:.0f} MB in "
                f"{len(list(journal.iterdir()))} journal files)"
            )
            (work / "boots").write_text(f"{prev} {cur}\n")
        prev, cur = (work / "boots").read_text().split()

        cfg = kconfig.from_dict(
            {
                "postmortem": {
                    "pstore_directory": "/nonexistent",
                    "systemd_pstore_directory": "/nonexistent",
                    "kdump_directories": ["/nonexistent"],
                }
            }
        )
        state = StateDB(str(work / "state.db"))
        try:
            base, ours, lines, out = _rounds(journal, state, cfg, cur)
            heap = _heap_peak(journal, state, cfg, cur)
        finally:
            state.close()
        kinds = [a.type for a in out.alerts]

        def mmm(xs: List[float]) -> str:
            return f"min {min(xs):.3f}  median {statistics.median(xs):.3f}  max {max(xs):.3f} s"

        print(f"journal entries in previous boot: {args.entries}, kernel entries read: {lines}")
        print(f"{ROUNDS} alternating rounds after a warm-up of each")
        print(f"baseline journalctl -k -b -1 -o cat --directory: wall {mmm(base[0])}")
        print(f"{'':48s} CPU  {mmm(base[1])}")
        print(f"kcrashd post-mortem scan at start:               wall {mmm(ours[0])}")
        print(f"{'':48s} CPU  {mmm(ours[1])}")
        print(f"  (alerts: {kinds}, incidents: {len(out.incidents)})")
        print(f"Python heap peak during one scan: {heap / 1024:.0f} KiB (tracemalloc)")
        ratio = [statistics.median(o) / statistics.median(b) for o, b in zip(ours, base)]
        print(
            f"ratio of medians kcrashd/journalctl: wall {ratio[0]:.2f}x, CPU {ratio[1]:.2f}x"
            " (aim: <= 1.5x)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _forget(state: StateDB) -> None:
    """The state as before the post-mortem had seen the previous boot (not timed)."""
    with state.transaction() as c:
        for table in ("artifacts", "incidents", "outbox", "alerts"):
            c.execute(f"DELETE FROM {table}")


def _scan(journal: Path, state: StateDB, cfg, cur: str):
    return run_postmortem(Root("/"), cfg, state, cur, journal_dir=str(journal))


def _rounds(journal: Path, state: StateDB, cfg, cur: str) -> Tuple:
    """([walls], [CPUs]) of journalctl and of kcrashd, the kernel lines journalctl printed
    and kcrashd's last outcome."""
    argv = ["journalctl", "-k", "-b", "-1", "-o", "cat", "--directory", str(journal)]
    base: Tuple[List[float], List[float]] = ([], [])
    ours: Tuple[List[float], List[float]] = ([], [])
    subprocess.run(argv, capture_output=True, timeout=600)  # warm-up: the page cache
    _forget(state)
    _scan(journal, state, cfg, cur)  # warm-up: the parser's imports, as the daemon has them
    lines, out = 0, None
    for _ in range(ROUNDS):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        base[0].append(time.monotonic() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        base[1].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        lines = len(done.stdout.splitlines())
        _forget(state)
        c0, t0 = _cpu(), time.monotonic()
        out = _scan(journal, state, cfg, cur)
        ours[0].append(time.monotonic() - t0)
        ours[1].append(_cpu() - c0)
    return base, ours, lines, out


def _heap_peak(journal: Path, state: StateDB, cfg, cur: str) -> int:
    _forget(state)
    tracemalloc.start()
    try:
        _scan(journal, state, cfg, cur)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


if __name__ == "__main__":
    raise SystemExit(main())
