"""Memory during a kernel-log storm: `kcrashd run` while /dev/kmsg takes 100,000 lines/s.

A real `kcrashd run` follows the system journal (jobs of other parts off, as in
bench_daemon_idle); this script writes crash-free kernel lines to /dev/kmsg at up to RATE
lines/s for SECONDS (the rate reached is printed: the kernel and journald decide how much
of it reaches the journal), and samples the daemon's RSS, PSS and RssAnon every 20 ms
(benchmarks.common.MemoryPeak) from 2 s before the storm to 3 s after it. Baseline in the
same run: the same daemon, idle, before the storm. ROUNDS fresh daemons.
Root only; run under `flock /tmp/kcrashd-kmsg.lock`.
Usage: bench_storm.py [RATE] [SECONDS] [ROUNDS]
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_daemon_latency import start_at_journal_end  # noqa: E402
from benchmarks.common import (  # noqa: E402
    PROJECT,
    MemoryPeak,
    bytecode_env,
    follower_config,
    journal_files,
    kcrashd_run,
    kmsg_writable,
    min_median_max,
)

LINES = (
    "e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None #{}",
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth{:07x}: link becomes ready",
    "EXT4-fs (vda1): error count since last fsck: {}",
    'audit: type=1400 audit(1700000000.123:{}): apparmor="DENIED" operation="open"',
)


def storm(rate: int, seconds: float) -> int:
    """Write lines to /dev/kmsg at up to `rate` lines/s for `seconds`; lines written."""
    n = 0
    fd = os.open("/dev/kmsg", os.O_WRONLY)
    try:
        start = time.monotonic()
        end = start + seconds
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = int((now - start) * rate)
            while n < due:
                line = LINES[n % len(LINES)].format(n)
                try:
                    os.write(fd, f"<6>kernel: {line}\n".encode())
                except OSError:
                    pass  # the kernel refused a line: it counts as written, not stored
                n += 1
            time.sleep(0.001)
    finally:
        os.close(fd)
    return n


def one_round(rate: int, seconds: float):
    tmp = Path(tempfile.mkdtemp(prefix="kcrashd-bench-storm-"))
    config = follower_config(tmp)
    start_at_journal_end(tmp / "state")
    proc = subprocess.Popen(
        kcrashd_run(config, tmp / "state"),
        cwd=PROJECT,
        stderr=subprocess.DEVNULL,
        env=bytecode_env(str(tmp / "pycache")),
    )
    try:
        time.sleep(3.0)  # started and following
        idle = MemoryPeak(proc.pid)
        idle.start()
        time.sleep(2.0)
        idle.stop()
        mem = MemoryPeak(proc.pid, journal=True)
        mem.start()
        t0 = time.monotonic()
        written = storm(rate, seconds)
        took = time.monotonic() - t0
        time.sleep(3.0)
        mem.stop()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        subprocess.run(["rm", "-rf", str(tmp)], timeout=60)
    return idle, mem, written / took


def main() -> int:
    rate = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    results = []
    with kmsg_writable():
        for _ in range(rounds):
            results.append(one_round(rate, seconds))

    def mmm(values):
        return min_median_max(values, lambda x: f"{x:5.1f}") + " MiB"

    rates = [r for _, _, r in results]
    print(
        f"kernel-log storm: {seconds:g} s at up to {rate} lines/s (reached: median"
        f" {statistics.median(rates):.0f} lines/s); {rounds} fresh daemons; load average"
        f" {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {journal_files()} journal files"
    )
    print(f"  idle before the storm, peak RSS:   {mmm([i.rss for i, _, _ in results])}")
    print(f"  idle before the storm, RssAnon:    {mmm([i.anon for i, _, _ in results])}")
    print(f"  during the storm, peak RSS:        {mmm([m.rss for _, m, _ in results])}")
    print(f"  during the storm, peak PSS:        {mmm([m.pss for _, m, _ in results])}")
    print(f"  during the storm, peak RssAnon:    {mmm([m.anon for _, m, _ in results])}")
    print(f"  during the storm, peak RssFile:    {mmm([m.file for _, m, _ in results])}")
    print(f"  during the storm, mapped journal:  {mmm([m.journal_rss for _, m, _ in results])}")
    jf = [m.journal_files for _, m, _ in results]
    print(f"  journal files mapped at most:      {min_median_max(jf, lambda x: f'{x:.0f}')}")
    print(f"  VmHWM at the end (whole run):      {mmm([m.hwm for _, m, _ in results])}")
    print("  aim: peak RSS during the storm <= 50 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
