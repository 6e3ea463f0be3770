"""Wall time of `kcrashd check` on the live host beside `kdump-config show` in the same run.

Both are run as fresh processes (what an admin or a monitoring system pays), N times each;
kdump-tools is installed first when missing (scripts/dev.sh bench does it too). Python
processes run with their bytecode cached, as an installed kcrashd has it (the Debian and RPM
packages byte-compile at install), in a temporary PYTHONPYCACHEPREFIX warmed by one run;
and, for comparison, compiling every module from source (PYTHONDONTWRITEBYTECODE=1 with no
cache: what a checkout run under such an environment pays). The in-process time of
run_checks() alone is printed as well. Aim: the full check <= 100 ms.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import bytecode_env, timed_run  # noqa: E402


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


def wall(argv, runs: int = RUNS, env=None):
    """(median, min, max) wall ms, the median CPU ms (user + system, the process and its
    children: what the host pays, less sensitive than wall time to a busy machine), exit."""
    times, cpu = [], []
    code = None
    for _ in range(runs):
        wall_s, cpu_s, result = timed_run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, env=env
        )
        code = result.returncode
        times.append(wall_s * 1000)
        cpu.append(cpu_s * 1000)
    return statistics.median(times), min(times), max(times), statistics.median(cpu), code


def main() -> int:
    kdump_config = ensure_kdump_tools()
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "kdump-tools"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    cache = tempfile.mkdtemp(prefix="kcrashd-pycache-")
    cached = bytecode_env(cache)
    uncached = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    uncached["PYTHONDONTWRITEBYTECODE"] = "1"
    check = [sys.executable, "-m", "kcrashd", "check"]
    for argv in (check, check + ["--json"]):
        wall(argv, runs=1, env=cached)  # writes the bytecode cache
    rows = [
        ("kdump-config show (baseline)", [kdump_config, "show"], None),
        ("kcrashd check", check, cached),
        ("kcrashd check --json", check + ["--json"], cached),
        ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"], cached),
        ("kcrashd check, compiled from source", check, uncached),
    ]
    print(
        f"live host, {RUNS} runs each, kdump-tools {version or '?'}; wall time in ms;"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(f"{'command':<38} {'median':>8} {'min':>8} {'max':>8} {'CPU med':>8}  exit")
    for name, argv, env in rows:
        med, lo, hi, cpu, code = wall(argv, env=env)
        print(f"{name:<38} {med:8.1f} {lo:8.1f} {hi:8.1f} {cpu:8.1f}  {code}")
    shutil.rmtree(cache, ignore_errors=True)

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
    print("aim: kcrashd check <= 100 ms (bytecode cached, as installed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
