"""Wall time of `kcrashd fix` (dry run, --apply, --undo) on a copy of a fixture root,
beside `kcrashd check --root` on the same root in the same run (fix runs every check, then
plans; --apply runs the fixed checks again).

Fresh processes, as an admin pays them, RUNS times each on the root with the most fixes
(debian12-kdump-not-loaded: sysctl drop-in, journald drop-in, kdump-tools setting).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
ROOT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "roots"
SCENARIO = "debian12-kdump-not-loaded"


def once(argv) -> float:
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return (time.perf_counter() - t) * 1000


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="kcrashd-bench-fix."))
    try:
        root = work / SCENARIO
        shutil.copytree(ROOT / SCENARIO, root, symlinks=True)
        base = [sys.executable, "-m", "kcrashd"]
        rows = {"kcrashd check --root (baseline)": [], "kcrashd fix --root (dry run)": []}
        rows.update({"kcrashd fix --apply --root": [], "kcrashd fix --undo --root": []})
        for _ in range(RUNS):
            rows["kcrashd check --root (baseline)"].append(
                once([*base, "check", "--root", str(root)])
            )
            rows["kcrashd fix --root (dry run)"].append(once([*base, "fix", "--root", str(root)]))
            rows["kcrashd fix --apply --root"].append(
                once([*base, "fix", "--apply", "--root", str(root)])
            )
            rows["kcrashd fix --undo --root"].append(
                once([*base, "fix", "--undo", "--root", str(root)])
            )
        print(f"{SCENARIO}, {RUNS} runs each; wall time in ms")
        print(f"{'command':<34} {'median':>8} {'min':>8} {'max':>8}")
        for name, times in rows.items():
            print(f"{name:<34} {statistics.median(times):8.1f} {min(times):8.1f} {max(times):8.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
