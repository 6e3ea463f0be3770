"""Backlog speed: kernel journal entries processed per second by `kcrashd run --once`.

Builds real journal files with systemd-journal-remote from export format: N kernel entries
(default 200,000) with an oops every 2,000 lines, read with --journal-dir. Baseline in the
same run: `journalctl -k -o cat --directory DIR` over the same files.
Usage: bench_daemon_backlog.py [N]
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Tuple

ROUNDS = 3
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import (  # noqa: E402
    PROJECT,
    bytecode_env,
    ensure_journald,
    follower_config,
    kcrashd_run,
    timed_run,
)
from tests.helpers import oops_lines  # noqa: E402

NOISE = (
    "EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.",
    "e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
    'audit: type=1400 audit(1700000000.123:42): apparmor="STATUS" operation="profile_load"',
    "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
    "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready",
)


def build(directory: Path, n: int) -> int:
    boot = uuid.uuid4().hex
    real = int(time.time() * 1e6) - n * 1000
    export = directory / "export.txt"
    crashes = 0
    with open(export, "w") as f:
        i = 0
        while i < n:
            if i % 2000 == 1000:
                lines = oops_lines(f"kbacklog_{crashes % 40}_read")  # 40 signatures, repeats
                crashes += 1
            else:
                lines = [NOISE[i % len(NOISE)] + f" #{i}"]
            for line in lines:
                f.write(
                    f"__REALTIME_TIMESTAMP={real + i * 1000}\n__MONOTONIC_TIMESTAMP={i * 1000}\n"
                    f"_BOOT_ID={boot}\n_TRANSPORT=kernel\nPRIORITY=6\nSYSLOG_IDENTIFIER=kernel\n"
                    f"_SOURCE_MONOTONIC_TIMESTAMP={i * 1000}\nMESSAGE={line}\n\n"
                )
                i += 1
    (directory / "j").mkdir()
    subprocess.run(
        [
            "/lib/systemd/systemd-journal-remote",
            "-o",
            str(directory / "j" / "r.journal"),
            str(export),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    export.unlink()
    return crashes


def run_once(tmp: Path, jdir: Path, state: Path) -> Tuple[float, float]:
    """(wall, CPU) seconds of `kcrashd run --once` over the whole journal, fresh state dir."""
    config = tmp / "kcrashd.yaml"
    if not config.exists():
        follower_config(tmp)
    wall, cpu, _ = timed_run(
        kcrashd_run(config, state, "--once", "--journal-dir", str(jdir)),
        cwd=PROJECT,
        check=True,
        timeout=1200,
        stderr=subprocess.DEVNULL,
        env=bytecode_env(str(tmp / "pycache")),
    )
    return wall, cpu


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    jd = ensure_journald()
    tmp = Path(tempfile.mkdtemp(prefix="kcrashd-backlog-"))
    try:
        crashes = build(tmp, n)
        jdir = tmp / "j"
        # Three alternating rounds, medians: one cold run said more about the page cache
        # than about either program.
        base_runs, took_runs, base_cpu, took_cpu = [], [], [], []
        run_once(tmp, jdir, tmp / "warm")  # the bytecode cache, as an installed package has it
        for rnd in range(ROUNDS):
            wall, cpu, result = timed_run(
                ["journalctl", "-k", "-o", "cat", "--directory", str(jdir)],
                stdout=subprocess.PIPE,
                timeout=600,
            )
            out = result.stdout
            base_runs.append(wall)
            base_cpu.append(cpu)
            wall, cpu = run_once(tmp, jdir, tmp / f"state{rnd}")
            took_runs.append(wall)
            took_cpu.append(cpu)
        base, took = statistics.median(base_runs), statistics.median(took_runs)
        entries = out.count(b"\n")
        conn = sqlite3.connect(str(tmp / "state0" / "state.db"))
        status = json.loads(conn.execute("SELECT value FROM meta WHERE key='status'").fetchone()[0])
        reports = conn.execute("SELECT COALESCE(SUM(count),0), COUNT(*) FROM reports").fetchone()
        alerts = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        conn.close()
    finally:
        subprocess.run(["rm", "-rf", str(tmp)], timeout=120)
        if jd is not None:
            jd.terminate()
            jd.wait(10)
    read = status["records_read"]

    def mmm(xs):
        return f"min {min(xs):5.2f}  median {statistics.median(xs):5.2f}  max {max(xs):5.2f} s"

    print(
        f"backlog: {entries} kernel journal entries, {crashes} oopses mixed in; {ROUNDS}"
        f" alternating rounds (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)"
    )
    print(
        f"  kcrashd run --once:   wall {mmm(took_runs)}  CPU {mmm(took_cpu)}  "
        f"{read / took:7.0f} entries/s ({read} read, {reports[0]} reports, {reports[1]}"
        f" signatures, {alerts} alerts)"
    )
    print(
        f"  journalctl -k -o cat: wall {mmm(base_runs)}  CPU {mmm(base_cpu)}  "
        f"{entries / base:7.0f} entries/s"
    )
    print(
        f"  ratio of medians: wall {took / base:.2f}x, CPU"
        f" {statistics.median(took_cpu) / statistics.median(base_cpu):.2f}x journalctl"
        " (aim: <= 2.0x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
