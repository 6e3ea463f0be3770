"""`kcrashd parse` on a 1 GB kernel log: peak RSS and time, beside `grep -c` on the same file.

usage: .venv/bin/python benchmarks/bench_parse_stream.py [--mb 1024] [--dir /var/tmp]

The file is crash-free kernel log text (bench_parse.py's templates) with one synthetic crash
report (tests/fixtures/logs/synthetic/seed_npd.txt) every 4 MB; it is written to --dir and
removed at the end. Each command runs as a child; its peak RSS is the VmHWM of its own image
(tests.helpers.run_measured).
Also: `kcrashd parse /dev/zero` and a FIFO nobody writes to (--idle-timeout 2), which must
end with an error and a small peak.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.bench_parse import make_boot_log  # noqa: E402
from tests.helpers import run_measured  # noqa: E402

BLOCK_MB = 4


def block(seed: int = 1) -> bytes:
    """BLOCK_MB of log text (bench_parse.make_boot_log), one crash report in the middle."""
    text = make_boot_log(BLOCK_MB * 1024 * 1024, seed)
    oops = (PROJECT / "tests/fixtures/logs/synthetic/seed_npd.txt").read_text()
    middle = text.index("\n", len(text) // 2) + 1
    return (text[:middle] + oops.rstrip("\n") + "\n" + text[middle:]).encode()


def measured(argv: List[str]) -> Tuple[Optional[int], float, float, str]:
    """(exit status, seconds, peak RSS in MB, last line of stderr) of a child."""
    m = run_measured(argv, timeout=3600)
    last = (m.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
    return m.returncode, m.seconds, m.peak_rss_kb / 1024, last


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--dir", default="/var/tmp")
    args = ap.parse_args()
    one = block()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="kcrashd-bench-") as tmp:
        path = Path(tmp) / "big.log"
        with open(path, "wb") as f:
            for _ in range(max(1, args.mb // BLOCK_MB)):
                f.write(one)
        size_mb = path.stat().st_size / 2**20
        fifo = Path(tmp) / "fifo"
        os.mkfifo(fifo)
        kcrashd = [sys.executable, "-m", "kcrashd", "parse"]
        rows = [
            ("kcrashd parse --json", kcrashd + ["--json", str(path)]),
            ("kcrashd parse (text)", kcrashd + [str(path)]),
            ("grep -a -c 'BUG: '", ["grep", "-a", "-c", "BUG: ", str(path)]),
            ("kcrashd parse /dev/zero", kcrashd + ["/dev/zero"]),
            ("kcrashd parse FIFO (no writer)", kcrashd + ["--idle-timeout", "2", str(fifo)]),
        ]
        print(f"input: {size_mb:.0f} MB, {args.mb // BLOCK_MB} crash reports")
        print(f"{'command':34} {'exit':>4} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>11}  stderr")
        for name, argv in rows:
            code, seconds, rss, last = measured(argv)
            rate = size_mb / seconds if "zero" not in name and "FIFO" not in name else 0
            print(f"{name:34} {code!s:>4} {seconds:>8.1f} {rate:>7.0f} {rss:>11.1f}  {last[:60]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
