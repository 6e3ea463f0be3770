"""Snapshot capture time and size on the live host (aim < 200 ms, < 1 MB).

Baseline in the same run: copying /proc/meminfo to a file with the same fsync + rename.
Run: .venv/bin/python benchmarks/bench_snapshot.py
"""

from __future__ import annotations

import statistics
import tempfile
import time

from kcrashd.config import SnapshotsConfig
from kcrashd.host.root import Root
from kcrashd.snapshots.capture import kernel_log_from_journal
from kcrashd.snapshots.taker import take_snapshot
from kcrashd.store import snapshots

ROUNDS = 20


def main() -> None:
    root = Root("/")
    cfg = SnapshotsConfig(keep_count=1000, max_total_bytes=1 << 40)
    with tempfile.TemporaryDirectory() as d:
        base = []
        for i in range(ROUNDS):
            start = time.monotonic()
            snapshots.write_durably(d, f"base{i}", root.read_text("/proc/meminfo").encode())
            base.append(time.monotonic() - start)
        for source, name in ((kernel_log_from_journal, "journal"), (None, "kmsg")):
            times, sizes, missing = [], [], set()
            for _ in range(ROUNDS):
                res = take_snapshot(root, None, cfg, d, "bench", kernel_log=source)
                times.append(res.seconds)
                sizes.append(res.bytes)
                missing |= set(res.missing)
            print(
                f"snapshot (log from {name:7}): median {statistics.median(times) * 1e3:6.1f} ms"
                f", max {max(times) * 1e3:6.1f} ms, size {statistics.median(sizes) / 1024:6.1f} KiB"
                f"; missing here: {', '.join(sorted(missing)) or 'none'}"
            )
        print(
            f"baseline (meminfo, fsync, rename):     median {statistics.median(base) * 1e3:6.1f} ms"
        )


if __name__ == "__main__":
    main()
