"""Idle cost: CPU seconds and RSS of `kcrashd run` over 60 s of a quiet journal.

Baseline in the same run: a bare Python interpreter that imported systemd.journal and
sleeps for the same time. Jobs of other parts are off (this measures the follower).
Usage: bench_daemon_idle.py [SECONDS]
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import (  # noqa: E402
    PROJECT,
    ensure_journald,
    follower_config,
    journal_files,
    kcrashd_run,
)


def rss_parts(pid: int) -> dict:
    """RSS in MiB by kind of mapping: anonymous (the heap: Python objects), mapped journal
    files (clean page cache that grows with the number of journal files), other files
    (shared libraries)."""
    parts = {"anon": 0.0, "journal": 0.0, "files": 0.0}
    name = ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                name = fields[5] if len(fields) > 5 else ""
            elif fields[0] == "Rss:":
                kind = (
                    "journal"
                    if name.endswith(".journal") or name.endswith(".journal~")
                    else "files"
                    if name.startswith("/")
                    else "anon"
                )
                parts[kind] += int(fields[1]) / 1024
    return parts


def measure(proc: subprocess.Popen, seconds: float):
    p = psutil.Process(proc.pid)
    time.sleep(3.0)  # start-up is not idle
    c0 = p.cpu_times()
    time.sleep(seconds)
    c1 = p.cpu_times()
    cpu = (c1.user - c0.user) + (c1.system - c0.system)
    return cpu, p.memory_info().rss / 2**20, rss_parts(proc.pid)


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    jd = ensure_journald()
    tmp = Path(tempfile.mkdtemp(prefix="kcrashd-idle-"))
    config_file = follower_config(tmp)
    # first a --once pass so the idle run starts at the journal's end, as a daemon does
    subprocess.run(
        kcrashd_run(config_file, tmp / "state", "--once"),
        cwd=PROJECT,
        timeout=600,
        stderr=subprocess.DEVNULL,
    )
    base = subprocess.Popen(
        [sys.executable, "-c", "import systemd.journal, time; time.sleep(1e6)"], cwd=PROJECT
    )
    daemon = subprocess.Popen(
        kcrashd_run(config_file, tmp / "state"), cwd=PROJECT, stderr=subprocess.DEVNULL
    )
    try:
        # measured one after the other would double the wall time; both run side by side
        import threading

        out = {}
        t = threading.Thread(target=lambda: out.update(base=measure(base, seconds)))
        t.start()
        out["daemon"] = measure(daemon, seconds)
        t.join()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
        base.kill()
        base.wait()
        if jd is not None:
            jd.terminate()
            jd.wait(10)
    for name, (cpu, rss, parts) in (
        ("kcrashd run (idle)", out["daemon"]),
        ("bare python", out["base"]),
    ):
        print(
            f"  {name:20s} {cpu:6.3f} CPU s in {seconds:.0f} s = {100 * cpu / seconds:5.3f}% "
            f"of a core, RSS {rss:5.1f} MiB (anon {parts['anon']:4.1f}, libraries "
            f"{parts['files']:4.1f}, mapped journal files {parts['journal']:4.1f})"
        )
    print(f"  journal files: {journal_files()}")
    print("  aim: < 0.5% of a core and < 40 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
