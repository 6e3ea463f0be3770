"""Crash signature digests: CPython's built-in _sha1/_sha2 (kcrashd.parse.digest) against
hashlib, the public API and the fallback (OpenSSL's libcrypto).

What the private modules pay for: the RSS a process gains from its first digest, in fresh
interpreters (the daemon computes a digest per crash report and per alert id), and the
time per digest of a signature-sized input. Baseline in the same run: hashlib.
Run: .venv/bin/python benchmarks/bench_digest.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
ROUNDS = 5

CHILD = """
import json, sys, timeit

def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

import kcrashd.parse  # the package itself is loaded either way
before = rss_kb()
if sys.argv[1] == "builtin":
    from kcrashd.parse.digest import sha256_hex
else:
    import hashlib
    def sha256_hex(data):
        return hashlib.sha256(data).hexdigest()
sha256_hex(b"warm up")
grown = rss_kb() - before
data = b"page_fault:bar_read:vfs_read|ksys_read|do_syscall_64" * 2
seconds = min(timeit.repeat(lambda: sha256_hex(data), number=20000, repeat=5)) / 20000
print(json.dumps({"rss_kb": grown, "seconds": seconds, "openssl": "_hashlib" in sys.modules}))
"""


def measure(kind: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def main() -> None:
    runs = {"builtin": [], "hashlib": []}
    for _ in range(ROUNDS):
        for kind in runs:
            runs[kind].append(measure(kind))
    for kind, label in (
        ("builtin", "_sha2 (kcrashd.parse.digest)"),
        ("hashlib", "hashlib (baseline)"),
    ):
        rss = statistics.median(r["rss_kb"] for r in runs[kind])
        us = statistics.median(r["seconds"] for r in runs[kind]) * 1e6
        openssl = "OpenSSL loaded" if runs[kind][0]["openssl"] else "no OpenSSL"
        print(
            f"{label:30}: +{rss / 1024:5.2f} MB RSS at first digest,"
            f" {us:6.2f} us per digest ({openssl})"
        )


if __name__ == "__main__":
    main()
