"""Wall time of `kcrashd check` on the live host beside `kdump-config show` in the same run.

Both are run as fresh processes (what an admin or a monitoring system pays), N times each;
kdump-tools is installed first when missing (scripts/dev.sh bench does it too). The
in-process time of run_checks() alone is printed as well. Aim: the full check < 300 ms.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

RUNS = 15


def ensure_kdump_tools() -> str:
    path = shutil.which("kdump-config")
    if path:
        return path
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "kdump-tools"],
        check=True,
        env=env,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("kdump-config") or "/usr/sbin/kdump-config"


def wall(argv, runs: int = RUNS):
    times = []
    code = None
    for _ in range(runs):
        t = time.perf_counter()
        code = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120
        ).returncode
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times), max(times), code


def main() -> int:
    kdump_config = ensure_kdump_tools()
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "kdump-tools"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    rows = [
        ("kdump-config show (baseline)", [kdump_config, "show"]),
        ("kcrashd check", [sys.executable, "-m", "kcrashd", "check"]),
        ("kcrashd check --json", [sys.executable, "-m", "kcrashd", "check", "--json"]),
        ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"]),
    ]
    print(f"live host, {RUNS} runs each, kdump-tools {version or '?'}; wall time in ms")
    print(f"{'command':<38} {'median':>8} {'min':>8} {'max':>8}  exit")
    for name, argv in rows:
        med, lo, hi, code = wall(argv)
        print(f"{name:<38} {med:8.1f} {lo:8.1f} {hi:8.1f}  {code}")

    from kcrashd.checks import run_checks
    from kcrashd.config import Config
    from kcrashd.host.root import Root
    from kcrashd.host.runner import CommandRunner

    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        results = run_checks(Root("/"), CommandRunner(), Config())
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"{'run_checks() in process (' + str(len(results)) + ' checks)':<38} "
        f"{statistics.median(times):8.1f} {min(times):8.1f} {max(times):8.1f}"
    )
    print("aim: kcrashd check < 300 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
