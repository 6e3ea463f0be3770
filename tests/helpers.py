"""Helpers shared by test modules (and the benchmarks): expected outputs kept in tests/golden/,
running Python code in a fresh interpreter from the checkout, a kernel oops to inject, a
command's peak RSS."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Optional

import pytest

PROJECT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = PROJECT / "tests" / "golden"
UPDATE_HINT = "pytest -m golden --update-golden (or: bash scripts/dev.sh golden)"


class Golden:
    """Compares what a user would see with its file under tests/golden/.

    With `--update-golden` (or KCRASHD_UPDATE_GOLDEN=1) the file is rewritten instead, so a
    change in an output is a change of a file in the tree, seen in review.
    """

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if self.update:
            if not path.exists() or path.read_text() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            return
        if not path.exists():
            pytest.fail(f"no golden file tests/golden/{name}: make it with {UPDATE_HINT}")
        want = path.read_text()
        if text != want:
            diff = difflib.unified_diff(
                want.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"tests/golden/{name} (in the tree)",
                f"{name} (printed now)",
            )
            pytest.fail(
                f"the output differs from tests/golden/{name}; if the change is meant, run "
                f"{UPDATE_HINT} and commit the file\n" + "".join(diff),
                pytrace=False,
            )


def replace_all(text: str, replacements: Mapping[str, str]) -> str:
    """`text` with each key replaced by its value, longest keys first (a path before its
    parent directory)."""
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    return text


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -c code args...` in a fresh interpreter, from the checkout, not measured by
    coverage.py: what it imports is the interpreter's alone (coverage imports hashlib)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def oops_lines(function: str, comm: str = "kct", address: str = "0000000000000000") -> List[str]:
    """A NULL pointer oops in `function` of the module kct_mod, as a 6.1 kernel prints it
    (without the timestamps the log adds); `comm` names the task."""
    return [
        f"BUG: kernel NULL pointer dereference, address: {address}",
        "#PF: supervisor read access in kernel mode",
        "#PF: error_code(0x0000) - not-present page",
        "PGD 0 P4D 0",
        "Oops: 0000 [#1] PREEMPT SMP NOPTI",
        f"CPU: 1 PID: 4242 Comm: {comm} Tainted: G           O       6.1.0-13-amd64 #1"
        "  Debian 6.1.55-1",
        "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1"
        " 04/01/2014",
        f"RIP: 0010:{function}+0x15/0x30 [kct_mod]",
        "Code: 48 89 e5 41 54 53 48 8b 47 10 <48> 8b 00 5b 41 5c 5d c3 cc cc cc cc 00 00 00 00",
        "RSP: 0018:ffffb4c1c0d3fe08 EFLAGS: 00010246",
        "RAX: 0000000000000000 RBX: ffff9a0c4b1e2000 RCX: 0000000000000000",
        "Call Trace:",
        " <TASK>",
        f" {function}+0x15/0x30 [kct_mod]",
        " vfs_read+0xb0/0x2c0",
        " ksys_read+0x5f/0xe0",
        " do_syscall_64+0x3b/0x90",
        " entry_SYSCALL_64_after_hwframe+0x64/0xce",
        " </TASK>",
        "Modules linked in: kct_mod(O) nft_chain_nat xt_MASQUERADE nf_nat",
        "CR2: 0000000000000000",
        "---[ end trace 0000000000000000 ]---",
    ]


class Measured(NamedTuple):
    returncode: Optional[int]  # None: killed at the timeout
    stdout: bytes
    stderr: bytes
    seconds: float
    peak_rss_kb: int


def run_measured(argv: List[str], timeout: float, cwd: Path = PROJECT) -> Measured:
    """Run argv; its peak RSS is the largest VmHWM of /proc/PID/status seen while it runs.

    Not the child's ru_maxrss: a child forked from this (large) Python process starts with
    the parent's RSS as its maximum, so wait4 would report at least that. VmHWM belongs to
    the image exec'd; it is sampled every 10 ms (it only grows, so only growth in the last
    10 ms before the exit can be missed)."""
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    peak = 0
    streams: Dict[int, bytearray] = {
        proc.stdout.fileno(): bytearray(),
        proc.stderr.fileno(): bytearray(),
    }

    def drain() -> None:
        for fd, buf in streams.items():
            while True:
                try:
                    chunk = os.read(fd, 1 << 20)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                if len(buf) < 1 << 20:  # keep the first MB; the rest is read and dropped
                    buf += chunk[: (1 << 20) - len(buf)]

    for fd in streams:
        os.set_blocking(fd, False)
    while proc.poll() is None:
        peak = max(peak, _vm_hwm_kb(proc.pid))
        drain()
        if time.monotonic() - start > timeout:
            proc.kill()
            proc.wait()
            return Measured(None, bytes(streams[proc.stdout.fileno()]), b"", timeout, peak)
        time.sleep(0.01)
    for fd in streams:
        os.set_blocking(fd, True)
    drain()
    out, err = (bytes(streams[s.fileno()]) for s in (proc.stdout, proc.stderr))
    proc.stdout.close()
    proc.stderr.close()
    return Measured(proc.returncode, out, err, time.monotonic() - start, peak)


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
