"""CPU and wall time of `kcrashd check` on the live host beside `kdump-config show` and an
empty interpreter (`python -c pass`) in the same run.

Each command runs as a fresh process (what an admin or a monitoring system pays), N times;
the CPU time is the process's and its children's (the check runs journalctl --list-boots).
kdump-tools is installed first when missing (scripts/dev.sh bench does it too).

"as installed": a temporary virtual environment of this interpreter, without pip, with
kcrashd and PyYAML copied into its site-packages, as the Debian and RPM packages lay them
out: Python finds kcrashd on sys.path like any installed module. The development .venv
instead has pip's editable-install finder (and coverage's and setuptools' .pth files) in
every interpreter start: its figures are printed too ("dev .venv"), not the aim's. Bytecode
is cached (the packages byte-compile at install) in a temporary PYTHONPYCACHEPREFIX warmed
by one run; "compiled from source" sets PYTHONDONTWRITEBYTECODE=1 with no cache.

This host has no /etc/kcrashd; one installed from the packages has the shipped
kcrashd.yaml, so the check runs with no config file (the live host as it is), with the
shipped file, and with the shipped file with one option changed (PyYAML and the schema
loaded). The in-process time of run_checks() alone is printed as well.
Aim: the check <= 100 ms CPU (as installed, bytecode cached).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

RUNS = 15
PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from benchmarks.common import bytecode_env, timed_run  # noqa: E402

SHIPPED_CONFIG = PROJECT / "etc" / "kcrashd" / "kcrashd.yaml"


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


def installed_python(where: Path) -> str:
    """The interpreter of a new venv at `where` with kcrashd and PyYAML in its site-packages."""
    venv.EnvBuilder(with_pip=False).create(where)
    site = Path(sysconfig.get_path("purelib", vars={"base": where, "platbase": where}))
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PROJECT / "kcrashd", site / "kcrashd", ignore=skip)
    for package in ("yaml", "_yaml"):  # PyYAML (with its C extension) and the extension's shim
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            src = Path(next(iter(spec.submodule_search_locations)))
            shutil.copytree(src, site / package, ignore=skip)
    return str(where / "bin" / "python")


def config_files(tmp: Path) -> tuple:
    """(the shipped config, the shipped config with one option changed), each alone in its
    directory (no conf.d)."""
    shipped, edited = tmp / "shipped" / "kcrashd.yaml", tmp / "edited" / "kcrashd.yaml"
    for path in (shipped, edited):
        path.parent.mkdir()
    shipped.write_bytes(SHIPPED_CONFIG.read_bytes())
    text = SHIPPED_CONFIG.read_text()
    edited.write_text(text.replace("retention_days: 180.0", "retention_days: 90.0"))
    assert edited.read_text() != text
    return shipped, edited


def main() -> int:
    kdump_config = ensure_kdump_tools()
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "kdump-tools"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    tmp = Path(tempfile.mkdtemp(prefix="kcrashd-bench-check-"))
    cache = str(tmp / "pycache")
    cached = bytecode_env(cache)
    uncached = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    uncached["PYTHONDONTWRITEBYTECODE"] = "1"
    python = installed_python(tmp / "venv")
    shipped, edited = config_files(tmp)
    check = [python, "-m", "kcrashd", "check"]
    dev_check = [sys.executable, "-m", "kcrashd", "check"]

    def with_config(path: Path) -> list:
        return [python, "-m", "kcrashd", "--config", str(path), "check"]

    rows = [
        ("kdump-config show (baseline)", [kdump_config, "show"], None),
        ("python -c pass (as installed)", [python, "-c", "pass"], cached),
        ("kcrashd check (as installed)", check, cached),
        ("kcrashd check --json (as installed)", check + ["--json"], cached),
        ("  with the shipped kcrashd.yaml", with_config(shipped), cached),
        ("  with kcrashd.yaml edited (YAML read)", with_config(edited), cached),
        ("  compiled from source", check, uncached),
        ("python -c pass (dev .venv)", [sys.executable, "-c", "pass"], cached),
        ("kcrashd check (dev .venv, editable)", dev_check, cached),
    ]
    for _name, argv, env in rows[1:]:
        if env is cached:
            wall(argv, runs=1, env=cached)  # writes the bytecode cache
    print(
        f"live host, {RUNS} runs each, kdump-tools {version or '?'}; wall time in ms;"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(f"{'command':<40} {'median':>8} {'min':>8} {'max':>8} {'CPU med':>8}  exit")
    for name, argv, env in rows:
        med, lo, hi, cpu, code = wall(argv, env=env)
        print(f"{name:<40} {med:8.1f} {lo:8.1f} {hi:8.1f} {cpu:8.1f}  {code}")
    shutil.rmtree(tmp, ignore_errors=True)

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
        f"{'run_checks() in process (' + str(len(results)) + ' checks)':<40} "
        f"{statistics.median(times):8.1f} {min(times):8.1f} {max(times):8.1f}"
    )
    print("aim: kcrashd check <= 100 ms CPU (as installed, bytecode cached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
