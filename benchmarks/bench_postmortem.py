"""Post-mortem scan time at start on a journal of 1,000,000 entries from the previous boot.

Builds the journal with systemd-journal-remote from export format: N entries in the previous
boot (1 in 100 a kernel message, the boot ending in an oops with no shutdown), then a short
current boot. Measures kcrashd's post-mortem run (list boots, read the previous boot's
kernel entries through journal matches, check how it ended, parse, store the incident),
beside the baseline `journalctl -k -b -1 -o cat --directory DIR` in the same run.

    .venv/bin/python benchmarks/bench_postmortem.py [--entries 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from kcrashd import config as kconfig  # noqa: E402
from kcrashd.host.root import Root  # noqa: E402
from kcrashd.postmortem.collect import run_postmortem  # noqa: E402
from kcrashd.store.state import StateDB  # noqa: E402

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
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

        t0 = time.monotonic()
        base = subprocess.run(
            ["journalctl", "-k", "-b", "-1", "-o", "cat", "--directory", str(journal)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        baseline = time.monotonic() - t0
        lines = len(base.stdout.splitlines())

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
            state.conn.execute("DELETE FROM artifacts")
            state.conn.execute("DELETE FROM incidents")
            t0 = time.monotonic()
            out = run_postmortem(Root("/"), cfg, state, cur, journal_dir=str(journal))
            ours = time.monotonic() - t0
        finally:
            state.close()
        kinds = [a.type for a in out.alerts]
        print(f"journal entries in previous boot: {args.entries}, kernel entries read: {lines}")
        print(f"baseline journalctl -k -b -1 -o cat --directory: {baseline:.3f} s ({lines} lines)")
        print(
            f"kcrashd post-mortem scan at start:             {ours:.3f} s "
            f"(alerts: {kinds}, incidents: {len(out.incidents)})"
        )
        print(f"ratio kcrashd/journalctl: {ours / baseline:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
